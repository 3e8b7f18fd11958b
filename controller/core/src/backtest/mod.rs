//! `plan --backtest`: each created or changed metric alarm replayed on its metric's
//! history, with the desired settings and (for a change) the live ones. Pure: the
//! binary asks [`subjects`] what to replay and [`fetches`] which metric queries that
//! needs, fetches them (GetMetricData, `driftless-aws`), and [`annotate`] evaluates
//! (`evaluate`, `math`) and writes `backtest` on each change.
//!
//! Periods are aligned to the epoch (a 300-second alarm evaluates at :00, :05, …), the
//! alarm starts in INSUFFICIENT_DATA, evaluates once per period and its state holds
//! until the next evaluation. What cannot be reproduced exactly (anomaly detection
//! bands, Metrics Insights queries, functions outside `math`, cross-account metrics,
//! high-resolution periods beyond the three hours CloudWatch keeps them,
//! `evaluateLowSampleCountPercentile: ignore`) is reported as such, never guessed.

pub mod evaluate;
pub mod math;

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::live::LiveTarget;
pub use crate::plan::backtest::{Backtest, Outcome, Verdict};
use crate::plan::{Action, Plan};
use crate::spec::alarm::{
    ComparisonOperator, LowSampleCount, MetricAlarmSpec, StandardUnit, Statistic, TreatMissingData,
};
use crate::spec::{Kind, Resource, ResourceSpec};
use evaluate::{Point, Rule};
use math::Series;

/// The longest backtest: CloudWatch keeps one-minute datapoints 15 days, and an
/// evaluation looks back up to a day before the first one.
pub const MAX_SECONDS: i64 = 14 * 86_400;

/// One-minute datapoints are kept 15 days.
const RETENTION_SECONDS: i64 = 15 * 86_400;

/// High-resolution datapoints (periods under a minute) are kept three hours.
const HIGH_RESOLUTION_SECONDS: i64 = 3 * 3_600;

/// The stretch of history: `seconds` before `now` (unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub now: i64,
    pub seconds: i64,
}

impl Span {
    /// The first and the end of the evaluations of a `period`, aligned to the epoch.
    fn evaluations(&self, period: u32) -> (i64, i64) {
        let p = i64::from(period);
        let end = self.now.div_euclid(p) * p;
        (end - self.seconds.div_euclid(p) * p, end)
    }
}

/// One metric's statistic over a period: a MetricStat of GetMetricData.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricQuery {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: BTreeMap<String, String>,
    pub period: u32,
    /// `Average`, `p99`, `TM(10%:90%)` …
    pub stat: String,
    pub unit: Option<StandardUnit>,
}

/// One GetMetricData request's worth: queries of one period over one stretch.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetch {
    pub period: u32,
    /// Unix seconds, aligned to the period; `end` is exclusive.
    pub start: i64,
    pub end: i64,
    pub queries: Vec<MetricQuery>,
}

/// Datapoints of a query: (unix seconds, value).
pub type Points = Vec<(i64, f64)>;

/// An alarm ready to replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub period: u32,
    rule: Rule,
    threshold: f64,
    comparison: ComparisonOperator,
    /// The metric queries, by the alarm's query id (`m` for a single metric).
    metrics: Vec<(String, MetricQuery)>,
    /// Expression queries by id, and the id whose series the alarm evaluates.
    expressions: BTreeMap<String, String>,
    returned: String,
}

/// An alarm's settings, replayable or not.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    Replay(Box<Replay>),
    Unsupported(String),
}

/// One change to backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub target: String,
    pub name: String,
    pub desired: Prepared,
    pub live: Option<Prepared>,
}

/// The created, updated or replaced metric alarms of a plan, with their desired and
/// live settings.
pub fn subjects(
    plan: &Plan,
    resources: &[Resource],
    live: &BTreeMap<String, LiveTarget>,
    span: Span,
) -> Vec<Subject> {
    let mut out = Vec::new();
    for change in &plan.changes {
        let acts = matches!(
            change.action,
            Action::Create | Action::Update | Action::Replace
        );
        if change.kind != Kind::MetricAlarm || !acts {
            continue;
        }
        let desired = resources.iter().find_map(|r| match &r.spec {
            ResourceSpec::MetricAlarm(a)
                if r.name() == change.name && r.targets.contains(&change.target) =>
            {
                Some(a)
            }
            _ => None,
        });
        let Some(desired) = desired else { continue };
        let live_spec = (change.action != Action::Create)
            .then(|| live.get(&change.target))
            .flatten()
            .and_then(|l| l.alarms.iter().find(|a| a.name == change.name));
        out.push(Subject {
            target: change.target.clone(),
            name: change.name.clone(),
            desired: prepare(desired, span),
            live: live_spec.map(|l| prepare(&l.spec, span)),
        });
    }
    out
}

