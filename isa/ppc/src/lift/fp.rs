//! Floating-point loads and stores, moves, arithmetic (incl. fused multiply-add), rounding and
//! conversion, compares and the FPSCR moves.
//!
//! FPRs hold doubles (single-precision values in double format, as the ISA keeps them), read
//! and written as i64 so that compiled regions keep them in host registers. Every instruction
//! that rounds or sets FPSCR status (arithmetic, fused multiply-add, frsp, fcti*, fcfid*, fri*,
//! fcmpu/fcmpo) is exact through the helper in [`host`], which rounds by FPSCR[RN], rounds
//! single-precision results once, and sets the exception, FR, FI and FPRF bits as the ISA
//! says (see there for what is exact). The common cases run inline and call the helper only
//! when they do not hold (`Op::CallHelperIf`): arithmetic double and single and frsp ([`arith`]:
//! round to nearest, nothing enabled, results in a safe range), fctiw[z]/fctid[z] in range
//! ([`to_int`]), fcmpu/fcmpo of ordered operands. Moves, fsel, loads/stores, mffs and
//! mtfsf/mtfsfi/mtfsb0/mtfsb1 are inline IR: bit operations (`lfs`/`stfs` convert with the
//! ISA's DOUBLE/SINGLE bit rules, so an SNaN is not quieted and a store truncates); the
//! FPSCR moves keep FEX and VX as the summaries of their bits. Record forms (`.`) copy
//! FPSCR[FX, FEX, VX, OX] to CR1.

pub mod host;

use super::{Ctx, LiftResult};
use crate::decode::fields::{bits, ra, rb, rc, rt, si};
use crate::state;
use xarch_translator::ir::{FloatCC, IntCC, RoundMode, TrapKind, Type, Value};

// FPRs are read and written as i64 only: a state field accessed with one integer type (or
// several) is held in a host register across a compiled region, one accessed as both i64
// and f64 stays in memory (see the translator's register promotion).
fn fpr(ctx: &mut Ctx, n: u32) -> Value {
    let v = ctx.b.get_reg(Type::I64, state::fpr_off(n));
    ctx.b.bitcast(Type::F64, v)
}

fn fpr_bits(ctx: &mut Ctx, n: u32) -> Value {
    ctx.b.get_reg(Type::I64, state::fpr_off(n))
}

fn set_fpr(ctx: &mut Ctx, n: u32, v: Value) {
    let v = if ctx.b.ty(v) == Type::F64 {
        ctx.b.bitcast(Type::I64, v)
    } else {
        v
    };
    ctx.b.set_reg(state::fpr_off(n), v);
}

/// The ISA's DOUBLE: single-format bits (i32) to double-format bits (i64) without rounding or
/// quieting. The host conversion is exact for everything but NaNs, which keep their payload
/// (sign, exponent all ones, fraction shifted into place).
fn double_of_single(ctx: &mut Ctx, i: Value) -> Value {
    let f = ctx.b.bitcast(Type::F32, i);
    let d = ctx.b.fconvert(Type::F64, f);
    let d = ctx.b.bitcast(Type::I64, d);
    let x = ctx.b.zext(Type::I64, i);
    let sign = ctx.b.and_imm(x, 1 << 31);
    let c32 = ctx.b.const64(32);
    let sign = ctx.b.shl(sign, c32);
    let frac = ctx.b.and_imm(x, 0x7f_ffff);
    let c29 = ctx.b.const64(29);
    let frac = ctx.b.shl(frac, c29);
    let e = ctx.b.const64(0x7ff0_0000_0000_0000);
    let n = ctx.b.or(sign, e);
    let n = ctx.b.or(n, frac);
    let abs = ctx.b.and_imm(x, 0x7fff_ffff);
    let is_nan = ctx.b.icmp_imm(IntCC::Ugt, abs, 0x7f80_0000);
    ctx.b.select(is_nan, n, d)
}

