//! MMX (SDM Vol. 1, chapter 9) and the SSE/SSE2/SSSE3 instructions on MMX registers.
//!
//! MM0–MM7 are the low 64 bits (the mantissa) of the x87 physical registers R0–R7 in
//! `X87State::regs`. Every MMX instruction but EMMS sets TOP to 0 and marks all registers valid
//! (abridged tag word 0xff); a written MMX register gets the exponent/sign word 0xffff
//! (SDM Vol. 1 9.5.1). EMMS empties the tag word and keeps TOP, as Intel's SDM gives it (the
//! AMD host also zeroes TOP). CVTPI2PS/CVTPI2PD with a memory source touch no MMX register and
//! make no transition (as the host CPU does). The transition happens after the
//! instruction's memory accesses, so a faulting access leaves the x87 state as it was.
//!
//! Element-wise operations reuse the 66-prefixed SSE lifters (`sse.rs`, `sse4.rs`) on the
//! zero-extended 64-bit operands and keep the low half of the result (`via_xmm`). Where the
//! 64-bit form is not the low half of the 128-bit one on those inputs, the operands are arranged
//! first: unpack-high unpacks the high dwords moved down, packs and horizontal add/subtract run
//! on `dest:src` as one 128-bit value, PSHUFB masks its indices to 3 bits; PSHUFW, PALIGNR,
//! PINSRW/PEXTRW, MASKMOVQ and the conversions are lifted here.
//!
//! MASKMOVQ reads and rewrites all 8 bytes at DS:RDI (the bytes not selected keep their values,
//! but the access is not atomic against other threads and faults on the whole quadword).

use super::sse::Pfx;
use super::{Ctx, Step};
use crate::decode::{Map, Rm};
use crate::state::{X86State, X87State, off};
use std::mem::offset_of;
use xarch_translator::ir::{Lane, Type, Value, VecShift};

const X87: usize = offset_of!(X86State, x87);
const TOP: u32 = (X87 + offset_of!(X87State, top)) as u32;
const FTW: u32 = (X87 + offset_of!(X87State, ftw)) as u32;

/// The state offset of MMi (the low 8 bytes of physical register Ri).
const fn mm_off(r: u8) -> u32 {
    (X87 + offset_of!(X87State, regs) + 16 * (r as usize & 7)) as u32
}

/// Which SSE lifter `via_xmm` runs.
#[derive(Clone, Copy)]
enum Sse {
    Map0f,
    Map38,
}

impl Ctx {
    /// PMADDWD on 64 bits (the MMX form, and each half of the XMM form): per dword, the sum
    /// of the two signed word products (wrapping: only 8000 8000 × 8000 8000 overflows).
    pub(super) fn pmaddwd64(&mut self, a: Value, b: Value) -> Value {
        let mut acc = self.b.const64(0);
        for k in 0..2u64 {
            let mut sum = self.b.const64(0);
            for w in [2 * k, 2 * k + 1] {
                let sh = self.b.const64(16 * w);
                let x = self.b.lshr(a, sh);
                let x = self.b.trunc(Type::I16, x);
                let x = self.b.sext(Type::I64, x);
                let y = self.b.lshr(b, sh);
                let y = self.b.trunc(Type::I16, y);
                let y = self.b.sext(Type::I64, y);
                let m = self.b.mul(x, y);
                sum = self.b.add(sum, m);
            }
            let sum = self.b.and_imm(sum, 0xffff_ffff);
            let sh = self.b.const64(32 * k);
            let sum = self.b.shl(sum, sh);
            acc = self.b.or(acc, sum);
        }
        acc
    }

    fn mm(&mut self, r: u8) -> Value {
        self.b.get_reg(Type::I64, mm_off(r))
    }

    /// The x87-to-MMX transition: TOP = 0, all tags valid.
    fn mmx_enter(&mut self) {
        let z = self.b.const32(0);
        self.b.set_reg(TOP, z);
        let t = self.b.iconst(Type::I8, 0xff);
        self.b.set_reg(FTW, t);
    }

