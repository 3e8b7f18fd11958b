//! Notifications' pure half: what one reconcile of one target found
//! ([`Observation`]), what is announced ([`Notification`], its wording for SNS and
//! Slack-compatible webhooks), and the dedup state machine that decides what to
//! announce ([`Deduper::step`]: observation in, notifications out).
//!
//! No I/O, no clock, no async: the controller (`driftless run`) feeds observations and
//! sends what comes out; the senders, the notifier that drives them and the memory
//! saved in the state store are the `driftless` crate's (`controller::notify`).

mod dedup;

pub use dedup::Deduper;

use std::collections::BTreeMap;
use std::fmt;

use crate::plan::ChangedBy;
use crate::spec::config::NotificationEvent;

/// SNS subjects must be shorter than 100 characters.
const SUBJECT_MAX: usize = 99;
/// Resources named in a one-line summary; the details list them all (up to
/// `DETAILS_MAX`).
const SUMMARY_NAMES: usize = 3;
const DETAILS_MAX: usize = 50;
const DETAIL_CHARS: usize = 1000;

/// What one reconcile of one target found; the notifier turns a sequence of these into
/// deduplicated notifications.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    pub target: String,
    pub revision: String,
    /// Resources (`Kind/name`) whose live value differed from what driftless last
    /// applied. The complete list for this reconcile: a resource that was drifting and
    /// is missing here counts as no longer drifting, unless `apply_failed` is set (a
    /// failed reconcile's list may be partial, so then nothing counts as resolved).
    pub drift_detected: Vec<String>,
    /// Of those, the ones written back this reconcile.
    pub drift_corrected: Vec<String>,
    /// Who changed a drifted resource (by `Kind/name`), when CloudTrail knew; the
    /// detected and corrected announcements name them.
    pub changed_by: BTreeMap<String, ChangedBy>,
    /// Set when the reconcile failed (AWS error, a change that failed); the reason.
    pub apply_failed: Option<String>,
    /// Set when the latest revision is invalid: (revision, first error). The last good
    /// one is still enforced.
    pub invalid_revision: Option<(String, String)>,
    /// The live resources breaking a guardrail (`<rule> Kind/name`), the complete list
    /// of this reconcile's audit; `None` when no audit ran (no guardrails, or its read
    /// failed), so nothing counts as complying again.
    pub guardrail_violations: Option<Vec<String>>,
}

/// What a notification announces: an event of driftless.yaml `events`, or the end of
/// one (a recovery, sent when its event is enabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NotificationKind {
    DriftDetected,
    /// Drifting resources match what driftless last applied again, without driftless
    /// writing them back.
    DriftResolved,
    DriftCorrected,
    ApplyFailed,
    /// A failing target reconciles again.
    ApplyRecovered,
    RevisionInvalid,
    /// A valid revision was applied after an invalid one.
    RevisionValid,
    /// A live resource started to break a guardrail.
    GuardrailViolated,
    /// A resource that broke a guardrail complies again.
    GuardrailCompliant,
}

impl NotificationKind {
    /// The driftless.yaml event whose setting governs this kind.
    pub fn event(self) -> NotificationEvent {
        match self {
            NotificationKind::DriftDetected | NotificationKind::DriftResolved => {
                NotificationEvent::DriftDetected
            }
            NotificationKind::DriftCorrected => NotificationEvent::DriftCorrected,
            NotificationKind::ApplyFailed | NotificationKind::ApplyRecovered => {
                NotificationEvent::ApplyFailed
            }
            NotificationKind::RevisionInvalid | NotificationKind::RevisionValid => {
                NotificationEvent::RevisionInvalid
            }
            NotificationKind::GuardrailViolated | NotificationKind::GuardrailCompliant => {
                NotificationEvent::GuardrailViolated
            }
        }
    }

