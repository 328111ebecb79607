//! ARM ARM C4.1.96 scalar floating point: arithmetic, compares, selects, conversions, moves.
//!
//! Values are the IR's `f32`/`f64`, read from the low bits of V`n` and written with the upper
//! bits zeroed ([`Ctx::v_scalar`], [`Ctx::set_v_scalar`]). Arithmetic is the host's IEEE
//! arithmetic (SSE), which equals AArch64's for every non-NaN result in round-to-nearest.
//!
//! Where x86 and AArch64 differ, and what xarch does:
//! - A NaN *generated* by an invalid operation (inf - inf, 0 * inf, sqrt(-1), 0/0) is
//!   0xfff8… (negative) on x86 and the default NaN 0x7ff8… (positive) on AArch64. Every
//!   arithmetic lifter replaces a NaN result whose operands were all numbers by the AArch64
//!   default NaN ([`arm_nan`]), so `printf` shows `nan`, not `-nan`, as on hardware.
//! - A NaN *operand* propagates quieted on both. With two NaN operands AArch64 prefers a
//!   signalling one over a quiet one, x86 takes the first: xarch keeps the host's choice
//!   (only programs that craft signalling NaNs can tell).
//! - FPCR.RMode and FPCR.FZ: `MSR FPCR` sets the host MXCSR to match (`helpers_fp`), so all
//!   host arithmetic here (and `SCVTF`/`UCVTF`/`FCVT`) rounds and flushes as the guest asked,
//!   at no cost per instruction. `FRINTI`/`FRINTX` read FPCR.RMode themselves. FPCR.DN
//!   (default-NaN mode) is not modelled (Linux starts with it clear).
//! - FPSR's cumulative exception bits are the host's sticky MXCSR flags, read by `MRS FPSR`
//!   and cleared by `MSR FPSR` (IDC and QC are never set).

use super::{Ctx, LiftResult};
use crate::decode::{bit, bits};
use crate::helpers_fp;
use crate::state;
use xarch_translator::ir::{FloatCC, RoundMode, TrapKind, Type, Value};

/// The float type of an `ftype` field: 00 single, 01 double. Half (11) and 10 are not
/// handled by arithmetic lifters.
fn ftype(w: u32) -> Result<Type, TrapKind> {
    match bits(w, 23, 22) {
        0 => Ok(Type::F32),
        1 => Ok(Type::F64),
        3 => Err(TrapKind::Unimplemented),
        _ => Err(TrapKind::Undefined),
    }
}

/// The register width of an `ftype` field for pure bit moves, half included.
fn ftype_bits(w: u32) -> Result<Type, TrapKind> {
    match bits(w, 23, 22) {
        0 => Ok(Type::I32),
        1 => Ok(Type::I64),
        3 => Ok(Type::I16),
        _ => Err(TrapKind::Undefined),
    }
}

fn rd(w: u32) -> u32 {
    bits(w, 4, 0)
}
fn rn(w: u32) -> u32 {
    bits(w, 9, 5)
}
fn rm(w: u32) -> u32 {
    bits(w, 20, 16)
}

/// The AArch64 default NaN of a float type.
pub fn default_nan(ty: Type) -> u64 {
    if ty == Type::F32 {
        0x7fc0_0000
    } else {
        0x7ff8_0000_0000_0000
    }
}

/// AArch64's default NaN for a NaN that an operation *generated*: if `r` is NaN and no
/// operand is, gives the default NaN, else `r` (see the module header).
pub fn arm_nan(ctx: &mut Ctx, r: Value, operands: &[Value]) -> Value {
    let ty = ctx.b.ty(r);
    let r_nan = ctx.b.fcmp(FloatCC::Unordered, r, r);
    let mut generated = r_nan;
    for pair in operands.chunks(2) {
        let (a, b) = (pair[0], *pair.get(1).unwrap_or(&pair[0]));
        let ord = ctx.b.fcmp(FloatCC::Ordered, a, b);
        generated = ctx.b.and(generated, ord);
    }
    let dn = ctx.b.iconst(ty, default_nan(ty));
    ctx.b.select(generated, dn, r)
}

