//! x87 FPU helpers (SDM Vol. 1, chapter 8): the lifter (`lift/x87.rs`) turns every x87
//! instruction into one call of a helper here, which works on [`X87State`] in the guest state.
//!
//! ```text
//!  lift/x87.rs ──CallHelper──► x87_load / x87_store / x87_arith / x87_cmp / x87_misc / x87_image
//!                                 │ (selector in argument a, memory operand bits in b, c)
//!                                 └► Fpu: register stack, tags, FSW flags, rounding
//! ```
//!
//! Helpers never touch guest memory: the lifter loads memory operands in IR and passes their
//! bits, and stores what a helper returns (the exponent word of an m80 store and whole
//! environment images go through `X87State::img`). Faults therefore stay precise and both
//! tiers share every line of the arithmetic.
//!
//! Normal operands with normal results (the common case) take integer fast paths: FADD…FDIVR,
//! FSQRT, FRNDINT, m32fp/m64fp/integer loads and stores and compares work on the 64-bit
//! significands, round once to FCW.PC bits by FCW.RC and read C1 off that rounding (see
//! "fast paths" below; `fast_paths_match_the_exact_ones` checks them against apfloat).
//! Everything else goes the exact apfloat way described next.
//!
//! Arithmetic (FADD…FDIVR, FSQRT, FPREM/FPREM1, FRNDINT, FSCALE, FXTRACT, conversions) is exact
//! with `rustc_apfloat`. With FCW.PC = 64 bits (Linux's default) FADD…FDIVR are one correctly
//! rounded apfloat operation in the 80-bit format by FCW.RC (plus one toward zero when inexact,
//! for C1). Otherwise (PC = 24 or 53 bits, FSQRT, FPREM, FSCALE, and results that may have
//! overflowed) an operation is done in a 127-bit-significand format (`WideS`, exponent range
//! far beyond the 80-bit one) rounded toward zero with the sticky bit forced into the last
//! place ("round to odd"), then rounded once to the precision FCW.PC selects (with the
//! extended exponent range) by FCW.RC; 127 ≥ 64 + 2 bits make that double rounding equal to
//! one correct rounding. FSQRT uses an exact integer square root. C1 after an inexact result
//! says whether it was rounded up; IE/DE/ZE/OE/UE/PE/SF, C0–C3 and stack faults follow the
//! SDM and, where it leaves a choice (NaN of equal significands, C1 of FCOMI/FFREE, C2 after a
//! faulting FPREM, FPREM's partial-remainder step), what the host CPU does in
//! `tests/x87_differential.rs`.
//!
//! Transcendentals (F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS) are computed
//! with the host's f64 functions on the operand split as hi + lo (two f64), adding the
//! first-order term in lo: about 52 correct bits instead of hardware's ~64 (FYL2X scales
//! exactly by the exponent and takes only log2 of the significand in f64; the product with
//! ST(1) is exact-rounded). Near the zeros of sin/cos/tan and the poles of tan only the
//! absolute error stays below 2^-52; FSIN/FCOS/FPTAN/FSINCOS reduce their argument in f64
//! (exactly, for the f64 part), where hardware uses a 66-bit pi. Every such result sets PE.
//!
//! Not modelled: unmasked exceptions (Linux starts programs with all masked; an unmasked one
//! only sets ES and B, no #MF/SIGFPE is delivered), FIP/FDP/FOP (stored as 0), denormal
//! results rounded to PC 24/53 bits (they get that precision's denormal range, not the
//! extended one).

use crate::state::{X86State, X87State};
use rustc_apfloat::ieee::{
    Double, IeeeFloat, Semantics, Single, X87DoubleExtended, X87DoubleExtendedS,
};
use rustc_apfloat::{Category, Float, FloatConvert, Round, Status, StatusAnd};
use std::cmp::Ordering;
use xarch_translator::ir::Helper;

type F = X87DoubleExtended;

/// Declares apfloat formats: `Name(bits, exponent bits, significand bits)`.
macro_rules! formats {
    ($($(#[$doc:meta])* $name:ident($bits:expr, $exp:expr, $prec:expr);)*) => {$(
        $(#[$doc])*
        struct $name;
        impl Semantics for $name {
            const BITS: usize = $bits;
            const EXP_BITS: usize = $exp;
            const PRECISION: usize = $prec;
        }
    )*};
}

formats! {
    /// The exact intermediate format: 127-bit significand, 20-bit exponent.
    WideS(148, 20, 127);
    /// Extended exponent range, 24-bit significand (FCW.PC = 00).
    Pc24S(80, 15, 24);
    /// Extended exponent range, 53-bit significand (FCW.PC = 10).
    Pc53S(80, 15, 53);
    /// Unbounded-exponent formats of 24, 53 and 64 bits: rounding into them tells whether a
    /// result overflows (apfloat reports a rounding to the largest finite value as inexact
    /// only).
    U24S(45, 20, 24);
    U53S(74, 20, 53);
    U64S(85, 20, 64);
}
type W = IeeeFloat<WideS>;

/// `w` rounded by `rc` into format `S` (status and value, the value back in format `T`).
fn round_via<S: Semantics, T: Semantics>(w: W, rc: Round) -> StatusAnd<IeeeFloat<T>> {
    let mut li = false;
    let t: StatusAnd<IeeeFloat<S>> = w.convert_r(rc, &mut li);
    t.map(|v| v.convert(&mut li).value)
}

/// Whether `w` rounded by `rc` to `bits` of significand exceeds `limit` (the destination's
/// largest finite value): IEEE overflow.
fn overflows(w: W, bits: u32, rc: Round, limit: W) -> bool {
    if !w.is_finite() {
        return false;
    }
    let r: W = match bits {
        24 => round_via::<U24S, WideS>(w, rc).value,
        53 => round_via::<U53S, WideS>(w, rc).value,
        _ => round_via::<U64S, WideS>(w, rc).value,
    };
    r.abs() > limit
}

fn largest_w<S: Semantics>() -> W {
    let mut li = false;
    IeeeFloat::<S>::largest().convert(&mut li).value
}

const MASK80: u128 = (1 << 80) - 1;
/// The "real indefinite" QNaN the x87 produces for masked invalid operations.
pub const INDEFINITE: u128 = 0xffff_c000_0000_0000_0000;

/// FSW bits (TOP lives in `X87State::top`).
pub mod sw {
    pub const IE: u16 = 1 << 0;
    pub const DE: u16 = 1 << 1;
    pub const ZE: u16 = 1 << 2;
    pub const OE: u16 = 1 << 3;
    pub const UE: u16 = 1 << 4;
    pub const PE: u16 = 1 << 5;
    pub const SF: u16 = 1 << 6;
    pub const ES: u16 = 1 << 7;
    pub const C0: u16 = 1 << 8;
    pub const C1: u16 = 1 << 9;
    pub const C2: u16 = 1 << 10;
    pub const C3: u16 = 1 << 14;
    pub const B: u16 = 1 << 15;
    pub const CC: u16 = C0 | C1 | C2 | C3;
}

/// Constants FLD1…FLDZ push (exact 64-bit significands as the FPU holds them; the FPU rounds
/// the irrational ones by RC, see `load_const`).
const CONSTS: [u128; 7] = [
    0x3fff_8000_0000_0000_0000, // 1
    0x4000_d49a_784b_cd1b_8afe, // log2(10)
    0x3fff_b8aa_3b29_5c17_f0bc, // log2(e)
    0x4000_c90f_daa2_2168_c235, // pi
    0x3ffd_9a20_9a84_fbcf_f799, // log10(2)
    0x3ffe_b172_17f7_d1cf_79ac, // ln(2)
    0,                          // +0
];
/// The same rounded down and up: the FPU holds them with 66 bits (SDM 8.3.8), log2(10) as
/// …8afe|10 (to nearest: 8afe, up: 8aff), the others as …|11 below the nearest value
/// (log2(e) …f0bb|11: nearest and up f0bc, down f0bb; likewise pi, log10(2), ln(2)).
const CONSTS_DOWN: [u128; 7] = [
    0x3fff_8000_0000_0000_0000,
    0x4000_d49a_784b_cd1b_8afe,
    0x3fff_b8aa_3b29_5c17_f0bb,
    0x4000_c90f_daa2_2168_c234,
    0x3ffd_9a20_9a84_fbcf_f798,
    0x3ffe_b172_17f7_d1cf_79ab,
    0,
];
const CONSTS_UP: [u128; 7] = [
    0x3fff_8000_0000_0000_0000,
    0x4000_d49a_784b_cd1b_8aff,
    0x3fff_b8aa_3b29_5c17_f0bc,
    0x4000_c90f_daa2_2168_c235,
    0x3ffd_9a20_9a84_fbcf_f799,
    0x3ffe_b172_17f7_d1cf_79ac,
    0,
];

fn is_nan_bits(v: u128) -> bool {
    (v >> 64) & 0x7fff == 0x7fff && (v as u64) << 1 != 0
}
fn is_snan_bits(v: u128) -> bool {
    is_nan_bits(v) && (v as u64) & (1 << 62) == 0
}
/// Pseudo-NaN, pseudo-infinity, unnormal: encodings the 387 and later reject (#IA).
fn is_unsupported(v: u128) -> bool {
    let e = (v >> 64) & 0x7fff;
    e != 0 && (v as u64) >> 63 == 0
}
fn is_denormal_bits(v: u128) -> bool {
    (v >> 64) & 0x7fff == 0 && v as u64 != 0
}
fn quiet(v: u128) -> u128 {
    v | (1 << 62)
}
fn neg_bits(v: u128) -> u128 {
    v ^ (1 << 79)
}
fn sign_bits(v: u128) -> bool {
    v >> 79 & 1 != 0
}

fn f(v: u128) -> F {
    F::from_bits(v & MASK80)
}
fn widen(x: F) -> W {
    let mut li = false;
    x.convert(&mut li).value
}

fn rc_round(fcw: u16) -> Round {
    match (fcw >> 10) & 3 {
        0 => Round::NearestTiesToEven,
        1 => Round::TowardNegative,
        2 => Round::TowardPositive,
        _ => Round::TowardZero,
    }
}

fn status_bits(s: Status) -> u16 {
    let mut r = 0;
    if s.contains(Status::INVALID_OP) {
        r |= sw::IE;
    }
    if s.contains(Status::DIV_BY_ZERO) {
        r |= sw::ZE;
    }
    if s.contains(Status::OVERFLOW) {
        r |= sw::OE;
    }
    if s.contains(Status::UNDERFLOW) {
        r |= sw::UE;
    }
    if s.contains(Status::INEXACT) {
        r |= sw::PE;
    }
    r
}

/// The 127-bit significand of a finite non-zero wide value as an integer.
fn wide_sig(v: W) -> u128 {
    let e = v.ilogb();
    let mut exact = false;
    v.abs()
        .scalbn(126 - e)
        .to_u128_r(128, Round::TowardZero, &mut exact)
        .value
}

/// Round to odd: a truncated inexact result gets its last bit set.
fn odd(r: StatusAnd<W>) -> W {
    let v = r.value;
    if r.status.contains(Status::INEXACT) && v.is_finite_non_zero() && wide_sig(v) & 1 == 0 {
        if v.is_negative() {
            v.next_down().value
        } else {
            v.next_up().value
        }
    } else {
        v
    }
}

/// Binary operations of FADD…FDIVR (reverse forms swap the operands before).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOp {
    Add,
    Mul,
    Sub,
    Div,
}

/// The FPU as the helpers see it.
pub struct Fpu<'a> {
    pub s: &'a mut X87State,
    /// A memory operand was a denormal of its own format (m32fp/m64fp): #D when the
    /// operation gets that far (NaN operands and stack faults take precedence).
    pub pending_de: bool,
}

