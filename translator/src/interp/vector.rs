//! Lane-wise semantics of the 128-bit vector ops, for the interpreter and the folder.

use super::{fcmp, fmax32, fmax64, fmin32, fmin64, mask, nan32, nan64, sx};
use crate::ir::{FloatCC, Lane, VecOp, VecUnOp};

/// Applies `f` lane by lane (lanes as the low bits of a u64; the result is masked).
pub(super) fn vmap(lane: Lane, a: u128, b: u128, f: impl Fn(u64, u64) -> u64) -> u128 {
    let lb = lane.lane_bits();
    let lm = mask(lb);
    let mut r = 0u128;
    for i in 0..lane.lanes() {
        let x = (a >> (i * lb) & lm) as u64;
        let y = (b >> (i * lb) & lm) as u64;
        r |= (f(x, y) as u128 & lm) << (i * lb);
    }
    r
}

pub(super) fn vbinary(op: VecOp, lane: Lane, a: u128, b: u128) -> u128 {
    let lb = lane.lane_bits();
    let ones = mask(lb) as u64;
    let s = |x: u64| sx(x as u128, lb);
    let (smin, smax) = (-(1i128 << (lb - 1)), (1i128 << (lb - 1)) - 1);
    let flt = |x: u64, y: u64, f32op: fn(f32, f32) -> f32, f64op: fn(f64, f64) -> f64| -> u64 {
        if lb == 32 {
            f32op(f32::from_bits(x as u32), f32::from_bits(y as u32)).to_bits() as u64
        } else {
            f64op(f64::from_bits(x), f64::from_bits(y)).to_bits()
        }
    };
    let fc = |x: u64, y: u64, cc: FloatCC| -> u64 {
        let (p, q) = if lb == 32 {
            (
                f32::from_bits(x as u32) as f64,
                f32::from_bits(y as u32) as f64,
            )
        } else {
            (f64::from_bits(x), f64::from_bits(y))
        };
        if fcmp(cc, p, q) { ones } else { 0 }
    };
    match op {
        VecOp::And => return a & b,
        VecOp::Or => return a | b,
        VecOp::Xor => return a ^ b,
        VecOp::AndNot => return a & !b,
        _ => {}
    }
    vmap(lane, a, b, |x, y| match op {
        VecOp::Add => x.wrapping_add(y),
        VecOp::Sub => x.wrapping_sub(y),
        VecOp::Mul => x.wrapping_mul(y),
        VecOp::CmpEq => {
            if x == y {
                ones
            } else {
                0
            }
        }
        VecOp::CmpGtS => {
            if s(x) > s(y) {
                ones
            } else {
                0
            }
        }
        VecOp::CmpGeS => {
            if s(x) >= s(y) {
                ones
            } else {
                0
            }
        }
        VecOp::CmpGtU => {
            if x > y {
                ones
            } else {
                0
            }
        }
        VecOp::CmpGeU => {
            if x >= y {
                ones
            } else {
                0
            }
        }
        VecOp::MinS => {
            if s(x) <= s(y) {
                x
            } else {
                y
            }
        }
        VecOp::MinU => x.min(y),
        VecOp::MaxS => {
            if s(x) >= s(y) {
                x
            } else {
                y
            }
        }
        VecOp::MaxU => x.max(y),
        VecOp::AddSatS => (s(x) + s(y)).clamp(smin, smax) as u64,
        VecOp::AddSatU => (x as u128 + y as u128).min(ones as u128) as u64,
        VecOp::SubSatS => (s(x) - s(y)).clamp(smin, smax) as u64,
        VecOp::SubSatU => x.saturating_sub(y),
        VecOp::FAdd => flt(x, y, |p, q| nan32(p, q, p + q), |p, q| nan64(p, q, p + q)),
        VecOp::FSub => flt(x, y, |p, q| nan32(p, q, p - q), |p, q| nan64(p, q, p - q)),
        VecOp::FMul => flt(x, y, |p, q| nan32(p, q, p * q), |p, q| nan64(p, q, p * q)),
        VecOp::FDiv => flt(x, y, |p, q| nan32(p, q, p / q), |p, q| nan64(p, q, p / q)),
        VecOp::FMin => flt(x, y, fmin32, fmin64),
        VecOp::FMax => flt(x, y, fmax32, fmax64),
        VecOp::FCmpEq => fc(x, y, FloatCC::Eq),
        VecOp::FCmpGt => fc(x, y, FloatCC::Gt),
        VecOp::FCmpGe => fc(x, y, FloatCC::Ge),
        VecOp::And | VecOp::Or | VecOp::Xor | VecOp::AndNot => unreachable!("handled above"),
    })
}

pub(super) fn vunary(op: VecUnOp, lane: Lane, a: u128) -> u128 {
    let lb = lane.lane_bits();
    let sign = 1u64 << (lb - 1);
    match op {
        VecUnOp::Not => !a,
        VecUnOp::Popcnt => vmap(Lane::I8x16, a, 0, |x, _| x.count_ones() as u64),
        _ => vmap(lane, a, 0, |x, _| match op {
            VecUnOp::Neg => x.wrapping_neg(),
            VecUnOp::Abs => {
                if x & sign != 0 {
                    x.wrapping_neg()
                } else {
                    x
                }
            }
            VecUnOp::FNeg => x ^ sign,
            VecUnOp::FAbs => x & !sign,
            VecUnOp::FSqrt => {
                if lb == 32 {
                    f32::from_bits(x as u32).sqrt().to_bits() as u64
                } else {
                    f64::from_bits(x).sqrt().to_bits()
                }
            }
            VecUnOp::Not | VecUnOp::Popcnt => unreachable!("handled above"),
        }),
    }
}