/// The GetMetricData requests the subjects of one target need: one per period, each
/// query once.
pub fn fetches(subjects: &[Subject], target: &str, span: Span) -> Vec<Fetch> {
    let mut out: Vec<Fetch> = Vec::new();
    let replays = subjects
        .iter()
        .filter(|s| s.target == target)
        .flat_map(|s| std::iter::once(&s.desired).chain(&s.live))
        .filter_map(|p| match p {
            Prepared::Replay(r) => Some(r),
            Prepared::Unsupported(_) => None,
        });
    for r in replays {
        let (first, end) = span.evaluations(r.period);
        let p = i64::from(r.period);
        // Nothing older than CloudWatch's 15 days of one-minute data is asked for: past
        // it GetMetricData rounds StartTime to 5 minutes, which a period need not divide.
        let kept = (span.now - RETENTION_SECONDS).div_euclid(p) * p + p;
        let start = (first - lookback(r) * p).max(kept);
        let fetch = match out.iter_mut().find(|f| f.period == r.period) {
            Some(f) => f,
            None => {
                out.push(Fetch {
                    period: r.period,
                    start,
                    end,
                    queries: Vec::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        fetch.start = fetch.start.min(start);
        for (_, q) in &r.metrics {
            if !fetch.queries.contains(q) {
                fetch.queries.push(q.clone());
            }
        }
    }
    out
}

/// Periods an alarm's first evaluation looks back.
fn lookback(r: &Replay) -> i64 {
    i64::try_from(r.rule.range()).unwrap_or(i64::MAX) - 1
}

/// Writes `backtest` on every subject's change, from the datapoints fetched for its
/// target (`fetched`: target → (query, datapoints)).
pub fn annotate(
    plan: &mut Plan,
    subjects: &[Subject],
    fetched: &BTreeMap<String, Vec<(MetricQuery, Points)>>,
    span: Span,
) {
    let no_data = Vec::new();
    for s in subjects {
        let data = fetched.get(&s.target).unwrap_or(&no_data);
        let verdict = |p: &Prepared| match p {
            Prepared::Replay(r) => replay(r, data, span),
            Prepared::Unsupported(why) => Verdict::Unsupported {
                unsupported: why.clone(),
            },
        };
        let backtest = Backtest {
            days: span.seconds as f64 / 86_400.0,
            desired: verdict(&s.desired),
            live: s.live.as_ref().map(verdict),
        };
        if let Some(change) = plan
            .changes
            .iter_mut()
            .find(|c| c.target == s.target && c.kind == Kind::MetricAlarm && c.name == s.name)
        {
            change.backtest = Some(backtest);
        }
    }
}

/// An alarm's settings → what to fetch and how to evaluate, or why it cannot be.
pub fn prepare(spec: &MetricAlarmSpec, span: Span) -> Prepared {
    match try_prepare(spec, span) {
        Ok(r) => Prepared::Replay(Box::new(r)),
        Err(why) => Prepared::Unsupported(why),
    }
}

fn try_prepare(spec: &MetricAlarmSpec, span: Span) -> Result<Replay, String> {
    if spec.threshold_metric_id.is_some() || spec.comparison_operator.is_band() {
        return Err("the alarm compares against an anomaly detection band".into());
    }
    let threshold = spec.threshold.ok_or("the alarm has no threshold")?;
    if spec.evaluate_low_sample_count_percentile == Some(LowSampleCount::Ignore) {
        return Err(
            "evaluateLowSampleCountPercentile `ignore` needs each period's sample count".into(),
        );
    }
    let (period, metrics, expressions, returned) = match &spec.metrics {
        None => single(spec)?,
        Some(queries) => math_queries(queries)?,
    };
    if period < 60 && span.seconds > HIGH_RESOLUTION_SECONDS {
        return Err(format!(
            "CloudWatch keeps datapoints of a {period}-second period three hours; backtest 3h or less"
        ));
    }
    // AWS/DynamoDB alarms always ignore missing data (PutMetricAlarm, TreatMissingData).
    let dynamo = metrics.iter().any(|(_, q)| q.namespace == "AWS/DynamoDB");
    let treat_missing = if dynamo {
        TreatMissingData::Ignore
    } else {
        spec.treat_missing_data.unwrap_or(TreatMissingData::Missing)
    };
    let n = spec.evaluation_periods.max(1) as usize;
    Ok(Replay {
        period,
        rule: Rule {
            evaluation_periods: n,
            datapoints_to_alarm: spec.datapoints_to_alarm.map_or(n, |m| m as usize),
            treat_missing,
        },
        threshold,
        comparison: spec.comparison_operator,
        metrics,
        expressions,
        returned,
    })
}

type Sources = (
    u32,
    Vec<(String, MetricQuery)>,
    BTreeMap<String, String>,
    String,
);

fn single(spec: &MetricAlarmSpec) -> Result<Sources, String> {
    let (Some(namespace), Some(metric_name), Some(period)) =
        (&spec.namespace, &spec.metric_name, spec.period)
    else {
        return Err("the alarm names no metric".into());
    };
    let stat = match (&spec.statistic, &spec.extended_statistic) {
        (Some(s), _) => statistic_name(*s).to_string(),
        (None, Some(e)) => e.clone(),
        (None, None) => return Err("the alarm has no statistic".into()),
    };
    let query = MetricQuery {
        namespace: namespace.clone(),
        metric_name: metric_name.clone(),
        dimensions: spec.dimensions.clone(),
        period,
        stat,
        unit: spec.unit,
    };
    Ok((
        period,
        vec![("m".into(), query)],
        BTreeMap::new(),
        "m".into(),
    ))
}

fn math_queries(queries: &[crate::spec::alarm::MetricDataQuery]) -> Result<Sources, String> {
    let mut metrics = Vec::new();
    let mut expressions = BTreeMap::new();
    let mut returned = None;
    let mut period = None;
    for q in queries {
        if q.account_id.is_some() {
            return Err(format!("query `{}` reads another account's metric", q.id));
        }
        if q.return_data.unwrap_or(true) {
            returned = Some(q.id.clone());
        }
        if let Some(e) = &q.expression {
            expressions.insert(q.id.clone(), e.clone());
            continue;
        }
        let Some(stat) = &q.metric_stat else { continue };
        if period.is_some_and(|p| p != stat.period) {
            return Err("the alarm's metrics have different periods".into());
        }
        period = Some(stat.period);
        metrics.push((
            q.id.clone(),
            MetricQuery {
                namespace: stat.metric.namespace.clone(),
                metric_name: stat.metric.metric_name.clone(),
                dimensions: stat.metric.dimensions.clone(),
                period: stat.period,
                stat: stat.stat.clone(),
                unit: stat.unit,
            },
        ));
    }
    let returned = returned.ok_or("no query returns data")?;
    let period = period
        .or_else(|| queries.iter().find_map(|q| q.period))
        .ok_or("the alarm's queries have no period")?;
    Ok((period, metrics, expressions, returned))
}

/// The name GetMetricData takes for a statistic.
pub fn statistic_name(s: Statistic) -> &'static str {
    match s {
        Statistic::SampleCount => "SampleCount",
        Statistic::Average => "Average",
        Statistic::Sum => "Sum",
        Statistic::Minimum => "Minimum",
        Statistic::Maximum => "Maximum",
    }
}

/// Replays one alarm on the datapoints fetched.
fn replay(r: &Replay, data: &[(MetricQuery, Points)], span: Span) -> Verdict {
    let p = i64::from(r.period);
    let (first_eval, end) = span.evaluations(r.period);
    let lookback = lookback(r);
    let origin = first_eval - lookback * p;
    let slots = usize::try_from((end - origin) / p).unwrap_or(0);
    let metrics: Vec<(String, Series)> = r
        .metrics
        .iter()
        .map(|(id, q)| {
            let points = data.iter().find(|(d, _)| d == q).map(|(_, pts)| pts);
            (id.clone(), slot(points, origin, p, slots))
        })
        .collect();
    let inputs = math::Inputs {
        period: r.period,
        metrics: &metrics,
        expressions: &r.expressions,
    };
    let series = match math::evaluate(&r.returned, inputs) {
        Ok(s) => s,
        Err(why) => {
            return Verdict::Unsupported {
                unsupported: format!("cannot reproduce {why}"),
            }
        }
    };
    let points: Vec<Point> = series
        .iter()
        .map(|v| match v {
            None => Point::Missing,
            Some(v) if breaches(r.comparison, *v, r.threshold) => Point::Breaching,
            Some(_) => Point::Fine,
        })
        .collect();
    let lookback = usize::try_from(lookback).unwrap_or(0);
    let done = evaluate::replay(&points, lookback, &r.rule);
    Verdict::Replayed(Outcome {
        fired: done.fired,
        minutes_in_alarm: done.periods_in_alarm * u64::from(r.period) / 60,
        first: done.first.map(|k| {
            // Evaluation k happens when its period ends.
            let at = first_eval + (i64::try_from(k).unwrap_or(0) + 1) * p;
            DateTime::<Utc>::from_timestamp(at, 0)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                .unwrap_or_default()
        }),
    })
}

/// Datapoints into one slot per period from `origin`.
fn slot(points: Option<&Points>, origin: i64, period: i64, slots: usize) -> Series {
    let mut out = vec![None; slots];
    for (t, v) in points.into_iter().flatten() {
        let i = (t - origin).div_euclid(period);
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            *slot = Some(*v);
        }
    }
    out
}

/// Whether `value` breaches `threshold` under `op` (band operators never get here).
pub fn breaches(op: ComparisonOperator, value: f64, threshold: f64) -> bool {
    match op {
        ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
        ComparisonOperator::GreaterThanThreshold => value > threshold,
        ComparisonOperator::LessThanThreshold => value < threshold,
        ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
