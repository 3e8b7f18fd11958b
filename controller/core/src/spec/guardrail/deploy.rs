//! Guardrails deployed (`deploy: true`): the guardrail's AWS Config managed rule as a
//! `ConfigRule` resource of the same name in every target, so AWS Config checks
//! continuously what driftless checks at commit time. Pure.
//!
//! The rule's identifier is AWS's (`cw-loggroup-retention-period-check` →
//! `CW_LOGGROUP_RETENTION_PERIOD_CHECK`), its parameters are spelled as AWS's
//! catalogue spells them (`minRetentionTime` → `MinRetentionTime`), required ones the
//! guardrail leaves out take the catalogue's or the guardrail's default, and its scope
//! is the AWS resource types of the guardrail's kinds. The resource is then planned,
//! owned and applied like any ConfigRule document.

use std::collections::BTreeMap;

use super::params::definitions;
use super::{Guardrail, RuleName};
use crate::spec::config_rule::{managed_rule, Owner, RuleSource, Scope};
use crate::spec::context::{At, Cx};
use crate::spec::rules::Problem;
use crate::spec::{
    ConfigRuleSpec, DriftlessConfig, Kind, Metadata, Origin, Resource, ResourceSpec,
};

/// The AWS Config identifier of a managed rule (`None`: one of driftless's own).
pub fn identifier(rule: RuleName) -> Option<String> {
    let id = rule.as_str().to_ascii_uppercase().replace('-', "_");
    managed_rule(&id).map(|r| r.identifier.clone())
}

/// The AWS Config resource type of a kind's resources (`None`: AWS Config records no
/// such type, or the kind has no resource of its own).
pub fn resource_type(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::MetricAlarm => "AWS::CloudWatch::Alarm",
        Kind::LogGroup => "AWS::Logs::LogGroup",
        Kind::BackupVault => "AWS::Backup::BackupVault",
        Kind::BackupPlan => "AWS::Backup::BackupPlan",
        Kind::PatchBaseline => "AWS::SSM::PatchBaseline",
        Kind::MaintenanceWindow => "AWS::SSM::MaintenanceWindow",
        _ => return None,
    })
}

/// The ConfigRule a deployed guardrail becomes.
pub fn rule_spec(g: &Guardrail) -> Option<ConfigRuleSpec> {
    let id = identifier(g.rule)?;
    let rule = managed_rule(&id)?;
    let mut input_parameters = BTreeMap::new();
    for (name, value) in &g.parameters {
        let aws = rule
            .params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map_or(name.clone(), |p| p.name.clone());
        input_parameters.insert(aws, value.clone());
    }
    let ours = definitions(g.rule);
    for p in rule.params.iter().filter(|p| p.required) {
        if input_parameters.contains_key(&p.name) {
            continue;
        }
        let default = p.default.clone().or_else(|| {
            ours.iter()
                .find(|d| d.name.eq_ignore_ascii_case(&p.name))
                .and_then(|d| d.default.map(str::to_string))
        });
        if let Some(d) = default {
            input_parameters.insert(p.name.clone(), d);
        }
    }
    let mut types: Vec<String> = g
        .kinds()
        .into_iter()
        .filter_map(resource_type)
        .map(str::to_string)
        .collect();
    types.dedup();
    Some(ConfigRuleSpec {
        description: Some(format!(
            "driftless guardrail {} (driftless.yaml)",
            g.rule.as_str()
        )),
        source: Some(RuleSource {
            owner: Owner::Aws,
            identifier: Some(id),
            lambda_arn: None,
            message_types: Vec::new(),
            policy_text: None,
        }),
        input_parameters,
        scope: (!types.is_empty()).then(|| Scope {
            resource_types: types,
            ..Scope::default()
        }),
        maximum_execution_frequency: None,
        remediation: None,
        tags: BTreeMap::new(),
    })
}

/// A guardrail that cannot be deployed: one of driftless's own rules.
pub fn check(cx: &mut Cx<'_>, at: &At<'_>, g: &Guardrail) {
    if identifier(g.rule).is_none() {
        cx.report(
            &at.k("deploy"),
            Problem::new(format!(
                "`{}` is driftless's own rule, not an AWS Config managed rule: AWS Config cannot run it",
                g.rule
            ))
            .hint("remove `deploy: true`; driftless checks it at commit time and in `audit`"),
        );
    }
}

