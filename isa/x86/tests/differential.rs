//! Differential test against the real CPU (the host is x86-64): random sequences of the
//! implemented integer instructions, with random registers, flags and memory, run natively
//! in a forked child (an executable page with a prologue that loads the state and an
//! epilogue that saves it) and through xarch on both tiers; registers, the flags each
//! sequence leaves defined (SDM "Flags Affected") and memory must match.
//!
//! `XARCH_DIFF_SEQS=1000000 cargo test --release -p xarch-isa-x86 --test differential` runs
//! more; `XARCH_DIFF_SEED` picks another seed.

mod common;
use common::*;
use xarch_isa_x86::state::X86State;
use xarch_isa_x86::state::flag::*;
use xarch_translator::testing::Rng;

const CF_: u64 = CF;
/// GPRs the sequences may use: not RSP (the stack), not R15 (the memory operand base).
const REGS: [u8; 14] = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
const MEM_LEN: usize = 128;

/// Register values for the random states, on the shared generator.
trait Values {
    fn value(&mut self) -> u64;
}

impl Values for Rng {
    /// Register values that hit the edge cases more often than uniform bits.
    fn value(&mut self) -> u64 {
        match self.below(6) {
            0 => 0,
            1 => self.pick(&[
                1,
                u64::MAX,
                0x8000_0000_0000_0000,
                0x7fff_ffff_ffff_ffff,
                0x8000_0000,
                0x7fff_ffff,
                0xffff_ffff,
                0x80,
                0x7f,
                0xff,
                0x8000,
                0xffff,
            ]),
            2 => self.below(64),
            _ => self.next(),
        }
    }
}

/// An operand: a register or `[r15 + disp8]`.
#[derive(Clone, Copy)]
enum Opnd {
    Reg(u8),
    Mem(u8),
}

/// One generated sequence and what it leaves defined.
struct Seq {
    code: Vec<u8>,
    defined: u64,
}

struct Gen<'a> {
    rng: &'a mut Rng,
    code: Vec<u8>,
    defined: u64,
    /// An MMX instruction was generated: the sequence ends with EMMS.
    mmx: bool,
}

