//! CloudWatch Logs metric filters (the `MetricFilter` kind): one batched read, and
//! PutMetricFilter / DeleteMetricFilter.
//!
//! `DescribeMetricFilters` takes one exact `logGroupName` (or none: every filter of
//! the region, ASCII-sorted by filter name), 50 a page at most. The reader is given
//! the groups whose filters matter (those desired and recorded filters name, and the
//! owned groups) and picks the cheaper listing:
//!
//! * no group: no call;
//! * up to 3 groups: one `logGroupName` query per group, paginated; calls
//!   `Σ_g max(1, ⌈f_g/50⌉)`, f_g = filters on group g (a group that does not exist
//!   answers ResourceNotFoundException: no filters);
//! * more: one listing of every filter of the region, paginated; calls
//!   `max(1, ⌈F/50⌉)`, F = metric filters in the region.
//!
//! Writes: `put_metric_filter` is one PutMetricFilter (create and update alike: it
//! replaces the filter whole, so the settings the format has no field for,
//! `fieldSelectionCriteria` and `emitSystemFieldDimensions`, are sent back as read);
//! `delete_metric_filter` is one DeleteMetricFilter (ResourceNotFoundException: it is
//! already gone, which is what was asked).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudwatchlogs::types::{MetricFilter, MetricTransformation, StandardUnit};

use crate::{AwsError, Clients};
use driftless_core::live::{Live, LiveMetricFilter};
use driftless_core::spec::metric_filter::MetricTransformation as SpecTransformation;
use driftless_core::spec::MetricFilterSpec;

/// `DescribeMetricFilters`' largest page.
const PAGE_SIZE: i32 = 50;
/// Up to this many per-group queries are preferred to listing the region.
const MAX_GROUP_QUERIES: usize = 3;

/// The metric filters of `groups` (see the module doc for the calls).
pub async fn read_metric_filters(
    clients: &Clients,
    groups: &BTreeSet<String>,
) -> Result<Vec<LiveMetricFilter>, AwsError> {
    let queries: Vec<Option<&String>> = match groups.len() {
        0 => Vec::new(),
        n if n <= MAX_GROUP_QUERIES => groups.iter().map(Some).collect(),
        _ => vec![None],
    };
    read(clients, queries, Some(groups)).await
}

/// Every metric filter of the region (`driftless import` and `audit`): calls
/// `max(1, ⌈F/50⌉)`.
pub async fn read_every_metric_filter(
    clients: &Clients,
) -> Result<Vec<LiveMetricFilter>, AwsError> {
    read(clients, vec![None], None).await
}

async fn read(
    clients: &Clients,
    queries: Vec<Option<&String>>,
    groups: Option<&BTreeSet<String>>,
) -> Result<Vec<LiveMetricFilter>, AwsError> {
    let mut found: BTreeMap<(String, String), LiveMetricFilter> = BTreeMap::new();
    for group in queries {
        let mut pages = clients
            .logs
            .describe_metric_filters()
            .set_log_group_name(group.cloned())
            .limit(PAGE_SIZE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) if is_not_found(&e) => break,
                Err(e) => {
                    return Err(AwsError::call(
                        clients,
                        "logs",
                        "DescribeMetricFilters",
                        group.map(String::as_str),
                        e,
                    ))
                }
            };
            for f in page.metric_filters() {
                let Some(live) = live_filter(f) else { continue };
                if groups.is_none_or(|g| g.contains(&live.filter.spec.log_group_name)) {
                    let key = (
                        live.filter.spec.log_group_name.clone(),
                        live.filter.name.clone(),
                    );
                    found.insert(key, live);
                }
            }
        }
    }
    Ok(found.into_values().collect())
}

fn is_not_found<E: aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata>(
    e: &aws_sdk_cloudwatchlogs::error::SdkError<E>,
) -> bool {
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "ResourceNotFoundException")
}

