//! The engine: block cache, tiers and dispatch.
//!
//! ```text
//!   run(state, space) ─► PC ─► cache lookup ──miss──► Frontend::lift ─► opt ─► cache
//!                              │ hit
//!                              ├─ cold: interp::run_block, count ──(≥ hot_threshold)──► jit::compile
//!                              │        of the block and the warm blocks on loops through it
//!                              └─ hot:  jit::enter (chained regions run until an exit only the
//!                                       dispatcher or the caller can serve)
//!   ◄─ RunExit::Syscall / Trap / FetchFault
//! ```
//!
//! The engine returns to its caller for everything it cannot do itself: system calls, traps
//! and instruction-fetch faults. The caller (the Linux layer) serves them and calls `run` again.

use crate::frontend::{CodeMemory, Frontend, LiftError};
use crate::interp::{self, BlockExit, MemWindow};
use crate::ir::{self, Op, TrapKind};
use crate::jit::{self, Jit};
use crate::opt;
use crate::stats::Stats;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;
use thiserror::Error;
use xarch_linux::mem::GuestMemory;

/// Hashing of guest PCs for the block cache: one multiply (SipHash costs more than a small
/// block's interpretation step).
#[derive(Clone, Copy, Default)]
pub(crate) struct PcHash;

impl std::hash::BuildHasher for PcHash {
    type Hasher = PcHasher;
    fn build_hasher(&self) -> PcHasher {
        PcHasher(0)
    }
}

pub(crate) struct PcHasher(u64);

impl std::hash::Hasher for PcHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
}

/// Guest page size for code-page protection.
const PAGE: u64 = 4096;

/// What the engine needs from a guest address space: the memory window and permission-checked
/// instruction fetch. `xarch_linux::AddressSpace` implements it; tests use [`FlatSpace`].
pub trait GuestSpace: CodeMemory {
    fn mem(&self) -> &GuestMemory;

    /// Write-protects the host page at guest `page` because code there was translated; true
    /// if it is now protected (a guest write to it then faults and reaches the engine). The
    /// default protects nothing: self-modifying code is then not noticed.
    fn protect_code_page(&mut self, _page: u64) -> bool {
        false
    }

    /// Restores write access to protected code pages in `[addr, addr + len)` after the guest
    /// wrote to one.
    fn unprotect_code_range(&mut self, _addr: u64, _len: u64) {}

    /// Guest ranges whose translations went stale since the last call because another guest
    /// thread changed them (unmapped, reprotected, wrote code there). The engine asks at
    /// each exit request, which [`crate::jit::request_exit_all`] raises after such a change.
    fn take_stale_code(&mut self) -> Vec<(u64, u64)> {
        Vec::new()
    }
}

impl CodeMemory for xarch_linux::AddressSpace {
    fn read_code(&self, addr: u64, buf: &mut [u8]) -> bool {
        xarch_linux::AddressSpace::read_code(self, addr, buf)
    }
}

impl GuestSpace for xarch_linux::AddressSpace {
    fn mem(&self) -> &GuestMemory {
        xarch_linux::AddressSpace::mem(self)
    }

    fn protect_code_page(&mut self, page: u64) -> bool {
        xarch_linux::AddressSpace::protect_code_page(self, page)
    }

    fn unprotect_code_range(&mut self, addr: u64, len: u64) {
        xarch_linux::AddressSpace::unprotect_code_range(self, addr, len);
    }
}

/// A guest window whose code is read from a fixed list of executable ranges (for tests and
/// tools that map memory themselves).
pub struct FlatSpace {
    pub mem: GuestMemory,
    /// `[start, end)` ranges readable as code; they must be mapped readable in `mem`.
    pub code: Vec<(u64, u64)>,
}

impl CodeMemory for FlatSpace {
    fn read_code(&self, addr: u64, buf: &mut [u8]) -> bool {
        let end = addr.saturating_add(buf.len() as u64);
        if !self.code.iter().any(|&(s, e)| addr >= s && end <= e) {
            return false;
        }
        let p = self.mem.host(xarch_linux::mem::GuestAddr(addr));
        if !self.mem.contains_host(p as usize, buf.len()) {
            return false;
        }
        // SAFETY: the range is inside the window and listed as mapped code by the owner.
        unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), buf.len()) };
        true
    }
}

