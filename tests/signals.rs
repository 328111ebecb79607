//! Guest signal delivery under `xarch run`: `tests/signals/sig.c`, built static for x86-64
//! (the reference, run natively), AArch64, ppc64le and 32-bit big-endian PowerPC, runs each
//! case under xarch for every guest and must print what the native build prints. Busybox's
//! shell `trap` must match qemu-aarch64 and qemu-ppc64le.
//!
//! Inputs: gcc, aarch64-linux-gnu-gcc, powerpc64le-linux-gnu-gcc, powerpc-linux-gnu-gcc,
//! qemu-aarch64, qemu-ppc64le and busybox (`make busybox`).

mod common;

use common::{Outcome, TempDir, busybox, diff, require_tool, run, xarch_bin};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// The cases of `sig.c`, one process each.
const CASES: &[&str] = &[
    "raise",
    "siginfo",
    "alarm",
    "samask",
    "mask",
    "chld",
    "loop",
    "resethand",
    "restart",
    "state",
];

/// The builds of `sig.c`: x86-64 (also the native reference) and the DBT guests.
#[derive(Clone, Copy, Debug)]
enum Guest {
    X86_64,
    Aarch64,
    Ppc64le,
    Ppc,
}

impl Guest {
    /// The cross compiler and the Debian package that has it.
    fn compiler(self) -> (&'static str, &'static str) {
        match self {
            Guest::X86_64 => ("gcc", "gcc"),
            Guest::Aarch64 => ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
            Guest::Ppc64le => ("powerpc64le-linux-gnu-gcc", "gcc-powerpc64le-linux-gnu"),
            Guest::Ppc => ("powerpc-linux-gnu-gcc", "gcc-powerpc-linux-gnu"),
        }
    }
}

/// `sig.c` built for `g`, compiled once per test binary (each guest on first use).
fn build(g: Guest) -> &'static Path {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    static BUILT: [OnceLock<PathBuf>; 4] = [const { OnceLock::new() }; 4];
    BUILT[g as usize].get_or_init(|| {
        let dir = DIR.get_or_init(|| TempDir::new("signals"));
        let src = common::repo_root().join("tests/signals/sig.c");
        let out = dir.path().join(format!("sig-{g:?}"));
        let (cc, package) = g.compiler();
        compile(&require_tool(cc, package), &src, &out);
        out
    })
}

fn compile(cc: &Path, src: &Path, out: &Path) {
    let o = Command::new(cc)
        .args(["-static", "-O1", "-o"])
        .arg(out)
        .arg(src)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cc.display()));
    assert!(
        o.status.success(),
        "{} failed:\n{}",
        cc.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn check(label: &str, reference: &Outcome, got: &Outcome) {
    assert!(
        !got.timed_out && got.code() == reference.code() && got.stdout == reference.stdout,
        "{label}: exit {} (native {}), stderr:\n{}\n{}",
        got.code(),
        reference.code(),
        got.stderr_head(),
        diff("native", &reference.stdout, label, &got.stdout)
    );
}

/// Runs every case natively and under `xarch run [opts] <build>` and compares.
fn cases_match_native(guest: Guest, opts: &[&str]) {
    let x86 = build(Guest::X86_64);
    let exe = build(guest);
    let t = Duration::from_secs(60);
    for case in CASES {
        let native = run(Command::new(x86).arg(case), b"", t);
        assert_eq!(native.code(), 0, "native {case}: {}", native.stderr_head());
        let got = run(
            Command::new(xarch_bin())
                .arg("run")
                .args(opts)
                .arg(exe)
                .arg(case),
            b"",
            t,
        );
        check(
            &format!("xarch run {} {} {case}", opts.join(" "), exe.display()),
            &native,
            &got,
        );
    }
}

#[test]
fn aarch64_handlers_run_as_natively() {
    cases_match_native(Guest::Aarch64, &[]);
}

#[test]
fn aarch64_handlers_run_as_natively_interpreted() {
    cases_match_native(Guest::Aarch64, &["--interp-only"]);
}

#[test]
fn aarch64_handlers_run_as_natively_compiled_at_once() {
    cases_match_native(Guest::Aarch64, &["--hot-threshold", "0"]);
}

#[test]
fn x86_64_handlers_run_as_natively() {
    cases_match_native(Guest::X86_64, &[]);
}

#[test]
fn x86_64_handlers_run_as_natively_compiled_at_once() {
    cases_match_native(Guest::X86_64, &["--hot-threshold", "0"]);
}

#[test]
fn ppc64le_handlers_run_as_natively() {
    cases_match_native(Guest::Ppc64le, &[]);
}

#[test]
fn ppc64le_handlers_run_as_natively_interpreted() {
    cases_match_native(Guest::Ppc64le, &["--interp-only"]);
}

#[test]
fn ppc64le_handlers_run_as_natively_compiled_at_once() {
    cases_match_native(Guest::Ppc64le, &["--hot-threshold", "0"]);
}

#[test]
fn ppc_handlers_run_as_natively() {
    cases_match_native(Guest::Ppc, &[]);
}

#[test]
fn ppc_handlers_run_as_natively_interpreted() {
    cases_match_native(Guest::Ppc, &["--interp-only"]);
}

#[test]
fn ppc_handlers_run_as_natively_compiled_at_once() {
    cases_match_native(Guest::Ppc, &["--hot-threshold", "0"]);
}

/// Busybox's `sh` runs a `trap` handler for a signal it sends itself, as under qemu-user.
fn busybox_sh_trap_matches_qemu(arch: &str, qemu: &str) {
    let bb = busybox(arch);
    let qemu = require_tool(qemu, "qemu-user");
    let script = r#"trap "echo got" USR1; kill -USR1 $$; echo after"#;
    let t = Duration::from_secs(60);
    let reference = run(
        Command::new(qemu).arg(&bb).args(["sh", "-c", script]),
        b"",
        t,
    );
    assert_eq!(reference.stdout_str(), "got\nafter\n");
    let got = run(
        Command::new(xarch_bin())
            .arg("run")
            .arg(&bb)
            .args(["sh", "-c", script]),
        b"",
        t,
    );
    check(&format!("xarch run busybox sh ({arch})"), &reference, &got);
}

#[test]
fn busybox_sh_trap_matches_qemu_aarch64() {
    busybox_sh_trap_matches_qemu("aarch64", "qemu-aarch64");
}

#[test]
fn busybox_sh_trap_matches_qemu_ppc64le() {
    busybox_sh_trap_matches_qemu("ppc64le", "qemu-ppc64le");
}