/// A field of the state read with exactly its own width. The helpers store FSW as 16 bits,
/// FTW as 8 and a register as two 64-bit halves, and the next helper soon reads them back; a
/// load the compiler would widen or merge (FTW with its padding, FCW with FSW, a register
/// as one 128-bit load) cannot be forwarded from those stores and stalls each x87
/// instruction for some 15 cycles.
fn read<T: Copy>(field: &T) -> T {
    // SAFETY: a read through a reference to a live, aligned, initialised value; volatile only
    // so that it is not widened or merged with its neighbours.
    unsafe { std::ptr::read_volatile(field) }
}

impl Fpu<'_> {
    fn phys(&self, i: u32) -> usize {
        ((self.s.top + i) & 7) as usize
    }
    /// ST(i), or None when its register is empty.
    pub fn st(&self, i: u32) -> Option<u128> {
        let p = self.phys(i);
        (read(&self.s.ftw) & 1 << p != 0).then(|| read(&self.s.regs[p]) & MASK80)
    }
    pub fn set_st(&mut self, i: u32, v: u128) {
        let p = self.phys(i);
        self.s.regs[p] = v & MASK80;
        self.s.ftw |= 1 << p;
    }
    fn flag(&mut self, bits: u16) {
        self.s.fsw |= bits;
        if read(&self.s.fsw) & !read(&self.s.fcw) & 0x3f != 0 {
            self.s.fsw |= sw::ES | sw::B;
        }
    }
    fn set_c1(&mut self, on: bool) {
        if on {
            self.s.fsw |= sw::C1;
        } else {
            self.s.fsw &= !sw::C1;
        }
    }
    fn set_cc(&mut self, c3: bool, c2: bool, c1: bool, c0: bool) {
        self.s.fsw &= !sw::CC;
        for (on, b) in [(c3, sw::C3), (c2, sw::C2), (c1, sw::C1), (c0, sw::C0)] {
            if on {
                self.s.fsw |= b;
            }
        }
    }
    /// Stack underflow (#IS): IE | SF, C1 = 0.
    fn underflow(&mut self) {
        self.flag(sw::IE | sw::SF);
        self.set_c1(false);
    }
    pub fn push(&mut self, v: u128) {
        let p = ((self.s.top + 7) & 7) as usize;
        self.s.top = p as u32;
        if read(&self.s.ftw) >> p & 1 != 0 {
            // Stack overflow (#IS with C1 = 1): the masked response pushes the indefinite.
            self.flag(sw::IE | sw::SF);
            self.set_c1(true);
            self.set_st(0, INDEFINITE);
        } else {
            self.set_c1(false);
            self.set_st(0, v);
        }
    }
    pub fn pop(&mut self) {
        let p = self.phys(0);
        self.s.ftw &= !(1 << p);
        self.s.top = (self.s.top + 1) & 7;
    }
    fn round(&self) -> Round {
        rc_round(read(&self.s.fcw))
    }

    /// Rounds an exact-or-odd wide value to the destination: `pc` bits of significand (24,
    /// 53, 64) with the extended exponent range, by RC; sets PE/UE/OE and C1 ("rounded up").
    fn finish(&mut self, w: W, pc: u32) -> u128 {
        let rc = self.round();
        let r: StatusAnd<F> = match pc {
            24 => round_via::<Pc24S, X87DoubleExtendedS>(w, rc),
            53 => round_via::<Pc53S, X87DoubleExtendedS>(w, rc),
            _ => round_via::<X87DoubleExtendedS, X87DoubleExtendedS>(w, rc),
        };
        let limit = match pc {
            24 => largest_w::<Pc24S>(),
            53 => largest_w::<Pc53S>(),
            _ => largest_w::<X87DoubleExtendedS>(),
        };
        if overflows(w, pc, rc, limit) {
            self.flag(sw::OE);
        }
        self.flag(status_bits(r.status));
        let up = r.status.contains(Status::INEXACT)
            && widen(r.value).abs().partial_cmp(&w.abs()) == Some(Ordering::Greater);
        self.set_c1(up);
        r.value.to_bits()
    }

    fn pc_bits(&self) -> u32 {
        match (read(&self.s.fcw) >> 8) & 3 {
            0 => 24,
            2 => 53,
            _ => 64,
        }
    }

    /// Common NaN and unsupported-operand handling of a two-operand operation (SDM Table
    /// 4-7, x87 column): Some(result) when an operand decides it.
    fn nan2(&mut self, a: u128, b: u128) -> Option<u128> {
        if is_unsupported(a) || is_unsupported(b) {
            self.flag(sw::IE);
            self.set_c1(false);
            return Some(INDEFINITE);
        }
        let (na, nb) = (is_nan_bits(a), is_nan_bits(b));
        if !na && !nb {
            return None;
        }
        self.set_c1(false);
        if is_snan_bits(a) || is_snan_bits(b) {
            self.flag(sw::IE);
        }
        let (sa, sb) = (is_snan_bits(a), is_snan_bits(b));
        Some(match (na, nb) {
            // An SNaN and a QNaN: the QNaN.
            (true, true) if sa != sb => {
                if sa {
                    quiet(b)
                } else {
                    quiet(a)
                }
            }
            (true, true) => {
                let (ma, mb) = (a as u64 & !(1 << 62), b as u64 & !(1 << 62));
                match ma.cmp(&mb) {
                    Ordering::Greater => quiet(a),
                    Ordering::Less => quiet(b),
                    // Equal significands: the positive one.
                    Ordering::Equal if sign_bits(a) => quiet(b),
                    Ordering::Equal => quiet(a),
                }
            }
            (true, false) => quiet(a),
            _ => quiet(b),
        })
    }

    fn denormal_check(&mut self, vs: &[u128]) {
        if self.pending_de || vs.iter().any(|&v| is_denormal_bits(v)) {
            self.flag(sw::DE);
        }
    }

    /// `a op b` with x87 semantics, rounded to FCW.PC bits by FCW.RC.
    pub fn binop(&mut self, op: BinOp, a: u128, b: u128) -> u128 {
        match self.binop_fast(op, a, b) {
            Some(r) => r,
            None => self.binop_exact(op, a, b),
        }
    }

    /// [`Fpu::binop`] for every operand, with apfloat.
    #[inline(never)]
    fn binop_exact(&mut self, op: BinOp, a: u128, b: u128) -> u128 {
        if let Some(r) = self.nan2(a, b) {
            self.set_c1(false);
            return r;
        }
        // A division by zero raises ZE only, whatever the dividend (as the CPU does).
        if !(op == BinOp::Div && f(b).is_zero()) {
            self.denormal_check(&[a, b]);
        }
        let pc = self.pc_bits();
        let fast = if pc == 64 {
            self.binop_ext(op, a, b)
        } else {
            None
        };
        if let Some(r) = fast {
            return r;
        }
        let (x, y) = (widen(f(a)), widen(f(b)));
        let tz = Round::TowardZero;
        let r = match op {
            BinOp::Add => x.add_r(y, tz),
            BinOp::Sub => x.sub_r(y, tz),
            BinOp::Mul => x.mul_r(y, tz),
            BinOp::Div => x.div_r(y, tz),
        };
        if r.status.contains(Status::INVALID_OP) {
            self.flag(sw::IE);
            self.set_c1(false);
            return INDEFINITE;
        }
        if r.status.contains(Status::DIV_BY_ZERO) {
            self.flag(sw::ZE);
            self.set_c1(false);
            return (r.value.is_negative() as u128) << 79 | 0x7fff_8000_0000_0000_0000;
        }
        let mut w = odd(r);
        if w.is_zero() && matches!(op, BinOp::Add | BinOp::Sub) {
            // An exact zero sum: its sign depends on RC (−0 only when rounding down).
            w = match op {
                BinOp::Add => x.add_r(y, self.round()).value,
                _ => x.sub_r(y, self.round()).value,
            };
        }
        self.finish(w, pc)
    }

    /// The fast path of [`Fpu::binop`] for PC = 64 (the Linux default): one correctly
    /// rounded apfloat operation in the 80-bit format itself, and one toward zero for C1
    /// when inexact. None (nothing changed) when the result is the largest finite value and
    /// inexact: whether that overflowed needs the exact magnitude (the wide path).
    fn binop_ext(&mut self, op: BinOp, a: u128, b: u128) -> Option<u128> {
        let (x, y) = (f(a), f(b));
        let go = |rc| match op {
            BinOp::Add => x.add_r(y, rc),
            BinOp::Sub => x.sub_r(y, rc),
            BinOp::Mul => x.mul_r(y, rc),
            BinOp::Div => x.div_r(y, rc),
        };
        let r = go(self.round());
        let st = r.status;
        if st.contains(Status::INVALID_OP) {
            self.flag(sw::IE);
            self.set_c1(false);
            return Some(INDEFINITE);
        }
        if st.contains(Status::DIV_BY_ZERO) {
            self.flag(sw::ZE);
            self.set_c1(false);
            return Some((r.value.is_negative() as u128) << 79 | 0x7fff_8000_0000_0000_0000);
        }
        let inexact = st.contains(Status::INEXACT);
        if inexact && r.value.is_finite() && r.value.abs().bitwise_eq(F::largest()) {
            return None;
        }
        let up = inexact
            && r.value
                .abs()
                .partial_cmp(&go(Round::TowardZero).value.abs())
                == Some(Ordering::Greater);
        self.flag(status_bits(st));
        self.set_c1(up);
        Some(r.value.to_bits())
    }

    /// FSQRT of `a`, rounded to FCW.PC bits by FCW.RC.
    pub fn sqrt(&mut self, a: u128) -> u128 {
        match self.sqrt_fast(a) {
            Some(r) => r,
            None => self.sqrt_exact(a),
        }
    }

    /// [`Fpu::sqrt`] for every operand: exact integer square root of the significand, then
    /// one rounding.
    fn sqrt_exact(&mut self, a: u128) -> u128 {
        self.set_c1(false);
        if is_unsupported(a) {
            self.flag(sw::IE);
            return INDEFINITE;
        }
        if is_nan_bits(a) {
            if is_snan_bits(a) {
                self.flag(sw::IE);
            }
            return quiet(a);
        }
        let x = f(a);
        if x.is_zero() {
            self.set_c1(false);
            return a;
        }
        if x.is_negative() {
            // Invalid takes precedence over denormal.
            self.flag(sw::IE);
            self.set_c1(false);
            return INDEFINITE;
        }
        self.denormal_check(&[a]);
        if x.is_infinite() {
            self.set_c1(false);
            return a;
        }
        // x = m · 2^e with m an integer (64 significant bits after normalisation).
        let e0 = x.ilogb();
        let mut li = false;
        let m = x
            .scalbn(63 - e0)
            .to_u128_r(64, Round::TowardZero, &mut li)
            .value;
        let mut e = e0 - 63;
        let mut m = m;
        if e & 1 != 0 {
            m <<= 1;
            e -= 1;
        }
        // isqrt(m · 2^(2k)) with k = 40: a 72-bit root of the 65-bit m shifted; remainder
        // tells exactness. Digit by digit, two input bits per result bit.
        let k = 40u32;
        let nbits = 66 + 2 * k; // m < 2^65, padded to an even count
        let (mut q, mut r) = (0u128, 0u128);
        for i in 0..(nbits / 2) {
            let shift = nbits as i32 - 2 - 2 * i as i32;
            let pair = if shift >= 2 * k as i32 {
                (m >> (shift as u32 - 2 * k)) & 3
            } else {
                0
            };
            r = (r << 2) | pair;
            let t = (q << 2) | 1;
            if r >= t {
                r -= t;
                q = (q << 1) | 1;
            } else {
                q <<= 1;
            }
        }
        let sticky = r != 0;
        let qv = W::from_u128_r(q | sticky as u128, Round::TowardZero).value;
        let w = qv.scalbn(e / 2 - k as i32);
        let pc = self.pc_bits();
        self.finish(w, pc)
    }
}

