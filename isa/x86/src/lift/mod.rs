//! Lifting decoded x86-64 instructions to xarch IR, one file per instruction class:
//!
//! ```text
//!  Insn ─► alu.rs      (SDM Vol. 1 7.3.1–7.3.7: data transfer, binary arithmetic, logic, shifts, bits)
//!       ─► control.rs  (7.3.8 control transfer, stack, flag control, system: SYSCALL, CPUID, …)
//!       ─► string.rs   (7.3.9 string instructions with REP/REPE/REPNE)
//!       ─► sse.rs      (SSE/SSE2 moves, integer and floating-point arithmetic the baseline needs)
//!       ─► mmx.rs      (MMX and the SSE/SSSE3 forms on MMX registers, aliasing the x87 registers)
//!       ─► x87.rs      (x87 FPU via helpers in crate::x87; FXSAVE/FXRSTOR)
//! ```
//!
//! Flags: every flag-setting instruction stores its lazy form in the state (see `state.rs`)
//! and the [`Ctx`] remembers the same facts as SSA values, so a condition read later in the
//! block is computed from them directly (`cmp rax, rbx; jl` is one signed compare). A read
//! with nothing known calls the `x86_eflags` helper once and reuses its result; the call
//! only reads the state, so the dead-code pass drops it when the flags it feeds are dead.

mod alu;
pub mod control;
mod mmx;
pub mod mxcsr;
mod sse;
mod sse4;
mod sse4_helpers;
mod string;
mod x87;
pub use alu::DIVIDE_TRAP_TAG;
pub use control::{CPUID1_ECX, CPUID1_EDX, GP_FAULT_TAG, cpuid};

use crate::decode::{self, DecodeError, Insn, Mem, Rm, Seg};
use crate::state::{self, CcKind, X86State, cc_op, off};
use xarch_translator::frontend::{CodeMemory, Frontend, LiftError, SyscallArgs};
use xarch_translator::ir::{self, Builder, Endian, Exit, Helper, IntCC, TrapKind, Type, Value};

/// Most guest instructions in one block.
const MAX_BLOCK_INSNS: u32 = 64;

/// What lifting one instruction gives.
pub(crate) enum Step {
    /// Fall through to the next instruction.
    Next,
    /// The block ends here with this exit.
    End(Exit),
    /// A conditional branch to `taken` (Jcc) that falls through to the next instruction.
    CondBranch { cond: Value, taken: u64 },
    /// The instruction is valid but not implemented by xarch.
    Unimplemented,
    /// The encoding is undefined (#UD): SIGILL when reached.
    Undefined,
}

/// Facts about the arithmetic flags, known at lift time.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Flags {
    /// Only the state's lazy form knows them.
    Stored,
    /// Set by an instruction of this block: kind, width, operands and result (in the operand
    /// type), and the auxiliary input (an i8 0/1: carry-in or preserved CF). For
    /// `CcKind::Eflags`, `a` is the i64 flags value.
    Known {
        kind: CcKind,
        bits: u32,
        a: Value,
        b: Value,
        res: Value,
        aux: Option<Value>,
    },
}

/// Where a ModRM `rm` operand lives, with its address computed once.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Loc {
    Reg(u8),
    Mem(Value),
}

/// Lifting context for one block.
pub(crate) struct Ctx {
    pub b: Builder,
    pub insn: Insn,
    /// Address of the instruction being lifted, and of the next one.
    pub pc: u64,
    pub next: u64,
    pub flags: Flags,
}

const LE: Endian = Endian::Little;

pub(crate) fn ty(bits: u32) -> Type {
    Type::int(bits)
}

impl Ctx {
    // ---- general-purpose registers ----

    /// Reads a GPR at a width; 8-bit reads of 4–7 without REX are AH, CH, DH, BH.
    pub fn get_gpr(&mut self, r: u8, bits: u32) -> Value {
        if bits == 8 && !self.insn.has_rex() && (4..8).contains(&r) {
            return self.get_high_byte(r - 4);
        }
        self.b.get_reg(ty(bits), off::gpr(r))
    }

    /// Writes a GPR at a width: 32-bit writes zero the upper half, 8/16-bit writes merge.
    pub fn set_gpr(&mut self, r: u8, bits: u32, v: Value) {
        match bits {
            32 => {
                let v = self.b.zext(Type::I64, v);
                self.b.set_reg(off::gpr(r), v)
            }
            8 if !self.insn.has_rex() && (4..8).contains(&r) => self.set_high_byte(r - 4, v),
            8 | 16 => self.merge_gpr(r, v, 0),
            _ => self.b.set_reg(off::gpr(r), v),
        }
    }

