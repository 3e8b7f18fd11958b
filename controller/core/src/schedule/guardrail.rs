//! `maintenance-backup-overlap-check`, driftless's own guardrail: no backup rule may
//! run (from its start to the end of its completion window) while, or within
//! `minimumGapMinutes` of, a maintenance window that works on the same instances, in
//! the `horizonDays` after validation. A backup taken while the instance is being
//! patched and rebooted is a backup of a half-patched machine, or a failed one.
//!
//! It needs the time validation runs at, which `spec::parse` does not have, so the
//! loader calls [`check`] on the parsed repository: a `deny` finding makes the
//! revision invalid, a `warn` one is a warning, both at the backup rule's
//! `schedule` in its document, named like every guardrail finding.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::calendar::runs;
use super::overlap::{overlaps, Overlap};
use crate::spec::context::{At, Cx};
use crate::spec::diagnostic::{Diagnostic, Severity};
use crate::spec::guardrail::{Enforcement, Guardrail, RuleName, Violation};
use crate::spec::{yaml, BackupPlanSpec, DesiredState, Kind, ResourceSpec, SourceFile};

/// Evaluates every `maintenance-backup-overlap-check` of driftless.yaml at `now`:
/// warnings go into `state.warnings`, findings into its guardrail reports, and the
/// errors (`deny`) are returned; the revision is valid only when there are none.
pub fn check(
    state: &mut DesiredState,
    files: &[SourceFile],
    now: DateTime<Utc>,
) -> Vec<Diagnostic> {
    let rules: Vec<Guardrail> = state
        .config
        .guardrails
        .iter()
        .filter(|g| g.rule == RuleName::MaintenanceBackupOverlapCheck)
        .cloned()
        .collect();
    let mut errors = Vec::new();
    for g in rules {
        let p = g.params();
        let gap = Duration::minutes(p.int("minimumGapMinutes").unwrap_or(0) as i64);
        let days = Duration::days(p.int("horizonDays").unwrap_or(35) as i64);
        let all = runs(state, &[], now, now + days);
        let found = first_per_pair(overlaps(state, &all, gap));
        let mut findings = Vec::new();
        for o in &found {
            let mut d = diagnostic(state, files, o, gap);
            d.rule = Some(g.rule.as_str().to_string());
            if g.enforcement == Enforcement::Warn {
                d.severity = Severity::Warning;
            }
            findings.push(d);
        }
        if let Some(report) = state.guardrails.iter_mut().find(|r| r.rule == g.rule) {
            // Resources one per target, of the kinds this guardrail evaluates, as
            // every other guardrail counts them.
            let kinds = g.kinds();
            report.evaluated = state
                .resources
                .iter()
                .filter(|r| kinds.contains(&r.kind()))
                .map(|r| r.targets.len())
                .sum();
            let breaking: std::collections::BTreeSet<(&str, &str)> = found
                .iter()
                .map(|o| (o.target.as_str(), o.backup_plan.as_str()))
                .collect();
            report.non_compliant_resources = breaking.len();
            report
                .non_compliant
                .extend(found.iter().zip(&findings).map(|(o, d)| Violation {
                    kind: Kind::BackupPlan,
                    name: o.backup_plan.clone(),
                    location: format!("{}:{}:{}", d.path, d.line, d.column),
                    message: d.message.clone(),
                }));
        }
        for d in findings {
            match d.severity {
                Severity::Warning => state.warnings.push(d),
                _ => errors.push(d),
            }
        }
    }
    state.warnings.sort();
    errors.sort();
    errors
}

/// The first overlap of each (target, backup rule, window): one finding per pair.
fn first_per_pair(mut all: Vec<Overlap>) -> Vec<Overlap> {
    let mut seen = std::collections::BTreeSet::new();
    all.retain(|o| seen.insert((o.target.clone(), o.backup_rule.clone(), o.window.clone())));
    all
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn diagnostic(
    state: &DesiredState,
    files: &[SourceFile],
    o: &Overlap,
    gap: Duration,
) -> Diagnostic {
    let rule = o.backup_rule.rsplit('/').next().unwrap_or_default();
    let when = if gap > Duration::zero() {
        format!("within {} minutes of", gap.num_minutes())
    } else {
        "while".to_string()
    };
    let message = format!(
        "BackupPlan {} breaks maintenance-backup-overlap-check: rule `{rule}` runs {} to {} {when} MaintenanceWindow {} runs {} to {} on the same instances ({}, window target `{}`, selection `{}`) in target {}",
        o.backup_plan,
        time(o.backup_run.0),
        time(o.backup_run.1),
        o.window,
        time(o.window_run.0),
        time(o.window_run.1),
        o.shared,
        o.window_target,
        o.selection,
        o.target,
    );
    let hint = "move the backup rule's schedule or the window's apart, or set the rule's completionWindowMinutes to how long its backups take; `driftless schedule` lists every run";
    let (path, span) = locate(state, files, o, rule);
    Diagnostic::new(&path, span, message).with_opt_hint(Some(hint.to_string()))
}

/// Where the backup rule's `schedule` (or the rule) is written.
fn locate(
    state: &DesiredState,
    files: &[SourceFile],
    o: &Overlap,
    rule: &str,
) -> (String, yaml::Span) {
    let plan = state.resources.iter().find(|r| {
        r.kind() == Kind::BackupPlan && r.name() == o.backup_plan && r.targets.contains(&o.target)
    });
    let Some(plan) = plan else {
        return (String::new(), yaml::Span { line: 1, column: 1 });
    };
    let whole = yaml::Span {
        line: plan.origin.line,
        column: 1,
    };
    let ResourceSpec::BackupPlan(spec) = &plan.spec else {
        return (plan.origin.path.clone(), whole);
    };
    let root = files
        .iter()
        .find(|f| f.display == plan.origin.path)
        .and_then(|f| yaml::parse_documents(&f.text).ok())
        .and_then(|docs| docs.into_iter().find(|d| d.span.line == plan.origin.line));
    let Some(root) = root else {
        return (plan.origin.path.clone(), whole);
    };
    let at = rule_position(spec, rule);
    let mut scratch = Vec::new();
    let cx = Cx {
        path: &plan.origin.path,
        root: &root,
        out: &mut scratch,
    };
    (plan.origin.path.clone(), cx.span(&at))
}

fn rule_position(spec: &BackupPlanSpec, rule: &str) -> At<'static> {
    let i = spec.rules.iter().position(|r| r.name == rule).unwrap_or(0);
    let at = At::spec().k("rules").i(i);
    match spec.rules.get(i).and_then(|r| r.schedule.as_ref()) {
        Some(_) => at.k("schedule"),
        None => at,
    }
}
