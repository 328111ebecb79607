//! x87 instruction tests by encoding, each run on both tiers (the harness compares them):
//! loads and stores of every format, constants, arithmetic in every form, rounding and
//! precision control, compares (C0–C3 and EFLAGS), FCMOVcc, stack management and faults,
//! FCHS…FPREM1, transcendentals, FNSTENV/FLDENV, FNSAVE/FRSTOR, FXSAVE/FXRSTOR(64).

mod common;
use common::*;
use xarch_isa_x86::state::X86State;
use xarch_isa_x86::x87::{INDEFINITE, sw};
use xarch_translator::interp::BlockExit;

/// 80-bit encoding of an f64 (exact).
fn ext(d: f64) -> u128 {
    if d == 0.0 {
        return (d.is_sign_negative() as u128) << 79;
    }
    let b = d.to_bits();
    let e = ((b >> 52) & 0x7ff) as u128;
    assert!(e != 0 && e != 0x7ff, "normal f64 only");
    let m = (1u128 << 63) | ((b as u128 & ((1 << 52) - 1)) << 11);
    ((b >> 63) as u128) << 79 | (e + 16383 - 1023) << 64 | m
}

/// The f64 nearest an 80-bit value (normal values only; for checking).
fn to_f64(v: u128) -> f64 {
    let s = if (v >> 79) & 1 == 1 { -1.0 } else { 1.0 };
    let e = ((v >> 64) & 0x7fff) as i32;
    if e == 0 && v as u64 == 0 {
        return 0.0 * s;
    }
    s * (v as u64) as f64 * 2f64.powi(e - 16383 - 63)
}

fn st(s: &X86State, i: u32) -> u128 {
    let p = ((s.x87.top + i) & 7) as usize;
    assert!(s.x87.ftw >> p & 1 == 1, "ST({i}) is empty");
    s.x87.regs[p] & ((1 << 80) - 1)
}

fn empty(s: &X86State, i: u32) -> bool {
    let p = ((s.x87.top + i) & 7) as usize;
    s.x87.ftw >> p & 1 == 0
}

/// A state with RDI at the data area and the given ST(0), ST(1), … pushed.
fn with_stack(vals: &[u128]) -> X86State {
    let mut s = state(&[(RDI, DATA)]);
    let n = vals.len() as u32;
    s.x87.top = (8 - n) & 7;
    for (i, &v) in vals.iter().enumerate() {
        let p = ((s.x87.top + i as u32) & 7) as usize;
        s.x87.regs[p] = v;
        s.x87.ftw |= 1 << p;
    }
    s
}

fn run_x87(code: &[u8], init: &X86State, mem: &[u8]) -> (X86State, Vec<u8>) {
    let mut c = code.to_vec();
    c.push(0x90);
    let (s, e, m) = run_with_mem(&c, init, mem);
    assert_eq!(e, BlockExit::Jump(CODE + c.len() as u64), "ran to the end");
    (s, m)
}

fn cc(s: &X86State) -> u16 {
    s.x87.fsw & sw::CC
}

