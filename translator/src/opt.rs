//! Optimisation passes on one [`ir::Block`], run once after lifting, before either tier.
//!
//! ```text
//!   lifted block ─► forward guest registers ─► fold constants ─► drop dead code ─► both tiers
//! ```
//!
//! - **Register forwarding**: a `GetReg` of bytes the block already read or wrote (same
//!   offset and type) reuses that value; a `SetReg` overwritten later in the block, with no
//!   read, side exit, helper call or memory access (which may fault) in between, is dropped.
//!   Guest registers thus stay in SSA values within a block.
//! - **Constant folding** with the interpreter's own evaluator ([`interp::eval_pure`]), so
//!   folded and executed results cannot differ; constant side exits and branches are resolved.
//! - **Dead code**: pure ops and read-only helper calls whose results are unused are removed
//!   (loads stay: they may fault).

use crate::interp;
use crate::ir::{Block, Exit, Inst, IntCC, Lane, Op, Type, Value};
use std::collections::HashMap;

/// Runs every pass.
pub fn optimize(block: &mut Block) {
    forward_registers(block);
    fold_constants(block);
    remove_dead_code(block);
}

fn overlaps(a_off: u32, a_len: u32, b_off: u32, b_len: u32) -> bool {
    a_off < b_off + b_len && b_off < a_off + a_len
}

/// Applies a value substitution to every operand and the exit.
fn substitute(block: &mut Block, subst: &[Value]) {
    for inst in &mut block.insts {
        inst.op.for_each_arg_mut(|v| *v = subst[v.0 as usize]);
    }
    match &mut block.exit {
        Exit::Branch { cond, .. } => *cond = subst[cond.0 as usize],
        Exit::Indirect { target } => *target = subst[target.0 as usize],
        _ => {}
    }
}

fn forward_registers(block: &mut Block) {
    let mut subst: Vec<Value> = (0..block.types.len() as u32).map(Value).collect();
    // (offset, type) → the value the state holds there.
    let mut known: HashMap<(u32, Type), Value> = HashMap::new();
    // Index of the last SetReg to each (offset, len) that nothing has read or fenced since.
    let mut pending: Vec<(u32, u32, usize)> = Vec::new();
    let mut dead = vec![false; block.insts.len()];
    // The op defining each value (after substitution), and which values are a zero vector.
    let mut def: Vec<usize> = vec![usize::MAX; block.types.len()];
    let mut zero_vec = vec![false; block.types.len()];
    for i in 0..block.insts.len() {
        if i > 0
            && let Some(r) = block.insts[i - 1].result
        {
            def[r.0 as usize] = i - 1;
            zero_vec[r.0 as usize] = block.insts[i - 1].op == Op::ConstV128 { imm: 0 };
        }
        block.insts[i]
            .op
            .for_each_arg_mut(|v| *v = subst[v.0 as usize]);
        let inst = &block.insts[i];
        match inst.op {
            Op::GetReg { off } => {
                let r = inst.result.expect("GetReg has a result");
                let ty = block.ty(r);
                let len = ty.bytes();
                if let Some(&v) = known.get(&(off, ty)) {
                    // Forwarded: the state is not read, pending writes stay unobserved.
                    subst[r.0 as usize] = v;
                    dead[i] = true;
                } else if let Some(op) = narrowing(&known, &block.types, off, ty) {
                    // The low bytes of a value the block holds (the state is little-endian
                    // host memory): computed from it, the state is not read.
                    block.insts[i].op = op;
                    known.insert((off, ty), r);
                } else {
                    pending.retain(|&(o, l, _)| !overlaps(o, l, off, len));
                    known.insert((off, ty), r);
                }
            }
            Op::SetReg { off, v } => {
                let ty = block.ty(v);
                let len = ty.bytes();
                known.retain(|&(o, t), _| !overlaps(o, t.bytes(), off, len));
                known.insert((off, ty), v);
                // A scalar written as lane 0 of a zero vector: a scalar read gets it back.
                if let Some(&Op::VInsert { lane, idx: 0, a, b }) =
                    block.insts.get(def[v.0 as usize]).map(|d| &d.op)
                    && zero_vec[a.0 as usize]
                {
                    known.insert((off, lane.scalar()), b);
                }
                // An earlier write of exactly these bytes that nothing observed is dead.
                if let Some(p) = pending.iter().position(|&(o, l, _)| o == off && l == len) {
                    dead[pending[p].2] = true;
                    pending.remove(p);
                }
                pending.retain(|&(o, l, _)| !overlaps(o, l, off, len));
                pending.push((off, len, i));
            }
            Op::CallHelper { .. } | Op::CallHelperIf { .. } => {
                // Helpers read and write the state as they like.
                known.clear();
                pending.clear();
            }
            // It reads the state (earlier writes are observed) and changes nothing.
            Op::CallHelperReadOnly { .. } => pending.clear(),
            // Side exits leave with the state as it is. Memory accesses do not read the
            // state: a write overwritten later in the block is dead even across them (a
            // faulting access still reports its own PC; the registers it leaves are those
            // of the block's start or of a later write, which only fault reports see).
            Op::ExitIf { .. } => pending.clear(),
            _ => {}
        }
    }
    let mut k = 0;
    block.insts.retain(|_| {
        k += 1;
        !dead[k - 1]
    });
    substitute(block, &subst);
}

