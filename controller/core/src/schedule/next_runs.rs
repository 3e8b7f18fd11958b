//! A plan's `nextRuns`: for each created, updated or replaced maintenance window and
//! backup plan, the next five runs of its schedule (each backup rule's), counted
//! from the time given, and for an update that moves a schedule, the runs before the
//! change. Applied to a plan after it is built; the plan's comparison of saved and
//! fresh plans ignores it.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};

use super::calendar::{backup_timing, window_timing, DEFAULT_BACKUP_SCHEDULE};
use crate::live::LiveTarget;
use crate::plan::{Action, Change, NextRuns, Plan};
use crate::spec::backup_plan::BackupRule;
use crate::spec::{BackupPlanSpec, Kind, MaintenanceWindowSpec, Resource, ResourceSpec};
use crate::timing::cron::{start_of, LAST_YEAR};
use crate::timing::Timing;

/// How many runs a change shows.
pub const NEXT_RUNS: usize = 5;

/// Adds `nextRuns` to the plan's window and backup-plan changes, from `now`.
pub fn annotate(
    plan: &mut Plan,
    resources: &[Resource],
    live: &BTreeMap<String, LiveTarget>,
    now: DateTime<Utc>,
) {
    for change in &mut plan.changes {
        let scheduled = matches!(change.kind, Kind::MaintenanceWindow | Kind::BackupPlan);
        let acts = matches!(
            change.action,
            Action::Create | Action::Update | Action::Replace
        );
        if !scheduled || !acts || change.name.contains('/') {
            continue;
        }
        let Some(resource) = resources.iter().find(|r| {
            r.kind() == change.kind && r.name() == change.name && r.targets.contains(&change.target)
        }) else {
            continue;
        };
        change.next_runs = for_change(change, &resource.spec, live.get(&change.target), now);
    }
}

fn for_change(
    change: &Change,
    spec: &ResourceSpec,
    live: Option<&LiveTarget>,
    now: DateTime<Utc>,
) -> Vec<NextRuns> {
    // A create (or a replace) is made now: AWS counts its schedule from then.
    let created = (change.action != Action::Update).then_some(now);
    let update = change.action == Action::Update;
    match spec {
        ResourceSpec::MaintenanceWindow(w) => {
            let before = live
                .filter(|_| update)
                .and_then(|l| l.maintenance_windows.iter().find(|x| x.name == change.name))
                .and_then(|l| window_runs(&change.name, &l.spec, None, now));
            window_runs(&change.name, w, created, now)
                .map(|runs| with_before(runs, before))
                .into_iter()
                .collect()
        }
        ResourceSpec::BackupPlan(p) => {
            let live_plan = live
                .filter(|_| update)
                .and_then(|l| l.backup_plans.iter().find(|x| x.name == change.name))
                .map(|l| &l.spec);
            backup_runs(p, live_plan, created, now)
        }
        _ => Vec::new(),
    }
}

fn window_runs(
    name: &str,
    w: &MaintenanceWindowSpec,
    created: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<NextRuns> {
    let timing = window_timing(w, created)?;
    Some(next_runs(name, w.schedule.trim(), &timing, now))
}

fn backup_runs(
    plan: &BackupPlanSpec,
    live: Option<&BackupPlanSpec>,
    created: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<NextRuns> {
    let rule_runs = |r: &BackupRule, created| {
        let schedule = r
            .schedule
            .as_deref()
            .unwrap_or(DEFAULT_BACKUP_SCHEDULE)
            .trim();
        Some(next_runs(
            &r.name,
            schedule,
            &backup_timing(r, created)?,
            now,
        ))
    };
    plan.rules
        .iter()
        .filter_map(|r| {
            let before = live
                .and_then(|l| l.rules.iter().find(|x| x.name == r.name))
                .and_then(|l| rule_runs(l, None));
            // A rule new in an updated plan is created now.
            let created = created.or_else(|| before.is_none().then_some(now));
            Some(with_before(rule_runs(r, created)?, before))
        })
        .collect()
}

/// Keeps the runs before the change only when they differ from the runs after it.
fn with_before(mut after: NextRuns, before: Option<NextRuns>) -> NextRuns {
    after.before = before
        .filter(|b| b.times != after.times || b.rule != after.rule || b.timezone != after.timezone)
        .map(Box::new);
    after
}

fn next_runs(name: &str, rule: &str, timing: &Timing, now: DateTime<Utc>) -> NextRuns {
    let until = start_of(LAST_YEAR + 1).and_utc();
    let starts = timing.starts(now, until, NEXT_RUNS);
    NextRuns {
        name: name.to_string(),
        rule: rule.to_string(),
        timezone: timing.zone.name().to_string(),
        times: starts
            .iter()
            .map(|s| {
                s.at.with_timezone(&timing.zone)
                    .to_rfc3339_opts(SecondsFormat::Secs, true)
            })
            .collect(),
        approximate: starts.iter().any(|s| s.approximate),
        before: None,
    }
}
