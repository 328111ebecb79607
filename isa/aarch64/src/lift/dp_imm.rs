//! ARM ARM C4.1.86 "Data Processing -- Immediate": ADR/ADRP, add/subtract, logical with
//! bitmask immediates, move wide, bitfield moves and their aliases, EXTR.

use super::{Ctx, LiftResult};
use crate::decode::{bit, bits, sext};
use xarch_translator::ir::TrapKind;

/// ADR, ADRP.
pub fn adr(cx: &mut Ctx, w: u32) -> LiftResult {
    let imm = sext((bits(w, 23, 5) << 2 | bits(w, 30, 29)) as u64, 21);
    let target = if bit(w, 31) {
        (cx.pc & !0xfff).wrapping_add((imm << 12) as u64)
    } else {
        cx.pc.wrapping_add(imm as u64)
    };
    let v = cx.b.const64(target);
    cx.set_x(bits(w, 4, 0), v);
    Ok(())
}

/// ADD, ADDS, SUB, SUBS (immediate). CMP/CMN/MOV (to/from SP) are aliases.
pub fn add_sub_imm(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let sub = bit(w, 30);
    let flags = bit(w, 29);
    let imm = (bits(w, 21, 10) as u64) << if bit(w, 22) { 12 } else { 0 };
    let (rn, rd) = (bits(w, 9, 5), bits(w, 4, 0));
    let a = cx.reg_sp(sf, rn);
    let b = cx.imm(sf, imm);
    let res = if sub {
        cx.sub(a, b, flags)
    } else {
        cx.add(a, b, flags)
    };
    if flags {
        cx.set_reg(sf, rd, res)
    } else {
        cx.set_reg_sp(sf, rd, res)
    }
    Ok(())
}

/// The manual's DecodeBitMasks(N, imms, immr, immediate) for `datasize` bits: (wmask, tmask),
/// or None for a reserved combination.
pub fn decode_bit_masks(
    n: bool,
    imms: u32,
    immr: u32,
    immediate: bool,
    datasize: u32,
) -> Option<(u64, u64)> {
    let combined = (n as u32) << 6 | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros();
    if len < 1 || (1 << len) > datasize {
        return None;
    }
    let levels = (1u32 << len) - 1;
    if immediate && imms & levels == levels {
        return None;
    }
    let s = imms & levels;
    let r = immr & levels;
    let d = s.wrapping_sub(r) & levels;
    let esize = 1u32 << len;
    let ones = |k: u32| if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
    let emask = ones(esize);
    let welem = ones(s + 1);
    let telem = ones(d + 1);
    let welem = if r == 0 {
        welem
    } else {
        ((welem >> r) | (welem << (esize - r))) & emask
    };
    let replicate = |e: u64| {
        let mut out = 0u64;
        let mut i = 0;
        while i < datasize {
            out |= e << i;
            i += esize;
        }
        out & ones(datasize)
    };
    Some((replicate(welem), replicate(telem)))
}

/// AND, ORR, EOR, ANDS (immediate). MOV (bitmask immediate) and TST are aliases.
pub fn logical_imm(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let n = bit(w, 22);
    if !sf && n {
        return Err(TrapKind::Undefined);
    }
    let datasize = if sf { 64 } else { 32 };
    let Some((imm, _)) = decode_bit_masks(n, bits(w, 15, 10), bits(w, 21, 16), true, datasize)
    else {
        return Err(TrapKind::Undefined);
    };
    let (rn, rd) = (bits(w, 9, 5), bits(w, 4, 0));
    let a = cx.reg(sf, rn);
    let b = cx.imm(sf, imm);
    match bits(w, 30, 29) {
        0 => {
            let r = cx.b.and(a, b);
            cx.set_reg_sp(sf, rd, r)
        }
        1 => {
            let r = cx.b.or(a, b);
            cx.set_reg_sp(sf, rd, r)
        }
        2 => {
            let r = cx.b.xor(a, b);
            cx.set_reg_sp(sf, rd, r)
        }
        _ => {
            let r = cx.b.and(a, b);
            cx.set_flags_logic(r);
            cx.set_reg(sf, rd, r)
        }
    }
    Ok(())
}

/// MOVN, MOVZ, MOVK. MOV (wide immediate) is an alias.
pub fn move_wide(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let hw = bits(w, 22, 21);
    if !sf && hw >= 2 {
        return Err(TrapKind::Undefined);
    }
    let pos = hw * 16;
    let imm = (bits(w, 20, 5) as u64) << pos;
    let rd = bits(w, 4, 0);
    match bits(w, 30, 29) {
        0 => {
            let v = cx.imm(sf, !imm);
            cx.set_reg(sf, rd, v)
        }
        2 => {
            let v = cx.imm(sf, imm);
            cx.set_reg(sf, rd, v)
        }
        _ => {
            let old = cx.reg(sf, rd);
            let kept = cx.b.and_imm(old, !(0xffffu64 << pos));
            let c = cx.imm(sf, imm);
            let v = cx.b.or(kept, c);
            cx.set_reg(sf, rd, v)
        }
    }
    Ok(())
}

