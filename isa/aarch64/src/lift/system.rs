//! ARM ARM C4.1.87, system instructions: hints, barriers, CLREX, cache maintenance (SYS) and
//! the system registers EL0 may touch (MRS/MSR).

use super::{Ctx, LiftResult};
use crate::decode::bits;
use crate::state;
use std::sync::OnceLock;
use std::time::Instant;
use xarch_translator::ir::{Helper, TrapKind, Type};

/// CTR_EL0 as a Cortex-A57 reports it: 64-byte I and D cache lines, PIPT I-cache.
pub const CTR_EL0: u64 = 0x8444_c004;
/// DCZID_EL0: DC ZVA allowed (DZP = 0), block size 2^4 words = 64 bytes.
pub const DCZID_EL0: u64 = 4;
/// Bytes DC ZVA zeroes.
pub const DC_ZVA_BYTES: u64 = 64;
/// MIDR_EL1 as the kernel's emulation reports it for a Cortex-A57 r1p0.
pub const MIDR_EL1: u64 = 0x411f_d070;
/// MPIDR_EL1 as Linux shows it to EL0 (SYS_MPIDR_SAFE_VAL: only the RES1 bit 31).
pub const MPIDR_EL1: u64 = 1 << 31;
/// ID_AA64ISAR0_EL1 as Linux shows it to EL0, with the features the lifter implements and
/// `abi.rs` advertises: AES = 2 (AES and PMULL), SHA1 = 1, SHA2 = 1, CRC32 = 1, Atomic = 2.
pub const ID_AA64ISAR0_EL1: u64 = 2 << 4 | 1 << 8 | 1 << 12 | 1 << 16 | 2 << 20;
/// ID_AA64PFR0_EL1 as Linux shows it to EL0: FP and AdvSIMD = 0 (implemented, no FP16), and
/// the hidden EL0/EL1 fields at their safe value 1 (AArch64 only).
pub const ID_AA64PFR0_EL1: u64 = 0x11;
/// ID_AA64DFR0_EL1 as Linux shows it to EL0: only DebugVer, at its safe value 6 (ARMv8.0).
pub const ID_AA64DFR0_EL1: u64 = 6;
/// ID_AA64MMFR0_EL1 as Linux shows it to EL0: only the hidden TGran4 and TGran64 fields, at
/// their safe value 0xf (qemu-aarch64 -cpu cortex-a57 reports the same).
pub const ID_AA64MMFR0_EL1: u64 = 0xff00_0000;
/// CNTFRQ_EL0: the virtual counter ticks in nanoseconds.
pub const CNTFRQ_EL0: u64 = 1_000_000_000;

/// A system register's encoding as MRS/MSR carry it in bits 20..5: op0<0>:op1:CRn:CRm:op2
/// (op0<1> is always 1 for MRS/MSR).
const fn sysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    (op0 & 1) << 14 | op1 << 11 | crn << 7 | crm << 3 | op2
}

const NZCV: u32 = sysreg(3, 3, 4, 2, 0);
const FPCR: u32 = sysreg(3, 3, 4, 4, 0);
const FPSR: u32 = sysreg(3, 3, 4, 4, 1);
const TPIDR_EL0: u32 = sysreg(3, 3, 13, 0, 2);
const TPIDRRO_EL0: u32 = sysreg(3, 3, 13, 0, 3);
const CTR: u32 = sysreg(3, 3, 0, 0, 1);
const DCZID: u32 = sysreg(3, 3, 0, 0, 7);
/// The ID space Linux emulates for EL0: op0 = 3, op1 = 0, CRn = 0, CRm = 0..7, any op2.
const ID_FIRST: u32 = sysreg(3, 0, 0, 0, 0);
const ID_LAST: u32 = sysreg(3, 0, 0, 7, 7);
const CNTFRQ: u32 = sysreg(3, 3, 14, 0, 0);
const CNTPCT: u32 = sysreg(3, 3, 14, 0, 1);
const CNTVCT: u32 = sysreg(3, 3, 14, 0, 2);
const CNTPCTSS: u32 = sysreg(3, 3, 14, 0, 5);
const CNTVCTSS: u32 = sysreg(3, 3, 14, 0, 6);

/// HINT space, including NOP, YIELD, WFE/WFI, PACIASP/AUTIASP and BTI: all NOPs here.
pub fn nop(_cx: &mut Ctx, _w: u32) -> LiftResult {
    Ok(())
}

/// DMB, DSB, ISB, SB: one full fence.
pub fn barrier(cx: &mut Ctx, _w: u32) -> LiftResult {
    cx.b.fence();
    Ok(())
}

/// CLREX: opens the exclusive monitor.
pub fn clrex(cx: &mut Ctx, _w: u32) -> LiftResult {
    let none = cx.b.const64(state::EXCL_NONE);
    cx.b.set_reg(state::EXCL_ADDR, none);
    Ok(())
}

/// SYS: the cache maintenance EL0 may run. DC ZVA zeroes a block; cleaning and invalidating
/// by address are no-ops (the engine drops translations of written code pages itself).
pub fn sys(cx: &mut Ctx, w: u32) -> LiftResult {
    let (op1, crn, crm, op2, rt) = (
        bits(w, 18, 16),
        bits(w, 15, 12),
        bits(w, 11, 8),
        bits(w, 7, 5),
        bits(w, 4, 0),
    );
    if op1 != 3 || crn != 7 || op2 != 1 {
        return Err(TrapKind::Undefined);
    }
    match crm {
        4 => {
            // DC ZVA
            let a = cx.x(rt);
            let base = cx.b.and_imm(a, !(DC_ZVA_BYTES - 1));
            let zero = cx.b.const64(0);
            for i in 0..DC_ZVA_BYTES / 8 {
                let at = cx.b.add_imm(base, i * 8);
                cx.store(at, zero);
            }
            Ok(())
        }
        // IC IVAU, DC CVAC, DC CVAU, DC CVAP, DC CVADP, DC CIVAC
        5 | 10 | 11 | 12 | 13 | 14 => Ok(()),
        _ => Err(TrapKind::Undefined),
    }
}

