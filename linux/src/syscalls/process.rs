//! Processes: fork (the whole emulator forks), threads (`clone` with CLONE_THREAD: checked
//! here, started by the caller as a host thread, see [`ThreadRequest`]), futexes (the host's,
//! on the guest word), execve (a guest program re-runs under xarch), wait, identity, limits,
//! signals (dispositions recorded and shared by the threads; the caller runs handlers).

use super::{
    SysResult, SyscallOutcome, Syscalls, ThreadRequest, get, int, opt_out, ptr_in, ptr_out, put,
    raw,
};
use crate::abi::Sysno;
use crate::space::AddressSpace;
use std::ffi::{CString, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

const CLONE_SETTLS: u64 = 0x0008_0000;
const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
/// What `clone` of a guest thread must ask for (glibc's, musl's and Go's threads do).
const CLONE_THREAD_NEEDS: u64 = (libc::CLONE_VM
    | libc::CLONE_THREAD
    | libc::CLONE_SIGHAND
    | libc::CLONE_FILES
    | libc::CLONE_FS) as u64;
/// What `clone` of a guest thread may ask for besides: a host thread shares System V
/// semaphore undo lists anyway; CLONE_DETACHED is ignored by Linux.
const CLONE_THREAD_MAY: u64 = CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_CHILD_SETTID
    | libc::CLONE_SYSVSEM as u64
    | 0x0040_0000;
/// Flags that would share something between parent and child that a host fork cannot.
const CLONE_SHARING: u64 =
    (libc::CLONE_THREAD | libc::CLONE_SIGHAND | libc::CLONE_FILES | libc::CLONE_FS) as u64;

/// Signals the emulator itself needs (faults of translated code, the KVM path's exits): the
/// guest can neither block them on the host nor change their host disposition.
const HOST_OWNED_SIGNALS: [i32; 7] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGTRAP,
    libc::SIGKILL,
    libc::SIGSTOP,
];

