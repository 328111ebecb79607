//! The hot tier: compiles lowered blocks with Cranelift into the engine's own code cache,
//! links them by exit slots and runs chains of them.
//!
//! ```text
//!   ir::Block ─► lower::lower_block ─► Context::compile ─► CodeCache (memfd, RW view + RX view)
//!   engine ─► enter(code) ─► SysV trampoline ─call_indirect─► block ─return_call_indirect─► block …
//!                                    ◄──────── ret code (dispatch / syscall / trap / patch slot)
//! ```
//!
//! Why our own code cache instead of `cranelift-jit`: `JITModule::finalize_definitions`
//! re-protects every earlier allocation on each call, so its cost grows with the cache. Here
//! code is written through a read-write view of a memfd and run from a read-execute view of
//! the same pages: no `mprotect` per block, and never a writable+executable mapping.
//!
//! Exit slots are words owned by the JIT (`slab`); a block's constant exit loads its slot and
//! tail-calls through it when non-zero. Compiling a block patches every slot that targets it,
//! and dropping a block zeroes them again, so chains never reach freed translations.

use crate::engine::{EngineError, EngineOptions};
use crate::interp::MemWindow;
use crate::ir;
use crate::lower::{self, JC_SIZE, JcEntry, JitCtx, LowerParams, ret};
use crate::stats::Stats;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{AbiParam, Function, InstBuilder, Signature, UserFuncName, types};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

/// Host address of a compiled block's entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeRef(pub usize);

/// Why a chain of compiled blocks returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JitExit {
    Dispatch,
    /// A constant exit whose slot is empty; the guest PC is its target.
    Patch {
        slot: usize,
    },
    /// An indirect exit missed the jump cache; the guest PC is its target.
    Indirect,
    Syscall,
    Trap {
        kind: ir::TrapKind,
        pc: u64,
    },
}

/// Host code of one compiled block, for host PC → guest PC.
pub(crate) struct CodeInfo {
    pub len: usize,
    pub guest_pc: u64,
    /// `(host offset start, end, guest PC)` of each guest instruction's code.
    pub srclocs: Vec<(u32, u32, u64)>,
}

/// Executable memory: one memfd mapped twice.
struct CodeCache {
    rw: *mut u8,
    rx: *mut u8,
    size: usize,
    used: usize,
}

impl CodeCache {
    fn new(size: usize) -> std::io::Result<CodeCache> {
        // SAFETY: plain syscalls on a fresh memfd; the two mappings alias only each other and
        // are owned by the returned value (unmapped in Drop).
        unsafe {
            let fd = libc::memfd_create(c"xarch-jit".as_ptr(), libc::MFD_CLOEXEC);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::ftruncate(fd, size as libc::off_t) != 0 {
                let e = std::io::Error::last_os_error();
                libc::close(fd);
                return Err(e);
            }
            let map = |prot| libc::mmap(std::ptr::null_mut(), size, prot, libc::MAP_SHARED, fd, 0);
            let rw = map(libc::PROT_READ | libc::PROT_WRITE);
            let rx = map(libc::PROT_READ | libc::PROT_EXEC);
            libc::close(fd);
            if rw == libc::MAP_FAILED || rx == libc::MAP_FAILED {
                let e = std::io::Error::last_os_error();
                for p in [rw, rx] {
                    if p != libc::MAP_FAILED {
                        libc::munmap(p, size);
                    }
                }
                return Err(e);
            }
            Ok(CodeCache {
                rw: rw.cast(),
                rx: rx.cast(),
                size,
                used: 0,
            })
        }
    }

