//! The xarch IR: what every guest frontend lifts to and what both tiers run.
//!
//! ```text
//!   guest bytes --Frontend::lift--> ir::Block --passes--> interp (tier 0)
//!                                                     \-> lower (Cranelift, hot tier)
//! ```
//!
//! A block is straight-line code over SSA values (`v0`, `v1`, …) ending in one [`Exit`].
//! Side exits ([`Op::ExitIf`]) leave early. Guest registers live in the arch's `#[repr(C)]`
//! CPU state and are named by byte offset ([`Op::GetReg`]/[`Op::SetReg`]); guest memory is
//! reached through [`Op::Load`]/[`Op::Store`] with a guest address, which both tiers map into
//! the guest window (`base + (addr & mask)`), so lifted code can never reach host memory.
//!
//! Operations are declared once, in the table in [`ops`], which generates the [`Op`] enum, its
//! names, one line of documentation per op, and the signature class the verifier checks.
//!
//! Semantics that differ between hosts are pinned here so that both tiers agree:
//! - shift and rotate counts are taken modulo the operand width;
//! - `UDiv`/`SDiv`/`URem`/`SRem` by zero give 0; `SDiv` of MIN by -1 gives MIN, `SRem` gives 0
//!   (AArch64's rules; frontends whose ISA traps test the divisor themselves);
//! - `Clz`/`Ctz` of 0 give the bit width;
//! - `FToSInt`/`FToUInt` truncate toward zero and saturate, NaN gives 0 (AArch64's rules);
//! - `FMin`/`FMax` return the default NaN (`0x7fc00000` / `0x7ff8000000000000`) if either
//!   operand is NaN, and order -0 below +0;
//! - other float arithmetic with a NaN operand gives the first NaN operand, quieted (the x86
//!   SSE rule, which both tiers follow on this host);
//! - `Icmp`/`Fcmp` give an `I8` that is 0 or 1; vector compares give all-ones or all-zero lanes.
//! - `FloatCC::Ne` is true when the operands are unordered (IEEE `!=`).

mod builder;
mod ops;
mod print;
mod verify;

pub use builder::Builder;
pub use ops::{Op, Sig};
pub use verify::{VerifyError, verify};

use std::fmt;

/// The type of an SSA value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    I8,
    I16,
    I32,
    I64,
    I128,
    F32,
    F64,
    V128,
}

impl Type {
    pub fn bits(self) -> u32 {
        match self {
            Type::I8 => 8,
            Type::I16 => 16,
            Type::I32 | Type::F32 => 32,
            Type::I64 | Type::F64 => 64,
            Type::I128 | Type::V128 => 128,
        }
    }

    pub fn bytes(self) -> u32 {
        self.bits() / 8
    }

    pub fn is_int(self) -> bool {
        matches!(
            self,
            Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::I128
        )
    }

    pub fn is_float(self) -> bool {
        matches!(self, Type::F32 | Type::F64)
    }

    /// The integer type of a width in bits (8, 16, 32, 64, 128).
    pub fn int(bits: u32) -> Type {
        match bits {
            8 => Type::I8,
            16 => Type::I16,
            32 => Type::I32,
            64 => Type::I64,
            128 => Type::I128,
            _ => panic!("no integer type of {bits} bits"),
        }
    }

    /// All-ones mask of this type's width, for widths up to 64 bits.
    pub fn mask(self) -> u64 {
        match self.bits() {
            64.. => u64::MAX,
            b => (1u64 << b) - 1,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Type::I8 => "i8",
            Type::I16 => "i16",
            Type::I32 => "i32",
            Type::I64 => "i64",
            Type::I128 => "i128",
            Type::F32 => "f32",
            Type::F64 => "f64",
            Type::V128 => "v128",
        };
        f.write_str(s)
    }
}

/// An SSA value: the result of one instruction of the block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Value(pub u32);

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// Byte order of a memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    Little,
    Big,
}

/// Integer comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntCC {
    Eq,
    Ne,
    Slt,
    Sle,
    Sgt,
    Sge,
    Ult,
    Ule,
    Ugt,
    Uge,
}

/// Floating-point comparison. The ordered forms are false when either operand is NaN;
/// `Unordered` is true exactly then.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatCC {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Unordered,
    Ordered,
}

/// Rounding of [`Op::FRound`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoundMode {
    /// To nearest, ties to even.
    Nearest,
    /// Toward minus infinity.
    Floor,
    /// Toward plus infinity.
    Ceil,
    /// Toward zero.
    Trunc,
}

/// Lane shape of a 128-bit vector operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    I8x16,
    I16x8,
    I32x4,
    I64x2,
    F32x4,
    F64x2,
}

