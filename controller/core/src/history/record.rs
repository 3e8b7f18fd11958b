//! The reconcile history's records: one [`ReconcileRecord`] per reconcile of a target,
//! with a [`ChangeRecord`] per change it made (or tried to make), as stored by
//! `Store::record_reconcile` (in `driftless_store::state`) and read back by
//! `Store::history`. Plain data, serialised in camelCase.

use serde::{Deserialize, Serialize};

use crate::plan::ChangedBy;
pub use crate::spec::organization::Departure;

/// How a reconcile ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReconcileResult {
    /// Live state already matched the revision.
    NoChanges,
    /// Every change was applied.
    Applied,
    /// Some changes were applied, some failed or were skipped.
    PartiallyApplied,
    /// Nothing could be applied (read error, every change failed, ...).
    Failed,
    /// The revision did not validate; nothing of it was applied.
    Invalid,
    /// Changes were found and reported, not applied (plan only, suspended target).
    ReportedOnly,
    /// The target's account left its organization entry's scope: the target is no
    /// longer planned and its resources are retained ([`ReconcileRecord::departure`]).
    Departed,
}

impl ReconcileResult {
    /// Every result, in declaration order.
    pub const ALL: [ReconcileResult; 7] = [
        ReconcileResult::NoChanges,
        ReconcileResult::Applied,
        ReconcileResult::PartiallyApplied,
        ReconcileResult::Failed,
        ReconcileResult::Invalid,
        ReconcileResult::ReportedOnly,
        ReconcileResult::Departed,
    ];

    /// The stored and displayed spelling (the same as serde's).
    pub fn as_str(self) -> &'static str {
        match self {
            ReconcileResult::NoChanges => "no-changes",
            ReconcileResult::Applied => "applied",
            ReconcileResult::PartiallyApplied => "partially-applied",
            ReconcileResult::Failed => "failed",
            ReconcileResult::Invalid => "invalid",
            ReconcileResult::ReportedOnly => "reported-only",
            ReconcileResult::Departed => "departed",
        }
    }

    /// The inverse of [`as_str`](Self::as_str).
    pub fn parse(text: &str) -> Option<ReconcileResult> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl std::fmt::Display for ReconcileResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reconcile of one target at one revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileRecord {
    /// The database id; `None` until recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// When the reconcile started, in seconds since the Unix epoch (UTC).
    pub started_at_unix: i64,
    pub duration_ms: u64,
    pub target: String,
    /// The source revision (commit id, or a folder's content hash).
    pub revision: String,
    pub result: ReconcileResult,
    #[serde(default)]
    pub changes: Vec<ChangeRecord>,
    /// Changes whose live value differed from what driftless last applied.
    #[serde(default)]
    pub drift_found: u32,
    /// Of those, how many were put back.
    #[serde(default)]
    pub drift_corrected: u32,
    /// The reconcile's own error, if it had one (not a single change's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How many consecutive quiet reconciles this record stands for: 1, unless later
    /// no-change reconciles were collapsed into it ([`ReconcileRecord::absorbs`]).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub repeated: u32,
    /// Of a collapsed record: when the last reconcile it stands for started (Unix
    /// seconds); `None` while it stands for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at_unix: Option<i64>,
    /// Of a `departed` record: which account left, with which targets, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departure: Option<Departure>,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

impl ReconcileRecord {
    /// A reconcile that found nothing to do: no changes, no drift, no error.
    pub fn is_quiet(&self) -> bool {
        self.result == ReconcileResult::NoChanges
            && self.changes.is_empty()
            && self.drift_found == 0
            && self.drift_corrected == 0
            && self.error.is_none()
    }

    /// Whether `next`, the reconcile recorded after this one for the same target, is
    /// kept as part of this record instead of a record of its own: both are quiet and
    /// of the same revision. Changes, drift, errors and a new revision are kept in
    /// full, so the history stays bounded by what happened, not by the resync.
    pub fn absorbs(&self, next: &ReconcileRecord) -> bool {
        self.is_quiet()
            && next.is_quiet()
            && self.target == next.target
            && self.revision == next.revision
            && next.started_at_unix >= self.started_at_unix
    }

    /// Counts `next` (and the reconciles it stands for) into this record.
    pub fn absorb(&mut self, next: &ReconcileRecord) {
        self.repeated = self.repeated.saturating_add(next.repeated.max(1));
        self.last_at_unix = Some(self.last_unix().max(next.last_unix()));
    }

    /// When the last reconcile this record stands for started.
    pub fn last_unix(&self) -> i64 {
        self.last_at_unix.unwrap_or(self.started_at_unix)
    }
}

/// One change of a reconcile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRecord {
    /// The resource kind (`MetricAlarm`, `LogGroup`, ...).
    pub kind: String,
    pub name: String,
    /// `create`, `update`, `replace`, `delete` or `conflict`.
    pub action: String,
    /// The changed fields, as the plan has them (stored as given).
    #[serde(default)]
    pub fields: serde_json::Value,
    /// The live value had drifted from the last-applied one.
    #[serde(default)]
    pub drift: bool,
    /// `ok`, `failed` or `skipped`.
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Of a drifted change: who made the drift, from CloudTrail (`unknown` fields when
    /// it could not tell); absent on other changes and on records from before v4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<ChangedBy>,
}

/// A commit the controller fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionRecord {
    pub sha: String,
    /// `Name <email>`.
    pub author: String,
    /// First line of the message.
    pub message: String,
    pub committed_at_unix: i64,
    pub fetched_at_unix: i64,
}

