//! File and directory I/O, pipes, terminals, polling and sockets.

use super::{
    PollTimeout, SysResult, Syscalls, get, int, opt_in, opt_out, ptr_in, ptr_out, put, raw,
};
use super::{cmsg, termios};
use crate::abi::{Abi, StatLayout, Sysno};
use crate::space::AddressSpace;

/// Largest guest control buffer sendmsg converts (Linux's default `optmem_max` is 20 KiB;
/// past it Linux answers ENOBUFS too).
const CMSG_SEND_MAX: usize = 1 << 16;
/// Largest guest control buffer recvmsg fills (Linux passes at most 253 descriptors
/// per message; a larger buffer is given this much).
const CMSG_RECV_MAX: usize = 1 << 16;

/// Largest socket option value converted for guests without the host's layout.
const SOCKOPT_MAX: usize = 4096;

/// The argument of an ioctl xarch passes through, by how it is converted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IoctlArg {
    /// An integer value, not a pointer.
    Value,
    /// A pointer to an `int` the host reads (`In`) or writes (`Out`).
    IntIn,
    IntOut,
    /// A pointer to `struct winsize` (four `unsigned short`s).
    WinsizeIn,
    WinsizeOut,
    /// A pointer to `struct termios` (see `termios.rs`).
    TermiosIn,
    TermiosOut,
}

/// Terminal and file ioctls that are passed through (host request numbers).
const IOCTLS: &[(u32, IoctlArg)] = {
    use IoctlArg::*;
    &[
        (libc::TCGETS as u32, TermiosOut),
        (libc::TCSETS as u32, TermiosIn),
        (libc::TCSETSW as u32, TermiosIn),
        (libc::TCSETSF as u32, TermiosIn),
        (libc::TIOCGWINSZ as u32, WinsizeOut),
        (libc::TIOCSWINSZ as u32, WinsizeIn),
        (libc::TIOCGPGRP as u32, IntOut),
        (libc::TIOCSPGRP as u32, IntIn),
        (libc::FIONREAD as u32, IntOut),
        (libc::FIONBIO as u32, IntIn),
        (libc::TIOCSCTTY as u32, Value),
        (libc::TIOCNOTTY as u32, Value),
        (libc::FIOCLEX as u32, Value),
        (libc::FIONCLEX as u32, Value),
    ]
};

/// fcntl commands of 32-bit ABIs for `struct flock64` (asm-generic/fcntl.h).
const F_GETLK64_32: i32 = 12;
const F_SETLK64_32: i32 = 13;
const F_SETLKW64_32: i32 = 14;

/// `struct statx` fields as (offset, size) (include/uapi/linux/stat.h): mask, blksize,
/// attributes, nlink, uid, gid, mode, ino, size, blocks, attributes_mask, four timestamps
/// (tv_sec, tv_nsec), rdev and dev major/minor, mnt_id, dio alignments, subvol, atomic-write
/// limits; the spare words after them are zero.
const STATX_FIELDS: &[(usize, usize)] = &[
    (0, 4),
    (4, 4),
    (8, 8),
    (16, 4),
    (20, 4),
    (24, 4),
    (28, 2),
    (32, 8),
    (40, 8),
    (48, 8),
    (56, 8),
    (64, 8),
    (72, 4),
    (80, 8),
    (88, 4),
    (96, 8),
    (104, 4),
    (112, 8),
    (120, 4),
    (128, 4),
    (132, 4),
    (136, 4),
    (140, 4),
    (144, 8),
    (152, 4),
    (156, 4),
    (160, 8),
    (168, 4),
    (172, 4),
    (176, 4),
    (180, 4),
    (184, 4),
];

/// The guest's `struct stat` bytes for a host `struct stat`.
pub(super) fn stat_to_guest(abi: &Abi, st: &libc::stat) -> Vec<u8> {
    let mut o = Vec::with_capacity(144);
    let (u32_, u64_) = (
        |o: &mut Vec<u8>, v: u64| abi.put_u32(o, v as u32),
        |o: &mut Vec<u8>, v: u64| abi.put_u64(o, v),
    );
    let times = |o: &mut Vec<u8>, wide: bool| {
        for (s, ns) in [
            (st.st_atime, st.st_atime_nsec),
            (st.st_mtime, st.st_mtime_nsec),
            (st.st_ctime, st.st_ctime_nsec),
        ] {
            if wide {
                abi.put_u64(o, s as u64);
                abi.put_u64(o, ns as u64);
            } else {
                abi.put_u32(o, s as u32);
                abi.put_u32(o, ns as u32);
            }
        }
    };
    match abi.stat {
        StatLayout::Generic64 => {
            u64_(&mut o, st.st_dev);
            u64_(&mut o, st.st_ino);
            u32_(&mut o, st.st_mode as u64);
            u32_(&mut o, st.st_nlink);
            u32_(&mut o, st.st_uid as u64);
            u32_(&mut o, st.st_gid as u64);
            u64_(&mut o, st.st_rdev);
            u64_(&mut o, 0);
            u64_(&mut o, st.st_size as u64);
            u32_(&mut o, st.st_blksize as u64);
            u32_(&mut o, 0);
            u64_(&mut o, st.st_blocks as u64);
            times(&mut o, true);
            u32_(&mut o, 0);
            u32_(&mut o, 0);
        }
        StatLayout::X86_64 | StatLayout::Ppc64 => {
            u64_(&mut o, st.st_dev);
            u64_(&mut o, st.st_ino);
            u64_(&mut o, st.st_nlink);
            u32_(&mut o, st.st_mode as u64);
            u32_(&mut o, st.st_uid as u64);
            u32_(&mut o, st.st_gid as u64);
            u32_(&mut o, 0);
            u64_(&mut o, st.st_rdev);
            u64_(&mut o, st.st_size as u64);
            u64_(&mut o, st.st_blksize as u64);
            u64_(&mut o, st.st_blocks as u64);
            times(&mut o, true);
            for _ in 0..3 {
                u64_(&mut o, 0);
            }
        }
        StatLayout::Ppc32Stat64 => {
            u64_(&mut o, st.st_dev);
            u64_(&mut o, st.st_ino);
            u32_(&mut o, st.st_mode as u64);
            u32_(&mut o, st.st_nlink);
            u32_(&mut o, st.st_uid as u64);
            u32_(&mut o, st.st_gid as u64);
            u64_(&mut o, st.st_rdev);
            u64_(&mut o, 0); // __pad2 and alignment of st_size
            u64_(&mut o, st.st_size as u64);
            u32_(&mut o, st.st_blksize as u64);
            u32_(&mut o, 0);
            u64_(&mut o, st.st_blocks as u64);
            times(&mut o, false);
            u32_(&mut o, 0);
            u32_(&mut o, 0);
        }
    }
    o
}

/// True for `/proc/self/maps` and `/proc/<our pid>/maps`.
fn is_proc_self_maps(p: &[u8]) -> bool {
    p == b"/proc/self/maps"
        || p == b"/proc/thread-self/maps"
        || format!("/proc/{}/maps", std::process::id()).as_bytes() == p
}

/// `/proc/self/maps` of the guest: its mappings, not the host's, in a memfd.
fn proc_maps(space: &AddressSpace) -> SysResult {
    use crate::space::VmaKind;
    let mut text = String::new();
    for v in space.vmas() {
        let c = |bit: u32, ch: char| if v.prot.0 & bit != 0 { ch } else { '-' };
        let shared = matches!(v.kind, VmaKind::AnonShared | VmaKind::File { shared: true });
        let name = match v.kind {
            VmaKind::Heap => "[heap]",
            VmaKind::Stack => "[stack]",
            _ => "",
        };
        let line = format!(
            "{:08x}-{:08x} {}{}{}{} 00000000 00:00 0",
            v.start,
            v.end,
            c(1, 'r'),
            c(2, 'w'),
            c(4, 'x'),
            if shared { 's' } else { 'p' }
        );
        if name.is_empty() {
            text.push_str(&line);
        } else {
            text.push_str(&format!("{line:<73}{name}"));
        }
        text.push('\n');
    }
    let fd = raw(
        libc::SYS_memfd_create,
        [c"xarch-maps".as_ptr() as i64, 0, 0, 0, 0, 0],
    )?;
    let r = raw(
        libc::SYS_write,
        [fd, text.as_ptr() as i64, text.len() as i64, 0, 0, 0],
    )
    .and_then(|_| raw(libc::SYS_lseek, [fd, 0, libc::SEEK_SET as i64, 0, 0, 0]));
    if let Err(e) = r {
        let _ = raw(libc::SYS_close, [fd, 0, 0, 0, 0, 0]);
        return Err(e);
    }
    Ok(fd)
}

