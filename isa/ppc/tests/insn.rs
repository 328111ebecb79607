//! Instruction tests: words built from their fields (the assembly in a comment), an initial
//! state, the expected final state. Every block runs in the interpreter and compiled, and the
//! two must agree before the expectation is checked. Memory forms run in both byte orders
//! (ppc64le and 32-bit big-endian).

use xarch_isa_ppc::state::{self, CpuState};
use xarch_isa_ppc::{PPC32, PPC64LE, Ppc};
use xarch_translator::StateBytes;
use xarch_translator::ir::{Endian, TrapKind};
use xarch_translator::testing;
use xarch_translator::{BlockExit, CodeBuffer, Frontend};

const PC: u64 = 0x1000;
const DATA: u64 = 0x10000;

// ---- encoders ----

fn d(op: u32, rt: u32, ra: u32, imm: i32) -> u32 {
    op << 26 | rt << 21 | ra << 16 | (imm as u32 & 0xffff)
}
fn xf(op: u32, rt: u32, ra: u32, rb: u32, xo: u32, rc: u32) -> u32 {
    op << 26 | rt << 21 | ra << 16 | rb << 11 | xo << 1 | rc
}
fn xo(rt: u32, ra: u32, rb: u32, oe: u32, xo: u32, rc: u32) -> u32 {
    31 << 26 | rt << 21 | ra << 16 | rb << 11 | oe << 10 | xo << 1 | rc
}
fn m(op: u32, rs: u32, ra: u32, sh: u32, mb: u32, me: u32, rc: u32) -> u32 {
    op << 26 | rs << 21 | ra << 16 | sh << 11 | mb << 6 | me << 1 | rc
}
fn md(rs: u32, ra: u32, sh: u32, mbe: u32, xo: u32, rc: u32) -> u32 {
    let mbe_field = (mbe & 31) << 1 | mbe >> 5;
    30 << 26
        | rs << 21
        | ra << 16
        | (sh & 31) << 11
        | mbe_field << 5
        | xo << 2
        | (sh >> 5) << 1
        | rc
}
fn bc(bo: u32, bi: u32, bd: i32, lk: u32) -> u32 {
    16 << 26 | bo << 21 | bi << 16 | (bd as u32 & 0xfffc) | lk
}
fn a_form(op: u32, frt: u32, fra: u32, frb: u32, frc: u32, xo: u32) -> u32 {
    op << 26 | frt << 21 | fra << 16 | frb << 11 | frc << 6 | xo << 1
}

// ---- harness ----

fn lift(f: &Ppc, words: &[u32]) -> xarch_translator::ir::Block {
    let bytes: Vec<u8> = words
        .iter()
        .flat_map(|w| match f.endian {
            Endian::Little => w.to_le_bytes(),
            Endian::Big => w.to_be_bytes(),
        })
        .collect();
    let code = CodeBuffer {
        base: PC,
        bytes: &bytes,
    };
    f.lift(PC, &code).expect("lift")
}

/// Runs on each tier with its own memory holding `data` at DATA; checks that both agree on
/// the state, the exit and the 256 bytes at DATA.
fn run_on(f: &Ppc, words: &[u32], init: CpuState, data: &[u8]) -> (CpuState, Vec<u8>, BlockExit) {
    let block = lift(f, words);
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
    results.remove(0)
}

fn run(words: &[u32], init: CpuState) -> CpuState {
    run_on(&PPC64LE, words, init, &[]).0
}

fn st(f: impl FnOnce(&mut CpuState)) -> CpuState {
    let mut s = CpuState::default();
    f(&mut s);
    s
}

/// CR field `n` as LT GT EQ SO bits.
fn crf(s: &CpuState, n: usize) -> u8 {
    s.cr[4 * n] << 3 | s.cr[4 * n + 1] << 2 | s.cr[4 * n + 2] << 1 | s.cr[4 * n + 3]
}

// ---- fixed-point arithmetic ----

#[test]
fn addo_record_sets_ov_so_and_cr0() {
    // addo. r3, r4, r5
    let s = run(
        &[xo(3, 4, 5, 1, 266, 1)],
        st(|s| (s.gpr[4], s.gpr[5]) = (i64::MAX as u64, 1)),
    );
    assert_eq!(s.gpr[3], 1 << 63);
    assert_eq!((s.ov, s.so), (1, 1));
    assert_eq!(crf(&s, 0), 0b1001, "negative, SO copied");
    // add r3, r4, r5 leaves XER alone
    let s = run(&[xo(3, 4, 5, 0, 266, 0)], st(|s| s.gpr[4] = 2));
    assert_eq!((s.gpr[3], s.ov, crf(&s, 0)), (2, 0, 0));
}

#[test]
fn carrying_forms_chain() {
    // addc r3, r4, r5; adde r6, r7, r8; subfic r9, r10, 10
    let s = run(
        &[
            xo(3, 4, 5, 0, 10, 0),
            xo(6, 7, 8, 0, 138, 0),
            d(8, 9, 10, 10),
        ],
        st(|s| {
            (s.gpr[4], s.gpr[5], s.gpr[7], s.gpr[8]) = (u64::MAX, 1, 5, 6);
            s.gpr[10] = 3;
        }),
    );
    assert_eq!((s.gpr[3], s.gpr[6], s.gpr[9]), (0, 12, 7));
    assert_eq!(s.ca, 1, "10 - 3 does not borrow");
    // subfe r3, r4, r5 with CA = 0: r5 - r4 - 1
    let s = run(
        &[xo(3, 4, 5, 0, 136, 0)],
        st(|s| (s.gpr[4], s.gpr[5], s.ca) = (5, 5, 0)),
    );
    assert_eq!((s.gpr[3], s.ca), (u64::MAX, 0));
}

#[test]
fn carry_is_32_bit_in_32_bit_mode() {
    // addc r3, r4, r5 on ppc: 0xffffffff + 1 carries out of the word
    let (s, _, _) = run_on(
        &PPC32,
        &[xo(3, 4, 5, 0, 10, 1)],
        st(|s| (s.gpr[4], s.gpr[5]) = (0xffff_ffff, 1)),
        &[],
    );
    assert_eq!((s.gpr[3] as u32, s.ca), (0, 1));
    assert_eq!(crf(&s, 0), 0b0010, "CR0 compares the word");
}

#[test]
fn multiply_and_divide() {
    // mullw r3, r4, r5; mulhdu r6, r7, r8; divw r9, r4, r5; divdu r10, r7, r8
    let s = run(
        &[
            xo(3, 4, 5, 0, 235, 0),
            xo(6, 7, 8, 0, 9, 0),
            xo(9, 4, 5, 0, 491, 0),
            xo(10, 7, 8, 0, 457, 0),
        ],
        st(|s| {
            (s.gpr[4], s.gpr[5]) = ((-7i64) as u64, 2);
            (s.gpr[7], s.gpr[8]) = (u64::MAX, 16);
        }),
    );
    assert_eq!(s.gpr[3], (-14i64) as u64);
    assert_eq!(s.gpr[6], 15);
    assert_eq!(s.gpr[9] as u32, (-3i32) as u32);
    assert_eq!(s.gpr[10], u64::MAX / 16);
    // divwo r3, r4, r5 by zero sets OV
    let s = run(&[xo(3, 4, 5, 1, 491, 0)], st(|s| s.gpr[4] = 1));
    assert_eq!((s.ov, s.so), (1, 1));
}

// ---- rotate, shift, count ----

#[test]
fn rlwinm_masks_including_wrapped() {
    // rlwinm r3, r4, 8, 24, 31; rlwinm r5, r4, 0, 28, 3
    let s = run(
        &[m(21, 4, 3, 8, 24, 31, 0), m(21, 4, 5, 0, 28, 3, 0)],
        st(|s| s.gpr[4] = 0x1234_5678),
    );
    assert_eq!(s.gpr[3], 0x12);
    assert_eq!(s.gpr[5], 0x1234_5678_1000_0008);
}

#[test]
fn rlwimi_inserts() {
    // rlwimi r3, r4, 16, 8, 15
    let s = run(
        &[m(20, 4, 3, 16, 8, 15, 0)],
        st(|s| (s.gpr[3], s.gpr[4]) = (0xaabb_ccdd, 0x0000_0042)),
    );
    assert_eq!(s.gpr[3], 0xaa42_ccdd);
}

#[test]
fn rld_forms() {
    // rldicl r3, r4, 0, 48; rldicr r5, r4, 8, 55; rldimi r6, r4, 32, 0
    let s = run(
        &[
            md(4, 3, 0, 48, 0, 0),
            md(4, 5, 8, 55, 1, 0),
            md(4, 6, 32, 0, 3, 0),
        ],
        st(|s| (s.gpr[4], s.gpr[6]) = (0x1122_3344_5566_7788, 0xaaaa_aaaa_bbbb_bbbb)),
    );
    assert_eq!(s.gpr[3], 0x7788);
    assert_eq!(s.gpr[5], 0x2233_4455_6677_8800);
    assert_eq!(s.gpr[6], 0x5566_7788_bbbb_bbbb);
}

#[test]
fn algebraic_shifts_set_ca() {
    // sraw r3, r4, r5; srawi r6, r4, 0
    let s = run(
        &[xf(31, 4, 3, 5, 792, 0), xf(31, 4, 6, 0, 824, 0)],
        st(|s| (s.gpr[4], s.gpr[5]) = (0xffff_fff5, 2)),
    );
    assert_eq!(s.gpr[3], (-3i64) as u64);
    assert_eq!(s.gpr[6], (-11i64) as u64);
    assert_eq!(s.ca, 0, "srawi by 0 shifts nothing out");
    // sraw alone: -11 >> 2 shifts out a 1
    let s = run(
        &[xf(31, 4, 3, 5, 792, 0)],
        st(|s| (s.gpr[4], s.gpr[5]) = (0xffff_fff5, 2)),
    );
    assert_eq!(s.ca, 1);
    // srad r7, r8, r9 with a count of 64: all sign, CA set
    let s = run(
        &[xf(31, 8, 7, 9, 794, 0)],
        st(|s| (s.gpr[8], s.gpr[9]) = (u64::MAX, 64)),
    );
    assert_eq!((s.gpr[7], s.ca), (u64::MAX, 1));
    // slw r3, r4, r5 by 32 gives 0; sld by 63 keeps the low bit
    let s = run(
        &[xf(31, 4, 3, 5, 24, 0), xf(31, 4, 6, 7, 27, 0)],
        st(|s| (s.gpr[4], s.gpr[5], s.gpr[7]) = (1, 32, 63)),
    );
    assert_eq!((s.gpr[3], s.gpr[6]), (0, 1 << 63));
}

