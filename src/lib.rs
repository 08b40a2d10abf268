//! # graph-mailbox-import
//!
//! Moves items into Exchange Online mailboxes through Microsoft Graph's mailbox import/export API, from
//! browsers, Node and Cloudflare Workers, as one WebAssembly npm package.
//!
//! ## The flow
//! 1. [`client::create_import_session`] asks Graph for a `mailboxItemImportSession`
//!    (`POST /admin/exchange/mailboxes/{mailboxId}/createImportSession`): an `importUrl` pre-authenticated
//!    by its `authtoken` parameter, and its `expirationDateTime`.
//! 2. Items are posted to that URL (not yet in this crate).
//!
//! ## Layout
//! Everything but [`wasm`] is pure and tested natively: [`protocol`] builds URLs and reads answers,
//! [`retry`] decides what is retried and how long to wait, [`config`] validates options, [`url`] decides
//! where a request may go, and [`client`] is the one loop that ties them together over the host effects
//! of [`transport::Effects`]. [`wasm`] binds those effects to `fetch`, `setTimeout` and `crypto` and
//! exports the JavaScript API; it is the only module that names `wasm_bindgen`.

// Errors are the cold path and are moved rarely; boxing them would add allocation code to every
// fallible function for no measurable gain.
#![allow(clippy::result_large_err)]

pub mod client;
pub mod config;
pub mod error;
pub mod json;
pub mod protocol;
pub mod retry;
pub mod text;
pub mod time;
pub mod transport;
pub mod url;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use client::{create_import_session, Failure};
pub use config::{ApiVersion, ClientConfig, RawOptions};
pub use error::{ErrorCode, MailboxError};
pub use protocol::ImportSession;
