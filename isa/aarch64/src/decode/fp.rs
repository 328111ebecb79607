//! ARM ARM C4.1.96 "Data Processing -- Scalar Floating-Point and Advanced SIMD", scalar
//! floating-point part (the `M=0 S=0 11110` classes). Field letters: `t` ftype (00 single,
//! 01 double, 11 half), `m`/`n`/`d`/`a` registers, `c` condition, `o` opcode bits,
//! `r` rmode, `s` scale, `i` immediate, `f` nzcv, `E` signalling-compare bit, `Z` compare with
//! zero, `S` sf (64-bit general register).
//!
//! Half precision (ftype 11) is lifted only where it is a bit move or a conversion
//! (FMOV register/general, FCVT); half arithmetic traps as unimplemented.

use crate::inst;
use crate::lift::fp;

use super::Encoding;

pub static TABLE: &[Encoding] = &[
    // C4.1.96.21 Floating-point data-processing (1 source)
    inst!(
        FMOV_reg,
        "FMOV (register)",
        "00011110tt100000010000nnnnnddddd",
        fp::fmov_reg
    ),
    inst!(
        FABS,
        "FABS (scalar)",
        "00011110tt100000110000nnnnnddddd",
        fp::fp_unary
    ),
    inst!(
        FNEG,
        "FNEG (scalar)",
        "00011110tt100001010000nnnnnddddd",
        fp::fp_unary
    ),
    inst!(
        FSQRT,
        "FSQRT (scalar)",
        "00011110tt100001110000nnnnnddddd",
        fp::fp_unary
    ),
    inst!(FCVT, "FCVT", "00011110tt10001oo10000nnnnnddddd", fp::fcvt),
    inst!(
        FRINT,
        "FRINTN/P/M/Z/A/X/I (scalar)",
        "00011110tt1001ooo10000nnnnnddddd",
        fp::frint
    ),
    // inst!(FRINT32_64, "FRINT32Z/32X/64Z/64X (v8.5)", "00011110tt10100oo10000nnnnnddddd", ...),
    // C4.1.96.22 Floating-point compare
    inst!(
        FCMP,
        "FCMP/FCMPE",
        "00011110tt1mmmmm001000nnnnnEZ000",
        fp::fcmp
    ),
    // C4.1.96.23 Floating-point immediate
    inst!(
        FMOV_imm,
        "FMOV (scalar, immediate)",
        "00011110tt1iiiiiiii10000000ddddd",
        fp::fmov_imm
    ),
    // C4.1.96.24 Floating-point conditional compare
    inst!(
        FCCMP,
        "FCCMP/FCCMPE",
        "00011110tt1mmmmmcccc01nnnnnEffff",
        fp::fccmp
    ),
    // C4.1.96.25 Floating-point data-processing (2 source)
    inst!(
        FP_2SRC,
        "FMUL/FDIV/FADD/FSUB/FMAX/FMIN/FMAXNM/FMINNM/FNMUL (scalar)",
        "00011110tt1mmmmmoooo10nnnnnddddd",
        fp::fp_binary
    ),
    // C4.1.96.26 Floating-point conditional select
    inst!(
        FCSEL,
        "FCSEL",
        "00011110tt1mmmmmcccc11nnnnnddddd",
        fp::fcsel
    ),
    // C4.1.96.27 Floating-point data-processing (3 source)
    inst!(
        FP_3SRC,
        "FMADD/FMSUB/FNMADD/FNMSUB",
        "00011111ttommmmmoaaaaannnnnddddd",
        fp::fp_fma
    ),
    // C4.1.96.28 Conversion between floating-point and integer
    inst!(
        FMOV_gen,
        "FMOV (general)",
        "S0011110tt1rr11o000000nnnnnddddd",
        fp::fmov_gen
    ),
    inst!(
        FCVT_int,
        "FCVTxS/FCVTxU (scalar, integer)",
        "S0011110tt1rr00o000000nnnnnddddd",
        fp::fcvt_to_int
    ),
    inst!(
        FCVTA_int,
        "FCVTAS/FCVTAU (scalar)",
        "S0011110tt10010o000000nnnnnddddd",
        fp::fcvt_to_int
    ),
    inst!(
        CVTF_int,
        "SCVTF/UCVTF (scalar, integer)",
        "S0011110tt10001o000000nnnnnddddd",
        fp::cvtf
    ),
    // inst!(FJCVTZS, "FJCVTZS", "0001111001111110000000nnnnnddddd", ...),
    // C4.1.96.20 Conversion between floating-point and fixed-point
    inst!(
        FCVTZ_fix,
        "FCVTZS/FCVTZU (scalar, fixed-point)",
        "S0011110tt01100ossssssnnnnnddddd",
        fp::fcvt_to_int
    ),
    inst!(
        CVTF_fix,
        "SCVTF/UCVTF (scalar, fixed-point)",
        "S0011110tt00001ossssssnnnnnddddd",
        fp::cvtf
    ),
];
