//! Folder creation and delta rounds (`graph-api.md` §4; Microsoft's mailbox-post-folders,
//! mailboxfolder-delta and mailboxitem-delta pages) as pure functions: each request's URL and body, and
//! the pages a delta round answers with.
//!
//! A delta round is one or more GETs: pages linked by `@odata.nextLink`, the last one carrying
//! `@odata.deltaLink`, the URL that starts the next round and yields only what changed since. Removed
//! entries come as `{"id": "...", "@removed": {"reason": "deleted"}}`. Options such as `$filter` are
//! stated on the round's first request only; Graph encodes them into the links.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::json::{self, Value};
use crate::codec::time::parse_iso_datetime;
use crate::codec::url::percent_encode;
use crate::config::ClientConfig;
use crate::error::{ErrorCode, MailboxError};
use crate::transport::Method;
use crate::wire::protocol::{mailbox_url, validate_id, validate_mailbox_id, GraphCall};

/// `Prefer` sent on every delta request: items/delta pages hold 10 entries by default, so a folder of
/// 10,000 items would take 1,000 requests; 100 per page keeps a page of ids and change keys small.
pub const DELTA_PREFER: &str = "odata.maxpagesize=100";

/// Longest display name accepted for a new folder (Exchange's limit for folder names).
pub const MAX_FOLDER_NAME_CHARS: usize = 255;

/// `POST .../folders` (top level) or `POST .../folders/{parent}/childFolders`.
pub fn create_folder_url(config: &ClientConfig, mailbox: &str, parent: Option<&str>) -> String {
    let mut suffix = String::from("/folders");
    if let Some(parent) = parent {
        suffix.push('/');
        percent_encode(&mut suffix, parent);
        suffix.push_str("/childFolders");
    }
    mailbox_url(config, mailbox, &suffix)
}

/// `{"displayName": ..., "type": ...}`: the two properties the docs let a create set.
pub fn create_folder_body(display_name: &str, folder_type: &str) -> String {
    let mut body = String::from("{\"displayName\":");
    json::write_string(&mut body, display_name);
    body.push_str(",\"type\":");
    json::write_string(&mut body, folder_type);
    body.push('}');
    body
}

/// A new folder's name: non-empty, not blank, no control characters, at most 255 characters.
pub fn validate_folder_name(name: &str) -> Result<(), MailboxError> {
    let problem = if name.trim().is_empty() {
        "folder.displayName must be a non-blank string"
    } else if name.chars().any(char::is_control) {
        "folder.displayName contains control characters"
    } else if name.chars().nth(MAX_FOLDER_NAME_CHARS).is_some() {
        "folder.displayName is longer than 255 characters"
    } else {
        return Ok(());
    };
    Err(MailboxError::invalid_argument(problem))
}

/// `GET .../folders/{id}`: one folder (a well-known name works as the id in primary mailboxes).
pub fn folder_url(config: &ClientConfig, mailbox: &str, folder: &str) -> String {
    let mut suffix = String::from("/folders/");
    percent_encode(&mut suffix, folder);
    mailbox_url(config, mailbox, &suffix)
}

/// One folder by id, the ids checked first.
pub fn prepare_get_folder(
    config: &ClientConfig,
    mailbox: &str,
    folder: &str,
) -> Result<GraphCall, MailboxError> {
    validate_mailbox_id(mailbox)?;
    validate_id("folderId", folder)?;
    Ok(GraphCall::get(folder_url(config, mailbox, folder)))
}

/// Creates a folder (its name and parent checked by the caller's `NewFolder::validate`). Not safe to send
/// again: a lost answer may have created it, which the flow finds out by looking for the name.
pub fn prepare_create_folder(
    config: &ClientConfig,
    mailbox: &str,
    parent: Option<&str>,
    display_name: &str,
    folder_type: &str,
) -> GraphCall {
    GraphCall {
        method: Method::Post,
        url: create_folder_url(config, mailbox, parent),
        body: Some(Rc::new(create_folder_body(display_name, folder_type))),
        safe_to_retry: false,
    }
}

/// `GET .../folders/delta`: the first request of a round over the mailbox's whole folder hierarchy.
pub fn folders_delta_url(config: &ClientConfig, mailbox: &str, include_hidden: bool) -> String {
    let suffix = if include_hidden {
        "/folders/delta?includeHiddenFolders=true"
    } else {
        "/folders/delta"
    };
    mailbox_url(config, mailbox, suffix)
}

