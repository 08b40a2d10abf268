//! The JavaScript surface: exported functions and the `MailboxClient` class (their TypeScript declarations
//! are written by hand in pkg/index.d.ts). Every export returns a promise and never throws: bad input
//! rejects with `invalidArgument`.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::convert::{
    exported_array, imported_object, json_values, mailboxes_object, rejection, report_object,
    session_object, to_js_error,
};
use super::effects::JsEffects;
use super::options::{
    array_length, is_array, own_str, read_app_options, read_bulk_options, read_options, text,
    JsBulkOptions, ListProblem, TokenSource,
};
use super::source::{read_item, JsItems, JsObserver};
use crate::config::ClientConfig;
use crate::error::MailboxError;
use crate::flows::bulk::{import_items, BulkOptions, Report, Stopped};
use crate::flows::client::{self, Failure};
use crate::flows::copy::{copy_items, CopyJob};
use crate::flows::entra::{AppCredentials, AppTokenCache};
use crate::flows::importer::{import_item, SessionStore};
use crate::flows::reader::{export_items, list_folders, list_items, resolve_mailbox};
use crate::flows::Client;

/// A mailbox id from JavaScript: a string of valid Unicode (a lone surrogate would silently become U+FFFD).
pub(super) fn read_mailbox_id(value: &JsValue) -> Result<alloc::string::String, MailboxError> {
    text(value).ok_or_else(|| {
        MailboxError::invalid_argument(
            "mailboxId must be a string of valid Unicode text, at most 65536 characters",
        )
    })
}

/// Options read and validated, with effects bound to them.
fn prepare(options: &JsValue) -> Result<(ClientConfig, JsEffects), MailboxError> {
    let options = read_options(options)?;
    let config = ClientConfig::from_raw(options.raw)?;
    Ok((config, JsEffects::new(options.token, options.signal)))
}

/// A promise for `future`. Boxed, so wasm-bindgen-futures' task and promise machinery is compiled once
/// rather than once per export (each copy inlined the export's whole body): kilobytes of wasm.
pub(super) fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    future_to_promise_boxed(Box::pin(future))
}

fn future_to_promise_boxed(
    future: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>,
) -> Promise {
    future_to_promise(future)
}

pub(super) fn reject(error: MailboxError) -> JsValue {
    to_js_error(&error, None)
}

/// `createImportSession(mailboxId, options)`.
#[wasm_bindgen(js_name = createImportSession, skip_typescript)]
pub fn create_import_session(mailbox_id: JsValue, options: JsValue) -> Promise {
    promise(async move {
        let (config, effects) = prepare(&options).map_err(reject)?;
        let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
        client::create_import_session(&effects, &config, &mailbox_id)
            .await
            .map(|session| session_object(&session))
            .map_err(|failure| effects.reject(failure))
    })
}

impl JsEffects {
    /// What a call of this client rejects with.
    pub(super) fn reject(&self, failure: Failure) -> JsValue {
        let cause = self.provider_error.borrow_mut().take();
        rejection(failure, &[self.signal.as_ref()], cause)
    }
}

/// `clientCredentials(options)`: a provider function over one shared token cache. Bad options make every
/// call of the provider reject, so this never throws.
#[wasm_bindgen(js_name = clientCredentials, skip_typescript)]
pub fn client_credentials(options: JsValue) -> JsValue {
    struct AppTokens {
        credentials: AppCredentials,
        cache: AppTokenCache,
        effects: JsEffects,
    }
    let tokens = read_app_options(&options)
        .and_then(AppCredentials::from_raw)
        .map(|credentials| {
            Rc::new(AppTokens {
                credentials,
                cache: AppTokenCache::default(),
                effects: JsEffects::new(TokenSource::Fixed(alloc::string::String::new()), None),
            })
        });
    let provider = Closure::<dyn Fn(JsValue) -> Promise>::new(move |request: JsValue| {
        let tokens = tokens.clone();
        promise(async move {
            let tokens = tokens.map_err(reject)?;
            let force_refresh = own_str(&request, "forceRefresh")
                .ok()
                .flatten()
                .is_some_and(|f| f.is_truthy());
            tokens
                .cache
                .token(&tokens.effects, &tokens.credentials, force_refresh)
                .await
                .map(|token| JsValue::from_str(&token))
                .map_err(|failure| rejection(failure, &[], None))
        })
    });
    provider.into_js_value()
}

