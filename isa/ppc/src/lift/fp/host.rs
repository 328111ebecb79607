//! FPSCR-faithful floating point: one host helper per FP arithmetic, rounding, conversion and
//! compare instruction, which computes the result and updates FPSCR in the guest state.
//!
//! ```text
//!   lift/fp.rs ──Op::CallHelper(FP_OP; a, b, c, op)──► fp_op ──► result bits, state.fpscr
//! ```
//!
//! How each part is computed, and how exact it is (every bit below is modelled; the one
//! choice left to the implementation is noted where the ISA leaves a bit undefined):
//! - The common case, FPSCR[RN] = 0 with finite operands and a result well inside the normal
//!   range (`fast`), is host arithmetic in the thread's default MXCSR (round to nearest)
//!   plus an exact error term (TwoSum, FMA residuals, an expansion for the fused forms), which
//!   gives FI and FR without touching MXCSR; tests check it against the general path.
//! - The general path is host SSE arithmetic run with the host MXCSR set from FPSCR[RN] for
//!   that one instruction (inline asm: load MXCSR, the operation, read the flags, restore
//!   MXCSR), so the rounding of every rounding mode is the IEEE one, and the host's
//!   IE/ZE/OE/UE/PE flags of that instruction are known exactly.
//! - Single-precision results round once: the double operation runs toward zero with the
//!   sticky bit ORed into the last place (round to odd: 53 bits >= 24 + 2), then one rounding
//!   to single in the guest mode. This holds for the fused forms too (`fmadds`).
//! - NaNs: an SNaN operand sets VXSNAN; a NaN result is the first NaN operand in the ISA's order
//!   (FRA, FRB, FRC), quieted; an invalid operation without NaN operands gives the default
//!   QNaN 0x7ff8_0000_0000_0000 (not the host's negative one). The invalid-operation cause
//!   (VXISI, VXIDI, VXZDZ, VXIMZ, VXSQRT, VXCVI, VXVC) comes from the operands' classes.
//! - FI is the inexact flag of this instruction, FR is set when rounding increased the
//!   magnitude (the result differs from the one rounded toward zero), both cleared by invalid
//!   operations and divide by zero; XX, OX, UX, ZX are sticky; OX also sets XX and FI (overflow
//!   with OE = 0 is inexact). UX: tiny before rounding (as PowerPC detects it) and inexact;
//!   the host detects tininess after rounding, so a result that rounded up to the smallest
//!   normal from below is added.
//! - FPRF is the class of the result (C, FL, FG, FE, FU); FX is set when an exception bit goes
//!   from 0 to 1; VX and FEX are the summaries of their bits.
//! - Enabled exceptions (VE, OE, UE, ZE, XE = 1) set FEX ([`execute`]). An invalid operation
//!   with VE = 1 or a zero divide with ZE = 1 leave the target FPR and FPRF unchanged and FR,
//!   FI clear (ISA 4.4); with OE/UE = 1 the result is still the disabled one (the ISA's
//!   exponent-adjusted result is not modelled; with the trap on, a handler sees the target
//!   that way). When the guest thread turned MSR[FE0, FE1] on (`prctl(PR_SET_FPEXC)`, which
//!   glibc's `feenableexcept` calls), an instruction that raises an enabled exception sets
//!   [`TRAP`] and the lifted code delivers SIGFPE at it (si_code as Linux's `parse_fpe`);
//!   `mtfsf`/`mtfsfi`/`mtfsb1` that set FEX take no trap. NI is ignored.
//! - Undefined in the ISA, chosen as qemu does: FPRF after fcti* (kept; C|FU when invalid),
//!   the high word of a 32-bit fcti* result (sign-extended), FR/FI/XX of fre/frsqrte (those of
//!   the division they compute exactly). fre(+-0) is +-infinity with ZX as the ISA says (qemu
//!   7.2 returns +-0.5); fnmadd/fnmsub round before negating as the ISA says (qemu negates
//!   first).
//!
//! The helper reads and writes `CpuState::fpscr` through the state pointer; everything else it
//! needs comes in its arguments.

use crate::state;
use xarch_translator::ir::Helper;

// FPSCR bits of the low word (bit 31 is FX, ISA bit 32).
pub const FX: u32 = 1 << 31;
pub const FEX: u32 = 1 << 30;
pub const VX: u32 = 1 << 29;
pub const OX: u32 = 1 << 28;
pub const UX: u32 = 1 << 27;
pub const ZX: u32 = 1 << 26;
pub const XX: u32 = 1 << 25;
pub const VXSNAN: u32 = 1 << 24;
pub const VXISI: u32 = 1 << 23;
pub const VXIDI: u32 = 1 << 22;
pub const VXZDZ: u32 = 1 << 21;
pub const VXIMZ: u32 = 1 << 20;
pub const VXVC: u32 = 1 << 19;
pub const FR: u32 = 1 << 18;
pub const FI: u32 = 1 << 17;
pub const FPRF: u32 = 0x1f << 12;
pub const FPCC: u32 = 0xf << 12;
pub const VXSOFT: u32 = 1 << 10;
pub const VXSQRT: u32 = 1 << 9;
pub const VXCVI: u32 = 1 << 8;
/// All invalid-operation causes.
pub const VX_ALL: u32 = VXSNAN | VXISI | VXIDI | VXZDZ | VXIMZ | VXVC | VXSOFT | VXSQRT | VXCVI;
/// Exception bits whose 0 -> 1 change sets FX.
pub const EXC: u32 = OX | UX | ZX | XX | VX_ALL;

