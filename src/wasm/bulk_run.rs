//! What `importItems` and `copyItems` share as JavaScript calls: the run's effects (which its own signal
//! can stop), the caller's callbacks, and what a run that ended early rejects with.

use alloc::vec::Vec;

use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::api::ClientState;
use super::convert::{rejection, report_object};
use super::effects::JsEffects;
use super::options::JsBulkOptions;
use super::source::JsObserver;
use crate::flows::bulk::{BulkOptions, Report, Stopped};
use crate::flows::client::Failure;

/// One bulk run of a client.
pub(super) struct BulkRun {
    pub(super) effects: JsEffects,
    pub(super) observer: JsObserver,
    pub(super) options: BulkOptions,
    signal: Option<AbortSignal>,
}

impl BulkRun {
    pub(super) fn new(state: &ClientState, bulk: JsBulkOptions, total: Option<u64>) -> Self {
        Self {
            effects: state.effects.for_run(bulk.signal.clone()),
            observer: JsObserver {
                on_result: bulk.on_result,
                on_progress: bulk.on_progress,
                thrown: None,
            },
            options: BulkOptions {
                concurrency: bulk.concurrency,
                total,
                keep_results: bulk.keep_results,
            },
            signal: bulk.signal,
        }
    }

    /// The signals that stop pulling from the caller's items: the run's own and the client's.
    pub(super) fn stop_signals(&self, state: &ClientState) -> Vec<AbortSignal> {
        self.signal
            .iter()
            .chain(state.effects.signal.iter())
            .cloned()
            .collect()
    }

    /// The report, or what the run rejects with: the abort reason, or what the source or a callback threw.
    pub(super) fn finish(
        self,
        state: &ClientState,
        outcome: Result<Report, (Stopped, Report)>,
        source_thrown: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        match outcome {
            Ok(report) => Ok(report_object(&report)),
            Err((Stopped::Aborted, _)) => Err(rejection(
                Failure::Aborted,
                &[self.signal.as_ref(), state.effects.signal.as_ref()],
                None,
            )),
            Err((Stopped::SourceFailed, _)) => Err(source_thrown.unwrap_or(JsValue::UNDEFINED)),
            Err((Stopped::ObserverFailed, _)) => {
                Err(self.observer.thrown.unwrap_or(JsValue::UNDEFINED))
            }
        }
    }
}
