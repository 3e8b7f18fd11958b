//! The CloudWatch alarm and CloudWatch Logs writers against the emulator: what is
//! written reads back (through the readers) as exactly the spec written, unset fields
//! are not sent, tags change in place, deletes are idempotent, a retried log-group
//! create succeeds only for the same owner, and stored bytes reach `LiveTarget`.
//!
//! The emulator keeps every field AWS keeps (logGroupClass, KMS keys, cross-account
//! metric queries), so each is checked both on the request and on the read-back.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use driftless::aws::{cloudwatch, logs, Clients, ReadRequest};
use driftless::live::Live;
use driftless::spec::alarm::{MetricDataQuery, MetricStat, StandardUnit, TreatMissingData};
use driftless::spec::log_group::{LogGroupClass, Retention};
use driftless::spec::{LogGroupSpec, MetricAlarmSpec};

use crate::emulator::{observing, TestAccount};
use crate::fixtures::{
    self, anomaly_alarm, api_latency_alarm, arn, code, elb_metric, kms_key, live, math_alarm,
    names, put_one_event, reported_log_group, tags, topic, web_cpu_alarm, web_lb, web_log_group,
};

const OWNER: &str = "driftless.dev/managed-by";
const INSTANCE: &str = "it-writers";

// ---------------------------------------------------------------------------
// Recording this test's own requests
// ---------------------------------------------------------------------------

/// (operation, request body) of one request.
type Request = (String, Vec<u8>);

/// Every request sent through one SDK config.
#[derive(Debug, Clone, Default)]
struct Sent(Arc<Mutex<Vec<Request>>>);

