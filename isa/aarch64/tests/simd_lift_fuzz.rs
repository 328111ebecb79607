//! Property: every word of the FP and Advanced SIMD encoding classes lifts without a panic to
//! IR that passes the verifier, and the IR of every word that does not trap compiles with
//! Cranelift (no op shape the x86 backend rejects) and runs on both tiers to the same state.
//!
//! Words are drawn at random inside each table entry of `decode::fp` and `decode::simd` (fixed
//! bits kept, the rest random). `XARCH_FUZZ_WORDS` sets the words per entry (default 60).

use xarch_isa_aarch64::Aarch64;
use xarch_isa_aarch64::decode::{Encoding, fp, simd};
use xarch_isa_aarch64::state::{self, CpuState};
use xarch_translator::StateBytes;
use xarch_translator::ir::{self, Exit};
use xarch_translator::testing::Rng;
use xarch_translator::{CodeBuffer, Frontend, testing};

const PC: u64 = 0x1000;
const DATA: u64 = 0x10000;

#[test]
fn fp_and_simd_words_lift_verify_compile_and_agree() {
    let per_entry: usize = std::env::var("XARCH_FUZZ_WORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let mem = testing::test_memory(&[(DATA, DATA + 0x1000)]);
    let entries: Vec<&Encoding> = fp::TABLE.iter().chain(simd::TABLE.iter()).collect();
    let mut failures = Vec::new();
    let (mut lifted, mut trapped) = (0, 0);
    for e in entries {
        for _ in 0..per_entry {
            let mut word = (rng.next() as u32 & !e.mask) | e.value;
            // Structure loads/stores: base register x15 (the data page), post-index by
            // immediate, so the access stays inside the mapped page.
            let ldst = e.name.starts_with("LDST");
            if ldst {
                word = (word & !(0x1f << 5)) | (15 << 5);
                word |= 0x1f << 16;
            }
            let bytes = word.to_le_bytes();
            let code = CodeBuffer {
                base: PC,
                bytes: &bytes,
            };
            let block = match std::panic::catch_unwind(|| Aarch64.lift(PC, &code)) {
                Ok(Ok(b)) => b,
                Ok(Err(err)) => {
                    failures.push(format!("{word:#010x} ({}): lift error {err}", e.name));
                    continue;
                }
                Err(_) => {
                    failures.push(format!("{word:#010x} ({}): lift panicked", e.name));
                    continue;
                }
            };
            if let Err(err) = ir::verify(&block) {
                failures.push(format!("{word:#010x} ({}): {err}", e.name));
                continue;
            }
            if matches!(block.exit, Exit::Trap { .. }) {
                trapped += 1;
                continue;
            }
            lifted += 1;
            let mut s = CpuState::default();
            s.pc = PC;
            for (i, v) in s.v.iter_mut().enumerate() {
                *v = (rng.next() as u128) << 64 | rng.next() as u128 | i as u128;
            }
            for x in s.x.iter_mut() {
                *x = rng.next() % 256;
            }
            s.x[15] = DATA + 0x100;
            // Stores of registers are idempotent, so the shared memory is fine.
            if let Err(err) = testing::compare_tiers(&block, s.as_bytes(), &mem, state::PC) {
                let first = err.lines().take(3).collect::<Vec<_>>().join(" | ");
                failures.push(format!("{word:#010x} ({}): {first}", e.name));
            }
        }
    }
    eprintln!("{lifted} words lifted and run, {trapped} trapped (unallocated or unimplemented)");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