impl Gen<'_> {
    /// Emits `[66] [REX] opcode ModRM [disp8]` for width `bits` (byte forms always with REX,
    /// so 4–7 are SPL..DIL, never AH..BH: those are tested by encoding in insns.rs).
    fn modrm(&mut self, bits: u32, opcode: &[u8], reg: u8, rm: Opnd, mandatory: Option<u8>) {
        if bits == 16 {
            self.code.push(0x66);
        }
        if let Some(p) = mandatory {
            self.code.push(p);
        }
        let (rm_bits, disp) = match rm {
            Opnd::Reg(r) => (r, None),
            Opnd::Mem(d) => (15, Some(d)),
        };
        let rex = 0x40 | (u8::from(bits == 64) << 3) | ((reg >> 3) << 2) | (rm_bits >> 3);
        if rex != 0x40 || bits == 8 {
            self.code.push(rex);
        }
        self.code.extend_from_slice(opcode);
        match disp {
            None => self.code.push(0xc0 | ((reg & 7) << 3) | (rm_bits & 7)),
            Some(d) => {
                self.code.push(0x40 | ((reg & 7) << 3) | 7);
                self.code.push(d);
            }
        }
    }

    fn flags(&mut self, written: u64, defined: u64) {
        self.defined = (self.defined & !written) | defined;
    }

    fn reg(&mut self) -> u8 {
        self.rng.pick(&REGS)
    }

    fn opnd(&mut self, bits: u32) -> Opnd {
        if self.rng.below(4) == 0 {
            let max = MEM_LEN as u64 - u64::from(bits / 8);
            Opnd::Mem(self.rng.below(max + 1) as u8)
        } else {
            Opnd::Reg(self.reg())
        }
    }

    fn width(&mut self) -> u32 {
        self.rng.pick(&[8, 16, 32, 64, 32, 64])
    }

    fn imm(&mut self, n: usize) {
        let v = self.rng.value();
        self.code.extend_from_slice(&v.to_le_bytes()[..n]);
    }

    /// Flags read by condition `cc`.
    fn cond_reads(cc: u8) -> u64 {
        match cc >> 1 {
            0 => OF,
            1 => CF_,
            2 => ZF,
            3 => CF_ | ZF,
            4 => SF,
            5 => PF,
            6 => SF | OF,
            _ => SF | OF | ZF,
        }
    }

    fn one(&mut self) {
        let bits = self.width();
        let full = if bits == 8 { 32 } else { bits };
        if self.rng.below(3) == 0 {
            return match self.rng.below(4) {
                0 => self.sse4(),
                1 => self.mmx(),
                _ => self.sse(),
            };
        }
        match self.rng.below(21) {
            // ALU r/m, r and r, r/m (ADD OR ADC SBB AND SUB XOR CMP).
            0 | 1 => {
                let op = self.rng.below(8) as u8;
                if matches!(op, 2 | 3) && self.defined & CF_ == 0 {
                    return;
                }
                let dir = self.rng.below(2) as u8 * 2;
                let byte = u8::from(bits != 8);
                let reg = self.reg();
                let rm = self.opnd(bits);
                self.modrm(bits, &[(op << 3) | dir | byte], reg, rm, None);
                let logic = matches!(op, 1 | 4 | 6);
                self.flags(ARITH, if logic { ARITH & !AF } else { ARITH });
            }
            // ALU r/m, imm (80 / 81 / 83).
            2 => {
                let op = self.rng.below(8) as u8;
                if matches!(op, 2 | 3) && self.defined & CF_ == 0 {
                    return;
                }
                let rm = self.opnd(bits);
                let (opc, n) = match (bits, self.rng.below(2)) {
                    (8, _) => (0x80, 1),
                    (_, 0) => (0x83, 1),
                    (16, _) => (0x81, 2),
                    _ => (0x81, 4),
                };
                self.modrm(bits, &[opc], op, rm, None);
                self.imm(n);
                let logic = matches!(op, 1 | 4 | 6);
                self.flags(ARITH, if logic { ARITH & !AF } else { ARITH });
            }
            // TEST r/m, r.
            3 => {
                let reg = self.reg();
                let rm = self.opnd(bits);
                self.modrm(bits, &[if bits == 8 { 0x84 } else { 0x85 }], reg, rm, None);
                self.flags(ARITH, ARITH & !AF);
            }
            // INC, DEC, NOT, NEG.
            4 => {
                let ext = self.rng.below(4) as u8;
                let rm = self.opnd(bits);
                let (opc, ext) = match ext {
                    0 | 1 => (if bits == 8 { 0xfe } else { 0xff }, ext),
                    _ => (if bits == 8 { 0xf6 } else { 0xf7 }, ext),
                };
                self.modrm(bits, &[opc], ext, rm, None);
                match ext {
                    0 | 1 => self.flags(ARITH & !CF_, ARITH & !CF_),
                    3 => self.flags(ARITH, ARITH),
                    _ => {}
                }
            }
            // Shifts and rotates by an immediate, or by CL set just before.
            5 | 6 => {
                let ext = self.rng.pick(&[0u8, 1, 2, 3, 4, 5, 7]);
                if (ext == 2 || ext == 3) && self.defined & CF_ == 0 {
                    return;
                }
                let count = self.rng.below(70) as u8;
                let rm = self.opnd(bits);
                let by_cl = self.rng.below(2) == 0;
                if by_cl {
                    // mov ecx, count
                    self.code.push(0xb9);
                    self.code.extend_from_slice(&u32::from(count).to_le_bytes());
                    if let Opnd::Reg(1) = rm {
                        return self.flags(0, 0);
                    }
                    self.modrm(bits, &[if bits == 8 { 0xd2 } else { 0xd3 }], ext, rm, None);
                } else {
                    self.modrm(bits, &[if bits == 8 { 0xc0 } else { 0xc1 }], ext, rm, None);
                    self.code.push(count);
                }
                let c = u32::from(count) & if bits == 64 { 63 } else { 31 };
                if c == 0 {
                    return;
                }
                if ext < 4 {
                    self.flags(CF_ | OF, if c == 1 { CF_ | OF } else { CF_ });
                } else {
                    let mut d = ARITH & !AF;
                    if c != 1 {
                        d &= !OF;
                    }
                    if c >= bits {
                        d &= !CF_;
                    }
                    self.flags(ARITH, d);
                }
            }
            // IMUL r, r/m ; IMUL r, r/m, imm8 ; MUL/IMUL r/m.
            7 => {
                let b = if bits == 8 { 32 } else { bits };
                let reg = self.reg();
                let rm = self.opnd(b);
                match self.rng.below(3) {
                    0 => self.modrm(b, &[0x0f, 0xaf], reg, rm, None),
                    1 => {
                        self.modrm(b, &[0x6b], reg, rm, None);
                        self.imm(1);
                    }
                    _ => {
                        let ext = 4 + self.rng.below(2) as u8;
                        self.modrm(bits, &[if bits == 8 { 0xf6 } else { 0xf7 }], ext, rm, None);
                    }
                }
                self.flags(ARITH, CF_ | OF);
            }
            // MOV forms and LEA.
            8 => {
                let reg = self.reg();
                let rm = self.opnd(bits);
                let dir = self.rng.below(2) as u8 * 2;
                self.modrm(bits, &[0x88 | dir | u8::from(bits != 8)], reg, rm, None);
            }
            9 => {
                let b = if bits == 8 { 64 } else { bits };
                let reg = self.reg();
                // lea reg, [base + index*scale + disp8] via SIB.
                let base = self.reg();
                let index = self.reg();
                let scale = self.rng.below(4) as u8;
                if b == 16 {
                    self.code.push(0x66);
                }
                let rex = 0x40
                    | (u8::from(b == 64) << 3)
                    | ((reg >> 3) << 2)
                    | ((index >> 3) << 1)
                    | (base >> 3);
                if rex != 0x40 {
                    self.code.push(rex);
                }
                self.code.extend_from_slice(&[
                    0x8d,
                    0x44 | ((reg & 7) << 3),
                    (scale << 6) | ((index & 7) << 3) | (base & 7),
                ]);
                self.imm(1);
            }
            // MOVZX/MOVSX from 8/16, MOVSXD.
            10 => {
                let b = self.rng.pick(&[16u32, 32, 64]);
                let reg = self.reg();
                let (opc, src) = match self.rng.below(5) {
                    0 => (vec![0x0f, 0xb6], 8),
                    1 => (vec![0x0f, 0xbe], 8),
                    2 => (vec![0x0f, 0xb7], 16),
                    3 => (vec![0x0f, 0xbf], 16),
                    _ => (vec![0x63], 32),
                };
                if src == 32 && b != 64 {
                    return;
                }
                let rm = self.opnd(src);
                // Byte sources need a REX to mean SPL..DIL: force one through REX.W=0 forms.
                if src == 8 && b != 64 && !matches!(rm, Opnd::Mem(_)) {
                    if b == 16 {
                        self.code.push(0x66);
                    }
                    let Opnd::Reg(r) = rm else { unreachable!() };
                    self.code.push(0x40 | ((reg >> 3) << 2) | (r >> 3));
                    self.code.extend_from_slice(&opc);
                    self.code.push(0xc0 | ((reg & 7) << 3) | (r & 7));
                } else {
                    self.modrm(b, &opc, reg, rm, None);
                }
            }
            // XCHG r, r/m ; CMOVcc ; SETcc.
            11 => {
                let reg = self.reg();
                let rm = self.opnd(bits);
                self.modrm(bits, &[if bits == 8 { 0x86 } else { 0x87 }], reg, rm, None);
            }
            12 => {
                let cc = self.rng.below(16) as u8;
                if Self::cond_reads(cc) & !self.defined != 0 {
                    return;
                }
                if self.rng.below(2) == 0 {
                    let b = if bits == 8 { 32 } else { bits };
                    let reg = self.reg();
                    let rm = self.opnd(b);
                    self.modrm(b, &[0x0f, 0x40 | cc], reg, rm, None);
                } else {
                    let rm = self.opnd(8);
                    self.modrm(8, &[0x0f, 0x90 | cc], 0, rm, None);
                }
            }
            // BSWAP, CBW family, CWD family.
            13 => {
                let r = self.reg();
                match self.rng.below(3) {
                    0 => {
                        let b = if bits == 64 { 64 } else { 32 };
                        let rex = 0x40 | (u8::from(b == 64) << 3) | (r >> 3);
                        if rex != 0x40 {
                            self.code.push(rex);
                        }
                        self.code.extend_from_slice(&[0x0f, 0xc8 | (r & 7)]);
                    }
                    k => {
                        let b = if bits == 8 { 32 } else { bits };
                        if b == 16 {
                            self.code.push(0x66);
                        }
                        if b == 64 {
                            self.code.push(0x48);
                        }
                        self.code.push(if k == 1 { 0x98 } else { 0x99 });
                    }
                }
            }
            // BT/BTS/BTR/BTC with a register or an immediate (register operands).
            14 => {
                let b = if bits == 8 { 32 } else { bits };
                let reg = self.reg();
                let rm = Opnd::Reg(self.reg());
                if self.rng.below(2) == 0 {
                    let opc = self.rng.pick(&[0xa3u8, 0xab, 0xb3, 0xbb]);
                    self.modrm(b, &[0x0f, opc], reg, rm, None);
                } else {
                    let ext = 4 + self.rng.below(4) as u8;
                    self.modrm(b, &[0x0f, 0xba], ext, rm, None);
                    self.imm(1);
                }
                self.flags(CF_ | OF | SF | AF | PF, CF_);
            }
            // BSF/BSR (64-bit: a zero source leaves the whole register unchanged), POPCNT.
            15 => {
                let reg = self.reg();
                let rm = self.opnd(64);
                if self.rng.below(3) == 0 {
                    let b = if bits == 8 { 32 } else { bits };
                    let rm = self.opnd(b);
                    self.modrm(b, &[0x0f, 0xb8], reg, rm, Some(0xf3));
                    // modrm() put 66 before F3; both orders are legal.
                    self.flags(ARITH, ARITH);
                } else {
                    let opc = self.rng.pick(&[0xbcu8, 0xbd]);
                    self.modrm(64, &[0x0f, opc], reg, rm, None);
                    self.flags(ARITH, ZF);
                }
            }
            // CLC, STC, CMC.
            16 => {
                let op = self.rng.pick(&[0xf8u8, 0xf9, 0xf5]);
                if op == 0xf5 && self.defined & CF_ == 0 {
                    return;
                }
                self.code.push(op);
                self.flags(CF_, CF_);
            }
            // XADD, CMPXCHG (register and memory destinations).
            17 => {
                let reg = self.reg();
                let rm = self.opnd(bits);
                let opc = if self.rng.below(2) == 0 { 0xc0 } else { 0xb0 } | u8::from(bits != 8);
                if let (Opnd::Reg(r), 0xb0 | 0xb1) = (rm, opc)
                    && (r == 0 || reg == 0)
                {
                    return;
                }
                self.modrm(bits, &[0x0f, opc], reg, rm, None);
                self.flags(ARITH, ARITH);
            }
            // SHLD/SHRD by an immediate 1..width-1.
            18 => {
                let b = if bits == 64 { 64 } else { 32 };
                let reg = self.reg();
                let rm = self.opnd(b);
                let left = self.rng.below(2) == 0;
                self.modrm(b, &[0x0f, if left { 0xa4 } else { 0xac }], reg, rm, None);
                let c = if self.rng.below(4) == 0 {
                    1
                } else {
                    1 + self.rng.below(u64::from(b) - 1) as u8
                };
                self.code.push(c);
                let mut d = CF_ | SF | ZF | PF;
                if c == 1 {
                    d |= OF;
                }
                self.flags(ARITH, d);
            }
            // CMPXCHG8B / LOCK CMPXCHG16B (16-byte aligned): half of the time RDX:RAX is first
            // loaded from the operand, so the compare succeeds.
            19 => {
                let wide = self.rng.below(2) == 0;
                let size: u8 = if wide { 16 } else { 8 };
                let d = size * self.rng.below(MEM_LEN as u64 / u64::from(size)) as u8;
                if self.rng.below(2) == 0 {
                    let b = if wide { 64 } else { 32 };
                    self.modrm(b, &[0x8b], 0, Opnd::Mem(d), None);
                    self.modrm(b, &[0x8b], 2, Opnd::Mem(d + size / 2), None);
                }
                if wide {
                    self.code.push(0xf0);
                }
                self.modrm(
                    if wide { 64 } else { 32 },
                    &[0x0f, 0xc7],
                    1,
                    Opnd::Mem(d),
                    None,
                );
                self.flags(ZF, ZF);
            }
            // SAHF; LAHF when the flags it copies are defined.
            _ => {
                let low = SF | ZF | AF | PF | CF_;
                if self.rng.below(2) == 0 {
                    self.code.push(0x9e);
                    self.flags(low, low);
                } else if self.defined & low == low {
                    self.code.push(0x9f);
                }
            }
        }
        let _ = full;
    }
}

