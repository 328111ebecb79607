//! Engine tests: loops of blocks run on tier 0, compiled and chained, mixed; the jump cache
//! for indirect exits; guest faults reported at the precise guest PC.

use std::collections::HashMap;
use std::sync::Arc;
use xarch_translator::ir::{Block, Builder, Endian, Exit, IntCC, Type};
use xarch_translator::testing::{IrFrontend, test_memory};
use xarch_translator::{CpuState, Engine, EngineOptions, FlatSpace, RunExit};

const R1: u32 = 8;
const R2: u32 = 16;
const R3: u32 = 24;
const N: u64 = 1000;

fn add_reg(b: &mut Builder, dst: u32, src: u32) {
    let x = b.get_reg(Type::I64, dst);
    let y = b.get_reg(Type::I64, src);
    let s = b.add(x, y);
    b.set_reg(dst, s);
}

fn inc(b: &mut Builder, r: u32) {
    let x = b.get_reg(Type::I64, r);
    let y = b.add_imm(x, 1);
    b.set_reg(r, y);
}

fn block(pc: u64, body: impl FnOnce(&mut Builder) -> Exit) -> (u64, Block) {
    let mut b = Builder::new(pc);
    b.insn_start(pc);
    let exit = body(&mut b);
    (pc, b.finish(exit, pc + 4))
}

/// r1 counts to N; r2 sums r1; four blocks in a loop, then a syscall.
fn sum_loop() -> HashMap<u64, Block> {
    HashMap::from([
        block(0x1000, |b| {
            inc(b, R1);
            Exit::Jump { target: 0x1010 }
        }),
        block(0x1010, |b| {
            add_reg(b, R2, R1);
            Exit::Jump { target: 0x1020 }
        }),
        block(0x1020, |b| {
            let x = b.get_reg(Type::I64, R1);
            let c = b.icmp_imm(IntCC::Ult, x, N);
            Exit::Branch {
                cond: c,
                taken: 0x1000,
                not_taken: 0x1030,
            }
        }),
        block(0x1030, |_| Exit::Syscall { next: 0x1040 }),
    ])
}

fn run(
    blocks: HashMap<u64, Block>,
    entry: u64,
    opts: EngineOptions,
) -> (CpuState, Engine, RunExit) {
    let fe = Arc::new(IrFrontend {
        blocks,
        state_size: 64,
        pc_offset: 0,
    });
    let mut engine = Engine::new(fe, opts).expect("engine");
    let mut state = CpuState::new(64);
    state.bytes_mut()[0..8].copy_from_slice(&entry.to_le_bytes());
    let mut space = FlatSpace {
        mem: test_memory(&[]),
        code: Vec::new(),
    };
    let exit = engine.run(&mut state, &mut space);
    (state, engine, exit)
}

fn reg(s: &CpuState, off: u32) -> u64 {
    u64::from_le_bytes(
        s.bytes()[off as usize..off as usize + 8]
            .try_into()
            .unwrap(),
    )
}

#[test]
fn loop_gives_the_same_result_on_every_tier_mix() {
    for threshold in [u32::MAX, 0, 1, 7, 50] {
        let opts = EngineOptions {
            hot_threshold: threshold,
            stats: true,
            verify_ir: true,
            ..Default::default()
        };
        let (s, engine, exit) = run(sum_loop(), 0x1000, opts);
        assert_eq!(exit, RunExit::Syscall, "threshold {threshold}");
        assert_eq!(reg(&s, 0), 0x1040, "threshold {threshold}");
        assert_eq!(reg(&s, R1), N);
        assert_eq!(reg(&s, R2), N * (N + 1) / 2, "threshold {threshold}");
        let st = engine.stats();
        assert_eq!(st.blocks_lifted, 4);
        assert_eq!(st.guest_insns(), 3 * N + 1, "threshold {threshold}: {st}");
        // With a threshold, the first loop block to get hot compiles the whole loop as one
        // region (the others ran as often); the syscall block runs once and stays
        // interpreted. At 0 each block compiles when first seen, before its successors are
        // lifted: three alone, and the last loop block with the loop behind it.
        let expected = match threshold {
            u32::MAX => 0,
            0 => 4,
            _ => 1,
        };
        assert_eq!(st.blocks_compiled, expected, "threshold {threshold}: {st}");
    }
}

