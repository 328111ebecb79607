//! One VM with one vCPU running a ring-3 x86-64 program in long mode.
//!
//! ```text
//!  ring 3: guest program ── syscall ──► LSTAR stub: out 0xe0 ──► host: VmExit::Syscall
//!          (native speed)   fault ───► IDT stub v: out 0x80+v ─► host: VmExit::Exception
//!  host ──► finish_syscall(ret): rax = ret, back to ring 3 (sysretq in the stub, or the host
//!           sets rip/rflags/segments itself where sysretq is not allowed: see `backend`)
//! ```
//!
//! Ring-0 code is two instructions per entry: under `kvm_pvm` each ring-0 instruction is
//! emulated, so all the work happens in the host.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::time::{Duration, Instant};

use kvm_bindings::{
    KVM_MAX_CPUID_ENTRIES, Msrs, kvm_dtable, kvm_msr_entry, kvm_regs, kvm_segment, kvm_sregs,
    kvm_userspace_memory_region, kvm_xcrs,
};
use kvm_ioctls::{Kvm, SyncReg, VcpuExit, VcpuFd, VmFd};

use crate::AccelError;
use crate::backend::Backend;
use crate::layout::*;
use crate::paging::{PageSizes, PageTables, Rights, Stale};

const MSR_STAR: u32 = 0xc000_0081;
const MSR_LSTAR: u32 = 0xc000_0082;
const MSR_CSTAR: u32 = 0xc000_0083;
const MSR_SFMASK: u32 = 0xc000_0084;
const MSR_FS_BASE: u32 = 0xc000_0100;
const MSR_GS_BASE: u32 = 0xc000_0101;
const MSR_KERNEL_GS_BASE: u32 = 0xc000_0102;

const CR0_PE: u64 = 1;
const CR0_MP: u64 = 1 << 1;
const CR0_ET: u64 = 1 << 4;
const CR0_NE: u64 = 1 << 5;
const CR0_WP: u64 = 1 << 16;
const CR0_PG: u64 = 1 << 31;
const CR4_PAE: u64 = 1 << 5;
const CR4_OSFXSR: u64 = 1 << 9;
const CR4_OSXMMEXCPT: u64 = 1 << 10;
const CR4_FSGSBASE: u64 = 1 << 16;
const CR4_OSXSAVE: u64 = 1 << 18;
const EFER_SCE: u64 = 1;
const EFER_LME: u64 = 1 << 8;
const EFER_LMA: u64 = 1 << 10;
const EFER_NXE: u64 = 1 << 11;
/// RFLAGS bits cleared on `syscall` entry: TF, DF, IF, IOPL, NT, AC (as Linux does).
const SFMASK: u64 = 0x47700;

/// Memory slot of the system region; the window's slots follow it.
const SLOT_SYS: u32 = 0;
/// The guest window is registered in chunks of this size, each when a mapping first touches
/// it. One slot for the whole 1 TiB window would make KVM allocate its per-page metadata for
/// all of it (under shadow paging 2 GiB of rmap, ~5 s of setup); chunks cost metadata only
/// where the program has memory.
const CHUNK_BITS: u32 = 28;

/// The large pages the guest's page tables use: 2 MiB, and 1 GiB where the CPUID lists
/// PDPE1GB. `XARCH_KVM_PAGES=4k|2m|1g` caps them, for measurements.
fn page_sizes(has_1g: bool) -> PageSizes {
    let (two_m, one_g) = match std::env::var("XARCH_KVM_PAGES").as_deref() {
        Ok("4k") => (false, false),
        Ok("2m") => (true, false),
        _ => (true, has_1g),
    };
    PageSizes { two_m, one_g }
}

/// Exception vectors whose frame carries an error code (Intel SDM vol. 3A 6.15).
fn has_error_code(vector: u8) -> bool {
    matches!(vector, 8 | 10..=14 | 17 | 21 | 29 | 30)
}

/// How a `syscall` leaves the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallExit {
    /// LSTAR stub: `out` to PORT_SYSCALL (ring 0).
    Pio,
    /// LSTAR on a never-mapped page: the page fault's IDT stub exits.
    Fault,
    /// LSTAR stub: a store to an MMIO page.
    Mmio,
}

impl SyscallExit {
    /// Port I/O (then `sysretq` in the stub) with hardware virtualisation; under kvm_pvm the
    /// faulting LSTAR, which runs no instruction at LSTAR at all (measured there: the MMIO
    /// store costs the same, the port I/O stub raises #GP). `XARCH_KVM_SYSCALL=pio|fault|mmio`
    /// overrides the choice, for measurements.
    pub fn choose(backend: Backend) -> SyscallExit {
        match std::env::var("XARCH_KVM_SYSCALL").as_deref() {
            Ok("pio") => SyscallExit::Pio,
            Ok("fault") => SyscallExit::Fault,
            Ok("mmio") => SyscallExit::Mmio,
            _ if backend.sysret_in_guest() => SyscallExit::Pio,
            _ => SyscallExit::Fault,
        }
    }
}

/// Why the guest stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmExit {
    /// `syscall` from ring 3: number, the six arguments and the address it returns to.
    Syscall { nr: u64, args: [u64; 6], rip: u64 },
    /// An exception from the guest program (vector, error code, faulting RIP, CR2).
    Exception {
        vector: u8,
        error_code: u64,
        rip: u64,
        cr2: u64,
    },
    /// A host signal that the guest handles arrived while the program ran in ring 3
    /// (`xarch_linux::signal::any_pending`); `regs` holds the program's registers.
    Interrupted,
}

