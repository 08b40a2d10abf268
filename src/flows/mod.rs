//! Calls run over the host's effects ([`crate::transport::Effects`]): the one Graph loop ([`client`]),
//! import sessions and posts ([`importer`]), bulk runs ([`bulk`]), mailbox reads ([`reader`]), copies
//! ([`copy`]), folder trees and delta rounds ([`folder_tree`], [`delta`]), copies of folders with passes
//! ([`copy_folders`]), app-only tokens ([`entra`]), and the small concurrency primitive they share ([`flights`]).
//! Each is generic over the effects, so native tests drive them on a simulated clock.

pub mod bulk;
pub mod client;
pub mod copy;
pub mod copy_folders;
pub mod delta;
pub mod entra;
pub mod flights;
pub mod folder_tree;
pub mod importer;
pub mod reader;
