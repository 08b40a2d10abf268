//! The exported JavaScript API, in wasm, against the mock tenant over real `fetch`: run in Node, in a
//! Chromium page and in a Chromium dedicated worker by `scripts/test-wasm.sh`, which starts the mock and
//! passes its address at compile time (`MOCK_GRAPH_URL`, `MOCK_IMPORT_HOST`).
//!
//! In Chromium the test page is on another origin than the mock, so every call is a CORS request and
//! `Retry-After` is invisible, exactly as with the real Graph: the throttling test goes through backoff.

#![cfg(target_arch = "wasm32")]

use graph_mailbox_import::wasm::api::{create_import_session, is_mailbox_error};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_init(url: &str, init: &JsValue) -> Promise;
}

fn graph_url() -> &'static str {
    match option_env!("MOCK_GRAPH_URL") {
        Some(url) => url,
        None => panic!("build with MOCK_GRAPH_URL set: run scripts/test-wasm.sh"),
    }
}

fn import_host() -> &'static str {
    match option_env!("MOCK_IMPORT_HOST") {
        Some(host) => host,
        None => panic!("build with MOCK_IMPORT_HOST set: run scripts/test-wasm.sh"),
    }
}

fn obj(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

fn get_str(value: &JsValue, key: &str) -> Option<String> {
    get(value, key).as_string()
}

/// A mailbox id no other test uses, so faults and the request log are this test's alone.
fn unique_mailbox(label: &str) -> String {
    let mut bytes = [0u8; 6];
    getrandom(&mut bytes);
    let suffix: String = bytes.iter().map(|b| char::from(b'a' + b % 26)).collect();
    ["MBX:", label, "-", &suffix, "@a7809c93"].concat()
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn getrandom(buf: &mut [u8]);
}

/// Options for the mock: its Graph root and import host, plus `extra`.
fn options(token: JsValue, extra: &[(&str, JsValue)]) -> JsValue {
    let hosts = Array::of1(&JsValue::from_str(import_host()));
    let mut entries = vec![
        ("token", token),
        ("graphBaseUrl", JsValue::from_str(graph_url())),
        ("trustedImportHosts", hosts.into()),
    ];
    entries.extend(extra.iter().cloned());
    obj(&entries)
}

async fn mock_json(method: &str, path: &str, body: Option<&str>) -> JsValue {
    let mut init = vec![("method", JsValue::from_str(method))];
    if let Some(body) = body {
        init.push(("body", JsValue::from_str(body)));
        init.push((
            "headers",
            obj(&[("content-type", JsValue::from_str("application/json"))]),
        ));
    }
    let url = [graph_url(), path].concat();
    let response = JsFuture::from(fetch_with_init(&url, &obj(&init)))
        .await
        .unwrap();
    assert!(
        get(&response, "ok").as_bool().unwrap(),
        "mock control call {path} failed"
    );
    if method == "GET" {
        let json: Function = get(&response, "json").unchecked_into();
        JsFuture::from(json.call0(&response).unwrap().unchecked_into::<Promise>())
            .await
            .unwrap()
    } else {
        JsValue::UNDEFINED
    }
}

async fn add_fault(mailbox: &str, fault_json_fields: &str) {
    let body = [
        "{\"faults\":[{\"mailbox\":\"",
        mailbox,
        "\",",
        fault_json_fields,
        "}]}",
    ]
    .concat();
    mock_json("POST", "/_mock/faults", Some(&body)).await;
}

async fn requests_for(mailbox: &str) -> Vec<JsValue> {
    let encoded: String = js_sys::encode_uri_component(mailbox).into();
    let log = mock_json(
        "GET",
        &["/_mock/requests?mailbox=", &encoded].concat(),
        None,
    )
    .await;
    get(&log, "requests")
        .unchecked_into::<Array>()
        .iter()
        .collect()
}

async fn call(mailbox: &str, options: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(create_import_session(JsValue::from_str(mailbox), options)).await
}

fn encoded_path(mailbox: &str) -> String {
    let mut path = String::from("/v1.0/admin/exchange/mailboxes/");
    graph_mailbox_import::codec::url::percent_encode(&mut path, mailbox);
    path.push_str("/createImportSession");
    path
}

#[wasm_bindgen_test]
async fn the_seed_call_returns_a_plain_session_and_sends_the_documented_request() {
    let mailbox = unique_mailbox("seed");
    let session = call(&mailbox, options("t0k3n".into(), &[])).await.unwrap();
    let keys: Vec<String> = Object::keys(&session.clone().unchecked_into::<Object>())
        .iter()
        .filter_map(|k| k.as_string())
        .collect();
    assert_eq!(keys, ["importUrl", "expirationDateTime"]);
    let import_url = get_str(&session, "importUrl").unwrap();
    assert!(
        import_url.starts_with(&["http://", import_host(), "/api/gv1.0/Mailboxes('"].concat()),
        "{import_url}"
    );
    assert!(import_url.contains("authtoken="));
    let expiry = js_sys::Date::parse(&get_str(&session, "expirationDateTime").unwrap());
    assert!(
        expiry > js_sys::Date::now(),
        "the session expires in the future"
    );

    let seen = requests_for(&mailbox).await;
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(get_str(request, "method").as_deref(), Some("POST"));
    assert_eq!(get_str(request, "path"), Some(encoded_path(&mailbox)));
    let headers = get(request, "headers");
    assert_eq!(
        get_str(&headers, "authorization").as_deref(),
        Some("Bearer t0k3n")
    );
    assert_eq!(
        get_str(&headers, "accept").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        get_str(&headers, "client-request-id").map(|id| id.len()),
        Some(36)
    );
}

#[wasm_bindgen_test]
async fn throttled_then_success_without_a_visible_retry_after() {
    let mailbox = unique_mailbox("throttle");
    add_fault(&mailbox, r#""kind":"status","status":429,"times":2"#).await;
    let extra = [("retryBaseDelayMs", JsValue::from_f64(20.0))];
    let session = call(&mailbox, options("t0k3n".into(), &extra))
        .await
        .unwrap();
    assert!(get_str(&session, "importUrl").is_some());
    let seen = requests_for(&mailbox).await;
    let statuses: Vec<f64> = seen
        .iter()
        .filter_map(|r| get(r, "status").as_f64())
        .collect();
    assert_eq!(statuses, [429.0, 429.0, 200.0]);
    let ids: Vec<String> = seen
        .iter()
        .filter_map(|r| get_str(&get(r, "headers"), "client-request-id"))
        .collect();
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2],
        "a fresh client-request-id per attempt"
    );
}

