//! Reading what callers pass (`ClientOptions`, `BulkOptions`, `clientCredentials`' options, ids and
//! arrays) off JavaScript values: types here, meaning in [`crate::config`].
//!
//! Two rules hold for every read, so no caller's value can crash a call or steer it:
//! - only own properties are read, never inherited ones: a polluted `Object.prototype.graphBaseUrl` cannot
//!   send a token elsewhere;
//! - every JavaScript operation that can throw (a getter, a Proxy trap, `Array.isArray` on a revoked
//!   Proxy) goes through a binding that catches, and what it threw becomes an `invalidArgument`.
//!
//! Strings are taken only when they are valid Unicode (a lone surrogate would silently become U+FFFD, a
//! different value from the one given) and at most [`MAX_TEXT`] long.

use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Function, JsString, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use crate::config::RawOptions;
use crate::error::MailboxError;

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray`, which throws for a revoked Proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array_caught(value: &JsValue) -> Result<bool, JsValue>;
    /// `Promise.resolve`, which throws for a promise whose `constructor` getter throws.
    #[wasm_bindgen(catch, js_namespace = Promise, js_name = resolve)]
    fn promise_resolve_caught(value: &JsValue) -> Result<Promise, JsValue>;
}

/// Longest string read as an id, a token or an option: far beyond any real one, and short enough that
/// copying it into wasm memory can never fail.
pub const MAX_TEXT: u32 = 65_536;

/// Most entries read from an option's array (`trustedImportHosts`, `scopes`).
const MAX_OPTION_ENTRIES: u32 = 1_000;

/// `value`'s own property `key` (undefined and null read as absent), or what reading it threw. Anything
/// that is not an object has no properties.
pub fn own(value: &JsValue, key: &JsValue) -> Result<Option<JsValue>, JsValue> {
    if !value.is_object() && !value.is_function() {
        return Ok(None);
    }
    let object: &Object = value.unchecked_ref();
    if Reflect::get_own_property_descriptor(object, key)?.is_undefined() {
        return Ok(None);
    }
    let found = Reflect::get(value, key)?;
    Ok((!found.is_undefined() && !found.is_null()).then_some(found))
}

/// [`own`] with a string key.
pub fn own_str(value: &JsValue, key: &str) -> Result<Option<JsValue>, JsValue> {
    own(value, &JsValue::from_str(key))
}

/// A string of valid Unicode of at most [`MAX_TEXT`] UTF-16 units, copied out of JavaScript.
pub fn text(value: &JsValue) -> Option<String> {
    let string = value.dyn_ref::<JsString>()?;
    if string.length() > MAX_TEXT {
        return None;
    }
    let copied = value.as_string()?;
    // A lone surrogate comes out as U+FFFD: only then is the slower check needed, whether the text
    // survives the trip back to JavaScript unchanged (one comparison, not a call per UTF-16 unit).
    if crate::codec::text::find(&copied, "\u{FFFD}", false).is_some()
        && JsValue::from_str(&copied) != *value
    {
        return None;
    }
    Some(copied)
}

/// `Array.isArray(value)`, false when it throws.
pub fn is_array(value: &JsValue) -> bool {
    is_array_caught(value).unwrap_or(false)
}

/// `Promise.resolve(value)`, or what it threw.
pub fn resolve(value: &JsValue) -> Result<Promise, JsValue> {
    promise_resolve_caught(value)
}

/// An object to read options from: not a primitive, and not an array (a list where an object of named
/// options belongs is a mistake, not an object without options).
pub fn is_options_object(value: &JsValue) -> bool {
    value.is_object() && !is_array(value)
}

/// An options argument: `None` when absent (undefined or null), the value when `is_object` accepts it,
/// else an `invalidArgument`.
pub fn options_argument(
    options: &JsValue,
    is_object: fn(&JsValue) -> bool,
) -> Result<Option<&JsValue>, MailboxError> {
    if options.is_undefined() || options.is_null() {
        Ok(None)
    } else if is_object(options) {
        Ok(Some(options))
    } else {
        Err(MailboxError::invalid_argument("options must be an object"))
    }
}

/// Why an array could not be read.
#[derive(Debug)]
pub enum ListProblem {
    /// Not an array, an entry that is not a valid string, or more than the most entries allowed.
    Wrong,
    /// A getter or Proxy trap threw.
    Threw,
}

/// The own `length` of an array, when it is a whole number no greater than `max`.
pub fn array_length(value: &JsValue, max: u32) -> Result<u32, ListProblem> {
    if !is_array(value) {
        return Err(ListProblem::Wrong);
    }
    let length = own_str(value, "length")
        .map_err(|_| ListProblem::Threw)?
        .and_then(|n| n.as_f64())
        .ok_or(ListProblem::Wrong)?;
    if length >= 0.0 && length <= f64::from(max) && length == f64::from(length as u32) {
        Ok(length as u32)
    } else {
        Err(ListProblem::Wrong)
    }
}

/// An array of strings read entry by entry (own entries only), each through [`text`].
pub fn string_list(value: &JsValue, max: u32) -> Result<Vec<String>, ListProblem> {
    let length = array_length(value, max)?;
    (0..length)
        .map(|index| {
            own(value, &JsValue::from_f64(f64::from(index)))
                .map_err(|_| ListProblem::Threw)?
                .and_then(|entry| text(&entry))
                .ok_or(ListProblem::Wrong)
        })
        .collect()
}

/// Where tokens come from. `Debug` is written by hand so a fixed token can never be printed.
pub enum TokenSource {
    /// `token` given as a string: sent as it is, never refreshed. A credential.
    Fixed(String),
    /// `token` given as a function, called with `{ scopes, forceRefresh }` before each Graph request.
    Provider(Function),
}

impl core::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Fixed(_) => "Fixed(<hidden>)",
            Self::Provider(_) => "Provider",
        })
    }
}

/// Everything a call needs from its options object.
#[derive(Debug)]
pub struct JsOptions {
    /// The options `ClientConfig` is made from, read for type only.
    pub raw: RawOptions,
    /// `token`: where the access token for Graph comes from.
    pub token: TokenSource,
    /// `signal`: aborts every call made with these options, waits included.
    pub signal: Option<AbortSignal>,
}

fn type_error(name: &str, requirement: &str) -> MailboxError {
    MailboxError::invalid_argument(["options.", name, " must be ", requirement].concat())
}

fn unreadable(name: &str) -> MailboxError {
    MailboxError::invalid_argument(
        ["options.", name, " could not be read: reading it threw"].concat(),
    )
}

const A_STRING: &str = "a string of valid Unicode text, at most 65536 characters";

/// The own member `name` of an options object (undefined and null read as absent); a getter or trap that
/// throws is an `invalidArgument` naming it.
pub fn field(options: &JsValue, name: &str) -> Result<Option<JsValue>, MailboxError> {
    own_str(options, name).map_err(|_| unreadable(name))
}

/// A string option (valid Unicode, at most [`MAX_TEXT`] long), when present.
pub fn string_field(options: &JsValue, name: &str) -> Result<Option<String>, MailboxError> {
    field(options, name)?
        .map(|value| text(&value).ok_or_else(|| type_error(name, A_STRING)))
        .transpose()
}

fn number_field(options: &JsValue, name: &str) -> Result<Option<f64>, MailboxError> {
    field(options, name)?
        .map(|value| value.as_f64().ok_or_else(|| type_error(name, "a number")))
        .transpose()
}

fn string_array_field(options: &JsValue, name: &str) -> Result<Option<Vec<String>>, MailboxError> {
    let Some(value) = field(options, name)? else {
        return Ok(None);
    };
    string_list(&value, MAX_OPTION_ENTRIES)
        .map(Some)
        .map_err(|problem| match problem {
            ListProblem::Wrong => type_error(name, "an array of strings"),
            ListProblem::Threw => unreadable(name),
        })
}

/// A boolean option, when present.
pub fn flag_field(options: &JsValue, name: &str) -> Result<Option<bool>, MailboxError> {
    field(options, name)?
        .map(|value| value.as_bool().ok_or_else(|| type_error(name, "a boolean")))
        .transpose()
}

/// Accepts any object that behaves as an AbortSignal (one from another realm or a polyfill included).
fn signal_field(options: &JsValue) -> Result<Option<AbortSignal>, MailboxError> {
    let Some(value) = field(options, "signal")? else {
        return Ok(None);
    };
    let listens =
        Reflect::get(&value, &JsValue::from_str("addEventListener")).is_ok_and(|f| f.is_function());
    let has_state =
        Reflect::get(&value, &JsValue::from_str("aborted")).is_ok_and(|a| a.as_bool().is_some());
    if listens && has_state {
        Ok(Some(value.unchecked_into()))
    } else {
        Err(type_error("signal", "an AbortSignal"))
    }
}

/// Reads `ClientOptions` (own properties only) for type; `invalidArgument` names the first wrong one.
pub fn read_options(options: &JsValue) -> Result<JsOptions, MailboxError> {
    if !is_options_object(options) {
        return Err(MailboxError::invalid_argument(
            "options must be an object with at least a token: { token: \"...\" } or { token: provider }",
        ));
    }
    let token = match field(options, "token")? {
        Some(value) if value.is_function() => TokenSource::Provider(value.unchecked_into()),
        Some(value) => match text(&value) {
            Some(token) => {
                if let Some(problem) = crate::flows::client::token_problem(&token) {
                    return Err(MailboxError::invalid_argument(
                        ["options.token ", problem].concat(),
                    ));
                }
                TokenSource::Fixed(token)
            }
            None => return Err(type_error(
                "token",
                "a string (valid Unicode, at most 65536 characters) or a function that returns one",
            )),
        },
        None => {
            return Err(type_error(
                "token",
                "given: an access token string or a token provider function",
            ))
        }
    };
    let raw = RawOptions {
        api_version: string_field(options, "apiVersion")?,
        graph_base_url: string_field(options, "graphBaseUrl")?,
        trusted_import_hosts: string_array_field(options, "trustedImportHosts")?,
        timeout_ms: number_field(options, "timeoutMs")?,
        max_retries: number_field(options, "maxRetries")?,
        retry_base_delay_ms: number_field(options, "retryBaseDelayMs")?,
        max_retry_delay_ms: number_field(options, "maxRetryDelayMs")?,
        scopes: string_array_field(options, "scopes")?,
        renew_before_ms: number_field(options, "renewBeforeMs")?,
        mailbox_concurrency: number_field(options, "mailboxConcurrency")?,
    };
    Ok(JsOptions {
        raw,
        token,
        signal: signal_field(options)?,
    })
}

/// `importItems`' options.
#[derive(Debug)]
pub struct JsBulkOptions {
    /// `concurrency`: posts in flight at once, 1 to 16 (default 4).
    pub concurrency: usize,
    /// `signal`: stops the run (no new items, no retries); posts under way settle and are reported.
    pub signal: Option<AbortSignal>,
    /// `onResult`, called with each item's result as it settles.
    pub on_result: Option<Function>,
    /// `onProgress`, called with the counts after each item settles.
    pub on_progress: Option<Function>,
    /// `keepResults` (default true): keep every result for the report; false for huge runs that rely on
    /// `onResult`.
    pub keep_results: bool,
}

/// A callback option, when present.
pub fn function_field(options: &JsValue, name: &str) -> Result<Option<Function>, MailboxError> {
    field(options, name)?
        .map(|value| match value.is_function() {
            true => Ok(value.unchecked_into()),
            false => Err(type_error(name, "a function")),
        })
        .transpose()
}

/// Reads `BulkOptions` (absent means all defaults); `invalidArgument` names the first bad one.
pub fn read_bulk_options(options: &JsValue) -> Result<JsBulkOptions, MailboxError> {
    let Some(options) = options_argument(options, is_options_object)? else {
        return read_bulk_options(&js_sys::Object::new());
    };
    let concurrency = match number_field(options, "concurrency")? {
        None => crate::flows::bulk::DEFAULT_CONCURRENCY,
        Some(n)
            if (1.0..=crate::flows::bulk::MAX_CONCURRENCY as f64).contains(&n)
                && n == f64::from(n as u32) =>
        {
            n as usize
        }
        Some(_) => return Err(type_error("concurrency", "a whole number from 1 to 16")),
    };
    let keep_results = flag_field(options, "keepResults")?.unwrap_or(true);
    Ok(JsBulkOptions {
        concurrency,
        signal: signal_field(options)?,
        on_result: function_field(options, "onResult")?,
        on_progress: function_field(options, "onProgress")?,
        keep_results,
    })
}

/// `clientCredentials`' options.
pub fn read_app_options(
    options: &JsValue,
) -> Result<crate::flows::entra::RawAppOptions, MailboxError> {
    if !is_options_object(options) {
        return Err(MailboxError::invalid_argument(
            "options must be an object { tenantId, clientId, clientSecret }",
        ));
    }
    Ok(crate::flows::entra::RawAppOptions {
        tenant_id: string_field(options, "tenantId")?,
        client_id: string_field(options, "clientId")?,
        client_secret: string_field(options, "clientSecret")?,
        authority_host: string_field(options, "authorityHost")?,
        scope: string_field(options, "scope")?,
        renew_before_ms: number_field(options, "renewBeforeMs")?,
        timeout_ms: number_field(options, "timeoutMs")?,
    })
}

/// `listFolders`' options `{ parentFolderId?, includeHidden? }`: the parent whose children to list (the
/// mailbox's top level when absent), and whether hidden folders are listed.
pub fn read_folder_options(options: &JsValue) -> Result<(Option<String>, bool), MailboxError> {
    let Some(options) = options_argument(options, is_options_object)? else {
        return Ok((None, false));
    };
    let parent = string_field(options, "parentFolderId")?;
    let include_hidden = flag_field(options, "includeHidden")?.unwrap_or(false);
    Ok((parent, include_hidden))
}
