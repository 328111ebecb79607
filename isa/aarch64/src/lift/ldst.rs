//! ARM ARM C4.1.88 "Loads and Stores": single registers in every addressing mode (unsigned
//! offset, unscaled, pre/post-index, unprivileged, register offset, literal), pairs,
//! exclusives (the monitor lives in the CPU state; a store-exclusive is a compare-and-swap
//! against the value the load-exclusive saw, as QEMU does), load-acquire/store-release, and
//! the FEAT_LSE atomics (CAS, CASP, LDADD and the other read-modify-writes, SWP).
//! General-purpose and SIMD&FP registers share these encodings (the V bit).

use super::{Ctx, LiftResult};
use crate::decode::{bit, bits, sext};
use crate::state;
use xarch_translator::ir::{AtomicOp, Endian, Helper, IntCC, TrapKind, Type, Value};

/// What a single-register load/store does, from size:V:opc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Store,
    /// Load, zero-extended into X.
    Load,
    /// Load, sign-extended to 64 bits.
    LoadSx64,
    /// Load, sign-extended to 32 bits (then zero-extended into X).
    LoadSx32,
    Prefetch,
    VStore,
    VLoad,
}

/// Access size in bytes and kind of size:V:opc (ARM ARM C4.1.88 load/store register
/// classes), or None for an unallocated combination.
fn access(w: u32) -> Option<(u32, Kind)> {
    let size = bits(w, 31, 30);
    let v = bit(w, 26);
    let opc = bits(w, 23, 22);
    if v {
        let log = if opc & 2 != 0 {
            if size != 0 {
                return None;
            }
            4
        } else {
            size
        };
        let kind = if opc & 1 != 0 {
            Kind::VLoad
        } else {
            Kind::VStore
        };
        return Some((1 << log, kind));
    }
    let kind = match (size, opc) {
        (_, 0) => Kind::Store,
        (_, 1) => Kind::Load,
        (3, 2) => Kind::Prefetch,
        (2, 3) | (3, 3) => return None,
        (_, 2) => Kind::LoadSx64,
        (_, _) => Kind::LoadSx32,
    };
    Some((1 << size, kind))
}

/// The register-transfer part of a single load/store at `addr`.
fn transfer(cx: &mut Ctx, kind: Kind, bytes: u32, rt: u32, addr: Value) {
    let ty = if bytes == 16 {
        Type::V128
    } else {
        Type::int(bytes * 8)
    };
    match kind {
        Kind::Store => {
            let x = cx.x(rt);
            let v = cx.b.zext_or_trunc(ty, x);
            cx.store(addr, v);
        }
        Kind::Load => {
            let v = cx.load(ty, addr);
            let x = cx.b.zext_or_trunc(Type::I64, v);
            cx.set_x(rt, x);
        }
        Kind::LoadSx64 => {
            let v = cx.load(ty, addr);
            let x = cx.b.sext(Type::I64, v);
            cx.set_x(rt, x);
        }
        Kind::LoadSx32 => {
            let v = cx.load(ty, addr);
            let x = cx.b.sext(Type::I32, v);
            cx.set_w(rt, x);
        }
        Kind::Prefetch => {}
        Kind::VStore => {
            let v = cx.v_scalar(ty, rt);
            cx.store(addr, v);
        }
        Kind::VLoad => {
            let v = cx.load(ty, addr);
            cx.set_v_scalar(rt, v);
        }
    }
}

/// Load/store register (unsigned immediate): LDR/STR/LDRB/.../LDRSW/PRFM, GPR and SIMD&FP.
pub fn ldst_uimm(cx: &mut Ctx, w: u32) -> LiftResult {
    let (bytes, kind) = access(w).ok_or(TrapKind::Undefined)?;
    let off = bits(w, 21, 10) as u64 * bytes as u64;
    let base = cx.x_sp(bits(w, 9, 5));
    let addr = cx.b.add_imm(base, off);
    transfer(cx, kind, bytes, bits(w, 4, 0), addr);
    Ok(())
}

