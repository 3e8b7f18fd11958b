//! Value rules shared by several kinds: AWS names, ARNs, regions, time zones and
//! schedule expressions.
//!
//! Each rule is a pure function returning a [`Problem`] (message plus optional hint),
//! so the kinds decide where to report it. The rules follow the AWS API documentation;
//! where AWS is vague, they err on the side of accepting input, because a false error
//! blocks a whole revision.

use super::diagnostic::{did_you_mean, plural};
use crate::timing::cron::{AwsCron, CronError, FIRST_YEAR, LAST_YEAR};
use crate::timing::Expression;

/// What is wrong with a value, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
}

pub type Check = Result<(), Problem>;

/// Checks a name's length and characters. `allowed` describes the extra characters
/// besides ASCII letters and digits, e.g. `"-_."`.
pub fn name(what: &str, value: &str, min: usize, max: usize, allowed: &str) -> Check {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(Problem::new(format!(
            "{what} `{value}` is {}; AWS allows {min} to {max}",
            plural(len, "character")
        )));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || allowed.contains(*c)))
    {
        let extra: Vec<String> = allowed.chars().map(|c| format!("`{c}`")).collect();
        return Err(Problem::new(format!(
            "{what} `{value}` contains `{bad}`, which AWS does not allow"
        ))
        .hint(format!(
            "use letters, digits and {}",
            if extra.is_empty() {
                "nothing else".to_string()
            } else {
                extra.join(" ")
            }
        )));
    }
    Ok(())
}

