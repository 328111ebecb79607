//! Host helpers for CRC32 (FEAT_CRC32) and the cryptographic extension (FEAT_AES, FEAT_PMULL,
//! FEAT_SHA1, FEAT_SHA256): what the IR does not express directly.
//!
//! ```text
//!   lift/dp_reg.rs (CRC32*) ──Op::CallHelper──► CRC32: a pure function of (acc, value, kind)
//!   lift/crypto.rs (AES*, SHA*, PMULL) ──Op::CallHelper──► VECTOR: V registers by number,
//!                                                          read and written in the CPU state
//! ```
//!
//! The vector helpers take whole 128-bit registers (an AES round mixes all 16 bytes, SHA256H
//! reads three registers), more than the four 64-bit helper arguments carry, so they take
//! register numbers and work on the CPU state, which the engine flushes before and reloads
//! after every helper call.
//!
//! Each operation has a portable implementation written from the ARM ARM's pseudocode (the
//! shared/functions/crypto and CRC32 sections), and where the host has the instruction (SSE4.2
//! `crc32` for CRC32C, AES-NI, PCLMULQDQ, SHA256RNDS2) a host path, which the tests check
//! against the portable one on random inputs.

use crate::state::{self, CpuState};
use xarch_translator::ir::Helper;

// ---- CRC32 ----

/// Builds the table of a reflected CRC-32 for one polynomial (bit-reversed form).
const fn crc_table(poly: u32) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { c >> 1 ^ poly } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

/// CRC-32 (ISO-HDLC, polynomial 0x04C11DB7), reflected.
static CRC32_TABLE: [u32; 256] = crc_table(0xedb8_8320);
/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41), reflected.
static CRC32C_TABLE: [u32; 256] = crc_table(0x82f6_3b78);

/// Kind bit of [`CRC32`]'s third argument: the Castagnoli polynomial (CRC32C*); the low bits
/// are the value's size in bytes (1, 2, 4, 8).
pub const CRC_C: u64 = 1 << 8;

/// The portable CRC32/CRC32C update: `acc` over the low `bytes` bytes of `val`, least
/// significant byte first, without the pre- and post-inversion that software CRC-32 adds
/// (ARM ARM C6.2 CRC32B: the bit-reversed accumulator and value, reduced modulo the polynomial).
pub fn crc32_soft(acc: u32, val: u64, bytes: u32, castagnoli: bool) -> u32 {
    let t = if castagnoli {
        &CRC32C_TABLE
    } else {
        &CRC32_TABLE
    };
    let mut c = acc;
    for i in 0..bytes {
        let b = (val >> (8 * i)) as u8;
        c = t[((c ^ b as u32) & 0xff) as usize] ^ c >> 8;
    }
    c
}

/// CRC32C with the host's SSE4.2 `crc32`, which is exactly CRC32C* (no inversions).
///
/// # Safety
/// The host must have SSE4.2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
unsafe fn crc32c_host(acc: u32, val: u64, bytes: u32) -> u32 {
    use std::arch::x86_64::*;
    match bytes {
        1 => _mm_crc32_u8(acc, val as u8),
        2 => _mm_crc32_u16(acc, val as u16),
        4 => _mm_crc32_u32(acc, val as u32),
        _ => _mm_crc32_u64(acc as u64, val) as u32,
    }
}

/// CRC32* and CRC32C*: the host instruction for the Castagnoli forms where there is one.
pub fn crc32(acc: u32, val: u64, bytes: u32, castagnoli: bool) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if castagnoli && std::arch::is_x86_feature_detected!("sse4.2") {
        // SAFETY: SSE4.2 is present (checked just above).
        return unsafe { crc32c_host(acc, val, bytes) };
    }
    crc32_soft(acc, val, bytes, castagnoli)
}

extern "C" fn crc32_helper(_s: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, _d: u64) -> u64 {
    crc32(a as u32, b, (c & 0xff) as u32, c & CRC_C != 0) as u64
}

