//! The VMX/VSX subset: VSX loads and stores, GPR<->VSR moves, `xxpermdi` and the logical
//! ops, VMX loads/stores, permutes, splats, integer add/sub/min/max, compares and logical ops.
//!
//! A VSR is a `u128` whose most significant byte is the ISA's byte 0 (see `state.rs`), so
//! doubleword 0 sits at byte offset 8 of the register and ISA byte `i` is host lane `15 - i`.

use super::{Ctx, LiftResult};
use crate::decode::fields::{bits, ra, rb, rt};
use crate::state;
use xarch_translator::ir::{Helper, IntCC, Lane, TrapKind, Type, Value, VecOp, VecUnOp};

/// XT/XS of an XX1-form (TX in bit 31).
fn xt1(w: u32) -> u32 {
    rt(w) | (w & 1) << 5
}

/// XT, XA, XB of an XX3-form (AX bit 29, BX bit 30, TX bit 31).
fn xx3_regs(w: u32) -> (u32, u32, u32) {
    (
        rt(w) | (w & 1) << 5,
        ra(w) | (w >> 2 & 1) << 5,
        rb(w) | (w >> 1 & 1) << 5,
    )
}

fn dw0(n: u32) -> u32 {
    state::vsr_off(n) + 8
}

fn dw1(n: u32) -> u32 {
    state::vsr_off(n)
}

pub fn lxvd2x(ctx: &mut Ctx, w: u32) -> LiftResult {
    let t = xt1(w);
    let a = ctx.ea_x(ra(w), rb(w));
    let d0 = ctx.load(Type::I64, a);
    let a8 = ctx.b.add_imm(a, 8);
    let d1 = ctx.load(Type::I64, a8);
    ctx.b.set_reg(dw0(t), d0);
    ctx.b.set_reg(dw1(t), d1);
    Ok(())
}

pub fn stxvd2x(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = xt1(w);
    let a = ctx.ea_x(ra(w), rb(w));
    let d0 = ctx.b.get_reg(Type::I64, dw0(s));
    let d1 = ctx.b.get_reg(Type::I64, dw1(s));
    ctx.store(a, d0);
    let a8 = ctx.b.add_imm(a, 8);
    ctx.store(a8, d1);
    Ok(())
}

pub fn lxvw4x(ctx: &mut Ctx, w: u32) -> LiftResult {
    let t = xt1(w);
    let a = ctx.ea_x(ra(w), rb(w));
    let ws: Vec<Value> = (0..4)
        .map(|i| {
            let ai = ctx.b.add_imm(a, 4 * i);
            ctx.load(Type::I32, ai)
        })
        .collect();
    for (i, v) in ws.into_iter().enumerate() {
        ctx.b.set_reg(state::vsr_off(t) + 12 - 4 * i as u32, v);
    }
    Ok(())
}

pub fn stxvw4x(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = xt1(w);
    let a = ctx.ea_x(ra(w), rb(w));
    for i in 0..4u32 {
        let v = ctx.b.get_reg(Type::I32, state::vsr_off(s) + 12 - 4 * i);
        let ai = ctx.b.add_imm(a, 4 * i as u64);
        ctx.store(ai, v);
    }
    Ok(())
}

pub fn lxsdx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.ea_x(ra(w), rb(w));
    let v = ctx.load(Type::I64, a);
    ctx.b.set_reg(dw0(xt1(w)), v);
    Ok(())
}

pub fn stxsdx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.ea_x(ra(w), rb(w));
    let v = ctx.b.get_reg(Type::I64, dw0(xt1(w)));
    ctx.store(a, v);
    Ok(())
}

pub fn lxvdsx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let t = xt1(w);
    let a = ctx.ea_x(ra(w), rb(w));
    let v = ctx.load(Type::I64, a);
    ctx.b.set_reg(dw0(t), v);
    ctx.b.set_reg(dw1(t), v);
    Ok(())
}

fn lxsiw(ctx: &mut Ctx, w: u32, signed: bool) -> LiftResult {
    let a = ctx.ea_x(ra(w), rb(w));
    let v = ctx.load(Type::I32, a);
    let v = if signed {
        ctx.b.sext(Type::I64, v)
    } else {
        ctx.b.zext(Type::I64, v)
    };
    ctx.b.set_reg(dw0(xt1(w)), v);
    Ok(())
}

