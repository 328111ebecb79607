//! The AArch64 Linux signal frame (arch/arm64/kernel/signal.c layout).
//!
//! ```text
//!  new sp ─► struct rt_sigframe {
//!    +0      siginfo (128)
//!    +128    ucontext { uc_flags, uc_link, uc_stack (24), uc_sigmask (8), pad to 176,
//!    +304      uc_mcontext = sigcontext { fault_address, regs[31], sp, pc, pstate,
//!    +592        __reserved[4096]: fpsimd_context { magic 0x46508001, size 528, fpsr, fpcr,
//!                                   vregs[32] }, then a zero terminator } }
//!            }
//!    +4688   frame record { x29, x30 } (x29 of the handler points here)
//! ```
//!
//! The handler starts with x0 = signal, x1 = &info, x2 = &uc (SA_SIGINFO), sp = frame,
//! x29 = frame record, x30 = the restorer (the guest's, or the run loop's trampoline
//! `mov x8, #139; svc #0`). `rt_sigreturn` reads the frame back at sp. FPSR in the frame is
//! the state's field: cumulative flags raised since the last MRS FPSR are not included.

use crate::helpers_fp;
use crate::state::CpuState;
use xarch_linux::abi::Endian;
use xarch_linux::signal::FrameBytes;
use xarch_translator::StateBytes;
use xarch_translator::frontend::{SignalError, SignalFrame, SignalMemory};

const UC: u64 = 128;
const MCONTEXT: u64 = UC + 176;
const RESERVED: u64 = MCONTEXT + 288;
const FRAME_SIZE: u64 = RESERVED + 4096;
const RECORD_SIZE: u64 = 16;
const FPSIMD_MAGIC: u32 = 0x4650_8001;
const FPSIMD_SIZE: u32 = 528;
/// `ss_flags` of a disabled alternate stack.
const SS_DISABLE: u32 = 2;

/// `mov x8, #139` ; `svc #0`.
pub const SIGRETURN_TRAMPOLINE: [u8; 8] = [0x68, 0x11, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4];

/// Builds the frame and enters the handler (see the module header).
pub fn setup(
    state: &mut [u8],
    mem: &mut dyn SignalMemory,
    f: &SignalFrame<'_>,
) -> Result<(), SignalError> {
    let mut s = CpuState::from_bytes(state);
    let sp = s.sp.wrapping_sub(FRAME_SIZE + RECORD_SIZE) & !15;
    let mut b = FrameBytes::new(FRAME_SIZE + RECORD_SIZE, Endian::Little);
    b[..128].copy_from_slice(f.info);
    // uc_flags, uc_link: 0; uc_stack: no alternate stack (ss_flags = SS_DISABLE).
    b.put_u32(UC + 24, SS_DISABLE);
    b.put_u64(UC + 40, f.mask);
    // sigcontext: fault_address (not a fault), regs, sp, pc, pstate.
    for (i, x) in s.x.iter().enumerate() {
        b.put_u64(MCONTEXT + 8 + 8 * i as u64, *x);
    }
    b.put_u64(MCONTEXT + 256, s.sp);
    b.put_u64(MCONTEXT + 264, s.pc);
    b.put_u64(MCONTEXT + 272, u64::from(s.nzcv()));
    b.put_u32(RESERVED, FPSIMD_MAGIC);
    b.put_u32(RESERVED + 4, FPSIMD_SIZE);
    b.put_u32(RESERVED + 8, s.fpsr);
    b.put_u32(RESERVED + 12, s.fpcr);
    for (i, v) in s.v.iter().enumerate() {
        b.put_u128(RESERVED + 16 + 16 * i as u64, *v);
    }
    // The terminator after fpsimd_context is already zero. Frame record: caller's x29, x30.
    b.put_u64(FRAME_SIZE, s.x[29]);
    b.put_u64(FRAME_SIZE + 8, s.x[30]);
    if !mem.write(sp, &b) {
        return Err(SignalError::BadFrame(sp));
    }
    s.x[0] = u64::from(f.sig);
    if f.flags & xarch_linux::signal::SA_SIGINFO != 0 {
        s.x[1] = sp;
        s.x[2] = sp + UC;
    }
    s.x[29] = sp + FRAME_SIZE;
    s.x[30] = f.restorer;
    s.sp = sp;
    s.pc = f.handler;
    s.excl_addr = crate::state::EXCL_NONE;
    s.write_to(state);
    Ok(())
}

