//! The SSE/SSE2 forms the audit (`sse_audit.rs`, issue 3) found missing, by encoding: PMADDWD
//! on XMM registers, MASKMOVDQU, RCPPS/RCPSS, RSQRTPS/RSQRTSS. Each runs on tier 0 and
//! compiled, which must agree (`common::run_with_mem`); results are the SDM's "Operation",
//! worked out by hand, or (RCP*/RSQRT*, whose bits the SDM leaves to the vendor) its error
//! bound and special values.

mod common;
use common::*;
use xarch_isa_x86::state::X86State;
use xarch_translator::interp::BlockExit;
use xarch_translator::ir::TrapKind;

fn w8(w: [u16; 8]) -> u128 {
    (0..8).fold(0, |acc, k| acc | (u128::from(w[k]) << (16 * k)))
}

fn d4(d: [u32; 4]) -> u128 {
    (0..4).fold(0, |acc, k| acc | (u128::from(d[k]) << (32 * k)))
}

fn f4(f: [f32; 4]) -> u128 {
    d4(f.map(f32::to_bits))
}

fn lanes(v: u128) -> [f32; 4] {
    std::array::from_fn(|k| f32::from_bits((v >> (32 * k)) as u32))
}

/// Runs `code` then a NOP with XMM registers and GPRs set (RDI = DATA unless given), `mem`
/// at DATA.
fn xrun(
    code: &[u8],
    xmm: &[(usize, u128)],
    gprs: &[(usize, u64)],
    mem: &[u8],
) -> (X86State, Vec<u8>) {
    let mut st = state(&[(RDI, DATA)]);
    for &(r, v) in gprs {
        st.gpr[r] = v;
    }
    for &(r, v) in xmm {
        st.xmm[r] = v;
    }
    let mut c = code.to_vec();
    c.push(0x90);
    let (s, e, m) = run_with_mem(&c, &st, mem);
    assert_eq!(e, BlockExit::Jump(CODE + c.len() as u64), "{code:02x?}");
    (s, m)
}

fn undefined(code: &[u8]) {
    let mut c = vec![0x90];
    c.extend_from_slice(code);
    let (_, e) = run(&c, &state(&[]));
    assert_eq!(
        e,
        BlockExit::Trap(TrapKind::Undefined, CODE + 1),
        "{code:02x?}"
    );
}

#[test]
fn pmaddwd_xmm() {
    // Dword k = a[2k]*b[2k] + a[2k+1]*b[2k+1], signed words, wrapping.
    let a = w8([1, 2, 0xffff, 3, 0x8000, 0x8000, 0x7fff, 0x7fff]);
    let b = w8([10, 20, 5, 0xfffe, 0x8000, 0x8000, 0x7fff, 0x8000]);
    let want = d4([
        10 + 40,
        (-5i32 - 6) as u32,
        // 2^30 + 2^30 = 2^31 wraps to 0x8000_0000 (the one overflowing case).
        0x8000_0000,
        (0x7fff * 0x7fff - 0x7fff * 0x8000) as u32,
    ]);
    // pmaddwd xmm0, xmm1
    let (s, _) = xrun(&[0x66, 0x0f, 0xf5, 0xc1], &[(0, a), (1, b)], &[], &[]);
    assert_eq!(s.xmm[0], want);
    assert_eq!(s.xmm[1], b);
    // pmaddwd xmm9, [rdi] (REX.R; the operand from memory)
    let (s, _) = xrun(
        &[0x66, 0x44, 0x0f, 0xf5, 0x0f],
        &[(9, a)],
        &[],
        &b.to_le_bytes(),
    );
    assert_eq!(s.xmm[9], want);
    // A misaligned m128 is #GP (the engine gives SIGSEGV at the instruction).
    let mut st = state(&[(RDI, DATA + 4)]);
    st.xmm[0] = a;
    let (_, e) = run(&[0x66, 0x0f, 0xf5, 0x07, 0x90], &st);
    assert_eq!(e, BlockExit::Jump(xarch_isa_x86::GP_FAULT_TAG | CODE));
}

