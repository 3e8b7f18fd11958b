//! The controller's real work for `driftless run`: fetch the source and validate it,
//! then plan each target through the same engine as `plan` and apply it through the
//! same reconcile path as `apply` ([`crate::reconcile`], invariant 8), and keep the
//! controller's own books (status, metrics, logs, notifications).
//! [`super::scheduler`] decides when.
//!
//! An invalid revision is never applied: the last good one keeps being enforced and
//! every target is marked Stalled with the reason. A fetch that fails (unreachable
//! remote, deleted branch) also keeps the last good revision. Each target is planned
//! and applied on its own, and saves only its own last-applied records, so targets
//! run concurrently without touching each other's state.
//!
//! The parts, one concern each:
//! - `source`: fetch and validate; the last good revision; an invalid one rejected;
//! - `target`: one target's reconcile: plan it, hold writes back when suspended or
//!   reporting drift only, then the shared reconcile path;
//! - `outcome`: how a reconcile ended, and what that does to status, metrics, logs and
//!   the scheduler's next step;
//! - `drift`: the drift a reconcile found and corrected, and who made it;
//! - `notifications`: the notifier for driftless.yaml's `notifications`, what each
//!   target was last seen with, and the notifier's memory across restarts;
//! - `guardrails`: the guardrail audit after each reconcile;
//! - `state`: the state backend, chosen at the first reconcile.

mod drift;
mod guardrails;
mod notifications;
mod outcome;
mod source;
mod state;
mod target;

pub use state::{Select, StateChoice};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use super::http::Shared;
use super::metrics::Metrics;
use super::scheduler::{Backend, Desired, Next};
use super::shard::Shard;
use super::status::{Outcome, Status};
use crate::apply::{ApplyOptions, Cancel};
use crate::engine::PlanRequest;
use crate::source::SourceLocation;
use crate::state::ReconcileRecord;
use crate::validate::Loaded;

/// Settings of `driftless run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub location: SourceLocation,
    pub state_dir: PathBuf,
    /// Where records are written ahead and confirmed, reconciles recorded and
    /// targets locked, with the lease of a target's lock (`--state`, else
    /// driftless.yaml `state:`, else local under `state_dir`).
    pub state: std::sync::Arc<StateChoice>,
    /// How long to wait for another writer's lock.
    pub lock_timeout: Duration,
    pub interval: Duration,
    pub resync: Duration,
    pub request: PlanRequest,
    pub apply: ApplyOptions,
    /// `--drift-policy report`: drift is detected and reported, never written.
    pub report_drift_only: bool,
    /// `--suspend`: plan and report, write nothing (also `suspend: true` in
    /// driftless.yaml and `POST /suspend`).
    pub suspend: bool,
    /// The part of the targets this process owns (`--shard-index`/`--shard-count`).
    pub shard: Shard,
}

/// A valid revision, ready to be reconciled.
#[derive(Debug)]
pub struct Revision {
    /// The repository, with its organization entries' targets as last discovered
    /// (every reconcile of a resync round plans with this one discovery).
    pub loaded: Loaded,
    /// The targets reconciled: driftless.yaml's, limited by `--target` and to this
    /// process's shard.
    pub targets: Vec<String>,
    /// When AWS Organizations was last asked for `loaded`'s accounts; `None` without
    /// organization entries, or when discovery failed (asked again at the next poll).
    pub discovered: Option<std::time::Instant>,
}

impl Desired for Revision {
    fn revision(&self) -> &str {
        &self.loaded.revision
    }
    fn targets(&self) -> Vec<String> {
        self.targets.clone()
    }
}

/// The controller's real work: the git source, and the plan/apply engine per target.
/// Shares status, metrics and flags with the HTTP handlers through [`Shared`].
pub struct Reconciler {
    pub options: RunOptions,
    pub shared: Arc<Shared>,
    /// Cancelled at shutdown: applies stop starting new calls.
    pub cancel: Cancel,
    source: tokio::sync::Mutex<source::SourceState>,
    /// Per target, what its last reconcile told the notifier.
    seen: std::sync::Mutex<BTreeMap<String, notifications::Seen>>,
    /// The notifier's memory as last saved, to write only changes.
    saved_memory: std::sync::Mutex<Option<serde_json::Value>>,
    /// Reconciles running at once, over every target: a revision reaching 1,000
    /// targets queues them instead of planning them all at the same time.
    running: tokio::sync::Semaphore,
}

impl Reconciler {
    pub fn new(options: RunOptions, shared: Arc<Shared>, cancel: Cancel) -> Reconciler {
        Reconciler {
            options,
            shared,
            cancel,
            source: tokio::sync::Mutex::new(source::SourceState::default()),
            seen: Default::default(),
            saved_memory: Default::default(),
            running: tokio::sync::Semaphore::new(crate::engine::MAX_CONCURRENT_TARGETS),
        }
    }

    fn status(&self) -> MutexGuard<'_, Status> {
        self.shared.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn metrics(&self) -> MutexGuard<'_, Metrics> {
        self.shared
            .metrics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Records a reconcile's outcome in the target's status.
    fn record(&self, target: &str, outcome: &Outcome, now: i64) {
        self.status()
            .targets
            .entry(target.to_string())
            .or_default()
            .record(outcome, now);
    }

    /// Writes history records (failed plans, invalid revisions) to the state backend,
    /// so every pod and `driftless history` from any machine see them; before the
    /// backend is chosen (no reconcile has opened it yet), to the local database.
    /// Logs what could not be written.
    async fn history(&self, records: &[ReconcileRecord]) {
        let errors = match self.options.state.chosen() {
            Some(backend) => crate::reconcile::record_history(backend, records).await,
            None => crate::reconcile::record_history_local(&self.options.state_dir, records),
        };
        log_history_errors(&errors);
    }
}

/// Logs history that could not be recorded (it never fails a reconcile).
fn log_history_errors(errors: &[crate::state::StateError]) {
    for e in errors {
        tracing::warn!(error = %e, "history not recorded");
    }
}

/// The first 12 characters of a revision, for logs and `run --once`'s lines.
pub fn short(revision: &str) -> &str {
    revision.get(..12).unwrap_or(revision)
}

impl Reconciler {
    /// Whether the revision in force no longer has `target` (its account left the
    /// organization's scope, or it left driftless.yaml) while this reconcile waited
    /// with an older one: it is not reconciled, so nothing is written for it after its
    /// departure was recorded (a record after it would read as the account back).
    fn dropped(&self, target: &str) -> bool {
        self.shared
            .ui
            .revision
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|r| !r.targets.iter().any(|t| t == target))
    }
}

impl Backend for Reconciler {
    type Desired = Revision;

    async fn fetch(&self) -> Option<Arc<Revision>> {
        self.fetch_source().await
    }

    async fn reconcile(&self, desired: Arc<Revision>, target: String) -> Next {
        // Never closed; should it ever be, the reconcile runs unbounded rather than not.
        let _permit = self.running.acquire().await.ok();
        if self.dropped(&target) {
            return Next::Converged;
        }
        // Boxed: a future holds room for its largest state, and every target's worker
        // holds this one while it waits (its queue, or a permit); unboxed, 1,000 idle
        // workers each kept a whole reconcile's worth of memory.
        Box::pin(self.reconcile_target(desired, target)).await
    }
}
