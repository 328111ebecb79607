//! Building blocks: frontends lift through a [`Builder`], which allocates SSA values and
//! records their types, so a lifter reads like the manual's pseudocode.

use super::*;

/// Builds one [`Block`].
pub struct Builder {
    pc: u64,
    insts: Vec<Inst>,
    types: Vec<Type>,
    guest_insns: u32,
}

macro_rules! binary {
    ($($fn:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($op), "` of two values of the same type.")]
            pub fn $fn(&mut self, a: Value, b: Value) -> Value {
                let ty = self.ty(a);
                self.push(ty, Op::$op { a, b })
            }
        )*
    };
}

macro_rules! unary {
    ($($fn:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($op), "` of a value, same type.")]
            pub fn $fn(&mut self, a: Value) -> Value {
                let ty = self.ty(a);
                self.push(ty, Op::$op { a })
            }
        )*
    };
}

macro_rules! convert {
    ($($fn:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($op), "` of a value to the type `ty`.")]
            pub fn $fn(&mut self, ty: Type, a: Value) -> Value {
                self.push(ty, Op::$op { a })
            }
        )*
    };
}

impl Builder {
    /// Starts a block at guest address `pc`.
    pub fn new(pc: u64) -> Builder {
        Builder {
            pc,
            insts: Vec::new(),
            types: Vec::new(),
            guest_insns: 0,
        }
    }

    /// The type of a value built so far.
    pub fn ty(&self, v: Value) -> Type {
        self.types[v.0 as usize]
    }

    /// Number of guest instructions started so far.
    pub fn guest_insns(&self) -> u32 {
        self.guest_insns
    }

    /// Appends an op with a result of type `ty`.
    pub fn push(&mut self, ty: Type, op: Op) -> Value {
        let v = Value(self.types.len() as u32);
        self.types.push(ty);
        self.insts.push(Inst {
            result: Some(v),
            op,
        });
        v
    }

    /// Appends an op without a result.
    pub fn effect(&mut self, op: Op) {
        self.insts.push(Inst { result: None, op });
    }

    /// Ends the block. `end_pc` is the address just past the last guest instruction lifted.
    pub fn finish(self, exit: Exit, end_pc: u64) -> Block {
        Block {
            pc: self.pc,
            insts: self.insts,
            exit,
            types: self.types,
            guest_insns: self.guest_insns,
            guest_bytes: end_pc.wrapping_sub(self.pc) as u32,
        }
    }

    // ---- constants and state ----

    /// Marks the start of the guest instruction at `pc`.
    pub fn insn_start(&mut self, pc: u64) {
        self.guest_insns += 1;
        self.effect(Op::InsnStart { pc });
    }

    /// An integer or float constant (given as bits).
    pub fn iconst(&mut self, ty: Type, imm: u64) -> Value {
        let imm = if ty.bits() < 64 { imm & ty.mask() } else { imm };
        self.push(ty, Op::Const { imm })
    }

    pub fn const64(&mut self, imm: u64) -> Value {
        self.iconst(Type::I64, imm)
    }

    pub fn const32(&mut self, imm: u32) -> Value {
        self.iconst(Type::I32, imm as u64)
    }

    pub fn f32const(&mut self, x: f32) -> Value {
        self.push(
            Type::F32,
            Op::Const {
                imm: x.to_bits() as u64,
            },
        )
    }

    pub fn f64const(&mut self, x: f64) -> Value {
        self.push(Type::F64, Op::Const { imm: x.to_bits() })
    }

    pub fn v128const(&mut self, imm: u128) -> Value {
        self.push(Type::V128, Op::ConstV128 { imm })
    }

    /// Reads guest state at byte offset `off` as `ty`.
    pub fn get_reg(&mut self, ty: Type, off: u32) -> Value {
        self.push(ty, Op::GetReg { off })
    }

    /// Writes `v` to guest state at byte offset `off`.
    pub fn set_reg(&mut self, off: u32, v: Value) {
        self.effect(Op::SetReg { off, v })
    }

    // ---- memory ----

    pub fn load(&mut self, ty: Type, addr: Value, endian: Endian) -> Value {
        self.push(ty, Op::Load { addr, endian })
    }

    pub fn store(&mut self, addr: Value, v: Value, endian: Endian) {
        self.effect(Op::Store { addr, v, endian })
    }

    pub fn atomic_cas(
        &mut self,
        addr: Value,
        expected: Value,
        new: Value,
        endian: Endian,
    ) -> Value {
        let ty = self.ty(expected);
        self.push(
            ty,
            Op::AtomicCas {
                addr,
                expected,
                new,
                endian,
            },
        )
    }

    pub fn atomic_rmw(&mut self, op: AtomicOp, addr: Value, v: Value, endian: Endian) -> Value {
        let ty = self.ty(v);
        self.push(
            ty,
            Op::AtomicRmw {
                op,
                addr,
                v,
                endian,
            },
        )
    }

    pub fn fence(&mut self) {
        self.effect(Op::Fence {})
    }

    // ---- integer ----

    binary! {
        add => Add, sub => Sub, mul => Mul, umulhi => UMulHi, smulhi => SMulHi,
        udiv => UDiv, sdiv => SDiv, urem => URem, srem => SRem,
        and => And, or => Or, xor => Xor,
        shl => Shl, lshr => LShr, ashr => AShr, rotl => Rotl, rotr => Rotr,
        fadd => FAdd, fsub => FSub, fmul => FMul, fdiv => FDiv, fmin => FMin, fmax => FMax,
    }

    unary! {
        not => Not, neg => Neg, clz => Clz, ctz => Ctz, popcnt => Popcnt,
        bswap => Bswap, bitrev => Bitrev,
        fsqrt => FSqrt, fneg => FNeg, fabs => FAbs,
    }

