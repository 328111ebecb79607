//! Host faults while guest code runs: a SIGSEGV or SIGBUS whose address lies in the guest
//! window is a guest fault; anything else belongs to whoever handled the signal before us.
//!
//! ```text
//!   host fault ─► handler ─► in the window and this thread runs guest code?
//!                   │ yes: guest PC (JIT: host PC → source location; interpreter: CURRENT_PC)
//!                   │      report "xarch: guest SIGSEGV at pc … (disassembly) accessing …",
//!                   │      restore the default action, return: the access faults again and
//!                   │      the process dies by the signal (parent sees 128+11)
//!                   └ no:  restore the previous action and return (re-raised there)
//! ```
//!
//! A fault on a guest page the engine write-protected because it translated code there (see
//! `Engine::lift`) is a guest write to its own code: the handler makes the page writable again,
//! queues it in `CODE_WRITES` and raises the JIT's exit request; the store is retried and
//! succeeds, and the dispatcher drops that page's translations before the next block runs.
//! With guest threads (one engine each) the page may hold another thread's translations
//! only: the process-wide marks in `GuestMemory` say so, and the address space's change log
//! plus `request_exit_all` make every engine drop that page's translations.
//!
//! Guest signal handlers run for asynchronous signals only (`request_interrupt`, called by
//! the Linux layer's host handler, makes `Engine::run` return `RunExit::Interrupted`). A guest
//! fault stays fatal even when the guest installed a SIGSEGV handler: compiled code holds
//! guest registers in host registers, so the state at the fault is not exact, and leaving the
//! host handler for the run loop would need a longjmp out of JIT frames.

use crate::engine::Engine;
use crate::interp::CURRENT_PC;
use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use xarch_linux::mem::GuestMemory;

thread_local! {
    /// The engine running guest code on this thread, or null. Const-initialised Cells: safe
    /// to read from a signal handler on the same thread.
    static ACTIVE: Cell<*const Engine> = const { Cell::new(std::ptr::null()) };
    static WINDOW: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// The guest memory of the running engine (for its process-wide code-page marks).
    static MEM: Cell<*const GuestMemory> = const { Cell::new(std::ptr::null()) };
    /// Set by [`request_interrupt`] on this thread (a host signal the guest handles arrived
    /// here); taken by `Engine::run`, which then returns `RunExit::Interrupted`.
    static INTERRUPT: AtomicBool = const { AtomicBool::new(false) };
    /// Guest pages written since the dispatcher last looked (`CODE_WRITES_MAX` at most;
    /// more sets the overflow count past it and the dispatcher drops every translation).
    static CODE_WRITES: Cell<([u64; CODE_WRITES_MAX], usize)> = const { Cell::new(([0; CODE_WRITES_MAX], 0)) };
}

const CODE_WRITES_MAX: usize = 16;

/// The guest code pages written since the last call: `Some(pages)`, or `None` if too many
/// to list (drop every translation).
pub(crate) fn take_code_writes() -> Option<Vec<u64>> {
    let (pages, n) = CODE_WRITES.with(|c| c.replace(([0; CODE_WRITES_MAX], 0)));
    if n > CODE_WRITES_MAX {
        None
    } else {
        Some(pages[..n].to_vec())
    }
}

/// Asks the engine running guest code on this thread (if any) to return to its caller with
/// `RunExit::Interrupted` at the next block boundary; if none runs, the next `Engine::run`
/// returns at once. Async-signal-safe: an atomic store, a thread-local `Cell` read and a
/// plain store to the live JIT context.
pub fn request_interrupt() {
    INTERRUPT.with(|i| i.store(true, Ordering::SeqCst));
    let engine = ACTIVE.with(|a| a.get());
    if !engine.is_null() {
        // SAFETY: ACTIVE is non-null only while that engine's `run` is on this thread's
        // stack, so the engine and its JIT context are alive; the field is a plain word
        // compiled code polls at block entry.
        unsafe { crate::jit::request_exit((*engine).jit().ctx_ptr()) };
    }
}

/// Takes a pending interrupt request.
pub(crate) fn take_interrupt() -> bool {
    INTERRUPT.with(|i| i.swap(false, Ordering::SeqCst))
}

static INSTALL: Once = Once::new();
static mut OLD_SEGV: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::zeroed();
static mut OLD_BUS: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::zeroed();

/// Marks this thread as running guest code for the life of the guard.
pub(crate) struct RunGuard {
    prev: *const Engine,
    prev_window: (usize, usize),
    prev_mem: *const GuestMemory,
}

impl RunGuard {
    pub(crate) fn enter(engine: &Engine, mem: &GuestMemory) -> RunGuard {
        install();
        let prev = ACTIVE.with(|a| a.replace(engine));
        let prev_window = WINDOW.with(|w| w.replace((mem.base() as usize, mem.span() as usize)));
        let prev_mem = MEM.with(|m| m.replace(mem));
        RunGuard {
            prev,
            prev_window,
            prev_mem,
        }
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(self.prev));
        WINDOW.with(|w| w.set(self.prev_window));
        MEM.with(|m| m.set(self.prev_mem));
    }
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: installs a handler with SA_SIGINFO; the old actions are saved in statics
        // written only here, once, before any handler can read them.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = handler as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGSEGV, &sa, (&raw mut OLD_SEGV).cast());
            libc::sigaction(libc::SIGBUS, &sa, (&raw mut OLD_BUS).cast());
        }
    });
}

