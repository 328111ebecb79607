//! PowerPC programs beyond the workloads (which `tests/programs.rs` runs for every DBT guest)
//! and busybox (which `tests/busybox.rs` runs for every guest): one-instruction programs for
//! what only a hand-made binary reaches, and C programs next to this file
//! (`tests/ppc_programs/*.c`) whose output under `xarch run` must equal their native x86-64
//! build's.
//!
//! Inputs: gcc, powerpc-linux-gnu-gcc, powerpc64le-linux-gnu-gcc, aarch64-linux-gnu-gcc.

mod common;

use common::{TempDir, diff, require_tool, run, xarch_bin};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Builds `tests/ppc_programs/<name>.c` statically with `cc` into `dir`.
fn build_c(dir: &Path, name: &str, cc: &str, package: &str) -> PathBuf {
    let src = common::repo_root().join(format!("tests/ppc_programs/{name}.c"));
    let out = dir.join(format!("{name}-{cc}"));
    let o = Command::new(require_tool(cc, package))
        .args(["-static", "-O1", "-Wall", "-o"])
        .arg(&out)
        .arg(&src)
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

/// Runs `<name>.c` natively (x86-64 build) and under `xarch run` for each guest compiler;
/// every guest must print what the native build prints and exit the same way.
fn c_program_matches_native(name: &str, guests: &[(&str, &str)]) {
    let dir = TempDir::new(name);
    let t = Duration::from_secs(60);
    let native = run(
        &mut Command::new(build_c(dir.path(), name, "gcc", "gcc")),
        b"",
        t,
    );
    assert_eq!(native.code(), 0, "native {name}: {}", native.stderr_head());
    for (cc, package) in guests {
        let exe = build_c(dir.path(), name, cc, package);
        let got = run(Command::new(xarch_bin()).arg("run").arg(&exe), b"", t);
        assert!(
            !got.timed_out && got.code() == native.code() && got.stdout == native.stdout,
            "{name} built by {cc}: exit {}, stderr:\n{}\n{}",
            got.code(),
            got.stderr_head(),
            diff("native", &native.stdout, cc, &got.stdout)
        );
        assert!(
            got.stderr.is_empty(),
            "{name} built by {cc} warned:\n{}",
            got.stderr_head()
        );
    }
}

#[test]
fn scm_rights_and_credentials_match_native() {
    // SCM_RIGHTS and SCM_CREDENTIALS over a socketpair: 32-bit big-endian ppc converts
    // every cmsghdr (12-byte header, big-endian) and PowerPC's own SO_PASSCRED number;
    // ppc64le and aarch64 share the host's layout.
    c_program_matches_native(
        "scm",
        &[
            ("powerpc-linux-gnu-gcc", "gcc-powerpc-linux-gnu"),
            ("powerpc64le-linux-gnu-gcc", "gcc-powerpc64le-linux-gnu"),
            ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
        ],
    );
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
