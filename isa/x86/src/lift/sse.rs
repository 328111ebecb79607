//! SSE and SSE2 (SDM Vol. 1, chapters 10 and 11): the moves, logic, integer and floating-point
//! arithmetic, compares, shuffles and conversions that glibc's baseline (sse2) string functions,
//! printf and compiled C use. The mandatory prefix (none, 66, F3, F2) selects the form.
//!
//! The MMX-register forms are in `mmx.rs` (which runs these lifters for the element-wise ones).
//! Every SSE/SSE2 form is here or in `mmx.rs`/`sse4.rs`; `tests/sse_audit.rs` checks that each
//! one capstone knows lifts. RCP*/RSQRT* give the host CPU's approximation (`sse4_helpers`).
//! MXCSR is the host's while the guest runs (`mxcsr.rs`): arithmetic and CVTSI2S*/CVTS*2SS
//! round in MXCSR.RC because the host SSE instructions do; CVTS*2SI and CVTP*2DQ call the
//! host conversion for the same reason. Sticky flags are the host's (COMIS* signal like
//! UCOMIS*; MIN/MAX and compares do not apply DAZ to the value they pass through).

use super::{Ctx, Step, ty};
use crate::decode::{Rep, Rm};
use crate::state::off;
use xarch_translator::ir::{FloatCC, Lane, Type, Value, VecOp, VecShift};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Pfx {
    None,
    P66,
    F3,
    F2,
}

impl Ctx {
    pub(super) fn pfx(&self) -> Pfx {
        match (self.insn.rep, self.insn.opsize_prefix) {
            (Some(Rep::Rep), _) => Pfx::F3,
            (Some(Rep::Repne), _) => Pfx::F2,
            (None, true) => Pfx::P66,
            (None, false) => Pfx::None,
        }
    }

    pub(super) fn xmm(&mut self, r: u8) -> Value {
        self.b.get_reg(Type::V128, off::xmm(r))
    }

    pub(super) fn set_xmm(&mut self, r: u8, v: Value) {
        self.b.set_reg(off::xmm(r), v)
    }

    /// The `rm` operand as a full 128-bit value (register or 16-byte load; alignment of the
    /// aligned forms is not checked).
    pub(super) fn xmm_rm(&mut self) -> Value {
        let i = self.insn;
        let p = self.pfx();
        match i.rm.expect("ModRM") {
            Rm::Reg(r) => self.xmm(r),
            // CVTDQ2PD and CVTPS2PD read an m64.
            Rm::Mem(m)
                if (i.opcode, p) == (0xe6, Pfx::F3) || (i.opcode, p) == (0x5a, Pfx::None) =>
            {
                let a = self.addr(&m);
                let s = self.load(Type::I64, a);
                self.zero_ext_vec(s)
            }
            Rm::Mem(m) => {
                let a = self.addr(&m);
                // MOVUPS/MOVUPD/MOVDQU are the unaligned forms; every other legacy-SSE m128
                // operand must be 16-byte aligned.
                let unaligned = (i.opcode == 0x10 && matches!(p, Pfx::None | Pfx::P66))
                    || (i.opcode == 0x6f && p == Pfx::F3);
                if !unaligned {
                    self.check_aligned16(a);
                }
                self.load(Type::V128, a)
            }
        }
    }

    /// #GP (SIGSEGV at the instruction, as Linux delivers it) unless `addr` is 16-byte aligned.
    pub(super) fn check_aligned16(&mut self, addr: Value) {
        let low = self.b.and_imm(addr, 15);
        let bad = self.b.icmp_imm(xarch_translator::ir::IntCC::Ne, low, 0);
        self.b.exit_if(bad, super::control::GP_FAULT_TAG | self.pc);
    }

    /// The `rm` operand as a scalar of `t` (low lane of a register, or a load).
    pub(super) fn xmm_rm_scalar(&mut self, t: Type) -> Value {
        match self.insn.rm.expect("ModRM") {
            Rm::Reg(r) => {
                let v = self.xmm(r);
                self.low_lane(v, t)
            }
            Rm::Mem(m) => {
                let a = self.addr(&m);
                self.load(t, a)
            }
        }
    }

    pub(super) fn low_lane(&mut self, v: Value, t: Type) -> Value {
        let lane = lane_of(t);
        self.b.vextract(lane, 0, v)
    }

    /// Writes `s` into the low lane of XMM `r`, keeping the other lanes.
    pub(super) fn set_low_lane(&mut self, r: u8, s: Value) {
        let lane = lane_of(self.b.ty(s));
        let v = self.xmm(r);
        let v = self.b.vinsert(lane, 0, v, s);
        self.set_xmm(r, v);
    }

    /// A vector holding `s` in the low lane, zeros elsewhere.
    pub(super) fn zero_ext_vec(&mut self, s: Value) -> Value {
        let lane = lane_of(self.b.ty(s));
        let z = self.b.v128const(0);
        self.b.vinsert(lane, 0, z, s)
    }

    fn vbin(&mut self, op: VecOp, lane: Lane) -> Step {
        let a = self.xmm(self.insn.reg);
        let b = self.xmm_rm();
        let r = self.b.vbinary(op, lane, a, b);
        self.set_xmm(self.insn.reg, r);
        Step::Next
    }

