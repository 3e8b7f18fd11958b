//! `plan --backtest` end to end: three days of one-minute latency datapoints with known
//! spikes are put into the emulator (PutMetricData through the SDK), and the plan of a
//! repository with a created percentile alarm, a created metric-math alarm, an alarm
//! the tool cannot reproduce and a changed alarm says how often each would have fired.
//! The expected counts are computed here by a plain count over the seeded values (a
//! nearest-rank p90, a maximum, a sliding window of three minutes), not by the
//! evaluator under test.

use aws_sdk_cloudwatch::primitives::{DateTime, DateTimeFormat};
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use serde_json::Value;

use crate::support::{rt, Repo};

const NS: &str = "Backtest/App";
/// Minutes before the seeding minute where spikes start, and how many minutes each
/// lasts. 700 and 698 are two single spikes one minute apart (X 0 X).
const SPIKES: &[(i64, i64)] = &[
    (2000, 3),
    (1500, 1),
    (1000, 2),
    (700, 1),
    (698, 1),
    (400, 5),
    (100, 1),
];
const SEEDED_MINUTES: i64 = 3 * 1440 + 10;

fn alarm(name: &str, body: &str) -> String {
    format!("apiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {{name: {name}}}\nspec:\n{body}")
}

const METRIC: &str = "  namespace: Backtest/App\n  metricName: Latency\n  dimensions: {Service: web}\n  period: 60\n";

/// The latency values of the minute `ago` minutes before the seeding minute: ten
/// values, two of them 500 in a spike minute, all 10 otherwise.
fn values(ago: i64) -> Vec<f64> {
    let spike = SPIKES
        .iter()
        .any(|(start, len)| ago <= *start && ago > start - len);
    let mut v = vec![10.0; 10];
    if spike {
        v[8] = 500.0;
        v[9] = 500.0;
    }
    v
}

/// Seeds every minute of the last three days (and ten minutes more); returns the
/// seeding minute (unix seconds).
fn seed(repo: &Repo) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let base = now / 60 * 60;
    let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
    let data: Vec<MetricDatum> = (1..=SEEDED_MINUTES)
        .map(|ago| {
            MetricDatum::builder()
                .metric_name("Latency")
                .dimensions(Dimension::builder().name("Service").value("web").build())
                .timestamp(DateTime::from_secs(base - ago * 60))
                .set_values(Some(values(ago)))
                .build()
        })
        .collect();
    rt().block_on(async {
        for chunk in data.chunks(1000) {
            cw.put_metric_data()
                .namespace(NS)
                .set_metric_data(Some(chunk.to_vec()))
                .send()
                .await
                .expect("PutMetricData");
        }
    });
    base
}

/// Each seeded minute's value for a statistic, oldest first.
fn per_minute(stat: fn(&[f64]) -> f64) -> Vec<f64> {
    (1..=SEEDED_MINUTES)
        .rev()
        .map(|ago| stat(&values(ago)))
        .collect()
}

fn p90(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[(0.9 * v.len() as f64).ceil() as usize - 1]
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::MIN, f64::max)
}

/// (transitions into ALARM, minutes in ALARM) of an M-of-N alarm on dense one-minute
/// data: at each minute, ALARM when M of the last N minutes breach.
fn count(breaching: &[bool], n: usize, m: usize) -> (u64, u64) {
    let (mut fired, mut minutes, mut was) = (0, 0, false);
    for i in n - 1..breaching.len() {
        let alarm = breaching[i + 1 - n..=i].iter().filter(|b| **b).count() >= m;
        if alarm {
            minutes += 1;
            fired += u64::from(!was);
        }
        was = alarm;
    }
    (fired, minutes)
}

fn change<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no change {name}: {plan:#}"))
}

fn outcome(v: &Value) -> (u64, u64) {
    (
        v["fired"].as_u64().expect("fired"),
        v["minutesInAlarm"].as_u64().expect("minutesInAlarm"),
    )
}

