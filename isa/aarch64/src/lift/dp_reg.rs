//! ARM ARM C4.1.89 "Data Processing -- Register": shifted and extended add/subtract, logical
//! (shifted register), ADC/SBC, conditional compare and select, multiply and divide, variable
//! shifts, bit and byte reversal, CLZ/CLS, CRC32.

use super::{Carry, Ctx, LiftResult};
use crate::decode::{bit, bits};
use xarch_translator::ir::{TrapKind, Type, Value};

/// ShiftReg(m, type, amount) of the operation size; `ror_ok` for the logical group.
fn shifted(cx: &mut Ctx, sf: bool, m: u32, shift: u32, amount: u32) -> Value {
    let v = cx.reg(sf, m);
    if amount == 0 {
        return v;
    }
    let a = cx.imm(sf, amount as u64);
    match shift {
        0 => cx.b.shl(v, a),
        1 => cx.b.lshr(v, a),
        2 => cx.b.ashr(v, a),
        _ => cx.b.rotr(v, a),
    }
}

/// Checks a shifted-register form's shift: 32-bit forms take amounts below 32.
fn shift_ok(sf: bool, amount: u32) -> bool {
    sf || amount < 32
}

/// AND, BIC, ORR, ORN, EOR, EON, ANDS, BICS (shifted register). MOV, MVN and TST are aliases.
pub fn logical_reg(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let amount = bits(w, 15, 10);
    if !shift_ok(sf, amount) {
        return Err(TrapKind::Undefined);
    }
    let (rm, rn, rd) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let mut op2 = shifted(cx, sf, rm, bits(w, 23, 22), amount);
    if bit(w, 21) {
        op2 = cx.b.not(op2);
    }
    let op1 = cx.reg(sf, rn);
    let opc = bits(w, 30, 29);
    let res = match opc {
        0 | 3 => cx.b.and(op1, op2),
        1 => cx.b.or(op1, op2),
        _ => cx.b.xor(op1, op2),
    };
    if opc == 3 {
        cx.set_flags_logic(res);
    }
    cx.set_reg(sf, rd, res);
    Ok(())
}

/// ADD, ADDS, SUB, SUBS (shifted register). CMP, CMN, NEG, NEGS are aliases.
pub fn add_sub_shifted(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let shift = bits(w, 23, 22);
    let amount = bits(w, 15, 10);
    if shift == 3 || !shift_ok(sf, amount) {
        return Err(TrapKind::Undefined);
    }
    let (rm, rn, rd) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let op2 = shifted(cx, sf, rm, shift, amount);
    let op1 = cx.reg(sf, rn);
    let flags = bit(w, 29);
    let res = if bit(w, 30) {
        cx.sub(op1, op2, flags)
    } else {
        cx.add(op1, op2, flags)
    };
    cx.set_reg(sf, rd, res);
    Ok(())
}

/// ExtendReg(m, option, shift) of the operation size.
pub(crate) fn extended(cx: &mut Ctx, sf: bool, m: u32, option: u32, shift: u32) -> Value {
    let ty = Ctx::ty(sf);
    let v = cx.reg(sf, m);
    let len = 8u32 << (option & 3);
    let v = if len < ty.bits() {
        let t = cx.b.trunc(Type::int(len), v);
        if option & 4 != 0 {
            cx.b.sext(ty, t)
        } else {
            cx.b.zext(ty, t)
        }
    } else {
        v
    };
    if shift == 0 {
        v
    } else {
        let s = cx.b.iconst(ty, shift as u64);
        cx.b.shl(v, s)
    }
}

/// ADD, ADDS, SUB, SUBS (extended register).
pub fn add_sub_extended(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let shift = bits(w, 12, 10);
    if shift > 4 {
        return Err(TrapKind::Undefined);
    }
    let (rm, rn, rd) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let op2 = extended(cx, sf, rm, bits(w, 15, 13), shift);
    let op1 = cx.reg_sp(sf, rn);
    let flags = bit(w, 29);
    let res = if bit(w, 30) {
        cx.sub(op1, op2, flags)
    } else {
        cx.add(op1, op2, flags)
    };
    if flags {
        cx.set_reg(sf, rd, res)
    } else {
        cx.set_reg_sp(sf, rd, res)
    }
    Ok(())
}

