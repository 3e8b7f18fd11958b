//! Notifications from `driftless run`: drift detected, drift corrected, apply failed,
//! revision invalid, each sent to an SNS topic and/or a Slack-compatible webhook as
//! driftless.yaml `notifications` says.
//!
//! The reconcile loop feeds one [`Observation`] per target per reconcile. What to
//! announce is decided by [`Deduper`], a pure state machine: a condition that persists
//! (a drift left in place, a target that keeps failing, an invalid revision) is
//! announced once when it starts and once when it ends. Sending is best effort: a
//! failed delivery is logged and never fails a reconcile, and it is not retried.
//! A drift detected or corrected names who changed each resource when CloudTrail told
//! ([`Observation::changed_by`]).
//!
//! The Slack webhook URL is a secret (it is the credential): it is read from the
//! environment or a file, and never appears in logs, errors or `Debug` output, which
//! name its source instead ("the Slack webhook (from DRIFTLESS_SLACK_WEBHOOK_URL)").
//! The dedup state lives in memory and is saved in the state store by the controller
//! ([`Notifier::memory`] / [`Notifier::restore`]), so a restart does not announce
//! again what was already announced.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize as _;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::aws::sns::TopicPublisher;
use crate::aws::{error_chain, AwsError, AwsOptions};
use crate::plan::ChangedBy;
use crate::spec::config::{
    DriftlessConfig, NotificationEvent, NotificationsConfig, SlackNotifications, SnsNotifications,
    DEFAULT_TARGET,
};
use crate::spec::rules;

