//! Differential test of the FP and Advanced SIMD lifters against qemu-aarch64.
//!
//! Each case is a short straight-line sequence of A64 assembly. The test writes one static
//! program that, for every case, loads V0–V31, X0–X14, NZCV and a 256-byte buffer (X15
//! points at it) from a per-case initial state, runs the sequence, and stores the registers
//! and the buffer; it assembles it with `aarch64-linux-gnu-as`/`ld`, runs it under
//! `qemu-aarch64`, and compares every case with xarch running the same words from the same
//! state on both tiers (`testing::compare_tiers`, which also checks interpreter = compiled).
//!
//! Initial values mix random bits with floating-point specials (±0, ±inf, quiet NaNs,
//! subnormals, halves for rounding ties, values near integer limits). Signalling NaNs are
//! left out on purpose: with two NaN operands AArch64 prefers the signalling one and xarch
//! keeps the host's choice (see `lift/fp.rs`). FPSR is not compared.
//!
//! Fails, naming the packages to install, when the cross assembler or qemu-aarch64 is missing.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use xarch_translator::StateBytes;

use xarch_isa_aarch64::Aarch64;
use xarch_isa_aarch64::decode::{fp, simd};
use xarch_isa_aarch64::state::{self, CpuState};
use xarch_translator::testing::Rng;
use xarch_translator::{CodeBuffer, Frontend, testing};

const PC: u64 = 0x1000;
const DATA: u64 = 0x10000;
const STRIDE: usize = 1024;

/// One case: a name and its assembly lines (`;`-separated).
struct Case {
    asm: String,
}

