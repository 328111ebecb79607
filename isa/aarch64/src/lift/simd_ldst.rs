//! ARM ARM C4.1.88 loads and stores, the Advanced SIMD structure forms: LD1–LD4/ST1–ST4
//! (multiple structures), single-lane LD1–LD4/ST1–ST4 and LD1R–LD4R, each with an optional
//! post-index (by an immediate, the transfer size, or a register).
//!
//! Multiple-structure transfers load or store the whole memory block as 64/128-bit pieces and
//! (de)interleave with constant byte shuffles, so `LD1 {v0.16b-v3.16b}` is four 16-byte loads
//! and `LD2 {v0.16b, v1.16b}` two loads and two shuffles. Accesses never reach past the block
//! the instruction names (a 64-bit form loads 8-byte pieces), so no extra page is touched.

use super::{Ctx, LiftResult};
use crate::decode::{bit, bits};
use xarch_translator::ir::{Lane, TrapKind, Type, Value};

fn rt(w: u32) -> u32 {
    bits(w, 4, 0)
}
fn rn(w: u32) -> u32 {
    bits(w, 9, 5)
}
fn rm(w: u32) -> u32 {
    bits(w, 20, 16)
}

/// The base address, and the post-index writeback to do after the access (bit 23).
fn base(ctx: &mut Ctx, w: u32) -> Value {
    ctx.x_sp(rn(w))
}

fn writeback(ctx: &mut Ctx, w: u32, addr: Value, imm: u64) {
    if !bit(w, 23) {
        return;
    }
    let m = rm(w);
    let off = if m == 31 {
        ctx.b.const64(imm)
    } else {
        ctx.x(m)
    };
    let next = ctx.b.add(addr, off);
    ctx.set_x_sp(rn(w), next);
}

/// Byte gather: result byte i is byte `src[i]` of the concatenation of `chunks` (16 bytes
/// each). Uses one shuffle per pair of chunks and one more to merge two pairs.
fn gather(ctx: &mut Ctx, chunks: &[Value], src: &[usize; 16]) -> Value {
    let pair = |ctx: &mut Ctx, p: usize| -> Value {
        let a = chunks[2 * p];
        let b = *chunks.get(2 * p + 1).unwrap_or(&a);
        let mut mask = [0u8; 16];
        for i in 0..16 {
            let s = src[i];
            mask[i] = if s / 32 == p { (s % 32) as u8 } else { 0 };
        }
        ctx.b.vshuffle(mask, a, b)
    };
    let pairs: Vec<usize> = {
        let mut v: Vec<usize> = src.iter().map(|s| s / 32).collect();
        v.sort();
        v.dedup();
        v
    };
    if pairs.len() == 1 {
        return pair(ctx, pairs[0]);
    }
    debug_assert!(pairs.len() == 2, "at most 64 source bytes");
    let x = pair(ctx, pairs[0]);
    let y = pair(ctx, pairs[1]);
    let mut mask = [0u8; 16];
    for i in 0..16 {
        mask[i] = if src[i] / 32 == pairs[0] {
            i as u8
        } else {
            16 + i as u8
        };
    }
    ctx.b.vshuffle(mask, x, y)
}

/// A 64-bit value as the low half of a v128 (upper half zero).
fn v_from_i64(ctx: &mut Ctx, x: Value) -> Value {
    let z = ctx.b.v128const(0);
    ctx.b.vinsert(Lane::I64x2, 0, z, x)
}

