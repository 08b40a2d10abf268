//! The JavaScript surface of folder trees and copies of folders: `createFolder`, `listFolderTree`,
//! `listItemChanges` and `copyFolders` on `MailboxClient` (a second `impl` block of the class), with
//! their TypeScript declarations in pkg/index.d.ts. Arguments are read here; everything they mean is in
//! the core.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::future::{ready, Future};
use core::pin::Pin;

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::api::MailboxClient;
use super::arguments::{read_folder_id, read_mailbox_id, read_member, read_optional_member};
use super::convert::{json_values, rejection, report_object, set, to_js_error};
use super::options::{
    field, flag_field, function_field, options_argument, own_str, read_bulk_options, string_field,
};
use super::promise::{promise, reject};
use super::source::JsObserver;
use crate::codec::json::{self, Value};
use crate::error::MailboxError;
use crate::flows::bulk::{BulkOptions, ItemResult, Observer, Progress};
use crate::flows::client::Failure;
use crate::flows::copy_folders::run::{
    copy_folders, CopyFoldersJob, CopyFoldersReport, CopyObserver, CopyStopped, FolderEvent,
};
use crate::flows::copy_folders::state::{CopiedItem, CopyState};
use crate::flows::copy_folders::store::{ItemStore, StoreFailed, StoreFuture};
use crate::flows::delta::list_item_changes;
use crate::flows::folder_tree::{create_folder, list_folder_tree, NewFolder};
use crate::flows::Client;

/// Graph's JSON as a JavaScript value (one `JSON.parse`, as `json_values` does for arrays).
fn json_object(value: &Value) -> JsValue {
    let mut text = String::new();
    json::write_value(&mut text, value);
    js_sys::JSON::parse(&text).unwrap_or(JsValue::UNDEFINED)
}

/// An options argument: absent, or an object.
fn options_object(options: &JsValue) -> Result<JsValue, MailboxError> {
    // Arrays are read as objects here, as these calls always have.
    Ok(options_argument(options, JsValue::is_object)?
        .cloned()
        .unwrap_or_else(|| Object::new().into()))
}

