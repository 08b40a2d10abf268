//! The one loop every Graph call goes through: token -> build -> send -> classify -> wait -> repeat.
//! It is generic over [`Effects`], so native tests drive it with a scripted server and a fake clock.

use crate::codec::text::{push_decimal, uuid_v4};
use crate::codec::url::resolve_location;
use crate::config::{ClientConfig, RetryPolicy};
use crate::error::{ErrorCode, MailboxError};
use crate::transport::{
    Effects, HttpRequest, HttpResponse, Method, SendError, TokenError, TokenRequest,
};
use crate::wire::protocol::{self, GraphCall, ImportSession};
use crate::wire::retry::{classify_status, decide, retry_after_of, Class, Decision, GiveUp};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use core::future::Future;

/// How a call ended when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The caller's signal aborted; the binding rejects with `signal.reason`.
    Aborted,
    /// The call failed; the error is what the caller is given.
    Error(MailboxError),
}

impl From<MailboxError> for Failure {
    fn from(error: MailboxError) -> Self {
        Self::Error(error)
    }
}

/// Redirect hops followed within the Graph root before giving up.
const MAX_REDIRECTS: u32 = 5;

/// A token is sent as `Bearer {token}`: it must be the bare token, visible ASCII without spaces
/// (what JWTs and MSAL tokens are), so that no header can be malformed or injected.
pub fn token_problem(token: &str) -> Option<&'static str> {
    if token.is_empty() {
        Some("is empty")
    } else if token
        .as_bytes()
        .get(..7)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"bearer "))
    {
        Some("starts with \"Bearer \": pass the bare access token")
    } else if !token.bytes().all(|b| (0x21..0x7F).contains(&b)) {
        Some("contains spaces, control or non-ASCII characters")
    } else {
        None
    }
}

fn random_unit(effects: &impl Effects) -> f64 {
    let mut bytes = [0u8; 4];
    effects.fill_random(&mut bytes);
    f64::from(u32::from_le_bytes(bytes)) / 4_294_967_296.0
}

/// A fresh version 4 UUID for `client-request-id`.
pub fn new_request_id(effects: &impl Effects) -> String {
    let mut bytes = [0u8; 16];
    effects.fill_random(&mut bytes);
    uuid_v4(bytes)
}

/// Counts kept across the attempts of one call, copied into whatever error ends it.
struct Attempts {
    sent: u32,
    retries: u32,
    client_request_id: Option<String>,
}

impl Attempts {
    fn finish(&self, mut error: MailboxError) -> Failure {
        error.attempts = self.sent;
        if error.client_request_id.is_none() {
            error.client_request_id = self.client_request_id.clone();
        }
        Failure::Error(error)
    }

    /// The failure for a request that got no usable answer and will not be retried.
    fn finish_transport(&self, failure: SendError, config: &ClientConfig, token: &str) -> Failure {
        let error = match failure {
            SendError::Aborted => return Failure::Aborted,
            SendError::HiddenRedirect => MailboxError::new(
                ErrorCode::GraphError,
                "Microsoft Graph answered with a redirect whose target this runtime hides (browsers do), so it was not followed; for a folder moved to an archive mailbox, read it through the archive's own id (resolveMailbox gives inPlaceArchiveMailboxId)",
            ),
            SendError::Timeout => {
                let mut message = String::from("Microsoft Graph did not answer within ");
                push_decimal(&mut message, u64::from(config.retry.timeout_ms));
                message.push_str(" ms");
                MailboxError::new(ErrorCode::Timeout, with_attempt_count(message, self.sent))
            }
            SendError::Network(detail) => {
                let mut message = String::from("Could not reach Microsoft Graph");
                if !detail.is_empty() {
                    message.push_str(" (");
                    message.push_str(&crate::error::redact(&detail, &[token]));
                    message.push(')');
                }
                message.push_str("; in a browser a CORS refusal looks the same");
                MailboxError::new(ErrorCode::Network, with_attempt_count(message, self.sent))
            }
        };
        self.finish(error)
    }
}

fn with_attempt_count(mut message: String, attempts: u32) -> String {
    message.push_str(" (");
    push_decimal(&mut message, u64::from(attempts));
    message.push_str(if attempts == 1 {
        " attempt)"
    } else {
        " attempts)"
    });
    message
}

