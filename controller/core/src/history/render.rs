//! `driftless history` output, and its `--since` argument: pure functions over
//! [`ReconcileRecord`]s. Times are RFC 3339 in UTC, by a small civil-calendar
//! conversion (no date library).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::record::{ReconcileRecord, RevisionRecord};

/// The version of [`render_history_json`]'s shape.
pub const HISTORY_FORMAT_VERSION: u32 = 1;

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Unix seconds → `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339_utc(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn digits(text: &str, what: &str) -> Result<i64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad {what} {text:?}"));
    }
    text.parse().map_err(|_| format!("bad {what} {text:?}"))
}

/// Parses an RFC 3339 time (`2026-11-22T10:00:00Z`, `...+09:00`, fractional seconds
/// ignored) or a date alone (`2026-11-22`, midnight UTC) into Unix seconds.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let bad = || {
        format!("{text:?} is not an RFC 3339 time (like 2026-11-22T10:00:00Z) nor a duration (30m, 2h, 7d)")
    };
    let (date, rest) = match text.find(['T', 't', ' ']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let (Some(y), Some(mo), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if y.len() != 4 || mo.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let year = digits(y, "year").map_err(|_| bad())?;
    let month = digits(mo, "month").map_err(|_| bad())? as u32;
    let day = digits(d, "day").map_err(|_| bad())? as u32;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(bad());
    }
    let mut unix = days_from_civil(year, month, day) * 86_400;
    let Some(rest) = rest else {
        return Ok(unix);
    };
    // Split the offset off: `Z`, `+HH:MM` or `-HH:MM`.
    let (time, offset) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0)
    } else {
        let i = rest.rfind(['+', '-']).ok_or_else(bad)?;
        let (t, off) = (&rest[..i], &rest[i..]);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':').ok_or_else(bad)?;
        if oh.len() != 2 || om.len() != 2 {
            return Err(bad());
        }
        let (oh, om) = (
            digits(oh, "hour").map_err(|_| bad())?,
            digits(om, "minute").map_err(|_| bad())?,
        );
        if oh > 23 || om > 59 {
            return Err(bad());
        }
        (t, sign * (oh * 3600 + om * 60))
    };
    let time = time.split_once('.').map_or(time, |(t, frac)| {
        if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            ""
        } else {
            t
        }
    });
    let mut hms = time.split(':');
    let (Some(h), Some(mi), Some(s), None) = (hms.next(), hms.next(), hms.next(), hms.next())
    else {
        return Err(bad());
    };
    if h.len() != 2 || mi.len() != 2 || s.len() != 2 {
        return Err(bad());
    }
    let (h, mi, s) = (
        digits(h, "hour").map_err(|_| bad())?,
        digits(mi, "minute").map_err(|_| bad())?,
        digits(s, "second").map_err(|_| bad())?,
    );
    // 60 is a leap second; it lands on the next minute's first second.
    if h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    unix += h * 3600 + mi * 60 + s - offset;
    Ok(unix)
}

/// `--since`: an RFC 3339 time, or a duration back from `now_unix` (`90s`, `30m`,
/// `2h`, `7d`, `2w`). Pure: the caller passes the current time.
pub fn parse_since(text: &str, now_unix: i64) -> Result<i64, String> {
    let text = text.trim();
    if let Some(unit) = text.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        let number = &text[..text.len() - 1];
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            let scale: i64 = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => {
                    return Err(format!(
                        "{text:?}: unknown unit {unit:?}; use s, m, h, d or w (30m, 2h, 7d)"
                    ))
                }
            };
            let n: i64 = number
                .parse()
                .map_err(|_| format!("{text:?}: the number is too large"))?;
            let back = n
                .checked_mul(scale)
                .ok_or_else(|| format!("{text:?}: the duration is too large"))?;
            return Ok(now_unix.saturating_sub(back));
        }
    }
    parse_rfc3339(text)
}

/// Replaces control characters (terminal escapes in an error message, say) so that
/// stored text cannot disturb the terminal; newlines are kept.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

fn symbol(action: &str) -> &'static str {
    match action {
        "create" => "+",
        "update" => "~",
        "replace" => "-/+",
        "delete" => "-",
        "conflict" => "!",
        _ => "?",
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn push_error(out: &mut String, indent: &str, error: &str) {
    let mut lines = clean(error).lines().map(str::to_string).collect::<Vec<_>>();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let _ = writeln!(out, "{indent}error: {}", lines[0]);
    for line in &lines[1..] {
        let _ = writeln!(out, "{indent}       {line}");
    }
}

/// One block per reconcile, in the order given (newest first from the store):
///
/// ```text
/// 2026-11-22T10:00:00Z  prod-tokyo  9f1c2e7  applied  1.2s
///   2 changes, drift: 1 found, 1 corrected
///   ~ MetricAlarm web-cpu-high (ok, drift, changed by arn:aws:iam::123456789012:user/alice, PutMetricAlarm at 2026-11-22T09:58:00Z)
///   + LogGroup /app/web (failed)
///     error: AccessDenied
/// ```
pub fn render_history_text(records: &[ReconcileRecord]) -> String {
    render_history_text_with(records, &BTreeMap::new())
}

