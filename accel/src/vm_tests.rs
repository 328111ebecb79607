//! Tests of `vm`: tiny guests given as raw x86-64 bytes, run in a real VM (they need
//! /dev/kvm, present on the development and CI machines).

use super::*;
use xarch_linux::mem::{GuestAddr, GuestMemory};

const CODE: u64 = 0x40_0000;
const DATA: u64 = 0x50_0000;

/// A VM over a fresh 1 TiB window with `code` at CODE (r-x) and one rw- page at DATA.
fn vm_with(code: &[u8]) -> (GuestMemory, Vm) {
    assert!(
        std::path::Path::new("/dev/kvm").exists(),
        "these tests need /dev/kvm (present on the development and CI machines)"
    );
    let mem = GuestMemory::reserve(40).unwrap();
    for (addr, prot) in [
        (CODE, libc::PROT_READ | libc::PROT_WRITE),
        (DATA, libc::PROT_READ | libc::PROT_WRITE),
    ] {
        // SAFETY: a page inside the reservation that `mem` owns.
        let r = unsafe { libc::mprotect(mem.host(GuestAddr(addr)).cast(), 0x1000, prot) };
        assert_eq!(r, 0);
    }
    // SAFETY: the code page was just made writable and `code` fits in it.
    unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), mem.host(GuestAddr(CODE)), code.len()) };
    // SAFETY: `mem` outlives the VM in every test (returned together, VM dropped first).
    let mut vm = unsafe { Vm::new(mem.base(), mem.size()) }.unwrap();
    vm.set_rights(
        CODE,
        0x1000,
        Rights {
            read: true,
            write: false,
            exec: true,
        },
    )
    .unwrap();
    vm.set_rights(
        DATA,
        0x1000,
        Rights {
            read: true,
            write: true,
            exec: false,
        },
    )
    .unwrap();
    vm.set_entry(CODE, DATA + 0x1000).unwrap();
    (mem, vm)
}

