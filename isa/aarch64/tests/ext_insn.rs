//! Instruction tests for the extensions beyond ARMv8.0 that the frontend advertises: FEAT_LSE
//! atomics (HWCAP_ATOMICS), CRC32 (HWCAP_CRC32), the crypto extensions (HWCAP_AES, PMULL,
//! SHA1, SHA2) and MRS of the ID registers (HWCAP_CPUID). Raw words with the assembly in a
//! comment; every block runs in the interpreter and compiled, each with its own memory, and
//! both must agree on the state and the memory before the expectation is checked.

use xarch_isa_aarch64::Aarch64;
use xarch_isa_aarch64::state::{self, CpuState};
use xarch_translator::ir::{Exit, TrapKind};
use xarch_translator::testing;
use xarch_translator::{BlockExit, CodeBuffer, Frontend, StateBytes};

const PC: u64 = 0x1000;
const DATA: u64 = 0x10000;

fn lift(words: &[u32]) -> xarch_translator::ir::Block {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let code = CodeBuffer {
        base: PC,
        bytes: &bytes,
    };
    Aarch64.lift(PC, &code).expect("lift")
}

/// Runs `words` from `init` on each tier with its own memory holding `data` at DATA; checks
/// that both agree on the state and on the 256 bytes at DATA, and gives them.
fn run(words: &[u32], init: CpuState, data: &[u8]) -> (CpuState, Vec<u8>) {
    let (s, m, _) = run_with_exit(words, init, data);
    (s, m)
}

/// [`run`], also giving how the block left.
fn run_with_exit(words: &[u32], init: CpuState, data: &[u8]) -> (CpuState, Vec<u8>, BlockExit) {
    let block = lift(words);
    assert!(
        !matches!(block.exit, Exit::Trap { .. }),
        "{:x?} lifts to a trap: {:?}",
        words,
        block.exit
    );
    let mut s = init;
    s.pc = PC;
    let mut results = Vec::new();
    for tier in 0..2 {
        let mem = testing::test_memory(&[(DATA, DATA + 0x1000)]);
        // SAFETY: DATA..DATA+0x1000 is mapped read-write in this test window.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), mem.base().add(DATA as usize), data.len())
        };
        let mut st = s.as_bytes().to_vec();
        let exit = if tier == 0 {
            testing::run_block_interp(&block, &mut st, &mem, state::PC)
        } else {
            testing::run_block_jit(&block, &mut st, &mem, state::PC).expect("jit")
        };
        let mut out = vec![0u8; 256];
        // SAFETY: as above.
        unsafe {
            std::ptr::copy_nonoverlapping(mem.base().add(DATA as usize), out.as_mut_ptr(), 256)
        };
        results.push((CpuState::from_bytes(&st), out, exit));
    }
    assert_eq!(
        results[0], results[1],
        "interpreter and compiled code differ for {words:x?}"
    );
    results.remove(0)
}

fn st(f: impl FnOnce(&mut CpuState)) -> CpuState {
    let mut s = CpuState::default();
    f(&mut s);
    s
}

/// 32 bytes of 0xee with `v`'s low `n` bytes at the start.
fn mem_with(v: u64, n: usize) -> Vec<u8> {
    let mut m = vec![0xee; 32];
    m[..n].copy_from_slice(&v.to_le_bytes()[..n]);
    m
}

fn read(m: &[u8], at: usize, n: usize) -> u64 {
    let mut b = [0u8; 8];
    b[..n].copy_from_slice(&m[at..at + n]);
    u64::from_le_bytes(b)
}

fn trap_of(words: &[u32]) -> Option<TrapKind> {
    match lift(words).exit {
        Exit::Trap { kind, .. } => Some(kind),
        _ => None,
    }
}

// ---- FEAT_LSE: compare and swap ----

