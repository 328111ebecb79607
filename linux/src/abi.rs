//! Per-arch Linux ABI description. Each `isa/<arch>` crate defines one `static Abi`; the
//! x86-64 one lives here ([`x86_64::ABI`]) because it is also the host's ABI and the KVM path
//! needs it without depending on a frontend.
//!
//! The syscall layer works on canonical names ([`Sysno`]) and host values; an `Abi` says how a
//! guest differs: its syscall numbers, its `struct stat`, the `O_*` bits and ioctl numbers
//! that are not the generic ones, its byte order and word size.

mod sysno;
pub mod x86_64;

pub use sysno::Sysno;

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

/// The layout of the guest's `struct stat` (what `fstat`/`newfstatat` write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatLayout {
    /// asm-generic 64-bit `struct stat` (AArch64, RISC-V): 128 bytes, `st_mode` before
    /// `st_nlink`, 32-bit `st_nlink` and `st_blksize`.
    Generic64,
    /// x86-64 `struct stat`: 144 bytes, 64-bit `st_nlink` before `st_mode`.
    X86_64,
    /// powerpc64 `struct stat`: 144 bytes, like x86-64 with the same field order.
    Ppc64,
    /// 32-bit big-endian powerpc `struct stat64` (for `fstat64`): 104 bytes.
    Ppc32Stat64,
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
    /// `uname -m` (the `machine` field of `struct utsname`).
    pub uname_machine: &'static str,
    /// AT_HWCAP and AT_HWCAP2: only what the frontend implements.
    pub hwcap: u64,
    pub hwcap2: u64,
    /// AT_MINSIGSTKSZ, on arches whose kernel reports it.
    pub minsigstksz: Option<u64>,
    /// Further auxv entries the arch's kernel adds (PowerPC: the cache block sizes that
    /// glibc's `memset` uses with `dcbz`).
    pub extra_auxv: &'static [(u64, u64)],
    /// The guest's syscall number → canonical name; None for numbers the arch does not have.
    pub syscall: fn(u64) -> Option<Sysno>,
    /// The guest's `struct stat`.
    pub stat: StatLayout,
    /// clone's argument order: true for `(flags, stack, ptid, tls, ctid)` (CONFIG_CLONE_BACKWARDS:
    /// AArch64, PowerPC), false for x86-64's `(flags, stack, ptid, ctid, tls)`.
    pub clone_backwards: bool,
    /// `O_*` bits whose guest value differs from the host's, as (guest, host) pairs. Bits not
    /// listed have the same value on both sides.
    pub open_flags: &'static [(u32, u32)],
    /// ioctl request numbers whose guest value differs from the host's, as (guest, host).
    pub ioctls: &'static [(u32, u32)],
    /// Stack pointer alignment at process entry, in bytes.
    pub stack_align: u64,
    /// The guest's page size (AT_PAGESZ); xarch maps guest memory in host pages of 4 KiB, so
    /// this must be a multiple of 4096.
    pub page_size: u64,
}

impl Abi {
    /// Bytes in a guest `long`/pointer.
    pub fn word_size(&self) -> usize {
        if self.is_64bit { 8 } else { 4 }
    }

    /// True when the guest's plain C structs (`timespec`, `iovec`, `rusage`, `sigset_t`, …)
    /// have the host's (x86-64) layout and byte order, so a host syscall may write them into
    /// guest memory directly. False for 32-bit or big-endian guests, which need conversion.
    pub fn host_struct_layout(&self) -> bool {
        self.is_64bit && self.endian == Endian::Little
    }

    /// The guest's syscall number translated to a name.
    pub fn sysno(&self, nr: u64) -> Option<Sysno> {
        (self.syscall)(nr)
    }

    /// Guest `open`/`fcntl(F_SETFL)` flags → host flags.
    pub fn open_flags_to_host(&self, guest: u32) -> u32 {
        translate_bits(guest, self.open_flags.iter().map(|&(g, h)| (g, h)))
    }

    /// Host `fcntl(F_GETFL)` flags → guest flags.
    pub fn open_flags_to_guest(&self, host: u32) -> u32 {
        translate_bits(host, self.open_flags.iter().map(|&(g, h)| (h, g)))
    }