/// [`render_history_text`], with each git revision's commit (subject and author)
/// under its reconcile when `commits` knows it.
pub fn render_history_text_with(
    records: &[ReconcileRecord],
    commits: &BTreeMap<String, RevisionRecord>,
) -> String {
    if records.is_empty() {
        return "No reconciles recorded.\n".to_string();
    }
    let mut out = String::new();
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{}  {}  {}  {}  {}",
            format_rfc3339_utc(r.started_at_unix),
            clean(&r.target),
            clean(&r.revision),
            r.result,
            format_duration(r.duration_ms)
        );
        if let Some(c) = commits.get(&r.revision) {
            let _ = writeln!(
                out,
                "  commit: {} ({})",
                clean(&c.message),
                clean(&c.author)
            );
        }
        if let Some(d) = &r.departure {
            push_departure(&mut out, d);
            continue;
        }
        let _ = writeln!(
            out,
            "  {}, drift: {} found, {} corrected",
            plural(r.changes.len(), "change"),
            r.drift_found,
            r.drift_corrected
        );
        if r.repeated > 1 {
            let _ = writeln!(
                out,
                "  repeated: {} reconciles, the last at {}",
                r.repeated,
                format_rfc3339_utc(r.last_unix())
            );
        }
        for c in &r.changes {
            let drift = match (&c.changed_by, c.drift) {
                (Some(by), true) => format!(", drift, changed {}", clean(&by.describe())),
                (None, true) => ", drift".to_string(),
                (_, false) => String::new(),
            };
            let _ = writeln!(
                out,
                "  {} {} {} ({}{drift})",
                symbol(&c.action),
                clean(&c.kind),
                clean(&c.name),
                clean(&c.result)
            );
            if let Some(e) = &c.error {
                push_error(&mut out, "    ", e);
            }
        }
        if let Some(e) = &r.error {
            push_error(&mut out, "  ", e);
        }
    }
    out
}

/// A departed account's line: which account, why, and that its resources stay.
fn push_departure(out: &mut String, d: &super::record::Departure) {
    let _ = writeln!(
        out,
        "  account {} left the organization's scope ({}): not planned any more, its resources are retained (targets: {})",
        clean(&d.account),
        d.describe_reason(),
        clean(&d.targets.join(", "))
    );
}

fn format_duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{}.{}s", ms / 1000, ms % 1000 / 100)
    } else {
        format!("{}m{:02}s", ms / 60_000, ms % 60_000 / 1000)
    }
}

/// `{"formatVersion": 1, "reconciles": [...]}`, the records as serialised (camelCase)
/// with `startedAt` added in RFC 3339, pretty-printed, newest first.
pub fn render_history_json(records: &[ReconcileRecord]) -> String {
    render_history_json_with(records, &BTreeMap::new())
}