/// The `immediate_exit` byte of the running VM's `kvm_run` (null: none). The Linux layer's
/// signal hook sets it (`request_exit`), so that a signal recorded just before `KVM_RUN`
/// still makes the vCPU return at once instead of running on until its next exit.
static IMMEDIATE_EXIT: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());

/// Makes the current `KVM_RUN` (or the next one) return with EINTR. Async-signal-safe: for
/// `xarch_linux::signal::set_interrupt_hook`.
pub fn request_exit() {
    let p = IMMEDIATE_EXIT.load(Ordering::SeqCst);
    if !p.is_null() {
        // SAFETY: the pointer is the `immediate_exit` field of the live vCPU's `kvm_run`
        // mapping; `Vm`'s Drop clears it before the mapping goes away.
        unsafe { p.write_volatile(1) };
    }
}

/// Exit counts and times, for `--stats`.
#[derive(Clone, Debug, Default)]
pub struct VmStats {
    pub syscall_exits: u64,
    /// Exits by exception vector.
    pub exception_exits: [u64; 32],
    /// `KVM_RUN` calls interrupted by a host signal (EINTR), resumed.
    pub interrupted: u64,
    /// Time spent inside `KVM_RUN`.
    pub guest_time: Duration,
    /// Guest TLB flushes forced after mappings lost rights.
    pub tlb_flushes: u64,
}

/// The vCPU state a forked child carries into its new VM, taken in a pending syscall.
pub struct Snapshot {
    regs: kvm_regs,
    fpu: kvm_bindings::kvm_fpu,
    /// The XSAVE area (AVX, AVX-512 state) where KVM has it (see `Vm::carry_xsave`).
    xsave: Option<Box<kvm_bindings::kvm_xsave>>,
    fs_base: u64,
    gs_base: u64,
}

/// A host mapping owned by the VM (the system region).
struct HostRegion {
    ptr: *mut u8,
    len: usize,
}

impl HostRegion {
    fn anonymous(len: usize) -> Result<HostRegion, AccelError> {
        // SAFETY: a fresh anonymous private mapping at a kernel-chosen address aliases nothing.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(AccelError::Host(
                "mmap of the system region",
                std::io::Error::last_os_error(),
            ));
        }
        Ok(HostRegion { ptr: p.cast(), len })
    }

    fn write_u64(&self, off: u64, v: u64) {
        assert!(off as usize + 8 <= self.len);
        // SAFETY: in bounds (checked above) of a read-write mapping owned by `self`.
        unsafe { self.ptr.add(off as usize).cast::<u64>().write_unaligned(v) }
    }

    fn read_u64(&self, off: u64) -> u64 {
        assert!(off as usize + 8 <= self.len);
        // SAFETY: as in `write_u64`.
        unsafe { self.ptr.add(off as usize).cast::<u64>().read_unaligned() }
    }

    fn write_bytes(&self, off: u64, bytes: &[u8]) {
        assert!(off as usize + bytes.len() <= self.len);
        // SAFETY: as in `write_u64`; `bytes` is a separate Rust slice, so no overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(off as usize), bytes.len())
        }
    }
}

