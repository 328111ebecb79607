//! Shared helpers for the root program tests (`tests/programs.rs`, `tests/busybox.rs`):
//! where the built `xarch` binary, the cross-built workloads and Debian's busybox live, and
//! running a command with a time limit.
//!
//! A missing input (a cross compiler, a built workload, busybox, qemu) is a test failure that
//! names the command that fixes it, never a silent pass.

#![allow(dead_code)] // each test file uses a different subset

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The repository root (the root package's manifest directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `xarch` binary cargo built for this test run (`target/release/xarch` under
/// `cargo test --release`).
pub fn xarch_bin() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_BIN_EXE_xarch"));
    assert!(
        p.exists(),
        "{} is missing: run `cargo build --release`",
        p.display()
    );
    p
}

/// The names of the workloads: one per `bench/workloads/*.c`, sorted.
pub fn workload_names() -> Vec<String> {
    let dir = repo_root().join("bench/workloads");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "c").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

/// The Debian cross compiler that builds workloads for `arch` (as in `bench/workloads/build.sh`).
fn cross_compiler(arch: &str) -> (&'static str, &'static str) {
    match arch {
        "x86_64" => ("gcc", "gcc libc6-dev"),
        "aarch64" => (
            "aarch64-linux-gnu-gcc",
            "gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
        ),
        "ppc64le" => (
            "powerpc64le-linux-gnu-gcc",
            "gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross",
        ),
        "ppc" => (
            "powerpc-linux-gnu-gcc",
            "gcc-powerpc-linux-gnu libc6-dev-powerpc-cross",
        ),
        _ => panic!("unknown workload arch {arch}"),
    }
}

/// Path of a host tool, or a failure that says which package provides it.
pub fn require_tool(tool: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{tool} is not installed: run `scripts/install-deps.sh` as root \
                 (or `apt-get install {package}`)"
            )
        })
}

/// The built workload `build/workloads/<arch>/<name>`, or a failure naming the fix.
pub fn workload(arch: &str, name: &str) -> PathBuf {
    let p = repo_root().join("build/workloads").join(arch).join(name);
    if !p.exists() {
        let (cc, pkg) = cross_compiler(arch);
        require_tool(cc, pkg);
        panic!(
            "{} is missing: run `bench/workloads/build.sh {arch}` (or `make workloads`)",
            p.display()
        );
    }
    p
}

/// Debian's static busybox for `arch`, or a failure naming the fix.
pub fn busybox(arch: &str) -> PathBuf {
    let p = repo_root().join("build/busybox").join(arch).join("busybox");
    assert!(
        p.exists(),
        "{} is missing: run `scripts/fetch-busybox.sh` (or `make busybox`)",
        p.display()
    );
    p
}

/// What a finished (or killed) command did.
#[derive(Debug)]
pub struct Outcome {
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl Outcome {
    /// The exit code, or 128 + signal number like a shell, or -1 after a timeout.
    pub fn code(&self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        match self.status {
            Some(s) => s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0)),
            None => -1,
        }
    }

    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The first lines of stderr, for failure messages.
    pub fn stderr_head(&self) -> String {
        let s = String::from_utf8_lossy(&self.stderr);
        s.lines().take(5).collect::<Vec<_>>().join("\n")
    }
}

/// Runs `cmd` with `stdin` fed to it, killing it after `timeout`.
pub fn run(cmd: &mut Command, stdin: &[u8], timeout: Duration) -> Outcome {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // Writer and readers on their own threads, so that no pipe can fill up and block.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                timed_out = true;
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("waiting for {cmd:?}: {e}"),
        }
    };
    let _ = writer.join();
    // A killed child's own children may still hold the pipes; do not wait on them forever.
    let stdout = join_for(out_reader, Duration::from_secs(5));
    let stderr = join_for(err_reader, Duration::from_secs(5));
    Outcome {
        status,
        stdout,
        stderr,
        timed_out,
        elapsed: start.elapsed(),
    }
}

fn join_for(h: std::thread::JoinHandle<Vec<u8>>, limit: Duration) -> Vec<u8> {
    let start = Instant::now();
    while !h.is_finished() {
        if start.elapsed() > limit {
            return b"<output still open after the process ended>".to_vec();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    h.join().unwrap_or_default()
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "xarch-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", p.display()));
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A short unified-style diff of two outputs (line by line, the first differences only).
pub fn diff(left_name: &str, left: &[u8], right_name: &str, right: &[u8]) -> String {
    let l = String::from_utf8_lossy(left);
    let r = String::from_utf8_lossy(right);
    let (ll, rl): (Vec<&str>, Vec<&str>) = (l.lines().collect(), r.lines().collect());
    let mut s = format!("--- {left_name}\n+++ {right_name}\n");
    let mut shown = 0;
    for i in 0..ll.len().max(rl.len()) {
        let (a, b) = (ll.get(i), rl.get(i));
        if a != b {
            if let Some(a) = a {
                s += &format!("-{i:4}: {a}\n");
            }
            if let Some(b) = b {
                s += &format!("+{i:4}: {b}\n");
            }
            shown += 1;
            if shown == 10 {
                s += "...\n";
                break;
            }
        }
    }
    s
}
