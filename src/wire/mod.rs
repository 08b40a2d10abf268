//! The wire format of each call, as pure functions: the request to send and the meaning of each answer.
//! Nothing here waits or sends; the flows above run these over the host's effects.
//!
//! - [`protocol`]: Graph's calls (createImportSession, errors, request ids, redaction).
//! - [`import_host`]: the import host's item post, its body and answers.
//! - [`pages`]: the read calls (folders, items, delta, exportItems) and Graph's pages of results.
//! - [`folders`]: folder creation and delta rounds (folders/delta, items/delta).
//! - [`retry`]: which failures are retried, and how long to wait first.

pub mod folders;
pub mod import_host;
pub mod pages;
pub mod protocol;
pub mod retry;
