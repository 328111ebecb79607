//! Guest signals: the host side of delivery.
//!
//! ```text
//!  guest rt_sigaction(sig, handler) ─► host handler `record` for sig (no SA_RESTART)
//!  host signal ─► record: siginfo saved, bit set in PENDING, interrupt hook (the engine's
//!                 stop flag) ─► compiled code returns at the next block ─► run loop
//!  run loop ─► take_pending ─► per signal: Syscalls::guest_action ─► the frontend's frame
//! ```
//!
//! The guest's signal mask is the host's (rt_sigprocmask goes to the host, minus the signals
//! the emulator owns), so a blocked guest signal stays pending in the host kernel and reaches
//! `record` when the guest unblocks it. Signals whose guest action is SIG_DFL or SIG_IGN keep
//! that host action. The fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) stay the
//! emulator's: a guest fault is still fatal, whatever the guest installed.

use crate::abi::Endian;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// `sa_flags` bits (the same on AArch64 and x86-64).
pub const SA_SIGINFO: u64 = 0x4;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

thread_local! {
    /// One bit per signal (bit `sig - 1`) recorded by the host handler on this thread, not
    /// yet delivered: the host kernel picks the thread that takes a signal (one that does not
    /// block it, as Linux picks a guest thread), and that guest thread runs the handler.
    /// Const-initialised: safe to use from the signal handler.
    static PENDING: AtomicU64 = const { AtomicU64::new(0) };
}
/// The host `siginfo_t` of the last arrival of each signal (16 words each).
static INFO: [[AtomicU64; 16]; 64] = [const { [const { AtomicU64::new(0) }; 16] }; 64];
/// A `fn()` called by the host handler after recording (0: none).
static HOOK: AtomicUsize = AtomicUsize::new(0);

/// A guest `struct sigaction` (kernel layout: handler, flags, restorer, mask).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

impl GuestAction {
    /// True if the guest installed a function (not SIG_DFL/SIG_IGN).
    pub fn is_handler(&self) -> bool {
        self.handler > 1
    }
}

/// Sets the function the host handler calls after recording a signal (the engine's
/// interrupt request). It must be async-signal-safe.
pub fn set_interrupt_hook(hook: fn()) {
    HOOK.store(hook as usize, Ordering::SeqCst);
}

extern "C" fn record(sig: libc::c_int, info: *mut libc::siginfo_t, _uc: *mut libc::c_void) {
    if !(1..=64).contains(&sig) {
        return;
    }
    let slot = &INFO[(sig - 1) as usize];
    // SAFETY: the kernel passes a valid 128-byte siginfo to a SA_SIGINFO handler.
    let words = unsafe { std::slice::from_raw_parts(info.cast::<u64>(), 16) };
    for (s, w) in slot.iter().zip(words) {
        s.store(*w, Ordering::Relaxed);
    }
    PENDING.with(|p| p.fetch_or(1 << (sig - 1), Ordering::SeqCst));
    let hook = HOOK.load(Ordering::SeqCst);
    if hook != 0 {
        // SAFETY: HOOK only ever holds a `fn()` stored by `set_interrupt_hook`.
        let f: fn() = unsafe { std::mem::transmute::<usize, fn()>(hook) };
        f();
    }
}