// ---- fast paths: normal operands and results, in integer arithmetic ----
//
// Most x87 work is on normal numbers with normal results. For those, FADD…FDIVR, FSQRT,
// FRNDINT, the m32fp/m64fp/integer conversions and compares work on the significands as
// integers: the exact result (or its truncation with a sticky bit below every bit that can
// matter) is rounded once to FCW.PC bits by FCW.RC, and C1 ("rounded up") falls out of that
// rounding. Everything else — zeros where not handled, denormals, NaNs, infinities,
// unsupported encodings, results that overflow or are tiny, integers out of range — returns
// None before changing anything and takes the apfloat path, which these agree with bit for
// bit (`fast_paths_match_the_exact_ones` below).

const BIAS: i32 = 16383;
const EXP_MAX: i32 = 0x7ffe;

/// A finite normal 80-bit value.
#[derive(Clone, Copy)]
struct Normal {
    neg: bool,
    /// Biased exponent, 1..=0x7ffe.
    exp: i32,
    /// Significand, bit 63 (the explicit integer bit) set.
    sig: u64,
}

fn normal(v: u128) -> Option<Normal> {
    let exp = ((v >> 64) & 0x7fff) as i32;
    let sig = v as u64;
    (exp != 0 && exp != 0x7fff && sig >> 63 != 0).then_some(Normal {
        neg: sign_bits(v),
        exp,
        sig,
    })
}

/// `±m · 2^(exp − BIAS − 127)` (`m` with bit 127 set; bit 0 may be a sticky bit standing
/// for anything non-zero below it) rounded by `rc` to `bits` (1..=64) of significand.
/// Gives the significand (left-aligned, bit 63 set), the exponent (one more when rounding
/// carried out), inexact, and whether the magnitude was rounded up.
/// Inlined so that callers passing a constant `bits` get constant shifts.
#[inline(always)]
fn round_sig(neg: bool, exp: i32, m: u128, bits: u32, rc: Round) -> (u64, i32, bool, bool) {
    let drop = 128 - bits;
    let q = m >> drop;
    let rem = m & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    let inexact = rem != 0;
    let up = match rc {
        Round::NearestTiesToEven => rem > half || (rem == half && q & 1 != 0),
        Round::TowardPositive => inexact && !neg,
        Round::TowardNegative => inexact && neg,
        _ => false,
    };
    let (mut q, mut exp) = (q + up as u128, exp);
    if q >> bits != 0 {
        q >>= 1;
        exp += 1;
    }
    ((q << (64 - bits)) as u64, exp, inexact, up)
}

/// An integer magnitude with a sign as an 80-bit value (exact).
fn from_mag(neg: bool, mag: u64) -> u128 {
    let s = (neg as u128) << 79;
    if mag == 0 {
        return s;
    }
    let lz = mag.leading_zeros();
    s | ((BIAS + 63 - lz as i32) as u128) << 64 | u128::from(mag << lz)
}

/// `x` rounded to an integer by `rc` when |x| < 2^63: (magnitude, inexact, rounded up).
fn round_int(x: Normal, rc: Round) -> Option<(u64, bool, bool)> {
    let ue = x.exp - BIAS;
    if ue >= 63 {
        return None;
    }
    if ue < 0 {
        // |x| < 1: 0 or 1 (a tie only at exactly 0.5).
        let up = match rc {
            Round::NearestTiesToEven => ue == -1 && x.sig > 1 << 63,
            Round::TowardPositive => !x.neg,
            Round::TowardNegative => x.neg,
            _ => false,
        };
        return Some((up as u64, true, up));
    }
    let (sig, e, inexact, up) = round_sig(x.neg, x.exp, u128::from(x.sig) << 64, ue as u32 + 1, rc);
    Some((sig >> (63 - (e - BIAS)), inexact, up))
}

/// A normal or zero value as a signed integer that orders like the value.
fn order_key(v: u128) -> Option<i128> {
    let mag = (v & ((1 << 79) - 1)) as i128;
    if mag != 0 && normal(v).is_none() {
        return None;
    }
    Some(if sign_bits(v) { -mag } else { mag })
}

/// m32fp/m64fp → 80-bit for normal values and zeros (always exact).
fn load_fp_fast(bits: u64, single: bool) -> Option<u128> {
    let (exp_bits, frac_bits, bias) = if single { (8, 23, 127) } else { (11, 52, 1023) };
    let sign = ((bits >> (exp_bits + frac_bits)) & 1) as u128;
    let exp = (bits >> frac_bits) & ((1 << exp_bits) - 1);
    let frac = bits & ((1u64 << frac_bits) - 1);
    if exp == 0 && frac == 0 {
        return Some(sign << 79);
    }
    if exp == 0 || exp == (1 << exp_bits) - 1 {
        return None;
    }
    let e = (exp as i32 - bias + BIAS) as u128;
    Some(sign << 79 | e << 64 | u128::from(1 << 63 | frac << (63 - frac_bits)))
}

impl Fpu<'_> {
    /// A rounded normal result (to FCW.PC bits by FCW.RC) with PE and C1; None, with nothing
    /// changed, when it is tiny or overflows.
    #[inline]
    fn pack_fast(&mut self, neg: bool, exp: i32, m: u128) -> Option<u128> {
        if exp < 1 {
            return None;
        }
        let fcw = read(&self.s.fcw);
        let rc = rc_round(fcw);
        let (sig, exp, inexact, up) = match (fcw >> 8) & 3 {
            0 => round_sig(neg, exp, m, 24, rc),
            2 => round_sig(neg, exp, m, 53, rc),
            _ => round_sig(neg, exp, m, 64, rc),
        };
        if exp > EXP_MAX {
            return None;
        }
        // FSW once: C1, and PE (with ES and B when an exception is unmasked) as `flag`.
        let mut fsw = read(&self.s.fsw) & !sw::C1 | if up { sw::C1 } else { 0 };
        if inexact {
            fsw |= sw::PE;
            if fsw & !fcw & 0x3f != 0 {
                fsw |= sw::ES | sw::B;
            }
        }
        self.s.fsw = fsw;
        Some((neg as u128) << 79 | (exp as u128) << 64 | u128::from(sig))
    }

    /// [`Fpu::binop`] for two normal operands with a normal (or exactly zero) result.
    #[inline]
    fn binop_fast(&mut self, op: BinOp, a: u128, b: u128) -> Option<u128> {
        if self.pending_de {
            return None;
        }
        let (x, y) = (normal(a)?, normal(b)?);
        let (xs, ys) = (u128::from(x.sig), u128::from(y.sig));
        match op {
            BinOp::Mul => {
                let p = xs * ys;
                let lz = p.leading_zeros() as i32;
                self.pack_fast(x.neg != y.neg, x.exp + y.exp - BIAS + 1 - lz, p << lz)
            }
            BinOp::Div => {
                // 128 bits of the quotient in two steps of 64 (the first with its leading
                // 1 in bit 63), the last remainder as the sticky bit.
                let lt = xs < ys;
                let n = xs << (63 + lt as u32);
                let (q, r) = (n / ys, n % ys);
                let (q2, r2) = ((r << 64) / ys, (r << 64) % ys);
                let m = q << 64 | q2 | (r2 != 0) as u128;
                self.pack_fast(x.neg != y.neg, x.exp - y.exp + BIAS - lt as i32, m)
            }
            BinOp::Add | BinOp::Sub => {
                let y = Normal {
                    neg: y.neg ^ (op == BinOp::Sub),
                    ..y
                };
                let (big, small) = if (x.exp, x.sig) >= (y.exp, y.sig) {
                    (x, y)
                } else {
                    (y, x)
                };
                // Significands at bits 126..63; the smaller one shifted right with what
                // falls off bit 0 jammed into it (sticky).
                let d = (big.exp - small.exp) as u32;
                let ma = u128::from(big.sig) << 63;
                let s = u128::from(small.sig) << 63;
                let mb = if d >= 127 {
                    1
                } else {
                    s >> d | (s & ((1 << d) - 1) != 0) as u128
                };
                let m = if big.neg == small.neg {
                    ma + mb
                } else {
                    ma - mb
                };
                if m == 0 {
                    // An exact zero difference: +0, or −0 when rounding down.
                    self.set_c1(false);
                    return Some(((self.round() == Round::TowardNegative) as u128) << 79);
                }
                let lz = m.leading_zeros() as i32;
                self.pack_fast(big.neg, big.exp + 1 - lz, m << lz)
            }
        }
    }

    /// FSQRT of a positive normal value from the integer square root.
    fn sqrt_fast(&mut self, a: u128) -> Option<u128> {
        let x = normal(a).filter(|x| !x.neg && !self.pending_de)?;
        // x = m · 2^e with m the significand as an integer and e made even.
        let (mut m, mut e) = (u128::from(x.sig), x.exp - BIAS - 63);
        if e & 1 != 0 {
            m <<= 1;
            e -= 1;
        }
        // q = ⌊sqrt(m · 2^70)⌋ (67 or 68 bits): the root of m · 2^62 (< 2^127), then four
        // more digits of the digit-by-digit method; the remainder r gives the sticky bit.
        let n = m << 62;
        let mut q = n.isqrt();
        let mut r = n - q * q;
        for _ in 0..4 {
            r <<= 2;
            let t = q << 2 | 1;
            q <<= 1;
            if r >= t {
                r -= t;
                q |= 1;
            }
        }
        let lz = q.leading_zeros() as i32;
        self.pack_fast(
            false,
            e / 2 - 35 - lz + BIAS + 127,
            q << lz | (r != 0) as u128,
        )
    }
}

// ---- format conversions ----

/// m32fp/m64fp → 80-bit: exact; NaNs keep their kind; a denormal leaves #D pending.
fn load_fp(fpu: &mut Fpu, bits: u64, single: bool) -> u128 {
    if let Some(v) = load_fp_fast(bits, single) {
        return v;
    }
    let (exp_bits, frac_bits) = if single { (8, 23) } else { (11, 52) };
    let sign = (bits >> (exp_bits + frac_bits)) & 1;
    let exp = (bits >> frac_bits) & ((1 << exp_bits) - 1);
    let frac = bits & ((1u64 << frac_bits) - 1);
    if exp == (1 << exp_bits) - 1 {
        // NaNs keep their kind: a signalling one is quietened (with IE) by the consumer.
        let m = (1u64 << 63) | (frac << (63 - frac_bits));
        return (sign as u128) << 79 | 0x7fff << 64 | m as u128;
    }
    if exp == 0 && frac != 0 {
        fpu.pending_de = true;
    }
    load_fp_quiet(bits, single)
}