/// The operations of [`FP_OP`] (argument `d`, low byte; [`SINGLE`] for the single forms).
pub mod op {
    pub const ADD: u64 = 0;
    pub const SUB: u64 = 1;
    pub const MUL: u64 = 2;
    pub const DIV: u64 = 3;
    pub const SQRT: u64 = 4;
    pub const MADD: u64 = 5;
    pub const MSUB: u64 = 6;
    pub const NMADD: u64 = 7;
    pub const NMSUB: u64 = 8;
    pub const RE: u64 = 9;
    pub const RSQRTE: u64 = 10;
    /// frsp
    pub const RSP: u64 = 11;
    /// fcfid[s] (a = the integer), fcfidu[s]
    pub const CFID: u64 = 12;
    pub const CFIDU: u64 = 13;
    /// fctiw / fctid / fctiwu / fctidu and the `z` forms: [`super::CTI_Z`], [`super::CTI_64`],
    /// [`super::CTI_U`] select.
    pub const CTI: u64 = 14;
    /// frin, friz, frip, frim: the rounding in bits 8..9 of `d` (0 nearest away, 1 zero,
    /// 2 +inf, 3 -inf).
    pub const RI: u64 = 15;
    /// fcmpu / fcmpo ([`super::ORDERED`]): returns the CR field (LT GT EQ UN as 8 4 2 1).
    pub const CMP: u64 = 16;
}
pub const SINGLE: u64 = 1 << 8;
pub const CTI_Z: u64 = 1 << 9;
pub const CTI_64: u64 = 1 << 10;
pub const CTI_U: u64 = 1 << 11;
pub const ORDERED: u64 = 1 << 9;
/// A vector (`xv*`) element: the exceptions as the scalar form's, FR, FI and FPRF unchanged.
pub const VECTOR: u64 = 1 << 12;

// Host MXCSR flags.
const IE: u32 = 1;
const ZE: u32 = 4;
const OE: u32 = 8;
const UE: u32 = 16;
const PE: u32 = 32;

/// MXCSR for an FPSCR rounding mode (0 nearest, 1 zero, 2 +inf, 3 -inf): every exception
/// masked, no flush to zero.
fn mxcsr(rn: u32) -> u32 {
    let rc = [0, 3, 2, 1][rn as usize & 3];
    0x1f80 | rc << 13
}

macro_rules! sse2 {
    ($name:ident, $insn:literal) => {
        /// One SSE instruction under `csr`; the result and the exception flags it raised.
        fn $name(a: f64, b: f64, csr: u32) -> (f64, u32) {
            let mut x = a;
            let (mut saved, mut flags) = (0u32, 0u32);
            // SAFETY: STMXCSR/LDMXCSR access the three valid locals named; `csr` masks every
            // exception and sets no reserved bit, and the caller's MXCSR is restored before the
            // block ends, so no code outside sees the temporary rounding mode.
            unsafe {
                std::arch::asm!(
                    "stmxcsr [{saved}]",
                    "ldmxcsr [{csr}]",
                    concat!($insn, " {x}, {y}"),
                    "stmxcsr [{flags}]",
                    "ldmxcsr [{saved}]",
                    x = inout(xmm_reg) x,
                    y = in(xmm_reg) b,
                    saved = in(reg) &mut saved,
                    csr = in(reg) &csr,
                    flags = in(reg) &mut flags,
                    options(nostack),
                )
            };
            (x, flags & 0x3f)
        }
    };
}

sse2!(h_add, "addsd");
sse2!(h_sub, "subsd");
sse2!(h_mul, "mulsd");
sse2!(h_div, "divsd");
sse2!(h_sqrt, "sqrtsd");

/// a * c + b with one rounding under `csr`.
fn h_fma(a: f64, c: f64, b: f64, csr: u32) -> (f64, u32) {
    if !std::arch::is_x86_feature_detected!("fma") {
        // Without FMA the host cannot round this once in another mode: round to nearest.
        let r = a.mul_add(c, b);
        return (r, 0);
    }
    let mut x = b;
    let (mut saved, mut flags) = (0u32, 0u32);
    // SAFETY: as in `sse2!`; VFMADD231SD exists (checked above).
    unsafe {
        std::arch::asm!(
            "stmxcsr [{saved}]",
            "ldmxcsr [{csr}]",
            "vfmadd231sd {x}, {y}, {z}",
            "stmxcsr [{flags}]",
            "ldmxcsr [{saved}]",
            x = inout(xmm_reg) x,
            y = in(xmm_reg) a,
            z = in(xmm_reg) c,
            saved = in(reg) &mut saved,
            csr = in(reg) &csr,
            flags = in(reg) &mut flags,
            options(nostack),
        )
    };
    (x, flags & 0x3f)
}

/// Double to single under `csr` (CVTSD2SS), back to double (exact).
fn h_to_single(a: f64, csr: u32) -> (f64, u32) {
    let mut x = a;
    let (mut saved, mut flags) = (0u32, 0u32);
    // SAFETY: as in `sse2!`.
    unsafe {
        std::arch::asm!(
            "stmxcsr [{saved}]",
            "ldmxcsr [{csr}]",
            "cvtsd2ss {x}, {x}",
            "stmxcsr [{flags}]",
            "ldmxcsr [{saved}]",
            "cvtss2sd {x}, {x}",
            x = inout(xmm_reg) x,
            saved = in(reg) &mut saved,
            csr = in(reg) &csr,
            flags = in(reg) &mut flags,
            options(nostack),
        )
    };
    (x, flags & 0x3f)
}

fn is_nan(x: u64) -> bool {
    x & !(1 << 63) > 0x7ff0_0000_0000_0000
}

fn is_snan(x: u64) -> bool {
    is_nan(x) && x & 1 << 51 == 0
}

fn is_inf(x: u64) -> bool {
    x & !(1 << 63) == 0x7ff0_0000_0000_0000
}

fn is_zero(x: u64) -> bool {
    x & !(1 << 63) == 0
}

fn quiet(x: u64) -> u64 {
    x | 1 << 51
}

const DEFAULT_NAN: u64 = 0x7ff8_0000_0000_0000;

/// FPRF (C FL FG FE FU) of a double result.
#[inline]
pub fn fprf_of(x: u64) -> u32 {
    let neg = x >> 63 == 1;
    let v = if is_nan(x) {
        0x11
    } else if is_inf(x) {
        if neg { 0x09 } else { 0x05 }
    } else if is_zero(x) {
        if neg { 0x12 } else { 0x02 }
    } else if x >> 52 & 0x7ff == 0 {
        if neg { 0x18 } else { 0x14 }
    } else if neg {
        0x08
    } else {
        0x04
    };
    v << 12
}

/// A rounded result in the guest mode, with FR from the same operation rounded toward zero.
struct Rounded {
    bits: u64,
    flags: u32,
    fr: bool,
}

