//! The host description recorded with every result: CPU model, cores, kernel, OS and the KVM
//! backend (from /sys/module), because a number without its machine cannot be compared.

use crate::schema::Host;
use std::path::Path;

/// KVM modules that name a backend, most specific first.
const KVM_BACKENDS: &[&str] = &["kvm_pvm", "kvm_intel", "kvm_amd"];

/// Describes this machine.
pub fn describe() -> Host {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let kvm_modules: Vec<String> = std::iter::once("kvm")
        .chain(KVM_BACKENDS.iter().copied())
        .filter(|m| Path::new("/sys/module").join(m).exists())
        .map(String::from)
        .collect();
    Host {
        cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".into()),
        logical_cpus: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        os: pretty_name(&os_release).unwrap_or_else(|| "unknown".into()),
        dev_kvm: Path::new("/dev/kvm").exists(),
        kvm_backend: KVM_BACKENDS
            .iter()
            .find(|b| kvm_modules.iter().any(|m| m == *b))
            .map(|b| b.to_string()),
        kvm_modules,
    }
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

fn pretty_name(os_release: &str) -> Option<String> {
    os_release
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpuinfo_and_os_release() {
        let ci = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n";
        assert_eq!(
            cpu_model(ci).as_deref(),
            Some("Intel(R) Xeon(R) CPU @ 2.20GHz")
        );
        assert_eq!(
            pretty_name("NAME=x\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n").as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
    }

    #[test]
    fn describes_this_machine() {
        let h = describe();
        assert!(h.logical_cpus >= 1);
        assert!(!h.kernel.is_empty());
        if let Some(b) = &h.kvm_backend {
            assert!(h.kvm_modules.contains(b));
        }
    }
}
