//! App-only tokens from Microsoft Entra ID (the OAuth 2.0 client credentials grant), for servers and
//! Workers: the request, the answer, and a cache that keeps one token until shortly before it expires and
//! lets concurrent callers share one request for a new one. Never for browsers: the secret would ship.

use alloc::string::String;
use core::cell::{Cell, RefCell};

use crate::codec::json;
use crate::codec::url::percent_encode;
use crate::config::{base_url, option_error, renew_before, timeout, RetryPolicy};
use crate::error::{redact, ErrorCode, MailboxError};
use crate::flows::client::{after_failure, token_problem, AfterFailure, Failure};
use crate::transport::{Effects, HttpRequest, HttpResponse, Method, SendError};
use crate::wire::protocol::code_for_status;
use crate::wire::retry::{classify_status, retry_after_of, Class};

/// `authorityHost` when none is given: the global cloud's Entra ID.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
/// `scope` when none is given: every application permission granted to the app on Graph.
pub const DEFAULT_APP_SCOPE: &str = "https://graph.microsoft.com/.default";

/// `clientCredentials` options as they arrive from JavaScript, checked for type, not yet for meaning.
/// `Debug` is written by hand so the secret can never be printed.
#[derive(Clone, Default)]
pub struct RawAppOptions {
    /// `tenantId`: the directory's id or one of its domains (`contoso.onmicrosoft.com`).
    pub tenant_id: Option<String>,
    /// `clientId`: the app registration's application id.
    pub client_id: Option<String>,
    /// `clientSecret`: a credential, sent only in the token request's body and never printed.
    pub client_secret: Option<String>,
    /// `authorityHost`; `None`: [`DEFAULT_AUTHORITY_HOST`].
    pub authority_host: Option<String>,
    /// `scope`; `None`: [`DEFAULT_APP_SCOPE`].
    pub scope: Option<String>,
    /// `renewBeforeMs`: how long before it expires a token is replaced, in milliseconds; `None`: 5 minutes.
    pub renew_before_ms: Option<f64>,
    /// `timeoutMs` of each token request, in milliseconds; `None`: 30 s.
    pub timeout_ms: Option<f64>,
}

impl core::fmt::Debug for RawAppOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawAppOptions")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<hidden>"),
            )
            .field("authority_host", &self.authority_host)
            .field("scope", &self.scope)
            .field("renew_before_ms", &self.renew_before_ms)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// Validated client credentials. `Debug` is written by hand so the secret can never be printed.
pub struct AppCredentials {
    /// `{authorityHost}/{tenantId}/oauth2/v2.0/token`, where tokens are asked for.
    pub token_url: String,
    /// The app registration's application id.
    pub client_id: String,
    /// Private so that nothing but the token request's body reads it.
    client_secret: String,
    /// The scope asked for, `{resource}/.default` for the client credentials grant.
    pub scope: String,
    /// A cached token is replaced this long before it expires (at most half its lifetime), in milliseconds.
    pub renew_before_ms: u64,
    /// How the token endpoint is retried: `timeoutMs` per attempt, then Graph's defaults (3 retries,
    /// 1 s first backoff, waits of at most a minute).
    pub retry: RetryPolicy,
}

impl core::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "AppCredentials {{ token_url: {:?}, client_id: {:?}, client_secret: <hidden>, scope: {:?} }}",
            self.token_url, self.client_id, self.scope
        )
    }
}

fn required(value: Option<String>, name: &str) -> Result<String, MailboxError> {
    value
        .filter(|v| !v.is_empty() && !v.chars().any(char::is_control))
        .ok_or_else(|| {
            option_error(
                name,
                "must be a non-empty string without control characters",
            )
        })
}

