//! copyFolders, createFolder, listFolderTree and listItemChanges through the core, natively and on wasm32
//! in Node (scripts/test-wasm.sh), on the simulated clock against a scripted tenant with folder trees and
//! delta rounds: the folder mapping, a first pass, a pass with no changes (delta requests only), a pass
//! after adds, changes and removals (exact creates and updates), folders that fail alone, foreign states
//! refused, and runs stopped at random points (abort, a throwing onState, a hard crash with an item
//! store) resumed exactly once.

#![allow(clippy::result_large_err)]

#[path = "support/sim.rs"]
mod sim;

#[path = "support/mailboxes.rs"]
mod mailboxes;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::{ready, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;

use graph_mailbox_import::flows::bulk::{BulkOptions, ItemResult, Observer, Progress, Status};
use graph_mailbox_import::flows::copy_folders::run::{
    copy_folders, CopyFoldersJob, CopyFoldersReport, CopyObserver, CopyStopped, FolderAction,
    FolderCounts, FolderEvent,
};
use graph_mailbox_import::flows::copy_folders::state::{CopiedItem, CopyState};
use graph_mailbox_import::flows::copy_folders::store::{ItemStore, StoreFuture};
use graph_mailbox_import::flows::delta::list_item_changes;
use graph_mailbox_import::flows::folder_tree::{
    create_folder, list_folder_tree, FolderCreated, NewFolder,
};
use graph_mailbox_import::flows::importer::SessionStore;
use graph_mailbox_import::flows::Client;
use graph_mailbox_import::ErrorCode;
use mailboxes::{PostOutcome, World};
use sim::{config, SimHost};

const SOURCE: &str = "MBX:source@contoso";
const TARGET: &str = "MBX:target@contoso";

/// Everything the callbacks saw.
#[derive(Default)]
struct Calls {
    results: Vec<ItemResult>,
    settled: u64,
    folders: Vec<(Vec<String>, FolderAction, Option<ErrorCode>)>,
    /// (items settled so far, the state) at each onState.
    states: Vec<(u64, String)>,
    /// onState call number (from 0) that throws after the state was kept.
    throw_at_state: Option<usize>,
}

impl Observer for Calls {
    fn settled(&mut self, result: &ItemResult, progress: &Progress) -> bool {
        self.results.push(result.clone());
        self.settled = progress.settled;
        true
    }
}

impl CopyObserver for Calls {
    fn folder(&mut self, event: &FolderEvent<'_>) -> bool {
        self.folders.push((
            event.path.to_vec(),
            event.action,
            event.error.map(|e| e.code),
        ));
        true
    }

    fn state(&mut self, state_json: String) -> Pin<Box<dyn Future<Output = bool> + '_>> {
        let n = self.states.len();
        self.states.push((self.settled, state_json));
        Box::pin(ready(self.throw_at_state != Some(n)))
    }
}

/// The 12-folder, 3-level source of the scenarios (3 well-known), a hidden and a search folder that are
/// not copied, and 120 items; a target with its own well-known folders under other display names.
fn scenario() -> (Rc<RefCell<World>>, Vec<String>) {
    let world = World::new();
    let mut w = world.borrow_mut();
    let inbox = w.add_folder(SOURCE, None, "Inbox", Some("inbox"));
    let projects = w.add_folder(SOURCE, Some(&inbox), "Projects", None);
    let y2026 = w.add_folder(SOURCE, Some(&projects), "2026", None);
    let y2025 = w.add_folder(SOURCE, Some(&projects), "2025", None);
    let receipts = w.add_folder(SOURCE, Some(&inbox), "Receipts", None);
    let sent = w.add_folder(SOURCE, None, "Sent Items", Some("sentitems"));
    let archive = w.add_folder(SOURCE, None, "Archive", Some("archive"));
    let old = w.add_folder(SOURCE, Some(&archive), "Old", None);
    let older = w.add_folder(SOURCE, Some(&old), "Older", None);
    let clients = w.add_folder(SOURCE, None, "Clients", None);
    let acme = w.add_folder(SOURCE, Some(&clients), "Acme", None);
    let contracts = w.add_folder(SOURCE, Some(&acme), "Contracts", None);
    let hidden = w.add_folder(SOURCE, None, "Conversation Action Settings", None);
    w.folders.last_mut().unwrap().hidden = true;
    let search = w.add_folder(SOURCE, None, "Unread Mail", None);
    w.folders.last_mut().unwrap().search = true;
    let folders = vec![
        inbox, projects, y2026, y2025, receipts, sent, archive, old, older, clients, acme,
        contracts,
    ];
    for n in 0..120 {
        w.add_item(SOURCE, &folders[n % 12], &format!("data{n:04}"));
    }
    w.add_item(SOURCE, &hidden, "hiddenxx");
    w.add_item(SOURCE, &search, "searchxx");
    w.add_folder(TARGET, None, "Posteingang", Some("inbox"));
    w.add_folder(TARGET, None, "Gesendete Elemente", Some("sentitems"));
    w.add_folder(TARGET, None, "Archiv", Some("archive"));
    w.add_folder(TARGET, None, "Entwürfe", Some("drafts"));
    drop(w);
    (world, folders)
}

