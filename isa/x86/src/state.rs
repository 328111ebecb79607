//! The x86-64 guest CPU state, as lifted code sees it (`#[repr(C)]`, named by byte offset).
//!
//! EFLAGS are kept lazily, in the style of QEMU's `cc_op`: the last flag-setting operation
//! stores its kind and width ([`CcOp`]), its operands, its result and an auxiliary input
//! (carry-in of ADC/SBB, the preserved CF of INC/DEC). The lifter tracks the same facts as
//! SSA values inside a block, so `cmp; jcc` becomes one integer compare and never touches the
//! stored form; the stored form is read only by code in a later block, through
//! [`eflags_from_cc`] (a helper). The stores are eager (four `SetReg`s per flag-setting
//! instruction) so that the state is exact at every side exit and fault; the IR's register
//! write forwarding removes the stores a later instruction overwrites.
//!
//! DF, and the bits of RFLAGS that are not arithmetic flags, live in `rflags_other`.

/// Bits of RFLAGS (SDM Vol. 1, 3.4.3).
pub mod flag {
    pub const CF: u64 = 1 << 0;
    pub const PF: u64 = 1 << 2;
    pub const AF: u64 = 1 << 4;
    pub const ZF: u64 = 1 << 6;
    pub const SF: u64 = 1 << 7;
    pub const TF: u64 = 1 << 8;
    pub const IF: u64 = 1 << 9;
    pub const DF: u64 = 1 << 10;
    pub const OF: u64 = 1 << 11;
    pub const ID: u64 = 1 << 21;
    /// The six arithmetic status flags.
    pub const ARITH: u64 = CF | PF | AF | ZF | SF | OF;
}

/// What the stored `cc_*` fields describe. The width (8, 16, 32, 64) is kept beside it in
/// `cc_op` as `kind | log2(bytes) << 8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum CcKind {
    /// `cc_src1` holds the arithmetic flags themselves (after POPF, SAHF, BT, rotates, …).
    Eflags = 0,
    /// `res = src1 + src2`.
    Add = 1,
    /// `res = src1 + src2 + aux` (aux 0 or 1).
    Adc = 2,
    /// `res = src1 - src2`.
    Sub = 3,
    /// `res = src1 - src2 - aux`.
    Sbb = 4,
    /// AND/OR/XOR/TEST: CF = OF = 0.
    Logic = 5,
    /// `res = src1 + 1`, aux = the CF that INC preserves.
    Inc = 6,
    /// `res = src1 - 1`, aux = preserved CF.
    Dec = 7,
    /// `res = src1 << src2`, src2 in 1..width.
    Shl = 8,
    /// `res = src1 >> src2` (logical), src2 in 1..width.
    Shr = 9,
    /// `res = src1 >> src2` (arithmetic), src2 in 1..width.
    Sar = 10,
    /// MUL/IMUL: CF = OF = aux (the high half was significant).
    Mul = 11,
    /// NEG: `res = 0 - src1`.
    Neg = 12,
}

impl CcKind {
    pub fn from_u8(v: u8) -> Option<CcKind> {
        use CcKind::*;
        Some(match v {
            0 => Eflags,
            1 => Add,
            2 => Adc,
            3 => Sub,
            4 => Sbb,
            5 => Logic,
            6 => Inc,
            7 => Dec,
            8 => Shl,
            9 => Shr,
            10 => Sar,
            11 => Mul,
            12 => Neg,
            _ => return None,
        })
    }
}

/// Packs a kind and an operand width in bits into the `cc_op` field.
pub fn cc_op(kind: CcKind, bits: u32) -> u64 {
    kind as u64 | (u64::from(bits.trailing_zeros() - 3) << 8)
}

/// x87 register stack and control/status words (instructions: `x87.rs`, `lift/x87.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct X87State {
    /// ST(i) physical registers R0–R7, each an 80-bit extended value in the low 10 bytes.
    pub regs: [u128; 8],
    /// Top-of-stack index (0–7).
    pub top: u32,
    /// Control word (FCW); 0x37f at reset.
    pub fcw: u16,
    /// Status word without TOP (FSW bits other than 11–13).
    pub fsw: u16,
    /// Abridged tag word as FXSAVE stores it: bit i set when Ri is valid.
    pub ftw: u8,
    pub _pad: [u8; 7],
    /// Scratch for the x87 helpers (`x87.rs`): the exponent word of an m80 store, and
    /// FNSTENV/FNSAVE/FXSAVE images the lifted code copies to and from guest memory.
    pub img: [u64; 20],
}

