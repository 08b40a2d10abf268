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

use crate::config::ClientConfig;
use crate::flows::importer::SessionStore;

/// What a `MailboxClient` holds, as one handle for the flows that import: the host's effects, the options
/// validated once, and the client's import sessions (one per target mailbox). Cheap to copy, so each floor
/// (copy -> bulk -> importer) passes it down whole instead of the three parts.
pub struct Client<'a, E> {
    /// The host's fetch, timers, token and clock.
    pub effects: &'a E,
    /// The client's options, validated once.
    pub config: &'a ClientConfig,
    /// The client's import sessions, shared by every call of the client.
    pub sessions: &'a SessionStore,
}

// By hand: the host's effects need not be `Debug`.
impl<E> core::fmt::Debug for Client<'_, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("config", self.config)
            .field("sessions", self.sessions)
            .finish_non_exhaustive()
    }
}

impl<E> Clone for Client<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for Client<'_, E> {}
