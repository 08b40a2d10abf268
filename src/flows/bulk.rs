//! `importItems`: pulls items lazily from a source, keeps at most `concurrency` posts in flight, and
//! settles every item it took exactly once (imported, failed or outcomeUnknown), reporting each as it
//! settles. Memory is bounded by the window of items in flight (plus one small result per item when the
//! caller keeps results).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::Poll;

use crate::error::{ErrorCode, MailboxError};
use crate::flows::flights::Flights;
use crate::flows::importer::{import_item, ItemError};
use crate::flows::Client;
use crate::transport::Effects;
use crate::wire::import_host::{ImportItem, ImportedItem};

/// Most posts a caller may ask to keep in flight (Exchange allows 4 per mailbox; more only earns 429s).
pub const MAX_CONCURRENCY: usize = 16;
/// Posts in flight when the caller gives no `concurrency`: Exchange's per-mailbox limit.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// What the source gave next. Items and invalid entries may carry the id of the item they were copied
/// from, which their result repeats.
#[derive(Debug)]
pub enum Pulled {
    /// An item to post, and the id of the source item it was copied from (`None` outside copies).
    Item(ImportItem, Option<String>),
    /// An entry that is not a valid item (or could not be read from its source): it settles as failed
    /// without any request.
    Invalid(MailboxError, Option<String>),
    /// No more items.
    End,
    /// The source itself failed (an iterator threw): the run stops taking items.
    Failed,
}

/// The next entry of a source, as a boxed future.
pub type NextItem<'a> = Pin<Box<dyn Future<Output = Pulled> + 'a>>;

/// Where items come from: a JavaScript iterable or async iterable, a copy's exports, or a test's list.
/// Taken as `dyn` so one importer serves every kind of source: each generic copy of the importer's state
/// machine costs kilobytes of wasm, and a box per pull costs nothing next to a request.
pub trait ItemSource {
    /// The next entry; called again only after the previous pull has finished.
    fn next(&mut self) -> NextItem<'_>;
}

/// How an item settled, as `ItemResult.status` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The import host stored the item; `imported` holds its new id and change key.
    Imported,
    /// The item was not imported; `error` says why.
    Failed,
    /// A create was sent and no usable answer came back: the item may or may not exist; it is never
    /// sent again.
    OutcomeUnknown,
}

impl Status {
    /// The status as JavaScript sees it: `imported`, `failed` or `outcomeUnknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Imported => "imported",
            Self::Failed => "failed",
            Self::OutcomeUnknown => "outcomeUnknown",
        }
    }
}

/// How one item settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    /// Position in the input, from 0.
    pub index: u64,
    /// How the item settled.
    pub status: Status,
    /// The new item's id and change key; `Some` exactly when `status` is `Imported`.
    pub imported: Option<ImportedItem>,
    /// Why the item failed or may not have landed; `None` when it was imported.
    pub error: Option<MailboxError>,
    /// For copies: the item in the source mailbox this one was made from.
    pub source_item_id: Option<String>,
}

/// Counts so far; `bytes` is the base64 `Data` of the items imported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// How many items the run expects, when the caller said so (a length the source knew); `None`: unknown.
    pub total: Option<u64>,
    /// Items settled so far, whatever their status.
    pub settled: u64,
    /// Items imported so far.
    pub imported: u64,
    /// Items that failed so far.
    pub failed: u64,
    /// Items settled `outcomeUnknown` so far.
    pub outcome_unknown: u64,
    /// Base64 characters of `Data` in the items imported so far.
    pub bytes: u64,
}

/// Told about every settled item, in settling order. Returning `false` (the caller's callback threw)
/// stops the run from taking more items.
pub trait Observer {
    /// Called once per settled item with its result and the counts including it; `false` stops the run.
    fn settled(&mut self, result: &ItemResult, progress: &Progress) -> bool;
}

/// The outcome of a run: counts, and the results in input order when kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The final counts.
    pub progress: Progress,
    /// One result per item taken, in input order; empty unless `keep_results` was set.
    pub results: Vec<ItemResult>,
}

/// Why a run ended before its source did. The report still covers every item that was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The run was asked to stop (`Effects::stopping`) or the caller's signal aborted.
    Aborted,
    /// The source threw.
    SourceFailed,
    /// The observer threw.
    ObserverFailed,
}

