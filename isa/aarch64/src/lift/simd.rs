//! ARM ARM C4.1.96 "Data Processing -- Scalar Floating-Point and Advanced SIMD", the Advanced
//! SIMD part: vector (and their scalar-register) integer and floating-point operations.
//!
//! Lane-wise operations use the IR's 128-bit vector ops (`VBinary`, `VUnary`, `VShiftImm`),
//! so the Cranelift tier emits SSE. Permutations, narrowing and widening are constant byte
//! shuffles (`VShuffle`). Run-time permutes (TBL/TBX) and run-time shift counts (USHL/SSHL)
//! call the helpers in `helpers_fp.rs`. Fused multiply-add and conversions go lane by lane
//! through the scalar ops, because the IR has no vector form of them.
//!
//! A 64-bit (`Q = 0`) form computes on all 128 bits and clears the upper half before it
//! writes; a scalar form (`01U11110…`) computes the same way and keeps only lane 0.
//!
//! Floating point: as in `fp.rs`, results are the host's IEEE results with AArch64's default
//! NaN for a NaN that an operation generated; rounding and flush-to-zero from FPCR through the host MXCSR.

use super::{Ctx, LiftResult};
use crate::decode::{bit, bits};
use crate::helpers_fp;
use crate::lift::fp::{self as fpl, Rounding};
use xarch_translator::ir::{Lane, TrapKind, Type, Value, VecOp, VecShift, VecUnOp};

type R<T> = Result<T, TrapKind>;

const UNDEF: TrapKind = TrapKind::Undefined;
const UNIMPL: TrapKind = TrapKind::Unimplemented;

fn rd(w: u32) -> u32 {
    bits(w, 4, 0)
}
fn rn(w: u32) -> u32 {
    bits(w, 9, 5)
}
fn rm(w: u32) -> u32 {
    bits(w, 20, 16)
}

/// The integer lane shape of a `size` field.
pub fn ilane(size: u32) -> Lane {
    match size {
        0 => Lane::I8x16,
        1 => Lane::I16x8,
        2 => Lane::I32x4,
        _ => Lane::I64x2,
    }
}

/// The float lane shape of an `sz` bit.
pub fn flane(sz: bool) -> Lane {
    if sz { Lane::F64x2 } else { Lane::F32x4 }
}

/// The integer lane shape of the same width as a float lane shape.
fn int_of(l: Lane) -> Lane {
    match l {
        Lane::F32x4 => Lane::I32x4,
        Lane::F64x2 => Lane::I64x2,
        x => x,
    }
}

/// The integer lane shape twice as wide.
fn wider(l: Lane) -> R<Lane> {
    Ok(match l {
        Lane::I8x16 => Lane::I16x8,
        Lane::I16x8 => Lane::I32x4,
        Lane::I32x4 => Lane::I64x2,
        _ => return Err(UNDEF),
    })
}

/// How the result is written: the whole register (`q`), its low 64 bits, or one scalar lane
/// of `scalar_bits`.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub q: bool,
    pub scalar: bool,
}

impl Shape {
    fn of(w: u32) -> Shape {
        let scalar = bit(w, 28);
        Shape {
            q: bit(w, 30) || scalar,
            scalar,
        }
    }
}

/// `v & mask` with a 128-bit constant mask.
fn and_const(ctx: &mut Ctx, v: Value, mask: u128) -> Value {
    let m = ctx.b.v128const(mask);
    ctx.b.vbinary(VecOp::And, Lane::I64x2, v, m)
}

fn low_mask(bits_: u32) -> u128 {
    if bits_ >= 128 {
        u128::MAX
    } else {
        (1u128 << bits_) - 1
    }
}

/// Writes a vector result to V`d` as the shape says.
fn write(ctx: &mut Ctx, d: u32, v: Value, s: Shape, lane_bits: u32) {
    let v = if s.scalar {
        and_const(ctx, v, low_mask(lane_bits))
    } else if !s.q {
        and_const(ctx, v, low_mask(64))
    } else {
        v
    };
    ctx.set_v(d, v);
}

fn zero(ctx: &mut Ctx) -> Value {
    ctx.b.v128const(0)
}

/// A byte shuffle given as "result byte i comes from byte `f(i)` of a ++ b".
fn shuffle(ctx: &mut Ctx, a: Value, b: Value, f: impl Fn(usize) -> usize) -> Value {
    let mut mask = [0u8; 16];
    for (i, m) in mask.iter_mut().enumerate() {
        *m = f(i) as u8;
    }
    ctx.b.vshuffle(mask, a, b)
}

/// An element shuffle: result element i (of `e` bytes) is element `f(i)` of a ++ b.
fn eshuffle(ctx: &mut Ctx, a: Value, b: Value, e: usize, f: impl Fn(usize) -> usize) -> Value {
    shuffle(ctx, a, b, |i| f(i / e) * e + i % e)
}

/// Moves the low 64 bits of `b` into the upper half of `a`, keeping `a`'s low half (the "2"
/// forms of narrowing instructions write their result there).
fn upper_from(ctx: &mut Ctx, a: Value, b: Value) -> Value {
    shuffle(ctx, a, b, |i| if i < 8 { i } else { 16 + i - 8 })
}

/// Narrows every lane of `v` (lanes of 2`e` bytes) to its low `e` bytes, packed in the low
/// 64 bits.
fn narrow(ctx: &mut Ctx, v: Value, e: usize) -> Value {
    shuffle(
        ctx,
        v,
        v,
        |i| if i < 8 { (i / e) * 2 * e + i % e } else { 0 },
    )
}

/// Writes a narrowed result (in the low 64 bits of `v`): to the low half with the upper half
/// cleared, or (the "2" forms, `q`) to the upper half keeping the low half.
fn write_narrow(ctx: &mut Ctx, d: u32, v: Value, q: bool) {
    let r = if q {
        let old = ctx.v(d);
        upper_from(ctx, old, v)
    } else {
        and_const(ctx, v, low_mask(64))
    };
    ctx.set_v(d, r);
}

/// Extends the elements (of `e` bytes) of the low (or, `high`, upper) half of `v` to twice
/// their width.
fn widen(ctx: &mut Ctx, v: Value, e: usize, high: bool, signed: bool) -> Value {
    let base = if high { 8 } else { 0 };
    if signed {
        // Put each element in the top half of its wide lane, then shift right arithmetically.
        let w = shuffle(ctx, v, v, |i| base + (i / (2 * e)) * e + i % e);
        let lane = match e {
            1 => Lane::I16x8,
            2 => Lane::I32x4,
            _ => Lane::I64x2,
        };
        ctx.b.vshift_imm(VecShift::AShr, lane, w, 8 * e as u32)
    } else {
        let z = zero(ctx);
        shuffle(ctx, v, z, |i| {
            let (lane, byte) = (i / (2 * e), i % (2 * e));
            if byte < e { base + lane * e + byte } else { 16 }
        })
    }
}

/// Duplicates the low 64 bits into the upper half (for reductions over a 64-bit vector).
fn dup_low(ctx: &mut Ctx, v: Value) -> Value {
    shuffle(ctx, v, v, |i| i % 8)
}

/// Lane `idx` of `v` splatted to every lane.
fn splat_lane(ctx: &mut Ctx, v: Value, lane: Lane, idx: u32) -> Value {
    let x = ctx.b.vextract(lane, idx as u8, v);
    ctx.b.vsplat(lane, x)
}

/// AArch64's default NaN, lane-wise: lanes where `r` is NaN while the operands are numbers get
/// the positive default NaN (x86 generates a negative one). See `fp.rs`.
fn arm_nan_v(ctx: &mut Ctx, lane: Lane, r: Value, operands: &[Value]) -> Value {
    let ok_r = ctx.b.vbinary(VecOp::FCmpEq, lane, r, r);
    let mut ord = None;
    for &a in operands {
        let o = ctx.b.vbinary(VecOp::FCmpEq, lane, a, a);
        ord = Some(match ord {
            None => o,
            Some(p) => ctx.b.vbinary(VecOp::And, lane, p, o),
        });
    }
    let Some(ord) = ord else { return r };
    // generated = ord & !ok_r; clear the sign bit there (0xfff8… -> 0x7ff8…).
    let generated = ctx.b.vbinary(VecOp::AndNot, lane, ord, ok_r);
    let sign: u128 = if lane == Lane::F32x4 {
        0x8000_0000u128 * 0x0000_0001_0000_0001_0000_0001_0000_0001
    } else {
        (1u128 << 63) | (1u128 << 127)
    };
    let fix = and_const(ctx, generated, sign);
    ctx.b.vbinary(VecOp::AndNot, lane, r, fix)
}

/// Applies a scalar float function lane by lane (`lanes` lanes, the rest zero).
fn per_lane(
    ctx: &mut Ctx,
    lane: Lane,
    lanes: u32,
    srcs: &[Value],
    f: impl Fn(&mut Ctx, &[Value]) -> Value,
) -> Value {
    let mut out = zero(ctx);
    let mut xs = Vec::with_capacity(srcs.len());
    for i in 0..lanes {
        xs.clear();
        for &s in srcs {
            xs.push(ctx.b.vextract(lane, i as u8, s));
        }
        let r = f(ctx, &xs);
        let rl = match ctx.b.ty(r) {
            Type::F32 => Lane::F32x4,
            Type::F64 => Lane::F64x2,
            Type::I32 => Lane::I32x4,
            Type::I64 => Lane::I64x2,
            Type::I16 => Lane::I16x8,
            _ => Lane::I8x16,
        };
        out = ctx.b.vinsert(rl, i as u8, out, r);
    }
    out
}