/// Appended to the message of a throttling error whose `Retry-After` exceeded `maxRetryDelayMs`.
pub(crate) const TOO_LONG: &str =
    "; the service asked for a wait longer than maxRetryDelayMs, so the call was not retried";

/// What a loop does after a failed attempt.
pub(crate) enum AfterFailure {
    TryAgain,
    GiveUp(GiveUp),
}

/// The one wait of every retry loop: after a failure of `class`, takes [`decide`]'s decision and, when it
/// is to wait, sleeps and counts the retry. A bulk run that is stopping gives up instead (before or
/// during the wait) as if retries had run out. Only the caller's signal makes it fail, with
/// [`Failure::Aborted`].
pub(crate) async fn after_failure<E: Effects>(
    effects: &E,
    policy: &RetryPolicy,
    retries: &mut u32,
    class: Class,
    retry_after: Option<u64>,
) -> Result<AfterFailure, Failure> {
    let wait = match decide(class, retry_after, policy, *retries, || {
        random_unit(effects)
    }) {
        Decision::GiveUp(reason) => return Ok(AfterFailure::GiveUp(reason)),
        Decision::Wait(_) if effects.stopping() => {
            return Ok(AfterFailure::GiveUp(GiveUp::RetriesSpent))
        }
        Decision::Wait(ms) => ms,
    };
    *retries += 1;
    effects.sleep(wait).await.map_err(|_| Failure::Aborted)?;
    Ok(if effects.stopping() {
        AfterFailure::GiveUp(GiveUp::RetriesSpent)
    } else {
        AfterFailure::TryAgain
    })
}

/// A 2xx answer from Graph, with what the error for a body that turns out to be wrong needs.
#[derive(Debug, Clone)]
pub struct GraphAnswer {
    /// The 2xx response, whose body the caller parses.
    pub response: HttpResponse,
    /// HTTP attempts made for the call, retries and the token-refresh resend included.
    pub attempts: u32,
    /// The `client-request-id` sent on the attempt that succeeded.
    pub client_request_id: String,
}

impl GraphAnswer {
    /// `error` (about this answer's body) with the answer's status, ids and attempt count.
    pub fn fail(&self, mut error: MailboxError) -> Failure {
        error.status = Some(self.response.status);
        error.request_id = self.response.header("request-id").map(Into::into);
        error.client_request_id = Some(self.client_request_id.clone());
        error.attempts = self.attempts;
        Failure::Error(error)
    }
}

/// Sends `call` to Graph with the token, retrying as `api.md` says, and returns the first 2xx answer
/// (boxed: every flow passes it up through a `?` or two, and a pointer moves in one instruction).
pub fn send_to_graph<'a, E: Effects>(
    effects: &'a E,
    config: &'a ClientConfig,
    call: GraphCall,
) -> impl Future<Output = Result<Box<GraphAnswer>, Failure>> + 'a {
    // Not an `async fn`: a wrapper state machine around the one below would only add wasm.
    send_to_graph_with(effects, config, call, None)
}

