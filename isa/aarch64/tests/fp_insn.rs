//! FP and Advanced SIMD instruction tests by encoding: raw words (the assembly in a comment),
//! an initial state, the expected final state as the ARM ARM defines it (cross-checked with
//! qemu-aarch64 by `simd_qemu_diff.rs`). Every block runs in the interpreter and compiled
//! (`testing::compare_tiers`), and the two must agree before the expectation is checked.

use xarch_isa_aarch64::Aarch64;
use xarch_isa_aarch64::state::{self, CpuState};
use xarch_translator::StateBytes;
use xarch_translator::{CodeBuffer, Frontend, testing};

const PC: u64 = 0x1000;
const DATA: u64 = 0x10000;

fn run_with(words: &[u32], init: CpuState, data: &[u8]) -> (CpuState, Vec<u8>) {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let code = CodeBuffer {
        base: PC,
        bytes: &bytes,
    };
    let block = Aarch64.lift(PC, &code).expect("lift");
    let mut s = init;
    s.pc = PC;
    let mem = testing::test_memory(&[(DATA, DATA + 0x1000)]);
    // SAFETY: DATA..DATA+0x1000 is mapped read-write in this test window.
    unsafe {
        std::ptr::copy_nonoverlapping(data.as_ptr(), mem.base().add(DATA as usize), data.len())
    };
    let (out, _) = testing::compare_tiers(&block, s.as_bytes(), &mem, state::PC)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut m = vec![0u8; 128];
    // SAFETY: as above.
    unsafe { std::ptr::copy_nonoverlapping(mem.base().add(DATA as usize), m.as_mut_ptr(), 128) };
    (CpuState::from_bytes(&out), m)
}

fn run(words: &[u32], init: CpuState) -> CpuState {
    run_with(words, init, &[]).0
}

fn st(f: impl FnOnce(&mut CpuState)) -> CpuState {
    let mut s = CpuState::default();
    // Garbage in every register, so that "upper bits zeroed" is checked.
    s.v = [u128::MAX; 32];
    f(&mut s);
    s
}

fn d(x: f64) -> u128 {
    x.to_bits() as u128
}
fn s32(x: f32) -> u128 {
    x.to_bits() as u128
}

fn bytes16(f: impl Fn(usize) -> u8) -> u128 {
    u128::from_le_bytes(std::array::from_fn(f))
}

// ---- scalar arithmetic and the default NaN ----

#[test]
fn fadd_writes_d_and_zeroes_the_rest() {
    // 0x1e622820: fadd d0, d1, d2
    let s = run(&[0x1e62_2820], st(|s| (s.v[1], s.v[2]) = (d(1.5), d(2.25))));
    assert_eq!(s.v[0], d(3.75));
}

#[test]
fn invalid_operations_give_the_positive_default_nan() {
    // 0x1e623820: fsub d0, d1, d2 (inf - inf)
    let s = run(
        &[0x1e62_3820],
        st(|s| (s.v[1], s.v[2]) = (d(f64::INFINITY), d(f64::INFINITY))),
    );
    assert_eq!(
        s.v[0], 0x7ff8_0000_0000_0000,
        "AArch64 default NaN, not x86's 0xfff8…"
    );
    // 0x1e221820: fdiv s0, s1, s2 (0 / 0)
    let s = run(
        &[0x1e22_1820],
        st(|s| (s.v[1], s.v[2]) = (s32(0.0), s32(-0.0))),
    );
    assert_eq!(s.v[0], 0x7fc0_0000);
    // A NaN operand propagates (quiet, payload and sign kept).
    let s = run(
        &[0x1e62_3820],
        st(|s| (s.v[1], s.v[2]) = (0xfff8_0000_0000_0123, d(1.0))),
    );
    assert_eq!(s.v[0], 0xfff8_0000_0000_0123);
}

#[test]
fn fmadd_is_fused() {
    // 0x1f420c20: fmadd d0, d1, d2, d3: (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60 exactly when fused
    // (the unfused product rounds to 1 and gives 0).
    let e = 2f64.powi(-30);
    let s = run(
        &[0x1f42_0c20],
        st(|s| (s.v[1], s.v[2], s.v[3]) = (d(1.0 + e), d(1.0 - e), d(-1.0))),
    );
    assert_eq!(s.v[0], d(-(2f64.powi(-60))));
}

