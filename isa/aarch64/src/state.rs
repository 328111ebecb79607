//! The AArch64 guest CPU state, as lifted code sees it: a `#[repr(C)]` struct in the engine's
//! state buffer, its fields named in the IR by byte offset ([`ir::Op::GetReg`]/[`ir::Op::SetReg`]).
//!
//! NZCV is kept as four bytes, each 0 or 1. Lifters compute each flag with one `Icmp` (which
//! gives an `i8` that is 0 or 1) and store it; a condition test reads one or two bytes. A flag
//! that is overwritten before anything reads it is a dead `SetReg` that the engine's passes
//! drop, which is the lazy evaluation DESIGN.md asks for without a special IR op. `MRS NZCV`
//! assembles the architectural word from the four bytes.
//!
//! The layout has no implicit padding (checked below), so the struct converts to and from
//! the engine's byte buffer with plain copies.
//!
//! [`ir::Op::GetReg`]: xarch_translator::ir::Op::GetReg
//! [`ir::Op::SetReg`]: xarch_translator::ir::Op::SetReg

use std::mem::{offset_of, size_of};
use xarch_translator::StateBytes;

/// Value of [`CpuState::excl_addr`] when the exclusive monitor is open (no reservation).
pub const EXCL_NONE: u64 = u64::MAX;

/// The guest-visible AArch64 user state.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuState {
    /// X0..X30 (X30 is the link register).
    pub x: [u64; 31],
    /// SP_EL0.
    pub sp: u64,
    pub pc: u64,
    /// PSTATE.N, 0 or 1.
    pub n: u8,
    /// PSTATE.Z, 0 or 1.
    pub z: u8,
    /// PSTATE.C, 0 or 1.
    pub c: u8,
    /// PSTATE.V, 0 or 1.
    pub v_flag: u8,
    /// FPCR (rounding mode, FZ, DN, AHP, trap enables).
    pub fpcr: u32,
    /// FPSR (cumulative exception flags, QC).
    pub fpsr: u32,
    pub _pad0: u32,
    /// TPIDR_EL0: the thread pointer.
    pub tpidr_el0: u64,
    /// Exclusive monitor: address of the reservation, [`EXCL_NONE`] when open.
    pub excl_addr: u64,
    /// Exclusive monitor: the value loaded (low 64 bits; first register of a pair).
    pub excl_val: u64,
    /// Exclusive monitor: the second register's value of an LDXP.
    pub excl_val_hi: u64,
    /// Exclusive monitor: size in bytes of the reserved access (1, 2, 4, 8, or 16 for pairs).
    pub excl_size: u64,
    /// V0..V31 (Q registers); B/H/S/D views are the low bits.
    pub v: [u128; 32],
}

const _: () = assert!(size_of::<CpuState>() == 832);
const _: () = assert!(V.is_multiple_of(16));
const _: () = assert!(offset_of!(CpuState, excl_size) + 8 == V as usize);

/// Byte offset of X`n` (n < 31).
pub const fn x_off(n: u32) -> u32 {
    X + 8 * n
}

/// Byte offset of V`n` (n < 32), its low byte first (little-endian host).
pub const fn v_off(n: u32) -> u32 {
    V + 16 * n
}

pub const X: u32 = offset_of!(CpuState, x) as u32;
pub const SP: u32 = offset_of!(CpuState, sp) as u32;
pub const PC: u32 = offset_of!(CpuState, pc) as u32;
pub const N: u32 = offset_of!(CpuState, n) as u32;
pub const Z: u32 = offset_of!(CpuState, z) as u32;
pub const C: u32 = offset_of!(CpuState, c) as u32;
pub const VF: u32 = offset_of!(CpuState, v_flag) as u32;
pub const FPCR: u32 = offset_of!(CpuState, fpcr) as u32;
pub const FPSR: u32 = offset_of!(CpuState, fpsr) as u32;
pub const TPIDR_EL0: u32 = offset_of!(CpuState, tpidr_el0) as u32;
pub const EXCL_ADDR: u32 = offset_of!(CpuState, excl_addr) as u32;
pub const EXCL_VAL: u32 = offset_of!(CpuState, excl_val) as u32;
pub const EXCL_VAL_HI: u32 = offset_of!(CpuState, excl_val_hi) as u32;
pub const EXCL_SIZE: u32 = offset_of!(CpuState, excl_size) as u32;
pub const V: u32 = offset_of!(CpuState, v) as u32;

impl Default for CpuState {
    fn default() -> Self {
        CpuState {
            x: [0; 31],
            sp: 0,
            pc: 0,
            n: 0,
            z: 0,
            c: 0,
            v_flag: 0,
            fpcr: 0,
            fpsr: 0,
            _pad0: 0,
            tpidr_el0: 0,
            excl_addr: EXCL_NONE,
            excl_val: 0,
            excl_val_hi: 0,
            excl_size: 0,
            v: [0; 32],
        }
    }
}

impl CpuState {
    /// The architectural NZCV word (bits 31..28).
    pub fn nzcv(&self) -> u32 {
        (self.n as u32) << 31
            | (self.z as u32) << 30
            | (self.c as u32) << 29
            | (self.v_flag as u32) << 28
    }

    /// Sets the four flags from an architectural NZCV word.
    pub fn set_nzcv(&mut self, w: u32) {
        self.n = (w >> 31 & 1) as u8;
        self.z = (w >> 30 & 1) as u8;
        self.c = (w >> 29 & 1) as u8;
        self.v_flag = (w >> 28 & 1) as u8;
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
        assert_eq!(x_off(0), 0);
        assert_eq!(x_off(30), 240);
        assert_eq!(SP, 248);
        assert_eq!(PC, 256);
        assert_eq!((N, Z, C, VF), (264, 265, 266, 267));
        assert_eq!(v_off(0), 320);
        assert_eq!(v_off(31), 320 + 31 * 16);
    }

    #[test]
    fn nzcv_word_round_trips() {
        let mut s = CpuState::default();
        for w in 0..16u32 {
            s.set_nzcv(w << 28);
            assert_eq!(s.nzcv(), w << 28);
        }
        s.set_nzcv(0xa000_0000);
        assert_eq!((s.n, s.z, s.c, s.v_flag), (1, 0, 1, 0));
    }

    #[test]
    fn bytes_round_trip() {
        let mut s = CpuState::default();
        s.x[5] = 0x1234_5678_9abc_def0;
        s.v[3] = u128::MAX - 7;
        s.tpidr_el0 = 42;
        let mut buf = vec![0u8; size_of::<CpuState>() + 3];
        s.write_to(&mut buf[3..]);
        assert_eq!(CpuState::from_bytes(&buf[3..]), s);
        assert_eq!(read_u64(&buf[3..], x_off(5)), 0x1234_5678_9abc_def0);
    }
}
