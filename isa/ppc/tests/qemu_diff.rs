//! Differential test against qemu-ppc64le (`-cpu power8`) and qemu-ppc: random sequences of
//! the fixed-point (arithmetic with the `o` and `.` variants, logical, rotate, shift, compare,
//! CR logical, isel, mfcr/mtcrf, mfspr/mtspr of LR/CTR/XER), branch (forward `bc` with any BO
//! and BI, with and without link), load/store (every size, update, indexed and byte-reversed
//! forms, FP loads and stores) and floating-point classes (arithmetic, fused multiply-add,
//! rounding and conversion, compares, moves, fsel, mtfsf/mtfsfi/mtfsb0/1; mffs in the
//! harness; on ppc64le also the VSX scalar double arithmetic on VSRs 0..31: xsadddp, xssubdp,
//! xsmuldp, xsdivdp, xssqrtdp and the multiply-adds), each started
//! from random GPRs, CR, XER, LR, CTR, FPRs, FPSCR (any rounding mode, any sticky bits) and
//! scratch memory, wrapped in one static program that stores GPRs, CR, XER, LR, CTR, FPRs and
//! FPSCR after every sequence and writes them, with the scratch memory, to stdout. The same ELF
//! runs under qemu and under `target/release/xarch run` (both tiers); the outputs must be
//! identical. Both ppc64le and 32-bit big-endian powerpc (qemu-ppc runs a G4, `-cpu 7457`: the
//! forms it lacks, and the ISA 3.0 cnttzw/cnttzd that POWER8 lacks, are not generated). XER is
//! compared in its defined bits (SO, OV, CA, byte count).
//!
//! FPSCR bits masked in the comparison: FR only ([`FPSCR_MASK`]): qemu 7.2 does not compute
//! FR (it keeps the old value and clears it only on invalid operations and divide by zero);
//! xarch sets it as the ISA says (unit tests in `lift/fp/host.rs` and `insn.rs`).
//!
//! Where qemu departs from the ISA, the sequences stay out of the difference instead:
//! - FX: qemu sets it for every exception, the ISA only when an exception bit changes from 0
//!   to 1. The initial FPSCR has FX set whenever an exception bit is set, and no sequence
//!   clears FX (no `mtfsb0 0`, `mtfsfi 0` only with FX = 1, `mtfsf` never writes field 0).
//! - FI: qemu clears it in fcmpu/fcmpo, the ISA leaves it: a compare is always followed by an
//!   arithmetic instruction. `mffs` runs only in the harness (it would copy FR).
//! - FPRF: qemu leaves it in fcfids/fcfidu/fcfidus; it is undefined after fcti*: these too
//!   are followed by an arithmetic instruction.
//! - `mfxer` is not generated: after a random `mtxer` it would copy the reserved bits qemu keeps.
//! - `divde[o][.]` is not generated: qemu 7.2 misses most of its overflows and returns a
//!   quotient that does not fit (checked: `divdeo` of 1 by 2 gives 2^63 with OV clear).
//! - fre/fres of +-0: qemu returns +-0.5, the ISA +-infinity: a sequence with one starts with
//!   no FPR holding a zero, and its FRB is an FPR that no earlier instruction wrote.
//! - fnmadd/fnmsub[s] (and xsnmadd/xsnmsub): qemu rounds the negated value, the ISA rounds and then negates (they
//!   differ in the directed modes): a sequence with one runs with RN = 0 and changes no RN.
//! - fre[s]/frsqrte[s]: qemu rounds the square root, the division and the single result each
//!   in the current mode, xarch rounds the exact quotient once: sequences with one run with
//!   RN = 0 and change no RN.
//! - A fused multiply-add of infinity times zero plus an SNaN: qemu sets VXIMZ only, the ISA
//!   (and xarch) VXIMZ and VXSNAN: a sequence with a fused form starts with VXSNAN (and FX)
//!   set, so VXSNAN is not compared in it.
//! - The enable bits VE, OE, UE, ZE, XE and NI are never set: qemu-user raises SIGFPE for an
//!   enabled exception, Linux by default does not (MSR[FE0,FE1] = 0), and non-IEEE mode is not
//!   modelled.
//!
//! Needs `powerpc64le-linux-gnu-as`/`-ld` (Debian package binutils-powerpc64le-linux-gnu),
//! `powerpc-linux-gnu-as`/`-ld` (binutils-powerpc-linux-gnu), `qemu-ppc64le` and `qemu-ppc`
//! (qemu-user) and a release build of `xarch` (`cargo build --release`); it fails saying so
//! when one is missing. 300 sequences per mode by default, `XARCH_DIFF_SEQS=<n>` for more,
//! `XARCH_DIFF_SEED=<n>` for another seed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use xarch_isa_ppc::decode;
use xarch_isa_ppc::{PPC32, PPC64LE, Ppc};
use xarch_translator::ir::{Endian, Exit};
use xarch_translator::testing::Rng;
use xarch_translator::{CodeBuffer, Frontend};

