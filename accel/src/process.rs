//! A guest process under KVM: load the ELF, build the VM, serve syscalls until it ends.
//!
//! ```text
//!  loader::load ─► AddressSpace ─► change log ─► Vm page tables
//!  loop: Vm::run ─► Syscall ─► Syscalls::handle ─► finish_syscall / exit / fork / TLS
//!                 ├► Exception ─► guest handler (frame) or report, death by that signal
//!                 └► Interrupted (a host signal the guest handles)
//!  after each: deliver_signals ─► sigframe::setup, the handler's registers and fresh FPU
//!  rt_sigreturn ─► sigframe::restore: registers, FP/XSAVE state, signal mask
//! ```
//!
//! Signals follow `xarch run` (src/cmd_run.rs): the Linux layer records the host signals the
//! guest handles and keeps the guest's actions and mask; this loop decides per signal (mask,
//! SA_NODEFER, SA_RESETHAND, SA_RESTART vs EINTR) and writes the x86-64 frame from the vCPU.
//! A guest fault whose signal has a guest handler runs that handler (registers are exact at a
//! VM exit), as Linux would; without one the process dies by the signal with a report.
//!
//! A forked child cannot use its parent's VM (KVM ties a VM to the process that made it), so
//! it builds a new one over its own copy of the memory and carries the vCPU state across.

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use xarch_linux::abi::Sysno;
use xarch_linux::abi::x86_64::ABI;
use xarch_linux::{AddressSpace, GuestAddr, MemEvent, Prot, SyscallOutcome, Syscalls, VmaKind};

use crate::backend::Backend;
use crate::error::RunError;
use crate::paging::Rights;
use crate::sigframe::{self, AltStack, Delivery, Xstate};
use crate::signal;
use crate::vm::{self, Vm, VmExit, VmStats};
use xarch_linux::signal as gsig;

/// x86-64 syscall numbers the runner looks at itself.
const NR_CLONE: u64 = 56;
const NR_FORK: u64 = 57;
const NR_VFORK: u64 = 58;
const NR_CLONE3: u64 = 435;
const NR_RT_SIGRETURN: u64 = 15;
const NR_SIGALTSTACK: u64 = 131;
const NR_RT_SIGPROCMASK: u64 = 14;

/// The fault signals' bits (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV). The Linux layer keeps
/// them unblocked on the host (the emulator needs them), so their guest mask bits live here.
const FAULT_SIGNALS: u64 = (1 << 3) | (1 << 4) | (1 << 6) | (1 << 7) | (1 << 10);

/// The signal state the run loop keeps itself: the guest's XSAVE layout and its alternate
/// signal stack (sigaltstack is served here, where frames are placed).
struct SigState {
    xstate: Option<Xstate>,
    alt: AltStack,
    /// The guest's mask bits of FAULT_SIGNALS: a fault whose signal is blocked kills, as
    /// Linux's force_sig_fault does (a handler that faults again, say).
    fault_mask: u64,
}

/// How to run the program.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// One line per VM exit on stderr.
    pub trace_exits: bool,
    /// One line per syscall on stderr (the Linux layer's strace).
    pub strace: bool,
    /// The command that runs another guest program for `execve` (see `Syscalls::new`).
    pub exec_prefix: Vec<OsString>,
}

/// How the guest ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `exit`/`exit_group` with this status.
    Exited(i32),
    /// A fatal exception: the signal and the one-line report.
    Killed { signal: i32, report: String },
}

/// What `--stats` shows.
#[derive(Clone, Debug)]
pub struct RunStats {
    pub backend: Backend,
    /// From the start of `run` to the first guest instruction (load + VM creation).
    pub setup: Duration,
    /// Of `setup`: loading the ELF (and its interpreter) into the address space.
    pub load: Duration,
    /// Of `setup`: creating the VM and vCPU (KVM_CREATE_VM .. registers set).
    pub vm_create: Duration,
    /// Of `setup`: page tables, memory slots and host pages for the loaded image and stack.
    pub map_image: Duration,
    /// From the first guest instruction to the first exit (the first syscall): mostly the
    /// guest's first touches of its pages, each a shadow-paging fault inside KVM.
    pub first_exit: Duration,
    /// From the start of `run` to the end of the guest.
    pub total: Duration,
    pub vm: VmStats,
    /// VMs built (1, plus one per fork in this process).
    pub vms_built: u64,
}

