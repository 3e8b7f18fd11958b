//! The evaluator against the user guide's own tables, M of N, each treatMissingData,
//! percentiles passed through, metric math, and whole replays counted by hand.

use std::collections::BTreeMap;

use super::evaluate::{evaluate, replay as run_points, Point, Rule, State};
use super::math::{self, Inputs, Series};
use super::*;
use crate::spec::alarm::{Metric, MetricDataQuery, MetricStat};

/// `0 - X` notation of the user guide → points.
fn points(text: &str) -> Vec<Point> {
    text.split_whitespace()
        .map(|p| match p {
            "X" => Point::Breaching,
            "0" => Point::Fine,
            _ => Point::Missing,
        })
        .collect()
}

fn rule(n: usize, m: usize, treat: TreatMissingData) -> Rule {
    Rule {
        evaluation_periods: n,
        datapoints_to_alarm: m,
        treat_missing: treat,
    }
}

use State::{Alarm as A, InsufficientData as I, Ok as O};
/// "Retain current state": the tables' IGNORE cells, checked from both states.
const KEEP: Option<State> = None;

/// Columns MISSING, IGNORE, BREACHING, NOT BREACHING of the user guide's tables
/// ("How alarm state is evaluated when data is missing").
fn check_table(n: usize, m: usize, rows: &[(&str, [Option<State>; 4])]) {
    let modes = [
        TreatMissingData::Missing,
        TreatMissingData::Ignore,
        TreatMissingData::Breaching,
        TreatMissingData::NotBreaching,
    ];
    for (data, expected) in rows {
        for (mode, want) in modes.iter().zip(expected) {
            for current in [O, A] {
                let got = evaluate(&points(data), &rule(n, m, *mode), current);
                assert_eq!(
                    got,
                    want.unwrap_or(current),
                    "{data} {mode:?} from {current:?}"
                );
            }
        }
    }
}

#[test]
fn the_user_guides_table_for_3_of_3() {
    check_table(
        3,
        3,
        &[
            ("0 - X - X", [Some(O), Some(O), Some(O), Some(O)]),
            ("0 - - - -", [Some(O), Some(O), Some(O), Some(O)]),
            ("- - - - -", [Some(I), KEEP, Some(A), Some(O)]),
            ("0 X X - X", [Some(A), Some(A), Some(A), Some(A)]),
            ("- - X - -", [Some(A), KEEP, Some(A), Some(O)]),
        ],
    );
}

#[test]
fn the_user_guides_table_for_2_of_3() {
    check_table(
        3,
        2,
        &[
            ("0 - X - X", [Some(A), Some(A), Some(A), Some(A)]),
            ("0 0 X 0 X", [Some(A), Some(A), Some(A), Some(A)]),
            ("0 - X - -", [Some(O), Some(O), Some(A), Some(O)]),
            ("- - - - 0", [Some(O), Some(O), Some(A), Some(O)]),
            ("- - - X -", [Some(A), KEEP, Some(A), Some(O)]),
        ],
    );
}

#[test]
fn premature_alarms_are_avoided() {
    // "the alarm does not go immediately into ALARM state when the data is either
    // `- - - - X` or `- - - X -` and Datapoints to Alarm is 3".
    let r = rule(3, 3, TreatMissingData::Missing);
    assert_eq!(evaluate(&points("- - - - X"), &r, O), O);
    assert_eq!(evaluate(&points("- - - X -"), &r, O), O);
    assert_eq!(evaluate(&points("- - X - -"), &r, O), A);
}

#[test]
fn m_of_n_counts_only_the_most_recent_n_real_points() {
    let r = rule(5, 3, TreatMissingData::Missing);
    // 7 periods, all real: the newest 5 hold 2 breaches.
    assert_eq!(evaluate(&points("X X 0 0 X 0 X"), &r, O), O);
    assert_eq!(evaluate(&points("X X 0 X X 0 X"), &r, A), A);
    // A gap: the 5 newest real points reach back past it.
    assert_eq!(evaluate(&points("X X 0 - X 0 X"), &r, O), A);
}

