//! Fixed-point arithmetic, compare, trap, logical, rotate and shift instructions, and the
//! moves to and from CR, XER, LR, CTR and the other user SPRs.

use super::{CarryIn, Ctx, LiftResult};
use crate::decode::fields::{bits, oe, ra, rb, rc, rt, si, ui};
use crate::helpers;
use crate::state;
use xarch_translator::ir::{Exit, IntCC, TrapKind, Type, Value};

/// MASK(mb, me) of the ISA (bit 0 is the most significant of 64), wrapping when mb > me.
pub const fn mask64(mb: u32, me: u32) -> u64 {
    let a = u64::MAX >> mb;
    let b = u64::MAX << (63 - me);
    if mb <= me { a & b } else { a | b }
}

pub fn addi(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.gpr_or0(ra(w));
    let r = ctx.b.add_imm(a, si(w));
    ctx.set_gpr(rt(w), r);
    Ok(())
}

pub fn addis(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.gpr_or0(ra(w));
    let r = ctx.b.add_imm(a, si(w) << 16);
    ctx.set_gpr(rt(w), r);
    Ok(())
}

/// addic and addic. (primary opcode 13 records).
pub fn addic(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.gpr(ra(w));
    let b = ctx.b.const64(si(w));
    let (r, ca) = ctx.add_carry(a, b, CarryIn::Zero);
    ctx.set_gpr(rt(w), r);
    ctx.set_flag(state::CA, ca);
    if w >> 26 == 13 {
        ctx.record(r);
    }
    Ok(())
}

pub fn subfic(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.gpr(ra(w));
    let na = ctx.b.not(a);
    let b = ctx.b.const64(si(w));
    let (r, ca) = ctx.add_carry(na, b, CarryIn::One);
    ctx.set_gpr(rt(w), r);
    ctx.set_flag(state::CA, ca);
    Ok(())
}

pub fn mulli(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.gpr(ra(w));
    let b = ctx.b.const64(si(w));
    let r = ctx.b.mul(a, b);
    ctx.set_gpr(rt(w), r);
    Ok(())
}

/// The XO-form additions and subtractions, with CA, OV and Rc as the form says.
pub fn arith(ctx: &mut Ctx, w: u32) -> LiftResult {
    let x = bits(w, 22, 30);
    let (t, ra_, rb_) = (rt(w), ra(w), rb(w));
    // operands: (first, second, carry-in), and whether the form sets CA
    enum Cin {
        Zero,
        One,
        Ca,
    }
    let (neg_a, second, cin, sets_ca) = match x {
        266 => (false, Some(rb_), Cin::Zero, false), // add
        10 => (false, Some(rb_), Cin::Zero, true),   // addc
        138 => (false, Some(rb_), Cin::Ca, true),    // adde
        234 => (false, None, Cin::Ca, true),         // addme (+ -1)
        202 => (false, None, Cin::Ca, true),         // addze (+ 0)
        40 => (true, Some(rb_), Cin::One, false),    // subf
        8 => (true, Some(rb_), Cin::One, true),      // subfc
        136 => (true, Some(rb_), Cin::Ca, true),     // subfe
        232 => (true, None, Cin::Ca, true),          // subfme
        200 => (true, None, Cin::Ca, true),          // subfze
        _ => (true, None, Cin::One, false),          // 104: neg (~a + 0 + 1)
    };
    let a = ctx.gpr(ra_);
    let a = if neg_a { ctx.b.not(a) } else { a };
    let b = match second {
        Some(r) => ctx.gpr(r),
        None => {
            let minus_one = matches!(x, 234 | 232);
            ctx.b.const64(if minus_one { u64::MAX } else { 0 })
        }
    };
    let c = match cin {
        Cin::Zero => CarryIn::Zero,
        Cin::One => CarryIn::One,
        Cin::Ca => {
            let f = ctx.flag(state::CA);
            CarryIn::Value(ctx.b.zext(Type::I64, f))
        }
    };
    let (r, ca) = ctx.add_carry(a, b, c);
    ctx.set_gpr(t, r);
    if sets_ca {
        ctx.set_flag(state::CA, ca);
    }
    if oe(w) {
        let ov = ctx.add_overflow(a, b, r);
        ctx.set_ov(ov);
    }
    ctx.record_if(w, r);
    Ok(())
}

/// Whether a division's result is undefined: divisor 0, or (signed) `min` / -1.
fn div_invalid(ctx: &mut Ctx, a: Value, b: Value, signed: bool, min: u64, m1: u64) -> Value {
    let bz = ctx.b.icmp_imm(IntCC::Eq, b, 0);
    if !signed {
        return bz;
    }
    let amin = ctx.b.icmp_imm(IntCC::Eq, a, min);
    let bm1 = ctx.b.icmp_imm(IntCC::Eq, b, m1);
    let m = ctx.b.and(amin, bm1);
    ctx.b.or(bz, m)
}