    /// AH, CH, DH or BH: bits 8–15 of GPR `r` (0–3).
    pub fn get_high_byte(&mut self, r: u8) -> Value {
        let full = self.b.get_reg(Type::I64, off::gpr(r));
        let sh = self.b.const64(8);
        let x = self.b.lshr(full, sh);
        self.b.trunc(Type::I8, x)
    }

    /// Writes AH, CH, DH or BH (bits 8–15 of GPR `r`, 0–3).
    pub fn set_high_byte(&mut self, r: u8, v: Value) {
        self.merge_gpr(r, v, 8);
    }

    /// Replaces the bits of GPR `r` from `shift` up by the narrower `v`, as a read-modify-write
    /// of the whole 64-bit register: every access to a GPR is then one i64 field, which the
    /// optimiser forwards within a block and a region keeps in a host register (a byte store
    /// followed by a 64-bit load of the same register would also stall the host's store
    /// forwarding).
    fn merge_gpr(&mut self, r: u8, v: Value, shift: u64) {
        let bits = self.b.ty(v).bits();
        let field = ((1u64 << bits) - 1) << shift;
        let full = self.b.get_reg(Type::I64, off::gpr(r));
        let keep = self.b.and_imm(full, !field);
        let x = self.b.zext(Type::I64, v);
        let x = if shift == 0 {
            x
        } else {
            let sh = self.b.const64(shift);
            self.b.shl(x, sh)
        };
        let merged = self.b.or(keep, x);
        self.b.set_reg(off::gpr(r), merged);
    }

    // ---- memory operands ----

    /// The effective address of a memory operand, without the segment base (LEA).
    pub fn lea(&mut self, m: &Mem) -> Value {
        let mut addr = if m.rip_relative {
            self.b.const64(self.next.wrapping_add(m.disp as u64))
        } else {
            let mut acc: Option<Value> = None;
            if let Some(base) = m.base {
                acc = Some(self.b.get_reg(Type::I64, off::gpr(base)));
            }
            if let Some(index) = m.index {
                let mut i = self.b.get_reg(Type::I64, off::gpr(index));
                if m.scale > 1 {
                    let sh = self.b.const64(m.scale.trailing_zeros() as u64);
                    i = self.b.shl(i, sh);
                }
                acc = Some(match acc {
                    Some(a) => self.b.add(a, i),
                    None => i,
                });
            }
            match acc {
                Some(a) if m.disp != 0 => self.b.add_imm(a, m.disp as u64),
                Some(a) => a,
                None => self.b.const64(m.disp as u64),
            }
        };
        if m.addr32 {
            addr = self.b.and_imm(addr, 0xffff_ffff);
        }
        addr
    }

    /// The linear address of a memory operand (FS/GS base added).
    pub fn addr(&mut self, m: &Mem) -> Value {
        let a = self.lea(m);
        self.seg_add(m.seg, a)
    }

    pub fn seg_add(&mut self, seg: Option<Seg>, a: Value) -> Value {
        match seg {
            Some(Seg::Fs) => {
                let base = self.b.get_reg(Type::I64, off::FS_BASE);
                self.b.add(a, base)
            }
            Some(Seg::Gs) => {
                let base = self.b.get_reg(Type::I64, off::GS_BASE);
                self.b.add(a, base)
            }
            None => a,
        }
    }

    /// The `rm` operand's location.
    pub fn loc_rm(&mut self) -> Loc {
        match self.insn.rm.expect("ModRM opcode") {
            Rm::Reg(r) => Loc::Reg(r),
            Rm::Mem(m) => Loc::Mem(self.addr(&m)),
        }
    }

    pub fn read(&mut self, loc: Loc, bits: u32) -> Value {
        match loc {
            Loc::Reg(r) => self.get_gpr(r, bits),
            Loc::Mem(a) => self.b.load(ty(bits), a, LE),
        }
    }

    pub fn write(&mut self, loc: Loc, bits: u32, v: Value) {
        match loc {
            Loc::Reg(r) => self.set_gpr(r, bits, v),
            Loc::Mem(a) => self.b.store(a, v, LE),
        }
    }

