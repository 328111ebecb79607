//! xarch's dynamic binary translator.
//!
//! ```text
//!  guest code ─► Frontend::lift ─► ir::Block ─► opt passes ─┬─► interp   (tier 0, counts runs)
//!                (isa/<arch>)                               └─► lower ─► Cranelift ─► host code
//!                                                               (hot blocks, chained by tail calls)
//! ```
//!
//! The engine owns the block cache (guest PC → block, tier, counters, code), runs cold blocks
//! in the IR interpreter and compiles hot ones; it returns to its caller for what only the
//! caller can do: system calls and traps. The Linux layer (`xarch-linux`) serves those.

pub mod engine;
pub mod frontend;
pub mod interp;
pub mod ir;
mod jit;
pub mod lower;
pub mod opt;
mod signals;
pub mod state;
pub mod stats;
pub mod testing;

pub use engine::{
    CpuState, Engine, EngineError, EngineOptions, FlatSpace, GuestSpace, RunExit, Show,
};
pub use frontend::{CodeBuffer, CodeMemory, Frontend, LiftError, SyscallArgs};
pub use interp::BlockExit;
pub use state::StateBytes;
pub use stats::Stats;