impl Sent {
    fn operations(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(o, _)| o.clone())
            .collect()
    }

    /// The body of the last request of `operation`.
    fn last_body(&self, operation: &str) -> Vec<u8> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(o, _)| o == operation)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("no {operation} request was sent"))
    }

    /// The last `operation` request's body as JSON (awsJson services: Logs).
    fn last_json(&self, operation: &str) -> serde_json::Value {
        serde_json::from_slice(&self.last_body(operation)).expect("a JSON request body")
    }

    fn reset(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// Clients for `account` that record every request they send.
fn recording(account: &TestAccount) -> (Clients, Sent) {
    let sent = Sent::default();
    let recorder = sent.clone();
    let config = observing(&account.sdk_config(), move |request| {
        let operation = match request.headers().get("x-amz-target") {
            Some(target) => target.rsplit('.').next().unwrap_or(target).to_string(),
            None => request
                .uri()
                .rsplit_once("/operation/")
                .map(|(_, op)| op.to_string())
                .unwrap_or_default(),
        };
        let body = request.body().bytes().unwrap_or_default().to_vec();
        recorder.0.lock().unwrap().push((operation, body));
    });
    (Clients::from_sdk_config("t", &config), sent)
}

/// Whether `needle` occurs in `body` (CBOR text strings are stored as raw UTF-8).
fn contains(body: &[u8], needle: &str) -> bool {
    body.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Whether a CBOR body has the key `Threshold` (a text of 9 bytes: 0x69) with a
/// float64 (0xfb) value.
fn has_threshold(body: &[u8]) -> bool {
    let key = [&[0x69][..], b"Threshold", &[0xfb]].concat();
    body.windows(key.len()).any(|w| w == key.as_slice())
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Reads `name` back as the readers see it (not owned: tags with their own call).
async fn read_alarm(clients: &Clients, name: &str) -> Option<Live<MetricAlarmSpec>> {
    let mut alarms = cloudwatch::read_alarms(clients, &names(&[name]), &BTreeMap::new())
        .await
        .expect("read_alarms")
        .metric;
    assert!(alarms.len() <= 1, "{alarms:?}");
    alarms.pop()
}

async fn read_group(clients: &Clients, name: &str) -> Option<Live<LogGroupSpec>> {
    let mut read =
        logs::read_log_groups(clients, &names(&[name]), &BTreeSet::new(), &BTreeMap::new())
            .await
            .expect("read_log_groups");
    assert!(read.groups.len() <= 1, "{:?}", read.groups);
    read.groups.pop()
}

/// A minimal single-metric alarm of this instance: only the required fields.
fn minimal_alarm() -> MetricAlarmSpec {
    fixtures::minimal_alarm(tags(&[(OWNER, INSTANCE)]))
}

// ---------------------------------------------------------------------------
// CloudWatch alarms
// ---------------------------------------------------------------------------

/// A single-metric alarm with every optional field, one on an extended statistic, and
/// a minimal one (AWS defaults: only `actionsEnabled` reads back, as true) read back as
/// written; putting again replaces the definition, dropped fields included.
#[tokio::test]
async fn put_alarm_single_metric_every_field() {
    let account = TestAccount::new();
    let (clients, sent) = recording(&account);
    let full = web_cpu_alarm(&account, tags(&[(OWNER, INSTANCE), ("team", "web")]));
    cloudwatch::put_alarm(&clients, "web-cpu-high", &full, &full.tags)
        .await
        .expect("put_alarm");
    let alarm_arn = |name: &str| arn(&account, "cloudwatch", &format!("alarm:{name}"));
    assert_eq!(
        read_alarm(&clients, "web-cpu-high").await,
        Some(live(
            "web-cpu-high",
            full.clone(),
            alarm_arn("web-cpu-high")
        ))
    );

    let percentile = MetricAlarmSpec {
        unit: Some(StandardUnit::Seconds),
        ..api_latency_alarm(tags(&[(OWNER, INSTANCE)]))
    };
    cloudwatch::put_alarm(&clients, "api-latency-p99", &percentile, &percentile.tags)
        .await
        .expect("put_alarm");
    assert_eq!(
        read_alarm(&clients, "api-latency-p99").await,
        Some(live(
            "api-latency-p99",
            percentile.clone(),
            alarm_arn("api-latency-p99")
        ))
    );

    // Unset fields are not sent at all.
    sent.reset();
    let minimal = minimal_alarm();
    cloudwatch::put_alarm(&clients, "minimal", &minimal, &minimal.tags)
        .await
        .expect("put_alarm");
    let body = sent.last_body("PutMetricAlarm");
    for absent in [
        "AlarmDescription",
        "Dimensions",
        "ExtendedStatistic",
        "Unit",
        "Metrics",
        "DatapointsToAlarm",
        "ThresholdMetricId",
        "TreatMissingData",
        "EvaluateLowSampleCountPercentile",
        "ActionsEnabled",
        "AlarmActions",
        "OKActions",
        "InsufficientDataActions",
    ] {
        assert!(!contains(&body, absent), "{absent} was sent");
    }
    for present in ["AlarmName", "Namespace", "Statistic", "Period", "Tags"] {
        assert!(contains(&body, present), "{present} was not sent");
    }
    // AWS's default for actionsEnabled reads back as true.
    assert_eq!(
        read_alarm(&clients, "minimal").await,
        Some(live(
            "minimal",
            MetricAlarmSpec {
                actions_enabled: Some(true),
                ..minimal.clone()
            },
            alarm_arn("minimal")
        ))
    );

    // Putting again replaces the whole definition: what the new spec leaves out is
    // gone. Tags in the call are the ones AWS keeps (unchanged here).
    let changed = MetricAlarmSpec {
        description: None,
        dimensions: tags(&[("AutoScalingGroupName", "web")]),
        unit: None,
        threshold: Some(90.0),
        datapoints_to_alarm: None,
        treat_missing_data: None,
        actions_enabled: Some(true),
        alarm_actions: vec![topic(&account, "ops")],
        ok_actions: vec![],
        insufficient_data_actions: vec![],
        ..full.clone()
    };
    cloudwatch::put_alarm(&clients, "web-cpu-high", &changed, &changed.tags)
        .await
        .expect("put_alarm again");
    assert_eq!(
        read_alarm(&clients, "web-cpu-high").await,
        Some(live("web-cpu-high", changed, alarm_arn("web-cpu-high")))
    );
}

/// Metric-math alarms (an expression over two metric stats, and an anomaly band with
/// `thresholdMetricId`) read back as written.
#[tokio::test]
async fn put_alarm_metric_math() {
    let account = TestAccount::new();
    let (clients, sent) = recording(&account);
    let rate = MetricAlarmSpec {
        description: Some("5xx above 5% of requests".into()),
        evaluation_periods: 2,
        threshold: Some(5.0),
        treat_missing_data: Some(TreatMissingData::Breaching),
        ..math_alarm(
            vec![
                MetricDataQuery {
                    id: "rate".into(),
                    expression: Some("100 * errors / requests".into()),
                    metric_stat: None,
                    label: Some("Error rate".into()),
                    return_data: Some(true),
                    period: Some(60),
                    account_id: None,
                },
                MetricDataQuery {
                    id: "errors".into(),
                    expression: None,
                    metric_stat: Some(MetricStat {
                        metric: elb_metric("HTTPCode_Target_5XX_Count", web_lb()),
                        period: 60,
                        stat: "Sum".into(),
                        unit: Some(StandardUnit::Count),
                    }),
                    label: Some("5xx".into()),
                    return_data: Some(false),
                    period: None,
                    account_id: None,
                },
                MetricDataQuery {
                    id: "requests".into(),
                    expression: None,
                    metric_stat: Some(MetricStat {
                        metric: elb_metric("RequestCount", BTreeMap::new()),
                        period: 60,
                        stat: "p99".into(),
                        unit: None,
                    }),
                    label: None,
                    return_data: Some(false),
                    period: None,
                    account_id: None,
                },
            ],
            tags(&[(OWNER, INSTANCE)]),
        )
    };
    cloudwatch::put_alarm(&clients, "web-error-rate", &rate, &rate.tags)
        .await
        .expect("put_alarm");
    let body = sent.last_body("PutMetricAlarm");
    assert!(has_threshold(&body) && !contains(&body, "ThresholdMetricId"));
    let alarm_arn = |name: &str| arn(&account, "cloudwatch", &format!("alarm:{name}"));
    assert_eq!(
        read_alarm(&clients, "web-error-rate").await,
        Some(live(
            "web-error-rate",
            rate.clone(),
            alarm_arn("web-error-rate")
        ))
    );

    let band = MetricAlarmSpec {
        description: rate.description.clone(),
        ..anomaly_alarm(rate.tags.clone())
    };
    cloudwatch::put_alarm(&clients, "web-requests-anomaly", &band, &band.tags)
        .await
        .expect("put_alarm");
    let body = sent.last_body("PutMetricAlarm");
    assert!(contains(&body, "ThresholdMetricId"));
    assert!(!has_threshold(&body), "no Threshold is sent");
    assert_eq!(
        read_alarm(&clients, "web-requests-anomaly").await,
        Some(live(
            "web-requests-anomaly",
            band,
            alarm_arn("web-requests-anomaly")
        ))
    );

    // A cross-account query: the writer sends AccountId, and it reads back.
    let mut cross = rate.clone();
    if let Some(metrics) = cross.metrics.as_mut() {
        metrics[1].account_id = Some("210987654321".into());
    }
    cloudwatch::put_alarm(&clients, "cross-account", &cross, &cross.tags)
        .await
        .expect("put_alarm");
    let body = sent.last_body("PutMetricAlarm");
    assert!(contains(&body, "AccountId") && contains(&body, "210987654321"));
    let read = read_alarm(&clients, "cross-account").await.expect("alarm");
    assert_eq!(read.spec, cross);
}

/// retag_alarm adds, changes and removes tags in place and calls nothing when there is
/// nothing to do; delete_alarm deletes, and deleting again is fine.
#[tokio::test]
async fn retag_and_delete_alarm() {
    let account = TestAccount::new();
    let (clients, sent) = recording(&account);
    let spec = MetricAlarmSpec {
        tags: tags(&[(OWNER, INSTANCE), ("team", "web"), ("old", "x")]),
        ..minimal_alarm()
    };
    cloudwatch::put_alarm(&clients, "tagged", &spec, &spec.tags)
        .await
        .expect("put_alarm");
    let alarm_arn = arn(&account, "cloudwatch", "alarm:tagged");

    cloudwatch::retag_alarm(
        &clients,
        &alarm_arn,
        &tags(&[("team", "api"), ("new", "y")]),
        &["old".to_string()],
    )
    .await
    .expect("retag_alarm");
    let read = read_alarm(&clients, "tagged").await.expect("alarm");
    assert_eq!(
        read.spec.tags,
        tags(&[(OWNER, INSTANCE), ("team", "api"), ("new", "y")])
    );

    // Only an addition, only a removal, nothing.
    sent.reset();
    cloudwatch::retag_alarm(&clients, &alarm_arn, &tags(&[("more", "z")]), &[])
        .await
        .expect("retag_alarm");
    cloudwatch::retag_alarm(&clients, &alarm_arn, &BTreeMap::new(), &["new".to_string()])
        .await
        .expect("retag_alarm");
    cloudwatch::retag_alarm(&clients, &alarm_arn, &BTreeMap::new(), &[])
        .await
        .expect("retag_alarm");
    assert_eq!(sent.operations(), ["TagResource", "UntagResource"]);
    let read = read_alarm(&clients, "tagged").await.expect("alarm");
    assert_eq!(
        read,
        live(
            "tagged",
            MetricAlarmSpec {
                actions_enabled: Some(true),
                tags: tags(&[(OWNER, INSTANCE), ("team", "api"), ("more", "z")]),
                ..minimal_alarm()
            },
            alarm_arn.clone()
        )
    );

    cloudwatch::delete_alarm(&clients, "tagged")
        .await
        .expect("delete_alarm");
    assert_eq!(read_alarm(&clients, "tagged").await, None);
    cloudwatch::delete_alarm(&clients, "tagged")
        .await
        .expect("delete_alarm of a deleted alarm");
}

// ---------------------------------------------------------------------------
// CloudWatch Logs
// ---------------------------------------------------------------------------

/// A group created with retention, key, class and tags reads back as written; its
/// retention changes and goes, its key is associated and removed, its tags are added,
/// changed and removed, and it is deleted (twice).
#[tokio::test]
async fn log_group_lifecycle() {
    let account = TestAccount::new();
    let (clients, sent) = recording(&account);
    let name = "/app/web";
    let group_arn = arn(&account, "logs", &format!("log-group:{name}"));
    let mut spec = LogGroupSpec {
        log_group_class: Some(LogGroupClass::InfrequentAccess),
        ..web_log_group(&account, tags(&[(OWNER, INSTANCE), ("team", "web")]))
    };
    sent.reset();
    logs::create_log_group(&clients, name, &spec, &spec.tags)
        .await
        .expect("create_log_group");
    assert_eq!(sent.operations(), ["CreateLogGroup", "PutRetentionPolicy"]);
    let create = sent.last_json("CreateLogGroup");
    assert_eq!(
        create,
        serde_json::json!({
            "logGroupName": name,
            "kmsKeyId": spec.kms_key_id,
            "logGroupClass": "INFREQUENT_ACCESS",
            "tags": {OWNER: INSTANCE, "team": "web"},
        })
    );
    assert_eq!(
        sent.last_json("PutRetentionPolicy"),
        serde_json::json!({"logGroupName": name, "retentionInDays": 30})
    );
    let read = read_group(&clients, name).await.expect("group");
    assert_eq!(read, live(name, spec.clone(), group_arn.clone()));

    // Retention: changed, removed (`None` and `Never` both delete the policy).
    logs::set_retention(&clients, name, Some(Retention::Days(90)))
        .await
        .expect("set_retention 90");
    spec.retention_in_days = Some(Retention::Days(90));
    assert_eq!(
        read_group(&clients, name).await,
        Some(live(name, spec.clone(), group_arn.clone()))
    );
    logs::set_retention(&clients, name, None)
        .await
        .expect("set_retention None");
    spec.retention_in_days = None;
    assert_eq!(
        read_group(&clients, name).await,
        Some(live(name, spec.clone(), group_arn.clone()))
    );
    sent.reset();
    logs::set_retention(&clients, name, Some(Retention::Never))
        .await
        .expect("set_retention Never on a group without a policy");
    assert_eq!(sent.operations(), ["DeleteRetentionPolicy"]);
    // An invalid day count is AWS's error, passed on.
    let err = logs::set_retention(&clients, name, Some(Retention::Days(2)))
        .await
        .expect_err("2 days is not a retention AWS offers");
    assert_eq!(code(&err), Some("InvalidParameterException"), "{err}");

    // KMS key: another key associated, then removed.
    let other_key = kms_key(&account, "9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff");
    sent.reset();
    logs::set_kms_key(&clients, name, Some(&other_key))
        .await
        .expect("set_kms_key");
    assert_eq!(
        sent.last_json("AssociateKmsKey"),
        serde_json::json!({"logGroupName": name, "kmsKeyId": other_key})
    );
    spec.kms_key_id = Some(other_key.clone());
    assert_eq!(
        read_group(&clients, name).await,
        Some(live(name, spec.clone(), group_arn.clone()))
    );
    logs::set_kms_key(&clients, name, None)
        .await
        .expect("set_kms_key None");
    assert_eq!(
        sent.last_json("DisassociateKmsKey"),
        serde_json::json!({"logGroupName": name})
    );
    spec.kms_key_id = None;
    assert_eq!(
        read_group(&clients, name).await,
        Some(live(name, spec.clone(), group_arn.clone()))
    );

    // Tags: added, changed, removed, on the group's ARN.
    sent.reset();
    logs::retag_log_group(
        &clients,
        name,
        &tags(&[("team", "api"), ("cost-center", "42")]),
        &[],
    )
    .await
    .expect("retag add");
    assert_eq!(sent.operations(), ["DescribeLogGroups", "TagResource"]);
    assert_eq!(
        sent.last_json("TagResource"),
        serde_json::json!({"resourceArn": group_arn, "tags": {"team": "api", "cost-center": "42"}})
    );
    spec.tags = tags(&[(OWNER, INSTANCE), ("team", "api"), ("cost-center", "42")]);
    assert_eq!(
        read_group(&clients, name).await,
        Some(live(name, spec.clone(), group_arn.clone()))
    );
    sent.reset();
    logs::retag_log_group(
        &clients,
        name,
        &tags(&[("team", "web")]),
        &["cost-center".to_string()],
    )
    .await
    .expect("retag change and remove");
    assert_eq!(
        sent.operations(),
        ["DescribeLogGroups", "TagResource", "UntagResource"]
    );
    spec.tags = tags(&[(OWNER, INSTANCE), ("team", "web")]);
    assert_eq!(
        read_group(&clients, name).await,
        Some(live(name, spec.clone(), group_arn.clone()))
    );
    sent.reset();
    logs::retag_log_group(&clients, name, &BTreeMap::new(), &[])
        .await
        .expect("retag nothing");
    assert!(sent.operations().is_empty());
    // A group whose name prefixes another's: the exact one is tagged.
    logs::create_log_group(
        &clients,
        "/app/web/access",
        &LogGroupSpec::default(),
        &BTreeMap::new(),
    )
    .await
    .expect("create_log_group");
    logs::retag_log_group(&clients, "/app/web/access", &tags(&[("k", "v")]), &[])
        .await
        .expect("retag");
    assert_eq!(
        read_group(&clients, name).await,
        Some(live(name, spec.clone(), group_arn.clone()))
    );
    let err = logs::retag_log_group(&clients, "/app/missing", &tags(&[("k", "v")]), &[])
        .await
        .expect_err("no such group");
    assert_eq!(code(&err), Some("ResourceNotFoundException"), "{err}");

    // Delete, and delete again.
    logs::delete_log_group(&clients, name)
        .await
        .expect("delete_log_group");
    assert_eq!(read_group(&clients, name).await, None);
    logs::delete_log_group(&clients, name)
        .await
        .expect("delete_log_group of a deleted group");
}

/// A group created without retention, key, class or tags sends none of them.
#[tokio::test]
async fn create_log_group_minimal() {
    let account = TestAccount::new();
    let (clients, sent) = recording(&account);
    logs::create_log_group(&clients, "/min", &LogGroupSpec::default(), &BTreeMap::new())
        .await
        .expect("create_log_group");
    assert_eq!(sent.operations(), ["CreateLogGroup"]);
    assert_eq!(
        sent.last_json("CreateLogGroup"),
        serde_json::json!({"logGroupName": "/min"})
    );
    let never = LogGroupSpec {
        retention_in_days: Some(Retention::Never),
        ..LogGroupSpec::default()
    };
    sent.reset();
    logs::create_log_group(&clients, "/never", &never, &BTreeMap::new())
        .await
        .expect("create_log_group");
    assert_eq!(sent.operations(), ["CreateLogGroup"]);
    assert_eq!(
        read_group(&clients, "/never").await,
        Some(live(
            "/never",
            reported_log_group(LogGroupSpec::default()),
            arn(&account, "logs", "log-group:/never")
        ))
    );
}

/// A create retried after a lost response finds the group it made: same owner, Ok
/// (and the retention is still set); another owner's group, an untagged one, or a
/// create without an ownership tag: the ResourceAlreadyExistsException.
#[tokio::test]
async fn create_log_group_retry_checks_the_owner() {
    let account = TestAccount::new();
    let (clients, sent) = recording(&account);
    let name = "/retry/app";
    let mine = tags(&[(OWNER, INSTANCE), ("team", "web")]);
    let first = LogGroupSpec {
        tags: mine.clone(),
        ..LogGroupSpec::default()
    };
    logs::create_log_group(&clients, name, &first, &mine)
        .await
        .expect("create_log_group");
    // The retry (its first response lost) also carries the retention.
    let spec = LogGroupSpec {
        retention_in_days: Some(Retention::Days(14)),
        ..first
    };
    sent.reset();
    logs::create_log_group(&clients, name, &spec, &mine)
        .await
        .expect("a retry of our own create succeeds");
    assert_eq!(
        sent.operations(),
        [
            "CreateLogGroup",
            "DescribeLogGroups",
            "ListTagsForResource",
            "PutRetentionPolicy"
        ]
    );
    let group_arn = arn(&account, "logs", &format!("log-group:{name}"));
    let spec = reported_log_group(spec);
    assert_eq!(
        read_group(&clients, name).await,
        Some(live(name, spec.clone(), group_arn.clone()))
    );

    let theirs = tags(&[(OWNER, "someone-else")]);
    let err = logs::create_log_group(&clients, name, &LogGroupSpec::default(), &theirs)
        .await
        .expect_err("another instance's create must fail");
    assert_eq!(code(&err), Some("ResourceAlreadyExistsException"), "{err}");
    let err = logs::create_log_group(&clients, name, &LogGroupSpec::default(), &BTreeMap::new())
        .await
        .expect_err("a create without ownership tag must fail");
    assert_eq!(code(&err), Some("ResourceAlreadyExistsException"), "{err}");

    logs::create_log_group(
        &clients,
        "/retry/untagged",
        &LogGroupSpec::default(),
        &BTreeMap::new(),
    )
    .await
    .expect("create_log_group");
    let err = logs::create_log_group(&clients, "/retry/untagged", &first_spec(), &mine)
        .await
        .expect_err("an untagged group is not ours");
    assert_eq!(code(&err), Some("ResourceAlreadyExistsException"), "{err}");
    // Nothing was changed on the groups that are not ours.
    assert_eq!(
        read_group(&clients, name).await,
        Some(live(name, spec, group_arn))
    );
    assert_eq!(
        read_group(&clients, "/retry/untagged").await,
        Some(live(
            "/retry/untagged",
            reported_log_group(LogGroupSpec::default()),
            arn(&account, "logs", "log-group:/retry/untagged")
        ))
    );
}

fn first_spec() -> LogGroupSpec {
    LogGroupSpec {
        retention_in_days: Some(Retention::Days(7)),
        tags: tags(&[(OWNER, INSTANCE)]),
        ..LogGroupSpec::default()
    }
}

/// Stored bytes come back per selected group from the reader and in
/// `LiveTarget.log_group_stored_bytes` from `read_target`: 0 for an empty group, more
/// once events were written.
#[tokio::test]
async fn stored_bytes_are_read() {
    let account = TestAccount::new();
    let config = account.sdk_config();
    let clients = Clients::from_sdk_config("t", &config);
    let owned = tags(&[(OWNER, INSTANCE)]);
    let with_owner = LogGroupSpec {
        tags: owned.clone(),
        ..LogGroupSpec::default()
    };
    for name in ["/bytes/empty", "/bytes/full", "/bytes/not-selected"] {
        logs::create_log_group(&clients, name, &with_owner, &owned)
            .await
            .expect("create_log_group");
    }
    let logs_client = aws_sdk_cloudwatchlogs::Client::new(&config);
    put_one_event(&logs_client, "/bytes/full", "hello, stored bytes").await;

    let read = logs::read_log_groups(
        &clients,
        &names(&["/bytes/empty", "/bytes/full", "/bytes/missing"]),
        &BTreeSet::new(),
        &BTreeMap::new(),
    )
    .await
    .expect("read_log_groups");
    assert_eq!(
        read.stored_bytes.keys().collect::<Vec<_>>(),
        ["/bytes/empty", "/bytes/full"]
    );
    assert_eq!(read.stored_bytes["/bytes/empty"], 0);
    let full = read.stored_bytes["/bytes/full"];
    assert_eq!(full, "hello, stored bytes".len() as u64);

    let request = ReadRequest {
        instance: INSTANCE.into(),
        log_groups: names(&["/bytes/empty", "/bytes/full"]),
        ..ReadRequest::default()
    };
    let live = driftless::aws::read_target(&clients, &request)
        .await
        .expect("read_target");
    assert_eq!(
        live.log_group_stored_bytes.get("/bytes/full").copied(),
        Some(full)
    );
    assert_eq!(
        live.log_group_stored_bytes.get("/bytes/empty").copied(),
        Some(0)
    );
    // Owned groups are selected too (through the tagging listing).
    assert_eq!(live.log_groups.len(), 3, "{:?}", live.log_groups);
    assert_eq!(
        live.log_group_stored_bytes
            .get("/bytes/not-selected")
            .copied(),
        Some(0)
    );
}