#[test]
fn loads_and_stores_of_every_format() {
    let mut mem = vec![0u8; 64];
    mem[0..4].copy_from_slice(&1.5f32.to_bits().to_le_bytes());
    mem[8..16].copy_from_slice(&(-2.25f64).to_bits().to_le_bytes());
    mem[16..26].copy_from_slice(&ext(3.0).to_le_bytes()[..10]);
    mem[32..34].copy_from_slice(&(-7i16).to_le_bytes());
    mem[36..40].copy_from_slice(&100_000i32.to_le_bytes());
    mem[40..48].copy_from_slice(&(-(1i64 << 40)).to_le_bytes());
    // fld dword [rdi]; fld qword [rdi+8]; fld tword [rdi+16]; fild word [rdi+32];
    // fild dword [rdi+36]; fild qword [rdi+40]
    let code = [
        0xd9, 0x07, 0xdd, 0x47, 0x08, 0xdb, 0x6f, 0x10, 0xdf, 0x47, 0x20, 0xdb, 0x47, 0x24, 0xdf,
        0x6f, 0x28,
    ];
    let (s, _) = run_x87(&code, &with_stack(&[]), &mem);
    assert_eq!(s.x87.top, 2);
    assert_eq!(st(&s, 0), ext(-(2f64.powi(40))));
    assert_eq!(st(&s, 1), ext(100_000.0));
    assert_eq!(st(&s, 2), ext(-7.0));
    assert_eq!(st(&s, 3), ext(3.0));
    assert_eq!(st(&s, 4), ext(-2.25));
    assert_eq!(st(&s, 5), ext(1.5));
    assert_eq!(s.x87.fsw & 0x3f, 0);

    // fst dword [rdi]; fstp qword [rdi+8]; fstp tword [rdi+16]; fist word [rdi+32];
    // fistp dword [rdi+36]; fistp qword [rdi+40]
    let code = [
        0xd9, 0x17, 0xdd, 0x5f, 0x08, 0xdb, 0x7f, 0x10, 0xdf, 0x57, 0x20, 0xdb, 0x5f, 0x24, 0xdf,
        0x7f, 0x28,
    ];
    let init = with_stack(&[ext(2.5), ext(-1.75), ext(6.5), ext(-3.5), ext(9.0)]);
    let (s, m) = run_x87(&code, &init, &[0; 64]);
    assert_eq!(f32::from_le_bytes(m[0..4].try_into().unwrap()), 2.5);
    assert_eq!(f64::from_le_bytes(m[8..16].try_into().unwrap()), 2.5);
    assert_eq!(&m[16..26], &ext(-1.75).to_le_bytes()[..10]);
    // 6.5 to nearest even: 6; -3.5: -4; 9.
    assert_eq!(i16::from_le_bytes(m[32..34].try_into().unwrap()), 6);
    assert_eq!(i32::from_le_bytes(m[36..40].try_into().unwrap()), 6);
    assert_eq!(i64::from_le_bytes(m[40..48].try_into().unwrap()), -4);
    assert_eq!((s.x87.top, st(&s, 0)), (7, ext(9.0)));
    assert_ne!(s.x87.fsw & sw::PE, 0, "6.5 → 6 is inexact");

    // fisttp word/dword/qword truncate: -3.99 → -3; overflow gives the integer indefinite.
    let code = [0xdf, 0x0f, 0xdb, 0x4f, 0x04, 0xdd, 0x4f, 0x08];
    let init = with_stack(&[ext(-3.99), ext(3e9), ext(7.7)]);
    let (s, m) = run_x87(&code, &init, &[0; 64]);
    assert_eq!(i16::from_le_bytes(m[0..2].try_into().unwrap()), -3);
    assert_eq!(u32::from_le_bytes(m[4..8].try_into().unwrap()), 0x8000_0000);
    assert_eq!(i64::from_le_bytes(m[8..16].try_into().unwrap()), 7);
    assert_ne!(s.x87.fsw & sw::IE, 0);
    assert_eq!(s.x87.ftw, 0);
}

#[test]
fn stores_round_by_rc_and_report_c1() {
    // fldcw [rdi]; fst dword [rdi+8]: 1 + 2^-30 rounds up under RC = up, C1 = 1.
    let mut mem = vec![0u8; 16];
    mem[0..2].copy_from_slice(&0x0b7fu16.to_le_bytes());
    let v = ext(1.0 + 2f64.powi(-30));
    let (s, m) = run_x87(&[0xd9, 0x2f, 0xd9, 0x57, 0x08], &with_stack(&[v]), &mem);
    assert_eq!(
        f32::from_le_bytes(m[8..12].try_into().unwrap()),
        1.0 + f32::EPSILON
    );
    assert_eq!(s.x87.fcw, 0x0b7f);
    assert_ne!(s.x87.fsw & sw::C1, 0);
    assert_ne!(s.x87.fsw & sw::PE, 0);
}

#[test]
fn constants() {
    // fld1 fldl2t fldl2e fldpi fldlg2 fldln2 fldz
    let code = [
        0xd9, 0xe8, 0xd9, 0xe9, 0xd9, 0xea, 0xd9, 0xeb, 0xd9, 0xec, 0xd9, 0xed, 0xd9, 0xee,
    ];
    let (s, _) = run_x87(&code, &with_stack(&[]), &[]);
    assert_eq!(st(&s, 0), 0);
    assert_eq!(st(&s, 1), 0x3ffe_b172_17f7_d1cf_79ac);
    assert_eq!(st(&s, 2), 0x3ffd_9a20_9a84_fbcf_f799);
    assert_eq!(st(&s, 3), 0x4000_c90f_daa2_2168_c235);
    assert!((to_f64(st(&s, 4)) - std::f64::consts::LOG2_E).abs() < 1e-15);
    assert!((to_f64(st(&s, 5)) - std::f64::consts::LOG2_10).abs() < 1e-15);
    assert_eq!(st(&s, 6), ext(1.0));
}