/// Checks a name that AWS allows any printable characters in (alarm names).
pub fn name_free(what: &str, value: &str, max: usize) -> Check {
    let len = value.chars().count();
    if len == 0 || len > max {
        return Err(Problem::new(format!(
            "{what} `{value}` is {}; AWS allows 1 to {max}",
            plural(len, "character")
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Problem::new(format!("{what} contains control characters")));
    }
    Ok(())
}

/// Checks a free-text field's length (descriptions and the like).
pub fn max_len(what: &str, value: &str, max: usize) -> Check {
    let len = value.chars().count();
    if len > max {
        return Err(Problem::new(format!(
            "{what} is {len} characters long; AWS allows at most {max}"
        )));
    }
    Ok(())
}

/// Checks a string's length against the bounds of the AWS request member it is
/// written to (`min` 1: empty is refused).
pub fn length(what: &str, value: &str, min: usize, max: usize) -> Check {
    let len = value.chars().count();
    let problem = Problem::new(format!(
        "{what} is {}; AWS allows {min} to {max}",
        plural(len, "character")
    ));
    if len > max {
        return Err(problem.hint("shorten it"));
    }
    if len < min {
        return Err(problem);
    }
    Ok(())
}

/// Checks how many entries a list or map has against AWS's maximum.
pub fn at_most(what: &str, count: usize, max: usize) -> Check {
    if count > max {
        return Err(Problem::new(format!(
            "{what} has {count} entries; AWS allows at most {max}"
        )));
    }
    Ok(())
}

/// The characters CloudWatch Logs and Systems Manager allow in tag keys and values
/// (`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$` in their API models): letters, separators
/// (spaces), numbers and `_ . : / = + - @`.
pub fn tag_characters(what: &str, value: &str) -> Check {
    let allowed = |c: char| {
        c.is_alphabetic()
            || c.is_numeric()
            || (c.is_whitespace() && !c.is_control())
            || "_.:/=+-@".contains(c)
    };
    match value.chars().find(|c| !allowed(*c)) {
        None => Ok(()),
        Some(bad) => Err(Problem::new(format!(
            "{what} `{value}` contains `{bad}`, which AWS does not allow in tags here"
        ))
        .hint("use letters, digits, spaces and `_ . : / = + - @`")),
    }
}

const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The parts of an ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// Parses `arn:partition:service:region:account:resource`.
pub fn parse_arn(value: &str) -> Result<Arn<'_>, Problem> {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let example = "arn:aws:sns:ap-northeast-1:111111111111:ops";
    if parts.len() != 6 || parts[0] != "arn" {
        return Err(Problem::new(format!("`{value}` is not an ARN"))
            .hint(format!("an ARN looks like `{example}`")));
    }
    let arn = Arn {
        partition: parts[1],
        service: parts[2],
        region: parts[3],
        account: parts[4],
        resource: parts[5],
    };
    if !PARTITIONS.contains(&arn.partition) {
        return Err(Problem::new(format!(
            "ARN `{value}` has an unknown partition `{}`",
            arn.partition
        ))
        .hint("the partition is `aws`, `aws-cn` or `aws-us-gov`"));
    }
    if arn.service.is_empty() || arn.resource.is_empty() {
        return Err(
            Problem::new(format!("ARN `{value}` has an empty service or resource"))
                .hint(format!("an ARN looks like `{example}`")),
        );
    }
    let account_ok = arn.account.is_empty()
        || (arn.account.len() == 12 && arn.account.bytes().all(|b| b.is_ascii_digit()));
    if !account_ok && arn.account != "aws" && arn.service != "automate" {
        return Err(Problem::new(format!(
            "ARN `{value}` has account `{}`; an account ID is 12 digits",
            arn.account
        )));
    }
    if !arn.region.is_empty() && !is_region(arn.region) {
        return Err(region_problem(arn.region, &format!("ARN `{value}`")));
    }
    Ok(arn)
}

/// Checks that `value` is an ARN of `service` whose resource starts with one of
/// `prefixes` (empty: any resource).
pub fn arn_of(value: &str, what: &str, service: &str, prefixes: &[&str]) -> Check {
    let shape = match prefixes.first() {
        Some(p) if service == "iam" => format!("arn:aws:{service}::111111111111:{p}..."),
        Some(p) => format!("arn:aws:{service}:...:{p}..."),
        None => format!("arn:aws:{service}:..."),
    };
    let wrong = || {
        Problem::new(format!(
            "{what} must be an ARN like `{shape}`, got `{value}`"
        ))
    };
    if !value.starts_with("arn:") {
        return Err(wrong());
    }
    let arn = parse_arn(value).map_err(|p| Problem {
        message: format!("{what}: {}", p.message),
        hint: p.hint,
    })?;
    let prefix_ok = prefixes.is_empty() || prefixes.iter().any(|p| arn.resource.starts_with(p));
    if arn.service != service || !prefix_ok {
        return Err(wrong());
    }
    Ok(())
}

/// An ARN pattern as AWS Backup selections take them: `*` may stand for any part.
pub fn arn_pattern(value: &str, what: &str) -> Check {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" && !parts[2].is_empty() && !parts[5].is_empty() {
        return Ok(());
    }
    Err(Problem::new(format!("{what} `{value}` is not an ARN or ARN pattern"))
        .hint("e.g. `arn:aws:ec2:*:*:volume/*` or `arn:aws:rds:ap-northeast-1:111111111111:db:orders`"))
}

/// An IAM role ARN, as AWS Backup selections and maintenance-window tasks need.
pub fn role_arn(value: &str, what: &str) -> Check {
    arn_of(value, what, "iam", &["role/"])
}

/// A KMS key ARN (AWS requires the ARN, not the key ID, for these associations).
pub fn kms_key_arn(value: &str, what: &str) -> Check {
    arn_of(value, what, "kms", &["key/", "alias/"])
}

/// AWS region codes this build knows. A region added after this list was written
/// fails validation; add it here (and say so in the release notes).
pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// The partition of a region (`cn-north-1` → `aws-cn`).
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

pub fn is_region(value: &str) -> bool {
    REGIONS.contains(&value)
}

fn region_problem(value: &str, what: &str) -> Problem {
    let p = Problem::new(format!("{what}: `{value}` is not an AWS region code"));
    match did_you_mean(value, REGIONS.iter().copied()) {
        Some(s) => p.hint(format!("did you mean `{s}`?")),
        None => p.hint("region codes look like `ap-northeast-1`"),
    }
}

pub fn region(value: &str) -> Check {
    if is_region(value) {
        Ok(())
    } else {
        Err(region_problem(value, "region"))
    }
}