impl Drop for HostRegion {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `anonymous`; the VM that used it is
        // dropped first (field order in `Vm`).
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

/// A VM running one ring-3 program over a guest window of host memory.
pub struct Vm {
    // Field order matters for Drop: the vCPU and VM go before the memory they map.
    vcpu: VcpuFd,
    vm: VmFd,
    _kvm: Kvm,
    backend: Backend,
    sys_exit: SyscallExit,
    pt: PageTables,
    sys: HostRegion,
    window_base: *mut u8,
    window_size: u64,
    /// Which chunks of the window are registered with KVM (see CHUNK_BITS).
    chunks: Vec<bool>,
    next_slot: u32,
    /// The ring-3 special registers the host restores when it returns from a syscall itself.
    user_sregs: kvm_sregs,
    /// A mapping lost rights since the last run: the guest TLB must be flushed.
    need_flush: bool,
    /// Flush for every lost right, not only for those the host does not enforce itself
    /// (for callers that change guest rights without changing host protections).
    strict_flush: bool,
    /// The vCPU sits in the ring-0 syscall stub, waiting for `finish_syscall`.
    in_syscall: bool,
    /// Registers at the last exit, or to enter with.
    regs: kvm_regs,
    /// `regs` must be written to the vCPU before the next entry.
    regs_dirty: bool,
    /// The FS/GS bases changed: the next entry cannot use the stub's own `sysretq`.
    sregs_dirty: bool,
    /// The next entry resumes in the syscall stub, which returns with `sysretq`.
    resume_in_stub: bool,
    /// The backend allows `sysretq` in the stub and the stub exits by port I/O.
    sysret_ok: bool,
    /// CR4.OSXSAVE is on (CPUID lists XSAVE).
    xsave_enabled: bool,
    /// Fork carries the XSAVE area (KVM_CAP_XSAVE): the AVX/AVX-512 registers. Needed even
    /// where the CPUID given to KVM lists no XSAVE: under kvm_pvm ring 3 runs `cpuid` and
    /// `xgetbv` natively, so the program sees the host's CPUID and XCR0 and uses AVX-512
    /// (checked: a forked child lost its ZMM registers with the legacy FPU state alone).
    carry_xsave: bool,
    pub stats: VmStats,
}

impl Vm {
    /// Creates the VM over the guest window `[window_base, window_base + window_size)`
    /// (guest-physical and guest-virtual address 0 is `window_base`).
    ///
    /// # Safety
    /// The window must stay mapped (any protection) for the life of the VM; the guest may
    /// read and write every page of it that the page tables map.
    pub unsafe fn new(window_base: *mut u8, window_size: u64) -> Result<Vm, AccelError> {
        if window_size > SYS_GPA {
            return Err(AccelError::WindowTooLarge(window_size));
        }
        let kvm = Kvm::new().map_err(|e| AccelError::NoKvm(e.errno()))?;
        // A /dev/kvm that is not KVM (or an unsupported API) is as unusable as a missing one.
        if kvm.get_api_version() != 12 {
            return Err(AccelError::NoKvm(libc::ENOTTY));
        }
        let vm = kvm
            .create_vm()
            .map_err(|e| AccelError::Kvm("KVM_CREATE_VM", e.errno()))?;
        let sys = HostRegion::anonymous(SYS_SIZE as usize)?;
        let region = kvm_userspace_memory_region {
            slot: SLOT_SYS,
            flags: 0,
            guest_phys_addr: SYS_GPA,
            memory_size: SYS_SIZE,
            userspace_addr: sys.ptr as u64,
        };
        // SAFETY: the system region stays mapped while the VM lives (`Vm` owns it and drops
        // it after the VM).
        unsafe { vm.set_user_memory_region(region) }
            .map_err(|e| AccelError::Kvm("KVM_SET_USER_MEMORY_REGION", e.errno()))?;
        let vcpu = vm
            .create_vcpu(0)
            .map_err(|e| AccelError::Kvm("KVM_CREATE_VCPU", e.errno()))?;
        // SAFETY: the pool lies inside `sys` (64 MiB, zero-filled), which the VM owns.
        let mut pt = unsafe { PageTables::new(sys.ptr, SYS_GPA, PT_POOL_OFF, SYS_SIZE) };
        let sys_rights = Rights {
            read: true,
            write: true,
            exec: true,
        };
        pt.map(
            SYS_VA,
            SYS_GPA,
            SYS_MAPPED_PAGES * 0x1000,
            sys_rights,
            false,
        )?;
        // kvm_pvm fetches the LSTAR target as a user access (page fault with U set otherwise):
        // the stub page is user-visible, read-only. The stubs hold no secrets and the guest
        // cannot change them.
        let stub_rights = Rights {
            read: true,
            write: false,
            exec: true,
        };
        pt.map(
            SYS_VA + STUB_OFF,
            SYS_GPA + STUB_OFF,
            0x1000,
            stub_rights,
            true,
        )?;
        write_system_tables(&sys);

        let mut vm = Vm {
            vcpu,
            vm,
            _kvm: kvm,
            backend: Backend::detect(),
            sys_exit: SyscallExit::choose(Backend::detect()),
            pt,
            sys,
            window_base,
            window_size,
            chunks: vec![false; window_size.div_ceil(1 << CHUNK_BITS) as usize],
            next_slot: SLOT_SYS + 1,
            user_sregs: kvm_sregs::default(),
            need_flush: false,
            strict_flush: false,
            in_syscall: false,
            regs: kvm_regs::default(),
            regs_dirty: false,
            sregs_dirty: false,
            resume_in_stub: false,
            sysret_ok: false,
            xsave_enabled: false,
            carry_xsave: false,
            stats: VmStats::default(),
        };
        vm.sysret_ok = vm.backend.sysret_in_guest() && vm.sys_exit == SyscallExit::Pio;
        vm.setup_vcpu()?;
        vm.vcpu.set_sync_valid_reg(SyncReg::Register);
        vm.vcpu.set_sync_valid_reg(SyncReg::SystemRegister);
        Ok(vm)
    }

    /// The large pages the page tables use.
    pub fn page_sizes(&self) -> PageSizes {
        self.pt.page_sizes()
    }

    /// The backend serving `/dev/kvm`.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The `syscall` target. With hardware virtualisation it is the stub that exits by port
    /// I/O. Under kvm_pvm `syscall` reaches LSTAR without entering ring 0 (the stub's `out`
    /// raises #GP there), so LSTAR points at a page that is never mapped: the fetch faults,
    /// the fault enters ring 0 through the IDT like any exception, and the host recognises a
    /// page fault at LSTAR as a syscall.
    fn lstar(&self) -> u64 {
        match self.sys_exit {
            SyscallExit::Pio => SYS_VA + SYSCALL_ENTRY,
            SyscallExit::Fault => SYS_VA + SYSCALL_TRAP,
            SyscallExit::Mmio => SYS_VA + SYSCALL_MMIO_ENTRY,
        }
    }

