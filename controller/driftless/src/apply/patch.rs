//! Applying PatchBaseline changes: the baseline (create with tags and a client token,
//! update, replace by create-then-delete), its patch-group registrations (moved from
//! another owned baseline without a gap where possible) and the default baseline.

use super::{chosen, failed, tag_changes, ApplyError, Unit};
use crate::aws::{ssm, AwsError};
use crate::plan::{Action, Change};
use crate::spec::{PatchBaselineSpec, ResourceSpec};

/// Whether a change touches more than tags and the default-baseline flag.
fn touches_baseline(change: &Change) -> bool {
    change
        .fields
        .iter()
        .any(|f| !f.path.starts_with("tags") && f.path != "defaultForOperatingSystem")
}

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

pub(super) async fn run(unit: &Unit<'_>) -> Result<(), (String, ApplyError)> {
    let live = chosen(&unit.live.patch_baselines, unit.name, unit.instance);
    let live_id = live.and_then(|l| l.id.clone());
    if let Some(Action::Delete) = unit.parent().map(|c| c.action) {
        let (Some(live), Some(id)) = (live, live_id) else {
            return Ok(());
        };
        for group in &live.spec.patch_groups {
            ssm::deregister_patch_group(unit.clients, &id, group)
                .await
                .map_err(failed(unit.name))?;
        }
        return ssm::delete_patch_baseline(unit.clients, &id)
            .await
            .map_err(failed(unit.name));
    }
    let Some(ResourceSpec::PatchBaseline(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let tags = unit.desired_tags(&spec.tags);
    let desired = serde_json::to_value(spec).unwrap_or_default();
    let id = match (unit.parent().map(|c| c.action), &live_id) {
        (Some(Action::Create), _) | (_, None) => {
            let token = unit.token("", &desired);
            let id = ssm::create_patch_baseline(unit.clients, unit.name, spec, &tags, &token)
                .await
                .map_err(failed(unit.name))?;
            for group in &spec.patch_groups {
                register(unit, spec, &id, group)
                    .await
                    .map_err(failed(&format!("{}/patchGroups/{group}", unit.name)))?;
            }
            id
        }
        (Some(Action::Replace), Some(old)) => {
            let token = unit.token("replace", &desired);
            let id = ssm::create_patch_baseline(unit.clients, unit.name, spec, &tags, &token)
                .await
                .map_err(failed(unit.name))?;
            if let Some(live) = live {
                for group in &live.spec.patch_groups {
                    ssm::deregister_patch_group(unit.clients, old, group)
                        .await
                        .map_err(failed(unit.name))?;
                }
            }
            for group in &spec.patch_groups {
                ssm::register_patch_group(unit.clients, &id, group)
                    .await
                    .map_err(failed(unit.name))?;
            }
            ssm::delete_patch_baseline(unit.clients, old)
                .await
                .map_err(failed(unit.name))?;
            id
        }
        (update, Some(id)) => {
            if let (Some(Action::Update), Some(change)) = (update, unit.parent()) {
                if touches_baseline(change) {
                    ssm::update_patch_baseline(unit.clients, id, unit.name, spec)
                        .await
                        .map_err(failed(unit.name))?;
                }
                if let Some(live) = live {
                    let (add, remove) = tag_changes(&tags, &live.spec.tags);
                    if !add.is_empty() || !remove.is_empty() {
                        ssm::retag(
                            unit.clients,
                            ssm::TagTarget::PatchBaseline,
                            id,
                            &add,
                            &remove,
                        )
                        .await
                        .map_err(failed(unit.name))?;
                    }
                }
            }
            for (change, sub) in unit.subs() {
                let Some(group) = sub.strip_prefix("patchGroups/") else {
                    continue;
                };
                match change.action {
                    Action::Create => register(unit, spec, id, group)
                        .await
                        .map_err(failed(&change.name))?,
                    Action::Delete => ssm::deregister_patch_group(unit.clients, id, group)
                        .await
                        .map_err(failed(&change.name))?,
                    _ => {}
                }
            }
            id.clone()
        }
    };
    let default_wanted = spec.default_for_operating_system
        && !live.is_some_and(|l| {
            l.spec.default_for_operating_system && live_id.as_deref() == Some(id.as_str())
        });
    if default_wanted {
        ssm::register_default_baseline(unit.clients, &id)
            .await
            .map_err(failed(unit.name))?;
    }
    Ok(())
}
