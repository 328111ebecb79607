//! PowerPC programs beyond the workloads (which `tests/programs.rs` runs for every DBT guest)
//! and busybox (which `tests/busybox.rs` runs for every guest): one-instruction programs for
//! what only a hand-made binary reaches, and C programs next to this file
//! (`tests/ppc_programs/*.c`) whose output under `xarch run` (both tiers) must equal their
//! native x86-64 build's (or qemu-ppc's, for inline assembly x86-64 cannot run).
//!
//! Inputs: gcc (with libatomic), powerpc-linux-gnu-gcc, powerpc64le-linux-gnu-gcc,
//! aarch64-linux-gnu-gcc, qemu-ppc.

mod common;

use common::{TempDir, diff, require_tool, run, xarch_bin};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A compiler for the C programs: command, Debian package, extra flags.
type Cc = (&'static str, &'static str, &'static [&'static str]);

const NATIVE: Cc = ("gcc", "gcc", &[]);
const PPC: Cc = ("powerpc-linux-gnu-gcc", "gcc-powerpc-linux-gnu", &[]);
const PPC64LE: Cc = (
    "powerpc64le-linux-gnu-gcc",
    "gcc-powerpc64le-linux-gnu",
    &[],
);
const AARCH64: Cc = ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", &[]);

/// `xarch run` options: the default tiers, and every block compiled at once.
const TIERS: [&[&str]; 2] = [&[], &["--hot-threshold", "0"]];

