//! MMX and the SSE/SSE2/SSSE3 instructions on MMX registers, by encoding: bytes (assembly in
//! the comment), an initial state, the result the SDM's "Operation" gives, worked out by hand.
//! Each runs on tier 0 and compiled, which must agree (`common::run_with_mem`). Every run
//! starts with TOP = 5, an empty-but-one tag word and an x87 value in R7, so the x87 aliasing
//! (SDM Vol. 1 9.5.1: TOP = 0, all tags valid, exponent bits 0xffff for a written register)
//! is checked on each instruction.

mod common;
use common::*;
use xarch_isa_x86::state::X86State;
use xarch_translator::interp::BlockExit;
use xarch_translator::ir::TrapKind;

/// An x87 value (1.0) left in R7 by the "earlier" x87 code.
const ONE: u128 = 0x3fff_8000_0000_0000_0000;

fn init(mm: &[(usize, u64)], xmm: &[(usize, u128)], gprs: &[(usize, u64)]) -> X86State {
    let mut st = state(gprs);
    st.gpr[RDI] = DATA;
    st.x87.top = 5;
    st.x87.ftw = 0x80;
    st.x87.regs[7] = ONE;
    for &(r, v) in mm {
        st.x87.regs[r] = u128::from(v);
    }
    for &(r, v) in xmm {
        st.xmm[r] = v;
    }
    st
}

/// Runs `code` then a NOP; gives the state and the data memory.
fn mrun_full(
    code: &[u8],
    mm: &[(usize, u64)],
    xmm: &[(usize, u128)],
    gprs: &[(usize, u64)],
    mem: &[u8],
) -> (X86State, Vec<u8>) {
    let st = init(mm, xmm, gprs);
    let mut c = code.to_vec();
    c.push(0x90);
    let (s, e, data) = run_with_mem(&c, &st, mem);
    assert_eq!(e, BlockExit::Jump(CODE + c.len() as u64), "{code:02x?}");
    (s, data)
}

/// Checks the x87-to-MMX transition; `written` registers have exponent bits 0xffff, the
/// others keep theirs.
fn check_transition(s: &X86State, written: &[usize], before: &X86State, code: &[u8]) {
    assert_eq!(s.x87.top, 0, "TOP after {code:02x?}");
    assert_eq!(s.x87.ftw, 0xff, "tags after {code:02x?}");
    for r in 0..8 {
        let exp = (s.x87.regs[r] >> 64) as u16;
        if written.contains(&r) {
            assert_eq!(exp, 0xffff, "exponent of R{r} after {code:02x?}");
        } else {
            assert_eq!(s.x87.regs[r], before.x87.regs[r], "R{r} after {code:02x?}");
        }
    }
}

fn mrun(code: &[u8], mm: &[(usize, u64)], gprs: &[(usize, u64)], mem: &[u8]) -> X86State {
    let (s, _) = mrun_full(code, mm, &[], gprs, mem);
    s
}

fn mm(s: &X86State, r: usize) -> u64 {
    s.x87.regs[r] as u64
}

/// `op mm0, mm1` with MM0 = a, MM1 = b: the new MM0 (the transition checked).
fn m(code: &[u8], a: u64, b: u64) -> u64 {
    let before = init(&[(0, a), (1, b)], &[], &[]);
    let s = mrun(code, &[(0, a), (1, b)], &[], &[]);
    check_transition(&s, &[0], &before, code);
    assert_eq!(mm(&s, 1), b, "source changed by {code:02x?}");
    mm(&s, 0)
}

/// `op mm0, mm1` (0F op C1) with MM0 = a, MM1 = b, for each (mnemonic, op, new MM0).
fn ops(a: u64, b: u64, cases: &[(&str, u8, u64)]) {
    for &(name, op, want) in cases {
        let got = m(&[0x0f, op, 0xc1], a, b);
        assert_eq!(got, want, "{name} mm0, mm1 of {a:#018x}, {b:#018x}");
    }
}

fn undefined(code: &[u8]) {
    let mut c = vec![0x90];
    c.extend_from_slice(code);
    let (_, e) = run(&c, &init(&[], &[], &[]));
    assert_eq!(
        e,
        BlockExit::Trap(TrapKind::Undefined, CODE + 1),
        "{code:02x?}"
    );
}

fn b8(b: [u8; 8]) -> u64 {
    u64::from_le_bytes(b)
}

fn w4(w: [u16; 4]) -> u64 {
    (0..4).fold(0, |acc, k| acc | (u64::from(w[k]) << (16 * k)))
}

fn d2(lo: u32, hi: u32) -> u64 {
    u64::from(lo) | (u64::from(hi) << 32)
}

