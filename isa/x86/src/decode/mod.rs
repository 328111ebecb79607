//! x86-64 instruction decoding: bytes → [`Insn`] (prefixes, opcode, operands), driven by the
//! opcode-map tables in [`tables`].
//!
//! ```text
//!  legacy prefixes* ─► REX? ─► opcode (map 1B / 0F / 0F38 / 0F3A) ─► ModRM ─► SIB? ─► disp ─► imm
//! ```
//!
//! The decoder finds the length and the operands; it does not know what an opcode does. The
//! lifter matches on `(map, opcode, ModRM.reg, mandatory prefix)`. Anything the tables mark
//! invalid (VEX/EVEX/XOP, 32-bit-only opcodes) decodes to [`DecodeError::Invalid`].

pub mod tables;

use std::fmt;
use tables::Fmt;

/// The architectural limit on instruction length (SDM Vol. 2, 2.3.11).
pub const MAX_LEN: usize = 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Map {
    Primary,
    M0F,
    M0F38,
    M0F3A,
}

/// Why bytes do not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the instruction needs were available.
    Truncated,
    /// Not an instruction xarch decodes (#UD in 64-bit mode, or VEX/EVEX/XOP).
    Invalid,
    /// Longer than 15 bytes (#GP on hardware; xarch treats it as #UD).
    TooLong,
}

/// REP/REPNE (also the mandatory F3/F2 prefixes of SSE encodings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rep {
    /// F3
    Rep,
    /// F2
    Repne,
}

/// A segment override that matters in 64-bit mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seg {
    Fs,
    Gs,
}

/// A memory operand: `seg:[base + index*scale + disp]`, or `[rip + disp]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mem {
    pub base: Option<u8>,
    pub index: Option<u8>,
    pub scale: u8,
    pub disp: i64,
    /// `[rip + disp]`: relative to the address of the next instruction.
    pub rip_relative: bool,
    /// 67 prefix: the effective address is truncated to 32 bits.
    pub addr32: bool,
    pub seg: Option<Seg>,
}

/// The register-or-memory operand of ModRM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rm {
    Reg(u8),
    Mem(Mem),
}

/// One decoded instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub len: u8,
    pub map: Map,
    pub opcode: u8,
    /// 66 present.
    pub opsize_prefix: bool,
    pub rep: Option<Rep>,
    pub lock: bool,
    pub seg: Option<Seg>,
    /// The REX byte, 0 if absent.
    pub rex: u8,
    /// Operand size in bits for opcodes whose size is not fixed by the opcode: 16, 32 or 64.
    pub osize: u32,
    /// ModRM.mod, ModRM.reg (with REX.R) and the rm operand (with REX.B/X), if present.
    pub modrm_mod: u8,
    pub reg: u8,
    pub rm: Option<Rm>,
    /// The low three opcode bits extended by REX.B, for `+r` opcodes (50+r, B8+r, …).
    pub opreg: u8,
    /// First immediate, sign-extended to 64 bits (zero-extended for `moffs`, ENTER's imm16).
    pub imm: i64,
    /// Second immediate (ENTER's imm8).
    pub imm2: i64,
    /// 67 present: 32-bit addressing.
    pub addr32: bool,
}

impl Insn {
    pub fn rex_w(&self) -> bool {
        self.rex & 8 != 0
    }

    /// Whether any REX prefix is present (selects SPL/BPL/SIL/DIL instead of AH/CH/DH/BH).
    pub fn has_rex(&self) -> bool {
        self.rex != 0
    }

    /// ModRM.reg without REX.R: the opcode extension of group opcodes.
    pub fn ext(&self) -> u8 {
        self.reg & 7
    }
}