/// The ISA's SINGLE: double-format bits (i64) to single-format bits (i32) without rounding:
/// exponents above single's denormal range keep their top bits, single denormals are shifted
/// (truncated), smaller values become a signed zero.
fn single_of_double(ctx: &mut Ctx, x: Value) -> Value {
    let c32 = ctx.b.const64(32);
    let c29 = ctx.b.const64(29);
    let c52 = ctx.b.const64(52);
    let top2 = ctx.b.and_imm(x, 3 << 62);
    let top2 = ctx.b.lshr(top2, c32);
    let mid = ctx.b.lshr(x, c29);
    let mid = ctx.b.and_imm(mid, 0x3fff_ffff);
    let hi = ctx.b.or(top2, mid);
    let exp = ctx.b.lshr(x, c52);
    let exp = ctx.b.and_imm(exp, 0x7ff);
    // denormal: ((1 << 52) | frac) >> (926 - exp), for 874 <= exp <= 896
    let frac = ctx.b.and_imm(x, (1 << 52) - 1);
    let one = ctx.b.const64(1 << 52);
    let m = ctx.b.or(frac, one);
    let k = ctx.b.const64(926);
    let sh = ctx.b.sub(k, exp);
    let big = ctx.b.icmp_imm(IntCC::Ugt, sh, 63);
    let c63 = ctx.b.const64(63);
    let sh = ctx.b.select(big, c63, sh);
    let den = ctx.b.lshr(m, sh);
    let tiny = ctx.b.icmp_imm(IntCC::Ult, exp, 874);
    let zero = ctx.b.const64(0);
    let den = ctx.b.select(tiny, zero, den);
    let sign = ctx.b.and_imm(x, 1 << 63);
    let sign = ctx.b.lshr(sign, c32);
    let lo = ctx.b.or(sign, den);
    let normal = ctx.b.icmp_imm(IntCC::Ugt, exp, 896);
    let r = ctx.b.select(normal, hi, lo);
    ctx.b.trunc(Type::I32, r)
}

/// CR1 <- FPSCR[FX, FEX, VX, OX] (the record forms).
fn record_cr1(ctx: &mut Ctx, w: u32) {
    if !rc(w) {
        return;
    }
    let f = ctx.b.get_reg(Type::I32, state::FPSCR);
    for i in 0..4 {
        let sh = ctx.b.const32(31 - i);
        let v = ctx.b.lshr(f, sh);
        let v = ctx.b.trunc(Type::I8, v);
        let v = ctx.b.and_imm(v, 1);
        ctx.set_flag(state::cr_off(4 + i), v);
    }
}

/// The helper's `d`: the operation and the target's state offset (see `host::TARGET_SHIFT`).
fn op_word(op: u64, target: u32) -> u64 {
    op | (target as u64 + 1) << host::TARGET_SHIFT
}

/// FPSCR `f` with `bits` (FI and/or XX) set when `inexact` (a compare result), and FX when
/// that sets XX where the instruction's starting FPSCR `fpscr` had it clear.
pub(super) fn or_inexact(
    ctx: &mut Ctx,
    fpscr: Value,
    f: Value,
    inexact: Value,
    bits: u32,
) -> Value {
    let i32v = ctx.b.zext(Type::I32, inexact);
    let z32 = ctx.b.const32(0);
    let mask = ctx.b.sub(z32, i32v); // all ones when inexact
    let set = ctx.b.and_imm(mask, bits as u64);
    let f = ctx.b.or(f, set);
    let old_xx = ctx.b.and_imm(fpscr, host::XX as u64);
    let no_xx = ctx.b.icmp_imm(IntCC::Eq, old_xx, 0);
    let new_xx = ctx.b.and(no_xx, inexact);
    let new_xx = ctx.b.zext(Type::I32, new_xx);
    let c31 = ctx.b.const32(31);
    let fx = ctx.b.shl(new_xx, c31);
    ctx.b.or(f, fx)
}

/// 1 (an i64, a `call_helper_if` condition) when the compare result `ok` is false.
pub(super) fn not_i64(ctx: &mut Ctx, ok: Value) -> Value {
    let ok64 = ctx.b.zext(Type::I64, ok);
    let one = ctx.b.const64(1);
    ctx.b.xor(ok64, one)
}

/// One FP instruction through the FPSCR helper: operands as bits, the result's bits (`target`:
/// the state offset of the target doubleword, which an enabled exception may leave).
fn fp_call(ctx: &mut Ctx, a: Value, b: Value, c: Value, op: u64, target: u32) -> Value {
    let d = ctx.b.const64(op_word(op, target));
    ctx.b.call_helper(&host::FP_OP, &[a, b, c, d])
}

/// After an instruction that called the FPSCR helper: when the helper set `host::TRAP` (an
/// enabled exception with `prctl(PR_SET_FPEXC)` on), record the SIGFPE and leave the block
/// for this instruction's address, where the run loop delivers it (Linux's SIGFPE has the
/// faulting instruction's address as si_addr and in the frame's NIP).
pub(super) fn trap_check(ctx: &mut Ctx) {
    let f = ctx.b.get_reg(Type::I32, state::FPSCR);
    let t = ctx.b.and_imm(f, host::TRAP as u64);
    let t = ctx.b.zext(Type::I64, t);
    let pc = ctx.b.const64(ctx.pc);
    let z = ctx.b.const64(0);
    ctx.b.call_helper_if(t, z, &host::FP_TRAP, &[pc]);
    ctx.b.exit_if(t, ctx.pc);
}