#[test]
fn syscalls_exit_to_the_host_and_resume() {
    let code = [
        0xb8, 0x27, 0, 0, 0, // mov eax, 39
        0x0f, 0x05, // syscall
        0x89, 0xc7, // mov edi, eax
        0xb8, 0x3c, 0, 0, 0, // mov eax, 60
        0x0f, 0x05, // syscall
    ];
    let (_mem, mut vm) = vm_with(&code);
    assert_eq!(
        vm.run().unwrap(),
        VmExit::Syscall {
            nr: 39,
            args: [0; 6],
            rip: CODE + 7
        }
    );
    vm.finish_syscall(1234).unwrap();
    match vm.run().unwrap() {
        VmExit::Syscall { nr: 60, args, rip } => {
            assert_eq!(args[0], 1234);
            assert_eq!(rip, CODE + 16);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(vm.stats.syscall_exits, 2);
}

fn first_exception(code: &[u8]) -> VmExit {
    let (_mem, mut vm) = vm_with(code);
    vm.run().unwrap()
}

#[test]
fn null_dereference_is_a_page_fault_with_cr2() {
    // mov rax, [0]
    let e = first_exception(&[0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0]);
    assert_eq!(
        e,
        VmExit::Exception {
            vector: 14,
            error_code: 4,
            rip: CODE,
            cr2: 0
        }
    );
}

#[test]
fn write_to_read_only_code_is_a_page_fault() {
    // mov byte [0x400000], 1
    let e = first_exception(&[0xc6, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, 0x01]);
    assert_eq!(
        e,
        VmExit::Exception {
            vector: 14,
            error_code: 7,
            rip: CODE,
            cr2: CODE
        }
    );
}

#[test]
fn divide_ud2_and_int3_reach_their_vectors() {
    // xor ecx, ecx ; div ecx
    let e = first_exception(&[0x31, 0xc9, 0xf7, 0xf1]);
    assert!(
        matches!(e, VmExit::Exception { vector: 0, rip, .. } if rip == CODE + 2),
        "{e:?}"
    );
    // ud2
    let e = first_exception(&[0x0f, 0x0b]);
    assert!(
        matches!(
            e,
            VmExit::Exception {
                vector: 6,
                rip: CODE,
                ..
            }
        ),
        "{e:?}"
    );
    // nop ; int3 (a trap: RIP is after the instruction)
    let e = first_exception(&[0x90, 0xcc]);
    assert!(
        matches!(e, VmExit::Exception { vector: 3, rip, .. } if rip == CODE + 2),
        "{e:?}"
    );
}

#[test]
fn unmapped_page_faults_after_the_host_removes_it() {
    let code = [
        0xc6, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, 0x01, // mov byte [0x500000], 1
        0x0f, 0x05, // syscall
        0x8a, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, // mov al, [0x500000]
    ];
    // As the Linux layer does it: host protection first, then the page tables.
    let (mem, mut vm) = vm_with(&code);
    assert!(matches!(vm.run().unwrap(), VmExit::Syscall { .. }));
    // SAFETY: the DATA page of the reservation `mem` owns.
    let r = unsafe { libc::mprotect(mem.host(GuestAddr(DATA)).cast(), 0x1000, libc::PROT_NONE) };
    assert_eq!(r, 0);
    vm.unmap(DATA, 0x1000).unwrap();
    vm.finish_syscall(0).unwrap();
    let e = vm.run().unwrap();
    assert_eq!(
        e,
        VmExit::Exception {
            vector: 14,
            error_code: 4,
            rip: CODE + 10,
            cr2: DATA
        }
    );
}

#[test]
fn strict_flush_drops_rights_the_host_still_grants() {
    let code = [
        0xc6, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, 0x01, // mov byte [0x500000], 1
        0x0f, 0x05, // syscall
        0x8a, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, // mov al, [0x500000]
    ];
    let (_mem, mut vm) = vm_with(&code);
    vm.set_strict_flush(true);
    assert!(matches!(vm.run().unwrap(), VmExit::Syscall { .. }));
    vm.unmap(DATA, 0x1000).unwrap();
    vm.finish_syscall(0).unwrap();
    let e = vm.run().unwrap();
    assert_eq!(
        e,
        VmExit::Exception {
            vector: 14,
            error_code: 4,
            rip: CODE + 10,
            cr2: DATA
        }
    );
    assert_eq!(vm.stats.tlb_flushes, 1);
}

#[test]
fn fs_base_reaches_the_guest() {
    let code = [
        0x64, 0x48, 0x8b, 0x04, 0x25, 0x08, 0, 0, 0, // mov rax, fs:[8]
        0x48, 0x89, 0xc7, // mov rdi, rax
        0x0f, 0x05, // syscall
    ];
    let (mem, mut vm) = vm_with(&code);
    // SAFETY: DATA + 8 lies in the page made writable by `vm_with`.
    unsafe {
        mem.host(GuestAddr(DATA + 8))
            .cast::<u64>()
            .write_unaligned(0xfeed_f00d)
    };
    vm.set_fs_base(DATA);
    match vm.run().unwrap() {
        VmExit::Syscall { args, .. } => assert_eq!(args[0], 0xfeed_f00d),
        other => panic!("{other:?}"),
    }
}

#[test]
fn large_leaves_map_guest_memory_and_split_on_unmap() {
    const HUGE: u64 = 0x80_0000;
    let d = |a: u64| (a as u32).to_le_bytes();
    let mut code = vec![0xc6, 0x04, 0x25]; // mov byte [HUGE + 0x1234], 1
    code.extend(d(HUGE + 0x1234));
    code.extend([1, 0xc6, 0x04, 0x25]); // mov byte [HUGE + 0x3ff000], 2
    code.extend(d(HUGE + 0x3f_f000));
    code.extend([2, 0x0f, 0x05]); // syscall
    code.extend([0x8a, 0x04, 0x25]); // mov al, [HUGE + 0x204000]
    code.extend(d(HUGE + 0x20_4000));
    let fault_at = CODE + code.len() as u64;
    code.extend([0x8a, 0x04, 0x25]); // mov al, [HUGE + 0x205000]
    code.extend(d(HUGE + 0x20_5000));
    let (mem, mut vm) = vm_with(&code);
    let host = |a: u64| mem.host(GuestAddr(a));
    // SAFETY: 4 MiB inside the reservation `mem` owns.
    let r = unsafe {
        libc::mprotect(
            host(HUGE).cast(),
            4 << 20,
            libc::PROT_READ | libc::PROT_WRITE,
        )
    };
    assert_eq!(r, 0);
    let rw = Rights {
        read: true,
        write: true,
        exec: false,
    };
    vm.set_rights(HUGE, 4 << 20, rw).unwrap();
    if vm.page_sizes().two_m {
        assert_eq!(vm.pt.lookup_sized(HUGE + 0x3f_f000).1, 2 << 20);
    }
    assert!(matches!(vm.run().unwrap(), VmExit::Syscall { .. }));
    // SAFETY: bytes of the pages made read-write above.
    unsafe {
        assert_eq!(host(HUGE + 0x1234).read(), 1);
        assert_eq!(host(HUGE + 0x3f_f000).read(), 2);
    }
    // One page in the second 2 MiB goes, as the Linux layer does it (host first).
    // SAFETY: a page of the same range.
    let r = unsafe { libc::mprotect(host(HUGE + 0x20_5000).cast(), 0x1000, libc::PROT_NONE) };
    assert_eq!(r, 0);
    vm.unmap(HUGE + 0x20_5000, 0x1000).unwrap();
    assert_eq!(vm.pt.lookup_sized(HUGE + 0x20_4000).1, 0x1000);
    vm.finish_syscall(0).unwrap();
    assert_eq!(
        vm.run().unwrap(),
        VmExit::Exception {
            vector: 14,
            error_code: 4,
            rip: fault_at,
            cr2: HUGE + 0x20_5000
        }
    );
}
