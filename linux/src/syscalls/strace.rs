//! `--strace`: one line per syscall on stderr, in qemu-user's style:
//! `12345 openat(AT_FDCWD,"/etc/passwd",O_RDONLY|O_CLOEXEC) = 3`. The number is the calling
//! thread's id (the pid for the first thread), as `strace -f` shows guest threads apart.

use super::Syscalls;
use crate::abi::Sysno;
use crate::space::AddressSpace;

/// How to print each argument: d int, u unsigned, x hex, p pointer, s string, f dirfd,
/// o open flags, m octal mode.
fn spec(sys: Sysno) -> &'static str {
    use Sysno::*;
    match sys {
        Openat => "fsom",
        Open => "som",
        Creat => "sm",
        Read | Write | Getdents64 => "dpu",
        Pread64 | Pwrite64 => "dpuu",
        Readv | Writev => "dpd",
        Close | Dup | Fsync | Fdatasync | Fchdir | Exit | ExitGroup | Umask => "d",
        Dup2 => "dd",
        Dup3 | Fcntl => "ddx",
        Lseek => "ddd",
        Fstat => "dp",
        Newfstatat => "fspx",
        Stat | Lstat => "sp",
        Statx => "fsxxp",
        Readlinkat => "fspu",
        Readlink => "spu",
        Faccessat | Faccessat2 => "fsx",
        Access => "sx",
        Mkdirat => "fsm",
        Mkdir => "sm",
        Unlinkat => "fsx",
        Unlink | Rmdir | Chdir | Chroot => "s",
        Renameat | Renameat2 => "fsfsx",
        Rename | Symlink | Link => "ss",
        Fchmodat => "fsm",
        Chmod => "sm",
        Execve => "spp",
        Mmap => "xuxxdx",
        Munmap => "xu",
        Mprotect => "xux",
        Mremap => "xuuxx",
        Brk => "x",
        Ioctl => "dxx",
        Wait4 => "dpxp",
        Clone => "xxxxx",
        Kill => "dd",
        Tgkill => "ddd",
        Getcwd => "pu",
        Pipe2 => "px",
        ClockGettime | ClockGetres => "dp",
        RtSigaction | RtSigprocmask => "dppu",
        SetTidAddress | Uname | Sysinfo | Times => "p",
        Getrandom => "pux",
        Prlimit64 => "ddpp",
        Nanosleep => "pp",
        ClockNanosleep => "ddpp",
        Ppoll => "pdpp",
        Getpid | Getppid | Gettid | Getuid | Geteuid | Getgid | Getegid | Sync | Setsid | Fork
        | Vfork | Getpgrp | SchedYield | Pause => "",
        _ => "xxx",
    }
}

impl Syscalls {
    fn open_flags_str(&self, guest: u64) -> String {
        let h = self.abi.open_flags_to_host(guest as u32) as i32;
        let mut parts = vec![
            match h & libc::O_ACCMODE {
                libc::O_RDONLY => "O_RDONLY",
                libc::O_WRONLY => "O_WRONLY",
                _ => "O_RDWR",
            }
            .to_string(),
        ];
        let names = [
            (libc::O_CREAT, "O_CREAT"),
            (libc::O_EXCL, "O_EXCL"),
            (libc::O_NOCTTY, "O_NOCTTY"),
            (libc::O_TRUNC, "O_TRUNC"),
            (libc::O_APPEND, "O_APPEND"),
            (libc::O_NONBLOCK, "O_NONBLOCK"),
            (libc::O_DIRECTORY, "O_DIRECTORY"),
            (libc::O_NOFOLLOW, "O_NOFOLLOW"),
            (libc::O_CLOEXEC, "O_CLOEXEC"),
            (libc::O_LARGEFILE, "O_LARGEFILE"),
            (libc::O_PATH, "O_PATH"),
        ];
        let mut rest = h & !libc::O_ACCMODE;
        for (bit, name) in names {
            if rest & bit == bit && bit != 0 {
                parts.push(name.to_string());
                rest &= !bit;
            }
        }
        if rest != 0 {
            parts.push(format!("{rest:#o}"));
        }
        parts.join("|")
    }
}

/// The call part of the line (`openat(AT_FDCWD,"/etc/passwd",O_RDONLY)`), formatted before
/// the call runs.
pub(super) fn format_call(
    sys_layer: &Syscalls,
    space: &mut AddressSpace,
    sys: Sysno,
    args: &[u64; 6],
) -> String {
    let mut out = format!("{} {}(", tid(), sys.name());
    for (i, k) in spec(sys).chars().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let a = args[i];
        match k {
            'd' => out.push_str(&(a as i32).to_string()),
            'u' => out.push_str(&a.to_string()),
            'f' if a as i32 == libc::AT_FDCWD => out.push_str("AT_FDCWD"),
            'f' => out.push_str(&(a as i32).to_string()),
            'm' => out.push_str(&format!("{:#o}", a as u32)),
            'o' => out.push_str(&sys_layer.open_flags_str(a)),
            's' => match space.read_cstr(a, 4096) {
                Ok(s) => {
                    let s = String::from_utf8_lossy(&s);
                    out.push('"');
                    out.push_str(&s.escape_debug().to_string());
                    out.push('"');
                }
                Err(_) => out.push_str(&format!("{a:#x}")),
            },
            'p' if a == 0 => out.push_str("NULL"),
            _ => out.push_str(&format!("{a:#x}")),
        }
    }
    out.push(')');
    out
}

/// The result part (`3`, `0x7f00000000`, `-1 errno=2 (No such file or directory)`).
pub(super) fn format_ret(sys: Sysno, v: i64) -> String {
    if (-4095..0).contains(&v) {
        let e = -v as i32;
        return format!(
            "-1 errno={e} ({})",
            std::io::Error::from_raw_os_error(e)
                .to_string()
                .split(" (os error")
                .next()
                .unwrap_or("")
        );
    }
    match sys {
        Sysno::Mmap | Sysno::Mremap | Sysno::Brk => format!("{v:#x}"),
        _ => v.to_string(),
    }
}

/// The host thread's id, which is the guest thread's (the guest sees host ids).
fn tid() -> u32 {
    // SAFETY: gettid has no arguments.
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

/// Prints `line = ret`, or `line` alone for calls that do not return.
pub(super) fn print_line(line: &str, ret: Option<String>) {
    use std::io::Write;
    // One write per line, so that lines of forked processes do not interleave.
    let s = match ret {
        Some(r) => format!("{line} = {r}\n"),
        None => format!("{line}\n"),
    };
    let _ = std::io::stderr().write_all(s.as_bytes());
}

/// A syscall number the guest's ABI table does not know.
pub(super) fn print_unknown(nr: u64, args: &[u64; 6]) {
    eprintln!(
        "{} Unknown syscall {nr}({:#x},{:#x},{:#x}) = -1 errno=38 (Function not implemented)",
        tid(),
        args[0],
        args[1],
        args[2]
    );
}
