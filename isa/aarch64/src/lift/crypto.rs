//! ARM ARM C4.1.96 "Cryptographic AES", "Cryptographic three-register SHA", "Cryptographic
//! two-register SHA", and PMULL/PMULL2 (Advanced SIMD three different, U = 0, opcode 1110):
//! each one call of [`helpers_crypto::VECTOR`] with the register numbers, which reads the
//! operands from the CPU state and writes the whole destination register.

use super::{Ctx, LiftResult};
use crate::decode::{bit, bits};
use crate::helpers_crypto::{self, op};
use xarch_translator::ir::TrapKind;

fn call(cx: &mut Ctx, code: u64, d: u32, n: u32, m: u32) {
    let args = [
        cx.b.const64(code),
        cx.b.const64(d as u64),
        cx.b.const64(n as u64),
        cx.b.const64(m as u64),
    ];
    cx.b.call_helper(&helpers_crypto::VECTOR, &args);
}

fn regs(w: u32) -> (u32, u32, u32) {
    (bits(w, 4, 0), bits(w, 9, 5), bits(w, 20, 16))
}

/// AESE, AESD, AESMC, AESIMC (Vd.16B, Vn.16B).
pub fn aes(cx: &mut Ctx, w: u32) -> LiftResult {
    let code = match bits(w, 16, 12) {
        0b00100 => op::AESE,
        0b00101 => op::AESD,
        0b00110 => op::AESMC,
        0b00111 => op::AESIMC,
        _ => return Err(TrapKind::Undefined),
    };
    let (d, n, _) = regs(w);
    call(cx, code, d, n, 0);
    Ok(())
}

/// SHA1C, SHA1P, SHA1M (Qd, Sn, Vm.4S), SHA1SU0 (Vd, Vn, Vm), SHA256H (Qd, Qn, Vm.4S),
/// SHA256H2, SHA256SU1 (Vd, Vn, Vm).
pub fn sha_three_reg(cx: &mut Ctx, w: u32) -> LiftResult {
    let code = match bits(w, 14, 12) {
        0 => op::SHA1C,
        1 => op::SHA1P,
        2 => op::SHA1M,
        3 => op::SHA1SU0,
        4 => op::SHA256H,
        5 => op::SHA256H2,
        6 => op::SHA256SU1,
        _ => return Err(TrapKind::Undefined),
    };
    let (d, n, m) = regs(w);
    call(cx, code, d, n, m);
    Ok(())
}

/// SHA1H (Sd, Sn), SHA1SU1 (Vd.4S, Vn.4S), SHA256SU0 (Vd.4S, Vn.4S).
pub fn sha_two_reg(cx: &mut Ctx, w: u32) -> LiftResult {
    let code = match bits(w, 16, 12) {
        0 => op::SHA1H,
        1 => op::SHA1SU1,
        2 => op::SHA256SU0,
        _ => return Err(TrapKind::Undefined),
    };
    let (d, n, _) = regs(w);
    call(cx, code, d, n, 0);
    Ok(())
}

/// PMULL, PMULL2: polynomial multiply long of bytes (8B/16B to 8H) or, with FEAT_PMULL, of
/// doublewords (1D/2D to 1Q). PMULL2 (Q = 1) takes the upper halves.
pub fn pmull(cx: &mut Ctx, w: u32) -> LiftResult {
    let mut code = match bits(w, 23, 22) {
        0 => op::PMULL8,
        3 => op::PMULL64,
        _ => return Err(TrapKind::Undefined),
    };
    if bit(w, 30) {
        code |= op::PART2;
    }
    let (d, n, m) = regs(w);
    call(cx, code, d, n, m);
    Ok(())
}
