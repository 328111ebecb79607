//! The PowerPC guest CPU state, as lifted code sees it: a `#[repr(C)]` struct in the engine's
//! state buffer, its fields named in the IR by byte offset.
//!
//! - GPRs are 64 bits in both modes; 32-bit mode uses the low word (the host is
//!   little-endian, so the low word sits at the register's own offset).
//! - CR is kept as 32 bytes, one per CR bit in the ISA's numbering (byte 0 is CR0.LT, byte 3
//!   CR0.SO, byte 4*n+k is bit k of field n), each 0 or 1: `bc` tests one byte, a compare
//!   writes four, and a record form's dead bits are dropped by the engine's passes.
//! - XER is kept as SO, OV and CA bytes plus the byte count of `lswx`/`stswx`.
//! - The 64 VSRs are `u128` values whose most significant byte is the ISA's byte 0 (element
//!   numbering is big-endian in the ISA); FPR n is doubleword 0 of VSR n, i.e. the high half,
//!   at byte offset `16 * n + 8` of the array on this little-endian host. VR n is VSR 32+n.
//!
//! The layout has no implicit padding (checked below).

use std::mem::{offset_of, size_of};
use xarch_translator::StateBytes;

/// Value of [`CpuState::resv_addr`] when there is no reservation.
pub const RESV_NONE: u64 = u64::MAX;

/// The guest-visible PowerPC user state.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuState {
    /// r0..r31.
    pub gpr: [u64; 32],
    pub pc: u64,
    pub lr: u64,
    pub ctr: u64,
    /// Target address register (`bctar`).
    pub tar: u64,
    /// CR bits 0..31, one byte each (0 or 1).
    pub cr: [u8; 32],
    /// XER[SO].
    pub so: u8,
    /// XER[OV].
    pub ov: u8,
    /// XER[CA].
    pub ca: u8,
    /// XER[57:63], the string byte count.
    pub xer_bc: u8,
    /// FPSCR (low word; rounding mode in bits 30..31 of the ISA numbering = bits 1..0 here).
    pub fpscr: u32,
    /// VRSAVE (SPR 256).
    pub vrsave: u32,
    /// VSCR (only NJ and SAT are kept).
    pub vscr: u32,
    /// Reservation of `l*arx`: address, or [`RESV_NONE`].
    pub resv_addr: u64,
    /// Reservation: the value loaded (zero-extended); of `lqarx`, the low doubleword.
    pub resv_val: u64,
    /// Reservation: size in bytes (1, 2, 4, 8, 16).
    pub resv_size: u64,
    /// Reservation of `lqarx`: the high doubleword of the quadword loaded.
    pub resv_val_hi: u64,
    /// VSR0..VSR63.
    pub vsr: [u128; 64],
}

const _: () = assert!(size_of::<CpuState>() == 368 + 64 * 16);
const _: () = assert!(VSR.is_multiple_of(16));
const _: () = assert!(offset_of!(CpuState, resv_val_hi) + 8 == VSR as usize);

pub const GPR: u32 = offset_of!(CpuState, gpr) as u32;
pub const PC: u32 = offset_of!(CpuState, pc) as u32;
pub const LR: u32 = offset_of!(CpuState, lr) as u32;
pub const CTR: u32 = offset_of!(CpuState, ctr) as u32;
pub const TAR: u32 = offset_of!(CpuState, tar) as u32;
pub const CR: u32 = offset_of!(CpuState, cr) as u32;
pub const SO: u32 = offset_of!(CpuState, so) as u32;
pub const OV: u32 = offset_of!(CpuState, ov) as u32;
pub const CA: u32 = offset_of!(CpuState, ca) as u32;
pub const XER_BC: u32 = offset_of!(CpuState, xer_bc) as u32;
pub const FPSCR: u32 = offset_of!(CpuState, fpscr) as u32;
pub const VRSAVE: u32 = offset_of!(CpuState, vrsave) as u32;
pub const VSCR: u32 = offset_of!(CpuState, vscr) as u32;
pub const RESV_ADDR: u32 = offset_of!(CpuState, resv_addr) as u32;
pub const RESV_VAL: u32 = offset_of!(CpuState, resv_val) as u32;
pub const RESV_SIZE: u32 = offset_of!(CpuState, resv_size) as u32;
pub const RESV_VAL_HI: u32 = offset_of!(CpuState, resv_val_hi) as u32;
pub const VSR: u32 = offset_of!(CpuState, vsr) as u32;

