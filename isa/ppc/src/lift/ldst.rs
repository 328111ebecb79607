//! Fixed-point loads and stores: every size, update and indexed forms, byte-reversed forms,
//! load/store multiple, and load-and-reserve / store-conditional.

use super::{Ctx, LiftResult};
use crate::decode::fields::{ra, rb, rt, si};
use crate::state;
use xarch_translator::ir::{IntCC, TrapKind, Type, Value};

/// How a load or store forms its address.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Addr {
    /// (RA|0) + D
    D,
    /// (RA|0) + DS (low two bits are the extended opcode)
    Ds,
    /// (RA|0) + (RB)
    X,
}

fn ea(ctx: &mut Ctx, w: u32, mode: Addr) -> Value {
    match mode {
        Addr::D => ctx.ea_d(ra(w), si(w)),
        Addr::Ds => ctx.ea_d(ra(w), si(w & !3)),
        Addr::X => ctx.ea_x(ra(w), rb(w)),
    }
}

#[allow(clippy::too_many_arguments)]
fn load(
    ctx: &mut Ctx,
    w: u32,
    ty: Type,
    signed: bool,
    mode: Addr,
    update: bool,
    reversed: bool,
) -> LiftResult {
    let (t, a) = (rt(w), ra(w));
    if update && (a == 0 || a == t) {
        return Err(TrapKind::Undefined);
    }
    let addr = ea(ctx, w, mode);
    let endian = if reversed { ctx.reversed() } else { ctx.endian };
    let v = ctx.b.load(ty, addr, endian);
    let v = if ty == Type::I64 {
        v
    } else if signed {
        ctx.b.sext(Type::I64, v)
    } else {
        ctx.b.zext(Type::I64, v)
    };
    ctx.set_gpr(t, v);
    if update {
        ctx.set_gpr(a, addr);
    }
    Ok(())
}

fn store(ctx: &mut Ctx, w: u32, ty: Type, mode: Addr, update: bool, reversed: bool) -> LiftResult {
    let a = ra(w);
    if update && a == 0 {
        return Err(TrapKind::Undefined);
    }
    let addr = ea(ctx, w, mode);
    let v = ctx.gpr(rt(w));
    let v = ctx.b.trunc_to(ty, v);
    let endian = if reversed { ctx.reversed() } else { ctx.endian };
    ctx.b.store(addr, v, endian);
    if update {
        ctx.set_gpr(a, addr);
    }
    Ok(())
}

trait TruncTo {
    fn trunc_to(&mut self, ty: Type, v: Value) -> Value;
}

impl TruncTo for xarch_translator::ir::Builder {
    fn trunc_to(&mut self, ty: Type, v: Value) -> Value {
        if ty == Type::I64 {
            v
        } else {
            self.trunc(ty, v)
        }
    }
}

macro_rules! loads {
    ($($name:ident: $ty:ident, $signed:expr, $mode:ident, $update:expr, $rev:expr;)*) => {
        $(
            pub fn $name(ctx: &mut Ctx, w: u32) -> LiftResult {
                load(ctx, w, Type::$ty, $signed, Addr::$mode, $update, $rev)
            }
        )*
    };
}

macro_rules! stores {
    ($($name:ident: $ty:ident, $mode:ident, $update:expr, $rev:expr;)*) => {
        $(
            pub fn $name(ctx: &mut Ctx, w: u32) -> LiftResult {
                store(ctx, w, Type::$ty, Addr::$mode, $update, $rev)
            }
        )*
    };
}

loads! {
    lbz: I8, false, D, false, false;
    lbzu: I8, false, D, true, false;
    lhz: I16, false, D, false, false;
    lhzu: I16, false, D, true, false;
    lha: I16, true, D, false, false;
    lhau: I16, true, D, true, false;
    lwz: I32, false, D, false, false;
    lwzu: I32, false, D, true, false;
    ld: I64, false, Ds, false, false;
    ldu: I64, false, Ds, true, false;
    lwa: I32, true, Ds, false, false;
    lbzx: I8, false, X, false, false;
    lbzux: I8, false, X, true, false;
    lhzx: I16, false, X, false, false;
    lhzux: I16, false, X, true, false;
    lhax: I16, true, X, false, false;
    lhaux: I16, true, X, true, false;
    lwzx: I32, false, X, false, false;
    lwzux: I32, false, X, true, false;
    lwax: I32, true, X, false, false;
    lwaux: I32, true, X, true, false;
    ldx: I64, false, X, false, false;
    ldux: I64, false, X, true, false;
    lhbrx: I16, false, X, false, true;
    lwbrx: I32, false, X, false, true;
    ldbrx: I64, false, X, false, true;
}