impl AppCredentials {
    /// Checks the options; the first bad one is an `invalidArgument` naming it (never quoting the secret).
    pub fn from_raw(raw: RawAppOptions) -> Result<Self, MailboxError> {
        let tenant = required(raw.tenant_id, "tenantId")?;
        if tenant.contains(['/', '?', '#', '%', '\\', ' ']) || tenant == "." || tenant == ".." {
            return Err(option_error(
                "tenantId",
                "must be a tenant id or domain, such as contoso.onmicrosoft.com",
            ));
        }
        let client_id = required(raw.client_id, "clientId")?;
        let client_secret = required(raw.client_secret, "clientSecret")?;
        let authority = base_url(
            "authorityHost",
            raw.authority_host
                .as_deref()
                .unwrap_or(DEFAULT_AUTHORITY_HOST),
        )?;
        let scope = match raw.scope {
            None => DEFAULT_APP_SCOPE.into(),
            Some(scope) => required(Some(scope), "scope")?,
        };
        let renew_before_ms = renew_before(raw.renew_before_ms)?;
        let retry = RetryPolicy {
            timeout_ms: timeout(raw.timeout_ms)?,
            ..RetryPolicy::DEFAULT
        };
        Ok(Self {
            token_url: [&authority, "/", &tenant, "/oauth2/v2.0/token"].concat(),
            client_id,
            client_secret,
            scope,
            renew_before_ms,
            retry,
        })
    }

    /// `POST {authority}/{tenant}/oauth2/v2.0/token`, form-encoded.
    pub fn token_request(&self) -> HttpRequest {
        let mut body = String::from("grant_type=client_credentials&client_id=");
        percent_encode(&mut body, &self.client_id);
        body.push_str("&client_secret=");
        percent_encode(&mut body, &self.client_secret);
        body.push_str("&scope=");
        percent_encode(&mut body, &self.scope);
        HttpRequest {
            method: Method::Post,
            url: self.token_url.clone(),
            headers: alloc::vec![
                ("content-type", "application/x-www-form-urlencoded".into()),
                ("accept", "application/json".into()),
            ],
            body: Some(body.into()),
        }
    }
}

/// A token and when it stops working. `Debug` is written by hand so the token can never be printed.
#[derive(Clone, PartialEq)]
pub struct AppToken {
    /// The bearer token itself: a credential, never printed.
    pub access_token: String,
    /// When it expires, in milliseconds since the epoch by the host's clock when it was received.
    pub expires_at_ms: f64,
    /// Its whole lifetime, so a short-lived token is not renewed on every call.
    pub lifetime_ms: f64,
}

impl core::fmt::Debug for AppToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppToken")
            .field("access_token", &"<hidden>")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("lifetime_ms", &self.lifetime_ms)
            .finish()
    }
}

impl AppToken {
    /// Still good for use: more than the renewal margin (at most half its lifetime) is left.
    pub fn usable(&self, now_ms: f64, renew_before_ms: u64) -> bool {
        let margin = (renew_before_ms as f64).min(self.lifetime_ms / 2.0);
        now_ms + margin < self.expires_at_ms
    }
}

fn entra_invalid(message: &str) -> MailboxError {
    MailboxError::new(ErrorCode::InvalidResponse, message)
}

/// Reads `{token_type, expires_in, access_token}` (`expires_in` a number, or a string as v1 endpoints send).
pub fn parse_token_answer(body: &str, now_ms: f64) -> Result<AppToken, MailboxError> {
    let root = json::parse(body)
        .ok_or_else(|| entra_invalid("Entra ID answered with a body that is not JSON"))?;
    let access_token = root
        .get_str("access_token")
        .filter(|t| token_problem(t).is_none())
        .ok_or_else(|| entra_invalid("Entra ID's answer has no usable access_token"))?;
    let seconds = match root.get("expires_in") {
        Some(json::Value::Number(text) | json::Value::String(text)) => text.parse::<u32>().ok(),
        _ => None,
    }
    .filter(|&s| s > 0)
    .ok_or_else(|| entra_invalid("Entra ID's answer has no valid expires_in"))?;
    let lifetime_ms = f64::from(seconds) * 1000.0;
    Ok(AppToken {
        access_token: access_token.into(),
        expires_at_ms: now_ms + lifetime_ms,
        lifetime_ms,
    })
}