/// Builds `tests/ppc_programs/<name>.c` statically with `cc` into `dir`.
fn build_c(dir: &Path, name: &str, (cc, package, flags): Cc) -> PathBuf {
    let src = common::repo_root().join(format!("tests/ppc_programs/{name}.c"));
    let out = dir.join(format!("{name}-{cc}"));
    let o = Command::new(require_tool(cc, package))
        .args(["-static", "-O1", "-Wall", "-o"])
        .arg(&out)
        .arg(&src)
        .args(flags)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(
        o.status.success(),
        "{cc} {}:\n{}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// Runs `exe` under `xarch run` on both tiers; each run must exit as `reference` did and
/// print the same, with nothing on stderr.
fn xarch_matches(label: &str, exe: &Path, reference: &common::Outcome) {
    for opts in TIERS {
        let got = run(
            Command::new(xarch_bin()).arg("run").args(opts).arg(exe),
            b"",
            Duration::from_secs(60),
        );
        let label = format!("{label} (xarch run {})", opts.join(" "));
        assert!(
            !got.timed_out && got.code() == reference.code() && got.stdout == reference.stdout,
            "{label}: exit {} (reference {}), stderr:\n{}\n{}",
            got.code(),
            reference.code(),
            got.stderr_head(),
            diff("reference", &reference.stdout, &label, &got.stdout)
        );
        assert!(
            got.stderr.is_empty(),
            "{label} warned:\n{}",
            got.stderr_head()
        );
    }
}

/// Runs `<name>.c` natively (built by `native`) and under `xarch run` for each guest
/// build: every guest must print what the native build prints and exit the same way.
fn c_program_matches_native(name: &str, native: Cc, guests: &[Cc]) {
    let dir = TempDir::new(name);
    let reference = run(
        &mut Command::new(build_c(dir.path(), name, native)),
        b"",
        Duration::from_secs(60),
    );
    assert_eq!(
        reference.code(),
        0,
        "native {name}: {}",
        reference.stderr_head()
    );
    for &g in guests {
        let exe = build_c(dir.path(), name, g);
        xarch_matches(&format!("{name} built by {}", g.0), &exe, &reference);
    }
}

#[test]
fn scm_rights_and_credentials_match_native() {
    // SCM_RIGHTS and SCM_CREDENTIALS over a socketpair: 32-bit big-endian ppc converts
    // every cmsghdr (12-byte header, big-endian) and PowerPC's own SO_PASSCRED number;
    // ppc64le, aarch64 and x86-64 (under xarch too) share the host's layout.
    c_program_matches_native("scm", NATIVE, &[PPC, PPC64LE, AARCH64, NATIVE]);
}

#[test]
fn quadword_atomics_match_native() {
    // gcc's ppc64le (POWER8) code for 128-bit atomics: lqarx/stqcx. loops and lq/stq.
    // qemu-ppc64le 7.2 spins forever in it; x86-64 (cmpxchg16b through libatomic) is
    // the reference.
    c_program_matches_native("quad", ("gcc", "gcc", &["-latomic"]), &[PPC64LE]);
}

#[test]
fn string_word_indexed_matches_qemu_ppc() {
    // lswx/stswx with every byte count 0..64 (inline assembly: 32-bit big-endian only).
    let dir = TempDir::new("strx");
    let exe = build_c(dir.path(), "strx", PPC);
    let qemu = require_tool("qemu-ppc", "qemu-user");
    let reference = run(Command::new(qemu).arg(&exe), b"", Duration::from_secs(60));
    assert_eq!(
        reference.code(),
        0,
        "qemu-ppc strx: {}",
        reference.stderr_head()
    );
    xarch_matches("strx", &exe, &reference);
}

/// Writes a one-instruction ppc64le program and runs it under `xarch run`.
fn run_one_insn(name: &str, word: u32) -> common::Outcome {
    let dir = std::env::temp_dir().join(format!("xarch-ppc-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join(name);
    std::fs::write(&exe, tiny_elf_ppc64le(&[word])).unwrap();
    let out = run(
        Command::new(xarch_bin()).arg("run").arg(&exe),
        b"",
        Duration::from_secs(60),
    );
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn unimplemented_instruction_is_reported() {
    // A real instruction xarch lacks (ISA 3.0 `xsmaxcdp`; xarch presents a POWER8) must stop
    // with the address, bytes and disassembly.
    let out = run_one_insn("xsmaxcdp", 0xf000_0400);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.code(), 1, "stderr: {err}");
    assert_eq!(
        err.trim_end(),
        "xarch: unimplemented instruction at 0x10000078: 00 04 00 f0 xsmaxcdp vs0, f0, f0"
    );
}

#[test]
fn conditional_trap_raises_sigtrap() {
    // `twi 4, r0, 0` (trap if r0 == 0; r0 starts at 0): Linux delivers SIGTRAP, as qemu does.
    let out = run_one_insn("twi", 0x0c80_0000);
    assert_eq!(
        out.code(),
        128 + libc::SIGTRAP,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A minimal static ppc64le ELF executable: one PT_LOAD of the code at 0x10000000.
fn tiny_elf_ppc64le(code: &[u32]) -> Vec<u8> {
    let base = 0x1000_0000u64;
    let entry = base + 0x78;
    let mut f = Vec::new();
    f.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&21u16.to_le_bytes()); // EM_PPC64
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&entry.to_le_bytes());
    f.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    f.extend_from_slice(&2u32.to_le_bytes()); // e_flags: ELFv2
    f.extend_from_slice(&64u16.to_le_bytes());
    f.extend_from_slice(&56u16.to_le_bytes());
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&64u16.to_le_bytes());
    f.extend_from_slice(&0u16.to_le_bytes());
    f.extend_from_slice(&0u16.to_le_bytes());
    let size = 0x78 + 4 * code.len() as u64;
    f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    f.extend_from_slice(&5u32.to_le_bytes()); // R+X
    f.extend_from_slice(&0u64.to_le_bytes());
    f.extend_from_slice(&base.to_le_bytes());
    f.extend_from_slice(&base.to_le_bytes());
    f.extend_from_slice(&size.to_le_bytes());
    f.extend_from_slice(&size.to_le_bytes());
    f.extend_from_slice(&0x1_0000u64.to_le_bytes());
    assert_eq!(f.len(), 0x78);
    for w in code {
        f.extend_from_slice(&w.to_le_bytes());
    }
    f
}

/// Enabled floating-point exceptions (`tests/ppc_fp/fpexc.c`): feenableexcept (FPSCR enables
/// plus `prctl(PR_SET_FPEXC)`) makes each IEEE exception raise SIGFPE with Linux's si_code and
/// si_addr at the FP instruction, on ppc64le and 32-bit ppc, both tiers; without the prctl
/// (`nofe`: ZE set by mtfsb1) there is no trap, only FEX. The reference is Linux's behaviour:
/// qemu-ppc64le 7.2 prints the same except FPE_FLTDIV for 0/0 (Linux: FPE_FLTINV, as VX and
/// VE are set) and traps without the prctl; qemu-ppc (-cpu 7457) cannot run glibc's fenv
/// (mffsl), so the 32-bit build is checked against the text alone.
#[test]
fn enabled_fp_exceptions_raise_sigfpe() {
    const EXPECTED: &str = "disabled: 1/0 = inf, 0/0 nan 1
divbyzero: SIGFPE FPE_FLTDIV, si_addr at an FP instruction: 1
invalid: SIGFPE FPE_FLTINV, si_addr at an FP instruction: 1
overflow: SIGFPE FPE_FLTOVF, si_addr at an FP instruction: 1
underflow: SIGFPE FPE_FLTUND, si_addr at an FP instruction: 1
inexact: SIGFPE FPE_FLTRES, si_addr at an FP instruction: 1
enabled, exact: 4
";
    const NOFE: &str = "no trap: FEX 1 ZX 1\n";
    let dir = TempDir::new("ppc-fpexc");
    let src = common::repo_root().join("tests/ppc_fp/fpexc.c");
    for (cc, package, qemu) in [
        (
            "powerpc64le-linux-gnu-gcc",
            "gcc-powerpc64le-linux-gnu",
            Some("qemu-ppc64le"),
        ),
        ("powerpc-linux-gnu-gcc", "gcc-powerpc-linux-gnu", None),
    ] {
        let exe = dir.path().join(format!("fpexc-{cc}"));
        let o = Command::new(require_tool(cc, package))
            .args(["-static", "-O1", "-Wall", "-o"])
            .arg(&exe)
            .arg(&src)
            .arg("-lm")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
        assert!(
            o.status.success(),
            "{cc}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        if let Some(q) = qemu {
            let r = run(
                Command::new(require_tool(q, "qemu-user")).arg(&exe),
                b"",
                Duration::from_secs(60),
            );
            let want_qemu =
                EXPECTED.replace("invalid: SIGFPE FPE_FLTINV", "invalid: SIGFPE FPE_FLTDIV");
            assert_eq!(r.stdout_str(), want_qemu, "{q}: {}", r.stderr_head());
        }
        for (arg, want) in [(None, EXPECTED), (Some("nofe"), NOFE)] {
            for opts in TIERS {
                let got = run(
                    Command::new(xarch_bin())
                        .arg("run")
                        .args(opts)
                        .arg(&exe)
                        .args(arg),
                    b"",
                    Duration::from_secs(60),
                );
                let label = format!("{cc} {arg:?} (xarch run {})", opts.join(" "));
                assert!(
                    got.code() == 0 && got.stdout == want.as_bytes() && got.stderr.is_empty(),
                    "{label}: exit {}, stderr:\n{}\n{}",
                    got.code(),
                    got.stderr_head(),
                    diff("expected", want.as_bytes(), &label, &got.stdout)
                );
            }
        }
    }
}
