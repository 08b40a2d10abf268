//! The host's effects bound to JavaScript globals: `fetch`, `setTimeout`, `Date.now` and
//! `crypto.getRandomValues`. Globals, never `window`, so one build runs in pages, workers, Node and workerd.

use alloc::string::String;
use alloc::vec::Vec;
use gloo_net::http::Response;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, RequestInit, RequestRedirect, ResponseType};

use crate::transport::{Aborted, HttpRequest, HttpResponse, SendError, RESPONSE_HEADERS};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Promise;
    /// Returns a number in browsers and workerd, a `Timeout` object in Node: kept opaque.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
    #[wasm_bindgen(js_namespace = Object, js_name = create)]
    fn create_object(prototype: &JsValue) -> JsValue;
}

/// Fills `buf` from `crypto.getRandomValues`.
pub fn fill_random(buf: &mut [u8]) {
    get_random_values(buf);
}

/// `Date.now()`: milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// While alive, `callback` is registered for the signal's `abort` event; dropping it unregisters it, so
/// nothing fires after the call it guarded has settled.
struct AbortListener {
    signal: AbortSignal,
    callback: Function,
}

impl AbortListener {
    fn new(signal: &AbortSignal, callback: Function) -> Self {
        let _ = signal.add_event_listener_with_callback("abort", &callback);
        Self {
            signal: signal.clone(),
            callback,
        }
    }
}

impl Drop for AbortListener {
    fn drop(&mut self) {
        let _ = self
            .signal
            .remove_event_listener_with_callback("abort", &self.callback);
    }
}

/// A timer cleared when dropped.
struct Timer(JsValue);

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.0);
    }
}

/// Awaits `promise`, or gives up as soon as any of `signals` aborts. `Err(None)` means aborted;
/// `Err(Some(e))` is the promise's own rejection.
pub async fn until_aborted(
    promise: Promise,
    signals: &[&AbortSignal],
) -> Result<JsValue, Option<JsValue>> {
    if signals.iter().any(|s| s.aborted()) {
        return Err(None);
    }
    if signals.is_empty() {
        return JsFuture::from(promise).await.map_err(Some);
    }
    let mut listeners = Vec::new();
    let aborted = Promise::new(&mut |_resolve, reject| {
        listeners.extend(
            signals
                .iter()
                .map(|s| AbortListener::new(s, reject.clone())),
        );
    });
    let race = Promise::race(&js_sys::Array::of2(&promise, &aborted));
    let result = JsFuture::from(race).await;
    drop(listeners);
    match result {
        Err(_) if signals.iter().any(|s| s.aborted()) => Err(None),
        other => other.map_err(Some),
    }
}

/// Waits `ms`, ending early without error when `interrupt` aborts (a bulk run stopping), and failing
/// when `abort` does (the caller's signal). The timer is cleared either way, so an ended wait does not
/// keep a Node process alive.
pub async fn sleep(
    ms: u64,
    abort: Option<&AbortSignal>,
    interrupt: Option<&AbortSignal>,
) -> Result<(), Aborted> {
    if abort.is_some_and(AbortSignal::aborted) {
        return Err(Aborted);
    }
    if interrupt.is_some_and(AbortSignal::aborted) {
        return Ok(());
    }
    let mut timer = None;
    let mut early = None;
    let elapsed = Promise::new(&mut |resolve, _reject| {
        timer = Some(Timer(set_timeout(&resolve, ms as f64)));
        early = interrupt.map(|signal| AbortListener::new(signal, resolve));
    });
    let signals: Vec<&AbortSignal> = abort.into_iter().collect();
    let result = until_aborted(elapsed, &signals).await;
    drop(timer);
    drop(early);
    result.map(drop).map_err(|_| Aborted)
}