/// An Entra error answer (`{error, error_description, error_codes, trace_id, correlation_id}`) as a
/// MailboxError: `unauthorized` for a client Entra does not accept, else by status. The description's
/// first line is kept (the rest repeats trace ids), with the secret removed should it ever be echoed.
pub fn entra_error(response: &HttpResponse, secret: &str) -> MailboxError {
    let body = json::parse(&response.body);
    let error_code = body.as_ref().and_then(|b| b.get_str("error"));
    let code = match error_code {
        Some("invalid_client" | "unauthorized_client") => ErrorCode::Unauthorized,
        _ => code_for_status(response.status),
    };
    let mut message = String::from("Microsoft Entra ID refused the client credentials request");
    if let Some(description) = body.as_ref().and_then(|b| b.get_str("error_description")) {
        message.push_str(": ");
        message.push_str(&redact(
            description.lines().next().unwrap_or_default(),
            &[secret],
        ));
    }
    let mut error = MailboxError::new(code, message);
    error.status = Some(response.status);
    error.graph_code = error_code.map(Into::into);
    // Entra's `trace_id` (its x-ms-request-id header is never copied: see RESPONSE_HEADERS).
    error.request_id = body
        .as_ref()
        .and_then(|b| b.get_str("trace_id"))
        .map(Into::into);
    error
}

/// Appended to Entra's message when it asked for a wait longer than the token endpoint's policy waits.
const TOO_LONG: &str =
    "; Entra ID asked for a wait longer than a minute, so the token was not requested again";

/// Asks the token endpoint for a new token, retrying 429/503/504 and network failures by the same
/// decision as Graph calls.
pub async fn request_app_token<E: Effects>(
    effects: &E,
    credentials: &AppCredentials,
) -> Result<AppToken, Failure> {
    let policy = &credentials.retry;
    let mut retries = 0;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let sent = effects
            .send(&credentials.token_request(), policy.timeout_ms)
            .await;
        // A failure that may be retried: its class, the wait Entra asked for, and the error once retries
        // are spent. One wait serves both kinds.
        let (class, retry_after, mut error) = match sent {
            Ok(response) => {
                let class = classify_status(response.status);
                if class == Class::Success {
                    return parse_token_answer(&response.body, effects.now_ms()).map_err(
                        |mut e| {
                            e.attempts = attempts;
                            e.into()
                        },
                    );
                }
                let retry_after = retry_after_of(&response, effects.now_ms());
                let error = entra_error(&response, &credentials.client_secret);
                (class, retry_after, error)
            }
            Err(SendError::Aborted) => return Err(Failure::Aborted),
            Err(failure) => {
                let unreachable = "Could not reach Entra ID's token endpoint";
                let (class, code, message) = match failure {
                    SendError::Timeout => (
                        Class::Transport,
                        ErrorCode::Timeout,
                        "Entra ID's token endpoint did not answer in time",
                    ),
                    SendError::HiddenRedirect => (Class::Final, ErrorCode::Network, unreachable),
                    _ => (Class::Transport, ErrorCode::Network, unreachable),
                };
                (class, None, MailboxError::new(code, message))
            }
        };
        if let AfterFailure::GiveUp(reason) =
            after_failure(effects, policy, &mut retries, class, retry_after).await?
        {
            reason.annotate(&mut error, retry_after, TOO_LONG);
            error.attempts = attempts;
            return Err(error.into());
        }
    }
}

enum CacheState {
    Empty,
    Ready(AppToken),
    /// Request number `generation` is under way since `started_ms`.
    Fetching {
        generation: u64,
        started_ms: f64,
    },
    /// Request number `generation` failed; tasks that waited for it get this error.
    Failed {
        generation: u64,
        error: MailboxError,
    },
}

/// How often a caller waiting for another caller's token request looks again.
const POLL_MS: u64 = 10;

/// One app-only token shared by every caller of a provider.
///
/// Callers waiting for a request another caller started look again on their own timers rather than being
/// woken by it: in a Worker the callers are different requests, and workerd cancels a request that waits on
/// something only another request's I/O will settle ("code had hung"). For the same reason a request that
/// has run far longer than one attempt may take is taken for abandoned (its Worker request was cancelled
/// mid-way), and the next caller starts its own.
pub struct AppTokenCache {
    state: RefCell<CacheState>,
    generations: Cell<u64>,
    /// How many token requests were started, for tests and reports.
    pub requests: Cell<u64>,
}

