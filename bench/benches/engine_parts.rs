//! criterion micro-benchmarks of the engine's parts, on real code: the blocks of the `.text`
//! of a workload build (`build/workloads/<arch>/sha256`, from `bench/workloads/build.sh`).
//!
//! ```text
//!   lift/<isa>      decode + lift to IR          throughput: guest instructions
//!   interp/<isa>    IR interpreter (tier 0)      throughput: IR ops
//!   compile/<isa>   optimised IR → CLIF → x86-64  throughput: guest instructions
//!                   (the engine's Cranelift settings; code is not installed)
//!   dispatch/*      a loop of IR blocks run by the engine     time per block executed:
//!                   chained (compiled as first seen, direct exits patched), region (the
//!                   loop compiled as one function, registers in host registers),
//!                   jump-cache (compiled, one indirect exit per iteration), interpreted
//!                   (tier 0 only)
//! ```
//!
//! At threshold 0 each block compiles before its successors are lifted, so "chained" runs
//! tail calls between single-block functions until the last loop block's region takes the
//! loop; `XARCH_NO_REGIONS=1` keeps every block alone (pure chaining throughout), and
//! `XARCH_NO_PROMOTION=1` keeps guest registers in memory inside regions.
//!
//! `cargo bench -p xarch-bench --bench engine_parts`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use xarch_translator::{CodeBuffer, CpuState, Frontend, ir, lower, opt, testing};

/// `.text` of an ELF file: load address and bytes.
struct Text {
    base: u64,
    bytes: Vec<u8>,
}

fn text_of(arch: &str) -> Option<Text> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../build/workloads")
        .join(arch)
        .join("sha256");
    let data = std::fs::read(&path).ok()?;
    let elf = goblin::elf::Elf::parse(&data).ok()?;
    let sh = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".text"))?;
    let start = sh.sh_offset as usize;
    let bytes = data.get(start..start + sh.sh_size as usize)?.to_vec();
    Some(Text {
        base: sh.sh_addr,
        bytes,
    })
}

/// Up to `max` blocks lifted linearly from the start of `.text`, skipping what does not lift.
fn lift_blocks(fe: &dyn Frontend, text: &Text, max: usize) -> Vec<ir::Block> {
    let code = CodeBuffer {
        base: text.base,
        bytes: &text.bytes,
    };
    let end = text.base + text.bytes.len() as u64;
    let step = if fe.name() == "aarch64" { 4 } else { 1 };
    let mut pc = text.base;
    let mut out = Vec::new();
    while pc < end && out.len() < max {
        match fe.lift(pc, &code) {
            Ok(b) => {
                pc += u64::from(b.guest_bytes.max(1));
                out.push(b);
            }
            Err(_) => pc += step,
        }
    }
    out
}

fn frontends() -> Vec<(&'static str, Box<dyn Frontend>)> {
    vec![
        ("aarch64", Box::new(xarch_isa_aarch64::Aarch64)),
        ("x86_64", Box::new(xarch_isa_x86::X86Frontend)),
    ]
}

fn lift(c: &mut Criterion) {
    let mut g = c.benchmark_group("lift");
    for (arch, fe) in frontends() {
        let Some(text) = text_of(arch) else {
            eprintln!(
                "lift/{arch}: no build/workloads/{arch}/sha256 (run bench/workloads/build.sh)"
            );
            continue;
        };
        let blocks = lift_blocks(fe.as_ref(), &text, 500);
        let starts: Vec<u64> = blocks.iter().map(|b| b.pc).collect();
        let insns: u64 = blocks.iter().map(|b| u64::from(b.guest_insns)).sum();
        let code = CodeBuffer {
            base: text.base,
            bytes: &text.bytes,
        };
        g.throughput(Throughput::Elements(insns));
        g.bench_function(arch, |b| {
            b.iter(|| {
                for &pc in &starts {
                    let _ = black_box(fe.lift(pc, &code));
                }
            })
        });
    }
    g.finish();
}

fn interp(c: &mut Criterion) {
    let mut g = c.benchmark_group("interp");
    // The whole 16 MiB test window is mapped, so any masked guest address is valid.
    let mem = testing::test_memory(&[(0, 1 << 24)]);
    for (arch, fe) in frontends() {
        let Some(text) = text_of(arch) else { continue };
        let blocks = lift_blocks(fe.as_ref(), &text, 200);
        let ops: u64 = blocks.iter().map(|b| b.insts.len() as u64).sum();
        let mut state = CpuState::new(fe.state_size());
        g.throughput(Throughput::Elements(ops));
        // Each block starts from the zero state, so runs do not drift (register values left by
        // one block would otherwise become addresses in the next).
        g.bench_function(arch, |b| {
            b.iter(|| {
                for block in &blocks {
                    state.bytes_mut().fill(0);
                    black_box(testing::run_block_interp(
                        block,
                        state.bytes_mut(),
                        &mem,
                        fe.pc_offset(),
                    ));
                }
            })
        });
    }
    g.finish();
}