    fn setup_vcpu(&mut self) -> Result<(), AccelError> {
        let kvm_err = |what| move |e: kvm_ioctls::Error| AccelError::Kvm(what, e.errno());
        // CPUID before the special registers: KVM checks CR4 bits against it.
        let cpuid = self
            ._kvm
            .get_supported_cpuid(KVM_MAX_CPUID_ENTRIES)
            .map_err(kvm_err("KVM_GET_SUPPORTED_CPUID"))?;
        let leaf = |f: u32| {
            cpuid
                .as_slice()
                .iter()
                .find(|e| e.function == f && e.index == 0)
                .copied()
        };
        let has_xsave = leaf(1).is_some_and(|e| e.ecx & (1 << 26) != 0);
        let has_fsgsbase = leaf(7).is_some_and(|e| e.ebx & 1 != 0);
        let xcr0 = leaf(0xd).map_or(0, |e| u64::from(e.eax) & 0x7);
        let has_1g = leaf(0x8000_0001).is_some_and(|e| e.edx & (1 << 26) != 0);
        self.pt.set_page_sizes(page_sizes(has_1g));
        self.vcpu
            .set_cpuid2(&cpuid)
            .map_err(kvm_err("KVM_SET_CPUID2"))?;

        let mut s = self.vcpu.get_sregs().map_err(kvm_err("KVM_GET_SREGS"))?;
        let code = kvm_segment {
            base: 0,
            limit: 0xffff_ffff,
            selector: USER_CS,
            type_: 11,
            present: 1,
            dpl: 3,
            db: 0,
            s: 1,
            l: 1,
            g: 1,
            ..Default::default()
        };
        let data = kvm_segment {
            selector: USER_DS,
            type_: 3,
            db: 1,
            l: 0,
            ..code
        };
        s.cs = code;
        s.ss = data;
        s.ds = data;
        s.es = data;
        s.fs = data;
        s.gs = data;
        s.tr = kvm_segment {
            base: SYS_VA + TSS_OFF,
            limit: 0x67,
            selector: TSS_SEL,
            type_: 11,
            present: 1,
            dpl: 0,
            db: 0,
            s: 0,
            l: 0,
            g: 0,
            ..Default::default()
        };
        s.ldt = kvm_segment {
            selector: 0,
            type_: 2,
            present: 0,
            unusable: 1,
            ..Default::default()
        };
        s.gdt = kvm_dtable {
            base: SYS_VA + GDT_OFF,
            limit: 8 * 8 - 1,
            ..Default::default()
        };
        s.idt = kvm_dtable {
            base: SYS_VA + IDT_OFF,
            limit: 256 * 16 - 1,
            ..Default::default()
        };
        s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
        s.cr3 = self.pt.cr3();
        s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
        if has_xsave {
            s.cr4 |= CR4_OSXSAVE;
        }
        if has_fsgsbase {
            s.cr4 |= CR4_FSGSBASE;
        }
        s.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
        self.vcpu.set_sregs(&s).map_err(kvm_err("KVM_SET_SREGS"))?;
        self.user_sregs = s;

        self.xsave_enabled = has_xsave;
        self.carry_xsave = has_xsave || self._kvm.check_extension(kvm_ioctls::Cap::Xsave);
        if has_xsave {
            let mut x = kvm_xcrs {
                nr_xcrs: 1,
                ..Default::default()
            };
            x.xcrs[0].xcr = 0;
            x.xcrs[0].value = xcr0 | 1;
            self.vcpu.set_xcrs(&x).map_err(kvm_err("KVM_SET_XCRS"))?;
        }

        let entries = [
            (
                MSR_STAR,
                (u64::from(USER_DS - 8) << 48) | (u64::from(KERNEL_CS) << 32),
            ),
            (MSR_LSTAR, self.lstar()),
            (MSR_CSTAR, self.lstar()),
            (MSR_SFMASK, SFMASK),
            (MSR_FS_BASE, 0),
            (MSR_GS_BASE, 0),
            (MSR_KERNEL_GS_BASE, 0),
        ]
        .map(|(index, data)| kvm_msr_entry {
            index,
            data,
            ..Default::default()
        });
        let msrs = Msrs::from_entries(&entries).map_err(|_| AccelError::Internal("MSR list"))?;
        let n = self.vcpu.set_msrs(&msrs).map_err(kvm_err("KVM_SET_MSRS"))?;
        if n != entries.len() {
            return Err(AccelError::Internal("KVM refused a system MSR"));
        }

        let mut fpu = self.vcpu.get_fpu().map_err(kvm_err("KVM_GET_FPU"))?;
        fpu.fcw = 0x37f;
        fpu.mxcsr = 0x1f80;
        self.vcpu.set_fpu(&fpu).map_err(kvm_err("KVM_SET_FPU"))?;
        Ok(())
    }

    /// Measures `n` bare `KVM_RUN` round trips: the vCPU loops in ring 0 on a port write,
    /// so each call enters the guest, runs two instructions and exits. For a VM that has not
    /// run yet (kvm_pvm accepts a change of privilege level from the host only then); the VM
    /// is of no further use afterwards.
    pub fn raw_round_trips(&mut self, n: u32) -> Result<Duration, AccelError> {
        let mut s = self.user_sregs;
        s.cs = kvm_segment {
            selector: KERNEL_CS,
            dpl: 0,
            ..s.cs
        };
        s.ss = kvm_segment {
            selector: KERNEL_DS,
            dpl: 0,
            ..s.ss
        };
        self.vcpu
            .set_sregs(&s)
            .map_err(|e| AccelError::Kvm("KVM_SET_SREGS", e.errno()))?;
        let regs = kvm_regs {
            rip: SYS_VA + RAW_LOOP,
            rsp: SYS_VA + STACK_TOP_OFF,
            rflags: 2,
            ..Default::default()
        };
        self.vcpu
            .set_regs(&regs)
            .map_err(|e| AccelError::Kvm("KVM_SET_REGS", e.errno()))?;
        let once = |vcpu: &mut VcpuFd| match vcpu.run() {
            Ok(VcpuExit::IoOut(PORT_RAW, _)) => Ok(()),
            Ok(other) => Err(AccelError::UnexpectedExit(
                format!("{other:?}"),
                SYS_VA + RAW_LOOP,
            )),
            Err(e) => Err(AccelError::Kvm("KVM_RUN", e.errno())),
        };
        once(&mut self.vcpu)?;
        let t = Instant::now();
        for _ in 0..n {
            once(&mut self.vcpu)?;
        }
        Ok(t.elapsed())
    }

