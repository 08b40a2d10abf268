//! How every export answers: a promise that never throws, and what it rejects with (a `MailboxError`, or
//! for a client's call the abort reason and the token provider's error as `cause`).

use alloc::boxed::Box;
use core::future::Future;
use core::pin::Pin;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::convert::{rejection, to_js_error};
use super::effects::JsEffects;
use crate::error::MailboxError;
use crate::flows::client::Failure;

/// A promise for `future`. Boxed, so wasm-bindgen-futures' task and promise machinery is compiled once
/// rather than once per export (each copy inlined the export's whole body): kilobytes of wasm.
pub(super) fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    future_to_promise_boxed(Box::pin(future))
}

fn future_to_promise_boxed(
    future: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>,
) -> Promise {
    future_to_promise(future)
}

/// What a call rejects with for bad input found before any request.
pub(super) fn reject(error: MailboxError) -> JsValue {
    to_js_error(&error, None)
}

impl JsEffects {
    /// What a call of this client rejects with.
    pub(super) fn reject(&self, failure: Failure) -> JsValue {
        let cause = self.provider_error.borrow_mut().take();
        rejection(failure, &[self.signal.as_ref()], cause)
    }
}
