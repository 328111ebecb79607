//! Guest signal handlers under `xarch kvm`: the x86-64 programs of `tests/signals.rs`
//! (`tests/signals/sig.c`) and `tests/kvm_signals/ks.c` (fault handlers with siginfo and
//! sigcontext, faults with their signal blocked, handlers that change the interrupted
//! registers through the frame, AVX and AVX-512 registers and MXCSR across a handler
//! through the XSAVE fpstate, SA_ONSTACK on a sigaltstack, a stack overflow included) run
//! natively and under `xarch kvm`; stdout and exit status must match. Busybox's `sh` `trap`
//! must too.
//!
//! Inputs: gcc, /dev/kvm, busybox (`make busybox`). Without /dev/kvm the tests fail saying so.

mod common;

use common::{Outcome, TempDir, busybox, diff, require_tool, run, xarch_bin};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// The cases of `tests/signals/sig.c`, one process each.
const SIG_CASES: &[&str] = &[
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

/// The cases of `tests/kvm_signals/ks.c`.
const KS_CASES: &[&str] = &[
    "segv",
    "fpe",
    "ill",
    "trap",
    "resethand",
    "vec",
    "altstack",
    "nested",
    "nested_nodefer",
    "nested_blocked",
];

fn require_kvm() {
    let ok = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm");
    assert!(
        ok.is_ok(),
        "/dev/kvm is not usable here ({:?}): the xarch kvm tests need it",
        ok.err()
    );
}

/// `src` (relative to the repository) built static for x86-64 with gcc, once per name.
fn build(src: &str, name: &str) -> PathBuf {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| TempDir::new("kvm-signals"));
    let out = dir.path().join(name);
    if out.exists() {
        return out;
    }
    let cc = require_tool("gcc", "gcc");
    let tmp = dir
        .path()
        .join(format!("{name}.tmp{:?}", std::thread::current().id()));
    let o = Command::new(&cc)
        .args(["-static", "-O1", "-o"])
        .arg(&tmp)
        .arg(common::repo_root().join(src))
        .output()
        .unwrap_or_else(|e| panic!("cannot run gcc: {e}"));
    assert!(
        o.status.success(),
        "gcc {src} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::rename(&tmp, &out).expect("rename the built program");
    out
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

/// Runs every case natively and under `xarch kvm` and compares.
fn cases_match_native(exe: &Path, cases: &[&str]) {
    require_kvm();
    for case in cases {
        let native = run(Command::new(exe).arg(case), b"", LIMIT);
        assert!(!native.timed_out, "native {case} timed out");
        let got = run(
            Command::new(xarch_bin()).arg("kvm").arg(exe).arg(case),
            b"",
            LIMIT,
        );
        check(
            &format!("xarch kvm {} {case}", exe.display()),
            &native,
            &got,
        );
    }
}

#[test]
fn signal_programs_run_as_natively() {
    let exe = build("tests/signals/sig.c", "sig");
    cases_match_native(&exe, SIG_CASES);
}

#[test]
fn fault_handlers_and_vector_state_as_natively() {
    let exe = build("tests/kvm_signals/ks.c", "ks");
    // The reference must really exercise what it claims (handlers ran, registers kept).
    let native = run(Command::new(&exe).arg("vec"), b"", LIMIT);
    assert!(
        native
            .stdout_str()
            .starts_with("vec: ymm kept 1 xmm2 0xabcdef mxcsr after 0x9fc0\n"),
        "native vec: {}",
        native.stdout_str()
    );
    cases_match_native(&exe, KS_CASES);
}

#[test]
fn busybox_sh_trap_matches_native() {
    require_kvm();
    let bb = busybox("x86_64");
    let script = r#"trap "echo got" USR1; kill -USR1 $$; echo after"#;
    let native = run(Command::new(&bb).args(["sh", "-c", script]), b"", LIMIT);
    assert_eq!(native.stdout_str(), "got\nafter\n");
    let got = run(
        Command::new(xarch_bin())
            .arg("kvm")
            .arg(&bb)
            .args(["sh", "-c", script]),
        b"",
        LIMIT,
    );
    check("xarch kvm busybox sh trap", &native, &got);
}
