//! Reading a mailbox (`graph-api.md` §4) as pure functions: each read prepared as a [`GraphCall`] from
//! checked arguments beside the parser of its answer, Graph's pages of results, and which
//! `@odata.nextLink` may be followed with the token. [`crate::flows::reader`] runs them.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use crate::codec::json::{self, Parts, Value};
use crate::codec::text::find;
use crate::codec::url::percent_encode;
use crate::config::ClientConfig;
use crate::error::{ErrorCode, MailboxError};
use crate::transport::Method;
use crate::wire::protocol::{mailbox_url, validate_id, validate_mailbox_id, GraphCall};

/// Most ids exportItems takes in one call.
pub const EXPORT_BATCH: usize = 20;

/// `GET {root}/{version}/users/{user}/settings/exchange`: the user's primary and archive mailbox ids.
pub fn exchange_settings_url(config: &ClientConfig, user: &str) -> String {
    let mut url = config.versioned_root();
    url.push_str("/users/");
    percent_encode(&mut url, user);
    url.push_str("/settings/exchange");
    url
}

/// Top-level folders, or the children of `parent`; hidden folders only when asked.
pub fn folders_url(
    config: &ClientConfig,
    mailbox: &str,
    parent: Option<&str>,
    include_hidden: bool,
) -> String {
    let mut suffix = String::from("/folders");
    if let Some(parent) = parent {
        suffix.push('/');
        percent_encode(&mut suffix, parent);
        suffix.push_str("/childFolders");
    }
    if include_hidden {
        suffix.push_str("?includeHiddenFolders=true");
    }
    mailbox_url(config, mailbox, &suffix)
}

/// The items of a folder (well-known names such as `inbox` work for primary mailboxes only).
pub fn items_url(config: &ClientConfig, mailbox: &str, folder: &str) -> String {
    let mut suffix = String::from("/folders/");
    percent_encode(&mut suffix, folder);
    suffix.push_str("/items");
    mailbox_url(config, mailbox, &suffix)
}

/// `POST .../exportItems`.
pub fn export_url(config: &ClientConfig, mailbox: &str) -> String {
    mailbox_url(config, mailbox, "/exportItems")
}

/// The first page of `mailbox`'s top-level folders, or of `parent`'s children. Its answer: [`parse_page`].
pub fn prepare_list_folders(
    config: &ClientConfig,
    mailbox: &str,
    parent: Option<&str>,
    include_hidden: bool,
) -> Result<GraphCall, MailboxError> {
    validate_mailbox_id(mailbox)?;
    if let Some(parent) = parent {
        validate_id("options.parentFolderId", parent)?;
    }
    Ok(GraphCall::get(folders_url(
        config,
        mailbox,
        parent,
        include_hidden,
    )))
}

/// The first page of a folder's items. Its answer: [`parse_page`].
pub fn prepare_list_items(
    config: &ClientConfig,
    mailbox: &str,
    folder: &str,
) -> Result<GraphCall, MailboxError> {
    validate_mailbox_id(mailbox)?;
    validate_id("folderId", folder)?;
    Ok(GraphCall::get(items_url(config, mailbox, folder)))
}

/// The next page of a collection, once [`check_next_link`] has admitted the link.
pub fn prepare_next_page(config: &ClientConfig, link: String) -> Result<GraphCall, MailboxError> {
    check_next_link(config, &link)?;
    Ok(GraphCall::get(link))
}

/// A user's mailboxes, from `/users/{user}/settings/exchange`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMailboxes {
    /// `primaryMailboxId`: the user's mailbox, always present.
    pub primary_mailbox_id: String,
    /// `inPlaceArchiveMailboxId`; `None` when the user has no archive (or Graph left it out or empty).
    pub in_place_archive_mailbox_id: Option<String>,
}

/// `resolveMailbox`: the user's Exchange settings. Its answer: [`parse_user_mailboxes`].
pub fn prepare_resolve_mailbox(
    config: &ClientConfig,
    user: &str,
) -> Result<GraphCall, MailboxError> {
    validate_id("user", user)?;
    Ok(GraphCall::get(exchange_settings_url(config, user)))
}

