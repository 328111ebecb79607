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
//!
//! How a runner uses it (the DBT's `xarch run` and the KVM path alike):
//!
//! ```text
//!  let mut space = AddressSpace::for_abi(abi)?;
//!  let loaded = loader::load(&mut space, abi, path, &argv, &envp, execfn)?;
//!      // or load_with_sysroot(…, Some(dir)) for dynamic programs; start at loaded.entry, loaded.sp
//!  let mut sys = Syscalls::new(abi, exec_prefix);   // then set_exe_path, set_sysroot, set_strace
//!      // exec_prefix: how execve re-runs xarch on a guest program; xarch appends
//!      // `--argv0 <argv[0]> -- <program> <args…>` to it
//!  loop {
//!      run the guest until it makes a syscall (nr, args)
//!      match sys.handle(&mut space, nr, args) { Return(v) => …, Exit(code) => …, … }
//!      // Forked { child: true, .. }: set stack/TLS if given; a KVM VM or a JIT code cache
//!      // shared by memfd must be rebuilt in the child
//!      // With sys.set_threads(true): NewThread(req) → a host thread with space.share(),
//!      // sys.for_thread(), start_thread(req) before it runs; ExitThread → exit_thread()
//!      // (which also releases the thread's robust mutexes). sys.set_fork_lock(f): f takes
//!      // the runner's locks a forked child may need, held across the host fork
//!      for ev in space.take_events() { invalidate translations / update page tables }
//!  }
//! ```
//!
//! Guest threads share one address space through handles ([`AddressSpace::share`]): each
//! call locks the bookkeeping briefly, every handle gets every change in its own log, and a
//! change hook tells the other threads to look.

pub mod abi;
pub mod loader;
pub mod mem;
pub mod signal;
pub mod space;
pub mod syscalls;

pub use loader::{ElfIdent, LoadError, Loaded, elf_machine, load, load_with_sysroot};
pub use mem::{GuestAddr, GuestMemory};
pub use space::{AddressSpace, Efault, MapError, MapRequest, MemEvent, Prot, Vma, VmaKind};
pub use syscalls::{SyscallOutcome, Syscalls, ThreadRequest};