/// 0F opcodes of the packed integer, logic, unpack, pack and shift-by-register operations
/// that MMX (no prefix) and SSE2 (66) share.
const PACKED_INT_OPS: [u8; 55] = [
    0xef, 0xdb, 0xdf, 0xeb, 0xfc, 0xfd, 0xfe, 0xd4, 0xf8, 0xf9, 0xfa, 0xfb, 0x74, 0x75, 0x76, 0x64,
    0x65, 0x66, 0xda, 0xde, 0xea, 0xee, 0xdc, 0xdd, 0xd8, 0xd9, 0xec, 0xed, 0xe8, 0xe9, 0xd5, 0x60,
    0x61, 0x62, 0x68, 0x69, 0x6a, 0x63, 0x67, 0x6b, 0xe0, 0xe3, 0xe4, 0xe5, 0xf5, 0xf6, 0xd1, 0xd2,
    0xd3, 0xe1, 0xe2, 0xf1, 0xf2, 0xf3, 0xf4,
];
/// With 66 only: PUNPCKLQDQ/PUNPCKHQDQ and the PD logic and unpacks.
const SSE2_ONLY_OPS: [u8; 8] = [0x6c, 0x6d, 0x54, 0x55, 0x56, 0x57, 0x14, 0x15];
/// Shifts by an immediate (opcode, ModRM /ext): PSRLW PSRAW PSLLW, …D, PSRLQ PSLLQ, then the
/// XMM-only PSRLDQ PSLLDQ.
const SHIFT_IMM: [(u8, u8); 10] = [
    (0x71, 2),
    (0x71, 4),
    (0x71, 6),
    (0x72, 2),
    (0x72, 4),
    (0x72, 6),
    (0x73, 2),
    (0x73, 6),
    (0x73, 3),
    (0x73, 7),
];

/// XMM contents: random bits, or lanes of small exact floats so arithmetic is meaningful.
fn xmm_value(rng: &mut Rng) -> u128 {
    match rng.below(4) {
        0 => (u128::from(rng.next()) << 64) | u128::from(rng.next()),
        1 => {
            let a = (rng.below(2001) as f64 - 1000.0) / 8.0;
            let b = (rng.below(2001) as f64 - 1000.0) / 4.0;
            (u128::from(b.to_bits()) << 64) | u128::from(a.to_bits())
        }
        2 => {
            let mut v = 0u128;
            for k in 0..4 {
                let f = (rng.below(201) as f32 - 100.0) / 2.0;
                v |= u128::from(f.to_bits()) << (32 * k);
            }
            v
        }
        _ => {
            let mut v = 0u128;
            for k in 0..16 {
                v |= u128::from(rng.pick(&[0u8, 0xff, 0x80, 0x7f, 1, b'a', b'z'])) << (8 * k);
            }
            v
        }
    }
}

