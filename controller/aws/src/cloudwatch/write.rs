//! CloudWatch writes: PutMetricAlarm and PutCompositeAlarm (tags in the call; AWS
//! ignores them when the alarm exists, so apply changes tags with
//! TagResource/UntagResource), DeleteAlarms (for both types).
//!
//! The request is the exact inverse of the reader's `alarm_spec`: every field the spec
//! sets is sent, and every field it leaves unset (an `Option` that is `None`, an empty
//! list or map) is left out, so AWS applies its own default. PutMetricAlarm replaces
//! the whole definition of an existing alarm, so leaving a field out also clears a
//! value an earlier version of the spec had set.
//!
//! Over an existing alarm, `update_alarm` and `update_composite_alarm` read it first
//! (DescribeAlarms) and send back the members the format does not model, which the
//! put would otherwise reset; the apply also sends unset fields whose live value is
//! AWS's default as AWS has them (`plan::normalise::alarm_to_write`).
//!
//! Calls: `put_alarm` 1 (PutMetricAlarm); `put_composite_alarm` 1 (PutCompositeAlarm,
//! which also replaces the whole definition, so the same rule holds); `update_alarm`
//! and `update_composite_alarm` 2 (DescribeAlarms, then the put); `retag_alarm` 0-2 (TagResource when there is
//! something to add, UntagResource when there is something to remove); `delete_alarm`
//! 1 (DeleteAlarms, which succeeds for an alarm that does not exist).

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::operation::put_composite_alarm::builders::PutCompositeAlarmFluentBuilder;
use aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator as AwsOp, Dimension, Metric as AwsMetric,
    MetricDataQuery as AwsQuery, MetricStat as AwsStat, StandardUnit as AwsUnit,
    Statistic as AwsStatistic, Tag,
};
use serde::Serialize;

use crate::tagging::arn_resource;
use crate::{AwsError, Clients};
use driftless_core::spec::alarm::{MetricDataQuery, StandardUnit};
use driftless_core::spec::{CompositeAlarmSpec, MetricAlarmSpec};

/// A spec enum as the AWS string it serializes to (`GreaterThanThreshold`,
/// `notBreaching`, `Count/Second`).
fn aws_str<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        // Every spec enum serializes to a string; AWS rejects an empty one.
        _ => String::new(),
    }
}

/// A spec count as AWS's `Integer` (spec validation keeps them far below i32::MAX;
/// a larger value is sent as i32::MAX and AWS rejects it).
fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn unit(u: &StandardUnit) -> AwsUnit {
    AwsUnit::from(aws_str(u).as_str())
}

fn dimensions(dims: &BTreeMap<String, String>) -> Option<Vec<Dimension>> {
    (!dims.is_empty()).then(|| {
        dims.iter()
            .map(|(name, value)| Dimension::builder().name(name).value(value).build())
            .collect()
    })
}

fn non_empty(list: &[String]) -> Option<Vec<String>> {
    (!list.is_empty()).then(|| list.to_vec())
}

fn query(q: &MetricDataQuery) -> AwsQuery {
    AwsQuery::builder()
        .id(&q.id)
        .set_expression(q.expression.clone())
        .set_metric_stat(q.metric_stat.as_ref().map(|s| {
            AwsStat::builder()
                .metric(
                    AwsMetric::builder()
                        .namespace(&s.metric.namespace)
                        .metric_name(&s.metric.metric_name)
                        .set_dimensions(dimensions(&s.metric.dimensions))
                        .build(),
                )
                .period(int(s.period))
                .stat(&s.stat)
                .set_unit(s.unit.as_ref().map(unit))
                .build()
        }))
        .set_label(q.label.clone())
        .set_return_data(q.return_data)
        .set_period(q.period.map(int))
        .set_account_id(q.account_id.clone())
        .build()
}

/// The alarm name in an alarm ARN, for messages (the ARN itself when it has none).
fn alarm_of(arn: &str) -> &str {
    arn_resource(arn, "alarm:").unwrap_or(arn)
}

/// The PutMetricAlarm request for `spec` with `tags` (used by AWS only when the alarm
/// is new).
fn put_request(
    clients: &Clients,
    name: &str,
    spec: &MetricAlarmSpec,
    tags: &BTreeMap<String, String>,
) -> PutMetricAlarmFluentBuilder {
    clients
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .set_alarm_description(spec.description.clone())
        .set_namespace(spec.namespace.clone())
        .set_metric_name(spec.metric_name.clone())
        .set_dimensions(dimensions(&spec.dimensions))
        .set_statistic(
            spec.statistic
                .as_ref()
                .map(|s| AwsStatistic::from(aws_str(s).as_str())),
        )
        .set_extended_statistic(spec.extended_statistic.clone())
        .set_period(spec.period.map(int))
        .set_unit(spec.unit.as_ref().map(unit))
        .set_metrics(spec.metrics.as_ref().map(|m| m.iter().map(query).collect()))
        .evaluation_periods(int(spec.evaluation_periods))
        .set_datapoints_to_alarm(spec.datapoints_to_alarm.map(int))
        .set_threshold(spec.threshold)
        .set_threshold_metric_id(spec.threshold_metric_id.clone())
        .comparison_operator(AwsOp::from(aws_str(&spec.comparison_operator).as_str()))
        .set_treat_missing_data(spec.treat_missing_data.as_ref().map(aws_str))
        .set_evaluate_low_sample_count_percentile(
            spec.evaluate_low_sample_count_percentile
                .as_ref()
                .map(aws_str),
        )
        .set_actions_enabled(spec.actions_enabled)
        .set_alarm_actions(non_empty(&spec.alarm_actions))
        .set_ok_actions(non_empty(&spec.ok_actions))
        .set_insufficient_data_actions(non_empty(&spec.insufficient_data_actions))
        .set_tags(aws_tags(tags))
}

