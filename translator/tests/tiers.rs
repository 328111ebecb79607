//! Lowering tests: blocks of each op class run in the interpreter and compiled, from many
//! initial states; the final states must be identical byte for byte (`testing::TierCheck`).

use xarch_translator::BlockExit;
use xarch_translator::ir::{
    AtomicOp, Builder, Endian, Exit, FloatCC, Helper, IntCC, Lane, Op, RoundMode, TrapKind, Type,
    VecOp, VecShift, VecUnOp,
};
use xarch_translator::testing::{TierCheck, test_memory};

const PC: u32 = 0;
const IN_A: u32 = 16;
const IN_B: u32 = 32;
const IN_C: u32 = 48;
const OUT: u32 = 64;
const STATE: usize = 64 + 16 * 64;

fn state_with(a: u128, b: u128, c: u128) -> Vec<u8> {
    let mut s = vec![0u8; STATE];
    s[IN_A as usize..IN_A as usize + 16].copy_from_slice(&a.to_le_bytes());
    s[IN_B as usize..IN_B as usize + 16].copy_from_slice(&b.to_le_bytes());
    s[IN_C as usize..IN_C as usize + 16].copy_from_slice(&c.to_le_bytes());
    s
}

const INTS: [u64; 14] = [
    0,
    1,
    2,
    3,
    7,
    33,
    64,
    0x7f,
    0x80,
    0x8000_0000,
    0x1234_5678_9abc_def0,
    0x8000_0000_0000_0000,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];

/// Every integer binary, unary and compare op on one type, all in one block.
fn int_block(ty: Type) -> xarch_translator::ir::Block {
    let mut b = Builder::new(0x1000);
    b.insn_start(0x1000);
    let x = b.get_reg(ty, IN_A);
    let y = b.get_reg(ty, IN_B);
    let mut outs = Vec::new();
    type Bin = fn(
        &mut Builder,
        xarch_translator::ir::Value,
        xarch_translator::ir::Value,
    ) -> xarch_translator::ir::Value;
    let bins: [Bin; 17] = [
        Builder::add,
        Builder::sub,
        Builder::mul,
        Builder::umulhi,
        Builder::smulhi,
        Builder::udiv,
        Builder::sdiv,
        Builder::urem,
        Builder::srem,
        Builder::and,
        Builder::or,
        Builder::xor,
        Builder::shl,
        Builder::lshr,
        Builder::ashr,
        Builder::rotl,
        Builder::rotr,
    ];
    for f in bins {
        outs.push(f(&mut b, x, y));
    }
    type Un = fn(&mut Builder, xarch_translator::ir::Value) -> xarch_translator::ir::Value;
    let uns: [Un; 7] = [
        Builder::not,
        Builder::neg,
        Builder::clz,
        Builder::ctz,
        Builder::popcnt,
        Builder::bswap,
        Builder::bitrev,
    ];
    for f in uns {
        outs.push(f(&mut b, x));
    }
    for cc in [
        IntCC::Eq,
        IntCC::Ne,
        IntCC::Slt,
        IntCC::Sle,
        IntCC::Sgt,
        IntCC::Sge,
        IntCC::Ult,
        IntCC::Ule,
        IntCC::Ugt,
        IntCC::Uge,
    ] {
        outs.push(b.icmp(cc, x, y));
    }
    // Shift by a count of another width.
    let c8 = b.get_reg(Type::I8, IN_B);
    outs.push(b.shl(x, c8));
    let c = b.icmp_imm(IntCC::Ult, x, 5);
    outs.push(b.select(c, x, y));
    if ty != Type::I64 {
        outs.push(b.zext(Type::I64, x));
        outs.push(b.sext(Type::I64, x));
    }
    if ty != Type::I8 {
        outs.push(b.trunc(Type::I8, x));
    }
    for (i, v) in outs.into_iter().enumerate() {
        b.set_reg(OUT + 16 * i as u32, v);
    }
    b.finish(Exit::Jump { target: 0x1004 }, 0x1004)
}

