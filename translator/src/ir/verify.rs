//! The IR verifier: every value defined once before use, and every instruction's operand
//! and result types as its op's signature class ([`Sig`]) requires. Frontend tests run it on
//! every block they lift; the engine runs it in debug builds.

use super::*;
use thiserror::Error;

/// What is wrong with a block, and where.
#[derive(Debug, Error, PartialEq)]
#[error("IR verifier: block {block:#x}, instruction {index} ({op}): {msg}")]
pub struct VerifyError {
    pub block: u64,
    pub index: usize,
    pub op: &'static str,
    pub msg: String,
}

/// Checks a block.
pub fn verify(block: &Block) -> Result<(), VerifyError> {
    let mut defined = vec![false; block.types.len()];
    for (index, inst) in block.insts.iter().enumerate() {
        let fail = |msg: String| VerifyError {
            block: block.pc,
            index,
            op: inst.op.name(),
            msg,
        };
        let mut args = Vec::new();
        let mut bad = None;
        inst.op.for_each_arg(|v| {
            if (v.0 as usize) >= defined.len() || !defined[v.0 as usize] {
                bad.get_or_insert(v);
            }
            args.push(v);
        });
        if let Some(v) = bad {
            return Err(fail(format!("{v} used before it is defined")));
        }
        let has_result = !matches!(
            inst.op.sig(),
            Sig::Store | Sig::SetReg | Sig::SideExit | Sig::Marker
        );
        if inst.result.is_some() != has_result {
            return Err(fail(if has_result {
                "missing result".into()
            } else {
                "unexpected result".into()
            }));
        }
        let result = inst.result.map(|r| block.ty(r));
        let arg_ty: Vec<Type> = args.iter().map(|&v| block.ty(v)).collect();
        check_sig(&inst.op, result, &arg_ty).map_err(fail)?;
        if let Some(r) = inst.result {
            if defined[r.0 as usize] {
                return Err(fail(format!("{r} defined twice")));
            }
            defined[r.0 as usize] = true;
        }
    }
    let exit_arg = match &block.exit {
        Exit::Branch { cond, .. } => Some(*cond),
        Exit::Indirect { target } => Some(*target),
        _ => None,
    };
    if let Some(v) = exit_arg {
        let ok = (v.0 as usize) < defined.len() && defined[v.0 as usize] && block.ty(v).is_int();
        if !ok {
            return Err(VerifyError {
                block: block.pc,
                index: block.insts.len(),
                op: "exit",
                msg: format!("{v} is not a defined integer value"),
            });
        }
    }
    Ok(())
}