#[test]
fn a_replay_counts_transitions_and_periods_in_alarm() {
    // 1 of 1: every breaching period is in ALARM; transitions are runs of X.
    let r = rule(1, 1, TreatMissingData::NotBreaching);
    let p = points("0 0 X X 0 X 0 0 X X X 0");
    let done = run_points(&p, 2, &r);
    assert_eq!(done.fired, 3);
    assert_eq!(done.periods_in_alarm, 6);
    assert_eq!(done.first, Some(0));
    // 2 of 3: the alarm needs two breaches among the last three.
    let r = rule(3, 2, TreatMissingData::NotBreaching);
    let p = points("0 0 0 0 X 0 0 0 X X 0 0 0");
    let done = run_points(&p, 4, &r);
    assert_eq!(done.fired, 1);
    // X X at 8,9: ALARM at 9, 10 (X X 0), 11 (X 0 0 has one: OK).
    assert_eq!(done.periods_in_alarm, 2);
    assert_eq!(done.first, Some(5));
}

#[test]
fn breaching_missing_data_fires_on_a_silent_metric() {
    let silent = points("- - - - - - - -");
    let breaching = run_points(&silent, 4, &rule(3, 3, TreatMissingData::Breaching));
    assert_eq!((breaching.fired, breaching.periods_in_alarm), (1, 4));
    for treat in [
        TreatMissingData::Missing,
        TreatMissingData::Ignore,
        TreatMissingData::NotBreaching,
    ] {
        let done = run_points(&silent, 4, &rule(3, 3, treat));
        assert_eq!(done.fired, 0, "{treat:?}");
    }
}

fn series(values: &[Option<f64>]) -> Series {
    values.to_vec()
}

fn run(expr: &str, metrics: &[(&str, Series)]) -> Result<Series, String> {
    let metrics: Vec<(String, Series)> = metrics
        .iter()
        .map(|(id, s)| (id.to_string(), s.clone()))
        .collect();
    let mut expressions = BTreeMap::new();
    expressions.insert("e".to_string(), expr.to_string());
    math::evaluate(
        "e",
        Inputs {
            period: 60,
            metrics: &metrics,
            expressions: &expressions,
        },
    )
}

#[test]
fn math_arithmetic_and_precedence() {
    let a = series(&[Some(10.0), Some(20.0), None, Some(4.0)]);
    let b = series(&[Some(5.0), None, Some(1.0), Some(0.0)]);
    let ms = [("errors", a.clone()), ("requests", b)];
    // Between two series: only where both have a datapoint; x/0 has none.
    assert_eq!(
        run("100 * errors / requests", &ms).unwrap(),
        [Some(200.0), None, None, None]
    );
    assert_eq!(
        run("errors + 2 * 3 ^ 2 - -1", &ms).unwrap(),
        [Some(29.0), Some(39.0), None, Some(23.0)]
    );
    assert_eq!(run("(errors + 2) * 2", &ms).unwrap()[0], Some(24.0));
}

#[test]
fn math_functions() {
    let a = series(&[Some(1.0), None, Some(3.0), None, Some(9.0)]);
    let b = series(&[Some(2.0), Some(5.0), None, None, Some(1.0)]);
    let ms = [("m1", a), ("m2", b)];
    assert_eq!(
        run("SUM(METRICS())", &ms).unwrap(),
        [Some(3.0), Some(5.0), Some(3.0), None, Some(10.0)]
    );
    assert_eq!(
        run("MAX([m1, m2])", &ms).unwrap(),
        [Some(2.0), Some(5.0), Some(3.0), None, Some(9.0)]
    );
    assert_eq!(run("AVG(METRICS(\"2\"))", &ms).unwrap()[1], Some(5.0));
    assert_eq!(
        run("FILL(m1, 0)", &ms).unwrap(),
        [Some(1.0), Some(0.0), Some(3.0), Some(0.0), Some(9.0)]
    );
    assert_eq!(
        run("FILL(m1, REPEAT)", &ms).unwrap(),
        [Some(1.0), Some(1.0), Some(3.0), Some(3.0), Some(9.0)]
    );
    assert_eq!(
        run("FILL(m1, LINEAR)", &ms).unwrap(),
        [Some(1.0), Some(2.0), Some(3.0), Some(6.0), Some(9.0)]
    );
    assert_eq!(
        run("IF(m1 > 2, m1, 0)", &ms).unwrap(),
        [Some(0.0), None, Some(3.0), None, Some(9.0)]
    );
    assert_eq!(
        run("IF(m1 > 2 AND m2 < 3, 1)", &ms).unwrap(),
        [None, None, None, None, Some(1.0)]
    );
    assert_eq!(
        run("DIFF(m1)", &ms).unwrap(),
        [None, None, Some(2.0), None, Some(6.0)]
    );
    // RATE: per second since the previous datapoint (two periods of 60 s back).
    assert_eq!(run("RATE(m1)", &ms).unwrap()[2], Some(2.0 / 120.0));
    assert_eq!(run("ABS(0 - m1)", &ms).unwrap()[0], Some(1.0));
}

