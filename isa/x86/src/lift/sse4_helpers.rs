//! Host semantics of the SSSE3 / SSE4.1 / SSE4.2 instructions the IR does not express in a
//! few ops (SDM Vol. 2, each instruction's "Operation" section): run-time byte shuffles,
//! horizontal and saturating lane arithmetic, blends by a register mask, rounding in the
//! MXCSR mode, dot products, MPSADBW, PHMINPOSUW, the string compares PCMPxSTRx and CRC32.
//!
//! ```text
//!   lift/sse4.rs ──Op::CallHelper(x86_vec, code, src.lo, src.hi)──► vec_helper(state, …)
//! ```
//!
//! `code` packs the opcode, its map, the destination XMM, the imm8 and REX.W (see
//! [`code`]); the source operand (register or memory, already loaded by the lifted code, so
//! a fault is the instruction's own) arrives as two 64-bit halves. The helper reads the
//! destination (and XMM0 or RAX/RDX where the instruction does) from the state, writes the
//! result XMM back, and returns what the lifter still needs: PCMPxSTRx give the RFLAGS
//! arithmetic bits in the low 32 bits and PCMPxSTRI's index above. Both tiers call the same
//! function, so they agree by construction; the differential test compares it to the CPU.

use crate::state::X86State;
use xarch_translator::ir::Helper;

/// Packs the helper's first argument.
pub(crate) fn code(map3a: bool, opcode: u8, dst: u8, imm: u8, rex_w: bool) -> u64 {
    u64::from(opcode)
        | (u64::from(map3a) << 8)
        | (u64::from(dst & 15) << 16)
        | (u64::from(imm) << 24)
        | (u64::from(rex_w) << 32)
}

fn bytes(v: u128) -> [u8; 16] {
    v.to_le_bytes()
}

fn words(v: u128) -> [u16; 8] {
    let b = v.to_le_bytes();
    std::array::from_fn(|k| u16::from_le_bytes([b[2 * k], b[2 * k + 1]]))
}

fn dwords(v: u128) -> [u32; 4] {
    std::array::from_fn(|k| (v >> (32 * k)) as u32)
}

fn qwords(v: u128) -> [u64; 2] {
    [v as u64, (v >> 64) as u64]
}

fn from_bytes(b: [u8; 16]) -> u128 {
    u128::from_le_bytes(b)
}

fn from_words(w: [u16; 8]) -> u128 {
    w.iter()
        .enumerate()
        .fold(0, |acc, (k, &x)| acc | (u128::from(x) << (16 * k)))
}

fn from_dwords(d: [u32; 4]) -> u128 {
    d.iter()
        .enumerate()
        .fold(0, |acc, (k, &x)| acc | (u128::from(x) << (32 * k)))
}

fn from_qwords(q: [u64; 2]) -> u128 {
    u128::from(q[0]) | (u128::from(q[1]) << 64)
}

fn sat16(x: i32) -> u16 {
    x.clamp(i16::MIN.into(), i16::MAX.into()) as i16 as u16
}

/// PHADD*/PHSUB*: pairs of the destination give the low half, pairs of the source the high.
fn horizontal16(d: u128, s: u128, f: impl Fn(i16, i16) -> u16) -> u128 {
    let (a, b) = (words(d), words(s));
    from_words(std::array::from_fn(|k| {
        let v = if k < 4 { &a } else { &b };
        let j = (k % 4) * 2;
        f(v[j] as i16, v[j + 1] as i16)
    }))
}

fn horizontal32(d: u128, s: u128, sub: bool) -> u128 {
    let (a, b) = (dwords(d), dwords(s));
    from_dwords(std::array::from_fn(|k| {
        let v = if k < 2 { &a } else { &b };
        let j = (k % 2) * 2;
        if sub {
            v[j].wrapping_sub(v[j + 1])
        } else {
            v[j].wrapping_add(v[j + 1])
        }
    }))
}

/// PSIGN*: the destination lane negated, zeroed or kept by the sign of the source lane.
fn sign_lanes(d: u128, s: u128, bits: u32) -> u128 {
    let n = 128 / bits;
    let mask = (1u128 << bits) - 1;
    let mut r = 0u128;
    for k in 0..n {
        let sh = k * bits;
        let x = (d >> sh) & mask;
        let y = (s >> sh) & mask;
        let neg = y >> (bits - 1) != 0;
        let v = if y == 0 {
            0
        } else if neg {
            x.wrapping_neg() & mask
        } else {
            x
        };
        r |= v << sh;
    }
    r
}

