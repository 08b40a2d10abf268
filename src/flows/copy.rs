//! `copyItems`: items exported from one mailbox are imported into a folder of another, as a stream. The
//! export side is an [`ItemSource`] for the bulk importer, so copying keeps every guarantee of
//! `importItems` (a bounded window of posts, each item settled exactly once, reported as it settles), and
//! each result names the source item it came from. Exported base64 goes into the import body as Graph
//! sent it: never decoded, never re-encoded.
//!
//! Memory stays bounded: the next export is asked for only when every exported item has been handed to
//! the importer, and a batch asks for as many ids as fit [`BATCH_BYTES`] at the size of the largest item
//! seen so far (at most 20, Graph's limit per call).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::{self, Vec};
use core::cell::RefCell;

use crate::config::ClientConfig;
use crate::error::{ErrorCode, MailboxError};
use crate::flows::bulk::{
    import_items, is_permanent, BulkOptions, ItemSource, NextItem, Observer, Pulled,
};
use crate::flows::bulk::{Report, Stopped};
use crate::flows::client::Failure;
use crate::flows::copy_folders::state::CopiedItem;
use crate::flows::copy_folders::store::ItemStore;
use crate::flows::reader::export_items;
use crate::flows::Client;
use crate::transport::Effects;
use crate::wire::import_host::{ImportItem, ItemData, Mode};
use crate::wire::pages::{ExportedItem, EXPORT_BATCH};
use crate::wire::protocol::validate_id;

/// Exported base64 one batch aims to hold. Items run from a few KB to tens of MB; with this, 20 typical
/// messages go in one call while 35 MB items go one at a time.
pub const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Ids asked for in the first batch, before any item's size is known: enough to fill the default window
/// of 4 posts, few enough that a mailbox of huge items cannot blow the memory bound on the first call.
pub const FIRST_BATCH: usize = 4;

/// What to copy and where to.
#[derive(Debug)]
pub struct CopyJob<'a> {
    /// The mailbox the items are exported from.
    pub source_mailbox: &'a str,
    /// The source items, in the order their results are reported; each at most once.
    pub item_ids: &'a [String],
    /// The mailbox the copies are imported into.
    pub target_mailbox: &'a str,
    /// The target folder every copy lands in.
    pub folder_id: &'a str,
}

impl CopyJob<'_> {
    /// Everything is checked before any request: both mailbox ids, the folder, and item ids that are
    /// non-empty, free of control characters and distinct (a repeated id would make two copies of one item).
    pub fn validate(&self) -> Result<(), MailboxError> {
        validate_id("source.mailboxId", self.source_mailbox)?;
        validate_id("target.mailboxId", self.target_mailbox)?;
        if self.folder_id.is_empty() || self.folder_id.chars().any(char::is_control) {
            return Err(MailboxError::invalid_argument(
                "target.folderId must be a non-empty string without control characters",
            ));
        }
        if self
            .item_ids
            .iter()
            .any(|id| id.is_empty() || id.chars().any(char::is_control))
        {
            return Err(MailboxError::invalid_argument(
                "source.itemIds must be non-empty strings without control characters",
            ));
        }
        if has_duplicates(self.item_ids) {
            return Err(MailboxError::invalid_argument(
                "source.itemIds lists an id more than once; each item is copied once",
            ));
        }
        Ok(())
    }
}

/// Whether any id appears twice: an open-addressing set of positions keyed by an FNV-1a hash, linear in
/// the ids and far smaller in wasm than sorting or a std set.
pub fn has_duplicates(ids: &[String]) -> bool {
    let slots = (ids.len() * 2).next_power_of_two().max(2);
    let mut table: Vec<usize> = alloc::vec![usize::MAX; slots];
    for (position, id) in ids.iter().enumerate() {
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let mut slot = hash as usize & (slots - 1);
        loop {
            match table[slot] {
                usize::MAX => {
                    table[slot] = position;
                    break;
                }
                seen if ids[seen] == *id => return true,
                _ => slot = (slot + 1) & (slots - 1),
            }
        }
    }
    false
}

/// How many ids the next export asks for, given the largest exported item so far (base64 bytes).
pub fn next_batch_len(largest_item: Option<usize>) -> usize {
    match largest_item {
        None => FIRST_BATCH,
        Some(largest) => (BATCH_BYTES / largest.max(1)).clamp(1, EXPORT_BATCH),
    }
}