/// Underflow with tininess detected before rounding (PowerPC), from the host's after-rounding
/// flag: also an inexact result that rounded up to the smallest normal magnitude `min` from
/// below (`z` is the result rounded toward zero).
fn tiny_before(flags: u32, r: f64, z: f64, min: f64) -> u32 {
    if flags & PE != 0 && r.abs() == min && z.abs() < min {
        flags | UE
    } else {
        flags
    }
}

/// Runs `f` (one host operation under an MXCSR) in the guest rounding mode, to double or to
/// single precision, and works out FR.
fn round(rn: u32, single: bool, f: impl Fn(u32) -> (f64, u32)) -> Rounded {
    if single {
        // Round to odd in double, then once to single.
        let (t, fl) = f(mxcsr(1));
        if t == 0.0 && fl & PE == 0 {
            // An exact zero: its sign depends on the rounding mode (x - x is -0 toward -inf).
            let (z, fl) = f(mxcsr(rn));
            return Rounded {
                bits: z.to_bits(),
                flags: fl,
                fr: false,
            };
        }
        let odd = if fl & PE != 0 {
            f64::from_bits(t.to_bits() | 1)
        } else {
            t
        };
        let (r, fl2) = h_to_single(odd, mxcsr(rn));
        let (z, _) = h_to_single(odd, mxcsr(1));
        let flags = tiny_before(fl & (IE | ZE) | fl2, r, z, f32::MIN_POSITIVE as f64);
        Rounded {
            bits: r.to_bits(),
            flags,
            fr: flags & PE != 0 && r.abs() != z.abs(),
        }
    } else {
        let (r, flags) = f(mxcsr(rn));
        let (fr, flags) = if flags & PE != 0 && rn != 1 {
            let (z, _) = f(mxcsr(1));
            (
                r.abs() != z.abs(),
                tiny_before(flags, r, z, f64::MIN_POSITIVE),
            )
        } else {
            (false, flags)
        };
        Rounded {
            bits: r.to_bits(),
            flags,
            fr,
        }
    }
}

/// The FPSCR after an instruction: `set` ORed in (FX for new exception bits), FR/FI/FPRF as
/// given when `status` is Some, summaries recomputed.
#[inline]
fn finish(old: u32, set: u32, status: Option<(bool, bool, u32)>) -> u32 {
    let mut f = old | set;
    if let Some((fr, fi, fprf)) = status {
        f = f & !(FR | FI | FPRF) | fprf;
        if fr {
            f |= FR;
        }
        if fi {
            f |= FI;
        }
    }
    if (f & !old) & EXC != 0 {
        f |= FX;
    }
    summaries(f)
}

/// VX and FEX from their bits.
#[inline]
pub fn summaries(f: u32) -> u32 {
    let mut f = f & !(VX | FEX);
    if f & VX_ALL != 0 {
        f |= VX;
    }
    // enables VE OE UE ZE XE are bits 7..3, in the order of VX OX UX ZX XX
    let exc = (f >> 29 & 1) << 4
        | (f >> 28 & 1) << 3
        | (f >> 27 & 1) << 2
        | (f >> 26 & 1) << 1
        | (f >> 25 & 1);
    if exc & (f >> 3 & 0x1f) != 0 {
        f |= FEX;
    }
    f
}

/// Result truncated to single precision (a NaN of a single-precision instruction).
fn nan_single(x: u64) -> u64 {
    x & !((1 << 29) - 1)
}

/// a * c + b rounded once to nearest under the current MXCSR: the Linux default (round to
/// nearest, no flush to zero) on a thread running PowerPC code, which never changes it (the
/// general path restores what it finds). Reading it here (STMXCSR) would cost more than the
/// whole fast path.
#[inline]
fn fma_nearest(a: f64, c: f64, b: f64) -> f64 {
    if std::arch::is_x86_feature_detected!("fma") {
        let mut x = b;
        // SAFETY: VFMADD231SD on registers only; the FMA extension is present (checked above).
        unsafe {
            std::arch::asm!(
                "vfmadd231sd {x}, {y}, {z}",
                x = inout(xmm_reg) x,
                y = in(xmm_reg) a,
                z = in(xmm_reg) c,
                options(pure, nomem, nostack),
            )
        };
        x
    } else {
        a.mul_add(c, b)
    }
}

/// a + b = s + e exactly (TwoSum).
#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// A value with the sign of the exact sum of `x` (0 when it is 0): the largest nonzero
/// component of its nonoverlapping expansion, built by Shewchuk's Grow-Expansion unrolled
/// (exact barring overflow and underflow).
#[inline]
fn sum_sign(x: [f64; 4]) -> f64 {
    let (q, e0) = two_sum(x[1], x[0]);
    let (q1, h0) = two_sum(x[2], e0);
    let (q2, h1) = two_sum(q1, q);
    let (r1, g0) = two_sum(x[3], h0);
    let (r2, g1) = two_sum(r1, h1);
    let (r3, g2) = two_sum(r2, q2);
    if r3 != 0.0 {
        r3
    } else if g2 != 0.0 {
        g2
    } else if g1 != 0.0 {
        g1
    } else {
        g0
    }
}

