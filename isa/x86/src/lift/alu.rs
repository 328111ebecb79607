//! Integer instructions (SDM Vol. 1, 7.3.1–7.3.7): data transfer, binary arithmetic, logic,
//! shifts and rotates, bit and byte instructions.

use super::{BuilderExt, Ctx, Flags, Loc, Step, ty};
use crate::decode::Rm;
use crate::state::{CcKind, flag, off};
use xarch_translator::ir::{AtomicOp, Endian, Helper, IntCC, Type, Value};

/// The eight classic ALU operations, in opcode order (rows 00–3F, group 1's ModRM.reg).
#[derive(Clone, Copy, PartialEq, Eq)]
enum AluOp {
    Add,
    Or,
    Adc,
    Sbb,
    And,
    Sub,
    Xor,
    Cmp,
}

const ALU_OPS: [AluOp; 8] = [
    AluOp::Add,
    AluOp::Or,
    AluOp::Adc,
    AluOp::Sbb,
    AluOp::And,
    AluOp::Sub,
    AluOp::Xor,
    AluOp::Cmp,
];

/// Guest PCs at `DIVIDE_TRAP_TAG | pc` name "the instruction at `pc` raised #DE". They are
/// non-canonical, so never real code: the IR has no conditional trap, so a failing division
/// side-exits there and [`super::X86Frontend::lift`] answers that address with a block that
/// traps with `TrapKind::DivideError` at `pc`.
pub const DIVIDE_TRAP_TAG: u64 = 0xde00_0000_0000_0000;
/// The address bits a tagged PC keeps.
pub const TAG_PC_MASK: u64 = (1 << 56) - 1;

impl Ctx {
    /// Width of a byte/full-size opcode pair: even opcodes are 8-bit.
    fn width(&self, byte_form: bool) -> u32 {
        if byte_form { 8 } else { self.insn.osize }
    }

    /// Performs an ALU op with its flags; returns the result (the caller writes it unless CMP).
    fn alu(&mut self, op: AluOp, a: Value, b: Value) -> Value {
        match op {
            AluOp::Add => {
                let r = self.b.add(a, b);
                self.set_flags(CcKind::Add, a, b, r, None);
                r
            }
            AluOp::Sub | AluOp::Cmp => {
                let r = self.b.sub(a, b);
                self.set_flags(CcKind::Sub, a, b, r, None);
                r
            }
            AluOp::Adc | AluOp::Sbb => {
                let c = self.flag(b'c');
                let cw = self.b.zext_or_trunc(self.b.ty(a), c);
                let r = if op == AluOp::Adc {
                    let s = self.b.add(a, b);
                    self.b.add(s, cw)
                } else {
                    let s = self.b.sub(a, b);
                    self.b.sub(s, cw)
                };
                let kind = if op == AluOp::Adc {
                    CcKind::Adc
                } else {
                    CcKind::Sbb
                };
                self.set_flags(kind, a, b, r, Some(c));
                r
            }
            AluOp::And | AluOp::Or | AluOp::Xor => {
                let r = match op {
                    AluOp::And => self.b.and(a, b),
                    AluOp::Or => self.b.or(a, b),
                    _ => self.b.xor(a, b),
                };
                self.set_flags(CcKind::Logic, r, r, r, None);
                r
            }
        }
    }

    /// `op rm, b` including the LOCK forms on memory (atomic read-modify-write).
    fn alu_rm(&mut self, op: AluOp, bits: u32, b: Value) -> Step {
        let loc = self.loc_rm();
        if let (true, Loc::Mem(addr)) = (self.insn.lock, loc) {
            let (aop, v) = match op {
                AluOp::Add => (AtomicOp::Add, b),
                AluOp::Sub => (AtomicOp::Add, self.b.neg(b)),
                AluOp::And => (AtomicOp::And, b),
                AluOp::Or => (AtomicOp::Or, b),
                AluOp::Xor => (AtomicOp::Xor, b),
                _ => return Step::Unimplemented,
            };
            let old = self.b.atomic_rmw(aop, addr, v, Endian::Little);
            self.alu(op, old, b);
            return Step::Next;
        }
        if self.insn.lock {
            return Step::Undefined;
        }
        let a = self.read(loc, bits);
        let r = self.alu(op, a, b);
        if op != AluOp::Cmp {
            self.write(loc, bits, r);
        }
        Step::Next
    }

    fn alu_reg(&mut self, op: AluOp, reg: u8, bits: u32, b: Value) -> Step {
        if self.insn.lock {
            return Step::Undefined;
        }
        let a = self.get_gpr(reg, bits);
        let r = self.alu(op, a, b);
        if op != AluOp::Cmp {
            self.set_gpr(reg, bits, r);
        }
        Step::Next
    }

    /// Full-width product of two values of one type: (low, high).
    fn mul_wide(&mut self, a: Value, b: Value, signed: bool) -> (Value, Value) {
        let t = self.b.ty(a);
        if t == Type::I64 {
            let lo = self.b.mul(a, b);
            let hi = if signed {
                self.b.smulhi(a, b)
            } else {
                self.b.umulhi(a, b)
            };
            return (lo, hi);
        }
        let wide = Type::int(t.bits() * 2);
        let (a2, b2) = if signed {
            (self.b.sext(wide, a), self.b.sext(wide, b))
        } else {
            (self.b.zext(wide, a), self.b.zext(wide, b))
        };
        let p = self.b.mul(a2, b2);
        let lo = self.b.trunc(t, p);
        let sh = self.b.iconst(wide, u64::from(t.bits()));
        let hi = self.b.lshr(p, sh);
        let hi = self.b.trunc(t, hi);
        (lo, hi)
    }