pub fn lxsiwzx(ctx: &mut Ctx, w: u32) -> LiftResult {
    lxsiw(ctx, w, false)
}

pub fn lxsiwax(ctx: &mut Ctx, w: u32) -> LiftResult {
    lxsiw(ctx, w, true)
}

pub fn stxsiwx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.ea_x(ra(w), rb(w));
    let v = ctx.b.get_reg(Type::I32, dw0(xt1(w)));
    ctx.store(a, v);
    Ok(())
}

pub fn lxsspx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.ea_x(ra(w), rb(w));
    let v = ctx.load(Type::I32, a);
    let f = ctx.b.bitcast(Type::F32, v);
    let d = ctx.b.fconvert(Type::F64, f);
    ctx.b.set_reg(dw0(xt1(w)), d);
    Ok(())
}

pub fn stxsspx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.ea_x(ra(w), rb(w));
    let d = ctx.b.get_reg(Type::F64, dw0(xt1(w)));
    let f = ctx.b.fconvert(Type::F32, d);
    let v = ctx.b.bitcast(Type::I32, f);
    ctx.store(a, v);
    Ok(())
}

pub fn mfvsrd(ctx: &mut Ctx, w: u32) -> LiftResult {
    let v = ctx.b.get_reg(Type::I64, dw0(xt1(w)));
    ctx.set_gpr(ra(w), v);
    Ok(())
}

pub fn mfvsrwz(ctx: &mut Ctx, w: u32) -> LiftResult {
    let v = ctx.b.get_reg(Type::I32, dw0(xt1(w)));
    ctx.set_gpr_zext32(ra(w), v);
    Ok(())
}

pub fn mtvsrd(ctx: &mut Ctx, w: u32) -> LiftResult {
    let v = ctx.gpr(ra(w));
    ctx.b.set_reg(dw0(xt1(w)), v);
    Ok(())
}

fn mtvsrw(ctx: &mut Ctx, w: u32, signed: bool) -> LiftResult {
    let v = ctx.gpr32(ra(w));
    let v = if signed {
        ctx.b.sext(Type::I64, v)
    } else {
        ctx.b.zext(Type::I64, v)
    };
    ctx.b.set_reg(dw0(xt1(w)), v);
    Ok(())
}

pub fn mtvsrwa(ctx: &mut Ctx, w: u32) -> LiftResult {
    mtvsrw(ctx, w, true)
}

pub fn mtvsrwz(ctx: &mut Ctx, w: u32) -> LiftResult {
    mtvsrw(ctx, w, false)
}

pub fn xxpermdi(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, a, b) = xx3_regs(w);
    let dm = bits(w, 22, 23);
    let s0 = if dm & 2 != 0 { dw1(a) } else { dw0(a) };
    let s1 = if dm & 1 != 0 { dw1(b) } else { dw0(b) };
    let v0 = ctx.b.get_reg(Type::I64, s0);
    let v1 = ctx.b.get_reg(Type::I64, s1);
    ctx.b.set_reg(dw0(t), v0);
    ctx.b.set_reg(dw1(t), v1);
    Ok(())
}

/// The binary logical ops on V128 values, by the XX3 extended opcode.
fn logical(ctx: &mut Ctx, xo: u32, a: Value, b: Value) -> Value {
    let l = Lane::I64x2;
    match xo {
        130 => ctx.b.vbinary(VecOp::And, l, a, b),
        138 => ctx.b.vbinary(VecOp::AndNot, l, a, b),
        146 => ctx.b.vbinary(VecOp::Or, l, a, b),
        154 => ctx.b.vbinary(VecOp::Xor, l, a, b),
        162 => {
            let t = ctx.b.vbinary(VecOp::Or, l, a, b);
            ctx.b.vunary(VecUnOp::Not, l, t)
        }
        170 => {
            let nb = ctx.b.vunary(VecUnOp::Not, l, b);
            ctx.b.vbinary(VecOp::Or, l, a, nb)
        }
        178 => {
            let t = ctx.b.vbinary(VecOp::And, l, a, b);
            ctx.b.vunary(VecUnOp::Not, l, t)
        }
        _ => {
            let t = ctx.b.vbinary(VecOp::Xor, l, a, b);
            ctx.b.vunary(VecUnOp::Not, l, t)
        }
    }
}