/// `GET .../folders/{folder}/items/delta`, with `$filter=receivedDateTime ge {since}` when asked (the only
/// filter items/delta supports besides `gt`).
pub fn items_delta_url(
    config: &ClientConfig,
    mailbox: &str,
    folder: &str,
    received_since: Option<&str>,
) -> String {
    let mut suffix = String::from("/folders/");
    percent_encode(&mut suffix, folder);
    suffix.push_str("/items/delta");
    if let Some(since) = received_since {
        suffix.push_str("?$filter=");
        percent_encode(&mut suffix, &["receivedDateTime ge ", since].concat());
    }
    mailbox_url(config, mailbox, &suffix)
}

/// `receivedSince` must be an ISO 8601 date-time with a zone (a date alone or a zoneless time would
/// shift the cut by hours depending on where the code runs).
pub fn validate_received_since(text: &str) -> Result<(), MailboxError> {
    if parse_iso_datetime(text).is_some() {
        Ok(())
    } else {
        Err(MailboxError::invalid_argument(
            "receivedSince must be an ISO 8601 date-time with a zone, such as 2026-01-01T00:00:00Z",
        ))
    }
}

/// A link the token may be sent to: under the Graph root only. Refused links are not echoed.
pub fn check_delta_link(config: &ClientConfig, link: &str, name: &str) -> Result<(), MailboxError> {
    if config.is_under_graph_root(link) {
        Ok(())
    } else {
        Err(MailboxError::new(
            ErrorCode::UntrustedImportUrl,
            [
                name,
                " points outside the configured graphBaseUrl; the token was not sent there",
            ]
            .concat(),
        ))
    }
}

/// One page of a delta round.
#[derive(Debug, Clone, PartialEq)]
pub struct DeltaPage {
    /// Entries added or changed, as Graph sent them.
    pub changed: Vec<Value>,
    /// Ids of entries removed since the last round.
    pub removed: Vec<String>,
    /// The next page of the round, if there is one; `None` on the round's last page.
    pub next_link: Option<String>,
    /// Where the next round starts; Graph sends it on the round's last page only.
    pub delta_link: Option<String>,
}

fn invalid(message: &str) -> MailboxError {
    MailboxError::new(ErrorCode::InvalidResponse, message)
}

fn link(root: &Value, key: &str) -> Result<Option<String>, MailboxError> {
    match root.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(link)) if !link.is_empty() => Ok(Some(link.clone())),
        Some(_) => Err(invalid(
            "Graph's delta page has a link that is not a non-empty string",
        )),
    }
}

/// Reads `{"value": [...], "@odata.nextLink" | "@odata.deltaLink": "..."}`. Every entry needs a string
/// `id`; one with `@removed` is a removal. A page with neither link, or both, is not a delta page.
pub fn parse_delta_page(body: &str) -> Result<DeltaPage, MailboxError> {
    let root =
        json::parse(body).ok_or_else(|| invalid("Graph answered with a page that is not JSON"))?;
    let Some(Value::Array(values)) = root.get("value") else {
        return Err(invalid("Graph's delta page has no value array"));
    };
    let next_link = link(&root, "@odata.nextLink")?;
    let delta_link = link(&root, "@odata.deltaLink")?;
    if next_link.is_some() == delta_link.is_some() {
        return Err(invalid(
            "Graph's delta page must end with exactly one of @odata.nextLink and @odata.deltaLink",
        ));
    }
    let mut changed = Vec::new();
    let mut removed = Vec::new();
    for value in values {
        let id = value
            .get_str("id")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| invalid("an entry of Graph's delta page has no id"))?;
        if value.get("@removed").is_some() {
            removed.push(id.into());
        } else {
            changed.push(value.clone());
        }
    }
    Ok(DeltaPage {
        changed,
        removed,
        next_link,
        delta_link,
    })
}

/// Whether a delta request was refused because its state token is no longer known: what Graph answers then
/// is UNKNOWN for this API (its delta guide names 410 Gone with `syncStateNotFound` or `resyncRequired`, and
/// 400 `syncStateNotFound`), so all of those mean: start a new round without the link.
pub fn is_expired_delta(error: &MailboxError) -> bool {
    let code = error.graph_code.as_deref().unwrap_or_default();
    error.status == Some(410)
        || code.eq_ignore_ascii_case("syncStateNotFound")
        || code.eq_ignore_ascii_case("resyncRequired")
}