/// Number of lanes a shape covers.
fn nlanes(lane: Lane, s: Shape) -> u32 {
    if s.scalar {
        1
    } else if s.q {
        lane.lanes()
    } else {
        lane.lanes() / 2
    }
}

/// Pairwise operation: result lanes are `op(x[2i], x[2i+1])` over the concatenation n ++ m (of
/// the low halves for a 64-bit shape).
fn pairwise(
    ctx: &mut Ctx,
    n: Value,
    m: Value,
    lane: Lane,
    q: bool,
    op: &dyn Fn(&mut Ctx, Value, Value) -> Value,
) -> Value {
    let e = (lane.lane_bits() / 8) as usize;
    let l = 16 / e;
    let (a, b) = if q {
        (n, m)
    } else {
        let c = shuffle(ctx, n, m, |i| if i < 8 { i } else { 16 + i - 8 });
        (c, zero(ctx))
    };
    let even = eshuffle(ctx, a, b, e, |i| 2 * i % (2 * l));
    let odd = eshuffle(ctx, a, b, e, |i| (2 * i + 1) % (2 * l));
    op(ctx, even, odd)
}

/// Reduces all lanes with `op` (a pairwise tree), the result in lane 0.
fn reduce(
    ctx: &mut Ctx,
    v: Value,
    lane: Lane,
    q: bool,
    op: &dyn Fn(&mut Ctx, Value, Value) -> Value,
) -> Value {
    let e = (lane.lane_bits() / 8) as usize;
    let mut width = if q { 16 } else { 8 };
    let mut v = v;
    while width > e {
        let half = width / 2;
        let hi = shuffle(ctx, v, v, |i| (i + half) % 16);
        v = op(ctx, v, hi);
        width = half;
    }
    v
}

fn vbin(op: VecOp, lane: Lane) -> impl Fn(&mut Ctx, Value, Value) -> Value {
    move |ctx: &mut Ctx, a, b| ctx.b.vbinary(op, lane, a, b)
}

/// Quiet bits of every lane of a float shape.
fn quiet_bits(lane: Lane) -> u128 {
    if lane == Lane::F32x4 {
        0x0040_0000u128 * 0x0000_0001_0000_0001_0000_0001_0000_0001
    } else {
        (1u128 << 51) | (1u128 << 115)
    }
}

/// AArch64 NaN propagation lane-wise, for the IR's `FMax`/`FMin` (which give the default
/// NaN): where either operand is NaN, the first NaN operand quieted.
fn vpropagate_nan(ctx: &mut Ctx, lane: Lane, a: Value, b: Value, r: Value) -> Value {
    let a_ok = ctx.b.vbinary(VecOp::FCmpEq, lane, a, a);
    let b_ok = ctx.b.vbinary(VecOp::FCmpEq, lane, b, b);
    let both_ok = ctx.b.vbinary(VecOp::And, lane, a_ok, b_ok);
    let p = bsl(ctx, a_ok, b, a);
    let q = ctx.b.v128const(quiet_bits(lane));
    let pq = ctx.b.vbinary(VecOp::Or, lane, p, q);
    bsl(ctx, both_ok, r, pq)
}

/// FMAX/FMIN lane-wise with AArch64's NaN propagation.
fn vmaxmin(ctx: &mut Ctx, lane: Lane, a: Value, b: Value, max: bool) -> Value {
    let m = ctx
        .b
        .vbinary(if max { VecOp::FMax } else { VecOp::FMin }, lane, a, b);
    vpropagate_nan(ctx, lane, a, b, m)
}

/// FMAXNM/FMINNM lane-wise: a NaN lane loses to a number; two NaNs propagate.
fn vmaxmin_num(ctx: &mut Ctx, lane: Lane, a: Value, b: Value, max: bool) -> Value {
    let a_ok = ctx.b.vbinary(VecOp::FCmpEq, lane, a, a);
    let b_ok = ctx.b.vbinary(VecOp::FCmpEq, lane, b, b);
    // Exactly one NaN: replace it by the other operand.
    let only_a = ctx.b.vbinary(VecOp::AndNot, lane, b_ok, a_ok);
    let only_b = ctx.b.vbinary(VecOp::AndNot, lane, a_ok, b_ok);
    let a2 = bsl(ctx, only_a, b, a);
    let b2 = bsl(ctx, only_b, a, b);
    vmaxmin(ctx, lane, a2, b2, max)
}

/// `n * m + a` lane-wise, fused (lane by lane through the scalar `FFma`), with AArch64's NaN
/// rules applied to the whole vector: generated NaNs become the default NaN, NaN operands
/// propagate quieted with the addend first, then `n`, then `m` (FPProcessNaNs3).
fn vfma(ctx: &mut Ctx, lane: Lane, lanes: u32, n: Value, m: Value, a: Value) -> Value {
    let r = per_lane(ctx, lane, lanes, &[n, m, a], |ctx, x| {
        ctx.b.ffma(x[0], x[1], x[2])
    });
    let r = arm_nan_v(ctx, lane, r, &[n, m, a]);
    let a_ok = ctx.b.vbinary(VecOp::FCmpEq, lane, a, a);
    let n_ok = ctx.b.vbinary(VecOp::FCmpEq, lane, n, n);
    let m_ok = ctx.b.vbinary(VecOp::FCmpEq, lane, m, m);
    let an_ok = ctx.b.vbinary(VecOp::And, lane, a_ok, n_ok);
    let all_ok = ctx.b.vbinary(VecOp::And, lane, an_ok, m_ok);
    let p = bsl(ctx, n_ok, m, n);
    let p = bsl(ctx, a_ok, p, a);
    let q = ctx.b.v128const(quiet_bits(lane));
    let pq = ctx.b.vbinary(VecOp::Or, lane, p, q);
    let r = bsl(ctx, all_ok, r, pq);
    // Lanes past `lanes` (a 64-bit form) stay zero.
    if lanes * lane.lane_bits() < 128 {
        and_const(ctx, r, low_mask(lanes * lane.lane_bits()))
    } else {
        r
    }
}

/// Lane-wise multiply. Bytes are multiplied as two 16-bit multiplies (even and odd bytes),
/// because x86 has no byte multiply (Cranelift rejects `imul.i8x16`).
fn vmul(ctx: &mut Ctx, lane: Lane, a: Value, b: Value) -> Value {
    if lane != Lane::I8x16 {
        return ctx.b.vbinary(VecOp::Mul, lane, a, b);
    }
    let h = Lane::I16x8;
    // Low byte of each 16-bit product of the full lanes = product of the even bytes.
    let even = ctx.b.vbinary(VecOp::Mul, h, a, b);
    // (a >> 8) * (b & 0xff00): its high byte is the product of the odd bytes.
    let a_hi = ctx.b.vshift_imm(VecShift::LShr, h, a, 8);
    let hi_mask = lane_const(ctx, h, 0xff00);
    let b_hi = ctx.b.vbinary(VecOp::And, h, b, hi_mask);
    let odd = ctx.b.vbinary(VecOp::Mul, h, a_hi, b_hi);
    let odd = ctx.b.vbinary(VecOp::And, h, odd, hi_mask);
    let even = ctx.b.vbinary(VecOp::AndNot, h, even, hi_mask);
    ctx.b.vbinary(VecOp::Or, h, even, odd)
}

/// Saturating add/sub. 8- and 16-bit lanes use the IR op (SSE has them); 32- and 64-bit
/// lanes, which x86 lacks, are built from wrapping arithmetic and compares.
fn vsat(ctx: &mut Ctx, op: VecOp, lane: Lane, a: Value, b: Value) -> Value {
    if lane.lane_bits() <= 16 {
        return ctx.b.vbinary(op, lane, a, b);
    }
    let e = lane.lane_bits();
    match op {
        VecOp::AddSatU => {
            let s = ctx.b.vbinary(VecOp::Add, lane, a, b);
            let carry = ctx.b.vbinary(VecOp::CmpGtU, lane, a, s);
            ctx.b.vbinary(VecOp::Or, lane, s, carry)
        }
        VecOp::SubSatU => {
            let d = ctx.b.vbinary(VecOp::Sub, lane, a, b);
            let ok = ctx.b.vbinary(VecOp::CmpGeU, lane, a, b);
            ctx.b.vbinary(VecOp::And, lane, d, ok)
        }
        _ => {
            let add = op == VecOp::AddSatS;
            let r = ctx
                .b
                .vbinary(if add { VecOp::Add } else { VecOp::Sub }, lane, a, b);
            // Overflow: add: r's sign differs from both a's and b's; sub: a's and b's signs
            // differ and r's differs from a's.
            let ra = ctx.b.vbinary(VecOp::Xor, lane, r, a);
            let other = if add {
                ctx.b.vbinary(VecOp::Xor, lane, r, b)
            } else {
                ctx.b.vbinary(VecOp::Xor, lane, a, b)
            };
            let ov = ctx.b.vbinary(VecOp::And, lane, ra, other);
            let z = zero(ctx);
            let ov = ctx.b.vbinary(VecOp::CmpGtS, lane, z, ov);
            // The saturated value: MAX if a >= 0, else MIN = (a < 0 ? -1 : 0) ^ MAX.
            let neg = ctx.b.vbinary(VecOp::CmpGtS, lane, z, a);
            let max = lane_const(ctx, lane, (low_mask(e - 1)) as u64);
            let sat = ctx.b.vbinary(VecOp::Xor, lane, neg, max);
            bsl(ctx, ov, sat, r)
        }
    }
}

