//! `xarch kvm`: native x86-64 programs in a KVM VM print what they print natively, guest
//! exceptions become the right signal with a one-line report, bad input is one line and a
//! non-zero exit.
//!
//! These tests need `/dev/kvm` (present on the development and CI machines): without it they
//! fail with a message saying so, never pass silently.

mod common;

use common::{
    Outcome, TempDir, busybox, diff, require_tool, run, workload, workload_names, xarch_bin,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(300);

fn require_kvm() {
    let ok = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm");
    assert!(
        ok.is_ok(),
        "/dev/kvm is not usable here ({:?}): the xarch kvm tests need it",
        ok.err()
    );
}

fn kvm(args: &[&str], stdin: &[u8]) -> Outcome {
    require_kvm();
    run(
        Command::new(xarch_bin()).arg("kvm").args(args),
        stdin,
        LIMIT,
    )
}

fn native(prog: &Path, args: &[&str], stdin: &[u8]) -> Outcome {
    run(Command::new(prog).args(args), stdin, LIMIT)
}

fn assert_same(what: &str, nat: &Outcome, k: &Outcome) {
    assert!(!k.timed_out, "{what}: timed out under xarch kvm");
    assert_eq!(
        nat.stdout,
        k.stdout,
        "{what}: output differs\n{}\nstderr: {}",
        diff("native", &nat.stdout, "xarch kvm", &k.stdout),
        k.stderr_head()
    );
    assert_eq!(
        nat.code(),
        k.code(),
        "{what}: exit status differs; stderr: {}",
        k.stderr_head()
    );
}

#[test]
fn workloads_print_what_they_print_natively() {
    for name in workload_names() {
        let prog = workload("x86_64", &name);
        let nat = native(&prog, &[], b"");
        assert_eq!(nat.code(), 0, "{name} fails natively");
        let k = kvm(&[prog.to_str().unwrap()], b"");
        assert_same(&name, &nat, &k);
    }
}

#[test]
fn busybox_applets_and_pipelines_match_native() {
    let bb = busybox("x86_64");
    let b = bb.to_str().unwrap();
    let exec_line = format!("{b} echo exec-ok; exit 5");
    let cases: Vec<(Vec<&str>, &[u8])> = vec![
        (vec!["echo", "hello", "world"], b""),
        (vec!["seq", "5"], b""),
        (vec!["wc"], b"one two\nthree\n"),
        (vec!["sort", "-r"], b"b\na\nc\n"),
        (vec!["sh", "-c", "echo a; echo b | cat; exit 7"], b""),
        (vec!["sh", "-c", &exec_line], b""),
        (
            vec!["sh", "-c", "for i in 1 2 3; do echo $i; done | tr 123 xyz"],
            b"",
        ),
    ];
    for (args, stdin) in cases {
        let nat = native(&bb, &args, stdin);
        let mut kargs = vec![b];
        kargs.extend(&args);
        let k = kvm(&kargs, stdin);
        assert_same(&format!("busybox {args:?}"), &nat, &k);
    }
}

/// More of the busybox applet set, in a directory with a small fixed tree, natively and
/// under `xarch kvm` with the same environment.
#[test]
fn busybox_applet_set_in_a_fixture_matches_native() {
    let bb = busybox("x86_64");
    let dir = TempDir::new("kvm-busybox");
    let d = dir.path();
    std::fs::create_dir_all(d.join("tree/sub")).unwrap();
    let data: String = (1..=60)
        .map(|i| {
            format!(
                "line {i} {} {}\n",
                ["alpha", "beta", "gamma"][i % 3],
                i * 37 % 101
            )
        })
        .collect();
    std::fs::write(d.join("data.txt"), &data).unwrap();
    std::fs::write(d.join("tree/a.txt"), "a\n").unwrap();
    std::fs::write(d.join("tree/sub/c.txt"), "c c c\n").unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["sha256sum", "data.txt"],
        vec!["md5sum", "data.txt", "tree/a.txt"],
        vec![
            "awk",
            "{ s += $4; n[$3]++ } END { print s, NR, n[\"beta\"] }",
            "data.txt",
        ],
        vec![
            "sed",
            "-e",
            "s/line \\([0-9]*\\)/L\\1:/",
            "-e",
            "/gamma/d",
            "data.txt",
        ],
        vec!["sort", "-k3,3", "-k4,4nr", "data.txt"],
        vec!["uniq", "-c", "tree/sub/c.txt"],
        vec!["gzip", "-c", "data.txt"],
        vec!["find", "tree"],
        vec!["ls", "-l", "tree", "tree/sub"],
        vec![
            "dd",
            "if=data.txt",
            "bs=7",
            "skip=3",
            "count=5",
            "status=none",
        ],
        vec!["expr", "7", "*", "6"],
        vec!["sh", "-c", "sort -k4n data.txt | uniq | tail -n 3 | wc -l"],
        vec![
            "sh",
            "-c",
            "gzip -c data.txt > d.gz && gunzip -c d.gz | cmp - data.txt && echo same",
        ],
    ];
    let env = |c: &mut Command| {
        c.current_dir(d)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LC_ALL", "C")
            .env("TZ", "UTC");
    };
    for args in cases {
        let mut n = Command::new(&bb);
        n.args(&args);
        env(&mut n);
        let nat = run(&mut n, b"", LIMIT);
        assert_eq!(
            nat.code(),
            0,
            "busybox {args:?} natively: {}",
            nat.stderr_head()
        );
        require_kvm();
        let mut k = Command::new(xarch_bin());
        k.arg("kvm").arg(&bb).args(&args);
        env(&mut k);
        let got = run(&mut k, b"", LIMIT);
        assert_same(&format!("busybox {args:?}"), &nat, &got);
    }
}