/// Multiplies and divides (word and doubleword, signed and unsigned, high parts).
pub fn mul_div(ctx: &mut Ctx, w: u32) -> LiftResult {
    let x = bits(w, 22, 30);
    let (t, ra_, rb_) = (rt(w), ra(w), rb(w));
    let has_oe = matches!(x, 235 | 491 | 459 | 233 | 489 | 457);
    if oe(w) && !has_oe {
        return Err(TrapKind::Undefined);
    }
    let mut ov: Option<Value> = None;
    let r = match x {
        235 => {
            // mullw: the 64-bit product of the low words.
            let a = ctx.gpr32(ra_);
            let b = ctx.gpr32(rb_);
            let a = ctx.b.sext(Type::I64, a);
            let b = ctx.b.sext(Type::I64, b);
            let p = ctx.b.mul(a, b);
            if oe(w) {
                let lo = ctx.b.trunc(Type::I32, p);
                let back = ctx.b.sext(Type::I64, lo);
                ov = Some(ctx.b.icmp(IntCC::Ne, back, p));
            }
            p
        }
        75 | 11 => {
            // mulhw / mulhwu: the high word of the 64-bit product, zero-extended.
            let a = ctx.gpr32(ra_);
            let b = ctx.gpr32(rb_);
            let hi = if x == 75 {
                ctx.b.smulhi(a, b)
            } else {
                ctx.b.umulhi(a, b)
            };
            ctx.b.zext(Type::I64, hi)
        }
        491 | 459 => {
            // divw / divwu. Dividing by zero (or the most negative word by -1) leaves RT
            // undefined; like qemu, it divides by 1 instead (RT = the dividend).
            let a = ctx.gpr32(ra_);
            let b = ctx.gpr32(rb_);
            let inv = div_invalid(ctx, a, b, x == 491, 0x8000_0000, 0xffff_ffff);
            let one = ctx.b.const32(1);
            let d = ctx.b.select(inv, one, b);
            let q = if x == 491 {
                ctx.b.sdiv(a, d)
            } else {
                ctx.b.udiv(a, d)
            };
            if oe(w) {
                ov = Some(inv);
            }
            ctx.b.zext(Type::I64, q)
        }
        233 => {
            let a = ctx.gpr(ra_);
            let b = ctx.gpr(rb_);
            let p = ctx.b.mul(a, b);
            if oe(w) {
                let hi = ctx.b.smulhi(a, b);
                let s = ctx.b.const64(63);
                let sign = ctx.b.ashr(p, s);
                ov = Some(ctx.b.icmp(IntCC::Ne, hi, sign));
            }
            p
        }
        73 => {
            let a = ctx.gpr(ra_);
            let b = ctx.gpr(rb_);
            ctx.b.smulhi(a, b)
        }
        9 => {
            let a = ctx.gpr(ra_);
            let b = ctx.gpr(rb_);
            ctx.b.umulhi(a, b)
        }
        _ => {
            // 489 divd / 457 divdu (invalid divisions as for divw)
            let a = ctx.gpr(ra_);
            let b = ctx.gpr(rb_);
            let inv = div_invalid(ctx, a, b, x == 489, 1 << 63, u64::MAX);
            let one = ctx.b.const64(1);
            let d = ctx.b.select(inv, one, b);
            let q = if x == 489 {
                ctx.b.sdiv(a, d)
            } else {
                ctx.b.udiv(a, d)
            };
            if oe(w) {
                ov = Some(inv);
            }
            q
        }
    };
    ctx.set_gpr(t, r);
    if let Some(ov) = ov {
        ctx.set_ov(ov);
    }
    ctx.record_if(w, r);
    Ok(())
}

/// Operands of a compare: both as i64 (L=1) or as the low words extended (L=0).
fn cmp_operands(ctx: &mut Ctx, w: u32, a: Value, b: Value) -> (Value, Value) {
    let l = bits(w, 10, 10) == 1 && ctx.is64;
    if l {
        (a, b)
    } else {
        let a = ctx.b.trunc(Type::I32, a);
        let b = ctx.b.trunc(Type::I32, b);
        (a, b)
    }
}

pub fn cmpi(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.gpr(ra(w));
    let b = ctx.b.const64(si(w));
    let (a, b) = cmp_operands(ctx, w, a, b);
    ctx.compare(bits(w, 6, 8), a, b, true);
    Ok(())
}

pub fn cmpli(ctx: &mut Ctx, w: u32) -> LiftResult {
    let a = ctx.gpr(ra(w));
    let b = ctx.b.const64(ui(w));
    let (a, b) = cmp_operands(ctx, w, a, b);
    ctx.compare(bits(w, 6, 8), a, b, false);
    Ok(())
}

/// cmp and cmpl.
pub fn cmp(ctx: &mut Ctx, w: u32) -> LiftResult {
    let signed = bits(w, 21, 30) == 0;
    let a = ctx.gpr(ra(w));
    let b = ctx.gpr(rb(w));
    let (a, b) = cmp_operands(ctx, w, a, b);
    ctx.compare(bits(w, 6, 8), a, b, signed);
    Ok(())
}

