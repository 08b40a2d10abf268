//! Values across the boundary: results and errors out as plain JavaScript objects, items in from them.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Array, ArrayBuffer, JsString, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::codec::base64;
use crate::codec::json::{write_value, Value};
use crate::error::MailboxError;
use crate::flows::bulk::{ItemResult, Progress, Report};
use crate::flows::client::Failure;
use crate::flows::reader::UserMailboxes;
use crate::wire::import_host::{import_body_with, ImportItem, ImportedItem, ItemData, Mode};
use crate::wire::pages::ExportedItem;
use crate::wire::protocol::ImportSession;

pub fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn set_str(target: &Object, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        set(target, key, &JsValue::from_str(value));
    }
}

fn set_number(target: &Object, key: &str, value: Option<f64>) {
    if let Some(value) = value {
        set(target, key, &JsValue::from_f64(value));
    }
}

pub fn get(source: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(source, &JsValue::from_str(key))
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

/// A `MailboxError` as a real JavaScript `Error` with its documented fields.
pub fn to_js_error(error: &MailboxError, cause: Option<JsValue>) -> JsValue {
    let js_error = js_sys::Error::new(&error.message);
    js_error.set_name("MailboxError");
    let object: &Object = js_error.as_ref();
    set(object, "code", &JsValue::from_str(error.code.as_str()));
    set_number(object, "status", error.status.map(f64::from));
    set_str(object, "graphCode", error.graph_code.as_deref());
    set_str(object, "requestId", error.request_id.as_deref());
    set_str(
        object,
        "clientRequestId",
        error.client_request_id.as_deref(),
    );
    set_number(
        object,
        "retryAfterMs",
        error.retry_after_ms.map(|ms| ms as f64),
    );
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

/// `signal.reason` of the first aborted signal, as `fetch` rejects; an `AbortError` if it has none.
pub fn abort_reason(signals: &[Option<&AbortSignal>]) -> JsValue {
    signals
        .iter()
        .flatten()
        .find(|s| s.aborted())
        .map(|s| s.reason())
        .filter(|reason| !reason.is_undefined())
        .unwrap_or_else(|| {
            let error = js_sys::Error::new("The operation was aborted");
            error.set_name("AbortError");
            error.into()
        })
}

/// What a promise rejects with for `failure`.
pub fn rejection(
    failure: Failure,
    signals: &[Option<&AbortSignal>],
    cause: Option<JsValue>,
) -> JsValue {
    match failure {
        Failure::Aborted => abort_reason(signals),
        Failure::Error(error) => to_js_error(&error, cause),
    }
}

pub fn session_object(session: &ImportSession) -> JsValue {
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

pub fn imported_object(item: &ImportedItem) -> JsValue {
    let object = Object::new();
    set(&object, "itemId", &JsValue::from_str(&item.item_id));
    set(&object, "changeKey", &JsValue::from_str(&item.change_key));
    object.into()
}

pub fn result_object(result: &ItemResult) -> JsValue {
    let object = Object::new();
    set(&object, "index", &JsValue::from_f64(result.index as f64));
    set(
        &object,
        "status",
        &JsValue::from_str(result.status.as_str()),
    );
    if let Some(item) = &result.imported {
        set(&object, "itemId", &JsValue::from_str(&item.item_id));
        set(&object, "changeKey", &JsValue::from_str(&item.change_key));
    }
    set_str(&object, "sourceItemId", result.source_item_id.as_deref());
    if let Some(error) = &result.error {
        set(&object, "error", &to_js_error(error, None));
    }
    object.into()
}

pub fn mailboxes_object(mailboxes: &UserMailboxes) -> JsValue {
    let object = Object::new();
    set_str(
        &object,
        "primaryMailboxId",
        Some(&mailboxes.primary_mailbox_id),
    );
    set_str(
        &object,
        "inPlaceArchiveMailboxId",
        mailboxes.in_place_archive_mailbox_id.as_deref(),
    );
    object.into()
}

/// Graph's objects as they came, as one JavaScript array: written back to JSON and parsed by the engine
/// in one call, which is smaller and faster than building each object member by member across the boundary.
pub fn json_values(values: &[Value]) -> JsValue {
    let mut text = String::from("[");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        write_value(&mut text, value);
    }
    text.push(']');
    js_sys::JSON::parse(&text).unwrap_or_else(|_| Array::new().into())
}

pub fn exported_array(items: &[ExportedItem]) -> JsValue {
    items
        .iter()
        .map(|item| {
            let object = Object::new();
            set_str(&object, "itemId", Some(&item.item_id));
            set_str(&object, "changeKey", item.change_key.as_deref());
            set_str(&object, "data", item.data.as_deref());
            if let Some((code, message)) = &item.error {
                let error = Object::new();
                set_str(&error, "code", Some(code));
                set_str(&error, "message", Some(message));
                set(&object, "error", &error);
            }
            JsValue::from(object)
        })
        .collect::<Array>()
        .into()
}

pub fn progress_object(progress: &Progress) -> JsValue {
    let object = Object::new();
    set_number(&object, "total", progress.total.map(|n| n as f64));
    set(
        &object,
        "settled",
        &JsValue::from_f64(progress.settled as f64),
    );
    set(
        &object,
        "imported",
        &JsValue::from_f64(progress.imported as f64),
    );
    set(
        &object,
        "failed",
        &JsValue::from_f64(progress.failed as f64),
    );
    set(
        &object,
        "outcomeUnknown",
        &JsValue::from_f64(progress.outcome_unknown as f64),
    );
    set(&object, "bytes", &JsValue::from_f64(progress.bytes as f64));
    object.into()
}

pub fn report_object(report: &Report) -> JsValue {
    let object = Object::new();
    set(
        &object,
        "imported",
        &JsValue::from_f64(report.progress.imported as f64),
    );
    set(
        &object,
        "failed",
        &JsValue::from_f64(report.progress.failed as f64),
    );
    set(
        &object,
        "outcomeUnknown",
        &JsValue::from_f64(report.progress.outcome_unknown as f64),
    );
    let results: Array = report.results.iter().map(result_object).collect();
    set(&object, "results", &results);
    object.into()
}

fn item_error(requirement: &str) -> MailboxError {
    MailboxError::invalid_argument(["item", requirement].concat())
}

/// A string member of an item, of valid Unicode: an id with a lone surrogate would silently become a
/// different id (U+FFFD in its place), so it is refused, as a mailbox id is.
fn optional_string(value: &JsValue, key: &str) -> Result<Option<String>, MailboxError> {
    match get(value, key) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .filter(|_| JsString::from(v.clone()).is_valid_utf16())
            .map(Some)
            .ok_or_else(|| {
                item_error(&[".", key, " must be a string of valid Unicode text"].concat())
            }),
    }
}

/// Bytes read from JavaScript per step while encoding an item: a multiple of 3, so the pieces' base64
/// joins into the whole's.
const ENCODE_CHUNK: u32 = 3 * 256 * 1024;
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

/// Reads `{ folderId, data, mode?, itemId?, changeKey? }` and builds its import body at once, encoding or
/// copying the data straight from JavaScript memory into the body: a 35 MB item costs wasm its 47 MB body
/// and a chunk, not its bytes as well. Reading at once also fixes the item as it was when given, even if the
/// caller reuses its buffer for the next one.
pub fn read_item(value: &JsValue) -> Result<ImportItem, MailboxError> {
    if !value.is_object() {
        return Err(item_error(" must be an object { folderId, data }"));
    }
    let folder_id = optional_string(value, "folderId")?
        .ok_or_else(|| item_error(".folderId must be a string"))?;
    let mode = match optional_string(value, "mode")?.as_deref() {
        None | Some("create") => Mode::Create,
        Some("update") => Mode::Update,
        Some(_) => return Err(item_error(".mode must be \"create\" or \"update\"")),
    };
    let mut item = ImportItem {
        folder_id,
        data: ItemData::Base64(String::new()),
        mode,
        item_id: optional_string(value, "itemId")?,
        change_key: optional_string(value, "changeKey")?,
    };
    let (data_len, body) = match get(value, "data") {
        Some(data) if data.is_string() => {
            let text: JsString = data.unchecked_into();
            let len = text.length() as usize;
            let body = import_body_with(&item, len, |out| copy_js_string(out, &text))?;
            (len, body)
        }
        Some(data) if ArrayBuffer::is_view(&data) || data.is_instance_of::<ArrayBuffer>() => {
            // Any typed array or DataView (Node's Buffer included): its bytes, read through the generic
            // `buffer`/`byteOffset`/`byteLength` properties every view has.
            let bytes = if ArrayBuffer::is_view(&data) {
                let number = |key| get(&data, key).and_then(|v| v.as_f64()).unwrap_or(0.0) as u32;
                let buffer = get(&data, "buffer").unwrap_or(JsValue::UNDEFINED);
                Uint8Array::new_with_byte_offset_and_length(
                    &buffer,
                    number("byteOffset"),
                    number("byteLength"),
                )
            } else {
                Uint8Array::new(&data)
            };
            let len = base64::encoded_len(bytes.length() as usize);
            let body = import_body_with(&item, len, |out| encode_js_bytes(out, &bytes))?;
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