/// Double-precision arithmetic (`host::op::ADD` .. `NMSUB`): FRA, FRB, FRC as bits, the
/// result's bits; FPSCR updated. See [`arith`]; used by the VSX scalar double forms.
pub(super) fn arith_dp(
    ctx: &mut Ctx,
    a: Value,
    b: Value,
    c: Value,
    kind: u64,
    target: u32,
) -> Value {
    arith(ctx, a, b, c, kind, false, target)
}

/// Arithmetic (`host::op::ADD` .. `NMSUB`, and `RSP`), double or single (`single`): FRA,
/// FRB, FRC as bits, the result's bits; FPSCR updated. The common case runs inline: FPSCR[RN]
/// = 0 and no exception enabled, the double result inside `[SMALL, BIG]` (a square root: at
/// least 1e-135) or an exact zero (of a product only when FRA or FRC is zero: a product that
/// underflows to zero has no exact error term), and for divide both operands at least
/// `SMALL` (the dividend may be zero), for the fused forms all three inside `[SMALL, 1e150]`
/// or zero and the product not below `SMALL` unless it is an exact zero. There the host's
/// round to nearest is the guest's and the error term is exact (TwoSum, an FMA residual or
/// remainder, the helper's expansion for the fused forms), which gives FI and FR; a result in
/// range also implies finite operands. FPRF is +/- normal or +/- zero, XX and FX as the helper
/// sets them.
///
/// A single-precision result rounds that double once more to single, which is the correctly
/// rounded single of the exact result unless the double lies exactly halfway between two
/// singles with a nonzero error (its rounding to double decided the tie: the helper then).
/// FI is set when either step was inexact; FR compares the single with the double when the
/// second step was inexact, else it is the first step's. The single must be normal (above
/// the smallest normal, where tininess before rounding cannot differ) and finite.
/// Everything else is the helper, called only then.
fn arith(
    ctx: &mut Ctx,
    a: Value,
    b: Value,
    c: Value,
    kind: u64,
    single: bool,
    target: u32,
) -> Value {
    let kind = kind & 0xff;
    const SMALL: f64 = 1e-270;
    const BIG: f64 = 1e300;
    let fpscr = ctx.b.get_reg(Type::I32, state::FPSCR);
    // RN (bits 0..1) and VE OE UE ZE XE (bits 3..7) all zero
    let m = ctx.b.and_imm(fpscr, 0xfb);
    let mut ok = ctx.b.icmp_imm(IntCC::Eq, m, 0);
    let fa = ctx.b.bitcast(Type::F64, a);
    let fb = ctx.b.bitcast(Type::F64, b);
    let fc = ctx.b.bitcast(Type::F64, c);
    let zero = ctx.b.f64const(0.0);
    // |x| within [lo, hi] (false for NaN)
    // (an infinite `hi`: no upper bound)
    let within = |ctx: &mut Ctx, x: Value, lo: f64, hi: f64| {
        let ax = ctx.b.fabs(x);
        let l = ctx.b.f64const(lo);
        let ge = ctx.b.fcmp(FloatCC::Ge, ax, l);
        if hi == f64::INFINITY {
            return ge;
        }
        let h = ctx.b.f64const(hi);
        let le = ctx.b.fcmp(FloatCC::Le, ax, h);
        ctx.b.and(le, ge)
    };
    let is_zero = |ctx: &mut Ctx, x: Value| {
        let z = ctx.b.f64const(0.0);
        ctx.b.fcmp(FloatCC::Eq, x, z)
    };
    let two_sum = |ctx: &mut Ctx, x: Value, y: Value| {
        let s = ctx.b.fadd(x, y);
        let yy = ctx.b.fsub(s, x);
        let xx = ctx.b.fsub(s, yy);
        let dx = ctx.b.fsub(x, xx);
        let dy = ctx.b.fsub(y, yy);
        (s, ctx.b.fadd(dx, dy))
    };
    let mut conds = Vec::new();
    // whether an exact zero result is served inline
    let mut zero_ok = None;
    let mut r_lo = SMALL;
    let (r, err) = match kind {
        host::op::ADD | host::op::SUB => {
            // a result in range implies finite operands; TwoSum is exact for any of them
            let y = if kind == host::op::SUB {
                ctx.b.fneg(fb)
            } else {
                fb
            };
            two_sum(ctx, fa, y)
        }
        host::op::MUL => {
            // a result in range implies finite operands, and a product whose low bit is
            // above the denormals (p >= SMALL), so the residual is exact
            let za = is_zero(ctx, fa);
            let zc = is_zero(ctx, fc);
            zero_ok = Some(ctx.b.or(za, zc));
            let p = ctx.b.fmul(fa, fc);
            let np = ctx.b.fneg(p);
            (p, ctx.b.ffma(fa, fc, np))
        }
        host::op::DIV => {
            // the remainder is exact for a dividend and divisor above SMALL (or a zero
            // dividend); infinities give an infinite, zero or NaN result (the helper)
            let wa = within(ctx, fa, SMALL, f64::INFINITY);
            let za = is_zero(ctx, fa);
            conds.push(ctx.b.or(wa, za));
            conds.push(within(ctx, fb, SMALL, f64::INFINITY));
            let q = ctx.b.fdiv(fa, fb);
            let nq = ctx.b.fneg(q);
            let rem = ctx.b.ffma(nq, fb, fa);
            // the error q_exact - q = rem / b
            let neg_b = ctx.b.fcmp(FloatCC::Lt, fb, zero);
            let nrem = ctx.b.fneg(rem);
            (q, ctx.b.select(neg_b, nrem, rem))
        }
        host::op::SQRT => {
            // a root of at least 1e-135 has an operand above SMALL, so the residual is
            // exact; a negative operand gives a NaN, +-0 an exact +-0
            r_lo = 1e-135;
            let q = ctx.b.fsqrt(fb);
            let nq = ctx.b.fneg(q);
            (q, ctx.b.ffma(nq, q, fb))
        }
        host::op::RSP => (fb, zero),
        _ => {
            // fused: a*c ± b; the error's sign is that of the exact p + pe + b - r, the
            // largest nonzero component of its expansion (as the helper's `sum_sign`)
            // (a zero FRA or FRC makes the product an exact zero: r = FRB exactly)
            let mut zs = Vec::new();
            for x in [fa, fb, fc] {
                let w = within(ctx, x, SMALL, 1e150);
                let z = is_zero(ctx, x);
                zs.push(z);
                conds.push(ctx.b.or(w, z));
            }
            let y = if matches!(kind, host::op::MSUB | host::op::NMSUB) {
                ctx.b.fneg(fb)
            } else {
                fb
            };
            let p = ctx.b.fmul(fa, fc);
            let wp = within(ctx, p, SMALL, BIG);
            let zp = ctx.b.or(zs[0], zs[2]);
            conds.push(ctx.b.or(wp, zp));
            let r = ctx.b.ffma(fa, fc, y);
            let np = ctx.b.fneg(p);
            let pe = ctx.b.ffma(fa, fc, np);
            let nr = ctx.b.fneg(r);
            let (q, e0) = two_sum(ctx, pe, p);
            let (q1, h0) = two_sum(ctx, y, e0);
            let (q2, h1) = two_sum(ctx, q1, q);
            let (r1, g0) = two_sum(ctx, nr, h0);
            let (r2, g1) = two_sum(ctx, r1, h1);
            let (r3, g2) = two_sum(ctx, r2, q2);
            let mut e = g0;
            for x in [g1, g2, r3] {
                let nz = ctx.b.fcmp(FloatCC::Ne, x, zero);
                e = ctx.b.select(nz, x, e);
            }
            (r, e)
        }
    };
    // the double result: inside the range, or an exact zero
    let in_range = within(ctx, r, r_lo, BIG);
    let r_zero = is_zero(ctx, r);
    let exact = ctx.b.fcmp(FloatCC::Eq, err, zero);
    let mut exact_zero = ctx.b.and(r_zero, exact);
    if let Some(z) = zero_ok {
        exact_zero = ctx.b.and(exact_zero, z);
    }
    conds.push(ctx.b.or(in_range, exact_zero));
    // FI = err != 0; FR = rounded away from zero: the error has the sign opposite to r's
    let mut fi = ctx.b.fcmp(FloatCC::Ne, err, zero);
    let neg_err = ctx.b.fcmp(FloatCC::Lt, err, zero);
    let pos_r = ctx.b.fcmp(FloatCC::Gt, r, zero);
    let same = ctx.b.icmp(IntCC::Eq, neg_err, pos_r);
    let mut fr = ctx.b.and(fi, same);
    let mut res = r;
    if single || kind == host::op::RSP {
        // halfway between two singles with a nonzero error: the helper
        let rb = ctx.b.bitcast(Type::I64, r);
        let low = ctx.b.and_imm(rb, 0x1fff_ffff);
        let half = ctx.b.icmp_imm(IntCC::Eq, low, 0x1000_0000);
        let tie = ctx.b.and(half, fi);
        let one8 = ctx.b.iconst(Type::I8, 1);
        let no_tie = ctx.b.xor(tie, one8);
        conds.push(no_tie);
        let s32 = ctx.b.fconvert(Type::F32, r);
        let s = ctx.b.fconvert(Type::F64, s32);
        // normal and finite, or zero
        let s_normal = within(ctx, s, f32::MIN_POSITIVE as f64, f32::MAX as f64);
        let min = ctx.b.f64const(f32::MIN_POSITIVE as f64);
        let abs_s = ctx.b.fabs(s);
        let above_min = ctx.b.fcmp(FloatCC::Ne, abs_s, min);
        let s_normal = ctx.b.and(s_normal, above_min);
        conds.push(ctx.b.or(s_normal, r_zero));
        let moved = ctx.b.fcmp(FloatCC::Ne, s, r);
        let abs_r = ctx.b.fabs(r);
        let grew = ctx.b.fcmp(FloatCC::Gt, abs_s, abs_r);
        fr = ctx.b.select(moved, grew, fr);
        fi = ctx.b.or(fi, moved);
        res = s;
    }
    for c in conds {
        ok = ctx.b.and(ok, c);
    }
    let mut bits = ctx.b.bitcast(Type::I64, res);
    if matches!(kind, host::op::NMADD | host::op::NMSUB) {
        let s = ctx.b.const64(1 << 63);
        bits = ctx.b.xor(bits, s);
    }
    // FPSCR: FR, FI, FPRF (+/- normal or zero) replaced; XX sticky with FX when newly set; VX
    // the summary of its bits; FEX clear (nothing enabled).
    let c63 = ctx.b.const64(63);
    let neg = ctx.b.lshr(bits, c63);
    let neg = ctx.b.trunc(Type::I32, neg);
    let is_neg = ctx.b.icmp_imm(IntCC::Ne, neg, 0);
    let fneg_c = ctx.b.const32(0x08 << 12);
    let fpos_c = ctx.b.const32(0x04 << 12);
    let fprf_n = ctx.b.select(is_neg, fneg_c, fpos_c);
    let zneg_c = ctx.b.const32(0x12 << 12);
    let zpos_c = ctx.b.const32(0x02 << 12);
    let fprf_z = ctx.b.select(is_neg, zneg_c, zpos_c);
    let fprf = ctx.b.select(r_zero, fprf_z, fprf_n);
    let keep = ctx.b.and_imm(
        fpscr,
        !(host::FR | host::FI | host::FPRF | host::FEX | host::VX) as u64,
    );
    let mut f = ctx.b.or(keep, fprf);
    let vx_bits = ctx.b.and_imm(fpscr, host::VX_ALL as u64);
    let any_vx = ctx.b.icmp_imm(IntCC::Ne, vx_bits, 0);
    let any_vx = ctx.b.zext(Type::I32, any_vx);
    let c29 = ctx.b.const32(29);
    let vx = ctx.b.shl(any_vx, c29);
    f = ctx.b.or(f, vx);
    let fr32 = ctx.b.zext(Type::I32, fr);
    let c18 = ctx.b.const32(18);
    let frb = ctx.b.shl(fr32, c18);
    f = ctx.b.or(f, frb);
    f = or_inexact(ctx, fpscr, f, fi, host::FI | host::XX);
    let slow = not_i64(ctx, ok);
    let op = if single { kind | host::SINGLE } else { kind };
    let d = ctx.b.const64(op_word(op, target));
    let r = ctx
        .b
        .call_helper_if(slow, bits, &host::FP_OP, &[a, b, c, d]);
    let after = ctx.b.get_reg(Type::I32, state::FPSCR);
    let f = ctx.b.select(ok, f, after);
    ctx.b.set_reg(state::FPSCR, f);
    r
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
        double_of_single(ctx, i)
    } else {
        ctx.load(Type::I64, addr)
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
        let f = fpr_bits(ctx, rt(w));
        single_of_double(ctx, f)
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
    record_cr1(ctx, w);
    Ok(())
}

