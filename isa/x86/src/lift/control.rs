//! Control transfer, stack, flag control and system instructions (SDM Vol. 1, 7.3.8,
//! 7.3.13–7.3.16): Jcc/JMP/CALL/RET/LOOP, PUSH/POP/ENTER/LEAVE, PUSHF/POPF/LAHF/SAHF,
//! CLC/STC/CMC/CLD/STD, SYSCALL, CPUID, RDTSC(P), fences, NOP forms, UD2/INT3/HLT.

use super::{BuilderExt, Ctx, Step, ty};
use crate::decode::Rm;
use crate::state::{flag, off};
use xarch_translator::ir::{Exit, Helper, IntCC, TrapKind, Type};

impl Ctx {
    fn rel_target(&self) -> u64 {
        self.next.wrapping_add(self.insn.imm as u64)
    }

    fn jcc(&mut self, cc: u8) -> Step {
        let c = self.cond(cc);
        Step::CondBranch {
            cond: c,
            taken: self.rel_target(),
        }
    }

    fn set_other_flags(&mut self, set: u64, clear: u64) {
        let o = self.b.get_reg(Type::I64, off::RFLAGS_OTHER);
        let o = self.b.and_imm(o, !clear);
        let s = self.b.const64(set);
        let o = self.b.or(o, s);
        self.b.set_reg(off::RFLAGS_OTHER, o);
    }

    /// The whole RFLAGS value as PUSHF stores it.
    pub(crate) fn rflags(&mut self) -> crate::lift::Value {
        let arith = self.flags_value();
        let other = self.b.get_reg(Type::I64, off::RFLAGS_OTHER);
        let other = self.b.and_imm(other, !flag::ARITH);
        let v = self.b.or(arith, other);
        let two = self.b.const64(2);
        self.b.or(v, two)
    }
}