    /// The transition, then MMr = `v` with exponent/sign bits all ones.
    fn set_mm(&mut self, r: u8, v: Value) {
        self.mmx_enter();
        self.b.set_reg(mm_off(r), v);
        let e = self.b.const64(0xffff);
        self.b.set_reg(mm_off(r) + 8, e);
    }

    /// The `rm` operand as an MMX register or an m64.
    fn mm_rm(&mut self) -> Value {
        self.mm_rm_bits(64)
    }

    /// The `rm` operand as an MMX register or a zero-extended load of `bits`.
    fn mm_rm_bits(&mut self, bits: u32) -> Value {
        match self.insn.rm.expect("ModRM") {
            Rm::Reg(r) => self.mm(r),
            Rm::Mem(m) => {
                let a = self.addr(&m);
                let x = self.load(super::ty(bits), a);
                self.b.zext_or_trunc(Type::I64, x)
            }
        }
    }

    /// Runs the 66-prefixed SSE form of this instruction (with `opcode`) on `a` as the
    /// destination and `b` as the source (XMM0 and XMM1 lend their slots and are restored);
    /// gives the 128-bit result, or the lifter's step if it was not `Next`.
    fn via_xmm(&mut self, which: Sse, opcode: u8, a: Value, b: Value) -> Result<Value, Step> {
        let save0 = self.xmm(0);
        let save1 = self.xmm(1);
        self.set_xmm(0, a);
        self.set_xmm(1, b);
        let orig = self.insn;
        self.insn.opcode = opcode;
        self.insn.opsize_prefix = true;
        self.insn.rep = None;
        // The immediate shifts (71–73) name their register in rm; the others in reg.
        if matches!(orig.map, Map::M0F) && (0x71..=0x73).contains(&opcode) {
            self.insn.rm = Some(Rm::Reg(0));
        } else {
            self.insn.reg = 0;
            self.insn.rm = Some(Rm::Reg(1));
        }
        let step = match which {
            Sse::Map0f => super::sse::lift_0f(self),
            Sse::Map38 => super::sse4::lift_0f38_3a(self),
        };
        self.insn = orig;
        let r = self.xmm(0);
        self.set_xmm(0, save0);
        self.set_xmm(1, save1);
        match step {
            Step::Next => Ok(r),
            s => Err(s),
        }
    }

    /// dest = low half of the SSE op on the zero-extended operands (`a`, `b` i64).
    fn mm_low(&mut self, which: Sse, opcode: u8, a: Value, b: Value) -> Step {
        let va = self.zero_ext_vec(a);
        let vb = self.zero_ext_vec(b);
        self.mm_finish(which, opcode, va, vb)
    }

    /// dest = low half of the SSE op on `a:b` as one vector (a low), both operands: packs and
    /// horizontal add/subtract, whose 64-bit results take dest's lanes then src's.
    fn mm_pair(&mut self, which: Sse, opcode: u8, a: Value, b: Value) -> Step {
        let v = self.zero_ext_vec(a);
        let v = self.b.vinsert(Lane::I64x2, 1, v, b);
        self.mm_finish(which, opcode, v, v)
    }

    fn mm_finish(&mut self, which: Sse, opcode: u8, va: Value, vb: Value) -> Step {
        match self.via_xmm(which, opcode, va, vb) {
            Ok(r) => {
                let x = self.b.vextract(Lane::I64x2, 0, r);
                self.set_mm(self.insn.reg, x);
                Step::Next
            }
            Err(s) => s,
        }
    }
}