#[test]
fn compiled_blocks_chain_without_the_dispatcher() {
    let opts = EngineOptions {
        hot_threshold: 0,
        stats: true,
        ..Default::default()
    };
    let (s, engine, _) = run(sum_loop(), 0x1000, opts);
    assert_eq!(reg(&s, R2), N * (N + 1) / 2);
    let st = engine.stats();
    // Three blocks per iteration run as compiled code, chained or inside a region; only the
    // first pass goes through the dispatcher.
    assert!(st.jit_blocks >= 3 * (N - 2), "{st}");
    assert!(st.dispatcher_lookups() <= 8, "{st}");
    assert!(st.chain_patches + st.dispatch_jit >= 1, "{st}");
}

#[test]
fn indirect_exits_hit_the_jump_cache() {
    let blocks = HashMap::from([
        block(0x2000, |b| {
            inc(b, R1);
            let x = b.get_reg(Type::I64, R1);
            let odd = b.and_imm(x, 1);
            let t1 = b.const64(0x2100);
            let t2 = b.const64(0x2200);
            let t = b.select(odd, t1, t2);
            Exit::Indirect { target: t }
        }),
        block(0x2100, |b| {
            inc(b, R2);
            Exit::Jump { target: 0x2300 }
        }),
        block(0x2200, |b| {
            inc(b, R3);
            Exit::Jump { target: 0x2300 }
        }),
        block(0x2300, |b| {
            let x = b.get_reg(Type::I64, R1);
            let c = b.icmp_imm(IntCC::Ult, x, N);
            Exit::Branch {
                cond: c,
                taken: 0x2000,
                not_taken: 0x2400,
            }
        }),
        block(0x2400, |_| Exit::Syscall { next: 0x2404 }),
    ]);
    let opts = EngineOptions {
        hot_threshold: 0,
        stats: true,
        ..Default::default()
    };
    let (s, engine, exit) = run(blocks, 0x2000, opts);
    assert_eq!(exit, RunExit::Syscall);
    assert_eq!((reg(&s, R2), reg(&s, R3)), (N / 2, N / 2));
    let st = engine.stats();
    assert!(st.jc_hits >= N - 4, "{st}");
    assert!(st.jc_hit_rate().unwrap() > 0.99, "{st}");
}

#[test]
fn invalidate_drops_translations_and_unlinks_chains() {
    let opts = EngineOptions {
        hot_threshold: 0,
        stats: true,
        ..Default::default()
    };
    let fe = Arc::new(IrFrontend {
        blocks: sum_loop(),
        state_size: 64,
        pc_offset: 0,
    });
    let mut engine = Engine::new(fe, opts).unwrap();
    let mut space = FlatSpace {
        mem: test_memory(&[]),
        code: Vec::new(),
    };
    let mut state = CpuState::new(64);
    state.bytes_mut()[0..8].copy_from_slice(&0x1000u64.to_le_bytes());
    assert_eq!(engine.run(&mut state, &mut space), RunExit::Syscall);
    engine.invalidate(0x1010, 4);
    assert_eq!(engine.stats().invalidated, 1);
    // Run the loop again: the dropped block is lifted and compiled anew, chains relink.
    state.bytes_mut()[0..8].copy_from_slice(&0x1000u64.to_le_bytes());
    state.bytes_mut()[R1 as usize..R1 as usize + 8].copy_from_slice(&0u64.to_le_bytes());
    state.bytes_mut()[R2 as usize..R2 as usize + 8].copy_from_slice(&0u64.to_le_bytes());
    assert_eq!(engine.run(&mut state, &mut space), RunExit::Syscall);
    assert_eq!(reg(&state, R2), N * (N + 1) / 2);
    assert_eq!(engine.stats().blocks_lifted, 5);
}

#[test]
fn fetch_faults_and_traps_return_to_the_caller() {
    let (_, _, exit) = run(HashMap::new(), 0x7000, EngineOptions::default());
    assert_eq!(exit, RunExit::FetchFault { pc: 0x7000 });
    let blocks = HashMap::from([block(0x1000, |_| Exit::Trap {
        kind: xarch_translator::ir::TrapKind::Undefined,
        pc: 0x1000,
    })]);
    let (s, _, exit) = run(
        blocks,
        0x1000,
        EngineOptions {
            hot_threshold: 0,
            ..Default::default()
        },
    );
    assert_eq!(
        exit,
        RunExit::Trap {
            kind: xarch_translator::ir::TrapKind::Undefined,
            pc: 0x1000
        }
    );
    assert_eq!(reg(&s, 0), 0x1000);
}