/// Load/store register with a 9-bit signed offset: unscaled (LDUR/STUR/PRFUM),
/// post-index, unprivileged (LDTR/STTR: as ordinary accesses at EL0) and pre-index.
pub fn ldst_imm9(cx: &mut Ctx, w: u32) -> LiftResult {
    let (bytes, kind) = access(w).ok_or(TrapKind::Undefined)?;
    let idx = bits(w, 11, 10);
    let v = bit(w, 26);
    // Prefetch exists only unscaled (PRFUM); unprivileged forms have no SIMD&FP variant.
    if (kind == Kind::Prefetch && idx != 0) || (v && idx == 2) {
        return Err(TrapKind::Undefined);
    }
    let imm = sext(bits(w, 20, 12) as u64, 9) as u64;
    let (rn, rt) = (bits(w, 9, 5), bits(w, 4, 0));
    let base = cx.x_sp(rn);
    let moved = cx.b.add_imm(base, imm);
    let addr = if idx == 1 { base } else { moved };
    transfer(cx, kind, bytes, rt, addr);
    if idx & 1 == 1 {
        // Writeback (pre- and post-index) after the transfer: for a load into the base
        // register (CONSTRAINED UNPREDICTABLE) the address wins, as on QEMU.
        cx.set_x_sp(rn, moved);
    }
    Ok(())
}

/// Load/store register (register offset): the offset register extended (UXTW, SXTW,
/// LSL/UXTX, SXTX) and optionally scaled by the access size.
pub fn ldst_reg_offset(cx: &mut Ctx, w: u32) -> LiftResult {
    let (bytes, kind) = access(w).ok_or(TrapKind::Undefined)?;
    let option = bits(w, 15, 13);
    if option & 2 == 0 {
        return Err(TrapKind::Undefined);
    }
    let shift = if bit(w, 12) {
        bytes.trailing_zeros()
    } else {
        0
    };
    let off = super::dp_reg::extended(cx, true, bits(w, 20, 16), option, shift);
    let base = cx.x_sp(bits(w, 9, 5));
    let addr = cx.b.add(base, off);
    transfer(cx, kind, bytes, bits(w, 4, 0), addr);
    Ok(())
}

/// LDR (literal), LDRSW (literal), LDR (literal, SIMD&FP).
pub fn load_literal(cx: &mut Ctx, w: u32) -> LiftResult {
    let opc = bits(w, 31, 30);
    let (bytes, kind) = match (bit(w, 26), opc) {
        (false, 0) => (4, Kind::Load),
        (false, 1) => (8, Kind::Load),
        (false, 2) => (4, Kind::LoadSx64),
        (true, 0) => (4, Kind::VLoad),
        (true, 1) => (8, Kind::VLoad),
        (true, 2) => (16, Kind::VLoad),
        _ => return Err(TrapKind::Undefined),
    };
    let off = sext(bits(w, 23, 5) as u64, 19) << 2;
    let addr = cx.b.const64(cx.pc.wrapping_add(off as u64));
    transfer(cx, kind, bytes, bits(w, 4, 0), addr);
    Ok(())
}

/// PRFM (literal): no effect.
pub fn prefetch(_cx: &mut Ctx, _w: u32) -> LiftResult {
    Ok(())
}

/// STP, LDP, STNP, LDNP, LDPSW, and their SIMD&FP forms, in every indexing mode.
pub fn ldst_pair(cx: &mut Ctx, w: u32) -> LiftResult {
    let opc = bits(w, 31, 30);
    let v = bit(w, 26);
    let idx = bits(w, 24, 23);
    let load = bit(w, 22);
    let (bytes, kind) = match (v, opc, load) {
        (false, 0, false) => (4, Kind::Store),
        (false, 0, true) => (4, Kind::Load),
        (false, 1, true) if idx != 0 => (4, Kind::LoadSx64),
        (false, 2, false) => (8, Kind::Store),
        (false, 2, true) => (8, Kind::Load),
        (true, 0..=2, _) => (4 << opc, if load { Kind::VLoad } else { Kind::VStore }),
        _ => return Err(TrapKind::Undefined),
    };
    let imm = (sext(bits(w, 21, 15) as u64, 7) * bytes as i64) as u64;
    let (rt2, rn, rt) = (bits(w, 14, 10), bits(w, 9, 5), bits(w, 4, 0));
    let base = cx.x_sp(rn);
    let moved = cx.b.add_imm(base, imm);
    let addr = if idx == 1 { base } else { moved };
    let addr2 = cx.b.add_imm(addr, bytes as u64);
    if load && !v {
        // Both loads happen before either register is written, so `ldp x0, x1, [x0]` works.
        let ty = Type::int(bytes * 8);
        let a = cx.load(ty, addr);
        let b = cx.load(ty, addr2);
        for (r, val) in [(rt, a), (rt2, b)] {
            let x = if kind == Kind::LoadSx64 {
                cx.b.sext(Type::I64, val)
            } else {
                cx.b.zext_or_trunc(Type::I64, val)
            };
            cx.set_x(r, x);
        }
    } else if load {
        let ty = if bytes == 16 {
            Type::V128
        } else {
            Type::int(bytes * 8)
        };
        let a = cx.load(ty, addr);
        let b = cx.load(ty, addr2);
        cx.set_v_scalar(rt, a);
        cx.set_v_scalar(rt2, b);
    } else {
        transfer(cx, kind, bytes, rt, addr);
        transfer(cx, kind, bytes, rt2, addr2);
    }
    if idx & 1 == 1 {
        cx.set_x_sp(rn, moved);
    }
    Ok(())
}

