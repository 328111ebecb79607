//! Host helpers for the FP/SIMD instructions the IR does not express directly.
//!
//! ```text
//!   lift/fp.rs, lift/simd.rs ──Op::CallHelper──► extern "C" fn(state, mem, a, b, c, d) -> u64
//! ```
//!
//! Each helper but the FPCR/FPSR ones is a pure function of its four 64-bit arguments (floats passed as their bits):
//! none reads or writes the CPU state or guest memory, so the engine may keep guest registers
//! in host registers across the call. 128-bit operations are split by the lifter into two
//! calls, one per 64-bit half. Both tiers (interpreter and Cranelift) call the same functions,
//! so they agree by construction.
//!
//! What lives here and why:
//! - `MSR FPCR`: sets the host MXCSR so that SSE arithmetic rounds and flushes as FPCR says;
//!   `MRS`/`MSR FPSR` read and clear the host's sticky exception flags as FPSR's cumulative
//!   bits (these helpers have a side effect: on the calling thread's MXCSR).
//! - `FRINTI`/`FRINTX` round in the *current* rounding mode (FPCR.RMode), known only at run
//!   time; the lifter passes FPCR as an argument.
//! - Half-precision conversions (`FCVT` to and from `H`): the IR has no f16 type.
//! - `TBL`/`TBX`: a byte lookup with run-time indices (the IR's shuffle takes a constant mask).
//! - `USHL`/`SSHL`/`URSHL`/`SRSHL`: per-lane shifts by signed, run-time counts.
//! - Saturating narrows (`SQXTN`/`UQXTN`/`SQXTUN`).

use xarch_translator::ir::Helper;

/// FPCR.RMode (bits 23:22): 0 to nearest (ties to even), 1 toward +inf, 2 toward -inf,
/// 3 toward zero.
pub fn fpcr_rmode(fpcr: u64) -> u32 {
    ((fpcr >> 22) & 3) as u32
}

/// Quiets a NaN of the given precision (sets the top fraction bit), as FPProcessNaN does.
fn quiet_f64(x: f64) -> f64 {
    f64::from_bits(x.to_bits() | 1 << 51)
}

fn quiet_f32(x: f32) -> f32 {
    f32::from_bits(x.to_bits() | 1 << 22)
}

/// Rounds `x` to an integral value in rounding mode `rmode` (FPCR.RMode encoding).
pub fn round_f64(x: f64, rmode: u32) -> f64 {
    if x.is_nan() {
        return quiet_f64(x);
    }
    match rmode {
        0 => x.round_ties_even(),
        1 => x.ceil(),
        2 => x.floor(),
        _ => x.trunc(),
    }
}

pub fn round_f32(x: f32, rmode: u32) -> f32 {
    if x.is_nan() {
        return quiet_f32(x);
    }
    match rmode {
        0 => x.round_ties_even(),
        1 => x.ceil(),
        2 => x.floor(),
        _ => x.trunc(),
    }
}

/// `FRINTI`/`FRINTX`: `a` = the operand's bits, `b` = FPCR, `c` = 1 for double, 0 for single.
extern "C" fn frint_current(_s: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, _d: u64) -> u64 {
    let rmode = fpcr_rmode(b);
    if c != 0 {
        round_f64(f64::from_bits(a), rmode).to_bits()
    } else {
        round_f32(f32::from_bits(a as u32), rmode).to_bits() as u64
    }
}

pub static FRINT_CURRENT: Helper = Helper {
    name: "a64_frint_current",
    func: frint_current,
};

// ---- FPCR on the host ----

/// The host MXCSR that makes SSE arithmetic follow an AArch64 FPCR: RMode (RN, RP, RM, RZ)
/// to RC (x86 orders "down" before "up"), FZ to FTZ + DAZ (flush results and inputs); all
/// exceptions masked, as Linux starts both.
pub fn mxcsr_for_fpcr(fpcr: u64) -> u32 {
    let rc = match fpcr_rmode(fpcr) {
        0 => 0,
        1 => 2,
        2 => 1,
        _ => 3,
    };
    let fz = if fpcr >> 24 & 1 == 1 {
        1 << 15 | 1 << 6
    } else {
        0
    };
    0x1f80 | rc << 13 | fz
}

