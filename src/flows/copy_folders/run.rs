//! One pass of `copyFolders`: the source's folders from a folders/delta round, each mapped into the
//! target (found or created), then its items from an items/delta round, exported and imported through
//! the bulk importer (every `importItems` guarantee holds), each recorded as it settles.
//!
//! Exactly once: an item is recorded in the item map (or the caller's store) the moment it settles (a
//! store also gets each create as `outcomeUnknown` before it is sent), and the state is reported
//! (`onState`) at every folder boundary, after at most 100 settled items, and once more when the pass
//! ends for any reason, always with no post in flight. A folder's round is copied page by page: the
//! state keeps the nextLink of the first page not yet copied, so a resumed run goes on from there. A
//! folder's deltaLink advances only when its round was copied whole (nothing failed, nothing left
//! `outcomeUnknown`), so whatever a pass could not finish is listed again by the next and copied then,
//! while recorded items are skipped (unchanged) or updated (changed), never copied twice.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;

use crate::codec::json::Value;
use crate::config::ClientConfig;
use crate::error::{ErrorCode, MailboxError};
use crate::flows::bulk::{
    import_items, BulkOptions, ItemResult, Observer, Progress, Report, Status, Stopped,
};
use crate::flows::client::Failure;
use crate::flows::copy::{ExportingSource, Planned};
use crate::flows::copy_folders::hierarchy::{apply_folder_round, path_of, Scope};
use crate::flows::copy_folders::mapping::{map_folder, Mapping};
use crate::flows::copy_folders::plan::{changes, decide, Plan};
use crate::flows::copy_folders::state::{CopiedItem, CopyState};
use crate::flows::copy_folders::store::{ItemStore, MemoryItems, StoreFailed, StoreFuture};
use crate::flows::delta::{delta_page, item_round_start, list_folder_changes};
use crate::flows::folder_tree::{create_folder, get_folder, FolderCreated, NewFolder};
use crate::flows::importer::SessionStore;
use crate::flows::reader::list_folders;
use crate::flows::Client;
use crate::transport::Effects;
use crate::wire::folders::{is_expired_delta, validate_received_since};
use crate::wire::protocol::validate_id;

/// Settled items between two reports of the state, at most.
pub const STATE_EVERY: usize = 100;

/// What to copy, where to, and how.
#[derive(Clone, Copy)]
pub struct CopyFoldersJob<'a> {
    /// The mailbox copied from.
    pub source_mailbox: &'a str,
    /// `None`: the whole mailbox.
    pub source_folder: Option<&'a str>,
    /// The mailbox copied into.
    pub target_mailbox: &'a str,
    /// `None`: the target's top level.
    pub target_parent: Option<&'a str>,
    /// Copy the folders below `source_folder` too (`includeSubfolders`, default true).
    pub include_subfolders: bool,
    /// List and copy hidden folders too (`includeHidden`, default false); a change from the state's
    /// setting starts a whole folders round.
    pub include_hidden: bool,
    /// Copy search folders too; skipped by default, since their items live in other folders.
    pub include_search_folders: bool,
    /// `receivedSince` (ISO 8601 with a zone): a folder's first round lists only items received at or after
    /// it; later passes go on from the folder's deltaLink. `None`: every item.
    pub received_since: Option<&'a str>,
    /// Send again the creates an earlier pass left `outcomeUnknown` (`retryOutcomeUnknown`, default false).
    pub retry_outcome_unknown: bool,
    /// Where items are recorded as they settle; `None`: in the state.
    pub item_store: Option<&'a dyn ItemStore>,
}

// By hand: the caller's item store is not `Debug`; whether there is one is shown.
impl core::fmt::Debug for CopyFoldersJob<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CopyFoldersJob")
            .field("source_mailbox", &self.source_mailbox)
            .field("source_folder", &self.source_folder)
            .field("target_mailbox", &self.target_mailbox)
            .field("target_parent", &self.target_parent)
            .field("include_subfolders", &self.include_subfolders)
            .field("include_hidden", &self.include_hidden)
            .field("include_search_folders", &self.include_search_folders)
            .field("received_since", &self.received_since)
            .field("retry_outcome_unknown", &self.retry_outcome_unknown)
            .field("item_store", &self.item_store.is_some())
            .finish()
    }
}