/// The rounding mode of ROUND*: imm8[2] set takes MXCSR.RC, else imm8[1:0].
/// 0 nearest-even, 1 down, 2 up, 3 toward zero.
fn round_mode(imm: u8, mxcsr: u32) -> u32 {
    if imm & 4 != 0 {
        (mxcsr >> 13) & 3
    } else {
        u32::from(imm & 3)
    }
}

pub(crate) fn round64(x: f64, mode: u32) -> f64 {
    if x.is_nan() {
        return f64::from_bits(x.to_bits() | 1 << 51);
    }
    match mode {
        0 => x.round_ties_even(),
        1 => x.floor(),
        2 => x.ceil(),
        _ => x.trunc(),
    }
}

pub(crate) fn round32(x: f32, mode: u32) -> f32 {
    if x.is_nan() {
        return f32::from_bits(x.to_bits() | 1 << 22);
    }
    match mode {
        0 => x.round_ties_even(),
        1 => x.floor(),
        2 => x.ceil(),
        _ => x.trunc(),
    }
}

/// An SSE binary operation with x86's NaN rule (the first operand's NaN, quieted, else the
/// second's): the host compiler may swap commutative operands, so it is not left to it.
fn nan_rule32(a: f32, b: f32, f: impl Fn(f32, f32) -> f32) -> f32 {
    let quiet = |x: f32| f32::from_bits(x.to_bits() | 1 << 22);
    if a.is_nan() {
        quiet(a)
    } else if b.is_nan() {
        quiet(b)
    } else {
        f(a, b)
    }
}

fn nan_rule64(a: f64, b: f64, f: impl Fn(f64, f64) -> f64) -> f64 {
    let quiet = |x: f64| f64::from_bits(x.to_bits() | 1 << 51);
    if a.is_nan() {
        quiet(a)
    } else if b.is_nan() {
        quiet(b)
    } else {
        f(a, b)
    }
}

/// DPPS: products of the lanes imm8[7:4] selects (others +0), summed pairwise as the SDM
/// orders it, broadcast to the lanes imm8[3:0] selects (others +0).
fn dpps(d: u128, s: u128, imm: u8) -> u128 {
    let (a, b) = (dwords(d), dwords(s));
    let p: [f32; 4] = std::array::from_fn(|k| {
        if imm & (0x10 << k) != 0 {
            nan_rule32(f32::from_bits(a[k]), f32::from_bits(b[k]), |x, y| x * y)
        } else {
            0.0
        }
    });
    let add = |x: f32, y: f32| nan_rule32(x, y, |x, y| x + y);
    let sum = add(add(p[0], p[1]), add(p[2], p[3]));
    from_dwords(std::array::from_fn(|k| {
        if imm & (1 << k) != 0 {
            sum.to_bits()
        } else {
            0
        }
    }))
}

fn dppd(d: u128, s: u128, imm: u8) -> u128 {
    let (a, b) = (qwords(d), qwords(s));
    let p: [f64; 2] = std::array::from_fn(|k| {
        if imm & (0x10 << k) != 0 {
            nan_rule64(f64::from_bits(a[k]), f64::from_bits(b[k]), |x, y| x * y)
        } else {
            0.0
        }
    });
    let sum = nan_rule64(p[0], p[1], |x, y| x + y);
    from_qwords(std::array::from_fn(|k| {
        if imm & (1 << k) != 0 {
            sum.to_bits()
        } else {
            0
        }
    }))
}

/// MPSADBW: eight sums of absolute differences of a sliding 4-byte window of the
/// destination (offset imm8[2]*4) against a fixed 4-byte block of the source (imm8[1:0]*4).
fn mpsadbw(d: u128, s: u128, imm: u8) -> u128 {
    let (a, b) = (bytes(d), bytes(s));
    let ao = usize::from((imm >> 2) & 1) * 4;
    let bo = usize::from(imm & 3) * 4;
    from_words(std::array::from_fn(|k| {
        (0..4)
            .map(|j| u16::from(a[ao + k + j].abs_diff(b[bo + j])))
            .sum()
    }))
}

