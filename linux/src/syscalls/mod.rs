//! System call emulation, shared by the DBT and the KVM path.
//!
//! ```text
//!  guest nr + 6 args ─► Abi::sysno ─► Sysno ─► dispatch (fs, process, mm, time, signal)
//!                                               │  guest pointers checked and translated
//!                                               │  through AddressSpace; arch-specific
//!                                               │  structs (stat, iovec, timespec) converted
//!                                               └► host kernel ─► value or -errno
//! ```
//!
//! Most calls pass through to the host kernel once their guest pointers are checked and turned
//! into host pointers: a bad guest pointer is -EFAULT, never a host crash. What the emulator
//! must own is emulated: the address space (mmap family, brk), process identity seen by the
//! guest (`/proc/self/exe`, `uname -m`), fork and execve (the whole emulator forks; a guest
//! program is re-executed under xarch), signal dispositions (recorded; guest handlers are
//! run by the run loop through `crate::signal`).
//!
//! Structs are converted through the guest's word size and byte order (`stat`, `statx`,
//! `statfs`, `timespec`, `itimerval`, `rusage`, `sysinfo`, `pollfd`, `fd_set`, `flock`,
//! `epoll_event`, `msghdr`, `termios`, …); a 32-bit guest's 64-bit arguments are widened
//! from register pairs first (`wide.rs`). Ancillary socket data (`cmsghdr`) passes through
//! where [`Abi::host_struct_layout`] holds and is converted elsewhere (`cmsg.rs`).

mod cmsg;
mod fs;
mod mm;
mod process;
mod strace;
mod termios;
mod time;
mod wide;

pub use process::{fp_exc_mode, self_exec_prefix};

use crate::abi::{Abi, Sysno};
use crate::space::{AddressSpace, Prot};
use std::collections::{HashMap, HashSet};
use std::ffi::{CString, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What the caller must do after a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallOutcome {
    /// Write this value (a result or `-errno`) to the guest's return register and continue.
    Return(i64),
    /// The process exits with this status (`exit_group`; `exit` too unless threads are on,
    /// see [`Syscalls::set_threads`]).
    Exit(i32),
    /// The calling guest thread ends with this status (`exit` with threads on). The caller
    /// runs [`Syscalls::exit_thread`] and ends the thread; the last thread ends the process.
    ExitThread(i32),
    /// `clone` of a new guest thread (threads on): the caller starts it and writes the new
    /// thread's id as the result (see [`ThreadRequest`]).
    NewThread(ThreadRequest),
    /// Set the guest thread pointer (x86-64 `arch_prctl(ARCH_SET_FS)`) and return 0.
    SetThreadPointer(u64),
    /// Store the guest thread pointer as a guest word at this address and return 0
    /// (`arch_prctl(ARCH_GET_FS)`); -EFAULT if that fails.
    GetThreadPointer(u64),
    /// A `fork`/`clone` happened: this process is the child (`child`, return `ret` = 0) or the
    /// parent (`ret` = child pid). The child must also set its stack pointer to `stack` and
    /// its thread pointer to `tls` when given. The KVM path rebuilds its VM in the child.
    Forked {
        child: bool,
        ret: i64,
        stack: Option<u64>,
        tls: Option<u64>,
    },
}

/// What a new guest thread needs (from `clone` with CLONE_VM|CLONE_THREAD): the caller copies
/// the parent's CPU state, sets the stack and thread pointers when given, returns 0 in the
/// child, and serves the tid words through [`Syscalls::start_thread`] in the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadRequest {
    /// The clone flags.
    pub flags: u64,
    /// The child's stack pointer (None: the parent's).
    pub stack: Option<u64>,
    /// The child's thread pointer (CLONE_SETTLS).
    pub tls: Option<u64>,
    /// CLONE_PARENT_SETTID: where the new tid goes (in parent memory, the same memory).
    pub parent_tid: Option<u64>,
    /// CLONE_CHILD_SETTID: where the new tid goes before the child runs.
    pub child_set_tid: Option<u64>,
    /// CLONE_CHILD_CLEARTID: cleared and woken when the child ends.
    pub child_clear_tid: Option<u64>,
}

/// A syscall result: a value, or an errno for the guest.
type SysResult = Result<i64, i32>;

