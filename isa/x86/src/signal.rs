//! The x86-64 Linux signal frame (arch/x86/include/asm/sigframe.h, `struct rt_sigframe`).
//!
//! ```text
//!  new rsp ─► +0    pretcode (the guest's sa_restorer; glibc always passes one)
//!             +8    ucontext { uc_flags, uc_link, uc_stack (24),
//!             +48     uc_mcontext = sigcontext { r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx,
//!                       rsp, rip, eflags, cs/gs/fs/ss, err, trapno, oldmask, cr2,
//!                       fpstate pointer, reserved[8] } (256),
//!             +304    uc_sigmask }
//!             +312  siginfo (128)
//!  below the 128-byte red zone, 64-aligned: fpstate, FXSAVE format (512)
//! ```
//!
//! rsp + 8 is 16-aligned at handler entry, as after a call. The handler starts with
//! rdi = signal, rsi = &info, rdx = &uc, rax = 0; its `ret` pops pretcode, so at
//! `rt_sigreturn` the frame is at rsp - 8.

use crate::state::X86State;
use xarch_linux::abi::Endian;
use xarch_linux::signal::FrameBytes;
use xarch_translator::frontend::{SignalError, SignalFrame, SignalMemory};

// The layout is public for the KVM path (accel/src/sigframe.rs), which writes the same frame
// from vCPU registers.
pub const UC: u64 = 8;
pub const MCONTEXT: u64 = UC + 40;
pub const SIGMASK: u64 = UC + 296;
pub const INFO: u64 = 312;
pub const FRAME_SIZE: u64 = INFO + 128;
pub const FPSTATE_SIZE: u64 = 512;
/// sigcontext register order → `X86State::gpr` index.
pub const SC_ORDER: [usize; 16] = [8, 9, 10, 11, 12, 13, 14, 15, 7, 6, 5, 3, 2, 0, 1, 4];
/// RFLAGS bits a user may change through sigreturn (the kernel's FIX_EFLAGS, less TF/RF).
pub const USER_FLAGS: u64 = 0x0000_0000_0025_0dd5;

