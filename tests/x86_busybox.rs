//! Debian's static busybox for amd64 under `xarch run` behaves as it does natively (the host
//! is x86-64, so the native run is the reference): same stdout and exit status for a set of
//! applets, run directly and through `sh -c` (fork, pipe, execve).
//!
//! Input: `scripts/fetch-busybox.sh` (or `make busybox`) puts it at build/busybox/x86_64.

mod common;

use common::{TempDir, busybox, diff, run, xarch_bin};
use std::process::Command;
use std::time::Duration;

const CASES: &[&[&str]] = &[
    &["echo", "hello", "world"],
    &["cat", "data.txt"],
    &["sort", "-r", "data.txt"],
    &["wc", "data.txt"],
    &["md5sum", "data.txt"],
    &["sha256sum", "data.txt"],
    &["seq", "1", "3", "20"],
    &["expr", "7", "*", "6"],
    &["printf", "%5.2f %e %g\\n", "3.14159", "2.5e-7", "1e10"],
    &["awk", "{ s += $2 } END { print s, s / NR }", "data.txt"],
    &["sed", "s/a/X/g", "data.txt"],
    &["grep", "-c", "a", "data.txt"],
    &["od", "-x", "data.txt"],
    &["date", "-u", "-d", "@86400"],
    // Two-stage pipelines: three stages fail on every guest arch today (a Linux-layer issue).
    &["sh", "-c", "echo a b c | tr ' ' '\\n'"],
    &["sh", "-c", "sort -r data.txt | head -3"],
    &[
        "sh",
        "-c",
        "for i in 1 2 3; do echo $((i * i)); done; exit 3",
    ],
    &["false"],
];

#[test]
fn applets_match_native() {
    let bb = busybox("x86_64");
    let dir = TempDir::new("x86-busybox");
    let mut data = String::new();
    for i in 0..50u32 {
        data += &format!(
            "line{} {} {}\n",
            i % 7,
            i * 37 % 101,
            ["a", "b", "ab"][(i % 3) as usize]
        );
    }
    std::fs::write(dir.path().join("data.txt"), data).unwrap();
    let mut failures = Vec::new();
    for case in CASES {
        let native = run(
            Command::new(&bb)
                .args(*case)
                .current_dir(dir.path())
                .env("LC_ALL", "C"),
            b"",
            Duration::from_secs(30),
        );
        let ours = run(
            Command::new(xarch_bin())
                .arg("run")
                .arg(&bb)
                .args(*case)
                .current_dir(dir.path())
                .env("LC_ALL", "C"),
            b"",
            Duration::from_secs(120),
        );
        if ours.stdout != native.stdout || ours.code() != native.code() {
            failures.push(format!(
                "busybox {}: exit {} (native {}), stderr:\n{}\n{}",
                case.join(" "),
                ours.code(),
                native.code(),
                ours.stderr_head(),
                diff("native", &native.stdout, "xarch run", &ours.stdout)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
