//! AArch64 guest frontend: the A64 decoder, the lifter to xarch IR, the CPU state layout and
//! the Linux ABI conventions.
//!
//! ```text
//!   guest bytes ─► decode (tables per ARM ARM C4.1 group) ─► lift/<class>.rs ─► ir::Block
//!                  decode/{dp_imm,branch,ldst,dp_reg,fp,simd}.rs     ▲
//!                                              lift::Ctx (registers, NZCV, conditions)
//! ```
//!
//! The state is [`state::CpuState`]; lifted code reaches it by byte offset.

mod abi;
pub mod decode;
pub mod disasm;
pub mod helpers_crypto;
pub mod helpers_fp;
pub mod lift;
pub mod signal;
pub mod state;

use state::CpuState;
use xarch_linux::abi::Abi;
use xarch_translator::StateBytes;
use xarch_translator::frontend::{
    CodeMemory, Frontend, LiftError, SignalError, SignalFrame, SignalMemory, SyscallArgs,
};
use xarch_translator::ir;

/// The AArch64 frontend.
pub struct Aarch64;

impl Frontend for Aarch64 {
    fn name(&self) -> &'static str {
        "aarch64"
    }

    fn state_size(&self) -> usize {
        std::mem::size_of::<CpuState>()
    }

    fn pc_offset(&self) -> u32 {
        state::PC
    }

    fn lift(&self, pc: u64, code: &dyn CodeMemory) -> Result<ir::Block, LiftError> {
        lift::lift_block(pc, code)
    }

    fn disassemble(&self, pc: u64, bytes: &[u8]) -> String {
        disasm::disassemble(pc, bytes)
    }

    fn max_insn_bytes(&self) -> usize {
        4
    }

    fn abi(&self) -> &'static Abi {
        &abi::ABI
    }

    fn init_state(&self, state: &mut [u8], entry: u64, sp: u64) {
        let s = CpuState {
            pc: entry,
            sp,
            ..CpuState::default()
        };
        s.write_to(state);
        // FPCR = 0 and a clear FPSR, on the host too (lifted FP arithmetic is host SSE).
        helpers_fp::reset_host_fp_state(0);
    }

    fn syscall_args(&self, st: &[u8]) -> SyscallArgs {
        let mut args = [0u64; 6];
        for (i, a) in args.iter_mut().enumerate() {
            *a = state::read_u64(st, state::x_off(i as u32));
        }
        SyscallArgs {
            nr: state::read_u64(st, state::x_off(8)),
            args,
        }
    }

    fn set_syscall_result(&self, st: &mut [u8], ret: i64) {
        state::write_u64(st, state::x_off(0), ret as u64);
    }

    fn set_thread_pointer(&self, st: &mut [u8], tp: u64) {
        state::write_u64(st, state::TPIDR_EL0, tp);
    }

    fn thread_pointer(&self, st: &[u8]) -> u64 {
        state::read_u64(st, state::TPIDR_EL0)
    }

    fn setup_signal_frame(
        &self,
        st: &mut [u8],
        mem: &mut dyn SignalMemory,
        frame: &SignalFrame<'_>,
    ) -> Result<(), SignalError> {
        signal::setup(st, mem, frame)
    }

    fn restore_signal_frame(
        &self,
        st: &mut [u8],
        mem: &mut dyn SignalMemory,
    ) -> Result<u64, SignalError> {
        signal::restore(st, mem)
    }

    fn sigreturn_trampoline(&self) -> Option<&'static [u8]> {
        Some(&signal::SIGRETURN_TRAMPOLINE)
    }

    fn supports_signals(&self) -> bool {
        true
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

    fn words(ws: &[u32]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn abi_state_accessors() {
        let f = Aarch64;
        let mut st = vec![0u8; f.state_size()];
        f.init_state(&mut st, 0x40_0000, 0x7fff_0000);
        let s = CpuState::from_bytes(&st);
        assert_eq!((s.pc, s.sp, s.x[0]), (0x40_0000, 0x7fff_0000, 0));
        let mut s = s;
        s.x[8] = 64;
        for i in 0..6 {
            s.x[i] = 100 + i as u64;
        }
        s.write_to(&mut st);
        let a = f.syscall_args(&st);
        assert_eq!(a.nr, 64);
        assert_eq!(a.args, [100, 101, 102, 103, 104, 105]);
        f.set_syscall_result(&mut st, -14);
        assert_eq!(CpuState::from_bytes(&st).x[0], -14i64 as u64);
        f.set_thread_pointer(&mut st, 0xdead);
        assert_eq!(f.thread_pointer(&st), 0xdead);
        assert_eq!(CpuState::from_bytes(&st).tpidr_el0, 0xdead);
    }

    #[test]
    fn fetch_fault_on_first_instruction_only() {
        let bytes = words(&[0xd503_201f]); // nop
        let code = CodeBuffer {
            base: 0x1000,
            bytes: &bytes,
        };
        assert_eq!(
            Aarch64.lift(0x2000, &code),
            Err(LiftError::FetchFault { pc: 0x2000 })
        );
        let b = Aarch64.lift(0x1000, &code).unwrap();
        assert_eq!(b.exit, Exit::Jump { target: 0x1004 });
        assert_eq!(b.guest_insns, 1);
    }

    #[test]
    fn undefined_word_ends_the_block_with_a_trap() {
        // nop; .inst 0x00010000 (unallocated)
        let bytes = words(&[0xd503_201f, 0x0001_0000]);
        let code = CodeBuffer {
            base: 0x1000,
            bytes: &bytes,
        };
        let b = Aarch64.lift(0x1000, &code).unwrap();
        assert_eq!(
            b.exit,
            Exit::Trap {
                kind: TrapKind::Undefined,
                pc: 0x1004
            }
        );
    }
}
