//! PowerPC guest frontend: one decoder and lifter for 64-bit little-endian (ppc64le, ELFv2)
//! and 32-bit big-endian (ppc) Linux programs, the CPU state layout and the Linux ABI tables.
//!
//! ```text
//!   guest bytes ─► decode (tables per Power ISA book/chapter) ─► lift/<class>.rs ─► ir::Block
//!                  decode/{branch,fixed,fp,vector,storage}.rs      ▲
//!                                    lift::Ctx (mode width, byte order, CR/XER rules)
//! ```
//!
//! Linux syscall convention (`sc`): number in r0, arguments in r3..r8, result in r3; an error
//! returns the positive errno in r3 with CR0.SO set, success clears CR0.SO.

pub mod abi;
pub mod decode;
pub mod disasm;
pub mod helpers;
pub mod lift;
pub mod signal;
pub mod state;

use state::CpuState;
use xarch_linux::abi::Abi;
use xarch_translator::StateBytes;
use xarch_translator::frontend::{
    CodeMemory, Frontend, LiftError, SignalError, SignalFrame, SignalMemory, SyscallArgs,
};
use xarch_translator::ir::{self, Endian};

/// The PowerPC frontend in one of its two Linux configurations.
pub struct Ppc {
    pub is64: bool,
    pub endian: Endian,
}

/// ppc64le (ELFv2).
pub const PPC64LE: Ppc = Ppc {
    is64: true,
    endian: Endian::Little,
};

/// 32-bit big-endian powerpc.
pub const PPC32: Ppc = Ppc {
    is64: false,
    endian: Endian::Big,
};

impl Ppc {
    /// The frontend for an ELF file: ppc64le when `is64`, else 32-bit big-endian.
    pub fn for_elf(is64: bool) -> Ppc {
        if is64 { PPC64LE } else { PPC32 }
    }
}

/// The frontend for `src/arches.rs`: ppc64le when `is64`, else 32-bit big-endian.
pub fn frontend(is64: bool) -> std::sync::Arc<dyn Frontend> {
    std::sync::Arc::new(Ppc::for_elf(is64))
}

