//! The PowerPC Linux signal frames: ppc64 (arch/powerpc/kernel/signal_64.c) and ppc32 as a
//! 64-bit kernel builds it for a 32-bit task (signal_32.c, `mcontext32`).
//!
//! ```text
//!  ppc64 (ELFv2)                                  ppc32
//!  r1 ─► back chain (old r1), 128-byte frame hdr   r1 ─► back chain, 80-byte frame header
//!  +0     ucontext { flags, link, stack (24),      +0     siginfo (32-bit layout, 128)
//!  +40      sigmask, unused[15],                   +128   ucontext { flags, link, stack (12),
//!  +168     sigcontext { unused[4], signal,                 pad[7], uc_regs ─► mcontext,
//!             handler, oldmask, regs ─► gp_regs,            sigmask (2 words), maskext, pad,
//!             gp_regs[48], fp_regs[33],            +320     mcontext { gregs[48] (u32),
//!             v_regs ─► vmx_reserve (16-aligned):            fregs[33], pad[2] = trampoline,
//!               vr[32], vscr, vrsave, VSX low[32] }          vregs[33] (vscr|vrsave last),
//!  +1696  unused[2], trampoline[7]                           vsregs[32] (VSX low halves) } }
//!  +1744  pinfo, puc                               +1568  abigap (224)
//!  +1760  siginfo (128), abigap (512)
//! ```
//!
//! gp_regs/gregs follow `pt_regs`: r0..r31, nip, msr, orig_gpr3, ctr, link, xer, ccr, softe
//! (mq on ppc32), trap, dar, dsisr, result. The handler starts with r3 = signal, r4 = &info,
//! r5 = &uc, r6 = the frame (ppc64 without SA_SIGINFO: r4 = &uc_mcontext), LR = the return
//! trampoline, and on ppc64 CTR = r12 = the handler (the ELFv2 global entry point needs r12).
//!
//! The return path: the kernel returns through the vDSO's `__kernel_sigtramp_rt64`/`_rt32`
//! and, without a vDSO, writes `li r0,__NR_rt_sigreturn; sc` into the frame and returns
//! there. xarch writes that trampoline into the frame too (the layout a debugger expects), but
//! LR points at the run loop's own mapped copy of it ([`SIGRETURN_TRAMPOLINE_LE`]/`_BE`):
//! the guest stack is not executable, so this copy is xarch's vDSO. `rt_sigreturn` reads the
//! frame at r1 plus the header and restores every register the frame holds; the saved MSR's
//! VEC and VSX bits say whether the vector and VSX halves are restored (else zeroed), as in
//! the kernel. A `l*arx` reservation does not survive delivery or return.

use crate::state::{CpuState, RESV_NONE};
use xarch_linux::abi::Endian;
use xarch_linux::signal::{FrameBytes, SA_SIGINFO, siginfo_to_32bit};
use xarch_translator::StateBytes;
use xarch_translator::frontend::{SignalError, SignalFrame, SignalMemory};

/// `li r0,172` (`__NR_rt_sigreturn` on both ABIs) ; `sc`.
const TRAMPOLINE: [u32; 2] = [0x3800_00ac, 0x4400_0002];
pub const SIGRETURN_TRAMPOLINE_LE: [u8; 8] = [0xac, 0x00, 0x00, 0x38, 0x02, 0x00, 0x00, 0x44];
pub const SIGRETURN_TRAMPOLINE_BE: [u8; 8] = [0x38, 0x00, 0x00, 0xac, 0x44, 0x00, 0x00, 0x02];

/// MSR bits the frame reports and sigreturn reads.
const MSR_VEC: u64 = 1 << 25;
const MSR_VSX: u64 = 1 << 23;
/// A user task's MSR (EE, PR, FP, ME, IR, DR, RI) with VEC and VSX in use.
const MSR_USER: u64 = 0xf032 | MSR_VEC | MSR_VSX;
const MSR_SF: u64 = 1 << 63;
const MSR_LE: u64 = 1;
/// `ss_flags` of a disabled alternate stack.
const SS_DISABLE: u32 = 2;

/// pt_regs slots after r0..r31.
const PT_NIP: u64 = 32;
const PT_MSR: u64 = 33;
const PT_ORIG_R3: u64 = 34;
const PT_CTR: u64 = 35;
const PT_LNK: u64 = 36;
const PT_XER: u64 = 37;
const PT_CCR: u64 = 38;
const PT_SOFTE: u64 = 39;