/// LDXR, LDAXR (B/H/W/X) and LDXP, LDAXP: load and open a reservation in the monitor.
pub fn load_exclusive(cx: &mut Ctx, w: u32) -> LiftResult {
    let pair = bit(w, 21);
    let size = bits(w, 31, 30);
    let bytes = 1u32 << size;
    let (rt2, rn, rt) = (bits(w, 14, 10), bits(w, 9, 5), bits(w, 4, 0));
    let addr = cx.x_sp(rn);
    let ty = Type::int(bytes * 8);
    let first = cx.load(ty, addr);
    let first = cx.b.zext_or_trunc(Type::I64, first);
    let second = if pair {
        let a2 = cx.b.add_imm(addr, bytes as u64);
        let s = cx.load(ty, a2);
        Some(cx.b.zext_or_trunc(Type::I64, s))
    } else {
        None
    };
    if bit(w, 15) {
        cx.b.fence();
    }
    let total = if pair { bytes * 2 } else { bytes };
    cx.b.set_reg(state::EXCL_ADDR, addr);
    cx.b.set_reg(state::EXCL_VAL, first);
    let size_v = cx.b.const64(total as u64);
    cx.b.set_reg(state::EXCL_SIZE, size_v);
    cx.set_x(rt, first);
    if let Some(s) = second {
        cx.b.set_reg(state::EXCL_VAL_HI, s);
        cx.set_x(rt2, s);
    }
    Ok(())
}

/// STXR, STLXR (B/H/W/X) and STXP, STLXP: store if the monitor holds a reservation for this
/// address and size and memory still holds the value loaded; Ws = 0 on success, 1 on failure.
///
/// Without control flow inside a block, the compare-and-swap always runs; when the monitor
/// does not match, its new value is the expected one, so memory cannot change.
pub fn store_exclusive(cx: &mut Ctx, w: u32) -> LiftResult {
    let pair = bit(w, 21);
    let size = bits(w, 31, 30);
    let bytes = 1u32 << size;
    let (rs, rt2, rn, rt) = (
        bits(w, 20, 16),
        bits(w, 14, 10),
        bits(w, 9, 5),
        bits(w, 4, 0),
    );
    let total = if pair { bytes * 2 } else { bytes };
    if bit(w, 15) {
        cx.b.fence();
    }
    let addr = cx.x_sp(rn);
    let ea = cx.b.get_reg(Type::I64, state::EXCL_ADDR);
    let es = cx.b.get_reg(Type::I64, state::EXCL_SIZE);
    let same_addr = cx.b.icmp(IntCC::Eq, ea, addr);
    let want = cx.b.const64(total as u64);
    let same_size = cx.b.icmp(IntCC::Eq, es, want);
    let matches = cx.b.and(same_addr, same_size);
    let ev = cx.b.get_reg(Type::I64, state::EXCL_VAL);
    let ok = if !pair || bytes == 4 {
        let ty = Type::int(total * 8);
        let (expected, new) = if !pair {
            let e = cx.b.zext_or_trunc(ty, ev);
            let x = cx.x(rt);
            (e, cx.b.zext_or_trunc(ty, x))
        } else {
            let eh = cx.b.get_reg(Type::I64, state::EXCL_VAL_HI);
            let lo = cx.x(rt);
            let hi = cx.x(rt2);
            (join(cx, ty, bytes, ev, eh), join(cx, ty, bytes, lo, hi))
        };
        cas_if(cx, matches, addr, expected, new)
    } else {
        // A pair of doublewords: two 64-bit compare-and-swaps, the second only if the first
        // succeeded (the engine has no 128-bit CAS yet). Atomic against other threads per
        // half only: a concurrent write to the high half between the two can tear the pair.
        let eh = cx.b.get_reg(Type::I64, state::EXCL_VAL_HI);
        let lo = cx.x(rt);
        let hi = cx.x(rt2);
        let ok_lo = cas_if(cx, matches, addr, ev, lo);
        let addr_hi = cx.b.add_imm(addr, 8);
        cas_if(cx, ok_lo, addr_hi, eh, hi)
    };
    let one = cx.b.iconst(Type::I8, 1);
    let failed = cx.b.xor(ok, one);
    let status = cx.b.zext(Type::I64, failed);
    let none = cx.b.const64(state::EXCL_NONE);
    cx.b.set_reg(state::EXCL_ADDR, none);
    cx.set_x(rs, status);
    Ok(())
}