/// PCMPxSTRx (SDM Vol. 2, 4.1 "Imm8 Control Byte Operation for PCMPESTRI / …"): the
/// intermediate result IntRes2 as a bit per element, and the flags CF ZF SF OF.
pub(crate) fn pcmpstr(a: u128, b: u128, la: usize, lb: usize, imm: u8) -> (u32, u64) {
    let words = imm & 1 != 0;
    let signed = imm & 2 != 0;
    let n = if words { 8 } else { 16 };
    let elem = |v: u128, k: usize| -> i32 {
        if words {
            let x = (v >> (16 * k)) as u16;
            if signed {
                i32::from(x as i16)
            } else {
                i32::from(x)
            }
        } else {
            let x = (v >> (8 * k)) as u8;
            if signed {
                i32::from(x as i8)
            } else {
                i32::from(x)
            }
        }
    };
    let (la, lb) = (la.min(n), lb.min(n));
    let mut av = [0i32; 16];
    let mut bv = [0i32; 16];
    for k in 0..n {
        av[k] = elem(a, k);
        bv[k] = elem(b, k);
    }
    let valid_b = (1u32 << lb) - 1;
    // Bit j set where b[j] satisfies `f` (valid or not: callers mask).
    let scan = |f: &dyn Fn(i32) -> bool| -> u32 {
        let mut m = 0u32;
        for (j, &x) in bv[..n].iter().enumerate() {
            m |= u32::from(f(x)) << j;
        }
        m
    };
    let res1: u32 = match (imm >> 2) & 3 {
        // Equal any: b[j] is one of the valid a[i].
        0 => {
            let mut m = 0;
            for &x in &av[..la] {
                m |= scan(&|y| y == x);
            }
            m & valid_b
        }
        // Ranges: a holds (low, high) pairs; b[j] lies in one of the valid pairs.
        1 => {
            let mut m = 0;
            let mut i = 0;
            while i + 1 < la {
                let (lo, hi) = (av[i], av[i + 1]);
                m |= scan(&|y| y >= lo && y <= hi);
                i += 2;
            }
            m & valid_b
        }
        // Equal each: a[i] == b[i]; both invalid compares true, one invalid false.
        2 => {
            let mut eq = 0u32;
            for i in 0..la.min(lb) {
                eq |= u32::from(av[i] == bv[i]) << i;
            }
            let all = (1u32 << n) - 1;
            let both_invalid = all & !((1u32 << la.max(lb)) - 1);
            eq | both_invalid
        }
        // Equal ordered: the valid prefix of a occurs in b starting at j (an invalid a
        // element, or one past the end of b's 16 bytes, matches anything; a valid one
        // against an invalid b element fails).
        _ => {
            let all = (1u32 << n) - 1;
            let mut m = all;
            for (i, &x) in av[..la].iter().enumerate() {
                let past_end = all & !((1u32 << (n - i)) - 1);
                m &= ((scan(&|y| y == x) & valid_b) >> i) | past_end;
            }
            m
        }
    };
    let all = (1u32 << n) - 1;
    let res2 = match (imm >> 4) & 3 {
        1 => !res1 & all,
        3 => res1 ^ ((1u32 << lb) - 1),
        _ => res1,
    };
    let mut flags = 0u64;
    if res2 != 0 {
        flags |= crate::state::flag::CF;
    }
    if lb < n {
        flags |= crate::state::flag::ZF;
    }
    if la < n {
        flags |= crate::state::flag::SF;
    }
    if res2 & 1 != 0 {
        flags |= crate::state::flag::OF;
    }
    (res2, flags)
}

/// PCMPxSTRx on the host CPU when it has SSE4.2 (the guest's semantics by construction, and
/// several times faster than [`pcmpstr`], which is the fallback and is checked against this
/// in the unit tests). The imm8 must be an assembly constant: one instance per value of its
/// seven defined bits.
#[cfg(target_arch = "x86_64")]
mod hw {
    use std::arch::asm;
    use std::arch::x86_64::__m128i;

    fn v(x: u128) -> __m128i {
        // SAFETY: both are 16 plain bytes.
        unsafe { std::mem::transmute::<u128, __m128i>(x) }
    }

    fn u(x: __m128i) -> u128 {
        // SAFETY: both are 16 plain bytes.
        unsafe { std::mem::transmute::<__m128i, u128>(x) }
    }

