//! AWS's six-field cron (`minutes hours day-of-month month day-of-week year`), as
//! EventBridge, Systems Manager maintenance windows and AWS Backup read it, evaluated
//! by croner through a small adapter.
//!
//! The adapter owns the differences between AWS's spelling and croner's: the field
//! order (croner wants seconds first and the year last, and gets `0` seconds),
//! Quartz weekday numbers (1 = SUN … 7 = SAT, croner's `alternative_weekdays`), `?`
//! (croner's `*`), `L` alone in day-of-week (Quartz's "last day of the week", 7 =
//! SAT), names (turned into numbers, so ranges that wrap, `FRI-MON`, `NOV-FEB`, can be
//! split), steps written `0/15` (croner's `sloppy_ranges`) and AWS's last year, 2199.
//! croner does `L`, `LW`, `15W`, `6L` and `2#1` itself, with Quartz's meaning (a `W`
//! never crosses into another month). The times are wall-clock times: what they are
//! in a time zone is [`super`]'s business.

use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use croner::parser::{CronParser, Seconds, Year};
use croner::{Cron, Direction};

/// The years AWS accepts in a cron expression.
pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 2199;

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A parsed AWS cron expression (the text between `cron(` and `)`).
#[derive(Debug, Clone)]
pub struct AwsCron {
    text: String,
    cron: Cron,
}

/// Why a cron expression cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("has {0} fields; AWS cron needs exactly 6")]
    FieldCount(usize),
    #[error("exactly one of day-of-month and day-of-week must be `?`")]
    DayFields,
    #[error("{0}")]
    Pattern(String),
    #[error("never fires: no date from {FIRST_YEAR} to {LAST_YEAR} matches every field")]
    Never,
}

impl FromStr for AwsCron {
    type Err = CronError;

    fn from_str(inner: &str) -> Result<AwsCron, CronError> {
        let fields: Vec<&str> = inner.split_whitespace().collect();
        let [minutes, hours, dom, month, dow, year] = fields[..] else {
            return Err(CronError::FieldCount(fields.len()));
        };
        if (dom == "?") == (dow == "?") {
            return Err(CronError::DayFields);
        }
        let pattern = format!(
            "0 {minutes} {hours} {} {} {} {year}",
            if dom == "?" { "*" } else { dom },
            numbered(month, &MONTHS, 1, 12),
            weekdays(dow),
        );
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Required)
            .alternative_weekdays(true)
            .sloppy_ranges(true)
            .build()
            .parse(&pattern)
            .map_err(|e| CronError::Pattern(e.to_string()))?;
        let cron = AwsCron {
            text: inner.split_whitespace().collect::<Vec<_>>().join(" "),
            cron,
        };
        if cron.wall_times_from(start_of(FIRST_YEAR)).next().is_none() {
            return Err(CronError::Never);
        }
        Ok(cron)
    }
}

impl AwsCron {
    /// The expression as written, single-spaced.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The wall-clock times the expression names, at or after `from`, in order, up to
    /// the end of AWS's last year.
    pub fn wall_times_from(&self, from: NaiveDateTime) -> impl Iterator<Item = NaiveDateTime> + '_ {
        self.cron
            .iter_from(from, Direction::Forward)
            .take_while(|t| t.year() <= LAST_YEAR)
    }

    /// Whether `t` (a wall-clock time) is one the expression names.
    pub fn matches(&self, t: NaiveDateTime) -> bool {
        t.year() <= LAST_YEAR && self.cron.is_time_matching(&t).unwrap_or(false)
    }
}

/// Midnight of 1 January of `year`.
pub fn start_of(year: i32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// Day-of-week in croner's Quartz mode: `?` is `*`, a lone `L` is SAT (7), names are
/// numbers, and ranges that wrap past SAT are split.
fn weekdays(field: &str) -> String {
    if field == "?" {
        return "*".into();
    }
    field
        .split(',')
        .map(|item| {
            if item.eq_ignore_ascii_case("L") {
                "7".to_string()
            } else {
                numbered(item, &DAYS, 1, 7)
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Replaces names (`MON`, `jan`) by their numbers (the first name is `first`) and
/// splits a range that wraps (`FRI-MON` → `6-7,1-2`); everything else is left for
/// croner to read or refuse.
fn numbered(field: &str, names: &[&str], first: u32, last: u32) -> String {
    field
        .split(',')
        .map(|item| {
            let mut item = item.to_string();
            for (i, name) in names.iter().enumerate() {
                while let Some(at) = item.to_ascii_uppercase().find(name) {
                    item.replace_range(at..at + name.len(), &(i as u32 + first).to_string());
                }
            }
            match item.split_once('-') {
                Some((a, b)) if !b.contains('/') => match (a.parse::<u32>(), b.parse::<u32>()) {
                    (Ok(a), Ok(b)) if a > b => format!("{a}-{last},{first}-{b}"),
                    _ => item,
                },
                _ => item,
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}
