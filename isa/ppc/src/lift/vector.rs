//! The VMX/VSX subset: VSX loads and stores, GPR<->VSR moves, `xxpermdi` and the logical
//! ops, VMX loads/stores, permutes, splats, integer add/sub/min/max, compares and logical ops.
//!
//! A VSR is a `u128` whose most significant byte is the ISA's byte 0 (see `state.rs`), so
//! doubleword 0 sits at byte offset 8 of the register and ISA byte `i` is host lane `15 - i`.

use super::{Ctx, LiftResult, fp};
use crate::decode::fields::{bits, ra, rb, rt};
use crate::state;
use xarch_translator::ir::{FloatCC, Helper, IntCC, Lane, TrapKind, Type, Value, VecOp, VecUnOp};

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

/// xxsldwi: words SHW..SHW+3 of the concatenation XA || XB.
pub fn xxsldwi(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, a, b) = xx3_regs(w);
    let shw = bits(w, 22, 23);
    let va = ctx.b.get_reg(Type::V128, state::vsr_off(a));
    let vb = ctx.b.get_reg(Type::V128, state::vsr_off(b));
    let r = isa_shuffle(ctx, va, vb, |i| {
        let k = i + 4 * shw;
        (k >= 16, k % 16)
    });
    ctx.b.set_reg(state::vsr_off(t), r);
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
        // Byte i of a VR (ISA numbering) is byte i of its big-endian image.
        let mut ab = [0u8; 32];
        ab[..16].copy_from_slice(&rd(a).to_be_bytes());
        ab[16..].copy_from_slice(&rd(b).to_be_bytes());
        let vc = rd(c).to_be_bytes();
        let r: [u8; 16] = std::array::from_fn(|i| ab[(vc[i] & 0x1f) as usize]);
        std::ptr::write_unaligned(st.add(t as usize).cast::<u128>(), u128::from_be_bytes(r));
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
        set_cr6_all_none(ctx, r);
    }
    Ok(())
}

/// The record form of a vector compare: CR6 = all elements true, 0, no element true, 0.
pub(super) fn set_cr6_all_none(ctx: &mut Ctx, r: Value) {
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

fn vsr(ctx: &mut Ctx, n: u32, ty: Type) -> Value {
    ctx.b.get_reg(ty, state::vsr_off(n))
}

/// XT, XB of an XX2-form (BX bit 30, TX bit 31).
fn xx2_regs(w: u32) -> (u32, u32) {
    (rt(w) | (w & 1) << 5, rb(w) | (w >> 1 & 1) << 5)
}

fn sdw0(ctx: &mut Ctx, n: u32) -> Value {
    ctx.b.get_reg(Type::F64, dw0(n))
}

/// xsadddp & co: doubleword 0. Add, subtract, multiply and divide are FPSCR-faithful (the
/// classic forms' path, [`fp::arith_dp`]); max, min and copysign are inline.
pub fn xs_arith(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, a, b) = xx3_regs(w);
    let x = bits(w, 21, 28);
    if matches!(x, 32 | 40 | 48 | 56) {
        let ia = ctx.b.get_reg(Type::I64, dw0(a));
        let ib = ctx.b.get_reg(Type::I64, dw0(b));
        let z = ctx.b.const64(0);
        let r = match x {
            32 => fp::arith_dp(ctx, ia, ib, z, fp::host::op::ADD, dw0(t)),
            40 => fp::arith_dp(ctx, ia, ib, z, fp::host::op::SUB, dw0(t)),
            // the helper multiplies FRA by FRC
            48 => fp::arith_dp(ctx, ia, z, ib, fp::host::op::MUL, dw0(t)),
            _ => fp::arith_dp(ctx, ia, ib, z, fp::host::op::DIV, dw0(t)),
        };
        ctx.b.set_reg(dw0(t), r);
        fp::trap_check(ctx);
        return Ok(());
    }
    let va = sdw0(ctx, a);
    let vb = sdw0(ctx, b);
    let r = match x {
        160 => ctx.b.fmax(va, vb),
        168 => ctx.b.fmin(va, vb),
        _ => {
            // 176: xscpsgndp: sign of XA, the rest of XB
            let ia = ctx.b.bitcast(Type::I64, va);
            let ib = ctx.b.bitcast(Type::I64, vb);
            let s = ctx.b.and_imm(ia, 1 << 63);
            let m = ctx.b.and_imm(ib, !(1u64 << 63));
            let r = ctx.b.or(s, m);
            ctx.b.bitcast(Type::F64, r)
        }
    };
    ctx.b.set_reg(dw0(t), r);
    Ok(())
}