/// Bitwise select: bits of `a` where `mask` is set, else bits of `b`.
fn bsl(ctx: &mut Ctx, mask: Value, a: Value, b: Value) -> Value {
    let x = ctx.b.vbinary(VecOp::Xor, Lane::I64x2, a, b);
    let y = ctx.b.vbinary(VecOp::And, Lane::I64x2, x, mask);
    ctx.b.vbinary(VecOp::Xor, Lane::I64x2, b, y)
}

fn not(ctx: &mut Ctx, v: Value) -> Value {
    ctx.b.vunary(VecUnOp::Not, Lane::I64x2, v)
}

/// Calls a 64-bit-half helper on both halves of `a` (and `b`), giving a vector.
fn per_half(
    ctx: &mut Ctx,
    q: bool,
    a: Value,
    b: Value,
    f: &dyn Fn(&mut Ctx, Value, Value) -> Value,
) -> Value {
    let mut out = zero(ctx);
    for h in 0..if q { 2 } else { 1 } {
        let x = ctx.b.vextract(Lane::I64x2, h, a);
        let y = ctx.b.vextract(Lane::I64x2, h, b);
        let r = f(ctx, x, y);
        out = ctx.b.vinsert(Lane::I64x2, h, out, r);
    }
    out
}

/// Right shift by 1..=esize with AArch64's rules (a shift by the full width gives 0 or the
/// sign), optionally rounding: `(x >> s) + ((x >> (s - 1)) & 1)`.
fn shr(ctx: &mut Ctx, lane: Lane, x: Value, s: u32, signed: bool, round: bool) -> Value {
    let eb = lane.lane_bits();
    let main = if s >= eb {
        if signed {
            ctx.b.vshift_imm(VecShift::AShr, lane, x, eb - 1)
        } else {
            zero(ctx)
        }
    } else {
        ctx.b.vshift_imm(
            if signed {
                VecShift::AShr
            } else {
                VecShift::LShr
            },
            lane,
            x,
            s,
        )
    };
    if !round {
        return main;
    }
    let bitv = ctx.b.vshift_imm(VecShift::LShr, lane, x, s - 1);
    let one = lane_const(ctx, lane, 1);
    let r = ctx.b.vbinary(VecOp::And, lane, bitv, one);
    ctx.b.vbinary(VecOp::Add, lane, main, r)
}

/// A vector with every lane set to `c`.
fn lane_const(ctx: &mut Ctx, lane: Lane, c: u64) -> Value {
    let lb = lane.lane_bits();
    let c = (c as u128) & low_mask(lb);
    let mut v = 0u128;
    for i in 0..lane.lanes() {
        v |= c << (i * lb);
    }
    ctx.b.v128const(v)
}

// ---------------------------------------------------------------------------------------
// C4.1.96.{7,29} Advanced SIMD (scalar) three same
// ---------------------------------------------------------------------------------------

/// Integer three-same (opcode 15:11 < 11000), vector and scalar.
pub fn int_three_same(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = Shape::of(w);
    let u = bit(w, 29);
    let size = bits(w, 23, 22);
    let op = bits(w, 15, 11);
    let lane = ilane(size);
    let d64_only = matches!(
        op,
        0b10000 | 0b10001 | 0b00110 | 0b00111 | 0b01000 | 0b01010
    );
    if s.scalar {
        let ok = match op {
            0b00001 | 0b00101 => true,
            _ if d64_only => size == 3,
            _ => false,
        };
        if !ok {
            return Err(if matches!(op, 0b01001 | 0b01011 | 0b10110) {
                UNIMPL
            } else {
                UNDEF
            });
        }
    } else if size == 3 && !s.q && op != 0b00011 {
        return Err(UNDEF);
    }
    // Validate before emitting IR.
    let no_d = matches!(
        op,
        0b00000
            | 0b00010
            | 0b00100
            | 0b01100
            | 0b01101
            | 0b01110
            | 0b01111
            | 0b10010
            | 0b10011
            | 0b10100
            | 0b10101
            | 0b10111
    );
    if no_d && size == 3 && op != 0b10111 {
        return Err(UNDEF);
    }
    if matches!(op, 0b01001 | 0b01011 | 0b10110) || (op == 0b10011 && u) || (op == 0b10111 && u) {
        return Err(UNIMPL); // SQSHL/UQSHL, SQRSHL, SQDMULH/SQRDMULH, PMUL; ADDP U=1 is undefined
    }
    let (n, m) = (ctx.v(rn(w)), ctx.v(rm(w)));
    let e = lane.lane_bits();
    let sx = |u: bool| if u { VecOp::MaxU } else { VecOp::MaxS };
    let r = match op {
        0b00000 | 0b00010 | 0b00100 => {
            // xHADD: (a & b) + ((a ^ b) >> 1); xRHADD: (a | b) - ((a ^ b) >> 1);
            // xHSUB: ((a ^ b) >> 1) signed-adjusted: a - b = (a ^ b) - 2(~a & b) ->
            // (a - b) >> 1 = ((a ^ b) >> 1) - (~a & b).
            let x = ctx.b.vbinary(VecOp::Xor, lane, n, m);
            let h = ctx
                .b
                .vshift_imm(if u { VecShift::LShr } else { VecShift::AShr }, lane, x, 1);
            match op {
                0b00000 => {
                    let a = ctx.b.vbinary(VecOp::And, lane, n, m);
                    ctx.b.vbinary(VecOp::Add, lane, a, h)
                }
                0b00010 => {
                    let o = ctx.b.vbinary(VecOp::Or, lane, n, m);
                    ctx.b.vbinary(VecOp::Sub, lane, o, h)
                }
                _ => {
                    let nb = ctx.b.vbinary(VecOp::AndNot, lane, m, n);
                    ctx.b.vbinary(VecOp::Sub, lane, h, nb)
                }
            }
        }
        0b00001 => vsat(
            ctx,
            if u { VecOp::AddSatU } else { VecOp::AddSatS },
            lane,
            n,
            m,
        ),
        0b00101 => vsat(
            ctx,
            if u { VecOp::SubSatU } else { VecOp::SubSatS },
            lane,
            n,
            m,
        ),
        0b00011 => {
            let d = ctx.v(rd(w));
            match (u, size) {
                (false, 0) => ctx.b.vbinary(VecOp::And, lane, n, m),
                (false, 1) => ctx.b.vbinary(VecOp::AndNot, lane, n, m),
                (false, 2) => ctx.b.vbinary(VecOp::Or, lane, n, m),
                (false, _) => {
                    let nm = not(ctx, m);
                    ctx.b.vbinary(VecOp::Or, lane, n, nm)
                }
                (true, 0) => ctx.b.vbinary(VecOp::Xor, lane, n, m),
                (true, 1) => bsl(ctx, d, n, m),
                (true, 2) => bsl(ctx, m, n, d),
                (true, _) => bsl(ctx, m, d, n),
            }
        }
        0b00110 => ctx
            .b
            .vbinary(if u { VecOp::CmpGtU } else { VecOp::CmpGtS }, lane, n, m),
        0b00111 => ctx
            .b
            .vbinary(if u { VecOp::CmpGeU } else { VecOp::CmpGeS }, lane, n, m),
        0b01000 | 0b01010 => {
            let mut flags = e as u64;
            if !u {
                flags |= helpers_fp::SHL_SIGNED;
            }
            if op == 0b01010 {
                flags |= helpers_fp::SHL_ROUND;
            }
            per_half(ctx, s.q, n, m, &|ctx, x, y| {
                let f = ctx.b.const64(flags);
                ctx.b.call_helper(&helpers_fp::VSHL, &[x, y, f])
            })
        }
        0b01100 => ctx.b.vbinary(sx(u), lane, n, m),
        0b01101 => ctx
            .b
            .vbinary(if u { VecOp::MinU } else { VecOp::MinS }, lane, n, m),
        0b01110 | 0b01111 => {
            let hi = ctx.b.vbinary(sx(u), lane, n, m);
            let lo = ctx
                .b
                .vbinary(if u { VecOp::MinU } else { VecOp::MinS }, lane, n, m);
            let abd = ctx.b.vbinary(VecOp::Sub, lane, hi, lo);
            if op == 0b01111 {
                let d = ctx.v(rd(w));
                ctx.b.vbinary(VecOp::Add, lane, d, abd)
            } else {
                abd
            }
        }
        0b10000 => ctx
            .b
            .vbinary(if u { VecOp::Sub } else { VecOp::Add }, lane, n, m),
        0b10001 => {
            if u {
                ctx.b.vbinary(VecOp::CmpEq, lane, n, m)
            } else {
                let a = ctx.b.vbinary(VecOp::And, lane, n, m);
                let z = zero(ctx);
                let eq = ctx.b.vbinary(VecOp::CmpEq, lane, a, z);
                not(ctx, eq)
            }
        }
        0b10010 => {
            let p = vmul(ctx, lane, n, m);
            let d = ctx.v(rd(w));
            ctx.b
                .vbinary(if u { VecOp::Sub } else { VecOp::Add }, lane, d, p)
        }
        0b10011 => vmul(ctx, lane, n, m),
        0b10100 => pairwise(ctx, n, m, lane, s.q, &vbin(sx(u), lane)),
        0b10101 => pairwise(
            ctx,
            n,
            m,
            lane,
            s.q,
            &vbin(if u { VecOp::MinU } else { VecOp::MinS }, lane),
        ),
        0b10111 => pairwise(ctx, n, m, lane, s.q, &vbin(VecOp::Add, lane)),
        _ => return Err(UNIMPL),
    };
    write(ctx, rd(w), r, s, e);
    Ok(())
}

