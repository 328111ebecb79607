#!/usr/bin/env bash
# fetch-busybox.sh: download Debian's static busybox for each guest architecture and unpack
# it to build/busybox/<arch>/busybox (arch: aarch64, ppc64le, x86_64). Idempotent: an arch
# whose binary is already there is not fetched again.
#
# Needs the foreign dpkg architectures (arm64, ppc64el) and their package indexes, which
# scripts/install-deps.sh sets up when run as root.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_root="$root/build/busybox"
# xarch arch name : Debian arch name
ARCHES=(aarch64:arm64 ppc64le:ppc64el x86_64:amd64)

failed=0
updated=0
for pair in "${ARCHES[@]}"; do
    arch=${pair%%:*}
    deb_arch=${pair#*:}
    dest="$out_root/$arch/busybox"
    if [[ -x "$dest" ]]; then
        echo "fetch-busybox: $arch: present ($dest)"
        continue
    fi
    work=$(mktemp -d)
    # apt-get download writes into the current directory; as root it drops privileges to
    # _apt, which must be able to write there.
    chmod 0777 "$work"
    download() { (cd "$work" && apt-get download -q "busybox-static:$deb_arch" >/dev/null); }
    if ! download && [[ $(id -u) -eq 0 && $updated -eq 0 ]]; then
        # Stale or missing package lists (a fresh machine): refresh once and retry. Errors
        # on one index (bookworm-security for a foreign arch) are tolerated, see install-deps.sh.
        echo "fetch-busybox: refreshing package lists (apt-get update)"
        apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null || true
        updated=1
    fi
    if ! compgen -G "$work/busybox-static_*.deb" >/dev/null && ! download; then
        echo "fetch-busybox: $arch: 'apt-get download busybox-static:$deb_arch' failed;" \
            "run scripts/install-deps.sh as root (it adds the $deb_arch dpkg architecture and runs apt-get update)" >&2
        rm -rf "$work"
        failed=1
        continue
    fi
    deb=$(ls "$work"/busybox-static_*.deb)
    dpkg-deb -x "$deb" "$work/x"
    mkdir -p "$out_root/$arch"
    cp "$work/x/bin/busybox" "$dest.tmp.$$"
    chmod 0755 "$dest.tmp.$$"
    mv -f "$dest.tmp.$$" "$dest"
    echo "fetch-busybox: $arch: $(basename "$deb") -> $dest"
    rm -rf "$work"
done
exit $failed