#[test]
fn math_it_cannot_reproduce_is_named() {
    let ms = [("m1", series(&[Some(1.0)]))];
    for (expr, says) in [
        ("ANOMALY_DETECTION_BAND(m1, 2)", "anomaly detection band"),
        ("STDDEV(m1)", "the function STDDEV"),
        ("SUM(m1)", "SUM of a single time series"),
        (
            "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\"",
            "Metrics Insights",
        ),
        ("m1 +", "ends too early"),
        ("m9", "no query has the id `m9`"),
    ] {
        let err = run(expr, &ms).unwrap_err();
        assert!(err.contains(says), "{expr}: {err}");
    }
}

fn alarm() -> MetricAlarmSpec {
    serde_json::from_value(serde_json::json!({
        "namespace": "App", "metricName": "Latency", "extendedStatistic": "p99",
        "period": 60, "evaluationPeriods": 3, "datapointsToAlarm": 2,
        "threshold": 100.0, "comparisonOperator": "GreaterThanThreshold",
        "treatMissingData": "notBreaching"
    }))
    .unwrap()
}

const SPAN: Span = Span {
    now: 1_700_000_030,
    seconds: 3_600,
};

#[test]
fn a_percentile_alarm_asks_for_its_percentile_and_replays_it() {
    let Prepared::Replay(r) = prepare(&alarm(), SPAN) else {
        panic!("replayable")
    };
    assert_eq!(r.metrics[0].1.stat, "p99");
    let subject = Subject {
        target: "t".into(),
        name: "a".into(),
        desired: Prepared::Replay(r.clone()),
        live: None,
    };
    let fetches = fetches(&[subject], "t", SPAN);
    let f = &fetches[0];
    // Aligned to the period; four periods of lookback (range 5 − 1).
    assert_eq!(f.end, 1_699_999_980);
    assert_eq!(f.start, 1_699_999_980 - 3_600 - 4 * 60);
    // Spikes: two breaching minutes in a row, twice, and a lone one.
    let first = 1_699_999_980 - 3_600;
    let spikes = [
        (10, 150.0),
        (11, 150.0),
        (30, 120.0),
        (40, 130.0),
        (41, 130.0),
    ];
    let data: Points = spikes
        .iter()
        .map(|(i, v)| (first + i * 60, *v))
        .chain(
            (0..60)
                .filter(|i| ![10, 11, 30, 40, 41].contains(i))
                .map(|i| (first + i * 60, 50.0)),
        )
        .collect();
    let verdict = replay(&r, &[(f.queries[0].clone(), data)], SPAN);
    // 2 of 3: each pair alarms at its second minute and stays for the next one (X X 0).
    let Verdict::Replayed(o) = verdict else {
        panic!("{verdict:?}")
    };
    assert_eq!(o.fired, 2);
    assert_eq!(o.minutes_in_alarm, 4);
    // The first evaluation period starts 21:13; minute 11 ends at 21:25.
    assert_eq!(o.first.as_deref(), Some("2023-11-14T21:25:00Z"));
}

#[test]
fn what_cannot_be_replayed_says_why() {
    let mut band = alarm();
    band.threshold = None;
    band.threshold_metric_id = Some("ad1".into());
    band.comparison_operator = ComparisonOperator::GreaterThanUpperThreshold;
    let mut high_res = alarm();
    high_res.period = Some(10);
    let mut low_samples = alarm();
    low_samples.evaluate_low_sample_count_percentile = Some(LowSampleCount::Ignore);
    let long = Span {
        now: SPAN.now,
        seconds: 86_400,
    };
    for (spec, says) in [
        (band, "anomaly detection band"),
        (high_res, "three hours"),
        (low_samples, "sample count"),
    ] {
        match prepare(&spec, long) {
            Prepared::Unsupported(why) => assert!(why.contains(says), "{why}"),
            Prepared::Replay(_) => panic!("{says} replayed"),
        }
    }
}