impl RunStats {
    /// Time outside `KVM_RUN` after setup: serving syscalls and exits.
    pub fn host_time(&self) -> Duration {
        self.total
            .saturating_sub(self.setup)
            .saturating_sub(self.vm.guest_time)
    }
}

fn rights(prot: Prot) -> Rights {
    Rights::from_prot(prot.0)
}

/// Bytes of a new mapping whose host pages are populated before the guest touches them
/// (measured under kvm_pvm: 40 MB touched page by page in 0.63 s unpopulated, 0.24 s
/// populated, populating included), and of the initial stack, from its top.
const POPULATE_MAX: u64 = 64 << 20;
const POPULATE_STACK: u64 = 256 << 10;

/// Populates the host pages of (the first or, for the stack, the last bytes of) a new
/// mapping. A guest's first touch of a page the host has not populated yet costs a host page
/// fault inside KVM's own fault (under kvm_pvm ~23 µs, against ~3 µs for a populated page);
/// most programs touch most of a small mapping, so doing it ahead is cheaper. Best effort:
/// an error only means the guest pays the fault later.
///
/// With `thp` (see `host_thp`), anonymous mappings other than the stack are first marked
/// MADV_HUGEPAGE, so that the host backs their 2 MiB-aligned parts with huge pages and KVM can
/// map each 2 MiB guest leaf with one 2 MiB shadow entry: one fault per 2 MiB instead of 512,
/// and fewer TLB misses.
fn populate(space: &AddressSpace, start: u64, len: u64, prot: Prot, thp: bool) {
    if prot.0 == 0 {
        return;
    }
    // Anonymous memory only: populating a file mapping for writing would dirty its pages.
    let Some(kind) = space.find_vma(start).map(|v| v.kind) else {
        return;
    };
    if matches!(kind, VmaKind::File { .. }) {
        return;
    }
    let stack = kind == VmaKind::Stack;
    if thp && !stack {
        let host = space.mem().host(GuestAddr(start));
        // SAFETY: advice on a mapping of the guest window that the address space just made;
        // it changes no contents and no protection.
        unsafe {
            libc::madvise(host.cast(), len as usize, libc::MADV_HUGEPAGE);
        }
    }
    let n = len.min(if stack { POPULATE_STACK } else { POPULATE_MAX });
    let from = if stack { start + len - n } else { start };
    let advice = if prot.contains(Prot::WRITE) {
        libc::MADV_POPULATE_WRITE
    } else {
        libc::MADV_POPULATE_READ
    };
    let host = space.mem().host(GuestAddr(from));
    // SAFETY: the range lies in a mapping of the guest window that the address space just
    // made, with host protection equal to `prot`; populating changes no contents.
    unsafe {
        libc::madvise(host.cast(), n as usize, advice);
    }
}

/// Whether guest anonymous memory asks the host for huge pages (`XARCH_KVM_THP=1`, with the
/// guest's 2 MiB leaves on). Off by default: the guest then gets the host's THP policy, as a
/// native program does. Measured on the kvm_pvm development host (THP `madvise`), first touch
/// of 512 MiB took 1.1–2.4 s with MADV_HUGEPAGE against 0.33–0.46 s with 4 KiB pages, natively
/// too: fresh huge pages are slow to get there, which outweighs the 512× fewer shadow faults;
/// random access over the same memory gained ~1.5× (TLB reach).
fn host_thp(vm: &Vm) -> bool {
    vm.page_sizes().two_m && std::env::var_os("XARCH_KVM_THP").is_some_and(|v| v == "1")
}

/// Brings the VM's page tables in step with the address space's change log.
fn apply_events(vm: &mut Vm, space: &mut AddressSpace) -> Result<(), RunError> {
    for ev in space.take_events() {
        match ev {
            MemEvent::Mapped { start, len, prot } => {
                populate(space, start, len, prot, host_thp(vm));
                vm.set_rights(start, len, rights(prot))?
            }
            MemEvent::Protected { start, len, prot } => vm.set_rights(start, len, rights(prot))?,
            MemEvent::Unmapped { start, len } => vm.unmap(start, len)?,
            // Only the DBT write-protects code pages.
            MemEvent::CodeWritten { .. } => {}
        }
    }
    Ok(())
}

