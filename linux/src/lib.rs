//! The Linux user-mode ABI that xarch's DBT and KVM paths share.
//!
//! ```text
//!  ELF file ─► loader ─► address space (guest window, VMAs) + initial stack (argv, envp, auxv)
//!  guest syscall (arch number) ─► abi table ─► Sysno ─► syscalls ─► host kernel
//! ```
//!
//! Everything here is written once for all guests: per-arch differences (syscall numbers,
//! struct layouts, auxv values, endianness) come from an [`abi::Abi`] table that each
//! `isa/<arch>` crate provides.

pub mod abi;
pub mod mem;