/// Whether a create's refusal says the name is taken under that parent (Graph's mail folders answer 409
/// `ErrorFolderExists`; for this API that is UNKNOWN, so any 409 leads to a look at the parent's children).
pub fn is_name_taken(error: &MailboxError) -> bool {
    error.status == Some(409)
        || error.graph_code.as_deref() == Some("ErrorFolderExists")
        || error.graph_code.as_deref() == Some("ErrorDuplicateFolderName")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RawOptions;

    fn config() -> ClientConfig {
        ClientConfig::from_raw(RawOptions::default()).unwrap()
    }

    const MBX: &str = "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX%3Aa%40b";

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn urls_and_bodies() {
        let c = config();
        assert_eq!(
            create_folder_url(&c, "MBX:a@b", None),
            [MBX, "/folders"].concat()
        );
        assert_eq!(
            create_folder_url(&c, "MBX:a@b", Some("AA/1=")),
            [MBX, "/folders/AA%2F1%3D/childFolders"].concat()
        );
        assert_eq!(
            create_folder_body("Q\"1", "IPF.Note"),
            r#"{"displayName":"Q\"1","type":"IPF.Note"}"#
        );
        assert_eq!(
            folders_delta_url(&c, "MBX:a@b", true),
            [MBX, "/folders/delta?includeHiddenFolders=true"].concat()
        );
        assert_eq!(
            items_delta_url(&c, "MBX:a@b", "inbox", None),
            [MBX, "/folders/inbox/items/delta"].concat()
        );
        assert_eq!(
            items_delta_url(&c, "MBX:a@b", "inbox", Some("2026-01-01T00:00:00Z")),
            [
                MBX,
                "/folders/inbox/items/delta?$filter=receivedDateTime%20ge%202026-01-01T00%3A00%3A00Z"
            ]
            .concat()
        );
        assert_eq!(
            folder_url(&c, "MBX:a@b", "inbox"),
            [MBX, "/folders/inbox"].concat()
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn names_and_dates_are_checked() {
        assert!(validate_folder_name("Projects").is_ok());
        for bad in ["", "  ", "a\u{7}b"] {
            assert_eq!(
                validate_folder_name(bad).unwrap_err().code,
                ErrorCode::InvalidArgument
            );
        }
        assert!(validate_folder_name(&"x".repeat(255)).is_ok());
        assert!(validate_folder_name(&"x".repeat(256)).is_err());
        assert!(validate_received_since("2026-01-01T00:00:00Z").is_ok());
        assert!(validate_received_since("2026-01-01T00:00:00.1234567+02:00").is_ok());
        for bad in ["2026-01-01", "2026-01-01T00:00:00", "yesterday", ""] {
            assert!(validate_received_since(bad).is_err(), "{bad}");
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn delta_pages() {
        let page = parse_delta_page(
            r#"{"value":[{"id":"a","changeKey":"1"},{"id":"b","@removed":{"reason":"deleted"}}],
                "@odata.nextLink":"https://graph.microsoft.com/v1.0/x?$skiptoken=1"}"#,
        )
        .unwrap();
        assert_eq!(page.changed.len(), 1);
        assert_eq!(page.changed[0].get_str("changeKey"), Some("1"));
        assert_eq!(page.removed, ["b"]);
        assert!(page.delta_link.is_none());
        let last = parse_delta_page(
            r#"{"value":[],"@odata.deltaLink":"https://graph.microsoft.com/v1.0/x?$deltatoken=9"}"#,
        )
        .unwrap();
        assert_eq!(
            last.delta_link.as_deref(),
            Some("https://graph.microsoft.com/v1.0/x?$deltatoken=9")
        );
        for bad in [
            "",
            r#"{"value":[]}"#,
            r#"{"value":[],"@odata.nextLink":"a","@odata.deltaLink":"b"}"#,
            r#"{"value":[{"changeKey":"1"}],"@odata.deltaLink":"b"}"#,
            r#"{"value":[],"@odata.deltaLink":3}"#,
            r#"{"value":{},"@odata.deltaLink":"b"}"#,
        ] {
            assert_eq!(
                parse_delta_page(bad).unwrap_err().code,
                ErrorCode::InvalidResponse,
                "{bad}"
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn links_stay_under_the_graph_root() {
        let c = config();
        assert!(check_delta_link(&c, "https://graph.microsoft.com/v1.0/x", "deltaLink").is_ok());
        let error = check_delta_link(&c, "https://evil.example/v1.0/x", "deltaLink").unwrap_err();
        assert_eq!(error.code, ErrorCode::UntrustedImportUrl);
        assert!(!error.message.contains("evil"));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn expired_delta_tokens() {
        let mut error = MailboxError::new(ErrorCode::GraphError, "x");
        assert!(!is_expired_delta(&error));
        error.status = Some(410);
        assert!(is_expired_delta(&error));
        error.status = Some(400);
        error.graph_code = Some("SyncStateNotFound".into());
        assert!(is_expired_delta(&error));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn taken_names() {
        let mut error = MailboxError::new(ErrorCode::GraphError, "x");
        assert!(!is_name_taken(&error));
        error.status = Some(409);
        assert!(is_name_taken(&error));
    }
}