/// Restores the state saved by [`setup`] from the frame at sp; returns its signal mask.
pub fn restore(state: &mut [u8], mem: &mut dyn SignalMemory) -> Result<u64, SignalError> {
    let mut s = CpuState::from_bytes(state);
    let sp = s.sp;
    if sp & 15 != 0 {
        return Err(SignalError::BadFrame(sp));
    }
    let mut b = FrameBytes::new(FRAME_SIZE, Endian::Little);
    if !mem.read(sp, &mut b) {
        return Err(SignalError::BadFrame(sp));
    }
    for (i, x) in s.x.iter_mut().enumerate() {
        *x = b.get_u64(MCONTEXT + 8 + 8 * i as u64);
    }
    s.sp = b.get_u64(MCONTEXT + 256);
    s.pc = b.get_u64(MCONTEXT + 264);
    s.set_nzcv(b.get_u64(MCONTEXT + 272) as u32);
    if b.get_u32(RESERVED) == FPSIMD_MAGIC && b.get_u32(RESERVED + 4) == FPSIMD_SIZE {
        s.fpsr = b.get_u32(RESERVED + 8);
        s.fpcr = b.get_u32(RESERVED + 12);
        for (i, v) in s.v.iter_mut().enumerate() {
            *v = b.get_u128(RESERVED + 16 + 16 * i as u64);
        }
    }
    s.excl_addr = crate::state::EXCL_NONE;
    s.write_to(state);
    helpers_fp::reset_host_fp_state(u64::from(s.fpcr));
    Ok(b.get_u64(UC + 40))
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

    #[test]
    fn frame_round_trips_and_handler_sees_the_kernel_layout() {
        let mut s = CpuState::default();
        for (i, x) in s.x.iter_mut().enumerate() {
            *x = 0x1000 + i as u64;
        }
        s.sp = 0x7fff_0008;
        s.pc = 0x40_0000;
        s.set_nzcv(0xa000_0000);
        s.v[3] = 0x1234_5678_9abc_def0_1122_3344_5566_7788;
        s.fpcr = 0;
        let mut st = vec![0u8; std::mem::size_of::<CpuState>()];
        s.write_to(&mut st);
        let mut mem = Mem(HashMap::new());
        let info = [7u8; 128];
        let f = SignalFrame {
            sig: 10,
            info: &info,
            handler: 0x41_0000,
            flags: xarch_linux::signal::SA_SIGINFO,
            restorer: 0x42_0000,
            mask: 0x55,
        };
        setup(&mut st, &mut mem, &f).unwrap();
        let h = CpuState::from_bytes(&st);
        assert_eq!(h.pc, 0x41_0000);
        assert_eq!(h.x[0], 10);
        assert_eq!(h.sp % 16, 0);
        assert_eq!(h.x[1], h.sp);
        assert_eq!(h.x[2], h.sp + 128);
        assert_eq!(h.x[30], 0x42_0000);
        let mut pc = [0u8; 8];
        assert!(mem.read(h.sp + MCONTEXT + 264, &mut pc));
        assert_eq!(u64::from_le_bytes(pc), 0x40_0000);
        // The handler clobbers registers; sigreturn puts everything back.
        let mut h2 = h;
        h2.x[5] = 0;
        h2.v[3] = 0;
        h2.write_to(&mut st);
        let mask = restore(&mut st, &mut mem).unwrap();
        assert_eq!(mask, 0x55);
        let r = CpuState::from_bytes(&st);
        assert_eq!(r.x, s.x);
        assert_eq!(
            (r.sp, r.pc, r.nzcv(), r.v[3]),
            (s.sp, s.pc, s.nzcv(), s.v[3])
        );
    }
}
