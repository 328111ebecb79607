#!/usr/bin/env bash
# build.sh: cross-build every workload in this folder, static, -O2, for each target whose
# Debian cross compiler is installed:
#
#   build/workloads/<arch>/<name>     arch: x86_64 aarch64 ppc64le ppc (32-bit big-endian)
#
#   bench/workloads/build.sh [ARCH...]     default: all four; a missing compiler is skipped
#                                          with a message (scripts/install-deps.sh installs it)
#
# Incremental: a binary is rebuilt only when it is older than its source, workload.h or this
# script. Outputs are written to a temporary name and renamed, so concurrent runs are safe.
# -ffp-contract=off: no target may fuse a*b+c into an FMA, so floating-point results (and
# therefore output) are bit-identical on every target.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out_root="$root/build/workloads"
CFLAGS=(-O2 -static -ffp-contract=off -fno-strict-aliasing -Wall -Wextra)

declare -A CC=(
    [x86_64]=gcc
    [aarch64]=aarch64-linux-gnu-gcc
    [ppc64le]=powerpc64le-linux-gnu-gcc
    [ppc]=powerpc-linux-gnu-gcc
)
declare -A PKG=(
    [x86_64]="gcc libc6-dev"
    [aarch64]="gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
    [ppc64le]="gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross"
    [ppc]="gcc-powerpc-linux-gnu libc6-dev-powerpc-cross"
)
ALL_ARCHES=(x86_64 aarch64 ppc64le ppc)

arches=("$@")
[[ ${#arches[@]} -eq 0 ]] && arches=("${ALL_ARCHES[@]}")
for a in "${arches[@]}"; do
    if [[ -z "${CC[$a]:-}" ]]; then
        echo "build.sh: unknown arch '$a' (known: ${ALL_ARCHES[*]})" >&2
        exit 2
    fi
done

shopt -s nullglob
sources=("$here"/*.c)
if [[ ${#sources[@]} -eq 0 ]]; then
    echo "build.sh: no workload sources in $here" >&2
    exit 1
fi

built=0 uptodate=0 failed=0 skipped=()
for a in "${arches[@]}"; do
    cc=${CC[$a]}
    if ! command -v "$cc" >/dev/null 2>&1; then
        skipped+=("$a")
        echo "build.sh: skipped $a: $cc not found (install: apt-get install ${PKG[$a]}, or run scripts/install-deps.sh as root)"
        continue
    fi
    mkdir -p "$out_root/$a"
    for src in "${sources[@]}"; do
        name=$(basename "$src" .c)
        out="$out_root/$a/$name"
        if [[ -x "$out" && "$out" -nt "$src" && "$out" -nt "$here/workload.h" && "$out" -nt "${BASH_SOURCE[0]}" ]]; then
            uptodate=$((uptodate + 1))
            continue
        fi
        tmp="$out.tmp.$$"
        if "$cc" "${CFLAGS[@]}" -o "$tmp" "$src" -lm; then
            mv -f "$tmp" "$out"
            built=$((built + 1))
            echo "build.sh: built $a/$name"
        else
            rm -f "$tmp"
            failed=$((failed + 1))
            echo "build.sh: FAILED $a/$name ($cc ${CFLAGS[*]} -o $out $src -lm)" >&2
        fi
    done
done
echo "build.sh: $built built, $uptodate up to date, $failed failed${skipped[*]:+, skipped: ${skipped[*]}} -> $out_root"
[[ $failed -eq 0 ]]
