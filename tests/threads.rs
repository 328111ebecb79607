//! Guest threads under `xarch run`: `tests/threads/threads.c` (pthreads), built static for
//! x86-64 (the reference, run natively), AArch64, ppc64le and 32-bit big-endian PowerPC, runs
//! each case under xarch for every guest and tier and must print what the native build
//! prints and exit as it does (the `exit3` case: status 3 from a thread's `exit`). The host's
//! dynamic `sort --parallel=4` must sort as natively, with guest threads.
//!
//! Inputs: gcc, aarch64-linux-gnu-gcc, powerpc64le-linux-gnu-gcc, powerpc-linux-gnu-gcc,
//! sort (coreutils).

mod common;

use common::{Outcome, TempDir, diff, require_tool, run, xarch_bin};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// The cases of `threads.c`, one process each.
const CASES: &[&str] = &[
    "counters",
    "condvar",
    "tls",
    "exitvalue",
    "exit3",
    "signal",
    "many",
    "mmap",
    "selfmod",
    "mainexit",
    "robust",
];

/// The builds of `threads.c`: x86-64 (also the native reference) and the DBT guests.
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

/// `threads.c` built for `g`, compiled once per test binary (each guest on first use).
fn build(g: Guest) -> &'static Path {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    static BUILT: [OnceLock<PathBuf>; 4] = [const { OnceLock::new() }; 4];
    BUILT[g as usize].get_or_init(|| {
        let dir = DIR.get_or_init(|| TempDir::new("threads"));
        let src = common::repo_root().join("tests/threads/threads.c");
        let out = dir.path().join(format!("threads-{g:?}"));
        let (cc, package) = g.compiler();
        let cc = require_tool(cc, package);
        let o = Command::new(&cc)
            .args(["-static", "-O1", "-pthread", "-o"])
            .arg(&out)
            .arg(&src)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", cc.display()));
        assert!(
            o.status.success(),
            "{} failed:\n{}",
            cc.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        out
    })
}

fn check(label: &str, reference: &Outcome, got: &Outcome) {
    assert!(
        !got.timed_out && got.code() == reference.code() && got.stdout == reference.stdout,
        "{label}: exit {} (native {}){}, stderr:\n{}\n{}",
        got.code(),
        reference.code(),
        if got.timed_out { ", timed out" } else { "" },
        got.stderr_head(),
        diff("native", &reference.stdout, label, &got.stdout)
    );
    // No "unimplemented" warnings: every call a thread library makes is served.
    assert!(
        got.stderr.is_empty(),
        "{label}: stderr:\n{}",
        got.stderr_head()
    );
}