/// The mailbox ids in a user's Exchange settings; the primary one must be there.
pub fn parse_user_mailboxes(body: &str) -> Result<UserMailboxes, MailboxError> {
    let settings = json::parse(body);
    let id = |key| {
        settings
            .as_ref()
            .and_then(|s| s.get_str(key))
            .filter(|id| !id.is_empty())
            .map(String::from)
    };
    let primary_mailbox_id = id("primaryMailboxId").ok_or_else(|| {
        MailboxError::new(
            ErrorCode::InvalidResponse,
            "Graph's Exchange settings for the user lack primaryMailboxId",
        )
    })?;
    Ok(UserMailboxes {
        primary_mailbox_id,
        in_place_archive_mailbox_id: id("inPlaceArchiveMailboxId"),
    })
}

/// Checks what `exportItems` is asked for before any request: the mailbox id, and ids that are non-empty
/// and free of control characters.
pub fn validate_export(mailbox: &str, ids: &[String]) -> Result<(), MailboxError> {
    validate_mailbox_id(mailbox)?;
    if ids
        .iter()
        .any(|id| id.is_empty() || id.chars().any(char::is_control))
    {
        return Err(MailboxError::invalid_argument(
            "itemIds must be non-empty strings without control characters",
        ));
    }
    Ok(())
}

/// One `exportItems` batch (at most [`EXPORT_BATCH`] ids, checked by [`validate_export`]) posted to `url`:
/// the mailbox's [`export_url`], or the URL an archive move names. Safe to send again: it only reads.
/// Its answer: [`parse_export`].
pub fn prepare_export_batch(url: String, ids: &[String]) -> GraphCall {
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    GraphCall {
        method: Method::Post,
        url,
        body: Some(Rc::new(export_body(&refs))),
        safe_to_retry: true,
    }
}

/// One page of a collection: where its `value` array lies in the body (checked JSON, left as Graph wrote
/// it: a listing hands it on without building it) and, when there is more, the link to the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Where the page's `value` array (its brackets included) lies in the body.
    pub values: Range<usize>,
    /// `@odata.nextLink`; `None` on the last page (or a delta page, which ends with a deltaLink instead).
    pub next_link: Option<String>,
}

fn invalid(message: &str) -> MailboxError {
    MailboxError::new(ErrorCode::InvalidResponse, message)
}

/// Reads `{"value": [...], "@odata.nextLink"?: "..."}`. A delta page ends with `@odata.deltaLink`
/// instead, which is not followed.
pub fn parse_page(body: &str) -> Result<Page, MailboxError> {
    let members = match json::parts(body) {
        None => return Err(not_json()),
        Some(Parts::Object(members)) => members,
        Some(_) => return Err(no_values()),
    };
    let values = json::member(&members, "value")
        .filter(|at| body.as_bytes().get(at.start) == Some(&b'['))
        .ok_or_else(no_values)?
        .clone();
    let link = json::member(&members, "@odata.nextLink")
        .and_then(|at| body.get(at.clone()))
        .and_then(json::parse);
    Ok(Page {
        values,
        next_link: next_link(link)?,
    })
}

fn not_json() -> MailboxError {
    invalid("Graph answered with a page that is not JSON")
}

fn no_values() -> MailboxError {
    invalid("Graph's page has no value array")
}

/// A page's `@odata.nextLink`: absent, `null`, or a string.
fn next_link(link: Option<Value>) -> Result<Option<String>, MailboxError> {
    match link {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(link)) => Ok(Some(link)),
        Some(_) => Err(invalid(
            "Graph's page has an @odata.nextLink that is not a string",
        )),
    }
}

/// The next page may be fetched with the token only from under the Graph root; anything else is refused
/// without contacting it, and the link is not echoed (it is a URL that could carry anything).
pub fn check_next_link(config: &ClientConfig, link: &str) -> Result<(), MailboxError> {
    if config.is_under_graph_root(link) {
        Ok(())
    } else {
        Err(MailboxError::new(
            ErrorCode::UntrustedImportUrl,
            "Graph's @odata.nextLink points outside the configured graphBaseUrl; the token was not sent there",
        ))
    }
}