/// `isMailboxError(value)`.
#[wasm_bindgen(js_name = isMailboxError, skip_typescript)]
pub fn is_mailbox_error(value: JsValue) -> bool {
    // Inherited properties count here (an Error's `name` lives on its prototype); a getter or trap that
    // throws means no.
    value.is_object()
        && Reflect::get(&value, &JsValue::from_str("name"))
            .is_ok_and(|name| name.as_string().as_deref() == Some("MailboxError"))
        && Reflect::get(&value, &JsValue::from_str("code")).is_ok_and(|c| c.is_string())
}

/// Most ids one call takes (a copy's `source.itemIds`, an export's `itemIds`).
const MAX_IDS: u32 = 10_000_000;

/// An array of strings from JavaScript (item ids), each of valid Unicode; own entries only.
fn read_string_array(
    value: &JsValue,
    name: &str,
) -> Result<Vec<alloc::string::String>, MailboxError> {
    let wrong = || {
        MailboxError::invalid_argument(
            [name, " must be an array of strings of valid Unicode text"].concat(),
        )
    };
    let threw =
        || MailboxError::invalid_argument([name, " could not be read: reading it threw"].concat());
    super::options::string_list(value, MAX_IDS).map_err(|problem| match problem {
        ListProblem::Wrong => wrong(),
        ListProblem::Threw => threw(),
    })
}

/// A string member of an argument object (own properties only), named in the error as `what`.
pub(super) fn read_member(
    value: &JsValue,
    key: &str,
    what: &str,
) -> Result<alloc::string::String, MailboxError> {
    let must = || {
        MailboxError::invalid_argument(
            [
                what,
                " must be a string of valid Unicode text, at most 65536 characters",
            ]
            .concat(),
        )
    };
    own_str(value, key)
        .map_err(|_| {
            MailboxError::invalid_argument([what, " could not be read: reading it threw"].concat())
        })?
        .and_then(|v| text(&v))
        .ok_or_else(must)
}

#[derive(Debug)]
pub(super) struct ClientState {
    pub(super) config: ClientConfig,
    pub(super) effects: JsEffects,
    pub(super) sessions: SessionStore,
}

/// `new MailboxClient(options)`.
#[wasm_bindgen(js_name = MailboxClient, skip_typescript)]
#[derive(Debug)]
pub struct MailboxClient {
    /// Shared with every call under way, so `free()` during a call cannot pull state from under it.
    state: Result<Rc<ClientState>, MailboxError>,
}