#[test]
fn counts_and_extends() {
    // cntlzw r3, r4; popcntd r5, r4; cnttzd r6, r4; extsb r7, r8
    let s = run(
        &[
            xf(31, 4, 3, 0, 26, 0),
            xf(31, 4, 5, 0, 506, 0),
            xf(31, 4, 6, 0, 570, 0),
            xf(31, 8, 7, 0, 954, 0),
        ],
        st(|s| (s.gpr[4], s.gpr[8]) = (0x0000_0001_0000_0100, 0x80)),
    );
    assert_eq!((s.gpr[3], s.gpr[5], s.gpr[6]), (23, 2, 8));
    assert_eq!(s.gpr[7], 0xffff_ffff_ffff_ff80);
}

// ---- compare, CR, isel, SPRs ----

#[test]
fn compares_into_any_field() {
    // cmpw cr3, r4, r5; cmpd cr4, r4, r5; cmpld cr5, r4, r4; cmplwi cr6, r5, 8
    let s = run(
        &[
            xf(31, 3 << 2, 4, 5, 0, 0),
            xf(31, 4 << 2 | 1, 4, 5, 0, 0),
            xf(31, 5 << 2 | 1, 4, 4, 32, 0),
            d(10, 6 << 2, 5, 8),
        ],
        st(|s| (s.gpr[4], s.gpr[5], s.so) = (0x1_0000_0005, 7, 1)),
    );
    assert_eq!(crf(&s, 3), 0b1001, "word compare: 5 < 7; SO copied");
    assert_eq!(crf(&s, 4), 0b0101);
    assert_eq!(crf(&s, 5), 0b0011);
    assert_eq!(crf(&s, 6), 0b1001);
}

#[test]
fn cr_logical_isel_mfcr_mtcrf() {
    // crxor 0, 12, 17; isel r3, r4, r5, 2; mfcr r6
    let mut init = CpuState::default();
    init.set_cr_word(0x2008_0f0f); // cr2 (CR0.EQ) = 1, cr12 = 1, cr17 = 0
    init.gpr[4] = 44;
    init.gpr[5] = 55;
    let s = run(
        &[
            xf(19, 0, 12, 17, 193, 0),
            xf(31, 3, 4, 5, 15, 0) | 2 << 6,
            xf(31, 6, 0, 0, 19, 0),
        ],
        init,
    );
    assert_eq!(s.gpr[3], 44, "CR0.EQ set: isel picks RA");
    assert_eq!(s.gpr[6], 0xa008_0f0f, "crxor set bit 0");
    // mtcrf 0x81, r4: fields 0 and 7 from r4
    let s = run(
        &[31 << 26 | 4 << 21 | 0x81 << 12 | 144 << 1],
        st(|s| s.gpr[4] = 0x5fff_fff3),
    );
    assert_eq!(s.cr_word(), 0x5000_0003);
}

#[test]
fn spr_moves() {
    // mtctr r4; mflr r5; mtxer r6; mfxer r7
    let spr = |n: u32| ((n & 31) << 5 | n >> 5) << 11;
    let s = run(
        &[
            31 << 26 | 4 << 21 | spr(9) | 467 << 1,
            31 << 26 | 5 << 21 | spr(8) | 339 << 1,
            31 << 26 | 6 << 21 | spr(1) | 467 << 1,
            31 << 26 | 7 << 21 | spr(1) | 339 << 1,
        ],
        st(|s| (s.gpr[4], s.lr, s.gpr[6]) = (99, 0x4242, 0xa000_0005)),
    );
    assert_eq!((s.ctr, s.gpr[5]), (99, 0x4242));
    assert_eq!((s.so, s.ov, s.ca), (1, 0, 1));
    assert_eq!(s.gpr[7], 0xa000_0005);
}

// ---- loads and stores, both byte orders ----

const BYTES: [u8; 8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];

#[test]
fn loads_in_both_byte_orders() {
    // lwz r3, 0(r4); lhz r5, 2(r4); lbz r6, 1(r4); lha r7, 6(r4); lwbrx r8, 0, r4
    let words = [
        d(32, 3, 4, 0),
        d(40, 5, 4, 2),
        d(34, 6, 4, 1),
        d(42, 7, 4, 6),
        xf(31, 8, 0, 4, 534, 0),
    ];
    let init = st(|s| s.gpr[4] = DATA);
    let (s, _, _) = run_on(&PPC64LE, &words, init, &BYTES);
    assert_eq!((s.gpr[3], s.gpr[5], s.gpr[6]), (0x4433_2211, 0x4433, 0x22));
    assert_eq!(s.gpr[7], 0xffff_ffff_ffff_8877);
    assert_eq!(s.gpr[8], 0x1122_3344);
    let (s, _, _) = run_on(&PPC32, &words, init, &BYTES);
    assert_eq!((s.gpr[3], s.gpr[5], s.gpr[6]), (0x1122_3344, 0x3344, 0x22));
    assert_eq!(s.gpr[7] as u32, 0x7788);
    assert_eq!(s.gpr[8], 0x4433_2211);
}

#[test]
fn ld_ldbrx_and_update_stores() {
    // ld r3, 0(r4); ldbrx r5, 0, r4; stwu r6, 8(r4); stb r6, 1(r4)
    let words = [
        d(58, 3, 4, 0),
        xf(31, 5, 0, 4, 532, 0),
        d(37, 6, 4, 8),
        d(38, 6, 4, 1),
    ];
    let (s, mem, _) = run_on(
        &PPC64LE,
        &words,
        st(|s| (s.gpr[4], s.gpr[6]) = (DATA, 0xcafe_f00d)),
        &BYTES,
    );
    assert_eq!(s.gpr[3], 0x8877_6655_4433_2211);
    assert_eq!(s.gpr[5], 0x1122_3344_5566_7788);
    assert_eq!(s.gpr[4], DATA + 8, "update form writes the address back");
    assert_eq!(
        &mem[8..13],
        &[0x0d, 0x0d, 0xfe, 0xca, 0],
        "stb after the update used the new base"
    );
}

#[test]
fn ld_is_not_a_32_bit_instruction() {
    let b = lift(&PPC32, &[d(58, 3, 4, 0)]);
    assert!(matches!(b.exit, xarch_translator::ir::Exit::Trap { .. }));
}

#[test]
fn reservation_pairs() {
    // lwarx r3, 0, r4; stwcx. r5, 0, r4
    let words = [xf(31, 3, 0, 4, 20, 0), xf(31, 5, 0, 4, 150, 1)];
    let (s, mem, _) = run_on(
        &PPC64LE,
        &words,
        st(|s| (s.gpr[4], s.gpr[5]) = (DATA, 0xdead_beef)),
        &BYTES,
    );
    assert_eq!(s.gpr[3], 0x4433_2211);
    assert_eq!(&mem[..4], &0xdead_beefu32.to_le_bytes());
    assert_eq!(crf(&s, 0), 0b0010, "stored");
    assert_eq!(s.resv_addr, state::RESV_NONE);
    // stwcx. without a reservation fails and leaves memory alone
    let (s, mem, _) = run_on(
        &PPC64LE,
        &words[1..],
        st(|s| (s.gpr[4], s.gpr[5]) = (DATA, 0xdead_beef)),
        &BYTES,
    );
    assert_eq!(&mem[..8], &BYTES);
    assert_eq!(crf(&s, 0), 0);
}

#[test]
fn byte_and_halfword_reservations_in_both_byte_orders() {
    // lharx r3, 0, r4; sthcx. r5, 0, r4; lbarx r6, 0, r7; stbcx. r5, 0, r7
    let words = [
        xf(31, 3, 0, 4, 116, 0),
        xf(31, 5, 0, 4, 726, 1),
        xf(31, 6, 0, 7, 52, 0),
        xf(31, 5, 0, 7, 694, 1),
    ];
    let init = st(|s| (s.gpr[4], s.gpr[5], s.gpr[7]) = (DATA + 2, 0xabcd, DATA + 5));
    for (f, half, store) in [
        (&PPC64LE, 0x4433, [0x11, 0x22, 0xcd, 0xab, 0x55, 0xcd]),
        (&PPC32, 0x3344, [0x11, 0x22, 0xab, 0xcd, 0x55, 0xcd]),
    ] {
        let (s, mem, _) = run_on(f, &words, init, &BYTES);
        assert_eq!((s.gpr[3], s.gpr[6]), (half, 0x66), "{}", f.name());
        assert_eq!(&mem[..6], &store, "{}", f.name());
        assert_eq!(crf(&s, 0), 0b0010, "{}: both stored", f.name());
    }
}

/// The 16 bytes 0x00..0x0f.
fn quad_bytes() -> Vec<u8> {
    (0..16).collect()
}

#[test]
fn lqarx_loads_the_pair_high_doubleword_first() {
    // lqarx r4, 0, r6 (little-endian: RTp gets the doubleword at EA + 8)
    let (s, _, e) = run_on(
        &PPC64LE,
        &[xf(31, 4, 0, 6, 276, 0)],
        st(|s| s.gpr[6] = DATA),
        &quad_bytes(),
    );
    assert_eq!(
        (s.gpr[4], s.gpr[5]),
        (0x0f0e_0d0c_0b0a_0908, 0x0706_0504_0302_0100)
    );
    assert_eq!((s.resv_addr, s.resv_size), (DATA, 16));
    assert_eq!((s.resv_val_hi, s.resv_val), (s.gpr[4], s.gpr[5]));
    assert_eq!(e, BlockExit::Jump(PC + 4));
    // Unaligned: the alignment interrupt (a trap here).
    let (_, _, e) = run_on(
        &PPC64LE,
        &[xf(31, 4, 0, 6, 276, 0)],
        st(|s| s.gpr[6] = DATA + 8),
        &quad_bytes(),
    );
    assert_eq!(e, BlockExit::Trap(TrapKind::Undefined, PC));
}

