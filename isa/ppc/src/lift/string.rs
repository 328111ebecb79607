//! Power ISA Book I 3.3.7: load/store string word (`lswi`, `stswi`, `lswx`, `stswx`).
//!
//! The bytes fill consecutive registers from RT on, four to a register in its low word
//! from the most significant byte down, register numbers wrapping from r31 to r0; the last
//! register's unfilled bytes are zero and, in 64-bit registers, the high word is zero.
//!
//! - `lswi`/`stswi`: the count NB is a constant (0 means 32), so each lifts to word
//!   loads/stores plus one tail.
//! - `lswx`/`stswx`: the count is XER[57:63] (0..=127), known only at run time, and the IR
//!   has no loops. Both lift to a bounded, unrolled sequence of 127 byte accesses in which
//!   every access past the count is redirected to the last byte in range (EA + n - 1), an
//!   address the instruction touches anyway: no access can fault that the instruction
//!   would not, so faults stay precise without a helper. Loads past the count are dropped
//!   by selects; stores run from the highest byte down, so the redirected stores to
//!   EA + n - 1 are overwritten by the true last byte. A count of 0 does nothing (RT is
//!   undefined by the ISA and left as it was, as qemu does).
//!
//! Only big-endian implementations have them: in little-endian mode POWER raises an
//! alignment interrupt (and Linux does not emulate it), so on ppc64le they are undefined.

use super::{Ctx, LiftResult};
use crate::decode::fields::{bits, ra, rb, rt};
use crate::state;
use xarch_translator::ir::{Endian, Exit, IntCC, TrapKind, Type, Value};

/// Longest `lswx`/`stswx` transfer: XER[57:63] is seven bits.
const MAX_X_BYTES: u32 = 127;

/// String instructions exist only in big-endian mode.
fn big_endian_only(ctx: &Ctx) -> LiftResult {
    if ctx.endian != Endian::Big {
        return Err(TrapKind::Undefined);
    }
    Ok(())
}

/// (NB, number of registers) of a string word immediate.
fn count(ctx: &Ctx, w: u32) -> Result<(u32, u32), TrapKind> {
    big_endian_only(ctx)?;
    let nb = match bits(w, 16, 20) {
        0 => 32,
        n => n,
    };
    Ok((nb, nb.div_ceil(4)))
}

/// lswi RT,RA,NB.
pub fn lswi(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (nb, nr) = count(ctx, w)?;
    let (t, a) = (rt(w), ra(w));
    // Invalid form: RA among the registers loaded, "including the case in which RA=0"
    // (Power ISA Book I 3.3.7; qemu raises the illegal-instruction program interrupt too).
    if (0..nr).any(|i| (t + i) % 32 == a) {
        return Err(TrapKind::Undefined);
    }
    let base = ctx.gpr_or0(a);
    let base = ctx.ea(base);
    for i in 0..nr {
        let left = (nb - 4 * i).min(4);
        let at = |ctx: &mut Ctx, k: u32| {
            let a = ctx.b.add_imm(base, u64::from(4 * i + k));
            ctx.ea(a)
        };
        let v = match left {
            4 => {
                let a = at(ctx, 0);
                ctx.load(Type::I32, a)
            }
            _ => {
                // 1..3 bytes: the first two as a halfword, then a byte, left-aligned.
                let mut v = ctx.b.const32(0);
                let mut k = 0;
                while k < left {
                    let ty = if left - k >= 2 { Type::I16 } else { Type::I8 };
                    let a = at(ctx, k);
                    let part = ctx.load(ty, a);
                    let part = ctx.b.zext(Type::I32, part);
                    let size = if ty == Type::I16 { 2 } else { 1 };
                    let sh = ctx.b.const32(8 * (4 - k - size));
                    let part = ctx.b.shl(part, sh);
                    v = ctx.b.or(v, part);
                    k += size;
                }
                v
            }
        };
        ctx.set_gpr_zext32((t + i) % 32, v);
    }
    Ok(())
}

/// stswi RS,RA,NB.
pub fn stswi(ctx: &mut Ctx, w: u32) -> LiftResult {
    let (nb, nr) = count(ctx, w)?;
    let (s, a) = (rt(w), ra(w));
    let base = ctx.gpr_or0(a);
    let base = ctx.ea(base);
    // Read every source register before the first store (a store cannot change them, but
    // this keeps the order of the IR plain).
    let regs: Vec<Value> = (0..nr).map(|i| ctx.gpr32((s + i) % 32)).collect();
    for (i, &v) in regs.iter().enumerate() {
        let i = i as u32;
        let left = (nb - 4 * i).min(4);
        let mut k = 0;
        while k < left {
            let (ty, size) = if left - k >= 4 {
                (Type::I32, 4)
            } else if left - k >= 2 {
                (Type::I16, 2)
            } else {
                (Type::I8, 1)
            };
            let sh = ctx.b.const32(8 * (4 - k - size));
            let part = ctx.b.lshr(v, sh);
            let part = if ty == Type::I32 {
                part
            } else {
                ctx.b.trunc(ty, part)
            };
            let a = ctx.b.add_imm(base, u64::from(4 * i + k));
            let a = ctx.ea(a);
            ctx.store(a, part);
            k += size;
        }
    }
    Ok(())
}

