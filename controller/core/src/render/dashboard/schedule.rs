//! The schedule page: the coming days' maintenance-window and backup runs, by UTC
//! day, each in its own zone too, with the runs of an overlap marked and the
//! overlaps listed (the same calendar as `driftless schedule`).

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::page::{esc, layout, Nav};
use crate::render::schedule::overlap_line;
use crate::schedule::calendar::{Calendar, Run};

/// The most runs listed; the rest are counted.
pub const MAX_RUNS_SHOWN: usize = 2_000;

fn overlapping(c: &Calendar, r: &Run) -> bool {
    let span = (r.start, r.end);
    c.overlaps
        .iter()
        .any(|o| o.target == r.target && (o.window_run == span || o.backup_run == span))
}

fn hm(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

/// The schedule page for `c`; `note` says why it may be empty (no valid revision
/// yet).
pub fn schedule(c: &Calendar, note: Option<&str>) -> String {
    let mut main = format!(
        "<h1>Schedule</h1><p>Maintenance windows and backup runs from {} to {} (UTC).</p>",
        c.from.format("%Y-%m-%d %H:%M"),
        c.until.format("%Y-%m-%d %H:%M")
    );
    if let Some(n) = note {
        let _ = write!(main, "<p class=\"warn\">{}</p>", esc(n));
    }
    main.push_str(&overlaps(c));
    let mut day = None;
    let mut open = false;
    for r in c.runs.iter().take(MAX_RUNS_SHOWN) {
        let this = r.start.date_naive();
        if day != Some(this) {
            if open {
                main.push_str("</tbody></table></div></section>");
            }
            let _ = write!(
                main,
                "<section><h2>{}</h2><div class=\"scroll\"><table><thead><tr>\
                 <th scope=\"col\">UTC</th><th scope=\"col\">Local</th><th scope=\"col\">Target</th>\
                 <th scope=\"col\">Kind</th><th scope=\"col\">Name</th><th scope=\"col\">Schedule</th>\
                 </tr></thead><tbody>",
                this.format("%A %Y-%m-%d")
            );
            day = Some(this);
            open = true;
        }
        main.push_str(&run_row(c, r));
    }
    if open {
        main.push_str("</tbody></table></div></section>");
    }
    if c.runs.is_empty() {
        main.push_str("<p>No runs in this time.</p>");
    } else if c.runs.len() > MAX_RUNS_SHOWN {
        let _ = write!(
            main,
            "<p>{} more runs not listed: <code>driftless schedule</code> lists them all.</p>",
            c.runs.len() - MAX_RUNS_SHOWN
        );
    }
    layout("Schedule", Nav::Schedule, &main)
}

fn run_row(c: &Calendar, r: &Run) -> String {
    let mark = if overlapping(c, r) {
        " <strong class=\"overlap\">overlap</strong>"
    } else {
        ""
    };
    let (ls, le) = (
        r.start.with_timezone(&r.timezone),
        r.end.with_timezone(&r.timezone),
    );
    format!(
        "<tr{class}><td>{} → {}</td><td>{} → {} {}</td><td>{}</td><td>{}</td><td>{}{mark}</td><td><code>{}</code></td></tr>",
        hm(r.start),
        r.end.format("%m-%d %H:%M"),
        ls.format("%H:%M"),
        le.format("%m-%d %H:%M"),
        esc(r.timezone.name()),
        esc(&r.target),
        r.kind,
        esc(&r.name),
        esc(&r.rule),
        class = if mark.is_empty() { "" } else { " class=\"overlap\"" },
    )
}

fn overlaps(c: &Calendar) -> String {
    if c.overlaps.is_empty() {
        return "<p>No backup overlaps a maintenance window on the same instances.</p>".into();
    }
    let mut out = format!(
        "<section aria-labelledby=\"overlaps\"><h2 id=\"overlaps\" class=\"warn\">{} overlap{}</h2><ul>",
        c.overlaps.len(),
        if c.overlaps.len() == 1 { "" } else { "s" }
    );
    for o in &c.overlaps {
        let _ = write!(out, "<li>{}</li>", esc(&overlap_line(o)));
    }
    out.push_str("</ul></section>");
    out
}