/// Builds the frame and enters the handler (see the module header).
pub fn setup(
    state: &mut [u8],
    mem: &mut dyn SignalMemory,
    f: &SignalFrame<'_>,
) -> Result<(), SignalError> {
    let s = X86State::from_bytes_mut(state);
    let rsp = s.gpr[4];
    let fp = rsp.wrapping_sub(128 + FPSTATE_SIZE) & !63;
    let frame = (fp.wrapping_sub(FRAME_SIZE) & !15).wrapping_sub(8);

    // FXSAVE image.
    let mut x = FrameBytes::new(FPSTATE_SIZE, Endian::Little);
    let top = s.x87.top & 7;
    x.put_u16(0, s.x87.fcw);
    x.put_u16(2, (s.x87.fsw & !0x3800) | ((top as u16) << 11));
    x[4] = s.x87.ftw;
    // MXCSR's sticky flags are the host's while the guest runs (lift/mxcsr.rs).
    let mxcsr = crate::lift::mxcsr::guest_value(s.mxcsr);
    x[24..28].copy_from_slice(&mxcsr.to_le_bytes());
    x[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
    for i in 0..8 {
        let o = 32 + 16 * i;
        x[o..o + 16].copy_from_slice(&s.x87.regs[(top as usize + i) & 7].to_le_bytes());
    }
    for (i, v) in s.xmm.iter().enumerate() {
        let o = 160 + 16 * i;
        x[o..o + 16].copy_from_slice(&v.to_le_bytes());
    }

    let mut b = FrameBytes::new(FRAME_SIZE, Endian::Little);
    b.put_u64(0, f.restorer);
    // uc_stack: no alternate stack (ss_flags = SS_DISABLE).
    b[(UC + 24) as usize..(UC + 28) as usize].copy_from_slice(&2u32.to_le_bytes());
    for (i, &r) in SC_ORDER.iter().enumerate() {
        b.put_u64(MCONTEXT + 8 * i as u64, s.gpr[r]);
    }
    b.put_u64(MCONTEXT + 128, s.rip);
    b.put_u64(MCONTEXT + 136, s.rflags());
    b.put_u16(MCONTEXT + 144, 0x33); // cs
    b.put_u16(MCONTEXT + 150, 0x2b); // ss
    b.put_u64(MCONTEXT + 168, f.mask); // oldmask
    b.put_u64(MCONTEXT + 184, fp); // fpstate
    b.put_u64(SIGMASK, f.mask);
    b[INFO as usize..].copy_from_slice(f.info);
    if !mem.write(fp, &x) || !mem.write(frame, &b) {
        return Err(SignalError::BadFrame(frame));
    }
    s.gpr[7] = u64::from(f.sig);
    s.gpr[6] = frame + INFO;
    s.gpr[2] = frame + UC;
    s.gpr[0] = 0;
    s.gpr[4] = frame;
    s.rip = f.handler;
    // The kernel clears DF and TF for the handler.
    let fl = s.rflags() & !(crate::state::flag::DF | crate::state::flag::TF);
    s.set_rflags(fl);
    // And starts it with a fresh FPU (fpu__clear_user_states): FNINIT state, MXCSR 0x1f80,
    // XMM registers zero.
    s.x87.fcw = 0x37f;
    s.x87.fsw = 0;
    s.x87.top = 0;
    s.x87.ftw = 0;
    s.xmm = [0; 16];
    s.mxcsr = 0x1f80;
    crate::lift::mxcsr::write_host(0x1f80);
    Ok(())
}

/// Restores the state saved by [`setup`] (frame at rsp - 8); returns its signal mask.
pub fn restore(state: &mut [u8], mem: &mut dyn SignalMemory) -> Result<u64, SignalError> {
    let s = X86State::from_bytes_mut(state);
    let frame = s.gpr[4].wrapping_sub(8);
    let mut b = FrameBytes::new(FRAME_SIZE, Endian::Little);
    if !mem.read(frame, &mut b) {
        return Err(SignalError::BadFrame(frame));
    }
    for (i, &r) in SC_ORDER.iter().enumerate() {
        s.gpr[r] = b.get_u64(MCONTEXT + 8 * i as u64);
    }
    s.rip = b.get_u64(MCONTEXT + 128);
    let fl = b.get_u64(MCONTEXT + 136);
    let keep = s.rflags() & !USER_FLAGS;
    s.set_rflags(keep | (fl & USER_FLAGS));
    let fp = b.get_u64(MCONTEXT + 184);
    if fp != 0 {
        let mut x = FrameBytes::new(FPSTATE_SIZE, Endian::Little);
        if !mem.read(fp, &mut x) {
            return Err(SignalError::BadFrame(fp));
        }
        let fsw = x.get_u16(2);
        let top = u32::from(fsw >> 11) & 7;
        s.x87.fcw = x.get_u16(0);
        s.x87.fsw = fsw & !0x3800;
        s.x87.top = top;
        s.x87.ftw = x[4];
        // Reserved bits are dropped (the kernel refuses such a frame; keep going instead).
        s.mxcsr = u32::from_le_bytes(x[24..28].try_into().expect("4 bytes"))
            & crate::lift::mxcsr::MXCSR_VALID;
        crate::lift::mxcsr::write_host(s.mxcsr);
        for i in 0..8 {
            let o = 32 + 16 * i;
            s.x87.regs[(top as usize + i) & 7] =
                u128::from_le_bytes(x[o..o + 16].try_into().expect("16 bytes"));
        }
        for (i, v) in s.xmm.iter_mut().enumerate() {
            let o = 160 + 16 * i;
            *v = u128::from_le_bytes(x[o..o + 16].try_into().expect("16 bytes"));
        }
    }
    Ok(b.get_u64(SIGMASK))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Mem(HashMap<u64, u8>);

    impl SignalMemory for Mem {
        fn read(&mut self, addr: u64, buf: &mut [u8]) -> bool {
            for (i, b) in buf.iter_mut().enumerate() {
                match self.0.get(&(addr + i as u64)) {
                    Some(v) => *b = *v,
                    None => return false,
                }
            }
            true
        }
        fn write(&mut self, addr: u64, data: &[u8]) -> bool {
            for (i, b) in data.iter().enumerate() {
                self.0.insert(addr + i as u64, *b);
            }
            true
        }
    }

    #[test]
    fn frame_round_trips_and_handler_sees_the_kernel_layout() {
        let mut st = vec![0u8; crate::state::STATE_SIZE];
        let s = X86State::from_bytes_mut(&mut st);
        *s = X86State::default();
        for (i, g) in s.gpr.iter_mut().enumerate() {
            *g = 0x100 + i as u64;
        }
        s.gpr[4] = 0x7fff_f000;
        s.rip = 0x40_1000;
        s.set_rflags(0x202 | crate::state::flag::CF | crate::state::flag::ZF);
        s.xmm[2] = 0xdead_beef;
        s.x87.top = 5;
        s.x87.fcw = 0x0f7f;
        s.x87.fsw = 0x4101;
        s.x87.ftw = 0x60;
        s.x87.regs[5] = 0x3fff_8000_0000_0000_0000;
        s.x87.regs[6] = 0xc000_c000_0000_0000_0000;
        let saved = *s;
        let mut mem = Mem(HashMap::new());
        let info = [3u8; 128];
        let f = SignalFrame {
            sig: 14,
            info: &info,
            handler: 0x40_2000,
            flags: 4,
            restorer: 0x40_3000,
            mask: 0x2000,
        };
        setup(&mut st, &mut mem, &f).unwrap();
        let h = *X86State::from_bytes(&st);
        assert_eq!(h.rip, 0x40_2000);
        assert_eq!(h.gpr[7], 14);
        assert_eq!((h.gpr[4] + 8) % 16, 0);
        assert_eq!(h.gpr[6], h.gpr[4] + INFO);
        let mut rip = [0u8; 8];
        assert!(mem.read(h.gpr[2] + 40 + 128, &mut rip));
        assert_eq!(u64::from_le_bytes(rip), 0x40_1000);
        // The handler starts with a fresh FPU; the frame's fpstate holds the old one.
        assert_eq!(
            (h.x87.fcw, h.x87.ftw, h.x87.top, h.xmm[2], h.mxcsr),
            (0x37f, 0, 0, 0, 0x1f80)
        );
        let mut fp = [0u8; 8];
        assert!(mem.read(h.gpr[2] + 40 + 184, &mut fp));
        let mut fx = [0u8; 64];
        assert!(mem.read(u64::from_le_bytes(fp), &mut fx));
        assert_eq!(&fx[0..5], &[0x7f, 0x0f, 0x01, 0x41 | 5 << 3, 0x60]);
        assert_eq!(&fx[32..42], &saved.x87.regs[5].to_le_bytes()[..10]);
        assert_eq!(&fx[48..58], &saved.x87.regs[6].to_le_bytes()[..10]);
        // The handler returns (pops pretcode) after clobbering registers.
        let s = X86State::from_bytes_mut(&mut st);
        s.gpr[4] += 8;
        s.gpr[3] = 0;
        s.xmm[2] = 0;
        s.set_rflags(0x202);
        let mask = restore(&mut st, &mut mem).unwrap();
        assert_eq!(mask, 0x2000);
        let r = X86State::from_bytes(&st);
        assert_eq!(r.gpr, saved.gpr);
        assert_eq!(
            (r.rip, r.rflags(), r.xmm[2], r.x87.top),
            (saved.rip, saved.rflags(), saved.xmm[2], 5)
        );
        assert_eq!(
            (r.x87.fcw, r.x87.fsw, r.x87.ftw, r.x87.regs),
            (saved.x87.fcw, saved.x87.fsw, saved.x87.ftw, saved.x87.regs)
        );
    }
}