    /// CF = OF = "the high half is significant" for MUL and IMUL.
    fn mul_flags(&mut self, a: Value, b: Value, lo: Value, hi: Value, signed: bool) {
        let ovf = if signed {
            let sh = self
                .b
                .iconst(self.b.ty(lo), u64::from(self.b.ty(lo).bits() - 1));
            let ext = self.b.ashr(lo, sh);
            self.b.icmp(IntCC::Ne, hi, ext)
        } else {
            self.b.icmp_imm(IntCC::Ne, hi, 0)
        };
        self.set_flags(CcKind::Mul, a, b, lo, Some(ovf));
    }

    /// Side-exits to the #DE trap address of this instruction when `bad` is non-zero.
    fn divide_trap_if(&mut self, bad: Value) {
        self.b.exit_if(bad, DIVIDE_TRAP_TAG | self.pc);
    }

    /// DIV/IDIV (SDM Vol. 2 DIV, IDIV): #DE on a zero divisor or a quotient that does not fit.
    fn div(&mut self, bits: u32, signed: bool) -> Step {
        let loc = self.loc_rm();
        let d = self.read(loc, bits);
        let zero = self.b.icmp_imm(IntCC::Eq, d, 0);
        if bits == 64 {
            let lo = self.get_gpr(0, 64);
            let hi = self.get_gpr(2, 64);
            // Compilers set RDX to the zero or sign extension of RAX before a 64-bit divide
            // (`xor edx, edx` / `cqo`): then the dividend fits in 64 bits and the IR's own
            // division serves; only the quotient MIN / -1 overflows. Other dividends take
            // the 128-bit helpers.
            let ext = if signed {
                let sh = self.b.const64(63);
                self.b.ashr(lo, sh)
            } else {
                self.b.const64(0)
            };
            let fast = self.b.icmp(IntCC::Eq, hi, ext);
            let (q64, fast_bad) = if signed {
                let min = self.b.icmp_imm(IntCC::Eq, lo, 1 << 63);
                let m1 = self.b.icmp_imm(IntCC::Eq, d, u64::MAX);
                (self.b.sdiv(lo, d), self.b.and(min, m1))
            } else {
                (self.b.udiv(lo, d), self.b.iconst(Type::I8, 0))
            };
            let slow = self.b.xor_imm(fast, 1);
            let slow = self.b.zext(Type::I64, slow);
            let sflag = self.b.const64(u64::from(signed));
            let fast_bad = self.b.zext(Type::I64, fast_bad);
            let bad = self
                .b
                .call_helper_if(slow, fast_bad, &DIV128_CHECK, &[hi, lo, d, sflag]);
            let bad = self.b.trunc(Type::I8, bad);
            let bad = self.b.or(bad, zero);
            self.divide_trap_if(bad);
            let q = self
                .b
                .call_helper_if(slow, q64, &DIV128, &[hi, lo, d, sflag]);
            let qd = self.b.mul(q, d);
            let r = self.b.sub(lo, qd);
            self.set_gpr(0, 64, q);
            self.set_gpr(2, 64, r);
            return Step::Next;
        }
        // The dividend is twice as wide as the divisor and at most 64 bits.
        let dividend = if bits == 8 {
            let ax = self.get_gpr(0, 16);
            if signed {
                self.b.sext(Type::I64, ax)
            } else {
                self.b.zext(Type::I64, ax)
            }
        } else {
            let lo = self.get_gpr(0, bits);
            let hi = self.get_gpr(2, bits);
            let lo = self.b.zext(Type::I64, lo);
            let hi = self.b.zext(Type::I64, hi);
            let sh = self.b.const64(u64::from(bits));
            let hi = self.b.shl(hi, sh);
            let v = self.b.or(hi, lo);
            if signed && bits < 32 {
                let t2 = ty(bits * 2);
                let v = self.b.trunc(t2, v);
                self.b.sext(Type::I64, v)
            } else {
                v
            }
        };
        let d64 = if signed {
            self.b.sext(Type::I64, d)
        } else {
            self.b.zext(Type::I64, d)
        };
        // A 64-bit dividend of i64::MIN with divisor -1 gives MIN in the IR, which the range
        // check below rejects, as the CPU does.
        let (q, r) = if signed {
            (self.b.sdiv(dividend, d64), self.b.srem(dividend, d64))
        } else {
            (self.b.udiv(dividend, d64), self.b.urem(dividend, d64))
        };
        let qn = self.b.trunc(ty(bits), q);
        let back = if signed {
            self.b.sext(Type::I64, qn)
        } else {
            self.b.zext(Type::I64, qn)
        };
        let ovf = self.b.icmp(IntCC::Ne, back, q);
        let bad = self.b.or(ovf, zero);
        self.divide_trap_if(bad);
        let rn = self.b.trunc(ty(bits), r);
        if bits == 8 {
            self.set_gpr(0, 8, qn);
            self.set_high_byte(0, rn);
        } else {
            self.set_gpr(0, bits, qn);
            self.set_gpr(2, bits, rn);
        }
        Step::Next
    }

