//! Power ISA Book I chapter 2: the branch facility (branches, CR logical, `sc`).

use super::{Form, form, op, x};
use crate::lift::branch::*;
use crate::lift::system::scv;

pub static TABLE: &[Form] = &[
    form("b", op(18), false, b),
    form("bc", op(16), false, bc),
    form("sc", (0xffff_ffff, 0x4400_0002), false, sc),
    // SC-form with bit 30 clear and bit 31 set: `scv LEV` (Power ISA 3.0), decoded so that
    // it raises SIGILL as on the POWER8 xarch presents (see `lift::system::scv`).
    form("scv", (0xfc00_0003, 0x4400_0001), false, scv),
    form("bclr", x(19, 16), false, bclr),
    form("bcctr", x(19, 528), false, bcctr),
    form("bctar", x(19, 560), false, bctar),
    form("mcrf", x(19, 0), false, mcrf),
    form("crand", x(19, 257), false, cr_logical),
    form("cror", x(19, 449), false, cr_logical),
    form("crxor", x(19, 193), false, cr_logical),
    form("crnand", x(19, 225), false, cr_logical),
    form("crnor", x(19, 33), false, cr_logical),
    form("creqv", x(19, 289), false, cr_logical),
    form("crandc", x(19, 129), false, cr_logical),
    form("crorc", x(19, 417), false, cr_logical),
];
