//! AArch64 extensions beyond ARMv8.0 in a real program: `tests/a64ext/a64ext.c` uses CRC32,
//! AES, SHA-1, SHA-256 and PMULL through ACLE intrinsics, LSE atomics (as C11 atomics compile
//! with -march=armv8.1-a, plus LDSMAX & co. and a 128-bit CASP) from four threads, and the ID
//! registers against AT_HWCAP, and the SIGBUS of misaligned atomics. Built static with
//! `aarch64-linux-gnu-gcc -O2 -march=armv8.1-a+crc+crypto`, each case must print under
//! `xarch run` (every tier) what it prints under `qemu-aarch64`, and its own checks against
//! the FIPS-197/180-4 and CRC-catalogue vectors must pass.
//!
//! Inputs: aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu), aarch64-linux-gnu-objdump
//! (binutils-aarch64-linux-gnu), qemu-aarch64 (qemu-user).

mod common;

use common::{TempDir, diff, require_tool, run, xarch_bin};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// `a64ext.c` built once per test binary.
fn build() -> &'static Path {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = DIR.get_or_init(|| TempDir::new("a64ext"));
        let src = common::repo_root().join("tests/a64ext/a64ext.c");
        let out = dir.path().join("a64ext");
        let cc = require_tool("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
        let o = Command::new(&cc)
            .args([
                "-static",
                "-O2",
                "-march=armv8.1-a+crc+crypto",
                "-pthread",
                "-o",
            ])
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

/// Runs one case under qemu-aarch64 (the reference) and under `xarch run` with each tier
/// setting; all must print the same, exit 0, and report no failed check.
fn case_matches_qemu(case: &str) {
    let exe = build();
    let qemu = require_tool("qemu-aarch64", "qemu-user");
    let t = Duration::from_secs(120);
    let want = run(Command::new(&qemu).arg(exe).arg(case), b"", t);
    assert!(
        !want.timed_out && want.code() == 0,
        "qemu-aarch64 a64ext {case}: exit {}, stderr:\n{}",
        want.code(),
        want.stderr_head()
    );
    let text = want.stdout_str();
    assert!(
        text.lines().count() >= 2 && !text.contains("MISMATCH"),
        "qemu-aarch64 a64ext {case}:\n{text}"
    );
    for opts in [&[][..], &["--interp-only"], &["--hot-threshold", "0"]] {
        let got = run(
            Command::new(xarch_bin())
                .arg("run")
                .args(opts)
                .arg(exe)
                .arg(case),
            b"",
            t,
        );
        let label = format!("xarch run {} a64ext {case}", opts.join(" "));
        assert!(
            !got.timed_out && got.code() == 0 && got.stdout == want.stdout,
            "{label}: exit {}{}, stderr:\n{}\n{}",
            got.code(),
            if got.timed_out { " (timed out)" } else { "" },
            got.stderr_head(),
            diff("qemu-aarch64", &want.stdout, &label, &got.stdout)
        );
    }
}

#[test]
fn crc32() {
    case_matches_qemu("crc");
}

#[test]
fn aes() {
    case_matches_qemu("aes");
}

#[test]
fn sha1_sha256() {
    case_matches_qemu("sha");
}

#[test]
fn pmull() {
    case_matches_qemu("pmull");
}

#[test]
fn lse_atomics_from_four_threads() {
    case_matches_qemu("atomics");
}

#[test]
fn id_registers_agree_with_hwcap() {
    case_matches_qemu("idregs");
}

/// Misaligned LSE atomics (no FEAT_LSE2): SIGBUS with BUS_ADRALN and the address, to the
/// guest's handler, as on Linux.
#[test]
fn misaligned_atomics_raise_sigbus() {
    case_matches_qemu("alignment");
}

/// The build really contains the instructions the cases are about (the compiler did not
/// fall back to LL/SC loops or library calls).
#[test]
fn the_build_uses_the_extensions() {
    let objdump = require_tool("aarch64-linux-gnu-objdump", "binutils-aarch64-linux-gnu");
    let o = Command::new(objdump)
        .arg("-d")
        .arg(build())
        .output()
        .expect("objdump");
    let text = String::from_utf8_lossy(&o.stdout);
    let mnemonics: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split('\t').nth(2))
        .map(str::trim)
        .collect();
    for m in [
        "casal", "caspal", "ldaddal", "swpal", "ldsmaxal", "crc32x", "crc32cx", "aese", "aesimc",
        "sha256h2", "sha1su1", "pmull2",
    ] {
        assert!(
            mnemonics.contains(&m),
            "a64ext has no {m}: the case would not test it"
        );
    }
}
