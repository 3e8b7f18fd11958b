//! Applying MetricFilter changes as planned: PutMetricFilter for creates and updates
//! (the filter's log group exists by then: filters are written after every other
//! write), put on the new group then DeleteMetricFilter on the old for a moved filter,
//! and DeleteMetricFilter of every owned filter of the name for a delete (before log
//! groups are deleted). An adoption without changes makes no call: the unit's record
//! (the last-applied values) is what makes the filter driftless's.

use super::{failed, ApplyError, Unit};
use crate::aws::logs;
use crate::live::LiveMetricFilter;
use crate::plan::work::Calls;
use crate::spec::ResourceSpec;

/// The live filters the plan said the change deletes.
fn planned_deletes<'a>(unit: &Unit<'a>) -> Vec<&'a LiveMetricFilter> {
    let filters = &unit.live.metric_filters;
    unit.parent()
        .into_iter()
        .flat_map(|c| &c.work.deletes)
        .filter_map(|d| filters.get(d.index))
        .collect()
}

async fn delete_all(
    unit: &Unit<'_>,
    filters: &[&LiveMetricFilter],
) -> Result<(), (String, ApplyError)> {
    for f in filters {
        logs::delete_metric_filter(unit.clients, &f.filter.spec.log_group_name, unit.name)
            .await
            .map_err(failed(unit.name))?;
    }
    Ok(())
}

pub(super) async fn run(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    let calls = unit.calls();
    match calls {
        Calls::Delete => return delete_all(unit, &planned_deletes(unit)).await,
        Calls::Create | Calls::Replace | Calls::Update { .. } => {}
        _ => return Ok(()),
    }
    let Some(ResourceSpec::MetricFilter(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    // What the format cannot hold is kept from the filter the plan chose.
    let current = unit.chosen(&unit.live.metric_filters);
    logs::put_metric_filter(unit.clients, unit.name, spec, current)
        .await
        .map_err(failed(unit.name))?;
    if *calls == Calls::Replace {
        delete_all(unit, &planned_deletes(unit)).await?;
    }
    Ok(())
}