#[test]
fn cas_every_size_swaps_only_when_equal() {
    let old = 0x1122_3344_5566_7788u64;
    // (word, bytes, Rs initial, expect success)
    let cases: [(u32, usize, u64, bool); 6] = [
        (0xc8a0_7c41, 8, old, true),            // cas x0, x1, [x2]
        (0xc8a0_7c41, 8, old ^ 1 << 63, false), // cas x0, x1, [x2]
        (0x08a0_7c41, 1, 0xffff_ff88, true),    // casb w0, w1, [x2]: Rs compared at 8 bits
        (0x48a0_fc41, 2, 0x1234, false),        // caslh w0, w1, [x2]
        (0x48a0_fc41, 2, 0xdead_7788, true),    // caslh w0, w1, [x2]
        (0x88a0_7c41, 4, 0x5566_7789, false),   // cas w0, w1, [x2]
    ];
    for (word, n, rs, ok) in cases {
        let new = 0xaabb_ccdd_eeff_0011u64;
        let (s, m) = run(
            &[word],
            st(|s| (s.x[0], s.x[1], s.x[2]) = (rs, new, DATA)),
            &mem_with(old, 8),
        );
        let mask = if n == 8 { u64::MAX } else { (1 << (8 * n)) - 1 };
        assert_eq!(
            s.x[0],
            old & mask,
            "{word:#x}: Rs gets the old value, zero-extended"
        );
        let want = if ok {
            (old & !mask) | (new & mask)
        } else {
            old
        };
        assert_eq!(read(&m, 0, 8), want, "{word:#x} {rs:#x}");
        assert_eq!(read(&m, 8, 8), 0xeeee_eeee_eeee_eeee);
    }
    // 0x88e3ffe4: casal w3, w4, [sp]
    let (s, m) = run(
        &[0x88e3_ffe4],
        st(|s| (s.x[3], s.x[4], s.sp) = (0x5566_7788, 0x99, DATA)),
        &mem_with(old, 8),
    );
    assert_eq!(
        (s.x[3], read(&m, 0, 8)),
        (0x5566_7788, 0x1122_3344_0000_0099)
    );
}

#[test]
fn casp_pairs_of_words_and_doublewords() {
    let pair = |a: u64, b: u64| -> Vec<u8> {
        let mut m = a.to_le_bytes().to_vec();
        m.extend_from_slice(&b.to_le_bytes());
        m
    };
    // 0x48207c82: casp x0, x1, x2, x3, [x4] (one 128-bit compare-and-swap)
    let (s, m) = run(
        &[0x4820_7c82],
        st(|s| (s.x[0], s.x[1], s.x[2], s.x[3], s.x[4]) = (1, 2, 10, 20, DATA)),
        &pair(1, 2),
    );
    assert_eq!(
        (s.x[0], s.x[1], read(&m, 0, 8), read(&m, 8, 8)),
        (1, 2, 10, 20)
    );
    // A difference in the high half only: no store, the old pair loaded.
    let (s, m) = run(
        &[0x4820_7c82],
        st(|s| (s.x[0], s.x[1], s.x[2], s.x[3], s.x[4]) = (1, 3, 10, 20, DATA)),
        &pair(1, 2),
    );
    assert_eq!(
        (s.x[0], s.x[1], read(&m, 0, 8), read(&m, 8, 8)),
        (1, 2, 1, 2)
    );
    // 0x0864fd06: caspal w4, w5, w6, w7, [x8]
    let (s, m) = run(
        &[0x0864_fd06],
        st(|s| s.x[4..9].copy_from_slice(&[0xf_0000_0001, 2, 0x66, 0x77, DATA])),
        &pair(0x0000_0002_0000_0001, 0x5555),
    );
    assert_eq!((s.x[4], s.x[5]), (1, 2));
    assert_eq!(read(&m, 0, 8), 0x0000_0077_0000_0066);
    assert_eq!(read(&m, 8, 8), 0x5555, "a 32-bit pair touches 8 bytes");
    // 0x48217c82: casp with an odd Rs (x1) is unallocated.
    assert_eq!(trap_of(&[0x4821_7c82]), Some(TrapKind::Undefined));
}