    pub fn load(&mut self, t: Type, addr: Value) -> Value {
        self.b.load(t, addr, LE)
    }

    pub fn store(&mut self, addr: Value, v: Value) {
        self.b.store(addr, v, LE)
    }

    /// The immediate as a constant of `bits`.
    pub fn imm(&mut self, bits: u32) -> Value {
        self.b.iconst(ty(bits), self.insn.imm as u64)
    }

    pub fn rsp(&mut self) -> Value {
        self.b.get_reg(Type::I64, off::gpr(4))
    }

    /// PUSH of a value of its own width.
    pub fn push(&mut self, v: Value) {
        let n = self.b.ty(v).bytes() as u64;
        let sp = self.rsp();
        let sp = self.b.add_imm(sp, n.wrapping_neg());
        self.store(sp, v);
        self.b.set_reg(off::gpr(4), sp);
    }

    /// POP of `bits`; RSP is updated before the caller writes the destination (so `pop rsp`
    /// gets the loaded value, SDM POP).
    pub fn pop(&mut self, bits: u32) -> Value {
        let sp = self.rsp();
        let v = self.load(ty(bits), sp);
        let sp = self.b.add_imm(sp, u64::from(bits / 8));
        self.b.set_reg(off::gpr(4), sp);
        v
    }

    // ---- flags ----

    /// Records a flag-setting operation: stores its lazy form, remembers its values.
    pub fn set_flags(&mut self, kind: CcKind, a: Value, b: Value, res: Value, aux: Option<Value>) {
        let bits = self.b.ty(res).bits();
        let op = self.b.const64(cc_op(kind, bits));
        self.b.set_reg(off::CC_OP, op);
        for (field, v) in [(off::CC_SRC1, a), (off::CC_SRC2, b), (off::CC_RES, res)] {
            let v = self.b.zext_or_trunc(Type::I64, v);
            self.b.set_reg(field, v);
        }
        if let Some(x) = aux {
            let x = self.b.zext(Type::I64, x);
            self.b.set_reg(off::CC_AUX, x);
        }
        self.flags = Flags::Known {
            kind,
            bits,
            a,
            b,
            res,
            aux,
        };
    }

    /// Records flags given as an i64 RFLAGS-layout value (only the arithmetic bits count).
    pub fn set_flags_value(&mut self, v: Value) {
        let v = self.b.and_imm(v, state::flag::ARITH);
        let zero = self.b.const64(0);
        let op = self.b.const64(cc_op(CcKind::Eflags, 64));
        self.b.set_reg(off::CC_OP, op);
        self.b.set_reg(off::CC_SRC1, v);
        self.flags = Flags::Known {
            kind: CcKind::Eflags,
            bits: 64,
            a: v,
            b: zero,
            res: zero,
            aux: None,
        };
    }

    /// The arithmetic flags as an i64 in RFLAGS layout.
    pub fn flags_value(&mut self) -> Value {
        match self.flags {
            Flags::Stored => {
                // Read-only: dropped when nothing uses the flags (a rotate's CF/OF merge
                // overwritten by the next arithmetic instruction, say).
                let v = self.b.call_helper_read_only(&EFLAGS_HELPER, &[]);
                let zero = self.b.const64(0);
                self.flags = Flags::Known {
                    kind: CcKind::Eflags,
                    bits: 64,
                    a: v,
                    b: zero,
                    res: zero,
                    aux: None,
                };
                v
            }
            Flags::Known {
                kind: CcKind::Eflags,
                a,
                ..
            } => a,
            Flags::Known { .. } => {
                let mut acc = self.b.const64(0);
                for (f, shift) in [
                    (b'c', 0),
                    (b'p', 2),
                    (b'a', 4),
                    (b'z', 6),
                    (b's', 7),
                    (b'o', 11),
                ] {
                    let bit = self.flag(f);
                    let bit = self.b.zext(Type::I64, bit);
                    let sh = self.b.const64(shift);
                    let bit = self.b.shl(bit, sh);
                    acc = self.b.or(acc, bit);
                }
                acc
            }
        }
    }

    fn bit_of(&mut self, v: Value, shift: u64) -> Value {
        let sh = self.b.iconst(self.b.ty(v), shift);
        let x = self.b.lshr(v, sh);
        let x = self.b.trunc_or_same(Type::I8, x);
        self.b.and_imm(x, 1)
    }

