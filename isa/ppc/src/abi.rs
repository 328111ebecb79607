//! The PowerPC Linux ABI tables: ppc64 (little-endian, ELFv2) and ppc32 (big-endian).
//! Syscall numbers are arch/powerpc/kernel/syscalls/syscall.tbl (as in the installed
//! `asm/unistd_64.h` and `asm/unistd_32.h`); numbers whose call xarch's syscall layer does not
//! name are listed as comments and answer ENOSYS.
//!
//! `sc` returns errors with CR0.SO set and a positive errno in r3 (see `lib.rs`).

use xarch_linux::abi::{Abi, Arch, Endian, StatLayout, Sysno, unified_sysno};

/// `AT_HWCAP` bits (arch/powerpc/include/uapi/asm/cputable.h).
pub const PPC_FEATURE_32: u64 = 0x8000_0000;
pub const PPC_FEATURE_64: u64 = 0x4000_0000;
pub const PPC_FEATURE_HAS_FPU: u64 = 0x0800_0000;
pub const PPC_FEATURE_HAS_MMU: u64 = 0x0400_0000;
pub const PPC_FEATURE_TRUE_LE: u64 = 0x0000_0002;

/// auxv tags of PowerPC's cache geometry (`arch/powerpc/include/uapi/asm/auxvec.h`).
const AT_DCACHEBSIZE: u64 = 19;
const AT_ICACHEBSIZE: u64 = 20;
const AT_UCACHEBSIZE: u64 = 21;

/// powerpc `O_*` bits that differ from x86-64's (arch/powerpc/include/uapi/asm/fcntl.h).
const OPEN_FLAGS: &[(u32, u32)] = &[
    (0o40000, 0o200000),  // O_DIRECTORY
    (0o100000, 0o400000), // O_NOFOLLOW
    (0o200000, 0o40000),  // O_LARGEFILE
    (0o400000, 0o100000), // O_DIRECT
];

/// powerpc terminal ioctls are `_IOR`/`_IOW` encoded (arch/powerpc/include/uapi/asm/ioctls.h).
const IOCTLS: &[(u32, u32)] = &[
    (0x402c_7413, 0x5401), // TCGETS
    (0x802c_7414, 0x5402), // TCSETS
    (0x802c_7415, 0x5403), // TCSETSW
    (0x802c_7416, 0x5404), // TCSETSF
    (0x4008_7468, 0x5413), // TIOCGWINSZ
    (0x8008_7467, 0x5414), // TIOCSWINSZ
    (0x4004_7477, 0x540f), // TIOCGPGRP
    (0x8004_7476, 0x5410), // TIOCSPGRP
    (0x4004_667f, 0x541b), // FIONREAD
];

/// ppc64le Linux (ELFv2). Only the base ISA and the FPU are advertised: no Altivec/VSX bits and
/// no ARCH_2_07 in AT_HWCAP2, so glibc's ifuncs pick the generic string functions.
pub static PPC64LE: Abi = Abi {
    arch: Arch::Ppc64le,
    elf_machine: 21, // EM_PPC64
    is_64bit: true,
    endian: Endian::Little,
    platform: "power8",
    uname_machine: "ppc64le",
    hwcap: PPC_FEATURE_64
        | PPC_FEATURE_32
        | PPC_FEATURE_HAS_FPU
        | PPC_FEATURE_HAS_MMU
        | PPC_FEATURE_TRUE_LE,
    hwcap2: 0,
    minsigstksz: Some(8192),
    extra_auxv: &[
        (AT_DCACHEBSIZE, 128),
        (AT_ICACHEBSIZE, 128),
        (AT_UCACHEBSIZE, 0),
    ],
    syscall: syscall_ppc64,
    stat: StatLayout::Ppc64,
    clone_backwards: true,
    open_flags: OPEN_FLAGS,
    ioctls: IOCTLS,
    stack_align: 16,
    page_size: 4096,
};

/// 32-bit big-endian powerpc Linux.
pub static PPC32: Abi = Abi {
    arch: Arch::Ppc,
    elf_machine: 20, // EM_PPC
    is_64bit: false,
    endian: Endian::Big,
    platform: "ppc",
    uname_machine: "ppc",
    hwcap: PPC_FEATURE_32 | PPC_FEATURE_HAS_FPU | PPC_FEATURE_HAS_MMU,
    hwcap2: 0,
    minsigstksz: Some(8192),
    extra_auxv: &[
        (AT_DCACHEBSIZE, 32),
        (AT_ICACHEBSIZE, 32),
        (AT_UCACHEBSIZE, 0),
    ],
    syscall: syscall_ppc32,
    stat: StatLayout::Ppc32Stat64,
    clone_backwards: true,
    open_flags: OPEN_FLAGS,
    ioctls: IOCTLS,
    stack_align: 16,
    page_size: 4096,
};

