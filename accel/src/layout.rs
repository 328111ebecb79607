//! Where the VM's own structures live: the guest-physical and guest-virtual map.
//!
//! ```text
//!  guest physical                         guest virtual
//!  0 .. window size   guest memory   <->  0 .. window size   (identity, ring 3, per VMA rights)
//!  SYS_GPA ..         system region  <->  SYS_VA ..          (supervisor only)
//!     +0x0000 GDT   +0x1000 IDT   +0x2000 TSS   +0x3000 ring-0 stubs
//!     +0x4000..0x8000 ring-0 stack (exception frames)   +0x10000.. page-table pool
//! ```
//!
//! The guest program's memory is identity-mapped so that a guest virtual address is its own
//! guest physical address, and the host finds it at `window base + address`: syscall arguments
//! need no translation beyond what the Linux layer already does for the DBT.

/// Guest-physical address of the system region: just above a 1 TiB guest window.
pub const SYS_GPA: u64 = 1 << 40;
/// Guest-virtual address of the system region: the top PML4 slot, out of reach of ring 3.
pub const SYS_VA: u64 = 0xffff_ff80_0000_0000;
/// Size of the system region (host memory is touched only where used).
pub const SYS_SIZE: u64 = 64 << 20;

pub const GDT_OFF: u64 = 0x0000;
pub const IDT_OFF: u64 = 0x1000;
pub const TSS_OFF: u64 = 0x2000;
pub const STUB_OFF: u64 = 0x3000;
/// Offset of the `syscall` entry (LSTAR) inside the stub page.
pub const SYSCALL_ENTRY: u64 = STUB_OFF;
/// Offset of the first exception stub; vector `v` is at `EXC_STUBS + 4 * v`.
pub const EXC_STUBS: u64 = STUB_OFF + 0x100;
/// An address in the system region that is never mapped: LSTAR where `syscall` must fault
/// its way into ring 0 (see `vm::Vm::lstar`).
pub const SYSCALL_TRAP: u64 = 0x9000;
/// The `syscall` entry that exits by an MMIO store (see `vm::SyscallExit::Mmio`).
pub const SYSCALL_MMIO_ENTRY: u64 = STUB_OFF + 0x10;
/// A ring-0 loop that exits by port I/O at every turn (`out PORT_RAW, al ; jmp back`): the
/// cheapest guest entry and exit there is, for `Vm::raw_round_trips`.
pub const RAW_LOOP: u64 = STUB_OFF + 0x40;
pub const PORT_RAW: u16 = 0xe1;
/// Virtual page (offset in the system region's range) mapped to MMIO_GPA.
pub const MMIO_OFF: u64 = 0xa000;
/// A guest-physical page with no memory behind it: a store there is a KVM_EXIT_MMIO.
pub const MMIO_GPA: u64 = SYS_GPA + SYS_SIZE;
pub const STACK_TOP_OFF: u64 = 0x8000;
/// Pages of the system region mapped in the guest's virtual space (GDT .. stack).
pub const SYS_MAPPED_PAGES: u64 = STACK_TOP_OFF / 0x1000;
/// The page-table pool: PML4 first, then tables allocated as mappings appear.
pub const PT_POOL_OFF: u64 = 0x10000;

/// I/O port the `syscall` entry writes to.
pub const PORT_SYSCALL: u16 = 0xe0;
/// I/O port base of the exception stubs: vector `v` writes to `PORT_EXC_BASE + v`.
pub const PORT_EXC_BASE: u16 = 0x80;
/// Number of exception vectors with a stub (the architectural ones).
pub const EXC_VECTORS: u64 = 32;

/// GDT selectors, in Linux's order so that `syscall`/`sysret` use the usual STAR values.
pub const KERNEL_CS: u16 = 0x08;
pub const KERNEL_DS: u16 = 0x10;
pub const USER_DS: u16 = 0x23;
pub const USER_CS: u16 = 0x2b;
pub const TSS_SEL: u16 = 0x30;
