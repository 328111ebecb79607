//! SSE3, SSSE3, SSE4.1 and SSE4.2 (SDM Vol. 1, chapter 12): the 0F 38 and 0F 3A maps with the
//! 66 prefix, CRC32 (F2 0F 38 F0/F1) and the SSE3 additions to the 0F map.
//!
//! Moves, blends by an immediate, PALIGNR, inserts and extracts, sign/zero extensions, lane
//! min/max/compare and PTEST are IR (shuffles, lane ops). What needs run-time byte indices,
//! horizontal saturating arithmetic, the MXCSR rounding mode or the string-compare state
//! machine calls one host helper (`sse4_helpers.rs`), with the source operand loaded by the
//! lifted code so that a fault is the instruction's own.
//!
//! The MMX forms of SSSE3 (no 66 prefix) are in `mmx.rs`; anything else without 66 is #UD.
//! FISTTP (the x87 part of SSE3) is in `x87.rs`.

use super::sse::{Pfx, lanes_mask};
use super::sse4_helpers::{self, CRC32, VEC};
use super::{Ctx, Step, ty};
use crate::decode::{Map, Rm};
use xarch_translator::ir::{IntCC, Lane, Type, Value, VecOp, VecUnOp};

impl Ctx {
    /// The `rm` operand as a vector: a register, or a load of `bits` (zero-extended).
    fn xmm_src(&mut self, bits: u32) -> Value {
        match self.insn.rm.expect("ModRM") {
            Rm::Reg(r) => self.xmm(r),
            Rm::Mem(m) => {
                let a = self.addr(&m);
                if bits == 128 {
                    // LDDQU and PCMPxSTRx take unaligned operands; the others #GP.
                    let i = self.insn;
                    let unaligned = (i.map == Map::M0F && i.opcode == 0xf0)
                        || (i.map == Map::M0F3A && (0x60..=0x63).contains(&i.opcode));
                    if !unaligned {
                        self.check_aligned16(a);
                    }
                    self.load(Type::V128, a)
                } else {
                    let s = self.load(ty(bits), a);
                    self.zero_ext_vec(s)
                }
            }
        }
    }

    /// Calls the vector helper for this instruction with `src`; gives its return value.
    fn vec_call(&mut self, src: Value) -> Value {
        let i = self.insn;
        let c = sse4_helpers::code(i.map == Map::M0F3A, i.opcode, i.reg, i.imm as u8, i.rex_w());
        let c = self.b.const64(c);
        let lo = self.b.vextract(Lane::I64x2, 0, src);
        let hi = self.b.vextract(Lane::I64x2, 1, src);
        self.b.call_helper(&VEC, &[c, lo, hi])
    }

    fn vec_helper_op(&mut self, bits: u32) -> Step {
        let s = self.xmm_src(bits);
        self.vec_call(s);
        Step::Next
    }

    fn vbin2(&mut self, op: VecOp, lane: Lane) -> Step {
        let a = self.xmm(self.insn.reg);
        let b = self.xmm_src(128);
        let r = self.b.vbinary(op, lane, a, b);
        self.set_xmm(self.insn.reg, r);
        Step::Next
    }

    /// Sign- or zero-extends the low lanes of the source (PMOVSX*/PMOVZX*).
    fn pmov_ext(&mut self, from: Lane, to: Lane, signed: bool) -> Step {
        let n = to.lanes();
        let bits = n * from.lane_bits();
        let v = self.xmm_src(bits);
        let mut r = self.b.v128const(0);
        for k in 0..n as u8 {
            let x = self.b.vextract(from, k, v);
            let y = if signed {
                self.b.sext(to.scalar(), x)
            } else {
                self.b.zext(to.scalar(), x)
            };
            r = self.b.vinsert(to, k, r, y);
        }
        self.set_xmm(self.insn.reg, r);
        Step::Next
    }
}