impl GuestSpace for FlatSpace {
    fn mem(&self) -> &GuestMemory {
        &self.mem
    }
}

/// A guest CPU state: the arch's `#[repr(C)]` struct as bytes, 16-byte aligned, zeroed.
pub struct CpuState {
    words: Vec<u128>,
    size: usize,
}

impl CpuState {
    pub fn new(size: usize) -> CpuState {
        CpuState {
            words: vec![0; size.div_ceil(16)],
            size,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `words` holds at least `size` initialised bytes; u8 has no alignment needs.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast(), self.size) }
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, and `&mut self` gives exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast(), self.size) }
    }
}

/// Teaching views: what to print to stderr for each block as it is lifted or compiled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Show {
    /// Guest disassembly of each lifted block.
    pub guest: bool,
    /// The IR of each lifted block (after the optimisation passes).
    pub ir: bool,
    /// The Cranelift IR of each compiled block.
    pub clif: bool,
    /// The host disassembly of each compiled block.
    pub host: bool,
}

/// How the engine runs.
#[derive(Clone, Copy, Debug)]
pub struct EngineOptions {
    /// Runs of a block in the interpreter before it is compiled; 0 compiles at once,
    /// `u32::MAX` never compiles (interpreter only).
    pub hot_threshold: u32,
    /// Run the IR verifier on every lifted block (and Cranelift's verifier on every function).
    pub verify_ir: bool,
    /// Count statistics (costs a little in compiled code).
    pub stats: bool,
    pub show: Show,
}

impl Default for EngineOptions {
    /// Threshold 50. Measured (examples/engine_costs.rs, AArch64 workloads, loaded 2-core
    /// machine): compiling costs 35–55 µs for a 1–5 instruction block and 5–10 µs per guest
    /// instruction beyond; the interpreter runs ~35 ns per guest instruction, compiled code
    /// a few ns per block. A 5-instruction block repays its compilation after a few hundred
    /// runs; a lower threshold compiles some blocks that never repay, a higher one keeps hot
    /// loops longer in the interpreter. On the workloads, 10–1000 differ by less than the
    /// noise (about ±20 %); 50 keeps start-up cheap for short programs (busybox applets).
    fn default() -> Self {
        EngineOptions {
            hot_threshold: 50,
            verify_ir: false,
            stats: false,
            show: Show::default(),
        }
    }
}

/// Why the engine could not start.
#[derive(Debug, Error)]
pub enum EngineError {
    /// The host is not one Cranelift can generate code for.
    #[error("cannot set up the code generator for this host: {0}")]
    Host(String),
    /// The executable code cache could not be mapped.
    #[error("cannot map the code cache: {0}")]
    CodeCache(std::io::Error),
}

pub use crate::jit::request_exit_all;

/// Locks the process's list of engines (which [`request_exit_all`] walks and every new or
/// dropped engine changes) until the guard drops. A runner holds it across a host `fork`
/// from a threaded guest, so that the child, which has only the forking thread, does not
/// inherit it locked by another thread.
pub fn lock_engines_for_fork() -> impl Sized + 'static {
    crate::jit::lock_contexts()
}
pub use crate::signals::request_interrupt;

/// Why [`Engine::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunExit {
    /// A system call; the guest PC is already the next instruction.
    Syscall,
    /// The instruction at `pc` traps (the guest PC is `pc`).
    Trap { kind: TrapKind, pc: u64 },
    /// The code at `pc` cannot be fetched (unmapped or not executable): a guest SIGSEGV.
    FetchFault { pc: u64 },
    /// [`crate::signals::request_interrupt`] was called (a host signal for the guest
    /// arrived); the state is exact at a block boundary, the guest PC is the next block.
    Interrupted,
}

/// One cached translation.
pub(crate) struct BlockEntry {
    pub block: ir::Block,
    pub runs: u32,
    /// Compiled code, once hot.
    pub code: Option<jit::CodeRef>,
    /// Compilation failed (an op the lowering does not support): stays in tier 0.
    pub no_jit: bool,
    /// The other blocks compiled into `code` (guest PC, bytes): dropping any of them drops
    /// the code too.
    pub region: Vec<(u64, u32)>,
}

