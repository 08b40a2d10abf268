//! A JavaScript iterable or async iterable as an [`ItemSource`], and `onResult`/`onProgress` as an
//! [`Observer`].

use alloc::vec::Vec;

use js_sys::{Function, Promise, Reflect, Symbol};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use super::convert::{get, progress_object, read_item, result_object};
use super::host;
use alloc::boxed::Box;

use crate::error::MailboxError;
use crate::flows::bulk::{ItemResult, ItemSource, NextItem, Observer, Progress, Pulled};

/// Pulls one entry at a time from `items[Symbol.asyncIterator]()` or `items[Symbol.iterator]()`.
pub struct JsItems {
    iterator: JsValue,
    next: Function,
    /// Signals that end a pull that is still waiting on a slow generator.
    stop: Vec<AbortSignal>,
    /// What the iterator threw, for the run to reject with.
    pub thrown: Option<JsValue>,
}

impl JsItems {
    pub fn new(items: &JsValue, stop: Vec<AbortSignal>) -> Result<JsItems, MailboxError> {
        let not_iterable = || {
            MailboxError::invalid_argument(
                "items must be an iterable or an async iterable of items",
            )
        };
        if !items.is_object() {
            return Err(not_iterable());
        }
        let method = [Symbol::async_iterator(), Symbol::iterator()]
            .iter()
            .find_map(|symbol| Reflect::get(items, symbol).ok().filter(|m| m.is_function()))
            .ok_or_else(not_iterable)?;
        let iterator = method
            .unchecked_into::<Function>()
            .call0(items)
            .map_err(|_| not_iterable())?;
        let next = get(&iterator, "next")
            .filter(|n| n.is_function())
            .ok_or_else(not_iterable)?;
        Ok(JsItems {
            iterator,
            next: next.unchecked_into(),
            stop,
            thrown: None,
        })
    }
}

impl ItemSource for JsItems {
    fn next(&mut self) -> NextItem<'_> {
        Box::pin(self.pull())
    }
}

impl JsItems {
    async fn pull(&mut self) -> Pulled {
        let step = match self.next.call0(&self.iterator) {
            Ok(step) => step,
            Err(error) => {
                self.thrown = Some(error);
                return Pulled::Failed;
            }
        };
        // Sync iterators return the step itself; async ones a promise of it. Resolving covers both.
        let signals: Vec<&AbortSignal> = self.stop.iter().collect();
        let step = match host::until_aborted(Promise::resolve(&step), &signals).await {
            Ok(step) => step,
            Err(None) => return Pulled::End,
            Err(Some(error)) => {
                self.thrown = Some(error);
                return Pulled::Failed;
            }
        };
        if get(&step, "done").is_some_and(|done| done.is_truthy()) {
            return Pulled::End;
        }
        match read_item(&get(&step, "value").unwrap_or(JsValue::UNDEFINED)) {
            Ok(item) => Pulled::Item(item, None),
            Err(error) => Pulled::Invalid(error, None),
        }
    }
}

/// Calls `onResult(result)` then `onProgress(progress)` as each item settles. A callback that throws
/// stops the run; what it threw is what the run rejects with.
pub struct JsObserver {
    pub on_result: Option<Function>,
    pub on_progress: Option<Function>,
    pub thrown: Option<JsValue>,
}

impl Observer for JsObserver {
    fn settled(&mut self, result: &ItemResult, progress: &Progress) -> bool {
        // Objects are only built for callbacks that exist.
        let mut outcome = Ok(JsValue::UNDEFINED);
        if let Some(on_result) = &self.on_result {
            outcome = on_result.call1(&JsValue::UNDEFINED, &result_object(result));
        }
        if let (Ok(_), Some(on_progress)) = (&outcome, &self.on_progress) {
            outcome = on_progress.call1(&JsValue::UNDEFINED, &progress_object(progress));
        }
        match outcome {
            Ok(_) => true,
            Err(error) => {
                self.thrown.get_or_insert(error);
                false
            }
        }
    }
}
