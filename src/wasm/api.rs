//! The JavaScript surface: exported functions and the `MailboxClient` class, with their TypeScript
//! declarations. Every export returns a promise and never throws: bad input rejects with `invalidArgument`.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::convert::{
    exported_array, get, imported_object, json_values, mailboxes_object, read_item, rejection,
    report_object, session_object, to_js_error,
};
use super::effects::JsEffects;
use super::options::JsBulkOptions;
use super::options::{read_app_options, read_bulk_options, read_options, TokenSource};
use super::source::{JsItems, JsObserver};
use crate::config::ClientConfig;
use crate::error::MailboxError;
use crate::flows::bulk::{import_items, BulkOptions, Report, Stopped};
use crate::flows::client::{self, Failure};
use crate::flows::copy::{copy_items, CopyJob};
use crate::flows::entra::{AppCredentials, AppTokenCache};
use crate::flows::importer::{import_item, SessionStore};
use crate::flows::reader::{export_items, list_folders, list_items, resolve_mailbox};

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &str = r#"
/** Graph's `mailboxItemImportSession`: a plain, JSON-able object. */
export interface MailboxItemImportSession {
  /** Pre-authenticated upload URL; its `authtoken` query parameter is a credential: never log it. */
  importUrl: string;
  /** When the importUrl stops working, as Graph wrote it (ISO 8601, UTC). */
  expirationDateTime: string;
}

/** Called before each Graph request; after a 401 it is called once more with `forceRefresh: true`. */
export type TokenProvider = (request: { scopes: string[]; forceRefresh: boolean }) => string | Promise<string>;