#[wasm_bindgen(js_class = MailboxClient)]
impl MailboxClient {
    /// Reads and checks `options` once; bad options make every later call reject with the same error rather
    /// than the constructor throw.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Self {
        let state = prepare(&options).map(|(config, effects)| {
            Rc::new(ClientState {
                config,
                effects,
                sessions: SessionStore::default(),
            })
        });
        Self { state }
    }

    pub(super) fn state(&self) -> Result<Rc<ClientState>, JsValue> {
        self.state.clone().map_err(reject)
    }

    /// `createImportSession(mailboxId)`: a new `MailboxItemImportSession`, not one of the client's own.
    #[wasm_bindgen(js_name = createImportSession)]
    pub fn create_import_session(&self, mailbox_id: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            client::create_import_session(&state.effects, &state.config, &mailbox_id)
                .await
                .map(|session| session_object(&session))
                .map_err(|failure| state.effects.reject(failure))
        })
    }

    /// `importItem(mailboxId, item)`: one item through the client's session for the mailbox.
    #[wasm_bindgen(js_name = importItem)]
    pub fn import_item(&self, mailbox_id: JsValue, item: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let item = read_item(&item).map_err(reject)?;
            import_item(
                Client {
                    effects: &state.effects,
                    config: &state.config,
                    sessions: &state.sessions,
                },
                &mailbox_id,
                &item,
            )
            .await
            .map(|imported| imported_object(&imported))
            .map_err(|error| state.effects.reject(error.into()))
        })
    }

    /// `importItems(mailboxId, items, options?)`: every item of an iterable or async iterable, pulled lazily.
    #[wasm_bindgen(js_name = importItems)]
    pub fn import_items(&self, mailbox_id: JsValue, items: JsValue, options: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let bulk = read_bulk_options(&options).map_err(reject)?;
            let stop_signals = state.stop_signals(&bulk);
            let mut source = JsItems::new(&items, stop_signals).map_err(reject)?;
            let total = is_array(&items)
                .then(|| array_length(&items, u32::MAX).ok())
                .flatten()
                .map(u64::from);
            let mut run = BulkRun::new(&state, bulk, total);
            let outcome = import_items(
                Client {
                    effects: &run.effects,
                    config: &state.config,
                    sessions: &state.sessions,
                },
                &mailbox_id,
                &mut source,
                &mut run.observer,
                &run.options,
            )
            .await;
            // Ended before the items did (stopped, aborted, or a callback threw): close the iterator.
            source.close();
            run.finish(&state, outcome, source.thrown.take())
        })
    }

    /// `resolveMailbox(user)`: the user's primary and archive mailbox ids.
    #[wasm_bindgen(js_name = resolveMailbox)]
    pub fn resolve_mailbox(&self, user: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let user = read_mailbox_id(&user).map_err(|_| {
                reject(MailboxError::invalid_argument(
                    "user must be a user id or user principal name (a string)",
                ))
            })?;
            resolve_mailbox(&state.effects, &state.config, &user)
                .await
                .map(|mailboxes| mailboxes_object(&mailboxes))
                .map_err(|failure| state.effects.reject(failure))
        })
    }

    /// `listFolders(mailboxId, options?)`: one level of folders, every page.
    #[wasm_bindgen(js_name = listFolders)]
    pub fn list_folders(&self, mailbox_id: JsValue, options: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let (parent, include_hidden) = read_folder_options(&options).map_err(reject)?;
            let listed = list_folders(
                &state.effects,
                &state.config,
                &mailbox_id,
                parent.as_deref(),
                include_hidden,
            )
            .await;
            state.json_or_reject(listed)
        })
    }

    /// `listItems(mailboxId, folderId)`: the folder's items, every page.
    #[wasm_bindgen(js_name = listItems)]
    pub fn list_items(&self, mailbox_id: JsValue, folder_id: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let folder_id = read_mailbox_id(&folder_id).map_err(|_| {
                reject(MailboxError::invalid_argument(
                    "folderId must be a string of valid Unicode text",
                ))
            })?;
            let listed = list_items(&state.effects, &state.config, &mailbox_id, &folder_id).await;
            state.json_or_reject(listed)
        })
    }

    /// `exportItems(mailboxId, itemIds)`: each item's FastTransfer stream as base64, in the order asked.
    #[wasm_bindgen(js_name = exportItems)]
    pub fn export_items(&self, mailbox_id: JsValue, item_ids: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let ids = read_string_array(&item_ids, "itemIds").map_err(reject)?;
            export_items(&state.effects, &state.config, &mailbox_id, &ids)
                .await
                .map(|items| exported_array(&items))
                .map_err(|failure| state.effects.reject(failure))
        })
    }

    /// `copyItems(source, target, options?)`: items exported from one mailbox into another's folder.
    #[wasm_bindgen(js_name = copyItems)]
    pub fn copy_items(&self, source: JsValue, target: JsValue, options: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let source_mailbox =
                read_member(&source, "mailboxId", "source.mailboxId").map_err(reject)?;
            let item_ids = own_str(&source, "itemIds")
                .map_err(|_| {
                    MailboxError::invalid_argument(
                        "source.itemIds could not be read: reading it threw",
                    )
                })
                .and_then(|ids| {
                    read_string_array(&ids.unwrap_or(JsValue::UNDEFINED), "source.itemIds")
                })
                .map_err(reject)?;
            let target_mailbox =
                read_member(&target, "mailboxId", "target.mailboxId").map_err(reject)?;
            let folder_id = read_member(&target, "folderId", "target.folderId").map_err(reject)?;
            let job = CopyJob {
                source_mailbox: &source_mailbox,
                item_ids: &item_ids,
                target_mailbox: &target_mailbox,
                folder_id: &folder_id,
            };
            job.validate().map_err(reject)?;
            let bulk = read_bulk_options(&options).map_err(reject)?;
            let mut run = BulkRun::new(&state, bulk, Some(item_ids.len() as u64));
            let outcome = copy_items(
                Client {
                    effects: &run.effects,
                    config: &state.config,
                    sessions: &state.sessions,
                },
                &job,
                &mut run.observer,
                &run.options,
            )
            .await;
            run.finish(&state, outcome, None)
        })
    }
}

