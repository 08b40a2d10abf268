//! Values out across the boundary: results and errors as plain JavaScript objects. (Items coming in are
//! read in [`super::source`].)

use alloc::string::String;

use js_sys::{Array, Object, Reflect};
use serde::Serialize;
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

/// Sets `target[key]`; a setter that throws is ignored (objects set here are the crate's own).
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

/// Every value going out is one of the views below, written by serde-wasm-bindgen as a plain object:
/// camelCase keys (the TypeScript declarations'), an absent field left out (never `null`), and numbers
/// as `f64`, which always serialize (a `u64` past 2^53 would be an error, and its error path a formatter).
/// The views borrow the core's values, so nothing is copied twice; the core's types stay free of serde.
fn to_js<T: Serialize>(value: &T) -> JsValue {
    // Strings, f64 and JavaScript values cannot fail to serialize.
    super::plain::to_js(value).unwrap_or(JsValue::UNDEFINED)
}

/// A JavaScript value (an `Error`) passed through as it is.
fn js_value<S: serde::Serializer>(value: &Option<JsValue>, out: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serde_wasm_bindgen::preserve::serialize(value, out),
        None => out.serialize_none(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionView<'a> {
    import_url: &'a str,
    expiration_date_time: &'a str,
}

/// `{ importUrl, expirationDateTime }`: a `MailboxItemImportSession`, exactly Graph's two fields.
pub fn session_object(session: &ImportSession) -> JsValue {
    to_js(&SessionView {
        import_url: &session.import_url,
        expiration_date_time: &session.expiration_date_time,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportedView<'a> {
    item_id: &'a str,
    change_key: &'a str,
}

/// `{ itemId, changeKey }`: an `ImportedItem`.
pub fn imported_object(item: &ImportedItem) -> JsValue {
    to_js(&ImportedView {
        item_id: &item.item_id,
        change_key: &item.change_key,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultView<'a> {
    index: f64,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_item_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "js_value")]
    error: Option<JsValue>,
}

impl<'a> ResultView<'a> {
    fn of(result: &'a ItemResult) -> Self {
        ResultView {
            index: result.index as f64,
            status: result.status.as_str(),
            item_id: result.imported.as_ref().map(|item| item.item_id.as_str()),
            change_key: result
                .imported
                .as_ref()
                .map(|item| item.change_key.as_str()),
            source_item_id: result.source_item_id.as_deref(),
            error: result.error.as_ref().map(|error| to_js_error(error, None)),
        }
    }
}

/// An `ItemResult`: `{ index, status, itemId?, changeKey?, sourceItemId?, error? }`.
pub fn result_object(result: &ItemResult) -> JsValue {
    to_js(&ResultView::of(result))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MailboxesView<'a> {
    primary_mailbox_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_place_archive_mailbox_id: Option<&'a str>,
}

/// `resolveMailbox`'s answer: `{ primaryMailboxId, inPlaceArchiveMailboxId? }`.
pub fn mailboxes_object(mailboxes: &UserMailboxes) -> JsValue {
    to_js(&MailboxesView {
        primary_mailbox_id: &mailboxes.primary_mailbox_id,
        in_place_archive_mailbox_id: mailboxes.in_place_archive_mailbox_id.as_deref(),
    })
}

/// Values the core read and changed (a folder tree's folders, each with its path added), whose shape is
/// Graph's and not ours, as one JavaScript array: written back to JSON and parsed by the engine in one
/// call, which is smaller and faster than building each object member by member across the boundary.
/// (Listings that change nothing skip the tree: [`JsListing`].)
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

/// A listing's pages gathered into one JavaScript array. Each page's `value` array is parsed by the
/// engine from the text Graph sent, once: nothing of it is built or copied in wasm on the way. (So a
/// lone surrogate escape in a name arrives as `JSON.parse` reads it, not as the core's U+FFFD.)
#[derive(Debug, Default)]
pub struct JsListing {
    pages: Vec<JsValue>,
}

impl JsListing {
    /// Adds a page's `value` array, given as its JSON text (checked by the core).
    pub fn push(&mut self, page: &str) {
        self.pages
            .push(js_sys::JSON::parse(page).unwrap_or_else(|_| Array::new().into()));
    }

    /// Every page's values, in order: the one page as it is, or the pages joined by `flat()`.
    pub fn into_array(mut self) -> JsValue {
        if self.pages.len() == 1 {
            return self.pages.pop().unwrap_or_default();
        }
        self.pages.iter().collect::<Array>().flat(1).into()
    }
}

#[derive(Serialize)]
struct ExportErrorView<'a> {
    code: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportedView<'a> {
    item_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    change_key: Option<&'a str>,
    /// The base64 text as Graph sent it: one copy, into a JavaScript string.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ExportErrorView<'a>>,
}

/// Exported items as JavaScript objects, each item freed as soon as it is out: its `data` is copied once,
/// from the string the export was decoded into, into a JavaScript string.
pub fn exported_array(items: Vec<ExportedItem>) -> JsValue {
    let array = Array::new();
    for item in items {
        let view = ExportedView {
            item_id: &item.item_id,
            change_key: item.change_key.as_deref(),
            data: item.data.as_deref(),
            error: item
                .error
                .as_ref()
                .map(|(code, message)| ExportErrorView { code, message }),
        };
        array.push(&to_js(&view));
    }
    array.into()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgressView {
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<f64>,
    settled: f64,
    imported: f64,
    failed: f64,
    outcome_unknown: f64,
    bytes: f64,
}

/// A `Progress`: `{ total?, settled, imported, failed, outcomeUnknown, bytes }`.
pub fn progress_object(progress: &Progress) -> JsValue {
    to_js(&ProgressView {
        total: progress.total.map(|n| n as f64),
        settled: progress.settled as f64,
        imported: progress.imported as f64,
        failed: progress.failed as f64,
        outcome_unknown: progress.outcome_unknown as f64,
        bytes: progress.bytes as f64,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportView<'a> {
    imported: f64,
    failed: f64,
    outcome_unknown: f64,
    results: Vec<ResultView<'a>>,
}

/// An `ImportReport`: `{ imported, failed, outcomeUnknown, results }`.
pub fn report_object(report: &Report) -> JsValue {
    to_js(&ReportView {
        imported: report.progress.imported as f64,
        failed: report.progress.failed as f64,
        outcome_unknown: report.progress.outcome_unknown as f64,
        results: report.results.iter().map(ResultView::of).collect(),
    })
}