    /// Group 2: ROL, ROR, RCL, RCR, SHL, SHR, SAL, SAR with a count value (already i8).
    fn shift(&mut self, bits: u32, count: Value, count_const: Option<u8>) -> Step {
        let ext = self.insn.ext();
        let loc = self.loc_rm();
        let a = self.read(loc, bits);
        let cmask = if bits == 64 { 63 } else { 31 };
        if count_const.is_some_and(|c| c & cmask == 0) {
            // Count 0: no flags change, but a 32-bit destination is still written.
            if bits == 32 {
                self.write(loc, bits, a);
            }
            return Step::Next;
        }
        let c = self.b.and_imm(count, cmask as u64);
        let t = ty(bits);
        // 8/16-bit shifts by up to 31 go through 32 bits: the IR takes counts modulo width.
        let wide = if bits < 32 { Type::I32 } else { t };
        let cw = self.b.zext_or_trunc(wide, c);
        let res = match ext {
            0 | 1 => {
                let ct = self.b.zext_or_trunc(t, c);
                let r = if ext == 0 {
                    self.b.rotl(a, ct)
                } else {
                    self.b.rotr(a, ct)
                };
                let old = self.flags_value();
                let (cf, of) = if ext == 0 {
                    let cf = self.low_bit(r);
                    let s = self.msb(r);
                    (cf, self.b.xor(s, cf))
                } else {
                    let cf = self.msb(r);
                    let sh = self.b.iconst(t, 1);
                    let r2 = self.b.shl(r, sh);
                    let s2 = self.msb(r2);
                    (cf, self.b.xor(cf, s2))
                };
                let keep = self.b.and_imm(old, !(flag::CF | flag::OF));
                let cf = self.b.zext(Type::I64, cf);
                let of = self.b.zext(Type::I64, of);
                let sh = self.b.const64(11);
                let of = self.b.shl(of, sh);
                let new = self.b.or(keep, cf);
                let new = self.b.or(new, of);
                let new = if count_const.is_some() {
                    new
                } else {
                    let z = self.b.icmp_imm(IntCC::Eq, c, 0);
                    self.b.select(z, old, new)
                };
                self.set_flags_value(new);
                self.write(loc, bits, r);
                return Step::Next;
            }
            2 | 3 => {
                // RCL/RCR rotate through CF: a helper does the (count mod width+1) steps.
                let old = self.flags_value();
                let cf = self.b.and_imm(old, flag::CF);
                let v = self.b.zext_or_trunc(Type::I64, a);
                let c64 = self.b.zext_or_trunc(Type::I64, c);
                let how = self.b.const64(u64::from(bits) | (u64::from(ext == 3) << 8));
                let r = self.b.call_helper(&RCL_RCR, &[v, c64, cf, how]);
                let f = self.b.call_helper(&RCL_RCR_FLAGS, &[v, c64, cf, how]);
                let keep = self.b.and_imm(old, !(flag::CF | flag::OF));
                let new = self.b.or(keep, f);
                let new = if count_const.is_some() {
                    new
                } else {
                    let z = self.b.icmp_imm(IntCC::Eq, c, 0);
                    self.b.select(z, old, new)
                };
                self.set_flags_value(new);
                let r = self.b.zext_or_trunc(t, r);
                self.write(loc, bits, r);
                return Step::Next;
            }
            4 | 6 => {
                let aw = self.b.zext_or_trunc(wide, a);
                let r = self.b.shl(aw, cw);
                self.b.zext_or_trunc(t, r)
            }
            5 => {
                let aw = self.b.zext_or_trunc(wide, a);
                let r = self.b.lshr(aw, cw);
                self.b.zext_or_trunc(t, r)
            }
            _ => {
                let aw = self.b.sext_or_trunc(wide, a);
                let r = self.b.ashr(aw, cw);
                self.b.sext_or_trunc(t, r)
            }
        };
        let kind = match ext {
            4 | 6 => CcKind::Shl,
            5 => CcKind::Shr,
            _ => CcKind::Sar,
        };
        let ct = self.b.zext_or_trunc(t, c);
        if count_const.is_some() {
            self.set_flags(kind, a, ct, res, None);
        } else {
            self.set_flags_unless_zero(kind, a, ct, res, c);
        }
        self.write(loc, bits, res);
        Step::Next
    }

    /// Sets flags for a shift by a variable count: a zero count leaves them unchanged.
    fn set_flags_unless_zero(
        &mut self,
        kind: CcKind,
        a: Value,
        b: Value,
        res: Value,
        count: Value,
    ) {
        let z = self.b.icmp_imm(IntCC::Eq, count, 0);
        let fields = [
            off::CC_OP,
            off::CC_SRC1,
            off::CC_SRC2,
            off::CC_RES,
            off::CC_AUX,
        ];
        let old: Vec<Value> = fields
            .iter()
            .map(|&f| self.b.get_reg(Type::I64, f))
            .collect();
        self.set_flags(kind, a, b, res, None);
        for (i, &f) in fields.iter().enumerate() {
            let new = self.b.get_reg(Type::I64, f);
            let v = self.b.select(z, old[i], new);
            self.b.set_reg(f, v);
        }
        self.flags = Flags::Stored;
    }

    fn low_bit(&mut self, v: Value) -> Value {
        let x = self.b.trunc_or_same(Type::I8, v);
        self.b.and_imm(x, 1)
    }

