//! Floating-point loads and stores, moves, arithmetic (incl. fused multiply-add), rounding and
//! conversion, compares and the FPSCR moves.
//!
//! FPRs hold doubles (single-precision values in double format, as the ISA keeps them).
//! Single-precision arithmetic computes in double and rounds the result to single, which is
//! exact for add, subtract, multiply, divide and square root of single operands (double
//! has more than 2p+2 bits) and may differ from the hardware in the last bit for the fused
//! forms. Arithmetic rounds to nearest: FPSCR[RN] is kept and readable, and honoured by the
//! float-to-integer conversions without `z` (`fctiw`, `fctid`, `fctiwu`, `fctidu`). FPSCR exception
//! bits are not accumulated, and the record (`.`) forms are not implemented.

use super::{Ctx, LiftResult};
use crate::decode::fields::{bits, ra, rb, rc, rt, si};
use crate::state;
use xarch_translator::ir::{FloatCC, RoundMode, TrapKind, Type, Value};

fn fpr(ctx: &mut Ctx, n: u32) -> Value {
    ctx.b.get_reg(Type::F64, state::fpr_off(n))
}

fn fpr_bits(ctx: &mut Ctx, n: u32) -> Value {
    ctx.b.get_reg(Type::I64, state::fpr_off(n))
}

fn set_fpr(ctx: &mut Ctx, n: u32, v: Value) {
    ctx.b.set_reg(state::fpr_off(n), v);
}

/// Rounds a double to single precision and back (the result of a single-precision op).
fn round_single(ctx: &mut Ctx, v: Value) -> Value {
    let s = ctx.b.fconvert(Type::F32, v);
    ctx.b.fconvert(Type::F64, s)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    D,
    X,
}

fn fp_ea(ctx: &mut Ctx, w: u32, mode: Mode, update: bool) -> Result<Value, TrapKind> {
    if update && ra(w) == 0 {
        return Err(TrapKind::Undefined);
    }
    Ok(match mode {
        Mode::D => ctx.ea_d(ra(w), si(w)),
        Mode::X => ctx.ea_x(ra(w), rb(w)),
    })
}

fn load_fp(ctx: &mut Ctx, w: u32, single: bool, mode: Mode, update: bool) -> LiftResult {
    let addr = fp_ea(ctx, w, mode, update)?;
    let v = if single {
        let i = ctx.load(Type::I32, addr);
        let f = ctx.b.bitcast(Type::F32, i);
        ctx.b.fconvert(Type::F64, f)
    } else {
        let i = ctx.load(Type::I64, addr);
        ctx.b.bitcast(Type::F64, i)
    };
    set_fpr(ctx, rt(w), v);
    if update {
        ctx.set_gpr(ra(w), addr);
    }
    Ok(())
}

fn store_fp(ctx: &mut Ctx, w: u32, single: bool, mode: Mode, update: bool) -> LiftResult {
    let addr = fp_ea(ctx, w, mode, update)?;
    let v = if single {
        let f = fpr(ctx, rt(w));
        let s = ctx.b.fconvert(Type::F32, f);
        ctx.b.bitcast(Type::I32, s)
    } else {
        fpr_bits(ctx, rt(w))
    };
    ctx.store(addr, v);
    if update {
        ctx.set_gpr(ra(w), addr);
    }
    Ok(())
}

macro_rules! fp_mem {
    ($($name:ident: $f:ident, $single:expr, $mode:ident, $update:expr;)*) => {
        $(
            pub fn $name(ctx: &mut Ctx, w: u32) -> LiftResult {
                $f(ctx, w, $single, Mode::$mode, $update)
            }
        )*
    };
}

fp_mem! {
    lfs: load_fp, true, D, false;
    lfsu: load_fp, true, D, true;
    lfd: load_fp, false, D, false;
    lfdu: load_fp, false, D, true;
    lfsx: load_fp, true, X, false;
    lfsux: load_fp, true, X, true;
    lfdx: load_fp, false, X, false;
    lfdux: load_fp, false, X, true;
    stfs: store_fp, true, D, false;
    stfsu: store_fp, true, D, true;
    stfd: store_fp, false, D, false;
    stfdu: store_fp, false, D, true;
    stfsx: store_fp, true, X, false;
    stfsux: store_fp, true, X, true;
    stfdx: store_fp, false, X, false;
    stfdux: store_fp, false, X, true;
}

