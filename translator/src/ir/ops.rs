//! The table of IR operations: each op once, with its operands, its signature class and one
//! line of documentation. The macro turns the table into [`Op`], `Op::name`, `Op::doc`,
//! `Op::sig` and the operand visitors the printer, verifier and passes use.

use super::{
    AtomicOp, Endian, FloatCC, Helper, IntCC, Lane, RoundMode, Value, VecOp, VecShift, VecUnOp,
};

/// Signature classes: how an op's operand and result types relate. The verifier checks
/// each instruction against its class (see `verify.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sig {
    /// No operands; the result has the instruction's declared type.
    Nullary,
    /// `(T, T) -> T`, T an integer type.
    IntBinary,
    /// `(T, U) -> T`, T and U integer types (shift counts).
    Shift,
    /// `T -> T`, T an integer type.
    IntUnary,
    /// `(T, T) -> i8`, T an integer type.
    IntCompare,
    /// `(C, T, T) -> T`, C an integer type.
    Select,
    /// `T -> U`, integers, U wider than T.
    Extend,
    /// `T -> U`, integers, U narrower than T.
    Truncate,
    /// `T -> U`, same width.
    Bitcast,
    /// `(F, F) -> F`, F a float type.
    FloatBinary,
    /// `F -> F`.
    FloatUnary,
    /// `(F, F, F) -> F`.
    FloatTernary,
    /// `(F, F) -> i8`.
    FloatCompare,
    /// `F -> G`, float types.
    FloatConvert,
    /// `F -> I`.
    FloatToInt,
    /// `I -> F`.
    IntToFloat,
    /// `(v128, v128) -> v128`.
    VecBinary,
    /// `v128 -> v128`.
    VecUnary,
    /// scalar of the lane type `-> v128`.
    VecSplat,
    /// `v128 -> ` scalar of the lane type.
    VecExtract,
    /// `(v128, scalar) -> v128`.
    VecInsert,
    /// `(i64 address) -> T`.
    Load,
    /// `(i64 address, T)`, no result.
    Store,
    /// `(i64 address, T expected, T new) -> T old`.
    Cas,
    /// `(i64 address, T) -> T old`.
    Rmw,
    /// `(T)`, no result (guest register write).
    SetReg,
    /// `(i64...) -> i64`.
    Helper,
    /// `(i64 condition, i64 default, i64...) -> i64`.
    CondHelper,
    /// `(integer condition)`, no result.
    SideExit,
    /// No operands, no result.
    Marker,
}

/// Operand fields: lets the generated code visit the [`Value`]s an op uses.
pub trait Operand {
    fn visit(&self, _f: &mut dyn FnMut(Value)) {}
    fn visit_mut(&mut self, _f: &mut dyn FnMut(&mut Value)) {}
}

impl Operand for Value {
    fn visit(&self, f: &mut dyn FnMut(Value)) {
        f(*self)
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut Value)) {
        f(self)
    }
}

impl Operand for Vec<Value> {
    fn visit(&self, f: &mut dyn FnMut(Value)) {
        self.iter().for_each(|v| f(*v))
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut Value)) {
        self.iter_mut().for_each(f)
    }
}

macro_rules! plain_operand {
    ($($t:ty),*) => { $(impl Operand for $t {})* };
}
plain_operand!(
    u8,
    u32,
    u64,
    u128,
    [u8; 16],
    Endian,
    IntCC,
    FloatCC,
    RoundMode,
    Lane,
    VecOp,
    VecUnOp,
    VecShift,
    AtomicOp,
    &'static Helper
);

macro_rules! define_ops {
    ($( #[doc = $doc:literal] $name:ident { $($field:ident : $fty:ty),* $(,)? } : $sig:ident ;)*) => {
        /// An IR operation. See the table in `ops.rs`.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Op {
            $( #[doc = $doc] $name { $($field: $fty),* }, )*
        }

        impl Op {
            /// The op's name as the printer writes it.
            pub fn name(&self) -> &'static str {
                match self { $( Op::$name { .. } => stringify!($name), )* }
            }

            /// The op's one line of documentation.
            pub fn doc(&self) -> &'static str {
                match self { $( Op::$name { .. } => $doc.trim(), )* }
            }

            /// The op's signature class.
            pub fn sig(&self) -> Sig {
                match self { $( Op::$name { .. } => Sig::$sig, )* }
            }

            /// Calls `f` on every value the op reads, in field order.
            #[allow(unused_variables)]
            pub fn for_each_arg(&self, mut f: impl FnMut(Value)) {
                match self { $( Op::$name { $($field),* } => { $( Operand::visit($field, &mut f); )* } )* }
            }

            /// Calls `f` on every value the op reads, mutably (for rewriting passes).
            #[allow(unused_variables)]
            pub fn for_each_arg_mut(&mut self, mut f: impl FnMut(&mut Value)) {
                match self { $( Op::$name { $($field),* } => { $( Operand::visit_mut($field, &mut f); )* } )* }
            }

            /// Every op's name, doc and signature class, for documentation and tests.
            pub const TABLE: &'static [(&'static str, &'static str, Sig)] = &[
                $( (stringify!($name), $doc, Sig::$sig), )*
            ];
        }
    };
}