/// A-form arithmetic, double (opcode 63) and single (opcode 59), through the FPSCR helper.
pub fn farith(ctx: &mut Ctx, w: u32) -> LiftResult {
    let single = w >> 26 == 59;
    let x = bits(w, 26, 30);
    let kind = match x {
        18 => host::op::DIV,
        20 => host::op::SUB,
        21 => host::op::ADD,
        22 => host::op::SQRT,
        24 => host::op::RE,
        25 => host::op::MUL,
        26 => host::op::RSQRTE,
        28 => host::op::MSUB,
        29 => host::op::MADD,
        30 => host::op::NMSUB,
        _ => host::op::NMADD,
    };
    let op = if single { kind | host::SINGLE } else { kind };
    let a = fpr_bits(ctx, ra(w));
    let b = fpr_bits(ctx, rb(w));
    let c = fpr_bits(ctx, bits(w, 21, 25));
    let target = state::fpr_off(rt(w));
    let r = if matches!(kind, host::op::RE | host::op::RSQRTE) {
        fp_call(ctx, a, b, c, op, target)
    } else {
        arith(ctx, a, b, c, kind, single, target)
    };
    set_fpr(ctx, rt(w), r);
    record_cr1(ctx, w);
    trap_check(ctx);
    Ok(())
}

