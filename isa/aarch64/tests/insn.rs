//! Instruction tests: raw words (the assembly in a comment), an initial state, the expected
//! final state. Every block runs in the interpreter and compiled (`testing::compare_tiers`),
//! and the two must agree before the expectation is checked.

use xarch_isa_aarch64::Aarch64;
use xarch_isa_aarch64::state::{self, CpuState};
use xarch_translator::StateBytes;
use xarch_translator::ir::TrapKind;
use xarch_translator::testing;
use xarch_translator::{BlockExit, CodeBuffer, Frontend};

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

/// Runs `words` from `init` on both tiers (shared memory: stores must be idempotent).
fn run_mem(
    words: &[u32],
    init: CpuState,
    mem: &xarch_linux::mem::GuestMemory,
) -> (CpuState, BlockExit) {
    let block = lift(words);
    let mut s = init;
    s.pc = PC;
    let (out, exit) = testing::compare_tiers(&block, s.as_bytes(), mem, state::PC)
        .unwrap_or_else(|e| panic!("{e}"));
    (CpuState::from_bytes(&out), exit)
}

fn run(words: &[u32], init: CpuState) -> (CpuState, BlockExit) {
    let mem = testing::test_memory(&[(DATA, DATA + 0x1000)]);
    run_mem(words, init, &mem)
}

/// Runs on each tier with its own memory (for stores that are not idempotent); checks that
/// both agree on the state and on the 256 bytes at DATA.
fn run_separately(words: &[u32], init: CpuState, data: &[u8]) -> (CpuState, Vec<u8>) {
    let block = lift(words);
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
        "interpreter and compiled code differ"
    );
    let (s, m, _) = results.remove(0);
    (s, m)
}

fn st(f: impl FnOnce(&mut CpuState)) -> CpuState {
    let mut s = CpuState::default();
    f(&mut s);
    s
}

fn flags(s: &CpuState) -> u32 {
    s.nzcv() >> 28
}

// ---- data processing: flags ----

#[test]
fn adds_sets_carry_and_zero() {
    // 0xab020020: adds x0, x1, x2
    let (s, _) = run(&[0xab02_0020], st(|s| (s.x[1], s.x[2]) = (u64::MAX, 1)));
    assert_eq!(s.x[0], 0);
    assert_eq!(flags(&s), 0b0110);
    let (s, _) = run(
        &[0xab02_0020],
        st(|s| (s.x[1], s.x[2]) = (i64::MAX as u64, 1)),
    );
    assert_eq!(flags(&s), 0b1001);
}

#[test]
fn subs_w_borrow_and_overflow() {
    // 0x6b020020: subs w0, w1, w2
    let (s, _) = run(
        &[0x6b02_0020],
        st(|s| (s.x[1], s.x[2], s.x[0]) = (1, 2, u64::MAX)),
    );
    assert_eq!(s.x[0], 0xffff_ffff, "32-bit result zero-extends");
    assert_eq!(flags(&s), 0b1000, "1 - 2: negative, borrow (C = 0)");
    let (s, _) = run(&[0x6b02_0020], st(|s| (s.x[1], s.x[2]) = (0x8000_0000, 1)));
    assert_eq!(flags(&s), 0b0011, "MIN - 1: no borrow, overflow");
}

#[test]
fn adcs_sbcs_use_the_carry() {
    // 0xba020020: adcs x0, x1, x2
    let (s, _) = run(
        &[0xba02_0020],
        st(|s| ((s.x[1], s.x[2]), s.c) = ((u64::MAX, 0), 1)),
    );
    assert_eq!((s.x[0], flags(&s)), (0, 0b0110));
    // 0x7a020020: sbcs w0, w1, w2 (C = 0: w1 - w2 - 1)
    let (s, _) = run(
        &[0x7a02_0020],
        st(|s| ((s.x[1], s.x[2]), s.c) = ((5, 5), 0)),
    );
    assert_eq!((s.x[0], flags(&s)), (0xffff_ffff, 0b1000));
}

