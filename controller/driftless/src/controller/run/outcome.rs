//! How one target's reconcile ended ([`Outcome`]), and the controller's books on it:
//! the target's status, the reconcile metrics, the log line, and the scheduler's next
//! step (converged, transient, stalled).

use std::time::SystemTime;

use super::drift::DriftedChanges;
use super::Reconciler;
use crate::apply::{ApplyError, ApplyReport};
use crate::controller::scheduler::Next;
use crate::controller::status::{classify_apply, ErrorClass, Outcome};
use crate::engine::Planned;
use crate::plan::Action;
use crate::reconcile::unix;
use crate::spec::diagnostic::plural;

impl Reconciler {
    /// Counts, logs and records a reconcile's outcome; an invalid latest revision
    /// stays reported on the target even though the last good one converged.
    pub(super) async fn conclude(
        &self,
        target: &str,
        revision: &str,
        outcome: &Outcome,
        drifted: &DriftedChanges<'_>,
        started: SystemTime,
    ) {
        let now = unix(started);
        self.count_reconcile(target, revision, outcome, drifted, started);
        log_outcome(outcome);
        self.record(target, outcome, now);
        let invalid = self.source.lock().await.invalid.clone();
        if let Some((latest, _)) = invalid {
            let reason = "the latest revision is invalid; the last good one was enforced";
            let invalid = Outcome::Invalid {
                revision: latest,
                reason: reason.to_string(),
            };
            self.record(target, &invalid, now);
        }
    }

    /// The reconcile metrics: drift by kind, the result and duration, the last
    /// success and the revision enforced.
    fn count_reconcile(
        &self,
        target: &str,
        revision: &str,
        outcome: &Outcome,
        drifted: &DriftedChanges<'_>,
        started: SystemTime,
    ) {
        let mut metrics = self.metrics();
        drifted.count(&mut metrics);
        let label = match outcome {
            Outcome::Converged { .. } => {
                metrics
                    .last_success
                    .insert(target.to_string(), unix(started));
                "converged"
            }
            Outcome::Suspended { .. } => "suspended",
            Outcome::Blocked { .. } => "blocked",
            _ => "failed",
        };
        metrics.observe_reconcile(target, label, seconds_since(started));
        metrics.revision = Some(revision.to_string());
    }
}

fn log_outcome(outcome: &Outcome) {
    match outcome {
        Outcome::Converged {
            changes,
            drift_corrected,
            drift_reported,
            ..
        } => tracing::info!(changes, drift_corrected, drift_reported, "converged"),
        Outcome::Suspended { pending, .. } => {
            tracing::info!(pending, "suspended: changes reported, none written")
        }
        Outcome::Blocked { reason, .. } => tracing::warn!(%reason, "blocked"),
        Outcome::Failed { reason, class, .. } => {
            tracing::warn!(%reason, class = class.label(), "failed")
        }
        Outcome::Invalid { .. } => {}
    }
}

pub(super) fn seconds_since(started: SystemTime) -> f64 {
    started.elapsed().map_or(0.0, |d| d.as_secs_f64())
}

/// The reason to tell the notifier when a reconcile failed or was blocked.
pub(super) fn failure_reason(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Failed { reason, .. } | Outcome::Blocked { reason, .. } => Some(reason.clone()),
        _ => None,
    }
}

/// What the scheduler does next after an outcome.
pub(super) fn next_step(outcome: &Outcome) -> Next {
    match outcome {
        Outcome::Converged { .. } | Outcome::Suspended { .. } | Outcome::Invalid { .. } => {
            Next::Converged
        }
        Outcome::Blocked { .. } => Next::Stalled,
        Outcome::Failed { class, .. } => next_after(*class),
    }
}

/// What the scheduler does next after a failure of this class.
pub(super) fn next_after(class: ErrorClass) -> Next {
    match class {
        ErrorClass::Transient => Next::Transient,
        ErrorClass::Stalled => Next::Stalled,
    }
}

/// How one target's reconcile ended; a suspended target with changes left pending is
/// `Suspended`, whatever else it did.
pub(super) fn settle(
    planned: &Planned,
    report: &ApplyReport,
    target: &str,
    suspended: bool,
) -> Outcome {
    let pending = planned
        .plan
        .changes
        .iter()
        .filter(|c| c.target == target && c.report_only && !c.drift)
        .count();
    if suspended && pending > 0 {
        return Outcome::Suspended {
            revision: planned.plan.revision.clone(),
            pending,
        };
    }
    target_outcome(planned, report, target)
}

/// How one target's apply ended: failed (stalled if any failure needs a human),
/// blocked by conflicts, or converged.
fn target_outcome(planned: &Planned, report: &ApplyReport, target: &str) -> Outcome {
    let revision = planned.plan.revision.clone();
    let failures: Vec<&ApplyError> = report
        .outcomes
        .iter()
        .filter(|o| o.change.target == target)
        .filter_map(|o| o.result.as_ref().err())
        .filter(|e| !matches!(e, ApplyError::Skipped(_)))
        .collect();
    if let Some(first) = failures.first() {
        let stalled = failures
            .iter()
            .any(|e| classify_apply(e) == ErrorClass::Stalled);
        return Outcome::Failed {
            revision,
            class: if stalled {
                ErrorClass::Stalled
            } else {
                ErrorClass::Transient
            },
            reason: format!(
                "{} failed; first: {first}",
                plural(failures.len(), "change")
            ),
        };
    }
    let of_target = || planned.plan.changes.iter().filter(|c| c.target == target);
    let conflicts = of_target().filter(|c| c.action == Action::Conflict).count();
    if conflicts > 0 {
        return Outcome::Blocked {
            revision,
            reason: format!(
                "{} not written: a namesake exists that driftless does not own",
                plural(conflicts, "conflict")
            ),
        };
    }
    let written = |drift: bool| {
        report
            .outcomes
            .iter()
            .filter(|o| o.change.target == target && o.result.is_ok())
            .filter(|o| !drift || o.change.drift)
            .count()
    };
    Outcome::Converged {
        revision,
        changes: written(false),
        drift_corrected: written(true),
        drift_reported: of_target().filter(|c| c.drift && c.report_only).count(),
    }
}