/// 0F 38 and 0F 3A.
pub(crate) fn lift_0f38_3a(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let op = i.opcode;
    let p = cx.pfx();
    let reg = i.reg;
    let is_mem = matches!(i.rm, Some(Rm::Mem(_)));
    if i.map == Map::M0F38 && matches!(op, 0xf0 | 0xf1) {
        return crc32(cx, p);
    }
    if p != Pfx::P66 {
        return Step::Undefined;
    }
    if i.map == Map::M0F38 {
        match op {
            0x00..=0x0b | 0x10 | 0x14 | 0x15 | 0x28 | 0x2b | 0x41 => cx.vec_helper_op(128),
            // PABSB/W/D.
            0x1c..=0x1e => {
                let lane = [Lane::I8x16, Lane::I16x8, Lane::I32x4][usize::from(op - 0x1c)];
                let s = cx.xmm_src(128);
                let r = cx.b.vunary(VecUnOp::Abs, lane, s);
                cx.set_xmm(reg, r);
                Step::Next
            }
            // PTEST: ZF = (dest & src) == 0, CF = (src & !dest) == 0, the others 0.
            0x17 => {
                let d = cx.xmm(reg);
                let s = cx.xmm_src(128);
                let and = cx.b.vbinary(VecOp::And, Lane::I64x2, d, s);
                let andn = cx.b.vbinary(VecOp::AndNot, Lane::I64x2, s, d);
                let mut acc = cx.b.const64(0);
                for (v, shift) in [(and, 6u64), (andn, 0)] {
                    let lo = cx.b.vextract(Lane::I64x2, 0, v);
                    let hi = cx.b.vextract(Lane::I64x2, 1, v);
                    let x = cx.b.or(lo, hi);
                    let z = cx.b.icmp_imm(IntCC::Eq, x, 0);
                    let z = cx.b.zext(Type::I64, z);
                    let sh = cx.b.const64(shift);
                    let z = cx.b.shl(z, sh);
                    acc = cx.b.or(acc, z);
                }
                cx.set_flags_value(acc);
                Step::Next
            }
            0x20 => cx.pmov_ext(Lane::I8x16, Lane::I16x8, true),
            0x21 => cx.pmov_ext(Lane::I8x16, Lane::I32x4, true),
            0x22 => cx.pmov_ext(Lane::I8x16, Lane::I64x2, true),
            0x23 => cx.pmov_ext(Lane::I16x8, Lane::I32x4, true),
            0x24 => cx.pmov_ext(Lane::I16x8, Lane::I64x2, true),
            0x25 => cx.pmov_ext(Lane::I32x4, Lane::I64x2, true),
            0x30 => cx.pmov_ext(Lane::I8x16, Lane::I16x8, false),
            0x31 => cx.pmov_ext(Lane::I8x16, Lane::I32x4, false),
            0x32 => cx.pmov_ext(Lane::I8x16, Lane::I64x2, false),
            0x33 => cx.pmov_ext(Lane::I16x8, Lane::I32x4, false),
            0x34 => cx.pmov_ext(Lane::I16x8, Lane::I64x2, false),
            0x35 => cx.pmov_ext(Lane::I32x4, Lane::I64x2, false),
            0x29 => cx.vbin2(VecOp::CmpEq, Lane::I64x2),
            0x37 => cx.vbin2(VecOp::CmpGtS, Lane::I64x2),
            // MOVNTDQA: a load (the non-temporal hint does not matter here).
            0x2a if is_mem => {
                let v = cx.xmm_src(128);
                cx.set_xmm(reg, v);
                Step::Next
            }
            0x38 => cx.vbin2(VecOp::MinS, Lane::I8x16),
            0x39 => cx.vbin2(VecOp::MinS, Lane::I32x4),
            0x3a => cx.vbin2(VecOp::MinU, Lane::I16x8),
            0x3b => cx.vbin2(VecOp::MinU, Lane::I32x4),
            0x3c => cx.vbin2(VecOp::MaxS, Lane::I8x16),
            0x3d => cx.vbin2(VecOp::MaxS, Lane::I32x4),
            0x3e => cx.vbin2(VecOp::MaxU, Lane::I16x8),
            0x3f => cx.vbin2(VecOp::MaxU, Lane::I32x4),
            0x40 => cx.vbin2(VecOp::Mul, Lane::I32x4),
            _ => Step::Undefined,
        }
    } else {
        let imm = i.imm as u8;
        match op {
            0x08 | 0x09 | 0x40..=0x42 | 0x60..=0x63 => {
                if op >= 0x60 {
                    return pcmpstr(cx);
                }
                cx.vec_helper_op(128)
            }
            0x0a => cx.vec_helper_op(32),
            0x0b => cx.vec_helper_op(64),
            // BLENDPS / BLENDPD / PBLENDW: lane k from the source where imm8 bit k is set.
            0x0c..=0x0e => {
                let (bytes, n) = match op {
                    0x0c => (4, 4),
                    0x0d => (8, 2),
                    _ => (2, 8),
                };
                let src: Vec<usize> = (0..n)
                    .map(|k| if imm >> k & 1 != 0 { n + k } else { k })
                    .collect();
                let d = cx.xmm(reg);
                let s = cx.xmm_src(128);
                let r = cx.b.vshuffle(lanes_mask(bytes, &src), d, s);
                cx.set_xmm(reg, r);
                Step::Next
            }
            // PALIGNR: bytes imm8.. of dest:src (dest high), zeros past the end.
            0x0f => {
                let d = cx.xmm(reg);
                let s = cx.xmm_src(128);
                let n = usize::from(imm);
                let z = cx.b.v128const(0);
                let r = if n >= 32 {
                    z
                } else if n >= 16 {
                    let m: [u8; 16] = std::array::from_fn(|k| (k + n - 16).min(16) as u8);
                    cx.b.vshuffle(m, d, z)
                } else {
                    let m: [u8; 16] = std::array::from_fn(|k| (k + n) as u8);
                    cx.b.vshuffle(m, s, d)
                };
                cx.set_xmm(reg, r);
                Step::Next
            }
            // PEXTRB / PEXTRW / PEXTRD / PEXTRQ / EXTRACTPS to r/m; a register gets the
            // value zero-extended.
            0x14..=0x17 => {
                let (lane, bits) = match op {
                    0x14 => (Lane::I8x16, 8),
                    0x15 => (Lane::I16x8, 16),
                    0x16 if i.rex_w() => (Lane::I64x2, 64),
                    _ => (Lane::I32x4, 32),
                };
                let idx = imm & (lane.lanes() as u8 - 1);
                let v = cx.xmm(reg);
                let x = cx.b.vextract(lane, idx, v);
                match i.rm.expect("ModRM") {
                    Rm::Reg(r) => {
                        let x = if bits == 64 {
                            x
                        } else {
                            cx.b.zext(Type::I64, x)
                        };
                        cx.b.set_reg(crate::state::off::gpr(r), x);
                    }
                    Rm::Mem(m) => {
                        let a = cx.addr(&m);
                        cx.store(a, x);
                    }
                }
                Step::Next
            }
            // PINSRB / PINSRD / PINSRQ.
            0x20 | 0x22 => {
                let (lane, bits) = match op {
                    0x20 => (Lane::I8x16, 8),
                    _ if i.rex_w() => (Lane::I64x2, 64),
                    _ => (Lane::I32x4, 32),
                };
                let idx = imm & (lane.lanes() as u8 - 1);
                let x = match i.rm.expect("ModRM") {
                    Rm::Reg(r) => cx.get_gpr_full(r, bits),
                    Rm::Mem(m) => {
                        let a = cx.addr(&m);
                        cx.load(ty(bits), a)
                    }
                };
                let v = cx.xmm(reg);
                let v = cx.b.vinsert(lane, idx, v, x);
                cx.set_xmm(reg, v);
                Step::Next
            }
            // INSERTPS: a source lane (imm8[7:6], or the m32) into lane imm8[5:4], then the
            // lanes imm8[3:0] names are zeroed.
            0x21 => {
                let x = match i.rm.expect("ModRM") {
                    Rm::Reg(r) => {
                        let v = cx.xmm(r);
                        cx.b.vextract(Lane::I32x4, imm >> 6, v)
                    }
                    Rm::Mem(m) => {
                        let a = cx.addr(&m);
                        cx.load(Type::I32, a)
                    }
                };
                let v = cx.xmm(reg);
                let v = cx.b.vinsert(Lane::I32x4, (imm >> 4) & 3, v, x);
                let v = if imm & 15 != 0 {
                    let z = cx.b.v128const(0);
                    let src: Vec<usize> = (0..4)
                        .map(|k| if imm >> k & 1 != 0 { 4 + k } else { k })
                        .collect();
                    cx.b.vshuffle(lanes_mask(4, &src), v, z)
                } else {
                    v
                };
                cx.set_xmm(reg, v);
                Step::Next
            }
            _ => Step::Undefined,
        }
    }
}