/// True if the guest code `[p, p + bytes)` overlaps `[start, end)`.
fn hits(p: u64, bytes: u32, start: u64, end: u64) -> bool {
    p < end && p.saturating_add(bytes.max(1) as u64) > start
}

/// `XARCH_NO_REGIONS=1` compiles every block alone (for measuring what regions gain).
static NO_REGIONS: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("XARCH_NO_REGIONS").is_some_and(|v| v != "0"));

/// Most blocks, and guest instructions, compiled into one region.
const REGION_BLOCKS: usize = 16;
const REGION_INSNS: u32 = 400;

/// The DBT engine for one guest thread.
pub struct Engine {
    frontend: Arc<dyn Frontend>,
    opts: EngineOptions,
    blocks: HashMap<u64, BlockEntry, PcHash>,
    jit: Jit,
    stats: Stats,
    pc_offset: u32,
    /// Guest pages (4 KiB) with translations that the address space write-protected for us.
    code_pages: HashSet<u64>,
    /// Bounds of the guest code ever lifted (`[lo, hi)`; empty while `lo >= hi`): a change
    /// outside them drops nothing. Other threads' mapping changes reach every engine (a
    /// thread that maps and unmaps data in a loop), which must not each cost a walk of all
    /// blocks.
    code_lo: u64,
    code_hi: u64,
    /// The interpreter's value buffer, reused across blocks.
    scratch: Vec<u128>,
}

impl Engine {
    pub fn new(frontend: Arc<dyn Frontend>, opts: EngineOptions) -> Result<Engine, EngineError> {
        let jit = Jit::new(&opts)?;
        let pc_offset = frontend.pc_offset();
        Ok(Engine {
            frontend,
            opts,
            blocks: HashMap::default(),
            jit,
            stats: Stats::default(),
            pc_offset,
            code_pages: HashSet::new(),
            code_lo: u64::MAX,
            code_hi: 0,
            scratch: Vec::new(),
        })
    }

    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Runs guest code from the PC in `state` until something only the caller can handle.
    pub fn run<S: GuestSpace>(&mut self, state: &mut CpuState, space: &mut S) -> RunExit {
        // Compiled code trusts the frontend's state layout: the state must be that big.
        assert!(
            state.bytes().len() >= self.frontend.state_size(),
            "CPU state of {} bytes for a frontend whose state has {}",
            state.bytes().len(),
            self.frontend.state_size()
        );
        if let Err(e) = self.jit.check_fork() {
            eprintln!(
                "xarch: cannot copy the code cache after fork ({e}); interpreting from now on"
            );
            self.invalidate_all();
        }
        let window = MemWindow::of(space.mem());
        let _guard = crate::signals::RunGuard::enter(self, space.mem());
        // A request raised before the guard was set found no engine to stop: look once here.
        if crate::signals::take_interrupt() {
            return RunExit::Interrupted;
        }
        loop {
            if self.jit.exit_requested() {
                self.jit.clear_exit_request();
                self.code_written(space);
                for (start, len) in space.take_stale_code() {
                    self.invalidate(start, len);
                }
                if crate::signals::take_interrupt() {
                    return RunExit::Interrupted;
                }
            }
            let pc = self.pc(state);
            let mut entry = match self.blocks.get_mut(&pc) {
                Some(e) => e,
                None => {
                    match self.lift(pc, space) {
                        Ok(()) => {}
                        Err(LiftError::FetchFault { pc }) => return RunExit::FetchFault { pc },
                    }
                    self.blocks.get_mut(&pc).expect("lifted above")
                }
            };
            if entry.code.is_none() && !entry.no_jit && entry.runs >= self.opts.hot_threshold {
                self.compile(pc);
                entry = self.blocks.get_mut(&pc).expect("still cached");
            }
            let exit = if let Some(code) = entry.code {
                self.stats.dispatch_jit += 1;
                let r = self.jit.enter(code, state.bytes_mut(), window);
                self.jit.drain_stats(&mut self.stats);
                match r {
                    jit::JitExit::Dispatch => continue,
                    jit::JitExit::Patch { slot } => {
                        // A direct exit whose target was not compiled yet: compile it if hot,
                        // then patch the exit's slot so the next run chains straight through.
                        let target = self.pc(state);
                        if let Some(t) = self.blocks.get(&target).and_then(|e| e.code) {
                            self.jit.patch(slot, target, t);
                            self.stats.chain_patches += 1;
                        }
                        continue;
                    }
                    jit::JitExit::Indirect => {
                        let target = self.pc(state);
                        if let Some(t) = self.blocks.get(&target).and_then(|e| e.code) {
                            self.jit.cache_indirect(target, t);
                        }
                        continue;
                    }
                    jit::JitExit::Syscall => return RunExit::Syscall,
                    jit::JitExit::Trap { kind, pc } => return RunExit::Trap { kind, pc },
                }
            } else {
                entry.runs = entry.runs.saturating_add(1);
                self.stats.interp_blocks += 1;
                self.stats.interp_insns += entry.block.guest_insns as u64;
                // SAFETY: the window belongs to `space`, alive for this call; the block was
                // verified at lift time when `verify_ir` is set, and frontends' tests verify all.
                unsafe {
                    interp::run_block_with(
                        &entry.block,
                        state.bytes_mut(),
                        window,
                        self.pc_offset,
                        &mut self.scratch,
                    )
                }
            };
            match exit {
                BlockExit::Jump(_) | BlockExit::Indirect(_) => {}
                BlockExit::Syscall(_) => return RunExit::Syscall,
                BlockExit::Trap(kind, pc) => return RunExit::Trap { kind, pc },
            }
        }
    }