/// 80-bit → m32fp/m64fp by RC, with the flags of the conversion.
#[inline]
fn store_fp(fpu: &mut Fpu, v: u128, single: bool) -> u64 {
    match store_fp_fast(fpu, v, single) {
        Some(r) => r,
        None => store_fp_exact(fpu, v, single),
    }
}

/// [`store_fp`] for a normal value with a normal result, or a zero.
#[inline]
fn store_fp_fast(fpu: &mut Fpu, v: u128, single: bool) -> Option<u64> {
    let (exp_bits, frac_bits, bias) = if single { (8, 23, 127) } else { (11, 52, 1023) };
    let sign = ((v >> 79) & 1) as u64;
    if v & ((1 << 79) - 1) == 0 {
        fpu.set_c1(false);
        return Some(sign << (exp_bits + frac_bits));
    }
    let x = normal(v)?;
    let e = x.exp - BIAS + bias;
    if e < 1 {
        return None;
    }
    let m = u128::from(x.sig) << 64;
    let (sig, e, inexact, up) = round_sig(x.neg, e, m, frac_bits + 1, fpu.round());
    if e >= (1 << exp_bits) - 1 {
        return None;
    }
    if inexact {
        fpu.flag(sw::PE);
    }
    fpu.set_c1(up);
    let frac = (sig << 1) >> (64 - frac_bits);
    Some(sign << (exp_bits + frac_bits) | (e as u64) << frac_bits | frac)
}

/// [`store_fp`] for every value, with apfloat.
#[inline(never)]
fn store_fp_exact(fpu: &mut Fpu, v: u128, single: bool) -> u64 {
    let (exp_bits, frac_bits) = if single { (8u32, 23u32) } else { (11, 52) };
    let sign = ((v >> 79) & 1) as u64;
    if is_unsupported(v) {
        fpu.flag(sw::IE);
        fpu.set_c1(false);
        return if single {
            0xffc0_0000
        } else {
            0xfff8_0000_0000_0000
        };
    }
    if is_nan_bits(v) {
        if is_snan_bits(v) {
            fpu.flag(sw::IE);
        }
        let m = quiet(v) as u64;
        let frac = (m & !(1 << 63)) >> (63 - frac_bits);
        fpu.set_c1(false);
        return sign << (exp_bits + frac_bits) | ((1u64 << exp_bits) - 1) << frac_bits | frac;
    }
    // FST raises no #D (SDM FST "Floating-Point Exceptions").
    let rc = fpu.round();
    let mut li = false;
    let r: StatusAnd<u64> = if single {
        let t: StatusAnd<Single> = f(v).convert_r(rc, &mut li);
        t.map(|x| x.to_bits() as u64)
    } else {
        let t: StatusAnd<Double> = f(v).convert_r(rc, &mut li);
        t.map(|x| x.to_bits() as u64)
    };
    let limit = if single {
        largest_w::<rustc_apfloat::ieee::SingleS>()
    } else {
        largest_w::<rustc_apfloat::ieee::DoubleS>()
    };
    if overflows(widen(f(v)), if single { 24 } else { 53 }, rc, limit) {
        fpu.flag(sw::OE);
    }
    fpu.flag(status_bits(r.status));
    let up = r.status.contains(Status::INEXACT)
        && f(load_fp_quiet(r.value, single))
            .abs()
            .partial_cmp(&f(v).abs())
            == Some(Ordering::Greater);
    fpu.set_c1(up);
    r.value
}

fn load_fp_quiet(bits: u64, single: bool) -> u128 {
    if let Some(v) = load_fp_fast(bits, single) {
        return v;
    }
    let mut li = false;
    if single {
        let x: F = Single::from_bits(bits as u128).convert(&mut li).value;
        x.to_bits()
    } else {
        let x: F = Double::from_bits(bits as u128).convert(&mut li).value;
        x.to_bits()
    }
}

fn from_int(v: i64) -> u128 {
    from_mag(v < 0, v.unsigned_abs())
}

/// 80-bit → signed integer of `bits` by `round`; out of range or NaN gives the integer
/// indefinite (the minimum value) with IE.
fn store_int(fpu: &mut Fpu, v: u128, bits: usize, round: Round) -> u64 {
    match store_int_fast(fpu, v, bits, round) {
        Some(i) => i,
        None => store_int_exact(fpu, v, bits, round),
    }
}

/// [`store_int`] for a zero or a normal value whose integer is in range.
fn store_int_fast(fpu: &mut Fpu, v: u128, bits: usize, round: Round) -> Option<u64> {
    let (mag, inexact, up) = if v & ((1 << 79) - 1) == 0 {
        (0, false, false)
    } else {
        round_int(normal(v)?, round)?
    };
    let neg = sign_bits(v);
    if mag > (1u64 << (bits - 1)) - 1 + neg as u64 {
        return None;
    }
    if inexact {
        fpu.flag(sw::PE);
    }
    fpu.set_c1(up);
    let i = if neg { mag.wrapping_neg() } else { mag };
    Some(if bits == 64 { i } else { i & ((1 << bits) - 1) })
}

/// [`store_int`] for every value, with apfloat.
fn store_int_exact(fpu: &mut Fpu, v: u128, bits: usize, round: Round) -> u64 {
    let indefinite = 1u64 << (bits - 1);
    if is_nan_bits(v) || is_unsupported(v) || f(v).is_infinite() {
        fpu.flag(sw::IE);
        fpu.set_c1(false);
        return indefinite;
    }
    // FIST/FISTTP raise no #D.
    let x = f(v);
    let r = x.round_to_integral(round);
    let mut exact = false;
    let i = r.value.to_i128_r(bits, Round::TowardZero, &mut exact);
    if i.status.contains(Status::INVALID_OP) {
        fpu.flag(sw::IE);
        fpu.set_c1(false);
        return indefinite;
    }
    let inexact = r.value.partial_cmp(&x) != Some(Ordering::Equal);
    if inexact {
        fpu.flag(sw::PE);
    }
    fpu.set_c1(inexact && r.value.abs().partial_cmp(&x.abs()) == Some(Ordering::Greater));
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    i.value as u64 & mask
}

/// Packed BCD (FBLD/FBSTP): 18 decimal digits, two per byte in bytes 0–8 (the less
/// significant digit in the low nibble), the sign in bit 7 of byte 9. Digits above 9 are
/// undefined in the SDM; they are weighted like valid ones, as the host CPU does.
fn from_bcd(lo: u64, hi: u64) -> u128 {
    let byte = |k: usize| {
        if k < 8 {
            (lo >> (8 * k)) as u8
        } else {
            hi as u8
        }
    };
    let v = (0..18).rev().fold(0i64, |v, d| {
        let b = byte(d / 2);
        v * 10 + i64::from(if d % 2 == 0 { b & 0xf } else { b >> 4 })
    });
    let x = from_int(v);
    if hi & 0x8000 != 0 { neg_bits(x) } else { x }
}

/// The packed BCD indefinite (FFFF C000 0000 0000 0000h), stored by an invalid FBSTP.
const BCD_INDEFINITE_LO: u64 = 0xc000_0000_0000_0000;
const BCD_INDEFINITE_HI: u64 = 0xffff;

/// FBSTP: ST(0) rounded to an integer by `round`, as packed BCD (low 8 bytes returned, the high
/// 2 in `img[0]`); NaN, infinity or |value| ≥ 10^18 store the indefinite with IE. The sign
/// byte keeps the value's sign (−0.3 rounded to nearest stores −0).
fn store_bcd(fpu: &mut Fpu, v: u128, round: Round) -> u64 {
    let indefinite = |fpu: &mut Fpu| {
        fpu.flag(sw::IE);
        fpu.set_c1(false);
        fpu.s.img[0] = BCD_INDEFINITE_HI;
        BCD_INDEFINITE_LO
    };
    if is_nan_bits(v) || is_unsupported(v) || f(v).is_infinite() {
        return indefinite(fpu);
    }
    let x = f(v);
    let r = x.round_to_integral(round).value;
    let mut exact = false;
    let n = r.abs().to_u128_r(64, Round::TowardZero, &mut exact).value;
    if n >= 1_000_000_000_000_000_000 {
        return indefinite(fpu);
    }
    let inexact = r.partial_cmp(&x) != Some(Ordering::Equal);
    if inexact {
        fpu.flag(sw::PE);
    }
    fpu.set_c1(inexact && r.abs().partial_cmp(&x.abs()) == Some(Ordering::Greater));
    let mut digits = n as u64;
    let mut packed = 0u128;
    for d in 0..18 {
        packed |= u128::from(digits % 10) << (4 * d);
        digits /= 10;
    }
    let sign = if sign_bits(v) { 0x8000 } else { 0 };
    fpu.s.img[0] = (packed >> 64) as u64 | sign;
    packed as u64
}

// ---- helper selectors (argument a) ----

/// Operand sources of loads and arithmetic.
pub mod src {
    pub const F32: u64 = 0;
    pub const F64: u64 = 1;
    pub const F80: u64 = 2;
    pub const I16: u64 = 3;
    pub const I32: u64 = 4;
    pub const I64: u64 = 5;
    /// ST(i), i in bits 8–10.
    pub const ST: u64 = 6;
    /// FLD1…FLDZ, the index in bits 8–10.
    pub const CONST: u64 = 7;
    /// FBLD: an m80 packed BCD (low 8 bytes, then the 2 high bytes, as for F80).
    pub const BCD: u64 = 8;
}

#[inline]
fn operand(fpu: &mut Fpu, a: u64, lo: u64, hi: u64) -> Option<u128> {
    let i = ((a >> 8) & 7) as u32;
    Some(match a & 0xff {
        src::F32 => load_fp(fpu, lo as u32 as u64, true),
        src::F64 => load_fp(fpu, lo, false),
        src::F80 => (hi as u128 & 0xffff) << 64 | lo as u128,
        src::I16 => from_int(lo as i16 as i64),
        src::I32 => from_int(lo as i32 as i64),
        src::I64 => from_int(lo as i64),
        src::ST => return fpu.st(i),
        src::BCD => from_bcd(lo, hi),
        _ => {
            let k = i as usize % 7;
            // Round-to-nearest/up gives the stored constant; down/zero the truncated one
            // (exact for 1 and 0).
            match fpu.round() {
                Round::TowardNegative | Round::TowardZero => CONSTS_DOWN[k],
                Round::TowardPositive => CONSTS_UP[k],
                _ => CONSTS[k],
            }
        }
    })
}

fn fpu_of(state: *mut u8) -> Fpu<'static> {
    // SAFETY: the engine passes a pointer to this frontend's state (an X86State, 16-aligned,
    // STATE_SIZE bytes), exclusively ours for the duration of the helper call.
    let st = unsafe { &mut *(state as *mut X86State) };
    Fpu {
        s: &mut st.x87,
        pending_de: false,
    }
}