#[wasm_bindgen_test]
async fn forbidden_rejects_with_a_mailbox_error_carrying_its_fields() {
    let mailbox = unique_mailbox("forbidden");
    let error = call(&mailbox, options("forbidden-secret-token".into(), &[]))
        .await
        .unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert!(is_mailbox_error(error.clone()));
    assert_eq!(get_str(&error, "name").as_deref(), Some("MailboxError"));
    assert_eq!(get_str(&error, "code").as_deref(), Some("forbidden"));
    assert_eq!(get(&error, "status").as_f64(), Some(403.0));
    assert_eq!(get(&error, "attempts").as_f64(), Some(1.0));
    assert_eq!(
        get_str(&error, "graphCode").as_deref(),
        Some("ErrorAccessDenied")
    );
    let seen = requests_for(&mailbox).await;
    let sent_id = get_str(&get(&seen[0], "headers"), "client-request-id");
    assert_eq!(get_str(&error, "clientRequestId"), sent_id);
    assert!(get_str(&error, "requestId").is_some_and(|id| !id.is_empty()));
    let message = get_str(&error, "message").unwrap();
    assert!(message.contains("Access is denied"), "{message}");
    assert!(!message.contains("forbidden-secret-token"));
}

#[wasm_bindgen_test]
async fn a_token_provider_is_refreshed_once_after_a_401() {
    let mailbox = unique_mailbox("refresh");
    // Records each request it gets and answers with a stale token until forced.
    let calls = Array::new();
    let provider = Function::new_with_args(
        "calls, request",
        "calls.push({scopes: request.scopes.join(' '), forceRefresh: request.forceRefresh}); \
         return Promise.resolve(request.forceRefresh ? 'fresh-token' : 'expired-token');",
    )
    .bind1(&JsValue::NULL, &calls);
    call(&mailbox, options(provider.into(), &[])).await.unwrap();
    let seen: Vec<(String, bool)> = calls
        .iter()
        .map(|c| {
            (
                get_str(&c, "scopes").unwrap(),
                get(&c, "forceRefresh").as_bool().unwrap(),
            )
        })
        .collect();
    let scope = "https://graph.microsoft.com/MailboxItem.ImportExport".to_string();
    assert_eq!(seen, [(scope.clone(), false), (scope, true)]);
    let tokens: Vec<String> = requests_for(&mailbox)
        .await
        .iter()
        .filter_map(|r| get_str(&get(r, "headers"), "authorization"))
        .collect();
    assert_eq!(tokens, ["Bearer expired-token", "Bearer fresh-token"]);
}

