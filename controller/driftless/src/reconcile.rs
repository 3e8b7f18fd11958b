//! The one reconcile path, for `driftless apply` and the controller alike: a planned
//! revision is applied, the last-applied records are saved, and the history records
//! each target's reconcile with the revision. Written once, here.
//!
//! Around apply it holds the lock of each target it writes (taken in name order,
//! renewed while apply runs, released after; docs/design/state.md#locks).
//!
//! This module owns that sequence and nothing around it: it prints nothing, logs only
//! what happens to its locks (a lock taken over, lost or not released) and decides no
//! exit code, status or notification. What it could not write
//! (the last-applied records, history) comes back in [`Reconciled`], for the CLI to
//! print as warnings and the controller to log; neither ever fails the reconcile.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value as J;

use crate::apply::{self, ApplyError, ApplyOptions, ApplyReport, Cancel};
use crate::engine::Planned;
use crate::plan::Action;
use crate::state::{
    Acquired, Backend, ChangeRecord, Holder, LastApplied, ReconcileRecord, ReconcileResult,
    StateBackend, StateError,
};

/// Whose records a reconcile resolves (the pending values a crashed apply left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveScope<'a> {
    /// Every planned target's (`driftless apply`).
    Every,
    /// Only this target's, so that targets reconciled concurrently (the controller)
    /// do not touch each other's records.
    Target(&'a str),
}

impl SaveScope<'_> {
    fn covers(&self, target: &str) -> bool {
        match self {
            SaveScope::Every => true,
            SaveScope::Target(t) => *t == target,
        }
    }
}

/// How to run one reconcile of a planned revision.
#[derive(Debug, Clone, Copy)]
pub struct ReconcileOptions<'a> {
    /// Where records are written ahead, confirmed and the history kept.
    pub state: &'a StateBackend,
    pub apply: &'a ApplyOptions,
    /// Set at shutdown: apply starts no new calls.
    pub cancel: &'a Cancel,
    pub save: SaveScope<'a>,
    /// When the reconcile started (before planning), for the history's time and duration.
    pub started: SystemTime,
    /// The per-target locks writers hold.
    pub lock: LockOptions<'a>,
}

/// How a reconcile takes its targets' locks.
#[derive(Debug, Clone, Copy)]
pub struct LockOptions<'a> {
    /// Who writes: `apply`, `run`.
    pub operation: &'a str,
    /// How long a lock lives without renewal (renewed every third of it).
    pub lease: Duration,
    /// How long to wait for another writer's lock (zero: fail at once).
    pub timeout: Duration,
}

/// A target's lock held by someone else.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "target `{target}` is locked in {location} by {}: another driftless is writing it; \
         nothing was written\n  hint: apply again when it is done (or wait for it with \
         --lock-timeout 5m); a holder that died loses the lock when its lease runs out; to \
         clear it by hand: driftless state unlock --target {target} --lock-id {}",
        holder.describe(),
        holder.id
    )]
    Held {
        target: String,
        location: String,
        holder: Holder,
    },
    #[error("target `{target}`: the lock could not be taken: {source}")]
    State {
        target: String,
        #[source]
        source: StateError,
    },
}

/// What one reconcile did, and what it could not record.
#[derive(Debug)]
pub struct Reconciled {
    pub report: ApplyReport,
    /// Records that were not confirmed or resolved (the first error): they stay
    /// pending, which the next plan resolves by what it reads.
    pub save_error: Option<StateError>,
    /// History that was not recorded: each record that was not written.
    pub history_errors: Vec<StateError>,
    /// A target's lock was held by another writer: nothing was applied.
    pub lock_error: Option<LockError>,
}

/// Applies a planned revision (each unit's records written ahead and confirmed in
/// `options.state`), resolves the pending records the plan's read settled, and
/// records one history record per target (see [`history_records`]).
pub async fn reconcile(
    planned: &Planned,
    state: &mut LastApplied,
    options: &ReconcileOptions<'_>,
) -> Reconciled {
    let holders = match lock_targets(planned, options).await {
        Ok(holders) => holders,
        Err(e) => {
            return Reconciled {
                report: ApplyReport::default(),
                save_error: None,
                history_errors: Vec::new(),
                lock_error: Some(e),
            }
        }
    };
    let applying = apply::apply(
        planned,
        options.apply,
        options.cancel,
        &mut state.records,
        Some(options.state),
    );
    let mut report = tokio::select! {
        report = applying => report,
        () = keep_locks(&holders, options) => unreachable!("renewal never ends on its own"),
    };
    release_locks(&holders, options.state).await;
    let mut errors = std::mem::take(&mut report.state_errors);
    errors.extend(resolve_pending(planned, &state.pending, options).await);
    let history = history_records(planned, &report, options.started);
    let history_errors = record_history(options.state, &history).await;
    Reconciled {
        report,
        save_error: errors.into_iter().next(),
        history_errors,
        lock_error: None,
    }
}

