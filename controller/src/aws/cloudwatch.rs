//! CloudWatch: reads metric alarms into [`MetricAlarmSpec`]s.
//!
//! The alarms read are the ones the desired state names plus the ones the tagging API
//! says this instance owns (`A = |desired ∪ owned|` names). They are described by
//! name in batches of 100 (`AlarmNames` takes at most 100, `MaxRecords` 100, so one
//! page per batch; `NextToken` is followed anyway). Tags come from the tagging
//! listing for owned alarms; only an alarm that exists, is named by the desired state
//! and is not owned (a conflict or an adoption, rare) costs a tag call.
//!
//! Calls per plan:
//! * `DescribeAlarms: ceil(A/100)` (0 when A = 0)
//! * `ListTagsForResource: U` where U = desired alarms that exist but are not owned.
//!
//! Values this version cannot represent (an enum value AWS added later, a missing
//! required field) never fail the read: optional fields are left out, a required one
//! gets a placeholder, and the alarm's `evaluationPeriods` reads as 0, a value no valid
//! spec has, so plan never finds such an alarm in sync.

pub mod write;
pub use write::*;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudwatch::types::{AlarmType, Dimension, MetricAlarm};
use serde::de::DeserializeOwned;

use super::tagging::arn_resource;
use super::{AwsError, Clients};
use crate::live::Live;
use crate::spec::alarm::{ComparisonOperator, Metric, MetricDataQuery, MetricStat};
use crate::spec::MetricAlarmSpec;

/// `DescribeAlarms` takes at most 100 `AlarmNames` and returns at most 100 records.
const BATCH: usize = 100;

/// Alarms named in `names` or owned (`owned`: alarm ARN → tags), as live specs.
pub async fn read_alarms(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<Live<MetricAlarmSpec>>, AwsError> {
    let mut wanted = names.clone();
    wanted.extend(
        owned
            .keys()
            .filter_map(|arn| arn_resource(arn, "alarm:"))
            .map(str::to_string),
    );
    let wanted: Vec<String> = wanted.into_iter().collect();
    let mut alarms = Vec::new();
    for batch in wanted.chunks(BATCH) {
        alarms.extend(describe_alarms(clients, Some(batch.to_vec())).await?);
    }
    to_live(clients, &alarms, owned, false).await
}

/// Every metric alarm of the region (`driftless audit`), with the tags of `tagged`
/// (alarm ARN → tags, from one tagging listing of every tagged alarm): an alarm the
/// listing lacks has no tags, so no tag call is made. Calls: `DescribeAlarms:
/// max(1, ceil(A/100))` over the region's A metric alarms.
pub async fn read_every_alarm(
    clients: &Clients,
    tagged: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<Live<MetricAlarmSpec>>, AwsError> {
    let alarms = describe_alarms(clients, None).await?;
    to_live(clients, &alarms, tagged, true).await
}

/// One paginated DescribeAlarms of metric alarms, by name or (`None`) all of them.
async fn describe_alarms(
    clients: &Clients,
    names: Option<Vec<String>>,
) -> Result<Vec<MetricAlarm>, AwsError> {
    let mut pages = clients
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(names)
        .alarm_types(AlarmType::MetricAlarm)
        .max_records(BATCH as i32)
        .into_paginator()
        .send();
    let mut alarms = Vec::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::call(clients, "cloudwatch", "DescribeAlarms", None, e))?;
        alarms.extend(page.metric_alarms().iter().cloned());
    }
    Ok(alarms)
}

/// Live specs of `alarms`, tags from `owned`; an alarm missing there gets its own tag
/// call, unless `tags_complete` says `owned` lists every tagged alarm.
async fn to_live(
    clients: &Clients,
    alarms: &[MetricAlarm],
    owned: &BTreeMap<String, BTreeMap<String, String>>,
    tags_complete: bool,
) -> Result<Vec<Live<MetricAlarmSpec>>, AwsError> {
    let mut live = Vec::with_capacity(alarms.len());
    for alarm in alarms {
        let Some(name) = alarm.alarm_name() else {
            continue;
        };
        let arn = alarm.alarm_arn().map(str::to_string);
        // Owned: tags from the tagging listing. Not owned: its own tag call (an ARN
        // is always there on AWS; without one the tags stay unknown).
        let tags = match arn.as_deref().and_then(|a| owned.get(a)) {
            Some(tags) => Some(tags.clone()),
            None if tags_complete => Some(BTreeMap::new()),
            None => list_tags(clients, name, arn.as_deref()).await?,
        };
        let tags_known = tags.is_some();
        let tags = tags.unwrap_or_default();
        live.push(Live {
            name: name.to_string(),
            spec: alarm_spec(alarm, tags),
            arn,
            id: None,
            sub_ids: BTreeMap::new(),
            tags_known,
            unrepresented: Vec::new(),
        });
    }
    live.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(live)
}

/// The tags of one (unowned) alarm.
async fn list_tags(
    clients: &Clients,
    name: &str,
    arn: Option<&str>,
) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    let Some(arn) = arn else {
        return Ok(None);
    };
    let out = clients
        .cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "cloudwatch", "ListTagsForResource", Some(name), e))?;
    Ok(Some(
        out.tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
            .collect(),
    ))
}

