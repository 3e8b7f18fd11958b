//! Applying Association changes as planned: create with tags, update in place
//! (UpdateAssociation reads the association first and keeps what the format does not
//! model, see `aws::ssm::association`), tagging calls for tag-only changes, delete.
//! Every field of an association is updatable in place, so there is no replacement.

use super::{failed, Unit};
use crate::aws::ssm;
use crate::plan::work::{Calls, Write};
use crate::spec::ResourceSpec;

type Failure = (String, super::ApplyError);

pub(super) async fn run(unit: &Unit<'_>) -> Result<(), Failure> {
    let live_id = unit
        .chosen(&unit.live.associations)
        .and_then(|l| l.id.as_deref());
    let calls = unit.calls();
    if *calls == Calls::Delete {
        return match live_id {
            Some(id) => ssm::delete_association(unit.clients, id)
                .await
                .map_err(failed(unit.name)),
            None => Ok(()),
        };
    }
    let Some(ResourceSpec::Association(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    let (id, writes, tags) = match (calls, live_id) {
        (Calls::Update { writes, tags }, Some(id)) => (id, writes, tags),
        (Calls::Create, _) | (Calls::Replace, _) | (Calls::Update { .. }, None) => {
            let tags = unit.desired_tags(&spec.tags);
            return ssm::create_association(unit.clients, unit.name, spec, &tags)
                .await
                .map(|_| ())
                .map_err(failed(unit.name));
        }
        _ => return Ok(()),
    };
    if writes.contains(&Write::Definition) {
        ssm::update_association(unit.clients, id, unit.name, spec)
            .await
            .map_err(failed(unit.name))?;
    }
    if !tags.is_empty() {
        ssm::retag(
            unit.clients,
            ssm::TagTarget::Association,
            id,
            &tags.add,
            &tags.remove,
        )
        .await
        .map_err(failed(unit.name))?;
    }
    Ok(())
}