/// The common case without touching MXCSR (whose writes dominate the general path's cost):
/// add, subtract, multiply, divide, square root, the fused forms and frsp, double or single,
/// to nearest, of
/// finite operands with a result well inside the normal range. The error of the double result
/// is exact there (TwoSum, or an FMA residual), which gives FI and FR; a single result rounds
/// that double once more, which is the correct single rounding except when the double sits
/// exactly halfway between two singles with a nonzero error (then: None, the general path).
/// Returns (result, inexact, FR).
#[inline(always)]
fn fast(kind: u64, single: bool, a: f64, b: f64, c: f64) -> Option<(f64, bool, bool)> {
    const BIG: f64 = 1e300;
    const SMALL: f64 = 1e-270;
    let ok = |x: f64| x.abs() <= BIG;
    let (r, err) = match kind {
        op::ADD | op::SUB if ok(a) && ok(b) => {
            let b = if kind == op::SUB { -b } else { b };
            let s = a + b;
            let bb = s - a;
            (s, (a - (s - bb)) + (b - bb))
        }
        op::MUL if ok(a) && ok(c) => {
            let p = a * c;
            if p == 0.0 && a != 0.0 && c != 0.0 {
                return None; // underflow
            }
            (p, fma_nearest(a, c, -p))
        }
        op::DIV if ok(a) && ok(b) && (a == 0.0 || a.abs() >= SMALL) && b != 0.0 => {
            let q = a / b;
            let rem = fma_nearest(-q, b, a);
            // the error q_exact - q = rem / b
            (q, if b < 0.0 { -rem } else { rem })
        }
        op::SQRT if (b == 0.0 || b >= SMALL) && ok(b) => {
            let q = b.sqrt();
            (q, fma_nearest(-q, q, b))
        }
        op::RSP if ok(b) => (b, 0.0),
        op::MADD | op::MSUB | op::NMADD | op::NMSUB => {
            // a*c ± b: the product is p + pe exactly; the error's sign is that of the exact
            // sum p + pe + b - r (an expansion, Shewchuk's Grow-Expansion).
            let b = if matches!(kind, op::MSUB | op::NMSUB) {
                -b
            } else {
                b
            };
            let term = |x: f64| x == 0.0 || (x.abs() >= SMALL && x.abs() <= 1e150);
            if !(term(a) && term(c) && term(b)) {
                return None;
            }
            let p = a * c;
            if (p == 0.0 && a != 0.0 && c != 0.0) || (p != 0.0 && p.abs() < SMALL) {
                return None; // the product underflows: its error is not a double
            }
            let r = fma_nearest(a, c, b);
            let pe = fma_nearest(a, c, -p);
            (r, sum_sign([p, pe, b, -r]))
        }
        _ => return None,
    };
    // An exact zero has the sign the host's round to nearest gave it.
    if !((r.abs() >= SMALL && r.abs() <= BIG) || (r == 0.0 && err == 0.0)) {
        return None;
    }
    let up = |r: f64, err: f64| err != 0.0 && (err < 0.0) == (r > 0.0);
    if !(single || kind == op::RSP) {
        return Some((r, err != 0.0, up(r, err)));
    }
    if r.to_bits() & 0x1fff_ffff == 0x1000_0000 && err != 0.0 {
        return None;
    }
    let s = r as f32;
    // Tiny, overflowing or at the smallest normal (tininess before rounding): general path.
    if !((s.abs() > f32::MIN_POSITIVE && s.abs() <= f32::MAX) || r == 0.0) {
        return None;
    }
    let s = s as f64;
    let fr = if s != r {
        s.abs() > r.abs()
    } else {
        up(r, err)
    };
    Some((s, s != r || err != 0.0, fr))
}

/// [`fast`] with the FPSCR update, when FPSCR[RN] is 0 and the operation is one it serves.
#[inline(always)]
fn quick(fpscr: u32, a: u64, b: u64, c: u64, kind: u64, single: bool) -> Option<(u64, u32)> {
    if fpscr & 3 != 0 || !(kind <= op::NMSUB || kind == op::RSP) {
        return None;
    }
    let (fa, fb, fc) = (f64::from_bits(a), f64::from_bits(b), f64::from_bits(c));
    let (r, fi, fr) = fast(kind, single, fa, fb, fc)?;
    let mut bits = r.to_bits();
    if matches!(kind, op::NMADD | op::NMSUB) {
        bits ^= 1 << 63;
    }
    let set = if fi { XX } else { 0 };
    Some((bits, finish(fpscr, set, Some((fr, fi, fprf_of(bits))))))
}

/// Arithmetic: `a`, `b`, `c` are FRA, FRB, FRC; returns (result, new FPSCR).
fn arith(fpscr: u32, kind: u64, single: bool, a: u64, b: u64, c: u64) -> (u64, u32) {
    let rn = fpscr & 3;
    // Operands in the ISA's NaN priority order.
    let ops: &[u64] = match kind {
        op::ADD | op::SUB | op::DIV => &[a, b],
        op::MUL => &[a, c],
        op::SQRT | op::RE | op::RSQRTE | op::RSP => &[b],
        _ => &[a, b, c],
    };
    let mut set = 0;
    if ops.iter().any(|&x| is_snan(x)) {
        set |= VXSNAN;
    }
    let (fa, fb, fc) = (f64::from_bits(a), f64::from_bits(b), f64::from_bits(c));
    // An fma's product of infinity and zero is invalid even when FRB is a NaN.
    let fused = matches!(kind, op::MADD | op::MSUB | op::NMADD | op::NMSUB);
    let imz = |x: u64, y: u64| (is_inf(x) && is_zero(y)) || (is_zero(x) && is_inf(y));
    if fused && imz(a, c) {
        set |= VXIMZ;
    }
    if let Some(&n) = ops.iter().find(|&&x| is_nan(x)) {
        let r = quiet(n);
        let r = if single || kind == op::RSP {
            nan_single(r)
        } else {
            r
        };
        return (r, finish(fpscr, set, Some((false, false, fprf_of(r)))));
    }
    if rn == 0 && set == 0 {
        if let Some(done) = quick(fpscr, a, b, c, kind, single) {
            return done;
        }
    }
    let negate = matches!(kind, op::NMADD | op::NMSUB);
    let r = match kind {
        op::ADD => round(rn, single, |m| h_add(fa, fb, m)),
        op::SUB => round(rn, single, |m| h_sub(fa, fb, m)),
        op::MUL => round(rn, single, |m| h_mul(fa, fc, m)),
        op::DIV => round(rn, single, |m| h_div(fa, fb, m)),
        op::SQRT => round(rn, single, |m| h_sqrt(fb, fb, m)),
        op::RE => round(rn, single, |m| h_div(1.0, fb, m)),
        op::RSQRTE => round(rn, single, |m| {
            let (s, f1) = h_sqrt(fb, fb, m);
            let (r, f2) = h_div(1.0, s, m);
            (r, f1 | f2)
        }),
        op::RSP => round(rn, true, |_| (fb, 0)),
        op::MADD | op::NMADD => round(rn, single, |m| h_fma(fa, fc, fb, m)),
        // a*c - b (the negated forms negate the rounded result below)
        _ => round(rn, single, |m| h_fma(fa, fc, -fb, m)),
    };
    if r.flags & IE != 0 {
        set |= match kind {
            op::ADD | op::SUB => VXISI,
            op::MUL => VXIMZ,
            op::DIV if is_inf(a) => VXIDI,
            op::DIV => VXZDZ,
            op::SQRT | op::RSQRTE => VXSQRT,
            _ if imz(a, c) => VXIMZ,
            _ => VXISI,
        };
        let r = DEFAULT_NAN;
        return (r, finish(fpscr, set, Some((false, false, fprf_of(r)))));
    }
    let mut bits = r.bits;
    if negate {
        bits ^= 1 << 63;
    }
    if r.flags & ZE != 0 {
        set |= ZX;
        return (
            bits,
            finish(fpscr, set, Some((false, false, fprf_of(bits)))),
        );
    }
    let mut fi = r.flags & PE != 0;
    if r.flags & OE != 0 {
        set |= OX | XX;
        fi = true;
    }
    if r.flags & UE != 0 {
        set |= UX;
    }
    if fi {
        set |= XX;
    }
    (bits, finish(fpscr, set, Some((r.fr, fi, fprf_of(bits)))))
}

