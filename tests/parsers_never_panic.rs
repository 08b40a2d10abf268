//! Property tests: whatever a server or a caller sends, every public function that takes outside text
//! (tokens, ids, names, URLs, headers, Retry-After, JSON, base64, dates, messages) answers with a value or
//! a refusal and never panics: a panic in wasm traps the whole module for every later call.
//!
//! The generators reach multi-byte characters at every byte offset, U+FFFD (what a lone surrogate from
//! JavaScript becomes after a lossy conversion), empty and huge values.

#![cfg(not(target_arch = "wasm32"))]

use graph_mailbox_import::codec::base64;
use graph_mailbox_import::codec::json;
use graph_mailbox_import::codec::text::find;
use graph_mailbox_import::codec::time::{parse_http_date, parse_iso_datetime};
use graph_mailbox_import::codec::url::{
    has_dot_segment, is_loopback, parse_authority, percent_encode,
};
use graph_mailbox_import::codec::url::{parse_target, resolve_location, TrustedHost};
use graph_mailbox_import::config::default_scopes;
use graph_mailbox_import::config::RetryPolicy;
use graph_mailbox_import::config::{ClientConfig, RawOptions};
use graph_mailbox_import::error::redact;
use graph_mailbox_import::flows::client::token_problem;
use graph_mailbox_import::flows::copy::{has_duplicates, CopyJob};
use graph_mailbox_import::flows::entra::{
    entra_error, parse_token_answer, AppCredentials, AppToken, RawAppOptions,
};
use graph_mailbox_import::transport::HttpResponse;
use graph_mailbox_import::wire::import_host::{
    body_for, classify_import_answer, expected_mailbox, ImportAnswer, ImportItem, ItemData, Mode,
};
use graph_mailbox_import::wire::import_host::{import_body_with, needs_renewal, validate_item};
use graph_mailbox_import::wire::pages::{
    check_next_link, exchange_settings_url, export_body, export_url, folders_url, items_url,
};
use graph_mailbox_import::wire::protocol::{
    check_import_url, graph_error, parse_graph_error_body, parse_import_session,
    validate_mailbox_id,
};
use graph_mailbox_import::wire::protocol::{create_import_session_url, validate_id, ImportSession};
use graph_mailbox_import::wire::retry::{
    backoff_ms, decide, parse_retry_after, Class, Decision, MAX_RETRY_AFTER_MS,
};
use proptest::prelude::*;

/// Strings built from the characters that matter to these grammars, so the search reaches deep paths,
/// plus arbitrary Unicode, multi-byte characters among ASCII (so every byte index can fall inside one),
/// U+FFFD, the empty string and huge values.
fn grammar_soup() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::string::string_regex(r#"[{}\[\]":,\\/0-9a-zA-Z .+\-eE\tnultrfs@?#%:]{0,80}"#)
            .unwrap(),
        2 => any::<String>(),
        3 => multi_byte(),
        1 => Just(String::new()),
        1 => huge(),
    ]
}

/// ASCII with two-, three- and four-byte characters and U+FFFD mixed in at any position.
fn multi_byte() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 :/.%=@?&\"{}é€😀\u{FFFD}\u{0301}]{0,40}").unwrap()
}

/// Values far beyond anything real: long runs of one character (ASCII, multi-byte, digits).
fn huge() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["a", "é", "9", "😀", "\u{FFFD}", "%2e", "{\"a\":", "["]),
        10_000usize..70_000,
    )
        .prop_map(|(piece, count)| piece.repeat(count / piece.len()))
}

/// The documented bodies with one random cut or splice, the likeliest shape of a truncated answer.
fn damaged_documented_body() -> impl Strategy<Value = String> {
    const BODIES: [&str; 3] = [
        r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.mailboxItemImportSession","importUrl":"https://outlook.office365.com/api/gv1.0/Mailboxes('MBX:e0643f21@a7809c93')/importItem?authtoken=eyJhbGciOiJSUzI1NiIsImtpZCI6IjFTeXQ1b","expirationDateTime":"2024-10-17T19:00:48.1052906Z"}"#,
        r#"{"error":{"code":"TooManyRequests","message":"Please retry again later.","innerError":{"request-id":"r","client-request-id":"c","date":"2024-10-17T19:00:48","innerError":{"code":"Deeper"}}}}"#,
        r#"{"value":[{"itemId":"AAMk","changeKey":"CQAA","data":"AAEAAAD/////AQAAAAAAAAA="},{"itemId":"x","error":{"code":"ErrorItemNotFound","message":"Not found"}}]}"#,
    ];
    (
        0..BODIES.len(),
        any::<prop::sample::Index>(),
        grammar_soup(),
    )
        .prop_map(|(which, cut, splice)| {
            let body = BODIES[which];
            let mut at = cut.index(body.len() + 1);
            while !body.is_char_boundary(at) {
                at -= 1;
            }
            [&body[..at], &splice].concat()
        })
}

