//! `xarch run`'s own behaviour on bad input: one `xarch: …` line on stderr, a non-zero exit,
//! no panic. None of these needs guest code to run.

use std::path::PathBuf;
use std::process::{Command, Output};

fn xarch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xarch"))
        .args(args)
        .output()
        .expect("run xarch")
}

/// A scratch file with `bytes`, unique per test.
fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("xarch-run-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A 64-bit little-endian ELF header for `machine`, with one PT_LOAD program header pointing
/// past the end of the file when `truncated`.
fn elf_header(machine: u16, truncated: bool) -> Vec<u8> {
    let mut f = vec![0u8; 64 + 56];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    f[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f[18..20].copy_from_slice(&machine.to_le_bytes());
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&0x40_0000u64.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&1u16.to_le_bytes());
    let p = 64;
    f[p..p + 4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    f[p + 4..p + 8].copy_from_slice(&5u32.to_le_bytes());
    f[p + 16..p + 24].copy_from_slice(&0x40_0000u64.to_le_bytes());
    let filesz: u64 = if truncated { 0x10000 } else { 120 };
    f[p + 32..p + 40].copy_from_slice(&filesz.to_le_bytes());
    f[p + 40..p + 48].copy_from_slice(&filesz.to_le_bytes());
    f
}

/// Checks the one-line error contract and returns the line.
fn one_line_error(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "exit status {:?}, stderr {err}",
        out.status
    );
    assert_eq!(out.status.code(), Some(1), "stderr {err}");
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("xarch: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty());
    err
}

#[test]
fn missing_file() {
    let e = one_line_error(&xarch(&["run", "/nonexistent/xarch-prog"]));
    assert_eq!(e.trim_end(), "xarch: /nonexistent/xarch-prog: no such file");
}

#[test]
fn not_an_elf() {
    let p = file("script", b"#!/bin/sh\necho hi\n");
    let e = one_line_error(&xarch(&["run", p.to_str().unwrap()]));
    assert!(e.trim_end().ends_with("not an ELF file"), "{e}");
    std::fs::remove_file(p).unwrap();
}

#[test]
fn empty_file_and_directory() {
    let p = file("empty", b"");
    assert!(one_line_error(&xarch(&["run", p.to_str().unwrap()])).contains("not an ELF file"));
    std::fs::remove_file(p).unwrap();
    let e = one_line_error(&xarch(&["run", "/tmp"]));
    assert!(e.contains("/tmp"), "{e}");
}

#[test]
fn truncated_elf() {
    // Cut inside the ELF header.
    let p = file("trunc-hdr", &elf_header(183, false)[..30]);
    assert!(one_line_error(&xarch(&["run", p.to_str().unwrap()])).contains("truncated or corrupt"));
    std::fs::remove_file(p).unwrap();
    // A segment that extends past the end of the file.
    let p = file("trunc-seg", &elf_header(183, true));
    let e = one_line_error(&xarch(&["run", p.to_str().unwrap()]));
    assert!(
        e.contains("truncated or corrupt") && e.contains("past the end of the file"),
        "{e}"
    );
    std::fs::remove_file(p).unwrap();
}

#[test]
fn unsupported_machine() {
    let p = file("riscv", &elf_header(243, false));
    let e = one_line_error(&xarch(&["run", p.to_str().unwrap()]));
    assert!(
        e.contains("unsupported machine RISC-V (e_machine 243"),
        "{e}"
    );
    std::fs::remove_file(p).unwrap();
}

#[test]
fn usage_errors_are_not_panics() {
    let out = xarch(&["run"]);
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let out = xarch(&["run", "--hot-threshold", "x", "prog"]);
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn single_dash_strace_is_accepted() {
    // Reaches the loader (and its error), so the option parsed.
    let e = one_line_error(&xarch(&["run", "-strace", "/nonexistent/xarch-prog"]));
    assert!(e.contains("no such file"), "{e}");
}

/// Assembles and links an AArch64 program with the cross binutils; fails the test, naming the
/// package, when they are not installed (`make test` installs them).
fn aarch64_program(name: &str, asm: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xarch-run-cli-{}-{name}.d", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (s, o, exe) = (dir.join("p.s"), dir.join("p.o"), dir.join(name));
    std::fs::write(&s, asm).unwrap();
    let ok = |c: &mut Command| c.status().is_ok_and(|s| s.success());
    if !ok(Command::new("aarch64-linux-gnu-as")
        .arg("-o")
        .arg(&o)
        .arg(&s))
        || !ok(Command::new("aarch64-linux-gnu-ld")
            .arg("-o")
            .arg(&exe)
            .arg(&o))
    {
        panic!(
            "aarch64-linux-gnu-as/ld failed or are not installed \
             (apt-get install binutils-aarch64-linux-gnu, or run `make deps`)"
        );
    }
    exe
}

#[test]
fn unimplemented_syscall_is_enosys_with_one_warning() {
    // Two io_setup calls, then exit(-result): 38 (ENOSYS) if the guest got -ENOSYS.
    let asm = ".global _start\n_start:\n mov x8, #0\n svc #0\n mov x8, #0\n svc #0\n neg x0, x0\n mov x8, #93\n svc #0\n";
    let p = aarch64_program("nosys", asm);
    let out = xarch(&["run", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(38));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "xarch: warning: unimplemented syscall io_setup (0)\n"
    );
}

#[test]
fn unimplemented_instruction_is_reported() {
    // SHA-512 (FEAT_SHA512, ARMv8.2) is not advertised in AT_HWCAP and not implemented.
    let asm = ".arch armv8.2-a+sha3\n.global _start\n_start:\n sha512h q0, q1, v2.2d\n mov x8, #93\n svc #0\n";
    let p = aarch64_program("sha512h", asm);
    let e = one_line_error(&xarch(&["run", p.to_str().unwrap()]));
    assert_eq!(
        e.trim_end(),
        "xarch: unimplemented instruction at 0x400078: 20 80 62 ce sha512h q0, q1, v2.2d"
    );
}

#[test]
fn undefined_instruction_kills_with_sigill() {
    use std::os::unix::process::ExitStatusExt;
    let p = aarch64_program("udf", ".global _start\n_start:\n udf #0\n");
    let out = xarch(&["run", p.to_str().unwrap()]);
    assert_eq!(out.status.signal(), Some(libc::SIGILL), "{:?}", out.status);
    assert!(String::from_utf8_lossy(&out.stderr).contains("undefined instruction at 0x400078"));
}

#[test]
fn strace_and_stats_json() {
    let asm = ".global _start\n_start:\n mov x8, #0\n svc #0\n mov x0, #5\n mov x8, #94\n svc #0\n";
    let p = aarch64_program("strace", asm);
    let json =
        std::env::temp_dir().join(format!("xarch-run-cli-{}-stats.json", std::process::id()));
    let out = xarch(&[
        "run",
        "-strace",
        "--stats-json",
        json.to_str().unwrap(),
        p.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("xarch: warning"))
        .collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].ends_with(" io_setup(0x0,0x0,0x0) = -1 errno=38 (Function not implemented)"),
        "{err}"
    );
    assert!(lines[1].ends_with(" exit_group(5)"), "{err}");
    let pid = lines[0].split(' ').next().unwrap();
    assert!(pid.parse::<u32>().is_ok(), "{err}");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["syscalls"], 2);
    assert!(j["guest_insns"].as_u64().unwrap() >= 2, "{j}");
    std::fs::remove_file(json).unwrap();
}

#[test]
fn guest_killed_by_a_signal_kills_xarch_the_same_way() {
    use std::os::unix::process::ExitStatusExt;
    // kill(getpid(), SIGTERM)
    let asm = ".global _start\n_start:\n mov x8, #172\n svc #0\n mov x1, #15\n mov x8, #129\n svc #0\n mov x0, #0\n mov x8, #93\n svc #0\n";
    let p = aarch64_program("kill", asm);
    let out = xarch(&["run", p.to_str().unwrap()]);
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "{:?}", out.status);
}

#[test]
fn write_to_a_closed_pipe_kills_by_sigpipe() {
    use std::os::unix::process::ExitStatusExt;
    // pipe2(buf), close(read end), write(write end, "x", 1), exit(0)
    let asm = ".global _start\n_start:\n sub sp, sp, #16\n mov x0, sp\n mov x1, #0\n mov x8, #59\n svc #0\n ldr w0, [sp]\n mov x8, #57\n svc #0\n ldr w0, [sp, #4]\n mov x1, sp\n mov x2, #1\n mov x8, #64\n svc #0\n mov x0, #0\n mov x8, #93\n svc #0\n";
    let p = aarch64_program("sigpipe", asm);
    let out = xarch(&["run", p.to_str().unwrap()]);
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
}
