//! The A64 decoder: declarative tables, one line per encoding, grouped as the ARM ARM's
//! encoding index (C4.1) groups them, one file per group.
//!
//! ```text
//!   u32 word ──► TABLES (dp_imm, branch, ldst, dp_reg, fp, simd) ──► &Encoding ──► lift fn
//!                first entry whose fixed bits match wins
//! ```
//!
//! Each entry is written as the manual draws it: a 32-character bit pattern, most significant
//! bit first, with `0`/`1` for fixed bits and the manual's field letters (or `-`) for the rest:
//!
//! ```text
//! inst!(ADD_imm, "ADD (immediate)", "z0010001ssiiiiiiiiiiiinnnnnddddd", dp_imm::add_sub_imm)
//! ```
//!
//! The pattern is compiled at build time to a (mask, value) pair. Lift functions take the
//! fields out of the word themselves (`bits`, `bit`); what a pattern cannot express (an
//! unallocated field value) they reject with `Err(TrapKind::Undefined)` before emitting IR.
//!
//! Overlaps: where two entries match the same word, the earlier one must be the more
//! specific (its fixed bits a strict superset of the later one's), e.g. an alias carved out
//! of a wider encoding. The `tables_have_no_unordered_overlaps` test enforces that.
//!
//! Encodings not implemented are kept visible as commented `// inst!` lines in the group's
//! file. A word that matches no entry is `Unimplemented` if capstone knows it (a real
//! instruction that xarch lacks) and `Undefined` otherwise (see `lib.rs`).

pub mod branch;
pub mod dp_imm;
pub mod dp_reg;
pub mod ldst;
// The FP/SIMD engineer's groups:
pub mod fp;
pub mod simd;

use crate::lift::LiftFn;
use std::sync::OnceLock;

/// One encoding: its name, the manual's title, fixed bits, and the function that lifts it.
pub struct Encoding {
    /// Short identifier, as in the table line (`ADD_imm`).
    pub name: &'static str,
    /// The manual's title of the encoding (`ADD (immediate)`).
    pub title: &'static str,
    /// Which bits are fixed.
    pub mask: u32,
    /// The fixed bits' values.
    pub value: u32,
    pub lift: LiftFn,
}

impl Encoding {
    pub fn matches(&self, word: u32) -> bool {
        word & self.mask == self.value
    }
}

impl std::fmt::Debug for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, mask {:#010x} value {:#010x})",
            self.name, self.title, self.mask, self.value
        )
    }
}

/// All tables, consulted in order.
pub static TABLES: &[&[Encoding]] = &[
    dp_imm::TABLE,
    branch::TABLE,
    ldst::TABLE,
    dp_reg::TABLE,
    fp::TABLE,
    simd::TABLE,
];

/// The encoding of `word`, or None if no table has it: the first entry, in table order, that
/// matches.
pub fn decode(word: u32) -> Option<&'static Encoding> {
    let index = INDEX.get_or_init(build_index);
    index[(word >> INDEX_SHIFT) as usize]
        .iter()
        .copied()
        .find(|e| e.matches(word))
}

/// The same answer as [`decode`] by scanning every table: the reference the index is tested
/// against.
pub fn decode_linear(word: u32) -> Option<&'static Encoding> {
    TABLES
        .iter()
        .flat_map(|t| t.iter())
        .find(|e| e.matches(word))
}

/// The index looks at the top 11 bits (31..21), where most A64 encodings have their fixed
/// bits: each bucket lists, in table order, the entries whose fixed bits there agree with the
/// bucket's. A scan of every table costs about 50 ns per word; a bucket holds a few entries.
const INDEX_SHIFT: u32 = 21;
static INDEX: OnceLock<Vec<Vec<&'static Encoding>>> = OnceLock::new();

