//! Applying PatchBaseline changes as planned: the baseline (create with tags and a
//! client token, update, replace by create-then-delete), its patch-group registrations
//! (moved from another owned baseline without a gap where possible) and the default
//! baseline.

use super::{failed, ApplyError, Unit};
use crate::aws::{ssm, AwsError};
use crate::live::Live;
use crate::plan::work::{Calls, Write};
use crate::spec::{PatchBaselineSpec, ResourceSpec};

type Failure = (String, ApplyError);

/// Registers `group` to `id`, first deregistering it from another baseline of the same
/// OS (the plan reports a conflict instead when that one is not ours).
async fn register(
    unit: &Unit<'_>,
    spec: &PatchBaselineSpec,
    id: &str,
    group: &str,
) -> Result<(), AwsError> {
    if let Some(regs) = unit.live.patch_group_registrations.get(group) {
        for (os, other) in regs {
            if *os == spec.operating_system && other != id {
                ssm::deregister_patch_group(unit.clients, other, group).await?;
            }
        }
    }
    ssm::register_patch_group(unit.clients, id, group).await
}

pub(super) async fn run(unit: &Unit<'_>) -> Result<(), Failure> {
    let live = unit.chosen(&unit.live.patch_baselines);
    let live_id = live.and_then(|l| l.id.as_deref());
    let calls = unit.calls();
    if *calls == Calls::Delete {
        return match (live, live_id) {
            (Some(live), Some(id)) => delete(unit, live, id).await,
            _ => Ok(()),
        };
    }
    let Some(ResourceSpec::PatchBaseline(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let (id, made_default) = match (calls, live, live_id) {
        (Calls::Create, _, _) | (_, _, None) | (_, None, _) => (create(unit, spec).await?, true),
        (Calls::Replace, Some(live), Some(old)) => (replace(unit, spec, live, old).await?, true),
        (calls, Some(_), Some(id)) => {
            update(unit, spec, calls, id).await?;
            let made_default = matches!(calls, Calls::Update { writes, .. } if writes.contains(&Write::DefaultBaseline));
            (id.to_string(), made_default)
        }
    };
    if made_default && spec.default_for_operating_system {
        ssm::register_default_baseline(unit.clients, &id)
            .await
            .map_err(failed(unit.name))?;
    }
    Ok(())
}

/// Deregisters the live baseline's patch groups, then deletes it.
async fn delete(unit: &Unit<'_>, live: &Live<PatchBaselineSpec>, id: &str) -> Result<(), Failure> {
    for group in &live.spec.patch_groups {
        ssm::deregister_patch_group(unit.clients, id, group)
            .await
            .map_err(failed(unit.name))?;
    }
    ssm::delete_patch_baseline(unit.clients, id)
        .await
        .map_err(failed(unit.name))
}

/// Creates the baseline with its tags and registers the patch groups the plan creates
/// (a group registered to a baseline driftless does not manage is a conflict, not in
/// the unit, and stays where it is); its id.
async fn create(unit: &Unit<'_>, spec: &PatchBaselineSpec) -> Result<String, Failure> {
    let tags = unit.desired_tags(&spec.tags);
    let token = unit.token("", &serde_json::to_value(spec).unwrap_or_default());
    let id = ssm::create_patch_baseline(unit.clients, unit.name, spec, &tags, &token)
        .await
        .map_err(failed(unit.name))?;
    for (change, sub) in unit.subs() {
        let Some(group) = sub.strip_prefix("patchGroups/") else {
            continue;
        };
        if change.work.calls == Calls::Create {
            register(unit, spec, &id, group)
                .await
                .map_err(failed(&change.name))?;
        }
    }
    Ok(id)
}

/// Creates the new baseline, moves the patch groups to it, deletes the old one (`old`,
/// the live baseline's id); the new id.
async fn replace(
    unit: &Unit<'_>,
    spec: &PatchBaselineSpec,
    live: &Live<PatchBaselineSpec>,
    old: &str,
) -> Result<String, Failure> {
    let tags = unit.desired_tags(&spec.tags);
    let token = unit.token("replace", &serde_json::to_value(spec).unwrap_or_default());
    let id = ssm::create_patch_baseline(unit.clients, unit.name, spec, &tags, &token)
        .await
        .map_err(failed(unit.name))?;
    for group in &live.spec.patch_groups {
        ssm::deregister_patch_group(unit.clients, old, group)
            .await
            .map_err(failed(unit.name))?;
    }
    for group in &spec.patch_groups {
        ssm::register_patch_group(unit.clients, &id, group)
            .await
            .map_err(failed(unit.name))?;
    }
    ssm::delete_patch_baseline(unit.clients, old)
        .await
        .map_err(failed(unit.name))?;
    Ok(id)
}

/// The planned in-place writes and tag changes of the baseline `id`, then its patch
/// groups' registrations.
async fn update(
    unit: &Unit<'_>,
    spec: &PatchBaselineSpec,
    calls: &Calls,
    id: &str,
) -> Result<(), Failure> {
    if let Calls::Update { writes, tags } = calls {
        if writes.contains(&Write::Definition) {
            ssm::update_patch_baseline(unit.clients, id, unit.name, spec)
                .await
                .map_err(failed(unit.name))?;
        }
        if !tags.is_empty() {
            let target = ssm::TagTarget::PatchBaseline;
            ssm::retag(unit.clients, target, id, &tags.add, &tags.remove)
                .await
                .map_err(failed(unit.name))?;
        }
    }
    for (change, sub) in unit.subs() {
        let Some(group) = sub.strip_prefix("patchGroups/") else {
            continue;
        };
        match change.work.calls {
            Calls::Create => register(unit, spec, id, group)
                .await
                .map_err(failed(&change.name))?,
            Calls::Delete => ssm::deregister_patch_group(unit.clients, id, group)
                .await
                .map_err(failed(&change.name))?,
            _ => {}
        }
    }
    Ok(())
}