#[test]
fn ccmp_takes_flags_or_immediate() {
    // 0xfa421025: ccmp x1, x2, #0b0101, ne
    let (s, _) = run(
        &[0xfa42_1025],
        st(|s| ((s.x[1], s.x[2]), s.z) = ((3, 3), 0)),
    );
    assert_eq!(flags(&s), 0b0110, "condition holds: flags of 3 - 3");
    let (s, _) = run(
        &[0xfa42_1025],
        st(|s| ((s.x[1], s.x[2]), s.z) = ((3, 3), 1)),
    );
    assert_eq!(flags(&s), 0b0101, "condition fails: the immediate");
}

#[test]
fn conditional_selects() {
    // 0x9a828420: csinc x0, x1, x2, hi (HI: C = 1 and Z = 0)
    let (s, _) = run(
        &[0x9a82_8420],
        st(|s| ((s.x[1], s.x[2]), s.c, s.z) = ((10, 20), 1, 0)),
    );
    assert_eq!(s.x[0], 10);
    let (s, _) = run(
        &[0x9a82_8420],
        st(|s| ((s.x[1], s.x[2]), s.c, s.z) = ((10, 20), 1, 1)),
    );
    assert_eq!(s.x[0], 21);
    // 0x5a82b420: csneg w0, w1, w2, lt (LT: N != V)
    let (s, _) = run(
        &[0x5a82_b420],
        st(|s| ((s.x[1], s.x[2]), s.n, s.v_flag) = ((10, 20), 1, 1)),
    );
    assert_eq!(s.x[0], (-20i32) as u32 as u64);
}

/// ConditionHolds for all 16 conditions and all 16 flag combinations, against the ARM ARM's
/// table (C1.2.4), through `csinc x0, xzr, xzr, <cond>` (x0 = 0 if the condition holds).
#[test]
fn every_condition_code() {
    let block_for = |cond: u32| lift(&[0x9a9f_07e0 | cond << 12]);
    let mem = testing::test_memory(&[]);
    for cond in 0..16u32 {
        let block = block_for(cond);
        for f in 0..16u32 {
            let (n, z, c, v) = (
                f >> 3 & 1 == 1,
                f >> 2 & 1 == 1,
                f >> 1 & 1 == 1,
                f & 1 == 1,
            );
            let base = match cond >> 1 {
                0 => z,
                1 => c,
                2 => n,
                3 => v,
                4 => c && !z,
                5 => n == v,
                6 => !z && n == v,
                _ => true,
            };
            let holds = if cond & 1 == 1 && cond != 15 {
                !base
            } else {
                base
            };
            let mut s = CpuState {
                pc: PC,
                x: [7; 31],
                ..CpuState::default()
            };
            s.set_nzcv(f << 28);
            let (out, _) = testing::compare_tiers(&block, s.as_bytes(), &mem, state::PC)
                .unwrap_or_else(|e| panic!("{e}"));
            let x0 = CpuState::from_bytes(&out).x[0];
            assert_eq!(x0, if holds { 0 } else { 1 }, "cond {cond}, nzcv {f:04b}");
        }
    }
}

// ---- data processing: arithmetic ----

