//! The context a kind's checks report into: the document's file, its YAML tree (for
//! positions) and the list of diagnostics being collected.

use std::collections::BTreeMap;

use super::diagnostic::Diagnostic;
use super::rules::{self, Check, Problem};
use super::yaml::{Node, PathSeg};

/// The tag that marks a resource as driftless's own.
pub const OWNERSHIP_TAG: &str = "driftless.dev/managed-by";

/// A path into a document, built up as a check descends (`spec.rules[2].schedule`).
#[derive(Debug, Clone, Default)]
pub struct At<'a>(Vec<PathSeg<'a>>);

impl<'a> At<'a> {
    /// The document's `spec`.
    pub fn spec() -> At<'a> {
        At(vec![PathSeg::Key("spec")])
    }

    pub fn root() -> At<'a> {
        At(Vec::new())
    }

    /// The value under `key`.
    pub fn k(&self, key: &'a str) -> At<'a> {
        let mut v = self.0.clone();
        v.push(PathSeg::Key(key));
        At(v)
    }

    /// The key `key` itself (for problems with the name of an entry).
    pub fn key_of(&self, key: &'a str) -> At<'a> {
        let mut v = self.0.clone();
        v.push(PathSeg::KeyOf(key));
        At(v)
    }

    /// The `i`th item of a list.
    pub fn i(&self, i: usize) -> At<'a> {
        let mut v = self.0.clone();
        v.push(PathSeg::Index(i));
        At(v)
    }
}

/// Where a document's problems go.
pub struct Cx<'a> {
    pub path: &'a str,
    pub root: &'a Node,
    pub out: &'a mut Vec<Diagnostic>,
}

impl Cx<'_> {
    /// Reports `problem` at the position of `at` (or of its deepest existing parent).
    pub fn report(&mut self, at: &At<'_>, problem: Problem) {
        let span = self.root.locate(&at.0);
        self.out
            .push(Diagnostic::new(self.path, span, problem.message).with_opt_hint(problem.hint));
    }

    /// The position of `at` (or of its deepest existing parent) in the document.
    pub fn span(&self, at: &At<'_>) -> super::yaml::Span {
        self.root.locate(&at.0)
    }

    pub fn error(&mut self, at: &At<'_>, message: impl Into<String>) {
        self.report(at, Problem::new(message));
    }

    /// AWS tag rules: at most 50 tags with driftless's ownership tag (so 49 of the
    /// spec's), keys 1-128 characters, values up to 256, no `aws:` prefix, and the
    /// ownership tag is driftless's to set.
    pub fn check_tags(&mut self, at: &At<'_>, tags: &BTreeMap<String, String>) {
        if tags.len() > 49 {
            self.report(
                at,
                Problem::new(format!(
                    "{} tags; AWS allows at most 50, and driftless adds its ownership tag",
                    tags.len()
                ))
                .hint("keep at most 49 tags, counting driftless.yaml's defaults.tags"),
            );
        }
        for (key, value) in tags {
            let key_at = at.key_of(key);
            if key == OWNERSHIP_TAG {
                self.report(
                    &key_at,
                    Problem::new(format!("tag `{OWNERSHIP_TAG}` is set by driftless itself"))
                        .hint("remove it; driftless adds it to every resource it creates"),
                );
            } else if key.is_empty() || key.chars().count() > 128 {
                self.error(&key_at, "tag keys are 1 to 128 characters long");
            } else if key.to_ascii_lowercase().starts_with("aws:") {
                self.error(
                    &key_at,
                    format!("tag key `{key}` uses the reserved prefix `aws:`"),
                );
            }
            if value.chars().count() > 256 {
                self.error(
                    &at.k(key),
                    format!("the value of tag `{key}` is longer than 256 characters"),
                );
            }
        }
    }

    /// The tag characters CloudWatch Logs and Systems Manager allow (their models'
    /// tag patterns; CloudWatch and Backup have none), for those kinds' tags.
    pub fn check_tag_characters(&mut self, at: &At<'_>, tags: &BTreeMap<String, String>) {
        for (key, value) in tags {
            self.check(&at.key_of(key), rules::tag_characters("tag key", key));
            self.check(&at.k(key), rules::tag_characters("tag value", value));
        }
    }

    /// Reports the problem of a failed rule, if any.
    pub fn check(&mut self, at: &At<'_>, check: Check) {
        if let Err(problem) = check {
            self.report(at, problem);
        }
    }
}