/// `CRC32{,C}{B,H,W,X}`: `a` = the accumulator (Wn), `b` = the value (Rm), `c` = its size in
/// bytes, plus [`CRC_C`] for the Castagnoli forms. Gives the new accumulator.
pub static CRC32: Helper = Helper {
    name: "a64_crc32",
    func: crc32_helper,
};

// ---- AES ----

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197 4.2).
const fn gmul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

/// The AES S-box (FIPS-197 5.1.1): the multiplicative inverse, then the affine transform.
const fn sbox() -> [u8; 256] {
    let mut s = [0u8; 256];
    let mut x = 0;
    while x < 256 {
        // x^254 is the inverse of x (and 0 for 0).
        let mut inv = 1u8;
        let mut k = 0;
        while k < 254 {
            inv = gmul(inv, x as u8);
            k += 1;
        }
        if x == 0 {
            inv = 0;
        }
        s[x] = inv
            ^ inv.rotate_left(1)
            ^ inv.rotate_left(2)
            ^ inv.rotate_left(3)
            ^ inv.rotate_left(4)
            ^ 0x63;
        x += 1;
    }
    s
}

const fn inverse(s: &[u8; 256]) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[s[i] as usize] = i as u8;
        i += 1;
    }
    t
}

static SBOX: [u8; 256] = sbox();
static INV_SBOX: [u8; 256] = inverse(&SBOX);

/// The AES state as the register holds it: byte `r + 4c` is row r of column c (FIPS-197 3.4,
/// as ARM and x86 both lay it out).
type Block = [u8; 16];

fn shift_rows(x: Block, inverse: bool) -> Block {
    let mut o = [0u8; 16];
    for c in 0..4 {
        for r in 0..4 {
            let from = r + 4 * ((c + r) % 4);
            if inverse {
                o[from] = x[r + 4 * c];
            } else {
                o[r + 4 * c] = x[from];
            }
        }
    }
    o
}

fn mix_columns(x: Block, inverse: bool) -> Block {
    let k: [u8; 4] = if inverse {
        [14, 11, 13, 9]
    } else {
        [2, 3, 1, 1]
    };
    let mut o = [0u8; 16];
    for c in 0..4 {
        let a = &x[4 * c..4 * c + 4];
        for r in 0..4 {
            o[4 * c + r] = (0..4).fold(0, |acc, j| acc ^ gmul(k[(j + 4 - r) % 4], a[j]));
        }
    }
    o
}

/// Operations of [`VECTOR`] (its first argument).
pub mod op {
    pub const AESE: u64 = 0;
    pub const AESD: u64 = 1;
    pub const AESMC: u64 = 2;
    pub const AESIMC: u64 = 3;
    pub const SHA1C: u64 = 4;
    pub const SHA1P: u64 = 5;
    pub const SHA1M: u64 = 6;
    pub const SHA1SU0: u64 = 7;
    pub const SHA256H: u64 = 8;
    pub const SHA256H2: u64 = 9;
    pub const SHA256SU1: u64 = 10;
    pub const SHA1H: u64 = 11;
    pub const SHA1SU1: u64 = 12;
    pub const SHA256SU0: u64 = 13;
    /// PMULL/PMULL2 of bytes: plus [`PART2`] for PMULL2 (the upper halves).
    pub const PMULL8: u64 = 14;
    /// PMULL/PMULL2 of doublewords (to 128 bits): plus [`PART2`] for PMULL2.
    pub const PMULL64: u64 = 15;
    /// Flag: the second-part (upper half) form of PMULL.
    pub const PART2: u64 = 1 << 8;
}