impl Syscalls {
    pub(super) fn clone_(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SyscallOutcome {
        let (flags, stack, ptid) = (a[0], a[1], a[2]);
        let (tls, ctid) = if self.abi.clone_backwards {
            (a[3], a[4])
        } else {
            (a[4], a[3])
        };
        if self.threads && flags & libc::CLONE_THREAD as u64 != 0 {
            return self.new_thread(flags, stack, ptid, ctid, tls);
        }
        self.fork(space, flags, stack, ptid, ctid, tls)
    }

    /// clone of a guest thread: checked here, started by the caller.
    fn new_thread(
        &mut self,
        flags: u64,
        stack: u64,
        ptid: u64,
        ctid: u64,
        tls: u64,
    ) -> SyscallOutcome {
        // The low byte is the exit signal, which a thread does not have.
        let f = flags & !0xff;
        if f & CLONE_THREAD_NEEDS != CLONE_THREAD_NEEDS
            || f & !(CLONE_THREAD_NEEDS | CLONE_THREAD_MAY) != 0
        {
            self.warn_once(
                u64::MAX - 2,
                &format!("clone of a thread with flags {flags:#x} is not supported"),
            );
            return SyscallOutcome::Return(-(libc::ENOSYS as i64));
        }
        let given = |bit: u64, addr: u64| (flags & bit != 0 && addr != 0).then_some(addr);
        SyscallOutcome::NewThread(ThreadRequest {
            flags,
            stack: (stack != 0).then_some(stack),
            tls: (flags & CLONE_SETTLS != 0).then_some(tls),
            parent_tid: given(CLONE_PARENT_SETTID, ptid),
            child_set_tid: given(CLONE_CHILD_SETTID, ctid),
            child_clear_tid: given(CLONE_CHILD_CLEARTID, ctid),
        })
    }

    /// In a new guest thread (on its own host thread), before it runs guest code: writes its
    /// tid where CLONE_PARENT_SETTID and CLONE_CHILD_SETTID ask and keeps the
    /// CLONE_CHILD_CLEARTID word. Returns the tid (the host thread's: the guest sees host
    /// ids, so gettid, tgkill and futexes need no mapping).
    pub fn start_thread(&mut self, space: &mut AddressSpace, req: &ThreadRequest) -> u32 {
        // SAFETY: gettid has no arguments.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u32;
        let mut b = Vec::new();
        self.abi.put_u32(&mut b, tid);
        for addr in [req.parent_tid, req.child_set_tid].into_iter().flatten() {
            // As on Linux, a bad address is not an error of the clone.
            let _ = space.write(addr, &b);
        }
        self.clear_child_tid = req.child_clear_tid.unwrap_or(0);
        tid
    }

    /// A guest thread ends (`exit`, or the process ends under it): as Linux does for
    /// CLONE_CHILD_CLEARTID / set_tid_address, zero the word and wake one futex waiter on it
    /// (pthread_join waits there).
    pub fn exit_thread(&mut self, space: &mut AddressSpace) {
        // As Linux's mm_release: the robust list first, then the clear-tid word.
        self.release_robust_list(space);
        let addr = std::mem::take(&mut self.clear_child_tid);
        if addr == 0 || space.write(addr, &[0; 4]).is_err() {
            return;
        }
        if let Ok(p) = ptr_out(space, addr, 4) {
            let _ = raw(libc::SYS_futex, [p, libc::FUTEX_WAKE as i64, 1, 0, 0, 0]);
        }
    }

    /// set_robust_list: the head of this thread's list of held robust mutexes
    /// (`struct robust_list_head`: list, futex_offset, list_op_pending, guest words).
    pub(super) fn set_robust_list(&mut self, a: [u64; 6]) -> SysResult {
        if a[1] != 3 * self.abi.word_size() as u64 {
            return Err(libc::EINVAL);
        }
        self.robust_list = a[0];
        Ok(0)
    }

    /// What Linux's exit_robust_list does when a thread ends: every robust mutex still on its
    /// list (and the one it was taking or releasing, `list_op_pending`) whose futex word
    /// holds its tid gets FUTEX_OWNER_DIED, keeps FUTEX_WAITERS, and one waiter is woken.
    /// The list is in guest memory with guest words; a bad list ends the walk quietly.
    fn release_robust_list(&mut self, space: &mut AddressSpace) {
        /// Linux's ROBUST_LIST_LIMIT: a cyclic list cannot hold the walk forever.
        const LIMIT: usize = 2048;
        let head = std::mem::take(&mut self.robust_list);
        if head == 0 {
            return;
        }
        let w = self.abi.word_size();
        let word = |space: &mut AddressSpace, addr: u64| -> Option<u64> {
            let mut b = [0u8; 8];
            space.read(addr, &mut b[..w]).ok()?;
            Some(self.abi.get_word(&b[..w]))
        };
        let sign = |v: u64| {
            if w == 4 {
                v as u32 as i32 as i64
            } else {
                v as i64
            }
        };
        let Some(mut entry) = word(space, head) else {
            return;
        };
        let Some(offset) = word(space, head + w as u64).map(sign) else {
            return;
        };
        let Some(pending) = word(space, head + 2 * w as u64) else {
            return;
        };
        // SAFETY: gettid has no arguments.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u32;
        // Bit 0 of each pointer marks a PI futex, which Linux handles the same way here.
        let mut n = 0;
        while entry & !1 != head && n < LIMIT {
            let Some(next) = word(space, entry & !1) else {
                return;
            };
            // The pending one is handled last (Linux skips it in the walk).
            if entry != pending {
                self.robust_futex_died(space, (entry & !1).wrapping_add_signed(offset), tid);
            }
            entry = next;
            n += 1;
        }
        if pending & !1 != 0 {
            self.robust_futex_died(space, (pending & !1).wrapping_add_signed(offset), tid);
        }
    }

    /// Linux's handle_futex_death for the guest word at `addr` of the dead thread `tid`.
    fn robust_futex_died(&self, space: &mut AddressSpace, addr: u64, tid: u32) {
        const FUTEX_WAITERS: u32 = 0x8000_0000;
        const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
        const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
        if addr % 4 != 0 {
            return;
        }
        let big = self.abi.endian == crate::abi::Endian::Big;
        let swap = |v: u32| if big { v.swap_bytes() } else { v };
        let waiters = space.with_host_ptr(addr, 4, crate::space::Prot::WRITE, |p| {
            // SAFETY: the word is mapped writable and 4-byte aligned, and stays so while
            // the bookkeeping is locked; other guest threads use it atomically too.
            let word = unsafe { std::sync::atomic::AtomicU32::from_ptr(p.cast()) };
            let mut cur = word.load(std::sync::atomic::Ordering::SeqCst);
            loop {
                let v = swap(cur);
                if v & FUTEX_TID_MASK != tid {
                    return false;
                }
                let new = swap((v & FUTEX_WAITERS) | FUTEX_OWNER_DIED);
                match word.compare_exchange(
                    cur,
                    new,
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::SeqCst,
                ) {
                    Ok(_) => return v & FUTEX_WAITERS != 0,
                    Err(now) => cur = now,
                }
            }
        });
        if waiters == Ok(true) {
            // Robust mutexes may be process-shared: a plain (not private) wake.
            if let Ok(p) = ptr_out(space, addr, 4) {
                let _ = raw(libc::SYS_futex, [p, libc::FUTEX_WAKE as i64, 1, 0, 0, 0]);
            }
        }
    }

    /// The shared table of guest signal actions.
    fn actions(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<u32, Vec<u8>>> {
        self.sigactions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// clone without threads: a host fork of the whole emulator. CLONE_VM|CLONE_VFORK
    /// (vfork, posix_spawn) forks too, and the parent waits until the child execs or exits,
    /// as vfork does; the child's writes to memory are not seen by the parent.
    pub(super) fn fork(
        &mut self,
        space: &mut AddressSpace,
        flags: u64,
        stack: u64,
        ptid: u64,
        ctid: u64,
        tls: u64,
    ) -> SyscallOutcome {
        let vfork = flags & libc::CLONE_VFORK as u64 != 0;
        if flags & CLONE_SHARING != 0 || (flags & libc::CLONE_VM as u64 != 0 && !vfork) {
            self.warn_once(
                u64::MAX - 1,
                "threads (clone with CLONE_VM or CLONE_THREAD) are not supported",
            );
            return SyscallOutcome::Return(-(libc::ENOSYS as i64));
        }
        // For vfork: a close-on-exec pipe whose write end closes when the child execs or exits.
        let mut pipe = [-1i32; 2];
        if vfork {
            // SAFETY: creates two descriptors in the local array.
            if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
                pipe = [-1, -1];
            }
        }
        // Other guest threads may be using what the child needs: it must not inherit a lock
        // taken by a thread it does not have. Taken in this fixed order (no code takes an
        // earlier one while holding a later one), let go in both processes after the fork.
        let runner = self.fork_lock.map(|f| f());
        let warned = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        let actions = self.actions();
        let lock = space.lock_for_fork();
        // SAFETY: the child has only this thread. What it goes on using was not locked by
        // another thread at the fork: the runner's locks, the shared warnings and signal
        // actions and the address space's locks are held here; the engine and the rest of
        // the syscall layer are this thread's; the host allocator handles fork itself.
        let pid = unsafe { libc::fork() };
        drop(lock);
        drop(actions);
        drop(warned);
        drop(runner);
        if pid < 0 {
            return SyscallOutcome::Return(-(super::errno() as i64));
        }
        if pid == 0 {
            if pipe[0] >= 0 {
                // SAFETY: closes our own read end; the write end is moved out of the guest's
                // way (it closes itself on exec).
                unsafe {
                    libc::close(pipe[0]);
                    let hi = libc::fcntl(pipe[1], libc::F_DUPFD_CLOEXEC, 900);
                    if hi >= 0 {
                        libc::close(pipe[1]);
                    }
                }
            }
            // SAFETY: gettid has no arguments.
            let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u32;
            if flags & CLONE_CHILD_SETTID != 0 && ctid != 0 {
                let mut b = Vec::new();
                self.abi.put_u32(&mut b, tid);
                let _ = space.write(ctid, &b);
            }
            if flags & CLONE_CHILD_CLEARTID != 0 {
                self.clear_child_tid = ctid;
            }
            // As Linux: a new process has no robust list until it sets one.
            self.robust_list = 0;
            return SyscallOutcome::Forked {
                child: true,
                ret: 0,
                stack: (stack != 0).then_some(stack),
                tls: (flags & CLONE_SETTLS != 0).then_some(tls),
            };
        }
        if pipe[0] >= 0 {
            // SAFETY: closes our write end, then blocks reading until the child's closes.
            unsafe {
                libc::close(pipe[1]);
                let mut b = 0u8;
                while libc::read(pipe[0], (&raw mut b).cast(), 1) < 0
                    && super::errno() == libc::EINTR
                {}
                libc::close(pipe[0]);
            }
        }
        if flags & CLONE_PARENT_SETTID != 0 && ptid != 0 {
            let mut b = Vec::new();
            self.abi.put_u32(&mut b, pid as u32);
            let _ = space.write(ptid, &b);
        }
        SyscallOutcome::Forked {
            child: false,
            ret: pid as i64,
            stack: None,
            tls: None,
        }
    }

    pub(super) fn arch_prctl(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SyscallOutcome {
        const ARCH_SET_FS: u64 = 0x1002;
        const ARCH_GET_FS: u64 = 0x1003;
        match a[0] {
            ARCH_SET_FS => SyscallOutcome::SetThreadPointer(a[1]),
            ARCH_GET_FS if space.is_mapped(a[1], 8, crate::space::Prot::WRITE) => {
                SyscallOutcome::GetThreadPointer(a[1])
            }
            ARCH_GET_FS => SyscallOutcome::Return(-(libc::EFAULT as i64)),
            _ => SyscallOutcome::Return(-(libc::EINVAL as i64)),
        }
    }

    /// Reads a guest NULL-terminated array of string pointers.
    fn string_array(&self, space: &mut AddressSpace, addr: u64) -> Result<Vec<Vec<u8>>, i32> {
        let mut out = Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        let w = self.abi.word_size() as u64;
        let mut total = 0usize;
        for i in 0..(1 << 16) {
            let b = get(space, addr + i * w, w as usize)?;
            let p = self.abi.get_word(&b);
            if p == 0 {
                return Ok(out);
            }
            out.push(space.read_cstr(p, 128 * 1024).map_err(|_| libc::EFAULT)?);
            total += out.last().map_or(0, |s| s.len() + 1);
            // The kernel's limit is a quarter of the stack rlimit; 32 MiB is generous.
            if total > 32 << 20 {
                return Err(libc::E2BIG);
            }
        }
        Err(libc::E2BIG)
    }

    /// execve: a guest program of a known machine is re-run under xarch through the exec
    /// prefix; anything else (host programs, scripts) goes to the host kernel.
    pub(super) fn execve(
        &mut self,
        space: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        argv: u64,
        envp: u64,
        flags: u64,
    ) -> SysResult {
        let guest_path = space
            .read_cstr(path, libc::PATH_MAX as usize)
            .map_err(|_| libc::EFAULT)?;
        let mut host_path = self.host_path(guest_path.clone());
        if int(dirfd) != libc::AT_FDCWD as i64 && host_path.first() != Some(&b'/') {
            if host_path.is_empty() && flags & libc::AT_EMPTY_PATH as u64 != 0 {
                host_path = format!("/proc/self/fd/{}", int(dirfd)).into_bytes();
            } else {
                let mut p = format!("/proc/self/fd/{}/", int(dirfd)).into_bytes();
                p.extend_from_slice(&host_path);
                host_path = p;
            }
        }
        let args = self.string_array(space, argv)?;
        let env = self.string_array(space, envp)?;
        let cpath = CString::new(host_path.clone()).map_err(|_| libc::EINVAL)?;
        // Must exist and be executable, as the kernel checks, before deciding who runs it.
        // SAFETY: `cpath` is a valid C string.
        if unsafe { libc::access(cpath.as_ptr(), libc::X_OK) } != 0 {
            return Err(super::errno());
        }
        let is_guest = !self.exec_prefix.is_empty()
            && crate::loader::elf_machine(std::path::Path::new(std::ffi::OsStr::from_bytes(
                &host_path,
            )))
            .is_ok_and(|id| self.guest_machines.contains(&id.machine));
        let (prog, argv_host): (CString, Vec<CString>) = if is_guest {
            let mut v: Vec<Vec<u8>> = self
                .exec_prefix
                .iter()
                .map(|s| s.clone().into_vec())
                .collect();
            v.push(b"--argv0".to_vec());
            v.push(args.first().cloned().unwrap_or_else(|| guest_path.clone()));
            v.push(b"--".to_vec());
            v.push(host_path.clone());
            v.extend(args.iter().skip(1).cloned());
            let prog =
                CString::new(self.exec_prefix[0].clone().into_vec()).map_err(|_| libc::EINVAL)?;
            (
                prog,
                v.into_iter()
                    .map(|s| CString::new(s).map_err(|_| libc::EINVAL))
                    .collect::<Result<_, _>>()?,
            )
        } else {
            (
                cpath,
                args.into_iter()
                    .map(|s| CString::new(s).map_err(|_| libc::EINVAL))
                    .collect::<Result<_, _>>()?,
            )
        };
        let envc: Vec<CString> = env
            .into_iter()
            .map(|s| CString::new(s).map_err(|_| libc::EINVAL))
            .collect::<Result<_, _>>()?;
        let mut argv_p: Vec<*const libc::c_char> = argv_host.iter().map(|s| s.as_ptr()).collect();
        argv_p.push(std::ptr::null());
        let mut env_p: Vec<*const libc::c_char> = envc.iter().map(|s| s.as_ptr()).collect();
        env_p.push(std::ptr::null());
        // SAFETY: NULL-terminated arrays of valid C strings that outlive the call; execve
        // returns only on failure.
        unsafe { libc::execve(prog.as_ptr(), argv_p.as_ptr(), env_p.as_ptr()) };
        Err(super::errno())
    }

    pub(super) fn wait4(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let mut status = 0i32;
        let mut ru = [0i64; 18];
        let pid = raw(
            libc::SYS_wait4,
            [
                int(a[0]),
                &raw mut status as i64,
                int(a[2]),
                if a[3] != 0 { &raw mut ru as i64 } else { 0 },
                0,
                0,
            ],
        )?;
        if a[1] != 0 && pid > 0 {
            let mut b = Vec::new();
            self.abi.put_u32(&mut b, status as u32);
            put(space, a[1], &b)?;
        }
        if a[3] != 0 {
            self.put_rusage(space, a[3], &ru)?;
        }
        Ok(pid)
    }

    /// waitid(2): the siginfo in the guest's layout (32-bit guests: `compat_siginfo`), the
    /// rusage through guest words.
    pub(super) fn waitid(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let mut info = [0u8; 128];
        let mut ru = [0i64; 18];
        let r = raw(
            libc::SYS_waitid,
            [
                int(a[0]),
                int(a[1]),
                &raw mut info as i64,
                int(a[3]),
                if a[4] != 0 { &raw mut ru as i64 } else { 0 },
                0,
            ],
        )?;
        if a[2] != 0 {
            let g = if self.abi.is_64bit {
                info
            } else {
                crate::signal::siginfo_to_32bit(&info, self.abi.endian)
            };
            put(space, a[2], &g)?;
        }
        if a[4] != 0 {
            self.put_rusage(space, a[4], &ru)?;
        }
        Ok(r)
    }

    /// Writes a host `struct rusage` (two `timeval`s and 14 `long`s: 18 longs) as guest
    /// words.
    fn put_rusage(&self, space: &mut AddressSpace, addr: u64, ru: &[i64; 18]) -> Result<(), i32> {
        let mut b = Vec::new();
        for &v in ru {
            self.abi.put_word(&mut b, v as u64);
        }
        put(space, addr, &b)
    }

    pub(super) fn getrusage(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let mut ru = [0i64; 18];
        raw(
            libc::SYS_getrusage,
            [int(a[0]), &raw mut ru as i64, 0, 0, 0, 0],
        )?;
        self.put_rusage(space, a[1], &ru)?;
        Ok(0)
    }

    /// sysinfo(2) in guest words. A 32-bit guest gets the memory sizes in a larger
    /// `mem_unit` when a byte count would not fit a word, as the kernel's compat sysinfo does.
    pub(super) fn sysinfo(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        // SAFETY: `libc::sysinfo` is plain old data; all-zero is a valid value.
        let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
        raw(libc::SYS_sysinfo, [&raw mut si as i64, 0, 0, 0, 0, 0])?;
        let mut mem = [
            si.totalram,
            si.freeram,
            si.sharedram,
            si.bufferram,
            si.totalswap,
            si.freeswap,
            si.totalhigh,
            si.freehigh,
        ];
        let mut unit = u64::from(si.mem_unit.max(1));
        if !self.abi.is_64bit {
            while mem.iter().any(|&m| m > u64::from(u32::MAX)) {
                mem.iter_mut().for_each(|m| *m >>= 1);
                unit <<= 1;
            }
        }
        let mut b = Vec::new();
        self.abi.put_word(&mut b, si.uptime as u64);
        for l in si.loads {
            self.abi.put_word(&mut b, l);
        }
        for &m in &mem[..6] {
            self.abi.put_word(&mut b, m);
        }
        // procs (u16) and pad, then totalhigh aligned to a word.
        let procs = si.procs.to_be_bytes();
        let procs = if self.abi.endian == crate::abi::Endian::Big {
            procs
        } else {
            si.procs.to_le_bytes()
        };
        b.extend_from_slice(&procs);
        b.resize(b.len().next_multiple_of(self.abi.word_size()), 0);
        self.abi.put_word(&mut b, mem[6]);
        self.abi.put_word(&mut b, mem[7]);
        self.abi.put_u32(&mut b, unit as u32);
        // _f[20 - 2 * sizeof(long) - sizeof(int)], then the struct's alignment.
        b.resize(b.len() + 20 - 2 * self.abi.word_size() - 4, 0);
        b.resize(b.len().next_multiple_of(self.abi.word_size()), 0);
        put(space, a[0], &b)?;
        Ok(0)
    }

    pub(super) fn getres_ids(
        &mut self,
        space: &mut AddressSpace,
        sys: Sysno,
        a: [u64; 6],
    ) -> SysResult {
        let (mut r, mut e, mut s) = (0u32, 0u32, 0u32);
        let nr = if sys == Sysno::Getresuid {
            libc::SYS_getresuid
        } else {
            libc::SYS_getresgid
        };
        raw(
            nr,
            [
                &raw mut r as i64,
                &raw mut e as i64,
                &raw mut s as i64,
                0,
                0,
                0,
            ],
        )?;
        for (addr, v) in [(a[0], r), (a[1], e), (a[2], s)] {
            let mut b = Vec::new();
            self.abi.put_u32(&mut b, v);
            put(space, addr, &b)?;
        }
        Ok(0)
    }

    pub(super) fn getgroups(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let n = a[0] as i32;
        // NGROUPS_MAX is 65536.
        if !(0..=65536).contains(&n) {
            return Err(libc::EINVAL);
        }
        let mut g = vec![0u32; n as usize];
        let got = raw(
            libc::SYS_getgroups,
            [n as i64, g.as_mut_ptr() as i64, 0, 0, 0, 0],
        )?;
        if n > 0 {
            let mut b = Vec::new();
            for &x in &g[..got as usize] {
                self.abi.put_u32(&mut b, x);
            }
            put(space, a[1], &b)?;
        }
        Ok(got)
    }

    pub(super) fn setgroups(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let n = a[0].min(65536);
        let p = ptr_in(space, a[1], n * 4)?;
        raw(libc::SYS_setgroups, [n as i64, p, 0, 0, 0, 0])
    }

    pub(super) fn sched_getaffinity(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let p = ptr_out(space, a[2], a[1])?;
        raw(
            libc::SYS_sched_getaffinity,
            [int(a[0]), a[1] as i64, p, 0, 0, 0],
        )
    }

    pub(super) fn getcpu(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let (c, n) = (opt_out(space, a[0], 4)?, opt_out(space, a[1], 4)?);
        raw(libc::SYS_getcpu, [c, n, 0, 0, 0, 0])
    }

    /// uname: the host's, with the guest's machine name.
    pub(super) fn uname(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        // SAFETY: `utsname` is plain old data; all-zero is a valid value.
        let mut u: libc::utsname = unsafe { std::mem::zeroed() };
        raw(libc::SYS_uname, [&raw mut u as i64, 0, 0, 0, 0, 0])?;
        let m = self.abi.uname_machine.as_bytes();
        u.machine = [0; 65];
        for (d, &s) in u.machine.iter_mut().zip(m) {
            *d = s as libc::c_char;
        }
        // SAFETY: views the local struct as its bytes (6 × 65 chars, no padding).
        let bytes = unsafe {
            std::slice::from_raw_parts(
                (&raw const u).cast::<u8>(),
                std::mem::size_of::<libc::utsname>(),
            )
        };
        put(space, a[0], bytes)?;
        Ok(0)
    }

    /// prlimit64(pid, resource, new, old): `struct rlimit64` is two u64 on every arch.
    pub(super) fn prlimit64(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let new = if a[2] == 0 {
            None
        } else {
            let b = get(space, a[2], 16)?;
            Some([self.get_u64(&b[..8]), self.get_u64(&b[8..])])
        };
        let mut old = [0u64; 2];
        let np = new.as_ref().map_or(0, |n| n.as_ptr() as i64);
        raw(
            libc::SYS_prlimit64,
            [int(a[0]), int(a[1]), np, &raw mut old as i64, 0, 0],
        )?;
        if a[3] != 0 {
            let mut b = Vec::new();
            self.abi.put_u64(&mut b, old[0]);
            self.abi.put_u64(&mut b, old[1]);
            put(space, a[3], &b)?;
        }
        Ok(0)
    }

    /// getrlimit/setrlimit: `struct rlimit` is two guest words; RLIM_INFINITY is all ones in
    /// the guest's word size.
    pub(super) fn rlimit_words(
        &mut self,
        space: &mut AddressSpace,
        resource: u64,
        new: Option<u64>,
        old: u64,
    ) -> SysResult {
        let w = self.abi.word_size();
        let inf_guest = if w == 8 { u64::MAX } else { u32::MAX as u64 };
        let newv = match new {
            Some(addr) => {
                let b = get(space, addr, 2 * w)?;
                let f = |v: u64| if v == inf_guest { u64::MAX } else { v };
                Some([f(self.abi.get_word(&b)), f(self.abi.get_word(&b[w..]))])
            }
            None => None,
        };
        let mut oldv = [0u64; 2];
        let np = newv.as_ref().map_or(0, |n| n.as_ptr() as i64);
        raw(
            libc::SYS_prlimit64,
            [0, int(resource), np, &raw mut oldv as i64, 0, 0],
        )?;
        if old != 0 {
            let mut b = Vec::new();
            for v in oldv {
                self.abi.put_word(&mut b, v.min(inf_guest));
            }
            put(space, old, &b)?;
        }
        Ok(0)
    }

    fn get_u64(&self, b: &[u8]) -> u64 {
        let b: [u8; 8] = b[..8].try_into().expect("8 bytes");
        match self.abi.endian {
            crate::abi::Endian::Little => u64::from_le_bytes(b),
            crate::abi::Endian::Big => u64::from_be_bytes(b),
        }
    }

    pub(super) fn times(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let mut t = [0i64; 4];
        let r = raw(libc::SYS_times, [&raw mut t as i64, 0, 0, 0, 0, 0])?;
        if a[0] != 0 {
            let mut b = Vec::new();
            for v in t {
                self.abi.put_word(&mut b, v as u64);
            }
            put(space, a[0], &b)?;
        }
        Ok(r)
    }

    pub(super) fn prctl(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        const PR_GET_FPEXC: i32 = 11;
        const PR_SET_FPEXC: i32 = 12;
        let ppc = matches!(
            self.abi.arch,
            crate::abi::Arch::Ppc | crate::abi::Arch::Ppc64le
        );
        match a[0] as i32 {
            // PowerPC's MSR[FE0, FE1] (Linux `set_fpexc_mode`): DISABLED, NONRECOV, ASYNC or
            // PRECISE; the SPE software bits are EINVAL without SPE.
            PR_SET_FPEXC if ppc => {
                if a[1] > 3 {
                    return Err(libc::EINVAL);
                }
                FP_EXC_MODE.with(|m| m.set(a[1] as u32));
                Ok(0)
            }
            PR_GET_FPEXC if ppc => {
                let mut b = Vec::new();
                self.abi.put_u32(&mut b, fp_exc_mode());
                put(space, a[1], &b)?;
                Ok(0)
            }
            libc::PR_SET_NAME => {
                let name = space.read_cstr(a[1], 4096).map_err(|_| libc::EFAULT)?;
                let c = CString::new(name.into_iter().take(15).collect::<Vec<u8>>())
                    .expect("no NUL inside");
                raw(
                    libc::SYS_prctl,
                    [libc::PR_SET_NAME as i64, c.as_ptr() as i64, 0, 0, 0, 0],
                )
            }
            libc::PR_GET_NAME => {
                let p = ptr_out(space, a[1], 16)?;
                raw(libc::SYS_prctl, [libc::PR_GET_NAME as i64, p, 0, 0, 0, 0])
            }
            libc::PR_SET_PDEATHSIG
            | libc::PR_GET_DUMPABLE
            | libc::PR_SET_DUMPABLE
            | libc::PR_SET_NO_NEW_PRIVS
            | libc::PR_GET_NO_NEW_PRIVS
            | libc::PR_SET_CHILD_SUBREAPER => raw(
                libc::SYS_prctl,
                [
                    a[0] as i64,
                    a[1] as i64,
                    a[2] as i64,
                    a[3] as i64,
                    a[4] as i64,
                    0,
                ],
            ),
            _ => Err(libc::EINVAL),
        }
    }

    pub(super) fn capget(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let hdr = ptr_out(space, a[0], 8)?;
        let data = opt_out(space, a[1], 24)?;
        raw(libc::SYS_capget, [hdr, data, 0, 0, 0, 0])
    }

    /// futex on guest memory: the host futex on the same (host) word, so that guest threads
    /// (host threads) and the host kernel agree on it. Values the kernel compares with the
    /// word (FUTEX_WAIT's, CMP_REQUEUE's) are in the guest's byte order, as the word is; a
    /// big-endian guest's FUTEX_WAKE_OP is done here, since the host would do its arithmetic
    /// on the word in the wrong order. `time64`: the timeout is a `__kernel_timespec`
    /// (futex_time64).
    pub(super) fn futex(
        &mut self,
        space: &mut AddressSpace,
        a: [u64; 6],
        time64: bool,
    ) -> SysResult {
        const FUTEX_WAIT: u64 = 0;
        const FUTEX_WAKE: u64 = 1;
        const FUTEX_REQUEUE: u64 = 3;
        const FUTEX_CMP_REQUEUE: u64 = 4;
        const FUTEX_WAKE_OP: u64 = 5;
        const FUTEX_WAIT_BITSET: u64 = 9;
        const FUTEX_WAKE_BITSET: u64 = 10;
        let op = a[1] & 0x7f;
        let big = self.abi.endian == crate::abi::Endian::Big;
        // A value the kernel compares with the word, as the word's bytes read on the host.
        let word = |v: u64| {
            let v = v as u32;
            (if big { v.swap_bytes() } else { v }) as i32 as i64
        };
        let uaddr = ptr_out(space, a[0], 4)?;
        match op {
            FUTEX_WAKE | FUTEX_WAKE_BITSET => raw(
                libc::SYS_futex,
                [uaddr, a[1] as i64, int(a[2]), 0, 0, int(a[5])],
            ),
            FUTEX_WAIT | FUTEX_WAIT_BITSET => {
                let ts;
                let tp = if a[3] == 0 {
                    0
                } else {
                    ts = if time64 {
                        self.get_timespec64(space, a[3])?
                    } else {
                        self.get_timespec(space, a[3])?
                    };
                    &raw const ts as i64
                };
                raw(
                    libc::SYS_futex,
                    [uaddr, a[1] as i64, word(a[2]), tp, 0, int(a[5])],
                )
            }
            FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
                let uaddr2 = ptr_out(space, a[4], 4)?;
                raw(
                    libc::SYS_futex,
                    [uaddr, a[1] as i64, int(a[2]), int(a[3]), uaddr2, word(a[5])],
                )
            }
            FUTEX_WAKE_OP if !big => {
                let uaddr2 = ptr_out(space, a[4], 4)?;
                raw(
                    libc::SYS_futex,
                    [uaddr, a[1] as i64, int(a[2]), int(a[3]), uaddr2, int(a[5])],
                )
            }
            FUTEX_WAKE_OP => {
                let uaddr2 = ptr_out(space, a[4], 4)?;
                let old = wake_op_big_endian(uaddr2, a[5] as u32)?;
                let wake = |p: i64, n: u64| {
                    let private = a[1] & libc::FUTEX_PRIVATE_FLAG as u64;
                    raw(
                        libc::SYS_futex,
                        [p, (FUTEX_WAKE | private) as i64, int(n), 0, 0, 0],
                    )
                };
                let mut n = wake(uaddr, a[2])?;
                if wake_op_compare(a[5] as u32, old) {
                    n += wake(uaddr2, a[3])?;
                }
                Ok(n)
            }
            _ => Err(self.unimplemented(Sysno::Futex, 98)),
        }
    }

    /// rt_sigaction: records the guest's action; SIG_DFL and SIG_IGN also go to the host (so
    /// that an ignored SIGPIPE makes writes fail with EPIPE, as the guest expects). With
    /// `set_deliver_signals`, a guest handler makes the host record the signal for the run
    /// loop (`crate::signal`); without (the KVM path), handlers are recorded but never run.
    pub(super) fn rt_sigaction(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let sig = a[0] as u32;
        if sig == 0 || sig > 64 || a[3] != 8 {
            return Err(libc::EINVAL);
        }
        let w = self.abi.word_size();
        let size = 3 * w + 8;
        let new = if a[1] != 0 {
            Some(get(space, a[1], size)?)
        } else {
            None
        };
        if new.is_some() && (sig == libc::SIGKILL as u32 || sig == libc::SIGSTOP as u32) {
            return Err(libc::EINVAL);
        }
        if a[2] != 0 {
            let old = self.actions().get(&sig).cloned().unwrap_or_else(|| {
                // Not set by this guest: SIG_IGN if inherited ignored (exec keeps it), else
                // SIG_DFL.
                let mut v = Vec::new();
                self.abi.put_word(&mut v, host_ignores(sig as i32) as u64);
                v.resize(size, 0);
                v
            });
            put(space, a[2], &old)?;
        }
        if let Some(act) = new {
            let handler = self.abi.get_word(&act);
            if !HOST_OWNED_SIGNALS.contains(&(sig as i32)) {
                if handler == 0 || handler == 1 {
                    let h = if handler == 0 {
                        libc::SIG_DFL
                    } else {
                        libc::SIG_IGN
                    };
                    // SAFETY: sets a default or ignore disposition for a signal xarch does
                    // not use.
                    unsafe { libc::signal(sig as i32, h) };
                } else if self.deliver_signals {
                    // A guest handler: the host records the signal for the run loop.
                    crate::signal::catch(sig as i32);
                }
            }
            self.actions().insert(sig, act);
        }
        Ok(0)
    }

    /// The guest's action for `sig` (SIG_DFL if it never set one).
    pub fn guest_action(&self, sig: u32) -> crate::signal::GuestAction {
        let w = self.abi.word_size();
        match self.actions().get(&sig) {
            Some(b) if b.len() >= 3 * w + 8 => crate::signal::GuestAction {
                handler: self.abi.get_word(&b[..w]),
                flags: self.abi.get_word(&b[w..2 * w]),
                restorer: self.abi.get_word(&b[2 * w..3 * w]),
                mask: self.abi.get_sigset(&b[3 * w..]),
            },
            _ => crate::signal::GuestAction {
                handler: host_ignores(sig as i32) as u64,
                flags: 0,
                restorer: 0,
                mask: 0,
            },
        }
    }

    /// SA_RESETHAND at delivery: the guest's action for `sig` becomes SIG_DFL, on the host
    /// too (unless the emulator owns the signal).
    pub fn reset_to_default(&mut self, sig: u32) {
        let w = self.abi.word_size();
        self.actions().insert(sig, vec![0; 3 * w + 8]);
        if !HOST_OWNED_SIGNALS.contains(&(sig as i32)) {
            // SAFETY: sets the default disposition for a signal xarch does not use.
            unsafe { libc::signal(sig as i32, libc::SIG_DFL) };
        }
    }

    /// The guest's signal mask (the host's, bit `sig - 1`).
    pub fn guest_mask(&self) -> u64 {
        let mut old = 0u64;
        // SAFETY: reads the mask into a local; SIG_BLOCK with no new set changes nothing.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_BLOCK,
                std::ptr::null::<u64>(),
                &raw mut old,
                8,
            )
        };
        old
    }

