//! importItem and importItems through the core, natively, on a simulated clock: the exact posts sent, the
//! sessions created, waits, renewals, archive switches, and bulk runs that settle every item exactly once.

#![allow(clippy::result_large_err)]

#[path = "support/sim.rs"]
mod sim;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use graph_mailbox_import::config::{ClientConfig, RawOptions};
use graph_mailbox_import::flows::bulk::{
    import_items, BulkOptions, ItemResult, ItemSource, NextItem, Observer, Progress, Pulled,
    Report, Status, Stopped,
};
use graph_mailbox_import::flows::importer::{import_item, ItemError, SessionStore};
use graph_mailbox_import::flows::Client;
use graph_mailbox_import::transport::SendError;
use graph_mailbox_import::wire::import_host::{ImportItem, ImportedItem, ItemData, Mode};
use graph_mailbox_import::ErrorCode;
use sim::{config, join_all, json_response, Fault, SimHost, Tenant, HOUR};

const MAILBOX: &str = "MBX:e0643f21@a7809c93";

fn create(folder: &str, data: &[u8]) -> ImportItem {
    ImportItem {
        folder_id: folder.into(),
        data: base64_of(data),
        mode: Mode::Create,
        item_id: None,
        change_key: None,
    }
}

fn base64_of(bytes: &[u8]) -> ItemData {
    let mut text = Vec::new();
    graph_mailbox_import::codec::base64::encode_into(&mut text, bytes);
    ItemData::Base64(String::from_utf8(text).unwrap())
}

fn setup(latency_ms: f64, lifetime_ms: f64) -> (SimHost, Rc<RefCell<Tenant>>) {
    let tenant = Tenant::new(lifetime_ms);
    let host = SimHost::new(latency_ms, Tenant::responder(&tenant));
    (host, tenant)
}

fn import_one(
    host: &SimHost,
    store: &SessionStore,
    item: &ImportItem,
) -> Result<ImportedItem, ItemError> {
    host.run(import_item(
        Client {
            effects: host,
            config: &config(),
            sessions: store,
        },
        MAILBOX,
        item,
    ))
}

