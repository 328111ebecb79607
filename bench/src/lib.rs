//! xarch's bench harness: runs workloads × paths (native, KVM, the DBT per guest, qemu-user),
//! measures each process, and writes one versioned results file.
//!
//! ```text
//!  paths (table) ─┐
//!  workloads ─────┼─► runner ─► measure (spawn, wait4 rusage) ─► schema::Results ─► export
//!  host ──────────┘     │ warm-up, N rounds interleaved              │ stats            JSON/CSV/MD/text
//!                       └─ progress (bar or lines)                   └─ reports crate: charts, HTML
//! ```
//!
//! The harness drives the `xarch` binary and other tools as processes rather than linking the
//! engine, so each path is measured the way a user runs it, start-up included, and a path
//! joins the matrix by one line in [`paths::PATHS`].

pub mod export;
pub mod host;
pub mod measure;
pub mod paths;
pub mod progress;
pub mod runner;
pub mod schema;
pub mod stats;

pub use schema::Results;
