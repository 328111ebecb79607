//! ARM ARM C4.1.87 "Branches, Exception Generating and System instructions".

use crate::inst;
use crate::lift::branch as b;
use crate::lift::system as s;

use super::Encoding;

#[rustfmt::skip]
pub static TABLE: &[Encoding] = &[
    // Conditional branch (immediate); o1 = 1 or o0 = 1 (BC.cond, FEAT_HBC) not implemented
    inst!(B_cond,     "B.cond",                      "01010100iiiiiiiiiiiiiiiiiii0cccc", b::b_cond),
    // Exception generation
    inst!(SVC,        "SVC",                         "11010100000iiiiiiiiiiiiiiii00001", b::svc),
    inst!(BRK,        "BRK",                         "11010100001iiiiiiiiiiiiiiii00000", b::brk),
    // inst!(HVC,     "HVC",                         "11010100000iiiiiiiiiiiiiiii00010", ...), EL0: undefined
    // inst!(SMC,     "SMC",                         "11010100000iiiiiiiiiiiiiiii00011", ...), EL0: undefined
    // inst!(HLT,     "HLT",                         "11010100010iiiiiiiiiiiiiiii00000", ...), debug halt
    // inst!(DCPS1-3, "DCPS<n>",                     "11010100101iiiiiiiiiiiiiiii000ll", ...), debug state
    // System: hints (NOP, YIELD, WFE, WFI, SEV, SEVL, PACIASP, AUTIASP, BTI, ... all behave as
    // NOP here: unallocated hints are NOPs architecturally, and PAC/BTI are not advertised)
    inst!(HINT,       "HINT",                        "11010101000000110010mmmmooo11111", s::nop),
    // Barriers
    inst!(CLREX,      "CLREX",                       "11010101000000110011mmmm01011111", s::clrex),
    inst!(DSB,        "DSB",                         "11010101000000110011mmmm10011111", s::barrier),
    inst!(DMB,        "DMB",                         "11010101000000110011mmmm10111111", s::barrier),
    inst!(ISB,        "ISB",                         "11010101000000110011mmmm11011111", s::barrier),
    inst!(SB,         "SB",                          "11010101000000110011000011111111", s::barrier),
    // inst!(MSR_imm, "MSR (immediate)",             "1101010100000ooo0100mmmmooo11111", ...), PSTATE fields
    // inst!(TSTART etc., "TME",                     "11010101001000110011...",          ...)
    // System instructions (SYS: DC, IC, AT, TLBI) and system register moves
    inst!(SYS,        "SYS",                         "1101010100001pppnnnnmmmmqqqttttt", s::sys),
    // inst!(SYSL,    "SYSL",                        "1101010100101pppnnnnmmmmqqqttttt", ...), EL0: undefined
    inst!(MSR_reg,    "MSR (register)",              "110101010001opppnnnnmmmmqqqttttt", s::msr),
    inst!(MRS,        "MRS",                         "110101010011opppnnnnmmmmqqqttttt", s::mrs),
    // Unconditional branch (register)
    inst!(BR,         "BR",                          "1101011000011111000000nnnnn00000", b::br),
    inst!(BLR,        "BLR",                         "1101011000111111000000nnnnn00000", b::br),
    inst!(RET,        "RET",                         "1101011001011111000000nnnnn00000", b::br),
    // Pointer-authenticating branches (BRAA, BLRAA, RETAA, ERETAA, ...): PAC not advertised
    // inst!(BRA*,    "BRAA, BRAAZ, ...",            "1101011z0001111100001mnnnnnooooo", ...),
    // inst!(RETA*,   "RETAA, RETAB",                "110101100101111100001m1111111111", ...),
    // inst!(ERET,    "ERET",                        "11010110100111110000001111100000", ...), EL0: undefined
    // inst!(DRPS,    "DRPS",                        "11010110101111110000001111100000", ...), EL0: undefined
    // Unconditional branch (immediate)
    inst!(B,          "B",                           "000101iiiiiiiiiiiiiiiiiiiiiiiiii", b::b_imm),
    inst!(BL,         "BL",                          "100101iiiiiiiiiiiiiiiiiiiiiiiiii", b::b_imm),
    // Compare and branch (immediate)
    inst!(CBZ,        "CBZ",                         "z0110100iiiiiiiiiiiiiiiiiiittttt", b::cbz),
    inst!(CBNZ,       "CBNZ",                        "z0110101iiiiiiiiiiiiiiiiiiittttt", b::cbz),
    // Test and branch (immediate)
    inst!(TBZ,        "TBZ",                         "b0110110bbbbbiiiiiiiiiiiiiittttt", b::tbz),
    inst!(TBNZ,       "TBNZ",                        "b0110111bbbbbiiiiiiiiiiiiiittttt", b::tbz),
    // Reserved: UDF (permanently undefined)
    inst!(UDF,        "UDF",                         "0000000000000000iiiiiiiiiiiiiiii", b::udf),
];
