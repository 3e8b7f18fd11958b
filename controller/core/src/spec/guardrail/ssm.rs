//! driftless's own rules for Systems Manager (AWS Config has none for these settings).
//!
//! * `maintenance-window-cutoff-check`: a window stops starting tasks at least
//!   `minCutoffHours` (default 1) before it ends, so tasks started late (patching with
//!   a reboot) finish inside the window.
//! * `patch-baseline-approval-check`: Critical and Important security patches are
//!   approved automatically within `maxApproveAfterDays` (default 7) of release: some
//!   approval rule with `approveAfterDays` ≤ the limit selects security patches
//!   (classification `Security`, or `SecurityUpdates`/`CriticalUpdates` on Windows, or
//!   no classification filter) of each of the two severities (`SEVERITY`,
//!   `MSRC_SEVERITY` or `PRIORITY` listing it, or no severity filter). A rule with
//!   `approveUntilDate` approves up to a fixed date, not within days, and does not count.

use super::params::Params;
use super::{Finding, Seg};
use crate::spec::patch_baseline::PatchRule;
use crate::spec::{MaintenanceWindowSpec, PatchBaselineSpec};

pub(super) fn cutoff(p: Params<'_>, window: &MaintenanceWindowSpec) -> Vec<Finding> {
    let min = p.int("minCutoffHours").unwrap_or(1);
    if u64::from(window.cutoff) >= min {
        return Vec::new();
    }
    vec![Finding::new(
        vec![Seg::Key("cutoff")],
        format!("cutoff {} < minCutoffHours {min}", window.cutoff),
    )
    .hint(format!(
        "stop starting tasks at least {min} hours before the window ends (`cutoff: {min}`, below `duration`)"
    ))]
}

const SEVERITY_KEYS: &[&str] = &["SEVERITY", "MSRC_SEVERITY", "PRIORITY"];
const SECURITY_CLASSES: &[&str] = &["Security", "SecurityUpdates", "CriticalUpdates"];

pub(super) fn approval(p: Params<'_>, baseline: &PatchBaselineSpec) -> Vec<Finding> {
    let max = p.int("maxApproveAfterDays").unwrap_or(7);
    let missing: Vec<&str> = ["Critical", "Important"]
        .into_iter()
        .filter(|severity| {
            !baseline
                .approval_rules
                .iter()
                .any(|rule| approves_within(rule, severity, max))
        })
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    vec![Finding::new(
        vec![Seg::Key("approvalRules")],
        format!(
            "no approval rule approves {} security patches within maxApproveAfterDays {max}",
            missing.join(" and ")
        ),
    )
    .hint(format!(
        "add an approval rule for security patches of severity {} with `approveAfterDays` of at most {max}",
        missing.join(", ")
    ))]
}

fn approves_within(rule: &PatchRule, severity: &str, max: u64) -> bool {
    let soon = rule.approve_after_days.is_some_and(|d| u64::from(d) <= max);
    let filter = |key: &str| rule.patch_filters.get(key);
    let security = filter("CLASSIFICATION").is_none_or(|values| {
        values
            .iter()
            .any(|v| v == "*" || SECURITY_CLASSES.contains(&v.as_str()))
    });
    let severities: Vec<&Vec<String>> = SEVERITY_KEYS.iter().filter_map(|k| filter(k)).collect();
    let has_severity = severities.is_empty()
        || severities
            .iter()
            .any(|values| values.iter().any(|v| v == "*" || v == severity));
    soon && security && has_severity
}
