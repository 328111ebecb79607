//! `xarch run`: run a Linux user program built for another architecture through the DBT.
//!
//! ```text
//!  ELF header ─► arches::frontend_for ─► loader::load ─► Engine::run ─┬─ Syscall ─► Syscalls::handle
//!                                                          ▲          ├─ Trap / FetchFault ─► report
//!                                                          └── take_events ─► Engine::invalidate
//! ```
//!
//! Guest signals: a host signal the guest handles is recorded by `xarch_linux::signal` and
//! stops compiled code (`RunExit::Interrupted`); after that exit and after every syscall the
//! loop pushes the arch's signal frame (`Frontend::setup_signal_frame`) and the guest's
//! `rt_sigreturn` restores it. A blocking call cut short (-EINTR) restarts when the handler
//! has SA_RESTART. Guest faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) stay fatal even
//! with a guest handler: compiled code does not keep the guest registers exact at a fault.
//!
//! Guest threads: `clone` with CLONE_THREAD starts a host thread with its own engine, CPU
//! state, syscall layer and address-space handle (`spawn_thread`); memory, mappings and
//! signal actions are shared, and each host thread's signal mask is its guest thread's.
//! `exit_group`, a fatal signal or an emulator limit in any thread ends the process.
//!
//! stdin, stdout, stderr and the exit status pass through: the guest's exit code is xarch's;
//! a guest that dies by a signal makes xarch die by the same signal (a shell reports
//! 128+signal). Emulator limits and bad input are one `xarch: …` line and exit status 1;
//! an unimplemented instruction is also status 1, after its address, bytes and disassembly.

use crate::arches;
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use xarch_linux::abi::Sysno;
use xarch_linux::mem::GuestMemory;
use xarch_linux::signal as gsig;
use xarch_linux::{
    AddressSpace, MapRequest, MemEvent, Prot, SyscallOutcome, Syscalls, ThreadRequest,
};
use xarch_translator::frontend::{SignalError, SignalFrame, SignalMemory};
use xarch_translator::ir::TrapKind;
use xarch_translator::{
    CodeMemory, CpuState, Engine, EngineOptions, Frontend, GuestSpace, RunExit, Show, Stats,
};

/// The teaching views of `--show`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum View {
    /// Guest disassembly of each lifted block.
    Guest,
    /// The IR of each lifted block.
    Ir,
    /// The Cranelift IR of each compiled block.
    Clif,
    /// The host code of each compiled block.
    Host,
}

/// Arguments of `xarch run` (options follow qemu-user's where it has one; `-strace` is
/// accepted for `--strace`).
#[derive(clap::Args)]
pub struct RunArgs {
    /// Sysroot for the guest: absolute paths the guest opens are looked up there first.
    #[arg(short = 'L', long = "sysroot", value_name = "DIR")]
    sysroot: Option<PathBuf>,
    /// Set an environment variable for the guest.
    #[arg(short = 'E', value_name = "VAR=VALUE")]
    set_env: Vec<String>,
    /// Remove an environment variable from the guest's environment.
    #[arg(short = 'U', value_name = "VAR")]
    unset_env: Vec<String>,
    /// One line per guest syscall on stderr, qemu-user style.
    #[arg(long)]
    strace: bool,
    /// Engine statistics on stderr at exit.
    #[arg(long)]
    stats: bool,
    /// Write the engine statistics as JSON to FILE at exit.
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,
    /// Teaching views on stderr, comma-separated: guest, ir, clif, host.
    #[arg(long, value_delimiter = ',', value_name = "VIEWS")]
    show: Vec<View>,
    /// Never compile: run everything in the IR interpreter.
    #[arg(long, conflicts_with = "hot_threshold")]
    interp_only: bool,
    /// Interpreted runs of a block before it is compiled (0: compile at once).
    #[arg(long, value_name = "N")]
    hot_threshold: Option<u32>,
    /// argv[0] for the program (default: PROGRAM as given); qemu-user's `-0`.
    #[arg(short = '0', long, value_name = "ARG0")]
    argv0: Option<OsString>,
    /// The guest program and its arguments.
    #[arg(
        value_name = "PROGRAM",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<OsString>,
}

