//! Notifications end to end: a notifier configured from a real driftless.yaml publishes
//! to an SNS topic on the emulator (checked by the emulator's call count, by moto's
//! HTTP delivery to a subscription served here, and by moto's record of the message
//! attributes), and POSTs to a Slack-compatible webhook served here (body, content
//! type, dedup, and failures that are logged without the URL and never fatal).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use driftless::aws::sns::TopicPublisher;
use driftless::aws::AwsOptions;
use driftless::controller::notify::{NotificationKind, Notifier, NotifyError, Observation};
use driftless::spec::DriftlessConfig;

use crate::emulator::{Emulator, TestAccount};

const SHA: &str = "9f1c2e7aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
const SHA2: &str = "abc1234aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
/// The secret part of the test webhook URLs: it must never show up in logs or errors.
const SECRET: &str = "s3cr3t-w3bh00k-t0k3n";

/// One request the sink received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) path: String,
    content_type: String,
    pub(crate) body: String,
}

#[derive(Default)]
struct SinkState {
    received: Mutex<Vec<Received>>,
    status: Mutex<u16>,
    hang: Mutex<bool>,
}

/// A local HTTP server that records every request and answers with a chosen status.
pub(crate) struct Sink {
    addr: SocketAddr,
    state: Arc<SinkState>,
}

impl Sink {
    pub(crate) async fn start() -> Sink {
        let state = Arc::new(SinkState {
            status: Mutex::new(200),
            ..SinkState::default()
        });
        let app = axum::Router::new()
            .fallback(record)
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Sink { addr, state }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    fn answer(&self, status: u16) {
        *self.state.status.lock().unwrap() = status;
    }

    fn hang(&self) {
        *self.state.hang.lock().unwrap() = true;
    }
}

async fn record(
    State(state): State<Arc<SinkState>>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, &'static str) {
    state.received.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        body,
    });
    let hang = *state.hang.lock().unwrap();
    if hang {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let status = *state.status.lock().unwrap();
    (
        StatusCode::from_u16(status).unwrap(),
        if status == 200 { "ok" } else { "no_service" },
    )
}

/// driftless.yaml (plus one document) in a temporary repository, loaded the way every
/// command loads it.
fn load_config(dir: &Path, driftless_yaml: &str) -> DriftlessConfig {
    std::fs::write(dir.join("driftless.yaml"), driftless_yaml).unwrap();
    std::fs::write(
        dir.join("a.yaml"),
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata:\n  name: /app/web\nspec:\n  retentionInDays: 30\n",
    )
    .unwrap();
    match driftless::validate::load_folder(dir, "") {
        Ok(loaded) => loaded.state.config,
        Err(driftless::validate::LoadError::Invalid(d)) => {
            panic!("{}", driftless::spec::diagnostic::render_text(&d))
        }
        Err(e) => panic!("{e}"),
    }
}