    /// Sets the ring-3 entry state: instruction and stack pointer, other registers zero.
    pub fn set_entry(&mut self, rip: u64, rsp: u64) -> Result<(), AccelError> {
        let regs = kvm_regs {
            rip,
            rsp,
            rflags: 0x202,
            ..Default::default()
        };
        self.vcpu
            .set_regs(&regs)
            .map_err(|e| AccelError::Kvm("KVM_SET_REGS", e.errno()))?;
        self.in_syscall = false;
        Ok(())
    }

    /// Makes `[addr, addr + len)` of the guest window visible to ring 3 with `rights`
    /// (none: not present). Call it for every mapping change of the address space.
    pub fn set_rights(&mut self, addr: u64, len: u64, rights: Rights) -> Result<(), AccelError> {
        let Some(end) = addr.checked_add(len).filter(|&e| e <= self.window_size) else {
            return Err(AccelError::OutsideWindow(addr, len));
        };
        let start = addr & !0xfff;
        if rights.read || rights.write || rights.exec {
            self.register_chunks(start, end)?;
        }
        // Rights the host took away too (the Linux layer keeps host protections equal to the
        // guest's) are dropped from KVM's translations by its MMU notifier when the host
        // mprotect/munmap happens. Only a lost exec right has no host counterpart (the host
        // maps guest code readable, not executable): that needs a flush here.
        match self.pt.map(start, start, end - start, rights, true)? {
            Stale::ExecOnly => self.need_flush = true,
            Stale::Access if self.strict_flush => self.need_flush = true,
            Stale::Access | Stale::None => {}
        }
        Ok(())
    }

    /// Registers with KVM every chunk of the window that `[start, end)` touches.
    fn register_chunks(&mut self, start: u64, end: u64) -> Result<(), AccelError> {
        if end <= start {
            return Ok(());
        }
        for chunk in (start >> CHUNK_BITS)..=((end - 1) >> CHUNK_BITS) {
            if self.chunks[chunk as usize] {
                continue;
            }
            let gpa = chunk << CHUNK_BITS;
            let region = kvm_userspace_memory_region {
                slot: self.next_slot,
                flags: 0,
                guest_phys_addr: gpa,
                memory_size: (1u64 << CHUNK_BITS).min(self.window_size - gpa),
                userspace_addr: self.window_base as u64 + gpa,
            };
            // SAFETY: the chunk lies inside the window, which `Vm::new`'s contract keeps
            // mapped for the life of the VM.
            unsafe { self.vm.set_user_memory_region(region) }
                .map_err(|e| AccelError::Kvm("KVM_SET_USER_MEMORY_REGION", e.errno()))?;
            self.chunks[chunk as usize] = true;
            self.next_slot += 1;
        }
        Ok(())
    }

    /// Flush the guest's translations after every lost right, also those whose host
    /// protection did not change (see `set_rights`).
    pub fn set_strict_flush(&mut self, on: bool) {
        self.strict_flush = on;
    }

    /// Removes `[addr, addr + len)` from the guest's page tables.
    pub fn unmap(&mut self, addr: u64, len: u64) -> Result<(), AccelError> {
        self.set_rights(
            addr,
            len,
            Rights {
                read: false,
                write: false,
                exec: false,
            },
        )
    }

    /// The state of a vCPU stopped in a syscall, for a forked child's new VM (the child
    /// cannot read it: KVM refuses a VM's ioctls from another process).
    pub fn snapshot(&self) -> Result<Snapshot, AccelError> {
        assert!(self.in_syscall, "snapshot outside a syscall");
        let fpu = self
            .vcpu
            .get_fpu()
            .map_err(|e| AccelError::Kvm("KVM_GET_FPU", e.errno()))?;
        let xsave = if self.carry_xsave {
            let x = self
                .vcpu
                .get_xsave()
                .map_err(|e| AccelError::Kvm("KVM_GET_XSAVE", e.errno()))?;
            Some(Box::new(x))
        } else {
            None
        };
        Ok(Snapshot {
            regs: self.regs,
            fpu,
            xsave,
            fs_base: self.fs_base(),
            gs_base: self.gs_base(),
        })
    }

    /// Puts a snapshot's state into this (new) VM, stopped in the same syscall.
    pub fn restore(&mut self, snap: &Snapshot) -> Result<(), AccelError> {
        self.vcpu
            .set_fpu(&snap.fpu)
            .map_err(|e| AccelError::Kvm("KVM_SET_FPU", e.errno()))?;
        if let Some(x) = &snap.xsave {
            // SAFETY: a legacy-size (4 KiB) XSAVE area taken by `snapshot` from a vCPU with
            // the same CPUID; KVM reads no more than `kvm_xsave`'s size.
            unsafe { self.vcpu.set_xsave(x) }
                .map_err(|e| AccelError::Kvm("KVM_SET_XSAVE", e.errno()))?;
        }
        self.regs = snap.regs;
        self.regs_dirty = true;
        self.set_fs_base(snap.fs_base);
        self.set_gs_base(snap.gs_base);
        self.in_syscall = true;
        Ok(())
    }

    /// Sets the ring-3 stack pointer the pending syscall returns with (clone's new stack).
    pub fn set_user_rsp(&mut self, rsp: u64) {
        self.regs.rsp = rsp;
        self.regs_dirty = true;
        self.sregs_dirty = true;
    }

    /// The FS base (TLS pointer).
    pub fn fs_base(&self) -> u64 {
        self.user_sregs.fs.base
    }

    /// Sets the FS base (arch_prctl ARCH_SET_FS).
    pub fn set_fs_base(&mut self, v: u64) {
        self.user_sregs.fs.base = v;
        self.sregs_dirty = true;
    }