// By hand: the cached token is a credential, so only where the cache stands is shown.
impl core::fmt::Debug for AppTokenCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match self.state.try_borrow().as_deref() {
            Ok(CacheState::Empty) => "empty",
            Ok(CacheState::Ready(_)) => "ready",
            Ok(CacheState::Fetching { .. }) => "fetching",
            Ok(CacheState::Failed { .. }) => "failed",
            Err(_) => "<being changed>",
        };
        f.debug_struct("AppTokenCache")
            .field("state", &state)
            .field("requests", &self.requests.get())
            .finish_non_exhaustive()
    }
}

impl Default for AppTokenCache {
    fn default() -> Self {
        Self {
            state: RefCell::new(CacheState::Empty),
            generations: Cell::new(0),
            requests: Cell::new(0),
        }
    }
}

/// Puts the cache back to empty if the fetching task is dropped midway (its caller gave up), so waiting
/// callers start their own request at their next look.
struct FetchGuard<'a> {
    cache: &'a AppTokenCache,
    generation: u64,
    done: bool,
}

impl Drop for FetchGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.cache.settle(self.generation, CacheState::Empty);
        }
    }
}

impl AppTokenCache {
    /// Ends request `generation` with `next`, unless a newer request has replaced it.
    fn settle(&self, generation: u64, next: CacheState) {
        let mut state = self.state.borrow_mut();
        if matches!(&*state, CacheState::Fetching { generation: current, .. } if *current == generation)
        {
            *state = next;
        }
    }

    /// A token: the cached one while it is usable (unless `force_refresh`), else one new request shared
    /// with every caller that asks while it is under way.
    pub async fn token<E: Effects>(
        &self,
        effects: &E,
        credentials: &AppCredentials,
        force_refresh: bool,
    ) -> Result<String, Failure> {
        // Longer than any one attempt may take: past it, a request is taken for abandoned.
        let abandoned_after_ms = f64::from(credentials.retry.timeout_ms) + 10_000.0;
        let mut waited_for: Option<u64> = None;
        loop {
            let now = effects.now_ms();
            let under_way = match &*self.state.borrow() {
                CacheState::Ready(token)
                    if (!force_refresh || waited_for.is_some())
                        && token.usable(now, credentials.renew_before_ms) =>
                {
                    return Ok(token.access_token.clone())
                }
                CacheState::Failed { generation, error } if waited_for == Some(*generation) => {
                    return Err(error.clone().into())
                }
                CacheState::Fetching {
                    generation,
                    started_ms,
                } if now - started_ms < abandoned_after_ms => Some(*generation),
                _ => None,
            };
            match under_way {
                Some(generation) => {
                    waited_for = Some(generation);
                    effects.sleep(POLL_MS).await.map_err(|_| Failure::Aborted)?;
                }
                None => return self.fetch(effects, credentials).await,
            }
        }
    }