/// tw/twi/td/tdi: the unconditional form (`trap`, TO=31) raises SIGTRAP; conditional traps
/// are not implemented.
/// tw, twi, td, tdi: a program-check trap (guest SIGTRAP, as Linux delivers it) when one of
/// the comparisons TO selects holds (TO bits: signed <, signed >, =, unsigned <, unsigned >).
/// The word forms compare the low words, the doubleword forms all 64 bits. The block ends
/// here: a side exit to the next instruction when no condition holds, else the trap.
pub fn trap(ctx: &mut Ctx, w: u32) -> LiftResult {
    let to = bits(w, 6, 10);
    let word = matches!(w >> 26, 3) || (w >> 26 == 31 && bits(w, 21, 30) == 4);
    if to == 31 && word {
        // `trap`: unconditional
        return Err(TrapKind::Breakpoint);
    }
    let imm = matches!(w >> 26, 2 | 3);
    if !imm && rc(w) {
        return Err(TrapKind::Undefined);
    }
    let a = ctx.gpr(ra(w));
    let b = if imm {
        ctx.b.const64(si(w))
    } else {
        ctx.gpr(rb(w))
    };
    let (a, b) = if word {
        let a = ctx.b.trunc(Type::I32, a);
        let b = ctx.b.trunc(Type::I32, b);
        (ctx.b.sext(Type::I64, a), ctx.b.sext(Type::I64, b))
    } else {
        (a, b)
    };
    // For unsigned word compares the sign-extended low words order as the low words do.
    let mut cond = ctx.b.iconst(Type::I8, 0);
    for (bit, cc) in [
        (16, IntCC::Slt),
        (8, IntCC::Sgt),
        (4, IntCC::Eq),
        (2, IntCC::Ult),
        (1, IntCC::Ugt),
    ] {
        if to & bit != 0 {
            let c = ctx.b.icmp(cc, a, b);
            cond = ctx.b.or(cond, c);
        }
    }
    let none = ctx.b.icmp_imm(IntCC::Eq, cond, 0);
    let next = ctx.next_pc();
    ctx.b.exit_if(none, next);
    ctx.end_block(Exit::Trap {
        kind: TrapKind::Breakpoint,
        pc: ctx.pc,
    });
    Ok(())
}

pub fn logical_imm(ctx: &mut Ctx, w: u32) -> LiftResult {
    let u = ui(w);
    // `nop` (ori 0,0,0) and the other or/xor of 0 into the same register change nothing.
    if matches!(w >> 26, 24..=27) && u == 0 && rt(w) == ra(w) {
        return Ok(());
    }
    let s = ctx.gpr(rt(w));
    let r = match w >> 26 {
        28 => ctx.b.and_imm(s, u),
        29 => ctx.b.and_imm(s, u << 16),
        24 => {
            let c = ctx.b.const64(u);
            ctx.b.or(s, c)
        }
        25 => {
            let c = ctx.b.const64(u << 16);
            ctx.b.or(s, c)
        }
        26 => {
            let c = ctx.b.const64(u);
            ctx.b.xor(s, c)
        }
        _ => {
            let c = ctx.b.const64(u << 16);
            ctx.b.xor(s, c)
        }
    };
    ctx.set_gpr(ra(w), r);
    if matches!(w >> 26, 28 | 29) {
        ctx.record(r);
    }
    Ok(())
}

pub fn logical(ctx: &mut Ctx, w: u32) -> LiftResult {
    let x = bits(w, 21, 30);
    // `or rS,rS,rS` (the priority hints `or 1,1,1`, ..., `mr rS,rS`) changes nothing.
    if matches!(x, 28 | 444) && rt(w) == rb(w) && rt(w) == ra(w) && !rc(w) {
        return Ok(());
    }
    let s = ctx.gpr(rt(w));
    let b = ctx.gpr(rb(w));
    let r = match x {
        // `mr` (or rA,rS,rS) and and rA,rS,rS: a copy, no host instruction.
        28 | 444 if rt(w) == rb(w) => s,
        28 => ctx.b.and(s, b),
        60 => {
            let nb = ctx.b.not(b);
            ctx.b.and(s, nb)
        }
        444 => ctx.b.or(s, b),
        412 => {
            let nb = ctx.b.not(b);
            ctx.b.or(s, nb)
        }
        316 => ctx.b.xor(s, b),
        476 => {
            let t = ctx.b.and(s, b);
            ctx.b.not(t)
        }
        124 => {
            let t = ctx.b.or(s, b);
            ctx.b.not(t)
        }
        _ => {
            // 284: eqv
            let t = ctx.b.xor(s, b);
            ctx.b.not(t)
        }
    };
    ctx.set_gpr(ra(w), r);
    ctx.record_if(w, r);
    Ok(())
}

/// Per-byte population count of an i64 (popcntb).
fn popcnt_bytes(ctx: &mut Ctx, x: Value) -> Value {
    let one = ctx.b.const64(1);
    let two = ctx.b.const64(2);
    let four = ctx.b.const64(4);
    let t = ctx.b.lshr(x, one);
    let t = ctx.b.and_imm(t, 0x5555_5555_5555_5555);
    let x = ctx.b.sub(x, t);
    let lo = ctx.b.and_imm(x, 0x3333_3333_3333_3333);
    let hi = ctx.b.lshr(x, two);
    let hi = ctx.b.and_imm(hi, 0x3333_3333_3333_3333);
    let x = ctx.b.add(lo, hi);
    let t = ctx.b.lshr(x, four);
    let x = ctx.b.add(x, t);
    ctx.b.and_imm(x, 0x0f0f_0f0f_0f0f_0f0f)
}

