//! SSE3, SSSE3, SSE4.1 and SSE4.2 by encoding: bytes (assembly in the comment), an initial
//! state, the result the SDM's "Operation" gives, worked out by hand; each runs on tier 0 and
//! compiled, which must agree (`common::run_with_mem`).

mod common;
use common::*;
use xarch_isa_x86::state::X86State;
use xarch_isa_x86::state::flag::*;
use xarch_translator::interp::BlockExit;

fn b16(f: impl Fn(usize) -> u8) -> u128 {
    u128::from_le_bytes(std::array::from_fn(f))
}

fn w8(w: [u16; 8]) -> u128 {
    (0..8).fold(0, |acc, k| acc | (u128::from(w[k]) << (16 * k)))
}

fn d4(d: [u32; 4]) -> u128 {
    (0..4).fold(0, |acc, k| acc | (u128::from(d[k]) << (32 * k)))
}

fn q2(a: u64, b: u64) -> u128 {
    u128::from(a) | (u128::from(b) << 64)
}

fn f4(f: [f32; 4]) -> u128 {
    d4(f.map(f32::to_bits))
}

fn f2(a: f64, b: f64) -> u128 {
    q2(a.to_bits(), b.to_bits())
}

fn s16(s: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    b[..s.len()].copy_from_slice(s);
    u128::from_le_bytes(b)
}

/// Runs `code` then a NOP with XMM registers and GPRs set, `mem` at DATA (RDI = DATA).
fn xrun(code: &[u8], xmm: &[(usize, u128)], gprs: &[(usize, u64)], mem: &[u8]) -> X86State {
    let mut st = state(gprs);
    st.gpr[RDI] = DATA;
    for &(r, v) in xmm {
        st.xmm[r] = v;
    }
    let mut c = code.to_vec();
    c.push(0x90);
    run_with_mem(&c, &st, mem).0
}

fn x(code: &[u8], a: u128, b: u128) -> u128 {
    xrun(code, &[(0, a), (1, b)], &[], &[]).xmm[0]
}

fn flags(s: &X86State) -> u64 {
    s.rflags() & ARITH
}

const SEQ: fn(usize) -> u8 = |k| 0x10 + k as u8;

#[test]
fn ssse3_shuffles_and_palignr() {
    // pshufb xmm0, xmm1: byte k = xmm0[15 - k], byte 3 zeroed by its index's top bit.
    let idx = b16(|k| if k == 3 { 0x80 } else { 15 - k as u8 });
    let want = b16(|k| if k == 3 { 0 } else { 0x1f - k as u8 });
    assert_eq!(x(&[0x66, 0x0f, 0x38, 0x00, 0xc1], b16(SEQ), idx), want);
    // palignr xmm0, xmm1, 4 / 20 / 32: bytes of xmm0:xmm1 (xmm1 low) from the imm8.
    let src = b16(|k| 0x20 + k as u8);
    let pal = |imm| x(&[0x66, 0x0f, 0x3a, 0x0f, 0xc1, imm], b16(SEQ), src);
    assert_eq!(
        pal(4),
        b16(|k| if k < 12 {
            0x24 + k as u8
        } else {
            0x10 + k as u8 - 12
        })
    );
    assert_eq!(pal(20), b16(|k| if k < 12 { 0x14 + k as u8 } else { 0 }));
    assert_eq!(pal(32), 0);
}