    /// The GS base.
    pub fn gs_base(&self) -> u64 {
        self.user_sregs.gs.base
    }

    /// Sets the GS base (arch_prctl ARCH_SET_GS).
    pub fn set_gs_base(&mut self, v: u64) {
        self.user_sregs.gs.base = v;
        self.sregs_dirty = true;
    }

    /// Registers as of the last exit (for reports and tracing).
    pub fn regs(&self) -> &kvm_regs {
        &self.regs
    }

    /// Completes the pending syscall with `ret` in RAX and returns to ring 3 on the next
    /// `run`.
    pub fn finish_syscall(&mut self, ret: u64) -> Result<(), AccelError> {
        assert!(self.in_syscall, "finish_syscall without a pending syscall");
        self.regs.rax = ret;
        self.in_syscall = false;
        if self.sysret_ok && !self.sregs_dirty && !self.need_flush {
            // The vCPU sits after the stub's `out`; its `sysretq` returns to ring 3.
            self.resume_in_stub = true;
        } else {
            // The host returns to ring 3 itself: RIP and RFLAGS as `sysretq` would set them
            // (Intel SDM vol. 2B SYSRET), the segments from the saved ring-3 state.
            self.regs.rip = self.regs.rcx;
            self.regs.rflags = (self.regs.r11 & 0x3c_7fd7) | 0x2;
            self.resume_in_stub = false;
        }
        self.regs_dirty = true;
        Ok(())
    }

    /// Makes the guest see page-table entries that lost rights. The host edits the tables
    /// behind the guest's back, so hardware TLBs and shadow page tables (kvm_pvm) may hold
    /// the old entries; re-registering the slot that holds the tables makes KVM drop every
    /// translation derived from them.
    fn flush_tlb(&mut self) -> Result<(), AccelError> {
        for size in [0, SYS_SIZE] {
            let region = kvm_userspace_memory_region {
                slot: SLOT_SYS,
                flags: 0,
                guest_phys_addr: SYS_GPA,
                memory_size: size,
                userspace_addr: self.sys.ptr as u64,
            };
            // SAFETY: deletes and re-adds the system region's slot over the same host memory,
            // which `self` owns.
            unsafe { self.vm.set_user_memory_region(region) }
                .map_err(|e| AccelError::Kvm("KVM_SET_USER_MEMORY_REGION", e.errno()))?;
        }
        self.need_flush = false;
        self.stats.tlb_flushes += 1;
        Ok(())
    }

    /// Runs the guest until its next syscall or exception.
    pub fn run(&mut self) -> Result<VmExit, AccelError> {
        if self.need_flush {
            self.flush_tlb()?;
        }
        // Registers go in through the kvm_run sync area (KVM_CAP_SYNC_REGS): a vCPU ioctl
        // costs ~20 µs under kvm_pvm, so KVM_RUN is the only one per exit. Unless the stub
        // returns by itself, the entry is to ring 3 with the host-held segment state.
        {
            let sync = self.vcpu.sync_regs_mut();
            sync.regs = self.regs;
            if !self.resume_in_stub {
                sync.sregs = self.user_sregs;
            }
        }
        if self.regs_dirty {
            self.vcpu.set_sync_dirty_reg(SyncReg::Register);
            self.regs_dirty = false;
        }
        if !self.resume_in_stub {
            self.vcpu.set_sync_dirty_reg(SyncReg::SystemRegister);
            self.sregs_dirty = false;
        }
        self.resume_in_stub = false;
        let imm: *mut u8 = &raw mut self.vcpu.get_kvm_run().immediate_exit;
        IMMEDIATE_EXIT.store(imm, Ordering::SeqCst);
        // A request from a signal the caller has delivered since costs an empty KVM_RUN:
        // clear it, then look again (a signal recorded after the look sets it anew).
        // SAFETY: `imm` is this vCPU's live `kvm_run` field (see `request_exit`).
        unsafe { imm.write_volatile(0) };
        if xarch_linux::signal::any_pending() {
            // Recorded after the caller's last look: return before running on.
            request_exit();
        }
        loop {
            let t = Instant::now();
            let exit = self.vcpu.run();
            self.stats.guest_time += t.elapsed();
            let port = match exit {
                Ok(VcpuExit::IoOut(port, _)) => port,
                Ok(VcpuExit::MmioWrite(addr, _)) if addr == MMIO_GPA => PORT_SYSCALL,
                Ok(VcpuExit::Shutdown) => return Err(AccelError::Shutdown(self.rip_now())),
                Ok(VcpuExit::FailEntry(reason, _)) => return Err(AccelError::FailEntry(reason)),
                Ok(VcpuExit::InternalError) => {
                    return Err(AccelError::InternalError(self.rip_now()));
                }
                Ok(other) => {
                    return Err(AccelError::UnexpectedExit(
                        format!("{other:?}"),
                        self.rip_now(),
                    ));
                }
                Err(e) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN => {
                    self.stats.interrupted += 1;
                    // SAFETY: `imm` is this vCPU's live `kvm_run` field (see `request_exit`).
                    unsafe { imm.write_volatile(0) };
                    let sync = self.vcpu.sync_regs();
                    // In ring 3 with a guest signal recorded: hand the program's state to the
                    // caller. In a ring-0 stub the next exit comes at once; deliver after it.
                    if xarch_linux::signal::any_pending() && sync.sregs.cs.selector & 3 == 3 {
                        self.regs = sync.regs;
                        self.user_sregs.fs.base = sync.sregs.fs.base;
                        self.user_sregs.gs.base = sync.sregs.gs.base;
                        return Ok(VmExit::Interrupted);
                    }
                    continue;
                }
                Err(e) => return Err(AccelError::Kvm("KVM_RUN", e.errno())),
            };
            let sync = self.vcpu.sync_regs();
            self.regs = sync.regs;
            let (cr2, fs_base, gs_base) = (sync.sregs.cr2, sync.sregs.fs.base, sync.sregs.gs.base);
            // Ring 3 may have changed its bases itself (wrfsbase); the entry paths keep them.
            self.user_sregs.fs.base = fs_base;
            self.user_sregs.gs.base = gs_base;
            let r = &self.regs;
            if port == PORT_SYSCALL {
                self.stats.syscall_exits += 1;
                self.in_syscall = true;
                return Ok(VmExit::Syscall {
                    nr: r.rax,
                    args: [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9],
                    rip: r.rcx,
                });
            }
            let vector = port.wrapping_sub(PORT_EXC_BASE);
            if u64::from(vector) < EXC_VECTORS {
                let vector = vector as u8;
                self.stats.exception_exits[vector as usize] += 1;
                // The CPU pushed [error code,] RIP, CS, RFLAGS, RSP, SS on the ring-0 stack.
                let sp = r.rsp.wrapping_sub(SYS_VA);
                if !(0x4000..STACK_TOP_OFF).contains(&sp) {
                    return Err(AccelError::Internal(
                        "exception frame outside the ring-0 stack",
                    ));
                }
                let (error_code, frame) = if has_error_code(vector) {
                    (self.sys.read_u64(sp), sp + 8)
                } else {
                    (0, sp)
                };
                let rip = self.sys.read_u64(frame);
                if vector == 14 && rip == self.lstar() {
                    // A syscall through the faulting LSTAR (see `lstar`): the program's
                    // registers are intact except RSP, which is in the frame.
                    self.stats.exception_exits[14] -= 1;
                    self.stats.syscall_exits += 1;
                    self.in_syscall = true;
                    self.regs.rsp = self.sys.read_u64(frame + 24);
                    let r = &self.regs;
                    return Ok(VmExit::Syscall {
                        nr: r.rax,
                        args: [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9],
                        rip: r.rcx,
                    });
                }
                // Put the program's own registers back for the report.
                self.regs.rip = rip;
                self.regs.rflags = self.sys.read_u64(frame + 16);
                self.regs.rsp = self.sys.read_u64(frame + 24);
                return Ok(VmExit::Exception {
                    vector,
                    error_code,
                    rip,
                    cr2,
                });
            }
            return Err(AccelError::UnexpectedExit(
                format!("I/O to port {port:#x}"),
                r.rip,
            ));
        }
    }