#[wasm_bindgen(js_class = MailboxClient)]
impl MailboxClient {
    /// `createFolder(mailboxId, folder)`: the new folder, or the existing one when the name is taken.
    #[wasm_bindgen(js_name = createFolder)]
    pub fn create_folder(&self, mailbox_id: JsValue, folder: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            if !folder.is_object() {
                return Err(reject(MailboxError::invalid_argument(
                    "folder must be an object { displayName, type?, parentFolderId? }",
                )));
            }
            let display_name =
                read_member(&folder, "displayName", "folder.displayName").map_err(reject)?;
            let folder_type =
                read_optional_member(&folder, "type", "folder.type").map_err(reject)?;
            let parent = read_optional_member(&folder, "parentFolderId", "folder.parentFolderId")
                .map_err(reject)?;
            let new = NewFolder {
                display_name: &display_name,
                folder_type: folder_type.as_deref(),
                parent: parent.as_deref(),
            };
            create_folder(&state.effects, &state.config, &mailbox_id, &new)
                .await
                .map(|created| json_object(created.folder()))
                .map_err(|failure| state.effects.reject(failure))
        })
    }

    /// `listFolderTree(mailboxId, options?)`: every folder below the root, parents first, each with its path.
    #[wasm_bindgen(js_name = listFolderTree)]
    pub fn list_folder_tree(&self, mailbox_id: JsValue, options: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let options = options_object(&options).map_err(reject)?;
            let root = string_field(&options, "rootFolderId").map_err(reject)?;
            let include_hidden = flag_field(&options, "includeHidden")
                .map_err(reject)?
                .unwrap_or(false);
            let nodes = list_folder_tree(
                &state.effects,
                &state.config,
                &mailbox_id,
                root.as_deref(),
                include_hidden,
            )
            .await
            .map_err(|failure| state.effects.reject(failure))?;
            let values: Vec<Value> = nodes
                .into_iter()
                .map(|node| {
                    let mut folder = node.folder;
                    if let Value::Object(members) = &mut folder {
                        let path = node.path.into_iter().map(Value::String).collect();
                        members.push(("path".into(), Value::Array(path)));
                    }
                    folder
                })
                .collect();
            Ok(json_values(&values))
        })
    }

    /// `listItemChanges(mailboxId, folderId, options?)`: one items/delta round, and the link to the next.
    #[wasm_bindgen(js_name = listItemChanges)]
    pub fn list_item_changes(
        &self,
        mailbox_id: JsValue,
        folder_id: JsValue,
        options: JsValue,
    ) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let folder_id = read_folder_id(&folder_id).map_err(reject)?;
            let options = options_object(&options).map_err(reject)?;
            let delta_link = string_field(&options, "deltaLink").map_err(reject)?;
            let since = string_field(&options, "receivedSince").map_err(reject)?;
            let changes = list_item_changes(
                &state.effects,
                &state.config,
                &mailbox_id,
                &folder_id,
                delta_link.as_deref(),
                since.as_deref(),
            )
            .await
            .map_err(|failure| state.effects.reject(failure))?;
            let removed = changes.removed.into_iter().map(Value::String).collect();
            let object = Value::Object(alloc::vec![
                ("changed".into(), Value::Array(changes.changed)),
                ("removed".into(), Value::Array(removed)),
                ("deltaLink".into(), Value::String(changes.delta_link)),
            ]);
            Ok(json_object(&object))
        })
    }

    /// `copyFolders(source, target, options?)`: one pass of a folder tree's copy, and the state for the next.
    #[wasm_bindgen(js_name = copyFolders)]
    pub fn copy_folders(&self, source: JsValue, target: JsValue, options: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let args = CopyArgs::read(&source, &target, &options).map_err(reject)?;
            let job = CopyFoldersJob {
                source_mailbox: &args.source_mailbox,
                source_folder: args.source_folder.as_deref(),
                target_mailbox: &args.target_mailbox,
                target_parent: args.target_parent.as_deref(),
                include_subfolders: args.include_subfolders,
                include_hidden: args.include_hidden,
                include_search_folders: args.include_search_folders,
                received_since: args.received_since.as_deref(),
                retry_outcome_unknown: args.retry_outcome_unknown,
                item_store: args.item_store.as_ref().map(|s| s as &dyn ItemStore),
            };
            let start = job.prepare(args.state).map_err(reject)?;
            let bulk = args.bulk;
            let effects = state.effects.for_run(bulk.signal.clone());
            let mut observer = JsCopyObserver {
                items: JsObserver {
                    on_result: bulk.on_result,
                    on_progress: bulk.on_progress,
                    thrown: None,
                },
                on_folder: args.on_folder,
                on_state: args.on_state,
                folder_thrown: None,
                state_thrown: None,
            };
            let options = BulkOptions {
                concurrency: bulk.concurrency,
                total: None,
                keep_results: bulk.keep_results,
            };
            let outcome = copy_folders(
                Client {
                    effects: &effects,
                    config: &state.config,
                    sessions: &state.sessions,
                },
                job,
                start,
                &mut observer,
                &options,
            )
            .await;
            let why = match outcome {
                Ok(report) => return Ok(copy_report_object(&report)),
                Err((why, _)) => why,
            };
            let thrown = |value: Option<JsValue>| value.unwrap_or(JsValue::UNDEFINED);
            Err(match why {
                CopyStopped::Aborted => rejection(
                    Failure::Aborted,
                    &[bulk.signal.as_ref(), state.effects.signal.as_ref()],
                    None,
                ),
                CopyStopped::ObserverFailed => {
                    thrown(observer.items.thrown.or(observer.folder_thrown))
                }
                CopyStopped::StateFailed => thrown(observer.state_thrown),
                CopyStopped::StoreFailed => thrown(
                    args.item_store
                        .as_ref()
                        .and_then(|s| s.thrown.borrow_mut().take()),
                ),
                CopyStopped::Failed(error) => effects.reject(Failure::Error(error)),
            })
        })
    }
}

/// copyFolders' arguments, read and typed.
struct CopyArgs {
    source_mailbox: String,
    source_folder: Option<String>,
    target_mailbox: String,
    target_parent: Option<String>,
    include_subfolders: bool,
    include_hidden: bool,
    include_search_folders: bool,
    received_since: Option<String>,
    retry_outcome_unknown: bool,
    state: Option<CopyState>,
    on_state: Option<Function>,
    on_folder: Option<Function>,
    item_store: Option<JsItemStore>,
    bulk: super::options::JsBulkOptions,
}