/// The multiply-add forms: "a" forms XT = XA*XB ± XT, "m" forms XT = XA*XT ± XB.
fn fma_parts(ctx: &mut Ctx, x: u32, a: Value, b: Value, t: Value, lane: Option<Lane>) -> Value {
    let m_form = x & 8 != 0;
    let (p, q, add) = if m_form { (a, t, b) } else { (a, b, t) };
    let sub = x & 16 != 0;
    let neg = x & 128 != 0;
    match lane {
        None => {
            let add = if sub { ctx.b.fneg(add) } else { add };
            let r = ctx.b.ffma(p, q, add);
            if neg { ctx.b.fneg(r) } else { r }
        }
        Some(l) => {
            let mut out = ctx.b.v128const(0);
            for i in 0..2u8 {
                let pi = ctx.b.vextract(l, i, p);
                let qi = ctx.b.vextract(l, i, q);
                let ai = ctx.b.vextract(l, i, add);
                let ai = if sub { ctx.b.fneg(ai) } else { ai };
                let r = ctx.b.ffma(pi, qi, ai);
                let r = if neg { ctx.b.fneg(r) } else { r };
                out = ctx.b.vinsert(l, i, out, r);
            }
            out
        }
    }
}

/// The scalar multiply-adds, FPSCR-faithful: "a" forms XA*XB ± XT, "m" forms XA*XT ± XB,
/// negated by the `n` forms; NaN priority XA, the addend, the other factor (as FRA, FRB, FRC).
pub fn xs_fma(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, a, b) = xx3_regs(w);
    let x = bits(w, 21, 28);
    let ia = ctx.b.get_reg(Type::I64, dw0(a));
    let ib = ctx.b.get_reg(Type::I64, dw0(b));
    let it = ctx.b.get_reg(Type::I64, dw0(t));
    let (q, add) = if x & 8 != 0 { (it, ib) } else { (ib, it) };
    let kind = match (x & 128 != 0, x & 16 != 0) {
        (false, false) => fp::host::op::MADD,
        (false, true) => fp::host::op::MSUB,
        (true, false) => fp::host::op::NMADD,
        (true, true) => fp::host::op::NMSUB,
    };
    let r = fp::arith_dp(ctx, ia, add, q, kind, dw0(t));
    ctx.b.set_reg(dw0(t), r);
    fp::trap_check(ctx);
    Ok(())
}

pub fn xv_fma(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, a, b) = xx3_regs(w);
    let va = vsr(ctx, a, Type::V128);
    let vb = vsr(ctx, b, Type::V128);
    let vt = vsr(ctx, t, Type::V128);
    let r = fma_parts(ctx, bits(w, 21, 28), va, vb, vt, Some(Lane::F64x2));
    ctx.b.set_reg(state::vsr_off(t), r);
    Ok(())
}

