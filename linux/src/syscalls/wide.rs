//! 64-bit arguments of 32-bit guests.
//!
//! ```text
//!  ppc32 pread64(fd, buf, count, loff_t pos):  r3 fd  r4 buf  r5 count  r6 (skipped)  r7:r8 pos
//!  handlers see the 64-bit form:               a[0] fd  a[1] buf  a[2] count  a[3] pos
//! ```
//!
//! A 32-bit guest passes a 64-bit value (`loff_t`) in two argument registers. On PowerPC (as
//! on 32-bit Arm EABI and MIPS o32) the pair starts at an even argument index — r3, r5, r7 or
//! r9 — so a register is skipped when the value would start at an odd one, and the high word
//! comes first (big-endian). The syscall layer's handlers take the 64-bit ABI's form (one
//! argument per value), so 32-bit guests' arguments are widened once, here, before dispatch.
//! A few 32-bit calls also reorder their arguments to keep the pairs aligned
//! (`fadvise64_64`, `sync_file_range2`); they are widened into the order of the 64-bit call
//! the handler serves. `long`/`off_t` arguments of a 32-bit guest are sign-extended.

use crate::abi::{Abi, Arch, Endian, Sysno};

/// One argument of a call's C prototype, as a 32-bit guest passes it.
#[derive(Clone, Copy)]
enum Arg {
    /// An `int`, pointer or `size_t`: one register, zero-extended (handlers narrow `int`s).
    Word,
    /// A `long` or `off_t`: one register, sign-extended.
    Long,
    /// A `loff_t`/`u64`: a register pair (aligned where the arch aligns pairs).
    Pair,
    /// `preadv`'s `pos_l, pos_h`: two registers, low word first, never aligned.
    LowHigh,
}

/// The calls with 64-bit or signed `long` arguments, by their 32-bit prototype.
fn prototype(sys: Sysno) -> Option<&'static [Arg]> {
    use Arg::*;
    use Sysno::*;
    Some(match sys {
        Pread64 | Pwrite64 => &[Word, Word, Word, Pair],
        Readahead => &[Word, Pair, Word],
        Truncate64 | Ftruncate64 => &[Word, Pair],
        Fadvise64 => &[Word, Pair, Word, Word],
        // ppc32's fadvise64_64(fd, advice, offset, len) and sync_file_range2(fd, flags,
        // offset, nbytes) put the int second so the pairs fall on r5 and r7.
        Fadvise64_64 | SyncFileRange2 | Fallocate => &[Word, Word, Pair, Pair],
        SyncFileRange => &[Word, Pair, Pair, Word],
        Preadv | Pwritev => &[Word, Word, Word, LowHigh],
        Preadv2 | Pwritev2 => &[Word, Word, Word, LowHigh, Word],
        Lseek => &[Word, Long, Word],
        Truncate | Ftruncate => &[Word, Long],
        _ => return None,
    })
}