    /// Sign bits of the lanes packed into an i32 (PMOVMSKB, MOVMSKPS/PD).
    pub(super) fn movemask(&mut self, v: Value, lane: Lane) -> Value {
        match lane {
            Lane::I8x16 => {
                // One 0/1 byte per lane, then a multiply gathers 8 bytes' low bits into the top byte.
                let bits = self.b.vshift_imm(VecShift::LShr, Lane::I8x16, v, 7);
                let lo = self.b.vextract(Lane::I64x2, 0, bits);
                let hi = self.b.vextract(Lane::I64x2, 1, bits);
                let magic = self.b.const64(0x0102_0408_1020_4080);
                let sh = self.b.const64(56);
                let lo = self.b.mul(lo, magic);
                let lo = self.b.lshr(lo, sh);
                let hi = self.b.mul(hi, magic);
                let hi = self.b.lshr(hi, sh);
                let eight = self.b.const64(8);
                let hi = self.b.shl(hi, eight);
                let m = self.b.or(lo, hi);
                self.b.trunc(Type::I32, m)
            }
            _ => {
                let (il, n) = if lane == Lane::F32x4 {
                    (Lane::I32x4, 4)
                } else {
                    (Lane::I64x2, 2)
                };
                let bits = il.lane_bits();
                let mut acc = self.b.const32(0);
                for k in 0..n {
                    let x = self.b.vextract(il, k, v);
                    let sh = self.b.iconst(il.scalar(), u64::from(bits - 1));
                    let s = self.b.lshr(x, sh);
                    let s = self.b.zext_or_trunc(Type::I32, s);
                    let sh = self.b.const32(u32::from(k));
                    let s = self.b.shl(s, sh);
                    acc = self.b.or(acc, s);
                }
                acc
            }
        }
    }

    /// x86 MIN/MAX: `a op b ? a : b`, so a NaN or equal operands give the second (source).
    fn fminmax(&mut self, a: Value, b: Value, max: bool) -> Value {
        let c = if max {
            self.b.fcmp(FloatCC::Gt, a, b)
        } else {
            self.b.fcmp(FloatCC::Lt, a, b)
        };
        self.b.select(c, a, b)
    }

    /// CVTT*2SI: truncate; NaN and out-of-range give the "integer indefinite" (MIN).
    pub(super) fn cvt_to_int(&mut self, f: Value, bits: u32, round: bool) -> Value {
        let t = ty(bits);
        let ft = self.b.ty(f);
        if round {
            // CVTS*2SI / CVTP*2DQ round in MXCSR.RC: the host conversion does (`mxcsr.rs`).
            let kind = u64::from(ft == Type::F64) * 2 + u64::from(bits == 64);
            let x = self.b.bitcast(Type::int(ft.bits()), f);
            let x = self.b.zext_or_trunc(Type::I64, x);
            let k = self.b.const64(kind);
            let r = self.b.call_helper(&super::mxcsr::CVT, &[x, k]);
            return self.b.zext_or_trunc(t, r);
        }
        let r = self.b.ftosint(t, f);
        let lim = 2f64.powi(bits as i32 - 1);
        let (hi, lo) = if ft == Type::F32 {
            (self.b.f32const(lim as f32), self.b.f32const(-lim as f32))
        } else {
            (self.b.f64const(lim), self.b.f64const(-lim))
        };
        let below = self.b.fcmp(FloatCC::Lt, f, hi);
        let above = self.b.fcmp(FloatCC::Ge, f, lo);
        let ok = self.b.and(below, above);
        let min = self.b.iconst(t, 1u64 << (bits - 1));
        self.b.select(ok, r, min)
    }

    /// UCOMIS/COMIS: ZF, PF, CF = 111 unordered, 000 greater, 001 less, 100 equal; OF, SF, AF 0.
    fn fcompare_flags(&mut self, a: Value, b: Value) {
        let un = self.b.fcmp(FloatCC::Unordered, a, b);
        let lt = self.b.fcmp(FloatCC::Lt, a, b);
        let eq = self.b.fcmp(FloatCC::Eq, a, b);
        let z = self.b.or(un, eq);
        let c = self.b.or(un, lt);
        let mut acc = self.b.const64(0);
        for (v, shift) in [(z, 6u64), (un, 2), (c, 0)] {
            let x = self.b.zext(Type::I64, v);
            let sh = self.b.const64(shift);
            let x = self.b.shl(x, sh);
            acc = self.b.or(acc, x);
        }
        self.set_flags_value(acc);
    }

    /// A scalar compare predicate of CMPSS/CMPSD (imm8 0–7) as an i8 0/1.
    fn fpredicate(&mut self, a: Value, b: Value, p: u8) -> Value {
        let base = match p & 3 {
            0 => self.b.fcmp(FloatCC::Eq, a, b),
            1 => self.b.fcmp(FloatCC::Lt, a, b),
            2 => self.b.fcmp(FloatCC::Le, a, b),
            _ => self.b.fcmp(FloatCC::Unordered, a, b),
        };
        if p & 4 != 0 {
            let one = self.b.iconst(Type::I8, 1);
            self.b.xor(base, one)
        } else {
            base
        }
    }
}

pub(super) fn lane_of(t: Type) -> Lane {
    match t {
        Type::F32 => Lane::F32x4,
        Type::F64 => Lane::F64x2,
        Type::I32 => Lane::I32x4,
        Type::I64 => Lane::I64x2,
        Type::I16 => Lane::I16x8,
        _ => Lane::I8x16,
    }
}

/// The VShuffle mask for lanes of `bytes` each: result lane k takes lane `src[k]` of `a ++ b`.
pub(super) fn lanes_mask(bytes: usize, src: &[usize]) -> [u8; 16] {
    let mut m = [0u8; 16];
    for (k, &s) in src.iter().enumerate() {
        for j in 0..bytes {
            m[k * bytes + j] = (s * bytes + j) as u8;
        }
    }
    m
}