#[test]
fn integer_ops_agree() {
    let mem = test_memory(&[]);
    for ty in [Type::I8, Type::I16, Type::I32, Type::I64] {
        let blk = int_block(ty);
        let mut check = TierCheck::new(&blk, PC).unwrap_or_else(|e| panic!("{ty}: {e}"));
        for &a in &INTS {
            for &b in &INTS {
                let (_, exit) = check
                    .run(&state_with(a as u128, b as u128, 0), &mem)
                    .unwrap_or_else(|e| panic!("{ty} a={a:#x} b={b:#x}: {e}"));
                assert_eq!(exit, BlockExit::Jump(0x1004));
            }
        }
    }
}

#[test]
fn i128_basics_agree() {
    let mem = test_memory(&[]);
    let mut b = Builder::new(0);
    let x = b.get_reg(Type::I128, IN_A);
    let y = b.get_reg(Type::I128, IN_B);
    let outs = [
        b.add(x, y),
        b.sub(x, y),
        b.and(x, y),
        b.xor(x, y),
        b.shl(x, y),
        b.lshr(x, y),
        b.mul(x, y),
    ];
    let c = b.icmp(IntCC::Ult, x, y);
    let lo = b.trunc(Type::I64, x);
    let w = b.zext(Type::I128, lo);
    for (i, v) in outs.into_iter().chain([c, w]).enumerate() {
        b.set_reg(OUT + 16 * i as u32, v);
    }
    let blk = b.finish(Exit::Jump { target: 4 }, 4);
    let mut check = TierCheck::new(&blk, PC).unwrap();
    for (a, bb) in [
        (1u128, 2u128),
        (u128::MAX, 1),
        (0x1234 << 70, 0x77),
        (5, 200),
    ] {
        check.run(&state_with(a, bb, 0), &mem).unwrap();
    }
}