/// AESE, AESD, AESMC, AESIMC on `d` (the state) and `n` (the round key for AESE/AESD, the
/// operand for the column mixes), portable (ARM ARM C7.2: AESE is SubBytes(ShiftRows(d ^ n)),
/// AESD the inverses, AESMC/AESIMC MixColumns and its inverse of `n`).
pub fn aes_soft(op: u64, d: u128, n: u128) -> u128 {
    let x = match op {
        op::AESE | op::AESD => (d ^ n).to_le_bytes(),
        _ => n.to_le_bytes(),
    };
    let r = match op {
        op::AESE => shift_rows(x, false).map(|b| SBOX[b as usize]),
        op::AESD => shift_rows(x, true).map(|b| INV_SBOX[b as usize]),
        op::AESMC => mix_columns(x, false),
        _ => mix_columns(x, true),
    };
    u128::from_le_bytes(r)
}

/// The same with AES-NI: AESENCLAST with a zero key is ShiftRows then SubBytes, AESDECLAST
/// the inverses, AESIMC is InvMixColumns, and AESENC(AESDECLAST(x, 0), 0) leaves only
/// MixColumns.
///
/// # Safety
/// The host must have AES-NI (and SSE2).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "aes,sse2")]
unsafe fn aes_host(op: u64, d: u128, n: u128) -> u128 {
    use std::arch::x86_64::*;
    let v = |x: u128| _mm_set_epi64x((x >> 64) as i64, x as i64);
    let zero = _mm_setzero_si128();
    let r = match op {
        op::AESE => _mm_aesenclast_si128(v(d ^ n), zero),
        op::AESD => _mm_aesdeclast_si128(v(d ^ n), zero),
        op::AESMC => _mm_aesenc_si128(_mm_aesdeclast_si128(v(n), zero), zero),
        _ => _mm_aesimc_si128(v(n)),
    };
    let lo = _mm_cvtsi128_si64(r) as u64;
    let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(r, r)) as u64;
    u128::from(hi) << 64 | u128::from(lo)
}

fn aes(op: u64, d: u128, n: u128) -> u128 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("aes") {
        // SAFETY: AES-NI is present (checked just above); SSE2 is part of x86-64.
        return unsafe { aes_host(op, d, n) };
    }
    aes_soft(op, d, n)
}

// ---- polynomial multiply ----

/// Carry-less product of two 64-bit polynomials over GF(2), portable.
pub fn clmul64_soft(a: u64, b: u64) -> u128 {
    (0..64)
        .filter(|i| b >> i & 1 != 0)
        .fold(0u128, |acc, i| acc ^ u128::from(a) << i)
}

/// The same with PCLMULQDQ.
///
/// # Safety
/// The host must have PCLMULQDQ (and SSE2).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "pclmulqdq,sse2")]
unsafe fn clmul64_host(a: u64, b: u64) -> u128 {
    use std::arch::x86_64::*;
    let r = _mm_clmulepi64_si128(_mm_set_epi64x(0, a as i64), _mm_set_epi64x(0, b as i64), 0);
    let lo = _mm_cvtsi128_si64(r) as u64;
    let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(r, r)) as u64;
    u128::from(hi) << 64 | u128::from(lo)
}

fn clmul64(a: u64, b: u64) -> u128 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("pclmulqdq") {
        // SAFETY: PCLMULQDQ is present (checked just above); SSE2 is part of x86-64.
        return unsafe { clmul64_host(a, b) };
    }
    clmul64_soft(a, b)
}

/// PMULL (`part2` false) or PMULL2 of bytes: the eight 8-bit polynomial products of one half
/// of `n` and `m`, as 16-bit lanes.
pub fn pmull8(n: u128, m: u128, part2: bool) -> u128 {
    let sh = if part2 { 64 } else { 0 };
    let (a, b) = ((n >> sh) as u64, (m >> sh) as u64);
    (0..8).fold(0u128, |acc, i| {
        let p = clmul64_soft(a >> (8 * i) & 0xff, b >> (8 * i) & 0xff);
        acc | p << (16 * i)
    })
}

// ---- SHA-1 and SHA-256 (ARM ARM shared/functions/crypto) ----