#[test]
fn aliasing_and_emms() {
    // movq mm0, mm1: MM0 written (exponent 0xffff), TOP 0, all valid; R7's 1.0 kept.
    let before = init(&[(1, 0x1122_3344_5566_7788)], &[], &[]);
    let s = mrun(&[0x0f, 0x6f, 0xc1], &[(1, 0x1122_3344_5566_7788)], &[], &[]);
    check_transition(&s, &[0], &before, &[]);
    assert_eq!(s.x87.regs[0], 0xffff_1122_3344_5566_7788);
    assert_eq!(s.x87.regs[7], ONE);
    // emms: the tag word empties, TOP stays.
    let s = mrun(&[0x0f, 0x77], &[], &[], &[]);
    assert_eq!((s.x87.ftw, s.x87.top), (0, 5));
    // movq mm0, mm1 ; emms: TOP 0, empty.
    let s = mrun(&[0x0f, 0x6f, 0xc1, 0x0f, 0x77], &[(1, 7)], &[], &[]);
    assert_eq!((s.x87.ftw, s.x87.top, mm(&s, 0)), (0, 0, 7));
    // fld1 after MMX code sees TOP 0 -> pushes into R7 (the x87 view of MM7).
    let s = mrun(
        &[0x0f, 0x6f, 0xc1, 0x0f, 0x77, 0xd9, 0xe8],
        &[(1, 7)],
        &[],
        &[],
    );
    assert_eq!((s.x87.top, s.x87.ftw, s.x87.regs[7]), (7, 0x80, ONE));
    // An MMX register read (movd eax, mm3) also transitions, writes no register.
    let before = init(&[(3, 0xaaaa_bbbb_cccc_dddd)], &[], &[]);
    let s = mrun(&[0x0f, 0x7e, 0xd8], &[(3, 0xaaaa_bbbb_cccc_dddd)], &[], &[]);
    check_transition(&s, &[], &before, &[]);
    assert_eq!(s.gpr[RAX], 0xcccc_dddd);
    // REX.R/REX.B do not extend MMX register numbers: 4d 0f 6f c1 is movq mm0, mm1.
    let s = mrun(&[0x4d, 0x0f, 0x6f, 0xc1], &[(1, 9)], &[], &[]);
    assert_eq!(mm(&s, 0), 9);
}

#[test]
fn movd_movq() {
    let g = [(RAX, 0xdead_beef_1234_5678u64), (8, 0x0102_0304_0506_0708)];
    // movd mm2, eax / movq mm2, rax / movd mm2, r8d (REX.B picks the GPR).
    let s = mrun(&[0x0f, 0x6e, 0xd0], &[(2, u64::MAX)], &g, &[]);
    assert_eq!(s.x87.regs[2], 0xffff_0000_0000_1234_5678);
    let s = mrun(&[0x48, 0x0f, 0x6e, 0xd0], &[], &g, &[]);
    assert_eq!(mm(&s, 2), 0xdead_beef_1234_5678);
    let s = mrun(&[0x41, 0x0f, 0x6e, 0xd0], &[], &g, &[]);
    assert_eq!(mm(&s, 2), 0x0506_0708);
    // movd ecx, mm2 (upper half of RCX zeroed) / movq rcx, mm2 / movd [rdi], mm2.
    let v = 0x8877_6655_4433_2211u64;
    let s = mrun(&[0x0f, 0x7e, 0xd1], &[(2, v)], &[(RCX, u64::MAX)], &[]);
    assert_eq!(s.gpr[RCX], 0x4433_2211);
    let s = mrun(&[0x48, 0x0f, 0x7e, 0xd1], &[(2, v)], &[], &[]);
    assert_eq!(s.gpr[RCX], v);
    let (s, data) = mrun_full(&[0x0f, 0x7e, 0x17], &[(2, v)], &[], &[], &[0xee; 8]);
    assert_eq!(data[..8], [0x11, 0x22, 0x33, 0x44, 0xee, 0xee, 0xee, 0xee]);
    assert_eq!((s.x87.top, s.x87.ftw), (0, 0xff));
    // movd mm2, [rdi] / movq mm2, [rdi] / movq [rdi], mm2 / movntq [rdi], mm2.
    let mem: Vec<u8> = (1..=8).collect();
    let s = mrun(&[0x0f, 0x6e, 0x17], &[], &[], &mem);
    assert_eq!(mm(&s, 2), 0x0403_0201);
    let s = mrun(&[0x0f, 0x6f, 0x17], &[], &[], &mem);
    assert_eq!(mm(&s, 2), 0x0807_0605_0403_0201);
    assert_eq!((s.x87.regs[2] >> 64) as u16, 0xffff);
    for code in [[0x0f, 0x7f, 0x17], [0x0f, 0xe7, 0x17]] {
        let (s, data) = mrun_full(&code, &[(2, v)], &[], &[], &[]);
        assert_eq!(data[..8], v.to_le_bytes());
        assert_eq!((s.x87.top, s.x87.ftw), (0, 0xff));
    }
    // movq mm3, mm2 (7F form, register destination).
    let s = mrun(&[0x0f, 0x7f, 0xd3], &[(2, v)], &[], &[]);
    assert_eq!(s.x87.regs[3], 0xffff_0000_0000_0000_0000 | u128::from(v));
    // movntq with a register operand is #UD.
    undefined(&[0x0f, 0xe7, 0xd3]);
}

