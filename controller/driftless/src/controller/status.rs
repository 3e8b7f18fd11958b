//! What the controller knows about each target, as served by `GET /status`, and how a
//! reconcile's outcome changes it. Pure: the loop calls [`TargetStatus::record`] with
//! an [`Outcome`] and a clock reading.
//!
//! Conditions follow Flux and kube-rs: `Ready` (the last reconcile converged),
//! `Reconciling` (one is in flight) and `Stalled` (a human must act: invalid specs,
//! access denied, conflicts); transient failures leave `Stalled` false and retry
//! with backoff.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::apply::ApplyError;
use crate::aws::AwsError;

/// How a failure is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorClass {
    /// Needs a human; retried only when the revision changes or after a long interval.
    Stalled,
    /// Throttling, 5xx, timeouts, network: exponential backoff with jitter.
    Transient,
}

impl ErrorClass {
    /// The name used as a Prometheus label and in status reasons.
    pub fn label(self) -> &'static str {
        match self {
            ErrorClass::Stalled => "stalled",
            ErrorClass::Transient => "transient",
        }
    }
}

/// Classifies an AWS error by its code (or its absence: a network failure).
pub fn classify_aws(e: &AwsError) -> ErrorClass {
    match e {
        AwsError::Setup { .. } => ErrorClass::Stalled,
        AwsError::Call { code: None, .. } => ErrorClass::Transient,
        AwsError::Call {
            code: Some(code), ..
        } => {
            let transient = [
                "Throttling",
                "ThrottlingException",
                "TooManyRequestsException",
                "RequestLimitExceeded",
                "ServiceUnavailable",
                "ServiceUnavailableException",
                "InternalFailure",
                "InternalServerError",
                "InternalServerException",
                "RequestTimeout",
                "RequestTimeoutException",
            ];
            if transient.iter().any(|t| code == t) {
                ErrorClass::Transient
            } else {
                ErrorClass::Stalled
            }
        }
    }
}

/// Classifies a failed change of an apply.
pub fn classify_apply(e: &ApplyError) -> ErrorClass {
    match e {
        ApplyError::Aws(aws) => classify_aws(aws),
        ApplyError::Refused(_) => ErrorClass::Stalled,
        ApplyError::Skipped(_) => ErrorClass::Transient,
    }
}

/// The result of one reconcile of one target.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Live state matched, or every change was made. `drift_corrected` counts
    /// drifted changes that were put back; `drift_reported` those left alone
    /// (`driftPolicy: report` or suspended).
    Converged {
        revision: String,
        changes: usize,
        drift_corrected: usize,
        drift_reported: usize,
    },
    /// Conflicts (never written) or refused changes: a human must act.
    Blocked { revision: String, reason: String },
    /// Suspended (flag, driftless.yaml or `POST /suspend`) with `pending` changes
    /// planned and reported but not written.
    Suspended { revision: String, pending: usize },
    /// The revision does not validate; the last good one stays in force.
    Invalid { revision: String, reason: String },
    /// Something failed; `class` decides how it is retried.
    Failed {
        revision: String,
        class: ErrorClass,
        reason: String,
    },
}

/// A status condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: bool,
    pub reason: String,
    pub message: String,
    pub last_transition_unix: i64,
}

