//! Measures the engine's basic costs: nanoseconds per chained compiled block, per
//! interpreted block, and microseconds of Cranelift compilation per guest instruction.
//!
//! `cargo run --release -p xarch-translator --example engine_costs`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use xarch_translator::ir::{Block, Builder, Endian, Exit, IntCC, Type};
use xarch_translator::testing::{Compiler, IrFrontend, test_memory};
use xarch_translator::{CpuState, Engine, EngineOptions, FlatSpace};

const ITERS: u64 = 2_000_000;

fn sum_loop() -> HashMap<u64, Block> {
    let mk = |pc: u64, f: &dyn Fn(&mut Builder) -> Exit| {
        let mut b = Builder::new(pc);
        b.insn_start(pc);
        let e = f(&mut b);
        (pc, b.finish(e, pc + 4))
    };
    HashMap::from([
        mk(0x1000, &|b| {
            let x = b.get_reg(Type::I64, 8);
            let y = b.add_imm(x, 1);
            b.set_reg(8, y);
            Exit::Jump { target: 0x1010 }
        }),
        mk(0x1010, &|b| {
            let x = b.get_reg(Type::I64, 16);
            let y = b.get_reg(Type::I64, 8);
            let s = b.add(x, y);
            b.set_reg(16, s);
            Exit::Jump { target: 0x1020 }
        }),
        mk(0x1020, &|b| {
            let x = b.get_reg(Type::I64, 8);
            let c = b.icmp_imm(IntCC::Ult, x, ITERS);
            Exit::Branch {
                cond: c,
                taken: 0x1000,
                not_taken: 0x1030,
            }
        }),
        mk(0x1030, &|_| Exit::Syscall { next: 0x1040 }),
    ])
}

fn per_block(threshold: u32, iters: u64) -> f64 {
    let fe = Arc::new(IrFrontend {
        blocks: sum_loop(),
        state_size: 64,
        pc_offset: 0,
    });
    let mut engine = Engine::new(
        fe,
        EngineOptions {
            hot_threshold: threshold,
            ..Default::default()
        },
    )
    .unwrap();
    let mut space = FlatSpace {
        mem: test_memory(&[]),
        code: Vec::new(),
    };
    let mut state = CpuState::new(64);
    // Start near the end so that `iters` iterations run.
    state.bytes_mut()[8..16].copy_from_slice(&(ITERS - iters).to_le_bytes());
    state.bytes_mut()[0..8].copy_from_slice(&0x1000u64.to_le_bytes());
    let t = Instant::now();
    engine.run(&mut state, &mut space);
    t.elapsed().as_nanos() as f64 / (3 * iters) as f64
}

/// A block of `n` typical guest instructions (load, add, shift, compare, store).
fn straight_block(n: u32) -> Block {
    let mut b = Builder::new(0x4000);
    for i in 0..n {
        let pc = 0x4000 + 4 * i as u64;
        b.insn_start(pc);
        let r = 8 + 8 * (i % 8);
        let x = b.get_reg(Type::I64, r);
        match i % 4 {
            0 => {
                let a = b.add_imm(x, 16);
                let v = b.load(Type::I64, a, Endian::Little);
                b.set_reg(r + 8, v);
            }
            1 => {
                let c = b.const64(3);
                let v = b.shl(x, c);
                b.set_reg(r, v);
            }
            2 => {
                let y = b.get_reg(Type::I64, 80);
                let v = b.add(x, y);
                b.set_reg(r, v);
                let z = b.icmp_imm(IntCC::Eq, v, 0);
                let z = b.zext(Type::I64, z);
                b.set_reg(88, z);
            }
            _ => {
                let a = b.add_imm(x, 32);
                b.store(a, x, Endian::Little);
            }
        }
    }
    b.finish(
        Exit::Jump {
            target: 0x4000 + 4 * n as u64,
        },
        0x4000 + 4 * n as u64,
    )
}

fn main() {
    let warm = per_block(0, 10_000);
    let chained = per_block(0, ITERS - 1);
    let interp = per_block(u32::MAX, ITERS / 10);
    println!("chained compiled block: {chained:.2} ns (warm-up run {warm:.1} ns)");
    println!("interpreted block:      {interp:.1} ns");
    let mut c = Compiler::new().unwrap();
    for n in [1u32, 5, 20, 50] {
        let blk = straight_block(n);
        let reps = 200;
        let t = Instant::now();
        for _ in 0..reps {
            c.compile(&blk, 0).unwrap();
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / reps as f64;
        println!(
            "compile {n:>2}-insn block:  {us:7.1} µs ({:.1} µs per guest insn)",
            us / n as f64
        );
    }
}