#[test]
fn ssse3_horizontal_and_saturating() {
    let a = w8([0x7fff, 1, 2, 3, 0xffff, 0xfffe, 0x8000, 0x8000]);
    let b = w8([10, 20, 30, 40, 50, 60, 70, 80]);
    // phaddw / phaddsw xmm0, xmm1.
    assert_eq!(
        x(&[0x66, 0x0f, 0x38, 0x01, 0xc1], a, b),
        w8([0x8000, 5, 0xfffd, 0, 30, 70, 110, 150])
    );
    assert_eq!(
        x(&[0x66, 0x0f, 0x38, 0x03, 0xc1], a, b),
        w8([0x7fff, 5, 0xfffd, 0x8000, 30, 70, 110, 150])
    );
    // phsubd xmm0, xmm1.
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x38, 0x06, 0xc1],
            d4([5, 7, 0, 1]),
            d4([9, 4, 1, 0])
        ),
        d4([0xffff_fffe, 0xffff_ffff, 5, 1])
    );
    // pmaddubsw: unsigned bytes of xmm0 times signed bytes of xmm1, pairs summed, saturated.
    let u = s16(&[255, 255, 1, 2]);
    let s = s16(&[127, 127, 0xff, 3]);
    assert_eq!(
        x(&[0x66, 0x0f, 0x38, 0x04, 0xc1], u, s),
        w8([0x7fff, 5, 0, 0, 0, 0, 0, 0])
    );
    // psignb: negate, zero or keep by the source sign (-128 stays -128).
    let d = b16(|k| if k == 3 { 0x80 } else { 5 });
    let s = b16(|k| [1, 0, 0xff, 0xff][k.min(3)]);
    let want = b16(|k| [5, 0, 0xfb, 0x80, 0xfb][k.min(4)]);
    assert_eq!(x(&[0x66, 0x0f, 0x38, 0x08, 0xc1], d, s), want);
    // pmulhrsw: rounded high half of the Q15 product.
    let v = w8([0x4000, 0x7fff, 0x8000, 0, 0, 0, 0, 0]);
    assert_eq!(
        x(&[0x66, 0x0f, 0x38, 0x0b, 0xc1], v, v),
        w8([0x2000, 0x7ffe, 0x8000, 0, 0, 0, 0, 0])
    );
    // pabsb xmm0, xmm1.
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x38, 0x1c, 0xc1],
            0,
            s16(&[0x80, 0xff, 5, 0x81])
        ),
        s16(&[0x80, 1, 5, 0x7f])
    );
}

#[test]
fn sse41_blends_and_ptest() {
    // pblendvb xmm1, xmm2 (mask XMM0): bytes whose mask byte has its top bit come from xmm2.
    let mask = b16(|k| if k % 2 == 0 { 0x80 } else { 0x7f });
    let s = xrun(
        &[0x66, 0x0f, 0x38, 0x10, 0xca],
        &[(0, mask), (1, b16(|_| 0x11)), (2, b16(|_| 0x22))],
        &[],
        &[],
    );
    assert_eq!(s.xmm[1], b16(|k| if k % 2 == 0 { 0x22 } else { 0x11 }));
    // blendps xmm0, xmm1, 0b0101 ; pblendw xmm0, xmm1, 0x81.
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x3a, 0x0c, 0xc1, 5],
            d4([1, 2, 3, 4]),
            d4([5, 6, 7, 8])
        ),
        d4([5, 2, 7, 4])
    );
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x3a, 0x0e, 0xc1, 0x81],
            w8([0, 1, 2, 3, 4, 5, 6, 7]),
            w8([10, 11, 12, 13, 14, 15, 16, 17])
        ),
        w8([10, 1, 2, 3, 4, 5, 6, 17])
    );
    // ptest xmm0, xmm1: ZF = (a & b) == 0, CF = (b & !a) == 0.
    let s = xrun(
        &[0x66, 0x0f, 0x38, 0x17, 0xc1],
        &[(0, 0xff00), (1, 0xff)],
        &[],
        &[],
    );
    assert_eq!(flags(&s), ZF);
    let s = xrun(
        &[0x66, 0x0f, 0x38, 0x17, 0xc1],
        &[(0, 0xff00), (1, 0xf00)],
        &[],
        &[],
    );
    assert_eq!(flags(&s), CF);
}