/// The targets this reconcile writes to: those in scope with a change apply makes.
fn written_targets<'p>(planned: &'p Planned, scope: SaveScope<'_>) -> BTreeSet<&'p str> {
    planned
        .plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Conflict && !c.report_only && scope.covers(&c.target))
        .map(|c| c.target.as_str())
        .collect()
}

/// Takes the lock of every target written, in name order (so two writers of the
/// same targets never wait on each other in a cycle), waiting up to the timeout for
/// each; on failure releases those taken.
async fn lock_targets(
    planned: &Planned,
    options: &ReconcileOptions<'_>,
) -> Result<Vec<(String, Holder)>, LockError> {
    let lease = options.lock.lease.as_secs().max(1);
    let deadline = Instant::now() + options.lock.timeout;
    let mut held = Vec::new();
    for target in written_targets(planned, options.save) {
        let holder = Holder::this_process(options.lock.operation, lease);
        match acquire_until(options.state, target, &holder, deadline).await {
            Ok(()) => held.push((target.to_string(), holder)),
            Err(e) => {
                release_locks(&held, options.state).await;
                return Err(e);
            }
        }
    }
    Ok(held)
}

/// Tries to take one lock until `deadline`, once a second.
async fn acquire_until(
    state: &StateBackend,
    target: &str,
    holder: &Holder,
    deadline: Instant,
) -> Result<(), LockError> {
    loop {
        let found = state
            .acquire(target, holder)
            .await
            .map_err(|source| LockError::State {
                target: target.to_string(),
                source,
            })?;
        match found {
            Acquired::Taken { took_over } => {
                if let Some(old) = took_over {
                    tracing::warn!(target, previous = %old.describe(), "took over a lock whose lease had run out");
                }
                return Ok(());
            }
            Acquired::Held(other) if Instant::now() >= deadline => {
                return Err(LockError::Held {
                    target: target.to_string(),
                    location: state.describe(),
                    holder: other,
                })
            }
            Acquired::Held(_) => {
                let wait = deadline.saturating_duration_since(Instant::now());
                tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
            }
        }
    }
}

/// Renews the held locks every third of their lease, forever (dropped when the apply
/// ends); a lock lost (taken over after a stall longer than the lease) cancels the
/// apply: no new unit starts.
async fn keep_locks(holders: &[(String, Holder)], options: &ReconcileOptions<'_>) {
    let lease = options.lock.lease.max(Duration::from_secs(3));
    loop {
        tokio::time::sleep(lease / 3).await;
        for (target, holder) in holders {
            let renewed = Holder {
                expires: crate::reconcile::unix(SystemTime::now()) + lease.as_secs() as i64,
                ..holder.clone()
            };
            if !matches!(options.state.renew(target, &renewed).await, Ok(true)) {
                tracing::error!(target, "lost the target's lock; stopping the apply");
                options.cancel.cancel();
            }
        }
    }
}

/// Releases locks (best effort: one left behind expires with its lease).
async fn release_locks(holders: &[(String, Holder)], state: &StateBackend) {
    for (target, holder) in holders {
        if let Err(e) = state.release(target, &holder.id).await {
            tracing::warn!(target, error = %e, "the lock was not released; it expires with its lease");
        }
    }
}

/// Resolves what a crashed apply left pending, by what this reconcile's plan read:
/// a resource the plan has no change for is as desired, so its pending value is
/// confirmed when it is the desired one and dropped otherwise. Pending values of
/// resources with a change stay: this apply's units confirmed what they wrote, and
/// the rest (failed, reported only) is resolved by a later read.
async fn resolve_pending(
    planned: &Planned,
    pending: &BTreeMap<String, J>,
    options: &ReconcileOptions<'_>,
) -> Vec<StateError> {
    let changed = apply::changed_roots(planned);
    let mut errors = Vec::new();
    for target in planned.live.keys().filter(|t| options.save.covers(t)) {
        let prefix = format!("{target}/");
        let desired = apply::desired_records_of(planned, target);
        let mut clear = Vec::new();
        let mut promote = BTreeMap::new();
        for (key, value) in pending.iter().filter(|(k, _)| k.starts_with(&prefix)) {
            let Some((kind, root)) = apply::root_of_key(key) else {
                continue;
            };
            if changed.contains(&root) {
                continue;
            }
            clear.push(key.clone());
            // A retention policy's record is the groups it set, as now desired.
            if kind == crate::spec::Kind::LogRetentionPolicy || desired.get(key) == Some(value) {
                promote.insert(key.clone(), value.clone());
            }
        }
        if clear.is_empty() {
            continue;
        }
        if let Err(e) = options.state.resolve(target, &clear, &promote).await {
            errors.push(e);
        }
    }
    errors
}

