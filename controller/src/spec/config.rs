//! `driftless.yaml`: the targets (account and region) a repository is applied to,
//! repository-wide defaults, and where the controller sends notifications.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::diagnostic::did_you_mean;
use super::rules::{self, Check, Problem};

/// The name of the one target used when a repository has no driftless.yaml.
pub const DEFAULT_TARGET: &str = "default";
/// Deletes allowed per target per run unless driftless.yaml or a flag says otherwise.
pub const DEFAULT_MAX_DELETES: u32 = 10;
/// The default value of the ownership tag.
pub const DEFAULT_INSTANCE: &str = "driftless";

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DriftlessConfig {
    #[serde(default)]
    pub targets: Vec<TargetConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<Defaults>,
    /// Delete owned resources that left the repository (also `--prune`).
    #[serde(default)]
    pub prune: bool,
    /// Deletion guard per target per run; default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deletes: Option<u32>,
    /// The value of the `driftless.dev/managed-by` tag; default `driftless`. Two
    /// instances with different names never touch each other's resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Where `driftless run` announces drift, corrections, failed applies and invalid
    /// revisions: an SNS topic, a Slack-compatible webhook, or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<NotificationsConfig>,
    /// Stop all writes while still planning and reporting (also `driftless run
    /// --suspend` and `POST /suspend`).
    #[serde(default)]
    pub suspend: bool,
    /// Rules every resource must follow, named and parameterised like the AWS Config
    /// managed rules; checked by `validate` on every document and by `audit` on every
    /// live resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardrails: Vec<crate::guardrail::Guardrail>,
}

/// One account and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetConfig {
    pub name: String,
    pub region: String,
    /// Assumed with STS before any call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// Targets a document goes to when its metadata names none; default: all.
    #[serde(default)]
    pub targets: Vec<String>,
}

/// Where the controller's notifications go, and which ones it sends. Each condition
/// is announced once when it starts and once when it ends.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Publish to an SNS topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns: Option<SnsNotifications>,
    /// POST `{"text": ...}` to a Slack-compatible incoming webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackNotifications>,
    /// The events to send; default: all four. Recoveries (drift resolved, reconciles
    /// again, valid revision applied) follow their event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<NotificationEvent>>,
}

/// An SNS topic to publish notifications to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnsNotifications {
    /// The topic's ARN; the region and account come from it
    /// (`arn:aws:sns:ap-northeast-1:111111111111:ops`).
    pub topic_arn: String,
    /// The target whose credentials (and `roleArn`) publish; default: the first target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// A Slack-compatible incoming webhook. Its URL is a secret, so it never sits in git:
/// name the environment variable or the file that holds it (exactly one of the two).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlackNotifications {
    /// The environment variable holding the webhook URL (`DRIFTLESS_SLACK_WEBHOOK_URL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url_env: Option<String>,
    /// A file holding the webhook URL (a mounted secret such as
    /// `/run/secrets/slack-url`); read when the controller starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url_file: Option<String>,
}

/// What the controller can announce: `driftDetected` (a resource started to differ
/// from what driftless last applied; and, once, that it stopped without driftless
/// writing it back), `driftCorrected` (driftless wrote a drifted resource back),
/// `applyFailed` (a target's reconcile started to fail; and, once, that it succeeds
/// again), `revisionInvalid` (the latest revision is invalid and not applied; and,
/// once, that a valid revision was applied).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum NotificationEvent {
    DriftDetected,
    DriftCorrected,
    ApplyFailed,
    RevisionInvalid,
}

impl NotificationEvent {
    pub const ALL: [NotificationEvent; 4] = [
        NotificationEvent::DriftDetected,
        NotificationEvent::DriftCorrected,
        NotificationEvent::ApplyFailed,
        NotificationEvent::RevisionInvalid,
    ];

    /// The name used in driftless.yaml (`driftDetected`).
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationEvent::DriftDetected => "driftDetected",
            NotificationEvent::DriftCorrected => "driftCorrected",
            NotificationEvent::ApplyFailed => "applyFailed",
            NotificationEvent::RevisionInvalid => "revisionInvalid",
        }
    }
}

impl NotificationsConfig {
    /// The events to send: `events`, or all four when it is absent.
    pub fn enabled_events(&self) -> Vec<NotificationEvent> {
        match &self.events {
            Some(events) => {
                let mut events = events.clone();
                events.sort();
                events.dedup();
                events
            }
            None => NotificationEvent::ALL.to_vec(),
        }
    }