    fn msb(&mut self, v: Value) -> Value {
        let z = self.b.iconst(self.b.ty(v), 0);
        self.b.icmp(IntCC::Slt, v, z)
    }

    /// BT/BTS/BTR/BTC (SDM Vol. 2 BT): CF = the bit; ZF kept; the rest kept (undefined).
    fn bit_test(&mut self, op: u8, bit_src: Value, imm_form: bool) -> Step {
        let bits = self.insn.osize;
        let t = ty(bits);
        let loc = match (self.insn.rm.expect("ModRM"), imm_form) {
            (Rm::Reg(r), _) => Loc::Reg(r),
            (Rm::Mem(m), true) => Loc::Mem(self.addr(&m)),
            (Rm::Mem(m), false) => {
                // A register bit offset addresses memory beyond the operand (signed).
                let base = self.addr(&m);
                let off64 = self.b.sext_or_trunc(Type::I64, bit_src);
                let sh = self.b.const64(u64::from(bits.trailing_zeros()));
                let words = self.b.ashr(off64, sh);
                let sh = self.b.const64(u64::from(bits.trailing_zeros() - 3));
                let bytes = self.b.shl(words, sh);
                Loc::Mem(self.b.add(base, bytes))
            }
        };
        let idx = self.b.zext_or_trunc(t, bit_src);
        let idx = self.b.and_imm(idx, u64::from(bits - 1));
        let one = self.b.iconst(t, 1);
        let mask = self.b.shl(one, idx);
        let old = if let (true, Loc::Mem(addr), 1..=3) = (self.insn.lock, loc, op) {
            let (aop, v) = match op {
                1 => (AtomicOp::Or, mask),
                2 => (AtomicOp::AndNot, mask),
                _ => (AtomicOp::Xor, mask),
            };
            self.b.atomic_rmw(aop, addr, v, Endian::Little)
        } else {
            let v = self.read(loc, bits);
            let new = match op {
                0 => None,
                1 => Some(self.b.or(v, mask)),
                2 => {
                    let nm = self.b.not(mask);
                    Some(self.b.and(v, nm))
                }
                _ => Some(self.b.xor(v, mask)),
            };
            if let Some(n) = new {
                self.write(loc, bits, n);
            }
            v
        };
        let x = self.b.lshr(old, idx);
        let cf = self.low_bit(x);
        let flags = self.flags_value();
        let keep = self.b.and_imm(flags, !flag::CF);
        let cf = self.b.zext(Type::I64, cf);
        let f = self.b.or(keep, cf);
        self.set_flags_value(f);
        Step::Next
    }
}