/// An op computing a `ty` read of the state at `off` from a value the block already holds
/// at the same offset: the low bits of a wider integer, the same bits of another type of the
/// same width, or lane 0 of a vector.
fn narrowing(
    known: &HashMap<(u32, Type), Value>,
    types: &[Type],
    off: u32,
    ty: Type,
) -> Option<Op> {
    let is_int = |t: Type| matches!(t, Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::I128);
    for (&(o, kt), &v) in known {
        if o != off || types[v.0 as usize] != kt {
            continue;
        }
        if is_int(kt) && is_int(ty) && kt.bits() > ty.bits() {
            return Some(Op::Trunc { a: v });
        }
        if kt.bits() == ty.bits() && kt != ty && kt.bits() <= 64 {
            return Some(Op::Bitcast { a: v });
        }
        if kt == Type::V128 {
            let lane = match ty {
                Type::I32 => Lane::I32x4,
                Type::I64 => Lane::I64x2,
                Type::F32 => Lane::F32x4,
                Type::F64 => Lane::F64x2,
                _ => continue,
            };
            return Some(Op::VExtract { lane, idx: 0, a: v });
        }
    }
    None
}

/// The condition that holds exactly when `cc` does not.
fn inverse(cc: IntCC) -> IntCC {
    match cc {
        IntCC::Eq => IntCC::Ne,
        IntCC::Ne => IntCC::Eq,
        IntCC::Slt => IntCC::Sge,
        IntCC::Sge => IntCC::Slt,
        IntCC::Sle => IntCC::Sgt,
        IntCC::Sgt => IntCC::Sle,
        IntCC::Ult => IntCC::Uge,
        IntCC::Uge => IntCC::Ult,
        IntCC::Ule => IntCC::Ugt,
        IntCC::Ugt => IntCC::Ule,
    }
}

