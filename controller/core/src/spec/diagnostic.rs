//! Problems found in a desired-state repository, each tied to a file position.
//!
//! Every check in `spec` reports through [`Diagnostic`], never by returning early, so
//! one run shows every problem of the repository. Rendering (`path:line:column: error:
//! message` and JSON) lives here because it is the users' contract for bad input.

use std::fmt;

use serde::Serialize;

use super::yaml::Span;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    /// The file as the user named it (the repository folder joined with the relative
    /// path), so it can be opened from the current directory.
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// Lowercase, no trailing period, says what is wrong.
    pub message: String,
    /// What to do about it, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// `warning` for problems that do not make the repository invalid (a guardrail
    /// with `enforcement: warn`); errors leave the key out.
    #[serde(skip_serializing_if = "Severity::is_error")]
    pub severity: Severity,
    /// The guardrail broken, for guardrail findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// Whether a diagnostic blocks the revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

impl Severity {
    pub fn is_error(&self) -> bool {
        *self == Severity::Error
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl Diagnostic {
    pub fn new(path: &str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.to_string(),
            line: span.line.max(1),
            column: span.column.max(1),
            message: message.into(),
            hint: None,
            severity: Severity::Error,
            rule: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity.is_error()
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_opt_hint(mut self, hint: Option<String>) -> Diagnostic {
        self.hint = hint;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path,
            self.line,
            self.column,
            self.severity.as_str(),
            self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Renders diagnostics for a terminal or a log, sorted, with a closing count of the
/// errors (and of the warnings, when there are some).
pub fn render_text(diagnostics: &[Diagnostic]) -> String {
    let mut sorted = diagnostics.to_vec();
    sorted.sort();
    let mut out = render_lines(&sorted);
    let errors: Vec<&Diagnostic> = sorted.iter().filter(|d| d.is_error()).collect();
    let files = {
        let mut paths: Vec<&str> = errors.iter().map(|d| d.path.as_str()).collect();
        paths.dedup();
        paths.len()
    };
    let warnings = sorted.len() - errors.len();
    let also = if warnings > 0 {
        format!(" (and {})", plural(warnings, "warning"))
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{} in {}{also}; nothing was applied\n",
        plural(errors.len(), "error"),
        plural(files, "file")
    ));
    out
}

/// One diagnostic after the other, sorted, without a count (warnings of a valid
/// repository).
pub fn render_lines(diagnostics: &[Diagnostic]) -> String {
    let mut sorted = diagnostics.to_vec();
    sorted.sort();
    let mut out = String::new();
    for d in &sorted {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out
}

/// Renders diagnostics as a JSON list (the `--output json` of `validate`).
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    let mut sorted = diagnostics.to_vec();
    sorted.sort();
    let valid = !sorted.iter().any(Diagnostic::is_error);
    serde_json::to_string_pretty(&serde_json::json!({ "valid": valid, "errors": sorted }))
        .unwrap_or_default()
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The closest candidate to `word`, for "did you mean" hints.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let score = strsim::jaro_winkler(&lower, &c.to_ascii_lowercase());
            (c, score)
        })
        .filter(|(_, score)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_location_message_and_hint() {
        let d = Diagnostic::new(
            "ops/a.yaml",
            Span { line: 3, column: 5 },
            "unknown field `x`",
        )
        .with_hint("did you mean `y`?");
        assert_eq!(
            d.to_string(),
            "ops/a.yaml:3:5: error: unknown field `x`\n  hint: did you mean `y`?"
        );
    }

    #[test]
    fn suggestions_pick_the_closest_name() {
        let names = ["evaluationPeriods", "datapointsToAlarm", "period"];
        assert_eq!(
            did_you_mean("evaluationPeriod", names),
            Some("evaluationPeriods")
        );
        assert_eq!(did_you_mean("zzzz", names), None);
    }

    #[test]
    fn text_rendering_ends_with_a_count() {
        let d = Diagnostic::new("a.yaml", Span { line: 1, column: 1 }, "bad");
        let text = render_text(&[d.clone(), d]);
        assert!(
            text.ends_with("2 errors in 1 file; nothing was applied\n"),
            "{text}"
        );
    }
}