fn obs(target: &str) -> Observation {
    Observation {
        target: target.into(),
        revision: SHA.into(),
        ..Observation::default()
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn kinds(sent: &[driftless::controller::notify::Notification]) -> Vec<NotificationKind> {
    sent.iter().map(|n| n.kind).collect()
}

/// The messages moto recorded for `topic_arn` (`/moto-api/data.json`): (subject,
/// message, message attributes).
fn moto_sent_notifications(
    emulator: &Emulator,
    topic_arn: &str,
) -> Vec<(String, String, serde_json::Value)> {
    let data: serde_json::Value =
        serde_json::from_str(&emulator.control("GET", "/moto-api/data.json", None)).unwrap();
    let topics = data["sns"]["Topic"]
        .as_array()
        .expect("sns.Topic in data.json");
    let topic = topics
        .iter()
        .find(|t| t["arn"] == topic_arn)
        .unwrap_or_else(|| panic!("{topic_arn} not in data.json"));
    topic["sent_notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n[2].as_str().unwrap_or("").to_string(),
                n[1].as_str().unwrap().to_string(),
                n[3].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn sns_notifications_reach_the_topic_once_per_condition() {
    let account = TestAccount::new();
    let emulator = account.emulator();
    let sdk = account.sdk_config();
    let sns = aws_sdk_sns::Client::new(&sdk);
    let topic_arn = sns
        .create_topic()
        .name("driftless-ops")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .unwrap()
        .to_string();
    let sink = Sink::start().await;
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("http")
        .endpoint(sink.url("/sns"))
        .send()
        .await
        .expect("Subscribe");

    let dir = tempfile::tempdir().unwrap();
    let config = load_config(
        dir.path(),
        &format!(
            "targets:\n  - name: prod-tokyo\n    region: {}\nnotifications:\n  sns:\n    topicArn: {topic_arn}\n",
            account.region
        ),
    );
    let publisher = TopicPublisher::from_sdk_config(&topic_arn, "prod-tokyo", &sdk);
    let notifier = Notifier::with_sns_publisher(&config, Some(publisher))
        .unwrap()
        .expect("notifications are configured");
    let before = emulator.calls_of(&account.account_id).get("sns", "Publish");

    let mut expected = Vec::new();
    let steps: Vec<(Observation, Vec<NotificationKind>)> = vec![
        // A drift left in place: announced once, however often it is seen.
        (
            Observation {
                drift_detected: names(&["MetricAlarm/web-cpu-high"]),
                ..obs("prod-tokyo")
            },
            vec![NotificationKind::DriftDetected],
        ),
        (
            Observation {
                drift_detected: names(&["MetricAlarm/web-cpu-high"]),
                ..obs("prod-tokyo")
            },
            vec![],
        ),
        // A failing target: announced once, even when the reason changes.
        (
            Observation {
                drift_detected: names(&["MetricAlarm/web-cpu-high"]),
                apply_failed: Some("cloudwatch PutMetricAlarm failed: Throttling".into()),
                ..obs("prod-tokyo")
            },
            vec![NotificationKind::ApplyFailed],
        ),
        (
            Observation {
                apply_failed: Some("cloudwatch DescribeAlarms failed: timeout".into()),
                ..obs("prod-tokyo")
            },
            vec![],
        ),
        // Both conditions end: one recovery each.
        (
            Observation {
                revision: SHA2.into(),
                ..obs("prod-tokyo")
            },
            vec![
                NotificationKind::DriftResolved,
                NotificationKind::ApplyRecovered,
            ],
        ),
        (
            Observation {
                revision: SHA2.into(),
                ..obs("prod-tokyo")
            },
            vec![],
        ),
    ];
    for (i, (observation, wanted)) in steps.iter().enumerate() {
        let sent = notifier.observe(observation).await;
        assert_eq!(&kinds(&sent), wanted, "step {i}: {sent:#?}");
        expected.extend(sent);
    }

    // The emulator served exactly one Publish per notification.
    let after = emulator.calls_of(&account.account_id).get("sns", "Publish");
    assert_eq!(after - before, 4, "Publish calls");

    // moto delivered each to the HTTP subscription, in order, with subject and text.
    let delivered = sink.received();
    assert_eq!(delivered.len(), expected.len(), "{delivered:#?}");
    for (got, want) in delivered.iter().zip(&expected) {
        assert_eq!(got.path, "/sns");
        let body: serde_json::Value = serde_json::from_str(&got.body).unwrap();
        assert_eq!(body["Type"], "Notification");
        assert_eq!(body["TopicArn"], topic_arn.as_str());
        assert_eq!(body["Subject"], want.subject().as_str());
        assert_eq!(body["Message"], want.text().as_str());
    }
    let first: serde_json::Value = serde_json::from_str(&delivered[0].body).unwrap();
    assert_eq!(
        first["Subject"],
        "driftless: drift detected on prod-tokyo at 9f1c2e7: MetricAlarm/web-cpu-high"
    );
    let message = first["Message"].as_str().unwrap();
    assert!(
        message.contains("\n- MetricAlarm/web-cpu-high\n"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "event: driftDetected\ntarget: prod-tokyo\nrevision: {SHA}"
        )),
        "{message}"
    );

    // moto's record of the topic has the message attributes too.
    let recorded = moto_sent_notifications(emulator, &topic_arn);
    assert_eq!(recorded.len(), 4);
    let attributes: Vec<(String, String)> = recorded
        .iter()
        .map(|(_, _, a)| {
            (
                a["event"]["Value"].as_str().unwrap().to_string(),
                a["target"]["Value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        attributes,
        [
            ("driftDetected", "prod-tokyo"),
            ("applyFailed", "prod-tokyo"),
            ("driftResolved", "prod-tokyo"),
            ("applyRecovered", "prod-tokyo"),
        ]
        .map(|(e, t)| (e.to_string(), t.to_string()))
    );
    assert_eq!(recorded[1].2["event"]["Type"], "String");
}

#[tokio::test]
async fn sns_failures_are_logged_and_never_fatal() {
    let account = TestAccount::new();
    let sdk = account.sdk_config();
    // A topic that does not exist: Publish answers NotFound.
    let topic_arn = format!(
        "arn:aws:sns:{}:{}:never-created",
        account.region, account.account_id
    );
    let dir = tempfile::tempdir().unwrap();
    let config = load_config(
        dir.path(),
        &format!("notifications:\n  sns:\n    topicArn: {topic_arn}\n"),
    );
    let publisher = TopicPublisher::from_sdk_config(&topic_arn, "default", &sdk);
    let notifier = Notifier::with_sns_publisher(&config, Some(publisher))
        .unwrap()
        .unwrap();
    let (logs, sent) = capture_logs(notifier.observe(&Observation {
        apply_failed: Some("denied".into()),
        ..obs("default")
    }))
    .await;
    assert_eq!(kinds(&sent), [NotificationKind::ApplyFailed]);
    assert!(logs.contains("notification not delivered"), "{logs}");
    assert!(logs.contains(&format!("SNS topic {topic_arn}")), "{logs}");
    assert!(logs.contains("sns Publish failed"), "{logs}");
    assert_eq!(
        account
            .emulator()
            .calls_of(&account.account_id)
            .get("sns", "Publish"),
        1
    );
}

/// A notifier for a Slack webhook whose URL is in a file, from driftless.yaml.
async fn slack_notifier(dir: &Path, url: &str, events: &str) -> Notifier {
    let secret_file = dir.join("slack-url");
    std::fs::write(&secret_file, format!("{url}\n")).unwrap();
    let config = load_config(
        dir,
        &format!(
            "targets:\n  - name: prod-tokyo\n    region: ap-northeast-1\nnotifications:\n  slack:\n    webhookUrlFile: {}\n{events}",
            secret_file.display()
        ),
    );
    Notifier::from_config(&config, &AwsOptions::default())
        .await
        .unwrap()
        .expect("notifications are configured")
}

#[tokio::test]
async fn slack_webhook_gets_json_once_per_condition() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = format!("/services/T0/B0/{SECRET}");
    let notifier = slack_notifier(dir.path(), &sink.url(&path), "").await;
    assert!(!format!("{notifier:?}").contains(SECRET));

    let drift = Observation {
        drift_detected: names(&["MetricAlarm/web-cpu-high"]),
        ..obs("prod-tokyo")
    };
    let sent = notifier.observe(&drift).await;
    assert_eq!(kinds(&sent), [NotificationKind::DriftDetected]);
    let received = sink.received();
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(received[0].path, path);
    assert_eq!(received[0].content_type, "application/json");
    let body: serde_json::Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "text": "driftless: drift detected on prod-tokyo at 9f1c2e7: MetricAlarm/web-cpu-high\n• MetricAlarm/web-cpu-high"
        })
    );

    // The same observation again: nothing new, nothing sent.
    assert_eq!(notifier.observe(&drift).await, []);
    assert_eq!(sink.received().len(), 1);

    // Found and corrected at once: announced as corrected (one piece of news), every
    // time it happens.
    let corrected = Observation {
        drift_detected: names(&["LogGroup/app-web"]),
        drift_corrected: names(&["LogGroup/app-web"]),
        ..obs("prod-tokyo")
    };
    let sent = notifier.observe(&corrected).await;
    assert_eq!(
        kinds(&sent),
        [
            NotificationKind::DriftCorrected,
            NotificationKind::DriftResolved
        ]
    );
    let texts: Vec<String> = sink
        .received()
        .iter()
        .skip(1)
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["text"]
                .as_str()
                .unwrap()
                .lines()
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        texts,
        [
            "driftless: drift corrected on prod-tokyo at 9f1c2e7: LogGroup/app-web",
            "driftless: drift resolved on prod-tokyo at 9f1c2e7: MetricAlarm/web-cpu-high",
        ]
    );

    // An invalid revision: once, whichever target reports it, and its fix once.
    let invalid = Observation {
        invalid_revision: Some((
            SHA2.into(),
            "alarms.yaml:9:3: error: unknown field `evaluationPeriod` in `spec`".into(),
        )),
        ..obs("prod-tokyo")
    };
    assert_eq!(
        kinds(&notifier.observe(&invalid).await),
        [NotificationKind::RevisionInvalid]
    );
    assert_eq!(notifier.observe(&invalid).await, []);
    let last = sink.received().last().unwrap().body.clone();
    assert!(
        last.contains("revision abc1234 is invalid, not applied; prod-tokyo stays at 9f1c2e7"),
        "{last}"
    );
    assert_eq!(sink.received().len(), 4);
}

#[tokio::test]
async fn only_the_listed_events_are_sent() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let notifier = slack_notifier(
        dir.path(),
        &sink.url(&format!("/hook/{SECRET}")),
        "  events: [applyFailed]\n",
    )
    .await;
    let drift = Observation {
        drift_detected: names(&["MetricAlarm/a"]),
        drift_corrected: names(&["MetricAlarm/a"]),
        ..obs("prod-tokyo")
    };
    assert_eq!(notifier.observe(&drift).await, []);
    let failed = Observation {
        apply_failed: Some("ssm GetPatchBaseline failed: AccessDenied".into()),
        ..obs("prod-tokyo")
    };
    assert_eq!(
        kinds(&notifier.observe(&failed).await),
        [NotificationKind::ApplyFailed]
    );
    assert_eq!(
        kinds(&notifier.observe(&obs("prod-tokyo")).await),
        [NotificationKind::ApplyRecovered]
    );
    let received = sink.received();
    assert_eq!(received.len(), 2, "{received:#?}");
    assert!(received[0].body.contains("apply failed on prod-tokyo"));
    assert!(received[1].body.contains("prod-tokyo reconciles again"));
}