/// A VM over `space`'s window with every current mapping in its page tables, and the time
/// the VM's creation took.
fn build_vm(space: &mut AddressSpace) -> Result<(Vm, Duration), RunError> {
    let mem = space.mem();
    let t = Instant::now();
    // SAFETY: the window belongs to `space`, which outlives the VM in `run` (the VM is
    // dropped before it, see the order of locals there).
    let mut vm = unsafe { Vm::new(mem.base(), mem.size()) }?;
    let created = t.elapsed();
    space.take_events();
    let vmas: Vec<_> = space
        .vmas()
        .map(|v| (v.start, v.end - v.start, v.prot))
        .collect();
    let thp = host_thp(&vm);
    for (start, len, prot) in vmas {
        populate(space, start, len, prot, thp);
        vm.set_rights(start, len, rights(prot))?;
    }
    Ok((vm, created))
}

/// Runs the x86-64 program `path` with `argv` (argv[0] included) and `envp` under KVM.
pub fn run(
    path: &Path,
    argv: &[OsString],
    envp: &[OsString],
    opts: &Options,
) -> Result<(Ending, RunStats), RunError> {
    let t0 = Instant::now();
    let ident = xarch_linux::elf_machine(path)?;
    if ident.machine != ABI.elf_machine || !ident.is_64bit || ident.big_endian {
        return Err(RunError::NotX86_64(
            path.display().to_string(),
            xarch_linux::loader::machine_name(ident.machine),
        ));
    }
    let mut space =
        AddressSpace::for_abi(&ABI).map_err(|e| RunError::Host("reserving guest memory", e))?;
    let execfn = argv.first().map_or_else(
        || path.display().to_string(),
        |a| a.to_string_lossy().into_owned(),
    );
    // A native program's dynamic linker and libraries are the host's own: the sysroot is /.
    let root = Path::new("/");
    let loaded = xarch_linux::loader::load_with_sysroot(
        &mut space,
        &ABI,
        path,
        argv,
        envp,
        &execfn,
        Some(root),
    )?;
    let mut sys = Syscalls::new(&ABI, opts.exec_prefix.clone());
    sys.set_exe_path(path);
    sys.set_strace(opts.strace);
    // Guest handlers run: the host records their signals and stops KVM_RUN.
    sys.set_deliver_signals(true);
    gsig::set_interrupt_hook(vm::request_exit);
    let mut sigs = SigState {
        xstate: Xstate::host(),
        alt: AltStack::default(),
        fault_mask: 0,
    };

    let load = t0.elapsed();
    let (mut vm, vm_create) = build_vm(&mut space)?;
    let mut vms_built = 1;
    vm.set_entry(loaded.entry, loaded.sp)?;
    let backend = vm.backend();
    let setup = t0.elapsed();
    let mut first_exit = None;

    let ending = loop {
        let exit = vm.run()?;
        if first_exit.is_none() {
            first_exit = Some(t0.elapsed() - setup);
        }
        match exit {
            VmExit::Syscall { nr, args, rip } => {
                if opts.trace_exits {
                    let name = ABI.sysno(nr).map_or("unknown", |s| s.name());
                    eprintln!("xarch-kvm: exit syscall rip={rip:#x} {name}({nr})");
                }
                if nr == NR_SIGALTSTACK {
                    let rsp = vm.user_regs().rsp;
                    let ret = sigs.alt.syscall(&mut space, args[0], args[1], rsp);
                    vm.finish_syscall(ret as u64)?;
                    if gsig::any_pending()
                        && let Err(e) =
                            deliver_signals(&mut vm, &mut space, &mut sys, &mut sigs, None)
                    {
                        break e;
                    }
                    continue;
                }
                if nr == NR_RT_SIGRETURN {
                    if let Err(e) = sigreturn(&mut vm, &mut space, &mut sys, &mut sigs) {
                        break e;
                    }
                    if let Err(e) = deliver_signals(&mut vm, &mut space, &mut sys, &mut sigs, None)
                    {
                        break e;
                    }
                    continue;
                }
                // rt_sigprocmask's new set, read before the call (it may share the old one's
                // buffer), for the fault signals' bits.
                let new_set = if nr == NR_RT_SIGPROCMASK && args[1] != 0 {
                    let mut b = [0u8; 8];
                    space
                        .read(args[1], &mut b)
                        .ok()
                        .map(|_| u64::from_le_bytes(b))
                } else {
                    None
                };
                let forking = matches!(nr, NR_CLONE | NR_FORK | NR_VFORK | NR_CLONE3);
                let snapshot = if forking { Some(vm.snapshot()?) } else { None };
                let ret = match sys.handle(&mut space, nr, args) {
                    SyscallOutcome::Return(v) => v,
                    SyscallOutcome::Exit(code) => break Ending::Exited(code),
                    // Threads stay off here (`Syscalls::set_threads`): clone of a thread is
                    // ENOSYS and `exit` is `Exit`.
                    SyscallOutcome::ExitThread(_) | SyscallOutcome::NewThread(_) => {
                        return Err(RunError::Internal("thread outcome with threads off"));
                    }
                    SyscallOutcome::SetThreadPointer(v) => {
                        vm.set_fs_base(v);
                        0
                    }
                    SyscallOutcome::GetThreadPointer(addr) => {
                        let fs = vm.fs_base().to_le_bytes();
                        if space.write(addr, &fs).is_ok() {
                            0
                        } else {
                            -i64::from(libc::EFAULT)
                        }
                    }
                    SyscallOutcome::Forked {
                        child: false, ret, ..
                    } => ret,
                    SyscallOutcome::Forked {
                        child: true,
                        ret,
                        stack,
                        tls,
                    } => {
                        let Some(snap) = snapshot else {
                            return Err(RunError::Internal("fork outcome for a non-fork syscall"));
                        };
                        // KVM refuses the parent's VM here: build our own over our memory.
                        let carried = vm.stats.clone();
                        drop(vm);
                        // A new process starts with no pending signals.
                        let _ = gsig::take_pending();
                        vm = build_vm(&mut space)?.0;
                        vms_built += 1;
                        vm.restore(&snap)?;
                        vm.stats = carried;
                        if let Some(sp) = stack {
                            vm.set_user_rsp(sp);
                        }
                        if let Some(tp) = tls {
                            vm.set_fs_base(tp);
                        }
                        ret
                    }
                };
                if nr == NR_RT_SIGPROCMASK && ret == 0 {
                    fault_sigprocmask(&mut space, &mut sigs, args, new_set);
                }
                apply_events(&mut vm, &mut space)?;
                // A blocking call cut short by a signal the guest handles: SA_RESTART
                // decides between -EINTR and running the call again.
                let interrupted = (ret == -i64::from(libc::EINTR)
                    && gsig::any_pending()
                    && !ABI.sysno(nr).is_some_and(Sysno::never_restarts))
                .then_some(nr);
                vm.finish_syscall(ret as u64)?;
                if interrupted.is_some() || gsig::any_pending() || sys.has_saved_mask() {
                    let r = deliver_signals(&mut vm, &mut space, &mut sys, &mut sigs, interrupted);
                    if let Err(e) = r {
                        break e;
                    }
                }
            }
            VmExit::Exception {
                vector,
                error_code,
                rip,
                cr2,
            } => {
                if opts.trace_exits {
                    eprintln!("xarch-kvm: exit exception vector={vector} rip={rip:#x}");
                }
                let sig = signal::signal_for(vector);
                let act = sys.guest_action(sig as u32);
                if !act.is_handler() || sigs.fault_mask & (1 << (sig - 1)) != 0 {
                    let Some((signal, report)) = signal::crash_report(&exit) else {
                        unreachable!()
                    };
                    break Ending::Killed { signal, report };
                }
                let mapped = space.find_vma(cr2).is_some();
                let info = signal::fault_info(vector, rip, cr2, mapped);
                let trap = (u64::from(vector), error_code, cr2);
                let r = deliver_one(
                    &mut vm, &mut space, &mut sys, &mut sigs, sig as u32, &info, trap,
                );
                if let Err(e) = r {
                    break e;
                }
                if let Err(e) = deliver_signals(&mut vm, &mut space, &mut sys, &mut sigs, None) {
                    break e;
                }
            }
            VmExit::Interrupted => {
                if opts.trace_exits {
                    eprintln!("xarch-kvm: exit interrupted rip={:#x}", vm.regs().rip);
                }
                if let Err(e) = deliver_signals(&mut vm, &mut space, &mut sys, &mut sigs, None) {
                    break e;
                }
            }
        }
    };
    let stats = RunStats {
        backend,
        setup,
        load,
        vm_create,
        map_image: setup.saturating_sub(load).saturating_sub(vm_create),
        first_exit: first_exit.unwrap_or_default(),
        total: t0.elapsed(),
        vm: vm.stats.clone(),
        vms_built,
    };
    drop(vm);
    drop(space);
    Ok((ending, stats))
}

