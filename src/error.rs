//! The one error type every call rejects with. In JavaScript it is an `Error` named `MailboxError` whose
//! `code` is [`ErrorCode::as_str`] and whose other fields are set when known (see `api.md`, "Errors").
//!
//! Messages are for people. They carry Graph's own message when there is one, passed through
//! [`redact`] first, and never a bearer token, an `authtoken` or an import URL.

use alloc::boxed::Box;
use alloc::string::String;

use crate::codec::text::{find, head, tail};
/// What went wrong, and so what the caller should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Bad input found before any request was sent. Fix the call; retrying cannot help.
    InvalidArgument,
    /// Graph answered 401 even after one forced token refresh. Sign the user in again.
    Unauthorized,
    /// 403: the app or user lacks the permission (`MailboxItem.ImportExport`). Grant it; retrying cannot help.
    Forbidden,
    /// 404: the mailbox (or folder, item) does not exist or is not visible to this app.
    NotFound,
    /// 429 still returned after the retries; schedule the work again after `retryAfterMs` if set.
    Throttled,
    /// 503 or 504 still returned after the retries; try again later.
    ServiceUnavailable,
    /// Any other non-2xx answer; `status` and `graphCode` say which.
    GraphError,
    /// `fetch` itself failed (DNS, refused, reset, CORS) and retries ran out. Check connectivity.
    Network,
    /// An attempt exceeded `timeoutMs` and retries ran out.
    Timeout,
    /// A create-mode import was sent and no answer came back: the item may exist. Check before sending
    /// it again; it is never replayed automatically.
    OutcomeUnknown,
    /// An import session could not be used or renewed.
    SessionExpired,
    /// An importUrl, nextLink or redirect pointed outside the trusted hosts; nothing was sent there.
    UntrustedImportUrl,
    /// A 2xx answer whose body is not what the docs promise.
    InvalidResponse,
    /// The token provider threw or gave something other than a non-empty string.
    TokenProviderFailed,
    /// In a bulk report only: the caller's signal aborted before this item was sent. It was not imported
    /// and can be sent again. (The call itself rejects with `signal.reason`.)
    Aborted,
}

impl ErrorCode {
    /// The stable `code` string of the JavaScript error.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "invalidArgument",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "notFound",
            Self::Throttled => "throttled",
            Self::ServiceUnavailable => "serviceUnavailable",
            Self::GraphError => "graphError",
            Self::Network => "network",
            Self::Timeout => "timeout",
            Self::OutcomeUnknown => "outcomeUnknown",
            Self::SessionExpired => "sessionExpired",
            Self::UntrustedImportUrl => "untrustedImportUrl",
            Self::InvalidResponse => "invalidResponse",
            Self::TokenProviderFailed => "tokenProviderFailed",
            Self::Aborted => "aborted",
        }
    }
}

/// A failed call, with every field the caller may need to act on it or report it to Microsoft support
/// (its [`ErrorFields`], reached through `Deref`). Boxed: errors travel up through every `?` of every
/// call, and a pointer moves in one instruction where the fields took dozens.
#[derive(Clone, PartialEq, Eq)]
pub struct MailboxError(Box<ErrorFields>);

/// What a [`MailboxError`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorFields {
    /// What kind of failure it is; the table in `api.md` says when each code is used.
    pub code: ErrorCode,
    /// A sentence for people, free of tokens and import URLs (text from servers passes through [`redact`]).
    pub message: String,
    /// The HTTP status of the last answer, when there was one.
    pub status: Option<u16>,
    /// The most specific code in Graph's error body (innermost `innerError.code`).
    pub graph_code: Option<String>,
    /// Graph's `request-id` (header, else `innerError.request-id`).
    pub request_id: Option<String>,
    /// The `client-request-id` this package sent on the last attempt.
    pub client_request_id: Option<String>,
    /// How long the service asked the caller to wait, when it said: at most a day
    /// ([`crate::wire::retry::MAX_RETRY_AFTER_MS`]), so always a safe integer in JavaScript.
    pub retry_after_ms: Option<u64>,
    /// HTTP attempts made, retries and the token-refresh resend included.
    pub attempts: u32,
}

impl MailboxError {
    /// An error with `code` and `message` and no details yet; callers fill in the fields they know.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::with_message(code, message.into())
    }

    /// [`MailboxError::new`] out of line: inlined, it wrote the empty fields again at every call site.
    #[inline(never)]
    fn with_message(code: ErrorCode, message: String) -> Self {
        Self(Box::new(ErrorFields {
            code,
            message,
            status: None,
            graph_code: None,
            request_id: None,
            client_request_id: None,
            retry_after_ms: None,
            attempts: 0,
        }))
    }

    /// An `invalidArgument` error: bad input found before any request.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }
}

impl core::ops::Deref for MailboxError {
    type Target = ErrorFields;

    fn deref(&self) -> &ErrorFields {
        &self.0
    }
}

impl core::ops::DerefMut for MailboxError {
    fn deref_mut(&mut self) -> &mut ErrorFields {
        &mut self.0
    }
}

impl core::fmt::Debug for MailboxError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

impl core::fmt::Display for MailboxError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl core::error::Error for MailboxError {}

/// Removes credentials from text that came from elsewhere (a server's message, an exception's text):
/// each of `secrets` verbatim (first, so a secret that holds a marker, such as an importUrl, is found
/// whole), then the value of any `authtoken=` parameter and anything after `Bearer `.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = String::from(text);
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        let mut replaced = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = find(rest, secret, false) {
            replaced.push_str(head(rest, at));
            replaced.push_str(REDACTED);
            rest = tail(rest, at + secret.len());
        }
        replaced.push_str(rest);
        out = replaced;
    }
    let text = out;
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some((start, marker_len)) = find_marker(rest) {
        out.push_str(head(rest, start + marker_len));
        out.push_str(REDACTED);
        let value = tail(rest, start + marker_len);
        let end = value
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '&' | '"' | '\'' | '<' | '>' | ',' | ';' | ')')
            })
            .unwrap_or(value.len());
        rest = tail(value, end);
    }
    out.push_str(rest);
    out
}

const REDACTED: &str = "[redacted]";

/// The earliest credential marker in `text`: its offset and length.
fn find_marker(text: &str) -> Option<(usize, usize)> {
    ["authtoken=", "bearer "]
        .iter()
        .filter_map(|marker| find(text, marker, true).map(|at| (at, marker.len())))
        .min_by_key(|(at, _)| *at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn codes_are_the_documented_strings() {
        assert_eq!(ErrorCode::InvalidArgument.as_str(), "invalidArgument");
        assert_eq!(ErrorCode::UntrustedImportUrl.as_str(), "untrustedImportUrl");
        assert_eq!(
            ErrorCode::TokenProviderFailed.as_str(),
            "tokenProviderFailed"
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn redaction_removes_credentials() {
        assert_eq!(
            redact(
                "posted to https://h/x?AuthToken=eyJ.abc&y=1 and failed",
                &[]
            ),
            "posted to https://h/x?AuthToken=[redacted]&y=1 and failed"
        );
        assert_eq!(
            redact("Authorization: Bearer eyJ0eXAi.x.y", &[]),
            "Authorization: Bearer [redacted]"
        );
        assert_eq!(
            redact("token secret-value leaked", &["secret-value"]),
            "token [redacted] leaked"
        );
        assert_eq!(redact("nothing here", &["abc"]), "nothing here");
        assert_eq!(redact("authtoken=", &[]), "authtoken=[redacted]");
    }
}