/// Integer to double (fcfid, fcfidu) or single (fcfids, fcfidus).
fn from_int(fpscr: u32, single: bool, unsigned: bool, v: u64) -> (u64, u32) {
    let rn = fpscr & 3;
    // The exact value as (magnitude, negative); an i64/u64 has at most 64 significant bits.
    let r = round(rn, single, |m| {
        // Split into two exactly representable halves and add once: hi + lo rounds once.
        let (hi, lo) = if unsigned {
            ((v & !0xffff_ffff) as f64, (v & 0xffff_ffff) as f64)
        } else {
            let s = v as i64;
            ((s & !0xffff_ffff) as f64, (s & 0xffff_ffff) as f64)
        };
        h_add(hi, lo, m)
    });
    let fi = r.flags & PE != 0;
    let set = if fi { XX } else { 0 };
    (
        r.bits,
        finish(fpscr, set, Some((r.fr, fi, fprf_of(r.bits)))),
    )
}

/// FPRF after an invalid conversion: C and FU (the class of a QNaN), as qemu sets it; the
/// ISA leaves FPRF undefined for fcti*.
const CVI_FPRF: u32 = 0x11 << 12;

/// fcti*: to a 32- or 64-bit signed or unsigned integer. A 32-bit signed result is
/// sign-extended into the FPR (the ISA leaves the high word undefined; qemu sign-extends), the
/// NaN result 0x8000_0000 is not. FPRF is kept (undefined in the ISA) unless invalid.
fn to_int(fpscr: u32, flags: u64, b: u64) -> (u64, u32) {
    let is64 = flags & CTI_64 != 0;
    let unsigned = flags & CTI_U != 0;
    let rn = if flags & CTI_Z != 0 { 1 } else { fpscr & 3 };
    let x = f64::from_bits(b);
    let nan_val: u64 = match (is64, unsigned) {
        (false, false) => 0x8000_0000,
        (true, false) => 1 << 63,
        _ => 0,
    };
    // In range: min <= i < end.
    let (min, end): (f64, f64) = match (is64, unsigned) {
        (false, false) => (-2147483648.0, 2147483648.0),
        (false, true) => (0.0, 4294967296.0),
        (true, false) => (-9223372036854775808.0, 9223372036854775808.0),
        (true, true) => (0.0, 18446744073709551616.0),
    };
    if is_nan(b) {
        let mut set = VXCVI;
        if is_snan(b) {
            set |= VXSNAN;
        }
        return (
            nan_val,
            finish(fpscr, set, Some((false, false, fpscr & FPRF))),
        );
    }
    let i = match rn {
        0 => x.round_ties_even(),
        1 => x.trunc(),
        2 => x.ceil(),
        _ => x.floor(),
    };
    if i < min || i >= end {
        let v = if i < min {
            match (is64, unsigned) {
                (false, false) => 0xffff_ffff_8000_0000,
                (true, false) => 1 << 63,
                _ => 0,
            }
        } else {
            match (is64, unsigned) {
                (false, false) => 0x7fff_ffff,
                (false, true) => 0xffff_ffff,
                (true, false) => i64::MAX as u64,
                (true, true) => u64::MAX,
            }
        };
        return (v, finish(fpscr, VXCVI, Some((false, false, CVI_FPRF))));
    }
    let v = match (is64, unsigned) {
        (false, false) => i as i32 as i64 as u64,
        (false, true) => i as u32 as u64,
        (true, false) => i as i64 as u64,
        (true, true) => i as u64,
    };
    let fi = i != x;
    let fr = fi && i.abs() > x.abs();
    let set = if fi { XX } else { 0 };
    (v, finish(fpscr, set, Some((fr, fi, fpscr & FPRF))))
}

/// frin / friz / frip / frim.
fn round_int(fpscr: u32, mode: u64, b: u64) -> (u64, u32) {
    if is_nan(b) {
        let set = if is_snan(b) { VXSNAN } else { 0 };
        let r = quiet(b);
        return (r, finish(fpscr, set, Some((false, false, fprf_of(r)))));
    }
    let x = f64::from_bits(b);
    let r = match mode {
        0 => x.round(),
        1 => x.trunc(),
        2 => x.ceil(),
        _ => x.floor(),
    };
    let r = r.to_bits();
    (r, finish(fpscr, 0, Some((false, false, fprf_of(r)))))
}

/// fcmpu / fcmpo: the CR field (LT GT EQ UN as 8 4 2 1), also FPCC.
fn compare(fpscr: u32, ordered: bool, a: u64, b: u64) -> (u64, u32) {
    let (x, y) = (f64::from_bits(a), f64::from_bits(b));
    let c: u32 = if is_nan(a) || is_nan(b) {
        1
    } else if x < y {
        8
    } else if x > y {
        4
    } else {
        2
    };
    let mut set = 0;
    let snan = is_snan(a) || is_snan(b);
    if snan {
        set |= VXSNAN;
    }
    if ordered && (is_nan(a) || is_nan(b)) && (!snan || fpscr & (1 << 7) == 0) {
        set |= VXVC;
    }
    let f = finish(fpscr & !FPCC | c << 12, set, None);
    (c as u64, f)
}

/// `d` bits 32..: the state offset of the instruction's target doubleword plus one (0: no
/// target), read back when an enabled exception leaves the target unchanged.
pub const TARGET_SHIFT: u32 = 32;