#[test]
fn stqcx_stores_the_pair_only_under_a_matching_reservation() {
    let hi = 0x1111_2222_3333_4444u64;
    let lo = 0x5555_6666_7777_8888u64;
    // stqcx. r8, 0, r6 (r8 high, r9 low)
    let w = [xf(31, 8, 0, 6, 182, 1)];
    let reserved = |s: &mut CpuState| {
        (s.gpr[6], s.gpr[8], s.gpr[9]) = (DATA, hi, lo);
        (s.resv_addr, s.resv_size) = (DATA, 16);
        (s.resv_val_hi, s.resv_val) = (0x0f0e_0d0c_0b0a_0908, 0x0706_0504_0302_0100);
    };
    let (s, mem, e) = run_on(&PPC64LE, &w, st(reserved), &quad_bytes());
    assert_eq!(&mem[..8], &lo.to_le_bytes());
    assert_eq!(&mem[8..16], &hi.to_le_bytes());
    assert_eq!((crf(&s, 0), s.resv_addr), (0b0010, state::RESV_NONE));
    assert_eq!(e, BlockExit::Jump(PC + 4));
    // Memory changed since lqarx (one byte differs): fails, memory kept, SO copied.
    let mut changed = quad_bytes();
    changed[15] = 0xff;
    let (s, mem, _) = run_on(
        &PPC64LE,
        &w,
        st(|s| {
            reserved(s);
            s.so = 1;
        }),
        &changed,
    );
    assert_eq!(&mem[..16], &changed[..]);
    assert_eq!((crf(&s, 0), s.resv_addr), (0b0001, state::RESV_NONE));
    // A doubleword reservation at the same address does not serve a quadword store.
    let (s, mem, _) = run_on(
        &PPC64LE,
        &w,
        st(|s| {
            reserved(s);
            s.resv_size = 8;
        }),
        &quad_bytes(),
    );
    assert_eq!((&mem[..16], crf(&s, 0)), (&quad_bytes()[..], 0));
    // Unaligned: traps and stores nothing.
    let (_, mem, e) = run_on(
        &PPC64LE,
        &w,
        st(|s| {
            reserved(s);
            s.gpr[6] = DATA + 4;
        }),
        &quad_bytes(),
    );
    assert_eq!(e, BlockExit::Trap(TrapKind::Undefined, PC));
    assert_eq!(&mem[..16], &quad_bytes()[..]);
}

#[test]
fn quadword_reservation_invalid_forms_and_modes() {
    let trap = xarch_translator::ir::Exit::Trap {
        kind: TrapKind::Undefined,
        pc: PC,
    };
    // lqarx r5, 0, r6 (odd pair); lqarx r4, r4, r6 (RTp = RA); lqarx r4, 0, r4 (RTp = RB);
    // stqcx. r7, 0, r6 (odd pair)
    for w in [
        xf(31, 5, 0, 6, 276, 0),
        xf(31, 4, 4, 6, 276, 0),
        xf(31, 4, 0, 4, 276, 0),
        xf(31, 7, 0, 6, 182, 1),
    ] {
        assert_eq!(lift(&PPC64LE, &[w]).exit, trap, "{w:#010x}");
    }
    // lqarx r4, r5, r6: RA = RTp + 1 is valid (read before the pair is written).
    let (s, _, e) = run_on(
        &PPC64LE,
        &[xf(31, 4, 5, 6, 276, 0)],
        st(|s| (s.gpr[5], s.gpr[6]) = (DATA, 0)),
        &quad_bytes(),
    );
    assert_eq!(
        (s.gpr[5], e),
        (0x0706_0504_0302_0100, BlockExit::Jump(PC + 4))
    );
    // Doubleword-pair forms do not exist in 32-bit implementations.
    assert!(matches!(
        lift(&PPC32, &[xf(31, 4, 0, 6, 276, 0)]).exit,
        xarch_translator::ir::Exit::Trap { .. }
    ));
}

#[test]
fn lq_and_stq_move_the_even_pair() {
    // lq r4, 16(r6); stq r4, 32(r6) (DS = 32 >> 2, XO 2)
    let words = [
        56 << 26 | 4 << 21 | 6 << 16 | 16,
        62 << 26 | 4 << 21 | 6 << 16 | 32 | 2,
    ];
    let mut data = vec![0u8; 48];
    data[16..32].copy_from_slice(&quad_bytes());
    let (s, mem, _) = run_on(&PPC64LE, &words, st(|s| s.gpr[6] = DATA), &data);
    assert_eq!(
        (s.gpr[4], s.gpr[5]),
        (0x0f0e_0d0c_0b0a_0908, 0x0706_0504_0302_0100)
    );
    assert_eq!(&mem[32..48], &quad_bytes()[..], "stq stores what lq loaded");
    // Odd pair, or RTp = RA: invalid.
    for w in [
        56 << 26 | 5 << 21 | 6 << 16 | 16,
        56 << 26 | 6 << 21 | 6 << 16 | 16,
        62 << 26 | 5 << 21 | 6 << 16 | 32 | 2,
    ] {
        let e = lift(&PPC64LE, &[w]).exit;
        assert_eq!(
            e,
            xarch_translator::ir::Exit::Trap {
                kind: TrapKind::Undefined,
                pc: PC
            },
            "{w:#010x}"
        );
    }
}

#[test]
fn divide_extended_forms() {
    // divweu r3, r4, r5; divwe r6, r13, r7; divdeu r8, r9, r10; divde r11, r12, r7
    let words = [
        xo(3, 4, 5, 0, 395, 0),
        xo(6, 13, 7, 0, 427, 0),
        xo(8, 9, 10, 0, 393, 0),
        xo(11, 12, 7, 0, 425, 0),
    ];
    let s = run(
        &words,
        st(|s| {
            (s.gpr[4], s.gpr[5], s.gpr[7]) = (3, 4, (-4i64) as u64);
            (s.gpr[9], s.gpr[10], s.gpr[12], s.gpr[13]) = (1, 3, 1, 1);
        }),
    );
    assert_eq!(s.gpr[3], 0xc000_0000, "(3 << 32) / 4");
    assert_eq!(
        s.gpr[6],
        (-0x4000_0000i64) as u64,
        "(1 << 32) / -4, sign-extended"
    );
    assert_eq!(s.gpr[8], ((1u128 << 64) / 3) as u64);
    assert_eq!(s.gpr[11], (-(1i64 << 62)) as u64, "(1 << 64) / -4");
    // divweuo. r3, r4, r5 overflowing (4 << 32 / 4): RT = 0, OV and SO set, CR0 EQ|SO.
    let s = run(
        &[xo(3, 4, 5, 1, 395, 1)],
        st(|s| (s.gpr[3], s.gpr[4], s.gpr[5]) = (77, 4, 4)),
    );
    assert_eq!((s.gpr[3], s.ov, s.so, crf(&s, 0)), (0, 1, 1, 0b0011));
    // divdeo r3, r4, r5 by zero; divde (no o) leaves XER alone.
    let s = run(&[xo(3, 4, 5, 1, 425, 0)], st(|s| s.gpr[4] = 1));
    assert_eq!((s.gpr[3], s.ov), (0, 1));
    let s = run(&[xo(3, 4, 5, 0, 425, 0)], st(|s| s.gpr[4] = 1));
    assert_eq!((s.gpr[3], s.ov), (0, 0));
    // The word forms exist in 32-bit mode; the doubleword ones do not.
    let (s, _, _) = run_on(
        &PPC32,
        &[xo(3, 4, 5, 0, 395, 0)],
        st(|s| (s.gpr[4], s.gpr[5]) = (1, 2)),
        &[],
    );
    assert_eq!(s.gpr[3], 0x8000_0000);
    assert!(matches!(
        lift(&PPC32, &[xo(3, 4, 5, 0, 393, 0)]).exit,
        xarch_translator::ir::Exit::Trap { .. }
    ));
}

/// A VX-form word: primary opcode 4, VRT, VRA, VRB, 11-bit extended opcode.
fn vxf(t: u32, a: u32, b: u32, xo: u32) -> u32 {
    4 << 26 | t << 21 | a << 16 | b << 11 | xo
}

/// The VR value whose elements of `bytes` bytes are `e` (element 0 most significant).
fn elems(bytes: u32, e: &[u64]) -> u128 {
    e.iter().fold(0u128, |acc, &x| {
        acc << (8 * bytes) | u128::from(x) & ((1u128 << (8 * bytes)) - 1)
    })
}

#[test]
fn vector_min_max_every_element_size() {
    let a = [1u64, u64::MAX, 5, 0x8000_0000_0000_0000];
    let b = [2u64, 3, 5, 7];
    // (XO, element bytes, signed, max)
    for (xo, n, signed, max) in [
        (578, 2, false, false),
        (642, 4, false, false),
        (706, 8, false, false),
        (770, 1, true, false),
        (834, 2, true, false),
        (898, 4, true, false),
        (962, 8, true, false),
        (66, 2, false, true),
        (130, 4, false, true),
        (194, 8, false, true),
        (258, 1, true, true),
        (322, 2, true, true),
        (386, 4, true, true),
        (450, 8, true, true),
    ] {
        let count = 16 / n as usize;
        let bits = 8 * n;
        let mask = if bits == 64 {
            u64::MAX
        } else {
            (1 << bits) - 1
        };
        let ea: Vec<u64> = (0..count).map(|i| a[i % 4] & mask).collect();
        let eb: Vec<u64> = (0..count).map(|i| b[i % 4] & mask).collect();
        let want: Vec<u64> = ea
            .iter()
            .zip(&eb)
            .map(|(&x, &y)| {
                let key = |v: u64| {
                    if signed {
                        ((v << (64 - bits)) as i64 >> (64 - bits)) as i128
                    } else {
                        v as i128
                    }
                };
                if (key(x) < key(y)) != max { x } else { y }
            })
            .collect();
        // vmin/vmax v2, v0, v1
        let s = run(
            &[vxf(2, 0, 1, xo)],
            st(|s| (s.vsr[32], s.vsr[33]) = (elems(n, &ea), elems(n, &eb))),
        );
        assert_eq!(s.vsr[34], elems(n, &want), "XO {xo}");
    }
}

