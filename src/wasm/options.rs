//! Reading `ClientOptions` off a JavaScript object: types here, meaning in [`crate::config`].

use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use crate::config::RawOptions;
use crate::error::MailboxError;

/// Where tokens come from.
pub enum TokenSource {
    Fixed(String),
    Provider(Function),
}

/// Everything a call needs from its options object.
pub struct JsOptions {
    pub raw: RawOptions,
    pub token: TokenSource,
    pub signal: Option<AbortSignal>,
}

fn type_error(name: &str, requirement: &str) -> MailboxError {
    MailboxError::invalid_argument(["options.", name, " must be ", requirement].concat())
}

fn field(options: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(options, &JsValue::from_str(name))
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

fn string_field(options: &JsValue, name: &str) -> Result<Option<String>, MailboxError> {
    field(options, name)
        .map(|value| {
            value
                .as_string()
                .ok_or_else(|| type_error(name, "a string"))
        })
        .transpose()
}

fn number_field(options: &JsValue, name: &str) -> Result<Option<f64>, MailboxError> {
    field(options, name)
        .map(|value| value.as_f64().ok_or_else(|| type_error(name, "a number")))
        .transpose()
}

fn string_array_field(options: &JsValue, name: &str) -> Result<Option<Vec<String>>, MailboxError> {
    let Some(value) = field(options, name) else {
        return Ok(None);
    };
    if !Array::is_array(&value) {
        return Err(type_error(name, "an array of strings"));
    }
    let array: Array = value.unchecked_into();
    array
        .iter()
        .map(|item| {
            item.as_string()
                .ok_or_else(|| type_error(name, "an array of strings"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Accepts any object that behaves as an AbortSignal (one from another realm or a polyfill included).
fn signal_field(options: &JsValue) -> Result<Option<AbortSignal>, MailboxError> {
    let Some(value) = field(options, "signal") else {
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

pub fn read_options(options: &JsValue) -> Result<JsOptions, MailboxError> {
    if !options.is_object() {
        return Err(MailboxError::invalid_argument(
            "options must be an object with at least a token: { token: \"...\" } or { token: provider }",
        ));
    }
    let token = match field(options, "token") {
        Some(value) if value.is_function() => TokenSource::Provider(value.unchecked_into()),
        Some(value) => match value.as_string() {
            Some(token) => {
                if let Some(problem) = crate::flows::client::token_problem(&token) {
                    return Err(MailboxError::invalid_argument(
                        ["options.token ", problem].concat(),
                    ));
                }
                TokenSource::Fixed(token)
            }
            None => {
                return Err(type_error(
                    "token",
                    "a string or a function that returns one",
                ))
            }
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
pub struct JsBulkOptions {
    pub concurrency: usize,
    pub signal: Option<AbortSignal>,
    pub on_result: Option<Function>,
    pub on_progress: Option<Function>,
    pub keep_results: bool,
}

fn function_field(options: &JsValue, name: &str) -> Result<Option<Function>, MailboxError> {
    field(options, name)
        .map(|value| match value.is_function() {
            true => Ok(value.unchecked_into()),
            false => Err(type_error(name, "a function")),
        })
        .transpose()
}

pub fn read_bulk_options(options: &JsValue) -> Result<JsBulkOptions, MailboxError> {
    if options.is_undefined() || options.is_null() {
        return read_bulk_options(&js_sys::Object::new());
    }
    if !options.is_object() {
        return Err(MailboxError::invalid_argument("options must be an object"));
    }
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
    let keep_results = match field(options, "keepResults") {
        None => true,
        Some(value) => value
            .as_bool()
            .ok_or_else(|| type_error("keepResults", "a boolean"))?,
    };
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
    if !options.is_object() {
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