#[test]
fn multiply_and_divide() {
    // 0x9b020c20: madd x0, x1, x2, x3
    let (s, _) = run(
        &[0x9b02_0c20],
        st(|s| (s.x[1], s.x[2], s.x[3]) = (7, 6, 100)),
    );
    assert_eq!(s.x[0], 142);
    // 0x9b220c20: smaddl x0, w1, w2, x3
    let (s, _) = run(
        &[0x9b22_0c20],
        st(|s| (s.x[1], s.x[2], s.x[3]) = (0xffff_ffff, 3, 10)),
    );
    assert_eq!(s.x[0], 7);
    // 0x9bc27c20: umulh x0, x1, x2
    let (s, _) = run(
        &[0x9bc2_7c20],
        st(|s| (s.x[1], s.x[2]) = (u64::MAX, u64::MAX)),
    );
    assert_eq!(s.x[0], u64::MAX - 1);
    // 0x9b427c20: smulh x0, x1, x2
    let (s, _) = run(&[0x9b42_7c20], st(|s| (s.x[1], s.x[2]) = (u64::MAX, 5)));
    assert_eq!(s.x[0], u64::MAX);
    // 0x1ac20c20: sdiv w0, w1, w2 (MIN / -1 = MIN; by zero = 0)
    let (s, _) = run(
        &[0x1ac2_0c20],
        st(|s| (s.x[1], s.x[2]) = (0x8000_0000, 0xffff_ffff)),
    );
    assert_eq!(s.x[0], 0x8000_0000);
    // 0x9ac20820: udiv x0, x1, x2
    let (s, _) = run(
        &[0x9ac2_0820],
        st(|s| (s.x[0], s.x[1], s.x[2]) = (9, 100, 0)),
    );
    assert_eq!(s.x[0], 0);
}

#[test]
fn bit_and_byte_operations() {
    let x = 0x0102_0304_0506_0708u64;
    let cases: &[(u32, u64, u64)] = &[
        (0x1ac2_2c20, 0x8000_0001, 0xc000_0000), // rorv w0, w1, w2 (x2 = 33 -> 1)
        (0xdac0_0020, 1, 1 << 63),               // rbit x0, x1
        (0x5ac0_0420, 0x1122_3344, 0x2211_4433), // rev16 w0, w1
        (0xdac0_0820, x, 0x0403_0201_0807_0605), // rev32 x0, x1
        (0xdac0_0c20, x, 0x0807_0605_0403_0201), // rev x0, x1
        (0x5ac0_1020, 0x0000_ffff_0000_0100, 23), // clz w0, w1
        (0xdac0_1420, 0xffff_0000_0000_0000, 15), // cls x0, x1
        (0xdac0_1420, 0, 63),                    // cls x0, x1
    ];
    for &(w, x1, want) in cases {
        let (s, _) = run(&[w], st(|s| (s.x[1], s.x[2]) = (x1, 33)));
        assert_eq!(s.x[0], want, "{w:#010x}");
    }
}

#[test]
fn moves_and_bitfields() {
    let (s, _) = run(
        &[
            0xd2a2_4680, // movz x0, #0x1234, lsl #16
            0xf297_dde0, // movk x0, #0xbeef
            0x1280_0001, // movn w1, #0
            0xb200_f3e2, // orr x2, xzr, #0x5555555555555555
        ],
        st(|s| s.x[1] = u64::MAX),
    );
    assert_eq!(
        (s.x[0], s.x[1], s.x[2]),
        (0x1234_beef, 0xffff_ffff, 0x5555_5555_5555_5555)
    );
    let cases: &[(u32, u64, u64, u64)] = &[
        (0x9344_2c20, 0xf80, 0, u64::MAX - 7), // sbfx x0, x1, #4, #8
        (0x3318_0c20, 0xab, 0xffff_ffff, 0xffff_fbff), // bfi w0, w1, #8, #4
        (0xd348_1c20, 0x1ab, 0, 0xab00_0000_0000_0000), // ubfiz x0, x1, #56, #8
        (0x937f_fc20, 1 << 63, 0, u64::MAX),   // asr x0, x1, #63
        (
            0x93c2_2020,
            0x11,
            0,
            0x1100_0000_0000_0000 | 0x00aa_bbcc_ddee_ff00 >> 8,
        ), // extr x0, x1, x2, #8
    ];
    for &(w, x1, x0, want) in cases {
        let (s, _) = run(
            &[w],
            st(|s| (s.x[0], s.x[1], s.x[2]) = (x0, x1, 0x00aa_bbcc_ddee_ff00)),
        );
        assert_eq!(s.x[0], want, "{w:#010x}");
    }
}