/// An AWS enum string as a spec enum (they serialize to exactly the AWS strings);
/// `None`, with `unknown` set, for a value this version does not know.
fn parse_enum<T: DeserializeOwned>(value: &str, unknown: &mut bool) -> Option<T> {
    match serde_json::from_value(serde_json::Value::String(value.to_string())) {
        Ok(v) => Some(v),
        Err(_) => {
            *unknown = true;
            None
        }
    }
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

fn to_u32(n: Option<i32>, unknown: &mut bool) -> Option<u32> {
    let n = n?;
    let v = u32::try_from(n).ok();
    *unknown |= v.is_none();
    v
}

fn dimensions(dims: &[Dimension]) -> BTreeMap<String, String> {
    dims.iter()
        .filter_map(|d| Some((d.name()?.to_string(), d.value().unwrap_or("").to_string())))
        .collect()
}

/// One `MetricAlarm` as DescribeAlarms returns it, in spec form, with `tags`.
pub(crate) fn alarm_spec(alarm: &MetricAlarm, tags: BTreeMap<String, String>) -> MetricAlarmSpec {
    let mut unknown = false;
    let u = &mut unknown;
    let metrics = alarm.metrics();
    let metrics = (!metrics.is_empty()).then(|| {
        metrics
            .iter()
            .map(|q| MetricDataQuery {
                id: q.id().unwrap_or_default().to_string(),
                expression: non_empty(q.expression()),
                metric_stat: q.metric_stat().map(|s| {
                    let metric = s.metric();
                    MetricStat {
                        metric: Metric {
                            namespace: metric
                                .and_then(|m| m.namespace())
                                .unwrap_or_default()
                                .to_string(),
                            metric_name: metric
                                .and_then(|m| m.metric_name())
                                .unwrap_or_default()
                                .to_string(),
                            dimensions: metric
                                .map(|m| dimensions(m.dimensions()))
                                .unwrap_or_default(),
                        },
                        period: to_u32(s.period(), u).unwrap_or(0),
                        stat: s.stat().unwrap_or_default().to_string(),
                        unit: s.unit().and_then(|x| parse_enum(x.as_str(), u)),
                    }
                }),
                label: non_empty(q.label()),
                return_data: q.return_data(),
                period: to_u32(q.period(), u),
                account_id: non_empty(q.account_id()),
            })
            .collect()
    });
    let comparison_operator = alarm
        .comparison_operator()
        .and_then(|c| parse_enum(c.as_str(), u));
    let comparison_operator = comparison_operator.unwrap_or_else(|| {
        *u = true;
        ComparisonOperator::GreaterThanOrEqualToThreshold
    });
    let mut spec = MetricAlarmSpec {
        description: non_empty(alarm.alarm_description()),
        namespace: non_empty(alarm.namespace()),
        metric_name: non_empty(alarm.metric_name()),
        dimensions: dimensions(alarm.dimensions()),
        statistic: alarm.statistic().and_then(|s| parse_enum(s.as_str(), u)),
        extended_statistic: non_empty(alarm.extended_statistic()),
        period: to_u32(alarm.period(), u),
        unit: alarm.unit().and_then(|x| parse_enum(x.as_str(), u)),
        metrics,
        evaluation_periods: to_u32(alarm.evaluation_periods(), u).unwrap_or(0),
        datapoints_to_alarm: to_u32(alarm.datapoints_to_alarm(), u),
        threshold: alarm.threshold(),
        threshold_metric_id: non_empty(alarm.threshold_metric_id()),
        comparison_operator,
        treat_missing_data: non_empty(alarm.treat_missing_data()).and_then(|t| parse_enum(&t, u)),
        evaluate_low_sample_count_percentile: non_empty(
            alarm.evaluate_low_sample_count_percentile(),
        )
        .and_then(|e| parse_enum(&e, u)),
        actions_enabled: alarm.actions_enabled(),
        alarm_actions: alarm.alarm_actions().to_vec(),
        ok_actions: alarm.ok_actions().to_vec(),
        insufficient_data_actions: alarm.insufficient_data_actions().to_vec(),
        tags,
    };
    if unknown {
        spec.evaluation_periods = 0;
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::types::{ComparisonOperator as AwsOp, StandardUnit, Statistic};

    #[test]
    fn unknown_values_mark_the_alarm_drifted() {
        let alarm = MetricAlarm::builder()
            .alarm_name("a")
            .namespace("N")
            .metric_name("M")
            .statistic(Statistic::Average)
            .period(60)
            .evaluation_periods(3)
            .threshold(1.0)
            .comparison_operator(AwsOp::GreaterThanThreshold)
            .treat_missing_data("someNewMode")
            .unit(StandardUnit::Percent)
            .build();
        let spec = alarm_spec(&alarm, BTreeMap::new());
        assert_eq!(spec.treat_missing_data, None);
        assert_eq!(spec.evaluation_periods, 0);
        assert_eq!(
            spec.comparison_operator,
            ComparisonOperator::GreaterThanThreshold
        );

        let future_operator = MetricAlarm::builder()
            .alarm_name("b")
            .evaluation_periods(3)
            .comparison_operator(AwsOp::from("SomeFutureOperator"))
            .build();
        let spec = alarm_spec(&future_operator, BTreeMap::new());
        assert_eq!(spec.evaluation_periods, 0);
    }
}
