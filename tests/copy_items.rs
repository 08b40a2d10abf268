//! copyItems through the core, natively, on the simulated clock: exports in batches sized by count and
//! bytes, every source item settled once with its sourceItemId, exported base64 imported untouched, and
//! memory bounded by one batch plus the posts in flight.

#![allow(clippy::result_large_err)]

#[path = "support/sim.rs"]
mod sim;

use std::cell::RefCell;
use std::rc::Rc;

use graph_mailbox_import::flows::bulk::{
    BulkOptions, ItemResult, Observer, Progress, Report, Status,
};
use graph_mailbox_import::flows::copy::{copy_items, CopyJob, BATCH_BYTES, FIRST_BATCH};
use graph_mailbox_import::flows::importer::SessionStore;
use graph_mailbox_import::flows::Client;
use graph_mailbox_import::ErrorCode;
use sim::{config, SimHost, Tenant, HOUR};

const SOURCE: &str = "MBX:source@contoso";
const ARCHIVE: &str = "MBX:archive@contoso";
const TARGET: &str = "MBX:target@contoso";

/// Deterministic base64 of `len` characters for item `n` (distinct per item).
fn data(n: usize, len: usize) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text: String = format!("{n:08}");
    text.extend((0..len.saturating_sub(8)).map(|i| alphabet[(i * 7 + n) % 64] as char));
    text.truncate(len - len % 4);
    text
}

/// Records each settled result and how far exports ran ahead of settling.
struct Watcher {
    tenant: Rc<RefCell<Tenant>>,
    settled: Vec<ItemResult>,
    most_exported_unsettled: usize,
}

impl Observer for Watcher {
    fn settled(&mut self, result: &ItemResult, progress: &Progress) -> bool {
        self.settled.push(result.clone());
        let exported: usize = self.tenant.borrow().export_calls.iter().map(Vec::len).sum();
        self.most_exported_unsettled = self
            .most_exported_unsettled
            .max(exported.saturating_sub(progress.settled as usize));
        true
    }
}

fn copy(host: &SimHost, tenant: &Rc<RefCell<Tenant>>, ids: &[String]) -> (Report, Watcher) {
    let job = CopyJob {
        source_mailbox: SOURCE,
        item_ids: ids,
        target_mailbox: TARGET,
        folder_id: "restored",
    };
    job.validate().unwrap();
    let mut watcher = Watcher {
        tenant: tenant.clone(),
        settled: Vec::new(),
        most_exported_unsettled: 0,
    };
    let options = BulkOptions {
        concurrency: 4,
        total: Some(ids.len() as u64),
        keep_results: true,
    };
    let store = SessionStore::default();
    let report = host
        .run(copy_items(
            Client {
                effects: host,
                config: &config(),
                sessions: &store,
            },
            &job,
            &mut watcher,
            &options,
        ))
        .unwrap_or_else(|(stopped, _)| panic!("the copy stopped: {stopped:?}"));
    (report, watcher)
}