/// How a run of [`import_items`] is paced and what it keeps.
#[derive(Debug)]
pub struct BulkOptions {
    /// Posts kept in flight at once; clamped to `1..=MAX_CONCURRENCY`.
    pub concurrency: usize,
    /// Passed through into [`Progress::total`]; `None` when the source's length is not known.
    pub total: Option<u64>,
    /// Keep every result for the report (the caller may rely on `onResult` alone for huge runs).
    pub keep_results: bool,
}

/// The error reported for an item that was taken but never sent because the run stopped.
fn not_sent() -> MailboxError {
    MailboxError::new(
        ErrorCode::Aborted,
        "The run was stopped before this item was sent; it was not imported",
    )
}

fn result_for(
    index: u64,
    source_item_id: Option<String>,
    outcome: Result<ImportedItem, ItemError>,
) -> ItemResult {
    let (status, imported, error) = match outcome {
        Ok(item) => (Status::Imported, Some(item), None),
        Err(ItemError::Aborted) => (Status::Failed, None, Some(not_sent())),
        Err(ItemError::Failed(error)) if error.code == ErrorCode::OutcomeUnknown => {
            (Status::OutcomeUnknown, None, Some(error))
        }
        Err(ItemError::NoSession { error, .. } | ItemError::Failed(error)) => {
            (Status::Failed, None, Some(error))
        }
    };
    ItemResult {
        index,
        status,
        imported,
        error,
        source_item_id,
    }
}

/// Session failures that the next item would only meet again: once one happens, the run's later items
/// for that target (the mailbox, or the archive a 409 named) fail with it at once instead of each asking
/// Graph for a session. Items for other targets go on.
pub(crate) fn is_permanent(error: &MailboxError) -> bool {
    !matches!(
        error.code,
        ErrorCode::Throttled
            | ErrorCode::ServiceUnavailable
            | ErrorCode::Network
            | ErrorCode::Timeout
    )
}

/// Items settled without a request (invalid entries, items for a refused target) between two yields to
/// the host's event loop. Such items settle in microtasks only; without a real wait now and then, a run of
/// a million of them would starve the caller's timers (its abort among them) until it ended. A source
/// that never ends (of invalid entries, or of items for a refused mailbox) is stopped by the signal, and
/// only by it: every entry taken is settled and reported, none is dropped.
pub const YIELD_EVERY: u32 = 256;

/// A post that came back: which item, its base64 size, its source id, and how it went.
struct Landed {
    index: u64,
    bytes: u64,
    source_id: Option<String>,
    outcome: Result<ImportedItem, ItemError>,
}

/// A pull under way: it owns the source until it hands it back with what it pulled.
type Pull<'a> = Pin<Box<dyn Future<Output = (&'a mut dyn ItemSource, Pulled)> + 'a>>;

