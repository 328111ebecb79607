//! Program tests: the workloads in `bench/workloads/` must print the same bytes and exit
//! the same way on every path.
//!
//! - `native::*`: the x86-64 build keeps the workload contract (self-check passes, last line
//!   `checksum <16 hex>`, output depends on SIZE only, bad usage exits 2).
//! - `qemu_<arch>::*`: the cross builds under qemu-user print what the native build prints;
//!   this pins the workloads' portability (byte order, `long` width, FMA contraction), so a
//!   difference under xarch is xarch's.
//! - `dbt_<arch>[_<engine setting>]::*`: `xarch run [options] <arch build> SIZE` prints what
//!   the native build prints; each module lists the workloads that pass today.
//!
//! The KVM path's program tests are in `tests/kvm.rs`.
//!
//! Inputs: `make workloads` (or `bench/workloads/build.sh`); a missing one fails the test
//! with the command to run.

mod common;

use common::{Outcome, diff, require_tool, run, workload, xarch_bin};
use std::process::Command;
use std::time::Duration;

/// The size the tests run: the smallest (about 0.05 s natively).
const SIZE: &str = "1";

fn run_native(name: &str, args: &[&str]) -> Outcome {
    let exe = workload("x86_64", name);
    run(Command::new(&exe).args(args), b"", Duration::from_secs(60))
}

/// Runs the native build at SIZE, checks the contract, returns its output.
fn native_reference(name: &str) -> Outcome {
    let out = run_native(name, &[SIZE]);
    assert!(
        out.code() == 0,
        "native {name} {SIZE} exited {} (self-check failed?):\n{}{}",
        out.code(),
        out.stdout_str(),
        out.stderr_head()
    );
    out
}

fn check_native_contract(name: &str) {
    let a = native_reference(name);
    let text = a.stdout_str();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.len() >= 3,
        "{name}: expected a few lines of output, got {text:?}"
    );
    let last = lines[lines.len() - 1];
    let hex = last
        .strip_prefix("checksum ")
        .unwrap_or_else(|| panic!("{name}: last line {last:?}"));
    assert!(
        hex.len() == 16
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{name}: last line must be `checksum <16 lowercase hex digits>`, got {last:?}"
    );
    assert_eq!(lines[lines.len() - 2], "self-check ok", "{name}");

    // Deterministic: a second run prints the same bytes; SIZE changes the work and the checksum.
    let again = run_native(name, &[SIZE]);
    assert!(
        again.stdout == a.stdout,
        "{name}: two runs differ:\n{}",
        diff("run 1", &a.stdout, "run 2", &again.stdout)
    );
    let two = run_native(name, &["2"]);
    assert_eq!(two.code(), 0, "{name} 2: {}", two.stderr_head());
    assert_ne!(
        two.stdout.last_chunk::<17>(),
        a.stdout.last_chunk::<17>(),
        "{name}: SIZE 2 gives the SIZE 1 checksum"
    );
    // The default size is 1.
    let default = run_native(name, &[]);
    assert!(
        default.stdout == a.stdout,
        "{name}: no argument must mean SIZE 1"
    );

    for bad in ["0", "x", "-1", "1001", ""] {
        let out = run_native(name, &[bad]);
        assert_eq!(
            out.code(),
            2,
            "{name} {bad:?}: bad usage must exit 2, got {}",
            out.code()
        );
        assert!(
            out.stdout.is_empty(),
            "{name} {bad:?}: bad usage printed to stdout"
        );
        assert!(
            !out.stderr.is_empty(),
            "{name} {bad:?}: bad usage printed no message"
        );
    }
}