impl CopyFoldersJob<'_> {
    /// Everything is checked before any request, the state's pair included. Gives the state to start from.
    pub fn prepare(&self, state: Option<CopyState>) -> Result<CopyState, MailboxError> {
        let items_in_store = self.item_store.is_some();
        validate_id("source.mailboxId", self.source_mailbox)?;
        validate_id("target.mailboxId", self.target_mailbox)?;
        if let Some(folder) = self.source_folder {
            validate_id("source.folderId", folder)?;
        }
        if let Some(parent) = self.target_parent {
            validate_id("target.parentFolderId", parent)?;
        }
        if let Some(since) = self.received_since {
            validate_received_since(since)?;
        }
        let Some(state) = state else {
            return Ok(CopyState::new(
                self.source_mailbox,
                self.source_folder,
                self.target_mailbox,
                self.target_parent,
                items_in_store,
            ));
        };
        state.check_pair(
            self.source_mailbox,
            self.source_folder,
            self.target_mailbox,
            self.target_parent,
        )?;
        if state.items.is_none() != items_in_store {
            return Err(MailboxError::invalid_argument(if items_in_store {
                "options.state keeps its items itself; pass it without options.itemStore"
            } else {
                "options.state keeps its items in an itemStore; pass that store again"
            }));
        }
        Ok(state)
    }
}

/// What happened to a folder, as `onFolder`'s `action` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderAction {
    /// The target folder was created.
    Created,
    /// An existing target folder (same well-known name, or same name under the mapped parent) is used.
    Reused,
    /// The folder's items were copied for this pass.
    Done,
    /// The folder could not be mapped or read; its items (and its subtree) are not copied in this pass.
    Failed,
}

impl FolderAction {
    /// The action as JavaScript sees it: `created`, `reused`, `done` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Reused => "reused",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// What `onFolder` is told.
#[derive(Debug, Clone)]
pub struct FolderEvent<'a> {
    /// The folder's id in the source mailbox.
    pub source_folder_id: &'a str,
    /// Display names from the copy's top folder down to this one, its own last.
    pub path: &'a [String],
    /// The folder it maps to in the target; `None` when the folder failed.
    pub target_folder_id: Option<&'a str>,
    /// What happened to it.
    pub action: FolderAction,
    /// Why it failed; `None` unless `action` is `Failed`.
    pub error: Option<&'a MailboxError>,
}

/// The caller's callbacks: `onResult`/`onProgress` (as [`Observer`]), `onFolder`, and `onState`, which may
/// be asynchronous. `false` means the callback threw: the pass stops.
pub trait CopyObserver: Observer {
    /// `onFolder`: a folder was mapped, copied, or failed.
    fn folder(&mut self, event: &FolderEvent<'_>) -> bool;
    /// The state as JSON text (what `CopyState::to_json` writes).
    fn state(&mut self, state_json: String) -> Pin<Box<dyn Future<Output = bool> + '_>>;
}

/// How many folders the pass created, reused and failed (`folders` in the report).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderCounts {
    /// Folders created in the target.
    pub created: u64,
    /// Source folders mapped to a folder the target already had.
    pub reused: u64,
    /// Folders that could not be mapped or read.
    pub failed: u64,
}

/// What a pass of `copyFolders` did, and the state to pass to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFoldersReport {
    /// Counts and, when kept, one result per item settled in this pass (by index), with sourceItemId.
    pub report: Report,
    /// What the pass did with the folders.
    pub folders: FolderCounts,
    /// Items imported over their known copies because the source changed.
    pub updated: u64,
    /// Items the source removed since the last pass (counted, never deleted from the target).
    pub removed_in_source: u64,
    /// The state after the pass; pass it to the next run to copy only what changed.
    pub state: CopyState,
}