fn lane(x: u128, e: u32) -> u32 {
    (x >> (32 * e)) as u32
}

fn with_lane(x: u128, e: u32, v: u32) -> u128 {
    x & !(0xffff_ffffu128 << (32 * e)) | u128::from(v) << (32 * e)
}

fn sha_choose(x: u32, y: u32, z: u32) -> u32 {
    ((y ^ z) & x) ^ z
}

fn sha_majority(x: u32, y: u32, z: u32) -> u32 {
    (x & y) | ((x | y) & z)
}

fn sha_parity(x: u32, y: u32, z: u32) -> u32 {
    x ^ y ^ z
}

/// SHA1C, SHA1P, SHA1M: four rounds on the hash ABCD in `x`, E in `y`, with the four
/// schedule words (plus constant) in `w`; gives the new ABCD.
pub fn sha1_rounds(op: u64, mut x: u128, mut y: u32, w: u128) -> u128 {
    for e in 0..4 {
        let (b, c, d) = (lane(x, 1), lane(x, 2), lane(x, 3));
        let t = match op {
            op::SHA1C => sha_choose(b, c, d),
            op::SHA1P => sha_parity(b, c, d),
            _ => sha_majority(b, c, d),
        };
        y = y
            .wrapping_add(lane(x, 0).rotate_left(5))
            .wrapping_add(t)
            .wrapping_add(lane(w, e));
        x = with_lane(x, 1, b.rotate_left(30));
        // <Y, X> = ROL(Y:X, 32) over 160 bits.
        let top = lane(x, 3);
        x = x << 32 | u128::from(y);
        y = top;
    }
    x
}

/// SHA1SU0: the first part of the SHA-1 schedule update.
pub fn sha1su0(d: u128, n: u128, m: u128) -> u128 {
    let r = u128::from(n as u64) << 64 | d >> 64;
    r ^ d ^ m
}

/// SHA1SU1: the second part of the SHA-1 schedule update.
pub fn sha1su1(d: u128, n: u128) -> u128 {
    let t = d ^ n >> 32;
    let mut r = 0u128;
    for e in 0..4 {
        r = with_lane(r, e, lane(t, e).rotate_left(1));
    }
    with_lane(r, 3, lane(r, 3) ^ lane(t, 0).rotate_left(2))
}

/// SHA256H (`part1`) and SHA256H2: four rounds on the hash halves `x` (ABCD) and `y`
/// (EFGH) with the four schedule words (plus constants) in `w`; SHA256H gives the new
/// ABCD, SHA256H2 (called with the halves swapped) the new EFGH.
pub fn sha256_hash(mut x: u128, mut y: u128, w: u128, part1: bool) -> u128 {
    for e in 0..4 {
        let chs = sha_choose(lane(y, 0), lane(y, 1), lane(y, 2));
        let maj = sha_majority(lane(x, 0), lane(x, 1), lane(x, 2));
        let y0 = lane(y, 0);
        let sigma1 = y0.rotate_right(6) ^ y0.rotate_right(11) ^ y0.rotate_right(25);
        let t = lane(y, 3)
            .wrapping_add(sigma1)
            .wrapping_add(chs)
            .wrapping_add(lane(w, e));
        x = with_lane(x, 3, t.wrapping_add(lane(x, 3)));
        let x0 = lane(x, 0);
        let sigma0 = x0.rotate_right(2) ^ x0.rotate_right(13) ^ x0.rotate_right(22);
        y = with_lane(y, 3, t.wrapping_add(sigma0).wrapping_add(maj));
        // <Y, X> = ROL(Y:X, 32) over 256 bits.
        let (xt, yt) = (lane(x, 3), lane(y, 3));
        x = x << 32 | u128::from(yt);
        y = y << 32 | u128::from(xt);
    }
    if part1 { x } else { y }
}

