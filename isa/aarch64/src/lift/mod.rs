//! Lifting A64 instructions to xarch IR.
//!
//! ```text
//!   lift_block(pc) ─► fetch word ─► decode::decode ─► Encoding.lift(&mut Ctx, word) ─► ir::Block
//!                       (repeat until a lifter ends the block, a trap, or MAX_BLOCK_INSNS)
//! ```
//!
//! Every lifter is a `fn(&mut Ctx, u32) -> LiftResult`, in a file named after the manual's
//! section (`dp_imm.rs`, `dp_reg.rs`, `branch.rs`, `system.rs`, `ldst.rs`; the FP/SIMD files
//! beside them). [`Ctx`] wraps the IR [`Builder`] with the A64 register file's rules (register
//! 31 as XZR or SP, 32-bit writes zero-extending), the NZCV flag computations and the condition
//! codes, so that a lifter reads like the manual's pseudocode.
//!
//! Contract for lifters: decide whether the word is valid *before* emitting any IR. An
//! `Err(TrapKind::Undefined | Unimplemented)` ends the block with a trap at the instruction,
//! and anything already emitted for it would run first. Control transfers call
//! [`Ctx::end_block`]; the engine sets the guest PC from the block's exit, lifters never
//! write PC themselves.

pub mod branch;
pub mod dp_imm;
pub mod dp_reg;
pub mod ldst;
pub mod system;
// The FP/SIMD engineer's lifters:
pub mod crypto;
pub mod fp;
pub mod simd;
pub mod simd_ldst;

use crate::decode;
use crate::state;
use xarch_translator::frontend::{CodeMemory, LiftError};
use xarch_translator::ir::{self, Builder, Endian, Exit, IntCC, Lane, TrapKind, Type, Value};

/// What a lifter returns: Ok, or the kind of trap the word raises (checked before any IR).
pub type LiftResult = Result<(), TrapKind>;

/// A lift function, as the decode tables name them.
pub type LiftFn = fn(&mut Ctx, u32) -> LiftResult;

/// Longest block, in guest instructions.
pub const MAX_BLOCK_INSNS: u32 = 64;

/// The lifter context: the block being built and the address of the current instruction.
pub struct Ctx {
    /// The IR builder; lifters use it directly for everything not wrapped here.
    pub b: Builder,
    /// Address of the instruction being lifted.
    pub pc: u64,
    exit: Option<Exit>,
}

/// Carry-in of [`Ctx::add_with_carry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carry {
    Zero,
    One,
    /// PSTATE.C (ADC/SBC).
    Flag,
}

impl Ctx {
    pub fn new(pc: u64) -> Ctx {
        Ctx {
            b: Builder::new(pc),
            pc,
            exit: None,
        }
    }

    /// Address of the next instruction.
    pub fn next_pc(&self) -> u64 {
        self.pc.wrapping_add(4)
    }

    /// Ends the block after the current instruction.
    pub fn end_block(&mut self, exit: Exit) {
        self.exit = Some(exit);
    }

    pub fn is_ended(&self) -> bool {
        self.exit.is_some()
    }

    // ---- general-purpose registers ----

    /// X`n` as i64; register 31 reads as XZR (zero).
    pub fn x(&mut self, n: u32) -> Value {
        if n == 31 {
            self.b.const64(0)
        } else {
            self.b.get_reg(Type::I64, state::x_off(n))
        }
    }

    /// X`n` as i64; register 31 reads as SP.
    pub fn x_sp(&mut self, n: u32) -> Value {
        if n == 31 {
            self.b.get_reg(Type::I64, state::SP)
        } else {
            self.x(n)
        }
    }

    /// Writes X`n` (i64); register 31 is XZR (the write is dropped).
    pub fn set_x(&mut self, n: u32, v: Value) {
        debug_assert_eq!(self.b.ty(v), Type::I64);
        if n != 31 {
            self.b.set_reg(state::x_off(n), v);
        }
    }

    /// Writes X`n` (i64); register 31 is SP.
    pub fn set_x_sp(&mut self, n: u32, v: Value) {
        debug_assert_eq!(self.b.ty(v), Type::I64);
        if n == 31 {
            self.b.set_reg(state::SP, v)
        } else {
            self.set_x(n, v)
        }
    }