/// The x86-64 user-mode CPU state.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug)]
pub struct X86State {
    /// RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8–R15 (the encoding order).
    pub gpr: [u64; 16],
    pub rip: u64,
    /// Lazy flags: see the module doc.
    pub cc_op: u64,
    pub cc_src1: u64,
    pub cc_src2: u64,
    pub cc_res: u64,
    pub cc_aux: u64,
    /// RFLAGS without the six arithmetic flags (DF, IF, ID, bit 1).
    pub rflags_other: u64,
    pub fs_base: u64,
    pub gs_base: u64,
    pub mxcsr: u32,
    pub _pad0: u32,
    pub xmm: [u128; 16],
    pub x87: X87State,
}

impl Default for X86State {
    fn default() -> Self {
        X86State {
            gpr: [0; 16],
            rip: 0,
            cc_op: cc_op(CcKind::Eflags, 64),
            cc_src1: 0,
            cc_src2: 0,
            cc_res: 0,
            cc_aux: 0,
            rflags_other: 0x202,
            fs_base: 0,
            gs_base: 0,
            mxcsr: 0x1f80,
            _pad0: 0,
            xmm: [0; 16],
            x87: X87State {
                fcw: 0x37f,
                ..Default::default()
            },
        }
    }
}

/// Byte offsets of the state's fields, for `GetReg`/`SetReg`.
pub mod off {
    use super::X86State;
    use std::mem::offset_of;

    pub const fn gpr(r: u8) -> u32 {
        (offset_of!(X86State, gpr) + 8 * r as usize) as u32
    }
    pub const RIP: u32 = offset_of!(X86State, rip) as u32;
    pub const CC_OP: u32 = offset_of!(X86State, cc_op) as u32;
    pub const CC_SRC1: u32 = offset_of!(X86State, cc_src1) as u32;
    pub const CC_SRC2: u32 = offset_of!(X86State, cc_src2) as u32;
    pub const CC_RES: u32 = offset_of!(X86State, cc_res) as u32;
    pub const CC_AUX: u32 = offset_of!(X86State, cc_aux) as u32;
    pub const RFLAGS_OTHER: u32 = offset_of!(X86State, rflags_other) as u32;
    pub const FS_BASE: u32 = offset_of!(X86State, fs_base) as u32;
    pub const GS_BASE: u32 = offset_of!(X86State, gs_base) as u32;
    pub const MXCSR: u32 = offset_of!(X86State, mxcsr) as u32;
    pub const fn xmm(r: u8) -> u32 {
        (offset_of!(X86State, xmm) + 16 * r as usize) as u32
    }
}

pub const STATE_SIZE: usize = std::mem::size_of::<X86State>();

impl X86State {
    /// Views a state buffer of the engine as the typed state.
    ///
    /// Panics if `buf` is too small or misaligned: that is an engine bug, not guest input.
    pub fn from_bytes(buf: &[u8]) -> &X86State {
        assert!(
            buf.len() >= STATE_SIZE && buf.as_ptr().align_offset(16) == 0,
            "x86 state buffer"
        );
        // SAFETY: size and alignment checked above; X86State is plain old data (integers only),
        // so every bit pattern is a valid value.
        unsafe { &*(buf.as_ptr() as *const X86State) }
    }

    /// Mutable view, as [`X86State::from_bytes`].
    pub fn from_bytes_mut(buf: &mut [u8]) -> &mut X86State {
        assert!(
            buf.len() >= STATE_SIZE && buf.as_ptr().align_offset(16) == 0,
            "x86 state buffer"
        );
        // SAFETY: as in `from_bytes`; the exclusive borrow of `buf` makes the view unique.
        unsafe { &mut *(buf.as_mut_ptr() as *mut X86State) }
    }

    /// The full RFLAGS value (arithmetic flags evaluated from the lazy form).
    pub fn rflags(&self) -> u64 {
        (self.rflags_other & !flag::ARITH)
            | eflags_from_cc(
                self.cc_op,
                self.cc_src1,
                self.cc_src2,
                self.cc_res,
                self.cc_aux,
            )
    }

    /// Sets RFLAGS: the arithmetic flags become the stored form `Eflags`.
    pub fn set_rflags(&mut self, v: u64) {
        self.cc_op = cc_op(CcKind::Eflags, 64);
        self.cc_src1 = v & flag::ARITH;
        self.rflags_other = (v & !flag::ARITH) | 2;
    }
}

fn parity(res: u64) -> u64 {
    if (res as u8).count_ones().is_multiple_of(2) {
        flag::PF
    } else {
        0
    }
}

