//! Drift attribution end to end: an IAM user made in the emulator changes an owned
//! alarm with its own keys, and the next plan names that user, from the CloudTrail
//! event the emulator recorded; so does the controller, in its history and in the
//! notification of the drift it corrected.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_types::region::Region;
use aws_types::SdkConfig;

use crate::emulator::Emulator;
use crate::fixtures::put_cpu_alarm;
use crate::notify::Sink;
use crate::support::{http, Repo};

const ALARM: &str = "apiVersion: driftless.dev/v1
kind: MetricAlarm
metadata: {name: attributed-cpu}
spec:
  namespace: AWS/EC2
  metricName: CPUUtilization
  statistic: Average
  period: 300
  evaluationPeriods: 2
  threshold: 80
  comparisonOperator: GreaterThanThreshold
";

/// Calls the emulator's IAM query API as `account` (moto checks no signature, and
/// the 12-digit key in the credential scope names the account); the XML answer.
fn iam(account: &str, form: &str) -> String {
    let endpoint = Emulator::shared().endpoint();
    let addr = endpoint.trim_start_matches("http://");
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={account}/20261201/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00"
    );
    let (code, body) = http(
        addr,
        "POST",
        "/",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("{form}&Version=2010-05-08").as_bytes(),
    );
    assert_eq!(code, 200, "{form}: {body}");
    body
}

fn xml_value<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {tag} in {xml}"))
        + open.len();
    let end = xml[start..].find("</").unwrap() + start;
    &xml[start..end]
}

/// The SDK configuration of a new IAM user `name` of the repository's account, with
/// its own keys (created here).
fn iam_user(repo: &Repo, name: &str) -> SdkConfig {
    let account = repo.account.account_id.clone();
    iam(&account, &format!("Action=CreateUser&UserName={name}"));
    let key = iam(&account, &format!("Action=CreateAccessKey&UserName={name}"));
    let credentials = Credentials::new(
        xml_value(&key, "AccessKeyId"),
        xml_value(&key, "SecretAccessKey"),
        None,
        None,
        "iam-user",
    );
    SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(Region::new(repo.account.region.clone()))
        .endpoint_url(Emulator::shared().endpoint())
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// Alice, an IAM user of the repository's account, raises the alarm's threshold to 95
/// with her own keys.
async fn alice_raises_the_threshold(repo: &Repo) {
    let alice = iam_user(repo, "alice");
    put_cpu_alarm(&aws_sdk_cloudwatch::Client::new(&alice), "attributed-cpu")
        .period(300)
        .evaluation_periods(2)
        .threshold(95.0)
        .send()
        .await
        .unwrap();
}

#[test]
fn a_drift_made_with_an_iam_users_keys_names_that_user_and_when() {
    let repo = Repo::new(&[("alarm.yaml", ALARM)]);
    repo.apply(&[]);
    let account = repo.account.account_id.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(alice_raises_the_threshold(&repo));

    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let v = plan.json();
    let change = &v["changes"][0];
    assert_eq!(change["drift"], true, "{change}");
    assert_eq!(change["fields"][0]["path"], "threshold", "{change}");
    assert_eq!(change["fields"][0]["live"], 95.0);
    let by = &change["changedBy"];
    assert_eq!(
        by["principal"],
        format!("arn:aws:iam::{account}:user/alice"),
        "{by}"
    );
    assert_eq!(by["eventName"], "PutMetricAlarm");
    let time = by["eventTime"].as_str().unwrap();
    assert!(time.starts_with("20") && time.ends_with('Z'), "{time}");
    let text = repo.run(&["plan"]);
    assert!(
        text.stdout.contains(&format!(
            "(drift: changed outside git by arn:aws:iam::{account}:user/alice, PutMetricAlarm at {time})"
        )),
        "{}",
        text.stdout
    );
}

/// After alice's change, bob tries to change the alarm too and is refused (an alarm
/// action in another Region): CloudTrail records his failed write, newest, with its
/// `errorCode`, and it changed nothing, so the drift is still alice's.
#[test]
fn a_failed_write_after_the_drift_is_not_who_made_it() {
    let repo = Repo::new(&[("alarm.yaml", ALARM)]);
    repo.apply(&[]);
    let account = repo.account.account_id.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        alice_raises_the_threshold(&repo).await;
        let bob = iam_user(&repo, "bob");
        let other_region = if repo.account.region == "eu-west-1" {
            "us-east-1"
        } else {
            "eu-west-1"
        };
        let refused = aws_sdk_cloudwatch::Client::new(&bob)
            .put_metric_alarm()
            .alarm_name("attributed-cpu")
            .namespace("AWS/EC2")
            .metric_name("CPUUtilization")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(300)
            .evaluation_periods(2)
            .threshold(10.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
            .alarm_actions(format!("arn:aws:sns:{other_region}:{account}:ops"))
            .send()
            .await;
        let err = refused.expect_err("an action in another Region is refused");
        assert_eq!(
            aws_sdk_cloudwatch::error::ProvideErrorMetadata::code(&err),
            Some("ValidationError"),
            "{err:?}"
        );
    });

    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let v = plan.json();
    let change = &v["changes"][0];
    assert_eq!(change["fields"][0]["live"], 95.0, "{change}");
    assert_eq!(
        change["changedBy"]["principal"],
        format!("arn:aws:iam::{account}:user/alice"),
        "{change}"
    );
}

