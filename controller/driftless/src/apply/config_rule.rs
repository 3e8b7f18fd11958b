//! Applying ConfigRule changes as planned: PutConfigRule (the whole rule, with its
//! tags) for a create or a changed definition, then its remediation
//! (PutRemediationConfigurations, or DeleteRemediationConfiguration when the spec
//! dropped it): a remediation is written after its rule. Tags alone change with
//! TagResource / UntagResource. A delete removes the remediation first, then the rule.
//! Rules are written after the recorder's phase and deleted before it (`phase`). An
//! update's puts keep what the format does not model (see `aws::config`).

use super::{failed, ApplyError, Unit};
use crate::aws::config::{remediation, rule};
use crate::plan::work::{Calls, Write};
use crate::spec::{ConfigRuleSpec, ResourceSpec};

type Failure = (String, ApplyError);

pub(super) async fn run(unit: &Unit<'_>) -> Result<(), Failure> {
    let live = unit.chosen(&unit.live.config_rules);
    let calls = unit.calls();
    if *calls == Calls::Delete {
        return delete(unit, live.is_some_and(|l| l.spec.remediation.is_some())).await;
    }
    let Some(ResourceSpec::ConfigRule(spec)) = unit.resource.map(|r| &r.spec) else {
        return Ok(());
    };
    match (calls, live) {
        (Calls::Update { writes, tags }, Some(live)) => {
            if writes.contains(&Write::Definition) {
                put(unit, spec, true).await?;
            }
            if let (Some(arn), false) = (live.arn.as_deref(), tags.is_empty()) {
                rule::retag(unit.clients, arn, &tags.add, &tags.remove)
                    .await
                    .map_err(failed(unit.name))?;
            }
            if writes.contains(&Write::Remediation) {
                set_remediation(unit, spec).await?;
            }
            Ok(())
        }
        (Calls::Create | Calls::Replace | Calls::Update { .. }, _) => {
            put(unit, spec, false).await?;
            if spec.remediation.is_some() {
                set_remediation(unit, spec).await?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn put(unit: &Unit<'_>, spec: &ConfigRuleSpec, update: bool) -> Result<(), Failure> {
    let tags = unit.desired_tags(&spec.tags);
    rule::put_rule(unit.clients, unit.name, spec, &tags, update)
        .await
        .map_err(failed(unit.name))
}

async fn set_remediation(unit: &Unit<'_>, spec: &ConfigRuleSpec) -> Result<(), Failure> {
    let result = match &spec.remediation {
        Some(r) => remediation::put(unit.clients, unit.name, r).await,
        None => remediation::delete(unit.clients, unit.name).await,
    };
    result.map_err(failed(unit.name))
}

async fn delete(unit: &Unit<'_>, has_remediation: bool) -> Result<(), Failure> {
    if has_remediation {
        remediation::delete(unit.clients, unit.name)
            .await
            .map_err(failed(unit.name))?;
    }
    rule::delete_rule(unit.clients, unit.name)
        .await
        .map_err(failed(unit.name))
}