/// fsel: FRC if FRA >= 0 (not NaN), else FRB.
pub fn fsel(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = fpr(ctx, ra(w));
    let b = fpr_bits(ctx, rb(w));
    let c = fpr_bits(ctx, bits(w, 21, 25));
    let z = ctx.b.f64const(0.0);
    let ge = ctx.b.fcmp(FloatCC::Ge, a, z);
    let r = ctx.b.select(ge, c, b);
    set_fpr(ctx, rt(w), r);
    record_cr1(ctx, w);
    Ok(())
}

/// frsp, fcti*, fcfid*, fri*: through the FPSCR helper.
pub fn fconv(ctx: &mut Ctx, w: u32) -> LiftResult {
    if ra(w) != 0 {
        return Err(TrapKind::Unimplemented);
    }
    let x = bits(w, 21, 30);
    let single = w >> 26 == 59;
    let op = match x {
        12 => host::op::RSP,
        14 | 15 | 142 | 143 | 814 | 815 | 942 | 943 => {
            let mut op = host::op::CTI;
            if x & 1 == 1 {
                op |= host::CTI_Z;
            }
            if x >= 800 {
                op |= host::CTI_64;
            }
            if matches!(x, 142 | 143 | 942 | 943) {
                op |= host::CTI_U;
            }
            op
        }
        846 => host::op::CFID,
        974 => host::op::CFIDU,
        392 => host::op::RI,
        424 => host::op::RI | 1 << 8,
        456 => host::op::RI | 2 << 8,
        _ => host::op::RI | 3 << 8,
    };
    let op = if single { op | host::SINGLE } else { op };
    let b = fpr_bits(ctx, rb(w));
    let z = ctx.b.const64(0);
    let target = state::fpr_off(rt(w));
    let r = if op == host::op::RSP {
        arith(ctx, z, b, z, op, false, target)
    } else if op & 0xff == host::op::CTI && op & (host::CTI_U | host::SINGLE) == 0 {
        to_int(ctx, b, op, target)
    } else {
        fp_call(ctx, z, b, z, op, target)
    };
    set_fpr(ctx, rt(w), r);
    record_cr1(ctx, w);
    trap_check(ctx);
    Ok(())
}

