//! ARM ARM C4.1.87, branches and exception generation: B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ,
//! BR/BLR/RET, SVC, BRK, UDF. Every one ends the block.

use super::{Ctx, LiftResult};
use crate::decode::{bit, bits, sext};
use crate::state;
use xarch_translator::ir::{Exit, IntCC, TrapKind};

/// B, BL.
pub fn b_imm(cx: &mut Ctx, w: u32) -> LiftResult {
    let off = sext(bits(w, 25, 0) as u64, 26) << 2;
    let target = cx.pc.wrapping_add(off as u64);
    if bit(w, 31) {
        let lr = cx.b.const64(cx.next_pc());
        cx.set_x(30, lr);
    }
    cx.end_block(Exit::Jump { target });
    Ok(())
}

/// B.cond.
pub fn b_cond(cx: &mut Ctx, w: u32) -> LiftResult {
    let off = sext(bits(w, 23, 5) as u64, 19) << 2;
    let taken = cx.pc.wrapping_add(off as u64);
    let cond = bits(w, 3, 0);
    if cond >= 14 {
        cx.end_block(Exit::Jump { target: taken });
    } else {
        let c = cx.cond_holds(cond);
        cx.end_block(Exit::Branch {
            cond: c,
            taken,
            not_taken: cx.next_pc(),
        });
    }
    Ok(())
}

/// CBZ, CBNZ.
pub fn cbz(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let off = sext(bits(w, 23, 5) as u64, 19) << 2;
    let taken = cx.pc.wrapping_add(off as u64);
    let r = cx.reg(sf, bits(w, 4, 0));
    let cc = if bit(w, 24) { IntCC::Ne } else { IntCC::Eq };
    let c = cx.b.icmp_imm(cc, r, 0);
    cx.end_block(Exit::Branch {
        cond: c,
        taken,
        not_taken: cx.next_pc(),
    });
    Ok(())
}

/// TBZ, TBNZ.
pub fn tbz(cx: &mut Ctx, w: u32) -> LiftResult {
    let bitpos = (bits(w, 31, 31) << 5) | bits(w, 23, 19);
    let off = sext(bits(w, 18, 5) as u64, 14) << 2;
    let taken = cx.pc.wrapping_add(off as u64);
    let r = cx.x(bits(w, 4, 0));
    let m = cx.b.and_imm(r, 1u64 << bitpos);
    let cc = if bit(w, 24) { IntCC::Ne } else { IntCC::Eq };
    let c = cx.b.icmp_imm(cc, m, 0);
    cx.end_block(Exit::Branch {
        cond: c,
        taken,
        not_taken: cx.next_pc(),
    });
    Ok(())
}

/// BR, BLR, RET (opc in bits 22..21: 00 BR, 01 BLR, 10 RET).
pub fn br(cx: &mut Ctx, w: u32) -> LiftResult {
    // Read the target before BLR writes X30 (BLR X30 jumps to the old X30).
    let target = cx.x(bits(w, 9, 5));
    if bits(w, 22, 21) == 1 {
        let lr = cx.b.const64(cx.next_pc());
        cx.set_x(30, lr);
    }
    cx.end_block(Exit::Indirect { target });
    Ok(())
}

/// SVC: the Linux syscall (the immediate is ignored, as Linux does). The kernel's exception
/// return clears the exclusive monitor, so a store-exclusive after a syscall fails.
pub fn svc(cx: &mut Ctx, _w: u32) -> LiftResult {
    let none = cx.b.const64(state::EXCL_NONE);
    cx.b.set_reg(state::EXCL_ADDR, none);
    cx.end_block(Exit::Syscall { next: cx.next_pc() });
    Ok(())
}

/// BRK: a breakpoint trap (guest SIGTRAP).
pub fn brk(_cx: &mut Ctx, _w: u32) -> LiftResult {
    Err(TrapKind::Breakpoint)
}

/// UDF: permanently undefined (guest SIGILL).
pub fn udf(_cx: &mut Ctx, _w: u32) -> LiftResult {
    Err(TrapKind::Undefined)
}
