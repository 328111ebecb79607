//! Syscall layer tests on the x86-64 ABI (its numbers), with guest memory in a small window.

use super::*;
use crate::abi::x86_64::ABI;
use crate::abi::{Arch, Endian, StatLayout};
use crate::space::{MapRequest, MemEvent, PAGE_SIZE};

const READ: u64 = 0;
const WRITE: u64 = 1;
const CLOSE: u64 = 3;
const FSTAT: u64 = 5;
const MMAP: u64 = 9;
const MUNMAP: u64 = 11;
const BRK: u64 = 12;
const READV: u64 = 19;
const WRITEV: u64 = 20;
const CLONE: u64 = 56;
const EXECVE: u64 = 59;
const WAIT4: u64 = 61;
const UNAME: u64 = 63;
const READLINK: u64 = 89;
const ARCH_PRCTL: u64 = 158;
const IO_SETUP: u64 = 206;
const CLOCK_GETTIME: u64 = 228;
const EXIT_GROUP: u64 = 231;
const OPENAT: u64 = 257;
const PIPE2: u64 = 293;

/// A 4 GiB guest with one read-write scratch region at `BUF`.
const BUF: u64 = 0x10_0000;

fn setup() -> (Syscalls, AddressSpace) {
    let mut space = AddressSpace::new(32).unwrap();
    space
        .mmap(MapRequest {
            addr: BUF,
            len: 16 * PAGE_SIZE,
            prot: Prot::RW,
            fixed: true,
            ..Default::default()
        })
        .unwrap();
    (Syscalls::new(&ABI, vec![]), space)
}

fn ret(o: SyscallOutcome) -> i64 {
    match o {
        SyscallOutcome::Return(v) => v,
        o => panic!("expected a return value, got {o:?}"),
    }
}

fn call(s: &mut Syscalls, sp: &mut AddressSpace, nr: u64, a: &[u64]) -> i64 {
    let mut args = [0u64; 6];
    args[..a.len()].copy_from_slice(a);
    ret(s.handle(sp, nr, args))
}

fn put_str(sp: &mut AddressSpace, addr: u64, s: &str) {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    sp.write(addr, &b).unwrap();
}

#[test]
fn unknown_and_unimplemented_are_enosys() {
    let (mut s, mut sp) = setup();
    assert_eq!(call(&mut s, &mut sp, 100_000, &[]), -(libc::ENOSYS as i64));
    assert_eq!(call(&mut s, &mut sp, IO_SETUP, &[]), -(libc::ENOSYS as i64));
    assert_eq!(s.count(), 2);
}

#[test]
fn pipe_write_read_through_guest_memory_and_efault() {
    let (mut s, mut sp) = setup();
    assert_eq!(call(&mut s, &mut sp, PIPE2, &[BUF, 0]), 0);
    let mut fds = [0u8; 8];
    sp.read(BUF, &mut fds).unwrap();
    let (r, w) = (
        u32::from_le_bytes(fds[..4].try_into().unwrap()) as u64,
        u32::from_le_bytes(fds[4..].try_into().unwrap()) as u64,
    );
    sp.write(BUF + 0x100, b"ping").unwrap();
    assert_eq!(call(&mut s, &mut sp, WRITE, &[w, BUF + 0x100, 4]), 4);
    // A buffer that is not mapped: EFAULT, nothing consumed.
    assert_eq!(
        call(&mut s, &mut sp, READ, &[r, 0x9000_0000, 4]),
        -(libc::EFAULT as i64)
    );
    // One that runs past the end of the mapping: EFAULT too.
    assert_eq!(
        call(&mut s, &mut sp, READ, &[r, BUF + 16 * PAGE_SIZE - 2, 4]),
        -(libc::EFAULT as i64)
    );
    assert_eq!(call(&mut s, &mut sp, READ, &[r, BUF + 0x200, 4]), 4);
    let mut got = [0u8; 4];
    sp.read(BUF + 0x200, &mut got).unwrap();
    assert_eq!(&got, b"ping");

    // writev/readv with a guest iovec array of two pieces.
    sp.write(BUF + 0x300, b"abcXYZ").unwrap();
    let iov = [BUF + 0x300, 3, BUF + 0x303, 3]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect::<Vec<u8>>();
    sp.write(BUF + 0x400, &iov).unwrap();
    assert_eq!(call(&mut s, &mut sp, WRITEV, &[w, BUF + 0x400, 2]), 6);
    let iov = [BUF + 0x500, 2, BUF + 0x600, 4]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect::<Vec<u8>>();
    sp.write(BUF + 0x400, &iov).unwrap();
    assert_eq!(call(&mut s, &mut sp, READV, &[r, BUF + 0x400, 2]), 6);
    let (mut a, mut b) = ([0u8; 2], [0u8; 4]);
    sp.read(BUF + 0x500, &mut a).unwrap();
    sp.read(BUF + 0x600, &mut b).unwrap();
    assert_eq!((&a, &b), (b"ab", b"cXYZ"));
    call(&mut s, &mut sp, CLOSE, &[r]);
    call(&mut s, &mut sp, CLOSE, &[w]);
}

