//! `driftless schedule`'s outputs: text (each run in its zone and in UTC, then the
//! overlaps), JSON (cli.md: `{"from", "until", "runs", "overlaps"}`) and iCalendar
//! (RFC 5545), which an operations calendar can subscribe to. Prints, never decides.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use crate::schedule::calendar::{Calendar, Run};
use crate::schedule::overlap::Overlap;

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn local(run: &Run, t: DateTime<Utc>) -> String {
    t.with_timezone(&run.timezone)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `--output json`.
pub fn json(c: &Calendar) -> String {
    let runs: Vec<_> = c
        .runs
        .iter()
        .map(|r| {
            let mut v = json!({
                "target": r.target, "kind": r.kind, "name": r.name, "rule": r.rule,
                "start": rfc3339(r.start), "end": rfc3339(r.end),
                "timezone": r.timezone.name(),
                "localStart": local(r, r.start), "localEnd": local(r, r.end),
            });
            if r.approximate {
                v["approximate"] = json!(true);
            }
            v
        })
        .collect();
    let overlaps: Vec<_> = c.overlaps.iter().map(overlap_json).collect();
    let out = json!({
        "from": rfc3339(c.from), "until": rfc3339(c.until),
        "runs": runs, "overlaps": overlaps,
    });
    serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
}

fn overlap_json(o: &Overlap) -> serde_json::Value {
    json!({
        "target": o.target,
        "backupPlan": o.backup_plan, "backupRule": o.backup_rule, "selection": o.selection,
        "window": o.window, "windowTarget": o.window_target, "shared": o.shared,
        "backupRun": {"start": rfc3339(o.backup_run.0), "end": rfc3339(o.backup_run.1)},
        "windowRun": {"start": rfc3339(o.window_run.0), "end": rfc3339(o.window_run.1)},
    })
}

/// `--output text`: per target, each run in its zone, then in UTC.
pub fn text(c: &Calendar) -> String {
    let mut out = format!("Runs from {} until {}\n", rfc3339(c.from), rfc3339(c.until));
    let mut target = None;
    for r in &c.runs {
        if target != Some(&r.target) {
            let _ = writeln!(out, "\ntarget {}", r.target);
            target = Some(&r.target);
        }
        let (ls, le) = (
            r.start.with_timezone(&r.timezone),
            r.end.with_timezone(&r.timezone),
        );
        let _ = writeln!(
            out,
            "  {} → {} {} (UTC {} → {})  {} {}  {}{}",
            ls.format("%a %Y-%m-%d %H:%M"),
            le.format("%Y-%m-%d %H:%M %:z"),
            r.timezone.name(),
            r.start.format("%Y-%m-%d %H:%M"),
            r.end.format("%Y-%m-%d %H:%M"),
            r.kind,
            r.name,
            r.rule,
            if r.approximate {
                " (rate counted from --from)"
            } else {
                ""
            },
        );
    }
    if !c.overlaps.is_empty() {
        let _ = writeln!(
            out,
            "\nOverlaps (a backup while a window works on the same instances):"
        );
        for o in &c.overlaps {
            let _ = writeln!(out, "  {}", overlap_line(o));
        }
    }
    let _ = writeln!(
        out,
        "\n{} run{}, {} overlap{}.",
        c.runs.len(),
        if c.runs.len() == 1 { "" } else { "s" },
        c.overlaps.len(),
        if c.overlaps.len() == 1 { "" } else { "s" },
    );
    out
}

pub(crate) fn overlap_line(o: &Overlap) -> String {
    format!(
        "target {}: BackupPlan {} (UTC {} → {}) overlaps MaintenanceWindow {} (UTC {} → {}): {} (window target {}, selection {})",
        o.target,
        o.backup_rule,
        o.backup_run.0.format("%Y-%m-%d %H:%M"),
        o.backup_run.1.format("%Y-%m-%d %H:%M"),
        o.window,
        o.window_run.0.format("%Y-%m-%d %H:%M"),
        o.window_run.1.format("%Y-%m-%d %H:%M"),
        o.shared,
        o.window_target,
        o.selection,
    )
}

/// `--output ics`: one VEVENT per run, times in UTC, stable UIDs (target, kind,
/// name, start) so a subscribed calendar updates events instead of duplicating them.
pub fn ics(c: &Calendar, stamp: DateTime<Utc>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//driftless//schedule//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "X-WR-CALNAME:driftless schedule".into(),
    ];
    let basic = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    for r in &c.runs {
        let mut description = format!("{} in {}", r.rule, r.timezone.name());
        for o in c.overlaps.iter().filter(|o| {
            o.target == r.target && o.backup_rule == r.name && o.backup_run.0 == r.start
        }) {
            description.push_str(&format!("\n{}", overlap_line(o)));
        }
        let uid: String = format!("{}.{}.{}.{}", r.target, r.kind, r.name, basic(r.start))
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || ch == '.' || ch == '-' {
                    ch
                } else {
                    '-'
                }
            })
            .collect();
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!("UID:{uid}@driftless"),
            format!("DTSTAMP:{}", basic(stamp)),
            format!("DTSTART:{}", basic(r.start)),
            format!("DTEND:{}", basic(r.end)),
            format!(
                "SUMMARY:{}",
                escape(&format!("{} {} ({})", r.kind, r.name, r.target))
            ),
            format!("DESCRIPTION:{}", escape(&description)),
            format!("CATEGORIES:{}", r.kind),
            "END:VEVENT".into(),
        ]);
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l) + "\r\n").collect()
}

/// RFC 5545 TEXT: backslash, semicolon, comma and newline escaped.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// RFC 5545 folding: lines of at most 75 octets, continued with a leading space.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for ch in line.chars() {
        if width + ch.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += ch.len_utf8();
    }
    out
}