/// FLD/FILD/FLDconst: a = source (see [`src`]), b = low bits, c = high bits (m80 exponent).
extern "C" fn x87_load(state: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, _d: u64) -> u64 {
    let mut fpu = fpu_of(state);
    let v = match operand(&mut fpu, a, b, c) {
        Some(v) => v,
        None => {
            // FLD of an empty ST(i): the underflow wins, no overflow check on the push.
            fpu.underflow();
            fpu.s.top = (fpu.s.top + 7) & 7;
            fpu.set_st(0, INDEFINITE);
            return 0;
        }
    };
    let overflow = fpu.st(7).is_some();
    if fpu.pending_de && !overflow {
        fpu.flag(sw::DE);
    }
    let v = if is_snan_bits(v) && a & 0xff != src::F80 && a & 0xff != src::ST {
        fpu.flag(sw::IE);
        quiet(v)
    } else {
        v
    };
    fpu.push(v);
    0
}

/// Store targets (a & 0xff); bit 8 pops afterwards. FST ST(i): i in bits 12–14.
pub mod dst {
    pub const F32: u64 = 0;
    pub const F64: u64 = 1;
    pub const F80: u64 = 2;
    pub const I16: u64 = 3;
    pub const I32: u64 = 4;
    pub const I64: u64 = 5;
    pub const ST: u64 = 6;
    /// FISTTP: truncating integer stores.
    pub const I16T: u64 = 7;
    pub const I32T: u64 = 8;
    pub const I64T: u64 = 9;
    /// FBSTP: m80 packed BCD (the 2 high bytes go to `img[0]`, as for F80).
    pub const BCD: u64 = 10;
    pub const POP: u64 = 1 << 8;
}

/// FST/FSTP/FIST/FISTP/FISTTP: returns the bits to store (an m80's exponent word goes to
/// `img[0]`).
extern "C" fn x87_store(state: *mut u8, _m: *mut u8, a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    let mut fpu = fpu_of(state);
    let v = fpu.st(0);
    let kind = a & 0xff;
    let out = match v {
        None => {
            fpu.underflow();
            match kind {
                dst::F32 => 0xffc0_0000,
                dst::F64 => 0xfff8_0000_0000_0000,
                dst::F80 | dst::ST => {
                    fpu.s.img[0] = (INDEFINITE >> 64) as u64;
                    INDEFINITE as u64
                }
                dst::I16 | dst::I16T => 0x8000,
                dst::I32 | dst::I32T => 0x8000_0000,
                dst::BCD => {
                    fpu.s.img[0] = BCD_INDEFINITE_HI;
                    BCD_INDEFINITE_LO
                }
                _ => 1 << 63,
            }
        }
        Some(v) => {
            let rc = fpu.round();
            match kind {
                dst::F32 => store_fp(&mut fpu, v, true),
                dst::F64 => store_fp(&mut fpu, v, false),
                dst::F80 | dst::ST => {
                    fpu.set_c1(false);
                    fpu.s.img[0] = (v >> 64) as u64;
                    v as u64
                }
                dst::I16 => store_int(&mut fpu, v, 16, rc),
                dst::I32 => store_int(&mut fpu, v, 32, rc),
                dst::I64 => store_int(&mut fpu, v, 64, rc),
                dst::I16T => store_int(&mut fpu, v, 16, Round::TowardZero),
                dst::I32T => store_int(&mut fpu, v, 32, Round::TowardZero),
                dst::BCD => store_bcd(&mut fpu, v, rc),
                _ => store_int(&mut fpu, v, 64, Round::TowardZero),
            }
        }
    };
    if kind == dst::ST {
        let i = ((a >> 12) & 7) as u32;
        let v = v.unwrap_or(INDEFINITE);
        fpu.set_st(i, v);
    }
    if a & dst::POP != 0 {
        fpu.pop();
    }
    out
}

/// Arithmetic selector: bits 0–7 source (see [`src`]), 8–10 i of ST(i), 12–14 operation
/// (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr: the ModRM reg field), bit 16 "destination
/// is ST(i)" (DC/DE register forms), bit 17 pop.
pub mod arith {
    pub const TO_STI: u64 = 1 << 16;
    pub const POP: u64 = 1 << 17;
}

extern "C" fn x87_arith(state: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, _d: u64) -> u64 {
    let mut fpu = fpu_of(state);
    let i = ((a >> 8) & 7) as u32;
    let op = (a >> 12) & 7;
    let to_sti = a & arith::TO_STI != 0;
    let st0 = fpu.st(0);
    let other = if a & 0xff == src::ST {
        fpu.st(i)
    } else {
        operand(&mut fpu, a & 0x7ff, b, c)
    };
    let dest_i = if to_sti { i } else { 0 };
    match (st0, other) {
        (Some(x), Some(y)) => {
            // dest op src, where dest is ST(0) (or ST(i)) and src the other operand.
            let (d, s) = if to_sti { (y, x) } else { (x, y) };
            let (bop, rev) = match op {
                0 => (BinOp::Add, false),
                1 => (BinOp::Mul, false),
                4 => (BinOp::Sub, false),
                5 => (BinOp::Sub, true),
                6 => (BinOp::Div, false),
                _ => (BinOp::Div, true),
            };
            let r = if rev {
                fpu.binop(bop, s, d)
            } else {
                fpu.binop(bop, d, s)
            };
            fpu.set_st(dest_i, r);
        }
        _ => {
            fpu.underflow();
            fpu.set_st(dest_i, INDEFINITE);
        }
    }
    if a & arith::POP != 0 {
        fpu.pop();
    }
    0
}

/// Compare selector: bits 0–10 the source as for arithmetic, bit 12 unordered (FUCOM*),
/// bit 13 sets EFLAGS (FCOMI*) instead of C0/C2/C3, bits 14–15 pops, bit 16 FTST (compare
/// with +0), bit 17 FXAM.
pub mod cmp {
    pub const UNORDERED: u64 = 1 << 12;
    pub const EFLAGS: u64 = 1 << 13;
    pub const POP1: u64 = 1 << 14;
    pub const POP2: u64 = 1 << 15;
    pub const TST: u64 = 1 << 16;
    pub const XAM: u64 = 1 << 17;
}

/// FCOM/FUCOM/FICOM/FTST/FCOMI/FUCOMI (and the popping forms), FXAM. Returns the EFLAGS
/// arithmetic flags for FCOMI (ZF, PF, CF; others 0).
extern "C" fn x87_cmp(state: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, _d: u64) -> u64 {
    let mut fpu = fpu_of(state);
    if a & cmp::XAM != 0 {
        xam(&mut fpu);
        return 0;
    }
    let st0 = fpu.st(0);
    let other = if a & cmp::TST != 0 {
        Some(0)
    } else {
        operand(&mut fpu, a & 0x7ff, b, c)
    };
    // (C3, C2, C0) = (ZF, PF, CF): > 000, < 001, = 100, unordered 111.
    let res = match (st0, other) {
        (Some(x), Some(y)) => compare(&mut fpu, x, y, a & cmp::UNORDERED != 0),
        _ => {
            fpu.underflow();
            (true, true, true)
        }
    };
    let ret = if a & cmp::EFLAGS != 0 {
        // FCOMI leaves C0–C3 alone (C1 is cleared only by a stack underflow).
        (res.0 as u64) << 6 | (res.1 as u64) << 2 | res.2 as u64
    } else {
        fpu.set_cc(res.0, res.1, false, res.2);
        0
    };
    if a & cmp::POP1 != 0 {
        fpu.pop();
    }
    if a & cmp::POP2 != 0 {
        fpu.pop();
    }
    ret
}

/// (C3, C2, C0) of comparing x with y: > 000, < 001, = 100, unordered 111; with IE (and DE)
/// as FCOM (FUCOM when `unordered_ok`) raises them.
fn compare(fpu: &mut Fpu, x: u128, y: u128, unordered_ok: bool) -> (bool, bool, bool) {
    let ord = match (order_key(x), order_key(y)) {
        (Some(kx), Some(ky)) if !fpu.pending_de => Some(kx.cmp(&ky)),
        _ => compare_exact(fpu, x, y, unordered_ok),
    };
    match ord {
        Some(Ordering::Greater) => (false, false, false),
        Some(Ordering::Less) => (false, false, true),
        Some(Ordering::Equal) => (true, false, false),
        None => (true, true, true),
    }
}

/// [`compare`] for every operand (None: unordered).
fn compare_exact(fpu: &mut Fpu, x: u128, y: u128, unordered_ok: bool) -> Option<Ordering> {
    if is_unsupported(x) || is_unsupported(y) {
        fpu.flag(sw::IE);
        None
    } else if is_nan_bits(x) || is_nan_bits(y) {
        if !unordered_ok || is_snan_bits(x) || is_snan_bits(y) {
            fpu.flag(sw::IE);
        }
        None
    } else {
        fpu.denormal_check(&[x, y]);
        f(x).partial_cmp(&f(y))
    }
}

fn xam(fpu: &mut Fpu) {
    let v = fpu.st(0);
    let raw = fpu.s.regs[fpu.phys(0)];
    let c1 = sign_bits(raw);
    let (c3, c2, c0) = match v {
        None => (true, false, true),
        Some(v) if is_unsupported(v) => (false, false, false),
        Some(v) if is_nan_bits(v) => (false, false, true),
        Some(v) if (v >> 64) & 0x7fff == 0x7fff => (false, true, true),
        Some(v) if v & ((1 << 79) - 1) == 0 => (true, false, false),
        Some(v) if (v >> 64) & 0x7fff == 0 => (true, true, false),
        Some(_) => (false, true, false),
    };
    fpu.set_cc(c3, c2, c1, c0);
}

/// Operations without memory operands (argument a); b is ST(i)'s i or FCMOV's condition.
pub mod misc {
    pub const FCHS: u64 = 0;
    pub const FABS: u64 = 1;
    pub const FSQRT: u64 = 2;
    pub const FRNDINT: u64 = 3;
    pub const FSCALE: u64 = 4;
    pub const FXTRACT: u64 = 5;
    pub const FPREM: u64 = 6;
    pub const FPREM1: u64 = 7;
    pub const FXCH: u64 = 8;
    pub const FFREE: u64 = 9;
    pub const FINCSTP: u64 = 10;
    pub const FDECSTP: u64 = 11;
    pub const FNCLEX: u64 = 12;
    pub const FNINIT: u64 = 13;
    /// b = (condition << 8) | i.
    pub const FCMOV: u64 = 14;
    pub const F2XM1: u64 = 15;
    pub const FYL2X: u64 = 16;
    pub const FYL2XP1: u64 = 17;
    pub const FPTAN: u64 = 18;
    pub const FPATAN: u64 = 19;
    pub const FSIN: u64 = 20;
    pub const FCOS: u64 = 21;
    pub const FSINCOS: u64 = 22;
    /// FFREEP: FFREE ST(i), then pop.
    pub const FFREEP: u64 = 23;
}