mod ppc64 {
    pub const HEADER: u64 = 128;
    pub const SIGMASK: u64 = 40;
    pub const SC: u64 = 168;
    pub const SIGNAL: u64 = SC + 32;
    pub const HANDLER: u64 = SC + 40;
    pub const OLDMASK: u64 = SC + 48;
    pub const REGS: u64 = SC + 56;
    pub const GP_REGS: u64 = SC + 64;
    pub const FP_REGS: u64 = SC + 448;
    pub const V_REGS_PTR: u64 = SC + 712;
    /// The first 16-aligned address in `vmx_reserve` (at SC + 720) of a 16-aligned frame.
    pub const V_REGS: u64 = SC + 728;
    pub const TRAMP: u64 = 1712;
    pub const PINFO: u64 = 1744;
    pub const PUC: u64 = 1752;
    pub const INFO: u64 = 1760;
    pub const SIZE: u64 = INFO + 128 + 512;
}

mod ppc32 {
    pub const HEADER: u64 = 64 + 16;
    pub const UC: u64 = 128;
    pub const UC_REGS: u64 = UC + 48;
    pub const SIGMASK: u64 = UC + 52;
    pub const MC: u64 = UC + 192;
    /// Offsets inside `mcontext32`.
    pub const FREGS: u64 = 192;
    pub const PAD: u64 = 456;
    pub const VREGS: u64 = 464;
    pub const VSREGS: u64 = 992;
    pub const MC_SIZE: u64 = VSREGS + 32 * 8;
    pub const SIZE: u64 = MC + MC_SIZE + 224;
}

/// VR block: vr0..vr31, then vscr (a quadword, the value in its last word) and, on ppc64,
/// vrsave in the first word of the next quadword, then the 32 VSX low doublewords.
const VR_BLOCK: u64 = 34 * 16 + 32 * 8;

fn endian(is64: bool) -> Endian {
    if is64 { Endian::Little } else { Endian::Big }
}

/// The architectural XER from its form in the state.
fn set_xer(s: &mut CpuState, xer: u64) {
    s.so = (xer >> 31 & 1) as u8;
    s.ov = (xer >> 30 & 1) as u8;
    s.ca = (xer >> 29 & 1) as u8;
    s.xer_bc = (xer & 0x7f) as u8;
}

/// Writes r0..r31 and the special registers as `pt_regs` words at `at` (`w` bytes each).
fn put_regs(b: &mut FrameBytes, at: u64, w: u64, s: &CpuState, msr: u64) {
    let put = |b: &mut FrameBytes, slot: u64, v: u64| {
        if w == 8 {
            b.put_u64(at + 8 * slot, v)
        } else {
            b.put_u32(at + 4 * slot, v as u32)
        }
    };
    for (i, g) in s.gpr.iter().enumerate() {
        put(b, i as u64, *g);
    }
    put(b, PT_NIP, s.pc);
    put(b, PT_MSR, msr);
    put(b, PT_ORIG_R3, s.gpr[3]);
    put(b, PT_CTR, s.ctr);
    put(b, PT_LNK, s.lr);
    put(b, PT_XER, s.xer());
    put(b, PT_CCR, u64::from(s.cr_word()));
    if w == 8 {
        put(b, PT_SOFTE, 1);
    }
}

/// Reads what [`put_regs`] wrote back into the state; returns the saved MSR.
fn get_regs(b: &FrameBytes, at: u64, w: u64, s: &mut CpuState) -> u64 {
    let get = |slot: u64| {
        if w == 8 {
            b.get_u64(at + 8 * slot)
        } else {
            u64::from(b.get_u32(at + 4 * slot))
        }
    };
    for (i, g) in s.gpr.iter_mut().enumerate() {
        *g = get(i as u64);
    }
    s.pc = get(PT_NIP);
    s.ctr = get(PT_CTR);
    s.lr = get(PT_LNK);
    set_xer(s, get(PT_XER));
    s.set_cr_word(get(PT_CCR) as u32);
    get(PT_MSR)
}

/// FPRs then FPSCR (as a doubleword) at `at`.
fn put_fp(b: &mut FrameBytes, at: u64, s: &CpuState) {
    for i in 0..32 {
        b.put_u64(at + 8 * i as u64, s.fpr(i));
    }
    b.put_u64(at + 256, u64::from(s.fpscr));
}

fn get_fp(b: &FrameBytes, at: u64, s: &mut CpuState) {
    for i in 0..32 {
        s.set_fpr(i, b.get_u64(at + 8 * i as u64));
    }
    s.fpscr = b.get_u64(at + 256) as u32;
}

