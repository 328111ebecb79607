//! Power ISA Book I 3.3.9 (ISA 2.06+, in POWER8): divide word/doubleword extended —
//! `divwe[u][o][.]`, `divde[u][o][.]`. The dividend is RA shifted left by the operand width
//! (`RA[32:63] || 0^32`, `RA || 0^64`), so the doubleword forms need a 128-by-64-bit
//! division, which the IR does not have: both tiers call one helper.
//!
//! A quotient that does not fit the operand width, or a zero divisor, leaves RT undefined;
//! like qemu, RT is 0 then, and OV (with `o`) is set.

use super::{Ctx, LiftResult};
use crate::decode::fields::{bits, oe, ra, rb, rt};
use xarch_translator::ir::{Helper, IntCC};

/// Helper argument `kind` bits.
const SIGNED: u64 = 1;
const DOUBLEWORD: u64 = 2;
/// Return the overflow flag (0/1) instead of the quotient.
const OVERFLOW: u64 = 4;

/// The quotient of a divide extended (or its overflow flag, with [`OVERFLOW`]), both
/// following the ISA's definition with RT = 0 on overflow.
fn divide_extended(ra: u64, rb: u64, kind: u64) -> (u64, bool) {
    let (q, ovf) = match (kind & DOUBLEWORD != 0, kind & SIGNED != 0) {
        (false, false) => {
            let (n, d) = (ra << 32, u64::from(rb as u32));
            match n.checked_div(d) {
                Some(q) if q <= u64::from(u32::MAX) => (q, false),
                _ => (0, true),
            }
        }
        (false, true) => {
            let (n, d) = (((ra as i64) << 32), i64::from(rb as i32));
            match n.checked_div(d) {
                Some(q) if i32::try_from(q).is_ok() => (q as u64, false),
                _ => (0, true),
            }
        }
        (true, false) => {
            let n = u128::from(ra) << 64;
            match n.checked_div(u128::from(rb)) {
                Some(q) if q <= u128::from(u64::MAX) => (q as u64, false),
                _ => (0, true),
            }
        }
        (true, true) => {
            let n = i128::from(ra as i64) << 64;
            match n.checked_div(i128::from(rb as i64)) {
                Some(q) if i64::try_from(q).is_ok() => (q as u64, false),
                _ => (0, true),
            }
        }
    };
    (q, ovf)
}

extern "C" fn divide_extended_helper(
    _s: *mut u8,
    _m: *mut u8,
    ra: u64,
    rb: u64,
    kind: u64,
    _d: u64,
) -> u64 {
    let (q, ovf) = divide_extended(ra, rb, kind);
    if kind & OVERFLOW != 0 {
        u64::from(ovf)
    } else {
        q
    }
}

static DIVIDE_EXTENDED: Helper = Helper {
    name: "ppc_divide_extended",
    func: divide_extended_helper,
};

/// divweu (XO 395), divwe (427), divdeu (393), divde (425), with `o` and `.`.
pub fn divide_ext(ctx: &mut Ctx, w: u32) -> LiftResult {
    let kind = match bits(w, 22, 30) {
        395 => 0,
        427 => SIGNED,
        393 => DOUBLEWORD,
        _ => SIGNED | DOUBLEWORD,
    };
    let a = ctx.gpr(ra(w));
    let b = ctx.gpr(rb(w));
    let k = ctx.b.const64(kind);
    let q = ctx.b.call_helper(&DIVIDE_EXTENDED, &[a, b, k]);
    if oe(w) {
        let k = ctx.b.const64(kind | OVERFLOW);
        let f = ctx.b.call_helper(&DIVIDE_EXTENDED, &[a, b, k]);
        let f = ctx.b.icmp_imm(IntCC::Ne, f, 0);
        ctx.set_ov(f);
    }
    ctx.set_gpr(rt(w), q);
    ctx.record_if(w, q);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotients_and_overflow() {
        // divweu: (3 << 32) / 4 = 0xc0000000; 4 << 32 / 4 does not fit a word.
        assert_eq!(divide_extended(3, 4, 0), (0xc000_0000, false));
        assert_eq!(divide_extended(4, 4, 0), (0, true));
        assert_eq!(divide_extended(1, 0, 0), (0, true));
        // divwe: (-1 << 32) / 2 = -0x80000000 fits; / 1 does not.
        assert_eq!(
            divide_extended(u64::MAX, 2, SIGNED),
            ((-0x8000_0000i64) as u64, false)
        );
        assert_eq!(divide_extended(u64::MAX, 1, SIGNED), (0, true));
        // divdeu: (1 << 64) / 3.
        assert_eq!(
            divide_extended(1, 3, DOUBLEWORD),
            (((1u128 << 64) / 3) as u64, false)
        );
        assert_eq!(divide_extended(5, 5, DOUBLEWORD), (0, true));
        // divde: (-1 << 64) / 4 = -(1 << 62).
        assert_eq!(
            divide_extended(u64::MAX, 4, SIGNED | DOUBLEWORD),
            ((-(1i64 << 62)) as u64, false)
        );
        assert_eq!(
            divide_extended(1 << 63, u64::MAX, SIGNED | DOUBLEWORD),
            (0, true)
        );
    }
}
