//! Which KVM implementation serves `/dev/kvm`: it decides how a syscall returns to ring 3.
//!
//! On VT-x and AMD-V the ring-0 entry can `sysretq` itself. Under `kvm_pvm` (software-assisted
//! KVM, no hardware virtualisation) ring-0 code is emulated and `sysretq` ends the VM with
//! `KVM_EXIT_SHUTDOWN`, so the host sets the ring-3 registers itself.

use std::path::Path;

/// The KVM backend found on this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Intel,
    Amd,
    Pvm,
    /// `/dev/kvm` works but no known module is loaded (e.g. built into the kernel).
    Unknown,
}

impl Backend {
    /// Looks at `/sys/module` for the loaded KVM vendor module.
    pub fn detect() -> Backend {
        Self::detect_in(Path::new("/sys/module"))
    }

    fn detect_in(sys_module: &Path) -> Backend {
        // kvm_pvm first: it can be loaded next to a (then unused) vendor module.
        if sys_module.join("kvm_pvm").exists() {
            Backend::Pvm
        } else if sys_module.join("kvm_intel").exists() {
            Backend::Intel
        } else if sys_module.join("kvm_amd").exists() {
            Backend::Amd
        } else {
            Backend::Unknown
        }
    }

    /// The module's name, as printed by `--stats`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Intel => "kvm_intel",
            Backend::Amd => "kvm_amd",
            Backend::Pvm => "kvm_pvm",
            Backend::Unknown => "unknown",
        }
    }

    /// True where the ring-0 stub may return with `sysretq` (hardware virtualisation).
    /// Elsewhere the host sets the ring-3 state, which works everywhere but costs a
    /// `KVM_SET_SREGS` per syscall.
    pub fn sysret_in_guest(self) -> bool {
        matches!(self, Backend::Intel | Backend::Amd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_from_module_directories() {
        let dir = std::env::temp_dir().join(format!("xarch-accel-backend-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("kvm")).unwrap();
        assert_eq!(Backend::detect_in(&dir), Backend::Unknown);
        std::fs::create_dir_all(dir.join("kvm_amd")).unwrap();
        assert_eq!(Backend::detect_in(&dir), Backend::Amd);
        std::fs::create_dir_all(dir.join("kvm_pvm")).unwrap();
        assert_eq!(Backend::detect_in(&dir), Backend::Pvm);
        assert!(!Backend::Pvm.sysret_in_guest());
        assert!(Backend::Amd.sysret_in_guest());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