impl Syscalls {
    pub(super) fn openat(
        &mut self,
        space: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        flags: u64,
        mode: u64,
    ) -> SysResult {
        let p = self.path(space, path)?;
        if is_proc_self_maps(p.as_bytes()) {
            return proc_maps(space);
        }
        let flags = self.abi.open_flags_to_host(flags as u32) as i64;
        raw(
            libc::SYS_openat,
            [int(dirfd), p.as_ptr() as i64, flags, int(mode), 0, 0],
        )
    }

    pub(super) fn read(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let buf = ptr_out(space, a[1], a[2])?;
        raw(libc::SYS_read, [int(a[0]), buf, a[2] as i64, 0, 0, 0])
    }

    pub(super) fn write(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let buf = ptr_in(space, a[1], a[2])?;
        raw(libc::SYS_write, [int(a[0]), buf, a[2] as i64, 0, 0, 0])
    }

    pub(super) fn pread(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let buf = ptr_out(space, a[1], a[2])?;
        raw(
            libc::SYS_pread64,
            [int(a[0]), buf, a[2] as i64, a[3] as i64, 0, 0],
        )
    }

    pub(super) fn pwrite(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let buf = ptr_in(space, a[1], a[2])?;
        raw(
            libc::SYS_pwrite64,
            [int(a[0]), buf, a[2] as i64, a[3] as i64, 0, 0],
        )
    }

    /// readv/writev/preadv/pwritev(2): the guest's iovec array is rebuilt with host pointers.
    pub(super) fn vector_io(
        &mut self,
        space: &mut AddressSpace,
        sys: Sysno,
        a: [u64; 6],
    ) -> SysResult {
        let writes_guest = matches!(sys, Sysno::Readv | Sysno::Preadv | Sysno::Preadv2);
        let iov = self.iovecs(space, a[1], a[2], writes_guest)?;
        let (nr, extra) = match sys {
            Sysno::Readv => (libc::SYS_readv, [0, 0, 0]),
            Sysno::Writev => (libc::SYS_writev, [0, 0, 0]),
            // The host takes the offset split in two longs (pos_l, pos_h); on 64-bit the high
            // part is ignored.
            Sysno::Preadv => (libc::SYS_preadv, [a[3] as i64, 0, 0]),
            Sysno::Pwritev => (libc::SYS_pwritev, [a[3] as i64, 0, 0]),
            Sysno::Preadv2 => (libc::SYS_preadv2, [a[3] as i64, a[4] as i64, int(a[5])]),
            _ => (libc::SYS_pwritev2, [a[3] as i64, a[4] as i64, int(a[5])]),
        };
        raw(
            nr,
            [
                int(a[0]),
                iov.as_ptr() as i64,
                iov.len() as i64,
                extra[0],
                extra[1],
                extra[2],
            ],
        )
    }

