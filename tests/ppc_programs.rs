//! PowerPC programs beyond the workloads (which `tests/programs.rs` runs for every DBT guest)
//! and busybox (which `tests/busybox.rs` runs for every guest): one-instruction programs for
//! what only a hand-made binary reaches.

mod common;

use common::{run, xarch_bin};
use std::process::Command;
use std::time::Duration;

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