#[test]
fn openat_and_fstat_convert_the_stat_struct() {
    let (mut s, mut sp) = setup();
    let path = std::env::temp_dir().join(format!("xarch-sys-{}", std::process::id()));
    std::fs::write(&path, b"0123456789").unwrap();
    put_str(&mut sp, BUF, path.to_str().unwrap());
    let fd = call(
        &mut s,
        &mut sp,
        OPENAT,
        &[libc::AT_FDCWD as u64, BUF, libc::O_RDONLY as u64, 0],
    );
    assert!(fd >= 0, "{fd}");
    assert_eq!(call(&mut s, &mut sp, FSTAT, &[fd as u64, BUF + 0x1000]), 0);
    // x86-64 struct stat: st_mode at 24, st_size at 48.
    let mut st = [0u8; 144];
    sp.read(BUF + 0x1000, &mut st).unwrap();
    assert_eq!(
        u32::from_le_bytes(st[24..28].try_into().unwrap()) & libc::S_IFMT,
        libc::S_IFREG
    );
    assert_eq!(i64::from_le_bytes(st[48..56].try_into().unwrap()), 10);
    call(&mut s, &mut sp, CLOSE, &[fd as u64]);
    // A missing file: -ENOENT.
    put_str(&mut sp, BUF, "/nonexistent/xarch");
    assert_eq!(
        call(&mut s, &mut sp, OPENAT, &[libc::AT_FDCWD as u64, BUF, 0, 0]),
        -(libc::ENOENT as i64)
    );
    // A path pointer outside guest memory: -EFAULT.
    assert_eq!(
        call(
            &mut s,
            &mut sp,
            OPENAT,
            &[libc::AT_FDCWD as u64, 0x9000_0000, 0, 0]
        ),
        -(libc::EFAULT as i64)
    );
    std::fs::remove_file(path).unwrap();
}

#[test]
fn generic_stat_layout() {
    static GENERIC: Abi = Abi {
        arch: Arch::Aarch64,
        elf_machine: 183,
        stat: StatLayout::Generic64,
        endian: Endian::Little,
        ..crate::abi::x86_64::BASE
    };
    // SAFETY: plain old data, all-zero is valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    st.st_mode = 0o100644;
    st.st_nlink = 3;
    st.st_size = 12345;
    st.st_blksize = 4096;
    st.st_mtime = 1_700_000_000;
    let b = fs::stat_to_guest(&GENERIC, &st);
    assert_eq!(b.len(), 128);
    assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 0o100644);
    assert_eq!(u32::from_le_bytes(b[20..24].try_into().unwrap()), 3);
    assert_eq!(i64::from_le_bytes(b[48..56].try_into().unwrap()), 12345);
    assert_eq!(i32::from_le_bytes(b[56..60].try_into().unwrap()), 4096);
    assert_eq!(
        i64::from_le_bytes(b[88..96].try_into().unwrap()),
        1_700_000_000
    );
    assert_eq!(fs::stat_to_guest(&ABI, &st).len(), 144);
}

#[test]
fn proc_self_exe_names_the_guest() {
    let (mut s, mut sp) = setup();
    s.set_exe_path(Path::new("/opt/guest/prog"));
    put_str(&mut sp, BUF, "/proc/self/exe");
    let n = call(&mut s, &mut sp, READLINK, &[BUF, BUF + 0x100, 64]);
    assert_eq!(n, 15);
    let mut b = [0u8; 15];
    sp.read(BUF + 0x100, &mut b).unwrap();
    assert_eq!(&b, b"/opt/guest/prog");
}

