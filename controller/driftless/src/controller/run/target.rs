//! One target's reconcile: plan it with what was last applied to it (and who made each
//! drift), hold its writes back when the controller is suspended or only reports
//! drift, then the reconcile path `driftless apply` also takes
//! ([`crate::reconcile::reconcile`]: apply, this target's last-applied records,
//! history). What the controller keeps of it is [`super::outcome`]'s.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

use tracing::Instrument;

use super::drift::{Drift, DriftedChanges};
use super::outcome::{failure_reason, next_after, next_step, seconds_since, settle};
use super::{log_history_errors, short, Reconciler, Revision};
use crate::controller::scheduler::Next;
use crate::controller::status::{classify_aws, ErrorClass, Outcome};
use crate::engine::{self, Planned};
use crate::reconcile::{reconcile, unapplied_record, unix, ReconcileOptions, SaveScope};
use crate::state::{LastApplied, ReconcileRecord, ReconcileResult, StateBackend};

impl Reconciler {
    /// One reconcile of one target, in a span naming both.
    pub(super) async fn reconcile_target(&self, revision: Arc<Revision>, target: String) -> Next {
        let span = tracing::info_span!(
            "reconcile",
            target = %target,
            revision = short(&revision.loaded.revision)
        );
        self.reconcile_in_span(revision, target)
            .instrument(span)
            .await
    }

    async fn reconcile_in_span(&self, revision: Arc<Revision>, target: String) -> Next {
        let started = SystemTime::now();
        let rev = revision.loaded.revision.as_str();
        self.status()
            .targets
            .entry(target.clone())
            .or_default()
            .start(rev, unix(started));
        let config = revision.loaded.state.config.state.as_ref();
        let (backend, lease) = match self.options.state.get(config).await {
            Ok(s) => s,
            Err(reason) => {
                return self
                    .plan_failed(&target, rev, started, ErrorClass::Transient, reason)
                    .await
            }
        };
        let mut state = crate::state::Backend::load(backend).await;
        if let Some(w) = &state.warning {
            tracing::warn!(warning = %w, "the state store");
        }
        let mut planned = match self.plan_target(&revision, &target, &state, backend).await {
            Ok(p) => p,
            Err((class, reason)) => {
                return self.plan_failed(&target, rev, started, class, reason).await
            }
        };
        let suspended = self.options.suspend
            || revision.loaded.state.config.suspend
            || self.shared.suspended.load(Ordering::SeqCst);
        self.hold_back(&mut planned, suspended);
        let options = ReconcileOptions {
            state: backend,
            apply: &self.options.apply,
            cancel: &self.cancel,
            save: SaveScope::Target(&target),
            started,
            lock: crate::reconcile::LockOptions {
                operation: "run",
                lease: *lease,
                timeout: self.options.lock_timeout,
            },
        };
        let reconciled = reconcile(&planned, &mut state, &options).await;
        if let Some(e) = reconciled.lock_error {
            // Another writer holds the target: retried later, as a transient condition.
            return self
                .plan_failed(&target, rev, started, ErrorClass::Transient, e.to_string())
                .await;
        }
        if let Some(e) = &reconciled.save_error {
            tracing::warn!(error = %e, "the last-applied record was not saved");
        }
        log_history_errors(&reconciled.history_errors);
        let violations = self.audit_guardrails(&revision, &planned, &target).await;
        let report = &reconciled.report;
        let outcome = settle(&planned, report, &target, suspended);
        let drifted = DriftedChanges::of(&planned, report, &target);
        self.shared
            .ui
            .saw_drift(&target, drifted.seen(unix(SystemTime::now())));
        self.conclude(&target, rev, &outcome, &drifted, started)
            .await;
        let drift = drifted.into_drift(violations);
        self.notify(&target, rev, drift, failure_reason(&outcome))
            .await;
        next_step(&outcome)
    }

    /// Plans one target with what was last applied to it; a failed plan comes back
    /// with its class and reason.
    async fn plan_target(
        &self,
        revision: &Revision,
        target: &str,
        state: &LastApplied,
        backend: &StateBackend,
    ) -> Result<Planned, (ErrorClass, String)> {
        let mut request = self.options.request.clone();
        request.targets = vec![target.to_string()];
        request.last_applied = state.for_plan();
        request.pending = state.pending.clone();
        // The revision's organization targets are already enrolled (one discovery
        // per resync round, not one per target).
        let mut planned = engine::plan_enrolled(revision.loaded.clone(), &request)
            .await
            .map_err(|e| (ErrorClass::Stalled, e.to_string()))?;
        // Who made each drift, since driftless last wrote the resource (bounded as
        // `plan` is: a few CloudTrail lookups per target, never failing the plan).
        crate::attribution::attribute_planned(&mut planned, backend).await;
        match planned.failed.get(target) {
            Some(aws) => Err((classify_aws(aws), with_hint(aws))),
            None => Ok(planned),
        }
    }

    /// Marks changes report-only: all of them when suspended, the drifted ones under
    /// `--drift-policy report`.
    fn hold_back(&self, planned: &mut Planned, suspended: bool) {
        if suspended {
            for c in planned.plan.changes.iter_mut() {
                c.report_only = true;
            }
        } else if self.options.report_drift_only {
            for c in planned.plan.changes.iter_mut().filter(|c| c.drift) {
                c.report_only = true;
            }
        }
    }

    /// A plan that failed: nothing is applied; the failure goes to the status, the
    /// history, the metrics and the notifier.
    async fn plan_failed(
        &self,
        target: &str,
        revision: &str,
        started: SystemTime,
        class: ErrorClass,
        reason: String,
    ) -> Next {
        tracing::warn!(error = %reason, class = class.label(), "the plan failed");
        let now = unix(started);
        let outcome = Outcome::Failed {
            revision: revision.to_string(),
            class,
            reason: reason.clone(),
        };
        self.record(target, &outcome, now);
        self.history(&[ReconcileRecord {
            started_at_unix: now,
            duration_ms: crate::reconcile::elapsed_ms(started),
            ..unapplied_record(target, revision, ReconcileResult::Failed, reason.clone())
        }])
        .await;
        self.metrics()
            .observe_reconcile(target, "failed", seconds_since(started));
        self.notify(target, revision, Drift::default(), Some(reason))
            .await;
        next_after(class)
    }
}

/// A failed read's reason with what to do about it, `what failed; hint: what to do`
/// (the dashboard shows the hint apart; logs and notifications carry it too).
fn with_hint(aws: &crate::aws::AwsError) -> String {
    let hint = aws.hint().or_else(|| {
        (classify_aws(aws) == ErrorClass::Transient).then(|| {
            "a transient AWS error: driftless retries with backoff; if it lasts, check the \
             service's health and the account's API quotas"
                .to_string()
        })
    });
    match hint {
        Some(h) => format!("{aws}; hint: {h}"),
        None => aws.to_string(),
    }
}