    /// After `fork`, parent and child would share the memfd and overwrite each other's new
    /// code: give this process its own copy, mapped at the same two addresses so every code
    /// pointer and exit slot stays valid.
    fn privatize(&mut self) -> std::io::Result<()> {
        // SAFETY: a fresh memfd gets the used bytes, then replaces both views in place
        // (MAP_FIXED over our own mappings, same sizes). No compiled code runs meanwhile: this
        // is called from the dispatcher.
        unsafe {
            let fd = libc::memfd_create(c"xarch-jit".as_ptr(), libc::MFD_CLOEXEC);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let fail = |fd| {
                let e = std::io::Error::last_os_error();
                libc::close(fd);
                Err(e)
            };
            if libc::ftruncate(fd, self.size as libc::off_t) != 0 {
                return fail(fd);
            }
            let mut done = 0;
            while done < self.used {
                let n = libc::pwrite(
                    fd,
                    self.rw.add(done).cast(),
                    self.used - done,
                    done as libc::off_t,
                );
                if n <= 0 {
                    return fail(fd);
                }
                done += n as usize;
            }
            let fixed = libc::MAP_SHARED | libc::MAP_FIXED;
            let rw = libc::mmap(
                self.rw.cast(),
                self.size,
                libc::PROT_READ | libc::PROT_WRITE,
                fixed,
                fd,
                0,
            );
            let rx = libc::mmap(
                self.rx.cast(),
                self.size,
                libc::PROT_READ | libc::PROT_EXEC,
                fixed,
                fd,
                0,
            );
            libc::close(fd);
            if rw == libc::MAP_FAILED || rx == libc::MAP_FAILED {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }

    /// Copies code in; returns its executable address, or None when the cache is full.
    fn place(&mut self, code: &[u8]) -> Option<usize> {
        let start = self.used.next_multiple_of(16);
        let end = start.checked_add(code.len())?;
        if end > self.size {
            return None;
        }
        // SAFETY: `[start, end)` is inside the RW mapping and not yet handed out, so no
        // running code uses these bytes.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), self.rw.add(start), code.len()) };
        self.used = end;
        Some(self.rx as usize + start)
    }

    fn contains(&self, host_pc: usize) -> bool {
        host_pc >= self.rx as usize && host_pc < self.rx as usize + self.used
    }
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the two views made in `new`; no code runs from them once the
        // engine that owns the JIT is dropped.
        unsafe {
            libc::munmap(self.rw.cast(), self.size);
            libc::munmap(self.rx.cast(), self.size);
        }
    }
}

type Trampoline =
    unsafe extern "C" fn(code: usize, state: *mut u8, mem: *mut u8, ctx: *mut JitCtx) -> i64;

const SLAB: usize = 512;
const CODE_CACHE_BYTES: usize = 256 << 20;

/// The compiler and code cache of one engine.
pub struct Jit {
    isa: OwnedTargetIsa,
    cache: CodeCache,
    /// The context compiled code reads and writes; a raw allocation (freed in Drop) because
    /// compiled code and the fault handler write it through pointers.
    ctx: std::ptr::NonNull<JitCtx>,
    trampoline: Trampoline,
    /// Code of empty jump-cache entries (returns `ret::INDIRECT`).
    miss_stub: usize,
    /// Exit slots, in fixed-size chunks so their addresses never move.
    slabs: Vec<Box<[AtomicU64; SLAB]>>,
    slab_used: usize,
    /// Freed slots, for reuse.
    free_slots: Vec<&'static AtomicU64>,
    /// Guest PC → the slots of exits that target it.
    incoming: HashMap<u64, Vec<&'static AtomicU64>>,
    /// Guest PC → its own exits: (target, slot) (slots freed when the block is dropped).
    outgoing: HashMap<u64, Vec<(u64, &'static AtomicU64)>>,
    /// Live slot address → the guest PC its exit targets.
    slot_target: HashMap<usize, u64>,
    /// Compiled code by host address (for fault reports).
    pub(crate) code_info: BTreeMap<usize, CodeInfo>,
    show_clif: bool,
    show_host: bool,
    stats: bool,
    /// The process that owns the code cache's pages (see `CodeCache::privatize`).
    owner_pid: u32,
    /// `/tmp/perf-<pid>.map` when `XARCH_PERF_MAP=1`: one line per compiled block, so that
    /// `perf report` names JIT code by guest PC.
    perf_map: Option<std::fs::File>,
    /// Cranelift's per-function state and the IR builder's, reused across compiles.
    cctx: cranelift_codegen::Context,
    fctx: FunctionBuilderContext,
}

// SAFETY: the slots are `'static` views into `slabs`, which this value owns; the raw code
// pointers refer to the owned code cache. Other threads touch only the context's exit-request
// word, atomically (`request_exit_all`).
unsafe impl Send for Jit {}

impl Jit {
    pub fn new(opts: &EngineOptions) -> Result<Jit, EngineError> {
        let mut flags = settings::builder();
        let set = |f: &mut settings::Builder, k: &str, v: &str| {
            f.set(k, v).map_err(|e| EngineError::Host(e.to_string()))
        };
        // "none" compiles about twice as fast as "speed" here (see examples/engine_costs.rs)
        // and chained blocks run as fast: register forwarding and folding already happen on
        // the IR (opt.rs).
        set(&mut flags, "opt_level", "none")?;
        set(
            &mut flags,
            "enable_verifier",
            if opts.verify_ir { "true" } else { "false" },
        )?;
        set(&mut flags, "unwind_info", "false")?;
        // The x64 backend's tail calls rely on frame pointers.
        set(&mut flags, "preserve_frame_pointers", "true")?;
        let isa_builder =
            cranelift_native::builder().map_err(|e| EngineError::Host(e.to_string()))?;
        let isa = isa_builder
            .finish(settings::Flags::new(flags))
            .map_err(|e| EngineError::Host(e.to_string()))?;
        let cache = CodeCache::new(CODE_CACHE_BYTES).map_err(EngineError::CodeCache)?;
        let ctx = Box::new(JitCtx {
            mask: 0,
            trap_kind: 0,
            trap_pc: 0,
            blocks: 0,
            insns: 0,
            chain_hits: 0,
            jc_hits: 0,
            jc_misses: 0,
            exit_request: 0,
            helper_pc: 0,
            in_jit: 0,
            jcache: [JcEntry {
                pc: u64::MAX,
                code: 0,
            }; JC_SIZE],
        });
        let ctx = std::ptr::NonNull::from(Box::leak(ctx));
        lock_contexts().push(ctx.as_ptr() as usize);
        let mut jit = Jit {
            isa,
            cache,
            ctx,
            trampoline: dummy_trampoline,
            miss_stub: 0,
            slabs: Vec::new(),
            slab_used: SLAB,
            free_slots: Vec::new(),
            incoming: HashMap::new(),
            outgoing: HashMap::new(),
            slot_target: HashMap::new(),
            code_info: BTreeMap::new(),
            show_clif: opts.show.clif,
            show_host: opts.show.host,
            stats: opts.stats,
            owner_pid: std::process::id(),
            perf_map: open_perf_map(),
            cctx: cranelift_codegen::Context::new(),
            fctx: FunctionBuilderContext::new(),
        };
        let tramp = jit.build_trampoline().map_err(EngineError::Host)?;
        // SAFETY: the code at `tramp` was compiled from a function with exactly the
        // `Trampoline` signature in the System V calling convention.
        jit.trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(tramp) };
        let miss = jit.build_miss_stub().map_err(EngineError::Host)?;
        jit.miss_stub = miss;
        for e in jit.ctx_mut().jcache.iter_mut() {
            e.code = miss as u64;
        }
        Ok(jit)
    }

