//! The one reconcile path, for `driftless apply` and the controller alike: a planned
//! revision is applied, the last-applied records are saved, and the history records
//! each target's reconcile with the revision. Written once, here.
//!
//! This module owns that sequence and nothing around it: it prints nothing, logs
//! nothing and decides no exit code, status or notification. What it could not write
//! (the last-applied records, history) comes back in [`Reconciled`], for the CLI to
//! print as warnings and the controller to log; neither ever fails the reconcile.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::apply::{self, ApplyError, ApplyOptions, ApplyReport, Cancel};
use crate::engine::Planned;
use crate::plan::Action;
use crate::state::{
    ChangeRecord, LastApplied, ReconcileRecord, ReconcileResult, StateError, Store,
};

/// Whose last-applied records a reconcile saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveScope<'a> {
    /// Every target's: the stored record is replaced by this one (`driftless apply`).
    Every,
    /// Only this target's, leaving the others' as stored, so that targets reconciled
    /// concurrently (the controller) do not touch each other's records.
    Target(&'a str),
}

/// How to run one reconcile of a planned revision.
#[derive(Debug, Clone, Copy)]
pub struct ReconcileOptions<'a> {
    pub state_dir: &'a Path,
    pub apply: &'a ApplyOptions,
    /// Set at shutdown: apply starts no new calls.
    pub cancel: &'a Cancel,
    pub save: SaveScope<'a>,
    /// When the reconcile started (before planning), for the history's time and duration.
    pub started: SystemTime,
}

/// What one reconcile did, and what it could not record.
#[derive(Debug)]
pub struct Reconciled {
    pub report: ApplyReport,
    /// The last-applied records were not saved: drift detection will not know about
    /// this apply.
    pub save_error: Option<StateError>,
    /// History that was not recorded: the store that did not open, or each record
    /// that was not written.
    pub history_errors: Vec<StateError>,
}

/// Applies a planned revision, saves the last-applied records `options.save` names,
/// and records one history record per target (see [`history_records`]).
pub async fn reconcile(
    planned: &Planned,
    state: &mut LastApplied,
    options: &ReconcileOptions<'_>,
) -> Reconciled {
    let report = apply::apply(planned, options.apply, options.cancel, &mut state.records).await;
    let save_error = match options.save {
        SaveScope::Every => state.save(options.state_dir),
        SaveScope::Target(target) => state.save_target(options.state_dir, target),
    }
    .err();
    let history = history_records(planned, &report, options.started);
    let history_errors = record_history(options.state_dir, &history);
    Reconciled {
        report,
        save_error,
        history_errors,
    }
}

/// Writes history records; returns what could not be written (best effort: a
/// history that cannot be written never fails a reconcile).
pub fn record_history(state_dir: &Path, records: &[ReconcileRecord]) -> Vec<StateError> {
    let mut store = match Store::open(state_dir) {
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
    let applied = planned.clients.keys().map(|target| ReconcileRecord {
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