/// extsb/h/w, cntlz*, cnttz*, popcnt*.
pub fn unary(ctx: &mut Ctx, w: u32) -> LiftResult {
    let x = bits(w, 21, 30);
    if rb(w) != 0 {
        return Err(TrapKind::Undefined);
    }
    if matches!(x, 122 | 378 | 506) && rc(w) {
        return Err(TrapKind::Undefined);
    }
    let s = ctx.gpr(rt(w));
    let r = match x {
        954 | 922 | 986 => {
            let ty = match x {
                954 => Type::I8,
                922 => Type::I16,
                _ => Type::I32,
            };
            let t = ctx.b.trunc(ty, s);
            ctx.b.sext(Type::I64, t)
        }
        26 | 538 => {
            let t = ctx.b.trunc(Type::I32, s);
            let c = if x == 26 { ctx.b.clz(t) } else { ctx.b.ctz(t) };
            ctx.b.zext(Type::I64, c)
        }
        58 => ctx.b.clz(s),
        570 => ctx.b.ctz(s),
        122 => popcnt_bytes(ctx, s),
        378 => {
            let lo = ctx.b.trunc(Type::I32, s);
            let lo = ctx.b.popcnt(lo);
            let lo = ctx.b.zext(Type::I64, lo);
            let sh = ctx.b.const64(32);
            let hi = ctx.b.lshr(s, sh);
            let hi = ctx.b.popcnt(hi);
            let hi = ctx.b.shl(hi, sh);
            ctx.b.or(hi, lo)
        }
        _ => ctx.b.popcnt(s),
    };
    ctx.set_gpr(ra(w), r);
    ctx.record_if(w, r);
    Ok(())
}

pub fn cmpb(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = ctx.gpr(rt(w));
    let b = ctx.gpr(rb(w));
    let r = ctx.b.call_helper(&helpers::CMPB, &[s, b]);
    ctx.set_gpr(ra(w), r);
    Ok(())
}

pub fn bpermd(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = ctx.gpr(rt(w));
    let b = ctx.gpr(rb(w));
    let r = ctx.b.call_helper(&helpers::BPERMD, &[s, b]);
    ctx.set_gpr(ra(w), r);
    Ok(())
}

/// The word of `v` duplicated into both halves of an i64 (ROTL32's 64-bit view).
fn dup_word(ctx: &mut Ctx, v32: Value) -> Value {
    let z = ctx.b.zext(Type::I64, v32);
    let s = ctx.b.const64(32);
    let hi = ctx.b.shl(z, s);
    ctx.b.or(hi, z)
}

/// ROTL(s, sh) & m for a constant `sh`, in the type of `s` (i32 for the word forms, i64 for
/// the doubleword ones): a plain shift when the mask keeps only bits that one shift brings
/// (`slwi`, `srwi`, `sldi`, `srdi`, ...), a zero extension for a mask of the low 8, 16 or
/// 32 bits (`clrldi`, ...), and no AND when the mask keeps every bit the shift brings.
/// The result is zero-extended to `out`.
fn rotl_masked(ctx: &mut Ctx, s: Value, sh: u32, m: u64, out: Type) -> Value {
    let ty = ctx.b.ty(s);
    let all = ty.mask();
    // The low `sh` bits of the rotate come from the top of `s`, the others from `s << sh`.
    let low = (1u64 << sh) - 1;
    let (v, brought) = if m & low == 0 {
        let n = ctx.b.iconst(ty, sh as u64);
        (ctx.b.shl(s, n), all & !low)
    } else if m & !low == 0 {
        let n = ctx.b.iconst(ty, (ty.bits() - sh) as u64);
        (ctx.b.lshr(s, n), low)
    } else {
        let n = ctx.b.iconst(ty, sh as u64);
        (ctx.b.rotl(s, n), all)
    };
    let narrow = match m {
        0xff => Type::I8,
        0xffff => Type::I16,
        0xffff_ffff => Type::I32,
        _ => ty,
    };
    let r = if m == brought {
        v
    } else if narrow.bits() < ty.bits() {
        // `m` keeps the low 8, 16 or 32 bits: one zero extension, straight to `out`.
        let t = ctx.b.trunc(narrow, v);
        return ctx.b.zext(out, t);
    } else {
        ctx.b.and_imm(v, m)
    };
    if ty == out { r } else { ctx.b.zext(out, r) }
}

/// rlwinm and rlwnm.
pub fn rlwinm(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (mb, me) = (bits(w, 21, 25), bits(w, 26, 30));
    let s = ctx.gpr32(rt(w));
    let m = mask64(mb + 32, me + 32);
    let imm = w >> 26 == 21;
    let r = if imm && mb <= me {
        rotl_masked(ctx, s, bits(w, 16, 20), m & 0xffff_ffff, Type::I64)
    } else {
        let n = if imm {
            ctx.b.const32(bits(w, 16, 20))
        } else {
            let b = ctx.gpr32(rb(w));
            ctx.b.and_imm(b, 31)
        };
        let r32 = ctx.b.rotl(s, n);
        if mb <= me {
            let t = ctx.b.and_imm(r32, m);
            ctx.b.zext(Type::I64, t)
        } else {
            let d = dup_word(ctx, r32);
            ctx.b.and_imm(d, m)
        }
    };
    ctx.set_gpr(ra(w), r);
    ctx.record_if(w, r);
    Ok(())
}