/// Rounds to an integral value, ties away from zero (FRINTA, FCVTAS/FCVTAU): trunc(x), plus
/// one toward x's sign when the dropped fraction is at least one half. Exact: x - trunc(x)
/// has no rounding error.
pub fn round_ties_away(ctx: &mut Ctx, x: Value) -> Value {
    let ty = ctx.b.ty(x);
    let t = ctx.b.fround(RoundMode::Trunc, x);
    let frac = ctx.b.fsub(x, t);
    let afrac = ctx.b.fabs(frac);
    let half = if ty == Type::F32 {
        ctx.b.f32const(0.5)
    } else {
        ctx.b.f64const(0.5)
    };
    let big = ctx.b.fcmp(FloatCC::Ge, afrac, half);
    let (one, mone) = if ty == Type::F32 {
        (ctx.b.f32const(1.0), ctx.b.f32const(-1.0))
    } else {
        (ctx.b.f64const(1.0), ctx.b.f64const(-1.0))
    };
    let zero = ctx.b.iconst(ty, 0);
    let neg = ctx.b.fcmp(FloatCC::Lt, x, zero);
    let step = ctx.b.select(neg, mone, one);
    let away = ctx.b.fadd(t, step);
    ctx.b.select(big, away, t)
}

/// Rounding of an FRINT/FCVT variant, by the manual's letter.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rounding {
    /// N: to nearest, ties to even.
    Nearest,
    /// P: toward +inf.
    Plus,
    /// M: toward -inf.
    Minus,
    /// Z: toward zero.
    Zero,
    /// A: to nearest, ties away from zero.
    Away,
    /// I/X: FPCR.RMode, read at run time.
    Current,
}

/// Rounds `x` (f32/f64) to an integral value of the same type.
pub fn round(ctx: &mut Ctx, x: Value, r: Rounding) -> Value {
    match r {
        Rounding::Nearest => ctx.b.fround(RoundMode::Nearest, x),
        Rounding::Plus => ctx.b.fround(RoundMode::Ceil, x),
        Rounding::Minus => ctx.b.fround(RoundMode::Floor, x),
        Rounding::Zero => ctx.b.fround(RoundMode::Trunc, x),
        Rounding::Away => round_ties_away(ctx, x),
        Rounding::Current => {
            let ty = ctx.b.ty(x);
            let ity = Type::int(ty.bits());
            let raw = ctx.b.bitcast(ity, x);
            let arg = ctx.b.zext_or_trunc(Type::I64, raw);
            let fpcr = ctx.b.get_reg(Type::I32, state::FPCR);
            let fpcr = ctx.b.zext(Type::I64, fpcr);
            let dbl = ctx.b.const64((ty == Type::F64) as u64);
            let r = ctx
                .b
                .call_helper(&helpers_fp::FRINT_CURRENT, &[arg, fpcr, dbl]);
            let r = ctx.b.zext_or_trunc(ity, r);
            ctx.b.bitcast(ty, r)
        }
    }
}

/// FRINT*: rounds `x` to an integral value; a NaN comes back quieted (FPProcessNaN), whatever
/// the host's rounding instruction does with a signalling one.
pub fn frint_value(ctx: &mut Ctx, x: Value, r: Rounding) -> Value {
    let v = round(ctx, x, r);
    if r == Rounding::Current {
        return v; // the helper quiets NaNs itself
    }
    propagate_nan(ctx, x, x, v)
}

/// Converts a float to an integer of type `ity` with the given rounding, saturating, NaN to 0
/// (ARM ARM FPToFixed; the IR's `FToSInt`/`FToUInt` truncate and saturate the same way).
pub fn float_to_int(ctx: &mut Ctx, x: Value, r: Rounding, signed: bool, ity: Type) -> Value {
    let x = if r == Rounding::Zero {
        x
    } else {
        round(ctx, x, r)
    };
    if signed {
        ctx.b.ftosint(ity, x)
    } else {
        ctx.b.ftouint(ity, x)
    }
}

/// 2^e as a constant of a float type (|e| <= 64).
fn pow2(ctx: &mut Ctx, ty: Type, e: i32) -> Value {
    if ty == Type::F32 {
        ctx.b.f32const((e as f32).exp2())
    } else {
        ctx.b.f64const((e as f64).exp2())
    }
}

// ---- C4.1.96.21 data-processing (1 source) ----

/// FMOV (register): copies the low 16/32/64 bits.
pub fn fmov_reg(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype_bits(w)?;
    let v = ctx.v_scalar(ty, rn(w));
    ctx.set_v_scalar(rd(w), v);
    Ok(())
}