/// Runs every case natively and under `xarch run [opts] <build>` and compares.
fn cases_match_native(guest: Guest, opts: &[&str]) {
    let x86 = build(Guest::X86_64);
    let exe = build(guest);
    let t = Duration::from_secs(60);
    for case in CASES {
        let native = run(Command::new(x86).arg(case), b"", t);
        assert!(!native.timed_out, "native {case} timed out");
        let expected = if *case == "exit3" { 3 } else { 0 };
        assert_eq!(
            native.code(),
            expected,
            "native {case}: {}",
            native.stderr_head()
        );
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
fn x86_64_threads_run_as_natively() {
    cases_match_native(Guest::X86_64, &[]);
}

#[test]
fn x86_64_threads_run_as_natively_interpreted() {
    cases_match_native(Guest::X86_64, &["--interp-only"]);
}

#[test]
fn x86_64_threads_run_as_natively_compiled_at_once() {
    cases_match_native(Guest::X86_64, &["--hot-threshold", "0"]);
}

#[test]
fn aarch64_threads_run_as_natively() {
    cases_match_native(Guest::Aarch64, &[]);
}

#[test]
fn aarch64_threads_run_as_natively_interpreted() {
    cases_match_native(Guest::Aarch64, &["--interp-only"]);
}

#[test]
fn aarch64_threads_run_as_natively_compiled_at_once() {
    cases_match_native(Guest::Aarch64, &["--hot-threshold", "0"]);
}

#[test]
fn ppc64le_threads_run_as_natively() {
    cases_match_native(Guest::Ppc64le, &[]);
}

#[test]
fn ppc64le_threads_run_as_natively_interpreted() {
    cases_match_native(Guest::Ppc64le, &["--interp-only"]);
}

#[test]
fn ppc64le_threads_run_as_natively_compiled_at_once() {
    cases_match_native(Guest::Ppc64le, &["--hot-threshold", "0"]);
}

#[test]
fn ppc_threads_run_as_natively() {
    cases_match_native(Guest::Ppc, &[]);
}

#[test]
fn ppc_threads_run_as_natively_interpreted() {
    cases_match_native(Guest::Ppc, &["--interp-only"]);
}

#[test]
fn ppc_threads_run_as_natively_compiled_at_once() {
    cases_match_native(Guest::Ppc, &["--hot-threshold", "0"]);
}

/// A real threaded program: the host's own (dynamic, x86-64) `sort --parallel=4` through
/// `-L /` sorts with helper threads and prints what it prints natively.
#[test]
fn x86_64_sort_parallel_matches_native() {
    let sort = require_tool("sort", "coreutils");
    let dir = TempDir::new("threads-sort");
    let input = dir.path().join("numbers.txt");
    // 300000 numbers from a fixed linear congruential sequence: enough lines that sort
    // splits the work between threads.
    let mut x: u64 = 1;
    let mut text = String::new();
    for _ in 0..300_000 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        text.push_str(&format!("{}\n", x >> 34));
    }
    std::fs::write(&input, text).unwrap();
    let args = ["-n", "--parallel=4", "-S", "100M"];
    let t = Duration::from_secs(120);
    let native = run(Command::new(&sort).args(args).arg(&input), b"", t);
    assert_eq!(native.code(), 0, "native sort: {}", native.stderr_head());
    let got = run(
        Command::new(xarch_bin())
            .args(["run", "--strace", "-L", "/"])
            .arg(&sort)
            .args(args)
            .arg(&input),
        b"",
        t,
    );
    assert!(
        !got.timed_out && got.code() == 0 && got.stdout == native.stdout,
        "xarch run sort: exit {}{}\n{}",
        got.code(),
        if got.timed_out { ", timed out" } else { "" },
        got.stderr_head()
    );
    let strace = String::from_utf8_lossy(&got.stderr);
    assert!(
        strace.contains("= <thread>"),
        "sort started no guest thread:\n{}",
        got.stderr_head()
    );
}

/// `forkstress`: 100 forks by the first thread while three others take the address space's,
/// the signal actions' and the engine list's locks in loops; every child must run (before,
/// one that inherited a lock held by another thread hung). Under a timeout.
fn fork_while_threads_hold_locks(guest: Guest) {
    let t = Duration::from_secs(120);
    let native = run(
        Command::new(build(Guest::X86_64)).args(["forkstress", "100"]),
        b"",
        t,
    );
    assert_eq!(native.stdout, b"forkstress 100 of 100 children ran\n");
    let exe = build(guest);
    let got = run(
        Command::new(xarch_bin())
            .arg("run")
            .arg(exe)
            .args(["forkstress", "100"]),
        b"",
        t,
    );
    check(
        &format!("xarch run {} forkstress", exe.display()),
        &native,
        &got,
    );
}

#[test]
fn x86_64_fork_while_threads_hold_locks() {
    fork_while_threads_hold_locks(Guest::X86_64);
}

#[test]
fn aarch64_fork_while_threads_hold_locks() {
    fork_while_threads_hold_locks(Guest::Aarch64);
}

#[test]
fn ppc64le_fork_while_threads_hold_locks() {
    fork_while_threads_hold_locks(Guest::Ppc64le);
}

#[test]
fn ppc_fork_while_threads_hold_locks() {
    fork_while_threads_hold_locks(Guest::Ppc);
}

/// `--strace` names each line's thread, as `strace -f` does: the `robust` case's second
/// thread calls gettid, whose line must begin with the id it returns, which is not the pid
/// (the first thread's lines).
fn strace_shows_the_tid(guest: Guest) {
    let exe = build(guest);
    let got = run(
        Command::new(xarch_bin())
            .args(["run", "--strace"])
            .arg(exe)
            .arg("robust"),
        b"",
        Duration::from_secs(60),
    );
    assert_eq!(got.code(), 0, "{}", got.stderr_head());
    let text = String::from_utf8_lossy(&got.stderr);
    let first = text
        .lines()
        .next()
        .and_then(|l| l.split(' ').next())
        .expect("an strace line");
    let gettid: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| {
            let (who, rest) = l.split_once(' ')?;
            Some((who, rest.strip_prefix("gettid() = ")?))
        })
        .collect();
    assert!(!gettid.is_empty(), "no gettid line:\n{}", got.stderr_head());
    for (who, ret) in &gettid {
        assert_eq!(who, ret, "a gettid line names another thread:\n{text}");
        assert_ne!(
            *who, first,
            "the thread's gettid line shows the pid:\n{text}"
        );
    }
}

#[test]
fn x86_64_strace_shows_the_tid() {
    strace_shows_the_tid(Guest::X86_64);
}

#[test]
fn ppc_strace_shows_the_tid() {
    strace_shows_the_tid(Guest::Ppc);
}

/// `exit3` ends the process by `exit(3)` (exit_group) in a thread besides the first:
/// `--stats` is printed all the same, and `--stats-json` written, counting every thread.
#[test]
fn stats_after_exit_group_from_a_thread() {
    let dir = TempDir::new("threads-stats");
    let json = dir.path().join("stats.json");
    let exe = build(Guest::Aarch64);
    let got = run(
        Command::new(xarch_bin())
            .args(["run", "--stats", "--stats-json"])
            .arg(&json)
            .arg(exe)
            .arg("exit3"),
        b"",
        Duration::from_secs(60),
    );
    assert_eq!(got.code(), 3, "{}", got.stderr_head());
    let text = String::from_utf8_lossy(&got.stderr);
    let syscalls: u64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("syscalls"))
        .unwrap_or_else(|| panic!("no statistics printed:\n{text}"))
        .trim()
        .parse()
        .expect("a syscall count");
    assert!(syscalls > 10, "{syscalls} syscalls counted:\n{text}");
    let j = std::fs::read_to_string(&json).expect("--stats-json written");
    assert!(j.contains(&format!("\"syscalls\":{syscalls}")), "{j}");
}
