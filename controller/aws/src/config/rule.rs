//! AWS Config rules: read (DescribeConfigRules, one page of 25 rules a call, every
//! rule of the region; ListTagsForResource per rule kept; the remediation
//! configurations of the kept rules in batches of 25) and written (PutConfigRule,
//! TagResource / UntagResource, DeleteConfigRule).
//!
//! AWS Config rules are not in the Resource Groups Tagging API: a rule is kept (and
//! its tags read) when the desired state names it or driftless recorded applying it,
//! or, for `read_every`, always. Calls: ⌈rules/25⌉ + kept + ⌈kept/25⌉.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_config::types::{
    ConfigRule, CustomPolicyDetails, EventSource, MaximumExecutionFrequency, Owner as SdkOwner,
    Scope as SdkScope, Source, SourceDetail, Tag,
};

use driftless_core::live::Live;
use driftless_core::spec::config_rule::{Frequency, MessageType, Owner, RuleSource, Scope};
use driftless_core::spec::ConfigRuleSpec;

use crate::{AwsError, Clients};

/// The Guard runtime CUSTOM_POLICY rules run on (the only one AWS offers).
pub const POLICY_RUNTIME: &str = "guard-2.x.x";

/// The rules named in `names` (or every rule with `None`), with tags and remediation.
pub async fn read_rules(
    clients: &Clients,
    names: Option<&BTreeSet<String>>,
) -> Result<Vec<Live<ConfigRuleSpec>>, AwsError> {
    let mut rules = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .config
            .describe_config_rules()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "config", "DescribeConfigRules", None, e))?;
        for rule in page.config_rules() {
            let name = rule.config_rule_name().unwrap_or_default();
            // Rules another service made (a conformance pack's) are that service's:
            // listed with their pack, never as rules of their own.
            let own = names.is_some() || rule.created_by().is_none();
            if own && names.is_none_or(|n| n.contains(name)) {
                rules.push(live_rule(rule));
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    for rule in &mut rules {
        if let Some(arn) = rule.arn.clone() {
            rule.spec.tags = tags(clients, &arn).await?;
        }
    }
    let kept: Vec<String> = rules.iter().map(|r| r.name.clone()).collect();
    let mut remediations = super::remediation::read(clients, &kept).await?;
    for rule in &mut rules {
        rule.spec.remediation = remediations.remove(&rule.name);
    }
    Ok(rules)
}

/// One rule as driftless reads it (tags and remediation filled in later).
fn live_rule(rule: &ConfigRule) -> Live<ConfigRuleSpec> {
    let input_parameters: BTreeMap<String, String> = rule
        .input_parameters()
        .and_then(|p| serde_json::from_str::<BTreeMap<String, serde_json::Value>>(p).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.as_str().map(str::to_string).unwrap_or(v.to_string())))
        .collect();
    let scope = rule.scope().map(|s| Scope {
        resource_types: s.compliance_resource_types().to_vec(),
        tag_key: s.tag_key().map(str::to_string),
        tag_value: s.tag_value().map(str::to_string),
        compliance_resource_id: s.compliance_resource_id().map(str::to_string),
    });
    Live {
        name: rule.config_rule_name().unwrap_or_default().to_string(),
        spec: ConfigRuleSpec {
            description: rule
                .description()
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            source: rule.source().map(live_source),
            input_parameters,
            scope,
            maximum_execution_frequency: rule
                .maximum_execution_frequency()
                .and_then(|f| frequency(f.as_str())),
            remediation: None,
            tags: BTreeMap::new(),
        },
        arn: rule.config_rule_arn().map(str::to_string),
        id: rule.config_rule_id().map(str::to_string),
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    }
}

fn live_source(source: &Source) -> RuleSource {
    let owner = match source.owner() {
        SdkOwner::CustomLambda => Owner::CustomLambda,
        SdkOwner::CustomPolicy => Owner::CustomPolicy,
        _ => Owner::Aws,
    };
    let identifier = source.source_identifier().map(str::to_string);
    let message_types = source
        .source_details()
        .iter()
        .filter_map(|d| d.message_type())
        .filter_map(|m| {
            MessageType::ALL
                .iter()
                .copied()
                .find(|t| t.as_str() == m.as_str())
        })
        .collect();
    RuleSource {
        owner,
        identifier: (owner == Owner::Aws).then(|| identifier.clone()).flatten(),
        lambda_arn: (owner == Owner::CustomLambda)
            .then_some(identifier)
            .flatten(),
        message_types,
        policy_text: source
            .custom_policy_details()
            .map(|p| p.policy_text().to_string()),
    }
}

fn frequency(s: &str) -> Option<Frequency> {
    Frequency::ALL.iter().copied().find(|f| f.as_str() == s)
}