/// [`send_to_graph`] with a `Prefer` header on every attempt (delta rounds ask for bigger pages).
pub async fn send_to_graph_with<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    call: GraphCall,
    prefer: Option<&str>,
) -> Result<Box<GraphAnswer>, Failure> {
    let GraphCall {
        mut method,
        mut url,
        mut body,
        safe_to_retry,
    } = call;
    let mut attempts = Attempts {
        sent: 0,
        retries: 0,
        client_request_id: None,
    };
    let mut refreshed = false;
    let mut force_refresh = false;
    let mut redirects = 0;
    loop {
        let token = match effects
            .token(&TokenRequest {
                scopes: &config.scopes,
                force_refresh,
            })
            .await
        {
            Ok(token) => token,
            Err(TokenError::Aborted) => return Err(Failure::Aborted),
            Err(failure) => {
                let mut message = String::from("The token provider ");
                match failure {
                    TokenError::Threw(detail) => {
                        message.push_str("failed: ");
                        message.push_str(&detail);
                    }
                    _ => message.push_str("returned something other than a string"),
                }
                return Err(
                    attempts.finish(MailboxError::new(ErrorCode::TokenProviderFailed, message))
                );
            }
        };
        if let Some(problem) = token_problem(&token) {
            let code = if effects.can_refresh_token() {
                ErrorCode::TokenProviderFailed
            } else {
                ErrorCode::InvalidArgument
            };
            let source = if effects.can_refresh_token() {
                "The token provider's token "
            } else {
                "options.token "
            };
            return Err(attempts.finish(MailboxError::new(code, [source, problem].concat())));
        }
        force_refresh = false;
        let client_request_id = new_request_id(effects);
        let mut headers = vec![
            ("authorization", ["Bearer ", &token].concat()),
            ("accept", "application/json".into()),
            ("client-request-id", client_request_id.clone()),
        ];
        if let Some(prefer) = prefer {
            headers.push(("prefer", prefer.into()));
        }
        if body.is_some() {
            // Graph refuses a JSON body without it (exportItems: 400 "Unable to read JSON request payload").
            headers.push(("content-type", "application/json".into()));
        }
        let request = HttpRequest {
            method,
            url: url.clone(),
            headers,
            body: body.clone(),
        };
        attempts.sent += 1;
        attempts.client_request_id = Some(client_request_id);
        // A failure that may be retried: its class, the wait the service asked for, and how the call
        // fails once retries are spent. One wait serves both kinds.
        let (class, retry_after, mut failure) = match effects
            .send(&request, config.retry.timeout_ms)
            .await
        {
            Err(failure @ (SendError::Timeout | SendError::Network(_))) if safe_to_retry => (
                Class::Transport,
                None,
                attempts.finish_transport(failure, config, &token),
            ),
            Err(failure) => return Err(attempts.finish_transport(failure, config, &token)),
            Ok(response) => match classify_status(response.status) {
                Class::Success => {
                    return Ok(Box::new(GraphAnswer {
                        response,
                        attempts: attempts.sent,
                        client_request_id: attempts.client_request_id.unwrap_or_default(),
                    }))
                }
                Class::Unauthorized if !refreshed && effects.can_refresh_token() => {
                    // One forced refresh: a cached token may have been revoked or expired early.
                    refreshed = true;
                    force_refresh = true;
                    continue;
                }
                class @ (Class::Throttled | Class::Unavailable) => (
                    class,
                    retry_after_of(&response, effects.now_ms()),
                    attempts.finish(protocol::graph_error(&response, &[&token])),
                ),
                Class::Redirect => {
                    let target = response
                        .header("location")
                        .and_then(|location| resolve_location(&url, location));
                    match target {
                        Some(next)
                            if config.is_under_graph_root(&next) && redirects < MAX_REDIRECTS =>
                        {
                            redirects += 1;
                            // 303, and 301/302 after a POST, turn into a GET without a body, as
                            // fetch does.
                            if response.status == 303
                                || (matches!(response.status, 301 | 302) && method == Method::Post)
                            {
                                method = Method::Get;
                                body = None;
                            }
                            url = next;
                            continue;
                        }
                        Some(_) if redirects >= MAX_REDIRECTS => {
                            return Err(attempts.finish(MailboxError::new(
                                ErrorCode::GraphError,
                                "Microsoft Graph redirected too many times",
                            )))
                        }
                        _ => {
                            let mut error = MailboxError::new(
                                ErrorCode::UntrustedImportUrl,
                                "Microsoft Graph redirected outside the configured graphBaseUrl; the token was not sent there",
                            );
                            error.status = Some(response.status);
                            error.request_id = response.header("request-id").map(Into::into);
                            return Err(attempts.finish(error));
                        }
                    }
                }
                Class::Unauthorized | Class::Final | Class::Transport => {
                    let mut error = protocol::graph_error(&response, &[&token]);
                    if response.status == 401 {
                        let hint = protocol::unauthorized_hint(effects.can_refresh_token());
                        error.message.push_str(hint);
                    }
                    return Err(attempts.finish(error));
                }
            },
        };
        let retries = &mut attempts.retries;
        let next = after_failure(effects, &config.retry, retries, class, retry_after).await?;
        if let AfterFailure::GiveUp(reason) = next {
            if let Failure::Error(error) = &mut failure {
                reason.annotate(error, retry_after, TOO_LONG);
            }
            return Err(failure);
        }
    }
}

/// `createImportSession`: validates the id, asks Graph for a session, and checks the importUrl.
pub async fn create_import_session<E: Effects>(
    effects: &E,
    config: &ClientConfig,
    mailbox_id: &str,
) -> Result<ImportSession, Failure> {
    let call = protocol::prepare_create_import_session(config, mailbox_id)?;
    let answer = send_to_graph(effects, config, call).await?;
    protocol::parse_import_session(config, &answer.response).map_err(|error| answer.fail(error))
}