fn setup(items: &[(String, &str, String)]) -> (SimHost, Rc<RefCell<Tenant>>) {
    let tenant = Tenant::new(HOUR);
    for (id, mailbox, data) in items {
        tenant
            .borrow_mut()
            .exportable
            .insert(id.clone(), (mailbox.to_string(), data.clone()));
    }
    let host = SimHost::new(50.0, Tenant::responder(&tenant));
    (host, tenant)
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_copy_settles_every_source_item_once_with_its_data_untouched() {
    let mut items: Vec<(String, &str, String)> = (0..60)
        .map(|n| (format!("item-{n}"), SOURCE, data(n, 400 + n)))
        .collect();
    items[7].1 = ARCHIVE; // its folder moved to the archive: Graph names the archive's exportItems
    let (host, tenant) = setup(&items);
    tenant.borrow_mut().export_errors.insert(
        "item-20".into(),
        ("ErrorCorruptData".into(), "The item is corrupt.".into()),
    );
    let mut ids: Vec<String> = items.iter().map(|(id, _, _)| id.clone()).collect();
    ids.insert(30, "gone".into()); // not in the mailbox at all

    let (report, watcher) = copy(&host, &tenant, &ids);

    // One result per source id, in input order, each naming its source item.
    let sources: Vec<&str> = report
        .results
        .iter()
        .map(|r| r.source_item_id.as_deref().unwrap())
        .collect();
    assert_eq!(sources, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(watcher.settled.len(), ids.len(), "onResult once per item");
    assert_eq!(
        (
            report.progress.imported,
            report.progress.failed,
            report.progress.outcome_unknown
        ),
        (59, 2, 0)
    );
    let failed: Vec<(&str, ErrorCode, Option<&str>)> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Failed)
        .map(|r| {
            let e = r.error.as_ref().unwrap();
            (
                r.source_item_id.as_deref().unwrap(),
                e.code,
                e.graph_code.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        failed,
        vec![
            ("item-20", ErrorCode::GraphError, Some("ErrorCorruptData")),
            ("gone", ErrorCode::NotFound, Some("ErrorItemNotFound")),
        ]
    );

    // Every imported item went to the target folder with exactly the exported base64, once.
    let tenant = tenant.borrow();
    let mut stored: Vec<&str> = tenant
        .items
        .iter()
        .map(|(mailbox, folder, data)| {
            assert_eq!((mailbox.as_str(), folder.as_str()), (TARGET, "restored"));
            data.as_str()
        })
        .collect();
    stored.sort_unstable();
    let mut expected: Vec<&str> = items
        .iter()
        .filter(|(id, _, _)| id != "item-20")
        .map(|(_, _, data)| data.as_str())
        .collect();
    expected.sort_unstable();
    assert_eq!(stored, expected);

    // Batches: 4 first, then 20 (small items); the moved item asked for again from the archive.
    let calls: Vec<usize> = tenant.export_calls.iter().map(Vec::len).collect();
    assert_eq!(calls[0], FIRST_BATCH);
    assert!(calls.iter().all(|&n| n <= 20), "{calls:?}");
    assert_eq!(calls[1], 20);
    let asked: usize = calls.iter().sum();
    assert_eq!(
        asked,
        ids.len() + 1,
        "each id exported once, the moved one twice"
    );
    assert!(
        watcher.most_exported_unsettled <= 20 + 4,
        "{}",
        watcher.most_exported_unsettled
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn large_items_are_exported_a_few_at_a_time() {
    let big = BATCH_BYTES / 3 + 1000; // two fit a batch, three do not
    let items: Vec<(String, &str, String)> = (0..9)
        .map(|n| (format!("big-{n}"), SOURCE, data(n, big)))
        .collect();
    let (host, tenant) = setup(&items);
    let ids: Vec<String> = items.iter().map(|(id, _, _)| id.clone()).collect();

    let (report, watcher) = copy(&host, &tenant, &ids);

    assert_eq!(report.progress.imported, 9);
    let calls: Vec<usize> = tenant.borrow().export_calls.iter().map(Vec::len).collect();
    assert_eq!(calls, vec![4, 2, 2, 1]);
    // Never more than one batch plus the window of posts exported and not yet settled.
    assert!(watcher.most_exported_unsettled <= 4 + 4);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_export_refused_for_good_fails_every_item_without_asking_again() {
    let items: Vec<(String, &str, String)> = (0..30)
        .map(|n| (format!("item-{n}"), SOURCE, data(n, 100)))
        .collect();
    let (host, tenant) = setup(&items);
    tenant.borrow_mut().export_status = Some(403);
    let ids: Vec<String> = items.iter().map(|(id, _, _)| id.clone()).collect();

    let (report, _) = copy(&host, &tenant, &ids);

    assert_eq!(report.progress.failed, 30);
    assert!(report.results.iter().all(|r| {
        r.error.as_ref().unwrap().code == ErrorCode::Forbidden && r.source_item_id.is_some()
    }));
    assert_eq!(
        tenant.borrow().export_calls.len(),
        1,
        "one refusal is enough"
    );
    assert_eq!(
        host.graph_calls(),
        0,
        "no import session for nothing to import"
    );
    assert!(host.import_posts().is_empty());
}