fn fold_constants(block: &mut Block) {
    let mut consts: Vec<Option<u128>> = vec![None; block.types.len()];
    // The comparison defining each i8 0/1 value, to invert instead of flipping its result.
    let mut compares: Vec<Option<(IntCC, Value, Value)>> = vec![None; block.types.len()];
    // Results that equal one of their operands; uses are rewritten below.
    let mut alias: Vec<Option<Value>> = vec![None; block.types.len()];
    let mut cut: Option<(usize, u64)> = None;
    let mut drop_side: Vec<usize> = Vec::new();
    for (i, inst) in block.insts.iter_mut().enumerate() {
        inst.op.for_each_arg_mut(|v| {
            if let Some(a) = alias[v.0 as usize] {
                *v = a;
            }
        });
        match inst.op {
            Op::Const { imm } => {
                consts[inst.result.expect("const").0 as usize] = Some(imm as u128);
                continue;
            }
            Op::ConstV128 { imm } => {
                consts[inst.result.expect("const").0 as usize] = Some(imm);
                continue;
            }
            Op::ExitIf { cond, target } => {
                match consts[cond.0 as usize] {
                    Some(0) => drop_side.push(i),
                    Some(_) => {
                        cut = Some((i, target));
                        break;
                    }
                    None => {}
                }
                continue;
            }
            _ => {}
        }
        let Some(r) = inst.result else { continue };
        // `icmp(cc) ^ 1` (a negated condition: x86 `jne`, an inverted select) is
        // `icmp(!cc)`, which the host lowers as one compare feeding the branch.
        if let Op::Xor { a, b } = inst.op {
            let one = |v: Value| consts[v.0 as usize] == Some(1);
            let cmp = |v: Value| compares[v.0 as usize];
            let flipped = match (cmp(a), cmp(b)) {
                (Some(c), _) if one(b) => Some(c),
                (_, Some(c)) if one(a) => Some(c),
                _ => None,
            };
            if let Some((cc, x, y)) = flipped {
                inst.op = Op::Icmp {
                    cc: inverse(cc),
                    a: x,
                    b: y,
                };
            }
        }
        if let Op::Icmp { cc, a, b } = inst.op {
            compares[r.0 as usize] = Some((cc, a, b));
        }
        if let Some(same) = identity(&inst.op, &consts) {
            // `x + 0`, `x | 0`, `x << 0`, …: the result is an operand; a Select picks one.
            alias[r.0 as usize] = Some(same);
            continue;
        }
        let mut all_const = true;
        inst.op
            .for_each_arg(|v| all_const &= consts[v.0 as usize].is_some());
        if !all_const || !inst.op.reads_values() {
            continue;
        }
        let ty = block.types[r.0 as usize];
        let types = &block.types;
        let got = interp::eval_pure(&inst.op, ty, &|v: Value| {
            (
                consts[v.0 as usize].expect("checked constant"),
                types[v.0 as usize],
            )
        });
        if let Some(x) = got {
            consts[r.0 as usize] = Some(x);
            inst.op = if ty.bits() > 64 {
                Op::ConstV128 { imm: x }
            } else {
                Op::Const { imm: x as u64 }
            };
        }
    }
    let subst: Vec<Value> = (0..block.types.len())
        .map(|i| alias[i].unwrap_or(Value(i as u32)))
        .collect();
    substitute(block, &subst);
    if let Some((i, target)) = cut {
        block.insts.truncate(i);
        block.exit = Exit::Jump { target };
    } else {
        for &i in drop_side.iter().rev() {
            block.insts.remove(i);
        }
        if let Exit::Branch {
            cond,
            taken,
            not_taken,
        } = block.exit
            && let Some(c) = consts[cond.0 as usize]
        {
            block.exit = Exit::Jump {
                target: if c != 0 { taken } else { not_taken },
            };
        }
    }
}

/// The operand an op's result equals, when a constant operand makes it an identity.
fn identity(op: &Op, consts: &[Option<u128>]) -> Option<Value> {
    let c = |v: Value| consts[v.0 as usize];
    match *op {
        Op::Add { a, b } | Op::Or { a, b } | Op::Xor { a, b } => {
            if c(b) == Some(0) {
                Some(a)
            } else if c(a) == Some(0) {
                Some(b)
            } else {
                None
            }
        }
        Op::Sub { a, b }
        | Op::Shl { a, b }
        | Op::LShr { a, b }
        | Op::AShr { a, b }
        | Op::Rotl { a, b }
        | Op::Rotr { a, b } => (c(b) == Some(0)).then_some(a),
        Op::Select { c: cond, a, b } => match c(cond) {
            Some(0) => Some(b),
            Some(_) => Some(a),
            None => (a == b).then_some(a),
        },
        _ => None,
    }
}

fn has_effect(inst: &Inst) -> bool {
    matches!(
        inst.op,
        Op::SetReg { .. }
            | Op::InsnStart { .. }
            | Op::Load { .. }
            | Op::Store { .. }
            | Op::AtomicCas { .. }
            | Op::AtomicRmw { .. }
            | Op::Fence { .. }
            | Op::CallHelper { .. }
            | Op::CallHelperIf { .. }
            | Op::ExitIf { .. }
    )
}

