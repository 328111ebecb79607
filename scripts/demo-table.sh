#!/usr/bin/env bash
# demo-table.sh: run each workload natively (x86-64 build), under `xarch run` (AArch64 build)
# and under qemu-aarch64 (same AArch64 build), check that all three print the same, and print
# wall times side by side with the slowdown against native.
#
#   scripts/demo-table.sh [SIZE]        SIZE: workload size (default 2); env TIMEOUT (s, default 300)
#
# Needs: target/release/xarch (cargo build --release), build/workloads/{x86_64,aarch64}
# (bench/workloads/build.sh) and qemu-aarch64. A run that fails or prints something different
# from the native run is shown as such instead of a time.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
size=${1:-2}
timeout_s=${TIMEOUT:-300}
xarch="$root/target/release/xarch"
wl="$root/build/workloads"

if ! [[ "$size" =~ ^[1-9][0-9]*$ ]]; then
    echo "demo-table: SIZE must be a positive integer, got '$size'" >&2
    exit 2
fi
for need in "$xarch" "$wl/x86_64" "$wl/aarch64"; do
    if [[ ! -e "$need" ]]; then
        echo "demo-table: $need is missing: run 'make build workloads' first" >&2
        exit 1
    fi
done
qemu=$(command -v qemu-aarch64 || true)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run LABEL CMD...: sets $secs (wall seconds) and $status ("ok", "exit N", "timeout",
# "differs"); output goes to $tmp/LABEL.out and is compared with the native one.
run() {
    local label=$1
    shift
    local t0 t1 rc
    t0=$(date +%s%N)
    timeout "$timeout_s" "$@" >"$tmp/$label.out" 2>"$tmp/$label.err"
    rc=$?
    t1=$(date +%s%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    if [[ $rc -eq 124 ]]; then
        status="timeout"
    elif [[ $rc -ne 0 ]]; then
        status="exit $rc"
    elif [[ "$label" != native ]] && ! cmp -s "$tmp/$label.out" "$tmp/native.out"; then
        status="differs"
    else
        status="ok"
    fi
}

# cell SECS STATUS NATIVE_SECS: "1.234 (12.3x)" or the failure.
cell() {
    if [[ "$2" != ok ]]; then
        printf '%s' "$2"
    else
        awk -v s="$1" -v n="$3" 'BEGIN { if (n > 0) printf "%.3f (%.1fx)", s, s / n; else printf "%.3f", s }'
    fi
}

echo "workload size $size; wall seconds (slowdown vs native); aarch64 builds under xarch and qemu"
printf '%-10s %12s %22s %22s\n' workload native "xarch run (aarch64)" "qemu-aarch64"
failures=0
geo_x=0 geo_q=0 n_x=0 n_q=0
for exe in "$wl"/x86_64/*; do
    name=$(basename "$exe")
    run native "$exe" "$size"
    nsecs=$secs nstatus=$status
    if [[ "$nstatus" != ok ]]; then
        printf '%-10s %12s\n' "$name" "$nstatus"
        failures=$((failures + 1))
        continue
    fi
    run xarch "$xarch" run "$wl/aarch64/$name" "$size"
    xcell=$(cell "$secs" "$status" "$nsecs")
    if [[ "$status" == ok ]]; then
        geo_x=$(awk -v g="$geo_x" -v s="$secs" -v n="$nsecs" 'BEGIN { print g + log(s / n) }')
        n_x=$((n_x + 1))
    else
        failures=$((failures + 1))
        first_err=$(head -n1 "$tmp/xarch.err")
        [[ -n "$first_err" ]] && xcell="$xcell: ${first_err:0:60}"
    fi
    if [[ -n "$qemu" ]]; then
        run qemu "$qemu" "$wl/aarch64/$name" "$size"
        qcell=$(cell "$secs" "$status" "$nsecs")
        if [[ "$status" == ok ]]; then
            geo_q=$(awk -v g="$geo_q" -v s="$secs" -v n="$nsecs" 'BEGIN { print g + log(s / n) }')
            n_q=$((n_q + 1))
        fi
    else
        qcell="(no qemu-aarch64)"
    fi
    printf '%-10s %12s %22s %22s\n' "$name" "$nsecs" "$xcell" "$qcell"
done
geo() { awk -v g="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1fx over %d", exp(g / n), n; else printf "-" }'; }
printf '%-10s %12s %22s %22s\n' "geomean" "" "$(geo "$geo_x" "$n_x")" "$(geo "$geo_q" "$n_q")"
if [[ $failures -gt 0 ]]; then
    echo "demo-table: $failures workload run(s) under xarch failed or differed from native"
fi
exit 0