#[test]
fn arithmetic_in_every_form() {
    let two_five = || with_stack(&[ext(2.0), ext(5.0)]);
    // ModRM of op ST(0), ST(1) / op ST(1), ST(0) and the result for 2 op 5: FADD, FMUL, then
    // (D8) FSUB FSUBR FDIV FDIVR, which the DC/DE encodings swap.
    let forms = [
        (0xc1u8, 7.0),
        (0xc9, 10.0),
        (0xe1, -3.0),
        (0xe9, 3.0),
        (0xf1, 0.4),
        (0xf9, 2.5),
    ];
    // D8 reg forms: ST(0) = ST(0) op ST(1).
    for (modrm, want) in forms {
        let (s, _) = run_x87(&[0xd8, modrm], &two_five(), &[]);
        assert_eq!(to_f64(st(&s, 0)), want, "d8 {modrm:02x}");
        assert_eq!(st(&s, 1), ext(5.0));
    }
    // DC reg forms: ST(1) = ST(1) op ST(0); E0+i is FSUBR, E8+i FSUB, F0+i FDIVR, F8+i FDIV.
    for (modrm, want) in forms {
        let (s, _) = run_x87(&[0xdc, modrm], &two_five(), &[]);
        assert_eq!(to_f64(st(&s, 1)), want, "dc {modrm:02x}");
        // DE: the same, then pop.
        let (s, _) = run_x87(&[0xde, modrm], &two_five(), &[]);
        assert_eq!(to_f64(st(&s, 0)), want, "de {modrm:02x}");
        assert!(empty(&s, 7));
    }
    // Memory forms: fadd dword, fmul qword, fisub word, fidivr dword.
    let mut mem = vec![0u8; 32];
    mem[0..4].copy_from_slice(&0.5f32.to_bits().to_le_bytes());
    mem[8..16].copy_from_slice(&3.0f64.to_bits().to_le_bytes());
    mem[16..18].copy_from_slice(&4i16.to_le_bytes());
    mem[20..24].copy_from_slice(&9i32.to_le_bytes());
    for (code, want) in [
        (vec![0xd8, 0x07], 2.5),
        (vec![0xdc, 0x4f, 0x08], 6.0),
        (vec![0xde, 0x67, 0x10], -2.0),
        (vec![0xda, 0x7f, 0x14], 4.5),
    ] {
        let (s, _) = run_x87(&code, &with_stack(&[ext(2.0)]), &mem);
        assert_eq!(to_f64(st(&s, 0)), want, "{code:02x?}");
    }
    // Division by zero: ZE and a signed infinity.
    let (s, _) = run_x87(&[0xd8, 0xf1], &with_stack(&[ext(-1.0), ext(0.0)]), &[]);
    assert_eq!(st(&s, 0), 0xffff_8000_0000_0000_0000);
    assert_ne!(s.x87.fsw & sw::ZE, 0);
    // Invalid: inf - inf gives the indefinite.
    let inf = 0x7fff_8000_0000_0000_0000u128;
    let (s, _) = run_x87(&[0xd8, 0xe1], &with_stack(&[inf, inf]), &[]);
    assert_eq!(st(&s, 0), INDEFINITE);
    assert_ne!(s.x87.fsw & sw::IE, 0);
}