/// How long one webhook POST may take, connection included.
pub const SLACK_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a webhook's answer is read (for the log line of a failure).
const RESPONSE_CAP: usize = 4096;
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
fn one_line(text: &str, max: usize) -> String {
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

    /// Feeds one observation; returns the notifications it calls for, failures first.
    pub fn step(&mut self, obs: &Observation) -> Vec<Notification> {
        let mut out = Vec::new();
        let memory = self.targets.entry(obs.target.clone()).or_default();
        let failed = obs.apply_failed.is_some();
        let at = short_revision(&obs.revision);
        let notification = |kind, summary: String, details: Vec<String>| Notification {
            kind,
            target: obs.target.clone(),
            revision: obs.revision.clone(),
            summary,
            details,
        };

        // Revisions: once per invalid SHA, for all targets together.
        let mut revision_valid = None;
        match &obs.invalid_revision {
            Some((bad, error)) if self.invalid.as_deref() != Some(bad.as_str()) => {
                self.invalid = Some(bad.clone());
                out.push(notification(
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
            }
            Some(_) => {}
            None if !failed => revision_valid = self.invalid.take(),
            None => {}
        }

        // Failures: once from OK to failing.
        let mut apply_recovered = false;
        match &obs.apply_failed {
            Some(reason) if !memory.failing => {
                memory.failing = true;
                out.push(notification(
                    NotificationKind::ApplyFailed,
                    format!(
                        "driftless: apply failed on {} at {at}: {}",
                        obs.target,
                        one_line(reason, 160)
                    ),
                    details_of([reason.clone()]),
                ));
            }
            Some(_) => {}
            None => apply_recovered = std::mem::take(&mut memory.failing),
        }

        // Drift.
        let detected: BTreeSet<&String> = obs.drift_detected.iter().collect();
        let corrected: BTreeSet<&String> = obs.drift_corrected.iter().collect();
        // A drift found and written back in the same reconcile is one piece of news:
        // "corrected" says it (unless only driftDetected is wanted).
        let announce_corrected = self.enabled.contains(&NotificationEvent::DriftCorrected);
        let started: Vec<String> = detected
            .iter()
            .filter(|r| !memory.drifting.contains(r.as_str()))
            .filter(|r| !(announce_corrected && corrected.contains(*r)))
            .map(|r| r.to_string())
            .collect();
        let resolved: Vec<String> = if failed {
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
        if !started.is_empty() {
            out.push(notification(
                NotificationKind::DriftDetected,
                format!(
                    "driftless: drift detected on {} at {at}: {}",
                    obs.target,
                    name_list(&started)
                ),
                details_of(started.iter().map(|r| attributed(r, &obs.changed_by))),
            ));
        }
        if !corrected.is_empty() {
            let corrected: Vec<String> = corrected.iter().map(|r| r.to_string()).collect();
            out.push(notification(
                NotificationKind::DriftCorrected,
                format!(
                    "driftless: drift corrected on {} at {at}: {}",
                    obs.target,
                    name_list(&corrected)
                ),
                details_of(corrected.iter().map(|r| attributed(r, &obs.changed_by))),
            ));
        }
        if !resolved.is_empty() {
            out.push(notification(
                NotificationKind::DriftResolved,
                format!(
                    "driftless: drift resolved on {} at {at}: {}",
                    obs.target,
                    name_list(&resolved)
                ),
                details_of(resolved.clone()),
            ));
        }

        out.extend(Self::guardrails(memory, obs, at));

        // Recoveries last.
        if apply_recovered {
            out.push(notification(
                NotificationKind::ApplyRecovered,
                format!("driftless: {} reconciles again at {at}", obs.target),
                Vec::new(),
            ));
        }
        if let Some(bad) = revision_valid {
            out.push(notification(
                NotificationKind::RevisionValid,
                format!(
                    "driftless: valid revision {at} applied on {} (revision {} was invalid)",
                    obs.target,
                    short_revision(&bad)
                ),
                Vec::new(),
            ));
        }

        out.retain(|n| self.enabled.contains(&n.kind.event()));
        out
    }

    /// Violations that started, and ones that ended, since the last audit.
    fn guardrails(memory: &mut TargetMemory, obs: &Observation, at: &str) -> Vec<Notification> {
        let Some(now) = &obs.guardrail_violations else {
            return Vec::new();
        };
        let now: BTreeSet<String> = now.iter().cloned().collect();
        let started: Vec<String> = now.difference(&memory.violating).cloned().collect();
        let ended: Vec<String> = memory.violating.difference(&now).cloned().collect();
        memory.violating = now;
        let mut out = Vec::new();
        for (kind, list, what) in [
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
        ] {
            if !list.is_empty() {
                out.push(Notification {
                    kind,
                    target: obs.target.clone(),
                    revision: obs.revision.clone(),
                    summary: format!(
                        "driftless: {what} on {} at {at}: {}",
                        obs.target,
                        name_list(&list)
                    ),
                    details: details_of(list),
                });
            }
        }
        out
    }
}

/// Why the notifier could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("the Slack webhook URL is not set: environment variable `{var}` (driftless.yaml notifications.slack.webhookUrlEnv) is empty or unset\n  hint: set `{var}` in the controller's environment to the webhook URL, or change `webhookUrlEnv`")]
    SlackUrlUnset { var: String },
    #[error("cannot read the Slack webhook URL from `{path}`: {error}\n  hint: check that the file exists and is readable by driftless (driftless.yaml notifications.slack.webhookUrlFile)")]
    SlackUrlFile { path: String, error: String },
    #[error("{source_name} is not a usable URL: {reason}\n  hint: use the https:// URL the chat service gave for the incoming webhook (http:// only for 127.0.0.1 or localhost)")]
    SlackUrlInvalid { source_name: String, reason: String },
    #[error("cannot set up TLS for {source_name}: {reason}\n  hint: install the system's CA certificates (e.g. the `ca-certificates` package) or point SSL_CERT_FILE at a bundle")]
    Tls { source_name: String, reason: String },
    #[error("notifications.sns.topicArn `{arn}` is not an SNS topic ARN\n  hint: use `arn:aws:sns:REGION:ACCOUNT:NAME`; `driftless validate` shows the details")]
    TopicArn { arn: String },
    #[error("notifications.sns.target `{target}` is not a target of driftless.yaml\n  hint: name one of: {known}")]
    UnknownTarget { target: String, known: String },
    #[error("cannot set up SNS publishing to `{arn}`: {error}")]
    Sns { arn: String, error: AwsError },
}

/// A Slack-compatible incoming webhook. The URL is never shown: `Debug` and every
/// message name where it came from instead.
#[derive(Clone)]
struct SlackWebhook {
    url: hyper::Uri,
    /// `the Slack webhook (from DRIFTLESS_SLACK_WEBHOOK_URL)`.
    name: String,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl fmt::Debug for SlackWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackWebhook")
            .field("url", &"<redacted>")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SlackWebhook {
    /// Checks the URL (http or https; https unless the host is loopback) and builds the
    /// client: native root certificates for https.
    fn new(url: &str, name: String) -> Result<SlackWebhook, NotifyError> {
        let invalid = |reason: &str| NotifyError::SlackUrlInvalid {
            source_name: name.clone(),
            reason: reason.to_string(),
        };
        let uri: hyper::Uri = url
            .trim()
            .parse()
            .map_err(|_| invalid("it does not parse as a URL"))?;
        let host = uri.host().ok_or_else(|| invalid("it has no host"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") if is_loopback(host) => false,
            Some("http") => return Err(invalid("it is http://; webhooks need https://")),
            _ => return Err(invalid("only http:// and https:// URLs are supported")),
        };
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let connector = if https {
            builder
                .with_provider_and_native_roots(provider)
                .map_err(|e| NotifyError::Tls {
                    source_name: name.clone(),
                    reason: e.to_string(),
                })?
                .https_only()
                .enable_http1()
                .build()
        } else {
            // Plain http to this machine: TLS is never used, so no roots are needed.
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| NotifyError::Tls {
                    source_name: name.clone(),
                    reason: e.to_string(),
                })?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            builder
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .build()
        };
        Ok(SlackWebhook {
            url: uri,
            name,
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout: SLACK_TIMEOUT,
        })
    }

    /// POSTs `{"text": text}`; the error says what went wrong without the URL.
    async fn post(&self, text: &str) -> Result<(), String> {
        let body = serde_json::json!({ "text": text }).to_string();
        let request = hyper::Request::post(self.url.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(
                hyper::header::USER_AGENT,
                concat!("driftless/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| self.scrub(&e.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| error_chain(&e))?;
            let status = response.status();
            // Only a capped prefix of the answer is read; an oversized one is cut.
            let answer = match Limited::new(response.into_body(), RESPONSE_CAP)
                .collect()
                .await
            {
                Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
                Err(_) => String::new(),
            };
            if status.is_success() {
                Ok(())
            } else {
                Err(format!(
                    "answered {status}{}",
                    match one_line(&answer, 200) {
                        a if a.is_empty() => String::new(),
                        a => format!(": {a}"),
                    }
                ))
            }
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result.map_err(|e| self.scrub(&e)),
            Err(_) => Err(format!("no answer within {:?}", self.timeout)),
        }
    }

    /// Removes the URL and its path from a message, in case a lower layer quoted them.
    fn scrub(&self, text: &str) -> String {
        let mut text = text.replace(&self.url.to_string(), "<redacted>");
        let path = self.url.path_and_query().map(|p| p.as_str()).unwrap_or("");
        if path.len() > 1 {
            text = text.replace(path, "/<redacted>");
        }
        text
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Sends what [`Deduper`] decides to the configured destinations. `Send + Sync`: the
/// loop may share it between targets.
pub struct Notifier {
    sns: Option<TopicPublisher>,
    slack: Option<SlackWebhook>,
    deduper: Mutex<Deduper>,
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("destinations", &self.destinations())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// None when driftless.yaml has no `notifications`. Builds the SNS client with the
    /// same credential chain and endpoint override as the targets (the credentials of
    /// `sns.target`, default the first target; the region of the topic's ARN), and
    /// reads the Slack webhook URL from its environment variable or file.
    pub async fn from_config(
        config: &DriftlessConfig,
        aws: &AwsOptions,
    ) -> Result<Option<Notifier>, NotifyError> {
        let Some(settings) = &config.notifications else {
            return Ok(None);
        };
        let sns = match &settings.sns {
            Some(sns) => Some(publisher_for(config, sns, aws).await?),
            None => None,
        };
        Notifier::assemble(settings, sns, &|var| std::env::var(var).ok()).map(Some)
    }

    /// Like [`Notifier::from_config`], with a ready SNS publisher instead of one built
    /// from the credential chain (tests give one for the emulator). `sns` is used only
    /// when driftless.yaml configures `notifications.sns`.
    pub fn with_sns_publisher(
        config: &DriftlessConfig,
        sns: Option<TopicPublisher>,
    ) -> Result<Option<Notifier>, NotifyError> {
        let Some(settings) = &config.notifications else {
            return Ok(None);
        };
        let sns = sns.filter(|_| settings.sns.is_some());
        Notifier::assemble(settings, sns, &|var| std::env::var(var).ok()).map(Some)
    }

    fn assemble(
        settings: &NotificationsConfig,
        sns: Option<TopicPublisher>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Notifier, NotifyError> {
        let slack = match &settings.slack {
            Some(slack) => Some(slack_webhook(slack, env)?),
            None => None,
        };
        Ok(Notifier {
            sns,
            slack,
            deduper: Mutex::new(Deduper::new(&settings.enabled_events())),
        })
    }

    /// Limits how long one webhook POST may take (default [`SLACK_TIMEOUT`]).
    pub fn with_slack_timeout(mut self, timeout: Duration) -> Notifier {
        if let Some(slack) = &mut self.slack {
            slack.timeout = timeout;
        }
        self
    }

    /// Takes over what `previous` has already announced, for a notifier rebuilt after
    /// driftless.yaml changed.
    pub fn carry_over(&self, previous: &Notifier) {
        let remembered = lock(&previous.deduper).clone();
        lock(&self.deduper).remember_from(&remembered);
    }

    /// What has been announced ([`Deduper::memory`]), to save across restarts.
    pub fn memory(&self) -> serde_json::Value {
        lock(&self.deduper).memory()
    }

    /// Takes over a saved memory ([`Deduper::restore`]).
    pub fn restore(&self, memory: &serde_json::Value) -> bool {
        lock(&self.deduper).restore(memory)
    }

    /// Where notifications go, safe to log: the topic ARN, and the Slack webhook by the
    /// name of its source.
    pub fn destinations(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(sns) = &self.sns {
            out.push(format!("SNS topic {}", sns.topic_arn()));
        }
        if let Some(slack) = &self.slack {
            out.push(slack.name.clone());
        }
        out
    }

    /// Feeds one observation; sends what the dedup state says is new. Send failures are
    /// logged (tracing::warn!) with the redacted destination and never fail the
    /// reconcile. Returns what was sent (for tests and status), delivered or not.
    pub async fn observe(&self, obs: &Observation) -> Vec<Notification> {
        let notifications = lock(&self.deduper).step(obs);
        for n in &notifications {
            tokio::join!(self.send_sns(n), self.send_slack(n));
        }
        notifications
    }

    async fn send_sns(&self, n: &Notification) {
        let Some(sns) = &self.sns else { return };
        let attributes = [("event", n.kind.as_str()), ("target", n.target.as_str())];
        match sns.publish(&n.subject(), &n.text(), &attributes).await {
            Ok(message_id) => tracing::info!(
                event = n.kind.as_str(),
                target = %n.target,
                destination = %format!("SNS topic {}", sns.topic_arn()),
                message_id = %message_id,
                "notification sent"
            ),
            Err(e) => tracing::warn!(
                event = n.kind.as_str(),
                target = %n.target,
                destination = %format!("SNS topic {}", sns.topic_arn()),
                error = %e,
                hint = e.hint().unwrap_or_default(),
                "notification not delivered"
            ),
        }
    }

    async fn send_slack(&self, n: &Notification) {
        let Some(slack) = &self.slack else { return };
        match slack.post(&n.slack_text()).await {
            Ok(()) => tracing::info!(
                event = n.kind.as_str(),
                target = %n.target,
                destination = %slack.name,
                "notification sent"
            ),
            Err(error) => tracing::warn!(
                event = n.kind.as_str(),
                target = %n.target,
                destination = %slack.name,
                error = %error,
                "notification not delivered"
            ),
        }
    }
}

fn lock(deduper: &Mutex<Deduper>) -> std::sync::MutexGuard<'_, Deduper> {
    // The state is consistent after every step, so a panic elsewhere leaves it usable.
    deduper.lock().unwrap_or_else(|e| e.into_inner())
}

/// The SNS publisher: credentials of `sns.target` (default: the first target, or the
/// ambient ones when driftless.yaml has no targets), region of the topic's ARN.
async fn publisher_for(
    config: &DriftlessConfig,
    sns: &SnsNotifications,
    aws: &AwsOptions,
) -> Result<TopicPublisher, NotifyError> {
    let region = rules::parse_arn(&sns.topic_arn)
        .ok()
        .filter(|arn| arn.service == "sns" && !arn.region.is_empty())
        .map(|arn| arn.region.to_string())
        .ok_or_else(|| NotifyError::TopicArn {
            arn: sns.topic_arn.clone(),
        })?;
    let target =
        match &sns.target {
            Some(name) => Some(config.targets.iter().find(|t| &t.name == name).ok_or_else(
                || NotifyError::UnknownTarget {
                    target: name.clone(),
                    known: config.target_names().join(", "),
                },
            )?),
            None => config.targets.first(),
        };
    let name = target.map_or(DEFAULT_TARGET, |t| t.name.as_str());
    TopicPublisher::for_topic(&sns.topic_arn, &region, name, target, aws)
        .await
        .map_err(|error| NotifyError::Sns {
            arn: sns.topic_arn.clone(),
            error,
        })
}

/// The webhook from its environment variable or file (validation made sure there is
/// exactly one; the variable wins if both are somehow set).
fn slack_webhook(
    slack: &SlackNotifications,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SlackWebhook, NotifyError> {
    let (url, name) = if let Some(var) = &slack.webhook_url_env {
        let url = env(var)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| NotifyError::SlackUrlUnset { var: var.clone() })?;
        (url, format!("the Slack webhook (from {var})"))
    } else if let Some(path) = &slack.webhook_url_file {
        let url = std::fs::read_to_string(path).map_err(|e| NotifyError::SlackUrlFile {
            path: path.clone(),
            error: e.to_string(),
        })?;
        (url, format!("the Slack webhook (from file {path})"))
    } else {
        return Err(NotifyError::SlackUrlInvalid {
            source_name: "the Slack webhook".into(),
            reason: "neither webhookUrlEnv nor webhookUrlFile is set".into(),
        });
    };
    SlackWebhook::new(&url, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use NotificationKind as K;

    const SHA: &str = "9f1c2e7aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
    const SHA2: &str = "abc1234aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
    const BAD: &str = "deadbeefa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
    const BAD2: &str = "badc0dea0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d55";

    /// A fresh observation of a clean reconcile, built up with the methods below.
    fn obs(target: &str) -> Observation {
        Observation {
            target: target.into(),
            revision: SHA.into(),
            ..Observation::default()
        }
    }

    impl Observation {
        fn drift(mut self, names: &[&str]) -> Self {
            self.drift_detected = names.iter().map(|s| s.to_string()).collect();
            self
        }
        fn corrected(mut self, names: &[&str]) -> Self {
            self.drift_corrected = names.iter().map(|s| s.to_string()).collect();
            self
        }
        fn failed(mut self, reason: &str) -> Self {
            self.apply_failed = Some(reason.into());
            self
        }
        fn invalid(mut self, revision: &str, error: &str) -> Self {
            self.invalid_revision = Some((revision.into(), error.into()));
            self
        }
        fn at(mut self, revision: &str) -> Self {
            self.revision = revision.into();
            self
        }
        fn violations(mut self, found: &[&str]) -> Self {
            self.guardrail_violations = Some(found.iter().map(|s| s.to_string()).collect());
            self
        }
    }

    #[test]
    fn a_guardrail_violation_is_announced_once_and_its_end_once() {
        let mut d = all();
        let bad = "cw-loggroup-retention-period-check LogGroup//app/x";
        let first = d.step(&obs("prod").violations(&[bad]));
        assert_eq!(kinds(&first), [K::GuardrailViolated]);
        assert_eq!(
            first[0].summary,
            format!(
                "driftless: guardrail broken on prod at {}: {bad}",
                &SHA[..7]
            )
        );
        assert_eq!(first[0].details, [bad]);
        // Still breaking it: silence. An audit that did not run decides nothing.
        assert!(d.step(&obs("prod").violations(&[bad])).is_empty());
        assert!(d.step(&obs("prod")).is_empty());
        assert!(d
            .step(&obs("prod").failed("throttled"))
            .iter()
            .all(|n| n.kind != K::GuardrailCompliant));
        // A second resource starts: only it is news.
        let other = "required-tags MetricAlarm/cpu";
        let more = d.step(&obs("prod").violations(&[bad, other]));
        assert_eq!(kinds(&more), [K::GuardrailViolated, K::ApplyRecovered]);
        assert_eq!(more[0].details, [other]);
        let fixed = d.step(&obs("prod").violations(&[other]));
        assert_eq!(kinds(&fixed), [K::GuardrailCompliant]);
        assert_eq!(fixed[0].details, [bad]);
        assert!(fixed[0].kind.is_recovery());
        // Remembered across restarts, and only when the event is on.
        let mut restarted = all();
        assert!(restarted.restore(&d.memory()));
        assert!(restarted.step(&obs("prod").violations(&[other])).is_empty());
        let mut off = Deduper::new(&[NotificationEvent::DriftDetected]);
        assert!(off.step(&obs("prod").violations(&[bad])).is_empty());
    }

    #[test]
    fn a_memory_saved_before_guardrails_still_restores() {
        let mut d = all();
        let old = serde_json::json!({"targets": {"prod": {"drifting": ["LogGroup//a"], "failing": false}}, "invalid": null});
        assert!(d.restore(&old));
        let n = d.step(&obs("prod").violations(&["required-tags LogGroup//a"]));
        assert_eq!(kinds(&n), [K::DriftResolved, K::GuardrailViolated]);
    }

    fn all() -> Deduper {
        Deduper::new(&NotificationEvent::ALL)
    }

    fn kinds(ns: &[Notification]) -> Vec<K> {
        ns.iter().map(|n| n.kind).collect()
    }

    #[test]
    fn a_persistent_drift_is_announced_once_and_its_resolution_once() {
        let mut d = all();
        let first = d.step(&obs("prod").drift(&["MetricAlarm/a"]));
        assert_eq!(kinds(&first), [K::DriftDetected]);
        assert_eq!(first[0].details, ["MetricAlarm/a"]);
        for _ in 0..3 {
            assert_eq!(d.step(&obs("prod").drift(&["MetricAlarm/a"])), []);
        }
        let resolved = d.step(&obs("prod"));
        assert_eq!(kinds(&resolved), [K::DriftResolved]);
        assert_eq!(resolved[0].details, ["MetricAlarm/a"]);
        assert_eq!(d.step(&obs("prod")), []);
    }

    #[test]
    fn only_resources_that_start_drifting_are_announced() {
        let mut d = all();
        d.step(&obs("prod").drift(&["MetricAlarm/a"]));
        let more = d.step(&obs("prod").drift(&["MetricAlarm/a", "LogGroup/b"]));
        assert_eq!(kinds(&more), [K::DriftDetected]);
        assert_eq!(more[0].details, ["LogGroup/b"]);
        // `a` stops, `b` goes on: only `a` is resolved.
        let partly = d.step(&obs("prod").drift(&["LogGroup/b"]));
        assert_eq!(kinds(&partly), [K::DriftResolved]);
        assert_eq!(partly[0].details, ["MetricAlarm/a"]);
        // `a` drifting again is a new drift.
        let again = d.step(&obs("prod").drift(&["LogGroup/b", "MetricAlarm/a"]));
        assert_eq!(again[0].details, ["MetricAlarm/a"]);
    }

    #[test]
    fn every_correction_is_announced_and_a_corrected_drift_is_never_resolved() {
        let mut d = all();
        let fixed = d.step(
            &obs("prod")
                .drift(&["MetricAlarm/a"])
                .corrected(&["MetricAlarm/a"]),
        );
        assert_eq!(kinds(&fixed), [K::DriftCorrected]);
        assert_eq!(
            fixed[0].summary,
            "driftless: drift corrected on prod at 9f1c2e7: MetricAlarm/a"
        );
        // Clean afterwards: the correction ended the drift, no "resolved".
        assert_eq!(d.step(&obs("prod")), []);
        // The same resource drifting and corrected again is announced again.
        let again = d.step(
            &obs("prod")
                .drift(&["MetricAlarm/a"])
                .corrected(&["MetricAlarm/a"]),
        );
        assert_eq!(kinds(&again), [K::DriftCorrected]);
        // With only driftDetected wanted, a drift fixed at once is still announced.
        let mut only_detected = Deduper::new(&[NotificationEvent::DriftDetected]);
        let fixed = only_detected.step(
            &obs("prod")
                .drift(&["MetricAlarm/a"])
                .corrected(&["MetricAlarm/a"]),
        );
        assert_eq!(kinds(&fixed), [K::DriftDetected]);
    }

    #[test]
    fn correcting_a_known_drift_announces_the_correction_only() {
        let mut d = all();
        d.step(&obs("prod").drift(&["MetricAlarm/a"]));
        let fixed = d.step(
            &obs("prod")
                .drift(&["MetricAlarm/a"])
                .corrected(&["MetricAlarm/a"]),
        );
        assert_eq!(kinds(&fixed), [K::DriftCorrected]);
        assert_eq!(d.step(&obs("prod")), []);
    }

    #[test]
    fn a_failed_reconcile_resolves_no_drift() {
        let mut d = all();
        d.step(&obs("prod").drift(&["MetricAlarm/a", "LogGroup/b"]));
        // The failed reconcile saw only part of the target: `b` is not resolved.
        let failed = d.step(&obs("prod").drift(&["MetricAlarm/a"]).failed("throttled"));
        assert_eq!(kinds(&failed), [K::ApplyFailed]);
        let ok = d.step(&obs("prod").drift(&["MetricAlarm/a", "LogGroup/b"]));
        assert_eq!(kinds(&ok), [K::ApplyRecovered]);
        // New drift seen during a failed reconcile is still announced, once.
        let mut d = all();
        let failed = d.step(&obs("prod").drift(&["MetricAlarm/a"]).failed("denied"));
        assert_eq!(kinds(&failed), [K::ApplyFailed, K::DriftDetected]);
        assert_eq!(
            d.step(&obs("prod").drift(&["MetricAlarm/a"]).failed("denied")),
            []
        );
    }

    #[test]
    fn a_failing_target_is_announced_once_whatever_the_reason_then_recovers_once() {
        let mut d = all();
        assert_eq!(d.step(&obs("prod")), []);
        let failed =
            d.step(&obs("prod").failed("cloudwatch PutMetricAlarm failed: Throttling (1)"));
        assert_eq!(kinds(&failed), [K::ApplyFailed]);
        assert_eq!(
            failed[0].summary,
            "driftless: apply failed on prod at 9f1c2e7: cloudwatch PutMetricAlarm failed: Throttling (1)"
        );
        assert_eq!(
            d.step(&obs("prod").failed("cloudwatch PutMetricAlarm failed: Throttling (2)")),
            []
        );
        assert_eq!(d.step(&obs("prod").failed("something else entirely")), []);
        let back = d.step(&obs("prod").at(SHA2));
        assert_eq!(kinds(&back), [K::ApplyRecovered]);
        assert_eq!(
            back[0].summary,
            "driftless: prod reconciles again at abc1234"
        );
        assert_eq!(d.step(&obs("prod")), []);
        // Failing again after the recovery is a new failure.
        assert_eq!(kinds(&d.step(&obs("prod").failed("x"))), [K::ApplyFailed]);
    }

    #[test]
    fn targets_are_remembered_apart() {
        let mut d = all();
        assert_eq!(kinds(&d.step(&obs("tokyo").failed("x"))), [K::ApplyFailed]);
        assert_eq!(kinds(&d.step(&obs("osaka").failed("x"))), [K::ApplyFailed]);
        assert_eq!(
            kinds(&d.step(&obs("tokyo").drift(&["MetricAlarm/a"]))),
            [K::DriftDetected, K::ApplyRecovered]
        );
        assert_eq!(
            kinds(&d.step(&obs("osaka").drift(&["MetricAlarm/a"]))),
            [K::DriftDetected, K::ApplyRecovered]
        );
        assert_eq!(d.step(&obs("tokyo").drift(&["MetricAlarm/a"])), []);
    }

    #[test]
    fn an_invalid_revision_is_announced_once_for_all_targets_and_its_fix_once() {
        let mut d = all();
        let error = "alarms.yaml:3:5: error: unknown field `threshhold`";
        let first = d.step(&obs("tokyo").invalid(BAD, error));
        assert_eq!(kinds(&first), [K::RevisionInvalid]);
        assert_eq!(
            first[0].summary,
            "driftless: revision deadbee is invalid, not applied; tokyo stays at 9f1c2e7: alarms.yaml:3:5: error: unknown field `threshhold`"
        );
        assert_eq!(first[0].details[0], error);
        assert_eq!(first[0].revision, SHA);
        // The other target, and later passes, with the same invalid revision: nothing.
        assert_eq!(d.step(&obs("osaka").invalid(BAD, error)), []);
        assert_eq!(d.step(&obs("tokyo").invalid(BAD, error)), []);
        // Another invalid revision is announced.
        assert_eq!(
            kinds(&d.step(&obs("tokyo").invalid(BAD2, "other"))),
            [K::RevisionInvalid]
        );
        // A valid revision whose reconcile fails is not yet the fix.
        assert_eq!(
            kinds(&d.step(&obs("tokyo").at(SHA2).failed("x"))),
            [K::ApplyFailed]
        );
        let fixed = d.step(&obs("osaka").at(SHA2));
        assert_eq!(kinds(&fixed), [K::RevisionValid]);
        assert_eq!(
            fixed[0].summary,
            "driftless: valid revision abc1234 applied on osaka (revision badc0de was invalid)"
        );
        assert_eq!(kinds(&d.step(&obs("tokyo").at(SHA2))), [K::ApplyRecovered]);
        assert_eq!(d.step(&obs("osaka").at(SHA2)), []);
        // The first invalid revision coming back is announced again.
        assert_eq!(
            kinds(&d.step(&obs("tokyo").invalid(BAD, error))),
            [K::RevisionInvalid]
        );
    }

    #[test]
    fn the_memory_survives_a_restart_and_a_bad_one_changes_nothing() {
        let mut before = all();
        let same = obs("prod")
            .drift(&["MetricAlarm/a"])
            .failed("throttled")
            .invalid(BAD, "x.yaml:1:1: error");
        assert_eq!(before.step(&same).len(), 3);
        let saved = before.memory();
        // A new process: nothing already announced is announced again...
        let mut after = all();
        assert!(after.restore(&saved));
        assert_eq!(after, before);
        assert_eq!(after.step(&same), []);
        // ...and the ends of those conditions are.
        assert_eq!(
            kinds(&after.step(&obs("prod"))),
            [K::DriftResolved, K::ApplyRecovered, K::RevisionValid]
        );
        // Unreadable memory: false, and the deduper is untouched.
        let mut fresh = all();
        assert!(!fresh.restore(&serde_json::json!({"targets": 3})));
        assert_eq!(fresh, all());
    }

    #[test]
    fn only_enabled_events_are_sent_and_recoveries_follow_their_event() {
        let mut d = Deduper::new(&[NotificationEvent::DriftCorrected]);
        assert_eq!(d.step(&obs("prod").drift(&["MetricAlarm/a"])), []);
        assert_eq!(d.step(&obs("prod").failed("x")), []);
        assert_eq!(d.step(&obs("prod").invalid(BAD, "e")), []);
        // Recoveries of disabled events stay silent; the correction is sent.
        let ok = d.step(&obs("prod").at(SHA2).corrected(&["LogGroup/b"]));
        assert_eq!(kinds(&ok), [K::DriftCorrected]);
        // State was kept while disabled: nothing is announced twice after a
        // carry-over into a notifier that enables everything.
        let mut d2 = Deduper::new(&[NotificationEvent::DriftDetected]);
        d2.step(&obs("prod").drift(&["MetricAlarm/a"]));
        let mut all_events = all();
        all_events.remember_from(&d2);
        assert_eq!(all_events.step(&obs("prod").drift(&["MetricAlarm/a"])), []);
        assert_eq!(kinds(&all_events.step(&obs("prod"))), [K::DriftResolved]);

        let mut only_failures = Deduper::new(&[NotificationEvent::ApplyFailed]);
        assert_eq!(
            kinds(&only_failures.step(&obs("prod").failed("x").drift(&["MetricAlarm/a"]))),
            [K::ApplyFailed]
        );
        assert_eq!(
            kinds(&only_failures.step(&obs("prod"))),
            [K::ApplyRecovered]
        );
    }

    #[test]
    fn drift_details_name_who_changed_each_resource_when_known() {
        let alice = ChangedBy {
            principal: "arn:aws:iam::123456789012:user/alice".into(),
            event_name: "PutMetricAlarm".into(),
            event_time: "2026-12-01T10:00:00Z".into(),
            source_ip: "10.0.0.1".into(),
            user_agent: "aws-cli/2".into(),
        };
        let mut d = Deduper::new(&[NotificationEvent::DriftDetected]);
        let mut o = obs("prod").drift(&["MetricAlarm/cpu", "LogGroup//a", "LogGroup//b"]);
        o.changed_by = BTreeMap::from([
            ("MetricAlarm/cpu".to_string(), alice.clone()),
            ("LogGroup//a".to_string(), ChangedBy::unknown()),
        ]);
        let sent = d.step(&o);
        assert_eq!(kinds(&sent), [K::DriftDetected]);
        assert_eq!(
            sent[0].details,
            [
                "LogGroup//a",
                "LogGroup//b",
                "MetricAlarm/cpu (changed by arn:aws:iam::123456789012:user/alice, PutMetricAlarm at 2026-12-01T10:00:00Z)",
            ]
        );
        assert!(sent[0].text().contains("user/alice, PutMetricAlarm"));
        // A correction names its author too.
        let mut d = all();
        let mut o = obs("prod")
            .drift(&["MetricAlarm/cpu"])
            .corrected(&["MetricAlarm/cpu"]);
        o.changed_by = BTreeMap::from([("MetricAlarm/cpu".to_string(), alice)]);
        let sent = d.step(&o);
        assert_eq!(kinds(&sent), [K::DriftCorrected]);
        assert!(
            sent[0]
                .slack_text()
                .contains("• MetricAlarm/cpu (changed by arn:aws:iam::123456789012:user/alice"),
            "{}",
            sent[0].slack_text()
        );
    }

    #[test]
    fn summaries_name_a_few_resources_and_details_all_of_them() {
        let mut d = all();
        let names: Vec<String> = (1..=5).map(|i| format!("MetricAlarm/a{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let n = &d.step(&obs("prod").drift(&refs))[0];
        assert_eq!(
            n.summary,
            "driftless: drift detected on prod at 9f1c2e7: MetricAlarm/a1, MetricAlarm/a2, MetricAlarm/a3 and 2 more"
        );
        assert_eq!(n.details, names);
        let many: Vec<String> = (0..60).map(|i| format!("LogGroup/g{i:02}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let n = &all().step(&obs("prod").drift(&refs))[0];
        assert_eq!(n.details.len(), DETAILS_MAX + 1);
        assert_eq!(n.details.last().unwrap(), "... and 10 more");
    }

    #[test]
    fn subjects_are_short_ascii_and_texts_say_what_where_and_when() {
        let long = format!("{}é\nsecond line", "x".repeat(200));
        let n = &all().step(&obs("prod-tokyo").failed(&long))[0];
        let subject = n.subject();
        assert!(subject.len() < 100, "{subject}");
        assert!(subject.is_ascii() && !subject.chars().any(|c| c.is_ascii_control()));
        assert!(subject.starts_with("driftless: apply failed on prod-tokyo at 9f1c2e7: xxx"));
        assert!(subject.ends_with("..."));
        let text = n.text();
        assert!(
            text.contains("event: applyFailed\ntarget: prod-tokyo\n"),
            "{text}"
        );
        assert!(text.contains(&format!("revision: {SHA}")), "{text}");
        assert!(text.contains("second line"), "{text}");
        assert_eq!(
            Notification {
                kind: K::ApplyRecovered,
                target: "t".into(),
                revision: "local-0123456789abcdef".into(),
                summary: "s é".into(),
                details: vec![],
            }
            .subject(),
            "s ?"
        );
        assert_eq!(
            short_revision("local-0123456789abcdef"),
            "local-0123456789abcdef"
        );
        assert_eq!(short_revision(SHA), "9f1c2e7");
    }

    #[test]
    fn slack_text_escapes_mrkdwn_control_characters() {
        let n = Notification {
            kind: K::DriftDetected,
            target: "prod".into(),
            revision: SHA.into(),
            summary: "driftless: drift detected on prod at 9f1c2e7: LogGroup/<a>&b".into(),
            details: vec!["LogGroup/<a>&b".into()],
        };
        assert_eq!(
            n.slack_text(),
            "driftless: drift detected on prod at 9f1c2e7: LogGroup/&lt;a&gt;&amp;b\n• LogGroup/&lt;a&gt;&amp;b"
        );
    }

    const SECRET_URL: &str = "https://hooks.slack.com/services/T000/B000/s3cr3tT0k3n";

    fn slack_env(var: &str) -> SlackNotifications {
        SlackNotifications {
            webhook_url_env: Some(var.into()),
            webhook_url_file: None,
        }
    }

    fn settings(slack: SlackNotifications) -> NotificationsConfig {
        NotificationsConfig {
            sns: None,
            slack: Some(slack),
            events: None,
        }
    }

    #[tokio::test]
    async fn the_webhook_url_is_never_shown() {
        let env = |var: &str| (var == "HOOK").then(|| format!("{SECRET_URL}\n"));
        let notifier = Notifier::assemble(&settings(slack_env("HOOK")), None, &env).unwrap();
        let debug = format!("{notifier:?}");
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("hooks.slack.com"),
            "{debug}"
        );
        assert!(debug.contains("the Slack webhook (from HOOK)"), "{debug}");
        assert_eq!(notifier.destinations(), ["the Slack webhook (from HOOK)"]);
        let slack = notifier.slack.as_ref().unwrap();
        assert_eq!(slack.url.path(), "/services/T000/B000/s3cr3tT0k3n");
        assert_eq!(
            slack.scrub(&format!("error sending to {SECRET_URL}: refused")),
            "error sending to <redacted>: refused"
        );
        assert_eq!(
            slack.scrub("GET /services/T000/B000/s3cr3tT0k3n failed"),
            "GET /<redacted> failed"
        );
        // A URL that is not usable: the error names the source, never the value.
        for bad in [
            "http://hooks.slack.com/services/T000/B000/s3cr3tT0k3n",
            "ftp://hooks.slack.com/services/s3cr3t",
            "hooks slack com/s3cr3t",
        ] {
            let env = |_: &str| Some(bad.to_string());
            let err = Notifier::assemble(&settings(slack_env("HOOK")), None, &env).unwrap_err();
            let text = err.to_string();
            assert!(!text.contains("s3cr3t"), "{text}");
            assert!(
                text.starts_with("the Slack webhook (from HOOK) is not a usable URL"),
                "{text}"
            );
            assert!(text.contains("hint:"), "{text}");
        }
    }

    #[tokio::test]
    async fn plain_http_is_only_for_this_machine() {
        for ok in [
            "http://127.0.0.1:9/hook",
            "http://localhost:9/x",
            "http://[::1]:9/x",
        ] {
            let env = |_: &str| Some(ok.to_string());
            assert!(
                Notifier::assemble(&settings(slack_env("HOOK")), None, &env).is_ok(),
                "{ok}"
            );
        }
        assert!(!is_loopback("127.0.0.1.example.com"));
        assert!(!is_loopback("10.0.0.1"));
    }

    #[tokio::test]
    async fn a_missing_url_says_which_variable_or_file_to_fix() {
        let err = Notifier::assemble(&settings(slack_env("NOPE")), None, &|_| None).unwrap_err();
        assert!(matches!(&err, NotifyError::SlackUrlUnset { var } if var == "NOPE"));
        assert!(err.to_string().contains("set `NOPE`"), "{err}");
        let blank = Notifier::assemble(&settings(slack_env("NOPE")), None, &|_| Some("  ".into()));
        assert!(matches!(blank, Err(NotifyError::SlackUrlUnset { .. })));
        let file = SlackNotifications {
            webhook_url_env: None,
            webhook_url_file: Some("/nonexistent/driftless/slack-url".into()),
        };
        let err = Notifier::assemble(&settings(file), None, &|_| None).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "cannot read the Slack webhook URL from `/nonexistent/driftless/slack-url`"
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn without_notifications_there_is_no_notifier() {
        let config = DriftlessConfig::default();
        assert!(Notifier::from_config(&config, &AwsOptions::default())
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn sns_publishes_with_the_topics_region_and_the_named_targets_credentials() {
        let arn = "arn:aws:sns:ap-northeast-3:111111111111:ops";
        let mut config = DriftlessConfig {
            targets: vec![
                crate::spec::config::TargetConfig {
                    name: "tokyo".into(),
                    region: "ap-northeast-1".into(),
                    role_arn: None,
                    external_id: None,
                    account_id: None,
                },
                crate::spec::config::TargetConfig {
                    name: "osaka".into(),
                    region: "ap-northeast-3".into(),
                    role_arn: None,
                    external_id: None,
                    account_id: None,
                },
            ],
            notifications: Some(NotificationsConfig {
                sns: Some(SnsNotifications {
                    topic_arn: arn.into(),
                    target: Some("nowhere".into()),
                }),
                slack: None,
                events: None,
            }),
            ..DriftlessConfig::default()
        };
        let options = AwsOptions {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            ..AwsOptions::default()
        };
        let err = Notifier::from_config(&config, &options).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "notifications.sns.target `nowhere` is not a target of driftless.yaml\n  hint: name one of: tokyo, osaka"
        );
        config
            .notifications
            .as_mut()
            .unwrap()
            .sns
            .as_mut()
            .unwrap()
            .target = None;
        let notifier = Notifier::from_config(&config, &options)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(notifier.destinations(), [format!("SNS topic {arn}")]);
        let sns = notifier.sns.as_ref().unwrap();
        assert_eq!(sns.region().as_deref(), Some("ap-northeast-3"));
        assert_eq!(sns.target(), "tokyo");
    }
}