    /// Reads `count` guest iovecs at `addr` and checks each buffer.
    pub(super) fn iovecs(
        &mut self,
        space: &mut AddressSpace,
        addr: u64,
        count: u64,
        writes_guest: bool,
    ) -> Result<Vec<libc::iovec>, i32> {
        if count > 1024 {
            return Err(libc::EINVAL);
        }
        let w = self.abi.word_size();
        let bytes = get(space, addr, count as usize * 2 * w)?;
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let base = self.abi.get_word(&bytes[2 * i * w..]);
            let len = self.abi.get_word(&bytes[(2 * i + 1) * w..]);
            let p = if writes_guest {
                ptr_out(space, base, len)?
            } else {
                ptr_in(space, base, len)?
            };
            out.push(libc::iovec {
                iov_base: p as *mut libc::c_void,
                iov_len: len as usize,
            });
        }
        Ok(out)
    }

    pub(super) fn fstat(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        // SAFETY: `libc::stat` is plain old data; all-zero is a valid value.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        raw(libc::SYS_fstat, [int(a[0]), &raw mut st as i64, 0, 0, 0, 0])?;
        put(space, a[1], &stat_to_guest(self.abi, &st))?;
        Ok(0)
    }

    pub(super) fn newfstatat(
        &mut self,
        space: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        buf: u64,
        flags: u64,
    ) -> SysResult {
        let p = if flags & libc::AT_SYMLINK_NOFOLLOW as u64 != 0 {
            self.path_nofollow(space, path)?
        } else {
            self.path(space, path)?
        };
        // SAFETY: as in `fstat`.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        raw(
            libc::SYS_newfstatat,
            [
                int(dirfd),
                p.as_ptr() as i64,
                &raw mut st as i64,
                int(flags),
                0,
                0,
            ],
        )?;
        put(space, buf, &stat_to_guest(self.abi, &st))?;
        Ok(0)
    }

    /// statx(2): `struct statx` has one layout on every arch (fixed-size fields), so only a
    /// big-endian guest needs it converted: each field swapped in place.
    pub(super) fn statx(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let p = if a[2] & libc::AT_SYMLINK_NOFOLLOW as u64 != 0 {
            self.path_nofollow(space, a[1])?
        } else {
            self.path(space, a[1])?
        };
        ptr_out(space, a[4], 256)?;
        let mut st = [0u8; 256];
        let r = raw(
            libc::SYS_statx,
            [
                int(a[0]),
                p.as_ptr() as i64,
                int(a[2]),
                int(a[3]),
                st.as_mut_ptr() as i64,
                0,
            ],
        )?;
        if self.abi.endian == crate::abi::Endian::Big {
            for &(off, len) in STATX_FIELDS {
                st[off..off + len].reverse();
            }
        }
        put(space, a[4], &st)?;
        Ok(r)
    }

    /// getxattr/lgetxattr(path, name, value, size) and fgetxattr(fd, …): the host's, into the
    /// guest buffer (the value is bytes, the same on every arch). `ls -l` asks for ACLs and
    /// security labels this way.
    pub(super) fn getxattr(
        &mut self,
        space: &mut AddressSpace,
        sys: Sysno,
        a: [u64; 6],
    ) -> SysResult {
        let name = space.read_cstr(a[1], 256).map_err(|_| libc::EFAULT)?;
        let name = std::ffi::CString::new(name).expect("read_cstr stops at NUL");
        let out = ptr_out(space, a[2], a[3])?;
        let (nr, target) = match sys {
            Sysno::Fgetxattr => (libc::SYS_fgetxattr, None),
            Sysno::Lgetxattr => (libc::SYS_lgetxattr, Some(self.path_nofollow(space, a[0])?)),
            _ => (libc::SYS_getxattr, Some(self.path(space, a[0])?)),
        };
        let first = target.as_ref().map_or(int(a[0]), |p| p.as_ptr() as i64);
        raw(nr, [first, name.as_ptr() as i64, out, a[3] as i64, 0, 0])
    }

    /// statfs/fstatfs and the 32-bit ABIs' statfs64/fstatfs64(path, size, buf): the host's
    /// `struct statfs` rebuilt in the guest's words. `statfs` has one word per field;
    /// `statfs64` has 64-bit block and file counts (aligned to 8, so 88 bytes on ppc32).
    /// As in the kernel's compat code, a count that does not fit a 32-bit `statfs` word is
    /// EOVERFLOW.
    pub(super) fn statfs(
        &mut self,
        space: &mut AddressSpace,
        sys: Sysno,
        a: [u64; 6],
    ) -> SysResult {
        let wide = matches!(sys, Sysno::Statfs64 | Sysno::Fstatfs64);
        let buf = if wide { a[2] } else { a[1] };
        // The host's struct statfs as its 15 words: type, bsize, blocks, bfree, bavail, files,
        // ffree, fsid (two ints), namelen, frsize, flags, spare[4].
        let mut st = [0u64; 15];
        if matches!(sys, Sysno::Fstatfs | Sysno::Fstatfs64) {
            raw(
                libc::SYS_fstatfs,
                [int(a[0]), &raw mut st as i64, 0, 0, 0, 0],
            )?;
        } else {
            let p = self.path(space, a[0])?;
            raw(
                libc::SYS_statfs,
                [p.as_ptr() as i64, &raw mut st as i64, 0, 0, 0, 0],
            )?;
        }
        let w = self.abi.word_size();
        let counts = &st[2..7];
        if !wide && w == 4 && counts.iter().any(|&c| c > u64::from(u32::MAX)) {
            return Err(libc::EOVERFLOW);
        }
        let mut o = Vec::with_capacity(120);
        self.abi.put_word(&mut o, st[0]);
        self.abi.put_word(&mut o, st[1]);
        for &c in counts {
            if wide {
                o.resize(o.len().next_multiple_of(8), 0);
                self.abi.put_u64(&mut o, c);
            } else {
                self.abi.put_word(&mut o, c);
            }
        }
        self.abi.put_u32(&mut o, st[7] as u32);
        self.abi.put_u32(&mut o, (st[7] >> 32) as u32);
        for &v in &st[8..] {
            self.abi.put_word(&mut o, v);
        }
        o.resize(o.len().next_multiple_of(if wide { 8 } else { w }), 0);
        if wide && a[1] as usize != o.len() {
            return Err(libc::EINVAL);
        }
        put(space, buf, &o)?;
        Ok(0)
    }

    pub(super) fn getdents64(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        // struct linux_dirent64 is the same on every arch, in the guest's byte order.
        if self.abi.endian == crate::abi::Endian::Little {
            let buf = ptr_out(space, a[1], a[2])?;
            return raw(libc::SYS_getdents64, [int(a[0]), buf, a[2] as i64, 0, 0, 0]);
        }
        ptr_out(space, a[1], a[2])?;
        let mut host = vec![0u8; a[2].min(1 << 20) as usize];
        let n = raw(
            libc::SYS_getdents64,
            [
                int(a[0]),
                host.as_mut_ptr() as i64,
                host.len() as i64,
                0,
                0,
                0,
            ],
        )?;
        let mut o = 0usize;
        while o + 19 <= n as usize {
            let reclen = u16::from_ne_bytes([host[o + 16], host[o + 17]]) as usize;
            host[o..o + 8].reverse(); // d_ino
            host[o + 8..o + 16].reverse(); // d_off
            host[o + 16..o + 18].reverse(); // d_reclen
            o += reclen.max(1);
        }
        put(space, a[1], &host[..n as usize])?;
        Ok(n)
    }

    /// _llseek(fd, offset_high, offset_low, *result, whence) of 32-bit guests.
    pub(super) fn llseek(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let off = ((a[1] as u32 as u64) << 32 | a[2] as u32 as u64) as i64;
        let pos = raw(libc::SYS_lseek, [int(a[0]), off, int(a[4]), 0, 0, 0])?;
        let mut b = Vec::new();
        self.abi.put_u64(&mut b, pos as u64);
        put(space, a[3], &b)?;
        Ok(0)
    }

    pub(super) fn readlinkat(
        &mut self,
        space: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        buf: u64,
        size: u64,
    ) -> SysResult {
        let name = space
            .read_cstr(path, libc::PATH_MAX as usize)
            .map_err(|_| libc::EFAULT)?;
        if super::is_proc_self_exe(&name)
            && let Some(exe) = &self.exe_path
        {
            use std::os::unix::ffi::OsStrExt;
            let b = exe.as_os_str().as_bytes();
            let n = b.len().min(size as usize);
            put(space, buf, &b[..n])?;
            return Ok(n as i64);
        }
        let p = self.path_nofollow(space, path)?;
        let out = ptr_out(space, buf, size)?;
        raw(
            libc::SYS_readlinkat,
            [int(dirfd), p.as_ptr() as i64, out, size as i64, 0, 0],
        )
    }

    /// A call `nr(dirfd, path, extra...)`, or `nr(path, extra...)` when `dirfd` is `u64::MAX`.
    pub(super) fn path_call(
        &mut self,
        space: &mut AddressSpace,
        nr: libc::c_long,
        dirfd: u64,
        path: u64,
        extra: [i64; 3],
    ) -> SysResult {
        let p = self.path(space, path)?;
        if dirfd == u64::MAX {
            raw(nr, [p.as_ptr() as i64, extra[0], extra[1], extra[2], 0, 0])
        } else {
            raw(
                nr,
                [
                    int(dirfd),
                    p.as_ptr() as i64,
                    extra[0],
                    extra[1],
                    extra[2],
                    0,
                ],
            )
        }
    }

    /// rename/link/symlink and their `*at` forms, all made `*at` calls on the host.
    pub(super) fn two_paths(
        &mut self,
        space: &mut AddressSpace,
        sys: Sysno,
        a: [u64; 6],
    ) -> SysResult {
        let cwd = libc::AT_FDCWD as u64;
        // (old dirfd, old path, new dirfd, new path, flags)
        let (od, op, nd, np, fl) = match sys {
            Sysno::Renameat | Sysno::Renameat2 | Sysno::Linkat => (
                a[0],
                a[1],
                a[2],
                a[3],
                if sys == Sysno::Renameat { 0 } else { a[4] },
            ),
            Sysno::Rename | Sysno::Link => (cwd, a[0], cwd, a[1], 0),
            Sysno::Symlinkat => (cwd, a[0], a[1], a[2], 0),
            _ => (cwd, a[0], cwd, a[1], 0), // symlink
        };
        // A symlink's target is stored as written, not looked up in the sysroot.
        let old = if matches!(sys, Sysno::Symlink | Sysno::Symlinkat) {
            std::ffi::CString::new(
                space
                    .read_cstr(op, libc::PATH_MAX as usize)
                    .map_err(|_| libc::EFAULT)?,
            )
            .expect("no NUL inside")
        } else {
            self.path(space, op)?
        };
        let new = self.path(space, np)?;
        let (o, n) = (old.as_ptr() as i64, new.as_ptr() as i64);
        match sys {
            Sysno::Renameat | Sysno::Renameat2 | Sysno::Rename => {
                raw(libc::SYS_renameat2, [int(od), o, int(nd), n, int(fl), 0])
            }
            Sysno::Linkat | Sysno::Link => {
                raw(libc::SYS_linkat, [int(od), o, int(nd), n, int(fl), 0])
            }
            _ => raw(libc::SYS_symlinkat, [o, int(nd), n, 0, 0, 0]),
        }
    }

    pub(super) fn utimensat(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        // Two timespecs, converted from the guest's layout.
        let times = if a[2] == 0 {
            None
        } else {
            Some([
                self.get_timespec(space, a[2])?,
                self.get_timespec(space, a[2] + 2 * self.abi.word_size() as u64)?,
            ])
        };
        let tp = times.as_ref().map_or(0, |t| t.as_ptr() as i64);
        if a[1] == 0 {
            // utimensat(fd, NULL, times, flags) sets the times of fd itself.
            return raw(libc::SYS_utimensat, [int(a[0]), 0, tp, int(a[3]), 0, 0]);
        }
        let p = self.path(space, a[1])?;
        raw(
            libc::SYS_utimensat,
            [int(a[0]), p.as_ptr() as i64, tp, int(a[3]), 0, 0],
        )
    }

    /// The record locks of fcntl: `struct flock` converted both ways. 64-bit guests and the
    /// OFD commands use the 64-bit layout (short type, short whence, loff_t start and len,
    /// pid: 32 bytes); a 32-bit guest's F_GETLK/F_SETLK/F_SETLKW use `off_t` words (16
    /// bytes) and its F_*LK64 commands the 64-bit layout.
    fn fcntl_lock(&mut self, space: &mut AddressSpace, fd: i64, cmd: i32, addr: u64) -> SysResult {
        let small =
            !self.abi.is_64bit && matches!(cmd, libc::F_GETLK | libc::F_SETLK | libc::F_SETLKW);
        let host_cmd = match cmd {
            F_GETLK64_32 if !self.abi.is_64bit => libc::F_GETLK,
            F_SETLK64_32 if !self.abi.is_64bit => libc::F_SETLK,
            F_SETLKW64_32 if !self.abi.is_64bit => libc::F_SETLKW,
            F_GETLK64_32 | F_SETLK64_32 | F_SETLKW64_32 => return Err(libc::EINVAL),
            c => c,
        };
        let len = if small { 16 } else { 32 };
        let b = get(space, addr, len)?;
        let half = |o: usize| match self.abi.endian {
            crate::abi::Endian::Big => i16::from_be_bytes([b[o], b[o + 1]]),
            crate::abi::Endian::Little => i16::from_le_bytes([b[o], b[o + 1]]),
        };
        let mut lk = libc::flock {
            l_type: half(0),
            l_whence: half(2),
            l_start: 0,
            l_len: 0,
            l_pid: 0,
        };
        if small {
            lk.l_start = self.abi.get_u32(&b[4..]) as i32 as i64;
            lk.l_len = self.abi.get_u32(&b[8..]) as i32 as i64;
            lk.l_pid = self.abi.get_u32(&b[12..]) as i32;
        } else {
            lk.l_start = self.abi.get_u64(&b[8..]) as i64;
            lk.l_len = self.abi.get_u64(&b[16..]) as i64;
            lk.l_pid = self.abi.get_u32(&b[24..]) as i32;
        }
        let r = raw(
            libc::SYS_fcntl,
            [fd, host_cmd as i64, &raw mut lk as i64, 0, 0, 0],
        )?;
        if matches!(host_cmd, libc::F_GETLK | libc::F_OFD_GETLK) {
            let mut o = Vec::with_capacity(len);
            let put16 = |o: &mut Vec<u8>, v: i16| {
                o.extend_from_slice(&match self.abi.endian {
                    crate::abi::Endian::Big => v.to_be_bytes(),
                    crate::abi::Endian::Little => v.to_le_bytes(),
                })
            };
            put16(&mut o, lk.l_type);
            put16(&mut o, lk.l_whence);
            if small {
                self.abi.put_u32(&mut o, lk.l_start as u32);
                self.abi.put_u32(&mut o, lk.l_len as u32);
                self.abi.put_u32(&mut o, lk.l_pid as u32);
            } else {
                o.resize(8, 0);
                self.abi.put_u64(&mut o, lk.l_start as u64);
                self.abi.put_u64(&mut o, lk.l_len as u64);
                self.abi.put_u32(&mut o, lk.l_pid as u32);
                o.resize(32, 0);
            }
            put(space, addr, &o)?;
        }
        Ok(r)
    }

    pub(super) fn fcntl(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let (fd, cmd) = (int(a[0]), a[1] as i32);
        match cmd {
            libc::F_GETFL => raw(libc::SYS_fcntl, [fd, cmd as i64, 0, 0, 0, 0])
                .map(|f| self.abi.open_flags_to_guest(f as u32) as i64),
            libc::F_SETFL => raw(
                libc::SYS_fcntl,
                [
                    fd,
                    cmd as i64,
                    self.abi.open_flags_to_host(a[2] as u32) as i64,
                    0,
                    0,
                    0,
                ],
            ),
            libc::F_GETLK
            | libc::F_SETLK
            | libc::F_SETLKW
            | libc::F_OFD_GETLK
            | libc::F_OFD_SETLK
            | libc::F_OFD_SETLKW
            | F_GETLK64_32
            | F_SETLK64_32
            | F_SETLKW64_32 => self.fcntl_lock(space, fd, cmd, a[2]),
            libc::F_DUPFD
            | libc::F_DUPFD_CLOEXEC
            | libc::F_GETFD
            | libc::F_SETFD
            | libc::F_GETPIPE_SZ
            | libc::F_SETPIPE_SZ
            | libc::F_GETOWN
            | libc::F_SETOWN
            | libc::F_GET_SEALS
            | libc::F_ADD_SEALS => raw(libc::SYS_fcntl, [fd, cmd as i64, int(a[2]), 0, 0, 0]),
            _ => Err(libc::EINVAL),
        }
    }

    pub(super) fn pipe2(&mut self, space: &mut AddressSpace, fds: u64, flags: u64) -> SysResult {
        let mut host = [0i32; 2];
        raw(
            libc::SYS_pipe2,
            [
                host.as_mut_ptr() as i64,
                self.abi.open_flags_to_host(flags as u32) as i64,
                0,
                0,
                0,
                0,
            ],
        )?;
        let mut out = Vec::new();
        self.abi.put_u32(&mut out, host[0] as u32);
        self.abi.put_u32(&mut out, host[1] as u32);
        if let Err(e) = put(space, fds, &out) {
            // SAFETY: closes the two descriptors just created, which the guest never saw.
            unsafe {
                libc::close(host[0]);
                libc::close(host[1]);
            }
            return Err(e);
        }
        Ok(0)
    }

    /// ioctl(2) for the requests in [`IOCTLS`]: ints and `winsize` in the guest's byte
    /// order, `termios` in the guest's layout; anything else is ENOTTY with a warning.
    pub(super) fn ioctl(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        use IoctlArg::*;
        let req = self.abi.ioctl_to_host(a[1] as u32);
        let Some(&(_, arg)) = IOCTLS.iter().find(|&&(r, _)| r == req) else {
            self.warn_once(
                0x1_0000_0000 | a[1],
                &format!("unimplemented ioctl {:#x}", a[1]),
            );
            return Err(libc::ENOTTY);
        };
        let call = |p: *mut u8| raw(libc::SYS_ioctl, [int(a[0]), req as i64, p as i64, 0, 0, 0]);
        let big = self.abi.endian == crate::abi::Endian::Big;
        // Each u16/u32 field of a winsize or int swaps on a big-endian guest.
        let swap = |b: &mut [u8], unit: usize| {
            if big {
                b.chunks_mut(unit).for_each(|c| c.reverse());
            }
        };
        match arg {
            Value => raw(
                libc::SYS_ioctl,
                [int(a[0]), req as i64, a[2] as i64, 0, 0, 0],
            ),
            IntIn | WinsizeIn => {
                let (len, unit) = if arg == IntIn { (4, 4) } else { (8, 2) };
                let mut b = get(space, a[2], len)?;
                swap(&mut b, unit);
                call(b.as_mut_ptr())
            }
            IntOut | WinsizeOut => {
                let (len, unit) = if arg == IntOut { (4, 4) } else { (8, 2) };
                ptr_out(space, a[2], len as u64)?;
                let mut b = vec![0u8; len];
                let r = call(b.as_mut_ptr())?;
                swap(&mut b, unit);
                put(space, a[2], &b)?;
                Ok(r)
            }
            TermiosIn => {
                let g = get(space, a[2], termios::guest_size(self.abi))?;
                let mut h = termios::to_host(self.abi, &g);
                call(h.as_mut_ptr())
            }
            TermiosOut => {
                ptr_out(space, a[2], termios::guest_size(self.abi) as u64)?;
                let mut h = [0u8; termios::HOST_SIZE];
                let r = call(h.as_mut_ptr())?;
                put(space, a[2], &termios::to_guest(self.abi, &h))?;
                Ok(r)
            }
        }
    }

    pub(super) fn getcwd(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let buf = ptr_out(space, a[0], a[1])?;
        raw(libc::SYS_getcwd, [buf, a[1] as i64, 0, 0, 0, 0])
    }

    /// sendfile/sendfile64: the offset (`off_t *`, a guest word; sendfile64's `loff_t *`, 64
    /// bits) is read and written back in the guest's layout.
    pub(super) fn sendfile(
        &mut self,
        space: &mut AddressSpace,
        a: [u64; 6],
        wide: bool,
    ) -> SysResult {
        let off = self.get_offset(space, a[2], wide)?;
        let mut o = off.unwrap_or(0);
        let r = raw(
            libc::SYS_sendfile,
            [
                int(a[0]),
                int(a[1]),
                if off.is_some() { &raw mut o as i64 } else { 0 },
                a[3] as i64,
                0,
                0,
            ],
        )?;
        self.put_offset(space, a[2], off.map(|_| o), wide)?;
        Ok(r)
    }

    /// A guest `off_t *`/`loff_t *` (`wide`) that may be NULL.
    fn get_offset(
        &self,
        space: &mut AddressSpace,
        addr: u64,
        wide: bool,
    ) -> Result<Option<i64>, i32> {
        if addr == 0 {
            return Ok(None);
        }
        if wide || self.abi.is_64bit {
            Ok(Some(self.abi.get_u64(&get(space, addr, 8)?) as i64))
        } else {
            Ok(Some(self.abi.get_u32(&get(space, addr, 4)?) as i32 as i64))
        }
    }

    fn put_offset(
        &self,
        space: &mut AddressSpace,
        addr: u64,
        v: Option<i64>,
        wide: bool,
    ) -> Result<(), i32> {
        let Some(v) = v else { return Ok(()) };
        let mut b = Vec::new();
        if wide || self.abi.is_64bit {
            self.abi.put_u64(&mut b, v as u64);
        } else {
            self.abi.put_u32(&mut b, v as u32);
        }
        put(space, addr, &b)
    }

    /// copy_file_range(fd_in, loff_t *off_in, fd_out, loff_t *off_out, len, flags).
    pub(super) fn copy_file_range(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let (oin, oout) = (
            self.get_offset(space, a[1], true)?,
            self.get_offset(space, a[3], true)?,
        );
        let (mut i, mut o) = (oin.unwrap_or(0), oout.unwrap_or(0));
        let r = raw(
            libc::SYS_copy_file_range,
            [
                int(a[0]),
                if oin.is_some() { &raw mut i as i64 } else { 0 },
                int(a[2]),
                if oout.is_some() { &raw mut o as i64 } else { 0 },
                a[4] as i64,
                int(a[5]),
            ],
        )?;
        self.put_offset(space, a[1], oin.map(|_| i), true)?;
        self.put_offset(space, a[3], oout.map(|_| o), true)?;
        Ok(r)
    }

    pub(super) fn poll(
        &mut self,
        space: &mut AddressSpace,
        fds: u64,
        nfds: u64,
        timeout: PollTimeout,
        sigmask: u64,
    ) -> SysResult {
        // struct pollfd { int fd; short events, revents; } is the same everywhere but for the
        // byte order: a big-endian guest's array is converted, revents written back.
        if nfds > 1 << 20 {
            return Err(libc::EINVAL);
        }
        let big = self.abi.endian == crate::abi::Endian::Big;
        let p = ptr_out(space, fds, nfds * 8)?;
        let mut host = Vec::new();
        if big {
            let b = get(space, fds, nfds as usize * 8)?;
            host = b
                .chunks(8)
                .map(|c| libc::pollfd {
                    fd: i32::from_be_bytes(c[0..4].try_into().expect("4 bytes")),
                    events: i16::from_be_bytes([c[4], c[5]]),
                    revents: 0,
                })
                .collect();
        }
        let ts;
        let tsp = match timeout {
            PollTimeout::Millis(ms) if ms < 0 => 0,
            PollTimeout::Millis(ms) => {
                ts = libc::timespec {
                    tv_sec: (ms / 1000) as i64,
                    tv_nsec: (ms % 1000) as i64 * 1_000_000,
                };
                &raw const ts as i64
            }
            PollTimeout::Timespec(0) | PollTimeout::Timespec64(0) => 0,
            PollTimeout::Timespec(addr) => {
                ts = self.get_timespec(space, addr)?;
                &raw const ts as i64
            }
            PollTimeout::Timespec64(addr) => {
                ts = self.get_timespec64(space, addr)?;
                &raw const ts as i64
            }
        };
        let mask = self.opt_sigset(space, sigmask)?;
        let maskp = mask.as_ref().map_or(0, |m| m as *const u64 as i64);
        let n = self.masked(
            mask,
            raw(
                libc::SYS_ppoll,
                [
                    if big { host.as_mut_ptr() as i64 } else { p },
                    nfds as i64,
                    tsp,
                    maskp,
                    if maskp != 0 { 8 } else { 0 },
                    0,
                ],
            ),
        )?;
        for (i, h) in host.iter().enumerate() {
            put(space, fds + 8 * i as u64 + 6, &h.revents.to_be_bytes())?;
        }
        Ok(n)
    }

    /// The result of a call that ran with the temporary signal mask `mask`: on EINTR the
    /// temporary mask stays for the signal delivery that follows (see `keep_temporary_mask`).
    fn masked(&mut self, mask: Option<u64>, r: SysResult) -> SysResult {
        if let (Some(m), Err(libc::EINTR)) = (mask, &r) {
            self.keep_temporary_mask(m);
        }
        r
    }

    /// A guest `sigset_t *` that may be NULL, read in the guest's layout.
    fn opt_sigset(&self, space: &mut AddressSpace, addr: u64) -> Result<Option<u64>, i32> {
        if addr == 0 {
            return Ok(None);
        }
        Ok(Some(self.abi.get_sigset(&get(space, addr, 8)?)))
    }

    /// A guest `fd_set` of `n` descriptors (an array of guest longs) as host words; None
    /// for a NULL pointer.
    fn get_fd_set(
        &self,
        space: &mut AddressSpace,
        addr: u64,
        n: u64,
    ) -> Result<Option<[u64; 16]>, i32> {
        if addr == 0 {
            return Ok(None);
        }
        let w = self.abi.word_size();
        let words = (n as usize).div_ceil(8 * w);
        let b = get(space, addr, words * w)?;
        let mut set = [0u64; 16];
        for i in 0..words {
            let v = self.abi.get_word(&b[i * w..]);
            set[i * w / 8] |= v << (8 * (i * w % 8));
        }
        Ok(Some(set))
    }

    /// Writes back what [`Self::get_fd_set`] read.
    fn put_fd_set(
        &self,
        space: &mut AddressSpace,
        addr: u64,
        n: u64,
        set: &Option<[u64; 16]>,
    ) -> Result<(), i32> {
        let Some(set) = set else { return Ok(()) };
        let w = self.abi.word_size();
        let mut b = Vec::new();
        for i in 0..(n as usize).div_ceil(8 * w) {
            self.abi
                .put_word(&mut b, set[i * w / 8] >> (8 * (i * w % 8)));
        }
        put(space, addr, &b)
    }

    /// pselect6 (and pselect6_time64 with `time64`): the fd sets and the timeout in the
    /// guest's layout; the sixth argument points to { const sigset_t *ss; size_t ss_len; }.
    pub(super) fn pselect6(
        &mut self,
        space: &mut AddressSpace,
        a: [u64; 6],
        time64: bool,
    ) -> SysResult {
        let tsp = if a[4] == 0 {
            None
        } else if time64 {
            Some(self.get_timespec64(space, a[4])?)
        } else {
            Some(self.get_timespec(space, a[4])?)
        };
        let mask = if a[5] == 0 {
            None
        } else {
            let w = self.abi.word_size();
            let b = get(space, a[5], 2 * w)?;
            self.opt_sigset(space, self.abi.get_word(&b))?
        };
        let sig = mask.as_ref().map(|m| [m as *const u64 as i64, 8]);
        let sigp = sig.as_ref().map_or(0, |s| s.as_ptr() as i64);
        let tsp = tsp
            .as_ref()
            .map_or(0, |t| t as *const libc::timespec as i64);
        let r = self.select_common(space, a, tsp, sigp, libc::SYS_pselect6);
        self.masked(mask, r)
    }

    /// select(2): the timeout is a guest `timeval`, updated with the time left.
    pub(super) fn select(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let mut tv = None;
        if a[4] != 0 {
            let t = self.get_timespec(space, a[4])?;
            tv = Some(libc::timeval {
                tv_sec: t.tv_sec,
                tv_usec: t.tv_nsec,
            });
        }
        let tvp = tv.as_mut().map_or(0, |t| t as *mut libc::timeval as i64);
        let r = self.select_common(space, a, tvp, 0, libc::SYS_select)?;
        if let Some(t) = tv {
            self.put_pair(space, a[4], t.tv_sec, t.tv_usec)?;
        }
        Ok(r)
    }

    fn select_common(
        &mut self,
        space: &mut AddressSpace,
        a: [u64; 6],
        timeout: i64,
        sig: i64,
        nr: libc::c_long,
    ) -> SysResult {
        let n = a[0].min(1024);
        let mut sets = [
            self.get_fd_set(space, a[1], n)?,
            self.get_fd_set(space, a[2], n)?,
            self.get_fd_set(space, a[3], n)?,
        ];
        let [r, w, e] = sets
            .each_mut()
            .map(|s| s.as_mut().map_or(0, |s| s.as_mut_ptr() as i64));
        let ready = raw(nr, [n as i64, r, w, e, timeout, sig])?;
        for (i, set) in sets.iter().enumerate() {
            self.put_fd_set(space, a[1 + i], n, set)?;
        }
        Ok(ready)
    }

    pub(super) fn socketpair(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let mut host = [0i32; 2];
        raw(
            libc::SYS_socketpair,
            [
                int(a[0]),
                int(a[1]),
                int(a[2]),
                host.as_mut_ptr() as i64,
                0,
                0,
            ],
        )?;
        let mut out = Vec::new();
        self.abi.put_u32(&mut out, host[0] as u32);
        self.abi.put_u32(&mut out, host[1] as u32);
        put(space, a[3], &out)?;
        Ok(0)
    }

    /// bind/connect(fd, addr, len): the sockaddr is read by the host.
    pub(super) fn sockaddr_in(
        &mut self,
        space: &mut AddressSpace,
        sys: Sysno,
        a: [u64; 6],
    ) -> SysResult {
        let p = ptr_in(space, a[1], a[2])?;
        let nr = if sys == Sysno::Bind {
            libc::SYS_bind
        } else {
            libc::SYS_connect
        };
        raw(nr, [int(a[0]), p, int(a[2]), 0, 0, 0])
    }

    /// accept/accept4/getsockname/getpeername(fd, addr, *len[, flags]).
    pub(super) fn sockaddr_out(
        &mut self,
        space: &mut AddressSpace,
        sys: Sysno,
        a: [u64; 6],
    ) -> SysResult {
        let (addr, lenp) = if a[1] == 0 || a[2] == 0 {
            (0, 0)
        } else {
            let len = get(space, a[2], 4)?;
            let len = u32::from_ne_bytes(len.try_into().expect("4 bytes"));
            (ptr_out(space, a[1], len as u64)?, ptr_out(space, a[2], 4)?)
        };
        let nr = match sys {
            Sysno::Accept => return raw(libc::SYS_accept4, [int(a[0]), addr, lenp, 0, 0, 0]),
            Sysno::Accept4 => {
                return raw(
                    libc::SYS_accept4,
                    [
                        int(a[0]),
                        addr,
                        lenp,
                        self.abi.open_flags_to_host(a[3] as u32) as i64,
                        0,
                        0,
                    ],
                );
            }
            Sysno::Getsockname => libc::SYS_getsockname,
            _ => libc::SYS_getpeername,
        };
        raw(nr, [int(a[0]), addr, lenp, 0, 0, 0])
    }

    pub(super) fn sendto(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let buf = ptr_in(space, a[1], a[2])?;
        let to = opt_in(space, a[4], a[5])?;
        raw(
            libc::SYS_sendto,
            [int(a[0]), buf, a[2] as i64, int(a[3]), to, int(a[5])],
        )
    }

    pub(super) fn recvfrom(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let buf = ptr_out(space, a[1], a[2])?;
        let (from, lenp) = if a[4] == 0 || a[5] == 0 {
            (0, 0)
        } else {
            let len = u32::from_ne_bytes(get(space, a[5], 4)?.try_into().expect("4 bytes"));
            (ptr_out(space, a[4], len as u64)?, ptr_out(space, a[5], 4)?)
        };
        raw(
            libc::SYS_recvfrom,
            [int(a[0]), buf, a[2] as i64, int(a[3]), from, lenp],
        )
    }

    /// The host's number of socket option `name` at `level`: PowerPC numbers six SOL_SOCKET
    /// options differently (arch/powerpc/include/uapi/asm/socket.h: SO_RCVLOWAT 16 ..
    /// SO_PEERCRED 21, where asm-generic has SO_PASSCRED 16 .. SO_SNDTIMEO_OLD 21).
    fn sockopt_to_host(&self, level: u64, name: u64) -> i32 {
        let (level, name) = (level as i32, name as i32);
        let ppc = matches!(
            self.abi.arch,
            crate::abi::Arch::Ppc | crate::abi::Arch::Ppc64le
        );
        if ppc && level == libc::SOL_SOCKET && (16..=21).contains(&name) {
            // 16..21 on PowerPC: RCVLOWAT, SNDLOWAT, RCVTIMEO, SNDTIMEO, PASSCRED, PEERCRED.
            [18, 19, 20, 21, 16, 17][(name - 16) as usize]
        } else {
            name
        }
    }

    /// A socket option value between the guest's layout and the host's, for guests without
    /// the host's struct layout: `int`s and the all-`int` structs (`linger`, `ucred`) change
    /// byte order, SO_RCVTIMEO/SO_SNDTIMEO are a `timeval` of two guest words; anything
    /// else (strings, addresses in network order) is bytes.
    fn sockopt_value(&self, level: i32, name: i32, v: &[u8], to_host: bool) -> Vec<u8> {
        let ints = match level {
            libc::SOL_SOCKET => match name {
                libc::SO_RCVTIMEO | libc::SO_SNDTIMEO => {
                    let ws = self.abi.word_size();
                    let mut out = Vec::new();
                    if to_host && v.len() >= 2 * ws {
                        for i in 0..2 {
                            let w = self.abi.get_word(&v[i * ws..]);
                            let w = if ws == 4 { w as i32 as i64 } else { w as i64 };
                            out.extend_from_slice(&w.to_ne_bytes());
                        }
                    } else if !to_host && v.len() >= 16 {
                        for i in 0..2 {
                            let w = i64::from_ne_bytes(v[8 * i..8 * i + 8].try_into().unwrap());
                            self.abi.put_word(&mut out, w as u64);
                        }
                    } else {
                        out.extend_from_slice(v);
                    }
                    return out;
                }
                // Strings, addresses and filter programs: bytes.
                libc::SO_BINDTODEVICE
                | libc::SO_ATTACH_FILTER
                | libc::SO_PEERNAME
                | libc::SO_PEERSEC => false,
                // 64-bit values (a cookie, a 64-bit timeval): each doubleword swapped.
                libc::SO_COOKIE | libc::SO_RCVTIMEO_NEW | libc::SO_SNDTIMEO_NEW => {
                    if v.len() % 8 != 0 {
                        return v.to_vec();
                    }
                    let mut out = Vec::with_capacity(v.len());
                    for c in v.chunks_exact(8) {
                        if to_host {
                            out.extend_from_slice(&self.abi.get_u64(c).to_ne_bytes());
                        } else {
                            let x = u64::from_ne_bytes(c.try_into().expect("8 bytes"));
                            self.abi.put_u64(&mut out, x);
                        }
                    }
                    return out;
                }
                _ => true,
            },
            libc::IPPROTO_TCP | libc::IPPROTO_IPV6 => v.len() == 4,
            libc::IPPROTO_IP => v.len() == 4 && name != libc::IP_MULTICAST_IF,
            _ => false,
        };
        if !ints || v.len() % 4 != 0 {
            return v.to_vec();
        }
        let mut out = Vec::with_capacity(v.len());
        for c in v.chunks_exact(4) {
            if to_host {
                out.extend_from_slice(&self.abi.get_u32(c).to_ne_bytes());
            } else {
                self.abi
                    .put_u32(&mut out, u32::from_ne_bytes(c.try_into().expect("4 bytes")));
            }
        }
        out
    }

    pub(super) fn setsockopt(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let name = self.sockopt_to_host(a[1], a[2]);
        if self.abi.host_struct_layout() || a[3] == 0 {
            let v = opt_in(space, a[3], a[4])?;
            return raw(
                libc::SYS_setsockopt,
                [int(a[0]), int(a[1]), i64::from(name), v, int(a[4]), 0],
            );
        }
        if a[4] > SOCKOPT_MAX as u64 {
            return Err(libc::EINVAL);
        }
        let g = get(space, a[3], a[4] as usize)?;
        let h = self.sockopt_value(a[1] as i32, name, &g, true);
        raw(
            libc::SYS_setsockopt,
            [
                int(a[0]),
                int(a[1]),
                i64::from(name),
                h.as_ptr() as i64,
                h.len() as i64,
                0,
            ],
        )
    }

    pub(super) fn getsockopt(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let name = self.sockopt_to_host(a[1], a[2]);
        if self.abi.host_struct_layout() {
            let len = u32::from_ne_bytes(get(space, a[4], 4)?.try_into().expect("4 bytes"));
            let v = opt_out(space, a[3], len as u64)?;
            let lenp = ptr_out(space, a[4], 4)?;
            return raw(
                libc::SYS_getsockopt,
                [int(a[0]), int(a[1]), i64::from(name), v, lenp, 0],
            );
        }
        let len = self.abi.get_u32(&get(space, a[4], 4)?) as i32;
        if len < 0 {
            return Err(libc::EINVAL);
        }
        let len = (len as usize).min(SOCKOPT_MAX);
        ptr_out(space, a[3], len as u64)?;
        // Room for the host's form (a host `timeval` is larger than a 32-bit guest's).
        let mut h = vec![0u8; len.max(64)];
        let mut hlen = h.len() as libc::socklen_t;
        raw(
            libc::SYS_getsockopt,
            [
                int(a[0]),
                int(a[1]),
                i64::from(name),
                h.as_mut_ptr() as i64,
                &raw mut hlen as i64,
                0,
            ],
        )?;
        let mut g = self.sockopt_value(a[1] as i32, name, &h[..hlen as usize], false);
        g.truncate(len);
        put(space, a[3], &g)?;
        let mut o = Vec::new();
        self.abi.put_u32(&mut o, g.len() as u32);
        put(space, a[4], &o)?;
        Ok(0)
    }

    pub(super) fn memfd_create(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let name = std::ffi::CString::new(space.read_cstr(a[0], 249).map_err(|_| libc::EFAULT)?)
            .expect("no NUL inside");
        raw(
            libc::SYS_memfd_create,
            [name.as_ptr() as i64, int(a[1]), 0, 0, 0, 0],
        )
    }

    /// sendmsg/recvmsg: `struct msghdr` in guest words (name, namelen, iov, iovlen,
    /// control, controllen, flags), rebuilt with host pointers; recvmsg writes the lengths
    /// and flags back. Ancillary data passes through where the guest's `cmsghdr` is the
    /// host's, and is converted (`cmsg.rs`) on 32-bit or big-endian guests.
    pub(super) fn msg(&mut self, space: &mut AddressSpace, sys: Sysno, a: [u64; 6]) -> SysResult {
        let recv = sys == Sysno::Recvmsg;
        let ws = self.abi.word_size();
        let b = get(space, a[1], 7 * ws)?;
        let w = |i: usize| self.abi.get_word(&b[i * ws..]);
        let (name, namelen, iov, iovlen, control, controllen) = (
            w(0),
            u64::from(self.abi.get_u32(&b[ws..])),
            w(2),
            w(3),
            w(4),
            w(5),
        );
        let convert = !self.abi.host_struct_layout() && control != 0 && controllen != 0;
        let iovs = self.iovecs(space, iov, iovlen, recv)?;
        let hname = if recv {
            opt_out(space, name, namelen)?
        } else {
            opt_in(space, name, namelen)?
        };
        // The converted control buffer, in the host's layout (empty when not converting).
        let mut hbuf = Vec::new();
        let hcontrol = if convert {
            if recv {
                // Fail before receiving descriptors that could not be handed over.
                ptr_out(space, control, controllen)?;
                let room = (controllen as usize).min(CMSG_RECV_MAX);
                hbuf = vec![0u8; cmsg::host_room(self.abi, room)];
            } else {
                if controllen > CMSG_SEND_MAX as u64 {
                    return Err(libc::ENOBUFS);
                }
                let g = get(space, control, controllen as usize)?;
                let msgs = cmsg::parse_guest(self.abi, &g)?;
                self.warn_unconverted_cmsgs(&msgs);
                hbuf = cmsg::host_buffer(&msgs);
            }
            if hbuf.is_empty() {
                0
            } else {
                hbuf.as_mut_ptr() as i64
            }
        } else if recv {
            opt_out(space, control, controllen)?
        } else {
            opt_in(space, control, controllen)?
        };
        // SAFETY: `msghdr` is plain old data; all-zero is a valid value.
        let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
        m.msg_name = hname as *mut libc::c_void;
        m.msg_namelen = namelen as u32;
        m.msg_iov = iovs.as_ptr() as *mut libc::iovec;
        m.msg_iovlen = iovs.len();
        m.msg_control = hcontrol as *mut libc::c_void;
        m.msg_controllen = if convert {
            hbuf.len()
        } else {
            controllen as usize
        };
        m.msg_flags = 0;
        let nr = if recv {
            libc::SYS_recvmsg
        } else {
            libc::SYS_sendmsg
        };
        let r = raw(nr, [int(a[0]), &raw mut m as i64, int(a[2]), 0, 0, 0])?;
        if recv {
            let mut flags = m.msg_flags as u32;
            let mut guest_controllen = m.msg_controllen as u64;
            if convert {
                let msgs = cmsg::parse_host(&hbuf[..m.msg_controllen.min(hbuf.len())]);
                self.warn_unconverted_cmsgs(&msgs);
                let (g, cut) =
                    cmsg::guest_buffer(self.abi, &msgs, controllen as usize, &mut |fd| {
                        // SAFETY: `fd` is a descriptor this recvmsg just installed and
                        // the guest never saw; closing it is what Linux does with
                        // descriptors that do not fit the receiver's buffer.
                        unsafe { libc::close(fd) };
                    });
                put(space, control, &g)?;
                guest_controllen = g.len() as u64;
                if cut {
                    flags |= libc::MSG_CTRUNC as u32;
                }
            }
            let mut o = Vec::new();
            self.abi.put_u32(&mut o, m.msg_namelen);
            put(space, a[1] + ws as u64, &o)?;
            let mut o = Vec::new();
            self.abi.put_word(&mut o, guest_controllen);
            put(space, a[1] + 5 * ws as u64, &o)?;
            let mut o = Vec::new();
            self.abi.put_u32(&mut o, flags);
            put(space, a[1] + 6 * ws as u64, &o)?;
        }
        Ok(r)
    }

    /// sendmmsg/recvmmsg[_time64]: the guest's `struct mmsghdr` array (a `msghdr` and a 32-bit
    /// `msg_len`, padded to a word) served one message at a time through [`Self::msg`],
    /// so each gets the same conversions. As Linux: at most UIO_MAXIOV messages; an error
    /// on the first message is the result, a later one ends the batch (its count is the
    /// result); recvmmsg's MSG_WAITFORONE makes every message after the first
    /// non-blocking, and its timeout is checked after each message.
    pub(super) fn mmsg(&mut self, space: &mut AddressSpace, sys: Sysno, a: [u64; 6]) -> SysResult {
        const MSG_WAITFORONE: u64 = 0x1_0000;
        let recv = matches!(sys, Sysno::Recvmmsg | Sysno::RecvmmsgTime64);
        let ws = self.abi.word_size();
        // msghdr: 7 words (28 bytes) on 32-bit guests, 56 bytes on 64-bit ones.
        let msg_len_off: usize = if ws == 8 { 56 } else { 28 };
        let size = (msg_len_off + 4).next_multiple_of(ws);
        let vlen = (a[2] as u32).min(1024) as u64;
        let deadline = if recv && a[4] != 0 {
            // recvmmsg_time64 (32-bit guests): a timespec of two 64-bit fields.
            let (sec, nsec) = if sys == Sysno::RecvmmsgTime64 || ws == 8 {
                let b = get(space, a[4], 16)?;
                (
                    self.abi.get_u64(&b) as i64,
                    self.abi.get_u64(&b[8..]) as i64,
                )
            } else {
                let b = get(space, a[4], 8)?;
                (
                    self.abi.get_u32(&b) as i32 as i64,
                    self.abi.get_u32(&b[4..]) as i32 as i64,
                )
            };
            if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
                return Err(libc::EINVAL);
            }
            Some(std::time::Instant::now() + std::time::Duration::new(sec as u64, nsec as u32))
        } else {
            None
        };
        let mut flags = a[3] & !MSG_WAITFORONE;
        let mut done = 0u64;
        while done < vlen {
            let at = a[1] + done * size as u64;
            let one = if recv { Sysno::Recvmsg } else { Sysno::Sendmsg };
            match self.msg(space, one, [a[0], at, flags, 0, 0, 0]) {
                Ok(n) => {
                    let mut o = Vec::new();
                    self.abi.put_u32(&mut o, n as u32);
                    put(space, at + msg_len_off as u64, &o)?;
                }
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
            done += 1;
            if recv {
                if a[3] & MSG_WAITFORONE != 0 {
                    flags |= libc::MSG_DONTWAIT as u64;
                }
                if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                    break;
                }
            }
        }
        Ok(done as i64)
    }

    /// Warns once per (level, type) of ancillary data whose payload is passed unconverted.
    fn warn_unconverted_cmsgs(&mut self, msgs: &[cmsg::Cmsg]) {
        for c in msgs {
            if !cmsg::known(c.level, c.kind) {
                self.warn_once(
                    0x2_0000_0000 | u64::from(c.level as u16) << 16 | u64::from(c.kind as u16),
                    &format!(
                        "ancillary data level {} type {} passed without conversion",
                        c.level, c.kind
                    ),
                );
            }
        }
    }

    /// Size of the guest's `struct epoll_event` and the offset of its data field: x86-64
    /// packs it (12 bytes), the other arches align the u64 (16 bytes).
    fn epoll_layout(&self) -> (usize, usize) {
        if self.abi.arch == crate::abi::Arch::X86_64 {
            (12, 4)
        } else {
            (16, 8)
        }
    }

    pub(super) fn epoll_ctl(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let (size, data_off) = self.epoll_layout();
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        if a[3] != 0 {
            let b = get(space, a[3], size)?;
            ev.events = self.abi.get_u32(&b);
            ev.u64 = self.abi.get_u64(&b[data_off..]);
        }
        let evp = if a[3] != 0 { &raw mut ev as i64 } else { 0 };
        raw(
            libc::SYS_epoll_ctl,
            [int(a[0]), int(a[1]), int(a[2]), evp, 0, 0],
        )
    }

    pub(super) fn epoll_pwait(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let (size, data_off) = self.epoll_layout();
        let max = (a[2] as i32).clamp(0, 4096) as usize;
        if max == 0 {
            return Err(libc::EINVAL);
        }
        // Check the guest buffer before blocking.
        ptr_out(space, a[1], (max * size) as u64)?;
        let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; max];
        let mask = self.opt_sigset(space, a[4])?;
        let maskp = mask.as_ref().map_or(0, |m| m as *const u64 as i64);
        let n = self.masked(
            mask,
            raw(
                libc::SYS_epoll_pwait,
                [
                    int(a[0]),
                    evs.as_mut_ptr() as i64,
                    max as i64,
                    int(a[3]),
                    maskp,
                    if maskp != 0 { 8 } else { 0 },
                ],
            ),
        )?;
        let mut out = Vec::with_capacity(n as usize * size);
        for e in evs.iter().take(n as usize) {
            let (events, data) = (e.events, e.u64);
            self.abi.put_u32(&mut out, events);
            out.resize(out.len() + data_off - 4, 0);
            self.abi.put_u64(&mut out, data);
            out.resize(out.len().next_multiple_of(size), 0);
        }
        put(space, a[1], &out)?;
        Ok(n)
    }
}

