//! Backup plan rules.
//!
//! * `backup-plan-min-frequency-and-min-retention-check`
//!   (<https://docs.aws.amazon.com/config/latest/developerguide/backup-plan-min-frequency-and-min-retention-check.html>):
//!   every rule of the plan makes a recovery point at least every
//!   `requiredFrequencyValue` `requiredFrequencyUnit` (default 1 day) and keeps it at
//!   least `requiredRetentionDays` (default 35). The frequency is the longest gap
//!   between two runs of the rule's cron schedule (AWS's default `cron(0 5 ? * * *)`
//!   when it has none); a continuous-backup rule meets any frequency; a rule without
//!   `deleteAfterDays` keeps its points forever.
//! * `backup-recovery-point-minimum-retention-check`
//!   (<https://docs.aws.amazon.com/config/latest/developerguide/backup-recovery-point-minimum-retention-check.html>):
//!   AWS evaluates recovery points; driftless evaluates what makes them, so a revision
//!   cannot set it up wrong: each rule's lifecycle and each copy's keep points at
//!   least `requiredRetentionDays` (default 35).

use super::params::Params;
use super::{Finding, Seg};
use crate::spec::backup_plan::BackupRule;
use crate::spec::BackupPlanSpec;

/// AWS Backup's schedule when a rule has none: daily at 05:00 UTC.
const DEFAULT_SCHEDULE: &str = "cron(0 5 ? * * *)";

pub(super) fn frequency_and_retention(p: Params<'_>, plan: &BackupPlanSpec) -> Vec<Finding> {
    let value = p.int("requiredFrequencyValue").unwrap_or(1);
    let hours = p.text("requiredFrequencyUnit") == Some("hours");
    let required_minutes = value * if hours { 60 } else { 1440 };
    let unit = if hours { "hours" } else { "days" };
    let required_days = p.int("requiredRetentionDays").unwrap_or(35);
    let mut out = Vec::new();
    for (i, rule) in plan.rules.iter().enumerate() {
        let at = |field| vec![Seg::Key("rules"), Seg::Index(i), Seg::Key(field)];
        if rule.enable_continuous_backup != Some(true) {
            let schedule = rule.schedule.as_deref().unwrap_or(DEFAULT_SCHEDULE);
            match longest_gap_minutes(schedule) {
                Some(gap) if gap <= required_minutes => {}
                Some(gap) => out.push(
                    Finding::new(
                        at("schedule"),
                        format!(
                            "rule `{}` backs up every {} at most, less often than every {value} {unit} (requiredFrequencyValue {value}, requiredFrequencyUnit {unit})",
                            rule.name,
                            describe_minutes(gap)
                        ),
                    )
                    .hint(format!("schedule the rule at least every {value} {unit}")),
                ),
                None => out.push(
                    Finding::new(
                        at("schedule"),
                        format!("rule `{}`: cannot tell how often `{schedule}` runs", rule.name),
                    )
                    .hint("use plain numbers, lists, ranges and `/` steps in the schedule's fields"),
                ),
            }
        }
        out.extend(rule_retention(i, rule, required_days));
    }
    out
}

/// A rule that deletes its recovery points before `required` days, at its
/// `lifecycle.deleteAfterDays`.
fn rule_retention(i: usize, rule: &BackupRule, required: u64) -> Option<Finding> {
    let days = rule.lifecycle.as_ref()?.delete_after_days?;
    (u64::from(days) < required).then(|| {
        retention_finding(
            vec![
                Seg::Key("rules"),
                Seg::Index(i),
                Seg::Key("lifecycle"),
                Seg::Key("deleteAfterDays"),
            ],
            &format!("rule `{}`", rule.name),
            days,
            required,
        )
    })
}

