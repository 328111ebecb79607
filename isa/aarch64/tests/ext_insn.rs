//! Instruction tests for the extensions beyond ARMv8.0 that the frontend advertises: FEAT_LSE
//! atomics (HWCAP_ATOMICS), CRC32 (HWCAP_CRC32), the crypto extensions (HWCAP_AES, PMULL,
//! SHA1, SHA2) and MRS of the ID registers (HWCAP_CPUID). Raw words with the assembly in a
//! comment; every block runs in the interpreter and compiled, each with its own memory, and
//! both must agree on the state and the memory before the expectation is checked.

use xarch_isa_aarch64::Aarch64;
use xarch_isa_aarch64::state::{self, CpuState};
use xarch_translator::ir::{Exit, TrapKind};
use xarch_translator::testing;
use xarch_translator::{CodeBuffer, Frontend, StateBytes};

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
    let (s, m, _) = results.remove(0);
    (s, m)
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
