//! Applying AWS Config changes as planned. ConfigurationAggregator: a create is one
//! PutConfigurationAggregator with the tags (AWS takes tags at creation only); an
//! update puts the aggregator when a setting changed (the writer keeps what the
//! format does not model) and changes tags with TagResource / UntagResource; a
//! delete is DeleteConfigurationAggregator. ConformancePack: the same, with
//! PutConformancePack (the whole pack: template, inputs, delivery bucket) and
//! DeleteConformancePack.

use std::collections::BTreeMap;
use std::future::Future;

use super::{failed, ApplyError, Unit};
use crate::aws::config::{aggregator, pack};
use crate::aws::AwsError;
use crate::plan::work::Calls;
use crate::spec::ResourceSpec;

type Failure = (String, ApplyError);

pub(super) async fn run_aggregator(unit: &Unit<'_>) -> Result<(), Failure> {
    let (clients, name) = (unit.clients, unit.name);
    let spec = match unit.resource.map(|r| &r.spec) {
        Some(ResourceSpec::ConfigurationAggregator(s)) => Some(s),
        _ => None,
    };
    let arn = unit
        .chosen(&unit.live.config_aggregators)
        .and_then(|l| l.arn.as_deref());
    let put = |tags: Option<BTreeMap<String, String>>| async move {
        match spec {
            Some(spec) => aggregator::put_aggregator(clients, name, spec, tags.as_ref()).await,
            None => Ok(()),
        }
    };
    let tags = spec.map(|s| &s.tags);
    run_tagged(
        unit,
        arn,
        tags,
        put,
        aggregator::delete_aggregator(clients, name),
    )
    .await
}

pub(super) async fn run_pack(unit: &Unit<'_>) -> Result<(), Failure> {
    let (clients, name) = (unit.clients, unit.name);
    let spec = match unit.resource.map(|r| &r.spec) {
        Some(ResourceSpec::ConformancePack(s)) => Some(s),
        _ => None,
    };
    let arn = unit
        .chosen(&unit.live.conformance_packs)
        .and_then(|l| l.arn.as_deref());
    let put = |tags: Option<BTreeMap<String, String>>| async move {
        match spec {
            Some(spec) => pack::put_pack(clients, name, spec, tags.as_ref()).await,
            None => Ok(()),
        }
    };
    let tags = spec.map(|s| &s.tags);
    run_tagged(unit, arn, tags, put, pack::delete_pack(clients, name)).await
}

/// The flow of a Config resource that takes tags at creation only: `delete` for a
/// delete or replace; then, when the repository has it (`tags` its spec's), a create
/// puts it with the tags, an update puts it when anything but tags changed and
/// retags the live resource (`arn`).
async fn run_tagged<P, F>(
    unit: &Unit<'_>,
    arn: Option<&str>,
    tags: Option<&BTreeMap<String, String>>,
    put: P,
    delete: impl Future<Output = Result<(), AwsError>>,
) -> Result<(), Failure>
where
    P: Fn(Option<BTreeMap<String, String>>) -> F,
    F: Future<Output = Result<(), AwsError>>,
{
    let (clients, name) = (unit.clients, unit.name);
    let calls = unit.calls();
    if matches!(calls, Calls::Delete | Calls::Replace) {
        delete.await.map_err(failed(name))?;
    }
    let Some(spec_tags) = tags else {
        return Ok(());
    };
    match (calls, arn) {
        (Calls::Update { writes, tags }, Some(arn)) => {
            if !writes.is_empty() {
                put(None).await.map_err(failed(name))?;
            }
            if !tags.is_empty() {
                aggregator::retag(clients, arn, &tags.add, &tags.remove)
                    .await
                    .map_err(failed(name))?;
            }
            Ok(())
        }
        (Calls::Create | Calls::Replace | Calls::Update { .. }, _) => {
            put(Some(unit.desired_tags(spec_tags)))
                .await
                .map_err(failed(name))
        }
        _ => Ok(()),
    }
}
