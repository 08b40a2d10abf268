//! The import host's wire format as pure functions (`graph-api.md` §3): the item to post, its body, the
//! meaning of each answer, and when a session must be renewed.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::codec::base64;
use crate::codec::json;
use crate::codec::text::{find, push_decimal};
use crate::error::{redact, ErrorCode, MailboxError};
use crate::transport::{HttpRequest, HttpResponse, Method};
use crate::wire::protocol::{validate_mailbox_id, ImportSession};

/// `create` makes a new item; `update` replaces one, guarded by its change key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Make a new item in the folder; not safe to send twice.
    Create,
    /// Replace the item `itemId`, if its change key is still `changeKey`; safe to send again.
    Update,
}

/// The item's FastTransfer stream: base64 the caller already has (as exportItems gives it), or already
/// inside a built import body (bytes from JavaScript are encoded straight into one).
#[derive(Clone, PartialEq, Eq)]
pub enum ItemData {
    /// The stream in standard base64, as the caller gave it.
    Base64(String),
    /// The whole import body, built from this item's fields by [`import_body_with`] when the item was read
    /// (from JavaScript memory, chunk by chunk, so a large item is never held in wasm twice), and the length
    /// of its base64 `Data`.
    Prepared {
        /// The whole JSON body to post, shared with every retry of the post.
        body: Rc<String>,
        /// Characters of base64 in its `Data`.
        data_len: usize,
    },
}

impl core::fmt::Debug for ItemData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Base64(text) => write!(f, "Base64({} chars)", text.len()),
            Self::Prepared { data_len, .. } => write!(f, "Prepared({data_len} chars)"),
        }
    }
}

/// One item to import, as the caller described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportItem {
    /// The target folder's id.
    pub folder_id: String,
    /// The item's FastTransfer stream.
    pub data: ItemData,
    /// Create a new item or update an existing one.
    pub mode: Mode,
    /// For `update` only: the item to replace.
    pub item_id: Option<String>,
    /// For `update` only: the change key the item must still have.
    pub change_key: Option<String>,
}

impl ImportItem {
    /// Bytes this item puts on the wire as `Data`.
    pub fn data_len(&self) -> usize {
        match &self.data {
            ItemData::Base64(text) => text.len(),
            ItemData::Prepared { data_len, .. } => *data_len,
        }
    }
}

/// What the import host answered for an imported item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedItem {
    /// The new (or updated) item's id in the target mailbox.
    pub item_id: String,
    /// Its change key after the import: what a later update must name.
    pub change_key: String,
}

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Checks an item before anything is sent: a folder id, well-formed data, and `itemId`/`changeKey`
/// exactly when updating (the server refuses them with `create`).
pub fn validate_item(item: &ImportItem) -> Result<(), MailboxError> {
    let problem = match &item.data {
        ItemData::Base64(text) if text.is_empty() => "item.data is empty",
        ItemData::Base64(text) if !base64::is_valid(text) => NOT_BASE64,
        _ => return validate_fields(item),
    };
    Err(MailboxError::invalid_argument(problem))
}

const NOT_BASE64: &str =
    "item.data is a string but not standard base64 (pass bytes to have them encoded)";

/// The checks of [`validate_item`] that do not look at the data: a folder id, and `itemId`/`changeKey`
/// exactly when updating.
pub fn validate_fields(item: &ImportItem) -> Result<(), MailboxError> {
    let problem = if item.folder_id.is_empty() || has_control(&item.folder_id) {
        "item.folderId must be a non-empty string without control characters"
    } else {
        match (item.mode, &item.item_id, &item.change_key) {
            (Mode::Create, None, None) => return Ok(()),
            (Mode::Create, _, _) => "item.itemId and item.changeKey are only for mode \"update\"",
            (Mode::Update, Some(id), Some(key)) if !id.is_empty() && !key.is_empty() => {
                return Ok(())
            }
            (Mode::Update, _, _) => "mode \"update\" needs item.itemId and item.changeKey",
        }
    };
    Err(MailboxError::invalid_argument(problem))
}

/// The body to post for `item`: the PascalCase JSON `{"FolderId", "Mode", "Data"}`, plus `ItemId` and
/// `ChangeKey` for updates. Shared with the item when it was prepared; else built now around its base64,
/// copied as it is.
pub fn body_for(item: &ImportItem) -> Result<Rc<String>, MailboxError> {
    match &item.data {
        ItemData::Prepared { body, .. } => Ok(body.clone()),
        ItemData::Base64(text) => {
            let mut body = body_head(item, text.len())?;
            body.extend_from_slice(text.as_bytes());
            Ok(Rc::new(finish_body(body)))
        }
    }
}