    fn sign_of(&mut self, v: Value) -> Value {
        let z = self.b.iconst(self.b.ty(v), 0);
        self.b.icmp(IntCC::Slt, v, z)
    }

    /// One arithmetic flag (`c`, `p`, `a`, `z`, `s`, `o`) as an i8 0/1.
    pub fn flag(&mut self, which: u8) -> Value {
        if let Flags::Stored = self.flags {
            self.flags_value();
        }
        let Flags::Known {
            kind,
            bits,
            a,
            b,
            res,
            aux,
        } = self.flags
        else {
            unreachable!()
        };
        if kind == CcKind::Eflags {
            let shift = match which {
                b'c' => 0,
                b'p' => 2,
                b'a' => 4,
                b'z' => 6,
                b's' => 7,
                _ => 11,
            };
            return self.bit_of(a, shift);
        }
        let sign = 1u64 << (bits - 1);
        match which {
            b'z' => self.b.icmp_imm(IntCC::Eq, res, 0),
            b's' => self.sign_of(res),
            b'p' => {
                let lo = self.b.trunc_or_same(Type::I8, res);
                let n = self.b.popcnt(lo);
                let n = self.b.and_imm(n, 1);
                self.b.icmp_imm(IntCC::Eq, n, 0)
            }
            b'a' => match kind {
                CcKind::Add | CcKind::Adc | CcKind::Sub | CcKind::Sbb => {
                    let x = self.b.xor(a, b);
                    let x = self.b.xor(x, res);
                    self.bit_of(x, 4)
                }
                CcKind::Neg => {
                    let x = self.b.xor(a, res);
                    self.bit_of(x, 4)
                }
                CcKind::Inc => {
                    let x = self.b.and_imm(res, 0xf);
                    self.b.icmp_imm(IntCC::Eq, x, 0)
                }
                CcKind::Dec => {
                    let x = self.b.and_imm(res, 0xf);
                    self.b.icmp_imm(IntCC::Eq, x, 0xf)
                }
                _ => self.b.iconst(Type::I8, 0),
            },
            b'c' => match kind {
                CcKind::Add => self.b.icmp(IntCC::Ult, res, a),
                CcKind::Adc => {
                    let lt = self.b.icmp(IntCC::Ult, res, a);
                    let eq = self.b.icmp(IntCC::Eq, res, a);
                    let eq = self.b.and(eq, aux.expect("adc carry-in"));
                    self.b.or(lt, eq)
                }
                CcKind::Sub => self.b.icmp(IntCC::Ult, a, b),
                CcKind::Sbb => {
                    let lt = self.b.icmp(IntCC::Ult, a, b);
                    let eq = self.b.icmp(IntCC::Eq, a, b);
                    let eq = self.b.and(eq, aux.expect("sbb borrow-in"));
                    self.b.or(lt, eq)
                }
                CcKind::Inc | CcKind::Dec | CcKind::Mul => aux.expect("preserved CF"),
                CcKind::Neg => self.b.icmp_imm(IntCC::Ne, a, 0),
                CcKind::Shl => {
                    // The last bit shifted out: bit `bits - count` of the source.
                    let a64 = self.b.zext_or_trunc(Type::I64, a);
                    let c64 = self.b.zext_or_trunc(Type::I64, b);
                    let w = self.b.const64(u64::from(bits));
                    let sh = self.b.sub(w, c64);
                    let x = self.b.lshr(a64, sh);
                    let bit = self.bit_of(x, 0);
                    // Counts beyond the width (8/16-bit shifts by up to 31) shift it all out.
                    let inside = self.b.icmp(IntCC::Ule, c64, w);
                    self.b.and(bit, inside)
                }
                CcKind::Shr | CcKind::Sar => {
                    let a64 = if kind == CcKind::Sar {
                        self.b.sext_or_trunc(Type::I64, a)
                    } else {
                        self.b.zext_or_trunc(Type::I64, a)
                    };
                    let c64 = self.b.zext_or_trunc(Type::I64, b);
                    let c64 = self.b.add_imm(c64, u64::MAX);
                    let x = self.b.ashr(a64, c64);
                    self.bit_of(x, 0)
                }
                CcKind::Logic | CcKind::Eflags => self.b.iconst(Type::I8, 0),
            },
            _ => match kind {
                CcKind::Add | CcKind::Adc => {
                    let x = self.b.xor(a, b);
                    let x = self.b.not(x);
                    let y = self.b.xor(a, res);
                    let x = self.b.and(x, y);
                    self.sign_of(x)
                }
                CcKind::Sub | CcKind::Sbb => {
                    let x = self.b.xor(a, b);
                    let y = self.b.xor(a, res);
                    let x = self.b.and(x, y);
                    self.sign_of(x)
                }
                CcKind::Inc => self.b.icmp_imm(IntCC::Eq, res, sign),
                CcKind::Dec => self.b.icmp_imm(IntCC::Eq, res, sign - 1),
                CcKind::Neg => self.b.icmp_imm(IntCC::Eq, a, sign),
                CcKind::Mul => aux.expect("mul overflow"),
                CcKind::Shl => {
                    let s = self.sign_of(res);
                    let c = self.flag(b'c');
                    self.b.xor(s, c)
                }
                CcKind::Shr => self.sign_of(a),
                CcKind::Sar | CcKind::Logic | CcKind::Eflags => self.b.iconst(Type::I8, 0),
            },
        }
    }

