//! x87 FPU (SDM Vol. 1, chapter 8; opcode map D8–DF, Vol. 2 A.4) and FXSAVE/FXRSTOR.
//!
//! Every x87 instruction is one call of a helper in `crate::x87` that works on the register
//! stack in the state; the selector of the operation is an immediate argument. Memory
//! operands are loaded and stored here, in IR (so faults report this instruction precisely):
//! a load passes the operand's bits to the helper, a store writes what the helper returns
//! (an m80's exponent word and environment images go through `X87State::img`).
//! FNSTCW/FLDCW/FNSTSW need no helper and stay inline.

use super::{Ctx, Step};
use crate::decode::{Insn, Rm};
use crate::state::{X86State, X87State, off};
use crate::x87::{self, arith, cmp, dst, image, misc, src};
use std::mem::offset_of;
use xarch_translator::ir::{Helper, IntCC, Type, Value};

const X87: usize = offset_of!(X86State, x87);
const FCW: u32 = (X87 + offset_of!(X87State, fcw)) as u32;
const FSW: u32 = (X87 + offset_of!(X87State, fsw)) as u32;
const TOP: u32 = (X87 + offset_of!(X87State, top)) as u32;
const IMG: u32 = (X87 + offset_of!(X87State, img)) as u32;

impl Ctx {
    /// FSW with TOP in bits 11–13.
    fn fsw(&mut self) -> Value {
        let sw = self.b.get_reg(Type::I16, FSW);
        let top = self.b.get_reg(Type::I32, TOP);
        let top = self.b.trunc(Type::I16, top);
        let top = self.b.and_imm(top, 7);
        let sh = self.b.iconst(Type::I16, 11);
        let top = self.b.shl(top, sh);
        let sw = self.b.and_imm(sw, !0x3800u64 & 0xffff);
        self.b.or(sw, top)
    }

    fn x87_call(&mut self, h: &'static Helper, sel: u64, args: &[Value]) -> Value {
        let mut v = vec![self.b.const64(sel)];
        v.extend_from_slice(args);
        self.b.call_helper(h, &v)
    }

    /// Loads a memory operand of `src` kind as (low bits, high bits) i64 values.
    fn x87_operand(&mut self, a: Value, kind: u64) -> [Value; 2] {
        let t = match kind {
            src::F32 | src::I32 => Type::I32,
            src::I16 => Type::I16,
            _ => Type::I64,
        };
        let lo = self.load(t, a);
        let lo = self.b.zext_or_trunc(Type::I64, lo);
        let hi = if kind == src::F80 || kind == src::BCD {
            let a8 = self.b.add_imm(a, 8);
            let hi = self.load(Type::I16, a8);
            self.b.zext(Type::I64, hi)
        } else {
            self.b.const64(0)
        };
        [lo, hi]
    }

    /// Copies `len` bytes of `X87State::img` to guest memory at `a` + `at`.
    fn img_to_mem(&mut self, a: Value, at: u64, from: u32, len: u32) {
        let mut o = 0;
        while o < len {
            let t = if len - o >= 8 { Type::I64 } else { Type::I32 };
            let v = self.b.get_reg(t, IMG + from + o);
            let p = self.b.add_imm(a, at + u64::from(o));
            self.store(p, v);
            o += t.bytes();
        }
    }

    /// Copies `len` bytes of guest memory at `a` + `at` into `X87State::img`.
    fn mem_to_img(&mut self, a: Value, at: u64, to: u32, len: u32) {
        let mut o = 0;
        while o < len {
            let t = if len - o >= 8 { Type::I64 } else { Type::I32 };
            let p = self.b.add_imm(a, at + u64::from(o));
            let v = self.load(t, p);
            self.b.set_reg(IMG + to + o, v);
            o += t.bytes();
        }
    }
}

/// A store of ST(0) to memory: `kind` from [`dst`], with pop.
fn store(cx: &mut Ctx, a: Value, kind: u64, pop: bool) {
    let sel = kind | if pop { dst::POP } else { 0 };
    let v = cx.x87_call(&x87::STORE, sel, &[]);
    let v = match kind {
        dst::F32 | dst::I32 | dst::I32T => cx.b.trunc(Type::I32, v),
        dst::I16 | dst::I16T => cx.b.trunc(Type::I16, v),
        _ => v,
    };
    cx.store(a, v);
    if kind == dst::F80 || kind == dst::BCD {
        let hi = cx.b.get_reg(Type::I16, IMG);
        let a8 = cx.b.add_imm(a, 8);
        cx.store(a8, hi);
    }
}