/// Floating-point three-same (opcode 15:11 = 11xxx; bit 23 selects the second column, bit
/// 22 the precision), vector and scalar.
pub fn fp_three_same(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = Shape::of(w);
    let u = bit(w, 29);
    let a = bit(w, 23);
    let sz = bit(w, 22);
    let op = bits(w, 13, 11);
    if sz && !s.q {
        return Err(UNDEF);
    }
    let lane = flane(sz);
    // (U, a, opcode<2:0>) as in the manual's table.
    let known = match (u, a, op) {
        (false, false, 0..=2 | 4 | 6) | (false, true, 0..=2 | 6) => true,
        (true, false, 0 | 2..=7) | (true, true, 0 | 2 | 4..=6) => true,
        _ => false,
    };
    if !known {
        return Err(if (u, op) == (false, 3) || op == 7 {
            UNIMPL
        } else {
            UNDEF
        });
    }
    if s.scalar {
        // Scalar forms: FABD, FCMEQ, FCMGE, FCMGT, FACGE, FACGT (FMULX, FRECPS, FRSQRTS not
        // implemented).
        let ok = matches!(
            (u, a, op),
            (true, true, 2) | (false, false, 4) | (true, _, 4) | (true, _, 5)
        );
        if !ok {
            return Err(UNIMPL);
        }
    }
    let (n, m) = (ctx.v(rn(w)), ctx.v(rm(w)));
    let lanes = nlanes(lane, s);
    let r = match (u, a, op) {
        (false, _, 0) => vmaxmin_num(ctx, lane, n, m, !a),
        (false, _, 1) => {
            let d = ctx.v(rd(w));
            let n2 = if a {
                ctx.b.vunary(VecUnOp::FNeg, lane, n)
            } else {
                n
            };
            vfma(ctx, lane, lanes, n2, m, d)
        }
        (false, _, 2) => {
            let r = ctx
                .b
                .vbinary(if a { VecOp::FSub } else { VecOp::FAdd }, lane, n, m);
            arm_nan_v(ctx, lane, r, &[n, m])
        }
        (false, false, 4) => ctx.b.vbinary(VecOp::FCmpEq, lane, n, m),
        (false, _, 6) => vmaxmin(ctx, lane, n, m, !a),
        (true, _, 0) => pairwise(ctx, n, m, lane, s.q, &move |ctx, x, y| {
            vmaxmin_num(ctx, lane, x, y, !a)
        }),
        (true, false, 2) => {
            let r = pairwise(ctx, n, m, lane, s.q, &vbin(VecOp::FAdd, lane));
            // Operands of the pairwise adds are the lanes of n and m themselves.
            arm_nan_pairwise(ctx, lane, r, n, m, s.q)
        }
        (true, true, 2) => {
            let diff = ctx.b.vbinary(VecOp::FSub, lane, n, m);
            let diff = arm_nan_v(ctx, lane, diff, &[n, m]);
            ctx.b.vunary(VecUnOp::FAbs, lane, diff)
        }
        (true, false, 3) => {
            let r = ctx.b.vbinary(VecOp::FMul, lane, n, m);
            arm_nan_v(ctx, lane, r, &[n, m])
        }
        (true, _, 4) => ctx
            .b
            .vbinary(if a { VecOp::FCmpGt } else { VecOp::FCmpGe }, lane, n, m),
        (true, _, 5) => {
            let an = ctx.b.vunary(VecUnOp::FAbs, lane, n);
            let am = ctx.b.vunary(VecUnOp::FAbs, lane, m);
            ctx.b
                .vbinary(if a { VecOp::FCmpGt } else { VecOp::FCmpGe }, lane, an, am)
        }
        (true, _, 6) => pairwise(ctx, n, m, lane, s.q, &move |ctx, x, y| {
            vmaxmin(ctx, lane, x, y, !a)
        }),
        (true, false, 7) => {
            let r = ctx.b.vbinary(VecOp::FDiv, lane, n, m);
            arm_nan_v(ctx, lane, r, &[n, m])
        }
        _ => return Err(UNIMPL),
    };
    write(ctx, rd(w), r, s, lane.lane_bits());
    Ok(())
}

/// Default NaN for a pairwise add: a NaN result lane whose two source lanes were numbers.
fn arm_nan_pairwise(ctx: &mut Ctx, lane: Lane, r: Value, n: Value, m: Value, q: bool) -> Value {
    // Lane-wise "is a number" masks, pairwise-anded, line up with the result lanes.
    let n_ok = ctx.b.vbinary(VecOp::FCmpEq, lane, n, n);
    let m_ok = ctx.b.vbinary(VecOp::FCmpEq, lane, m, m);
    let il = int_of(lane);
    let ok = pairwise(ctx, n_ok, m_ok, il, q, &vbin(VecOp::And, il));
    let r_ok = ctx.b.vbinary(VecOp::FCmpEq, lane, r, r);
    let generated = ctx.b.vbinary(VecOp::AndNot, lane, ok, r_ok);
    let sign: u128 = if lane == Lane::F32x4 {
        0x8000_0000u128 * 0x0000_0001_0000_0001_0000_0001_0000_0001
    } else {
        (1u128 << 63) | (1u128 << 127)
    };
    let fix = and_const(ctx, generated, sign);
    ctx.b.vbinary(VecOp::AndNot, lane, r, fix)
}

// ---------------------------------------------------------------------------------------
// C4.1.96.{12,30} Advanced SIMD (scalar) two-register miscellaneous
// ---------------------------------------------------------------------------------------

/// Two-register miscellaneous, vector and scalar.
pub fn two_reg_misc(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = Shape::of(w);
    let u = bit(w, 29);
    let size = bits(w, 23, 22);
    let op = bits(w, 16, 12);
    let lane = ilane(size);
    let n = rn(w);
    // The floating-point rows (opcode 1xxxx with size<1> choosing the column, and 011xx with
    // size<1> = 1) use sz = size<0>.
    let fp_row = (op >= 0b11000)
        || (op >= 0b01100 && op <= 0b01111 && size >= 2)
        || op == 0b10110
        || op == 0b10111;
    if fp_row {
        return fp_two_reg_misc(ctx, w, s, u, size, op);
    }
    if s.scalar {
        let ok = matches!(op, 0b01000 | 0b01001 | 0b01010 | 0b01011) && size == 3
            || matches!(op, 0b10010 | 0b10100) && size < 3;
        if !ok {
            return Err(UNIMPL);
        }
    }
    if size == 3 && !s.q && matches!(op, 0b01000..=0b01011) {
        return Err(UNDEF);
    }
    let e = lane.lane_bits();
    let eb = (e / 8) as usize;
    let r = match (u, op) {
        (_, 0b00000) | (false, 0b00001) => {
            // REV64 (U=0, 00000), REV32 (U=1, 00000), REV16 (U=0, 00001): reverse the
            // elements inside each container.
            let cont = match (u, op) {
                (false, 0) => 8,
                (true, 0) => 4,
                _ => 2,
            };
            if eb >= cont {
                return Err(UNDEF);
            }
            let x = ctx.v(n);
            shuffle(ctx, x, x, |i| {
                let (c, k) = (i / cont, i % cont);
                let (el, byte) = (k / eb, k % eb);
                c * cont + (cont / eb - 1 - el) * eb + byte
            })
        }
        (_, 0b00010) | (_, 0b00110) => {
            // SADDLP/UADDLP, SADALP/UADALP: add adjacent pairs into double-width lanes.
            let wl = wider(lane)?;
            let x = ctx.v(n);
            let (even, odd) = if u {
                let lo = and_const_lanes(ctx, wl, x, low_mask(e));
                let hi = ctx.b.vshift_imm(VecShift::LShr, wl, x, e);
                (lo, hi)
            } else {
                let sh = ctx.b.vshift_imm(VecShift::Shl, wl, x, e);
                let lo = ctx.b.vshift_imm(VecShift::AShr, wl, sh, e);
                let hi = ctx.b.vshift_imm(VecShift::AShr, wl, x, e);
                (lo, hi)
            };
            let sum = ctx.b.vbinary(VecOp::Add, wl, even, odd);
            let r = if op == 0b00110 {
                let d = ctx.v(rd(w));
                ctx.b.vbinary(VecOp::Add, wl, d, sum)
            } else {
                sum
            };
            write(ctx, rd(w), r, s, 2 * e);
            return Ok(());
        }
        (false, 0b00101) if size == 0 => {
            let x = ctx.v(n);
            ctx.b.vunary(VecUnOp::Popcnt, Lane::I8x16, x)
        }
        (true, 0b00101) if size == 0 => {
            let x = ctx.v(n);
            not(ctx, x)
        }
        (false, 0b01000)
        | (true, 0b01000)
        | (false, 0b01001)
        | (true, 0b01001)
        | (false, 0b01010) => {
            let x = ctx.v(n);
            let z = zero(ctx);
            match (u, op) {
                (false, 0b01000) => ctx.b.vbinary(VecOp::CmpGtS, lane, x, z),
                (true, 0b01000) => ctx.b.vbinary(VecOp::CmpGeS, lane, x, z),
                (false, 0b01001) => ctx.b.vbinary(VecOp::CmpEq, lane, x, z),
                (true, 0b01001) => ctx.b.vbinary(VecOp::CmpGeS, lane, z, x),
                _ => ctx.b.vbinary(VecOp::CmpGtS, lane, z, x),
            }
        }
        (false, 0b01011) => {
            let x = ctx.v(n);
            ctx.b.vunary(VecUnOp::Abs, lane, x)
        }
        (true, 0b01011) => {
            let x = ctx.v(n);
            ctx.b.vunary(VecUnOp::Neg, lane, x)
        }
        (false, 0b10010) => {
            // XTN, XTN2
            if size == 3 {
                return Err(UNDEF);
            }
            let x = ctx.v(n);
            let r = narrow(ctx, x, eb);
            if s.scalar {
                return Err(UNDEF);
            }
            write_narrow(ctx, rd(w), r, s.q && !s.scalar);
            return Ok(());
        }
        (_, 0b10100) | (true, 0b10010) => {
            // SQXTN, UQXTN, SQXTUN (saturation is not recorded in FPSR.QC).
            if size == 3 {
                return Err(UNDEF);
            }
            let kind = match (u, op) {
                (false, 0b10100) => helpers_fp::NARROW_SQXTN,
                (true, 0b10100) => helpers_fp::NARROW_UQXTN,
                _ => helpers_fp::NARROW_SQXTUN,
            };
            let x = ctx.v(n);
            let lo = ctx.b.vextract(Lane::I64x2, 0, x);
            let hi = ctx.b.vextract(Lane::I64x2, 1, x);
            let f = ctx.b.const64(kind | e as u64);
            let r = ctx.b.call_helper(&helpers_fp::SAT_NARROW, &[lo, hi, f]);
            let z = zero(ctx);
            let v = ctx.b.vinsert(Lane::I64x2, 0, z, r);
            if s.scalar {
                write(ctx, rd(w), v, s, e);
            } else {
                write_narrow(ctx, rd(w), v, s.q);
            }
            return Ok(());
        }
        (true, 0b10011) => {
            // SHLL(2): widen, shift left by the element size (the sign cannot matter).
            if size == 3 || s.scalar {
                return Err(UNDEF);
            }
            let wl = wider(lane)?;
            let x = ctx.v(n);
            let wv = widen(ctx, x, eb, s.q, false);
            let r = ctx.b.vshift_imm(VecShift::Shl, wl, wv, e);
            ctx.set_v(rd(w), r);
            return Ok(());
        }
        (_, 0b00100) | (true, 0b00101) => {
            // CLS (U=0), CLZ (U=1), RBIT (U=1, opcode 00101, bytes only).
            let op = match (u, op) {
                (false, 0b00100) => helpers_fp::BITS_CLS,
                (true, 0b00100) => helpers_fp::BITS_CLZ,
                _ if size == 1 => helpers_fp::BITS_RBIT,
                _ => return Err(UNDEF),
            };
            if size == 3 || s.scalar {
                return Err(UNDEF);
            }
            let esize = if op == helpers_fp::BITS_RBIT {
                8
            } else {
                e as u64
            };
            let x = ctx.v(n);
            per_half(ctx, s.q, x, x, &|ctx, a, _| {
                let f = ctx.b.const64(op | esize);
                ctx.b.call_helper(&helpers_fp::VBITS, &[a, f])
            })
        }
        (_, 0b00011) | (_, 0b00111) => return Err(UNIMPL), // SUQADD/USQADD, SQABS/SQNEG
        _ => return Err(UNDEF),
    };
    write(ctx, rd(w), r, s, e);
    Ok(())
}