#[test]
fn rounding_and_precision_control() {
    // fldcw [rdi]; fdiv st(0), st(1): 1/3 with PC = 53 equals the f64 quotient; with PC = 24
    // the f32 one; with PC = 64 it is more precise than both.
    for (fcw, want) in [
        (0x027fu16, Some((1.0f64 / 3.0).to_bits())),
        (0x007f, Some(((1.0f32 / 3.0) as f64).to_bits())),
        (0x037f, None),
    ] {
        let mut mem = vec![0u8; 8];
        mem[0..2].copy_from_slice(&fcw.to_le_bytes());
        let init = with_stack(&[ext(1.0), ext(3.0)]);
        let (s, _) = run_x87(&[0xd9, 0x2f, 0xd8, 0xf1], &init, &mem);
        let r = st(&s, 0);
        match want {
            Some(bits) => assert_eq!(r, ext(f64::from_bits(bits)), "fcw {fcw:#x}"),
            None => assert_eq!(r, 0x3ffd_aaaa_aaaa_aaaa_aaab),
        }
    }
    // RC: 1 + 2^-64 (inexact) under round-up gives 1 + 2^-63 and C1 = 1.
    let mut mem = vec![0u8; 8];
    mem[0..2].copy_from_slice(&0x0b7fu16.to_le_bytes());
    let tiny = 0x3fbf_8000_0000_0000_0000u128;
    let (s, _) = run_x87(
        &[0xd9, 0x2f, 0xd8, 0xc1],
        &with_stack(&[ext(1.0), tiny]),
        &mem,
    );
    assert_eq!(st(&s, 0), ext(1.0) + 1);
    assert_ne!(s.x87.fsw & sw::C1, 0);
    // FRNDINT by RC: 2.5 → 2 (nearest), 3 (up).
    let (s, _) = run_x87(&[0xd9, 0xfc], &with_stack(&[ext(2.5)]), &[]);
    assert_eq!(st(&s, 0), ext(2.0));
    let (s, _) = run_x87(&[0xd9, 0x2f, 0xd9, 0xfc], &with_stack(&[ext(2.5)]), &mem);
    assert_eq!(st(&s, 0), ext(3.0));
}

#[test]
fn compares_set_c0_c2_c3_and_eflags() {
    let pair = |a: f64, b: f64| with_stack(&[ext(a), ext(b)]);
    let nan = 0x7fff_c000_0000_0000_0001u128;
    // fcom st(1): > 000, < C0, = C3, unordered C3 C2 C0.
    for (init, want) in [
        (pair(2.0, 1.0), 0),
        (pair(1.0, 2.0), sw::C0),
        (pair(1.0, 1.0), sw::C3),
        (with_stack(&[nan, ext(1.0)]), sw::C3 | sw::C2 | sw::C0),
    ] {
        let (s, _) = run_x87(&[0xd8, 0xd1], &init, &[]);
        assert_eq!(cc(&s), want);
    }
    // fcom raises IE on a QNaN, fucom does not.
    let (s, _) = run_x87(&[0xd8, 0xd1], &with_stack(&[nan, ext(1.0)]), &[]);
    assert_ne!(s.x87.fsw & sw::IE, 0);
    let (s, _) = run_x87(&[0xdd, 0xe1], &with_stack(&[nan, ext(1.0)]), &[]);
    assert_eq!(s.x87.fsw & sw::IE, 0);
    assert_eq!(cc(&s), sw::C3 | sw::C2 | sw::C0);
    // fcompp pops twice, fucompp too; fcomp once.
    let (s, _) = run_x87(&[0xde, 0xd9], &pair(1.0, 2.0), &[]);
    assert_eq!((s.x87.top, s.x87.ftw, cc(&s)), (0, 0, sw::C0));
    let (s, _) = run_x87(&[0xda, 0xe9], &pair(1.0, 1.0), &[]);
    assert_eq!((s.x87.top, s.x87.ftw), (0, 0));
    let (s, _) = run_x87(&[0xd8, 0xd9], &pair(1.0, 2.0), &[]);
    assert_eq!(s.x87.top, 7);
    // fcomi st(1) then setb al / sete bl / setp cl: EFLAGS CF, ZF, PF.
    let setcc = [0x0f, 0x92, 0xc0, 0x0f, 0x94, 0xc3, 0x0f, 0x9a, 0xc1];
    for (init, want) in [
        (pair(1.0, 2.0), (1, 0, 0)),
        (pair(2.0, 2.0), (0, 1, 0)),
        (pair(3.0, 2.0), (0, 0, 0)),
        (with_stack(&[nan, ext(1.0)]), (1, 1, 1)),
    ] {
        for op in [[0xdb, 0xf1], [0xdb, 0xe9], [0xdf, 0xf1], [0xdf, 0xe9]] {
            let mut code = op.to_vec();
            code.extend_from_slice(&setcc);
            let (s, _) = run_x87(&code, &init, &[]);
            let got = (s.gpr[RAX] & 1, s.gpr[RBX] & 1, s.gpr[RCX] & 1);
            assert_eq!(got, want, "{op:02x?}");
            // The popping forms (DF) pop once.
            assert_eq!(s.x87.top, if op[0] == 0xdf { 7 } else { 6 });
        }
    }
    // ftst: compare with 0.
    let (s, _) = run_x87(&[0xd9, 0xe4], &with_stack(&[ext(-3.0)]), &[]);
    assert_eq!(cc(&s), sw::C0);
    // ficom word [rdi]: 5 vs 5 → C3.
    let mut mem = vec![0u8; 4];
    mem[0..2].copy_from_slice(&5i16.to_le_bytes());
    let (s, _) = run_x87(&[0xde, 0x17], &with_stack(&[ext(5.0)]), &mem);
    assert_eq!(cc(&s), sw::C3);
}