/// lfiwax / lfiwzx: a word into the FPR's bits, sign- or zero-extended.
fn lfiw(ctx: &mut Ctx, w: u32, signed: bool) -> LiftResult {
    let addr = ctx.ea_x(ra(w), rb(w));
    let v = ctx.load(Type::I32, addr);
    let v = if signed {
        ctx.b.sext(Type::I64, v)
    } else {
        ctx.b.zext(Type::I64, v)
    };
    set_fpr(ctx, rt(w), v);
    Ok(())
}

pub fn lfiwax(ctx: &mut Ctx, w: u32) -> LiftResult {
    lfiw(ctx, w, true)
}

pub fn lfiwzx(ctx: &mut Ctx, w: u32) -> LiftResult {
    lfiw(ctx, w, false)
}

pub fn stfiwx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let addr = ctx.ea_x(ra(w), rb(w));
    let v = ctx.b.get_reg(Type::I32, state::fpr_off(rt(w)));
    ctx.store(addr, v);
    Ok(())
}

/// fmr, fneg, fabs, fnabs, fcpsgn: bit operations on the sign.
pub fn fmove(ctx: &mut Ctx, w: u32) -> LiftResult {
    if rc(w) {
        return Err(TrapKind::Unimplemented);
    }
    let b = fpr_bits(ctx, rb(w));
    let sign = 1u64 << 63;
    let r = match bits(w, 21, 30) {
        72 => b,
        40 => {
            let s = ctx.b.const64(sign);
            ctx.b.xor(b, s)
        }
        264 => ctx.b.and_imm(b, !sign),
        136 => {
            let s = ctx.b.const64(sign);
            ctx.b.or(b, s)
        }
        _ => {
            // 8: fcpsgn: sign of FRA, the rest of FRB
            let a = fpr_bits(ctx, ra(w));
            let sa = ctx.b.and_imm(a, sign);
            let mb = ctx.b.and_imm(b, !sign);
            ctx.b.or(sa, mb)
        }
    };
    set_fpr(ctx, rt(w), r);
    Ok(())
}

/// A-form arithmetic, double (opcode 63) and single (opcode 59).
pub fn farith(ctx: &mut Ctx, w: u32) -> LiftResult {
    if rc(w) {
        return Err(TrapKind::Unimplemented);
    }
    let single = w >> 26 == 59;
    let x = bits(w, 26, 30);
    let (fa, fb, fc) = (ra(w), rb(w), bits(w, 21, 25));
    let r = match x {
        18 | 20 | 21 => {
            let a = fpr(ctx, fa);
            let b = fpr(ctx, fb);
            match x {
                18 => ctx.b.fdiv(a, b),
                20 => ctx.b.fsub(a, b),
                _ => ctx.b.fadd(a, b),
            }
        }
        22 => {
            let b = fpr(ctx, fb);
            ctx.b.fsqrt(b)
        }
        24 => {
            // fre: the estimate is exact here
            let b = fpr(ctx, fb);
            let one = ctx.b.f64const(1.0);
            ctx.b.fdiv(one, b)
        }
        26 => {
            let b = fpr(ctx, fb);
            let s = ctx.b.fsqrt(b);
            let one = ctx.b.f64const(1.0);
            ctx.b.fdiv(one, s)
        }
        25 => {
            let a = fpr(ctx, fa);
            let c = fpr(ctx, fc);
            ctx.b.fmul(a, c)
        }
        _ => {
            // 28 fmsub, 29 fmadd, 30 fnmsub, 31 fnmadd: FRA * FRC ± FRB
            let a = fpr(ctx, fa);
            let c = fpr(ctx, fc);
            let b = fpr(ctx, fb);
            let b = if x == 28 || x == 30 { ctx.b.fneg(b) } else { b };
            let r = ctx.b.ffma(a, c, b);
            if x >= 30 { ctx.b.fneg(r) } else { r }
        }
    };
    let r = if single { round_single(ctx, r) } else { r };
    set_fpr(ctx, rt(w), r);
    Ok(())
}