/// Four SHA-256 rounds with the host's SHA extensions, giving the new (ABCD, EFGH) in the
/// ARM lane order (A, E in lane 0, as in memory). SHA256RNDS2 runs two rounds on the state
/// split as ABEF and CDGH (A, C in the top lane) and gives the new ABEF; the new CDGH is the
/// old ABEF. The shuffles in and out are those of Intel's SHA extensions reference code.
///
/// # Safety
/// The host must have the SHA extensions, SSSE3 and SSE4.1.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sha,ssse3,sse4.1")]
unsafe fn sha256_rounds_host(x: u128, y: u128, w: u128) -> (u128, u128) {
    use std::arch::x86_64::*;
    let v = |x: u128| _mm_set_epi64x((x >> 64) as i64, x as i64);
    let u = |r: __m128i| {
        let lo = _mm_cvtsi128_si64(r) as u64;
        let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(r, r)) as u64;
        u128::from(hi) << 64 | u128::from(lo)
    };
    let (abcd, efgh, wk) = (v(x), v(y), v(w));
    let cdab = _mm_shuffle_epi32(abcd, 0xb1);
    let hgfe = _mm_shuffle_epi32(efgh, 0x1b);
    let abef = _mm_alignr_epi8(cdab, hgfe, 8);
    let cdgh = _mm_blend_epi16(hgfe, cdab, 0xf0);
    let abef1 = _mm_sha256rnds2_epu32(cdgh, abef, wk);
    let abef2 = _mm_sha256rnds2_epu32(abef, abef1, _mm_unpackhi_epi64(wk, wk));
    // abef2 is the new ABEF, abef1 the new CDGH.
    let feba = _mm_shuffle_epi32(abef2, 0x1b);
    let dchg = _mm_shuffle_epi32(abef1, 0xb1);
    (
        u(_mm_blend_epi16(feba, dchg, 0xf0)),
        u(_mm_alignr_epi8(dchg, feba, 8)),
    )
}

/// [`sha256_hash`] (ABCD in `x`, EFGH in `y`) with the host's SHA extensions where there are
/// some.
fn sha256_h(x: u128, y: u128, w: u128, part1: bool) -> u128 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("ssse3")
        && std::arch::is_x86_feature_detected!("sse4.1")
    {
        // SAFETY: the SHA extensions, SSSE3 and SSE4.1 are present (checked just above).
        let (abcd, efgh) = unsafe { sha256_rounds_host(x, y, w) };
        return if part1 { abcd } else { efgh };
    }
    sha256_hash(x, y, w, part1)
}

/// SHA256SU0: the first part of the SHA-256 schedule update.
pub fn sha256su0(d: u128, n: u128) -> u128 {
    let t = u128::from(lane(n, 0)) << 96 | d >> 32;
    let mut r = 0u128;
    for e in 0..4 {
        let x = lane(t, e);
        let s = x.rotate_right(7) ^ x.rotate_right(18) ^ x >> 3;
        r = with_lane(r, e, s.wrapping_add(lane(d, e)));
    }
    r
}

/// SHA256SU1: the second part of the SHA-256 schedule update.
pub fn sha256su1(d: u128, n: u128, m: u128) -> u128 {
    let t0 = u128::from(lane(m, 0)) << 96 | n >> 32;
    let sigma = |x: u32| x.rotate_right(17) ^ x.rotate_right(19) ^ x >> 10;
    let mut r = 0u128;
    let mut t1 = m >> 64;
    for e in 0..4 {
        if e == 2 {
            t1 = r;
        }
        let x = sigma(lane(t1, e % 2));
        r = with_lane(r, e, x.wrapping_add(lane(d, e)).wrapping_add(lane(t0, e)));
    }
    r
}