    /// Drops translations overlapping `[start, start + len)` (munmap, mprotect, execve, code
    /// writes).
    pub fn invalidate(&mut self, start: u64, len: u64) {
        let end = start.saturating_add(len);
        // The address space dropped its protection of these pages (unmap, mprotect, write).
        self.code_pages
            .retain(|&p| p.saturating_add(PAGE) <= start || p >= end);
        if end <= self.code_lo || start >= self.code_hi {
            return;
        }
        let dead: HashSet<u64> = self
            .blocks
            .iter()
            .filter(|(pc, e)| hits(**pc, e.block.guest_bytes, start, end))
            .map(|(pc, _)| *pc)
            .collect();
        // Regions that hold a dropped block lose their code; their own block stays lifted.
        let stale: Vec<u64> = self
            .blocks
            .iter()
            .filter(|(pc, e)| {
                !dead.contains(pc) && e.region.iter().any(|&(p, n)| hits(p, n, start, end))
            })
            .map(|(pc, _)| *pc)
            .collect();
        for pc in stale {
            let e = self.blocks.get_mut(&pc).expect("listed above");
            e.region.clear();
            e.runs = 0;
            if let Some(code) = e.code.take() {
                self.jit.unlink(pc, code);
            }
        }
        for pc in dead {
            if let Some(e) = self.blocks.remove(&pc) {
                self.stats.invalidated += 1;
                if let Some(code) = e.code {
                    self.jit.unlink(pc, code);
                }
            }
        }
    }

    /// Drops every translation.
    pub fn invalidate_all(&mut self) {
        self.invalidate(0, u64::MAX);
    }

    fn pc(&self, state: &CpuState) -> u64 {
        let o = self.pc_offset as usize;
        u64::from_le_bytes(state.bytes()[o..o + 8].try_into().expect("8 bytes"))
    }

    /// Drops the translations of code pages the guest wrote to (queued by the fault handler).
    fn code_written<S: GuestSpace>(&mut self, space: &mut S) {
        match crate::signals::take_code_writes() {
            Some(pages) => {
                for page in pages {
                    space.unprotect_code_range(page, PAGE);
                    self.invalidate(page, PAGE);
                }
            }
            None => {
                let pages: Vec<u64> = self.code_pages.iter().copied().collect();
                for page in pages {
                    space.unprotect_code_range(page, PAGE);
                }
                self.invalidate_all();
            }
        }
    }

    /// True if the guest page at `page` holds translated code and is write-protected.
    pub(crate) fn is_code_page(&self, page: u64) -> bool {
        self.code_pages.contains(&page)
    }

