//! Per-arch Linux ABI description. Each `isa/<arch>` crate defines one `static Abi`.

/// Guest architectures xarch knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    Aarch64,
    X86_64,
    Ppc64le,
    Ppc,
}

/// Byte order of the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    Little,
    Big,
}

/// What the Linux layer needs to know about one guest architecture.
#[derive(Debug)]
pub struct Abi {
    pub arch: Arch,
    /// `e_machine` of the arch's ELF files.
    pub elf_machine: u16,
    /// 64-bit (ELFCLASS64) or 32-bit.
    pub is_64bit: bool,
    pub endian: Endian,
    /// AT_PLATFORM string.
    pub platform: &'static str,
    /// AT_HWCAP and AT_HWCAP2: only what the frontend implements.
    pub hwcap: u64,
    pub hwcap2: u64,
}
