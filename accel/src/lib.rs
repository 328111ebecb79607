//! The KVM path: native x86-64 Linux programs run in ring 3 of a one-vCPU VM; their syscalls
//! are served by `xarch-linux`, the same layer as the DBT's.
//!
//! ```text
//!  layout   the guest-physical / guest-virtual map (window, system region)
//!  paging   4-level identity page tables, kept in step with the address space
//!  vm       VM + vCPU setup (long mode, GDT/IDT/TSS, LSTAR), run → VmExit
//!  backend  kvm_intel / kvm_amd / kvm_pvm: how a syscall returns to ring 3
//!  signal   guest exceptions → Linux signals, the crash report
//!  sigframe the x86-64 rt_sigframe written from vCPU registers and XSAVE state
//!  process  load, run, serve syscalls (xarch-linux), fork into a new VM
//! ```

pub mod backend;
mod error;
pub mod layout;
pub mod paging;
pub mod process;
pub mod sigframe;
pub mod signal;
pub mod vm;

pub use backend::Backend;
pub use error::{AccelError, RunError};
pub use paging::{PageSizes, Rights};
pub use vm::{Vm, VmExit, VmStats};
