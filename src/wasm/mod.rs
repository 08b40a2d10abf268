//! The only module that names `wasm_bindgen`, `js_sys` or `web_sys`: the effects bound to JavaScript
//! globals ([`host`]), options read off JavaScript objects ([`options`]), and the exported API ([`api`];
//! folder trees and copies of folders in [`folders`]).

pub mod api;
pub mod convert;
pub mod effects;
pub mod folders;
pub mod host;
pub mod options;
pub mod source;