    /// `fn(code, state, mem, ctx) -> i64` in System V: calls the first block (tail cc).
    fn build_trampoline(&mut self) -> Result<usize, String> {
        let mut sig = Signature::new(CallConv::SystemV);
        for _ in 0..4 {
            sig.params.push(AbiParam::new(types::I64));
        }
        sig.returns.push(AbiParam::new(types::I64));
        let mut func = Function::with_name_signature(UserFuncName::user(0, 1), sig);
        let mut fctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fctx);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        b.seal_block(blk);
        let p = b.block_params(blk).to_vec();
        let tail = b.import_signature(lower::block_signature(CallConv::Tail));
        let call = b.ins().call_indirect(tail, p[0], &[p[1], p[2], p[3]]);
        let r = b.inst_results(call)[0];
        b.ins().return_(&[r]);
        b.finalize(self.isa.frontend_config());
        self.compile_func(func, false)
            .map(|(c, _, _)| c)
            .map_err(|e| format!("entry trampoline: {e}"))
    }

    /// A block-signature function that returns `ret::INDIRECT`: the code of empty jump-cache
    /// entries, so a probe never needs a null check.
    fn build_miss_stub(&mut self) -> Result<usize, String> {
        let mut func = Function::with_name_signature(
            UserFuncName::user(0, 2),
            lower::block_signature(CallConv::Tail),
        );
        let mut fctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fctx);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        b.seal_block(blk);
        let r = b.ins().iconst(types::I64, ret::INDIRECT);
        b.ins().return_(&[r]);
        b.finalize(self.isa.frontend_config());
        self.compile_func(func, false)
            .map(|(c, _, _)| c)
            .map_err(|e| format!("jump-cache miss stub: {e}"))
    }

    /// Compiles a function into the code cache; gives its address and source locations.
    /// `show`: print the teaching views for it (not for the engine's own stubs).
    fn compile_func(
        &mut self,
        func: Function,
        show: bool,
    ) -> Result<(usize, usize, Vec<(u32, u32, u32)>), String> {
        let show_host = show && self.show_host;
        if show && self.show_clif {
            eprintln!("{}", func.display());
        }
        // One context for every compile: its allocations are reused (a fresh one per block
        // costs a measurable part of a small block's compile time).
        let ctx = &mut self.cctx;
        ctx.clear();
        ctx.func = func;
        ctx.set_disasm(show_host);
        let fparams = ctx.func.params.clone();
        // A Cranelift panic (an unsupported type combination deep in a backend) must not
        // take the guest down: the block just stays in the interpreter.
        let isa = &*self.isa;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ctx.compile(isa, &mut ControlPlane::default())
                .map(|_| ())
                .map_err(|e| format!("{:?}", e.inner))
        }))
        .map_err(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            format!("code generator panic: {}", msg.unwrap_or_default())
        })??;
        let compiled = ctx.compiled_code().ok_or("no compiled code")?;
        if let Some(r) = compiled.buffer.relocs().first() {
            // Blocks call helpers through absolute addresses in registers; a relocation means
            // a libcall the host's features did not avoid.
            return Err(format!("needs a relocation ({:?})", r.target));
        }
        let code = compiled.code_buffer().to_vec();
        let srclocs: Vec<(u32, u32, u32)> = compiled
            .buffer
            .get_srclocs_sorted()
            .iter()
            .filter(|s| !s.loc.is_default())
            .map(|s| (s.start, s.end, s.loc.bits()))
            .collect();
        let host_listing = if show_host {
            match self.isa.to_capstone() {
                Ok(cs) => compiled
                    .disassemble(Some(&fparams), &cs)
                    .unwrap_or_else(|e| e.to_string()),
                Err(e) => format!("(no host disassembler: {e})"),
            }
        } else {
            String::new()
        };
        let addr = self
            .cache
            .place(&code)
            .ok_or_else(|| "the code cache is full".to_string())?;
        if self.show_host {
            eprintln!(
                "host code at {addr:#x}, {} bytes:\n{host_listing}",
                code.len()
            );
        }
        Ok((addr, code.len(), srclocs))
    }

    fn new_slot(&mut self) -> &'static AtomicU64 {
        if let Some(s) = self.free_slots.pop() {
            s.store(0, Ordering::Relaxed);
            return s;
        }
        if self.slab_used == SLAB {
            self.slabs
                .push(Box::new([const { AtomicU64::new(0) }; SLAB]));
            self.slab_used = 0;
        }
        let slab = self.slabs.last().expect("pushed above");
        let s: *const AtomicU64 = &slab[self.slab_used];
        self.slab_used += 1;
        // SAFETY: the slab is boxed (fixed address) and kept in `self.slabs` until the JIT is
        // dropped; slot references never escape the JIT except as addresses baked into code
        // in the code cache, which is dropped with it.
        unsafe { &*s }
    }

    /// Compiles a region (`blocks[0]` its entry, the rest blocks it reaches by constant
    /// exits, lowered into the same function); links its exits to targets already compiled
    /// and patches the exits of other code that waits for the entry.
    pub fn compile(
        &mut self,
        blocks: &[&ir::Block],
        pc_offset: u32,
        opts: &EngineOptions,
    ) -> Result<CodeRef, String> {
        let block = blocks[0];
        // At most one slot per constant exit (exits to members use none), allocated before
        // lowering (which only hands them out); the unused ones are freed after.
        let mut slots = Vec::new();
        for _ in 0..blocks.iter().map(|b| count_direct_exits(b)).sum::<usize>() {
            slots.push(self.new_slot());
        }
        let mut exits: Vec<(u64, &'static AtomicU64)> = Vec::new();
        let func = {
            let mut it = slots.iter().copied();
            let mut take = |target: u64| {
                let s = it.next().expect("one slot per direct exit");
                exits.push((target, s));
                s
            };
            let params = LowerParams {
                pc_offset,
                stats: opts.stats,
                slot_for: &mut take,
                call_conv: CallConv::Tail,
                frontend: self.isa.frontend_config(),
            };
            lower::lower_region(blocks, params, &mut self.fctx).map_err(|e| e.to_string())
        };
        self.free_slots.extend(slots[exits.len()..].iter().copied());
        slots.truncate(exits.len());
        let (func, pcs) = match func {
            Ok(f) => f,
            Err(e) => {
                self.free_slots.extend(slots.iter().copied());
                return Err(e);
            }
        };
        let (addr, code_len, srclocs) = match self.compile_func(func, true) {
            Ok(x) => x,
            Err(e) => {
                self.free_slots.extend(slots.iter().copied());
                return Err(e);
            }
        };
        let info = CodeInfo {
            len: 0,
            guest_pc: block.pc,
            srclocs: srclocs
                .iter()
                .map(|&(s, e, i)| (s, e, pcs.get(i as usize).copied().unwrap_or(block.pc)))
                .collect(),
        };
        let len = srclocs.iter().map(|s| s.1 as usize).max().unwrap_or(0);
        self.code_info.insert(addr, CodeInfo { len, ..info });
        self.perf_map_line(addr, code_len, block.pc);
        for &(target, slot) in &exits {
            self.incoming.entry(target).or_default().push(slot);
            self.slot_target
                .insert(slot as *const AtomicU64 as usize, target);
        }
        self.outgoing.insert(block.pc, exits);
        // Exits of earlier blocks that target this one now chain to it.
        if let Some(waiting) = self.incoming.get(&block.pc) {
            for s in waiting {
                s.store(addr as u64, Ordering::Relaxed);
            }
        }
        Ok(CodeRef(addr))
    }

    /// Names `[addr, addr + len)` after guest PC `pc` in the perf map, if one is open.
    fn perf_map_line(&mut self, addr: usize, len: usize, pc: u64) {
        if let Some(f) = &mut self.perf_map {
            use std::io::Write;
            // Best effort: a failed write only costs the profile its names.
            let _ = writeln!(f, "{addr:x} {:x} xarch_{pc:#x}", len.max(1));
        }
    }

    /// Points the exits of block `pc` at targets that already have code.
    pub fn link_exits(&mut self, pc: u64, lookup: impl Fn(u64) -> Option<CodeRef>) {
        for (target, slot) in self.outgoing.get(&pc).into_iter().flatten() {
            if let Some(code) = lookup(*target) {
                slot.store(code.0 as u64, Ordering::Relaxed);
            }
        }
    }

    /// Points the exit slot at address `slot` (as a chain returned it) at compiled code, if
    /// it is a live slot that targets `target`.
    pub fn patch(&mut self, slot: usize, target: u64, code: CodeRef) {
        if self.slot_target.get(&slot) == Some(&target)
            && let Some(s) = self
                .incoming
                .get(&target)
                .into_iter()
                .flatten()
                .find(|s| std::ptr::addr_of!(***s) as usize == slot)
        {
            s.store(code.0 as u64, Ordering::Relaxed);
        }
    }

    /// Remembers an indirect target in the jump cache.
    pub fn cache_indirect(&mut self, pc: u64, code: CodeRef) {
        self.ctx_mut().jcache[lower::jc_index(pc)] = JcEntry {
            pc,
            code: code.0 as u64,
        };
    }

    /// Forgets a dropped block: exits that chained to it return to the dispatcher again, its
    /// own exit slots are freed, the jump cache forgets it.
    pub fn unlink(&mut self, pc: u64, code: CodeRef) {
        if let Some(slots) = self.incoming.get(&pc) {
            for s in slots {
                s.store(0, Ordering::Relaxed);
            }
        }
        if let Some(own) = self.outgoing.remove(&pc) {
            for (target, slot) in own {
                if let Some(list) = self.incoming.get_mut(&target) {
                    list.retain(|s| !std::ptr::eq(*s, slot));
                }
                self.slot_target
                    .remove(&(slot as *const AtomicU64 as usize));
                self.free_slots.push(slot);
            }
        }
        let miss = self.miss_stub as u64;
        let e = &mut self.ctx_mut().jcache[lower::jc_index(pc)];
        if e.pc == pc {
            *e = JcEntry {
                pc: u64::MAX,
                code: miss,
            };
        }
        self.code_info.remove(&code.0);
    }

    /// Called at each entry to the engine: after a `fork`, makes the code cache this
    /// process's own. On failure compiled code cannot be trusted: it is all dropped (the
    /// caller invalidates) and nothing new is compiled.
    pub fn check_fork(&mut self) -> Result<(), std::io::Error> {
        let pid = std::process::id();
        if pid == self.owner_pid {
            return Ok(());
        }
        self.owner_pid = pid;
        self.cache.privatize().inspect_err(|_| {
            // Compile into nothing from now on.
            self.cache.used = self.cache.size;
        })
    }

    /// Runs compiled code from `code` until it returns to the dispatcher.
    pub fn enter(&mut self, code: CodeRef, state: &mut [u8], mem: MemWindow) -> JitExit {
        self.ctx_mut().mask = mem.mask;
        self.ctx_mut().in_jit = 1;
        // SAFETY: `code` is a block compiled by this JIT with the block signature; `state`
        // is the CPU state the block was lowered for (callers check that its offsets fit, see
        // `testing::state_bytes_needed`), `mem` a live guest window, and `ctx` our own context,
        // which outlives the call.
        let r =
            unsafe { (self.trampoline)(code.0, state.as_mut_ptr(), mem.base, self.ctx.as_ptr()) };
        self.ctx_mut().in_jit = 0;
        match r {
            ret::DISPATCH => JitExit::Dispatch,
            ret::SYSCALL => JitExit::Syscall,
            ret::TRAP => JitExit::Trap {
                kind: lower::trap_kind(self.ctx_mut().trap_kind),
                pc: self.ctx_mut().trap_pc,
            },
            ret::INDIRECT => JitExit::Indirect,
            slot => JitExit::Patch {
                slot: slot as usize,
            },
        }
    }

    /// Moves the counters compiled code keeps in the context into `stats`.
    pub fn drain_stats(&mut self, stats: &mut Stats) {
        if !self.stats {
            return;
        }
        let c = self.ctx_mut();
        stats.jit_blocks += std::mem::take(&mut c.blocks);
        stats.jit_insns += std::mem::take(&mut c.insns);
        stats.chain_hits += std::mem::take(&mut c.chain_hits);
        stats.jc_hits += std::mem::take(&mut c.jc_hits);
        stats.jc_misses += std::mem::take(&mut c.jc_misses);
    }

    fn ctx_mut(&mut self) -> &mut JitCtx {
        // SAFETY: `ctx` is a live allocation owned by this JIT; no compiled code runs while
        // `&mut self` is held (the engine is single-threaded per guest thread).
        unsafe { self.ctx.as_mut() }
    }

    /// The context's address, for the fault handler's exit request.
    pub(crate) fn ctx_ptr(&self) -> *mut JitCtx {
        self.ctx.as_ptr()
    }

    /// True if compiled code was asked to stop (and the dispatcher has work to do).
    pub fn exit_requested(&mut self) -> bool {
        self.exit_word().load(Ordering::SeqCst) != 0
    }

    pub fn clear_exit_request(&mut self) {
        self.exit_word().store(0, Ordering::SeqCst);
    }

    /// The exit-request word, which other threads and signal handlers set.
    fn exit_word(&self) -> &AtomicU64 {
        // SAFETY: the context is live while `self` is; every Rust access to this field goes
        // through an atomic (compiled code only reads it).
        unsafe { AtomicU64::from_ptr(&raw mut (*self.ctx.as_ptr()).exit_request) }
    }

    /// True if `host_pc` is in the code cache.
    pub(crate) fn owns(&self, host_pc: usize) -> bool {
        self.cache.contains(host_pc)
    }

    /// The guest PC of the instruction whose code contains `host_pc`.
    pub(crate) fn guest_pc_of(&self, host_pc: usize) -> Option<u64> {
        let (start, info) = self.code_info.range(..=host_pc).next_back()?;
        let off = (host_pc - start) as u32;
        info.srclocs
            .iter()
            .find(|&&(s, e, _)| off >= s && off < e)
            .map(|&(_, _, g)| g)
            .or(if (host_pc - start) < info.len.max(1) {
                Some(info.guest_pc)
            } else {
                None
            })
    }
}

