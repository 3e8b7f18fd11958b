//! Small charts as inline SVG (no script, no style attribute: colours come from the
//! stylesheet by class), each with a text summary for screen readers and a table
//! behind a `<details>` for exact figures.

use std::fmt::Write;

use super::page::esc;
use crate::history::ReconcileRecord;

/// Drift found and corrected on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayDrift {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub found: u32,
    pub corrected: u32,
}

impl DayDrift {
    /// The last `days` UTC days up to `now_unix`, oldest first, with the drift of
    /// `records` counted into each (records outside them are left out).
    pub fn per_day(records: &[ReconcileRecord], now_unix: i64, days: u32) -> Vec<DayDrift> {
        let today = now_unix.div_euclid(86_400);
        let first = today - i64::from(days.max(1)) + 1;
        let mut out: Vec<DayDrift> = (first..=today)
            .map(|d| DayDrift {
                day: crate::schedule::from_unix(d * 86_400)
                    .format("%Y-%m-%d")
                    .to_string(),
                found: 0,
                corrected: 0,
            })
            .collect();
        for r in records {
            let d = r.started_at_unix.div_euclid(86_400);
            if let Some(slot) = usize::try_from(d - first).ok().and_then(|i| out.get_mut(i)) {
                slot.found += r.drift_found;
                slot.corrected += r.drift_corrected;
            }
        }
        out
    }
}

const WIDTH: u32 = 560;
const HEIGHT: u32 = 140;
const BASE: u32 = 120;

fn scale(value: u64, max: u64) -> u32 {
    (value * 100).checked_div(max).unwrap_or(0) as u32
}

/// Bars of drift found and corrected per day.
pub fn drift_chart(days: &[DayDrift]) -> String {
    let found: u32 = days.iter().map(|d| d.found).sum();
    let corrected: u32 = days.iter().map(|d| d.corrected).sum();
    let max = days
        .iter()
        .map(|d| u64::from(d.found.max(d.corrected)))
        .max()
        .unwrap_or(0);
    let slot = WIDTH / (days.len().max(1) as u32);
    let bar = (slot / 2).saturating_sub(1).max(1);
    let mut svg = String::new();
    for (i, d) in days.iter().enumerate() {
        let x = i as u32 * slot;
        for (j, (value, class)) in [(d.found, "found"), (d.corrected, "corrected")]
            .into_iter()
            .enumerate()
        {
            let h = scale(u64::from(value), max);
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{bar}\" height=\"{h}\"><title>{}: {value} {class}</title></rect>",
                x + j as u32 * (bar + 1),
                BASE - h,
                esc(&d.day)
            );
        }
    }
    let label = format!(
        "Drift per day over {} days: {found} found, {corrected} corrected",
        days.len()
    );
    let rows: String = days
        .iter()
        .map(|d| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&d.day),
                d.found,
                d.corrected
            )
        })
        .collect();
    figure(
        "drift-chart",
        &label,
        &svg,
        days.first().map_or("", |d| d.day.as_str()),
        days.last().map_or("", |d| d.day.as_str()),
        &format!("<tr><th scope=\"col\">Day</th><th scope=\"col\">Found</th><th scope=\"col\">Corrected</th></tr>{rows}"),
    )
}

/// Bars of reconcile durations, oldest first: `(started, milliseconds)`.
pub fn durations_chart(points: &[(String, u64)]) -> String {
    let max = points.iter().map(|p| p.1).max().unwrap_or(0);
    let slot = WIDTH / (points.len().max(1) as u32);
    let bar = slot.saturating_sub(1).max(1);
    let mut svg = String::new();
    for (i, (at, ms)) in points.iter().enumerate() {
        let h = scale(*ms, max);
        let _ = write!(
            svg,
            "<rect class=\"duration\" x=\"{}\" y=\"{}\" width=\"{bar}\" height=\"{h}\"><title>{}: {ms} ms</title></rect>",
            i as u32 * slot,
            BASE - h,
            esc(at)
        );
    }
    let label = format!(
        "Durations of the last {} reconciles: longest {max} ms",
        points.len()
    );
    let rows: String = points
        .iter()
        .map(|(at, ms)| format!("<tr><td>{}</td><td>{ms}</td></tr>", esc(at)))
        .collect();
    figure(
        "duration-chart",
        &label,
        &svg,
        points.first().map_or("", |p| p.0.as_str()),
        points.last().map_or("", |p| p.0.as_str()),
        &format!(
            "<tr><th scope=\"col\">Started</th><th scope=\"col\">Milliseconds</th></tr>{rows}"
        ),
    )
}

fn figure(id: &str, label: &str, bars: &str, first: &str, last: &str, table: &str) -> String {
    format!(
        "<figure class=\"chart\" id=\"{id}\"><figcaption>{label}</figcaption>\
         <svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{label}\" preserveAspectRatio=\"none\">\
         <line class=\"axis\" x1=\"0\" y1=\"{BASE}\" x2=\"{WIDTH}\" y2=\"{BASE}\"></line>{bars}\
         <text x=\"0\" y=\"{HEIGHT}\" class=\"tick\">{first}</text>\
         <text x=\"{WIDTH}\" y=\"{HEIGHT}\" class=\"tick end\">{last}</text></svg>\
         <details><summary>Figures</summary><table>{table}</table></details></figure>",
        label = esc(label),
        first = esc(first),
        last = esc(last),
    )
}
