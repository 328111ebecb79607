//! Real programs: Debian's static busybox for each guest under `xarch run` must behave as it
//! does under the reference runner: same stdout, same exit status, for one table of applets
//! run directly and through `sh -c` (pipelines: fork, pipe, execve). The table runs for every
//! guest (one test module per guest: `aarch64::`, `x86_64::`, `ppc64le::`):
//!
//! | guest   | busybox                       | reference                                   |
//! |---------|-------------------------------|---------------------------------------------|
//! | aarch64 | build/busybox/aarch64/busybox | qemu-aarch64                                |
//! | x86_64  | build/busybox/x86_64/busybox  | the host itself (qemu-x86_64 off x86-64)    |
//! | ppc64le | build/busybox/ppc64le/busybox | qemu-ppc64le                                |
//!
//! Each case runs in a fresh directory holding a small fixed tree (files with fixed contents,
//! permissions and mtimes) with a fixed environment (LC_ALL=C, TZ=UTC), so that `ls -l`, `tar`
//! and `find` print the same under both.
//!
//! Inputs: `make busybox` (or `scripts/fetch-busybox.sh`) and qemu-user.

mod common;

use common::{Outcome, TempDir, busybox, diff, require_tool, run, xarch_bin};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// 2020-01-02 03:04:05 UTC: every fixture file's mtime.
const FIXED_MTIME: u64 = 1_577_934_245;

/// Writes the fixture tree into `dir`.
fn make_fixture(dir: &Path) {
    use std::fmt::Write as _;
    use std::os::unix::fs::PermissionsExt;
    let mut data = String::new();
    let mut x: u32 = 12345;
    let words = ["alpha", "beta", "gamma", "delta", "epsilon"];
    for i in 1..=300u32 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let v = (x >> 16) % 1000;
        writeln!(data, "line {i} {} {v}", words[(v % 5) as usize]).unwrap();
    }
    let mut numbers = String::new();
    for _ in 0..200 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        writeln!(numbers, "{}", (x >> 8) % 100_000).unwrap();
    }
    let mut sorted_words = String::new();
    for (i, w) in words.iter().enumerate() {
        for _ in 0..(i * 3 + 1) {
            writeln!(sorted_words, "{w}").unwrap();
        }
    }
    let files: &[(&str, &str, u32)] = &[
        ("data.txt", &data, 0o644),
        ("numbers.txt", &numbers, 0o644),
        ("words.txt", &sorted_words, 0o600),
        ("tree/a.txt", "first file\n", 0o644),
        ("tree/b.sh", "#!/bin/sh\necho b\n", 0o755),
        ("tree/sub/c.txt", "third\nfile\n", 0o640),
        ("tree/sub/deeper/d.dat", "0123456789\n", 0o444),
    ];
    for (name, contents, mode) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, contents).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(FIXED_MTIME);
    // Files first, then directories deepest first (creating an entry changes the parent's mtime).
    let mut paths: Vec<_> = files.iter().map(|(n, _, _)| dir.join(n)).collect();
    for d in ["tree/sub/deeper", "tree/sub", "tree"] {
        let p = dir.join(d);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        paths.push(p);
    }
    for p in paths {
        let f = std::fs::File::open(&p).unwrap();
        f.set_modified(mtime)
            .unwrap_or_else(|e| panic!("set mtime of {}: {e}", p.display()));
    }
}

/// The applets the shell cases run as commands (not builtins).
const SHELL_APPLETS: &[&str] = &[
    "cat", "cmp", "gunzip", "gzip", "head", "ls", "md5sum", "mkdir", "seq", "sort", "tail", "tar",
    "tr", "uniq", "wc", "bzip2", "bunzip2", "echo", "mkfifo", "xargs",
];

