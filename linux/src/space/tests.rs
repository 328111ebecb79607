//! Tests of the address space: VMAs, the mmap family, brk, code-page protection.

use super::*;

fn space() -> AddressSpace {
    AddressSpace::new(32).expect("reserve 4 GiB")
}

fn anon(addr: u64, len: u64, prot: Prot) -> MapRequest {
    MapRequest {
        addr,
        len,
        prot,
        fixed: true,
        ..Default::default()
    }
}

#[test]
fn munmap_splits_and_mprotect_splits_then_merges() {
    let mut s = space();
    let a = 0x10_0000;
    s.mmap(anon(a, 4 * PAGE_SIZE, Prot::RW)).unwrap();
    s.munmap(a + PAGE_SIZE, PAGE_SIZE).unwrap();
    let v: Vec<(u64, u64)> = s.vmas().map(|v| (v.start, v.end)).collect();
    assert_eq!(
        v,
        [(a, a + PAGE_SIZE), (a + 2 * PAGE_SIZE, a + 4 * PAGE_SIZE)]
    );
    assert!(!s.is_mapped(a, 2 * PAGE_SIZE, Prot::READ));

    s.mprotect(a + 3 * PAGE_SIZE, PAGE_SIZE, Prot::READ)
        .unwrap();
    let v: Vec<(u64, u64, Prot)> = s.vmas().map(|v| (v.start, v.end, v.prot)).collect();
    assert_eq!(
        v,
        [
            (a, a + PAGE_SIZE, Prot::RW),
            (a + 2 * PAGE_SIZE, a + 3 * PAGE_SIZE, Prot::RW),
            (a + 3 * PAGE_SIZE, a + 4 * PAGE_SIZE, Prot::READ)
        ]
    );
    // Back to RW: the two pieces merge again.
    s.mprotect(a + 3 * PAGE_SIZE, PAGE_SIZE, Prot::RW).unwrap();
    assert_eq!(s.vmas().count(), 2);
    // mprotect over a hole fails like Linux.
    assert_eq!(
        s.mprotect(a, 3 * PAGE_SIZE, Prot::READ)
            .unwrap_err()
            .errno(),
        libc::ENOMEM
    );
    let ev = s.take_events();
    assert!(ev.contains(&MemEvent::Unmapped {
        start: a + PAGE_SIZE,
        len: PAGE_SIZE
    }));
    assert!(ev.contains(&MemEvent::Protected {
        start: a + 3 * PAGE_SIZE,
        len: PAGE_SIZE,
        prot: Prot::READ
    }));
    assert!(s.take_events().is_empty());
}

#[test]
fn host_protection_follows_the_guest() {
    let mut s = space();
    let a = s
        .mmap(MapRequest {
            len: PAGE_SIZE,
            prot: Prot::RW,
            ..Default::default()
        })
        .unwrap();
    s.write(a, b"hello").unwrap();
    s.mprotect(a, PAGE_SIZE, Prot::READ).unwrap();
    let mut b = [0u8; 5];
    s.read(a, &mut b).unwrap();
    assert_eq!(&b, b"hello");
    assert_eq!(s.write(a, b"x"), Err(Efault));
    s.munmap(a, PAGE_SIZE).unwrap();
    assert_eq!(s.read(a, &mut b), Err(Efault));
    // Outside the window.
    assert_eq!(s.read(1 << 40, &mut b), Err(Efault));
}