/// Makes the host record `sig` for the guest (the guest installed a handler).
pub(crate) fn catch(sig: i32) {
    // SAFETY: installs a SA_SIGINFO handler that only touches atomics and calls the hook;
    // the mask blocks everything while it runs. No SA_RESTART: a blocking host syscall
    // returns EINTR and the run loop decides about restarting by the guest's flags.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = record as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO;
        libc::sigfillset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

/// Takes the set of signals recorded on this thread (bit `sig - 1`).
pub fn take_pending() -> u64 {
    PENDING.with(|p| p.swap(0, Ordering::SeqCst))
}

/// True if a signal was recorded on this thread and not yet taken.
pub fn any_pending() -> bool {
    PENDING.with(|p| p.load(Ordering::SeqCst)) != 0
}

/// The host siginfo of the last arrival of `sig`, as guest bytes (AArch64 and x86-64 share
/// the generic 64-bit little-endian layout with the host).
pub fn info_of(sig: u32) -> [u8; 128] {
    let mut out = [0u8; 128];
    if (1..=64).contains(&sig) {
        for (i, w) in INFO[(sig - 1) as usize].iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
    }
    out
}

/// A host (generic 64-bit) `siginfo_t` in the 32-bit layout (`compat_siginfo`), in byte
/// order `endian`: the union starts at 12 instead of 16 and `long`/pointer members are one
/// word. Which union member is live follows the kernel's `siginfo_layout` (by si_code, then
/// by signal for kernel-generated codes).
pub fn siginfo_to_32bit(info: &[u8; 128], endian: Endian) -> [u8; 128] {
    let rd32 = |o: usize| u32::from_le_bytes(info[o..o + 4].try_into().expect("4 bytes"));
    let rd64 = |o: usize| u64::from_le_bytes(info[o..o + 8].try_into().expect("8 bytes"));
    let mut out = FrameBytes::new(128, endian);
    let (signo, code) = (rd32(0), rd32(8) as i32);
    out.put_u32(0, signo);
    out.put_u32(4, rd32(4));
    out.put_u32(8, code as u32);
    // (host offset, 32-bit offset, host size): the live members.
    const U64: usize = 16;
    const U32: u64 = 12;
    let words: &[(usize, u64, usize)] = if code <= 0 {
        if code == -2 {
            // SI_TIMER: tid, overrun, sigval.
            &[(0, 0, 4), (4, 4, 4), (8, 8, 8)]
        } else if code == 0 || code == -6 {
            // SI_USER, SI_TKILL: pid, uid.
            &[(0, 0, 4), (4, 4, 4)]
        } else {
            // SI_QUEUE, SI_MESGQ, ...: pid, uid, sigval.
            &[(0, 0, 4), (4, 4, 4), (8, 8, 8)]
        }
    } else {
        match signo as i32 {
            // pid, uid, status, utime, stime.
            libc::SIGCHLD => &[(0, 0, 4), (4, 4, 4), (8, 8, 4), (16, 12, 8), (24, 16, 8)],
            // si_addr (and what follows it is arch-specific: left zero).
            libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE | libc::SIGTRAP => {
                &[(0, 0, 8)]
            }
            // band, fd.
            libc::SIGPOLL => &[(0, 0, 8), (8, 4, 4)],
            // call_addr, syscall, arch.
            libc::SIGSYS => &[(0, 0, 8), (8, 4, 4), (12, 8, 4)],
            _ => &[(0, 0, 4), (4, 4, 4)],
        }
    };
    for &(from, to, size) in words {
        // A 64-bit member becomes one 32-bit word (its low half: sigval's int, a pointer or
        // a clock_t of a 32-bit process).
        let v = if size == 8 {
            rd64(U64 + from) as u32
        } else {
            rd32(U64 + from)
        };
        out.put_u32(U32 + to, v);
    }
    let mut b = [0u8; 128];
    b.copy_from_slice(&out);
    b
}

/// Records a synchronous signal that emulated code raises (PowerPC's SIGFPE for an enabled
/// floating-point exception): si_code `code`, si_addr `addr`; the run loop delivers it as a
/// recorded host signal (the interrupt hook stops compiled code at the next block).
pub fn post_fault(sig: u32, code: i32, addr: u64) {
    if !(1..=64).contains(&sig) {
        return;
    }
    let slot = &INFO[(sig - 1) as usize];
    // siginfo: si_signo, si_errno (0), si_code, padding, si_addr at 16
    let words = [sig as u64, code as u32 as u64, addr];
    for (i, s) in slot.iter().enumerate() {
        s.store(words.get(i).copied().unwrap_or(0), Ordering::Relaxed);
    }
    PENDING.with(|p| p.fetch_or(1 << (sig - 1), Ordering::SeqCst));
    let hook = HOOK.load(Ordering::SeqCst);
    if hook != 0 {
        // SAFETY: HOOK only ever holds a `fn()` stored by `set_interrupt_hook`.
        let f: fn() = unsafe { std::mem::transmute::<usize, fn()>(hook) };
        f();
    }
}

/// Records SIGSEGV/SIGBUS sent by a process (`kill`, si_code ≤ 0) for the guest, as the
/// host handler records other signals. The DBT engine's fault handler owns these two signals
/// and calls this for the ones that are not faults.
pub fn record_sent(sig: libc::c_int, info: *mut libc::siginfo_t) {
    record(sig, info, std::ptr::null_mut());
}

/// True for the signals whose host handler is the DBT engine's fault handler, so that
/// [`raise_on_host`] would only come back to the guest: see [`give_back_sent_fault`].
pub fn is_engine_fault_signal(sig: u32) -> bool {
    sig == libc::SIGSEGV as u32 || sig == libc::SIGBUS as u32
}

/// A sent SIGSEGV/SIGBUS (see [`record_sent`]) the guest does not handle now: with the
/// default action the process dies by it, as Linux would kill it; ignored, it is dropped;
/// blocked, it stays recorded (without interrupting the guest again) until the guest's mask
/// allows it.
pub fn give_back_sent_fault(sig: u32, action: &GuestAction, blocked: bool) {
    if blocked {
        PENDING.with(|p| p.fetch_or(1 << (sig - 1), Ordering::SeqCst));
    } else if action.handler == 0 {
        // SAFETY: SIG_DFL for a signal number in 1..=64, then raise(3): the process dies.
        unsafe {
            libc::signal(sig as i32, libc::SIG_DFL);
            libc::raise(sig as i32);
        }
    }
}

/// Gives `sig` back to the host: raised again on this thread, it stays pending while the
/// host mask blocks it, or takes the host's action (SIG_DFL/SIG_IGN) if the guest has no
/// handler any more.
pub fn raise_on_host(sig: u32) {
    // SAFETY: raise(3) of a signal number in 1..=64 has no memory effects here.
    unsafe { libc::raise(sig as i32) };
}

/// A signal frame's bytes while an arch's frame writer builds it or reads it back: fields go
/// in and out at byte offsets in the guest's byte order. It derefs to the bytes, for
/// `SignalMemory::read`/`write` and for copying whole blocks (siginfo, vector registers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameBytes {
    bytes: Vec<u8>,
    endian: Endian,
}