/// Without FEAT_LSE2 the atomics need natural alignment: a misaligned one records SIGBUS
/// (BUS_ADRALN, the address) for the guest and leaves the block at itself, memory and
/// registers untouched; the run loop delivers the signal there (tests/a64_ext.rs runs it).
#[test]
fn misaligned_atomics_raise_sigbus_before_their_access() {
    const SIGBUS_BIT: u64 = 1 << (7 - 1);
    // (word, misaligned offset): ldadd x1, x0, [x2]; caslh w0, w1, [x2]; casp x0, x1, x2, x3, [x2];
    // ldeorb w1, w0, [x2] is never misaligned.
    for (word, off) in [
        (0xf821_0040u32, 4u64),
        (0x48a0_fc41, 1),
        (0x4820_7c42, 8),
        (0x3821_2040, 3),
    ] {
        let _ = xarch_linux::signal::take_pending();
        let (s, m, exit) = run_with_exit(
            &[0xd503_201f, word, 0xd503_201f], // nop; <atomic>; nop
            st(|s| (s.x[0], s.x[1], s.x[2], s.x[3]) = (7, 5, DATA + off, 9)),
            &mem_with(0, 8),
        );
        let pending = xarch_linux::signal::take_pending();
        if word == 0x3821_2040 {
            assert_eq!(exit, BlockExit::Jump(PC + 12), "bytes are always aligned");
            assert_eq!(pending & SIGBUS_BIT, 0);
            continue;
        }
        assert_eq!(
            exit,
            BlockExit::Jump(PC + 4),
            "{word:#x}: leaves at the atomic"
        );
        // Recorded once per tier (both ran).
        assert_ne!(pending & SIGBUS_BIT, 0, "{word:#x}: SIGBUS recorded");
        let info = xarch_linux::signal::info_of(7);
        assert_eq!(read(&info, 8, 4), 1, "si_code BUS_ADRALN");
        assert_eq!(read(&info, 16, 8), DATA + off, "si_addr");
        assert_eq!((s.x[0], s.x[1]), (7, 5), "{word:#x}: registers untouched");
        assert!(
            m[..32].iter().all(|&b| b == 0 || b == 0xee),
            "memory untouched"
        );
    }
}

// ---- FEAT_LSE: atomic memory operations ----

#[test]
fn atomic_read_modify_writes() {
    // (word, bytes, old memory, Rs, new memory)
    let cases: [(u32, usize, u64, u64, u64); 13] = [
        (0xf821_0040, 8, 0xffff_ffff_ffff_fff0, 0x20, 0x10), // ldadd x1, x0, [x2]
        (0xb8e1_1040, 4, 0xf0f0_f0f0, 0xff00_0000, 0x00f0_f0f0), // ldclral w1, w0, [x2]
        (0x3821_2040, 1, 0x0f, 0xff, 0xf0),                  // ldeorb w1, w0, [x2]
        (0x7821_3040, 2, 0x0101, 0x8000, 0x8101),            // ldseth w1, w0, [x2]
        (0xf821_4040, 8, 5, u64::MAX, 5),                    // ldsmax x1, x0, [x2]: 5 > -1
        (0xf821_4040, 8, -3i64 as u64, 2, 2),                // ldsmax x1, x0, [x2]
        (0x3821_5040, 1, 0x7f, 0x80, 0x80),                  // ldsminb w1, w0, [x2]: -128 < 127
        (0x7821_4040, 2, 0x8000, 1, 1),                      // ldsmaxh w1, w0, [x2]: 1 > -32768
        (0x7821_6040, 2, 0x8000, 1, 0x8000),                 // ldumaxh w1, w0, [x2]
        (0xb821_7040, 4, 0x10, 0xffff_ffff, 0x10),           // ldumin w1, w0, [x2]
        (0xf8e1_8040, 8, 0x1234, 0xabcd, 0xabcd),            // swpal x1, x0, [x2]
        (0x3821_8040, 1, 0xaa, 0x1bb, 0xbb),                 // swpb w1, w0, [x2]
        (0xb821_0040, 4, 0xffff_ffff, 1, 0),                 // ldadd w1, w0, [x2]: wraps at 32 bits
    ];
    for (word, n, old, rs, new) in cases {
        let (s, m) = run(
            &[word],
            st(|s| (s.x[0], s.x[1], s.x[2]) = (77, rs, DATA)),
            &mem_with(old, n),
        );
        assert_eq!(s.x[0], old, "{word:#x}: Rt gets the old value");
        assert_eq!(read(&m, 0, n), new, "{word:#x}: memory");
        assert!(
            m[n..32].iter().all(|&b| b == 0xee),
            "{word:#x}: bytes past the access"
        );
    }
    // 0xf821005f: stadd x1, [x2] (ldadd with Rt = XZR): x0 untouched
    let (s, m) = run(
        &[0xf821_005f],
        st(|s| (s.x[0], s.x[1], s.x[2]) = (77, 5, DATA)),
        &mem_with(10, 8),
    );
    assert_eq!((s.x[0], read(&m, 0, 8)), (77, 15));
    // 0xf8200040: ldadd x0, x0, [x2]: Rs is read before Rt is written
    let (s, m) = run(
        &[0xf820_0040],
        st(|s| (s.x[0], s.x[2]) = (7, DATA)),
        &mem_with(10, 8),
    );
    assert_eq!((s.x[0], read(&m, 0, 8)), (10, 17));
    // LDAPRB is carved out of the SWP space (0x38bfc020: ldaprb w0, [x1])
    let (s, _) = run(&[0x38bf_c020], st(|s| s.x[1] = DATA), &mem_with(0x1ab, 2));
    assert_eq!(s.x[0], 0xab);
}