#[test]
fn add_sub_saturating() {
    let a = b8([0x01, 0xff, 0x7f, 0x80, 0x10, 0x00, 0xfe, 0x81]);
    let b = b8([0x01, 0x02, 0x01, 0xff, 0xf0, 0x00, 0x03, 0x81]);
    ops(
        a,
        b,
        &[
            ("paddb", 0xfc, b8([2, 1, 0x80, 0x7f, 0, 0, 1, 2])),
            ("paddsb", 0xec, b8([2, 1, 0x7f, 0x80, 0, 0, 1, 0x80])),
            (
                "paddusb",
                0xdc,
                b8([2, 0xff, 0x80, 0xff, 0xff, 0, 0xff, 0xff]),
            ),
            ("psubb", 0xf8, b8([0, 0xfd, 0x7e, 0x81, 0x20, 0, 0xfb, 0])),
            ("psubsb", 0xe8, b8([0, 0xfd, 0x7e, 0x81, 0x20, 0, 0xfb, 0])),
            ("psubusb", 0xd8, b8([0, 0xfd, 0x7e, 0, 0, 0, 0xfb, 0])),
        ],
    );
    // psubsb 0x80 - 0x01 = -128 - 1 saturates to 0x80; 0x7f - 0xff = 127 + 1 to 0x7f.
    ops(
        b8([0x80, 0x7f, 0, 0, 0, 0, 0, 0]),
        b8([1, 0xff, 0, 0, 0, 0, 0, 0]),
        &[("psubsb", 0xe8, b8([0x80, 0x7f, 0, 0, 0, 0, 0, 0]))],
    );
    ops(
        w4([0x7fff, 0x8000, 0xffff, 0x0001]),
        w4([0x0001, 0xffff, 0x0001, 0x0002]),
        &[
            ("paddw", 0xfd, w4([0x8000, 0x7fff, 0, 3])),
            ("paddsw", 0xed, w4([0x7fff, 0x8000, 0, 3])),
            ("paddusw", 0xdd, w4([0x8000, 0xffff, 0xffff, 3])),
            ("psubw", 0xf9, w4([0x7ffe, 0x8001, 0xfffe, 0xffff])),
            ("psubsw", 0xe9, w4([0x7ffe, 0x8001, 0xfffe, 0xffff])),
            ("psubusw", 0xd9, w4([0x7ffe, 0, 0xfffe, 0])),
        ],
    );
    ops(
        d2(0xffff_ffff, 5),
        d2(1, 7),
        &[
            ("paddd", 0xfe, d2(0, 12)),
            ("psubd", 0xfa, d2(0xffff_fffe, 0xffff_fffe)),
            ("paddq", 0xd4, d2(0, 13)),
        ],
    );
    ops(0, 1, &[("psubq", 0xfb, u64::MAX)]);
    // paddb mm0, [rdi].
    let s = mrun(
        &[0x0f, 0xfc, 0x07],
        &[(0, 0x0101_0101_0101_0101)],
        &[],
        &(1..=8).collect::<Vec<u8>>(),
    );
    assert_eq!(mm(&s, 0), 0x0908_0706_0504_0302);
}

#[test]
fn compares_and_logic() {
    ops(
        b8([1, 2, 3, 0x80, 5, 6, 7, 8]),
        b8([1, 0, 3, 0x7f, 0, 6, 0, 9]),
        &[
            ("pcmpeqb", 0x74, b8([0xff, 0, 0xff, 0, 0, 0xff, 0, 0])),
            ("pcmpgtb", 0x64, b8([0, 0xff, 0, 0, 0xff, 0, 0xff, 0])),
        ],
    );
    ops(
        w4([1, 0x8000, 3, 4]),
        w4([1, 1, 4, 3]),
        &[
            ("pcmpeqw", 0x75, w4([0xffff, 0, 0, 0])),
            ("pcmpgtw", 0x65, w4([0, 0, 0, 0xffff])),
        ],
    );
    ops(d2(5, 6), d2(5, 7), &[("pcmpeqd", 0x76, d2(u32::MAX, 0))]);
    ops(
        d2(5, 0x8000_0000),
        d2(4, 7),
        &[("pcmpgtd", 0x66, d2(u32::MAX, 0))],
    );
    let a = 0xff00_ff00_f0f0_1234u64;
    let b = 0x0f0f_0f0f_ffff_4321u64;
    ops(
        a,
        b,
        &[
            ("pand", 0xdb, a & b),
            ("pandn", 0xdf, !a & b),
            ("por", 0xeb, a | b),
            ("pxor", 0xef, a ^ b),
        ],
    );
}

