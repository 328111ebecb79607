//! Power ISA Book I chapters 6 (VMX) and 7 (VSX): the subset implemented (see
//! `lift/vector.rs`). None of it is advertised in AT_HWCAP, so glibc's ifuncs do not pick
//! vector string functions; these lines serve compiler-generated code.

use super::{Form, form, va, vc, vx, x, xx3, xx3_dm};
use crate::lift::vector::*;

pub static TABLE: &[Form] = &[
    // 7.6 VSX loads and stores (XX1-form, TX/SX in bit 31)
    form("lxvd2x", x(31, 844), false, lxvd2x),
    form("stxvd2x", x(31, 972), false, stxvd2x),
    form("lxvw4x", x(31, 780), false, lxvw4x),
    form("stxvw4x", x(31, 908), false, stxvw4x),
    form("lxsdx", x(31, 588), false, lxsdx),
    form("stxsdx", x(31, 716), false, stxsdx),
    form("lxvdsx", x(31, 332), false, lxvdsx),
    form("lxsiwzx", x(31, 12), false, lxsiwzx),
    form("lxsiwax", x(31, 76), false, lxsiwax),
    form("stxsiwx", x(31, 140), false, stxsiwx),
    form("lxsspx", x(31, 524), false, lxsspx),
    form("stxsspx", x(31, 652), false, stxsspx),
    // 7.6 VSX moves between GPRs and VSRs
    form("mfvsrd", x(31, 51), true, mfvsrd),
    form("mfvsrwz", x(31, 115), false, mfvsrwz),
    form("mtvsrd", x(31, 179), true, mtvsrd),
    form("mtvsrwa", x(31, 211), false, mtvsrwa),
    form("mtvsrwz", x(31, 243), false, mtvsrwz),
    // 7.6 VSX permute and logical (XX3-form)
    form("xxpermdi", xx3_dm(60, 10), false, xxpermdi),
    form("xxland", xx3(60, 130), false, xxlogical),
    form("xxlandc", xx3(60, 138), false, xxlogical),
    form("xxlor", xx3(60, 146), false, xxlogical),
    form("xxlxor", xx3(60, 154), false, xxlogical),
    form("xxlnor", xx3(60, 162), false, xxlogical),
    form("xxlorc", xx3(60, 170), false, xxlogical),
    form("xxlnand", xx3(60, 178), false, xxlogical),
    form("xxleqv", xx3(60, 186), false, xxlogical),
    // 6.7 VMX loads and stores
    form("lvx", x(31, 103), false, lvx),
    form("stvx", x(31, 231), false, stvx),
    form("lvsl", x(31, 6), false, lvsl),
    form("lvsr", x(31, 38), false, lvsr),
    // 6.8 permute and formatting
    form("vperm", va(4, 43), false, vperm),
    form("vsldoi", va(4, 44), false, vsldoi),
    form("vspltb", vx(4, 524), false, vsplt),
    form("vsplth", vx(4, 588), false, vsplt),
    form("vspltw", vx(4, 652), false, vsplt),
    form("vspltisb", vx(4, 780), false, vspltis),
    form("vspltish", vx(4, 844), false, vspltis),
    form("vspltisw", vx(4, 908), false, vspltis),
    // 6.9 integer arithmetic, 6.10 compare, 6.11 logical
    form("vaddubm", vx(4, 0), false, vbin),
    form("vadduhm", vx(4, 64), false, vbin),
    form("vadduwm", vx(4, 128), false, vbin),
    form("vaddudm", vx(4, 192), false, vbin),
    form("vsububm", vx(4, 1024), false, vbin),
    form("vsubuhm", vx(4, 1088), false, vbin),
    form("vsubuwm", vx(4, 1152), false, vbin),
    form("vsubudm", vx(4, 1216), false, vbin),
    form("vminub", vx(4, 514), false, vbin),
    form("vmaxub", vx(4, 2), false, vbin),
    form("vand", vx(4, 1028), false, vbin),
    form("vandc", vx(4, 1092), false, vbin),
    form("vor", vx(4, 1156), false, vbin),
    form("vxor", vx(4, 1220), false, vbin),
    form("vnor", vx(4, 1284), false, vbin),
    form("vcmpequb", vc(4, 6), false, vcmp),
    form("vcmpequh", vc(4, 70), false, vcmp),
    form("vcmpequw", vc(4, 134), false, vcmp),
    form("vcmpequd", vc(4, 199), false, vcmp),
    form("vcmpgtub", vc(4, 518), false, vcmp),
    form("vcmpgtsb", vc(4, 774), false, vcmp),
];