fn build_index() -> Vec<Vec<&'static Encoding>> {
    let buckets = 1u32 << (32 - INDEX_SHIFT);
    (0..buckets)
        .map(|b| {
            let top = b << INDEX_SHIFT;
            TABLES
                .iter()
                .flat_map(|t| t.iter())
                .filter(|e| (e.value ^ top) & e.mask & (u32::MAX << INDEX_SHIFT) == 0)
                .collect()
        })
        .collect()
}

/// The mask of a bit pattern: 1 where the pattern has `0` or `1`.
pub const fn pattern_mask(p: &str) -> u32 {
    let b = p.as_bytes();
    assert!(b.len() == 32, "an A64 bit pattern has 32 characters");
    let mut m = 0u32;
    let mut i = 0;
    while i < 32 {
        if b[i] == b'0' || b[i] == b'1' {
            m |= 1 << (31 - i);
        }
        i += 1;
    }
    m
}

/// The value of a bit pattern: 1 where the pattern has `1`.
pub const fn pattern_value(p: &str) -> u32 {
    let b = p.as_bytes();
    assert!(b.len() == 32, "an A64 bit pattern has 32 characters");
    let mut v = 0u32;
    let mut i = 0;
    while i < 32 {
        if b[i] == b'1' {
            v |= 1 << (31 - i);
        }
        i += 1;
    }
    v
}

/// One table line: `inst!(NAME, "Manual title", "bit pattern", lift_fn)`.
#[macro_export]
macro_rules! inst {
    ($name:ident, $title:literal, $pat:literal, $lift:path) => {
        $crate::decode::Encoding {
            name: stringify!($name),
            title: $title,
            mask: const { $crate::decode::pattern_mask($pat) },
            value: const { $crate::decode::pattern_value($pat) },
            lift: $lift,
        }
    };
}

/// Bits `hi..=lo` of `w`, right-aligned.
#[inline]
pub const fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1u32 << (hi - lo + 1)) - 1)
}

/// Bit `i` of `w`.
#[inline]
pub const fn bit(w: u32, i: u32) -> bool {
    (w >> i) & 1 != 0
}

/// Sign-extends the low `width` bits of `v` to an i64.
#[inline]
pub const fn sext(v: u64, width: u32) -> i64 {
    ((v << (64 - width)) as i64) >> (64 - width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_to_mask_and_value() {
        let p = "z0010001ssiiiiiiiiiiiinnnnnddddd";
        assert_eq!(pattern_mask(p), 0x7f00_0000);
        assert_eq!(pattern_value(p), 0x1100_0000);
        assert_eq!(bits(0x9100_0420, 9, 5), 1);
        assert_eq!(sext(0x3ff_ffff, 26), -1);
    }

    /// Two entries that can match the same word must be ordered: the earlier one more
    /// specific than the later one. Anything else is an accidental overlap.
    #[test]
    fn tables_have_no_unordered_overlaps() {
        let all: Vec<&Encoding> = TABLES.iter().flat_map(|t| t.iter()).collect();
        let mut bad = Vec::new();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                let common = a.mask & b.mask;
                let overlap = (a.value ^ b.value) & common == 0;
                let ordered = a.mask & b.mask == b.mask && a.mask != b.mask;
                if overlap && !ordered {
                    bad.push(format!("{a:?} overlaps the later {b:?}"));
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    #[test]
    fn index_agrees_with_a_linear_scan() {
        let all: Vec<&Encoding> = TABLES.iter().flat_map(|t| t.iter()).collect();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Random words, and words from the entries' own patterns so every bucket is hit.
            let e = all[(x >> 40) as usize % all.len()];
            let w = if i % 2 == 0 {
                x as u32
            } else {
                (x as u32 & !e.mask) | e.value
            };
            let a = decode(w).map(|e| e as *const Encoding);
            let b = decode_linear(w).map(|e| e as *const Encoding);
            assert_eq!(a, b, "{w:#010x}");
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = TABLES
            .iter()
            .flat_map(|t| t.iter())
            .map(|e| e.name)
            .collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate encoding names");
    }
}