    fn lift<S: GuestSpace>(&mut self, pc: u64, space: &mut S) -> Result<(), LiftError> {
        let code: &dyn CodeMemory = &*space;
        let mut block = self.frontend.lift(pc, code)?;
        self.stats.blocks_lifted += 1;
        if self.opts.show.guest {
            eprint!("{}", self.guest_listing(&block, code));
        }
        let need = crate::testing::state_bytes_needed(&block, self.pc_offset);
        if need > self.frontend.state_size() {
            // A frontend bug that compiled code would turn into writes past the state.
            eprintln!(
                "xarch: block {pc:#x} uses {need} bytes of CPU state, the frontend declares {}",
                self.frontend.state_size()
            );
            block = ir::Builder::new(pc).finish(
                ir::Exit::Trap {
                    kind: TrapKind::Unimplemented,
                    pc,
                },
                pc,
            );
        } else if self.opts.verify_ir
            && let Err(e) = ir::verify(&block)
        {
            // A frontend bug: run nothing of it, trap as unimplemented at the block start.
            eprintln!("xarch: {e}");
            block = ir::Builder::new(pc).finish(
                ir::Exit::Trap {
                    kind: TrapKind::Unimplemented,
                    pc,
                },
                pc,
            );
        }
        opt::optimize(&mut block);
        if self.opts.show.ir {
            eprint!("{block}");
        }
        self.blocks.insert(
            pc,
            BlockEntry {
                block,
                runs: 0,
                code: None,
                no_jit: false,
                region: Vec::new(),
            },
        );
        let bytes = self.blocks[&pc].block.guest_bytes.max(1) as u64;
        self.code_lo = self.code_lo.min(pc);
        self.code_hi = self.code_hi.max(pc.saturating_add(bytes));
        // Write-protect the block's pages so that a guest write to them reaches us.
        let last = pc.wrapping_add(self.blocks[&pc].block.guest_bytes.saturating_sub(1) as u64);
        let mut page = pc & !(PAGE - 1);
        while page <= (last & !(PAGE - 1)) {
            if !self.code_pages.contains(&page) && space.protect_code_page(page) {
                self.code_pages.insert(page);
            }
            page = match page.checked_add(PAGE) {
                Some(p) => p,
                None => break,
            };
        }
        Ok(())
    }

    /// Constant-exit targets of a block (side exits and the final exit).
    fn successors(b: &ir::Block) -> Vec<u64> {
        let mut out: Vec<u64> = b
            .insts
            .iter()
            .filter_map(|x| match x.op {
                Op::ExitIf { target, .. } => Some(target),
                _ => None,
            })
            .collect();
        match b.exit {
            ir::Exit::Jump { target } => out.push(target),
            ir::Exit::Branch {
                taken, not_taken, ..
            } => out.extend([taken, not_taken]),
            _ => {}
        }
        out
    }

    /// The region to compile for the hot block at `pc`: it first, then the warm blocks on
    /// loops through it (reached by constant exits and leading back to it), so that a hot
    /// loop runs inside one function with its guest registers in host registers. Capped in
    /// blocks and instructions; a block on no loop is a region of its own.
    fn region(&self, pc: u64) -> Vec<u64> {
        if *NO_REGIONS {
            return vec![pc];
        }
        // A member of a region already compiled (entered here from outside it, so it got hot
        // on its own): alone, it chains into that region's head (on the same loop) instead of
        // compiling another copy of the loop headed here. Those copies (the same 2-5 block
        // loop once per member) were 27 % / 60 % / 32 % of `alloc`'s compile time on
        // AArch64 / x86-64 / ppc64le guests, measured.
        if self
            .blocks
            .values()
            .any(|e| e.code.is_some() && e.region.iter().any(|&(p, _)| p == pc))
        {
            return vec![pc];
        }
        let warm = self.opts.hot_threshold / 2;
        // Warm blocks reachable from `pc`, breadth first, with their successors.
        let mut seen: Vec<(u64, Vec<u64>)> = vec![(pc, Self::successors(&self.blocks[&pc].block))];
        let mut i = 0;
        while i < seen.len() && seen.len() < 4 * REGION_BLOCKS {
            let succ = seen[i].1.clone();
            i += 1;
            for t in succ {
                if seen.iter().any(|(p, _)| *p == t) {
                    continue;
                }
                let Some(e) = self.blocks.get(&t) else {
                    continue;
                };
                if e.no_jit || (e.runs < warm && e.code.is_none()) {
                    continue;
                }
                seen.push((t, Self::successors(&e.block)));
            }
        }
        // Those that lead back to `pc` (within the reachable set), in discovery order.
        let mut back: HashSet<u64> = HashSet::from([pc]);
        loop {
            let before = back.len();
            for (p, succ) in &seen {
                if !back.contains(p) && succ.iter().any(|t| back.contains(t)) {
                    back.insert(*p);
                }
            }
            if back.len() == before {
                break;
            }
        }
        let mut members = Vec::new();
        let mut insns = 0;
        for (p, _) in &seen {
            let n = self.blocks[p].block.guest_insns;
            if *p == pc
                || (back.contains(p) && members.len() < REGION_BLOCKS && insns + n <= REGION_INSNS)
            {
                members.push(*p);
                insns += n;
            }
        }
        members
    }