/// ADC, ADCS, SBC, SBCS. NGC and NGCS are aliases.
pub fn adc_sbc(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let (rm, rn, rd) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let op1 = cx.reg(sf, rn);
    let mut op2 = cx.reg(sf, rm);
    if bit(w, 30) {
        op2 = cx.b.not(op2);
    }
    let res = cx.add_with_carry(op1, op2, Carry::Flag, bit(w, 29));
    cx.set_reg(sf, rd, res);
    Ok(())
}

/// CCMN, CCMP (register and immediate): the comparison's flags if the condition holds, else
/// the immediate nzcv.
pub fn ccmp(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let (rn, cond, nzcv) = (bits(w, 9, 5), bits(w, 15, 12), bits(w, 3, 0));
    let op1 = cx.reg(sf, rn);
    let op2 = if bit(w, 11) {
        cx.imm(sf, bits(w, 20, 16) as u64)
    } else {
        cx.reg(sf, bits(w, 20, 16))
    };
    let (_, f) = if bit(w, 30) {
        cx.sub_flags(op1, op2)
    } else {
        cx.add_flags(op1, op2, Carry::Zero)
    };
    let holds = cx.cond_holds(cond);
    let mut out = [f[0]; 4];
    for (i, computed) in f.into_iter().enumerate() {
        let imm = cx.b.iconst(Type::I8, (nzcv >> (3 - i) & 1) as u64);
        out[i] = cx.b.select(holds, computed, imm);
    }
    cx.set_nzcv(out[0], out[1], out[2], out[3]);
    Ok(())
}

/// CSEL, CSINC, CSINV, CSNEG. CSET, CSETM, CINC, CINV, CNEG are aliases.
pub fn csel(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let (rm, cond, rn, rd) = (
        bits(w, 20, 16),
        bits(w, 15, 12),
        bits(w, 9, 5),
        bits(w, 4, 0),
    );
    let a = cx.reg(sf, rn);
    let mut b = cx.reg(sf, rm);
    b = match (bit(w, 30), bit(w, 10)) {
        (false, false) => b,
        (false, true) => cx.b.add_imm(b, 1),
        (true, false) => cx.b.not(b),
        (true, true) => cx.b.neg(b),
    };
    let c = cx.cond_holds(cond);
    let res = cx.b.select(c, a, b);
    cx.set_reg(sf, rd, res);
    Ok(())
}

/// MADD, MSUB. MUL and MNEG are aliases.
pub fn madd(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let (rm, ra, rn, rd) = (
        bits(w, 20, 16),
        bits(w, 14, 10),
        bits(w, 9, 5),
        bits(w, 4, 0),
    );
    let n = cx.reg(sf, rn);
    let m = cx.reg(sf, rm);
    let prod = cx.b.mul(n, m);
    let a = cx.reg(sf, ra);
    let res = if bit(w, 15) {
        cx.b.sub(a, prod)
    } else {
        cx.b.add(a, prod)
    };
    cx.set_reg(sf, rd, res);
    Ok(())
}

/// SMADDL, SMSUBL, UMADDL, UMSUBL. SMULL, SMNEGL, UMULL, UMNEGL are aliases.
pub fn madd_long(cx: &mut Ctx, w: u32) -> LiftResult {
    let (rm, ra, rn, rd) = (
        bits(w, 20, 16),
        bits(w, 14, 10),
        bits(w, 9, 5),
        bits(w, 4, 0),
    );
    let unsigned = bit(w, 23);
    let n = cx.w(rn);
    let m = cx.w(rm);
    let (n, m) = if unsigned {
        (cx.b.zext(Type::I64, n), cx.b.zext(Type::I64, m))
    } else {
        (cx.b.sext(Type::I64, n), cx.b.sext(Type::I64, m))
    };
    let prod = cx.b.mul(n, m);
    let a = cx.x(ra);
    let res = if bit(w, 15) {
        cx.b.sub(a, prod)
    } else {
        cx.b.add(a, prod)
    };
    cx.set_x(rd, res);
    Ok(())
}