#[test]
fn memory_calls_go_through_the_address_space() {
    let (mut s, mut sp) = setup();
    sp.take_events();
    let a = call(&mut s, &mut sp, MMAP, &[0, 8192, 3, 0x22, u64::MAX, 0]);
    assert!(a > 0 && (a as u64).is_multiple_of(PAGE_SIZE), "{a:#x}");
    assert!(sp.is_mapped(a as u64, 8192, Prot::RW));
    assert_eq!(call(&mut s, &mut sp, MUNMAP, &[a as u64, 4096]), 0);
    let ev = sp.take_events();
    assert!(matches!(ev[0], MemEvent::Mapped { len: 8192, .. }));
    assert_eq!(
        ev[1],
        MemEvent::Unmapped {
            start: a as u64,
            len: 4096
        }
    );
    // Neither MAP_PRIVATE nor MAP_SHARED: EINVAL.
    assert_eq!(
        call(&mut s, &mut sp, MMAP, &[0, 8192, 3, 0x20, u64::MAX, 0]),
        -(libc::EINVAL as i64)
    );
    sp.set_brk_start(0x80_0000);
    assert_eq!(call(&mut s, &mut sp, BRK, &[0]), 0x80_0000);
    assert_eq!(call(&mut s, &mut sp, BRK, &[0x80_1234]), 0x80_1234);
}

#[test]
fn identity_time_and_thread_pointer() {
    let (mut s, mut sp) = setup();
    assert_eq!(call(&mut s, &mut sp, UNAME, &[BUF]), 0);
    assert_eq!(sp.read_cstr(BUF + 4 * 65, 65).unwrap(), b"x86_64");
    assert_eq!(
        call(
            &mut s,
            &mut sp,
            CLOCK_GETTIME,
            &[libc::CLOCK_REALTIME as u64, BUF]
        ),
        0
    );
    let mut ts = [0u8; 16];
    sp.read(BUF, &mut ts).unwrap();
    assert!(i64::from_le_bytes(ts[..8].try_into().unwrap()) > 1_600_000_000);
    assert_eq!(
        s.handle(&mut sp, ARCH_PRCTL, [0x1002, 0x1234, 0, 0, 0, 0]),
        SyscallOutcome::SetThreadPointer(0x1234)
    );
    assert_eq!(
        s.handle(&mut sp, ARCH_PRCTL, [0x1003, BUF, 0, 0, 0, 0]),
        SyscallOutcome::GetThreadPointer(BUF)
    );
    assert_eq!(
        s.handle(&mut sp, EXIT_GROUP, [3, 0, 0, 0, 0, 0]),
        SyscallOutcome::Exit(3)
    );
}

#[test]
fn execve_of_a_missing_program_fails() {
    let (mut s, mut sp) = setup();
    put_str(&mut sp, BUF, "/nonexistent/prog");
    assert_eq!(
        call(&mut s, &mut sp, EXECVE, &[BUF, 0, 0]),
        -(libc::ENOENT as i64)
    );
    assert_eq!(
        call(&mut s, &mut sp, EXECVE, &[0x9000_0000, 0, 0]),
        -(libc::EFAULT as i64)
    );
}

#[test]
fn fork_and_vfork_then_wait4() {
    let (mut s, mut sp) = setup();
    for (flags, sleep_ms) in [
        (libc::SIGCHLD as u64, 0u64),
        (
            (libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD) as u64,
            150,
        ),
    ] {
        let t0 = std::time::Instant::now();
        match s.handle(&mut sp, CLONE, [flags, 0, 0, 0, 0, 0]) {
            SyscallOutcome::Forked {
                child: true,
                ret: 0,
                ..
            } => {
                std::thread::sleep(std::time::Duration::from_millis(sleep_ms));
                // SAFETY: the forked child leaves at once without running destructors.
                unsafe { libc::_exit(7) }
            }
            SyscallOutcome::Forked {
                child: false,
                ret: pid,
                ..
            } => {
                // vfork: the parent resumes only once the child has exited (or exec'd).
                assert!(t0.elapsed().as_millis() as u64 >= sleep_ms);
                assert_eq!(call(&mut s, &mut sp, WAIT4, &[pid as u64, BUF, 0, 0]), pid);
                let mut st = [0u8; 4];
                sp.read(BUF, &mut st).unwrap();
                assert_eq!(i32::from_le_bytes(st), 7 << 8);
            }
            o => panic!("{o:?}"),
        }
    }
    // Threads are refused.
    let flags = (libc::CLONE_VM | libc::CLONE_THREAD | libc::CLONE_SIGHAND) as u64;
    assert_eq!(
        call(&mut s, &mut sp, CLONE, &[flags, 0, 0, 0, 0]),
        -(libc::ENOSYS as i64)
    );
}