pub(super) fn recovery_point_retention(p: Params<'_>, plan: &BackupPlanSpec) -> Vec<Finding> {
    let required = p.int("requiredRetentionDays").unwrap_or(35);
    let mut out = Vec::new();
    for (i, rule) in plan.rules.iter().enumerate() {
        out.extend(rule_retention(i, rule, required));
        for (j, copy) in rule.copy_actions.iter().enumerate() {
            if let Some(days) = copy.lifecycle.as_ref().and_then(|l| l.delete_after_days) {
                if u64::from(days) < required {
                    out.push(retention_finding(
                        vec![
                            Seg::Key("rules"),
                            Seg::Index(i),
                            Seg::Key("copyActions"),
                            Seg::Index(j),
                            Seg::Key("lifecycle"),
                            Seg::Key("deleteAfterDays"),
                        ],
                        &format!(
                            "rule `{}`'s copy to {}",
                            rule.name, copy.destination_vault_arn
                        ),
                        days,
                        required,
                    ));
                }
            }
        }
    }
    out
}

fn retention_finding(at: Vec<Seg>, what: &str, days: u32, required: u64) -> Finding {
    Finding::new(
        at,
        format!("{what} deletes recovery points after {days} days (deleteAfterDays {days} < requiredRetentionDays {required})"),
    )
    .hint(format!("set `deleteAfterDays` to {required} or more, or remove it to keep recovery points"))
}

fn describe_minutes(minutes: u64) -> String {
    if minutes % 1440 == 0 {
        format!("{} days", minutes / 1440)
    } else if minutes % 60 == 0 {
        format!("{} hours", minutes / 60)
    } else {
        format!("{minutes} minutes")
    }
}

/// The longest time between two consecutive runs of a `cron(...)` expression, in
/// minutes, or `None` when it uses syntax this estimate does not follow (`L`, `W`,
/// `#`, or a day-of-week schedule limited to some months). Months count as 31 days,
/// so a monthly schedule's gap is 31 days, its longest.
pub fn longest_gap_minutes(schedule: &str) -> Option<u64> {
    let inner = schedule.trim().strip_prefix("cron(")?.strip_suffix(')')?;
    let fields: Vec<&str> = inner.split_whitespace().collect();
    let [minutes, hours, dom, month, dow, _year] = fields[..] else {
        return None;
    };
    let minutes = values(minutes, 0, 59, &[])?;
    let hours = values(hours, 0, 23, &[])?;
    let times: Vec<u64> = hours
        .iter()
        .flat_map(|h| minutes.iter().map(move |m| h * 60 + m))
        .collect();
    const MONTHS: &[&str] = &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let any = |f: &str| f == "*" || f == "?";
    let (days, cycle_days): (Vec<u64>, u64) = if any(dom) && any(dow) && any(month) {
        (vec![0], 1)
    } else if any(dom) && any(month) {
        (values(dow, 1, 7, DAYS)?, 7)
    } else if any(dow) {
        let months = values(month, 1, 12, MONTHS)?;
        let doms = values(dom, 1, 31, &[])?;
        let days = months
            .iter()
            .flat_map(|m| doms.iter().map(move |d| (m - 1) * 31 + (d - 1)))
            .collect();
        (days, 12 * 31)
    } else {
        return None;
    };
    let mut runs: Vec<u64> = days
        .iter()
        .flat_map(|d| times.iter().map(move |t| d * 1440 + t))
        .collect();
    runs.sort_unstable();
    runs.dedup();
    let cycle = cycle_days * 1440;
    let first = *runs.first()?;
    let last = *runs.last()?;
    let wrap = cycle - last + first;
    Some(runs.windows(2).map(|w| w[1] - w[0]).fold(wrap, u64::max))
}

/// The values a cron field selects, from `min` to `max`; `names` spell them from `min`
/// on (`SUN` = 1).
fn values(field: &str, min: u64, max: u64, names: &[&str]) -> Option<Vec<u64>> {
    let number = |s: &str| -> Option<u64> {
        match names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            Some(i) => Some(min + i as u64),
            None => s.parse().ok().filter(|v| (min..=max).contains(v)),
        }
    };
    let mut out = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse::<u64>().ok().filter(|s| *s > 0)?),
            None => (item, 1),
        };
        let (lo, hi) = match range {
            "*" | "?" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None if item.contains('/') => (number(r)?, max),
                None => (number(r)?, number(r)?),
            },
        };
        if lo > hi {
            return None;
        }
        out.extend((lo..=hi).step_by(step as usize));
    }
    Some(out)
}