stores! {
    stb: I8, D, false, false;
    stbu: I8, D, true, false;
    sth: I16, D, false, false;
    sthu: I16, D, true, false;
    stw: I32, D, false, false;
    stwu: I32, D, true, false;
    std: I64, Ds, false, false;
    stdu: I64, Ds, true, false;
    stbx: I8, X, false, false;
    stbux: I8, X, true, false;
    sthx: I16, X, false, false;
    sthux: I16, X, true, false;
    stwx: I32, X, false, false;
    stwux: I32, X, true, false;
    stdx: I64, X, false, false;
    stdux: I64, X, true, false;
    sthbrx: I16, X, false, true;
    stwbrx: I32, X, false, true;
    stdbrx: I64, X, false, true;
}

/// lmw: loads words into RT..r31.
pub fn lmw(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, a) = (rt(w), ra(w));
    if a >= t && a != 0 {
        return Err(TrapKind::Undefined);
    }
    let base = ea(ctx, w, Addr::D);
    for (i, r) in (t..32).enumerate() {
        let addr = ctx.b.add_imm(base, 4 * i as u64);
        let addr = ctx.ea(addr);
        let v = ctx.load(Type::I32, addr);
        ctx.set_gpr_zext32(r, v);
    }
    Ok(())
}

/// stmw: stores the words of RS..r31.
pub fn stmw(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = rt(w);
    let base = ea(ctx, w, Addr::D);
    for (i, r) in (s..32).enumerate() {
        let addr = ctx.b.add_imm(base, 4 * i as u64);
        let addr = ctx.ea(addr);
        let v = ctx.gpr32(r);
        ctx.store(addr, v);
    }
    Ok(())
}

/// l*arx: loads and records the reservation (address, size, value loaded).
fn larx(ctx: &mut Ctx, w: u32, ty: Type) -> LiftResult {
    let addr = ea(ctx, w, Addr::X);
    let v = ctx.load(ty, addr);
    let v = if ty == Type::I64 {
        v
    } else {
        ctx.b.zext(Type::I64, v)
    };
    ctx.set_gpr(rt(w), v);
    ctx.b.set_reg(state::RESV_ADDR, addr);
    ctx.b.set_reg(state::RESV_VAL, v);
    let size = ctx.b.const64(ty.bytes() as u64);
    ctx.b.set_reg(state::RESV_SIZE, size);
    Ok(())
}

/// st*cx.: stores if the reservation is for this address and size and memory still holds the
/// reserved value (a compare-and-swap against it); CR0 = 0b00 || success || XER[SO]. The
/// reservation is cleared either way.
fn stcx(ctx: &mut Ctx, w: u32, ty: Type) -> LiftResult {
    let addr = ea(ctx, w, Addr::X);
    let ra_ = ctx.b.get_reg(Type::I64, state::RESV_ADDR);
    let rs = ctx.b.get_reg(Type::I64, state::RESV_SIZE);
    let rv = ctx.b.get_reg(Type::I64, state::RESV_VAL);
    let same_addr = ctx.b.icmp(IntCC::Eq, ra_, addr);
    let same_size = ctx.b.icmp_imm(IntCC::Eq, rs, ty.bytes() as u64);
    let valid = ctx.b.and(same_addr, same_size);
    let expected = ctx.b.trunc_to(ty, rv);
    let new = ctx.gpr(rt(w));
    let new = ctx.b.trunc_to(ty, new);
    // When the reservation is invalid, the CAS writes back what it reads (expected == new).
    let old_guess = ctx.b.select(valid, expected, new);
    let old = ctx.b.atomic_cas(addr, old_guess, new, ctx.endian);
    let hit = ctx.b.icmp(IntCC::Eq, old, expected);
    let ok = ctx.b.and(hit, valid);
    let none = ctx.b.const64(state::RESV_NONE);
    ctx.b.set_reg(state::RESV_ADDR, none);
    let zero = ctx.b.iconst(Type::I8, 0);
    let so = ctx.flag(state::SO);
    ctx.set_flag(state::cr_off(0), zero);
    ctx.set_flag(state::cr_off(1), zero);
    ctx.set_flag(state::cr_off(2), ok);
    ctx.set_flag(state::cr_off(3), so);
    Ok(())
}