    /// The name in messages and in the SNS `event` attribute (`driftDetected`).
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::DriftDetected => "driftDetected",
            NotificationKind::DriftResolved => "driftResolved",
            NotificationKind::DriftCorrected => "driftCorrected",
            NotificationKind::ApplyFailed => "applyFailed",
            NotificationKind::ApplyRecovered => "applyRecovered",
            NotificationKind::RevisionInvalid => "revisionInvalid",
            NotificationKind::RevisionValid => "revisionValid",
            NotificationKind::GuardrailViolated => "guardrailViolated",
            NotificationKind::GuardrailCompliant => "guardrailCompliant",
        }
    }

    /// True for the end of a condition.
    pub fn is_recovery(self) -> bool {
        matches!(
            self,
            NotificationKind::DriftResolved
                | NotificationKind::ApplyRecovered
                | NotificationKind::RevisionValid
                | NotificationKind::GuardrailCompliant
        )
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One announcement: what happened, where, at which revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub kind: NotificationKind,
    pub target: String,
    /// The revision the target was reconciled at (for `RevisionInvalid`: the last good
    /// one, still enforced).
    pub revision: String,
    /// One line, e.g. `driftless: drift corrected on prod-tokyo at 9f1c2e7:
    /// MetricAlarm/web-cpu-high`.
    pub summary: String,
    /// The resources, the failure reason or the validation error, one per item.
    pub details: Vec<String>,
}

impl Notification {
    /// The whole message as plain text: the summary, the details, and what it is about.
    pub fn text(&self) -> String {
        let mut text = self.summary.clone();
        text.push('\n');
        if !self.details.is_empty() {
            text.push('\n');
            for detail in &self.details {
                text.push_str("- ");
                text.push_str(detail);
                text.push('\n');
            }
        }
        text.push_str(&format!(
            "\nevent: {}\ntarget: {}\nrevision: {}\n",
            self.kind, self.target, self.revision
        ));
        text
    }

    /// The summary as an SNS subject: ASCII without control characters, shorter than
    /// 100 characters.
    pub fn subject(&self) -> String {
        let ascii: String = self
            .summary
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if ascii.len() <= SUBJECT_MAX {
            ascii
        } else {
            format!("{}...", &ascii[..SUBJECT_MAX - 3])
        }
    }

    /// The message for a Slack-compatible webhook: `&`, `<` and `>` escaped as Slack's
    /// `mrkdwn` requires, so resource names cannot turn into links or mentions.
    pub fn slack_text(&self) -> String {
        let mut text = escape_slack(&self.summary);
        for detail in &self.details {
            text.push_str("\n• ");
            text.push_str(&escape_slack(detail));
        }
        text
    }
}

fn escape_slack(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A commit SHA as people quote it (`9f1c2e7`); other revisions as they are.
pub fn short_revision(revision: &str) -> &str {
    if revision.len() >= 12 && revision.bytes().all(|b| b.is_ascii_hexdigit()) {
        &revision[..7]
    } else {
        revision
    }
}

/// `a`, `a, b`, `a, b, c`, `a, b, c and 2 more`.
fn name_list(names: &[String]) -> String {
    let shown = names
        .iter()
        .take(SUMMARY_NAMES)
        .cloned()
        .collect::<Vec<_>>();
    let rest = names.len().saturating_sub(SUMMARY_NAMES);
    if rest == 0 {
        shown.join(", ")
    } else {
        format!("{} and {rest} more", shown.join(", "))
    }
}

/// A drifted resource as a detail line: `MetricAlarm/cpu (changed by <principal>,
/// <eventName> at <time>)` when its author is known, else the name alone.
fn attributed(resource: &str, changed_by: &BTreeMap<String, ChangedBy>) -> String {
    match changed_by.get(resource).filter(|by| by.is_known()) {
        Some(by) => format!("{resource} (changed {})", by.describe()),
        None => resource.to_string(),
    }
}

/// The first line of `text`, at most `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() <= max {
        line.to_string()
    } else {
        format!("{}...", line.chars().take(max - 3).collect::<String>())
    }
}

fn details_of(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let items: Vec<String> = items.into_iter().collect();
    let mut details: Vec<String> = items
        .iter()
        .take(DETAILS_MAX)
        .map(|d| truncate(d, DETAIL_CHARS))
        .collect();
    if items.len() > DETAILS_MAX {
        details.push(format!("... and {} more", items.len() - DETAILS_MAX));
    }
    details
}

/// `text` (line breaks kept), at most `max` characters.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}...", text.chars().take(max - 3).collect::<String>())
    }
}

#[cfg(test)]
mod tests;