export interface ClientOptions {
  /** An access token for Microsoft Graph (as MSAL returns it, without "Bearer "), or a function that gets one. */
  token: string | TokenProvider;
  /** Default "v1.0". */
  apiVersion?: "v1.0" | "beta";
  /** Default "https://graph.microsoft.com". `http:` only for localhost, 127.0.0.0/8 and [::1]. */
  graphBaseUrl?: string;
  /** Hosts an importUrl may point to, "host" (default port only) or "host:port".
   *  Default ["outlook.office365.com", "outlook.office.com"]. */
  trustedImportHosts?: string[];
  /** Per attempt, including reading the body. Default 30000. */
  timeoutMs?: number;
  /** Retries for 429/503/504 and for network failures of safe requests, 0 to 10. Default 3. */
  maxRetries?: number;
  /** First backoff when no Retry-After is seen, doubling with jitter. Default 1000. */
  retryBaseDelayMs?: number;
  /** Cap on any single wait, default 60000. A longer Retry-After is not waited out: the call fails with
   *  `throttled` and `retryAfterMs`, for the caller to schedule. */
  maxRetryDelayMs?: number;
  /** Scopes passed to the token provider. Default ["https://graph.microsoft.com/MailboxItem.ImportExport"]
   *  (the resource follows graphBaseUrl for national clouds). */
  scopes?: string[];
  /** Import sessions are renewed this long before their expirationDateTime. Default 300000 (5 minutes). */
  renewBeforeMs?: number;
  /** Import posts in flight at once per target mailbox, across all calls of a MailboxClient, 1 to 16.
   *  Default 4, Exchange's per-mailbox limit: a fifth concurrent request is refused with 429. */
  mailboxConcurrency?: number;
  /** Cancels everything, waits between retries included; the call rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export type MailboxErrorCode =
  | "invalidArgument" | "unauthorized" | "forbidden" | "notFound" | "throttled" | "serviceUnavailable"
  | "graphError" | "network" | "timeout" | "outcomeUnknown" | "sessionExpired" | "untrustedImportUrl"
  | "invalidResponse" | "tokenProviderFailed"
  /** Only in a bulk report: the run was aborted before this item was sent; it was not imported. */
  | "aborted";

/** Every failure rejects with an `Error` named "MailboxError". Its message never holds a token or an importUrl. */
export interface MailboxError extends Error {
  name: "MailboxError";
  code: MailboxErrorCode;
  /** HTTP status of the last answer, when there was one. */
  status?: number;
  /** The most specific code in Graph's error body. */
  graphCode?: string;
  /** Graph's request-id, for Microsoft support. */
  requestId?: string;
  /** The client-request-id sent on the last attempt. */
  clientRequestId?: string;
  /** How long the service asked to wait, when it said. */
  retryAfterMs?: number;
  /** HTTP attempts made (0 when the call failed before sending anything). */
  attempts: number;
  /** For `tokenProviderFailed`: what the provider threw. */
  cause?: unknown;
}

/** Creates an import session for one mailbox. Never throws synchronously: every failure is a rejected promise. */
export function createImportSession(mailboxId: string, options: ClientOptions): Promise<MailboxItemImportSession>;

/** One item to import: its FastTransfer stream as bytes, or as base64 text (as exportItems returns it),
 *  which is sent as it is, never decoded and re-encoded. */
export interface ImportItem {
  folderId: string;
  data: Uint8Array | ArrayBuffer | ArrayBufferView | string;
  /** Default "create". */
  mode?: "create" | "update";
  /** Required with "update", refused with "create". */
  itemId?: string;
  /** Required with "update", refused with "create". */
  changeKey?: string;
}

export interface ImportedItem { itemId: string; changeKey: string }

export interface BulkOptions {
  /** Posts in flight at once, 1 to 16. Default 4, Exchange's per-mailbox limit. */
  concurrency?: number;
  /** Stops taking items; posts under way settle and are reported; then the call rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Called once per item as it settles, in settling order. Throwing stops the run (it rejects with what was thrown). */
  onResult?: (result: ItemResult) => void;
  /** Called after each settled item. Throwing stops the run. */
  onProgress?: (progress: Progress) => void;
  /** Keep one result per item for the report. Default true; set false for huge runs and use onResult. */
  keepResults?: boolean;
}

export interface Progress {
  /** Known when the items are an array. */
  total?: number;
  settled: number;
  imported: number;
  failed: number;
  outcomeUnknown: number;
  /** base64 bytes of the items imported so far. */
  bytes: number;
}

export interface ItemResult {
  /** Position of the item in the input, from 0. */
  index: number;
  /** "outcomeUnknown": sent, but no answer came back; it may exist. It is never sent again automatically. */
  status: "imported" | "failed" | "outcomeUnknown";
  itemId?: string;
  changeKey?: string;
  sourceItemId?: string;
  error?: MailboxError;
}

/** A user's mailboxes, from Graph's `/users/{user}/settings/exchange`. */
export interface UserMailboxes {
  primaryMailboxId: string;
  /** Present when the user has an in-place archive. */
  inPlaceArchiveMailboxId?: string;
}

/** Graph's `mailboxFolder`, as Graph sent it (camelCase); the fields below are the documented ones. */
export interface MailboxFolder {
  id: string;
  displayName?: string;
  parentFolderId?: string;
  childFolderCount?: number;
  totalItemCount?: number;
  /** e.g. "IPF.Note". */
  type?: string;
  /** e.g. "inbox", on well-known folders. */
  wellKnownName?: string;
  /** beta only. */
  parentMailboxUrl?: string;
  [property: string]: unknown;
}

/** Graph's `mailboxItem`, as Graph sent it (camelCase); the fields below are the documented ones. */
export interface MailboxItem {
  id: string;
  changeKey?: string;
  /** e.g. "IPM.Note". */
  type?: string;
  size?: number;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  categories?: string[];
  [property: string]: unknown;
}

/** One item of an export: its FastTransfer stream as base64 in `data`, or Graph's reason in `error`. */
export interface ExportedItem {
  itemId: string;
  changeKey?: string;
  /** base64, ready to pass as `ImportItem.data` unchanged. */
  data?: string;
  /** Graph's per-item error (read from `error` or `Error`, whichever Graph sent). */
  error?: { code: string; message: string };
}

export interface ImportReport {
  imported: number;
  failed: number;
  outcomeUnknown: number;
  /** One per item, in input order (empty when keepResults is false). */
  results: ItemResult[];
}

/** Holds options and one import session per target mailbox, shared by all its calls. The constructor never
 *  throws: bad options reject every call with `invalidArgument`. */
export class MailboxClient {
  constructor(options: ClientOptions);
  /** A new import session, not shared with the client's imports. */
  createImportSession(mailboxId: string): Promise<MailboxItemImportSession>;
  /** Posts one item through the mailbox's session (created, renewed and switched as needed). */
  importItem(mailboxId: string, item: ImportItem): Promise<ImportedItem>;
  /** Imports every item, pulled lazily, at most `concurrency` at a time; settles each exactly once. */
  importItems(
    mailboxId: string,
    items: Iterable<ImportItem> | AsyncIterable<ImportItem>,
    options?: BulkOptions,
  ): Promise<ImportReport>;
  /** The user's primary (and archive) mailbox ids, by user id or UPN. Needs User.Read.All. */
  resolveMailbox(user: string): Promise<UserMailboxes>;
  /** Top-level folders, or the children of `parentFolderId`; every page, hidden folders only when asked. */
  listFolders(mailboxId: string, options?: { parentFolderId?: string; includeHidden?: boolean }): Promise<MailboxFolder[]>;
  /** Every item of a folder, all pages. Well-known names such as "inbox" work for primary mailboxes only. */
  listItems(mailboxId: string, folderId: string): Promise<MailboxItem[]>;
  /** Exports items in calls of at most 20 ids, 4 at a time; one result per id, in input order. Items whose
   *  folder moved to the archive are fetched from there. */
  exportItems(mailboxId: string, itemIds: string[]): Promise<ExportedItem[]>;
  /** Copies items from one mailbox into a folder of another: exports stream into imports, memory stays
   *  bounded, every source item settles exactly once and its result carries `sourceItemId`. */
  copyItems(
    source: { mailboxId: string; itemIds: string[] },
    target: { mailboxId: string; folderId: string },
    options?: BulkOptions,
  ): Promise<ImportReport>;
  /** Releases the client's wasm memory now rather than at garbage collection. */
  free(): void;
}

/** Options of {@link clientCredentials}: an app registration's client secret, for servers and Workers only. */
export interface ClientCredentialsOptions {
  /** The tenant's id or a verified domain, e.g. "contoso.onmicrosoft.com". */
  tenantId: string;
  /** The application (client) id. */
  clientId: string;
  /** A client secret of the application. Never ship it to a browser. */
  clientSecret: string;
  /** Default "https://login.microsoftonline.com" (national clouds have their own); `http:` only for loopback.
   *  The token URL is `${authorityHost}/${tenantId}/oauth2/v2.0/token`. */
  authorityHost?: string;
  /** Default "https://graph.microsoft.com/.default": the application permissions granted to the app. */
  scope?: string;
  /** A cached token is replaced this long before it expires (at most half its lifetime). Default 300000. */
  renewBeforeMs?: number;
  /** Per attempt at the token endpoint. Default 30000. */
  timeoutMs?: number;
}

/** A token provider for app-only access (the client credentials grant): pass it as `token`. It keeps one
 *  token until shortly before it expires, and concurrent callers share one request for a new one; with
 *  `forceRefresh` (after a 401) it gets a new one. It rejects with a MailboxError (`unauthorized` when Entra
 *  refuses the credentials, `invalidArgument` for bad options); messages never hold the secret. */
export function clientCredentials(options: ClientCredentialsOptions): TokenProvider;

/** Whether `value` is an error from this package. */
export function isMailboxError(value: unknown): value is MailboxError;
"#;

/// A mailbox id from JavaScript: a string of valid Unicode (a lone surrogate would silently become U+FFFD).
pub(super) fn read_mailbox_id(value: &JsValue) -> Result<alloc::string::String, MailboxError> {
    value
        .as_string()
        .filter(|_| js_sys::JsString::from(value.clone()).is_valid_utf16())
        .ok_or_else(|| {
            MailboxError::invalid_argument("mailboxId must be a string of valid Unicode text")
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
            let force_refresh = get(&request, "forceRefresh").is_some_and(|f| f.is_truthy());
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
    value.is_object()
        && Reflect::get(&value, &JsValue::from_str("name"))
            .ok()
            .and_then(|n| n.as_string())
            .as_deref()
            == Some("MailboxError")
        && Reflect::get(&value, &JsValue::from_str("code")).is_ok_and(|c| c.is_string())
}

/// An array of strings from JavaScript (item ids), each of valid Unicode.
fn read_string_array(
    value: &JsValue,
    name: &str,
) -> Result<Vec<alloc::string::String>, MailboxError> {
    let wrong = || MailboxError::invalid_argument([name, " must be an array of strings"].concat());
    if !Array::is_array(value) {
        return Err(wrong());
    }
    Array::from(value)
        .iter()
        .map(|id| read_mailbox_id(&id).map_err(|_| wrong()))
        .collect()
}

/// A string member of an argument object, named in the error as `what`.
pub(super) fn read_member(
    value: &JsValue,
    key: &str,
    what: &str,
) -> Result<alloc::string::String, MailboxError> {
    get(value, key)
        .filter(|v| v.is_string())
        .ok_or_else(|| MailboxError::invalid_argument([what, " must be a string"].concat()))
        .and_then(|v| read_mailbox_id(&v))
}

pub(super) struct ClientState {
    pub(super) config: ClientConfig,
    pub(super) effects: JsEffects,
    pub(super) sessions: SessionStore,
}

/// `new MailboxClient(options)`.
#[wasm_bindgen(js_name = MailboxClient, skip_typescript)]
pub struct MailboxClient {
    /// Shared with every call under way, so `free()` during a call cannot pull state from under it.
    state: Result<Rc<ClientState>, MailboxError>,
}

#[wasm_bindgen(js_class = MailboxClient)]
impl MailboxClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> MailboxClient {
        let state = prepare(&options).map(|(config, effects)| {
            Rc::new(ClientState {
                config,
                effects,
                sessions: SessionStore::default(),
            })
        });
        MailboxClient { state }
    }

    pub(super) fn state(&self) -> Result<Rc<ClientState>, JsValue> {
        self.state.clone().map_err(reject)
    }

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

    #[wasm_bindgen(js_name = importItem)]
    pub fn import_item(&self, mailbox_id: JsValue, item: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let item = read_item(&item).map_err(reject)?;
            import_item(
                &state.effects,
                &state.config,
                &state.sessions,
                &mailbox_id,
                &item,
            )
            .await
            .map(|imported| imported_object(&imported))
            .map_err(|error| state.effects.reject(error.into()))
        })
    }