pub fn lbarx(ctx: &mut Ctx, w: u32) -> LiftResult {
    larx(ctx, w, Type::I8)
}
pub fn lharx(ctx: &mut Ctx, w: u32) -> LiftResult {
    larx(ctx, w, Type::I16)
}
pub fn lwarx(ctx: &mut Ctx, w: u32) -> LiftResult {
    larx(ctx, w, Type::I32)
}
pub fn ldarx(ctx: &mut Ctx, w: u32) -> LiftResult {
    larx(ctx, w, Type::I64)
}
pub fn stbcx(ctx: &mut Ctx, w: u32) -> LiftResult {
    stcx(ctx, w, Type::I8)
}
pub fn sthcx(ctx: &mut Ctx, w: u32) -> LiftResult {
    stcx(ctx, w, Type::I16)
}
pub fn stwcx(ctx: &mut Ctx, w: u32) -> LiftResult {
    stcx(ctx, w, Type::I32)
}
pub fn stdcx(ctx: &mut Ctx, w: u32) -> LiftResult {
    stcx(ctx, w, Type::I64)
}

/// Ends the block after a quadword reservation instruction: at the next instruction when
/// `addr` is 16-byte aligned, else with a trap at this one. Power ISA Book II 4.4.2: an
/// unaligned `lqarx`/`stqcx.` raises an alignment interrupt (Linux: SIGBUS, not emulated);
/// the IR has no alignment trap kind, so it is the illegal-instruction trap. The check
/// follows the access (the CAS went to the aligned quadword and changed nothing): a trap
/// ends the process, so nothing written before it is seen.
fn quad_alignment_check(ctx: &mut Ctx, addr: Value) {
    let low = ctx.b.and_imm(addr, 15);
    let aligned = ctx.b.icmp_imm(IntCC::Eq, low, 0);
    let next = ctx.next_pc();
    ctx.b.exit_if(aligned, next);
    ctx.end_block(xarch_translator::ir::Exit::Trap {
        kind: TrapKind::Undefined,
        pc: ctx.pc,
    });
}

/// lqarx RTp,RA,RB (Book II 4.4.2.1): the quadword at EA into the even pair RTp (high
/// doubleword, at EA in big-endian mode, at EA + 8 in little-endian mode) and RTp+1, and a
/// 16-byte reservation. Not a single-copy-atomic read here (a 128-bit load); a torn value
/// cannot be stored back, since `stqcx.` compares the whole quadword.
pub fn lqarx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, a, b) = (rt(w), ra(w), rb(w));
    if t % 2 != 0 || t == a || t == b {
        return Err(TrapKind::Undefined);
    }
    let addr = ea(ctx, w, Addr::X);
    let q = ctx.load(Type::I128, addr);
    let lo = ctx.b.trunc(Type::I64, q);
    let sh = ctx.b.const64(64);
    let hi = ctx.b.lshr(q, sh);
    let hi = ctx.b.trunc(Type::I64, hi);
    ctx.set_gpr(t, hi);
    ctx.set_gpr(t + 1, lo);
    ctx.b.set_reg(state::RESV_ADDR, addr);
    ctx.b.set_reg(state::RESV_VAL, lo);
    ctx.b.set_reg(state::RESV_VAL_HI, hi);
    let size = ctx.b.const64(16);
    ctx.b.set_reg(state::RESV_SIZE, size);
    quad_alignment_check(ctx, addr);
    Ok(())
}