extern "C" fn x87_misc(state: *mut u8, _m: *mut u8, a: u64, b: u64, _c: u64, _d: u64) -> u64 {
    let mut fpu = fpu_of(state);
    let i = (b & 7) as u32;
    match a {
        misc::FINCSTP => {
            fpu.s.top = (fpu.s.top + 1) & 7;
            fpu.set_c1(false);
        }
        misc::FDECSTP => {
            fpu.s.top = (fpu.s.top + 7) & 7;
            fpu.set_c1(false);
        }
        misc::FFREE | misc::FFREEP => {
            // C1 is cleared (as current cores do; the SDM leaves it undefined).
            fpu.set_c1(false);
            let p = fpu.phys(i);
            fpu.s.ftw &= !(1 << p);
            if a == misc::FFREEP {
                fpu.pop();
            }
        }
        misc::FNCLEX => fpu.s.fsw &= !(0xff | sw::B),
        misc::FNINIT => {
            fpu.s.fcw = 0x37f;
            fpu.s.fsw = 0;
            fpu.s.top = 0;
            fpu.s.ftw = 0;
        }
        misc::FXCH => {
            let (x, y) = (fpu.st(0), fpu.st(i));
            if x.is_none() || y.is_none() {
                fpu.underflow();
            } else {
                fpu.set_c1(false);
            }
            fpu.set_st(0, y.unwrap_or(INDEFINITE));
            fpu.set_st(i, x.unwrap_or(INDEFINITE));
        }
        misc::FCMOV => match (fpu.st(0), fpu.st(i)) {
            (Some(_), Some(y)) => {
                if b >> 8 & 1 != 0 {
                    fpu.set_st(0, y);
                }
            }
            _ => {
                // The masked underflow response writes the destination whatever the
                // condition.
                fpu.underflow();
                fpu.set_st(0, INDEFINITE);
            }
        },
        _ => {
            let Some(x) = fpu.st(0) else {
                fpu.underflow();
                match a {
                    // Two-operand forms pop into ST(1): it gets the indefinite.
                    misc::FYL2X | misc::FYL2XP1 | misc::FPATAN => {
                        fpu.set_st(1, INDEFINITE);
                        fpu.pop();
                    }
                    misc::FXTRACT | misc::FPTAN | misc::FSINCOS => {
                        // Both results are the indefinite; no overflow check on the push.
                        fpu.set_st(0, INDEFINITE);
                        fpu.s.top = (fpu.s.top + 7) & 7;
                        fpu.set_st(0, INDEFINITE);
                    }
                    misc::FPREM | misc::FPREM1 => {
                        // C2 = 0; C0 and C3 stay (C1 = 0 by the underflow).
                        fpu.s.fsw &= !sw::C2;
                        fpu.set_st(0, INDEFINITE);
                    }
                    _ => fpu.set_st(0, INDEFINITE),
                }
                return 0;
            };
            if matches!(a, misc::FXTRACT | misc::FPTAN | misc::FSINCOS) && fpu.st(7).is_some() {
                // Stack overflow: both results are the indefinite (push flags it).
                fpu.set_st(0, INDEFINITE);
                fpu.push(INDEFINITE);
                return 0;
            }
            unary(&mut fpu, a, x);
        }
    }
    0
}

fn unary(fpu: &mut Fpu, a: u64, x: u128) {
    match a {
        misc::FCHS => {
            fpu.set_c1(false);
            fpu.set_st(0, neg_bits(x));
        }
        misc::FABS => {
            fpu.set_c1(false);
            fpu.set_st(0, x & !(1 << 79));
        }
        misc::FSQRT => {
            let r = fpu.sqrt(x);
            fpu.set_st(0, r);
        }
        misc::FRNDINT => {
            let r = match frndint_fast(fpu, x) {
                Some(r) => r,
                None => frndint_exact(fpu, x),
            };
            fpu.set_st(0, r);
        }
        misc::FSCALE => fscale(fpu, x),
        misc::FXTRACT => fxtract(fpu, x),
        misc::FPREM | misc::FPREM1 => fprem(fpu, x, a == misc::FPREM1),
        _ => transcendental(fpu, a, x),
    }
}

/// FRNDINT of a normal value (None for the others).
fn frndint_fast(fpu: &mut Fpu, x: u128) -> Option<u128> {
    let n = normal(x).filter(|_| !fpu.pending_de)?;
    let Some((mag, inexact, up)) = round_int(n, fpu.round()) else {
        // |x| ≥ 2^63: an integer already.
        fpu.set_c1(false);
        return Some(x);
    };
    if inexact {
        fpu.flag(sw::PE);
    }
    fpu.set_c1(up);
    Some(from_mag(n.neg, mag))
}

/// FRNDINT of any value, with apfloat.
fn frndint_exact(fpu: &mut Fpu, x: u128) -> u128 {
    if let Some(r) = nan1(fpu, x) {
        return r;
    }
    fpu.denormal_check(&[x]);
    let r = f(x).round_to_integral(fpu.round());
    let inexact = r.value.partial_cmp(&f(x)) != Some(Ordering::Equal);
    if inexact {
        fpu.flag(sw::PE);
    }
    fpu.set_c1(inexact && r.value.abs().partial_cmp(&f(x).abs()) == Some(Ordering::Greater));
    r.value.to_bits()
}

/// One-operand NaN/unsupported handling: Some(result) when the operand decides it.
fn nan1(fpu: &mut Fpu, x: u128) -> Option<u128> {
    if is_unsupported(x) || is_nan_bits(x) {
        fpu.set_c1(false);
    }
    if is_unsupported(x) {
        fpu.flag(sw::IE);
        return Some(INDEFINITE);
    }
    if is_nan_bits(x) {
        if is_snan_bits(x) {
            fpu.flag(sw::IE);
        }
        return Some(quiet(x));
    }
    None
}

fn st1_or_underflow(fpu: &mut Fpu) -> Option<u128> {
    let y = fpu.st(1);
    if y.is_none() {
        fpu.underflow();
    }
    y
}

fn fscale(fpu: &mut Fpu, x: u128) {
    let Some(y) = st1_or_underflow(fpu) else {
        fpu.set_st(0, INDEFINITE);
        return;
    };
    if let Some(r) = fpu.nan2(x, y) {
        fpu.set_st(0, r);
        return;
    }
    fpu.denormal_check(&[x, y]);
    let (fx, fy) = (f(x), f(y));
    let r = if fy.is_infinite() {
        match (fx.category(), fy.is_negative()) {
            (Category::Zero, false) | (Category::Infinity, true) => {
                fpu.flag(sw::IE);
                INDEFINITE
            }
            (Category::Zero, true) | (Category::Infinity, false) => x,
            (_, false) => x & (1 << 79) | 0x7fff_8000_0000_0000_0000,
            (_, true) => x & (1 << 79),
        }
    } else if !fx.is_finite_non_zero() {
        x
    } else {
        let mut li = false;
        let n = fy
            .round_to_integral(Round::TowardZero)
            .value
            .to_i128_r(32, Round::TowardZero, &mut li)
            .value
            .clamp(-200_000, 200_000) as i32;
        let w = widen(fx).scalbn(n);
        fpu.finish(w, 64)
    };
    fpu.set_st(0, r);
}

fn fxtract(fpu: &mut Fpu, x: u128) {
    if let Some(r) = nan1(fpu, x) {
        fpu.set_st(0, r);
        fpu.push(r);
        return;
    }
    fpu.denormal_check(&[x]);
    let fx = f(x);
    if fx.is_zero() {
        fpu.flag(sw::ZE);
        fpu.set_st(0, 0xffff_8000_0000_0000_0000);
        fpu.push(x);
        return;
    }
    if fx.is_infinite() {
        fpu.set_st(0, 0x7fff_8000_0000_0000_0000);
        fpu.push(x);
        return;
    }
    let e = fx.ilogb();
    let sig = fx.scalbn(-e).to_bits();
    fpu.set_st(0, from_int(e as i64));
    fpu.set_c1(false);
    fpu.push(sig);
}

/// The significand of a finite non-zero value as a 64-bit integer with bit 63 set, and the
/// exponent of bit 63.
fn unpack(x: F) -> (u128, i32) {
    let e = x.ilogb();
    let mut li = false;
    let m = x
        .abs()
        .scalbn(63 - e)
        .to_u128_r(64, Round::TowardZero, &mut li)
        .value;
    (m, e)
}

fn fprem(fpu: &mut Fpu, x: u128, ieee: bool) {
    let Some(y) = st1_or_underflow(fpu) else {
        fpu.s.fsw &= !sw::C2;
        fpu.set_st(0, INDEFINITE);
        return;
    };
    if let Some(r) = fpu.nan2(x, y) {
        fpu.s.fsw &= !sw::C2;
        fpu.set_st(0, r);
        return;
    }
    let (fx, fy) = (f(x), f(y));
    if fx.is_infinite() || fy.is_zero() {
        fpu.flag(sw::IE);
        fpu.set_c1(false);
        fpu.s.fsw &= !sw::C2;
        fpu.set_st(0, INDEFINITE);
        return;
    }
    fpu.denormal_check(&[x, y]);
    if fx.is_zero() || fy.is_infinite() {
        fpu.set_cc(false, false, false, false);
        fpu.set_st(0, fx.to_bits()); // canonical: a pseudo-denormal gets exponent 1
        return;
    }
    let (ma, ea) = unpack(fx);
    let (mb, eb) = unpack(fy);
    let d = ea - eb;
    let neg = fx.is_negative();
    if d >= 64 {
        // Partial remainder (C2 = 1): the SDM leaves the exponent reduction d - n to the
        // implementation (n in 32..=63); n = 32 + (d - 64) mod 32 is what the host CPUs of
        // the differential test (`fprem_partial_remainders`) give.
        let n = 32 + (d - 64) % 32;
        let shift = (d - n) as u32;
        // x - y·2^shift·trunc(x / (y·2^shift)); divisor exponent eb + shift, difference n.
        let num = ma << n;
        let rem = num % mb;
        let r = widen(F::from_u128(rem).value).scalbn(eb - 63 + shift as i32);
        let r = if neg { -r } else { r };
        let v = fpu.finish(r, 64);
        fpu.set_cc(false, true, false, false);
        fpu.set_st(0, if rem == 0 { x & (1 << 79) } else { v });
        return;
    }
    if d < -1 {
        // |x| < |y| / 2: quotient 0 for both forms, x unchanged.
        fpu.set_cc(false, false, false, false);
        fpu.set_st(0, fx.to_bits());
        return;
    }
    let (num, den, scale) = if d >= 0 {
        (ma << d, mb, eb - 63)
    } else {
        (ma, mb << 1, ea - 63)
    };
    let mut q = num / den;
    let mut rem = num % den;
    let mut rneg = neg;
    if ieee {
        let twice = rem << 1;
        if twice > den || (twice == den && q & 1 == 1) {
            q += 1;
            rem = den - rem;
            rneg = !neg;
        }
    }
    let r = if rem == 0 {
        (neg as u128) << 79
    } else {
        let w = widen(F::from_u128(rem).value).scalbn(scale);
        let w = if rneg { -w } else { w };
        fpu.finish(w, 64)
    };
    // C0 = Q2, C3 = Q1, C1 = Q0.
    fpu.set_cc(q & 2 != 0, false, q & 1 != 0, q & 4 != 0);
    fpu.set_st(0, r);
}

fn to_f64(x: u128) -> f64 {
    let mut li = false;
    let d: Double = f(x).convert_r(Round::NearestTiesToEven, &mut li).value;
    f64::from_bits(d.to_bits() as u64)
}

/// x as an unevaluated sum hi + lo of two f64 (hi = x rounded to nearest): the
/// transcendentals add the first-order term in lo, so that the 11 bits of x below f64's
/// precision still count.
fn split(x: u128) -> (f64, f64) {
    let hi = to_f64(x);
    if !hi.is_finite() {
        return (hi, 0.0);
    }
    let h = f(load_fp_quiet(hi.to_bits(), false));
    let lo = (f(x) - h).value;
    (hi, to_f64(lo.to_bits()))
}