#[test]
fn fmax_propagates_and_fmaxnm_prefers_numbers() {
    let qnan = 0x7ff8_0000_0000_0042u128;
    // 0x1e624820: fmax d0, d1, d2
    let s = run(&[0x1e62_4820], st(|s| (s.v[1], s.v[2]) = (qnan, d(1.0))));
    assert_eq!(s.v[0], qnan);
    // 0x1e626820: fmaxnm d0, d1, d2
    let s = run(&[0x1e62_6820], st(|s| (s.v[1], s.v[2]) = (qnan, d(1.0))));
    assert_eq!(s.v[0], d(1.0));
    let s = run(&[0x1e62_6820], st(|s| (s.v[1], s.v[2]) = (d(-0.0), d(0.0))));
    assert_eq!(s.v[0], d(0.0), "+0 is above -0");
}

#[test]
fn fmov_immediate_expands() {
    // 0x1e7c1000: fmov d0, #-0.5
    let s = run(&[0x1e7c_1000], st(|_| {}));
    assert_eq!(s.v[0], d(-0.5));
}

// ---- compares and selects ----

#[test]
fn fcmp_sets_nzcv_as_fpcompare() {
    // 0x1e622020: fcmp d1, d2
    for (a, b, nzcv) in [
        (1.0, 2.0, 0b1000),
        (2.0, 2.0, 0b0110),
        (3.0, 2.0, 0b0010),
        (f64::NAN, 2.0, 0b0011),
    ] {
        let s = run(&[0x1e62_2020], st(|s| (s.v[1], s.v[2]) = (d(a), d(b))));
        assert_eq!(s.nzcv() >> 28, nzcv, "fcmp {a}, {b}");
    }
}

#[test]
fn fccmp_and_fcsel_follow_the_condition() {
    // 0x1e621424: fccmp d1, d2, #0b0100, ne
    let s = run(
        &[0x1e62_1424],
        st(|s| ((s.v[1], s.v[2]), s.z) = ((d(1.0), d(2.0)), 0)),
    );
    assert_eq!(s.nzcv() >> 28, 0b1000, "NE holds: the comparison");
    let s = run(
        &[0x1e62_1424],
        st(|s| ((s.v[1], s.v[2]), s.z) = ((d(1.0), d(2.0)), 1)),
    );
    assert_eq!(s.nzcv() >> 28, 0b0100, "NE fails: the immediate");
    // 0x1e22ac20: fcsel s0, s1, s2, ge (N == V)
    let s = run(
        &[0x1e22_ac20],
        st(|s| ((s.v[1], s.v[2]), s.n, s.v_flag) = ((s32(1.0), s32(2.0)), 1, 0)),
    );
    assert_eq!(s.v[0], s32(2.0));
}

// ---- conversions and rounding ----

#[test]
fn fcvtzs_saturates_and_maps_nan_to_zero() {
    // 0x1e780020: fcvtzs w0, d1
    for (x, want) in [
        (1e20, 0x7fff_ffffu64),
        (-1e20, 0x8000_0000),
        (f64::NAN, 0),
        (-1.9, 0xffff_ffff),
    ] {
        let s = run(&[0x1e78_0020], st(|s| (s.v[1], s.x[0]) = (d(x), u64::MAX)));
        assert_eq!(s.x[0], want, "fcvtzs w0, {x} (the W result zero-extends)");
    }
    // 0x9e790020: fcvtzu x0, d1
    let s = run(&[0x9e79_0020], st(|s| s.v[1] = d(-5.0)));
    assert_eq!(s.x[0], 0);
}

#[test]
fn frint_rounding_modes() {
    // 0x1e664020: frinta d0, d1 (ties away); 0x1e644020: frintn d0, d1 (ties to even)
    for (x, a, n) in [
        (2.5, 3.0, 2.0),
        (-2.5, -3.0, -2.0),
        (0.49999999999999994, 0.0, 0.0),
        (-0.3, -0.0, -0.0),
    ] {
        let s = run(&[0x1e66_4020], st(|s| s.v[1] = d(x)));
        assert_eq!(s.v[0], d(a), "frinta {x}");
        let s = run(&[0x1e64_4020], st(|s| s.v[1] = d(x)));
        assert_eq!(s.v[0], d(n), "frintn {x}");
    }
    // 0x1e674020: frintx d0, d1 rounds in FPCR.RMode: RP (01) gives ceil.
    let s = run(&[0x1e67_4020], st(|s| (s.v[1], s.fpcr) = (d(2.1), 1 << 22)));
    assert_eq!(s.v[0], d(3.0));
    let s = run(&[0x1e67_4020], st(|s| (s.v[1], s.fpcr) = (d(2.5), 0)));
    assert_eq!(s.v[0], d(2.0));
}

