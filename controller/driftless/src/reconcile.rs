//! The one path from a plan to its records: apply's outcomes turned into history
//! records, per target, for `driftless apply` and the controller alike.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::apply::{ApplyError, ApplyReport};
use crate::engine::Planned;
use crate::plan::Action;
use crate::state::{ChangeRecord, ReconcileRecord, ReconcileResult};

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One history record per target of an apply (also used by `driftless apply`).
pub fn history_records(
    planned: &Planned,
    report: &ApplyReport,
    started: SystemTime,
) -> Vec<ReconcileRecord> {
    let duration_ms = started.elapsed().map_or(0, |d| d.as_millis() as u64);
    planned
        .clients
        .keys()
        .map(|target| {
            let changes: Vec<ChangeRecord> = report
                .outcomes
                .iter()
                .filter(|o| &o.change.target == target)
                .map(|o| ChangeRecord {
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
                })
                .collect();
            let failed = changes.iter().filter(|c| c.result != "ok").count();
            let reported = planned
                .plan
                .changes
                .iter()
                .filter(|c| &c.target == target && (c.report_only || c.action == Action::Conflict))
                .count();
            let result = match (changes.is_empty(), failed) {
                (true, _) if reported > 0 => ReconcileResult::ReportedOnly,
                (true, _) => ReconcileResult::NoChanges,
                (false, 0) => ReconcileResult::Applied,
                (false, n) if n == changes.len() => ReconcileResult::Failed,
                _ => ReconcileResult::PartiallyApplied,
            };
            ReconcileRecord {
                id: None,
                started_at_unix: unix(started),
                duration_ms,
                target: target.clone(),
                revision: planned.plan.revision.clone(),
                result,
                drift_found: planned
                    .plan
                    .changes
                    .iter()
                    .filter(|c| &c.target == target && c.drift)
                    .count() as u32,
                drift_corrected: changes
                    .iter()
                    .filter(|c| c.drift && c.result == "ok")
                    .count() as u32,
                changes,
                error: None,
            }
        })
        .chain(planned.failed.iter().map(|(target, e)| ReconcileRecord {
            id: None,
            started_at_unix: unix(started),
            duration_ms,
            target: target.clone(),
            revision: planned.plan.revision.clone(),
            result: ReconcileResult::Failed,
            changes: Vec::new(),
            drift_found: 0,
            drift_corrected: 0,
            error: Some(e.to_string()),
        }))
        .collect()
}