// ---- CRC32 ----

/// The CRC catalogue's check values: CRC-32 of "123456789" is 0xcbf43926, CRC-32C is
/// 0xe3069283 (both with the initial and final inversion the instructions leave to software),
/// through every value size.
#[test]
fn crc32_check_values_through_every_size() {
    let msg = b"123456789";
    let le = |a: usize, n: usize| read(msg, a, n);
    for (c, check) in [(0u32, 0xcbf4_3926u64), (1 << 12, 0xe306_9283)] {
        // 0x9ac24c20: crc32x w0, w1, x2 ("12345678"); 0x1ac34000: crc32b w0, w0, w3 ("9")
        let (s, _) = run(
            &[0x9ac2_4c20 | c, 0x1ac3_4000 | c],
            st(|s| (s.x[1], s.x[2], s.x[3]) = (0xffff_ffff, le(0, 8), le(8, 1))),
            &[],
        );
        assert_eq!(s.x[0] ^ 0xffff_ffff, check, "c = {c:#x}");
        // 0x1ac24820: crc32w w0, w1, w2 ("1234"); 0x1ac34400: crc32h w0, w0, w3 ("56");
        // 0x1ac44400: crc32h w0, w0, w4 ("78"); 0x1ac54000: crc32b w0, w0, w5 ("9").
        // Bits above the value's size are ignored.
        let (s, _) = run(
            &[
                0x1ac2_4820 | c,
                0x1ac3_4400 | c,
                0x1ac4_4400 | c,
                0x1ac5_4000 | c,
            ],
            st(|s| {
                s.x[1] = 0xdead_0000_ffff_ffff;
                s.x[2] = le(0, 4) | 0xaaaa << 32;
                s.x[3] = le(4, 2) | 0x5500_0000;
                s.x[4] = le(6, 2);
                s.x[5] = le(8, 1) | 0x7700;
            }),
            &[],
        );
        assert_eq!(s.x[0] ^ 0xffff_ffff, check, "c = {c:#x}");
    }
    // 0x9adf4fe3: crc32x w3, wzr, xzr (register 31 is the zero register) = 0
    let (s, _) = run(&[0x9adf_4fe3], st(|s| (s.sp, s.x[3]) = (5, 9)), &[]);
    assert_eq!(s.x[3], 0);
    // 0x1ac24c20: crc32x with sf = 0 is unallocated, as is 0x9ac24820 (crc32w with sf = 1).
    assert_eq!(trap_of(&[0x1ac2_4c20]), Some(TrapKind::Undefined));
    assert_eq!(trap_of(&[0x9ac2_4820]), Some(TrapKind::Undefined));
}