/// LD1–LD4 / ST1–ST4 (multiple structures), with or without post-index.
pub fn ldst_multiple(ctx: &mut Ctx, w: u32) -> LiftResult {
    let q = bit(w, 30);
    let load = bit(w, 22);
    let opcode = bits(w, 15, 12);
    let size = bits(w, 11, 10);
    let post = bit(w, 23);
    if !post && rm(w) != 0 {
        return Err(TrapKind::Undefined);
    }
    // (registers, structure elements)
    let (rpt, selem) = match opcode {
        0b0000 => (1, 4),
        0b0010 => (4, 1),
        0b0100 => (1, 3),
        0b0110 => (3, 1),
        0b0111 => (1, 1),
        0b1000 => (1, 2),
        0b1010 => (2, 1),
        _ => return Err(TrapKind::Undefined),
    };
    if size == 3 && !q && selem != 1 {
        return Err(TrapKind::Undefined);
    }
    let regbytes: u64 = if q { 16 } else { 8 };
    let nregs = rpt * selem;
    let total = regbytes * nregs as u64;
    let t = rt(w);
    let addr = base(ctx, w);
    let reg = |i: u32| (t + i) % 32;
    if selem == 1 {
        for i in 0..nregs {
            let a = ctx.b.add_imm(addr, regbytes * i as u64);
            if load {
                if q {
                    let v = ctx.load(Type::V128, a);
                    ctx.set_v(reg(i), v);
                } else {
                    let v = ctx.load(Type::I64, a);
                    ctx.set_v_scalar(reg(i), v);
                }
            } else if q {
                let v = ctx.v(reg(i));
                ctx.store(a, v);
            } else {
                let v = ctx.v_scalar(Type::I64, reg(i));
                ctx.store(a, v);
            }
        }
        writeback(ctx, w, addr, total);
        return Ok(());
    }
    // Interleaved structures: memory byte g holds element (g / e) of the structure sequence,
    // i.e. register (g / e) % selem, lane (g / e) / selem.
    let e = 1usize << size;
    let rb = regbytes as usize;
    let mem_to_reg = |g: usize| -> (usize, usize) {
        let el = g / e;
        (el % selem as usize, (el / selem as usize) * e + g % e)
    };
    if load {
        // Memory pieces as v128 chunks (8-byte pieces zero-extended when !q).
        let mut chunks = Vec::new();
        for i in 0..nregs {
            let a = ctx.b.add_imm(addr, regbytes * i as u64);
            let c = if q {
                ctx.load(Type::V128, a)
            } else {
                let x = ctx.load(Type::I64, a);
                v_from_i64(ctx, x)
            };
            chunks.push(c);
        }
        // Register r byte j comes from memory byte g with mem_to_reg(g) == (r, j).
        let mut srcs = vec![[0usize; 16]; selem as usize];
        for g in 0..total as usize {
            let (r, j) = mem_to_reg(g);
            // Memory byte g lives in chunk g / rb at byte g % rb.
            srcs[r][j] = (g / rb) * 16 + g % rb;
        }
        let mut vals = Vec::new();
        for (r, src) in srcs.iter().enumerate() {
            let mut s = *src;
            if !q {
                for x in s.iter_mut().skip(8) {
                    *x = src[0]; // don't care: cleared below
                }
            }
            let mut v = gather(ctx, &chunks, &s);
            if !q {
                let m = ctx.b.v128const(u64::MAX as u128);
                v = ctx
                    .b
                    .vbinary(xarch_translator::ir::VecOp::And, Lane::I64x2, v, m);
            }
            vals.push((r, v));
        }
        for (r, v) in vals {
            ctx.set_v(reg(r as u32), v);
        }
    } else {
        let regs: Vec<Value> = (0..selem).map(|r| ctx.v(reg(r))).collect();
        for i in 0..nregs as usize {
            let mut src = [0usize; 16];
            for (k, s) in src.iter_mut().enumerate().take(rb) {
                let (r, j) = mem_to_reg(i * rb + k);
                *s = r * 16 + j;
            }
            let v = gather(ctx, &regs, &src);
            let a = ctx.b.add_imm(addr, regbytes * i as u64);
            if q {
                ctx.store(a, v);
            } else {
                let x = ctx.b.vextract(Lane::I64x2, 0, v);
                ctx.store(a, x);
            }
        }
    }
    writeback(ctx, w, addr, total);
    Ok(())
}

/// Single-structure LD1–LD4/ST1–ST4 (one lane) and LD1R–LD4R (replicate).
pub fn ldst_single(ctx: &mut Ctx, w: u32) -> LiftResult {
    let q = bit(w, 30);
    let load = bit(w, 22);
    let r = bit(w, 21) as u32;
    let opcode = bits(w, 15, 13);
    let s = bit(w, 12) as u32;
    let size = bits(w, 11, 10);
    let post = bit(w, 23);
    if !post && rm(w) != 0 {
        return Err(TrapKind::Undefined);
    }
    let selem = ((opcode & 1) << 1 | r) + 1;
    let scale = opcode >> 1;
    let qb = q as u32;
    let (esize_log, index, replicate) = match scale {
        0 => (0, qb << 3 | s << 2 | size, false),
        1 => {
            if size & 1 != 0 {
                return Err(TrapKind::Undefined);
            }
            (1, qb << 2 | s << 1 | size >> 1, false)
        }
        2 => {
            if size & 2 != 0 {
                return Err(TrapKind::Undefined);
            }
            if size & 1 == 0 {
                (2, qb << 1 | s, false)
            } else {
                if s != 0 {
                    return Err(TrapKind::Undefined);
                }
                (3, qb, false)
            }
        }
        _ => {
            if !load || s != 0 {
                return Err(TrapKind::Undefined);
            }
            (size, 0, true)
        }
    };
    let ebytes = 1u64 << esize_log;
    let lane = match esize_log {
        0 => Lane::I8x16,
        1 => Lane::I16x8,
        2 => Lane::I32x4,
        _ => Lane::I64x2,
    };
    let ty = lane.scalar();
    let t = rt(w);
    let addr = base(ctx, w);
    for k in 0..selem {
        let reg = (t + k) % 32;
        let a = ctx.b.add_imm(addr, ebytes * k as u64);
        if replicate {
            let x = ctx.load(ty, a);
            let v = ctx.b.vsplat(lane, x);
            if q {
                ctx.set_v(reg, v);
            } else {
                let lo = ctx.b.vextract(Lane::I64x2, 0, v);
                ctx.set_v_scalar(reg, lo);
            }
        } else if load {
            let x = ctx.load(ty, a);
            let old = ctx.v(reg);
            let v = ctx.b.vinsert(lane, index as u8, old, x);
            ctx.set_v(reg, v);
        } else {
            let old = ctx.v(reg);
            let x = ctx.b.vextract(lane, index as u8, old);
            ctx.store(a, x);
        }
    }
    writeback(ctx, w, addr, ebytes * selem as u64);
    Ok(())
}