/// FPSCR bit 11 (ISA bit 52, reserved: no guest write reaches it): set by [`FP_OP`] when the
/// instruction raised an enabled exception and the thread's `prctl(PR_SET_FPEXC)` mode is
/// not DISABLED (MSR[FE0, FE1] != 0). The lifted code then calls [`FP_TRAP`] and leaves the
/// block for the instruction's own address, where the run loop delivers the SIGFPE.
pub const TRAP: u32 = 1 << 11;

// FPSCR enable bits (VE, ZE).
const EN_VE: u32 = 1 << 7;
const EN_ZE: u32 = 1 << 4;

/// What [`FP_OP`] does with exceptions enabled (ISA 4.4): (result or None when the target
/// stays unchanged, new FPSCR, whether an enabled exception occurred). An invalid operation
/// with VE = 1 or a zero divide with ZE = 1 leaves the target, FPRF unchanged and FR, FI
/// clear; the other enables change only FEX (an overflow or underflow with OE/UE = 1 still
/// gives the disabled result, not the exponent-adjusted one: see the module docs).
pub fn execute(fpscr: u32, a: u64, b: u64, c: u64, d: u64) -> (Option<u64>, u32, bool) {
    const STICKY: u32 = OX | UX | ZX | XX | VX_ALL;
    if fpscr & 0xf8 == 0 {
        // nothing enabled: nothing suppressed, no trap
        let (r, f) = compute(fpscr, a, b, c, d);
        return (Some(r), f, false);
    }
    // This instruction's exceptions: computed from an FPSCR without the sticky bits.
    let (r, f1) = compute(fpscr & !STICKY, a, b, c, d);
    let exc = f1 & STICKY;
    let mut f = f1 & !FX | fpscr & (STICKY | FX);
    if exc & !fpscr != 0 {
        f |= FX;
    }
    let invalid = exc & VX_ALL != 0;
    let zero_divide = exc & ZX != 0;
    let suppress = d & 0xff != op::CMP
        && ((fpscr & EN_VE != 0 && invalid) || (fpscr & EN_ZE != 0 && zero_divide));
    if suppress {
        f = f & !(FR | FI | FPRF) | fpscr & FPRF;
    }
    // VX OX UX ZX XX against VE OE UE ZE XE (bits 7..3)
    let caused = (invalid as u32) << 4 | (exc >> 25 & 0xf);
    let enabled = caused & (fpscr >> 3 & 0x1f) != 0;
    ((!suppress).then_some(r), summaries(f), enabled)
}

/// The helper: `a`, `b`, `c` = FRA, FRB, FRC bits (FRB as an integer for fcfid), `d` = the
/// operation ([`op`]), its flags and the target ([`TARGET_SHIFT`]). Reads and writes
/// `CpuState::fpscr` in `st`; sets [`TRAP`] for an enabled exception when the guest thread
/// asked for them (`prctl(PR_SET_FPEXC)`).
extern "C" fn fp_op(st: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, d: u64) -> u64 {
    // SAFETY: `st` is the engine's state buffer of a `CpuState`; FPSCR is 4 bytes inside it.
    let fpscr = unsafe { std::ptr::read_unaligned(st.add(state::FPSCR as usize) as *const u32) };
    let (r, f) = match quick(fpscr, a, b, c, d & 0xff, d & SINGLE != 0) {
        Some((r, f)) if fpscr & 0xf8 == 0 => (r, f),
        _ => {
            let (r, mut f, enabled) = execute(fpscr, a, b, c, d);
            if enabled && xarch_linux::syscalls::fp_exc_mode() != 0 {
                f |= TRAP;
            }
            let target = (d >> TARGET_SHIFT) as usize;
            let r = match r {
                Some(r) => r,
                // SAFETY: the lifter encodes the offset + 1 of an FPR/VSR doubleword of the
                // `CpuState` in `st` (8 bytes inside it).
                None if target != 0 => unsafe {
                    std::ptr::read_unaligned(st.add(target - 1) as *const u64)
                },
                None => 0,
            };
            (r, f)
        }
    };
    let f = if d & VECTOR != 0 {
        f & !(FR | FI | FPRF) | fpscr & (FR | FI | FPRF)
    } else {
        f
    };
    // SAFETY: as above.
    unsafe { std::ptr::write_unaligned(st.add(state::FPSCR as usize) as *mut u32, f) };
    r
}

/// Linux's si_code for an FP enabled exception (`parse_fpe`: the first enabled exception
/// bit in the order invalid, overflow, underflow, zero divide, inexact).
pub fn sigfpe_code(f: u32) -> i32 {
    const FPE_FLTDIV: i32 = 3;
    const FPE_FLTOVF: i32 = 4;
    const FPE_FLTUND: i32 = 5;
    const FPE_FLTRES: i32 = 6;
    const FPE_FLTINV: i32 = 7;
    const FPE_FLTUNK: i32 = 14;
    let en = |bit: u32| f & 1 << bit != 0;
    if en(7) && f & VX != 0 {
        FPE_FLTINV
    } else if en(6) && f & OX != 0 {
        FPE_FLTOVF
    } else if en(5) && f & UX != 0 {
        FPE_FLTUND
    } else if en(4) && f & ZX != 0 {
        FPE_FLTDIV
    } else if en(3) && f & XX != 0 {
        FPE_FLTRES
    } else {
        FPE_FLTUNK
    }
}

/// Linux's SIGFPE (the same number on every arch).
const SIGFPE: u32 = 8;

/// The trap of [`TRAP`]: clears it and records SIGFPE (si_code by [`sigfpe_code`], si_addr =
/// `a`, the instruction's address) for the run loop.
extern "C" fn fp_trap(st: *mut u8, _m: *mut u8, a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    // SAFETY: as in `fp_op`.
    let f = unsafe { std::ptr::read_unaligned(st.add(state::FPSCR as usize) as *const u32) };
    let f = f & !TRAP;
    // SAFETY: as above.
    unsafe { std::ptr::write_unaligned(st.add(state::FPSCR as usize) as *mut u32, f) };
    xarch_linux::signal::post_fault(SIGFPE, sigfpe_code(f), a);
    0
}