/// An item Graph would not export, as the error its copy fails with. Graph's code and message are kept.
pub fn export_failure(code: &str, message: &str) -> MailboxError {
    let kind = match code {
        "ErrorItemNotFound" | "ErrorFolderNotFound" | "ResourceNotFound" => ErrorCode::NotFound,
        "ErrorAccessDenied" | "AccessDenied" => ErrorCode::Forbidden,
        _ => ErrorCode::GraphError,
    };
    let mut error = MailboxError::new(
        kind,
        if message.is_empty() {
            "Graph could not export this item"
        } else {
            message
        },
    );
    error.graph_code = (!code.is_empty()).then(|| code.into());
    error
}

/// The export side of a copy, shared by copyItems and copyFolders: batches sized by the largest item seen
/// so far ([`next_batch_len`]), and a failure every later export would meet again (no access, no such
/// mailbox) remembered, so that later ids fail with it without asking Graph.
pub struct BatchExporter<'a, E: Effects> {
    effects: &'a E,
    config: &'a ClientConfig,
    mailbox: &'a str,
    largest_item: Option<usize>,
    lasting_failure: Option<MailboxError>,
}

// By hand: the host's effects are not `Debug`, and the options are the client's, printed there.
impl<E: Effects> core::fmt::Debug for BatchExporter<'_, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BatchExporter")
            .field("mailbox", &self.mailbox)
            .field("largest_item", &self.largest_item)
            .field("lasting_failure", &self.lasting_failure)
            .finish_non_exhaustive()
    }
}

impl<'a, E: Effects> BatchExporter<'a, E> {
    /// Exports from `mailbox`.
    pub fn new(effects: &'a E, config: &'a ClientConfig, mailbox: &'a str) -> Self {
        Self {
            effects,
            config,
            mailbox,
            largest_item: None,
            lasting_failure: None,
        }
    }

    /// How many ids the next batch should hold.
    pub fn next_batch_len(&self) -> usize {
        next_batch_len(self.largest_item)
    }

    /// Exports `ids`: one result per id, in their order, or the error all of them fail with (a stopped run
    /// fails them as `aborted`: they were not copied).
    pub async fn export(&mut self, ids: &[String]) -> Result<Vec<ExportedItem>, MailboxError> {
        if let Some(error) = &self.lasting_failure {
            return Err(error.clone());
        }
        match export_items(self.effects, self.config, self.mailbox, ids).await {
            Ok(exported) => {
                for data in exported.iter().filter_map(|item| item.data.as_ref()) {
                    self.largest_item = Some(self.largest_item.unwrap_or(0).max(data.len()));
                }
                Ok(exported)
            }
            Err(Failure::Error(error)) => {
                if is_permanent(&error) {
                    self.lasting_failure = Some(error.clone());
                }
                Err(error)
            }
            Err(Failure::Aborted) => Err(MailboxError::new(
                ErrorCode::Aborted,
                "The run was stopped before this item was exported; it was not copied",
            )),
        }
    }
}

/// One item a copy exports and imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The item's id in the source mailbox: what is exported, and the result's `sourceItemId`.
    pub source_id: String,
    /// Its change key as the round listed it, until the export says what was actually copied.
    pub source_change_key: Option<String>,
    /// `None`: create; else the copy to update (its item id and change key).
    pub update: Option<(String, String)>,
    /// A create of an item the map does not know: a store records it ahead of its post, and records
    /// `None` again should it fail. (A retried item stays `outcomeUnknown` whatever the retry gives.)
    pub write_ahead: bool,
}

/// The export side of a copy, as an [`ItemSource`] for the bulk importer: planned items are exported in
/// batches and handed over as creates, or as updates of their known copies (copyFolders). With the
/// caller's item store, a create is recorded `outcomeUnknown` before the importer has it (it posts what
/// it pulls at once).
pub struct ExportingSource<'a, E: Effects> {
    /// The folder of the target mailbox every item is imported into.
    pub target_folder: &'a str,
    /// The items to copy, in order; item `i` of it is the importer's item `i`.
    pub planned: &'a [Planned],
    /// Position in `planned` of the next item to export, and of the next to hand over (the items between
    /// them are the batch exported last).
    next: usize,
    taken: usize,
    /// That batch's exports not yet handed over, in plan order, or the error all of them failed with.
    exported: vec::IntoIter<ExportedItem>,
    batch_error: Option<MailboxError>,
    exporter: BatchExporter<'a, E>,
    /// The source's change key of each item as exported (what was actually copied), by plan position;
    /// shared with whoever records the items as they settle.
    exported_keys: &'a RefCell<Vec<Option<String>>>,
    /// The caller's store, where creates are recorded ahead of their posts.
    write_ahead: Option<&'a dyn ItemStore>,
    /// An item recorded ahead whose pull was given up before the importer had it (the run stopped):
    /// never sent, so its record is to be undone.
    pub announced: Option<String>,
}

