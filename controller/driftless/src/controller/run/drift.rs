//! The drift one reconcile of a target found: the drifted changes of its plan, those
//! apply wrote back, and who made each drift when CloudTrail said (attributed by the
//! engine). Counted in the metrics, and told to the notifier as `Kind/name` lists.

use std::collections::BTreeMap;

use crate::apply::ApplyReport;
use crate::controller::metrics::Metrics;
use crate::engine::Planned;
use crate::plan::{Change, ChangedBy};

/// A target's drifted changes, and which of them were put back.
pub(super) struct DriftedChanges<'a> {
    detected: Vec<&'a Change>,
    corrected: Vec<&'a Change>,
}

impl<'a> DriftedChanges<'a> {
    pub(super) fn of(planned: &'a Planned, report: &ApplyReport, target: &str) -> Self {
        let detected: Vec<&Change> = planned
            .plan
            .changes
            .iter()
            .filter(|c| c.target == target && c.drift)
            .collect();
        let corrected = detected
            .iter()
            .copied()
            .filter(|c| {
                report
                    .outcomes
                    .iter()
                    .any(|o| o.change == **c && o.result.is_ok())
            })
            .collect();
        DriftedChanges {
            detected,
            corrected,
        }
    }

    /// Adds the drift detected and corrected, by kind, to the counters.
    pub(super) fn count(&self, metrics: &mut Metrics) {
        for c in &self.detected {
            *metrics
                .drift_detected
                .entry(c.kind.to_string())
                .or_default() += 1;
        }
        for c in &self.corrected {
            *metrics
                .drift_corrected
                .entry(c.kind.to_string())
                .or_default() += 1;
        }
    }

    /// The drift as the dashboard shows it: each drifted change's fields, whether it
    /// was put back, and who made it.
    pub(super) fn seen(&self, at_unix: i64) -> Vec<crate::controller::ui::SeenDrift> {
        self.detected
            .iter()
            .map(|c| crate::controller::ui::SeenDrift {
                resource: format!("{}/{}", c.kind, c.name),
                at_unix,
                corrected: self.corrected.contains(c),
                fields: c.fields.clone(),
                changed_by: c.changed_by.clone(),
            })
            .collect()
    }

    /// The drift as the notifier hears of it, with the reconcile's guardrail audit.
    pub(super) fn into_drift(self, guardrail_violations: Option<Vec<String>>) -> Drift {
        let name = |c: &&Change| format!("{}/{}", c.kind, c.name);
        let changed_by = self
            .detected
            .iter()
            .filter_map(|c| Some((name(c), c.changed_by.clone()?)))
            .filter(|(_, by)| by.is_known())
            .collect();
        Drift {
            detected: self.detected.iter().map(name).collect(),
            corrected: self.corrected.iter().map(name).collect(),
            changed_by,
            guardrail_violations,
        }
    }
}

/// The drift one reconcile of a target found, for
/// [`crate::controller::notify::Observation`]: resources as `Kind/name`, and who
/// changed each one when CloudTrail said.
#[derive(Default)]
pub(super) struct Drift {
    pub(super) detected: Vec<String>,
    pub(super) corrected: Vec<String>,
    pub(super) changed_by: BTreeMap<String, ChangedBy>,
    /// The reconcile's guardrail audit (see
    /// [`crate::controller::notify::Observation::guardrail_violations`]).
    pub(super) guardrail_violations: Option<Vec<String>>,
}