/// A static test program built from C in a temp dir.
fn build_c(dir: &TempDir, name: &str, src: &str) -> PathBuf {
    require_tool("gcc", "gcc libc6-dev");
    let c = dir.path().join(format!("{name}.c"));
    std::fs::write(&c, src).unwrap();
    let out = dir.path().join(name);
    let st = Command::new("gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&out)
        .arg(&c)
        .status()
        .unwrap();
    assert!(st.success(), "gcc failed on {name}.c");
    out
}

/// Faults at known labels; the program prints their addresses on stderr first.
const FAULTS_C: &str = r#"
#include <stdio.h>
#include <string.h>
extern char segv_ip[], div_ip[], ud2_ip[], int3_after[];
int main(int argc, char **argv) {
    fprintf(stderr, "segv %p div %p ud2 %p int3 %p\n", (void *)segv_ip, (void *)div_ip,
            (void *)ud2_ip, (void *)int3_after);
    const char *m = argv[1];
    if (!strcmp(m, "segv")) __asm__ volatile(".globl segv_ip\nsegv_ip: movq 0, %%rax" ::: "rax", "memory");
    if (!strcmp(m, "div")) __asm__ volatile("xorl %%ecx, %%ecx\n.globl div_ip\ndiv_ip: divl %%ecx" ::: "eax", "ecx", "edx");
    if (!strcmp(m, "ud2")) __asm__ volatile(".globl ud2_ip\nud2_ip: ud2");
    if (!strcmp(m, "int3")) __asm__ volatile("int3\n.globl int3_after\nint3_after: nop");
    return 0;
}
"#;

fn label(stderr: &str, name: &str) -> String {
    let first = stderr.lines().next().unwrap_or("");
    let words: Vec<&str> = first.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| *w == name)
        .unwrap_or_else(|| panic!("no {name} in {first:?}"));
    words[i + 1].to_string()
}

#[test]
fn exceptions_become_signals_with_the_right_report() {
    let dir = TempDir::new("kvm-faults");
    let prog = build_c(&dir, "faults", FAULTS_C);
    let p = prog.to_str().unwrap();
    for (mode, code, sig, lbl, extra) in [
        ("segv", 139, "SIGSEGV", "segv", " accessing 0x0"),
        ("div", 136, "SIGFPE", "div", ""),
        ("ud2", 132, "SIGILL", "ud2", ""),
        ("int3", 133, "SIGTRAP", "int3", ""),
    ] {
        let nat = native(&prog, &[mode], b"");
        assert_eq!(nat.code(), code, "{mode} natively");
        let k = kvm(&[p, mode], b"");
        assert_eq!(
            k.code(),
            code,
            "{mode} under xarch kvm; stderr: {}",
            k.stderr_head()
        );
        let err = String::from_utf8_lossy(&k.stderr).into_owned();
        let want = format!("xarch: guest {sig} at rip {}{extra}", label(&err, lbl));
        assert!(
            err.lines().any(|l| l == want),
            "{mode}: expected {want:?} in stderr:\n{err}"
        );
    }
}