impl Frontend for Ppc {
    fn name(&self) -> &'static str {
        if self.is64 { "ppc64le" } else { "ppc" }
    }

    fn state_size(&self) -> usize {
        std::mem::size_of::<CpuState>()
    }

    fn pc_offset(&self) -> u32 {
        state::PC
    }

    fn lift(&self, pc: u64, code: &dyn CodeMemory) -> Result<ir::Block, LiftError> {
        lift::lift_block(pc, code, self.is64, self.endian)
    }

    fn disassemble(&self, pc: u64, bytes: &[u8]) -> String {
        disasm::disassemble(pc, bytes, self.is64, self.endian)
    }

    fn max_insn_bytes(&self) -> usize {
        4
    }

    fn abi(&self) -> &'static Abi {
        if self.is64 {
            &abi::PPC64LE
        } else {
            &abi::PPC32
        }
    }

    fn init_state(&self, st: &mut [u8], entry: u64, sp: u64) {
        let mut s = CpuState {
            pc: entry,
            ..CpuState::default()
        };
        s.gpr[1] = sp;
        // ELFv2: r12 holds the entry point's address (global entry computes the TOC from it).
        s.gpr[12] = entry;
        // FPSCR: round to nearest, no traps enabled.
        s.fpscr = 0;
        s.write_to(st);
    }

    fn syscall_args(&self, st: &[u8]) -> SyscallArgs {
        let mask = if self.is64 { u64::MAX } else { 0xffff_ffff };
        let mut args = [0u64; 6];
        for (i, a) in args.iter_mut().enumerate() {
            *a = state::read_u64(st, state::gpr_off(3 + i as u32)) & mask;
        }
        SyscallArgs {
            nr: state::read_u64(st, state::gpr_off(0)) & mask,
            args,
        }
    }

    fn set_syscall_result(&self, st: &mut [u8], ret: i64) {
        let so = state::cr_off(3) as usize;
        if (-4095..0).contains(&ret) {
            state::write_u64(st, state::gpr_off(3), ret.unsigned_abs());
            st[so] = 1;
        } else {
            let v = if self.is64 {
                ret as u64
            } else {
                ret as u64 & 0xffff_ffff
            };
            state::write_u64(st, state::gpr_off(3), v);
            st[so] = 0;
        }
    }

    fn set_thread_pointer(&self, st: &mut [u8], tp: u64) {
        // The thread pointer is r13 on ppc64, r2 on ppc32.
        let r = if self.is64 { 13 } else { 2 };
        state::write_u64(st, state::gpr_off(r), tp);
    }

    fn thread_pointer(&self, st: &[u8]) -> u64 {
        let r = if self.is64 { 13 } else { 2 };
        state::read_u64(st, state::gpr_off(r))
    }

    fn supports_signals(&self) -> bool {
        true
    }

    fn setup_signal_frame(
        &self,
        state: &mut [u8],
        mem: &mut dyn SignalMemory,
        frame: &SignalFrame<'_>,
    ) -> Result<(), SignalError> {
        signal::setup(state, mem, frame, self.is64)
    }

    fn restore_signal_frame(
        &self,
        state: &mut [u8],
        mem: &mut dyn SignalMemory,
    ) -> Result<u64, SignalError> {
        signal::restore(state, mem, self.is64)
    }

    fn sigreturn_trampoline(&self) -> Option<&'static [u8]> {
        Some(if self.is64 {
            &signal::SIGRETURN_TRAMPOLINE_LE
        } else {
            &signal::SIGRETURN_TRAMPOLINE_BE
        })
    }

    fn syscall_insn_len(&self) -> u64 {
        4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xarch_translator::CodeBuffer;
    use xarch_translator::ir::{Exit, TrapKind};

    #[test]
    fn abi_state_accessors() {
        let f = PPC64LE;
        let mut st = vec![0u8; f.state_size()];
        f.init_state(&mut st, 0x1000_0000, 0x7fff_0000);
        let mut s = CpuState::from_bytes(&st);
        assert_eq!(
            (s.pc, s.gpr[1], s.gpr[12]),
            (0x1000_0000, 0x7fff_0000, 0x1000_0000)
        );
        s.gpr[0] = 64;
        for i in 0..6 {
            s.gpr[3 + i] = 100 + i as u64;
        }
        s.write_to(&mut st);
        let a = f.syscall_args(&st);
        assert_eq!(a.nr, 64);
        assert_eq!(a.args, [100, 101, 102, 103, 104, 105]);
        f.set_syscall_result(&mut st, -14);
        let s = CpuState::from_bytes(&st);
        assert_eq!((s.gpr[3], s.cr[3]), (14, 1));
        f.set_syscall_result(&mut st, 7);
        let s = CpuState::from_bytes(&st);
        assert_eq!((s.gpr[3], s.cr[3]), (7, 0));
        f.set_thread_pointer(&mut st, 0xdead);
        assert_eq!(f.thread_pointer(&st), 0xdead);
        assert_eq!(CpuState::from_bytes(&st).gpr[13], 0xdead);
    }

    #[test]
    fn fetch_fault_and_trap() {
        // nop; .long 0x04000000 (primary opcode 1: not allocated)
        let bytes: Vec<u8> = [0x6000_0000u32, 0x0400_0000]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let code = CodeBuffer {
            base: 0x1000,
            bytes: &bytes,
        };
        assert_eq!(
            PPC64LE.lift(0x2000, &code),
            Err(LiftError::FetchFault { pc: 0x2000 })
        );
        let b = PPC64LE.lift(0x1000, &code).unwrap();
        assert_eq!(
            b.exit,
            Exit::Trap {
                kind: TrapKind::Undefined,
                pc: 0x1004
            }
        );
    }

    #[test]
    fn big_endian_words_are_fetched_big_endian() {
        let bytes = 0x6000_0000u32.to_be_bytes();
        let code = CodeBuffer {
            base: 0x1000,
            bytes: &bytes,
        };
        let b = PPC32.lift(0x1000, &code).unwrap();
        assert_eq!(b.exit, Exit::Jump { target: 0x1004 });
    }
}
