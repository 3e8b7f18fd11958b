//! Markdown for a pull-request comment: a summary, then one collapsible section per
//! target with each change and its fields.

use std::fmt::Write;

use super::{by_target, failed_line, field_line, next_runs_lines, no_changes_line, summary_line};
use crate::plan::{Change, Plan, TargetError};
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
    target_errors(&mut out, &plan.errors);
    for (target, changes) in by_target(&plan.changes) {
        target_section(&mut out, target, &changes);
    }
    prune_list(&mut out, &plan.would_delete_with_prune);
    for w in &plan.warnings {
        let _ = writeln!(out, "> **warning:** {w}\n");
    }
    guardrails(&mut out, &plan.guardrails);
    out
}

/// The targets that could not be planned, each as a quote with its hint.
fn target_errors(out: &mut String, errors: &[TargetError]) {
    for e in errors {
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
}

/// One target's changes as a collapsible section, a bullet per change.
fn target_section(out: &mut String, target: &str, changes: &[&Change]) {
    let _ = writeln!(
        out,
        "<details open><summary>target <code>{target}</code>: {} change{}</summary>\n",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" }
    );
    for c in changes {
        let _ = writeln!(
            out,
            "- {} **{}** {}{}",
            code(c.action.symbol()),
            c.kind,
            code(&c.name),
            notes(c)
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
        if let Some(line) = super::backtest::backtest_line(c) {
            let _ = writeln!(out, "  - {}", code(&line));
        }
    }
    out.push_str("\n</details>\n\n");
}

/// ` (adopt, report only, drift: …)` after a change's name; empty when none apply.
fn notes(c: &Change) -> String {
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
    if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    }
}

/// The owned resources that only `--prune` would delete.
fn prune_list(out: &mut String, deletes: &[Change]) {
    if deletes.is_empty() {
        return;
    }
    out.push_str("Owned resources no longer in the repository (deleted only with `--prune`):\n\n");
    for c in deletes {
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
            r.non_compliant_resources
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