/// `{"itemIds": [...]}` for one batch.
pub fn export_body(ids: &[&str]) -> String {
    let mut body = String::from("{\"itemIds\":[");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        json::write_string(&mut body, id);
    }
    body.push_str("]}");
    body
}

/// One exported item, or why it could not be exported.
#[derive(Clone, PartialEq, Eq)]
pub struct ExportedItem {
    /// The `itemId` the answer names: one of the ids asked for.
    pub item_id: String,
    /// The item's change key at export; `None` when Graph sent none (as for an item that failed).
    pub change_key: Option<String>,
    /// The FastTransfer stream, base64, exactly as Graph sent it (it goes into an import body untouched).
    pub data: Option<String>,
    /// `{code, message}`, whichever spelling (`error` or `Error`) Graph used.
    pub error: Option<(String, String)>,
}

/// The item's content (a whole message, attachments included) is shown as its length: a debug print of an
/// export batch would otherwise copy the mailbox's mail into a log.
impl core::fmt::Debug for ExportedItem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExportedItem")
            .field("item_id", &self.item_id)
            .field("change_key", &self.change_key)
            .field("data_len", &self.data.as_ref().map(String::len))
            .field("error", &self.error)
            .finish()
    }
}

impl ExportedItem {
    /// For `ErrorArchiveFolderMovedPermanently`: the URL in the message to post the id to again, when it
    /// lies under the Graph root (else the item keeps its error).
    pub fn moved_to(&self, config: &ClientConfig) -> Option<String> {
        let (code, message) = self.error.as_ref()?;
        if code != "ErrorArchiveFolderMovedPermanently" {
            return None;
        }
        let start = find(message, "https://", true).or_else(|| find(message, "http://", true))?;
        let url = crate::codec::text::tail(message, start)
            .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .next()?
            .trim_end_matches(['.', ',', ';', ')']);
        config.is_under_graph_root(url).then(|| url.into())
    }
}

/// Reads exportItems' `{"value": [{itemId, changeKey, data, error?}]}`. The error object is matched
/// without regard to the case of its key (one docs example spells it `Error`). Each item's `data` is
/// decoded once and moved out of the parsed body, never copied again.
pub fn parse_export(body: &str) -> Result<Vec<ExportedItem>, MailboxError> {
    let Value::Object(mut members) = json::parse(body).ok_or_else(not_json)? else {
        return Err(no_values());
    };
    let Some(Value::Array(values)) = json::take_member(&mut members, "value") else {
        return Err(no_values());
    };
    next_link(json::take_member(&mut members, "@odata.nextLink"))?;
    values.into_iter().map(exported_item).collect()
}

