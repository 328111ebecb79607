//! Synchronisation and cache management: fences, `dcbz`, and the cache hints that are
//! decoded but do nothing here.

use super::{Ctx, LiftResult};
use crate::decode::fields::{ra, rb};
use xarch_translator::ir::TrapKind;

/// Data cache block size `dcbz` clears (POWER8: 128 bytes; 32 on 32-bit implementations).
pub fn dcbz_size(is64: bool) -> u64 {
    if is64 { 128 } else { 32 }
}

/// sync, lwsync, eieio, isync: a full fence (stronger than each needs, never weaker).
pub fn fence(ctx: &mut Ctx, _w: u32) -> LiftResult {
    ctx.b.fence();
    Ok(())
}

/// dcbt, dcbtst, dcbst, dcbf, icbi, icbt: cache hints and flushes, no effect on results.
pub fn nop(_ctx: &mut Ctx, _w: u32) -> LiftResult {
    Ok(())
}

/// dcbz: zeroes the aligned cache block holding the effective address.
pub fn dcbz(ctx: &mut Ctx, w: u32) -> LiftResult {
    let size = dcbz_size(ctx.is64);
    let a = ctx.ea_x(ra(w), rb(w));
    let base = ctx.b.and_imm(a, !(size - 1));
    let z = ctx.b.const64(0);
    for i in 0..size / 8 {
        let addr = ctx.b.add_imm(base, 8 * i);
        ctx.b.store(addr, z, ctx.endian);
    }
    Ok(())
}

/// scv LEV (system call vectored, Power ISA 3.0): an illegal instruction here. xarch presents
/// a POWER8 (ISA 2.07), which has no `scv`; Linux offers `scv 0` only on ISA 3.0 CPUs, with
/// PPC_FEATURE2_SCV in AT_HWCAP2 (Documentation/arch/powerpc/syscall64-abi.rst), and even
/// there a process gets SIGILL while the facility is off. xarch's AT_HWCAP2 has no SCV bit,
/// so glibc and musl use `sc`, and a program that tries `scv` gets SIGILL as on a POWER8.
pub fn scv(_ctx: &mut Ctx, _w: u32) -> LiftResult {
    Err(TrapKind::Undefined)
}
