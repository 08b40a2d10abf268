//! The export side of a folder's pass, as an [`ItemSource`] for the bulk importer: planned items are
//! exported in batches and handed over as creates, or as updates of their known copies. The importer
//! keeps every guarantee of `importItems` (a bounded window, each item settled once, reported as it
//! settles); exported base64 goes into the import body untouched. With the caller's item store, a
//! create is recorded `outcomeUnknown` before the importer has it (it posts what it pulls at once).

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use crate::config::ClientConfig;
use crate::error::{ErrorCode, MailboxError};
use crate::flows::bulk::{ItemSource, NextItem, Pulled};
use crate::flows::copy::{export_failure, BatchExporter};
use crate::flows::copy_folders::plan::Planned;
use crate::flows::copy_folders::state::CopiedItem;
use crate::flows::copy_folders::store::ItemStore;
use crate::transport::Effects;
use crate::wire::import_host::{ImportItem, ItemData, Mode};
use crate::wire::pages::ExportedItem;

/// A folder's planned items as a source for the bulk importer, exported batch by batch as it pulls them.
pub struct PlannedSource<'a, E: Effects> {
    /// The folder of the target mailbox every item is imported into.
    pub target_folder: &'a str,
    /// The pass's plan for the folder, in order; item `i` of it is the importer's item `i`.
    pub planned: &'a [Planned],
    next: usize,
    ready: VecDeque<Pulled>,
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

// By hand: the caller's store is not `Debug`. Items ready to hand over are counted, not printed.
impl<E: Effects> core::fmt::Debug for PlannedSource<'_, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PlannedSource")
            .field("target_folder", &self.target_folder)
            .field("planned", &self.planned.len())
            .field("next", &self.next)
            .field("ready", &self.ready.len())
            .field("exporter", &self.exporter)
            .field("write_ahead", &self.write_ahead.is_some())
            .field("announced", &self.announced)
            .finish_non_exhaustive()
    }
}

impl<'a, E: Effects> PlannedSource<'a, E> {
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
            ready: VecDeque::new(),
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
        match self.exporter.export(&ids).await {
            // export_items answers in input order, one per id.
            Ok(exported) => {
                for (offset, item) in exported.into_iter().enumerate() {
                    if item.change_key.is_some() {
                        self.exported_keys.borrow_mut()[start + offset] = item.change_key.clone();
                    }
                    let pulled = self.to_import(&self.planned[start + offset], item);
                    self.ready.push_back(pulled);
                }
            }
            Err(error) => {
                for planned in &self.planned[start..end] {
                    self.ready.push_back(Pulled::Invalid(
                        error.clone(),
                        Some(planned.source_id.clone()),
                    ));
                }
            }
        }
    }

    async fn pull(&mut self) -> Pulled {
        if self.ready.is_empty() {
            if self.next >= self.planned.len() {
                return Pulled::End;
            }
            self.export_next_batch().await;
        }
        let position = self.next - self.ready.len();
        let pulled = self.ready.pop_front().unwrap_or(Pulled::End);
        if let (Some(store), Pulled::Item(_, Some(id))) = (self.write_ahead, &pulled) {
            if self.planned[position].write_ahead {
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

impl<E: Effects> ItemSource for PlannedSource<'_, E> {
    fn next(&mut self) -> NextItem<'_> {
        Box::pin(self.pull())
    }
}
