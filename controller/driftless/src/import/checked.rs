//! The last check of `driftless import`: the files validated together, as
//! `driftless validate` will read them, the loader's guardrails included
//! (`maintenance-backup-overlap-check` needs the clock, so the pure writer cannot run
//! it). Every document an error points at is left out with that error as a note,
//! until the output validates: import never writes a repository validate refuses.

use crate::source::Snapshot;
use crate::spec::{Diagnostic, SourceFile};
use crate::validate::{load_snapshot, LoadError};

/// Leaves out of `files` (path → text) the documents the errors of validating them
/// together point at; returns one note per document left out, and how many were.
pub fn leave_out_invalid(files: &mut Vec<(String, String)>) -> (Vec<String>, usize) {
    let mut notes = Vec::new();
    let mut removed = 0;
    // Each round removes at least one document, so this ends.
    loop {
        let errors: Vec<Diagnostic> = match load_snapshot(snapshot(files)) {
            Ok(_) | Err(LoadError::Source(_)) => return (notes, removed),
            Err(LoadError::Invalid(d)) => d.into_iter().filter(|d| d.is_error()).collect(),
        };
        let before = removed;
        for e in &errors {
            // driftless.yaml is the repository's own, copied, never left out.
            let ours = |p: &String| *p == e.path && !p.ends_with("driftless.yaml");
            let Some((path, text)) = files.iter_mut().find(|(p, _)| ours(p)) else {
                continue;
            };
            if let Some(left) = without_document_at(text, e.line) {
                let hint = e
                    .hint
                    .as_ref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                notes.push(format!(
                    "{path}: a document left out, it does not validate with the rest of the import: {}:{}:{}: {}{hint}",
                    e.path, e.line, e.column, e.message
                ));
                *text = left;
                removed += 1;
            }
        }
        files.retain(|(_, text)| !text.trim().is_empty());
        if removed == before {
            notes.extend(errors.iter().map(|e| {
                format!("the imported repository does not validate (a bug; please report it): {e}")
            }));
            return (notes, removed);
        }
    }
}

fn snapshot(files: &[(String, String)]) -> Snapshot {
    Snapshot {
        files: files
            .iter()
            .map(|(path, text)| SourceFile {
                relative: path.clone(),
                display: path.clone(),
                text: text.clone(),
            })
            .collect(),
        revision: "import".into(),
        diagnostics: Vec::new(),
    }
}

/// `text` (documents separated by `---` lines) without the document holding `line`
/// (1-based); `None` when `line` is not in a document.
fn without_document_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    if line == 0 || line > lines.len() || lines[line - 1] == "---" {
        return None;
    }
    let start = lines[..line - 1]
        .iter()
        .rposition(|l| *l == "---")
        .map_or(0, |i| i + 1);
    let end = lines[line..]
        .iter()
        .position(|l| *l == "---")
        .map_or(lines.len(), |i| line + i);
    // The separator goes with the document: the one after it, else the one before.
    let (from, to) = match (start, end) {
        (_, e) if e < lines.len() => (start, e + 1),
        (0, _) => (0, end),
        (s, _) => (s - 1, end),
    };
    let kept: Vec<&str> = lines[..from].iter().chain(&lines[to..]).copied().collect();
    Some(if kept.is_empty() {
        String::new()
    } else {
        kept.join("\n") + "\n"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str =
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata:\n  name: /a\nspec: {}\n";

    #[test]
    fn a_document_is_cut_out_with_its_separator() {
        let other = GROUP.replace("/a", "/b");
        let text = format!("{GROUP}---\n{other}");
        assert_eq!(without_document_at(&text, 4).unwrap(), other);
        assert_eq!(without_document_at(&text, 9).unwrap(), GROUP);
        assert_eq!(without_document_at(&text, 6), None);
        assert_eq!(without_document_at(GROUP, 2).unwrap(), "");
    }

    #[test]
    fn documents_that_do_not_validate_together_are_left_out_until_the_rest_does() {
        // The same log group in two files: each valid alone, not together.
        let mut files = vec![
            ("a.yaml".to_string(), GROUP.to_string()),
            (
                "b.yaml".to_string(),
                format!("{}---\n{GROUP}", GROUP.replace("/a", "/b")),
            ),
            (
                "driftless.yaml".to_string(),
                "guardrails:\n  - rule: cw-loggroup-retention-period-check\n    enforcement: warn\n"
                    .to_string(),
            ),
        ];
        let (notes, removed) = leave_out_invalid(&mut files);
        assert_eq!(removed, 1, "{notes:?}");
        assert!(
            notes[0].contains("LogGroup `/a` is defined twice"),
            "{notes:?}"
        );
        assert!(load_snapshot(snapshot(&files)).is_ok(), "{files:?}");
        let texts: String = files.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts.matches("name: /a").count(), 1, "{texts}");
        assert!(texts.contains("name: /b"), "{texts}");
    }
}
