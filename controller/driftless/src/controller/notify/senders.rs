//! The senders: an SNS topic (through driftless-aws's `TopicPublisher`, with the
//! targets' credentials) and a Slack-compatible incoming webhook (hyper and rustls, the
//! stack the AWS SDK already builds). Each send is logged, delivered or not, and never
//! fails a reconcile. The webhook URL is a secret: nothing here shows it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::{Notification, Notifier, NotifyError, SLACK_TIMEOUT};
use crate::aws::sns::TopicPublisher;
use crate::aws::{error_chain, AwsOptions};
use crate::spec::config::{DriftlessConfig, SlackNotifications, SnsNotifications, DEFAULT_TARGET};
use crate::spec::rules;
use driftless_core::notify::one_line;

/// How much of a webhook's answer is read (for the log line of a failure).
const RESPONSE_CAP: usize = 4096;

/// A Slack-compatible incoming webhook. The URL is never shown: `Debug` and every
/// message name where it came from instead.
#[derive(Clone)]
pub(super) struct SlackWebhook {
    pub(super) url: hyper::Uri,
    /// `the Slack webhook (from DRIFTLESS_SLACK_WEBHOOK_URL)`.
    pub(super) name: String,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    pub(super) timeout: Duration,
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
    pub(super) fn scrub(&self, text: &str) -> String {
        let mut text = text.replace(&self.url.to_string(), "<redacted>");
        let path = self.url.path_and_query().map(|p| p.as_str()).unwrap_or("");
        if path.len() > 1 {
            text = text.replace(path, "/<redacted>");
        }
        text
    }
}

pub(super) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Notifier {
    pub(super) async fn send_sns(&self, n: &Notification) {
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

    pub(super) async fn send_slack(&self, n: &Notification) {
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

/// The SNS publisher: credentials of `sns.target` (default: the first target, or the
/// ambient ones when driftless.yaml has no targets), region of the topic's ARN.
pub(super) async fn publisher_for(
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
    let target = match &sns.target {
        Some(name) => Some(
            config
                .target(name)
                .ok_or_else(|| NotifyError::UnknownTarget {
                    target: name.clone(),
                    known: config.target_names().join(", "),
                })?,
        ),
        None => config.accounts().next(),
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
pub(super) fn slack_webhook(
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