/// Runs `future` with this thread's tracing output captured (the test runtime is
/// single-threaded, so everything the future logs lands here).
async fn capture_logs<T>(future: impl std::future::Future<Output = T>) -> (String, T) {
    let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer = {
        let buffer = Arc::clone(&buffer);
        move || CaptureWriter(Arc::clone(&buffer))
    };
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(writer)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let out = future.await;
    drop(guard);
    let logs = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    (logs, out)
}

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn slack_failures_are_logged_without_the_url_and_never_fatal() {
    let sink = Sink::start().await;
    sink.answer(500);
    let dir = tempfile::tempdir().unwrap();
    let notifier = slack_notifier(
        dir.path(),
        &sink.url(&format!("/services/T0/B0/{SECRET}")),
        "",
    )
    .await;
    let failing = Observation {
        apply_failed: Some("logs PutRetentionPolicy failed: ServiceUnavailable".into()),
        ..obs("prod-tokyo")
    };
    let (logs, sent) = capture_logs(notifier.observe(&failing)).await;
    // The notification was attempted (and counts as announced); the POST failed.
    assert_eq!(kinds(&sent), [NotificationKind::ApplyFailed]);
    assert_eq!(sink.received().len(), 1);
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("notification not delivered"), "{logs}");
    assert!(
        logs.contains(&format!(
            "the Slack webhook (from file {})",
            dir.path().join("slack-url").display()
        )),
        "{logs}"
    );
    assert!(
        logs.contains("answered 500 Internal Server Error: no_service"),
        "{logs}"
    );
    assert!(!logs.contains(SECRET), "{logs}");
    // Dedup does not resend while the condition holds.
    assert_eq!(notifier.observe(&failing).await, []);

    // Nothing listening: a connection error, logged, URL-free.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let dir2 = tempfile::tempdir().unwrap();
    let unreachable = slack_notifier(
        dir2.path(),
        &format!("http://127.0.0.1:{port}/services/{SECRET}"),
        "",
    )
    .await;
    let (logs, sent) = capture_logs(unreachable.observe(&failing)).await;
    assert_eq!(sent.len(), 1);
    assert!(logs.contains("notification not delivered"), "{logs}");
    assert!(!logs.contains(SECRET), "{logs}");

    // A webhook that never answers: cut off at the timeout.
    let slow = Sink::start().await;
    slow.hang();
    let dir3 = tempfile::tempdir().unwrap();
    let hanging = slack_notifier(dir3.path(), &slow.url(&format!("/x/{SECRET}")), "")
        .await
        .with_slack_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let (logs, sent) = capture_logs(hanging.observe(&failing)).await;
    assert_eq!(sent.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(logs.contains("no answer within 300ms"), "{logs}");
}

