//! Lifting PowerPC instructions to xarch IR.
//!
//! ```text
//!   lift_block(pc) ─► fetch word (guest byte order) ─► decode::decode ─► Form.lift(&mut Ctx, word)
//!                       (repeat until a lifter ends the block, a trap, or MAX_BLOCK_INSNS)
//! ```
//!
//! One lifter serves both modes. GPRs are read and written as i64; where the ISA's result
//! depends on the mode (CR0 of record forms, XER[CA]/[OV], effective addresses, branch
//! targets, CTR tests) [`Ctx`] applies the 32-bit rules when `is64` is false. Memory goes
//! through the IR's loads and stores in the guest's byte order (`Ctx::endian`).
//!
//! Contract for lifters: decide whether the word is valid before emitting any IR; an `Err`
//! ends the block with a trap at the instruction.

pub mod branch;
pub mod divide;
pub mod fixed;
pub mod fp;
pub mod ldst;
pub mod string;
pub mod system;
pub mod vector;
pub mod vector_int;

use crate::decode;
use crate::state;
use xarch_translator::frontend::{CodeMemory, LiftError};
use xarch_translator::ir::{self, Builder, Endian, Exit, IntCC, TrapKind, Type, Value};

/// What a lifter returns: Ok, or the kind of trap the word raises (checked before any IR).
pub type LiftResult = Result<(), TrapKind>;

/// The carry into [`Ctx::add_carry`]: a constant, or an i64 that is 0 or 1 (XER[CA]).
#[derive(Clone, Copy)]
pub enum CarryIn {
    Zero,
    One,
    Value(Value),
}

/// A lift function, as the decode tables name them.
pub type LiftFn = fn(&mut Ctx, u32) -> LiftResult;

/// Longest block, in guest instructions.
pub const MAX_BLOCK_INSNS: u32 = 64;

/// The lifter context.
pub struct Ctx {
    pub b: Builder,
    /// Address of the instruction being lifted.
    pub pc: u64,
    /// 64-bit mode (ppc64) or 32-bit (ppc).
    pub is64: bool,
    /// Guest memory byte order.
    pub endian: Endian,
    exit: Option<Exit>,
}

impl Ctx {
    pub fn new(pc: u64, is64: bool, endian: Endian) -> Ctx {
        Ctx {
            b: Builder::new(pc),
            pc,
            is64,
            endian,
            exit: None,
        }
    }

    /// Address of the next instruction.
    pub fn next_pc(&self) -> u64 {
        self.mode_addr(self.pc.wrapping_add(4))
    }

    /// A constant address in the current mode (wrapped to 32 bits in 32-bit mode).
    pub fn mode_addr(&self, a: u64) -> u64 {
        if self.is64 { a } else { a & 0xffff_ffff }
    }

    /// Ends the block after the current instruction.
    pub fn end_block(&mut self, exit: Exit) {
        self.exit = Some(exit);
    }

    // ---- registers ----

    /// GPR `n` as i64.
    pub fn gpr(&mut self, n: u32) -> Value {
        self.b.get_reg(Type::I64, state::gpr_off(n))
    }

    /// The low word of GPR `n` as i32.
    pub fn gpr32(&mut self, n: u32) -> Value {
        self.b.get_reg(Type::I32, state::gpr_off(n))
    }

    /// (RA|0): 0 for register 0, else GPR `n`.
    pub fn gpr_or0(&mut self, n: u32) -> Value {
        if n == 0 {
            self.b.const64(0)
        } else {
            self.gpr(n)
        }
    }

    pub fn set_gpr(&mut self, n: u32, v: Value) {
        debug_assert_eq!(self.b.ty(v), Type::I64);
        self.b.set_reg(state::gpr_off(n), v);
    }

    /// Writes an i32 to GPR `n`, zero-extended.
    pub fn set_gpr_zext32(&mut self, n: u32, v: Value) {
        let v = self.b.zext(Type::I64, v);
        self.set_gpr(n, v);
    }

    /// Writes an i32 to GPR `n`, sign-extended.
    pub fn set_gpr_sext32(&mut self, n: u32, v: Value) {
        let v = self.b.sext(Type::I64, v);
        self.set_gpr(n, v);
    }