/// Makes the host's SSE rounding and flush-to-zero follow `fpcr` on this thread. Lifted
/// arithmetic (both tiers) is host SSE arithmetic, so this is how FPCR.RMode and FPCR.FZ
/// reach FADD, FMUL, FDIV, FSQRT, FMA, SCVTF and FCVT at no cost per instruction.
pub fn apply_fpcr_to_host(fpcr: u64) {
    #[cfg(target_arch = "x86_64")]
    {
        // Keep the sticky exception flags (they are FPSR's cumulative bits).
        let v = mxcsr_for_fpcr(fpcr) | (read_mxcsr() & 0x3f);
        // SAFETY: LDMXCSR reads 4 bytes from a valid local; the value has every exception
        // masked and no reserved bit set, so it cannot fault. Only this thread's SSE rounding
        // and denormal handling change, which is the intent.
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, readonly)) };
    }
}

/// Sets this thread's MXCSR for `fpcr` with the sticky exception flags clear: what a guest
/// thread should start with (process entry, a new thread from clone, after a signal frame is
/// restored), since FPCR and FPSR of the state only reach the host through this.
pub fn reset_host_fp_state(fpcr: u64) {
    write_mxcsr(mxcsr_for_fpcr(fpcr));
}

/// `MSR FPCR, Xt` (after the state write): `a` = the new FPCR.
extern "C" fn set_fpcr(_s: *mut u8, _m: *mut u8, a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    apply_fpcr_to_host(a);
    0
}

pub static SET_FPCR: Helper = Helper {
    name: "a64_set_fpcr",
    func: set_fpcr,
};

/// The host's sticky SSE exception flags as FPSR cumulative bits: IE to IOC, ZE to DZC,
/// OE to OFC, UE to UFC, PE to IXC. (DE is left out: x86 sets it for any denormal operand,
/// AArch64's IDC only when FZ flushes one.)
pub fn fpsr_flags_of_mxcsr(mxcsr: u32) -> u64 {
    let m = mxcsr as u64;
    (m & 1) | (m >> 2 & 1) << 1 | (m >> 3 & 1) << 2 | (m >> 4 & 1) << 3 | (m >> 5 & 1) << 4
}

fn read_mxcsr() -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        let mut v = 0u32;
        // SAFETY: STMXCSR writes 4 bytes to a valid local.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
        v
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        0
    }
}

fn write_mxcsr(v: u32) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: as in `apply_fpcr_to_host`: exceptions stay masked, no reserved bit is set.
    unsafe {
        std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, readonly))
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// `MRS Xt, FPSR`: `a` = FPSR as stored; gives it with the cumulative exception bits the
/// host accumulated since the last `MSR FPSR` (lifted arithmetic is host SSE arithmetic).
extern "C" fn get_fpsr(_s: *mut u8, _m: *mut u8, a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    a | fpsr_flags_of_mxcsr(read_mxcsr())
}

/// `MSR FPSR, Xt`: `a` = the new FPSR; the host's sticky flags become its cumulative bits.
extern "C" fn set_fpsr(_s: *mut u8, _m: *mut u8, a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    let flags =
        (a & 1) | (a >> 1 & 1) << 2 | (a >> 2 & 1) << 3 | (a >> 3 & 1) << 4 | (a >> 4 & 1) << 5;
    write_mxcsr(read_mxcsr() & !0x3f | flags as u32);
    0
}

pub static GET_FPSR: Helper = Helper {
    name: "a64_get_fpsr",
    func: get_fpsr,
};
pub static SET_FPSR: Helper = Helper {
    name: "a64_set_fpsr",
    func: set_fpsr,
};

// ---- half precision (IEEE format, FPCR.AHP = 0) ----