#[tokio::test]
async fn setup_errors_name_the_source_of_the_url_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let config = load_config(
        dir.path(),
        "notifications:\n  slack:\n    webhookUrlEnv: DRIFTLESS_TEST_SLACK_URL_NEVER_SET\n",
    );
    let err = Notifier::from_config(&config, &AwsOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, NotifyError::SlackUrlUnset { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the Slack webhook URL is not set: environment variable `DRIFTLESS_TEST_SLACK_URL_NEVER_SET` (driftless.yaml notifications.slack.webhookUrlEnv) is empty or unset\n  hint: set `DRIFTLESS_TEST_SLACK_URL_NEVER_SET` in the controller's environment to the webhook URL, or change `webhookUrlEnv`"
    );

    // A plain-http URL to another machine is refused, without quoting it.
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("slack-url");
    std::fs::write(
        &secret_file,
        format!("http://hooks.example.com/services/{SECRET}"),
    )
    .unwrap();
    let config = load_config(
        dir.path(),
        &format!(
            "notifications:\n  slack:\n    webhookUrlFile: {}\n",
            secret_file.display()
        ),
    );
    let err = Notifier::from_config(&config, &AwsOptions::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        !text.contains(SECRET) && !text.contains("example.com"),
        "{text}"
    );
    assert!(
        text.contains("is not a usable URL: it is http://; webhooks need https://"),
        "{text}"
    );

    // No notifications: no notifier.
    let config = load_config(dir.path(), "targets: []\n");
    assert!(Notifier::from_config(&config, &AwsOptions::default())
        .await
        .unwrap()
        .is_none());
}