impl Ctx {
    /// A GPR's low `bits` without the AH..BH aliasing (the SSE4.1 inserts read r32/r64).
    fn get_gpr_full(&mut self, r: u8, bits: u32) -> Value {
        let v = self.b.get_reg(Type::I64, crate::state::off::gpr(r));
        self.b.zext_or_trunc(ty(bits), v)
    }
}

/// PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM: the helper computes; ECX (for the index
/// forms) and the flags are written here so the lazy-flag tracking sees them.
fn pcmpstr(cx: &mut Ctx) -> Step {
    let s = cx.xmm_src(128);
    let imm = cx.insn.imm as u8;
    if cx.insn.opcode == 0x63 && imm & 0x0d == 0x08 {
        return pcmpistri_bytes_equal_each(cx, s, imm);
    }
    let ret = cx.vec_call(s);
    if cx.insn.opcode & 1 != 0 {
        let sh = cx.b.const64(32);
        let idx = cx.b.lshr(ret, sh);
        cx.b.set_reg(crate::state::off::gpr(1), idx);
    }
    let f = cx.b.and_imm(ret, 0xffff_ffff);
    cx.set_flags_value(f);
    Step::Next
}

/// PCMPISTRI on bytes with "equal each" aggregation (glibc's strcmp/strncmp-sse42 loop), in
/// IR: byte-equality and zero masks, validity by the first zero, then polarity, index and
/// flags as [`sse4_helpers::pcmpstr`] computes them (which the differential test checks).
fn pcmpistri_bytes_equal_each(cx: &mut Ctx, b: Value, imm: u8) -> Step {
    let a = cx.xmm(cx.insn.reg);
    let z = cx.b.v128const(0);
    let eq = cx.b.vbinary(VecOp::CmpEq, Lane::I8x16, a, b);
    let eq = cx.movemask(eq, Lane::I8x16);
    let za = cx.b.vbinary(VecOp::CmpEq, Lane::I8x16, a, z);
    let za = cx.movemask(za, Lane::I8x16);
    let zb = cx.b.vbinary(VecOp::CmpEq, Lane::I8x16, b, z);
    let zb = cx.movemask(zb, Lane::I8x16);
    // Valid elements: the bits below the first zero (the lowest set bit of zeros | 1 << 16).
    let valid = |cx: &mut Ctx, zm: Value| {
        let t = {
            let c = cx.b.const32(0x1_0000);
            cx.b.or(zm, c)
        };
        let n = cx.b.neg(t);
        let low = cx.b.and(t, n);
        let one = cx.b.const32(1);
        cx.b.sub(low, one)
    };
    let va = valid(cx, za);
    let vb = valid(cx, zb);
    let both = cx.b.and(va, vb);
    let either = cx.b.or(va, vb);
    let ffff = cx.b.const32(0xffff);
    let none = cx.b.xor(either, ffff);
    let r1 = cx.b.and(eq, both);
    let r1 = cx.b.or(r1, none);
    let r2 = match (imm >> 4) & 3 {
        1 => cx.b.xor(r1, ffff),
        3 => cx.b.xor(r1, vb),
        _ => r1,
    };
    let idx = if imm & 0x40 == 0 {
        let t = {
            let c = cx.b.const32(0x1_0000);
            cx.b.or(r2, c)
        };
        cx.b.ctz(t)
    } else {
        let c = cx.b.clz(r2);
        let k31 = cx.b.const32(31);
        let hi = cx.b.sub(k31, c);
        let sixteen = cx.b.const32(16);
        let zero = cx.b.icmp_imm(IntCC::Eq, r2, 0);
        cx.b.select(zero, sixteen, hi)
    };
    let idx = cx.b.zext(Type::I64, idx);
    cx.b.set_reg(crate::state::off::gpr(1), idx);
    // CF = IntRes2 != 0, ZF = b ends, SF = a ends, OF = IntRes2[0]; AF = PF = 0.
    let mut acc = cx.b.const64(0);
    for (cond, bit) in [
        (cx.b.icmp_imm(IntCC::Ne, r2, 0), 0u64),
        (cx.b.icmp_imm(IntCC::Ne, zb, 0), 6),
        (cx.b.icmp_imm(IntCC::Ne, za, 0), 7),
    ] {
        let x = cx.b.zext(Type::I64, cond);
        let sh = cx.b.const64(bit);
        let x = cx.b.shl(x, sh);
        acc = cx.b.or(acc, x);
    }
    let of = cx.b.and_imm(r2, 1);
    let of = cx.b.zext(Type::I64, of);
    let sh = cx.b.const64(11);
    let of = cx.b.shl(of, sh);
    acc = cx.b.or(acc, of);
    cx.set_flags_value(acc);
    Step::Next
}