/// fctiw[z] / fctid[z] (`op`: [`host::op::CTI`] with its flags, signed): the common case
/// inline: no exception enabled, FPSCR[RN] = 0 or the `z` form, the rounded integer's
/// magnitude below 2^31 (2^63). FI is set when the integer differs from FRB, FR when its
/// magnitude is larger, FPRF is kept (undefined in the ISA; the helper keeps it too), XX
/// sticky with FX when newly set. Everything else is the helper, called only then.
fn to_int(ctx: &mut Ctx, b: Value, op: u64, target: u32) -> Value {
    let is64 = op & host::CTI_64 != 0;
    let trunc = op & host::CTI_Z != 0;
    let fpscr = ctx.b.get_reg(Type::I32, state::FPSCR);
    // enables VE OE UE ZE XE (bits 3..7) clear, and RN = 0 unless truncating
    let m = ctx.b.and_imm(fpscr, if trunc { 0xf8 } else { 0xfb });
    let ok = ctx.b.icmp_imm(IntCC::Eq, m, 0);
    let x = ctx.b.bitcast(Type::F64, b);
    let ax = ctx.b.fabs(x);
    let i = ctx.b.fround(
        if trunc {
            RoundMode::Trunc
        } else {
            RoundMode::Nearest
        },
        x,
    );
    // the integer inside the range, in magnitude (false for NaN)
    let ai = ctx.b.fabs(i);
    let lim = ctx.b.f64const(if is64 {
        9223372036854775808.0
    } else {
        2147483648.0
    });
    let small = ctx.b.fcmp(FloatCC::Lt, ai, lim);
    let ok = ctx.b.and(ok, small);
    // FR: the magnitude grew (only rounding to nearest can)
    let fr = ctx.b.fcmp(FloatCC::Gt, ai, ax);
    let fi = ctx.b.fcmp(FloatCC::Ne, i, x);
    let v = if is64 {
        ctx.b.ftosint(Type::I64, i)
    } else {
        let v = ctx.b.ftosint(Type::I32, i);
        ctx.b.sext(Type::I64, v)
    };
    let keep = ctx.b.and_imm(fpscr, !(host::FR | host::FI) as u64);
    let fr32 = ctx.b.zext(Type::I32, fr);
    let c18 = ctx.b.const32(18);
    let frb = ctx.b.shl(fr32, c18);
    let mut f = ctx.b.or(keep, frb);
    f = or_inexact(ctx, fpscr, f, fi, host::FI | host::XX);
    let slow = not_i64(ctx, ok);
    let z = ctx.b.const64(0);
    let d = ctx.b.const64(op_word(op, target));
    let r = ctx.b.call_helper_if(slow, v, &host::FP_OP, &[z, b, z, d]);
    let after = ctx.b.get_reg(Type::I32, state::FPSCR);
    let f = ctx.b.select(ok, f, after);
    ctx.b.set_reg(state::FPSCR, f);
    r
}