const SEQ_LEN: usize = 12;
/// Doublewords of one register file image: r0..r31, CR, XER, LR, CTR, FPSCR, f0..f31, padding.
const REGS: usize = 72;
const F_CR: usize = 32;
const F_XER: usize = 33;
const F_LR: usize = 34;
const F_CTR: usize = 35;
const F_FPSCR: usize = 36;
const F_FPR: usize = 37;
/// Scratch memory per sequence; r30 points at its middle and is only changed by update forms.
const SCRATCH: usize = 512;
/// Bytes per sequence in the data area: initial registers, final registers, scratch.
const SLOT: usize = 2 * 8 * REGS + SCRATCH;
const RESULT: usize = 8 * REGS;
/// The base register of the memory instructions, and the slot pointer (never written).
const BASE: u32 = 30;
const SLOTREG: u32 = 31;
/// FPSCR bits (of the low word, bit 0 = RN's low bit) the comparison ignores: FR (bit 18).
const FPSCR_MASK: u64 = 1 << 18;
/// XER bits compared: SO, OV, CA and the byte count. `mtxer` of a random value leaves the
/// reserved bits in qemu's XER, which hardware reads back as 0 (xarch keeps only these).
const XER_DEFINED: u64 = 0xe000_007f;
/// FPSCR bits the initial state and the sequences never set: VE, OE, UE, ZE, XE, NI (traps and
/// non-IEEE mode) and the reserved bit 20 (ISA numbering 52).
const FPSCR_NEVER: u64 = 0xfc | 1 << 11;

/// Register, FP and field values for the random states, on the shared generator.
trait Values {
    fn value(&mut self) -> u64;
    fn fp(&mut self) -> u64;
}

impl Values for Rng {
    /// Register values that hit the edge cases of flags, shifts and division.
    fn value(&mut self) -> u64 {
        const SPECIAL: [u64; 12] = [
            0,
            1,
            2,
            u64::MAX,
            1 << 63,
            (1 << 63) - 1,
            0xffff_ffff,
            0x8000_0000,
            0x7fff_ffff,
            0xffff_ffff_8000_0000,
            63,
            32,
        ];
        match self.below(4) {
            0 => SPECIAL[self.below(SPECIAL.len() as u64) as usize],
            1 => self.below(128),
            2 => self.next() as i32 as i64 as u64,
            _ => self.next(),
        }
    }
    /// FPR values: special values of both formats, integers near the conversion limits, values
    /// in the single range, random exponents near 0 and fully random bits.
    fn fp(&mut self) -> u64 {
        const SPECIAL: [f64; 26] = [
            0.0,
            1.0,
            2.0,
            0.5,
            1.5,
            2.5,
            3.0,
            0.1,
            0.499_999_999_999_999_94,
            f64::INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
            f32::MAX as f64,
            f32::MIN_POSITIVE as f64,
            1.401_298_464_324_817e-45, // the smallest single denormal
            7.006_492_321_624_085e-46, // half of it
            3.402_823_669_209_385e38,  // 2^128
            2_147_483_647.0,
            2_147_483_647.5,
            2_147_483_648.0,
            4_294_967_295.5,
            4_294_967_296.0,
            9_223_372_036_854_775_807.0,
            18_446_744_073_709_551_616.0,
            4_503_599_627_370_496.5,
            1e-310,
        ];
        const NAN: [u64; 5] = [
            0x7ff8_0000_0000_0000,
            0x7ff0_0000_0000_0001, // SNaN
            0x7ff4_0000_1234_5678, // SNaN with payload
            0x7ffc_0000_0000_0abc,
            0x0000_0000_0000_0001, // the smallest denormal
        ];
        let sign = self.below(2) << 63;
        match self.below(8) {
            0 | 1 => SPECIAL[self.below(SPECIAL.len() as u64) as usize].to_bits() | sign,
            2 => NAN[self.below(NAN.len() as u64) as usize] | sign,
            3 => (self.range(-40, 40) as f64).to_bits(),
            4 => (f32::from_bits(self.next() as u32) as f64).to_bits(),
            5 | 6 => {
                // exponent within 2^-30..2^30: sums, products and quotients stay finite
                let e = (1023 + self.range(-30, 30)) as u64;
                sign | e << 52 | self.next() >> 12
            }
            _ => self.next(),
        }
    }
}

/// One guest configuration under test.
struct Mode {
    name: &'static str,
    frontend: Ppc,
    is64: bool,
    asm: &'static str,
    ld: &'static str,
    binutils: &'static str,
    qemu: &'static str,
    qemu_args: &'static [&'static str],
}

const MODES: [Mode; 2] = [
    Mode {
        name: "ppc64le",
        frontend: PPC64LE,
        is64: true,
        asm: "powerpc64le-linux-gnu-as",
        ld: "powerpc64le-linux-gnu-ld",
        binutils: "binutils-powerpc64le-linux-gnu",
        qemu: "qemu-ppc64le",
        qemu_args: &["-cpu", "power8"],
    },
    Mode {
        name: "ppc",
        frontend: PPC32,
        is64: false,
        asm: "powerpc-linux-gnu-as",
        ld: "powerpc-linux-gnu-ld",
        binutils: "binutils-powerpc-linux-gnu",
        qemu: "qemu-ppc",
        qemu_args: &["-cpu", "7457"],
    },
];