impl Gen<'_> {
    /// `[prefix] [REX] 0F op ModRM [disp8] [imm8]` with an XMM (or GPR) `reg` and an XMM
    /// register or 16-byte-safe memory `rm`.
    fn sse_op(&mut self, prefix: Option<u8>, op: &[u8], reg: u8, rm: Opnd, w: bool) {
        if let Some(p) = prefix {
            self.code.push(p);
        }
        let (rm_bits, disp) = match rm {
            Opnd::Reg(r) => (r, None),
            Opnd::Mem(d) => (15, Some(d)),
        };
        let rex = 0x40 | (u8::from(w) << 3) | ((reg >> 3) << 2) | (rm_bits >> 3);
        if rex != 0x40 {
            self.code.push(rex);
        }
        self.code.push(0x0f);
        self.code.extend_from_slice(op);
        match disp {
            None => self.code.push(0xc0 | ((reg & 7) << 3) | (rm_bits & 7)),
            Some(d) => {
                self.code.push(0x40 | ((reg & 7) << 3) | 7);
                self.code.push(d);
            }
        }
    }

    fn xreg(&mut self) -> u8 {
        self.rng.below(16) as u8
    }

    fn xrm(&mut self) -> Opnd {
        if self.rng.below(4) == 0 {
            Opnd::Mem(16 * self.rng.below(MEM_LEN as u64 / 16) as u8)
        } else {
            Opnd::Reg(self.xreg())
        }
    }

    /// PSRLW…PSLLQ (and PSRLDQ/PSLLDQ) by an immediate: one of `forms` (opcode, /ext) on
    /// register `reg`, with a count in and out of range.
    fn shift_imm(&mut self, prefix: Option<u8>, reg: u8, forms: &[(u8, u8)]) {
        let (op, ext) = self.rng.pick(forms);
        self.sse_op(prefix, &[op], ext, Opnd::Reg(reg), false);
        let c = self
            .rng
            .pick(&[0u8, 1, 3, 7, 8, 15, 16, 31, 32, 63, 64, 200]);
        self.code.push(c);
    }

    /// MOVD/MOVQ between `reg` and a GPR or memory (0F 6E, or 0F 7E when `store`; REX.W
    /// at random).
    fn movd_gpr(&mut self, prefix: Option<u8>, store: bool, reg: u8) {
        let rm = self.opnd(64);
        let w = self.rng.below(2) == 0;
        self.sse_op(prefix, &[if store { 0x7e } else { 0x6e }], reg, rm, w);
    }

    fn sse(&mut self) {
        let x = self.xreg();
        match self.rng.below(14) {
            // 66 0F packed integer, logic, unpack and pack ops.
            0..=3 => {
                let op = self
                    .rng
                    .pick(&[&PACKED_INT_OPS[..], &SSE2_ONLY_OPS].concat());
                let rm = self.xrm();
                self.sse_op(Some(0x66), &[op], x, rm, false);
            }
            // Logic and unpacks without prefix (PS forms); MASKMOVDQU to [r15 + d] (lea rdi,
            // [r15 + d] first; mov edi, d after, as for MASKMOVQ).
            4 => {
                if self.rng.below(3) == 0 {
                    let d = self.rng.below(MEM_LEN as u64 - 15) as u8;
                    self.code.extend_from_slice(&[0x49, 0x8d, 0x7f, d]);
                    let r = self.xreg();
                    self.sse_op(Some(0x66), &[0xf7], x, Opnd::Reg(r), false);
                    self.code.extend_from_slice(&[0xbf, d, 0, 0, 0]);
                } else {
                    let op = self.rng.pick(&[0x54u8, 0x55, 0x56, 0x57, 0x14, 0x15]);
                    let rm = self.xrm();
                    self.sse_op(None, &[op], x, rm, false);
                }
            }
            // PSHUFD / PSHUFLW / PSHUFHW, SHUFPS / SHUFPD.
            5 => {
                let (p, op) = self.rng.pick(&[
                    (Some(0x66u8), 0x70u8),
                    (Some(0xf2), 0x70),
                    (Some(0xf3), 0x70),
                    (None, 0xc6),
                    (Some(0x66), 0xc6),
                ]);
                let rm = self.xrm();
                self.sse_op(p, &[op], x, rm, false);
                self.imm(1);
            }
            // Shifts by an immediate.
            6 => {
                self.shift_imm(Some(0x66), x, &SHIFT_IMM);
            }
            // PMOVMSKB, MOVMSKPS/PD, PEXTRW, to a GPR.
            7 => {
                let r = self.reg();
                match self.rng.below(4) {
                    0 => self.sse_op(Some(0x66), &[0xd7], r, Opnd::Reg(x), false),
                    1 => self.sse_op(None, &[0x50], r, Opnd::Reg(x), false),
                    2 => self.sse_op(Some(0x66), &[0x50], r, Opnd::Reg(x), false),
                    _ => {
                        self.sse_op(Some(0x66), &[0xc5], r, Opnd::Reg(x), false);
                        self.imm(1);
                    }
                }
            }
            // MOVD/MOVQ between GPRs and XMM, MOVQ xmm forms, PINSRW.
            8 => match self.rng.below(5) {
                k @ (0 | 1) => self.movd_gpr(Some(0x66), k == 1, x),
                2 => {
                    let rm = self.xrm();
                    self.sse_op(Some(0xf3), &[0x7e], x, rm, false);
                }
                3 => {
                    let rm = self.xrm();
                    self.sse_op(Some(0x66), &[0xd6], x, rm, false);
                }
                _ => {
                    let rm = self.opnd(16);
                    self.sse_op(Some(0x66), &[0xc4], x, rm, false);
                    self.imm(1);
                }
            },
            // Moves: MOVDQA/MOVDQU/MOVAPS/MOVUPS loads and stores, MOVSS/MOVSD, MOVLPS/MOVHPS.
            9 => {
                let (p, op) = self.rng.pick(&[
                    (Some(0xf3u8), 0x6fu8),
                    (Some(0xf3), 0x7f),
                    (None, 0x10),
                    (None, 0x11),
                    (Some(0xf3), 0x10),
                    (Some(0xf2), 0x10),
                    (Some(0xf3), 0x11),
                    (Some(0xf2), 0x11),
                    (None, 0x12),
                    (None, 0x16),
                    (Some(0x66), 0x12),
                    (Some(0x66), 0x16),
                    (None, 0x13),
                    (None, 0x17),
                ]);
                let mut rm = self.xrm();
                if matches!(op, 0x13 | 0x17) || (p == Some(0x66) && matches!(op, 0x12 | 0x16)) {
                    rm = Opnd::Mem(self.rng.below(MEM_LEN as u64 - 7) as u8);
                }
                self.sse_op(p, &[op], x, rm, false);
            }
            // Scalar and packed float arithmetic; RCPPS/RSQRTPS and RCPSS/RSQRTSS (bits the
            // SDM leaves to the vendor: the host's).
            10 | 11 => {
                let op = self
                    .rng
                    .pick(&[0x58u8, 0x59, 0x5c, 0x5e, 0x5d, 0x5f, 0x51, 0x52, 0x53]);
                let p = if matches!(op, 0x52 | 0x53) {
                    self.rng.pick(&[None, Some(0xf3u8)])
                } else {
                    self.rng.pick(&[None, Some(0x66u8), Some(0xf3), Some(0xf2)])
                };
                let rm = self.xrm();
                self.sse_op(p, &[op], x, rm, false);
            }
            // Conversions.
            12 => match self.rng.below(6) {
                4 => {
                    let (p, op) = self.rng.pick(&[
                        (None, 0x5bu8),
                        (Some(0xf3u8), 0x5b),
                        (Some(0x66), 0x5b),
                        (None, 0x5a),
                        (Some(0x66), 0x5a),
                        (Some(0x66), 0xe6),
                        (Some(0xf2), 0xe6),
                    ]);
                    let rm = self.xrm();
                    self.sse_op(p, &[op], x, rm, false);
                }
                5 => {
                    let rm = self.xrm();
                    self.sse_op(Some(0x66), &[0xf4], x, rm, false);
                }
                0 => {
                    let p = self.rng.pick(&[0xf3u8, 0xf2]);
                    let rm = self.opnd(64);
                    let w = self.rng.below(2) == 0;
                    self.sse_op(Some(p), &[0x2a], x, rm, w);
                }
                1 => {
                    let p = self.rng.pick(&[0xf3u8, 0xf2]);
                    let op = self.rng.pick(&[0x2cu8, 0x2d]);
                    let r = self.reg();
                    let rm = self.xrm();
                    let w = self.rng.below(2) == 0;
                    self.sse_op(Some(p), &[op], r, rm, w);
                }
                2 => {
                    let p = self.rng.pick(&[0xf3u8, 0xf2]);
                    let rm = self.xrm();
                    self.sse_op(Some(p), &[0x5a], x, rm, false);
                }
                _ => {
                    let rm = self.xrm();
                    self.sse_op(Some(0xf3), &[0xe6], x, rm, false);
                }
            },
            // Compares: UCOMIS/COMIS (flags), CMPSS/SD/PS/PD.
            _ => {
                if self.rng.below(2) == 0 {
                    let p = self.rng.pick(&[None, Some(0x66u8)]);
                    let op = self.rng.pick(&[0x2eu8, 0x2f]);
                    let rm = self.xrm();
                    self.sse_op(p, &[op], x, rm, false);
                    self.flags(ARITH, ARITH);
                } else {
                    let p = self.rng.pick(&[None, Some(0x66u8), Some(0xf3), Some(0xf2)]);
                    let rm = self.xrm();
                    self.sse_op(p, &[0xc2], x, rm, false);
                    let pred = if p.is_some_and(|p| p >= 0xf2) {
                        self.rng.below(8)
                    } else {
                        self.rng.below(8)
                    };
                    self.code.push(pred as u8);
                }
            }
        }
    }
}