#[test]
fn a_math_alarm_fetches_its_metrics_once_and_evaluates_the_returned_expression() {
    let stat = |name: &str| MetricStat {
        metric: Metric {
            namespace: "App".into(),
            metric_name: name.into(),
            dimensions: BTreeMap::new(),
        },
        period: 60,
        stat: "Sum".into(),
        unit: None,
    };
    let query = |id: &str, name: &str| MetricDataQuery {
        id: id.into(),
        expression: None,
        metric_stat: Some(stat(name)),
        label: None,
        return_data: Some(false),
        period: None,
        account_id: None,
    };
    let mut spec = alarm();
    (
        spec.namespace,
        spec.metric_name,
        spec.period,
        spec.extended_statistic,
    ) = (None, None, None, None);
    spec.threshold = Some(10.0);
    spec.evaluation_periods = 1;
    spec.datapoints_to_alarm = None;
    spec.metrics = Some(vec![
        query("errors", "Errors"),
        query("requests", "Requests"),
        MetricDataQuery {
            id: "rate".into(),
            expression: Some("100 * errors / requests".into()),
            metric_stat: None,
            label: None,
            return_data: None,
            period: None,
            account_id: None,
        },
    ]);
    let Prepared::Replay(r) = prepare(&spec, SPAN) else {
        panic!("replayable")
    };
    let f = fetches(
        &[Subject {
            target: "t".into(),
            name: "a".into(),
            desired: Prepared::Replay(r.clone()),
            live: Some(Prepared::Replay(r.clone())),
        }],
        "t",
        SPAN,
    );
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].queries.len(),
        2,
        "each metric once, desired and live shared"
    );
    let first = f[0].end - 3_600;
    let at = |i: i64| first + i * 60;
    let errors: Points = vec![(at(5), 3.0), (at(6), 1.0), (at(7), 2.0)];
    let requests: Points = vec![(at(5), 10.0), (at(6), 100.0), (at(7), 10.0)];
    let data = vec![
        (f[0].queries[0].clone(), errors),
        (f[0].queries[1].clone(), requests),
    ];
    let Verdict::Replayed(o) = replay(&r, &data, SPAN) else {
        panic!("replayable")
    };
    // 30%, 1%, 20%: two separate minutes above 10%. After the last one the metric
    // stops: with one real point still in the evaluation range (3 periods) CloudWatch
    // evaluates that point again, so the second ALARM lasts 3 minutes.
    assert_eq!((o.fired, o.minutes_in_alarm), (2, 4));
}

#[test]
fn comparisons_and_dynamodb_missing_data() {
    use ComparisonOperator::*;
    assert!(breaches(GreaterThanOrEqualToThreshold, 5.0, 5.0));
    assert!(!breaches(GreaterThanThreshold, 5.0, 5.0));
    assert!(breaches(LessThanThreshold, 4.0, 5.0));
    assert!(!breaches(LessThanThreshold, 5.0, 5.0));
    assert!(breaches(LessThanOrEqualToThreshold, 5.0, 5.0));
    // AWS/DynamoDB alarms always ignore missing data, whatever the spec says.
    let mut dynamo = alarm();
    dynamo.namespace = Some("AWS/DynamoDB".into());
    dynamo.treat_missing_data = Some(TreatMissingData::Breaching);
    let Prepared::Replay(r) = prepare(&dynamo, SPAN) else {
        panic!("replayable")
    };
    assert_eq!(r.rule.treat_missing, TreatMissingData::Ignore);
    let Prepared::Replay(r) = prepare(&alarm(), SPAN) else {
        panic!("replayable")
    };
    assert_eq!(r.rule.treat_missing, TreatMissingData::NotBreaching);
}

#[test]
fn ignore_keeps_the_state_through_a_silence() {
    // ALARM, then the metric stops: `ignore` stays in ALARM, `missing` goes to
    // INSUFFICIENT_DATA once the range is empty.
    let p = points("X X X - - - - - - -");
    let ignore = run_points(&p, 2, &rule(1, 1, TreatMissingData::Ignore));
    assert_eq!((ignore.fired, ignore.periods_in_alarm), (1, 8));
    let missing = run_points(&p, 2, &rule(1, 1, TreatMissingData::Missing));
    // Range 3: the last X is seen by the evaluations at 2, 3 and 4.
    assert_eq!((missing.fired, missing.periods_in_alarm), (1, 3));
}

#[test]
fn nothing_older_than_fifteen_days_is_fetched() {
    // 14 days of 15-minute periods, 96 of them per evaluation: the lookback would
    // reach a day past the start.
    let mut spec = alarm();
    (
        spec.period,
        spec.evaluation_periods,
        spec.datapoints_to_alarm,
    ) = (Some(900), 96, None);
    let span = Span {
        now: SPAN.now,
        seconds: MAX_SECONDS,
    };
    let subject = Subject {
        target: "t".into(),
        name: "a".into(),
        desired: prepare(&spec, span),
        live: None,
    };
    let f = &fetches(&[subject], "t", span)[0];
    assert!(f.start >= span.now - 15 * 86_400, "{}", span.now - f.start);
    assert_eq!(f.start % 900, 0);
}