/// The ending of a guest whose signal cannot be delivered (no restorer, no room for the
/// frame): SIGSEGV, as Linux forces it.
fn undeliverable(sig: u32, why: &str) -> Ending {
    Ending::Killed {
        signal: libc::SIGSEGV,
        report: format!("xarch: guest SIGSEGV: cannot deliver signal {sig}: {why}"),
    }
}

/// Runs the guest handler of a fault signal `sig` (exception exit, registers exact).
fn deliver_one(
    vm: &mut Vm,
    space: &mut AddressSpace,
    sys: &mut Syscalls,
    sigs: &mut SigState,
    sig: u32,
    info: &[u8; 128],
    trap: (u64, u64, u64),
) -> Result<(), Ending> {
    let mut regs = vm.user_regs();
    let mut fp = vm.fp_state().map_err(|e| host_failure(&e.to_string()))?;
    push_frame(
        vm,
        space,
        sys,
        sigs,
        sig,
        info,
        Some(trap),
        &mut regs,
        &mut fp,
    )?;
    vm.set_user_regs(&regs);
    vm.set_fp_state(&fp)
        .map_err(|e| host_failure(&e.to_string()))
}

/// A KVM failure while delivering: the run cannot go on.
fn host_failure(msg: &str) -> Ending {
    Ending::Killed {
        signal: libc::SIGSEGV,
        report: format!("xarch: signal delivery failed: {msg}"),
    }
}

