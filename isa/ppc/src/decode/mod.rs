//! The PowerPC decoder: declarative tables, one line per instruction form, grouped as the
//! Power ISA's books group them, one file per group:
//!
//! ```text
//!   u32 word ──► bucket of its primary opcode (bits 0..5) ──► first form whose fixed bits
//!                match ──► &Form ──► lift fn
//!   branch.rs  Book I ch. 2 (branch facility, CR logical, sc)
//!   fixed.rs   Book I ch. 3 (fixed-point: loads/stores, arithmetic, compare, logical,
//!              rotate/shift, move to/from SPR)
//!   fp.rs      Book I ch. 4 (floating-point)
//!   vector.rs  Book I ch. 6/7 (VMX, VSX: the subset implemented)
//!   storage.rs Book II (storage control, synchronisation, cache management, time base)
//! ```
//!
//! A line names the form by its primary opcode and extended opcode through a form helper
//! that knows where the form keeps its extended opcode (`x(31, 266)` is an X-form with
//! XO=266 in bits 21..30). Bits a lifter reads (Rc, OE, register fields) are left free; the
//! lifter rejects what a table line cannot express before emitting any IR.

pub mod branch;
pub mod fixed;
pub mod fp;
pub mod storage;
pub mod vector;

use crate::lift::LiftFn;
use std::sync::OnceLock;

/// One instruction form: name, fixed bits and the function that lifts it.
pub struct Form {
    /// The base mnemonic (`add`, `rlwinm`); record/overflow variants share the line.
    pub name: &'static str,
    pub mask: u32,
    pub value: u32,
    /// Exists only in 64-bit implementations (doubleword forms).
    pub only64: bool,
    pub lift: LiftFn,
}

impl Form {
    pub fn matches(&self, word: u32) -> bool {
        word & self.mask == self.value
    }
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (mask {:#010x} value {:#010x})",
            self.name, self.mask, self.value
        )
    }
}

/// Fixed bits of a form: (mask, value).
pub type Bits = (u32, u32);

const OPCD: u32 = 0xfc00_0000;

/// D-, I-, B-, M-form: the primary opcode only.
pub const fn op(p: u32) -> Bits {
    (OPCD, p << 26)
}
/// X-, XL-, XFX-, XFL-form: extended opcode in bits 21..30.
pub const fn x(p: u32, xo: u32) -> Bits {
    (OPCD | 0x7fe, p << 26 | xo << 1)
}
/// X-form with a fixed Rc bit (`stwcx.`).
pub const fn x_rc(p: u32, xo: u32, rc: u32) -> Bits {
    (OPCD | 0x7ff, p << 26 | xo << 1 | rc)
}
/// XO-form: extended opcode in bits 22..30 (OE and Rc free).
pub const fn xo(p: u32, xo: u32) -> Bits {
    (OPCD | 0x3fe, p << 26 | xo << 1)
}
/// XS-form (`sradi`): extended opcode in bits 21..29.
pub const fn xs(p: u32, xo: u32) -> Bits {
    (OPCD | 0x7fc, p << 26 | xo << 2)
}
/// MD-form: extended opcode in bits 27..29.
pub const fn md(p: u32, xo: u32) -> Bits {
    (OPCD | 0x1c, p << 26 | xo << 2)
}
/// MDS-form: extended opcode in bits 27..30.
pub const fn mds(p: u32, xo: u32) -> Bits {
    (OPCD | 0x1e, p << 26 | xo << 1)
}
/// DS-form: extended opcode in bits 30..31.
pub const fn ds(p: u32, xo: u32) -> Bits {
    (OPCD | 0x3, p << 26 | xo)
}
/// A-form: extended opcode in bits 26..30.
pub const fn a(p: u32, xo: u32) -> Bits {
    (OPCD | 0x3e, p << 26 | xo << 1)
}
/// VX-form: extended opcode in bits 21..31.
pub const fn vx(p: u32, xo: u32) -> Bits {
    (OPCD | 0x7ff, p << 26 | xo)
}
/// VC-form: extended opcode in bits 22..31 (Rc in bit 21 free).
pub const fn vc(p: u32, xo: u32) -> Bits {
    (OPCD | 0x3ff, p << 26 | xo)
}
/// VA-form: extended opcode in bits 26..31.
pub const fn va(p: u32, xo: u32) -> Bits {
    (OPCD | 0x3f, p << 26 | xo)
}
/// XX3-form: extended opcode in bits 21..28 (AX, BX, TX free).
pub const fn xx3(p: u32, xo: u32) -> Bits {
    (OPCD | 0x7f8, p << 26 | xo << 3)
}
/// XX3-form with a 2-bit field inside the opcode bits (`xxpermdi`: bits 21,24..28).
pub const fn xx3_dm(p: u32, xo: u32) -> Bits {
    (OPCD | 0x4f8, p << 26 | xo << 3)
}
/// XX2-form: extended opcode in bits 21..29 (BX, TX free).
pub const fn xx2(p: u32, xo: u32) -> Bits {
    (OPCD | 0x7fc, p << 26 | xo << 2)
}