/// Host PC of the interrupted code.
///
/// # Safety
/// `uc` must be the `ucontext_t` the kernel passed to a SA_SIGINFO handler.
unsafe fn host_pc(uc: *mut libc::c_void) -> usize {
    // SAFETY: per the contract, a valid ucontext on x86-64 Linux.
    unsafe { (*(uc as *const libc::ucontext_t)).uc_mcontext.gregs[libc::REG_RIP as usize] as usize }
}

/// Reads our own memory without faulting (the guest code may be gone).
fn read_own(addr: usize, buf: &mut [u8]) -> bool {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: process_vm_readv on our own pid copies into `buf` and reports unreadable
    // source memory as an error instead of faulting.
    let n = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
    n == buf.len() as isize
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to a SA_SIGINFO handler.
    if unsafe { (*info).si_code } <= 0 {
        // Sent by a process (kill, tgkill, sigqueue), not a fault: the guest's action
        // applies, through the run loop, like any other signal.
        xarch_linux::signal::record_sent(sig, info);
        return;
    }
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers of fault signals.
    let addr = unsafe { (*info).si_addr() } as usize;
    let engine = ACTIVE.with(|a| a.get());
    let (base, size) = WINDOW.with(|w| w.get());
    let in_window = !engine.is_null() && addr >= base && addr < base + size;
    if !in_window {
        // Not a guest fault: give the signal back to whoever had it (Rust's stack-overflow
        // handler, or the default action) by restoring that action and faulting again.
        let old = if sig == libc::SIGBUS {
            &raw const OLD_BUS
        } else {
            &raw const OLD_SEGV
        };
        // SAFETY: the old actions were saved by `install` before this handler was set.
        unsafe { libc::sigaction(sig, old.cast(), std::ptr::null_mut()) };
        if !engine.is_null() {
            let msg = format!(
                "xarch: internal error: host fault at {addr:#x} outside the guest window while running guest code\n"
            );
            // SAFETY: write(2) of a local buffer is async-signal-safe.
            unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
            // SAFETY: abort is async-signal-safe.
            unsafe { libc::abort() };
        }
        return;
    }
    // SAFETY: ACTIVE is set only while `Engine::run` of that engine is on this thread's
    // stack; the engine is not being mutated while guest code (interpreted or compiled) runs.
    let engine = unsafe { &*engine };
    let guest = (addr - base) as u64;
    let page = guest & !0xfff;
    let mem = MEM.with(|m| m.get());
    // The page may hold another guest thread's translations only: the marks in the guest
    // memory are the process-wide record (this engine's own set covers test spaces).
    // SAFETY: MEM is set with ACTIVE, to the memory of the space `Engine::run` borrows.
    let marked = !mem.is_null() && unsafe { (*mem).is_code_page(page) };
    if engine.is_code_page(page) || marked {
        // A guest write to a page of translated code (reads of it never fault: code pages
        // stay readable). Make it writable, queue it for the dispatcher, stop compiled code.
        // SAFETY: mprotect of one page inside the window, which the guest mapped writable
        // (only writable pages are code-protected); the JIT context is live while ACTIVE is.
        unsafe {
            libc::mprotect(
                (base + page as usize) as *mut libc::c_void,
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
            );
            crate::jit::request_exit(engine.jit().ctx_ptr());
        }
        CODE_WRITES.with(|c| {
            let (mut pages, n) = c.get();
            if n < CODE_WRITES_MAX {
                pages[n] = page;
            }
            c.set((pages, n + 1));
        });
        return;
    }
    // SAFETY: `uc` is the ucontext of this SA_SIGINFO handler.
    let hpc = unsafe { host_pc(uc) };
    let jit = engine.jit();
    // SAFETY: the JIT context is live while the engine is ACTIVE; plain reads.
    let (in_jit, helper_pc) = unsafe { ((*jit.ctx_ptr()).in_jit, (*jit.ctx_ptr()).helper_pc) };
    let guest_pc = if jit.owns(hpc) {
        jit.guest_pc_of(hpc).unwrap_or(0)
    } else if in_jit != 0 {
        // In a helper called from compiled code.
        helper_pc
    } else {
        CURRENT_PC.with(|c| c.get())
    };
    let fe = engine.frontend();
    let mut bytes = vec![0u8; fe.max_insn_bytes()];
    let mask = (size as u64).wrapping_sub(1);
    let mut n = bytes.len();
    // An instruction near the end of a mapping: retry with fewer bytes.
    while n > 0 && !read_own(base + (guest_pc & mask) as usize, &mut bytes[..n]) {
        n -= 1;
    }
    let text = if n > 0 {
        fe.disassemble(guest_pc, &bytes[..n])
    } else {
        "code unreadable".to_string()
    };
    let name = if sig == libc::SIGBUS {
        "SIGBUS"
    } else {
        "SIGSEGV"
    };
    let msg = format!(
        "xarch: guest {name} at pc {guest_pc:#x} ({text}) accessing {:#x}\n",
        addr - base
    );
    // SAFETY: write(2) of a local buffer; then the default action, so that the faulting
    // access, executed again on return, kills the process by this signal.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::signal(sig, libc::SIG_DFL);
    }
}
