//! The host's dynamically linked x86-64 programs under `xarch run -L /`: glibc's dynamic
//! loader (its x86-64 ISA-level check needs MMX advertised), symbol lookup, libc's IFUNC
//! selection, then ordinary work. Output and exit code must equal the native run's.

mod common;

use common::{TempDir, diff, require_tool, run, xarch_bin};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Runs `prog args` natively and as `xarch run -L / prog args` with `stdin`; both must give
/// the same stdout and exit code (and xarch nothing on stderr the native run does not).
fn same_as_native(prog: &str, args: &[&str], stdin: &[u8]) {
    let prog = if prog.starts_with('/') {
        Path::new(prog).to_path_buf()
    } else {
        require_tool(prog, "coreutils")
    };
    assert!(
        prog.exists(),
        "{} is missing (apt-get install coreutils)",
        prog.display()
    );
    let native = run(
        Command::new(&prog).args(args),
        stdin,
        Duration::from_secs(30),
    );
    let guest = run(
        Command::new(xarch_bin())
            .args(["run", "-L", "/"])
            .arg(&prog)
            .args(args),
        stdin,
        Duration::from_secs(120),
    );
    let what = format!("{} {}", prog.display(), args.join(" "));
    assert!(!guest.timed_out, "{what}: xarch timed out");
    assert_eq!(
        guest.code(),
        native.code(),
        "{what}: exit code; xarch stderr:\n{}",
        guest.stderr_head()
    );
    assert!(
        guest.stdout == native.stdout,
        "{what}: stdout differs\n{}\nxarch stderr:\n{}",
        diff("native", &native.stdout, "xarch", &guest.stdout),
        guest.stderr_head()
    );
    assert_eq!(
        String::from_utf8_lossy(&guest.stderr),
        String::from_utf8_lossy(&native.stderr),
        "{what}: stderr"
    );
    // The program must really be dynamic, or this tests nothing of the loader.
    let head = std::fs::read(&prog).unwrap();
    assert!(
        head.windows(b"ld-linux-x86-64.so.2".len())
            .any(|w| w == b"ld-linux-x86-64.so.2"),
        "{} is not dynamically linked",
        prog.display()
    );
}

#[test]
fn echo() {
    same_as_native("/bin/echo", &["hi", "there"], b"");
}

#[test]
fn sh_arithmetic_and_exit_code() {
    same_as_native("/bin/sh", &["-c", "echo $((6*7)); exit 3"], b"");
}

#[test]
fn ls_long() {
    // A directory with files, a subdirectory and a symlink (lstat must see the link), and the
    // root (without /proc and /tmp, whose link counts change with the processes and the
    // temporary directories of tests running alongside).
    let dir = TempDir::new("x86-dyn-ls");
    let d = dir.path();
    std::fs::write(d.join("a.txt"), b"hello\n").unwrap();
    std::fs::write(d.join("b.bin"), vec![7u8; 5000]).unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("a.txt", d.join("link")).unwrap();
    let ds = d.to_str().unwrap();
    same_as_native("/bin/ls", &["-l", "--time-style=+%s", ds], b"");
    same_as_native("/bin/ls", &["-l", "-I", "proc", "-I", "tmp", "/"], b"");
    // A missing file: the message and exit code 2.
    let missing = format!("{ds}/nope");
    same_as_native("/bin/ls", &["-l", &missing], b"");
}

#[test]
fn sort_input() {
    let mut input = String::new();
    for k in 0..2000u32 {
        input += &format!("{}\n", k.wrapping_mul(2_654_435_761) % 10007);
    }
    input += "banana\nApple\napple\n\n";
    same_as_native("sort", &[], input.as_bytes());
    same_as_native("sort", &["-n", "-r"], input.as_bytes());
}

#[test]
fn sha256sum_of_a_file() {
    let dir = TempDir::new("x86-dyn-sha");
    let f = dir.path().join("data");
    let data: Vec<u8> = (0..300_000u32)
        .map(|k| (k.wrapping_mul(31) >> 3) as u8)
        .collect();
    std::fs::write(&f, &data).unwrap();
    same_as_native("sha256sum", &[f.to_str().unwrap()], b"");
}
