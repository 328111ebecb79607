//! Guest signal delivery under `xarch run`: `tests/signals/sig.c`, built static for x86-64
//! (the reference, run natively) and AArch64, runs each case under xarch for both arches and
//! must print what the native build prints. Busybox's shell `trap` must match qemu-aarch64.
//!
//! Inputs: gcc, aarch64-linux-gnu-gcc, qemu-aarch64 and busybox (`make busybox`).

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
];

/// The two builds, compiled once per test binary: (their directory, x86-64, AArch64).
fn builds() -> &'static (TempDir, PathBuf, PathBuf) {
    static B: OnceLock<(TempDir, PathBuf, PathBuf)> = OnceLock::new();
    B.get_or_init(|| {
        let dir = TempDir::new("signals");
        let src = common::repo_root().join("tests/signals/sig.c");
        let x86 = dir.path().join("sig-x86_64");
        let a64 = dir.path().join("sig-aarch64");
        compile(&require_tool("gcc", "gcc"), &src, &x86);
        compile(
            &require_tool("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
            &src,
            &a64,
        );
        (dir, x86, a64)
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
fn cases_match_native(aarch64: bool, opts: &[&str]) {
    let (_, x86, a64) = builds();
    let exe = if aarch64 { a64 } else { x86 };
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
    cases_match_native(true, &[]);
}

#[test]
fn aarch64_handlers_run_as_natively_interpreted() {
    cases_match_native(true, &["--interp-only"]);
}

#[test]
fn aarch64_handlers_run_as_natively_compiled_at_once() {
    cases_match_native(true, &["--hot-threshold", "0"]);
}

#[test]
fn x86_64_handlers_run_as_natively() {
    cases_match_native(false, &[]);
}

#[test]
fn x86_64_handlers_run_as_natively_compiled_at_once() {
    cases_match_native(false, &["--hot-threshold", "0"]);
}

#[test]
fn busybox_sh_trap_matches_qemu() {
    let bb = busybox("aarch64");
    let qemu = require_tool("qemu-aarch64", "qemu-user");
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
    check("xarch run busybox sh", &reference, &got);
}