pub fn rlwimi(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (sh, mb, me) = (bits(w, 16, 20), bits(w, 21, 25), bits(w, 26, 30));
    let s = ctx.gpr32(rt(w));
    let m = mask64(mb + 32, me + 32);
    let ins = if mb <= me {
        // The mask is inside the low word: the rotated word is enough.
        rotl_masked(ctx, s, sh, m & 0xffff_ffff, Type::I64)
    } else {
        let n = ctx.b.const32(sh);
        let r32 = ctx.b.rotl(s, n);
        let d = dup_word(ctx, r32);
        ctx.b.and_imm(d, m)
    };
    let old = ctx.gpr(ra(w));
    let keep = ctx.b.and_imm(old, !m);
    let r = ctx.b.or(ins, keep);
    ctx.set_gpr(ra(w), r);
    ctx.record_if(w, r);
    Ok(())
}

/// MD-form: rldicl, rldicr, rldic, rldimi.
pub fn rld_imm(ctx: &mut Ctx, w: u32) -> LiftResult {
    let sh = bits(w, 16, 20) | bits(w, 30, 30) << 5;
    let mbe = bits(w, 21, 25) | bits(w, 26, 26) << 5;
    let s = ctx.gpr(rt(w));
    let x = bits(w, 27, 29);
    let m = match x {
        0 => mask64(mbe, 63),
        1 => mask64(0, mbe),
        _ => mask64(mbe, 63 - sh),
    };
    let ins = rotl_masked(ctx, s, sh, m, Type::I64);
    let r = if x == 3 {
        let old = ctx.gpr(ra(w));
        let keep = ctx.b.and_imm(old, !m);
        ctx.b.or(ins, keep)
    } else {
        ins
    };
    ctx.set_gpr(ra(w), r);
    ctx.record_if(w, r);
    Ok(())
}

/// MDS-form: rldcl, rldcr.
pub fn rldc(ctx: &mut Ctx, w: u32) -> LiftResult {
    let mbe = bits(w, 21, 25) | bits(w, 26, 26) << 5;
    let s = ctx.gpr(rt(w));
    let b = ctx.gpr(rb(w));
    let n = ctx.b.and_imm(b, 63);
    let rot = ctx.b.rotl(s, n);
    let m = if bits(w, 27, 30) == 8 {
        mask64(mbe, 63)
    } else {
        mask64(0, mbe)
    };
    let r = ctx.b.and_imm(rot, m);
    ctx.set_gpr(ra(w), r);
    ctx.record_if(w, r);
    Ok(())
}

/// slw, srw, sraw, srawi, sld, srd, srad.
pub fn shift(ctx: &mut Ctx, w: u32) -> LiftResult {
    let x = bits(w, 21, 30);
    let s = ctx.gpr(rt(w));
    let word = matches!(x, 24 | 536 | 792 | 824);
    let n = if x == 824 {
        ctx.b.const64(bits(w, 16, 20) as u64)
    } else {
        let b = ctx.gpr(rb(w));
        ctx.b.and_imm(b, if word { 0x3f } else { 0x7f })
    };
    let r = match x {
        24 => {
            // slw: zero when the count is 32..63
            let lo = ctx.b.trunc(Type::I32, s);
            let z = ctx.b.zext(Type::I64, lo);
            let t = ctx.b.shl(z, n);
            ctx.low_word(t)
        }
        536 => {
            let lo = ctx.b.trunc(Type::I32, s);
            let z = ctx.b.zext(Type::I64, lo);
            ctx.b.lshr(z, n)
        }
        792 | 824 => {
            let lo = ctx.b.trunc(Type::I32, s);
            let v = ctx.b.sext(Type::I64, lo);
            let r = ctx.b.ashr(v, n);
            // CA: negative and any 1 bits shifted out.
            let one = ctx.b.const64(1);
            let m = ctx.b.shl(one, n);
            let m = ctx.b.sub(m, one);
            let out = ctx.b.and(v, m);
            let nz = ctx.b.icmp_imm(IntCC::Ne, out, 0);
            let neg = ctx.b.icmp_imm(IntCC::Slt, v, 0);
            let ca = ctx.b.and(nz, neg);
            ctx.set_flag(state::CA, ca);
            r
        }
        27 | 539 => {
            let big = ctx.b.icmp_imm(IntCC::Ugt, n, 63);
            let t = if x == 27 {
                ctx.b.shl(s, n)
            } else {
                ctx.b.lshr(s, n)
            };
            let z = ctx.b.const64(0);
            ctx.b.select(big, z, t)
        }
        _ => {
            // 794: srad
            let big = ctx.b.icmp_imm(IntCC::Ugt, n, 63);
            let c63 = ctx.b.const64(63);
            let nn = ctx.b.select(big, c63, n);
            let r = ctx.b.ashr(s, nn);
            let one = ctx.b.const64(1);
            let m = ctx.b.shl(one, nn);
            let m = ctx.b.sub(m, one);
            let out = ctx.b.and(s, m);
            let nz = ctx.b.icmp_imm(IntCC::Ne, out, 0);
            let nz = ctx.b.or(nz, big);
            let neg = ctx.b.icmp_imm(IntCC::Slt, s, 0);
            let ca = ctx.b.and(nz, neg);
            ctx.set_flag(state::CA, ca);
            r
        }
    };
    ctx.set_gpr(ra(w), r);
    ctx.record_if(w, r);
    Ok(())
}