// By hand: the caller's store is not `Debug`. Exports waiting to be handed over are counted, not printed.
impl<E: Effects> core::fmt::Debug for ExportingSource<'_, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExportingSource")
            .field("target_folder", &self.target_folder)
            .field("planned", &self.planned.len())
            .field("next", &self.next)
            .field("taken", &self.taken)
            .field("exported", &self.exported.len())
            .field("batch_error", &self.batch_error)
            .field("exporter", &self.exporter)
            .field("write_ahead", &self.write_ahead.is_some())
            .field("announced", &self.announced)
            .finish_non_exhaustive()
    }
}

impl<'a, E: Effects> ExportingSource<'a, E> {
    /// A source over `planned`, exported from `mailbox` and imported into `target_folder`; resets
    /// `exported_keys` to the plan's change keys.
    pub fn new(
        effects: &'a E,
        config: &'a ClientConfig,
        mailbox: &'a str,
        target_folder: &'a str,
        planned: &'a [Planned],
        exported_keys: &'a RefCell<Vec<Option<String>>>,
        write_ahead: Option<&'a dyn ItemStore>,
    ) -> Self {
        *exported_keys.borrow_mut() = planned
            .iter()
            .map(|p| p.source_change_key.clone())
            .collect();
        Self {
            target_folder,
            planned,
            next: 0,
            taken: 0,
            exported: Vec::new().into_iter(),
            batch_error: None,
            exporter: BatchExporter::new(effects, config, mailbox),
            exported_keys,
            write_ahead,
            announced: None,
        }
    }

    fn to_import(&self, planned: &Planned, item: ExportedItem) -> Pulled {
        let id = Some(planned.source_id.clone());
        if let Some((code, message)) = &item.error {
            return Pulled::Invalid(export_failure(code, message), id);
        }
        let Some(data) = item.data.filter(|d| !d.is_empty()) else {
            let error = MailboxError::new(
                ErrorCode::InvalidResponse,
                "exportItems returned no data for this item",
            );
            return Pulled::Invalid(error, id);
        };
        let (mode, item_id, change_key) = match &planned.update {
            None => (Mode::Create, None, None),
            Some((item_id, change_key)) => (
                Mode::Update,
                Some(item_id.clone()),
                Some(change_key.clone()),
            ),
        };
        let item = ImportItem {
            folder_id: self.target_folder.into(),
            data: ItemData::Base64(data),
            mode,
            item_id,
            change_key,
        };
        Pulled::Item(item, id)
    }

    async fn export_next_batch(&mut self) {
        let start = self.next;
        let end = (start + self.exporter.next_batch_len()).min(self.planned.len());
        self.next = end;
        let ids: Vec<String> = self.planned[start..end]
            .iter()
            .map(|p| p.source_id.clone())
            .collect();
        // export_items answers in input order, one per id.
        match self.exporter.export(&ids).await {
            Ok(exported) => {
                self.exported = exported.into_iter();
                self.batch_error = None;
            }
            Err(error) => {
                self.exported = Vec::new().into_iter();
                self.batch_error = Some(error);
            }
        }
    }

    async fn pull(&mut self) -> Pulled {
        if self.taken == self.next {
            if self.next >= self.planned.len() {
                return Pulled::End;
            }
            self.export_next_batch().await;
        }
        let position = self.taken;
        self.taken += 1;
        let planned = &self.planned[position];
        let pulled = match (&self.batch_error, self.exported.next()) {
            (Some(error), _) => Pulled::Invalid(error.clone(), Some(planned.source_id.clone())),
            (None, Some(item)) => {
                if item.change_key.is_some() {
                    self.exported_keys.borrow_mut()[position] = item.change_key.clone();
                }
                self.to_import(planned, item)
            }
            (None, None) => Pulled::End,
        };
        if let (Some(store), Pulled::Item(_, Some(id))) = (self.write_ahead, &pulled) {
            if planned.write_ahead {
                self.announced = Some(id.clone());
                if store
                    .set(id, Some(&CopiedItem::OutcomeUnknown))
                    .await
                    .is_err()
                {
                    return Pulled::Failed;
                }
                self.announced = None;
            }
        }
        pulled
    }
}