/// One element of exportItems' `value`, its strings moved out.
fn exported_item(value: Value) -> Result<ExportedItem, MailboxError> {
    let mut members = match value {
        Value::Object(members) => members,
        _ => Vec::new(),
    };
    let mut string = |key| match json::take_member(&mut members, key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    };
    let item_id = string("itemId").ok_or_else(|| invalid("an exportItems result has no itemId"))?;
    let change_key = string("changeKey");
    let data = string("data");
    let error = json::member(&members, "error").and_then(|e| {
        let code = e.get_str("code").unwrap_or_default();
        let message = e.get_str("message").unwrap_or_default();
        (!code.is_empty() || !message.is_empty()).then(|| (code.into(), message.into()))
    });
    Ok(ExportedItem {
        item_id,
        change_key,
        data,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RawOptions;

    fn config() -> ClientConfig {
        ClientConfig::from_raw(RawOptions::default()).unwrap()
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn an_exported_items_debug_output_gives_its_datas_length_not_the_data() {
        let item = ExportedItem {
            item_id: String::from("AAMkADitem1AAA="),
            change_key: Some(String::from("CQAAABYAAAD")),
            data: Some(String::from("U3ViamVjdDogcGF5cm9sbCAyMDI2")),
            error: None,
        };
        let shown = format!("{item:?}");
        assert!(shown.contains("AAMkADitem1AAA="), "{shown}");
        assert!(shown.contains("data_len: Some(28)"), "{shown}");
        assert!(!shown.contains("U3ViamVjdDogcGF5cm9sbCAyMDI2"), "{shown}");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn urls() {
        let c = config();
        assert_eq!(
            exchange_settings_url(&c, "adele@contoso.com"),
            "https://graph.microsoft.com/v1.0/users/adele%40contoso.com/settings/exchange"
        );
        assert_eq!(
            folders_url(&c, "MBX:a@b", None, false),
            "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX%3Aa%40b/folders"
        );
        assert_eq!(
            folders_url(&c, "MBX:a@b", Some("AAMk/1="), true),
            "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX%3Aa%40b/folders/AAMk%2F1%3D/childFolders?includeHiddenFolders=true"
        );
        assert_eq!(
            items_url(&c, "MBX:a@b", "inbox"),
            "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX%3Aa%40b/folders/inbox/items"
        );
        assert_eq!(
            export_url(&c, "MBX:a@b"),
            "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX%3Aa%40b/exportItems"
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn pages_and_next_links() {
        let body = r#"{"value": [{"id":"1"},{"id":"2"}] ,"@odata.nextLink":"https://graph.microsoft.com/v1.0/x?$skiptoken=2"}"#;
        let page = parse_page(body).unwrap();
        assert_eq!(&body[page.values], r#"[{"id":"1"},{"id":"2"}]"#);
        assert_eq!(
            page.next_link.as_deref(),
            Some("https://graph.microsoft.com/v1.0/x?$skiptoken=2")
        );
        let last =
            parse_page(r#"{"value":[],"@odata.deltaLink":"https://graph.microsoft.com/v1.0/d"}"#)
                .unwrap();
        assert_eq!(last.next_link, None);
        for bad in [
            "",
            "{}",
            r#"{"value":{}}"#,
            r#"{"value":[],"@odata.nextLink":3}"#,
            r#"{"value":[1,]}"#,
            r#"[{"value":[]}]"#,
        ] {
            assert_eq!(
                parse_page(bad).unwrap_err().code,
                ErrorCode::InvalidResponse,
                "{bad}"
            );
        }
        let c = config();
        assert!(check_next_link(&c, "https://graph.microsoft.com/v1.0/x?$skiptoken=2").is_ok());
        for link in [
            "https://evil.example.net/v1.0/x",
            "http://graph.microsoft.com/v1.0/x",
            "//evil.example.net/x",
        ] {
            assert_eq!(
                check_next_link(&c, link).unwrap_err().code,
                ErrorCode::UntrustedImportUrl,
                "{link}"
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn export_bodies_and_results() {
        assert_eq!(
            export_body(&["AAMk1", "AA\"2"]),
            r#"{"itemIds":["AAMk1","AA\"2"]}"#
        );
        let body = r#"{"value":[
            {"itemId":"a","changeKey":"ck","data":"Zm9v"},
            {"itemId":"b","error":{"code":"ErrorItemNotFound","message":"Not found."}},
            {"itemId":"c","Error":{"code":"ErrorArchiveFolderMovedPermanently","message":"Moved. Post to https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX:arch@x/exportItems."}},
            {"itemId":"d","error":{"code":"ErrorArchiveFolderMovedPermanently","message":"Moved to https://evil.example.net/exportItems"}}
        ]}"#;
        let items = parse_export(body).unwrap();
        assert_eq!(items[0].data.as_deref(), Some("Zm9v"));
        assert_eq!(
            items[1].error,
            Some(("ErrorItemNotFound".into(), "Not found.".into()))
        );
        assert_eq!(
            items[2].error.as_ref().unwrap().0,
            "ErrorArchiveFolderMovedPermanently"
        );
        let c = config();
        assert_eq!(
            items[2].moved_to(&c).as_deref(),
            Some(
                "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX:arch@x/exportItems"
            )
        );
        assert_eq!(items[3].moved_to(&c), None, "only within the Graph root");
        let climbing = parse_export(r#"{"value":[
            {"itemId":"e","error":{"code":"ErrorArchiveFolderMovedPermanently","message":"Moved. Post to https://graph.microsoft.com/v1.0/%2E%2e/other/exportItems."}}
        ]}"#).unwrap();
        assert_eq!(climbing[0].moved_to(&c), None, "no dot segments");
        assert_eq!(items[1].moved_to(&c), None);
        assert!(parse_export(r#"{"value":[{"data":"x"}]}"#).is_err());
    }
}