/// Writes history records; returns what could not be written (best effort: a
/// history that cannot be written never fails a reconcile).
pub async fn record_history(state: &StateBackend, records: &[ReconcileRecord]) -> Vec<StateError> {
    let mut errors = Vec::new();
    for record in records {
        if let Err(e) = state.record_reconcile(record).await {
            errors.push(e);
        }
    }
    errors
}

/// [`record_history`] into the local backend in `state_dir`, without a runtime (the
/// controller's records of failed plans and invalid revisions).
pub fn record_history_local(
    state_dir: &std::path::Path,
    records: &[ReconcileRecord],
) -> Vec<StateError> {
    let mut store = match crate::state::Store::open(state_dir) {
        Ok(s) => s,
        Err(e) => return vec![e],
    };
    records
        .iter()
        .filter_map(|record| store.record_reconcile(record).err())
        .collect()
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Milliseconds since `started` (0 if the clock went back).
pub(crate) fn elapsed_ms(started: SystemTime) -> u64 {
    started.elapsed().map_or(0, |d| d.as_millis() as u64)
}

/// One history record per target of an apply: the targets planned, then those whose
/// plan failed.
pub fn history_records(
    planned: &Planned,
    report: &ApplyReport,
    started: SystemTime,
) -> Vec<ReconcileRecord> {
    let (started_at_unix, duration_ms) = (unix(started), elapsed_ms(started));
    let revision = &planned.plan.revision;
    let applied = planned.live.keys().map(|target| ReconcileRecord {
        started_at_unix,
        duration_ms,
        ..applied_record(planned, report, target)
    });
    let failed = planned.failed.iter().map(|(target, e)| ReconcileRecord {
        started_at_unix,
        duration_ms,
        ..unapplied_record(target, revision, ReconcileResult::Failed, e.to_string())
    });
    applied.chain(failed).collect()
}

/// The record of a reconcile that applied nothing (a failed plan, an invalid
/// revision), without its time and duration (zero: the caller sets them).
pub fn unapplied_record(
    target: &str,
    revision: &str,
    result: ReconcileResult,
    error: String,
) -> ReconcileRecord {
    ReconcileRecord {
        id: None,
        started_at_unix: 0,
        duration_ms: 0,
        target: target.to_string(),
        revision: revision.to_string(),
        result,
        changes: Vec::new(),
        drift_found: 0,
        drift_corrected: 0,
        error: Some(error),
        repeated: 1,
        last_at_unix: None,
        departure: None,
    }
}

/// The record of one planned target (time and duration zero: the caller sets them):
/// its changes' outcomes, the result they add up to, and the drift found and corrected.
fn applied_record(planned: &Planned, report: &ApplyReport, target: &str) -> ReconcileRecord {
    let changes: Vec<ChangeRecord> = report
        .outcomes
        .iter()
        .filter(|o| o.change.target == target)
        .map(change_record)
        .collect();
    let of_target = || planned.plan.changes.iter().filter(|c| c.target == target);
    let reported = of_target()
        .filter(|c| c.report_only || c.action == Action::Conflict)
        .count();
    ReconcileRecord {
        id: None,
        started_at_unix: 0,
        duration_ms: 0,
        target: target.to_string(),
        revision: planned.plan.revision.clone(),
        result: result_of(&changes, reported),
        drift_found: of_target().filter(|c| c.drift).count() as u32,
        drift_corrected: changes
            .iter()
            .filter(|c| c.drift && c.result == "ok")
            .count() as u32,
        changes,
        error: None,
        repeated: 1,
        last_at_unix: None,
        departure: None,
    }
}

/// One change's outcome as history keeps it.
fn change_record(o: &apply::Outcome) -> ChangeRecord {
    ChangeRecord {
        kind: o.change.kind.to_string(),
        name: o.change.name.clone(),
        action: crate::spec::wire_name(&o.change.action),
        fields: serde_json::to_value(&o.change.fields).unwrap_or_default(),
        drift: o.change.drift,
        result: match &o.result {
            Ok(()) => "ok".into(),
            Err(ApplyError::Skipped(_)) => "skipped".into(),
            Err(_) => "failed".into(),
        },
        error: o.result.as_ref().err().map(|e| e.to_string()),
        changed_by: o.change.changed_by.clone().filter(|_| o.change.drift),
    }
}

/// What a target's changes add up to; `reported` counts its changes that were only
/// reported (report-only, conflicts).
fn result_of(changes: &[ChangeRecord], reported: usize) -> ReconcileResult {
    let failed = changes.iter().filter(|c| c.result != "ok").count();
    match (changes.is_empty(), failed) {
        (true, _) if reported > 0 => ReconcileResult::ReportedOnly,
        (true, _) => ReconcileResult::NoChanges,
        (false, 0) => ReconcileResult::Applied,
        (false, n) if n == changes.len() => ReconcileResult::Failed,
        _ => ReconcileResult::PartiallyApplied,
    }
}