    /// `op` 0x60–0x63 with lengths (explicit forms) already reduced to 0..=16: gives
    /// (ECX or XMM0, RFLAGS).
    ///
    /// # Safety
    /// The host must have SSE4.2.
    #[target_feature(enable = "sse4.2")]
    unsafe fn one<const IMM: u8>(op: u8, a: u128, b: u128, la: u32, lb: u32) -> (u128, u64) {
        let (a, b) = (v(a), v(b));
        let fl: u64;
        let r: u128;
        // SAFETY: the caller checked SSE4.2; the instructions read two XMM registers (and
        // EAX/EDX) and write ECX or XMM0 and RFLAGS, which are declared; PUSHFQ/POP use the
        // stack, so `nostack` is not given.
        unsafe {
            match op {
                0x60 => {
                    let m: __m128i;
                    asm!("pcmpestrm {a}, {b}, {imm}", "pushfq", "pop {fl}", a = in(xmm_reg) a, b = in(xmm_reg) b,
                        imm = const IMM, in("eax") la, in("edx") lb, out("xmm0") m, fl = out(reg) fl);
                    r = u(m);
                }
                0x61 => {
                    let i: u32;
                    asm!("pcmpestri {a}, {b}, {imm}", "pushfq", "pop {fl}", a = in(xmm_reg) a, b = in(xmm_reg) b,
                        imm = const IMM, in("eax") la, in("edx") lb, out("ecx") i, fl = out(reg) fl);
                    r = u128::from(i);
                }
                0x62 => {
                    let m: __m128i;
                    asm!("pcmpistrm {a}, {b}, {imm}", "pushfq", "pop {fl}", a = in(xmm_reg) a, b = in(xmm_reg) b,
                        imm = const IMM, out("xmm0") m, fl = out(reg) fl);
                    r = u(m);
                }
                _ => {
                    let i: u32;
                    asm!("pcmpistri {a}, {b}, {imm}", "pushfq", "pop {fl}", a = in(xmm_reg) a, b = in(xmm_reg) b,
                        imm = const IMM, out("ecx") i, fl = out(reg) fl);
                    r = u128::from(i);
                }
            }
        }
        (r, fl & crate::state::flag::ARITH)
    }

    macro_rules! table {
        ($($n:literal)*) => {
            /// Runs the instruction with imm8 bits 0–6 `imm` if the host has SSE4.2.
            pub(super) fn run(op: u8, imm: u8, a: u128, b: u128, la: u32, lb: u32) -> Option<(u128, u64)> {
                if !std::arch::is_x86_feature_detected!("sse4.2") {
                    return None;
                }
                // SAFETY: SSE4.2 was detected just above.
                unsafe {
                    match imm & 0x7f {
                        $($n => Some(one::<$n>(op, a, b, la, lb)),)*
                        _ => None,
                    }
                }
            }
        };
    }
    table!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119 120 121 122 123 124 125 126 127);
}

/// The implicit length of PCMPISTRx: the index of the first zero element.
fn implicit_len(v: u128, words: bool) -> usize {
    if words {
        words_of(v).iter().position(|&x| x == 0).unwrap_or(8)
    } else {
        bytes(v).iter().position(|&x| x == 0).unwrap_or(16)
    }
}

fn words_of(v: u128) -> [u16; 8] {
    words(v)
}

/// The explicit length of PCMPESTRx: |reg| saturated to the element count.
fn explicit_len(reg: u64, rex_w: bool, n: usize) -> usize {
    let v = if rex_w {
        reg as i64
    } else {
        i64::from(reg as u32 as i32)
    };
    v.unsigned_abs().min(n as u64) as usize
}

/// CRC32 (SSE4.2): the reflected CRC-32C (Castagnoli) update of `crc` by the low `n` bytes
/// of `data`, least significant first, without pre- or post-inversion (SDM CRC32 "Operation").
pub(crate) fn crc32c(mut crc: u32, data: u64, n: u32) -> u32 {
    for k in 0..n {
        crc ^= u32::from((data >> (8 * k)) as u8);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0x82f6_3b78 & (crc & 1).wrapping_neg());
        }
    }
    crc
}

extern "C" fn crc32_helper(
    _st: *mut u8,
    _mem: *mut u8,
    crc: u64,
    data: u64,
    n: u64,
    _d: u64,
) -> u64 {
    u64::from(crc32c(crc as u32, data, n as u32))
}

/// `CRC32`: (crc, data, bytes) → the new crc.
pub(crate) static CRC32: Helper = Helper {
    name: "x86_crc32",
    func: crc32_helper,
};