impl Gen<'_> {
    /// SSE3, SSSE3, SSE4.1 and SSE4.2: every instruction xarch advertises, random operands
    /// and immediates (PCMPxSTRx on strings with embedded zeros and random lengths).
    fn sse4(&mut self) {
        let x = self.xreg();
        match self.rng.below(13) {
            // 66 0F 38, 128-bit operands.
            0..=2 => {
                let op = self.rng.pick(&[
                    0x00u8, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x10,
                    0x14, 0x15, 0x17, 0x1c, 0x1d, 0x1e, 0x28, 0x29, 0x2b, 0x37, 0x38, 0x39, 0x3a,
                    0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41,
                ]);
                let rm = self.xrm();
                self.sse_op(Some(0x66), &[0x38, op], x, rm, false);
                if op == 0x17 {
                    self.flags(ARITH, ARITH);
                }
            }
            // PMOVSX / PMOVZX with their narrow memory operands (no alignment needed).
            3 => {
                let op = self.rng.pick(&[
                    0x20u8, 0x21, 0x22, 0x23, 0x24, 0x25, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
                ]);
                let size = match op & 0xf {
                    0 | 3 | 5 => 8,
                    1 | 4 => 4,
                    _ => 2,
                };
                let rm = if self.rng.below(3) == 0 {
                    Opnd::Mem(self.rng.below(MEM_LEN as u64 - size + 1) as u8)
                } else {
                    Opnd::Reg(self.xreg())
                };
                self.sse_op(Some(0x66), &[0x38, op], x, rm, false);
            }
            // 66 0F 3A with 128-bit operands and an imm8; ROUNDSS/SD on m32/m64.
            4 | 5 => {
                let op = self.rng.pick(&[
                    0x08u8, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x40, 0x41, 0x42,
                ]);
                let mut rm = self.xrm();
                if matches!(op, 0x0a | 0x0b) && matches!(rm, Opnd::Mem(_)) {
                    let size = if op == 0x0a { 4 } else { 8 };
                    rm = Opnd::Mem(self.rng.below(MEM_LEN as u64 - size + 1) as u8);
                }
                self.sse_op(Some(0x66), &[0x3a, op], x, rm, false);
                let imm = match op {
                    0x08..=0x0b => self.rng.below(16) as u8,
                    0x0f => self
                        .rng
                        .pick(&[0u8, 1, 4, 7, 8, 15, 16, 17, 24, 31, 32, 200]),
                    _ => self.rng.next() as u8,
                };
                self.code.push(imm);
            }
            // PEXTRB/W/D/Q, EXTRACTPS to a GPR or memory.
            6 => {
                let op = self.rng.pick(&[0x14u8, 0x15, 0x16, 0x17]);
                let w = op == 0x16 && self.rng.below(2) == 0;
                let rm = self.opnd(64);
                self.sse_op(Some(0x66), &[0x3a, op], x, rm, w);
                self.code.push(self.rng.next() as u8);
            }
            // PINSRB/D/Q from a GPR or memory; INSERTPS.
            7 => {
                if self.rng.below(3) == 0 {
                    let mut rm = self.xrm();
                    if matches!(rm, Opnd::Mem(_)) {
                        rm = Opnd::Mem(self.rng.below(MEM_LEN as u64 - 3) as u8);
                    }
                    self.sse_op(Some(0x66), &[0x3a, 0x21], x, rm, false);
                } else {
                    let op = self.rng.pick(&[0x20u8, 0x22]);
                    let w = op == 0x22 && self.rng.below(2) == 0;
                    let rm = self.opnd(64);
                    self.sse_op(Some(0x66), &[0x3a, op], x, rm, w);
                }
                self.code.push(self.rng.next() as u8);
            }
            // PCMPESTRI/M, PCMPISTRI/M with random control bytes; explicit lengths in
            // EAX/EDX (or RAX/RDX with REX.W), often small and sometimes negative.
            8..=10 => {
                let op = self.rng.pick(&[0x60u8, 0x61, 0x62, 0x63]);
                let w = op < 0x62 && self.rng.below(4) == 0;
                if op < 0x62 {
                    for r in [0u8, 2] {
                        if self.rng.below(4) != 0 {
                            let v = self.rng.below(41) as i32 - 20;
                            self.code.extend_from_slice(&[0x48, 0xc7, 0xc0 | r]);
                            self.code.extend_from_slice(&v.to_le_bytes());
                        }
                    }
                }
                let rm = if self.rng.below(4) == 0 {
                    Opnd::Mem(self.rng.below(MEM_LEN as u64 - 15) as u8)
                } else {
                    Opnd::Reg(self.xreg())
                };
                self.sse_op(Some(0x66), &[0x3a, op], x, rm, w);
                self.code.push(self.rng.below(128) as u8);
                self.flags(ARITH, ARITH);
            }
            // CRC32 r32/r64, r/m8/16/32/64.
            11 => {
                let (op, bits) = self.rng.pick(&[
                    (0xf0u8, 32u32),
                    (0xf0, 64),
                    (0xf1, 16),
                    (0xf1, 32),
                    (0xf1, 64),
                ]);
                let reg = self.reg();
                let rm = self.opnd(if op == 0xf0 { 8 } else { bits });
                self.modrm(bits, &[0x0f, 0x38, op], reg, rm, Some(0xf2));
            }
            // SSE3: HADD/HSUB/ADDSUB PS/PD, LDDQU, MOVDDUP, MOVSLDUP, MOVSHDUP.
            _ => {
                let (p, op) = self.rng.pick(&[
                    (0x66u8, 0x7cu8),
                    (0xf2, 0x7c),
                    (0x66, 0x7d),
                    (0xf2, 0x7d),
                    (0x66, 0xd0),
                    (0xf2, 0xd0),
                    (0xf2, 0xf0),
                    (0xf2, 0x12),
                    (0xf3, 0x12),
                    (0xf3, 0x16),
                ]);
                let mut rm = self.xrm();
                if op == 0xf0 {
                    rm = Opnd::Mem(self.rng.below(MEM_LEN as u64 - 15) as u8);
                } else if op == 0x12 && p == 0xf2 && matches!(rm, Opnd::Mem(_)) {
                    rm = Opnd::Mem(self.rng.below(MEM_LEN as u64 - 7) as u8);
                }
                self.sse_op(Some(p), &[op], x, rm, false);
            }
        }
    }
}

