//! The x86-64 Linux ABI as the Linux layer needs it (`xarch_linux::abi::Abi`).

use xarch_linux::abi::{Abi, Arch, Endian};

/// `EM_X86_64`.
pub const EM_X86_64: u16 = 62;

pub static ABI: Abi = Abi {
    arch: Arch::X86_64,
    elf_machine: EM_X86_64,
    is_64bit: true,
    endian: Endian::Little,
    platform: "x86_64",
    // On x86-64 AT_HWCAP is CPUID.1:EDX; only what xarch implements is advertised.
    hwcap: crate::lift::CPUID1_EDX as u64,
    // AT_HWCAP2 bit 1 (FSGSBASE) is not advertised: WRFSBASE is not implemented.
    hwcap2: 0,
    ..xarch_linux::abi::x86_64::BASE
};