/// The i128 whose high doubleword is `hi`.
fn quad(ctx: &mut Ctx, hi: Value, lo: Value) -> Value {
    let hi = ctx.b.zext(Type::I128, hi);
    let lo = ctx.b.zext(Type::I128, lo);
    let sh = ctx.b.const64(64);
    let hi = ctx.b.shl(hi, sh);
    ctx.b.or(hi, lo)
}

/// stqcx. RSp,RA,RB: stores the pair RSp (high), RSp+1 (low) as one quadword with the IR's
/// 128-bit compare-and-swap (as x86's `cmpxchg16b`), under the rules of [`stcx`].
pub fn stqcx(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = rt(w);
    if s % 2 != 0 {
        return Err(TrapKind::Undefined);
    }
    let addr = ea(ctx, w, Addr::X);
    // Valid reservations are aligned (an unaligned `lqarx` traps); an unaligned address
    // here fails and traps below, so the CAS always gets an aligned address.
    let at = ctx.b.and_imm(addr, !15);
    let ra_ = ctx.b.get_reg(Type::I64, state::RESV_ADDR);
    let rs = ctx.b.get_reg(Type::I64, state::RESV_SIZE);
    let same_addr = ctx.b.icmp(IntCC::Eq, ra_, addr);
    let same_size = ctx.b.icmp_imm(IntCC::Eq, rs, 16);
    let valid = ctx.b.and(same_addr, same_size);
    let lo = ctx.b.get_reg(Type::I64, state::RESV_VAL);
    let hi = ctx.b.get_reg(Type::I64, state::RESV_VAL_HI);
    let expected = quad(ctx, hi, lo);
    let hi = ctx.gpr(s);
    let lo = ctx.gpr(s + 1);
    let new = quad(ctx, hi, lo);
    // When the reservation is invalid, the CAS writes back what it reads (expected == new).
    let old_guess = ctx.b.select(valid, expected, new);
    let old = ctx.b.atomic_cas(at, old_guess, new, ctx.endian);
    let hit = ctx.b.icmp(IntCC::Eq, old, expected);
    let ok = ctx.b.and(hit, valid);
    let none = ctx.b.const64(state::RESV_NONE);
    ctx.b.set_reg(state::RESV_ADDR, none);
    let zero = ctx.b.iconst(Type::I8, 0);
    let so = ctx.flag(state::SO);
    ctx.set_flag(state::cr_off(0), zero);
    ctx.set_flag(state::cr_off(1), zero);
    ctx.set_flag(state::cr_off(2), ok);
    ctx.set_flag(state::cr_off(3), so);
    quad_alignment_check(ctx, addr);
    Ok(())
}

/// lq RTp,DQ(RA) (Book I 3.3.4, problem state since ISA 2.07): the quadword at
/// (RA|0) + DQ into the even pair, RTp the high doubleword in either byte order (as
/// `lqarx`). One 128-bit load, not a single-copy-atomic one.
pub fn lq(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (t, a) = (rt(w), ra(w));
    if t % 2 != 0 || t == a {
        return Err(TrapKind::Undefined);
    }
    let addr = ctx.ea_d(a, si(w & !0xf));
    let q = ctx.load(Type::I128, addr);
    let lo = ctx.b.trunc(Type::I64, q);
    let sh = ctx.b.const64(64);
    let hi = ctx.b.lshr(q, sh);
    let hi = ctx.b.trunc(Type::I64, hi);
    ctx.set_gpr(t, hi);
    ctx.set_gpr(t + 1, lo);
    Ok(())
}

/// stq RSp,DS(RA): the pair RSp (high), RSp+1 (low) as one quadword at (RA|0) + DS.
pub fn stq(ctx: &mut Ctx, w: u32) -> LiftResult {
    let s = rt(w);
    if s % 2 != 0 {
        return Err(TrapKind::Undefined);
    }
    let addr = ea(ctx, w, Addr::Ds);
    let hi = ctx.gpr(s);
    let lo = ctx.gpr(s + 1);
    let q = quad(ctx, hi, lo);
    ctx.store(addr, q);
    Ok(())
}
