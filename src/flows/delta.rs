//! Delta rounds through the Graph loop: `listItemChanges` (one items/delta round of a folder) and the
//! folders/delta round a copy of folders starts with. A round reads every page and ends with the
//! deltaLink for the next one; links are followed only under the trusted Graph root, as nextLinks are.

use alloc::string::String;
use alloc::vec::Vec;
use core::future::Future;

use crate::codec::json::Value;
use crate::config::ClientConfig;
use crate::error::{ErrorCode, MailboxError};
use crate::flows::client::{send_to_graph_with, Failure};
use crate::transport::Effects;
use crate::wire::folders::{
    check_delta_link, folders_delta_url, items_delta_url, parse_delta_page,
    validate_received_since, DeltaPage, DELTA_PREFER,
};
use crate::wire::protocol::GraphCall;
use crate::wire::protocol::{validate_id, validate_mailbox_id};

/// What one round found.
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    /// Entries added or changed (all of them in a first round), as Graph sent them.
    pub changed: Vec<Value>,
    /// Ids removed since the round the deltaLink came from.
    pub removed: Vec<String>,
    /// Where the next round starts.
    pub delta_link: String,
}

/// Pages of a round met before giving up: a service that never ends a round must not hold a run forever.
const MAX_PAGES: usize = 100_000;

/// Reads one page of a round at `url`, `Prefer: odata.maxpagesize` on the request. A nextLink it gives
/// is checked (it must lead on, under the Graph root) before anyone follows it.
pub async fn delta_page<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    url: &str,
) -> Result<DeltaPage, Failure> {
    let call = GraphCall::get(url.into());
    let answer = send_to_graph_with(effects, config, call, Some(DELTA_PREFER)).await?;
    let page = parse_delta_page(&answer.response.body).map_err(|e| answer.fail(e))?;
    if let Some(next) = &page.next_link {
        if next == url {
            let error = MailboxError::new(
                ErrorCode::InvalidResponse,
                "Graph's @odata.nextLink points to the same page",
            );
            return Err(answer.fail(error));
        }
        check_delta_link(config, next, "Graph's @odata.nextLink").map_err(|e| answer.fail(e))?;
    }
    Ok(page)
}

/// Reads a whole round from `first` (or fails with its error, so that callers that check their
/// arguments can hand back this future instead of wrapping it in one of their own): every page.
pub async fn delta_round<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    first: Result<String, MailboxError>,
) -> Result<Changes, Failure> {
    let mut changes = Changes {
        changed: Vec::new(),
        removed: Vec::new(),
        delta_link: String::new(),
    };
    let mut url = first?;
    for _ in 0..MAX_PAGES {
        let page = delta_page(effects, config, &url).await?;
        changes.changed.extend(page.changed);
        changes.removed.extend(page.removed);
        match (page.delta_link, page.next_link) {
            (Some(delta_link), _) => {
                changes.delta_link = delta_link;
                return Ok(changes);
            }
            (None, next) => url = next.unwrap_or_default(),
        }
    }
    Err(MailboxError::new(
        ErrorCode::InvalidResponse,
        "Graph's delta round did not end with an @odata.deltaLink",
    )
    .into())
}

/// Where an items/delta round of a folder starts: at `link` (a deltaLink, or the nextLink a round
/// reached), or at the folder's first round. Everything is checked before any request, the link
/// included (the token goes only under the Graph root).
pub fn item_round_start(
    config: &ClientConfig,
    mailbox: &str,
    folder: &str,
    link: Option<&str>,
    received_since: Option<&str>,
) -> Result<String, MailboxError> {
    validate_mailbox_id(mailbox)?;
    validate_id("folderId", folder)?;
    match link {
        Some(link) => {
            check_delta_link(config, link, "options.deltaLink")?;
            Ok(link.into())
        }
        None => {
            if let Some(since) = received_since {
                validate_received_since(since)?;
            }
            Ok(items_delta_url(config, mailbox, folder, received_since))
        }
    }
}

/// `listItemChanges`: without `delta_link`, every item of the folder (received at or after
/// `received_since`, when given) and a deltaLink; with one, what changed since. Everything is checked
/// before any request, the deltaLink included (the token goes only under the Graph root).
pub fn list_item_changes<'a, E: Effects>(
    effects: &'a E,
    config: &'a ClientConfig,
    mailbox: &str,
    folder: &str,
    delta_link: Option<&str>,
    received_since: Option<&str>,
) -> impl Future<Output = Result<Changes, Failure>> + 'a {
    let first = item_round_start(config, mailbox, folder, delta_link, received_since);
    delta_round(effects, config, first)
}

/// The folders/delta round of a whole mailbox (every folder of the hierarchy), or what changed since
/// `delta_link`.
pub fn list_folder_changes<'a, E: Effects>(
    effects: &'a E,
    config: &'a ClientConfig,
    mailbox: &str,
    delta_link: Option<&str>,
    include_hidden: bool,
) -> impl Future<Output = Result<Changes, Failure>> + 'a {
    let first = validate_mailbox_id(mailbox).and_then(|()| match delta_link {
        Some(link) => {
            check_delta_link(config, link, "the state's folders deltaLink")?;
            Ok(link.into())
        }
        None => Ok(folders_delta_url(config, mailbox, include_hidden)),
    });
    delta_round(effects, config, first)
}