/// VRs, VSCR, VRSAVE and the VSX low halves: ppc64's v_regs block (`vsx` at 34 quadwords),
/// or ppc32's mc_vregs with VRSAVE in the first word of the VSCR quadword (`vsx` given
/// separately as mc_vsregs).
fn put_vectors(b: &mut FrameBytes, vr: u64, vsx: u64, is64: bool, s: &CpuState) {
    for i in 0..32 {
        b.put_u128(vr + 16 * i as u64, s.vsr[32 + i]);
    }
    b.put_u128(vr + 32 * 16, u128::from(s.vscr));
    let vrsave_at = if is64 { vr + 33 * 16 } else { vr + 32 * 16 };
    b.put_u32(vrsave_at, s.vrsave);
    for i in 0..32 {
        b.put_u64(vsx + 8 * i as u64, s.vsr[i] as u64);
    }
}

fn get_vectors(b: &FrameBytes, vr: u64, vsx: u64, is64: bool, msr: u64, s: &mut CpuState) {
    if msr & MSR_VEC != 0 {
        for i in 0..32 {
            s.vsr[32 + i] = b.get_u128(vr + 16 * i as u64);
        }
        s.vscr = b.get_u128(vr + 32 * 16) as u32;
    } else {
        s.vsr[32..].fill(0);
    }
    let vrsave_at = if is64 { vr + 33 * 16 } else { vr + 32 * 16 };
    s.vrsave = b.get_u32(vrsave_at);
    for i in 0..32 {
        let low = if msr & MSR_VSX != 0 {
            b.get_u64(vsx + 8 * i as u64)
        } else {
            0
        };
        s.vsr[i] = (s.vsr[i] & !(u64::MAX as u128)) | u128::from(low);
    }
}

fn put_trampoline(b: &mut FrameBytes, at: u64) {
    b.put_u32(at, TRAMPOLINE[0]);
    b.put_u32(at + 4, TRAMPOLINE[1]);
}

/// Builds the frame and enters the handler (see the module header).
pub fn setup(
    state: &mut [u8],
    mem: &mut dyn SignalMemory,
    f: &SignalFrame<'_>,
    is64: bool,
) -> Result<(), SignalError> {
    let mut s = CpuState::from_bytes(state);
    let e = endian(is64);
    let old_sp = if is64 {
        s.gpr[1]
    } else {
        s.gpr[1] & 0xffff_ffff
    };
    if is64 {
        use ppc64::*;
        let frame = old_sp.wrapping_sub(SIZE) & !15;
        let mut b = FrameBytes::new(SIZE, e);
        b.put_u32(24, SS_DISABLE);
        b.put_u64(SIGMASK, f.mask);
        b.put_u32(SIGNAL, f.sig);
        b.put_u64(HANDLER, f.handler);
        b.put_u64(OLDMASK, f.mask);
        b.put_u64(REGS, frame + GP_REGS);
        put_regs(&mut b, GP_REGS, 8, &s, MSR_SF | MSR_USER | MSR_LE);
        put_fp(&mut b, FP_REGS, &s);
        b.put_u64(V_REGS_PTR, frame + V_REGS);
        put_vectors(&mut b, V_REGS, V_REGS + 34 * 16, true, &s);
        put_trampoline(&mut b, TRAMP);
        b.put_u64(PINFO, frame + INFO);
        b.put_u64(PUC, frame);
        b[INFO as usize..(INFO + 128) as usize].copy_from_slice(f.info);
        let newsp = frame - HEADER;
        let mut chain = FrameBytes::new(8, e);
        chain.put_u64(0, old_sp);
        if !mem.write(frame, &b) || !mem.write(newsp, &chain) {
            return Err(SignalError::BadFrame(frame));
        }
        s.gpr[1] = newsp;
        s.gpr[3] = u64::from(f.sig);
        if f.flags & SA_SIGINFO != 0 {
            s.gpr[4] = frame + INFO;
            s.gpr[5] = frame;
            s.gpr[6] = frame;
        } else {
            s.gpr[4] = frame + SC;
        }
        s.ctr = f.handler;
        s.gpr[12] = f.handler;
    } else {
        use ppc32::*;
        let frame = old_sp.wrapping_sub(SIZE) & 0xffff_fff0;
        let mut b = FrameBytes::new(SIZE, e);
        b[..128].copy_from_slice(&siginfo_to_32bit(f.info, e));
        b.put_u32(UC + 12, SS_DISABLE);
        b.put_u32(UC_REGS, (frame + MC) as u32);
        b.put_u32(SIGMASK, f.mask as u32);
        b.put_u32(SIGMASK + 4, (f.mask >> 32) as u32);
        put_regs(&mut b, MC, 4, &s, MSR_USER);
        put_fp(&mut b, MC + FREGS, &s);
        put_trampoline(&mut b, MC + PAD);
        put_vectors(&mut b, MC + VREGS, MC + VSREGS, false, &s);
        let newsp = frame.wrapping_sub(HEADER) & 0xffff_ffff;
        let mut chain = FrameBytes::new(4, e);
        chain.put_u32(0, old_sp as u32);
        if !mem.write(frame, &b) || !mem.write(newsp, &chain) {
            return Err(SignalError::BadFrame(frame));
        }
        s.gpr[1] = newsp;
        s.gpr[3] = u64::from(f.sig);
        s.gpr[4] = frame;
        s.gpr[5] = frame + UC;
        s.gpr[6] = frame;
    }
    s.lr = f.restorer;
    s.pc = f.handler;
    s.resv_addr = RESV_NONE;
    s.write_to(state);
    Ok(())
}