fn failed_code(result: Result<ImportedItem, ItemError>) -> ErrorCode {
    match result {
        Err(ItemError::Failed(error) | ItemError::NoSession { error, .. }) => error.code,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_item_is_posted_to_the_import_url_with_nothing_but_its_json_body() {
    let (host, tenant) = setup(10.0, HOUR);
    let store = SessionStore::default();
    let imported = import_one(&host, &store, &create("AAMkInbox", b"foobar")).unwrap();
    assert_eq!(
        imported,
        ImportedItem {
            item_id: "item1".into(),
            change_key: "ck1".into()
        }
    );

    let posts = host.import_posts();
    assert_eq!(posts.len(), 1);
    let post = &posts[0].request;
    assert_eq!(post.url, "https://outlook.office365.com/api/gv1.0/Mailboxes('MBX:e0643f21@a7809c93')/importItem?authtoken=tok1");
    assert_eq!(
        post.headers,
        vec![("content-type", "application/json".to_string())],
        "no Authorization, no custom headers"
    );
    assert_eq!(
        post.body_text(),
        Some(r#"{"FolderId":"AAMkInbox","Mode":"create","Data":"Zm9vYmFy"}"#)
    );
    assert_eq!(
        tenant.borrow().items,
        vec![(MAILBOX.into(), "AAMkInbox".into(), "Zm9vYmFy".into())]
    );

    // The session is reused by the next item.
    import_one(&host, &store, &create("AAMkInbox", b"second")).unwrap();
    assert_eq!(host.graph_calls(), 1);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn base64_data_is_passed_through_and_updates_carry_their_keys() {
    let (host, _tenant) = setup(0.0, HOUR);
    let store = SessionStore::default();
    let item = ImportItem {
        folder_id: "f".into(),
        data: ItemData::Base64("AAEAAAD/////AQAAAAAAAAA=".into()),
        mode: Mode::Update,
        item_id: Some("AAMkOld".into()),
        change_key: Some("CQAAAB".into()),
    };
    import_one(&host, &store, &item).unwrap();
    let body = host.import_posts()[0].request.body.clone().unwrap();
    assert_eq!(
        &*body,
        r#"{"FolderId":"f","Mode":"update","ItemId":"AAMkOld","ChangeKey":"CQAAAB","Data":"AAEAAAD/////AQAAAAAAAAA="}"#
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn invalid_items_are_refused_before_any_request() {
    let (host, _tenant) = setup(0.0, HOUR);
    let store = SessionStore::default();
    let mut with_key = create("f", b"x");
    with_key.change_key = Some("ck".into());
    for item in [create("", b"x"), create("f", b""), with_key] {
        assert_eq!(
            failed_code(import_one(&host, &store, &item)),
            ErrorCode::InvalidArgument
        );
    }
    assert!(host.seen.borrow().is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn concurrent_posts_needing_a_session_share_one_create_import_session() {
    let (host, _tenant) = setup(50.0, HOUR);
    let store = SessionStore::default();
    let config = config();
    let items: Vec<ImportItem> = (0..4)
        .map(|i| create("f", format!("item {i}").as_bytes()))
        .collect();
    let results = import_all_at_once(&host, &config, &store, &items);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(host.graph_calls(), 1);
    assert_eq!(store.created.get(), 1);
    assert_eq!(host.peak_in_flight.get(), 4);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn every_call_of_a_client_together_keeps_to_four_posts_per_mailbox() {
    // Ten importItem calls at once (a Promise.all in JavaScript): never more than four on the wire.
    let (host, tenant) = setup(50.0, HOUR);
    let store = SessionStore::default();
    let config = config();
    let items: Vec<ImportItem> = (0..10)
        .map(|i| create("f", format!("item {i}").as_bytes()))
        .collect();
    let results = import_all_at_once(&host, &config, &store, &items);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(host.peak_in_flight.get(), 4);
    assert_eq!(tenant.borrow().items.len(), 10);

    let one_at_a_time = ClientConfig::from_raw(RawOptions {
        mailbox_concurrency: Some(1.0),
        ..RawOptions::default()
    })
    .unwrap();
    let (host, _tenant) = setup(50.0, HOUR);
    let store = SessionStore::default();
    import_all_at_once(&host, &one_at_a_time, &store, &items);
    assert_eq!(host.peak_in_flight.get(), 1);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn sessions_are_renewed_before_they_expire() {
    // Sessions live 10 minutes; the default margin renews them 5 minutes early.
    let (host, _tenant) = setup(0.0, 600_000.0);
    let store = SessionStore::default();
    import_one(&host, &store, &create("f", b"a")).unwrap();
    host.run(host.clock.sleep(240_000.0)); // 4 minutes later: still 6 to go
    import_one(&host, &store, &create("f", b"b")).unwrap();
    assert_eq!(host.graph_calls(), 1);
    host.run(host.clock.sleep(120_000.0)); // 6 minutes in: within the margin
    import_one(&host, &store, &create("f", b"c")).unwrap();
    assert_eq!(host.graph_calls(), 2);
    let urls: Vec<String> = host
        .import_posts()
        .iter()
        .map(|p| p.request.url.clone())
        .collect();
    assert!(urls[1].ends_with("tok1") && urls[2].ends_with("tok2"));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_refused_session_is_renewed_once() {
    let (host, tenant) = setup(0.0, HOUR);
    let store = SessionStore::default();
    import_one(&host, &store, &create("f", b"a")).unwrap();
    tenant.borrow_mut().sessions.clear(); // the service forgot the session
    import_one(&host, &store, &create("f", b"b")).unwrap();
    assert_eq!(host.graph_calls(), 2);
    let statuses: Vec<Option<u16>> = host.import_posts().iter().map(|p| p.status).collect();
    assert_eq!(statuses, [Some(200), Some(401), Some(200)]);

    // Refused again after the renewal: sessionExpired, no third session.
    tenant.borrow_mut().fault =
        Box::new(|_, _| Some(Fault::Answer(json_response(403, r#"{"Message":"no"}"#))));
    let error = host.run(import_item(
        Client {
            effects: &host,
            config: &config(),
            sessions: &store,
        },
        MAILBOX,
        &create("f", b"c"),
    ));
    assert_eq!(failed_code(error), ErrorCode::SessionExpired);
    assert_eq!(host.graph_calls(), 3);

    // A 404 from a session created moments ago points at the folder: notFound, saying so.
    tenant.borrow_mut().fault = Box::new(|_, _| {
        Some(Fault::Answer(json_response(
            404,
            r#"{"Message":"The specified folder was not found in the store."}"#,
        )))
    });
    let error = host.run(import_item(
        Client {
            effects: &host,
            config: &config(),
            sessions: &store,
        },
        MAILBOX,
        &create("no-such-folder", b"d"),
    ));
    let Err(ItemError::Failed(error)) = error else {
        panic!("expected a failure, got {error:?}")
    };
    assert_eq!(error.code, ErrorCode::NotFound);
    assert!(error
        .message
        .contains("folder (item.folderId) probably does not exist"));
    assert_eq!(error.status, Some(404));
    assert_eq!(host.graph_calls(), 4, "one renewal, then no more");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_404_after_renewal_is_session_expired_when_the_host_said_so_or_the_session_is_past_its_expiry()
{
    // The host says the session expired, and says it again for the renewed one: no folder guess.
    let (host, tenant) = setup(0.0, HOUR);
    let store = SessionStore::default();
    tenant.borrow_mut().fault = Box::new(|_, _| {
        Some(Fault::Answer(json_response(
            404,
            r#"{"Message":"The import session has Expired."}"#,
        )))
    });
    let error = host.run(import_item(
        Client {
            effects: &host,
            config: &config(),
            sessions: &store,
        },
        MAILBOX,
        &create("f", b"a"),
    ));
    let Err(ItemError::Failed(error)) = error else {
        panic!("expected a failure, got {error:?}")
    };
    assert_eq!(error.code, ErrorCode::SessionExpired);
    assert_eq!(error.status, Some(404));
    assert!(
        error.message.contains("The import session has Expired."),
        "{}",
        error.message
    );
    assert!(!error.message.contains("folderId"), "{}", error.message);
    assert_eq!(host.graph_calls(), 2, "one renewal, then no more");

    // Graph hands out sessions already past their expirationDateTime (a clock gone wrong): a bare 404 for
    // each is the session, not the folder.
    let (host, tenant) = setup(0.0, -1_000.0);
    tenant.borrow_mut().fault = Box::new(|_, _| {
        Some(Fault::Answer(json_response(
            404,
            r#"{"Message":"Not found."}"#,
        )))
    });
    let error = host.run(import_item(
        Client {
            effects: &host,
            config: &config(),
            sessions: &SessionStore::default(),
        },
        MAILBOX,
        &create("f", b"b"),
    ));
    let Err(ItemError::Failed(error)) = error else {
        panic!("expected a failure, got {error:?}")
    };
    assert_eq!(error.code, ErrorCode::SessionExpired);
    assert!(!error.message.contains("folderId"), "{}", error.message);
    assert_eq!(host.graph_calls(), 2, "one renewal, then no more");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_409_naming_the_archive_mailbox_moves_the_item_there() {
    let archive = "MBX:a4c41e0e@a7809c93";
    let (host, tenant) = setup(0.0, HOUR);
    tenant
        .borrow_mut()
        .archive_folders
        .insert("ArchiveFolder".into(), archive.into());
    let store = SessionStore::default();
    import_one(&host, &store, &create("ArchiveFolder", b"old mail")).unwrap();
    let posts = host.import_posts();
    assert_eq!(
        posts.iter().map(|p| p.status).collect::<Vec<_>>(),
        [Some(409), Some(200)]
    );
    assert!(posts[1]
        .request
        .url
        .contains("Mailboxes('MBX:a4c41e0e@a7809c93')"));
    assert_eq!(tenant.borrow().items[0].0, archive);
    assert_eq!(host.graph_calls(), 2);

    // The next item for that folder goes straight to the archive, without a refused post first.
    import_one(&host, &store, &create("ArchiveFolder", b"older mail")).unwrap();
    let posts = host.import_posts();
    assert_eq!(posts.len(), 3);
    assert!(posts[2]
        .request
        .url
        .contains("Mailboxes('MBX:a4c41e0e@a7809c93')"));
    assert_eq!(host.graph_calls(), 2, "the archive's session is reused");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn throttled_posts_wait_and_retry() {
    let (host, tenant) = setup(0.0, HOUR);
    let mut throttled = json_response(
        429,
        r#"{"Message":"Application is over its MailboxConcurrency limit."}"#,
    )
    .unwrap();
    throttled.headers.push(("retry-after".into(), "3".into()));
    tenant.borrow_mut().fault =
        Box::new(move |n, _| (n == 0).then(|| Fault::Answer(Ok(throttled.clone()))));
    let store = SessionStore::default();
    import_one(&host, &store, &create("f", b"a")).unwrap();
    let posts = host.import_posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[1].at - posts[0].at, 3_000.0);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_import_hosts_retry_after_is_reported_within_a_day() {
    let (host, tenant) = setup(0.0, HOUR);
    let mut throttled = json_response(429, r#"{"Message":"busy"}"#).unwrap();
    throttled
        .headers
        .push(("retry-after".into(), "18446744073709551615".into()));
    tenant.borrow_mut().fault = Box::new(move |_, _| Some(Fault::Answer(Ok(throttled.clone()))));
    let store = SessionStore::default();
    let error = match import_one(&host, &store, &create("f", b"a")) {
        Err(ItemError::Failed(error)) => error,
        other => panic!("expected a failure, got {other:?}"),
    };
    assert_eq!(
        (error.code, error.retry_after_ms, error.attempts),
        (ErrorCode::Throttled, Some(86_400_000), 1)
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_create_whose_answer_was_lost_is_outcome_unknown_and_never_replayed() {
    let (host, tenant) = setup(0.0, HOUR);
    tenant.borrow_mut().fault = Box::new(|n, _| (n == 0).then_some(Fault::ProcessThenDrop));
    let store = SessionStore::default();
    let error = import_one(&host, &store, &create("f", b"a"));
    assert_eq!(failed_code(error), ErrorCode::OutcomeUnknown);
    assert_eq!(host.import_posts().len(), 1, "not sent twice");
    assert_eq!(
        tenant.borrow().items.len(),
        1,
        "the item exists: reporting it as failed would invite a duplicate"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_create_answered_500_502_or_504_is_outcome_unknown_and_never_replayed() {
    // A gateway may answer after Exchange stored the item: a replay would make a second copy.
    for status in [500, 502, 504] {
        let (host, tenant) = setup(0.0, HOUR);
        tenant.borrow_mut().fault = Box::new(move |n, _| {
            (n == 0).then(|| {
                Fault::ProcessThenAnswer(json_response(status, r#"{"Message":"Gateway Timeout"}"#))
            })
        });
        let store = SessionStore::default();
        let error = match import_one(&host, &store, &create("f", b"a")) {
            Err(ItemError::Failed(error)) => error,
            other => panic!("{status}: expected a failure, got {other:?}"),
        };
        assert_eq!(
            (error.code, error.status, error.attempts),
            (ErrorCode::OutcomeUnknown, Some(status), 1),
            "{status}"
        );
        assert!(
            error.message.contains("it was not sent again"),
            "{}",
            error.message
        );
        assert_eq!(host.import_posts().len(), 1, "{status}: exactly one post");
        assert_eq!(tenant.borrow().items.len(), 1, "{status}: one copy");
        assert_eq!(
            host.clock.now.get(),
            sim::START_MS,
            "{status}: no wait for a retry"
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_create_refused_with_429_or_503_is_retried_and_an_update_also_after_a_504() {
    for (status, mode) in [
        (429, Mode::Create),
        (503, Mode::Create),
        (504, Mode::Update),
    ] {
        let (host, tenant) = setup(0.0, HOUR);
        tenant.borrow_mut().fault = Box::new(move |n, _| {
            (n == 0).then(|| Fault::Answer(json_response(status, r#"{"Message":"busy"}"#)))
        });
        let store = SessionStore::default();
        let mut item = create("f", b"a");
        if mode == Mode::Update {
            item.mode = Mode::Update;
            item.item_id = Some("old".into());
            item.change_key = Some("ck".into());
        }
        import_one(&host, &store, &item).unwrap();
        assert_eq!(host.import_posts().len(), 2, "{status}");
        assert_eq!(tenant.borrow().items.len(), 1, "{status}");
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_bulk_run_reports_a_create_answered_504_as_outcome_unknown() {
    let (host, tenant) = setup(10.0, HOUR);
    tenant.borrow_mut().fault =
        Box::new(|n, _| (n == 1).then(|| Fault::ProcessThenAnswer(json_response(504, ""))));
    let report = bulk(&host, numbered(3), &mut Recorder::default()).unwrap();
    assert_every_item_once(&report, 3);
    assert_eq!(
        (report.progress.imported, report.progress.outcome_unknown),
        (2, 1)
    );
    assert_eq!(host.import_posts().len(), 3, "no post was replayed");
    assert_eq!(tenant.borrow().items.len(), 3);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_import_hosts_message_never_carries_the_sessions_authtoken_or_import_url() {
    // The import host echoes what it was given: the bare authtoken (no "authtoken=" before it, so no
    // pattern finds it) and the whole importUrl.
    let (host, tenant) = setup(0.0, HOUR);
    tenant.borrow_mut().fault = Box::new(|n, request| {
        let token = request.url.split("authtoken=").nth(1).unwrap().to_string();
        let message = format!(
            r#"{{"Message":"Token {token} may not post to {url}, see {token}."}}"#,
            url = request.url
        );
        (n == 0).then(|| Fault::Answer(json_response(400, &message)))
    });
    let store = SessionStore::default();
    let error = match import_one(&host, &store, &create("f", b"a")) {
        Err(ItemError::Failed(error)) => error,
        other => panic!("expected a failure, got {other:?}"),
    };
    assert_eq!(
        error.message,
        "The import host answered 400: Token [redacted] may not post to [redacted], see [redacted]."
    );
    assert_eq!(
        (error.code, error.status),
        (ErrorCode::GraphError, Some(400))
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_update_is_retried_after_a_network_failure() {
    let (host, tenant) = setup(0.0, HOUR);
    tenant.borrow_mut().fault = Box::new(|n, _| {
        (n == 0).then(|| Fault::Answer(Err(SendError::Network("fetch failed".into()))))
    });
    let store = SessionStore::default();
    let mut update = create("f", b"a");
    update.mode = Mode::Update;
    update.item_id = Some("old".into());
    update.change_key = Some("ck".into());
    import_one(&host, &store, &update).unwrap();
    assert_eq!(host.import_posts().len(), 2);
}

/// Items from a list, counting how far pulling ever ran ahead of settling.
struct ListSource {
    items: std::vec::IntoIter<Result<ImportItem, ()>>,
    pulled: Rc<Cell<u64>>,
}

impl ItemSource for ListSource {
    fn next(&mut self) -> NextItem<'_> {
        let pulled = self.take();
        Box::pin(async move { pulled })
    }
}

impl ListSource {
    fn take(&mut self) -> Pulled {
        match self.items.next() {
            Some(Ok(item)) => {
                self.pulled.set(self.pulled.get() + 1);
                Pulled::Item(item, None)
            }
            Some(Err(())) => {
                self.pulled.set(self.pulled.get() + 1);
                Pulled::Invalid(
                    graph_mailbox_import::MailboxError::invalid_argument(
                        "items[i] is not an object",
                    ),
                    None,
                )
            }
            None => Pulled::End,
        }
    }
}

#[derive(Default)]
struct Recorder {
    settled: Vec<(u64, Status)>,
    progress: Vec<Progress>,
    pulled: Rc<Cell<u64>>,
    max_ahead: u64,
    refuse_after: Option<usize>,
}

impl Observer for Recorder {
    fn settled(&mut self, result: &ItemResult, progress: &Progress) -> bool {
        self.settled.push((result.index, result.status));
        self.progress.push(*progress);
        self.max_ahead = self.max_ahead.max(self.pulled.get() - progress.settled);
        self.refuse_after.is_none_or(|n| self.settled.len() < n)
    }
}

fn bulk(
    host: &SimHost,
    items: Vec<Result<ImportItem, ()>>,
    recorder: &mut Recorder,
) -> Result<Report, (Stopped, Report)> {
    let pulled = Rc::new(Cell::new(0));
    recorder.pulled = pulled.clone();
    let total = Some(items.len() as u64);
    let mut source = ListSource {
        items: items.into_iter(),
        pulled,
    };
    let store = SessionStore::default();
    let options = BulkOptions {
        concurrency: 4,
        total,
        keep_results: true,
    };
    host.run(import_items(
        Client {
            effects: host,
            config: &config(),
            sessions: &store,
        },
        MAILBOX,
        &mut source,
        recorder,
        &options,
    ))
}

fn numbered(n: usize) -> Vec<Result<ImportItem, ()>> {
    (0..n)
        .map(|i| Ok(create("f", format!("message {i}").as_bytes())))
        .collect()
}

fn assert_every_item_once(report: &Report, n: usize) {
    let indexes: Vec<u64> = report.results.iter().map(|r| r.index).collect();
    assert_eq!(
        indexes,
        (0..n as u64).collect::<Vec<_>>(),
        "one result per item, in input order"
    );
    let p = report.progress;
    assert_eq!(p.settled, n as u64);
    assert_eq!(p.imported + p.failed + p.outcome_unknown, n as u64);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_bulk_run_keeps_four_posts_in_flight_and_settles_every_item_in_order() {
    let (host, tenant) = setup(50.0, HOUR);
    // Every seventh post is throttled without Retry-After.
    tenant.borrow_mut().fault = Box::new(|n, _| {
        (n % 7 == 3).then(|| {
            Fault::Answer(json_response(
                429,
                r#"{"Message":"Application is over its MailboxConcurrency limit."}"#,
            ))
        })
    });
    let mut recorder = Recorder::default();
    let started = host.clock.now.get();
    let report = bulk(&host, numbered(200), &mut recorder).unwrap();
    assert_every_item_once(&report, 200);
    assert_eq!(report.progress.imported, 200);
    assert_eq!(host.peak_in_flight.get(), 4);
    assert_eq!(host.graph_calls(), 1);
    assert_eq!(recorder.settled.len(), 200, "onResult once per item");
    assert!(
        recorder.max_ahead <= 5,
        "items are pulled lazily: at most the window plus one ahead, saw {}",
        recorder.max_ahead
    );
    assert!(recorder
        .progress
        .windows(2)
        .all(|w| w[1].settled == w[0].settled + 1));
    assert_eq!(
        report.progress.bytes,
        (0..200)
            .map(|i| (format!("message {i}").len().div_ceil(3) * 4) as u64)
            .sum::<u64>()
    );
    // Each stored item is distinct: nothing was imported twice.
    let mut data: Vec<String> = tenant
        .borrow()
        .items
        .iter()
        .map(|(_, _, d)| d.clone())
        .collect();
    data.sort();
    data.dedup();
    assert_eq!(data.len(), 200);
    // 200 items, 4 at a time, 50 ms each: at least 2.5 s of virtual time, and not much more than that
    // plus the backoffs of the throttled posts.
    let elapsed = host.clock.now.get() - started;
    assert!((2_550.0..10_000.0).contains(&elapsed), "{elapsed}");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn lost_answers_in_a_bulk_run_are_outcome_unknown_and_never_posted_twice() {
    let (host, tenant) = setup(20.0, HOUR);
    tenant.borrow_mut().fault = Box::new(|n, _| (n % 10 == 5).then_some(Fault::ProcessThenDrop));
    let mut recorder = Recorder::default();
    let report = bulk(&host, numbered(50), &mut recorder).unwrap();
    assert_every_item_once(&report, 50);
    assert_eq!(
        (report.progress.imported, report.progress.outcome_unknown),
        (45, 5)
    );
    let bodies: Vec<String> = host
        .import_posts()
        .iter()
        .map(|p| p.request.body_text().unwrap().to_string())
        .collect();
    let mut unique = bodies.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(bodies.len(), unique.len(), "no body was posted twice");
    assert_eq!(
        tenant.borrow().items.len(),
        50,
        "all exist; five of them the run could not confirm"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_expiry_in_the_middle_of_a_run_renews_the_session_once() {
    // 10-minute sessions, renewed 5 minutes early; 1 s per post: a run of 2,000 posts at 4 in flight
    // lasts 500 s, crossing the renewal point once.
    let (host, _tenant) = setup(1_000.0, 600_000.0);
    let mut recorder = Recorder::default();
    let report = bulk(&host, numbered(2_000), &mut recorder).unwrap();
    assert_every_item_once(&report, 2_000);
    assert_eq!(report.progress.imported, 2_000);
    assert_eq!(host.graph_calls(), 2);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_mailbox_without_a_session_fails_every_item_after_one_create_import_session() {
    let (host, tenant) = setup(10.0, HOUR);
    tenant.borrow_mut().graph_status = Some(403);
    let mut recorder = Recorder::default();
    let report = bulk(&host, numbered(30), &mut recorder).unwrap();
    assert_every_item_once(&report, 30);
    assert_eq!(report.progress.failed, 30);
    assert!(report
        .results
        .iter()
        .all(|r| r.error.as_ref().unwrap().code == ErrorCode::Forbidden));
    assert_eq!(host.graph_calls(), 1);
    assert!(host.import_posts().is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn invalid_entries_fail_alone() {
    let (host, _tenant) = setup(10.0, HOUR);
    let mut items = numbered(5);
    items[2] = Err(());
    let mut recorder = Recorder::default();
    let report = bulk(&host, items, &mut recorder).unwrap();
    assert_every_item_once(&report, 5);
    assert_eq!(report.results[2].status, Status::Failed);
    assert_eq!(
        report.results[2].error.as_ref().unwrap().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(host.import_posts().len(), 4);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_stop_takes_no_more_items_lets_posts_in_flight_settle_and_cuts_waits_short() {
    let (host, tenant) = setup(100.0, HOUR);
    // Everything after the 10th post is throttled for 30 s.
    tenant.borrow_mut().fault = Box::new(|n, _| {
        (n >= 10).then(|| {
            let mut response = json_response(429, r#"{"Message":"busy"}"#).unwrap();
            response.headers.push(("retry-after".into(), "30".into()));
            Fault::Answer(Ok(response))
        })
    });
    host.stop_at.set(Some(sim::START_MS + 1_000.0));
    let mut recorder = Recorder::default();
    let (reason, report) = bulk(&host, numbered(100), &mut recorder).unwrap_err();
    assert_eq!(reason, Stopped::Aborted);
    let taken = recorder.pulled.get() as usize;
    assert!(taken < 30, "stopped taking items: took {taken}");
    assert_every_item_once(&report, taken);
    assert_eq!(report.progress.imported, 10);
    assert_eq!(report.progress.failed, taken as u64 - 10);
    // The rest were throttled and not retried once the run stopped, or taken and never sent.
    let codes: Vec<ErrorCode> = report
        .results
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| e.code))
        .collect();
    assert!(
        codes
            .iter()
            .all(|c| matches!(c, ErrorCode::Throttled | ErrorCode::Aborted)),
        "{codes:?}"
    );
    assert!(
        host.clock.now.get() - sim::START_MS < 2_000.0,
        "the 30 s waits were cut short"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_observer_that_fails_stops_the_run() {
    let (host, _tenant) = setup(10.0, HOUR);
    let mut recorder = Recorder {
        refuse_after: Some(3),
        ..Recorder::default()
    };
    let (reason, report) = bulk(&host, numbered(50), &mut recorder).unwrap_err();
    assert_eq!(reason, Stopped::ObserverFailed);
    assert!(report.progress.settled < 10);
    assert_every_item_once(&report, recorder.pulled.get() as usize);
}

/// Starts one importItem per item at once, as a `Promise.all` would, and waits for all of them.
fn import_all_at_once(
    host: &SimHost,
    config: &ClientConfig,
    store: &SessionStore,
    items: &[ImportItem],
) -> Vec<Result<ImportedItem, ItemError>> {
    host.run(async {
        let futures = items.iter().map(|item| {
            import_item(
                Client {
                    effects: host,
                    config,
                    sessions: store,
                },
                MAILBOX,
                item,
            )
        });
        join_all(futures.collect()).await
    })
}

/// The sim host, counting the zero-length waits a run makes to yield to the event loop, and failing the
/// `abort_at`-th of them as a caller's abort timer firing there would.
struct Yielding<'a> {
    host: &'a SimHost,
    yields: Cell<usize>,
    abort_at: Option<usize>,
}

impl graph_mailbox_import::transport::Effects for Yielding<'_> {
    async fn send(
        &self,
        request: &graph_mailbox_import::transport::HttpRequest,
        timeout_ms: u32,
    ) -> Result<graph_mailbox_import::transport::HttpResponse, SendError> {
        self.host.send(request, timeout_ms).await
    }

    async fn sleep(&self, ms: u64) -> Result<(), graph_mailbox_import::transport::Aborted> {
        if ms == 0 {
            self.yields.set(self.yields.get() + 1);
            if Some(self.yields.get()) == self.abort_at {
                return Err(graph_mailbox_import::transport::Aborted);
            }
        }
        self.host.sleep(ms).await
    }

    async fn token(
        &self,
        request: &graph_mailbox_import::transport::TokenRequest<'_>,
    ) -> Result<String, graph_mailbox_import::transport::TokenError> {
        self.host.token(request).await
    }

    fn can_refresh_token(&self) -> bool {
        false
    }

    fn now_ms(&self) -> f64 {
        self.host.now_ms()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        self.host.fill_random(buf)
    }

    fn stopping(&self) -> bool {
        self.host.stopping()
    }
}

fn bulk_yielding(
    effects: &Yielding<'_>,
    items: Vec<Result<ImportItem, ()>>,
    recorder: &mut Recorder,
) -> Result<Report, (Stopped, Report)> {
    let pulled = Rc::new(Cell::new(0));
    recorder.pulled = pulled.clone();
    let mut source = ListSource {
        items: items.into_iter(),
        pulled,
    };
    let store = SessionStore::default();
    let options = BulkOptions {
        concurrency: 4,
        total: None,
        keep_results: true,
    };
    effects.host.run(import_items(
        Client {
            effects,
            config: &config(),
            sessions: &store,
        },
        MAILBOX,
        &mut source,
        recorder,
        &options,
    ))
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn items_for_a_refused_mailbox_fail_with_a_yield_to_the_host_every_few_hundred() {
    use graph_mailbox_import::flows::bulk::YIELD_EVERY;
    let (host, tenant) = setup(10.0, HOUR);
    tenant.borrow_mut().graph_status = Some(403);
    let effects = Yielding {
        host: &host,
        yields: Cell::new(0),
        abort_at: None,
    };
    let n = 10_000;
    let mut recorder = Recorder::default();
    let report = bulk_yielding(&effects, numbered(n), &mut recorder).unwrap();
    assert_every_item_once(&report, n);
    assert_eq!(report.progress.failed, n as u64);
    assert_eq!(host.graph_calls(), 1);
    // Every item but the first settled without a request: the run waited on a timer every YIELD_EVERY.
    let expected = (n - 1) / YIELD_EVERY as usize;
    assert!(
        (expected - 1..=expected + 1).contains(&effects.yields.get()),
        "{} yields for {n} items",
        effects.yields.get()
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_abort_seen_while_yielding_stops_a_run_of_refused_items() {
    let (host, tenant) = setup(10.0, HOUR);
    tenant.borrow_mut().graph_status = Some(403);
    let effects = Yielding {
        host: &host,
        yields: Cell::new(0),
        abort_at: Some(3),
    };
    let mut recorder = Recorder::default();
    let (reason, report) = bulk_yielding(&effects, numbered(100_000), &mut recorder).unwrap_err();
    assert_eq!(reason, Stopped::Aborted);
    let taken = recorder.pulled.get() as usize;
    assert!(taken < 1_000, "stopped taking items: took {taken}");
    assert_every_item_once(&report, taken);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_endless_source_of_invalid_entries_yields_and_is_stopped_by_an_abort() {
    let (host, _tenant) = setup(10.0, HOUR);
    let effects = Yielding {
        host: &host,
        yields: Cell::new(0),
        abort_at: Some(5),
    };
    let mut recorder = Recorder::default();
    let endless: Vec<Result<ImportItem, ()>> = vec![Err(()); 1_000_000];
    let (reason, report) = bulk_yielding(&effects, endless, &mut recorder).unwrap_err();
    assert_eq!(reason, Stopped::Aborted);
    assert!(
        report.progress.settled < 2_000,
        "{}",
        report.progress.settled
    );
    assert_eq!(report.progress.settled, recorder.pulled.get());
    assert!(host.seen.borrow().is_empty());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_refused_archive_fails_its_folders_items_only() {
    const ARCHIVE: &str = "MBX:e0643f21@archive";
    let tenant = Tenant::new(HOUR);
    tenant
        .borrow_mut()
        .archive_folders
        .insert("archived".into(), ARCHIVE.into());
    let mut answer = Tenant::responder(&tenant);
    // The archive's sessions are refused for good; the primary mailbox's are not.
    let host = SimHost::new(
        10.0,
        Box::new(move |request, now| {
            if request.url.contains("archive/createImportSession") {
                return json_response(
                    403,
                    r#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}"#,
                );
            }
            answer(request, now)
        }),
    );
    let items: Vec<Result<ImportItem, ()>> = (0..60)
        .map(|i| {
            let folder = if i % 3 == 0 { "archived" } else { "inbox" };
            Ok(create(folder, format!("message {i}").as_bytes()))
        })
        .collect();
    let mut recorder = Recorder::default();
    let report = bulk(&host, items, &mut recorder).unwrap();
    assert_every_item_once(&report, 60);
    for result in &report.results {
        if result.index % 3 == 0 {
            assert_eq!(result.status, Status::Failed, "item {}", result.index);
            assert_eq!(result.error.as_ref().unwrap().code, ErrorCode::Forbidden);
        } else {
            assert_eq!(result.status, Status::Imported, "item {}", result.index);
        }
    }
    assert_eq!(tenant.borrow().items.len(), 40);
    let archive_sessions = host
        .seen
        .borrow()
        .iter()
        .filter(|s| s.request.url.contains("archive/createImportSession"))
        .count();
    assert!(
        archive_sessions <= 4,
        "the archive was asked for a session {archive_sessions} times: once per post in flight at most"
    );
}

/// Gives `ready` items, then waits for ever, as a queue fed by the caller's onResult would.
struct StallingSource {
    ready: std::vec::IntoIter<ImportItem>,
    pulled: Rc<Cell<u64>>,
}

impl ItemSource for StallingSource {
    fn next(&mut self) -> NextItem<'_> {
        match self.ready.next() {
            Some(item) => {
                self.pulled.set(self.pulled.get() + 1);
                Box::pin(async move { Pulled::Item(item, None) })
            }
            None => Box::pin(std::future::pending()),
        }
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_observer_that_fails_while_the_source_waits_still_ends_the_run() {
    let (host, _tenant) = setup(10.0, HOUR);
    let mut recorder = Recorder {
        refuse_after: Some(2),
        ..Recorder::default()
    };
    let mut source = StallingSource {
        ready: vec![create("f", b"one"), create("f", b"two")].into_iter(),
        pulled: recorder.pulled.clone(),
    };
    let store = SessionStore::default();
    let options = BulkOptions {
        concurrency: 4,
        total: None,
        keep_results: true,
    };
    let (reason, report) = host
        .run(import_items(
            Client {
                effects: &host,
                config: &config(),
                sessions: &store,
            },
            MAILBOX,
            &mut source,
            &mut recorder,
            &options,
        ))
        .unwrap_err();
    assert_eq!(reason, Stopped::ObserverFailed);
    assert_eq!(report.progress.imported, 2);
}