/// The one-byte map's integer instructions.
pub(crate) fn lift_primary(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let op = i.opcode;
    match op {
        // ALU rows: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / rAX,Iz.
        0x00..=0x3f if op & 7 < 6 => {
            let aop = ALU_OPS[(op >> 3) as usize];
            let bits = cx.width(op & 1 == 0);
            match op & 7 {
                0 | 1 => {
                    let b = cx.get_gpr(i.reg, bits);
                    cx.alu_rm(aop, bits, b)
                }
                2 | 3 => {
                    let loc = cx.loc_rm();
                    let b = cx.read(loc, bits);
                    cx.alu_reg(aop, i.reg, bits, b)
                }
                _ => {
                    let b = cx.imm(bits);
                    cx.alu_reg(aop, 0, bits, b)
                }
            }
        }
        0x80 | 0x81 | 0x83 => {
            let bits = cx.width(op == 0x80);
            let b = cx.imm(bits);
            cx.alu_rm(ALU_OPS[i.ext() as usize], bits, b)
        }
        0x84 | 0x85 => {
            let bits = cx.width(op == 0x84);
            let loc = cx.loc_rm();
            let a = cx.read(loc, bits);
            let b = cx.get_gpr(i.reg, bits);
            cx.alu(AluOp::And, a, b);
            Step::Next
        }
        0xa8 | 0xa9 => {
            let bits = cx.width(op == 0xa8);
            let a = cx.get_gpr(0, bits);
            let b = cx.imm(bits);
            cx.alu(AluOp::And, a, b);
            Step::Next
        }
        // XCHG r/m, r: with memory always atomic (SDM XCHG).
        0x86 | 0x87 => {
            let bits = cx.width(op == 0x86);
            let loc = cx.loc_rm();
            let r = cx.get_gpr(i.reg, bits);
            let old = match loc {
                Loc::Mem(addr) => cx.b.atomic_rmw(AtomicOp::Xchg, addr, r, Endian::Little),
                Loc::Reg(_) => {
                    let v = cx.read(loc, bits);
                    cx.write(loc, bits, r);
                    v
                }
            };
            cx.set_gpr(i.reg, bits, old);
            Step::Next
        }
        0x88..=0x8b => {
            let bits = cx.width(op & 1 == 0);
            let loc = cx.loc_rm();
            if op < 0x8a {
                let v = cx.get_gpr(i.reg, bits);
                cx.write(loc, bits, v);
            } else {
                let v = cx.read(loc, bits);
                cx.set_gpr(i.reg, bits, v);
            }
            Step::Next
        }
        0x8d => match i.rm {
            Some(Rm::Mem(m)) => {
                let a = cx.lea(&m);
                let v = cx.b.zext_or_trunc(ty(i.osize), a);
                cx.set_gpr(i.reg, i.osize, v);
                Step::Next
            }
            _ => Step::Undefined,
        },
        // MOVSXD (with REX.W), else a 32/16-bit move.
        0x63 => {
            let loc = cx.loc_rm();
            if i.osize == 64 {
                let v = cx.read(loc, 32);
                let v = cx.b.sext(Type::I64, v);
                cx.set_gpr(i.reg, 64, v);
            } else {
                let v = cx.read(loc, i.osize);
                cx.set_gpr(i.reg, i.osize, v);
            }
            Step::Next
        }
        0x69 | 0x6b => {
            let bits = i.osize;
            let loc = cx.loc_rm();
            let a = cx.read(loc, bits);
            let b = cx.imm(bits);
            let (lo, hi) = cx.mul_wide(a, b, true);
            cx.mul_flags(a, b, lo, hi, true);
            cx.set_gpr(i.reg, bits, lo);
            Step::Next
        }
        // XCHG rAX, r (90 without REX.B is NOP; F3 90 is PAUSE).
        0x90 if i.rex & 1 == 0 => Step::Next,
        0x90..=0x97 => {
            let bits = i.osize;
            let a = cx.get_gpr(0, bits);
            let r = cx.get_gpr(i.opreg, bits);
            cx.set_gpr(0, bits, r);
            cx.set_gpr(i.opreg, bits, a);
            Step::Next
        }
        // CBW/CWDE/CDQE and CWD/CDQ/CQO.
        0x98 => {
            let bits = i.osize;
            let v = cx.get_gpr(0, bits / 2);
            let v = cx.b.sext(ty(bits), v);
            cx.set_gpr(0, bits, v);
            Step::Next
        }
        0x99 => {
            let bits = i.osize;
            let v = cx.get_gpr(0, bits);
            let sh = cx.b.iconst(ty(bits), u64::from(bits - 1));
            let s = cx.b.ashr(v, sh);
            cx.set_gpr(2, bits, s);
            Step::Next
        }
        // MOV AL/rAX <-> moffs.
        0xa0..=0xa3 => {
            let bits = cx.width(op & 1 == 0);
            let a = cx.b.const64(i.imm as u64);
            let a = cx.seg_add(i.seg, a);
            if op < 0xa2 {
                let v = cx.load(ty(bits), a);
                cx.set_gpr(0, bits, v);
            } else {
                let v = cx.get_gpr(0, bits);
                cx.store(a, v);
            }
            Step::Next
        }
        0xb0..=0xb7 => {
            let v = cx.imm(8);
            cx.set_gpr(i.opreg, 8, v);
            Step::Next
        }
        0xb8..=0xbf => {
            let v = cx.imm(i.osize);
            cx.set_gpr(i.opreg, i.osize, v);
            Step::Next
        }
        0xc0 | 0xc1 => {
            let c = cx.b.iconst(Type::I8, i.imm as u64);
            cx.shift(cx.width(op == 0xc0), c, Some(i.imm as u8))
        }
        0xd0 | 0xd1 => {
            let c = cx.b.iconst(Type::I8, 1);
            cx.shift(cx.width(op == 0xd0), c, Some(1))
        }
        0xd2 | 0xd3 => {
            let c = cx.get_gpr(1, 8);
            cx.shift(cx.width(op == 0xd2), c, None)
        }
        0xc6 | 0xc7 if i.ext() == 0 => {
            let bits = cx.width(op == 0xc6);
            let loc = cx.loc_rm();
            let v = cx.imm(bits);
            cx.write(loc, bits, v);
            Step::Next
        }
        // Group 3.
        0xf6 | 0xf7 => {
            let bits = cx.width(op == 0xf6);
            match i.ext() {
                0 | 1 => {
                    let loc = cx.loc_rm();
                    let a = cx.read(loc, bits);
                    let b = cx.imm(bits);
                    cx.alu(AluOp::And, a, b);
                    Step::Next
                }
                2 => {
                    let loc = cx.loc_rm();
                    if let (true, Loc::Mem(addr)) = (i.lock, loc) {
                        let ones = cx.b.iconst(ty(bits), u64::MAX);
                        cx.b.atomic_rmw(AtomicOp::Xor, addr, ones, Endian::Little);
                        return Step::Next;
                    }
                    let a = cx.read(loc, bits);
                    let r = cx.b.not(a);
                    cx.write(loc, bits, r);
                    Step::Next
                }
                3 => {
                    if i.lock {
                        return Step::Unimplemented;
                    }
                    let loc = cx.loc_rm();
                    let a = cx.read(loc, bits);
                    let r = cx.b.neg(a);
                    let z = cx.b.iconst(ty(bits), 0);
                    cx.set_flags(CcKind::Neg, a, z, r, None);
                    cx.write(loc, bits, r);
                    Step::Next
                }
                4 | 5 => {
                    let signed = i.ext() == 5;
                    let loc = cx.loc_rm();
                    let b = cx.read(loc, bits);
                    let a = cx.get_gpr(0, bits);
                    let (lo, hi) = cx.mul_wide(a, b, signed);
                    cx.mul_flags(a, b, lo, hi, signed);
                    if bits == 8 {
                        cx.set_gpr(0, 8, lo);
                        cx.set_high_byte(0, hi);
                    } else {
                        cx.set_gpr(0, bits, lo);
                        cx.set_gpr(2, bits, hi);
                    }
                    Step::Next
                }
                e => cx.div(bits, e == 7),
            }
        }
        // INC/DEC r/m (FE, FF /0 /1): CF is preserved.
        0xfe | 0xff if i.ext() < 2 => {
            let bits = cx.width(op == 0xfe);
            let loc = cx.loc_rm();
            let one = cx.b.iconst(ty(bits), 1);
            let cf = cx.flag(b'c');
            let (a, r) = if let (true, Loc::Mem(addr)) = (i.lock, loc) {
                let v = if i.ext() == 0 { one } else { cx.b.neg(one) };
                let old = cx.b.atomic_rmw(AtomicOp::Add, addr, v, Endian::Little);
                let r = cx.b.add(old, v);
                (old, r)
            } else {
                let a = cx.read(loc, bits);
                let r = if i.ext() == 0 {
                    cx.b.add(a, one)
                } else {
                    cx.b.sub(a, one)
                };
                cx.write(loc, bits, r);
                (a, r)
            };
            let kind = if i.ext() == 0 {
                CcKind::Inc
            } else {
                CcKind::Dec
            };
            cx.set_flags(kind, a, one, r, Some(cf));
            Step::Next
        }
        _ => Step::Unimplemented,
    }
}

