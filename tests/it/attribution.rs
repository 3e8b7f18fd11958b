//! Drift attribution end to end: an IAM user made in the emulator changes an owned
//! alarm with its own keys, and the next plan names that user, from the CloudTrail
//! event the emulator recorded.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_types::region::Region;
use aws_types::SdkConfig;

use crate::cli::{http, Repo};
use crate::emulator::Emulator;

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

#[test]
fn a_drift_made_with_an_iam_users_keys_names_that_user_and_when() {
    let repo = Repo::new(&[("alarm.yaml", ALARM)]);
    repo.apply(&[]);
    let account = repo.account.account_id.clone();
    iam(&account, "Action=CreateUser&UserName=alice");
    let key = iam(&account, "Action=CreateAccessKey&UserName=alice");
    let credentials = Credentials::new(
        xml_value(&key, "AccessKeyId"),
        xml_value(&key, "SecretAccessKey"),
        None,
        None,
        "alice",
    );
    let alice = SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(Region::new(repo.account.region.clone()))
        .endpoint_url(Emulator::shared().endpoint())
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(
        aws_sdk_cloudwatch::Client::new(&alice)
            .put_metric_alarm()
            .alarm_name("attributed-cpu")
            .namespace("AWS/EC2")
            .metric_name("CPUUtilization")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(300)
            .evaluation_periods(2)
            .threshold(95.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
            .send(),
    )
    .unwrap();

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