impl Gen<'_> {
    /// An MMX register (REX.R/REX.B set at random: MMX register numbers ignore them) or an
    /// m64.
    fn mrm(&mut self) -> Opnd {
        if self.rng.below(4) == 0 {
            Opnd::Mem(self.rng.below(MEM_LEN as u64 - 7) as u8)
        } else {
            Opnd::Reg(self.rng.below(16) as u8)
        }
    }

    /// MMX and the SSE/SSE2/SSSE3 forms on MMX registers, random operands and immediates.
    fn mmx(&mut self) {
        self.mmx = true;
        let m = self.rng.below(16) as u8;
        match self.rng.below(12) {
            // 0F packed integer, logic, unpack, pack, shift-by-register, SSE integer ops.
            0..=3 => {
                let op = self.rng.pick(&PACKED_INT_OPS);
                let rm = self.mrm();
                self.sse_op(None, &[op], m, rm, false);
            }
            // Shifts by an immediate.
            4 => {
                // Not PSRLDQ/PSLLDQ (XMM only).
                self.shift_imm(None, m, &SHIFT_IMM[..8]);
            }
            // SSSE3 (0F 38) and PALIGNR (0F 3A 0F).
            5 => {
                let rm = self.mrm();
                if self.rng.below(5) == 0 {
                    self.sse_op(None, &[0x3a, 0x0f], m, rm, false);
                    let n = self.rng.below(20) as u8;
                    self.code.push(n);
                } else {
                    let op = self.rng.pick(&[
                        0x00u8, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
                        0x1c, 0x1d, 0x1e,
                    ]);
                    self.sse_op(None, &[0x38, op], m, rm, false);
                }
            }
            // MOVD/MOVQ with GPRs and memory, MOVQ, MOVNTQ.
            6 => match self.rng.below(5) {
                k @ (0 | 1) => self.movd_gpr(None, k == 1, m),
                2 => {
                    let rm = self.mrm();
                    self.sse_op(None, &[0x6f], m, rm, false);
                }
                3 => {
                    let rm = self.mrm();
                    self.sse_op(None, &[0x7f], m, rm, false);
                }
                _ => {
                    let d = self.rng.below(MEM_LEN as u64 - 7) as u8;
                    self.sse_op(None, &[0xe7], m, Opnd::Mem(d), false);
                }
            },
            // PSHUFW, PINSRW, PEXTRW, PMOVMSKB.
            7 => match self.rng.below(4) {
                0 => {
                    let rm = self.mrm();
                    self.sse_op(None, &[0x70], m, rm, false);
                    self.imm(1);
                }
                1 => {
                    let rm = self.opnd(16);
                    self.sse_op(None, &[0xc4], m, rm, false);
                    self.imm(1);
                }
                2 => {
                    let r = self.reg();
                    self.sse_op(None, &[0xc5], r, Opnd::Reg(m), false);
                    self.imm(1);
                }
                _ => {
                    let r = self.reg();
                    self.sse_op(None, &[0xd7], r, Opnd::Reg(m), false);
                }
            },
            // MOVQ2DQ / MOVDQ2Q.
            8 => {
                let x = self.xreg();
                if self.rng.below(2) == 0 {
                    self.sse_op(Some(0xf3), &[0xd6], x, Opnd::Reg(m), false);
                } else {
                    self.sse_op(Some(0xf2), &[0xd6], m, Opnd::Reg(x), false);
                }
            }
            // CVTPI2PS/PD xmm, mm/m64; CVT(T)PS2PI mm, xmm/m64; CVT(T)PD2PI mm, xmm/m128.
            9 | 10 => {
                let op = self.rng.pick(&[0x2cu8, 0x2d]);
                match self.rng.below(3) {
                    0 => {
                        let x = self.xreg();
                        let rm = self.mrm();
                        let p = self.rng.pick(&[None, Some(0x66)]);
                        self.sse_op(p, &[0x2a], x, rm, false);
                    }
                    1 => {
                        let rm = self.mrm();
                        self.sse_op(None, &[op], m, rm, false);
                    }
                    _ => {
                        let rm = self.xrm();
                        self.sse_op(Some(0x66), &[op], m, rm, false);
                    }
                }
            }
            // MASKMOVQ to [r15 + d] (lea rdi, [r15 + d] first; RDI = d after).
            _ => {
                let d = self.rng.below(MEM_LEN as u64 - 7) as u8;
                self.code.extend_from_slice(&[0x49, 0x8d, 0x7f, d]);
                let r = self.rng.below(16) as u8;
                self.sse_op(None, &[0xf7], m, Opnd::Reg(r), false);
                // mov edi, d: the same RDI natively and under xarch afterwards.
                self.code.extend_from_slice(&[0xbf, d, 0, 0, 0]);
            }
        }
    }
}

