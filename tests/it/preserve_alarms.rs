//! Alarms and metric filters keep AWS's own spelling of its defaults (issue 23, items
//! 3 and 4): made through the SDK with `DatapointsToAlarm: 1`, `TreatMissingData:
//! missing`, `ReturnData: true` on a result query, an anomaly-detection alarm in AWS's
//! own shape (the metric and its band both returning data), a composite alarm over
//! them, members the format does not model (WarmUpConfiguration, ActionConfiguration)
//! and a metric filter with `defaultValue: 0`; imported (which leaves defaults
//! out of the files) and adopted (tagging only); then unrelated edits (a threshold, a
//! description, a filter pattern) applied. PutMetricAlarm replaces the whole alarm, so
//! before, the values equal to AWS's defaults disappeared. Now every alarm and filter
//! is byte for byte as it was but the edits, and the next plan is clean.

use aws_sdk_cloudwatch::types::{
    ActionConfiguration, AlarmTagsPropagation, AlarmType, ComparisonOperator, CompositeAlarm,
    Metric, MetricAlarm, MetricDataQuery, MetricStat, WarmUpConfiguration,
};
use aws_sdk_cloudwatchlogs::types::{MetricFilter, MetricTransformation};

use crate::import::{import, on, text};
use crate::support::{rt, writes, Repo};

fn query(id: &str, metric: &str, return_data: bool) -> MetricDataQuery {
    let stat = MetricStat::builder()
        .metric(
            Metric::builder()
                .namespace("AWS/EC2")
                .metric_name(metric)
                .build(),
        )
        .period(300)
        .stat("Average")
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(stat)
        .return_data(return_data)
        .build()
}

fn expression(id: &str, text: &str) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .expression(text)
        .return_data(true)
        .build()
}

/// Notifications carry the alarm's tags (not in the format).
fn tag_propagation() -> ActionConfiguration {
    ActionConfiguration::builder()
        .alarm_tags_propagation(AlarmTagsPropagation::builder().enabled(true).build())
        .build()
}

