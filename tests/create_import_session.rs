//! createImportSession through the core loop, natively, against a scripted host with a fake clock:
//! the exact requests sent, the exact waits between them, and the exact errors.

#![allow(clippy::result_large_err)]

mod support;

use graph_mailbox_import::config::{ClientConfig, RawOptions};
use graph_mailbox_import::flows::client::{create_import_session, Failure};
use graph_mailbox_import::transport::{Method, SendError, TokenError};
use graph_mailbox_import::{ErrorCode, MailboxError};
use support::*;

const MAILBOX: &str = "MBX:e0643f21@a7809c93";
const URL: &str = "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX%3Ae0643f21%40a7809c93/createImportSession";

fn config() -> ClientConfig {
    ClientConfig::from_raw(RawOptions::default()).unwrap()
}

fn config_with(raw: RawOptions) -> ClientConfig {
    ClientConfig::from_raw(raw).unwrap()
}

fn run(
    host: &ScriptedHost,
    config: &ClientConfig,
    mailbox: &str,
) -> Result<graph_mailbox_import::ImportSession, Failure> {
    block_on(create_import_session(host, config, mailbox))
}

fn error_of(result: Result<graph_mailbox_import::ImportSession, Failure>) -> MailboxError {
    match result {
        Err(Failure::Error(error)) => error,
        other => panic!("expected a MailboxError, got {other:?}"),
    }
}

