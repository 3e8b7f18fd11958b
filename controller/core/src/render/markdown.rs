//! Markdown for a pull-request comment: a summary, then one collapsible section per
//! target with each change and its fields.

use std::fmt::Write;

use super::{by_target, failed_line, field_line, next_runs_lines, no_changes_line, summary_line};
use crate::plan::{Change, Plan};
use crate::spec::guardrail::RuleReport;

/// Backticks in values would end a code span early.
fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}

pub fn render(plan: &Plan) -> String {
    let mut out = String::from("### driftless plan\n\n");
    if plan.has_changes() {
        let _ = writeln!(out, "**{}**", summary_line(&plan.summary));
    } else {
        let _ = writeln!(out, "**{}**", no_changes_line(plan));
    }
    if let Some(line) = failed_line(plan) {
        let _ = writeln!(out, "\n**{line}**");
    }
    let _ = writeln!(out, "\nRevision {}.\n", code(&plan.revision));
    for e in &plan.errors {
        let _ = writeln!(
            out,
            "> **error:** target {}: {}",
            code(&e.target),
            code(&e.message)
        );
        if let Some(hint) = &e.hint {
            let _ = writeln!(out, "> hint: {}", hint.replace('_', "\\_"));
        }
        out.push('\n');
    }
    for (target, changes) in by_target(&plan.changes) {
        let _ = writeln!(
            out,
            "<details open><summary>target <code>{target}</code>: {} change{}</summary>\n",
            changes.len(),
            if changes.len() == 1 { "" } else { "s" }
        );
        for c in changes {
            change(&mut out, c);
        }
        out.push_str("\n</details>\n\n");
    }
    if !plan.would_delete_with_prune.is_empty() {
        out.push_str(
            "Owned resources no longer in the repository (deleted only with `--prune`):\n\n",
        );
        for c in &plan.would_delete_with_prune {
            let _ = writeln!(
                out,
                "- `-` **{}** {} (target {})",
                c.kind,
                code(&c.name),
                code(&c.target)
            );
        }
        out.push('\n');
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "> **warning:** {w}\n");
    }
    guardrails(&mut out, &plan.guardrails);
    out
}

/// One change: its action, kind and name with notes, then its reason, fields and
/// next runs.
fn change(out: &mut String, c: &Change) {
    let mut notes = Vec::new();
    if c.adopt {
        notes.push("adopt".to_string());
    }
    if c.report_only {
        notes.push("report only".to_string());
    }
    match (&c.changed_by, c.drift) {
        (Some(by), true) => notes.push(format!("drift: changed outside git {}", by.describe())),
        (None, true) => notes.push("drift".to_string()),
        _ => {}
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    };
    let _ = writeln!(
        out,
        "- {} **{}** {}{notes}",
        code(c.action.symbol()),
        c.kind,
        code(&c.name)
    );
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "  - _{}_", reason.replace('_', "\\_"));
    }
    for f in &c.fields {
        let _ = writeln!(out, "  - {}", code(&field_line(c, f)));
    }
    for line in next_runs_lines(c) {
        let _ = writeln!(out, "  - {}", code(&line));
    }
}

/// The guardrails' results over the revision's documents: a table of every rule, then
/// the documents breaking `warn` ones (a `deny` one broken makes the revision invalid,
/// so it never reaches a plan).
fn guardrails(out: &mut String, reports: &[RuleReport]) {
    if reports.is_empty() {
        return;
    }
    out.push_str("#### Guardrails\n\n| rule | enforcement | evaluated | non-compliant |\n| --- | --- | --- | --- |\n");
    for r in reports {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            code(r.rule.as_str()),
            crate::spec::wire_name(&r.enforcement),
            r.evaluated,
            r.non_compliant.len()
        );
    }
    out.push('\n');
    for r in reports {
        for v in &r.non_compliant {
            let _ = writeln!(
                out,
                "- :warning: **{}** {} breaks {}: {} ({})",
                v.kind,
                code(&v.name),
                code(r.rule.as_str()),
                v.message.replace('_', "\\_"),
                code(&v.location)
            );
        }
    }
    if reports.iter().any(|r| !r.non_compliant.is_empty()) {
        out.push('\n');
    }
}
