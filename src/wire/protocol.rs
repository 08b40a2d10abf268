//! Graph's wire format as pure functions: each call prepared as a [`GraphCall`] from checked arguments,
//! and the meaning of each answer, errors included.

use crate::codec::json::{self, Value};
use crate::codec::text::push_decimal;
use crate::codec::time::parse_iso_datetime;
use crate::codec::url::{parse_target, percent_encode, UrlProblem};
use crate::config::ClientConfig;
use crate::error::{redact, ErrorCode, MailboxError};
use crate::transport::{HttpResponse, Method};
use alloc::rc::Rc;
use alloc::string::String;

/// Longest mailbox id accepted, in characters. Real ids (`MBX:{guid}@{guid}`, UPNs, SMTP addresses) are
/// far shorter; the bound keeps a pasted document out of a URL.
pub const MAX_MAILBOX_ID_CHARS: usize = 1024;

/// Checks a mailbox id before it goes into a path: non-empty, not too long, no control characters, and not
/// `.` or `..` (URL parsers collapse those even when percent-encoded).
pub fn validate_mailbox_id(id: &str) -> Result<(), MailboxError> {
    validate_id("mailboxId", id)
}

/// The checks of [`validate_mailbox_id`] for an id that goes into a URL path as one segment, named in the
/// error as `name` (`user`, `source.mailboxId`, ...).
pub fn validate_id(name: &str, id: &str) -> Result<(), MailboxError> {
    let problem = if id.is_empty() {
        " must be a non-empty string"
    } else if id.chars().nth(MAX_MAILBOX_ID_CHARS).is_some() {
        " is longer than 1024 characters"
    } else if id.chars().any(char::is_control) {
        " contains control characters"
    } else if id == "." || id == ".." {
        " cannot be \".\" or \"..\""
    } else {
        return Ok(());
    };
    Err(MailboxError::invalid_argument([name, problem].concat()))
}

/// `{root}/{version}/admin/exchange/mailboxes/{mailboxId}` followed by `suffix`, the id encoded as one
/// path segment.
pub fn mailbox_url(config: &ClientConfig, mailbox_id: &str, suffix: &str) -> String {
    let mut url = config.versioned_root();
    url.push_str("/admin/exchange/mailboxes/");
    percent_encode(&mut url, mailbox_id);
    url.push_str(suffix);
    url
}

/// `POST .../mailboxes/{mailboxId}/createImportSession`, no body.
pub fn create_import_session_url(config: &ClientConfig, mailbox_id: &str) -> String {
    mailbox_url(config, mailbox_id, "/createImportSession")
}

/// One Graph call to make: what each `prepare_*` function builds from checked arguments, and what the
/// one Graph loop ([`crate::flows::client::send_to_graph`]) sends.
#[derive(Debug, Clone)]
pub struct GraphCall {
    /// `GET` or `POST`.
    pub method: Method,
    /// The absolute URL, under the Graph root: the token is sent with it.
    pub url: String,
    /// The JSON body of a `POST`; `None` for a GET and a bodiless POST (createImportSession).
    pub body: Option<Rc<String>>,
    /// Whether sending it twice is harmless, so that a network failure or timeout may be retried.
    pub safe_to_retry: bool,
}

impl GraphCall {
    /// A GET: always safe to send again.
    pub fn get(url: String) -> Self {
        Self {
            method: Method::Get,
            url,
            body: None,
            safe_to_retry: true,
        }
    }
}

/// `createImportSession` for `mailbox_id`, the id checked first. Its answer: [`parse_import_session`].
pub fn prepare_create_import_session(
    config: &ClientConfig,
    mailbox_id: &str,
) -> Result<GraphCall, MailboxError> {
    validate_mailbox_id(mailbox_id)?;
    Ok(GraphCall {
        method: Method::Post,
        url: create_import_session_url(config, mailbox_id),
        body: None,
        // A spare session is harmless, so a lost answer may be asked for again.
        safe_to_retry: true,
    })
}

/// Graph's `mailboxItemImportSession`, holding exactly the two documented fields.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportSession {
    /// Pre-authenticated: its `authtoken` query parameter is a credential.
    pub import_url: String,
    /// As Graph wrote it.
    pub expiration_date_time: String,
    /// The same instant in milliseconds since the epoch.
    pub expires_at_ms: i64,
}

impl core::fmt::Debug for ImportSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ImportSession")
            .field("import_url", &"[redacted]")
            .field("expiration_date_time", &self.expiration_date_time)
            .finish()
    }
}

fn invalid_response(message: &str, response: &HttpResponse) -> MailboxError {
    let mut error = MailboxError::new(ErrorCode::InvalidResponse, message);
    error.status = Some(response.status);
    error.request_id = response.header("request-id").map(Into::into);
    error
}