/// ROUNDPS (08) / ROUNDPD (09) / ROUNDSS (0A) / ROUNDSD (0B): `mxcsr` is the guest's.
fn round_op(op: u8, imm: u8, d: u128, s: u128, mxcsr: u32) -> u128 {
    let mode = round_mode(imm, mxcsr);
    if op & 1 == 0 {
        let (a, b) = (dwords(d), dwords(s));
        let n = if op == 0x08 { 4 } else { 1 };
        from_dwords(std::array::from_fn(|k| {
            if k < n {
                round32(f32::from_bits(b[k]), mode).to_bits()
            } else {
                a[k]
            }
        }))
    } else {
        let (a, b) = (qwords(d), qwords(s));
        let n = if op == 0x09 { 2 } else { 1 };
        from_qwords(std::array::from_fn(|k| {
            if k < n {
                round64(f64::from_bits(b[k]), mode).to_bits()
            } else {
                a[k]
            }
        }))
    }
}

/// Computes one instruction: gives the new destination XMM (if it writes one) and the value
/// returned to the lifted code.
fn exec(st: &X86State, c: u64, s: u128) -> (Option<(usize, u128)>, u64) {
    let op = c as u8;
    let map3a = (c >> 8) & 1 != 0;
    let dst = ((c >> 16) & 15) as usize;
    let imm = (c >> 24) as u8;
    let rex_w = (c >> 32) & 1 != 0;
    let d = st.xmm[dst];
    let x0 = st.xmm[0];
    let r = if !map3a {
        match op {
            // PSHUFB
            0x00 => {
                let (a, b) = (bytes(d), bytes(s));
                from_bytes(std::array::from_fn(|k| {
                    if b[k] & 0x80 != 0 {
                        0
                    } else {
                        a[usize::from(b[k] & 15)]
                    }
                }))
            }
            0x01 => horizontal16(d, s, |x, y| x.wrapping_add(y) as u16),
            0x02 => horizontal32(d, s, false),
            0x03 => horizontal16(d, s, |x, y| sat16(i32::from(x) + i32::from(y))),
            // PMADDUBSW: unsigned bytes of the destination times signed bytes of the source.
            0x04 => {
                let (a, b) = (bytes(d), bytes(s));
                from_words(std::array::from_fn(|k| {
                    let p = |j: usize| i32::from(a[j]) * i32::from(b[j] as i8);
                    sat16(p(2 * k) + p(2 * k + 1))
                }))
            }
            0x05 => horizontal16(d, s, |x, y| x.wrapping_sub(y) as u16),
            0x06 => horizontal32(d, s, true),
            0x07 => horizontal16(d, s, |x, y| sat16(i32::from(x) - i32::from(y))),
            0x08 => sign_lanes(d, s, 8),
            0x09 => sign_lanes(d, s, 16),
            0x0a => sign_lanes(d, s, 32),
            // PMULHRSW
            0x0b => {
                let (a, b) = (words(d), words(s));
                from_words(std::array::from_fn(|k| {
                    let p = i32::from(a[k] as i16) * i32::from(b[k] as i16);
                    (((p >> 14) + 1) >> 1) as u16
                }))
            }
            // PBLENDVB / BLENDVPS / BLENDVPD: the source where XMM0's lane sign is set.
            0x10 | 0x14 | 0x15 => {
                let bits = match op {
                    0x10 => 8,
                    0x14 => 32,
                    _ => 64,
                };
                let mut r = 0u128;
                let lane = if bits == 128 {
                    u128::MAX
                } else {
                    (1u128 << bits) - 1
                };
                for k in 0..128 / bits {
                    let sh = k * bits;
                    let take = (x0 >> (sh + bits - 1)) & 1 != 0;
                    let v = if take { s } else { d };
                    r |= v & (lane << sh);
                }
                r
            }
            // PMULDQ: signed low dwords of each qword.
            0x28 => {
                let (a, b) = (qwords(d), qwords(s));
                from_qwords(std::array::from_fn(|k| {
                    (i64::from(a[k] as u32 as i32) * i64::from(b[k] as u32 as i32)) as u64
                }))
            }
            // PACKUSDW
            0x2b => {
                let (a, b) = (dwords(d), dwords(s));
                from_words(std::array::from_fn(|k| {
                    let v = if k < 4 { a[k] } else { b[k - 4] } as i32;
                    v.clamp(0, 0xffff) as u16
                }))
            }
            // PHMINPOSUW: the smallest unsigned word and its (lowest) index.
            0x41 => {
                let w = words(s);
                let (mut idx, mut min) = (0usize, w[0]);
                for (k, &x) in w.iter().enumerate().skip(1) {
                    if x < min {
                        min = x;
                        idx = k;
                    }
                }
                u128::from(min) | ((idx as u128) << 16)
            }
            _ => return (None, u64::MAX),
        }
    } else {
        match op {
            // ROUNDPS / ROUNDPD / ROUNDSS / ROUNDSD: the host's floor/ceil/round assume
            // round-to-nearest arithmetic, and the host MXCSR is the guest's (`mxcsr.rs`).
            0x08..=0x0b => {
                let saved = super::mxcsr::read_host();
                super::mxcsr::write_host(saved & !(3 << 13));
                let r = round_op(op, imm, d, s, st.mxcsr);
                super::mxcsr::write_host(saved);
                r
            }
            0x40 => dpps(d, s, imm),
            0x41 => dppd(d, s, imm),
            0x42 => mpsadbw(d, s, imm),
            0x60..=0x63 => {
                #[cfg(target_arch = "x86_64")]
                {
                    let n = if imm & 1 != 0 { 8 } else { 16 };
                    let (la, lb) = if op < 0x62 {
                        (
                            explicit_len(st.gpr[0], rex_w, n) as u32,
                            explicit_len(st.gpr[2], rex_w, n) as u32,
                        )
                    } else {
                        (0, 0)
                    };
                    if let Some((r, flags)) = hw::run(op, imm, d, s, la, lb) {
                        if op & 1 != 0 {
                            return (None, flags | ((r as u64) << 32));
                        }
                        return (Some((0, r)), flags);
                    }
                }
                let words = imm & 1 != 0;
                let n = if words { 8 } else { 16 };
                let (la, lb) = if op < 0x62 {
                    (
                        explicit_len(st.gpr[0], rex_w, n),
                        explicit_len(st.gpr[2], rex_w, n),
                    )
                } else {
                    (implicit_len(d, words), implicit_len(s, words))
                };
                let (res, flags) = pcmpstr(d, s, la, lb, imm);
                if op & 1 != 0 {
                    // PCMPxSTRI: the index of the least (imm8[6] = 0) or most significant set
                    // bit of IntRes2, or the element count when none is set.
                    let idx = if res == 0 {
                        n as u32
                    } else if imm & 0x40 != 0 {
                        31 - res.leading_zeros()
                    } else {
                        res.trailing_zeros()
                    };
                    return (None, flags | (u64::from(idx) << 32));
                }
                // PCMPxSTRM: to XMM0, as bits or expanded to element masks (imm8[6]).
                let m = if imm & 0x40 == 0 {
                    u128::from(res)
                } else {
                    let (bits, count) = if words { (16, 8) } else { (8, 16) };
                    let mut m = 0u128;
                    for k in 0..count {
                        if res >> k & 1 != 0 {
                            m |= ((1u128 << bits) - 1) << (k * bits);
                        }
                    }
                    m
                };
                return (Some((0, m)), flags);
            }
            _ => return (None, u64::MAX),
        }
    };
    (Some((dst, r)), 0)
}