#[test]
fn unpacks_and_packs() {
    let a = b8([0, 1, 2, 3, 4, 5, 6, 7]);
    let b = b8([0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17]);
    ops(
        a,
        b,
        &[
            ("punpcklbw", 0x60, b8([0, 0x10, 1, 0x11, 2, 0x12, 3, 0x13])),
            ("punpckhbw", 0x68, b8([4, 0x14, 5, 0x15, 6, 0x16, 7, 0x17])),
            ("punpcklwd", 0x61, b8([0, 1, 0x10, 0x11, 2, 3, 0x12, 0x13])),
            ("punpckhwd", 0x69, b8([4, 5, 0x14, 0x15, 6, 7, 0x16, 0x17])),
            ("punpckldq", 0x62, b8([0, 1, 2, 3, 0x10, 0x11, 0x12, 0x13])),
            ("punpckhdq", 0x6a, b8([4, 5, 6, 7, 0x14, 0x15, 0x16, 0x17])),
        ],
    );
    // punpcklbw mm0, [rdi] reads an m32 (the last 4 bytes of the data page are enough).
    let s = mrun(
        &[0x0f, 0x60, 0x07],
        &[(0, a)],
        &[],
        &[0x10, 0x11, 0x12, 0x13, 0xaa, 0xaa, 0xaa, 0xaa],
    );
    assert_eq!(mm(&s, 0), b8([0, 0x10, 1, 0x11, 2, 0x12, 3, 0x13]));
    // packsswb: dest's four words, then src's, saturated to signed bytes.
    let a = w4([0x0001, 0x0100, 0xff00, 0xfffe]);
    let b = w4([0x007f, 0x0080, 0xff80, 0xff7f]);
    assert_eq!(
        m(&[0x0f, 0x63, 0xc1], a, b),
        b8([1, 0x7f, 0x80, 0xfe, 0x7f, 0x7f, 0x80, 0x80])
    );
    // packuswb: to unsigned bytes.
    assert_eq!(
        m(&[0x0f, 0x67, 0xc1], a, b),
        b8([1, 0xff, 0, 0, 0x7f, 0x80, 0, 0])
    );
    // packssdw: dwords to signed words.
    assert_eq!(
        m(
            &[0x0f, 0x6b, 0xc1],
            d2(0x0001_0000, 0xffff_fff0),
            d2(0x7fff, 0x8000_0000)
        ),
        w4([0x7fff, 0xfff0, 0x7fff, 0x8000])
    );
}

