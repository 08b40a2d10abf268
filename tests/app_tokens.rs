//! App-only tokens through the cache, on the simulated clock: one request for many concurrent callers, the
//! token kept until shortly before it expires, one shared failure, retries of throttling, a forced refresh.

#![allow(clippy::result_large_err)]

#[path = "support/sim.rs"]
mod sim;

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use graph_mailbox_import::flows::client::Failure;
use graph_mailbox_import::flows::entra::{AppCredentials, AppTokenCache, RawAppOptions};
use graph_mailbox_import::ErrorCode;
use sim::{join_all, json_response, SimHost};

fn credentials() -> AppCredentials {
    AppCredentials::from_raw(RawAppOptions {
        tenant_id: Some("contoso.onmicrosoft.com".into()),
        client_id: Some("app-1".into()),
        client_secret: Some("the-secret".into()),
        authority_host: Some("http://127.0.0.1:9000".into()),
        ..RawAppOptions::default()
    })
    .unwrap()
}

/// A token endpoint answering with `answer(n)` for request number n (from 0), 100 ms per request.
fn endpoint(answer: impl Fn(usize) -> (u16, String) + 'static) -> (SimHost, Rc<Cell<usize>>) {
    let count = Rc::new(Cell::new(0));
    let seen = count.clone();
    let host = SimHost::new(
        100.0,
        Box::new(move |request, _| {
            assert!(request
                .url
                .ends_with("/contoso.onmicrosoft.com/oauth2/v2.0/token"));
            let n = seen.get();
            seen.set(n + 1);
            let (status, body) = answer(n);
            json_response(status, &body)
        }),
    );
    (host, count)
}

fn token_body(n: usize, seconds: u32) -> String {
    format!(r#"{{"token_type":"Bearer","expires_in":{seconds},"access_token":"app-token-{n}"}}"#)
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn concurrent_callers_share_one_request_and_the_token_is_kept_until_near_expiry() {
    let (host, requests) = endpoint(|n| (200, token_body(n, 3600)));
    let credentials = credentials();
    let cache = AppTokenCache::default();

    let tokens = host.run(join_all(
        (0..10)
            .map(|_| cache.token(&host, &credentials, false))
            .collect(),
    ));
    assert!(tokens.iter().all(|t| t.as_deref() == Ok("app-token-0")));
    assert_eq!(requests.get(), 1, "ten callers, one request");

    // 54 minutes later it is still good; at 56 (within the 5-minute margin) a new one is fetched.
    host.run(host.clock.sleep(54.0 * 60_000.0));
    assert_eq!(
        host.run(cache.token(&host, &credentials, false)).unwrap(),
        "app-token-0"
    );
    host.run(host.clock.sleep(2.0 * 60_000.0));
    assert_eq!(
        host.run(cache.token(&host, &credentials, false)).unwrap(),
        "app-token-1"
    );
    assert_eq!(requests.get(), 2);

    // A forced refresh (Graph said 401) fetches at once, and concurrent forced callers still share it.
    let forced = host.run(join_all(
        (0..3)
            .map(|_| cache.token(&host, &credentials, true))
            .collect(),
    ));
    assert!(forced.iter().all(|t| t.as_deref() == Ok("app-token-2")));
    assert_eq!(requests.get(), 3);
    assert_eq!(cache.requests.get(), 3);

    let sent = host.seen.borrow();
    assert!(sent
        .iter()
        .all(|s| s.request.body_text().unwrap().starts_with(
            "grant_type=client_credentials&client_id=app-1&client_secret=the-secret&scope="
        )));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_refusal_is_shared_by_the_callers_waiting_for_it_and_never_quotes_the_secret() {
    let (host, requests) = endpoint(|_| {
        (
            401,
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t1","error_codes":[7000215],"trace_id":"t1"}"#.into(),
        )
    });
    let credentials = credentials();
    let cache = AppTokenCache::default();
    let outcomes = host.run(join_all(
        (0..5)
            .map(|_| cache.token(&host, &credentials, false))
            .collect(),
    ));
    assert_eq!(requests.get(), 1, "one refusal for five callers");
    for outcome in outcomes {
        let Err(Failure::Error(error)) = outcome else {
            panic!("expected a refusal")
        };
        assert_eq!(error.code, ErrorCode::Unauthorized);
        assert_eq!(error.graph_code.as_deref(), Some("invalid_client"));
        assert_eq!(error.status, Some(401));
        assert!(!error.message.contains("the-secret"));
    }
    // The next caller tries again rather than inheriting an old failure.
    let _ = host.run(cache.token(&host, &credentials, false));
    assert_eq!(requests.get(), 2);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn throttling_is_waited_out_and_retried() {
    let (host, requests) = endpoint(|n| match n {
        0 => (429, r#"{"error":"temporarily_unavailable"}"#.into()),
        1 => (503, String::new()),
        n => (200, token_body(n, 3600)),
    });
    let credentials = credentials();
    let cache = AppTokenCache::default();
    assert_eq!(
        host.run(cache.token(&host, &credentials, false)).unwrap(),
        "app-token-2"
    );
    assert_eq!(requests.get(), 3);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_request_abandoned_midway_does_not_hold_up_later_callers() {
    // In a Worker, the request that started a token request can be cancelled: its task is never polled
    // again. Later callers must not wait for it forever.
    let (host, answered) = endpoint(|n| (200, token_body(n, 3600)));
    let credentials = credentials();
    let cache = AppTokenCache::default();
    let mut abandoned = Box::pin(cache.token(&host, &credentials, false));
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(abandoned.as_mut().poll(&mut context).is_pending());

    let token = host.run(cache.token(&host, &credentials, false)).unwrap();
    assert_eq!(token, "app-token-0");
    assert_eq!(cache.requests.get(), 2, "the later caller started its own");
    assert_eq!(
        answered.get(),
        1,
        "the abandoned request never got its answer"
    );
    let waited = host.clock.now.get() - sim::START_MS;
    assert!(
        (40_000.0..41_000.0).contains(&waited),
        "waited {waited} ms: one attempt's timeout (30 s) and a margin"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_retry_after_beyond_a_minute_is_reported_not_waited_out() {
    // The same decision as Graph's: Entra asking for two minutes gets no second request; the caller is
    // told how long, and why it was not retried.
    let host = SimHost::new(
        100.0,
        Box::new(|_, _| {
            let mut answer = json_response(429, r#"{"error":"temporarily_unavailable"}"#)?;
            answer.headers.push(("retry-after".into(), "120".into()));
            Ok(answer)
        }),
    );
    let credentials = credentials();
    let Err(Failure::Error(error)) =
        host.run(AppTokenCache::default().token(&host, &credentials, false))
    else {
        panic!("expected a refusal")
    };
    assert_eq!(
        (
            error.code,
            error.status,
            error.retry_after_ms,
            error.attempts
        ),
        (ErrorCode::Throttled, Some(429), Some(120_000), 1)
    );
    assert!(
        error
            .message
            .ends_with("; Entra ID asked for a wait longer than a minute, so the token was not requested again"),
        "{}",
        error.message
    );
    assert_eq!(host.seen.borrow().len(), 1);
}