#[test]
fn fxam_classes() {
    let cases = [
        (ext(1.0), sw::C2),
        (ext(-1.0), sw::C2 | sw::C1),
        (0u128, sw::C3),
        (0x7fff_8000_0000_0000_0000, sw::C2 | sw::C0),
        (0x7fff_c000_0000_0000_0000, sw::C0),
        (0x0000_0000_0000_0000_0001, sw::C3 | sw::C2),
        (0x3fff_0000_0000_0000_0001, 0),
    ];
    for (v, want) in cases {
        let (s, _) = run_x87(&[0xd9, 0xe5], &with_stack(&[v]), &[]);
        assert_eq!(cc(&s), want, "{v:#x}");
    }
    // Empty ST(0): C3 C0.
    let (s, _) = run_x87(&[0xd9, 0xe5], &with_stack(&[]), &[]);
    assert_eq!(cc(&s) & !sw::C1, sw::C3 | sw::C0);
}

#[test]
fn fcmov_follows_eflags() {
    // cmp eax, ebx sets CF/ZF; then fcmovb st(0), st(1) / fcmove / fcmovbe / fcmovnb.
    for (a, b, op, moves) in [
        (1u64, 2u64, [0xda, 0xc1], true),
        (2, 1, [0xda, 0xc1], false),
        (2, 2, [0xda, 0xc9], true),
        (1, 2, [0xda, 0xd1], true),
        (3, 2, [0xda, 0xd1], false),
        (3, 2, [0xdb, 0xc1], true),
        (2, 2, [0xdb, 0xc9], false),
        (3, 2, [0xdb, 0xd1], true),
    ] {
        let mut init = with_stack(&[ext(10.0), ext(20.0)]);
        init.gpr[RAX] = a;
        init.gpr[RBX] = b;
        let mut code = vec![0x39, 0xd8];
        code.extend_from_slice(&op);
        let (s, _) = run_x87(&code, &init, &[]);
        let want = if moves { 20.0 } else { 10.0 };
        assert_eq!(to_f64(st(&s, 0)), want, "{a} {b} {op:02x?}");
    }
    // fcmovu / fcmovnu read PF (set by cmp of 0 with 3: result 0xfd, odd parity → PF = 0).
    let mut init = with_stack(&[ext(10.0), ext(20.0)]);
    init.gpr[RAX] = 0;
    init.gpr[RBX] = 3;
    let (s, _) = run_x87(&[0x39, 0xd8, 0xda, 0xd9], &init, &[]);
    assert_eq!(to_f64(st(&s, 0)), 10.0);
    let (s, _) = run_x87(&[0x39, 0xd8, 0xdb, 0xd9], &init, &[]);
    assert_eq!(to_f64(st(&s, 0)), 20.0);
}

