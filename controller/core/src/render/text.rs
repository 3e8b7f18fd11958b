//! Terraform-style text: `+ ~ - -/+ !`, `field: live → desired`, a summary line, colour
//! on a terminal (the caller decides; `NO_COLOR` and `--no-color` turn it off).

use std::fmt::Write;

use super::{by_target, failed_line, field_line, next_runs_lines, no_changes_line, summary_line};
use crate::plan::{Action, Plan};

/// Whether to use ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, action: Action, text: &str) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match action {
            Action::Create => "32",
            Action::Update => "33",
            Action::Replace => "35",
            Action::Delete => "31",
            Action::Conflict => "1;31",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    fn bold(self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

pub fn render(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    for (target, changes) in by_target(&plan.changes) {
        let _ = writeln!(out, "{}", style.bold(&format!("target {target}")));
        for c in changes {
            let mut head = format!("{:>3} {} {}", c.action.symbol(), c.kind, c.name);
            if c.adopt {
                head.push_str(" (adopt)");
            }
            if c.report_only {
                head.push_str(" (report only: driftPolicy report)");
            }
            if c.drift {
                match &c.changed_by {
                    Some(by) => {
                        head.push_str(&format!(" (drift: changed outside git {})", by.describe()))
                    }
                    None => head.push_str(" (drift: changed outside git)"),
                }
            }
            let _ = writeln!(out, "  {}", style.paint(c.action, &head));
            if let Some(reason) = &c.reason {
                let _ = writeln!(out, "        # {reason}");
            }
            for f in &c.fields {
                let _ = writeln!(out, "        {}", field_line(c, f));
            }
            for line in next_runs_lines(c) {
                let _ = writeln!(out, "        # {line}");
            }
            if let Some(line) = super::backtest::backtest_line(c) {
                let _ = writeln!(out, "        # {line}");
            }
        }
        out.push('\n');
    }
    if !plan.would_delete_with_prune.is_empty() {
        let _ = writeln!(
            out,
            "Owned resources no longer in the repository (deleted only with --prune):"
        );
        for c in &plan.would_delete_with_prune {
            let line = format!("  - {} {} (target {})", c.kind, c.name, c.target);
            let _ = writeln!(out, "{}", style.paint(Action::Delete, &line));
            if let Some(reason) = &c.reason {
                let _ = writeln!(out, "        # {reason}");
            }
        }
        out.push('\n');
    }
    for e in &plan.errors {
        let _ = writeln!(out, "{}", style.bold(&format!("target {}", e.target)));
        let _ = writeln!(
            out,
            "  {}",
            style.paint(Action::Conflict, &format!("error: {}", e.message))
        );
        if let Some(hint) = &e.hint {
            let _ = writeln!(out, "    hint: {hint}");
        }
        out.push('\n');
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    if !plan.warnings.is_empty() {
        out.push('\n');
    }
    if plan.has_changes() {
        let _ = writeln!(out, "{}", style.bold(&summary_line(&plan.summary)));
    } else {
        let _ = writeln!(out, "{}", no_changes_line(plan));
    }
    if let Some(line) = failed_line(plan) {
        let _ = writeln!(out, "{}", style.paint(Action::Conflict, &line));
    }
    out
}