/// Why a pass ended early. The report still says what it did, and its state is the last one reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyStopped {
    /// The run's signal (or the client's) stopped it.
    Aborted,
    /// `onResult`, `onProgress` or `onFolder` threw.
    ObserverFailed,
    /// `onState` threw or rejected.
    StateFailed,
    /// The item store threw or rejected.
    StoreFailed,
    /// The source's folders could not be read: nothing could be copied.
    Failed(MailboxError),
}

struct Pass<'a, E: Effects> {
    effects: &'a E,
    config: &'a ClientConfig,
    sessions: &'a SessionStore,
    job: CopyFoldersJob<'a>,
    options: &'a BulkOptions,
    state: CopyState,
    memory: MemoryItems,
    store: Option<&'a dyn ItemStore>,
    progress: Progress,
    /// Slot `index` holds that item's result once it settles (items settle out of order).
    results: Vec<Option<ItemResult>>,
    folders: FolderCounts,
    updated: u64,
    removed: u64,
    /// The state changed since it was last reported.
    dirty: bool,
    stopped: Option<CopyStopped>,
    /// Children of target folders already listed in this pass (`None`: the top level).
    target_children: Vec<(Option<String>, Vec<Value>)>,
}

/// Records each settled item and tells the caller, with counts over the whole pass.
struct Recorder<'p, 'o, O: CopyObserver> {
    user: &'o mut O,
    store: &'p dyn ItemStore,
    planned: &'p [Planned],
    exported_keys: &'p RefCell<Vec<Option<String>>>,
    first_index: u64,
    before: Progress,
    keep_results: bool,
    results: &'p mut Vec<Option<ItemResult>>,
    pending: Vec<StoreFuture<'static, ()>>,
    updated: u64,
    /// Every item of the chunk was imported.
    whole: bool,
    /// An item was given up unsent because the run stopped.
    unsent: bool,
}

impl<O: CopyObserver> Observer for Recorder<'_, '_, O> {
    fn settled(&mut self, result: &ItemResult, progress: &Progress) -> bool {
        let position = result.index as usize;
        if let Some(planned) = self.planned.get(position) {
            let record = match (&result.status, &result.imported) {
                (Status::Imported, Some(copy)) => {
                    if planned.update.is_some() {
                        self.updated += 1;
                    }
                    Some(Some(CopiedItem::Imported {
                        item_id: copy.item_id.clone(),
                        change_key: copy.change_key.clone(),
                        source_change_key: self
                            .exported_keys
                            .borrow()
                            .get(position)
                            .cloned()
                            .flatten(),
                    }))
                }
                // An update is safe to send again, so only a create is left unknown.
                (Status::OutcomeUnknown, _) if planned.update.is_none() => {
                    Some(Some(CopiedItem::OutcomeUnknown))
                }
                // A create recorded ahead that failed (or was never sent): no copy was made.
                (Status::Failed, _) if planned.write_ahead => Some(None),
                _ => None,
            };
            if result.status != Status::Imported {
                self.whole = false;
            }
            if result.error.as_ref().map(|e| e.code) == Some(ErrorCode::Aborted) {
                self.unsent = true;
            }
            if let Some(record) = record {
                self.pending
                    .push(self.store.set(&planned.source_id, record.as_ref()));
            }
        }
        let mut numbered = result.clone();
        numbered.index += self.first_index;
        let whole_pass = Progress {
            total: None,
            settled: self.before.settled + progress.settled,
            imported: self.before.imported + progress.imported,
            failed: self.before.failed + progress.failed,
            outcome_unknown: self.before.outcome_unknown + progress.outcome_unknown,
            bytes: self.before.bytes + progress.bytes,
        };
        let going_on = self.user.settled(&numbered, &whole_pass);
        if self.keep_results {
            let slot = numbered.index as usize;
            if self.results.len() <= slot {
                self.results.resize(slot + 1, None);
            }
            self.results[slot] = Some(numbered);
        }
        going_on
    }
}