#[test]
fn stack_pointer_forms() {
    // 0x8b21cbe0: add x0, sp, w1, sxtw #2; 0xd10083ff: sub sp, sp, #0x20
    let (s, _) = run(
        &[0x8b21_cbe0, 0xd100_83ff],
        st(|s| (s.sp, s.x[1]) = (0x8000, 0xffff_fffe)),
    );
    assert_eq!((s.x[0], s.sp), (0x8000 - 8, 0x8000 - 0x20));
}

// ---- loads and stores ----

fn data_mem() -> xarch_linux::mem::GuestMemory {
    let mem = testing::test_memory(&[(DATA, DATA + 0x1000)]);
    let bytes: Vec<u8> = (0..256u32).map(|i| (i * 7 + 0x81) as u8).collect();
    // SAFETY: DATA..DATA+0x1000 is mapped read-write.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), mem.base().add(DATA as usize), 256) };
    mem
}

fn byte_at(i: u64) -> u8 {
    (i as u32 * 7 + 0x81) as u8
}

fn le(i: u64, n: u64) -> u64 {
    (0..n).fold(0, |acc, k| acc | (byte_at(i + k) as u64) << (8 * k))
}

#[test]
fn loads_in_every_addressing_mode() {
    let mem = data_mem();
    let init = st(|s| (s.x[1], s.x[2]) = (DATA, 3));
    // 0xf9400420: ldr x0, [x1, #8]
    assert_eq!(run_mem(&[0xf940_0420], init, &mem).0.x[0], le(8, 8));
    // 0x39c00420: ldrsb w0, [x1, #1]
    assert_eq!(
        run_mem(&[0x39c0_0420], init, &mem).0.x[0],
        byte_at(1) as i8 as i32 as u32 as u64
    );
    // 0x78a27820: ldrsh x0, [x1, x2, lsl #1]
    assert_eq!(
        run_mem(&[0x78a2_7820], init, &mem).0.x[0],
        le(6, 2) as u16 as i16 as i64 as u64
    );
    // 0xb862d820: ldr w0, [x1, w2, sxtw #2] with w2 = -1 and x1 = DATA + 16
    let s = run_mem(
        &[0xb862_d820],
        st(|s| (s.x[1], s.x[2]) = (DATA + 16, 0xffff_ffff)),
        &mem,
    )
    .0;
    assert_eq!(s.x[0], le(12, 4));
    // 0xf8410420: ldr x0, [x1], #16
    let s = run_mem(&[0xf841_0420], init, &mem).0;
    assert_eq!((s.x[0], s.x[1]), (le(0, 8), DATA + 16));
    // 0x29408440: ldp w0, w1, [x2, #4]
    let s = run_mem(&[0x2940_8440], st(|s| s.x[2] = DATA), &mem).0;
    assert_eq!((s.x[0], s.x[1]), (le(4, 4), le(8, 4)));
    // 0x69400440: ldpsw x0, x1, [x2]
    let s = run_mem(&[0x6940_0440], st(|s| s.x[2] = DATA), &mem).0;
    assert_eq!(
        (s.x[0], s.x[1]),
        (
            le(0, 4) as u32 as i32 as i64 as u64,
            le(4, 4) as u32 as i32 as i64 as u64
        )
    );
    // 0xa9400400: ldp x0, x1, [x0] (the base register is overwritten only after both loads)
    let s = run_mem(&[0xa940_0400], st(|s| s.x[0] = DATA), &mem).0;
    assert_eq!((s.x[0], s.x[1]), (le(0, 8), le(8, 8)));
    // 0xfd400821: ldr d1, [x1, #16]; 0xad400c22: ldp q2, q3, [x1]
    let s = run_mem(
        &[0xfd40_0821, 0xad40_0c22],
        st(|s| (s.x[1], s.v[1]) = (DATA, u128::MAX)),
        &mem,
    )
    .0;
    assert_eq!(
        s.v[1],
        le(16, 8) as u128,
        "scalar loads zero the upper bits"
    );
    assert_eq!(s.v[2], le(0, 8) as u128 | (le(8, 8) as u128) << 64);
    assert_eq!(s.v[3], le(16, 8) as u128 | (le(24, 8) as u128) << 64);
}