fn is_uuid_v4(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| bytes[i] == b'-')
        && bytes[14] == b'4'
        && matches!(bytes[19], b'8' | b'9' | b'a' | b'b')
        && text
            .chars()
            .filter(|c| *c != '-')
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_seed_call_sends_exactly_what_graph_documents() {
    let host = ScriptedHost::new(vec![session_ok()]);
    let session = run(&host, &config(), MAILBOX).unwrap();
    assert_eq!(
        session.import_url,
        "https://outlook.office365.com/api/gv1.0/Mailboxes('MBX:e0643f21@a7809c93')/importItem?authtoken=SECRET-AUTHTOKEN"
    );
    assert_eq!(session.expiration_date_time, "2024-10-17T19:00:48.1052906Z");

    let sent = host.sent.borrow();
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(
        (request.method, request.url.as_str(), request.body_text()),
        (Method::Post, URL, None)
    );
    let names: Vec<&str> = request.headers.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["authorization", "accept", "client-request-id"]);
    assert_eq!(request.header("authorization"), Some("Bearer fixed-token"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert!(is_uuid_v4(request.header("client-request-id").unwrap()));
    assert_eq!(*host.timeouts.borrow(), [30_000]);
    assert!(host.sleeps.borrow().is_empty());
    assert!(
        !format!("{request:?}").contains("fixed-token"),
        "Debug of a request hides credentials"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn beta_and_other_graph_roots() {
    let host = ScriptedHost::new(vec![session_ok()]);
    let config = config_with(RawOptions {
        api_version: Some("beta".into()),
        graph_base_url: Some("http://127.0.0.1:7000/".into()),
        ..RawOptions::default()
    });
    run(&host, &config, MAILBOX).unwrap();
    assert_eq!(
        host.sent.borrow()[0].url,
        "http://127.0.0.1:7000/beta/admin/exchange/mailboxes/MBX%3Ae0643f21%40a7809c93/createImportSession"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn odd_mailbox_ids_stay_one_path_segment() {
    let long = "x".repeat(300);
    let cases = [
        ("a/b", "a%2Fb"),
        ("a?b", "a%3Fb"),
        ("a#b", "a%23b"),
        ("../admin", "..%2Fadmin"),
        ("a b", "a%20b"),
        ("ü@例", "%C3%BC%40%E4%BE%8B"),
        ("100%", "100%25"),
        (long.as_str(), long.as_str()),
    ];
    for (id, encoded) in cases {
        let host = ScriptedHost::new(vec![session_ok()]);
        run(&host, &config(), id).unwrap();
        let expected = format!("https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/{encoded}/createImportSession");
        assert_eq!(host.sent.borrow()[0].url, expected, "{id}");
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn bad_mailbox_ids_are_refused_before_any_request() {
    for id in ["", ".", "..", "line\nbreak", "nul\u{0}", &"x".repeat(1025)] {
        let host = ScriptedHost::new(vec![]);
        let error = error_of(run(&host, &config(), id));
        assert_eq!(
            (error.code, error.attempts),
            (ErrorCode::InvalidArgument, 0),
            "{id:?}"
        );
        assert_eq!(host.sent_count(), 0);
        assert!(
            host.token_requests.borrow().is_empty(),
            "no token is fetched for a call that cannot be made"
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn throttling_with_retry_after_in_seconds_waits_that_long() {
    let throttled = response(
        429,
        &[("retry-after", "2"), ("request-id", "r1")],
        &graph_error_body("TooManyRequests", "Please retry again later."),
    );
    let host = ScriptedHost::new(vec![throttled, session_ok()]);
    run(&host, &config(), MAILBOX).unwrap();
    assert_eq!(*host.sleeps.borrow(), [2_000]);
    let sent = host.sent.borrow();
    assert_eq!(sent.len(), 2);
    assert_ne!(
        sent[0].header("client-request-id"),
        sent[1].header("client-request-id"),
        "a fresh id per request"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn throttling_with_retry_after_as_an_http_date() {
    // The fake clock reads 08:49:37; the service asks for 08:49:52.
    let throttled = response(503, &[("retry-after", "Sun, 06 Nov 1994 08:49:52 GMT")], "");
    let host = ScriptedHost::new(vec![throttled, session_ok()]);
    run(&host, &config(), MAILBOX).unwrap();
    assert_eq!(*host.sleeps.borrow(), [15_000]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn without_retry_after_the_backoff_doubles_with_jitter() {
    let busy = || {
        response(
            429,
            &[],
            &graph_error_body("TooManyRequests", "Please retry again later."),
        )
    };
    let mut host = ScriptedHost::new(vec![busy(), busy(), busy(), session_ok()]);
    host.random_byte = 0x80; // jitter draw 0x80808080 / 2^32 = 0.50196...
    run(&host, &config(), MAILBOX).unwrap();
    // base 1000 ms doubling: schedule 1000, 2000, 4000, each s becoming s/2 + floor(s/2 * 0.50196).
    assert_eq!(*host.sleeps.borrow(), [750, 1_501, 3_003]);

    let mut host = ScriptedHost::new(vec![busy(), busy(), session_ok()]);
    host.random_byte = 0;
    let config = config_with(RawOptions {
        retry_base_delay_ms: Some(100.0),
        ..RawOptions::default()
    });
    run(&host, &config, MAILBOX).unwrap();
    assert_eq!(*host.sleeps.borrow(), [50, 100]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn retries_run_out_into_throttled_and_service_unavailable() {
    let busy = || {
        response(
            429,
            &[("retry-after", "1"), ("request-id", "last-req")],
            &graph_error_body("TooManyRequests", "Please retry again later."),
        )
    };
    let host = ScriptedHost::new(vec![busy(), busy(), busy(), busy()]);
    let error = error_of(run(&host, &config(), MAILBOX));
    assert_eq!(error.code, ErrorCode::Throttled);
    assert_eq!(
        (error.status, error.attempts, error.retry_after_ms),
        (Some(429), 4, Some(1_000))
    );
    assert_eq!(error.graph_code.as_deref(), Some("TooManyRequests"));
    assert_eq!(error.request_id.as_deref(), Some("last-req"));
    assert_eq!(
        error.client_request_id.as_deref(),
        host.sent.borrow()[3].header("client-request-id")
    );
    assert_eq!(*host.sleeps.borrow(), [1_000, 1_000, 1_000]);

    let gateway = || response(504, &[], "");
    let host = ScriptedHost::new(vec![gateway(), gateway()]);
    let error = error_of(run(
        &host,
        &config_with(RawOptions {
            max_retries: Some(1.0),
            ..RawOptions::default()
        }),
        MAILBOX,
    ));
    assert_eq!(
        (
            error.code,
            error.status,
            error.attempts,
            error.retry_after_ms
        ),
        (ErrorCode::ServiceUnavailable, Some(504), 2, None)
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_retry_after_beyond_the_cap_fails_at_once_for_the_caller_to_schedule() {
    let host = ScriptedHost::new(vec![response(429, &[("retry-after", "120")], "")]);
    let error = error_of(run(&host, &config(), MAILBOX));
    assert_eq!(
        (error.code, error.retry_after_ms, error.attempts),
        (ErrorCode::Throttled, Some(120_000), 1)
    );
    assert!(host.sleeps.borrow().is_empty());
    assert!(error.message.contains("longer than maxRetryDelayMs"));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn retry_after_ms_is_at_most_a_day_whatever_the_service_says() {
    // 1.8e19 seconds: times 1000 overflows a u64, and is no number a caller can schedule by.
    for value in ["18446744073709551615", "99999999999999999999999", "86401"] {
        let host = ScriptedHost::new(vec![response(429, &[("retry-after", value)], "")]);
        let error = error_of(run(&host, &config(), MAILBOX));
        assert_eq!(
            (error.code, error.retry_after_ms),
            (ErrorCode::Throttled, Some(86_400_000)),
            "{value}"
        );
    }
    // A date far in the future, likewise.
    let host = ScriptedHost::new(vec![response(
        503,
        &[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")],
        "",
    )]);
    let error = error_of(run(&host, &config(), MAILBOX));
    assert_eq!(error.retry_after_ms, Some(86_400_000));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_502_and_other_statuses_are_not_retried() {
    for (status, code) in [
        (502, ErrorCode::GraphError),
        (500, ErrorCode::GraphError),
        (400, ErrorCode::GraphError),
        (403, ErrorCode::Forbidden),
        (404, ErrorCode::NotFound),
        (409, ErrorCode::GraphError),
    ] {
        let host = ScriptedHost::new(vec![response(
            status,
            &[("request-id", "rid")],
            &graph_error_body("SomeCode", "Some message."),
        )]);
        let error = error_of(run(&host, &config(), MAILBOX));
        assert_eq!(
            (error.code, error.status, error.attempts),
            (code, Some(status), 1),
            "{status}"
        );
        assert_eq!(
            (error.graph_code.as_deref(), error.request_id.as_deref()),
            (Some("SomeCode"), Some("rid"))
        );
        assert!(host.sleeps.borrow().is_empty());
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_401_asks_the_provider_once_more_with_force_refresh() {
    let expired = || {
        response(
            401,
            &[],
            &graph_error_body(
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
            ),
        )
    };
    let host = ScriptedHost::new(vec![expired(), session_ok()])
        .with_provider(vec![Ok("stale".into()), Ok("fresh".into())]);
    run(&host, &config(), MAILBOX).unwrap();
    let scopes = vec!["https://graph.microsoft.com/MailboxItem.ImportExport".to_string()];
    assert_eq!(
        *host.token_requests.borrow(),
        [(scopes.clone(), false), (scopes, true)]
    );
    let sent = host.sent.borrow();
    assert_eq!(sent[0].header("authorization"), Some("Bearer stale"));
    assert_eq!(sent[1].header("authorization"), Some("Bearer fresh"));
    assert!(host.sleeps.borrow().is_empty(), "the refresh is immediate");

    // Still 401 after the refresh: unauthorized, no third attempt.
    let host = ScriptedHost::new(vec![expired(), expired()]).with_provider(vec![]);
    let error = error_of(run(&host, &config(), MAILBOX));
    assert_eq!(
        (error.code, error.status, error.attempts),
        (ErrorCode::Unauthorized, Some(401), 2)
    );
    assert_eq!(
        error.graph_code.as_deref(),
        Some("InvalidAuthenticationToken")
    );
    assert_eq!(
        error.message,
        "Microsoft Graph answered 401: Access token has expired or is not yet valid. (the access token was refused even after a forced refresh: sign in again)"
    );

    // A fixed token cannot be refreshed, so it is not sent twice, and the hint says what is true of it.
    let host = ScriptedHost::new(vec![expired()]);
    let error = error_of(run(&host, &config(), MAILBOX));
    assert_eq!((error.code, error.attempts), (ErrorCode::Unauthorized, 1));
    assert_eq!(
        error.message,
        "Microsoft Graph answered 401: Access token has expired or is not yet valid. (the token was refused; pass a fresh one or a token provider)"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_provider_is_asked_before_each_request_and_forced_only_once() {
    let busy = || response(429, &[("retry-after", "0")], "");
    let expired = || response(401, &[], "");
    let host =
        ScriptedHost::new(vec![busy(), expired(), busy(), session_ok()]).with_provider(vec![]);
    run(&host, &config(), MAILBOX).unwrap();
    let forced: Vec<bool> = host
        .token_requests
        .borrow()
        .iter()
        .map(|(_, f)| *f)
        .collect();
    assert_eq!(forced, [false, false, true, false]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn token_provider_failures() {
    let cases: Vec<(Result<String, TokenError>, &str)> = vec![
        (
            Err(TokenError::Threw(
                "InteractionRequiredAuthError (interaction_required)".into(),
            )),
            "The token provider failed: InteractionRequiredAuthError (interaction_required)",
        ),
        (
            Err(TokenError::NotAString),
            "The token provider returned something other than a string",
        ),
        (Ok(String::new()), "The token provider's token is empty"),
        (
            Ok("Bearer abc.def".into()),
            "The token provider's token starts with \"Bearer \": pass the bare access token",
        ),
        (
            Ok("abc def".into()),
            "The token provider's token contains spaces, control or non-ASCII characters",
        ),
        // Byte 7 falls inside the two-byte "é": checking the prefix must not slice there.
        (
            Ok("abcdeféxyz".into()),
            "The token provider's token contains spaces, control or non-ASCII characters",
        ),
        (
            Ok("Beareré".into()),
            "The token provider's token contains spaces, control or non-ASCII characters",
        ),
    ];
    for (answer, message) in cases {
        let host = ScriptedHost::new(vec![]).with_provider(vec![answer]);
        let error = error_of(run(&host, &config(), MAILBOX));
        assert_eq!(
            (error.code, error.attempts, error.message.as_str()),
            (ErrorCode::TokenProviderFailed, 0, message)
        );
        assert_eq!(host.sent_count(), 0);
    }
    let host = ScriptedHost::new(vec![]).with_provider(vec![Err(TokenError::Aborted)]);
    assert_eq!(run(&host, &config(), MAILBOX), Err(Failure::Aborted));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn network_failures_and_timeouts_are_retried_then_reported() {
    let host = ScriptedHost::new(vec![
        Err(SendError::Network("fetch failed: ECONNRESET".into())),
        Err(SendError::Timeout),
        session_ok(),
    ]);
    run(&host, &config(), MAILBOX).unwrap();
    assert_eq!(*host.sleeps.borrow(), [500, 1_000]);

    let host = ScriptedHost::new(vec![Err(SendError::Timeout), Err(SendError::Timeout)]);
    let config = config_with(RawOptions {
        max_retries: Some(1.0),
        timeout_ms: Some(200.0),
        ..RawOptions::default()
    });
    let error = error_of(run(&host, &config, MAILBOX));
    assert_eq!(
        (error.code, error.attempts, error.status),
        (ErrorCode::Timeout, 2, None)
    );
    assert_eq!(
        error.message,
        "Microsoft Graph did not answer within 200 ms (2 attempts)"
    );
    assert_eq!(*host.timeouts.borrow(), [200, 200]);

    let host = ScriptedHost::new(vec![Err(SendError::Network("Failed to fetch".into()))]);
    let error = error_of(run(
        &host,
        &config_with(RawOptions {
            max_retries: Some(0.0),
            ..RawOptions::default()
        }),
        MAILBOX,
    ));
    assert_eq!(error.code, ErrorCode::Network);
    assert_eq!(error.message, "Could not reach Microsoft Graph (Failed to fetch); in a browser a CORS refusal looks the same (1 attempt)");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_abort_during_a_wait_stops_everything() {
    let mut host = ScriptedHost::new(vec![response(429, &[("retry-after", "5")], "")]);
    host.abort_on_sleep = Some(0);
    assert_eq!(run(&host, &config(), MAILBOX), Err(Failure::Aborted));
    assert_eq!(host.sent_count(), 1, "nothing is sent after the abort");

    let host = ScriptedHost::new(vec![Err(SendError::Aborted)]);
    assert_eq!(run(&host, &config(), MAILBOX), Err(Failure::Aborted));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn redirects_are_followed_only_within_the_graph_root() {
    let inside = response(
        308,
        &[(
            "location",
            "/beta/admin/exchange/mailboxes/MBX%3Aother/createImportSession",
        )],
        "",
    );
    let host = ScriptedHost::new(vec![inside, session_ok()]);
    run(&host, &config(), MAILBOX).unwrap();
    let sent = host.sent.borrow();
    assert_eq!(
        sent[1].url,
        "https://graph.microsoft.com/beta/admin/exchange/mailboxes/MBX%3Aother/createImportSession"
    );
    assert_eq!(
        (sent[1].method, sent[1].header("authorization")),
        (Method::Post, Some("Bearer fixed-token"))
    );
    drop(sent);

    for location in [
        "https://evil.example.net/steal",
        "//evil.example.net/steal",
        "http://graph.microsoft.com/v1.0/x",
        "https://graph.microsoft.com.evil.net/v1.0/x",
        "relative",
    ] {
        let host = ScriptedHost::new(vec![response(
            307,
            &[("location", location), ("request-id", "rr")],
            "",
        )]);
        let error = error_of(run(&host, &config(), MAILBOX));
        assert_eq!(
            (error.code, error.status, error.attempts),
            (ErrorCode::UntrustedImportUrl, Some(307), 1),
            "{location}"
        );
        assert!(!error.message.contains("evil"));
        assert_eq!(
            host.sent_count(),
            1,
            "the redirect target is never contacted"
        );
    }

    let host = ScriptedHost::new(vec![Err(SendError::HiddenRedirect)]);
    assert_eq!(
        error_of(run(&host, &config(), MAILBOX)).code,
        ErrorCode::GraphError
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn bodies_that_break_the_promise_are_invalid_responses() {
    for body in [
        "",
        "{\"importUrl\": \"http://",
        "<html>proxy</html>",
        r#"{"@odata.context":"x"}"#,
    ] {
        let host = ScriptedHost::new(vec![response(200, &[("request-id", "rid")], body)]);
        let error = error_of(run(&host, &config(), MAILBOX));
        assert_eq!(
            (error.code, error.status, error.attempts),
            (ErrorCode::InvalidResponse, Some(200), 1),
            "{body}"
        );
        assert_eq!(error.request_id.as_deref(), Some("rid"));
        assert_eq!(
            error.client_request_id.as_deref(),
            host.sent.borrow()[0].header("client-request-id")
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn no_error_message_carries_a_token_or_authtoken() {
    let echo = graph_error_body(
        "Bad",
        "token stale-secret-token and https://x/y?authtoken=ABC rejected",
    );
    let host = ScriptedHost::new(vec![response(400, &[], &echo)])
        .with_provider(vec![Ok("stale-secret-token".into())]);
    let error = error_of(run(&host, &config(), MAILBOX));
    assert!(
        !error.message.contains("stale-secret-token") && !error.message.contains("ABC"),
        "{}",
        error.message
    );

    let untrusted =
        SESSION_BODY.replace("https://outlook.office365.com", "https://evil.example.net");
    let host = ScriptedHost::new(vec![response(200, &[], &untrusted)]);
    let error = error_of(run(&host, &config(), MAILBOX));
    assert_eq!(error.code, ErrorCode::UntrustedImportUrl);
    assert!(!error.message.contains("SECRET-AUTHTOKEN") && !error.message.contains("authtoken"));
    assert!(!format!("{error:?}").contains("SECRET-AUTHTOKEN"));
}
