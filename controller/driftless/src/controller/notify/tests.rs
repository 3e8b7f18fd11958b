//! The notifier's set-up and senders: the webhook URL never shown, plain http only
//! to this machine, errors that say what to fix, SNS with the topic's region and the
//! named target's credentials.

use super::senders::is_loopback;
use super::*;
use crate::spec::config::{SlackNotifications, SnsNotifications};

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
            crate::spec::config::TargetEntry::Account(crate::spec::config::TargetConfig {
                name: "tokyo".into(),
                region: "ap-northeast-1".into(),
                role_arn: None,
                external_id: None,
                account_id: None,
            }),
            crate::spec::config::TargetEntry::Account(crate::spec::config::TargetConfig {
                name: "osaka".into(),
                region: "ap-northeast-3".into(),
                role_arn: None,
                external_id: None,
                account_id: None,
            }),
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