/// The 0F map's integer instructions.
pub(crate) fn lift_0f(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let op = i.opcode;
    match op {
        // CMOVcc: the destination is written (zero-extended) even when false.
        0x40..=0x4f => {
            let bits = i.osize;
            let loc = cx.loc_rm();
            let src = cx.read(loc, bits);
            let c = cx.cond(op & 15);
            let old = cx.get_gpr(i.reg, bits);
            let v = cx.b.select(c, src, old);
            cx.set_gpr(i.reg, bits, v);
            Step::Next
        }
        0x90..=0x9f => {
            let c = cx.cond(op & 15);
            let loc = cx.loc_rm();
            cx.write(loc, 8, c);
            Step::Next
        }
        0xa3 | 0xab | 0xb3 | 0xbb => {
            let src = cx.get_gpr(i.reg, i.osize);
            let which = match op {
                0xa3 => 0,
                0xab => 1,
                0xb3 => 2,
                _ => 3,
            };
            cx.bit_test(which, src, false)
        }
        0xba if i.ext() >= 4 => {
            let src = cx.b.iconst(ty(i.osize), i.imm as u64);
            cx.bit_test(i.ext() - 4, src, true)
        }
        // SHLD/SHRD (imm8 or CL).
        0xa4 | 0xa5 | 0xac | 0xad => {
            let bits = i.osize;
            if bits == 16 {
                return Step::Unimplemented;
            }
            let t = ty(bits);
            let cmask = u64::from(bits - 1);
            let (count, konst) = if op & 1 == 0 {
                (
                    cx.b.iconst(t, i.imm as u64 & cmask),
                    Some(i.imm as u64 & cmask),
                )
            } else {
                let cl = cx.get_gpr(1, 8);
                let cl = cx.b.zext(t, cl);
                (cx.b.and_imm(cl, cmask), None)
            };
            if konst == Some(0) {
                if bits == 32 {
                    let loc = cx.loc_rm();
                    let a = cx.read(loc, bits);
                    cx.write(loc, bits, a);
                }
                return Step::Next;
            }
            let loc = cx.loc_rm();
            let a = cx.read(loc, bits);
            let s = cx.get_gpr(i.reg, bits);
            let inv = cx.b.iconst(t, u64::from(bits));
            let inv = cx.b.sub(inv, count);
            let left = op < 0xac;
            let (x, y) = if left {
                (cx.b.shl(a, count), cx.b.lshr(s, inv))
            } else {
                (cx.b.lshr(a, count), cx.b.shl(s, inv))
            };
            // A zero count would shift `s` by the full width (taken modulo width by the IR).
            let z = cx.b.icmp_imm(IntCC::Eq, count, 0);
            let zero = cx.b.iconst(t, 0);
            let y = cx.b.select(z, zero, y);
            let r = cx.b.or(x, y);
            let kind = if left { CcKind::Shl } else { CcKind::Shr };
            if konst == Some(1) && !left {
                // SHRD by 1: OF is the sign change, MSB(a) ^ MSB(r) (the lazy SHR form gives
                // MSB(a), right only for SHR, whose result's MSB is 0).
                cx.set_flags(kind, a, count, r, None);
                let f = cx.flags_value();
                let f = cx.b.and_imm(f, !flag::OF);
                let x = cx.b.xor(a, r);
                let sh = cx.b.iconst(t, u64::from(bits - 1));
                let x = cx.b.lshr(x, sh);
                let x = cx.b.zext_or_trunc(Type::I64, x);
                let sh = cx.b.const64(11);
                let x = cx.b.shl(x, sh);
                let f = cx.b.or(f, x);
                cx.set_flags_value(f);
            } else if konst.is_some() {
                cx.set_flags(kind, a, count, r, None);
            } else {
                cx.set_flags_unless_zero(kind, a, count, r, count);
            }
            cx.write(loc, bits, r);
            Step::Next
        }
        0xaf => {
            let bits = i.osize;
            let loc = cx.loc_rm();
            let b = cx.read(loc, bits);
            let a = cx.get_gpr(i.reg, bits);
            let (lo, hi) = cx.mul_wide(a, b, true);
            cx.mul_flags(a, b, lo, hi, true);
            cx.set_gpr(i.reg, bits, lo);
            Step::Next
        }
        // CMPXCHG (SDM Vol. 2): flags as CMP accumulator, destination.
        0xb0 | 0xb1 => {
            let bits = if op == 0xb0 { 8 } else { i.osize };
            let loc = cx.loc_rm();
            let acc = cx.get_gpr(0, bits);
            let src = cx.get_gpr(i.reg, bits);
            let old = match loc {
                Loc::Mem(addr) => cx.b.atomic_cas(addr, acc, src, Endian::Little),
                Loc::Reg(r) => {
                    let old = cx.read(loc, bits);
                    let eq = cx.b.icmp(IntCC::Eq, old, acc);
                    if bits == 32 {
                        // A failing compare leaves a register destination untouched, upper
                        // half included (checked against the CPU by the differential test).
                        let full = cx.get_gpr(r, 64);
                        let s64 = cx.b.zext(Type::I64, src);
                        let v = cx.b.select(eq, s64, full);
                        cx.set_gpr(r, 64, v);
                    } else {
                        let v = cx.b.select(eq, src, old);
                        cx.write(loc, bits, v);
                    }
                    old
                }
            };
            let r = cx.b.sub(acc, old);
            cx.set_flags(CcKind::Sub, acc, old, r, None);
            let eq = cx.b.icmp(IntCC::Eq, old, acc);
            if bits == 32 {
                // RAX is written only when the comparison fails.
                let rax = cx.get_gpr(0, 64);
                let z = cx.b.zext(Type::I64, old);
                let v = cx.b.select(eq, rax, z);
                cx.set_gpr(0, 64, v);
            } else {
                cx.set_gpr(0, bits, old);
            }
            Step::Next
        }
        // CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W; #GP unless 16-byte aligned): compare
        // EDX:EAX (RDX:RAX) with memory; equal → ZF = 1 and ECX:EBX (RCX:RBX) stored, else
        // ZF = 0 and the old value loaded into EDX:EAX (RDX:RAX). Always one atomic CAS.
        0xc7 if i.ext() == 1 => {
            let Some(Rm::Mem(m)) = i.rm else {
                return Step::Undefined;
            };
            let half = if i.rex_w() { 64 } else { 32 };
            let (hty, wty) = if half == 64 {
                (Type::I64, Type::I128)
            } else {
                (Type::I32, Type::I64)
            };
            let addr = cx.addr(&m);
            if half == 64 {
                cx.check_aligned16(addr);
            }
            let pair = |cx: &mut Ctx, lo: u8, hi: u8| {
                let lo = cx.get_gpr(lo, half);
                let hi = cx.get_gpr(hi, half);
                let lo = cx.b.zext(wty, lo);
                let hi = cx.b.zext(wty, hi);
                let sh = cx.b.const64(half as u64);
                let hi = cx.b.shl(hi, sh);
                cx.b.or(hi, lo)
            };
            let expected = pair(cx, 0, 2);
            let new = pair(cx, 3, 1);
            let old = cx.b.atomic_cas(addr, expected, new, Endian::Little);
            let eq = cx.b.icmp(IntCC::Eq, old, expected);
            let flags = cx.flags_value();
            let keep = cx.b.and_imm(flags, !flag::ZF);
            let z = cx.b.zext(Type::I64, eq);
            let sh = cx.b.const64(6);
            let z = cx.b.shl(z, sh);
            let f = cx.b.or(keep, z);
            cx.set_flags_value(f);
            let lo = cx.b.trunc(hty, old);
            let sh = cx.b.const64(half as u64);
            let hi = cx.b.lshr(old, sh);
            let hi = cx.b.trunc(hty, hi);
            // EDX:EAX are written only on failure (then zero-extended).
            let rax = cx.get_gpr(0, 64);
            let rdx = cx.get_gpr(2, 64);
            let lo = cx.b.zext_or_trunc(Type::I64, lo);
            let hi = cx.b.zext_or_trunc(Type::I64, hi);
            let a = cx.b.select(eq, rax, lo);
            let d = cx.b.select(eq, rdx, hi);
            cx.set_gpr(0, 64, a);
            cx.set_gpr(2, 64, d);
            Step::Next
        }
        0xb6 | 0xb7 | 0xbe | 0xbf => {
            let from = if op & 1 == 0 { 8 } else { 16 };
            let loc = cx.loc_rm();
            let v = cx.read(loc, from);
            let v = if op < 0xb8 {
                cx.b.zext_or_trunc(ty(i.osize), v)
            } else {
                cx.b.sext_or_trunc(ty(i.osize), v)
            };
            cx.set_gpr(i.reg, i.osize, v);
            Step::Next
        }
        // POPCNT (F3 0F B8): ZF = source is zero, the other flags cleared.
        0xb8 if i.rep == Some(crate::decode::Rep::Rep) => {
            let bits = i.osize;
            let loc = cx.loc_rm();
            let v = cx.read(loc, bits);
            let r = cx.b.popcnt(v);
            cx.set_gpr(i.reg, bits, r);
            let z = cx.b.icmp_imm(IntCC::Eq, v, 0);
            let z = cx.b.zext(Type::I64, z);
            let sh = cx.b.const64(6);
            let z = cx.b.shl(z, sh);
            cx.set_flags_value(z);
            Step::Next
        }
        // BSF/BSR (also F3-prefixed TZCNT/LZCNT, which run as BSF/BSR on CPUs without
        // BMI1/LZCNT, as xarch advertises). A zero source leaves the destination unchanged.
        0xbc | 0xbd => {
            let bits = i.osize;
            let loc = cx.loc_rm();
            let v = cx.read(loc, bits);
            let n = if op == 0xbc {
                cx.b.ctz(v)
            } else {
                let c = cx.b.clz(v);
                let top = cx.b.iconst(ty(bits), u64::from(bits - 1));
                cx.b.sub(top, c)
            };
            let old = cx.get_gpr(i.reg, bits);
            let z = cx.b.icmp_imm(IntCC::Eq, v, 0);
            let r = cx.b.select(z, old, n);
            cx.set_gpr(i.reg, bits, r);
            cx.set_flags(CcKind::Logic, v, v, v, None);
            Step::Next
        }
        // XADD.
        0xc0 | 0xc1 => {
            let bits = if op == 0xc0 { 8 } else { i.osize };
            let loc = cx.loc_rm();
            let src = cx.get_gpr(i.reg, bits);
            let old = match loc {
                Loc::Mem(addr) => cx.b.atomic_rmw(AtomicOp::Add, addr, src, Endian::Little),
                Loc::Reg(_) => cx.read(loc, bits),
            };
            let sum = cx.b.add(old, src);
            cx.set_flags(CcKind::Add, old, src, sum, None);
            cx.set_gpr(i.reg, bits, old);
            if let Loc::Reg(_) = loc {
                cx.write(loc, bits, sum);
            }
            Step::Next
        }
        0xc8..=0xcf => {
            let bits = i.osize;
            if bits == 16 {
                return Step::Undefined;
            }
            let v = cx.get_gpr(i.opreg, bits);
            let v = cx.b.bswap(v);
            cx.set_gpr(i.opreg, bits, v);
            Step::Next
        }
        _ => Step::Unimplemented,
    }
}

