//! Where a copy keeps its item map: in the state itself ([`MemoryItems`]), or in a store of the
//! caller's (IndexedDB in a page, Durable Object storage in a Worker) through [`ItemStore`], so the map
//! need not live in one object and each item is recorded as it settles.
//!
//! Write-ahead: with a store, a create is recorded `outcomeUnknown` (and the record kept) before its post
//! is sent, then recorded again as it settles: imported, outcomeUnknown, or `None` (no copy was made).
//! A process that dies with posts in flight so leaves them `outcomeUnknown`, never unrecorded, and a
//! resumed copy does not send them again (unless `retryOutcomeUnknown`).

use alloc::boxed::Box;
use core::cell::RefCell;
use core::future::{ready, Future};
use core::pin::Pin;

use crate::flows::copy_folders::state::{CopiedItem, ItemMap};

/// The store failed (its `get` or `set` threw or rejected); the binding keeps what was thrown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFailed;

/// What an [`ItemStore`] call gives: a boxed future of its answer or [`StoreFailed`].
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreFailed>> + 'a>>;

/// An async map from source item id to how its copy stands.
pub trait ItemStore {
    /// How the copy of `source_id` stands; `None` when no copy is recorded.
    fn get<'a>(&'a self, source_id: &'a str) -> StoreFuture<'a, Option<CopiedItem>>;
    /// Starts recording at once (the copy calls it before a create is sent and the moment an item
    /// settles) and completes when the record is kept; the copy waits for every record before it reports
    /// a state. `None`: no copy was made (a create recorded ahead failed, or was never sent).
    fn set(&self, source_id: &str, item: Option<&CopiedItem>) -> StoreFuture<'static, ()>;
}

/// The item map kept in the state.
#[derive(Debug, Default)]
pub struct MemoryItems {
    /// Source item id -> how its copy stands; the state's `items` when the run ends.
    pub map: RefCell<ItemMap>,
}

impl ItemStore for MemoryItems {
    fn get<'a>(&'a self, source_id: &'a str) -> StoreFuture<'a, Option<CopiedItem>> {
        Box::pin(ready(Ok(self.map.borrow().get(source_id).cloned())))
    }

    fn set(&self, source_id: &str, item: Option<&CopiedItem>) -> StoreFuture<'static, ()> {
        let mut map = self.map.borrow_mut();
        match item {
            Some(item) => map.insert(source_id.into(), item.clone()),
            None => map.remove(source_id),
        }
        Box::pin(ready(Ok(())))
    }
}
