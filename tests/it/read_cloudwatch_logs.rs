//! The live readers for CloudWatch alarms, CloudWatch Logs and the tagging API,
//! against the emulator: exact spec values, owned vs unowned tags, and the number of
//! calls each read makes (batching and pagination).
//!
//! Call counts are checked twice: on the client (an HTTP client that counts this
//! test's own requests) and on the emulator, in the test's own account's counts;
//! both are exact whatever runs in parallel.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatch::types::{
    ComparisonOperator as AwsOp, Metric as AwsMetric, MetricDataQuery as AwsQuery,
    MetricStat as AwsStat, StandardUnit as AwsUnit, Statistic as AwsStatistic,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_types::SdkConfig;
use driftless::aws::{cloudwatch, logs, tagging, Clients, Owned};
use driftless::live::LogGroupRetention;
use driftless::spec::alarm::{MetricDataQuery, MetricStat, StandardUnit};
use driftless::spec::log_group::Retention;
use driftless::spec::{LogGroupSpec, MetricAlarmSpec};

use crate::emulator::{observing, Emulator, TestAccount};
use crate::fixtures::{
    anomaly_alarm, api_latency_alarm, arn, cw_tag, dim, elb_metric, kms_key, live, math_alarm,
    minimal_alarm, names, one_rule_plan, put_minimal_alarm, reported_log_group, ssm_tag, tags,
    topic, web_cpu_alarm, web_lb, web_log_group, WEB_LOG_KEY,
};

const OWNER: &str = "driftless.dev/managed-by";
const INSTANCE: &str = "it-readers";

/// Serialises this module's call-counting tests among themselves.
static COUNTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------------------
// Counting this test's own requests
// ---------------------------------------------------------------------------

/// (service, operation) → requests sent through one SDK config.
#[derive(Debug, Clone, Default)]
struct Sent(Arc<Mutex<BTreeMap<(String, String), u64>>>);

impl Sent {
    fn get(&self, service: &str, operation: &str) -> u64 {
        let map = self.0.lock().unwrap();
        map.get(&(service.to_string(), operation.to_string()))
            .copied()
            .unwrap_or(0)
    }

    fn reset(&self) {
        self.0.lock().unwrap().clear();
    }

    fn all(&self) -> BTreeMap<(String, String), u64> {
        self.0.lock().unwrap().clone()
    }
}

/// The botocore service name and the operation of a request (awsJson target header
/// or rpcv2Cbor path).
fn operation_of(request: &HttpRequest) -> (String, String) {
    let (prefix, op) = match request.headers().get("x-amz-target") {
        Some(target) => target.split_once('.').unwrap_or(("", target)),
        None => {
            let uri = request.uri();
            let (head, op) = uri.rsplit_once("/operation/").unwrap_or((uri, ""));
            (head.rsplit('/').next().unwrap_or(""), op)
        }
    };
    let service = if prefix.starts_with("GraniteService") {
        "cloudwatch"
    } else if prefix.starts_with("Logs_") {
        "logs"
    } else if prefix.starts_with("ResourceGroupsTaggingAPI") {
        "resourcegroupstaggingapi"
    } else {
        prefix
    };
    (service.to_string(), op.to_string())
}

/// `config` with an HTTP client that counts every request it sends.
fn counting(config: &SdkConfig) -> (SdkConfig, Sent) {
    let sent = Sent::default();
    let counter = sent.clone();
    let config = observing(config, move |request| {
        *counter
            .0
            .lock()
            .unwrap()
            .entry(operation_of(request))
            .or_default() += 1;
    });
    (config, sent)
}

/// Runs `read` once and checks that it moved `account`'s counters on the emulator
/// (counted apart from every other account, so exact whatever runs in parallel) of
/// each of `expected` (service, operation, calls) by exactly those numbers.
async fn with_emulator_counts<T, Fut>(
    account: &TestAccount,
    expected: &[(&str, &str, u64)],
    read: impl FnOnce() -> Fut,
) -> T
where
    Fut: Future<Output = T>,
{
    let emulator = Emulator::shared();
    let before = emulator.calls_of(&account.account_id);
    let out = read().await;
    let after = emulator.calls_of(&account.account_id);
    let deltas: Vec<(&str, &str, u64)> = expected
        .iter()
        .map(|(s, o, _)| (*s, *o, after.get(s, o) - before.get(s, o)))
        .collect();
    assert_eq!(
        deltas, expected,
        "calls the emulator counted (left), expected (right)"
    );
    out
}

