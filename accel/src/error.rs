//! Errors of the KVM path. Each variant's message is the one line the user sees.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum AccelError {
    /// `/dev/kvm` is missing or cannot be opened.
    #[error("/dev/kvm is not usable: {}", std::io::Error::from_raw_os_error(*.0))]
    NoKvm(i32),
    /// A KVM ioctl failed.
    #[error("{what} failed: {}", std::io::Error::from_raw_os_error(*.1), what = .0)]
    Kvm(&'static str, i32),
    /// A host call made for the VM failed.
    #[error("{0} failed: {1}")]
    Host(&'static str, std::io::Error),
    #[error("guest window of {0:#x} bytes is larger than the VM's 1 TiB physical space")]
    WindowTooLarge(u64),
    #[error("mapping {0:#x}+{1:#x} lies outside the guest window")]
    OutsideWindow(u64, u64),
    #[error("the VM's page-table pool is full (guest address space too fragmented)")]
    PageTablesFull,
    #[error("the VM shut down (triple fault) at rip {0:#x}")]
    Shutdown(u64),
    #[error("KVM could not enter the guest (hardware reason {0:#x})")]
    FailEntry(u64),
    #[error("KVM internal error at rip {0:#x}")]
    InternalError(u64),
    #[error("unexpected VM exit {0} at rip {1:#x}")]
    UnexpectedExit(String, u64),
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Why `xarch kvm` could not run a program to its end. The message is the one line shown.
#[derive(Debug, Error)]
pub enum RunError {
    #[error("{0}")]
    Load(#[from] xarch_linux::LoadError),
    #[error("{0}: not an x86-64 program ({1}); xarch kvm runs native x86-64 Linux programs")]
    NotX86_64(String, String),
    #[error("{0}")]
    Accel(#[from] AccelError),
    #[error("{0} failed: {1}")]
    Host(&'static str, std::io::Error),
    #[error("internal error: {0}")]
    Internal(&'static str),
}