pub static FP_TRAP: Helper = Helper {
    name: "ppc_fp_trap",
    func: fp_trap,
};

/// What [`FP_OP`] does, on an FPSCR value: (result, new FPSCR).
pub fn compute(fpscr: u32, a: u64, b: u64, c: u64, d: u64) -> (u64, u32) {
    let single = d & SINGLE != 0;
    match d & 0xff {
        op::CFID => from_int(fpscr, single, false, b),
        op::CFIDU => from_int(fpscr, single, true, b),
        op::CTI => to_int(fpscr, d, b),
        op::RI => round_int(fpscr, d >> 8 & 3, b),
        op::CMP => compare(fpscr, d & ORDERED != 0, a, b),
        k => arith(fpscr, k, single, a, b, c),
    }
}

/// mtfsf / mtfsfi / mtfsb0 / mtfsb1: `a` = the new bits, `b` = the mask of bits written,
/// `c` = 1 when a new exception bit also sets FX (mtfsb1). FEX and VX cannot be written: they
/// stay the summaries of their bits.
pub fn store_fpscr(old: u32, v: u32, mask: u32, fx_on_new: bool) -> u32 {
    // FEX and VX are summaries; bit 11 (ISA bit 52) is reserved.
    let mask = mask & !(FEX | VX | 1 << 11);
    let mut f = old & !mask | v & mask;
    if fx_on_new && (f & !old) & EXC != 0 {
        f |= FX;
    }
    summaries(f)
}

extern "C" fn mtfs(st: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, _d: u64) -> u64 {
    // SAFETY: as in `fp_op`.
    let old = unsafe { std::ptr::read_unaligned(st.add(state::FPSCR as usize) as *const u32) };
    let f = store_fpscr(old, a as u32, b as u32, c != 0);
    // SAFETY: as above.
    unsafe { std::ptr::write_unaligned(st.add(state::FPSCR as usize) as *mut u32, f) };
    0
}

pub static MTFS: Helper = Helper {
    name: "ppc_mtfs",
    func: mtfs,
};

pub static FP_OP: Helper = Helper {
    name: "ppc_fp_op",
    func: fp_op,
};

/// xvadddp, xvsubdp, xvmuldp, xvdivdp when the lifted fast path does not hold: `a`, `b`, `c` =
/// the state offsets of XA, XB and XT, `d` = the operation ([`op`]). Doubleword 0, then 1,
/// through [`FP_OP`] as vector elements (exceptions accumulate; FR, FI, FPRF unchanged); XT
/// written after both, so it may be XA or XB.
extern "C" fn xv_op(st: *mut u8, m: *mut u8, a: u64, b: u64, c: u64, d: u64) -> u64 {
    // SAFETY: the lifter passes state offsets of VSRs (16 bytes each inside the `CpuState`
    // in `st`).
    let read = |off: u64| unsafe { std::ptr::read_unaligned(st.add(off as usize) as *const u64) };
    let mut out = [0u64; 2];
    // doubleword 0 is at offset 8 (see lift/vector.rs `dw0`)
    for (r, dw) in out.iter_mut().zip([8u64, 0]) {
        let (x, y) = (read(a + dw), read(b + dw));
        // the helper multiplies FRA by FRC
        let (fa, fb, fc) = if d == op::MUL { (x, 0, y) } else { (x, y, 0) };
        *r = fp_op(st, m, fa, fb, fc, d | VECTOR | (c + dw + 1) << TARGET_SHIFT);
    }
    for (r, dw) in out.into_iter().zip([8u64, 0]) {
        // SAFETY: as above.
        unsafe { std::ptr::write_unaligned(st.add((c + dw) as usize) as *mut u64, r) };
    }
    0
}