/// xscmpudp / xscmpodp: CR field BF = LT GT EQ UN.
pub fn xscmp(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (_, a, b) = xx3_regs(w);
    let bf = bits(w, 6, 8);
    let va = sdw0(ctx, a);
    let vb = sdw0(ctx, b);
    let lt = ctx.b.fcmp(FloatCC::Lt, va, vb);
    let gt = ctx.b.fcmp(FloatCC::Gt, va, vb);
    let eq = ctx.b.fcmp(FloatCC::Eq, va, vb);
    let un = ctx.b.fcmp(FloatCC::Unordered, va, vb);
    ctx.set_flag(state::cr_off(4 * bf), lt);
    ctx.set_flag(state::cr_off(4 * bf + 1), gt);
    ctx.set_flag(state::cr_off(4 * bf + 2), eq);
    ctx.set_flag(state::cr_off(4 * bf + 3), un);
    Ok(())
}

/// xvadddp, xvsubdp, xvmuldp, xvdivdp, FPSCR-faithful: exceptions of both elements
/// accumulate, FR, FI and FPRF are not set (ISA 7.6). Inline when the host's vector op is the
/// guest's and at most XX can change: RN = nearest, no exception enabled, both results inside
/// `[SMALL, BIG]` (a finite nonzero result of these operations rules out every invalid-operation
/// and zero-divide case; such a result neither overflowed nor was tiny) or an exact zero (a
/// zero sum, a product with a zero factor, a zero dividend) and, for a divide, both divisors
/// at least `SMALL`. Then XX (with FX when newly set) is the only change: set when
/// an element's exact error term is nonzero (TwoSum, the FMA residual or remainder, exact at
/// these magnitudes). Otherwise `host::XV_OP` runs both elements through the scalar helper.
pub fn xv_arith(ctx: &mut Ctx, w: u32) -> LiftResult {
    use fp::host::{self, op};
    let (t, a, b) = xx3_regs(w);
    let (vop, kind) = match bits(w, 21, 28) {
        96 => (VecOp::FAdd, op::ADD),
        104 => (VecOp::FSub, op::SUB),
        112 => (VecOp::FMul, op::MUL),
        _ => (VecOp::FDiv, op::DIV),
    };
    let va = vsr(ctx, a, Type::V128);
    let vb = vsr(ctx, b, Type::V128);
    let fast = ctx.b.vbinary(vop, Lane::F64x2, va, vb);
    const SMALL: f64 = 1e-270;
    const BIG: f64 = 1e300;
    let fpscr = ctx.b.get_reg(Type::I32, state::FPSCR);
    // RN (bits 0..1) and VE OE UE ZE XE (bits 3..7) zero
    let m = ctx.b.and_imm(fpscr, 0xfb);
    let mut ok = ctx.b.icmp_imm(IntCC::Eq, m, 0);
    let zero = ctx.b.f64const(0.0);
    let within = |ctx: &mut Ctx, x: Value, lo: f64, hi: f64| {
        let ax = ctx.b.fabs(x);
        let l = ctx.b.f64const(lo);
        let h = ctx.b.f64const(hi);
        let ge = ctx.b.fcmp(FloatCC::Ge, ax, l);
        let le = ctx.b.fcmp(FloatCC::Le, ax, h);
        ctx.b.and(ge, le)
    };
    let mut inexact = None;
    let mut lanes = [fast; 2];
    for (lane, slot) in lanes.iter_mut().enumerate() {
        let lane = lane as u8;
        let e = ctx.b.vextract(Lane::I64x2, lane, fast);
        *slot = e;
        let r = ctx.b.bitcast(Type::F64, e);
        let x = ctx.b.vextract(Lane::I64x2, lane, va);
        let x = ctx.b.bitcast(Type::F64, x);
        let y = ctx.b.vextract(Lane::I64x2, lane, vb);
        let y = ctx.b.bitcast(Type::F64, y);
        let in_range = within(ctx, r, SMALL, BIG);
        // an exact zero: any zero sum (two finite doubles never round to zero), a product
        // with a zero factor, a zero dividend (the divisor is checked below)
        let r_zero = ctx.b.fcmp(FloatCC::Eq, r, zero);
        let exact_zero = match kind {
            op::ADD | op::SUB => r_zero,
            op::MUL => {
                let zx = ctx.b.fcmp(FloatCC::Eq, x, zero);
                let zy = ctx.b.fcmp(FloatCC::Eq, y, zero);
                let z = ctx.b.or(zx, zy);
                ctx.b.and(r_zero, z)
            }
            _ => {
                let zx = ctx.b.fcmp(FloatCC::Eq, x, zero);
                ctx.b.and(r_zero, zx)
            }
        };
        let lane_ok = ctx.b.or(in_range, exact_zero);
        ok = ctx.b.and(ok, lane_ok);
        let err = match kind {
            op::ADD | op::SUB => {
                // TwoSum of x and ±y
                let y = if kind == op::SUB { ctx.b.fneg(y) } else { y };
                let yy = ctx.b.fsub(r, x);
                let xx = ctx.b.fsub(r, yy);
                let dx = ctx.b.fsub(x, xx);
                let dy = ctx.b.fsub(y, yy);
                ctx.b.fadd(dx, dy)
            }
            op::MUL => {
                let nr = ctx.b.fneg(r);
                ctx.b.ffma(x, y, nr)
            }
            _ => {
                let big_y = within(ctx, y, SMALL, f64::INFINITY);
                ok = ctx.b.and(ok, big_y);
                let nr = ctx.b.fneg(r);
                ctx.b.ffma(nr, y, x)
            }
        };
        let ne = ctx.b.fcmp(FloatCC::Ne, err, zero);
        inexact = Some(match inexact {
            None => ne,
            Some(p) => ctx.b.or(p, ne),
        });
    }
    let inexact = inexact.expect("two lanes");
    let f = fp::or_inexact(ctx, fpscr, fpscr, inexact, host::XX);
    let slow = fp::not_i64(ctx, ok);
    let z = ctx.b.const64(0);
    let offs = [a, b, t].map(|n| ctx.b.const64(state::vsr_off(n) as u64));
    let d = ctx.b.const64(kind);
    ctx.b
        .call_helper_if(slow, z, &host::XV_OP, &[offs[0], offs[1], offs[2], d]);
    // after the helper XT holds its result; on the fast path the host's
    let cur = vsr(ctx, t, Type::V128);
    let mut r = ctx.b.v128const(0);
    for (lane, f) in lanes.into_iter().enumerate() {
        let c = ctx.b.vextract(Lane::I64x2, lane as u8, cur);
        let v = ctx.b.select(ok, f, c);
        r = ctx.b.vinsert(Lane::I64x2, lane as u8, r, v);
    }
    ctx.b.set_reg(state::vsr_off(t), r);
    let after = ctx.b.get_reg(Type::I32, state::FPSCR);
    let f = ctx.b.select(ok, f, after);
    ctx.b.set_reg(state::FPSCR, f);
    fp::trap_check(ctx);
    Ok(())
}

