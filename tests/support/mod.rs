//! A scripted host for native tests: canned answers in order, a fake clock that sleeping advances, a
//! scripted token provider, and deterministic randomness. Everything the core sent is recorded.

#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use graph_mailbox_import::transport::{
    Aborted, Effects, HttpRequest, HttpResponse, SendError, TokenError, TokenRequest,
};

/// Runs a future whose effects all complete at once (the scripted host never waits for real).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..10_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("future did not complete: the scripted host never leaves one pending");
}

pub fn response(
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<HttpResponse, SendError> {
    Ok(HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: body.into(),
    })
}

pub const SESSION_BODY: &str = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.mailboxItemImportSession","importUrl":"https://outlook.office365.com/api/gv1.0/Mailboxes('MBX:e0643f21@a7809c93')/importItem?authtoken=SECRET-AUTHTOKEN","expirationDateTime":"2024-10-17T19:00:48.1052906Z"}"#;

pub fn session_ok() -> Result<HttpResponse, SendError> {
    response(200, &[("request-id", "req-ok")], SESSION_BODY)
}

pub fn graph_error_body(code: &str, message: &str) -> String {
    format!(
        r#"{{"error":{{"code":"{code}","message":"{message}","innerError":{{"request-id":"body-req","date":"2024-10-17T19:00:48"}}}}}}"#
    )
}

pub struct ScriptedHost {
    pub answers: RefCell<VecDeque<Result<HttpResponse, SendError>>>,
    pub sent: RefCell<Vec<HttpRequest>>,
    pub timeouts: RefCell<Vec<u32>>,
    pub sleeps: RefCell<Vec<u64>>,
    pub now: Cell<f64>,
    /// `None`: a fixed token ("fixed-token") that cannot be refreshed.
    pub tokens: RefCell<Option<VecDeque<Result<String, TokenError>>>>,
    pub token_requests: RefCell<Vec<(Vec<String>, bool)>>,
    /// Sleep number N (0-based) is aborted.
    pub abort_on_sleep: Option<usize>,
    pub random_byte: u8,
    pub ids_drawn: Cell<u8>,
}

impl ScriptedHost {
    pub fn new(answers: Vec<Result<HttpResponse, SendError>>) -> Self {
        Self {
            answers: RefCell::new(answers.into()),
            sent: RefCell::default(),
            timeouts: RefCell::default(),
            sleeps: RefCell::default(),
            now: Cell::new(784_111_777_000.0), // Sun, 06 Nov 1994 08:49:37 GMT
            tokens: RefCell::new(None),
            token_requests: RefCell::default(),
            abort_on_sleep: None,
            random_byte: 0,
            ids_drawn: Cell::new(0),
        }
    }

    pub fn with_provider(self, tokens: Vec<Result<String, TokenError>>) -> Self {
        *self.tokens.borrow_mut() = Some(tokens.into());
        self
    }

    pub fn sent_count(&self) -> usize {
        self.sent.borrow().len()
    }
}

impl Effects for ScriptedHost {
    async fn send(
        &self,
        request: &HttpRequest,
        timeout_ms: u32,
    ) -> Result<HttpResponse, SendError> {
        self.sent.borrow_mut().push(request.clone());
        self.timeouts.borrow_mut().push(timeout_ms);
        self.answers
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request #{}", self.sent.borrow().len()))
    }

    async fn sleep(&self, ms: u64) -> Result<(), Aborted> {
        let index = self.sleeps.borrow().len();
        self.sleeps.borrow_mut().push(ms);
        if self.abort_on_sleep == Some(index) {
            return Err(Aborted);
        }
        self.now.set(self.now.get() + ms as f64);
        Ok(())
    }

    async fn token(&self, request: &TokenRequest<'_>) -> Result<String, TokenError> {
        self.token_requests
            .borrow_mut()
            .push((request.scopes.to_vec(), request.force_refresh));
        match self.tokens.borrow_mut().as_mut() {
            None => Ok("fixed-token".into()),
            Some(script) => script
                .pop_front()
                .unwrap_or_else(|| Ok("provided-token".into())),
        }
    }

    fn can_refresh_token(&self) -> bool {
        self.tokens.borrow().is_some()
    }

    fn now_ms(&self) -> f64 {
        self.now.get()
    }

    /// Jitter draws (4 bytes) all give `random_byte`; request ids (16 bytes) count up, so each differs.
    fn fill_random(&self, buf: &mut [u8]) {
        if buf.len() == 16 {
            self.ids_drawn.set(self.ids_drawn.get() + 1);
            buf.fill(0);
            buf[15] = self.ids_drawn.get();
        } else {
            buf.fill(self.random_byte);
        }
    }
}