// ---------------------------------------------------------------------------
// Seeding helpers
// ---------------------------------------------------------------------------

/// A minimal single-metric alarm with `tags` (none: no tags at all).
async fn put_simple_alarm(cw: &aws_sdk_cloudwatch::Client, name: &str, tags: &[(&str, &str)]) {
    put_minimal_alarm(cw, name)
        .set_tags((!tags.is_empty()).then(|| tags.iter().map(|(k, v)| cw_tag(k, v)).collect()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutMetricAlarm {name}: {e:?}"));
}

/// A minimal single-metric alarm as the reader returns it (AWS's default: actions
/// enabled).
fn simple_alarm_spec(tags: BTreeMap<String, String>) -> MetricAlarmSpec {
    MetricAlarmSpec {
        actions_enabled: Some(true),
        ..minimal_alarm(tags)
    }
}

/// Checks the Logs requests sent since the last reset.
#[track_caller]
fn assert_logs_sent(sent: &Sent, describe_log_groups: u64, list_tags_for_resource: u64) {
    assert_eq!(
        sent.get("logs", "DescribeLogGroups"),
        describe_log_groups,
        "{:?}",
        sent.all()
    );
    assert_eq!(
        sent.get("logs", "ListTagsForResource"),
        list_tags_for_resource,
        "{:?}",
        sent.all()
    );
}

// ---------------------------------------------------------------------------
// Tagging API
// ---------------------------------------------------------------------------

/// One resource of each kind driftless manages, owned by this instance, comes back
/// in its kind with all its tags; resources of other instances and untagged ones do
/// not.
#[tokio::test]
async fn owned_resources_lists_every_kind_with_its_tags() {
    let account = TestAccount::new();
    let config = account.sdk_config();
    let mine = [(OWNER, INSTANCE), ("team", "platform")];

    let cw = aws_sdk_cloudwatch::Client::new(&config);
    put_simple_alarm(&cw, "owned-alarm", &mine).await;
    put_simple_alarm(&cw, "other-instance-alarm", &[(OWNER, "someone-else")]).await;
    put_simple_alarm(&cw, "untagged-alarm", &[]).await;

    let logs_client = aws_sdk_cloudwatchlogs::Client::new(&config);
    logs_client
        .create_log_group()
        .log_group_name("/owned/app")
        .tags(OWNER, INSTANCE)
        .tags("team", "platform")
        .send()
        .await
        .expect("CreateLogGroup");
    logs_client
        .create_log_group()
        .log_group_name("/other/app")
        .tags(OWNER, "someone-else")
        .send()
        .await
        .expect("CreateLogGroup");

    let ssm = aws_sdk_ssm::Client::new(&config);
    let baseline = ssm
        .create_patch_baseline()
        .name("owned-baseline")
        .operating_system(aws_sdk_ssm::types::OperatingSystem::AmazonLinux2023)
        .tags(ssm_tag(OWNER, INSTANCE))
        .tags(ssm_tag("team", "platform"))
        .send()
        .await
        .expect("CreatePatchBaseline");
    let baseline_id = baseline.baseline_id().unwrap().to_string();
    let window = ssm
        .create_maintenance_window()
        .name("owned-window")
        .schedule("cron(0 2 ? * SUN *)")
        .duration(3)
        .cutoff(1)
        .allow_unassociated_targets(false)
        .tags(ssm_tag(OWNER, INSTANCE))
        .tags(ssm_tag("team", "platform"))
        .send()
        .await
        .expect("CreateMaintenanceWindow");
    let window_id = window.window_id().unwrap().to_string();

    let backup = aws_sdk_backup::Client::new(&config);
    backup
        .create_backup_vault()
        .backup_vault_name("owned-vault")
        .backup_vault_tags(OWNER, INSTANCE)
        .backup_vault_tags("team", "platform")
        .send()
        .await
        .expect("CreateBackupVault");
    let plan = backup
        .create_backup_plan()
        .backup_plan(one_rule_plan(
            "owned-plan",
            "nightly",
            "owned-vault",
            Some("cron(0 3 * * ? *)"),
        ))
        .backup_plan_tags(OWNER, INSTANCE)
        .backup_plan_tags("team", "platform")
        .send()
        .await
        .expect("CreateBackupPlan");
    let plan_id = plan.backup_plan_id().unwrap().to_string();

    let clients = Clients::from_sdk_config("t", &config);
    let owned = tagging::owned_resources(&clients, INSTANCE)
        .await
        .expect("owned_resources");
    let one = |resource: String| BTreeMap::from([(resource, tags(&mine))]);
    let expected = Owned {
        alarms: one(arn(&account, "cloudwatch", "alarm:owned-alarm")),
        log_groups: one(arn(&account, "logs", "log-group:/owned/app")),
        patch_baselines: one(arn(
            &account,
            "ssm",
            &format!("patchbaseline/{baseline_id}"),
        )),
        maintenance_windows: one(arn(
            &account,
            "ssm",
            &format!("maintenancewindow/{window_id}"),
        )),
        backup_vaults: one(arn(&account, "backup", "backup-vault:owned-vault")),
        backup_plans: one(arn(&account, "backup", &format!("backup-plan:{plan_id}"))),
        associations: BTreeMap::new(),
    };
    assert_eq!(format!("{owned:#?}"), format!("{expected:#?}"));

    let nobody = tagging::owned_resources(&clients, "nobody")
        .await
        .expect("owned_resources");
    assert_eq!(format!("{nobody:?}"), format!("{:?}", Owned::default()));
}

// ---------------------------------------------------------------------------
// CloudWatch alarms
// ---------------------------------------------------------------------------

/// Every field of a single-metric alarm, an extended-statistic alarm and a metric-math
/// alarm reads back into the spec; owned tags come from the tagging listing, the
/// unowned namesake's with ListTagsForResource.
#[tokio::test]
async fn read_alarms_converts_every_field() {
    let account = TestAccount::new();
    let (config, sent) = counting(&account.sdk_config());
    let cw = aws_sdk_cloudwatch::Client::new(&config);

    cw.put_metric_alarm()
        .alarm_name("web-cpu-high")
        .alarm_description("CPU above 80% for 10 of the last 15 minutes")
        .namespace("AWS/EC2")
        .metric_name("CPUUtilization")
        .dimensions(dim("InstanceType", "m5.large"))
        .dimensions(dim("AutoScalingGroupName", "web"))
        .statistic(AwsStatistic::Average)
        .period(300)
        .unit(AwsUnit::Percent)
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .threshold(80.0)
        .comparison_operator(AwsOp::GreaterThanThreshold)
        .treat_missing_data("notBreaching")
        .actions_enabled(false)
        .alarm_actions(topic(&account, "ops"))
        .alarm_actions(topic(&account, "an-earlier-name"))
        .ok_actions(topic(&account, "ops-ok"))
        .insufficient_data_actions(topic(&account, "ops-data"))
        .tags(cw_tag(OWNER, INSTANCE))
        .tags(cw_tag("team", "web"))
        .send()
        .await
        .expect("PutMetricAlarm web-cpu-high");

    cw.put_metric_alarm()
        .alarm_name("api-latency-p99")
        .namespace("AWS/ApplicationELB")
        .metric_name("TargetResponseTime")
        .dimensions(dim("LoadBalancer", "app/api/0123456789abcdef"))
        .extended_statistic("p99")
        .period(60)
        .evaluation_periods(5)
        .threshold(0.5)
        .comparison_operator(AwsOp::GreaterThanOrEqualToThreshold)
        .treat_missing_data("ignore")
        .evaluate_low_sample_count_percentile("ignore")
        .tags(cw_tag(OWNER, INSTANCE))
        .send()
        .await
        .expect("PutMetricAlarm api-latency-p99");

    let elb = |metric: &str| {
        AwsMetric::builder()
            .namespace("AWS/ApplicationELB")
            .metric_name(metric)
            .dimensions(dim("LoadBalancer", "app/web/0123456789abcdef"))
            .build()
    };
    cw.put_metric_alarm()
        .alarm_name("web-error-rate")
        .alarm_description("5xx above 5% of requests")
        .metrics(
            AwsQuery::builder()
                .id("rate")
                .expression("100 * errors / requests")
                .label("Error rate")
                .return_data(true)
                .build(),
        )
        .metrics(
            AwsQuery::builder()
                .id("errors")
                .metric_stat(
                    AwsStat::builder()
                        .metric(elb("HTTPCode_Target_5XX_Count"))
                        .period(60)
                        .stat("Sum")
                        .unit(AwsUnit::Count)
                        .build(),
                )
                .return_data(false)
                .build(),
        )
        .metrics(
            AwsQuery::builder()
                .id("requests")
                .metric_stat(
                    AwsStat::builder()
                        .metric(
                            AwsMetric::builder()
                                .namespace("AWS/ApplicationELB")
                                .metric_name("RequestCount")
                                .build(),
                        )
                        .period(60)
                        .stat("Sum")
                        .build(),
                )
                .return_data(false)
                .build(),
        )
        .evaluation_periods(2)
        .threshold(5.0)
        .comparison_operator(AwsOp::GreaterThanOrEqualToThreshold)
        .tags(cw_tag(OWNER, INSTANCE))
        .send()
        .await
        .expect("PutMetricAlarm web-error-rate");

    // An anomaly-detection alarm: thresholdMetricId instead of threshold; the band
    // query leaves ReturnData unset.
    cw.put_metric_alarm()
        .alarm_name("web-requests-anomaly")
        .metrics(
            AwsQuery::builder()
                .id("m1")
                .metric_stat(
                    AwsStat::builder()
                        .metric(elb("RequestCount"))
                        .period(300)
                        .stat("Sum")
                        .build(),
                )
                .return_data(true)
                .build(),
        )
        .metrics(
            AwsQuery::builder()
                .id("ad1")
                .expression("ANOMALY_DETECTION_BAND(m1, 2)")
                .label("RequestCount (expected)")
                .build(),
        )
        .threshold_metric_id("ad1")
        .evaluation_periods(3)
        .datapoints_to_alarm(3)
        .comparison_operator(AwsOp::LessThanLowerOrGreaterThanUpperThreshold)
        .treat_missing_data("missing")
        .tags(cw_tag(OWNER, INSTANCE))
        .send()
        .await
        .expect("PutMetricAlarm web-requests-anomaly");

    // A desired alarm that exists but is not ours, and one that does not exist.
    put_simple_alarm(&cw, "someone-elses", &[("team", "other")]).await;
    put_simple_alarm(&cw, "not-selected", &[]).await;

    let clients = Clients::from_sdk_config("t", &config);
    let owned = tagging::owned_resources(&clients, INSTANCE)
        .await
        .expect("owned_resources");
    assert_eq!(owned.alarms.len(), 4, "{owned:?}");
    sent.reset();
    // web-error-rate and api-latency-p99 are only known as owned.
    let desired = names(&["web-cpu-high", "someone-elses", "does-not-exist"]);
    let alarms = cloudwatch::read_alarms(&clients, &desired, &owned.alarms)
        .await
        .expect("read_alarms")
        .metric;
    assert_eq!(sent.get("cloudwatch", "DescribeAlarms"), 1);
    assert_eq!(sent.get("cloudwatch", "ListTagsForResource"), 1);

    let alarm_arn = |name: &str| arn(&account, "cloudwatch", &format!("alarm:{name}"));
    let owned_tags = tags(&[(OWNER, INSTANCE)]);
    let expected = vec![
        live(
            "api-latency-p99",
            api_latency_alarm(owned_tags.clone()),
            alarm_arn("api-latency-p99"),
        ),
        live(
            "someone-elses",
            simple_alarm_spec(tags(&[("team", "other")])),
            alarm_arn("someone-elses"),
        ),
        live(
            "web-cpu-high",
            MetricAlarmSpec {
                description: Some("CPU above 80% for 10 of the last 15 minutes".into()),
                alarm_actions: vec![topic(&account, "ops"), topic(&account, "an-earlier-name")],
                ..web_cpu_alarm(&account, tags(&[(OWNER, INSTANCE), ("team", "web")]))
            },
            alarm_arn("web-cpu-high"),
        ),
        live(
            "web-error-rate",
            MetricAlarmSpec {
                description: Some("5xx above 5% of requests".into()),
                evaluation_periods: 2,
                threshold: Some(5.0),
                ..math_alarm(
                    vec![
                        MetricDataQuery {
                            id: "rate".into(),
                            expression: Some("100 * errors / requests".into()),
                            metric_stat: None,
                            label: Some("Error rate".into()),
                            return_data: Some(true),
                            period: None,
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
                            label: None,
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
                                stat: "Sum".into(),
                                unit: None,
                            }),
                            label: None,
                            return_data: Some(false),
                            period: None,
                            account_id: None,
                        },
                    ],
                    owned_tags.clone(),
                )
            },
            alarm_arn("web-error-rate"),
        ),
        live(
            "web-requests-anomaly",
            anomaly_alarm(owned_tags.clone()),
            alarm_arn("web-requests-anomaly"),
        ),
    ];
    assert_eq!(alarms, expected);
    assert!(alarms[2].owned_by(INSTANCE));
    assert!(!alarms[1].owned_by(INSTANCE));

    // Nothing named and nothing owned: no call at all.
    sent.reset();
    let none = cloudwatch::read_alarms(&clients, &BTreeSet::new(), &BTreeMap::new())
        .await
        .expect("read_alarms");
    assert!(none.metric.is_empty() && none.composite.is_empty());
    assert!(sent.all().is_empty(), "{:?}", sent.all());
}

