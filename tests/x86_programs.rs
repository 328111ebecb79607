//! x86-64 guest programs through the DBT, beyond the workloads (which `tests/programs.rs`
//! runs for every DBT guest): the report of an unimplemented instruction, and faults that
//! must end the guest with the signal the native program dies by.

mod common;

use common::{run, xarch_bin};
use std::process::Command;
use std::time::Duration;

/// An instruction xarch does not implement is reported with its address, bytes and
/// disassembly, and the run fails, rather than running something else.
#[test]
fn unimplemented_instruction_is_reported() {
    // A static program whose main executes MONITOR (decoded, not implemented, not advertised).
    let dir = std::env::temp_dir().join(format!("xarch-x86-unimpl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("monitor.c");
    std::fs::write(
        &src,
        "int main(void) { __asm__ volatile(\"monitor\"); return 0; }\n",
    )
    .unwrap();
    let exe = dir.join("monitor");
    let cc = Command::new("gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .status();
    assert!(
        cc.map(|s| s.success()).unwrap_or(false),
        "gcc -static is needed (apt-get install gcc libc6-dev)"
    );
    let out = run(
        Command::new(xarch_bin()).arg("run").arg(&exe),
        b"",
        Duration::from_secs(60),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.code(), 0);
    // Only the instruction's own bytes (its length from the decoder), then the disassembly.
    assert!(
        err.starts_with("xarch: unimplemented instruction at 0x")
            && err.trim_end().ends_with(": 0f 01 c8 monitor"),
        "stderr: {err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Faults end the program with the signal Linux sends: HLT (#GP) with SIGSEGV, a division by
/// zero (#DE) with SIGFPE; the exit status equals the native run's.
#[test]
fn faults_give_the_native_signal() {
    let dir = std::env::temp_dir().join(format!("xarch-x86-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, body) in [
        ("hlt", "__asm__ volatile(\"hlt\"); return 0;"),
        ("div0", "volatile int z = 0; return 10 / z;"),
        (
            "idiv_overflow",
            "volatile long m = -0x7fffffffffffffffL - 1, d = -1; return (int)(m / d);",
        ),
    ] {
        let src = dir.join(format!("{name}.c"));
        std::fs::write(&src, format!("int main(void) {{ {body} }}\n")).unwrap();
        let exe = dir.join(name);
        let cc = Command::new("gcc")
            .args(["-static", "-O1", "-o"])
            .arg(&exe)
            .arg(&src)
            .status();
        assert!(
            cc.map(|s| s.success()).unwrap_or(false),
            "gcc -static is needed"
        );
        let native = run(&mut Command::new(&exe), b"", Duration::from_secs(30));
        let ours = run(
            Command::new(xarch_bin()).arg("run").arg(&exe),
            b"",
            Duration::from_secs(60),
        );
        assert_ne!(native.code(), 0, "{name}: native run did not fault");
        assert_eq!(
            ours.code(),
            native.code(),
            "{name}: xarch stderr:\n{}",
            ours.stderr_head()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