#[wasm_bindgen_test]
async fn a_throwing_provider_is_token_provider_failed_with_the_cause() {
    let provider = Function::new_no_args("const e = new Error('no account'); e.name = 'InteractionRequiredAuthError'; e.errorCode = 'interaction_required'; throw e;");
    let error = call(&unique_mailbox("provider"), options(provider.into(), &[]))
        .await
        .unwrap_err();
    assert_eq!(
        get_str(&error, "code").as_deref(),
        Some("tokenProviderFailed")
    );
    assert_eq!(get(&error, "attempts").as_f64(), Some(0.0));
    let message = get_str(&error, "message").unwrap();
    assert!(
        message.contains("InteractionRequiredAuthError (interaction_required)"),
        "{message}"
    );
    assert_eq!(
        get_str(&get(&error, "cause"), "message").as_deref(),
        Some("no account")
    );
}

#[wasm_bindgen_test]
async fn a_hanging_graph_times_out_after_the_retries() {
    let mailbox = unique_mailbox("hang");
    add_fault(&mailbox, r#""kind":"hang","times":2"#).await;
    let extra = [
        ("timeoutMs", JsValue::from_f64(150.0)),
        ("maxRetries", JsValue::from_f64(1.0)),
        ("retryBaseDelayMs", JsValue::from_f64(10.0)),
    ];
    let error = call(&mailbox, options("t0k3n".into(), &extra))
        .await
        .unwrap_err();
    assert_eq!(get_str(&error, "code").as_deref(), Some("timeout"));
    assert_eq!(get(&error, "attempts").as_f64(), Some(2.0));
}

#[wasm_bindgen_test]
async fn a_reset_connection_is_retried() {
    let mailbox = unique_mailbox("reset");
    add_fault(&mailbox, r#""kind":"reset","times":1"#).await;
    let extra = [("retryBaseDelayMs", JsValue::from_f64(10.0))];
    call(&mailbox, options("t0k3n".into(), &extra))
        .await
        .unwrap();
    assert_eq!(requests_for(&mailbox).await.len(), 2);
}

#[wasm_bindgen_test]
async fn malformed_and_untrusted_answers_are_refused() {
    let mailbox = unique_mailbox("malformed");
    add_fault(&mailbox, r#""kind":"malformedJson""#).await;
    let error = call(&mailbox, options("t0k3n".into(), &[]))
        .await
        .unwrap_err();
    assert_eq!(get_str(&error, "code").as_deref(), Some("invalidResponse"));
    assert_eq!(get(&error, "status").as_f64(), Some(200.0));

    let mailbox = unique_mailbox("untrusted");
    add_fault(&mailbox, r#""kind":"untrustedImportUrl""#).await;
    let error = call(&mailbox, options("t0k3n".into(), &[]))
        .await
        .unwrap_err();
    assert_eq!(
        get_str(&error, "code").as_deref(),
        Some("untrustedImportUrl")
    );
    let message = get_str(&error, "message").unwrap();
    assert!(!message.contains("authtoken"), "{message}");
}

#[wasm_bindgen_test]
async fn an_abort_during_a_retry_wait_rejects_with_the_signals_reason() {
    let mailbox = unique_mailbox("abort");
    add_fault(&mailbox, r#""kind":"status","status":503,"times":1"#).await;
    let controller = web_sys::AbortController::new().unwrap();
    let extra = [
        ("signal", controller.signal().into()),
        ("retryBaseDelayMs", JsValue::from_f64(20_000.0)),
    ];
    let pending = JsFuture::from(create_import_session(
        JsValue::from_str(&mailbox),
        options("t0k3n".into(), &extra),
    ));
    // Abort once the first attempt has been answered and the long wait has begun.
    let abort_later = Promise::new(&mut |resolve, _| {
        let abort = Function::new_with_args(
            "controller, resolve",
            "setTimeout(() => { controller.abort(new Error('stop now')); resolve(); }, 300);",
        );
        abort.call2(&JsValue::NULL, &controller, &resolve).unwrap();
    });
    let started = js_sys::Date::now();
    let (result, _) = futures_join(pending, JsFuture::from(abort_later)).await;
    let reason = result.unwrap_err();
    assert_eq!(
        get_str(&reason, "message").as_deref(),
        Some("stop now"),
        "rejects with signal.reason itself"
    );
    assert!(
        js_sys::Date::now() - started < 5_000.0,
        "the 20 s wait was cut short"
    );
    assert_eq!(requests_for(&mailbox).await.len(), 1);
}

/// Awaits two futures concurrently (the second drives the first's cancellation).
async fn futures_join(
    a: JsFuture,
    b: JsFuture,
) -> (Result<JsValue, JsValue>, Result<JsValue, JsValue>) {
    let both = Promise::all(&Array::of2(&future_settled(a), &future_settled(b)));
    let pair: Array = JsFuture::from(both).await.unwrap().unchecked_into();
    let unpack = |v: JsValue| {
        if get(&v, "ok").as_bool() == Some(true) {
            Ok(get(&v, "value"))
        } else {
            Err(get(&v, "value"))
        }
    };
    (unpack(pair.get(0)), unpack(pair.get(1)))
}

fn future_settled(future: JsFuture) -> Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        Ok(match future.await {
            Ok(value) => obj(&[("ok", JsValue::TRUE), ("value", value)]),
            Err(value) => obj(&[("ok", JsValue::FALSE), ("value", value)]),
        })
    })
}

#[wasm_bindgen_test]
async fn bad_arguments_reject_with_invalid_argument_and_send_nothing() {
    let mailbox = unique_mailbox("bad");
    let cases: Vec<(JsValue, JsValue)> = vec![
        (JsValue::from_f64(42.0), options("t0k3n".into(), &[])),
        (JsValue::from_str(".."), options("t0k3n".into(), &[])),
        (JsValue::from_str(&mailbox), JsValue::UNDEFINED),
        (
            JsValue::from_str(&mailbox),
            obj(&[("graphBaseUrl", JsValue::from_str(graph_url()))]),
        ),
        (
            JsValue::from_str(&mailbox),
            options("t0k3n".into(), &[("apiVersion", "v2".into())]),
        ),
        (
            JsValue::from_str(&mailbox),
            options("t0k3n".into(), &[("timeoutMs", "soon".into())]),
        ),
    ];
    for (id, options) in cases {
        let promise = create_import_session(id, options);
        let error = JsFuture::from(promise).await.unwrap_err();
        assert_eq!(
            get_str(&error, "code").as_deref(),
            Some("invalidArgument"),
            "{:?}",
            get_str(&error, "message")
        );
    }
    assert!(requests_for(&mailbox).await.is_empty());
}

use graph_mailbox_import::wasm::api::MailboxClient;

fn item(folder: &str, data: &[u8]) -> JsValue {
    obj(&[
        ("folderId", JsValue::from_str(folder)),
        ("data", js_sys::Uint8Array::from(data).into()),
    ])
}

#[wasm_bindgen_test]
fn a_clients_debug_output_shows_its_options_but_not_its_token() {
    let client = MailboxClient::new(obj(&[
        ("token", JsValue::from_str("eyJ0eX.fixed-token.sig")),
        (
            "graphBaseUrl",
            JsValue::from_str("https://graph.example.com"),
        ),
    ]));
    let printed = format!("{client:?}");
    assert!(!printed.contains("fixed-token"), "{printed}");
    assert!(printed.contains("https://graph.example.com"), "{printed}");
}

#[wasm_bindgen_test]
async fn a_client_imports_an_item_with_only_its_json_body() {
    let mailbox = unique_mailbox("import");
    let client = MailboxClient::new(options("t0k3n".into(), &[]));
    let imported = JsFuture::from(
        client.import_item(JsValue::from_str(&mailbox), item("AAMkInbox", b"foobar")),
    )
    .await
    .unwrap();
    assert!(get_str(&imported, "itemId").is_some_and(|id| !id.is_empty()));
    assert!(get_str(&imported, "changeKey").is_some());

    let seen = requests_for(&mailbox).await;
    let servers: Vec<String> = seen.iter().filter_map(|r| get_str(r, "server")).collect();
    assert_eq!(servers, ["graph", "import"]);
    let post = &seen[1];
    assert_eq!(
        get_str(post, "body").as_deref(),
        Some(r#"{"FolderId":"AAMkInbox","Mode":"create","Data":"Zm9vYmFy"}"#)
    );
    let headers = get(post, "headers");
    assert_eq!(
        get_str(&headers, "content-type").as_deref(),
        Some("application/json")
    );
    assert!(
        get(&headers, "authorization").is_undefined(),
        "the bearer token never goes to the import host"
    );
    assert!(get(&headers, "client-request-id").is_undefined());
}

#[wasm_bindgen_test]
async fn a_client_imports_an_async_generator_through_throttling_in_input_order() {
    let mailbox = unique_mailbox("bulk");
    add_fault(
        &mailbox,
        r#""target":"import","kind":"status","status":429,"times":3"#,
    )
    .await;
    let generator = Function::new_with_args(
        "n",
        "return (async function* () { for (let i = 0; i < n; i++) { \
           yield { folderId: 'AAMkInbox', data: new TextEncoder().encode('message ' + i) }; } })();",
    );
    let items = generator
        .call1(&JsValue::NULL, &JsValue::from_f64(20.0))
        .unwrap();
    let settled = Array::new();
    let on_result = Function::new_with_args("settled, r", "settled.push(r.index);")
        .bind1(&JsValue::NULL, &settled);
    let bulk_options = obj(&[("onResult", on_result.into())]);
    let client = MailboxClient::new(options(
        "t0k3n".into(),
        &[("retryBaseDelayMs", JsValue::from_f64(10.0))],
    ));
    let report =
        JsFuture::from(client.import_items(JsValue::from_str(&mailbox), items, bulk_options))
            .await
            .unwrap();
    assert_eq!(get(&report, "imported").as_f64(), Some(20.0));
    assert_eq!(get(&report, "failed").as_f64(), Some(0.0));
    let results: Array = get(&report, "results").unchecked_into();
    let indexes: Vec<f64> = results
        .iter()
        .filter_map(|r| get(&r, "index").as_f64())
        .collect();
    assert_eq!(indexes, (0..20).map(f64::from).collect::<Vec<_>>());
    assert_eq!(settled.length(), 20, "onResult once per item");
    let posts = requests_for(&mailbox)
        .await
        .into_iter()
        .filter(|r| get_str(r, "server").as_deref() == Some("import"))
        .count();
    assert_eq!(posts, 23, "20 items and 3 throttled retries");
}

#[wasm_bindgen_test]
async fn listings_over_several_pages_and_exports_return_what_was_imported() {
    let mailbox = unique_mailbox("listing");
    let client = MailboxClient::new(options("t0k3n".into(), &[]));
    let at = || JsValue::from_str(&mailbox);
    // 23 items: three of the mock's pages of 10, joined into one array.
    let items: Array = (0..23)
        .map(|i| item("AAMkInbox", format!("message {i}").as_bytes()))
        .collect();
    let report = JsFuture::from(client.import_items(at(), items.into(), JsValue::UNDEFINED))
        .await
        .unwrap();
    let results: Array = get(&report, "results").unchecked_into();
    let imported: Vec<String> = results
        .iter()
        .filter_map(|r| get_str(&r, "itemId"))
        .collect();
    assert_eq!(imported.len(), 23);

    let listed = JsFuture::from(client.list_items(at(), JsValue::from_str("AAMkInbox")))
        .await
        .unwrap();
    assert!(Array::is_array(&listed));
    let listed: Array = listed.unchecked_into();
    let ids: Vec<String> = listed.iter().filter_map(|i| get_str(&i, "id")).collect();
    let encoded: String = js_sys::encode_uri_component(&mailbox).into();
    let stored = mock_json("GET", &["/_mock/items?mailbox=", &encoded].concat(), None).await;
    let stored: Array = get(&stored, "items").unchecked_into();
    let stored: Vec<String> = stored
        .iter()
        .filter_map(|i| get_str(&i, "itemId"))
        .collect();
    assert_eq!(ids, stored, "every page, in the mailbox's order");
    let mut sorted = ids.clone();
    sorted.sort();
    let mut expected = imported.clone();
    expected.sort();
    assert_eq!(sorted, expected);
    let first = listed.get(0);
    assert!(get(&first, "changeKey").is_string());
    assert!(Array::is_array(&get(&first, "categories")));
    assert_eq!(
        get(&first, "size").as_f64(),
        Some(9.0),
        "numbers as numbers"
    );
    let pages = requests_for(&mailbox)
        .await
        .into_iter()
        .filter(|r| get_str(r, "route").as_deref() == Some("items"))
        .count();
    assert_eq!(pages, 3);

    let ids: Array = imported.iter().map(|id| JsValue::from_str(id)).collect();
    let exported = JsFuture::from(client.export_items(at(), ids.into()))
        .await
        .unwrap();
    let exported: Array = exported.unchecked_into();
    assert_eq!(exported.length(), 23);
    for (i, entry) in exported.iter().enumerate() {
        assert_eq!(
            get_str(&entry, "itemId").as_deref(),
            Some(imported[i].as_str())
        );
        let mut sent = Vec::new();
        graph_mailbox_import::codec::base64::encode_into(
            &mut sent,
            format!("message {i}").as_bytes(),
        );
        assert_eq!(
            get_str(&entry, "data").map(String::into_bytes),
            Some(sent),
            "the base64 as it was imported"
        );
        assert!(get(&entry, "error").is_undefined());
    }
}

#[wasm_bindgen_test]
async fn item_ids_with_a_lone_surrogate_are_refused_not_sent_as_another_id() {
    // "A\uD800B": converting it to Rust would silently make it "A\u{FFFD}B", a different id.
    let lone: JsValue = js_sys::JsString::from_char_code(&[0x41, 0xD800, 0x42]).into();
    let data = || -> JsValue { js_sys::Uint8Array::from(&b"foobar"[..]).into() };
    let update = |item_id: JsValue, change_key: JsValue| {
        obj(&[
            ("folderId", JsValue::from_str("AAMkInbox")),
            ("mode", JsValue::from_str("update")),
            ("itemId", item_id),
            ("changeKey", change_key),
            ("data", data()),
        ])
    };
    let items = [
        (
            "folderId",
            obj(&[("folderId", lone.clone()), ("data", data())]),
        ),
        ("itemId", update(lone.clone(), JsValue::from_str("CQAAAB"))),
        (
            "changeKey",
            update(JsValue::from_str("AAMkOld"), lone.clone()),
        ),
    ];
    let mailbox = unique_mailbox("surrogate");
    let client = MailboxClient::new(options("t0k3n".into(), &[]));
    for (field, item) in items {
        let error = JsFuture::from(client.import_item(JsValue::from_str(&mailbox), item))
            .await
            .unwrap_err();
        assert_eq!(
            get_str(&error, "code").as_deref(),
            Some("invalidArgument"),
            "{field}: {:?}",
            get_str(&error, "message")
        );
        let message = get_str(&error, "message").unwrap_or_default();
        assert!(message.contains(field), "{field}: {message}");
    }
    assert!(
        requests_for(&mailbox).await.is_empty(),
        "nothing was sent, not even a session request"
    );
}

/// The message of what `promise` rejects with, after checking it is an `invalidArgument`.
async fn invalid_argument_message(promise: Promise) -> String {
    let error = JsFuture::from(promise).await.unwrap_err();
    let message = get_str(&error, "message").unwrap_or_default();
    assert_eq!(
        get_str(&error, "code").as_deref(),
        Some("invalidArgument"),
        "{message}"
    );
    message
}

#[wasm_bindgen_test]
async fn each_id_argument_is_named_in_its_error() {
    let mailbox = unique_mailbox("ids");
    let client = MailboxClient::new(options("t0k3n".into(), &[]));
    let at = || JsValue::from_str(&mailbox);
    let number = || JsValue::from_f64(42.0);
    let too_long = || JsValue::from_str(&"A".repeat(70_000));
    let must = " must be a string of valid Unicode text, at most 65536 characters";
    let cases: Vec<(Promise, String)> = vec![
        (
            client.list_items(number(), JsValue::from_str("AAMkInbox")),
            ["mailboxId", must].concat(),
        ),
        (
            client.list_items(at(), number()),
            ["folderId", must].concat(),
        ),
        (
            client.list_items(at(), too_long()),
            ["folderId", must].concat(),
        ),
        (
            client.list_item_changes(at(), number(), JsValue::UNDEFINED),
            ["folderId", must].concat(),
        ),
        (
            client.list_item_changes(at(), too_long(), JsValue::UNDEFINED),
            ["folderId", must].concat(),
        ),
        (
            client.resolve_mailbox(number()),
            "user must be a user id or user principal name (a string)".into(),
        ),
        (
            client.export_items(at(), number()),
            "itemIds must be an array of strings of valid Unicode text".into(),
        ),
    ];
    for (promise, expected) in cases {
        assert_eq!(invalid_argument_message(promise).await, expected);
    }
    assert!(requests_for(&mailbox).await.is_empty());
}

#[wasm_bindgen_test]
async fn folder_calls_read_only_own_options_and_report_a_getter_that_throws() {
    let mailbox = unique_mailbox("ownopts");
    let client = MailboxClient::new(options("t0k3n".into(), &[]));
    // A prototype's members are not options: a polluted prototype changes nothing.
    let prototype: Object = obj(&[("rootFolderId", JsValue::from_f64(42.0))]).unchecked_into();
    let inherited: Object = Object::create(&prototype);
    let tree =
        JsFuture::from(client.list_folder_tree(JsValue::from_str(&mailbox), inherited.into()))
            .await
            .unwrap();
    assert!(Array::is_array(&tree));
    // A getter that throws is named, not taken for an absent option.
    let throwing = Object::new();
    let descriptor = obj(&[(
        "get",
        Function::new_no_args("throw new Error('trap')").into(),
    )]);
    Object::define_property(
        &throwing,
        &JsValue::from_str("deltaLink"),
        &descriptor.unchecked_into(),
    );
    let message = invalid_argument_message(client.list_item_changes(
        JsValue::from_str(&mailbox),
        JsValue::from_str("AAMkInbox"),
        throwing.into(),
    ))
    .await;
    assert_eq!(
        message,
        "options.deltaLink could not be read: reading it threw"
    );
}

/// Replaces `globalThis.fetch` with `make(original)` until the returned guard is dropped.
struct FetchReplaced(JsValue);

impl FetchReplaced {
    fn new(make: &Function) -> Self {
        let global = js_sys::global();
        let original = get(&global, "fetch");
        let replacement = make.call1(&JsValue::NULL, &original).unwrap();
        Reflect::set(&global, &JsValue::from_str("fetch"), &replacement).unwrap();
        Self(original)
    }
}

impl Drop for FetchReplaced {
    fn drop(&mut self) {
        Reflect::set(&js_sys::global(), &JsValue::from_str("fetch"), &self.0).unwrap();
    }
}

#[wasm_bindgen_test]
async fn a_fetch_that_rejects_with_a_non_error_value_is_a_network_error() {
    for thrown in ["'a string'", "undefined", "42", "{ code: 'ECONNRESET' }"] {
        let make = Function::new_with_args(
            "original",
            &["return () => Promise.reject(", thrown, ");"].concat(),
        );
        let replaced = FetchReplaced::new(&make);
        let extra = [("maxRetries", JsValue::from_f64(0.0))];
        let error = call(
            &unique_mailbox("non-error"),
            options("t0k3n".into(), &extra),
        )
        .await
        .unwrap_err();
        drop(replaced);
        assert!(is_mailbox_error(error.clone()), "{thrown}: a MailboxError");
        assert_eq!(
            get_str(&error, "code").as_deref(),
            Some("network"),
            "{thrown}"
        );
        assert_eq!(get(&error, "attempts").as_f64(), Some(1.0), "{thrown}");
    }
    // The module did not trap: it still works.
    call(
        &unique_mailbox("after-non-error"),
        options("t0k3n".into(), &[]),
    )
    .await
    .unwrap();
}

#[wasm_bindgen_test]
async fn the_import_url_reaches_the_import_host_byte_for_byte() {
    // Exchange's importUrl quotes the mailbox in its path (`Mailboxes('...')`) and carries escapes in its
    // query; here Graph's answer gets a query parameter with `%`-escapes (`%27` is `'` as any URL parser
    // writes it in a query), parentheses and other characters a URL rebuilder might re-escape.
    const EXTRA: &str = "&x-state=%2Fa%3Db%25%27(c)~!*$,;:@/?d";
    let make = Function::new_with_args(
        "original",
        &[
            "return async (input, init) => {
               const response = await original(input, init);
               const url = typeof input === 'string' ? input : input.url;
               if (!url.endsWith('/createImportSession') || !response.ok) return response;
               const session = await response.json();
               session.importUrl += ",
            &["'", EXTRA, "'"].concat(),
            ";
               globalThis.__issuedImportUrl = session.importUrl;
               return new Response(JSON.stringify(session), { status: 200, headers: { 'content-type': 'application/json' } });
             };",
        ]
        .concat(),
    );
    let mailbox = unique_mailbox("o'brien(x)");
    let client = MailboxClient::new(options("t0k3n".into(), &[]));
    let replaced = FetchReplaced::new(&make);
    let imported = JsFuture::from(
        client.import_item(JsValue::from_str(&mailbox), item("AAMkInbox", b"foobar")),
    )
    .await;
    drop(replaced);
    imported.unwrap();

    let issued = get_str(&js_sys::global(), "__issuedImportUrl").unwrap();
    assert!(issued.contains("Mailboxes('MBX%3Ao'brien(x)-"), "{issued}");
    assert!(issued.ends_with(EXTRA), "{issued}");
    let origin_end = issued["http://".len()..].find('/').unwrap() + "http://".len();
    let seen = requests_for(&mailbox).await;
    let post = seen
        .iter()
        .find(|r| get_str(r, "server").as_deref() == Some("import"))
        .expect("one import post");
    assert_eq!(
        get_str(post, "path").as_deref(),
        Some(&issued[origin_end..]),
        "the path and query as Graph gave them"
    );
}

#[wasm_bindgen_test]
async fn an_item_larger_than_the_encoders_chunk_arrives_whole_from_a_view_at_an_offset() {
    // The encoder reads a JavaScript byte array a chunk at a time. Two and a bit chunks, read through a
    // view that starts 5 bytes into a larger buffer and ends 3 bytes before its end: every seam between
    // pieces, and both ends of the view, must land where the bytes do.
    let length = 2 * graph_mailbox_import::wasm::source::ENCODE_CHUNK + 7;
    let buffer = js_sys::ArrayBuffer::new(length + 8);
    let whole = js_sys::Uint8Array::new(&buffer);
    // Bytes outside the view are 0xEE, which the view's pattern never produces at its ends.
    whole.fill(0xEE, 0, length + 8);
    let view = js_sys::Uint8Array::new_with_byte_offset_and_length(&buffer, 5, length);
    let pattern: Vec<u8> = (0..length)
        .map(|i| (i.wrapping_mul(31) % 251) as u8)
        .collect();
    view.copy_from(&pattern);

    let mailbox = unique_mailbox("chunks");
    let client = MailboxClient::new(options("t0k3n".into(), &[]));
    let item = obj(&[
        ("folderId", JsValue::from_str("AAMkInbox")),
        ("data", view.into()),
    ]);
    JsFuture::from(client.import_item(JsValue::from_str(&mailbox), item))
        .await
        .unwrap();

    let seen = requests_for(&mailbox).await;
    let post = seen
        .iter()
        .find(|r| get_str(r, "server").as_deref() == Some("import"))
        .expect("one import post");
    let body = js_sys::JSON::parse(&get_str(post, "body").unwrap()).unwrap();
    // The platform's own base64 decoder, not ours, reads what went on the wire.
    let decoded = js_sys::Function::new_with_args(
        "text",
        "const b = atob(text); const out = new Uint8Array(b.length); \
         for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i); return out;",
    )
    .call1(&JsValue::NULL, &get(&body, "Data"))
    .unwrap();
    let decoded = js_sys::Uint8Array::from(decoded).to_vec();
    assert_eq!(decoded.len(), pattern.len());
    let first_difference = decoded.iter().zip(&pattern).position(|(a, b)| a != b);
    assert_eq!(
        first_difference, None,
        "the bytes on the wire are the view's"
    );
}
