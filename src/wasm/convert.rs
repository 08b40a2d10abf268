//! Values out across the boundary: results and errors as plain JavaScript objects. (Items coming in are
//! read in [`super::source`].)

use alloc::string::String;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::codec::json::{write_value, Value};
use crate::error::MailboxError;
use crate::flows::bulk::{ItemResult, Progress, Report};
use crate::flows::client::Failure;
use crate::flows::reader::UserMailboxes;
use crate::wire::import_host::ImportedItem;
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
