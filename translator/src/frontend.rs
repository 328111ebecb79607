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

/// Guest memory as signal delivery sees it (the run loop implements it over the address space).
pub trait SignalMemory {
    /// Reads guest bytes; false if any byte is not mapped readable.
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> bool;
    /// Writes guest bytes; false if any byte is not mapped writable.
    fn write(&mut self, addr: u64, data: &[u8]) -> bool;
}

/// One guest signal to deliver: what the arch's signal frame needs.
#[derive(Clone, Copy, Debug)]
pub struct SignalFrame<'a> {
    /// Guest signal number (1..=64).
    pub sig: u32,
    /// The guest `siginfo_t` (128 bytes, the generic 64-bit Linux layout).
    pub info: &'a [u8; 128],
    /// The guest handler's address.
    pub handler: u64,
    /// The guest's `sa_flags` (SA_SIGINFO selects the three-argument call).
    pub flags: u64,
    /// Where the handler returns to (the guest's `sa_restorer` or a trampoline that calls
    /// `rt_sigreturn`).
    pub restorer: u64,
    /// The signal mask of the interrupted code, saved in the frame's `uc_sigmask`.
    pub mask: u64,
}

/// Why a signal frame could not be built or restored.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SignalError {
    /// The frontend has no signal frame code (every DBT frontend has it now).
    #[error("guest signal delivery is not supported for this architecture")]
    Unsupported,
    /// The guest stack at this address cannot hold (or does not hold) a signal frame.
    #[error("bad guest signal frame at {0:#x}")]
    BadFrame(u64),
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

    /// The length of the instruction at the start of `bytes`, where the ISA's instructions
    /// vary in length and it decodes; error reports show only its bytes. `None`: show
    /// `max_insn_bytes`.
    fn insn_len(&self, _bytes: &[u8]) -> Option<usize> {
        None
    }

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

    /// True if the frontend builds signal frames (the methods below). False (the default):
    /// guest handlers are recorded but never run, and host signals keep the host's action.
    fn supports_signals(&self) -> bool {
        false
    }

    /// Pushes the arch's Linux `rt_sigframe` for `frame` on the guest stack and points the
    /// state at the handler (arguments, stack pointer, return address). The default is
    /// [`SignalError::Unsupported`]: the run loop then treats the signal as fatal.
    fn setup_signal_frame(
        &self,
        _state: &mut [u8],
        _mem: &mut dyn SignalMemory,
        _frame: &SignalFrame<'_>,
    ) -> Result<(), SignalError> {
        Err(SignalError::Unsupported)
    }

    /// At an `rt_sigreturn` syscall exit: restores the interrupted state from the frame the
    /// guest stack points at and returns the signal mask saved there.
    fn restore_signal_frame(
        &self,
        _state: &mut [u8],
        _mem: &mut dyn SignalMemory,
    ) -> Result<u64, SignalError> {
        Err(SignalError::Unsupported)
    }

    /// Guest code that calls `rt_sigreturn`, for handlers installed without SA_RESTORER (the
    /// kernel's vDSO `sigtramp`); the run loop maps it executable once. None: the guest's
    /// libc always passes a restorer.
    fn sigreturn_trampoline(&self) -> Option<&'static [u8]> {
        None
    }

    /// Length in bytes of the syscall instruction (to restart a syscall with SA_RESTART,
    /// the PC goes back by this much). 0: restarting is not supported.
    fn syscall_insn_len(&self) -> u64 {
        0
    }
}