#[test]
fn stack_management_and_faults() {
    // fxch st(2)
    let (s, _) = run_x87(
        &[0xd9, 0xca],
        &with_stack(&[ext(1.0), ext(2.0), ext(3.0)]),
        &[],
    );
    assert_eq!((st(&s, 0), st(&s, 2)), (ext(3.0), ext(1.0)));
    // ffree st(1); fincstp; fdecstp; fdecstp
    let (s, _) = run_x87(&[0xdd, 0xc1], &with_stack(&[ext(1.0), ext(2.0)]), &[]);
    assert!(empty(&s, 1) && !empty(&s, 0));
    let (s, _) = run_x87(&[0xd9, 0xf7], &with_stack(&[ext(1.0)]), &[]);
    assert_eq!((s.x87.top, s.x87.ftw), (0, 0x80));
    let (s, _) = run_x87(&[0xd9, 0xf6, 0xd9, 0xf6], &with_stack(&[ext(1.0)]), &[]);
    assert_eq!(s.x87.top, 5);
    // fld st(0); fst st(3); fstp st(1)
    let (s, _) = run_x87(
        &[0xd9, 0xc0, 0xdd, 0xd3, 0xdd, 0xd9],
        &with_stack(&[ext(4.0), ext(5.0), ext(6.0)]),
        &[],
    );
    assert_eq!(s.x87.top, 5);
    assert_eq!(
        (st(&s, 0), st(&s, 1), st(&s, 2)),
        (ext(4.0), ext(5.0), ext(4.0))
    );
    // Nine pushes: the ninth overflows (IE, SF, C1 = 1) and leaves the indefinite.
    let code: Vec<u8> = [0xd9, 0xe8].repeat(9);
    let (s, _) = run_x87(&code, &with_stack(&[]), &[]);
    assert_eq!(
        s.x87.fsw & (sw::IE | sw::SF | sw::C1),
        sw::IE | sw::SF | sw::C1
    );
    assert_eq!(st(&s, 0), INDEFINITE);
    // Arithmetic on an empty register: underflow (C1 = 0), the indefinite.
    let (s, _) = run_x87(&[0xd8, 0xc1], &with_stack(&[ext(1.0)]), &[]);
    assert_eq!(s.x87.fsw & (sw::IE | sw::SF | sw::C1), sw::IE | sw::SF);
    assert_eq!(st(&s, 0), INDEFINITE);
    // fnclex clears the exception flags; fninit empties the stack.
    let mut init = with_stack(&[ext(1.0)]);
    init.x87.fsw = 0x80ff | sw::C3;
    let (s, _) = run_x87(&[0xdb, 0xe2], &init, &[]);
    assert_eq!(s.x87.fsw, sw::C3);
    let (s, _) = run_x87(&[0xdb, 0xe3], &init, &[]);
    assert_eq!(
        (s.x87.fcw, s.x87.fsw, s.x87.top, s.x87.ftw),
        (0x37f, 0, 0, 0)
    );
    // fnstsw ax after a compare: C0 and TOP visible to sahf-style code.
    let (s, _) = run_x87(
        &[0xd8, 0xd1, 0xdf, 0xe0],
        &with_stack(&[ext(1.0), ext(2.0)]),
        &[],
    );
    assert_eq!(s.gpr[RAX] as u16, sw::C0 | 6 << 11);
}

#[test]
fn unary_operations() {
    let one = |v: f64, op: u8| run_x87(&[0xd9, op], &with_stack(&[ext(v)]), &[]).0;
    assert_eq!(st(&one(2.0, 0xe0), 0), ext(-2.0)); // fchs
    assert_eq!(st(&one(-2.0, 0xe1), 0), ext(2.0)); // fabs
    let s = one(2.0, 0xfa); // fsqrt
    assert_eq!(st(&s, 0), 0x3fff_b504_f333_f9de_6484);
    assert_ne!(s.x87.fsw & sw::PE, 0);
    assert_eq!(st(&one(-2.0, 0xfa), 0), INDEFINITE);
    assert_eq!(st(&one(2.5, 0xfc), 0), ext(2.0)); // frndint
    // fscale: 3 · 2^trunc(2.7) = 12.
    let (s, _) = run_x87(&[0xd9, 0xfd], &with_stack(&[ext(3.0), ext(2.7)]), &[]);
    assert_eq!(st(&s, 0), ext(12.0));
    // fxtract: 12 → ST(0) = 1.5, ST(1) = 3.
    let s = one(12.0, 0xf4);
    assert_eq!((st(&s, 0), st(&s, 1)), (ext(1.5), ext(3.0)));
    // fprem: 7 rem 2 = 1, quotient 3 (C1 = 1, C3 = 1); fprem1: -1, quotient 4 (C0).
    let (s, _) = run_x87(&[0xd9, 0xf8], &with_stack(&[ext(7.0), ext(2.0)]), &[]);
    assert_eq!((st(&s, 0), cc(&s)), (ext(1.0), sw::C1 | sw::C3));
    let (s, _) = run_x87(&[0xd9, 0xf5], &with_stack(&[ext(7.0), ext(2.0)]), &[]);
    assert_eq!((st(&s, 0), cc(&s)), (ext(-1.0), sw::C0));
    // fprem of a huge quotient is partial: C2 = 1, then completes in a loop.
    let (s, _) = run_x87(&[0xd9, 0xf8], &with_stack(&[ext(1e300), ext(3.0)]), &[]);
    assert_ne!(cc(&s) & sw::C2, 0);
    let mut code = Vec::new();
    for _ in 0..40 {
        code.extend_from_slice(&[0xd9, 0xf8]);
    }
    let (s, _) = run_x87(&code, &with_stack(&[ext(1e300), ext(3.0)]), &[]);
    assert_eq!(cc(&s) & sw::C2, 0);
    assert_eq!(to_f64(st(&s, 0)), 1e300 % 3.0);
}