// ---- the cryptographic extension ----

/// A 16-byte value written as FIPS documents write it (first byte in memory first).
fn bytes128(s: &str) -> u128 {
    let b: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    u128::from_le_bytes(b.try_into().unwrap())
}

/// FIPS-197 appendix B, round 1: input 3243f6a8…0734 with the cipher key 2b7e1516…4f3c gives
/// the round's start 193de3be…4808, after SubBytes and ShiftRows d4bf5d30…98e5, after
/// MixColumns 046681e5…264c.
#[test]
fn aes_round_steps_of_fips_197_appendix_b() {
    let input = bytes128("3243f6a8885a308d313198a2e0370734");
    let key = bytes128("2b7e151628aed2a6abf7158809cf4f3c");
    let shifted = bytes128("d4bf5d30e0b452aeb84111f11e2798e5");
    let mixed = bytes128("046681e5e0cb199a48f8d37a2806264c");
    // 0x4e284820: aese v0.16b, v1.16b; 0x4e286802: aesmc v2.16b, v0.16b;
    // 0x4e287843: aesimc v3.16b, v2.16b; 0x4e285864: aesd v4.16b, v3.16b (v4 = 0)
    let (s, _) = run(
        &[0x4e28_4820, 0x4e28_6802, 0x4e28_7843, 0x4e28_5864],
        st(|s| (s.v[0], s.v[1]) = (input, key)),
        &[],
    );
    assert_eq!(s.v[0], shifted, "AESE");
    assert_eq!(s.v[2], mixed, "AESMC");
    assert_eq!(s.v[3], shifted, "AESIMC");
    assert_eq!(
        s.v[4],
        input ^ key,
        "AESD (key 0) undoes SubBytes and ShiftRows"
    );
}

#[test]
fn pmull_bytes_and_doublewords() {
    // 0x0e22e020: pmull v0.8h, v1.8b, v2.8b; 0x4e22e023: pmull2 v3.8h, v1.16b, v2.16b;
    // 0x0ee2e024: pmull v4.1q, v1.1d, v2.1d; 0x4ee2e025: pmull2 v5.1q, v1.2d, v2.2d
    let (s, _) = run(
        &[0x0e22_e020, 0x4e22_e023, 0x0ee2_e024, 0x4ee2_e025],
        st(|s| {
            s.v[1] = (1u128 << 127) | 0x80 << 64 | 0xff03;
            s.v[2] = (1u128 << 127) | 0x80 << 64 | 0x0203;
            s.v[0] = u128::MAX;
        }),
        &[],
    );
    // (x + 1)(x + 1) = x^2 + 1; (x^7 + ... + 1) * x = x^8 + ... + x.
    assert_eq!(s.v[0], 0x01fe_0005);
    // Upper bytes: x^7 * x^7 = x^14 (lane 0), x^7 * x^7 (lane 7).
    assert_eq!(s.v[3], 0x4000 | 0x4000 << 112);
    // As one 64-bit polynomial: 0xff03 * 0x0203 = 0xff03 << 9 ^ 0xff03 << 1 ^ 0xff03.
    assert_eq!(s.v[4], 0x01fe_0600 ^ 0x0001_fe06 ^ 0xff03);
    // (x^63 + x^7)^2 = x^126 + x^14 (the cross terms cancel).
    assert_eq!(s.v[5], 1 << 126 | 1 << 14);
    // Sizes 01 and 10 are reserved (0x0e62e020: pmull with size 01).
    assert_eq!(trap_of(&[0x0e62_e020]), Some(TrapKind::Undefined));
}

/// Runs a long instruction list as consecutive blocks of at most 60 words.
fn run_long(words: &[u32], init: CpuState) -> CpuState {
    words.chunks(60).fold(init, |s, chunk| run(chunk, s, &[]).0)
}

