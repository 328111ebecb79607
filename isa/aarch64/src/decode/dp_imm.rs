//! ARM ARM C4.1.86 "Data Processing -- Immediate".

use crate::inst;
use crate::lift::dp_imm as l;

use super::Encoding;

#[rustfmt::skip]
pub static TABLE: &[Encoding] = &[
    // PC-rel. addressing
    inst!(ADR,        "ADR",                         "0ii10000iiiiiiiiiiiiiiiiiiiddddd", l::adr),
    inst!(ADRP,       "ADRP",                        "1ii10000iiiiiiiiiiiiiiiiiiiddddd", l::adr),
    // Add/subtract (immediate)
    inst!(ADD_imm,    "ADD (immediate)",             "z00100010hiiiiiiiiiiiinnnnnddddd", l::add_sub_imm),
    inst!(ADDS_imm,   "ADDS (immediate)",            "z01100010hiiiiiiiiiiiinnnnnddddd", l::add_sub_imm),
    inst!(SUB_imm,    "SUB (immediate)",             "z10100010hiiiiiiiiiiiinnnnnddddd", l::add_sub_imm),
    inst!(SUBS_imm,   "SUBS (immediate)",            "z11100010hiiiiiiiiiiiinnnnnddddd", l::add_sub_imm),
    // Add/subtract (immediate, with tags): MTE, not implemented
    // inst!(ADDG,    "ADDG",                        "100100011-iiiiii--iiiinnnnnddddd", ...),
    // inst!(SUBG,    "SUBG",                        "110100011-iiiiii--iiiinnnnnddddd", ...),
    // Logical (immediate)
    inst!(AND_imm,    "AND (immediate)",             "z00100100Nrrrrrrssssssnnnnnddddd", l::logical_imm),
    inst!(ORR_imm,    "ORR (immediate)",             "z01100100Nrrrrrrssssssnnnnnddddd", l::logical_imm),
    inst!(EOR_imm,    "EOR (immediate)",             "z10100100Nrrrrrrssssssnnnnnddddd", l::logical_imm),
    inst!(ANDS_imm,   "ANDS (immediate)",            "z11100100Nrrrrrrssssssnnnnnddddd", l::logical_imm),
    // Move wide (immediate); opc = 01 is unallocated
    inst!(MOVN,       "MOVN",                        "z00100101hhiiiiiiiiiiiiiiiiddddd", l::move_wide),
    inst!(MOVZ,       "MOVZ",                        "z10100101hhiiiiiiiiiiiiiiiiddddd", l::move_wide),
    inst!(MOVK,       "MOVK",                        "z11100101hhiiiiiiiiiiiiiiiiddddd", l::move_wide),
    // Bitfield; opc = 11 is unallocated
    inst!(SBFM,       "SBFM",                        "z00100110Nrrrrrrssssssnnnnnddddd", l::bitfield),
    inst!(BFM,        "BFM",                         "z01100110Nrrrrrrssssssnnnnnddddd", l::bitfield),
    inst!(UBFM,       "UBFM",                        "z10100110Nrrrrrrssssssnnnnnddddd", l::bitfield),
    // Extract
    inst!(EXTR,       "EXTR",                        "z00100111N0mmmmmssssssnnnnnddddd", l::extr),
];