static READ_GUEST: xarch_translator::ir::Helper = xarch_translator::ir::Helper {
    name: "read_guest",
    func: read_guest,
};

extern "C" fn read_guest(_state: *mut u8, mem: *mut u8, a: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: reads the guest window at `a` (inside the 16 MiB test window); an unmapped page
    // faults, which is what the test wants.
    unsafe { mem.add(a as usize).cast::<u64>().read_volatile() }
}

/// Runs in a child process (see `guest_fault_kills_with_sigsegv_and_reports_the_pc`).
#[test]
fn fault_child() {
    let Ok(mode) = std::env::var("XARCH_FAULT_CHILD") else {
        return;
    };
    let threshold = if mode.ends_with("jit") { 0 } else { u32::MAX };
    let helper = mode.starts_with("helper");
    // "top": an 8-byte load that starts 4 bytes below the end of the 16 MiB window runs into
    // the guard after it, never into host memory beyond the reservation.
    let top = mode.starts_with("top");
    let addr = if top { 0xff_fffc } else { 0x50_0000 };
    let blocks = HashMap::from([(0x3000, {
        let mut b = Builder::new(0x3000);
        b.insn_start(0x3000);
        inc(&mut b, R1);
        b.insn_start(0x3004);
        let a = b.const64(addr);
        let v = if helper {
            b.call_helper(&READ_GUEST, &[a])
        } else {
            b.load(Type::I64, a, Endian::Little)
        };
        b.set_reg(R2, v);
        b.finish(Exit::Jump { target: 0x3008 }, 0x3008)
    })]);
    let fe = Arc::new(IrFrontend {
        blocks,
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
    let mut state = CpuState::new(64);
    state.bytes_mut()[0..8].copy_from_slice(&0x3000u64.to_le_bytes());
    let mut space = FlatSpace {
        mem: test_memory(&[(0x3000, 0x4000), (0xff_f000, 0x100_0000)]),
        code: Vec::new(),
    };
    engine.run(&mut state, &mut space);
    unreachable!("the load from an unmapped guest page must kill the process");
}

#[test]
fn guest_fault_kills_with_sigsegv_and_reports_the_pc() {
    use std::os::unix::process::ExitStatusExt;
    for mode in [
        "interp",
        "jit",
        "helper-interp",
        "helper-jit",
        "top-interp",
        "top-jit",
    ] {
        let accessing = if mode.starts_with("top") {
            "0x1000000"
        } else {
            "0x500000"
        };
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["fault_child", "--exact", "--nocapture", "--test-threads=1"])
            .env("XARCH_FAULT_CHILD", mode)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGSEGV),
            "{mode}: {:?}\n{err}",
            out.status
        );
        assert!(
            err.contains(&format!(
                "xarch: guest SIGSEGV at pc 0x3004 (ir-test insn at 0x3004) accessing {accessing}"
            )),
            "{mode}: {err}"
        );
    }
}

/// A loop whose block stores into its own code page: each store faults on the write-protected
/// page, the engine drops the block, lifts it again and the loop goes on.
#[test]
fn writes_to_translated_code_pages_drop_their_translations() {
    use xarch_linux::{AddressSpace, MapRequest, Prot};
    for threshold in [u32::MAX, 0] {
        let mut space = AddressSpace::new(24).unwrap();
        let req = MapRequest {
            addr: 0x10000,
            len: 0x2000,
            prot: Prot(7),
            fixed: true,
            noreplace: false,
            shared: false,
            file: None,
        };
        space.mmap(req).unwrap();
        let blocks = HashMap::from([
            block(0x10000, |b| {
                let a = b.const64(0x10800);
                let x = b.get_reg(Type::I64, R1);
                b.store(a, x, Endian::Little);
                inc(b, R1);
                let y = b.get_reg(Type::I64, R1);
                let c = b.icmp_imm(IntCC::Ult, y, 10);
                Exit::Branch {
                    cond: c,
                    taken: 0x10000,
                    not_taken: 0x11000,
                }
            }),
            block(0x11000, |_| Exit::Syscall { next: 0x11004 }),
        ]);
        let fe = Arc::new(IrFrontend {
            blocks,
            state_size: 64,
            pc_offset: 0,
        });
        let opts = EngineOptions {
            hot_threshold: threshold,
            stats: true,
            ..Default::default()
        };
        let mut engine = Engine::new(fe, opts).unwrap();
        let mut state = CpuState::new(64);
        state.bytes_mut()[0..8].copy_from_slice(&0x10000u64.to_le_bytes());
        assert_eq!(engine.run(&mut state, &mut space), RunExit::Syscall);
        let mut word = [0u8; 8];
        space.read(0x10800, &mut word).unwrap();
        assert_eq!(u64::from_le_bytes(word), 9, "threshold {threshold}");
        let st = engine.stats();
        assert_eq!(st.blocks_lifted, 11, "threshold {threshold}: {st}");
        assert_eq!(st.invalidated, 10, "threshold {threshold}: {st}");
        // The last write dropped the loop block and nothing lifted it again; the exit block's
        // page stays protected.
        assert!(!space.is_code_page(0x10000) && space.is_code_page(0x11000));
    }
}