extern "C" fn div128_check(
    _st: *mut u8,
    _mem: *mut u8,
    hi: u64,
    lo: u64,
    d: u64,
    signed: u64,
) -> u64 {
    let n = (u128::from(hi) << 64) | u128::from(lo);
    if d == 0 {
        return 1;
    }
    if signed != 0 {
        let n = n as i128;
        let d = i128::from(d as i64);
        match n.checked_div(d) {
            Some(q) => u64::from(q < i128::from(i64::MIN) || q > i128::from(i64::MAX)),
            None => 1,
        }
    } else {
        u64::from(n / u128::from(d) > u128::from(u64::MAX))
    }
}

extern "C" fn div128(_st: *mut u8, _mem: *mut u8, hi: u64, lo: u64, d: u64, signed: u64) -> u64 {
    let n = (u128::from(hi) << 64) | u128::from(lo);
    if d == 0 {
        return 0;
    }
    if signed != 0 {
        (n as i128).checked_div(i128::from(d as i64)).unwrap_or(0) as u64
    } else {
        (n / u128::from(d)) as u64
    }
}

/// Whether RDX:RAX / divisor raises #DE (zero divisor or quotient overflow).
static DIV128_CHECK: Helper = Helper {
    name: "x86_div128_check",
    func: div128_check,
};
/// The quotient of RDX:RAX / divisor (after the check passed).
static DIV128: Helper = Helper {
    name: "x86_div128",
    func: div128,
};