/// 250 owned alarms: the tagging listing takes 3 pages of 100; reading them (150
/// desired, all 250 owned) takes ceil(250/100) = 3 DescribeAlarms calls and no tag
/// call.
#[tokio::test]
async fn read_alarms_batches_names_by_100() {
    let _serial = COUNTING.lock().await;
    let account = TestAccount::new();
    let (config, sent) = counting(&account.sdk_config());
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    let all: Vec<String> = (0..250).map(|i| format!("batch-{i:03}")).collect();
    for name in &all {
        put_simple_alarm(&cw, name, &[(OWNER, INSTANCE)]).await;
    }
    let clients = Clients::from_sdk_config("t", &config);
    sent.reset();
    let owned = with_emulator_counts(
        &account,
        &[("resourcegroupstaggingapi", "GetResources", 3)],
        || tagging::owned_resources(&clients, INSTANCE),
    )
    .await
    .expect("owned_resources");
    assert_eq!(owned.alarms.len(), 250);
    for i in [0, 99, 100, 199, 200, 249] {
        let resource = arn(&account, "cloudwatch", &format!("alarm:batch-{i:03}"));
        assert_eq!(
            owned.alarms.get(&resource),
            Some(&tags(&[(OWNER, INSTANCE)])),
            "{resource}"
        );
    }
    let runs = sent.get("resourcegroupstaggingapi", "GetResources");
    assert!(runs > 0 && runs % 3 == 0, "{:?}", sent.all());

    let desired: BTreeSet<String> = all[..150].iter().cloned().collect();
    sent.reset();
    let alarms = with_emulator_counts(
        &account,
        &[
            ("cloudwatch", "DescribeAlarms", 3),
            ("cloudwatch", "ListTagsForResource", 0),
        ],
        || cloudwatch::read_alarms(&clients, &desired, &owned.alarms),
    )
    .await
    .expect("read_alarms")
    .metric;
    let runs = sent.get("cloudwatch", "DescribeAlarms");
    assert!(runs > 0 && runs % 3 == 0, "{:?}", sent.all());
    assert_eq!(sent.all().len(), 1, "only DescribeAlarms: {:?}", sent.all());
    let read: Vec<&str> = alarms.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(read, all.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        alarms[249],
        live(
            "batch-249",
            simple_alarm_spec(tags(&[(OWNER, INSTANCE)])),
            arn(&account, "cloudwatch", "alarm:batch-249"),
        )
    );
}

