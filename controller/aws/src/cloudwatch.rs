//! CloudWatch: reads metric alarms into [`MetricAlarmSpec`]s and composite alarms into
//! [`CompositeAlarmSpec`]s, from one listing.
//!
//! Metric and composite alarms share one name space, so the alarms read are the ones
//! the desired state names (of either kind) plus the ones the tagging API says this
//! instance owns (`A = |desired ∪ owned|` names). They are described by name in
//! batches of 100 with `AlarmTypes=[MetricAlarm, CompositeAlarm]` (`AlarmNames` takes
//! at most 100, `MaxRecords` 100, so one page per batch holds both types; `NextToken`
//! is followed anyway): composite alarms add no call. Tags come from the tagging
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

use aws_sdk_cloudwatch::types::{AlarmType, CompositeAlarm, Dimension, MetricAlarm};
use serde::de::DeserializeOwned;

use super::tagging::arn_resource;
use super::{AwsError, Clients};
use driftless_core::live::Live;
use driftless_core::spec::alarm::{ComparisonOperator, Metric, MetricDataQuery, MetricStat};
use driftless_core::spec::composite_alarm::ActionsSuppressor;
use driftless_core::spec::{CompositeAlarmSpec, MetricAlarmSpec};

/// `DescribeAlarms` takes at most 100 `AlarmNames` and returns at most 100 records.
const BATCH: usize = 100;

/// What one DescribeAlarms listing found, by alarm type.
#[derive(Debug, Default)]
pub struct AlarmsRead {
    pub metric: Vec<Live<MetricAlarmSpec>>,
    pub composite: Vec<Live<CompositeAlarmSpec>>,
}

/// The raw records of a listing.
#[derive(Default)]
struct Described {
    metric: Vec<MetricAlarm>,
    composite: Vec<CompositeAlarm>,
}

/// Alarms of both types named in `names` or owned (`owned`: alarm ARN → tags), as
/// live specs.
pub async fn read_alarms(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<AlarmsRead, AwsError> {
    let mut wanted = names.clone();
    wanted.extend(
        owned
            .keys()
            .filter_map(|arn| arn_resource(arn, "alarm:"))
            .map(str::to_string),
    );
    let wanted: Vec<String> = wanted.into_iter().collect();
    let mut found = Described::default();
    let types = [AlarmType::MetricAlarm, AlarmType::CompositeAlarm];
    for batch in wanted.chunks(BATCH) {
        let page = describe_alarms(clients, Some(batch.to_vec()), &types).await?;
        found.metric.extend(page.metric);
        found.composite.extend(page.composite);
    }
    to_live(clients, &found, owned, false).await
}

/// Every alarm of the region of the types asked for (`driftless audit`, `import`),
/// with the tags of `tagged` (alarm ARN → tags, from one tagging listing of every
/// tagged alarm): an alarm the listing lacks has no tags, so no tag call is made.
/// Calls: `DescribeAlarms: max(1, ceil(A/100))` over the region's A alarms of those
/// types (0 when neither is asked for).
pub async fn read_every_alarm(
    clients: &Clients,
    tagged: &BTreeMap<String, BTreeMap<String, String>>,
    metric: bool,
    composite: bool,
) -> Result<AlarmsRead, AwsError> {
    let types: Vec<AlarmType> = [
        (metric, AlarmType::MetricAlarm),
        (composite, AlarmType::CompositeAlarm),
    ]
    .into_iter()
    .filter_map(|(on, t)| on.then_some(t))
    .collect();
    if types.is_empty() {
        return Ok(AlarmsRead::default());
    }
    let found = describe_alarms(clients, None, &types).await?;
    to_live(clients, &found, tagged, true).await
}

/// One paginated DescribeAlarms of the alarm `types`, by name or (`None`) all of them.
async fn describe_alarms(
    clients: &Clients,
    names: Option<Vec<String>>,
    types: &[AlarmType],
) -> Result<Described, AwsError> {
    let mut pages = clients
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(names)
        .set_alarm_types(Some(types.to_vec()))
        .max_records(BATCH as i32)
        .into_paginator()
        .send();
    let mut found = Described::default();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::call(clients, "cloudwatch", "DescribeAlarms", None, e))?;
        found.metric.extend(page.metric_alarms().iter().cloned());
        found
            .composite
            .extend(page.composite_alarms().iter().cloned());
    }
    Ok(found)
}