fn generate(rng: &mut Rng) -> Seq {
    let mut g = Gen {
        rng,
        code: Vec::new(),
        defined: ARITH,
        mmx: false,
    };
    // A quarter of the sequences run in another MXCSR rounding mode: mov dword
    // [r15+120], 0x1f80 | RC << 13 ; ldmxcsr [r15+120] ... and back to 0x1f80 at the end.
    let rc = if g.rng.below(4) == 0 {
        1 + g.rng.below(3) as u32
    } else {
        0
    };
    let ldmxcsr = |g: &mut Gen, v: u32, disp: u8| {
        g.code.extend_from_slice(&[0x41, 0xc7, 0x47, disp]);
        g.code.extend_from_slice(&v.to_le_bytes());
        g.code.extend_from_slice(&[0x41, 0x0f, 0xae, 0x57, disp]);
    };
    if rc != 0 {
        ldmxcsr(&mut g, 0x1f80 | (rc << 13), 120);
    }
    let n = 1 + g.rng.below(12);
    for _ in 0..n {
        g.one();
    }
    if rc != 0 {
        ldmxcsr(&mut g, 0x1f80, 124);
    }
    // EMMS after MMX code, so the x87 stack is empty again at the end (checked).
    if g.mmx {
        g.code.extend_from_slice(&[0x0f, 0x77]);
    }
    // A final NOP keeps the block's end a plain fall-through.
    g.code.push(0x90);
    Seq {
        code: g.code,
        defined: g.defined,
    }
}

/// Native context: the 16 GPRs, RFLAGS, then XMM0–15 at 0x90, MM0–7 at 0x190, the x87 tag
/// word the epilogue finds at 0x1d0 and room for its FNSTENV image at 0x1d8 (the layout the
/// prologue/epilogue use).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct NativeCtx {
    gpr: [u64; 16],
    rflags: u64,
    xmm: [u128; 16],
    mm: [u64; 8],
    ftw: u64,
    env: [u64; 4],
}

/// Builds prologue + body + epilogue in `page` (4 KiB, the last 8 bytes hold the ctx pointer).
fn build_native(page: &mut [u8], body: &[u8]) -> usize {
    let mut c: Vec<u8> = vec![0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57];
    let slot = page.len() - 8;
    rip_rel(&mut c, &[0x48, 0x89, 0x3d], slot); // mov [rip+slot], rdi
    c.extend_from_slice(&[0xff, 0xb7, 0x80, 0, 0, 0, 0x9d]); // push [rdi+0x80]; popfq
    for r in (0u8..16).filter(|&r| r != 4 && r != 7) {
        c.extend_from_slice(&[0x48 | ((r >> 3) << 2), 0x8b, 0x80 | ((r & 7) << 3) | 7]);
        c.extend_from_slice(&(8 * u32::from(r)).to_le_bytes());
    }
    for x in 0u8..16 {
        // movdqu xmmX, [rdi + 0x90 + 16X]
        c.push(0xf3);
        if x >= 8 {
            c.push(0x44);
        }
        c.extend_from_slice(&[0x0f, 0x6f, 0x80 | ((x & 7) << 3) | 7]);
        c.extend_from_slice(&(0x90 + 16 * u32::from(x)).to_le_bytes());
    }
    for m in 0u8..8 {
        // movq mmM, [rdi + 0x190 + 8M]
        c.extend_from_slice(&[0x0f, 0x6f, 0x87 | (m << 3)]);
        c.extend_from_slice(&(0x190 + 8 * u32::from(m)).to_le_bytes());
    }
    c.extend_from_slice(&[0x0f, 0x77]); // emms: an empty x87 stack, as xarch starts with
    c.extend_from_slice(&[0x48, 0x8b, 0xbf, 0x38, 0, 0, 0]); // mov rdi, [rdi+56]
    c.extend_from_slice(body);
    c.push(0x50); // push rax
    rip_rel(&mut c, &[0x48, 0x8b, 0x05], slot); // mov rax, [rip+slot]
    for r in (1u8..16).filter(|&r| r != 4) {
        c.extend_from_slice(&[0x48 | ((r >> 3) << 2), 0x89, 0x80 | ((r & 7) << 3)]);
        c.extend_from_slice(&(8 * u32::from(r)).to_le_bytes());
    }
    for x in 0u8..16 {
        // movdqu [rax + 0x90 + 16X], xmmX
        c.push(0xf3);
        if x >= 8 {
            c.push(0x44);
        }
        c.extend_from_slice(&[0x0f, 0x7f, 0x80 | ((x & 7) << 3)]);
        c.extend_from_slice(&(0x90 + 16 * u32::from(x)).to_le_bytes());
    }
    // fnstenv [rax + 0x1d8] (the full tag word at +8), before the MMX stores change it.
    c.extend_from_slice(&[0xd9, 0xb0, 0xd8, 0x01, 0, 0]);
    c.extend_from_slice(&[0x0f, 0xb7, 0x88, 0xe0, 0x01, 0, 0]); // movzx ecx, word [rax + 0x1e0]
    c.extend_from_slice(&[0x48, 0x89, 0x88, 0xd0, 0x01, 0, 0]); // mov [rax + 0x1d0], rcx
    c.extend_from_slice(&[0x48, 0x8b, 0x48, 0x08]); // mov rcx, [rax + 8] (as saved)
    for m in 0u8..8 {
        // movq [rax + 0x190 + 8M], mmM
        c.extend_from_slice(&[0x0f, 0x7f, 0x80 | (m << 3)]);
        c.extend_from_slice(&(0x190 + 8 * u32::from(m)).to_le_bytes());
    }
    c.extend_from_slice(&[0x0f, 0x77]); // emms
    c.extend_from_slice(&[0x8f, 0x80, 0, 0, 0, 0]); // pop [rax]
    c.extend_from_slice(&[0x9c, 0x8f, 0x80, 0x80, 0, 0, 0]); // pushfq; pop [rax+0x80]
    c.extend_from_slice(&[
        0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3,
    ]);
    assert!(c.len() <= slot, "sequence too long for the page");
    page[..c.len()].copy_from_slice(&c);
    c.len()
}