const F64S: [f64; 15] = [
    f64::from_bits(0xfff8_0000_0000_0123),
    0.0,
    -0.0,
    1.5,
    -2.25,
    3.0,
    0.1,
    1e20,
    -1e20,
    4e9,
    9.3e18,
    -9.3e18,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

fn float_block(ty: Type) -> xarch_translator::ir::Block {
    let mut b = Builder::new(0);
    let x = b.get_reg(ty, IN_A);
    let y = b.get_reg(ty, IN_B);
    let z = b.get_reg(ty, IN_C);
    let mut outs = vec![
        b.fadd(x, y),
        b.fsub(x, y),
        b.fmul(x, y),
        b.fdiv(x, y),
        b.fmin(x, y),
        b.fmax(x, y),
    ];
    outs.push(b.fsqrt(x));
    outs.push(b.fneg(x));
    outs.push(b.fabs(x));
    for m in [
        RoundMode::Nearest,
        RoundMode::Floor,
        RoundMode::Ceil,
        RoundMode::Trunc,
    ] {
        outs.push(b.fround(m, x));
    }
    outs.push(b.ffma(x, y, z));
    for cc in [
        FloatCC::Eq,
        FloatCC::Ne,
        FloatCC::Lt,
        FloatCC::Le,
        FloatCC::Gt,
        FloatCC::Ge,
        FloatCC::Unordered,
        FloatCC::Ordered,
    ] {
        outs.push(b.fcmp(cc, x, y));
    }
    let other = if ty == Type::F32 {
        Type::F64
    } else {
        Type::F32
    };
    outs.push(b.fconvert(other, x));
    for it in [Type::I8, Type::I16, Type::I32, Type::I64] {
        outs.push(b.ftosint(it, x));
        outs.push(b.ftouint(it, x));
    }
    let bits = b.bitcast(Type::int(ty.bits()), x);
    outs.push(bits);
    for it in [Type::I8, Type::I16, Type::I32, Type::I64] {
        let i = b.get_reg(it, IN_C);
        outs.push(b.sinttof(ty, i));
        outs.push(b.uinttof(ty, i));
    }
    for (i, v) in outs.into_iter().enumerate() {
        b.set_reg(OUT + 16 * i as u32, v);
    }
    b.finish(Exit::Jump { target: 4 }, 4)
}

#[test]
fn float_ops_agree() {
    let mem = test_memory(&[]);
    for ty in [Type::F32, Type::F64] {
        let blk = float_block(ty);
        let mut check = TierCheck::new(&blk, PC).unwrap_or_else(|e| panic!("{ty}: {e}"));
        let bits = |x: f64| {
            if ty == Type::F32 {
                (x as f32).to_bits() as u128
            } else {
                x.to_bits() as u128
            }
        };
        for &a in &F64S {
            for &b in &F64S {
                for c in [
                    0u128,
                    0x8000_0000_0000_0001,
                    0xffff_ffff_ffff_ffff,
                    0x1234_5678,
                ] {
                    // The third input doubles as the fma addend (as float bits) and the int source.
                    let c = if c == 0 { bits(0.5) } else { c };
                    check
                        .run(&state_with(bits(a), bits(b), c), &mem)
                        .unwrap_or_else(|e| panic!("{ty} a={a} b={b} c={c:#x}: {e}"));
                }
            }
        }
    }
}

const VECS: [u128; 5] = [
    0,
    u128::MAX,
    0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10,
    0x8000_7fff_ff01_0080_4000_0000_3ff8_0000,
    0xfedc_ba98_7654_3210_0f1e_2d3c_4b5a_6978,
];

#[test]
fn vector_ops_agree() {
    let mem = test_memory(&[]);
    let int_ops = [
        VecOp::Add,
        VecOp::Sub,
        VecOp::Mul,
        VecOp::And,
        VecOp::Or,
        VecOp::Xor,
        VecOp::AndNot,
        VecOp::CmpEq,
        VecOp::CmpGtS,
        VecOp::CmpGeS,
        VecOp::CmpGtU,
        VecOp::CmpGeU,
        VecOp::MinS,
        VecOp::MinU,
        VecOp::MaxS,
        VecOp::MaxU,
        VecOp::AddSatS,
        VecOp::AddSatU,
        VecOp::SubSatS,
        VecOp::SubSatU,
    ];
    let f_ops = [
        VecOp::FAdd,
        VecOp::FSub,
        VecOp::FMul,
        VecOp::FDiv,
        VecOp::FMin,
        VecOp::FMax,
        VecOp::FCmpEq,
        VecOp::FCmpGt,
        VecOp::FCmpGe,
    ];
    let mut cases: Vec<(String, xarch_translator::ir::Block)> = Vec::new();
    let mk = |f: &dyn Fn(
        &mut Builder,
        xarch_translator::ir::Value,
        xarch_translator::ir::Value,
    ) -> xarch_translator::ir::Value| {
        let mut b = Builder::new(0);
        let x = b.get_reg(Type::V128, IN_A);
        let y = b.get_reg(Type::V128, IN_B);
        let r = f(&mut b, x, y);
        b.set_reg(OUT, r);
        b.finish(Exit::Jump { target: 4 }, 4)
    };
    for lane in [Lane::I8x16, Lane::I16x8, Lane::I32x4, Lane::I64x2] {
        for op in int_ops {
            cases.push((
                format!("{op:?} {lane:?}"),
                mk(&|b, x, y| b.vbinary(op, lane, x, y)),
            ));
        }
        for op in [VecUnOp::Not, VecUnOp::Neg, VecUnOp::Abs] {
            cases.push((
                format!("{op:?} {lane:?}"),
                mk(&|b, x, _| b.vunary(op, lane, x)),
            ));
        }
        for op in [VecShift::Shl, VecShift::LShr, VecShift::AShr] {
            cases.push((
                format!("{op:?} {lane:?}"),
                mk(&|b, x, _| b.vshift_imm(op, lane, x, 3)),
            ));
        }
    }
    for lane in [Lane::F32x4, Lane::F64x2] {
        for op in f_ops {
            cases.push((
                format!("{op:?} {lane:?}"),
                mk(&|b, x, y| b.vbinary(op, lane, x, y)),
            ));
        }
        for op in [VecUnOp::FNeg, VecUnOp::FAbs, VecUnOp::FSqrt] {
            cases.push((
                format!("{op:?} {lane:?}"),
                mk(&|b, x, _| b.vunary(op, lane, x)),
            ));
        }
    }
    cases.push((
        "Popcnt".into(),
        mk(&|b, x, _| b.vunary(VecUnOp::Popcnt, Lane::I8x16, x)),
    ));
    for lane in [
        Lane::I8x16,
        Lane::I16x8,
        Lane::I32x4,
        Lane::I64x2,
        Lane::F32x4,
        Lane::F64x2,
    ] {
        cases.push((
            format!("splat/extract/insert {lane:?}"),
            mk(&|b, x, y| {
                let s = b.vextract(lane, 1, y);
                let t = b.vinsert(lane, 0, x, s);
                let u = b.vsplat(lane, s);
                b.vbinary(VecOp::Xor, Lane::I8x16, t, u)
            }),
        ));
    }
    let mask: [u8; 16] = [0, 17, 2, 31, 4, 5, 16, 7, 8, 9, 30, 11, 12, 3, 14, 15];
    cases.push(("shuffle".into(), mk(&|b, x, y| b.vshuffle(mask, x, y))));
    let mut not_lowered = Vec::new();
    for (name, blk) in &cases {
        let mut check = match TierCheck::new(blk, PC) {
            Ok(c) => c,
            Err(e) => {
                not_lowered.push(format!("{name}: {}", e.lines().next().unwrap_or("")));
                continue;
            }
        };
        for &a in &VECS {
            for &b in &VECS {
                check
                    .run(&state_with(a, b, 0), &mem)
                    .unwrap_or_else(|e| panic!("{name} a={a:#x} b={b:#x}: {e}"));
            }
        }
    }
    // Every vector op compiles (lane by lane where Cranelift has no lowering).
    assert!(not_lowered.is_empty(), "{not_lowered:#?}");
}

#[test]
fn memory_ops_agree_in_both_byte_orders() {
    let mem = test_memory(&[(0x10000, 0x12000)]);
    for endian in [Endian::Little, Endian::Big] {
        let mut b = Builder::new(0);
        let base = b.get_reg(Type::I64, IN_A);
        let mut i = 0u32;
        for ty in [
            Type::I8,
            Type::I16,
            Type::I32,
            Type::I64,
            Type::I128,
            Type::F32,
            Type::F64,
            Type::V128,
        ] {
            let off = b.const64(0x100 * i as u64);
            let addr = b.add(base, off);
            let v = b.get_reg(ty, IN_B);
            b.store(addr, v, endian);
            let back = b.load(ty, addr, endian);
            b.set_reg(OUT + 16 * i, back);
            let raw = b.load(Type::int(ty.bits()), addr, Endian::Little);
            b.set_reg(OUT + 16 * (i + 8), raw);
            i += 1;
        }
        let a = b.const64(0x11000);
        let x = b.get_reg(Type::I32, IN_C);
        b.store(a, x, Endian::Little);
        let old = b.atomic_rmw(AtomicOp::Add, a, x, Endian::Little);
        let old2 = b.atomic_rmw(AtomicOp::Xor, a, x, endian);
        let y = b.get_reg(Type::I32, IN_B);
        let old3 = b.atomic_cas(a, x, y, endian);
        let fin = b.load(Type::I32, a, Endian::Little);
        b.fence();
        for (k, v) in [old, old2, old3, fin].into_iter().enumerate() {
            b.set_reg(OUT + 16 * (20 + k as u32), v);
        }
        let blk = b.finish(Exit::Jump { target: 4 }, 4);
        let mut check = TierCheck::new(&blk, PC).unwrap_or_else(|e| panic!("{endian:?}: {e}"));
        for (bv, cv) in [
            (0x1122_3344_5566_7788_99aa_bbcc_ddee_ff00u128, 5u128),
            (u128::MAX, 0x8000_0001),
        ] {
            // The window mask applies: the high address bits are ignored by both tiers.
            check
                .run(&state_with(0x10000 | 0x7700_0000_0000, bv, cv), &mem)
                .unwrap_or_else(|e| panic!("{endian:?}: {e}"));
        }
    }
}

/// 128-bit compare-and-swap (x86 CMPXCHG16B, AArch64 CASP): a host `lock cmpxchg16b` on both
/// tiers; the swap happens only when memory equals `expected`, and the old value comes back.
#[test]
fn atomic_cas_128_on_both_tiers() {
    let mem = test_memory(&[(0x10000, 0x12000)]);
    let mut b = Builder::new(0);
    let a = b.const64(0x11010);
    let init = b.get_reg(Type::I128, IN_A);
    b.store(a, init, Endian::Little);
    let expected = b.get_reg(Type::I128, IN_B);
    let new = b.get_reg(Type::I128, IN_C);
    let old = b.atomic_cas(a, expected, new, Endian::Little);
    let fin = b.load(Type::I128, a, Endian::Little);
    b.set_reg(OUT, old);
    b.set_reg(OUT + 16, fin);
    let blk = b.finish(Exit::Jump { target: 4 }, 4);
    let mut check = TierCheck::new(&blk, PC).unwrap();
    let m = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
    let n = 0xdead_beef_0000_0001_8000_0000_ffff_fffeu128;
    for (expected, swapped) in [(m, true), (m ^ 1 << 100, false), (m ^ 1, false)] {
        let (out, _) = check.run(&state_with(m, expected, n), &mem).unwrap();
        let word = |off: u32| u128::from_le_bytes(out[off as usize..][..16].try_into().unwrap());
        assert_eq!(word(OUT), m, "old value, expected {expected:#x}");
        assert_eq!(word(OUT + 16), if swapped { n } else { m }, "memory after");
    }
}

static HELPER: Helper = Helper {
    name: "mix",
    func: mix,
};

extern "C" fn mix(state: *mut u8, _mem: *mut u8, a: u64, b: u64, c: u64, d: u64) -> u64 {
    // SAFETY: the tests' state is STATE bytes long; offset 8 is inside it.
    unsafe { state.add(8).write(0x5a) };
    a.wrapping_mul(31) ^ b.rotate_left(7) ^ c ^ d.wrapping_add(1)
}

#[test]
fn control_flow_and_helpers_agree() {
    let mem = test_memory(&[]);
    let mut b = Builder::new(0x2000);
    b.insn_start(0x2000);
    let x = b.get_reg(Type::I64, IN_A);
    let y = b.get_reg(Type::I64, IN_B);
    let h = b.call_helper(&HELPER, &[x, y]);
    b.set_reg(OUT, h);
    let r = b.get_reg(Type::I8, 8); // written by the helper: not forwarded across the call
    b.set_reg(OUT + 16, r);
    b.insn_start(0x2004);
    let c = b.icmp_imm(IntCC::Eq, x, 3);
    b.exit_if(c, 0x3000);
    b.set_reg(OUT + 32, y);
    let d = b.icmp_imm(IntCC::Ugt, y, 100);
    let branch = b.finish(
        Exit::Branch {
            cond: d,
            taken: 0x4000,
            not_taken: 0x5000,
        },
        0x2008,
    );
    let mut check = TierCheck::new(&branch, PC).unwrap();
    assert_eq!(
        check.run(&state_with(3, 0, 0), &mem).unwrap().1,
        BlockExit::Jump(0x3000)
    );
    assert_eq!(
        check.run(&state_with(4, 101, 0), &mem).unwrap().1,
        BlockExit::Jump(0x4000)
    );
    assert_eq!(
        check.run(&state_with(4, 7, 0), &mem).unwrap().1,
        BlockExit::Jump(0x5000)
    );

    let mut b = Builder::new(0x2000);
    let t = b.get_reg(Type::I32, IN_A);
    let ind = b.finish(Exit::Indirect { target: t }, 0x2004);
    let mut check = TierCheck::new(&ind, PC).unwrap();
    assert_eq!(
        check.run(&state_with(0x1234_5678_9, 0, 0), &mem).unwrap().1,
        BlockExit::Indirect(0x2345_6789)
    );

    let sys = Builder::new(0x2000).finish(Exit::Syscall { next: 0x2004 }, 0x2004);
    assert_eq!(
        TierCheck::new(&sys, PC)
            .unwrap()
            .run(&state_with(0, 0, 0), &mem)
            .unwrap()
            .1,
        BlockExit::Syscall(0x2004)
    );
    for kind in [
        TrapKind::Undefined,
        TrapKind::Unimplemented,
        TrapKind::Breakpoint,
        TrapKind::DivideError,
    ] {
        let trap = Builder::new(0x2000).finish(Exit::Trap { kind, pc: 0x2000 }, 0x2000);
        let got = TierCheck::new(&trap, PC)
            .unwrap()
            .run(&state_with(0, 0, 0), &mem)
            .unwrap()
            .1;
        assert_eq!(got, BlockExit::Trap(kind, 0x2000));
    }
    // Every op in the table is exercised by one of the tests in this file.
    let names: Vec<&str> = Op::TABLE.iter().map(|(n, _, _)| *n).collect();
    assert!(names.contains(&"VShuffle") && names.contains(&"AtomicCas"));
}