#[test]
fn transcendentals_within_53_bits() {
    let close = |got: u128, want: f64| {
        let g = to_f64(got);
        assert!(
            (g - want).abs() <= want.abs() * 2f64.powi(-50),
            "{g} vs {want}"
        );
    };
    let one = |v: f64, op: u8| run_x87(&[0xd9, op], &with_stack(&[ext(v)]), &[]).0;
    close(st(&one(0.5, 0xfe), 0), 0.5f64.sin());
    close(st(&one(0.5, 0xff), 0), 0.5f64.cos());
    let s = one(0.5, 0xfb); // fsincos: ST(0) = cos, ST(1) = sin
    close(st(&s, 0), 0.5f64.cos());
    close(st(&s, 1), 0.5f64.sin());
    let s = one(0.5, 0xf2); // fptan pushes 1
    assert_eq!(st(&s, 0), ext(1.0));
    close(st(&s, 1), 0.5f64.tan());
    close(st(&one(0.5, 0xf0), 0), 2f64.sqrt() - 1.0); // f2xm1
    // fpatan: atan2(ST(1), ST(0)), pop.
    let (s, _) = run_x87(&[0xd9, 0xf3], &with_stack(&[ext(2.0), ext(1.0)]), &[]);
    close(st(&s, 0), 1f64.atan2(2.0));
    // fyl2x: ST(1) · log2(ST(0)) = 3 · log2(10); fyl2xp1: 2 · log2(1.25).
    let (s, _) = run_x87(&[0xd9, 0xf1], &with_stack(&[ext(10.0), ext(3.0)]), &[]);
    close(st(&s, 0), 3.0 * 10f64.log2());
    assert_eq!(s.x87.top, 7);
    let (s, _) = run_x87(&[0xd9, 0xf9], &with_stack(&[ext(0.25), ext(2.0)]), &[]);
    close(st(&s, 0), 2.0 * 1.25f64.log2());
    // |x| ≥ 2^63: C2 = 1 and the operand unchanged.
    let s = one(1e19, 0xfe);
    assert_eq!((st(&s, 0), cc(&s) & sw::C2), (ext(1e19), sw::C2));
}

#[test]
fn environment_and_state_images() {
    let init = with_stack(&[ext(1.0), ext(-2.0)]);
    // fnstenv [rdi]: FCW, FSW (TOP 6), full tag word (R6, R7 valid: 00), then masks all.
    let mut init2 = init;
    init2.x87.fcw = 0x0b72;
    let (s, m) = run_x87(&[0xd9, 0x37], &init2, &[]);
    assert_eq!(u16::from_le_bytes([m[0], m[1]]), 0x0b72);
    assert_eq!(u16::from_le_bytes([m[4], m[5]]), 6 << 11);
    assert_eq!(u16::from_le_bytes([m[8], m[9]]), 0x0fff);
    assert_eq!(s.x87.fcw, 0x0b7f);
    // fldenv [rdi] from that image restores it.
    let (s, _) = run_x87(&[0xd9, 0x27], &with_stack(&[]), &m);
    assert_eq!((s.x87.fcw, s.x87.top, s.x87.ftw), (0x0b72, 6, 0xc0));
    // fnsave [rdi] stores ST(0) at 28 and reinitialises; frstor [rdi] brings all back.
    let (s, m) = run_x87(&[0xdd, 0x37], &init, &[]);
    assert_eq!(&m[28..38], &ext(1.0).to_le_bytes()[..10]);
    assert_eq!(&m[38..48], &ext(-2.0).to_le_bytes()[..10]);
    assert_eq!((s.x87.fcw, s.x87.ftw, s.x87.top), (0x37f, 0, 0));
    let (s, _) = run_x87(&[0xdd, 0x27], &with_stack(&[]), &m);
    assert_eq!((st(&s, 0), st(&s, 1), s.x87.top), (ext(1.0), ext(-2.0), 6));
    // fxsave64 [rdi]; fxsave [rdi] (same layout for what xarch stores).
    let mut init3 = init;
    init3.mxcsr = 0x3f80; // RC = down
    init3.xmm[3] = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
    for code in [[0x48u8, 0x0f, 0xae, 0x07], [0x90, 0x0f, 0xae, 0x07]] {
        let (_, m) = run_x87(&code, &init3, &[0xee; 600]);
        assert_eq!(u16::from_le_bytes([m[0], m[1]]), 0x37f);
        assert_eq!(u16::from_le_bytes([m[2], m[3]]), 6 << 11);
        assert_eq!(m[4], 0xc0);
        // The sticky flags are the host's (see lift/mxcsr.rs): compare the control bits.
        assert_eq!(
            u32::from_le_bytes(m[24..28].try_into().unwrap()) & !0x3f,
            0x3f80
        );
        assert_eq!(u32::from_le_bytes(m[28..32].try_into().unwrap()), 0xffff);
        assert_eq!(&m[32..48], &ext(1.0).to_le_bytes());
        assert_eq!(&m[48..64], &ext(-2.0).to_le_bytes());
        assert_eq!(
            u128::from_le_bytes(m[160 + 48..160 + 64].try_into().unwrap()),
            init3.xmm[3]
        );
        assert_eq!(m[416], 0xee, "bytes 416–511 untouched");
        // fxrstor64 [rdi] into a clean state restores x87, MXCSR and XMM.
        let (s, _) = run_x87(&[0x48, 0x0f, 0xae, 0x0f], &with_stack(&[]), &m);
        assert_eq!((st(&s, 0), st(&s, 1), s.x87.top), (ext(1.0), ext(-2.0), 6));
        assert_eq!((s.mxcsr & !0x3f, s.xmm[3]), (0x3f80, init3.xmm[3]));
        // A reserved MXCSR bit in the image is #GP: the block exits to the fault tag.
        let mut bad = m.clone();
        bad[26] = 1;
        let (_, e, _) = run_with_mem(&[0x48, 0x0f, 0xae, 0x0f, 0x90], &with_stack(&[]), &bad);
        assert_eq!(e, BlockExit::Jump(xarch_isa_x86::GP_FAULT_TAG | CODE));
    }
}