/// Writes into `bin` one host shell wrapper per applet in [`SHELL_APPLETS`]: `exec RUNNER...
/// busybox APPLET "$@"`.
///
/// Why: busybox's shell runs an applet by `execve("/proc/self/exe", [applet, ...])`. Under
/// qemu-user that fails, and busybox falls back to searching PATH, which would run the host's
/// GNU tools instead of busybox (a `tar -tv` prints a different format). With the wrappers first
/// in PATH the fallback still runs busybox for arm64 under the same runner, so the reference
/// is busybox's behaviour. xarch serves `/proc/self/exe` itself; it gets the same PATH
/// (wrappers that run `xarch run`) so that both runs see the same environment.
fn write_wrappers(bin: &Path, runner: &[&Path], bb: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let prefix: Vec<String> = runner.iter().map(|p| quote(p)).collect();
    for applet in SHELL_APPLETS {
        let p = bin.join(applet);
        let script = format!(
            "#!/bin/sh\nexec {} {} {applet} \"$@\"\n",
            prefix.join(" "),
            quote(bb)
        );
        std::fs::write(&p, script).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn run_in(dir: &Path, bin: &Path, mut cmd: Command, stdin: &[u8]) -> Outcome {
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("HOME", dir)
        .env("LC_ALL", "C")
        .env("TZ", "UTC");
    run(&mut cmd, stdin, Duration::from_secs(300))
}

/// A guest architecture whose busybox the table runs.
#[derive(Clone, Copy, Debug)]
pub enum Guest {
    Aarch64,
    X86_64,
    Ppc64le,
}

impl Guest {
    /// The architecture's name in build/busybox/<arch>.
    fn arch(self) -> &'static str {
        match self {
            Guest::Aarch64 => "aarch64",
            Guest::X86_64 => "x86_64",
            Guest::Ppc64le => "ppc64le",
        }
    }

    /// The reference runner: the command that runs a busybox of this guest (empty: the host
    /// runs it itself), and its name for messages.
    fn reference(self) -> (Vec<PathBuf>, String) {
        let qemu = |tool: &str| (vec![require_tool(tool, "qemu-user")], tool.to_string());
        match self {
            Guest::Aarch64 => qemu("qemu-aarch64"),
            Guest::Ppc64le => qemu("qemu-ppc64le"),
            Guest::X86_64 if cfg!(target_arch = "x86_64") => (Vec::new(), "native".to_string()),
            Guest::X86_64 => qemu("qemu-x86_64"),
        }
    }
}

/// Runs `busybox args` of `guest` under its reference runner and under `xarch run` and
/// compares. The reference run must exit with `want_code` (and print something when that is
/// 0), so that a case cannot pass by failing the same way under both.
fn check(guest: Guest, args: &[&str], stdin: &[u8], want_code: i32) -> Outcome {
    let bb = busybox(guest.arch());
    let (runner, ref_name) = guest.reference();
    let xarch = xarch_bin();
    // Each run gets its own copy of the fixture (some cases write files) and its own wrappers.
    let (qdir, xdir) = (TempDir::new("busybox-ref"), TempDir::new("busybox-xarch"));
    let (qbin, xbin) = (
        TempDir::new("busybox-ref-bin"),
        TempDir::new("busybox-xarch-bin"),
    );
    make_fixture(qdir.path());
    make_fixture(xdir.path());
    let runner_refs: Vec<&Path> = runner.iter().map(PathBuf::as_path).collect();
    write_wrappers(qbin.path(), &runner_refs, &bb);
    write_wrappers(xbin.path(), &[&xarch, Path::new("run")], &bb);

    let mut q = match runner.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&bb);
            c
        }
        None => Command::new(&bb),
    };
    q.args(args);
    let want = run_in(qdir.path(), qbin.path(), q, stdin);
    assert!(!want.timed_out, "{ref_name} busybox {args:?} timed out");
    assert!(
        want.code() == want_code && (want_code != 0 || !want.stdout.is_empty()),
        "reference run ({ref_name}) {guest:?} busybox {args:?}: exit {} (expected {want_code}), stdout {:?}, stderr {}",
        want.code(),
        want.stdout_str(),
        want.stderr_head()
    );

    let mut x = Command::new(&xarch);
    x.arg("run").arg(&bb).args(args);
    let got = run_in(xdir.path(), xbin.path(), x, stdin);
    assert!(
        !got.timed_out,
        "xarch run {guest:?} busybox {args:?} timed out after {:?}",
        got.elapsed
    );
    assert!(
        got.stdout == want.stdout && got.code() == want.code(),
        "{guest:?} busybox {args:?}: exit {} under xarch, {} under {ref_name}; xarch stderr:\n{}\n{}",
        got.code(),
        want.code(),
        got.stderr_head(),
        diff(&ref_name, &want.stdout, "xarch run", &got.stdout)
    );
    want
}