/// An IANA time zone name such as `Asia/Tokyo`.
pub fn timezone(value: &str) -> Check {
    if value.parse::<chrono_tz::Tz>().is_ok() {
        return Ok(());
    }
    let p = Problem::new(format!("`{value}` is not an IANA time zone"));
    let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
    Err(match did_you_mean(value, names) {
        Some(s) => p.hint(format!("did you mean `{s}`?")),
        None => p.hint("use a name from the IANA database, e.g. `Asia/Tokyo` or `Etc/UTC`"),
    })
}

/// Which schedule expressions a service accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleUse {
    /// Maintenance windows: `cron(...)`, `rate(N minutes|hours|days)` or `at(...)` (once, UTC).
    MaintenanceWindow,
    /// AWS Backup rules: `cron(...)` only.
    Backup,
}

/// Checks a `cron(...)` / `rate(...)` expression in AWS's six-field syntax.
pub fn schedule(value: &str, usage: ScheduleUse) -> Check {
    let v = value.trim();
    if let Some(inner) = v.strip_prefix("cron(").and_then(|s| s.strip_suffix(')')) {
        return cron(inner)
            .and_then(|()| evaluate_cron(inner))
            .map_err(|p| Problem {
                message: format!("schedule `{value}`: {}", p.message),
                hint: p.hint.or_else(|| Some(CRON_HINT.into())),
            });
    }
    if let Some(inner) = v.strip_prefix("at(").and_then(|s| s.strip_suffix(')')) {
        if usage == ScheduleUse::MaintenanceWindow && v.parse::<Expression>().is_ok() {
            return Ok(());
        }
        let p = Problem::new(format!(
            "schedule `{value}`: `{inner}` is not a date and time `yyyy-mm-ddThh:mm:ss`"
        ));
        return Err(match usage {
            ScheduleUse::MaintenanceWindow => p.hint("e.g. `at(2026-03-01T02:30:00)`, in UTC"),
            ScheduleUse::Backup => Problem::new(format!(
                "schedule `{value}`: AWS Backup rules take cron expressions only"
            ))
            .hint("write it as cron, e.g. `cron(0 5 ? * * *)` for daily at 05:00"),
        });
    }
    if let Some(inner) = v.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
        if usage == ScheduleUse::Backup {
            return Err(Problem::new(format!(
                "schedule `{value}`: AWS Backup rules take cron expressions only"
            ))
            .hint("write it as cron, e.g. `cron(0 5 ? * * *)` for daily at 05:00"));
        }
        return rate(inner).map_err(|p| Problem {
            message: format!("schedule `{value}`: {}", p.message),
            hint: p.hint,
        });
    }
    let expected = match usage {
        ScheduleUse::MaintenanceWindow => "`cron(...)`, `rate(...)` or `at(...)`",
        ScheduleUse::Backup => "`cron(...)`",
    };
    Err(Problem::new(format!("schedule `{value}` is not {expected}")).hint(CRON_HINT))
}

const CRON_HINT: &str =
    "AWS cron has six fields: minutes hours day-of-month month day-of-week year, e.g. `cron(0 3 ? * TUE *)`";

fn rate(inner: &str) -> Check {
    let mut parts = inner.split_whitespace();
    let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Problem::new("a rate is `rate(<number> <unit>)`")
            .hint("e.g. `rate(7 days)` or `rate(12 hours)`"));
    };
    let Ok(n) = n.parse::<u32>() else {
        return Err(
            Problem::new(format!("`{n}` is not a whole number")).hint("e.g. `rate(7 days)`")
        );
    };
    if n == 0 {
        return Err(Problem::new("a rate must be at least 1"));
    }
    // Systems Manager's "Reference: Cron and rate expressions": Value "positive number,
    // such as 1 or 15", Unit "minute minutes hour hours day days"; maintenance windows
    // "support all cron and rate expressions" (its five-minute floor is written for
    // cron expressions; the AWS CLI reference's window example is `rate(5 minutes)`).
    // The emulator's rule is the same (schedules.py, `rate_problem`).
    let units = ["minute", "minutes", "hour", "hours", "day", "days"];
    if !units.contains(&unit) {
        return Err(Problem::new(format!(
            "`{unit}` is not a rate unit maintenance windows accept"
        ))
        .hint("use `minutes`, `hours` or `days`, e.g. `rate(7 days)` instead of weeks"));
    }
    let singular = unit.ends_with('s');
    if (n == 1) == singular {
        let fixed = if n == 1 {
            unit.trim_end_matches('s').to_string()
        } else {
            format!("{unit}s")
        };
        return Err(Problem::new(format!(
            "AWS wants `{n} {fixed}`, not `{n} {unit}`"
        )));
    }
    Ok(())
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The first name's number (months start at 1, days at 1 = SUN).
    name_base: u32,
    special: &'static [char],
}