/// FABS, FNEG, FSQRT (opcode bits 16:15 = 01, 10, 11).
pub fn fp_unary(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype(w)?;
    let x = ctx.v_scalar(ty, rn(w));
    let r = match bits(w, 16, 15) {
        1 => ctx.b.fabs(x),
        2 => ctx.b.fneg(x),
        _ => {
            let r = ctx.b.fsqrt(x);
            arm_nan(ctx, r, &[x])
        }
    };
    ctx.set_v_scalar(rd(w), r);
    Ok(())
}

/// FCVT between half, single and double (opc = destination type).
pub fn fcvt(ctx: &mut Ctx, w: u32) -> LiftResult {
    let size = |t: u32| match t {
        0 => Some(32u64),
        1 => Some(64),
        3 => Some(16),
        _ => None,
    };
    let (Some(from), Some(to)) = (size(bits(w, 23, 22)), size(bits(w, 16, 15))) else {
        return Err(TrapKind::Undefined);
    };
    if from == to {
        return Err(TrapKind::Undefined);
    }
    let fty = |s: u64| match s {
        16 => Type::I16,
        32 => Type::F32,
        _ => Type::F64,
    };
    let x = ctx.v_scalar(fty(from), rn(w));
    let r = if from != 16 && to != 16 {
        // The host's cvtss2sd/cvtsd2ss quiet a NaN and keep its payload's top bits, as
        // FPConvertNaN does.
        ctx.b.fconvert(fty(to), x)
    } else {
        let raw = if from == 16 {
            x
        } else {
            ctx.b.bitcast(Type::int(from as u32), x)
        };
        let arg = ctx.b.zext_or_trunc(Type::I64, raw);
        let (fc, tc) = (ctx.b.const64(from), ctx.b.const64(to));
        let r = ctx.b.call_helper(&helpers_fp::FCVT_HALF, &[arg, fc, tc]);
        let r = ctx.b.zext_or_trunc(Type::int(to as u32), r);
        if to == 16 {
            r
        } else {
            ctx.b.bitcast(fty(to), r)
        }
    };
    ctx.set_v_scalar(rd(w), r);
    Ok(())
}

/// FRINTN/P/M/Z/A/X/I (opcode bits 17:15: 000 N, 001 P, 010 M, 011 Z, 100 A, 110 X, 111 I).
pub fn frint(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype(w)?;
    let r = match bits(w, 17, 15) {
        0 => Rounding::Nearest,
        1 => Rounding::Plus,
        2 => Rounding::Minus,
        3 => Rounding::Zero,
        4 => Rounding::Away,
        6 | 7 => Rounding::Current,
        _ => return Err(TrapKind::Undefined),
    };
    let x = ctx.v_scalar(ty, rn(w));
    let v = frint_value(ctx, x, r);
    ctx.set_v_scalar(rd(w), v);
    Ok(())
}

// ---- C4.1.96.22 compare, C4.1.96.24 conditional compare ----

/// NZCV of FPCompare (ARM ARM): less 1000, equal 0110, greater 0010, unordered 0011.
fn compare_flags(ctx: &mut Ctx, a: Value, b: Value) -> [Value; 4] {
    let n = ctx.b.fcmp(FloatCC::Lt, a, b);
    let z = ctx.b.fcmp(FloatCC::Eq, a, b);
    let one = ctx.b.iconst(Type::I8, 1);
    let c = ctx.b.xor(n, one);
    let v = ctx.b.fcmp(FloatCC::Unordered, a, b);
    [n, z, c, v]
}

/// FCMP/FCMPE (register or with #0.0). The E forms differ only in which NaNs raise Invalid.
pub fn fcmp(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype(w)?;
    let zero_form = bit(w, 3);
    if zero_form && rm(w) != 0 {
        return Err(TrapKind::Undefined);
    }
    let a = ctx.v_scalar(ty, rn(w));
    let b = if zero_form {
        ctx.b.iconst(ty, 0)
    } else {
        ctx.v_scalar(ty, rm(w))
    };
    let [n, z, c, v] = compare_flags(ctx, a, b);
    ctx.set_nzcv(n, z, c, v);
    Ok(())
}

/// FCCMP/FCCMPE: the comparison's flags if the condition holds, else the immediate nzcv.
pub fn fccmp(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype(w)?;
    let cond = ctx.cond_holds(bits(w, 15, 12));
    let a = ctx.v_scalar(ty, rn(w));
    let b = ctx.v_scalar(ty, rm(w));
    let flags = compare_flags(ctx, a, b);
    let imm = bits(w, 3, 0);
    let mut out = [flags[0]; 4];
    for (i, f) in flags.into_iter().enumerate() {
        let k = ctx.b.iconst(Type::I8, (imm >> (3 - i) & 1) as u64);
        out[i] = ctx.b.select(cond, f, k);
    }
    ctx.set_nzcv(out[0], out[1], out[2], out[3]);
    Ok(())
}