/// keep-cpu (a metric, every default spelled out, and members the format lacks), keep-band (AWS's anomaly alarm),
/// keep-math (metric math), keep-any (a composite over them), a filter on /keep/app.
fn seed(repo: &Repo) {
    rt().block_on(async {
        let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
        cw.put_metric_alarm()
            .alarm_name("keep-cpu")
            .namespace("AWS/EC2")
            .metric_name("CPUUtilization")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(300)
            .evaluation_periods(1)
            .datapoints_to_alarm(1)
            .treat_missing_data("missing")
            .actions_enabled(true)
            .threshold(80.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .warm_up_configuration(
                WarmUpConfiguration::builder()
                    .warm_up_period_duration_in_minutes(30)
                    .build(),
            )
            .action_configuration(tag_propagation())
            .send()
            .await
            .unwrap();
        cw.put_metric_alarm()
            .alarm_name("keep-band")
            .alarm_description("cpu outside its band")
            .metrics(query("m1", "CPUUtilization", true))
            .metrics(expression("ad1", "ANOMALY_DETECTION_BAND(m1, 2)"))
            .threshold_metric_id("ad1")
            .evaluation_periods(2)
            .datapoints_to_alarm(2)
            .treat_missing_data("missing")
            .comparison_operator(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold)
            .send()
            .await
            .unwrap();
        cw.put_metric_alarm()
            .alarm_name("keep-math")
            .metrics(query("busy", "CPUUtilization", false))
            .metrics(query("idle", "CPUCreditBalance", false))
            .metrics(expression("ratio", "busy / idle"))
            .evaluation_periods(3)
            .datapoints_to_alarm(3)
            .threshold(15.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .unwrap();
        cw.put_composite_alarm()
            .alarm_name("keep-any")
            .alarm_rule("ALARM(\"keep-cpu\") OR ALARM(\"keep-math\")")
            .alarm_description("either")
            .actions_enabled(true)
            .action_configuration(tag_propagation())
            .send()
            .await
            .unwrap();
    });
    seed_filter(repo);
}

/// The filter keep-errors on /keep/app, its default value 0.
fn seed_filter(repo: &Repo) {
    rt().block_on(async {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
        logs.create_log_group()
            .log_group_name("/keep/app")
            .send()
            .await
            .unwrap();
        logs.put_metric_filter()
            .log_group_name("/keep/app")
            .filter_name("keep-errors")
            .filter_pattern("ERROR")
            .metric_transformations(
                MetricTransformation::builder()
                    .metric_name("errors")
                    .metric_namespace("App")
                    .metric_value("1")
                    .default_value(0.0)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
}

/// Every metric alarm, composite alarm and filter as AWS returns them, without the
/// state the emulator moves on its own and the time of the last configuration change.
fn settings(repo: &Repo) -> (Vec<MetricAlarm>, Vec<CompositeAlarm>, Vec<MetricFilter>) {
    rt().block_on(async {
        let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
        let out = cw
            .describe_alarms()
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .send()
            .await
            .unwrap();
        let mut metric = out.metric_alarms().to_vec();
        for a in &mut metric {
            a.state_value = None;
            a.state_reason = None;
            a.state_reason_data = None;
            a.state_updated_timestamp = None;
            a.state_transitioned_timestamp = None;
            a.alarm_configuration_updated_timestamp = None;
        }
        let mut composite = out.composite_alarms().to_vec();
        for a in &mut composite {
            a.state_value = None;
            a.state_reason = None;
            a.state_reason_data = None;
            a.state_updated_timestamp = None;
            a.state_transitioned_timestamp = None;
            a.alarm_configuration_updated_timestamp = None;
        }
        let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
        let filters = logs
            .describe_metric_filters()
            .log_group_name("/keep/app")
            .send()
            .await
            .unwrap();
        (metric, composite, filters.metric_filters().to_vec())
    })
}

/// `file` in `dir` with line `from` replaced by `to` in the document of `name` (it
/// must be there once).
fn edit(dir: &std::path::Path, file: &str, name: &str, from: &str, to: &str) {
    let all = text(dir, file);
    let docs: Vec<String> = all
        .split("\n---\n")
        .map(|doc| {
            if !doc.contains(&format!("  name: {name}\n")) {
                return doc.to_string();
            }
            assert_eq!(doc.matches(from).count(), 1, "`{from}` in {doc}");
            doc.replace(from, to)
        })
        .collect();
    assert_ne!(docs.join("\n---\n"), all, "{name} is in {file}: {all}");
    std::fs::write(dir.join(file), docs.join("\n---\n")).unwrap();
}

#[test]
fn unrelated_edits_keep_aws_defaults_and_anomaly_alarms_in_aws_shape_round_trip() {
    let repo = Repo::new(&[]);
    seed(&repo);
    let before = settings(&repo);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let alarms = text(&dir, "alarms.yaml");
    assert!(alarms.contains("name: keep-band"), "imported: {alarms}");

    // Adoption tags only.
    let calls = repo.calls();
    let adopt = on(&repo, &dir, &["apply", "--auto-approve"]);
    assert_eq!(adopt.code, 0, "{}\n{}", adopt.stdout, adopt.stderr);
    let made = writes(&calls, &repo.calls());
    assert_eq!(
        made.keys().collect::<Vec<_>>(),
        ["cloudwatch:TagResource", "logs:TagResource"],
        "{made:?}"
    );
    assert_eq!(settings(&repo), before, "adoption changes no setting");

    edit(
        &dir,
        "alarms.yaml",
        "keep-cpu",
        "threshold: 80",
        "threshold: 90",
    );
    edit(
        &dir,
        "alarms.yaml",
        "keep-math",
        "threshold: 15",
        "threshold: 20",
    );
    edit(
        &dir,
        "alarms.yaml",
        "keep-band",
        "description: cpu outside its band",
        "description: cpu outside its usual band",
    );
    edit(
        &dir,
        "composite-alarms.yaml",
        "keep-any",
        "description: either",
        "description: either one",
    );
    edit(
        &dir,
        "metric-filters.yaml",
        "keep-errors",
        "filterPattern: ERROR",
        "filterPattern: FATAL",
    );
    let apply = on(&repo, &dir, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    let (mut metric, mut composite, mut filters) = settings(&repo);
    let by_name = |alarms: &mut Vec<MetricAlarm>, name: &str| -> usize {
        alarms
            .iter()
            .position(|a| a.alarm_name() == Some(name))
            .unwrap()
    };
    let cpu = by_name(&mut metric, "keep-cpu");
    assert_eq!(metric[cpu].threshold, Some(90.0), "the edit landed");
    metric[cpu].threshold = Some(80.0);
    let math = by_name(&mut metric, "keep-math");
    assert_eq!(metric[math].threshold, Some(20.0));
    metric[math].threshold = Some(15.0);
    let band = by_name(&mut metric, "keep-band");
    assert_eq!(
        metric[band].alarm_description(),
        Some("cpu outside its usual band")
    );
    metric[band].alarm_description = Some("cpu outside its band".into());
    assert_eq!(composite[0].alarm_description(), Some("either one"));
    composite[0].alarm_description = Some("either".into());
    assert_eq!(filters[0].filter_pattern(), Some("FATAL"));
    filters[0].filter_pattern = Some("ERROR".into());
    assert_eq!(metric, before.0, "every alarm as it was but the edits");
    assert_eq!(composite, before.1, "the composite as it was but the edit");
    assert_eq!(filters, before.2, "the filter as it was but the edit");

    let again = on(
        &repo,
        &dir,
        &["plan", "--detailed-exitcode", "--output", "json"],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}