#[test]
fn int_to_float_and_half_precision() {
    // 0x9e620020: scvtf d0, x1
    let s = run(&[0x9e62_0020], st(|s| s.x[1] = i64::MAX as u64));
    assert_eq!(s.v[0], d(9.223372036854775808e18));
    // 0x1e23c020: fcvt h0, s1
    for (x, h) in [
        (1.0f32, 0x3c00u128),
        (65520.0, 0x7c00),
        (-2.0, 0xc000),
        (65519.0, 0x7bff),
    ] {
        let s = run(&[0x1e23_c020], st(|s| s.v[1] = s32(x)));
        assert_eq!(s.v[0], h, "fcvt h0, {x}");
    }
}

// ---- Advanced SIMD ----

#[test]
fn string_function_idioms() {
    let hay = bytes16(|i| if i == 11 { 0 } else { b'a' + i as u8 });
    // 0x4e209820: cmeq v0.16b, v1.16b, #0
    let s = run(&[0x4e20_9820], st(|s| s.v[1] = hay));
    assert_eq!(s.v[0], 0xffu128 << (11 * 8));
    // 0x6e22a420: umaxp v0.16b, v1.16b, v2.16b: pairwise maxima of v1 then v2
    let s = run(
        &[0x6e22_a420],
        st(|s| (s.v[1], s.v[2]) = (bytes16(|i| i as u8), bytes16(|i| 100 - i as u8))),
    );
    assert_eq!(
        s.v[0],
        bytes16(|i| if i < 8 {
            2 * i as u8 + 1
        } else {
            100 - 2 * (i as u8 - 8)
        })
    );
    // 0x6e31a820: uminv b0, v1.16b
    let s = run(&[0x6e31_a820], st(|s| s.v[1] = hay));
    assert_eq!(s.v[0], 0);
    // 0x0f0c8420: shrn v0.8b, v1.8h, #4 (glibc's syndrome: a nibble per byte)
    let s = run(&[0x0f0c_8420], st(|s| s.v[1] = 0x00ff_ff00_0000_ffffu128));
    assert_eq!(s.v[0], 0x0ff0_00ff);
    // 0x4e31b820: addv b0, v1.16b (wraps at 8 bits)
    let s = run(&[0x4e31_b820], st(|s| s.v[1] = bytes16(|_| 0x20)));
    assert_eq!(s.v[0], 0);
}

#[test]
fn shrn_packs_the_shifted_halves() {
    // 0x0f0c8420: shrn v0.8b, v1.8h, #4: lanes 0x1234 -> 0x23, 0xabcd -> 0xbc
    let s = run(
        &[0x0f0c_8420],
        st(|s| s.v[1] = 0xabcd_1234u128 | 0xffff_0000_0000_0000_0000_0000u128),
    );
    assert_eq!(s.v[0], 0xff00_0000_bc23);
}

#[test]
fn table_lookups() {
    let table = bytes16(|i| 0x40 + i as u8);
    let idx = bytes16(|i| [3, 15, 16, 255, 0, 7, 8, 200, 1, 1, 1, 1, 2, 2, 2, 2][i]);
    // 0x4e020020: tbl v0.16b, {v1.16b}, v2.16b: out-of-range indices give 0
    let s = run(&[0x4e02_0020], st(|s| (s.v[1], s.v[2]) = (table, idx)));
    assert_eq!(
        s.v[0],
        bytes16(|i| [
            0x43, 0x4f, 0, 0, 0x40, 0x47, 0x48, 0, 0x41, 0x41, 0x41, 0x41, 0x42, 0x42, 0x42, 0x42
        ][i])
    );
    // 0x0e021020: tbx v0.8b, {v1.16b}, v2.8b: out-of-range keeps the destination; upper half 0
    let s = run(
        &[0x0e02_1020],
        st(|s| (s.v[0], s.v[1], s.v[2]) = (bytes16(|_| 0xee), table, idx)),
    );
    assert_eq!(
        s.v[0],
        bytes16(|i| [
            0x43, 0x4f, 0xee, 0xee, 0x40, 0x47, 0x48, 0xee, 0, 0, 0, 0, 0, 0, 0, 0
        ][i])
    );
}

#[test]
fn dup_umov_and_fmla_by_element() {
    // 0x4e040c20: dup v0.4s, w1
    let s = run(&[0x4e04_0c20], st(|s| s.x[1] = 0xdead_beef_1234_5678));
    assert_eq!(s.v[0], 0x1234_5678_1234_5678_1234_5678_1234_5678);
    // 0x0e163c20: umov w0, v1.h[5]
    let s = run(&[0x0e16_3c20], st(|s| s.v[1] = bytes16(|i| i as u8)));
    assert_eq!(s.x[0], 0x0b0a);
    // 0x4fa21020: fmla v0.4s, v1.4s, v2.s[1]
    let lanes = |a: [f32; 4]| {
        a.iter()
            .enumerate()
            .fold(0u128, |acc, (i, x)| acc | (x.to_bits() as u128) << (32 * i))
    };
    let s = run(
        &[0x4fa2_1020],
        st(|s| {
            (s.v[0], s.v[1], s.v[2]) = (
                lanes([1.0, 2.0, 3.0, 4.0]),
                lanes([1.0, -1.0, 0.5, 2.0]),
                lanes([9.0, 10.0, 0.0, 0.0]),
            )
        }),
    );
    assert_eq!(s.v[0], lanes([11.0, -8.0, 8.0, 24.0]));
}

