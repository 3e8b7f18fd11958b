//! Every run of a repository's maintenance windows and backup rules in a stretch of
//! time, per target, sorted: what `driftless schedule` prints and what the overlap
//! check reads.
//!
//! A window runs from its start for `duration` hours; a backup rule from its
//! scheduled start until the end of its completion window (`completionWindowMinutes`,
//! AWS's default 10080), the longest a job may be running. A disabled window has no
//! runs.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::spec::backup_plan::BackupRule;
use crate::spec::maintenance_window::dates;
use crate::spec::{DesiredState, Kind, MaintenanceWindowSpec, Resource, ResourceSpec};
use crate::timing::{Expression, Timing};

/// AWS Backup's schedule when a rule has none.
pub const DEFAULT_BACKUP_SCHEDULE: &str = "cron(0 5 ? * * *)";
/// AWS Backup's completion window when a rule has none: 7 days.
pub const DEFAULT_COMPLETION_MINUTES: u64 = 10_080;
/// The most runs listed per schedule, so a `cron(* * * * ? *)` cannot flood the output.
pub const MAX_RUNS_PER_SCHEDULE: usize = 10_000;

/// One run of a window or a backup rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub target: String,
    pub kind: Kind,
    /// The window's name, or `<plan>/rules/<rule>`.
    pub name: String,
    /// The window or backup plan.
    pub resource: String,
    /// The schedule expression.
    pub rule: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The schedule's time zone (IANA).
    pub timezone: Tz,
    /// A rate counted from the time asked about, not from when AWS created it.
    pub approximate: bool,
}

/// A window's timing; `None` for a schedule validation would have refused.
pub fn window_timing(w: &MaintenanceWindowSpec, created: Option<DateTime<Utc>>) -> Option<Timing> {
    Some(Timing {
        expression: w.schedule.parse::<Expression>().ok()?,
        zone: zone(w.schedule_timezone.as_deref())?,
        offset_days: w.schedule_offset.unwrap_or(0),
        not_before: w.start_date.as_deref().and_then(instant),
        not_after: w.end_date.as_deref().and_then(instant),
        created,
    })
}

/// A backup rule's timing, with AWS's defaults for what the rule leaves out.
pub fn backup_timing(r: &BackupRule, created: Option<DateTime<Utc>>) -> Option<Timing> {
    let schedule = r.schedule.as_deref().unwrap_or(DEFAULT_BACKUP_SCHEDULE);
    Some(Timing {
        expression: schedule.parse::<Expression>().ok()?,
        zone: zone(r.schedule_timezone.as_deref())?,
        offset_days: 0,
        not_before: None,
        not_after: None,
        created,
    })
}

fn zone(name: Option<&str>) -> Option<Tz> {
    name.unwrap_or("Etc/UTC").parse().ok()
}

/// A `startDate`/`endDate` as an instant; one written without an offset is UTC.
pub fn instant(value: &str) -> Option<DateTime<Utc>> {
    let canonical = dates::parse(value)?.canonical();
    if let Ok(t) = DateTime::parse_from_rfc3339(&canonical) {
        return Some(t.with_timezone(&Utc));
    }
    let seconds = canonical.split('.').next()?;
    NaiveDateTime::parse_from_str(seconds, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|t| Utc.from_utc_datetime(&t))
}

/// The runs of one resource in one target, in `[from, until)`.
pub fn resource_runs(
    target: &str,
    resource: &Resource,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Run> {
    let mut out = Vec::new();
    match &resource.spec {
        ResourceSpec::MaintenanceWindow(w) if w.enabled != Some(false) => {
            let Some(timing) = window_timing(w, None) else {
                return out;
            };
            let hours = Duration::hours(i64::from(w.duration));
            for s in timing.starts(from, until, MAX_RUNS_PER_SCHEDULE) {
                out.push(Run {
                    target: target.to_string(),
                    kind: Kind::MaintenanceWindow,
                    name: resource.name().to_string(),
                    resource: resource.name().to_string(),
                    rule: w.schedule.trim().to_string(),
                    start: s.at,
                    end: s.at + hours,
                    timezone: timing.zone,
                    approximate: s.approximate,
                });
            }
        }
        ResourceSpec::BackupPlan(p) => {
            for rule in &p.rules {
                let Some(timing) = backup_timing(rule, None) else {
                    continue;
                };
                let minutes = rule
                    .completion_window_minutes
                    .unwrap_or(DEFAULT_COMPLETION_MINUTES);
                let length = Duration::minutes(i64::try_from(minutes).unwrap_or(i64::MAX / 120));
                for s in timing.starts(from, until, MAX_RUNS_PER_SCHEDULE) {
                    out.push(Run {
                        target: target.to_string(),
                        kind: Kind::BackupPlan,
                        name: format!("{}/rules/{}", resource.name(), rule.name),
                        resource: resource.name().to_string(),
                        rule: rule
                            .schedule
                            .as_deref()
                            .unwrap_or(DEFAULT_BACKUP_SCHEDULE)
                            .trim()
                            .to_string(),
                        start: s.at,
                        end: s.at + length,
                        timezone: timing.zone,
                        approximate: s.approximate,
                    });
                }
            }
        }
        _ => {}
    }
    out
}

/// Every run in `[from, until)` of the windows and backup rules going to `targets`
/// (every target when empty), sorted by target, start, kind and name.
pub fn runs(
    state: &DesiredState,
    targets: &[String],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Run> {
    let mut out = Vec::new();
    for resource in &state.resources {
        for target in &resource.targets {
            if targets.is_empty() || targets.contains(target) {
                out.extend(resource_runs(target, resource, from, until));
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.target, a.start, a.kind, &a.name).cmp(&(&b.target, b.start, b.kind, &b.name))
    });
    out
}

/// What `driftless schedule` shows: every run in `[from, until)` and the overlaps
/// among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub runs: Vec<Run>,
    pub overlaps: Vec<super::overlap::Overlap>,
}

/// The calendar of `targets` (every target when empty). Overlaps use the minimum gap
/// of driftless.yaml's `maintenance-backup-overlap-check` when there is one.
pub fn calendar(
    state: &DesiredState,
    targets: &[String],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Calendar {
    let gap = state
        .config
        .guardrails
        .iter()
        .filter(|g| g.rule == crate::spec::guardrail::RuleName::MaintenanceBackupOverlapCheck)
        .filter_map(|g| g.params().int("minimumGapMinutes"))
        .max()
        .unwrap_or(0);
    let runs = runs(state, targets, from, until);
    let overlaps = super::overlap::overlaps(state, &runs, Duration::minutes(gap as i64));
    Calendar {
        from,
        until,
        runs,
        overlaps,
    }
}
