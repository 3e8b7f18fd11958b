//! A target's page: its state, the drift seen recently field by field (live value,
//! git value, who changed it and when), failures with their hints, the last
//! reconciles and their changes, and the guardrail findings on its live resources.

use std::fmt::Write;

use super::home::{revision_html, TargetRow};
use super::page::{esc, layout, Nav};
use crate::audit::ResourceEvaluation;
use crate::plan::ChangedBy;

/// One drifted field: what was live, what git says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldView {
    pub path: String,
    /// JSON text.
    pub live: String,
    pub git: String,
}

/// One drifted resource seen by one reconcile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftView {
    /// `Kind/name`.
    pub resource: String,
    /// When the reconcile saw it (RFC 3339).
    pub at: String,
    /// Put back (else left in place and reported).
    pub corrected: bool,
    pub fields: Vec<FieldView>,
    pub changed_by: Option<ChangedBy>,
}

/// A failure and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureView {
    pub at: String,
    pub message: String,
    pub hint: Option<String>,
}

impl FailureView {
    /// A failure from a reason written as `what failed; hint: what to do`.
    pub fn from_reason(at: &str, reason: &str) -> FailureView {
        let (message, hint) = match reason.split_once("; hint: ") {
            Some((m, h)) => (m.to_string(), Some(h.to_string())),
            None => (reason.to_string(), None),
        };
        FailureView {
            at: at.to_string(),
            message,
            hint,
        }
    }
}

/// One reconcile from the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileView {
    pub at: String,
    pub revision: String,
    pub result: String,
    pub duration_ms: u64,
    /// `update MetricAlarm/cpu (ok)`.
    pub changes: Vec<String>,
    /// Quiet reconciles of one revision are one record.
    pub repeated: u32,
}

/// A target's page.
#[derive(Debug, Clone)]
pub struct TargetView {
    pub row: TargetRow,
    pub drifts: Vec<DriftView>,
    /// The current failure first, then those in the history.
    pub failures: Vec<FailureView>,
    pub reconciles: Vec<ReconcileView>,
    /// Guardrail rule → live resources breaking it, from the last audit.
    pub guardrails: Vec<(String, usize)>,
    /// Those resources, one per rule broken (bounded), and how many more there are.
    pub findings: Vec<ResourceEvaluation>,
    pub findings_omitted: usize,
    /// Already rendered charts (inline SVG).
    pub charts: String,
}

/// The page of one target.
pub fn target(view: &TargetView) -> String {
    let r = &view.row;
    let mut main = format!(
        "<p><a href=\"/\">← All targets</a></p><h1>{name}</h1>\
         <p><span class=\"state state-{state}\">{words}</span> <span class=\"message\">{message}</span></p>\
         <dl class=\"facts\"><dt>Account</dt><dd>{account}</dd><dt>Region</dt><dd>{region}</dd>\
         <dt>Shard</dt><dd>{shard}</dd><dt>Last applied</dt><dd>{revision}</dd>\
         <dt>Last reconcile</dt><dd>{last}</dd><dt>Next reconcile</dt><dd>{next}</dd></dl>",
        name = esc(&r.name),
        state = r.state.as_str(),
        words = esc(r.state.words()),
        message = esc(&r.message),
        account = esc(r.account.as_deref().unwrap_or("—")),
        region = esc(&r.region),
        shard = esc(&r.shard),
        revision = r.revision.as_ref().map_or("—".into(), revision_html),
        last = esc(r.last_reconcile.as_deref().unwrap_or("—")),
        next = esc(r.next_reconcile.as_deref().unwrap_or("—")),
    );
    main.push_str(&failures(&view.failures));
    main.push_str(&drifts(&view.drifts));
    main.push_str(&guardrails(view));
    main.push_str(&view.charts);
    main.push_str(&reconciles(&view.reconciles));
    layout(&r.name, Nav::None, &main)
}

fn failures(list: &[FailureView]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let mut out = String::from("<section aria-labelledby=\"failures\"><h2 id=\"failures\">Failures</h2><ul class=\"failures\">");
    for f in list {
        let _ = write!(
            out,
            "<li><time>{}</time> <span class=\"error\">{}</span>",
            esc(&f.at),
            esc(&f.message)
        );
        if let Some(h) = &f.hint {
            let _ = write!(
                out,
                "<p class=\"hint\"><strong>Hint:</strong> {}</p>",
                esc(h)
            );
        }
        out.push_str("</li>");
    }
    out.push_str("</ul></section>");
    out
}

fn changed_by(by: Option<&ChangedBy>) -> String {
    match by {
        Some(b) if b.is_known() => format!(
            "{} ({}) at {}",
            esc(&b.principal),
            esc(&b.event_name),
            esc(&b.event_time)
        ),
        _ => "unknown (no CloudTrail event found)".into(),
    }
}