    fn compile(&mut self, pc: u64) {
        let mut members = self.region(pc);
        let t0 = Instant::now();
        let mut res = {
            let blocks: Vec<&ir::Block> = members.iter().map(|p| &self.blocks[p].block).collect();
            self.jit.compile(&blocks, self.pc_offset, &self.opts)
        };
        if res.is_err() && members.len() > 1 {
            // A member the lowering cannot handle: the block alone may still compile.
            members.truncate(1);
            res = self
                .jit
                .compile(&[&self.blocks[&pc].block], self.pc_offset, &self.opts);
        }
        self.stats.compile_ns += t0.elapsed().as_nanos() as u64;
        let region: Vec<(u64, u32)> = members[1..]
            .iter()
            .map(|p| (*p, self.blocks[p].block.guest_bytes))
            .collect();
        let entry = self.blocks.get_mut(&pc).expect("compile of a cached block");
        match res {
            Ok(code) => {
                self.stats.blocks_compiled += 1;
                self.stats.compiled_insns += entry.block.guest_insns as u64
                    + members[1..]
                        .iter()
                        .map(|p| self.blocks[p].block.guest_insns as u64)
                        .sum::<u64>();
                let entry = self.blocks.get_mut(&pc).expect("compile of a cached block");
                entry.code = Some(code);
                entry.region = region;
                let blocks = &self.blocks;
                self.jit
                    .link_exits(pc, |t| blocks.get(&t).and_then(|e| e.code));
            }
            Err(e) => {
                self.stats.compile_failures += 1;
                if self.opts.show.clif || self.opts.show.host {
                    eprintln!("xarch: block {pc:#x} stays in the interpreter: {e}");
                }
                entry.no_jit = true;
            }
        }
    }

    fn guest_listing(&self, block: &ir::Block, code: &dyn CodeMemory) -> String {
        let starts: Vec<u64> = block
            .insts
            .iter()
            .filter_map(|i| {
                if let Op::InsnStart { pc } = i.op {
                    Some(pc)
                } else {
                    None
                }
            })
            .collect();
        let end = block.pc.wrapping_add(block.guest_bytes as u64);
        let mut out = format!("guest block {:#x}:\n", block.pc);
        for (i, &pc) in starts.iter().enumerate() {
            let next = starts.get(i + 1).copied().unwrap_or(end);
            let n = (next.wrapping_sub(pc) as usize).clamp(1, self.frontend.max_insn_bytes());
            let mut buf = vec![0u8; n];
            let text = if code.read_code(pc, &mut buf) {
                self.frontend.disassemble(pc, &buf)
            } else {
                "<unreadable>".to_string()
            };
            let hex: Vec<String> = buf.iter().map(|b| format!("{b:02x}")).collect();
            out.push_str(&format!("  {pc:#x}: {:<24} {text}\n", hex.join(" ")));
        }
        out
    }

    /// The frontend (for fault reports).
    pub(crate) fn frontend(&self) -> &dyn Frontend {
        &*self.frontend
    }

    pub(crate) fn jit(&self) -> &Jit {
        &self.jit
    }
}