#[test]
fn proc_self_maps_lists_the_guest_mappings() {
    let (mut s, mut sp) = setup();
    put_str(&mut sp, BUF, "/proc/self/maps");
    let fd = call(&mut s, &mut sp, OPENAT, &[libc::AT_FDCWD as u64, BUF, 0, 0]);
    assert!(fd >= 0, "{fd}");
    let n = call(&mut s, &mut sp, READ, &[fd as u64, BUF + 0x1000, 4096]);
    let mut text = vec![0u8; n as usize];
    sp.read(BUF + 0x1000, &mut text).unwrap();
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "00100000-00110000 rw-p 00000000 00:00 0\n"
    );
    call(&mut s, &mut sp, CLOSE, &[fd as u64]);
}

#[test]
fn epoll_events_use_the_guest_layout() {
    // x86-64 numbers, but the 16-byte (aligned) epoll_event of the other arches.
    static ALIGNED: Abi = Abi {
        arch: Arch::Aarch64,
        ..crate::abi::x86_64::BASE
    };
    const EPOLL_CTL: u64 = 233;
    const EPOLL_PWAIT: u64 = 281;
    const EPOLL_CREATE1: u64 = 291;
    let mut space = AddressSpace::new(32).unwrap();
    space
        .mmap(MapRequest {
            addr: BUF,
            len: 4 * PAGE_SIZE,
            prot: Prot::RW,
            fixed: true,
            ..Default::default()
        })
        .unwrap();
    let mut s = Syscalls::new(&ALIGNED, vec![]);
    let sp = &mut space;
    assert_eq!(call(&mut s, sp, PIPE2, &[BUF, 0]), 0);
    let mut fds = [0u8; 8];
    sp.read(BUF, &mut fds).unwrap();
    let (r, w) = (
        u32::from_le_bytes(fds[..4].try_into().unwrap()) as u64,
        u32::from_le_bytes(fds[4..].try_into().unwrap()) as u64,
    );
    let ep = call(&mut s, sp, EPOLL_CREATE1, &[0]);
    assert!(ep >= 0);
    let mut ev = vec![0u8; 16];
    ev[..4].copy_from_slice(&(libc::EPOLLIN as u32).to_le_bytes());
    ev[8..].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
    sp.write(BUF + 0x100, &ev).unwrap();
    assert_eq!(
        call(
            &mut s,
            sp,
            EPOLL_CTL,
            &[ep as u64, libc::EPOLL_CTL_ADD as u64, r, BUF + 0x100]
        ),
        0
    );
    sp.write(BUF + 0x200, b"x").unwrap();
    assert_eq!(call(&mut s, sp, WRITE, &[w, BUF + 0x200, 1]), 1);
    assert_eq!(
        call(
            &mut s,
            sp,
            EPOLL_PWAIT,
            &[ep as u64, BUF + 0x300, 4, 1000, 0, 8]
        ),
        1
    );
    let mut out = [0u8; 16];
    sp.read(BUF + 0x300, &mut out).unwrap();
    assert_eq!(
        u32::from_le_bytes(out[..4].try_into().unwrap()),
        libc::EPOLLIN as u32
    );
    assert_eq!(
        u64::from_le_bytes(out[8..].try_into().unwrap()),
        0x1122_3344_5566_7788
    );
    for fd in [r, w, ep as u64] {
        call(&mut s, sp, CLOSE, &[fd]);
    }
}

/// A 32-bit big-endian guest (PowerPC-like layouts), x86-64 numbers: tests call the
/// handlers directly.
static BE32: Abi = Abi {
    arch: Arch::Ppc,
    is_64bit: false,
    endian: Endian::Big,
    stat: StatLayout::Ppc32Stat64,
    ..crate::abi::x86_64::BASE
};

