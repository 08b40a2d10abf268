//! The JavaScript surface: exported functions and the `MailboxClient` class (their TypeScript declarations
//! are written by hand in pkg/index.d.ts). Every export returns a promise and never throws: bad input
//! rejects with `invalidArgument`.

use alloc::rc::Rc;
use alloc::string::String;

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::arguments::{
    read_folder_id, read_mailbox_id, read_member, read_string_array, read_user,
};
use super::bulk_run::BulkRun;
use super::convert::{
    exported_array, imported_object, mailboxes_object, rejection, session_object, JsListing,
};
use super::effects::JsEffects;
use super::options::{
    array_length, is_array, own_str, read_app_options, read_bulk_options, read_folder_options,
    read_options, TokenSource,
};
use super::promise::{promise, reject};
use super::source::{read_item, JsItems};
use crate::config::ClientConfig;
use crate::error::MailboxError;
use crate::flows::bulk::import_items;
use crate::flows::client::{self, Failure};
use crate::flows::copy::{copy_items, CopyJob};
use crate::flows::entra::{AppCredentials, AppTokenCache};
use crate::flows::importer::{import_item, SessionStore};
use crate::flows::reader::{export_items, list_pages, resolve_mailbox};
use crate::flows::Client;
use crate::wire::pages::{prepare_list_folders, prepare_list_items};

/// Options read and validated, with effects bound to them.
fn prepare(options: &JsValue) -> Result<(ClientConfig, JsEffects), MailboxError> {
    let options = read_options(options)?;
    let config = ClientConfig::from_raw(options.raw)?;
    Ok((config, JsEffects::new(options.token, options.signal)))
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
                effects: JsEffects::new(TokenSource::Fixed(String::new()), None),
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

/// What a `MailboxClient` holds: its options, effects and import sessions.
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
            let total = is_array(&items)
                .then(|| array_length(&items, u32::MAX).ok())
                .flatten()
                .map(u64::from);
            let mut run = BulkRun::new(&state, bulk, total);
            let mut source = JsItems::new(&items, run.stop_signals(&state)).map_err(reject)?;
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
            let user = read_user(&user).map_err(reject)?;
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
            let mut listing = JsListing::default();
            let first = prepare_list_folders(
                &state.config,
                &mailbox_id,
                parent.as_deref(),
                include_hidden,
            )
            .map_err(reject)?;
            let listed = list_pages(&state.effects, &state.config, first, &mut |page| {
                listing.push(page)
            })
            .await;
            state.listing_or_reject(listed, listing)
        })
    }

    /// `listItems(mailboxId, folderId)`: the folder's items, every page.
    #[wasm_bindgen(js_name = listItems)]
    pub fn list_items(&self, mailbox_id: JsValue, folder_id: JsValue) -> Promise {
        let state = self.state();
        promise(async move {
            let state = state?;
            let mailbox_id = read_mailbox_id(&mailbox_id).map_err(reject)?;
            let folder_id = read_folder_id(&folder_id).map_err(reject)?;
            let mut listing = JsListing::default();
            let first =
                prepare_list_items(&state.config, &mailbox_id, &folder_id).map_err(reject)?;
            let listed = list_pages(&state.effects, &state.config, first, &mut |page| {
                listing.push(page)
            })
            .await;
            state.listing_or_reject(listed, listing)
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
                .map(exported_array)
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

impl ClientState {
    /// A listing gathered page by page, or what the call rejects with.
    fn listing_or_reject(
        &self,
        listed: Result<(), Failure>,
        listing: JsListing,
    ) -> Result<JsValue, JsValue> {
        listed
            .map(|()| listing.into_array())
            .map_err(|failure| self.effects.reject(failure))
    }
}