    /// Condition `cc` (the low nibble of Jcc/SETcc/CMOVcc) as an i8 0/1 (SDM Vol. 1, B.1).
    pub fn cond(&mut self, cc: u8) -> Value {
        let base = cc & !1;
        let v = match (self.flags, base) {
            // Direct forms for the common compare-and-branch pairs.
            (
                Flags::Known {
                    kind: CcKind::Sub,
                    a,
                    b,
                    ..
                },
                2,
            ) => self.b.icmp(IntCC::Ult, a, b),
            (
                Flags::Known {
                    kind: CcKind::Sub,
                    a,
                    b,
                    ..
                },
                4,
            ) => self.b.icmp(IntCC::Eq, a, b),
            (
                Flags::Known {
                    kind: CcKind::Sub,
                    a,
                    b,
                    ..
                },
                6,
            ) => self.b.icmp(IntCC::Ule, a, b),
            (
                Flags::Known {
                    kind: CcKind::Sub,
                    a,
                    b,
                    ..
                },
                12,
            ) => self.b.icmp(IntCC::Slt, a, b),
            (
                Flags::Known {
                    kind: CcKind::Sub,
                    a,
                    b,
                    ..
                },
                14,
            ) => self.b.icmp(IntCC::Sle, a, b),
            (
                Flags::Known {
                    kind: CcKind::Logic,
                    res,
                    ..
                },
                12,
            ) => self.sign_of(res),
            (
                Flags::Known {
                    kind: CcKind::Logic,
                    res,
                    ..
                },
                14,
            ) => {
                let z = self.b.iconst(self.b.ty(res), 0);
                self.b.icmp(IntCC::Sle, res, z)
            }
            _ => match base {
                0 => self.flag(b'o'),
                2 => self.flag(b'c'),
                4 => self.flag(b'z'),
                6 => {
                    let c = self.flag(b'c');
                    let z = self.flag(b'z');
                    self.b.or(c, z)
                }
                8 => self.flag(b's'),
                10 => self.flag(b'p'),
                12 => {
                    let s = self.flag(b's');
                    let o = self.flag(b'o');
                    self.b.xor(s, o)
                }
                _ => {
                    let s = self.flag(b's');
                    let o = self.flag(b'o');
                    let z = self.flag(b'z');
                    let l = self.b.xor(s, o);
                    self.b.or(l, z)
                }
            },
        };
        if cc & 1 != 0 { self.b.xor_imm(v, 1) } else { v }
    }
}

trait BuilderExt {
    fn trunc_or_same(&mut self, t: Type, v: Value) -> Value;
    fn xor_imm(&mut self, v: Value, imm: u64) -> Value;
}

impl BuilderExt for Builder {
    fn trunc_or_same(&mut self, t: Type, v: Value) -> Value {
        if self.ty(v) == t { v } else { self.trunc(t, v) }
    }
    fn xor_imm(&mut self, v: Value, imm: u64) -> Value {
        let c = self.iconst(self.ty(v), imm);
        self.xor(v, c)
    }
}

extern "C" fn eflags_helper(
    state: *mut u8,
    _mem: *mut u8,
    _a: u64,
    _b: u64,
    _c: u64,
    _d: u64,
) -> u64 {
    // SAFETY: the engine passes a pointer to this frontend's state, STATE_SIZE bytes and
    // 16-aligned, valid for the duration of the call.
    let st = unsafe { &*(state as *const X86State) };
    state::eflags_from_cc(st.cc_op, st.cc_src1, st.cc_src2, st.cc_res, st.cc_aux)
}