/// `v & c` with `c` in every lane of `lane`.
fn and_const_lanes(ctx: &mut Ctx, lane: Lane, v: Value, c: u128) -> Value {
    let k = lane_const(ctx, lane, c as u64);
    ctx.b.vbinary(VecOp::And, lane, v, k)
}

fn fp_two_reg_misc(ctx: &mut Ctx, w: u32, s: Shape, u: bool, size: u32, op: u32) -> LiftResult {
    let a = size >= 2;
    let sz = size & 1 == 1;
    let d = rd(w);
    let x = ctx.v(rn(w));
    // FCVTN/FCVTL (precision change between f64 and f32 lanes).
    if op == 0b10110 || op == 0b10111 {
        if u || a || s.scalar {
            return Err(UNIMPL); // FCVTXN, half-precision forms
        }
        if !sz {
            return Err(UNIMPL); // to/from half
        }
        if op == 0b10110 {
            // FCVTN(2): f64x2 -> f32 lanes in the low (or upper) half.
            let r = per_lane(ctx, Lane::F64x2, 2, &[x], |ctx, v| {
                ctx.b.fconvert(Type::F32, v[0])
            });
            write_narrow(ctx, d, r, s.q);
        } else {
            // FCVTL(2): f32 lanes of the low (or upper) half -> f64x2.
            let base = if s.q { 2 } else { 0 };
            let mut out = zero(ctx);
            for i in 0..2u8 {
                let v = ctx.b.vextract(Lane::F32x4, base + i, x);
                let c = ctx.b.fconvert(Type::F64, v);
                out = ctx.b.vinsert(Lane::F64x2, i, out, c);
            }
            ctx.set_v(d, out);
        }
        return Ok(());
    }
    if sz && !s.q {
        return Err(UNDEF);
    }
    let lane = flane(sz);
    let il = int_of(lane);
    let ft = lane.scalar();
    let it = il.scalar();
    let lanes = nlanes(lane, s);
    let z = zero(ctx);
    let r = match (u, a, op) {
        // FRINTN/M (a=0), FRINTP/Z (a=1), FRINTA, FRINTX/I
        (false, _, 0b11000) | (false, _, 0b11001) | (true, false, 0b11000) | (true, _, 0b11001)
            if !s.scalar =>
        {
            let rnd = match (u, a, op) {
                (false, false, 0b11000) => Rounding::Nearest,
                (false, false, _) => Rounding::Minus,
                (false, true, 0b11000) => Rounding::Plus,
                (false, true, _) => Rounding::Zero,
                (true, false, 0b11000) => Rounding::Away,
                _ => Rounding::Current,
            };
            per_lane(ctx, lane, lanes, &[x], |ctx, v| {
                fpl::frint_value(ctx, v[0], rnd)
            })
        }
        // FCVTNS/PS (11010), FCVTMS/ZS (11011), FCVTAS (11100, a=0); U=1 unsigned
        (_, _, 0b11010) | (_, _, 0b11011) | (_, false, 0b11100) => {
            let rnd = match (a, op) {
                (false, 0b11010) => Rounding::Nearest,
                (false, 0b11011) => Rounding::Minus,
                (true, 0b11010) => Rounding::Plus,
                (true, 0b11011) => Rounding::Zero,
                _ => Rounding::Away,
            };
            per_lane(ctx, lane, lanes, &[x], |ctx, v| {
                fpl::float_to_int(ctx, v[0], rnd, !u, it)
            })
        }
        // SCVTF/UCVTF (a=0, 11101)
        (_, false, 0b11101) => per_lane(ctx, il, lanes, &[x], |ctx, v| {
            if u {
                ctx.b.uinttof(ft, v[0])
            } else {
                ctx.b.sinttof(ft, v[0])
            }
        }),
        (false, true, 0b01100) => ctx.b.vbinary(VecOp::FCmpGt, lane, x, z),
        (true, true, 0b01100) => ctx.b.vbinary(VecOp::FCmpGe, lane, x, z),
        (false, true, 0b01101) => ctx.b.vbinary(VecOp::FCmpEq, lane, x, z),
        (true, true, 0b01101) => ctx.b.vbinary(VecOp::FCmpGe, lane, z, x),
        (false, true, 0b01110) => ctx.b.vbinary(VecOp::FCmpGt, lane, z, x),
        (false, true, 0b01111) if !s.scalar => ctx.b.vunary(VecUnOp::FAbs, lane, x),
        (true, true, 0b01111) if !s.scalar => ctx.b.vunary(VecUnOp::FNeg, lane, x),
        (true, true, 0b11111) if !s.scalar => {
            let r = ctx.b.vunary(VecUnOp::FSqrt, lane, x);
            arm_nan_v(ctx, lane, r, &[x])
        }
        _ => return Err(UNIMPL), // FRECPE, FRSQRTE, URECPE, URSQRTE, FRINT32/64, …
    };
    write(ctx, d, r, s, lane.lane_bits());
    Ok(())
}

// ---------------------------------------------------------------------------------------
// C4.1.96.{13,31} Advanced SIMD (scalar) across lanes / pairwise
// ---------------------------------------------------------------------------------------