/// The 0F-map MMX forms (no mandatory prefix) and MOVQ2DQ/MOVDQ2Q, CVT*PI*; `Unimplemented`
/// for everything else.
pub(crate) fn lift_0f(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let op = i.opcode;
    let p = cx.pfx();
    let reg = i.reg;
    match (op, p) {
        (0x77, Pfx::None) => {
            let z = cx.b.iconst(Type::I8, 0);
            cx.b.set_reg(FTW, z);
            Step::Next
        }
        (0xd6, Pfx::F3) => {
            // MOVQ2DQ xmm, mm.
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let x = cx.mm(r);
            let v = cx.zero_ext_vec(x);
            cx.set_xmm(reg, v);
            cx.mmx_enter();
            Step::Next
        }
        (0xd6, Pfx::F2) => {
            // MOVDQ2Q mm, xmm.
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let v = cx.xmm(r);
            let x = cx.b.vextract(Lane::I64x2, 0, v);
            cx.set_mm(reg, x);
            Step::Next
        }
        // CVTPI2PS / CVTPI2PD xmm, mm/m64; a memory source is no MMX access (no transition).
        (0x2a, Pfx::None | Pfx::P66) => {
            let s = cx.mm_rm();
            let mut v = if p == Pfx::None {
                cx.xmm(reg)
            } else {
                cx.b.v128const(0)
            };
            for k in 0..2u8 {
                let sh = cx.b.const64(32 * u64::from(k));
                let x = cx.b.lshr(s, sh);
                let x = cx.b.trunc(Type::I32, x);
                v = if p == Pfx::None {
                    let f = cx.b.sinttof(Type::F32, x);
                    cx.b.vinsert(Lane::F32x4, k, v, f)
                } else {
                    let f = cx.b.sinttof(Type::F64, x);
                    cx.b.vinsert(Lane::F64x2, k, v, f)
                };
            }
            cx.set_xmm(reg, v);
            if matches!(i.rm, Some(Rm::Reg(_))) {
                cx.mmx_enter();
            }
            Step::Next
        }
        // CVTTPS2PI / CVTPS2PI mm, xmm/m64; CVTTPD2PI / CVTPD2PI mm, xmm/m128.
        (0x2c | 0x2d, Pfx::None | Pfx::P66) => {
            let v = match i.rm.expect("ModRM") {
                Rm::Reg(r) => cx.xmm(r),
                Rm::Mem(m) => {
                    let a = cx.addr(&m);
                    if p == Pfx::P66 {
                        cx.check_aligned16(a);
                        cx.load(Type::V128, a)
                    } else {
                        let x = cx.load(Type::I64, a);
                        cx.zero_ext_vec(x)
                    }
                }
            };
            let mut acc = cx.b.const64(0);
            for k in 0..2u8 {
                let f = if p == Pfx::None {
                    cx.b.vextract(Lane::F32x4, k, v)
                } else {
                    cx.b.vextract(Lane::F64x2, k, v)
                };
                let x = cx.cvt_to_int(f, 32, op == 0x2d);
                let x = cx.b.zext(Type::I64, x);
                let sh = cx.b.const64(32 * u64::from(k));
                let x = cx.b.shl(x, sh);
                acc = cx.b.or(acc, x);
            }
            cx.set_mm(reg, acc);
            Step::Next
        }
        (_, Pfx::None) => lift_0f_none(cx),
        _ => Step::Unimplemented,
    }
}

