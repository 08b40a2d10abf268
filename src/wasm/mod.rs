//! The only module that names `wasm_bindgen`, `js_sys` or `web_sys`: the effects bound to JavaScript
//! globals ([`host`], [`effects`]), what callers pass read off JavaScript values ([`options`] for option
//! objects, [`arguments`] for ids and the like, [`source`] for items), values going out ([`convert`], written by [`plain`]), how
//! every export answers ([`promise`]), and the exported API ([`api`]; bulk runs in [`bulk_run`], folder
//! trees and copies of folders in [`folders`]).

pub mod api;
pub mod arguments;
pub mod bulk_run;
pub mod convert;
pub mod effects;
pub mod folders;
pub mod host;
pub mod options;
pub mod plain;
pub mod promise;
pub mod source;