/// SBFM, BFM, UBFM: ASR/LSL/LSR (immediate), SBFX/UBFX, SBFIZ/UBFIZ, BFI/BFXIL/BFC,
/// SXTB/SXTH/SXTW, UXTB/UXTH are aliases of these.
pub fn bitfield(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let n = bit(w, 22);
    let (immr, imms) = (bits(w, 21, 16), bits(w, 15, 10));
    if sf != n || (!sf && (immr >= 32 || imms >= 32)) {
        return Err(TrapKind::Undefined);
    }
    let datasize = if sf { 64 } else { 32 };
    let Some((wmask, tmask)) = decode_bit_masks(n, imms, immr, false, datasize) else {
        return Err(TrapKind::Undefined);
    };
    let (rn, rd) = (bits(w, 9, 5), bits(w, 4, 0));
    let ty = Ctx::ty(sf);
    let src = cx.reg(sf, rn);
    let rot = if immr == 0 {
        src
    } else {
        let r = cx.b.iconst(ty, immr as u64);
        cx.b.rotr(src, r)
    };
    let res = match bits(w, 30, 29) {
        0 => {
            // SBFM: bits outside tmask are copies of src<imms>.
            let bot = cx.b.and_imm(rot, wmask);
            let up = cx.b.iconst(ty, (datasize - 1 - imms) as u64);
            let shifted = cx.b.shl(src, up);
            let down = cx.b.iconst(ty, (datasize - 1) as u64);
            let top = cx.b.ashr(shifted, down);
            let top = cx.b.and_imm(top, !tmask);
            let bot = cx.b.and_imm(bot, tmask);
            cx.b.or(top, bot)
        }
        1 => {
            // BFM: the destination keeps the bits outside the field.
            let dst = cx.reg(sf, rd);
            let keep = cx.b.and_imm(dst, !wmask);
            let ins = cx.b.and_imm(rot, wmask);
            let bot = cx.b.or(keep, ins);
            let hi = cx.b.and_imm(dst, !tmask);
            let lo = cx.b.and_imm(bot, tmask);
            cx.b.or(hi, lo)
        }
        _ => cx.b.and_imm(rot, wmask & tmask),
    };
    cx.set_reg(sf, rd, res);
    Ok(())
}

/// EXTR. ROR (immediate) is an alias.
pub fn extr(cx: &mut Ctx, w: u32) -> LiftResult {
    let sf = bit(w, 31);
    let n = bit(w, 22);
    let lsb = bits(w, 15, 10);
    if sf != n || (!sf && lsb >= 32) {
        return Err(TrapKind::Undefined);
    }
    let (rm, rn, rd) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let ty = Ctx::ty(sf);
    let lo = cx.reg(sf, rm);
    let res = if lsb == 0 {
        lo
    } else {
        let hi = cx.reg(sf, rn);
        let a = cx.b.iconst(ty, lsb as u64);
        let lo = cx.b.lshr(lo, a);
        let b = cx.b.iconst(ty, (ty.bits() - lsb) as u64);
        let hi = cx.b.shl(hi, b);
        cx.b.or(hi, lo)
    };
    cx.set_reg(sf, rd, res);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_masks_of_known_immediates() {
        // and x0, x1, #0xff: N=1 immr=0 imms=7
        assert_eq!(decode_bit_masks(true, 7, 0, true, 64).unwrap().0, 0xff);
        // orr w0, wzr, #0xaaaaaaaa: N=0 immr=1 imms=0b111100
        assert_eq!(
            decode_bit_masks(false, 0b111100, 1, true, 32).unwrap().0,
            0xaaaa_aaaa
        );
        // 0x8000000000000000: N=1 immr=1 imms=0
        assert_eq!(
            decode_bit_masks(true, 0, 1, true, 64).unwrap().0,
            0x8000_0000_0000_0000
        );
        // all ones is reserved
        assert_eq!(decode_bit_masks(true, 0b111111, 0, true, 64), None);
        // lsr x0, x1, #4 = ubfm x0, x1, #4, #63: wmask = ror(ones(64), 4), tmask = ones(60)
        let (wm, tm) = decode_bit_masks(true, 63, 4, false, 64).unwrap();
        assert_eq!(wm & tm, 0x0fff_ffff_ffff_ffff);
    }
}