/// One target's status (`GET /status` → `{"targets": {"<name>": TargetStatus}}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetStatus {
    pub last_applied_revision: Option<String>,
    pub last_attempted_revision: Option<String>,
    /// `converged`, `suspended`, `blocked`, `invalid`, `failed`, or absent before the
    /// first run.
    pub last_result: Option<String>,
    pub last_reconcile_unix: Option<i64>,
    /// The same instant in RFC 3339 (UTC), for people and dashboards.
    pub last_reconcile_at: Option<String>,
    /// Drifted resources seen in the last reconcile.
    pub drift_count: usize,
    /// Live resources breaking each guardrail, from the last reconcile's audit (rule →
    /// count; absent without guardrails or before the first audit).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub guardrail_non_compliant: BTreeMap<String, usize>,
    /// Resources AWS Config judges differently from driftless under each deployed
    /// guardrail (`deploy: true`), from the last reconcile's audit (rule → count;
    /// absent without deployed guardrails).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub guardrail_config_disagreements: BTreeMap<String, usize>,
    /// The live resources breaking the guardrails, from the last reconcile's audit
    /// (rule, resource, owned or not: the evaluations of `driftless audit --output
    /// json`; by rule, kind and name; at most [`crate::audit::FINDINGS_KEPT`]; absent
    /// when none break one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardrail_findings: Vec<crate::audit::ResourceEvaluation>,
    /// How many more findings there are than `guardrailFindings` lists (absent when
    /// none were left out).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub guardrail_findings_omitted: usize,
    pub conditions: Vec<Condition>,
    /// Consecutive transient failures (drives backoff; reset after a success).
    #[serde(skip)]
    pub transient_failures: u32,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl TargetStatus {
    fn set(&mut self, kind: &str, status: bool, reason: &str, message: &str, now: i64) {
        match self.conditions.iter_mut().find(|c| c.kind == kind) {
            Some(c) => {
                if c.status != status {
                    c.last_transition_unix = now;
                }
                c.status = status;
                c.reason = reason.to_string();
                c.message = message.to_string();
            }
            None => {
                self.conditions.push(Condition {
                    kind: kind.to_string(),
                    status,
                    reason: reason.to_string(),
                    message: message.to_string(),
                    last_transition_unix: now,
                });
                // A stable order for readers of `GET /status`.
                let rank = |k: &str| {
                    ["Ready", "Reconciling", "Stalled"]
                        .iter()
                        .position(|x| *x == k)
                };
                self.conditions.sort_by_key(|c| rank(&c.kind));
            }
        }
    }

    /// Marks a reconcile as started.
    pub fn start(&mut self, revision: &str, now: i64) {
        self.last_attempted_revision = Some(revision.to_string());
        self.set(
            "Reconciling",
            true,
            "Progressing",
            &format!("reconciling {revision}"),
            now,
        );
    }

    /// Records how a reconcile ended.
    pub fn record(&mut self, outcome: &Outcome, now: i64) {
        self.last_reconcile_unix = Some(now);
        self.last_reconcile_at = Some(crate::state::format_rfc3339_utc(now));
        self.set("Reconciling", false, "Done", "", now);
        match outcome {
            Outcome::Converged {
                revision,
                changes,
                drift_corrected,
                drift_reported,
            } => {
                self.last_applied_revision = Some(revision.clone());
                self.last_result = Some("converged".into());
                self.drift_count = drift_corrected + drift_reported;
                self.transient_failures = 0;
                let message = format!(
                    "{} made at {revision}",
                    crate::spec::diagnostic::plural(*changes, "change")
                );
                self.set("Ready", true, "ReconciliationSucceeded", &message, now);
                self.set("Stalled", false, "ReconciliationSucceeded", "", now);
            }
            Outcome::Suspended { revision, pending } => {
                self.last_result = Some("suspended".into());
                let message = format!(
                    "suspended: {} at {revision} reported, not written (POST /resume, or \
                     remove `suspend` from driftless.yaml and the --suspend flag)",
                    crate::spec::diagnostic::plural(*pending, "change")
                );
                self.set("Ready", false, "Suspended", &message, now);
                self.set("Stalled", false, "Suspended", "", now);
            }
            Outcome::Blocked { reason, .. } => {
                self.last_result = Some("blocked".into());
                self.set("Ready", false, "Blocked", reason, now);
                self.set("Stalled", true, "Blocked", reason, now);
            }
            Outcome::Invalid { revision, reason } => {
                // Validated and refused: the newest revision attempted, never started.
                self.last_attempted_revision = Some(revision.clone());
                self.last_result = Some("invalid".into());
                let kept = self
                    .last_applied_revision
                    .clone()
                    .unwrap_or_else(|| "none".into());
                let message =
                    format!("revision {revision} is invalid; still enforcing {kept}: {reason}");
                self.set("Ready", false, "InvalidRevision", &message, now);
                self.set("Stalled", true, "InvalidRevision", &message, now);
            }
            Outcome::Failed { class, reason, .. } => {
                self.last_result = Some("failed".into());
                self.set("Ready", false, "ReconciliationFailed", reason, now);
                match class {
                    ErrorClass::Stalled => {
                        self.set("Stalled", true, "ReconciliationFailed", reason, now);
                    }
                    ErrorClass::Transient => {
                        self.transient_failures += 1;
                        self.set("Stalled", false, "RetryingAfterTransientError", reason, now);
                    }
                }
            }
        }
    }

    pub fn condition(&self, kind: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }
}

/// Every target's status, and the source's (`GET /status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Status {
    pub targets: BTreeMap<String, TargetStatus>,
    /// The git source (or folder): absent before the first fetch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceStatus>,
    /// This process's shard and the targets it owns: absent before the first valid
    /// revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardStatus>,
    /// Organization accounts that left scope: no longer reconciled, their resources
    /// retained (absent when none has).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub departed: Vec<DepartedStatus>,
}