fn lanes(v: &[u32]) -> u128 {
    v.iter()
        .enumerate()
        .fold(0u128, |acc, (i, &x)| acc | u128::from(x) << (32 * i))
}

fn lane(v: u128, i: usize) -> u32 {
    (v >> (32 * i)) as u32
}

/// The "abc" block of FIPS 180-4's examples as big-endian words in 4 vectors.
fn abc_block() -> [u128; 4] {
    let mut block = [0u8; 64];
    block[..3].copy_from_slice(b"abc");
    block[3] = 0x80;
    block[63] = 24;
    std::array::from_fn(|i| {
        let w: Vec<u32> = (0..4)
            .map(|e| {
                u32::from_be_bytes(
                    block[16 * i + 4 * e..16 * i + 4 * e + 4]
                        .try_into()
                        .unwrap(),
                )
            })
            .collect();
        lanes(&w)
    })
}

/// SHA-256("abc") = ba7816bf… (FIPS 180-4 example) by the ARM instruction sequence:
/// v0 = ABCD, v1 = EFGH, v4..v7 the message schedule, v8..v23 the round constants.
#[test]
fn sha256_of_abc_by_instructions() {
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
    const H0: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let msg = |i: usize| 4 + (i % 4) as u32;
    let mut words = Vec::new();
    for i in 0..16 {
        words.push(0x4ea0_8403 | (8 + i as u32) << 16 | msg(i) << 5); // add v3.4s, vMSG.4s, vK.4s
        words.push(0x4ea0_1c02); // mov v2.16b, v0.16b
        words.push(0x5e03_4020); // sha256h q0, q1, v3.4s
        words.push(0x5e03_5041); // sha256h2 q1, q2, v3.4s
        if i < 12 {
            words.push(0x5e28_2800 | msg(i + 1) << 5 | msg(i)); // sha256su0 vM0.4s, vM1.4s
            // sha256su1 vM0.4s, vM2.4s, vM3.4s
            words.push(0x5e00_6000 | msg(i + 3) << 16 | msg(i + 2) << 5 | msg(i));
        }
    }
    let block = abc_block();
    let init = st(|s| {
        s.v[0] = lanes(&H0[..4]);
        s.v[1] = lanes(&H0[4..]);
        s.v[4..8].copy_from_slice(&block);
        for i in 0..16 {
            s.v[8 + i] = lanes(&K[4 * i..4 * i + 4]);
        }
    });
    let s = run_long(&words, init);
    let digest: Vec<u32> = (0..8)
        .map(|e| lane(s.v[e / 4], e % 4).wrapping_add(H0[e]))
        .collect();
    assert_eq!(
        digest,
        [
            0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223, 0xb00361a3, 0x96177a9c, 0xb410ff61,
            0xf20015ad
        ]
    );
}

/// SHA-1("abc") = a9993e36… (FIPS 180-4 example) by the ARM instruction sequence: v0 = ABCD,
/// v1/v2 = E (alternating), v4..v7 the message schedule, v8..v11 the round constants.
#[test]
fn sha1_of_abc_by_instructions() {
    const H0: [u32; 5] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
    const K: [u32; 4] = [0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6];
    let msg = |i: usize| 4 + (i % 4) as u32;
    let mut words = Vec::new();
    for i in 0..20 {
        let (e, next) = if i % 2 == 0 { (1, 2) } else { (2, 1) };
        let rounds = [0x5e00_0000, 0x5e00_1000, 0x5e00_2000, 0x5e00_1000][i / 5]; // c, p, m, p
        words.push(0x4ea0_8403 | (8 + (i / 5) as u32) << 16 | msg(i) << 5); // add v3.4s, vMSG, vK
        words.push(0x5e28_0800 | next); // sha1h sNEXT, s0
        words.push(rounds | 3 << 16 | e << 5); // sha1{c,p,m} q0, sE, v3.4s
        if i < 16 {
            // sha1su0 vM0.4s, vM1.4s, vM2.4s; sha1su1 vM0.4s, vM3.4s
            words.push(0x5e00_3000 | msg(i + 2) << 16 | msg(i + 1) << 5 | msg(i));
            words.push(0x5e28_1800 | msg(i + 3) << 5 | msg(i));
        }
    }
    let block = abc_block();
    let init = st(|s| {
        s.v[0] = lanes(&H0[..4]);
        s.v[1] = H0[4] as u128;
        s.v[4..8].copy_from_slice(&block);
        for (i, k) in K.iter().enumerate() {
            s.v[8 + i] = lanes(&[*k; 4]);
        }
    });
    let s = run_long(&words, init);
    let digest: Vec<u32> = (0..4)
        .map(|j| lane(s.v[0], j).wrapping_add(H0[j]))
        .chain([lane(s.v[1], 0).wrapping_add(H0[4])])
        .collect();
    assert_eq!(
        digest,
        [0xa9993e36, 0x4706816a, 0xba3e2571, 0x7850c26c, 0x9cd0d89d]
    );
    assert_eq!(s.v[2] >> 32, 0, "SHA1H writes a zero-extended S register");
}