impl CopyArgs {
    fn read(source: &JsValue, target: &JsValue, options: &JsValue) -> Result<Self, MailboxError> {
        if !source.is_object() || !target.is_object() {
            return Err(MailboxError::invalid_argument(
                "source and target must be objects: { mailboxId, folderId? } and { mailboxId, parentFolderId? }",
            ));
        }
        let options = options_object(options)?;
        let bulk = read_bulk_options(&options)?;
        // Each member is read whatever came before, and the first error given at the end: an early return
        // per member dropped everything read before it, a kilobyte of wasm.
        let mut first = FirstError(None);
        let state = first.keep(read_state(&options));
        let args = Self {
            source_mailbox: first.keep(read_member(source, "mailboxId", "source.mailboxId")),
            source_folder: first.keep(read_optional_member(source, "folderId", "source.folderId")),
            target_mailbox: first.keep(read_member(target, "mailboxId", "target.mailboxId")),
            target_parent: first.keep(read_optional_member(
                target,
                "parentFolderId",
                "target.parentFolderId",
            )),
            include_subfolders: first
                .keep(flag_field(&options, "includeSubfolders"))
                .unwrap_or(true),
            include_hidden: first
                .keep(flag_field(&options, "includeHidden"))
                .unwrap_or(false),
            include_search_folders: first
                .keep(flag_field(&options, "includeSearchFolders"))
                .unwrap_or(false),
            received_since: first.keep(string_field(&options, "receivedSince")),
            retry_outcome_unknown: first
                .keep(flag_field(&options, "retryOutcomeUnknown"))
                .unwrap_or(false),
            state,
            on_state: first.keep(function_field(&options, "onState")),
            on_folder: first.keep(function_field(&options, "onFolder")),
            item_store: first.keep(
                field(&options, "itemStore")
                    .and_then(|s| s.map(|s| JsItemStore::read(&s)).transpose()),
            ),
            bulk,
        };
        first.or(args)
    }
}

/// `options.state`: a state copyFolders gave, as its JSON text or as the object that text parses to.
fn read_state(options: &JsValue) -> Result<Option<CopyState>, MailboxError> {
    let Some(value) = field(options, "state")? else {
        return Ok(None);
    };
    let text = value
        .as_string()
        .or_else(|| js_sys::JSON::stringify(&value).ok()?.as_string())
        .ok_or_else(|| {
            MailboxError::invalid_argument(
                "options.state must be a state copyFolders gave (JSON-able)",
            )
        })?;
    CopyState::from_json(&text).map(Some)
}

/// The first of several errors.
struct FirstError(Option<MailboxError>);

impl FirstError {
    /// What was read, or (keeping the first error) a placeholder for it.
    fn keep<T: Default>(&mut self, read: Result<T, MailboxError>) -> T {
        read.unwrap_or_else(|error| {
            self.0.get_or_insert(error);
            T::default()
        })
    }

    /// `value`, unless an error was kept.
    fn or<T>(self, value: T) -> Result<T, MailboxError> {
        match self.0 {
            None => Ok(value),
            Some(error) => Err(error),
        }
    }
}

/// `onResult`/`onProgress` as for importItems, plus `onFolder` and `onState`.
struct JsCopyObserver {
    items: JsObserver,
    on_folder: Option<Function>,
    on_state: Option<Function>,
    folder_thrown: Option<JsValue>,
    state_thrown: Option<JsValue>,
}

impl Observer for JsCopyObserver {
    fn settled(&mut self, result: &ItemResult, progress: &Progress) -> bool {
        self.items.settled(result, progress)
    }
}

impl CopyObserver for JsCopyObserver {
    fn folder(&mut self, event: &FolderEvent<'_>) -> bool {
        let Some(on_folder) = &self.on_folder else {
            return true;
        };
        let object = Object::new();
        set(
            &object,
            "sourceFolderId",
            &JsValue::from_str(event.source_folder_id),
        );
        let path: Array = event.path.iter().map(|n| JsValue::from_str(n)).collect();
        set(&object, "path", &path);
        if let Some(id) = event.target_folder_id {
            set(&object, "targetFolderId", &JsValue::from_str(id));
        }
        set(&object, "action", &JsValue::from_str(event.action.as_str()));
        if let Some(error) = event.error {
            set(&object, "error", &to_js_error(error, None));
        }
        match on_folder.call1(&JsValue::UNDEFINED, &object) {
            Ok(_) => true,
            Err(thrown) => {
                self.folder_thrown.get_or_insert(thrown);
                false
            }
        }
    }

    fn state(&mut self, state_json: String) -> Pin<Box<dyn Future<Output = bool> + '_>> {
        Box::pin(async move {
            let Some(on_state) = &self.on_state else {
                return true;
            };
            let state = js_sys::JSON::parse(&state_json).unwrap_or(JsValue::UNDEFINED);
            let outcome = match on_state.call1(&JsValue::UNDEFINED, &state) {
                Ok(returned) => JsFuture::from(Promise::resolve(&returned)).await,
                Err(thrown) => Err(thrown),
            };
            match outcome {
                Ok(_) => true,
                Err(thrown) => {
                    self.state_thrown.get_or_insert(thrown);
                    false
                }
            }
        })
    }
}

/// The caller's `{ get, set }` store. Its methods are called on the store itself, so a `Map` works.
struct JsItemStore {
    store: JsValue,
    get: Function,
    set: Function,
    /// What the store threw first, for the run to reject with.
    thrown: Rc<RefCell<Option<JsValue>>>,
}

