//! Disassembly through capstone, for error reports and the teaching views, and to tell an
//! unimplemented real instruction from an undefined word.

use capstone::prelude::*;
use xarch_translator::ir::{Endian, TrapKind};

fn capstone(is64: bool, endian: Endian) -> Option<Capstone> {
    let mode = if is64 {
        arch::ppc::ArchMode::Mode64
    } else {
        arch::ppc::ArchMode::Mode32
    };
    let e = match endian {
        Endian::Little => capstone::Endian::Little,
        Endian::Big => capstone::Endian::Big,
    };
    Capstone::new().ppc().mode(mode).endian(e).build().ok()
}

/// The instruction at the start of `bytes` (in the guest's byte order) as text
/// ("addi r3, r1, 8"), or a `.long` line for a word capstone does not know.
pub fn disassemble(pc: u64, bytes: &[u8], is64: bool, endian: Endian) -> String {
    let Some(word) = bytes.get(..4) else {
        return "(truncated)".to_string();
    };
    let arr: [u8; 4] = word.try_into().expect("4 bytes");
    let w = match endian {
        Endian::Little => u32::from_le_bytes(arr),
        Endian::Big => u32::from_be_bytes(arr),
    };
    let unknown = || format!(".long {w:#010x}");
    let Some(cs) = capstone(is64, endian) else {
        return unknown();
    };
    match cs.disasm_count(word, pc, 1) {
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
pub fn classify_unknown(word: u32, is64: bool, endian: Endian) -> TrapKind {
    let bytes = match endian {
        Endian::Little => word.to_le_bytes(),
        Endian::Big => word.to_be_bytes(),
    };
    let known = capstone(is64, endian)
        .and_then(|cs| cs.disasm_count(&bytes, 0, 1).ok().map(|i| i.len() == 1))
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
        // 0x7c221a14: add r1, r2, r3
        let t = disassemble(0, &0x7c22_1a14u32.to_le_bytes(), true, Endian::Little);
        assert!(t.starts_with("add "), "{t}");
        let t = disassemble(0, &0x7c22_1a14u32.to_be_bytes(), false, Endian::Big);
        assert!(t.starts_with("add "), "{t}");
        // Primary opcode 1 is not allocated.
        assert_eq!(
            classify_unknown(0x0400_0000, true, Endian::Little),
            TrapKind::Undefined
        );
    }
}
