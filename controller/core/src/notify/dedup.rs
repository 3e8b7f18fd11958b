//! The dedup state machine: a sequence of observations in, the notifications they
//! call for out. A condition that persists (a drift left in place, a target that
//! keeps failing, an invalid revision, a guardrail broken) is announced once when it
//! starts and once when it ends.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize as _;

use super::{
    attributed, details_of, name_list, one_line, short_revision, Notification, NotificationKind,
    Observation,
};
use crate::spec::config::NotificationEvent;

/// What the deduper remembers of one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct TargetMemory {
    /// Resources announced as drifting and neither resolved nor corrected since.
    drifting: BTreeSet<String>,
    /// The target's last reconcile failed (and that was announced).
    failing: bool,
    /// Guardrail violations announced and not yet over (`<rule> Kind/name`).
    #[serde(default)]
    violating: BTreeSet<String>,
}

/// The pure state machine that decides what to announce: no I/O, no clock.
///
/// - driftDetected: a resource is announced when it starts drifting, not again while
///   it keeps drifting; when it stops without driftless writing it back, one
///   `DriftResolved`. A resource driftless writes back leaves the drifting set silently
///   (its `DriftCorrected` says so), and is announced again if it drifts again.
/// - driftCorrected: every write-back, every time (an event, not a condition).
/// - applyFailed: once when a target goes from reconciling to failing, whatever the
///   reason says later; one `ApplyRecovered` at its next successful reconcile.
/// - revisionInvalid: once per invalid revision, for the whole repository (not per
///   target); one `RevisionValid` when a target next reconciles a valid revision
///   successfully.
/// - guardrailViolated: a live resource is announced when it starts to break a rule,
///   not again while it keeps breaking it; one `GuardrailCompliant` when it no longer
///   does (or is gone), judged only from an audit that ran.
///
/// Memory is kept for every event, enabled or not; only enabled ones are returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deduper {
    enabled: BTreeSet<NotificationEvent>,
    targets: BTreeMap<String, TargetMemory>,
    /// The invalid revision announced last, until a valid one is applied.
    invalid: Option<String>,
}

impl Deduper {
    pub fn new(enabled: &[NotificationEvent]) -> Deduper {
        Deduper {
            enabled: enabled.iter().copied().collect(),
            targets: BTreeMap::new(),
            invalid: None,
        }
    }

    /// Takes over what `previous` remembers (the enabled events stay this one's), so a
    /// notifier rebuilt for a new driftless.yaml does not announce again what is known.
    pub fn remember_from(&mut self, previous: &Deduper) {
        self.targets = previous.targets.clone();
        self.invalid = previous.invalid.clone();
    }

    /// What has been announced, as JSON, to be kept across restarts.
    pub fn memory(&self) -> serde_json::Value {
        serde_json::json!({"targets": self.targets, "invalid": self.invalid})
    }

    /// Takes over a memory saved by [`Deduper::memory`] (by an earlier process). Returns
    /// false, changing nothing, when it cannot be read (then conditions that still
    /// hold are announced again: better twice than never).
    pub fn restore(&mut self, memory: &serde_json::Value) -> bool {
        #[derive(serde::Deserialize)]
        struct Saved {
            targets: BTreeMap<String, TargetMemory>,
            invalid: Option<String>,
        }
        match Saved::deserialize(memory) {
            Ok(saved) => {
                self.targets = saved.targets;
                self.invalid = saved.invalid;
                true
            }
            Err(_) => false,
        }
    }

    /// Feeds one observation; returns the notifications it calls for, in this order:
    /// the invalid revision, the failure, drift (detected, corrected, resolved),
    /// guardrails, then the recoveries.
    pub fn step(&mut self, obs: &Observation) -> Vec<Notification> {
        let mut out = Vec::new();
        let revision_valid = self.revision_news(obs, &mut out);
        let announce_corrected = self.enabled.contains(&NotificationEvent::DriftCorrected);
        let memory = self.targets.entry(obs.target.clone()).or_default();
        let apply_recovered = failure_news(memory, obs, &mut out);
        out.extend(drift_news(memory, obs, announce_corrected));
        out.extend(guardrail_news(memory, obs));
        out.extend(recoveries(obs, apply_recovered, revision_valid));
        out.retain(|n| self.enabled.contains(&n.kind.event()));
        out
    }

    /// Revisions: an invalid one is announced once, for all targets together. Returns
    /// the invalid revision that a successful reconcile of a valid one has ended.
    fn revision_news(&mut self, obs: &Observation, out: &mut Vec<Notification>) -> Option<String> {
        match &obs.invalid_revision {
            Some((bad, error)) if self.invalid.as_deref() != Some(bad.as_str()) => {
                self.invalid = Some(bad.clone());
                let at = short_revision(&obs.revision);
                out.push(notification(
                    obs,
                    NotificationKind::RevisionInvalid,
                    format!(
                        "driftless: revision {} is invalid, not applied; {} stays at {at}: {}",
                        short_revision(bad),
                        obs.target,
                        one_line(error, 160)
                    ),
                    details_of([
                        error.clone(),
                        format!(
                            "the last good revision ({at}) stays enforced until a valid one is pushed"
                        ),
                    ]),
                ));
                None
            }
            Some(_) => None,
            None if obs.apply_failed.is_none() => self.invalid.take(),
            None => None,
        }
    }
}

/// One notification about `obs`'s target and revision.
fn notification(
    obs: &Observation,
    kind: NotificationKind,
    summary: String,
    details: Vec<String>,
) -> Notification {
    Notification {
        kind,
        target: obs.target.clone(),
        revision: obs.revision.clone(),
        summary,
        details,
    }
}