/// A loop like `sum_loop` at `base`, adding `k` per iteration to R2, N iterations.
fn k_loop(base: u64, k: u64) -> Vec<(u64, Block)> {
    vec![
        block(base, |b| {
            inc(b, R1);
            let x = b.get_reg(Type::I64, R2);
            let y = b.add_imm(x, k);
            b.set_reg(R2, y);
            let c = b.get_reg(Type::I64, R1);
            let c = b.icmp_imm(IntCC::Ult, c, N);
            Exit::Branch {
                cond: c,
                taken: base,
                not_taken: base + 0x10,
            }
        }),
        block(base + 0x10, |_| Exit::Syscall { next: base + 0x14 }),
    ]
}

fn run_at(engine: &mut Engine, space: &mut FlatSpace, pc: u64) -> u64 {
    let mut state = CpuState::new(64);
    state.bytes_mut()[0..8].copy_from_slice(&pc.to_le_bytes());
    assert_eq!(engine.run(&mut state, space), RunExit::Syscall);
    reg(&state, R2)
}

/// Runs in a child process (see `forked_engines_keep_their_own_code`).
#[test]
fn fork_child() {
    if std::env::var("XARCH_FORK_CHILD").is_err() {
        return;
    }
    let blocks: HashMap<u64, Block> = [k_loop(0x1000, 1), k_loop(0x5000, 5), k_loop(0x6000, 6)]
        .into_iter()
        .flatten()
        .collect();
    let fe = Arc::new(IrFrontend {
        blocks,
        state_size: 64,
        pc_offset: 0,
    });
    let mut engine = Engine::new(
        fe,
        EngineOptions {
            hot_threshold: 0,
            ..Default::default()
        },
    )
    .unwrap();
    let mut space = FlatSpace {
        mem: test_memory(&[]),
        code: Vec::new(),
    };
    assert_eq!(run_at(&mut engine, &mut space, 0x1000), N);
    let (mut to_parent, mut to_child) = ([0i32; 2], [0i32; 2]);
    // SAFETY: plain pipe(2) calls into local arrays.
    unsafe {
        assert!(libc::pipe(to_parent.as_mut_ptr()) == 0 && libc::pipe(to_child.as_mut_ptr()) == 0)
    };
    let signal = |fd: i32| {
        // SAFETY: one byte through our own pipes.
        unsafe { libc::write(fd, b"x".as_ptr().cast(), 1) };
    };
    let wait = |fd: i32| {
        let mut b = 0u8;
        // SAFETY: as above.
        unsafe { libc::read(fd, (&raw mut b).cast(), 1) };
    };
    // SAFETY: the child only runs the engine and exits; the test harness threads are idle.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    // Parent and child each compile a different loop into "the same" place of the cache: the
    // child first, then the parent, then the child runs its own code again.
    let (pc, k) = if pid == 0 { (0x5000, 5) } else { (0x6000, 6) };
    if pid == 0 {
        run_at(&mut engine, &mut space, pc);
        signal(to_parent[1]);
        wait(to_child[0]);
    } else {
        wait(to_parent[0]);
        run_at(&mut engine, &mut space, pc);
        signal(to_child[1]);
    }
    let ok = (0..3).all(|_| {
        run_at(&mut engine, &mut space, pc) == k * N && run_at(&mut engine, &mut space, 0x1000) == N
    });
    if pid == 0 {
        // SAFETY: leaves the child at once, without running the harness's exit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 3 }) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(ok, "parent computed wrong results after fork");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child status {status:#x}"
    );
}

