//! Publishing the controller's notifications to an SNS topic. This is the only place
//! that names `aws_sdk_sns` (invariant 2); what to announce and when is decided in
//! `controller::notify`, which hands this module finished texts.

use std::time::Duration;

use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::SdkConfig;

use super::{sdk_config, AwsError, AwsOptions};
use driftless_core::spec::config::TargetConfig;

/// The longest one Publish may take, retries included, unless the configuration sets
/// its own limit: a notification must never hold up a reconcile for long.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(30);

/// `timeouts` with an operation timeout of [`PUBLISH_TIMEOUT`] when it has none.
fn bounded(timeouts: Option<&TimeoutConfig>) -> TimeoutConfig {
    match timeouts {
        Some(t) if t.operation_timeout().is_some() => t.clone(),
        other => {
            let mut builder = other.map_or_else(TimeoutConfig::builder, TimeoutConfig::to_builder);
            builder.set_operation_timeout(Some(PUBLISH_TIMEOUT));
            builder.build()
        }
    }
}

/// A client bound to one topic.
#[derive(Clone, Debug)]
pub struct TopicPublisher {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    /// The target whose credentials publish, for error messages.
    target: String,
}

impl TopicPublisher {
    /// A publisher from a ready SdkConfig (tests build one for the emulator).
    pub fn from_sdk_config(topic_arn: &str, target: &str, config: &SdkConfig) -> TopicPublisher {
        TopicPublisher {
            // Counted in `/metrics` like every other client's calls.
            client: aws_sdk_sns::Client::from_conf(
                aws_sdk_sns::config::Builder::from(config)
                    .interceptor(super::calls::CountCalls)
                    .timeout_config(bounded(config.timeout_config()))
                    .build(),
            ),
            topic_arn: topic_arn.to_string(),
            target: target.to_string(),
        }
    }

    /// A publisher with the credentials of driftless.yaml target `target` (`None`: the
    /// ambient configuration of the `default` target), the same chain, endpoint
    /// override and retries as the target's own clients, in `region` (the topic's).
    pub async fn for_topic(
        topic_arn: &str,
        region: &str,
        name: &str,
        target: Option<&TargetConfig>,
        options: &AwsOptions,
    ) -> Result<TopicPublisher, AwsError> {
        let config = sdk_config(name, target, Some(region), options).await?;
        Ok(TopicPublisher::from_sdk_config(topic_arn, name, &config))
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    /// The region calls go to (the topic's).
    pub fn region(&self) -> Option<String> {
        self.client.config().region().map(|r| r.to_string())
    }

    /// The target whose credentials publish.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Publishes one message with string message attributes; returns the message ID.
    pub async fn publish(
        &self,
        subject: &str,
        message: &str,
        attributes: &[(&str, &str)],
    ) -> Result<String, AwsError> {
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(message);
        for (name, value) in attributes {
            let value = aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(*value)
                .build()
                .map_err(|e| AwsError::Setup {
                    target: self.target.clone(),
                    message: format!("cannot build SNS message attribute `{name}`: {e}"),
                    hint: "this is a bug in driftless; please report it".into(),
                })?;
            request = request.message_attributes(*name, value);
        }
        let output = request.send().await.map_err(|e| {
            AwsError::from_sdk(&self.target, "sns", "Publish", Some(&self.topic_arn), e)
        })?;
        Ok(output.message_id().unwrap_or_default().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_is_bounded_in_time_unless_configured() {
        assert_eq!(bounded(None).operation_timeout(), Some(PUBLISH_TIMEOUT));
        let connect_only = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .build();
        let t = bounded(Some(&connect_only));
        assert_eq!(t.operation_timeout(), Some(PUBLISH_TIMEOUT));
        assert_eq!(t.connect_timeout(), Some(Duration::from_secs(3)));
        let own = TimeoutConfig::builder()
            .operation_timeout(Duration::from_secs(5))
            .build();
        assert_eq!(
            bounded(Some(&own)).operation_timeout(),
            Some(Duration::from_secs(5))
        );
    }
}