pub fn sradi(ctx: &mut Ctx, w: u32) -> LiftResult {
    let sh = bits(w, 16, 20) | bits(w, 30, 30) << 5;
    let s = ctx.gpr(rt(w));
    let n = ctx.b.const64(sh as u64);
    let r = ctx.b.ashr(s, n);
    let out = ctx.b.and_imm(s, (1u64 << sh) - 1);
    let nz = ctx.b.icmp_imm(IntCC::Ne, out, 0);
    let neg = ctx.b.icmp_imm(IntCC::Slt, s, 0);
    let ca = ctx.b.and(nz, neg);
    ctx.set_flag(state::CA, ca);
    ctx.set_gpr(ra(w), r);
    ctx.record_if(w, r);
    Ok(())
}

fn spr_number(w: u32) -> u32 {
    let f = bits(w, 11, 20);
    (f & 0x1f) << 5 | f >> 5
}

/// The architectural XER from its bytes.
fn xer(ctx: &mut Ctx) -> Value {
    let mut acc = {
        let bc = ctx.flag(state::XER_BC);
        ctx.b.zext(Type::I64, bc)
    };
    for (off, bit) in [(state::SO, 31), (state::OV, 30), (state::CA, 29)] {
        let f = ctx.flag(off);
        let f = ctx.b.zext(Type::I64, f);
        let s = ctx.b.const64(bit);
        let f = ctx.b.shl(f, s);
        acc = ctx.b.or(acc, f);
    }
    acc
}

pub fn mfspr(ctx: &mut Ctx, w: u32) -> LiftResult {
    let v = match spr_number(w) {
        1 => xer(ctx),
        8 => ctx.b.get_reg(Type::I64, state::LR),
        9 => ctx.b.get_reg(Type::I64, state::CTR),
        815 => ctx.b.get_reg(Type::I64, state::TAR),
        256 => {
            let v = ctx.b.get_reg(Type::I32, state::VRSAVE);
            ctx.b.zext(Type::I64, v)
        }
        268 => ctx.b.call_helper(&helpers::MFTB, &[]),
        269 => {
            let t = ctx.b.call_helper(&helpers::MFTB, &[]);
            let s = ctx.b.const64(32);
            ctx.b.lshr(t, s)
        }
        // DSCR and PPR read as 0.
        3 | 896 => ctx.b.const64(0),
        // PVR: Linux emulates the privileged read for user programs; a POWER8.
        287 => ctx.b.const64(0x004d_0200),
        _ => return Err(TrapKind::Unimplemented),
    };
    ctx.set_gpr(rt(w), v);
    Ok(())
}

pub fn mtspr(ctx: &mut Ctx, w: u32) -> LiftResult {
    let spr = spr_number(w);
    if !matches!(spr, 1 | 8 | 9 | 815 | 256 | 3 | 896) {
        return Err(TrapKind::Unimplemented);
    }
    let v = ctx.gpr(rt(w));
    match spr {
        1 => {
            for (off, bit) in [(state::SO, 31), (state::OV, 30), (state::CA, 29)] {
                let f = ctx.bit_of(v, bit);
                ctx.set_flag(off, f);
            }
            let t = ctx.b.trunc(Type::I8, v);
            let bc = ctx.b.and_imm(t, 0x7f);
            ctx.set_flag(state::XER_BC, bc);
        }
        8 => ctx.b.set_reg(state::LR, v),
        9 => ctx.b.set_reg(state::CTR, v),
        815 => ctx.b.set_reg(state::TAR, v),
        256 => {
            let t = ctx.b.trunc(Type::I32, v);
            ctx.b.set_reg(state::VRSAVE, t)
        }
        _ => {}
    }
    Ok(())
}

/// mfcr, and mfocrf (bit 11 set: only the one field named by FXM; the others read as 0).
pub fn mfcr(ctx: &mut Ctx, w: u32) -> LiftResult {
    let fxm = bits(w, 12, 19);
    let fields: Vec<u32> = if bits(w, 11, 11) == 1 {
        if fxm.count_ones() != 1 {
            return Err(TrapKind::Unimplemented);
        }
        vec![fxm.leading_zeros() - 24]
    } else {
        (0..8).collect()
    };
    let mut acc = ctx.b.const64(0);
    for f in fields {
        for k in 0..4 {
            let i = 4 * f + k;
            let bit = ctx.flag(state::cr_off(i));
            let bit = ctx.b.zext(Type::I64, bit);
            let s = ctx.b.const64(31 - i as u64);
            let bit = ctx.b.shl(bit, s);
            acc = ctx.b.or(acc, bit);
        }
    }
    ctx.set_gpr(rt(w), acc);
    Ok(())
}

/// mtcrf and mtocrf: the CR fields selected by FXM from the low word of RS.
pub fn mtcrf(ctx: &mut Ctx, w: u32) -> LiftResult {
    let fxm = bits(w, 12, 19);
    let s = ctx.gpr(rt(w));
    for f in 0..8 {
        if fxm & (0x80 >> f) == 0 {
            continue;
        }
        for k in 0..4 {
            let i = 4 * f + k;
            let b = ctx.bit_of(s, 31 - i);
            ctx.set_flag(state::cr_off(i), b);
        }
    }
    Ok(())
}