    fn check(&self, cx: &mut Cx<'_>, targets: &[&str]) {
        let at = At::root().k("notifications");
        if self.sns.is_none() && self.slack.is_none() {
            cx.report(
                &at,
                Problem::new("`notifications` names no destination")
                    .hint("add `sns: {topicArn: ...}`, `slack: {webhookUrlEnv: ...}` or both, or remove `notifications`"),
            );
        }
        if let Some(sns) = &self.sns {
            let sns_at = at.k("sns");
            cx.check(&sns_at.k("topicArn"), topic_arn(&sns.topic_arn));
            if let Some(target) = &sns.target {
                check_target_ref(cx, &sns_at.k("target"), target, targets);
            }
        }
        if let Some(slack) = &self.slack {
            let slack_at = at.k("slack");
            match (&slack.webhook_url_env, &slack.webhook_url_file) {
                (Some(_), Some(_)) => cx.report(
                    &slack_at.key_of("webhookUrlFile"),
                    Problem::new("`slack` has both `webhookUrlEnv` and `webhookUrlFile`")
                        .hint("keep one: the environment variable or the file that holds the webhook URL"),
                ),
                (None, None) => cx.report(
                    &slack_at,
                    Problem::new("`slack` needs `webhookUrlEnv` or `webhookUrlFile`")
                        .hint("name the environment variable (e.g. `webhookUrlEnv: DRIFTLESS_SLACK_WEBHOOK_URL`) or the file that holds the webhook URL"),
                ),
                _ => {}
            }
            if let Some(env) = &slack.webhook_url_env {
                cx.check(&slack_at.k("webhookUrlEnv"), env_var_name(env));
            }
            if let Some(file) = &slack.webhook_url_file {
                let file_at = slack_at.k("webhookUrlFile");
                if looks_like_url(file) {
                    cx.report(&file_at, url_in_git());
                } else if file.trim().is_empty() {
                    cx.error(&file_at, "`webhookUrlFile` is empty");
                }
            }
        }
        if matches!(&self.events, Some(events) if events.is_empty()) {
            cx.report(
                &at.k("events"),
                Problem::new("`events` is empty, so nothing would be sent")
                    .hint("list events (driftDetected, driftCorrected, applyFailed, revisionInvalid), or remove `events` to send all of them"),
            );
        }
    }
}

/// An SNS topic ARN: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`, where the region and the
/// account are required (the notifier publishes there) and the name follows SNS's
/// rules (1 to 256 letters, digits, `-` and `_`; `.fifo` at the end of FIFO topics).
fn topic_arn(value: &str) -> Check {
    const EXAMPLE: &str = "arn:aws:sns:ap-northeast-1:111111111111:ops";
    let with_example = |p: Problem| match p.hint {
        Some(_) => p,
        None => p.hint(format!("a topic ARN looks like `{EXAMPLE}`")),
    };
    rules::arn_of(value, "topicArn", "sns", &[]).map_err(with_example)?;
    let arn = rules::parse_arn(value).map_err(with_example)?;
    if arn.region.is_empty() || arn.account.len() != 12 {
        return Err(Problem::new(format!(
            "topicArn `{value}` needs a region and a 12-digit account"
        ))
        .hint(format!("a topic ARN looks like `{EXAMPLE}`")));
    }
    let name = arn.resource.strip_suffix(".fifo").unwrap_or(arn.resource);
    rules::name("SNS topic name", name, 1, 256, "-_")
}

/// The name of an environment variable, as POSIX shells accept it.
fn env_var_name(value: &str) -> Check {
    if looks_like_url(value) {
        return Err(url_in_git());
    }
    let mut chars = value.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(
            Problem::new(format!("`{value}` is not an environment variable name"))
                .hint("use letters, digits and `_`, not starting with a digit, e.g. `DRIFTLESS_SLACK_WEBHOOK_URL`"),
        )
    }
}