fn remove_dead_code(block: &mut Block) {
    let mut used = vec![false; block.types.len()];
    match &block.exit {
        Exit::Branch { cond, .. } => used[cond.0 as usize] = true,
        Exit::Indirect { target } => used[target.0 as usize] = true,
        _ => {}
    }
    let mut keep = vec![true; block.insts.len()];
    for (i, inst) in block.insts.iter().enumerate().rev() {
        let live = has_effect(inst) || inst.result.is_some_and(|r| used[r.0 as usize]);
        if live {
            inst.op.for_each_arg(|v| used[v.0 as usize] = true);
        } else {
            keep[i] = false;
        }
    }
    let mut k = 0;
    block.insts.retain(|_| {
        k += 1;
        keep[k - 1]
    });
}

trait ArgCount {
    /// True if the op reads at least one value (ops without operands are not folded here:
    /// they are constants or state reads).
    fn reads_values(&self) -> bool;
}

impl ArgCount for Op {
    fn reads_values(&self) -> bool {
        let mut n = 0;
        self.for_each_arg(|_| n += 1);
        n > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Builder, verify};

    #[test]
    fn forwards_registers_and_drops_overwritten_writes() {
        let mut b = Builder::new(0);
        b.insn_start(0);
        let x = b.get_reg(Type::I64, 8);
        let one = b.const64(1);
        let y = b.add(x, one);
        b.set_reg(8, y);
        b.insn_start(4);
        let z = b.get_reg(Type::I64, 8); // forwarded: y
        let w = b.add(z, one);
        b.set_reg(8, w); // makes the first SetReg dead
        let mut blk = b.finish(Exit::Jump { target: 8 }, 8);
        optimize(&mut blk);
        verify(&blk).unwrap();
        let gets = blk
            .insts
            .iter()
            .filter(|i| matches!(i.op, Op::GetReg { .. }))
            .count();
        let sets = blk
            .insts
            .iter()
            .filter(|i| matches!(i.op, Op::SetReg { .. }))
            .count();
        assert_eq!((gets, sets), (1, 1), "{blk}");
    }

    #[test]
    fn keeps_writes_observed_by_a_side_exit_or_a_partial_read() {
        let mut b = Builder::new(0);
        let a = b.const64(5);
        b.set_reg(8, a);
        let c = b.get_reg(Type::I8, 0);
        b.exit_if(c, 0x100);
        let d = b.const64(6);
        b.set_reg(8, d);
        let e = b.get_reg(Type::I32, 8); // a partial read: the low half of the i64 write
        b.set_reg(16, e);
        let mut blk = b.finish(Exit::Jump { target: 8 }, 8);
        optimize(&mut blk);
        verify(&blk).unwrap();
        let sets = blk
            .insts
            .iter()
            .filter(|i| matches!(i.op, Op::SetReg { .. }))
            .count();
        assert_eq!(sets, 3, "{blk}");
        assert!(
            !blk.insts
                .iter()
                .any(|i| matches!(i.op, Op::GetReg { off: 8 })),
            "{blk}"
        );
        // The truncation of the constant 6 is folded.
        let Some(&Op::SetReg { v, .. }) = blk.insts.last().map(|i| &i.op) else {
            panic!("{blk}")
        };
        assert_eq!(blk.ty(v), Type::I32, "{blk}");
        assert!(
            blk.insts
                .iter()
                .any(|i| i.result == Some(v) && i.op == Op::Const { imm: 6 }),
            "{blk}"
        );
    }

    #[test]
    fn drops_overwritten_writes_across_memory_accesses_not_across_exits() {
        let mut b = Builder::new(0);
        let addr = b.get_reg(Type::I64, 0);
        let one = b.const64(1);
        b.set_reg(8, one); // dead: overwritten below, only a load and a store between
        let x = b.load(Type::I64, addr, crate::ir::Endian::Little);
        b.store(addr, x, crate::ir::Endian::Little);
        b.set_reg(8, x);
        b.set_reg(16, one); // observed by the side exit
        let c = b.get_reg(Type::I8, 24);
        b.exit_if(c, 0x100);
        b.set_reg(16, x);
        let mut blk = b.finish(Exit::Jump { target: 8 }, 8);
        optimize(&mut blk);
        verify(&blk).unwrap();
        let sets: Vec<_> = blk
            .insts
            .iter()
            .filter_map(|i| match i.op {
                Op::SetReg { off, v } => Some((off, v)),
                _ => None,
            })
            .collect();
        assert_eq!(sets, vec![(8, x), (16, one), (16, x)], "{blk}");
    }