/// mcrxr (32-bit implementations): CR field = SO OV CA 0, then clears them.
pub fn mcrxr(ctx: &mut Ctx, w: u32) -> LiftResult {
    if ctx.is64 {
        return Err(TrapKind::Undefined);
    }
    let bf = bits(w, 6, 8);
    let so = ctx.flag(state::SO);
    let ov = ctx.flag(state::OV);
    let ca = ctx.flag(state::CA);
    let z = ctx.b.iconst(Type::I8, 0);
    ctx.set_flag(state::cr_off(4 * bf), so);
    ctx.set_flag(state::cr_off(4 * bf + 1), ov);
    ctx.set_flag(state::cr_off(4 * bf + 2), ca);
    ctx.set_flag(state::cr_off(4 * bf + 3), z);
    ctx.set_flag(state::SO, z);
    ctx.set_flag(state::OV, z);
    ctx.set_flag(state::CA, z);
    Ok(())
}

pub fn isel(ctx: &mut Ctx, w: u32) -> LiftResult {
    let bc = bits(w, 21, 25);
    let a = ctx.gpr_or0(ra(w));
    let b = ctx.gpr(rb(w));
    let c = ctx.flag(state::cr_off(bc));
    let r = ctx.b.select(c, a, b);
    ctx.set_gpr(rt(w), r);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::CpuState;
    use crate::{PPC32, PPC64LE, Ppc};
    use xarch_translator::testing::{self, Rng};
    use xarch_translator::{CodeBuffer, Frontend, StateBytes};

    /// Lifts one word at 0x1000 and runs it in the interpreter from r4 = `rs`, r5 = `ra`;
    /// every 97th case also compiled (both tiers must agree). Gives r5 and CR0.
    fn run(f: &Ppc, w: u32, rs: u64, ra: u64, jit: bool) -> (u64, [u8; 4]) {
        let bytes = match f.endian {
            xarch_translator::ir::Endian::Little => w.to_le_bytes(),
            xarch_translator::ir::Endian::Big => w.to_be_bytes(),
        };
        let code = CodeBuffer {
            base: 0x1000,
            bytes: &bytes,
        };
        let block = f.lift(0x1000, &code).expect("lift");
        let mut s = CpuState {
            pc: 0x1000,
            ..CpuState::default()
        };
        (s.gpr[4], s.gpr[5], s.so) = (rs, ra, 1);
        let mem = testing::test_memory(&[(0x1000, 0x2000)]);
        let st = if jit {
            testing::compare_tiers(&block, s.as_bytes(), &mem, state::PC)
                .expect("tiers agree")
                .0
        } else {
            let mut st = s.as_bytes().to_vec();
            testing::run_block_interp(&block, &mut st, &mem, state::PC);
            st
        };
        let s = CpuState::from_bytes(&st);
        (s.gpr[5], [s.cr[0], s.cr[1], s.cr[2], s.cr[3]])
    }

    /// CR0 of a record form: the result compared with 0 at the mode's width, SO copied.
    fn cr0(r: u64, is64: bool) -> [u8; 4] {
        let v = if is64 { r as i64 } else { r as i32 as i64 };
        [(v < 0) as u8, (v > 0) as u8, (v == 0) as u8, 1]
    }

    /// The ISA's ROTL32: the word rotated in both halves of a doubleword.
    fn rotl32(x: u64, n: u32) -> u64 {
        let w = (x as u32).rotate_left(n) as u64;
        w << 32 | w
    }

    #[test]
    fn word_rotates_match_the_isa_for_every_shift_and_mask() {
        let mut rng = Rng(0x0707_1234);
        let mut k = 0;
        for f in [&PPC64LE, &PPC32] {
            for sh in 0..32 {
                for mb in 0..32 {
                    for me in 0..32 {
                        let (rs, ra) = (rng.next(), rng.next());
                        let m = mask64(mb + 32, me + 32);
                        let rot = rotl32(rs, sh);
                        k += 1;
                        let jit = k % 97 == 0;
                        // rlwinm. r5, r4, sh, mb, me
                        let want = rot & m;
                        let got = run(
                            f,
                            21 << 26 | 4 << 21 | 5 << 16 | sh << 11 | mb << 6 | me << 1 | 1,
                            rs,
                            ra,
                            jit,
                        );
                        assert_eq!(
                            got,
                            (want, cr0(want, f.is64)),
                            "rlwinm {sh} {mb} {me} of {rs:#x}"
                        );
                        // rlwimi. r5, r4, sh, mb, me
                        let want = rot & m | ra & !m;
                        let got = run(
                            f,
                            20 << 26 | 4 << 21 | 5 << 16 | sh << 11 | mb << 6 | me << 1 | 1,
                            rs,
                            ra,
                            jit,
                        );
                        assert_eq!(
                            got,
                            (want, cr0(want, f.is64)),
                            "rlwimi {sh} {mb} {me} of {rs:#x} into {ra:#x}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn doubleword_rotates_match_the_isa_for_every_shift_and_mask() {
        let mut rng = Rng(0x0707_5678);
        let mut k = 0;
        for sh in 0..64 {
            for mbe in 0..64 {
                for xo in 0..4 {
                    let (rs, ra) = (rng.next(), rng.next());
                    let rot = rs.rotate_left(sh);
                    let m = match xo {
                        0 => mask64(mbe, 63),
                        1 => mask64(0, mbe),
                        _ => mask64(mbe, 63 - sh),
                    };
                    let want = if xo == 3 { rot & m | ra & !m } else { rot & m };
                    let w = 30 << 26
                        | 4 << 21
                        | 5 << 16
                        | (sh & 31) << 11
                        | ((mbe & 31) << 1 | mbe >> 5) << 5
                        | xo << 2
                        | (sh >> 5) << 1
                        | 1;
                    k += 1;
                    let got = run(&PPC64LE, w, rs, ra, k % 97 == 0);
                    assert_eq!(
                        got,
                        (want, cr0(want, true)),
                        "rld xo {xo} sh {sh} mbe {mbe} of {rs:#x}"
                    );
                }
            }
        }
    }

    /// r5 and XER[CA] after `w` (RT = r5, RA = r4, RB = r6) from r4 = `a`, r6 = `b`, CA = `ca`.
    fn run_ca(f: &Ppc, w: u32, a: u64, b: u64, ca: u8, jit: bool) -> (u64, u8) {
        let bytes = match f.endian {
            xarch_translator::ir::Endian::Little => w.to_le_bytes(),
            xarch_translator::ir::Endian::Big => w.to_be_bytes(),
        };
        let code = CodeBuffer {
            base: 0x1000,
            bytes: &bytes,
        };
        let block = f.lift(0x1000, &code).expect("lift");
        let mut s = CpuState {
            pc: 0x1000,
            ..CpuState::default()
        };
        (s.gpr[4], s.gpr[6], s.ca) = (a, b, ca);
        let mem = testing::test_memory(&[(0x1000, 0x2000)]);
        let st = if jit {
            testing::compare_tiers(&block, s.as_bytes(), &mem, state::PC)
                .expect("tiers agree")
                .0
        } else {
            let mut st = s.as_bytes().to_vec();
            testing::run_block_interp(&block, &mut st, &mem, state::PC);
            st
        };
        let s = CpuState::from_bytes(&st);
        (s.gpr[5], s.ca)
    }

    #[test]
    fn carries_match_the_isa_at_the_mode_width() {
        let edges = [
            0,
            1,
            2,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1_0000_0000,
            1 << 63,
            u64::MAX,
            u64::MAX - 1,
        ];
        let mut rng = Rng(0x0707_9abc);
        let mut vals: Vec<u64> = edges.to_vec();
        vals.extend((0..6).map(|_| rng.next()));
        let xo = |x: u32| 31 << 26 | 5 << 21 | 4 << 16 | 6 << 11 | x << 1;
        // (word, a + b + cin as (first, second, cin)): None takes XER[CA] as cin.
        type Sum = fn(u64, u64, u64) -> (u64, u64, Option<u64>);
        let forms: [(u32, Sum); 11] = [
            (xo(10), |a, b, _| (a, b, Some(0))),       // addc
            (xo(138), |a, b, _| (a, b, None)),         // adde
            (xo(234), |a, _, _| (a, u64::MAX, None)),  // addme
            (xo(202), |a, _, _| (a, 0, None)),         // addze
            (xo(8), |a, b, _| (!a, b, Some(1))),       // subfc
            (xo(136), |a, b, _| (!a, b, None)),        // subfe
            (xo(232), |a, _, _| (!a, u64::MAX, None)), // subfme
            (xo(200), |a, _, _| (!a, 0, None)),        // subfze
            (12 << 26 | 5 << 21 | 4 << 16 | 0xfff0, |a, _, _| {
                (a, 0xffff_ffff_ffff_fff0, Some(0))
            }), // addic r5,r4,-16
            (8 << 26 | 5 << 21 | 4 << 16 | 0x7fff, |a, _, _| {
                (!a, 0x7fff, Some(1))
            }), // subfic r5,r4,0x7fff
            (8 << 26 | 5 << 21 | 4 << 16, |a, _, _| (!a, 0, Some(1))), // subfic r5,r4,0
        ];
        let mut k = 0;
        for f in [&PPC64LE, &PPC32] {
            let width = if f.is64 { 64 } else { 32 };
            let m = u64::MAX >> (64 - width);
            for (w, sum) in forms {
                for &a in &vals {
                    for &b in &vals {
                        for ca in 0..2u8 {
                            let (x, y, cin) = sum(a, b, 0);
                            let cin = cin.unwrap_or(ca as u64);
                            let full = (x & m) as u128 + (y & m) as u128 + cin as u128;
                            let want_ca = (full >> width) as u8;
                            let want = x.wrapping_add(y).wrapping_add(cin);
                            k += 1;
                            let got = run_ca(f, w, a, b, ca, k % 53 == 0);
                            assert_eq!(
                                got,
                                (want, want_ca),
                                "{w:#010x} a {a:#x} b {b:#x} ca {ca} is64 {}",
                                f.is64
                            );
                        }
                    }
                }
            }
        }
    }
}