/// Numbers ppc64 and ppc32 share (the same `unistd` table, less the calls only one of them has).
fn syscall_common(nr: u64) -> Option<Sysno> {
    use Sysno::*;
    Some(match nr {
        0 => RestartSyscall,
        1 => Exit,
        2 => Fork,
        3 => Read,
        4 => Write,
        5 => Open,
        6 => Close,
        7 => Waitpid,
        8 => Creat,
        9 => Link,
        10 => Unlink,
        11 => Execve,
        12 => Chdir,
        13 => Time,
        14 => Mknod,
        15 => Chmod,
        16 => Lchown,
        // 17: break (not in xarch's Sysno list)
        // 18: oldstat (not in xarch's Sysno list)
        19 => Lseek,
        20 => Getpid,
        21 => Mount,
        // 22: umount (not in xarch's Sysno list)
        23 => Setuid,
        24 => Getuid,
        // 25: stime (not in xarch's Sysno list)
        26 => Ptrace,
        27 => Alarm,
        // 28: oldfstat (not in xarch's Sysno list)
        29 => Pause,
        30 => Utime,
        // 31: stty (not in xarch's Sysno list)
        // 32: gtty (not in xarch's Sysno list)
        33 => Access,
        // 34: nice (not in xarch's Sysno list)
        // 35: ftime (not in xarch's Sysno list)
        36 => Sync,
        37 => Kill,
        38 => Rename,
        39 => Mkdir,
        40 => Rmdir,
        41 => Dup,
        42 => Pipe,
        43 => Times,
        // 44: prof (not in xarch's Sysno list)
        45 => Brk,
        46 => Setgid,
        47 => Getgid,
        // 48: signal (not in xarch's Sysno list)
        49 => Geteuid,
        50 => Getegid,
        51 => Acct,
        52 => Umount2,
        // 53: lock (not in xarch's Sysno list)
        54 => Ioctl,
        55 => Fcntl,
        // 56: mpx (not in xarch's Sysno list)
        57 => Setpgid,
        // 58: ulimit (not in xarch's Sysno list)
        // 59: oldolduname (not in xarch's Sysno list)
        60 => Umask,
        61 => Chroot,
        62 => Ustat,
        63 => Dup2,
        64 => Getppid,
        65 => Getpgrp,
        66 => Setsid,
        // 67: sigaction (not in xarch's Sysno list)
        // 68: sgetmask (not in xarch's Sysno list)
        // 69: ssetmask (not in xarch's Sysno list)
        70 => Setreuid,
        71 => Setregid,
        // 72: sigsuspend (not in xarch's Sysno list)
        // 73: sigpending (not in xarch's Sysno list)
        74 => Sethostname,
        75 => Setrlimit,
        76 => Getrlimit,
        77 => Getrusage,
        78 => Gettimeofday,
        79 => Settimeofday,
        80 => Getgroups,
        81 => Setgroups,
        82 => Select,
        83 => Symlink,
        // 84: oldlstat (not in xarch's Sysno list)
        85 => Readlink,
        86 => Uselib,
        87 => Swapon,
        88 => Reboot,
        89 => Readdir,
        90 => Mmap,
        91 => Munmap,
        92 => Truncate,
        93 => Ftruncate,
        94 => Fchmod,
        95 => Fchown,
        96 => Getpriority,
        97 => Setpriority,
        // 98: profil (not in xarch's Sysno list)
        99 => Statfs,
        100 => Fstatfs,
        101 => Ioperm,
        102 => Socketcall,
        103 => Syslog,
        104 => Setitimer,
        105 => Getitimer,
        106 => Stat,
        107 => Lstat,
        108 => Fstat,
        // 109: olduname (not in xarch's Sysno list)
        110 => Iopl,
        111 => Vhangup,
        // 112: idle (not in xarch's Sysno list)
        // 113: vm86 (not in xarch's Sysno list)
        114 => Wait4,
        115 => Swapoff,
        116 => Sysinfo,
        117 => Ipc,
        118 => Fsync,
        119 => Sigreturn,
        120 => Clone,
        121 => Setdomainname,
        122 => Uname,
        123 => ModifyLdt,
        124 => Adjtimex,
        125 => Mprotect,
        // 126: sigprocmask (not in xarch's Sysno list)
        127 => CreateModule,
        128 => InitModule,
        129 => DeleteModule,
        130 => GetKernelSyms,
        131 => Quotactl,
        132 => Getpgid,
        133 => Fchdir,
        // 134: bdflush (not in xarch's Sysno list)
        135 => Sysfs,
        136 => Personality,
        137 => AfsSyscall,
        138 => Setfsuid,
        139 => Setfsgid,
        140 => Llseek,
        141 => Getdents,
        // 142: _newselect (not in xarch's Sysno list)
        143 => Flock,
        144 => Msync,
        145 => Readv,
        146 => Writev,
        147 => Getsid,
        148 => Fdatasync,
        149 => Sysctl,
        150 => Mlock,
        151 => Munlock,
        152 => Mlockall,
        153 => Munlockall,
        154 => SchedSetparam,
        155 => SchedGetparam,
        156 => SchedSetscheduler,
        157 => SchedGetscheduler,
        158 => SchedYield,
        159 => SchedGetPriorityMax,
        160 => SchedGetPriorityMin,
        161 => SchedRrGetInterval,
        162 => Nanosleep,
        163 => Mremap,
        164 => Setresuid,
        165 => Getresuid,
        166 => QueryModule,
        167 => Poll,
        168 => Nfsservctl,
        169 => Setresgid,
        170 => Getresgid,
        171 => Prctl,
        172 => RtSigreturn,
        173 => RtSigaction,
        174 => RtSigprocmask,
        175 => RtSigpending,
        176 => RtSigtimedwait,
        177 => RtSigqueueinfo,
        178 => RtSigsuspend,
        179 => Pread64,
        180 => Pwrite64,
        181 => Chown,
        182 => Getcwd,
        183 => Capget,
        184 => Capset,
        185 => Sigaltstack,
        186 => Sendfile,
        187 => Getpmsg,
        188 => Putpmsg,
        189 => Vfork,
        190 => Ugetrlimit,
        191 => Readahead,
        // 198: pciconfig_read (not in xarch's Sysno list)
        // 199: pciconfig_write (not in xarch's Sysno list)
        // 200: pciconfig_iobase (not in xarch's Sysno list)
        // 201: multiplexer (not in xarch's Sysno list)
        202 => Getdents64,
        203 => PivotRoot,
        205 => Madvise,
        206 => Mincore,
        207 => Gettid,
        208 => Tkill,
        209 => Setxattr,
        210 => Lsetxattr,
        211 => Fsetxattr,
        212 => Getxattr,
        213 => Lgetxattr,
        214 => Fgetxattr,
        215 => Listxattr,
        216 => Llistxattr,
        217 => Flistxattr,
        218 => Removexattr,
        219 => Lremovexattr,
        220 => Fremovexattr,
        221 => Futex,
        222 => SchedSetaffinity,
        223 => SchedGetaffinity,
        225 => Tuxcall,
        227 => IoSetup,
        228 => IoDestroy,
        229 => IoGetevents,
        230 => IoSubmit,
        231 => IoCancel,
        232 => SetTidAddress,
        233 => Fadvise64,
        234 => ExitGroup,
        235 => LookupDcookie,
        236 => EpollCreate,
        237 => EpollCtl,
        238 => EpollWait,
        239 => RemapFilePages,
        240 => TimerCreate,
        241 => TimerSettime,
        242 => TimerGettime,
        243 => TimerGetoverrun,
        244 => TimerDelete,
        245 => ClockSettime,
        246 => ClockGettime,
        247 => ClockGetres,
        248 => ClockNanosleep,
        // 249: swapcontext (not in xarch's Sysno list)
        250 => Tgkill,
        251 => Utimes,
        252 => Statfs64,
        253 => Fstatfs64,
        // 255: rtas (not in xarch's Sysno list)
        // 256: sys_debug_setcontext (not in xarch's Sysno list)
        258 => MigratePages,
        259 => Mbind,
        260 => GetMempolicy,
        261 => SetMempolicy,
        262 => MqOpen,
        263 => MqUnlink,
        264 => MqTimedsend,
        265 => MqTimedreceive,
        266 => MqNotify,
        267 => MqGetsetattr,
        268 => KexecLoad,
        269 => AddKey,
        270 => RequestKey,
        271 => Keyctl,
        272 => Waitid,
        273 => IoprioSet,
        274 => IoprioGet,
        275 => InotifyInit,
        276 => InotifyAddWatch,
        277 => InotifyRmWatch,
        // 278: spu_run (not in xarch's Sysno list)
        // 279: spu_create (not in xarch's Sysno list)
        280 => Pselect6,
        281 => Ppoll,
        282 => Unshare,
        283 => Splice,
        284 => Tee,
        285 => Vmsplice,
        286 => Openat,
        287 => Mkdirat,
        288 => Mknodat,
        289 => Fchownat,
        290 => Futimesat,
        292 => Unlinkat,
        293 => Renameat,
        294 => Linkat,
        295 => Symlinkat,
        296 => Readlinkat,
        297 => Fchmodat,
        298 => Faccessat,
        299 => GetRobustList,
        300 => SetRobustList,
        301 => MovePages,
        302 => Getcpu,
        303 => EpollPwait,
        304 => Utimensat,
        305 => Signalfd,
        306 => TimerfdCreate,
        307 => Eventfd,
        308 => SyncFileRange2,
        309 => Fallocate,
        // 310: subpage_prot (not in xarch's Sysno list)
        311 => TimerfdSettime,
        312 => TimerfdGettime,
        313 => Signalfd4,
        314 => Eventfd2,
        315 => EpollCreate1,
        316 => Dup3,
        317 => Pipe2,
        318 => InotifyInit1,
        319 => PerfEventOpen,
        320 => Preadv,
        321 => Pwritev,
        322 => RtTgsigqueueinfo,
        323 => FanotifyInit,
        324 => FanotifyMark,
        325 => Prlimit64,
        326 => Socket,
        327 => Bind,
        328 => Connect,
        329 => Listen,
        330 => Accept,
        331 => Getsockname,
        332 => Getpeername,
        333 => Socketpair,
        // 334: send (not in xarch's Sysno list)
        335 => Sendto,
        // 336: recv (not in xarch's Sysno list)
        337 => Recvfrom,
        338 => Shutdown,
        339 => Setsockopt,
        340 => Getsockopt,
        341 => Sendmsg,
        342 => Recvmsg,
        343 => Recvmmsg,
        344 => Accept4,
        345 => NameToHandleAt,
        346 => OpenByHandleAt,
        347 => ClockAdjtime,
        348 => Syncfs,
        349 => Sendmmsg,
        350 => Setns,
        351 => ProcessVmReadv,
        352 => ProcessVmWritev,
        353 => FinitModule,
        354 => Kcmp,
        355 => SchedSetattr,
        356 => SchedGetattr,
        357 => Renameat2,
        358 => Seccomp,
        359 => Getrandom,
        360 => MemfdCreate,
        361 => Bpf,
        362 => Execveat,
        // 363: switch_endian (not in xarch's Sysno list)
        364 => Userfaultfd,
        365 => Membarrier,
        378 => Mlock2,
        379 => CopyFileRange,
        380 => Preadv2,
        381 => Pwritev2,
        382 => KexecFileLoad,
        383 => Statx,
        384 => PkeyAlloc,
        385 => PkeyFree,
        386 => PkeyMprotect,
        387 => Rseq,
        388 => IoPgetevents,
        393 => Semget,
        394 => Semctl,
        395 => Shmget,
        396 => Shmctl,
        397 => Shmat,
        398 => Shmdt,
        399 => Msgget,
        400 => Msgsnd,
        401 => Msgrcv,
        402 => Msgctl,
        // memfd_secret is not wired up on PowerPC.
        447 => return None,
        _ => return unified_sysno(nr),
    })
}