/// The value of an IEEE half-precision number, exactly. NaNs are quieted with their payload
/// kept in the top fraction bits, as ARM ARM FPConvertNaN does.
pub fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as u64;
    match exp {
        0 => sign * frac as f64 * (-24f64).exp2(),
        0x1f if frac == 0 => sign * f64::INFINITY,
        0x1f => f64::from_bits(((h as u64 & 0x8000) << 48) | 0x7ff8_0000_0000_0000 | (frac << 42)),
        _ => sign * (1024 + frac) as f64 * ((exp - 25) as f64).exp2(),
    }
}

/// Rounds a double to half precision, to nearest with ties to even. Overflow gives infinity;
/// NaNs are quieted keeping the top payload bits.
pub fn f64_to_f16(x: f64) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 48) & 0x8000) as u16;
    let exp = ((b >> 52) & 0x7ff) as i32;
    let frac = b & ((1u64 << 52) - 1);
    if exp == 0x7ff {
        return if frac == 0 {
            sign | 0x7c00
        } else {
            sign | 0x7e00 | ((frac >> 42) as u16 & 0x3ff)
        };
    }
    if exp == 0 {
        // Double subnormals are far below half's smallest subnormal (2^-24).
        return sign;
    }
    let e = exp - 1023;
    if e > 15 {
        return sign | 0x7c00;
    }
    // value = m * 2^(e-52); the half result is q * 2^(E-10) with E = max(e, -14).
    let m = (1u64 << 52) | frac;
    let big_e = e.max(-14);
    let shift = (42 + (big_e - e)) as u32;
    if shift >= 64 {
        return sign;
    }
    let mut q = m >> shift;
    let rem = m & ((1u64 << shift) - 1);
    let half = 1u64 << (shift - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q += 1;
    }
    // For normals the carry out of the fraction bumps the exponent (and may give infinity);
    // for subnormals E = -14 makes the same formula give q itself.
    let enc = (((big_e + 15) as u64) << 10) + q - 1024;
    sign | enc as u16
}

/// `FCVT` involving half precision: `a` = source bits, `b` = source size, `c` = destination
/// size (sizes in bits: 16, 32 or 64). Gives the destination bits.
extern "C" fn fcvt_half(_s: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, _d: u64) -> u64 {
    let x = match b {
        16 => f16_to_f64(a as u16),
        32 => {
            let f = f32::from_bits(a as u32);
            if f.is_nan() {
                // Keep the payload's top bits: widen by hand rather than trust the host's cvtss2sd
                // on a signalling NaN.
                f64::from_bits(
                    ((a & 0x8000_0000) << 32) | 0x7ff8_0000_0000_0000 | ((a & 0x3f_ffff) << 29),
                )
            } else {
                f as f64
            }
        }
        _ => f64::from_bits(a),
    };
    match c {
        16 => f64_to_f16(x) as u64,
        32 => {
            // Only reached from half (exact in single).
            (x as f32).to_bits() as u64
        }
        _ => x.to_bits(),
    }
}

pub static FCVT_HALF: Helper = Helper {
    name: "a64_fcvt_half",
    func: fcvt_half,
};

// ---- table lookup ----

/// One 64-bit half of `TBX` against one 16-byte table register: result byte i is
/// `table[idx[i]]` where `idx[i] < 16`, else `acc[i]`. `TBL`/`TBX` over 1–4 registers chain
/// this with indices reduced by 16 per register (done in IR), starting from 0 for `TBL` and
/// from the destination for `TBX`.
pub fn tbx8(tab_lo: u64, tab_hi: u64, idx: u64, acc: u64) -> u64 {
    let table = (tab_hi as u128) << 64 | tab_lo as u128;
    let mut out = 0u64;
    for i in 0..8 {
        let j = (idx >> (8 * i)) & 0xff;
        let byte = if j < 16 {
            (table >> (8 * j)) as u64 & 0xff
        } else {
            (acc >> (8 * i)) & 0xff
        };
        out |= byte << (8 * i);
    }
    out
}

extern "C" fn tbx8_helper(_s: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, d: u64) -> u64 {
    tbx8(a, b, c, d)
}