/// The guest's arguments of `sys` in the 64-bit form the handlers take (see the module
/// header). 64-bit guests' arguments pass unchanged.
pub(super) fn widen(abi: &Abi, sys: Sysno, a: [u64; 6]) -> [u64; 6] {
    if abi.is_64bit {
        return a;
    }
    let Some(proto) = prototype(sys) else {
        return a;
    };
    let aligned = matches!(abi.arch, Arch::Ppc);
    let reg = |i: usize| a.get(i).map_or(0, |&v| v & 0xffff_ffff);
    let mut out = [0u64; 6];
    let mut r = 0;
    for (slot, arg) in proto.iter().enumerate() {
        out[slot] = match arg {
            Arg::Word => {
                r += 1;
                reg(r - 1)
            }
            Arg::Long => {
                r += 1;
                reg(r - 1) as u32 as i32 as i64 as u64
            }
            Arg::Pair => {
                if aligned && r % 2 == 1 {
                    r += 1;
                }
                r += 2;
                let (first, second) = (reg(r - 2), reg(r - 1));
                match abi.endian {
                    Endian::Big => first << 32 | second,
                    Endian::Little => second << 32 | first,
                }
            }
            Arg::LowHigh => {
                r += 2;
                reg(r - 1) << 32 | reg(r - 2)
            }
        };
    }
    // The handlers serve the 64-bit calls' argument order.
    match sys {
        // fadvise64(fd, offset, len, advice)
        Sysno::Fadvise64_64 => [out[0], out[2], out[3], out[1], 0, 0],
        // sync_file_range(fd, offset, nbytes, flags)
        Sysno::SyncFileRange2 => [out[0], out[2], out[3], out[1], 0, 0],
        // preadv2(fd, vec, vlen, pos_l, pos_h, flags): pos_h is unused on 64-bit.
        Sysno::Preadv2 | Sysno::Pwritev2 => [out[0], out[1], out[2], out[3], 0, out[4]],
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::StatLayout;

    fn abi32(endian: Endian) -> Abi {
        Abi {
            arch: Arch::Ppc,
            elf_machine: 20,
            is_64bit: false,
            endian,
            platform: "ppc",
            uname_machine: "ppc",
            hwcap: 0,
            hwcap2: 0,
            minsigstksz: None,
            extra_auxv: &[],
            syscall: |_| None,
            stat: StatLayout::Ppc32Stat64,
            clone_backwards: true,
            open_flags: &[],
            ioctls: &[],
            stack_align: 16,
            page_size: 4096,
        }
    }

    #[test]
    fn pairs_start_at_an_odd_register_high_word_first() {
        let abi = abi32(Endian::Big);
        // pread64(3, buf, 10, pos = 0x1_0000_0002): r6 is skipped, pos in r7:r8.
        let a = [3, 0x1000, 10, 0xdead, 1, 2];
        assert_eq!(
            widen(&abi, Sysno::Pread64, a),
            [3, 0x1000, 10, 0x1_0000_0002, 0, 0]
        );
        // ftruncate64(fd, length): r4 is skipped, the length in r5:r6.
        assert_eq!(
            widen(&abi, Sysno::Ftruncate64, [4, 0xdead, 0, 4096, 0, 0]),
            [4, 4096, 0, 0, 0, 0]
        );
        // readahead(fd, offset, count): offset in r5:r6, count in r7.
        assert_eq!(
            widen(&abi, Sysno::Readahead, [4, 0, 2, 3, 100, 0]),
            [4, 0x2_0000_0003, 100, 0, 0, 0]
        );
    }

    #[test]
    fn reordered_calls_become_the_64_bit_order() {
        let abi = abi32(Endian::Big);
        // fadvise64_64(fd 5, advice 4, offset 0x10, len 0x1_0000_0000).
        assert_eq!(
            widen(&abi, Sysno::Fadvise64_64, [5, 4, 0, 0x10, 1, 0]),
            [5, 0x10, 0x1_0000_0000, 4, 0, 0]
        );
        // sync_file_range2(fd 5, flags 2, offset 8, nbytes 16).
        assert_eq!(
            widen(&abi, Sysno::SyncFileRange2, [5, 2, 0, 8, 0, 16]),
            [5, 8, 16, 2, 0, 0]
        );
        assert_eq!(
            widen(&abi, Sysno::Fallocate, [5, 1, 0, 8, 0, 16]),
            [5, 1, 8, 16, 0, 0]
        );
    }

    #[test]
    fn longs_sign_extend_and_preadv_takes_low_then_high() {
        let abi = abi32(Endian::Big);
        assert_eq!(
            widen(&abi, Sysno::Lseek, [3, 0xffff_fffe, 1, 0, 0, 0]),
            [3, (-2i64) as u64, 1, 0, 0, 0]
        );
        assert_eq!(
            widen(&abi, Sysno::Preadv2, [3, 0x100, 2, 5, 1, 8]),
            [3, 0x100, 2, 0x1_0000_0005, 0, 8]
        );
        // Little-endian pairs put the low word first.
        assert_eq!(
            widen(
                &abi32(Endian::Little),
                Sysno::Pwrite64,
                [3, 0x100, 2, 0, 7, 1]
            ),
            [3, 0x100, 2, 0x1_0000_0007, 0, 0]
        );
    }

    #[test]
    fn sixty_four_bit_guests_pass_unchanged() {
        let mut abi = abi32(Endian::Little);
        abi.is_64bit = true;
        let a = [3, 0x100, 2, u64::MAX, 7, 1];
        assert_eq!(widen(&abi, Sysno::Pread64, a), a);
    }
}