/// Evaluates the arithmetic flags from the state's lazy form.
pub(crate) static EFLAGS_HELPER: Helper = Helper {
    name: "x86_eflags",
    func: eflags_helper,
};

/// Lifts one instruction.
fn lift_insn(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    match i.map {
        decode::Map::Primary => {
            let s = alu::lift_primary(cx);
            if !matches!(s, Step::Unimplemented) {
                return s;
            }
            let s = control::lift_primary(cx);
            if !matches!(s, Step::Unimplemented) {
                return s;
            }
            let s = string::lift_primary(cx);
            if !matches!(s, Step::Unimplemented) {
                return s;
            }
            x87::lift_primary(cx)
        }
        decode::Map::M0F => {
            let s = x87::lift_0f(cx);
            if !matches!(s, Step::Unimplemented) {
                return s;
            }
            let s = alu::lift_0f(cx);
            if !matches!(s, Step::Unimplemented) {
                return s;
            }
            let s = control::lift_0f(cx);
            if !matches!(s, Step::Unimplemented) {
                return s;
            }
            let s = mmx::lift_0f(cx);
            if !matches!(s, Step::Unimplemented) {
                return s;
            }
            sse::lift_0f(cx)
        }
        decode::Map::M0F38 | decode::Map::M0F3A => {
            let s = mmx::lift_0f38_3a(cx);
            if !matches!(s, Step::Unimplemented) {
                return s;
            }
            sse4::lift_0f38_3a(cx)
        }
    }
}

/// Reads up to 15 code bytes at `pc` (fewer where the mapping ends).
fn fetch(code: &dyn CodeMemory, pc: u64) -> Vec<u8> {
    for n in (1..=decode::MAX_LEN).rev() {
        let mut buf = vec![0u8; n];
        if code.read_code(pc, &mut buf) {
            return buf;
        }
    }
    Vec::new()
}

/// Lifts the block at `pc`, with at most `limit` instructions; `Err(n)` asks to re-lift with
/// `n` instructions followed by a trap because instruction `n` cannot be lifted.
fn lift_block(
    pc: u64,
    code: &dyn CodeMemory,
    limit: u32,
    end_trap: Option<TrapKind>,
) -> Result<Result<ir::Block, (u32, TrapKind)>, LiftError> {
    let mut b = Builder::new(pc);
    let mut cur = pc;
    let mut n = 0;
    let mut flags = Flags::Stored;
    loop {
        if n == limit {
            if let Some(kind) = end_trap {
                return Ok(Ok(b.finish(Exit::Trap { kind, pc: cur }, cur)));
            }
            return Ok(Ok(b.finish(Exit::Jump { target: cur }, cur)));
        }
        let bytes = fetch(code, cur);
        if bytes.is_empty() {
            if n == 0 {
                return Err(LiftError::FetchFault { pc });
            }
            return Ok(Ok(b.finish(Exit::Jump { target: cur }, cur)));
        }
        let insn = match decode::decode(&bytes) {
            Ok(i) => i,
            Err(DecodeError::Truncated) if n > 0 => {
                return Ok(Ok(b.finish(Exit::Jump { target: cur }, cur)));
            }
            Err(DecodeError::Truncated) if bytes.len() < decode::MAX_LEN => {
                return Err(LiftError::FetchFault { pc });
            }
            Err(_) => return Ok(Err((n, TrapKind::Undefined))),
        };
        let next = cur.wrapping_add(u64::from(insn.len));
        b.insn_start(cur);
        let mut cx = Ctx {
            b,
            insn,
            pc: cur,
            next,
            flags,
        };
        let step = lift_insn(&mut cx);
        b = cx.b;
        flags = cx.flags;
        n += 1;
        match step {
            // RIP is not written per instruction: the engine sets the PC at every exit.
            Step::Next => cur = next,
            Step::End(exit) => return Ok(Ok(b.finish(exit, next))),
            // A forward branch (an if, a loop's exit test) leaves by a side exit and the block
            // goes on along the fall-through path: fewer, longer blocks. A backward branch (a
            // loop's back edge) ends the block, so that loop bodies are not lifted twice.
            Step::CondBranch { cond, taken } if taken > cur && n < limit => {
                b.exit_if(cond, taken);
                cur = next;
            }
            Step::CondBranch { cond, taken } => {
                return Ok(Ok(b.finish(
                    Exit::Branch {
                        cond,
                        taken,
                        not_taken: next,
                    },
                    next,
                )));
            }
            Step::Unimplemented => return Ok(Err((n - 1, TrapKind::Unimplemented))),
            Step::Undefined => return Ok(Err((n - 1, TrapKind::Undefined))),
        }
    }
}