    #[test]
    fn reads_a_float_or_a_vector_lane_from_a_held_value() {
        let mut b = Builder::new(0);
        let x = b.get_reg(Type::I64, 8);
        b.set_reg(32, x);
        let f = b.get_reg(Type::F64, 32); // the same bits as x
        b.set_reg(48, f);
        let v = b.get_reg(Type::V128, 64);
        b.set_reg(96, v);
        let s = b.get_reg(Type::F32, 96); // lane 0 of v
        b.set_reg(128, s);
        let mut blk = b.finish(Exit::Jump { target: 8 }, 8);
        optimize(&mut blk);
        verify(&blk).unwrap();
        let gets: Vec<u32> = blk
            .insts
            .iter()
            .filter_map(|i| match i.op {
                Op::GetReg { off } => Some(off),
                _ => None,
            })
            .collect();
        assert_eq!(gets, vec![8, 64], "{blk}");
        assert!(
            blk.insts.iter().any(|i| i.op == Op::Bitcast { a: x }),
            "{blk}"
        );
        assert!(
            blk.insts.iter().any(|i| i.op
                == Op::VExtract {
                    lane: Lane::F32x4,
                    idx: 0,
                    a: v
                }),
            "{blk}"
        );
    }

    #[test]
    fn folds_constants_and_resolves_branches() {
        let mut b = Builder::new(0);
        let a = b.const32(6);
        let c = b.const32(7);
        let m = b.mul(a, c);
        b.set_reg(8, m);
        let never = b.icmp_imm(IntCC::Eq, m, 0);
        b.exit_if(never, 0x500);
        let yes = b.icmp_imm(IntCC::Eq, m, 42);
        let blk0 = b.finish(
            Exit::Branch {
                cond: yes,
                taken: 0x10,
                not_taken: 0x20,
            },
            8,
        );
        let mut blk = blk0.clone();
        optimize(&mut blk);
        verify(&blk).unwrap();
        assert_eq!(blk.exit, Exit::Jump { target: 0x10 });
        assert!(
            blk.insts.iter().any(|i| i.op == Op::Const { imm: 42 }),
            "{blk}"
        );
        assert!(
            !blk.insts
                .iter()
                .any(|i| matches!(i.op, Op::ExitIf { .. } | Op::Mul { .. })),
            "{blk}"
        );
    }

    #[test]
    fn a_negated_compare_becomes_the_inverse_compare() {
        let mut b = Builder::new(0);
        let x = b.get_reg(Type::I64, 8);
        let y = b.get_reg(Type::I64, 16);
        let lt = b.icmp(IntCC::Ult, x, y);
        let one = b.iconst(Type::I8, 1);
        let ge = b.xor(lt, one);
        let eq = b.icmp(IntCC::Eq, x, y);
        let ne = b.xor(one, eq);
        b.set_reg(24, ne);
        let mut blk = b.finish(
            Exit::Branch {
                cond: ge,
                taken: 0x10,
                not_taken: 0x20,
            },
            8,
        );
        optimize(&mut blk);
        verify(&blk).unwrap();
        let ops: Vec<&Op> = blk.insts.iter().map(|i| &i.op).collect();
        assert!(!ops.iter().any(|o| matches!(o, Op::Xor { .. })), "{blk}");
        assert!(
            ops.contains(&&Op::Icmp {
                cc: IntCC::Uge,
                a: x,
                b: y
            }),
            "{blk}"
        );
        assert!(
            ops.contains(&&Op::Icmp {
                cc: IntCC::Ne,
                a: x,
                b: y
            }),
            "{blk}"
        );
    }

    #[test]
    fn identities_forward_the_operand() {
        let mut b = Builder::new(0);
        let x = b.get_reg(Type::I64, 8);
        let z = b.const64(0);
        let o = b.or(z, x);
        let a = b.add(o, z);
        let s = b.shl(a, z);
        b.set_reg(16, s);
        let mut blk = b.finish(Exit::Jump { target: 4 }, 4);
        optimize(&mut blk);
        verify(&blk).unwrap();
        assert_eq!(blk.insts.len(), 2, "{blk}");
        assert_eq!(blk.insts[1].op, Op::SetReg { off: 16, v: x }, "{blk}");
    }
}
