//! The contract between the engine and a guest ISA frontend (`isa/<arch>`).
//!
//! A frontend decodes guest machine code and lifts it to [`ir::Block`]s; it also knows its
//! CPU state layout and its Linux ABI (how a syscall passes its number and arguments). It
//! knows nothing of Cranelift or of the engine's caches.

use crate::ir;
use thiserror::Error;

/// Where a frontend reads guest code from: the guest address space, or a test buffer.
pub trait CodeMemory {
    /// Fills `buf` with the guest bytes at `addr`; false if any byte is not mapped executable.
    fn read_code(&self, addr: u64, buf: &mut [u8]) -> bool;
}

/// Code at `[base, base + bytes.len())`, for tests and tools.
pub struct CodeBuffer<'a> {
    pub base: u64,
    pub bytes: &'a [u8],
}

impl CodeMemory for CodeBuffer<'_> {
    fn read_code(&self, addr: u64, buf: &mut [u8]) -> bool {
        let Some(start) = addr.checked_sub(self.base) else {
            return false;
        };
        let Some(end) = start.checked_add(buf.len() as u64) else {
            return false;
        };
        if end > self.bytes.len() as u64 {
            return false;
        }
        buf.copy_from_slice(&self.bytes[start as usize..end as usize]);
        true
    }
}

/// Why no block could be lifted at an address.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LiftError {
    /// The first instruction's bytes are not readable as code: a guest SIGSEGV at `pc`.
    #[error("instruction fetch from unmapped or non-executable address {pc:#x}")]
    FetchFault { pc: u64 },
}

/// A guest system call as the arch's ABI passes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallArgs {
    /// The guest's own syscall number (translated by the arch's ABI table).
    pub nr: u64,
    pub args: [u64; 6],
}

/// A guest ISA: decoder, lifter, CPU state layout and Linux ABI conventions.
pub trait Frontend: Send + Sync {
    /// Short name, as in `dbt-<name>` ("aarch64", "x86_64", "ppc64le", "ppc").
    fn name(&self) -> &'static str;

    /// Size in bytes of the arch's `#[repr(C)]` CPU state; the engine allocates it 16-aligned.
    fn state_size(&self) -> usize;

    /// Byte offset of the guest PC (u64) in the CPU state.
    fn pc_offset(&self) -> u32;

    /// Lifts the basic block starting at `pc` (up to the first control transfer or a size
    /// limit). An instruction that is unknown or not implemented ends the block with an
    /// [`ir::Exit::Trap`] at its address, so it faults only if it is reached.
    fn lift(&self, pc: u64, code: &dyn CodeMemory) -> Result<ir::Block, LiftError>;

    /// Disassembles the one instruction at the start of `bytes` ("ldr x0, [x1, #8]"), for
    /// error reports and the teaching views.
    fn disassemble(&self, pc: u64, bytes: &[u8]) -> String;

    /// Longest instruction in bytes (4 for AArch64 and PowerPC, 15 for x86-64).
    fn max_insn_bytes(&self) -> usize;

    /// The Linux ABI of this guest: ELF machine, syscall table, struct layouts, auxv values.
    fn abi(&self) -> &'static xarch_linux::abi::Abi;

    /// Sets up the CPU state for a new process: PC at `entry`, stack pointer `sp`, the rest as
    /// the Linux ABI of the arch requires at process entry.
    fn init_state(&self, state: &mut [u8], entry: u64, sp: u64);

    /// Reads the syscall number and arguments from the state at a syscall exit.
    fn syscall_args(&self, state: &[u8]) -> SyscallArgs;

    /// Writes a syscall's result (a value or `-errno`) back, as the arch's ABI returns it.
    fn set_syscall_result(&self, state: &mut [u8], ret: i64);

    /// Sets the thread pointer (TLS base) for `arch_prctl`/`set_tls`-style calls and clone's
    /// CLONE_SETTLS. Frontends where user code sets it itself may ignore it.
    fn set_thread_pointer(&self, state: &mut [u8], tp: u64);

    /// The thread pointer, for `arch_prctl(ARCH_GET_FS)`-style calls.
    fn thread_pointer(&self, state: &[u8]) -> u64;
}
