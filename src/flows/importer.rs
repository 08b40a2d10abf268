//! Posting items: one import session per target mailbox, shared by every post, created on first use,
//! renewed before it expires or once after the import host refuses it, and switched to the archive
//! mailbox a 409 names. Concurrent posts that need a new session wait for one createImportSession.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::future::{poll_fn, Future};
use core::task::{Poll, Waker};

use crate::config::ClientConfig;
use crate::error::{ErrorCode, MailboxError};
use crate::flows::client::{after_failure, create_import_session, AfterFailure, Failure, TOO_LONG};
use crate::flows::Client;
use crate::transport::{Effects, SendError};
use crate::wire::import_host::{
    body_for, classify_import_answer, needs_renewal, prepare_import_post, validate_item,
    ImportAnswer, ImportItem, ImportedItem, Mode,
};
use crate::wire::protocol::{validate_mailbox_id, ImportSession};
use crate::wire::retry::{classify_status, retry_after_of, Class};

/// Mailbox id -> slot, as a list: a client imports into a handful of mailboxes (and their archives), and
/// a list costs far less wasm than a map.
#[derive(Default)]
struct Slots(Vec<(String, Slot)>);

impl Slots {
    fn get(&self, mailbox: &str) -> Option<&Slot> {
        self.0
            .iter()
            .find(|(m, _)| m == mailbox)
            .map(|(_, slot)| slot)
    }

    fn get_mut(&mut self, mailbox: &str) -> Option<&mut Slot> {
        self.0
            .iter_mut()
            .find(|(m, _)| m == mailbox)
            .map(|(_, slot)| slot)
    }

    fn insert(&mut self, mailbox: &str, slot: Slot) -> Option<Slot> {
        match self.get_mut(mailbox) {
            Some(existing) => Some(core::mem::replace(existing, slot)),
            None => {
                self.0.push((mailbox.into(), slot));
                None
            }
        }
    }

    fn remove(&mut self, mailbox: &str) -> Option<Slot> {
        let at = self.0.iter().position(|(m, _)| m == mailbox)?;
        Some(self.0.swap_remove(at).1)
    }
}

enum Slot {
    /// A createImportSession is under way; these tasks wait for it.
    Creating {
        attempt: u64,
        waiters: Vec<Waker>,
    },
    Ready(ImportSession),
    /// The last creation failed; tasks that waited for that attempt get its error.
    Failed {
        attempt: u64,
        error: MailboxError,
    },
}

/// The import sessions of one client, by target mailbox.
#[derive(Default)]
pub struct SessionStore {
    slots: RefCell<Slots>,
    attempts: core::cell::Cell<u64>,
    /// How many sessions were created, for tests and reports.
    pub created: core::cell::Cell<u64>,
    /// (mailbox, folder) -> the archive mailbox a 409 sent that folder's items to, so later items for the
    /// folder go there at once instead of each paying a refused post first.
    archive_folders: RefCell<Vec<(String, String, String)>>,
    /// Posts in flight per target mailbox, and the tasks waiting for one of them to finish.
    posting: RefCell<Vec<(String, usize, Vec<Waker>)>>,
}

// By hand: a session's import URL is a credential, so each mailbox's session is shown by its state only.
impl core::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut debug = f.debug_struct("SessionStore");
        match self.slots.try_borrow() {
            Ok(slots) => {
                let sessions: Vec<(&str, &str)> = slots
                    .0
                    .iter()
                    .map(|(mailbox, slot)| {
                        let state = match slot {
                            Slot::Creating { .. } => "creating",
                            Slot::Ready(_) => "ready",
                            Slot::Failed { .. } => "failed",
                        };
                        (mailbox.as_str(), state)
                    })
                    .collect();
                debug.field("sessions", &sessions)
            }
            Err(_) => debug.field("sessions", &"<being changed>"),
        };
        debug
            .field("created", &self.created.get())
            .finish_non_exhaustive()
    }
}

/// A place among a mailbox's posts in flight; dropping it frees the place and wakes the waiting tasks.
struct PostPermit<'a> {
    store: &'a SessionStore,
    mailbox: &'a str,
}

impl Drop for PostPermit<'_> {
    fn drop(&mut self) {
        let waiters = {
            let mut posting = self.store.posting.borrow_mut();
            match posting.iter_mut().find(|(m, _, _)| m == self.mailbox) {
                Some((_, count, waiters)) => {
                    *count -= 1;
                    core::mem::take(waiters)
                }
                None => Vec::new(),
            }
        };
        waiters.into_iter().for_each(Waker::wake);
    }
}