/// The text of a `fetch` rejection, with Node's `cause.code` (`ECONNRESET`, `UND_ERR_SOCKET`) when present.
/// Any value is read safely: a rejection need not be an `Error`. Neither part holds the request's URL or
/// headers.
fn network_detail(error: &JsValue) -> String {
    let text = |value: &JsValue, key: &str| {
        Reflect::get(value, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    let mut detail = text(error, "message").unwrap_or_default();
    if let Some(code) = Reflect::get(error, &JsValue::from_str("cause"))
        .ok()
        .and_then(|cause| text(&cause, "code"))
    {
        detail.push_str(": ");
        detail.push_str(&code);
    }
    detail
}

/// `AbortController.prototype.abort`, and the reason every attempt's controller aborts with: an `Error`,
/// so an abort listener called with the `abort` Event cannot make that Event the reason `fetch` rejects
/// with. One for the life of the module: an `Error` per request would capture a stack each time, a cost
/// seen per item in bulk runs; callers never see it (they get their own signal's reason, or `timeout`).
struct AbortParts {
    abort: Function,
    reason: JsValue,
}

thread_local! {
    static ABORT: core::cell::OnceCell<AbortParts> = const { core::cell::OnceCell::new() };
}

/// `controller.abort(reason)` as a function that ignores its arguments.
fn abort_function(controller: &AbortController) -> Function {
    ABORT.with(|cell| {
        let parts = cell.get_or_init(|| {
            let reason = js_sys::Error::new("aborted");
            reason.set_name("AbortError");
            AbortParts {
                abort: Reflect::get(controller, &JsValue::from_str("abort"))
                    .unwrap_or(JsValue::UNDEFINED)
                    .unchecked_into(),
                reason: reason.into(),
            }
        });
        parts
            .abort
            .bind1(controller, &parts.reason)
            .unchecked_into()
    })
}

/// One attempt: `fetch` with `redirect: "manual"` (redirects are judged by the core, never followed
/// blindly with the token) and an AbortController that fires, with an `Error` as its reason, on the
/// timeout or the caller's signal. The timeout covers reading the body too.
///
/// The answer is gloo-net's [`Response`]. The request is sent with the global `fetch(url, init)`, rather
/// than through gloo's `RequestBuilder` and `Request::send`, for four reasons:
/// the builder rebuilds the URL through `URL.search`, which re-escapes an importUrl's query (its `'`
/// becomes `%27`), and the importUrl must reach the host byte for byte; `send` and gloo's body readers
/// turn a rejection into an error through `unreachable!()` when it is not an `Error` (a polyfill, an
/// abort reason of any value), a trap; and they keep only its name and message, dropping Node's
/// `cause.code`, the one clue to what failed on the network; and a `Request` built first and then
/// fetched is parsed twice, a cost seen per item. The body is read here for the same reasons as `send`.
pub async fn send(
    request: &HttpRequest,
    timeout_ms: u32,
    signal: Option<&AbortSignal>,
) -> Result<HttpResponse, SendError> {
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(SendError::Aborted);
    }
    let network = |e: JsValue| SendError::Network(network_detail(&e));
    let controller = AbortController::new().map_err(network)?;
    // A plain record rather than a `Headers`: fetch validates each header once either way, and a
    // `Headers` built first costs a validated `append` per header and is then copied entry by entry.
    // No prototype, so no setter inherited from a polluted `Object.prototype` sees a header.
    let headers = create_object(&JsValue::NULL);
    for (name, value) in &request.headers {
        Reflect::set(
            &headers,
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        )
        .map_err(network)?;
    }
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(&controller.signal()));
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }

    let abort = abort_function(&controller);
    let _timer = Timer(set_timeout(&abort, f64::from(timeout_ms)));
    let _forward = signal.map(|s| AbortListener::new(s, abort));

    let outcome = async {
        let response = Response::from(
            JsFuture::from(global_fetch(&request.url, &init))
                .await?
                .unchecked_into::<web_sys::Response>(),
        );
        if response.type_() == ResponseType::Opaqueredirect {
            return Ok(None);
        }
        let response_headers = response.headers();
        let headers = RESPONSE_HEADERS
            .iter()
            .filter_map(|name| {
                response_headers
                    .get(name)
                    .map(|value| ((*name).into(), value))
            })
            .collect();
        let status = response.status();
        let raw = web_sys::Response::from(response);
        let body = JsFuture::from(raw.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        Ok::<_, JsValue>(Some(HttpResponse {
            status,
            headers,
            body,
        }))
    }
    .await;

    match outcome {
        Ok(Some(response)) => Ok(response),
        Ok(None) => Err(SendError::HiddenRedirect),
        Err(_) if signal.is_some_and(AbortSignal::aborted) => Err(SendError::Aborted),
        Err(_) if controller.signal().aborted() => Err(SendError::Timeout),
        Err(error) => Err(network(error)),
    }
}
