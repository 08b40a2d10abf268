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

use super::api::{promise, read_mailbox_id, read_member, reject, MailboxClient};
use super::convert::{get, json_values, rejection, report_object, set, to_js_error};
use super::options::read_bulk_options;
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

/// An optional string member, named in errors as `what`.
fn optional_member(value: &JsValue, key: &str, what: &str) -> Result<Option<String>, MailboxError> {
    match get(value, key) {
        None => Ok(None),
        Some(_) => read_member(value, key, what).map(Some),
    }
}

fn optional_flag(value: &JsValue, key: &str, default: bool) -> Result<bool, MailboxError> {
    match get(value, key) {
        None => Ok(default),
        Some(flag) => flag.as_bool().ok_or_else(|| {
            MailboxError::invalid_argument(["options.", key, " must be a boolean"].concat())
        }),
    }
}

fn optional_function(value: &JsValue, key: &str) -> Result<Option<Function>, MailboxError> {
    match get(value, key) {
        None => Ok(None),
        Some(f) if f.is_function() => Ok(Some(f.unchecked_into())),
        Some(_) => Err(MailboxError::invalid_argument(
            ["options.", key, " must be a function"].concat(),
        )),
    }
}

/// An options argument: absent, or an object.
fn options_object(options: &JsValue) -> Result<JsValue, MailboxError> {
    if options.is_undefined() || options.is_null() {
        Ok(Object::new().into())
    } else if options.is_object() {
        Ok(options.clone())
    } else {
        Err(MailboxError::invalid_argument("options must be an object"))
    }
}

#[wasm_bindgen(js_class = MailboxClient)]
impl MailboxClient {
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
            let folder_type = optional_member(&folder, "type", "folder.type").map_err(reject)?;
            let parent = optional_member(&folder, "parentFolderId", "folder.parentFolderId")
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

    #[wasm_bindgen(js_name = listFolderTree)]
    pub fn list_folder_tree(&self, mailbox_id: JsValue, options: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let options = options_object(&options).map_err(reject)?;
            let root = optional_member(&options, "rootFolderId", "options.rootFolderId")
                .map_err(reject)?;
            let include_hidden = optional_flag(&options, "includeHidden", false).map_err(reject)?;
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
            let folder_id = read_mailbox_id(&folder_id).map_err(|_| {
                reject(MailboxError::invalid_argument(
                    "folderId must be a string of valid Unicode text",
                ))
            })?;
            let options = options_object(&options).map_err(reject)?;
            let delta_link =
                optional_member(&options, "deltaLink", "options.deltaLink").map_err(reject)?;
            let since = optional_member(&options, "receivedSince", "options.receivedSince")
                .map_err(reject)?;
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
    fn read(
        source: &JsValue,
        target: &JsValue,
        options: &JsValue,
    ) -> Result<CopyArgs, MailboxError> {
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
        let state = get(&options, "state").map(|value| {
            let text = value
                .as_string()
                .or_else(|| js_sys::JSON::stringify(&value).ok()?.as_string())
                .ok_or_else(|| {
                    MailboxError::invalid_argument(
                        "options.state must be a state copyFolders gave (JSON-able)",
                    )
                });
            text.and_then(|text| CopyState::from_json(&text))
        });
        let state = first.keep(state.transpose());
        let args = CopyArgs {
            source_mailbox: first.keep(read_member(source, "mailboxId", "source.mailboxId")),
            source_folder: first.keep(optional_member(source, "folderId", "source.folderId")),
            target_mailbox: first.keep(read_member(target, "mailboxId", "target.mailboxId")),
            target_parent: first.keep(optional_member(
                target,
                "parentFolderId",
                "target.parentFolderId",
            )),
            include_subfolders: first.keep(optional_flag(&options, "includeSubfolders", true)),
            include_hidden: first.keep(optional_flag(&options, "includeHidden", false)),
            include_search_folders: first.keep(optional_flag(
                &options,
                "includeSearchFolders",
                false,
            )),
            received_since: first.keep(optional_member(
                &options,
                "receivedSince",
                "options.receivedSince",
            )),
            retry_outcome_unknown: first.keep(optional_flag(
                &options,
                "retryOutcomeUnknown",
                false,
            )),
            state,
            on_state: first.keep(optional_function(&options, "onState")),
            on_folder: first.keep(optional_function(&options, "onFolder")),
            item_store: first.keep(
                get(&options, "itemStore")
                    .map(|s| JsItemStore::read(&s))
                    .transpose(),
            ),
            bulk,
        };
        match first.0 {
            None => Ok(args),
            Some(error) => Err(error),
        }
    }
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
    fn read(store: &JsValue) -> Result<JsItemStore, MailboxError> {
        let method = |name: &str| {
            js_sys::Reflect::get(store, &JsValue::from_str(name))
                .ok()
                .filter(JsValue::is_function)
                .map(JsCast::unchecked_into::<Function>)
        };
        match (store.is_object(), method("get"), method("set")) {
            (true, Some(get), Some(set)) => Ok(JsItemStore {
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
    let text = |key: &str| get(value, key).and_then(|v| v.as_string());
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