// ---- C4.1.96.23 immediate ----

/// VFPExpandImm (ARM ARM J1): the 8-bit FMOV immediate as the bits of a float of `bits`
/// width (16, 32 or 64).
pub fn vfp_expand_imm(imm8: u32, bits_: u32) -> u64 {
    let (e, f) = match bits_ {
        16 => (5, 10),
        32 => (8, 23),
        _ => (11, 52),
    };
    let imm8 = imm8 as u64;
    let sign = imm8 >> 7 & 1;
    let b6 = imm8 >> 6 & 1;
    // exp = NOT(b6) : Replicate(b6, e - 3) : imm8<5:4>
    let rep = if b6 == 1 { (1u64 << (e - 3)) - 1 } else { 0 };
    let exp = ((b6 ^ 1) << (e - 1)) | (rep << 2) | (imm8 >> 4 & 3);
    let frac = (imm8 & 0xf) << (f - 4);
    sign << (e + f) | exp << f | frac
}

/// FMOV (scalar, immediate).
pub fn fmov_imm(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype_bits(w)?;
    let imm = vfp_expand_imm(bits(w, 20, 13), ty.bits());
    let c = ctx.b.iconst(ty, imm);
    ctx.set_v_scalar(rd(w), c);
    Ok(())
}

// ---- C4.1.96.25 data-processing (2 source) ----

/// The quiet bit of a float type's NaNs.
fn quiet_bit(ty: Type) -> u64 {
    if ty == Type::F32 { 1 << 22 } else { 1 << 51 }
}

/// AArch64 NaN propagation for an op whose IR form gives *a* NaN but not the operand's
/// (`FMax`/`FMin` give the default NaN): if either operand is NaN the result is the first NaN
/// operand, quieted (FPProcessNaNs, signalling-NaN priority aside).
pub fn propagate_nan(ctx: &mut Ctx, a: Value, b: Value, r: Value) -> Value {
    let ty = ctx.b.ty(r);
    let ity = Type::int(ty.bits());
    let uno = ctx.b.fcmp(FloatCC::Unordered, a, b);
    let a_nan = ctx.b.fcmp(FloatCC::Unordered, a, a);
    let p = ctx.b.select(a_nan, a, b);
    let pi = ctx.b.bitcast(ity, p);
    let qb = ctx.b.iconst(ity, quiet_bit(ty));
    let pq = ctx.b.or(pi, qb);
    let pq = ctx.b.bitcast(ty, pq);
    ctx.b.select(uno, pq, r)
}

/// FMAX/FMIN with AArch64's NaN propagation.
pub fn max_min(ctx: &mut Ctx, a: Value, b: Value, max: bool) -> Value {
    let m = if max {
        ctx.b.fmax(a, b)
    } else {
        ctx.b.fmin(a, b)
    };
    propagate_nan(ctx, a, b, m)
}

/// FMAXNM/FMINNM (IEEE 754-2008 maxNum/minNum): a quiet NaN operand loses to a number; two
/// NaNs propagate as FMAX does. (A signalling NaN operand should win and be quieted; xarch
/// treats it as quiet.)
pub fn max_min_num(ctx: &mut Ctx, a: Value, b: Value, max: bool) -> Value {
    let a_nan = ctx.b.fcmp(FloatCC::Unordered, a, a);
    let b_nan = ctx.b.fcmp(FloatCC::Unordered, b, b);
    let one = ctx.b.iconst(Type::I8, 1);
    let a_num = ctx.b.xor(a_nan, one);
    let b_num = ctx.b.xor(b_nan, one);
    // Exactly one NaN: replace it by the other operand.
    let only_a = ctx.b.and(a_nan, b_num);
    let only_b = ctx.b.and(b_nan, a_num);
    let a2 = ctx.b.select(only_a, b, a);
    let b2 = ctx.b.select(only_b, a, b);
    max_min(ctx, a2, b2, max)
}