fn host(world: &Rc<RefCell<World>>) -> SimHost {
    SimHost::new(50.0, World::responder(world))
}

fn job(store: Option<&dyn ItemStore>) -> CopyFoldersJob<'_> {
    CopyFoldersJob {
        source_mailbox: SOURCE,
        source_folder: None,
        target_mailbox: TARGET,
        target_parent: None,
        include_subfolders: true,
        include_hidden: false,
        include_search_folders: false,
        received_since: None,
        retry_outcome_unknown: false,
        item_store: store,
    }
}

const OPTIONS: BulkOptions = BulkOptions {
    concurrency: 4,
    total: None,
    keep_results: true,
};

type Outcome = Result<CopyFoldersReport, (CopyStopped, CopyFoldersReport)>;

fn pass(
    host: &SimHost,
    job: CopyFoldersJob<'_>,
    state: Option<CopyState>,
    calls: &mut Calls,
) -> Outcome {
    let state = job.prepare(state).expect("a valid job");
    let sessions = SessionStore::default();
    host.run(copy_folders(
        Client {
            effects: host,
            config: &config(),
            sessions: &sessions,
        },
        job,
        state,
        calls,
        &OPTIONS,
    ))
}

/// Each source folder's items (data) next to its copy's, through the state's folder map.
fn assert_copied_once(world: &World, state: &CopyState) {
    for entry in &state.folders {
        let target = entry.target_id.as_deref().expect("every folder mapped");
        let data = |mailbox: &str, folder: &str| {
            let mut d: Vec<String> = world
                .live_items(mailbox)
                .iter()
                .filter(|i| i.folder == folder)
                .map(|i| i.data.clone())
                .collect();
            d.sort();
            d
        };
        assert_eq!(
            data(TARGET, target),
            data(SOURCE, &entry.source_id),
            "folder {}",
            entry.display_name
        );
    }
}