pub static XV_OP: Helper = Helper {
    name: "ppc_xv_op",
    func: xv_op,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn d(x: f64) -> u64 {
        x.to_bits()
    }

    #[test]
    fn rounding_modes_and_flags() {
        // 1 + 2^-60: inexact; up in RP, not in RN/RZ/RM
        let tiny = d(2f64.powi(-60));
        let (r, f) = compute(0, d(1.0), tiny, 0, op::ADD);
        assert_eq!((r, f & (FI | FR | XX | FX)), (d(1.0), FI | XX | FX));
        assert_eq!(f & FPRF, 0x04 << 12);
        let (r, f) = compute(2, d(1.0), tiny, 0, op::ADD);
        assert_eq!(r, d(1.0) + 1);
        assert_eq!(f & (FR | FI), FR | FI);
        let (r, _) = compute(3, d(-1.0), d(-2f64.powi(-60)), 0, op::ADD);
        assert_eq!(r, d(-1.0) + 1, "toward -inf grows the magnitude");
        let (r, f) = compute(1, d(-1.0), d(-2f64.powi(-60)), 0, op::ADD);
        assert_eq!((r, f & FR), (d(-1.0), 0));
    }

    #[test]
    fn invalid_operations_and_nans() {
        let inf = d(f64::INFINITY);
        let (r, f) = compute(0, inf, inf, 0, op::SUB);
        assert_eq!(r, DEFAULT_NAN);
        assert_eq!(f & (VXISI | VX | FX), VXISI | VX | FX);
        assert_eq!(f & FPRF, 0x11 << 12);
        let (_, f) = compute(0, d(0.0), d(0.0), 0, op::DIV);
        assert_eq!(f & VXZDZ, VXZDZ);
        let (r, f) = compute(0, d(1.0), d(0.0), 0, op::DIV);
        assert_eq!((r, f & (ZX | FI)), (inf, ZX));
        let snan = 0x7ff0_0000_0000_0001;
        let (r, f) = compute(0, d(1.0), snan, 0, op::ADD);
        assert_eq!(r, 0x7ff8_0000_0000_0001);
        assert_eq!(f & VXSNAN, VXSNAN);
        // FRA's NaN wins over FRB's
        let (r, _) = compute(0, 0xfff8_0000_0000_0002, snan, 0, op::ADD);
        assert_eq!(r, 0xfff8_0000_0000_0002);
        // fnmadd does not negate a NaN
        let (r, _) = compute(0, d(1.0), DEFAULT_NAN, d(1.0), op::NMADD);
        assert_eq!(r, DEFAULT_NAN);
    }

    #[test]
    fn single_fma_rounds_once() {
        // a*c + b where the double rounding of the f64 fma then f32 would go wrong:
        // a*c = 1 + 2^-24 (a tie in single), b = 2^-80 pushes it above the tie.
        let a = 1.0 + 2f64.powi(-24);
        let (r, f) = compute(0, d(a), d(2f64.powi(-80)), d(1.0), op::MADD | SINGLE);
        assert_eq!(f64::from_bits(r), (1.0 + 2f64.powi(-23)) as f32 as f64);
        assert_eq!(f & (FI | FR), FI | FR);
        // and without b it ties to even (down)
        let (r, _) = compute(0, d(a), d(0.0), d(1.0), op::MADD | SINGLE);
        assert_eq!(f64::from_bits(r), 1.0);
    }

    #[test]
    fn underflow_is_detected_before_rounding() {
        // 2^-1022 * (1 - 2^-53) rounds up to 2^-1022 toward +inf: tiny before rounding
        let a = f64::MIN_POSITIVE;
        let (r, f) = compute(2, d(a), 0, d(1.0 - 2f64.powi(-53)), op::MUL);
        assert_eq!(f64::from_bits(r), a);
        assert_eq!(f & (UX | XX | FI), UX | XX | FI);
        // to nearest, 2^-1022 * (1 - 2^-60): also rounds up, also tiny
        let (_, f) = compute(0, d(1.0 - 2f64.powi(-53)), 0, d(a), op::MUL);
        assert_eq!(f & UX, UX);
        // exact 2^-1022: no underflow
        let (_, f) = compute(0, d(1.0), 0, d(a), op::MUL);
        assert_eq!(f & UX, 0);
    }

    /// The general path alone (what `arith` does when `fast` declines).
    fn general(kind: u64, single: bool, a: f64, b: f64, c: f64) -> (u64, bool, bool) {
        let f = |m| match kind {
            op::ADD => h_add(a, b, m),
            op::SUB => h_sub(a, b, m),
            op::MUL => h_mul(a, c, m),
            op::DIV => h_div(a, b, m),
            op::SQRT => h_sqrt(b, b, m),
            op::MADD => h_fma(a, c, b, m),
            op::MSUB => h_fma(a, c, -b, m),
            _ => (b, 0),
        };
        let r = round(0, single || kind == op::RSP, f);
        (r.bits, r.flags & PE != 0, r.fr)
    }

    #[test]
    fn fast_path_agrees_with_the_general_path() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut checked = 0;
        for i in 0..200_000 {
            let mut v = || {
                let m = next();
                // exponents near 0 (and some single-precision values, which tie more often)
                if m % 97 == 0 {
                    return 0.0;
                }
                let e = 1023 - 40 + (m >> 58);
                let f = if i % 3 == 0 { m & !0x1fff_ffff } else { m };
                f64::from_bits(m & 1 << 63 | e << 52 | (f >> 12) & ((1 << 52) - 1))
            };
            let (a, b, c) = (v(), v(), v());
            let kind = [
                op::ADD,
                op::SUB,
                op::MUL,
                op::DIV,
                op::SQRT,
                op::RSP,
                op::MADD,
                op::MSUB,
            ][i % 8];
            // fused: make b cancel most of a*c now and then
            let b = if kind >= op::MADD && i % 5 == 0 {
                -(a * c)
            } else {
                b
            };
            let b = if kind == op::SQRT { b.abs() } else { b };
            for single in [false, true] {
                if let Some((r, fi, fr)) = fast(kind, single, a, b, c) {
                    let (g, gfi, gfr) = general(kind, single, a, b, c);
                    assert_eq!(
                        (r.to_bits(), fi, fr),
                        (g, gfi, gfr),
                        "{kind} {single} {a} {b} {c}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 300_000, "{checked}");
        // zeros: exact, signed as round to nearest signs them
        assert_eq!(
            fast(op::SUB, false, 2.0, 2.0, 0.0),
            Some((0.0, false, false))
        );
        assert_eq!(
            fast(op::MUL, false, -0.0, 0.0, 3.0).map(|r| r.0.to_bits()),
            Some(1 << 63)
        );
        assert_eq!(fast(op::MUL, false, 1e-200, 0.0, 1e-200), None, "underflow");
        assert_eq!(
            fast(op::MADD, false, 1e-200, 1.0, 1e-200),
            None,
            "underflowing product"
        );
        // the sign of an exact sum with heavy cancellation
        assert_eq!(sum_sign([1e20, 1.0, -1e20, -0.5]), 0.5);
        assert_eq!(sum_sign([1.0, 1e-30, -1.0, 0.0]), 1e-30);
        assert_eq!(sum_sign([3.0, -1.0, -2.0, 0.0]), 0.0);
        // exact fused results are recognised
        assert_eq!(
            fast(op::MADD, false, 3.0, 1.0, 2.0),
            Some((7.0, false, false))
        );
    }

    #[test]
    fn fx_only_on_new_exception_bits() {
        let tiny = d(2f64.powi(-60));
        let (_, f) = compute(XX, d(1.0), tiny, 0, op::ADD);
        assert_eq!(f & FX, 0);
        // XE enabled: FEX
        let (_, f) = compute(1 << 3, d(1.0), tiny, 0, op::ADD);
        assert_eq!(f & FEX, FEX);
    }

    #[test]
    fn conversions() {
        let (r, f) = compute(0, 0, d(2.5), 0, op::CTI);
        assert_eq!((r, f & (FI | XX)), (2, FI | XX));
        let (r, f) = compute(0, 0, d(1e10), 0, op::CTI);
        assert_eq!((r, f & VXCVI), (0x7fff_ffff, VXCVI));
        let (r, _) = compute(0, 0, DEFAULT_NAN, 0, op::CTI | CTI_64);
        assert_eq!(r, 1 << 63);
        let (r, f) = compute(0, 0, (1u64 << 53) + 1, 0, op::CFID);
        assert_eq!((f64::from_bits(r), f & FI), (2f64.powi(53), FI));
        let (r, f) = compute(0, d(1.0), DEFAULT_NAN, 0, op::CMP | ORDERED);
        assert_eq!((r, f & (VXVC | FPCC)), (1, VXVC | 1 << 12));
    }
}