fn load(cx: &mut Ctx, a: Value, kind: u64) {
    let [lo, hi] = cx.x87_operand(a, kind);
    cx.x87_call(&x87::LOAD, kind, &[lo, hi]);
}

/// D8/DA/DC/DE with a memory operand: arithmetic or compare with ST(0).
fn arith_mem(cx: &mut Ctx, a: Value, kind: u64, ext: u64) {
    let [lo, hi] = cx.x87_operand(a, kind);
    match ext {
        2 => cx.x87_call(&x87::CMP, kind, &[lo, hi]),
        3 => cx.x87_call(&x87::CMP, kind | cmp::POP1, &[lo, hi]),
        _ => cx.x87_call(&x87::ARITH, kind | ext << 12, &[lo, hi]),
    };
}

fn misc_op(cx: &mut Ctx, op: u64, arg: u64) -> Step {
    let arg = cx.b.const64(arg);
    cx.x87_call(&x87::MISC, op, &[arg]);
    Step::Next
}

fn mem_form(cx: &mut Ctx, i: &Insn, a: Value) -> Step {
    let ext = u64::from(i.ext());
    match (i.opcode, ext) {
        (0xd8, _) => arith_mem(cx, a, src::F32, ext),
        (0xdc, _) => arith_mem(cx, a, src::F64, ext),
        (0xda, _) => arith_mem(cx, a, src::I32, ext),
        (0xde, _) => arith_mem(cx, a, src::I16, ext),
        (0xd9, 0) => load(cx, a, src::F32),
        (0xd9, 2 | 3) => store(cx, a, dst::F32, ext == 3),
        (0xd9, 4) => {
            cx.mem_to_img(a, 0, 0, 28);
            cx.x87_call(&x87::IMAGE, image::FLDENV, &[]);
        }
        (0xd9, 5) => {
            let v = cx.load(Type::I16, a);
            cx.b.set_reg(FCW, v);
        }
        (0xd9, 6) => {
            cx.x87_call(&x87::IMAGE, image::FNSTENV, &[]);
            cx.img_to_mem(a, 0, 0, 28);
        }
        (0xd9, 7) => {
            let v = cx.b.get_reg(Type::I16, FCW);
            cx.store(a, v);
        }
        (0xdb, 0) => load(cx, a, src::I32),
        (0xdb, 1) => store(cx, a, dst::I32T, true),
        (0xdb, 2 | 3) => store(cx, a, dst::I32, ext == 3),
        (0xdb, 5) => load(cx, a, src::F80),
        (0xdb, 7) => store(cx, a, dst::F80, true),
        (0xdd, 0) => load(cx, a, src::F64),
        (0xdd, 1) => store(cx, a, dst::I64T, true),
        (0xdd, 2 | 3) => store(cx, a, dst::F64, ext == 3),
        (0xdd, 4) => {
            cx.mem_to_img(a, 0, 0, 108);
            cx.x87_call(&x87::IMAGE, image::FRSTOR, &[]);
        }
        (0xdd, 6) => {
            cx.x87_call(&x87::IMAGE, image::FNSAVE, &[]);
            cx.img_to_mem(a, 0, 0, 108);
        }
        (0xdd, 7) => {
            let v = cx.fsw();
            cx.store(a, v);
        }
        (0xdf, 0) => load(cx, a, src::I16),
        (0xdf, 1) => store(cx, a, dst::I16T, true),
        (0xdf, 2 | 3) => store(cx, a, dst::I16, ext == 3),
        (0xdf, 5) => load(cx, a, src::I64),
        (0xdf, 7) => store(cx, a, dst::I64, true),
        (0xdf, 4) => load(cx, a, src::BCD),
        (0xdf, 6) => store(cx, a, dst::BCD, true),
        // The undefined slots (D9 /1, DB /4 /6, DD /5).
        _ => return Step::Unimplemented,
    }
    Step::Next
}

/// FCMOVcc: the EFLAGS condition code (Jcc numbering) of DA/DB C0–DF.
fn fcmov(cx: &mut Ctx, cc: u8, r: u64) -> Step {
    let c = cx.cond(cc);
    let c = cx.b.zext(Type::I64, c);
    let sh = cx.b.const64(8);
    let c = cx.b.shl(c, sh);
    let r = cx.b.const64(r);
    let c = cx.b.or(c, r);
    cx.x87_call(&x87::MISC, misc::FCMOV, &[c]);
    Step::Next
}