/// `runner` (a qemu-user binary, or `xarch run`) runs the `arch` build at SIZE; its stdout and
/// exit status must equal the native build's.
fn check_against_native(label: &str, arch: &str, name: &str, mut cmd: Command) {
    let reference = native_reference(name);
    let exe = workload(arch, name);
    let out = run(cmd.arg(&exe).arg(SIZE), b"", Duration::from_secs(600));
    assert!(
        !out.timed_out,
        "{label} {arch}/{name} {SIZE}: timed out after {:?}",
        out.elapsed
    );
    assert!(
        out.stdout == reference.stdout && out.code() == reference.code(),
        "{label} {arch}/{name} {SIZE}: exit {} (native: {}), stderr:\n{}\n{}",
        out.code(),
        reference.code(),
        out.stderr_head(),
        diff(
            "native x86_64",
            &reference.stdout,
            &format!("{label} {arch}"),
            &out.stdout
        )
    );
}

fn check_qemu(arch: &str, name: &str) {
    let (qemu, pkg) = match arch {
        "aarch64" => ("qemu-aarch64", "qemu-user"),
        "ppc64le" => ("qemu-ppc64le", "qemu-user"),
        "ppc" => ("qemu-ppc", "qemu-user"),
        _ => unreachable!(),
    };
    let qemu = require_tool(qemu, pkg);
    check_against_native("qemu", arch, name, Command::new(qemu));
}

fn check_dbt(arch: &str, name: &str, options: &[&str]) {
    let mut cmd = Command::new(xarch_bin());
    cmd.arg("run").args(options);
    let label = format!("xarch run {}", options.join(" "));
    check_against_native(label.trim_end(), arch, name, cmd);
}

/// One test per workload in each module. `list_is_complete` keeps the list in step with the
/// sources.
macro_rules! workload_tests {
    ($($name:ident),* $(,)?) => {
        const ALL: &[&str] = &[$(stringify!($name)),*];
        mod native { $( #[test] fn $name() { super::check_native_contract(stringify!($name)); } )* }
        mod qemu_aarch64 { $( #[test] fn $name() { super::check_qemu("aarch64", stringify!($name)); } )* }
        mod qemu_ppc64le { $( #[test] fn $name() { super::check_qemu("ppc64le", stringify!($name)); } )* }
        mod qemu_ppc { $( #[test] fn $name() { super::check_qemu("ppc", stringify!($name)); } )* }
    };
}

workload_tests!(
    alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls
);

/// The DBT tests, per guest arch and engine setting: the workloads `xarch run` runs
/// correctly today.
macro_rules! dbt_tests {
    ($module:ident, $arch:literal, [$($opt:literal),*]: $($name:ident),* $(,)?) => {
        mod $module {
            const OPTIONS: &[&str] = &[$($opt),*];
            $( #[test] fn $name() { super::check_dbt($arch, stringify!($name), OPTIONS); } )*
        }
    };
}

#[test]
fn list_is_complete() {
    assert_eq!(
        common::workload_names(),
        ALL,
        "update workload_tests! in tests/programs.rs"
    );
}

// Default engine: tier 0, then Cranelift for hot blocks.
dbt_tests!(dbt_aarch64, "aarch64", []:
    alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls);
// Every block compiled at its first run: the Cranelift tier on cold code too.
dbt_tests!(dbt_aarch64_compile_all, "aarch64", ["--hot-threshold", "0"]:
    alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls);
// Tier 0 only; the interpreter is slow, so only the workloads that finish in seconds.
dbt_tests!(dbt_aarch64_interp_only, "aarch64", ["--interp-only"]: syscalls);

// The x86-64 build through the DBT (x86-64 guest on an x86-64 host).
dbt_tests!(dbt_x86_64, "x86_64", []:
    alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls);
dbt_tests!(dbt_x86_64_compile_all, "x86_64", ["--hot-threshold", "0"]:
    alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls);

// PowerPC: 64-bit little-endian (ELFv2) and 32-bit big-endian builds.
dbt_tests!(dbt_ppc64le, "ppc64le", []:
    alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls);
dbt_tests!(dbt_ppc64le_compile_all, "ppc64le", ["--hot-threshold", "0"]:
    alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls);
dbt_tests!(dbt_ppc, "ppc", []:
    alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls);
dbt_tests!(dbt_ppc_compile_all, "ppc", ["--hot-threshold", "0"]:
    alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls);