/// Compare-and-swap of `expected` by `new` at `addr` when `cond` (i8, 0 or 1) holds; when it
/// does not, the swap writes back the expected value, so memory cannot change. Gives an i8:
/// 1 if `cond` held and memory held `expected`.
fn cas_if(cx: &mut Ctx, cond: Value, addr: Value, expected: Value, new: Value) -> Value {
    let new = cx.b.select(cond, new, expected);
    let old = cx.b.atomic_cas(addr, expected, new, Endian::Little);
    let same = cx.b.icmp(IntCC::Eq, old, expected);
    cx.b.and(cond, same)
}

/// The pair (lo, hi) of `half` bytes each, as one integer of type `ty` (little-endian order).
fn join(cx: &mut Ctx, ty: Type, half: u32, lo: Value, hi: Value) -> Value {
    let lo = cx.b.zext_or_trunc(Type::int(half * 8), lo);
    let hi = cx.b.zext_or_trunc(Type::int(half * 8), hi);
    let lo = cx.b.zext(ty, lo);
    let hi = cx.b.zext(ty, hi);
    let k = cx.b.const32(half * 8);
    let hi = cx.b.shl(hi, k);
    cx.b.or(hi, lo)
}

/// LDAR, LDLAR, LDAPR (B/H/W/X): a load, then a fence so later accesses stay after it.
pub fn load_acquire(cx: &mut Ctx, w: u32) -> LiftResult {
    let bytes = 1u32 << bits(w, 31, 30);
    let addr = cx.x_sp(bits(w, 9, 5));
    transfer(cx, Kind::Load, bytes, bits(w, 4, 0), addr);
    cx.b.fence();
    Ok(())
}

/// STLR, STLLR (B/H/W/X): fences on both sides, so earlier accesses stay before the store and
/// a later load-acquire cannot pass it (ARMv8 release is RCsc).
pub fn store_release(cx: &mut Ctx, w: u32) -> LiftResult {
    let bytes = 1u32 << bits(w, 31, 30);
    let addr = cx.x_sp(bits(w, 9, 5));
    cx.b.fence();
    transfer(cx, Kind::Store, bytes, bits(w, 4, 0), addr);
    cx.b.fence();
    Ok(())
}

// ---- FEAT_LSE ----
//
// Every LSE atomic is one host `lock`-prefixed instruction (`cmpxchg`, `cmpxchg16b`, `xadd`,
// `xchg`, or a `cmpxchg` loop), which is a full barrier on the x86-64 host (TSO): the
// acquire (A), release (L/R) and acquire-release forms need no fences of their own.
//
// Without FEAT_LSE2 (not advertised) they need natural alignment: a misaligned address is
// an alignment fault, which Linux delivers as SIGBUS (BUS_ADRALN) at the instruction, as
// qemu-aarch64 does. The host would tear (or, for `cmpxchg16b`, fault outside the guest's
// view) instead, so the lifters check first.

extern "C" fn alignment_fault(
    _s: *mut u8,
    _m: *mut u8,
    addr: u64,
    _b: u64,
    _c: u64,
    _d: u64,
) -> u64 {
    // A siginfo in the generic 64-bit layout: si_signo, si_errno, si_code, then si_addr at
    // byte 16. SIGBUS is 7 and BUS_ADRALN 1 on both the AArch64 guest and the x86-64 host.
    let mut info = [0u64; 16];
    info[0] = 7;
    info[1] = 1;
    info[2] = addr;
    xarch_linux::signal::record_sent(7, info.as_mut_ptr().cast());
    0
}

/// Records SIGBUS (BUS_ADRALN) at the given guest address for the guest; the run loop
/// delivers it (the default action kills the process by SIGBUS).
pub static ALIGNMENT_FAULT: Helper = Helper {
    name: "a64_alignment_fault",
    func: alignment_fault,
};