/// CRC32 r32/r64, r/m8/16/32/64 (F2 0F 38 F0/F1). MOVBE (no prefix) is not advertised: #UD.
fn crc32(cx: &mut Ctx, p: Pfx) -> Step {
    let i = cx.insn;
    if p != Pfx::F2 {
        return Step::Undefined;
    }
    let bits = if i.opcode == 0xf0 { 8 } else { i.osize };
    let loc = cx.loc_rm();
    let data = cx.read(loc, bits);
    let data = cx.b.zext_or_trunc(Type::I64, data);
    let crc = cx.b.get_reg(Type::I64, crate::state::off::gpr(i.reg));
    let crc = cx.b.and_imm(crc, 0xffff_ffff);
    let n = cx.b.const64(u64::from(bits / 8));
    let r = cx.b.call_helper(&CRC32, &[crc, data, n]);
    cx.b.set_reg(crate::state::off::gpr(i.reg), r);
    Step::Next
}

/// The SSE3 instructions of the 0F map: ADDSUBPS/PD, HADDPS/PD, HSUBPS/PD, LDDQU, MOVDDUP,
/// MOVSHDUP, MOVSLDUP. `Unimplemented` for anything else (the caller's fall-through).
pub(crate) fn lift_0f_sse3(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let op = i.opcode;
    let p = cx.pfx();
    let reg = i.reg;
    match (op, p) {
        // HADDPD/HSUBPD (66), HADDPS/HSUBPS (F2): pairs of dest then pairs of src.
        (0x7c | 0x7d, Pfx::P66 | Pfx::F2) => {
            let (bytes, n) = if p == Pfx::P66 { (8, 2) } else { (4, 4) };
            let lane = if p == Pfx::P66 {
                Lane::F64x2
            } else {
                Lane::F32x4
            };
            let d = cx.xmm(reg);
            let s = cx.xmm_src(128);
            let even: Vec<usize> = (0..n).map(|k| 2 * k).collect();
            let odd: Vec<usize> = (0..n).map(|k| 2 * k + 1).collect();
            let x = cx.b.vshuffle(lanes_mask(bytes, &even), d, s);
            let y = cx.b.vshuffle(lanes_mask(bytes, &odd), d, s);
            let fop = if op == 0x7c { VecOp::FAdd } else { VecOp::FSub };
            let r = cx.b.vbinary(fop, lane, x, y);
            cx.set_xmm(reg, r);
            Step::Next
        }
        // ADDSUBPD (66) / ADDSUBPS (F2): even lanes subtract, odd lanes add.
        (0xd0, Pfx::P66 | Pfx::F2) => {
            let (bytes, n, lane) = if p == Pfx::P66 {
                (8, 2, Lane::F64x2)
            } else {
                (4, 4, Lane::F32x4)
            };
            let d = cx.xmm(reg);
            let s = cx.xmm_src(128);
            let sub = cx.b.vbinary(VecOp::FSub, lane, d, s);
            let add = cx.b.vbinary(VecOp::FAdd, lane, d, s);
            let src: Vec<usize> = (0..n).map(|k| if k % 2 == 0 { k } else { n + k }).collect();
            let r = cx.b.vshuffle(lanes_mask(bytes, &src), sub, add);
            cx.set_xmm(reg, r);
            Step::Next
        }
        // LDDQU: an unaligned 16-byte load.
        (0xf0, Pfx::F2) => {
            let Some(Rm::Mem(_)) = i.rm else {
                return Step::Undefined;
            };
            let v = cx.xmm_src(128);
            cx.set_xmm(reg, v);
            Step::Next
        }
        // MOVDDUP: the low qword (m64) twice.
        (0x12, Pfx::F2) => {
            let v = cx.xmm_src(64);
            let r = cx.b.vshuffle(lanes_mask(8, &[0, 0]), v, v);
            cx.set_xmm(reg, r);
            Step::Next
        }
        // MOVSLDUP (F3 0F 12) / MOVSHDUP (F3 0F 16).
        (0x12 | 0x16, Pfx::F3) => {
            let v = cx.xmm_src(128);
            let src = if op == 0x12 {
                [0, 0, 2, 2]
            } else {
                [1, 1, 3, 3]
            };
            let r = cx.b.vshuffle(lanes_mask(4, &src), v, v);
            cx.set_xmm(reg, r);
            Step::Next
        }
        _ => Step::Unimplemented,
    }
}
