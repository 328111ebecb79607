//! Power ISA Book II: storage control and synchronisation instructions user programs use.

use super::{Form, form, x};
use crate::lift::system::*;

pub static TABLE: &[Form] = &[
    form("sync", x(31, 598), false, fence),
    form("eieio", x(31, 854), false, fence),
    form("isync", x(19, 150), false, fence),
    form("dcbz", x(31, 1014), false, dcbz),
    form("dcbt", x(31, 278), false, nop),
    form("dcbtst", x(31, 246), false, nop),
    form("dcbst", x(31, 54), false, nop),
    form("dcbf", x(31, 86), false, nop),
    form("icbi", x(31, 982), false, nop),
    form("icbt", x(31, 22), false, nop),
];