/// Options of `xarch run` that take a value (to find where PROGRAM starts).
const VALUE_OPTIONS: &[&str] = &[
    "-0",
    "-L",
    "--sysroot",
    "-E",
    "-U",
    "--stats-json",
    "--show",
    "--hot-threshold",
    "--argv0",
];

/// Rewrites qemu's single-dash `-strace` into `--strace` among `xarch run`'s options (before
/// PROGRAM), so clap accepts it.
pub fn rewrite_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out: Vec<OsString> = args.into_iter().collect();
    let Some(run) = out.iter().position(|a| a == "run") else {
        return out;
    };
    // Only if "run" is the subcommand: every argument before it must be an option.
    if out[1..run].iter().any(|a| !a.as_bytes().starts_with(b"-")) {
        return out;
    }
    let mut i = run + 1;
    while i < out.len() {
        let a = out[i].as_bytes();
        if a == b"--" || !a.starts_with(b"-") {
            break;
        }
        if a == b"-strace" {
            out[i] = "--strace".into();
        } else if VALUE_OPTIONS.contains(&&*String::from_utf8_lossy(a)) {
            i += 1;
        }
        i += 1;
    }
    out
}

/// The engine's view of the guest address space.
struct Space(AddressSpace);

impl CodeMemory for Space {
    fn read_code(&self, addr: u64, buf: &mut [u8]) -> bool {
        self.0.read_code(addr, buf)
    }
}

impl GuestSpace for Space {
    fn mem(&self) -> &GuestMemory {
        self.0.mem()
    }

    fn protect_code_page(&mut self, page: u64) -> bool {
        self.0.protect_code_page(page)
    }

    fn unprotect_code_range(&mut self, addr: u64, len: u64) {
        self.0.unprotect_code_range(addr, len);
    }

    fn take_stale_code(&mut self) -> Vec<(u64, u64)> {
        stale_ranges(self.0.take_events())
    }
}

/// The guest ranges whose translations the changes `events` make stale.
fn stale_ranges(events: Vec<MemEvent>) -> Vec<(u64, u64)> {
    events
        .into_iter()
        .filter_map(|ev| match ev {
            MemEvent::Unmapped { start, len }
            | MemEvent::Protected { start, len, .. }
            | MemEvent::CodeWritten { start, len } => Some((start, len)),
            MemEvent::Mapped { .. } => None,
        })
        .collect()
}

/// What the guest threads of one process share. Each guest thread is a host thread with its
/// own engine (translations, code cache), CPU state, syscall layer and address-space handle;
/// the window, the mappings and the signal actions are shared.
struct Group {
    fe: Arc<dyn Frontend>,
    opts: EngineOptions,
    /// Guest threads running besides the first, and a signal when one ends.
    others: Mutex<usize>,
    ended: Condvar,
    /// Engine statistics of the guest threads that ended (each thread has its own engine).
    ended_stats: Mutex<Stats>,
    /// With statistics on: those of the running threads (the first as 0), by tid, as of
    /// their last syscall (a thread still running when the process ends counts up to there).
    live_stats: Mutex<HashMap<u32, Stats>>,
    /// Where the statistics go (`--stats`, `--stats-json`); only the process that was
    /// started (`first_pid`) reports them, not its forked children.
    print_stats: bool,
    stats_json: Option<PathBuf>,
    first_pid: u32,
    /// A forked child of a thread besides the first: this process has no first thread, so
    /// the last thread to `exit` ends it.
    no_first: bool,
}

impl Group {
    /// The group of a process forked by guest thread `tid` (0: the first), which has only
    /// that thread. Built new rather than shared: the child must not touch this one's locks,
    /// which another thread of the parent may have held at the fork.
    fn for_fork_child(&self, tid: u32) -> Group {
        Group {
            fe: self.fe.clone(),
            opts: self.opts,
            others: Mutex::new(usize::from(tid != 0)),
            ended: Condvar::new(),
            ended_stats: Mutex::new(Stats::default()),
            live_stats: Mutex::new(HashMap::new()),
            print_stats: self.print_stats,
            stats_json: self.stats_json.clone(),
            first_pid: self.first_pid,
            no_first: tid != 0,
        }
    }

