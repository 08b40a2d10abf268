//! [`Effects`] over the JavaScript globals: one [`JsEffects`] per client or standalone call, and one per
//! bulk run, whose own `stop` signal ends retries without aborting requests under way. (One type for
//! both, so the whole import loop is compiled once: a second `Effects` type would double it in the wasm.)

use alloc::string::String;
use core::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::host;
use super::options::{resolve, text, TokenSource};
use crate::transport::{
    Aborted, Effects, HttpRequest, HttpResponse, SendError, TokenError, TokenRequest,
};

/// The effects of one client or call (and of each bulk run): where tokens come from and which signals
/// abort or stop its work.
pub struct JsEffects {
    /// Where the access token for Graph comes from.
    pub token: TokenSource,
    /// The caller's signal from `ClientOptions`: aborts everything.
    pub signal: Option<AbortSignal>,
    /// A bulk run's signal: stops taking items and retrying, ends waits early, lets requests finish.
    pub stop: Option<AbortSignal>,
    /// What a failing token provider threw, attached as the error's `cause`.
    pub provider_error: RefCell<Option<JsValue>>,
}

// By hand: what a token provider threw may quote a credential, so only whether there is one is shown.
impl core::fmt::Debug for JsEffects {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let provider_threw = self.provider_error.try_borrow().is_ok_and(|e| e.is_some());
        f.debug_struct("JsEffects")
            .field("token", &self.token)
            .field("signal", &self.signal)
            .field("stop", &self.stop)
            .field("provider_threw", &provider_threw)
            .finish()
    }
}

impl JsEffects {
    /// Effects for a client or a standalone call: `signal` aborts everything it does.
    pub fn new(token: TokenSource, signal: Option<AbortSignal>) -> Self {
        Self {
            token,
            signal,
            stop: None,
            provider_error: RefCell::new(None),
        }
    }

    /// The same token and signal, for a bulk run that `stop` can end.
    pub fn for_run(&self, stop: Option<AbortSignal>) -> Self {
        let token = match &self.token {
            TokenSource::Fixed(token) => TokenSource::Fixed(token.clone()),
            TokenSource::Provider(provider) => TokenSource::Provider(provider.clone()),
        };
        Self {
            token,
            signal: self.signal.clone(),
            stop,
            provider_error: RefCell::new(None),
        }
    }

    fn signals(&self) -> alloc::vec::Vec<&AbortSignal> {
        self.signal.iter().collect()
    }
}

/// The error's `name` and, for MSAL errors, `errorCode`: enough to tell "interaction_required" from a bug
/// without copying a message that could quote a credential.
fn describe_thrown(value: &JsValue) -> String {
    // Read as the engine does (a thrown error's fields are often inherited), but never copying more than
    // a short, valid string.
    let field = |key: &str| {
        Reflect::get(value, &JsValue::from_str(key))
            .ok()
            .and_then(|v| text(&v))
            .filter(|s| !s.is_empty())
    };
    let mut detail = if value.is_object() {
        field("name").unwrap_or_else(|| "an error".into())
    } else {
        "a non-Error value".into()
    };
    if let Some(code) = field("errorCode") {
        detail.push_str(" (");
        detail.push_str(&code);
        detail.push(')');
    }
    // This package's own errors (from clientCredentials) never quote a credential: their code and
    // message say what went wrong, e.g. Entra refusing the secret.
    if let (Some("MailboxError"), Some(code), Some(message)) =
        (field("name").as_deref(), field("code"), field("message"))
    {
        detail.push_str(" (");
        detail.push_str(&code);
        detail.push_str(": ");
        detail.push_str(&message);
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
        host::sleep(ms, self.signal.as_ref(), self.stop.as_ref()).await
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
        let returned = resolve(&returned).map_err(threw)?;
        match host::until_aborted(returned, &self.signals()).await {
            // A token is a short string; anything else (a huge or malformed string included) is refused.
            Ok(value) => text(&value).ok_or(TokenError::NotAString),
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

    fn stopping(&self) -> bool {
        [&self.signal, &self.stop]
            .into_iter()
            .flatten()
            .any(AbortSignal::aborted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_fixed_tokens_debug_output_hides_the_token() {
        let printed = format!("{:?}", TokenSource::Fixed("eyJ0eX.fixed-token.sig".into()));
        assert!(!printed.contains("fixed-token"), "{printed}");
        assert!(printed.contains("Fixed"), "{printed}");
    }

    #[wasm_bindgen_test]
    fn the_effects_debug_output_hides_the_token_and_what_the_provider_threw() {
        let effects = JsEffects::new(TokenSource::Fixed("eyJ0eX.fixed-token.sig".into()), None);
        let thrown = js_sys::Error::new("refresh token rt-secret-value was revoked");
        *effects.provider_error.borrow_mut() = Some(thrown.into());
        let printed = format!("{effects:?}");
        assert!(!printed.contains("fixed-token"), "{printed}");
        assert!(!printed.contains("rt-secret-value"), "{printed}");
        assert!(printed.contains("provider_threw: true"), "{printed}");
    }
}