fn lift_0f_none(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let op = i.opcode;
    let reg = i.reg;
    let imm = i.imm as u8;
    match op {
        // MOVD/MOVQ mm, r/m32/64.
        0x6e => {
            let bits = if i.rex_w() { 64 } else { 32 };
            let loc = cx.loc_rm();
            let x = cx.read(loc, bits);
            let x = cx.b.zext_or_trunc(Type::I64, x);
            cx.set_mm(reg, x);
            Step::Next
        }
        // MOVD/MOVQ r/m32/64, mm.
        0x7e => {
            let bits = if i.rex_w() { 64 } else { 32 };
            let x = cx.mm(reg);
            let x = cx.b.zext_or_trunc(super::ty(bits), x);
            let loc = cx.loc_rm();
            cx.write(loc, bits, x);
            cx.mmx_enter();
            Step::Next
        }
        0x6f => {
            let x = cx.mm_rm();
            cx.set_mm(reg, x);
            Step::Next
        }
        // MOVQ mm/m64, mm; MOVNTQ m64, mm.
        0x7f | 0xe7 => {
            let x = cx.mm(reg);
            match i.rm.expect("ModRM") {
                Rm::Reg(_) if op == 0xe7 => return Step::Undefined,
                Rm::Reg(r) => cx.set_mm(r, x),
                Rm::Mem(m) => {
                    let a = cx.addr(&m);
                    cx.store(a, x);
                    cx.mmx_enter();
                }
            }
            Step::Next
        }
        // Unpack high: the low-unpack of the high dwords.
        0x68..=0x6a => {
            let a = cx.mm(reg);
            let b = cx.mm_rm();
            let sh = cx.b.const64(32);
            let a = cx.b.lshr(a, sh);
            let b = cx.b.lshr(b, sh);
            cx.mm_low(Sse::Map0f, op - 8, a, b)
        }
        // Packs: dest's lanes, then src's.
        0x63 | 0x67 | 0x6b => {
            let a = cx.mm(reg);
            let b = cx.mm_rm();
            cx.mm_pair(Sse::Map0f, op, a, b)
        }
        // Unpack low reads an m32 (only its low half matters).
        0x60..=0x62 => {
            let a = cx.mm(reg);
            let b = cx.mm_rm_bits(32);
            cx.mm_low(Sse::Map0f, op, a, b)
        }
        0x64..=0x66
        | 0x74..=0x76
        | 0xd1..=0xd5
        | 0xd8..=0xdf
        | 0xe0..=0xe5
        | 0xe8..=0xef
        | 0xf1..=0xf4
        | 0xf6
        | 0xf8..=0xfe => {
            let a = cx.mm(reg);
            let b = cx.mm_rm();
            cx.mm_low(Sse::Map0f, op, a, b)
        }
        0xf5 => {
            let a = cx.mm(reg);
            let b = cx.mm_rm();
            let r = cx.pmaddwd64(a, b);
            cx.set_mm(reg, r);
            Step::Next
        }
        // Shifts by an immediate: PSRLW/PSRAW/PSLLW (71), …D (72), PSRLQ/PSLLQ (73 /2, /6).
        0x71..=0x73 => {
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let e = i.ext();
            let ok = match op {
                0x73 => matches!(e, 2 | 6),
                _ => matches!(e, 2 | 4 | 6),
            };
            if !ok {
                return Step::Undefined;
            }
            let a = cx.mm(r);
            let va = cx.zero_ext_vec(a);
            let z = cx.b.v128const(0);
            match cx.via_xmm(Sse::Map0f, op, va, z) {
                Ok(v) => {
                    let x = cx.b.vextract(Lane::I64x2, 0, v);
                    cx.set_mm(r, x);
                    Step::Next
                }
                Err(s) => s,
            }
        }
        // PSHUFW mm, mm/m64, imm8.
        0x70 => {
            let s = cx.mm_rm();
            let mut acc = cx.b.const64(0);
            for k in 0..4u64 {
                let sel = u64::from(imm >> (2 * k) & 3);
                let sh = cx.b.const64(16 * sel);
                let w = cx.b.lshr(s, sh);
                let w = cx.b.and_imm(w, 0xffff);
                let sh = cx.b.const64(16 * k);
                let w = cx.b.shl(w, sh);
                acc = cx.b.or(acc, w);
            }
            cx.set_mm(reg, acc);
            Step::Next
        }
        // PINSRW mm, r32/m16, imm8.
        0xc4 => {
            let loc = cx.loc_rm();
            let w = cx.read(loc, 16);
            let w = cx.b.zext(Type::I64, w);
            let s = 16 * u64::from(imm & 3);
            let sh = cx.b.const64(s);
            let w = cx.b.shl(w, sh);
            let a = cx.mm(reg);
            let a = cx.b.and_imm(a, !(0xffffu64 << s));
            let x = cx.b.or(a, w);
            cx.set_mm(reg, x);
            Step::Next
        }
        // PEXTRW r32, mm, imm8.
        0xc5 => {
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let a = cx.mm(r);
            let sh = cx.b.const64(16 * u64::from(imm & 3));
            let w = cx.b.lshr(a, sh);
            let w = cx.b.and_imm(w, 0xffff);
            let w = cx.b.trunc(Type::I32, w);
            cx.set_gpr(reg, 32, w);
            cx.mmx_enter();
            Step::Next
        }
        // PMOVMSKB r32, mm.
        0xd7 => {
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let a = cx.mm(r);
            let v = cx.zero_ext_vec(a);
            let m = cx.movemask(v, Lane::I8x16);
            cx.set_gpr(reg, 32, m);
            cx.mmx_enter();
            Step::Next
        }
        // MASKMOVQ mm1, mm2: the bytes of mm1 whose mm2 byte has its sign set, to DS:rDI.
        0xf7 => {
            let Some(Rm::Reg(r)) = i.rm else {
                return Step::Undefined;
            };
            let data = cx.mm(reg);
            let m = cx.mm(r);
            let mv = cx.zero_ext_vec(m);
            let mv = cx.b.vshift_imm(VecShift::AShr, Lane::I8x16, mv, 7);
            let mask = cx.b.vextract(Lane::I64x2, 0, mv);
            let mut a = cx.b.get_reg(Type::I64, off::gpr(7));
            if i.addr32 {
                a = cx.b.and_imm(a, 0xffff_ffff);
            }
            let a = cx.seg_add(i.seg, a);
            let old = cx.load(Type::I64, a);
            let keep = cx.b.not(mask);
            let old = cx.b.and(old, keep);
            let new = cx.b.and(data, mask);
            let x = cx.b.or(old, new);
            cx.store(a, x);
            cx.mmx_enter();
            Step::Next
        }
        _ => Step::Unimplemented,
    }
}