/// SMULH, UMULH.
pub fn mulh(cx: &mut Ctx, w: u32) -> LiftResult {
    let (rm, rn, rd) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let n = cx.x(rn);
    let m = cx.x(rm);
    let res = if bit(w, 23) {
        cx.b.umulhi(n, m)
    } else {
        cx.b.smulhi(n, m)
    };
    cx.set_x(rd, res);
    Ok(())
}

/// UDIV, SDIV. The IR's division rules are AArch64's (by zero gives 0, MIN / -1 gives MIN).
pub fn div(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let (rm, rn, rd) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let n = cx.reg(sf, rn);
    let m = cx.reg(sf, rm);
    let res = if bit(w, 10) {
        cx.b.sdiv(n, m)
    } else {
        cx.b.udiv(n, m)
    };
    cx.set_reg(sf, rd, res);
    Ok(())
}

/// LSLV, LSRV, ASRV, RORV (LSL, LSR, ASR, ROR register aliases). The count is taken modulo
/// the operation size, as the IR's shifts do.
pub fn shift_var(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let (rm, rn, rd) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let n = cx.reg(sf, rn);
    let m = cx.reg(sf, rm);
    let res = match bits(w, 11, 10) {
        0 => cx.b.shl(n, m),
        1 => cx.b.lshr(n, m),
        2 => cx.b.ashr(n, m),
        _ => cx.b.rotr(n, m),
    };
    cx.set_reg(sf, rd, res);
    Ok(())
}

/// RBIT, REV16, REV32, REV, CLZ, CLS.
pub fn dp_1src(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let (rn, rd) = (bits(w, 9, 5), bits(w, 4, 0));
    let ty = Ctx::ty(sf);
    let x = cx.reg(sf, rn);
    let res = match bits(w, 15, 10) {
        0 => cx.b.bitrev(x),
        1 => {
            // REV16: swap the bytes of each halfword.
            let m = 0x00ff_00ff_00ff_00ffu64;
            let eight = cx.b.iconst(ty, 8);
            let hi = cx.b.lshr(x, eight);
            let hi = cx.b.and_imm(hi, m);
            let lo = cx.b.and_imm(x, m);
            let lo = cx.b.shl(lo, eight);
            cx.b.or(hi, lo)
        }
        2 if sf => {
            // REV32: reverse the bytes of each word.
            let r = cx.b.bswap(x);
            let k = cx.b.iconst(ty, 32);
            cx.b.rotr(r, k)
        }
        2 | 3 => cx.b.bswap(x),
        4 => cx.b.clz(x),
        _ => {
            // CLS = CLZ(x XOR (x >>s 1)) - 1
            let one = cx.b.iconst(ty, 1);
            let s = cx.b.ashr(x, one);
            let d = cx.b.xor(x, s);
            let z = cx.b.clz(d);
            cx.b.sub(z, one)
        }
    };
    cx.set_reg(sf, rd, res);
    Ok(())
}

/// CRC32B/H/W/X, CRC32CB/H/W/X: Wd = the CRC-32 (or CRC-32C) of Wn updated with the low
/// 8/16/32/64 bits of Rm, through a helper (the host's `crc32` for the Castagnoli forms).
pub fn crc32(cx: &mut Ctx, w: u32) -> LiftResult {
    let sz = bits(w, 11, 10);
    if bit(w, 31) != (sz == 3) {
        return Err(TrapKind::Undefined);
    }
    let (rm, rn, rd) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let acc = cx.w(rn);
    let acc = cx.b.zext(Type::I64, acc);
    let val = cx.x(rm);
    let mut kind = 1u64 << sz;
    if bit(w, 12) {
        kind |= crate::helpers_crypto::CRC_C;
    }
    let kind = cx.b.const64(kind);
    let r =
        cx.b.call_helper(&crate::helpers_crypto::CRC32, &[acc, val, kind]);
    let r = cx.b.trunc(Type::I32, r);
    cx.set_w(rd, r);
    Ok(())
}