    #[wasm_bindgen(js_name = importItems)]
    pub fn import_items(&self, mailbox_id: JsValue, items: JsValue, options: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let bulk = read_bulk_options(&options).map_err(reject)?;
            let stop_signals = state.stop_signals(&bulk);
            let mut source = JsItems::new(&items, stop_signals).map_err(reject)?;
            let total = Array::is_array(&items).then(|| Array::from(&items).length() as u64);
            let mut run = BulkRun::new(&state, bulk, total);
            let outcome = import_items(
                &run.effects,
                &state.config,
                &state.sessions,
                &mailbox_id,
                &mut source,
                &mut run.observer,
                &run.options,
            )
            .await;
            run.finish(&state, outcome, source.thrown)
        })
    }

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

    #[wasm_bindgen(js_name = copyItems)]
    pub fn copy_items(&self, source: JsValue, target: JsValue, options: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let source_mailbox =
                read_member(&source, "mailboxId", "source.mailboxId").map_err(reject)?;
            let item_ids = read_string_array(
                &get(&source, "itemIds").unwrap_or(JsValue::UNDEFINED),
                "source.itemIds",
            )
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
                &run.effects,
                &state.config,
                &state.sessions,
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
    if !options.is_object() {
        return Err(MailboxError::invalid_argument("options must be an object"));
    }
    let parent = match get(options, "parentFolderId") {
        None => None,
        Some(_) => Some(read_member(
            options,
            "parentFolderId",
            "options.parentFolderId",
        )?),
    };
    let include_hidden = match get(options, "includeHidden") {
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
    fn new(state: &ClientState, bulk: JsBulkOptions, total: Option<u64>) -> BulkRun {
        BulkRun {
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
