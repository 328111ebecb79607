//! Differential test against qemu-aarch64: random sequences of the integer instruction classes
//! (data processing immediate and register, CRC32, forward conditional branches, loads and
//! stores of every size and addressing mode into a scratch buffer, FEAT_LSE atomics on aligned
//! addresses in it), each started from random registers,
//! flags and memory, wrapped in one static program that stores x0..x30 and NZCV after every
//! sequence and writes them, with the scratch buffers, to stdout. The same ELF runs under `qemu-aarch64`
//! and under `target/release/xarch run`; the outputs must be identical.
//!
//! Needs `aarch64-linux-gnu-as`/`-ld`, `qemu-aarch64` and a release build of `xarch`
//! (`cargo build --release`); it fails, naming what to install, when one is missing. 300 sequences by
//! default, `XARCH_DIFF_SEQS=<n>` for more, `XARCH_DIFF_SEED=<n>` for another seed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use xarch_isa_aarch64::state;
use xarch_isa_aarch64::{Aarch64, decode};
use xarch_translator::ir::{Exit, Op};
use xarch_translator::testing::Rng;
use xarch_translator::{CodeBuffer, Frontend};

const SEQ_LEN: usize = 12;
/// Bytes per sequence in the data area: 32 initial words, 32 result words, the scratch buffer.
const SLOT: usize = 512 + SCRATCH;
/// Scratch memory per sequence; x28 points at its middle and is never a destination.
const SCRATCH: usize = 1024;
/// The base register of the memory instructions.
const BASE: u32 = 28;

/// Register values for the random states, on the shared generator.
trait Values {
    fn value(&mut self) -> u64;
}

impl Values for Rng {
    /// Register values that hit the edge cases of flags, shifts and division.
    fn value(&mut self) -> u64 {
        const SPECIAL: [u64; 10] = [
            0,
            1,
            2,
            u64::MAX,
            1 << 63,
            (1 << 63) - 1,
            0xffff_ffff,
            0x8000_0000,
            0x7fff_ffff,
            63,
        ];
        match self.below(4) {
            0 => SPECIAL[self.below(SPECIAL.len() as u64) as usize],
            1 => self.below(128),
            _ => self.next(),
        }
    }
}

/// The encodings the sequences draw from: the integer data-processing tables.
fn candidates() -> Vec<&'static decode::Encoding> {
    decode::dp_imm::TABLE
        .iter()
        .chain(decode::dp_reg::TABLE.iter())
        .filter(|e| !matches!(e.name, "ADR" | "ADRP"))
        .collect()
}

/// A word is usable if it lifts without a trap, within one block, and leaves SP alone (SP
/// points at the harness's data slot).
fn usable(word: u32) -> bool {
    let bytes = word.to_le_bytes();
    let code = CodeBuffer {
        base: 0x1000,
        bytes: &bytes,
    };
    let Ok(block) = Aarch64.lift(0x1000, &code) else {
        return false;
    };
    if matches!(block.exit, Exit::Trap { .. }) {
        return false;
    }
    !block
        .insts
        .iter()
        .any(|i| matches!(i.op, Op::GetReg { off } | Op::SetReg { off, .. } if off == state::SP))
}

/// The load/store encodings the sequences draw from, by name.
const MEMORY: [&str; 8] = [
    "LDST_uimm",
    "LDST_imm9",
    "LDST_reg",
    "STP",
    "LDP",
    "LDPSW",
    "STP_fp",
    "LDP_fp",
];