#[test]
fn literal_loads() {
    // 0x58000040: ldr x0, 8 (PC-relative); 0x9c000080: ldr q0, 16 — the words after them are data
    let words = [
        0x5800_0040,
        0x9c00_0080,
        0xd65f_03c0,
        0x1111_2222,
        0x3333_4444,
        0x5555_6666,
        0x7777_8888,
    ];
    let block = lift(&words);
    // The literal pool is code memory, not guest data: lift only checks the addresses here.
    assert!(
        format!("{block}").contains(&format!("{:#x}", PC + 8)),
        "{block}"
    );
}

#[test]
fn stores_and_writeback() {
    let mem = data_mem();
    // 0xf81f8c20: str x0, [x1, #-8]!
    let s = run_mem(
        &[0xf81f_8c20],
        st(|s| (s.x[0], s.x[1]) = (0x1122_3344_5566_7788, DATA + 0x40)),
        &mem,
    )
    .0;
    assert_eq!(s.x[1], DATA + 0x38);
    // 0xf9400420: ldr x0, [x1, #8] reads it back from DATA + 0x40 - 8 + 8 - 8
    let s = run_mem(&[0xf940_0420], st(|s| s.x[1] = DATA + 0x30), &mem).0;
    assert_eq!(s.x[0], 0x1122_3344_5566_7788);
    // 0xa9bf07e0: stp x0, x1, [sp, #-16]!; then 0x3d800420: str q0, [x1, #16]
    let s = run_mem(
        &[0xa9bf_07e0, 0x3d80_0420],
        st(|s| {
            (s.sp, s.x[0], s.x[1], s.v[0]) = (DATA + 0x100, 5, DATA + 0x80, 0xabcd << 64 | 0x1234)
        }),
        &mem,
    )
    .0;
    assert_eq!(s.sp, DATA + 0xf0);
    let s2 = run_mem(
        &[0xad40_0c22, 0xa940_0400],
        st(|s| (s.x[0], s.x[1]) = (DATA + 0xf0, DATA + 0x90)),
        &mem,
    )
    .0;
    assert_eq!((s2.x[0], s2.x[1]), (5, DATA + 0x80));
    assert_eq!(s2.v[2], 0xabcd << 64 | 0x1234);
}

#[test]
fn exclusives_succeed_once_and_fail_without_a_reservation() {
    // 0xc85f7c20: ldxr x0, [x1]; 0xc8027c23: stxr w2, x3, [x1]
    let data: Vec<u8> = 41u64.to_le_bytes().to_vec();
    let (s, m) = run_separately(
        &[0xc85f_7c20, 0xc802_7c23],
        st(|s| (s.x[1], s.x[3]) = (DATA, 99)),
        &data,
    );
    assert_eq!((s.x[0], s.x[2], s.excl_addr), (41, 0, state::EXCL_NONE));
    assert_eq!(&m[..8], &99u64.to_le_bytes());
    // A second stxr with the monitor open fails and leaves memory alone.
    let (s, m) = run_separately(&[0xc802_7c23], st(|s| (s.x[1], s.x[3]) = (DATA, 7)), &data);
    assert_eq!(s.x[2], 1);
    assert_eq!(&m[..8], &41u64.to_le_bytes());
    // A reservation of another size fails: ldxr x0 then stxrb (0x08027c23: stxrb w2, w3, [x1]).
    let (s, m) = run_separately(
        &[0xc85f_7c20, 0x0802_7c23],
        st(|s| (s.x[1], s.x[3]) = (DATA, 7)),
        &data,
    );
    assert_eq!((s.x[2], m[0]), (1, 41));
}

