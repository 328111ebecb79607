//! Measures what one VM exit costs on this host, for the report:
//!
//! ```text
//! cargo run --release -p xarch-accel --example kvm_costs [N]
//! ```
//!
//! - VM creation to the first guest instruction (KVM_CREATE_VM .. the first exit, which is
//!   the guest's first instruction, a `syscall`);
//! - a bare KVM_RUN round trip (a ring-0 loop that exits by port I/O at every turn);
//! - a syscall round trip from ring 3 to the host and back, not served (`getpid` answered 0);
//! - a forwarded syscall: the same `getpid`, served by xarch-linux's `Syscalls::handle`;
//! - native `getpid`, for scale.
//!
//! Each is the mean over N (default 2000) in one loop, timed the same way.

use std::time::{Duration, Instant};
use xarch_accel::{Backend, Rights, Vm, VmExit};
use xarch_linux::abi::x86_64::ABI;
use xarch_linux::{AddressSpace, Prot, SyscallOutcome, Syscalls};

const CODE: u64 = 0x40_0000;
const STACK: u64 = 0x50_0000;

fn us(d: Duration, n: u32) -> f64 {
    d.as_secs_f64() * 1e6 / f64::from(n)
}

/// A fresh address space with `mov eax, 39 ; syscall ; jmp back` at CODE and a stack page.
fn guest() -> AddressSpace {
    let mut space = AddressSpace::new(40).expect("guest window");
    space.map_fixed(CODE, 0x1000, Prot::RW).expect("code page");
    space
        .map_fixed(STACK, 0x1000, Prot::RW)
        .expect("stack page");
    space
        .write(CODE, &[0xb8, 0x27, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7])
        .expect("code");
    space.mprotect(CODE, 0x1000, Prot::RX).expect("mprotect");
    space.take_events();
    space
}

fn vm_for(space: &AddressSpace) -> Vm {
    // SAFETY: `space` outlives the VM in `main` (VMs are dropped before their spaces).
    let mut vm = unsafe { Vm::new(space.mem().base(), space.mem().size()) }.expect("VM");
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
        STACK,
        0x1000,
        Rights {
            read: true,
            write: true,
            exec: false,
        },
    )
    .unwrap();
    vm.set_entry(CODE, STACK + 0x1000).unwrap();
    vm
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    println!("backend: {}", Backend::detect().name());

    let mut space = guest();
    let t = Instant::now();
    let mut vm = vm_for(&space);
    let first = vm.run().expect("first exit");
    let create = t.elapsed();
    assert!(matches!(first, VmExit::Syscall { nr: 39, .. }), "{first:?}");
    println!(
        "VM creation to first guest instruction (its exit): {:8.1} us",
        us(create, 1)
    );

    let mut raw_vm = vm_for(&space);
    let raw = raw_vm.raw_round_trips(n).expect("raw round trips");
    drop(raw_vm);
    println!(
        "bare KVM_RUN round trip (ring-0 port I/O loop):      {:8.2} us",
        us(raw, n)
    );

    vm.finish_syscall(0).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        assert!(matches!(vm.run().unwrap(), VmExit::Syscall { nr: 39, .. }));
        vm.finish_syscall(0).unwrap();
    }
    println!(
        "syscall round trip, ring 3 -> host -> ring 3:       {:8.2} us",
        us(t.elapsed(), n)
    );

    let mut sys = Syscalls::new(&ABI, Vec::new());
    let t = Instant::now();
    for _ in 0..n {
        let VmExit::Syscall { nr, args, .. } = vm.run().unwrap() else {
            panic!("not a syscall")
        };
        let SyscallOutcome::Return(v) = sys.handle(&mut space, nr, args) else {
            panic!("getpid")
        };
        vm.finish_syscall(v as u64).unwrap();
    }
    println!(
        "forwarded syscall (getpid through xarch-linux):     {:8.2} us",
        us(t.elapsed(), n)
    );
    drop(vm);

    let t = Instant::now();
    for _ in 0..n {
        // SAFETY: getpid has no arguments and no side effects.
        unsafe { libc::syscall(libc::SYS_getpid) };
    }
    println!(
        "native getpid:                                      {:8.3} us",
        us(t.elapsed(), n)
    );
}