fn counter_ns(_state: *mut u8, _mem: *mut u8, _a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    // Start well above zero so that guests never see a zero count.
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64 + 1_000_000
}

extern "C" fn counter_helper(state: *mut u8, mem: *mut u8, a: u64, b: u64, c: u64, d: u64) -> u64 {
    counter_ns(state, mem, a, b, c, d)
}

/// CNTVCT_EL0: host monotonic time in nanoseconds (CNTFRQ_EL0 = 1 GHz).
pub static COUNTER: Helper = Helper {
    name: "aarch64_cntvct",
    func: counter_helper,
};

/// The ID register at CRm, op2 of the ID space, as Linux's MRS emulation
/// (arch/arm64/kernel/cpufeature.c, emulate_sys_reg) gives it to EL0: MIDR, MPIDR and REVIDR
/// in CRm = 0 (the rest of CRm = 0 and CRm = 1..3 are SIGILL), the AArch64 feature registers
/// in CRm = 4..7 with only the implemented features visible, reserved ones reading as zero.
pub fn id_register(crm: u32, op2: u32) -> Option<u64> {
    match (crm, op2) {
        (0, 0) => Some(MIDR_EL1),
        (0, 5) => Some(MPIDR_EL1),
        (0, 6) => Some(0), // REVIDR_EL1: IMPLEMENTATION DEFINED, emulated as 0
        (0..=3, _) => None,
        (4, 0) => Some(ID_AA64PFR0_EL1),
        (5, 0) => Some(ID_AA64DFR0_EL1),
        (6, 0) => Some(ID_AA64ISAR0_EL1),
        (7, 0) => Some(ID_AA64MMFR0_EL1),
        _ => Some(0),
    }
}

/// MRS: reads a system register.
pub fn mrs(cx: &mut Ctx, w: u32) -> LiftResult {
    let rt = bits(w, 4, 0);
    let v = match bits(w, 19, 5) {
        NZCV => {
            let mut acc = cx.b.const64(0);
            for (off, shift) in [
                (state::N, 31),
                (state::Z, 30),
                (state::C, 29),
                (state::VF, 28),
            ] {
                let f = cx.flag(off);
                let f = cx.b.zext(Type::I64, f);
                let sh = cx.b.const64(shift);
                let f = cx.b.shl(f, sh);
                acc = cx.b.or(acc, f);
            }
            acc
        }
        FPCR => {
            let r = cx.b.get_reg(Type::I32, state::FPCR);
            cx.b.zext(Type::I64, r)
        }
        FPSR => {
            let r = cx.b.get_reg(Type::I32, state::FPSR);
            let r = cx.b.zext(Type::I64, r);
            cx.b.call_helper(&crate::helpers_fp::GET_FPSR, &[r]) // + host exception flags
        }
        TPIDR_EL0 => cx.b.get_reg(Type::I64, state::TPIDR_EL0),
        TPIDRRO_EL0 => cx.b.const64(0),
        CTR => cx.b.const64(CTR_EL0),
        DCZID => cx.b.const64(DCZID_EL0),
        // The ID space (op0 = 3, op1 = 0, CRn = 0): what Linux emulates for EL0.
        id @ ID_FIRST..=ID_LAST => match id_register(id >> 3 & 15, id & 7) {
            Some(v) => cx.b.const64(v),
            None => return Err(TrapKind::Undefined),
        },
        CNTFRQ => cx.b.const64(CNTFRQ_EL0),
        CNTVCT | CNTPCT | CNTVCTSS | CNTPCTSS => cx.b.call_helper(&COUNTER, &[]),
        _ => return Err(TrapKind::Undefined),
    };
    cx.set_x(rt, v);
    Ok(())
}

/// MSR (register): writes a system register EL0 may write.
pub fn msr(cx: &mut Ctx, w: u32) -> LiftResult {
    let rt = bits(w, 4, 0);
    match bits(w, 19, 5) {
        NZCV => {
            let x = cx.x(rt);
            for (off, shift) in [
                (state::N, 31),
                (state::Z, 30),
                (state::C, 29),
                (state::VF, 28),
            ] {
                let sh = cx.b.const64(shift);
                let f = cx.b.lshr(x, sh);
                let f = cx.b.and_imm(f, 1);
                let f = cx.b.trunc(Type::I8, f);
                cx.b.set_reg(off, f);
            }
        }
        reg @ (FPCR | FPSR) => {
            let x = cx.x(rt);
            let host = if reg == FPCR {
                &crate::helpers_fp::SET_FPCR
            } else {
                &crate::helpers_fp::SET_FPSR
            };
            cx.b.call_helper(host, &[x]); // the host MXCSR follows FPCR / FPSR
            let v = cx.b.trunc(Type::I32, x);
            cx.b.set_reg(
                if reg == FPCR {
                    state::FPCR
                } else {
                    state::FPSR
                },
                v,
            );
        }
        TPIDR_EL0 => {
            let x = cx.x(rt);
            cx.b.set_reg(state::TPIDR_EL0, x);
        }
        _ => return Err(TrapKind::Undefined),
    }
    Ok(())
}