/// Builds a table line.
pub const fn form(name: &'static str, bits: Bits, only64: bool, lift: LiftFn) -> Form {
    Form {
        name,
        mask: bits.0,
        value: bits.1,
        only64,
        lift,
    }
}

/// All tables, consulted in order.
pub static TABLES: &[&[Form]] = &[
    branch::TABLE,
    fixed::TABLE,
    fp::TABLE,
    vector::TABLE,
    storage::TABLE,
];

fn buckets() -> &'static [Vec<&'static Form>; 64] {
    static B: OnceLock<[Vec<&'static Form>; 64]> = OnceLock::new();
    B.get_or_init(|| {
        let mut b: [Vec<&'static Form>; 64] = std::array::from_fn(|_| Vec::new());
        for t in TABLES {
            for f in t.iter() {
                debug_assert_eq!(f.mask & OPCD, OPCD, "{f:?} fixes its primary opcode");
                b[(f.value >> 26) as usize].push(f);
            }
        }
        b
    })
}

/// The form of `word`, or None: the first line, in table order, whose fixed bits match.
/// `is64` is false for 32-bit implementations, where doubleword forms do not exist.
pub fn decode(word: u32, is64: bool) -> Option<&'static Form> {
    buckets()[(word >> 26) as usize]
        .iter()
        .copied()
        .find(|f| f.matches(word) && (is64 || !f.only64))
}

/// Field helpers (ISA bit numbering: bit 0 is the most significant).
pub mod fields {
    /// Bits `from..=to` of the word in the ISA's numbering.
    pub const fn bits(w: u32, from: u32, to: u32) -> u32 {
        (w >> (31 - to)) & ((1u32 << (to - from + 1)) - 1)
    }
    pub const fn rt(w: u32) -> u32 {
        bits(w, 6, 10)
    }
    pub const fn ra(w: u32) -> u32 {
        bits(w, 11, 15)
    }
    pub const fn rb(w: u32) -> u32 {
        bits(w, 16, 20)
    }
    pub const fn rc(w: u32) -> bool {
        w & 1 != 0
    }
    pub const fn oe(w: u32) -> bool {
        w & 0x400 != 0
    }
    pub const fn si(w: u32) -> u64 {
        (w as u16 as i16) as i64 as u64
    }
    pub const fn ui(w: u32) -> u64 {
        (w & 0xffff) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vectors: word, mode, expected form name (from `powerpc64le-linux-gnu-objdump`).
    const VECTORS: &str = include_str!("../../tests/decode_vectors.txt");

    #[test]
    fn decode_vectors() {
        let mut n = 0;
        let mut bad = Vec::new();
        for line in VECTORS.lines() {
            let line = line.split('#').next().unwrap().trim();
            if line.is_empty() {
                continue;
            }
            let mut it = line.split_whitespace();
            let w = u32::from_str_radix(it.next().unwrap(), 16).unwrap();
            let want = it.next().unwrap();
            let got = decode(w, true).map(|f| f.name).unwrap_or("-");
            if got != want {
                bad.push(format!("{w:08x}: want {want}, got {got}"));
            }
            n += 1;
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
        assert!(n > 30);
    }

    #[test]
    fn decode_does_not_panic() {
        // A deterministic walk over the word space (xorshift) in both modes.
        let mut s = 0x1234_5678_9abc_def1u64;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let w = s as u32;
            let _ = decode(w, true);
            let _ = decode(w, false);
        }
    }

    #[test]
    fn every_form_fixes_its_primary_opcode() {
        for t in TABLES {
            for f in t.iter() {
                assert_eq!(f.mask & OPCD, OPCD, "{f:?}");
                assert_eq!(f.value & !f.mask, 0, "{f:?}");
            }
        }
    }
}