/// One vector operation of [`VECTOR`] on register values: `d` the destination's old value,
/// `n` and `m` the operands.
pub fn vector_op(opf: u64, d: u128, n: u128, m: u128) -> u128 {
    let part2 = opf & op::PART2 != 0;
    match opf & 0xff {
        o @ (op::AESE | op::AESD | op::AESMC | op::AESIMC) => aes(o, d, n),
        o @ (op::SHA1C | op::SHA1P | op::SHA1M) => sha1_rounds(o, d, n as u32, m),
        op::SHA1SU0 => sha1su0(d, n, m),
        op::SHA256H => sha256_h(d, n, m, true),
        op::SHA256H2 => sha256_h(n, d, m, false),
        op::SHA256SU1 => sha256su1(d, n, m),
        op::SHA1H => u128::from((n as u32).rotate_left(30)),
        op::SHA1SU1 => sha1su1(d, n),
        op::SHA256SU0 => sha256su0(d, n),
        op::PMULL8 => pmull8(n, m, part2),
        _ => {
            let sh = if part2 { 64 } else { 0 };
            clmul64((n >> sh) as u64, (m >> sh) as u64)
        }
    }
}

fn v_reg(st: *mut u8, r: u64) -> *mut u128 {
    debug_assert!(r < 32);
    st.wrapping_add(state::v_off(r as u32 & 31) as usize).cast()
}

extern "C" fn vector_helper(st: *mut u8, _m: *mut u8, a: u64, b: u64, c: u64, d: u64) -> u64 {
    const _: () = assert!(state::v_off(31) as usize + 16 <= std::mem::size_of::<CpuState>());
    // SAFETY: `st` is the engine's CPU state buffer, a whole `CpuState`: V0..V31 lie inside it
    // (checked above; register numbers are masked to 0..31). Unaligned accesses, as the buffer
    // need not be 16-byte aligned.
    unsafe {
        let (dv, nv, mv) = (
            v_reg(st, b).read_unaligned(),
            v_reg(st, c).read_unaligned(),
            v_reg(st, d).read_unaligned(),
        );
        v_reg(st, b).write_unaligned(vector_op(a, dv, nv, mv));
    }
    0
}

/// The crypto vector operations: `a` = an [`op`] code, `b` = Vd (read for the operations that
/// accumulate, then written whole), `c` = Vn, `d` = Vm, as register numbers.
pub static VECTOR: Helper = Helper {
    name: "a64_crypto",
    func: vector_helper,
};

#[cfg(test)]
mod tests {
    use super::*;
    use xarch_translator::testing::Rng;

    fn hex(s: &str) -> u128 {
        // FIPS documents write bytes in memory order: the first byte is the lowest.
        let b: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        u128::from_le_bytes(b.try_into().unwrap())
    }

    #[test]
    fn crc_check_values() {
        // The CRC catalogue's check values over "123456789" (with the usual inversions).
        let run = |c: bool| {
            !b"123456789"
                .iter()
                .fold(!0u32, |acc, &b| crc32(acc, b as u64, 1, c))
        };
        assert_eq!(run(false), 0xcbf4_3926);
        assert_eq!(run(true), 0xe306_9283);
        // Wider values are their bytes, lowest first.
        let word = u64::from_le_bytes(*b"12345678");
        for c in [false, true] {
            let by_byte = b"12345678"
                .iter()
                .fold(0x1234_5678, |a, &b| crc32_soft(a, b as u64, 1, c));
            assert_eq!(crc32(0x1234_5678, word, 8, c), by_byte);
            assert_eq!(
                crc32(0x1234_5678, word, 4, c),
                crc32_soft(0x1234_5678, word & 0xffff_ffff, 4, c)
            );
        }
    }

    #[test]
    fn host_crc32c_matches_the_table() {
        let mut rng = Rng(0x0c4c_3217);
        for _ in 0..10_000 {
            let (acc, v) = (rng.next() as u32, rng.next());
            for bytes in [1, 2, 4, 8] {
                assert_eq!(crc32(acc, v, bytes, true), crc32_soft(acc, v, bytes, true));
            }
        }
    }

