//! `driftless audit` output: per target and rule, the COMPLIANT and NON_COMPLIANT
//! resources, as text, JSON or markdown. Pure: the audit is computed once
//! (`crate::audit`) and only printed here.

use std::fmt::Write;

use crate::audit::{Audit, Compliance, ResourceEvaluation};
use crate::spec::diagnostic::plural;
use crate::spec::wire_name;

pub fn json(audit: &Audit) -> String {
    let mut out = serde_json::to_string_pretty(audit).unwrap_or_default();
    out.push('\n');
    out
}

/// Where a resource is managed: its spec file, or "not managed by driftless".
fn managed(e: &ResourceEvaluation) -> String {
    match (&e.spec, e.owned) {
        (Some(at), true) => at.clone(),
        (Some(at), false) => format!("{at}, not owned yet"),
        (None, true) => "owned, no longer in the repository".into(),
        (None, false) => "not managed by driftless".into(),
    }
}

/// Evaluations grouped by target, then by rule (in order).
fn groups(audit: &Audit) -> Vec<(&str, Vec<Vec<&ResourceEvaluation>>)> {
    let mut out: Vec<(&str, Vec<Vec<&ResourceEvaluation>>)> = Vec::new();
    for target in &audit.targets {
        let mut rules: Vec<Vec<&ResourceEvaluation>> = Vec::new();
        for e in audit.evaluations.iter().filter(|e| &e.target == target) {
            match rules.last_mut() {
                Some(last) if last[0].rule == e.rule && last[0].enforcement == e.enforcement => {
                    last.push(e)
                }
                _ => rules.push(vec![e]),
            }
        }
        out.push((target, rules));
    }
    out
}

pub fn summary_line(audit: &Audit) -> String {
    format!(
        "Audit: {} compliant, {} non-compliant in {}.",
        audit.summary.compliant,
        audit.summary.non_compliant,
        plural(audit.targets.len(), "target")
    )
}

/// Said when driftless.yaml has no guardrails.
const NO_GUARDRAILS: &str = "driftless.yaml has no `guardrails`, so there is nothing to audit; add rules such as `- rule: cw-loggroup-retention-period-check`";

pub fn text(audit: &Audit) -> String {
    let mut out = String::new();
    if audit.guardrails == 0 {
        let _ = writeln!(out, "{NO_GUARDRAILS}");
    }
    for (target, rules) in groups(audit) {
        let _ = writeln!(out, "target {target}");
        if rules.is_empty() {
            out.push_str("    no resource the guardrails evaluate\n");
        }
        for evaluations in rules {
            let first = evaluations[0];
            let _ = writeln!(out, "  {} ({})", first.rule, wire_name(&first.enforcement));
            for e in evaluations {
                let why = if e.annotations.is_empty() {
                    String::new()
                } else {
                    format!(": {}", e.annotations.join("; "))
                };
                let _ = writeln!(
                    out,
                    "    {:<13} {} {}{why} ({})",
                    e.compliance.as_str(),
                    e.kind,
                    e.name,
                    managed(e)
                );
            }
        }
        out.push('\n');
    }
    out.push_str(&summary_line(audit));
    out.push('\n');
    out
}

pub fn markdown(audit: &Audit) -> String {
    let mut out = String::from("### driftless audit\n\n");
    let _ = writeln!(
        out,
        "**{}**\n\nRevision `{}`.\n",
        summary_line(audit),
        audit.revision
    );
    if audit.guardrails == 0 {
        let _ = writeln!(out, "{NO_GUARDRAILS}\n");
    }
    for (target, rules) in groups(audit) {
        let _ = writeln!(out, "#### target `{target}`\n");
        if rules.is_empty() {
            out.push_str("No resource the guardrails evaluate.\n\n");
            continue;
        }
        out.push_str(
            "| rule | compliance | resource | why | managed |\n| --- | --- | --- | --- | --- |\n",
        );
        for e in rules.into_iter().flatten() {
            let mark = match e.compliance {
                Compliance::Compliant => "COMPLIANT",
                Compliance::NonCompliant => ":x: NON_COMPLIANT",
            };
            let _ = writeln!(
                out,
                "| `{}` | {mark} | {} `{}` | {} | {} |",
                e.rule,
                e.kind,
                e.name.replace('`', "'"),
                e.annotations.join("; ").replace('|', "\\|"),
                managed(e)
            );
        }
        out.push('\n');
    }
    out
}