impl JsItemStore {
    fn read(store: &JsValue) -> Result<Self, MailboxError> {
        let method = |name: &str| {
            js_sys::Reflect::get(store, &JsValue::from_str(name))
                .ok()
                .filter(JsValue::is_function)
                .map(JsCast::unchecked_into::<Function>)
        };
        match (store.is_object(), method("get"), method("set")) {
            (true, Some(get), Some(set)) => Ok(Self {
                store: store.clone(),
                get,
                set,
                thrown: Rc::default(),
            }),
            _ => Err(MailboxError::invalid_argument(
                "options.itemStore must have get(sourceItemId) and set(sourceItemId, item) methods (a Map works)",
            )),
        }
    }

    fn failed(&self, thrown: JsValue) -> StoreFailed {
        self.thrown.borrow_mut().get_or_insert(thrown);
        StoreFailed
    }
}

fn copied_object(item: Option<&CopiedItem>) -> JsValue {
    let object = Object::new();
    let Some(item) = item else {
        // No copy was made (a create recorded ahead failed): the store may drop the entry.
        set(&object, "status", &JsValue::from_str("failed"));
        return object.into();
    };
    match item {
        CopiedItem::OutcomeUnknown => set(&object, "status", &JsValue::from_str("outcomeUnknown")),
        CopiedItem::Imported {
            item_id,
            change_key,
            source_change_key,
        } => {
            set(&object, "status", &JsValue::from_str("imported"));
            set(&object, "itemId", &JsValue::from_str(item_id));
            set(&object, "changeKey", &JsValue::from_str(change_key));
            if let Some(key) = source_change_key {
                set(&object, "sourceChangeKey", &JsValue::from_str(key));
            }
        }
    }
    object.into()
}

fn read_copied(value: &JsValue) -> Option<Option<CopiedItem>> {
    if value.is_undefined() || value.is_null() {
        return Some(None);
    }
    // A getter that throws makes the record unreadable, as a missing member does.
    let text = |key: &str| {
        own_str(value, key)
            .ok()
            .flatten()
            .and_then(|v| v.as_string())
    };
    match text("status").as_deref() {
        Some("outcomeUnknown") => Some(Some(CopiedItem::OutcomeUnknown)),
        Some("failed") => Some(None),
        Some("imported") => Some(Some(CopiedItem::Imported {
            item_id: text("itemId")?,
            change_key: text("changeKey")?,
            source_change_key: text("sourceChangeKey"),
        })),
        _ => None,
    }
}

impl ItemStore for JsItemStore {
    fn get<'a>(&'a self, source_id: &'a str) -> StoreFuture<'a, Option<CopiedItem>> {
        Box::pin(async move {
            let returned = self
                .get
                .call1(&self.store, &JsValue::from_str(source_id))
                .map_err(|thrown| self.failed(thrown))?;
            let value = JsFuture::from(Promise::resolve(&returned))
                .await
                .map_err(|thrown| self.failed(thrown))?;
            read_copied(&value).ok_or_else(|| {
                self.failed(reject(MailboxError::invalid_argument(
                    "options.itemStore.get returned something that is not a record copyFolders set",
                )))
            })
        })
    }

    fn set(&self, source_id: &str, item: Option<&CopiedItem>) -> StoreFuture<'static, ()> {
        let returned = self.set.call2(
            &self.store,
            &JsValue::from_str(source_id),
            &copied_object(item),
        );
        match returned {
            Err(thrown) => Box::pin(ready(Err(self.failed(thrown)))),
            Ok(returned) => {
                let thrown = self.thrown.clone();
                let kept = JsFuture::from(Promise::resolve(&returned));
                Box::pin(async move {
                    kept.await.map(|_| ()).map_err(|error| {
                        thrown.borrow_mut().get_or_insert(error);
                        StoreFailed
                    })
                })
            }
        }
    }
}

fn copy_report_object(report: &CopyFoldersReport) -> JsValue {
    let object: Object = report_object(&report.report).unchecked_into();
    let folders = Object::new();
    let number = |n: u64| JsValue::from_f64(n as f64);
    set(&folders, "created", &number(report.folders.created));
    set(&folders, "reused", &number(report.folders.reused));
    set(&folders, "failed", &number(report.folders.failed));
    set(&object, "folders", &folders);
    set(&object, "updated", &number(report.updated));
    set(
        &object,
        "removedInSource",
        &number(report.removed_in_source),
    );
    let state = js_sys::JSON::parse(&report.state.to_json()).unwrap_or(JsValue::UNDEFINED);
    set(&object, "state", &state);
    object.into()
}