const FIELDS: [Field; 6] = [
    Field {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
        name_base: 0,
        special: &[],
    },
    Field {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
        name_base: 0,
        special: &[],
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        name_base: 0,
        special: &['?', 'L', 'W'],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
        name_base: 1,
        special: &[],
    },
    Field {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: DAYS,
        name_base: 1,
        special: &['?', 'L', '#'],
    },
    Field {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
        name_base: 0,
        special: &[],
    },
];

fn cron(inner: &str) -> Check {
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(Problem::new(format!(
            "has {} fields; AWS cron needs exactly 6",
            fields.len()
        )));
    }
    for (text, field) in fields.iter().zip(FIELDS.iter()) {
        cron_field(text, field)?;
    }
    let (dom, dow) = (fields[2], fields[4]);
    if (dom == "?") == (dow == "?") {
        return Err(
            Problem::new("exactly one of day-of-month and day-of-week must be `?`")
                .hint("e.g. `cron(0 3 ? * TUE *)` (any day of the month, Tuesdays)"),
        );
    }
    Ok(())
}

/// The evaluator's verdict on a cron whose fields are well formed: the same one
/// `driftless schedule` and the plan's `nextRuns` use, so a schedule that validates is
/// one they can show.
fn evaluate_cron(inner: &str) -> Check {
    match inner.parse::<AwsCron>() {
        Ok(_) => Ok(()),
        Err(CronError::Never) => Err(Problem::new(format!(
            "never fires: no date from {FIRST_YEAR} to {LAST_YEAR} matches every field"
        ))
        .hint("check the day of the month against the month (30 February, 31 April do not exist) and the year")),
        Err(e) => Err(Problem::new(e.to_string())),
    }
}

fn cron_value(text: &str, f: &Field) -> Result<u32, Problem> {
    let value = if let Some(i) = f.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        i as u32 + f.name_base
    } else {
        text.parse::<u32>()
            .map_err(|_| Problem::new(format!("`{text}` is not a valid {} value", f.name)))?
    };
    if value < f.min || value > f.max {
        return Err(Problem::new(format!(
            "{} value {value} is outside {}-{}",
            f.name, f.min, f.max
        )));
    }
    Ok(value)
}

fn cron_field(text: &str, f: &Field) -> Check {
    if text == "?" {
        return if f.special.contains(&'?') {
            Ok(())
        } else {
            Err(Problem::new(format!(
                "`?` is not allowed in the {} field",
                f.name
            )))
        };
    }
    for item in text.split(',') {
        if item.is_empty() {
            return Err(Problem::new(format!(
                "empty list item in the {} field",
                f.name
            )));
        }
        if item == "*" {
            continue;
        }
        // Special day forms: L, LW, 15W (day-of-month), 2#1, 6L (day-of-week).
        if f.special.contains(&'L') && (item == "L" || (f.special.contains(&'W') && item == "LW")) {
            continue;
        }
        if f.special.contains(&'W') {
            if let Some(day) = item.strip_suffix('W') {
                cron_value(day, f)?;
                continue;
            }
        }
        if f.special.contains(&'#') {
            if let Some((day, nth)) = item.split_once('#') {
                cron_value(day, f)?;
                match nth.parse::<u32>() {
                    Ok(1..=5) => continue,
                    _ => return Err(Problem::new(format!("`#{nth}` must be 1-5"))),
                }
            }
            if let Some(day) = item.strip_suffix('L') {
                cron_value(day, f)?;
                continue;
            }
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(s) if s >= 1 => {}
                _ => {
                    return Err(Problem::new(format!(
                        "step `/{step}` in the {} field must be a positive number",
                        f.name
                    )))
                }
            }
        }
        if range == "*" {
            continue;
        }
        match range.split_once('-') {
            Some((a, b)) => {
                let a = cron_value(a, f)?;
                let b = cron_value(b, f)?;
                if a > b && f.names.is_empty() {
                    return Err(Problem::new(format!(
                        "range {a}-{b} in the {} field runs backwards",
                        f.name
                    )));
                }
            }
            None => {
                cron_value(range, f)?;
            }
        }
    }
    Ok(())
}