fn aborted_or(failure: Failure) -> Result<MailboxError, CopyStopped> {
    match failure {
        Failure::Aborted => Err(CopyStopped::Aborted),
        Failure::Error(error) => Ok(error),
    }
}

impl<'a, E: Effects> Pass<'a, E> {
    fn items(&self) -> &dyn ItemStore {
        match self.store {
            Some(store) => store,
            None => &self.memory,
        }
    }

    fn stop(&mut self, why: CopyStopped) {
        self.stopped.get_or_insert(why);
    }

    async fn report_state<O: CopyObserver>(&mut self, observer: &mut O) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let json = match self.store {
            Some(_) => self.state.to_json_with(None),
            None => self.state.to_json_with(Some(&self.memory.map.borrow())),
        };
        if !observer.state(json).await {
            self.stop(CopyStopped::StateFailed);
        }
    }

    fn tell<O: CopyObserver>(&mut self, observer: &mut O, event: &FolderEvent<'_>) {
        match event.action {
            FolderAction::Created => self.folders.created += 1,
            FolderAction::Reused => self.folders.reused += 1,
            FolderAction::Failed => self.folders.failed += 1,
            FolderAction::Done => {}
        }
        if !observer.folder(event) {
            self.stop(CopyStopped::ObserverFailed);
        }
    }

    /// The source's folders, from a folders/delta round over the state's list.
    async fn read_folders(&mut self) -> Result<(), CopyStopped> {
        let job = self.job;
        if self.state.include_hidden != job.include_hidden {
            // The last round listed another set of folders: start over with a whole round.
            self.state.folders_delta_link = None;
            self.state.include_hidden = job.include_hidden;
        }
        let mut root_folder: Option<Value> = None;
        if let (Some(folder), None) = (job.source_folder, &self.state.root_id) {
            let root = get_folder(self.effects, self.config, job.source_mailbox, folder).await;
            let root = root.map_err(|f| aborted_or(f).map_or_else(|s| s, CopyStopped::Failed))?;
            self.state.root_id = root.get_str("id").map(Into::into);
            root_folder = Some(root);
        }
        let mut round = list_folder_changes(
            self.effects,
            self.config,
            job.source_mailbox,
            self.state.folders_delta_link.as_deref(),
            job.include_hidden,
        )
        .await;
        if matches!(&round, Err(Failure::Error(e)) if is_expired_delta(e))
            && self.state.folders_delta_link.is_some()
        {
            // The link's state is gone on the service: a whole round lists every folder again.
            self.state.folders_delta_link = None;
            round = list_folder_changes(
                self.effects,
                self.config,
                job.source_mailbox,
                None,
                job.include_hidden,
            )
            .await;
        }
        let first_round = self.state.folders_delta_link.is_none();
        let round = round.map_err(|f| aborted_or(f).map_or_else(|s| s, CopyStopped::Failed))?;
        let mut changed = round.changed;
        // The subtree's own folder, should the round not list it.
        if let Some(root) = root_folder {
            let id = root.get_str("id").unwrap_or_default();
            if !changed.iter().any(|f| f.get_str("id") == Some(id)) {
                changed.push(root);
            }
        }
        let root_id = self.state.root_id.clone();
        let scope = Scope {
            subtree_root: job.source_folder.and(root_id.as_deref()),
            include_subfolders: job.include_subfolders,
            include_search_folders: job.include_search_folders,
        };
        apply_folder_round(
            &mut self.state,
            scope,
            &changed,
            &round.removed,
            first_round,
        );
        self.state.folders_delta_link = Some(round.delta_link);
        self.dirty = true;
        Ok(())
    }

    /// Where in `target_children` the children of a target folder are: listed once per pass.
    async fn children_of(&mut self, parent: Option<&str>) -> Result<usize, Failure> {
        if let Some(at) = self
            .target_children
            .iter()
            .position(|(key, _)| key.as_deref() == parent)
        {
            return Ok(at);
        }
        let listed = list_folders(
            self.effects,
            self.config,
            self.job.target_mailbox,
            parent,
            true,
        )
        .await?;
        self.target_children
            .push((parent.map(String::from), listed));
        Ok(self.target_children.len() - 1)
    }

    /// Finds or creates the target of folder `index`, under `parent` in the target.
    async fn map_into_target(
        &mut self,
        index: usize,
        parent: Option<&str>,
    ) -> Result<(String, FolderAction), Failure> {
        let at = self.children_of(parent).await?;
        let mapping = map_folder(&self.state.folders[index], &self.target_children[at].1);
        let target_mailbox = self.job.target_mailbox;
        let (found, action) = match mapping {
            Mapping::Reuse(id) => return Ok((id, FolderAction::Reused)),
            Mapping::WellKnown(name) => (
                get_folder(self.effects, self.config, target_mailbox, &name).await?,
                FolderAction::Reused,
            ),
            Mapping::Create {
                display_name,
                folder_type,
            } => {
                let new = NewFolder {
                    display_name: &display_name,
                    folder_type: Some(&folder_type),
                    parent,
                };
                match create_folder(self.effects, self.config, target_mailbox, &new).await? {
                    FolderCreated::Created(folder) => (folder, FolderAction::Created),
                    FolderCreated::Existing(folder) => (folder, FolderAction::Reused),
                }
            }
        };
        let id = String::from(found.get_str("id").unwrap_or_default());
        self.target_children[at].1.push(found);
        Ok((id, action))
    }

    /// Imports one chunk of a folder's plan. Gives whether every item was imported, and whether every
    /// item was taken and settled (none given up unsent because the run stopped).
    async fn run_chunk<O: CopyObserver>(
        &mut self,
        observer: &mut O,
        chunk: &[Planned],
        target_folder: &str,
    ) -> (bool, bool) {
        let keys = RefCell::new(Vec::new());
        let mut source = ExportingSource::new(
            self.effects,
            self.config,
            self.job.source_mailbox,
            target_folder,
            chunk,
            &keys,
            self.store,
        );
        let store: &dyn ItemStore = match self.store {
            Some(store) => store,
            None => &self.memory,
        };
        let mut recorder = Recorder {
            user: observer,
            store,
            planned: chunk,
            exported_keys: &keys,
            first_index: self.progress.settled,
            before: self.progress,
            keep_results: self.options.keep_results,
            results: &mut self.results,
            pending: Vec::new(),
            updated: 0,
            whole: true,
            unsent: false,
        };
        let options = BulkOptions {
            concurrency: self.options.concurrency,
            total: None,
            keep_results: false,
        };
        let client = Client {
            effects: self.effects,
            config: self.config,
            sessions: self.sessions,
        };
        let outcome = import_items(
            client,
            self.job.target_mailbox,
            &mut source,
            &mut recorder,
            &options,
        )
        .await;
        let Recorder {
            mut pending,
            updated,
            whole,
            unsent,
            ..
        } = recorder;
        if let (Some(store), Some(id)) = (self.store, source.announced.take()) {
            pending.push(store.set(&id, None));
        }
        let chunk_report = match outcome {
            Ok(report) => report,
            Err((why, report)) => {
                self.stop(match why {
                    Stopped::Aborted => CopyStopped::Aborted,
                    // A planned source fails only when the store fails to record a create ahead.
                    Stopped::SourceFailed => CopyStopped::StoreFailed,
                    Stopped::ObserverFailed => CopyStopped::ObserverFailed,
                });
                report
            }
        };
        let p = chunk_report.progress;
        self.progress.settled += p.settled;
        self.progress.imported += p.imported;
        self.progress.failed += p.failed;
        self.progress.outcome_unknown += p.outcome_unknown;
        self.progress.bytes += p.bytes;
        self.updated += updated;
        if p.settled > 0 {
            self.dirty = true;
        }
        // Every record is kept before the state that counts on it is reported.
        for record in pending {
            if record.await == Err(StoreFailed) {
                self.stop(CopyStopped::StoreFailed);
            }
        }
        let all_taken = !unsent && p.settled as usize == chunk.len();
        (whole && all_taken, all_taken)
    }

    /// Copies folder `index`: maps it, then copies its round's changes.
    async fn copy_folder<O: CopyObserver>(&mut self, observer: &mut O, index: usize) {
        let path = path_of(&self.state.folders, index);
        let source_id = self.state.folders[index].source_id.clone();
        let parent_index = self.state.folders[index].parent_id.as_ref().and_then(|p| {
            self.state.folders[..index]
                .iter()
                .position(|f| f.source_id == *p)
        });
        let fail = |pass: &mut Self, observer: &mut O, error: &MailboxError| {
            let event = FolderEvent {
                source_folder_id: &source_id,
                path: &path,
                target_folder_id: None,
                action: FolderAction::Failed,
                error: Some(error),
            };
            pass.tell(observer, &event);
        };
        let parent: Option<String> = match parent_index {
            None => self.job.target_parent.map(String::from),
            Some(p) => match &self.state.folders[p].target_id {
                Some(id) => Some(id.clone()),
                None => {
                    let error = MailboxError::new(
                        ErrorCode::NotFound,
                        "The folder's parent could not be copied, so neither could the folder",
                    );
                    fail(self, observer, &error);
                    return;
                }
            },
        };
        let target = match self.state.folders[index].target_id.clone() {
            Some(id) => id,
            None => match self.map_into_target(index, parent.as_deref()).await {
                Ok((id, action)) => {
                    self.state.folders[index].target_id = Some(id.clone());
                    self.dirty = true;
                    let event = FolderEvent {
                        source_folder_id: &source_id,
                        path: &path,
                        target_folder_id: Some(&id),
                        action,
                        error: None,
                    };
                    self.tell(observer, &event);
                    id
                }
                Err(Failure::Aborted) => return self.stop(CopyStopped::Aborted),
                Err(Failure::Error(error)) => return fail(self, observer, &error),
            },
        };
        if self.stopped.is_some() {
            return;
        }

        let job = self.job;
        let entry = &self.state.folders[index];
        // The round goes on from the page it reached, or starts at the deltaLink, or from scratch.
        let mut link = entry.round_link.clone().or(entry.delta_link.clone());
        // A round is started again once at most (when the link it went on from has expired).
        let mut may_restart = link.is_some();
        let mut url = String::new();
        loop {
            if self.stopped.is_some() || self.effects.stopping() {
                return self.stop(CopyStopped::Aborted);
            }
            if url.is_empty() {
                let since = job.received_since.filter(|_| link.is_none());
                let start = item_round_start(
                    self.config,
                    job.source_mailbox,
                    &source_id,
                    link.as_deref(),
                    since,
                );
                url = match start {
                    Ok(url) => url,
                    Err(error) => return fail(self, observer, &error),
                };
            }
            let page = match delta_page(self.effects, self.config, &url).await {
                Ok(page) => page,
                Err(Failure::Aborted) => return self.stop(CopyStopped::Aborted),
                Err(Failure::Error(error)) if may_restart && is_expired_delta(&error) => {
                    // The link's state is gone on the service: a whole round lists every item again, and
                    // the item map tells the copied ones (skipped, or updated when changed) from the new.
                    let entry = &mut self.state.folders[index];
                    entry.round_link = None;
                    entry.round_gaps = false;
                    may_restart = false;
                    link = None;
                    url.clear();
                    continue;
                }
                Err(Failure::Error(error)) => return fail(self, observer, &error),
            };
            self.removed += page.removed.len() as u64;
            if self.store.is_none() {
                let mut map = self.memory.map.borrow_mut();
                for id in &page.removed {
                    map.remove(id);
                }
            }
            let mut plan = Plan::default();
            for change in changes(&page.changed) {
                let known = match self.items().get(&change.source_id).await {
                    Ok(known) => known,
                    Err(StoreFailed) => return self.stop(CopyStopped::StoreFailed),
                };
                let decision = decide(&change, known.as_ref(), job.retry_outcome_unknown);
                plan.add(change, decision);
            }
            let mut gaps = plan.left_unknown > 0;
            let mut page_done = true;
            for chunk in plan.items.chunks(STATE_EVERY) {
                if self.stopped.is_some() || self.effects.stopping() {
                    self.stop(CopyStopped::Aborted);
                    page_done = false;
                    break;
                }
                let (whole, all_taken) = self.run_chunk(observer, chunk, &target).await;
                gaps |= !whole;
                page_done &= all_taken;
                self.report_state(observer).await;
                if self.stopped.is_some() {
                    break;
                }
            }
            if !page_done {
                // Read again from this page: its copied items are skipped then, the rest copied.
                return;
            }
            let entry = &mut self.state.folders[index];
            entry.round_gaps |= gaps;
            self.dirty = true;
            if let Some(next) = page.next_link {
                entry.round_link = Some(next.clone());
                url = next;
                continue;
            }
            if !entry.round_gaps {
                entry.delta_link = page.delta_link;
            }
            entry.round_link = None;
            entry.round_gaps = false;
            break;
        }
        let event = FolderEvent {
            source_folder_id: &source_id,
            path: &path,
            target_folder_id: Some(&target),
            action: FolderAction::Done,
            error: None,
        };
        self.tell(observer, &event);
    }

    async fn run<O: CopyObserver>(&mut self, observer: &mut O) {
        if let Err(why) = boxed(self.read_folders()).await {
            return self.stop(why);
        }
        for index in 0..self.state.folders.len() {
            // The state at each folder boundary (after the last, copy_folders reports it).
            self.report_state(observer).await;
            if self.stopped.is_some() {
                return;
            }
            if self.effects.stopping() {
                return self.stop(CopyStopped::Aborted);
            }
            boxed(self.copy_folder(observer, index)).await;
        }
    }
}