/// The syscall layer of one guest process.
pub struct Syscalls {
    abi: &'static Abi,
    exec_prefix: Vec<OsString>,
    guest_machines: Vec<u16>,
    exe_path: Option<PathBuf>,
    sysroot: Option<PathBuf>,
    strace: bool,
    /// Warnings printed once per process (shared by the guest threads' layers).
    warned: Arc<Mutex<HashSet<u64>>>,
    /// Guest `struct sigaction` bytes per signal, as the guest set them (one table for all
    /// guest threads, as CLONE_SIGHAND shares it).
    sigactions: Arc<Mutex<HashMap<u32, Vec<u8>>>>,
    /// Guest handlers make the host record their signals (`crate::signal`): the caller
    /// delivers them. Off: handlers are recorded only and the host action stays.
    deliver_signals: bool,
    /// The mask to restore after the signal delivery that follows a call which ran with a
    /// temporary mask (rt_sigsuspend, ppoll, pselect6, epoll_pwait) and returned EINTR; see
    /// [`Syscalls::take_saved_mask`].
    saved_mask: Option<u64>,
    /// This thread's `set_tid_address` / CLONE_CHILD_CLEARTID word.
    clear_child_tid: u64,
    /// Guest threads: clone with CLONE_THREAD gives [`SyscallOutcome::NewThread`].
    threads: bool,
    /// Calls served by every guest thread.
    count: Arc<AtomicU64>,
    /// This thread's `set_robust_list` head (0: none), walked when the thread ends.
    robust_list: u64,
    /// The runner's own locks to hold across a host `fork` ([`Syscalls::set_fork_lock`]).
    fork_lock: Option<fn() -> Box<dyn std::any::Any>>,
}

impl Syscalls {
    /// The syscall layer for a guest of `abi`. `exec_prefix` is the command that runs another
    /// guest program of a known machine for `execve`, e.g. `["/proc/self/exe", "run",
    /// "--strace"]`: xarch appends `--argv0 <argv[0]> -- <program> <argv[1..]>` (so the
    /// command must accept `--argv0`). An empty prefix makes guest `execve` of a foreign ELF go
    /// to the host kernel (which fails with ENOEXEC).
    pub fn new(abi: &'static Abi, exec_prefix: Vec<OsString>) -> Syscalls {
        Syscalls {
            abi,
            exec_prefix,
            guest_machines: vec![abi.elf_machine],
            exe_path: None,
            sysroot: None,
            strace: false,
            warned: Arc::default(),
            sigactions: Arc::default(),
            deliver_signals: false,
            saved_mask: None,
            clear_child_tid: 0,
            threads: false,
            count: Arc::default(),
            robust_list: 0,
            fork_lock: None,
        }
    }

    /// The syscall layer of a new guest thread of this process: the same settings, signal
    /// actions and warnings; its own signal-mask bookkeeping and clear-tid word.
    pub fn for_thread(&self) -> Syscalls {
        Syscalls {
            abi: self.abi,
            exec_prefix: self.exec_prefix.clone(),
            guest_machines: self.guest_machines.clone(),
            exe_path: self.exe_path.clone(),
            sysroot: self.sysroot.clone(),
            strace: self.strace,
            warned: self.warned.clone(),
            sigactions: self.sigactions.clone(),
            deliver_signals: self.deliver_signals,
            saved_mask: None,
            clear_child_tid: 0,
            threads: self.threads,
            count: self.count.clone(),
            robust_list: 0,
            fork_lock: self.fork_lock,
        }
    }

    /// The caller runs guest threads (`xarch run`): `clone` with CLONE_THREAD gives
    /// [`SyscallOutcome::NewThread`] and `exit` [`SyscallOutcome::ExitThread`]. Off (the KVM
    /// path), threads get ENOSYS.
    pub fn set_threads(&mut self, on: bool) {
        self.threads = on;
    }
    /// Sets a function that takes the runner's own locks which a forked child may need (for
    /// the DBT: its list of engines, stdout and stderr) and returns them held: `fork` takes
    /// them first, then this layer's and the address space's, forks, and lets them go in both
    /// processes, so that the child (which has only the forking thread) finds none of them
    /// taken by a thread it does not have.
    pub fn set_fork_lock(&mut self, lock: fn() -> Box<dyn std::any::Any>) {
        self.fork_lock = Some(lock);
    }