/// Builds the body of `item` (whose `data` is ignored) with `Data` appended by `write_data`: about
/// `data_len` bytes of base64, checked here. For data that lives elsewhere (JavaScript memory), so it can
/// be encoded or copied straight into the body. `encoded` says `write_data` appends only
/// [`base64::encode_into`]'s output, well-formed by construction: then only its emptiness is checked (a
/// scan of every byte cost as much as encoding them).
pub fn import_body_with(
    item: &ImportItem,
    data_len: usize,
    encoded: bool,
    write_data: impl FnOnce(&mut Vec<u8>),
) -> Result<String, MailboxError> {
    validate_fields(item)?;
    let mut body = body_head(item, data_len)?;
    let start = body.len();
    write_data(&mut body);
    let written = &body[start..];
    if written.is_empty() || !(encoded || base64::is_valid_bytes(written)) {
        let problem = if body.len() == start {
            "item.data is empty"
        } else {
            NOT_BASE64
        };
        return Err(MailboxError::invalid_argument(problem));
    }
    Ok(finish_body(body))
}

/// Everything before `Data`'s text, in a buffer with room for `data_len` more bytes and the end. A length
/// no memory can hold (or a length that lies) is refused here rather than left to abort the allocator.
fn body_head(item: &ImportItem, data_len: usize) -> Result<Vec<u8>, MailboxError> {
    let mut head = String::with_capacity(item.folder_id.len() + 160);
    head.push_str("{\"FolderId\":");
    json::write_string(&mut head, &item.folder_id);
    head.push_str(match item.mode {
        Mode::Create => ",\"Mode\":\"create\"",
        Mode::Update => ",\"Mode\":\"update\"",
    });
    if let (Some(id), Some(key)) = (&item.item_id, &item.change_key) {
        head.push_str(",\"ItemId\":");
        json::write_string(&mut head, id);
        head.push_str(",\"ChangeKey\":");
        json::write_string(&mut head, key);
    }
    head.push_str(",\"Data\":\"");
    let mut body = head.into_bytes();
    body.try_reserve_exact(data_len.saturating_add(2))
        .map_err(|_| MailboxError::invalid_argument(TOO_LARGE))?;
    Ok(body)
}

const TOO_LARGE: &str =
    "item.data is too large to build an import body for in this runtime's memory";

fn finish_body(mut body: Vec<u8>) -> String {
    body.extend_from_slice(b"\"}");
    // Built from a String, base64's ASCII alphabet and ASCII punctuation: always UTF-8, so this moves the
    // buffer without copying it.
    String::from_utf8(body).unwrap_or_default()
}

/// The post of one item's body (from [`body_for`]) to a session's importUrl, exactly as returned. Its
/// answer: [`classify_import_answer`].
pub fn prepare_import_post(import_url: &str, body: &Rc<String>) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        url: import_url.into(),
        // Nothing else: the importUrl carries its own credential, and pre-authenticated upload hosts
        // have refused unknown headers in CORS preflight.
        headers: vec![("content-type", "application/json".into())],
        body: Some(body.clone()),
    }
}

/// Whether a session should be replaced before use: it expires within `margin_ms` of `now_ms`.
pub fn needs_renewal(session: &ImportSession, now_ms: f64, margin_ms: u64) -> bool {
    now_ms + margin_ms as f64 >= session.expires_at_ms as f64
}

/// What an answer from the import host means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportAnswer {
    /// 2xx naming the item: imported.
    Imported(ImportedItem),
    /// 401, 403 or 404: the session expired or was deleted (its status is not documented).
    SessionRejected(MailboxError),
    /// 409 naming another mailbox: the folder lives in an auto-expanded archive.
    WrongMailbox(String, MailboxError),
    /// 429 or 503 (the post was refused, so it may be sent again), and 504 to an update.
    Retryable(MailboxError),
    /// 500, 502 or 504 to a create: a gateway may have answered after Exchange stored the item, so it
    /// settles `outcomeUnknown` and is never replayed (an update may be: its change key guards it).
    MaybeImported(MailboxError),
    /// A 2xx whose body does not name the item: it was probably created, but its id is unknown.
    Unreadable(MailboxError),
    /// Anything else, including any redirect (never followed from the import host).
    Final(MailboxError),
}