impl FrameBytes {
    /// `len` zero bytes of a frame in byte order `endian`.
    pub fn new(len: u64, endian: Endian) -> FrameBytes {
        FrameBytes {
            bytes: vec![0; len as usize],
            endian,
        }
    }

    fn field<const N: usize>(&self, off: u64) -> [u8; N] {
        let o = off as usize;
        self.bytes[o..o + N].try_into().expect("N bytes")
    }

    fn set<const N: usize>(&mut self, off: u64, le: [u8; N], be: [u8; N]) {
        let o = off as usize;
        let v = match self.endian {
            Endian::Little => le,
            Endian::Big => be,
        };
        self.bytes[o..o + N].copy_from_slice(&v);
    }

    pub fn put_u16(&mut self, off: u64, v: u16) {
        self.set(off, v.to_le_bytes(), v.to_be_bytes());
    }

    pub fn put_u32(&mut self, off: u64, v: u32) {
        self.set(off, v.to_le_bytes(), v.to_be_bytes());
    }

    pub fn put_u64(&mut self, off: u64, v: u64) {
        self.set(off, v.to_le_bytes(), v.to_be_bytes());
    }

    /// A 128-bit register (vector, x87) as one guest-order quadword.
    pub fn put_u128(&mut self, off: u64, v: u128) {
        self.set(off, v.to_le_bytes(), v.to_be_bytes());
    }

    pub fn get_u16(&self, off: u64) -> u16 {
        match self.endian {
            Endian::Little => u16::from_le_bytes(self.field(off)),
            Endian::Big => u16::from_be_bytes(self.field(off)),
        }
    }

    pub fn get_u32(&self, off: u64) -> u32 {
        match self.endian {
            Endian::Little => u32::from_le_bytes(self.field(off)),
            Endian::Big => u32::from_be_bytes(self.field(off)),
        }
    }