#[test]
fn sse41_extend_minmax_multiply() {
    // pmovsxbw xmm0, [rdi]: eight bytes sign-extended (a 64-bit load).
    let s = xrun(
        &[0x66, 0x0f, 0x38, 0x20, 0x07],
        &[],
        &[],
        &[0x80, 0x7f, 0xff, 1, 2, 3, 4, 5, 0xee],
    );
    assert_eq!(s.xmm[0], w8([0xff80, 0x7f, 0xffff, 1, 2, 3, 4, 5]));
    // pmovzxbd xmm0, xmm1.
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x38, 0x31, 0xc1],
            0,
            s16(&[0x80, 0xff, 1, 2, 9])
        ),
        d4([0x80, 0xff, 1, 2])
    );
    // pminsd ; pmaxuw ; pmulld ; pcmpgtq ; pcmpeqq.
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x38, 0x39, 0xc1],
            d4([u32::MAX, 5, 0x8000_0000, 7]),
            d4([1, (-5i32) as u32, 0, 7])
        ),
        d4([u32::MAX, (-5i32) as u32, 0x8000_0000, 7])
    );
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x38, 0x3e, 0xc1],
            w8([0xffff, 1, 0, 0, 0, 0, 0, 9]),
            w8([1, 2, 0, 0, 0, 0, 0, 3])
        ),
        w8([0xffff, 2, 0, 0, 0, 0, 0, 9])
    );
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x38, 0x40, 0xc1],
            d4([0x1_0000, 3, (-2i32) as u32, 0]),
            d4([0x1_0000, 5, 7, 9])
        ),
        d4([0, 15, (-14i32) as u32, 0])
    );
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x38, 0x37, 0xc1],
            q2(1, u64::MAX),
            q2(u64::MAX, 1)
        ),
        q2(u64::MAX, 0)
    );
    assert_eq!(
        x(&[0x66, 0x0f, 0x38, 0x29, 0xc1], q2(5, 6), q2(5, 7)),
        q2(u64::MAX, 0)
    );
    // pmuldq: signed dwords 0 and 2 to qwords.
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x38, 0x28, 0xc1],
            d4([u32::MAX, 9, 3, 9]),
            d4([2, 9, 0x8000_0000, 9])
        ),
        q2((-2i64) as u64, (3 * -(1i64 << 31)) as u64)
    );
    // packusdw ; phminposuw.
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x38, 0x2b, 0xc1],
            d4([u32::MAX, 0x1_0000, 0x1234, 0xffff]),
            d4([0x7fff_ffff, 0, 5, 0x8000_0000])
        ),
        w8([0, 0xffff, 0x1234, 0xffff, 0xffff, 0, 5, 0])
    );
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x38, 0x41, 0xc1],
            u128::MAX,
            w8([9, 3, 7, 3, 10, 11, 12, 13])
        ),
        0x1_0003
    );
}

#[test]
fn sse41_rounding_dot_products_mpsadbw() {
    let roundsd = |imm: u8, v: f64, mxcsr: u32| {
        let mut st = state(&[]);
        st.xmm[0] = f2(100.0, 200.0);
        st.xmm[1] = f2(v, 300.0);
        st.mxcsr = mxcsr;
        let s = run(&[0x66, 0x0f, 0x3a, 0x0b, 0xc1, imm, 0x90], &st).0;
        assert_eq!(
            s.xmm[0] >> 64,
            u128::from(200f64.to_bits()),
            "upper lane kept"
        );
        f64::from_bits(s.xmm[0] as u64)
    };
    assert_eq!(roundsd(0, -1.5, 0x1f80), -2.0);
    assert_eq!(roundsd(0, 2.5, 0x1f80), 2.0);
    assert_eq!(roundsd(1, -1.5, 0x1f80), -2.0);
    assert_eq!(roundsd(2, -1.5, 0x1f80), -1.0);
    assert_eq!(roundsd(3, -1.7, 0x1f80), -1.0);
    // imm8[2]: MXCSR.RC decides (RN, then round down).
    assert_eq!(roundsd(4, 2.7, 0x1f80), 3.0);
    assert_eq!(roundsd(4, 2.7, 0x3f80), 2.0);
    // roundps xmm0, xmm1, 0 (nearest even).
    let r = x(
        &[0x66, 0x0f, 0x3a, 0x08, 0xc1, 0],
        0,
        f4([0.5, 1.5, -0.5, -2.5]),
    );
    assert_eq!(r, f4([0.0, 2.0, -0.0, -2.0]));
    // dpps xmm0, xmm1, 0xf1 / 0x32: masked products summed, written to the masked lanes.
    let (a, b) = (f4([1.0, 2.0, 3.0, 4.0]), f4([5.0, 6.0, 7.0, 8.0]));
    assert_eq!(
        x(&[0x66, 0x0f, 0x3a, 0x40, 0xc1, 0xf1], a, b),
        f4([70.0, 0.0, 0.0, 0.0])
    );
    assert_eq!(
        x(&[0x66, 0x0f, 0x3a, 0x40, 0xc1, 0x32], a, b),
        f4([0.0, 17.0, 0.0, 0.0])
    );
    // dppd xmm0, xmm1, 0x33.
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x3a, 0x41, 0xc1, 0x33],
            f2(1.5, 2.0),
            f2(2.0, 4.0)
        ),
        f2(11.0, 11.0)
    );
    // mpsadbw xmm0, xmm1, 0: |xmm0[k + j] - xmm1[j]| over j < 4, for k < 8.
    let r = x(
        &[0x66, 0x0f, 0x3a, 0x42, 0xc1, 0],
        b16(|k| k as u8),
        s16(&[1, 2, 3, 4]),
    );
    assert_eq!(r, w8([4, 0, 4, 8, 12, 16, 20, 24]));
}

