//! Power ISA Book I 3.3.7: load/store string word immediate (`lswi`, `stswi`).
//!
//! The bytes fill consecutive registers from RT on, four to a register in its low word
//! from the most significant byte down, register numbers wrapping from r31 to r0; the last
//! register's unfilled bytes are zero and, in 64-bit registers, the high word is zero. The
//! count NB is a constant (0 means 32), so each lifts to word loads/stores plus one tail.
//!
//! Only big-endian implementations have them: in little-endian mode POWER raises an
//! alignment interrupt (and Linux does not emulate it), so on ppc64le they are undefined.
//! `lswx`/`stswx` (the count in XER) are not lifted yet: they stay listed in the table.

use super::{Ctx, LiftResult};
use crate::decode::fields::{bits, ra, rt};
use xarch_translator::ir::{Endian, TrapKind, Type, Value};

/// (NB, number of registers) of a string word immediate.
fn count(ctx: &Ctx, w: u32) -> Result<(u32, u32), TrapKind> {
    if ctx.endian != Endian::Big {
        return Err(TrapKind::Undefined);
    }
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
    // Invalid form: RA among the registers loaded.
    if a != 0 && (0..nr).any(|i| (t + i) % 32 == a) {
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
