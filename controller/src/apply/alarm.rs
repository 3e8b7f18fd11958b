//! Applying MetricAlarm changes: PutMetricAlarm (an upsert; the plan has already
//! checked for an unowned namesake), tag changes, DeleteAlarms.

use super::{chosen, failed, tag_changes, ApplyError, Unit};
use crate::aws::cloudwatch;
use crate::plan::Action;
use crate::spec::ResourceSpec;

pub(super) async fn run(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    let Some(change) = unit.parent() else {
        return Ok(());
    };
    if change.action == Action::Delete {
        return cloudwatch::delete_alarm(unit.clients, unit.name)
            .await
            .map_err(failed(unit.name));
    }
    let Some(ResourceSpec::MetricAlarm(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let tags = unit.desired_tags(&spec.tags);
    cloudwatch::put_alarm(unit.clients, unit.name, spec, &tags)
        .await
        .map_err(failed(unit.name))?;
    // PutMetricAlarm ignores tags when the alarm exists: change them separately.
    if let Some(live) = chosen(&unit.live.alarms, unit.name, unit.instance) {
        let (add, remove) = tag_changes(&tags, &live.spec.tags);
        if let Some(arn) = &live.arn {
            if !add.is_empty() || !remove.is_empty() {
                cloudwatch::retag_alarm(unit.clients, arn, &add, &remove)
                    .await
                    .map_err(failed(unit.name))?;
            }
        }
    }
    Ok(())
}