struct Case {
    seq: Seq,
    init: NativeCtx,
    mem: [u8; MEM_LEN],
}

/// Runs every case natively in a forked child; gives (final ctx, final memory) per case.
fn run_native(cases: &[Case]) -> Vec<(NativeCtx, [u8; MEM_LEN])> {
    // Legacy SSE memory operands of packed instructions must be 16-byte aligned.
    #[repr(C, align(16))]
    struct Aligned([u8; MEM_LEN]);
    let mut mem = Aligned([0u8; MEM_LEN]);
    run_forked(cases.len(), |page, k| {
        let case = &cases[k];
        build_native(page.bytes(), &case.seq.code);
        mem.0.copy_from_slice(&case.mem);
        let mut ctx = case.init;
        ctx.gpr[15] = mem.0.as_mut_ptr() as u64;
        // SAFETY: build_native wrote a function that loads and saves the registers through
        // ctx and touches only ctx, mem (through r15) and its own stack frame.
        unsafe { page.call(&mut ctx) };
        (ctx, mem.0)
    })
}

#[test]
fn random_sequences_match_the_host_cpu() {
    let n: usize = std::env::var("XARCH_DIFF_SEQS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let seed: u64 = std::env::var("XARCH_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0001);
    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    let mut done = 0;
    while done < n && failures.len() < 5 {
        let batch = (n - done).min(2000);
        let cases: Vec<Case> = (0..batch)
            .map(|_| {
                let seq = generate(&mut rng);
                let mut init = NativeCtx::default();
                for r in 0..16 {
                    init.gpr[r] = rng.value();
                }
                init.rflags = (rng.next() & ARITH) | 0x202;
                for x in 0..16 {
                    init.xmm[x] = xmm_value(&mut rng);
                }
                for m in 0..8 {
                    init.mm[m] = if rng.below(2) == 0 {
                        rng.value()
                    } else {
                        xmm_value(&mut rng) as u64
                    };
                }
                let mut mem = [0u8; MEM_LEN];
                for b in mem.iter_mut() {
                    *b = rng.next() as u8;
                }
                Case { seq, init, mem }
            })
            .collect();
        let native = run_native(&cases);
        for (case, (want, want_mem)) in cases.iter().zip(native) {
            let mut st = X86State::default();
            st.gpr = case.init.gpr;
            st.gpr[4] = STACK_TOP - 0x100;
            st.gpr[15] = DATA;
            st.set_rflags(case.init.rflags);
            st.xmm = case.init.xmm;
            for m in 0..8 {
                st.x87.regs[m] = u128::from(case.init.mm[m]);
            }
            let run = std::panic::catch_unwind(|| run_with_mem(&case.seq.code, &st, &case.mem));
            let Ok((got, _, got_mem)) = run else {
                failures.push(format!(
                    "sequence:\n{}  panicked in lift or run (see above)",
                    disasm_all(&case.seq.code)
                ));
                continue;
            };
            let mut diffs = Vec::new();
            for r in (0..15).filter(|&r| r != 4) {
                if got.gpr[r] != want.gpr[r] {
                    diffs.push(format!(
                        "r{r}: xarch {:#x}, cpu {:#x}",
                        got.gpr[r], want.gpr[r]
                    ));
                }
            }
            let want_xmm = want.xmm;
            for x in 0..16 {
                if got.xmm[x] != want_xmm[x] {
                    diffs.push(format!(
                        "xmm{x}: xarch {:032x}, cpu {:032x}",
                        got.xmm[x], want_xmm[x]
                    ));
                }
            }
            for m in 0..8 {
                if got.x87.regs[m] as u64 != want.mm[m] {
                    diffs.push(format!(
                        "mm{m}: xarch {:016x}, cpu {:016x}",
                        got.x87.regs[m] as u64, want.mm[m]
                    ));
                }
            }
            // Empty at the end on both (xarch's abridged tag word, the CPU's full one).
            if (got.x87.ftw == 0) != (want.ftw == 0xffff) {
                diffs.push(format!(
                    "x87 tags: xarch {:#x}, cpu {:#x}",
                    got.x87.ftw, want.ftw
                ));
            }
            let mask = case.seq.defined;
            if (got.rflags() ^ want.rflags) & mask != 0 {
                diffs.push(format!(
                    "flags (defined {mask:#x}): xarch {:#x}, cpu {:#x}",
                    got.rflags() & ARITH,
                    want.rflags & ARITH
                ));
            }
            if got_mem[..MEM_LEN] != want_mem[..] {
                diffs.push("memory differs".to_string());
            }
            if !diffs.is_empty() && failures.len() < 5 {
                failures.push(format!(
                    "sequence:\n{}  initial: {:x?} flags {:#x}\n  xmm {:x?}\n  {}",
                    disasm_all(&case.seq.code),
                    { case.init.gpr },
                    { case.init.rflags },
                    { case.init.xmm },
                    diffs.join("\n  ")
                ));
            }
        }
        done += batch;
    }
    assert!(
        failures.is_empty(),
        "{} sequences differ from the CPU:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