pub static TBX8: Helper = Helper {
    name: "a64_tbx8",
    func: tbx8_helper,
};

// ---- shifts by register ----

/// Flags of [`VSHL`]'s third argument: the element size in bits in the low byte, plus these.
pub const SHL_SIGNED: u64 = 1 << 8;
pub const SHL_ROUND: u64 = 1 << 9;

/// One 64-bit half of `USHL`/`SSHL`/`URSHL`/`SRSHL` (ARM ARM C7.2: the count is the signed
/// low byte of each element of the second operand; negative shifts right).
pub fn vshl64(a: u64, b: u64, flags: u64) -> u64 {
    let esize = (flags & 0xff) as u32;
    let signed = flags & SHL_SIGNED != 0;
    let round = flags & SHL_ROUND != 0;
    let emask = if esize == 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    };
    let mut out = 0u64;
    for i in 0..64 / esize {
        let lo = i * esize;
        let e = (a >> lo) & emask;
        let shift = (b >> lo) as u8 as i8 as i32;
        // Work in i128 so that no shift below overflows.
        let v: i128 = if signed {
            ((e << (64 - esize)) as i64 >> (64 - esize)) as i128
        } else {
            e as i128
        };
        let r: i128 = if shift >= 0 {
            if shift >= 64 { 0 } else { v << shift }
        } else {
            let s = (-shift).min(100) as u32;
            let rb: i128 = if round && s < 100 {
                1i128 << (s - 1)
            } else {
                0
            };
            if s >= 100 {
                if v < 0 && !round { -1 } else { 0 }
            } else {
                (v + rb) >> s
            }
        };
        out |= ((r as u64) & emask) << lo;
    }
    out
}

extern "C" fn vshl_helper(_s: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, _d: u64) -> u64 {
    vshl64(a, b, c)
}

pub static VSHL: Helper = Helper {
    name: "a64_vshl",
    func: vshl_helper,
};

// ---- per-lane bit operations ----

/// Operations of [`VBITS`] (its second argument's bits 9:8); the low byte is the element
/// size in bits.
pub const BITS_CLZ: u64 = 0 << 8;
pub const BITS_CLS: u64 = 1 << 8;
pub const BITS_RBIT: u64 = 2 << 8;

/// One 64-bit half of vector CLZ, CLS (leading sign bits, not counting the sign itself) or
/// RBIT (bytes only), lane by lane.
pub fn vbits64(a: u64, flags: u64) -> u64 {
    let esize = (flags & 0xff) as u32;
    let op = flags & (3 << 8);
    let emask = if esize == 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    };
    let mut out = 0u64;
    for i in 0..64 / esize {
        let e = (a >> (i * esize)) & emask;
        let r = match op {
            BITS_CLZ => (e.leading_zeros() - (64 - esize)) as u64,
            BITS_CLS => {
                // Count leading bits equal to the sign, minus the sign bit itself.
                let top = e >> (esize - 1) & 1;
                let x = if top == 1 { !e & emask } else { e };
                (x.leading_zeros() - (64 - esize) - 1) as u64
            }
            _ => (e.reverse_bits() >> (64 - esize)) & emask,
        };
        out |= r << (i * esize);
    }
    out
}

extern "C" fn vbits_helper(_s: *mut u8, _m: *mut u8, a: u64, b: u64, _c: u64, _d: u64) -> u64 {
    vbits64(a, b)
}

pub static VBITS: Helper = Helper {
    name: "a64_vbits",
    func: vbits_helper,
};

// ---- saturating narrow ----

/// Kinds of [`SAT_NARROW`] (its third argument's bits 9:8); the low byte is the destination
/// element size in bits (8, 16 or 32).
pub const NARROW_SQXTN: u64 = 0 << 8;
pub const NARROW_UQXTN: u64 = 1 << 8;
pub const NARROW_SQXTUN: u64 = 2 << 8;