// ---------------------------------------------------------------------------
// CloudWatch Logs
// ---------------------------------------------------------------------------

/// Selected groups (desired ∪ owned) with retention, KMS key and tags; retention of
/// every group under the policy prefixes.
#[tokio::test]
async fn read_log_groups_converts_groups_and_retention() {
    let account = TestAccount::new();
    let (config, sent) = counting(&account.sdk_config());
    let logs_client = aws_sdk_cloudwatchlogs::Client::new(&config);
    let kms = kms_key(&account, WEB_LOG_KEY);
    let create = |name: &'static str| logs_client.create_log_group().log_group_name(name);
    create("/app/web")
        .kms_key_id(&kms)
        .tags(OWNER, INSTANCE)
        .tags("team", "web")
        .send()
        .await
        .expect("CreateLogGroup /app/web");
    create("/app/owned-only")
        .tags(OWNER, INSTANCE)
        .send()
        .await
        .expect("CreateLogGroup /app/owned-only");
    create("/app/api")
        .tags("team", "api")
        .send()
        .await
        .expect("CreateLogGroup /app/api");
    create("/app/untagged")
        .send()
        .await
        .expect("CreateLogGroup /app/untagged");
    create("/aws/lambda/f1")
        .send()
        .await
        .expect("CreateLogGroup f1");
    create("/aws/lambda/f2")
        .send()
        .await
        .expect("CreateLogGroup f2");
    create("/other/x").send().await.expect("CreateLogGroup x");
    for (name, days) in [("/app/web", 30), ("/aws/lambda/f1", 14)] {
        logs_client
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .expect("PutRetentionPolicy");
    }

    let clients = Clients::from_sdk_config("t", &config);
    let group_arn = |name: &str| arn(&account, "logs", &format!("log-group:{name}"));
    // The owned map as tagging::owned_resources builds it (built here: the emulator's
    // tagging API does not match `logs:log-group`, see the tagging test).
    let owned = BTreeMap::from([
        (
            group_arn("/app/web"),
            tags(&[(OWNER, INSTANCE), ("team", "web")]),
        ),
        (group_arn("/app/owned-only"), tags(&[(OWNER, INSTANCE)])),
    ]);
    sent.reset();
    let desired = names(&["/app/web", "/app/api", "/app/untagged", "/app/missing"]);
    let prefixes = names(&["/aws/lambda/"]);
    let logs::LogGroupsRead {
        groups, retention, ..
    } = logs::read_log_groups(&clients, &desired, &prefixes, &owned)
        .await
        .expect("read_log_groups");
    // Q = {/app/api, /app/missing, /app/owned-only, /app/untagged, /app/web, /aws/lambda/}:
    // more than 3 prefixes, so one listing of everything (7 groups: one page). Tags of
    // /app/api and /app/untagged: desired, existing and not owned.
    assert_logs_sent(&sent, 1, 2);

    assert_eq!(
        groups,
        vec![
            live(
                "/app/api",
                reported_log_group(LogGroupSpec {
                    tags: tags(&[("team", "api")]),
                    ..LogGroupSpec::default()
                }),
                group_arn("/app/api"),
            ),
            live(
                "/app/owned-only",
                reported_log_group(LogGroupSpec {
                    tags: tags(&[(OWNER, INSTANCE)]),
                    ..LogGroupSpec::default()
                }),
                group_arn("/app/owned-only"),
            ),
            live(
                "/app/untagged",
                reported_log_group(LogGroupSpec::default()),
                group_arn("/app/untagged"),
            ),
            live(
                "/app/web",
                reported_log_group(web_log_group(
                    &account,
                    tags(&[(OWNER, INSTANCE), ("team", "web")]),
                )),
                group_arn("/app/web"),
            ),
        ]
    );
    assert!(groups[3].owned_by(INSTANCE));
    assert!(!groups[0].owned_by(INSTANCE));
    assert_eq!(
        retention,
        vec![
            LogGroupRetention {
                name: "/aws/lambda/f1".into(),
                retention: Some(Retention::Days(14)),
                fixed: false,
            },
            LogGroupRetention {
                name: "/aws/lambda/f2".into(),
                retention: None,
                fixed: false,
            },
        ]
    );

    // Few names and one prefix: one prefix query each, no full listing.
    sent.reset();
    let logs::LogGroupsRead {
        groups, retention, ..
    } = logs::read_log_groups(
        &clients,
        &names(&["/app/web"]),
        &prefixes,
        &BTreeMap::from([(
            group_arn("/app/web"),
            tags(&[(OWNER, INSTANCE), ("team", "web")]),
        )]),
    )
    .await
    .expect("read_log_groups");
    assert_logs_sent(&sent, 2, 0);
    assert_eq!(
        groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["/app/web"]
    );
    assert_eq!(retention.len(), 2);

    // Nothing selected, no prefixes: no call.
    sent.reset();
    let logs::LogGroupsRead {
        groups, retention, ..
    } = logs::read_log_groups(
        &clients,
        &BTreeSet::new(),
        &BTreeSet::new(),
        &BTreeMap::new(),
    )
    .await
    .expect("read_log_groups");
    assert!(groups.is_empty() && retention.is_empty());
    assert!(sent.all().is_empty(), "{:?}", sent.all());
}

