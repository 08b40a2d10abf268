//! Reading mailboxes through the Graph loop: whole collections page by page (`listFolders` and
//! `listItems` in JavaScript run [`list_pages`] from the call [`crate::wire::pages`] prepares), a user's
//! mailbox ids, and exports in batches (`resolveMailbox`, `exportItems`).

use alloc::string::String;
use alloc::vec::Vec;
use core::future::Future;

use crate::codec::json::{self, Value};
use crate::config::ClientConfig;
use crate::error::{ErrorCode, MailboxError};
use crate::flows::client::{send_to_graph, Failure};
use crate::flows::flights::Flights;
use crate::transport::Effects;
pub use crate::wire::pages::UserMailboxes;
use crate::wire::pages::{
    export_url, parse_export, parse_page, parse_user_mailboxes, prepare_export_batch,
    prepare_list_folders, prepare_next_page, prepare_resolve_mailbox, validate_export,
    ExportedItem, EXPORT_BATCH,
};
use crate::wire::protocol::GraphCall;

/// Export batches in flight at once: Exchange's per-mailbox limit.
const EXPORTS_IN_FLIGHT: usize = 4;

/// Every page of a collection from the first on, following `@odata.nextLink` while it stays under the
/// Graph root. Each page's `value` array goes to `on_page` as the JSON text Graph sent (checked, not
/// built), so a listing reaches JavaScript without a copy of its values in between.
pub async fn list_pages<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    first: GraphCall,
    on_page: &mut dyn FnMut(&str),
) -> Result<(), Failure> {
    let mut call = first;
    loop {
        let url = call.url.clone();
        let answer = send_to_graph(effects, config, call).await?;
        let body = &answer.response.body;
        let page = parse_page(body).map_err(|e| answer.fail(e))?;
        on_page(body.get(page.values).unwrap_or("[]"));
        match page.next_link {
            None => return Ok(()),
            Some(link) if link == url => {
                let error = MailboxError::new(
                    ErrorCode::InvalidResponse,
                    "Graph's @odata.nextLink points to the same page",
                );
                return Err(answer.fail(error));
            }
            Some(link) => call = prepare_next_page(config, link).map_err(|e| answer.fail(e))?,
        }
    }
}

/// Every value of a collection from its first page on, as [`list_pages`] reads them.
pub fn list_all<'a, E: Effects>(
    effects: &'a E,
    config: &'a ClientConfig,
    first: GraphCall,
) -> impl Future<Output = Result<Vec<Value>, Failure>> + 'a {
    list_from(effects, config, Ok(first))
}

/// [`list_all`] from a first call that may have failed its checks: the listings hand back this future
/// rather than wrap it in a state machine each.
async fn list_from<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    first: Result<GraphCall, MailboxError>,
) -> Result<Vec<Value>, Failure> {
    let mut values = Vec::new();
    list_pages(effects, config, first?, &mut |page| {
        if let Some(Value::Array(page)) = json::parse(page) {
            values.extend(page);
        }
    })
    .await?;
    Ok(values)
}

/// Top-level folders of `mailbox`, or the children of `parent`: every page. Ids are checked before any request.
pub fn list_folders<'a, E: Effects>(
    effects: &'a E,
    config: &'a ClientConfig,
    mailbox: &str,
    parent: Option<&str>,
    include_hidden: bool,
) -> impl Future<Output = Result<Vec<Value>, Failure>> + 'a {
    let first = prepare_list_folders(config, mailbox, parent, include_hidden);
    list_from(effects, config, first)
}

/// A user's mailbox ids, from `/users/{user}/settings/exchange`.
pub async fn resolve_mailbox<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    user: &str,
) -> Result<UserMailboxes, Failure> {
    let call = prepare_resolve_mailbox(config, user)?;
    let answer = send_to_graph(effects, config, call).await?;
    parse_user_mailboxes(&answer.response.body).map_err(|e| answer.fail(e))
}

/// Posts one batch of ids to `url` and matches the results to the ids, in the ids' order.
async fn export_batch<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    url: String,
    ids: Vec<String>,
) -> Result<Vec<ExportedItem>, Failure> {
    let call = prepare_export_batch(url, &ids);
    let answer = send_to_graph(effects, config, call).await?;
    let mut returned = parse_export(&answer.response.body).map_err(|e| answer.fail(e))?;
    Ok(ids
        .into_iter()
        .map(
            |id| match returned.iter().position(|item| item.item_id == id) {
                Some(at) => returned.swap_remove(at),
                None => ExportedItem {
                    item_id: id,
                    change_key: None,
                    data: None,
                    error: Some((
                        "ErrorItemNotReturned".into(),
                        "exportItems returned nothing for this item".into(),
                    )),
                },
            },
        )
        .collect())
}

/// Exports `ids` from `mailbox`: batches of at most 20, at most 4 in flight, results in input order with
/// each item's own error kept. Items whose folder moved to an archive are asked for once more at the URL
/// Graph names, when it lies under the Graph root.
pub async fn export_items<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    mailbox: &str,
    ids: &[String],
) -> Result<Vec<ExportedItem>, Failure> {
    validate_export(mailbox, ids)?;
    let url = export_url(config, mailbox);
    let mut results: Vec<Option<ExportedItem>> = ids.iter().map(|_| None).collect();
    let mut batches = ids.chunks(EXPORT_BATCH).enumerate();
    let mut flights = Flights::default();
    loop {
        while flights.len() < EXPORTS_IN_FLIGHT {
            let Some((n, batch)) = batches.next() else {
                break;
            };
            let batch = batch.to_vec();
            let url = url.clone();
            flights.push(async move { (n, export_batch(effects, config, url, batch).await) });
        }
        let Some((n, outcome)) = flights.next_output().await else {
            break;
        };
        // export_batch answers one result per id asked for, so every slot exists.
        let slots = results.iter_mut().skip(n * EXPORT_BATCH);
        for (slot, item) in slots.zip(outcome?) {
            *slot = Some(item);
        }
    }
    // Items in folders moved to an archive: once more, grouped by the URL Graph gave, sequentially (rare).
    let mut moved: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, item) in results.iter().enumerate() {
        if let Some(target) = item.as_ref().and_then(|item| item.moved_to(config)) {
            match moved.iter_mut().find(|(url, _)| *url == target) {
                Some((_, positions)) => positions.push(i),
                None => moved.push((target, alloc::vec![i])),
            }
        }
    }
    for (target, positions) in moved {
        for chunk in positions.chunks(EXPORT_BATCH) {
            let batch: Vec<String> = chunk.iter().filter_map(|&i| ids.get(i).cloned()).collect();
            let again = export_batch(effects, config, target.clone(), batch).await?;
            for (&i, item) in chunk.iter().zip(again) {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(item);
                }
            }
        }
    }
    Ok(results.into_iter().flatten().collect())
}