/// Reads a 2xx answer to createImportSession and checks its importUrl against the trusted hosts.
pub fn parse_import_session(
    config: &ClientConfig,
    response: &HttpResponse,
) -> Result<ImportSession, MailboxError> {
    let body = json::parse(&response.body).ok_or_else(|| {
        invalid_response(
            "Graph answered createImportSession with a body that is not JSON",
            response,
        )
    })?;
    let (Some(import_url), Some(expiration)) = (
        body.get_str("importUrl"),
        body.get_str("expirationDateTime"),
    ) else {
        return Err(invalid_response(
            "Graph's createImportSession answer lacks importUrl or expirationDateTime",
            response,
        ));
    };
    let expires_at_ms = parse_iso_datetime(expiration).ok_or_else(|| {
        invalid_response("Graph's createImportSession answer has an expirationDateTime that is not an ISO 8601 date-time", response)
    })?;
    check_import_url(config, import_url).map_err(|mut error| {
        error.status = Some(response.status);
        error.request_id = response.header("request-id").map(Into::into);
        error
    })?;
    Ok(ImportSession {
        import_url: import_url.into(),
        expiration_date_time: expiration.into(),
        expires_at_ms,
    })
}

/// An importUrl may be used only if it is `https:` (or loopback `http:`) on a trusted import host. The
/// error names the host, which is not secret, and never the URL, whose query holds the `authtoken`.
pub fn check_import_url(config: &ClientConfig, url: &str) -> Result<(), MailboxError> {
    let untrusted = |message: String| MailboxError::new(ErrorCode::UntrustedImportUrl, message);
    let target = parse_target(url).map_err(|problem| {
        untrusted(String::from(match problem {
            UrlProblem::InsecureScheme => {
                "The importUrl Graph returned is not https:, so it was not used"
            }
            _ => "The importUrl Graph returned is not a well-formed https: URL, so it was not used",
        }))
    })?;
    if config
        .trusted_import_hosts
        .iter()
        .any(|trusted| trusted.admits(&target))
    {
        return Ok(());
    }
    let mut message = String::from("The importUrl Graph returned is on ");
    message.push_str(&target.host);
    if target.port != target.scheme.default_port() {
        message.push(':');
        push_decimal(&mut message, u64::from(target.port));
    }
    message.push_str(", which is not in trustedImportHosts, so it was not used");
    Err(untrusted(message))
}

/// The error code for a final non-2xx status from Graph.
pub fn code_for_status(status: u16) -> ErrorCode {
    match status {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        429 => ErrorCode::Throttled,
        503 | 504 => ErrorCode::ServiceUnavailable,
        _ => ErrorCode::GraphError,
    }
}

/// Graph's error body: the outer `code` and `message`, and the innermost (most specific) `code` found by
/// following nested `innerError`s (any letter case). `None` for bodies that are not Graph's shape.
/// Its `Debug` gives the message's length only: it is the server's text, not yet [`redact`]ed.
pub struct GraphErrorBody {
    /// `error.code`, the outer (most general) code.
    pub code: Option<String>,
    /// The `code` of the deepest `innerError` that has one, else `error.code`: what `graphCode` reports.
    pub innermost_code: Option<String>,
    /// `error.message`, as the server wrote it; it may quote a credential, so it is redacted before use.
    pub message: Option<String>,
    /// The `request-id` of the deepest `innerError` that has one, for when the response lacks the header.
    pub request_id: Option<String>,
}

impl core::fmt::Debug for GraphErrorBody {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GraphErrorBody")
            .field("code", &self.code)
            .field("innermost_code", &self.innermost_code)
            .field("message_len", &self.message.as_ref().map(String::len))
            .field("request_id", &self.request_id)
            .finish()
    }
}

/// Reads Graph's `{"error": {...}}` body; `None` when the body is not JSON or has no `error` member.
pub fn parse_graph_error_body(body: &str) -> Option<GraphErrorBody> {
    let root = json::parse(body)?;
    let error = root.get("error")?;
    let code = error.get_str("code").map(String::from);
    let mut innermost_code = code.clone();
    let mut request_id = None;
    let mut inner: &Value = error;
    // Depth is bounded by the JSON reader's nesting limit.
    while let Some(next) = inner.get("innerError") {
        if let Some(c) = next.get_str("code") {
            innermost_code = Some(c.into());
        }
        if let Some(id) = next.get_str("request-id") {
            request_id = Some(id.into());
        }
        inner = next;
    }
    Some(GraphErrorBody {
        code,
        innermost_code,
        message: error.get_str("message").map(String::from),
        request_id,
    })
}

