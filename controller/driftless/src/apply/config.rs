//! Applying AWS Config changes as planned. ConfigurationAggregator: a create is one
//! PutConfigurationAggregator with the tags (AWS takes tags at creation only); an
//! update puts the aggregator when a setting changed (the writer keeps what the
//! format does not model) and changes tags with TagResource / UntagResource; a
//! delete is DeleteConfigurationAggregator.

use super::{failed, ApplyError, Unit};
use crate::aws::config::aggregator;
use crate::plan::work::Calls;
use crate::spec::ResourceSpec;

type Failure = (String, ApplyError);

pub(super) async fn run_aggregator(unit: &Unit<'_>) -> Result<(), Failure> {
    let (clients, name) = (unit.clients, unit.name);
    let live = unit.chosen(&unit.live.config_aggregators);
    let calls = unit.calls();
    if matches!(calls, Calls::Delete | Calls::Replace) {
        aggregator::delete_aggregator(clients, name)
            .await
            .map_err(failed(name))?;
    }
    let Some(ResourceSpec::ConfigurationAggregator(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    match (calls, live) {
        (Calls::Update { writes, tags }, Some(live)) => {
            if !writes.is_empty() {
                aggregator::put_aggregator(clients, name, spec, None)
                    .await
                    .map_err(failed(name))?;
            }
            if let (Some(arn), false) = (live.arn.as_deref(), tags.is_empty()) {
                aggregator::retag(clients, arn, &tags.add, &tags.remove)
                    .await
                    .map_err(failed(name))?;
            }
            Ok(())
        }
        (Calls::Create | Calls::Replace | Calls::Update { .. }, _) => {
            let tags = unit.desired_tags(&spec.tags);
            aggregator::put_aggregator(clients, name, spec, Some(&tags))
                .await
                .map_err(failed(name))
        }
        _ => Ok(()),
    }
}