fn drifts(list: &[DriftView]) -> String {
    let mut out = String::from("<section aria-labelledby=\"drift\"><h2 id=\"drift\">Drift</h2>");
    if list.is_empty() {
        out.push_str("<p>No drift seen recently.</p></section>");
        return out;
    }
    for d in list {
        let _ =
            write!(
            out,
            "<article class=\"drift\"><h3>{}</h3><p>Seen <time>{}</time>, {}. Changed by {}.</p>\
             <div class=\"scroll\"><table><thead><tr><th scope=\"col\">Field</th>\
             <th scope=\"col\">Live value</th><th scope=\"col\">Git value</th></tr></thead><tbody>",
            esc(&d.resource),
            esc(&d.at),
            if d.corrected { "corrected" } else { "left in place" },
            changed_by(d.changed_by.as_ref()),
        );
        for f in &d.fields {
            let _ = write!(
                out,
                "<tr><th scope=\"row\"><code>{}</code></th><td class=\"live\"><code>{}</code></td>\
                 <td class=\"git\"><code>{}</code></td></tr>",
                esc(&f.path),
                esc(&f.live),
                esc(&f.git)
            );
        }
        out.push_str("</tbody></table></div></article>");
    }
    out.push_str("</section>");
    out
}

fn guardrails(view: &TargetView) -> String {
    let counts = &view.guardrails;
    if counts.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<section aria-labelledby=\"guardrails\"><h2 id=\"guardrails\">Guardrail findings</h2>",
    );
    let broken: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(rule, n)| format!("<code>{}</code> ({n})", esc(rule)))
        .collect();
    if broken.is_empty() {
        let _ = write!(
            out,
            "<p>Every live resource complies with the {} guardrail{} (last audit).</p></section>",
            counts.len(),
            if counts.len() == 1 { "" } else { "s" }
        );
        return out;
    }
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let _ = write!(
        out,
        "<p>{total} finding{} on live resources at the last audit: {}.</p>\
         <div class=\"scroll\"><table class=\"findings\"><thead><tr><th scope=\"col\">Resource</th>\
         <th scope=\"col\">Rule</th><th scope=\"col\">Owned</th><th scope=\"col\">Why</th></tr></thead><tbody>",
        if total == 1 { "" } else { "s" },
        broken.join(", ")
    );
    for f in &view.findings {
        out.push_str(&finding_row(f));
    }
    out.push_str("</tbody></table></div>");
    if view.findings_omitted > 0 {
        let _ = write!(
            out,
            "<p>{} more not listed: <code>driftless audit --target {}</code> lists them all.</p>",
            view.findings_omitted,
            esc(&view.row.name)
        );
    }
    out.push_str("</section>");
    out
}

fn finding_row(f: &ResourceEvaluation) -> String {
    let arn = f
        .arn
        .as_deref()
        .map(|a| format!("<br><code class=\"arn\">{}</code>", esc(a)))
        .unwrap_or_default();
    let owned = match (f.owned, &f.spec) {
        (true, Some(spec)) => format!("owned: <code>{}</code>", esc(spec)),
        (true, None) => "owned".into(),
        (false, _) => "not owned".into(),
    };
    let why: Vec<String> = f.annotations.iter().map(|a| esc(a)).collect();
    format!(
        "<tr data-owned=\"{}\"><th scope=\"row\">{}/{}{arn}</th>\
         <td><code>{}</code> <span class=\"enforcement enforcement-{e}\">{e}</span></td>\
         <td class=\"owned\">{owned}</td><td>{}</td></tr>",
        f.owned,
        f.kind,
        esc(&f.name),
        f.rule.as_str(),
        if why.is_empty() {
            "—".into()
        } else {
            why.join("<br>")
        },
        e = match f.enforcement {
            crate::spec::guardrail::Enforcement::Deny => "deny",
            crate::spec::guardrail::Enforcement::Warn => "warn",
        },
    )
}

fn reconciles(list: &[ReconcileView]) -> String {
    let mut out = String::from(
        "<section aria-labelledby=\"history\"><h2 id=\"history\">Last reconciles</h2>\
         <div class=\"scroll\"><table><thead><tr><th scope=\"col\">Started</th>\
         <th scope=\"col\">Revision</th><th scope=\"col\">Result</th><th scope=\"col\">Took</th>\
         <th scope=\"col\">Changes</th></tr></thead><tbody>",
    );
    for r in list {
        let repeated = if r.repeated > 1 {
            format!(" (×{})", r.repeated)
        } else {
            String::new()
        };
        let changes: Vec<String> = r.changes.iter().map(|c| esc(c)).collect();
        let _ = write!(
            out,
            "<tr><td><time>{}</time>{repeated}</td><td><code>{}</code></td><td>{}</td>\
             <td>{} ms</td><td>{}</td></tr>",
            esc(&r.at),
            esc(r.revision.get(..12).unwrap_or(&r.revision)),
            esc(&r.result),
            r.duration_ms,
            if changes.is_empty() {
                "—".into()
            } else {
                changes.join("<br>")
            }
        );
    }
    if list.is_empty() {
        out.push_str("<tr><td colspan=\"5\">No reconcile recorded yet.</td></tr>");
    }
    out.push_str("</tbody></table></div></section>");
    out
}