/// Plain-language hint appended to messages for statuses with one well-known cause. A 401's depends on
/// where the token came from: see [`unauthorized_hint`].
fn hint(status: u16) -> &'static str {
    match status {
        403 => " (the app lacks a permission this call needs: MailboxItem.ImportExport for import sessions, MailboxFolder.Read and MailboxItem.Read for listing, MailboxItem.Export for exports, User.Read.All for a user's mailboxes; .All for application permissions)",
        404 => " (no such user, mailbox or folder, or it is not visible to this app)",
        _ => "",
    }
}

/// What to say of a final 401: a provider's token was refused after one forced refresh; a fixed string
/// token is never refreshed, so the caller must pass another (or a provider that can get one).
pub fn unauthorized_hint(token_refreshable: bool) -> &'static str {
    if token_refreshable {
        " (the access token was refused even after a forced refresh: sign in again)"
    } else {
        " (the token was refused; pass a fresh one or a token provider)"
    }
}

/// Turns a final non-2xx answer from Graph into an error: status, most specific Graph code, request id
/// (header first, then the body's), and Graph's message with any credential removed.
pub fn graph_error(response: &HttpResponse, secrets: &[&str]) -> MailboxError {
    let parsed = parse_graph_error_body(&response.body);
    let mut message = String::from("Microsoft Graph answered ");
    push_decimal(&mut message, u64::from(response.status));
    match parsed
        .as_ref()
        .and_then(|p| p.message.as_deref())
        .filter(|m| !m.is_empty())
    {
        Some(graph_message) => {
            message.push_str(": ");
            message.push_str(&redact(graph_message, secrets));
        }
        None if response.body.trim().is_empty() => message.push_str(" with an empty body"),
        None => message.push_str(" with a body that is not a Graph error (perhaps a proxy's page)"),
    }
    message.push_str(hint(response.status));
    let mut error = MailboxError::new(code_for_status(response.status), message);
    error.status = Some(response.status);
    error.graph_code = parsed.as_ref().and_then(|p| p.innermost_code.clone());
    error.request_id = response
        .header("request-id")
        .map(String::from)
        .or_else(|| parsed.and_then(|p| p.request_id));
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RawOptions;

    fn config() -> ClientConfig {
        ClientConfig::from_raw(RawOptions::default()).unwrap()
    }

    fn ok(body: &str) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: vec![("request-id".into(), "req-1".into())],
            body: body.into(),
        }
    }

    const DOC_SESSION: &str = r#"{
    "@odata.context": "https://graph.microsoft.com/beta/$metadata#microsoft.graph.mailboxItemImportSession",
    "importUrl": "https://outlook.office365.com/api/gbeta/Mailboxes('MBX:e0643f21@a7809c93')/importItem?authtoken=eyJhbGciOiJSUzI1NiIsImtpZCI6IjFTeXQ1b",
    "expirationDateTime": "2024-10-17T19:00:48.1052906Z"
}"#;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn the_docs_example_session() {
        let session = parse_import_session(&config(), &ok(DOC_SESSION)).unwrap();
        assert_eq!(
            session.import_url,
            "https://outlook.office365.com/api/gbeta/Mailboxes('MBX:e0643f21@a7809c93')/importItem?authtoken=eyJhbGciOiJSUzI1NiIsImtpZCI6IjFTeXQ1b"
        );
        assert_eq!(session.expiration_date_time, "2024-10-17T19:00:48.1052906Z");
        assert_eq!(session.expires_at_ms, 1_729_191_648_105);
        let printed = format!("{session:?}");
        assert!(!printed.contains("authtoken"), "{printed}");
        assert!(
            !printed.contains("eyJhbGciOiJSUzI1NiIsImtpZCI6IjFTeXQ1b"),
            "{printed}"
        );
        assert!(
            printed.contains("2024-10-17T19:00:48.1052906Z"),
            "{printed}"
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn an_error_bodys_debug_output_leaves_out_the_servers_message() {
        let body = parse_graph_error_body(
            r#"{"error":{"code":"InvalidAuthenticationToken","message":"Token eyJ0eX.abc.def is expired"}}"#,
        )
        .unwrap();
        let printed = format!("{body:?}");
        assert!(!printed.contains("eyJ0eX.abc.def"), "{printed}");
        assert!(printed.contains("InvalidAuthenticationToken"), "{printed}");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn urls_for_each_version_and_odd_ids() {
        let mut config = config();
        assert_eq!(
            create_import_session_url(&config, "MBX:e0643f21@a7809c93"),
            "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX%3Ae0643f21%40a7809c93/createImportSession"
        );
        config.api_version = crate::config::ApiVersion::Beta;
        assert_eq!(
            create_import_session_url(&config, "a/../b?c#d"),
            "https://graph.microsoft.com/beta/admin/exchange/mailboxes/a%2F..%2Fb%3Fc%23d/createImportSession"
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn mailbox_id_rules() {
        for good in [
            "MBX:e0643f21@a7809c93",
            "a b",
            "ü",
            "...",
            " . ",
            &"x".repeat(1024),
        ] {
            assert!(validate_mailbox_id(good).is_ok(), "{good:?}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a\nb",
            "a\u{0}",
            "a\u{7f}",
            "a\u{85}",
            &"x".repeat(1025),
        ] {
            assert_eq!(
                validate_mailbox_id(bad).unwrap_err().code,
                ErrorCode::InvalidArgument,
                "{bad:?}"
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn bad_session_bodies_are_invalid_responses() {
        for body in [
            "",
            "{",
            "<html>oops</html>",
            r#"{"@odata.context":"x"}"#,
            r#"{"importUrl":1,"expirationDateTime":"2024-10-17T19:00:48Z"}"#,
            r#"{"importUrl":"https://outlook.office365.com/x","expirationDateTime":"tomorrow"}"#,
        ] {
            let error = parse_import_session(&config(), &ok(body)).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidResponse, "{body}");
            assert_eq!(
                (error.status, error.request_id.as_deref()),
                (Some(200), Some("req-1"))
            );
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn untrusted_import_urls_are_refused_without_echoing_them() {
        for url in [
            "https://evil.example.net/api/gv1.0/importItem?authtoken=SECRET1",
            "http://outlook.office365.com/x?authtoken=SECRET1",
            "https://outlook.office365.com:8443/x?authtoken=SECRET1",
            "https://outlook.office365.com@evil.example.net/x?authtoken=SECRET1",
            "//outlook.office365.com/x?authtoken=SECRET1",
        ] {
            let body = [
                "{\"importUrl\":\"",
                url,
                "\",\"expirationDateTime\":\"2024-10-17T19:00:48Z\"}",
            ]
            .concat();
            let error = parse_import_session(&config(), &ok(&body)).unwrap_err();
            assert_eq!(error.code, ErrorCode::UntrustedImportUrl, "{url}");
            assert!(
                !error.message.contains("SECRET1") && !error.message.contains("authtoken"),
                "{}",
                error.message
            );
        }
        let error =
            check_import_url(&config(), "https://evil.example.net:8443/x?authtoken=S").unwrap_err();
        assert_eq!(error.message, "The importUrl Graph returned is on evil.example.net:8443, which is not in trustedImportHosts, so it was not used");
        assert!(check_import_url(&config(), "https://outlook.office.com/x?authtoken=S").is_ok());
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn graph_errors_keep_the_most_specific_code_and_the_request_id() {
        let body = r#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied.","innererror":{"code":"OuterDetail","request-id":"body-req","innerError":{"code":"MostSpecific"}}}}"#;
        let response = HttpResponse {
            status: 403,
            headers: vec![],
            body: body.into(),
        };
        let error = graph_error(&response, &[]);
        assert_eq!(error.code, ErrorCode::Forbidden);
        assert_eq!(error.graph_code.as_deref(), Some("MostSpecific"));
        assert_eq!(error.request_id.as_deref(), Some("body-req"));
        assert!(error.message.starts_with(
            "Microsoft Graph answered 403: Access is denied. (the app lacks a permission"
        ));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn the_docs_error_shape_and_non_json_bodies() {
        let body = r#"{"error": {"code": "TooManyRequests", "message": "Please retry again later.", "innerError": {"request-id": "r", "client-request-id": "c", "date": "2024-10-17T19:00:48"}}}"#;
        let response = HttpResponse {
            status: 429,
            headers: vec![("request-id".into(), "hdr".into())],
            body: body.into(),
        };
        let error = graph_error(&response, &[]);
        assert_eq!(
            (
                error.code,
                error.graph_code.as_deref(),
                error.request_id.as_deref()
            ),
            (ErrorCode::Throttled, Some("TooManyRequests"), Some("hdr"))
        );
        let html = HttpResponse {
            status: 502,
            headers: vec![],
            body: "<html>Bad Gateway</html>".into(),
        };
        let error = graph_error(&html, &[]);
        assert_eq!(
            (error.code, error.status, error.graph_code.clone()),
            (ErrorCode::GraphError, Some(502), None)
        );
        assert_eq!(error.message, "Microsoft Graph answered 502 with a body that is not a Graph error (perhaps a proxy's page)");
        let empty = HttpResponse {
            status: 500,
            headers: vec![],
            body: String::new(),
        };
        assert_eq!(
            graph_error(&empty, &[]).message,
            "Microsoft Graph answered 500 with an empty body"
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn graph_messages_are_redacted() {
        let body = r#"{"error":{"code":"x","message":"bad token eyJSECRET for https://h/i?authtoken=abc"}}"#;
        let response = HttpResponse {
            status: 400,
            headers: vec![],
            body: body.into(),
        };
        let error = graph_error(&response, &["eyJSECRET"]);
        assert_eq!(error.message, "Microsoft Graph answered 400: bad token [redacted] for https://h/i?authtoken=[redacted]");
    }
}