/// The controller itself: `driftless run --once` from a git repository announces a
/// drift it corrected and an invalid commit, to the webhook driftless.yaml names.
#[tokio::test(flavor = "multi_thread")]
async fn the_controller_announces_corrected_drift_and_an_invalid_commit() {
    let sink = Sink::start().await;
    let account = TestAccount::new();
    let state = tempfile::tempdir().unwrap();
    let origin = tempfile::tempdir().unwrap();
    let yaml = format!(
        "targets:\n  - name: main\n    region: {}\nnotifications:\n  slack:\n    webhookUrlEnv: DRIFTLESS_SLACK_WEBHOOK_URL\n",
        account.region
    );
    let group = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /notify/app}\nspec:\n  retentionInDays: 14\n";
    std::fs::write(origin.path().join("driftless.yaml"), yaml).unwrap();
    std::fs::write(origin.path().join("logs.yaml"), group).unwrap();
    let git = |args: &[&str]| crate::support::git(origin.path(), args);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    let first = crate::support::head(origin.path());
    let url = format!("file://{}", origin.path().display());
    let webhook = sink.url(&format!("/services/{SECRET}"));
    let run_once = || {
        let out = crate::support::driftless(&account, state.path())
            .args(["run", "--once", "--source", &url, "--state-dir"])
            .arg(state.path())
            .env("DRIFTLESS_SLACK_WEBHOOK_URL", &webhook)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains(SECRET), "{stderr}");
        (out.status.code(), stderr)
    };
    let (code, stderr) = tokio::task::block_in_place(run_once);
    assert_eq!(code, Some(0), "{stderr}");
    // A first apply is no news.
    assert!(sink.received().is_empty(), "{:?}", sink.received());

    let logs = aws_sdk_cloudwatchlogs::Client::new(&account.sdk_config());
    logs.put_retention_policy()
        .log_group_name("/notify/app")
        .retention_in_days(60)
        .send()
        .await
        .unwrap();
    let (code, stderr) = tokio::task::block_in_place(run_once);
    assert_eq!(code, Some(0), "{stderr}");
    let received = sink.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].path, format!("/services/{SECRET}"));
    assert!(
        received[0].body.contains("drift corrected on main")
            && received[0].body.contains("LogGroup//notify/app"),
        "{}",
        received[0].body
    );

    std::fs::write(
        origin.path().join("logs.yaml"),
        group.replace("retentionInDays: 14", "retentionInDays: 13"),
    )
    .unwrap();
    git(&["commit", "-q", "-am", "unsupported retention"]);
    let (code, stderr) = tokio::task::block_in_place(run_once);
    assert_eq!(code, Some(1), "{stderr}");
    let received = sink.received();
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(
        received[1].body.contains("invalid") && received[1].body.contains("retentionInDays"),
        "{}",
        received[1].body
    );
    // A new process: the target and the revision it still enforces come from the
    // invalid commit's driftless.yaml and the history.
    assert!(
        received[1]
            .body
            .contains(&format!("main stays at {}", &first[..7])),
        "{}",
        received[1].body
    );

    // A new process remembers what was announced (in the state store): the same
    // invalid commit is not announced twice.
    let (code, stderr) = tokio::task::block_in_place(run_once);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(sink.received().len(), 2, "{:?}", sink.received());
}