/// Clears a `Creating` slot if the creating task is dropped midway, so waiters are not stranded.
struct CreatingGuard<'a> {
    store: &'a SessionStore,
    mailbox: &'a str,
    attempt: u64,
    done: bool,
}

impl CreatingGuard<'_> {
    fn settle(mut self, result: &Result<ImportSession, Failure>) {
        self.done = true;
        let slot = match result {
            Ok(session) => Slot::Ready(session.clone()),
            Err(Failure::Error(error)) => Slot::Failed {
                attempt: self.attempt,
                error: error.clone(),
            },
            Err(Failure::Aborted) => {
                self.store.replace(self.mailbox, None);
                return;
            }
        };
        self.store.replace(self.mailbox, Some(slot));
    }
}

impl Drop for CreatingGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.store.replace(self.mailbox, None);
        }
    }
}

impl SessionStore {
    /// Waits for a place among `mailbox`'s posts in flight (at most `limit`), so that every call of a
    /// client together respects Exchange's per-mailbox limit.
    fn permit<'a>(
        &'a self,
        mailbox: &'a str,
        limit: usize,
    ) -> impl Future<Output = PostPermit<'a>> + 'a {
        poll_fn(move |cx| {
            let mut posting = self.posting.borrow_mut();
            let at = match posting.iter().position(|(m, _, _)| m == mailbox) {
                Some(at) => at,
                None => {
                    posting.push((mailbox.into(), 0, Vec::new()));
                    posting.len() - 1
                }
            };
            let (_, count, waiters) = &mut posting[at];
            if *count < limit {
                *count += 1;
                Poll::Ready(PostPermit {
                    store: self,
                    mailbox,
                })
            } else {
                if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    waiters.push(cx.waker().clone());
                }
                Poll::Pending
            }
        })
    }

    /// Where items for `folder` of `mailbox` go, if a 409 has said.
    pub fn archive_for(&self, mailbox: &str, folder: &str) -> Option<String> {
        let known = self.archive_folders.borrow();
        known
            .iter()
            .find(|(m, f, _)| m == mailbox && f == folder)
            .map(|(_, _, archive)| archive.clone())
    }

    fn remember_archive(&self, mailbox: &str, folder: &str, archive: &str) {
        let mut known = self.archive_folders.borrow_mut();
        known.retain(|(m, f, _)| !(m == mailbox && f == folder));
        known.push((mailbox.into(), folder.into(), archive.into()));
    }

    /// Sets or removes a slot and wakes whoever waited on the one it replaces.
    fn replace(&self, mailbox: &str, slot: Option<Slot>) {
        let previous = {
            let mut slots = self.slots.borrow_mut();
            match slot {
                Some(slot) => slots.insert(mailbox, slot),
                None => slots.remove(mailbox),
            }
        };
        if let Some(Slot::Creating { waiters, .. }) = previous {
            waiters.into_iter().for_each(Waker::wake);
        }
    }

    /// Forgets `mailbox`'s session if it is still the one at `import_url` (another task may already have
    /// replaced it), so that the next post creates a new one.
    pub fn invalidate(&self, mailbox: &str, import_url: &str) {
        let stale = matches!(self.slots.borrow().get(mailbox), Some(Slot::Ready(s)) if s.import_url == import_url);
        if stale {
            self.replace(mailbox, None);
        }
    }

    /// A usable session for `mailbox`: the current one, or the one another task is creating, or a new one.
    pub async fn session<E: Effects>(
        &self,
        effects: &E,
        config: &ClientConfig,
        mailbox: &str,
    ) -> Result<ImportSession, Failure> {
        let renew_before_ms = config.renew_before_ms;
        let mut waited_for = None;
        loop {
            let creating = {
                let slots = self.slots.borrow();
                match slots.get(mailbox) {
                    Some(Slot::Ready(session))
                        if !needs_renewal(session, effects.now_ms(), renew_before_ms) =>
                    {
                        return Ok(session.clone())
                    }
                    Some(Slot::Failed { attempt, error }) if Some(*attempt) == waited_for => {
                        return Err(Failure::Error(error.clone()))
                    }
                    Some(Slot::Creating { attempt, .. }) => Some(*attempt),
                    _ => None,
                }
            };
            match creating {
                Some(attempt) => {
                    waited_for = Some(attempt);
                    self.until_created(mailbox, attempt).await;
                }
                // Boxed: a creation is rare (once per mailbox and hour), and its future would
                // otherwise live inside every post's.
                None => return Box::pin(self.create(effects, config, mailbox)).await,
            }
        }
    }

    async fn create<E: Effects>(
        &self,
        effects: &E,
        config: &ClientConfig,
        mailbox: &str,
    ) -> Result<ImportSession, Failure> {
        let attempt = self.attempts.get() + 1;
        self.attempts.set(attempt);
        self.slots.borrow_mut().insert(
            mailbox,
            Slot::Creating {
                attempt,
                waiters: Vec::new(),
            },
        );
        let guard = CreatingGuard {
            store: self,
            mailbox,
            attempt,
            done: false,
        };
        let result = create_import_session(effects, config, mailbox).await;
        if result.is_ok() {
            self.created.set(self.created.get() + 1);
        }
        guard.settle(&result);
        result
    }

    /// Resolves once `mailbox`'s slot is no longer creation `attempt`.
    fn until_created<'a>(
        &'a self,
        mailbox: &'a str,
        attempt: u64,
    ) -> impl Future<Output = ()> + 'a {
        poll_fn(move |cx| match self.slots.borrow_mut().get_mut(mailbox) {
            Some(Slot::Creating {
                attempt: current,
                waiters,
            }) if *current == attempt => {
                // A bulk run polls every flight on each wake-up: register each task once.
                if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    waiters.push(cx.waker().clone());
                }
                Poll::Pending
            }
            _ => Poll::Ready(()),
        })
    }
}