/// `{ parentFolderId?, includeHidden? }` of listFolders.
fn read_folder_options(
    options: &JsValue,
) -> Result<(Option<alloc::string::String>, bool), MailboxError> {
    if options.is_undefined() || options.is_null() {
        return Ok((None, false));
    }
    if !super::options::is_options_object(options) {
        return Err(MailboxError::invalid_argument("options must be an object"));
    }
    let threw = |name: &str| {
        MailboxError::invalid_argument(
            ["options.", name, " could not be read: reading it threw"].concat(),
        )
    };
    let parent = match own_str(options, "parentFolderId").map_err(|_| threw("parentFolderId"))? {
        None => None,
        Some(_) => Some(read_member(
            options,
            "parentFolderId",
            "options.parentFolderId",
        )?),
    };
    let include_hidden =
        match own_str(options, "includeHidden").map_err(|_| threw("includeHidden"))? {
            None => false,
            Some(flag) => flag.as_bool().ok_or_else(|| {
                MailboxError::invalid_argument("options.includeHidden must be a boolean")
            })?,
        };
    Ok((parent, include_hidden))
}

impl ClientState {
    /// The signals that stop a bulk run: its own and the client's.
    pub(super) fn stop_signals(&self, bulk: &JsBulkOptions) -> Vec<AbortSignal> {
        bulk.signal
            .iter()
            .chain(self.effects.signal.iter())
            .cloned()
            .collect()
    }

    /// A listed collection as an array of Graph's objects, or what the call rejects with.
    fn json_or_reject(
        &self,
        listed: Result<Vec<crate::codec::json::Value>, Failure>,
    ) -> Result<JsValue, JsValue> {
        listed
            .map(|values| json_values(&values))
            .map_err(|failure| self.effects.reject(failure))
    }
}

/// What importItems and copyItems share: the run's effects (which its signal can stop), the caller's
/// callbacks, and how a stopped run rejects.
struct BulkRun {
    effects: JsEffects,
    observer: JsObserver,
    options: BulkOptions,
    signal: Option<AbortSignal>,
}

impl BulkRun {
    fn new(state: &ClientState, bulk: JsBulkOptions, total: Option<u64>) -> Self {
        Self {
            effects: state.effects.for_run(bulk.signal.clone()),
            observer: JsObserver {
                on_result: bulk.on_result,
                on_progress: bulk.on_progress,
                thrown: None,
            },
            options: BulkOptions {
                concurrency: bulk.concurrency,
                total,
                keep_results: bulk.keep_results,
            },
            signal: bulk.signal,
        }
    }

    /// The report, or what the run rejects with: the abort reason, or what the source or a callback threw.
    fn finish(
        self,
        state: &ClientState,
        outcome: Result<Report, (Stopped, Report)>,
        source_thrown: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        match outcome {
            Ok(report) => Ok(report_object(&report)),
            Err((Stopped::Aborted, _)) => Err(rejection(
                Failure::Aborted,
                &[self.signal.as_ref(), state.effects.signal.as_ref()],
                None,
            )),
            Err((Stopped::SourceFailed, _)) => Err(source_thrown.unwrap_or(JsValue::UNDEFINED)),
            Err((Stopped::ObserverFailed, _)) => {
                Err(self.observer.thrown.unwrap_or(JsValue::UNDEFINED))
            }
        }
    }
}