impl Mode {
    fn word_bytes(&self, w: u32) -> [u8; 4] {
        match self.frontend.endian {
            Endian::Little => w.to_le_bytes(),
            Endian::Big => w.to_be_bytes(),
        }
    }

    /// A word is usable if it decodes and lifts without a trap.
    fn usable(&self, w: u32) -> bool {
        if decode::decode(w, self.is64).is_none() {
            return false;
        }
        let bytes = self.word_bytes(w);
        let code = CodeBuffer {
            base: 0x1000,
            bytes: &bytes,
        };
        match self.frontend.lift(0x1000, &code) {
            Ok(block) => !matches!(block.exit, Exit::Trap { .. }),
            Err(_) => false,
        }
    }
}

/// The fixed-point and FP forms drawn with random fields (memory, branch, SPR and FPSCR forms
/// are built by hand below).
fn candidates(mode: &Mode) -> (Vec<&'static decode::Form>, Vec<&'static decode::Form>) {
    const SKIP: &[&str] = &[
        "twi", "tw", "tdi", "td", "mfspr", "mtspr", "mftb", "mcrxr", "mffs", "mtfsf", "mtfsfi",
        "mtfsb0", "mtfsb1", "sc", "b", "bc", "bclr", "bcctr", "bctar",
    ];
    let fixed: Vec<_> = decode::fixed::TABLE
        .iter()
        .chain(decode::branch::TABLE.iter())
        .filter(|f| (mode.is64 || !f.only64) && !SKIP.contains(&f.name))
        // cnttzw/cnttzd are ISA 3.0: not in qemu's POWER8.
        .filter(|f| !f.name.starts_with("cnttz"))
        .filter(|f| {
            // Memory forms are made by `memory_word`; 32-bit qemu CPUs lack the newer forms.
            let op = f.value >> 26;
            !matches!(op, 32..=47 | 58 | 62)
                && !f.name.starts_with('l')
                && !f.name.starts_with("st")
                && (mode.is64
                    || !matches!(
                        f.name,
                        "popcntb" | "popcntw" | "cmpb" | "isel" | "bpermd" | "divwe" | "divweu"
                    ))
                // qemu 7.2's divde misses most overflows (e.g. (1 << 64) / 2 = 2^63 is
                // "representable" there); xarch follows the ISA (insn.rs, lift/divide.rs).
                && f.name != "divde"
        })
        .collect();
    // Beyond the G4 (7457) that qemu-ppc runs: ISA 2.02+ forms and optional square roots.
    const NOT_G4: &[&str] = &[
        "fsqrt", "fsqrts", "frsqrtes", "fre", "frin", "friz", "frip", "frim", "fcpsgn", "fctiwu",
        "fctiwuz",
    ];
    let fp: Vec<_> = decode::fp::TABLE
        .iter()
        .filter(|f| (mode.is64 || !f.only64) && !SKIP.contains(&f.name))
        .filter(|f| mode.is64 || !NOT_G4.contains(&f.name))
        .filter(|f| !matches!(f.value >> 26, 48..=55) && !f.name.ends_with('x'))
        // ppc64le: the VSX scalar double arithmetic on VSR 0..31 (the FPRs)
        .chain(
            decode::vector::TABLE
                .iter()
                .filter(|f| mode.is64 && VSX_SCALAR.contains(&f.name)),
        )
        .collect();
    (fixed, fp)
}

/// The VSX scalar forms generated in ppc64le mode (FPSCR-faithful like the classic ones).
const VSX_SCALAR: &[&str] = &[
    "xsadddp",
    "xssubdp",
    "xsmuldp",
    "xsdivdp",
    "xssqrtdp",
    "xsmaddadp",
    "xsmaddmdp",
    "xsmsubadp",
    "xsmsubmdp",
    "xsnmaddadp",
    "xsnmaddmdp",
    "xsnmsubadp",
    "xsnmsubmdp",
];