/// A random load or store with base x28, small offsets (writeback keeps x28 inside the
/// scratch buffer for a whole sequence) and no transfer register that is x28.
fn memory_word(rng: &mut Rng) -> Option<u32> {
    let name = MEMORY[rng.below(MEMORY.len() as u64) as usize];
    let e = decode::TABLES
        .iter()
        .flat_map(|t| t.iter())
        .find(|e| e.name == name)
        .expect("table entry");
    let mut w = (rng.next() as u32 & !e.mask) | e.value;
    w = (w & !(31 << 5)) | BASE << 5;
    let pair = name.contains('P');
    match name {
        "LDST_uimm" => w = (w & !(0xfff << 10)) | (rng.below(4) as u32) << 10,
        "LDST_imm9" => {
            w = (w & !(0x1ff << 12)) | (((rng.below(65) as i32 - 32) as u32) & 0x1ff) << 12
        }
        "LDST_reg" => w |= 31 << 16, // offset register XZR: the extend/shift forms of zero
        _ => w = (w & !(0x7f << 15)) | (((rng.below(9) as i32 - 4) as u32) & 0x7f) << 15,
    }
    let (rt, rt2) = (w & 31, (w >> 10) & 31);
    let load = if pair {
        w >> 22 & 1 == 1
    } else {
        w >> 22 & 3 != 0
    };
    if rt == BASE || (pair && (rt2 == BASE || (load && rt == rt2))) {
        return None;
    }
    Some(w)
}

/// A random register other than the base register x28 (x31 when `zr`: XZR).
fn reg(rng: &mut Rng, zr: bool) -> u32 {
    loop {
        let r = rng.below(if zr { 32 } else { 31 }) as u32;
        if r != BASE {
            return r;
        }
    }
}

/// A random FEAT_LSE atomic (CAS, CASP, LDADD…LDUMIN, SWP, any size and ordering) as a short
/// unit: `and xK, x28, #~15` gives an aligned address in the scratch buffer (LSE atomics
/// fault on misaligned addresses), and for half of the compare-and-swaps a load of the
/// compared register(s) from it first, so that the swap succeeds.
fn atomic_unit(rng: &mut Rng) -> Vec<u32> {
    let k = reg(rng, false);
    let mut unit = vec![0x927c_ef80 | BASE << 5 | k]; // and xK, x28, #0xfffffffffffffff0
    let (rs, rt) = (reg(rng, false), reg(rng, true));
    let order = (rng.below(4) as u32) << 22; // A/R (L/o0 for CAS: bits 22 and 15, see below)
    match rng.below(4) {
        0 | 1 => {
            // LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN (o3 = 0), SWP (o3:opc = 1000)
            let op = rng.below(9) as u32;
            let op = if op == 8 { 0b1000 } else { op };
            let size = rng.below(4) as u32;
            unit.push(0x3820_0000 | size << 30 | order | rs << 16 | op << 12 | k << 5 | rt);
        }
        2 => {
            // CAS{A,L,AL}{B,H,,}: ss0010001L1sssssO11111nnnnnttttt
            let size = rng.below(4) as u32;
            if rs != k && rng.below(2) == 0 {
                unit.push(0xf940_0000 | k << 5 | rs); // ldr xS, [xK]
            }
            let (l, o0) = (rng.below(2) as u32, rng.below(2) as u32);
            unit.push(0x08a0_7c00 | size << 30 | l << 22 | rs << 16 | o0 << 15 | k << 5 | rt);
        }
        _ => {
            // CASP{A,L,AL} of words or doublewords: even Rs and Rt, neither pair holding x28
            let even = |rng: &mut Rng| loop {
                let r = 2 * rng.below(16) as u32;
                if r != BASE {
                    return r;
                }
            };
            let (rs, rt) = (even(rng), even(rng));
            let sz = rng.below(2) as u32;
            if rs != k && rs + 1 != k && rng.below(2) == 0 {
                // ldp wS/xS, wS+1/xS+1, [xK]
                unit.push(0x2940_0000 | sz << 31 | (rs + 1) << 10 | k << 5 | rs);
            }
            let (l, o0) = (rng.below(2) as u32, rng.below(2) as u32);
            unit.push(0x0820_7c00 | sz << 30 | l << 22 | rs << 16 | o0 << 15 | k << 5 | rt);
        }
    }
    unit
}