fn compare_st(cx: &mut Ctx, r: u64, flags: u64) -> Step {
    let z = cx.b.const64(0);
    let v = cx.x87_call(&x87::CMP, src::ST | r << 8 | flags, &[z, z]);
    if flags & cmp::EFLAGS != 0 {
        cx.set_flags_value(v);
    }
    Step::Next
}

fn reg_form(cx: &mut Ctx, i: &Insn, r: u64) -> Step {
    let ext = u64::from(i.ext());
    let st = src::ST | r << 8;
    let z = cx.b.const64(0);
    match (i.opcode, ext) {
        (0xd8, 2) | (0xdc, 2) => compare_st(cx, r, 0),
        (0xd8, 3) | (0xdc, 3) | (0xde, 2) => compare_st(cx, r, cmp::POP1),
        (0xd8, _) => {
            cx.x87_call(&x87::ARITH, st | ext << 12, &[z, z]);
            Step::Next
        }
        (0xdc | 0xde, _) => {
            // The register forms with ST(i) as destination swap the reverse sense of
            // SUB/SUBR and DIV/DIVR (DC E8+i is FSUB ST(i), ST(0)).
            let op = if ext >= 4 { ext ^ 1 } else { ext };
            let pop = if i.opcode == 0xde { arith::POP } else { 0 };
            if i.opcode == 0xde && ext == 3 {
                return if r == 1 {
                    compare_st(cx, 1, cmp::POP1 | cmp::POP2)
                } else {
                    Step::Undefined
                };
            }
            cx.x87_call(&x87::ARITH, st | op << 12 | arith::TO_STI | pop, &[z, z]);
            Step::Next
        }
        (0xd9, 0) => {
            cx.x87_call(&x87::LOAD, st, &[z, z]);
            Step::Next
        }
        (0xd9, 1) | (0xdd, 1) | (0xdf, 1) => misc_op(cx, misc::FXCH, r),
        (0xd9, 2) if r == 0 => Step::Next, // FNOP
        (0xd9, 3) | (0xdd, 3) | (0xdf, 2 | 3) => {
            cx.x87_call(&x87::STORE, dst::ST | r << 12 | dst::POP, &[]);
            Step::Next
        }
        (0xdd, 2) => {
            cx.x87_call(&x87::STORE, dst::ST | r << 12, &[]);
            Step::Next
        }
        (0xd9, 4) => match r {
            0 => misc_op(cx, misc::FCHS, 0),
            1 => misc_op(cx, misc::FABS, 0),
            4 => {
                cx.x87_call(&x87::CMP, cmp::TST, &[z, z]);
                Step::Next
            }
            5 => {
                cx.x87_call(&x87::CMP, cmp::XAM, &[z, z]);
                Step::Next
            }
            _ => Step::Undefined,
        },
        (0xd9, 5) if r < 7 => {
            cx.x87_call(&x87::LOAD, src::CONST | r << 8, &[z, z]);
            Step::Next
        }
        (0xd9, 6) => {
            let op = [
                misc::F2XM1,
                misc::FYL2X,
                misc::FPTAN,
                misc::FPATAN,
                misc::FXTRACT,
                misc::FPREM1,
                misc::FDECSTP,
                misc::FINCSTP,
            ][r as usize];
            misc_op(cx, op, 0)
        }
        (0xd9, 7) => {
            let op = [
                misc::FPREM,
                misc::FYL2XP1,
                misc::FSQRT,
                misc::FSINCOS,
                misc::FRNDINT,
                misc::FSCALE,
                misc::FSIN,
                misc::FCOS,
            ][r as usize];
            misc_op(cx, op, 0)
        }
        (0xda, 0..=3) => fcmov(cx, [2, 4, 6, 10][ext as usize], r),
        (0xdb, 0..=3) => fcmov(cx, [3, 5, 7, 11][ext as usize], r),
        (0xda, 5) if r == 1 => compare_st(cx, 1, cmp::UNORDERED | cmp::POP1 | cmp::POP2),
        (0xdb, 4) => match r {
            // FENI, FDISI, FSETPM: no-ops on the 387 and later.
            0 | 1 | 4 => Step::Next,
            2 => misc_op(cx, misc::FNCLEX, 0),
            3 => misc_op(cx, misc::FNINIT, 0),
            _ => Step::Undefined,
        },
        (0xdb, 5) => compare_st(cx, r, cmp::UNORDERED | cmp::EFLAGS),
        (0xdb, 6) => compare_st(cx, r, cmp::EFLAGS),
        (0xdd, 0) => misc_op(cx, misc::FFREE, r),
        (0xdd, 4) => compare_st(cx, r, cmp::UNORDERED),
        (0xdd, 5) => compare_st(cx, r, cmp::UNORDERED | cmp::POP1),
        (0xdf, 0) => misc_op(cx, misc::FFREEP, r),
        (0xdf, 4) if r == 0 => {
            let v = cx.fsw();
            cx.set_gpr(0, 16, v);
            Step::Next
        }
        (0xdf, 5) => compare_st(cx, r, cmp::UNORDERED | cmp::EFLAGS | cmp::POP1),
        (0xdf, 6) => compare_st(cx, r, cmp::EFLAGS | cmp::POP1),
        _ => Step::Undefined,
    }
}