    /// After a call that ran with a temporary signal mask returned EINTR: Linux delivers the
    /// pending signals under the temporary mask and saves the original one in the first
    /// handler's frame (sigreturn restores it), or restores it at once when no handler runs.
    /// The host call has put the original mask back already, so install the temporary one
    /// again and keep the original for [`Syscalls::take_saved_mask`].
    pub(crate) fn keep_temporary_mask(&mut self, temporary: u64) {
        if self.saved_mask.is_none() {
            self.saved_mask = Some(self.guest_mask());
        }
        self.set_guest_mask(temporary);
    }

    /// The original mask of a call that returned EINTR under a temporary mask, once: the run
    /// loop puts it in the first signal frame it builds, or sets it back when it runs no
    /// handler.
    pub fn take_saved_mask(&mut self) -> Option<u64> {
        self.saved_mask.take()
    }

    /// Whether a temporary mask is in place (see [`Syscalls::take_saved_mask`]).
    pub fn has_saved_mask(&self) -> bool {
        self.saved_mask.is_some()
    }

    /// Sets the guest's signal mask (on the host, minus the signals the emulator needs).
    pub fn set_guest_mask(&mut self, mask: u64) {
        let mut m = mask;
        for s in HOST_OWNED_SIGNALS {
            m &= !(1u64 << (s - 1));
        }
        // SAFETY: sets the host mask from a local; the old one is not read.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                &raw const m,
                std::ptr::null_mut::<u64>(),
                8,
            )
        };
    }

    /// rt_sigprocmask: applied to the host (so blocked signals stay pending, as the guest
    /// expects), except for the signals the emulator needs.
    pub(super) fn rt_sigprocmask(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        if a[3] != 8 {
            return Err(libc::EINVAL);
        }
        let set = if a[1] != 0 {
            let b = get(space, a[1], 8)?;
            let mut m = self.abi.get_sigset(&b);
            for s in HOST_OWNED_SIGNALS {
                m &= !(1u64 << (s - 1));
            }
            Some(m)
        } else {
            None
        };
        let mut old = 0u64;
        let sp = set.as_ref().map_or(0, |s| s as *const u64 as i64);
        raw(
            libc::SYS_rt_sigprocmask,
            [int(a[0]), sp, &raw mut old as i64, 8, 0, 0],
        )?;
        if a[2] != 0 {
            let mut b = Vec::new();
            self.abi.put_sigset(&mut b, old);
            put(space, a[2], &b)?;
        }
        Ok(0)
    }

    /// sigaltstack: accepted (the guest's handlers never run), reports "disabled".
    pub(super) fn sigaltstack(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        if a[1] != 0 {
            let w = self.abi.word_size();
            let mut b = Vec::new();
            self.abi.put_word(&mut b, 0);
            self.abi.put_u32(&mut b, libc::SS_DISABLE as u32);
            if w == 8 {
                self.abi.put_u32(&mut b, 0);
            }
            self.abi.put_word(&mut b, 0);
            put(space, a[1], &b)?;
        }
        Ok(0)
    }

    pub(super) fn rt_sigsuspend(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let set = self.abi.get_sigset(&get(space, a[0], 8)?);
        let r = raw(
            libc::SYS_rt_sigsuspend,
            [&raw const set as i64, 8, 0, 0, 0, 0],
        );
        if r == Err(libc::EINTR) {
            self.keep_temporary_mask(set);
        }
        r
    }

    /// getitimer/setitimer: `struct itimerval` is four guest words (two `timeval`s), read
    /// and written in the guest's size and byte order.
    pub(super) fn itimer(
        &mut self,
        space: &mut AddressSpace,
        sys: Sysno,
        a: [u64; 6],
    ) -> SysResult {
        let w = self.abi.word_size();
        let signed = |v: u64| if w == 4 { v as i32 as i64 } else { v as i64 };
        let mut new = [0i64; 4];
        let mut old = [0i64; 4];
        let r = if sys == Sysno::Getitimer {
            raw(
                libc::SYS_getitimer,
                [int(a[0]), &raw mut old as i64, 0, 0, 0, 0],
            )?
        } else {
            let np = if a[1] == 0 {
                0
            } else {
                let b = get(space, a[1], 4 * w)?;
                for (i, v) in new.iter_mut().enumerate() {
                    *v = signed(self.abi.get_word(&b[i * w..]));
                }
                &raw const new as i64
            };
            let op = if a[2] == 0 { 0 } else { &raw mut old as i64 };
            raw(libc::SYS_setitimer, [int(a[0]), np, op, 0, 0, 0])?
        };
        let out = if sys == Sysno::Getitimer { a[1] } else { a[2] };
        if out != 0 {
            let mut b = Vec::new();
            for v in old {
                self.abi.put_word(&mut b, v as u64);
            }
            put(space, out, &b)?;
        }
        Ok(r)
    }
}