    /// Prints or writes the statistics of every guest thread of the process when it ends:
    /// `own` are the calling thread's (`tid`), the others' are those published at their
    /// last syscall and those of the threads that ended. Nothing in a forked child.
    fn report_stats(&self, tid: u32, own: &Stats, syscalls: u64) -> Result<(), String> {
        if !self.opts.stats || std::process::id() != self.first_pid {
            return Ok(());
        }
        let mut stats = own.clone();
        stats += &*self.ended_stats.lock().unwrap_or_else(|e| e.into_inner());
        for (t, s) in self
            .live_stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            if *t != tid {
                stats += s;
            }
        }
        if self.print_stats {
            eprintln!("{stats}");
            eprintln!("  syscalls            {syscalls:>14}");
        }
        if let Some(path) = &self.stats_json {
            let j = stats.to_json();
            let j = format!("{},\"syscalls\":{syscalls}}}\n", j.trim_end_matches('}'));
            std::fs::write(path, j).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// The runner's locks that a forked child may need, held across a host `fork`
/// ([`Syscalls::set_fork_lock`]): the list of engines (the child's address-space changes and
/// new threads use it) and stdout/stderr (reports, `--strace`).
fn fork_lock() -> Box<dyn std::any::Any> {
    Box::new((
        xarch_translator::engine::lock_engines_for_fork(),
        std::io::stdout().lock(),
        std::io::stderr().lock(),
    ))
}

/// Host stack of a guest thread's host thread: the engine's own frames (dispatcher,
/// Cranelift while compiling, helpers) are all that run on it; the guest's stack is in the
/// window.
const THREAD_STACK: usize = 16 << 20;

impl SignalMemory for Space {
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> bool {
        self.0.read(addr, buf).is_ok()
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> bool {
        self.0.write(addr, data).is_ok()
    }
}

/// How the guest ended.
enum Ending {
    Exited(i32),
    /// This guest thread ended (`exit`), with this status.
    ThreadExited(i32),
    /// Die by this signal after the report was printed.
    Signal(i32),
    /// An emulator limit (already reported): exit status 1.
    Limit,
}

/// Runs the subcommand; returns the process exit code.
pub fn main(args: RunArgs) -> i32 {
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("xarch: {msg}");
            1
        }
    }
}

fn run(args: &RunArgs) -> Result<i32, String> {
    let program = PathBuf::from(&args.command[0]);
    let id = xarch_linux::elf_machine(&program).map_err(|e| e.to_string())?;
    let fe: Arc<dyn Frontend> = arches::frontend_for(id.machine, id.is_64bit, id.big_endian).ok_or_else(|| {
        format!(
            "{}: unsupported machine {} (e_machine {}, {}-bit {}-endian): no xarch frontend for it",
            program.display(),
            xarch_linux::loader::machine_name(id.machine),
            id.machine,
            if id.is_64bit { 64 } else { 32 },
            if id.big_endian { "big" } else { "little" }
        )
    })?;
    let abi = fe.abi();

    let mut argv = args.command.clone();
    if let Some(a0) = &args.argv0 {
        argv[0] = a0.clone();
    }
    let envp = guest_env(&args.set_env, &args.unset_env);
    let mut space =
        AddressSpace::for_abi(abi).map_err(|e| format!("cannot reserve guest memory: {e}"))?;
    let execfn = program.to_string_lossy().into_owned();
    let loaded = xarch_linux::loader::load_with_sysroot(
        &mut space,
        abi,
        &program,
        &argv,
        &envp,
        &execfn,
        args.sysroot.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    let _ = space.take_events();

    let mut sys = Syscalls::new(abi, exec_prefix(args));
    sys.set_exe_path(&program);
    sys.set_sysroot(args.sysroot.clone());
    sys.set_strace(args.strace);
    // Guest handlers run where the frontend builds signal frames.
    sys.set_deliver_signals(fe.supports_signals());
    sys.set_threads(true);
    sys.set_fork_lock(fork_lock);

    let show = Show {
        guest: args.show.contains(&View::Guest),
        ir: args.show.contains(&View::Ir),
        clif: args.show.contains(&View::Clif),
        host: args.show.contains(&View::Host),
    };
    let mut opts = EngineOptions {
        stats: args.stats || args.stats_json.is_some(),
        show,
        ..EngineOptions::default()
    };
    if args.interp_only {
        opts.hot_threshold = u32::MAX;
    } else if let Some(n) = args.hot_threshold {
        opts.hot_threshold = n;
    }
    let mut engine = Engine::new(fe.clone(), opts).map_err(|e| e.to_string())?;
    let mut group = Arc::new(Group {
        fe: fe.clone(),
        opts,
        others: Mutex::new(0),
        ended: Condvar::new(),
        ended_stats: Mutex::new(Stats::default()),
        live_stats: Mutex::new(HashMap::new()),
        print_stats: args.stats,
        stats_json: args.stats_json.clone(),
        first_pid: std::process::id(),
        no_first: false,
    });
    let mut state = CpuState::new(fe.state_size());
    fe.init_state(state.bytes_mut(), loaded.entry, loaded.sp);
    let mut space = Space(space);
    // A change to the mappings by one guest thread stops every thread's compiled code, whose
    // dispatcher then drops what went stale (`GuestSpace::take_stale_code`).
    space
        .0
        .set_change_hook(xarch_translator::engine::request_exit_all);
    // Rust's runtime ignores SIGPIPE; a guest (and what it execs) starts with the default
    // action, so that `yes | head -1` ends the writer by SIGPIPE as it does natively.
    // SAFETY: sets a default disposition for a signal the engine does not use.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    // A host signal the guest handles stops compiled code at the next block boundary.
    gsig::set_interrupt_hook(xarch_translator::engine::request_interrupt);

    // A forked child keeps the parent's translations: the engine gives itself a private copy
    // of its code cache on its first entry after a fork (`Engine::run`).
    let mut ending = guest_loop(&mut group, 0, &mut engine, &mut state, &mut space, &mut sys);
    if let Ending::ThreadExited(code) = ending {
        // The first thread left with `exit`: the process lives on until the others end.
        sys.exit_thread(&mut space.0);
        let mut n = group.others.lock().unwrap_or_else(|e| e.into_inner());
        while *n > 0 {
            n = group.ended.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        ending = Ending::Exited(code);
    }

    // Statistics of the process that was started, not of every forked child.
    group.report_stats(0, engine.stats(), sys.count())?;
    match ending {
        Ending::Exited(code) | Ending::ThreadExited(code) => Ok(code & 0xff),
        Ending::Limit => Ok(1),
        Ending::Signal(sig) => Ok(die_by_signal(sig)),
    }
}

/// Starts a guest thread (`clone` with CLONE_THREAD) as a host thread running a copy of the
/// caller's state from after the call, with 0 as its result; returns its tid for the caller,
/// or -EAGAIN when the host cannot start it. The tid words are written before either side
/// runs on (as Linux does before `clone` returns).
fn spawn_thread(
    group: &Arc<Group>,
    state: &CpuState,
    space: &Space,
    sys: &Syscalls,
    req: ThreadRequest,
) -> i64 {
    let fe = &*group.fe;
    let mut child = CpuState::new(fe.state_size());
    child.bytes_mut().copy_from_slice(state.bytes());
    fe.set_syscall_result(child.bytes_mut(), 0);
    if let Some(sp) = req.stack {
        set_stack_pointer(fe, &mut child, sp);
    }
    if let Some(tp) = req.tls {
        fe.set_thread_pointer(child.bytes_mut(), tp);
    }
    let mut child_space = Space(space.0.share());
    let mut child_sys = sys.for_thread();
    let (tx, rx) = std::sync::mpsc::channel::<Result<u32, String>>();
    *group.others.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    let mut g = group.clone();
    let started = std::thread::Builder::new()
        .name("guest".into())
        .stack_size(THREAD_STACK)
        .spawn(move || {
            let mut engine = match Engine::new(g.fe.clone(), g.opts) {
                Ok(e) => e,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            let tid = child_sys.start_thread(&mut child_space.0, &req);
            let _ = tx.send(Ok(tid));
            drop(tx);
            let ending = guest_loop(
                &mut g,
                tid,
                &mut engine,
                &mut child,
                &mut child_space,
                &mut child_sys,
            );
            match ending {
                Ending::ThreadExited(_) => {
                    child_sys.exit_thread(&mut child_space.0);
                    *g.ended_stats.lock().unwrap_or_else(|e| e.into_inner()) += engine.stats();
                    if g.opts.stats {
                        g.live_stats
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&tid);
                    }
                    let mut n = g.others.lock().unwrap_or_else(|e| e.into_inner());
                    *n -= 1;
                    g.ended.notify_all();
                    if g.no_first && *n == 0 {
                        // The last thread of a child forked by a thread besides the first.
                        if let Ending::ThreadExited(code) = ending {
                            exit_now(code & 0xff);
                        }
                    }
                }
                // exit_group, a fatal signal or an emulator limit in any thread ends the
                // whole process, as Linux's exit_group does, with the statistics of all its
                // threads. `_exit`: the first thread may be running `exit` itself (exit(3)
                // is not safe to race); the guest's output went out through its own write
                // calls, xarch buffers none of it.
                end => {
                    if let Err(msg) = g.report_stats(tid, engine.stats(), child_sys.count()) {
                        eprintln!("xarch: {msg}");
                    }
                    match end {
                        Ending::Exited(code) | Ending::ThreadExited(code) => exit_now(code & 0xff),
                        Ending::Limit => exit_now(1),
                        Ending::Signal(sig) => exit_now(die_by_signal(sig)),
                    }
                }
            }
        });
    let tid = match started {
        Ok(_) => rx
            .recv()
            .unwrap_or_else(|_| Err("the thread ended at once".into())),
        Err(e) => Err(e.to_string()),
    };
    match tid {
        Ok(tid) => i64::from(tid),
        Err(msg) => {
            eprintln!("xarch: cannot start a guest thread: {msg}");
            let mut n = group.others.lock().unwrap_or_else(|e| e.into_inner());
            *n -= 1;
            group.ended.notify_all();
            -(libc::EAGAIN as i64)
        }
    }
}

/// Runs the guest thread `tid` (0: the first) until it exits, dies, or hits an emulator
/// limit.
fn guest_loop(
    group: &mut Arc<Group>,
    tid: u32,
    engine: &mut Engine,
    state: &mut CpuState,
    space: &mut Space,
    sys: &mut Syscalls,
) -> Ending {
    let fe_arc = group.fe.clone();
    let fe = &*fe_arc;
    let mut trampoline = None;
    loop {
        match engine.run(state, space) {
            RunExit::Interrupted => {
                if let Err(end) = deliver_signals(fe, state, space, sys, &mut trampoline, None) {
                    return end;
                }
            }
            RunExit::Syscall => {
                let call = fe.syscall_args(state.bytes());
                let sysno = fe.abi().sysno(call.nr);
                if sysno == Some(Sysno::RtSigreturn) {
                    match fe.restore_signal_frame(state.bytes_mut(), space) {
                        Ok(mask) => sys.set_guest_mask(mask),
                        Err(e) => {
                            eprintln!("xarch: guest SIGSEGV: rt_sigreturn: {e}");
                            return Ending::Signal(libc::SIGSEGV);
                        }
                    }
                    if let Err(end) = deliver_signals(fe, state, space, sys, &mut trampoline, None)
                    {
                        return end;
                    }
                    continue;
                }
                if group.opts.stats {
                    group
                        .live_stats
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(tid, engine.stats().clone());
                }
                let out = sys.handle(&mut space.0, call.nr, call.args);
                // A blocking call cut short by a signal the guest handles: the handler's
                // SA_RESTART decides between -EINTR and running the call again.
                let mut interrupted = None;
                match out {
                    SyscallOutcome::Return(v)
                        if v == -(libc::EINTR as i64)
                            && gsig::any_pending()
                            && !sysno.is_some_and(Sysno::never_restarts) =>
                    {
                        interrupted = Some(v);
                    }
                    SyscallOutcome::Return(v) => fe.set_syscall_result(state.bytes_mut(), v),
                    SyscallOutcome::Exit(code) => return Ending::Exited(code),
                    SyscallOutcome::ExitThread(code) => return Ending::ThreadExited(code),
                    SyscallOutcome::NewThread(req) => {
                        let r = spawn_thread(group, state, space, sys, req);
                        fe.set_syscall_result(state.bytes_mut(), r);
                    }
                    SyscallOutcome::SetThreadPointer(tp) => {
                        fe.set_thread_pointer(state.bytes_mut(), tp);
                        fe.set_syscall_result(state.bytes_mut(), 0);
                    }
                    SyscallOutcome::GetThreadPointer(addr) => {
                        let mut w = Vec::new();
                        fe.abi().put_word(&mut w, fe.thread_pointer(state.bytes()));
                        let r = if space.0.write(addr, &w).is_ok() {
                            0
                        } else {
                            -(libc::EFAULT as i64)
                        };
                        fe.set_syscall_result(state.bytes_mut(), r);
                    }
                    SyscallOutcome::Forked {
                        child,
                        ret,
                        stack,
                        tls,
                    } => {
                        fe.set_syscall_result(state.bytes_mut(), ret);
                        if child {
                            // The child's own threads and statistics start here.
                            *group = Arc::new(group.for_fork_child(tid));
                            // A new process starts with no pending signals.
                            let _ = gsig::take_pending();
                            if let Some(sp) = stack {
                                set_stack_pointer(fe, state, sp);
                            }
                            if let Some(tp) = tls {
                                fe.set_thread_pointer(state.bytes_mut(), tp);
                            }
                        }
                    }
                }
                for (start, len) in stale_ranges(space.0.take_events()) {
                    engine.invalidate(start, len);
                }
                if interrupted.is_some() || gsig::any_pending() || sys.has_saved_mask() {
                    if let Err(end) =
                        deliver_signals(fe, state, space, sys, &mut trampoline, interrupted)
                    {
                        return end;
                    }
                }
            }
            RunExit::Trap { kind, pc } => {
                let (bytes, text) = instruction_at(fe, &space.0, pc);
                return match kind {
                    TrapKind::Unimplemented => {
                        eprintln!("xarch: unimplemented instruction at {pc:#x}: {bytes} {text}");
                        Ending::Limit
                    }
                    TrapKind::Undefined => {
                        eprintln!(
                            "xarch: guest SIGILL: undefined instruction at {pc:#x}: {bytes} {text}"
                        );
                        Ending::Signal(libc::SIGILL)
                    }
                    TrapKind::Breakpoint => {
                        eprintln!("xarch: guest SIGTRAP: breakpoint at {pc:#x}: {bytes} {text}");
                        Ending::Signal(libc::SIGTRAP)
                    }
                    TrapKind::DivideError => {
                        eprintln!("xarch: guest SIGFPE: divide error at {pc:#x}: {bytes} {text}");
                        Ending::Signal(libc::SIGFPE)
                    }
                };
            }
            RunExit::FetchFault { pc } => {
                eprintln!(
                    "xarch: guest SIGSEGV: instruction fetch from unmapped or non-executable address {pc:#x}"
                );
                return Ending::Signal(libc::SIGSEGV);
            }
        }
    }
}

/// Moves the guest PC back over the syscall instruction so that the call runs again.
fn rewind_syscall(fe: &dyn Frontend, state: &mut CpuState) {
    let off = fe.pc_offset() as usize;
    let b = state.bytes_mut();
    let pc = u64::from_le_bytes(b[off..off + 8].try_into().expect("8 bytes"));
    let pc = pc.wrapping_sub(fe.syscall_insn_len());
    b[off..off + 8].copy_from_slice(&pc.to_le_bytes());
}

/// The guest address of the frontend's `rt_sigreturn` trampoline, mapped read+exec on first
/// use (the kernel's vDSO `sigtramp` for handlers without SA_RESTORER).
fn sigreturn_trampoline(
    fe: &dyn Frontend,
    space: &mut Space,
    at: &mut Option<u64>,
) -> Result<u64, String> {
    if let Some(a) = *at {
        return Ok(a);
    }
    let code = fe
        .sigreturn_trampoline()
        .ok_or("the handler has no SA_RESTORER and this guest has no sigreturn trampoline")?;
    let addr = space
        .0
        .mmap(MapRequest {
            addr: 0,
            len: 4096,
            prot: Prot::READ | Prot::WRITE,
            fixed: false,
            noreplace: false,
            shared: false,
            file: None,
        })
        .map_err(|e| format!("cannot map the sigreturn trampoline: {e}"))?;
    space
        .0
        .write(addr, code)
        .map_err(|_| "cannot write the sigreturn trampoline".to_string())?;
    space
        .0
        .mprotect(addr, 4096, Prot::READ | Prot::EXEC)
        .map_err(|e| format!("cannot protect the sigreturn trampoline: {e}"))?;
    let _ = space.0.take_events();
    *at = Some(addr);
    Ok(addr)
}

/// Runs the guest handlers of the signals the host recorded: one frame per signal, each on
/// top of the last (as Linux stacks them), with the guest mask widened by each action.
/// `interrupted` is the -EINTR of a syscall that the first handler's SA_RESTART restarts;
/// with no handler run at all, the call restarts.
fn deliver_signals(
    fe: &dyn Frontend,
    state: &mut CpuState,
    space: &mut Space,
    sys: &mut Syscalls,
    trampoline: &mut Option<u64>,
    mut interrupted: Option<i64>,
) -> Result<(), Ending> {
    let bits = gsig::take_pending();
    // After rt_sigsuspend/ppoll/pselect6/epoll_pwait: the first frame saves the call's
    // original mask, not the temporary one it is delivered under.
    let mut saved = sys.take_saved_mask();
    for sig in 1..=64u32 {
        let bit = 1u64 << (sig - 1);
        if bits & bit == 0 {
            continue;
        }
        let act = sys.guest_action(sig);
        let mask = sys.guest_mask();
        if !act.is_handler() || mask & bit != 0 {
            // The guest dropped its handler since (the host action applies now), or an
            // earlier frame of this round blocks it (it waits in the host kernel).
            if gsig::is_engine_fault_signal(sig) {
                gsig::give_back_sent_fault(sig, &act, mask & bit != 0);
            } else {
                gsig::raise_on_host(sig);
            }
            continue;
        }
        if let Some(v) = interrupted.take() {
            if act.flags & gsig::SA_RESTART != 0 && fe.syscall_insn_len() != 0 {
                rewind_syscall(fe, state);
            } else {
                fe.set_syscall_result(state.bytes_mut(), v);
            }
        }
        let restorer = if act.flags & gsig::SA_RESTORER != 0 && act.restorer != 0 {
            act.restorer
        } else {
            match sigreturn_trampoline(fe, space, trampoline) {
                Ok(a) => a,
                Err(msg) => {
                    eprintln!("xarch: guest signal {sig}: {msg}");
                    return Err(Ending::Signal(sig as i32));
                }
            }
        };
        let info = gsig::info_of(sig);
        let frame = SignalFrame {
            sig,
            info: &info,
            handler: act.handler,
            flags: act.flags,
            restorer,
            mask: saved.take().unwrap_or(mask),
        };
        match fe.setup_signal_frame(state.bytes_mut(), space, &frame) {
            Ok(()) => {}
            Err(e @ SignalError::Unsupported) => {
                eprintln!("xarch: guest signal {sig}: {e}");
                return Err(Ending::Signal(sig as i32));
            }
            Err(e) => {
                eprintln!("xarch: guest SIGSEGV: cannot deliver signal {sig}: {e}");
                return Err(Ending::Signal(libc::SIGSEGV));
            }
        }
        let mut new_mask = mask | act.mask;
        if act.flags & gsig::SA_NODEFER == 0 {
            new_mask |= bit;
        }
        sys.set_guest_mask(new_mask);
        if act.flags & gsig::SA_RESETHAND != 0 {
            sys.reset_to_default(sig);
        }
    }
    if let Some(m) = saved {
        // No handler ran: the temporary mask ends here.
        sys.set_guest_mask(m);
    }
    if interrupted.is_some() && fe.syscall_insn_len() != 0 {
        // No handler ran (the signal's action changed): Linux restarts the call.
        rewind_syscall(fe, state);
    } else if let Some(v) = interrupted {
        fe.set_syscall_result(state.bytes_mut(), v);
    }
    Ok(())
}

/// The instruction bytes (hex) and disassembly at `pc`, for reports.
fn instruction_at(fe: &dyn Frontend, space: &AddressSpace, pc: u64) -> (String, String) {
    let mut n = fe.max_insn_bytes();
    let mut buf = vec![0u8; n];
    // A variable-length instruction near the end of a mapping: take what can be read.
    while n > 0 && !space.read_code(pc, &mut buf[..n]) {
        n -= 1;
    }
    if n == 0 {
        return ("??".into(), "<unreadable>".into());
    }
    buf.truncate(n);
    if let Some(len) = fe.insn_len(&buf) {
        buf.truncate(len.max(1));
    }
    let text = fe.disassemble(pc, &buf);
    let hex: Vec<String> = buf.iter().map(|b| format!("{b:02x}")).collect();
    (hex.join(" "), text)
}

/// Sets the guest stack pointer (clone with a new stack). The `Frontend` trait has no setter,
/// so the field is found by probing `init_state` with two stack values.
fn set_stack_pointer(fe: &dyn Frontend, state: &mut CpuState, sp: u64) {
    const PROBE: u64 = 0x0123_4567_89ab_cdef;
    let n = fe.state_size();
    let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
    fe.init_state(&mut a, 0, 0);
    fe.init_state(&mut b, 0, PROBE);
    if let Some(off) = (0..n.saturating_sub(7))
        .find(|&i| b[i..i + 8] == PROBE.to_le_bytes() && a[i..i + 8] == [0; 8])
    {
        state.bytes_mut()[off..off + 8].copy_from_slice(&sp.to_le_bytes());
    }
}

/// The guest's environment: xarch's own, with `-U` removals and `-E` settings applied.
fn guest_env(set: &[String], unset: &[String]) -> Vec<OsString> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| !unset.iter().any(|u| k == u.as_str()))
        .collect();
    for kv in set {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        env.retain(|(ek, _)| ek != k);
        env.push((k.into(), v.into()));
    }
    env.into_iter()
        .map(|(k, v)| {
            let mut b = k.into_vec();
            b.push(b'=');
            b.extend(v.into_vec());
            OsString::from_vec(b)
        })
        .collect()
}

/// How a guest `execve` of another guest program re-runs xarch with the same options (the
/// Linux layer appends `--argv0 A -- PROGRAM ARGS`).
fn exec_prefix(args: &RunArgs) -> Vec<OsString> {
    let mut v: Vec<OsString> = vec!["/proc/self/exe".into(), "run".into()];
    if let Some(root) = &args.sysroot {
        v.push("-L".into());
        v.push(root.into());
    }
    if args.strace {
        v.push("--strace".into());
    }
    if args.interp_only {
        v.push("--interp-only".into());
    }
    if let Some(n) = args.hot_threshold {
        v.push("--hot-threshold".into());
        v.push(n.to_string().into());
    }
    v
}

/// Ends the process at once with `code`, from any guest thread.
fn exit_now(code: i32) -> ! {
    // SAFETY: _exit(2) ends the process without running anything else.
    unsafe { libc::_exit(code) }
}

/// Kills this process with `sig` (default action, no core file) so that the parent sees the
/// guest's death; returns 128+sig if the signal somehow does not kill.
fn die_by_signal(sig: i32) -> i32 {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // SAFETY: resets the signal to its default action, unblocks it, disables core files and
    // raises it; nothing here touches Rust-managed memory.
    unsafe {
        let rl = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &rl);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    128 + sig
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn single_dash_strace_is_rewritten_before_the_program_only() {
        assert_eq!(
            rewrite_args(os(&["xarch", "run", "-strace", "prog"])),
            os(&["xarch", "run", "--strace", "prog"])
        );
        assert_eq!(
            rewrite_args(os(&["xarch", "run", "-L", "/r", "-strace", "p", "-strace"])),
            os(&["xarch", "run", "-L", "/r", "--strace", "p", "-strace"])
        );
        // A value that happens to be "-strace" is left alone, as are the program's arguments.
        assert_eq!(
            rewrite_args(os(&["xarch", "run", "-E", "-strace", "p"])),
            os(&["xarch", "run", "-E", "-strace", "p"])
        );
        assert_eq!(
            rewrite_args(os(&["xarch", "run", "--", "-strace"])),
            os(&["xarch", "run", "--", "-strace"])
        );
        assert_eq!(
            rewrite_args(os(&["xarch", "kvm", "p", "run", "-strace"])),
            os(&["xarch", "kvm", "p", "run", "-strace"])
        );
    }

    #[test]
    fn environment_edits() {
        // SAFETY: test-only; this test is the only one in the binary touching this variable.
        unsafe { std::env::set_var("XARCH_TEST_ENV_A", "1") };
        let env = guest_env(
            &["XARCH_TEST_ENV_B=x=y".into()],
            &["XARCH_TEST_ENV_A".into()],
        );
        assert!(
            env.iter()
                .all(|e| !e.as_bytes().starts_with(b"XARCH_TEST_ENV_A="))
        );
        assert!(env.contains(&OsString::from("XARCH_TEST_ENV_B=x=y")));
    }
}