#[test]
fn shifts() {
    let a = w4([0x8001, 0x4002, 0x0003, 0xffff]);
    // psllw / psrlw / psraw mm0, mm1 by 1; by 16 (all out, or sign fill).
    assert_eq!(
        m(&[0x0f, 0xf1, 0xc1], a, 1),
        w4([0x0002, 0x8004, 0x0006, 0xfffe])
    );
    assert_eq!(
        m(&[0x0f, 0xd1, 0xc1], a, 1),
        w4([0x4000, 0x2001, 0x0001, 0x7fff])
    );
    assert_eq!(
        m(&[0x0f, 0xe1, 0xc1], a, 1),
        w4([0xc000, 0x2001, 0x0001, 0xffff])
    );
    assert_eq!(m(&[0x0f, 0xf1, 0xc1], a, 16), 0);
    assert_eq!(
        m(&[0x0f, 0xe1, 0xc1], a, 1 << 40),
        w4([0xffff, 0, 0, 0xffff])
    );
    // pslld / psrld / psrad; psllq / psrlq by mm.
    let a = d2(0x8000_0001, 0x0000_00f0);
    assert_eq!(m(&[0x0f, 0xf2, 0xc1], a, 4), d2(0x0000_0010, 0x0000_0f00));
    assert_eq!(m(&[0x0f, 0xd2, 0xc1], a, 4), d2(0x0800_0000, 0x0000_000f));
    assert_eq!(m(&[0x0f, 0xe2, 0xc1], a, 4), d2(0xf800_0000, 0x0000_000f));
    assert_eq!(m(&[0x0f, 0xf3, 0xc1], 0x8000_0000_0000_0001, 4), 0x10);
    assert_eq!(m(&[0x0f, 0xd3, 0xc1], 0x8000_0000_0000_0001, 63), 1);
    assert_eq!(m(&[0x0f, 0xd3, 0xc1], 0x8000_0000_0000_0001, 64), 0);
    // psrlq mm0, [rdi] (count 8 from memory).
    let s = mrun(
        &[0x0f, 0xd3, 0x07],
        &[(0, 0x1122_3344_5566_7788)],
        &[],
        &[8, 0, 0, 0, 0, 0, 0, 0],
    );
    assert_eq!(mm(&s, 0), 0x0011_2233_4455_6677);
    // Immediate forms on mm2: psrlw 4 / psraw 4 / psllw 4 (0F 71 /2 /4 /6).
    let v = w4([0x8421, 0x1248, 0xf000, 0x000f]);
    let im = |code: &[u8]| {
        let before = init(&[(2, v)], &[], &[]);
        let s = mrun(code, &[(2, v)], &[], &[]);
        check_transition(&s, &[2], &before, code);
        mm(&s, 2)
    };
    assert_eq!(
        im(&[0x0f, 0x71, 0xd2, 4]),
        w4([0x0842, 0x0124, 0x0f00, 0x0000])
    );
    assert_eq!(
        im(&[0x0f, 0x71, 0xe2, 4]),
        w4([0xf842, 0x0124, 0xff00, 0x0000])
    );
    assert_eq!(
        im(&[0x0f, 0x71, 0xf2, 4]),
        w4([0x4210, 0x2480, 0x0000, 0x00f0])
    );
    assert_eq!(im(&[0x0f, 0x71, 0xe2, 200]), w4([0xffff, 0, 0xffff, 0]));
    // psrld / psrad / pslld by 8 (0F 72).
    let v2 = d2(0x8421_1248, 0x0000_00ff);
    let s = mrun(&[0x0f, 0x72, 0xe2, 8], &[(2, v2)], &[], &[]);
    assert_eq!(mm(&s, 2), d2(0xff84_2112, 0));
    let s = mrun(&[0x0f, 0x72, 0xd2, 8], &[(2, v2)], &[], &[]);
    assert_eq!(mm(&s, 2), d2(0x0084_2112, 0));
    let s = mrun(&[0x0f, 0x72, 0xf2, 8], &[(2, v2)], &[], &[]);
    assert_eq!(mm(&s, 2), d2(0x2112_4800, 0x0000_ff00));
    // psrlq / psllq by 12 (0F 73 /2 /6).
    let s = mrun(
        &[0x0f, 0x73, 0xd2, 12],
        &[(2, 0x1234_5678_9abc_def0)],
        &[],
        &[],
    );
    assert_eq!(mm(&s, 2), 0x0001_2345_6789_abcd);
    let s = mrun(
        &[0x0f, 0x73, 0xf2, 12],
        &[(2, 0x1234_5678_9abc_def0)],
        &[],
        &[],
    );
    assert_eq!(mm(&s, 2), 0x4567_89ab_cdef_0000);
    // 0F 73 /3 and /7 (PSRLDQ/PSLLDQ) exist only for XMM; 0F 72 /3 does not exist.
    undefined(&[0x0f, 0x73, 0xda, 1]);
    undefined(&[0x0f, 0x73, 0xfa, 1]);
    undefined(&[0x0f, 0x72, 0xda, 1]);
}

#[test]
fn multiplies() {
    let a = w4([0x7fff, 0x8000, 0xffff, 0x0100]);
    let b = w4([0x0002, 0x8000, 0xffff, 0x0300]);
    // pmullw / pmulhw / pmulhuw.
    assert_eq!(m(&[0x0f, 0xd5, 0xc1], a, b), w4([0xfffe, 0, 1, 0]));
    assert_eq!(m(&[0x0f, 0xe5, 0xc1], a, b), w4([0, 0x4000, 0, 0x0003]));
    assert_eq!(
        m(&[0x0f, 0xe4, 0xc1], a, b),
        w4([0, 0x4000, 0xfffe, 0x0003])
    );
    // pmaddwd: 0x7fff*2 + (-32768)*(-32768) = 0x4000fffe; -1*-1 + 256*768 = 0x30001.
    assert_eq!(m(&[0x0f, 0xf5, 0xc1], a, b), d2(0x4000_fffe, 0x0003_0001));
    // pmaddwd's one overflow: all four 0x8000 gives 0x80000000.
    assert_eq!(
        m(&[0x0f, 0xf5, 0xc1], w4([0x8000; 4]), w4([0x8000; 4])),
        d2(0x8000_0000, 0x8000_0000)
    );
    // pmuludq: the low dwords, unsigned, to 64 bits.
    assert_eq!(
        m(&[0x0f, 0xf4, 0xc1], d2(0xffff_ffff, 9), d2(0xffff_ffff, 9)),
        0xffff_fffe_0000_0001
    );
}