#[test]
fn maskmovdqu() {
    // maskmovdqu xmm0, xmm1: bytes of xmm0 whose xmm1 byte has bit 7 set, to [rdi].
    let data = u128::from_le_bytes(std::array::from_fn(|k| 0x10 + k as u8));
    let mask = u128::from_le_bytes(std::array::from_fn(|k| match k % 3 {
        0 => 0x80,
        1 => 0x7f,
        _ => 0xff,
    }));
    let want: Vec<u8> = (0..17)
        .map(|k| {
            if k < 16 && k % 3 != 1 {
                0x10 + k as u8
            } else {
                0xaa
            }
        })
        .collect();
    let (s, mem) = xrun(
        &[0x66, 0x0f, 0xf7, 0xc1],
        &[(0, data), (1, mask)],
        &[],
        &[0xaa; 17],
    );
    assert_eq!(mem[..17], want[..]);
    assert_eq!((s.xmm[0], s.xmm[1]), (data, mask));
    // Not aligned (no alignment rule), with a 67 prefix: EDI, the upper half ignored.
    let (_, mem) = xrun(
        &[0x67, 0x66, 0x0f, 0xf7, 0xc1],
        &[(0, data), (1, mask)],
        &[(RDI, 0x7_0000_0000 | (DATA + 3))],
        &[0xaa; 20],
    );
    assert_eq!(mem[..3], [0xaa; 3]);
    assert_eq!(mem[3..20], want[..]);
    // maskmovdqu xmm8, xmm15 (REX.RB)
    let (_, mem) = xrun(
        &[0x66, 0x45, 0x0f, 0xf7, 0xc7],
        &[(8, data), (15, !0)],
        &[],
        &[],
    );
    assert_eq!(mem[..16], data.to_le_bytes());
    // A memory operand is #UD.
    undefined(&[0x66, 0x0f, 0xf7, 0x07]);
}

/// The SDM's bound for RCP*/RSQRT*: |relative error| ≤ 1.5 × 2⁻¹².
fn close(got: f32, exact: f64) -> bool {
    ((f64::from(got) - exact) / exact).abs() <= 1.5 / 4096.0
}

#[test]
fn rcpps_rsqrtps() {
    let x = [1.0f32, 3.0, -0.1, 1.0e30];
    let (s, _) = xrun(&[0x0f, 0x53, 0xc1], &[(1, f4(x))], &[], &[]);
    for (k, (&g, &x)) in lanes(s.xmm[0]).iter().zip(&x).enumerate() {
        assert!(
            close(g, 1.0 / f64::from(x)),
            "rcpps lane {k}: 1/{x} gave {g}"
        );
    }
    let x = [4.0f32, 2.0, 1.0e-20, 123.456];
    // rsqrtps xmm2, [rdi]
    let (s, _) = xrun(&[0x0f, 0x52, 0x17], &[], &[], &f4(x).to_le_bytes());
    for (k, (&g, &x)) in lanes(s.xmm[2]).iter().zip(&x).enumerate() {
        assert!(
            close(g, 1.0 / f64::from(x).sqrt()),
            "rsqrtps lane {k}: {x} gave {g}"
        );
    }
    // Special values (SDM tables: ±0 → ±∞, ∞ → +0, a negative → the default QNaN, a QNaN
    // passes, a denormal counts as 0 of its sign).
    let (s, _) = xrun(
        &[0x0f, 0x53, 0xc1],
        &[(
            1,
            f4([0.0, -0.0, f32::INFINITY, f32::from_bits(0x8000_0001)]),
        )],
        &[],
        &[],
    );
    assert_eq!(
        lanes(s.xmm[0]).map(f32::to_bits),
        [0x7f80_0000, 0xff80_0000, 0, 0xff80_0000]
    );
    let (s, _) = xrun(
        &[0x0f, 0x52, 0xc1],
        &[(
            1,
            f4([-1.0, 0.0, f32::INFINITY, f32::from_bits(0x7fc0_1234)]),
        )],
        &[],
        &[],
    );
    assert_eq!(
        lanes(s.xmm[0]).map(f32::to_bits),
        [0xffc0_0000, 0x7f80_0000, 0, 0x7fc0_1234]
    );
}

#[test]
fn rcpss_rsqrtss() {
    let upper = d4([0, 0x1111_1111, 0x2222_2222, 0x3333_3333]);
    // rcpss xmm0, xmm1: the low lane only.
    let (s, _) = xrun(
        &[0xf3, 0x0f, 0x53, 0xc1],
        &[(0, upper), (1, f4([8.0, 9.0, 9.0, 9.0]))],
        &[],
        &[],
    );
    assert_eq!(s.xmm[0] >> 32, upper >> 32);
    assert!(close(lanes(s.xmm[0])[0], 0.125));
    // rsqrtss xmm3, dword [rdi]: an m32 (no alignment rule).
    let (s, _) = xrun(
        &[0xf3, 0x0f, 0x52, 0x1f],
        &[(3, upper)],
        &[],
        &16.0f32.to_le_bytes(),
    );
    assert_eq!(s.xmm[3] >> 32, upper >> 32);
    assert!(close(lanes(s.xmm[3])[0], 0.25));
    let (s, _) = xrun(
        &[0xf3, 0x0f, 0x52, 0xc1],
        &[(1, f4([-2.0, 0.0, 0.0, 0.0]))],
        &[],
        &[],
    );
    assert_eq!(s.xmm[0] as u32, 0xffc0_0000);
}
