//! The text form of IR, for `xarch run --show ir`, golden tests and error messages.
//!
//! ```text
//! block 0x400120 (2 insns, 8 bytes)
//!   ; 0x400120
//!   v0 = GetReg.i64 off=16
//!   v1 = Const.i64 imm=0x1
//!   v2 = Add.i64 v0, v1
//!   SetReg off=8 v=v2
//!   exit jump 0x400128
//! ```

use super::*;
use std::fmt::{self, Write};

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "block {:#x} ({} insns, {} bytes)",
            self.pc, self.guest_insns, self.guest_bytes
        )?;
        for inst in &self.insts {
            if let Op::InsnStart { pc } = inst.op {
                writeln!(f, "  ; {pc:#x}")?;
                continue;
            }
            f.write_str("  ")?;
            match inst.result {
                Some(v) => write!(f, "{v} = {}.{}", inst.op.name(), self.ty(v))?,
                None => f.write_str(inst.op.name())?,
            }
            writeln!(f, " {}", fields(&inst.op))?;
        }
        match &self.exit {
            Exit::Jump { target } => writeln!(f, "  exit jump {target:#x}"),
            Exit::Branch {
                cond,
                taken,
                not_taken,
            } => {
                writeln!(f, "  exit branch {cond} ? {taken:#x} : {not_taken:#x}")
            }
            Exit::Indirect { target } => writeln!(f, "  exit indirect {target}"),
            Exit::Syscall { next } => writeln!(f, "  exit syscall, then {next:#x}"),
            Exit::Trap { kind, pc } => writeln!(f, "  exit trap {kind:?} at {pc:#x}"),
        }
    }
}

/// The op's operands, as `name=value` pairs except for plain value operands.
fn fields(op: &Op) -> String {
    // Debug of the op is `Name { field: value, .. }`; rewrite it into a compact form so the
    // printer stays in step with the table without a hand-written case per op.
    let dbg = format!("{op:?}");
    let inner = match (dbg.find('{'), dbg.rfind('}')) {
        (Some(a), Some(b)) if b > a => dbg[a + 1..b].trim().to_string(),
        _ => return String::new(),
    };
    let mut out = String::new();
    for (i, part) in split_top(&inner).into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let (name, value) = part
            .split_once(':')
            .map(|(n, v)| (n.trim(), v.trim()))
            .unwrap_or(("", part.trim()));
        let value = value.replace("Value(", "v").replace(')', "");
        let value = hexify(name, &value);
        if matches!(
            name,
            "a" | "b" | "c" | "v" | "addr" | "cond" | "expected" | "new"
        ) {
            out.push_str(&value);
        } else {
            let _ = write!(out, "{name}={value}");
        }
    }
    out
}

/// Splits at commas that are not inside brackets.
fn split_top(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0i32, 0usize, Vec::new());
    for (i, ch) in s.char_indices() {
        match ch {
            '[' | '(' | '{' => depth += 1,
            ']' | ')' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < s.len() {
        parts.push(&s[start..]);
    }
    parts
}

fn hexify(name: &str, value: &str) -> String {
    if matches!(name, "imm" | "target" | "pc") {
        if let Ok(n) = value.parse::<u128>() {
            return format!("{n:#x}");
        }
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_a_block() {
        let mut b = Builder::new(0x1000);
        b.insn_start(0x1000);
        let x = b.get_reg(Type::I64, 16);
        let one = b.const64(1);
        let y = b.add(x, one);
        b.set_reg(8, y);
        let block = b.finish(Exit::Jump { target: 0x1004 }, 0x1004);
        let text = block.to_string();
        assert_eq!(
            text,
            "block 0x1000 (1 insns, 4 bytes)\n  ; 0x1000\n  v0 = GetReg.i64 off=16\n  v1 = Const.i64 imm=0x1\n  v2 = Add.i64 v0, v1\n  SetReg off=8, v2\n  exit jump 0x1004\n"
        );
    }
}
