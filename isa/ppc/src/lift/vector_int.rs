//! Power ISA Book I 6.9 (vector integer instructions) for every element size: minimum and
//! maximum (`vmin[us][bhwd]`, `vmax[us][bhwd]`), compare greater than
//! (`vcmpgt[us][bhwd][.]`), count leading zeros (`vclz[bhwd]`) and population count
//! (`vpopcnt[bhwd]`), the POWER8 forms that `gcc -mcpu=power8 -O2` vectorises to.
//! `lift/vector.rs` keeps the byte forms and everything else VMX/VSX.
//!
//! Element order does not matter here (each operation is element-wise): a VR's 128 bits
//! hold element 0 in the most significant bits, so a host lane holds one ISA element.

use super::{Ctx, LiftResult};
use crate::decode::fields::{bits, ra, rb, rt};
use crate::state;
use xarch_translator::ir::{Lane, TrapKind, Type, Value, VecOp, VecUnOp};

fn vr(ctx: &mut Ctx, n: u32) -> Value {
    ctx.b.get_reg(Type::V128, state::vr_off(n))
}

fn set_vr(ctx: &mut Ctx, n: u32, v: Value) {
    ctx.b.set_reg(state::vr_off(n), v);
}

/// The element size encoded in bits 23..24 of these VX/VC extended opcodes.
fn lane_of(xo: u32) -> (Lane, Type, u8) {
    match (xo >> 6) & 3 {
        0 => (Lane::I8x16, Type::I8, 16),
        1 => (Lane::I16x8, Type::I16, 8),
        2 => (Lane::I32x4, Type::I32, 4),
        _ => (Lane::I64x2, Type::I64, 2),
    }
}

/// vminu* (XO 514 + 64 k), vmins* (770 + 64 k), vmaxu* (2 + 64 k), vmaxs* (258 + 64 k).
pub fn vminmax(ctx: &mut Ctx, w: u32) -> LiftResult {
    let xo = bits(w, 21, 31);
    let (lane, _, _) = lane_of(xo);
    let op = match xo & !0xc0 {
        514 => VecOp::MinU,
        770 => VecOp::MinS,
        2 => VecOp::MaxU,
        258 => VecOp::MaxS,
        _ => return Err(TrapKind::Unimplemented),
    };
    let a = vr(ctx, ra(w));
    let b = vr(ctx, rb(w));
    let r = ctx.b.vbinary(op, lane, a, b);
    set_vr(ctx, rt(w), r);
    Ok(())
}

/// vcmpgtu* (VC XO 518 + 64 k, doubleword 711), vcmpgts* (774 + 64 k, doubleword 967), with
/// Rc: CR6 = all true, 0, none true, 0.
pub fn vcmpgt(ctx: &mut Ctx, w: u32) -> LiftResult {
    let xo = bits(w, 22, 31);
    let (lane, op) = match xo {
        518 | 582 | 646 | 711 => (lane_of(xo).0, VecOp::CmpGtU),
        774 | 838 | 902 | 967 => (lane_of(xo).0, VecOp::CmpGtS),
        _ => return Err(TrapKind::Unimplemented),
    };
    let a = vr(ctx, ra(w));
    let b = vr(ctx, rb(w));
    let r = ctx.b.vbinary(op, lane, a, b);
    set_vr(ctx, rt(w), r);
    if bits(w, 21, 21) == 1 {
        super::vector::set_cr6_all_none(ctx, r);
    }
    Ok(())
}

/// vclz[bhwd] (XO 1794 + 64 k) and vpopcnt[bhwd] (1795 + 64 k): element by element.
pub fn vcount(ctx: &mut Ctx, w: u32) -> LiftResult {
    if ra(w) != 0 {
        return Err(TrapKind::Undefined);
    }
    let xo = bits(w, 21, 31);
    let (lane, _, n) = lane_of(xo);
    let popcnt = xo & 1 == 1;
    let v = vr(ctx, rb(w));
    let r = if popcnt && lane == Lane::I8x16 {
        ctx.b.vunary(VecUnOp::Popcnt, lane, v)
    } else {
        let mut r = v;
        for i in 0..n {
            let e = ctx.b.vextract(lane, i, v);
            let c = if popcnt {
                ctx.b.popcnt(e)
            } else {
                ctx.b.clz(e)
            };
            r = ctx.b.vinsert(lane, i, r, c);
        }
        r
    };
    set_vr(ctx, rt(w), r);
    Ok(())
}