/// Why an item was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemError {
    /// The caller's signal aborted before the item was sent: it was not imported.
    Aborted,
    /// No session could be had for `target` (the mailbox, or the archive a 409 named); every item for
    /// that target fails the same way.
    NoSession {
        /// The mailbox the item was posted to: the one asked for, or the archive a 409 named.
        target: String,
        /// Why no session could be had.
        error: MailboxError,
    },
    /// This item failed (or, code `outcomeUnknown`, may have been imported).
    Failed(MailboxError),
}

impl From<ItemError> for Failure {
    fn from(error: ItemError) -> Self {
        match error {
            ItemError::Aborted => Self::Aborted,
            ItemError::NoSession { error, .. } | ItemError::Failed(error) => Self::Error(error),
        }
    }
}

/// Appended to the import host's words for a create answered 500, 502 or 504.
const MAYBE_IMPORTED: &str = "; a gateway may answer so after Exchange stored the item, so it was not sent again; check the folder before retrying it";

fn outcome_unknown(detail: &str, attempts: u32) -> ItemError {
    let mut error = MailboxError::new(
        ErrorCode::OutcomeUnknown,
        [
            "The item was sent but no answer came back (",
            detail,
            "): it may have been imported. It was not sent again; check the folder before retrying it",
        ]
        .concat(),
    );
    error.attempts = attempts;
    ItemError::Failed(error)
}

/// Whether the import host's message says the session expired (it carries the host's own words).
fn said_expired(message: &str) -> bool {
    // A byte window rather than `str::contains`, whose substring search costs a kilobyte of wasm.
    message
        .as_bytes()
        .windows(7)
        .any(|word| word.eq_ignore_ascii_case(b"expired"))
}