/// Pushes one frame for `sig` on top of `regs`/`fp` (the state it interrupts) and makes them
/// the handler's; the guest mask widens by the action (sa_mask, the signal unless
/// SA_NODEFER) and SA_RESETHAND resets it.
#[allow(clippy::too_many_arguments)]
fn push_frame(
    vm: &Vm,
    space: &mut AddressSpace,
    sys: &mut Syscalls,
    sigs: &mut SigState,
    sig: u32,
    info: &[u8; 128],
    trap: Option<(u64, u64, u64)>,
    regs: &mut kvm_bindings::kvm_regs,
    fp: &mut Vec<u8>,
) -> Result<(), Ending> {
    let act = sys.guest_action(sig);
    let mask = sys.guest_mask() | sigs.fault_mask;
    // After rt_sigsuspend/ppoll/pselect6/epoll_pwait the first frame saves the call's
    // original mask, not the temporary one it is delivered under.
    let saved = sys.take_saved_mask().map(|m| m | sigs.fault_mask);
    // x86-64 Linux requires SA_RESTORER (glibc always sets it); without it the kernel
    // cannot return from the handler and forces SIGSEGV.
    if act.flags & gsig::SA_RESTORER == 0 || act.restorer == 0 {
        return Err(undeliverable(sig, "the handler has no SA_RESTORER"));
    }
    let d = Delivery {
        sig,
        info,
        handler: act.handler,
        restorer: act.restorer,
        mask: saved.unwrap_or(mask),
        trap,
        altstack: sigs.alt,
        onstack: act.flags & gsig::SA_ONSTACK != 0,
    };
    sigframe::setup(space, regs, fp, sigs.xstate, vm.user_selectors(), &d)
        .map_err(|e| undeliverable(sig, &e.to_string()))?;
    *fp = sigframe::init_fp_state(fp);
    let bit = 1u64 << (sig - 1);
    let mut new_mask = mask | act.mask;
    if act.flags & gsig::SA_NODEFER == 0 {
        new_mask |= bit;
    }
    sys.set_guest_mask(new_mask);
    sigs.fault_mask = new_mask & FAULT_SIGNALS;
    if act.flags & gsig::SA_RESETHAND != 0 {
        sys.reset_to_default(sig);
    }
    Ok(())
}