fn from_f64(fpu: &mut Fpu, v: f64) -> u128 {
    let x = load_fp_quiet(v.to_bits(), false);
    if v.is_nan() {
        fpu.flag(sw::IE);
        return INDEFINITE;
    }
    // Not exact in general: the f64 result has 53 good bits; report it as inexact.
    fpu.flag(sw::PE);
    x
}

/// 2^63: FSIN/FCOS/FPTAN/FSINCOS leave larger operands unchanged with C2 = 1.
const TRIG_LIMIT: f64 = 9_223_372_036_854_775_808.0;

fn transcendental(fpu: &mut Fpu, a: u64, x: u128) {
    match a {
        misc::FSIN | misc::FCOS | misc::FPTAN | misc::FSINCOS => {
            if let Some(r) = nan1(fpu, x) {
                fpu.s.fsw &= !sw::C2;
                fpu.set_st(0, r);
                if a == misc::FPTAN || a == misc::FSINCOS {
                    fpu.push(r);
                }
                return;
            }
            let (v, lo) = split(x);
            if v.is_infinite() {
                fpu.flag(sw::IE);
                fpu.s.fsw &= !sw::C2;
                fpu.set_st(0, INDEFINITE);
                if a == misc::FPTAN || a == misc::FSINCOS {
                    fpu.push(INDEFINITE);
                }
                return;
            }
            if v.abs() >= TRIG_LIMIT {
                fpu.s.fsw |= sw::C2;
                return;
            }
            fpu.s.fsw &= !sw::C2;
            fpu.denormal_check(&[x]);
            if f(x).is_zero() {
                // Exact: sin ±0 = ±0, tan ±0 = ±0, cos 0 = 1.
                match a {
                    misc::FSIN => {}
                    misc::FCOS => fpu.set_st(0, CONSTS[0]),
                    misc::FPTAN => fpu.push(CONSTS[0]),
                    _ => {
                        fpu.push(CONSTS[0]);
                    }
                }
                fpu.set_c1(false);
                return;
            }
            match a {
                misc::FSIN => {
                    let r = from_f64(fpu, v.sin() + v.cos() * lo);
                    fpu.set_st(0, r);
                }
                misc::FCOS => {
                    let r = from_f64(fpu, v.cos() - v.sin() * lo);
                    fpu.set_st(0, r);
                }
                misc::FPTAN => {
                    let t = v.tan();
                    let r = from_f64(fpu, t + (1.0 + t * t) * lo);
                    fpu.set_st(0, r);
                    fpu.push(CONSTS[0]);
                }
                _ => {
                    let (s, c) = v.sin_cos();
                    let (s, c) = (s + c * lo, c - s * lo);
                    let s = from_f64(fpu, s);
                    let c = from_f64(fpu, c);
                    fpu.set_st(0, s);
                    fpu.push(c);
                }
            }
            fpu.set_c1(false);
        }
        misc::F2XM1 => {
            if let Some(r) = nan1(fpu, x) {
                fpu.set_st(0, r);
                return;
            }
            let (v, lo) = split(x);
            let r = if f(x).is_zero() {
                x
            } else if v == f64::NEG_INFINITY {
                0xbfff_8000_0000_0000_0000
            } else if v == f64::INFINITY {
                x
            } else {
                let r = (v * std::f64::consts::LN_2).exp_m1();
                from_f64(fpu, r + std::f64::consts::LN_2 * (r + 1.0) * lo)
            };
            fpu.set_c1(false);
            fpu.set_st(0, r);
        }
        misc::FPATAN => {
            let Some(y) = st1_or_underflow(fpu) else {
                fpu.set_st(1, INDEFINITE);
                fpu.pop();
                return;
            };
            let r = match fpu.nan2(y, x) {
                Some(r) => r,
                None => {
                    let ((vy, ylo), (vx, xlo)) = (split(y), split(x));
                    let mut r = vy.atan2(vx);
                    let d = vx * vx + vy * vy;
                    if d.is_finite() && d > 0.0 {
                        r += (vx * ylo - vy * xlo) / d;
                    }
                    if r == 0.0 {
                        load_fp_quiet(r.to_bits(), false)
                    } else {
                        from_f64(fpu, r)
                    }
                }
            };
            fpu.set_c1(false);
            fpu.set_st(1, r);
            fpu.pop();
        }
        _ => {
            // FYL2X: ST(1) · log2(ST(0)); FYL2XP1: ST(1) · log2(ST(0) + 1). Pop.
            let Some(y) = st1_or_underflow(fpu) else {
                fpu.set_st(1, INDEFINITE);
                fpu.pop();
                return;
            };
            let r = match fpu.nan2(x, y) {
                Some(r) => r,
                None => fyl2x(fpu, x, y, a == misc::FYL2XP1),
            };
            fpu.set_st(1, r);
            fpu.pop();
        }
    }
}

fn fyl2x(fpu: &mut Fpu, x: u128, y: u128, p1: bool) -> u128 {
    let (fx, fy) = (f(x), f(y));
    fpu.set_c1(false);
    fpu.denormal_check(&[x, y]);
    let inf = |neg: bool| (neg as u128) << 79 | 0x7fff_8000_0000_0000_0000;
    if p1 {
        // log2(1 + x) for |x| < 1 - sqrt(2)/2 (outside: undefined on hardware).
        let (v, lo) = split(x);
        let l = (v.ln_1p() + lo / (1.0 + v)) / std::f64::consts::LN_2;
        if fx.is_zero() {
            return (sign_bits(x) ^ sign_bits(y)) as u128 * (1 << 79);
        }
        let lx = load_fp_quiet(l.to_bits(), false);
        fpu.flag(sw::PE);
        return fpu.binop(BinOp::Mul, lx, y);
    }
    if fx.is_negative() && !fx.is_zero() {
        fpu.flag(sw::IE);
        return INDEFINITE;
    }
    if fx.is_zero() {
        if fy.is_zero() {
            fpu.flag(sw::IE);
            return INDEFINITE;
        }
        fpu.flag(sw::ZE);
        return inf(!fy.is_negative());
    }
    if fx.is_infinite() {
        if fy.is_zero() {
            fpu.flag(sw::IE);
            return INDEFINITE;
        }
        return inf(fy.is_negative());
    }
    // x = m · 2^e, m in [1, 2): log2 x = e + log2(m), log2(m) = ln_1p(m - 1) / ln 2.
    let e = fx.ilogb();
    let m = fx.scalbn(-e);
    let m1 = (m - F::from_u128(1).value).value;
    let (v, lo) = split(m1.to_bits());
    let lm = (v.ln_1p() + lo / (1.0 + v)) / std::f64::consts::LN_2;
    if fy.is_infinite() {
        let one = x == CONSTS[0];
        if one {
            fpu.flag(sw::IE);
            return INDEFINITE;
        }
        return inf(fy.is_negative() ^ (e < 0));
    }
    if e == 0 && m1.is_zero() {
        // log2(1) = 0 exactly: ±0 by y's sign.
        return (sign_bits(y) as u128) << 79;
    }
    // e + lm exactly enough: in the wide format, then rounded once with y's product.
    let we = W::from_i128(e as i128).value;
    let wl = widen(f(load_fp_quiet(lm.to_bits(), false)));
    let l = (we + wl).value;
    let prod = (l * widen(fy)).value;
    fpu.flag(sw::PE);
    fpu.finish(prod, 64)
}

/// Environment/state images (argument a) through `X87State::img`.
pub mod image {
    /// FNSTENV: the 28-byte protected-mode environment into img; then masks all exceptions.
    pub const FNSTENV: u64 = 0;
    /// FLDENV from img.
    pub const FLDENV: u64 = 1;
    /// FNSAVE: environment (28) + ST0–ST7 (80) = 108 bytes into img, then FNINIT.
    pub const FNSAVE: u64 = 2;
    pub const FRSTOR: u64 = 3;
    /// FXSAVE: bytes 0–23 and 32–159 of the FXSAVE image into img (24–31 MXCSR by the lifter).
    pub const FXSAVE: u64 = 4;
    pub const FXRSTOR: u64 = 5;
}

/// The full two-bit tag of physical register p (SDM 8.1.7).
fn full_tag(s: &X87State, p: usize) -> u16 {
    if s.ftw >> p & 1 == 0 {
        return 3;
    }
    let v = s.regs[p] & MASK80;
    let e = (v >> 64) & 0x7fff;
    if v & ((1 << 79) - 1) == 0 {
        1
    } else if e == 0x7fff || e == 0 || (v as u64) >> 63 == 0 {
        2
    } else {
        0
    }
}

fn img_bytes(s: &mut X87State) -> &mut [u8] {
    // SAFETY: img is a [u64; 20] inside the state; viewing it as 160 bytes is sound (u8 has
    // no alignment or validity requirements) and the borrow of `s` keeps it unique.
    unsafe { std::slice::from_raw_parts_mut(s.img.as_mut_ptr() as *mut u8, 160) }
}

fn fsw_full(s: &X87State) -> u16 {
    (s.fsw & !0x3800) | (((s.top & 7) as u16) << 11)
}

fn put_env(s: &mut X87State) {
    let fcw = s.fcw;
    let fsw = fsw_full(s);
    let mut tag = 0u16;
    for p in 0..8 {
        tag |= full_tag(s, p) << (2 * p);
    }
    let b = img_bytes(s);
    b[..28].fill(0);
    b[0..2].copy_from_slice(&fcw.to_le_bytes());
    b[2..4].copy_from_slice(&0xffffu16.to_le_bytes());
    b[4..6].copy_from_slice(&fsw.to_le_bytes());
    b[6..8].copy_from_slice(&0xffffu16.to_le_bytes());
    b[8..10].copy_from_slice(&tag.to_le_bytes());
    b[10..12].copy_from_slice(&0xffffu16.to_le_bytes());
}

fn get_env(s: &mut X87State) {
    let b = img_bytes(s);
    let fcw = u16::from_le_bytes([b[0], b[1]]);
    let fsw = u16::from_le_bytes([b[4], b[5]]);
    let tag = u16::from_le_bytes([b[8], b[9]]);
    s.fcw = fcw;
    s.fsw = fsw & !0x3800;
    s.top = u32::from(fsw >> 11) & 7;
    s.ftw = 0;
    for p in 0..8 {
        if (tag >> (2 * p)) & 3 != 3 {
            s.ftw |= 1 << p;
        }
    }
}