/// The one-byte map's control and system instructions.
pub(crate) fn lift_primary(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let op = i.opcode;
    match op {
        0x50..=0x57 => {
            let v = cx.get_gpr(i.opreg, i.osize);
            cx.push(v);
            Step::Next
        }
        0x58..=0x5f => {
            let v = cx.pop(i.osize);
            cx.set_gpr(i.opreg, i.osize, v);
            Step::Next
        }
        0x68 | 0x6a => {
            let v = cx.imm(i.osize);
            cx.push(v);
            Step::Next
        }
        0x8f if i.ext() == 0 => {
            let v = cx.pop(i.osize);
            // The address is computed after RSP is incremented (SDM POP).
            let loc = cx.loc_rm();
            cx.write(loc, i.osize, v);
            Step::Next
        }
        0x70..=0x7f => cx.jcc(op & 15),
        0xe9 | 0xeb => Step::End(Exit::Jump {
            target: cx.rel_target(),
        }),
        0xe8 => {
            let ret = cx.b.const64(cx.next);
            cx.push(ret);
            Step::End(Exit::Jump {
                target: cx.rel_target(),
            })
        }
        0xc3 | 0xc2 => {
            let t = cx.pop(64);
            if op == 0xc2 {
                let sp = cx.rsp();
                let sp = cx.b.add_imm(sp, i.imm as u16 as u64);
                cx.b.set_reg(off::gpr(4), sp);
            }
            Step::End(Exit::Indirect { target: t })
        }
        0xc9 => {
            let bp = cx.get_gpr(5, 64);
            cx.set_gpr(4, 64, bp);
            let v = cx.pop(64);
            cx.set_gpr(5, 64, v);
            Step::Next
        }
        0xc8 if i.imm2 == 0 => {
            let bp = cx.get_gpr(5, 64);
            cx.push(bp);
            let sp = cx.rsp();
            cx.set_gpr(5, 64, sp);
            let sp = cx.b.add_imm(sp, (i.imm as u64).wrapping_neg());
            cx.set_gpr(4, 64, sp);
            Step::Next
        }
        // LOOPNE, LOOPE, LOOP, JRCXZ.
        0xe0..=0xe3 => {
            let taken = cx.rel_target();
            if op == 0xe3 {
                let c = cx.get_gpr(1, 64);
                let z = cx.b.icmp_imm(IntCC::Eq, c, 0);
                return Step::End(Exit::Branch {
                    cond: z,
                    taken,
                    not_taken: cx.next,
                });
            }
            let c = cx.get_gpr(1, 64);
            let c = cx.b.add_imm(c, u64::MAX);
            cx.set_gpr(1, 64, c);
            let nz = cx.b.icmp_imm(IntCC::Ne, c, 0);
            let cond = match op {
                0xe2 => nz,
                _ => {
                    let z = cx.flag(b'z');
                    let z = if op == 0xe0 { cx.b.xor_imm(z, 1) } else { z };
                    cx.b.and(nz, z)
                }
            };
            Step::End(Exit::Branch {
                cond,
                taken,
                not_taken: cx.next,
            })
        }
        0xff => match i.ext() {
            2 => {
                let loc = cx.loc_rm();
                let t = cx.read(loc, 64);
                let ret = cx.b.const64(cx.next);
                cx.push(ret);
                Step::End(Exit::Indirect { target: t })
            }
            4 => {
                let loc = cx.loc_rm();
                let t = cx.read(loc, 64);
                Step::End(Exit::Indirect { target: t })
            }
            // PUSH r/m: 64-bit by default in 64-bit mode (16 with 66), like PUSH r.
            6 => {
                let bits = if i.opsize_prefix { 16 } else { 64 };
                let loc = cx.loc_rm();
                let v = cx.read(loc, bits);
                cx.push(v);
                Step::Next
            }
            _ => Step::Unimplemented,
        },
        0x9c => {
            let v = cx.rflags();
            let v = cx.b.zext_or_trunc(ty(i.osize), v);
            cx.push(v);
            Step::Next
        }
        0x9d => {
            let v = cx.pop(i.osize);
            let v = cx.b.zext_or_trunc(Type::I64, v);
            cx.set_flags_value(v);
            // User mode may change DF, TF, AC and ID; IF and IOPL stay.
            let modifiable = flag::DF | flag::ID | (1 << 18) | flag::TF;
            let keep = cx.b.get_reg(Type::I64, off::RFLAGS_OTHER);
            let keep = cx.b.and_imm(keep, !modifiable);
            let new = cx.b.and_imm(v, modifiable);
            let o = cx.b.or(keep, new);
            cx.b.set_reg(off::RFLAGS_OTHER, o);
            Step::Next
        }
        // SAHF/LAHF: SF, ZF, AF, PF, CF <-> AH.
        0x9e => {
            let ah = cx.get_high_byte(0);
            let ah = cx.b.zext(Type::I64, ah);
            let low = flag::SF | flag::ZF | flag::AF | flag::PF | flag::CF;
            let ah = cx.b.and_imm(ah, low);
            let f = cx.flags_value();
            let f = cx.b.and_imm(f, !low);
            let f = cx.b.or(f, ah);
            cx.set_flags_value(f);
            Step::Next
        }
        0x9f => {
            let f = cx.flags_value();
            let f = cx.b.trunc(Type::I8, f);
            let f = cx.b.and_imm(f, 0xd5);
            let two = cx.b.iconst(Type::I8, 2);
            let f = cx.b.or(f, two);
            cx.set_high_byte(0, f);
            Step::Next
        }
        0xf5 | 0xf8 | 0xf9 => {
            let f = cx.flags_value();
            let f = match op {
                0xf5 => cx.b.xor_imm(f, flag::CF),
                0xf8 => cx.b.and_imm(f, !flag::CF),
                _ => {
                    let c = cx.b.const64(flag::CF);
                    cx.b.or(f, c)
                }
            };
            cx.set_flags_value(f);
            Step::Next
        }
        0xfc => {
            cx.set_other_flags(0, flag::DF);
            Step::Next
        }
        0xfd => {
            cx.set_other_flags(flag::DF, 0);
            Step::Next
        }
        0xcc => Step::End(Exit::Trap {
            kind: TrapKind::Breakpoint,
            pc: cx.pc,
        }),
        // HLT, INT n, ICEBP, IN/OUT/INS/OUTS, CLI/STI: #GP in user mode, which Linux delivers as
        // SIGSEGV. The IR has no such trap kind: the block exits to the tagged address, whose
        // fetch fails (see `GP_FAULT_TAG`).
        0xf4 | 0xcd | 0xf1 | 0xe4..=0xe7 | 0xec..=0xef | 0x6c..=0x6f | 0xfa | 0xfb => {
            Step::End(Exit::Jump {
                target: GP_FAULT_TAG | cx.pc,
            })
        }
        _ => Step::Unimplemented,
    }
}

