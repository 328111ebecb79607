//! SSE/SSE2 (SDM Vol. 1, chapters 10 and 11).

use super::{Ctx, Step};

pub(crate) fn lift_0f(_cx: &mut Ctx) -> Step {
    Step::Unimplemented
}

pub(crate) fn lift_0f38_3a(_cx: &mut Ctx) -> Step {
    Step::Unimplemented
}