    async fn fetch<E: Effects>(
        &self,
        effects: &E,
        credentials: &AppCredentials,
    ) -> Result<String, Failure> {
        let generation = self.generations.get() + 1;
        self.generations.set(generation);
        self.requests.set(self.requests.get() + 1);
        *self.state.borrow_mut() = CacheState::Fetching {
            generation,
            started_ms: effects.now_ms(),
        };
        let mut guard = FetchGuard {
            cache: self,
            generation,
            done: false,
        };
        let outcome = request_app_token(effects, credentials).await;
        guard.done = true;
        let next = match &outcome {
            Ok(token) => CacheState::Ready(token.clone()),
            Err(Failure::Error(error)) => CacheState::Failed {
                generation,
                error: error.clone(),
            },
            Err(Failure::Aborted) => CacheState::Empty,
        };
        self.settle(generation, next);
        outcome.map(|token| token.access_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawAppOptions {
        RawAppOptions {
            tenant_id: Some("contoso.onmicrosoft.com".into()),
            client_id: Some("11111111-2222-3333-4444-555555555555".into()),
            client_secret: Some("s3cr3t~+/&=value".into()),
            ..RawAppOptions::default()
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn the_request_is_a_form_post_to_the_tenants_token_endpoint() {
        let credentials = AppCredentials::from_raw(raw()).unwrap();
        let request = credentials.token_request();
        assert_eq!(
            request.url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            request.body_text(),
            Some("grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555&client_secret=s3cr3t~%2B%2F%26%3Dvalue&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default")
        );
        assert!(!format!("{credentials:?}").contains("s3cr3t"));
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn the_options_debug_output_hides_the_secret() {
        let printed = format!("{:?}", raw());
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("contoso.onmicrosoft.com"), "{printed}");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn the_credentials_debug_output_hides_the_secret() {
        let printed = format!("{:?}", AppCredentials::from_raw(raw()).unwrap());
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(
            printed.contains("11111111-2222-3333-4444-555555555555"),
            "{printed}"
        );
    }

    fn token() -> AppToken {
        AppToken {
            access_token: "eyJ0eX.secret-part.sig".into(),
            expires_at_ms: 3_600_000.0,
            lifetime_ms: 3_600_000.0,
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_tokens_debug_output_hides_the_token() {
        let printed = format!("{:?}", token());
        assert!(!printed.contains("secret-part"), "{printed}");
        assert!(printed.contains("3600000"), "{printed}");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn the_caches_debug_output_hides_its_token() {
        let cache = AppTokenCache::default();
        *cache.state.borrow_mut() = CacheState::Ready(token());
        let printed = format!("{cache:?}");
        assert!(!printed.contains("secret-part"), "{printed}");
        assert!(printed.contains("ready"), "{printed}");
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn options_are_checked() {
        let message =
            |raw: RawAppOptions| AppCredentials::from_raw(raw).unwrap_err().message.clone();
        assert!(message(RawAppOptions {
            tenant_id: Some("a/b".into()),
            ..raw()
        })
        .starts_with("options.tenantId"));
        assert!(message(RawAppOptions {
            client_secret: Some(String::new()),
            ..raw()
        })
        .starts_with("options.clientSecret"));
        assert!(message(RawAppOptions {
            authority_host: Some("http://login.example".into()),
            ..raw()
        })
        .starts_with("options.authorityHost"));
        let local = AppCredentials::from_raw(RawAppOptions {
            authority_host: Some("http://127.0.0.1:9000/".into()),
            scope: Some("api://x/.default".into()),
            ..raw()
        })
        .unwrap();
        assert_eq!(
            local.token_url,
            "http://127.0.0.1:9000/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn answers_and_errors() {
        let token =
            parse_token_answer(r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eX.abc.def"}"#, 1000.0)
                .unwrap();
        assert_eq!(token.access_token, "eyJ0eX.abc.def");
        assert_eq!(token.expires_at_ms, 1000.0 + 3_599_000.0);
        assert!(token.usable(1000.0, 300_000));
        assert!(!token.usable(1000.0 + 3_300_000.0, 300_000));
        // A one-minute token is renewed at half its life, not on every call.
        let short = parse_token_answer(r#"{"expires_in":"60","access_token":"t"}"#, 0.0).unwrap();
        assert!(short.usable(29_000.0, 300_000));
        assert!(!short.usable(30_000.0, 300_000));
        assert_eq!(
            parse_token_answer(r#"{"expires_in":60}"#, 0.0)
                .unwrap_err()
                .code,
            ErrorCode::InvalidResponse
        );

        let refused = HttpResponse {
            status: 401,
            headers: alloc::vec![],
            body: r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: s3cr3t.\r\nTrace ID: 0b1c\r\nCorrelation ID: 9f","error_codes":[7000215],"trace_id":"0b1c"}"#.into(),
        };
        let error = entra_error(&refused, "s3cr3t");
        assert_eq!(error.code, ErrorCode::Unauthorized);
        assert_eq!(error.graph_code.as_deref(), Some("invalid_client"));
        assert_eq!(error.request_id.as_deref(), Some("0b1c"));
        assert!(error.message.contains("AADSTS7000215"));
        assert!(!error.message.contains("s3cr3t"));
        assert!(!error.message.contains("Trace ID"));
    }
}