extern "C" fn vec_helper(st: *mut u8, _mem: *mut u8, c: u64, lo: u64, hi: u64, _d: u64) -> u64 {
    // SAFETY: the engine passes a pointer to this frontend's state, STATE_SIZE bytes and
    // 16-aligned, valid and not otherwise borrowed for the duration of the call.
    let st = unsafe { &mut *(st as *mut X86State) };
    let s = u128::from(lo) | (u128::from(hi) << 64);
    let (write, ret) = exec(st, c, s);
    if let Some((r, v)) = write {
        st.xmm[r] = v;
    }
    ret
}

/// One SSSE3/SSE4.x instruction on the state: (code, source low half, source high half).
pub(crate) static VEC: Helper = Helper {
    name: "x86_vec",
    func: vec_helper,
};

/// RCPPS/RCPSS (`a` = 0) and RSQRTPS/RSQRTSS (`a` = 1) on two f32 lanes packed in `b`. The
/// SDM bounds only the relative error (1.5 × 2⁻¹²) and vendors differ bit-wise, so on an
/// x86-64 host this is the host instruction (what the program gets natively); elsewhere the
/// exactly rounded value, within that bound.
fn recip(rsqrt: bool, x: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE and SSE2 are part of every x86-64 CPU; these intrinsics only move and
        // compute register values (no memory access).
        unsafe {
            let v = _mm_castsi128_ps(_mm_set_epi64x(0, x as i64));
            let r = if rsqrt {
                _mm_rsqrt_ps(v)
            } else {
                _mm_rcp_ps(v)
            };
            _mm_cvtsi128_si64(_mm_castps_si128(r)) as u64
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let lane = |k: u32| {
            let f = f32::from_bits((x >> (32 * k)) as u32);
            let r = if rsqrt {
                (1.0 / f64::from(f).sqrt()) as f32
            } else {
                (1.0 / f64::from(f)) as f32
            };
            u64::from(r.to_bits()) << (32 * k)
        };
        lane(0) | lane(1)
    }
}