/// The SSSE3 MMX forms (0F 38 00–0B, 1C–1E and 0F 3A 0F without a prefix); `Unimplemented`
/// for everything else.
pub(crate) fn lift_0f38_3a(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    if cx.pfx() != Pfx::None {
        return Step::Unimplemented;
    }
    let op = i.opcode;
    let reg = i.reg;
    match (i.map, op) {
        // PSHUFB: 3-bit indices; bit 7 still zeroes the byte.
        (Map::M0F38, 0x00) => {
            let a = cx.mm(reg);
            let b = cx.mm_rm();
            let b = cx.b.and_imm(b, 0x8787_8787_8787_8787);
            cx.mm_low(Sse::Map38, op, a, b)
        }
        // PHADDW/D/SW, PHSUBW/D/SW: pairs of dest, then pairs of src.
        (Map::M0F38, 0x01..=0x03 | 0x05..=0x07) => {
            let a = cx.mm(reg);
            let b = cx.mm_rm();
            cx.mm_pair(Sse::Map38, op, a, b)
        }
        // PMADDUBSW, PSIGNB/W/D, PMULHRSW, PABSB/W/D.
        (Map::M0F38, 0x04 | 0x08..=0x0b | 0x1c..=0x1e) => {
            let a = cx.mm(reg);
            let b = cx.mm_rm();
            cx.mm_low(Sse::Map38, op, a, b)
        }
        // PALIGNR mm, mm/m64, imm8: bytes imm8.. of dest:src.
        (Map::M0F3A, 0x0f) => {
            let b = cx.mm_rm();
            let a = cx.mm(reg);
            let n = u64::from(i.imm as u8);
            let x = if n >= 16 {
                cx.b.const64(0)
            } else if n >= 8 {
                let sh = cx.b.const64(8 * (n - 8));
                cx.b.lshr(a, sh)
            } else if n == 0 {
                b
            } else {
                let sh = cx.b.const64(8 * n);
                let lo = cx.b.lshr(b, sh);
                let sh = cx.b.const64(64 - 8 * n);
                let hi = cx.b.shl(a, sh);
                cx.b.or(lo, hi)
            };
            cx.set_mm(reg, x);
            Step::Next
        }
        _ => Step::Unimplemented,
    }
}
