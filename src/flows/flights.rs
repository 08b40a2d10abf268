//! A handful of futures in flight at once, polled together on one task: the concurrency of bulk imports
//! and exports without an executor or a futures crate.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::{Context, Poll};

/// The futures in flight, each boxed so that futures of different types share one set.
pub struct Flights<'a, T> {
    futures: Vec<Pin<Box<dyn Future<Output = T> + 'a>>>,
}

// By hand: futures are not `Debug`; how many are in flight is what a reader needs.
impl<T> core::fmt::Debug for Flights<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Flights")
            .field("in_flight", &self.futures.len())
            .finish()
    }
}

impl<'a, T> Default for Flights<'a, T> {
    fn default() -> Self {
        Self {
            futures: Vec::new(),
        }
    }
}

impl<'a, T> Flights<'a, T> {
    /// Puts `future` in flight; it is first polled by the next [`Self::poll_next`].
    pub fn push(&mut self, future: impl Future<Output = T> + 'a) {
        self.futures.push(Box::pin(future));
    }

    /// How many futures are in flight.
    pub fn len(&self) -> usize {
        self.futures.len()
    }

    /// Whether nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.futures.is_empty()
    }

    /// Polls the futures in the order they were pushed; the first that is done leaves the set with its
    /// output (removed in place, so the others keep their order: fair, and deterministic for tests).
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        for i in 0..self.futures.len() {
            if let Poll::Ready(output) = self.futures[i].as_mut().poll(cx) {
                drop(self.futures.remove(i));
                return Poll::Ready(output);
            }
        }
        Poll::Pending
    }

    /// The next output, or `None` when nothing is in flight.
    pub fn next_output(&mut self) -> impl Future<Output = Option<T>> + use<'_, 'a, T> {
        poll_fn(|cx| match self.is_empty() {
            true => Poll::Ready(None),
            false => self.poll_next(cx).map(Some),
        })
    }
}