pub fn xv_unary(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, b) = xx2_regs(w);
    let op = match bits(w, 21, 29) {
        473 => VecUnOp::FAbs,
        505 => VecUnOp::FNeg,
        _ => VecUnOp::FSqrt,
    };
    let vb = vsr(ctx, b, Type::V128);
    let r = ctx.b.vunary(op, Lane::F64x2, vb);
    ctx.b.set_reg(state::vsr_off(t), r);
    Ok(())
}

/// The XX2 scalar forms: sign operations, square root, rounding, conversions.
pub fn xs_unary(ctx: &mut Ctx, w: u32) -> LiftResult {
    use xarch_translator::ir::RoundMode;
    let (t, b) = xx2_regs(w);
    let x = bits(w, 21, 29);
    let sign = 1u64 << 63;
    let ib = ctx.b.get_reg(Type::I64, dw0(b));
    let fb = ctx.b.get_reg(Type::F64, dw0(b));
    let r: Value = match x {
        345 => ctx.b.and_imm(ib, !sign),
        377 => {
            let s = ctx.b.const64(sign);
            ctx.b.xor(ib, s)
        }
        361 => {
            let s = ctx.b.const64(sign);
            ctx.b.or(ib, s)
        }
        // xssqrtdp: FPSCR-faithful
        75 => {
            let z = ctx.b.const64(0);
            fp::arith_dp(ctx, z, ib, z, fp::host::op::SQRT, dw0(t))
        }
        89 | 121 | 105 => {
            let f = match x {
                89 => ctx.b.fround(RoundMode::Trunc, fb),
                121 => ctx.b.fround(RoundMode::Floor, fb),
                _ => ctx.b.fround(RoundMode::Ceil, fb),
            };
            ctx.b.bitcast(Type::I64, f)
        }
        265 | 281 => {
            // xscvdpsp: the single in word 0 (and the double-format value for xsrsp)
            let s = ctx.b.fconvert(Type::F32, fb);
            if x == 281 {
                let d = ctx.b.fconvert(Type::F64, s);
                ctx.b.bitcast(Type::I64, d)
            } else {
                let i = ctx.b.bitcast(Type::I32, s);
                let z = ctx.b.zext(Type::I64, i);
                let sh = ctx.b.const64(32);
                let hi = ctx.b.shl(z, sh);
                ctx.b.or(hi, z)
            }
        }
        267 => {
            // xscvdpspn: the same without signalling
            let s = ctx.b.fconvert(Type::F32, fb);
            let i = ctx.b.bitcast(Type::I32, s);
            let z = ctx.b.zext(Type::I64, i);
            let sh = ctx.b.const64(32);
            let hi = ctx.b.shl(z, sh);
            ctx.b.or(hi, z)
        }
        329 | 331 => {
            // xscvspdp[n]: the single in word 0 to double
            let sh = ctx.b.const64(32);
            let hi = ctx.b.lshr(ib, sh);
            let i = ctx.b.trunc(Type::I32, hi);
            let s = ctx.b.bitcast(Type::F32, i);
            let d = ctx.b.fconvert(Type::F64, s);
            ctx.b.bitcast(Type::I64, d)
        }
        344 | 328 | 88 | 72 => {
            let ty = if x >= 300 { Type::I64 } else { Type::I32 };
            let signed = x == 344 || x == 88;
            let r = if signed {
                ctx.b.ftosint(ty, fb)
            } else {
                ctx.b.ftouint(ty, fb)
            };
            let r = if signed {
                let nan = ctx.b.fcmp(FloatCC::Unordered, fb, fb);
                let min = ctx.b.iconst(ty, 1u64 << (ty.bits() - 1));
                ctx.b.select(nan, min, r)
            } else {
                r
            };
            ctx.b.zext_or_trunc(Type::I64, r)
        }
        _ => {
            // 376 xscvsxddp, 360 xscvuxddp
            let f = if x == 376 {
                ctx.b.sinttof(Type::F64, ib)
            } else {
                ctx.b.uinttof(Type::F64, ib)
            };
            ctx.b.bitcast(Type::I64, f)
        }
    };
    ctx.b.set_reg(dw0(t), r);
    if x == 75 {
        fp::trap_check(ctx);
    }
    Ok(())
}