#[cfg(test)]
mod sockopt_tests {
    use super::*;
    use crate::abi::{Arch, Endian};

    /// A 32-bit big-endian PowerPC-like guest.
    static PPC32: Abi = Abi {
        arch: Arch::Ppc,
        is_64bit: false,
        endian: Endian::Big,
        stat: StatLayout::Ppc32Stat64,
        ..crate::abi::x86_64::BASE
    };

    #[test]
    fn powerpc_socket_option_numbers() {
        let s = Syscalls::new(&PPC32, vec![]);
        let sol = libc::SOL_SOCKET as u64;
        // PowerPC 16..21: RCVLOWAT, SNDLOWAT, RCVTIMEO, SNDTIMEO, PASSCRED, PEERCRED.
        let host: Vec<i32> = (16..=21).map(|n| s.sockopt_to_host(sol, n)).collect();
        assert_eq!(
            host,
            [
                libc::SO_RCVLOWAT,
                libc::SO_SNDLOWAT,
                libc::SO_RCVTIMEO,
                libc::SO_SNDTIMEO,
                libc::SO_PASSCRED,
                libc::SO_PEERCRED
            ]
        );
        assert_eq!(s.sockopt_to_host(sol, 7), 7, "SO_SNDBUF is shared");
        let tcp = libc::IPPROTO_TCP as u64;
        assert_eq!(
            s.sockopt_to_host(tcp, 20),
            20,
            "other levels keep their numbers"
        );
    }