/// RCL (`how` bit 8 clear) or RCR of a `how & 0xff`-bit value through CF (SDM Vol. 2 RCL):
/// gives the result and the new CF and OF (as RFLAGS bits).
fn rotate_through_carry(v: u64, count: u64, cf: u64, how: u64) -> (u64, u64) {
    let bits = (how & 0xff) as u32;
    let right = how & 0x100 != 0;
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let masked = count & if bits == 64 { 63 } else { 31 };
    let steps = match bits {
        8 => masked % 9,
        16 => masked % 17,
        _ => masked,
    };
    let (mut v, mut c) = (v & mask, cf & 1);
    let top = bits - 1;
    for _ in 0..steps {
        if right {
            let out = v & 1;
            v = (v >> 1) | (c << top);
            c = out;
        } else {
            let out = (v >> top) & 1;
            v = ((v << 1) | c) & mask;
            c = out;
        }
    }
    let msb = (v >> top) & 1;
    let of = if right {
        msb ^ ((v >> (top - 1)) & 1)
    } else {
        msb ^ c
    };
    (v, c | (of << 11))
}

extern "C" fn rcl_rcr(_st: *mut u8, _mem: *mut u8, v: u64, count: u64, cf: u64, how: u64) -> u64 {
    rotate_through_carry(v, count, cf, how).0
}

extern "C" fn rcl_rcr_flags(
    _st: *mut u8,
    _mem: *mut u8,
    v: u64,
    count: u64,
    cf: u64,
    how: u64,
) -> u64 {
    rotate_through_carry(v, count, cf, how).1
}

/// The value RCL/RCR gives.
static RCL_RCR: Helper = Helper {
    name: "x86_rcl_rcr",
    func: rcl_rcr,
};
/// The CF and OF RCL/RCR give.
static RCL_RCR_FLAGS: Helper = Helper {
    name: "x86_rcl_rcr_flags",
    func: rcl_rcr_flags,
};