#[test]
fn vector_compare_greater_every_element_size() {
    // vcmpgtuh., vcmpgtsw, vcmpgtud., vcmpgtsd.
    let a = elems(2, &[1, 0xffff, 3, 4, 5, 6, 7, 8]);
    let b = elems(2, &[0, 1, 3, 4, 5, 6, 7, 8]);
    let s = run(
        &[vxf(2, 0, 1, 1 << 10 | 582)],
        st(|s| (s.vsr[32], s.vsr[33]) = (a, b)),
    );
    assert_eq!(s.vsr[34], elems(2, &[0xffff, 0xffff, 0, 0, 0, 0, 0, 0]));
    assert_eq!(crf(&s, 6), 0, "some true");
    let a = elems(4, &[1, 0xffff_ffff, 3, 4]);
    let b = elems(4, &[0, 1, 3, 2]);
    let s = run(
        &[vxf(2, 0, 1, 902)],
        st(|s| (s.vsr[32], s.vsr[33]) = (a, b)),
    );
    assert_eq!(
        s.vsr[34],
        elems(4, &[0xffff_ffff, 0, 0, 0xffff_ffff]),
        "-1 < 1 signed"
    );
    let a = elems(8, &[u64::MAX, 2]);
    let b = elems(8, &[1, 1]);
    let s = run(
        &[vxf(2, 0, 1, 1 << 10 | 711)],
        st(|s| (s.vsr[32], s.vsr[33]) = (a, b)),
    );
    assert_eq!((s.vsr[34], crf(&s, 6)), (u128::MAX, 0b1000), "all true");
    let s = run(
        &[vxf(2, 0, 1, 1 << 10 | 967)],
        st(|s| (s.vsr[32], s.vsr[33]) = (a, b)),
    );
    assert_eq!(s.vsr[34], elems(8, &[0, u64::MAX]), "-1 < 1 signed");
}

#[test]
fn vector_clz_and_popcnt_every_element_size() {
    let v = elems(8, &[0x0000_0001_00f0_0000, 0x8000_0000_0000_ffff]);
    let bytes = v.to_be_bytes();
    for (xo, n) in [(1794u32, 1usize), (1858, 2), (1922, 4), (1986, 8)] {
        for popcnt in [false, true] {
            let e: Vec<u64> = bytes
                .chunks(n)
                .map(|c| c.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
                .collect();
            let want: Vec<u64> = e
                .iter()
                .map(|&x| {
                    if popcnt {
                        u64::from(x.count_ones())
                    } else {
                        u64::from(x.leading_zeros()) - (64 - 8 * n as u64)
                    }
                })
                .collect();
            // vclz* / vpopcnt* v2, v1
            let s = run(&[vxf(2, 0, 1, xo + popcnt as u32)], st(|s| s.vsr[33] = v));
            assert_eq!(
                s.vsr[34],
                elems(n as u32, &want),
                "XO {}",
                xo + popcnt as u32
            );
        }
    }
}

// ---- load/store string (big-endian only) ----

/// 256 bytes 1, 2, 3, ... (wrapping) for the string tests.
fn counting_bytes() -> Vec<u8> {
    (1..=256).map(|b| b as u8).collect()
}

/// The big-endian word of `bytes[from..from + 4]`, zero past `to`.
fn be_word(bytes: &[u8], from: usize, to: usize) -> u64 {
    (0..4).fold(0u64, |acc, j| {
        let b = if from + j < to { bytes[from + j] } else { 0 };
        acc << 8 | u64::from(b)
    })
}

#[test]
fn lswx_loads_the_xer_count_and_wraps_to_r0() {
    let data = counting_bytes();
    // lswx r5, r3, r4 with XER[57:63] = 7: r5 = 01020304, r6 = 05060700, r7 untouched.
    let init = st(|s| {
        (s.gpr[3], s.gpr[4], s.xer_bc) = (DATA, 0, 7);
        (s.gpr[5], s.gpr[6], s.gpr[7]) = (u64::MAX, u64::MAX, 0x77);
    });
    let (s, _, e) = run_on(&PPC32, &[xf(31, 5, 3, 4, 533, 0)], init, &data);
    assert_eq!(
        (s.gpr[5], s.gpr[6], s.gpr[7]),
        (0x0102_0304, 0x0506_0700, 0x77)
    );
    assert_eq!(e, BlockExit::Jump(PC + 4));
    // lswx r30, r3, r4 with 11 bytes and r4 = 2: r30, r31, then r0 (090a0b00 from +2).
    let init = st(|s| (s.gpr[3], s.gpr[4], s.gpr[0], s.xer_bc) = (DATA, 2, 0xdead, 11));
    let (s, _, _) = run_on(&PPC32, &[xf(31, 30, 3, 4, 533, 0)], init, &data);
    assert_eq!(
        (s.gpr[30], s.gpr[31], s.gpr[0]),
        (0x0304_0506, 0x0708_090a, 0x0b0c_0d00)
    );
    // lswx r1, 0, r0 with 124 bytes: r1..r31, every byte of the 124.
    let init = st(|s| (s.gpr[0], s.xer_bc) = (DATA, 124));
    let (s, _, _) = run_on(&PPC32, &[xf(31, 1, 0, 0, 533, 0)], init, &data);
    for r in 1..32 {
        let want = be_word(&data, 4 * (r - 1), 124);
        assert_eq!(s.gpr[r], want, "r{r}");
    }
    assert_eq!(s.gpr[0], DATA, "r0 is not loaded");
    // 126 bytes from r1: r1..r31 and r0; r0 is the base here, so the form is invalid.
    let init = st(|s| (s.gpr[0], s.xer_bc) = (DATA, 126));
    let (_, _, e) = run_on(&PPC32, &[xf(31, 1, 0, 0, 533, 0)], init, &data);
    assert_eq!(e, BlockExit::Trap(TrapKind::Undefined, PC));
}

#[test]
fn lswx_with_a_zero_count_does_nothing_and_invalid_forms_trap() {
    let data = counting_bytes();
    // lswx r3, r3, r4 (RT = RA) with XER[57:63] = 0: no effect, no trap.
    let init = st(|s| (s.gpr[3], s.gpr[4], s.xer_bc) = (DATA, 0, 0));
    let (s, _, e) = run_on(&PPC32, &[xf(31, 3, 3, 4, 533, 0)], init, &data);
    assert_eq!((s.gpr[3], e), (DATA, BlockExit::Jump(PC + 4)));
    // ... and with a count: RA among the registers loaded is an invalid form (SIGILL).
    let init = st(|s| (s.gpr[3], s.gpr[4], s.xer_bc) = (DATA, 0, 1));
    let (_, _, e) = run_on(&PPC32, &[xf(31, 3, 3, 4, 533, 0)], init, &data);
    assert_eq!(e, BlockExit::Trap(TrapKind::Undefined, PC));
    // lswx r8, r3, r10: RB = r10 is loaded only from the 9th byte on.
    let init = st(|s| (s.gpr[3], s.gpr[10], s.xer_bc) = (DATA, 0, 8));
    let (s, _, e) = run_on(&PPC32, &[xf(31, 8, 3, 10, 533, 0)], init, &data);
    assert_eq!(
        (s.gpr[8], s.gpr[9], e),
        (0x0102_0304, 0x0506_0708, BlockExit::Jump(PC + 4))
    );
    let init = st(|s| (s.gpr[3], s.gpr[10], s.xer_bc) = (DATA, 0, 9));
    let (_, _, e) = run_on(&PPC32, &[xf(31, 8, 3, 10, 533, 0)], init, &data);
    assert_eq!(e, BlockExit::Trap(TrapKind::Undefined, PC));
}

#[test]
fn stswx_stores_exactly_the_xer_count() {
    // stswx r5, r3, r4 with 6 bytes: 11 22 33 44 55 66, the rest untouched.
    let init = st(|s| {
        (s.gpr[3], s.gpr[4], s.xer_bc) = (DATA, 0, 6);
        (s.gpr[5], s.gpr[6], s.gpr[7]) = (0x1122_3344, 0x5566_7788, 0x99aa_bbcc);
    });
    let (_, mem, _) = run_on(&PPC32, &[xf(31, 5, 3, 4, 661, 0)], init, &[0xee; 256]);
    assert_eq!(&mem[..8], &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0xee, 0xee]);
    // A zero count stores nothing.
    let init = st(|s| (s.gpr[3], s.gpr[5], s.xer_bc) = (DATA, 0x1122_3344, 0));
    let (_, mem, e) = run_on(&PPC32, &[xf(31, 5, 3, 4, 661, 0)], init, &[0xee; 256]);
    assert!(mem.iter().all(|&b| b == 0xee));
    assert_eq!(e, BlockExit::Jump(PC + 4));
    // 127 bytes from r1 (wrapping to r0) at DATA + 16: r0 gives the last three.
    let init = st(|s| {
        for r in 0..32 {
            s.gpr[r] = 0x0101_0101u64.wrapping_mul(r as u64 + 1) | 0xffff_ffff_0000_0000;
        }
        (s.gpr[0], s.gpr[3], s.gpr[4], s.xer_bc) = (0xa0b0_c0d0, DATA, 16, 127);
    });
    let mut want = vec![0xeeu8; 256];
    for k in 0..127 {
        let r = (1 + k / 4) % 32;
        want[16 + k] = (init.gpr[r] >> (8 * (3 - k % 4))) as u8;
    }
    // stswx r1, r3, r4
    let (_, mem, _) = run_on(&PPC32, &[xf(31, 1, 3, 4, 661, 0)], init, &[0xee; 256]);
    assert_eq!(mem, want);
    assert_eq!(&mem[16 + 124..16 + 128], &[0xa0, 0xb0, 0xc0, 0xee]);
}