/// Opens `/tmp/perf-<pid>.map` for appending when the environment asks for it
/// (`XARCH_PERF_MAP=1`), the file `perf report` reads to name JIT code.
fn open_perf_map() -> Option<std::fs::File> {
    if std::env::var_os("XARCH_PERF_MAP").is_none_or(|v| v == "0") {
        return None;
    }
    let path = format!("/tmp/perf-{}.map", std::process::id());
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        Ok(f) => Some(f),
        Err(e) => {
            eprintln!("xarch: cannot open the perf map {path}: {e}");
            None
        }
    }
}

fn count_direct_exits(block: &ir::Block) -> usize {
    let side = block
        .insts
        .iter()
        .filter(|i| matches!(i.op, ir::Op::ExitIf { .. }))
        .count();
    side + match block.exit {
        ir::Exit::Jump { .. } => 1,
        ir::Exit::Branch { .. } => 2,
        _ => 0,
    }
}

impl Drop for Jit {
    fn drop(&mut self) {
        lock_contexts().retain(|&c| c != self.ctx.as_ptr() as usize);
        // SAFETY: `ctx` came from `Box::leak` in `new` and is freed exactly once, here.
        drop(unsafe { Box::from_raw(self.ctx.as_ptr()) });
    }
}

/// The contexts of every live JIT in the process (one per guest thread's engine), for
/// [`request_exit_all`].
static CONTEXTS: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