const CASES: &[&str] = &[
    // ---- scalar FP arithmetic ----
    "fadd s0, s1, s2",
    "fadd d0, d1, d2",
    "fsub d3, d4, d5",
    "fmul s6, s7, s8",
    "fdiv d9, d10, d11",
    "fdiv s0, s1, s2",
    "fnmul d0, d1, d2",
    "fnmul s3, s4, s5",
    "fabs d0, d1",
    "fneg s2, s3",
    "fsqrt d4, d5",
    "fsqrt s6, s7",
    "fmov d0, d1",
    "fmov s2, s3",
    "fmax d0, d1, d2",
    "fmin s0, s1, s2",
    "fmaxnm d0, d1, d2",
    "fminnm s3, s4, s5",
    "fmaxnm s0, s1, s2",
    "fminnm d0, d1, d2",
    "fmadd d0, d1, d2, d3",
    "fmsub d0, d1, d2, d3",
    "fnmadd d0, d1, d2, d3",
    "fnmsub d0, d1, d2, d3",
    "fmadd s0, s1, s2, s3",
    "fnmsub s4, s5, s6, s7",
    "fmov d0, #1.0",
    "fmov s1, #-0.125",
    "fmov d2, #31.0",
    "fmov s3, #2.5",
    "fcmp d1, d2",
    "fcmpe s1, s2",
    "fcmp d3, #0.0",
    "fcmpe s4, #0.0",
    "fcmp d5, d5",
    "fccmp d1, d2, #0b0101, eq",
    "fccmpe s1, s2, #0b1010, ne",
    "fccmp d1, d2, #3, hi",
    "fcsel d0, d1, d2, eq",
    "fcsel s0, s1, s2, lt",
    "fcsel d3, d4, d5, hi",
    "fcvt d0, s1",
    "fcvt s0, d1",
    "fcvt h0, s1",
    "fcvt s0, h1",
    "fcvt h2, d3",
    "fcvt d2, h3",
    "frintn d0, d1",
    "frintp d0, d1",
    "frintm s0, s1",
    "frintz s0, s1",
    "frinta d0, d1",
    "frinta s2, s3",
    "frintx d0, d1",
    "frinti s0, s1",
    "fcvtzs x0, d1",
    "fcvtzs w0, s1",
    "fcvtzu x0, d1",
    "fcvtzu w0, d1",
    "fcvtns x0, d1",
    "fcvtnu w0, s1",
    "fcvtas x0, d1",
    "fcvtau x0, s1",
    "fcvtms x0, d1",
    "fcvtmu w0, d1",
    "fcvtps w0, s1",
    "fcvtpu x0, d1",
    "fcvtzs x0, d1, #10",
    "fcvtzu w0, s1, #3",
    "fcvtzs w0, d1, #32",
    "scvtf d0, x1",
    "scvtf s0, w1",
    "ucvtf d0, x1",
    "ucvtf s0, x1",
    "ucvtf d0, w1",
    "scvtf s0, x1",
    "scvtf d0, x1, #16",
    "ucvtf s0, w1, #7",
    "fmov x0, d1",
    "fmov w0, s1",
    "fmov d0, x1",
    "fmov s0, w1",
    "fmov x0, v1.d[1]",
    "fmov v0.d[1], x1",
    // ---- scalar forms in vector registers ----
    "scvtf d0, d1",
    "ucvtf s0, s1",
    "fcvtzs d0, d1",
    "fcvtzu s0, s1",
    "fcvtzs s0, s1, #4",
    "add d0, d1, d2",
    "sub d0, d1, d2",
    "cmeq d0, d1, d2",
    "cmeq d0, d1, #0",
    "cmgt d0, d1, d2",
    "cmhi d0, d1, d2",
    "cmtst d0, d1, d2",
    "ushr d0, d1, #3",
    "sshr d0, d1, #63",
    "shl d0, d1, #5",
    "usra d0, d1, #7",
    "neg d0, d1",
    "abs d0, d1",
    "addp d0, v1.2d",
    "faddp s0, v1.2s",
    "faddp d0, v1.2d",
    "fmaxnmp s0, v1.2s",
    "fminp d0, v1.2d",
    "mov s0, v1.s[3]",
    "mov h0, v1.h[5]",
    "mov d0, v1.d[1]",
    "mov b0, v1.b[9]",
    "fabd s0, s1, s2",
    "fcmeq d0, d1, d2",
    "fcmgt s0, s1, s2",
    "fcmge d0, d1, #0.0",
    "facgt s0, s1, s2",
    "fmul d0, d1, v2.d[1]",
    "fmla s0, s1, v2.s[3]",
    "fmls d0, d1, v2.d[0]",
    "sqxtn s0, d1",
    "uqxtn b0, h1",
    "uqadd b0, b1, b2",
    "sqsub h0, h1, h2",
    // ---- vector integer ----
    "add v0.16b, v1.16b, v2.16b",
    "add v0.8h, v1.8h, v2.8h",
    "add v0.4s, v1.4s, v2.4s",
    "add v0.2d, v1.2d, v2.2d",
    "add v0.8b, v1.8b, v2.8b",
    "sub v0.4h, v1.4h, v2.4h",
    "sub v0.2s, v1.2s, v2.2s",
    "mul v0.4s, v1.4s, v2.4s",
    "mul v0.8h, v1.8h, v2.8h",
    "mla v0.16b, v1.16b, v2.16b",
    "mls v0.4s, v1.4s, v2.4s",
    "neg v0.16b, v1.16b",
    "abs v0.8h, v1.8h",
    "abs v0.2d, v1.2d",
    "neg v0.2s, v1.2s",
    "and v0.16b, v1.16b, v2.16b",
    "orr v0.16b, v1.16b, v2.16b",
    "eor v0.8b, v1.8b, v2.8b",
    "bic v0.16b, v1.16b, v2.16b",
    "orn v0.16b, v1.16b, v2.16b",
    "bsl v0.16b, v1.16b, v2.16b",
    "bit v0.16b, v1.16b, v2.16b",
    "bif v0.8b, v1.8b, v2.8b",
    "not v0.16b, v1.16b",
    "mov v0.16b, v1.16b",
    "cmeq v0.16b, v1.16b, v2.16b",
    "cmeq v0.16b, v1.16b, #0",
    "cmgt v0.4s, v1.4s, v2.4s",
    "cmge v0.8h, v1.8h, v2.8h",
    "cmhi v0.16b, v1.16b, v2.16b",
    "cmhs v0.2d, v1.2d, v2.2d",
    "cmtst v0.16b, v1.16b, v2.16b",
    "cmgt v0.4s, v1.4s, #0",
    "cmge v0.8b, v1.8b, #0",
    "cmle v0.8h, v1.8h, #0",
    "cmlt v0.2d, v1.2d, #0",
    "cmeq v0.2d, v1.2d, v2.2d",
    "smax v0.16b, v1.16b, v2.16b",
    "umax v0.8h, v1.8h, v2.8h",
    "smin v0.4s, v1.4s, v2.4s",
    "umin v0.8b, v1.8b, v2.8b",
    "uqadd v0.16b, v1.16b, v2.16b",
    "sqadd v0.8h, v1.8h, v2.8h",
    "uqsub v0.16b, v1.16b, v2.16b",
    "sqsub v0.4s, v1.4s, v2.4s",
    "uqadd v0.2d, v1.2d, v2.2d",
    "sqadd v0.2s, v1.2s, v2.2s",
    "uhadd v0.16b, v1.16b, v2.16b",
    "shadd v0.8h, v1.8h, v2.8h",
    "urhadd v0.16b, v1.16b, v2.16b",
    "srhadd v0.4s, v1.4s, v2.4s",
    "shsub v0.8h, v1.8h, v2.8h",
    "uhsub v0.16b, v1.16b, v2.16b",
    "uabd v0.16b, v1.16b, v2.16b",
    "sabd v0.4s, v1.4s, v2.4s",
    "uaba v0.8h, v1.8h, v2.8h",
    "ushl v0.16b, v1.16b, v2.16b",
    "sshl v0.4s, v1.4s, v2.4s",
    "ushl v0.2d, v1.2d, v2.2d",
    "urshl v0.8h, v1.8h, v2.8h",
    "srshl v0.16b, v1.16b, v2.16b",
    "addp v0.16b, v1.16b, v2.16b",
    "addp v0.4s, v1.4s, v2.4s",
    "addp v0.2d, v1.2d, v2.2d",
    "addp v0.8b, v1.8b, v2.8b",
    "umaxp v0.16b, v1.16b, v2.16b",
    "uminp v0.8h, v1.8h, v2.8h",
    "smaxp v0.2s, v1.2s, v2.2s",
    "sminp v0.4s, v1.4s, v2.4s",
    "addv b0, v1.16b",
    "addv h0, v1.8h",
    "addv s0, v1.4s",
    "addv b0, v1.8b",
    "uaddlv h0, v1.16b",
    "uaddlv s0, v1.8h",
    "saddlv h0, v1.8b",
    "uaddlv d0, v1.4s",
    "umaxv b0, v1.16b",
    "uminv b0, v1.16b",
    "smaxv h0, v1.8h",
    "sminv s0, v1.4s",
    "umaxv h0, v1.4h",
    "uminv b0, v1.8b",
    "cnt v0.16b, v1.16b",
    "cnt v0.8b, v1.8b",
    "uaddlp v0.8h, v1.16b",
    "saddlp v0.4s, v1.8h",
    "uadalp v0.2d, v1.4s",
    "saddlp v0.4h, v1.8b",
    "rev16 v0.16b, v1.16b",
    "rev32 v0.8h, v1.8h",
    "rev64 v0.4s, v1.4s",
    "rev64 v0.16b, v1.16b",
    "rev32 v0.8b, v1.8b",
    "xtn v0.8b, v1.8h",
    "xtn2 v0.16b, v1.8h",
    "xtn v0.2s, v1.2d",
    "sqxtn v0.8b, v1.8h",
    "uqxtn2 v0.8h, v1.4s",
    "sqxtun v0.4h, v1.4s",
    "shll v0.8h, v1.8b, #8",
    "shll2 v0.4s, v1.8h, #16",
    "shll v0.2d, v1.2s, #32",
    "shl v0.16b, v1.16b, #3",
    "shl v0.2d, v1.2d, #63",
    "ushr v0.8h, v1.8h, #16",
    "sshr v0.4s, v1.4s, #32",
    "ushr v0.16b, v1.16b, #1",
    "sshr v0.2d, v1.2d, #7",
    "usra v0.4s, v1.4s, #9",
    "ssra v0.8h, v1.8h, #15",
    "urshr v0.16b, v1.16b, #3",
    "srshr v0.4s, v1.4s, #32",
    "ursra v0.2d, v1.2d, #1",
    "sli v0.8h, v1.8h, #5",
    "sri v0.4s, v1.4s, #7",
    "sri v0.16b, v1.16b, #8",
    "clz v0.16b, v1.16b",
    "clz v0.4s, v1.4s",
    "cls v0.8h, v1.8h",
    "cls v0.2s, v1.2s",
    "rbit v0.16b, v1.16b",
    "rbit v0.8b, v1.8b",
    "sqshrn v0.8b, v1.8h, #3",
    "sqrshrn2 v0.8h, v1.4s, #16",
    "uqshrn v0.2s, v1.2d, #1",
    "uqrshrn v0.8b, v1.8h, #8",
    "sqshrun v0.4h, v1.4s, #5",
    "sqrshrun2 v0.16b, v1.8h, #2",
    "shrn v0.8b, v1.8h, #4",
    "shrn2 v0.16b, v1.8h, #8",
    "rshrn v0.4h, v1.4s, #3",
    "shrn v0.2s, v1.2d, #32",
    "ushll v0.8h, v1.8b, #0",
    "uxtl2 v0.4s, v1.8h",
    "sxtl v0.2d, v1.2s",
    "sshll2 v0.8h, v1.16b, #3",
    "sxtl v0.8h, v1.8b",
    "uaddl v0.8h, v1.8b, v2.8b",
    "saddl2 v0.4s, v1.8h, v2.8h",
    "uaddw v0.2d, v1.2d, v2.2s",
    "ssubl v0.8h, v1.8b, v2.8b",
    "usubw2 v0.4s, v1.4s, v2.8h",
    "umull v0.8h, v1.8b, v2.8b",
    "smull2 v0.4s, v1.8h, v2.8h",
    "umull v0.2d, v1.2s, v2.2s",
    "smlal v0.2d, v1.2s, v2.2s",
    "umlsl2 v0.8h, v1.16b, v2.16b",
    "uabdl v0.8h, v1.8b, v2.8b",
    "sabal v0.4s, v1.4h, v2.4h",
    "addhn v0.8b, v1.8h, v2.8h",
    "subhn2 v0.8h, v1.4s, v2.4s",
    "mul v0.4s, v1.4s, v2.s[1]",
    "mla v0.8h, v1.8h, v2.h[7]",
    "mls v0.2s, v1.2s, v2.s[3]",
    "umull v0.2d, v1.2s, v2.s[2]",
    "smlal2 v0.4s, v1.8h, v2.h[3]",
    // ---- permutes, copies, immediates, table lookups ----
    "zip1 v0.16b, v1.16b, v2.16b",
    "zip2 v0.8h, v1.8h, v2.8h",
    "zip1 v0.2s, v1.2s, v2.2s",
    "zip2 v0.8b, v1.8b, v2.8b",
    "uzp1 v0.16b, v1.16b, v2.16b",
    "uzp2 v0.4s, v1.4s, v2.4s",
    "uzp1 v0.4h, v1.4h, v2.4h",
    "uzp2 v0.2d, v1.2d, v2.2d",
    "trn1 v0.16b, v1.16b, v2.16b",
    "trn2 v0.8h, v1.8h, v2.8h",
    "trn1 v0.2s, v1.2s, v2.2s",
    "trn2 v0.8b, v1.8b, v2.8b",
    "ext v0.16b, v1.16b, v2.16b, #3",
    "ext v0.8b, v1.8b, v2.8b, #5",
    "ext v0.16b, v1.16b, v2.16b, #15",
    "dup v0.16b, v1.b[5]",
    "dup v0.4s, v1.s[3]",
    "dup v0.2d, v1.d[1]",
    "dup v0.4h, v1.h[6]",
    "dup v0.16b, w1",
    "dup v0.8h, w1",
    "dup v0.2s, w1",
    "dup v0.2d, x1",
    "ins v0.s[2], w1",
    "ins v0.d[1], x1",
    "ins v0.b[15], w1",
    "ins v0.h[3], v1.h[7]",
    "ins v0.d[0], v1.d[1]",
    "umov w0, v1.b[3]",
    "umov w0, v1.h[7]",
    "umov w0, v1.s[1]",
    "umov x0, v1.d[1]",
    "smov w0, v1.b[15]",
    "smov x0, v1.h[2]",
    "smov x0, v1.s[3]",
    "movi v0.16b, #0xab",
    "movi v0.2d, #0xff00ff0000ff00ff",
    "movi v0.4s, #0x12, lsl #16",
    "movi v0.8h, #0x34, lsl #8",
    "movi v0.2s, #0x56, msl #8",
    "mvni v0.4s, #0x12, lsl #24",
    "mvni v0.4h, #0x7f",
    "orr v0.4s, #0x80, lsl #8",
    "bic v0.8h, #0xff",
    "movi d0, #0xff0000000000ffff",
    "movi v0.8b, #1",
    "fmov v0.4s, #-1.5",
    "fmov v0.2d, #0.25",
    "fmov v0.2s, #3.0",
    "tbl v0.16b, {v1.16b}, v2.16b",
    "tbl v0.8b, {v1.16b, v2.16b}, v3.8b",
    "tbx v0.16b, {v1.16b}, v2.16b",
    "tbl v0.16b, {v1.16b, v2.16b, v3.16b, v4.16b}, v5.16b",
    "tbx v0.8b, {v30.16b, v31.16b, v0.16b}, v1.8b",
    // ---- vector floating point ----
    "fadd v0.4s, v1.4s, v2.4s",
    "fadd v0.2d, v1.2d, v2.2d",
    "fsub v0.2s, v1.2s, v2.2s",
    "fmul v0.4s, v1.4s, v2.4s",
    "fdiv v0.2d, v1.2d, v2.2d",
    "fmax v0.4s, v1.4s, v2.4s",
    "fmin v0.2d, v1.2d, v2.2d",
    "fmaxnm v0.4s, v1.4s, v2.4s",
    "fminnm v0.2d, v1.2d, v2.2d",
    "fmla v0.4s, v1.4s, v2.4s",
    "fmls v0.2d, v1.2d, v2.2d",
    "fmla v0.2s, v1.2s, v2.2s",
    "fabs v0.4s, v1.4s",
    "fneg v0.2d, v1.2d",
    "fsqrt v0.4s, v1.4s",
    "fsqrt v0.2d, v1.2d",
    "fcmeq v0.4s, v1.4s, v2.4s",
    "fcmgt v0.2d, v1.2d, v2.2d",
    "fcmge v0.4s, v1.4s, v2.4s",
    "fcmeq v0.2d, v1.2d, #0.0",
    "fcmgt v0.4s, v1.4s, #0.0",
    "fcmle v0.2d, v1.2d, #0.0",
    "fcmlt v0.4s, v1.4s, #0.0",
    "fcmge v0.2s, v1.2s, #0.0",
    "facge v0.4s, v1.4s, v2.4s",
    "facgt v0.2d, v1.2d, v2.2d",
    "fabd v0.4s, v1.4s, v2.4s",
    "faddp v0.4s, v1.4s, v2.4s",
    "faddp v0.2d, v1.2d, v2.2d",
    "faddp v0.2s, v1.2s, v2.2s",
    "fmaxp v0.4s, v1.4s, v2.4s",
    "fminnmp v0.2d, v1.2d, v2.2d",
    "fmaxv s0, v1.4s",
    "fminv s0, v1.4s",
    "fmaxnmv s0, v1.4s",
    "fminnmv s0, v1.4s",
    "fmul v0.4s, v1.4s, v2.s[2]",
    "fmla v0.2d, v1.2d, v2.d[1]",
    "fmls v0.4s, v1.4s, v2.s[0]",
    "fmla v0.2s, v1.2s, v2.s[1]",
    "scvtf v0.4s, v1.4s",
    "ucvtf v0.2d, v1.2d",
    "fcvtzs v0.4s, v1.4s",
    "fcvtzu v0.2d, v1.2d",
    "fcvtns v0.4s, v1.4s",
    "fcvtms v0.2d, v1.2d",
    "fcvtps v0.2s, v1.2s",
    "fcvtas v0.4s, v1.4s",
    "fcvtau v0.4s, v1.4s",
    "scvtf v0.4s, v1.4s, #8",
    "fcvtzs v0.2d, v1.2d, #20",
    "frintn v0.4s, v1.4s",
    "frintm v0.2d, v1.2d",
    "frintp v0.4s, v1.4s",
    "frintz v0.2d, v1.2d",
    "frinta v0.4s, v1.4s",
    "frintx v0.2d, v1.2d",
    "frinti v0.2s, v1.2s",
    "fcvtl v0.2d, v1.2s",
    "fcvtl2 v0.2d, v1.4s",
    "fcvtn v0.2s, v1.2d",
    "fcvtn2 v0.4s, v1.2d",
    // ---- loads and stores (x15 = 256-byte buffer) ----
    "ld1 {v0.16b}, [x15]",
    "ld1 {v0.8b}, [x15]",
    "ld1 {v0.16b, v1.16b}, [x15], #32",
    "ld1 {v0.4s-v3.4s}, [x15]",
    "ld1 {v0.2d, v1.2d, v2.2d}, [x15], x1",
    "ld1 {v31.16b, v0.16b}, [x15]",
    "ld2 {v0.16b, v1.16b}, [x15]",
    "ld2 {v0.4h, v1.4h}, [x15], #16",
    "ld3 {v0.4s, v1.4s, v2.4s}, [x15]",
    "ld3 {v0.8b, v1.8b, v2.8b}, [x15]",
    "ld4 {v0.16b, v1.16b, v2.16b, v3.16b}, [x15], #64",
    "ld4 {v0.2s-v3.2s}, [x15]",
    "ld2 {v0.2d, v1.2d}, [x15]",
    "st1 {v1.16b}, [x15]",
    "st1 {v1.8b}, [x15], #8",
    "st1 {v1.16b-v4.16b}, [x15]",
    "st1 {v1.2d, v2.2d}, [x15], #32",
    "st2 {v1.16b, v2.16b}, [x15]",
    "st2 {v1.4s, v2.4s}, [x15], #32",
    "st3 {v1.8h, v2.8h, v3.8h}, [x15]",
    "st4 {v1.16b, v2.16b, v3.16b, v4.16b}, [x15]",
    "st4 {v1.4h, v2.4h, v3.4h, v4.4h}, [x15], x2",
    "st3 {v1.8b-v3.8b}, [x15]",
    "ld1r {v0.16b}, [x15]",
    "ld1r {v0.4s}, [x15], #4",
    "ld1r {v0.2d}, [x15]",
    "ld1r {v0.4h}, [x15]",
    "ld2r {v0.8h, v1.8h}, [x15]",
    "ld4r {v0.2s-v3.2s}, [x15], #16",
    "ld1 {v0.b}[9], [x15]",
    "ld1 {v0.h}[3], [x15], #2",
    "ld1 {v0.s}[1], [x15]",
    "ld1 {v0.d}[1], [x15], x3",
    "st1 {v1.b}[15], [x15]",
    "st1 {v1.s}[2], [x15], #4",
    "st1 {v1.d}[0], [x15]",
    "ld2 {v0.s, v1.s}[3], [x15]",
    "st2 {v1.h, v2.h}[5], [x15]",
    "ld4 {v0.b, v1.b, v2.b, v3.b}[7], [x15], #4",
    // ---- typical gcc/glibc sequences ----
    "cmeq v2.16b, v1.16b, #0; umaxp v3.16b, v2.16b, v2.16b; fmov x0, d3",
    "cmeq v2.16b, v1.16b, v0.16b; shrn v3.8b, v2.8h, #4; fmov x0, d3",
    "ld1 {v0.16b}, [x15]; uminv b1, v0.16b; umov w0, v1.b[0]",
    "ldr q0, [x15]; ldr q1, [x15, #16]; fmla v2.4s, v0.4s, v1.4s; str q2, [x15, #32]",
    "fmul d0, d1, d2; fmadd d3, d0, d4, d5; fcvtzs x0, d3; scvtf d6, x0",
    // ---- the cryptographic extension (FEAT_AES, FEAT_PMULL, FEAT_SHA1, FEAT_SHA256) ----
    "aese v0.16b, v1.16b",
    "aesd v2.16b, v3.16b",
    "aesmc v4.16b, v5.16b",
    "aesimc v6.16b, v7.16b",
    "aese v0.16b, v1.16b; aesmc v0.16b, v0.16b; aesd v0.16b, v2.16b; aesimc v0.16b, v0.16b",
    "aese v3.16b, v3.16b",
    "sha1c q0, s1, v2.4s",
    "sha1p q3, s4, v5.4s",
    "sha1m q6, s7, v8.4s",
    "sha1h s0, s1",
    "sha1su0 v0.4s, v1.4s, v2.4s",
    "sha1su1 v3.4s, v4.4s",
    "sha256h q0, q1, v2.4s",
    "sha256h2 q3, q4, v5.4s",
    "sha256su0 v0.4s, v1.4s",
    "sha256su1 v2.4s, v3.4s, v4.4s",
    "sha256h q0, q0, v0.4s",
    "pmull v0.8h, v1.8b, v2.8b",
    "pmull2 v0.8h, v1.16b, v2.16b",
    "pmull v0.1q, v1.1d, v2.1d",
    "pmull2 v3.1q, v4.2d, v5.2d",
    "pmull v1.1q, v1.1d, v1.1d",
];