#[test]
fn lswx_and_stswx_every_count_against_a_model() {
    let data = counting_bytes();
    for n in 0..=127u8 {
        // lswx r3, 0, r2: RA = 0 names r0, loaded past 116 bytes (r3..r31 hold 116), and
        // RB = r2 past 124: invalid forms there.
        let init = st(|s| {
            for r in 0..32 {
                s.gpr[r] = 0x5a5a_0000 + r as u64;
            }
            (s.gpr[2], s.xer_bc) = (DATA, n);
        });
        let (s, _, e) = run_on(&PPC32, &[xf(31, 3, 0, 2, 533, 0)], init, &data);
        if n > 116 {
            assert_eq!(e, BlockExit::Trap(TrapKind::Undefined, PC), "n = {n}");
        } else {
            for i in 0..32usize {
                let r = (3 + i) % 32;
                let want = if 4 * i < n as usize {
                    be_word(&data, 4 * i, n as usize)
                } else {
                    init.gpr[r]
                };
                assert_eq!(s.gpr[r], want, "lswx n = {n}, r{r}");
            }
            assert_eq!(e, BlockExit::Jump(PC + 4), "n = {n}");
        }
        // stswx r3, 0, r2 at DATA + 8: exactly n bytes of r3, r4, ..., r31, r0, r1, r2.
        let init = st(|s| {
            for r in 0..32 {
                s.gpr[r] = 0x0101_0101u64.wrapping_mul(r as u64 + 0x11) | 0xdead << 32;
            }
            (s.gpr[2], s.xer_bc) = (DATA + 8, n);
        });
        let (_, mem, _) = run_on(&PPC32, &[xf(31, 3, 0, 2, 661, 0)], init, &[0xee; 256]);
        let mut want = vec![0xeeu8; 256];
        for k in 0..n as usize {
            let r = (3 + k / 4) % 32;
            want[8 + k] = (init.gpr[r] >> (8 * (3 - k % 4))) as u8;
        }
        assert_eq!(mem, want, "stswx n = {n}");
    }
}

#[test]
fn string_forms_are_big_endian_only_and_lswi_checks_ra_0() {
    let trap = xarch_translator::ir::Exit::Trap {
        kind: TrapKind::Undefined,
        pc: PC,
    };
    // lswx r5, r3, r4; stswx r5, r3, r4; lswi r5, r3, 4 on ppc64le.
    for w in [
        xf(31, 5, 3, 4, 533, 0),
        xf(31, 5, 3, 4, 661, 0),
        xf(31, 5, 3, 4, 597, 0),
    ] {
        assert_eq!(lift(&PPC64LE, &[w]).exit, trap, "{w:#010x}");
    }
    // lswi r30, 0, 12 loads r30, r31, r0: RA = 0 in range is invalid too.
    assert_eq!(lift(&PPC32, &[xf(31, 30, 0, 12, 597, 0)]).exit, trap);
    // lswi r29, 0, 12 loads r29..r31: valid, EA = 0 + ... reads from 0, so only lift it.
    assert_ne!(lift(&PPC32, &[xf(31, 29, 0, 12, 597, 0)]).exit, trap);
}

#[test]
fn dcbz_clears_the_128_byte_block() {
    // dcbz 0, r4
    let data = [0xffu8; 256];
    let (_, mem, _) = run_on(
        &PPC64LE,
        &[xf(31, 0, 0, 4, 1014, 0)],
        st(|s| s.gpr[4] = DATA + 0x85),
        &data,
    );
    assert!(mem[..0x80].iter().all(|&b| b == 0xff));
    assert!(mem[0x80..].iter().all(|&b| b == 0));
}

// ---- branches ----

#[test]
fn bdnz_decrements_ctr() {
    // bdnz +8
    let (s, _, e) = run_on(&PPC64LE, &[bc(16, 0, 8, 0)], st(|s| s.ctr = 2), &[]);
    assert_eq!((s.ctr, e), (1, BlockExit::Jump(PC + 8)));
    let (s, _, e) = run_on(&PPC64LE, &[bc(16, 0, 8, 0)], st(|s| s.ctr = 1), &[]);
    assert_eq!((s.ctr, e), (0, BlockExit::Jump(PC + 4)));
}

#[test]
fn bc_tests_a_cr_bit_and_links() {
    // beq cr1, -16 with link (bcl 12, 6, -16)
    let (s, _, e) = run_on(&PPC64LE, &[bc(12, 6, -16, 1)], st(|s| s.cr[6] = 1), &[]);
    assert_eq!(e, BlockExit::Jump(PC - 16));
    assert_eq!(s.lr, PC + 4);
    let (_, _, e) = run_on(&PPC64LE, &[bc(12, 6, -16, 0)], st(|_| ()), &[]);
    assert_eq!(e, BlockExit::Jump(PC + 4));
}

#[test]
fn blr_bctrl_and_conditional_return() {
    // blr
    let (_, _, e) = run_on(
        &PPC64LE,
        &[xf(19, 20, 0, 0, 16, 0)],
        st(|s| s.lr = 0x2003),
        &[],
    );
    assert_eq!(e, BlockExit::Indirect(0x2000));
    // bctrl
    let (s, _, e) = run_on(
        &PPC64LE,
        &[xf(19, 20, 0, 0, 528, 1)],
        st(|s| s.ctr = 0x3000),
        &[],
    );
    assert_eq!((e, s.lr), (BlockExit::Indirect(0x3000), PC + 4));
    // beqlr not taken
    let (_, _, e) = run_on(
        &PPC64LE,
        &[xf(19, 12, 2, 0, 16, 0)],
        st(|s| s.lr = 0x2000),
        &[],
    );
    assert_eq!(e, BlockExit::Jump(PC + 4));
}

#[test]
fn sc_exits_for_the_syscall() {
    let (_, _, e) = run_on(&PPC64LE, &[0x4400_0002], st(|_| ()), &[]);
    assert_eq!(e, BlockExit::Syscall(PC + 4));
}

#[test]
fn scv_raises_sigill_as_on_power8() {
    // scv 0 and scv 1: Power ISA 3.0; xarch presents a POWER8 (no PPC_FEATURE2_SCV).
    for f in [&PPC64LE, &PPC32] {
        for w in [0x4400_0001, 0x4400_0021] {
            let (s, _, e) = run_on(f, &[w], st(|s| s.gpr[0] = 20), &[]);
            assert_eq!(e, BlockExit::Trap(TrapKind::Undefined, PC), "{}", f.name());
            assert_eq!(s.gpr[0], 20);
        }
    }
}

// ---- floating point ----

#[test]
fn fp_arithmetic_single_and_fused() {
    // fadd f1, f2, f3; fadds f4, f2, f3; fmadd f5, f2, f6, f3; fctiwz f7, f8
    let s = run(
        &[
            a_form(63, 1, 2, 3, 0, 21),
            a_form(59, 4, 2, 3, 0, 21),
            a_form(63, 5, 2, 3, 6, 29),
            xf(63, 7, 0, 8, 15, 0),
        ],
        st(|s| {
            s.set_fpr(2, 1.0f64.to_bits());
            s.set_fpr(3, 2f64.powi(-30).to_bits());
            s.set_fpr(6, 3.0f64.to_bits());
            s.set_fpr(8, (-3.7f64).to_bits());
        }),
    );
    assert_eq!(f64::from_bits(s.fpr(1)), 1.0 + 2f64.powi(-30));
    assert_eq!(f64::from_bits(s.fpr(4)), 1.0, "rounded to single");
    assert_eq!(f64::from_bits(s.fpr(5)), 3.0 + 2f64.powi(-30));
    assert_eq!(s.fpr(7) as u32, (-3i32) as u32);
}

#[test]
fn fcmpu_and_nan_conversion() {
    // fcmpu cr1, f1, f2; fctidz f3, f2
    let s = run(
        &[xf(63, 1 << 2, 1, 2, 0, 0), xf(63, 3, 0, 2, 815, 0)],
        st(|s| {
            s.set_fpr(1, 1.0f64.to_bits());
            s.set_fpr(2, f64::NAN.to_bits());
        }),
    );
    assert_eq!(crf(&s, 1), 0b0001, "unordered");
    assert_eq!(s.fpr(3), 1 << 63);
}

#[test]
fn lfs_stfd_in_big_endian() {
    // lfs f1, 0(r4); stfd f1, 8(r4)
    let data = 1.5f32.to_bits().to_be_bytes();
    let (s, mem, _) = run_on(
        &PPC32,
        &[d(48, 1, 4, 0), d(54, 1, 4, 8)],
        st(|s| s.gpr[4] = DATA),
        &data,
    );
    assert_eq!(f64::from_bits(s.fpr(1)), 1.5);
    assert_eq!(&mem[8..16], &1.5f64.to_bits().to_be_bytes());
}

// ---- VSX / VMX ----

#[test]
fn lxvd2x_xxswapd_and_vector_add() {
    // lxvd2x vs32, 0, r4; xxpermdi vs33, vs32, vs32, 2 (xxswapd); vaddudm v2, v0, v1
    let lxvd2x = xf(31, 0, 0, 4, 844, 1);
    let xxswapd = 60 << 26 | 1 << 21 | 2 << 8 | 10 << 3 | 0b111;
    let vaddudm = 4 << 26 | 2 << 21 | 1 << 11 | 192;
    let mut data = [0u8; 16];
    data[..8].copy_from_slice(&1u64.to_le_bytes());
    data[8..].copy_from_slice(&2u64.to_le_bytes());
    let (s, _, _) = run_on(
        &PPC64LE,
        &[lxvd2x, xxswapd, vaddudm],
        st(|s| s.gpr[4] = DATA),
        &data,
    );
    assert_eq!(
        s.vsr[32],
        1u128 << 64 | 2,
        "doubleword 0 is the first in memory"
    );
    assert_eq!(s.vsr[33], 2u128 << 64 | 1);
    assert_eq!(s.vsr[34], 3u128 << 64 | 3);
}

