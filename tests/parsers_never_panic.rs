//! Property tests: whatever a server or a caller sends, the parsers answer with a value or a refusal and
//! never panic (a panic in wasm aborts the whole module for every later call).

#![cfg(not(target_arch = "wasm32"))]

use graph_mailbox_import::codec::json;
use graph_mailbox_import::codec::time::{parse_http_date, parse_iso_datetime};
use graph_mailbox_import::codec::url::{parse_target, resolve_location, TrustedHost};
use graph_mailbox_import::config::{ClientConfig, RawOptions};
use graph_mailbox_import::error::redact;
use graph_mailbox_import::transport::HttpResponse;
use graph_mailbox_import::wire::import_host::{
    classify_import_answer, expected_mailbox, import_body, ImportItem, ItemData, Mode,
};
use graph_mailbox_import::wire::protocol::{
    check_import_url, graph_error, parse_graph_error_body, parse_import_session,
    validate_mailbox_id,
};
use graph_mailbox_import::wire::retry::parse_retry_after;
use proptest::prelude::*;

/// Strings built from the characters that matter to these grammars, so the search reaches deep paths,
/// plus arbitrary Unicode.
fn grammar_soup() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex(r#"[{}\[\]":,\\/0-9a-zA-Z .+\-eE\tnultrfs@?#%:]{0,80}"#)
            .unwrap(),
        any::<String>(),
    ]
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
        let _ = classify_import_answer(&response);
        let _ = expected_mailbox(&body);
        let _ = graph_mailbox_import::codec::base64::is_valid(&body);
        let _ = graph_mailbox_import::wire::pages::parse_page(&body);
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
            data: ItemData::Bytes(data.clone()),
            mode: if update { Mode::Update } else { Mode::Create },
            item_id: update.then(|| key.clone()),
            change_key: update.then(|| key.clone()),
        };
        let body = json::parse(&import_body(&item)).expect("the body is JSON");
        prop_assert_eq!(body.get_str("FolderId"), Some(folder.as_str()));
        prop_assert_eq!(body.get_str("Mode"), Some(if update { "update" } else { "create" }));
        prop_assert_eq!(body.get_str("ChangeKey").is_some(), update);
        let mut expected = Vec::new();
        graph_mailbox_import::codec::base64::encode_into(&mut expected, &data);
        prop_assert_eq!(body.get_str("Data").map(str::as_bytes), Some(expected.as_slice()));
    }
}