/// A byte shuffle written in the ISA's numbering: result byte `i` is byte `k` of VRA
/// (`from_b` false) or VRB.
fn isa_shuffle(ctx: &mut Ctx, a: Value, b: Value, f: impl Fn(u32) -> (bool, u32)) -> Value {
    let mut mask = [0u8; 16];
    for i in 0..16u32 {
        let (from_b, k) = f(i);
        mask[(15 - i) as usize] = if from_b { 16 + 15 - k } else { 15 - k } as u8;
    }
    ctx.b.vshuffle(mask, a, b)
}

/// vmrgh[bhw] / vmrgl[bhw]: interleave the high or low halves' elements.
pub fn vmerge(ctx: &mut Ctx, w: u32) -> LiftResult {
    let x = bits(w, 21, 31);
    let (size, low) = match x {
        12 => (1, false),
        76 => (2, false),
        140 => (4, false),
        268 => (1, true),
        332 => (2, true),
        _ => (4, true),
    };
    let a = vr(ctx, ra(w));
    let b = vr(ctx, rb(w));
    let r = isa_shuffle(ctx, a, b, |i| {
        let elem = i / size;
        let byte = i % size;
        let src_elem = elem / 2 + if low { 8 / size } else { 0 };
        (elem % 2 == 1, src_elem * size + byte)
    });
    set_vr(ctx, rt(w), r);
    Ok(())
}