/// The controller attributes the drift it corrects: `driftless run --once` records
/// alice in the history (JSON and text) and names her in the Slack notification.
#[tokio::test(flavor = "multi_thread")]
async fn the_controller_records_and_announces_who_made_a_drift() {
    let sink = Sink::start().await;
    let repo = Repo::new(&[("alarm.yaml", ALARM)]);
    let url_file = repo.state.path().join("slack-url");
    std::fs::write(&url_file, sink.url("/services/attribution")).unwrap();
    repo.write(
        "driftless.yaml",
        &format!(
            "targets:\n  - name: main\n    region: {}\nnotifications:\n  slack:\n    webhookUrlFile: {}\n",
            repo.account.region,
            url_file.display()
        ),
    );
    let once = || tokio::task::block_in_place(|| repo.run(&["run", "--once"]));
    let first = once();
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert!(sink.received().is_empty(), "{:?}", sink.received());
    alice_raises_the_threshold(&repo).await;
    let second = once();
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);

    let alice = format!("arn:aws:iam::{}:user/alice", repo.account.account_id);
    let history = tokio::task::block_in_place(|| repo.run_raw(&["history", "--output", "json"]));
    let v = history.json();
    let change = &v["reconciles"][0]["changes"][0];
    assert_eq!(change["drift"], true, "{v}");
    assert_eq!(change["changedBy"]["principal"], alice, "{change}");
    assert_eq!(
        change["changedBy"]["eventName"], "PutMetricAlarm",
        "{change}"
    );
    // The first reconcile created the alarm: no drift, nobody to name.
    assert!(
        v["reconciles"][1]["changes"][0].get("changedBy").is_none(),
        "{v}"
    );
    let text = tokio::task::block_in_place(|| repo.run_raw(&["history"]));
    assert!(
        text.stdout.contains(&format!(
            "(ok, drift, changed by {alice}, PutMetricAlarm at "
        )),
        "{}",
        text.stdout
    );

    let received = sink.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(
        received[0].body.contains("drift corrected on main")
            && received[0].body.contains(&format!(
                "MetricAlarm/attributed-cpu (changed by {alice}, PutMetricAlarm at "
            )),
        "{}",
        received[0].body
    );
}

/// Attribution reads when driftless last wrote a resource through the state backend:
/// with an S3 state, a plan from a fresh folder (no local history) names alice, and
/// reads the target's history (one more listing) only when there is a drift.
#[test]
fn with_an_s3_state_a_fresh_folders_plan_reads_history_through_the_backend_on_drift_only() {
    let repo = Repo::new(&[("alarm.yaml", ALARM)]);
    let (_, url) = crate::state_s3::state_bucket(&repo, "attr");
    repo.apply(&["--state", &url]);
    let account = repo.account.account_id.clone();
    let fresh = tempfile::tempdir().unwrap();
    let src = repo.dir.path().to_string_lossy().into_owned();
    let plan = || {
        let before = Emulator::shared()
            .calls_of(&account)
            .get("s3", "ListObjectsV2");
        let out = crate::support::driftless(&repo.account, fresh.path())
            .args([
                "plan", "--output", "json", "--state", &url, "--source", &src,
            ])
            .arg("--state-dir")
            .arg(fresh.path())
            .output()
            .unwrap();
        let lists = Emulator::shared()
            .calls_of(&account)
            .get("s3", "ListObjectsV2")
            - before;
        (crate::support::Run::from_output(&out).json(), lists)
    };
    let (quiet, quiet_lists) = plan();
    assert_eq!(quiet["changes"], serde_json::json!([]), "{quiet}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(alice_raises_the_threshold(&repo));
    let (drifted, drift_lists) = plan();
    let change = &drifted["changes"][0];
    assert_eq!(change["drift"], true, "{change}");
    assert_eq!(
        change["changedBy"]["principal"],
        format!("arn:aws:iam::{account}:user/alice"),
        "{change}"
    );
    assert_eq!(
        drift_lists,
        quiet_lists + 1,
        "the history is listed once, for the drifted target only"
    );
}