    /// A flag byte (CR bit, SO, OV, CA) as i8.
    pub fn flag(&mut self, off: u32) -> Value {
        self.b.get_reg(Type::I8, off)
    }

    pub fn set_flag(&mut self, off: u32, v: Value) {
        debug_assert_eq!(self.b.ty(v), Type::I8);
        self.b.set_reg(off, v);
    }

    /// Sets CR field `bf` to LT, GT, EQ of a comparison and SO from XER[SO].
    pub fn set_cr_field(&mut self, bf: u32, lt: Value, gt: Value, eq: Value) {
        let so = self.flag(state::SO);
        self.set_flag(state::cr_off(4 * bf), lt);
        self.set_flag(state::cr_off(4 * bf + 1), gt);
        self.set_flag(state::cr_off(4 * bf + 2), eq);
        self.set_flag(state::cr_off(4 * bf + 3), so);
    }

    /// Compares `a` and `b` (same type) into CR field `bf`, signed or unsigned.
    pub fn compare(&mut self, bf: u32, a: Value, b: Value, signed: bool) {
        let (lt, gt) = if signed {
            (IntCC::Slt, IntCC::Sgt)
        } else {
            (IntCC::Ult, IntCC::Ugt)
        };
        let l = self.b.icmp(lt, a, b);
        let g = self.b.icmp(gt, a, b);
        let e = self.b.icmp(IntCC::Eq, a, b);
        self.set_cr_field(bf, l, g, e);
    }

    /// The record form's CR0 update from an i64 result: compared with 0 as a signed value of
    /// the mode's width.
    pub fn record(&mut self, res: Value) {
        let v = if self.is64 {
            res
        } else {
            self.b.trunc(Type::I32, res)
        };
        let ty = self.b.ty(v);
        let z = self.b.iconst(ty, 0);
        self.compare(0, v, z, true);
    }

    /// Records CR0 if the word's Rc bit is set.
    pub fn record_if(&mut self, w: u32, res: Value) {
        if w & 1 != 0 {
            self.record(res);
        }
    }

    /// Sets XER[OV] to `ov` (i8) and ORs it into XER[SO].
    pub fn set_ov(&mut self, ov: Value) {
        self.set_flag(state::OV, ov);
        let so = self.flag(state::SO);
        let so = self.b.or(so, ov);
        self.set_flag(state::SO, so);
    }

    /// An i8 that is 1 when bit `bit` of `v` (lsb numbering) is set.
    pub fn bit_of(&mut self, v: Value, bit: u32) -> Value {
        let ty = self.b.ty(v);
        let s = self.b.iconst(ty, bit as u64);
        let sh = self.b.lshr(v, s);
        let t = self.b.trunc(Type::I8, sh);
        self.b.and_imm(t, 1)
    }

    /// `a + b + cin` (all i64) with the carry out of the mode's width as an i8.
    ///
    /// A constant carry-in (the lifter knows it for all but the extended forms) needs one
    /// compare: with `cin = 0` the sum carried iff it is below `a`, with `cin = 1` iff it is
    /// not above `a` (`a + b + 1 <= a` exactly when `b + 1` wrapped past `~a`). In 32-bit
    /// mode the same compares run on the low words.
    pub fn add_carry(&mut self, a: Value, b: Value, cin: CarryIn) -> (Value, Value) {
        let s1 = self.b.add(a, b);
        let (res, cc) = match cin {
            CarryIn::Zero => (s1, IntCC::Ult),
            CarryIn::One => (self.b.add_imm(s1, 1), IntCC::Ule),
            CarryIn::Value(c) => {
                let res = self.b.add(s1, c);
                let ca = if self.is64 {
                    let c1 = self.b.icmp(IntCC::Ult, s1, a);
                    let c2 = self.b.icmp(IntCC::Ult, res, s1);
                    self.b.or(c1, c2)
                } else {
                    // Bit 32 of the 33-bit sum of the low words (0 or 1).
                    let a32 = self.low_word(a);
                    let b32 = self.low_word(b);
                    let s = self.b.add(a32, b32);
                    let s = self.b.add(s, c);
                    let n = self.b.const64(32);
                    let s = self.b.lshr(s, n);
                    self.b.trunc(Type::I8, s)
                };
                return (res, ca);
            }
        };
        let ca = if self.is64 {
            self.b.icmp(cc, res, a)
        } else {
            let r32 = self.b.trunc(Type::I32, res);
            let a32 = self.b.trunc(Type::I32, a);
            self.b.icmp(cc, r32, a32)
        };
        (res, ca)
    }

