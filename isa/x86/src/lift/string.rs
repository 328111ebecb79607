//! String instructions (SDM Vol. 1, 7.3.9): MOVS, STOS, LODS, CMPS, SCAS with REP, REPE
//! and REPNE. A REP instruction ends its block: each run does one iteration and branches back
//! to itself while the count (and, for CMPS/SCAS, ZF) says go on.

use super::{Ctx, Step, ty};
use crate::decode::Rep;
use crate::state::{flag, off};
use xarch_translator::ir::{Exit, IntCC, Type};

pub(crate) fn lift_primary(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let op = i.opcode;
    if !matches!(op, 0xa4..=0xa7 | 0xaa..=0xaf) {
        return Step::Unimplemented;
    }
    // A 67 prefix: ESI/EDI/ECX, zero-extended as addresses, written back as 32-bit registers.
    let aw = if i.addr32 { 32 } else { 64 };
    let bits = if op & 1 == 0 { 8 } else { i.osize };
    let n = u64::from(bits / 8);
    let rep = i.rep;
    if rep.is_some() {
        let c = cx.get_gpr(1, aw);
        let z = cx.b.icmp_imm(IntCC::Eq, c, 0);
        cx.b.exit_if(z, cx.next);
    }
    // Step +n, or -n when DF is set.
    let other = cx.b.get_reg(Type::I64, off::RFLAGS_OTHER);
    let df = cx.b.and_imm(other, flag::DF);
    let df = cx.b.icmp_imm(IntCC::Ne, df, 0);
    let up = cx.b.iconst(ty(aw), n);
    let down = cx.b.iconst(ty(aw), n.wrapping_neg());
    let delta = cx.b.select(df, down, up);
    let rsi = cx.get_gpr(6, aw);
    let rdi = cx.get_gpr(7, aw);
    let (rsi_a, rdi_a) = (
        cx.b.zext_or_trunc(Type::I64, rsi),
        cx.b.zext_or_trunc(Type::I64, rdi),
    );
    let src = cx.seg_add(i.seg, rsi_a);
    let rdi_v = rdi;
    let rdi = rdi_a;
    let t = ty(bits);
    let compares = match op {
        0xa4 | 0xa5 => {
            let v = cx.load(t, src);
            cx.store(rdi, v);
            false
        }
        0xaa | 0xab => {
            let v = cx.get_gpr(0, bits);
            cx.store(rdi, v);
            false
        }
        0xac | 0xad => {
            let v = cx.load(t, src);
            cx.set_gpr(0, bits, v);
            false
        }
        0xa6 | 0xa7 => {
            let a = cx.load(t, src);
            let b = cx.load(t, rdi);
            let r = cx.b.sub(a, b);
            cx.set_flags(crate::state::CcKind::Sub, a, b, r, None);
            true
        }
        _ => {
            let a = cx.get_gpr(0, bits);
            let b = cx.load(t, rdi);
            let r = cx.b.sub(a, b);
            cx.set_flags(crate::state::CcKind::Sub, a, b, r, None);
            true
        }
    };
    if matches!(op, 0xa4..=0xa7 | 0xac | 0xad) {
        let v = cx.b.add(rsi, delta);
        cx.set_gpr(6, aw, v);
    }
    if !matches!(op, 0xac | 0xad) {
        let v = cx.b.add(rdi_v, delta);
        cx.set_gpr(7, aw, v);
    }
    let Some(rep) = rep else { return Step::Next };
    let c = cx.get_gpr(1, aw);
    let one = cx.b.iconst(ty(aw), 1);
    let c = cx.b.sub(c, one);
    cx.set_gpr(1, aw, c);
    let mut again = cx.b.icmp_imm(IntCC::Ne, c, 0);
    if compares {
        let z = cx.flag(b'z');
        let go = if rep == Rep::Rep {
            z
        } else {
            cx.b.icmp_imm(IntCC::Eq, z, 0)
        };
        again = cx.b.and(again, go);
    }
    Step::End(Exit::Branch {
        cond: again,
        taken: cx.pc,
        not_taken: cx.next,
    })
}