#[test]
fn mmap_places_top_down_and_respects_noreplace() {
    let mut s = space();
    let a = s
        .mmap(MapRequest {
            len: 3 * PAGE_SIZE,
            prot: Prot::READ,
            ..Default::default()
        })
        .unwrap();
    let b = s
        .mmap(MapRequest {
            len: PAGE_SIZE,
            prot: Prot::READ,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(b + PAGE_SIZE, a);
    assert!(a + 3 * PAGE_SIZE <= s.stack_top() - STACK_SIZE);
    let r = s.mmap(MapRequest {
        addr: a,
        len: PAGE_SIZE,
        prot: Prot::READ,
        noreplace: true,
        ..Default::default()
    });
    assert_eq!(r.unwrap_err().errno(), libc::EEXIST);
    assert_eq!(
        s.mmap(MapRequest {
            addr: 0x1001,
            len: 1,
            fixed: true,
            ..Default::default()
        })
        .unwrap_err()
        .errno(),
        libc::EINVAL
    );
    assert_eq!(
        s.mmap(MapRequest {
            len: 0,
            ..Default::default()
        })
        .unwrap_err()
        .errno(),
        libc::EINVAL
    );
}

#[test]
fn brk_grows_and_shrinks() {
    let mut s = space();
    s.set_brk_start(0x40_0000);
    assert_eq!(s.brk(0), 0x40_0000);
    assert_eq!(s.brk(0x40_2010), 0x40_2010);
    s.write(0x40_2000, &[1; 16]).unwrap();
    assert!(s.is_mapped(0x40_0000, 0x3000, Prot::RW));
    assert_eq!(s.vmas().count(), 1);
    assert_eq!(s.brk(0x40_1000), 0x40_1000);
    assert!(!s.is_mapped(0x40_1000, 1, Prot::READ));
    // Below the start: unchanged.
    assert_eq!(s.brk(0x1000), 0x40_1000);
    // Into an existing mapping: refused.
    s.mmap(anon(0x50_0000, PAGE_SIZE, Prot::READ)).unwrap();
    assert_eq!(s.brk(0x60_0000), 0x40_1000);
}

#[test]
fn mremap_grows_in_place_and_moves_keeping_data() {
    let mut s = space();
    let a = 0x100_0000;
    s.mmap(anon(a, PAGE_SIZE, Prot::RW)).unwrap();
    s.write(a, b"data").unwrap();
    assert_eq!(
        s.mremap(a, PAGE_SIZE, 2 * PAGE_SIZE, false, None).unwrap(),
        a
    );
    assert!(s.is_mapped(a, 2 * PAGE_SIZE, Prot::RW));
    // Block growth in place, then grow with MAYMOVE (a code page moves along and is
    // writable at its new place).
    s.mprotect(a, 2 * PAGE_SIZE, Prot(7)).unwrap();
    assert!(s.protect_code_page(a));
    s.mmap(anon(a + 2 * PAGE_SIZE, PAGE_SIZE, Prot::READ))
        .unwrap();
    assert_eq!(
        s.mremap(a, 2 * PAGE_SIZE, 4 * PAGE_SIZE, false, None)
            .unwrap_err()
            .errno(),
        libc::ENOMEM
    );
    let b = s
        .mremap(a, 2 * PAGE_SIZE, 4 * PAGE_SIZE, true, None)
        .unwrap();
    assert_ne!(a, b);
    let mut d = [0u8; 4];
    s.read(b, &mut d).unwrap();
    assert_eq!(&d, b"data");
    assert!(!s.is_code_page(b));
    // A raw host write (as compiled guest code does) must not fault.
    // SAFETY: `b` is mapped read-write in the guest window.
    unsafe { *s.mem().host(GuestAddr(b)) = b'D' };
    assert!(!s.is_mapped(a, 1, Prot::NONE));
    // The old range is reserved again, usable by a fixed mapping.
    s.mmap(anon(a, PAGE_SIZE, Prot::RW)).unwrap();
    s.write(a, b"x").unwrap();
}

#[test]
fn code_pages_are_write_protected_until_unprotected() {
    let mut s = space();
    let a = 0x20_0000;
    s.mmap(anon(a, 2 * PAGE_SIZE, Prot(7))).unwrap();
    s.take_events();
    assert!(s.protect_code_page(a + 5));
    assert!(s.is_code_page(a));
    // The guest's view is unchanged...
    assert!(s.is_mapped(a, PAGE_SIZE, Prot(7)));
    let mut code = [0u8; 4];
    assert!(s.read_code(a, &mut code));
    // ...and a checked write unprotects first and logs it.
    s.write(a + 8, &[0xaa]).unwrap();
    assert!(!s.is_code_page(a));
    assert_eq!(
        s.take_events(),
        [MemEvent::CodeWritten {
            start: a,
            len: PAGE_SIZE
        }]
    );
    // Non-writable pages need no protection.
    s.mprotect(a, PAGE_SIZE, Prot::RX).unwrap();
    assert!(!s.protect_code_page(a));
    // Non-executable memory is not code.
    s.mprotect(a, PAGE_SIZE, Prot::RW).unwrap();
    assert!(!s.read_code(a, &mut code));
}

#[test]
fn read_cstr_stops_at_nul_and_faults_past_the_mapping() {
    let mut s = space();
    let a = 0x30_0000;
    s.mmap(anon(a, PAGE_SIZE, Prot::RW)).unwrap();
    s.write(a + PAGE_SIZE - 4, b"abc\0").unwrap();
    assert_eq!(s.read_cstr(a + PAGE_SIZE - 4, 100).unwrap(), b"abc");
    s.write(a + PAGE_SIZE - 3, b"xyz").unwrap();
    assert_eq!(s.read_cstr(a + PAGE_SIZE - 3, 100), Err(Efault));
    assert_eq!(s.read_cstr(a + PAGE_SIZE - 4, 2), Err(Efault));
}

#[test]
fn shared_handles_see_every_change_and_the_code_page_marks() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);
    fn hook() {
        HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
    }
    let mut s = space();
    s.set_change_hook(hook);
    let a = 0x30_0000;
    s.mmap(anon(a, 2 * PAGE_SIZE, Prot(7))).unwrap();
    // Alone: no other handle to tell.
    assert_eq!(HOOK_CALLS.load(Ordering::SeqCst), 0);
    let _ = s.take_events();
    let mut t = s.share();
    assert!(t.is_mapped(a, 2 * PAGE_SIZE, Prot::RW), "same mappings");
    assert!(
        t.take_events().is_empty(),
        "a new handle's log starts empty"
    );
    // A code page protected through one handle is marked for every thread's fault handler.
    assert!(t.protect_code_page(a));
    assert!(s.mem().is_code_page(a) && t.mem().is_code_page(a + 100));
    assert!(!s.mem().is_code_page(a + PAGE_SIZE));
    // A write through the other handle unprotects it; both logs get the change, the hook runs.
    s.write(a + 8, b"x").unwrap();
    assert!(!s.mem().is_code_page(a));
    let written = MemEvent::CodeWritten {
        start: a,
        len: PAGE_SIZE,
    };
    assert_eq!(s.take_events(), [written]);
    assert_eq!(t.take_events(), [written]);
    assert_eq!(HOOK_CALLS.load(Ordering::SeqCst), 1);
    // Unmapping drops the marks too.
    assert!(s.protect_code_page(a + PAGE_SIZE));
    t.munmap(a, 2 * PAGE_SIZE).unwrap();
    assert!(!s.mem().is_code_page(a + PAGE_SIZE));
    assert!(!s.is_mapped(a, 1, Prot::READ));
    assert!(matches!(s.take_events()[..], [MemEvent::Unmapped { .. }]));
    drop(t);
    // A dropped handle's log is gone: changes go to the others only, without the hook.
    s.munmap(0x50_0000, PAGE_SIZE).unwrap();
    assert_eq!(HOOK_CALLS.load(Ordering::SeqCst), 2);
}