fn compile(c: &mut Criterion) {
    use cranelift_codegen::settings::{self, Configurable};
    // The engine's settings (translator/src/jit.rs): no optimisation, no verifier.
    let mut flags = settings::builder();
    for (k, v) in [
        ("opt_level", "none"),
        ("enable_verifier", "false"),
        ("unwind_info", "false"),
        ("preserve_frame_pointers", "true"),
    ] {
        flags.set(k, v).expect("cranelift flag");
    }
    let isa = cranelift_native::builder()
        .expect("host isa")
        .finish(settings::Flags::new(flags))
        .expect("isa");
    static SLOT: AtomicU64 = AtomicU64::new(0);
    let mut g = c.benchmark_group("compile");
    g.sample_size(20);
    for (arch, fe) in frontends() {
        let Some(text) = text_of(arch) else { continue };
        let mut blocks = lift_blocks(fe.as_ref(), &text, 100);
        for b in &mut blocks {
            opt::optimize(b);
        }
        let lower_one = |block: &ir::Block| {
            let mut slot_for = |_: u64| &SLOT;
            let params = lower::LowerParams {
                pc_offset: fe.pc_offset(),
                stats: false,
                slot_for: &mut slot_for,
                call_conv: cranelift_codegen::isa::CallConv::Tail,
                frontend: isa.frontend_config(),
            };
            lower::lower_block(block, params).ok()
        };
        blocks.retain(|b| lower_one(b).is_some());
        let insns: u64 = blocks.iter().map(|b| u64::from(b.guest_insns)).sum();
        g.throughput(Throughput::Elements(insns));
        g.bench_function(arch, |b| {
            b.iter(|| {
                for block in &blocks {
                    if let Some(f) = lower_one(block) {
                        let mut ctx = cranelift_codegen::Context::for_function(f);
                        let _ = black_box(ctx.compile(&*isa, &mut Default::default()).is_ok());
                    }
                }
            })
        });
    }
    g.finish();
}

/// Guest state offsets of the dispatch loop: PC, counter, limit, sum.
const PC: u32 = 0;
const COUNT: u32 = 8;
const LIMIT: u32 = 16;
const SUM: u32 = 24;
/// Holds 0x1010, the target of the indirect exit (read from the state, so no pass folds it).
const TARGET: u32 = 32;

/// A loop of four blocks, three per iteration: count += 1; sum += count (reached through an
/// indirect exit when `indirect`); branch back while count < limit; then a syscall exit.
fn dispatch_loop(indirect: bool) -> std::collections::HashMap<u64, ir::Block> {
    use ir::{Builder, Exit, IntCC, Type};
    let mk = |pc: u64, f: &dyn Fn(&mut Builder) -> Exit| {
        let mut b = Builder::new(pc);
        b.insn_start(pc);
        let e = f(&mut b);
        (pc, b.finish(e, pc + 4))
    };
    std::collections::HashMap::from([
        mk(0x1000, &|b| {
            let x = b.get_reg(Type::I64, COUNT);
            let y = b.add_imm(x, 1);
            b.set_reg(COUNT, y);
            if indirect {
                let t = b.get_reg(Type::I64, TARGET);
                Exit::Indirect { target: t }
            } else {
                Exit::Jump { target: 0x1010 }
            }
        }),
        mk(0x1010, &|b| {
            let s = b.get_reg(Type::I64, SUM);
            let x = b.get_reg(Type::I64, COUNT);
            let s = b.add(s, x);
            b.set_reg(SUM, s);
            Exit::Jump { target: 0x1020 }
        }),
        mk(0x1020, &|b| {
            let x = b.get_reg(Type::I64, COUNT);
            let n = b.get_reg(Type::I64, LIMIT);
            let c = b.icmp(IntCC::Ult, x, n);
            Exit::Branch {
                cond: c,
                taken: 0x1000,
                not_taken: 0x1030,
            }
        }),
        mk(0x1030, &|_| Exit::Syscall { next: 0x1040 }),
    ])
}

fn dispatch(c: &mut Criterion) {
    use std::sync::Arc;
    use xarch_translator::{Engine, EngineOptions, FlatSpace};
    let mut g = c.benchmark_group("dispatch");
    for (name, indirect, threshold) in [
        ("chained", false, 0),
        ("region", false, 1),
        ("jump_cache", true, 0),
        ("interpreted", false, u32::MAX),
    ] {
        let fe = Arc::new(testing::IrFrontend {
            blocks: dispatch_loop(indirect),
            state_size: 64,
            pc_offset: PC,
        });
        let opts = EngineOptions {
            hot_threshold: threshold,
            ..Default::default()
        };
        let mut engine = Engine::new(fe, opts).expect("engine");
        let mut space = FlatSpace {
            mem: testing::test_memory(&[]),
            code: Vec::new(),
        };
        let mut state = CpuState::new(64);
        let mut run = |iters: u64| {
            let b = state.bytes_mut();
            b[PC as usize..][..8].copy_from_slice(&0x1000u64.to_le_bytes());
            b[COUNT as usize..][..8].copy_from_slice(&0u64.to_le_bytes());
            b[LIMIT as usize..][..8].copy_from_slice(&iters.to_le_bytes());
            b[TARGET as usize..][..8].copy_from_slice(&0x1010u64.to_le_bytes());
            black_box(engine.run(&mut state, &mut space));
        };
        run(1000); // translate and compile outside the measurement
        g.throughput(Throughput::Elements(3));
        g.bench_function(name, |bch| {
            bch.iter_custom(|iters| {
                let t = std::time::Instant::now();
                run(iters.max(1));
                t.elapsed()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, lift, interp, compile, dispatch);
criterion_main!(benches);