/// The 0F map's control and system instructions.
pub(crate) fn lift_0f(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    let op = i.opcode;
    match op {
        0x80..=0x8f => cx.jcc(op & 15),
        0x05 => {
            // SYSCALL: RCX = return address, R11 = RFLAGS (SDM SYSCALL).
            let ret = cx.b.const64(cx.next);
            cx.set_gpr(1, 64, ret);
            let f = cx.rflags();
            cx.set_gpr(11, 64, f);
            Step::End(Exit::Syscall { next: cx.next })
        }
        0x0b | 0xb9 | 0xff => Step::Undefined,
        // MOV to/from control and debug registers, CLTS, INVD, WBINVD, WRMSR, RDMSR, RDPMC: #GP.
        0x20..=0x23 | 0x06 | 0x08 | 0x09 | 0x30 | 0x32 | 0x33 => Step::End(Exit::Jump {
            target: GP_FAULT_TAG | cx.pc,
        }),
        0xa2 => {
            let leaf = cx.get_gpr(0, 32);
            let sub = cx.get_gpr(1, 32);
            let leaf = cx.b.zext(Type::I64, leaf);
            let sub = cx.b.zext(Type::I64, sub);
            let mut out = Vec::new();
            for r in 0..4u64 {
                let which = cx.b.const64(r);
                let v = cx.b.call_helper(&CPUID, &[leaf, sub, which]);
                out.push(cx.b.trunc(Type::I32, v));
            }
            // EAX, EBX, ECX, EDX are GPRs 0, 3, 1, 2.
            for (r, v) in [0u8, 3, 1, 2].into_iter().zip(out) {
                cx.set_gpr(r, 32, v);
            }
            Step::Next
        }
        0x31 => {
            let t = cx.b.call_helper(&RDTSC, &[]);
            rdtsc_split(cx, t);
            Step::Next
        }
        0x01 if i.modrm_mod == 3
            && i.reg & 7 == 7
            && matches!(i.rm, Some(Rm::Reg(r)) if r & 7 == 1) =>
        {
            // RDTSCP: ECX = IA32_TSC_AUX (0: one CPU).
            let t = cx.b.call_helper(&RDTSC, &[]);
            rdtsc_split(cx, t);
            let z = cx.b.const32(0);
            cx.set_gpr(1, 32, z);
            Step::Next
        }
        // Hint NOPs: NOP r/m (1F), PREFETCHh (18), reserved hints (19–1E, ENDBR64 = F3 0F 1E FA),
        // PREFETCHW (0D).
        0x0d | 0x18..=0x1f => Step::Next,
        0xae if i.modrm_mod == 3 => match i.ext() {
            5..=7 => {
                cx.b.fence();
                Step::Next
            }
            _ => Step::Unimplemented,
        },
        0xae => match (i.ext(), i.rm) {
            // LDMXCSR / STMXCSR.
            // The guest MXCSR lives in the host's while the guest runs (see `mxcsr.rs`); a
            // reserved bit set is #GP (SIGSEGV).
            (2, Some(Rm::Mem(m))) => {
                let a = cx.addr(&m);
                let v = cx.load(Type::I32, a);
                let bad =
                    cx.b.icmp_imm(IntCC::Ugt, v, u64::from(super::mxcsr::MXCSR_VALID));
                cx.b.exit_if(bad, GP_FAULT_TAG | cx.pc);
                cx.b.set_reg(off::MXCSR, v);
                let v = cx.b.zext(Type::I64, v);
                cx.b.call_helper(&super::mxcsr::LDMXCSR, &[v]);
                Step::Next
            }
            (3, Some(Rm::Mem(m))) => {
                let a = cx.addr(&m);
                let v = cx.b.get_reg(Type::I32, off::MXCSR);
                let v = cx.b.zext(Type::I64, v);
                let v = cx.b.call_helper(&super::mxcsr::STMXCSR, &[v]);
                let v = cx.b.trunc(Type::I32, v);
                cx.store(a, v);
                Step::Next
            }
            // CLFLUSH: no cache to flush.
            (7, _) if i.rep.is_none() && !i.opsize_prefix => Step::Next,
            _ => Step::Unimplemented,
        },
        _ => Step::Unimplemented,
    }
}

fn rdtsc_split(cx: &mut Ctx, t: crate::lift::Value) {
    let lo = cx.b.trunc(Type::I32, t);
    let sh = cx.b.const64(32);
    let hi = cx.b.lshr(t, sh);
    let hi = cx.b.trunc(Type::I32, hi);
    cx.set_gpr(0, 32, lo);
    cx.set_gpr(2, 32, hi);
}