/// An organization account that left scope, as `/status` lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepartedStatus {
    pub account: String,
    /// Its targets, which are no longer reconciled.
    pub targets: Vec<String>,
    /// `out-of-scope`, `excluded`, `suspended`, `pending-closure` or `closed`.
    pub reason: String,
    /// When the history first recorded the departure (Unix seconds), and the same in
    /// RFC 3339 (UTC).
    pub departed_at_unix: i64,
    pub departed_at: String,
}

impl DepartedStatus {
    pub fn of(told: &crate::organization::Told) -> DepartedStatus {
        DepartedStatus {
            account: told.departure.account.clone(),
            targets: told.departure.targets.clone(),
            reason: told.departure.reason.clone(),
            departed_at_unix: told.at_unix,
            departed_at: crate::state::format_rfc3339_utc(told.at_unix),
        }
    }
}

/// Which shard this process is (`--shard-index`/`--shard-count`; 0 of 1 unsharded)
/// and which of the revision's targets it reconciles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardStatus {
    pub index: u32,
    pub count: u32,
    pub targets: Vec<String>,
}

/// How the last fetches went. A failed fetch is the source's problem, not the
/// targets': they keep their own results and go on enforcing the last good revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceStatus {
    /// The newest revision fetched, valid or not.
    pub last_fetched_revision: Option<String>,
    /// When the last successful fetch ended (Unix seconds).
    pub last_fetch_unix: Option<i64>,
    /// Why the latest fetch failed; absent once a fetch succeeds again.
    pub last_error: Option<String>,
    /// Fetches failed in a row.
    pub consecutive_failures: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(code: Option<&str>) -> AwsError {
        AwsError::Call {
            target: "t".into(),
            service: "ssm",
            operation: "GetPatchBaseline",
            resource: None,
            code: code.map(str::to_string),
            message: "m".into(),
        }
    }

    #[test]
    fn throttling_and_network_errors_are_transient_denials_stall() {
        assert_eq!(
            classify_aws(&aws(Some("ThrottlingException"))),
            ErrorClass::Transient
        );
        assert_eq!(
            classify_aws(&aws(Some("Throttling"))),
            ErrorClass::Transient
        );
        assert_eq!(classify_aws(&aws(None)), ErrorClass::Transient);
        assert_eq!(
            classify_aws(&aws(Some("AccessDeniedException"))),
            ErrorClass::Stalled
        );
        assert_eq!(
            classify_apply(&ApplyError::Refused("data".into())),
            ErrorClass::Stalled
        );
    }

    #[test]
    fn a_converged_reconcile_is_ready_and_resets_backoff() {
        let mut s = TargetStatus::default();
        s.start("abc", 10);
        assert!(s.condition("Reconciling").unwrap().status);
        s.record(
            &Outcome::Failed {
                revision: "abc".into(),
                class: ErrorClass::Transient,
                reason: "throttled".into(),
            },
            11,
        );
        assert_eq!(s.transient_failures, 1);
        assert!(!s.condition("Stalled").unwrap().status);
        s.record(
            &Outcome::Converged {
                revision: "abc".into(),
                changes: 2,
                drift_corrected: 1,
                drift_reported: 0,
            },
            12,
        );
        assert_eq!(s.transient_failures, 0);
        assert_eq!(s.last_applied_revision.as_deref(), Some("abc"));
        assert_eq!(s.drift_count, 1);
        let ready = s.condition("Ready").unwrap();
        assert!(ready.status);
        assert_eq!(ready.last_transition_unix, 12);
        assert!(!s.condition("Reconciling").unwrap().status);
    }

    #[test]
    fn an_invalid_revision_stalls_and_keeps_the_last_good_one() {
        let mut s = TargetStatus::default();
        s.record(
            &Outcome::Converged {
                revision: "good".into(),
                changes: 0,
                drift_corrected: 0,
                drift_reported: 0,
            },
            1,
        );
        s.record(
            &Outcome::Invalid {
                revision: "bad".into(),
                reason: "2 errors".into(),
            },
            2,
        );
        assert_eq!(s.last_applied_revision.as_deref(), Some("good"));
        let stalled = s.condition("Stalled").unwrap();
        assert!(stalled.status);
        assert_eq!(stalled.reason, "InvalidRevision");
        assert!(
            stalled.message.contains("still enforcing good"),
            "{}",
            stalled.message
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["lastAppliedRevision"], "good");
        assert_eq!(json["lastResult"], "invalid");
        let kinds: Vec<&str> = s.conditions.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["Ready", "Reconciling", "Stalled"]);
        assert_eq!(json["conditions"][2]["type"], "Stalled");
    }
}