#[test]
fn vcmpequb_record_sets_cr6() {
    // vcmpequb. v2, v0, v1
    let w = 4 << 26 | 2 << 21 | 1 << 11 | 1 << 10 | 6;
    let s = run(&[w], st(|s| (s.vsr[32], s.vsr[33]) = (7, 7)));
    assert_eq!(s.vsr[34], u128::MAX);
    assert_eq!(crf(&s, 6), 0b1000, "all equal");
    let s = run(&[w], st(|s| (s.vsr[32], s.vsr[33]) = (0, u128::MAX)));
    assert_eq!(crf(&s, 6), 0b0010, "none equal");
}

#[test]
fn fctiw_honours_fpscr_rn() {
    // mtfsfi 7, 3 (round toward -inf); fctiw f1, f2; mtfsfi 7, 0; fctiw f3, f2
    let mtfsfi = |u: u32| 63 << 26 | 7 << 23 | u << 12 | 134 << 1;
    let s = run(
        &[
            mtfsfi(3),
            xf(63, 1, 0, 2, 14, 0),
            mtfsfi(0),
            xf(63, 3, 0, 2, 14, 0),
        ],
        st(|s| s.set_fpr(2, 2.5f64.to_bits())),
    );
    assert_eq!(s.fpr(1) as u32, 2, "toward -inf");
    assert_eq!(s.fpr(3) as u32, 2, "nearest, ties to even");
    let s = run(
        &[mtfsfi(2), xf(63, 1, 0, 2, 14, 0)],
        st(|s| s.set_fpr(2, 2.25f64.to_bits())),
    );
    assert_eq!((s.fpr(1) as u32, s.fpscr & 3), (3, 2), "toward +inf");
}

#[test]
fn xxsldwi_shifts_by_words() {
    // xxsldwi vs3, vs1, vs2, 1
    let w = 60 << 26 | 3 << 21 | 1 << 16 | 2 << 11 | 1 << 8 | 2 << 3;
    let s = run(
        &[w],
        st(|s| {
            s.vsr[1] = 0x0000_0001_0000_0002_0000_0003_0000_0004;
            s.vsr[2] = 0x0000_0005_0000_0006_0000_0007_0000_0008;
        }),
    );
    assert_eq!(s.vsr[3], 0x0000_0002_0000_0003_0000_0004_0000_0005);
}

// ---- FPSCR-faithful floating point ----

// FPSCR bits of the low word.
const FX: u32 = 1 << 31;
const FEX: u32 = 1 << 30;
const VX: u32 = 1 << 29;
const OX: u32 = 1 << 28;
const ZX: u32 = 1 << 26;
const XX: u32 = 1 << 25;
const VXSNAN: u32 = 1 << 24;
const VXISI: u32 = 1 << 23;
const VXVC: u32 = 1 << 19;
const FR: u32 = 1 << 18;
const FI: u32 = 1 << 17;
const VXCVI: u32 = 1 << 8;
const XE: u32 = 1 << 3;
/// FPRF (C FL FG FE FU) of the low word.
fn fprf(s: &CpuState) -> u32 {
    s.fpscr >> 12 & 0x1f
}

/// Runs on both byte orders (FP arithmetic has no memory operand; the two frontends must agree).
fn run_both(words: &[u32], init: CpuState) -> CpuState {
    let a = run_on(&PPC64LE, words, init, &[]).0;
    let b = run_on(&PPC32, words, init, &[]).0;
    assert_eq!(a.fpscr, b.fpscr, "FPSCR of ppc64le and ppc");
    assert_eq!(a.vsr, b.vsr, "FPRs of ppc64le and ppc");
    a
}

#[test]
fn fadd_rounds_by_fpscr_rn_and_sets_fi_fr_xx_fprf() {
    // fadd f1, f2, f3 with 1 + 2^-60 in each rounding mode
    let w = [a_form(63, 1, 2, 3, 0, 21)];
    let init = |rn: u32, a: f64| {
        st(|s| {
            s.fpscr = rn;
            s.set_fpr(2, a.to_bits());
            s.set_fpr(3, (a * 2f64.powi(-60)).to_bits());
        })
    };
    let s = run_both(&w, init(0, 1.0));
    assert_eq!(f64::from_bits(s.fpr(1)), 1.0, "nearest");
    assert_eq!(
        s.fpscr & (FX | XX | FI | FR),
        FX | XX | FI,
        "inexact, not rounded up"
    );
    assert_eq!(fprf(&s), 0x04, "+normal");
    let s = run_both(&w, init(2, 1.0));
    assert_eq!(s.fpr(1), 1f64.to_bits() + 1, "toward +inf");
    assert_eq!(s.fpscr & (FI | FR), FI | FR);
    let s = run_both(&w, init(3, -1.0));
    assert_eq!(
        s.fpr(1),
        (-1f64).to_bits() + 1,
        "toward -inf grows a negative sum"
    );
    assert_eq!(fprf(&s), 0x08, "-normal");
    let s = run_both(&w, init(1, -1.0));
    assert_eq!(f64::from_bits(s.fpr(1)), -1.0, "toward zero");
    assert_eq!(s.fpscr & (FI | FR), FI);
    // exact: FI and FR cleared, XX stays sticky, FX not set again
    let s = run_both(
        &w,
        st(|s| {
            s.fpscr = XX | FI | FR;
            s.set_fpr(2, 1f64.to_bits());
            s.set_fpr(3, 2f64.to_bits());
        }),
    );
    assert_eq!(s.fpscr & (FX | XX | FI | FR), XX);
}

#[test]
fn single_precision_rounds_once_in_every_mode() {
    // fmadds f1, f2, f3, f4: 1 + 2^-24 (a single tie) + 2^-80 rounds up once, where the
    // double fma followed by a rounding to single would tie to even (down)
    let w = [a_form(59, 1, 2, 4, 3, 29)];
    let s = run_both(
        &w,
        st(|s| {
            s.set_fpr(2, (1.0 + 2f64.powi(-24)).to_bits());
            s.set_fpr(3, 1f64.to_bits());
            s.set_fpr(4, 2f64.powi(-80).to_bits());
        }),
    );
    assert_eq!(f64::from_bits(s.fpr(1)), 1.0 + 2f64.powi(-23));
    assert_eq!(s.fpscr & (FI | FR), FI | FR);
    // fmuls toward +inf: the smallest single denormal instead of 0
    let s = run_both(
        &[a_form(59, 1, 2, 0, 3, 25)],
        st(|s| {
            s.fpscr = 2;
            s.set_fpr(2, 2f64.powi(-100).to_bits());
            s.set_fpr(3, 2f64.powi(-100).to_bits());
        }),
    );
    assert_eq!(f64::from_bits(s.fpr(1)), 2f64.powi(-149));
    assert_eq!(s.fpscr & (1 << 27), 1 << 27, "UX");
    // fsubs f1, f2, f2 toward -inf is -0
    let s = run_both(
        &[a_form(59, 1, 2, 2, 0, 20)],
        st(|s| {
            s.fpscr = 3;
            s.set_fpr(2, 3f64.to_bits());
        }),
    );
    assert_eq!(s.fpr(1), 1 << 63);
    assert_eq!(fprf(&s), 0x12, "-zero");
}

#[test]
fn invalid_operations_give_the_default_nan_and_record_cr1() {
    // fsub. f1, f2, f2 with f2 = +inf: VXISI, default QNaN (positive), CR1 = FX FEX VX OX
    let inf = f64::INFINITY.to_bits();
    let s = run_both(&[a_form(63, 1, 2, 2, 0, 20) | 1], st(|s| s.set_fpr(2, inf)));
    assert_eq!(s.fpr(1), 0x7ff8_0000_0000_0000);
    assert_eq!(s.fpscr & (FX | VX | VXISI | FI | FR), FX | VX | VXISI);
    assert_eq!(fprf(&s), 0x11, "QNaN");
    assert_eq!(crf(&s, 1), 0b1010, "FX and VX");
    // fadd with an SNaN in FRB: VXSNAN, FRB quieted; FRA's NaN wins over FRB's
    let snan = 0x7ff0_0000_0000_0001;
    let s = run_both(
        &[a_form(63, 1, 2, 3, 0, 21), a_form(63, 4, 5, 3, 0, 21)],
        st(|s| {
            s.set_fpr(2, 1f64.to_bits());
            s.set_fpr(3, snan);
            s.set_fpr(5, 0xfff8_0000_0000_0042);
        }),
    );
    assert_eq!(s.fpr(1), 0x7ff8_0000_0000_0001);
    assert_eq!(s.fpr(4), 0xfff8_0000_0000_0042);
    assert_eq!(s.fpscr & (VXSNAN | VX), VXSNAN | VX);
    // fdiv by zero: ZX and an infinity, FI and FR clear
    let s = run_both(
        &[a_form(63, 1, 2, 3, 0, 18)],
        st(|s| {
            s.fpscr = FI | FR;
            s.set_fpr(2, (-1f64).to_bits());
        }),
    );
    assert_eq!(s.fpr(1), f64::NEG_INFINITY.to_bits());
    assert_eq!(s.fpscr & (ZX | FX | FI | FR), ZX | FX);
    assert_eq!(fprf(&s), 0x09, "-infinity");
}

#[test]
fn overflow_and_enabled_exceptions_set_fex() {
    // fmul f1, f2, f2 = MAX * MAX: OX, XX, FI; with XE=1 also FEX (no trap: Linux's default)
    let s = run_both(
        &[a_form(63, 1, 2, 0, 2, 25)],
        st(|s| {
            s.fpscr = XE;
            s.set_fpr(2, f64::MAX.to_bits());
        }),
    );
    assert_eq!(s.fpr(1), f64::INFINITY.to_bits());
    assert_eq!(s.fpscr & (OX | XX | FI | FX | FEX), OX | XX | FI | FX | FEX);
}