pub fn xxlogical(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, a, b) = xx3_regs(w);
    let va = ctx.b.get_reg(Type::V128, state::vsr_off(a));
    let vb = ctx.b.get_reg(Type::V128, state::vsr_off(b));
    let r = logical(ctx, bits(w, 21, 28), va, vb);
    ctx.b.set_reg(state::vsr_off(t), r);
    Ok(())
}

fn vr(ctx: &mut Ctx, n: u32) -> Value {
    ctx.b.get_reg(Type::V128, state::vr_off(n))
}

fn set_vr(ctx: &mut Ctx, n: u32, v: Value) {
    ctx.b.set_reg(state::vr_off(n), v);
}

/// The quadword of `lvx`/`stvx` in the register's numbering: the guest byte order applied to
/// the whole 16 bytes.
pub fn lvx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.ea_x(ra(w), rb(w));
    let a = ctx.b.and_imm(a, !15);
    let v = ctx.load(Type::V128, a);
    set_vr(ctx, rt(w), v);
    Ok(())
}

pub fn stvx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.ea_x(ra(w), rb(w));
    let a = ctx.b.and_imm(a, !15);
    let v = vr(ctx, rt(w));
    ctx.store(a, v);
    Ok(())
}

/// ISA bytes 0..15 = 0x00..0x0f as a u128.
const IOTA: u128 = 0x0001_0203_0405_0607_0809_0a0b_0c0d_0e0f;

fn lvs(ctx: &mut Ctx, w: u32, right: bool) -> LiftResult {
    let a = ctx.ea_x(ra(w), rb(w));
    let sh = ctx.b.and_imm(a, 15);
    let sh = ctx.b.trunc(Type::I8, sh);
    let s = ctx.b.vsplat(Lane::I8x16, sh);
    let r = if right {
        let base = ctx
            .b
            .v128const(IOTA + 0x1010_1010_1010_1010_1010_1010_1010_1010);
        ctx.b.vbinary(VecOp::Sub, Lane::I8x16, base, s)
    } else {
        let base = ctx.b.v128const(IOTA);
        ctx.b.vbinary(VecOp::Add, Lane::I8x16, base, s)
    };
    set_vr(ctx, rt(w), r);
    Ok(())
}

pub fn lvsl(ctx: &mut Ctx, w: u32) -> LiftResult {
    lvs(ctx, w, false)
}

pub fn lvsr(ctx: &mut Ctx, w: u32) -> LiftResult {
    lvs(ctx, w, true)
}

/// vperm on the registers in the state: args are the byte offsets of VRT, VRA, VRB, VRC.
extern "C" fn vperm_helper(st: *mut u8, _m: *mut u8, t: u64, a: u64, b: u64, c: u64) -> u64 {
    // SAFETY: the engine passes its state buffer, which holds a whole CpuState; the offsets
    // are VR offsets inside it (from the lifter), each 16 bytes long.
    unsafe {
        let rd = |off: u64| std::ptr::read_unaligned(st.add(off as usize).cast::<u128>());
        let (va, vb, vc) = (rd(a), rd(b), rd(c));
        let byte = |v: u128, i: u32| (v >> (8 * (15 - i))) as u8;
        let mut r = 0u128;
        for i in 0..16 {
            let idx = byte(vc, i) as u32 & 0x1f;
            let x = if idx < 16 {
                byte(va, idx)
            } else {
                byte(vb, idx - 16)
            };
            r |= (x as u128) << (8 * (15 - i));
        }
        std::ptr::write_unaligned(st.add(t as usize).cast::<u128>(), r);
    }
    0
}

static VPERM: Helper = Helper {
    name: "ppc_vperm",
    func: vperm_helper,
};

pub fn vperm(ctx: &mut Ctx, w: u32) -> LiftResult {
    let offs = [rt(w), ra(w), rb(w), bits(w, 21, 25)].map(|r| state::vr_off(r) as u64);
    let args: Vec<Value> = offs.iter().map(|&o| ctx.b.const64(o)).collect();
    ctx.b.call_helper(&VPERM, &args);
    Ok(())
}