#[test]
fn sse41_inserts_and_extracts() {
    // pextrb eax, xmm0, 5: zero-extended into RAX.
    let s = xrun(
        &[0x66, 0x0f, 0x3a, 0x14, 0xc0, 5],
        &[(0, b16(SEQ))],
        &[(RAX, u64::MAX)],
        &[],
    );
    assert_eq!(s.gpr[RAX], 0x15);
    // pextrw [rdi], xmm0, 2 (the memory form of 0F 3A 15).
    let (_, _, mem) = run_with_mem(
        &[0x66, 0x0f, 0x3a, 0x15, 0x07, 2, 0x90],
        &{
            let mut st = state(&[(RDI, DATA)]);
            st.xmm[0] = w8([0, 1, 0xbeef, 3, 4, 5, 6, 7]);
            st
        },
        &[0xaa; 4],
    );
    assert_eq!(&mem[..4], &[0xef, 0xbe, 0xaa, 0xaa]);
    // pinsrq xmm0, rax, 1 ; pinsrd xmm0, [rdi], 2 ; extractps ecx, xmm0, 2.
    let s = xrun(
        &[
            0x66, 0x48, 0x0f, 0x3a, 0x22, 0xc0, 1, // pinsrq xmm0, rax, 1
            0x66, 0x0f, 0x3a, 0x22, 0x07, 0, // pinsrd xmm0, [rdi], 0
            0x66, 0x0f, 0x3a, 0x17, 0xc1, 0, // extractps ecx, xmm0, 0
        ],
        &[(0, 0)],
        &[(RAX, 0x1122_3344_5566_7788), (RCX, u64::MAX)],
        &[0x78, 0x56, 0x34, 0x12],
    );
    assert_eq!(s.xmm[0], q2(0x1234_5678, 0x1122_3344_5566_7788));
    assert_eq!(s.gpr[RCX], 0x1234_5678);
    // insertps xmm0, xmm1, (3 << 6) | (1 << 4) | 0b0100: lane 3 of xmm1 to lane 1, lane 2 zeroed.
    assert_eq!(
        x(
            &[0x66, 0x0f, 0x3a, 0x21, 0xc1, 0xd4],
            d4([1, 2, 3, 4]),
            d4([5, 6, 7, 8])
        ),
        d4([1, 8, 0, 4])
    );
}

/// Runs a PCMPxSTRx on xmm0 (first operand), xmm1 (second) with EAX/EDX; gives the state.
fn pcmp(op: u8, imm: u8, a: u128, b: u128, eax: u64, edx: u64) -> X86State {
    xrun(
        &[0x66, 0x0f, 0x3a, op, 0xc1, imm],
        &[(0, a), (1, b)],
        &[(RAX, eax), (RDX, edx), (RCX, u64::MAX)],
        &[],
    )
}

