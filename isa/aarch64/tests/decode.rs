//! Decoder properties: the test vectors in `decode_vectors.txt` decode to the encoding named
//! there, and no word makes the decoder or the lifter panic or produce an invalid block.

use xarch_isa_aarch64::{Aarch64, decode};
use xarch_translator::ir::{self, Exit};
use xarch_translator::testing::Rng;
use xarch_translator::{CodeBuffer, Frontend};

fn vectors() -> Vec<(u32, String, String)> {
    let text = include_str!("decode_vectors.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut it = l.splitn(3, char::is_whitespace);
            let word = u32::from_str_radix(it.next().unwrap(), 16).expect("hex word");
            let rest = it.next().unwrap().to_string();
            let asm = it.collect::<String>().trim().to_string();
            (word, rest, asm)
        })
        .collect()
}

#[test]
fn decode_vectors() {
    let mut bad = Vec::new();
    let v = vectors();
    assert!(v.len() > 100);
    for (word, name, asm) in &v {
        let got = decode::decode(*word).map(|e| e.name).unwrap_or("(none)");
        if got != name {
            bad.push(format!("{word:08x} {asm}: expected {name}, decoded {got}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Every vector lifts to a block that passes the IR verifier and does not trap.
#[test]
fn vectors_lift_and_verify() {
    for (word, name, asm) in vectors() {
        let bytes = word.to_le_bytes();
        let code = CodeBuffer {
            base: 0x10000,
            bytes: &bytes,
        };
        let block = Aarch64.lift(0x10000, &code).expect("lift");
        ir::verify(&block).unwrap_or_else(|e| panic!("{word:08x} {asm} ({name}): {e}"));
        if name != "BRK" && name != "UDF" {
            assert!(
                !matches!(block.exit, Exit::Trap { .. }),
                "{word:08x} {asm}: {:?}",
                block.exit
            );
        }
    }
}

/// Random words (and words from every decode table's pattern with random fields) never
/// panic the decoder or lifter, and every lifted block verifies. Set
/// `XARCH_FUZZ_WORDS` for more than the default 200 000.
#[test]
fn decode_does_not_panic() {
    let n: usize = std::env::var("XARCH_FUZZ_WORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let encodings: Vec<_> = decode::TABLES.iter().flat_map(|t| t.iter()).collect();
    for i in 0..n {
        let r = rng.next() as u32;
        // Half the words fill an encoding's free fields at random, so every lifter is hit.
        let word = if i % 2 == 0 {
            r
        } else {
            let e = encodings[(rng.next() as usize) % encodings.len()];
            (r & !e.mask) | e.value
        };
        let bytes = word.to_le_bytes();
        let code = CodeBuffer {
            base: 0x4000,
            bytes: &bytes,
        };
        let block = Aarch64.lift(0x4000, &code).expect("lift");
        ir::verify(&block).unwrap_or_else(|e| panic!("{word:08x}: {e}"));
    }
}