fn first_pass() -> (Rc<RefCell<World>>, SimHost, CopyFoldersReport, Calls) {
    let (world, _) = scenario();
    let host = host(&world);
    let mut calls = Calls::default();
    let report = pass(&host, job(None), None, &mut calls).expect("pass 1");
    (world, host, report, calls)
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn pass_one_maps_well_known_folders_creates_the_rest_and_copies_every_item_once() {
    let (world, host, report, calls) = first_pass();
    assert_eq!(
        report.folders,
        FolderCounts {
            created: 9,
            reused: 3,
            failed: 0
        }
    );
    let p = report.report.progress;
    assert_eq!(
        (p.imported, p.failed, p.outcome_unknown),
        (120, 0, 0),
        "{:?}",
        report.report.results.first()
    );
    assert_eq!(report.report.results.len(), 120);
    assert!(report
        .report
        .results
        .iter()
        .enumerate()
        .all(|(i, r)| r.index == i as u64 && r.source_item_id.is_some()));
    let world = world.borrow();
    assert_copied_once(&world, &report.state);
    // The well-known folders are the target's own; the others sit under them with the source's names.
    assert!(world
        .folder_by_path(TARGET, &["Posteingang", "Projects", "2026"])
        .is_some());
    assert!(world
        .folder_by_path(TARGET, &["Archiv", "Old", "Older"])
        .is_some());
    assert!(world
        .folder_by_path(TARGET, &["Clients", "Acme", "Contracts"])
        .is_some());
    assert!(world.folder_by_path(TARGET, &["Inbox"]).is_none());
    assert!(
        world.folder_by_path(TARGET, &["Unread Mail"]).is_none(),
        "search folders are skipped"
    );
    assert!(
        world
            .folder_by_path(TARGET, &["Conversation Action Settings"])
            .is_none(),
        "hidden folders are skipped"
    );
    assert_eq!(world.live_items(TARGET).len(), 120);

    // onState at every folder boundary and never more than 100 settled items apart; the last is the report's.
    let settled: Vec<u64> = calls.states.iter().map(|(n, _)| *n).collect();
    assert!(
        settled.windows(2).all(|w| w[1] - w[0] <= 100),
        "{settled:?}"
    );
    assert!(calls.states.len() >= 12, "{}", calls.states.len());
    assert_eq!(calls.states.last().unwrap().1, report.state.to_json());
    let events: Vec<(String, FolderAction)> = calls
        .folders
        .iter()
        .filter(|(_, a, _)| *a != FolderAction::Done)
        .map(|(p, a, _)| (p.join("/"), *a))
        .collect();
    assert_eq!(events[0], ("Inbox".into(), FolderAction::Reused));
    assert!(events.contains(&("Inbox/Projects/2026".into(), FolderAction::Created)));
    // Every delta request asked for big pages; the sim's pages of 7 were all followed.
    let seen = host.seen.borrow();
    let deltas: Vec<_> = seen
        .iter()
        .filter(|s| s.request.url.contains("/delta"))
        .collect();
    assert!(deltas
        .iter()
        .all(|s| s.request.header("prefer") == Some("odata.maxpagesize=100")));
    assert!(deltas.iter().any(|s| s.request.url.contains("$skiptoken")));
    // The state is JSON that reads back as itself.
    let text = report.state.to_json();
    assert_eq!(CopyState::from_json(&text).unwrap(), report.state);
    assert_eq!(report.state.items.as_ref().unwrap().len(), 120);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn pass_two_without_changes_only_asks_for_deltas() {
    let (world, host, first, _) = first_pass();
    let before = host.seen.borrow().len();
    let mut calls = Calls::default();
    let report = pass(&host, job(None), Some(first.state.clone()), &mut calls).expect("pass 2");
    let seen = host.seen.borrow();
    let requests: Vec<_> = seen[before..].iter().map(|s| &s.request).collect();
    assert_eq!(
        requests.len(),
        13,
        "one folders/delta and one items/delta per folder"
    );
    assert!(requests
        .iter()
        .all(|r| r.method == graph_mailbox_import::transport::Method::Get
            && r.url.contains("/delta?$deltatoken=")));
    assert_eq!(report.folders, FolderCounts::default());
    assert_eq!(report.report.progress.settled, 0);
    assert_eq!((report.updated, report.removed_in_source), (0, 0));
    assert_eq!(world.borrow().live_items(TARGET).len(), 120);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn pass_three_creates_the_new_updates_the_changed_and_counts_the_removed() {
    let (world, host, first, _) = first_pass();
    let state = first.state.clone();
    let mut calls = Calls::default();
    let second = pass(&host, job(None), Some(state), &mut calls).expect("pass 2");
    let (changed, removed) = {
        let mut w = world.borrow_mut();
        let sources: Vec<String> = w.live_items(SOURCE).iter().map(|i| i.id.clone()).collect();
        let folders: Vec<String> = second
            .state
            .folders
            .iter()
            .map(|f| f.source_id.clone())
            .collect();
        for n in 0..10 {
            w.add_item(SOURCE, &folders[(n * 5) % 12], &format!("newx{n:04}"));
        }
        let changed: Vec<String> = sources[3..8].to_vec();
        for id in &changed {
            w.change_item(id, &format!("chgd{id}"));
        }
        let removed: Vec<String> = sources[20..23].to_vec();
        for id in &removed {
            w.remove_item(id);
        }
        (changed, removed)
    };
    let posts_before = world.borrow().import_log.len();
    let report = pass(&host, job(None), Some(second.state.clone()), &mut calls).expect("pass 3");
    assert_eq!(report.report.progress.imported, 15);
    assert_eq!((report.updated, report.removed_in_source), (5, 3));
    assert_eq!(report.folders, FolderCounts::default());
    let w = world.borrow();
    let posts = &w.import_log[posts_before..];
    assert_eq!(posts.iter().filter(|(m, ..)| m == "create").count(), 10);
    let items = second.state.items.as_ref().unwrap();
    let mut updates: Vec<(Option<String>, Option<String>)> = posts
        .iter()
        .filter(|(m, ..)| m == "update")
        .map(|(_, id, key)| (id.clone(), key.clone()))
        .collect();
    let mut expected: Vec<(Option<String>, Option<String>)> = changed
        .iter()
        .map(|id| match &items[id] {
            CopiedItem::Imported {
                item_id,
                change_key,
                ..
            } => (Some(item_id.clone()), Some(change_key.clone())),
            other => panic!("{other:?}"),
        })
        .collect();
    updates.sort();
    expected.sort();
    assert_eq!(
        updates, expected,
        "each update names its copy's itemId and changeKey"
    );
    // The target holds each source item once, changed ones with their new data; removals stay.
    assert_eq!(w.live_items(TARGET).len(), 130);
    let mut source_data: Vec<String> = w
        .live_items(SOURCE)
        .iter()
        .map(|i| i.data.clone())
        .collect();
    let removed_data: Vec<String> = w
        .items
        .iter()
        .filter(|i| removed.contains(&i.id))
        .map(|i| i.data.clone())
        .collect();
    source_data.extend(removed_data);
    source_data.retain(|d| d != "hiddenxx" && d != "searchxx");
    source_data.sort();
    let mut target_data: Vec<String> = w
        .live_items(TARGET)
        .iter()
        .map(|i| i.data.clone())
        .collect();
    target_data.sort();
    assert_eq!(target_data, source_data);
    let state = &report.state;
    assert_eq!(
        state.items.as_ref().unwrap().len(),
        127,
        "removed items leave the map"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn expired_delta_links_start_whole_rounds_that_copy_only_what_is_new() {
    let (world, host, first, _) = first_pass();
    let folder = first.state.folders[0].source_id.clone();
    {
        let mut w = world.borrow_mut();
        w.delta_tokens_valid_from = w.seq + 1;
        w.add_item(SOURCE, &folder, "data9999");
    }
    let mut calls = Calls::default();
    let report = pass(&host, job(None), Some(first.state), &mut calls).expect("pass 2");
    assert_eq!(report.report.progress.imported, 1);
    assert_eq!(report.folders, FolderCounts::default());
    let gone = host
        .seen
        .borrow()
        .iter()
        .filter(|s| s.status == Some(410))
        .count();
    assert_eq!(
        gone, 13,
        "every link was refused once, then a whole round was read"
    );
    assert_exactly_once(&world.borrow());
}

/// One folder of 70 items: a round of 10 pages (the sim gives 7 entries a page).
fn one_big_folder() -> (Rc<RefCell<World>>, SimHost) {
    let world = World::new();
    {
        let mut w = world.borrow_mut();
        let folder = w.add_folder(SOURCE, None, "Big", None);
        for n in 0..70 {
            w.add_item(SOURCE, &folder, &format!("data{n:04}"));
        }
    }
    let host = host(&world);
    (world, host)
}

/// The items/delta requests seen from `from` on.
fn item_rounds(host: &SimHost, from: usize) -> Vec<String> {
    host.seen.borrow()[from..]
        .iter()
        .map(|s| s.request.url.clone())
        .filter(|u| u.contains("/items/delta"))
        .collect()
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_run_resumed_within_a_round_goes_on_from_the_page_it_reached() {
    let (world, host) = one_big_folder();
    let mut state = None;
    let mut runs = 0;
    let mut pages = Vec::new();
    loop {
        runs += 1;
        // Each run stops (onState throws) at its third report: after two pages of items.
        let mut calls = Calls {
            throw_at_state: Some(2),
            ..Calls::default()
        };
        let from = host.seen.borrow().len();
        let outcome = pass(&host, job(None), state.take(), &mut calls);
        let reached: Vec<String> = item_rounds(&host, from);
        if runs > 1 {
            // It starts where the last state left the round: a nextLink, not the round's first page.
            assert!(reached[0].contains("$skiptoken="), "{reached:?}");
        }
        pages.extend(reached);
        let last = CopyState::from_json(&calls.states.last().unwrap().1).unwrap();
        if last.folders[0].delta_link.is_some() {
            // The round was read to its end (the last stop may have come with its last page).
            assert!(last.folders[0].round_link.is_none());
            break;
        }
        assert!(outcome.is_err());
        assert!(last.folders[0].round_link.is_some());
        state = Some(last);
        assert!(runs < 10, "no progress");
    }
    assert!(runs >= 4, "{runs}");
    // 10 pages, each read once, but the page a stop cut short (read again by the next run).
    assert!(
        pages.len() <= 10 + runs,
        "{} pages for {runs} runs",
        pages.len()
    );
    let mut distinct = pages.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    assert_eq!(world.borrow().posts, 70);
    assert_exactly_once(&world.borrow());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_expired_next_link_starts_the_round_again() {
    let (world, host) = one_big_folder();
    let mut calls = Calls {
        throw_at_state: Some(3),
        ..Calls::default()
    };
    let (why, _) = pass(&host, job(None), None, &mut calls).unwrap_err();
    assert_eq!(why, CopyStopped::StateFailed);
    let state = CopyState::from_json(&calls.states.last().unwrap().1).unwrap();
    assert!(state.folders[0].round_link.is_some());
    {
        let mut w = world.borrow_mut();
        // The round's nextLinks are gone (it was read up to before the copies were made).
        w.skip_tokens_valid_from = w.seq;
    }
    let from = host.seen.borrow().len();
    let mut calls = Calls::default();
    let report = pass(&host, job(None), Some(state), &mut calls).expect("finishes");
    let rounds = item_rounds(&host, from);
    assert!(rounds[0].contains("$skiptoken="));
    assert!(
        !rounds[1].contains('?'),
        "a whole round from its start: {rounds:?}"
    );
    assert_eq!(rounds.len(), 11);
    assert!(report.state.folders[0].delta_link.is_some());
    assert_eq!(world.borrow().posts, 70);
    assert_exactly_once(&world.borrow());
}

/// A page with an item that failed is passed (the round goes on), but the round's end keeps no
/// deltaLink, so the next pass lists the item again and copies it.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_round_with_a_failed_item_ends_without_a_delta_link() {
    let (world, host) = one_big_folder();
    world.borrow_mut().post_fault = Box::new(|n| {
        (n == 3).then(|| {
            PostOutcome::Answer(sim::json_response(
                400,
                r#"{"error":{"code":"ErrorInvalidRequest","message":"Bad item."}}"#,
            ))
        })
    });
    let mut calls = Calls::default();
    let first = pass(&host, job(None), None, &mut calls).unwrap();
    assert_eq!(first.report.progress.failed, 1);
    assert_eq!(first.report.progress.imported, 69);
    assert!(first.state.folders[0].delta_link.is_none());
    assert!(first.state.folders[0].round_link.is_none());
    let mut calls = Calls::default();
    let second = pass(&host, job(None), Some(first.state), &mut calls).unwrap();
    assert_eq!(second.report.progress.imported, 1);
    assert!(second.state.folders[0].delta_link.is_some());
    assert_exactly_once(&world.borrow());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_second_copy_without_state_creates_no_folder_twice() {
    let (world, host, _, _) = first_pass();
    let folders_before = world.borrow().folders.len();
    let mut calls = Calls::default();
    let report = pass(&host, job(None), None, &mut calls).expect("again");
    assert_eq!(
        report.folders,
        FolderCounts {
            created: 0,
            reused: 12,
            failed: 0
        }
    );
    assert_eq!(world.borrow().folders.len(), folders_before);
    let creates = host
        .seen
        .borrow()
        .iter()
        .filter(|s| {
            s.request.method == graph_mailbox_import::transport::Method::Post
                && (s.request.url.ends_with("/childFolders") || s.request.url.ends_with("/folders"))
        })
        .count();
    assert_eq!(creates, 9, "only pass 1 created folders");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_folder_that_cannot_be_created_or_read_fails_alone() {
    let (world, folders) = scenario();
    world.borrow_mut().refuse_create.insert("Projects".into());
    world.borrow_mut().unreadable.insert(folders[4].clone()); // Receipts
    let host = host(&world);
    let mut calls = Calls::default();
    let report = pass(&host, job(None), None, &mut calls).expect("the copy goes on");
    assert_eq!(
        report.folders,
        FolderCounts {
            created: 6,
            reused: 3,
            failed: 4
        }
    );
    let failed: Vec<(String, Option<ErrorCode>)> = calls
        .folders
        .iter()
        .filter(|(_, a, _)| *a == FolderAction::Failed)
        .map(|(p, _, e)| (p.join("/"), *e))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("Inbox/Projects".into(), Some(ErrorCode::Forbidden)),
            ("Inbox/Receipts".into(), Some(ErrorCode::GraphError)),
            ("Inbox/Projects/2026".into(), Some(ErrorCode::NotFound)),
            ("Inbox/Projects/2025".into(), Some(ErrorCode::NotFound)),
        ]
    );
    assert_eq!(report.report.progress.imported, 120 - 4 * 10);
    // The next pass, once the target allows it, copies what failed and nothing else.
    world.borrow_mut().refuse_create.clear();
    world.borrow_mut().unreadable.clear();
    let again = pass(&host, job(None), Some(report.state), &mut calls).expect("pass 2");
    assert_eq!(again.report.progress.imported, 40);
    assert_eq!(again.folders.created, 3);
    assert_copied_once(&world.borrow(), &again.state);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_state_for_another_pair_is_refused_before_any_request() {
    let (world, host, first, _) = first_pass();
    let seen = host.seen.borrow().len();
    let other = CopyFoldersJob {
        target_mailbox: "MBX:other@contoso",
        ..job(None)
    };
    let error = other.prepare(Some(first.state.clone())).err().unwrap();
    assert_eq!(error.code, ErrorCode::InvalidArgument);
    let subtree = CopyFoldersJob {
        source_folder: Some("inbox"),
        ..job(None)
    };
    assert_eq!(
        subtree
            .prepare(Some(first.state.clone()))
            .err()
            .unwrap()
            .code,
        ErrorCode::InvalidArgument
    );
    // A state that keeps its items refuses a store, and the other way round.
    let store = MapStore::default();
    assert_eq!(
        job(Some(&store))
            .prepare(Some(first.state))
            .err()
            .unwrap()
            .code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(host.seen.borrow().len(), seen);
    drop(world);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_subtree_copies_the_folder_itself_under_the_target_parent() {
    let (world, _) = scenario();
    let parent = world
        .borrow_mut()
        .add_folder(TARGET, None, "Restored", None);
    let host = host(&world);
    let mut calls = Calls::default();
    let subtree = CopyFoldersJob {
        source_folder: Some("inbox"),
        target_parent: Some(&parent),
        ..job(None)
    };
    let report = pass(&host, subtree, None, &mut calls).expect("subtree");
    // Inbox is well-known: it maps to the target's inbox wherever it is, never created under Restored.
    assert_eq!(report.folders.reused, 1);
    assert_eq!(report.folders.created, 4);
    assert_eq!(report.report.progress.imported, 50);
    let w = world.borrow();
    assert!(w
        .folder_by_path(TARGET, &["Posteingang", "Projects", "2025"])
        .is_some());
}

/// A store of the caller's: records as they are set.
#[derive(Default, Clone)]
struct MapStore {
    map: Rc<RefCell<BTreeMap<String, CopiedItem>>>,
}

impl ItemStore for MapStore {
    fn get<'a>(&'a self, source_id: &'a str) -> StoreFuture<'a, Option<CopiedItem>> {
        Box::pin(ready(Ok(self.map.borrow().get(source_id).cloned())))
    }

    fn set(&self, source_id: &str, item: Option<&CopiedItem>) -> StoreFuture<'static, ()> {
        let mut map = self.map.borrow_mut();
        match item {
            Some(item) => map.insert(source_id.into(), item.clone()),
            None => map.remove(source_id),
        };
        Box::pin(ready(Ok(())))
    }
}

/// A small deterministic generator for the stop points.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Every live source item's data in the target exactly once (a copy in its mapped folder).
fn assert_exactly_once(world: &World) {
    let mut source: Vec<String> = world
        .live_items(SOURCE)
        .iter()
        .map(|i| i.data.clone())
        .collect();
    source.retain(|d| d.starts_with("data"));
    source.sort();
    let mut target: Vec<String> = world
        .live_items(TARGET)
        .iter()
        .map(|i| i.data.clone())
        .collect();
    target.sort();
    assert_eq!(target, source);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn twenty_stopped_runs_resumed_from_their_last_state_copy_every_item_exactly_once() {
    let (world, _) = scenario();
    // Every 23rd post is stored and its answer lost: outcomeUnknown, never sent again.
    world.borrow_mut().post_fault =
        Box::new(|n| (n % 23 == 22).then_some(PostOutcome::ProcessThenDrop));
    let host = host(&world);
    let mut rng = Lcg(7);
    let mut state: Option<CopyState> = None;
    let mut stops = (0, 0);
    for run in 0..20 {
        let mut calls = Calls::default();
        if run % 2 == 0 {
            host.stop_at
                .set(Some(host.clock.now.get() + rng.below(1500) as f64));
        } else {
            calls.throw_at_state = Some(rng.below(6) as usize);
        }
        let outcome = pass(&host, job(None), state.take(), &mut calls);
        host.stop_at.set(None);
        match &outcome {
            Err((CopyStopped::Aborted, _)) => stops.0 += 1,
            Err((CopyStopped::StateFailed, _)) => stops.1 += 1,
            Ok(_) => {}
            Err((other, _)) => panic!("{other:?}"),
        }
        let last = calls
            .states
            .last()
            .map(|(_, json)| CopyState::from_json(json).unwrap());
        state = last.or(state);
    }
    assert!(stops.0 >= 5 && stops.1 >= 5, "{stops:?}");
    let mut calls = Calls::default();
    let last = pass(&host, job(None), state, &mut calls).expect("the last run finishes");
    let w = world.borrow();
    assert_exactly_once(&w);
    let unknown = last
        .state
        .items
        .as_ref()
        .unwrap()
        .values()
        .filter(|i| **i == CopiedItem::OutcomeUnknown)
        .count();
    assert!(unknown >= 1, "the faults made some items outcomeUnknown");
    assert_eq!(last.state.items.as_ref().unwrap().len(), 120);
}

/// Polls `future` on the simulated clock until it ends or `ms` pass; then drops it, as a crash would.
fn run_or_crash<F: Future>(host: &SimHost, future: F, ms: f64) -> Option<F::Output> {
    host.run(async {
        let mut future = pin!(future);
        let mut crash = pin!(host.clock.sleep(ms));
        std::future::poll_fn(|cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            if crash.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            Poll::Pending
        })
        .await
    })
}

/// A hard crash: posts the tenant has acted on lose their answers with the process (the sim acts on
/// arrival), the state is the last one `onState` was given, the store keeps what was set.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn with_an_item_store_a_hard_crash_repeats_nothing() {
    let (world, _) = scenario();
    let host = host(&world);
    host.act_on_arrival.set(true);
    let store = MapStore::default();
    let mut rng = Lcg(11);
    let mut state: Option<CopyState> = None;
    let (mut crashes, mut in_flight_at_crash) = (0, 0);
    for _ in 0..12 {
        let mut calls = Calls::default();
        let job = job(Some(&store));
        let start = job.prepare(state.clone()).unwrap();
        let sessions = SessionStore::default();
        let config = config();
        let run = copy_folders(
            Client {
                effects: &host,
                config: &config,
                sessions: &sessions,
            },
            job,
            start,
            &mut calls,
            &OPTIONS,
        );
        if run_or_crash(&host, run, 200.0 + rng.below(1200) as f64).is_none() {
            crashes += 1;
            in_flight_at_crash += host.in_flight.replace(0);
        }
        if let Some((_, json)) = calls.states.last() {
            state = Some(CopyState::from_json(json).unwrap());
        }
    }
    assert!(
        crashes >= 6 && in_flight_at_crash >= 6,
        "{crashes} {in_flight_at_crash}"
    );
    let unknown = |store: &MapStore| {
        let map = store.map.borrow();
        map.values()
            .filter(|i| **i == CopiedItem::OutcomeUnknown)
            .count()
    };
    // Each create the crashes cut off was recorded before its post left (some were still waiting for
    // their import session): outcomeUnknown, never sent again.
    let unknown_after_crashes = unknown(&store);
    assert!(unknown_after_crashes >= in_flight_at_crash);
    let mut calls = Calls::default();
    let last = pass(&host, job(Some(&store)), state, &mut calls).expect("finishes");
    assert!(last.state.items.is_none(), "the items live in the store");
    assert!(last.state.to_json().len() < 4000);
    assert_eq!(store.map.borrow().len(), 120);
    assert_eq!(unknown(&store), unknown_after_crashes);
    // Nothing twice; what is missing is outcomeUnknown (at most once), every post cut off is there.
    let w = world.borrow();
    let mut copies: Vec<String> = w
        .live_items(TARGET)
        .iter()
        .map(|i| i.data.clone())
        .collect();
    copies.sort();
    let before = copies.len();
    copies.dedup();
    assert_eq!(copies.len(), before, "an item imported twice");
    let missing: Vec<String> = w
        .live_items(SOURCE)
        .iter()
        .filter(|i| i.data.starts_with("data") && copies.binary_search(&i.data).is_err())
        .map(|i| i.id.clone())
        .collect();
    let map = store.map.borrow();
    assert!(missing
        .iter()
        .all(|id| map[id] == CopiedItem::OutcomeUnknown));
    assert!(120 - missing.len() >= 120 - unknown_after_crashes + in_flight_at_crash);
}

/// The source item an import post copies (its data is the source's).
fn post_source_id(world: &World, post: &sim::Seen) -> String {
    let body = graph_mailbox_import::codec::json::parse(post.request.body_text().unwrap()).unwrap();
    let data = body.get_str("Data").unwrap();
    world
        .live_items(SOURCE)
        .iter()
        .find(|i| i.data == data)
        .unwrap()
        .id
        .clone()
}

/// Write-ahead costs one record per create and nothing else: each create is recorded outcomeUnknown
/// before its post leaves, then imported as it settles; an update only as it settles.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_store_records_each_create_before_its_post_leaves() {
    type SetCall = (String, Option<CopiedItem>, usize);
    #[derive(Clone)]
    struct Logged {
        inner: MapStore,
        host: Rc<SimHost>,
        /// (source item id, record, import posts sent before it).
        log: Rc<RefCell<Vec<SetCall>>>,
    }
    impl ItemStore for Logged {
        fn get<'a>(&'a self, source_id: &'a str) -> StoreFuture<'a, Option<CopiedItem>> {
            self.inner.get(source_id)
        }
        fn set(&self, source_id: &str, item: Option<&CopiedItem>) -> StoreFuture<'static, ()> {
            let posts = self.host.import_posts().len();
            self.log
                .borrow_mut()
                .push((source_id.into(), item.cloned(), posts));
            self.inner.set(source_id, item)
        }
    }
    let (world, folders) = scenario();
    let host = Rc::new(host(&world));
    let store = Logged {
        inner: MapStore::default(),
        host: host.clone(),
        log: Rc::default(),
    };
    let mut calls = Calls::default();
    let first = pass(&host, job(Some(&store)), None, &mut calls).unwrap();
    let log = store.log.borrow().clone();
    assert_eq!(log.len(), 2 * 120);
    let posts = host.import_posts();
    for (n, post) in posts.iter().enumerate() {
        let id = post_source_id(&world.borrow(), post);
        let ahead = log
            .iter()
            .position(|(s, item, _)| *s == id && *item == Some(CopiedItem::OutcomeUnknown))
            .expect("recorded ahead");
        // Recorded when n posts had left: before this one.
        assert!(log[ahead].2 <= n, "{id}: recorded after its post");
        assert!(log[ahead + 1..]
            .iter()
            .any(|(s, item, _)| *s == id && matches!(item, Some(CopiedItem::Imported { .. }))));
    }
    // A changed item is an update: recorded once, as it settles.
    let changed = world
        .borrow()
        .live_items(SOURCE)
        .into_iter()
        .find(|i| i.folder == folders[1])
        .unwrap()
        .id
        .clone();
    world.borrow_mut().change_item(&changed, "chgdchgd");
    store.log.borrow_mut().clear();
    let mut calls = Calls::default();
    let second = pass(&host, job(Some(&store)), Some(first.state), &mut calls).unwrap();
    assert_eq!(second.updated, 1);
    let log = store.log.borrow();
    assert_eq!(log.len(), 1);
    assert!(matches!(&log[0], (id, Some(CopiedItem::Imported { .. }), _) if *id == changed));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_aborted_run_reports_its_state_once_more_after_in_flight_posts_settle() {
    let (world, _) = scenario();
    let host = host(&world);
    host.stop_at.set(Some(host.clock.now.get() + 1_000.0));
    let mut calls = Calls::default();
    let (why, report) = pass(&host, job(None), None, &mut calls).unwrap_err();
    assert_eq!(why, CopyStopped::Aborted);
    let (settled, json) = calls.states.last().unwrap();
    assert_eq!(*settled, report.report.progress.settled);
    let state = CopyState::from_json(json).unwrap();
    let imported = report
        .report
        .results
        .iter()
        .filter(|r| r.status == Status::Imported)
        .count();
    assert_eq!(state.items.unwrap().len(), imported);
    assert_eq!(world.borrow().live_items(TARGET).len(), imported);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn create_folder_gives_the_existing_folder_when_the_name_is_taken() {
    let (world, _) = scenario();
    let host = host(&world);
    let inbox = "inbox";
    let taken = world.borrow_mut().add_folder(TARGET, None, "Reports", None);
    let new = NewFolder {
        display_name: "REPORTS",
        folder_type: None,
        parent: None,
    };
    let created = host
        .run(create_folder(&host, &config(), TARGET, &new))
        .unwrap();
    assert_eq!(
        created,
        FolderCreated::Existing(created.folder().clone()),
        "409 ErrorFolderExists: listed and reused"
    );
    assert_eq!(created.folder().get_str("id"), Some(taken.as_str()));
    let statuses: Vec<Option<u16>> = host.seen.borrow().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [Some(409), Some(200)]);

    let child = NewFolder {
        display_name: "Läufe",
        folder_type: Some("IPF.Task"),
        parent: Some(inbox),
    };
    let created = host
        .run(create_folder(&host, &config(), TARGET, &child))
        .unwrap();
    let FolderCreated::Created(folder) = created else {
        panic!("created")
    };
    assert_eq!(folder.get_str("type"), Some("IPF.Task"));
    let last = host.seen.borrow().last().unwrap().request.clone();
    assert!(last.url.ends_with("/folders/inbox/childFolders"));
    assert_eq!(
        last.body_text(),
        Some(r#"{"displayName":"Läufe","type":"IPF.Task"}"#)
    );

    let blank = NewFolder {
        display_name: " ",
        folder_type: None,
        parent: None,
    };
    let seen = host.seen.borrow().len();
    let error = host
        .run(create_folder(&host, &config(), TARGET, &blank))
        .unwrap_err();
    assert!(
        matches!(error, graph_mailbox_import::Failure::Error(e) if e.code == ErrorCode::InvalidArgument)
    );
    assert_eq!(host.seen.borrow().len(), seen);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_folder_tree_lists_parents_before_children_with_paths() {
    let (world, _) = scenario();
    let host = host(&world);
    let tree = host
        .run(list_folder_tree(&host, &config(), SOURCE, None, false))
        .unwrap();
    let paths: Vec<String> = tree.iter().map(|n| n.path.join("/")).collect();
    assert_eq!(paths.len(), 13, "{paths:?}"); // the search folder is listed (only hidden ones are not)
    for (i, node) in tree.iter().enumerate() {
        if let Some(parent) = node.folder.get_str("parentFolderId") {
            if let Some(at) = tree
                .iter()
                .position(|n| n.folder.get_str("id") == Some(parent))
            {
                assert!(at < i, "parent of {} listed first", paths[i]);
            }
        }
    }
    assert!(paths.contains(&"Clients/Acme/Contracts".to_string()));
    // Folders without children are not asked for theirs: the top level and the 6 folders with children.
    assert_eq!(host.seen.borrow().len(), 7);
    let hidden = host
        .run(list_folder_tree(
            &host,
            &config(),
            SOURCE,
            Some("inbox"),
            true,
        ))
        .unwrap();
    let paths: Vec<String> = hidden.iter().map(|n| n.path.join("/")).collect();
    assert_eq!(
        paths,
        ["Projects", "Receipts", "Projects/2026", "Projects/2025"]
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn item_changes_are_one_delta_round() {
    let (world, folders) = scenario();
    let host = host(&world);
    let config = config();
    let first = host
        .run(list_item_changes(
            &host,
            &config,
            SOURCE,
            &folders[0],
            None,
            Some("2026-01-01T00:00:00Z"),
        ))
        .unwrap();
    assert_eq!(first.changed.len(), 10);
    assert!(first.removed.is_empty());
    let url = host.seen.borrow()[0].request.url.clone();
    assert!(
        url.ends_with("/items/delta?$filter=receivedDateTime%20ge%202026-01-01T00%3A00%3A00Z"),
        "{url}"
    );
    assert_eq!(host.seen.borrow().len(), 2, "pages of 7");
    let id = first.changed[0].get_str("id").unwrap().to_string();
    world.borrow_mut().remove_item(&id);
    let next = host
        .run(list_item_changes(
            &host,
            &config,
            SOURCE,
            &folders[0],
            Some(&first.delta_link),
            None,
        ))
        .unwrap();
    assert_eq!((next.changed.len(), next.removed.clone()), (0, vec![id]));
    // A deltaLink off the Graph root is refused before the token goes anywhere.
    let seen = host.seen.borrow().len();
    let error = host
        .run(list_item_changes(
            &host,
            &config,
            SOURCE,
            &folders[0],
            Some("https://evil.example/x"),
            None,
        ))
        .unwrap_err();
    assert!(
        matches!(error, graph_mailbox_import::Failure::Error(e) if e.code == ErrorCode::UntrustedImportUrl)
    );
    let error = host
        .run(list_item_changes(
            &host,
            &config,
            SOURCE,
            &folders[0],
            None,
            Some("2026-01-01"),
        ))
        .unwrap_err();
    assert!(
        matches!(error, graph_mailbox_import::Failure::Error(e) if e.code == ErrorCode::InvalidArgument)
    );
    assert_eq!(host.seen.borrow().len(), seen);
}