/// Runs one pass from `state`, as [`CopyFoldersJob::prepare`] gave it. Items are recorded in the job's
/// item store when it has one, else in the state.
pub async fn copy_folders<E: Effects, O: CopyObserver>(
    client: Client<'_, E>,
    job: CopyFoldersJob<'_>,
    mut state: CopyState,
    observer: &mut O,
    options: &BulkOptions,
) -> Result<CopyFoldersReport, (CopyStopped, CopyFoldersReport)> {
    let memory = MemoryItems {
        map: RefCell::new(state.items.take().unwrap_or_default()),
    };
    let Client {
        effects,
        config,
        sessions,
    } = client;
    let mut pass = Pass {
        effects,
        config,
        sessions,
        job,
        options,
        state,
        memory,
        store: job.item_store,
        progress: Progress::default(),
        results: Vec::new(),
        folders: FolderCounts::default(),
        updated: 0,
        removed: 0,
        dirty: false,
        stopped: None,
        target_children: Vec::new(),
    };
    pass.run(observer).await;
    // Once more, whatever ended the pass: nothing is in flight now, so this state is complete.
    pass.report_state(observer).await;
    let Pass {
        mut state,
        memory,
        store,
        progress,
        results,
        folders,
        updated,
        removed,
        stopped,
        ..
    } = pass;
    if store.is_none() {
        state.items = Some(memory.map.into_inner());
    }
    let results = results.into_iter().flatten().collect();
    let report = CopyFoldersReport {
        report: Report { progress, results },
        folders,
        updated,
        removed_in_source: removed,
        state,
    };
    match stopped {
        None => Ok(report),
        Some(why) => Err((why, report)),
    }
}

/// A future behind a pointer, polled through its vtable: the pass's two big steps stay functions of their
/// own instead of being compiled into one state machine with everything around them (smaller under gzip).
fn boxed<'a, T>(f: impl Future<Output = T> + 'a) -> Pin<Box<dyn Future<Output = T> + 'a>> {
    Box::pin(f)
}
