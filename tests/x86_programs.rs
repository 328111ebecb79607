//! x86-64 guest programs through the DBT: every workload built with host `gcc -static -O2`
//! (`bench/workloads/build.sh x86_64`) prints under `xarch run` exactly what it prints
//! natively and exits the same way, on the default engine (tier 0, then Cranelift for hot
//! blocks) and with every block compiled at its first run. A missing build fails the test with
//! the command to run.

mod common;

use common::{diff, run, workload, xarch_bin};
use std::process::Command;
use std::time::Duration;

const SIZE: &str = "1";

fn check(name: &str, options: &[&str]) {
    let exe = workload("x86_64", name);
    let native = run(Command::new(&exe).arg(SIZE), b"", Duration::from_secs(60));
    let out = run(
        Command::new(xarch_bin())
            .arg("run")
            .args(options)
            .arg(&exe)
            .arg(SIZE),
        b"",
        Duration::from_secs(600),
    );
    assert!(
        !out.timed_out,
        "xarch run {name}: timed out after {:?}",
        out.elapsed
    );
    assert!(
        out.stdout == native.stdout && out.code() == native.code(),
        "xarch run {} {name} {SIZE}: exit {} (native {}), stderr:\n{}\n{}",
        options.join(" "),
        out.code(),
        native.code(),
        out.stderr_head(),
        diff("native", &native.stdout, "xarch run", &out.stdout)
    );
}

macro_rules! x86_tests {
    ($module:ident, [$($opt:literal),*]: $($name:ident),* $(,)?) => {
        mod $module {
            const OPTIONS: &[&str] = &[$($opt),*];
            $( #[test] fn $name() { super::check(stringify!($name), OPTIONS); } )*
        }
    };
}

x86_tests!(default_engine, []: alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls);
x86_tests!(compile_all, ["--hot-threshold", "0"]:
    alloc, calls, intmix, matmul, nbody, qsort, sha256, strings, syscalls);

/// An instruction xarch does not implement is reported with its address, bytes and
/// disassembly, and the run fails, rather than running something else.
#[test]
fn unimplemented_instruction_is_reported() {
    // A static program whose main executes an x87 FLD1 (not implemented).
    let dir = std::env::temp_dir().join(format!("xarch-x86-unimpl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("fld1.c");
    std::fs::write(
        &src,
        "int main(void) { __asm__ volatile(\"fld1\"); return 0; }\n",
    )
    .unwrap();
    let exe = dir.join("fld1");
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
    assert!(
        err.contains("unimplemented instruction") && err.contains("d9 e8") && err.contains("fld1"),
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