    /// Guest ioctl request → host request (identity unless the arch lists it).
    pub fn ioctl_to_host(&self, guest: u32) -> u32 {
        self.ioctls
            .iter()
            .find(|&&(g, _)| g == guest)
            .map_or(guest, |&(_, h)| h)
    }

    /// Encodes a guest word (`long`, pointer) in the guest's size and byte order.
    pub fn put_word(&self, out: &mut Vec<u8>, v: u64) {
        match (self.is_64bit, self.endian) {
            (true, Endian::Little) => out.extend_from_slice(&v.to_le_bytes()),
            (true, Endian::Big) => out.extend_from_slice(&v.to_be_bytes()),
            (false, Endian::Little) => out.extend_from_slice(&(v as u32).to_le_bytes()),
            (false, Endian::Big) => out.extend_from_slice(&(v as u32).to_be_bytes()),
        }
    }

    /// Decodes a guest word from the start of `b` (zero-extended).
    pub fn get_word(&self, b: &[u8]) -> u64 {
        match (self.is_64bit, self.endian) {
            (true, Endian::Little) => u64::from_le_bytes(b[..8].try_into().unwrap()),
            (true, Endian::Big) => u64::from_be_bytes(b[..8].try_into().unwrap()),
            (false, Endian::Little) => u32::from_le_bytes(b[..4].try_into().unwrap()) as u64,
            (false, Endian::Big) => u32::from_be_bytes(b[..4].try_into().unwrap()) as u64,
        }
    }

    /// Encodes a 32-bit value in the guest's byte order.
    pub fn put_u32(&self, out: &mut Vec<u8>, v: u32) {
        match self.endian {
            Endian::Little => out.extend_from_slice(&v.to_le_bytes()),
            Endian::Big => out.extend_from_slice(&v.to_be_bytes()),
        }
    }

    /// Encodes a 64-bit value in the guest's byte order.
    pub fn put_u64(&self, out: &mut Vec<u8>, v: u64) {
        match self.endian {
            Endian::Little => out.extend_from_slice(&v.to_le_bytes()),
            Endian::Big => out.extend_from_slice(&v.to_be_bytes()),
        }
    }

    /// Decodes a 32-bit value in the guest's byte order from the start of `b`.
    pub fn get_u32(&self, b: &[u8]) -> u32 {
        let w: [u8; 4] = b[..4].try_into().expect("4 bytes");
        match self.endian {
            Endian::Little => u32::from_le_bytes(w),
            Endian::Big => u32::from_be_bytes(w),
        }
    }

    /// Decodes a 64-bit value in the guest's byte order from the start of `b`.
    pub fn get_u64(&self, b: &[u8]) -> u64 {
        let w: [u8; 8] = b[..8].try_into().expect("8 bytes");
        match self.endian {
            Endian::Little => u64::from_le_bytes(w),
            Endian::Big => u64::from_be_bytes(w),
        }
    }

    /// Encodes a kernel `sigset_t` (signal `n` is bit `n - 1`): an array of guest words, so
    /// a 32-bit guest has signals 1..32 in its first word whatever its byte order.
    pub fn put_sigset(&self, out: &mut Vec<u8>, set: u64) {
        if self.is_64bit {
            self.put_u64(out, set);
        } else {
            self.put_u32(out, set as u32);
            self.put_u32(out, (set >> 32) as u32);
        }
    }

    /// Decodes a kernel `sigset_t` from the start of `b` (8 bytes).
    pub fn get_sigset(&self, b: &[u8]) -> u64 {
        if self.is_64bit {
            self.get_word(b)
        } else {
            self.get_word(b) | self.get_word(&b[4..]) << 32
        }
    }
}

/// Moves each listed `from` bit to its `to` bit; other bits pass unchanged.
fn translate_bits(v: u32, pairs: impl Iterator<Item = (u32, u32)> + Clone) -> u32 {
    let listed_from: u32 = pairs.clone().fold(0, |m, (f, _)| m | f);
    let mut out = v & !listed_from;
    for (f, t) in pairs {
        if v & f != 0 {
            out |= t;
        }
    }
    out
}