/// Runs an import of everything `source` yields into `mailbox`. The observer is `dyn` for the reason the
/// source is: importItems, copyItems and copyFolders each observe differently, and one state machine
/// serves them all.
pub async fn import_items<E: Effects>(
    client: Client<'_, E>,
    mailbox: &str,
    source: &mut dyn ItemSource,
    observer: &mut dyn Observer,
    options: &BulkOptions,
) -> Result<Report, (Stopped, Report)> {
    let concurrency = options.concurrency.clamp(1, MAX_CONCURRENCY);
    let mut progress = Progress {
        total: options.total,
        ..Progress::default()
    };
    // Slot `index` holds that item's result once it settles (items settle out of order).
    let mut results: Vec<Option<ItemResult>> = Vec::new();
    let mut flights: Flights<'_, Landed> = Flights::default();
    // Targets refused for good in this run, with the error their items fail with.
    let mut refused: Vec<(String, MailboxError)> = Vec::new();
    let refusal = |refused: &[(String, MailboxError)], item: &ImportItem| {
        let archive = client.sessions.archive_for(mailbox, &item.folder_id);
        let target = archive.as_deref().unwrap_or(mailbox);
        refused
            .iter()
            .find(|(t, _)| t == target)
            .map(|(_, error)| error.clone())
    };
    let mut quiet_settles = 0u32;
    let mut next_index = 0u64;
    let mut stopped: Option<Stopped> = None;
    let mut source_done = false;

    let mut settle =
        |result: ItemResult, bytes: u64, progress: &mut Progress, stopped: &mut Option<Stopped>| {
            progress.settled += 1;
            match result.status {
                Status::Imported => {
                    progress.imported += 1;
                    progress.bytes += bytes;
                }
                Status::Failed => progress.failed += 1,
                Status::OutcomeUnknown => progress.outcome_unknown += 1,
            }
            if !observer.settled(&result, progress) && stopped.is_none() {
                *stopped = Some(Stopped::ObserverFailed);
            }
            if options.keep_results {
                let slot = result.index as usize;
                if results.len() <= slot {
                    results.resize(slot + 1, None);
                }
                results[slot] = Some(result);
            }
        };

    // One pull at a time, polled alongside the flights so a slow source never delays settling. The pull
    // owns the source while it runs and hands it back with what it pulled.
    let mut idle_source = Some(source);
    let mut pull: Option<Pull<'_>> = None;
    loop {
        if quiet_settles >= YIELD_EVERY {
            quiet_settles = 0;
            if client.effects.sleep(0).await.is_err() {
                stopped.get_or_insert(Stopped::Aborted);
            }
        }
        if stopped.is_none() && client.effects.stopping() {
            stopped = Some(Stopped::Aborted);
        }
        if stopped.is_some() {
            // A pull still waiting on the source is given up: a source whose next() waits on the caller
            // (a queue fed by onResult) may never answer, and the run must still end.
            pull = None;
        }
        if !source_done && stopped.is_none() && flights.len() < concurrency {
            if let Some(source) = idle_source.take() {
                pull = Some(Box::pin(async move {
                    let pulled = source.next().await;
                    (source, pulled)
                }));
            }
        }
        if pull.is_none() && flights.is_empty() {
            break;
        }
        enum Event<'s> {
            Pulled((&'s mut dyn ItemSource, Pulled)),
            Landed(Landed),
        }
        let event = poll_fn(|cx| {
            if let Some(pending) = pull.as_mut() {
                if let Poll::Ready(pulled) = pending.as_mut().poll(cx) {
                    return Poll::Ready(Event::Pulled(pulled));
                }
            }
            if let Poll::Ready(landed) = flights.poll_next(cx) {
                return Poll::Ready(Event::Landed(landed));
            }
            Poll::Pending
        })
        .await;
        match event {
            Event::Pulled((source, pulled)) => {
                pull = None;
                idle_source = Some(source);
                let index = next_index;
                match pulled {
                    Pulled::End => source_done = true,
                    Pulled::Failed => {
                        source_done = true;
                        stopped.get_or_insert(Stopped::SourceFailed);
                    }
                    Pulled::Invalid(error, source_id) => {
                        next_index += 1;
                        quiet_settles += 1;
                        let result = result_for(index, source_id, Err(ItemError::Failed(error)));
                        settle(result, 0, &mut progress, &mut stopped);
                    }
                    Pulled::Item(_, source_id)
                        if stopped.is_some() || client.effects.stopping() =>
                    {
                        // Taken while the run was stopping: settled, never sent.
                        next_index += 1;
                        quiet_settles += 1;
                        settle(
                            result_for(index, source_id, Err(ItemError::Aborted)),
                            0,
                            &mut progress,
                            &mut stopped,
                        );
                    }
                    Pulled::Item(item, source_id) => {
                        next_index += 1;
                        if let Some(error) = refusal(&refused, &item) {
                            quiet_settles += 1;
                            settle(
                                result_for(index, source_id, Err(ItemError::Failed(error))),
                                0,
                                &mut progress,
                                &mut stopped,
                            );
                            continue;
                        }
                        let bytes = item.data_len() as u64;
                        flights.push(async move {
                            let outcome = import_item(client, mailbox, &item).await;
                            Landed {
                                index,
                                bytes,
                                source_id,
                                outcome,
                            }
                        });
                    }
                }
            }
            Event::Landed(landed) => {
                if let Err(ItemError::NoSession { target, error }) = &landed.outcome {
                    if is_permanent(error) && !refused.iter().any(|(t, _)| t == target) {
                        refused.push((target.clone(), error.clone()));
                    }
                }
                settle(
                    result_for(landed.index, landed.source_id, landed.outcome),
                    landed.bytes,
                    &mut progress,
                    &mut stopped,
                );
            }
        }
    }
    let report = Report {
        progress,
        results: results.into_iter().flatten().collect(),
    };
    match stopped {
        None => Ok(report),
        Some(reason) => Err((reason, report)),
    }
}