    /// W`n` as i32 (the low half of X`n`); register 31 reads as WZR.
    pub fn w(&mut self, n: u32) -> Value {
        if n == 31 {
            self.b.const32(0)
        } else {
            self.b.get_reg(Type::I32, state::x_off(n))
        }
    }

    /// W`n` as i32; register 31 reads as WSP.
    pub fn w_sp(&mut self, n: u32) -> Value {
        if n == 31 {
            self.b.get_reg(Type::I32, state::SP)
        } else {
            self.w(n)
        }
    }

    /// Writes W`n` (i32), zero-extending into X`n`; register 31 is WZR.
    pub fn set_w(&mut self, n: u32, v: Value) {
        if n != 31 {
            let x = self.b.zext(Type::I64, v);
            self.b.set_reg(state::x_off(n), x);
        }
    }

    /// Writes W`n` (i32), zero-extending; register 31 is WSP.
    pub fn set_w_sp(&mut self, n: u32, v: Value) {
        let x = self.b.zext(Type::I64, v);
        self.set_x_sp(n, x);
    }

    /// X`n` (sf) or W`n`, register 31 as the zero register.
    pub fn reg(&mut self, sf: bool, n: u32) -> Value {
        if sf { self.x(n) } else { self.w(n) }
    }

    /// X`n` (sf) or W`n`, register 31 as SP.
    pub fn reg_sp(&mut self, sf: bool, n: u32) -> Value {
        if sf { self.x_sp(n) } else { self.w_sp(n) }
    }

    /// Writes X`n` (sf) or W`n`, register 31 as the zero register.
    pub fn set_reg(&mut self, sf: bool, n: u32, v: Value) {
        if sf {
            self.set_x(n, v)
        } else {
            self.set_w(n, v)
        }
    }

    /// Writes X`n` (sf) or W`n`, register 31 as SP.
    pub fn set_reg_sp(&mut self, sf: bool, n: u32, v: Value) {
        if sf {
            self.set_x_sp(n, v)
        } else {
            self.set_w_sp(n, v)
        }
    }

    /// The integer type of an operation size: i64 if `sf`, else i32.
    pub fn ty(sf: bool) -> Type {
        if sf { Type::I64 } else { Type::I32 }
    }

    /// A constant of the operation size.
    pub fn imm(&mut self, sf: bool, v: u64) -> Value {
        self.b.iconst(Self::ty(sf), v)
    }

    // ---- NZCV ----

    /// Reads one flag byte (0 or 1) at a state offset ([`state::N`], …).
    pub fn flag(&mut self, off: u32) -> Value {
        self.b.get_reg(Type::I8, off)
    }

    /// Writes the four flags from i8 values that are 0 or 1.
    pub fn set_nzcv(&mut self, n: Value, z: Value, c: Value, v: Value) {
        self.b.set_reg(state::N, n);
        self.b.set_reg(state::Z, z);
        self.b.set_reg(state::C, c);
        self.b.set_reg(state::VF, v);
    }

    /// Writes the four flags from an immediate `nzcv` (bit 3 = N … bit 0 = V), as CCMP does.
    pub fn set_nzcv_imm(&mut self, nzcv: u32) {
        let n = self.b.iconst(Type::I8, (nzcv >> 3 & 1) as u64);
        let z = self.b.iconst(Type::I8, (nzcv >> 2 & 1) as u64);
        let c = self.b.iconst(Type::I8, (nzcv >> 1 & 1) as u64);
        let v = self.b.iconst(Type::I8, (nzcv & 1) as u64);
        self.set_nzcv(n, z, c, v);
    }

    /// N and Z of a result.
    fn nz(&mut self, res: Value) -> (Value, Value) {
        let n = self.b.icmp_imm(IntCC::Slt, res, 0);
        let z = self.b.icmp_imm(IntCC::Eq, res, 0);
        (n, z)
    }

    /// Flags of a logical result (ANDS, BICS, TST): N, Z from it, C = V = 0.
    pub fn set_flags_logic(&mut self, res: Value) {
        let (n, z) = self.nz(res);
        let zero = self.b.iconst(Type::I8, 0);
        self.set_nzcv(n, z, zero, zero);
    }

    /// `a + b`, setting NZCV if `flags` (ADDS, CMN).
    pub fn add(&mut self, a: Value, b: Value, flags: bool) -> Value {
        self.add_with_carry(a, b, Carry::Zero, flags)
    }