/// Syscall numbers from 424 on: since Linux 5.1 every architecture takes new calls from one
/// shared table, so the arch tables end by falling back to this one. (An arch that does not
/// wire a call, such as `memfd_secret` on PowerPC, says so before falling back.)
pub fn unified_sysno(nr: u64) -> Option<Sysno> {
    use Sysno::*;
    Some(match nr {
        424 => PidfdSendSignal,
        425 => IoUringSetup,
        426 => IoUringEnter,
        427 => IoUringRegister,
        428 => OpenTree,
        429 => MoveMount,
        430 => Fsopen,
        431 => Fsconfig,
        432 => Fsmount,
        433 => Fspick,
        434 => PidfdOpen,
        435 => Clone3,
        436 => CloseRange,
        437 => Openat2,
        438 => PidfdGetfd,
        439 => Faccessat2,
        440 => ProcessMadvise,
        441 => EpollPwait2,
        442 => MountSetattr,
        443 => QuotactlFd,
        444 => LandlockCreateRuleset,
        445 => LandlockAddRule,
        446 => LandlockRestrictSelf,
        447 => MemfdSecret,
        448 => ProcessMrelease,
        449 => FutexWaitv,
        450 => SetMempolicyHomeNode,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An AArch64-like O_ table: O_DIRECTORY, O_NOFOLLOW, O_DIRECT, O_LARGEFILE differ.
    static TEST_ABI: Abi = Abi {
        arch: Arch::Aarch64,
        elf_machine: 183,
        is_64bit: true,
        endian: Endian::Little,
        platform: "aarch64",
        uname_machine: "aarch64",
        hwcap: 0,
        hwcap2: 0,
        minsigstksz: None,
        extra_auxv: &[],
        syscall: |_| None,
        stat: StatLayout::Generic64,
        clone_backwards: true,
        open_flags: &[
            (0o40000, 0o200000),
            (0o100000, 0o400000),
            (0o200000, 0o40000),
            (0o400000, 0o100000),
        ],
        ioctls: &[(0x1234, 0x5401)],
        stack_align: 16,
        page_size: 4096,
    };

    #[test]
    fn open_flags_round_trip() {
        // O_RDONLY|O_DIRECTORY|O_CLOEXEC in AArch64 values → host values.
        let g = 0o40000 | 0o2000000;
        let h = TEST_ABI.open_flags_to_host(g);
        assert_eq!(h, 0o200000 | 0o2000000);
        assert_eq!(TEST_ABI.open_flags_to_guest(h), g);
        // Swapped bits do not leak into each other.
        assert_eq!(TEST_ABI.open_flags_to_host(0o200000), 0o40000);
    }

    #[test]
    fn words_follow_size_and_endianness() {
        let mut v = Vec::new();
        TEST_ABI.put_word(&mut v, 0x0102_0304_0506_0708);
        assert_eq!(v, [8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(TEST_ABI.get_word(&v), 0x0102_0304_0506_0708);
        assert_eq!(TEST_ABI.ioctl_to_host(0x1234), 0x5401);
        assert_eq!(TEST_ABI.ioctl_to_host(0x5413), 0x5413);
    }

    #[test]
    fn a_32_bit_sigset_is_two_words_low_first() {
        let be32 = Abi {
            is_64bit: false,
            endian: Endian::Big,
            ..x86_64::BASE
        };
        let mut v = Vec::new();
        be32.put_sigset(&mut v, 1 << 9 | 1 << 40);
        assert_eq!(v, [0, 0, 2, 0, 0, 0, 1, 0]);
        assert_eq!(be32.get_sigset(&v), 1 << 9 | 1 << 40);
        let mut v = Vec::new();
        TEST_ABI.put_sigset(&mut v, 1 << 9 | 1 << 40);
        assert_eq!(v, [0, 2, 0, 0, 0, 1, 0, 0]);
        assert_eq!(TEST_ABI.get_sigset(&v), 1 << 9 | 1 << 40);
    }

    #[test]
    fn numbers_from_424_are_shared_by_every_arch() {
        assert_eq!(unified_sysno(424), Some(Sysno::PidfdSendSignal));
        assert_eq!(unified_sysno(435), Some(Sysno::Clone3));
        assert_eq!(unified_sysno(423), None);
        for abi in [&x86_64::ABI] {
            assert_eq!(abi.sysno(437), Some(Sysno::Openat2));
        }
    }
}