/// Guest PCs at `GP_FAULT_TAG | pc` name "the instruction at `pc` raised #GP" (SIGSEGV on
/// Linux). Non-canonical, so never real code: lifting one fails as an instruction fetch fault
/// at `pc`, which the engine delivers as SIGSEGV at that address.
pub const GP_FAULT_TAG: u64 = 0x6b00_0000_0000_0000;

/// CPUID.1:EDX as xarch advertises it: FPU, TSC, CX8, CMOV, CLFSH, MMX (`mmx.rs`), FXSR, SSE,
/// SSE2 — also the x86-64 AT_HWCAP. With SYSCALL and LM of leaf 0x8000_0001 this is glibc's
/// x86-64 baseline ISA level, which its dynamic loader requires.
pub const CPUID1_EDX: u32 =
    1 | (1 << 4) | (1 << 8) | (1 << 15) | (1 << 19) | (1 << 23) | (1 << 24) | (1 << 25) | (1 << 26);
/// CPUID.1:ECX: SSE3 (0), SSSE3 (9), CX16 (13), SSE4.1 (19), SSE4.2 (20), POPCNT (23) — each
/// set complete in `sse.rs`/`sse4.rs` (FISTTP in `x87.rs`, CMPXCHG16B in `alu.rs`) and checked
/// against the host CPU by the differential test. Not PCLMULQDQ, MOVBE, AVX, MONITOR.
pub const CPUID1_ECX: u32 = 1 | (1 << 9) | (1 << 13) | (1 << 19) | (1 << 20) | (1 << 23);

/// The CPUID leaves xarch presents: vendor GenuineIntel (so glibc reads cache sizes from
/// leaf 4), family 6, and only the features implemented here.
pub fn cpuid(leaf: u32, sub: u32) -> [u32; 4] {
    const fn s(b: &[u8; 4]) -> u32 {
        u32::from_le_bytes(*b)
    }
    match leaf {
        0 => [7, s(b"Genu"), s(b"ntel"), s(b"ineI")],
        1 => [0x0000_06f1, (8 << 8) | (1 << 16), CPUID1_ECX, CPUID1_EDX],
        // Leaf 2: one iteration, descriptor 0xff: "see leaf 4".
        2 => [0x00ff_0001, 0, 0, 0],
        4 => match sub {
            // type | level << 5;  ways-1 << 22 | line-1;  sets-1.
            0 => [0x21 | (1 << 8), (7 << 22) | 63, 63, 0],
            1 => [0x22 | (1 << 8), (7 << 22) | 63, 63, 0],
            2 => [0x43 | (1 << 8), (15 << 22) | 63, 1023, 0],
            3 => [0x63 | (1 << 8), (15 << 22) | 63, 8191, 0],
            _ => [0; 4],
        },
        0x8000_0000 => [0x8000_0008, 0, 0, 0],
        // LAHF/SAHF in 64-bit mode; SYSCALL, NX, RDTSCP, LM.
        0x8000_0001 => [0, 0, 1, (1 << 11) | (1 << 20) | (1 << 27) | (1 << 29)],
        0x8000_0002..=0x8000_0004 => {
            let brand = *b"xarch DBT x86-64 guest CPU\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
            let k = ((leaf - 0x8000_0002) * 16) as usize;
            let w = |j: usize| {
                u32::from_le_bytes([
                    brand[k + j],
                    brand[k + j + 1],
                    brand[k + j + 2],
                    brand[k + j + 3],
                ])
            };
            [w(0), w(4), w(8), w(12)]
        }
        0x8000_0008 => [0x3030, 0, 0, 0],
        _ => [0; 4],
    }
}

extern "C" fn cpuid_helper(
    _st: *mut u8,
    _mem: *mut u8,
    leaf: u64,
    sub: u64,
    which: u64,
    _d: u64,
) -> u64 {
    u64::from(cpuid(leaf as u32, sub as u32)[which as usize & 3])
}

extern "C" fn rdtsc_helper(_st: *mut u8, _mem: *mut u8, _a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RDTSC has no memory effects and is available on every x86-64 CPU.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    }
}

/// One register of a CPUID leaf: (leaf, subleaf, 0..4 for EAX/EBX/ECX/EDX).
static CPUID: Helper = Helper {
    name: "x86_cpuid",
    func: cpuid_helper,
};
/// The host time-stamp counter.
static RDTSC: Helper = Helper {
    name: "x86_rdtsc",
    func: rdtsc_helper,
};