/// fcmpu / fcmpo: CR field BF = LT GT EQ UN, and FPSCR[FPCC] (through the FPSCR helper).
pub fn fcmp(ctx: &mut Ctx, w: u32) -> LiftResult {
    let bf = bits(w, 6, 8);
    let a = fpr_bits(ctx, ra(w));
    let b = fpr_bits(ctx, rb(w));
    let z = ctx.b.const64(0);
    let mut op = host::op::CMP;
    if bits(w, 21, 30) == 32 {
        op |= host::ORDERED;
    }
    // inline unless unordered (a NaN: VXSNAN/VXVC): FPCC is the CR field, nothing else
    let fa = ctx.b.bitcast(Type::F64, a);
    let fb = ctx.b.bitcast(Type::F64, b);
    let uno = ctx.b.fcmp(FloatCC::Unordered, fa, fb);
    let lt = ctx.b.fcmp(FloatCC::Lt, fa, fb);
    let gt = ctx.b.fcmp(FloatCC::Gt, fa, fb);
    let c8 = ctx.b.const64(8);
    let c4 = ctx.b.const64(4);
    let c2 = ctx.b.const64(2);
    let c = ctx.b.select(gt, c4, c2);
    let c = ctx.b.select(lt, c8, c);
    let fpscr = ctx.b.get_reg(Type::I32, state::FPSCR);
    let keep = ctx.b.and_imm(fpscr, !host::FPCC as u64);
    let c32 = ctx.b.trunc(Type::I32, c);
    let c12 = ctx.b.const32(12);
    let fpcc = ctx.b.shl(c32, c12);
    let f = ctx.b.or(keep, fpcc);
    let d = ctx.b.const64(op);
    let slow = ctx.b.zext(Type::I64, uno);
    let r = ctx.b.call_helper_if(slow, c, &host::FP_OP, &[a, b, z, d]);
    let after = ctx.b.get_reg(Type::I32, state::FPSCR);
    let f = ctx.b.select(uno, after, f);
    ctx.b.set_reg(state::FPSCR, f);
    let r = ctx.b.trunc(Type::I8, r);
    for i in 0..4 {
        let sh = ctx.b.iconst(Type::I8, 3 - i as u64);
        let v = ctx.b.lshr(r, sh);
        let v = ctx.b.and_imm(v, 1);
        ctx.set_flag(state::cr_off(4 * bf + i), v);
    }
    trap_check(ctx);
    Ok(())
}

/// mffs and the ISA 3.0 forms selected by bits 11..15: mffsce (1: then clears the enables),
/// mffscrn (22: then sets RN from FRB), mffscrni (23: from the immediate), mffsl (24: only
/// the control and status bits). The ones that write FPSCR return, as mffsl, its control bits
/// (the ISA's DRN, VE..XE, NI, RN; DRN is not modelled: zero); mffsce returns all of it.
pub fn mffs(ctx: &mut Ctx, w: u32) -> LiftResult {
    // FPSCR[VE, OE, UE, ZE, XE, NI, RN]
    const CONTROL: u32 = 0xff;
    let form = ra(w);
    if !matches!(form, 0 | 1 | 22 | 23 | 24) || (form != 0 && rc(w)) {
        return Err(TrapKind::Unimplemented);
    }
    let f = ctx.b.get_reg(Type::I32, state::FPSCR);
    let shown = match form {
        24 => ctx
            .b
            .and_imm(f, (CONTROL | host::FR | host::FI | host::FPRF) as u64),
        22 | 23 => ctx.b.and_imm(f, CONTROL as u64),
        _ => f,
    };
    let v = ctx.b.zext(Type::I64, shown);
    set_fpr(ctx, rt(w), v);
    match form {
        1 => {
            let z = ctx.b.const32(0);
            write_fpscr(ctx, z, 0xf8, false);
        }
        22 => {
            let b = ctx.b.get_reg(Type::I32, state::fpr_off(rb(w)));
            write_fpscr(ctx, b, 3, false);
        }
        23 => {
            let rn = ctx.b.const32(bits(w, 19, 20));
            write_fpscr(ctx, rn, 3, false);
        }
        _ => {}
    }
    record_cr1(ctx, w);
    Ok(())
}