/// vgbbd: per doubleword, the transpose of the 8x8 bit matrix of its bytes.
extern "C" fn vgbbd_helper(_s: *mut u8, _m: *mut u8, x: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    let mut r = 0u64;
    for row in 0..8 {
        for col in 0..8 {
            let bit = (x >> (63 - (8 * row + col))) & 1;
            r |= bit << (63 - (8 * col + row));
        }
    }
    r
}

static VGBBD: Helper = Helper {
    name: "ppc_vgbbd",
    func: vgbbd_helper,
};

pub fn vgbbd(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, b) = (rt(w), rb(w));
    for off in [0, 8] {
        let v = ctx.b.get_reg(Type::I64, state::vr_off(b) + off);
        let r = ctx.b.call_helper(&VGBBD, &[v]);
        ctx.b.set_reg(state::vr_off(t) + off, r);
    }
    Ok(())
}

/// Lane-wise shifts and rotates by the low bits of the corresponding lane of VRB.
extern "C" fn vshift_helper(st: *mut u8, _m: *mut u8, t: u64, a: u64, b: u64, kind: u64) -> u64 {
    /// One lane type: `$op(x, n)` on every lane, lane k at bits `k * width` (constant
    /// shifts once the loop is unrolled).
    macro_rules! lanes {
        ($va:expr, $vb:expr, $t:ty, $op:expr) => {{
            const W: u32 = <$t>::BITS;
            let mut r = 0u128;
            for k in 0..128 / W {
                let x = ($va >> (k * W)) as $t;
                let n = ($vb >> (k * W)) as u32 & (W - 1);
                let y: $t = $op(x, n);
                r |= (y as u128) << (k * W);
            }
            r
        }};
    }
    /// The four operations on one lane type (`$s`: its signed twin).
    macro_rules! ops {
        ($va:expr, $vb:expr, $op:expr, $t:ty, $s:ty) => {
            match $op {
                0 => lanes!($va, $vb, $t, |x: $t, n| x << n),
                1 => lanes!($va, $vb, $t, |x: $t, n| x >> n),
                2 => lanes!($va, $vb, $t, |x: $t, n| ((x as $s) >> n) as $t),
                _ => lanes!($va, $vb, $t, |x: $t, n| x.rotate_left(n)),
            }
        };
    }
    // SAFETY: the engine passes its state buffer, which holds a whole CpuState; `t`, `a`,
    // `b` are VR offsets inside it (from the lifter), each 16 bytes long.
    unsafe {
        let rd = |off: u64| std::ptr::read_unaligned(st.add(off as usize).cast::<u128>());
        let (va, vb) = (rd(a), rd(b));
        let op = kind >> 2;
        let r = match kind & 3 {
            0 => ops!(va, vb, op, u8, i8),
            1 => ops!(va, vb, op, u16, i16),
            2 => ops!(va, vb, op, u32, i32),
            _ => ops!(va, vb, op, u64, i64),
        };
        std::ptr::write_unaligned(st.add(t as usize).cast::<u128>(), r);
    }
    0
}

static VSHIFT: Helper = Helper {
    name: "ppc_vshift",
    func: vshift_helper,
};