/// Restores the state saved by [`setup`] from the frame above r1; returns its signal mask.
pub fn restore(
    state: &mut [u8],
    mem: &mut dyn SignalMemory,
    is64: bool,
) -> Result<u64, SignalError> {
    let mut s = CpuState::from_bytes(state);
    let e = endian(is64);
    let mask;
    if is64 {
        use ppc64::*;
        let frame = s.gpr[1].wrapping_add(HEADER);
        let mut b = FrameBytes::new(INFO, e);
        if frame & 15 != 0 || !mem.read(frame, &mut b) {
            return Err(SignalError::BadFrame(frame));
        }
        mask = b.get_u64(SIGMASK);
        let msr = get_regs(&b, GP_REGS, 8, &mut s);
        get_fp(&b, FP_REGS, &mut s);
        let v_regs = b.get_u64(V_REGS_PTR);
        if v_regs != 0 {
            let mut v = FrameBytes::new(VR_BLOCK, e);
            if !mem.read(v_regs, &mut v) {
                return Err(SignalError::BadFrame(v_regs));
            }
            get_vectors(&v, 0, 34 * 16, true, msr, &mut s);
        } else {
            get_vectors(&FrameBytes::new(VR_BLOCK, e), 0, 34 * 16, true, 0, &mut s);
        }
    } else {
        use ppc32::*;
        let frame = s.gpr[1].wrapping_add(HEADER) & 0xffff_ffff;
        let mut uc = FrameBytes::new(MC - UC, e);
        if !mem.read(frame + UC, &mut uc) {
            return Err(SignalError::BadFrame(frame));
        }
        mask = u64::from(uc.get_u32(SIGMASK - UC)) | u64::from(uc.get_u32(SIGMASK - UC + 4)) << 32;
        let mc_at = u64::from(uc.get_u32(UC_REGS - UC));
        let mut mc = FrameBytes::new(MC_SIZE, e);
        if !mem.read(mc_at, &mut mc) {
            return Err(SignalError::BadFrame(mc_at));
        }
        let msr = get_regs(&mc, 0, 4, &mut s);
        get_fp(&mc, FREGS, &mut s);
        get_vectors(&mc, VREGS, VSREGS, false, msr, &mut s);
    }
    s.resv_addr = RESV_NONE;
    s.write_to(state);
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A sparse byte memory for frame tests.
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

    fn busy_state(is64: bool) -> CpuState {
        let mut s = CpuState::default();
        let m = if is64 { u64::MAX } else { 0xffff_ffff };
        for (i, g) in s.gpr.iter_mut().enumerate() {
            *g = (0x1111_2222_0000_1000 + i as u64) & m;
        }
        s.gpr[1] = 0x7fff_f008;
        s.pc = 0x1000_0abc;
        s.lr = 0x1000_0100;
        s.ctr = 0x55 & m;
        s.set_cr_word(0x8421_0f0f);
        s.so = 1;
        s.ca = 1;
        s.xer_bc = 9;
        s.fpscr = 0x0000_0003;
        s.vrsave = 0xffff_0000;
        s.vscr = 0x0001_0000;
        for (i, v) in s.vsr.iter_mut().enumerate() {
            *v = 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10u128.rotate_left(i as u32 * 8);
        }
        s
    }

    fn word(mem: &mut Mem, at: u64, is64: bool) -> u64 {
        let mut b = [0u8; 8];
        if is64 {
            assert!(mem.read(at, &mut b));
            u64::from_le_bytes(b)
        } else {
            assert!(mem.read(at, &mut b[..4]));
            u64::from(u32::from_be_bytes(b[..4].try_into().unwrap()))
        }
    }

    fn round_trip(is64: bool) {
        let s = busy_state(is64);
        let mut st = vec![0u8; std::mem::size_of::<CpuState>()];
        s.write_to(&mut st);
        let mut mem = Mem(HashMap::new());
        let mut info = [0u8; 128];
        info[0] = 10; // si_signo, little-endian host layout
        info[16] = 42; // si_pid
        let f = SignalFrame {
            sig: 10,
            info: &info,
            handler: 0x1000_2000,
            flags: SA_SIGINFO,
            restorer: 0x2000_0000,
            mask: 0x8000_0000_0000_0201,
        };
        setup(&mut st, &mut mem, &f, is64).unwrap();
        let h = CpuState::from_bytes(&st);
        assert_eq!((h.pc, h.lr, h.gpr[3]), (0x1000_2000, 0x2000_0000, 10));
        assert_eq!(h.gpr[1] % 16, 0);
        // The back chain points at the interrupted stack.
        assert_eq!(word(&mut mem, h.gpr[1], is64), s.gpr[1]);
        // r4 = &info with si_signo and si_pid in the guest's layout.
        if is64 {
            assert_eq!((h.ctr, h.gpr[12]), (0x1000_2000, 0x1000_2000));
            assert_eq!(word(&mut mem, h.gpr[4], true) & 0xff, 10);
            assert_eq!(word(&mut mem, h.gpr[4] + 16, true) & 0xff, 42);
            // uc_mcontext.gp_regs[PT_NIP] is the interrupted pc.
            assert_eq!(
                word(&mut mem, h.gpr[5] + ppc64::GP_REGS + 8 * PT_NIP, true),
                s.pc
            );
        } else {
            assert_eq!(word(&mut mem, h.gpr[4], false), 10);
            assert_eq!(word(&mut mem, h.gpr[4] + 12, false), 42);
            let mc = word(&mut mem, h.gpr[5] + 48, false);
            assert_eq!(mc, h.gpr[5] + 192);
            assert_eq!(word(&mut mem, mc + 4 * PT_NIP, false), s.pc);
            // uc_sigmask: signals 1..32 in the first word.
            assert_eq!(word(&mut mem, h.gpr[5] + 52, false), 0x201);
        }
        // The handler clobbers registers; its return calls rt_sigreturn with r1 as it was.
        let mut h2 = h;
        for g in &mut h2.gpr[3..] {
            *g = 0;
        }
        h2.vsr = [0; 64];
        h2.set_cr_word(0);
        h2.so = 0;
        h2.fpscr = 0;
        h2.resv_addr = 0x1234;
        h2.write_to(&mut st);
        let mask = restore(&mut st, &mut mem, is64).unwrap();
        assert_eq!(mask, 0x8000_0000_0000_0201);
        assert_eq!(CpuState::from_bytes(&st), s);
    }

    #[test]
    fn ppc64_frame_round_trips_and_handler_sees_the_kernel_layout() {
        round_trip(true);
    }

    #[test]
    fn ppc32_frame_round_trips_and_handler_sees_the_kernel_layout() {
        round_trip(false);
    }

    #[test]
    fn trampolines_encode_li_r0_172_sc() {
        for (i, w) in TRAMPOLINE.iter().enumerate() {
            assert_eq!(SIGRETURN_TRAMPOLINE_LE[4 * i..4 * i + 4], w.to_le_bytes());
            assert_eq!(SIGRETURN_TRAMPOLINE_BE[4 * i..4 * i + 4], w.to_be_bytes());
        }
    }

    #[test]
    fn a_frame_below_unmapped_memory_is_a_bad_frame() {
        struct NoMem;
        impl SignalMemory for NoMem {
            fn read(&mut self, _: u64, _: &mut [u8]) -> bool {
                false
            }
            fn write(&mut self, _: u64, _: &[u8]) -> bool {
                false
            }
        }
        let mut st = vec![0u8; std::mem::size_of::<CpuState>()];
        busy_state(true).write_to(&mut st);
        let info = [0u8; 128];
        let f = SignalFrame {
            sig: 10,
            info: &info,
            handler: 0x1000,
            flags: 0,
            restorer: 0x2000,
            mask: 0,
        };
        assert!(matches!(
            setup(&mut st, &mut NoMem, &f, true),
            Err(SignalError::BadFrame(_))
        ));
        assert!(matches!(
            restore(&mut st, &mut NoMem, false),
            Err(SignalError::BadFrame(_))
        ));
    }
}