pub(crate) fn lift_primary(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    match (i.opcode, i.rm) {
        // FWAIT: no unmasked x87 exception is ever pending (see `crate::x87`).
        (0x9b, _) => Step::Next,
        (0xd8..=0xdf, Some(Rm::Mem(m))) => {
            let a = cx.addr(&m);
            mem_form(cx, &i, a)
        }
        (0xd8..=0xdf, Some(Rm::Reg(r))) => reg_form(cx, &i, u64::from(r & 7)),
        _ => Step::Unimplemented,
    }
}

/// FXSAVE/FXSAVE64 and FXRSTOR/FXRSTOR64 (0F AE /0, /1 with a memory operand): the 512-byte
/// image of SDM Vol. 1 Table 10-2 (64-bit forms). FOP/FIP/FDP are 0 (not tracked); bytes
/// 416–511 are left as they are, as hardware does. MXCSR goes through the same helpers as
/// STMXCSR/LDMXCSR (`sse::mxcsr_value`, `sse::set_mxcsr_value`); a reserved bit in an
/// FXRSTOR image is #GP (SIGSEGV) like LDMXCSR's. The image must be 16-aligned (#GP on
/// hardware; not checked here).
pub(crate) fn lift_0f(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let (0xae, Some(Rm::Mem(m))) = (i.opcode, i.rm) else {
        return Step::Unimplemented;
    };
    if i.rep.is_some() || i.opsize_prefix || i.ext() > 1 {
        return Step::Unimplemented;
    }
    let a = cx.addr(&m);
    if i.ext() == 0 {
        cx.x87_call(&x87::IMAGE, image::FXSAVE, &[]);
        cx.img_to_mem(a, 0, 0, 24);
        let mx = super::sse::mxcsr_value(cx);
        let p = cx.b.add_imm(a, 24);
        cx.store(p, mx);
        let mask = cx.b.const32(0xffff);
        let p = cx.b.add_imm(a, 28);
        cx.store(p, mask);
        cx.img_to_mem(a, 32, 32, 128);
        for r in 0..16u8 {
            let v = cx.b.get_reg(Type::V128, off::xmm(r));
            let p = cx.b.add_imm(a, 160 + 16 * u64::from(r));
            cx.store(p, v);
        }
    } else {
        cx.mem_to_img(a, 0, 0, 24);
        cx.mem_to_img(a, 32, 32, 128);
        let p = cx.b.add_imm(a, 24);
        let mx = cx.load(Type::I32, p);
        let mut xmm = Vec::new();
        for r in 0..16u64 {
            let p = cx.b.add_imm(a, 160 + 16 * r);
            xmm.push(cx.load(Type::V128, p));
        }
        // A reserved MXCSR bit in the image is #GP (SIGSEGV), before anything changes.
        let bad =
            cx.b.icmp_imm(IntCC::Ugt, mx, u64::from(super::mxcsr::MXCSR_VALID));
        cx.b.exit_if(bad, super::GP_FAULT_TAG | cx.pc);
        cx.x87_call(&x87::IMAGE, image::FXRSTOR, &[]);
        super::sse::set_mxcsr_value(cx, mx);
        for (r, v) in xmm.into_iter().enumerate() {
            cx.b.set_reg(off::xmm(r as u8), v);
        }
    }
    Step::Next
}