/// Maintenance-window concurrency and error limits: a number or a percentage, at most
/// 7 characters; zero (`0`, `0%`) only where `zero` allows it (MaxErrors, not
/// MaxConcurrency, whose model pattern starts at 1).
pub fn count_or_percent(what: &str, value: &str, zero: bool) -> Check {
    let ok = match value.strip_suffix('%') {
        Some(p) => matches!(p.parse::<u32>(), Ok(0..=100)) && !p.starts_with('0') || p == "0",
        None => value.parse::<u32>().is_ok() && (value == "0" || !value.starts_with('0')),
    };
    if value.len() > 7 {
        return Err(Problem::new(format!(
            "{what} `{value}` is longer than the 7 characters AWS allows"
        )));
    }
    let is_zero = value.trim_end_matches('%') == "0";
    if is_zero && !zero {
        return Err(
            Problem::new(format!("{what} `{value}` must be at least 1")).hint("e.g. `1` or `10%`")
        );
    }
    if ok {
        Ok(())
    } else {
        Err(Problem::new(format!(
            "{what} `{value}` must be a number like `10` or a percentage like `10%`"
        )))
    }
}

/// A calendar date `YYYY-MM-DD`.
pub fn date(what: &str, value: &str) -> Check {
    let parts: Vec<&str> = value.split('-').collect();
    let ok = parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
        && matches!(parts[1].parse::<u32>(), Ok(1..=12))
        && matches!(parts[2].parse::<u32>(), Ok(1..=31))
        && parts[0].parse::<u32>().is_ok();
    if ok {
        Ok(())
    } else {
        Err(Problem::new(format!("{what} `{value}` is not a date")).hint("write it as YYYY-MM-DD"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_accepts_aws_examples() {
        for ok in [
            "cron(0 3 ? * TUE *)",
            "cron(0 17 ? * * *)",
            "cron(0/15 * * * ? *)",
            "cron(0 18 ? * MON-FRI *)",
            "cron(0 8 1 * ? *)",
            "cron(0 10 ? * 6L 2026)",
            "cron(0 9 ? * 2#1 *)",
            "cron(30 1 L * ? *)",
            "cron(0 0 15W * ? *)",
            "cron(0,30 8-17 ? JAN-MAR MON,WED *)",
            " cron(0  3 ? * TUE *) ",
            "cron(0 0 29 2 ? *)",
            "at(2026-03-01T02:30:00)",
        ] {
            assert_eq!(schedule(ok, ScheduleUse::MaintenanceWindow), Ok(()), "{ok}");
        }
    }

    #[test]
    fn cron_rejects_malformed_expressions() {
        for (bad, needle) in [
            ("cron(0 3 * * TUE *)", "exactly one of"),
            ("cron(0 3 ? * * )", "5 fields"),
            ("cron(60 3 ? * TUE *)", "minutes value 60"),
            ("cron(0 24 ? * TUE *)", "hours value 24"),
            ("cron(0 3 ? * TUESDAY *)", "not a valid day-of-week"),
            ("cron(0 3 ? 13 TUE *)", "month value 13"),
            ("cron(0 3 ? * 2#6 *)", "#6"),
            ("cron(0 3 ? * TUE 1969)", "year value 1969"),
            ("cron(0 0 30 2 ? *)", "never fires"),
            ("cron(0 0 31 4,6,9,11 ? *)", "never fires"),
            ("cron(0 0 29 2 ? 2100)", "never fires"),
            ("at(2026-02-30T00:00:00)", "not a date and time"),
            ("cron(0 3/0 ? * TUE *)", "step"),
            ("0 3 ? * TUE *", "is not"),
        ] {
            let err = schedule(bad, ScheduleUse::MaintenanceWindow).unwrap_err();
            assert!(err.message.contains(needle), "{bad}: {}", err.message);
        }
    }

    #[test]
    fn rates_take_minutes_hours_or_days() {
        for ok in [
            "rate(7 days)",
            "rate(1 hour)",
            "rate(5 minutes)",
            "rate(1 minute)",
        ] {
            assert_eq!(schedule(ok, ScheduleUse::MaintenanceWindow), Ok(()), "{ok}");
        }
        let plural = schedule("rate(5 minute)", ScheduleUse::MaintenanceWindow).unwrap_err();
        assert!(plural.message.contains("5 minutes"), "{}", plural.message);
        let weeks = schedule("rate(7 weeks)", ScheduleUse::MaintenanceWindow).unwrap_err();
        assert!(weeks.message.contains("weeks"), "{}", weeks.message);
        let plural = schedule("rate(1 days)", ScheduleUse::MaintenanceWindow).unwrap_err();
        assert!(plural.message.contains("1 day"), "{}", plural.message);
        assert!(schedule("rate(0 days)", ScheduleUse::MaintenanceWindow).is_err());
        assert!(schedule("rate(7 days)", ScheduleUse::Backup).is_err());
    }

    #[test]
    fn arns_are_parsed_and_checked() {
        assert_eq!(
            role_arn("arn:aws:iam::111111111111:role/backup", "role"),
            Ok(())
        );
        assert!(role_arn("arn:aws:iam::111111111111:user/bob", "role").is_err());
        assert!(role_arn("backup-role", "role").is_err());
        assert!(parse_arn("arn:aws:sns:ap-northeast-1:1234:ops").is_err());
        assert!(parse_arn("arn:aws:sns:mars-east-1:111111111111:ops").is_err());
        assert!(parse_arn("arn:aws:automate:ap-northeast-1:ec2:stop").is_ok());
        assert_eq!(
            kms_key_arn("arn:aws:kms:us-east-1:111111111111:key/abcd", "key"),
            Ok(())
        );
    }

    #[test]
    fn regions_and_time_zones() {
        assert_eq!(region("ap-northeast-1"), Ok(()));
        let e = region("ap-northeast-9").unwrap_err();
        assert!(e.hint.unwrap().contains("ap-northeast-"));
        assert_eq!(timezone("Asia/Tokyo"), Ok(()));
        let tz = timezone("Asia/Tokio").unwrap_err();
        assert_eq!(tz.hint.as_deref(), Some("did you mean `Asia/Tokyo`?"));
    }

    #[test]
    fn names_check_length_and_characters() {
        assert_eq!(name("vault name", "prod-vault", 2, 50, "-_"), Ok(()));
        assert!(name("vault name", "p", 2, 50, "-_").is_err());
        let e = name("vault name", "prod vault", 2, 50, "-_").unwrap_err();
        assert!(e.message.contains("` `"), "{}", e.message);
    }

    #[test]
    fn counts_and_percentages() {
        for ok in ["1", "10", "10%", "100%", "0", "0%", "1000000"] {
            assert_eq!(count_or_percent("maxErrors", ok, true), Ok(()), "{ok}");
        }
        for bad in ["ten", "101%", "-1", "01", "5 %", "10000000"] {
            assert!(count_or_percent("maxErrors", bad, true).is_err(), "{bad}");
        }
        assert_eq!(count_or_percent("maxConcurrency", "1", false), Ok(()));
        for bad in ["0", "0%"] {
            assert!(
                count_or_percent("maxConcurrency", bad, false).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn lengths_counts_and_tag_characters() {
        assert_eq!(length("namespace", "AWS/EC2", 1, 255), Ok(()));
        assert!(length("namespace", "", 1, 255).is_err());
        assert!(length("namespace", &"n".repeat(256), 1, 255).is_err());
        assert_eq!(at_most("dimensions", 30, 30), Ok(()));
        assert!(at_most("dimensions", 31, 30).is_err());
        assert_eq!(tag_characters("tag key", "Cost Center:é/1=+-@_."), Ok(()));
        assert!(tag_characters("tag key", "semi;colon").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(date("d", "2026-12-31"), Ok(()));
        assert!(date("d", "2026-13-01").is_err());
        assert!(date("d", "31/12/2026").is_err());
    }
}