/// ADDV, SADDLV/UADDLV, SMAXV/UMAXV, SMINV/UMINV, FMAXV/FMINV, FMAXNMV/FMINNMV.
pub fn across_lanes(ctx: &mut Ctx, w: u32) -> LiftResult {
    let q = bit(w, 30);
    let u = bit(w, 29);
    let size = bits(w, 23, 22);
    let op = bits(w, 16, 12);
    let x = ctx.v(rn(w));
    let d = rd(w);
    if op == 0b01100 || op == 0b01111 {
        // FP: only the .4s form (half precision not implemented).
        if !u {
            return Err(UNIMPL);
        }
        if size & 1 == 1 || !q {
            return Err(UNDEF);
        }
        let min = size >= 2;
        let lane = Lane::F32x4;
        let r = if op == 0b01100 {
            reduce(ctx, x, lane, true, &move |ctx, a, b| {
                vmaxmin_num(ctx, lane, a, b, !min)
            })
        } else {
            reduce(ctx, x, lane, true, &move |ctx, x, y| {
                vmaxmin(ctx, lane, x, y, !min)
            })
        };
        write(
            ctx,
            d,
            r,
            Shape {
                q: true,
                scalar: true,
            },
            32,
        );
        return Ok(());
    }
    if size == 3 || (size == 2 && !q) {
        return Err(UNDEF);
    }
    let lane = ilane(size);
    let e = lane.lane_bits();
    let r = match (u, op) {
        (_, 0b00011) => {
            // SADDLV/UADDLV: widen, then add.
            let eb = (e / 8) as usize;
            let wl = wider(lane)?;
            let lo = widen(ctx, x, eb, false, !u);
            let sum = if q {
                let hi = widen(ctx, x, eb, true, !u);
                ctx.b.vbinary(VecOp::Add, wl, lo, hi)
            } else {
                lo
            };
            let r = reduce(ctx, sum, wl, true, &vbin(VecOp::Add, wl));
            write(
                ctx,
                d,
                r,
                Shape {
                    q: true,
                    scalar: true,
                },
                2 * e,
            );
            return Ok(());
        }
        (false, 0b11011) => {
            let v = if q {
                x
            } else {
                and_const(ctx, x, low_mask(64))
            };
            reduce(ctx, v, lane, q, &vbin(VecOp::Add, lane))
        }
        (_, 0b01010) | (_, 0b11010) => {
            let v = if q { x } else { dup_low(ctx, x) };
            let vop = match (u, op) {
                (false, 0b01010) => VecOp::MaxS,
                (true, 0b01010) => VecOp::MaxU,
                (false, _) => VecOp::MinS,
                (true, _) => VecOp::MinU,
            };
            reduce(ctx, v, lane, true, &vbin(vop, lane))
        }
        _ => return Err(UNDEF),
    };
    write(
        ctx,
        d,
        r,
        Shape {
            q: true,
            scalar: true,
        },
        e,
    );
    Ok(())
}

/// Scalar pairwise: ADDP (D), FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (two lanes to one).
pub fn scalar_pairwise(ctx: &mut Ctx, w: u32) -> LiftResult {
    let u = bit(w, 29);
    let size = bits(w, 23, 22);
    let op = bits(w, 16, 12);
    let x = ctx.v(rn(w));
    let s = Shape {
        q: true,
        scalar: true,
    };
    if !u {
        if op == 0b11011 && size == 3 {
            let hi = shuffle(ctx, x, x, |i| (i + 8) % 16);
            let r = ctx.b.vbinary(VecOp::Add, Lane::I64x2, x, hi);
            write(ctx, rd(w), r, s, 64);
            return Ok(());
        }
        return Err(if op == 0b11011 { UNDEF } else { UNIMPL });
    }
    if size < 2 && op == 0b01101 || op == 0b01100 || op == 0b01111 {
        let sz = size & 1 == 1;
        let lane = flane(sz);
        let min = size >= 2;
        let eb = (lane.lane_bits() / 8) as usize;
        let hi = shuffle(ctx, x, x, |i| (i + eb) % 16);
        let r = match op {
            0b01101 => {
                let r = ctx.b.vbinary(VecOp::FAdd, lane, x, hi);
                arm_nan_v(ctx, lane, r, &[x, hi])
            }
            0b01100 => vmaxmin_num(ctx, lane, x, hi, !min),
            _ => vmaxmin(ctx, lane, x, hi, !min),
        };
        write(ctx, rd(w), r, s, lane.lane_bits());
        return Ok(());
    }
    Err(UNDEF)
}

// ---------------------------------------------------------------------------------------
// C4.1.96.{3,18} Advanced SIMD (scalar) copy
// ---------------------------------------------------------------------------------------