    /// `a - b`, setting NZCV if `flags` (SUBS, CMP).
    pub fn sub(&mut self, a: Value, b: Value, flags: bool) -> Value {
        if !flags {
            return self.b.sub(a, b);
        }
        let (res, f) = self.sub_flags(a, b);
        self.set_nzcv(f[0], f[1], f[2], f[3]);
        res
    }

    /// The manual's AddWithCarry(a, b, carry_in), setting NZCV if `flags`. SBC passes NOT(b)
    /// and [`Carry::Flag`].
    pub fn add_with_carry(&mut self, a: Value, b: Value, carry: Carry, flags: bool) -> Value {
        if !flags {
            let sum = self.b.add(a, b);
            return match carry {
                Carry::Zero => sum,
                Carry::One => self.b.add_imm(sum, 1),
                Carry::Flag => {
                    let c8 = self.flag(state::C);
                    let ty = self.b.ty(a);
                    let c = self.b.zext(ty, c8);
                    self.b.add(sum, c)
                }
            };
        }
        let (res, f) = self.add_flags(a, b, carry);
        self.set_nzcv(f[0], f[1], f[2], f[3]);
        res
    }

    /// `a - b` and its flags [N, Z, C, V] (not written). ARM ARM: AddWithCarry(a, NOT(b), 1),
    /// so C is "no borrow" (a >= b unsigned).
    pub fn sub_flags(&mut self, a: Value, b: Value) -> (Value, [Value; 4]) {
        let res = self.b.sub(a, b);
        let (n, z) = self.nz(res);
        let c = self.b.icmp(IntCC::Uge, a, b);
        // Overflow when the operands' signs differ and the result's sign differs from a's.
        let ab = self.b.xor(a, b);
        let ar = self.b.xor(a, res);
        let both = self.b.and(ab, ar);
        let v = self.b.icmp_imm(IntCC::Slt, both, 0);
        (res, [n, z, c, v])
    }

    /// AddWithCarry(a, b, carry) and its flags [N, Z, C, V] (not written).
    pub fn add_flags(&mut self, a: Value, b: Value, carry: Carry) -> (Value, [Value; 4]) {
        let sum = self.b.add(a, b);
        // Unsigned carry out: the first addition wrapped, or adding the carry-in did.
        let c1 = self.b.icmp(IntCC::Ult, sum, a);
        let (res, c) = match carry {
            Carry::Zero => (sum, c1),
            Carry::One | Carry::Flag => {
                let cin = if carry == Carry::One {
                    let ty = self.b.ty(a);
                    self.b.iconst(ty, 1)
                } else {
                    let c8 = self.flag(state::C);
                    let ty = self.b.ty(a);
                    self.b.zext(ty, c8)
                };
                let res = self.b.add(sum, cin);
                let c2 = self.b.icmp(IntCC::Ult, res, sum);
                (res, self.b.or(c1, c2))
            }
        };
        let (n, z) = self.nz(res);
        // Signed overflow: both operands' signs differ from the result's.
        let ar = self.b.xor(a, res);
        let br = self.b.xor(b, res);
        let both = self.b.and(ar, br);
        let v = self.b.icmp_imm(IntCC::Slt, both, 0);
        (res, [n, z, c, v])
    }

    /// ConditionHolds(cond) as an i8 that is 0 or 1 (ARM ARM J1, shared/functions/system).
    pub fn cond_holds(&mut self, cond: u32) -> Value {
        let base = match cond >> 1 {
            0 => self.flag(state::Z),
            1 => self.flag(state::C),
            2 => self.flag(state::N),
            3 => self.flag(state::VF),
            4 => {
                // HI: C == 1 && Z == 0
                let c = self.flag(state::C);
                let z = self.flag(state::Z);
                self.b.icmp(IntCC::Ugt, c, z)
            }
            5 | 6 => {
                // GE: N == V; GT: N == V && Z == 0
                let n = self.flag(state::N);
                let v = self.flag(state::VF);
                let ge = self.b.icmp(IntCC::Eq, n, v);
                if cond >> 1 == 5 {
                    ge
                } else {
                    let z = self.flag(state::Z);
                    self.b.icmp(IntCC::Ugt, ge, z)
                }
            }
            _ => return self.b.iconst(Type::I8, 1), // AL, NV: always
        };
        if cond & 1 == 1 {
            let one = self.b.iconst(Type::I8, 1);
            self.b.xor(base, one)
        } else {
            base
        }
    }

