//! # graph-mailbox-import
//!
//! Moves items into Exchange Online mailboxes through Microsoft Graph's mailbox import/export API, from
//! browsers, Node and Cloudflare Workers, as one WebAssembly npm package.
//!
//! ## The flow
//! 1. [`flows::client::create_import_session`] asks Graph for a `mailboxItemImportSession`
//!    (`POST /admin/exchange/mailboxes/{mailboxId}/createImportSession`): an `importUrl` pre-authenticated
//!    by its `authtoken` parameter, and its `expirationDateTime`.
//! 2. [`flows::importer::import_item`] posts an item to that URL (PascalCase JSON, base64 `Data`), through
//!    a [`flows::importer::SessionStore`] that keeps one session per mailbox, renews it before it expires
//!    or when the import host refuses it, and follows the archive 409 to the mailbox it names.
//! 3. [`flows::bulk::import_items`] pulls items lazily from a source and keeps a bounded window of posts
//!    in flight, settling every item exactly once.
//! 4. [`flows::reader`] reads mailboxes (a user's mailbox ids, folders, items, exports) and
//!    [`flows::copy::copy_items`] streams exports from one mailbox into imports to another.
//!
//! ## Layout
//! Layers as folders; each uses only the ones below it:
//! ```text
//! wasm/    the JavaScript boundary: fetch, timers and crypto as effects, options and arguments read off
//!          JS objects, values out, the exported API (api, bulk_run, folders). The only module that names
//!          wasm_bindgen, js_sys or web_sys.
//! flows/   calls run over the host effects: client (the one Graph loop), importer, bulk, copy, reader,
//!          entra, flights
//! wire/    each call's wire format, pure: protocol (Graph), import_host, pages (reads), retry
//! config, error, transport    options validated once, the one error type, the effects trait
//! codec/   small pure codecs: json, url, time, base64, text
//! ```
//! Everything but `wasm` is pure or generic over [`transport::Effects`], and is tested natively with a
//! scripted server and a simulated clock.

extern crate alloc;

pub mod codec;
pub mod config;
pub mod error;
pub mod flows;
pub mod transport;
pub mod wire;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use config::{ApiVersion, ClientConfig, RawOptions};
pub use error::{ErrorCode, MailboxError};
pub use flows::client::{create_import_session, Failure};
pub use wire::protocol::ImportSession;

// The shipped module links `std` (gloo-net and serde-wasm-bindgen need it) and is built with
// `panic = "abort"`: nothing in this crate is meant to panic (the parsers are property-tested for it), and
// if something does, the module traps rather than unwinding. The allocator is lol_alloc's free list: first
// fit over free blocks kept in address order, neighbours merged when freed, memory grown by whole pages as
// needed (so items of tens of megabytes still fit; an import body is reserved at its exact size). 0.6 KB
// gzip smaller than talc and 3.3 KB smaller than std's dlmalloc; the bulk bench showed no CPU cost per item.
// SAFETY: `AssumeSingleThreaded` must never be used from two threads at once; wasm32-unknown-unknown built
// without the `atomics` feature (as this crate is) has one thread.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