#[test]
fn cpuid_advertises_fpu_fxsr_and_cmov() {
    // CPUID.1:EDX bit 0 FPU, bit 15 CMOV (with FPU: FCMOVcc, FCOMI), bit 24 FXSR.
    let edx = xarch_isa_x86::CPUID1_EDX;
    assert_eq!(edx & (1 | 1 << 15 | 1 << 24), 1 | 1 << 15 | 1 << 24);
}

#[test]
fn packed_bcd_loads_and_stores() {
    // fbld [rdi]: -123456789012345678 (digits two per byte, low nibble first, sign in byte 9).
    let mut mem = vec![0u8; 48];
    mem[0..10].copy_from_slice(&[0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80]);
    // fbld [rdi]; fbstp [rdi+16]: the round trip is exact.
    let (s, m) = run_x87(&[0xdf, 0x27, 0xdf, 0x77, 0x10], &with_stack(&[]), &mem);
    assert_eq!(&m[16..26], &mem[0..10]);
    assert_eq!(s.x87.ftw, 0, "FBSTP pops");
    let (s, _) = run_x87(&[0xdf, 0x27], &with_stack(&[]), &mem);
    // 57 significant bits: exact in the 80-bit format (not in an f64).
    let n: u64 = 123_456_789_012_345_678;
    let lz = n.leading_zeros();
    let expect = 1 << 79 | u128::from(16383 + 63 - lz) << 64 | u128::from(n << lz);
    assert_eq!(st(&s, 0), expect);
    // fbstp [rdi]: 1234.5678 rounds by RC (nearest: 1235, C1 = 1 as it rounded up; PE).
    let (s, m) = run_x87(&[0xdf, 0x37], &with_stack(&[ext(1234.5678)]), &[0; 16]);
    assert_eq!(&m[0..10], &[0x35, 0x12, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(s.x87.fsw & (sw::PE | sw::C1), sw::PE | sw::C1);
    // -0.3 to nearest is -0: the sign byte keeps the sign (as the host CPU stores it).
    let (_, m) = run_x87(&[0xdf, 0x37], &with_stack(&[ext(-0.3)]), &[0; 16]);
    assert_eq!(&m[0..10], &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]);
    // 10^18 does not fit 18 digits: IE and the packed BCD indefinite.
    let (s, m) = run_x87(&[0xdf, 0x37], &with_stack(&[ext(1e18)]), &[0; 16]);
    assert_eq!(&m[0..10], &[0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
    assert_ne!(s.x87.fsw & sw::IE, 0);
}