#[test]
fn forked_engines_keep_their_own_code() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["fork_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("XARCH_FORK_CHILD", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const R4: u32 = 32;
const R5: u32 = 40;

/// Doubles the guest's R4 (plus one), flips bits of R5 and returns the old R5 + the argument:
/// a helper that reads and writes fields a region keeps in host registers.
extern "C" fn bump_state(state: *mut u8, _m: *mut u8, a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    // SAFETY: the engine passes the 64-byte test state.
    unsafe {
        let r4 = state.add(R4 as usize).cast::<u64>();
        r4.write_unaligned(r4.read_unaligned().wrapping_mul(2) | 1);
        let r5 = state.add(R5 as usize).cast::<u64>();
        let old = r5.read_unaligned();
        r5.write_unaligned(old ^ 0x55);
        old.wrapping_add(a)
    }
}

static BUMP_STATE: xarch_translator::ir::Helper = xarch_translator::ir::Helper {
    name: "bump_state",
    func: bump_state,
};

/// A loop whose fields a region keeps in variables: R1 counts in its low half (64-bit and
/// 32-bit reads, 32-bit writes), R2 is read as i64 and i8 and written as i16, R3 is an f64 and an i64 at once
/// (stays in memory), a helper reads R5 and changes R4, a side exit leaves mid-block.
fn mixed_loop() -> HashMap<u64, Block> {
    HashMap::from([
        block(0x1000, |b| {
            let x = b.get_reg(Type::I64, R1);
            let lo = b.zext_or_trunc(Type::I32, x);
            let y = b.add_imm(lo, 1);
            b.set_reg(R1, y);
            let z = b.get_reg(Type::I8, R2);
            let z = b.zext_or_trunc(Type::I16, z);
            let three = b.iconst(Type::I16, 3);
            let w = b.add(z, three);
            b.set_reg(R2, w);
            // A side exit taken once, at R1 == 700.
            let x = b.get_reg(Type::I32, R1);
            let c = b.icmp_imm(IntCC::Eq, x, 700);
            b.exit_if(c, 0x1030);
            Exit::Jump { target: 0x1010 }
        }),
        block(0x1010, |b| {
            let f = b.get_reg(Type::F64, R3);
            let one = b.f64const(1.5);
            let g = b.push(Type::F64, xarch_translator::ir::Op::FAdd { a: f, b: one });
            b.set_reg(R3, g);
            let bits = b.get_reg(Type::I64, R3);
            let h = b.call_helper(&BUMP_STATE, &[bits]);
            let x = b.get_reg(Type::I64, R5);
            let s = b.add(x, h);
            let s = b.and_imm(s, 0xffff);
            b.set_reg(R5, s);
            let r4 = b.get_reg(Type::I64, R4);
            let r4 = b.add_imm(r4, 5);
            let r4 = b.and_imm(r4, 0xffff_ffff);
            b.set_reg(R4, r4);
            Exit::Jump { target: 0x1020 }
        }),
        block(0x1020, |b| {
            let x = b.get_reg(Type::I32, R1);
            let c = b.icmp_imm(IntCC::Ult, x, N);
            Exit::Branch {
                cond: c,
                taken: 0x1000,
                not_taken: 0x1040,
            }
        }),
        // Reached once through the side exit: marks R2's high bytes and rejoins the loop.
        block(0x1030, |b| {
            let x = b.get_reg(Type::I64, R2);
            let m = b.const64(0xabcd_0000_0000_0000);
            let y = b.push(Type::I64, xarch_translator::ir::Op::Or { a: x, b: m });
            b.set_reg(R2, y);
            Exit::Jump { target: 0x1010 }
        }),
        block(0x1040, |_| Exit::Syscall { next: 0x1044 }),
    ])
}

#[test]
fn regions_keep_registers_exact_across_helpers_side_exits_and_narrow_writes() {
    let seed = |s: &mut CpuState| {
        s.bytes_mut()[R1 as usize..R1 as usize + 8]
            .copy_from_slice(&0xffff_ffff_0000_0000u64.to_le_bytes());
        s.bytes_mut()[R2 as usize..R2 as usize + 8]
            .copy_from_slice(&0x1122_3344_5566_7700u64.to_le_bytes());
    };
    let mut results = Vec::new();
    for threshold in [u32::MAX, 0, 1, 7, 50] {
        let opts = EngineOptions {
            hot_threshold: threshold,
            stats: true,
            verify_ir: true,
            ..Default::default()
        };
        let fe = Arc::new(IrFrontend {
            blocks: mixed_loop(),
            state_size: 64,
            pc_offset: 0,
        });
        let mut engine = Engine::new(fe, opts).unwrap();
        let mut space = FlatSpace {
            mem: test_memory(&[]),
            code: Vec::new(),
        };
        let mut state = CpuState::new(64);
        state.bytes_mut()[0..8].copy_from_slice(&0x1000u64.to_le_bytes());
        seed(&mut state);
        assert_eq!(engine.run(&mut state, &mut space), RunExit::Syscall);
        let regs: Vec<u64> = [0, R1, R2, R3, R4, R5]
            .iter()
            .map(|&r| reg(&state, r))
            .collect();
        // The 32-bit writes kept R1's high half; the side exit marked R2 once.
        assert_eq!(regs[1], 0xffff_ffff_0000_0000 | N, "threshold {threshold}");
        assert_eq!(regs[2] >> 48, 0x1122 | 0xabcd, "threshold {threshold}");
        assert_eq!(
            f64::from_bits(regs[3]),
            1.5 * N as f64,
            "threshold {threshold}"
        );
        if threshold != u32::MAX {
            assert!(engine.stats().blocks_compiled >= 1);
        }
        results.push((threshold, regs));
    }
    for (t, r) in &results[1..] {
        assert_eq!(r, &results[0].1, "threshold {t} against the interpreter");
    }
}

#[test]
fn dropping_a_region_member_drops_the_region_code() {
    let opts = EngineOptions {
        hot_threshold: 1,
        stats: true,
        ..Default::default()
    };
    let fe = Arc::new(IrFrontend {
        blocks: sum_loop(),
        state_size: 64,
        pc_offset: 0,
    });
    let mut engine = Engine::new(fe, opts).unwrap();
    let mut space = FlatSpace {
        mem: test_memory(&[]),
        code: Vec::new(),
    };
    let mut state = CpuState::new(64);
    state.bytes_mut()[0..8].copy_from_slice(&0x1000u64.to_le_bytes());
    assert_eq!(engine.run(&mut state, &mut space), RunExit::Syscall);
    assert_eq!(engine.stats().blocks_compiled, 1, "{}", engine.stats());
    // 0x1010 is only a member of the region headed by 0x1000.
    engine.invalidate(0x1010, 4);
    assert_eq!(engine.stats().invalidated, 1);
    state.bytes_mut()[0..8].copy_from_slice(&0x1000u64.to_le_bytes());
    for r in [R1, R2] {
        state.bytes_mut()[r as usize..r as usize + 8].copy_from_slice(&0u64.to_le_bytes());
    }
    assert_eq!(engine.run(&mut state, &mut space), RunExit::Syscall);
    assert_eq!(reg(&state, R2), N * (N + 1) / 2);
    let st = engine.stats();
    // The member is lifted again, and the loop compiled again: the old region's code is
    // gone (had it stayed, the loop would have run in it with nothing compiled anew).
    assert_eq!(st.blocks_lifted, 5, "{st}");
    assert!(st.blocks_compiled >= 2, "{st}");
}

#[test]
fn a_region_member_entered_from_outside_compiles_alone_and_chains_into_the_region() {
    let opts = EngineOptions {
        hot_threshold: 1,
        stats: true,
        ..Default::default()
    };
    let fe = Arc::new(IrFrontend {
        blocks: sum_loop(),
        state_size: 64,
        pc_offset: 0,
    });
    let mut engine = Engine::new(fe, opts).unwrap();
    let mut space = FlatSpace {
        mem: test_memory(&[]),
        code: Vec::new(),
    };
    let mut state = CpuState::new(64);
    state.bytes_mut()[0..8].copy_from_slice(&0x1000u64.to_le_bytes());
    assert_eq!(engine.run(&mut state, &mut space), RunExit::Syscall);
    // One region: 0x1000 with its loop members 0x1010 and 0x1020.
    let st = engine.stats();
    assert_eq!((st.blocks_compiled, st.compiled_insns), (1, 3), "{st}");
    // Enter the loop at a member: it and the next member compile alone (one instruction
    // each), then chain into the region at 0x1000; no second copy of the loop (which would
    // make it 3 compiles of 7 instructions). The syscall block 0x1030 compiles too.
    state.bytes_mut()[0..8].copy_from_slice(&0x1010u64.to_le_bytes());
    for r in [R1, R2] {
        state.bytes_mut()[r as usize..r as usize + 8].copy_from_slice(&0u64.to_le_bytes());
    }
    assert_eq!(engine.run(&mut state, &mut space), RunExit::Syscall);
    assert_eq!(reg(&state, R2), N * (N + 1) / 2);
    let st = engine.stats();
    assert_eq!((st.blocks_compiled, st.compiled_insns), (4, 6), "{st}");
    assert_eq!(st.interp_insns, 4, "{st}");
}

/// Reads the guest's R1 from the state (and writes nothing): a read-only helper.
extern "C" fn read_r1(state: *mut u8, _m: *mut u8, a: u64, _b: u64, _c: u64, _d: u64) -> u64 {
    // SAFETY: the engine passes the 64-byte test state.
    let r1 = unsafe { state.add(R1 as usize).cast::<u64>().read_unaligned() };
    r1.wrapping_mul(3).wrapping_add(a)
}

static READ_R1: xarch_translator::ir::Helper = xarch_translator::ir::Helper {
    name: "read_r1",
    func: read_r1,
};

#[test]
fn read_only_helpers_see_region_registers_and_unused_ones_are_dropped() {
    // R1 counts (held in a host register by the region, dirty at the call), R2 sums what
    // the read-only helper reads of R1, R3 is written from an unused call's block.
    let blocks = || {
        HashMap::from([
            block(0x1000, |b| {
                let x = b.get_reg(Type::I64, R1);
                let y = b.add_imm(x, 1);
                b.set_reg(R1, y);
                let one = b.const64(1);
                let h = b.call_helper_read_only(&READ_R1, &[one]);
                let s = b.get_reg(Type::I64, R2);
                let s = b.add(s, h);
                b.set_reg(R2, s);
                // Unused: dropped by the optimiser; R1 stays in its variable after it.
                b.call_helper_read_only(&READ_R1, &[s]);
                let x = b.get_reg(Type::I64, R1);
                b.set_reg(R3, x);
                Exit::Jump { target: 0x1010 }
            }),
            block(0x1010, |b| {
                let x = b.get_reg(Type::I64, R1);
                let c = b.icmp_imm(IntCC::Ult, x, N);
                Exit::Branch {
                    cond: c,
                    taken: 0x1000,
                    not_taken: 0x1020,
                }
            }),
            block(0x1020, |_| Exit::Syscall { next: 0x1024 }),
        ])
    };
    let mut lifted = blocks()[&0x1000].clone();
    xarch_translator::opt::optimize(&mut lifted);
    let calls = lifted
        .insts
        .iter()
        .filter(|i| matches!(i.op, xarch_translator::ir::Op::CallHelperReadOnly { .. }))
        .count();
    assert_eq!(calls, 1, "{lifted}");
    for threshold in [u32::MAX, 0, 1, 7] {
        let opts = EngineOptions {
            hot_threshold: threshold,
            stats: true,
            verify_ir: true,
            ..Default::default()
        };
        let fe = Arc::new(IrFrontend {
            blocks: blocks(),
            state_size: 64,
            pc_offset: 0,
        });
        let mut engine = Engine::new(fe, opts).unwrap();
        let mut space = FlatSpace {
            mem: test_memory(&[]),
            code: Vec::new(),
        };
        let mut state = CpuState::new(64);
        state.bytes_mut()[0..8].copy_from_slice(&0x1000u64.to_le_bytes());
        assert_eq!(engine.run(&mut state, &mut space), RunExit::Syscall);
        // Σ (3 i + 1) for i = 1..N: the helper saw every new R1.
        assert_eq!(reg(&state, R1), N, "threshold {threshold}");
        assert_eq!(
            reg(&state, R2),
            3 * N * (N + 1) / 2 + N,
            "threshold {threshold}"
        );
        assert_eq!(reg(&state, R3), N, "threshold {threshold}");
        if threshold != u32::MAX {
            assert!(engine.stats().blocks_compiled >= 1);
        }
    }
}