    #[test]
    fn sbox_is_fips_197() {
        assert_eq!(
            (SBOX[0x00], SBOX[0x01], SBOX[0x53], SBOX[0xff]),
            (0x63, 0x7c, 0xed, 0x16)
        );
        assert_eq!(INV_SBOX[0x63], 0);
    }

    /// FIPS-197 appendix C.1: AES-128 with key 000102…0f encrypts 00112233…ff to
    /// 69c4e0d8…c55a, run as the ARM instruction sequence (AESE+AESMC per round, the last
    /// round AESE and an EOR), with the key schedule of FIPS-197 5.2.
    #[test]
    fn aes128_fips_197_through_the_instructions() {
        let key = hex("000102030405060708090a0b0c0d0e0f");
        let mut rk = vec![key];
        let rcon = [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];
        for r in 0..10 {
            let prev = rk[r];
            let w3 = lane(prev, 3);
            let t = u32::from_le_bytes(w3.rotate_right(8).to_le_bytes().map(|b| SBOX[b as usize]))
                ^ rcon[r] as u32;
            let mut next = 0u128;
            let mut w = t;
            for e in 0..4 {
                w ^= lane(prev, e);
                next = with_lane(next, e, w);
            }
            rk.push(next);
        }
        for f in [aes, aes_soft] {
            let mut s = hex("00112233445566778899aabbccddeeff");
            for k in &rk[..9] {
                s = f(op::AESE, s, *k);
                s = f(op::AESMC, 0, s);
            }
            s = f(op::AESE, s, rk[9]) ^ rk[10];
            assert_eq!(s, hex("69c4e0d86a7b0430d8cdb78070b4c55a"));
            // Decryption: AESD, then AESIMC+AESD per round key, in reverse.
            let mut p = s ^ rk[10];
            p = f(op::AESD, p, 0);
            for k in rk[1..10].iter().rev() {
                p = f(op::AESIMC, 0, p ^ k);
                p = f(op::AESD, p, 0);
            }
            assert_eq!(p ^ rk[0], hex("00112233445566778899aabbccddeeff"));
        }
    }

    #[test]
    fn host_aes_clmul_and_sha256_match_the_portable_code() {
        let mut rng = Rng(0xae5_c1a1);
        for _ in 0..2000 {
            let d = u128::from(rng.next()) << 64 | u128::from(rng.next());
            let n = u128::from(rng.next()) << 64 | u128::from(rng.next());
            for o in [op::AESE, op::AESD, op::AESMC, op::AESIMC] {
                assert_eq!(aes(o, d, n), aes_soft(o, d, n), "op {o}");
            }
            assert_eq!(
                clmul64(d as u64, n as u64),
                clmul64_soft(d as u64, n as u64)
            );
            let w = u128::from(rng.next()) << 64 | u128::from(rng.next());
            for part1 in [true, false] {
                assert_eq!(
                    sha256_h(d, n, w, part1),
                    sha256_hash(d, n, w, part1),
                    "part1 {part1}"
                );
            }
        }
        // x^63 * x^63 = x^126; (x + 1)^2 = x^2 + 1.
        assert_eq!(clmul64(1 << 63, 1 << 63), 1 << 126);
        assert_eq!(clmul64(3, 3), 5);
        assert_eq!(pmull8(0xff03, 0x0203, false), 0x5 | 0x1fe << 16);
    }