#[test]
fn a_backtest_counts_what_the_seeded_spikes_would_have_fired() {
    let live = alarm(
        "bt-changed",
        &format!("{METRIC}  statistic: Maximum\n  evaluationPeriods: 1\n  threshold: 300\n  comparisonOperator: GreaterThanThreshold\n"),
    );
    let repo = Repo::new(&[("changed.yaml", &live)]);
    repo.apply(&[]);
    let base = seed(&repo);
    // The changed alarm now needs 2 of 3 minutes; the created ones are new.
    repo.write(
        "changed.yaml",
        &alarm(
            "bt-changed",
            &format!("{METRIC}  statistic: Maximum\n  evaluationPeriods: 3\n  datapointsToAlarm: 2\n  threshold: 300\n  comparisonOperator: GreaterThanThreshold\n"),
        ),
    );
    repo.write(
        "created.yaml",
        &[
            alarm(
                "bt-p90",
                &format!("{METRIC}  extendedStatistic: p90\n  evaluationPeriods: 1\n  threshold: 200\n  comparisonOperator: GreaterThanThreshold\n  treatMissingData: notBreaching\n"),
            ),
            alarm(
                "bt-math",
                "  metrics:\n    - {id: m1, returnData: false, metricStat: {metric: {namespace: Backtest/App, metricName: Latency, dimensions: {Service: web}}, period: 60, stat: Maximum}}\n    - {id: e1, expression: m1 / 10}\n  evaluationPeriods: 1\n  threshold: 30\n  comparisonOperator: GreaterThanThreshold\n",
            ),
            alarm(
                "bt-stddev",
                "  metrics:\n    - {id: m1, returnData: false, metricStat: {metric: {namespace: Backtest/App, metricName: Latency, dimensions: {Service: web}}, period: 60, stat: Average}}\n    - {id: e1, expression: STDDEV(m1)}\n  evaluationPeriods: 1\n  threshold: 1\n  comparisonOperator: GreaterThanThreshold\n",
            ),
        ]
        .join("---\n"),
    );
    let before = repo.calls();
    let run = repo.run(&["plan", "--output", "json", "--backtest", "3d"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let plan = run.json();
    let calls = repo.calls();
    // Every alarm's history in one call: one period, two distinct queries.
    assert_eq!(
        calls.get("cloudwatch", "GetMetricData") - before.get("cloudwatch", "GetMetricData"),
        1
    );

    let p90_breach: Vec<bool> = per_minute(p90).iter().map(|v| *v > 200.0).collect();
    let max_breach: Vec<bool> = per_minute(max).iter().map(|v| *v > 300.0).collect();
    let created = &change(&plan, "bt-p90")["backtest"];
    assert_eq!(created["days"], 3.0);
    assert_eq!(outcome(&created["desired"]), count(&p90_breach, 1, 1));
    assert!(
        created.get("live").is_none(),
        "a create has no live settings"
    );
    // The first spike's first minute ends 1999 minutes before the seeding minute.
    let first = DateTime::from_secs(base - 1999 * 60)
        .fmt(DateTimeFormat::DateTime)
        .unwrap();
    assert_eq!(created["desired"]["first"], first.as_str());

    let math = &change(&plan, "bt-math")["backtest"];
    assert_eq!(outcome(&math["desired"]), count(&max_breach, 1, 1));

    let changed = &change(&plan, "bt-changed")["backtest"];
    assert_eq!(outcome(&changed["desired"]), count(&max_breach, 3, 2));
    assert_eq!(outcome(&changed["live"]), count(&max_breach, 1, 1));
    // The counts differ: the test tells M of N from 1 of 1.
    assert_ne!(count(&max_breach, 3, 2), count(&max_breach, 1, 1));

    let unsupported = &change(&plan, "bt-stddev")["backtest"]["desired"]["unsupported"];
    assert!(
        unsupported.as_str().unwrap().contains("STDDEV"),
        "{unsupported}"
    );

    let text = repo.run(&["plan", "--backtest", "3d", "--no-color"]);
    let (fired, minutes) = count(&max_breach, 3, 2);
    let (live_fired, _) = count(&max_breach, 1, 1);
    let want = format!("would have fired {fired} times in 3 days ({minutes} min in ALARM, first ");
    assert!(text.stdout.contains(&want), "{want}\n{}", text.stdout);
    assert!(
        text.stdout
            .contains(&format!("; live settings: {live_fired} times (")),
        "{}",
        text.stdout
    );
    let md = repo.run(&["plan", "--backtest", "3d", "--output", "markdown"]);
    assert!(md.stdout.contains(&format!("`{}", &want)), "{}", md.stdout);

    // A saved plan with its backtest applies: the history replayed is not part of
    // what apply writes.
    let saved = repo.dir.path().join("plan.json");
    let saved = saved.to_string_lossy();
    let run = repo.run(&["plan", "--backtest", "3d", "--out", &saved]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::read_to_string(&*saved)
        .unwrap()
        .contains("\"minutesInAlarm\""));
    repo.apply(&[&saved]);
}

#[test]
fn a_backtest_longer_than_14_days_is_refused() {
    let repo = Repo::new(&[(
        "a.yaml",
        &alarm("bt-long", &format!("{METRIC}  statistic: Maximum\n  evaluationPeriods: 1\n  threshold: 1\n  comparisonOperator: GreaterThanThreshold\n")),
    )]);
    let run = repo.run(&["plan", "--backtest", "15d"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("more than 14 days"), "{}", run.stderr);
    let before = repo.calls();
    assert_eq!(before.get("cloudwatch", "GetMetricData"), 0);
}

#[test]
fn the_iam_policy_grants_get_metric_data_for_metric_alarms() {
    let repo = Repo::new(&[(
        "a.yaml",
        &alarm("bt-iam", &format!("{METRIC}  statistic: Maximum\n  evaluationPeriods: 1\n  threshold: 1\n  comparisonOperator: GreaterThanThreshold\n")),
    )]);
    for args in [&["iam-policy"][..], &["iam-policy", "--read-only"][..]] {
        let run = repo.run(args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout.contains("\"cloudwatch:GetMetricData\""),
            "{args:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn a_target_whose_history_cannot_be_read_keeps_its_plan_and_says_why() {
    let repo = Repo::new(&[(
        "a.yaml",
        &alarm("bt-denied", &format!("{METRIC}  statistic: Maximum\n  evaluationPeriods: 1\n  threshold: 1\n  comparisonOperator: GreaterThanThreshold\n")),
    )]);
    let _faults = crate::emulator::Emulator::shared().scoped_faults(&serde_json::json!({
        "seed": 1,
        "rules": [{"service": "cloudwatch", "operation": "GetMetricData", "kind": "error500",
                   "account": repo.account.account_id}]
    }));
    let run = repo.run(&["plan", "--output", "json", "--backtest", "1h"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let plan = run.json();
    assert!(
        change(&plan, "bt-denied").get("backtest").is_none(),
        "{plan:#}"
    );
    let warnings = plan["warnings"].to_string();
    assert!(warnings.contains("no backtest"), "{warnings}");
    assert!(warnings.contains("GetMetricData"), "{warnings}");
}
