//! A JavaScript iterable or async iterable as an [`ItemSource`], its entries read as items, and
//! `onResult`/`onProgress` as an [`Observer`].
//!
//! Nothing a caller passes can throw past this module: an iterator, a step, an item, a getter or a
//! buffer that throws becomes a rejection or the item's `invalidArgument` (see [`super::options`] for the
//! rules every read follows).

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::OnceCell;

use js_sys::{ArrayBuffer, DataView, Function, JsString, Reflect, Symbol, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use super::convert::{progress_object, result_object, to_js_error};
use super::host;
use super::options::{own, resolve, text};

use crate::codec::base64;
use crate::error::MailboxError;
use crate::flows::bulk::{ItemResult, ItemSource, NextItem, Observer, Progress, Pulled};
use crate::wire::import_host::{import_body_with, ImportItem, ItemData, Mode};

#[wasm_bindgen]
extern "C" {
    /// A Uint8Array built by the binding below.
    #[wasm_bindgen(js_name = Uint8Array)]
    type ByteView;
    /// `new Uint8Array(buffer, byteOffset, byteLength)`, which throws for a detached buffer or a range
    /// outside it.
    #[wasm_bindgen(catch, constructor, js_class = "Uint8Array")]
    fn new(
        buffer: &JsValue,
        byte_offset: &JsValue,
        byte_length: &JsValue,
    ) -> Result<ByteView, JsValue>;
}

fn new_byte_view(
    buffer: &JsValue,
    byte_offset: &JsValue,
    byte_length: &JsValue,
) -> Result<Uint8Array, JsValue> {
    ByteView::new(buffer, byte_offset, byte_length).map(JsCast::unchecked_into)
}

/// Pulls one entry at a time from `items[Symbol.asyncIterator]()` or `items[Symbol.iterator]()`.
#[derive(Debug)]
pub struct JsItems {
    iterator: JsValue,
    next: Function,
    /// From `Symbol.iterator`: its steps are read as they come, without a trip through a promise.
    sync: bool,
    /// Signals that end a pull that is still waiting on a slow generator.
    stop: Vec<AbortSignal>,
    /// The iterator said it is done, or threw: it must not be closed.
    finished: bool,
    /// What the iterator threw, for the run to reject with.
    pub thrown: Option<JsValue>,
}

impl JsItems {
    /// Starts iterating `items` (async iterator first); `invalidArgument` when it is not iterable. `stop`
    /// ends a pull still waiting on the iterator.
    pub fn new(items: &JsValue, stop: Vec<AbortSignal>) -> Result<Self, MailboxError> {
        let not_iterable = || {
            MailboxError::invalid_argument(
                "items must be an iterable or an async iterable of items",
            )
        };
        if !items.is_object() {
            return Err(not_iterable());
        }
        let (sync, method) = [
            (false, Symbol::async_iterator()),
            (true, Symbol::iterator()),
        ]
        .into_iter()
        .find_map(|(sync, symbol)| {
            let method = Reflect::get(items, &symbol).ok();
            Some((sync, method.filter(|m| m.is_function())?))
        })
        .ok_or_else(not_iterable)?;
        let iterator = method
            .unchecked_into::<Function>()
            .call0(items)
            .map_err(|_| not_iterable())?;
        let next = Reflect::get(&iterator, &JsValue::from_str("next"))
            .ok()
            .filter(|n| n.is_function())
            .ok_or_else(not_iterable)?;
        Ok(Self {
            iterator,
            next: next.unchecked_into(),
            sync,
            stop,
            finished: false,
            thrown: None,
        })
    }

    /// Calls the iterator's `return()` when the run ended before the iterator did, as `for await` does
    /// on `break` or `throw`, so the caller's `finally` blocks run. Its outcome is not waited for: an
    /// async generator answers `return()` only after a `next()` still pending, which may never come.
    pub fn close(&mut self) {
        if core::mem::replace(&mut self.finished, true) {
            return;
        }
        let Ok(method) = Reflect::get(&self.iterator, &JsValue::from_str("return")) else {
            return;
        };
        let Some(method) = method.dyn_ref::<Function>() else {
            return;
        };
        if let Ok(returned) = method.call0(&self.iterator) {
            // A rejection of what return() gave must not surface as an unhandled rejection.
            let _ = js_sys::Promise::all_settled(&js_sys::Array::of1(&returned));
        }
    }

    fn failed(&mut self, error: JsValue) -> Pulled {
        self.finished = true;
        self.thrown = Some(error);
        Pulled::Failed
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
            Err(error) => return self.failed(error),
        };
        // Sync iterators return the step itself, read at once: no trip through a promise and a task
        // wake-up per item. Async ones return a promise of it, awaited until a stop signal aborts.
        let step = if self.sync {
            step
        } else {
            let step = match resolve(&step) {
                Ok(step) => step,
                Err(error) => return self.failed(error),
            };
            let signals: Vec<&AbortSignal> = self.stop.iter().collect();
            match host::until_aborted(step, &signals).await {
                Ok(step) => step,
                Err(None) => return Pulled::End,
                Err(Some(error)) => return self.failed(error),
            }
        };
        if !step.is_object() {
            let error = MailboxError::invalid_argument(
                "the items' iterator returned a result that is not an object",
            );
            return self.failed(to_js_error(&error, None));
        }
        // A step is read as `for await` reads it: inherited properties count.
        let done = match DONE.with(|key| Reflect::get(&step, key)) {
            Ok(done) => done,
            Err(error) => return self.failed(error),
        };
        if done.is_truthy() {
            self.finished = true;
            return Pulled::End;
        }
        let value = match VALUE.with(|key| Reflect::get(&step, key)) {
            Ok(value) => value,
            Err(error) => return self.failed(error),
        };
        match read_item(&value) {
            Ok(item) => Pulled::Item(item, None),
            Err(error) => Pulled::Invalid(error, None),
        }
    }
}