extern "C" fn recip_helper(_s: *mut u8, _m: *mut u8, a: u64, b: u64, _c: u64, _d: u64) -> u64 {
    recip(a != 0, b)
}

/// RCP*/RSQRT*: (0 = reciprocal, 1 = reciprocal square root; two f32 lanes) → two lanes.
pub(crate) static RECIP: Helper = Helper {
    name: "x86_recip",
    func: recip_helper,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_check_value() {
        // The standard check: CRC-32C("123456789") = 0xe3069283 with pre/post inversion.
        let mut crc = !0u32;
        for &b in b"123456789" {
            crc = crc32c(crc, u64::from(b), 1);
        }
        assert_eq!(!crc, 0xe306_9283);
    }

    #[test]
    fn pcmpistri_equal_any_finds_first_member() {
        // Set "ab", string "xxbxa\0…": first member at 2; ZF (string ends), SF (set ends).
        let set = u128::from_le_bytes(*b"ab\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
        let s = u128::from_le_bytes(*b"xxbxa\0\0\0\0\0\0\0\0\0\0\0");
        let (res, flags) = pcmpstr(set, s, 2, 5, 0x00);
        assert_eq!(res, 0b10100);
        use crate::state::flag::*;
        assert_eq!(flags, CF | ZF | SF);
    }
    /// The portable [`pcmpstr`] (used where the host lacks SSE4.2) against the host's
    /// instructions: every control byte, strings with embedded zeros, random lengths.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn portable_pcmpstr_matches_the_host() {
        assert!(
            std::arch::is_x86_feature_detected!("sse4.2"),
            "this test needs a host with SSE4.2 to compare against"
        );
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        for k in 0..200_000u32 {
            let imm = (k % 128) as u8;
            let op = 0x60 + ((k / 128) % 4) as u8;
            let mut val = || {
                let mut b = [0u8; 16];
                for v in b.iter_mut() {
                    let r = next();
                    *v = [0u8, 0, 1, 0x7f, 0x80, 0xff, b'a', b'b', b'z', r as u8]
                        [(r >> 32) as usize % 10];
                }
                u128::from_le_bytes(b)
            };
            let (a, b) = (val(), val());
            let words = imm & 1 != 0;
            let n = if words { 8 } else { 16 };
            let (la, lb) = if op < 0x62 {
                ((next() % 18) as usize, (next() % 18) as usize)
            } else {
                (implicit_len(a, words), implicit_len(b, words))
            };
            let (want, want_flags) =
                hw::run(op, imm, a, b, la.min(n) as u32, lb.min(n) as u32).expect("sse4.2");
            let (res, flags) = pcmpstr(a, b, la, lb, imm);
            assert_eq!(
                flags, want_flags,
                "flags: op {op:#x} imm {imm:#x} {a:032x} {b:032x} {la} {lb}"
            );
            let got = if op & 1 != 0 {
                u128::from(if res == 0 {
                    n as u32
                } else if imm & 0x40 != 0 {
                    31 - res.leading_zeros()
                } else {
                    res.trailing_zeros()
                })
            } else if imm & 0x40 == 0 {
                u128::from(res)
            } else {
                let bits = if words { 16 } else { 8 };
                (0..n)
                    .filter(|&k| res >> k & 1 != 0)
                    .fold(0u128, |m, k| m | (((1u128 << bits) - 1) << (k * bits)))
            };
            assert_eq!(
                got, want,
                "op {op:#x} imm {imm:#x} {a:032x} {b:032x} {la} {lb}"
            );
        }
    }
}