pub fn vsldoi(ctx: &mut Ctx, w: u32) -> LiftResult {
    let sh = bits(w, 22, 25);
    let a = vr(ctx, ra(w));
    let b = vr(ctx, rb(w));
    let mut mask = [0u8; 16];
    for (j, m) in mask.iter_mut().enumerate() {
        let k = 15 - j as u32 + sh;
        *m = if k < 16 { 15 - k } else { 47 - k } as u8;
    }
    let r = ctx.b.vshuffle(mask, a, b);
    set_vr(ctx, rt(w), r);
    Ok(())
}

pub fn vsplt(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (lane, n) = match bits(w, 21, 31) {
        524 => (Lane::I8x16, 16),
        588 => (Lane::I16x8, 8),
        _ => (Lane::I32x4, 4),
    };
    let uim = bits(w, 11, 15) % n;
    let b = vr(ctx, rb(w));
    let e = ctx.b.vextract(lane, (n - 1 - uim) as u8, b);
    let r = ctx.b.vsplat(lane, e);
    set_vr(ctx, rt(w), r);
    Ok(())
}

pub fn vspltis(ctx: &mut Ctx, w: u32) -> LiftResult {
    let lane = match bits(w, 21, 31) {
        780 => Lane::I8x16,
        844 => Lane::I16x8,
        _ => Lane::I32x4,
    };
    let simm = ((ra(w) << 27) as i32 >> 27) as i64 as u64;
    let c = ctx.b.iconst(lane.scalar(), simm);
    let r = ctx.b.vsplat(lane, c);
    set_vr(ctx, rt(w), r);
    Ok(())
}

pub fn vbin(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (op, lane) = match bits(w, 21, 31) {
        0 => (VecOp::Add, Lane::I8x16),
        64 => (VecOp::Add, Lane::I16x8),
        128 => (VecOp::Add, Lane::I32x4),
        192 => (VecOp::Add, Lane::I64x2),
        1024 => (VecOp::Sub, Lane::I8x16),
        1088 => (VecOp::Sub, Lane::I16x8),
        1152 => (VecOp::Sub, Lane::I32x4),
        1216 => (VecOp::Sub, Lane::I64x2),
        514 => (VecOp::MinU, Lane::I8x16),
        2 => (VecOp::MaxU, Lane::I8x16),
        1028 => (VecOp::And, Lane::I64x2),
        1092 => (VecOp::AndNot, Lane::I64x2),
        1156 => (VecOp::Or, Lane::I64x2),
        1220 => (VecOp::Xor, Lane::I64x2),
        1284 => (VecOp::Or, Lane::I64x2),
        _ => return Err(TrapKind::Unimplemented),
    };
    let a = vr(ctx, ra(w));
    let b = vr(ctx, rb(w));
    let mut r = ctx.b.vbinary(op, lane, a, b);
    if bits(w, 21, 31) == 1284 {
        r = ctx.b.vunary(VecUnOp::Not, lane, r);
    }
    set_vr(ctx, rt(w), r);
    Ok(())
}

/// vcmpequ[bhwd][.], vcmpgt[us]b[.]: lane masks, and CR6 = all true, 0, none true, 0.
pub fn vcmp(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (op, lane) = match bits(w, 22, 31) {
        6 => (VecOp::CmpEq, Lane::I8x16),
        70 => (VecOp::CmpEq, Lane::I16x8),
        134 => (VecOp::CmpEq, Lane::I32x4),
        199 => (VecOp::CmpEq, Lane::I64x2),
        518 => (VecOp::CmpGtU, Lane::I8x16),
        _ => (VecOp::CmpGtS, Lane::I8x16),
    };
    let a = vr(ctx, ra(w));
    let b = vr(ctx, rb(w));
    let r = ctx.b.vbinary(op, lane, a, b);
    set_vr(ctx, rt(w), r);
    if bits(w, 21, 21) == 1 {
        let lo = ctx.b.vextract(Lane::I64x2, 0, r);
        let hi = ctx.b.vextract(Lane::I64x2, 1, r);
        let and = ctx.b.and(lo, hi);
        let or = ctx.b.or(lo, hi);
        let all = ctx.b.icmp_imm(IntCC::Eq, and, u64::MAX);
        let none = ctx.b.icmp_imm(IntCC::Eq, or, 0);
        let z = ctx.b.iconst(Type::I8, 0);
        ctx.set_flag(state::cr_off(24), all);
        ctx.set_flag(state::cr_off(25), z);
        ctx.set_flag(state::cr_off(26), none);
        ctx.set_flag(state::cr_off(27), z);
    }
    Ok(())
}