/// Which reconciles `Store::history` returns (newest first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Only this target.
    pub target: Option<String>,
    /// Only reconciles started at or after this time (Unix seconds).
    pub since_unix: Option<i64>,
    /// At most this many reconciles.
    pub limit: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_spelling_matches_serde() {
        for r in ReconcileResult::ALL {
            let json = serde_json::to_value(r).unwrap();
            assert_eq!(json, serde_json::json!(r.as_str()));
            assert_eq!(ReconcileResult::parse(r.as_str()), Some(r));
        }
        assert_eq!(ReconcileResult::parse("bogus"), None);
    }

    #[test]
    fn records_serialise_in_camel_case() {
        let record = ReconcileRecord {
            id: None,
            started_at_unix: 1,
            duration_ms: 2,
            target: "t".into(),
            revision: "r".into(),
            result: ReconcileResult::PartiallyApplied,
            changes: vec![],
            drift_found: 0,
            drift_corrected: 0,
            error: None,
            repeated: 1,
            last_at_unix: None,
            departure: None,
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["startedAtUnix"], 1);
        assert_eq!(json["durationMs"], 2);
        assert_eq!(json["result"], "partially-applied");
        let back: ReconcileRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
    }

    fn quiet(at: i64, revision: &str) -> ReconcileRecord {
        ReconcileRecord {
            id: None,
            started_at_unix: at,
            duration_ms: 5,
            target: "t".into(),
            revision: revision.into(),
            result: ReconcileResult::NoChanges,
            changes: vec![],
            drift_found: 0,
            drift_corrected: 0,
            error: None,
            repeated: 1,
            last_at_unix: None,
            departure: None,
        }
    }

    #[test]
    fn consecutive_quiet_reconciles_of_one_revision_collapse_and_count() {
        let mut first = quiet(100, "r1");
        assert!(first.absorbs(&quiet(102, "r1")));
        first.absorb(&quiet(102, "r1"));
        first.absorb(&quiet(104, "r1"));
        assert_eq!((first.repeated, first.last_at_unix), (3, Some(104)));
        // A collapsed record absorbed into another counts every reconcile it holds.
        let mut earlier = quiet(90, "r1");
        earlier.absorb(&first);
        assert_eq!((earlier.repeated, earlier.last_unix()), (4, 104));
        // Serialised with `repeated` and `lastAtUnix`; a single one without them.
        let json = serde_json::to_value(&first).unwrap();
        assert_eq!(
            (json["repeated"].clone(), json["lastAtUnix"].clone()),
            (3.into(), 104.into())
        );
        let single = serde_json::to_value(quiet(1, "r1")).unwrap();
        assert!(single.get("repeated").is_none() && single.get("lastAtUnix").is_none());
        let back: ReconcileRecord = serde_json::from_value(single).unwrap();
        assert_eq!(back.repeated, 1);
    }

    #[test]
    fn changes_drift_errors_and_new_revisions_are_kept_in_full() {
        let base = quiet(100, "r1");
        assert!(!base.absorbs(&quiet(102, "r2")), "a new revision");
        let mut other = quiet(102, "r1");
        other.target = "u".into();
        assert!(!base.absorbs(&other), "another target");
        let mut applied = quiet(102, "r1");
        applied.result = ReconcileResult::Applied;
        assert!(!base.absorbs(&applied) && !applied.absorbs(&quiet(104, "r1")));
        let mut drift = quiet(102, "r1");
        drift.drift_found = 1;
        assert!(!base.absorbs(&drift) && !drift.absorbs(&quiet(104, "r1")));
        let mut failed = quiet(102, "r1");
        failed.error = Some("AccessDenied".into());
        assert!(!base.absorbs(&failed) && !failed.absorbs(&quiet(104, "r1")));
        let mut reported = quiet(102, "r1");
        reported.changes.push(ChangeRecord {
            kind: "MetricAlarm".into(),
            name: "a".into(),
            action: "update".into(),
            fields: serde_json::json!({}),
            drift: false,
            result: "skipped".into(),
            error: None,
            changed_by: None,
        });
        assert!(!base.absorbs(&reported));
        assert!(!base.absorbs(&quiet(99, "r1")), "an older reconcile");
    }
}