    /// The guest program's path (made absolute), for `readlink("/proc/self/exe")`.
    pub fn set_exe_path(&mut self, path: &Path) {
        self.exe_path = Some(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()));
    }

    /// A sysroot (`-L`): absolute guest paths that exist under it are opened there.
    pub fn set_sysroot(&mut self, dir: Option<PathBuf>) {
        self.sysroot = dir;
    }

    /// The caller runs guest signal handlers (`xarch run`): a guest handler makes the host
    /// record its signal in `crate::signal` for the caller to deliver.
    pub fn set_deliver_signals(&mut self, on: bool) {
        self.deliver_signals = on;
    }

    /// Prints one qemu-style line per syscall on stderr.
    pub fn set_strace(&mut self, on: bool) {
        self.strace = on;
    }

    /// ELF machines that `execve` runs through `exec_prefix` (default: the guest's own).
    pub fn set_guest_machines(&mut self, machines: Vec<u16>) {
        self.guest_machines = machines;
    }

    /// The guest's ABI.
    pub fn abi(&self) -> &'static Abi {
        self.abi
    }

    /// Number of syscalls served so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Serves the guest syscall `nr` (the guest's own numbering) with its six arguments.
    pub fn handle(&mut self, space: &mut AddressSpace, nr: u64, args: [u64; 6]) -> SyscallOutcome {
        self.count.fetch_add(1, Ordering::Relaxed);
        let Some(sys) = self.abi.sysno(nr) else {
            self.warn_once(nr, &format!("unimplemented syscall unknown ({nr})"));
            if self.strace {
                strace::print_unknown(nr, &args);
            }
            return SyscallOutcome::Return(-(libc::ENOSYS as i64));
        };
        let args = wide::widen(self.abi, sys, args);
        let pre = if self.strace {
            Some(strace::format_call(self, space, sys, &args))
        } else {
            None
        };
        if let Some(line) = &pre
            && matches!(
                sys,
                Sysno::Exit | Sysno::ExitGroup | Sysno::Execve | Sysno::Execveat
            )
        {
            // These do not return (execve only on failure): print before.
            strace::print_line(line, None);
        }
        let out = self.dispatch(space, sys, nr, args);
        if let Some(line) = pre
            && !matches!(sys, Sysno::Exit | Sysno::ExitGroup)
        {
            match out {
                SyscallOutcome::Return(v) if !matches!(sys, Sysno::Execve | Sysno::Execveat) => {
                    strace::print_line(&line, Some(strace::format_ret(sys, v)))
                }
                SyscallOutcome::Return(v) => {
                    strace::print_line(" (execve failed)", Some(strace::format_ret(sys, v)))
                }
                SyscallOutcome::Forked {
                    child: false, ret, ..
                } => strace::print_line(&line, Some(ret.to_string())),
                SyscallOutcome::NewThread(_) => strace::print_line(&line, Some("<thread>".into())),
                SyscallOutcome::SetThreadPointer(_) | SyscallOutcome::GetThreadPointer(_) => {
                    strace::print_line(&line, Some("0".into()))
                }
                _ => {}
            }
        }
        out
    }

    fn dispatch(
        &mut self,
        space: &mut AddressSpace,
        sys: Sysno,
        nr: u64,
        a: [u64; 6],
    ) -> SyscallOutcome {
        use SyscallOutcome::Return;
        use Sysno::*;
        let r: SysResult = match sys {
            // ---- process lifetime, fork and exec (process.rs)
            Exit if self.threads => return SyscallOutcome::ExitThread(a[0] as i32),
            Exit | ExitGroup => return SyscallOutcome::Exit(a[0] as i32),
            Clone => return self.clone_(space, a),
            Fork => return self.fork(space, libc::SIGCHLD as u64, 0, 0, 0, 0),
            Vfork => {
                return self.fork(
                    space,
                    (libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD) as u64,
                    0,
                    0,
                    0,
                    0,
                );
            }
            ArchPrctl => return self.arch_prctl(space, a),
            Execve => self.execve(space, libc::AT_FDCWD as u64, a[0], a[1], a[2], 0),
            Execveat => self.execve(space, a[0], a[1], a[2], a[3], a[4]),
            Wait4 => self.wait4(space, a),
            Waitid => self.waitid(space, a),
            // Deliberately absent: glibc falls back to clone / runs without rseq.
            Clone3 | Rseq => Err(libc::ENOSYS),
            _ => self.dispatch_rest(space, sys, nr, a),
        };
        Return(match r {
            Ok(v) => v,
            Err(e) => -(e as i64),
        })
    }

    fn dispatch_rest(
        &mut self,
        space: &mut AddressSpace,
        sys: Sysno,
        nr: u64,
        a: [u64; 6],
    ) -> SysResult {
        use Sysno::*;
        match sys {
            // ---- file and directory I/O (fs.rs)
            Openat => self.openat(space, a[0], a[1], a[2], a[3]),
            Open => self.openat(space, libc::AT_FDCWD as u64, a[0], a[1], a[2]),
            Creat => self.openat(
                space,
                libc::AT_FDCWD as u64,
                a[0],
                (libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u64,
                a[1],
            ),
            Close => raw(libc::SYS_close, [int(a[0]), 0, 0, 0, 0, 0]),
            Read => self.read(space, a),
            Write => self.write(space, a),
            Pread64 => self.pread(space, a),
            Pwrite64 => self.pwrite(space, a),
            Readv | Writev | Preadv | Pwritev | Preadv2 | Pwritev2 => self.vector_io(space, sys, a),
            Lseek => raw(
                libc::SYS_lseek,
                [int(a[0]), a[1] as i64, int(a[2]), 0, 0, 0],
            ),
            Fstat => self.fstat(space, a),
            Fstat64 => self.fstat(space, a),
            Stat64 => self.newfstatat(space, libc::AT_FDCWD as u64, a[0], a[1], 0),
            Lstat64 => self.newfstatat(
                space,
                libc::AT_FDCWD as u64,
                a[0],
                a[1],
                libc::AT_SYMLINK_NOFOLLOW as u64,
            ),
            Fstatat64 => self.newfstatat(space, a[0], a[1], a[2], a[3]),
            Fcntl64 => self.fcntl(space, a),
            Llseek => self.llseek(space, a),
            Mmap2 => self.mmap(
                space,
                [a[0], a[1], a[2], a[3], a[4], a[5].wrapping_mul(4096)],
            ),
            Waitpid => self.wait4(space, [a[0], a[1], a[2], 0, 0, 0]),
            ClockGettime64 => self.clock_gettime64(space, a, false),
            ClockGetresTime64 => self.clock_gettime64(space, a, true),
            ClockNanosleepTime64 => self.clock_nanosleep64(space, a),
            Newfstatat => self.newfstatat(space, a[0], a[1], a[2], a[3]),
            Stat => self.newfstatat(space, libc::AT_FDCWD as u64, a[0], a[1], 0),
            Lstat => self.newfstatat(
                space,
                libc::AT_FDCWD as u64,
                a[0],
                a[1],
                libc::AT_SYMLINK_NOFOLLOW as u64,
            ),
            Statx => self.statx(space, a),
            Getxattr | Lgetxattr | Fgetxattr => self.getxattr(space, sys, a),
            Statfs | Fstatfs | Statfs64 | Fstatfs64 => self.statfs(space, sys, a),
            Getdents64 => self.getdents64(space, a),
            Readlinkat => self.readlinkat(space, a[0], a[1], a[2], a[3]),
            Readlink => self.readlinkat(space, libc::AT_FDCWD as u64, a[0], a[1], a[2]),
            Faccessat => self.path_call(space, libc::SYS_faccessat, a[0], a[1], [int(a[2]), 0, 0]),
            Faccessat2 => self.path_call(
                space,
                libc::SYS_faccessat2,
                a[0],
                a[1],
                [int(a[2]), int(a[3]), 0],
            ),
            Access => self.path_call(
                space,
                libc::SYS_faccessat,
                libc::AT_FDCWD as u64,
                a[0],
                [int(a[1]), 0, 0],
            ),
            Mkdirat => self.path_call(space, libc::SYS_mkdirat, a[0], a[1], [int(a[2]), 0, 0]),
            Mkdir => self.path_call(
                space,
                libc::SYS_mkdirat,
                libc::AT_FDCWD as u64,
                a[0],
                [int(a[1]), 0, 0],
            ),
            Mknodat => self.path_call(
                space,
                libc::SYS_mknodat,
                a[0],
                a[1],
                [int(a[2]), a[3] as i64, 0],
            ),
            Unlinkat => self.path_call(space, libc::SYS_unlinkat, a[0], a[1], [int(a[2]), 0, 0]),
            Unlink => self.path_call(
                space,
                libc::SYS_unlinkat,
                libc::AT_FDCWD as u64,
                a[0],
                [0, 0, 0],
            ),
            Rmdir => self.path_call(
                space,
                libc::SYS_unlinkat,
                libc::AT_FDCWD as u64,
                a[0],
                [libc::AT_REMOVEDIR as i64, 0, 0],
            ),
            Fchmodat => self.path_call(space, libc::SYS_fchmodat, a[0], a[1], [int(a[2]), 0, 0]),
            Chmod => self.path_call(
                space,
                libc::SYS_fchmodat,
                libc::AT_FDCWD as u64,
                a[0],
                [int(a[1]), 0, 0],
            ),
            Fchownat => self.path_call(
                space,
                libc::SYS_fchownat,
                a[0],
                a[1],
                [int(a[2]), int(a[3]), int(a[4])],
            ),
            Chown => self.path_call(
                space,
                libc::SYS_fchownat,
                libc::AT_FDCWD as u64,
                a[0],
                [int(a[1]), int(a[2]), 0],
            ),
            Lchown => self.path_call(
                space,
                libc::SYS_fchownat,
                libc::AT_FDCWD as u64,
                a[0],
                [int(a[1]), int(a[2]), libc::AT_SYMLINK_NOFOLLOW as i64],
            ),
            Truncate | Truncate64 => self.path_call(
                space,
                libc::SYS_truncate,
                u64::MAX,
                a[0],
                [a[1] as i64, 0, 0],
            ),
            Chdir => self.path_call(space, libc::SYS_chdir, u64::MAX, a[0], [0, 0, 0]),
            Chroot => self.path_call(space, libc::SYS_chroot, u64::MAX, a[0], [0, 0, 0]),
            Renameat | Renameat2 | Rename | Linkat | Link | Symlinkat | Symlink => {
                self.two_paths(space, sys, a)
            }
            Utimensat => self.utimensat(space, a),
            Fchmod => raw(libc::SYS_fchmod, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Fchown => raw(libc::SYS_fchown, [int(a[0]), int(a[1]), int(a[2]), 0, 0, 0]),
            Fchdir => raw(libc::SYS_fchdir, [int(a[0]), 0, 0, 0, 0, 0]),
            Ftruncate | Ftruncate64 => {
                raw(libc::SYS_ftruncate, [int(a[0]), a[1] as i64, 0, 0, 0, 0])
            }
            Readahead => raw(
                libc::SYS_readahead,
                [int(a[0]), a[1] as i64, a[2] as i64, 0, 0, 0],
            ),
            SyncFileRange | SyncFileRange2 => raw(
                libc::SYS_sync_file_range,
                [int(a[0]), a[1] as i64, a[2] as i64, int(a[3]), 0, 0],
            ),
            Fallocate => raw(
                libc::SYS_fallocate,
                [int(a[0]), int(a[1]), a[2] as i64, a[3] as i64, 0, 0],
            ),
            Fsync => raw(libc::SYS_fsync, [int(a[0]), 0, 0, 0, 0, 0]),
            Fdatasync => raw(libc::SYS_fdatasync, [int(a[0]), 0, 0, 0, 0, 0]),
            Sync => raw(libc::SYS_sync, [0; 6]),
            Syncfs => raw(libc::SYS_syncfs, [int(a[0]), 0, 0, 0, 0, 0]),
            Flock => raw(libc::SYS_flock, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Fadvise64 | Fadvise64_64 => raw(
                libc::SYS_fadvise64,
                [int(a[0]), a[1] as i64, a[2] as i64, int(a[3]), 0, 0],
            ),
            Fcntl => self.fcntl(space, a),
            Dup => raw(libc::SYS_dup, [int(a[0]), 0, 0, 0, 0, 0]),
            Dup2 => raw(libc::SYS_dup2, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Dup3 => raw(
                libc::SYS_dup3,
                [
                    int(a[0]),
                    int(a[1]),
                    self.abi.open_flags_to_host(a[2] as u32) as i64,
                    0,
                    0,
                    0,
                ],
            ),
            Pipe => self.pipe2(space, a[0], 0),
            Pipe2 => self.pipe2(space, a[0], a[1]),
            Ioctl => self.ioctl(space, a),
            Getcwd => self.getcwd(space, a),
            Sendfile => self.sendfile(space, a, false),
            Sendfile64 => self.sendfile(space, a, true),
            CopyFileRange => self.copy_file_range(space, a),
            Poll => self.poll(space, a[0], a[1], PollTimeout::Millis(a[2] as i32), 0),
            Ppoll => self.poll(space, a[0], a[1], PollTimeout::Timespec(a[2]), a[3]),
            Pselect6 => self.pselect6(space, a, false),
            Pselect6Time64 => self.pselect6(space, a, true),
            PpollTime64 => self.poll(space, a[0], a[1], PollTimeout::Timespec64(a[2]), a[3]),
            Select => self.select(space, a),
            Socket => raw(libc::SYS_socket, [int(a[0]), int(a[1]), int(a[2]), 0, 0, 0]),
            Socketpair => self.socketpair(space, a),
            Bind | Connect => self.sockaddr_in(space, sys, a),
            Listen => raw(libc::SYS_listen, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Shutdown => raw(libc::SYS_shutdown, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Accept | Accept4 | Getsockname | Getpeername => self.sockaddr_out(space, sys, a),
            Sendto => self.sendto(space, a),
            Recvfrom => self.recvfrom(space, a),
            Setsockopt => self.setsockopt(space, a),
            Getsockopt => self.getsockopt(space, a),
            MemfdCreate => self.memfd_create(space, a),
            Sendmsg | Recvmsg => self.msg(space, sys, a),
            Sendmmsg | Recvmmsg | RecvmmsgTime64 => self.mmsg(space, sys, a),
            EpollCreate1 => raw(
                libc::SYS_epoll_create1,
                [
                    self.abi.open_flags_to_host(a[0] as u32) as i64,
                    0,
                    0,
                    0,
                    0,
                    0,
                ],
            ),
            EpollCreate => raw(libc::SYS_epoll_create1, [0; 6]),
            EpollCtl => self.epoll_ctl(space, a),
            EpollWait => self.epoll_pwait(space, [a[0], a[1], a[2], a[3], 0, 0]),
            EpollPwait => self.epoll_pwait(space, a),
            Eventfd2 => raw(
                libc::SYS_eventfd2,
                [
                    int(a[0]),
                    self.abi.open_flags_to_host(a[1] as u32) as i64,
                    0,
                    0,
                    0,
                    0,
                ],
            ),
            Umask => raw(libc::SYS_umask, [int(a[0]), 0, 0, 0, 0, 0]),

            // ---- memory (mm.rs)
            Mmap => self.mmap(space, a),
            Munmap => space.munmap(a[0], a[1]).map(|_| 0).map_err(|e| e.errno()),
            Mprotect => space
                .mprotect(a[0], a[1], Prot(a[2] as u32 & 7))
                .map(|_| 0)
                .map_err(|e| e.errno()),
            Mremap => self.mremap(space, a),
            Brk => Ok(space.brk(a[0]) as i64),
            Madvise => self.madvise(space, a),
            Msync => self.msync(space, a),
            Mlock | Munlock | Mlockall | Munlockall | Mlock2 => Ok(0),
            Mincore => self.mincore(space, a),

            // ---- identity, limits, scheduling (process.rs)
            Getpid => raw(libc::SYS_getpid, [0; 6]),
            Getppid => raw(libc::SYS_getppid, [0; 6]),
            Gettid => raw(libc::SYS_gettid, [0; 6]),
            Getuid => raw(libc::SYS_getuid, [0; 6]),
            Geteuid => raw(libc::SYS_geteuid, [0; 6]),
            Getgid => raw(libc::SYS_getgid, [0; 6]),
            Getegid => raw(libc::SYS_getegid, [0; 6]),
            Setuid => raw(libc::SYS_setuid, [int(a[0]), 0, 0, 0, 0, 0]),
            Setgid => raw(libc::SYS_setgid, [int(a[0]), 0, 0, 0, 0, 0]),
            Setreuid => raw(libc::SYS_setreuid, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Setregid => raw(libc::SYS_setregid, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Setresuid => raw(
                libc::SYS_setresuid,
                [int(a[0]), int(a[1]), int(a[2]), 0, 0, 0],
            ),
            Setresgid => raw(
                libc::SYS_setresgid,
                [int(a[0]), int(a[1]), int(a[2]), 0, 0, 0],
            ),
            Getresuid | Getresgid => self.getres_ids(space, sys, a),
            Setfsuid => raw(libc::SYS_setfsuid, [int(a[0]), 0, 0, 0, 0, 0]),
            Setfsgid => raw(libc::SYS_setfsgid, [int(a[0]), 0, 0, 0, 0, 0]),
            Getgroups => self.getgroups(space, a),
            Setgroups => self.setgroups(space, a),
            Getpgid => raw(libc::SYS_getpgid, [int(a[0]), 0, 0, 0, 0, 0]),
            Setpgid => raw(libc::SYS_setpgid, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Getpgrp => raw(libc::SYS_getpgid, [0; 6]),
            Getsid => raw(libc::SYS_getsid, [int(a[0]), 0, 0, 0, 0, 0]),
            Setsid => raw(libc::SYS_setsid, [0; 6]),
            Getpriority => raw(libc::SYS_getpriority, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Setpriority => raw(
                libc::SYS_setpriority,
                [int(a[0]), int(a[1]), int(a[2]), 0, 0, 0],
            ),
            SchedYield => raw(libc::SYS_sched_yield, [0; 6]),
            SchedGetaffinity => self.sched_getaffinity(space, a),
            SchedSetaffinity => Ok(0),
            SchedGetscheduler => raw(libc::SYS_sched_getscheduler, [int(a[0]), 0, 0, 0, 0, 0]),
            SchedGetparam => self.out_struct(
                space,
                libc::SYS_sched_getparam,
                [int(a[0]), 0, 0, 0, 0, 0],
                1,
                a[1],
                4,
            ),
            SchedGetPriorityMax => {
                raw(libc::SYS_sched_get_priority_max, [int(a[0]), 0, 0, 0, 0, 0])
            }
            SchedGetPriorityMin => {
                raw(libc::SYS_sched_get_priority_min, [int(a[0]), 0, 0, 0, 0, 0])
            }
            Getcpu => self.getcpu(space, a),
            Uname => self.uname(space, a),
            Prlimit64 => self.prlimit64(space, a),
            Getrlimit | Ugetrlimit => self.rlimit_words(space, a[0], None, a[1]),
            Setrlimit => self.rlimit_words(space, a[0], Some(a[1]), 0),
            Getrusage => self.getrusage(space, a),
            Sysinfo => self.sysinfo(space, a),
            Times => self.times(space, a),
            SetTidAddress => {
                self.clear_child_tid = a[0];
                raw(libc::SYS_gettid, [0; 6])
            }
            SetRobustList => self.set_robust_list(a),
            Prctl => self.prctl(space, a),
            Personality => Ok(0),
            Capget => self.capget(space, a),
            Futex => self.futex(space, a, false),
            FutexTime64 => self.futex(space, a, true),
            Kill => raw(libc::SYS_kill, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Tkill => raw(libc::SYS_tkill, [int(a[0]), int(a[1]), 0, 0, 0, 0]),
            Tgkill => raw(libc::SYS_tgkill, [int(a[0]), int(a[1]), int(a[2]), 0, 0, 0]),
            RtSigaction => self.rt_sigaction(space, a),
            RtSigprocmask => self.rt_sigprocmask(space, a),
            Sigaltstack => self.sigaltstack(space, a),
            RtSigpending => self.out_struct(
                space,
                libc::SYS_rt_sigpending,
                [0, 8, 0, 0, 0, 0],
                0,
                a[0],
                8,
            ),
            RtSigsuspend => self.rt_sigsuspend(space, a),
            Pause => raw(libc::SYS_pause, [0; 6]),
            Alarm => raw(libc::SYS_alarm, [int(a[0]), 0, 0, 0, 0, 0]),
            Getitimer | Setitimer => self.itimer(space, sys, a),

            // ---- time and randomness (time.rs)
            ClockGettime => self.clock_gettime(space, a),
            ClockGetres => self.clock_getres(space, a),
            Gettimeofday => self.gettimeofday(space, a),
            Time => self.time(space, a),
            Nanosleep => self.nanosleep(space, a),
            ClockNanosleep => self.clock_nanosleep(space, a),
            Getrandom => self.getrandom(space, a),

            _ => Err(self.unimplemented(sys, nr)),
        }
    }

    /// -ENOSYS with the one-time warning.
    fn unimplemented(&mut self, sys: Sysno, nr: u64) -> i32 {
        self.warn_once(nr, &format!("unimplemented syscall {} ({nr})", sys.name()));
        libc::ENOSYS
    }

    fn warn_once(&mut self, key: u64, msg: &str) {
        if self
            .warned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key)
        {
            eprintln!("xarch: warning: {msg}");
        }
    }

    // ---- guest pointer helpers ----------------------------------------------------------

    /// A guest path: NUL-terminated, at most PATH_MAX, mapped into the sysroot when one is
    /// set and the path exists there; `/proc/self/exe` names the guest program.
    fn path(&self, space: &mut AddressSpace, addr: u64) -> Result<CString, i32> {
        let bytes = space
            .read_cstr(addr, libc::PATH_MAX as usize)
            .map_err(|_| libc::EFAULT)?;
        Ok(CString::new(self.host_path(bytes)).expect("read_cstr stops at NUL"))
    }

    /// The host path for a call that does not follow a final symlink (lstat, readlink,
    /// lgetxattr, AT_SYMLINK_NOFOLLOW): under a sysroot only the directory part is resolved
    /// there, so a symlink in the sysroot is seen as one.
    pub(super) fn path_nofollow(
        &self,
        space: &mut AddressSpace,
        addr: u64,
    ) -> Result<CString, i32> {
        let bytes = space
            .read_cstr(addr, libc::PATH_MAX as usize)
            .map_err(|_| libc::EFAULT)?;
        if let Some(root) = &self.sysroot
            && bytes.first() == Some(&b'/')
            && bytes.last() != Some(&b'/')
            && !is_proc_self_exe(&bytes)
            && let Some(slash) = bytes.iter().rposition(|&c| c == b'/')
        {
            let dir = if slash == 0 {
                &b"/"[..]
            } else {
                &bytes[..slash]
            };
            let dir = crate::loader::sysroot_path(root, &String::from_utf8_lossy(dir));
            let p = dir.join(std::ffi::OsStr::from_bytes(&bytes[slash + 1..]));
            if p.symlink_metadata().is_ok() {
                return Ok(CString::new(p.into_os_string().into_vec()).expect("no NUL inside"));
            }
        }
        Ok(CString::new(self.host_path(bytes)).expect("read_cstr stops at NUL"))
    }

    fn host_path(&self, bytes: Vec<u8>) -> Vec<u8> {
        if is_proc_self_exe(&bytes)
            && let Some(exe) = &self.exe_path
        {
            return exe.as_os_str().as_bytes().to_vec();
        }
        if let Some(root) = &self.sysroot
            && bytes.first() == Some(&b'/')
        {
            let p = crate::loader::sysroot_path(root, &String::from_utf8_lossy(&bytes));
            if p.symlink_metadata().is_ok() {
                return p.into_os_string().into_vec();
            }
        }
        bytes
    }
}

/// True for `/proc/self/exe` and `/proc/<our pid>/exe`.
fn is_proc_self_exe(p: &[u8]) -> bool {
    if p == b"/proc/self/exe" || p == b"/proc/thread-self/exe" {
        return true;
    }
    format!("/proc/{}/exe", std::process::id()).as_bytes() == p
}

/// Host pointer for a guest buffer the host kernel reads (`len` bytes).
fn ptr_in(space: &mut AddressSpace, addr: u64, len: u64) -> Result<i64, i32> {
    if len == 0 {
        return Ok(0);
    }
    space
        .host_ptr(addr, len, Prot::READ)
        .map(|p| p as i64)
        .map_err(|_| libc::EFAULT)
}

/// Host pointer for a guest buffer the host kernel writes (`len` bytes).
fn ptr_out(space: &mut AddressSpace, addr: u64, len: u64) -> Result<i64, i32> {
    if len == 0 {
        return Ok(0);
    }
    space
        .host_ptr(addr, len, Prot::WRITE)
        .map(|p| p as i64)
        .map_err(|_| libc::EFAULT)
}

/// Like [`ptr_in`], but a NULL guest pointer stays NULL.
fn opt_in(space: &mut AddressSpace, addr: u64, len: u64) -> Result<i64, i32> {
    if addr == 0 {
        Ok(0)
    } else {
        ptr_in(space, addr, len)
    }
}

/// Like [`ptr_out`], but a NULL guest pointer stays NULL.
fn opt_out(space: &mut AddressSpace, addr: u64, len: u64) -> Result<i64, i32> {
    if addr == 0 {
        Ok(0)
    } else {
        ptr_out(space, addr, len)
    }
}

/// Writes bytes to the guest, -EFAULT on a bad pointer.
fn put(space: &mut AddressSpace, addr: u64, data: &[u8]) -> Result<(), i32> {
    space.write(addr, data).map_err(|_| libc::EFAULT)
}

/// Reads bytes from the guest, -EFAULT on a bad pointer.
fn get(space: &mut AddressSpace, addr: u64, len: usize) -> Result<Vec<u8>, i32> {
    let mut v = vec![0; len];
    space.read(addr, &mut v).map_err(|_| libc::EFAULT)?;
    Ok(v)
}

/// A C `int` argument (the low 32 bits, sign-extended).
fn int(a: u64) -> i64 {
    a as i32 as i64
}

/// The host errno of the last failed call.
fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Calls the host syscall `nr`. Every pointer among `args` must come from the checked
/// accessors above (guest memory mapped with the needed protection and size) or point to a
/// local of the size the syscall expects: all call sites in this module keep to that.
fn raw(nr: libc::c_long, args: [i64; 6]) -> SysResult {
    // SAFETY: per this function's contract, pointer arguments reference memory that is mapped
    // and large enough for what the host kernel reads or writes; a bad one makes the kernel
    // return EFAULT rather than fault, since the kernel checks user pointers itself.
    let r = unsafe { libc::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]) };
    if r == -1 { Err(errno()) } else { Ok(r) }
}

/// `poll`'s timeout forms.
enum PollTimeout {
    Millis(i32),
    Timespec(u64),
    /// A `struct __kernel_timespec` (two 64-bit fields) of a `*_time64` call.
    Timespec64(u64),
}

impl Syscalls {
    /// A call that fills one struct at guest `addr` (`len` bytes) passed as argument `slot`.
    fn out_struct(
        &mut self,
        space: &mut AddressSpace,
        nr: libc::c_long,
        mut args: [i64; 6],
        slot: usize,
        addr: u64,
        len: u64,
    ) -> SysResult {
        args[slot] = opt_out(space, addr, len)?;
        raw(nr, args)
    }
}

#[cfg(test)]
mod tests;
