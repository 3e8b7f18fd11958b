//! Applying MetricFilter changes: PutMetricFilter for creates and updates (the
//! filter's log group exists by then: filters are written after every other write),
//! put on the new group then DeleteMetricFilter on the old for a moved filter, and
//! DeleteMetricFilter of every owned filter of the name for a delete (before log
//! groups are deleted). The unit's record (the last-applied values) says which
//! filters on unowned groups driftless applied.

use super::{failed, ApplyError, Unit};
use crate::aws::logs;
use crate::live::LiveMetricFilter;
use crate::plan::metric_filter::owns;
use crate::plan::Action;
use crate::spec::ResourceSpec;

/// The live filters of the unit's name that driftless owns.
fn owned<'a>(unit: &Unit<'a>) -> Vec<&'a LiveMetricFilter> {
    let record = unit
        .record
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    unit.live
        .metric_filters
        .iter()
        .filter(|f| f.filter.name == unit.name)
        .filter(|f| owns(f, unit.live, unit.target, unit.instance, &record))
        .collect()
}

pub(super) async fn run(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    let Some(change) = unit.parent() else {
        return Ok(());
    };
    let ours = owned(unit);
    if change.action == Action::Delete {
        for f in ours {
            logs::delete_metric_filter(unit.clients, &f.filter.spec.log_group_name, unit.name)
                .await
                .map_err(failed(unit.name))?;
        }
        return Ok(());
    }
    let Some(ResourceSpec::MetricFilter(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let group = spec.log_group_name.as_str();
    // What the format cannot hold is kept from the filter being replaced.
    let current = unit
        .live
        .metric_filters
        .iter()
        .find(|f| f.filter.name == unit.name && f.filter.spec.log_group_name == group)
        .or_else(|| ours.first().copied());
    logs::put_metric_filter(unit.clients, unit.name, spec, current)
        .await
        .map_err(failed(unit.name))?;
    if change.action == Action::Replace {
        for f in ours
            .iter()
            .filter(|f| f.filter.spec.log_group_name != group)
        {
            logs::delete_metric_filter(unit.clients, &f.filter.spec.log_group_name, unit.name)
                .await
                .map_err(failed(unit.name))?;
        }
    }
    Ok(())
}