/// The ConfigRule resources of driftless.yaml's deployed guardrails, in every target
/// (driftless.yaml's `defaults.targets`, else every target), default tags merged.
pub fn deployed(config: &DriftlessConfig) -> Vec<Resource> {
    let targets = config.default_targets();
    let targets = if targets.is_empty() {
        vec!["default".to_string()]
    } else {
        targets
    };
    config
        .guardrails
        .iter()
        .filter(|g| g.deploy)
        .filter_map(|g| {
            let mut spec = rule_spec(g)?;
            spec.tags = config.default_tags();
            Some(Resource {
                metadata: Metadata {
                    name: g.rule.as_str().to_string(),
                    targets: None,
                    adopt: false,
                    drift_policy: Default::default(),
                },
                spec: ResourceSpec::ConfigRule(spec),
                targets: targets.clone(),
                origin: Origin {
                    path: crate::spec::CONFIG_FILE.to_string(),
                    line: 1,
                },
                template: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::guardrail::Enforcement;

    fn guardrail(rule: RuleName, params: &[(&str, &str)], kinds: Option<Vec<Kind>>) -> Guardrail {
        Guardrail {
            rule,
            parameters: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            kinds,
            enforcement: Enforcement::Deny,
            deploy: true,
        }
    }

    #[test]
    fn identifiers_and_parameters_are_spelled_as_aws_spells_them() {
        let g = guardrail(
            RuleName::CwLoggroupRetentionPeriodCheck,
            &[("minRetentionTime", "400")],
            None,
        );
        let spec = rule_spec(&g).unwrap();
        let source = spec.source.unwrap();
        assert_eq!(
            source.identifier.as_deref(),
            Some("CW_LOGGROUP_RETENTION_PERIOD_CHECK")
        );
        assert_eq!(
            spec.input_parameters,
            BTreeMap::from([("MinRetentionTime".to_string(), "400".to_string())])
        );
        assert_eq!(
            spec.scope.unwrap().resource_types,
            ["AWS::Logs::LogGroup"],
            "LogRetentionPolicy has no AWS Config type of its own"
        );
    }

    #[test]
    fn required_parameters_take_their_defaults_and_kinds_narrow_the_scope() {
        let g = guardrail(RuleName::CloudwatchAlarmActionCheck, &[], None);
        let spec = rule_spec(&g).unwrap();
        assert_eq!(
            spec.input_parameters
                .get("alarmActionRequired")
                .map(String::as_str),
            Some("true")
        );
        assert_eq!(
            spec.input_parameters
                .get("okActionRequired")
                .map(String::as_str),
            Some("false")
        );
        let tags = guardrail(
            RuleName::RequiredTags,
            &[("tag1Key", "team")],
            Some(vec![Kind::LogGroup]),
        );
        let spec = rule_spec(&tags).unwrap();
        assert_eq!(spec.scope.unwrap().resource_types, ["AWS::Logs::LogGroup"]);
    }

    #[test]
    fn driftless_own_rules_have_no_identifier() {
        assert_eq!(identifier(RuleName::MaintenanceWindowCutoffCheck), None);
        assert_eq!(identifier(RuleName::MaintenanceBackupOverlapCheck), None);
        for rule in RuleName::ALL {
            let own = matches!(
                rule,
                RuleName::MaintenanceWindowCutoffCheck
                    | RuleName::PatchBaselineApprovalCheck
                    | RuleName::MaintenanceBackupOverlapCheck
            );
            assert_eq!(identifier(*rule).is_none(), own, "{rule}");
        }
    }

    fn parse(files: &[(&str, &str)]) -> Result<crate::spec::DesiredState, String> {
        let files: Vec<crate::spec::SourceFile> = files
            .iter()
            .map(|(name, text)| crate::spec::SourceFile {
                relative: name.to_string(),
                display: name.to_string(),
                text: text.to_string(),
            })
            .collect();
        crate::spec::parse(&files).map_err(|d| crate::spec::diagnostic::render_text(&d))
    }

    const CONFIG: &str = "targets:\n  - {name: prod, region: us-east-1}\nguardrails:\n  - rule: cw-loggroup-retention-period-check\n    parameters: {minRetentionTime: 365}\n    deploy: true\n";

    #[test]
    fn a_deployed_guardrail_is_a_config_rule_of_every_target() {
        let state = parse(&[("driftless.yaml", CONFIG)]).unwrap();
        let rule = state
            .resources
            .iter()
            .find(|r| r.kind() == Kind::ConfigRule)
            .expect("the deployed rule");
        assert_eq!(rule.name(), "cw-loggroup-retention-period-check");
        assert_eq!(rule.targets, ["prod"]);
        let clash = "apiVersion: driftless.dev/v1\nkind: ConfigRule\nmetadata: {name: cw-loggroup-retention-period-check}\nspec:\n  source: {owner: AWS, identifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK}\n";
        let err = parse(&[("driftless.yaml", CONFIG), ("rules.yaml", clash)]).unwrap_err();
        assert!(err.contains("rules.yaml:1:11: error: ConfigRule `cw-loggroup-retention-period-check` is also the guardrail"), "{err}");
        let own = "guardrails:\n  - rule: maintenance-window-cutoff-check\n    deploy: true\n";
        let err = parse(&[("driftless.yaml", own)]).unwrap_err();
        assert!(
            err.contains("is driftless's own rule, not an AWS Config managed rule"),
            "{err}"
        );
    }
}