/// The import host's message: `{"Message": ...}` as documented, or Graph's `{"error": {"message"}}`.
fn host_message(body: &str) -> Option<String> {
    let value = json::parse(body)?;
    value
        .get_str("Message")
        .or_else(|| value.get("error").and_then(|e| e.get_str("message")))
        .map(String::from)
}

/// The mailbox id in "...The target session is expected in mailbox MBX:...", validated as an id.
pub fn expected_mailbox(message: &str) -> Option<String> {
    const MARKER: &str = "expected in mailbox ";
    let at = find(message, MARKER, true)? + MARKER.len();
    let id = crate::codec::text::tail(message, at)
        .split(|c: char| c.is_whitespace())
        .next()?
        .trim_end_matches(['.', ',', ';', '"', '\'']);
    validate_mailbox_id(id).ok()?;
    Some(id.into())
}

/// The credentials of the session an answer came from, to remove from the host's own words: the whole
/// importUrl, and its `authtoken` value, which a host may echo bare (without `authtoken=` before it).
fn session_secrets(import_url: &str) -> [&str; 2] {
    let authtoken = find(import_url, "authtoken=", true)
        .and_then(|at| import_url.get(at + "authtoken=".len()..))
        .and_then(|value| value.split(['&', '#']).next())
        .unwrap_or_default();
    [import_url, authtoken]
}

fn host_error(
    code: ErrorCode,
    response: &HttpResponse,
    import_url: &str,
    what: &str,
) -> MailboxError {
    let mut message = String::from("The import host answered ");
    push_decimal(&mut message, u64::from(response.status));
    match host_message(&response.body).filter(|m| !m.is_empty()) {
        Some(text) => {
            message.push_str(": ");
            message.push_str(&redact(&text, &session_secrets(import_url)));
        }
        None => message.push_str(what),
    }
    let mut error = MailboxError::new(code, message);
    error.status = Some(response.status);
    error.request_id = response.header("request-id").map(Into::into);
    error
}

