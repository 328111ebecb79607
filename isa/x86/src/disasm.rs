//! Disassembly for error reports and the teaching views, through capstone (Intel syntax).

use capstone::prelude::*;

/// Disassembles the one instruction at the start of `bytes` ("add rax, rbx"), or describes
/// why it could not (the bytes in hex).
pub fn disassemble(pc: u64, bytes: &[u8]) -> String {
    let cs = match Capstone::new()
        .x86()
        .mode(arch::x86::ArchMode::Mode64)
        .build()
    {
        Ok(cs) => cs,
        Err(e) => return format!("(capstone unavailable: {e})"),
    };
    match cs.disasm_count(bytes, pc, 1) {
        Ok(insns) => match insns.iter().next() {
            Some(i) => {
                let m = i.mnemonic().unwrap_or("?");
                match i.op_str() {
                    Some(ops) if !ops.is_empty() => format!("{m} {ops}"),
                    _ => m.to_string(),
                }
            }
            None => format!("(bad) {}", hex(bytes)),
        },
        Err(_) => format!("(bad) {}", hex(bytes)),
    }
}

/// The length capstone gives the instruction at the start of `bytes`, if it decodes one.
pub fn length(bytes: &[u8]) -> Option<usize> {
    let cs = Capstone::new()
        .x86()
        .mode(arch::x86::ArchMode::Mode64)
        .build()
        .ok()?;
    let insns = cs.disasm_count(bytes, 0, 1).ok()?;
    insns.iter().next().map(|i| i.bytes().len())
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(15)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
