use super::*;

/// The decoder test vectors: `bytes | expected decoding` per line, grouped by map.
const VECTORS: &str = include_str!("../../tests/decode_vectors.txt");

fn parse_hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).expect("hex byte"))
        .collect()
}

#[test]
fn decode_vectors() {
    let mut failures = Vec::new();
    let mut n = 0;
    for (lineno, line) in VECTORS.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (bytes, want) = line.split_once('|').expect("`bytes | decoding`");
        let bytes = parse_hex(bytes);
        let want = want.split("//").next().unwrap_or("").trim();
        let got = match decode(&bytes) {
            Ok(i) => i.to_string(),
            Err(e) => format!("{e:?}"),
        };
        n += 1;
        if got != want {
            failures.push(format!(
                "line {}: {:02x?}\n  want: {want}\n  got:  {got}",
                lineno + 1,
                bytes
            ));
        }
    }
    assert!(n > 50, "too few vectors");
    assert!(
        failures.is_empty(),
        "{} of {n} vectors differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// xorshift64*: a tiny deterministic generator for property tests.
pub(crate) struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn decode_does_not_panic() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let runs: usize = std::env::var("XARCH_FUZZ_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    for _ in 0..runs {
        let len = (rng.next() % 17) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if let Ok(i) = decode(&bytes) {
            assert!(i.len as usize <= bytes.len() && i.len as usize <= MAX_LEN);
        }
    }
}

/// Every instruction both xarch and capstone decode has the same length in both. Random
/// bytes biased toward prefixes, REX, escapes and ModRM forms that exercise SIB and disp.
#[test]
fn lengths_agree_with_capstone() {
    let mut rng = Rng(0xfeed_f00d_dead_beef);
    let prefixes = [
        0x66u8, 0x67, 0xf2, 0xf3, 0xf0, 0x64, 0x65, 0x48, 0x41, 0x4c, 0x0f,
    ];
    let mut compared = 0;
    let mut diffs = Vec::new();
    for _ in 0..50_000 {
        let mut bytes = Vec::new();
        while rng.next().is_multiple_of(3) {
            bytes.push(prefixes[(rng.next() % prefixes.len() as u64) as usize]);
        }
        while bytes.len() < 15 {
            bytes.push(rng.next() as u8);
        }
        let (Ok(ours), Some(theirs)) = (decode(&bytes), crate::disasm::length(&bytes)) else {
            continue;
        };
        // Where the manuals disagree with capstone: UD0/UD1 take a ModRM byte (SDM), and a 66
        // prefix does not shrink a near branch's rel32 in 64-bit mode on Intel CPUs.
        let ud = ours.map == Map::M0F && matches!(ours.opcode, 0xb9 | 0xff);
        let branch = ours.opsize_prefix
            && (ours.map == Map::M0F && (0x80..=0x8f).contains(&ours.opcode)
                || ours.map == Map::Primary && matches!(ours.opcode, 0xe8 | 0xe9));
        if ud || branch {
            continue;
        }
        compared += 1;
        if ours.len as usize != theirs && diffs.len() < 20 {
            diffs.push(format!(
                "{:02x?}: xarch {} capstone {} ({})",
                &bytes[..theirs.max(ours.len as usize)],
                ours.len,
                theirs,
                crate::disasm::disassemble(0, &bytes)
            ));
        }
    }
    assert!(compared > 10_000, "only {compared} compared");
    assert!(diffs.is_empty(), "length mismatches:\n{}", diffs.join("\n"));
}
