//! The effects the core needs from its host, as a trait: send an HTTP request, sleep, get a token, read the
//! clock, draw random bytes. The wasm layer implements it with `fetch`, `setTimeout` and `crypto`; native
//! tests implement it with a scripted server and a fake clock.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
/// HTTP methods this crate sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`: reads, always safe to send again.
    Get,
    /// `POST`: createImportSession, exportItems, folder creates and import posts.
    Post,
}

impl Method {
    /// The method's name as `fetch` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// A request as a value. Its `Debug` hides header values and the query string, which hold credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The HTTP method.
    pub method: Method,
    /// The absolute URL; for an import post it holds the session's `authtoken`, which `Debug` leaves out.
    pub url: String,
    /// Header names are lower-case.
    pub headers: Vec<(&'static str, String)>,
    /// Shared, so a retry of a large import body does not copy it. An `Rc<String>` rather than `Rc<str>`:
    /// making an `Rc<str>` from a built `String` copies it, which for a 35 MB item is 47 MB more memory.
    pub body: Option<Rc<String>>,
}

impl HttpRequest {
    /// The body as text, if there is one.
    pub fn body_text(&self) -> Option<&str> {
        self.body.as_deref().map(String::as_str)
    }

    /// The value of header `name` (lower-case), if the request has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl core::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let path = self.url.split('?').next().unwrap_or_default();
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url_without_query", &path)
            .field("header_names", &names)
            .finish_non_exhaustive()
    }
}

/// The response headers the core reads; hosts need not copy any others.
pub const RESPONSE_HEADERS: [&str; 4] =
    ["request-id", "client-request-id", "retry-after", "location"];

/// A whole response: status, the headers of [`RESPONSE_HEADERS`] that were present (and visible: a
/// browser hides those the server did not expose through CORS), and the body as text. Its `Debug` shows
/// the body's length only: bodies hold import URLs (createImportSession) and item data (exportItems).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    /// The whole body as text (UTF-8, as `fetch`'s `text()` decodes it); empty when there was none.
    pub body: String,
}

impl core::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl HttpResponse {
    /// The value of header `name` (any letter case), if the host copied it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why no response arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// `fetch` rejected: DNS, refused or reset connection, CORS refusal. The detail is the runtime's own
    /// text (it never contains the request's URL or headers).
    Network(String),
    /// No complete response within the attempt's timeout.
    Timeout,
    /// The caller's signal aborted.
    Aborted,
    /// A browser followed the fetch spec's `redirect: "manual"` and hid the redirect's status and target.
    HiddenRedirect,
}

/// What the token provider is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest<'a> {
    /// The scopes the token must carry (`ClientConfig::scopes`).
    pub scopes: &'a [String],
    /// True after Graph refused the last token with 401: the provider should get a new token rather than
    /// give its cached one.
    pub force_refresh: bool,
}

/// Why no usable token came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The provider threw or its promise rejected; the detail names the error (its `name` and any
    /// `errorCode`, as MSAL errors have), never its message, which could quote a credential.
    Threw(String),
    /// It gave something other than a string.
    NotAString,
    /// The caller's signal aborted while waiting for it.
    Aborted,
}

/// The caller's signal aborted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aborted;

/// The host's effects. Futures need not be `Send`: in JavaScript everything runs on one thread.
#[allow(async_fn_in_trait)]
pub trait Effects {
    /// Sends `request` and reads the whole body, failing with [`SendError::Timeout`] after `timeout_ms`.
    async fn send(&self, request: &HttpRequest, timeout_ms: u32)
        -> Result<HttpResponse, SendError>;
    /// Waits `ms` milliseconds, or until the caller's signal aborts.
    async fn sleep(&self, ms: u64) -> Result<(), Aborted>;
    /// The access token for Graph.
    async fn token(&self, request: &TokenRequest<'_>) -> Result<String, TokenError>;
    /// Whether asking again with `force_refresh` can give a different token (false for a fixed string).
    fn can_refresh_token(&self) -> bool;
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
    /// Fills `buf` with random bytes (for jitter and request ids; need not be cryptographic).
    fn fill_random(&self, buf: &mut [u8]);
    /// True once no new request should start: a bulk run was asked to stop, or the caller's signal has
    /// aborted. Nothing more is sent or retried. On a stop, requests under way finish and the host ends
    /// waits early (`sleep` returns `Ok`); the signal instead aborts them through `send` and `sleep`.
    fn stopping(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const IMPORT_URL: &str = "https://outlook.office365.com/api/v1.0/Mailboxes('MBX:a@b')/importItem?authtoken=eyJhbGciOi.session";

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_requests_debug_output_hides_the_query_and_header_values() {
        let request = HttpRequest {
            method: Method::Post,
            url: IMPORT_URL.into(),
            headers: alloc::vec![("authorization", "Bearer eyJ0eX.token.sig".into())],
            body: Some(Rc::new(r#"{"Data":"U2VjcmV0IG1haWw="}"#.into())),
        };
        let printed = format!("{request:?}");
        for secret in ["eyJhbGciOi.session", "eyJ0eX.token.sig", "U2VjcmV0IG1haWw="] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("/importItem"), "{printed}");
        assert!(printed.contains("authorization"), "{printed}");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_responses_debug_output_gives_the_bodys_length_not_the_body() {
        let body = format!(
            r#"{{"importUrl":"{IMPORT_URL}","expirationDateTime":"2030-01-01T00:00:00Z"}}"#
        );
        let response = HttpResponse {
            status: 200,
            headers: alloc::vec![("request-id".into(), "req-7".into())],
            body,
        };
        let printed = format!("{response:?}");
        assert!(!printed.contains("authtoken"), "{printed}");
        assert!(!printed.contains("eyJhbGciOi.session"), "{printed}");
        assert!(printed.contains("req-7"), "{printed}");
        assert!(
            printed.contains(&response.body.len().to_string()),
            "{printed}"
        );
    }
}
