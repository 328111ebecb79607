//! The x86-64 guest frontend: decodes x86-64 machine code from opcode-map tables and lifts it
//! to xarch IR; describes the x86-64 CPU state and Linux ABI.
//!
//! ```text
//!  guest bytes ─► decode (tables.rs: primary, 0F, 0F38, 0F3A) ─► Insn ─► lift/<class>.rs ─► ir::Block
//! ```

pub mod abi;
pub mod decode;
pub mod disasm;
pub mod lift;
pub mod signal;
pub mod state;
pub mod x87;

pub use lift::{CPUID1_ECX, CPUID1_EDX, DIVIDE_TRAP_TAG, GP_FAULT_TAG, X86Frontend, cpuid};