fn random_sequence(rng: &mut Rng, encs: &[&'static decode::Encoding]) -> Vec<u32> {
    let mut seq = Vec::with_capacity(SEQ_LEN);
    let mut after_branch = false;
    while seq.len() < SEQ_LEN {
        // One in ten, not after a branch (it would skip the address computation): an atomic.
        if !after_branch && rng.below(10) == 0 {
            let unit = atomic_unit(rng);
            if unit.iter().all(|&w| usable(w)) {
                seq.extend(unit);
            }
            continue;
        }
        // One in eight: a forward branch over the next instruction (never the last one).
        if seq.len() + 1 < SEQ_LEN && rng.below(8) == 0 {
            after_branch = true;
            let rt = rng.below(31) as u32;
            let w = match rng.below(3) {
                0 => 0x5400_0040 | rng.below(16) as u32, // b.<cond> .+8
                1 => 0x3400_0040 | (rng.below(2) as u32) << 24 | (rng.below(2) as u32) << 31 | rt, // cb(n)z .+8
                _ => {
                    let b = rng.below(64) as u32;
                    0x3600_0040 | (b >> 5) << 31 | (rng.below(2) as u32) << 24 | (b & 31) << 19 | rt
                    // tb(n)z .+8
                }
            };
            seq.push(w);
            continue;
        }
        let w = if rng.below(4) == 0 {
            match memory_word(rng) {
                Some(w) => w,
                None => continue,
            }
        } else {
            let e = encs[rng.below(encs.len() as u64) as usize];
            let w = (rng.next() as u32 & !e.mask) | e.value;
            // Data processing never writes the base register.
            if w & 31 == BASE {
                continue;
            }
            w
        };
        if usable(w) {
            seq.push(w);
            after_branch = false;
        }
    }
    seq
}

fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn xarch_binary() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/xarch");
    p.is_file().then_some(p)
}

