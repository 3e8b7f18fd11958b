//! `MetricAlarm`: a CloudWatch metric alarm, on one metric or on metric math.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::rules;

/// The desired state of one CloudWatch alarm (PutMetricAlarm, lowerCamelCase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricAlarmSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The metric's namespace, e.g. `AWS/EC2` (single-metric alarms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    /// Dimension name → value; order never matters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<Statistic>,
    /// A percentile or trimmed statistic such as `p99` or `tm90`, instead of `statistic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_statistic: Option<String>,
    /// Seconds: 10, 20, 30 or a multiple of 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub period: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<StandardUnit>,
    /// Metric math: the MetricDataQueries list, instead of namespace/metricName/statistic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<MetricDataQuery>>,
    #[schemars(range(min = 1))]
    pub evaluation_periods: u32,
    /// Defaults to evaluationPeriods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub datapoints_to_alarm: Option<u32>,
    /// Required unless `thresholdMetricId` names an anomaly-detection band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_metric_id: Option<String>,
    pub comparison_operator: ComparisonOperator,
    /// Defaults to `missing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<TreatMissingData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluate_low_sample_count_percentile: Option<LowSampleCount>,
    /// Defaults to true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ok_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insufficient_data_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// One entry of a metric-math alarm's `metrics` (CloudWatch MetricDataQuery).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricDataQuery {
    /// Short id used in expressions; starts with a lowercase letter.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<MetricStat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Exactly one query of an alarm returns data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_data: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub period: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// A metric and how to aggregate it, inside a metric-math query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricStat {
    pub metric: Metric,
    #[schemars(range(min = 1))]
    pub period: u32,
    /// A statistic (`Average`) or an extended one (`p99`).
    pub stat: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<StandardUnit>,
}