#[test]
fn sse42_string_compares() {
    // pcmpistri equal any: the first vowel of "hello world" is at 1.
    let s = pcmp(0x63, 0x00, s16(b"aeiou"), s16(b"hello world"), 0, 0);
    assert_eq!(s.gpr[RCX], 1);
    assert_eq!(flags(&s), CF | ZF | SF);
    // Ranges a..z: "ABCdef" first lower-case at 3; negated: 0; masked negation, most
    // significant set bit: 2 (only the valid "ABC" are negated).
    let (az, s2) = (s16(b"az"), s16(b"ABCdef"));
    assert_eq!(pcmp(0x63, 0x04, az, s2, 0, 0).gpr[RCX], 3);
    assert_eq!(pcmp(0x63, 0x14, az, s2, 0, 0).gpr[RCX], 0);
    assert_eq!(pcmp(0x63, 0x74, az, s2, 0, 0).gpr[RCX], 2);
    // Equal each, negated (strcmp): "hello" vs "help" first differs at 3.
    let s = pcmp(0x63, 0x18, s16(b"hello"), s16(b"help"), 0, 0);
    assert_eq!(s.gpr[RCX], 3);
    assert_eq!(flags(&s), CF | ZF | SF);
    // Equal ordered (strstr): "lo" in "hello world" at 3; "xyz" nowhere: ECX = 16, CF = 0.
    assert_eq!(
        pcmp(0x63, 0x0c, s16(b"lo"), s16(b"hello world"), 0, 0).gpr[RCX],
        3
    );
    let s = pcmp(0x63, 0x0c, s16(b"xyz"), s16(b"hello world"), 0, 0);
    assert_eq!(s.gpr[RCX], 16);
    assert_eq!(flags(&s), ZF | SF);
    // pcmpestri, explicit lengths (|EAX| = 2: the set {a, b}; EDX = 16: no end).
    let a = s16(b"abcXXXXXXXXXXXXX");
    let b = s16(b"zzzzcbzzzzzzzzzz");
    let s = pcmp(0x61, 0x00, a, b, (-2i64) as u64, 16);
    assert_eq!(s.gpr[RCX], 5);
    assert_eq!(flags(&s), CF | SF);
    // Word elements: unsigned words, equal any.
    let s = pcmp(
        0x61,
        0x01,
        w8([7, 0, 0, 0, 0, 0, 0, 0]),
        w8([1, 2, 7, 7, 0, 0, 0, 0]),
        1,
        8,
    );
    assert_eq!(s.gpr[RCX], 2);
    // pcmpistrm: bit mask (imm8[6] = 0) and byte mask (imm8[6] = 1) into XMM0.
    assert_eq!(
        pcmp(0x62, 0x00, s16(b"ab"), s16(b"xaxb"), 0, 0).xmm[0],
        0b1010
    );
    assert_eq!(
        pcmp(0x62, 0x40, s16(b"ab"), s16(b"xaxb"), 0, 0).xmm[0],
        b16(|k| if k == 1 || k == 3 { 0xff } else { 0 })
    );
}

#[test]
fn sse42_crc32() {
    // CRC-32C("123456789") = 0xe3069283: ~crc32(crc32(~0, "12345678" as a qword), '9').
    let s = xrun(
        &[
            0xf2, 0x48, 0x0f, 0x38, 0xf1, 0xc1, // crc32 rax, rcx
            0xf2, 0x0f, 0x38, 0xf0, 0xc2, // crc32 eax, dl
            0xf7, 0xd0, // not eax
        ],
        &[],
        &[
            (RAX, 0xffff_ffff),
            (RCX, u64::from_le_bytes(*b"12345678")),
            (RDX, 0x39),
        ],
        &[],
    );
    assert_eq!(s.gpr[RAX], 0xe306_9283);
    // The same bytes as words and a dword from memory: crc32 eax, cx ; crc32 eax, [rdi].
    let s = xrun(
        &[
            0x66, 0xf2, 0x0f, 0x38, 0xf1, 0xc1, // crc32 eax, cx ("12")
            0x66, 0xf2, 0x0f, 0x38, 0xf1, 0xc2, // crc32 eax, dx ("34")
            0xf2, 0x0f, 0x38, 0xf1, 0x07, // crc32 eax, dword [rdi] ("5678")
            0xf2, 0x0f, 0x38, 0xf0, 0xc3, // crc32 eax, bl ('9')
            0xf7, 0xd0,
        ],
        &[],
        &[
            (RAX, u64::MAX),
            (RCX, u64::from(u16::from_le_bytes(*b"12"))),
            (RDX, u64::from(u16::from_le_bytes(*b"34"))),
            (RBX, 0x39),
        ],
        b"5678",
    );
    assert_eq!(s.gpr[RAX], 0xe306_9283);
}

