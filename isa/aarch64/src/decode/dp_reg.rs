//! ARM ARM C4.1.89 "Data Processing -- Register".

use super::Encoding;

#[rustfmt::skip]
pub static TABLE: &[Encoding] = &[
];