define_ops! {
    // ---- constants and guest state ----
    /// An integer (up to 64 bits) or float constant of the result type, as bits.
    Const { imm: u64 } : Nullary;
    /// A 128-bit integer or vector constant.
    ConstV128 { imm: u128 } : Nullary;
    /// Reads the guest CPU state at a byte offset, as the result type.
    GetReg { off: u32 } : Nullary;
    /// Writes a value to the guest CPU state at a byte offset.
    SetReg { off: u32, v: Value } : SetReg;
    /// Marks the start of the guest instruction at `pc` (precise faults, counting, printing).
    InsnStart { pc: u64 } : Marker;

    // ---- memory ----
    /// Loads the result type from a guest address.
    Load { addr: Value, endian: Endian } : Load;
    /// Stores a value to a guest address.
    Store { addr: Value, v: Value, endian: Endian } : Store;
    /// Atomically replaces memory equal to `expected` by `new`; gives the old memory value.
    AtomicCas { addr: Value, expected: Value, new: Value, endian: Endian } : Cas;
    /// Atomic read-modify-write; gives the old memory value.
    AtomicRmw { op: AtomicOp, addr: Value, v: Value, endian: Endian } : Rmw;
    /// A memory barrier (sequentially consistent).
    Fence { } : Marker;

    // ---- integer arithmetic and logic ----
    /// Wrapping addition.
    Add { a: Value, b: Value } : IntBinary;
    /// Wrapping subtraction.
    Sub { a: Value, b: Value } : IntBinary;
    /// Wrapping multiplication (low half).
    Mul { a: Value, b: Value } : IntBinary;
    /// High half of the unsigned double-width product.
    UMulHi { a: Value, b: Value } : IntBinary;
    /// High half of the signed double-width product.
    SMulHi { a: Value, b: Value } : IntBinary;
    /// Unsigned division; by zero gives 0.
    UDiv { a: Value, b: Value } : IntBinary;
    /// Signed division toward zero; by zero gives 0, MIN / -1 gives MIN.
    SDiv { a: Value, b: Value } : IntBinary;
    /// Unsigned remainder; by zero gives 0.
    URem { a: Value, b: Value } : IntBinary;
    /// Signed remainder (sign of the dividend); by zero gives 0, MIN % -1 gives 0.
    SRem { a: Value, b: Value } : IntBinary;
    /// Bitwise and.
    And { a: Value, b: Value } : IntBinary;
    /// Bitwise or.
    Or { a: Value, b: Value } : IntBinary;
    /// Bitwise exclusive or.
    Xor { a: Value, b: Value } : IntBinary;
    /// Shift left; count modulo the width.
    Shl { a: Value, b: Value } : Shift;
    /// Logical shift right; count modulo the width.
    LShr { a: Value, b: Value } : Shift;
    /// Arithmetic shift right; count modulo the width.
    AShr { a: Value, b: Value } : Shift;
    /// Rotate left; count modulo the width.
    Rotl { a: Value, b: Value } : Shift;
    /// Rotate right; count modulo the width.
    Rotr { a: Value, b: Value } : Shift;
    /// Bitwise not.
    Not { a: Value } : IntUnary;
    /// Two's-complement negation.
    Neg { a: Value } : IntUnary;
    /// Count leading zeros; of 0 gives the width.
    Clz { a: Value } : IntUnary;
    /// Count trailing zeros; of 0 gives the width.
    Ctz { a: Value } : IntUnary;
    /// Population count.
    Popcnt { a: Value } : IntUnary;
    /// Byte swap.
    Bswap { a: Value } : IntUnary;
    /// Bit reversal.
    Bitrev { a: Value } : IntUnary;
    /// Integer comparison: 1 if true, else 0 (i8).
    Icmp { cc: IntCC, a: Value, b: Value } : IntCompare;
    /// `a` if `c` is non-zero, else `b`.
    Select { c: Value, a: Value, b: Value } : Select;
    /// Zero extension to the wider result type.
    Zext { a: Value } : Extend;
    /// Sign extension to the wider result type.
    Sext { a: Value } : Extend;
    /// Keeps the low bits, to the narrower result type.
    Trunc { a: Value } : Truncate;
    /// Reinterprets the bits as the result type of the same width.
    Bitcast { a: Value } : Bitcast;

    // ---- floating point (host IEEE arithmetic, round to nearest unless stated) ----
    /// Addition.
    FAdd { a: Value, b: Value } : FloatBinary;
    /// Subtraction.
    FSub { a: Value, b: Value } : FloatBinary;
    /// Multiplication.
    FMul { a: Value, b: Value } : FloatBinary;
    /// Division.
    FDiv { a: Value, b: Value } : FloatBinary;
    /// Minimum; NaN if either is NaN; -0 below +0.
    FMin { a: Value, b: Value } : FloatBinary;
    /// Maximum; NaN if either is NaN; +0 above -0.
    FMax { a: Value, b: Value } : FloatBinary;
    /// Square root.
    FSqrt { a: Value } : FloatUnary;
    /// Negation (sign flip, also of NaN).
    FNeg { a: Value } : FloatUnary;
    /// Absolute value (sign clear, also of NaN).
    FAbs { a: Value } : FloatUnary;
    /// Rounds to an integral value in the same type.
    FRound { mode: RoundMode, a: Value } : FloatUnary;
    /// Fused `a * b + c` with one rounding.
    FFma { a: Value, b: Value, c: Value } : FloatTernary;
    /// Float comparison: 1 if true, else 0 (i8).
    Fcmp { cc: FloatCC, a: Value, b: Value } : FloatCompare;
    /// Converts between float types (round to nearest).
    FConvert { a: Value } : FloatConvert;
    /// Float to signed integer: toward zero, saturating, NaN gives 0.
    FToSInt { a: Value } : FloatToInt;
    /// Float to unsigned integer: toward zero, saturating, NaN gives 0.
    FToUInt { a: Value } : FloatToInt;
    /// Signed integer to float (round to nearest).
    SIntToF { a: Value } : IntToFloat;
    /// Unsigned integer to float (round to nearest).
    UIntToF { a: Value } : IntToFloat;

    // ---- 128-bit vectors ----
    /// Lane-wise binary operation.
    VBinary { op: VecOp, lane: Lane, a: Value, b: Value } : VecBinary;
    /// Lane-wise unary operation.
    VUnary { op: VecUnOp, lane: Lane, a: Value } : VecUnary;
    /// Lane-wise shift by an immediate below the lane width.
    VShiftImm { op: VecShift, lane: Lane, a: Value, imm: u32 } : VecUnary;
    /// A vector with every lane set to the scalar.
    VSplat { lane: Lane, a: Value } : VecSplat;
    /// One lane as a scalar.
    VExtract { lane: Lane, idx: u8, a: Value } : VecExtract;
    /// The vector with one lane replaced by the scalar.
    VInsert { lane: Lane, idx: u8, a: Value, b: Value } : VecInsert;
    /// Byte shuffle: result byte i is byte `mask[i]` of the 32-byte concatenation `a ++ b`.
    VShuffle { mask: [u8; 16], a: Value, b: Value } : VecBinary;

    // ---- calls and control ----
    /// Calls a host helper with the state, the memory base and up to four i64 arguments.
    CallHelper { helper: &'static Helper, args: Vec<Value> } : Helper;
    /// `CallHelper` of a helper that only reads the state (writes no state or memory, cannot fault): dropped when unused, no register reload after it.
    CallHelperReadOnly { helper: &'static Helper, args: Vec<Value> } : Helper;
    /// `CallHelper` only when the i64 `cond` is non-zero, else the result is `default`.
    CallHelperIf { cond: Value, default: Value, helper: &'static Helper, args: Vec<Value> } : CondHelper;
    /// Leaves the block for the constant guest address `target` if `cond` is non-zero.
    ExitIf { cond: Value, target: u64 } : SideExit;
}