const F64_SPECIALS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1.5,
    2.5,
    -2.5,
    3.5,
    -0.5,
    1e300,
    -1e-310,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    0.1,
    100.7,
    -7.3,
    4294967296.5,
    -9.3e18,
    1.8e19,
    2147483647.6,
    65504.0,
    1e-5,
    123456.789,
];
const F32_SPECIALS: &[f32] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1.5,
    2.5,
    -2.5,
    3.5,
    -0.5,
    3e38,
    -1e-40,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    0.1,
    100.7,
    -7.3,
    4294967296.0,
    -3e9,
    2147483520.0,
    65520.0,
    1e-5,
    6.1e-5,
    16777217.0,
];

/// A V register's initial value: random bits, f32 specials, f64 specials, or small integers.
fn gen_v(rng: &mut Rng) -> u128 {
    let mut lanes = [0u64; 2];
    match rng.next() % 4 {
        0 => {
            for l in &mut lanes {
                *l = rng.next();
            }
        }
        1 => {
            for l in &mut lanes {
                let a = F32_SPECIALS[(rng.next() % F32_SPECIALS.len() as u64) as usize].to_bits()
                    as u64;
                let b = F32_SPECIALS[(rng.next() % F32_SPECIALS.len() as u64) as usize].to_bits()
                    as u64;
                *l = a | b << 32;
            }
        }
        2 => {
            for l in &mut lanes {
                *l = F64_SPECIALS[(rng.next() % F64_SPECIALS.len() as u64) as usize].to_bits();
            }
        }
        _ => {
            for l in &mut lanes {
                // Small bytes (table indices, shift counts, near-equal lanes).
                *l = rng.next() & 0x1f1f_1f1f_1f1f_1f1f;
                if rng.next() % 2 == 0 {
                    *l |= 0x8080_8080_0000_0000 & rng.next();
                }
            }
        }
    }
    (lanes[1] as u128) << 64 | lanes[0] as u128
}