/// Decodes the instruction at the start of `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Insn, DecodeError> {
    let mut cur = Cursor { bytes, pos: 0 };
    let mut insn = Insn {
        len: 0,
        map: Map::Primary,
        opcode: 0,
        opsize_prefix: false,
        rep: None,
        lock: false,
        seg: None,
        rex: 0,
        osize: 32,
        modrm_mod: 0,
        reg: 0,
        rm: None,
        opreg: 0,
        imm: 0,
        imm2: 0,
        addr32: false,
    };
    let mut addr32 = false;
    // Legacy prefixes, in any order; a REX counts only directly before the opcode.
    let mut op = loop {
        let b = cur.byte()?;
        match b {
            0x66 => insn.opsize_prefix = true,
            0x67 => addr32 = true,
            0xf0 => insn.lock = true,
            0xf2 => insn.rep = Some(Rep::Repne),
            0xf3 => insn.rep = Some(Rep::Rep),
            0x64 => insn.seg = Some(Seg::Fs),
            0x65 => insn.seg = Some(Seg::Gs),
            // CS/DS/ES/SS overrides are ignored in 64-bit mode (also as branch hints).
            0x26 | 0x2e | 0x36 | 0x3e => insn.seg = None,
            0x40..=0x4f => {
                insn.rex = b;
                let next = cur.byte()?;
                if matches!(next, 0x40..=0x4f) {
                    // A REX followed by another REX: only the last counts.
                    insn.rex = 0;
                    cur.pos -= 1;
                    continue;
                }
                if matches!(
                    next,
                    0x66 | 0x67 | 0xf0 | 0xf2 | 0xf3 | 0x64 | 0x65 | 0x26 | 0x2e | 0x36 | 0x3e
                ) {
                    // A REX not directly before the opcode is ignored.
                    insn.rex = 0;
                    cur.pos -= 1;
                    continue;
                }
                break next;
            }
            _ => break b,
        }
        if cur.pos >= MAX_LEN {
            return Err(DecodeError::TooLong);
        }
    };
    let mut fmt = tables::PRIMARY[op as usize];
    if fmt == Fmt::Escape {
        op = cur.byte()?;
        insn.map = Map::M0F;
        fmt = tables::MAP_0F[op as usize];
        if fmt == Fmt::Escape {
            insn.map = if op == 0x38 { Map::M0F38 } else { Map::M0F3A };
            let table = if op == 0x38 {
                &tables::MAP_0F38
            } else {
                &tables::MAP_0F3A
            };
            op = cur.byte()?;
            fmt = table[op as usize];
        }
    }
    insn.opcode = op;
    insn.opreg = (op & 7) | ((insn.rex & 1) << 3);
    let default64 = insn.map == Map::Primary && tables::primary_default_64(op)
        || insn.map == Map::M0F
            && (matches!(op, 0x80..=0x8f) || matches!(op, 0xa0 | 0xa1 | 0xa8 | 0xa9));
    insn.osize = if default64 {
        if insn.opsize_prefix { 16 } else { 64 }
    } else if insn.rex_w() {
        64
    } else if insn.opsize_prefix {
        16
    } else {
        32
    };
    let zsize = if insn.osize == 16 { 2 } else { 4 };
    match fmt {
        Fmt::Invalid | Fmt::Prefix | Fmt::Escape => return Err(DecodeError::Invalid),
        Fmt::None => {}
        Fmt::Imm8 => insn.imm = cur.imm(1)?,
        Fmt::Imm16 => insn.imm = cur.imm(2)?,
        Fmt::ImmZ => insn.imm = cur.imm(zsize)?,
        Fmt::Imm32 => insn.imm = cur.imm(4)?,
        Fmt::ImmV => {
            insn.imm = if insn.osize == 64 {
                cur.imm(8)?
            } else {
                cur.imm(zsize)?
            };
        }
        Fmt::Moffs => {
            let n = if addr32 { 4 } else { 8 };
            let v = cur.imm(n)?;
            insn.imm = if addr32 { v as u32 as i64 } else { v };
        }
        Fmt::Enter => {
            insn.imm = cur.imm(2)? as u16 as i64;
            insn.imm2 = cur.imm(1)? as u8 as i64;
        }
        Fmt::ModRm | Fmt::ModRmImm8 | Fmt::ModRmImmZ | Fmt::Group3 => {
            decode_modrm(&mut cur, &mut insn, addr32)?;
            match fmt {
                Fmt::ModRmImm8 => insn.imm = cur.imm(1)?,
                Fmt::ModRmImmZ => insn.imm = cur.imm(zsize)?,
                Fmt::Group3 if insn.ext() < 2 => {
                    // TEST r/m, imm: byte form F6 has imm8, F7 has imm16/32.
                    insn.imm = if op == 0xf6 {
                        cur.imm(1)?
                    } else {
                        cur.imm(zsize)?
                    };
                }
                _ => {}
            }
        }
    }
    if cur.pos > MAX_LEN {
        return Err(DecodeError::TooLong);
    }
    insn.len = cur.pos as u8;
    insn.addr32 = addr32;
    Ok(insn)
}