    #[test]
    fn option_values_in_the_guest_layout() {
        let s = Syscalls::new(&PPC32, vec![]);
        let sol = libc::SOL_SOCKET;
        // An int.
        let h = s.sockopt_value(sol, libc::SO_RCVBUF, &[0, 0, 1, 2], true);
        assert_eq!(h, 0x0102i32.to_ne_bytes());
        assert_eq!(
            s.sockopt_value(sol, libc::SO_RCVBUF, &h, false),
            [0, 0, 1, 2]
        );
        // A 32-bit timeval to the host's 64-bit one and back.
        let g = [0, 0, 0, 2, 0, 7, 0xa1, 0x20];
        let h = s.sockopt_value(sol, libc::SO_RCVTIMEO, &g, true);
        let want: Vec<u8> = [2i64, 500_000]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        assert_eq!(h, want);
        assert_eq!(s.sockopt_value(sol, libc::SO_RCVTIMEO, &h, false), g);
        // ucred: three ints; a cookie: one doubleword; a device name: bytes.
        let h: Vec<u8> = [1u32, 2, 3].iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert_eq!(
            s.sockopt_value(sol, libc::SO_PEERCRED, &h, false),
            [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]
        );
        let h = 0x0102_0304_0506_0708u64.to_ne_bytes();
        assert_eq!(
            s.sockopt_value(sol, libc::SO_COOKIE, &h, false),
            [1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(
            s.sockopt_value(sol, libc::SO_BINDTODEVICE, b"eth0", true),
            b"eth0"
        );
    }
}
