//! Lowering of the 128-bit vector ops: Cranelift's vector instructions where the x64 backend
//! has them, one scalar op per lane where it does not.

use super::{LowerError, Lowerer, lane_type, vec_flags};
use crate::ir::{self, Lane, VecOp};
use cranelift_codegen::ir::condcodes::{FloatCC as CFloatCC, IntCC as CIntCC};
use cranelift_codegen::ir::{InstBuilder, Value as CValue, types};

impl Lowerer<'_, '_, '_> {
    pub(super) fn vbinary(
        &mut self,
        op: VecOp,
        lane: Lane,
        a: ir::Value,
        b: ir::Value,
    ) -> Result<CValue, LowerError> {
        let (x, y) = (self.v(a), self.v(b));
        let (x, y) = (self.as_lanes(lane, x), self.as_lanes(lane, y));
        let lanewise = matches!(
            (op, lane),
            (VecOp::Mul, Lane::I8x16)
                | (
                    VecOp::AddSatS | VecOp::AddSatU | VecOp::SubSatS | VecOp::SubSatU,
                    Lane::I32x4 | Lane::I64x2
                )
        );
        if lanewise {
            // Cranelift's x64 backend has no lowering for these: one scalar op per lane.
            let mut r = x;
            for i in 0..lane.lanes() as u8 {
                let p = self.b.ins().extractlane(x, i);
                let q = self.b.ins().extractlane(y, i);
                let v = self.scalar_lane_op(op, lane, p, q);
                r = self.b.ins().insertlane(r, v, i);
            }
            return Ok(self.from_lanes(lane, r));
        }
        let r = match op {
            VecOp::Add => self.b.ins().iadd(x, y),
            VecOp::Sub => self.b.ins().isub(x, y),
            VecOp::Mul => self.b.ins().imul(x, y),
            VecOp::And => self.b.ins().band(x, y),
            VecOp::Or => self.b.ins().bor(x, y),
            VecOp::Xor => self.b.ins().bxor(x, y),
            VecOp::AndNot => self.b.ins().band_not(x, y),
            VecOp::CmpEq => self.b.ins().icmp(CIntCC::Equal, x, y),
            VecOp::CmpGtS => self.b.ins().icmp(CIntCC::SignedGreaterThan, x, y),
            VecOp::CmpGeS => self.b.ins().icmp(CIntCC::SignedGreaterThanOrEqual, x, y),
            VecOp::CmpGtU => self.b.ins().icmp(CIntCC::UnsignedGreaterThan, x, y),
            VecOp::CmpGeU => self.b.ins().icmp(CIntCC::UnsignedGreaterThanOrEqual, x, y),
            VecOp::MinS => self.b.ins().smin(x, y),
            VecOp::MinU => self.b.ins().umin(x, y),
            VecOp::MaxS => self.b.ins().smax(x, y),
            VecOp::MaxU => self.b.ins().umax(x, y),
            VecOp::AddSatS => self.b.ins().sadd_sat(x, y),
            VecOp::AddSatU => self.b.ins().uadd_sat(x, y),
            VecOp::SubSatS => self.b.ins().ssub_sat(x, y),
            VecOp::SubSatU => self.b.ins().usub_sat(x, y),
            VecOp::FAdd => self.b.ins().fadd(x, y),
            VecOp::FSub => self.b.ins().fsub(x, y),
            VecOp::FMul => self.b.ins().fmul(x, y),
            VecOp::FDiv => self.b.ins().fdiv(x, y),
            VecOp::FMin => {
                let r = self.b.ins().fmin(x, y);
                self.default_nan(r)
            }
            VecOp::FMax => {
                let r = self.b.ins().fmax(x, y);
                self.default_nan(r)
            }
            VecOp::FCmpEq => self.b.ins().fcmp(CFloatCC::Equal, x, y),
            VecOp::FCmpGt => self.b.ins().fcmp(CFloatCC::GreaterThan, x, y),
            VecOp::FCmpGe => self.b.ins().fcmp(CFloatCC::GreaterThanOrEqual, x, y),
        };
        // Float compares give integer-lane masks of the same width.
        let rt = self.b.func.dfg.value_type(r);
        if rt == types::I8X16 {
            Ok(r)
        } else {
            Ok(self.b.ins().bitcast(types::I8X16, vec_flags(), r))
        }
    }

    /// One lane of a vector op Cranelift cannot lower as a whole.
    fn scalar_lane_op(&mut self, op: VecOp, lane: Lane, p: CValue, q: CValue) -> CValue {
        let bits = lane.lane_bits();
        let ty = lane_type(lane).lane_type();
        if op == VecOp::Mul {
            return self.b.ins().imul(p, q);
        }
        let signed = matches!(op, VecOp::AddSatS | VecOp::SubSatS);
        let add = matches!(op, VecOp::AddSatS | VecOp::AddSatU);
        if bits == 32 {
            // Exact in 64 bits, then clamp.
            let (p, q) = if signed {
                (
                    self.b.ins().sextend(types::I64, p),
                    self.b.ins().sextend(types::I64, q),
                )
            } else {
                (
                    self.b.ins().uextend(types::I64, p),
                    self.b.ins().uextend(types::I64, q),
                )
            };
            let r = if add {
                self.b.ins().iadd(p, q)
            } else {
                self.b.ins().isub(p, q)
            };
            let (lo, hi) = if signed {
                (i32::MIN as i64, i32::MAX as i64)
            } else {
                (0, u32::MAX as i64)
            };
            let lo = self.b.ins().iconst(types::I64, lo);
            let hi = self.b.ins().iconst(types::I64, hi);
            let r = self.b.ins().smax(r, lo);
            let r = self.b.ins().smin(r, hi);
            return self.b.ins().ireduce(ty, r);
        }
        // 64-bit lanes: detect overflow from the signs.
        let r = if add {
            self.b.ins().iadd(p, q)
        } else {
            self.b.ins().isub(p, q)
        };
        if signed {
            // add: (p ^ r) & (q ^ r) < 0; sub: (p ^ q) & (p ^ r) < 0; saturate toward p's sign.
            let pr = self.b.ins().bxor(p, r);
            let other = if add {
                self.b.ins().bxor(q, r)
            } else {
                self.b.ins().bxor(p, q)
            };
            let both = self.b.ins().band(pr, other);
            let zero = self.b.ins().iconst(ty, 0);
            let ovf = self.b.ins().icmp(CIntCC::SignedLessThan, both, zero);
            let neg = self.b.ins().icmp(CIntCC::SignedLessThan, p, zero);
            let min = self.b.ins().iconst(ty, i64::MIN);
            let max = self.b.ins().iconst(ty, i64::MAX);
            let sat = self.b.ins().select(neg, min, max);
            self.b.ins().select(ovf, sat, r)
        } else if add {
            let wrapped = self.b.ins().icmp(CIntCC::UnsignedLessThan, r, p);
            let max = self.b.ins().iconst(ty, -1);
            self.b.ins().select(wrapped, max, r)
        } else {
            let under = self.b.ins().icmp(CIntCC::UnsignedLessThan, p, q);
            let zero = self.b.ins().iconst(ty, 0);
            self.b.ins().select(under, zero, r)
        }
    }
}