    // ---- SIMD&FP registers ----

    /// V`n` as a v128.
    pub fn v(&mut self, n: u32) -> Value {
        self.b.get_reg(Type::V128, state::v_off(n))
    }

    /// Writes all 128 bits of V`n`.
    pub fn set_v(&mut self, n: u32, val: Value) {
        debug_assert_eq!(self.b.ty(val), Type::V128);
        self.b.set_reg(state::v_off(n), val)
    }

    /// The low `ty` bits of V`n` (B/H/S/D as i8..i64, or f32/f64, or v128 for Q).
    pub fn v_scalar(&mut self, ty: Type, n: u32) -> Value {
        self.b.get_reg(ty, state::v_off(n))
    }

    /// Writes a scalar to the low bits of V`n` and zeroes the rest, as every scalar SIMD&FP
    /// write does. A v128 value is written whole.
    pub fn set_v_scalar(&mut self, n: u32, val: Value) {
        let off = state::v_off(n);
        let ty = self.b.ty(val);
        let lane = match ty {
            Type::I32 => Some(Lane::I32x4),
            Type::I64 => Some(Lane::I64x2),
            Type::F32 => Some(Lane::F32x4),
            Type::F64 => Some(Lane::F64x2),
            _ => None,
        };
        if let Some(lane) = lane {
            // One 128-bit write: a later vector read of V`n` takes the value from the block
            // instead of reloading it from pieces stored separately (a store-forwarding stall).
            let zero = self.b.v128const(0);
            let v = self.b.vinsert(lane, 0, zero, val);
            self.b.set_reg(off, v);
            return;
        }
        let bytes = ty.bytes();
        self.b.set_reg(off, val);
        let mut at = bytes;
        while at < 16 {
            // Zero the upper part with the widest stores the alignment allows.
            let ty = match at {
                8 => Type::I64,
                4 | 12 => Type::I32,
                2 | 6 | 10 | 14 => Type::I16,
                _ => Type::I8,
            };
            let z = self.b.iconst(ty, 0);
            self.b.set_reg(off + at, z);
            at += ty.bytes();
        }
    }

    // ---- memory ----

    /// Loads `ty` from a guest address (little-endian).
    pub fn load(&mut self, ty: Type, addr: Value) -> Value {
        self.b.load(ty, addr, Endian::Little)
    }

    /// Stores a value to a guest address (little-endian).
    pub fn store(&mut self, addr: Value, v: Value) {
        self.b.store(addr, v, Endian::Little)
    }
}

/// Lifts the basic block at `pc`: instructions up to the first one that ends the block (a
/// branch, SVC, a trap), or [`MAX_BLOCK_INSNS`].
pub fn lift_block(pc: u64, code: &dyn CodeMemory) -> Result<ir::Block, LiftError> {
    let mut ctx = Ctx::new(pc);
    let mut at = pc;
    for i in 0..MAX_BLOCK_INSNS {
        let mut buf = [0u8; 4];
        if !at.is_multiple_of(4) || !code.read_code(at, &mut buf) {
            if i == 0 {
                return Err(LiftError::FetchFault { pc: at });
            }
            // Stop before the unreadable word: the next block faults precisely there.
            return Ok(ctx.b.finish(Exit::Jump { target: at }, at));
        }
        let word = u32::from_le_bytes(buf);
        ctx.pc = at;
        let result = match decode::decode(word) {
            Some(enc) => {
                ctx.b.insn_start(at);
                (enc.lift)(&mut ctx, word)
            }
            None => Err(crate::disasm::classify_unknown(word)),
        };
        if let Err(kind) = result {
            // The trapping word is covered by the block (its bytes decided the exit).
            return Ok(ctx.b.finish(Exit::Trap { kind, pc: at }, at + 4));
        }
        at = at.wrapping_add(4);
        if let Some(exit) = ctx.exit.take() {
            return Ok(ctx.b.finish(exit, at));
        }
    }
    Ok(ctx.b.finish(Exit::Jump { target: at }, at))
}