pub(crate) fn lift_0f(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let op = i.opcode;
    let p = cx.pfx();
    let reg = i.reg;
    let is_mem = matches!(i.rm, Some(Rm::Mem(_)));
    let scalar_ty = |p: Pfx| if p == Pfx::F3 { Type::F32 } else { Type::F64 };
    match (op, p) {
        // ---- moves ----
        (0x10 | 0x28, Pfx::None | Pfx::P66) | (0x6f, Pfx::P66 | Pfx::F3) => {
            let v = cx.xmm_rm();
            cx.set_xmm(reg, v);
            Step::Next
        }
        (0x11 | 0x29, Pfx::None | Pfx::P66)
        | (0x7f, Pfx::P66 | Pfx::F3)
        | (0xe7, Pfx::P66)
        | (0x2b, Pfx::None | Pfx::P66) => {
            let v = cx.xmm(reg);
            match i.rm.expect("ModRM") {
                Rm::Reg(_) if matches!(op, 0xe7 | 0x2b) => Step::Undefined,
                Rm::Reg(r) => {
                    cx.set_xmm(r, v);
                    Step::Next
                }
                Rm::Mem(m) => {
                    let a = cx.addr(&m);
                    // MOVUPS/MOVUPD (11) and MOVDQU (F3 7F) are the unaligned stores.
                    if !(op == 0x11 || (op == 0x7f && p == Pfx::F3)) {
                        cx.check_aligned16(a);
                    }
                    cx.store(a, v);
                    Step::Next
                }
            }
        }
        // MOVSS/MOVSD: a load zeroes the upper lanes, a register move merges.
        (0x10, Pfx::F3 | Pfx::F2) => {
            let t = scalar_ty(p);
            let s = cx.xmm_rm_scalar(t);
            if is_mem {
                let v = cx.zero_ext_vec(s);
                cx.set_xmm(reg, v);
            } else {
                cx.set_low_lane(reg, s);
            }
            Step::Next
        }
        (0x11, Pfx::F3 | Pfx::F2) => {
            let t = scalar_ty(p);
            let v = cx.xmm(reg);
            let s = cx.low_lane(v, t);
            match i.rm.expect("ModRM") {
                Rm::Reg(r) => cx.set_low_lane(r, s),
                Rm::Mem(m) => {
                    let a = cx.addr(&m);
                    cx.store(a, s);
                }
            }
            Step::Next
        }
        // MOVLPS/MOVLPD/MOVHPS/MOVHPD loads and stores; MOVHLPS/MOVLHPS register forms.
        (0x12 | 0x16, Pfx::None | Pfx::P66) => {
            let idx = u8::from(op == 0x16);
            let s = match i.rm.expect("ModRM") {
                Rm::Mem(m) => {
                    let a = cx.addr(&m);
                    cx.load(Type::I64, a)
                }
                Rm::Reg(r) if p == Pfx::None => {
                    // MOVHLPS takes the source's high half; MOVLHPS its low half.
                    let v = cx.xmm(r);
                    cx.b.vextract(Lane::I64x2, 1 - idx, v)
                }
                Rm::Reg(_) => return Step::Undefined,
            };
            let v = cx.xmm(reg);
            let v = cx.b.vinsert(Lane::I64x2, idx, v, s);
            cx.set_xmm(reg, v);
            Step::Next
        }
        (0x13 | 0x17, Pfx::None | Pfx::P66) => {
            let Some(Rm::Mem(m)) = i.rm else {
                return Step::Undefined;
            };
            let v = cx.xmm(reg);
            let s = cx.b.vextract(Lane::I64x2, u8::from(op == 0x17), v);
            let a = cx.addr(&m);
            cx.store(a, s);
            Step::Next
        }
        // MOVD/MOVQ xmm, r/m.
        (0x6e, Pfx::P66) => {
            let bits = if i.rex_w() { 64 } else { 32 };
            let loc = cx.loc_rm();
            let s = cx.read(loc, bits);
            let v = cx.zero_ext_vec(s);
            cx.set_xmm(reg, v);
            Step::Next
        }
        // MOVD/MOVQ r/m, xmm.
        (0x7e, Pfx::P66) => {
            let bits = if i.rex_w() { 64 } else { 32 };
            let v = cx.xmm(reg);
            let s = cx.low_lane(v, ty(bits));
            let loc = cx.loc_rm();
            cx.write(loc, bits, s);
            Step::Next
        }
        // MOVQ xmm, xmm/m64 (F3 0F 7E) and MOVQ xmm/m64, xmm (66 0F D6): upper half zeroed.
        (0x7e, Pfx::F3) => {
            let s = cx.xmm_rm_scalar(Type::I64);
            let v = cx.zero_ext_vec(s);
            cx.set_xmm(reg, v);
            Step::Next
        }
        (0xd6, Pfx::P66) => {
            let v = cx.xmm(reg);
            let s = cx.low_lane(v, Type::I64);
            match i.rm.expect("ModRM") {
                Rm::Reg(r) => {
                    let v = cx.zero_ext_vec(s);
                    cx.set_xmm(r, v);
                }
                Rm::Mem(m) => {
                    let a = cx.addr(&m);
                    cx.store(a, s);
                }
            }
            Step::Next
        }
        // MOVNTI m32/m64, r.
        (0xc3, Pfx::None) if is_mem => {
            let bits = if i.rex_w() { 64 } else { 32 };
            let v = cx.get_gpr(reg, bits);
            let loc = cx.loc_rm();
            cx.write(loc, bits, v);
            Step::Next
        }
        // ---- logic ----
        (0x54, Pfx::None | Pfx::P66) | (0xdb, Pfx::P66) => cx.vbin(VecOp::And, Lane::I64x2),
        (0x56, Pfx::None | Pfx::P66) | (0xeb, Pfx::P66) => cx.vbin(VecOp::Or, Lane::I64x2),
        (0x57, Pfx::None | Pfx::P66) | (0xef, Pfx::P66) => cx.vbin(VecOp::Xor, Lane::I64x2),
        // ANDN: !dest & src.
        (0x55, Pfx::None | Pfx::P66) | (0xdf, Pfx::P66) => {
            let a = cx.xmm(reg);
            let b = cx.xmm_rm();
            let r = cx.b.vbinary(VecOp::AndNot, Lane::I64x2, b, a);
            cx.set_xmm(reg, r);
            Step::Next
        }
        // ---- packed integer ----
        (0xfc, Pfx::P66) => cx.vbin(VecOp::Add, Lane::I8x16),
        (0xfd, Pfx::P66) => cx.vbin(VecOp::Add, Lane::I16x8),
        (0xfe, Pfx::P66) => cx.vbin(VecOp::Add, Lane::I32x4),
        (0xd4, Pfx::P66) => cx.vbin(VecOp::Add, Lane::I64x2),
        (0xf8, Pfx::P66) => cx.vbin(VecOp::Sub, Lane::I8x16),
        (0xf9, Pfx::P66) => cx.vbin(VecOp::Sub, Lane::I16x8),
        (0xfa, Pfx::P66) => cx.vbin(VecOp::Sub, Lane::I32x4),
        (0xfb, Pfx::P66) => cx.vbin(VecOp::Sub, Lane::I64x2),
        (0xd5, Pfx::P66) => cx.vbin(VecOp::Mul, Lane::I16x8),
        (0xec, Pfx::P66) => cx.vbin(VecOp::AddSatS, Lane::I8x16),
        (0xed, Pfx::P66) => cx.vbin(VecOp::AddSatS, Lane::I16x8),
        (0xdc, Pfx::P66) => cx.vbin(VecOp::AddSatU, Lane::I8x16),
        (0xdd, Pfx::P66) => cx.vbin(VecOp::AddSatU, Lane::I16x8),
        (0xe8, Pfx::P66) => cx.vbin(VecOp::SubSatS, Lane::I8x16),
        (0xe9, Pfx::P66) => cx.vbin(VecOp::SubSatS, Lane::I16x8),
        (0xd8, Pfx::P66) => cx.vbin(VecOp::SubSatU, Lane::I8x16),
        (0xd9, Pfx::P66) => cx.vbin(VecOp::SubSatU, Lane::I16x8),
        (0x74, Pfx::P66) => cx.vbin(VecOp::CmpEq, Lane::I8x16),
        (0x75, Pfx::P66) => cx.vbin(VecOp::CmpEq, Lane::I16x8),
        (0x76, Pfx::P66) => cx.vbin(VecOp::CmpEq, Lane::I32x4),
        (0x64, Pfx::P66) => cx.vbin(VecOp::CmpGtS, Lane::I8x16),
        (0x65, Pfx::P66) => cx.vbin(VecOp::CmpGtS, Lane::I16x8),
        (0x66, Pfx::P66) => cx.vbin(VecOp::CmpGtS, Lane::I32x4),
        (0xda, Pfx::P66) => cx.vbin(VecOp::MinU, Lane::I8x16),
        (0xde, Pfx::P66) => cx.vbin(VecOp::MaxU, Lane::I8x16),
        (0xea, Pfx::P66) => cx.vbin(VecOp::MinS, Lane::I16x8),
        (0xee, Pfx::P66) => cx.vbin(VecOp::MaxS, Lane::I16x8),
        (0xd7, Pfx::P66) => {
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let v = cx.xmm(r);
            let m = cx.movemask(v, Lane::I8x16);
            cx.set_gpr(reg, 32, m);
            Step::Next
        }
        (0x50, Pfx::None | Pfx::P66) => {
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let v = cx.xmm(r);
            let lane = if p == Pfx::None {
                Lane::F32x4
            } else {
                Lane::F64x2
            };
            let m = cx.movemask(v, lane);
            cx.set_gpr(reg, 32, m);
            Step::Next
        }
        // PACKSSWB / PACKUSWB / PACKSSDW: clamp each lane, then keep its low half.
        (0x63 | 0x67 | 0x6b, Pfx::P66) => {
            let (lane, lo, hi, half) = match op {
                0x63 => (Lane::I16x8, -128i64, 127i64, 1usize),
                0x67 => (Lane::I16x8, 0, 255, 1),
                _ => (Lane::I32x4, -32768, 32767, 2),
            };
            let a = cx.xmm(reg);
            let b = cx.xmm_rm();
            let st = lane.scalar();
            let lo = cx.b.iconst(st, lo as u64);
            let hi = cx.b.iconst(st, hi as u64);
            let lo = cx.b.vsplat(lane, lo);
            let hi = cx.b.vsplat(lane, hi);
            let clamp = |cx: &mut Ctx, v: Value| {
                let v = cx.b.vbinary(VecOp::MaxS, lane, v, lo);
                cx.b.vbinary(VecOp::MinS, lane, v, hi)
            };
            let a = clamp(cx, a);
            let b = clamp(cx, b);
            let lb = (lane.lane_bits() / 8) as usize;
            let mut mask = [0u8; 16];
            for (k, m) in mask.iter_mut().enumerate() {
                let (elem, byte) = (k / half, k % half);
                *m = (elem * lb + byte) as u8;
            }
            let r = cx.b.vshuffle(mask, a, b);
            cx.set_xmm(reg, r);
            Step::Next
        }
        // ---- shuffles and unpacks ----
        (0x70, Pfx::P66 | Pfx::F2 | Pfx::F3) => {
            let v = cx.xmm_rm();
            let imm = i.imm as u8;
            let sel = |k: usize| ((imm >> (2 * k)) & 3) as usize;
            let mask = match p {
                Pfx::P66 => lanes_mask(4, &[sel(0), sel(1), sel(2), sel(3)]),
                Pfx::F2 => lanes_mask(2, &[sel(0), sel(1), sel(2), sel(3), 4, 5, 6, 7]),
                _ => lanes_mask(
                    2,
                    &[0, 1, 2, 3, 4 + sel(0), 4 + sel(1), 4 + sel(2), 4 + sel(3)],
                ),
            };
            let r = cx.b.vshuffle(mask, v, v);
            cx.set_xmm(reg, r);
            Step::Next
        }
        (0x60..=0x62 | 0x68..=0x6a | 0x6c | 0x6d, Pfx::P66)
        | (0x14 | 0x15, Pfx::None | Pfx::P66) => {
            let (bytes, high) = match op {
                0x60 => (1, false),
                0x61 => (2, false),
                0x62 => (4, false),
                0x68 => (1, true),
                0x69 => (2, true),
                0x6a => (4, true),
                0x6c => (8, false),
                0x6d => (8, true),
                0x14 => (if p == Pfx::None { 4 } else { 8 }, false),
                _ => (if p == Pfx::None { 4 } else { 8 }, true),
            };
            let n = 16 / bytes;
            let base = if high { n / 2 } else { 0 };
            let src: Vec<usize> = (0..n / 2).flat_map(|k| [base + k, n + base + k]).collect();
            let a = cx.xmm(reg);
            let b = cx.xmm_rm();
            let r = cx.b.vshuffle(lanes_mask(bytes, &src), a, b);
            cx.set_xmm(reg, r);
            Step::Next
        }
        (0xc6, Pfx::None | Pfx::P66) => {
            let imm = i.imm as usize;
            let a = cx.xmm(reg);
            let b = cx.xmm_rm();
            let mask = if p == Pfx::None {
                lanes_mask(
                    4,
                    &[
                        imm & 3,
                        (imm >> 2) & 3,
                        4 + ((imm >> 4) & 3),
                        4 + ((imm >> 6) & 3),
                    ],
                )
            } else {
                lanes_mask(8, &[imm & 1, 2 + ((imm >> 1) & 1)])
            };
            let r = cx.b.vshuffle(mask, a, b);
            cx.set_xmm(reg, r);
            Step::Next
        }
        // Shifts by an immediate: groups 12, 13, 14.
        (0x71..=0x73, Pfx::P66) => {
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let imm = i.imm as u8 as u32;
            let v = cx.xmm(r);
            let res = match (op, i.ext()) {
                (0x73, 3 | 7) => {
                    // PSRLDQ / PSLLDQ: whole-register byte shifts.
                    let n = imm.min(16) as usize;
                    let z = cx.b.v128const(0);
                    let mut mask = [0u8; 16];
                    for (k, m) in mask.iter_mut().enumerate() {
                        *m = if i.ext() == 3 {
                            if k + n < 16 { (k + n) as u8 } else { 16 }
                        } else if k >= n {
                            (k - n) as u8
                        } else {
                            16
                        };
                    }
                    cx.b.vshuffle(mask, v, z)
                }
                (_, e @ (2 | 4 | 6)) => {
                    let lane = match op {
                        0x71 => Lane::I16x8,
                        0x72 => Lane::I32x4,
                        _ => Lane::I64x2,
                    };
                    if e == 4 && lane == Lane::I64x2 {
                        return Step::Undefined;
                    }
                    let lb = lane.lane_bits();
                    let sop = match e {
                        2 => VecShift::LShr,
                        4 => VecShift::AShr,
                        _ => VecShift::Shl,
                    };
                    if imm >= lb {
                        if sop == VecShift::AShr {
                            cx.b.vshift_imm(sop, lane, v, lb - 1)
                        } else {
                            cx.b.v128const(0)
                        }
                    } else if imm == 0 {
                        v
                    } else {
                        cx.b.vshift_imm(sop, lane, v, imm)
                    }
                }
                _ => return Step::Undefined,
            };
            cx.set_xmm(r, res);
            Step::Next
        }
        // PEXTRW r32, xmm, imm8 ; PINSRW xmm, r32/m16, imm8.
        (0xc5, Pfx::P66) => {
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let v = cx.xmm(r);
            let w = cx.b.vextract(Lane::I16x8, (i.imm as u8) & 7, v);
            let w = cx.b.zext(Type::I32, w);
            cx.set_gpr(reg, 32, w);
            Step::Next
        }
        (0xc4, Pfx::P66) => {
            let loc = cx.loc_rm();
            let w = cx.read(loc, 16);
            let v = cx.xmm(reg);
            let v = cx.b.vinsert(Lane::I16x8, (i.imm as u8) & 7, v, w);
            cx.set_xmm(reg, v);
            Step::Next
        }
        // ---- floating point ----
        (0x58 | 0x59 | 0x5c | 0x5e | 0x5d | 0x5f | 0x51, _) => {
            let packed = matches!(p, Pfx::None | Pfx::P66);
            if packed {
                let lane = if p == Pfx::None {
                    Lane::F32x4
                } else {
                    Lane::F64x2
                };
                let a = cx.xmm(reg);
                let b = cx.xmm_rm();
                let r = match op {
                    0x58 => cx.b.vbinary(VecOp::FAdd, lane, a, b),
                    0x59 => cx.b.vbinary(VecOp::FMul, lane, a, b),
                    0x5c => cx.b.vbinary(VecOp::FSub, lane, a, b),
                    0x5e => cx.b.vbinary(VecOp::FDiv, lane, a, b),
                    0x51 => cx.b.vunary(xarch_translator::ir::VecUnOp::FSqrt, lane, b),
                    _ => {
                        // MINPS/MAXPS: a < b (a > b) ? a : b, lane-wise.
                        let m = if op == 0x5d {
                            cx.b.vbinary(VecOp::FCmpGt, lane, b, a)
                        } else {
                            cx.b.vbinary(VecOp::FCmpGt, lane, a, b)
                        };
                        let x = cx.b.vbinary(VecOp::And, Lane::I64x2, a, m);
                        let y = cx.b.vbinary(VecOp::AndNot, Lane::I64x2, b, m);
                        cx.b.vbinary(VecOp::Or, Lane::I64x2, x, y)
                    }
                };
                cx.set_xmm(reg, r);
                return Step::Next;
            }
            let t = scalar_ty(p);
            let v = cx.xmm(reg);
            let a = cx.low_lane(v, t);
            let b = cx.xmm_rm_scalar(t);
            let r = match op {
                0x58 => cx.b.fadd(a, b),
                0x59 => cx.b.fmul(a, b),
                0x5c => cx.b.fsub(a, b),
                0x5e => cx.b.fdiv(a, b),
                0x51 => cx.b.fsqrt(b),
                0x5d => cx.fminmax(a, b, false),
                _ => cx.fminmax(a, b, true),
            };
            cx.set_low_lane(reg, r);
            Step::Next
        }
        // CVTSI2SS/SD.
        (0x2a, Pfx::F3 | Pfx::F2) => {
            let bits = if i.rex_w() { 64 } else { 32 };
            let loc = cx.loc_rm();
            let s = cx.read(loc, bits);
            let f = cx.b.sinttof(scalar_ty(p), s);
            cx.set_low_lane(reg, f);
            Step::Next
        }
        // CVTTSS2SI/CVTTSD2SI and CVTSS2SI/CVTSD2SI.
        (0x2c | 0x2d, Pfx::F3 | Pfx::F2) => {
            let bits = if i.rex_w() { 64 } else { 32 };
            let f = cx.xmm_rm_scalar(scalar_ty(p));
            let r = cx.cvt_to_int(f, bits, op == 0x2d);
            cx.set_gpr(reg, bits, r);
            Step::Next
        }
        // CVTSS2SD / CVTSD2SS.
        (0x5a, Pfx::F3 | Pfx::F2) => {
            let (from, to) = if p == Pfx::F3 {
                (Type::F32, Type::F64)
            } else {
                (Type::F64, Type::F32)
            };
            let f = cx.xmm_rm_scalar(from);
            let g = cx.b.fconvert(to, f);
            cx.set_low_lane(reg, g);
            Step::Next
        }
        // CVTDQ2PD (F3 0F E6): two i32 lanes to doubles.
        (0xe6, Pfx::F3) => {
            let v = cx.xmm_rm();
            let lo = cx.b.vextract(Lane::I32x4, 0, v);
            let hi = cx.b.vextract(Lane::I32x4, 1, v);
            let lo = cx.b.sinttof(Type::F64, lo);
            let hi = cx.b.sinttof(Type::F64, hi);
            let z = cx.b.v128const(0);
            let r = cx.b.vinsert(Lane::F64x2, 0, z, lo);
            let r = cx.b.vinsert(Lane::F64x2, 1, r, hi);
            cx.set_xmm(reg, r);
            Step::Next
        }
        // PAVGB/PAVGW: (a + b + 1) >> 1 = (a | b) - ((a ^ b) >> 1), without widening.
        (0xe0 | 0xe3, Pfx::P66) => {
            let lane = if op == 0xe0 { Lane::I8x16 } else { Lane::I16x8 };
            let a = cx.xmm(reg);
            let b = cx.xmm_rm();
            let o = cx.b.vbinary(VecOp::Or, Lane::I64x2, a, b);
            let x = cx.b.vbinary(VecOp::Xor, Lane::I64x2, a, b);
            let h = cx.b.vshift_imm(VecShift::LShr, lane, x, 1);
            let r = cx.b.vbinary(VecOp::Sub, lane, o, h);
            cx.set_xmm(reg, r);
            Step::Next
        }
        // PMULHUW / PMULHW: the high 16 bits of each 16x16 product, lane by lane.
        (0xe4 | 0xe5, Pfx::P66) => {
            let a = cx.xmm(reg);
            let b = cx.xmm_rm();
            let mut r = cx.b.v128const(0);
            for k in 0..8 {
                let x = cx.b.vextract(Lane::I16x8, k, a);
                let y = cx.b.vextract(Lane::I16x8, k, b);
                let (x, y) = if op == 0xe5 {
                    (cx.b.sext(Type::I32, x), cx.b.sext(Type::I32, y))
                } else {
                    (cx.b.zext(Type::I32, x), cx.b.zext(Type::I32, y))
                };
                let m = cx.b.mul(x, y);
                let sh = cx.b.const32(16);
                let m = cx.b.lshr(m, sh);
                let m = cx.b.trunc(Type::I16, m);
                r = cx.b.vinsert(Lane::I16x8, k, r, m);
            }
            cx.set_xmm(reg, r);
            Step::Next
        }
        // PSADBW: per 8-byte half, the sum of absolute byte differences in the low 16 bits.
        (0xf6, Pfx::P66) => {
            let a = cx.xmm(reg);
            let b = cx.xmm_rm();
            let mx = cx.b.vbinary(VecOp::MaxU, Lane::I8x16, a, b);
            let mn = cx.b.vbinary(VecOp::MinU, Lane::I8x16, a, b);
            let d = cx.b.vbinary(VecOp::Sub, Lane::I8x16, mx, mn);
            let mut r = cx.b.v128const(0);
            for half in 0..2u8 {
                let mut acc = cx.b.const64(0);
                for k in 0..8 {
                    let x = cx.b.vextract(Lane::I8x16, half * 8 + k, d);
                    let x = cx.b.zext(Type::I64, x);
                    acc = cx.b.add(acc, x);
                }
                r = cx.b.vinsert(Lane::I64x2, half, r, acc);
            }
            cx.set_xmm(reg, r);
            Step::Next
        }
        // Shifts by the count in an XMM register or memory (its low 64 bits).
        (0xd1..=0xd3 | 0xe1 | 0xe2 | 0xf1..=0xf3, Pfx::P66) => {
            let lane = match op & 3 {
                1 => Lane::I16x8,
                2 => Lane::I32x4,
                _ => Lane::I64x2,
            };
            let a = cx.xmm(reg);
            let cv = cx.xmm_rm();
            let count = cx.b.vextract(Lane::I64x2, 0, cv);
            let lt = lane.scalar();
            let lb = u64::from(lane.lane_bits());
            let big = cx.b.icmp_imm(xarch_translator::ir::IntCC::Uge, count, lb);
            let mut r = cx.b.v128const(0);
            for k in 0..lane.lanes() as u8 {
                let x = cx.b.vextract(lane, k, a);
                let c = cx.b.zext_or_trunc(lt, count);
                let y = match op & 0xf0 {
                    0xd0 => {
                        let s = cx.b.lshr(x, c);
                        let z = cx.b.iconst(lt, 0);
                        cx.b.select(big, z, s)
                    }
                    0xf0 => {
                        let s = cx.b.shl(x, c);
                        let z = cx.b.iconst(lt, 0);
                        cx.b.select(big, z, s)
                    }
                    _ => {
                        let maxc = cx.b.iconst(lt, lb - 1);
                        let c = cx.b.select(big, maxc, c);
                        cx.b.ashr(x, c)
                    }
                };
                r = cx.b.vinsert(lane, k, r, y);
            }
            cx.set_xmm(reg, r);
            Step::Next
        }
        // CVTDQ2PS, CVTTPS2DQ (F3), CVTPS2DQ (66): four lanes.
        (0x5b, Pfx::None | Pfx::F3 | Pfx::P66) => {
            let v = cx.xmm_rm();
            let mut r = cx.b.v128const(0);
            for k in 0..4 {
                let x = if p == Pfx::None {
                    let x = cx.b.vextract(Lane::I32x4, k, v);
                    let f = cx.b.sinttof(Type::F32, x);
                    cx.b.bitcast(Type::I32, f)
                } else {
                    let f = cx.b.vextract(Lane::F32x4, k, v);
                    cx.cvt_to_int(f, 32, p == Pfx::P66)
                };
                r = cx.b.vinsert(Lane::I32x4, k, r, x);
            }
            cx.set_xmm(reg, r);
            Step::Next
        }
        // CVTPS2PD (two low f32 lanes) and CVTPD2PS (upper half zeroed).
        (0x5a, Pfx::None | Pfx::P66) => {
            let v = cx.xmm_rm();
            let mut r = cx.b.v128const(0);
            for k in 0..2 {
                if p == Pfx::None {
                    let f = cx.b.vextract(Lane::F32x4, k, v);
                    let g = cx.b.fconvert(Type::F64, f);
                    r = cx.b.vinsert(Lane::F64x2, k, r, g);
                } else {
                    let f = cx.b.vextract(Lane::F64x2, k, v);
                    let g = cx.b.fconvert(Type::F32, f);
                    r = cx.b.vinsert(Lane::F32x4, k, r, g);
                }
            }
            cx.set_xmm(reg, r);
            Step::Next
        }
        // CVTTPD2DQ (66) and CVTPD2DQ (F2): two lanes to i32, upper half zeroed.
        (0xe6, Pfx::P66 | Pfx::F2) => {
            let v = cx.xmm_rm();
            let mut r = cx.b.v128const(0);
            for k in 0..2 {
                let f = cx.b.vextract(Lane::F64x2, k, v);
                let x = cx.cvt_to_int(f, 32, p == Pfx::F2);
                r = cx.b.vinsert(Lane::I32x4, k, r, x);
            }
            cx.set_xmm(reg, r);
            Step::Next
        }
        // PMULUDQ: the low u32 of each u64 lane, multiplied to u64.
        (0xf4, Pfx::P66) => {
            let a = cx.xmm(reg);
            let b = cx.xmm_rm();
            let mut r = cx.b.v128const(0);
            for k in 0..2 {
                let x = cx.b.vextract(Lane::I64x2, k, a);
                let y = cx.b.vextract(Lane::I64x2, k, b);
                let x = cx.b.and_imm(x, 0xffff_ffff);
                let y = cx.b.and_imm(y, 0xffff_ffff);
                let m = cx.b.mul(x, y);
                r = cx.b.vinsert(Lane::I64x2, k, r, m);
            }
            cx.set_xmm(reg, r);
            Step::Next
        }
        // PMADDWD: each 64-bit half as the MMX form.
        (0xf5, Pfx::P66) => {
            let a = cx.xmm(reg);
            let b = cx.xmm_rm();
            let mut r = cx.b.v128const(0);
            for k in 0..2 {
                let x = cx.b.vextract(Lane::I64x2, k, a);
                let y = cx.b.vextract(Lane::I64x2, k, b);
                let m = cx.pmaddwd64(x, y);
                r = cx.b.vinsert(Lane::I64x2, k, r, m);
            }
            cx.set_xmm(reg, r);
            Step::Next
        }
        // MASKMOVDQU xmm1, xmm2: the bytes of xmm1 whose xmm2 byte has its sign set, to
        // DS:rDI. As MASKMOVQ: a 16-byte read-modify-write (not atomic; all 16 bytes must
        // be mapped, where the CPU touches only the selected ones).
        (0xf7, Pfx::P66) => {
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let data = cx.xmm(reg);
            let m = cx.xmm(r);
            let mask = cx.b.vshift_imm(VecShift::AShr, Lane::I8x16, m, 7);
            let mut a = cx.b.get_reg(Type::I64, off::gpr(7));
            if i.addr32 {
                a = cx.b.and_imm(a, 0xffff_ffff);
            }
            let a = cx.seg_add(i.seg, a);
            let old = cx.load(Type::V128, a);
            let old = cx.b.vbinary(VecOp::AndNot, Lane::I64x2, old, mask);
            let new = cx.b.vbinary(VecOp::And, Lane::I64x2, data, mask);
            let x = cx.b.vbinary(VecOp::Or, Lane::I64x2, old, new);
            cx.store(a, x);
            Step::Next
        }
        // RSQRTPS/RCPPS: the host's approximation (`sse4_helpers::RECIP`), two lanes a call.
        (0x52 | 0x53, Pfx::None) => {
            let v = cx.xmm_rm();
            let kind = cx.b.const64(u64::from(op == 0x52));
            let mut r = cx.b.v128const(0);
            for k in 0..2 {
                let x = cx.b.vextract(Lane::I64x2, k, v);
                let y = cx.b.call_helper(&super::sse4_helpers::RECIP, &[kind, x]);
                r = cx.b.vinsert(Lane::I64x2, k, r, y);
            }
            cx.set_xmm(reg, r);
            Step::Next
        }
        // RSQRTSS/RCPSS: the low lane; the others are the destination's.
        (0x52 | 0x53, Pfx::F3) => {
            let s = cx.xmm_rm_scalar(Type::F32);
            let s = cx.b.bitcast(Type::I32, s);
            let s = cx.b.zext(Type::I64, s);
            let kind = cx.b.const64(u64::from(op == 0x52));
            let y = cx.b.call_helper(&super::sse4_helpers::RECIP, &[kind, s]);
            let y = cx.b.trunc(Type::I32, y);
            let y = cx.b.bitcast(Type::F32, y);
            cx.set_low_lane(reg, y);
            Step::Next
        }
        // UCOMISS/UCOMISD, COMISS/COMISD (no exception flags, so alike here).
        (0x2e | 0x2f, Pfx::None | Pfx::P66) => {
            let t = if p == Pfx::None { Type::F32 } else { Type::F64 };
            let v = cx.xmm(reg);
            let a = cx.low_lane(v, t);
            let b = cx.xmm_rm_scalar(t);
            cx.fcompare_flags(a, b);
            Step::Next
        }
        // CMPSS/CMPSD: all-ones or zero in the low lane.
        (0xc2, Pfx::F3 | Pfx::F2) => {
            let t = scalar_ty(p);
            let v = cx.xmm(reg);
            let a = cx.low_lane(v, t);
            let b = cx.xmm_rm_scalar(t);
            let c = cx.fpredicate(a, b, i.imm as u8 & 7);
            let it = Type::int(t.bits());
            let ones = cx.b.iconst(it, u64::MAX);
            let zero = cx.b.iconst(it, 0);
            let m = cx.b.select(c, ones, zero);
            let m = cx.b.bitcast(t, m);
            cx.set_low_lane(reg, m);
            Step::Next
        }
        (0xc2, Pfx::None | Pfx::P66) => {
            let lane = if p == Pfx::None {
                Lane::F32x4
            } else {
                Lane::F64x2
            };
            let a = cx.xmm(reg);
            let b = cx.xmm_rm();
            let pred = i.imm as u8 & 7;
            let base = match pred & 3 {
                0 => cx.b.vbinary(VecOp::FCmpEq, lane, a, b),
                1 => cx.b.vbinary(VecOp::FCmpGt, lane, b, a),
                2 => cx.b.vbinary(VecOp::FCmpGe, lane, b, a),
                // UNORD (3) / ORD (7): both lanes equal themselves iff neither is NaN.
                _ => {
                    let oa = cx.b.vbinary(VecOp::FCmpEq, lane, a, a);
                    let ob = cx.b.vbinary(VecOp::FCmpEq, lane, b, b);
                    let ord = cx.b.vbinary(VecOp::And, Lane::I64x2, oa, ob);
                    cx.b.vunary(xarch_translator::ir::VecUnOp::Not, Lane::I64x2, ord)
                }
            };
            let r = if pred & 4 != 0 {
                cx.b.vunary(xarch_translator::ir::VecUnOp::Not, Lane::I64x2, base)
            } else {
                base
            };
            cx.set_xmm(reg, r);
            Step::Next
        }
        _ => super::sse4::lift_0f_sse3(cx),
    }
}

/// MXCSR as an i32, read as STMXCSR does (for FXSAVE in `x87.rs`).
pub(crate) fn mxcsr_value(cx: &mut Ctx) -> Value {
    let v = cx.b.get_reg(Type::I32, off::MXCSR);
    let v = cx.b.zext(Type::I64, v);
    let v = cx.b.call_helper(&super::mxcsr::STMXCSR, &[v]);
    cx.b.trunc(Type::I32, v)
}

/// Sets MXCSR from an i32 as LDMXCSR does (for FXRSTOR in `x87.rs`; the caller checks the
/// reserved bits against `mxcsr::MXCSR_VALID`).
pub(crate) fn set_mxcsr_value(cx: &mut Ctx, v: Value) {
    cx.b.set_reg(off::MXCSR, v);
    let v = cx.b.zext(Type::I64, v);
    cx.b.call_helper(&super::mxcsr::LDMXCSR, &[v]);
}