/// The FPSCR with the bits in `mask` replaced by those of `v`; FEX and VX stay the summaries
/// of their bits; with `fx_on_new`, a new exception bit also sets FX (mtfsb1).
/// Inline IR of [`host::store_fpscr`]: a new RN takes effect for the next instruction, which
/// reads FPSCR again.
fn write_fpscr(ctx: &mut Ctx, v: Value, mask: u32, fx_on_new: bool) {
    // FEX and VX are summaries; bit 11 (ISA bit 52) is reserved.
    let mask = mask & !(host::FEX | host::VX | 1 << 11);
    let old = ctx.b.get_reg(Type::I32, state::FPSCR);
    // the summaries are recomputed below
    let keep = ctx.b.and_imm(old, !(mask | host::FEX | host::VX) as u64);
    let new = ctx.b.and_imm(v, mask as u64);
    let mut f = ctx.b.or(keep, new);
    if fx_on_new && mask & host::EXC != 0 {
        // FX when an exception bit goes from 0 to 1
        let nold = ctx.b.not(old);
        let fresh = ctx.b.and(f, nold);
        let fresh = ctx.b.and_imm(fresh, host::EXC as u64);
        let any = ctx.b.icmp_imm(IntCC::Ne, fresh, 0);
        let any = ctx.b.zext(Type::I32, any);
        let c31 = ctx.b.const32(31);
        let fx = ctx.b.shl(any, c31);
        f = ctx.b.or(f, fx);
    }
    // VX: any invalid-operation cause; FEX: an exception bit (VX OX UX ZX XX, bits 29..25)
    // whose enable (VE OE UE ZE XE, bits 7..3) is set
    let vx_bits = ctx.b.and_imm(f, host::VX_ALL as u64);
    let any_vx = ctx.b.icmp_imm(IntCC::Ne, vx_bits, 0);
    let any_vx = ctx.b.zext(Type::I32, any_vx);
    let c29 = ctx.b.const32(29);
    let vx = ctx.b.shl(any_vx, c29);
    f = ctx.b.or(f, vx);
    let c25 = ctx.b.const32(25);
    let c3 = ctx.b.const32(3);
    let exc = ctx.b.lshr(f, c25);
    let en = ctx.b.lshr(f, c3);
    let hit = ctx.b.and(exc, en);
    let hit = ctx.b.and_imm(hit, 0x1f);
    let fex = ctx.b.icmp_imm(IntCC::Ne, hit, 0);
    let fex = ctx.b.zext(Type::I32, fex);
    let c30 = ctx.b.const32(30);
    let fex = ctx.b.shl(fex, c30);
    f = ctx.b.or(f, fex);
    ctx.b.set_reg(state::FPSCR, f);
}

pub fn mtfsf(ctx: &mut Ctx, w: u32) -> LiftResult {
    if bits(w, 15, 15) != 0 {
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
    write_fpscr(ctx, b, mask, false);
    record_cr1(ctx, w);
    Ok(())
}

pub fn mtfsfi(ctx: &mut Ctx, w: u32) -> LiftResult {
    if bits(w, 15, 15) != 0 {
        return Err(TrapKind::Unimplemented);
    }
    let bf = bits(w, 6, 8);
    let u = bits(w, 16, 19);
    let sh = 28 - 4 * bf;
    let v = ctx.b.const32(u << sh);
    write_fpscr(ctx, v, 0xf << sh, false);
    record_cr1(ctx, w);
    Ok(())
}

/// mtfsb0 / mtfsb1.
pub fn mtfsb(ctx: &mut Ctx, w: u32) -> LiftResult {
    let bt = bits(w, 6, 10);
    let m = 1u32 << (31 - bt);
    let set = bits(w, 21, 30) == 38;
    let v = ctx.b.const32(if set { m } else { 0 });
    write_fpscr(ctx, v, m, set);
    record_cr1(ctx, w);
    Ok(())
}