/// Byte offset of GPR `n`.
pub const fn gpr_off(n: u32) -> u32 {
    GPR + 8 * n
}

/// Byte offset of CR bit `n` (ISA numbering: 0 is CR0.LT).
pub const fn cr_off(n: u32) -> u32 {
    CR + n
}

/// Byte offset of VSR `n` (n < 64).
pub const fn vsr_off(n: u32) -> u32 {
    VSR + 16 * n
}

/// Byte offset of FPR `n`: doubleword 0 (the high half) of VSR `n`.
pub const fn fpr_off(n: u32) -> u32 {
    VSR + 16 * n + 8
}

/// Byte offset of VR `n`: VSR 32+n.
pub const fn vr_off(n: u32) -> u32 {
    vsr_off(32 + n)
}

impl Default for CpuState {
    fn default() -> Self {
        CpuState {
            gpr: [0; 32],
            pc: 0,
            lr: 0,
            ctr: 0,
            tar: 0,
            cr: [0; 32],
            so: 0,
            ov: 0,
            ca: 0,
            xer_bc: 0,
            fpscr: 0,
            vrsave: 0,
            vscr: 0,
            resv_addr: RESV_NONE,
            resv_val: 0,
            resv_size: 0,
            resv_val_hi: 0,
            vsr: [0; 64],
        }
    }
}

impl CpuState {
    /// The architectural CR word (CR0 in bits 31..28).
    pub fn cr_word(&self) -> u32 {
        self.cr
            .iter()
            .fold(0u32, |acc, &b| (acc << 1) | (b as u32 & 1))
    }

    /// Sets the 32 CR bits from an architectural CR word.
    pub fn set_cr_word(&mut self, w: u32) {
        for (i, b) in self.cr.iter_mut().enumerate() {
            *b = (w >> (31 - i) & 1) as u8;
        }
    }

    /// The architectural XER (SO, OV, CA and the byte count).
    pub fn xer(&self) -> u64 {
        (self.so as u64) << 31
            | (self.ov as u64) << 30
            | (self.ca as u64) << 29
            | self.xer_bc as u64
    }

    /// FPR `n` as bits.
    pub fn fpr(&self, n: usize) -> u64 {
        (self.vsr[n] >> 64) as u64
    }

    /// Sets FPR `n` (doubleword 1 of the VSR is left as it was).
    pub fn set_fpr(&mut self, n: usize, v: u64) {
        self.vsr[n] = (self.vsr[n] & u64::MAX as u128) | (v as u128) << 64;
    }
}

// SAFETY: CpuState is repr(C), integers only, and has no padding (its size is checked against
// the sum of its fields at compile time).
unsafe impl StateBytes for CpuState {}

pub(crate) use xarch_translator::state::{read_u64, write_u64};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_match_the_layout() {
        assert_eq!(gpr_off(31), 248);
        assert_eq!((PC, LR, CTR, TAR), (256, 264, 272, 280));
        assert_eq!(cr_off(0), 288);
        assert_eq!((SO, OV, CA), (320, 321, 322));
        assert_eq!(VSR, 368);
        assert_eq!(fpr_off(1), 368 + 16 + 8);
        assert_eq!(vr_off(0), 368 + 32 * 16);
    }

    #[test]
    fn cr_word_round_trips_and_fpr_is_the_high_half() {
        let mut s = CpuState::default();
        s.set_cr_word(0x8421_0f0f);
        assert_eq!(s.cr_word(), 0x8421_0f0f);
        assert_eq!((s.cr[0], s.cr[1], s.cr[5]), (1, 0, 1));
        s.vsr[3] = 0x1111;
        s.set_fpr(3, 0x4000_0000_0000_0000);
        assert_eq!(s.vsr[3], 0x4000_0000_0000_0000_0000_0000_0000_1111);
        assert_eq!(s.fpr(3), 0x4000_0000_0000_0000);
        let mut buf = vec![0u8; size_of::<CpuState>()];
        s.write_to(&mut buf);
        assert_eq!(CpuState::from_bytes(&buf), s);
        assert_eq!(read_u64(&buf, fpr_off(3)), 0x4000_0000_0000_0000);
    }
}