/// The x86-64 frontend.
pub struct X86Frontend;

impl Frontend for X86Frontend {
    fn name(&self) -> &'static str {
        "x86_64"
    }

    fn state_size(&self) -> usize {
        state::STATE_SIZE
    }

    fn pc_offset(&self) -> u32 {
        off::RIP
    }

    fn lift(&self, pc: u64, code: &dyn CodeMemory) -> Result<ir::Block, LiftError> {
        if pc & !alu::TAG_PC_MASK == alu::DIVIDE_TRAP_TAG {
            // A division side-exited here: #DE at the instruction whose address is tagged.
            let at = pc & alu::TAG_PC_MASK;
            return Ok(Builder::new(pc).finish(
                Exit::Trap {
                    kind: TrapKind::DivideError,
                    pc: at,
                },
                pc,
            ));
        }
        if pc & !alu::TAG_PC_MASK == control::GP_FAULT_TAG {
            // A privileged instruction exited here: SIGSEGV at its address, as Linux gives.
            return Err(LiftError::FetchFault {
                pc: pc & alu::TAG_PC_MASK,
            });
        }
        match lift_block(pc, code, MAX_BLOCK_INSNS, None)? {
            Ok(block) => Ok(block),
            Err((n, kind)) => match lift_block(pc, code, n, Some(kind))? {
                Ok(block) => Ok(block),
                // Deterministic: the first n instructions lifted before, so they lift again.
                Err(_) => unreachable!("re-lift of a prefix failed"),
            },
        }
    }

    fn disassemble(&self, pc: u64, bytes: &[u8]) -> String {
        crate::disasm::disassemble(pc, bytes)
    }

    fn insn_len(&self, bytes: &[u8]) -> Option<usize> {
        crate::disasm::length(bytes)
    }

    fn max_insn_bytes(&self) -> usize {
        decode::MAX_LEN
    }

    fn abi(&self) -> &'static xarch_linux::abi::Abi {
        &crate::abi::ABI
    }

    fn init_state(&self, state: &mut [u8], entry: u64, sp: u64) {
        let st = X86State::from_bytes_mut(state);
        *st = X86State::default();
        st.rip = entry;
        st.gpr[4] = sp;
        // MXCSR 0x1f80 with clear flags on the host too (guest SSE arithmetic is host SSE).
        mxcsr::reset_host();
    }

    fn syscall_args(&self, state: &[u8]) -> SyscallArgs {
        let st = X86State::from_bytes(state);
        let g = &st.gpr;
        // rax; rdi, rsi, rdx, r10, r8, r9 (x86-64 Linux syscall convention).
        SyscallArgs {
            nr: g[0],
            args: [g[7], g[6], g[2], g[10], g[8], g[9]],
        }
    }

    fn set_syscall_result(&self, state: &mut [u8], ret: i64) {
        let st = X86State::from_bytes_mut(state);
        st.gpr[0] = ret as u64;
    }

    fn set_thread_pointer(&self, state: &mut [u8], tp: u64) {
        X86State::from_bytes_mut(state).fs_base = tp;
    }

    fn thread_pointer(&self, state: &[u8]) -> u64 {
        X86State::from_bytes(state).fs_base
    }

    fn setup_signal_frame(
        &self,
        state: &mut [u8],
        mem: &mut dyn xarch_translator::frontend::SignalMemory,
        frame: &xarch_translator::frontend::SignalFrame<'_>,
    ) -> Result<(), xarch_translator::frontend::SignalError> {
        crate::signal::setup(state, mem, frame)
    }

    fn restore_signal_frame(
        &self,
        state: &mut [u8],
        mem: &mut dyn xarch_translator::frontend::SignalMemory,
    ) -> Result<u64, xarch_translator::frontend::SignalError> {
        crate::signal::restore(state, mem)
    }

    fn supports_signals(&self) -> bool {
        true
    }

    fn syscall_insn_len(&self) -> u64 {
        2
    }
}
