//! Adoption only tags (issue 19): one live resource of every kind, made through the
//! SDK without the ownership tag, imported with `adopt: true`, planned (only the
//! ownership tag changes) and applied. The emulator counts every call apply makes:
//! tagging calls and reads only, never a put, create, update, register or delete, and
//! every live setting is as it was, byte for byte, tags aside. Before, an adopted alarm
//! was rewritten whole with PutMetricAlarm, dropping a metric-math query's explicit
//! `ReturnData: true`.

use std::collections::BTreeMap;

use crate::import::{
    alarm_settings, backup_settings, baseline_settings, import, log_group_settings,
    metric_filter_settings, on, seed_alarms, seed_backup, seed_baseline, seed_window,
    window_settings,
};
use crate::support::Repo;

const OWNERSHIP_TAG: &str = "tags[\"driftless.dev/managed-by\"]";

/// A metric-math alarm whose result query says `ReturnData: true` explicitly and
/// which alarms on one datapoint, a composite alarm over it, and a log group with a
/// retention, a tag and a metric filter.
fn seed_the_rest(repo: &Repo) {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Metric, MetricDataQuery, MetricStat};
    use aws_sdk_cloudwatchlogs::types::MetricTransformation;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
        let stat = MetricStat::builder()
            .metric(
                Metric::builder()
                    .namespace("AWS/SQS")
                    .metric_name("ApproximateAgeOfOldestMessage")
                    .build(),
            )
            .period(60)
            .stat("Maximum")
            .build();
        cw.put_metric_alarm()
            .alarm_name("adopt-queue-age")
            .metrics(
                MetricDataQuery::builder()
                    .id("age")
                    .metric_stat(stat)
                    .return_data(false)
                    .build(),
            )
            .metrics(
                MetricDataQuery::builder()
                    .id("minutes")
                    .expression("age / 60")
                    .return_data(true)
                    .build(),
            )
            .evaluation_periods(3)
            .datapoints_to_alarm(1)
            .threshold(15.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .unwrap();
        cw.put_composite_alarm()
            .alarm_name("adopt-any")
            .alarm_rule("ALARM(\"adopt-queue-age\") OR ALARM(\"legacy-cpu\")")
            .alarm_description("either")
            .send()
            .await
            .unwrap();
        let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
        logs.create_log_group()
            .log_group_name("/adopt/app")
            .tags("team", "ops")
            .send()
            .await
            .unwrap();
        logs.put_retention_policy()
            .log_group_name("/adopt/app")
            .retention_in_days(30)
            .send()
            .await
            .unwrap();
        logs.put_metric_filter()
            .log_group_name("/adopt/app")
            .filter_name("adopt-errors")
            .filter_pattern("ERROR")
            .metric_transformations(
                MetricTransformation::builder()
                    .metric_name("errors")
                    .metric_namespace("App")
                    .metric_value("1")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
}

/// Every composite alarm's settings, its state (which the emulator moves) left out.
fn composite_settings(repo: &Repo) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
        let out = cw
            .describe_alarms()
            .alarm_types(aws_sdk_cloudwatch::types::AlarmType::CompositeAlarm)
            .send()
            .await
            .unwrap();
        let mut alarms = out.composite_alarms().to_vec();
        for a in &mut alarms {
            a.state_value = None;
            a.state_reason = None;
            a.state_reason_data = None;
            a.state_updated_timestamp = None;
            a.state_transitioned_timestamp = None;
            a.alarm_configuration_updated_timestamp = None;
        }
        format!("{alarms:#?}")
    })
}

/// Every live setting of every kind, tags aside.
fn settings(repo: &Repo) -> Vec<(&'static str, String)> {
    vec![
        ("alarms", alarm_settings(repo)),
        ("composite alarms", composite_settings(repo)),
        ("log groups", log_group_settings(repo)),
        (
            "metric filters",
            metric_filter_settings(repo, &["/adopt/app"]),
        ),
        ("baselines", baseline_settings(repo)),
        ("windows", window_settings(repo)),
        ("backup", backup_settings(repo)),
    ]
}