pub fn vshift(ctx: &mut Ctx, w: u32) -> LiftResult {
    let x = bits(w, 21, 31);
    // kind: size (0 b, 1 h, 2 w, 3 d) | op << 2 (0 shl, 1 lshr, 2 ashr, 3 rotl)
    let kind: u64 = match x {
        260 => 0,
        324 => 1,
        388 => 2,
        1476 => 3,
        516 => 4,
        580 => 5,
        644 => 6,
        1732 => 7,
        772 => 8,
        836 => 9,
        900 => 10,
        964 => 11,
        4 => 12,
        68 => 13,
        132 => 14,
        _ => 15,
    };
    let offs = [rt(w), ra(w), rb(w)].map(|r| state::vr_off(r) as u64);
    let mut args: Vec<Value> = offs.iter().map(|&o| ctx.b.const64(o)).collect();
    args.push(ctx.b.const64(kind));
    ctx.b.call_helper(&VSHIFT, &args);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xarch_translator::StateBytes;
    use xarch_translator::testing::Rng;

    /// Runs a VR helper on a state holding `a`, `b`, `c` in VR1..VR3; returns VR0.
    fn run(
        f: extern "C" fn(*mut u8, *mut u8, u64, u64, u64, u64) -> u64,
        a: u128,
        b: u128,
        c: u128,
        last_arg: Option<u64>,
    ) -> u128 {
        let mut s = state::CpuState::default();
        let vr = |n: u32| (state::vr_off(n) - state::VSR) as usize / 16;
        (s.vsr[vr(1)], s.vsr[vr(2)], s.vsr[vr(3)]) = (a, b, c);
        let mut buf = vec![0u8; std::mem::size_of::<state::CpuState>()];
        s.write_to(&mut buf);
        let off = |n: u32| state::vr_off(n) as u64;
        let d = last_arg.unwrap_or(off(3));
        f(
            buf.as_mut_ptr(),
            std::ptr::null_mut(),
            off(0),
            off(1),
            off(2),
            d,
        );
        state::CpuState::from_bytes(&buf).vsr[vr(0)]
    }

    /// Byte i (ISA numbering, 0 the most significant) of a VR.
    fn byte(v: u128, i: u32) -> u8 {
        (v >> (8 * (15 - i))) as u8
    }

    #[test]
    fn vperm_picks_bytes_of_the_concatenation() {
        let mut rng = Rng(0x5eed_0001);
        for _ in 0..200 {
            let r = |rng: &mut Rng| (rng.next() as u128) << 64 | rng.next() as u128;
            let (a, b, c) = (r(&mut rng), r(&mut rng), r(&mut rng));
            let got = run(vperm_helper, a, b, c, None);
            for i in 0..16 {
                let k = byte(c, i) as u32 & 0x1f;
                let want = if k < 16 { byte(a, k) } else { byte(b, k - 16) };
                assert_eq!(byte(got, i), want, "byte {i} of {a:032x} {b:032x} {c:032x}");
            }
        }
    }

    #[test]
    fn vector_shifts_and_rotates_match_a_lane_by_lane_model() {
        let mut rng = Rng(0x5eed_0002);
        for _ in 0..400 {
            let r = |rng: &mut Rng| (rng.next() as u128) << 64 | rng.next() as u128;
            let (a, b) = (r(&mut rng), r(&mut rng));
            let kind = rng.below(16);
            let got = run(vshift_helper, a, b, 0, Some(kind));
            let bits = 8u32 << (kind & 3);
            let mask = u64::MAX >> (64 - bits);
            for lane in 0..128 / bits {
                let x = (a >> (lane * bits)) as u64 & mask;
                let n = (b >> (lane * bits)) as u32 & (bits - 1);
                let want = match kind >> 2 {
                    0 => x << n,
                    1 => x >> n,
                    2 => (((x << (64 - bits)) as i64 >> (64 - bits)) >> n) as u64,
                    _ => (x << n) | x.checked_shr(bits - n).unwrap_or(0),
                } & mask;
                let g = (got >> (lane * bits)) as u64 & mask;
                assert_eq!(g, want, "kind {kind} lane {lane} of {a:032x} by {b:032x}");
            }
        }
    }
}