impl Lane {
    pub fn lane_bits(self) -> u32 {
        match self {
            Lane::I8x16 => 8,
            Lane::I16x8 => 16,
            Lane::I32x4 | Lane::F32x4 => 32,
            Lane::I64x2 | Lane::F64x2 => 64,
        }
    }

    pub fn lanes(self) -> u32 {
        128 / self.lane_bits()
    }

    /// The scalar type of one lane.
    pub fn scalar(self) -> Type {
        match self {
            Lane::I8x16 => Type::I8,
            Lane::I16x8 => Type::I16,
            Lane::I32x4 => Type::I32,
            Lane::I64x2 => Type::I64,
            Lane::F32x4 => Type::F32,
            Lane::F64x2 => Type::F64,
        }
    }
}

/// Lane-wise binary vector operations ([`Op::VBinary`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VecOp {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
    /// `a & !b`
    AndNot,
    CmpEq,
    CmpGtS,
    CmpGeS,
    CmpGtU,
    CmpGeU,
    MinS,
    MinU,
    MaxS,
    MaxU,
    AddSatS,
    AddSatU,
    SubSatS,
    SubSatU,
    FAdd,
    FSub,
    FMul,
    FDiv,
    FMin,
    FMax,
    FCmpEq,
    FCmpGt,
    FCmpGe,
}

/// Lane-wise unary vector operations ([`Op::VUnary`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VecUnOp {
    Not,
    Neg,
    Abs,
    /// Per-byte population count (lane shape must be `I8x16`).
    Popcnt,
    FNeg,
    FAbs,
    FSqrt,
}

/// Lane-wise shift by an immediate ([`Op::VShiftImm`]); the count is below the lane width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VecShift {
    Shl,
    LShr,
    AShr,
}

/// Read-modify-write of [`Op::AtomicRmw`]; the op returns the old memory value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    Add,
    /// `mem & !v` (AArch64 LDCLR)
    AndNot,
    And,
    Or,
    Xor,
    Xchg,
    SMax,
    SMin,
    UMax,
    UMin,
}

/// A host function that both tiers call for what the IR does not express directly.
///
/// It receives the guest CPU state, the guest memory base and up to four arguments, and
/// returns one 64-bit value. Floating-point arguments are passed as their bits.
pub type HelperFn =
    extern "C" fn(state: *mut u8, mem_base: *mut u8, a: u64, b: u64, c: u64, d: u64) -> u64;

/// A named helper ([`Op::CallHelper`]). Frontends declare them as `static`s.
pub struct Helper {
    pub name: &'static str,
    pub func: HelperFn,
}

impl fmt::Debug for Helper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.name)
    }
}

impl PartialEq for Helper {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// Why a block traps instead of continuing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// The bytes at `pc` decode to no instruction of the architecture (guest SIGILL).
    Undefined,
    /// The bytes at `pc` are a real instruction that xarch does not implement: an emulator
    /// limit, reported with address, bytes and disassembly, never run as something else.
    Unimplemented,
    /// A breakpoint instruction (guest SIGTRAP).
    Breakpoint,
    /// Integer division by zero on an ISA that traps on it (guest SIGFPE).
    DivideError,
}

/// How a block ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Exit {
    /// Continue at a constant guest address.
    Jump { target: u64 },
    /// Continue at `taken` if `cond` is non-zero, else at `not_taken`.
    Branch {
        cond: Value,
        taken: u64,
        not_taken: u64,
    },
    /// Continue at a computed guest address.
    Indirect { target: Value },
    /// A system call instruction; the engine returns to its caller with the guest PC set to
    /// `next`, the caller serves the call and resumes.
    Syscall { next: u64 },
    /// The instruction at `pc` traps; the guest PC is left at `pc`.
    Trap { kind: TrapKind, pc: u64 },
}

/// One instruction: an operation and, for those that produce one, its result and type.
#[derive(Clone, Debug, PartialEq)]
pub struct Inst {
    pub result: Option<Value>,
    pub op: Op,
}

/// A lifted guest basic block.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// Guest address of the first instruction.
    pub pc: u64,
    pub insts: Vec<Inst>,
    pub exit: Exit,
    /// Type of each value, indexed by `Value.0`.
    pub types: Vec<Type>,
    /// Guest instructions in the block (the number of `InsnStart` markers).
    pub guest_insns: u32,
    /// Bytes of guest code the block covers, from `pc`.
    pub guest_bytes: u32,
}

impl Block {
    pub fn ty(&self, v: Value) -> Type {
        self.types[v.0 as usize]
    }
}