/// Failures: announced once from OK to failing. Returns true when a failing target
/// reconciled again.
fn failure_news(memory: &mut TargetMemory, obs: &Observation, out: &mut Vec<Notification>) -> bool {
    match &obs.apply_failed {
        Some(reason) if !memory.failing => {
            memory.failing = true;
            out.push(notification(
                obs,
                NotificationKind::ApplyFailed,
                format!(
                    "driftless: apply failed on {} at {}: {}",
                    obs.target,
                    short_revision(&obs.revision),
                    one_line(reason, 160)
                ),
                details_of([reason.clone()]),
            ));
            false
        }
        Some(_) => false,
        None => std::mem::take(&mut memory.failing),
    }
}

/// The resources whose drift started, was corrected, and ended by itself in one
/// observation.
struct DriftNews {
    started: Vec<String>,
    corrected: Vec<String>,
    resolved: Vec<String>,
}

/// Updates the target's drifting set from an observation; returns what is news. A
/// failed reconcile's list may be partial, so then nothing counts as resolved.
fn drift_changes(
    memory: &mut TargetMemory,
    obs: &Observation,
    announce_corrected: bool,
) -> DriftNews {
    let failed = obs.apply_failed.is_some();
    let detected: BTreeSet<&String> = obs.drift_detected.iter().collect();
    let corrected: BTreeSet<&String> = obs.drift_corrected.iter().collect();
    // A drift found and written back in the same reconcile is one piece of news:
    // "corrected" says it (unless only driftDetected is wanted).
    let started = detected
        .iter()
        .filter(|r| !memory.drifting.contains(r.as_str()))
        .filter(|r| !(announce_corrected && corrected.contains(*r)))
        .map(|r| r.to_string())
        .collect();
    let resolved = if failed {
        Vec::new()
    } else {
        memory
            .drifting
            .iter()
            .filter(|r| !detected.contains(r) && !corrected.contains(r))
            .cloned()
            .collect()
    };
    if failed {
        memory
            .drifting
            .extend(detected.iter().map(|r| r.to_string()));
    } else {
        memory.drifting = detected.iter().map(|r| r.to_string()).collect();
    }
    for r in &corrected {
        memory.drifting.remove(r.as_str());
    }
    DriftNews {
        started,
        corrected: corrected.iter().map(|r| r.to_string()).collect(),
        resolved,
    }
}

/// Drift detected, corrected and resolved, in that order; the detected and corrected
/// resources name who changed them when known.
fn drift_news(
    memory: &mut TargetMemory,
    obs: &Observation,
    announce_corrected: bool,
) -> Vec<Notification> {
    let news = drift_changes(memory, obs, announce_corrected);
    let at = short_revision(&obs.revision);
    let by = |list: &[String]| -> Vec<String> {
        details_of(list.iter().map(|r| attributed(r, &obs.changed_by)))
    };
    [
        (
            NotificationKind::DriftDetected,
            "detected",
            by(&news.started),
            &news.started,
        ),
        (
            NotificationKind::DriftCorrected,
            "corrected",
            by(&news.corrected),
            &news.corrected,
        ),
        (
            NotificationKind::DriftResolved,
            "resolved",
            details_of(news.resolved.clone()),
            &news.resolved,
        ),
    ]
    .into_iter()
    .filter(|(_, _, _, list)| !list.is_empty())
    .map(|(kind, what, details, list)| {
        notification(
            obs,
            kind,
            format!(
                "driftless: drift {what} on {} at {at}: {}",
                obs.target,
                name_list(list)
            ),
            details,
        )
    })
    .collect()
}

/// Guardrail violations that started, and ones that ended, since the last audit
/// (nothing when no audit ran).
fn guardrail_news(memory: &mut TargetMemory, obs: &Observation) -> Vec<Notification> {
    let Some(now) = &obs.guardrail_violations else {
        return Vec::new();
    };
    let now: BTreeSet<String> = now.iter().cloned().collect();
    let started: Vec<String> = now.difference(&memory.violating).cloned().collect();
    let ended: Vec<String> = memory.violating.difference(&now).cloned().collect();
    memory.violating = now;
    let at = short_revision(&obs.revision);
    [
        (
            NotificationKind::GuardrailViolated,
            started,
            "guardrail broken",
        ),
        (
            NotificationKind::GuardrailCompliant,
            ended,
            "guardrail met again",
        ),
    ]
    .into_iter()
    .filter(|(_, list, _)| !list.is_empty())
    .map(|(kind, list, what)| {
        notification(
            obs,
            kind,
            format!(
                "driftless: {what} on {} at {at}: {}",
                obs.target,
                name_list(&list)
            ),
            details_of(list),
        )
    })
    .collect()
}

/// The ends of a failure and of an invalid revision, announced last.
fn recoveries(
    obs: &Observation,
    apply_recovered: bool,
    revision_valid: Option<String>,
) -> Vec<Notification> {
    let at = short_revision(&obs.revision);
    let mut out = Vec::new();
    if apply_recovered {
        out.push(notification(
            obs,
            NotificationKind::ApplyRecovered,
            format!("driftless: {} reconciles again at {at}", obs.target),
            Vec::new(),
        ));
    }
    if let Some(bad) = revision_valid {
        out.push(notification(
            obs,
            NotificationKind::RevisionValid,
            format!(
                "driftless: valid revision {at} applied on {} (revision {} was invalid)",
                obs.target,
                short_revision(&bad)
            ),
            Vec::new(),
        ));
    }
    out
}
