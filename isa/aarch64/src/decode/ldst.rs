//! ARM ARM C4.1.88 "Loads and Stores".

use super::Encoding;

#[rustfmt::skip]
pub static TABLE: &[Encoding] = &[
];