/// FMUL, FDIV, FADD, FSUB, FMAX, FMIN, FMAXNM, FMINNM, FNMUL (opcode bits 15:12).
pub fn fp_binary(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype(w)?;
    let op = bits(w, 15, 12);
    if op > 8 {
        return Err(TrapKind::Undefined);
    }
    let a = ctx.v_scalar(ty, rn(w));
    let b = ctx.v_scalar(ty, rm(w));
    let r = match op {
        0 | 8 => ctx.b.fmul(a, b),
        1 => ctx.b.fdiv(a, b),
        2 => ctx.b.fadd(a, b),
        3 => ctx.b.fsub(a, b),
        4 => max_min(ctx, a, b, true),
        5 => max_min(ctx, a, b, false),
        6 => max_min_num(ctx, a, b, true),
        _ => max_min_num(ctx, a, b, false),
    };
    let r = if op <= 3 || op == 8 {
        arm_nan(ctx, r, &[a, b])
    } else {
        r
    };
    // FNMUL negates the rounded product (FPNeg, which flips a NaN's sign too).
    let r = if op == 8 { ctx.b.fneg(r) } else { r };
    ctx.set_v_scalar(rd(w), r);
    Ok(())
}

/// FCSEL.
pub fn fcsel(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype(w)?;
    let cond = ctx.cond_holds(bits(w, 15, 12));
    let a = ctx.v_scalar(ty, rn(w));
    let b = ctx.v_scalar(ty, rm(w));
    let r = ctx.b.select(cond, a, b);
    ctx.set_v_scalar(rd(w), r);
    Ok(())
}

// ---- C4.1.96.27 data-processing (3 source) ----

/// `n * m + a` fused, with AArch64's NaN rules (FPMulAdd): a NaN operand propagates quieted,
/// the addend first, then `n`, then `m` (FPProcessNaNs3); a NaN the operation generates is
/// the default NaN. (The host's fma picks among NaN operands its own way.)
pub fn fma_arm(ctx: &mut Ctx, n: Value, m: Value, a: Value) -> Value {
    let r = ctx.b.ffma(n, m, a);
    let r = arm_nan(ctx, r, &[n, m, a]);
    let ty = ctx.b.ty(r);
    let ity = Type::int(ty.bits());
    let an = ctx.b.fcmp(FloatCC::Unordered, a, n);
    let mm = ctx.b.fcmp(FloatCC::Unordered, m, m);
    let any = ctx.b.or(an, mm);
    let a_nan = ctx.b.fcmp(FloatCC::Unordered, a, a);
    let n_nan = ctx.b.fcmp(FloatCC::Unordered, n, n);
    let p = ctx.b.select(n_nan, n, m);
    let p = ctx.b.select(a_nan, a, p);
    let pi = ctx.b.bitcast(ity, p);
    let qb = ctx.b.iconst(ity, quiet_bit(ty));
    let pq = ctx.b.or(pi, qb);
    let pq = ctx.b.bitcast(ty, pq);
    ctx.b.select(any, pq, r)
}

/// FMADD (a + n*m), FMSUB (a - n*m), FNMADD (-a - n*m), FNMSUB (-a + n*m), fused.
pub fn fp_fma(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype(w)?;
    let n = ctx.v_scalar(ty, rn(w));
    let m = ctx.v_scalar(ty, rm(w));
    let a = ctx.v_scalar(ty, bits(w, 14, 10));
    let (neg_a, neg_n) = match (bit(w, 21), bit(w, 15)) {
        (false, false) => (false, false),
        (false, true) => (false, true),
        (true, false) => (true, true),
        (true, true) => (true, false),
    };
    let a2 = if neg_a { ctx.b.fneg(a) } else { a };
    let n2 = if neg_n { ctx.b.fneg(n) } else { n };
    let r = fma_arm(ctx, n2, m, a2);
    ctx.set_v_scalar(rd(w), r);
    Ok(())
}

// ---- C4.1.96.28 conversion between floating point and integer ----