/// [`render_history_json`], with a `commit` object (sha, author, message,
/// committedAtUnix, fetchedAtUnix) on each reconcile whose revision `commits` knows.
pub fn render_history_json_with(
    records: &[ReconcileRecord],
    commits: &BTreeMap<String, RevisionRecord>,
) -> String {
    let reconciles: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "startedAt".into(),
                    serde_json::Value::String(format_rfc3339_utc(r.started_at_unix)),
                );
                // Every reconcile counts: a collapsed record stands for `repeated`.
                o.insert("repeated".into(), r.repeated.into());
                o.insert(
                    "lastAt".into(),
                    serde_json::Value::String(format_rfc3339_utc(r.last_unix())),
                );
                if let Some(c) = commits.get(&r.revision) {
                    o.insert("commit".into(), serde_json::to_value(c).unwrap_or_default());
                }
            }
            v
        })
        .collect();
    let doc = serde_json::json!({
        "formatVersion": HISTORY_FORMAT_VERSION,
        "reconciles": reconciles,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{ChangeRecord, ReconcileResult};

    #[test]
    fn formats_and_parses_times() {
        assert_eq!(format_rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339_utc(1_795_341_600), "2026-11-22T10:00:00Z");
        assert_eq!(format_rfc3339_utc(-1), "1969-12-31T23:59:59Z");
        for t in [
            0,
            1,
            86_399,
            951_782_400,
            1_795_341_600,
            4_102_444_800,
            -86_401,
        ] {
            assert_eq!(parse_rfc3339(&format_rfc3339_utc(t)), Ok(t));
        }
        assert_eq!(
            parse_rfc3339("2026-11-22T19:00:00+09:00"),
            Ok(1_795_341_600)
        );
        assert_eq!(
            parse_rfc3339("2026-11-22T05:30:00-04:30"),
            Ok(1_795_341_600)
        );
        assert_eq!(parse_rfc3339("2026-11-22t10:00:00.123z"), Ok(1_795_341_600));
        assert_eq!(parse_rfc3339("2026-11-22"), Ok(1_795_305_600));
    }

    #[test]
    fn parse_since_accepts_durations_and_times() {
        let now = 1_795_341_600;
        assert_eq!(parse_since("30m", now), Ok(now - 1800));
        assert_eq!(parse_since("2h", now), Ok(now - 7200));
        assert_eq!(parse_since("7d", now), Ok(now - 7 * 86_400));
        assert_eq!(parse_since("1w", now), Ok(now - 7 * 86_400));
        assert_eq!(parse_since("45s", now), Ok(now - 45));
        assert_eq!(parse_since(" 2026-11-22T10:00:00Z ", now), Ok(now));
        for bad in [
            "",
            "m",
            "5y",
            "-5m",
            "1.5h",
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-11-22T24:00:00Z",
            "2026-11-22T10:00Z",
            "2026-11-22T10:00:00",
            "2026-11-22T10:00:00+0900",
            "99999999999999999999d",
        ] {
            assert!(parse_since(bad, now).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_since("5y", now).unwrap_err().contains("unknown unit"));
    }

    pub(crate) fn sample() -> Vec<ReconcileRecord> {
        vec![
            ReconcileRecord {
                id: Some(2),
                started_at_unix: 1_795_341_600,
                duration_ms: 1234,
                target: "prod-tokyo".into(),
                revision: "9f1c2e7".into(),
                result: ReconcileResult::PartiallyApplied,
                changes: vec![
                    ChangeRecord {
                        kind: "MetricAlarm".into(),
                        name: "web-cpu-high".into(),
                        action: "update".into(),
                        fields: serde_json::json!([{"path": "threshold", "live": 80, "desired": 90}]),
                        drift: true,
                        result: "ok".into(),
                        error: None,
                        changed_by: Some(crate::plan::ChangedBy {
                            principal: "arn:aws:iam::123456789012:user/alice".into(),
                            event_name: "PutMetricAlarm".into(),
                            event_time: "2026-11-22T09:58:00Z".into(),
                            source_ip: "10.0.0.1".into(),
                            user_agent: "aws-cli/2".into(),
                        }),
                    },
                    ChangeRecord {
                        kind: "LogGroup".into(),
                        name: "/app/web".into(),
                        action: "create".into(),
                        fields: serde_json::json!([]),
                        drift: false,
                        result: "failed".into(),
                        error: Some("AccessDeniedException: not allowed\nsecond line".into()),
                        changed_by: None,
                    },
                ],
                drift_found: 1,
                drift_corrected: 1,
                error: None,
                repeated: 1,
                last_at_unix: None,
                departure: None,
            },
            ReconcileRecord {
                id: Some(1),
                started_at_unix: 1_795_341_540,
                duration_ms: 87,
                target: "prod-tokyo".into(),
                revision: "1a2b3c4".into(),
                result: ReconcileResult::Invalid,
                changes: vec![],
                drift_found: 0,
                drift_corrected: 0,
                error: Some("alarms.yaml:3:5: error: unknown field \u{1b}[31mthreshhold".into()),
                repeated: 1,
                last_at_unix: None,
                departure: None,
            },
        ]
    }

    #[test]
    fn renders_text() {
        insta::assert_snapshot!(render_history_text(&sample()));
        assert_eq!(render_history_text(&[]), "No reconciles recorded.\n");
    }

    #[test]
    fn renders_json() {
        let text = render_history_json(&sample());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["formatVersion"], 1);
        assert_eq!(v["reconciles"][0]["startedAt"], "2026-11-22T10:00:00Z");
        assert_eq!(v["reconciles"][0]["result"], "partially-applied");
        assert_eq!(v["reconciles"][0]["changes"][0]["fields"][0]["desired"], 90);
        let by = &v["reconciles"][0]["changes"][0]["changedBy"];
        assert_eq!(by["principal"], "arn:aws:iam::123456789012:user/alice");
        assert_eq!(by["eventName"], "PutMetricAlarm");
        assert!(v["reconciles"][0]["changes"][1].get("changedBy").is_none());
        assert!(v["reconciles"][1]["error"]
            .as_str()
            .unwrap()
            .contains("threshhold"));
        let back: Vec<ReconcileRecord> = serde_json::from_value(v["reconciles"].clone()).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn a_departure_says_which_account_left_why_and_that_its_resources_stay() {
        let mut departed = sample().remove(1);
        departed.result = ReconcileResult::Departed;
        departed.error = None;
        departed.departure = Some(crate::history::Departure {
            account: "222222222222".into(),
            targets: vec!["org-222222222222-us-east-1".into()],
            reason: "suspended".into(),
        });
        let text = render_history_text(std::slice::from_ref(&departed));
        assert!(
            text.contains("prod-tokyo  1a2b3c4  departed")
                && text.contains("account 222222222222 left the organization's scope (suspended)")
                && text.contains("resources are retained (targets: org-222222222222-us-east-1)"),
            "{text}"
        );
        let v: serde_json::Value =
            serde_json::from_str(&render_history_json(std::slice::from_ref(&departed))).unwrap();
        assert_eq!(v["reconciles"][0]["result"], "departed");
        assert_eq!(v["reconciles"][0]["departure"]["account"], "222222222222");
        assert_eq!(v["reconciles"][0]["departure"]["reason"], "suspended");
        let back: Vec<ReconcileRecord> = serde_json::from_value(v["reconciles"].clone()).unwrap();
        assert_eq!(back, vec![departed]);
    }

    #[test]
    fn a_collapsed_record_shows_how_many_reconciles_it_stands_for() {
        let mut quiet = sample().remove(1);
        quiet.result = ReconcileResult::NoChanges;
        quiet.error = None;
        quiet.repeated = 30;
        quiet.last_at_unix = Some(1_795_341_600);
        let text = render_history_text(std::slice::from_ref(&quiet));
        assert!(
            text.contains("  repeated: 30 reconciles, the last at 2026-11-22T10:00:00Z\n"),
            "{text}"
        );
        let v: serde_json::Value =
            serde_json::from_str(&render_history_json(&[quiet, sample().remove(0)])).unwrap();
        assert_eq!(v["reconciles"][0]["repeated"], 30);
        assert_eq!(v["reconciles"][0]["lastAt"], "2026-11-22T10:00:00Z");
        assert_eq!(v["reconciles"][1]["repeated"], 1);
        assert_eq!(v["reconciles"][1]["lastAt"], "2026-11-22T10:00:00Z");
    }

    #[test]
    fn shows_the_commit_of_a_revision_when_known() {
        let records = sample();
        let commits = BTreeMap::from([(
            records[0].revision.clone(),
            RevisionRecord {
                sha: records[0].revision.clone(),
                author: "Ops <ops@example.com>".into(),
                message: "raise the CPU threshold\u{1b}[31m".into(),
                committed_at_unix: 1,
                fetched_at_unix: 2,
            },
        )]);
        let text = render_history_text_with(&records, &commits);
        let second_line = text.lines().nth(1).unwrap();
        // Control characters from a commit message never reach the terminal.
        assert!(
            second_line.starts_with("  commit: raise the CPU threshold")
                && second_line.ends_with("(Ops <ops@example.com>)")
                && !second_line.contains('\u{1b}'),
            "{text}"
        );
        let v: serde_json::Value =
            serde_json::from_str(&render_history_json_with(&records, &commits)).unwrap();
        assert_eq!(
            v["reconciles"][0]["commit"]["author"],
            "Ops <ops@example.com>"
        );
        assert_eq!(v["reconciles"][0]["commit"]["fetchedAtUnix"], 2);
        // A revision without a recorded commit (a local folder) has none.
        assert!(v["reconciles"][1].get("commit").is_none(), "{v}");
    }
}
