//! The JavaScript surface: exported functions, their TypeScript declarations, and the conversion of
//! results and errors into plain JavaScript values.

use alloc::string::String;
use core::cell::RefCell;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::host;
use super::options::{read_options, TokenSource};
use crate::client::{self, Failure};
use crate::config::ClientConfig;
use crate::error::MailboxError;
use crate::protocol::ImportSession;
use crate::transport::{
    Aborted, Effects, HttpRequest, HttpResponse, SendError, TokenError, TokenRequest,
};

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &'static str = r#"
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
  /** Cancels everything, waits between retries included; the call rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export type MailboxErrorCode =
  | "invalidArgument" | "unauthorized" | "forbidden" | "notFound" | "throttled" | "serviceUnavailable"
  | "graphError" | "network" | "timeout" | "outcomeUnknown" | "sessionExpired" | "untrustedImportUrl"
  | "invalidResponse" | "tokenProviderFailed";

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

/** Whether `value` is an error from this package. */
export function isMailboxError(value: unknown): value is MailboxError;
"#;

/// [`Effects`] over the JavaScript globals, for one call with its options.
struct JsEffects {
    token: TokenSource,
    signal: Option<AbortSignal>,
    /// What a failing token provider threw, attached as the error's `cause`.
    provider_error: RefCell<Option<JsValue>>,
}

/// The error's `name` and, for MSAL errors, `errorCode`: enough to tell "interaction_required" from a bug
/// without copying a message that could quote a credential.
fn describe_thrown(value: &JsValue) -> String {
    let text = |key: &str| {
        Reflect::get(value, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    let mut detail = if value.is_object() {
        text("name").unwrap_or_else(|| "an error".into())
    } else {
        "a non-Error value".into()
    };
    if let Some(code) = text("errorCode") {
        detail.push_str(" (");
        detail.push_str(&code);
        detail.push(')');
    }
    detail.push_str("; see the error's cause");
    detail
}

impl Effects for JsEffects {
    async fn send(
        &self,
        request: &HttpRequest,
        timeout_ms: u32,
    ) -> Result<HttpResponse, SendError> {
        host::send(request, timeout_ms, self.signal.as_ref()).await
    }

    async fn sleep(&self, ms: u64) -> Result<(), Aborted> {
        host::sleep(ms, self.signal.as_ref()).await
    }

    async fn token(&self, request: &TokenRequest<'_>) -> Result<String, TokenError> {
        let provider = match &self.token {
            TokenSource::Fixed(token) => return Ok(token.clone()),
            TokenSource::Provider(provider) => provider,
        };
        let argument = Object::new();
        let scopes: Array = request
            .scopes
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect();
        let _ = Reflect::set(&argument, &JsValue::from_str("scopes"), &scopes);
        let _ = Reflect::set(
            &argument,
            &JsValue::from_str("forceRefresh"),
            &JsValue::from_bool(request.force_refresh),
        );
        let threw = |error: JsValue| {
            let detail = describe_thrown(&error);
            *self.provider_error.borrow_mut() = Some(error);
            TokenError::Threw(detail)
        };
        let returned = provider
            .call1(&JsValue::UNDEFINED, &argument)
            .map_err(threw)?;
        match host::until_aborted(Promise::resolve(&returned), self.signal.as_ref()).await {
            Ok(value) => value.as_string().ok_or(TokenError::NotAString),
            Err(None) => Err(TokenError::Aborted),
            Err(Some(error)) => Err(threw(error)),
        }
    }

    fn can_refresh_token(&self) -> bool {
        matches!(self.token, TokenSource::Provider(_))
    }

    fn now_ms(&self) -> f64 {
        host::now_ms()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        host::fill_random(buf);
    }
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn set_optional_str(target: &Object, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        set(target, key, &JsValue::from_str(value));
    }
}

/// A `MailboxError` as a real JavaScript `Error` with its documented fields.
fn to_js_error(error: &MailboxError, cause: Option<JsValue>) -> JsValue {
    let js_error = js_sys::Error::new(&error.message);
    js_error.set_name("MailboxError");
    let object: &Object = js_error.as_ref();
    set(object, "code", &JsValue::from_str(error.code.as_str()));
    if let Some(status) = error.status {
        set(object, "status", &JsValue::from_f64(f64::from(status)));
    }
    set_optional_str(object, "graphCode", error.graph_code.as_deref());
    set_optional_str(object, "requestId", error.request_id.as_deref());
    set_optional_str(
        object,
        "clientRequestId",
        error.client_request_id.as_deref(),
    );
    if let Some(ms) = error.retry_after_ms {
        set(object, "retryAfterMs", &JsValue::from_f64(ms as f64));
    }
    set(
        object,
        "attempts",
        &JsValue::from_f64(f64::from(error.attempts)),
    );
    if let Some(cause) = cause {
        set(object, "cause", &cause);
    }
    js_error.into()
}

/// What the promise rejects with: `signal.reason` for an abort (as `fetch` does), else a MailboxError.
fn rejection(failure: Failure, effects: Option<&JsEffects>) -> JsValue {
    match failure {
        Failure::Aborted => effects
            .and_then(|fx| fx.signal.as_ref())
            .map(AbortSignal::reason)
            .filter(|reason| !reason.is_undefined())
            .unwrap_or_else(|| {
                let error = js_sys::Error::new("The operation was aborted");
                error.set_name("AbortError");
                error.into()
            }),
        Failure::Error(error) => {
            let cause = effects.and_then(|fx| fx.provider_error.borrow_mut().take());
            to_js_error(&error, cause)
        }
    }
}

fn session_object(session: &ImportSession) -> JsValue {
    let object = Object::new();
    set(
        &object,
        "importUrl",
        &JsValue::from_str(&session.import_url),
    );
    set(
        &object,
        "expirationDateTime",
        &JsValue::from_str(&session.expiration_date_time),
    );
    object.into()
}

/// Validates the options of one call and builds its effects.
fn prepare(options: &JsValue) -> Result<(ClientConfig, JsEffects), Failure> {
    let options = read_options(options)?;
    let config = ClientConfig::from_raw(options.raw)?;
    let effects = JsEffects {
        token: options.token,
        signal: options.signal,
        provider_error: RefCell::new(None),
    };
    Ok((config, effects))
}

/// `createImportSession(mailboxId, options)`.
#[wasm_bindgen(js_name = createImportSession, skip_typescript)]
pub fn create_import_session(mailbox_id: JsValue, options: JsValue) -> Promise {
    future_to_promise(async move {
        let (config, effects) = prepare(&options).map_err(|failure| rejection(failure, None))?;
        let Some(mailbox_id) = mailbox_id
            .as_string()
            .filter(|_| js_sys::JsString::from(mailbox_id.clone()).is_valid_utf16())
        else {
            let error =
                MailboxError::invalid_argument("mailboxId must be a string of valid Unicode text");
            return Err(rejection(Failure::Error(error), None));
        };
        client::create_import_session(&effects, &config, &mailbox_id)
            .await
            .map(|session| session_object(&session))
            .map_err(|failure| rejection(failure, Some(&effects)))
    })
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
