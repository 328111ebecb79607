//! Branches (b, bc, bclr, bcctr, bctar), CR logical operations, mcrf and `sc`.

use super::{Ctx, LiftResult};
use crate::decode::fields::bits;
use crate::state;
use xarch_translator::ir::{Exit, IntCC, TrapKind, Type, Value};

/// The branch target of a relative or absolute displacement.
fn target(ctx: &Ctx, disp: i64, aa: bool) -> u64 {
    let t = if aa {
        disp as u64
    } else {
        ctx.pc.wrapping_add(disp as u64)
    };
    ctx.mode_addr(t)
}

/// Sets LR to the next instruction's address when LK is set.
fn link(ctx: &mut Ctx, w: u32) {
    if w & 1 != 0 {
        let n = ctx.next_pc();
        let v = ctx.b.const64(n);
        ctx.b.set_reg(state::LR, v);
    }
}

/// The condition of a `bc*` form: decrements CTR when BO says so and returns an i8 with
/// whether the branch is taken when it is non-zero (`true`) or when it is zero (`false`);
/// None: always taken.
///
/// A CR bit alone is returned as it is (the byte the compare wrote, taken when it is 0 for
/// the "false" forms), so that a compare and its branch in one block become one host
/// compare and jump.
fn condition(ctx: &mut Ctx, bo: u32, bi: u32) -> Option<(Value, bool)> {
    let mut ctr_ok: Option<Value> = None;
    if bo & 0x4 == 0 {
        let ctr = ctx.b.get_reg(Type::I64, state::CTR);
        let ctr = ctx.b.add_imm(ctr, u64::MAX);
        ctx.b.set_reg(state::CTR, ctr);
        let t = if ctx.is64 {
            ctr
        } else {
            ctx.b.trunc(Type::I32, ctr)
        };
        let cc = if bo & 0x2 != 0 { IntCC::Eq } else { IntCC::Ne };
        ctr_ok = Some(ctx.b.icmp_imm(cc, t, 0));
    }
    if bo & 0x10 != 0 {
        return ctr_ok.map(|c| (c, true));
    }
    let bit = ctx.flag(state::cr_off(bi));
    let want = (bo >> 3) & 1 == 1;
    Some(match ctr_ok {
        None => (bit, want),
        Some(ok) => {
            let c = if want {
                bit
            } else {
                ctx.b.icmp_imm(IntCC::Eq, bit, 0)
            };
            (ctx.b.and(ok, c), true)
        }
    })
}

pub fn b(ctx: &mut Ctx, w: u32) -> LiftResult {
    let li = ((w & 0x03ff_fffc) << 6) as i32 >> 6;
    let t = target(ctx, li as i64, w & 2 != 0);
    link(ctx, w);
    ctx.end_block(Exit::Jump { target: t });
    Ok(())
}

pub fn bc(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (bo, bi) = (bits(w, 6, 10), bits(w, 11, 15));
    let bd = ((w & 0xfffc) as u16 as i16) as i64;
    let t = target(ctx, bd, w & 2 != 0);
    let next = ctx.next_pc();
    let cond = condition(ctx, bo, bi);
    link(ctx, w);
    match cond {
        None => ctx.end_block(Exit::Jump { target: t }),
        Some((c, true)) => ctx.end_block(Exit::Branch {
            cond: c,
            taken: t,
            not_taken: next,
        }),
        Some((c, false)) => ctx.end_block(Exit::Branch {
            cond: c,
            taken: next,
            not_taken: t,
        }),
    }
    Ok(())
}

/// bclr/bcctr/bctar: branch to a register's value (low two bits cleared).
fn bc_reg(ctx: &mut Ctx, w: u32, reg: u32) -> LiftResult {
    let (bo, bi) = (bits(w, 6, 10), bits(w, 11, 15));
    if reg == state::CTR && bo & 0x4 == 0 {
        return Err(TrapKind::Undefined);
    }
    let next = ctx.next_pc();
    // The target is read before CTR is decremented and before LR is written. In 32-bit
    // mode one 32-bit AND clears the low two bits and zero-extends.
    let t = if ctx.is64 {
        let r = ctx.b.get_reg(Type::I64, reg);
        ctx.b.and_imm(r, !3u64)
    } else {
        let r = ctx.b.get_reg(Type::I32, reg);
        let t = ctx.b.and_imm(r, !3u64);
        ctx.b.zext(Type::I64, t)
    };
    let cond = condition(ctx, bo, bi);
    link(ctx, w);
    if let Some((c, when_nonzero)) = cond {
        let not_taken = if when_nonzero {
            ctx.b.icmp_imm(IntCC::Eq, c, 0)
        } else {
            c
        };
        ctx.b.exit_if(not_taken, next);
    }
    ctx.end_block(Exit::Indirect { target: t });
    Ok(())
}

pub fn bclr(ctx: &mut Ctx, w: u32) -> LiftResult {
    bc_reg(ctx, w, state::LR)
}

pub fn bcctr(ctx: &mut Ctx, w: u32) -> LiftResult {
    bc_reg(ctx, w, state::CTR)
}

pub fn bctar(ctx: &mut Ctx, w: u32) -> LiftResult {
    bc_reg(ctx, w, state::TAR)
}

pub fn sc(ctx: &mut Ctx, _w: u32) -> LiftResult {
    let next = ctx.next_pc();
    ctx.end_block(Exit::Syscall { next });
    Ok(())
}

pub fn mcrf(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (bf, bfa) = (bits(w, 6, 8), bits(w, 11, 13));
    let v: Vec<Value> = (0..4)
        .map(|i| ctx.flag(state::cr_off(4 * bfa + i)))
        .collect();
    for (i, v) in v.into_iter().enumerate() {
        ctx.set_flag(state::cr_off(4 * bf + i as u32), v);
    }
    Ok(())
}

pub fn cr_logical(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (bt, ba, bb) = (bits(w, 6, 10), bits(w, 11, 15), bits(w, 16, 20));
    let a = ctx.flag(state::cr_off(ba));
    let b = ctx.flag(state::cr_off(bb));
    let one = ctx.b.iconst(Type::I8, 1);
    let r = match bits(w, 21, 30) {
        257 => ctx.b.and(a, b),
        449 => ctx.b.or(a, b),
        193 => ctx.b.xor(a, b),
        225 => {
            let t = ctx.b.and(a, b);
            ctx.b.xor(t, one)
        }
        33 => {
            let t = ctx.b.or(a, b);
            ctx.b.xor(t, one)
        }
        289 => {
            let t = ctx.b.xor(a, b);
            ctx.b.xor(t, one)
        }
        129 => {
            let nb = ctx.b.xor(b, one);
            ctx.b.and(a, nb)
        }
        _ => {
            // 417: crorc
            let nb = ctx.b.xor(b, one);
            ctx.b.or(a, nb)
        }
    };
    ctx.set_flag(state::cr_off(bt), r);
    Ok(())
}