/// FMOV (general): bit moves between a general register and the low bits of V`n` (or its
/// upper 64 bits for `FMOV Xd, Vn.D[1]` / `FMOV Vd.D[1], Xn`).
pub fn fmov_gen(ctx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let to_fp = bit(w, 16);
    let (ty, top) = match (sf, bits(w, 23, 22), bits(w, 20, 19)) {
        (false, 0, 0) => (Type::I32, false),
        (true, 1, 0) => (Type::I64, false),
        (_, 3, 0) => (Type::I16, false),
        (true, 2, 1) => (Type::I64, true),
        _ => return Err(TrapKind::Undefined),
    };
    if top {
        let off = state::v_off(if to_fp { rd(w) } else { rn(w) }) + 8;
        if to_fp {
            let x = ctx.x(rn(w));
            ctx.b.set_reg(off, x);
        } else {
            let x = ctx.b.get_reg(Type::I64, off);
            ctx.set_x(rd(w), x);
        }
        return Ok(());
    }
    if to_fp {
        let x = ctx.reg(sf, rn(w));
        let x = ctx.b.zext_or_trunc(ty, x);
        ctx.set_v_scalar(rd(w), x);
    } else {
        let v = ctx.v_scalar(ty, rn(w));
        let v = ctx.b.zext_or_trunc(Ctx::ty(sf), v);
        ctx.set_reg(sf, rd(w), v);
    }
    Ok(())
}

/// FCVT{N,P,M,Z,A}{S,U} to a general register, and FCVTZS/FCVTZU fixed-point (bit 21 = 0,
/// `scale` in bits 15:10: the value is multiplied by 2^(64 - scale) first).
pub fn fcvt_to_int(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype(w)?;
    let sf = bit(w, 31);
    let fixed = !bit(w, 21);
    let signed = !bit(w, 16);
    let r = match (bits(w, 20, 19), bit(w, 18)) {
        (0, true) => Rounding::Away,
        (0, false) => Rounding::Nearest,
        (1, _) => Rounding::Plus,
        (2, _) => Rounding::Minus,
        _ => Rounding::Zero,
    };
    let mut x = ctx.v_scalar(ty, rn(w));
    if fixed {
        let scale = bits(w, 15, 10);
        if !sf && scale < 32 {
            return Err(TrapKind::Undefined);
        }
        let fbits = 64 - scale as i32;
        // Exact: scaling by a power of two only changes the exponent (an overflow to
        // infinity saturates as the true value would).
        if fbits != 0 {
            let k = pow2(ctx, ty, fbits);
            x = ctx.b.fmul(x, k);
        }
    }
    let v = float_to_int(ctx, x, r, signed, Ctx::ty(sf));
    ctx.set_reg(sf, rd(w), v);
    Ok(())
}

/// SCVTF/UCVTF from a general register (integer or fixed-point with `64 - scale` fraction
/// bits), rounded to nearest.
pub fn cvtf(ctx: &mut Ctx, w: u32) -> LiftResult {
    let ty = ftype(w)?;
    let sf = bit(w, 31);
    let fixed = !bit(w, 21);
    let signed = !bit(w, 16);
    if fixed && !sf && bits(w, 15, 10) < 32 {
        return Err(TrapKind::Undefined);
    }
    let x = ctx.reg(sf, rn(w));
    let mut f = if signed {
        ctx.b.sinttof(ty, x)
    } else {
        ctx.b.uinttof(ty, x)
    };
    if fixed {
        let fbits = 64 - bits(w, 15, 10) as i32;
        if fbits != 0 {
            // One rounding: the conversion rounds, the power-of-two scaling is exact (short
            // of underflow, which needs a fraction of more than 60 bits of a tiny value).
            let k = pow2(ctx, ty, -fbits);
            f = ctx.b.fmul(f, k);
        }
    }
    ctx.set_v_scalar(rd(w), f);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vfp_immediates_expand_as_the_manual_says() {
        // FMOV d0, #1.0 has imm8 0x70; #2.0 0x00; #-0.5 0xe0; #31.0 0x3f; #0.125 0x40.
        assert_eq!(f64::from_bits(vfp_expand_imm(0x70, 64)), 1.0);
        assert_eq!(f64::from_bits(vfp_expand_imm(0x00, 64)), 2.0);
        assert_eq!(f64::from_bits(vfp_expand_imm(0xe0, 64)), -0.5);
        assert_eq!(f64::from_bits(vfp_expand_imm(0x3f, 64)), 31.0);
        assert_eq!(f64::from_bits(vfp_expand_imm(0x40, 64)), 0.125);
        assert_eq!(f32::from_bits(vfp_expand_imm(0x70, 32) as u32), 1.0);
        assert_eq!(f32::from_bits(vfp_expand_imm(0x1e, 32) as u32), 7.5);
        assert_eq!(f32::from_bits(vfp_expand_imm(0x0e, 32) as u32), 3.75);
        assert_eq!(vfp_expand_imm(0x70, 16), 0x3c00);
    }
}
