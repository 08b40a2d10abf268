//! # graph-mailbox-import
//!
//! Moves items into Exchange Online mailboxes through Microsoft Graph's mailbox import/export API, from
//! browsers, Node and Cloudflare Workers, as one WebAssembly npm package.
//!
//! ## The flow
//! 1. [`client::create_import_session`] asks Graph for a `mailboxItemImportSession`
//!    (`POST /admin/exchange/mailboxes/{mailboxId}/createImportSession`): an `importUrl` pre-authenticated
//!    by its `authtoken` parameter, and its `expirationDateTime`.
//! 2. [`importer::import_item`] posts an item to that URL (PascalCase JSON, base64 `Data`), through a
//!    [`importer::SessionStore`] that keeps one session per mailbox, renews it before it expires or when
//!    the import host refuses it, and follows the archive 409 to the mailbox it names.
//! 3. [`bulk::import_items`] pulls items lazily from a source and keeps a bounded window of posts in
//!    flight, settling every item exactly once.
//! 4. [`reader`] reads mailboxes (a user's mailbox ids, folders, items, exports) and [`copy::copy_items`]
//!    streams exports from one mailbox into imports to another.
//!
//! ## Layout
//! Everything but `wasm` is pure and tested natively: [`protocol`] and [`import`] build requests and read
//! answers,
//! [`retry`] decides what is retried and how long to wait, [`config`] validates options, [`url`] decides
//! where a request may go, and [`client`] is the one loop that ties them together over the host effects
//! of [`transport::Effects`]. `wasm` binds those effects to `fetch`, `setTimeout` and `crypto` and
//! exports the JavaScript API; it is the only module that names `wasm_bindgen`.

// The shipped module is built with the `tiny` feature: no `std`, a panic handler that traps without
// formatting anything, and dlmalloc as the allocator (what `std` would use anyway). That keeps
// `core::fmt` and std's panic machinery out of the wasm. Tests build without it and link `std` as usual.
#![cfg_attr(all(target_arch = "wasm32", feature = "tiny"), no_std)]
// Errors are the cold path and are moved rarely; boxing them would add allocation code to every
// fallible function for no measurable gain.
#![allow(clippy::result_large_err)]

extern crate alloc;

pub mod base64;
pub mod bulk;
pub mod client;
pub mod config;
pub mod copy;
pub mod entra;
pub mod error;
pub mod flights;
pub mod import;
pub mod importer;
pub mod json;
pub mod listing;
pub mod protocol;
pub mod reader;
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

#[cfg(all(target_arch = "wasm32", feature = "tiny"))]
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// Nothing in this crate is meant to panic (the parsers are property-tested for it); if something does,
/// trap at once: the JavaScript caller sees a `RuntimeError: unreachable`.
#[cfg(all(target_arch = "wasm32", feature = "tiny"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