#[test]
fn big_endian_32bit_conversions() {
    let mut sp = AddressSpace::new(32).unwrap();
    sp.mmap(MapRequest {
        addr: BUF,
        len: 4 * PAGE_SIZE,
        prot: Prot::RW,
        fixed: true,
        ..Default::default()
    })
    .unwrap();
    let mut s = Syscalls::new(&BE32, vec![]);
    let dir = std::env::temp_dir().join(format!("xarch-be-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f"), b"0123456789").unwrap();

    // getdents64: records in big-endian, names intact.
    let d = std::fs::File::open(&dir).unwrap();
    use std::os::fd::AsRawFd;
    let n = s
        .getdents64(&mut sp, [d.as_raw_fd() as u64, BUF, 4096, 0, 0, 0])
        .unwrap() as usize;
    let mut b = vec![0u8; n];
    sp.read(BUF, &mut b).unwrap();
    let mut names = Vec::new();
    let mut o = 0;
    while o < n {
        let reclen = u16::from_be_bytes([b[o + 16], b[o + 17]]) as usize;
        assert!(reclen >= 20 && o + reclen <= n, "reclen {reclen}");
        let name = &b[o + 19..o + reclen];
        names.push(
            String::from_utf8_lossy(&name[..name.iter().position(|&c| c == 0).unwrap()])
                .into_owned(),
        );
        o += reclen;
    }
    names.sort();
    assert_eq!(names, [".", "..", "f"]);

    // _llseek: the 64-bit result in big-endian.
    let f = std::fs::File::open(dir.join("f")).unwrap();
    assert_eq!(
        s.llseek(
            &mut sp,
            [f.as_raw_fd() as u64, 0, 7, BUF, libc::SEEK_SET as u64, 0]
        ),
        Ok(0)
    );
    let mut r = [0u8; 8];
    sp.read(BUF, &mut r).unwrap();
    assert_eq!(u64::from_be_bytes(r), 7);

    // getrlimit: two 32-bit words, infinity clamped to 0xffffffff.
    assert_eq!(
        s.rlimit_words(&mut sp, libc::RLIMIT_NOFILE as u64, None, BUF),
        Ok(0)
    );
    let mut w = [0u8; 8];
    sp.read(BUF, &mut w).unwrap();
    let mut host = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: writes the local struct.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut host) };
    assert_eq!(
        u32::from_be_bytes(w[..4].try_into().unwrap()) as u64,
        host.rlim_cur.min(u32::MAX as u64)
    );

    // statx: the common layout, each field big-endian (mode at 28, size at 40).
    put_str(&mut sp, BUF + 2048, dir.join("f").to_str().unwrap());
    assert_eq!(
        s.statx(
            &mut sp,
            [libc::AT_FDCWD as u64, BUF + 2048, 0, 0x7ff, BUF, 0]
        ),
        Ok(0)
    );
    let mut x = [0u8; 256];
    sp.read(BUF, &mut x).unwrap();
    assert_eq!(
        u16::from_be_bytes([x[28], x[29]]) as u32 & 0o170000,
        0o100000
    );
    assert_eq!(u64::from_be_bytes(x[40..48].try_into().unwrap()), 10);
    assert_ne!(u32::from_be_bytes(x[0..4].try_into().unwrap()) & 0x200, 0); // STATX_SIZE

    // stat64 of 32-bit PowerPC: st_size at 48, big-endian.
    // SAFETY: plain old data.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    st.st_size = 10;
    st.st_mode = 0o100600;
    let g = fs::stat_to_guest(&BE32, &st);
    assert_eq!(g.len(), 104);
    assert_eq!(u32::from_be_bytes(g[16..20].try_into().unwrap()), 0o100600);
    assert_eq!(i64::from_be_bytes(g[48..56].try_into().unwrap()), 10);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn big_endian_32bit_poll_select_sysinfo_rusage() {
    let mut sp = AddressSpace::new(32).unwrap();
    sp.mmap(MapRequest {
        addr: BUF,
        len: 4 * PAGE_SIZE,
        prot: Prot::RW,
        fixed: true,
        ..Default::default()
    })
    .unwrap();
    let mut s = Syscalls::new(&BE32, vec![]);
    let mut fds = [0i32; 2];
    // SAFETY: writes two ints into the local array.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (r, w) = (fds[0], fds[1]);
    // SAFETY: writes one byte from a static buffer to the test's own pipe.
    assert_eq!(unsafe { libc::write(w, b"x".as_ptr().cast(), 1) }, 1);

    // poll: { fd, events, revents } big-endian; revents written back.
    let mut pfd = Vec::new();
    pfd.extend_from_slice(&r.to_be_bytes());
    pfd.extend_from_slice(&(libc::POLLIN as i16).to_be_bytes());
    pfd.extend_from_slice(&0i16.to_be_bytes());
    sp.write(BUF, &pfd).unwrap();
    assert_eq!(s.poll(&mut sp, BUF, 1, PollTimeout::Millis(0), 0), Ok(1));
    let mut b = [0u8; 8];
    sp.read(BUF, &mut b).unwrap();
    assert_eq!(i16::from_be_bytes([b[6], b[7]]), libc::POLLIN as i16);

    // select: fd_set words are 32-bit big-endian; the readable pipe end stays set, the
    // write end (in the read set, never readable) is cleared.
    let mut set = [0u8; 8];
    for fd in [r, w] {
        let word = fd as usize / 32;
        let v =
            u32::from_be_bytes(set[word * 4..word * 4 + 4].try_into().unwrap()) | 1 << (fd % 32);
        set[word * 4..word * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    sp.write(BUF + 64, &set).unwrap();
    sp.write(BUF + 128, &[0u8; 8]).unwrap(); // timeval {0, 0}
    let n = (r.max(w) + 1) as u64;
    assert_eq!(s.select(&mut sp, [n, BUF + 64, 0, 0, BUF + 128, 0]), Ok(1));
    sp.read(BUF + 64, &mut set).unwrap();
    let bit = |fd: i32| {
        let word = fd as usize / 32;
        u32::from_be_bytes(set[word * 4..word * 4 + 4].try_into().unwrap()) >> (fd % 32) & 1
    };
    assert_eq!((bit(r), bit(w)), (1, 0));

    // sysinfo: 64 bytes of 32-bit words; totalram * mem_unit is the host's total.
    assert_eq!(s.sysinfo(&mut sp, [BUF + 256, 0, 0, 0, 0, 0]), Ok(0));
    let mut si = [0u8; 64];
    sp.read(BUF + 256, &mut si).unwrap();
    let word = |o: usize| u32::from_be_bytes(si[o..o + 4].try_into().unwrap()) as u64;
    // SAFETY: plain old data filled by the call.
    let mut host: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: fills the local struct.
    unsafe { libc::sysinfo(&mut host) };
    let total = word(16) * word(52);
    let host_total = host.totalram * u64::from(host.mem_unit);
    assert!(
        total <= host_total && total + 2 * word(52) > host_total,
        "{total} vs {host_total}"
    );
    assert!(word(0) > 0); // uptime

    // getrusage: 18 words; ru_maxrss (word 8) is this process's, non-zero.
    assert_eq!(s.getrusage(&mut sp, [0, BUF + 512, 0, 0, 0, 0]), Ok(0));
    let mut ru = [0u8; 72];
    sp.read(BUF + 512, &mut ru).unwrap();
    assert!(u32::from_be_bytes(ru[32..36].try_into().unwrap()) > 0);
    // epoll: { u32 events; u64 data } with the data at 8, big-endian.
    let ep = raw(libc::SYS_epoll_create1, [0; 6]).unwrap();
    let mut ev = Vec::new();
    ev.extend_from_slice(&(libc::EPOLLIN as u32).to_be_bytes());
    ev.extend_from_slice(&[0; 4]);
    ev.extend_from_slice(&0x1122_3344_5566_7788u64.to_be_bytes());
    sp.write(BUF + 1024, &ev).unwrap();
    let add = libc::EPOLL_CTL_ADD as u64;
    assert_eq!(
        s.epoll_ctl(&mut sp, [ep as u64, add, r as u64, BUF + 1024, 0, 0]),
        Ok(0)
    );
    assert_eq!(
        s.epoll_pwait(&mut sp, [ep as u64, BUF + 1100, 4, 0, 0, 0]),
        Ok(1)
    );
    let mut got = [0u8; 16];
    sp.read(BUF + 1100, &mut got).unwrap();
    assert_eq!(
        u32::from_be_bytes(got[..4].try_into().unwrap()),
        libc::EPOLLIN as u32
    );
    assert_eq!(
        u64::from_be_bytes(got[8..].try_into().unwrap()),
        0x1122_3344_5566_7788
    );

    // sendfile64: the loff_t offset big-endian, advanced by the bytes sent.
    let dir = std::env::temp_dir().join(format!("xarch-be-sf-{}", std::process::id()));
    std::fs::write(&dir, b"0123456789").unwrap();
    let f = std::fs::File::open(&dir).unwrap();
    use std::os::fd::AsRawFd;
    sp.write(BUF + 1200, &3u64.to_be_bytes()).unwrap();
    let sf = s.sendfile(
        &mut sp,
        [w as u64, f.as_raw_fd() as u64, BUF + 1200, 4, 0, 0],
        true,
    );
    assert_eq!(sf, Ok(4));
    let mut off = [0u8; 8];
    sp.read(BUF + 1200, &mut off).unwrap();
    assert_eq!(u64::from_be_bytes(off), 7);
    let mut b = [0u8; 5];
    // SAFETY: reads into the local buffer from the test's own pipe.
    assert_eq!(unsafe { libc::read(r, b.as_mut_ptr().cast(), 5) }, 5);
    assert_eq!(&b, b"x3456");
    // fcntl F_GETLK64 (12 on 32-bit ABIs): struct flock64 big-endian, l_start at 8; no
    // other process holds a lock, so only l_type changes (to F_UNLCK).
    let mut lk = Vec::new();
    lk.extend_from_slice(&(libc::F_WRLCK as i16).to_be_bytes());
    lk.extend_from_slice(&0i16.to_be_bytes());
    lk.extend_from_slice(&[0; 4]);
    lk.extend_from_slice(&0x1_0000_0002u64.to_be_bytes());
    lk.extend_from_slice(&5u64.to_be_bytes());
    lk.extend_from_slice(&[0; 8]);
    sp.write(BUF + 1300, &lk).unwrap();
    let rw = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&dir)
        .unwrap();
    assert_eq!(
        s.fcntl(&mut sp, [rw.as_raw_fd() as u64, 12, BUF + 1300, 0, 0, 0]),
        Ok(0)
    );
    let mut got = [0u8; 32];
    sp.read(BUF + 1300, &mut got).unwrap();
    assert_eq!(i16::from_be_bytes([got[0], got[1]]), libc::F_UNLCK as i16);
    assert_eq!(&got[2..32], &lk[2..32]);
    std::fs::remove_file(dir).unwrap();
    // SAFETY: closes the test's own descriptors.
    unsafe {
        libc::close(r);
        libc::close(w);
        libc::close(ep as i32);
    }
}

#[test]
fn sigaction_records_handlers_and_reports_inherited_ignores() {
    const RT_SIGACTION: u64 = 13;
    let (mut s, mut sp) = setup();
    // SAFETY: SIGUSR2 is used by no other test; ignored, as a parent would leave it over exec.
    unsafe { libc::signal(libc::SIGUSR2, libc::SIG_IGN) };
    assert_eq!(
        call(
            &mut s,
            &mut sp,
            RT_SIGACTION,
            &[libc::SIGUSR2 as u64, 0, BUF, 8]
        ),
        0
    );
    let mut old = [0u8; 32];
    sp.read(BUF, &mut old).unwrap();
    assert_eq!(u64::from_le_bytes(old[..8].try_into().unwrap()), 1); // SIG_IGN
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGUSR2, libc::SIG_DFL) };
    // A handler is recorded (not installed on the host) and given back as the old action.
    let act: Vec<u8> = [0x1234u64, 0x0400_0000, 0x5678, 0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    sp.write(BUF + 0x100, &act).unwrap();
    assert_eq!(
        call(
            &mut s,
            &mut sp,
            RT_SIGACTION,
            &[libc::SIGUSR2 as u64, BUF + 0x100, 0, 8]
        ),
        0
    );
    assert_eq!(
        call(
            &mut s,
            &mut sp,
            RT_SIGACTION,
            &[libc::SIGUSR2 as u64, 0, BUF + 0x200, 8]
        ),
        0
    );
    let mut got = [0u8; 32];
    sp.read(BUF + 0x200, &mut got).unwrap();
    assert_eq!(&got[..], &act[..]);
    // SIGKILL cannot be caught; a bad sigset size is EINVAL.
    assert_eq!(
        call(
            &mut s,
            &mut sp,
            RT_SIGACTION,
            &[libc::SIGKILL as u64, BUF + 0x100, 0, 8]
        ),
        -(libc::EINVAL as i64)
    );
    assert_eq!(
        call(
            &mut s,
            &mut sp,
            RT_SIGACTION,
            &[libc::SIGUSR2 as u64, 0, 0, 4]
        ),
        -(libc::EINVAL as i64)
    );
}

