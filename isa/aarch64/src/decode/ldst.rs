//! ARM ARM C4.1.88 "Loads and Stores". SIMD&FP registers share these encodings (the V bit):
//! their LDR/STR/LDP/STP/LDUR/STUR of B/H/S/D/Q are lifted here too.

use crate::inst;
use crate::lift::ldst as l;

use super::Encoding;

#[rustfmt::skip]
pub static TABLE: &[Encoding] = &[
    // Load/store exclusive register, pair and ordered (size:001000:o2:L:o1:Rs:o0:Rt2:Rn:Rt)
    inst!(STXR,       "STXR, STXRB, STXRH",          "ss001000000sssss0-----nnnnnttttt", l::store_exclusive),
    inst!(STLXR,      "STLXR, STLXRB, STLXRH",       "ss001000000sssss1-----nnnnnttttt", l::store_exclusive),
    inst!(LDXR,       "LDXR, LDXRB, LDXRH",          "ss001000010-----0-----nnnnnttttt", l::load_exclusive),
    inst!(LDAXR,      "LDAXR, LDAXRB, LDAXRH",       "ss001000010-----1-----nnnnnttttt", l::load_exclusive),
    inst!(STXP,       "STXP",                        "1z001000001sssss0uuuuunnnnnttttt", l::store_exclusive),
    inst!(STLXP,      "STLXP",                       "1z001000001sssss1uuuuunnnnnttttt", l::store_exclusive),
    inst!(LDXP,       "LDXP",                        "1z001000011-----0uuuuunnnnnttttt", l::load_exclusive),
    inst!(LDAXP,      "LDAXP",                       "1z001000011-----1uuuuunnnnnttttt", l::load_exclusive),
    inst!(STLLR,      "STLLR (as STLR)",             "ss001000100-----0-----nnnnnttttt", l::store_release),
    inst!(STLR,       "STLR, STLRB, STLRH",          "ss001000100-----1-----nnnnnttttt", l::store_release),
    inst!(LDLAR,      "LDLAR (as LDAR)",             "ss001000110-----0-----nnnnnttttt", l::load_acquire),
    inst!(LDAR,       "LDAR, LDARB, LDARH",          "ss001000110-----1-----nnnnnttttt", l::load_acquire),
    // Compare and swap (FEAT_LSE, HWCAP_ATOMICS): L = acquire, o0 = release; Rt2 is 11111
    inst!(CAS,        "CAS, CASA, CASL, CASAL (B/H/W/X)", "ss0010001L1sssssO11111nnnnnttttt", l::cas),
    inst!(CASP,       "CASP, CASPA, CASPL, CASPAL",  "0z0010000L1sssssO11111nnnnnttttt", l::casp),
    // LDAPR (FEAT_LRCPC)
    inst!(LDAPR,      "LDAPR, LDAPRB, LDAPRH",       "ss11100010111111110000nnnnnttttt", l::load_acquire),
    // inst!(LDAPUR*/STLUR*: "ss011001oo0iiiiiiiii00nnnnnttttt"): FEAT_LRCPC2 not advertised
    // Load register (literal); opc = 11 with V = 0 is PRFM (literal)
    inst!(LDR_lit,    "LDR (literal)",               "0z011000iiiiiiiiiiiiiiiiiiittttt", l::load_literal),
    inst!(LDRSW_lit,  "LDRSW (literal)",             "10011000iiiiiiiiiiiiiiiiiiittttt", l::load_literal),
    inst!(PRFM_lit,   "PRFM (literal)",              "11011000iiiiiiiiiiiiiiiiiiittttt", l::prefetch),
    inst!(LDR_lit_fp, "LDR (literal, SIMD&FP)",      "oo011100iiiiiiiiiiiiiiiiiiittttt", l::load_literal),
    // Load/store pair (opc:101:V:0:idx:L:imm7:Rt2:Rn:Rt); idx 00 is the no-allocate pair (STNP/LDNP),
    // 01 post-index, 10 signed offset, 11 pre-index
    inst!(STP,        "STP, STNP",                   "z010100pp0iiiiiiiuuuuunnnnnttttt", l::ldst_pair),
    inst!(LDP,        "LDP, LDNP",                   "z010100pp1iiiiiiiuuuuunnnnnttttt", l::ldst_pair),
    inst!(LDPSW,      "LDPSW",                       "0110100pp1iiiiiiiuuuuunnnnnttttt", l::ldst_pair),
    // inst!(STGP: "0110100pp0iiiiiiiuuuuunnnnnttttt"): FEAT_MTE
    inst!(STP_fp,     "STP, STNP (SIMD&FP)",         "oo10110pp0iiiiiiiuuuuunnnnnttttt", l::ldst_pair),
    inst!(LDP_fp,     "LDP, LDNP (SIMD&FP)",         "oo10110pp1iiiiiiiuuuuunnnnnttttt", l::ldst_pair),
    // Load/store register: unscaled (idx 00), post-index (01), unprivileged (10), pre-index (11)
    inst!(LDST_imm9,  "LDUR, STUR, LDTR, STTR, LDR/STR (pre/post), ... ", "ss111v00oo0iiiiiiiiippnnnnnttttt", l::ldst_imm9),
    // Atomic memory operations (FEAT_LSE, HWCAP_ATOMICS): A = acquire, R = release, o3:opc the
    // operation; ST<op> are the aliases with Rt = ZR. LDAPR (above) is carved out of it.
    inst!(ATOMIC,     "LDADD, LDCLR, LDEOR, LDSET, LD{S,U}{MAX,MIN}, SWP (B/H/W/X)", "ss111000ar1sssssoooo00nnnnnttttt", l::atomic_rmw),
    // inst!(ST64B, LD64B, ...: "11111000001sssss1ooo00nnnnnttttt"): FEAT_LS64 not advertised
    // Load/store register (register offset)
    inst!(LDST_reg,   "LDR, STR, LDRS*, PRFM (register)", "ss111v00oo1mmmmmxxxS10nnnnnttttt", l::ldst_reg_offset),
    // inst!(LDRAA, LDRAB: "11111000a1iiiiiiiiiiW1nnnnnttttt"): PAC not advertised
    // Load/store register (unsigned immediate)
    inst!(LDST_uimm,  "LDR, STR, LDRS*, PRFM (unsigned offset)", "ss111v01ooiiiiiiiiiiiinnnnnttttt", l::ldst_uimm),
    // Advanced SIMD load/store multiple/single structures (LD1..LD4, ST1..ST4): see simd.rs
];