/// An LSE atomic's alignment check: when `addr` is not a multiple of `bytes`, records the
/// SIGBUS and leaves the block at this instruction before its access, so that the signal is
/// delivered with the guest PC at the faulting instruction.
fn check_aligned(cx: &mut Ctx, addr: Value, bytes: u32) {
    if bytes == 1 {
        return;
    }
    let low = cx.b.and_imm(addr, bytes as u64 - 1);
    let bad = cx.b.icmp_imm(IntCC::Ne, low, 0);
    let bad64 = cx.b.zext(Type::I64, bad);
    let zero = cx.b.const64(0);
    cx.b.call_helper_if(bad64, zero, &ALIGNMENT_FAULT, &[addr]);
    cx.b.exit_if(bad, cx.pc);
}

/// CAS, CASA, CASL, CASAL (B/H/W/X): if memory equals Rs (of the access size), store Rt;
/// Rs gets the old memory value, zero-extended (ARM ARM C6.2.56).
pub fn cas(cx: &mut Ctx, w: u32) -> LiftResult {
    let ty = Type::int(8 << bits(w, 31, 30));
    let (rs, rn, rt) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let addr = cx.x_sp(rn);
    check_aligned(cx, addr, ty.bytes());
    let expected = cx.x(rs);
    let expected = cx.b.zext_or_trunc(ty, expected);
    let new = cx.x(rt);
    let new = cx.b.zext_or_trunc(ty, new);
    let old = cx.b.atomic_cas(addr, expected, new, Endian::Little);
    let old = cx.b.zext_or_trunc(Type::I64, old);
    cx.set_x(rs, old);
    Ok(())
}

/// CASP, CASPA, CASPL, CASPAL (32- and 64-bit pairs): compares the pair Rs, Rs+1 with memory
/// and stores Rt, Rt+1 if equal, as one access of twice the register size (a 64-bit pair is
/// one 128-bit compare-and-swap); Rs, Rs+1 get the old pair. Rs and Rt must be even.
pub fn casp(cx: &mut Ctx, w: u32) -> LiftResult {
    let half = if bit(w, 30) { 8 } else { 4 };
    let (rs, rn, rt) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    if rs & 1 != 0 || rt & 1 != 0 {
        return Err(TrapKind::Undefined);
    }
    let ty = Type::int(half * 16);
    let addr = cx.x_sp(rn);
    check_aligned(cx, addr, ty.bytes());
    let (s0, s1) = (cx.x(rs), cx.x(rs + 1));
    let expected = join(cx, ty, half, s0, s1);
    let (t0, t1) = (cx.x(rt), cx.x(rt + 1));
    let new = join(cx, ty, half, t0, t1);
    let old = cx.b.atomic_cas(addr, expected, new, Endian::Little);
    let hty = Type::int(half * 8);
    let lo = cx.b.trunc(hty, old);
    let k = cx.b.const32(half * 8);
    let hi = cx.b.lshr(old, k);
    let hi = cx.b.trunc(hty, hi);
    let lo = cx.b.zext_or_trunc(Type::I64, lo);
    let hi = cx.b.zext_or_trunc(Type::I64, hi);
    cx.set_x(rs, lo);
    cx.set_x(rs + 1, hi);
    Ok(())
}

/// LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN, SWP (B/H/W/X, every A/R
/// variant; ST<op> is Rt = ZR): memory becomes `mem <op> Rs` atomically; Rt gets the old
/// value, zero-extended (ARM ARM C6.2 LDADD; the signed forms compare at the access size).
pub fn atomic_rmw(cx: &mut Ctx, w: u32) -> LiftResult {
    let op = match (bit(w, 15), bits(w, 14, 12)) {
        (false, 0) => AtomicOp::Add,
        (false, 1) => AtomicOp::AndNot,
        (false, 2) => AtomicOp::Xor,
        (false, 3) => AtomicOp::Or,
        (false, 4) => AtomicOp::SMax,
        (false, 5) => AtomicOp::SMin,
        (false, 6) => AtomicOp::UMax,
        (false, 7) => AtomicOp::UMin,
        (true, 0) => AtomicOp::Xchg,
        // ST64B/LD64B (FEAT_LS64) and unallocated words.
        _ => return Err(crate::disasm::classify_unknown(w)),
    };
    let ty = Type::int(8 << bits(w, 31, 30));
    let (rs, rn, rt) = (bits(w, 20, 16), bits(w, 9, 5), bits(w, 4, 0));
    let addr = cx.x_sp(rn);
    check_aligned(cx, addr, ty.bytes());
    let v = cx.x(rs);
    let v = cx.b.zext_or_trunc(ty, v);
    let old = cx.b.atomic_rmw(op, addr, v, Endian::Little);
    let old = cx.b.zext_or_trunc(Type::I64, old);
    cx.set_x(rt, old);
    Ok(())
}