#[test]
fn sse3_horizontal_addsub_and_dups() {
    let (a, b) = (f4([1.0, 2.0, 3.0, 4.0]), f4([10.0, 20.0, 30.0, 40.0]));
    // haddps ; hsubpd ; addsubps ; addsubpd.
    assert_eq!(
        x(&[0xf2, 0x0f, 0x7c, 0xc1], a, b),
        f4([3.0, 7.0, 30.0, 70.0])
    );
    assert_eq!(
        x(&[0x66, 0x0f, 0x7d, 0xc1], f2(5.0, 2.0), f2(1.0, 4.0)),
        f2(3.0, -3.0)
    );
    assert_eq!(
        x(&[0xf2, 0x0f, 0xd0, 0xc1], a, b),
        f4([-9.0, 22.0, -27.0, 44.0])
    );
    assert_eq!(
        x(&[0x66, 0x0f, 0xd0, 0xc1], f2(1.0, 2.0), f2(4.0, 8.0)),
        f2(-3.0, 10.0)
    );
    // movshdup ; movsldup ; movddup xmm0, [rdi] ; lddqu xmm0, [rdi].
    let v = d4([1, 2, 3, 4]);
    assert_eq!(x(&[0xf3, 0x0f, 0x16, 0xc1], 0, v), d4([2, 2, 4, 4]));
    assert_eq!(x(&[0xf3, 0x0f, 0x12, 0xc1], 0, v), d4([1, 1, 3, 3]));
    let mem: Vec<u8> = (1..=16).collect();
    let s = xrun(&[0xf2, 0x0f, 0x12, 0x07], &[], &[], &mem);
    assert_eq!(s.xmm[0], q2(0x0807_0605_0403_0201, 0x0807_0605_0403_0201));
    let s = xrun(&[0xf2, 0x0f, 0xf0, 0x07], &[], &[], &mem);
    assert_eq!(s.xmm[0], u128::from_le_bytes(mem.try_into().unwrap()));
}

#[test]
fn misaligned_aligned_forms_fault_like_linux() {
    use xarch_isa_x86::GP_FAULT_TAG;
    let st = state(&[(RDI, DATA + 4)]);
    // nop ; movdqa xmm0, [rdi] / movaps [rdi], xmm0 / paddb xmm0, [rdi] / pshufb xmm0, [rdi]
    // / movntdq [rdi], xmm0 with RDI = DATA + 4: #GP at the instruction (SIGSEGV), after
    // the NOP.
    for insn in [
        &[0x66, 0x0f, 0x6f, 0x07][..],
        &[0x0f, 0x29, 0x07],
        &[0x66, 0x0f, 0xfc, 0x07],
        &[0x66, 0x0f, 0x38, 0x00, 0x07],
        &[0x66, 0x0f, 0xe7, 0x07],
    ] {
        let mut code = vec![0x90];
        code.extend_from_slice(insn);
        code.push(0x90);
        let (_, e, _) = run_with_mem(&code, &st, &[]);
        assert_eq!(e, BlockExit::Jump(GP_FAULT_TAG | (CODE + 1)), "{insn:02x?}");
    }
    // The unaligned forms and PCMPISTRI do not: movdqu xmm0, [rdi] ; movups [rdi], xmm0 ;
    // lddqu xmm1, [rdi] ; pcmpistri xmm0, [rdi], 0 ; cvtdq2pd xmm2, [rdi] (an m64).
    let (s, e, _) = run_with_mem(
        &[
            0xf3, 0x0f, 0x6f, 0x07, 0x0f, 0x11, 0x07, 0xf2, 0x0f, 0xf0, 0x0f, 0x66, 0x0f, 0x3a,
            0x63, 0x07, 0x00, 0xf3, 0x0f, 0xe6, 0x17, 0x90,
        ],
        &st,
        &[0, 0, 0, 0, 7, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff],
    );
    assert_eq!(e, BlockExit::Jump(CODE + 22));
    assert_eq!(s.xmm[1] as u64, 0xffff_fffe_0000_0007);
    assert_eq!(s.xmm[2], f2(7.0, -2.0));
}