impl<E: Effects> ItemSource for ExportingSource<'_, E> {
    fn next(&mut self) -> NextItem<'_> {
        Box::pin(self.pull())
    }
}

/// Copies `job.item_ids` from the source mailbox into `job.folder_id` of the target, through the
/// client's import sessions. Every id settles exactly once, in the report's input order, with its `source_item_id`.
/// `job` must have passed [`CopyJob::validate`].
pub async fn copy_items<E: Effects>(
    client: Client<'_, E>,
    job: &CopyJob<'_>,
    observer: &mut dyn Observer,
    options: &BulkOptions,
) -> Result<Report, (Stopped, Report)> {
    let planned: Vec<Planned> = job
        .item_ids
        .iter()
        .map(|id| Planned {
            source_id: id.clone(),
            source_change_key: None,
            update: None,
            write_ahead: false,
        })
        .collect();
    let exported_keys = RefCell::new(Vec::new());
    let mut source = ExportingSource::new(
        client.effects,
        client.config,
        job.source_mailbox,
        job.folder_id,
        &planned,
        &exported_keys,
        None,
    );
    import_items(client, job.target_mailbox, &mut source, observer, options).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn repeated_ids_are_found() {
        let ids = |list: &[&str]| list.iter().map(|s| String::from(*s)).collect::<Vec<_>>();
        assert!(!has_duplicates(&ids(&[])));
        assert!(!has_duplicates(&ids(&["a", "b", "c"])));
        assert!(has_duplicates(&ids(&["a", "b", "a"])));
        let many: Vec<String> = (0..5000).map(|i| alloc::format!("AAMkAD{i}=")).collect();
        assert!(!has_duplicates(&many));
        let mut repeated = many.clone();
        repeated.push("AAMkAD4321=".into());
        assert!(has_duplicates(&repeated));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn batches_shrink_to_fit_the_largest_item() {
        assert_eq!(next_batch_len(None), FIRST_BATCH);
        assert_eq!(next_batch_len(Some(2_000)), 20);
        assert_eq!(next_batch_len(Some(BATCH_BYTES / 5)), 5);
        assert_eq!(next_batch_len(Some(35 * 1024 * 1024)), 1);
        assert_eq!(next_batch_len(Some(0)), 20);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn export_errors_keep_graphs_code_and_message() {
        let error = export_failure("ErrorItemNotFound", "The item was not found.");
        assert_eq!(error.code, ErrorCode::NotFound);
        assert_eq!(error.graph_code.as_deref(), Some("ErrorItemNotFound"));
        assert_eq!(error.message, "The item was not found.");
        assert_eq!(
            export_failure("ErrorCorruptData", "").code,
            ErrorCode::GraphError
        );
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| String::from(*s)).collect()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_job_is_checked_whole_before_anything_is_sent() {
        let good = ids(&["a", "b"]);
        let job = |source, item_ids, target, folder| CopyJob {
            source_mailbox: source,
            item_ids,
            target_mailbox: target,
            folder_id: folder,
        };
        assert!(job("MBX:s", &good, "MBX:t", "f").validate().is_ok());
        let message = |j: CopyJob| j.validate().unwrap_err().message.clone();
        assert!(message(job("", &good, "MBX:t", "f")).starts_with("source.mailboxId"));
        assert!(message(job("MBX:s", &good, "..", "f")).starts_with("target.mailboxId"));
        assert!(message(job("MBX:s", &good, "MBX:t", "")).starts_with("target.folderId"));
        let repeated = ids(&["a", "b", "a"]);
        assert!(message(job("MBX:s", &repeated, "MBX:t", "f")).contains("more than once"));
        let empty = ids(&["a", ""]);
        assert!(message(job("MBX:s", &empty, "MBX:t", "f")).starts_with("source.itemIds"));
    }
}
