//! PowerPC programs beyond the workloads (which `tests/programs.rs` runs for every DBT guest):
//! Debian's busybox for ppc64el under `xarch run` against qemu-ppc64le.
//!
//! Inputs: `make busybox`.

mod common;

use common::{busybox, diff, require_tool, run, xarch_bin};
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

/// Debian's static busybox for ppc64el under `xarch run` prints what it prints under
/// qemu-ppc64le, with the same exit status: applets fed from stdin and `sh -c` pipelines
/// (fork, pipe, execve of /proc/self/exe's applets).
#[test]
fn busybox_ppc64le_matches_qemu() {
    let qemu = require_tool("qemu-ppc64le", "qemu-user");
    let bb = busybox("ppc64le");
    let input: String = (1..=200)
        .map(|i: u32| format!("line {i} {}\n", i.wrapping_mul(2_654_435_761) % 1000))
        .collect();
    let cases: &[&[&str]] = &[
        &["echo", "hello", "world"],
        &["seq", "-s", ",", "1", "5", "40"],
        &["sort", "-k3", "-n"],
        &["wc"],
        &["md5sum"],
        &["sha256sum"],
        &["tr", "a-z", "A-Z"],
        &["sed", "-n", "s/line \\([0-9]*5\\) .*/\\1/p"],
        &["awk", "{ s += $3 } END { print s, NR }"],
        &["expr", "7", "*", "6"],
        &["printf", "%05d %x %s\\n", "42", "255", "ok"],
        &["false"],
        &["sh", "-c", "sort -n -k3 | uniq -c -f2 | tail -3"],
        &["sh", "-c", "gzip -c | gunzip -c | md5sum"],
        &[
            "sh",
            "-c",
            "for i in 1 2 3; do echo $((i * i)); done; exit 3",
        ],
    ];
    for args in cases {
        let reference = run(
            Command::new(&qemu).arg(&bb).args(*args).env("LC_ALL", "C"),
            input.as_bytes(),
            Duration::from_secs(60),
        );
        let ours = run(
            Command::new(xarch_bin())
                .arg("run")
                .arg(&bb)
                .args(*args)
                .env("LC_ALL", "C"),
            input.as_bytes(),
            Duration::from_secs(120),
        );
        assert!(
            ours.stdout == reference.stdout && ours.code() == reference.code(),
            "busybox {args:?}: exit {} (qemu {}), stderr:\n{}\n{}",
            ours.code(),
            reference.code(),
            ours.stderr_head(),
            diff("qemu-ppc64le", &reference.stdout, "xarch run", &ours.stdout)
        );
    }
}
