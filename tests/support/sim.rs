//! A deterministic simulation for the importer: a single-threaded executor on a virtual clock, a host
//! whose requests take a set latency, and a scripted Graph + import host. Time only moves when every task
//! waits, so concurrency, waits and expiries are exact and a run of hours takes milliseconds.

#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use graph_mailbox_import::transport::{
    Aborted, Effects, HttpRequest, HttpResponse, SendError, TokenError, TokenRequest,
};

/// Epoch of the simulation: 2026-01-01T00:00:00Z.
pub const START_MS: f64 = 1_767_225_600_000.0;

pub const HOUR: f64 = 3_600_000.0;

/// Default options with a short backoff (100 ms), so retry schedules are easy to read in tests.
pub fn config() -> graph_mailbox_import::config::ClientConfig {
    graph_mailbox_import::config::ClientConfig::from_raw(graph_mailbox_import::config::RawOptions {
        retry_base_delay_ms: Some(100.0),
        ..Default::default()
    })
    .unwrap()
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[derive(Default)]
pub struct Clock {
    pub now: Cell<f64>,
    timers: RefCell<BinaryHeap<Reverse<(u64, u64)>>>,
    sequence: Cell<u64>,
}

impl Clock {
    fn register(&self, deadline: f64) {
        let id = self.sequence.get() + 1;
        self.sequence.set(id);
        self.timers
            .borrow_mut()
            .push(Reverse((deadline as u64, id)));
    }

    pub async fn sleep(&self, ms: f64) {
        let deadline = self.now.get() + ms;
        self.register(deadline);
        std::future::poll_fn(|_| {
            if self.now.get() >= deadline {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// Runs `future` to completion on the virtual clock.
pub fn run<F: Future>(clock: &Clock, future: F) -> F::Output {
    let flag = Arc::new(Flag(AtomicBool::new(true)));
    let waker = Waker::from(flag.clone());
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        flag.0.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        if flag.0.load(Ordering::SeqCst) {
            continue; // something was woken without time passing
        }
        let next = clock.timers.borrow_mut().pop();
        match next {
            Some(Reverse((deadline, _))) => {
                if deadline as f64 > clock.now.get() {
                    clock.now.set(deadline as f64);
                }
            }
            None => panic!("deadlock: every task waits and no timer is set"),
        }
    }
}

/// One request the host saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: f64,
    pub request: HttpRequest,
    pub status: Option<u16>,
}

/// What the scripted services answer; `None` drops the connection after the request was processed.
pub type Responder = Box<dyn FnMut(&HttpRequest, f64) -> Result<HttpResponse, SendError>>;

pub struct SimHost {
    pub clock: Clock,
    pub latency_ms: f64,
    pub responder: RefCell<Responder>,
    pub seen: RefCell<Vec<Seen>>,
    pub in_flight: Cell<usize>,
    pub peak_in_flight: Cell<usize>,
    pub stop_at: Cell<Option<f64>>,
    /// The services act on a request the moment it arrives and answer after the latency, so a run dropped
    /// in between (a crash) has changed the tenant without hearing so. Default: they act on answering.
    pub act_on_arrival: Cell<bool>,
    ids: Cell<u64>,
}

impl SimHost {
    pub fn new(latency_ms: f64, responder: Responder) -> Self {
        let clock = Clock::default();
        clock.now.set(START_MS);
        Self {
            clock,
            latency_ms,
            responder: RefCell::new(responder),
            seen: RefCell::default(),
            in_flight: Cell::new(0),
            peak_in_flight: Cell::new(0),
            stop_at: Cell::new(None),
            act_on_arrival: Cell::new(false),
            ids: Cell::new(0),
        }
    }

    pub fn run<F: Future>(&self, future: F) -> F::Output {
        run(&self.clock, future)
    }

    pub fn graph_calls(&self) -> usize {
        self.seen
            .borrow()
            .iter()
            .filter(|s| s.request.url.contains("/createImportSession"))
            .count()
    }

    pub fn import_posts(&self) -> Vec<Seen> {
        self.seen
            .borrow()
            .iter()
            .filter(|s| s.request.url.contains("/importItem"))
            .cloned()
            .collect()
    }
}

impl Effects for SimHost {
    async fn send(
        &self,
        request: &HttpRequest,
        _timeout_ms: u32,
    ) -> Result<HttpResponse, SendError> {
        let index = self.seen.borrow().len();
        self.seen.borrow_mut().push(Seen {
            at: self.clock.now.get(),
            request: request.clone(),
            status: None,
        });
        let is_import = request.url.contains("/importItem");
        if is_import {
            self.in_flight.set(self.in_flight.get() + 1);
            self.peak_in_flight
                .set(self.peak_in_flight.get().max(self.in_flight.get()));
        }
        let early = self
            .act_on_arrival
            .get()
            .then(|| (self.responder.borrow_mut())(request, self.clock.now.get()));
        self.clock.sleep(self.latency_ms).await;
        let answer = match early {
            Some(answer) => answer,
            None => (self.responder.borrow_mut())(request, self.clock.now.get()),
        };
        if is_import {
            self.in_flight.set(self.in_flight.get() - 1);
        }
        if let Ok(response) = &answer {
            self.seen.borrow_mut()[index].status = Some(response.status);
        }
        answer
    }

    async fn sleep(&self, ms: u64) -> Result<(), Aborted> {
        let deadline = self.clock.now.get() + ms as f64;
        // A stop cuts waits short, as the bulk signal does in JavaScript.
        let stop = self.stop_at.get().filter(|&t| t < deadline);
        self.clock
            .sleep(stop.map_or(ms as f64, |t| (t - self.clock.now.get()).max(0.0)))
            .await;
        Ok(())
    }

    async fn token(&self, _request: &TokenRequest<'_>) -> Result<String, TokenError> {
        Ok("sim-token".into())
    }

    fn can_refresh_token(&self) -> bool {
        false
    }

    fn now_ms(&self) -> f64 {
        self.clock.now.get()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        let id = self.ids.get() + 1;
        self.ids.set(id);
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte = (id >> ((i % 8) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
        }
    }

    fn stopping(&self) -> bool {
        self.stop_at
            .get()
            .is_some_and(|t| self.clock.now.get() >= t)
    }
}

/// Milliseconds since the epoch as ISO 8601 with seven fractional digits, as Graph writes it.
pub fn iso(ms: f64) -> String {
    let total_seconds = (ms / 1000.0).floor() as i64;
    let millis = (ms - total_seconds as f64 * 1000.0) as i64;
    let days = total_seconds.div_euclid(86_400);
    let seconds = total_seconds.rem_euclid(86_400);
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}0000Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

pub fn json_response(status: u16, body: &str) -> Result<HttpResponse, SendError> {
    Ok(HttpResponse {
        status,
        headers: vec![("request-id".into(), "sim-req".into())],
        body: body.into(),
    })
}

/// A scripted tenant: Graph's createImportSession and the import host, with sessions that expire and a
/// store of imported items. Faults are injected by tests through `fault`.
pub struct Tenant {
    pub lifetime_ms: f64,
    /// authtoken -> (mailbox, expires at).
    pub sessions: BTreeMap<String, (String, f64)>,
    /// (mailbox, folder, data) of every stored item, in order.
    pub items: Vec<(String, String, String)>,
    /// Folder ids that live in an auto-expanded archive, with that archive's mailbox id.
    pub archive_folders: BTreeMap<String, String>,
    /// Called for each import post before the normal handling; `Some` replaces the answer.
    pub fault: FaultScript,
    /// Graph's answer to createImportSession, if not the normal one.
    pub graph_status: Option<u16>,
    /// Items exportItems can return: id -> (mailbox it lives in, base64 data). An id asked for through
    /// another mailbox gets ErrorArchiveFolderMovedPermanently naming its own mailbox's exportItems URL.
    pub exportable: BTreeMap<String, (String, String)>,
    /// Per-item export errors: id -> (code, message).
    pub export_errors: BTreeMap<String, (String, String)>,
    /// Graph's status for every exportItems call, if not 200.
    pub export_status: Option<u16>,
    /// Ids asked for by each exportItems call, in order.
    pub export_calls: Vec<Vec<String>>,
    posts: usize,
    issued: usize,
}

/// Chooses a fault for import post number N (from 0), or none.
pub type FaultScript = Box<dyn FnMut(usize, &HttpRequest) -> Option<Fault>>;

pub enum Fault {
    Answer(Result<HttpResponse, SendError>),
    /// Store the item, then lose the answer.
    ProcessThenDrop,
    /// Store the item, then answer this instead of the import host's answer (a gateway's 504).
    ProcessThenAnswer(Result<HttpResponse, SendError>),
}

impl Tenant {
    pub fn new(lifetime_ms: f64) -> Rc<RefCell<Self>> {
        Rc::new(RefCell::new(Self {
            lifetime_ms,
            sessions: BTreeMap::new(),
            items: Vec::new(),
            archive_folders: BTreeMap::new(),
            fault: Box::new(|_, _| None),
            graph_status: None,
            exportable: BTreeMap::new(),
            export_errors: BTreeMap::new(),
            export_status: None,
            export_calls: Vec::new(),
            posts: 0,
            issued: 0,
        }))
    }

    pub fn responder(tenant: &Rc<RefCell<Self>>) -> Responder {
        let tenant = tenant.clone();
        Box::new(move |request, now| tenant.borrow_mut().answer(request, now))
    }

    fn answer(&mut self, request: &HttpRequest, now: f64) -> Result<HttpResponse, SendError> {
        const PREFIX: &str = "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/";
        if let Some(rest) = request.url.strip_prefix(PREFIX) {
            if let Some(status) = self.graph_status {
                return json_response(
                    status,
                    r#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}"#,
                );
            }
            if let Some(encoded) = rest.strip_suffix("/exportItems") {
                return self.export(&percent_decode(encoded), request);
            }
            let encoded = rest
                .strip_suffix("/createImportSession")
                .expect("only createImportSession is scripted");
            let mailbox = percent_decode(encoded);
            self.issued += 1;
            let token = format!("tok{}", self.issued);
            let expires = now + self.lifetime_ms;
            self.sessions
                .insert(token.clone(), (mailbox.clone(), expires));
            let body = format!(
                r#"{{"@odata.context":"x","importUrl":"https://outlook.office365.com/api/gv1.0/Mailboxes('{mailbox}')/importItem?authtoken={token}","expirationDateTime":"{}"}}"#,
                iso(expires)
            );
            return json_response(200, &body);
        }
        let token = request
            .url
            .split("authtoken=")
            .nth(1)
            .expect("import posts carry an authtoken")
            .to_string();
        let index = self.posts;
        self.posts += 1;
        let fault = (self.fault)(index, request);
        let store = |this: &mut Self| -> Result<HttpResponse, SendError> {
            let Some((mailbox, expires)) = this.sessions.get(&token).cloned() else {
                return json_response(401, r#"{"Message":"Invalid or expired session."}"#);
            };
            if now >= expires {
                this.sessions.remove(&token);
                return json_response(401, r#"{"Message":"Invalid or expired session."}"#);
            }
            let body = graph_mailbox_import::codec::json::parse(request.body_text().unwrap_or(""))
                .expect("import bodies are JSON");
            let folder = body.get_str("FolderId").unwrap_or_default().to_string();
            if let Some(archive) = this.archive_folders.get(&folder) {
                if *archive != mailbox {
                    let message = format!(
                        r#"{{"Message":"Invalid import session. The target session is expected in mailbox {archive}."}}"#
                    );
                    return json_response(409, &message);
                }
            }
            let data = body.get_str("Data").unwrap_or_default().to_string();
            this.items.push((mailbox, folder, data));
            let n = this.items.len();
            json_response(
                200,
                &format!(r#"{{"@odata.context":"x","itemId":"item{n}","changeKey":"ck{n}"}}"#),
            )
        };
        match fault {
            Some(Fault::Answer(answer)) => answer,
            Some(Fault::ProcessThenDrop) => {
                let _ = store(self);
                Err(SendError::Network("fetch failed: ECONNRESET".into()))
            }
            Some(Fault::ProcessThenAnswer(answer)) => {
                let _ = store(self);
                answer
            }
            None => store(self),
        }
    }
}

impl Tenant {
    fn export(&mut self, mailbox: &str, request: &HttpRequest) -> Result<HttpResponse, SendError> {
        let body = graph_mailbox_import::codec::json::parse(request.body_text().unwrap_or(""))
            .expect("export bodies are JSON");
        let ids: Vec<String> = body
            .get("itemIds")
            .and_then(|ids| ids.as_array())
            .expect("itemIds")
            .iter()
            .map(|id| id.as_str().expect("string ids").to_string())
            .collect();
        assert!(!ids.is_empty() && ids.len() <= 20, "1 to 20 ids per call");
        self.export_calls.push(ids.clone());
        if let Some(status) = self.export_status {
            return json_response(
                status,
                r#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}"#,
            );
        }
        let values: Vec<String> = ids
            .iter()
            .map(|id| {
                let error = |code: &str, message: &str| {
                    format!(r#"{{"itemId":"{id}","error":{{"code":"{code}","message":"{message}"}}}}"#)
                };
                if let Some((code, message)) = self.export_errors.get(id) {
                    return error(code, message);
                }
                match self.exportable.get(id) {
                    None => error("ErrorItemNotFound", "The specified object was not found in the store."),
                    Some((home, _)) if home != mailbox => error(
                        "ErrorArchiveFolderMovedPermanently",
                        &format!("The folder was moved. Use https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/{home}/exportItems"),
                    ),
                    Some((_, data)) => {
                        format!(r#"{{"itemId":"{id}","changeKey":"ck-{id}","data":"{data}"}}"#)
                    }
                }
            })
            .collect();
        json_response(200, &format!(r#"{{"value":[{}]}}"#, values.join(",")))
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).expect("valid escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 id")
}

/// Polls every future until all are done (a test-side join; the library has its own scheduler).
pub async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                if let std::task::Poll::Ready(value) = future.as_mut().poll(cx) {
                    *output = Some(value);
                }
            }
        }
        if outputs.iter().all(Option::is_some) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("all done")).collect()
}