/// Locks the list of live JITs until the guard drops: held across a host `fork` (see
/// [`crate::engine::lock_engines_for_fork`]).
pub(crate) fn lock_contexts() -> std::sync::MutexGuard<'static, Vec<usize>> {
    CONTEXTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Asks compiled code using `ctx` to return to its dispatcher at the next block entry.
/// Async-signal-safe (one atomic store).
///
/// # Safety
/// `ctx` must be the live context of a JIT.
pub(crate) unsafe fn request_exit(ctx: *mut JitCtx) {
    // SAFETY: per the contract the context is live; the field is a naturally aligned word
    // that Rust code accesses only atomically.
    unsafe { AtomicU64::from_ptr(&raw mut (*ctx).exit_request).store(1, Ordering::SeqCst) };
}

/// Asks every engine in the process (every guest thread) to return to its dispatcher at
/// the next block entry, where it looks at what changed in the address space
/// (`GuestSpace::take_stale_code`). Not async-signal-safe (takes a lock).
pub fn request_exit_all() {
    for &c in lock_contexts().iter() {
        // SAFETY: a context stays listed only while its JIT lives (removed in Drop, under
        // the same lock, before it is freed).
        unsafe { request_exit(c as *mut JitCtx) };
    }
}

unsafe extern "C" fn dummy_trampoline(_: usize, _: *mut u8, _: *mut u8, _: *mut JitCtx) -> i64 {
    ret::DISPATCH
}
