//! `driftless audit` output: per target and rule, the COMPLIANT and NON_COMPLIANT
//! resources, and the targets that could not be read, as text, JSON or markdown. Pure: the audit is computed once
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
    for target in audit.targets.iter().filter(|t| !audit.failed(t)) {
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
        plural(audit.targets.len() - audit.errors.len(), "target")
    )
}

/// `1 target failed and was not audited: b.`; `None` when every target was read.
pub fn failed_line(audit: &Audit) -> Option<String> {
    if audit.errors.is_empty() {
        return None;
    }
    let names: Vec<&str> = audit.errors.iter().map(|e| e.target.as_str()).collect();
    let verb = if names.len() == 1 { "was" } else { "were" };
    Some(format!(
        "{} failed and {verb} not audited: {}.",
        plural(names.len(), "target"),
        names.join(", ")
    ))
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
                    "    {:<13} {} {}{why} ({}){}",
                    e.compliance.as_str(),
                    e.kind,
                    e.name,
                    managed(e),
                    config_verdict(e)
                );
            }
        }
        out.push('\n');
    }
    for e in &audit.errors {
        let _ = writeln!(out, "target {}\n  error: {}", e.target, e.message);
        if let Some(hint) = &e.hint {
            let _ = writeln!(out, "    hint: {hint}");
        }
        out.push('\n');
    }
    out.push_str(&summary_line(audit));
    out.push('\n');
    if let Some(line) = failed_line(audit) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(d) = &audit.disagreements {
        let _ = writeln!(
            out,
            "AWS Config disagrees on {}.",
            plural(d.len(), "resource")
        );
        for d in d {
            let _ = writeln!(
                out,
                "  {} {} {} {}: driftless {}, AWS Config {}",
                d.target,
                d.rule,
                d.kind,
                d.name,
                d.driftless.as_str(),
                d.config
            );
        }
    }
    out
}

/// ` [AWS Config: NON_COMPLIANT]` with `--config-results` (`no result` when it has
/// none), else nothing.
fn config_verdict(e: &ResourceEvaluation) -> String {
    match &e.config {
        Some(serde_json::Value::String(c)) => format!(" [AWS Config: {c}]"),
        Some(_) => " [AWS Config: no result]".to_string(),
        None => String::new(),
    }
}

pub fn markdown(audit: &Audit) -> String {
    let mut out = String::from("### driftless audit\n\n");
    let _ = writeln!(
        out,
        "**{}**\n\nRevision `{}`.\n",
        summary_line(audit),
        audit.revision
    );
    if let Some(line) = failed_line(audit) {
        let _ = writeln!(out, "**{line}**\n");
    }
    for e in &audit.errors {
        let _ = writeln!(
            out,
            "> **error:** target `{}`: `{}`",
            e.target.replace('`', "'"),
            e.message.replace('`', "'")
        );
        if let Some(hint) = &e.hint {
            let _ = writeln!(out, "> hint: {}", hint.replace('_', "\\_"));
        }
        out.push('\n');
    }
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