fn aws_tags(tags: &BTreeMap<String, String>) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    })
}

/// Creates the alarm `name` as `spec` says, with `tags`; over an existing alarm it
/// replaces it whole (see [`update_alarm`] to keep what the format does not model).
pub async fn put_alarm(
    clients: &Clients,
    name: &str,
    spec: &MetricAlarmSpec,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    put_request(clients, name, spec, tags)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "cloudwatch", "PutMetricAlarm", Some(name), e))?;
    Ok(())
}

/// DescribeAlarms of the one alarm `name` (both types), for a read-modify-write.
async fn describe_one(
    clients: &Clients,
    name: &str,
) -> Result<aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput, AwsError> {
    clients
        .cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "cloudwatch", "DescribeAlarms", Some(name), e))
}

/// Replaces the existing alarm `name` as `spec` says, keeping what the format does not
/// model: PutMetricAlarm resets every member it is not sent, so the live alarm's
/// EvaluationWindow, WarmUpConfiguration, EvaluationCriteria, EvaluationInterval and
/// ActionConfiguration are read first (DescribeAlarms) and sent back as they are.
pub async fn update_alarm(
    clients: &Clients,
    name: &str,
    spec: &MetricAlarmSpec,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let live = describe_one(clients, name).await?;
    let mut request = put_request(clients, name, spec, tags);
    if let Some(was) = live
        .metric_alarms()
        .iter()
        .find(|a| a.alarm_name() == Some(name))
    {
        request = request
            .set_evaluation_window(was.evaluation_window.clone())
            .set_warm_up_configuration(was.warm_up_configuration.clone())
            .set_evaluation_criteria(was.evaluation_criteria.clone())
            .set_evaluation_interval(was.evaluation_interval)
            .set_action_configuration(was.action_configuration.clone());
    }
    request
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "cloudwatch", "PutMetricAlarm", Some(name), e))?;
    Ok(())
}

/// The PutCompositeAlarm request for `spec` (its rule as written, trimmed;
/// `externalAlarms` is driftless's own and not sent), with `tags` (used by AWS only
/// when the alarm is new).
fn put_composite_request(
    clients: &Clients,
    name: &str,
    spec: &CompositeAlarmSpec,
    tags: &BTreeMap<String, String>,
) -> PutCompositeAlarmFluentBuilder {
    let suppressor = spec.actions_suppressor.as_ref();
    clients
        .cloudwatch
        .put_composite_alarm()
        .alarm_name(name)
        .alarm_rule(spec.alarm_rule.trim())
        .set_alarm_description(spec.description.clone())
        .set_actions_enabled(spec.actions_enabled)
        .set_alarm_actions(non_empty(&spec.alarm_actions))
        .set_ok_actions(non_empty(&spec.ok_actions))
        .set_insufficient_data_actions(non_empty(&spec.insufficient_data_actions))
        .set_actions_suppressor(suppressor.map(|s| s.alarm.clone()))
        .set_actions_suppressor_wait_period(suppressor.map(|s| int(s.wait_period)))
        .set_actions_suppressor_extension_period(suppressor.map(|s| int(s.extension_period)))
        .set_tags(aws_tags(tags))
}

/// Creates the composite alarm `name` as `spec` says, with `tags`.
pub async fn put_composite_alarm(
    clients: &Clients,
    name: &str,
    spec: &CompositeAlarmSpec,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    put_composite_request(clients, name, spec, tags)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "cloudwatch", "PutCompositeAlarm", Some(name), e))?;
    Ok(())
}

/// Replaces the existing composite alarm `name` as `spec` says, keeping its
/// ActionConfiguration (not modelled; PutCompositeAlarm would reset it), read first.
pub async fn update_composite_alarm(
    clients: &Clients,
    name: &str,
    spec: &CompositeAlarmSpec,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let live = describe_one(clients, name).await?;
    let kept = live
        .composite_alarms()
        .iter()
        .find(|a| a.alarm_name() == Some(name))
        .and_then(|a| a.action_configuration.clone());
    put_composite_request(clients, name, spec, tags)
        .set_action_configuration(kept)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "cloudwatch", "PutCompositeAlarm", Some(name), e))?;
    Ok(())
}

/// Adds or changes `add` and removes `remove` on the alarm `arn`.
pub async fn retag_alarm(
    clients: &Clients,
    arn: &str,
    add: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), AwsError> {
    if !add.is_empty() {
        clients
            .cloudwatch
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(
                add.iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| {
                AwsError::call(clients, "cloudwatch", "TagResource", Some(alarm_of(arn)), e)
            })?;
    }
    if !remove.is_empty() {
        clients
            .cloudwatch
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(|e| {
                AwsError::call(
                    clients,
                    "cloudwatch",
                    "UntagResource",
                    Some(alarm_of(arn)),
                    e,
                )
            })?;
    }
    Ok(())
}

/// Deletes the alarm `name` (AWS answers success when it does not exist).
pub async fn delete_alarm(clients: &Clients, name: &str) -> Result<(), AwsError> {
    clients
        .cloudwatch
        .delete_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "cloudwatch", "DeleteAlarms", Some(name), e))?;
    Ok(())
}