#[test]
fn sysroot_symlinks_are_seen_by_nofollow_calls_and_getxattr_is_the_hosts() {
    const STAT: u64 = 4;
    const LSTAT: u64 = 6;
    const GETXATTR: u64 = 191;
    const LGETXATTR: u64 = 192;
    const STATX: u64 = 332;
    let root = std::env::temp_dir().join(format!("xarch-sysroot-link-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a"), b"12345").unwrap();
    // An absolute link: inside the sysroot it names <root>/a.
    std::os::unix::fs::symlink("/a", root.join("l")).unwrap();
    let (mut s, mut sp) = setup();
    s.set_sysroot(Some(root.clone()));
    put_str(&mut sp, BUF, "/l");
    // readlink sees the link itself.
    let n = call(&mut s, &mut sp, READLINK, &[BUF, BUF + 0x100, 64]);
    assert_eq!(n, 2);
    let mut b = [0u8; 2];
    sp.read(BUF + 0x100, &mut b).unwrap();
    assert_eq!(&b, b"/a");
    // lstat: a link; stat: the file it names in the sysroot (st_mode at 24, st_size at 48).
    let mode = |sp: &mut AddressSpace| {
        let mut m = [0u8; 4];
        sp.read(BUF + 0x200 + 24, &mut m).unwrap();
        u32::from_le_bytes(m) & libc::S_IFMT
    };
    assert_eq!(call(&mut s, &mut sp, LSTAT, &[BUF, BUF + 0x200]), 0);
    assert_eq!(mode(&mut sp), libc::S_IFLNK);
    assert_eq!(call(&mut s, &mut sp, STAT, &[BUF, BUF + 0x200]), 0);
    assert_eq!(mode(&mut sp), libc::S_IFREG);
    let mut size = [0u8; 8];
    sp.read(BUF + 0x200 + 48, &mut size).unwrap();
    assert_eq!(u64::from_le_bytes(size), 5);
    // statx with AT_SYMLINK_NOFOLLOW: stx_mode (offset 28) of the link.
    let nofollow = libc::AT_SYMLINK_NOFOLLOW as u64;
    let r = call(
        &mut s,
        &mut sp,
        STATX,
        &[libc::AT_FDCWD as u64, BUF, nofollow, 0x7ff, BUF + 0x200],
    );
    assert_eq!(r, 0);
    let mut m = [0u8; 2];
    sp.read(BUF + 0x200 + 28, &mut m).unwrap();
    assert_eq!(
        u32::from(u16::from_le_bytes(m)) & libc::S_IFMT,
        libc::S_IFLNK
    );
    // getxattr / lgetxattr: the host's answer for the same files (no such attribute here).
    put_str(&mut sp, BUF + 0x300, "user.xarch-none");
    let host = |f: &Path, follow: bool| {
        let p = std::ffi::CString::new(f.to_str().unwrap()).unwrap();
        let name = c"user.xarch-none";
        let mut v = [0u8; 16];
        // SAFETY: valid C strings and a buffer of the given size.
        let r = unsafe {
            if follow {
                libc::getxattr(p.as_ptr(), name.as_ptr(), v.as_mut_ptr().cast(), 16)
            } else {
                libc::lgetxattr(p.as_ptr(), name.as_ptr(), v.as_mut_ptr().cast(), 16)
            }
        };
        if r < 0 {
            -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap())
        } else {
            r as i64
        }
    };
    let g = call(
        &mut s,
        &mut sp,
        GETXATTR,
        &[BUF, BUF + 0x300, BUF + 0x400, 16],
    );
    assert_eq!(g, host(&root.join("a"), true));
    assert!(g < 0, "no attribute was set: {g}");
    let g = call(
        &mut s,
        &mut sp,
        LGETXATTR,
        &[BUF, BUF + 0x300, BUF + 0x400, 16],
    );
    assert_eq!(g, host(&root.join("l"), false));
    let _ = std::fs::remove_dir_all(&root);
}