#[test]
fn compares_set_fpcc_and_vxvc() {
    // fcmpo cr2, f1, f2 with a QNaN: CR2 = UN, FPCC = FU, VXVC; fcmpu cr3, f1, f3: LT
    let s = run_both(
        &[xf(63, 2 << 2, 1, 2, 32, 0), xf(63, 3 << 2, 1, 3, 0, 0)],
        st(|s| {
            s.set_fpr(1, 1f64.to_bits());
            s.set_fpr(2, f64::NAN.to_bits());
            s.set_fpr(3, 2f64.to_bits());
        }),
    );
    assert_eq!((crf(&s, 2), crf(&s, 3)), (0b0001, 0b1000));
    assert_eq!(s.fpscr & (VXVC | VX | FX), VXVC | VX | FX);
    assert_eq!(s.fpscr >> 12 & 0xf, 0b1000, "FPCC of the last compare: FL");
}

#[test]
fn mtfsf_keeps_fex_and_vx_as_summaries() {
    // mtfsf 0xff, f1 with FEX and VX set and no cause: both stay clear; mtfsb1 VXSNAN sets VX
    // and FX; mtfsfi 7, 2 sets RN
    let mtfsf = 63 << 26 | 0xff << 17 | 1 << 11 | 711 << 1;
    let mtfsb1 = |bt: u32| 63 << 26 | bt << 21 | 38 << 1;
    let mtfsfi = 63 << 26 | 7 << 23 | 2 << 12 | 134 << 1;
    let s = run_both(&[mtfsf], st(|s| s.set_fpr(1, (FEX | VX | 3) as u64)));
    assert_eq!(s.fpscr, 3);
    let s = run_both(&[mtfsf, mtfsb1(7), mtfsfi], st(|s| s.set_fpr(1, 0)));
    assert_eq!(s.fpscr, FX | VX | VXSNAN | 2);
}

#[test]
fn fcti_results_and_invalid_conversions() {
    // fctiw f1, f2 (-3.5 to nearest: -4, sign-extended); fctiwz f3, f4 (1e10: VXCVI, saturated)
    let s = run_both(
        &[xf(63, 1, 0, 2, 14, 0), xf(63, 3, 0, 4, 15, 0)],
        st(|s| {
            s.set_fpr(2, (-3.5f64).to_bits());
            s.set_fpr(4, 1e10f64.to_bits());
        }),
    );
    assert_eq!(s.fpr(1), (-4i64) as u64);
    assert_eq!(s.fpr(3), 0x7fff_ffff);
    assert_eq!(s.fpscr & (VXCVI | VX | XX), VXCVI | VX | XX);
}

#[test]
fn lfs_and_stfs_keep_snans_and_truncate() {
    // lfs f1, 0(r4); stfs f1, 4(r4); stfs f2, 8(r4): an SNaN stays signalling, a double
    // between two singles is truncated (SINGLE), not rounded
    let snan32 = 0x7f80_0001u32;
    let between = f64::from_bits((1.0f32 as f64).to_bits() | 0xfff_ffff);
    for f in [&PPC64LE, &PPC32] {
        let data: Vec<u8> = match f.endian {
            Endian::Little => snan32.to_le_bytes().to_vec(),
            Endian::Big => snan32.to_be_bytes().to_vec(),
        };
        let (s, mem, _) = run_on(
            f,
            &[d(48, 1, 4, 0), d(52, 1, 4, 4), d(52, 2, 4, 8)],
            st(|s| {
                s.gpr[4] = DATA;
                s.set_fpr(2, between.to_bits());
            }),
            &data,
        );
        assert_eq!(s.fpr(1), 0x7ff0_0000_2000_0000, "DOUBLE of the SNaN");
        let word = |o: usize| {
            let b: [u8; 4] = mem[o..o + 4].try_into().unwrap();
            match f.endian {
                Endian::Little => u32::from_le_bytes(b),
                Endian::Big => u32::from_be_bytes(b),
            }
        };
        assert_eq!(word(4), snan32);
        assert_eq!(word(8), 1.0f32.to_bits());
        assert_eq!(s.fpscr, 0, "loads and stores leave FPSCR");
    }
}

/// A random FP operand for [`inline_paths_agree_with_the_helper`]: singles, doubles near 1,
/// zeros, the edges of the inline paths' ranges, denormals, infinities and NaNs.
fn fp_operand(r: &mut testing::Rng) -> u64 {
    let m = r.next();
    let sign = m & 1 << 63;
    let x: f64 = match r.below(12) {
        0 => 0.0,
        1..=3 => {
            // a single with a small exponent
            let e = 127 + r.range(-30, 30) as u32;
            f32::from_bits((e << 23) | (m as u32 & 0x7f_ffff)) as f64
        }
        4..=6 => f64::from_bits(((1023 + r.range(-40, 40)) as u64) << 52 | m >> 12),
        7 => f64::from_bits(((1023 + r.range(-1022, 1023)) as u64) << 52 | m >> 12),
        8 => r.pick(&[
            1e-270,
            1e300,
            1e150,
            f32::MIN_POSITIVE as f64,
            f32::MAX as f64,
        ]),
        9 => f64::from_bits(m >> 12), // denormal
        10 => r.pick(&[f64::INFINITY, 2f64.powi(31), 2147483647.5, -2147483648.5]),
        _ => f64::from_bits(0x7ff0_0000_0000_0000 | (m >> 12 | 1) & ((1 << 52) - 1)),
    };
    x.to_bits() ^ sign
}

/// The inline common cases of arithmetic (double and single, fused too), frsp, fcti*, fcmpu
/// and the FPSCR moves against the helper (`host::execute` / `host::store_fpscr`) on random
/// operands and FPSCRs: the same result, FPSCR and CR field.
#[test]
fn inline_paths_agree_with_the_helper() {
    use xarch_isa_ppc::lift::fp::host::{self, op};
    let mut r = testing::Rng(0x5eed_f00d_1234_5678);
    // (word, op of `host::compute`, 64-bit only)
    let mut cases = Vec::new();
    for (xo, kind) in [
        (21, op::ADD),
        (20, op::SUB),
        (25, op::MUL),
        (18, op::DIV),
        (22, op::SQRT),
        (29, op::MADD),
        (28, op::MSUB),
        (31, op::NMADD),
        (30, op::NMSUB),
    ] {
        for (opc, flag) in [(63, 0), (59, host::SINGLE)] {
            cases.push((a_form(opc, 1, 2, 3, 4, xo), kind | flag, false));
        }
    }
    cases.push((xf(63, 1, 0, 3, 12, 0), op::RSP, false));
    cases.push((xf(63, 1, 0, 3, 14, 0), op::CTI, false));
    cases.push((xf(63, 1, 0, 3, 15, 0), op::CTI | host::CTI_Z, false));
    cases.push((xf(63, 1, 0, 3, 814, 0), op::CTI | host::CTI_64, true));
    let ctidz = op::CTI | host::CTI_64 | host::CTI_Z;
    cases.push((xf(63, 1, 0, 3, 815, 0), ctidz, true));
    cases.push((xf(63, 5 << 2, 2, 3, 0, 0), op::CMP, false));
    cases.push((xf(63, 5 << 2, 2, 3, 32, 0), op::CMP | host::ORDERED, false));
    let mut inline_seen = 0;
    for i in 0..6000 {
        let (w, d, only64) = cases[i % cases.len()];
        let (a, b, c) = (fp_operand(&mut r), fp_operand(&mut r), fp_operand(&mut r));
        // mostly the inline case (RN = 0, nothing enabled), with random sticky bits
        let mut fpscr = r.next() as u32 & 0xfe1f_f000;
        match r.below(8) {
            0 => fpscr |= r.below(4) as u32,
            1 => fpscr |= 1 << (3 + r.below(5)),
            _ => {}
        }
        let fpscr = host::summaries(fpscr);
        let init = st(|s| {
            s.fpscr = fpscr;
            s.set_fpr(2, a);
            s.set_fpr(3, b);
            s.set_fpr(4, c);
        });
        let s = if only64 {
            run_on(&PPC64LE, &[w], init, &[]).0
        } else {
            run_both(&[w], init)
        };
        // the helper's operands: FRA, FRB, FRC; an enabled invalid operation or zero divide
        // leaves the target (f1, initially 0)
        let (want, wf, _) = host::execute(fpscr, a, b, c, d);
        let want = want.unwrap_or(0);
        let what = format!("{w:#010x} a={a:#x} b={b:#x} c={c:#x} fpscr={fpscr:#x}");
        if d & 0xff == op::CMP {
            assert_eq!(crf(&s, 5) as u64, want, "CR field: {what}");
        } else {
            assert_eq!(s.fpr(1), want, "result: {what}");
        }
        assert_eq!(s.fpscr, wf, "FPSCR: {what}");
        if fpscr & 0xfb == 0 {
            inline_seen += 1;
        }
    }
    assert!(inline_seen > 3000, "{inline_seen}");
    // mtfsf / mtfsfi / mtfsb0 / mtfsb1
    for _ in 0..300 {
        let fpscr = host::summaries(r.next() as u32 & !(1 << 11));
        let v = r.next();
        let flm = r.below(256) as u32;
        let bf = r.below(8) as u32;
        let u = r.below(16) as u32;
        let bt = r.below(32) as u32;
        let field = |i: u32| 0xfu32 << (28 - 4 * i);
        let fl_mask = (0..8)
            .filter(|i| flm & (0x80 >> i) != 0)
            .fold(0, |m, i| m | field(i));
        let forms = [
            // mtfsf FLM, f3 ; mtfsf with L = 1
            (
                63 << 26 | flm << 17 | 3 << 11 | 711 << 1,
                v as u32,
                fl_mask,
                false,
            ),
            (
                63 << 26 | 1 << 25 | 3 << 11 | 711 << 1,
                v as u32,
                u32::MAX,
                false,
            ),
            // mtfsfi BF, U
            (
                63 << 26 | bf << 23 | u << 12 | 134 << 1,
                u << (28 - 4 * bf),
                field(bf),
                false,
            ),
            // mtfsb0 BT ; mtfsb1 BT
            (63 << 26 | bt << 21 | 70 << 1, 0, 1 << (31 - bt), false),
            (
                63 << 26 | bt << 21 | 38 << 1,
                1 << (31 - bt),
                1 << (31 - bt),
                true,
            ),
        ];
        for (w, val, mask, fx) in forms {
            let init = st(|s| {
                s.fpscr = fpscr;
                s.set_fpr(3, v);
            });
            let s = run_both(&[w], init);
            let want = host::store_fpscr(fpscr, val, mask, fx);
            assert_eq!(s.fpscr, want, "{w:#010x} fpscr={fpscr:#x} v={v:#x}");
        }
    }
}