/// The exec prefix for re-running xarch itself: `[/proc/self/exe, args...]`.
pub fn self_exec_prefix(args: &[&str]) -> Vec<OsString> {
    let mut v = vec![OsString::from("/proc/self/exe")];
    v.extend(args.iter().map(OsString::from));
    v
}

/// True if the host disposition of `sig` is SIG_IGN.
fn host_ignores(sig: i32) -> bool {
    // SAFETY: queries the current action into a local; changes nothing.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

/// The operation of FUTEX_WAKE_OP (`val3`: op, cmp, oparg, cmparg) on the big-endian word at
/// host `p`, atomically; returns the old value.
fn wake_op_big_endian(p: i64, val3: u32) -> Result<u32, i32> {
    use std::sync::atomic::{AtomicU32, Ordering};
    let op = (val3 >> 28) & 7;
    // 12-bit signed, or 1 << oparg with FUTEX_OP_OPARG_SHIFT.
    let mut arg = (((val3 >> 12) & 0xfff) as i32) << 20 >> 20;
    if val3 & (8 << 28) != 0 {
        arg = 1i32.wrapping_shl(arg as u32 & 31);
    }
    let arg = arg as u32;
    if p & 3 != 0 {
        return Err(libc::EINVAL);
    }
    // SAFETY: `p` is a host pointer to 4 writable guest bytes (checked by the caller), 4-byte
    // aligned (checked above); other guest threads reach it only through atomics or the
    // kernel, as an AtomicU32 expects.
    let w = unsafe { AtomicU32::from_ptr(p as *mut u32) };
    let mut cur = w.load(Ordering::SeqCst);
    loop {
        let old = u32::from_be(cur);
        let new = match op {
            0 => arg,
            1 => old.wrapping_add(arg),
            2 => old | arg,
            3 => old & !arg,
            4 => old ^ arg,
            _ => return Err(libc::ENOSYS),
        };
        match w.compare_exchange(cur, new.to_be(), Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return Ok(old),
            Err(now) => cur = now,
        }
    }
}

/// The comparison of FUTEX_WAKE_OP (`val3`'s cmp and cmparg) on the word's old value.
fn wake_op_compare(val3: u32, old: u32) -> bool {
    let cmp = (val3 >> 24) & 15;
    let arg = ((val3 & 0xfff) as i32) << 20 >> 20;
    let old = old as i32;
    match cmp {
        0 => old == arg,
        1 => old != arg,
        2 => old < arg,
        3 => old <= arg,
        4 => old > arg,
        5 => old >= arg,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::x86_64::ABI;
    use crate::space::{MapRequest, PAGE_SIZE, Prot};

    const CLONE: u64 = 56;
    const EXIT: u64 = 60;
    const FUTEX: u64 = 202;
    const EXIT_GROUP: u64 = 231;
    const BUF: u64 = 0x10_0000;
    /// glibc's pthread_create flags (x86-64 and AArch64 alike).
    const GLIBC_THREAD: u64 = 0x3d0f00;

    fn setup() -> (Syscalls, AddressSpace) {
        let mut space = AddressSpace::new(32).unwrap();
        space
            .mmap(MapRequest {
                addr: BUF,
                len: PAGE_SIZE,
                prot: Prot::RW,
                fixed: true,
                ..Default::default()
            })
            .unwrap();
        (Syscalls::new(&ABI, vec![]), space)
    }

    fn word(sp: &mut AddressSpace, addr: u64) -> u32 {
        let mut b = [0u8; 4];
        sp.read(addr, &mut b).unwrap();
        u32::from_le_bytes(b)
    }

    #[test]
    fn thread_clone_and_exit_with_threads_on_and_off() {
        let (mut s, mut sp) = setup();
        // x86-64 clone: flags, stack, ptid, ctid, tls.
        let args = [GLIBC_THREAD, 0x8000, BUF, BUF + 4, 0x1234, 0];
        assert_eq!(
            s.handle(&mut sp, CLONE, args),
            SyscallOutcome::Return(-(libc::ENOSYS as i64))
        );
        assert_eq!(
            s.handle(&mut sp, EXIT, [5, 0, 0, 0, 0, 0]),
            SyscallOutcome::Exit(5)
        );
        s.set_threads(true);
        let SyscallOutcome::NewThread(req) = s.handle(&mut sp, CLONE, args) else {
            panic!("no thread request");
        };
        assert_eq!(
            (req.stack, req.tls, req.parent_tid, req.child_set_tid),
            (Some(0x8000), Some(0x1234), Some(BUF), None)
        );
        assert_eq!(req.child_clear_tid, Some(BUF + 4));
        // In the new thread: the tids are written before it runs, cleared when it ends.
        let mut t = s.for_thread();
        let mut tsp = sp.share();
        sp.write(BUF + 4, &[0xff; 4]).unwrap();
        let tid = t.start_thread(&mut tsp, &req);
        assert_ne!(tid, 0);
        assert_eq!(word(&mut sp, BUF), tid);
        t.exit_thread(&mut tsp);
        assert_eq!(word(&mut sp, BUF + 4), 0);
        assert_eq!(
            t.handle(&mut tsp, EXIT, [5, 0, 0, 0, 0, 0]),
            SyscallOutcome::ExitThread(5)
        );
        assert_eq!(
            t.handle(&mut tsp, EXIT_GROUP, [6, 0, 0, 0, 0, 0]),
            SyscallOutcome::Exit(6)
        );
        // A thread without its own signal handlers or files: not supported.
        let bad = (libc::CLONE_VM | libc::CLONE_THREAD) as u64;
        assert_eq!(
            s.handle(&mut sp, CLONE, [bad, 0, 0, 0, 0, 0]),
            SyscallOutcome::Return(-(libc::ENOSYS as i64))
        );
    }

    #[test]
    fn futex_wait_and_wake_between_threads() {
        let (mut s, mut sp) = setup();
        let mut t = s.for_thread();
        let mut tsp = sp.share();
        sp.write(BUF + 8, &1u32.to_le_bytes()).unwrap();
        let private = libc::FUTEX_PRIVATE_FLAG as u64;
        // A value that differs: EAGAIN at once.
        assert_eq!(
            s.handle(&mut sp, FUTEX, [BUF + 8, private, 2, 0, 0, 0]),
            SyscallOutcome::Return(-(libc::EAGAIN as i64))
        );
        let waiter =
            std::thread::spawn(move || t.handle(&mut tsp, FUTEX, [BUF + 8, private, 1, 0, 0, 0]));
        // Wake until the waiter was there to be woken.
        let mut woken = 0;
        for _ in 0..500 {
            woken = match s.handle(&mut sp, FUTEX, [BUF + 8, 1 | private, 1, 0, 0, 0]) {
                SyscallOutcome::Return(n) => n,
                o => panic!("{o:?}"),
            };
            if woken == 1 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert_eq!(woken, 1);
        assert_eq!(waiter.join().unwrap(), SyscallOutcome::Return(0));
    }

    #[test]
    fn wake_op_on_a_big_endian_word() {
        let mut w = 5u32.to_be();
        let p = &raw mut w as i64;
        // FUTEX_OP_ADD 3, compare old == 5.
        let add = (1 << 28) | (3 << 12) | 5;
        assert_eq!(wake_op_big_endian(p, add), Ok(5));
        assert_eq!(u32::from_be(w), 8);
        assert!(wake_op_compare(add, 5) && !wake_op_compare(add, 8));
        // FUTEX_OP_OR with the shifted argument (1 << 4), compare old > -1 (signed).
        let or = ((2 | 8) << 28) | (4 << 24) | (4 << 12) | 0xfff;
        assert_eq!(wake_op_big_endian(p, or), Ok(8));
        assert_eq!(u32::from_be(w), 8 | 16);
        assert!(wake_op_compare(or, 0));
    }
}

thread_local! {
    /// PowerPC `prctl(PR_SET_FPEXC)` of the guest thread running on this host thread.
    static FP_EXC_MODE: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// The calling guest thread's `prctl(PR_SET_FPEXC)` mode (PowerPC: MSR[FE0, FE1] as
/// PR_FP_EXC_DISABLED 0, NONRECOV 1, ASYNC 2, PRECISE 3): nonzero makes an enabled
/// floating-point exception raise SIGFPE. Per host thread, which runs one guest thread; a new
/// thread starts disabled (Linux copies the parent's mode).
pub fn fp_exc_mode() -> u32 {
    FP_EXC_MODE.with(|m| m.get())
}