struct Init {
    v: [u128; 32],
    x: [u64; 15],
    nzcv: u64,
}

fn gen_init(rng: &mut Rng) -> Init {
    let mut v = [0u128; 32];
    for r in &mut v {
        *r = gen_v(rng);
    }
    let mut x = [0u64; 15];
    for (i, r) in x.iter_mut().enumerate() {
        *r = match rng.next() % 3 {
            0 => rng.next(),
            1 => rng.next() % 64,
            // Offsets for post-index by register stay inside the buffer.
            _ if i < 4 => 16 * (rng.next() % 4),
            _ => F64_SPECIALS[(rng.next() % F64_SPECIALS.len() as u64) as usize] as i64 as u64,
        };
    }
    // x1..x3 serve as post-index registers: keep them small in loads/stores.
    Init {
        v,
        x,
        nzcv: (rng.next() % 16) << 28,
    }
}

fn buffer_init() -> Vec<u8> {
    (0..256u32)
        .map(|i| (i.wrapping_mul(37) ^ (i >> 3)) as u8)
        .collect()
}

fn tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn program(cases: &[Case], inits: &[Init]) -> String {
    let mut s = String::new();
    s.push_str(".text\n.global _start\n_start:\n");
    for (i, c) in cases.iter().enumerate() {
        // Reset the buffer, load the state, run, store.
        let _ = write!(
            s,
            "  adrp x16, bufinit\n  add x16, x16, :lo12:bufinit\n  adrp x15, buf\n  add x15, x15, :lo12:buf\n  mov x17, #0\n\
             1: ldr x18, [x16, x17]\n  str x18, [x15, x17]\n  add x17, x17, #8\n  cmp x17, #256\n  b.ne 1b\n\
             adrp x16, init{i}\n  add x16, x16, :lo12:init{i}\n"
        );
        for r in (0..32).step_by(2) {
            let _ = writeln!(s, "  ldp q{}, q{}, [x16, #{}]", r, r + 1, r * 16);
        }
        let _ = writeln!(
            s,
            "  add x18, x16, #512\n  ldr x17, [x16, #640]\n  msr nzcv, x17"
        );
        for r in (0..14).step_by(2) {
            let _ = writeln!(s, "  ldp x{}, x{}, [x18, #{}]", r, r + 1, r * 8);
        }
        let _ = writeln!(s, "  ldr x14, [x18, #112]");
        let _ = writeln!(s, "case{i}:");
        for line in c.asm.split(';') {
            let _ = writeln!(s, "  {}", line.trim());
        }
        let _ = writeln!(
            s,
            "case{i}_end:\n  adrp x16, out{i}\n  add x16, x16, :lo12:out{i}"
        );
        let _ = writeln!(s, "  mrs x17, nzcv\n  str x17, [x16, #640]");
        for r in (0..32).step_by(2) {
            let _ = writeln!(s, "  stp q{}, q{}, [x16, #{}]", r, r + 1, r * 16);
        }
        let _ = writeln!(s, "  add x18, x16, #512");
        for r in (0..14).step_by(2) {
            let _ = writeln!(s, "  stp x{}, x{}, [x18, #{}]", r, r + 1, r * 8);
        }
        let _ = write!(
            s,
            "  str x14, [x16, #624]\n  adrp x17, buf\n  add x17, x17, :lo12:buf\n  sub x15, x15, x17\n  str x15, [x16, #632]\n\
             mov x18, #0\n  add x19, x16, #656\n\
             1: ldr x20, [x17, x18]\n  str x20, [x19, x18]\n  add x18, x18, #8\n  cmp x18, #256\n  b.ne 1b\n"
        );
    }
    let n = cases.len() * STRIDE;
    let _ = write!(
        s,
        "  mov x0, #1\n  adrp x1, out0\n  add x1, x1, :lo12:out0\n  ldr x2, ={n}\n  mov x8, #64\n  svc #0\n\
         mov x0, #0\n  mov x8, #93\n  svc #0\n  .ltorg\n.data\n.balign 16\nbufinit:\n"
    );
    for b in buffer_init() {
        let _ = writeln!(s, "  .byte {b}");
    }
    s.push_str(".balign 16\nbuf: .skip 256\n");
    for (i, init) in inits.iter().enumerate() {
        let _ = writeln!(s, ".balign 16\ninit{i}:");
        for v in &init.v {
            let _ = writeln!(s, "  .quad {:#x}, {:#x}", *v as u64, (*v >> 64) as u64);
        }
        for x in &init.x {
            let _ = writeln!(s, "  .quad {x:#x}");
        }
        let _ = writeln!(
            s,
            "  .quad 0\n  .quad {:#x}\n  .skip {}",
            init.nzcv,
            STRIDE - 648
        );
    }
    s.push_str(".bss\n.balign 16\n");
    for i in 0..cases.len() {
        let _ = writeln!(s, "out{i}: .skip {STRIDE}");
    }
    s
}