/// The shell's commands are busybox applets under both runners, not the host's tools (see
/// [`write_wrappers`]).
fn check_sh_commands_are_busybox_applets(guest: Guest) {
    let want = check(guest, &["sh", "-c", "tar --version | head -n 1"], b"", 0);
    assert!(
        want.stdout_str().starts_with("tar (busybox)"),
        "the reference ran {:?}, not busybox's tar",
        want.stdout_str()
    );
}

/// Standard input for the pipelines that read it: the shell's children inherit it.
const PIPE_INPUT: &[u8] = b"k 30\nb 7\nq 30\nz 1\na 7\nm 300\nc 7\nd 45\ne 45\nf 2\n";

/// Expands the case table into one test module per guest, each with one `#[test]` per case.
macro_rules! cases {
    ($($name:ident: [$($arg:expr),* $(,)?] $(stdin $input:expr)? $(=> exit $code:literal)?;)*) => {
        cases!(@guest aarch64 Aarch64 $($name: [$($arg),*] $(stdin $input)? $(=> exit $code)?;)*);
        cases!(@guest x86_64 X86_64 $($name: [$($arg),*] $(stdin $input)? $(=> exit $code)?;)*);
        cases!(@guest ppc64le Ppc64le $($name: [$($arg),*] $(stdin $input)? $(=> exit $code)?;)*);
    };
    (@guest $module:ident $guest:ident
     $($name:ident: [$($arg:expr),*] $(stdin $input:expr)? $(=> exit $code:literal)?;)*) => {
        mod $module {
            use super::{Guest, PIPE_INPUT, check, check_sh_commands_are_busybox_applets};
            $(
                #[test]
                fn $name() {
                    #[allow(unused_mut, unused_assignments)]
                    let mut input: &[u8] = b"";
                    $(input = $input;)?
                    #[allow(unused_mut, unused_assignments)]
                    let mut code = 0;
                    $(code = $code;)?
                    check(Guest::$guest, &[$($arg),*], input, code);
                }
            )*
            #[test]
            fn sh_commands_are_busybox_applets() {
                check_sh_commands_are_busybox_applets(Guest::$guest);
            }
        }
    };
}

