//! When a schedule runs: an expression (`cron(...)`, `rate(...)`, `at(...)`) with its
//! time zone, a maintenance window's `scheduleOffset` and its active period
//! (`startDate`/`endDate`), turned into instants. Pure: every question takes the
//! time it is asked from.
//!
//! A wall-clock time that does not exist in the zone (the hour skipped when clocks go
//! forward) is no run, and one that occurs twice (the hour repeated when they go back)
//! is one run, at its first occurrence: what EventBridge Scheduler documents, the only
//! AWS scheduler that documents it (docs/design/schedule.md).
//!
//! This module depends on nothing else in the crate: validation (`spec::rules`) and
//! the schedules built on specs (`crate::schedule`) both use it.

pub mod cron;
#[cfg(test)]
mod tests;

use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use cron::{AwsCron, CronError};

/// A schedule expression in AWS's syntax.
#[derive(Debug, Clone)]
pub enum Expression {
    /// Boxed: croner's parsed pattern is a few hundred bytes.
    Cron(Box<AwsCron>),
    /// Every `every` minutes, hours or days (maintenance windows).
    Rate { every: u32, unit: RateUnit },
    /// Once, at a time in UTC, whatever the schedule's zone (maintenance windows; the
    /// Systems Manager reference says `at(...)` is UTC).
    At(NaiveDateTime),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    Minutes,
    Hours,
    Days,
}

/// Why an expression cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpressionError {
    #[error("is not `cron(...)`, `rate(...)` or `at(...)`")]
    Form,
    #[error(transparent)]
    Cron(#[from] CronError),
    #[error("a rate is `rate(<number> minutes|hours|days)`")]
    Rate,
    #[error("`at(...)` takes a date and time like `at(2026-03-01T02:30:00)`")]
    At,
}

impl FromStr for Expression {
    type Err = ExpressionError;

    fn from_str(text: &str) -> Result<Expression, ExpressionError> {
        let text = text.trim();
        let inner = |prefix: &str| text.strip_prefix(prefix)?.strip_suffix(')');
        if let Some(inner) = inner("cron(") {
            return Ok(Expression::Cron(Box::new(inner.parse()?)));
        }
        if let Some(inner) = inner("rate(") {
            let mut parts = inner.split_whitespace();
            let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(ExpressionError::Rate);
            };
            let every = n.parse::<u32>().ok().filter(|n| *n > 0);
            let unit = match unit {
                "minute" | "minutes" => RateUnit::Minutes,
                "hour" | "hours" => RateUnit::Hours,
                "day" | "days" => RateUnit::Days,
                _ => return Err(ExpressionError::Rate),
            };
            return every
                .map(|every| Expression::Rate { every, unit })
                .ok_or(ExpressionError::Rate);
        }
        if let Some(inner) = inner("at(") {
            return NaiveDateTime::parse_from_str(inner.trim(), "%Y-%m-%dT%H:%M:%S")
                .map(Expression::At)
                .map_err(|_| ExpressionError::At);
        }
        Err(ExpressionError::Form)
    }
}

/// One start of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    pub at: DateTime<Utc>,
    /// A rate with no `startDate` counts from when AWS created the window, which no
    /// spec says: the start is counted from the time asked about instead.
    pub approximate: bool,
}

/// Everything that decides when a schedule runs.
#[derive(Debug, Clone)]
pub struct Timing {
    pub expression: Expression,
    pub zone: Tz,
    /// Days added to each cron date (`scheduleOffset`), on the wall clock.
    pub offset_days: u32,
    /// `startDate`: no run before.
    pub not_before: Option<DateTime<Utc>>,
    /// `endDate`: no run after.
    pub not_after: Option<DateTime<Utc>>,
    /// When AWS creates the schedule, if that is now (a plan's create): a cron date
    /// before it does not run even when its offset day is later, and a rate without
    /// `startDate` counts from it.
    pub created: Option<DateTime<Utc>>,
}

/// The instant a wall-clock time of `zone` names: `None` in a gap, the first of two in
/// a repeat.
pub fn resolve(zone: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

impl Timing {
    /// The starts in `[from, until)`, at most `limit`, in order.
    pub fn starts(&self, from: DateTime<Utc>, until: DateTime<Utc>, limit: usize) -> Vec<Start> {
        let from = self.not_before.map_or(from, |nb| nb.max(from));
        let until = self.not_after.map_or(until, |na| {
            na.checked_add_signed(Duration::seconds(1))
                .unwrap_or(na)
                .min(until)
        });
        if from >= until || limit == 0 {
            return Vec::new();
        }
        match &self.expression {
            Expression::Cron(cron) => self.cron_starts(cron, from, until, limit),
            Expression::Rate { every, unit } => {
                let step = match unit {
                    RateUnit::Minutes => Duration::minutes(i64::from(*every)),
                    RateUnit::Hours => Duration::hours(i64::from(*every)),
                    RateUnit::Days => Duration::days(i64::from(*every)),
                };
                self.rate_starts(step, from, until, limit)
            }
            Expression::At(utc) => Some(Utc.from_utc_datetime(utc))
                .filter(|at| (from..until).contains(at))
                .map(|at| Start {
                    at,
                    approximate: false,
                })
                .into_iter()
                .collect(),
        }
    }

    fn cron_starts(
        &self,
        cron: &AwsCron,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Vec<Start> {
        let offset = Duration::days(i64::from(self.offset_days));
        // Wall clocks are at most a day and a bit from UTC: search a day either side.
        let wall_from = from.with_timezone(&self.zone).naive_local() - offset - Duration::days(1);
        let wall_until = until.with_timezone(&self.zone).naive_local() + Duration::days(1);
        let created = self
            .created
            .map(|c| c.with_timezone(&self.zone).naive_local());
        let mut out = Vec::new();
        for date in cron.wall_times_from(wall_from) {
            if created.is_some_and(|c| date < c) {
                continue;
            }
            let wall = date + offset;
            if wall > wall_until || out.len() >= limit {
                break;
            }
            if let Some(at) = resolve(self.zone, wall).filter(|at| (from..until).contains(at)) {
                out.push(Start {
                    at,
                    approximate: false,
                });
            }
        }
        out
    }

    /// A rate counts from `startDate` (its first run); without one, from `from`.
    fn rate_starts(
        &self,
        step: Duration,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Vec<Start> {
        let (mut at, approximate) = match self.not_before {
            Some(anchor) => {
                let behind = (from - anchor).num_seconds().max(0);
                let steps = (behind + step.num_seconds() - 1) / step.num_seconds();
                (
                    anchor + Duration::seconds(steps * step.num_seconds()),
                    false,
                )
            }
            None => match self.created {
                Some(created) => (created + step, false),
                None => (from + step, true),
            },
        };
        let mut out = Vec::new();
        while at < until && out.len() < limit {
            out.push(Start { at, approximate });
            at += step;
        }
        out
    }
}