fn decode_modrm(cur: &mut Cursor, insn: &mut Insn, addr32: bool) -> Result<(), DecodeError> {
    let mut modrm = cur.byte()?;
    if insn.map == Map::M0F && matches!(insn.opcode, 0x20..=0x23) {
        // MOV to/from control and debug registers: always register operands (SDM MOV CR).
        modrm |= 0xc0;
    }
    let md = modrm >> 6;
    insn.modrm_mod = md;
    insn.reg = ((modrm >> 3) & 7) | ((insn.rex & 4) << 1);
    let rm = modrm & 7;
    let rex_b = (insn.rex & 1) << 3;
    if md == 3 {
        insn.rm = Some(Rm::Reg(rm | rex_b));
        return Ok(());
    }
    let mut mem = Mem {
        base: None,
        index: None,
        scale: 1,
        disp: 0,
        rip_relative: false,
        addr32,
        seg: insn.seg,
    };
    if rm == 4 {
        let sib = cur.byte()?;
        let scale = 1 << (sib >> 6);
        let index = ((sib >> 3) & 7) | ((insn.rex & 2) << 2);
        let base = sib & 7;
        if index != 4 {
            mem.index = Some(index);
            mem.scale = scale;
        }
        if base == 5 && md == 0 {
            mem.disp = cur.imm(4)?;
        } else {
            mem.base = Some(base | rex_b);
        }
    } else if rm == 5 && md == 0 {
        mem.rip_relative = true;
        mem.disp = cur.imm(4)?;
    } else {
        mem.base = Some(rm | rex_b);
    }
    match md {
        1 => mem.disp = cur.imm(1)?,
        2 => mem.disp = cur.imm(4)?,
        _ => {}
    }
    insn.rm = Some(Rm::Mem(mem));
    Ok(())
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        if self.pos >= MAX_LEN {
            return Err(DecodeError::TooLong);
        }
        let b = *self.bytes.get(self.pos).ok_or(DecodeError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    /// A little-endian immediate of `n` bytes, sign-extended.
    fn imm(&mut self, n: usize) -> Result<i64, DecodeError> {
        let mut v: u64 = 0;
        for i in 0..n {
            v |= u64::from(self.byte()?) << (8 * i);
        }
        let shift = 64 - 8 * n as u32;
        Ok(((v << shift) as i64) >> shift)
    }
}

const GPR64: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15",
];

impl fmt::Display for Mem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = self.seg {
            write!(f, "{}:", if s == Seg::Fs { "fs" } else { "gs" })?;
        }
        f.write_str("[")?;
        let mut first = true;
        if self.rip_relative {
            f.write_str("rip")?;
            first = false;
        }
        if let Some(b) = self.base {
            f.write_str(GPR64[b as usize])?;
            first = false;
        }
        if let Some(i) = self.index {
            if !first {
                f.write_str("+")?;
            }
            write!(f, "{}*{}", GPR64[i as usize], self.scale)?;
            first = false;
        }
        if self.disp != 0 || first {
            if first {
                write!(f, "{:#x}", self.disp)?;
            } else if self.disp < 0 {
                write!(f, "-{:#x}", self.disp.unsigned_abs())?;
            } else {
                write!(f, "+{:#x}", self.disp)?;
            }
        }
        f.write_str("]")
    }
}

/// The decoder's own structural rendering, used by the test vectors: map, opcode, prefixes,
/// operand size, ModRM operands and immediates (not a mnemonic: that is capstone's job).
impl fmt::Display for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let map = match self.map {
            Map::Primary => "",
            Map::M0F => "0f ",
            Map::M0F38 => "0f38 ",
            Map::M0F3A => "0f3a ",
        };
        write!(
            f,
            "len={} op={}{:02x} o{}",
            self.len, map, self.opcode, self.osize
        )?;
        if self.opsize_prefix {
            f.write_str(" p66")?;
        }
        match self.rep {
            Some(Rep::Rep) => f.write_str(" rep")?,
            Some(Rep::Repne) => f.write_str(" repne")?,
            None => {}
        }
        if self.lock {
            f.write_str(" lock")?;
        }
        if let Some(rm) = self.rm {
            write!(f, " reg={}", self.reg)?;
            match rm {
                Rm::Reg(r) => write!(f, " rm=r{r}")?,
                Rm::Mem(m) => write!(f, " rm={m}")?,
            }
        }
        if self.imm != 0 {
            write!(f, " imm={:#x}", self.imm)?;
        }
        if self.imm2 != 0 {
            write!(f, " imm2={:#x}", self.imm2)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
