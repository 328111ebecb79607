#!/usr/bin/env bash
# install-deps.sh: the one place that lists the Debian 12 (bookworm) packages xarch needs.
#
# As root it installs whatever is missing (and enables the foreign dpkg architectures that
# fetch-busybox.sh downloads from); as another user it prints the exact apt-get line and
# fails. When everything is present it is a quick no-op (dpkg-query only, no network).
#
#   scripts/install-deps.sh            install what is missing (root) or print the command
#   scripts/install-deps.sh --check    only report; exit 1 if something is missing
set -euo pipefail

# Host toolchain and the cross compilers for the workloads (bench/workloads/build.sh).
PACKAGES=(
    gcc make libc6-dev
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross
    # 32-bit big-endian PowerPC: Debian ports, but the cross toolchain is in bookworm main.
    gcc-powerpc-linux-gnu libc6-dev-powerpc-cross
    # Reference emulator for tests and bench, and the native busybox for comparisons.
    qemu-user busybox-static
    # Tools the scripts use.
    dpkg-dev xz-utils ca-certificates
    # Headless browser for the HTML report's browser test; the font the charts' text uses.
    chromium fonts-dejavu-core
)
# Foreign architectures whose binary packages (busybox-static) scripts/fetch-busybox.sh downloads.
# 32-bit powerpc is a Debian ports architecture, not in bookworm: no busybox for it.
FOREIGN_ARCHES=(arm64 ppc64el)

check_only=0
[[ "${1:-}" == "--check" ]] && check_only=1

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || missing+=("$p")
done
have_arches=" $(dpkg --print-foreign-architectures | tr '\n' ' ') "
missing_arches=()
for a in "${FOREIGN_ARCHES[@]}"; do
    [[ "$have_arches" == *" $a "* ]] || missing_arches+=("$a")
done

if [[ ${#missing[@]} -eq 0 && ${#missing_arches[@]} -eq 0 ]]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi

print_cmd() {
    for a in "${missing_arches[@]}"; do echo "  dpkg --add-architecture $a"; done
    echo "  apt-get update"
    [[ ${#missing[@]} -gt 0 ]] && echo "  apt-get install -y --no-install-recommends ${missing[*]}"
    return 0
}

if [[ $check_only -eq 1 || $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]:-none}${missing_arches[*]:+; missing dpkg architectures: ${missing_arches[*]}}" >&2
    echo "install-deps: run as root:" >&2
    print_cmd >&2
    exit 1
fi

for a in "${missing_arches[@]}"; do
    echo "install-deps: dpkg --add-architecture $a"
    dpkg --add-architecture "$a"
done

export DEBIAN_FRONTEND=noninteractive
# Other processes (or engineers) may hold the dpkg lock for a while: wait rather than fail.
APT=(apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
# apt-get update can fail on one index (bookworm-security for a foreign arch while the
# mirrors sync); bookworm main holds the packages we need, so go on and let install decide.
if ! "${APT[@]}" update; then
    echo "install-deps: warning: apt-get update reported errors (tolerated; see above)" >&2
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "install-deps: installing ${missing[*]}"
    "${APT[@]}" install -y --no-install-recommends "${missing[@]}"
fi
echo "install-deps: done"