fn looks_like_url(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The webhook URL itself was written into driftless.yaml. The message does not repeat
/// it: diagnostics end up in CI logs.
fn url_in_git() -> Problem {
    Problem::new("this looks like the webhook URL itself, which is a secret and must not be in git")
        .hint("put the URL in an environment variable or a file and name that here; rotate the webhook, since the URL is now in the repository's history")
}

impl DriftlessConfig {
    /// Names of all targets; `default` when the file declares none.
    pub fn target_names(&self) -> Vec<&str> {
        if self.targets.is_empty() {
            vec![DEFAULT_TARGET]
        } else {
            self.targets.iter().map(|t| t.name.as_str()).collect()
        }
    }

    /// The targets a document without `metadata.targets` goes to.
    pub fn default_targets(&self) -> Vec<&str> {
        match &self.defaults {
            Some(d) if !d.targets.is_empty() => d.targets.iter().map(String::as_str).collect(),
            _ => self.target_names(),
        }
    }

    pub fn instance(&self) -> &str {
        self.instance.as_deref().unwrap_or(DEFAULT_INSTANCE)
    }

    pub fn check(&self, cx: &mut Cx<'_>) {
        let at = At::root().k("targets");
        let mut names: Vec<&str> = Vec::new();
        for (i, t) in self.targets.iter().enumerate() {
            let ti = at.i(i);
            cx.check(
                &ti.k("name"),
                rules::name("target name", &t.name, 1, 63, "-_"),
            );
            if names.contains(&t.name.as_str()) {
                cx.error(
                    &ti.k("name"),
                    format!("target `{}` is defined twice", t.name),
                );
            }
            names.push(&t.name);
            cx.check(&ti.k("region"), rules::region(&t.region));
            if let Some(role) = &t.role_arn {
                cx.check(&ti.k("roleArn"), rules::role_arn(role, "roleArn"));
            }
            if t.external_id.is_some() && t.role_arn.is_none() {
                cx.error(
                    &ti.k("externalId"),
                    "externalId is only used when assuming `roleArn`",
                );
            }
        }
        if let Some(defaults) = &self.defaults {
            for (i, name) in defaults.targets.iter().enumerate() {
                check_target_ref(
                    cx,
                    &At::root().k("defaults").k("targets").i(i),
                    name,
                    &self.target_names(),
                );
            }
        }
        if let Some(instance) = &self.instance {
            cx.check(
                &At::root().k("instance"),
                rules::name("instance", instance, 1, 63, "-_."),
            );
        }
        if let Some(notifications) = &self.notifications {
            notifications.check(cx, &self.target_names());
        }
        crate::guardrail::check_config(cx, &self.guardrails);
    }
}

/// Reports a reference to a target that driftless.yaml does not define.
pub fn check_target_ref(cx: &mut Cx<'_>, at: &At<'_>, name: &str, known: &[&str]) {
    if known.contains(&name) {
        return;
    }
    let p = Problem::new(format!("unknown target `{name}`"));
    let p = match did_you_mean(name, known.iter().copied()) {
        Some(s) => p.hint(format!("did you mean `{s}`?")),
        None if known == [DEFAULT_TARGET] => {
            p.hint("define targets in driftless.yaml at the repository root")
        }
        None => p.hint(format!("targets in driftless.yaml: {}", known.join(", "))),
    };
    cx.report(at, p);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_arns_need_sns_region_account_and_a_topic_name() {
        for ok in [
            "arn:aws:sns:ap-northeast-1:111111111111:ops",
            "arn:aws-cn:sns:cn-north-1:111111111111:ops_alerts-1",
            "arn:aws-us-gov:sns:us-gov-west-1:111111111111:ops.fifo",
        ] {
            assert_eq!(topic_arn(ok), Ok(()), "{ok}");
        }
        for (bad, says) in [
            ("ops", "must be an ARN like `arn:aws:sns:...`"),
            (
                "arn:aws:sqs:ap-northeast-1:111111111111:ops",
                "must be an ARN",
            ),
            ("arn:aws:sns::111111111111:ops", "needs a region"),
            ("arn:aws:sns:ap-northeast-1::ops", "12-digit account"),
            (
                "arn:aws:sns:ap-northeast-9:111111111111:ops",
                "not an AWS region",
            ),
            (
                "arn:aws:sns:ap-northeast-1:111111111111:ops.alerts",
                "contains `.`",
            ),
        ] {
            let problem = topic_arn(bad).unwrap_err();
            assert!(problem.message.contains(says), "{bad}: {problem:?}");
            assert!(problem.hint.is_some(), "{bad}: {problem:?}");
        }
    }

    #[test]
    fn env_var_names_are_shell_names_and_urls_are_not_echoed() {
        assert_eq!(env_var_name("DRIFTLESS_SLACK_WEBHOOK_URL"), Ok(()));
        assert_eq!(env_var_name("_x1"), Ok(()));
        for bad in ["", "1X", "SLACK-URL", "A B"] {
            assert!(env_var_name(bad).is_err(), "{bad:?}");
        }
        let problem = env_var_name("https://hooks.example.com/services/s3cr3t").unwrap_err();
        assert!(!problem.message.contains("s3cr3t"));
        assert!(!problem.hint.unwrap().contains("s3cr3t"));
    }

    #[test]
    fn every_event_is_enabled_unless_listed() {
        let mut n = NotificationsConfig::default();
        assert_eq!(n.enabled_events(), NotificationEvent::ALL);
        n.events = Some(vec![
            NotificationEvent::ApplyFailed,
            NotificationEvent::DriftDetected,
            NotificationEvent::ApplyFailed,
        ]);
        assert_eq!(
            n.enabled_events(),
            [
                NotificationEvent::DriftDetected,
                NotificationEvent::ApplyFailed
            ]
        );
        for e in NotificationEvent::ALL {
            assert_eq!(crate::spec::wire_name(&e), e.as_str());
        }
    }
}
