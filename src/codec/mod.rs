//! Small pure codecs with no knowledge of Graph: JSON, URLs, dates, base64 and number formatting.
//! Each is owned rather than borrowed from a crate because every dependency is bytes in the shipped wasm;
//! each is checked against a reference crate in the tests (see `tests/codecs_match_reference.rs`).

pub mod base64;
pub mod json;
pub mod text;
pub mod time;
pub mod url;