/// Narrows the 128-bit value `hi:lo` (elements of twice the destination size) to 64 bits with
/// saturation. Gives the result and whether any element saturated (FPSR.QC).
pub fn sat_narrow(lo: u64, hi: u64, flags: u64) -> (u64, bool) {
    let dsize = (flags & 0xff) as u32;
    let kind = flags & (3 << 8);
    let ssize = 2 * dsize;
    let src = (hi as u128) << 64 | lo as u128;
    let smask = (1u128 << ssize) - 1;
    let (dmin, dmax): (i128, i128) = match kind {
        NARROW_SQXTN => (-(1i128 << (dsize - 1)), (1i128 << (dsize - 1)) - 1),
        _ => (0, (1i128 << dsize) - 1),
    };
    let mut out = 0u64;
    let mut sat = false;
    for i in 0..(128 / ssize) {
        let e = (src >> (i * ssize)) & smask;
        let v: i128 = if kind == NARROW_UQXTN {
            e as i128
        } else {
            ((e << (128 - ssize)) as i128) >> (128 - ssize)
        };
        let c = v.clamp(dmin, dmax);
        sat |= c != v;
        out |= ((c as u64) & ((1u64 << dsize) - 1)) << (i * dsize);
    }
    (out, sat)
}

extern "C" fn sat_narrow_helper(_s: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, _d: u64) -> u64 {
    sat_narrow(a, b, c).0
}