/// Evaluates the six arithmetic flags from the lazy form (SDM Vol. 2, each instruction's
/// "Flags Affected"; the flags the SDM leaves undefined get what current Intel cores give
/// where glibc or compilers depend on it, else 0).
pub fn eflags_from_cc(op: u64, src1: u64, src2: u64, res: u64, aux: u64) -> u64 {
    let Some(kind) = CcKind::from_u8(op as u8) else {
        return 0;
    };
    if kind == CcKind::Eflags {
        return src1 & flag::ARITH;
    }
    let bits = 8u32 << ((op >> 8) & 3);
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let sign = 1u64 << (bits - 1);
    let (a, b, r) = (src1 & mask, src2 & mask, res & mask);
    let zf = if r == 0 { flag::ZF } else { 0 };
    let sf = if r & sign != 0 { flag::SF } else { 0 };
    let pf = parity(r);
    let af = if (a ^ b ^ r) & 0x10 != 0 { flag::AF } else { 0 };
    let of_add = if (!(a ^ b) & (a ^ r)) & sign != 0 {
        flag::OF
    } else {
        0
    };
    let of_sub = if ((a ^ b) & (a ^ r)) & sign != 0 {
        flag::OF
    } else {
        0
    };
    let bit = |c: bool, f: u64| if c { f } else { 0 };
    let common = zf | sf | pf;
    match kind {
        CcKind::Eflags => unreachable!(),
        CcKind::Add => common | af | of_add | bit(r < a, flag::CF),
        CcKind::Adc => common | af | of_add | bit(r < a || (aux & 1 != 0 && r == a), flag::CF),
        CcKind::Sub => common | af | of_sub | bit(a < b, flag::CF),
        CcKind::Sbb => common | af | of_sub | bit(a < b || (aux & 1 != 0 && a == b), flag::CF),
        CcKind::Logic => common,
        CcKind::Inc => {
            let af = bit(r & 0xf == 0, flag::AF);
            common | af | bit(r == sign, flag::OF) | (aux & flag::CF)
        }
        CcKind::Dec => {
            let af = bit(r & 0xf == 0xf, flag::AF);
            common | af | bit(r == sign - 1, flag::OF) | (aux & flag::CF)
        }
        CcKind::Neg => {
            let af = bit((a ^ r) & 0x10 != 0, flag::AF);
            common | af | bit(a != 0, flag::CF) | bit(a == sign, flag::OF)
        }
        CcKind::Shl => {
            let c = b as u32;
            let cf = c >= 1 && c <= bits && (a >> (bits - c)) & 1 != 0;
            let of = ((r & sign) != 0) != cf;
            common | bit(cf, flag::CF) | bit(of, flag::OF)
        }
        CcKind::Shr => {
            let c = b as u32;
            let cf = c >= 1 && c <= bits && (a >> (c - 1)) & 1 != 0;
            common | bit(cf, flag::CF) | bit(a & sign != 0, flag::OF)
        }
        CcKind::Sar => {
            let c = (b as u32).min(bits);
            let sa = ((a << (64 - bits)) as i64) >> (64 - bits);
            let cf = c >= 1 && (sa >> (c - 1)) & 1 != 0;
            common | bit(cf, flag::CF)
        }
        CcKind::Mul => common | bit(aux & 1 != 0, flag::CF | flag::OF),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_stable() {
        assert_eq!(off::gpr(0), 0);
        assert_eq!(off::RIP, 128);
        assert_eq!(off::xmm(0) % 16, 0);
        assert_eq!(STATE_SIZE % 16, 0);
    }

    #[test]
    fn sub_flags() {
        // cmp 1, 2 (32-bit): borrow, negative, no overflow.
        let f = eflags_from_cc(cc_op(CcKind::Sub, 32), 1, 2, 0xffff_ffff, 0);
        assert_eq!(
            f & (flag::CF | flag::SF | flag::ZF | flag::OF),
            flag::CF | flag::SF
        );
        // 0x80 - 1 in 8 bits: signed overflow.
        let f = eflags_from_cc(cc_op(CcKind::Sub, 8), 0x80, 1, 0x7f, 0);
        assert_eq!(f & (flag::CF | flag::OF | flag::SF), flag::OF);
    }

    #[test]
    fn adc_carry_when_operands_wrap_exactly() {
        // 0xff + 0xff + 1 = 0x1ff: res == a, carry set only because of the carry-in.
        let f = eflags_from_cc(cc_op(CcKind::Adc, 8), 0xff, 0xff, 0xff, 1);
        assert_ne!(f & flag::CF, 0);
        let f = eflags_from_cc(cc_op(CcKind::Adc, 8), 0x01, 0x00, 0x01, 0);
        assert_eq!(f & flag::CF, 0);
    }
}