/// XER[57:63] as i64, after leaving the instruction at once (to the next one) when it is 0.
fn x_count(ctx: &mut Ctx) -> Value {
    let bc = ctx.flag(state::XER_BC);
    let bc = ctx.b.and_imm(bc, 0x7f);
    let n = ctx.b.zext(Type::I64, bc);
    let none = ctx.b.icmp_imm(IntCC::Eq, n, 0);
    let next = ctx.next_pc();
    ctx.b.exit_if(none, next);
    n
}

/// Address of byte `k` of a string of `n` (> 0) bytes at `ea`, or of its last byte when `k`
/// is past the end; and whether `k` is in range (i8).
fn x_byte_addr(ctx: &mut Ctx, ea: Value, n: Value, last: Value, k: u32) -> (Value, Value) {
    let inside = ctx.b.icmp_imm(IntCC::Ugt, n, u64::from(k));
    let kk = ctx.b.const64(u64::from(k));
    let off = ctx.b.select(inside, kk, last);
    let a = ctx.b.add(ea, off);
    (ctx.ea(a), inside)
}

/// lswx RT,RA,RB: XER[57:63] bytes from (RA|0)+(RB) into RT, RT+1, ...
pub fn lswx(ctx: &mut Ctx, w: u32) -> LiftResult {
    big_endian_only(ctx)?;
    let (t, a, b) = (rt(w), ra(w), rb(w));
    let ea = ctx.ea_x(a, b);
    let n = x_count(ctx);
    let last = ctx.b.add_imm(n, u64::MAX);
    // Invalid form (Book I 3.3.7): RA (also when 0) or RB among the registers loaded, which
    // includes RT = RA and RT = RB. Register r is loaded when n > 4 * ((r - RT) mod 32).
    let dist = ((a + 32 - t) % 32).min((b + 32 - t) % 32);
    let invalid = ctx.b.icmp_imm(IntCC::Ugt, n, u64::from(4 * dist));
    let zero8 = ctx.b.iconst(Type::I8, 0);
    for i in 0..MAX_X_BYTES.div_ceil(4) {
        let mut v = ctx.b.const32(0);
        for j in 0..4 {
            let k = 4 * i + j;
            if k >= MAX_X_BYTES {
                break;
            }
            let (addr, inside) = x_byte_addr(ctx, ea, n, last, k);
            let byte = ctx.load(Type::I8, addr);
            let byte = ctx.b.select(inside, byte, zero8);
            let byte = ctx.b.zext(Type::I32, byte);
            let sh = ctx.b.const32(8 * (3 - j));
            let byte = ctx.b.shl(byte, sh);
            v = ctx.b.or(v, byte);
        }
        let r = (t + i) % 32;
        let v = ctx.b.zext(Type::I64, v);
        let v = if i == 0 {
            v
        } else {
            let used = ctx.b.icmp_imm(IntCC::Ugt, n, u64::from(4 * i));
            let old = ctx.gpr(r);
            ctx.b.select(used, v, old)
        };
        ctx.set_gpr(r, v);
    }
    // An invalid form raises the illegal-instruction interrupt (SIGILL, as on qemu). The
    // check comes after the loads: a trap ends the process, so the registers written before
    // it are never seen.
    let valid = ctx.b.icmp_imm(IntCC::Eq, invalid, 0);
    let next = ctx.next_pc();
    ctx.b.exit_if(valid, next);
    ctx.end_block(Exit::Trap {
        kind: TrapKind::Undefined,
        pc: ctx.pc,
    });
    Ok(())
}