/// Live specs of `found`, tags from `owned`; an alarm missing there gets its own tag
/// call, unless `tags_complete` says `owned` lists every tagged alarm.
async fn to_live(
    clients: &Clients,
    found: &Described,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
    tags_complete: bool,
) -> Result<AlarmsRead, AwsError> {
    let mut read = AlarmsRead::default();
    for alarm in &found.metric {
        let Some(name) = alarm.alarm_name() else {
            continue;
        };
        let arn = alarm.alarm_arn();
        let tags = tags_of(clients, name, arn, owned, tags_complete).await?;
        let mut one = live(
            name,
            arn,
            alarm_spec(alarm, tags.clone().unwrap_or_default()),
            tags.is_some(),
        );
        one.unrepresented = alarm_extras(alarm);
        read.metric.push(one);
    }
    for alarm in &found.composite {
        let Some(name) = alarm.alarm_name() else {
            continue;
        };
        let arn = alarm.alarm_arn();
        let tags = tags_of(clients, name, arn, owned, tags_complete).await?;
        let spec = composite_spec(alarm, tags.clone().unwrap_or_default());
        let mut one = live(name, arn, spec, tags.is_some());
        if alarm.action_configuration().is_some() {
            one.unrepresented.push("actionConfiguration".to_string());
        }
        read.composite.push(one);
    }
    read.metric.sort_by(|a, b| a.name.cmp(&b.name));
    read.composite.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(read)
}

/// A metric alarm's settings the format has no field for ([`Live::unrepresented`]);
/// `write::update_alarm` sends each back as AWS has it.
fn alarm_extras(alarm: &MetricAlarm) -> Vec<String> {
    [
        ("evaluationWindow", alarm.evaluation_window().is_some()),
        (
            "warmUpConfiguration",
            alarm.warm_up_configuration().is_some(),
        ),
        ("evaluationCriteria", alarm.evaluation_criteria().is_some()),
        ("evaluationInterval", alarm.evaluation_interval().is_some()),
        (
            "actionConfiguration",
            alarm.action_configuration().is_some(),
        ),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| name.to_string())
    .collect()
}

fn live<S>(name: &str, arn: Option<&str>, spec: S, tags_known: bool) -> Live<S> {
    Live {
        name: name.to_string(),
        spec,
        arn: arn.map(str::to_string),
        id: None,
        sub_ids: BTreeMap::new(),
        tags_known,
        unrepresented: Vec::new(),
    }
}

/// An alarm's tags: from `owned` (the tagging listing); not there, its own tag call
/// (an ARN is always there on AWS; without one the tags stay unknown), unless
/// `tags_complete`.
async fn tags_of(
    clients: &Clients,
    name: &str,
    arn: Option<&str>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
    tags_complete: bool,
) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    Ok(match arn.and_then(|a| owned.get(a)) {
        Some(tags) => Some(tags.clone()),
        None if tags_complete => Some(BTreeMap::new()),
        None => list_tags(clients, name, arn).await?,
    })
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

/// One `CompositeAlarm` as DescribeAlarms returns it, in spec form, with `tags`. A
/// suppressor without its periods (not something PutCompositeAlarm accepts) reads
/// with 0 for the missing one.
pub(crate) fn composite_spec(
    alarm: &CompositeAlarm,
    tags: BTreeMap<String, String>,
) -> CompositeAlarmSpec {
    let mut unknown = false;
    let actions_suppressor = non_empty(alarm.actions_suppressor()).map(|s| ActionsSuppressor {
        alarm: s,
        wait_period: to_u32(alarm.actions_suppressor_wait_period(), &mut unknown).unwrap_or(0),
        extension_period: to_u32(alarm.actions_suppressor_extension_period(), &mut unknown)
            .unwrap_or(0),
    });
    CompositeAlarmSpec {
        alarm_rule: alarm.alarm_rule().unwrap_or_default().to_string(),
        description: non_empty(alarm.alarm_description()),
        actions_enabled: alarm.actions_enabled(),
        alarm_actions: alarm.alarm_actions().to_vec(),
        ok_actions: alarm.ok_actions().to_vec(),
        insufficient_data_actions: alarm.insufficient_data_actions().to_vec(),
        actions_suppressor,
        external_alarms: Vec::new(),
        tags,
    }
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
