//! A guest process under KVM: load the ELF, build the VM, serve syscalls until it ends.
//!
//! ```text
//!  loader::load ─► AddressSpace ─► change log ─► Vm page tables
//!  loop: Vm::run ─► Syscall ─► Syscalls::handle ─► finish_syscall / exit / fork / TLS
//!                 └► Exception ─► signal report, the process dies by that signal
//! ```
//!
//! A forked child cannot use its parent's VM (KVM ties a VM to the process that made it), so
//! it builds a new one over its own copy of the memory and carries the vCPU state across.

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use xarch_linux::abi::x86_64::ABI;
use xarch_linux::{AddressSpace, MemEvent, Prot, SyscallOutcome, Syscalls};

use crate::backend::Backend;
use crate::error::RunError;
use crate::paging::Rights;
use crate::signal;
use crate::vm::{Vm, VmExit, VmStats};

/// x86-64 syscall numbers the runner looks at itself.
const NR_CLONE: u64 = 56;
const NR_FORK: u64 = 57;
const NR_VFORK: u64 = 58;
const NR_CLONE3: u64 = 435;

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

/// Brings the VM's page tables in step with the address space's change log.
fn apply_events(vm: &mut Vm, space: &mut AddressSpace) -> Result<(), RunError> {
    for ev in space.take_events() {
        match ev {
            MemEvent::Mapped { start, len, prot } | MemEvent::Protected { start, len, prot } => {
                vm.set_rights(start, len, rights(prot))?
            }
            MemEvent::Unmapped { start, len } => vm.unmap(start, len)?,
            // Only the DBT write-protects code pages.
            MemEvent::CodeWritten { .. } => {}
        }
    }
    Ok(())
}

/// A VM over `space`'s window with every current mapping in its page tables.
fn build_vm(space: &mut AddressSpace) -> Result<Vm, RunError> {
    let mem = space.mem();
    // SAFETY: the window belongs to `space`, which outlives the VM in `run` (the VM is
    // dropped before it, see the order of locals there).
    let mut vm = unsafe { Vm::new(mem.base(), mem.size()) }?;
    space.take_events();
    let vmas: Vec<_> = space
        .vmas()
        .map(|v| (v.start, v.end - v.start, v.prot))
        .collect();
    for (start, len, prot) in vmas {
        vm.set_rights(start, len, rights(prot))?;
    }
    Ok(vm)
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
    let loaded = xarch_linux::load(&mut space, &ABI, path, argv, envp, &execfn)?;
    let mut sys = Syscalls::new(&ABI, opts.exec_prefix.clone());
    sys.set_exe_path(path);
    sys.set_strace(opts.strace);

    let mut vm = build_vm(&mut space)?;
    let mut vms_built = 1;
    vm.set_entry(loaded.entry, loaded.sp)?;
    let backend = vm.backend();
    let setup = t0.elapsed();

    let ending = loop {
        let exit = vm.run()?;
        match exit {
            VmExit::Syscall { nr, args, rip } => {
                if opts.trace_exits {
                    let name = ABI.sysno(nr).map_or("unknown", |s| s.name());
                    eprintln!("xarch-kvm: exit syscall rip={rip:#x} {name}({nr})");
                }
                let forking = matches!(nr, NR_CLONE | NR_FORK | NR_VFORK | NR_CLONE3);
                let snapshot = if forking { Some(vm.snapshot()?) } else { None };
                let ret = match sys.handle(&mut space, nr, args) {
                    SyscallOutcome::Return(v) => v,
                    SyscallOutcome::Exit(code) => break Ending::Exited(code),
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
                        vm = build_vm(&mut space)?;
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
                apply_events(&mut vm, &mut space)?;
                vm.finish_syscall(ret as u64)?;
            }
            VmExit::Exception { vector, rip, .. } => {
                if opts.trace_exits {
                    eprintln!("xarch-kvm: exit exception vector={vector} rip={rip:#x}");
                }
                let Some((signal, report)) = signal::crash_report(&exit) else {
                    unreachable!()
                };
                break Ending::Killed { signal, report };
            }
        }
    };
    let stats = RunStats {
        backend,
        setup,
        total: t0.elapsed(),
        vm: vm.stats.clone(),
        vms_built,
    };
    drop(vm);
    drop(space);
    Ok((ending, stats))
}