fn run_cmd(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The words of each case, from the assembled object: `nm` gives `case<i>`/`case<i>_end`.
fn case_words(obj: &PathBuf, dir: &std::path::Path, n: usize) -> Vec<Vec<u32>> {
    let bin = dir.join("text.bin");
    run_cmd(
        Command::new("aarch64-linux-gnu-objcopy")
            .args(["-O", "binary", "-j", ".text"])
            .arg(obj)
            .arg(&bin),
    );
    let text = std::fs::read(&bin).expect("text.bin");
    let nm = String::from_utf8(run_cmd(Command::new("aarch64-linux-gnu-nm").arg(obj)))
        .expect("nm output");
    let mut addr = std::collections::HashMap::new();
    for line in nm.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() == 3 {
            addr.insert(
                f[2].to_string(),
                u64::from_str_radix(f[0], 16).expect("nm address"),
            );
        }
    }
    (0..n)
        .map(|i| {
            let (s, e) = (
                addr[&format!("case{i}")] as usize,
                addr[&format!("case{i}_end")] as usize,
            );
            text[s..e]
                .chunks(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect()
        })
        .collect()
}

/// Runs `cases` under qemu and xarch from `seeds` sets of random initial states; gives the
/// mismatches.
fn run_cases(cases: &[Case], seeds: u64, tag: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("xarch-simd-diff-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = Vec::new();
    for seed in 0..seeds {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (seed + 1).wrapping_mul(0x1234_5678_9abc_def1));
        let inits: Vec<Init> = cases.iter().map(|_| gen_init(&mut rng)).collect();
        let src = dir.join("t.s");
        std::fs::write(&src, program(cases, &inits)).expect("write t.s");
        let obj = dir.join("t.o");
        let exe = dir.join("t");
        run_cmd(
            Command::new("aarch64-linux-gnu-as")
                .arg("-march=armv8-a+crypto")
                .arg(&src)
                .arg("-o")
                .arg(&obj),
        );
        run_cmd(
            Command::new("aarch64-linux-gnu-ld")
                .arg("-static")
                .arg(&obj)
                .arg("-o")
                .arg(&exe),
        );
        let out = run_cmd(&mut Command::new("qemu-aarch64").arg(&exe));
        assert_eq!(out.len(), cases.len() * STRIDE, "qemu output size");
        let words = case_words(&obj, &dir, cases.len());
        for (i, case) in cases.iter().enumerate() {
            if let Err(e) = check_case(
                case,
                &words[i],
                &inits[i],
                &out[i * STRIDE..(i + 1) * STRIDE],
            ) {
                failures.push(format!("seed {seed} `{}`: {e}", case.asm));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    failures
}

/// Fails the test, naming what to install, when a tool is missing.
fn require_tools() {
    assert!(
        tool("aarch64-linux-gnu-as") && tool("qemu-aarch64"),
        "needs aarch64-linux-gnu-as and qemu-aarch64 \
         (apt-get install binutils-aarch64-linux-gnu qemu-user, or run `make deps`)"
    );
}

#[test]
fn fp_and_simd_match_qemu() {
    require_tools();
    let filter = std::env::var("XARCH_SIMD_CASE").ok();
    let cases: Vec<Case> = CASES
        .iter()
        .filter(|c| filter.as_deref().is_none_or(|f| c.contains(f)))
        .map(|&asm| Case {
            asm: asm.to_string(),
        })
        .collect();
    let seeds: u64 = std::env::var("XARCH_SIMD_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let failures = run_cases(&cases, seeds, "list");
    assert!(
        failures.is_empty(),
        "{} mismatches with qemu:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Random words of every FP/SIMD encoding class that xarch lifts (no trap) and that the
/// disassembler knows as an instruction, each run as a one-instruction case. Structure
/// loads/stores get base X15 and an immediate post-index, so they stay in the buffer.
/// `XARCH_SIMD_RANDOM` sets the words tried per class (default 12).
#[test]
fn random_fp_and_simd_words_match_qemu() {
    require_tools();
    let per_entry: usize = std::env::var("XARCH_SIMD_RANDOM")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let mut candidates = Vec::new();
    for e in fp::TABLE.iter().chain(simd::TABLE.iter()) {
        for _ in 0..per_entry {
            let mut w = (rng.next() as u32 & !e.mask) | e.value;
            if e.name.starts_with("LDST") {
                w = (w & !(0x1f << 5)) | (15 << 5) | (0x1f << 16);
            }
            let bytes = w.to_le_bytes();
            let code = CodeBuffer {
                base: PC,
                bytes: &bytes,
            };
            let lifted = Aarch64
                .lift(PC, &code)
                .is_ok_and(|b| !matches!(b.exit, xarch_translator::ir::Exit::Trap { .. }));
            if lifted {
                candidates.push(w);
            }
        }
    }
    // Keep the words objdump decodes (an unallocated word would kill the qemu run).
    let dir = std::env::temp_dir().join(format!("xarch-simd-words-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let src = dir.join("w.s");
    let text: String = candidates
        .iter()
        .map(|w| format!(".inst {w:#010x}\n"))
        .collect();
    std::fs::write(&src, text).expect("write w.s");
    let obj = dir.join("w.o");
    run_cmd(
        Command::new("aarch64-linux-gnu-as")
            .arg("-march=armv8-a+crypto")
            .arg(&src)
            .arg("-o")
            .arg(&obj),
    );
    let dis = String::from_utf8(run_cmd(
        Command::new("aarch64-linux-gnu-objdump")
            .arg("-d")
            .arg(&obj),
    ))
    .expect("objdump");
    let _ = std::fs::remove_dir_all(&dir);
    let mut cases = Vec::new();
    for line in dis.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 3 || !f[0].trim_end().ends_with(':') {
            continue;
        }
        let Ok(w) = u32::from_str_radix(f[1].trim(), 16) else {
            continue;
        };
        let asm = f[2..].join(" ");
        // The harness owns x15 (the buffer) and x16 up: their values differ between the runs.
        let regs = asm.replace("[x15", "");
        let harness_reg = regs.split(|c: char| !c.is_ascii_alphanumeric()).any(|t| {
            t.len() >= 2
                && (t.starts_with('x') || t.starts_with('w'))
                && t[1..].parse::<u32>().is_ok_and(|n| (15..=30).contains(&n))
        });
        if harness_reg {
            continue;
        }
        if asm.contains(".inst") || asm.contains("undefined") {
            eprintln!("lifted, but not an instruction to objdump: {w:#010x}");
            continue;
        }
        cases.push(Case {
            asm: format!(".inst {w:#010x} // {}", asm.trim()),
        });
    }
    assert!(
        cases.len() > candidates.len() / 2,
        "most lifted words are real instructions"
    );
    eprintln!(
        "{} random words lifted, {} of them run against qemu",
        candidates.len(),
        cases.len()
    );
    let failures = run_cases(&cases, 1, "random");
    assert!(
        failures.is_empty(),
        "{} mismatches with qemu:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check_case(_case: &Case, words: &[u32], init: &Init, want: &[u8]) -> Result<(), String> {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let code = CodeBuffer {
        base: PC,
        bytes: &bytes,
    };
    let block = Aarch64.lift(PC, &code).map_err(|e| e.to_string())?;
    if let xarch_translator::ir::Exit::Trap { kind, pc } = block.exit {
        return Err(format!("traps ({kind:?}) at {pc:#x}"));
    }
    let mut s = CpuState::default();
    s.pc = PC;
    s.v = init.v;
    s.x[..15].copy_from_slice(&init.x);
    s.x[15] = DATA;
    s.set_nzcv(init.nzcv as u32);
    let mem = testing::test_memory(&[(DATA, DATA + 0x1000)]);
    let buf = buffer_init();
    // SAFETY: DATA..DATA+0x1000 is mapped read-write in this test window.
    unsafe {
        std::ptr::copy_nonoverlapping(buf.as_ptr(), mem.base().add(DATA as usize), buf.len())
    };
    // Stores here are idempotent (registers to memory), so both tiers may share memory.
    let (out, _) = testing::compare_tiers(&block, s.as_bytes(), &mem, state::PC)?;
    let got = CpuState::from_bytes(&out);
    let mut got_buf = vec![0u8; 256];
    // SAFETY: as above.
    unsafe {
        std::ptr::copy_nonoverlapping(mem.base().add(DATA as usize), got_buf.as_mut_ptr(), 256)
    };
    let q = |o: usize| u64::from_le_bytes(want[o..o + 8].try_into().expect("8 bytes"));
    let mut diffs = Vec::new();
    for r in 0..32 {
        let w = (q(r * 16 + 8) as u128) << 64 | q(r * 16) as u128;
        if got.v[r] != w {
            diffs.push(format!("v{r}: xarch {:#034x}, qemu {w:#034x}", got.v[r]));
        }
    }
    for r in 0..15 {
        if got.x[r] != q(512 + r * 8) {
            diffs.push(format!(
                "x{r}: xarch {:#x}, qemu {:#x}",
                got.x[r],
                q(512 + r * 8)
            ));
        }
    }
    if got.x[15].wrapping_sub(DATA) != q(632) {
        diffs.push(format!(
            "x15 - buf: xarch {:#x}, qemu {:#x}",
            got.x[15].wrapping_sub(DATA),
            q(632)
        ));
    }
    if (got.nzcv() as u64) != q(640) {
        diffs.push(format!("nzcv: xarch {:#x}, qemu {:#x}", got.nzcv(), q(640)));
    }
    if got_buf[..] != want[656..912] {
        let first = (0..256).find(|&i| got_buf[i] != want[656 + i]).unwrap_or(0);
        diffs.push(format!("buffer differs from byte {first}"));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}
