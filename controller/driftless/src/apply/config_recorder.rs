//! Applying ConfigurationRecorder changes as planned. A create is
//! PutConfigurationRecorder, then PutDeliveryChannel (AWS refuses a channel before
//! its recorder), then StartConfigurationRecorder when it records (AWS refuses to
//! start without a channel). An update writes only what changed: the recorder's
//! definition, the channel (a renamed channel: the recorder stopped, the old channel
//! deleted, the new one put, the recorder started again if it records), the status.
//! A delete stops the recorder, deletes the channel, then the recorder. An adoption
//! without changes makes no call: the unit's record makes it driftless's.
//!
//! The recorder is written in the first phase and deleted after the rules (`phase`).

use super::{failed, ApplyError, Unit};
use crate::aws::config::recorder;
use crate::live::Live;
use crate::plan::work::{Calls, Write};
use crate::spec::{ConfigurationRecorderSpec, ResourceSpec};

type Failure = (String, ApplyError);

pub(super) async fn run(unit: &Unit<'_>) -> Result<(), Failure> {
    let live = unit.chosen(&unit.live.config_recorders);
    let calls = unit.calls();
    if *calls == Calls::Delete {
        return match live {
            Some(live) => delete(unit, live).await,
            None => Ok(()),
        };
    }
    let Some(ResourceSpec::ConfigurationRecorder(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let (clients, name) = (unit.clients, unit.name);
    match (calls, live) {
        (Calls::Update { writes, .. }, Some(live)) => {
            if writes.contains(&Write::Definition) {
                recorder::put_recorder(clients, name, spec)
                    .await
                    .map_err(failed(name))?;
            }
            if writes.contains(&Write::DeliveryChannel) {
                channel(unit, spec, live).await?;
            }
            if writes.contains(&Write::Recording) {
                recording(unit, spec.recording).await?;
            }
            Ok(())
        }
        (Calls::Create | Calls::Update { .. }, _) => {
            recorder::put_recorder(clients, name, spec)
                .await
                .map_err(failed(name))?;
            if let Some(c) = &spec.delivery_channel {
                recorder::put_channel(clients, c, false)
                    .await
                    .map_err(failed(name))?;
            }
            if spec.recording {
                recording(unit, true).await?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The desired channel over the live one: put in place, or (renamed: AWS keeps one
/// channel a Region and refuses to delete a recording recorder's) swapped.
async fn channel(
    unit: &Unit<'_>,
    spec: &ConfigurationRecorderSpec,
    live: &Live<ConfigurationRecorderSpec>,
) -> Result<(), Failure> {
    let (clients, name) = (unit.clients, unit.name);
    let Some(desired) = &spec.delivery_channel else {
        return Ok(());
    };
    let old = live
        .spec
        .delivery_channel
        .as_ref()
        .filter(|c| c.name != desired.name);
    let Some(old) = old else {
        let update = live.spec.delivery_channel.is_some();
        return recorder::put_channel(clients, desired, update)
            .await
            .map_err(failed(name));
    };
    if live.spec.recording {
        recording(unit, false).await?;
    }
    recorder::delete_channel(clients, &old.name)
        .await
        .map_err(failed(name))?;
    recorder::put_channel(clients, desired, false)
        .await
        .map_err(failed(name))?;
    if spec.recording {
        recording(unit, true).await?;
    }
    Ok(())
}

/// StartConfigurationRecorder (`on`) or StopConfigurationRecorder.
async fn recording(unit: &Unit<'_>, on: bool) -> Result<(), Failure> {
    recorder::set_recording(unit.clients, unit.name, on)
        .await
        .map_err(failed(unit.name))
}

async fn delete(unit: &Unit<'_>, live: &Live<ConfigurationRecorderSpec>) -> Result<(), Failure> {
    let (clients, name) = (unit.clients, unit.name);
    if live.spec.recording {
        recording(unit, false).await?;
    }
    if let Some(c) = &live.spec.delivery_channel {
        recorder::delete_channel(clients, &c.name)
            .await
            .map_err(failed(name))?;
    }
    recorder::delete_recorder(clients, name)
        .await
        .map_err(failed(name))
}