    /// The registers ring 3 continues with: after a syscall, with RIP and RFLAGS as the
    /// return from it sets them (RAX is the result once `finish_syscall` ran).
    pub fn user_regs(&self) -> kvm_regs {
        let mut r = self.regs;
        if self.in_syscall || self.resume_in_stub {
            r.rip = r.rcx;
            r.rflags = (r.r11 & 0x3c_7fd7) | 0x2;
        }
        r
    }

    /// Sets every ring-3 register for the next `run`, which enters ring 3 directly (ending a
    /// pending syscall without a result of its own): signal delivery, sigreturn, restarts,
    /// resuming after an exception.
    pub fn set_user_regs(&mut self, regs: &kvm_regs) {
        self.regs = *regs;
        self.in_syscall = false;
        self.resume_in_stub = false;
        self.regs_dirty = true;
        self.sregs_dirty = true;
    }

    /// The ring-3 CS and SS selectors.
    pub fn user_selectors(&self) -> (u16, u16) {
        (self.user_sregs.cs.selector, self.user_sregs.ss.selector)
    }

    /// Whether the FP state is the full XSAVE area (`fp_state` in the standard XSAVE format),
    /// not only the legacy FXSAVE part.
    pub fn has_xsave_state(&self) -> bool {
        self.carry_xsave
    }

