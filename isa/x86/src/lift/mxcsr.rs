//! MXCSR (SDM Vol. 1, 10.2.3): the guest's MXCSR *is* the host thread's while the guest runs,
//! as the AArch64 frontend does with FPCR. Lifted SSE arithmetic is host SSE arithmetic (in
//! compiled code and in the interpreter alike), so rounding control (RC), flush-to-zero (FZ)
//! and denormals-are-zero (DAZ) apply to it directly, and the host's sticky exception flags
//! are the guest's.
//!
//! ```text
//!   LDMXCSR m32 ─► x86_ldmxcsr: state.mxcsr = v; host MXCSR = v | all exceptions masked
//!   STMXCSR m32 ◄─ x86_stmxcsr: state.mxcsr's control bits | the host's sticky flags
//!   CVTSS2SI/CVTSD2SI/CVTPS2DQ/CVTPD2DQ ─► x86_cvt: the host conversion (current RC)
//! ```
//!
//! The host keeps every exception masked (an unmasked guest exception would need #XM →
//! SIGFPE delivery, which xarch does not do: the guest's mask bits are kept in the state and
//! read back by STMXCSR, but an unmasked exception is not raised).

use xarch_translator::ir::Helper;

/// MXCSR bits that exist (FZ, RC, masks, DAZ, flags); anything above is reserved (#GP).
pub const MXCSR_VALID: u32 = 0xffff;
/// The six exception mask bits.
const MASKS: u32 = 0x1f80;
/// The six sticky exception flags.
const FLAGS: u32 = 0x3f;

pub fn read_host() -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        let mut v: u32 = 0;
        // SAFETY: STMXCSR writes 4 bytes to a valid local.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
        v
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        0x1f80
    }
}

pub fn write_host(v: u32) {
    #[cfg(target_arch = "x86_64")]
    {
        let v = (v & MXCSR_VALID) | MASKS;
        // SAFETY: LDMXCSR reads 4 bytes from a valid local; no reserved bit is set and every
        // exception is masked, so it cannot fault. Only this thread's SSE rounding, flushing
        // and sticky flags change, which is the intent.
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, readonly)) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// What a guest thread starts with (process entry): the reset MXCSR 0x1f80, flags clear.
pub fn reset_host() {
    write_host(0x1f80);
}

/// The guest-visible MXCSR: the control bits the guest last loaded, the host's sticky flags.
pub fn guest_value(state_mxcsr: u32) -> u32 {
    (state_mxcsr & !FLAGS & MXCSR_VALID) | (read_host() & FLAGS)
}

/// `LDMXCSR` (after the state write and the reserved-bit check): `a` = the new MXCSR.
extern "C" fn ldmxcsr(_s: *mut u8, _m: *mut u8, a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    write_host(a as u32);
    0
}

pub(crate) static LDMXCSR: Helper = Helper {
    name: "x86_ldmxcsr",
    func: ldmxcsr,
};

/// `STMXCSR`: `a` = state.mxcsr; gives the guest-visible value.
extern "C" fn stmxcsr(_s: *mut u8, _m: *mut u8, a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    u64::from(guest_value(a as u32))
}

pub(crate) static STMXCSR: Helper = Helper {
    name: "x86_stmxcsr",
    func: stmxcsr,
};

/// The rounding conversions to integer in the current MXCSR.RC, with the hardware's
/// "integer indefinite" (MIN) for NaN and out-of-range values: `a` = the float's bits,
/// `b` = 0 f32→i32, 1 f32→i64, 2 f64→i32, 3 f64→i64.
pub(crate) fn cvt_current(bits: u64, kind: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::asm;
        use std::arch::x86_64::_mm_cvtsi64_si128;
        // Inline assembly, not intrinsics: the compiler must not fold or move the conversion
        // as if it did not depend on MXCSR.
        // SAFETY: SSE2 is part of x86-64; the instructions only read an XMM register and
        // MXCSR (every exception masked) and write a general-purpose register.
        unsafe {
            let x = _mm_cvtsi64_si128(bits as i64);
            let r: u64;
            match kind {
                0 => {
                    let v: u32;
                    asm!("cvtss2si {r:e}, {x}", r = out(reg) v, x = in(xmm_reg) x, options(nomem, nostack));
                    r = u64::from(v);
                }
                1 => {
                    asm!("cvtss2si {r}, {x}", r = out(reg) r, x = in(xmm_reg) x, options(nomem, nostack))
                }
                2 => {
                    let v: u32;
                    asm!("cvtsd2si {r:e}, {x}", r = out(reg) v, x = in(xmm_reg) x, options(nomem, nostack));
                    r = u64::from(v);
                }
                _ => {
                    asm!("cvtsd2si {r}, {x}", r = out(reg) r, x = in(xmm_reg) x, options(nomem, nostack))
                }
            }
            r
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let (f, wide) = match kind {
            0 | 1 => (f64::from(f32::from_bits(bits as u32)), kind == 1),
            _ => (f64::from_bits(bits), kind == 3),
        };
        let r = f.round_ties_even();
        if wide {
            if r.is_nan() || r >= 2f64.powi(63) || r < -(2f64.powi(63)) {
                1 << 63
            } else {
                r as i64 as u64
            }
        } else if r.is_nan() || r >= 2f64.powi(31) || r < -(2f64.powi(31)) {
            1 << 31
        } else {
            r as i32 as u32 as u64
        }
    }
}

extern "C" fn cvt(_s: *mut u8, _m: *mut u8, a: u64, b: u64, _c: u64, _d: u64) -> u64 {
    cvt_current(a, b)
}

pub(crate) static CVT: Helper = Helper {
    name: "x86_cvt",
    func: cvt,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_follow_the_host_rounding_mode() {
        let saved = read_host();
        write_host(0x1f80);
        assert_eq!(cvt_current(2.5f64.to_bits(), 3), 2);
        assert_eq!(
            cvt_current((-1.5f32).to_bits().into(), 0),
            (-2i32) as u32 as u64
        );
        write_host(0x1f80 | (1 << 13)); // round down
        assert_eq!(cvt_current(2.7f64.to_bits(), 2), 2);
        write_host(0x1f80 | (2 << 13)); // round up
        assert_eq!(cvt_current(2.1f64.to_bits(), 3), 3);
        assert_eq!(cvt_current(f64::NAN.to_bits(), 2), 0x8000_0000);
        write_host(saved);
    }
}
