//! Calls run over the host's effects ([`crate::transport::Effects`]): the one Graph loop ([`client`]),
//! import sessions and posts ([`importer`]), bulk runs ([`bulk`]), mailbox reads ([`reader`]), copies
//! ([`copy`]), app-only tokens ([`entra`]), and the small concurrency primitive they share ([`flights`]).
//! Each is generic over the effects, so native tests drive them on a simulated clock.

pub mod bulk;
pub mod client;
pub mod copy;
pub mod copy_folders;
pub mod entra;
pub mod flights;
pub mod importer;
pub mod reader;