    pub fn get_u64(&self, off: u64) -> u64 {
        match self.endian {
            Endian::Little => u64::from_le_bytes(self.field(off)),
            Endian::Big => u64::from_be_bytes(self.field(off)),
        }
    }

    pub fn get_u128(&self, off: u64) -> u128 {
        match self.endian {
            Endian::Little => u128::from_le_bytes(self.field(off)),
            Endian::Big => u128::from_be_bytes(self.field(off)),
        }
    }
}

impl std::ops::Deref for FrameBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::ops::DerefMut for FrameBytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_fields_follow_the_byte_order() {
        let mut le = FrameBytes::new(32, Endian::Little);
        let mut be = FrameBytes::new(32, Endian::Big);
        for f in [&mut le, &mut be] {
            f.put_u16(0, 0x0102);
            f.put_u32(2, 0x0304_0506);
            f.put_u64(6, 0x0708_090a_0b0c_0d0e);
            f.put_u128(14, 0x0f10_1112_1314_1516_1718_191a_1b1c_1d1e);
        }
        assert_eq!(&le[..8], &[2, 1, 6, 5, 4, 3, 0x0e, 0x0d]);
        assert_eq!(&be[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        for f in [&le, &be] {
            assert_eq!(f.get_u16(0), 0x0102);
            assert_eq!(f.get_u32(2), 0x0304_0506);
            assert_eq!(f.get_u64(6), 0x0708_090a_0b0c_0d0e);
            assert_eq!(f.get_u128(14), 0x0f10_1112_1314_1516_1718_191a_1b1c_1d1e);
        }
    }

    #[test]
    fn siginfo_in_the_32_bit_layout() {
        let mut info = [0u8; 128];
        info[0..4].copy_from_slice(&(libc::SIGCHLD as u32).to_le_bytes());
        info[8..12].copy_from_slice(&1u32.to_le_bytes()); // CLD_EXITED
        info[16..20].copy_from_slice(&1234u32.to_le_bytes());
        info[20..24].copy_from_slice(&1000u32.to_le_bytes());
        info[24..28].copy_from_slice(&7u32.to_le_bytes());
        info[32..40].copy_from_slice(&5u64.to_le_bytes());
        let g = siginfo_to_32bit(&info, Endian::Big);
        let w = |o: usize| u32::from_be_bytes(g[o..o + 4].try_into().unwrap());
        assert_eq!((w(0), w(8)), (libc::SIGCHLD as u32, 1));
        assert_eq!((w(12), w(16), w(20), w(24)), (1234, 1000, 7, 5));
        // SI_QUEUE with a sigval: pid, uid, then the int in one word.
        let mut info = [0u8; 128];
        info[0..4].copy_from_slice(&10u32.to_le_bytes());
        info[8..12].copy_from_slice(&(-1i32).to_le_bytes());
        info[16..20].copy_from_slice(&55u32.to_le_bytes());
        info[24..32].copy_from_slice(&42u64.to_le_bytes());
        let g = siginfo_to_32bit(&info, Endian::Big);
        let w = |o: usize| u32::from_be_bytes(g[o..o + 4].try_into().unwrap());
        assert_eq!((w(8) as i32, w(12), w(20)), (-1, 55, 42));
    }

    #[test]
    fn a_caught_host_signal_is_recorded_with_its_siginfo() {
        catch(libc::SIGUSR2);
        // SAFETY: test-only; SIGUSR2 is caught by `record` above.
        unsafe { libc::raise(libc::SIGUSR2) };
        let bits = take_pending();
        assert_ne!(bits & (1 << (libc::SIGUSR2 - 1)), 0);
        let info = info_of(libc::SIGUSR2 as u32);
        assert_eq!(
            i32::from_le_bytes(info[0..4].try_into().unwrap()),
            libc::SIGUSR2
        );
        // si_pid at offset 16 of the generic layout: raise() sends from this process.
        assert_eq!(
            i32::from_le_bytes(info[16..20].try_into().unwrap()),
            std::process::id() as i32
        );
        // SAFETY: test-only; restores the default action.
        unsafe { libc::signal(libc::SIGUSR2, libc::SIG_DFL) };
    }
}