    /// Signed overflow of `res = a + b (+cin)` at the mode's width, as an i8.
    pub fn add_overflow(&mut self, a: Value, b: Value, res: Value) -> Value {
        let ar = self.b.xor(a, res);
        let br = self.b.xor(b, res);
        let both = self.b.and(ar, br);
        let bit = if self.is64 { 63 } else { 31 };
        self.bit_of(both, bit)
    }

    /// The low word of an i64, zero-extended (one 32-bit move on the host, where an AND
    /// with 0xffff_ffff needs the constant in memory).
    pub fn low_word(&mut self, v: Value) -> Value {
        let t = self.b.trunc(Type::I32, v);
        self.b.zext(Type::I64, t)
    }

    /// An effective address (i64) in the mode's width.
    pub fn ea(&mut self, v: Value) -> Value {
        if self.is64 { v } else { self.low_word(v) }
    }

    /// (RA|0) + disp. In 32-bit mode the sum is formed on the low words, so that the host
    /// computes and zero-extends it in one 32-bit instruction.
    pub fn ea_d(&mut self, ra: u32, disp: u64) -> Value {
        if self.is64 {
            let base = self.gpr_or0(ra);
            return self.b.add_imm(base, disp);
        }
        if ra == 0 {
            return self.b.const64(disp & 0xffff_ffff);
        }
        let base = self.gpr32(ra);
        let a = self.b.add_imm(base, disp);
        self.b.zext(Type::I64, a)
    }

    /// (RA|0) + (RB), in 32-bit mode on the low words as for [`Ctx::ea_d`].
    pub fn ea_x(&mut self, ra: u32, rb: u32) -> Value {
        if self.is64 {
            let base = self.gpr_or0(ra);
            let off = self.gpr(rb);
            return self.b.add(base, off);
        }
        let off = self.gpr32(rb);
        if ra == 0 {
            return self.b.zext(Type::I64, off);
        }
        let base = self.gpr32(ra);
        let a = self.b.add(base, off);
        self.b.zext(Type::I64, a)
    }

    pub fn load(&mut self, ty: Type, addr: Value) -> Value {
        self.b.load(ty, addr, self.endian)
    }

    pub fn store(&mut self, addr: Value, v: Value) {
        self.b.store(addr, v, self.endian)
    }

    /// The opposite byte order (byte-reversed loads and stores).
    pub fn reversed(&self) -> Endian {
        match self.endian {
            Endian::Little => Endian::Big,
            Endian::Big => Endian::Little,
        }
    }
}

/// Lifts the basic block at `pc`.
pub fn lift_block(
    pc: u64,
    code: &dyn CodeMemory,
    is64: bool,
    endian: Endian,
) -> Result<ir::Block, LiftError> {
    let mut ctx = Ctx::new(pc, is64, endian);
    let mut at = pc;
    for i in 0..MAX_BLOCK_INSNS {
        let mut buf = [0u8; 4];
        if !at.is_multiple_of(4) || !code.read_code(at, &mut buf) {
            if i == 0 {
                return Err(LiftError::FetchFault { pc: at });
            }
            return Ok(ctx.b.finish(Exit::Jump { target: at }, at));
        }
        let word = match endian {
            Endian::Little => u32::from_le_bytes(buf),
            Endian::Big => u32::from_be_bytes(buf),
        };
        ctx.pc = at;
        let result = match decode::decode(word, is64) {
            Some(f) => {
                ctx.b.insn_start(at);
                (f.lift)(&mut ctx, word)
            }
            None => Err(crate::disasm::classify_unknown(word, is64, endian)),
        };
        if let Err(kind) = result {
            return Ok(ctx.b.finish(Exit::Trap { kind, pc: at }, at + 4));
        }
        at = ctx.next_pc();
        if let Some(exit) = ctx.exit.take() {
            return Ok(ctx.b.finish(exit, at));
        }
    }
    Ok(ctx.b.finish(Exit::Jump { target: at }, at))
}