fn config() -> ClientConfig {
    ClientConfig::from_raw(RawOptions::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn json_and_graph_bodies(body in prop_oneof![grammar_soup(), damaged_documented_body()], status in 100u16..600) {
        prop_assert_eq!(json::parts(&body).is_some(), json::parse(&body).is_some());
        if let Some(value) = json::parse(&body) {
            let _ = value.get("error");
            // What is read is written back as JSON that reads the same (lists reach JavaScript this way).
            let mut written = String::new();
            json::write_value(&mut written, &value);
            prop_assert_eq!(json::parse(&written), Some(value));
        }
        let _ = parse_graph_error_body(&body);
        let response = HttpResponse { status, headers: vec![("request-id".into(), "r".into())], body: body.clone() };
        let error = graph_error(&response, &["eyJhbGciOiJSUzI1NiIsImtpZCI6IjFTeXQ1b"]);
        prop_assert!(!error.message.contains("eyJhbGciOiJSUzI1NiIsImtpZCI6IjFTeXQ1b"));
        if let Err(error) = parse_import_session(&config(), &response) {
            prop_assert!(!error.message.contains("authtoken="));
        }
    }

    #[test]
    fn retry_after_and_dates(value in grammar_soup(), now in any::<f64>()) {
        let _ = parse_retry_after(&value, now);
        let _ = parse_http_date(&value);
        let _ = parse_iso_datetime(&value);
    }

    #[test]
    fn urls_hosts_and_ids(text in grammar_soup(), base in grammar_soup()) {
        let _ = parse_target(&text);
        let _ = TrustedHost::parse(&text);
        let _ = check_import_url(&config(), &text);
        let _ = resolve_location(&base, &text);
        let _ = resolve_location("https://graph.microsoft.com/v1.0/x", &text);
        let _ = validate_mailbox_id(&text);
        let _ = ClientConfig::from_raw(RawOptions { graph_base_url: Some(text.clone()), ..RawOptions::default() });
        let _ = redact(&text, &[&base]);
    }

    #[test]
    fn import_host_answers(body in prop_oneof![grammar_soup(), damaged_documented_body()], status in 100u16..600) {
        let response = HttpResponse { status, headers: vec![], body: body.clone() };
        if let ImportAnswer::Final(error) | ImportAnswer::Retryable(error) | ImportAnswer::SessionRejected(error) | ImportAnswer::Unreadable(error) | ImportAnswer::MaybeImported(error) | ImportAnswer::WrongMailbox(_, error) = classify_import_answer(&response, "https://outlook.office365.com/x?authtoken=eyJ0eXAiOiJKV1Qi&v=1", Mode::Create) {
            prop_assert!(!error.message.contains("eyJ0eXAiOiJKV1Qi"));
        }
        let _ = expected_mailbox(&body);
        let _ = graph_mailbox_import::codec::base64::is_valid(&body);
        if let Ok(page) = graph_mailbox_import::wire::pages::parse_page(&body) {
            // What a listing hands to JavaScript's JSON.parse is an array that reads.
            let values = body.get(page.values).map(json::parse);
            prop_assert!(matches!(values, Some(Some(json::Value::Array(_)))), "{:?}", body);
        }
        if let Ok(items) = graph_mailbox_import::wire::pages::parse_export(&body) {
            for item in items {
                let _ = item.moved_to(&config());
            }
        }
    }

    #[test]
    fn import_bodies_are_json_that_reads_back(folder in any::<String>(), data in proptest::collection::vec(any::<u8>(), 1..300), update in any::<bool>(), key in any::<String>()) {
        let item = ImportItem {
            folder_id: folder.clone(),
            data: {
                let mut text = Vec::new();
                graph_mailbox_import::codec::base64::encode_into(&mut text, &data);
                ItemData::Base64(String::from_utf8(text).unwrap())
            },
            mode: if update { Mode::Update } else { Mode::Create },
            item_id: update.then(|| key.clone()),
            change_key: update.then(|| key.clone()),
        };
        let body = json::parse(&body_for(&item).unwrap()).expect("the body is JSON");
        prop_assert_eq!(body.get_str("FolderId"), Some(folder.as_str()));
        prop_assert_eq!(body.get_str("Mode"), Some(if update { "update" } else { "create" }));
        prop_assert_eq!(body.get_str("ChangeKey").is_some(), update);
        let mut expected = Vec::new();
        graph_mailbox_import::codec::base64::encode_into(&mut expected, &data);
        prop_assert_eq!(body.get_str("Data").map(str::as_bytes), Some(expected.as_slice()));
    }

    #[test]
    fn tokens_and_options(text in grammar_soup(), other in grammar_soup(), number in any::<f64>()) {
        let _ = token_problem(&text);
        let _ = default_scopes(&text);
        let raw = RawOptions {
            api_version: Some(text.clone()),
            graph_base_url: Some(text.clone()),
            trusted_import_hosts: Some(vec![text.clone(), other.clone()]),
            timeout_ms: Some(number),
            max_retries: Some(number),
            retry_base_delay_ms: Some(number),
            max_retry_delay_ms: Some(number),
            scopes: Some(vec![text.clone()]),
            renew_before_ms: Some(number),
            mailbox_concurrency: Some(number),
        };
        let _ = ClientConfig::from_raw(raw);
        if let Ok(config) = ClientConfig::from_raw(RawOptions { graph_base_url: Some(text.clone()), ..RawOptions::default() }) {
            let _ = config.is_under_graph_root(&other);
            let _ = config.versioned_root();
        }
        let _ = AppCredentials::from_raw(RawAppOptions {
            tenant_id: Some(text.clone()),
            client_id: Some(other.clone()),
            client_secret: Some(text.clone()),
            authority_host: Some(other.clone()),
            scope: Some(text.clone()),
            renew_before_ms: Some(number),
            timeout_ms: Some(number),
        });
    }

    #[test]
    fn ids_into_urls_and_bodies(text in grammar_soup(), other in grammar_soup(), flag in any::<bool>()) {
        let config = ClientConfig::from_raw(RawOptions { graph_base_url: Some("http://127.0.0.1:9/graph".into()), ..RawOptions::default() }).unwrap();
        let _ = validate_id("folderId", &text);
        let _ = create_import_session_url(&config, &text);
        let _ = exchange_settings_url(&config, &text);
        let _ = folders_url(&config, &text, Some(&other), flag);
        let _ = items_url(&config, &text, &other);
        let _ = export_url(&config, &text);
        let _ = check_next_link(&config, &text);
        prop_assert!(json::parse(&export_body(&[&text, &other])).is_some());
        let mut encoded = String::new();
        percent_encode(&mut encoded, &text);
        let _ = parse_authority(&text);
        let _ = is_loopback(&text);
        let _ = has_dot_segment(&text);
        let _ = find(&text, &other, flag);
        let ids = vec![text.clone(), other.clone(), text.clone()];
        let _ = has_duplicates(&ids);
        let job = CopyJob { source_mailbox: &text, item_ids: &ids, target_mailbox: &other, folder_id: &other };
        let _ = job.validate();
    }

    #[test]
    fn items_with_any_fields_and_data(folder in grammar_soup(), id in grammar_soup(), data in grammar_soup(), update in any::<bool>(), claimed_len in prop_oneof![0usize..100_000, (1usize << 40)..=usize::MAX]) {
        let item = ImportItem {
            folder_id: folder,
            data: ItemData::Base64(data.clone()),
            mode: if update { Mode::Update } else { Mode::Create },
            item_id: update.then(|| id.clone()),
            change_key: update.then(|| id.clone()),
        };
        let _ = validate_item(&item);
        let _ = base64::is_valid_bytes(data.as_bytes());
        // A length that lies (the wasm layer passes what JavaScript claims) is refused, not a trap.
        let _ = import_body_with(&item, claimed_len, false, |out| out.extend_from_slice(data.as_bytes()));
        let _ = base64::encoded_len(claimed_len);
    }

    #[test]
    fn entra_answers(body in prop_oneof![grammar_soup(), damaged_documented_body()], secret in grammar_soup(), status in 100u16..600, now in any::<f64>()) {
        if let Ok(token) = parse_token_answer(&body, now) {
            let _ = token.usable(now, u64::MAX);
        }
        let response = HttpResponse { status, headers: vec![], body: body.clone() };
        let error = entra_error(&response, &secret);
        if secret.len() >= 4 {
            prop_assert!(!error.message.contains(&secret));
        }
    }

    #[test]
    fn headers_numbers_and_clocks(name in grammar_soup(), value in grammar_soup(), retry in any::<u32>(), base in any::<u64>(), cap in any::<u64>(), unit in any::<f64>(), now in any::<f64>(), expires in any::<i64>()) {
        let response = HttpResponse { status: 429, headers: vec![(name.clone(), value.clone())], body: String::new() };
        let _ = response.header(&name);
        let _ = response.header(&value);
        let retry_after = parse_retry_after(&value, now);
        let _ = backoff_ms(retry, base, cap, unit);
        // Whatever the service says, what a caller is told is at most a day.
        let policy = RetryPolicy { timeout_ms: 1, max_retries: retry % 11, base_delay_ms: base, max_delay_ms: cap };
        for class in [Class::Throttled, Class::Unavailable, Class::Transport, Class::Final] {
            if let Decision::GiveUp(reason) = decide(class, retry_after, &policy, retry, || unit) {
                let mut error = graph_mailbox_import::MailboxError::invalid_argument("x");
                reason.annotate(&mut error, retry_after, "");
                prop_assert!(error.retry_after_ms.is_none_or(|ms| ms <= MAX_RETRY_AFTER_MS));
            }
        }
        let session = ImportSession { import_url: value, expiration_date_time: name, expires_at_ms: expires };
        let _ = needs_renewal(&session, now, base);
        let token = AppToken { access_token: String::new(), expires_at_ms: now, lifetime_ms: unit };
        let _ = token.usable(now, cap);
    }
}