/// fsel: FRC if FRA >= 0 (not NaN), else FRB.
pub fn fsel(ctx: &mut Ctx, w: u32) -> LiftResult {
    if rc(w) {
        return Err(TrapKind::Unimplemented);
    }
    let a = fpr(ctx, ra(w));
    let b = fpr_bits(ctx, rb(w));
    let c = fpr_bits(ctx, bits(w, 21, 25));
    let z = ctx.b.f64const(0.0);
    let ge = ctx.b.fcmp(FloatCC::Ge, a, z);
    let r = ctx.b.select(ge, c, b);
    set_fpr(ctx, rt(w), r);
    Ok(())
}

/// Rounds to an integral value by FPSCR[RN] (0 nearest, 1 toward zero, 2 toward +inf,
/// 3 toward -inf), for the conversions without `z`.
fn round_by_rn(ctx: &mut Ctx, v: Value) -> Value {
    let fpscr = ctx.b.get_reg(Type::I32, state::FPSCR);
    let rn = ctx.b.and_imm(fpscr, 3);
    let mut r = ctx.b.fround(RoundMode::Floor, v);
    for (mode, val) in [
        (RoundMode::Ceil, 2),
        (RoundMode::Trunc, 1),
        (RoundMode::Nearest, 0),
    ] {
        let t = ctx.b.fround(mode, v);
        let is = ctx.b.icmp_imm(xarch_translator::ir::IntCC::Eq, rn, val);
        r = ctx.b.select(is, t, r);
    }
    r
}

/// A float-to-integer conversion with the PowerPC results for NaN (the most negative value
/// for signed targets, 0 for unsigned) and saturation.
fn to_int(ctx: &mut Ctx, v: Value, ty: Type, signed: bool) -> Value {
    let r = if signed {
        ctx.b.ftosint(ty, v)
    } else {
        ctx.b.ftouint(ty, v)
    };
    let r = if signed {
        let nan = ctx.b.fcmp(FloatCC::Unordered, v, v);
        let min = ctx.b.iconst(ty, 1u64 << (ty.bits() - 1));
        ctx.b.select(nan, min, r)
    } else {
        r
    };
    ctx.b.zext_or_trunc(Type::I64, r)
}

/// Rounding by FPSCR[RN] is taken as round-to-nearest (see the module header).
pub fn fconv(ctx: &mut Ctx, w: u32) -> LiftResult {
    if rc(w) || ra(w) != 0 {
        return Err(TrapKind::Unimplemented);
    }
    let x = bits(w, 21, 30);
    let single = w >> 26 == 59;
    let r = match x {
        12 => {
            let b = fpr(ctx, rb(w));
            round_single(ctx, b)
        }
        14 | 15 | 142 | 143 | 814 | 815 | 942 | 943 => {
            let b = fpr(ctx, rb(w));
            let b = if x & 1 == 0 { round_by_rn(ctx, b) } else { b };
            let ty = if x < 800 { Type::I32 } else { Type::I64 };
            let signed = matches!(x, 14 | 15 | 814 | 815);
            to_int(ctx, b, ty, signed)
        }
        846 | 974 => {
            let b = fpr_bits(ctx, rb(w));
            let ty = if single { Type::F32 } else { Type::F64 };
            let f = if x == 846 {
                ctx.b.sinttof(ty, b)
            } else {
                ctx.b.uinttof(ty, b)
            };
            if single {
                ctx.b.fconvert(Type::F64, f)
            } else {
                f
            }
        }
        _ => {
            let b = fpr(ctx, rb(w));
            let mode = match x {
                392 => {
                    // frin: to nearest, ties away from zero: trunc(b + copysign(0.5, b))
                    // is wrong for 0.49999999999999994; use floor(|b| + 0.5) with the sign.
                    let a = ctx.b.fabs(b);
                    let h = ctx.b.f64const(0.5);
                    let t = ctx.b.fadd(a, h);
                    let f = ctx.b.fround(RoundMode::Floor, t);
                    // |b| >= 2^52 is already integral (and adding 0.5 could round up).
                    let big = ctx.b.f64const(4503599627370496.0);
                    let is_big = ctx.b.fcmp(FloatCC::Ge, a, big);
                    let f = ctx.b.select(is_big, a, f);
                    // 0.49999999999999994 + 0.5 rounds to 1.0: then the answer is 0.
                    let lt_half = ctx.b.fcmp(FloatCC::Lt, a, h);
                    let zero = ctx.b.f64const(0.0);
                    let f = ctx.b.select(lt_half, zero, f);
                    let fb = ctx.b.bitcast(Type::I64, f);
                    let bb = ctx.b.bitcast(Type::I64, b);
                    let s = ctx.b.and_imm(bb, 1 << 63);
                    let r = ctx.b.or(fb, s);
                    let r = ctx.b.bitcast(Type::F64, r);
                    // NaN stays NaN (quieted by the add above).
                    let nan = ctx.b.fcmp(FloatCC::Unordered, b, b);
                    let r = ctx.b.select(nan, t, r);
                    set_fpr(ctx, rt(w), r);
                    return Ok(());
                }
                424 => RoundMode::Trunc,
                456 => RoundMode::Ceil,
                _ => RoundMode::Floor,
            };
            ctx.b.fround(mode, b)
        }
    };
    set_fpr(ctx, rt(w), r);
    Ok(())
}

