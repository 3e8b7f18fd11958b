//! Notifications from `driftless run`: drift detected, drift corrected, apply failed,
//! revision invalid, guardrails broken, each sent to an SNS topic and/or a
//! Slack-compatible webhook as driftless.yaml `notifications` says.
//!
//! The reconcile loop feeds one [`Observation`] per target per reconcile. What to
//! announce is decided by the core's [`Deduper`], a pure state machine
//! (`driftless_core::notify`, re-exported here); this module drives it and sends what
//! it decides through the senders (`senders.rs`). Sending is best effort: a failed
//! delivery is logged and never fails a reconcile, and it is not retried. A drift
//! detected or corrected names who changed each resource when CloudTrail told
//! ([`Observation::changed_by`]).
//!
//! The Slack webhook URL is a secret (it is the credential): it is read from the
//! environment or a file, and never appears in logs, errors or `Debug` output, which
//! name its source instead ("the Slack webhook (from DRIFTLESS_SLACK_WEBHOOK_URL)").
//! The dedup state lives in memory and is saved in the state store by the controller
//! ([`Notifier::memory`] / [`Notifier::restore`]), so a restart does not announce
//! again what was already announced.

mod senders;

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

pub use driftless_core::notify::{
    short_revision, Deduper, Notification, NotificationKind, Observation,
};

use self::senders::{publisher_for, slack_webhook, SlackWebhook};
use crate::aws::sns::TopicPublisher;
use crate::aws::{AwsError, AwsOptions};
use crate::spec::config::{DriftlessConfig, NotificationsConfig};

/// How long one webhook POST may take, connection included.
pub const SLACK_TIMEOUT: Duration = Duration::from_secs(10);

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
}

fn lock(deduper: &Mutex<Deduper>) -> std::sync::MutexGuard<'_, Deduper> {
    // The state is consistent after every step, so a panic elsewhere leaves it usable.
    deduper.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests;