/// stswx RS,RA,RB: XER[57:63] bytes of RS, RS+1, ... to (RA|0)+(RB).
pub fn stswx(ctx: &mut Ctx, w: u32) -> LiftResult {
    big_endian_only(ctx)?;
    let (s, a, b) = (rt(w), ra(w), rb(w));
    let ea = ctx.ea_x(a, b);
    let n = x_count(ctx);
    let last = ctx.b.add_imm(n, u64::MAX);
    let regs: Vec<Value> = (0..MAX_X_BYTES.div_ceil(4))
        .map(|i| ctx.gpr32((s + i) % 32))
        .collect();
    // From the highest byte down: a byte past the count goes to EA + n - 1, which the
    // store of byte n - 1 overwrites afterwards.
    for k in (0..MAX_X_BYTES).rev() {
        let (addr, _) = x_byte_addr(ctx, ea, n, last, k);
        let sh = ctx.b.const32(8 * (3 - k % 4));
        let byte = ctx.b.lshr(regs[(k / 4) as usize], sh);
        let byte = ctx.b.trunc(Type::I8, byte);
        ctx.store(addr, byte);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::state::{self, CpuState};
    use crate::{PPC32, PPC64LE, Ppc};
    use xarch_translator::frontend::Frontend;
    use xarch_translator::ir::{Exit, TrapKind};
    use xarch_translator::{CodeBuffer, StateBytes, testing};

    const PC: u64 = 0x1000;
    const DATA: u64 = 0x8000;

    /// Runs `words` (big-endian ppc32) on both tiers from `init` with `data` at DATA; both
    /// tiers must agree. Gives the state and the 16 bytes at DATA.
    fn run(words: &[u32], init: CpuState, data: &[u8]) -> (CpuState, Vec<u8>) {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        let code = CodeBuffer {
            base: PC,
            bytes: &bytes,
        };
        let block = PPC32.lift(PC, &code).expect("lift");
        let mut out = Vec::new();
        for tier in 0..2 {
            let mem = testing::test_memory(&[(DATA, DATA + 0x1000)]);
            // SAFETY: DATA..DATA+0x1000 is mapped read-write in this test window.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    data.as_ptr(),
                    mem.base().add(DATA as usize),
                    data.len(),
                )
            };
            let mut s = init;
            s.pc = PC;
            let mut st = s.as_bytes().to_vec();
            if tier == 0 {
                testing::run_block_interp(&block, &mut st, &mem, state::PC);
            } else {
                testing::run_block_jit(&block, &mut st, &mem, state::PC).expect("jit");
            }
            let mut m = vec![0u8; 16];
            // SAFETY: as above.
            unsafe {
                std::ptr::copy_nonoverlapping(mem.base().add(DATA as usize), m.as_mut_ptr(), 16)
            };
            out.push((CpuState::from_bytes(&st), m));
        }
        assert_eq!(out[0], out[1], "interpreter and compiled code differ");
        out.remove(0)
    }

    #[test]
    fn lswi_fills_registers_and_wraps_to_r0() {
        let data: Vec<u8> = (1..=16).collect();
        let mut s = CpuState::default();
        s.gpr[3] = DATA;
        s.gpr[0] = 0xdead;
        s.gpr[31] = u64::MAX;
        // lswi r30,r3,11: r30 = 01020304, r31 = 05060708, r0 = 090a0b00.
        let (r, _) = run(&[0x7fc3_5caa], s, &data);
        assert_eq!(
            (r.gpr[30], r.gpr[31], r.gpr[0]),
            (0x0102_0304, 0x0506_0708, 0x090a_0b00)
        );
        // lswi r5,r3,1 and NB = 0 (32 bytes) from r8.
        let (r, _) = run(&[0x7ca3_0caa, 0x7d03_04aa], s, &data);
        assert_eq!(r.gpr[5], 0x0100_0000);
        assert_eq!((r.gpr[8], r.gpr[11]), (0x0102_0304, 0x0d0e_0f10));
    }

    #[test]
    fn stswi_stores_the_leading_bytes() {
        let mut s = CpuState::default();
        s.gpr[3] = DATA;
        s.gpr[6] = 0x1122_3344;
        s.gpr[7] = 0x5566_7788;
        // stswi r6,r3,7: 11 22 33 44 55 66 77, the 8th byte untouched.
        let (_, m) = run(&[0x7cc3_3daa], s, &[0xee; 16]);
        assert_eq!(&m[..8], &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0xee]);
    }

    #[test]
    fn indexed_forms_lift_to_a_bounded_block() {
        // lswx r5, r3, r4 and stswx r5, r3, r4: 127 byte accesses each, no loop.
        for w in [0x7ca3_242a_u32, 0x7ca3_252a] {
            let bytes = w.to_be_bytes();
            let code = CodeBuffer {
                base: PC,
                bytes: &bytes,
            };
            let block = PPC32.lift(PC, &code).expect("lift");
            let n = block.insts.len();
            println!("{w:#010x}: {n} IR instructions");
            assert!((127..2000).contains(&n), "{w:#010x}: {n} IR instructions");
        }
    }

    #[test]
    fn invalid_and_little_endian_forms_trap() {
        let lift = |f: &Ppc, w: u32| {
            let bytes = if f.is64 {
                w.to_le_bytes()
            } else {
                w.to_be_bytes()
            };
            let code = CodeBuffer {
                base: PC,
                bytes: &bytes,
            };
            f.lift(PC, &code).unwrap().exit
        };
        let trap = Exit::Trap {
            kind: TrapKind::Undefined,
            pc: PC,
        };
        // lswi r3,r4,8 loads r3 and r4: RA in range.
        assert_eq!(lift(&PPC32, 0x7c64_44aa), trap);
        // lswi on ppc64le.
        assert_eq!(lift(&PPC64LE, 0x7fc3_5caa), trap);
    }
}