/// fcmpu / fcmpo: CR field BF = LT GT EQ UN.
pub fn fcmp(ctx: &mut Ctx, w: u32) -> LiftResult {
    let bf = bits(w, 6, 8);
    let a = fpr(ctx, ra(w));
    let b = fpr(ctx, rb(w));
    let lt = ctx.b.fcmp(FloatCC::Lt, a, b);
    let gt = ctx.b.fcmp(FloatCC::Gt, a, b);
    let eq = ctx.b.fcmp(FloatCC::Eq, a, b);
    let un = ctx.b.fcmp(FloatCC::Unordered, a, b);
    ctx.set_flag(state::cr_off(4 * bf), lt);
    ctx.set_flag(state::cr_off(4 * bf + 1), gt);
    ctx.set_flag(state::cr_off(4 * bf + 2), eq);
    ctx.set_flag(state::cr_off(4 * bf + 3), un);
    Ok(())
}

pub fn mffs(ctx: &mut Ctx, w: u32) -> LiftResult {
    // mffs only (the ISA 3.0 variants in bits 11..15 are not implemented).
    if rc(w) || ra(w) != 0 {
        return Err(TrapKind::Unimplemented);
    }
    let f = ctx.b.get_reg(Type::I32, state::FPSCR);
    let v = ctx.b.zext(Type::I64, f);
    set_fpr(ctx, rt(w), v);
    Ok(())
}

/// The FPSCR with the nibbles in `mask` replaced by those of `v`.
fn write_fpscr(ctx: &mut Ctx, v: Value, mask: u32) {
    let old = ctx.b.get_reg(Type::I32, state::FPSCR);
    let keep = ctx.b.and_imm(old, !mask as u64);
    let new = ctx.b.and_imm(v, mask as u64);
    let r = ctx.b.or(keep, new);
    ctx.b.set_reg(state::FPSCR, r);
}

pub fn mtfsf(ctx: &mut Ctx, w: u32) -> LiftResult {
    if rc(w) || bits(w, 15, 15) != 0 {
        return Err(TrapKind::Unimplemented);
    }
    let flm = bits(w, 7, 14);
    let mask = if bits(w, 6, 6) == 1 {
        u32::MAX
    } else {
        (0..8)
            .filter(|i| flm & (0x80 >> i) != 0)
            .fold(0u32, |m, i| m | 0xf << (28 - 4 * i))
    };
    let b = ctx.b.get_reg(Type::I32, state::fpr_off(rb(w)));
    write_fpscr(ctx, b, mask);
    Ok(())
}

pub fn mtfsfi(ctx: &mut Ctx, w: u32) -> LiftResult {
    if rc(w) || bits(w, 15, 15) != 0 {
        return Err(TrapKind::Unimplemented);
    }
    let bf = bits(w, 6, 8);
    let u = bits(w, 16, 19);
    let sh = 28 - 4 * bf;
    let v = ctx.b.const32(u << sh);
    write_fpscr(ctx, v, 0xf << sh);
    Ok(())
}

/// mtfsb0 / mtfsb1.
pub fn mtfsb(ctx: &mut Ctx, w: u32) -> LiftResult {
    if rc(w) {
        return Err(TrapKind::Unimplemented);
    }
    let bt = bits(w, 6, 10);
    let m = 1u32 << (31 - bt);
    let v = if bits(w, 21, 30) == 38 { m } else { 0 };
    let v = ctx.b.const32(v);
    write_fpscr(ctx, v, m);
    Ok(())
}