/// Runs the guest handlers of the signals the host recorded: one frame per signal, each on
/// top of the last (as Linux stacks them). `interrupted` is the number of a syscall cut
/// short by -EINTR (already in RAX): the first handler's SA_RESTART runs it again; with no
/// handler run at all it restarts.
fn deliver_signals(
    vm: &mut Vm,
    space: &mut AddressSpace,
    sys: &mut Syscalls,
    sigs: &mut SigState,
    mut interrupted: Option<u64>,
) -> Result<(), Ending> {
    let bits = gsig::take_pending();
    if bits == 0 && interrupted.is_none() {
        if let Some(m) = sys.take_saved_mask() {
            sys.set_guest_mask(m);
        }
        return Ok(());
    }
    let mut regs = vm.user_regs();
    let mut fp: Option<Vec<u8>> = None;
    for sig in 1..=64u32 {
        let bit = 1u64 << (sig - 1);
        if bits & bit == 0 {
            continue;
        }
        let act = sys.guest_action(sig);
        if !act.is_handler() || sys.guest_mask() & bit != 0 {
            // The guest dropped its handler since (the host action applies now), or an
            // earlier frame of this round blocks it (it waits in the host kernel).
            gsig::raise_on_host(sig);
            continue;
        }
        if let Some(nr) = interrupted.take()
            && act.flags & gsig::SA_RESTART != 0
        {
            restart(&mut regs, nr);
        }
        let mut cur = match fp.take() {
            Some(f) => f,
            None => vm.fp_state().map_err(|e| host_failure(&e.to_string()))?,
        };
        let info = gsig::info_of(sig);
        push_frame(vm, space, sys, sigs, sig, &info, None, &mut regs, &mut cur)?;
        fp = Some(cur);
    }
    if let Some(m) = sys.take_saved_mask() {
        // No handler ran: the temporary mask ends here.
        sys.set_guest_mask(m);
    }
    if let Some(nr) = interrupted {
        // No handler ran (the signal's action changed): Linux restarts the call.
        restart(&mut regs, nr);
    }
    vm.set_user_regs(&regs);
    if let Some(f) = fp {
        vm.set_fp_state(&f)
            .map_err(|e| host_failure(&e.to_string()))?;
    }
    Ok(())
}

/// Makes ring 3 run syscall `nr` again: back over the 2-byte `syscall`, RAX = the number.
fn restart(regs: &mut kvm_bindings::kvm_regs, nr: u64) {
    regs.rip = regs.rip.wrapping_sub(2);
    regs.rax = nr;
}

/// `rt_sigreturn`: registers, FP state and mask from the frame at rsp - 8.
fn sigreturn(
    vm: &mut Vm,
    space: &mut AddressSpace,
    sys: &mut Syscalls,
    sigs: &mut SigState,
) -> Result<(), Ending> {
    let mut regs = vm.user_regs();
    let frame = regs.rsp.wrapping_sub(8);
    let cur = vm.fp_state().map_err(|e| host_failure(&e.to_string()))?;
    let r = sigframe::restore(space, &mut regs, &cur, sigs.xstate).map_err(|e| Ending::Killed {
        signal: libc::SIGSEGV,
        report: format!("xarch: guest SIGSEGV: rt_sigreturn: {e}"),
    })?;
    sigframe::restore_altstack(space, frame, regs.rsp, &mut sigs.alt);
    sys.set_guest_mask(r.mask);
    sigs.fault_mask = r.mask & FAULT_SIGNALS;
    vm.set_user_regs(&regs);
    vm.set_fp_state(&r.fp).map_err(|e| Ending::Killed {
        signal: libc::SIGSEGV,
        report: format!("xarch: guest SIGSEGV: rt_sigreturn: bad FP state ({e})"),
    })
}

/// After a successful rt_sigprocmask(how, set, oldset): the fault signals' bits of the guest
/// mask follow `how` and `set`, and `oldset` (written by the Linux layer without them) gets
/// them back.
fn fault_sigprocmask(
    space: &mut AddressSpace,
    sigs: &mut SigState,
    args: [u64; 6],
    set: Option<u64>,
) {
    let old = sigs.fault_mask;
    if let Some(set) = set {
        let set = set & FAULT_SIGNALS;
        sigs.fault_mask = match args[0] as i32 {
            libc::SIG_BLOCK => old | set,
            libc::SIG_UNBLOCK => old & !set,
            _ => set,
        };
    }
    let mut b = [0u8; 8];
    if args[2] != 0 && space.read(args[2], &mut b).is_ok() {
        let v = u64::from_le_bytes(b) | old;
        let _ = space.write(args[2], &v.to_le_bytes());
    }
}