/// Imports one item into `mailbox` through the client's shared sessions.
///
/// A `create` is never sent twice once it may have reached the server: a lost answer, a timeout or an
/// abort during the post settles it as `outcomeUnknown`. Throttling (the server refused it) and refused
/// sessions are retried; an `update` is also retried after network failures, its change key guarding it.
pub async fn import_item<E: Effects>(
    client: Client<'_, E>,
    mailbox: &str,
    item: &ImportItem,
) -> Result<ImportedItem, ItemError> {
    let Client {
        effects,
        config,
        sessions: store,
    } = client;
    validate_mailbox_id(mailbox).map_err(ItemError::Failed)?;
    validate_item(item).map_err(ItemError::Failed)?;
    let body = body_for(item).map_err(ItemError::Failed)?;
    let mut target = store
        .archive_for(mailbox, &item.folder_id)
        .unwrap_or_else(|| String::from(mailbox));
    let mut renewed = false;
    let mut switched = false;
    let mut retries = 0;
    let mut sent = 0;
    loop {
        let session = match store.session(effects, config, &target).await {
            Ok(session) => session,
            Err(Failure::Aborted) => return Err(ItemError::Aborted),
            Err(Failure::Error(error)) => return Err(ItemError::NoSession { target, error }),
        };
        let request = prepare_import_post(&session.import_url, &body);
        sent += 1;
        let fail = |mut error: MailboxError| {
            error.attempts = sent;
            ItemError::Failed(error)
        };
        let permit = store.permit(&target, config.mailbox_concurrency).await;
        if effects.stopping() {
            // Aborted (or the run stopped) while waiting for a place: nothing was sent.
            return Err(ItemError::Aborted);
        }
        let sent_answer = effects.send(&request, config.retry.timeout_ms).await;
        drop(permit);
        // A failure that may be retried: its class, the wait the service asked for, and the error the
        // item fails with once retries are spent. One wait serves both kinds.
        let (class, retry_after, mut error) = match sent_answer {
            Ok(response) => match classify_import_answer(&response, &session.import_url, item.mode)
            {
                ImportAnswer::Imported(imported) => return Ok(imported),
                ImportAnswer::SessionRejected(_) if !renewed => {
                    renewed = true;
                    store.invalidate(&target, &session.import_url);
                    continue;
                }
                ImportAnswer::WrongMailbox(archive, _) if !switched && archive != target => {
                    switched = true;
                    store.remember_archive(mailbox, &item.folder_id, &archive);
                    target = archive;
                    continue;
                }
                ImportAnswer::Retryable(error) => (
                    classify_status(response.status),
                    retry_after_of(&response, effects.now_ms()),
                    error,
                ),
                ImportAnswer::SessionRejected(mut error)
                    if error.status == Some(404)
                        && !said_expired(&error.message)
                        && !needs_renewal(&session, effects.now_ms(), 0) =>
                {
                    // A session created moments ago, still within its expirationDateTime, refused
                    // too: whether the import host means "no such folder" or "no such session" by 404
                    // is not documented, and the folder is the likelier. Only a guess: when the host
                    // said the session expired, or the session's own expiry is past, the answer is
                    // `sessionExpired` (the arm below).
                    error.code = ErrorCode::NotFound;
                    error.message.push_str(
                        "; a new session was refused as well, so the folder (item.folderId) probably does not exist in this mailbox",
                    );
                    return Err(fail(error));
                }
                ImportAnswer::MaybeImported(mut error) => {
                    error.message.push_str(MAYBE_IMPORTED);
                    return Err(fail(error));
                }
                ImportAnswer::SessionRejected(error)
                | ImportAnswer::WrongMailbox(_, error)
                | ImportAnswer::Unreadable(error)
                | ImportAnswer::Final(error) => return Err(fail(error)),
            },
            Err(SendError::Aborted) if item.mode == Mode::Create => {
                return Err(outcome_unknown("aborted", sent))
            }
            Err(SendError::Aborted) => return Err(ItemError::Aborted),
            Err(SendError::Timeout) if item.mode == Mode::Create => {
                return Err(outcome_unknown("timed out", sent))
            }
            Err(SendError::Network(_)) if item.mode == Mode::Create => {
                return Err(outcome_unknown(
                    "the connection failed; in a browser a CORS refusal looks the same",
                    sent,
                ))
            }
            Err(SendError::HiddenRedirect) => return Err(fail(MailboxError::new(
                ErrorCode::UntrustedImportUrl,
                "The import host answered with a redirect; redirects from it are never followed",
            ))),
            // An update: the change key makes a second attempt safe.
            Err(SendError::Timeout) => (
                Class::Transport,
                None,
                MailboxError::new(ErrorCode::Timeout, "The import host did not answer in time"),
            ),
            Err(SendError::Network(_)) => (
                Class::Transport,
                None,
                MailboxError::new(ErrorCode::Network, "Could not reach the import host"),
            ),
        };
        match after_failure(effects, &config.retry, &mut retries, class, retry_after).await {
            Ok(AfterFailure::TryAgain) => {}
            Ok(AfterFailure::GiveUp(reason)) => {
                reason.annotate(&mut error, retry_after, TOO_LONG);
                return Err(fail(error));
            }
            Err(_) => return Err(ItemError::Aborted),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn the_stores_debug_output_names_mailboxes_but_not_their_import_urls() {
        let store = SessionStore::default();
        let session = ImportSession {
            import_url: "https://outlook.office365.com/api/v1.0/Mailboxes('MBX:a@b')/importItem?authtoken=eyJhbGciOi.session".into(),
            expiration_date_time: "2030-01-01T00:00:00Z".into(),
            expires_at_ms: 1_893_456_000_000,
        };
        store
            .slots
            .borrow_mut()
            .insert("MBX:a@b", Slot::Ready(session));
        let printed = format!("{store:?}");
        assert!(!printed.contains("authtoken"), "{printed}");
        assert!(!printed.contains("eyJhbGciOi.session"), "{printed}");
        assert!(printed.contains("MBX:a@b"), "{printed}");
        assert!(printed.contains("ready"), "{printed}");
    }
}