// ---- MRS of the ID registers ----

/// `mrs x0, <op0=3, op1=0, CRn=0, CRm, op2>`.
fn mrs_id(crm: u32, op2: u32) -> u32 {
    0xd538_0000 | crm << 8 | op2 << 5
}

#[test]
fn id_registers_as_linux_shows_them_to_el0() {
    let read = |crm, op2| run(&[mrs_id(crm, op2)], CpuState::default(), &[]).0.x[0];
    // 0xd5380000: mrs x0, midr_el1; MPIDR_EL1 (op2 = 5), REVIDR_EL1 (op2 = 6)
    assert_eq!(read(0, 0), 0x411f_d070);
    assert_eq!(read(0, 5), 0x8000_0000);
    assert_eq!(read(0, 6), 0);
    // 0xd5380400: mrs x0, id_aa64pfr0_el1: EL0 and EL1 AArch64-only, FP and AdvSIMD present
    assert_eq!(read(4, 0), 0x11);
    // Reserved and unexposed registers in CRm = 4..7 read as zero (ID_AA64ISAR2_EL1 here).
    assert_eq!(read(6, 2), 0);
    // The rest of CRm = 0, the AArch32 registers (CRm = 1..3) and CRm >= 8 are SIGILL.
    for (crm, op2) in [(0, 1), (0, 4), (1, 0), (2, 0), (3, 7), (8, 0)] {
        assert_eq!(
            trap_of(&[mrs_id(crm, op2)]),
            Some(TrapKind::Undefined),
            "CRm {crm} op2 {op2}"
        );
    }
}

/// Every ID_AA64ISAR0_EL1 field the frontend reports agrees with AT_HWCAP, and HWCAP_CPUID
/// is advertised (the MRS emulation above exists).
#[test]
fn isar0_agrees_with_the_hwcaps() {
    let isar0 = run(&[mrs_id(6, 0)], CpuState::default(), &[]).0.x[0];
    let hwcap = Aarch64.abi().hwcap;
    let field = |shift: u32| isar0 >> shift & 15;
    // (HWCAP bit, field shift, field value that means the feature)
    for (bit, shift, min, name) in [
        (3, 4, 1, "AES"),
        (4, 4, 2, "PMULL"),
        (5, 8, 1, "SHA1"),
        (6, 12, 1, "SHA2"),
        (7, 16, 1, "CRC32"),
        (8, 20, 2, "ATOMICS"),
    ] {
        assert_eq!(
            hwcap >> bit & 1 == 1,
            field(shift) >= min,
            "{name}: HWCAP {hwcap:#x}, ID_AA64ISAR0_EL1 {isar0:#x}"
        );
    }
    // Fields for features not implemented (SHA3, SM3, SM4, RDM, DP, FHM, TS, TLB, RNDR) are 0.
    assert_eq!(isar0 >> 24, 0);
    assert_eq!(hwcap >> 11 & 1, 1, "HWCAP_CPUID");
}