pub static SAT_NARROW: Helper = Helper {
    name: "a64_sat_narrow",
    func: sat_narrow_helper,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_modes_follow_fpcr() {
        let fpcr = |m: u64| m << 22;
        let r = |x: f64, m| {
            f64::from_bits(frint_current(
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                x.to_bits(),
                fpcr(m),
                1,
                0,
            ))
        };
        assert_eq!(r(2.5, 0), 2.0);
        assert_eq!(r(3.5, 0), 4.0);
        assert_eq!(r(2.1, 1), 3.0);
        assert_eq!(r(-2.1, 2), -3.0);
        assert_eq!(r(-2.9, 3), -2.0);
        assert!(r(-0.4, 0).is_sign_negative());
        let s = frint_current(
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            2.5f32.to_bits() as u64,
            fpcr(1),
            0,
            0,
        );
        assert_eq!(f32::from_bits(s as u32), 3.0);
        // A signalling NaN comes back quiet.
        let snan = 0x7ff0_0000_0000_0001u64;
        assert_eq!(r(f64::from_bits(snan), 0).to_bits(), 0x7ff8_0000_0000_0001);
    }

    #[test]
    fn half_precision_round_trips_and_rounds_to_even() {
        for h in 0..=u16::MAX {
            let exp = (h >> 10) & 0x1f;
            if exp == 0x1f && h & 0x3ff != 0 {
                continue;
            }
            assert_eq!(f64_to_f16(f16_to_f64(h)), h, "{h:#06x}");
        }
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7bff), 65504.0);
        assert_eq!(f64_to_f16(65519.0), 0x7bff);
        assert_eq!(f64_to_f16(65520.0), 0x7c00);
        // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: to even (1).
        assert_eq!(f64_to_f16(1.0 + 2f64.powi(-11)), 0x3c00);
        assert_eq!(f64_to_f16(1.0 + 3.0 * 2f64.powi(-11)), 0x3c02);
        // Half of the smallest subnormal ties to zero; a bit more rounds up.
        assert_eq!(f64_to_f16(2f64.powi(-25)), 0);
        assert_eq!(f64_to_f16(2f64.powi(-25) * 1.5), 1);
        assert_eq!(f64_to_f16(-1e-30), 0x8000);
        // NaN payload: top bits kept, quiet bit set.
        assert_eq!(f64_to_f16(f64::from_bits(0x7ff4_0000_0000_0000)), 0x7f00);
        assert_eq!(f16_to_f64(0x7d00).to_bits(), 0x7ffc_0000_0000_0000);
    }

    #[test]
    fn table_lookup_takes_in_range_indices_only() {
        let lo = 0x0706_0504_0302_0100u64;
        let hi = 0x0f0e_0d0c_0b0a_0908u64 | 0x8080_8080_8080_8080;
        let idx = 0x10_ff_0f_08_07_00_03_01u64;
        let acc = 0xaaaa_aaaa_aaaa_aaaau64;
        assert_eq!(tbx8(lo, hi, idx, acc), 0xaa_aa_8f_88_07_00_03_01);
        assert_eq!(tbx8(lo, hi, idx, 0), 0x00_00_8f_88_07_00_03_01);
    }

    #[test]
    fn register_shifts_take_signed_counts() {
        // 8-bit lanes: 0x81 << 1, 0x81 >> 1 (unsigned), 0x81 >> 1 (signed), << 8 gives 0.
        assert_eq!(vshl64(0x81, 0x01, 8), 0x02);
        assert_eq!(vshl64(0x81, 0xff, 8), 0x40);
        assert_eq!(vshl64(0x81, 0xff, 8 | SHL_SIGNED), 0xc0);
        assert_eq!(vshl64(0x81, 0x08, 8), 0);
        assert_eq!(vshl64(0x81, 0x80, 8 | SHL_SIGNED), 0xff);
        // Rounding: 3 >> 1 rounds to 2; -3 >> 1 rounds to -1.
        assert_eq!(vshl64(3, 0xffff, 16 | SHL_ROUND), 2);
        assert_eq!(vshl64(0xfffd, 0xffff, 16 | SHL_SIGNED | SHL_ROUND), 0xffff);
        // 64-bit lane, shift right by 64.
        assert_eq!(vshl64(u64::MAX, 0xc0, 64), 0);
        assert_eq!(vshl64(1 << 63, 0xc0, 64 | SHL_SIGNED), u64::MAX);
        assert_eq!(vshl64(1, 63, 64), 1 << 63);
        // Lanes are independent.
        assert_eq!(vshl64(0x0001_0001, 0x0002_0001, 16), 0x0004_0002);
    }

    #[test]
    fn fpcr_maps_to_mxcsr() {
        assert_eq!(mxcsr_for_fpcr(0), 0x1f80);
        assert_eq!(
            mxcsr_for_fpcr(1 << 22),
            0x1f80 | 2 << 13,
            "RP is x86 round up"
        );
        assert_eq!(
            mxcsr_for_fpcr(2 << 22),
            0x1f80 | 1 << 13,
            "RM is x86 round down"
        );
        assert_eq!(mxcsr_for_fpcr(3 << 22 | 1 << 24), 0x1f80 | 3 << 13 | 0x8040);
    }

    #[test]
    fn lane_bit_operations() {
        assert_eq!(
            vbits64(0x0001_8000_00ff_0000, 16 | BITS_CLZ),
            0x000f_0000_0008_0010
        );
        // CLS of 0xff (8-bit): all ones: 7; of 0x01: 6; of 0x40: 0; of 0x00: 7.
        assert_eq!(
            vbits64(0x00_40_01_ff, 8 | BITS_CLS),
            0x07_00_06_07 | 0x0707_0707 << 32
        );
        assert_eq!(vbits64(0x01_80, 8 | BITS_RBIT), 0x80_01);
    }

    #[test]
    fn saturating_narrows_clamp() {
        // 16-bit to 8-bit: 300, -300, 5, -5.
        let src =
            300u64 | ((-300i16 as u16 as u64) << 16) | (5 << 32) | ((-5i16 as u16 as u64) << 48);
        assert_eq!(sat_narrow(src, 0, 8 | NARROW_SQXTN), (0xfb05_807f, true));
        assert_eq!(sat_narrow(src, 0, 8 | NARROW_SQXTUN).0, 0x00_05_00_ff);
        assert_eq!(sat_narrow(src, 0, 8 | NARROW_UQXTN).0, 0xff_05_ff_ff);
        assert_eq!(sat_narrow(5, 7, 32 | NARROW_UQXTN), (5 | 7 << 32, false));
        assert_eq!(
            sat_narrow(1 << 32, 0, 32 | NARROW_UQXTN),
            (0xffff_ffff, true)
        );
    }
}