#[test]
fn exclusive_pairs() {
    // 0xc87f8440: ldaxp x0, x1, [x2]; 0xc8239444: stlxp w3, x4, x5, [x2]
    let data: Vec<u8> = [1u64, 2].iter().flat_map(|v| v.to_le_bytes()).collect();
    let (s, m) = run_separately(
        &[0xc87f_8440, 0xc823_9444],
        st(|s| (s.x[2], s.x[4], s.x[5]) = (DATA, 10, 20)),
        &data,
    );
    assert_eq!((s.x[0], s.x[1], s.x[3]), (1, 2, 0));
    assert_eq!(
        &m[..16],
        &[10u64, 20]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>()[..]
    );
}

#[test]
fn acquire_release() {
    let mem = data_mem();
    // 0x889ffc20: stlr w0, [x1]; 0xc8dffc20: ldar x0, [x1]
    let s = run_mem(
        &[0x889f_fc20, 0xc8df_fc20],
        st(|s| (s.x[0], s.x[1]) = (0xdead_beef, DATA + 0x20)),
        &mem,
    )
    .0;
    assert_eq!(s.x[0] & 0xffff_ffff, 0xdead_beef);
    assert_eq!(s.x[0] >> 32, le(0x24, 4));
}

// ---- branches and system ----

#[test]
fn branches_end_blocks_with_their_targets() {
    // 0x5400020a: b.ge +0x40
    let (_, e) = run(&[0x5400_020a], st(|s| (s.n, s.v_flag) = (1, 1)));
    assert_eq!(e, BlockExit::Jump(PC + 0x40));
    let (_, e) = run(&[0x5400_020a], st(|s| s.n = 1));
    assert_eq!(e, BlockExit::Jump(PC + 4));
    // 0x34000803: cbz w3, +0x100 (w3 = 0 although x3 is not)
    let (_, e) = run(&[0x3400_0803], st(|s| s.x[3] = 1 << 32));
    assert_eq!(e, BlockExit::Jump(PC + 0x100));
    // 0xb7400101: tbnz x1, #40, +0x20
    let (_, e) = run(&[0xb740_0101], st(|s| s.x[1] = 1 << 40));
    assert_eq!(e, BlockExit::Jump(PC + 0x20));
    // 0x94000400: bl +0x1000
    let (s, e) = run(&[0x9400_0400], CpuState::default());
    assert_eq!((s.x[30], e), (PC + 4, BlockExit::Jump(PC + 0x1000)));
    // 0xd63f03c0: blr x30 (jumps to the old x30)
    let (s, e) = run(&[0xd63f_03c0], st(|s| s.x[30] = 0x4000));
    assert_eq!((s.x[30], e), (PC + 4, BlockExit::Indirect(0x4000)));
    // 0xd4000001: svc #0
    let (_, e) = run(&[0xd400_0001], CpuState::default());
    assert_eq!(e, BlockExit::Syscall(PC + 4));
}

#[test]
fn pc_relative_addresses_and_backward_branches() {
    // 0x10ffffe1: adr x1, .-4; 0xb0000022: adrp x2, .+0x5000 (at PC + 4);
    // 0xf0ffffe3: adrp x3, .-0x1000 (at PC + 8)
    let (s, _) = run(
        &[0x10ff_ffe1, 0xb000_0022, 0xf0ff_ffe3],
        CpuState::default(),
    );
    assert_eq!(
        (s.x[1], s.x[2], s.x[3]),
        (PC - 4, (PC & !0xfff) + 0x5000, (PC & !0xfff) - 0x1000)
    );
    // 0x17fffffe: b .-8
    assert_eq!(
        run(&[0x17ff_fffe], CpuState::default()).1,
        BlockExit::Jump(PC - 8)
    );
    // 0x3607ffe0: tbz w0, #0, .-4
    assert_eq!(
        run(&[0x3607_ffe0], CpuState::default()).1,
        BlockExit::Jump(PC - 4)
    );
    // 0x54800001: b.ne .-0x100000
    assert_eq!(
        run(&[0x5480_0001], CpuState::default()).1,
        BlockExit::Jump(PC.wrapping_sub(0x10_0000))
    );
    // 0xb57fffe0: cbnz x0, .+0xffffc (the largest forward offset)
    assert_eq!(
        run(&[0xb57f_ffe0], st(|s| s.x[0] = 1)).1,
        BlockExit::Jump(PC + 0xf_fffc)
    );
}