    convert! {
        zext => Zext, sext => Sext, trunc => Trunc, bitcast => Bitcast,
        fconvert => FConvert, ftosint => FToSInt, ftouint => FToUInt,
        sinttof => SIntToF, uinttof => UIntToF,
    }

    /// `a + imm` in `a`'s type.
    pub fn add_imm(&mut self, a: Value, imm: u64) -> Value {
        let ty = self.ty(a);
        let c = self.iconst(ty, imm);
        self.add(a, c)
    }

    /// `a & imm` in `a`'s type.
    pub fn and_imm(&mut self, a: Value, imm: u64) -> Value {
        let ty = self.ty(a);
        let c = self.iconst(ty, imm);
        self.and(a, c)
    }

    /// Zero-extends or truncates `a` to `ty` (no-op when it already has that type).
    pub fn zext_or_trunc(&mut self, ty: Type, a: Value) -> Value {
        let from = self.ty(a);
        match from.bits().cmp(&ty.bits()) {
            std::cmp::Ordering::Less => self.zext(ty, a),
            std::cmp::Ordering::Greater => self.trunc(ty, a),
            std::cmp::Ordering::Equal => a,
        }
    }

    /// Sign-extends or truncates `a` to `ty`.
    pub fn sext_or_trunc(&mut self, ty: Type, a: Value) -> Value {
        let from = self.ty(a);
        match from.bits().cmp(&ty.bits()) {
            std::cmp::Ordering::Less => self.sext(ty, a),
            std::cmp::Ordering::Greater => self.trunc(ty, a),
            std::cmp::Ordering::Equal => a,
        }
    }

    pub fn icmp(&mut self, cc: IntCC, a: Value, b: Value) -> Value {
        self.push(Type::I8, Op::Icmp { cc, a, b })
    }

    /// `a <cc> imm`, the constant in `a`'s type.
    pub fn icmp_imm(&mut self, cc: IntCC, a: Value, imm: u64) -> Value {
        let ty = self.ty(a);
        let c = self.iconst(ty, imm);
        self.icmp(cc, a, c)
    }

    pub fn select(&mut self, c: Value, a: Value, b: Value) -> Value {
        let ty = self.ty(a);
        self.push(ty, Op::Select { c, a, b })
    }

    // ---- float ----

    pub fn fround(&mut self, mode: RoundMode, a: Value) -> Value {
        let ty = self.ty(a);
        self.push(ty, Op::FRound { mode, a })
    }

    pub fn ffma(&mut self, a: Value, b: Value, c: Value) -> Value {
        let ty = self.ty(a);
        self.push(ty, Op::FFma { a, b, c })
    }

    pub fn fcmp(&mut self, cc: FloatCC, a: Value, b: Value) -> Value {
        self.push(Type::I8, Op::Fcmp { cc, a, b })
    }

    // ---- vector ----

    pub fn vbinary(&mut self, op: VecOp, lane: Lane, a: Value, b: Value) -> Value {
        self.push(Type::V128, Op::VBinary { op, lane, a, b })
    }

    pub fn vunary(&mut self, op: VecUnOp, lane: Lane, a: Value) -> Value {
        self.push(Type::V128, Op::VUnary { op, lane, a })
    }

    pub fn vshift_imm(&mut self, op: VecShift, lane: Lane, a: Value, imm: u32) -> Value {
        self.push(Type::V128, Op::VShiftImm { op, lane, a, imm })
    }

    pub fn vsplat(&mut self, lane: Lane, a: Value) -> Value {
        self.push(Type::V128, Op::VSplat { lane, a })
    }

    pub fn vextract(&mut self, lane: Lane, idx: u8, a: Value) -> Value {
        self.push(lane.scalar(), Op::VExtract { lane, idx, a })
    }

    pub fn vinsert(&mut self, lane: Lane, idx: u8, a: Value, b: Value) -> Value {
        self.push(Type::V128, Op::VInsert { lane, idx, a, b })
    }

    pub fn vshuffle(&mut self, mask: [u8; 16], a: Value, b: Value) -> Value {
        self.push(Type::V128, Op::VShuffle { mask, a, b })
    }

    // ---- calls and control ----

    /// Calls a helper; the result is an i64 (ignore it if the helper returns nothing).
    pub fn call_helper(&mut self, helper: &'static Helper, args: &[Value]) -> Value {
        self.push(
            Type::I64,
            Op::CallHelper {
                helper,
                args: args.to_vec(),
            },
        )
    }

    /// Calls a helper that only reads the state: it writes neither state nor memory and
    /// cannot fault, so the call is dropped when its result is unused (lazy-flag evaluation,
    /// for instance) and compiled code keeps its register copies across it.
    pub fn call_helper_read_only(&mut self, helper: &'static Helper, args: &[Value]) -> Value {
        self.push(
            Type::I64,
            Op::CallHelperReadOnly {
                helper,
                args: args.to_vec(),
            },
        )
    }

    /// Calls a helper only when `cond` (an i64) is non-zero; the result is the helper's, or
    /// `default` (an i64) when it was not called.
    pub fn call_helper_if(
        &mut self,
        cond: Value,
        default: Value,
        helper: &'static Helper,
        args: &[Value],
    ) -> Value {
        self.push(
            Type::I64,
            Op::CallHelperIf {
                cond,
                default,
                helper,
                args: args.to_vec(),
            },
        )
    }

    /// Leaves the block for `target` when `cond` is non-zero.
    pub fn exit_if(&mut self, cond: Value, target: u64) {
        self.effect(Op::ExitIf { cond, target })
    }
}