    /// SHA-256 of "abc" (FIPS 180-4 example) through SHA256SU0/SU1 and SHA256H/H2, four
    /// rounds at a time as the ARM sequence does it.
    #[test]
    fn sha256_abc_through_the_instructions() {
        const K: [u32; 64] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
            0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
            0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
            0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
            0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
            0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
            0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
            0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
            0xc67178f2,
        ];
        let h0: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let mut block = [0u8; 64];
        block[..3].copy_from_slice(b"abc");
        block[3] = 0x80;
        block[63] = 24;
        let words = |i: usize| -> u128 {
            (0..4).fold(0u128, |acc, e| {
                let o = 16 * i + 4 * e;
                let w = u32::from_be_bytes(block[o..o + 4].try_into().unwrap());
                with_lane(acc, e as u32, w)
            })
        };
        let mut msg = [words(0), words(1), words(2), words(3)];
        let pack = |h: &[u32]| (0..4).fold(0u128, |acc, e| with_lane(acc, e as u32, h[e]));
        let (mut abcd, mut efgh) = (pack(&h0[..4]), pack(&h0[4..]));
        for i in 0..16 {
            let k = pack(&K[4 * i..4 * i + 4]);
            let wk = (0..4).fold(0u128, |acc, e| {
                with_lane(acc, e, lane(msg[i % 4], e).wrapping_add(lane(k, e)))
            });
            let prev = abcd;
            abcd = vector_op(op::SHA256H, abcd, efgh, wk);
            efgh = vector_op(op::SHA256H2, efgh, prev, wk);
            if i < 12 {
                let next = vector_op(op::SHA256SU0, msg[i % 4], msg[(i + 1) % 4], 0);
                msg[i % 4] = vector_op(op::SHA256SU1, next, msg[(i + 2) % 4], msg[(i + 3) % 4]);
            }
        }
        let digest: Vec<u32> = (0..8)
            .map(|e| {
                let v = if e < 4 { abcd } else { efgh };
                lane(v, e as u32 % 4).wrapping_add(h0[e])
            })
            .collect();
        assert_eq!(
            digest,
            [
                0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223, 0xb00361a3, 0x96177a9c, 0xb410ff61,
                0xf20015ad
            ]
        );
    }

    /// SHA-1 of "abc" (FIPS 180-4 example) through SHA1SU0/SU1, SHA1H and SHA1C/P/M.
    #[test]
    fn sha1_abc_through_the_instructions() {
        let h0: [u32; 5] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
        let mut block = [0u8; 64];
        block[..3].copy_from_slice(b"abc");
        block[3] = 0x80;
        block[63] = 24;
        let words = |i: usize| -> u128 {
            (0..4).fold(0u128, |acc, e| {
                let o = 16 * i + 4 * e;
                with_lane(
                    acc,
                    e as u32,
                    u32::from_be_bytes(block[o..o + 4].try_into().unwrap()),
                )
            })
        };
        let mut msg = [words(0), words(1), words(2), words(3)];
        let mut abcd = (0..4).fold(0u128, |acc, e| with_lane(acc, e as u32, h0[e]));
        let mut e = h0[4];
        for i in 0..20 {
            let (k, o) = match i / 5 {
                0 => (0x5a827999u32, op::SHA1C),
                1 => (0x6ed9eba1, op::SHA1P),
                2 => (0x8f1bbcdc, op::SHA1M),
                _ => (0xca62c1d6, op::SHA1P),
            };
            let wk = (0..4).fold(0u128, |acc, j| {
                with_lane(acc, j, lane(msg[i % 4], j).wrapping_add(k))
            });
            let next_e = vector_op(op::SHA1H, 0, abcd, 0) as u32;
            abcd = vector_op(o, abcd, u128::from(e), wk);
            e = next_e;
            if i < 16 {
                let t = vector_op(op::SHA1SU0, msg[i % 4], msg[(i + 1) % 4], msg[(i + 2) % 4]);
                msg[i % 4] = vector_op(op::SHA1SU1, t, msg[(i + 3) % 4], 0);
            }
        }
        let digest: Vec<u32> = (0..4)
            .map(|j| lane(abcd, j).wrapping_add(h0[j as usize]))
            .chain([e.wrapping_add(h0[4])])
            .collect();
        assert_eq!(
            digest,
            [0xa9993e36, 0x4706816a, 0xba3e2571, 0x7850c26c, 0x9cd0d89d]
        );
    }
}