/// ppc64 syscall numbers.
fn syscall_ppc64(nr: u64) -> Option<Sysno> {
    use Sysno::*;
    Some(match nr {
        291 => Newfstatat,
        392 => Semtimedop,
        _ => return syscall_common(nr),
    })
}

/// ppc32 syscall numbers: the 64-bit file offsets and time64 calls of a 32-bit ABI.
fn syscall_ppc32(nr: u64) -> Option<Sysno> {
    use Sysno::*;
    Some(match nr {
        192 => Mmap2,
        193 => Truncate64,
        194 => Ftruncate64,
        195 => Stat64,
        196 => Lstat64,
        197 => Fstat64,
        204 => Fcntl64,
        226 => Sendfile64,
        254 => Fadvise64_64,
        291 => Fstatat64,
        403 => ClockGettime64,
        // 404: clock_settime64 (not in xarch's Sysno list)
        // 405: clock_adjtime64 (not in xarch's Sysno list)
        406 => ClockGetresTime64,
        407 => ClockNanosleepTime64,
        // 408: timer_gettime64 (not in xarch's Sysno list)
        // 409: timer_settime64 (not in xarch's Sysno list)
        // 410: timerfd_gettime64 (not in xarch's Sysno list)
        // 411: timerfd_settime64 (not in xarch's Sysno list)
        412 => UtimensatTime64,
        413 => Pselect6Time64,
        414 => PpollTime64,
        // 416: io_pgetevents_time64 (not in xarch's Sysno list)
        417 => RecvmmsgTime64,
        // 418: mq_timedsend_time64 (not in xarch's Sysno list)
        // 419: mq_timedreceive_time64 (not in xarch's Sysno list)
        // 420: semtimedop_time64 (not in xarch's Sysno list)
        // 421: rt_sigtimedwait_time64 (not in xarch's Sysno list)
        422 => FutexTime64,
        // 423: sched_rr_get_interval_time64 (not in xarch's Sysno list)
        _ => return syscall_common(nr),
    })
}