/// ISA 4.4: an invalid operation with VE = 1 or a zero divide with ZE = 1 leaves the target
/// FPR and FPRF unchanged and clears FR and FI; XE = 1 (and the other enables) only set FEX.
/// No trap without `prctl(PR_SET_FPEXC)` (the test thread's mode is DISABLED).
#[test]
fn enabled_exceptions_leave_the_target() {
    const VE: u32 = 1 << 7;
    const ZE: u32 = 1 << 4;
    let init = |fpscr: u32, a: f64, b: f64| {
        st(|s| {
            s.fpscr = fpscr;
            s.set_fpr(1, 7f64.to_bits());
            s.set_fpr(2, a.to_bits());
            s.set_fpr(3, b.to_bits());
        })
    };
    let normal = 0x04 << 12;
    // fdiv f1, f2, f3: 1 / 0 with ZE
    let s = run_both(
        &[a_form(63, 1, 2, 3, 0, 18)],
        init(ZE | FR | FI | normal | 0x10 << 12, 1.0, 0.0),
    );
    assert_eq!(f64::from_bits(s.fpr(1)), 7.0, "target kept");
    assert_eq!(s.fpscr & (ZX | FEX | FX | FR | FI), ZX | FEX | FX);
    assert_eq!(fprf(&s), 0x14, "FPRF kept");
    // without ZE: the infinity
    let s = run_both(&[a_form(63, 1, 2, 3, 0, 18)], init(0, 1.0, 0.0));
    assert_eq!(f64::from_bits(s.fpr(1)), f64::INFINITY);
    // fsubs f1, f2, f3: inf - inf with VE
    let s = run_both(
        &[a_form(59, 1, 2, 3, 0, 20)],
        init(VE, f64::INFINITY, f64::INFINITY),
    );
    assert_eq!(f64::from_bits(s.fpr(1)), 7.0);
    assert_eq!(s.fpscr & (VXISI | VX | FEX), VXISI | VX | FEX);
    // fctiwz f1, f3 of a NaN with VE: kept too
    let s = run_both(&[xf(63, 1, 0, 3, 15, 0)], init(VE, 0.0, f64::NAN));
    assert_eq!(f64::from_bits(s.fpr(1)), 7.0);
    assert_eq!(s.fpscr & (VXCVI | FEX), VXCVI | FEX);
    // fcmpo cr1, f2, f3 with a NaN and VE: the CR field is set, VXVC
    let s = run_both(&[xf(63, 1 << 2, 2, 3, 32, 0)], init(VE, 1.0, f64::NAN));
    assert_eq!(crf(&s, 1), 1);
    assert_eq!(s.fpscr & (VXVC | FEX), VXVC | FEX);
    // fadd with XE and an inexact sum: the result is written, FEX set
    let s = run_both(&[a_form(63, 1, 2, 3, 0, 21)], init(XE, 1.0, 2f64.powi(-60)));
    assert_eq!(f64::from_bits(s.fpr(1)), 1.0);
    assert_eq!(s.fpscr & (XX | FI | FEX), XX | FI | FEX);
    // an enable without its exception: the inline path's result
    let s = run_both(&[a_form(63, 1, 2, 3, 0, 21)], init(ZE, 1.0, 2.0));
    assert_eq!((f64::from_bits(s.fpr(1)), s.fpscr & FEX), (3.0, 0));
}

/// mffsl (control and status bits), mffsce (then enables cleared), mffscrni/mffscrn (control
/// bits, then RN set).
#[test]
fn mffs_forms_of_isa_3_0() {
    let fpscr = FX | XX | FI | (0x04 << 12) | (1 << 7) | (1 << 3) | 2;
    let init = st(|s| {
        s.fpscr = host_summaries(fpscr);
        s.set_fpr(3, 3);
    });
    let mffs = |form: u32, b: u32| 63 << 26 | 1 << 21 | form << 16 | b << 11 | 583 << 1;
    let f0 = host_summaries(fpscr);
    let s = run_both(&[mffs(24, 0)], init);
    assert_eq!(s.fpr(1), (FI | (0x04 << 12) | 0x8a) as u64, "mffsl");
    assert_eq!(s.fpscr, f0);
    let s = run_both(&[mffs(1, 0)], init);
    assert_eq!(s.fpr(1), f0 as u64, "mffsce");
    assert_eq!(s.fpscr, f0 & !0xf8 & !FEX);
    // mffscrni 1 (RM in bits 19..20)
    let s = run_both(&[mffs(23, 1)], init);
    assert_eq!(s.fpr(1), 0x8a, "mffscrni");
    assert_eq!(s.fpscr & 3, 1);
    // mffscrn f3 (RN = 3)
    let s = run_both(&[mffs(22, 3)], init);
    assert_eq!(s.fpscr & 3, 3, "mffscrn");
}

fn host_summaries(f: u32) -> u32 {
    xarch_isa_ppc::lift::fp::host::summaries(f)
}

/// xvadddp, xvsubdp, xvmuldp, xvdivdp against the helper element by element (doubleword 0,
/// then 1): the exceptions of both accumulate, FR, FI and FPRF are not changed.
#[test]
fn vector_double_arithmetic_sets_fpscr_per_element() {
    use xarch_isa_ppc::lift::fp::host::{self, op};
    let mut r = testing::Rng(0x0dd0_f00d_9abc_def1);
    let keep = |old: u32, f: u32| {
        let status = FR | FI | (0x1f << 12);
        f & !status | old & status
    };
    for i in 0..800 {
        let (xo, kind) = [
            (96, op::ADD),
            (104, op::SUB),
            (112, op::MUL),
            (120, op::DIV),
        ][i % 4];
        // xv*dp vs1, vs2, vs3; every third one xv*dp vs2, vs2, vs3 (XT = XA)
        let xt = if i % 3 == 0 { 2 } else { 1 };
        let w = 60 << 26 | xt << 21 | 2 << 16 | 3 << 11 | xo << 3;
        let v: Vec<u64> = (0..4).map(|_| fp_operand(&mut r)).collect();
        let mut fpscr = r.next() as u32 & 0xfe1f_f000;
        if r.below(4) == 0 {
            fpscr |= r.below(4) as u32;
        }
        let fpscr = host::summaries(fpscr);
        let init = st(|s| {
            s.fpscr = fpscr;
            s.vsr[2] = (v[0] as u128) << 64 | v[1] as u128;
            s.vsr[3] = (v[2] as u128) << 64 | v[3] as u128;
        });
        let s = run_on(&PPC64LE, &[w], init, &[]).0;
        let mut f = fpscr;
        let mut want = [0u64; 2];
        for (e, (a, b)) in [(v[0], v[2]), (v[1], v[3])].into_iter().enumerate() {
            let (fa, fb, fc) = if kind == op::MUL {
                (a, 0, b)
            } else {
                (a, b, 0)
            };
            let (res, nf, _) = host::execute(f, fa, fb, fc, kind);
            want[e] = res.expect("nothing enabled");
            f = keep(f, nf);
        }
        let what = format!("{w:#010x} {v:x?} fpscr={fpscr:#x}");
        assert_eq!(
            s.vsr[xt as usize],
            (want[0] as u128) << 64 | want[1] as u128,
            "{what}"
        );
        assert_eq!(s.fpscr, f, "FPSCR: {what}");
    }
}

#[test]
fn divide_by_zero_gives_the_dividend() {
    // divwuo r3, r4, r5 with r5 = 0: RT = the dividend (as qemu), OV set
    let s = run(
        &[xo(3, 4, 5, 1, 459, 0)],
        st(|s| (s.gpr[4], s.gpr[5]) = (0x1234, 0)),
    );
    assert_eq!((s.gpr[3], s.ov), (0x1234, 1));
}

#[test]
fn conditional_traps() {
    // twi 4, r3, 5 (trap if equal): traps when r3 = 5 (low word), goes on when not
    let twi = |to: u32, ra: u32, imm: i32| d(3, to, ra, imm);
    let (_, _, e) = run_on(
        &PPC64LE,
        &[twi(4, 3, 5)],
        st(|s| s.gpr[3] = 0xffff_0000_0000_0005),
        &[],
    );
    assert_eq!(e, BlockExit::Trap(TrapKind::Breakpoint, PC));
    let (_, _, e) = run_on(&PPC64LE, &[twi(4, 3, 5)], st(|s| s.gpr[3] = 6), &[]);
    assert_eq!(e, BlockExit::Jump(PC + 4));
    // tw 8 (signed >), 2 (unsigned <) on the low words, in 32-bit mode too
    let tw = |to: u32| xf(31, to, 3, 4, 4, 0);
    let init = st(|s| (s.gpr[3], s.gpr[4]) = (0xffff_ffff, 1));
    for f in [&PPC64LE, &PPC32] {
        let (_, _, e) = run_on(f, &[tw(8)], init, &[]);
        assert_eq!(e, BlockExit::Jump(PC + 4), "-1 > 1 is false");
        let (_, _, e) = run_on(f, &[tw(1)], init, &[]);
        assert_eq!(
            e,
            BlockExit::Trap(TrapKind::Breakpoint, PC),
            "0xffffffff >u 1"
        );
    }
    // td 16 (signed <) compares 64 bits; tdi 0 never traps
    let (_, _, e) = run_on(
        &PPC64LE,
        &[xf(31, 16, 3, 4, 68, 0)],
        st(|s| (s.gpr[3], s.gpr[4]) = (u64::MAX, 0)),
        &[],
    );
    assert_eq!(e, BlockExit::Trap(TrapKind::Breakpoint, PC));
    let (_, _, e) = run_on(&PPC64LE, &[d(2, 0, 3, 0)], st(|_| ()), &[]);
    assert_eq!(e, BlockExit::Jump(PC + 4));
}
