//! Guest exceptions as the Linux signals a native process would get, and the crash report.

use crate::vm::VmExit;

/// The signal Linux sends for exception `vector` from user mode (arch/x86/kernel/traps.c).
pub fn signal_for(vector: u8) -> i32 {
    match vector {
        0 | 16 | 19 => libc::SIGFPE,
        1 | 3 => libc::SIGTRAP,
        6 => libc::SIGILL,
        12 | 17 => libc::SIGBUS,
        _ => libc::SIGSEGV,
    }
}

/// The siginfo Linux gives a handler of the fault signal for exception `vector` (signo,
/// si_code, si_addr): `mapped` tells a page fault on a mapping without the right
/// (SEGV_ACCERR) from one outside every mapping (SEGV_MAPERR).
pub fn fault_info(vector: u8, rip: u64, cr2: u64, mapped: bool) -> [u8; 128] {
    const SI_KERNEL: i32 = 0x80;
    let sig = signal_for(vector);
    let (code, addr) = match vector {
        14 => (if mapped { 2 } else { 1 }, cr2),
        0 => (1, rip),  // FPE_INTDIV
        6 => (2, rip),  // ILL_ILLOPN
        17 => (1, rip), // BUS_ADRALN
        1 => (2, rip),  // TRAP_TRACE
        16 | 19 => (0, rip),
        _ => (SI_KERNEL, 0), // #GP, int3, ...: force_sig
    };
    let mut b = [0u8; 128];
    b[0..4].copy_from_slice(&sig.to_le_bytes());
    b[8..12].copy_from_slice(&code.to_le_bytes());
    b[16..24].copy_from_slice(&addr.to_le_bytes());
    b
}

/// The signal's name as `kill -l` prints it, with the SIG prefix.
pub fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGFPE => "SIGFPE".into(),
        libc::SIGTRAP => "SIGTRAP".into(),
        libc::SIGILL => "SIGILL".into(),
        libc::SIGBUS => "SIGBUS".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        n => format!("signal {n}"),
    }
}

/// The one-line crash report for a fatal guest exception, like `xarch run`'s:
/// `xarch: guest SIGSEGV at rip 0x401234 accessing 0x0`.
pub fn crash_report(exit: &VmExit) -> Option<(i32, String)> {
    let VmExit::Exception {
        vector, rip, cr2, ..
    } = *exit
    else {
        return None;
    };
    let sig = signal_for(vector);
    let mut line = format!("xarch: guest {} at rip {rip:#x}", signal_name(sig));
    if vector == 14 {
        line += &format!(" accessing {cr2:#x}");
    }
    Some((sig, line))
}

/// Ends this process by `sig`, as the guest would have died: the parent sees the signal (a
/// shell prints 128+n). No core dump is written for the emulator.
pub fn die_by(sig: i32) -> ! {
    // SAFETY: plain libc calls on this process: no core file, default action for `sig`,
    // unblock it and raise it.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    // Not reached for the signals above (their default action ends the process).
    std::process::exit(128 + sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_map_to_linux_signals() {
        assert_eq!(signal_for(0), libc::SIGFPE);
        assert_eq!(signal_for(6), libc::SIGILL);
        assert_eq!(signal_for(3), libc::SIGTRAP);
        assert_eq!(signal_for(13), libc::SIGSEGV);
        assert_eq!(signal_for(14), libc::SIGSEGV);
        assert_eq!(signal_for(17), libc::SIGBUS);
    }

    #[test]
    fn fault_siginfo_as_linux_gives_it() {
        let w32 = |b: &[u8; 128], o: usize| i32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        let w64 = |b: &[u8; 128], o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        let i = fault_info(14, 0x401000, 0x10, false);
        assert_eq!(
            (w32(&i, 0), w32(&i, 8), w64(&i, 16)),
            (libc::SIGSEGV, 1, 0x10)
        );
        let i = fault_info(14, 0x401000, 0x7000, true);
        assert_eq!((w32(&i, 8), w64(&i, 16)), (2, 0x7000));
        let i = fault_info(0, 0x401002, 0, false);
        assert_eq!(
            (w32(&i, 0), w32(&i, 8), w64(&i, 16)),
            (libc::SIGFPE, 1, 0x401002)
        );
        let i = fault_info(3, 0x401003, 0, false);
        assert_eq!(
            (w32(&i, 0), w32(&i, 8), w64(&i, 16)),
            (libc::SIGTRAP, 0x80, 0)
        );
        let i = fault_info(13, 0x401003, 0, false);
        assert_eq!((w32(&i, 0), w32(&i, 8)), (libc::SIGSEGV, 0x80));
    }

    #[test]
    fn page_fault_report_names_the_address() {
        let e = VmExit::Exception {
            vector: 14,
            error_code: 4,
            rip: 0x401000,
            cr2: 0x10,
        };
        let (sig, line) = crash_report(&e).unwrap();
        assert_eq!(sig, libc::SIGSEGV);
        assert_eq!(line, "xarch: guest SIGSEGV at rip 0x401000 accessing 0x10");
        let e = VmExit::Exception {
            vector: 0,
            error_code: 0,
            rip: 0x401002,
            cr2: 0,
        };
        assert_eq!(
            crash_report(&e).unwrap().1,
            "xarch: guest SIGFPE at rip 0x401002"
        );
    }
}