#[test]
fn svc_clears_the_exclusive_monitor() {
    // 0xc85f7c20: ldxr x0, [x1]; 0xd4000001: svc #0 (Linux clears the monitor on exception return)
    let (s, e) = run(&[0xc85f_7c20, 0xd400_0001], st(|s| s.x[1] = DATA));
    assert_eq!(e, BlockExit::Syscall(PC + 8));
    assert_eq!(s.excl_addr, state::EXCL_NONE);
}

#[test]
fn traps() {
    // 0xd4207d00: brk #0x3e8; 0x00000000: udf #0
    let (_, e) = run(&[0xd420_7d00], CpuState::default());
    assert_eq!(e, BlockExit::Trap(TrapKind::Breakpoint, PC));
    let (_, e) = run(&[0xd503_201f, 0x0000_0000], CpuState::default());
    assert_eq!(e, BlockExit::Trap(TrapKind::Undefined, PC + 4));
}

#[test]
fn system_registers() {
    // 0xd53b4200: mrs x0, nzcv; 0xd51b4201: msr nzcv, x1
    let (s, _) = run(
        &[0xd53b_4200, 0xd51b_4201],
        st(|s| ((s.n, s.c), s.x[1]) = ((1, 1), 0x5000_0000)),
    );
    assert_eq!(s.x[0], 0xa000_0000);
    assert_eq!(s.nzcv(), 0x5000_0000);
    // 0xd51bd041: msr tpidr_el0, x1; 0xd53bd040: mrs x0, tpidr_el0
    let (s, _) = run(&[0xd51b_d041, 0xd53b_d040], st(|s| s.x[1] = 0x7777));
    assert_eq!((s.x[0], s.tpidr_el0), (0x7777, 0x7777));
    // 0xd53b00e0: mrs x0, dczid_el0; 0xd53b0020: mrs x1, ctr_el0 (as x0 ... x1 below)
    let (s, _) = run(&[0xd53b_00e0], CpuState::default());
    assert_eq!(s.x[0], 4);
    // 0xd51b4401: msr fpcr, x1; 0xd53b4420: mrs x0, fpsr
    let (s, _) = run(
        &[0xd51b_4401, 0xd53b_4420],
        st(|s| (s.x[1], s.fpsr) = (0x0300_0000, 0x10)),
    );
    assert_eq!((s.fpcr, s.x[0]), (0x0300_0000, 0x10));
    // 0xd53be040: mrs x0, cntvct_el0 counts up (time-dependent: each tier run on its own)
    let block = lift(&[0xd53b_e040]);
    let mem = testing::test_memory(&[]);
    let mut counts = Vec::new();
    for tier in 0..2 {
        let mut st = CpuState::default().as_bytes().to_vec();
        if tier == 0 {
            testing::run_block_interp(&block, &mut st, &mem, state::PC);
        } else {
            testing::run_block_jit(&block, &mut st, &mem, state::PC).expect("jit");
        }
        counts.push(CpuState::from_bytes(&st).x[0]);
    }
    assert!(counts[0] > 0 && counts[1] >= counts[0], "{counts:?}");
}

#[test]
fn dc_zva_zeroes_a_block() {
    // 0xd50b7421: dc zva, x1
    let mem = data_mem();
    run_mem(&[0xd50b_7421], st(|s| s.x[1] = DATA + 0x47), &mem);
    let s = run_mem(&[0xa940_0400], st(|s| s.x[0] = DATA + 0x40), &mem).0;
    assert_eq!((s.x[0], s.x[1]), (0, 0));
    let s = run_mem(&[0xa940_0400], st(|s| s.x[0] = DATA + 0x80), &mem).0;
    assert_eq!(s.x[0], le(0x80, 8), "the next block is untouched");
}