/// The harness program: for each sequence, load the registers and NZCV from its slot, run it,
/// store the registers and NZCV back; at the end write the whole data area to stdout.
fn program(seqs: &[Vec<u32>], inits: &[Vec<u64>]) -> String {
    let mut s = String::from(".text\n.global _start\n_start:\n");
    for (k, seq) in seqs.iter().enumerate() {
        let _ = writeln!(
            s,
            "  adrp x0, slots + {o}\n  add x0, x0, :lo12:slots + {o}\n  mov sp, x0",
            o = k * SLOT
        );
        s.push_str("  ldr x0, [sp, #248]\n  msr nzcv, x0\n");
        for r in (0..30).step_by(2) {
            let _ = writeln!(s, "  ldp x{r}, x{}, [sp, #{}]", r + 1, r * 8);
        }
        s.push_str("  ldr x30, [sp, #240]\n");
        let _ = writeln!(s, "  add x{BASE}, sp, #{}", 512 + SCRATCH / 2);
        for w in seq {
            let _ = writeln!(s, "  .inst {w:#010x}");
        }
        for r in (0..30).step_by(2) {
            let _ = writeln!(s, "  stp x{r}, x{}, [sp, #{}]", r + 1, 256 + r * 8);
        }
        s.push_str("  str x30, [sp, #496]\n  mrs x0, nzcv\n  str x0, [sp, #504]\n");
    }
    let _ = writeln!(
        s,
        "  mov x0, #1\n  adrp x1, slots\n  add x1, x1, :lo12:slots\n  ldr x2, ={}\n  mov x8, #64\n  svc #0\n  mov x0, #0\n  mov x8, #93\n  svc #0\n  .ltorg",
        seqs.len() * SLOT
    );
    s.push_str(".data\n.balign 4096\nslots:\n");
    for init in inits {
        for v in init {
            let _ = writeln!(s, "  .quad {v:#x}");
        }
        let _ = writeln!(s, "  .fill 32, 8, 0");
        for v in &init[32..] {
            let _ = writeln!(s, "  .quad {v:#x}");
        }
    }
    s
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn random_integer_sequences_match_qemu() {
    let (Some(asm), Some(ld), Some(qemu)) = (
        tool("aarch64-linux-gnu-as"),
        tool("aarch64-linux-gnu-ld"),
        tool("qemu-aarch64"),
    ) else {
        panic!(
            "needs aarch64-linux-gnu-as, aarch64-linux-gnu-ld and qemu-aarch64 \
             (apt-get install binutils-aarch64-linux-gnu qemu-user, or run `make deps`)"
        );
    };
    let Some(xarch) = xarch_binary() else {
        panic!("needs target/release/xarch: run `cargo build --release` first");
    };
    let n: usize = std::env::var("XARCH_DIFF_SEQS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("XARCH_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x05ee_da64);
    let mut rng = Rng(seed | 1);
    let encs = candidates();
    let seqs: Vec<Vec<u32>> = (0..n).map(|_| random_sequence(&mut rng, &encs)).collect();
    let inits: Vec<Vec<u64>> = (0..n)
        .map(|_| {
            let mut a = vec![0u64; 32 + SCRATCH / 8];
            for v in a.iter_mut().take(31) {
                *v = rng.value();
            }
            a[31] = rng.below(16) << 28;
            for v in a[32..].iter_mut() {
                *v = rng.next();
            }
            a
        })
        .collect();

    let dir = std::env::temp_dir().join(format!("xarch-a64-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (src, obj, elf) = (dir.join("p.s"), dir.join("p.o"), dir.join("p"));
    std::fs::write(&src, program(&seqs, &inits)).unwrap();
    run(Command::new(asm).arg("-o").arg(&obj).arg(&src));
    run(Command::new(ld)
        .arg("-static")
        .arg("-o")
        .arg(&elf)
        .arg(&obj));
    let want = run(Command::new(qemu).arg(&elf));
    // Default tiers (these sequences run once: the interpreter), then every block compiled.
    let runs: Vec<(&str, Vec<u8>)> = [vec![], vec!["--hot-threshold", "0"]]
        .into_iter()
        .map(|opts| {
            let label = if opts.is_empty() {
                "xarch run"
            } else {
                "xarch run --hot-threshold 0"
            };
            (
                label,
                run(Command::new(&xarch).arg("run").args(&opts).arg(&elf)),
            )
        })
        .collect();
    assert_eq!(want.len(), n * SLOT, "qemu output size");
    let _ = std::fs::remove_dir_all(&dir);
    for (label, got) in &runs {
        compare(label, &want, got, &seqs, &inits);
    }
}

fn compare(label: &str, want: &[u8], got: &[u8], seqs: &[Vec<u32>], inits: &[Vec<u64>]) {
    let n = seqs.len();

    let word = |b: &[u8], k: usize, i: usize| {
        let o = k * SLOT + 256 + i * 8;
        u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
    };
    // Guard against a vacuous harness: the sequences must have changed most register files.
    let changed = (0..n)
        .filter(|&k| (0..31).any(|i| i != BASE as usize && word(want, k, i) != inits[k][i]))
        .count();
    assert!(
        changed * 10 >= n * 9,
        "only {changed} of {n} sequences changed a register under qemu"
    );
    let stored = (0..n)
        .filter(|&k| (32..32 + SCRATCH / 8).any(|i| word(want, k, i) != inits[k][i]))
        .count();
    assert!(
        stored * 2 >= n,
        "only {stored} of {n} sequences stored to memory under qemu"
    );
    let mut report = Vec::new();
    assert_eq!(got.len(), want.len(), "{label}: output size");
    for k in 0..n {
        let diffs: Vec<String> = (0..32 + SCRATCH / 8)
            .filter(|&i| word(want, k, i) != word(got, k, i))
            .map(|i| {
                let name = match i {
                    31 => "nzcv".to_string(),
                    32.. => format!("scratch[{:#x}]", (i - 32) * 8),
                    _ => format!("x{i}"),
                };
                format!(
                    "{name}: qemu {:#x}, xarch {:#x}",
                    word(want, k, i),
                    word(got, k, i)
                )
            })
            .collect();
        if !diffs.is_empty() {
            let listing: Vec<String> = seqs[k]
                .iter()
                .map(|w| format!("    {w:08x}  {}", Aarch64.disassemble(0, &w.to_le_bytes())))
                .collect();
            report.push(format!(
                "sequence {k} (initial {:x?}):\n{}\n  {}",
                inits[k],
                listing.join("\n"),
                diffs.join("\n  ")
            ));
        }
    }
    assert!(
        report.is_empty(),
        "{label}: {} of {n} sequences differ:\n{}",
        report.len(),
        report
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