    /// The program's FP/vector state: the XSAVE area (standard format, 4 KiB) where KVM has
    /// it, else the 512-byte FXSAVE image.
    pub fn fp_state(&self) -> Result<Vec<u8>, AccelError> {
        if self.carry_xsave {
            let x = self
                .vcpu
                .get_xsave()
                .map_err(|e| AccelError::Kvm("KVM_GET_XSAVE", e.errno()))?;
            Ok(x.region.iter().flat_map(|w| w.to_le_bytes()).collect())
        } else {
            let f = self
                .vcpu
                .get_fpu()
                .map_err(|e| AccelError::Kvm("KVM_GET_FPU", e.errno()))?;
            let mut b = vec![0u8; 512];
            b[0..2].copy_from_slice(&f.fcw.to_le_bytes());
            b[2..4].copy_from_slice(&f.fsw.to_le_bytes());
            b[4] = f.ftwx;
            b[6..8].copy_from_slice(&f.last_opcode.to_le_bytes());
            b[8..16].copy_from_slice(&f.last_ip.to_le_bytes());
            b[16..24].copy_from_slice(&f.last_dp.to_le_bytes());
            b[24..28].copy_from_slice(&f.mxcsr.to_le_bytes());
            b[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
            for (i, r) in f.fpr.iter().enumerate() {
                b[32 + 16 * i..48 + 16 * i].copy_from_slice(r);
            }
            for (i, r) in f.xmm.iter().enumerate() {
                b[160 + 16 * i..176 + 16 * i].copy_from_slice(r);
            }
            Ok(b)
        }
    }

    /// Loads an FP/vector state in the form `fp_state` gives (shorter images are padded with
    /// zeros).
    pub fn set_fp_state(&mut self, img: &[u8]) -> Result<(), AccelError> {
        if self.carry_xsave {
            let mut x = kvm_bindings::kvm_xsave::default();
            for (w, c) in x.region.iter_mut().zip(img.chunks(4)) {
                let mut b = [0u8; 4];
                b[..c.len()].copy_from_slice(c);
                *w = u32::from_le_bytes(b);
            }
            // SAFETY: a legacy-size (4 KiB) XSAVE area; KVM reads no more than `kvm_xsave`'s
            // size and checks its header.
            unsafe { self.vcpu.set_xsave(&x) }
                .map_err(|e| AccelError::Kvm("KVM_SET_XSAVE", e.errno()))
        } else {
            let mut b = [0u8; 512];
            let n = img.len().min(512);
            b[..n].copy_from_slice(&img[..n]);
            let mut f = kvm_bindings::kvm_fpu {
                fcw: u16::from_le_bytes([b[0], b[1]]),
                fsw: u16::from_le_bytes([b[2], b[3]]),
                ftwx: b[4],
                last_opcode: u16::from_le_bytes([b[6], b[7]]),
                last_ip: u64::from_le_bytes(b[8..16].try_into().expect("8 bytes")),
                last_dp: u64::from_le_bytes(b[16..24].try_into().expect("8 bytes")),
                mxcsr: u32::from_le_bytes(b[24..28].try_into().expect("4 bytes")),
                ..Default::default()
            };
            for (i, r) in f.fpr.iter_mut().enumerate() {
                r.copy_from_slice(&b[32 + 16 * i..48 + 16 * i]);
            }
            for (i, r) in f.xmm.iter_mut().enumerate() {
                r.copy_from_slice(&b[160 + 16 * i..176 + 16 * i]);
            }
            self.vcpu
                .set_fpu(&f)
                .map_err(|e| AccelError::Kvm("KVM_SET_FPU", e.errno()))
        }
    }

    fn rip_now(&self) -> u64 {
        self.vcpu.get_regs().map(|r| r.rip).unwrap_or(0)
    }
}

/// Writes the GDT, TSS, IDT and ring-0 stubs into the system region.
fn write_system_tables(sys: &HostRegion) {
    // GDT: null, kernel code, kernel data, user32 code, user data, user code, TSS (2 slots).
    let gdt = [
        0,
        0x00af_9a00_0000_ffff,
        0x00cf_9200_0000_ffff,
        0x00cf_fa00_0000_ffff,
        0x00cf_f200_0000_ffff,
        0x00af_fa00_0000_ffff,
    ];
    for (i, d) in gdt.iter().enumerate() {
        sys.write_u64(GDT_OFF + 8 * i as u64, *d);
    }
    let tss = SYS_VA + TSS_OFF;
    let limit = 0x67u64;
    let tss_lo = (limit & 0xffff)
        | ((tss & 0xff_ffff) << 16)
        | (0x9 << 40)
        | (1 << 47)
        | (((limit >> 16) & 0xf) << 48)
        | (((tss >> 24) & 0xff) << 56);
    sys.write_u64(GDT_OFF + 6 * 8, tss_lo);
    sys.write_u64(GDT_OFF + 7 * 8, tss >> 32);
    // TSS: RSP0 at offset 4; I/O map base beyond the limit (no I/O bitmap).
    sys.write_bytes(TSS_OFF + 4, &(SYS_VA + STACK_TOP_OFF).to_le_bytes());
    sys.write_bytes(TSS_OFF + 102, &104u16.to_le_bytes());

    // syscall entry: out 0xe0, al ; sysretq (reached only where the backend allows it).
    sys.write_bytes(SYSCALL_ENTRY, &[0xe6, PORT_SYSCALL as u8, 0x48, 0x0f, 0x07]);
    // out PORT_RAW, al ; jmp back to the out
    sys.write_bytes(RAW_LOOP, &[0xe6, PORT_RAW as u8, 0xeb, 0xfc]);
    // mov [SYS_VA + MMIO_OFF], al ; sysretq
    let mut mmio = vec![0xa2];
    mmio.extend_from_slice(&(SYS_VA + MMIO_OFF).to_le_bytes());
    mmio.extend_from_slice(&[0x48, 0x0f, 0x07]);
    sys.write_bytes(SYSCALL_MMIO_ENTRY, &mmio);
    for v in 0..EXC_VECTORS {
        let stub = EXC_STUBS + 4 * v;
        // out 0x80+v, al ; hlt (never resumed)
        sys.write_bytes(stub, &[0xe6, PORT_EXC_BASE as u8 + v as u8, 0xf4, 0xf4]);
        let off = SYS_VA + stub;
        // Interrupt gate, present; DPL 3 for int3 and into so that ring 3 may raise them.
        let attr: u64 = if v == 3 || v == 4 { 0xee } else { 0x8e };
        let lo = (off & 0xffff)
            | (u64::from(KERNEL_CS) << 16)
            | (attr << 40)
            | (((off >> 16) & 0xffff) << 48);
        sys.write_u64(IDT_OFF + 16 * v, lo);
        sys.write_u64(IDT_OFF + 16 * v + 8, off >> 32);
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        // The signal hook must not write into this vCPU's `kvm_run` once it is unmapped.
        let mine: *mut u8 = &raw mut self.vcpu.get_kvm_run().immediate_exit;
        let _ = IMMEDIATE_EXIT.compare_exchange(
            mine,
            std::ptr::null_mut(),
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
    }
}

#[cfg(test)]
#[path = "vm_tests.rs"]
mod tests;