async fn tags(clients: &Clients, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = clients
            .config
            .list_tags_for_resource()
            .resource_arn(arn)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "config", "ListTagsForResource", Some(arn), e))?;
        for t in page.tags() {
            if let (Some(k), Some(v)) = (t.key(), t.value()) {
                out.insert(k.to_string(), v.to_string());
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// PutConfigRule of the whole rule (create or update) with `tags` (tags to remove are
/// untagged with [`retag`]). PutConfigRule replaces the whole rule: an update first
/// reads the live rule (DescribeConfigRules of its name) and sends back what the
/// format does not model as AWS has it (EvaluationModes, RuleEvaluationVisibility,
/// the scope's ServicePrincipals, a Guard policy's EnableDebugLogDelivery), so an
/// update never erases them.
pub async fn put_rule(
    clients: &Clients,
    name: &str,
    spec: &ConfigRuleSpec,
    tags: &BTreeMap<String, String>,
    update: bool,
) -> Result<(), AwsError> {
    const OP: &str = "PutConfigRule";
    let err = |m: String| AwsError::Call {
        target: clients.target.clone(),
        service: "config",
        operation: OP,
        resource: Some(name.to_string()),
        code: None,
        message: m,
    };
    let live = if update {
        described(clients, name).await?
    } else {
        None
    };
    let rule = sdk_rule(name, spec, live.as_ref()).map_err(|e| err(e.to_string()))?;
    let tags: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    clients
        .config
        .put_config_rule()
        .config_rule(rule)
        .set_tags((!tags.is_empty()).then_some(tags))
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "config", OP, Some(name), e))?;
    Ok(())
}

/// The live rule `name` as AWS has it (`None`: gone).
async fn described(clients: &Clients, name: &str) -> Result<Option<ConfigRule>, AwsError> {
    match clients
        .config
        .describe_config_rules()
        .config_rule_names(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.config_rules().first().cloned()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_config_rule_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(AwsError::call(
            clients,
            "config",
            "DescribeConfigRules",
            Some(name),
            e,
        )),
    }
}

/// The API's ConfigRule of a spec, with what the format does not model kept from
/// `live`.
fn sdk_rule(
    name: &str,
    spec: &ConfigRuleSpec,
    live: Option<&ConfigRule>,
) -> Result<ConfigRule, aws_sdk_config::error::BuildError> {
    let debug = live
        .and_then(|l| l.source())
        .and_then(|s| s.custom_policy_details())
        .is_some_and(|p| p.enable_debug_log_delivery());
    let source = spec
        .source
        .as_ref()
        .map(|s| sdk_source(s, debug))
        .transpose()?;
    let modes = live
        .map(|l| l.evaluation_modes().to_vec())
        .filter(|m| !m.is_empty());
    let params = (!spec.input_parameters.is_empty())
        .then(|| serde_json::to_string(&spec.input_parameters).unwrap_or_default());
    let principals = live
        .and_then(|l| l.scope())
        .map(|s| s.service_principals().to_vec())
        .filter(|p| !p.is_empty());
    let scope = spec.scope.as_ref().map(|s| {
        SdkScope::builder()
            .set_service_principals(principals.clone())
            .set_compliance_resource_types(
                (!s.resource_types.is_empty()).then(|| s.resource_types.clone()),
            )
            .set_tag_key(s.tag_key.clone())
            .set_tag_value(s.tag_value.clone())
            .set_compliance_resource_id(s.compliance_resource_id.clone())
            .build()
    });
    Ok(ConfigRule::builder()
        .config_rule_name(name)
        .set_description(spec.description.clone())
        .set_source(source)
        .set_input_parameters(params)
        .set_scope(scope)
        .set_maximum_execution_frequency(
            spec.maximum_execution_frequency
                .map(|f| MaximumExecutionFrequency::from(f.as_str())),
        )
        .set_evaluation_modes(modes)
        .set_rule_evaluation_visibility(live.and_then(|l| l.rule_evaluation_visibility()).cloned())
        .build())
}

fn sdk_source(s: &RuleSource, debug: bool) -> Result<Source, aws_sdk_config::error::BuildError> {
    let details: Vec<SourceDetail> = s
        .message_types
        .iter()
        .map(|m| {
            SourceDetail::builder()
                .event_source(EventSource::AwsConfig)
                .message_type(aws_sdk_config::types::MessageType::from(m.as_str()))
                .build()
        })
        .collect();
    let policy = s
        .policy_text
        .as_ref()
        .map(|text| {
            CustomPolicyDetails::builder()
                .policy_runtime(POLICY_RUNTIME)
                .policy_text(text)
                .enable_debug_log_delivery(debug)
                .build()
        })
        .transpose()?;
    Source::builder()
        .owner(SdkOwner::from(s.owner.as_str()))
        .set_source_identifier(s.identifier.clone().or_else(|| s.lambda_arn.clone()))
        .set_source_details((!details.is_empty()).then_some(details))
        .set_custom_policy_details(policy)
        .build()
}

/// TagResource of `add`, UntagResource of `remove`: as for aggregators (Config holds
/// the tags of both).
pub async fn retag(
    clients: &Clients,
    arn: &str,
    add: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), AwsError> {
    super::aggregator::retag(clients, arn, add, remove).await
}

/// DeleteConfigRule; a rule already gone is done.
pub async fn delete_rule(clients: &Clients, name: &str) -> Result<(), AwsError> {
    match clients
        .config
        .delete_config_rule()
        .config_rule_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_config_rule_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(AwsError::call(
            clients,
            "config",
            "DeleteConfigRule",
            Some(name),
            e,
        )),
    }
}