const FORK_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
static double work(int n) { double s = 0; for (int i = 1; i <= n; i++) s += 1.0 / i; return s; }
int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "child")) { printf("exec'd child %s\n", argv[2]); return 4; }
    int fd[2];
    if (pipe(fd)) return 10;
    double before = work(1000);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        char buf[64];
        int n = snprintf(buf, sizeof buf, "from child %.6f", work(2000));
        write(fd[1], buf, n);
        _exit(3);
    }
    close(fd[1]);
    char buf[64] = {0};
    read(fd[0], buf, sizeof buf - 1);
    int st;
    waitpid(pid, &st, 0);
    printf("%s, status %d, parent %.6f\n", buf, WEXITSTATUS(st), before);
    fflush(stdout);
    pid = fork();
    if (pid == 0) { execl(argv[0], argv[0], "child", "x", (char *)0); _exit(99); }
    waitpid(pid, &st, 0);
    printf("exec status %d\n", WEXITSTATUS(st));
    return 0;
}
"#;

#[test]
fn fork_pipe_wait_and_execve_work() {
    let dir = TempDir::new("kvm-fork");
    let prog = build_c(&dir, "forker", FORK_C);
    let nat = native(&prog, &[], b"");
    assert_eq!(nat.code(), 0);
    let k = kvm(&[prog.to_str().unwrap()], b"");
    assert_same("fork/exec", &nat, &k);
}

/// Vector registers across syscalls and into a forked child: the upper halves of YMM (AVX)
/// and ZMM (AVX-512) registers where the CPU has them.
const VECTORS_C: &str = r#"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
static int check(const char *what, int zmm, long nr, long a1, long a2) {
    double in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8] = {0};
    register long rdi __asm__("rdi") = a1;
    register long rsi __asm__("rsi") = a2;
    long r = nr;
    if (zmm)
        __asm__ volatile("vmovupd (%3), %%zmm5\n\tsyscall\n\tvmovupd %%zmm5, (%4)"
                         : "+a"(r), "+r"(rdi), "+r"(rsi) : "r"(in), "r"(out)
                         : "rcx", "r11", "memory", "xmm5");
    else
        __asm__ volatile("vmovupd (%3), %%ymm5\n\tsyscall\n\tvmovupd %%ymm5, (%4)"
                         : "+a"(r), "+r"(rdi), "+r"(rsi) : "r"(in), "r"(out)
                         : "rcx", "r11", "memory", "xmm5");
    int ok = memcmp(in, out, zmm ? 64 : 32) == 0;
    if (nr == 57 && r == 0)
        _exit(ok ? 0 : 9);
    if (nr == 57) {
        int st;
        waitpid(r, &st, 0);
        ok = ok && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    printf("%s %s: %s\n", zmm ? "zmm" : "ymm", what, ok ? "kept" : "LOST");
    return ok;
}
int main(void) {
    struct utsname u;
    char buf[256];
    int ok = 1;
    for (int zmm = 0; zmm < 2; zmm++) {
        if (!(zmm ? __builtin_cpu_supports("avx512f") : __builtin_cpu_supports("avx"))) {
            printf("%s: not on this CPU\n", zmm ? "zmm" : "ymm");
            continue;
        }
        ok &= check("uname", zmm, 63, (long)&u, 0);
        ok &= check("getcwd", zmm, 79, (long)buf, sizeof buf);
        ok &= check("fork", zmm, 57, 0, 0);
    }
    return !ok;
}
"#;

#[test]
fn vector_registers_survive_syscalls_and_fork() {
    let dir = TempDir::new("kvm-vectors");
    let prog = build_c(&dir, "vectors", VECTORS_C);
    let nat = native(&prog, &[], b"");
    assert_eq!(nat.code(), 0, "{}", String::from_utf8_lossy(&nat.stdout));
    let k = kvm(&[prog.to_str().unwrap()], b"");
    assert_same("vector registers", &nat, &k);
}

#[test]
fn bad_input_is_one_line_and_nonzero() {
    let dir = TempDir::new("kvm-bad");
    let x86 = workload("x86_64", "intmix");
    let arm = workload("aarch64", "intmix");
    let data = std::fs::read(&x86).unwrap();
    let truncated = dir.path().join("truncated");
    std::fs::write(&truncated, &data[..200]).unwrap();
    let mut bad_phdr = data.clone();
    // e_phoff far beyond the end of the file.
    bad_phdr[0x20..0x28].copy_from_slice(&0x7fff_ffffu64.to_le_bytes());
    let corrupt = dir.path().join("corrupt");
    std::fs::write(&corrupt, &bad_phdr).unwrap();
    let text = dir.path().join("text");
    std::fs::write(&text, "not a program\n").unwrap();
    for (path, needle) in [
        (arm.as_path(), "not an x86-64 program"),
        (truncated.as_path(), "corrupt"),
        (corrupt.as_path(), "corrupt"),
        (text.as_path(), "not an ELF"),
        (Path::new("/nonexistent/prog"), "no such file"),
    ] {
        let k = kvm(&[path.to_str().unwrap()], b"");
        let err = String::from_utf8_lossy(&k.stderr).into_owned();
        assert!(
            k.code() != 0 && k.code() < 128,
            "{}: exit {}",
            path.display(),
            k.code()
        );
        assert_eq!(
            err.lines().count(),
            1,
            "{}: not one line:\n{err}",
            path.display()
        );
        assert!(
            err.starts_with("xarch: ") && err.contains(needle),
            "{}: {err}",
            path.display()
        );
        assert!(k.stdout.is_empty());
    }
}

