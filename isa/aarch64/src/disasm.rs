//! Disassembly through capstone, for error reports and the teaching views, and to tell an
//! unimplemented real instruction from an undefined word.

use capstone::prelude::*;
use xarch_translator::ir::TrapKind;

fn capstone() -> Option<Capstone> {
    Capstone::new()
        .arm64()
        .mode(arch::arm64::ArchMode::Arm)
        .build()
        .ok()
}

/// The instruction at the start of `bytes` as text ("ldr x0, [x1, #8]"), or a `.inst` line
/// for a word capstone does not know.
pub fn disassemble(pc: u64, bytes: &[u8]) -> String {
    let Some(word) = bytes.get(..4) else {
        return "(truncated)".to_string();
    };
    let w = u32::from_le_bytes(word.try_into().expect("4 bytes"));
    let unknown = || format!(".inst {w:#010x}");
    let Some(cs) = capstone() else {
        return unknown();
    };
    match cs.disasm_count(&bytes[..4], pc, 1) {
        Ok(insns) => match insns.iter().next() {
            Some(i) => {
                let m = i.mnemonic().unwrap_or("");
                match i.op_str() {
                    Some(ops) if !ops.is_empty() => format!("{m} {ops}"),
                    _ => m.to_string(),
                }
            }
            None => unknown(),
        },
        Err(_) => unknown(),
    }
}

/// A word no decode table has: `Unimplemented` if it is a real instruction (capstone knows
/// it), else `Undefined`.
pub fn classify_unknown(word: u32) -> TrapKind {
    let known = capstone()
        .and_then(|cs| {
            cs.disasm_count(&word.to_le_bytes(), 0, 1)
                .ok()
                .map(|i| i.len() == 1)
        })
        .unwrap_or(false);
    if known {
        TrapKind::Unimplemented
    } else {
        TrapKind::Undefined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disassembles_and_classifies() {
        // 0x8b020020: add x0, x1, x2
        assert_eq!(
            disassemble(0, &0x8b02_0020u32.to_le_bytes()),
            "add x0, x1, x2"
        );
        // 0x00010000: op0 = 0000 (reserved) with op1 != 0: unallocated.
        assert_eq!(classify_unknown(0x0001_0000), TrapKind::Undefined);
    }
}
