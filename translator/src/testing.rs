//! Helpers for tests of frontends and of the engine: run one lifted block on tier 0 and on
//! the Cranelift tier and compare, and a frontend made of prebuilt IR blocks.
//!
//! ```text
//!   let mem = testing::test_memory(&[(0x1000, 0x2000)]);       // guest window, pages RW
//!   let (state, exit) = testing::compare_tiers(&block, &init_state, &mem, PC_OFFSET)?;
//! ```
//!
//! `compare_tiers` runs the block as lifted in the interpreter and, optimised, as compiled
//! code, on copies of the same initial state, and fails with a byte-level diff if the final
//! states or the exits differ. Memory is shared: blocks whose stores are not idempotent
//! (read-modify-write of the same address) should be run with `run_block_interp` and
//! `run_block_jit` on separate memories instead.

use crate::engine::EngineOptions;
use crate::frontend::{CodeMemory, Frontend, LiftError};
use crate::interp::{self, BlockExit, MemWindow};
use crate::ir;
use crate::jit::{CodeRef, Jit, JitExit};
use crate::opt;
use std::collections::HashMap;
use xarch_linux::mem::GuestMemory;

/// A small guest window (2^24 bytes) with the given `[start, end)` ranges mapped read-write.
pub fn test_memory(ranges: &[(u64, u64)]) -> GuestMemory {
    let mem = GuestMemory::reserve(24).expect("reserve a 16 MiB test window");
    for &(s, e) in ranges {
        let s = s & !0xfff;
        let e = (e + 0xfff) & !0xfff;
        assert!(e <= mem.size(), "test range beyond the 16 MiB window");
        // SAFETY: changes protection inside our own reservation only.
        let rc = unsafe {
            libc::mprotect(
                mem.base().add(s as usize).cast(),
                (e - s) as usize,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        assert_eq!(rc, 0, "mprotect of the test window");
    }
    mem
}

/// Runs `block` (as is) in the interpreter. Guest memory accesses outside mapped pages fault.
pub fn run_block_interp(
    block: &ir::Block,
    state: &mut [u8],
    mem: &GuestMemory,
    pc_offset: u32,
) -> BlockExit {
    // SAFETY: `mem` is a live reservation; accesses stay inside it (masked addresses).
    unsafe { interp::run_block(block, state, MemWindow::of(mem), pc_offset) }
}

/// Compiles `block` (as is, Cranelift verifier on) and runs it once.
pub fn run_block_jit(
    block: &ir::Block,
    state: &mut [u8],
    mem: &GuestMemory,
    pc_offset: u32,
) -> Result<BlockExit, String> {
    let opts = EngineOptions {
        hot_threshold: 0,
        verify_ir: true,
        ..EngineOptions::default()
    };
    let mut jit = Jit::new(&opts).map_err(|e| e.to_string())?;
    check_state(block, state, pc_offset)?;
    let code = jit.compile(&[block], pc_offset, &opts)?;
    let e = jit.enter(code, state, MemWindow::of(mem));
    Ok(jit_exit(e, state, pc_offset))
}

/// Runs `block` in the interpreter and, after the optimisation passes, compiled; both from
/// `init`. Gives the final state and exit, or a description of the difference.
pub fn compare_tiers(
    block: &ir::Block,
    init: &[u8],
    mem: &GuestMemory,
    pc_offset: u32,
) -> Result<(Vec<u8>, BlockExit), String> {
    TierCheck::new(block, pc_offset)?.run(init, mem)
}

/// One block compiled once, run on both tiers from many initial states (see [`compare_tiers`]).
pub struct TierCheck {
    block: ir::Block,
    jit: Jit,
    code: CodeRef,
    pc_offset: u32,
}

impl TierCheck {
    /// Verifies `block`, optimises a copy and compiles it (Cranelift verifier on).
    pub fn new(block: &ir::Block, pc_offset: u32) -> Result<TierCheck, String> {
        ir::verify(block).map_err(|e| e.to_string())?;
        let mut optimised = block.clone();
        opt::optimize(&mut optimised);
        ir::verify(&optimised).map_err(|e| format!("after the optimisation passes: {e}"))?;
        let opts = EngineOptions {
            hot_threshold: 0,
            verify_ir: true,
            ..EngineOptions::default()
        };
        let mut jit = Jit::new(&opts).map_err(|e| e.to_string())?;
        let code = jit.compile(&[&optimised], pc_offset, &opts)?;
        Ok(TierCheck {
            block: block.clone(),
            jit,
            code,
            pc_offset,
        })
    }

    /// Runs both tiers from `init`; the final state and exit, or the difference.
    pub fn run(&mut self, init: &[u8], mem: &GuestMemory) -> Result<(Vec<u8>, BlockExit), String> {
        let mut a = init.to_vec();
        let ea = run_block_interp(&self.block, &mut a, mem, self.pc_offset);
        check_state(&self.block, init, self.pc_offset)?;
        let mut b = init.to_vec();
        let eb = jit_exit(
            self.jit.enter(self.code, &mut b, MemWindow::of(mem)),
            &b,
            self.pc_offset,
        );
        let block = &self.block;
        if ea != eb {
            return Err(format!(
                "exits differ: interpreter {ea:?}, compiled {eb:?}\n{block}"
            ));
        }
        if a != b {
            let diffs: Vec<String> = (0..a.len())
                .filter(|&i| a[i] != b[i])
                .map(|i| {
                    format!(
                        "  byte {i:#x}: interpreter {:#04x}, compiled {:#04x}",
                        a[i], b[i]
                    )
                })
                .take(16)
                .collect();
            return Err(format!("states differ:\n{}\n{block}", diffs.join("\n")));
        }
        Ok((a, ea))
    }
}

/// Compiled code does not bounds-check state offsets: refuse states too small for the block.
fn check_state(block: &ir::Block, state: &[u8], pc_offset: u32) -> Result<(), String> {
    let need = state_bytes_needed(block, pc_offset);
    if state.len() < need {
        return Err(format!(
            "the state has {} bytes, the block uses {need}",
            state.len()
        ));
    }
    Ok(())
}

/// Bytes of CPU state a block reads or writes (its `GetReg`/`SetReg` offsets and the PC).
pub fn state_bytes_needed(block: &ir::Block, pc_offset: u32) -> usize {
    let mut need = pc_offset as usize + 8;
    for inst in &block.insts {
        let end = match inst.op {
            ir::Op::GetReg { off } => {
                off as usize + inst.result.map_or(0, |r| block.ty(r).bytes() as usize)
            }
            ir::Op::SetReg { off, v } => off as usize + block.ty(v).bytes() as usize,
            _ => 0,
        };
        need = need.max(end);
    }
    need
}

fn jit_exit(e: JitExit, state: &[u8], pc_offset: u32) -> BlockExit {
    let o = pc_offset as usize;
    let pc = u64::from_le_bytes(state[o..o + 8].try_into().expect("pc"));
    match e {
        JitExit::Dispatch | JitExit::Patch { .. } => BlockExit::Jump(pc),
        JitExit::Indirect => BlockExit::Indirect(pc),
        JitExit::Syscall => BlockExit::Syscall(pc),
        JitExit::Trap { kind, pc } => BlockExit::Trap(kind, pc),
    }
}

/// A frontend whose code is a set of prebuilt IR blocks (engine tests, benchmarks). Its
/// "instructions" are 4 bytes; disassembly prints the IR op names of the block's first insn.
pub struct IrFrontend {
    pub blocks: HashMap<u64, ir::Block>,
    pub state_size: usize,
    pub pc_offset: u32,
}

impl Frontend for IrFrontend {
    fn name(&self) -> &'static str {
        "ir-test"
    }
    fn state_size(&self) -> usize {
        self.state_size
    }
    fn pc_offset(&self) -> u32 {
        self.pc_offset
    }
    fn lift(&self, pc: u64, _code: &dyn CodeMemory) -> Result<ir::Block, LiftError> {
        self.blocks
            .get(&pc)
            .cloned()
            .ok_or(LiftError::FetchFault { pc })
    }
    fn disassemble(&self, pc: u64, _bytes: &[u8]) -> String {
        format!("ir-test insn at {pc:#x}")
    }
    fn max_insn_bytes(&self) -> usize {
        4
    }
    fn abi(&self) -> &'static xarch_linux::abi::Abi {
        panic!("the IR test frontend has no Linux ABI (the engine never asks for it)")
    }
    fn init_state(&self, state: &mut [u8], entry: u64, _sp: u64) {
        let o = self.pc_offset as usize;
        state[o..o + 8].copy_from_slice(&entry.to_le_bytes());
    }
    fn syscall_args(&self, _state: &[u8]) -> crate::frontend::SyscallArgs {
        crate::frontend::SyscallArgs {
            nr: 0,
            args: [0; 6],
        }
    }
    fn set_syscall_result(&self, _state: &mut [u8], _ret: i64) {}
    fn set_thread_pointer(&self, _state: &mut [u8], _tp: u64) {}
    fn thread_pointer(&self, _state: &[u8]) -> u64 {
        0
    }
}

/// Compiles blocks without running them (for measuring compile cost per guest instruction).
pub struct Compiler {
    jit: Jit,
    opts: EngineOptions,
}

impl Compiler {
    pub fn new() -> Result<Compiler, String> {
        let opts = EngineOptions {
            hot_threshold: 0,
            ..EngineOptions::default()
        };
        Ok(Compiler {
            jit: Jit::new(&opts).map_err(|e| e.to_string())?,
            opts,
        })
    }

    /// Optimises and compiles one block as the engine does (verifier off).
    pub fn compile(&mut self, block: &ir::Block, pc_offset: u32) -> Result<(), String> {
        let mut b = block.clone();
        opt::optimize(&mut b);
        self.jit.compile(&[&b], pc_offset, &self.opts).map(|_| ())
    }
}

/// The pseudo-random generator of every randomised test (differential tests against qemu and
/// the host CPU, decoder and lifter fuzzing): xorshift64*, seedable, the same sequence on every
/// machine, so a failing seed reproduces. The seed must not be zero.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// One element of `xs` (not empty).
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}
