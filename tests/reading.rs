//! Reading mailboxes through the core loop against a scripted host: pages followed only on the Graph root,
//! a user's mailbox ids, and exports in batches of 20 with results in input order.

#![allow(clippy::result_large_err)]

mod support;

use graph_mailbox_import::config::{ClientConfig, RawOptions};
use graph_mailbox_import::flows::client::Failure;
use graph_mailbox_import::flows::reader::{
    export_items, list_all, list_pages, resolve_mailbox, UserMailboxes,
};
use graph_mailbox_import::transport::Method;
use graph_mailbox_import::wire::protocol::GraphCall;
use graph_mailbox_import::ErrorCode;
use support::*;

const ROOT: &str = "https://graph.microsoft.com/v1.0";

fn config() -> ClientConfig {
    ClientConfig::from_raw(RawOptions::default()).unwrap()
}

fn code(result: Result<impl std::fmt::Debug, Failure>) -> ErrorCode {
    match result {
        Err(Failure::Error(error)) => error.code,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn collections_are_read_page_by_page_on_the_graph_root() {
    let first = format!("{ROOT}/admin/exchange/mailboxes/MBX%3Aa%40b/folders");
    let page = |ids: &str, next: Option<&str>| {
        let next = next
            .map(|n| format!(r#","@odata.nextLink":"{n}""#))
            .unwrap_or_default();
        response(200, &[], &format!(r#"{{"value":[{ids}]{next}}}"#))
    };
    let second = format!("{ROOT}/admin/exchange/mailboxes/MBX%3Aa%40b/folders?$skiptoken=2");
    let third = format!("{ROOT}/admin/exchange/mailboxes/MBX%3Aa%40b/folders?$skiptoken=3");
    let host = ScriptedHost::new(vec![
        page(r#"{"id":"1"},{"id":"2"}"#, Some(&second)),
        page(r#"{"id":"3"}"#, Some(&third)),
        page("", None),
    ]);
    let values = block_on(list_all(&host, &config(), GraphCall::get(first.clone()))).unwrap();
    let ids: Vec<&str> = values.iter().filter_map(|v| v.get_str("id")).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    let sent = host.sent.borrow();
    let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls, [first.as_str(), second.as_str(), third.as_str()]);
    assert!(sent.iter().all(
        |r| r.method == Method::Get && r.header("authorization") == Some("Bearer fixed-token")
    ));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn each_page_is_handed_on_as_the_text_graph_sent() {
    let first = format!("{ROOT}/admin/exchange/mailboxes/MBX%3Aa%40b/folders/inbox/items");
    let second = format!("{first}?$skiptoken=2");
    // Whitespace, escapes, a number's own spelling and a repeated key: all kept as written, for
    // JavaScript's JSON.parse to read as it reads Graph's answer.
    let page_one = r#"[ {"id":"1","subject":"caf\u00e9 \"quoted\"","size":1.50E3} ,
        {"id":"2","id":"2b","categories":[]}]"#;
    let page_two = r#"[{"id":"3","hasAttachments":false,"flag":null}]"#;
    let host = ScriptedHost::new(vec![
        response(
            200,
            &[],
            &format!(
                r#"{{"@odata.context":"x","value": {page_one} ,"@odata.nextLink":"{second}"}}"#
            ),
        ),
        response(200, &[], &format!(r#"{{"value":{page_two}}}"#)),
    ]);
    let mut pages: Vec<String> = Vec::new();
    block_on(list_pages(
        &host,
        &config(),
        GraphCall::get(first.clone()),
        &mut |page| pages.push(page.into()),
    ))
    .unwrap();
    assert_eq!(pages, [page_one, page_two]);
    let urls: Vec<String> = host.sent.borrow().iter().map(|r| r.url.clone()).collect();
    assert_eq!(urls, [first, second]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_next_link_off_the_graph_root_is_refused_without_contacting_it() {
    let host = ScriptedHost::new(vec![response(
        200,
        &[],
        r#"{"value":[{"id":"1"}],"@odata.nextLink":"https://evil.example.net/v1.0/steal?token=1"}"#,
    )]);
    let result = block_on(list_all(
        &host,
        &config(),
        GraphCall::get(format!("{ROOT}/x")),
    ));
    assert_eq!(code(result), ErrorCode::UntrustedImportUrl);
    assert_eq!(host.sent_count(), 1);

    let same = format!(r#"{{"value":[],"@odata.nextLink":"{ROOT}/x"}}"#);
    let host = ScriptedHost::new(vec![response(200, &[], &same)]);
    assert_eq!(
        code(block_on(list_all(
            &host,
            &config(),
            GraphCall::get(format!("{ROOT}/x"))
        ))),
        ErrorCode::InvalidResponse
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn links_that_climb_out_of_a_graph_root_with_a_path_are_refused_without_contacting_them() {
    // A gateway in front of Graph at /graph: fetch would resolve the dot segments and send the bearer
    // token to /other-service on the same host.
    let gateway = ClientConfig::from_raw(RawOptions {
        graph_base_url: Some("https://gw.example.net/graph".into()),
        ..RawOptions::default()
    })
    .unwrap();
    let root = "https://gw.example.net/graph/v1.0";
    for climb in [
        "/../../other-service/steal",
        "/%2e%2e/%2E%2E/other-service/steal",
        "/.%2e/.%2E/other-service/steal",
        "/%2e./x",
        "/./x",
        "/%2E/x",
    ] {
        let next = format!(r#"{{"value":[],"@odata.nextLink":"{root}{climb}"}}"#);
        let host = ScriptedHost::new(vec![response(200, &[], &next)]);
        let result = block_on(list_all(
            &host,
            &gateway,
            GraphCall::get(format!("{root}/x")),
        ));
        assert_eq!(
            code(result),
            ErrorCode::UntrustedImportUrl,
            "nextLink {climb}"
        );
        assert_eq!(host.sent_count(), 1, "nextLink {climb}");

        let location = format!("{root}{climb}");
        let host = ScriptedHost::new(vec![response(308, &[("location", &location)], "")]);
        let result = block_on(list_all(
            &host,
            &gateway,
            GraphCall::get(format!("{root}/x")),
        ));
        assert_eq!(
            code(result),
            ErrorCode::UntrustedImportUrl,
            "308 to {climb}"
        );
        assert_eq!(host.sent_count(), 1, "308 to {climb}");
    }
    // Dots that are not whole segments, and dots in the query, are ordinary text.
    let next = format!(r#"{{"value":[],"@odata.nextLink":"{root}/a..b/...?$skiptoken=../x"}}"#);
    let host = ScriptedHost::new(vec![
        response(200, &[], &next),
        response(200, &[], r#"{"value":[]}"#),
    ]);
    assert!(block_on(list_all(
        &host,
        &gateway,
        GraphCall::get(format!("{root}/x"))
    ))
    .is_ok());
    assert_eq!(host.sent_count(), 2);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_archive_read_follows_a_308_on_the_root_only() {
    let moved = format!("{ROOT}/admin/exchange/mailboxes/MBX%3Aarchive/folders");
    let host = ScriptedHost::new(vec![
        response(308, &[("location", &moved)], ""),
        response(200, &[], r#"{"value":[{"id":"archived"}]}"#),
    ]);
    let values = block_on(list_all(
        &host,
        &config(),
        GraphCall::get(format!("{ROOT}/admin/exchange/mailboxes/MBX%3Aa/folders")),
    ))
    .unwrap();
    assert_eq!(values[0].get_str("id"), Some("archived"));
    assert_eq!(host.sent.borrow()[1].url, moved);

    let host = ScriptedHost::new(vec![response(
        308,
        &[("location", "https://evil.example.net/folders")],
        "",
    )]);
    assert_eq!(
        code(block_on(list_all(
            &host,
            &config(),
            GraphCall::get(format!("{ROOT}/x"))
        ))),
        ErrorCode::UntrustedImportUrl
    );
    assert_eq!(host.sent_count(), 1);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_user_resolves_to_their_mailboxes() {
    let host = ScriptedHost::new(vec![response(
        200,
        &[],
        r#"{"@odata.context":"x","primaryMailboxId":"MBX:p@t","inPlaceArchiveMailboxId":"MBX:a@t"}"#,
    )]);
    let mailboxes = block_on(resolve_mailbox(&host, &config(), "adele@contoso.com")).unwrap();
    assert_eq!(
        mailboxes,
        UserMailboxes {
            primary_mailbox_id: "MBX:p@t".into(),
            in_place_archive_mailbox_id: Some("MBX:a@t".into())
        }
    );
    assert_eq!(
        host.sent.borrow()[0].url,
        format!("{ROOT}/users/adele%40contoso.com/settings/exchange")
    );

    let host = ScriptedHost::new(vec![response(
        200,
        &[],
        r#"{"inPlaceArchiveMailboxId":""}"#,
    )]);
    assert_eq!(
        code(block_on(resolve_mailbox(&host, &config(), "adele"))),
        ErrorCode::InvalidResponse
    );
    let host = ScriptedHost::new(vec![]);
    assert_eq!(
        code(block_on(resolve_mailbox(&host, &config(), ".."))),
        ErrorCode::InvalidArgument
    );
}

/// exportItems' answer for `ids`, each exported, but for the ids listed in `errors`.
fn export_answer(ids: &[String], errors: &[(&str, &str)]) -> String {
    let values: Vec<String> = ids
        .iter()
        .map(|id| match errors.iter().find(|(e, _)| e == id) {
            Some((_, error)) => format!(r#"{{"itemId":"{id}",{error}}}"#),
            None => format!(r#"{{"itemId":"{id}","changeKey":"ck-{id}","data":"ZGF0YQ=="}}"#),
        })
        .collect();
    format!(r#"{{"value":[{}]}}"#, values.join(","))
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn exports_go_in_batches_of_twenty_and_come_back_in_input_order() {
    let ids: Vec<String> = (0..45).map(|i| format!("id{i}")).collect();
    let moved_url = format!("{ROOT}/admin/exchange/mailboxes/MBX%3Aarchive/exportItems");
    let moved = format!(
        r#""Error":{{"code":"ErrorArchiveFolderMovedPermanently","message":"Moved. Post to {moved_url}"}}"#
    );
    let answers = vec![
        response(
            200,
            &[],
            &export_answer(
                &ids[0..20],
                &[(
                    "id3",
                    r#""error":{"code":"ErrorItemNotFound","message":"Gone."}"#,
                )],
            ),
        ),
        // Answered out of order and missing one item.
        response(
            200,
            &[],
            &export_answer(&[ids[21].clone(), ids[20].clone()], &[]),
        ),
        response(200, &[], &export_answer(&ids[40..45], &[("id44", &moved)])),
        response(200, &[], &export_answer(&[ids[44].clone()], &[])),
    ];
    let host = ScriptedHost::new(answers);
    // Batch two is missing ids 22..39: those come back as not returned.
    let items = block_on(export_items(&host, &config(), "MBX:a@b", &ids)).unwrap();
    assert_eq!(items.len(), 45);
    let order: Vec<&str> = items.iter().map(|i| i.item_id.as_str()).collect();
    assert_eq!(order, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(items[0].data.as_deref(), Some("ZGF0YQ=="));
    assert_eq!(
        items[3].error,
        Some(("ErrorItemNotFound".into(), "Gone.".into()))
    );
    assert_eq!(items[30].error.as_ref().unwrap().0, "ErrorItemNotReturned");
    assert_eq!(
        (items[44].error.clone(), items[44].change_key.as_deref()),
        (None, Some("ck-id44")),
        "followed to the archive"
    );

    let sent = host.sent.borrow();
    assert_eq!(sent.len(), 4);
    let batch_sizes: Vec<usize> = sent
        .iter()
        .map(|r| r.body_text().unwrap().matches("\"id").count())
        .collect();
    assert_eq!(batch_sizes, [20, 20, 5, 1]);
    assert_eq!(
        sent[0].body_text().unwrap().split(',').next(),
        Some(r#"{"itemIds":["id0""#)
    );
    assert_eq!(sent[3].url, moved_url);
    assert!(sent.iter().all(|r| r.method == Method::Post));
    assert!(
        sent.iter()
            .all(|r| r.header("content-type") == Some("application/json")),
        "Graph refuses a JSON body without its content type"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn export_arguments_are_checked_before_any_request() {
    let host = ScriptedHost::new(vec![]);
    assert_eq!(
        code(block_on(export_items(
            &host,
            &config(),
            "MBX:a@b",
            &["".into()]
        ))),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(block_on(export_items(&host, &config(), "", &["x".into()]))),
        ErrorCode::InvalidArgument
    );
    assert_eq!(host.sent_count(), 0);
    assert_eq!(
        block_on(export_items(&host, &config(), "MBX:a@b", &[])).unwrap(),
        vec![]
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn list_ids_are_checked_before_any_request() {
    use graph_mailbox_import::flows::reader::list_folders;
    use graph_mailbox_import::wire::pages::{prepare_list_folders, prepare_list_items};
    let host = ScriptedHost::new(vec![]);
    let config = config();
    assert_eq!(
        code(block_on(list_folders(&host, &config, "", None, false))),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(block_on(list_folders(
            &host,
            &config,
            "MBX:a@b",
            Some(".."),
            true
        ))),
        ErrorCode::InvalidArgument
    );
    // listItems and listFolders prepare their first call before any page is read.
    let refused = |prepared: Result<GraphCall, graph_mailbox_import::MailboxError>| {
        prepared.map(|_| ()).unwrap_err().code
    };
    assert_eq!(
        refused(prepare_list_items(&config, "MBX:a@b", "")),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        refused(prepare_list_items(&config, "", "inbox")),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        refused(prepare_list_folders(
            &config,
            "MBX:a@b",
            Some("a\u{1}b"),
            false
        )),
        ErrorCode::InvalidArgument
    );
    assert!(host.sent.borrow().is_empty(), "nothing was sent");
}