/// One filter in the spec's terms (`None`: AWS left out its name or group).
fn live_filter(f: &MetricFilter) -> Option<LiveMetricFilter> {
    let name = f.filter_name()?.to_string();
    let spec = MetricFilterSpec {
        log_group_name: f.log_group_name()?.to_string(),
        filter_pattern: f.filter_pattern().unwrap_or_default().to_string(),
        metric_transformations: f
            .metric_transformations()
            .iter()
            .map(transformation)
            .collect(),
        apply_on_transformed_logs: Some(f.apply_on_transformed_logs()),
    };
    let criteria = f.field_selection_criteria().filter(|c| !c.is_empty());
    let system = f.emit_system_field_dimensions().to_vec();
    let mut unrepresented = Vec::new();
    if let Some(c) = criteria {
        unrepresented.push(format!("fieldSelectionCriteria {c}"));
    }
    if !system.is_empty() {
        unrepresented.push(format!("emitSystemFieldDimensions {}", system.join(", ")));
    }
    Some(LiveMetricFilter {
        filter: Live {
            name,
            spec,
            arn: None,
            id: None,
            sub_ids: BTreeMap::new(),
            tags_known: false,
            unrepresented,
        },
        field_selection_criteria: criteria.map(str::to_string),
        emit_system_field_dimensions: system,
    })
}

fn transformation(t: &MetricTransformation) -> SpecTransformation {
    SpecTransformation {
        metric_name: t.metric_name().to_string(),
        metric_namespace: t.metric_namespace().to_string(),
        metric_value: t.metric_value().to_string(),
        default_value: t.default_value(),
        unit: t
            .unit()
            .and_then(|u| serde_json::from_value(serde_json::json!(u.as_str())).ok()),
        dimensions: t
            .dimensions()
            .map(|d| d.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }
}

/// Creates or replaces the filter `name` on `spec.logGroupName`, keeping `extras`
/// (the live filter's settings the format cannot hold) as they were.
pub async fn put_metric_filter(
    clients: &Clients,
    name: &str,
    spec: &MetricFilterSpec,
    extras: Option<&LiveMetricFilter>,
) -> Result<(), AwsError> {
    let mut transformations = Vec::new();
    for t in &spec.metric_transformations {
        let built = MetricTransformation::builder()
            .metric_name(&t.metric_name)
            .metric_namespace(&t.metric_namespace)
            .metric_value(&t.metric_value)
            .set_default_value(t.default_value)
            .set_unit(
                t.unit
                    .as_ref()
                    .map(|u| StandardUnit::from(driftless_core::spec::wire_name(u).as_str())),
            )
            .set_dimensions(
                (!t.dimensions.is_empty()).then(|| t.dimensions.clone().into_iter().collect()),
            )
            .build()
            .map_err(|e| AwsError::Setup {
                target: clients.target.clone(),
                message: format!("metric filter `{name}`: {e}"),
                hint: "this is a bug in driftless; please report it".into(),
            })?;
        transformations.push(built);
    }
    clients
        .logs
        .put_metric_filter()
        .log_group_name(&spec.log_group_name)
        .filter_name(name)
        .filter_pattern(&spec.filter_pattern)
        .set_metric_transformations(Some(transformations))
        .set_apply_on_transformed_logs(spec.apply_on_transformed_logs)
        .set_field_selection_criteria(extras.and_then(|e| e.field_selection_criteria.clone()))
        .set_emit_system_field_dimensions(
            extras
                .map(|e| e.emit_system_field_dimensions.clone())
                .filter(|d| !d.is_empty()),
        )
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "logs", "PutMetricFilter", Some(name), e))?;
    Ok(())
}

/// Deletes the filter `name` of `group`; one already gone counts as deleted.
pub async fn delete_metric_filter(
    clients: &Clients,
    group: &str,
    name: &str,
) -> Result<(), AwsError> {
    match clients
        .logs
        .delete_metric_filter()
        .log_group_name(group)
        .filter_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(AwsError::call(
            clients,
            "logs",
            "DeleteMetricFilter",
            Some(name),
            e,
        )),
    }
}