fn check_sig(op: &Op, result: Option<Type>, args: &[Type]) -> Result<(), String> {
    use Type::*;
    let r = result.unwrap_or(I8);
    let int = |t: Type| t.is_int();
    let float = |t: Type| t.is_float();
    let ok = match op.sig() {
        Sig::Nullary => match op {
            Op::Const { .. } => r.bits() <= 64,
            Op::ConstV128 { .. } => r.bits() == 128,
            _ => true,
        },
        Sig::IntBinary => int(r) && args[0] == r && args[1] == r,
        Sig::Shift => int(r) && args[0] == r && int(args[1]),
        Sig::IntUnary => int(r) && args[0] == r,
        Sig::IntCompare => r == I8 && int(args[0]) && args[0] == args[1],
        Sig::Select => int(args[0]) && args[1] == r && args[2] == r,
        Sig::Extend => int(r) && int(args[0]) && args[0].bits() < r.bits(),
        Sig::Truncate => int(r) && int(args[0]) && args[0].bits() > r.bits(),
        Sig::Bitcast => args[0].bits() == r.bits(),
        Sig::FloatBinary => float(r) && args[0] == r && args[1] == r,
        Sig::FloatUnary => float(r) && args[0] == r,
        Sig::FloatTernary => float(r) && args.iter().all(|&a| a == r),
        Sig::FloatCompare => r == I8 && float(args[0]) && args[0] == args[1],
        Sig::FloatConvert => float(r) && float(args[0]),
        Sig::FloatToInt => int(r) && r.bits() <= 64 && float(args[0]),
        Sig::IntToFloat => float(r) && int(args[0]) && args[0].bits() <= 64,
        Sig::VecBinary => r == V128 && args[0] == V128 && args[1] == V128,
        Sig::VecUnary => r == V128 && args[0] == V128,
        Sig::VecSplat => r == V128 && lane_of(op).is_some_and(|l| args[0] == l.scalar()),
        Sig::VecExtract => {
            args[0] == V128 && lane_of(op).is_some_and(|l| r == l.scalar() && idx_ok(op, l))
        }
        Sig::VecInsert => {
            r == V128
                && args[0] == V128
                && lane_of(op).is_some_and(|l| args[1] == l.scalar() && idx_ok(op, l))
        }
        Sig::Load => args[0] == I64,
        Sig::Store => args[0] == I64,
        Sig::Cas => args[0] == I64 && int(r) && r.bits() <= 128 && args[1] == r && args[2] == r,
        Sig::Rmw => args[0] == I64 && int(r) && r.bits() <= 64 && args[1] == r,
        Sig::SetReg => true,
        Sig::Helper => r == I64 && args.len() <= 4 && args.iter().all(|&a| a == I64),
        Sig::CondHelper => r == I64 && args.len() <= 6 && args.iter().all(|&a| a == I64),
        Sig::SideExit => int(args[0]),
        Sig::Marker => true,
    };
    if ok {
        Ok(())
    } else {
        let args: Vec<String> = args.iter().map(|t| t.to_string()).collect();
        Err(format!(
            "operand types ({}) and result {} do not fit {:?}",
            args.join(", "),
            r,
            op.sig()
        ))
    }
}

fn lane_of(op: &Op) -> Option<Lane> {
    match op {
        Op::VSplat { lane, .. } | Op::VExtract { lane, .. } | Op::VInsert { lane, .. } => {
            Some(*lane)
        }
        _ => None,
    }
}

fn idx_ok(op: &Op, lane: Lane) -> bool {
    match op {
        Op::VExtract { idx, .. } | Op::VInsert { idx, .. } => (*idx as u32) < lane.lanes(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_well_typed_block() {
        let mut b = Builder::new(0);
        let x = b.get_reg(Type::I64, 0);
        let y = b.get_reg(Type::I32, 8);
        let y = b.zext(Type::I64, y);
        let z = b.add(x, y);
        let c = b.icmp_imm(IntCC::Eq, z, 0);
        let blk = b.finish(
            Exit::Branch {
                cond: c,
                taken: 4,
                not_taken: 8,
            },
            4,
        );
        assert_eq!(verify(&blk), Ok(()));
    }

    #[test]
    fn rejects_mixed_widths() {
        let mut b = Builder::new(0);
        let x = b.get_reg(Type::I64, 0);
        let y = b.get_reg(Type::I32, 8);
        b.push(Type::I64, Op::Add { a: x, b: y });
        let blk = b.finish(Exit::Jump { target: 4 }, 4);
        let err = verify(&blk).unwrap_err();
        assert_eq!(err.index, 2);
        assert!(err.msg.contains("IntBinary"), "{err}");
    }

    #[test]
    fn rejects_use_before_definition() {
        let mut b = Builder::new(0);
        b.push(Type::I64, Op::Neg { a: Value(5) });
        let blk = b.finish(Exit::Jump { target: 4 }, 4);
        assert!(
            verify(&blk)
                .unwrap_err()
                .msg
                .contains("before it is defined")
        );
    }

    #[test]
    fn table_lists_every_op_once() {
        let mut names: Vec<&str> = Op::TABLE.iter().map(|(n, _, _)| *n).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
        assert!(Op::TABLE.iter().all(|(_, doc, _)| !doc.trim().is_empty()));
    }
}
