//! ARM ARM C4.1.96 "Data Processing -- Scalar Floating-Point and Advanced SIMD", the Advanced
//! SIMD classes, and the Advanced SIMD structure loads and stores of C4.1.88.
//!
//! One line per encoding class; the lifter picks the instruction from `U`/`opcode`/`size` as
//! the manual's class table does (the classes' opcode tables are in `lift/simd.rs`, with the
//! rows not implemented returning `Unimplemented`). Field letters: `Q` 128-bit, `U` unsigned
//! column, `s` size, `m`/`n`/`d`/`t` registers, `o` opcode, `h`/`b` immh/immb, `i` immediate,
//! `c` cmode, `L` load, `R`/`S` structure fields, `p` post-index, `H`/`L`/`M` element index.
//!
//! Not implemented (trap as `Unimplemented` when reached): SHA512, SHA3, SM3, SM4, SQDMULH/SQRDMULH and the other saturating doubling multiplies, saturating shifts
//! (SQSHL, UQSHRN, …), FRECPE/FRSQRTE and the reciprocal steps, half-precision arithmetic,
//! the v8.2+ dot products and complex arithmetic.

use crate::inst;
use crate::lift::{crypto, simd, simd_ldst};

use super::Encoding;

#[rustfmt::skip]
pub static TABLE: &[Encoding] = &[
    // C4.1.88.{1,2} Advanced SIMD load/store multiple structures (post-index with p = 1)
    inst!(LDST_multiple, "LD1-LD4/ST1-ST4 (multiple structures)",  "0Q001100pL0mmmmmoooossnnnnnttttt", simd_ldst::ldst_multiple),
    // C4.1.88.{3,4} Advanced SIMD load/store single structure, LDnR
    inst!(LDST_single, "LD1-LD4/ST1-ST4 (single structure), LD1R-LD4R", "0Q001101pLRmmmmmoooSssnnnnnttttt", simd_ldst::ldst_single),

    // C4.1.96.1 Advanced SIMD table lookup: TBL, TBX
    inst!(TBL_TBX, "TBL/TBX",                                     "0Q001110000mmmmm0LLo00nnnnnddddd", simd::table_lookup),
    // C4.1.96.2 Advanced SIMD permute: UZP1, TRN1, ZIP1, UZP2, TRN2, ZIP2
    inst!(PERMUTE, "UZP1/UZP2/TRN1/TRN2/ZIP1/ZIP2",               "0Q001110ss0mmmmm0ooo10nnnnnddddd", simd::permute),
    // C4.1.96.3 Advanced SIMD extract
    inst!(EXT, "EXT",                                             "0Q101110000mmmmm0iiii0nnnnnddddd", simd::ext),
    // C4.1.96.4 Advanced SIMD copy: DUP (element, general), INS (general, element), SMOV, UMOV
    inst!(COPY, "DUP/INS/SMOV/UMOV",                              "0Qo01110000iiiii0iiii1nnnnnddddd", simd::copy),
    // C4.1.96.18 Advanced SIMD scalar copy: DUP (element, scalar) = MOV (scalar)
    inst!(COPY_scalar, "DUP (element, scalar)",                   "01011110000iiiii000001nnnnnddddd", simd::copy),
    // C4.1.96.{5,6} Advanced SIMD three different: xADDL/W, xSUBL/W, ADDHN, SUBHN, xABAL, xABDL,
    // xMLAL, xMLSL, xMULL, PMULL/PMULL2 (lift/crypto.rs; SQDMLAL, SQDMULL unimplemented)
    inst!(THREE_DIFF, "Advanced SIMD three different",            "0QU01110ss1mmmmmoooo00nnnnnddddd", simd::three_different),
    // C4.1.96.8 Advanced SIMD three same, integer: xHADD, xQADD, xRHADD, AND/BIC/ORR/ORN/EOR/
    // BSL/BIT/BIF, xHSUB, xQSUB, CMGT/CMHI, CMGE/CMHS, xSHL, xRSHL, xMAX, xMIN, xABD, xABA,
    // ADD/SUB, CMTST/CMEQ, MLA/MLS, MUL, xMAXP, xMINP, ADDP
    inst!(THREE_SAME_int0, "Advanced SIMD three same (integer)",  "0QU01110ss1mmmmm0oooo1nnnnnddddd", simd::int_three_same),
    inst!(THREE_SAME_int1, "Advanced SIMD three same (integer)",  "0QU01110ss1mmmmm10ooo1nnnnnddddd", simd::int_three_same),
    // Advanced SIMD three same, floating point: FMAXNM, FMLA, FADD, FCMEQ, FMAX, FMINNM, FMLS,
    // FSUB, FMIN, FMAXNMP, FADDP, FMUL, FCMGE, FACGE, FMAXP, FDIV, FMINNMP, FABD, FCMGT, FACGT,
    // FMINP (FMULX, FRECPS, FRSQRTS unimplemented)
    inst!(THREE_SAME_fp, "Advanced SIMD three same (FP)",         "0QU01110ss1mmmmm11ooo1nnnnnddddd", simd::fp_three_same),
    // C4.1.96.9 Advanced SIMD two-register miscellaneous: REV64/32/16, xADDLP, xADALP, CNT, NOT,
    // CMGT/CMEQ/CMLT/CMGE/CMLE (zero), ABS, NEG, XTN, SQXTN, UQXTN, SQXTUN, FCVTN, FCVTL,
    // FRINTN/M/P/Z/A/X/I, FCVTNS/MS/PS/ZS/AS (and U), SCVTF, UCVTF, FCMxx (zero), FABS, FNEG, FSQRT
    inst!(TWO_REG_MISC, "Advanced SIMD two-register miscellaneous", "0QU01110ss10000ooooo10nnnnnddddd", simd::two_reg_misc),
    // C4.1.96.10 Advanced SIMD across lanes: xADDLV, xMAXV, xMINV, ADDV, FMAXNMV, FMAXV, FMINNMV, FMINV
    inst!(ACROSS_LANES, "Advanced SIMD across lanes",             "0QU01110ss11000ooooo10nnnnnddddd", simd::across_lanes),
    // C4.1.96.11 Advanced SIMD modified immediate: MOVI, MVNI, ORR, BIC, FMOV (vector, immediate).
    // Before the shift-by-immediate class, which it carves out (immh = 0000).
    inst!(MOD_IMM, "Advanced SIMD modified immediate",            "0Qo0111100000iiicccco1iiiiiddddd", simd::modified_imm),
    // C4.1.96.12 Advanced SIMD shift by immediate: SSHR/USHR, SSRA/USRA, SRSHR/URSHR, SRSRA/URSRA,
    // SRI, SHL, SLI, SHRN, RSHRN, SSHLL/USHLL, SCVTF/UCVTF, FCVTZS/FCVTZU (fixed-point)
    inst!(SHIFT_IMM, "Advanced SIMD shift by immediate",          "0QU011110hhhhbbbooooo1nnnnnddddd", simd::shift_imm),
    // C4.1.96.13 Advanced SIMD vector x indexed element: MUL, MLA, MLS, FMUL, FMLA, FMLS,
    // xMULL, xMLAL, xMLSL (by element)
    inst!(INDEXED, "Advanced SIMD vector x indexed element",      "0QU01111ssLMmmmmooooH0nnnnnddddd", simd::indexed),

    // C4.1.96.{21..34} the scalar forms
    inst!(S_THREE_SAME_int0, "Advanced SIMD scalar three same",   "01U11110ss1mmmmm0oooo1nnnnnddddd", simd::int_three_same),
    inst!(S_THREE_SAME_int1, "Advanced SIMD scalar three same",   "01U11110ss1mmmmm10ooo1nnnnnddddd", simd::int_three_same),
    inst!(S_THREE_SAME_fp, "Advanced SIMD scalar three same (FP)", "01U11110ss1mmmmm11ooo1nnnnnddddd", simd::fp_three_same),
    inst!(S_TWO_REG_MISC, "Advanced SIMD scalar two-register miscellaneous", "01U11110ss10000ooooo10nnnnnddddd", simd::two_reg_misc),
    inst!(S_PAIRWISE, "Advanced SIMD scalar pairwise",            "01U11110ss11000ooooo10nnnnnddddd", simd::scalar_pairwise),
    inst!(S_SHIFT_IMM, "Advanced SIMD scalar shift by immediate", "01U111110hhhhbbbooooo1nnnnnddddd", simd::shift_imm),
    inst!(S_INDEXED, "Advanced SIMD scalar x indexed element",    "01U11111ssLMmmmmooooH0nnnnnddddd", simd::indexed),
    // inst!(S_THREE_DIFF, "Advanced SIMD scalar three different (SQDMLAL, SQDMULL)", "01U11110ss1mmmmmoooo00nnnnnddddd", ...),

    // C4.1.96.{14,15,16} the cryptographic extension (FEAT_AES, FEAT_SHA1, FEAT_SHA256); PMULL
    // is in the three-different class above
    inst!(CRYPTO_AES, "AESE/AESD/AESMC/AESIMC",                   "010011100010100ooooo10nnnnnddddd", crypto::aes),
    inst!(CRYPTO_SHA3, "SHA1C/P/M, SHA1SU0, SHA256H/H2, SHA256SU1", "01011110000mmmmm0ooo00nnnnnddddd", crypto::sha_three_reg),
    inst!(CRYPTO_SHA2, "SHA1H, SHA1SU1, SHA256SU0",               "010111100010100ooooo10nnnnnddddd", crypto::sha_two_reg),
    // inst!(CRYPTO_SHA512/SHA3/SM3/SM4: "11001110..."): FEAT_SHA512, FEAT_SHA3, FEAT_SM3/SM4 not advertised
];