/// A random form with random free fields; GPR fields never name r30 or r31.
fn random_form(rng: &mut Rng, mode: &Mode, forms: &[&'static decode::Form]) -> u32 {
    let f = forms[rng.below(forms.len() as u64) as usize];
    let mut w = (rng.next() as u32 & !f.mask) | f.value;
    for sh in [21, 16] {
        if (w >> sh) & 31 >= BASE {
            w = (w & !(31 << sh)) | (rng.below(BASE as u64) as u32) << sh;
        }
    }
    // Forms without Rc: bit 31 is reserved.
    if matches!(
        f.name,
        "mfcr"
            | "mtcrf"
            | "cmp"
            | "cmpl"
            | "mcrf"
            | "popcntb"
            | "popcntw"
            | "popcntd"
            | "cmpb"
            | "bpermd"
            | "isel"
    ) || f.name.starts_with("cr")
    {
        w &= !1;
    }
    match f.name {
        // bit 9 reserved; L = 1 only in 64-bit mode
        "cmp" | "cmpl" | "cmpi" | "cmpli" => {
            w &= !(1 << 22);
            if !mode.is64 {
                w &= !(1 << 21);
            }
        }
        "mcrf" => w &= !(3 << 21 | 3 << 16 | 0xffff),
        "mfcr" => w &= !(1 << 11 | 0xff << 12 & if w >> 20 & 1 == 1 { 0 } else { !0 }),
        "mtcrf" => w &= !(1 << 11),
        // RB reserved
        "neg" | "addme" | "addze" | "subfme" | "subfze" | "extsb" | "extsh" | "extsw"
        | "cntlzw" | "cntlzd" | "cnttzw" | "cnttzd" | "popcntb" | "popcntw" | "popcntd" => {
            w &= !(31 << 11)
        }
        _ => {}
    }
    // No OE bit
    if f.name.starts_with("mulh") {
        w &= !(1 << 10);
    }
    // Reserved fields of the FP forms are zero (qemu raises SIGILL otherwise).
    if w >> 26 == 59 || w >> 26 == 63 {
        let (fra, frb, frc) = (31 << 16, 31 << 11, 31 << 6);
        let xo5 = w >> 1 & 31;
        if w >> 5 & 1 == 1 || w >> 26 == 59 {
            // A-form
            w &= !match xo5 {
                18 | 20 | 21 => frc,
                25 => frb,
                22 | 24 | 26 => fra | frc,
                _ => 0,
            };
        } else {
            match w >> 1 & 0x3ff {
                0 | 32 => w &= !(3 << 21 | 1),
                40 | 72 | 136 | 264 => w &= !fra,
                _ => {}
            }
        }
    }
    // VSX scalar forms: VSRs 0..31 (AX, BX, TX = 0); xssqrtdp (XX2) has no XA field.
    if w >> 26 == 60 {
        if f.name == "xssqrtdp" {
            w &= !(31 << 16 | 3);
        } else {
            w &= !7;
        }
    }
    // mfocrf / mtocrf: exactly one field (other masks are undefined).
    if matches!(f.name, "mfcr" | "mtcrf") && w >> 20 & 1 == 1 {
        w = (w & !(0xff << 12)) | (1 << rng.below(8)) << 12;
    }
    w
}

/// Integer and FP loads and stores: (primary or 31, extended opcode, size, update, is FP).
const MEM_D: &[(u32, u32)] = &[
    // (opcode, size): lbz lbzu lhz lhzu lha lhau lwz lwzu stb stbu sth sthu stw stwu
    (34, 1),
    (35, 1),
    (40, 2),
    (41, 2),
    (42, 2),
    (43, 2),
    (32, 4),
    (33, 4),
    (38, 1),
    (39, 1),
    (44, 2),
    (45, 2),
    (36, 4),
    (37, 4),
    // lfs lfsu lfd lfdu stfs stfsu stfd stfdu
    (48, 4),
    (49, 4),
    (50, 8),
    (51, 8),
    (52, 4),
    (53, 4),
    (54, 8),
    (55, 8),
];
/// X-form (extended opcode, size, 64-bit only).
const MEM_X: &[(u32, u32, bool)] = &[
    (87, 1, false),
    (119, 1, false),
    (279, 2, false),
    (311, 2, false),
    (343, 2, false),
    (375, 2, false),
    (23, 4, false),
    (55, 4, false),
    (341, 4, true),
    (373, 4, true),
    (21, 8, true),
    (53, 8, true),
    (215, 1, false),
    (247, 1, false),
    (407, 2, false),
    (439, 2, false),
    (151, 4, false),
    (183, 4, false),
    (149, 8, true),
    (181, 8, true),
    (790, 2, false),
    (534, 4, false),
    (532, 8, true),
    (918, 2, false),
    (662, 4, false),
    (660, 8, true),
    (535, 4, false),
    (567, 4, false),
    (599, 8, false),
    (631, 8, false),
    (663, 4, false),
    (695, 4, false),
    (727, 8, false),
    (759, 8, false),
    (855, 4, true),
    (887, 4, true),
    (983, 4, false),
];

/// Update forms: D-form primary opcodes that are odd (and not 47, stmw), X-forms whose
/// extended opcode has bit 5 (ISA bit 25) set among the loads/stores above.
fn is_update_x(xo: u32) -> bool {
    matches!(
        xo,
        119 | 311 | 375 | 55 | 373 | 53 | 247 | 439 | 183 | 181 | 567 | 631 | 695 | 759
    )
}

/// A random load or store relative to r30: one word, or `li rB, off` and an indexed form.
/// Offsets are multiples of the access size; update forms move r30 by multiples of 8 within
/// +-16, so r30 stays doubleword-aligned and inside the scratch buffer for a whole sequence.
fn memory_words(rng: &mut Rng, mode: &Mode) -> Vec<u32> {
    let rt = rng.below(BASE as u64) as u32;
    match rng.below(3) {
        0 => {
            let (op, size) = MEM_D[rng.below(MEM_D.len() as u64) as usize];
            let update = op & 1 == 1;
            let off = if update {
                8 * rng.range(-2, 2)
            } else {
                size as i64 * rng.range(-64 / size as i64, 64 / size as i64 - 1)
            };
            vec![op << 26 | rt << 21 | BASE << 16 | (off as u32 & 0xffff)]
        }
        1 if mode.is64 => {
            // DS-form: ld ldu lwa std stdu
            let (op, xo) = [(58, 0), (58, 1), (58, 2), (62, 0), (62, 1)][rng.below(5) as usize];
            let off = if xo == 1 {
                8 * rng.range(-2, 2)
            } else {
                8 * rng.range(-8, 7)
            };
            vec![op << 26 | rt << 21 | BASE << 16 | (off as u32 & 0xfffc) | xo]
        }
        _ => {
            let (xo, size, only64) = loop {
                let e = MEM_X[rng.below(MEM_X.len() as u64) as usize];
                if mode.is64 || !e.2 {
                    break e;
                }
            };
            let off = if is_update_x(xo) {
                8 * rng.range(-2, 2)
            } else {
                size as i64 * rng.range(-64 / size as i64, 64 / size as i64 - 1)
            };
            let _ = only64;
            let rb = loop {
                let r = rng.below(BASE as u64) as u32;
                if r != rt || xo >= 535 {
                    break r;
                }
            };
            vec![
                14 << 26 | rb << 21 | (off as u32 & 0xffff), // li rb, off
                31 << 26 | rt << 21 | BASE << 16 | rb << 11 | xo << 1,
            ]
        }
    }
}

/// mfspr/mtspr of XER (1), LR (8), CTR (9); mtfsf, mtfsfi, mtfsb0/1 that never set an
/// enable bit or NI.
fn special_word(rng: &mut Rng) -> u32 {
    let r = rng.below(BASE as u64) as u32;
    match rng.below(6) {
        0 | 1 => {
            // mfxer would copy the reserved bits qemu keeps from a random mtxer
            let spr = [1u32, 8, 9][rng.below(3) as usize];
            let xo = if rng.below(2) == 0 && spr != 1 {
                339
            } else {
                467
            };
            31 << 26 | r << 21 | spr << 16 | xo << 1
        }
        3 => {
            // mtfsf FLM, FRB: fields 6 and 7 hold the enable bits and NI
            let flm = rng.below(256) as u32 & 0x7c;
            63 << 26 | flm << 17 | r << 11 | 711 << 1 | rng.below(2) as u32
        }
        4 => {
            // mtfsfi BF, U
            let bf = rng.below(8) as u32;
            let u = match bf {
                0 => 8 | rng.below(8) as u32,
                6 => 0,
                7 => rng.below(4) as u32,
                _ => rng.below(16) as u32,
            };
            63 << 26 | bf << 23 | u << 12 | 134 << 1 | rng.below(2) as u32
        }
        _ => {
            // mtfsb0 / mtfsb1 BT (not 24..29, no mtfsb0 0)
            let xo = if rng.below(2) == 0 { 70 } else { 38 };
            let bt = loop {
                let b = rng.below(32) as u32;
                if !(24..=29).contains(&b) && b != 20 && (b != 0 || xo == 38) {
                    break b;
                }
            };
            63 << 26 | bt << 21 | xo << 1 | rng.below(2) as u32
        }
    }
}

/// fcmpu/fcmpo (qemu clears FI), fcfids/fcfidu/fcfidus (qemu leaves FPRF) and fcti* (FPRF
/// undefined: qemu-ppc sets it from the result's bits, qemu-ppc64le leaves it).
fn needs_followup(w: u32) -> bool {
    (w >> 26 == 63
        && matches!(
            w >> 1 & 0x3ff,
            0 | 32 | 974 | 14 | 15 | 142 | 143 | 814 | 815 | 942 | 943
        ))
        || (w >> 26 == 59 && matches!(w >> 1 & 0x3ff, 846 | 974))
}

/// fre / fres (qemu returns +-0.5 for +-0, the ISA +-infinity).
fn is_fre(w: u32) -> bool {
    matches!(w >> 26, 59 | 63) && w >> 5 & 1 == 1 && w >> 1 & 31 == 24
}

/// Whether an instruction of `seq` writes FPR `r` (FP arithmetic, moves and loads).
fn fpr_written(seq: &[u32], r: u32) -> bool {
    seq.iter().any(|&w| {
        let t = w >> 21 & 31;
        let fp_load = matches!(w >> 26, 48..=51)
            || (w >> 26 == 31 && matches!(w >> 1 & 0x3ff, 535 | 567 | 599 | 631 | 855 | 887));
        t == r && (matches!(w >> 26, 59 | 60 | 63) || fp_load)
    })
}

/// fnmadd[s] / fnmsub[s] and xsnmadd*dp / xsnmsub*dp (see the header: they run with RN = 0).
fn is_fnm(w: u32) -> bool {
    (matches!(w >> 26, 59 | 63) && matches!(w >> 1 & 31, 30 | 31))
        || (w >> 26 == 60 && matches!(w >> 3 & 0xff, 161 | 169 | 177 | 185))
}

/// The instructions whose sequences run with RN = 0: fnmadd/fnmsub and the estimates
/// fre[s]/frsqrte[s] (qemu rounds each step of its estimate in the current mode, xarch rounds
/// once; in the directed modes they differ).
fn needs_nearest(w: u32) -> bool {
    is_fnm(w) || (matches!(w >> 26, 59 | 63) && w >> 5 & 1 == 1 && matches!(w >> 1 & 31, 24 | 26))
}

/// The fused multiply-adds, classic and VSX (see the header: VXSNAN starts set with one).
fn is_fused(w: u32) -> bool {
    (matches!(w >> 26, 59 | 63) && w >> 5 & 1 == 1 && matches!(w >> 1 & 31, 28..=31))
        || (w >> 26 == 60 && matches!(w >> 3 & 0xff, 33 | 41 | 49 | 57 | 161 | 169 | 177 | 185))
}

/// mtfsfi 7,U and mtfsb0/1 30/31: the instructions of the sequences that change RN.
fn changes_rn(w: u32) -> bool {
    w >> 26 == 63
        && match w >> 1 & 0x3ff {
            134 => w >> 23 & 7 == 7,
            38 | 70 => w >> 21 & 31 >= 30,
            _ => false,
        }
}

fn random_sequence(
    rng: &mut Rng,
    mode: &Mode,
    fixed: &[&'static decode::Form],
    fp: &[&'static decode::Form],
) -> Vec<u32> {
    loop {
        let seq = random_sequence_any(rng, mode, fixed, fp);
        if !(seq.iter().any(|&w| needs_nearest(w)) && seq.iter().any(|&w| changes_rn(w))) {
            return seq;
        }
    }
}

fn random_sequence_any(
    rng: &mut Rng,
    mode: &Mode,
    fixed: &[&'static decode::Form],
    fp: &[&'static decode::Form],
) -> Vec<u32> {
    let mut seq = Vec::with_capacity(SEQ_LEN + 2);
    while seq.len() < SEQ_LEN {
        let words = match rng.below(16) {
            // A forward branch over the next instruction (never the last one), any BO and BI.
            0 if seq.len() + 1 < SEQ_LEN => {
                let bo = rng.below(32) as u32;
                let bi = rng.below(32) as u32;
                vec![16 << 26 | bo << 21 | bi << 16 | 8 | rng.below(2) as u32]
            }
            1..=3 => memory_words(rng, mode),
            4 => vec![special_word(rng)],
            5..=9 => vec![random_form(rng, mode, fixed)],
            _ => {
                let mut w = random_form(rng, mode, fp);
                if is_fre(w) {
                    // FRB: an FPR no earlier instruction wrote (all start nonzero, see
                    // `is_fre`).
                    let free: Vec<u32> = (0..32).filter(|&r| !fpr_written(&seq, r)).collect();
                    if free.is_empty() {
                        continue;
                    }
                    let r = free[rng.below(free.len() as u64) as usize];
                    w = (w & !(31 << 11)) | r << 11;
                }
                if needs_followup(w) {
                    // qemu clears FI on fcmpu/fcmpo and leaves FPRF in fcfids/fcfidu/fcfidus:
                    // an arithmetic instruction after them sets both for qemu and xarch.
                    let a = loop {
                        let a = random_form(rng, mode, fp);
                        if matches!(a >> 26, 59 | 63)
                            && a >> 5 & 1 == 1
                            && a >> 1 & 31 != 23
                            && !is_fre(a)
                        {
                            break a;
                        }
                    };
                    vec![w, a]
                } else {
                    vec![w]
                }
            }
        };
        // A branch skips exactly one instruction: never half of an `li` + indexed pair.
        let after_branch = seq.last().is_some_and(|w: &u32| *w >> 26 == 16);
        if words.iter().all(|&w| mode.usable(w)) && !(after_branch && words.len() > 1) {
            seq.extend(words);
        }
    }
    seq
}

fn tool(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not found: install the Debian package {package}"))
}

fn xarch_binary() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/xarch");
    assert!(
        p.is_file(),
        "{} not found: build it first (cargo build --release)",
        p.display()
    );
    p
}

/// The harness program: for each sequence, load FPSCR, FPRs, CR, XER, LR, CTR and GPRs from
/// its slot, point r30 at the scratch buffer, run the sequence, store everything back; at the
/// end write the whole data area to stdout.
fn program(mode: &Mode, seqs: &[Vec<u32>], inits: &[Vec<u64>]) -> String {
    let mut s = String::new();
    if mode.is64 {
        // ELFv2: the entry point is code, not a function descriptor.
        s.push_str(".abiversion 2\n");
    }
    s.push_str(".text\n.globl _start\n_start:\n");
    // GPR loads and stores: doublewords, or the low word of the doubleword (big-endian: +4).
    let (ld, st, lo) = if mode.is64 {
        ("ld", "std", 0)
    } else {
        ("lwz", "stw", 4)
    };
    let p = SLOTREG;
    for (k, seq) in seqs.iter().enumerate() {
        let o = k * SLOT;
        let _ = writeln!(
            s,
            "  lis {p}, (slots+{o})@ha\n  addi {p}, {p}, (slots+{o})@l"
        );
        let _ = writeln!(s, "  lfd 0, {}({p})\n  mtfsf 0xff, 0", 8 * F_FPSCR);
        for f in 0..32 {
            let _ = writeln!(s, "  lfd {f}, {}({p})", 8 * (F_FPR + f));
        }
        for (field, to) in [
            (F_CR, "mtcrf 0xff, 0"),
            (F_XER, "mtxer 0"),
            (F_LR, "mtlr 0"),
            (F_CTR, "mtctr 0"),
        ] {
            let _ = writeln!(s, "  {ld} 0, {}({p})\n  {to}", 8 * field + lo);
        }
        for r in 0..BASE {
            let _ = writeln!(s, "  {ld} {r}, {}({p})", 8 * r as usize + lo);
        }
        let _ = writeln!(s, "  addi {BASE}, {p}, {}", 2 * RESULT + SCRATCH / 2);
        for w in seq {
            let _ = writeln!(s, "  .long {w:#010x}");
        }
        for r in 0..=BASE {
            let _ = writeln!(s, "  {st} {r}, {}({p})", RESULT + 8 * r as usize + lo);
        }
        for f in 0..32 {
            let _ = writeln!(s, "  stfd {f}, {}({p})", RESULT + 8 * (F_FPR + f));
        }
        let _ = writeln!(s, "  mffs 0\n  stfd 0, {}({p})", RESULT + 8 * F_FPSCR);
        for (field, from) in [
            (F_CR, "mfcr 0"),
            (F_XER, "mfxer 0"),
            (F_LR, "mflr 0"),
            (F_CTR, "mfctr 0"),
        ] {
            let _ = writeln!(s, "  {from}\n  {st} 0, {}({p})", RESULT + 8 * field + lo);
        }
    }
    let len = seqs.len() * SLOT;
    let _ = writeln!(
        s,
        "  li 0, 4\n  li 3, 1\n  lis 4, slots@ha\n  addi 4, 4, slots@l\n  lis 5, {}@h\n  ori 5, 5, {}@l\n  sc\n  li 0, 1\n  li 3, 0\n  sc",
        len, len
    );
    s.push_str(".data\n.balign 4096\nslots:\n");
    for init in inits {
        for v in &init[..REGS] {
            let _ = writeln!(s, "  .quad {v:#x}");
        }
        let _ = writeln!(s, "  .fill {REGS}, 8, 0");
        for v in &init[REGS..] {
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

fn initial_state(rng: &mut Rng, mode: &Mode) -> Vec<u64> {
    let mut a = vec![0u64; REGS + SCRATCH / 8];
    let narrow = |v: u64| if mode.is64 { v } else { v & 0xffff_ffff };
    for v in a.iter_mut().take(32) {
        *v = narrow(rng.value());
    }
    a[F_CR] = rng.next() & 0xffff_ffff;
    a[F_XER] = (rng.below(8) << 29) | rng.below(128);
    a[F_LR] = narrow(rng.value());
    // CTR: small values make the decrementing branches take both ways.
    a[F_CTR] = narrow(if rng.below(2) == 0 {
        rng.below(4)
    } else {
        rng.value()
    });
    a[F_FPSCR] = rng.next() & 0xffff_ffff & !FPSCR_NEVER;
    // FX set when an exception bit is (see the header): OX UX ZX XX and the VX causes.
    if a[F_FPSCR] & 0x1f78_0700 != 0 {
        a[F_FPSCR] |= 1 << 31;
    }
    for v in a[F_FPR..F_FPR + 32].iter_mut() {
        *v = rng.fp();
    }
    for v in a[REGS..].iter_mut() {
        *v = rng.next();
    }
    a
}

fn diff_mode(mode: &Mode) {
    let asm = tool(mode.asm, mode.binutils);
    let ld = tool(mode.ld, mode.binutils);
    let qemu = tool(mode.qemu, "qemu-user");
    let xarch = xarch_binary();
    let n: usize = std::env::var("XARCH_DIFF_SEQS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("XARCH_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0bad_cafe);
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let (fixed, fp) = candidates(mode);
    let seqs: Vec<Vec<u32>> = (0..n)
        .map(|_| random_sequence(&mut rng, mode, &fixed, &fp))
        .collect();
    let mut inits: Vec<Vec<u64>> = (0..n).map(|_| initial_state(&mut rng, mode)).collect();
    for (seq, init) in seqs.iter().zip(inits.iter_mut()) {
        if seq.iter().any(|&w| needs_nearest(w)) {
            init[F_FPSCR] &= !3;
        }
        if seq.iter().any(|&w| is_fused(w)) {
            init[F_FPSCR] |= 1 << 24 | 1 << 31;
        }
        if seq.iter().any(|&w| is_fre(w)) {
            for v in init[F_FPR..F_FPR + 32].iter_mut() {
                if *v << 1 == 0 {
                    *v |= 1.5f64.to_bits();
                }
            }
        }
    }

    let dir = std::env::temp_dir().join(format!(
        "xarch-ppc-diff-{}-{}",
        mode.name,
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (src, obj, elf) = (dir.join("p.s"), dir.join("p.o"), dir.join("p"));
    std::fs::write(&src, program(mode, &seqs, &inits)).unwrap();
    run(Command::new(asm).arg("-o").arg(&obj).arg(&src));
    run(Command::new(ld)
        .arg("-static")
        .arg("-o")
        .arg(&elf)
        .arg(&obj));
    let want = run(Command::new(qemu).args(mode.qemu_args).arg(&elf));
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
    assert_eq!(want.len(), n * SLOT, "{}: qemu output size", mode.name);
    for (label, got) in &runs {
        compare(mode, label, &want, got, &seqs, &inits);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn field_name(i: usize) -> String {
    match i {
        0..32 => format!("r{i}"),
        F_CR => "cr".into(),
        F_XER => "xer".into(),
        F_LR => "lr".into(),
        F_CTR => "ctr".into(),
        F_FPSCR => "fpscr".into(),
        F_FPR..69 => format!("f{}", i - F_FPR),
        REGS.. => format!("scratch[{:#x}]", (i - REGS) * 8),
        _ => format!("pad{i}"),
    }
}

fn compare(
    mode: &Mode,
    label: &str,
    want: &[u8],
    got: &[u8],
    seqs: &[Vec<u32>],
    inits: &[Vec<u64>],
) {
    let n = seqs.len();
    let word = |b: &[u8], k: usize, i: usize| {
        // The result registers, then the scratch buffer (after the initial-register image).
        let o = k * SLOT + RESULT + i * 8;
        let bytes: [u8; 8] = b[o..o + 8].try_into().unwrap();
        match mode.frontend.endian {
            Endian::Little => u64::from_le_bytes(bytes),
            Endian::Big => u64::from_be_bytes(bytes),
        }
    };
    // Guard against a vacuous harness: most sequences must change registers and FPSCR, and
    // half of them memory.
    let changed = (0..n)
        .filter(|&k| (0..F_FPR + 32).any(|i| i != BASE as usize && word(want, k, i) != inits[k][i]))
        .count();
    assert!(
        changed * 10 >= n * 9,
        "only {changed} of {n} sequences changed a register under qemu"
    );
    let fpscr = (0..n)
        .filter(|&k| word(want, k, F_FPSCR) != inits[k][F_FPSCR])
        .count();
    assert!(
        fpscr * 4 >= n,
        "only {fpscr} of {n} sequences changed FPSCR under qemu"
    );
    let stored = (0..n)
        .filter(|&k| (REGS..REGS + SCRATCH / 8).any(|i| word(want, k, i) != inits[k][i]))
        .count();
    assert!(
        stored * 3 >= n,
        "only {stored} of {n} sequences stored to memory under qemu"
    );
    assert_eq!(got.len(), want.len(), "{label}: output size");
    let mut report = Vec::new();
    for k in 0..n {
        let diffs: Vec<String> = (0..REGS + SCRATCH / 8)
            .filter(|&i| {
                let m = match i {
                    F_FPSCR => !FPSCR_MASK,
                    F_XER => XER_DEFINED,
                    _ => u64::MAX,
                };
                (word(want, k, i) ^ word(got, k, i)) & m != 0
            })
            .map(|i| {
                format!(
                    "{}: qemu {:#x}, xarch {:#x} (initial {:#x})",
                    field_name(i),
                    word(want, k, i),
                    word(got, k, i),
                    inits[k][i]
                )
            })
            .collect();
        if !diffs.is_empty() {
            let listing: Vec<String> = seqs[k]
                .iter()
                .map(|&w| {
                    format!(
                        "    {w:08x}  {}",
                        mode.frontend.disassemble(0, &mode.word_bytes(w))
                    )
                })
                .collect();
            let fprs: Vec<String> = inits[k][F_FPR..F_FPR + 32]
                .iter()
                .map(|v| format!("{v:x}"))
                .collect();
            report.push(format!(
                "sequence {k} (fpscr {:#x}, cr {:#x}, xer {:#x}, ctr {:#x}; f0..f31 {}):\n{}\n  {}",
                inits[k][F_FPSCR],
                inits[k][F_CR],
                inits[k][F_XER],
                inits[k][F_CTR],
                fprs.join(" "),
                listing.join("\n"),
                diffs.join("\n  ")
            ));
        }
    }
    let shown: usize = std::env::var("XARCH_DIFF_SHOW")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    assert!(
        report.is_empty(),
        "{} {label}: {} of {n} sequences differ:\n{}",
        mode.name,
        report.len(),
        report
            .iter()
            .take(shown)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn random_sequences_match_qemu_ppc64le() {
    diff_mode(&MODES[0]);
}

#[test]
fn random_sequences_match_qemu_ppc() {
    diff_mode(&MODES[1]);
}