/// Classifies an answer from the import host to a post of a `mode` item to `import_url`, whose
/// credentials never reach the error's message.
pub fn classify_import_answer(
    response: &HttpResponse,
    import_url: &str,
    mode: Mode,
) -> ImportAnswer {
    let host_error = |code, what| host_error(code, response, import_url, what);
    let status = response.status;
    match status {
        200..=299 => {
            let parsed = json::parse(&response.body);
            let item = parsed
                .as_ref()
                .and_then(|v| Some((v.get_str("itemId")?, v.get_str("changeKey")?)));
            match item {
                Some((item_id, change_key)) if !item_id.is_empty() => ImportAnswer::Imported(ImportedItem {
                    item_id: item_id.into(),
                    change_key: change_key.into(),
                }),
                _ => ImportAnswer::Unreadable(host_error(
                    ErrorCode::OutcomeUnknown,
                    " with a body that does not name the item; it was probably imported, but its id is unknown",
                )),
            }
        }
        401 | 403 | 404 => ImportAnswer::SessionRejected(host_error(
            ErrorCode::SessionExpired,
            ": the import session was refused (expired or deleted)",
        )),
        409 => {
            let error = host_error(ErrorCode::GraphError, " (conflict)");
            match host_message(&response.body)
                .as_deref()
                .and_then(expected_mailbox)
            {
                Some(mailbox) => ImportAnswer::WrongMailbox(mailbox, error),
                None => ImportAnswer::Final(error),
            }
        }
        429 => ImportAnswer::Retryable(host_error(ErrorCode::Throttled, " (throttled)")),
        500 | 502 | 504 if mode == Mode::Create => {
            ImportAnswer::MaybeImported(host_error(ErrorCode::OutcomeUnknown, ""))
        }
        503 | 504 => {
            ImportAnswer::Retryable(host_error(ErrorCode::ServiceUnavailable, " (unavailable)"))
        }
        300..=399 => {
            let mut error = MailboxError::new(
                ErrorCode::UntrustedImportUrl,
                "The import host answered with a redirect; redirects from it are never followed",
            );
            error.status = Some(status);
            ImportAnswer::Final(error)
        }
        _ => ImportAnswer::Final(host_error(ErrorCode::GraphError, "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_body_written_piece_by_piece_equals_the_body_built_at_once() {
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = body_for(&item(Mode::Create, base64_of(&bytes))).unwrap();
        let len = base64::encoded_len(bytes.len());
        // As the wasm layer does: pieces of a multiple of 3 bytes, encoded one after the other.
        let pieces = import_body_with(
            &item(Mode::Create, ItemData::Base64(String::new())),
            len,
            true,
            |out| {
                bytes
                    .chunks(999)
                    .for_each(|piece| base64::encode_into(out, piece))
            },
        )
        .unwrap();
        assert_eq!(pieces, *whole);

        let prepared = item(
            Mode::Create,
            ItemData::Prepared {
                body: Rc::new(pieces),
                data_len: len,
            },
        );
        assert!(validate_item(&prepared).is_ok());
        assert_eq!(prepared.data_len(), len);
        let ItemData::Prepared { body, .. } = &prepared.data else {
            unreachable!()
        };
        assert!(
            Rc::ptr_eq(&body_for(&prepared).unwrap(), body),
            "posted as built, not copied"
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn data_written_into_a_body_is_checked() {
        let blank = item(Mode::Create, ItemData::Base64(String::new()));
        let error = |result: Result<String, MailboxError>| result.unwrap_err().message.clone();
        assert_eq!(
            error(import_body_with(&blank, 0, false, |_| {})),
            "item.data is empty"
        );
        assert_eq!(
            error(import_body_with(&blank, 0, true, |_| {})),
            "item.data is empty"
        );
        assert!(
            error(import_body_with(&blank, 4, false, |out| out.extend_from_slice(b"Zm9v\n")))
                .contains("not standard base64")
        );
        let update_without_keys = item(Mode::Update, ItemData::Base64(String::new()));
        assert!(
            error(import_body_with(&update_without_keys, 4, true, |out| out
                .extend_from_slice(b"Zm9v")))
            .contains("needs item.itemId")
        );
    }

    fn base64_of(bytes: &[u8]) -> ItemData {
        let mut text = Vec::new();
        base64::encode_into(&mut text, bytes);
        ItemData::Base64(String::from_utf8(text).unwrap())
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn an_items_debug_output_gives_its_datas_length_not_the_data() {
        let printed = format!(
            "{:?}",
            item(Mode::Create, ItemData::Base64("U2VjcmV0IG1haWw=".into()))
        );
        assert!(!printed.contains("U2VjcmV0IG1haWw="), "{printed}");
        assert!(printed.contains("16 chars"), "{printed}");
        assert!(printed.contains("AAMkAD"), "{printed}");

        let body = Rc::new(String::from(
            r#"{"FolderId":"f","Mode":"create","Data":"U2VjcmV0IG1haWw="}"#,
        ));
        let printed = format!("{:?}", ItemData::Prepared { body, data_len: 16 });
        assert!(!printed.contains("U2VjcmV0IG1haWw="), "{printed}");
        assert!(printed.contains("16 chars"), "{printed}");
    }

    fn item(mode: Mode, data: ItemData) -> ImportItem {
        ImportItem {
            folder_id: "AAMkAD\"x".into(),
            data,
            mode,
            item_id: None,
            change_key: None,
        }
    }

    fn answer(status: u16, body: &str) -> ImportAnswer {
        classify_import_answer(
            &HttpResponse {
                status,
                headers: vec![],
                body: body.into(),
            },
            "https://h/x?authtoken=eyJ.session-token&v=1",
            Mode::Create,
        )
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn bodies_are_pascal_case_with_data_encoded_once() {
        let create = item(Mode::Create, base64_of(b"foobar"));
        assert_eq!(
            *body_for(&create).unwrap(),
            r#"{"FolderId":"AAMkAD\"x","Mode":"create","Data":"Zm9vYmFy"}"#
        );
        let mut update = item(Mode::Update, ItemData::Base64("Zm9v".into()));
        update.item_id = Some("AAMkId".into());
        update.change_key = Some("CQAAAB".into());
        assert_eq!(
            *body_for(&update).unwrap(),
            r#"{"FolderId":"AAMkAD\"x","Mode":"update","ItemId":"AAMkId","ChangeKey":"CQAAAB","Data":"Zm9v"}"#
        );
        assert!(json::parse(&body_for(&update).unwrap()).is_some());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn item_rules() {
        assert!(validate_item(&item(Mode::Create, base64_of(&[1]))).is_ok());
        let mut with_id = item(Mode::Create, base64_of(&[1]));
        with_id.item_id = Some("x".into());
        let mut update_without_key = item(Mode::Update, base64_of(&[1]));
        update_without_key.item_id = Some("x".into());
        let mut no_folder = item(Mode::Create, base64_of(&[1]));
        no_folder.folder_id = String::new();
        for bad in [
            with_id,
            update_without_key,
            no_folder,
            item(Mode::Create, ItemData::Base64(String::new())),
            item(Mode::Create, ItemData::Base64("not base64!".into())),
        ] {
            assert_eq!(
                validate_item(&bad).unwrap_err().code,
                ErrorCode::InvalidArgument,
                "{bad:?}"
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn answers() {
        assert_eq!(
            answer(
                200,
                r#"{"@odata.context":"x","itemId":"AAMk1","changeKey":"CQ1"}"#
            ),
            ImportAnswer::Imported(ImportedItem {
                item_id: "AAMk1".into(),
                change_key: "CQ1".into()
            })
        );
        assert!(
            matches!(answer(200, "{"), ImportAnswer::Unreadable(e) if e.code == ErrorCode::OutcomeUnknown)
        );
        for status in [401, 403, 404] {
            assert!(
                matches!(answer(status, r#"{"Message":"gone"}"#), ImportAnswer::SessionRejected(e) if e.code == ErrorCode::SessionExpired)
            );
        }
        let archive = answer(
            409,
            r#"{"Message": "Invalid import session. The target session is expected in mailbox MBX:aa11@bb22."}"#,
        );
        match archive {
            ImportAnswer::WrongMailbox(mailbox, error) => {
                assert_eq!(mailbox, "MBX:aa11@bb22");
                assert_eq!(error.message, "The import host answered 409: Invalid import session. The target session is expected in mailbox MBX:aa11@bb22.");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(answer(409, r#"{"Message":"conflict"}"#), ImportAnswer::Final(e) if e.status == Some(409))
        );
        assert!(
            matches!(answer(429, ""), ImportAnswer::Retryable(e) if e.code == ErrorCode::Throttled)
        );
        assert!(
            matches!(answer(503, ""), ImportAnswer::Retryable(e) if e.code == ErrorCode::ServiceUnavailable)
        );
        for status in [500, 502, 504] {
            assert!(
                matches!(answer(status, ""), ImportAnswer::MaybeImported(e) if e.code == ErrorCode::OutcomeUnknown && e.status == Some(status))
            );
        }
        let update = |status| {
            let response = HttpResponse {
                status,
                headers: vec![],
                body: String::new(),
            };
            classify_import_answer(&response, "https://h/x", Mode::Update)
        };
        assert!(matches!(update(504), ImportAnswer::Retryable(_)));
        assert!(matches!(update(502), ImportAnswer::Final(e) if e.code == ErrorCode::GraphError));
        assert!(
            matches!(answer(307, ""), ImportAnswer::Final(e) if e.code == ErrorCode::UntrustedImportUrl)
        );
        match answer(
            400,
            r#"{"Message":"bad data at https://h/x?authtoken=SECRET"}"#,
        ) {
            ImportAnswer::Final(e) => assert_eq!(
                e.message,
                "The import host answered 400: bad data at https://h/x?authtoken=[redacted]"
            ),
            other => panic!("{other:?}"),
        }
        match answer(
            400,
            r#"{"Message":"token eyJ.session-token refused at https://h/x?authtoken=eyJ.session-token&v=1"}"#,
        ) {
            ImportAnswer::Final(e) => assert_eq!(
                e.message,
                "The import host answered 400: token [redacted] refused at [redacted]"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn the_archive_mailbox_is_validated() {
        assert_eq!(
            expected_mailbox("expected in mailbox MBX:a@b"),
            Some("MBX:a@b".into())
        );
        assert_eq!(expected_mailbox("expected in mailbox .."), None);
        assert_eq!(expected_mailbox("expected in mailbox "), None);
        assert_eq!(expected_mailbox("no mailbox named"), None);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn renewal_margin() {
        let session = ImportSession {
            import_url: "https://outlook.office365.com/x".into(),
            expiration_date_time: "1970-01-01T00:10:00Z".into(),
            expires_at_ms: 600_000,
        };
        assert!(!needs_renewal(&session, 0.0, 300_000));
        assert!(needs_renewal(&session, 300_000.0, 300_000));
        assert!(needs_renewal(&session, 700_000.0, 0));
    }
}