#[test]
fn sse_integer_additions() {
    // pshufw mm0, mm1, 0x1b (reverse) / 0x00 (broadcast word 0).
    let b = w4([0x1111, 0x2222, 0x3333, 0x4444]);
    assert_eq!(
        m(&[0x0f, 0x70, 0xc1, 0x1b], 0, b),
        w4([0x4444, 0x3333, 0x2222, 0x1111])
    );
    assert_eq!(m(&[0x0f, 0x70, 0xc1, 0x00], 0, b), w4([0x1111; 4]));
    // pinsrw mm0, eax, 6 (index mod 4 = 2) / pinsrw mm0, [rdi], 1.
    let s = mrun(
        &[0x0f, 0xc4, 0xc0, 6],
        &[(0, b)],
        &[(RAX, 0xabcd_9999)],
        &[],
    );
    assert_eq!(mm(&s, 0), w4([0x1111, 0x2222, 0x9999, 0x4444]));
    let s = mrun(&[0x0f, 0xc4, 0x07, 1], &[(0, b)], &[], &[0x34, 0x12]);
    assert_eq!(mm(&s, 0), w4([0x1111, 0x1234, 0x3333, 0x4444]));
    // pextrw ecx, mm1, 7 (index 3): zero-extended into RCX.
    let before = init(&[(1, b)], &[], &[(RCX, u64::MAX)]);
    let s = mrun(&[0x0f, 0xc5, 0xc9, 7], &[(1, b)], &[(RCX, u64::MAX)], &[]);
    assert_eq!(s.gpr[RCX], 0x4444);
    check_transition(&s, &[], &before, &[]);
    // pmovmskb eax, mm1.
    let s = mrun(
        &[0x0f, 0xd7, 0xc1],
        &[(1, b8([0x80, 0, 0xff, 0x7f, 0, 0, 0, 0x81]))],
        &[(RAX, u64::MAX)],
        &[],
    );
    assert_eq!(s.gpr[RAX], 0b1000_0101);
    // pavgb / pavgw: rounded up.
    assert_eq!(
        m(
            &[0x0f, 0xe0, 0xc1],
            b8([0, 1, 255, 2, 0, 0, 0, 0]),
            b8([1, 1, 255, 5, 0, 0, 0, 0])
        ),
        b8([1, 1, 255, 4, 0, 0, 0, 0])
    );
    assert_eq!(
        m(
            &[0x0f, 0xe3, 0xc1],
            w4([0xffff, 1, 0, 0]),
            w4([0xfffe, 2, 0, 0])
        ),
        w4([0xffff, 2, 0, 0])
    );
    // pminub / pmaxub / pminsw / pmaxsw.
    let a = b8([1, 0x80, 5, 0, 0, 0, 0, 0xff]);
    let c = b8([2, 0x7f, 5, 0, 0, 0, 0, 0]);
    assert_eq!(
        m(&[0x0f, 0xda, 0xc1], a, c),
        b8([1, 0x7f, 5, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        m(&[0x0f, 0xde, 0xc1], a, c),
        b8([2, 0x80, 5, 0, 0, 0, 0, 0xff])
    );
    let a = w4([0x8000, 1, 0x7fff, 0xffff]);
    let c = w4([0x0001, 0xffff, 0x0000, 0xfffe]);
    assert_eq!(
        m(&[0x0f, 0xea, 0xc1], a, c),
        w4([0x8000, 0xffff, 0, 0xfffe])
    );
    assert_eq!(m(&[0x0f, 0xee, 0xc1], a, c), w4([1, 1, 0x7fff, 0xffff]));
    // psadbw: sum of |a - b| over 8 bytes = 1+1+250+3+0+0+0+255 = 510.
    assert_eq!(
        m(
            &[0x0f, 0xf6, 0xc1],
            b8([0, 2, 5, 3, 0, 0, 0, 255]),
            b8([1, 1, 255, 6, 0, 0, 0, 0])
        ),
        510
    );
}

#[test]
fn maskmovq() {
    // maskmovq mm0, mm1: bytes 0, 2 and 7 of MM0 to [rdi]; the others keep their values.
    let data = b8([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    let mask = b8([0x80, 0x7f, 0xff, 0, 0, 0, 0, 0x81]);
    let (s, mem) = mrun_full(
        &[0x0f, 0xf7, 0xc1],
        &[(0, data), (1, mask)],
        &[],
        &[],
        &[0xaa; 9],
    );
    assert_eq!(
        mem[..9],
        [0x11, 0xaa, 0x33, 0xaa, 0xaa, 0xaa, 0xaa, 0x88, 0xaa]
    );
    assert_eq!((s.x87.top, s.x87.ftw), (0, 0xff));
    // A memory operand is #UD.
    undefined(&[0x0f, 0xf7, 0x07]);
}

#[test]
fn moves_between_mmx_and_xmm() {
    // movq2dq xmm2, mm1: upper half zeroed.
    let (s, _) = mrun_full(
        &[0xf3, 0x0f, 0xd6, 0xd1],
        &[(1, 0x1234)],
        &[(2, u128::MAX)],
        &[],
        &[],
    );
    assert_eq!(s.xmm[2], 0x1234);
    assert_eq!((s.x87.top, s.x87.ftw), (0, 0xff));
    // movdq2q mm2, xmm1.
    let (s, _) = mrun_full(
        &[0xf2, 0x0f, 0xd6, 0xd1],
        &[],
        &[(1, u128::MAX << 64 | 0x5678)],
        &[],
        &[],
    );
    assert_eq!(s.x87.regs[2], 0xffff_0000_0000_0000_5678);
}

#[test]
fn conversions() {
    let f4 = |f: [f32; 4]| {
        (0..4).fold(0u128, |acc, k| {
            acc | (u128::from(f[k].to_bits()) << (32 * k))
        })
    };
    // cvtpi2ps xmm0, mm1: the upper two lanes kept.
    let (s, _) = mrun_full(
        &[0x0f, 0x2a, 0xc1],
        &[(1, d2(-3i32 as u32, 7))],
        &[(0, f4([9.0, 9.0, 5.0, 6.0]))],
        &[],
        &[],
    );
    assert_eq!(s.xmm[0], f4([-3.0, 7.0, 5.0, 6.0]));
    assert_eq!((s.x87.top, s.x87.ftw), (0, 0xff));
    // cvtpi2ps xmm0, [rdi]: no MMX register involved, so no transition.
    let mut mem = 16777217i32.to_le_bytes().to_vec();
    mem.extend_from_slice(&(-1i32).to_le_bytes());
    let (s, _) = mrun_full(&[0x0f, 0x2a, 0x07], &[], &[], &[], &mem);
    // 2^24 + 1 rounds to nearest even: 2^24.
    assert_eq!(s.xmm[0] as u64, f4([16777216.0, -1.0, 0.0, 0.0]) as u64);
    assert_eq!((s.x87.top, s.x87.ftw), (5, 0x80));
    // cvtpi2pd xmm0, mm1.
    let (s, _) = mrun_full(
        &[0x66, 0x0f, 0x2a, 0xc1],
        &[(1, d2(-3i32 as u32, 7))],
        &[],
        &[],
        &[],
    );
    assert_eq!(
        s.xmm[0],
        u128::from((-3f64).to_bits()) | u128::from(7f64.to_bits()) << 64
    );
    // cvtps2pi mm0, xmm1 (round to nearest even) / cvttps2pi (truncate); NaN and out of range
    // give 0x80000000.
    let x = f4([2.5, -1.5, 0.0, 0.0]);
    let (s, _) = mrun_full(&[0x0f, 0x2d, 0xc1], &[], &[(1, x)], &[], &[]);
    assert_eq!(
        s.x87.regs[0],
        0xffff_0000_0000_0000_0000 | u128::from(d2(2, -2i32 as u32))
    );
    let (s, _) = mrun_full(&[0x0f, 0x2c, 0xc1], &[], &[(1, x)], &[], &[]);
    assert_eq!(mm(&s, 0), d2(2, -1i32 as u32));
    let (s, _) = mrun_full(
        &[0x0f, 0x2c, 0xc1],
        &[],
        &[(1, f4([f32::NAN, 3e9, 0.0, 0.0]))],
        &[],
        &[],
    );
    assert_eq!(mm(&s, 0), d2(0x8000_0000, 0x8000_0000));
    // cvtpd2pi mm0, xmm1 / cvttpd2pi.
    let x = u128::from(3.5f64.to_bits()) | u128::from((-0.5f64).to_bits()) << 64;
    let (s, _) = mrun_full(&[0x66, 0x0f, 0x2d, 0xc1], &[], &[(1, x)], &[], &[]);
    assert_eq!(mm(&s, 0), d2(4, 0));
    let (s, _) = mrun_full(&[0x66, 0x0f, 0x2c, 0xc1], &[], &[(1, x)], &[], &[]);
    assert_eq!(mm(&s, 0), d2(3, 0));
    assert_eq!((s.x87.top, s.x87.ftw), (0, 0xff));
}

#[test]
fn ssse3_mmx_forms() {
    let a = b8([0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17]);
    // pshufb mm0, mm1: indices mod 8; bit 7 zeroes.
    let idx = b8([7, 0x0e, 0x80, 1, 0x09, 0, 0xff, 3]);
    assert_eq!(
        m(&[0x0f, 0x38, 0x00, 0xc1], a, idx),
        b8([0x17, 0x16, 0, 0x11, 0x11, 0x10, 0, 0x13])
    );
    // phaddw / phsubw: dest pairs then src pairs.
    let x = w4([1, 2, 3, 4]);
    let y = w4([10, 20, 0x7fff, 1]);
    assert_eq!(m(&[0x0f, 0x38, 0x01, 0xc1], x, y), w4([3, 7, 30, 0x8000]));
    assert_eq!(
        m(&[0x0f, 0x38, 0x05, 0xc1], x, y),
        w4([0xffff, 0xffff, 0xfff6, 0x7ffe])
    );
    // phaddsw saturates; phsubsw.
    assert_eq!(m(&[0x0f, 0x38, 0x03, 0xc1], x, y), w4([3, 7, 30, 0x7fff]));
    assert_eq!(
        m(&[0x0f, 0x38, 0x07, 0xc1], x, w4([0x8000, 1, 0, 0])),
        w4([0xffff, 0xffff, 0x8000, 0])
    );
    // phaddd / phsubd.
    assert_eq!(
        m(&[0x0f, 0x38, 0x02, 0xc1], d2(1, 2), d2(30, 40)),
        d2(3, 70)
    );
    assert_eq!(
        m(&[0x0f, 0x38, 0x06, 0xc1], d2(1, 2), d2(30, 40)),
        d2(-1i32 as u32, -10i32 as u32)
    );
    // pmaddubsw: unsigned dest bytes times signed src bytes, pairs summed with saturation.
    assert_eq!(
        m(
            &[0x0f, 0x38, 0x04, 0xc1],
            b8([255, 255, 2, 3, 0, 0, 1, 1]),
            b8([127, 127, 0xff, 2, 0, 0, 5, 6])
        ),
        w4([0x7fff, 4, 0, 11])
    );
    // psignb / psignw / psignd.
    assert_eq!(
        m(
            &[0x0f, 0x38, 0x08, 0xc1],
            b8([1, 2, 3, 0x80, 5, 6, 7, 8]),
            b8([1, 0xff, 0, 0xff, 0, 0, 0, 0x80])
        ),
        b8([1, 0xfe, 0, 0x80, 0, 0, 0, 0xf8])
    );
    assert_eq!(
        m(
            &[0x0f, 0x38, 0x09, 0xc1],
            w4([5, 5, 5, 5]),
            w4([1, 0xffff, 0, 0x8000])
        ),
        w4([5, 0xfffb, 0, 0xfffb])
    );
    assert_eq!(
        m(&[0x0f, 0x38, 0x0a, 0xc1], d2(5, 5), d2(0, 0x8000_0000)),
        d2(0, -5i32 as u32)
    );
    // pmulhrsw: (a * b >> 14) + 1 >> 1: 0x4000 * 0x4000 -> 0x2000; -1 * 1 -> 0.
    assert_eq!(
        m(
            &[0x0f, 0x38, 0x0b, 0xc1],
            w4([0x4000, 0xffff, 0x8000, 3]),
            w4([0x4000, 1, 0x8000, 0x4000])
        ),
        w4([0x2000, 0, 0x8000, 2])
    );
    // pabsb / pabsw / pabsd (source mm1).
    assert_eq!(
        m(
            &[0x0f, 0x38, 0x1c, 0xc1],
            0,
            b8([0xff, 0x80, 1, 0, 0x81, 0, 0, 0])
        ),
        b8([1, 0x80, 1, 0, 0x7f, 0, 0, 0])
    );
    assert_eq!(
        m(&[0x0f, 0x38, 0x1d, 0xc1], 0, w4([0xfffe, 0x8000, 3, 0])),
        w4([2, 0x8000, 3, 0])
    );
    assert_eq!(
        m(&[0x0f, 0x38, 0x1e, 0xc1], 0, d2(-7i32 as u32, 7)),
        d2(7, 7)
    );
    // palignr mm0, mm1, n: bytes n.. of mm0:mm1 (mm1 low).
    let b = b8([0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27]);
    assert_eq!(m(&[0x0f, 0x3a, 0x0f, 0xc1, 0], a, b), b);
    assert_eq!(
        m(&[0x0f, 0x3a, 0x0f, 0xc1, 3], a, b),
        b8([0x23, 0x24, 0x25, 0x26, 0x27, 0x10, 0x11, 0x12])
    );
    assert_eq!(m(&[0x0f, 0x3a, 0x0f, 0xc1, 8], a, b), a);
    assert_eq!(
        m(&[0x0f, 0x3a, 0x0f, 0xc1, 13], a, b),
        b8([0x15, 0x16, 0x17, 0, 0, 0, 0, 0])
    );
    assert_eq!(m(&[0x0f, 0x3a, 0x0f, 0xc1, 16], a, b), 0);
    // palignr mm0, [rdi], 2.
    let s = mrun(
        &[0x0f, 0x3a, 0x0f, 0x07, 2],
        &[(0, a)],
        &[],
        &b.to_le_bytes(),
    );
    assert_eq!(
        mm(&s, 0),
        b8([0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x10, 0x11])
    );
}

#[test]
fn xmm_registers_untouched() {
    // The element-wise forms borrow no guest state: XMM0/XMM1 keep their values.
    let (s, _) = mrun_full(
        &[
            0x0f, 0xfc, 0xc1, 0x0f, 0x38, 0x01, 0xc1, 0x0f, 0x71, 0xd0, 1,
        ],
        &[(0, 1), (1, 2)],
        &[(0, 0xaaaa), (1, 0xbbbb)],
        &[],
        &[],
    );
    assert_eq!((s.xmm[0], s.xmm[1]), (0xaaaa, 0xbbbb));
    // paddb 1+2 = 3, phaddw (3, 0, 0, 0):(2, 0, 0, 0) = (3, 0, 2, 0), psrlw 1.
    assert_eq!(mm(&s, 0), w4([1, 0, 1, 0]));
}