/// A metric identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metric {
    pub namespace: String,
    pub metric_name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Statistic {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ComparisonOperator {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
    LessThanLowerOrGreaterThanUpperThreshold,
    LessThanLowerThreshold,
    GreaterThanUpperThreshold,
}

impl ComparisonOperator {
    /// The operators that compare against an anomaly-detection band.
    pub fn is_band(self) -> bool {
        matches!(
            self,
            ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold
                | ComparisonOperator::LessThanLowerThreshold
                | ComparisonOperator::GreaterThanUpperThreshold
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingData {
    Breaching,
    NotBreaching,
    Ignore,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum LowSampleCount {
    Evaluate,
    Ignore,
}

/// CloudWatch's StandardUnit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum StandardUnit {
    Seconds,
    Microseconds,
    Milliseconds,
    Bytes,
    Kilobytes,
    Megabytes,
    Gigabytes,
    Terabytes,
    Bits,
    Kilobits,
    Megabits,
    Gigabits,
    Terabits,
    Percent,
    Count,
    #[serde(rename = "Bytes/Second")]
    BytesPerSecond,
    #[serde(rename = "Kilobytes/Second")]
    KilobytesPerSecond,
    #[serde(rename = "Megabytes/Second")]
    MegabytesPerSecond,
    #[serde(rename = "Gigabytes/Second")]
    GigabytesPerSecond,
    #[serde(rename = "Terabytes/Second")]
    TerabytesPerSecond,
    #[serde(rename = "Bits/Second")]
    BitsPerSecond,
    #[serde(rename = "Kilobits/Second")]
    KilobitsPerSecond,
    #[serde(rename = "Megabits/Second")]
    MegabitsPerSecond,
    #[serde(rename = "Gigabits/Second")]
    GigabitsPerSecond,
    #[serde(rename = "Terabits/Second")]
    TerabitsPerSecond,
    #[serde(rename = "Count/Second")]
    CountPerSecond,
    None,
}

/// period × evaluationPeriods: at most one day for periods under an hour, else seven
/// days (PutMetricAlarm, `Period`: "Period multiplied by EvaluationPeriods can't be
/// more than 604,800 seconds. For alarms with a period of less than one hour (3,600
/// seconds), the total evaluation period can't be longer than one day").
/// The three action lists of a metric or composite alarm, by field name.
pub type ActionLists<'a> = [(&'static str, &'a [String]); 3];

/// An alarm's actions must be in the alarm's own Region: PutMetricAlarm and
/// PutCompositeAlarm refuse any other ("Invalid region us-east-1 specified. Only
/// ap-northeast-1 is supported."; every action ARN the reference lists names
/// `region` - SNS topics, EC2 and Auto Scaling actions, Systems Manager OpsItems,
/// Lambda functions - but Incident Manager's response plans, which name none). An
/// error at each such action, for `target` in `region`.
pub fn check_action_regions(lists: &ActionLists<'_>, target: &str, region: &str, cx: &mut Cx<'_>) {
    for (field, actions) in lists {
        for (i, action) in actions.iter().enumerate() {
            let Ok(arn) = rules::parse_arn(action) else {
                continue;
            };
            if !arn.region.is_empty() && !arn.region.contains("${") && arn.region != region {
                cx.report(
                    &At::spec().k(field).i(i),
                    rules::Problem::new(format!(
                        "this action is in region {}, but the alarm is in {region} (target `{target}`); AWS accepts only actions in the alarm's own Region",
                        arn.region
                    ))
                    .hint("use a topic or action in the target's region, e.g. `arn:${target.partition}:sns:${target.region}:${target.accountId}:<topic>`, or send this alarm only to targets in that region (metadata.targets)"),
                );
            }
        }
    }
}

impl MetricAlarmSpec {
    /// alarmActions, okActions and insufficientDataActions.
    pub fn action_lists(&self) -> ActionLists<'_> {
        [
            ("alarmActions", &self.alarm_actions),
            ("okActions", &self.ok_actions),
            ("insufficientDataActions", &self.insufficient_data_actions),
        ]
    }
}

pub fn check_evaluation_range(period: u32, evaluation_periods: u32) -> rules::Check {
    let limit: u64 = if period < 3_600 { 86_400 } else { 604_800 };
    let range = u64::from(period) * u64::from(evaluation_periods);
    if range <= limit {
        return Ok(());
    }
    Err(rules::Problem::new(format!(
        "evaluationPeriods {evaluation_periods} of period {period} cover {range} seconds, more than AWS's {limit}"
    ))
    .hint(format!(
        "at most {} evaluation periods of {period} seconds",
        limit / u64::from(period.max(1))
    )))
}

/// A CloudWatch period: 10, 20, 30 (high resolution) or a multiple of 60 seconds.
pub fn check_period(period: u32) -> rules::Check {
    if matches!(period, 10 | 20 | 30) || (period >= 60 && period % 60 == 0) {
        return Ok(());
    }
    let up = period.div_ceil(60).max(1) * 60;
    Err(rules::Problem::new(format!(
        "period {period} is not 10, 20, 30 or a multiple of 60 seconds"
    ))
    .hint(format!("use {up}")))
}

/// PutMetricAlarm's ExtendedStatistic: "the following are valid values: p90, tm90,
/// tc90, ts90, wm90, IQM, PR(n:m) where n and m are values of the metric, TC(X%:X%),
/// TM(X%:X%), TS(X%:X%), WM(X%:X%)"; the bounds as the user guide's statistics
/// definitions give them ("one or two numbers between 0 and 100, up to 10 decimal
/// places ... absolute values or percentages": `TM(2%:98%)`, `TM(150:1000)`,
/// `PR(:300)`). The emulator enforces the same reading.
pub fn check_extended_statistic(stat: &str) -> rules::Check {
    if extended_statistic_ok(stat) {
        Ok(())
    } else {
        Err(
            rules::Problem::new(format!("`{stat}` is not an extended statistic"))
                .hint("use a percentile like `p99` or `p99.9`, a trimmed statistic like `tm90` or `TM(10%:90%)`, `IQM` or `PR(n:m)`"),
        )
    }
}

/// Whether `stat` is one of the extended statistics of [`check_extended_statistic`].
fn extended_statistic_ok(stat: &str) -> bool {
    if stat == "IQM" {
        return true;
    }
    for prefix in ["p", "tm", "tc", "ts", "wm"] {
        if let Some(v) = stat.strip_prefix(prefix).and_then(unsigned) {
            return (0.0..=100.0).contains(&v);
        }
    }
    let Some((kind, inner)) = stat.split_once('(') else {
        return false;
    };
    let Some((low, high)) = inner.strip_suffix(')').and_then(|b| b.split_once(':')) else {
        return false;
    };
    if !matches!(kind, "TM" | "TC" | "TS" | "WM" | "PR")
        || (low.is_empty() && high.is_empty())
        || [low, high].iter().any(|b| b.contains([':', '(', ')']))
    {
        return false;
    }
    let percent_ok = kind != "PR";
    let bound = |text: &str| (!text.is_empty()).then(|| stat_bound(text, percent_ok));
    match (bound(low), bound(high)) {
        (Some(None), _) | (_, Some(None)) => false,
        (Some(Some(l)), Some(Some(h))) => l.0 == h.0 && l.1 < h.1,
        _ => true,
    }
}

/// A number with up to 10 decimal places, no sign.
fn unsigned(text: &str) -> Option<f64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    (digits(whole) && digits(fraction) && fraction.len() <= 10).then(|| text.parse().ok())?
}

/// One bound of a `TM(…:…)`-style statistic: (is a percentage, value).
fn stat_bound(text: &str, percent_ok: bool) -> Option<(bool, f64)> {
    if let Some(p) = text.strip_suffix('%') {
        let v = unsigned(p).filter(|v| percent_ok && (0.0..=100.0).contains(v))?;
        return Some((true, v));
    }
    let (negative, digits) = text.strip_prefix('-').map_or((false, text), |d| (true, d));
    unsigned(digits).map(|v| (false, if negative { -v } else { v }))
}

const STATISTICS: &[&str] = &["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

impl MetricAlarmSpec {
    /// Value and consistency rules that the schema cannot express.
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(
            &At::root().k("metadata").k("name"),
            rules::name_free("alarm name", name, 255),
        );
        if let Some(d) = &self.description {
            cx.check(&at.k("description"), rules::max_len("description", d, 1024));
        }
        if let Some(id) = &self.threshold_metric_id {
            cx.check(
                &at.k("thresholdMetricId"),
                rules::length("thresholdMetricId", id, 1, 255),
            );
        }
        if let (Some(namespace), Some(metric_name)) = (&self.namespace, &self.metric_name) {
            check_metric(&at, namespace, metric_name, &self.dimensions, cx);
        }
        self.check_metric_source(cx);
        self.check_evaluation(cx);
        self.check_threshold(cx);
        self.check_actions(cx);
        cx.check_tags(&at.k("tags"), &self.tags);
    }

    /// Either metric math (`metrics`) or one metric with its statistic, not both.
    fn check_metric_source(&self, cx: &mut Cx<'_>) {
        let single = self.namespace.is_some()
            || self.metric_name.is_some()
            || self.statistic.is_some()
            || self.extended_statistic.is_some()
            || !self.dimensions.is_empty();
        match (&self.metrics, single) {
            (Some(_), true) => cx.report(
                &At::spec().k("metrics"),
                rules::Problem::new(
                    "an alarm uses either `metrics` (metric math) or namespace/metricName/statistic, not both",
                )
                .hint("move the single metric into `metrics` as a `metricStat`, or drop `metrics`"),
            ),
            (Some(metrics), false) => self.check_metrics(metrics, cx),
            (None, _) => self.check_single_metric(cx),
        }
        // PutMetricAlarm, Metrics: "If you use the Metrics parameter, you cannot
        // include the Namespace, MetricName, Dimensions, Period, Unit, Statistic, or
        // ExtendedStatistic parameters of PutMetricAlarm in the same operation."
        if self.metrics.is_some() && self.unit.is_some() {
            cx.report(
                &At::spec().k("unit"),
                rules::Problem::new(
                    "`unit` is for single-metric alarms: AWS refuses it beside `metrics`",
                )
                .hint("move it into the query's `metricStat` (`unit` there), or drop it"),
            );
        }
    }

    /// A single-metric alarm: namespace, metricName, period and one statistic.
    fn check_single_metric(&self, cx: &mut Cx<'_>) {
        let at = At::spec();
        for (field, present) in [
            ("namespace", self.namespace.is_some()),
            ("metricName", self.metric_name.is_some()),
            ("period", self.period.is_some()),
        ] {
            if !present {
                cx.report(
                    &at,
                    rules::Problem::new(format!("missing field `{field}`"))
                        .hint("a single-metric alarm needs namespace, metricName, statistic and period; a metric-math alarm uses `metrics`"),
                );
            }
        }
        match (&self.statistic, &self.extended_statistic) {
            (Some(_), Some(_)) => cx.error(
                &at.k("extendedStatistic"),
                "use either `statistic` or `extendedStatistic`, not both",
            ),
            (None, None) => cx.report(
                &at,
                rules::Problem::new("missing field `statistic`")
                    .hint("e.g. `statistic: Average`, or `extendedStatistic: p99`"),
            ),
            (None, Some(ext)) => {
                cx.check(&at.k("extendedStatistic"), check_extended_statistic(ext))
            }
            (Some(_), None) => {}
        }
    }

    /// The period, the range it covers, and datapointsToAlarm within evaluationPeriods.
    fn check_evaluation(&self, cx: &mut Cx<'_>) {
        let at = At::spec();
        if let Some(period) = self.period {
            cx.check(&at.k("period"), check_period(period));
            cx.check(
                &at.k("evaluationPeriods"),
                check_evaluation_range(period, self.evaluation_periods),
            );
        }
        if let Some(dta) = self.datapoints_to_alarm {
            if dta > self.evaluation_periods {
                cx.report(
                    &at.k("datapointsToAlarm"),
                    rules::Problem::new(format!(
                        "datapointsToAlarm {dta} is more than evaluationPeriods {}",
                        self.evaluation_periods
                    ))
                    .hint("an alarm looks at evaluationPeriods datapoints and needs datapointsToAlarm of them to breach"),
                );
            }
        }
    }

    /// Exactly one of `threshold` and `thresholdMetricId`, the band one for band operators.
    fn check_threshold(&self, cx: &mut Cx<'_>) {
        let at = At::spec();
        match (&self.threshold, &self.threshold_metric_id) {
            (None, None) => cx.report(
                &at,
                rules::Problem::new("missing field `threshold`")
                    .hint("set `threshold`, or `thresholdMetricId` for an anomaly-detection band"),
            ),
            (Some(_), Some(_)) => cx.error(
                &at.k("thresholdMetricId"),
                "use either `threshold` or `thresholdMetricId`, not both",
            ),
            (Some(_), None) if self.comparison_operator.is_band() => cx.error(
                &at.k("comparisonOperator"),
                "this operator compares against an anomaly band; set `thresholdMetricId` instead of `threshold`",
            ),
            _ => {}
        }
    }

    /// Each state's actions: at most 5, each an ARN.
    fn check_actions(&self, cx: &mut Cx<'_>) {
        let at = At::spec();
        for (field, actions) in [
            ("alarmActions", &self.alarm_actions),
            ("okActions", &self.ok_actions),
            ("insufficientDataActions", &self.insufficient_data_actions),
        ] {
            if actions.len() > 5 {
                cx.error(
                    &at.k(field),
                    format!(
                        "{field} has {} actions; AWS allows at most 5",
                        actions.len()
                    ),
                );
            }
            for (i, action) in actions.iter().enumerate() {
                cx.check(&at.k(field).i(i), rules::parse_arn(action).map(|_| ()));
            }
        }
    }

    fn check_metrics(&self, metrics: &[MetricDataQuery], cx: &mut Cx<'_>) {
        let at = At::spec().k("metrics");
        if metrics.is_empty() {
            cx.error(&at, "`metrics` is empty; list at least one query");
            return;
        }
        // AWS: "One item in the Metrics array is the expression that the alarm
        // watches ... ReturnData to true"; an anomaly-detection alarm's band (the
        // query thresholdMetricId names) may return data besides it, as in AWS's
        // put-metric-alarm example and CDK's output, so it is not counted.
        let band = self.threshold_metric_id.as_deref();
        let returning = metrics
            .iter()
            .filter(|m| m.return_data.unwrap_or(true) && Some(m.id.as_str()) != band)
            .count();
        if returning != 1 {
            let what = if band.is_some() {
                " besides the band thresholdMetricId names"
            } else {
                ""
            };
            cx.report(
                &at,
                rules::Problem::new(format!(
                    "{returning} queries return data{what}; an alarm needs exactly one"
                ))
                .hint("set `returnData: false` on every query but the one the alarm evaluates"),
            );
        }
        let mut seen = Vec::new();
        for (i, m) in metrics.iter().enumerate() {
            let q = at.i(i);
            let id_ok = m.id.starts_with(|c: char| c.is_ascii_lowercase())
                && m.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !id_ok {
                cx.report(
                    &q.k("id"),
                    rules::Problem::new(format!("query id `{}` is not valid", m.id))
                        .hint("start with a lowercase letter; use letters, digits and `_`"),
                );
            }
            if seen.contains(&m.id.as_str()) {
                cx.error(&q.k("id"), format!("query id `{}` is used twice", m.id));
            }
            seen.push(m.id.as_str());
            match (&m.expression, &m.metric_stat) {
                (Some(_), Some(_)) | (None, None) => cx.error(
                    &q,
                    format!(
                        "query `{}` needs exactly one of `expression` or `metricStat`",
                        m.id
                    ),
                ),
                (None, Some(stat)) => {
                    let m = &stat.metric;
                    let at = q.k("metricStat").k("metric");
                    check_metric(&at, &m.namespace, &m.metric_name, &m.dimensions, cx);
                    cx.check(&q.k("metricStat").k("period"), check_period(stat.period));
                    if !STATISTICS.contains(&stat.stat.as_str()) {
                        cx.check(
                            &q.k("metricStat").k("stat"),
                            check_extended_statistic(&stat.stat),
                        );
                    }
                }
                (Some(_), None) => {}
            }
            if let Some(p) = m.period {
                cx.check(&q.k("period"), check_period(p));
            }
            check_query_lengths(&q, m, cx);
        }
    }
}

/// A metric's namespace (not starting with `:`), name and dimensions, as long as
/// PutMetricAlarm's Namespace, MetricName and Dimensions allow.
fn check_metric(
    at: &At<'_>,
    namespace: &str,
    metric_name: &str,
    dimensions: &BTreeMap<String, String>,
    cx: &mut Cx<'_>,
) {
    cx.check(
        &at.k("namespace"),
        rules::length("namespace", namespace, 1, 255),
    );
    if namespace.starts_with(':') {
        cx.error(
            &at.k("namespace"),
            format!("namespace `{namespace}` starts with `:`"),
        );
    }
    cx.check(
        &at.k("metricName"),
        rules::length("metricName", metric_name, 1, 255),
    );
    let d = at.k("dimensions");
    cx.check(&d, rules::at_most("dimensions", dimensions.len(), 30));
    for (name, value) in dimensions {
        cx.check(
            &d.key_of(name),
            rules::length("dimension name", name, 1, 255),
        );
        cx.check(&d.k(name), rules::length("dimension value", value, 1, 1024));
    }
}

/// A metric query's id, expression and account as long as MetricDataQuery allows.
fn check_query_lengths(q: &At<'_>, m: &MetricDataQuery, cx: &mut Cx<'_>) {
    cx.check(&q.k("id"), rules::length("query id", &m.id, 1, 255));
    if let Some(e) = &m.expression {
        cx.check(&q.k("expression"), rules::length("expression", e, 1, 2048));
    }
    if let Some(account) = &m.account_id {
        cx.check(
            &q.k("accountId"),
            rules::length("accountId", account, 1, 255),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        for ok in [10, 20, 30, 60, 300, 3600, 86400] {
            assert_eq!(check_period(ok), Ok(()), "{ok}");
        }
        let e = check_period(90).unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("use 120"));
        assert!(check_period(0).is_err());
        assert!(check_period(45).is_err());
    }

    #[test]
    fn evaluation_range() {
        assert_eq!(check_evaluation_range(60, 1440), Ok(()));
        assert_eq!(check_evaluation_range(3600, 168), Ok(()));
        let e = check_evaluation_range(60, 1441).unwrap_err();
        assert_eq!(
            e.hint.as_deref(),
            Some("at most 1440 evaluation periods of 60 seconds")
        );
        assert!(check_evaluation_range(3600, 169).is_err());
        assert!(check_evaluation_range(10, 8641).is_err());
    }

    #[test]
    fn extended_statistics() {
        for ok in [
            "p99",
            "p99.9",
            "p0",
            "p100",
            "tm90",
            "TM(10%:90%)",
            "TM(2%:98%)",
            "TM(150:1000)",
            "PR(:300)",
            "PR(10:20)",
            "WM(:95%)",
            "IQM",
            "wm99",
            "tc90",
            "ts99.1234567891",
        ] {
            assert_eq!(check_extended_statistic(ok), Ok(()), "{ok}");
        }
        for bad in [
            "p101",
            "q99",
            "Average",
            "p",
            "IQR",
            "tm(10%:90%)",
            "TM(90%:10%)",
            "TM(10%:90)",
            "PR(10%:20%)",
            "TM(:)",
            "TM(1:2:3)",
            "p99.12345678901",
            "p-1",
        ] {
            assert!(check_extended_statistic(bad).is_err(), "{bad}");
        }
    }
}