cases! {
    // Applets run directly: no fork, no exec.
    echo: ["echo", "hello", "world"];
    cat_stdin: ["cat"] stdin b"from stdin\nsecond line\n";
    cat_n: ["cat", "-n", "tree/sub/c.txt", "tree/a.txt"];
    sha256sum: ["sha256sum", "data.txt", "numbers.txt"];
    sha256sum_stdin: ["sha256sum"] stdin b"abc";
    md5sum: ["md5sum", "data.txt", "words.txt"];
    awk: ["awk", "{ s += $4; n[$3]++ } END { print s, NR; print n[\"alpha\"], n[\"beta\"] }", "data.txt"];
    awk_printf: ["awk", "BEGIN { for (i = 1; i <= 5; i++) printf \"%d %.3f %s\\n\", i, i / 7, substr(\"abcdef\", i) }"];
    sed: ["sed", "-e", "s/line \\([0-9]*\\)/L\\1:/", "-e", "/gamma/d", "-e", "50q", "data.txt"];
    sed_n_p: ["sed", "-n", "s/line \\([0-9]*5\\) .*/\\1/p", "data.txt"];
    grep_c: ["grep", "-c", "gamma", "data.txt"];
    sort_numeric: ["sort", "-n", "numbers.txt"];
    sort_key: ["sort", "-k3,3", "-k4,4nr", "data.txt"];
    sort_reverse: ["sort", "-r", "data.txt"];
    uniq_count: ["uniq", "-c", "words.txt"];
    wc: ["wc", "data.txt", "numbers.txt", "words.txt"];
    head_tail: ["head", "-n", "7", "data.txt"];
    tail: ["tail", "-n", "5", "data.txt"];
    cut_tr: ["cut", "-d", " ", "-f", "2,3", "data.txt"];
    tr: ["tr", "a-z", "A-Z"] stdin b"make me loud\n";
    od: ["od", "-x", "tree/sub/c.txt"];
    gzip: ["gzip", "-c", "data.txt"];
    tar_create: ["tar", "-cf", "-", "tree"];
    find: ["find", "tree"];
    find_name: ["find", "tree", "-name", "*.txt", "-type", "f"];
    ls_l: ["ls", "-l", "tree", "tree/sub"];
    ls_lr: ["ls", "-lR", "tree"];
    dd: ["dd", "if=data.txt", "bs=7", "skip=3", "count=5", "status=none"];
    date: ["date", "-u", "-d", "@86400"];
    seq: ["seq", "1", "3", "100"];
    seq_w: ["seq", "-w", "8", "12"];
    seq_s: ["seq", "-s", ",", "1", "5", "40"];
    expr_arith: ["expr", "7", "*", "6", "+", "1"];
    expr_length: ["expr", "length", "hello"];
    expr_false: ["expr", "3", ">", "5"] => exit 1;
    printf: ["printf", "%05d|%-4s|%x|%o|%c|%s\\n", "42", "hi", "255", "8", "Z", "end"];
    printf_float: ["printf", "%5.2f %e %g\\n", "3.14159", "2.5e-7", "1e10"];
    false_status: ["false"] => exit 1;
    sha1sum: ["sha1sum", "data.txt"];
    sha512sum: ["sha512sum", "data.txt"];
    sha3sum: ["sha3sum", "data.txt"];
    base64: ["base64", "data.txt"];
    hexdump: ["hexdump", "-C", "tree/sub/c.txt"];
    factor: ["factor", "1234567890123", "600851475143"];
    dc: ["dc", "-e", "2 64 ^ 3 / p 7 k 1 3 / p"];
    sort_general: ["sort", "-g"] stdin b"3.5e2\n-1\n0x10\n1e-3\n";
    uname_m: ["uname", "-m"];
    readlink_self_exe: ["readlink", "/proc/self/exe"];
    // Through the shell: builtins, loops, and pipelines (fork, pipe, execve of /proc/self/exe).
    sh_echo: ["sh", "-c", "echo a; echo b"];
    sh_loop: ["sh", "-c", "i=0; s=0; while [ $i -lt 200 ]; do i=$((i+1)); s=$((s+i*i)); done; echo $i $s; for w in x y z; do echo \"<$w>\"; done"];
    sh_exit_status: ["sh", "-c", "false; echo $?; exit 7"] => exit 7;
    sh_pipe: ["sh", "-c", "echo a | cat"];
    sh_pipe_tr: ["sh", "-c", "echo a b c | tr ' ' '\\n'; sort -r data.txt | head -n 3"];
    sh_pipeline: ["sh", "-c", "sort -n numbers.txt | uniq | tail -n 3 | wc -l"];
    sh_pipeline_stdin: ["sh", "-c", "sort -k2 -n | uniq -c -f1 | tail -n 3"] stdin PIPE_INPUT;
    sh_gzip_round_trip: ["sh", "-c", "gzip -c data.txt > d.gz && gunzip -c d.gz | cmp - data.txt && echo same"];
    sh_gzip_pipe: ["sh", "-c", "gzip -c | gunzip -c | md5sum"] stdin PIPE_INPUT;
    sh_bzip2_round_trip: ["sh", "-c", "bzip2 -c data.txt | bunzip2 -c | cmp - data.txt && echo same"];
    sh_xargs: ["sh", "-c", "seq 1 10 | xargs -n 3 echo"];
    sh_fifo: ["sh", "-c", "mkfifo f; (echo through the fifo > f &); cat f"];
    sh_expansions: ["sh", "-c", "read a b <<EOF\nx y\nEOF\necho $b$a; case $a in x) echo X;; esac; echo ${#a} ${c:-d} $((1<<40)) $((-7/2)) $((-7%3)); v=$(echo sub); echo \"[$v]\"; (exit 4); echo $?"];
    sh_trap: ["sh", "-c", "trap 'echo got USR1' USR1; kill -USR1 $$; echo after"];
    // wait blocks SIGCHLD and suspends with an empty mask (rt_sigsuspend): the handler must
    // run under the temporary mask and the old one come back by sigreturn.
    sh_wait: ["sh", "-c", "sleep 0.1 & wait; echo done $?; sleep 0.1 & wait $!; echo again $?"];
    // SIGSEGV/SIGBUS sent by kill are signals, not faults: handled by a trap, else fatal.
    sh_kill_segv_trapped: ["sh", "-c", "trap 'echo got SEGV' SEGV; kill -SEGV $$; echo after"];
    sh_kill_segv: ["sh", "-c", "kill -SEGV $$; echo not reached"] => exit 139;
    sh_kill_bus: ["sh", "-c", "kill -BUS $$; echo not reached"] => exit 135;
    sh_tar_round_trip: ["sh", "-c", "tar -cf t.tar tree && mkdir out && tar -xf t.tar -C out && ls -lR out && tar -tvf t.tar"];
}