/// 120 groups: listing everything takes ceil(120/50) = 3 pages; a prefix query over
/// the same 120 groups too, and a prefix query for a single name one.
#[tokio::test]
async fn read_log_groups_paginates_by_50() {
    let _serial = COUNTING.lock().await;
    let account = TestAccount::new();
    let (config, sent) = counting(&account.sdk_config());
    let logs_client = aws_sdk_cloudwatchlogs::Client::new(&config);
    for i in 0..120 {
        logs_client
            .create_log_group()
            .log_group_name(format!("/many/{i:03}"))
            .send()
            .await
            .expect("CreateLogGroup");
    }
    let clients = Clients::from_sdk_config("t", &config);
    let no_owned = BTreeMap::new();
    let none = BTreeSet::new();
    let many = names(&["/many/"]);
    let one = names(&["/many/042"]);

    // Four unrelated names: everything is listed.
    let desired = names(&["/many/000", "/many/050", "/many/100", "/many/119"]);
    sent.reset();
    let logs::LogGroupsRead {
        groups, retention, ..
    } = with_emulator_counts(
        &account,
        &[
            ("logs", "DescribeLogGroups", 3),
            ("logs", "ListTagsForResource", 4),
        ],
        || logs::read_log_groups(&clients, &desired, &none, &no_owned),
    )
    .await
    .expect("read_log_groups");
    let runs = sent.get("logs", "DescribeLogGroups");
    assert!(runs > 0 && runs % 3 == 0, "{:?}", sent.all());
    assert_eq!(
        groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["/many/000", "/many/050", "/many/100", "/many/119"]
    );
    assert!(retention.is_empty());

    // A policy prefix over all 120: 3 pages of the prefix query.
    sent.reset();
    let logs::LogGroupsRead {
        groups, retention, ..
    } = with_emulator_counts(&account, &[("logs", "DescribeLogGroups", 3)], || {
        logs::read_log_groups(&clients, &none, &many, &no_owned)
    })
    .await
    .expect("read_log_groups");
    assert!(groups.is_empty());
    assert_eq!(retention.len(), 120);
    assert_eq!(
        retention[119],
        LogGroupRetention {
            name: "/many/119".into(),
            retention: None,
            fixed: false,
        }
    );

    // One name: one prefix query of one page.
    sent.reset();
    let logs::LogGroupsRead { groups, .. } = with_emulator_counts(
        &account,
        &[
            ("logs", "DescribeLogGroups", 1),
            ("logs", "ListTagsForResource", 1),
        ],
        || logs::read_log_groups(&clients, &one, &none, &no_owned),
    )
    .await
    .expect("read_log_groups");
    assert_eq!(
        groups,
        vec![live(
            "/many/042",
            reported_log_group(LogGroupSpec::default()),
            arn(&account, "logs", "log-group:/many/042"),
        )]
    );
}