#[test]
fn structure_loads_and_stores() {
    let data: Vec<u8> = (0..64u8).collect();
    // 0x4cdfa000: ld1 {v0.16b, v1.16b}, [x0], #32
    let (s, _) = run_with(&[0x4cdf_a000], st(|s| s.x[0] = DATA), &data);
    assert_eq!(s.v[0], bytes16(|i| i as u8));
    assert_eq!(s.v[1], bytes16(|i| 16 + i as u8));
    assert_eq!(s.x[0], DATA + 32);
    // 0x4c400000: ld4 {v0.16b-v3.16b}, [x0]: de-interleaves
    let (s, _) = run_with(&[0x4c40_0000], st(|s| s.x[0] = DATA), &data);
    for r in 0..4 {
        assert_eq!(s.v[r], bytes16(|i| (4 * i + r) as u8), "v{r}");
    }
    // 0x4c007802: st1 {v2.4s}, [x0]
    let (_, m) = run_with(
        &[0x4c00_7802],
        st(|s| (s.x[0], s.v[2]) = (DATA, bytes16(|i| 0x80 | i as u8))),
        &[0; 32],
    );
    assert_eq!(
        &m[..17],
        &[
            0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d,
            0x8e, 0x8f, 0
        ]
    );
}

#[test]
fn fpcr_rounding_mode_and_flush_to_zero_reach_arithmetic() {
    // 0xd51b4400: msr fpcr, x0
    // 0x1e621820: fdiv d0, d1, d2
    // 0x1e640823: fmul d3, d1, d4
    // 0x9e2200a5: scvtf s5, x5
    // 0xd51b441f: msr fpcr, xzr (back to round to nearest, also for this test thread)
    let words = [
        0xd51b_4400,
        0x1e62_1820,
        0x1e64_0823,
        0x9e22_00a5,
        0xd51b_441f,
    ];
    let init = |fpcr: u64| {
        st(|s| {
            (s.x[0], s.v[1], s.v[2], s.v[4], s.x[5]) =
                (fpcr, d(1.0), d(3.0), d(1e-310), (1 << 24) + 1);
        })
    };
    let s = run(&words, init(0));
    assert_eq!(s.v[0], d(1.0 / 3.0));
    assert_eq!(s.v[3], d(1e-310), "subnormal result kept with FZ = 0");
    assert_eq!(s.v[5], s32(16777216.0), "2^24 + 1 rounds to even");
    // RP: 1/3 rounds up, 2^24 + 1 rounds up to 2^24 + 2.
    let s = run(&words, init(1 << 22));
    assert_eq!(s.v[0], d(1.0 / 3.0) + 1);
    assert_eq!(s.v[5], s32(16777218.0));
    // RZ with FZ: the subnormal input (and result) flush to zero.
    let s = run(&words, init(3 << 22 | 1 << 24));
    assert_eq!(s.v[0], d(1.0 / 3.0));
    assert_eq!(s.v[3], d(0.0));
    assert_eq!(s.fpcr, 0);
}

#[test]
fn fpsr_collects_the_cumulative_exception_bits() {
    // 0xd51b443f: msr fpsr, xzr
    // 0x1e621820: fdiv d0, d1, d2
    // 0xd53b4423: mrs x3, fpsr
    let words = [0xd51b_443f, 0x1e62_1820, 0xd53b_4423, 0xd51b_443f];
    let s = run(&words, st(|s| (s.v[1], s.v[2]) = (d(1.0), d(0.0))));
    assert_eq!(s.x[3] & 0x9f, 0b0_0010, "1/0: DZC only");
    let s = run(&words, st(|s| (s.v[1], s.v[2]) = (d(1.0), d(3.0))));
    assert_eq!(s.x[3] & 0x9f, 0b1_0000, "1/3: IXC only");
    let s = run(&words, st(|s| (s.v[1], s.v[2]) = (d(0.0), d(0.0))));
    assert_eq!(s.x[3] & 0x9f, 0b0_0001, "0/0: IOC only");
}