#[test]
fn stats_name_the_backend_and_count_exits() {
    let dir = TempDir::new("kvm-stats");
    let json = dir.path().join("stats.json");
    let prog = workload("x86_64", "intmix");
    let k = kvm(
        &[
            "--stats",
            "--stats-json",
            json.to_str().unwrap(),
            prog.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(k.code(), 0, "{}", k.stderr_head());
    let err = String::from_utf8_lossy(&k.stderr).into_owned();
    let backend = if Path::new("/sys/module/kvm_pvm").exists() {
        "kvm_pvm"
    } else if Path::new("/sys/module/kvm_intel").exists() {
        "kvm_intel"
    } else {
        "kvm_amd"
    };
    assert!(err.contains(&format!("backend {backend}")), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["backend"], backend);
    let syscalls = v["exits"]["syscall"].as_u64().unwrap();
    assert!(
        syscalls >= 5,
        "a glibc program makes several syscalls, got {syscalls}"
    );
    assert!(v["guest_ns"].as_u64().unwrap() > 0);
    assert_eq!(v["ending"]["exit_code"], 0);
    // The set-up is split into its parts; they add up to it.
    let part = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("no {k} in {v}"));
    let parts = part("load_ns") + part("vm_create_ns") + part("map_image_ns");
    assert!(part("vm_create_ns") > 0 && part("load_ns") > 0, "{v}");
    assert_eq!(parts, part("setup_ns"), "{v}");
    assert!(part("first_exit_ns") > 0 && part("first_exit_ns") < part("total_ns"));
    for line in [
        "load ELF",
        "create VM, vCPU",
        "map image, stack",
        "to first exit",
    ] {
        assert!(err.contains(line), "{err}");
    }

    let k = kvm(&["--trace-exits", prog.to_str().unwrap()], b"");
    let err = String::from_utf8_lossy(&k.stderr).into_owned();
    let traced = err
        .lines()
        .filter(|l| l.starts_with("xarch-kvm: exit syscall rip=0x"))
        .count() as u64;
    assert_eq!(traced, syscalls, "one trace line per exit:\n{err}");
    assert!(err.contains("exit_group(231)"), "{err}");
}

#[test]
fn dynamic_host_programs_use_the_host_libraries() {
    // The host's own dynamically linked programs: the dynamic linker and libc come from /.
    let cases: Vec<(&str, Vec<&str>, &[u8])> = vec![
        (
            "/bin/sh",
            vec!["-c", "echo $((6*7)); printf 'b\\na\\n' | sort; exit 3"],
            b"",
        ),
        ("/usr/bin/wc", vec!["-w"], b"one two three\n"),
    ];
    for (prog, args, stdin) in cases {
        let nat = native(Path::new(prog), &args, stdin);
        let mut kargs = vec![prog];
        kargs.extend(&args);
        let k = kvm(&kargs, stdin);
        assert_same(&format!("{prog} {args:?}"), &nat, &k);
    }
}

/// Without a usable /dev/kvm (hidden in a private mount namespace), one line and exit 1.
#[test]
fn unusable_dev_kvm_is_one_line_and_nonzero() {
    require_kvm();
    require_tool("unshare", "util-linux");
    let prog = workload("x86_64", "intmix");
    let x = xarch_bin();
    for hide in [
        "mount -t tmpfs none /dev",
        "mount --bind /dev/null /dev/kvm",
    ] {
        let script = format!("{hide} && exec \"$0\" kvm \"$1\"");
        let mut c = Command::new("unshare");
        c.args(["--mount", "sh", "-c", &script]).arg(&x).arg(&prog);
        let k = run(&mut c, b"", LIMIT);
        let err = String::from_utf8_lossy(&k.stderr).into_owned();
        assert_eq!(k.code(), 1, "{hide}: {err}");
        assert_eq!(err.lines().count(), 1, "{hide}: {err}");
        assert!(
            err.starts_with("xarch: /dev/kvm is not usable"),
            "{hide}: {err}"
        );
        assert!(k.stdout.is_empty());
    }
}