/// DUP (element, general), INS (element, general), SMOV, UMOV; scalar DUP (element).
pub fn copy(ctx: &mut Ctx, w: u32) -> LiftResult {
    let q = bit(w, 30);
    let op = bit(w, 29);
    let scalar = bit(w, 28);
    let imm5 = bits(w, 20, 16);
    let imm4 = bits(w, 14, 11);
    let size = imm5.trailing_zeros();
    if size > 3 {
        return Err(UNDEF);
    }
    let lane = ilane(size);
    let idx = imm5 >> (size + 1);
    let e = 8 << size;
    let (n, d) = (rn(w), rd(w));
    if scalar {
        if op || imm4 != 0 {
            return Err(UNDEF);
        }
        let x = ctx.v(n);
        let v = ctx.b.vextract(lane, idx as u8, x);
        ctx.set_v_scalar(d, v);
        return Ok(());
    }
    if op {
        // INS (element): imm4 holds the source index.
        if !q {
            return Err(UNDEF);
        }
        let src = imm4 >> size;
        let x = ctx.v(n);
        let v = ctx.b.vextract(lane, src as u8, x);
        let old = ctx.v(d);
        let r = ctx.b.vinsert(lane, idx as u8, old, v);
        ctx.set_v(d, r);
        return Ok(());
    }
    match imm4 {
        0b0000 => {
            if size == 3 && !q {
                return Err(UNDEF);
            }
            let x = ctx.v(n);
            let r = splat_lane(ctx, x, lane, idx);
            write(ctx, d, r, Shape { q, scalar: false }, e);
        }
        0b0001 => {
            if size == 3 && !q {
                return Err(UNDEF);
            }
            let g = if size == 3 { ctx.x(n) } else { ctx.w(n) };
            let g = ctx.b.zext_or_trunc(lane.scalar(), g);
            let r = ctx.b.vsplat(lane, g);
            write(ctx, d, r, Shape { q, scalar: false }, e);
        }
        0b0011 => {
            if !q {
                return Err(UNDEF);
            }
            let g = if size == 3 { ctx.x(n) } else { ctx.w(n) };
            let g = ctx.b.zext_or_trunc(lane.scalar(), g);
            let old = ctx.v(d);
            let r = ctx.b.vinsert(lane, idx as u8, old, g);
            ctx.set_v(d, r);
        }
        0b0101 | 0b0111 => {
            let signed = imm4 == 0b0101;
            // SMOV: to W (Q=0, size<2) or X (Q=1, size<3); UMOV: W (size<3, Q=0) or X (size 3, Q=1).
            let ok = if signed {
                size < 2 || (q && size < 3)
            } else {
                (q && size == 3) || (!q && size < 3)
            };
            if !ok {
                return Err(UNDEF);
            }
            let x = ctx.v(n);
            let v = ctx.b.vextract(lane, idx as u8, x);
            let ty = if q { Type::I64 } else { Type::I32 };
            let v = if signed {
                ctx.b.sext_or_trunc(ty, v)
            } else {
                ctx.b.zext_or_trunc(ty, v)
            };
            ctx.set_reg(q, d, v);
        }
        _ => return Err(UNDEF),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// C4.1.96.6 Advanced SIMD modified immediate
// ---------------------------------------------------------------------------------------

/// AdvSIMDExpandImm (ARM ARM J1): the 64-bit pattern of a modified immediate.
pub fn expand_imm(op: bool, cmode: u32, imm8: u32) -> u64 {
    let i = imm8 as u64;
    let rep32 = |x: u64| x << 32 | x;
    let rep16 = |x: u64| x << 48 | x << 32 | x << 16 | x;
    match cmode >> 1 {
        0 => rep32(i),
        1 => rep32(i << 8),
        2 => rep32(i << 16),
        3 => rep32(i << 24),
        4 => rep16(i),
        5 => rep16(i << 8),
        6 => {
            if cmode & 1 == 0 {
                rep32(i << 8 | 0xff)
            } else {
                rep32(i << 16 | 0xffff)
            }
        }
        _ => match (cmode & 1, op) {
            (0, false) => i * 0x0101_0101_0101_0101,
            (0, true) => (0..8).fold(0u64, |acc, b| {
                acc | if i >> b & 1 == 1 { 0xff << (8 * b) } else { 0 }
            }),
            (_, false) => {
                // FMOV (vector, single): imm8<7>:NOT(imm8<6>):Replicate(imm8<6>,5):imm8<5:0>:Zeros(19)
                let b6 = i >> 6 & 1;
                let x = (i >> 7) << 31
                    | (b6 ^ 1) << 30
                    | (if b6 == 1 { 0x1f } else { 0 }) << 25
                    | (i & 0x3f) << 19;
                rep32(x)
            }
            (_, true) => {
                let b6 = i >> 6 & 1;
                (i >> 7) << 63
                    | (b6 ^ 1) << 62
                    | (if b6 == 1 { 0xff } else { 0 }) << 54
                    | (i & 0x3f) << 48
            }
        },
    }
}

/// MOVI, MVNI, ORR (vector, immediate), BIC (vector, immediate), FMOV (vector, immediate).
pub fn modified_imm(ctx: &mut Ctx, w: u32) -> LiftResult {
    let q = bit(w, 30);
    let op = bit(w, 29);
    let cmode = bits(w, 15, 12);
    if bit(w, 11) {
        return Err(UNIMPL); // FMOV half precision (o2 = 1)
    }
    if cmode == 0b1111 && op && !q {
        return Err(UNDEF);
    }
    let imm8 = bits(w, 18, 16) << 5 | bits(w, 9, 5);
    let imm = expand_imm(op, cmode, imm8);
    let imm128 = (imm as u128) << 64 | imm as u128;
    let d = rd(w);
    // ORR/BIC: cmode 0xx1 and 10x1.
    let orr_bic = cmode & 1 == 1 && cmode < 0b1100;
    let r = if orr_bic {
        let old = ctx.v(d);
        if op {
            and_const(ctx, old, !imm128)
        } else {
            let k = ctx.b.v128const(imm128);
            ctx.b.vbinary(VecOp::Or, Lane::I64x2, old, k)
        }
    } else {
        // MVNI: cmode 0xx0, 10x0, 110x with op = 1.
        let inverted = op && cmode < 0b1110;
        ctx.b.v128const(if inverted { !imm128 } else { imm128 })
    };
    write(ctx, d, r, Shape { q, scalar: false }, 64);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// C4.1.96.{14,32} Advanced SIMD (scalar) shift by immediate
// ---------------------------------------------------------------------------------------

/// Shift by immediate, vector and scalar.
pub fn shift_imm(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = Shape::of(w);
    let u = bit(w, 29);
    let immh = bits(w, 22, 19);
    let immhb = bits(w, 22, 16);
    let op = bits(w, 15, 11);
    if immh == 0 {
        return Err(UNDEF);
    }
    let hsb = 31 - immh.leading_zeros();
    let e = 8u32 << hsb;
    let lane = ilane(hsb);
    let rshift = 2 * e - immhb;
    let lshift = immhb - e;
    let (n, d) = (rn(w), rd(w));
    let narrowing = matches!(op, 0b10000..=0b10011);
    let widening = op == 0b10100;
    if narrowing || widening {
        if hsb == 3 {
            return Err(UNDEF);
        }
    } else if hsb == 3 && !s.q {
        return Err(UNDEF);
    }
    if s.scalar {
        let ok = matches!(
            op,
            0b00000 | 0b00010 | 0b00100 | 0b00110 | 0b01000 | 0b01010
        ) && hsb == 3
            || matches!(op, 0b11100 | 0b11111) && hsb >= 2;
        if !ok {
            return Err(UNIMPL);
        }
    }
    let x = ctx.v(n);
    let r = match (u, op) {
        (_, 0b00000) | (_, 0b00010) | (_, 0b00100) | (_, 0b00110) => {
            let sh = shr(ctx, lane, x, rshift, !u, op & 0b00100 != 0);
            if op & 0b00010 != 0 {
                let acc = ctx.v(d);
                ctx.b.vbinary(VecOp::Add, lane, acc, sh)
            } else {
                sh
            }
        }
        (false, 0b01010) => ctx.b.vshift_imm(VecShift::Shl, lane, x, lshift),
        (true, 0b01010) => {
            // SLI: keep the destination's low `lshift` bits.
            let sh = ctx.b.vshift_imm(VecShift::Shl, lane, x, lshift);
            let keep = lane_const(ctx, lane, low_mask(lshift) as u64);
            let old = ctx.v(d);
            let kept = ctx.b.vbinary(VecOp::And, lane, old, keep);
            ctx.b.vbinary(VecOp::Or, lane, kept, sh)
        }
        (true, 0b01000) => {
            // SRI: keep the destination's top `rshift` bits.
            let old = ctx.v(d);
            if rshift >= e {
                old
            } else {
                let sh = ctx.b.vshift_imm(VecShift::LShr, lane, x, rshift);
                let keep = lane_const(ctx, lane, !(low_mask(e - rshift) as u64));
                let kept = ctx.b.vbinary(VecOp::And, lane, old, keep);
                ctx.b.vbinary(VecOp::Or, lane, kept, sh)
            }
        }
        (false, 0b10000) | (false, 0b10001) => {
            // SHRN, RSHRN (2): shift the double-width lanes, keep their low halves.
            let wl = wider(lane)?;
            let rs = 2 * e - immhb; // 1..=e
            let sh = shr(ctx, wl, x, rs, false, op == 0b10001);
            let r = narrow(ctx, sh, (e / 8) as usize);
            write_narrow(ctx, d, r, s.q);
            return Ok(());
        }
        (_, 0b10100) => {
            // SSHLL/USHLL (2), alias SXTL/UXTL.
            let wl = wider(lane)?;
            let wv = widen(ctx, x, (e / 8) as usize, s.q, !u);
            let r = if lshift > 0 {
                ctx.b.vshift_imm(VecShift::Shl, wl, wv, lshift)
            } else {
                wv
            };
            ctx.set_v(d, r);
            return Ok(());
        }
        (_, 0b11100) | (_, 0b11111) => {
            // SCVTF/UCVTF, FCVTZS/FCVTZU (vector, fixed-point): fbits = rshift.
            if hsb < 2 {
                return Err(UNIMPL); // half precision
            }
            let fl = if hsb == 3 { Lane::F64x2 } else { Lane::F32x4 };
            let ft = fl.scalar();
            let it = lane.scalar();
            let lanes = nlanes(fl, s);
            let scale = |ctx: &mut Ctx, neg: bool| -> Value {
                let p = if neg { -(rshift as i32) } else { rshift as i32 };
                if ft == Type::F32 {
                    ctx.b.f32const((p as f32).exp2())
                } else {
                    ctx.b.f64const((p as f64).exp2())
                }
            };
            if op == 0b11100 {
                per_lane(ctx, lane, lanes, &[x], |ctx, v| {
                    let f = if u {
                        ctx.b.uinttof(ft, v[0])
                    } else {
                        ctx.b.sinttof(ft, v[0])
                    };
                    let k = scale(ctx, true);
                    ctx.b.fmul(f, k)
                })
            } else {
                per_lane(ctx, fl, lanes, &[x], |ctx, v| {
                    let k = scale(ctx, false);
                    let m = ctx.b.fmul(v[0], k);
                    if u {
                        ctx.b.ftouint(it, m)
                    } else {
                        ctx.b.ftosint(it, m)
                    }
                })
            }
        }
        (false, 0b10010) | (false, 0b10011) | (true, 0b10000..=0b10011) => {
            // SQSHRN/SQRSHRN (signed to signed), SQSHRUN/SQRSHRUN (signed to unsigned),
            // UQSHRN/UQRSHRN (unsigned): shift the double-width lanes (rounding for odd
            // opcodes), then narrow with saturation (FPSR.QC is not recorded).
            if s.scalar {
                return Err(UNIMPL);
            }
            let wl = wider(lane)?;
            let rs = 2 * e - immhb;
            let signed_src = !(u && op >= 0b10010);
            let sh = shr(ctx, wl, x, rs, signed_src, op & 1 == 1);
            let kind = match (u, op >= 0b10010) {
                (false, _) => helpers_fp::NARROW_SQXTN,
                (true, false) => helpers_fp::NARROW_SQXTUN,
                (true, true) => helpers_fp::NARROW_UQXTN,
            };
            let lo = ctx.b.vextract(Lane::I64x2, 0, sh);
            let hi = ctx.b.vextract(Lane::I64x2, 1, sh);
            let f = ctx.b.const64(kind | e as u64);
            let r = ctx.b.call_helper(&helpers_fp::SAT_NARROW, &[lo, hi, f]);
            let z = zero(ctx);
            let v = ctx.b.vinsert(Lane::I64x2, 0, z, r);
            write_narrow(ctx, d, v, s.q);
            return Ok(());
        }
        (_, 0b01100) | (_, 0b01110) => {
            return Err(UNIMPL); // SQSHLU, SQSHL/UQSHL (immediate)
        }
        _ => return Err(UNDEF),
    };
    write(ctx, d, r, s, e);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// C4.1.96.{5,10,11} permute, extract, table lookup
// ---------------------------------------------------------------------------------------

/// UZP1/UZP2, TRN1/TRN2, ZIP1/ZIP2.
pub fn permute(ctx: &mut Ctx, w: u32) -> LiftResult {
    let q = bit(w, 30);
    let size = bits(w, 23, 22);
    let op = bits(w, 14, 12);
    if size == 3 && !q {
        return Err(UNDEF);
    }
    if op == 0 || op == 4 {
        return Err(UNDEF);
    }
    let e = 1usize << size;
    let l = 16 / e;
    let lq = if q { l } else { l / 2 };
    // Element k of the (virtual) concatenation of the two operands' used halves.
    let src = move |k: usize| if k < lq { k } else { l + k - lq };
    let part = (op >> 2) as usize; // 0 for the "1" forms, 1 for the "2" forms
    let (n, m) = (ctx.v(rn(w)), ctx.v(rm(w)));
    let r = eshuffle(ctx, n, m, e, move |i| {
        let i = i % lq.max(1);
        match op & 3 {
            1 => src((2 * i + part) % (2 * lq)),
            2 => {
                let pair = i / 2;
                if i % 2 == 0 {
                    src(2 * pair + part)
                } else {
                    src(lq + 2 * pair + part)
                }
            }
            _ => {
                let base = part * lq / 2;
                if i % 2 == 0 {
                    src(base + i / 2)
                } else {
                    src(lq + base + i / 2)
                }
            }
        }
    });
    write(ctx, rd(w), r, Shape { q, scalar: false }, 8);
    Ok(())
}

/// EXT.
pub fn ext(ctx: &mut Ctx, w: u32) -> LiftResult {
    let q = bit(w, 30);
    let imm4 = bits(w, 14, 11) as usize;
    if !q && imm4 >= 8 {
        return Err(UNDEF);
    }
    let (n, m) = (ctx.v(rn(w)), ctx.v(rm(w)));
    let r = shuffle(ctx, n, m, |i| {
        if q {
            imm4 + i
        } else {
            let k = (imm4 + i) % 16;
            if k < 8 { k } else { 16 + k - 8 }
        }
    });
    write(ctx, rd(w), r, Shape { q, scalar: false }, 8);
    Ok(())
}

/// TBL/TBX with 1–4 table registers.
pub fn table_lookup(ctx: &mut Ctx, w: u32) -> LiftResult {
    let q = bit(w, 30);
    let len = bits(w, 14, 13) + 1;
    let tbx = bit(w, 12);
    let (n, d) = (rn(w), rd(w));
    let idx = ctx.v(rm(w));
    let tables: Vec<Value> = (0..len).map(|k| ctx.v((n + k) % 32)).collect();
    let old = if tbx { Some(ctx.v(d)) } else { None };
    let mut out = zero(ctx);
    let mut shifted = vec![idx];
    for k in 1..len {
        let c = lane_const(ctx, Lane::I8x16, 16 * k as u64);
        let s = ctx.b.vbinary(VecOp::Sub, Lane::I8x16, idx, c);
        shifted.push(s);
    }
    for h in 0..if q { 2u8 } else { 1 } {
        let mut acc = match old {
            Some(o) => ctx.b.vextract(Lane::I64x2, h, o),
            None => ctx.b.const64(0),
        };
        for k in 0..len as usize {
            let lo = ctx.b.vextract(Lane::I64x2, 0, tables[k]);
            let hi = ctx.b.vextract(Lane::I64x2, 1, tables[k]);
            let ix = ctx.b.vextract(Lane::I64x2, h, shifted[k]);
            acc = ctx.b.call_helper(&helpers_fp::TBX8, &[lo, hi, ix, acc]);
        }
        out = ctx.b.vinsert(Lane::I64x2, h, out, acc);
    }
    ctx.set_v(d, out);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// C4.1.96.4 Advanced SIMD three different
// ---------------------------------------------------------------------------------------

/// Widening and narrowing three-register forms: xADDL/xADDW/xSUBL/xSUBW, xABAL/xABDL,
/// xMLAL/xMLSL/xMULL, ADDHN/SUBHN.
pub fn three_different(ctx: &mut Ctx, w: u32) -> LiftResult {
    let q = bit(w, 30);
    let u = bit(w, 29);
    let size = bits(w, 23, 22);
    let op = bits(w, 15, 12);
    if op == 0b1110 && !u {
        return super::crypto::pmull(ctx, w);
    }
    if size == 3 {
        return Err(UNDEF);
    }
    let known = matches!(
        op,
        0b0000..=0b0011 | 0b0101 | 0b0111 | 0b1000 | 0b1010 | 0b1100
    ) || (matches!(op, 0b0100 | 0b0110) && !u);
    if !known {
        return Err(UNIMPL);
    }
    let lane = ilane(size);
    let wl = wider(lane)?;
    let e = (lane.lane_bits() / 8) as usize;
    let (n, m, d) = (ctx.v(rn(w)), ctx.v(rm(w)), rd(w));
    if op == 0b0100 || op == 0b0110 {
        // ADDHN/SUBHN: high halves of the wide sums, narrowed.
        let r = ctx
            .b
            .vbinary(if op == 0b0100 { VecOp::Add } else { VecOp::Sub }, wl, n, m);
        let h = ctx.b.vshift_imm(VecShift::LShr, wl, r, 8 * e as u32);
        let r = narrow(ctx, h, e);
        write_narrow(ctx, d, r, q);
        return Ok(());
    }
    let wm = widen(ctx, m, e, q, !u);
    let wn = if op == 0b0001 || op == 0b0011 {
        n
    } else {
        widen(ctx, n, e, q, !u)
    };
    let r = match op {
        0b0000 | 0b0001 => ctx.b.vbinary(VecOp::Add, wl, wn, wm),
        0b0010 | 0b0011 => ctx.b.vbinary(VecOp::Sub, wl, wn, wm),
        0b0101 | 0b0111 => {
            let hi = ctx
                .b
                .vbinary(if u { VecOp::MaxU } else { VecOp::MaxS }, wl, wn, wm);
            let lo = ctx
                .b
                .vbinary(if u { VecOp::MinU } else { VecOp::MinS }, wl, wn, wm);
            let abd = ctx.b.vbinary(VecOp::Sub, wl, hi, lo);
            if op == 0b0101 {
                let acc = ctx.v(d);
                ctx.b.vbinary(VecOp::Add, wl, acc, abd)
            } else {
                abd
            }
        }
        _ => {
            let p = ctx.b.vbinary(VecOp::Mul, wl, wn, wm);
            match op {
                0b1000 | 0b1010 => {
                    let acc = ctx.v(d);
                    ctx.b.vbinary(
                        if op == 0b1000 { VecOp::Add } else { VecOp::Sub },
                        wl,
                        acc,
                        p,
                    )
                }
                _ => p,
            }
        }
    };
    ctx.set_v(d, r);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// C4.1.96.{16,34} Advanced SIMD (scalar) x indexed element
// ---------------------------------------------------------------------------------------

/// MUL/MLA/MLS, FMUL/FMLA/FMLS, xMULL/xMLAL/xMLSL by element, vector and scalar (FP).
pub fn indexed(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = Shape::of(w);
    let u = bit(w, 29);
    let size = bits(w, 23, 22);
    let op = bits(w, 15, 12);
    let (l, m_hi, h) = (bit(w, 21) as u32, bit(w, 20) as u32, bit(w, 11) as u32);
    let is_fp = matches!((u, op), (false, 0b0001 | 0b0101 | 0b1001));
    let d = rd(w);
    if is_fp {
        if size < 2 {
            return Err(UNIMPL); // half precision
        }
        let sz = size == 3;
        if sz && (l == 1 || !s.q) {
            return Err(UNDEF);
        }
        let lane = flane(sz);
        let idx = if sz { h } else { h << 1 | l };
        let m = ctx.v(m_hi << 4 | bits(w, 19, 16));
        let n = ctx.v(rn(w));
        let el = splat_lane(ctx, m, lane, idx);
        let lanes = nlanes(lane, s);
        let r = match op {
            0b1001 => {
                let r = ctx.b.vbinary(VecOp::FMul, lane, n, el);
                arm_nan_v(ctx, lane, r, &[n, el])
            }
            _ => {
                let acc = ctx.v(d);
                let n2 = if op == 0b0101 {
                    ctx.b.vunary(VecUnOp::FNeg, lane, n)
                } else {
                    n
                };
                vfma(ctx, lane, lanes, n2, el, acc)
            }
        };
        write(ctx, d, r, s, lane.lane_bits());
        return Ok(());
    }
    if s.scalar {
        return Err(UNIMPL); // SQDMULH and friends
    }
    let (idx, mreg) = match size {
        1 => (h << 2 | l << 1 | m_hi, bits(w, 19, 16)),
        2 => (h << 1 | l, m_hi << 4 | bits(w, 19, 16)),
        _ => return Err(UNDEF),
    };
    let lane = ilane(size);
    let known = matches!(
        (u, op),
        (false, 0b1000) | (true, 0b0000) | (true, 0b0100) | (_, 0b0010) | (_, 0b0110) | (_, 0b1010)
    );
    if !known {
        return Err(UNIMPL);
    }
    let m = ctx.v(mreg);
    let n = ctx.v(rn(w));
    let el = splat_lane(ctx, m, lane, idx);
    match op {
        0b1000 | 0b0000 | 0b0100 => {
            let p = vmul(ctx, lane, n, el);
            let r = if op == 0b1000 {
                p
            } else {
                let acc = ctx.v(d);
                ctx.b.vbinary(
                    if op == 0b0000 { VecOp::Add } else { VecOp::Sub },
                    lane,
                    acc,
                    p,
                )
            };
            write(ctx, d, r, s, lane.lane_bits());
        }
        _ => {
            let wl = wider(lane)?;
            let e = (lane.lane_bits() / 8) as usize;
            let wn = widen(ctx, n, e, s.q, !u);
            let we = widen(ctx, el, e, false, !u);
            let p = ctx.b.vbinary(VecOp::Mul, wl, wn, we);
            let r = match op {
                0b1010 => p,
                _ => {
                    let acc = ctx.v(d);
                    ctx.b.vbinary(
                        if op == 0b0010 { VecOp::Add } else { VecOp::Sub },
                        wl,
                        acc,
                        p,
                    )
                }
            };
            ctx.set_v(d, r);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_immediates_expand() {
        assert_eq!(expand_imm(false, 0b1110, 0xab), 0xabab_abab_abab_abab);
        assert_eq!(expand_imm(true, 0b1110, 0b1000_0001), 0xff00_0000_0000_00ff);
        assert_eq!(expand_imm(false, 0b0010, 0x12), 0x0000_1200_0000_1200);
        assert_eq!(expand_imm(false, 0b0100, 0x12), 0x0012_0000_0012_0000);
        assert_eq!(expand_imm(false, 0b1010, 0x12), 0x1200_1200_1200_1200);
        assert_eq!(expand_imm(false, 0b1100, 0x12), 0x0000_12ff_0000_12ff);
        assert_eq!(expand_imm(false, 0b1101, 0x12), 0x0012_ffff_0012_ffff);
        // FMOV v0.4s, #1.0 (imm8 0x70) and v0.2d, #1.0.
        assert_eq!(expand_imm(false, 0b1111, 0x70) as u32, 1.0f32.to_bits());
        assert_eq!(expand_imm(true, 0b1111, 0x70), 1.0f64.to_bits());
    }
}