/// Calls per `service/Operation` made between `before` and `after`.
fn made(
    before: &crate::emulator::CallCounts,
    after: &crate::emulator::CallCounts,
) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (service, ops) in &after.calls {
        for (op, n) in ops {
            let n = n - before.get(service, op);
            if n > 0 {
                out.insert(format!("{service}/{op}"), n);
            }
        }
    }
    out
}

/// Reads: what every plan (apply plans again first) calls.
fn is_read(op: &str) -> bool {
    ["Describe", "List", "Get"]
        .iter()
        .any(|p| op.split('/').nth(1).unwrap_or(op).starts_with(p))
}

#[test]
fn adopting_every_kind_only_tags_and_leaves_every_setting_as_it_was() {
    let repo = Repo::new(&[]);
    seed_alarms(&repo);
    seed_the_rest(&repo);
    seed_baseline(&repo);
    seed_window(&repo);
    seed_backup(&repo);
    let before = settings(&repo);
    let compact: String = before[0].1.split_whitespace().collect();
    assert!(
        compact.contains("return_data:Some(true,)"),
        "the seed says ReturnData: true explicitly: {}",
        before[0].1
    );
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    // The plan adopts each one: the ownership tag and nothing else (a metric filter,
    // which has no tags, with no field at all).
    let plan = on(&repo, &dir, &["plan", "--output", "json"]).json();
    let mut adopted = Vec::new();
    for c in plan["changes"].as_array().unwrap() {
        let fields: Vec<&str> = c["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        let expected = if c["kind"] == "MetricFilter" {
            vec![]
        } else {
            vec![OWNERSHIP_TAG]
        };
        assert_eq!(
            (c["action"].as_str(), c["adopt"].as_bool(), fields),
            (Some("update"), Some(true), expected),
            "only the ownership tag changes: {c}"
        );
        adopted.push(format!(
            "{}/{}",
            c["kind"].as_str().unwrap(),
            c["name"].as_str().unwrap()
        ));
    }
    adopted.sort();
    assert_eq!(
        adopted,
        [
            "BackupPlan/legacy-plan",
            "BackupVault/legacy-vault",
            "CompositeAlarm/adopt-any",
            "LogGroup//adopt/app",
            "MaintenanceWindow/legacy-patching",
            "MetricAlarm/adopt-queue-age",
            "MetricAlarm/legacy-cpu",
            "MetricAlarm/legacy-error-rate",
            "MetricFilter/adopt-errors",
            "PatchBaseline/legacy-al2023",
        ]
    );

    let calls_before = repo.calls();
    let apply = on(&repo, &dir, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let calls = made(&calls_before, &repo.calls());
    let writes: BTreeMap<&String, &u64> = calls.iter().filter(|(op, _)| !is_read(op)).collect();
    let tagging = |op: &str| -> (String, u64) { (op.to_string(), 1) };
    let expected: BTreeMap<String, u64> = [
        ("cloudwatch/TagResource".to_string(), 4),
        tagging("logs/TagResource"),
        ("ssm/AddTagsToResource".to_string(), 2),
        ("backup/TagResource".to_string(), 2),
    ]
    .into_iter()
    .collect();
    let writes: BTreeMap<String, u64> =
        writes.into_iter().map(|(op, n)| (op.clone(), *n)).collect();
    assert_eq!(
        writes, expected,
        "adoption makes one tagging call per taggable resource and nothing else; all calls: {calls:?}"
    );

    let again = on(
        &repo,
        &dir,
        &["plan", "--detailed-exitcode", "--output", "json"],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    for ((what, was), (_, is)) in before.iter().zip(settings(&repo)) {
        assert_eq!(&is, was, "{what} changed");
    }
}