extern "C" fn x87_image(state: *mut u8, _m: *mut u8, a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    let fpu = fpu_of(state);
    let s = fpu.s;
    match a {
        image::FNSTENV => {
            put_env(s);
            s.fcw |= 0x3f;
        }
        image::FLDENV => get_env(s),
        image::FNSAVE => {
            put_env(s);
            for i in 0..8 {
                let v = s.regs[((s.top as usize) + i) & 7];
                let o = 28 + 10 * i;
                img_bytes(s)[o..o + 10].copy_from_slice(&v.to_le_bytes()[..10]);
            }
            s.fcw = 0x37f;
            s.fsw = 0;
            s.top = 0;
            s.ftw = 0;
        }
        image::FRSTOR => {
            get_env(s);
            for i in 0..8 {
                let o = 28 + 10 * i;
                let mut v = [0u8; 16];
                v[..10].copy_from_slice(&img_bytes(s)[o..o + 10]);
                s.regs[((s.top as usize) + i) & 7] = u128::from_le_bytes(v);
            }
        }
        image::FXSAVE => {
            let fcw = s.fcw;
            let fsw = fsw_full(s);
            let ftw = s.ftw;
            let regs: Vec<u128> = (0..8)
                .map(|i| s.regs[((s.top as usize) + i) & 7] & MASK80)
                .collect();
            let b = img_bytes(s);
            b.fill(0);
            b[0..2].copy_from_slice(&fcw.to_le_bytes());
            b[2..4].copy_from_slice(&fsw.to_le_bytes());
            b[4] = ftw;
            for (i, v) in regs.iter().enumerate() {
                let o = 32 + 16 * i;
                b[o..o + 16].copy_from_slice(&v.to_le_bytes());
            }
        }
        _ => {
            let b = img_bytes(s);
            let fcw = u16::from_le_bytes([b[0], b[1]]);
            let fsw = u16::from_le_bytes([b[2], b[3]]);
            let ftw = b[4];
            let mut regs = [0u128; 8];
            for (i, r) in regs.iter_mut().enumerate() {
                let o = 32 + 16 * i;
                let mut v = [0u8; 16];
                v[..10].copy_from_slice(&b[o..o + 10]);
                *r = u128::from_le_bytes(v);
            }
            s.fcw = fcw;
            s.fsw = fsw & !0x3800;
            s.top = u32::from(fsw >> 11) & 7;
            s.ftw = ftw;
            for (i, v) in regs.into_iter().enumerate() {
                s.regs[((s.top as usize) + i) & 7] = v;
            }
        }
    }
    0
}

/// The helpers the lifter calls, named in the IR as their functions.
macro_rules! helpers {
    ($($name:ident = $func:ident;)*) => {$(
        pub(crate) static $name: Helper = Helper {
            name: stringify!($func),
            func: $func,
        };
    )*};
}

helpers! {
    LOAD = x87_load;
    STORE = x87_store;
    ARITH = x87_arith;
    CMP = x87_cmp;
    MISC = x87_misc;
    IMAGE = x87_image;
}

#[cfg(test)]
mod tests {
    use super::*;
    use xarch_translator::testing::Rng;

    fn new_fpu(s: &mut X87State) -> Fpu<'_> {
        Fpu {
            s,
            pending_de: false,
        }
    }

    fn fpu_with(vals: &[u128]) -> X87State {
        let mut s = X87State {
            fcw: 0x37f,
            ..Default::default()
        };
        let mut fpu = new_fpu(&mut s);
        for &v in vals.iter().rev() {
            fpu.push(v);
        }
        s
    }

    fn ext(v: f64) -> u128 {
        load_fp_quiet(v.to_bits(), false)
    }

    #[test]
    fn add_rounds_by_rc_and_pc() {
        // 1 + 2^-64: inexact at 64 bits; nearest-even gives 1, up gives 1 + 2^-63.
        let one = ext(1.0);
        let tiny = 0x3fbf_8000_0000_0000_0000u128;
        let mut s = fpu_with(&[]);
        let mut fpu = new_fpu(&mut s);
        assert_eq!(fpu.binop(BinOp::Add, one, tiny), one);
        assert_ne!(fpu.s.fsw & sw::PE, 0);
        assert_eq!(fpu.s.fsw & sw::C1, 0);
        fpu.s.fcw = 0x37f | 2 << 10;
        assert_eq!(fpu.binop(BinOp::Add, one, tiny), one + 1);
        assert_ne!(fpu.s.fsw & sw::C1, 0);
        // PC = 53: 1/3 rounds like an f64.
        fpu.s.fcw = 0x27f;
        let r = fpu.binop(BinOp::Div, one, ext(3.0));
        assert_eq!(r, ext(1.0 / 3.0));
    }

    #[test]
    fn overflow_toward_zero_flags_oe() {
        let mut s = fpu_with(&[]);
        let mut fpu = new_fpu(&mut s);
        fpu.s.fcw = 0xf7f;
        let big = 0x7ffe_8000_0000_0000_0000u128;
        let r = fpu.binop(BinOp::Mul, big, big);
        assert_eq!(r, 0x7ffe_ffff_ffff_ffff_ffff);
        assert_eq!(fpu.s.fsw & 0x3f, sw::OE | sw::PE);
    }

    #[test]
    fn smallest_normal_encodes_with_exponent_one() {
        let v = 0x0001_ffff_ffff_ffff_fc60u128;
        let mut s = fpu_with(&[]);
        let mut fpu = new_fpu(&mut s);
        assert_eq!(fpu.finish(widen(f(v)), 64), v);
        let (m, e) = unpack(f(v));
        let w = widen(F::from_u128(m).value).scalbn(e - 63);
        assert_eq!(fpu.finish(w, 64), v);
    }

    #[test]
    fn sqrt_is_exact() {
        let mut s = fpu_with(&[]);
        let mut fpu = new_fpu(&mut s);
        assert_eq!(fpu.sqrt(ext(9.0)), ext(3.0));
        assert_eq!(fpu.s.fsw & sw::PE, 0);
        fpu.s.fcw = 0x27f;
        assert_eq!(fpu.sqrt(ext(2.0)), ext(2f64.sqrt()));
        assert_eq!(fpu.sqrt(ext(-1.0)), INDEFINITE);
    }

    #[test]
    fn fprem_quotient_bits() {
        // 7 rem 2: q = 3 → C1 = 1, C3 = 1, C0 = 0; remainder 1.
        let mut s = fpu_with(&[ext(7.0), ext(2.0)]);
        let mut fpu = new_fpu(&mut s);
        fprem(&mut fpu, ext(7.0), false);
        assert_eq!(fpu.st(0), Some(ext(1.0)));
        assert_eq!(fpu.s.fsw & sw::CC, sw::C1 | sw::C3);
        // FPREM1: 7 rem 2 rounds q to 4 (ties to even): −1, C0 = 1.
        let mut s = fpu_with(&[ext(7.0), ext(2.0)]);
        let mut fpu = new_fpu(&mut s);
        fprem(&mut fpu, ext(7.0), true);
        assert_eq!(fpu.st(0), Some(ext(-1.0)));
        assert_eq!(fpu.s.fsw & sw::CC, sw::C0);
    }

    /// Operands for `fast_paths_match_the_exact_ones`: normal values of every exponent, at
    /// the ends of the range, close to `near` (cancellation, equal values), f64-exact,
    /// (half-)integers, all-ones significands (carries); and zeros, denormals, infinities,
    /// NaNs and unnormals, which the fast paths must pass on.
    fn operand(rng: &mut Rng, near: u128) -> u128 {
        let sign = (rng.next() & 1) as u128;
        let sig = rng.next() | 1 << 63;
        let (e, m): (u64, u64) = match rng.below(16) {
            0 => (1 + rng.below(0x7ffe), sig),
            1 => (1 + rng.below(70), sig),
            2 => (0x7ffe - rng.below(70), sig),
            3 | 4 => {
                let e = ((near >> 64) & 0x7fff) as u64;
                let e = (e + rng.below(5)).saturating_sub(2).clamp(1, 0x7ffe);
                let sh = rng.below(64);
                let d = rng.below(1 << sh) as i64 - rng.below(1 << 10) as i64;
                (e, (near as u64).wrapping_add(d as u64) | 1 << 63)
            }
            5 => (0x3fff - 30 + rng.below(60), sig & !0x7ff),
            6 => {
                // k / 2^j: integers and exact halves, quarters …
                let v = rng.below(1 << 20) + 1;
                let lz = v.leading_zeros() as u64;
                (0x3fff + 63 - lz - rng.below(4), v << lz)
            }
            7 => (0x3fff - 70 + rng.below(140), u64::MAX << rng.below(64)),
            8 => match rng.below(5) {
                0 => (0, 0),
                1 => (0, sig >> (1 + rng.below(63))),
                2 => (0x7fff, 1 << 63),
                3 => (0x7fff, sig),
                _ => (rng.below(0x7fff), sig & !(1 << 63)),
            },
            _ => (0x3fff - 70 + rng.below(140), sig),
        };
        sign << 79 | u128::from(e) << 64 | u128::from(m)
    }

    #[test]
    fn fast_paths_match_the_exact_ones() {
        let mut rng = Rng(0x87fa_57);
        let rounds = [
            Round::NearestTiesToEven,
            Round::TowardNegative,
            Round::TowardPositive,
            Round::TowardZero,
        ];
        let mut a = operand(&mut rng, 0x3fff_8000_0000_0000_0000);
        for k in 0..400_000 {
            let b = operand(&mut rng, a);
            let fcw = 0x7f | (rng.pick(&[0u16, 2, 3]) << 8) | (rng.below(4) as u16) << 10;
            let init = X87State {
                fcw,
                fsw: rng.next() as u16 & 0x4700,
                ..Default::default()
            };
            let (mut s1, mut s2) = (init, init);
            // A denormal m32fp/m64fp operand (normal in 80 bits) leaves DE pending.
            let pending_de = rng.below(16) == 0;
            let mut fast = Fpu {
                s: &mut s1,
                pending_de,
            };
            let mut exact = Fpu {
                s: &mut s2,
                pending_de,
            };
            let cc = |r: (bool, bool, bool)| {
                u128::from(r.0) << 2 | u128::from(r.1) << 1 | u128::from(r.2)
            };
            let (op, got, want) = match k % 8 {
                0..=2 => {
                    let op = rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div]);
                    let r = (fast.binop(op, a, b), exact.binop_exact(op, a, b));
                    (format!("{op:?}"), r.0, r.1)
                }
                3 => ("sqrt".into(), fast.sqrt(a), exact.sqrt_exact(a)),
                4 => {
                    let single = rng.below(2) == 0;
                    let r = (
                        store_fp(&mut fast, a, single),
                        store_fp_exact(&mut exact, a, single),
                    );
                    (format!("store_fp single={single}"), r.0.into(), r.1.into())
                }
                5 => {
                    let bits = rng.pick(&[16, 32, 64]);
                    let rc = rng.pick(&rounds);
                    let r = (
                        store_int(&mut fast, a, bits, rc),
                        store_int_exact(&mut exact, a, bits, rc),
                    );
                    (format!("store_int {bits} {rc:?}"), r.0.into(), r.1.into())
                }
                6 => {
                    let r =
                        frndint_fast(&mut fast, a).unwrap_or_else(|| frndint_exact(&mut fast, a));
                    ("frndint".into(), r, frndint_exact(&mut exact, a))
                }
                _ => {
                    let u = rng.below(2) == 0;
                    let r = compare(&mut fast, a, b, u);
                    let w = match compare_exact(&mut exact, a, b, u) {
                        Some(Ordering::Greater) => (false, false, false),
                        Some(Ordering::Less) => (false, false, true),
                        Some(Ordering::Equal) => (true, false, false),
                        None => (true, true, true),
                    };
                    (format!("compare unordered={u}"), cc(r), cc(w))
                }
            };
            assert_eq!(
                (got, s1.fsw),
                (want, s2.fsw),
                "{op} of {a:#022x}, {b:#022x} with fcw {fcw:#x}, pending DE {pending_de}: fast path \
                 (value, fsw) vs exact"
            );
            a = if k % 8 < 4 && rng.below(3) == 0 {
                got
            } else {
                b
            };
        }
    }
}