/// Calls `onResult(result)` then `onProgress(progress)` as each item settles. A callback that throws
/// stops the run; what it threw is what the run rejects with.
#[derive(Debug)]
pub struct JsObserver {
    /// `onResult`, if the caller gave one.
    pub on_result: Option<Function>,
    /// `onProgress`, if the caller gave one.
    pub on_progress: Option<Function>,
    /// What a callback threw, for the run to reject with.
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

/// Declares each name as a JavaScript string made once (`thread_local_v2, static_string`): a name passed
/// as `&str` becomes a new string (a UTF-8 decode) on every read, a dozen times per item. A macro rather
/// than the attribute written out per name, which rustfmt would also strip of its value.
macro_rules! property_names {
    ($($key:ident = $name:tt),* $(,)?) => {
        #[wasm_bindgen]
        extern "C" {
            $(
                #[wasm_bindgen(thread_local_v2, static_string)]
                static $key: JsString = $name;
            )*
        }
    };
}

// The property names read from every step and item.
property_names! {
    DONE = "done",
    VALUE = "value",
    FOLDER_ID = "folderId",
    MODE = "mode",
    ITEM_ID = "itemId",
    CHANGE_KEY = "changeKey",
    DATA = "data",
}

/// A property name, as one of the strings above; messages read the name back from it.
type Key = &'static wasm_bindgen::JsThreadLocal<JsString>;

/// `key` as Rust text, for a message.
fn key_name(key: Key) -> String {
    key.with(|name| String::from(name))
}

fn item_error(requirement: &str) -> MailboxError {
    MailboxError::invalid_argument(["item", requirement].concat())
}

/// An item's own member `key`; a getter or trap that throws makes the item invalid.
fn member(item: &JsValue, key: Key) -> Result<Option<JsValue>, MailboxError> {
    key.with(|name| own(item, name)).map_err(|_| {
        item_error(&[".", &key_name(key), " could not be read: reading it threw"].concat())
    })
}

fn optional_string(item: &JsValue, key: Key) -> Result<Option<String>, MailboxError> {
    member(item, key)?
        .map(|value| {
            text(&value).ok_or_else(|| {
                item_error(
                    &[
                        ".",
                        &key_name(key),
                        " must be a string of valid Unicode text, at most 65536 characters",
                    ]
                    .concat(),
                )
            })
        })
        .transpose()
}

/// The longest string JavaScript engines build (V8's, the smallest: 2^29 - 24 UTF-16 units). An import
/// body is sent as one string, so a body longer than this could not be sent at all.
pub const MAX_JS_STRING: usize = (1 << 29) - 24;

/// Bytes read from JavaScript per step while encoding an item: a multiple of 3, so the pieces' base64
/// joins into the whole's.
pub const ENCODE_CHUNK: u32 = 3 * 256 * 1024;
/// UTF-16 units of a base64 string copied per step.
const COPY_CHUNK: u32 = 1024 * 1024;

/// Appends the base64 of a JavaScript byte array, a chunk at a time: wasm never holds the raw bytes whole.
fn encode_js_bytes(out: &mut Vec<u8>, bytes: &Uint8Array) {
    let len = bytes.length();
    let mut piece = alloc::vec![0u8; ENCODE_CHUNK.min(len) as usize];
    let mut at = 0;
    while at < len {
        let end = (at + ENCODE_CHUNK).min(len);
        let piece = &mut piece[..(end - at) as usize];
        bytes.subarray(at, end).copy_to(piece);
        base64::encode_into(out, piece);
        at = end;
    }
}

/// Appends a JavaScript string (base64, so ASCII when valid), a chunk at a time.
fn copy_js_string(out: &mut Vec<u8>, text: &JsString) {
    let len = text.length();
    let mut at = 0;
    while at < len {
        let end = (at + COPY_CHUNK).min(len);
        if let Some(piece) = JsValue::from(text.substring(at, end)).as_string() {
            out.extend_from_slice(piece.as_bytes());
        }
        at = end;
    }
}

thread_local! {
    /// The engine's own `buffer`, `byteOffset` and `byteLength` getters of %TypedArray%.prototype (above
    /// Uint8Array.prototype) and of DataView.prototype, looked up once rather than for every item.
    static VIEW_GETTERS: [OnceCell<[Function; 3]>; 2] = const { [OnceCell::new(), OnceCell::new()] };
}

/// The `buffer`, `byteOffset` and `byteLength` getters of %TypedArray%.prototype or, with `data_view`, of
/// DataView.prototype, found through a sample of each.
fn view_getters(data_view: bool) -> Result<[Function; 3], JsValue> {
    let sample: JsValue = if data_view {
        DataView::new(&ArrayBuffer::new(0), 0, 0).into()
    } else {
        Uint8Array::new_with_length(0).into()
    };
    let mut prototype = Reflect::get_prototype_of(&sample)?;
    if !data_view {
        prototype = Reflect::get_prototype_of(&prototype)?;
    }
    let getter = |key: &str| -> Result<Function, JsValue> {
        let descriptor = Reflect::get_own_property_descriptor(&prototype, &JsValue::from_str(key))?;
        Reflect::get(&descriptor, &JsValue::from_str("get"))?.dyn_into()
    };
    Ok([
        getter("buffer")?,
        getter("byteOffset")?,
        getter("byteLength")?,
    ])
}

/// A view over what `data` really holds, read through the getters of %TypedArray%.prototype or, with
/// `data_view`, of DataView.prototype: what the engine knows, whatever a subclass or an own property of
/// `data` claims.
fn intrinsic_view(data: &JsValue, data_view: bool) -> Result<Uint8Array, JsValue> {
    VIEW_GETTERS.with(|cells| {
        let cell = &cells[usize::from(data_view)];
        let getters = match cell.get() {
            Some(getters) => getters,
            None => {
                let found = view_getters(data_view)?;
                cell.get_or_init(|| found)
            }
        };
        let [buffer, offset, length] = getters;
        new_byte_view(
            &buffer.call0(data)?,
            &offset.call0(data)?,
            &length.call0(data)?,
        )
    })
}

/// The bytes of a typed array, a DataView or an ArrayBuffer, as a Uint8Array over the same memory. Read
/// through the engine's own getters, so a view whose `byteLength` lies reads what it really holds; a
/// detached (transferred) buffer is refused.
fn bytes_of(data: &JsValue) -> Result<Uint8Array, MailboxError> {
    let unreadable = |thrown: JsValue| {
        item_error(if thrown.is_instance_of::<js_sys::RangeError>() {
            ".data's byteOffset and byteLength do not fit its buffer"
        } else {
            ".data could not be read: its buffer is detached (transferred) or it is not a real typed array"
        })
    };
    if !ArrayBuffer::is_view(data) {
        return new_byte_view(data, &JsValue::from_f64(0.0), &JsValue::UNDEFINED)
            .map_err(unreadable);
    }
    intrinsic_view(data, false).or_else(|first| {
        intrinsic_view(data, true).map_err(|second| {
            unreadable(if data.is_instance_of::<DataView>() {
                second
            } else {
                first
            })
        })
    })
}

/// Refuses an item whose import body would be longer than a JavaScript string can be.
fn check_body_length(item: &ImportItem, data_len: usize) -> Result<(), MailboxError> {
    // Each text field takes at most 6 bytes per UTF-8 byte once escaped in JSON; 128 for the rest.
    let fields = item.folder_id.len()
        + item.item_id.as_ref().map_or(0, String::len)
        + item.change_key.as_ref().map_or(0, String::len);
    if data_len.saturating_add(6 * fields + 128) > MAX_JS_STRING {
        return Err(item_error(
            ".data is too large: its base64 would make an import body longer than the longest string \
             JavaScript engines can send (536,870,888 characters, about 402 MB of raw data)",
        ));
    }
    Ok(())
}

/// Reads `{ folderId, data, mode?, itemId?, changeKey? }` (own properties only) and builds its import body
/// at once, encoding or copying the data straight from JavaScript memory into the body: a 35 MB item costs
/// wasm its 47 MB body and a chunk, not its bytes as well. Reading at once also fixes the item as it was
/// when given, even if the caller reuses its buffer for the next one.
pub fn read_item(value: &JsValue) -> Result<ImportItem, MailboxError> {
    if !value.is_object() {
        return Err(item_error(" must be an object { folderId, data }"));
    }
    let folder_id = optional_string(value, &FOLDER_ID)?
        .ok_or_else(|| item_error(".folderId must be a string"))?;
    let mode = match optional_string(value, &MODE)?.as_deref() {
        None | Some("create") => Mode::Create,
        Some("update") => Mode::Update,
        Some(_) => return Err(item_error(".mode must be \"create\" or \"update\"")),
    };
    let mut item = ImportItem {
        folder_id,
        data: ItemData::Base64(String::new()),
        mode,
        item_id: optional_string(value, &ITEM_ID)?,
        change_key: optional_string(value, &CHANGE_KEY)?,
    };
    let (data_len, body) = match member(value, &DATA)? {
        Some(data) if data.is_string() => {
            let text: JsString = data.unchecked_into();
            let len = text.length() as usize;
            check_body_length(&item, len)?;
            let body = import_body_with(&item, len, false, |out| copy_js_string(out, &text))?;
            (len, body)
        }
        Some(data) if ArrayBuffer::is_view(&data) || data.is_instance_of::<ArrayBuffer>() => {
            // Any typed array or DataView (Node's Buffer included), or an ArrayBuffer.
            let bytes = bytes_of(&data)?;
            let len = base64::encoded_len(bytes.length() as usize);
            check_body_length(&item, len)?;
            let body = import_body_with(&item, len, true, |out| encode_js_bytes(out, &bytes))?;
            (len, body)
        }
        _ => {
            return Err(item_error(
                ".data must be a Uint8Array, an ArrayBuffer or a base64 string",
            ))
        }
    };
    item.data = ItemData::Prepared {
        body: Rc::new(body),
        data_len,
    };
    Ok(item)
}
