//! AWS Config conformance packs (the `ConformancePack` kind).
//!
//! Reads: DescribeConformancePacks lists every pack of the region (20 a page, AWS's
//! largest), then for the packs `names` gives (desired or recorded; all of them for
//! `read_every`): ListTagsForResource (one call: 50 tags at most), the pack's rules
//! (DescribeConformancePackCompliance, 1,000 rule names a page) and those rules
//! (DescribeConfigRules, 25 names a call). AWS returns no template, so the live
//! pack's `template` is made of the rules it deployed, named as the template named
//! them (AWS deploys `<ConfigRuleName>-conformance-pack-<suffix>`), with the pack's
//! input parameters declared with their values as `Default`: that is what `import`
//! writes, and what the plan compares ([`template::deployed_rules`]). Calls per plan:
//! `max(1, ⌈P/20⌉) + k × (2 + ⌈rules/25⌉)`, P packs in the region, k of them named.
//!
//! Writes: PutConformancePack creates and updates (the whole pack: its template as
//! JSON text in `TemplateBody`, inputs, delivery bucket); tags go with the create
//! only ("Config will ignore these differences": its API reference), later changes
//! through TagResource / UntagResource. DeleteConformancePack deletes the pack and its
//! rules; NoSuchConformancePackException is "already gone".

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_config::types::{ConfigRule, ConformancePackDetail, ConformancePackInputParameter};
use serde_json::{json, Map, Value as J};

use crate::{AwsError, Clients};
use driftless_core::live::Live;
use driftless_core::spec::conformance_pack::template::{self, RULE_TYPE};
use driftless_core::spec::ConformancePackSpec;

/// DescribeConformancePacks' largest page.
const PAGE_SIZE: i32 = 20;
/// DescribeConformancePackCompliance's largest page.
const RULE_PAGE: i32 = 1000;
/// DescribeConfigRules takes at most 25 names.
const RULE_NAMES: usize = 25;

/// Every pack of the region, read whole (tags, rules) for those in `names`.
pub async fn read_packs(
    clients: &Clients,
    names: &BTreeSet<String>,
) -> Result<Vec<Live<ConformancePackSpec>>, AwsError> {
    read(clients, |name| names.contains(name)).await
}

/// Every pack of the region, read whole (`import` and `audit`).
pub async fn read_every_pack(
    clients: &Clients,
) -> Result<Vec<Live<ConformancePackSpec>>, AwsError> {
    read(clients, |_| true).await
}

async fn read(
    clients: &Clients,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<Live<ConformancePackSpec>>, AwsError> {
    let mut out = Vec::new();
    for pack in list(clients).await? {
        let mut live = to_live(&pack);
        if wanted(&live.name) {
            live.spec.tags =
                super::aggregator::list_tags(clients, pack.conformance_pack_arn()).await?;
            live.tags_known = true;
            let rules = pack_rules(clients, &live.name).await?;
            live.spec.template = Some(template_of(&rules, &live.spec.input_parameters));
        }
        out.push(live);
    }
    Ok(out)
}

async fn list(clients: &Clients) -> Result<Vec<ConformancePackDetail>, AwsError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .config
            .describe_conformance_packs()
            .limit(PAGE_SIZE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "config", "DescribeConformancePacks", None, e))?;
        out.extend(page.conformance_pack_details().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// The rules a pack deployed.
async fn pack_rules(clients: &Clients, pack: &str) -> Result<Vec<ConfigRule>, AwsError> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = clients
            .config
            .describe_conformance_pack_compliance()
            .conformance_pack_name(pack)
            .limit(RULE_PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                AwsError::call(
                    clients,
                    "config",
                    "DescribeConformancePackCompliance",
                    Some(pack),
                    e,
                )
            })?;
        names.extend(
            page.conformance_pack_rule_compliance_list()
                .iter()
                .filter_map(|r| r.config_rule_name().map(str::to_string)),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut rules = Vec::new();
    for chunk in names.chunks(RULE_NAMES) {
        let page = clients
            .config
            .describe_config_rules()
            .set_config_rule_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "config", "DescribeConfigRules", Some(pack), e))?;
        rules.extend(page.config_rules().iter().cloned());
    }
    Ok(rules)
}

/// One pack in spec form (tags and template not read yet).
fn to_live(p: &ConformancePackDetail) -> Live<ConformancePackSpec> {
    let input_parameters = p
        .conformance_pack_input_parameters()
        .iter()
        .map(|i| {
            (
                i.parameter_name().to_string(),
                i.parameter_value().to_string(),
            )
        })
        .collect();
    let unrepresented = p
        .template_ssm_document_details()
        .map(|_| vec!["templateSSMDocumentDetails".to_string()])
        .unwrap_or_default();
    Live {
        name: p.conformance_pack_name().to_string(),
        spec: ConformancePackSpec {
            template: None,
            template_file: None,
            input_parameters,
            delivery_s3_bucket: p
                .delivery_s3_bucket()
                .filter(|b| !b.is_empty())
                .map(str::to_string),
            delivery_s3_key_prefix: p
                .delivery_s3_key_prefix()
                .filter(|b| !b.is_empty())
                .map(str::to_string),
            tags: BTreeMap::new(),
        },
        arn: Some(p.conformance_pack_arn().to_string()),
        id: Some(p.conformance_pack_id().to_string()),
        sub_ids: BTreeMap::new(),
        tags_known: false,
        unrepresented,
    }
}

/// A template deploying `rules` as they are (parameters already resolved into them),
/// declaring the pack's `inputs` with their values as defaults.
fn template_of(rules: &[ConfigRule], inputs: &BTreeMap<String, String>) -> J {
    let mut resources = Map::new();
    for rule in rules {
        let name = template::template_rule_name(rule.config_rule_name().unwrap_or_default());
        let id = template::logical_id(name, &resources);
        let mut props = rule_properties(rule);
        props.insert("ConfigRuleName".into(), J::from(name));
        resources.insert(id, json!({"Type": RULE_TYPE, "Properties": props}));
    }
    let parameters: Map<String, J> = inputs
        .iter()
        .map(|(k, v)| (k.clone(), json!({"Type": "String", "Default": v})))
        .collect();
    let mut t = Map::new();
    if !parameters.is_empty() {
        t.insert("Parameters".into(), J::Object(parameters));
    }
    t.insert("Resources".into(), J::Object(resources));
    J::Object(t)
}

/// A deployed rule as a template's `AWS::Config::ConfigRule` properties.
fn rule_properties(rule: &ConfigRule) -> Map<String, J> {
    let mut p = Map::new();
    if let Some(s) = rule.source() {
        let mut source = Map::new();
        source.insert("Owner".into(), J::from(s.owner().as_str()));
        if let Some(id) = s.source_identifier() {
            source.insert("SourceIdentifier".into(), J::from(id));
        }
        let details: Vec<J> = s
            .source_details()
            .iter()
            .map(|d| {
                let mut o = Map::new();
                if let Some(e) = d.event_source() {
                    o.insert("EventSource".into(), J::from(e.as_str()));
                }
                if let Some(m) = d.message_type() {
                    o.insert("MessageType".into(), J::from(m.as_str()));
                }
                if let Some(f) = d.maximum_execution_frequency() {
                    o.insert("MaximumExecutionFrequency".into(), J::from(f.as_str()));
                }
                J::Object(o)
            })
            .collect();
        if !details.is_empty() {
            source.insert("SourceDetails".into(), J::Array(details));
        }
        if let Some(c) = s.custom_policy_details() {
            source.insert(
                "CustomPolicyDetails".into(),
                json!({"PolicyRuntime": c.policy_runtime(), "PolicyText": c.policy_text()}),
            );
        }
        p.insert("Source".into(), J::Object(source));
    }
    if let Some(params) = rule
        .input_parameters()
        .and_then(|t| serde_json::from_str::<J>(t).ok())
    {
        p.insert("InputParameters".into(), params);
    }
    if let Some(s) = rule.scope() {
        let mut scope = Map::new();
        if !s.compliance_resource_types().is_empty() {
            scope.insert(
                "ComplianceResourceTypes".into(),
                json!(s.compliance_resource_types()),
            );
        }
        for (k, v) in [
            ("TagKey", s.tag_key()),
            ("TagValue", s.tag_value()),
            ("ComplianceResourceId", s.compliance_resource_id()),
        ] {
            if let Some(v) = v {
                scope.insert(k.into(), J::from(v));
            }
        }
        if !scope.is_empty() {
            p.insert("Scope".into(), J::Object(scope));
        }
    }
    if let Some(f) = rule.maximum_execution_frequency() {
        p.insert("MaximumExecutionFrequency".into(), J::from(f.as_str()));
    }
    if let Some(d) = rule.description().filter(|d| !d.is_empty()) {
        p.insert("Description".into(), J::from(d));
    }
    p
}

/// PutConformancePack of the whole pack; `tags` (ownership tag included) on a create.
pub async fn put_pack(
    clients: &Clients,
    name: &str,
    spec: &ConformancePackSpec,
    tags: Option<&BTreeMap<String, String>>,
) -> Result<(), AwsError> {
    let put = "PutConformancePack";
    let body = spec
        .template
        .as_ref()
        .and_then(|t| serde_json::to_string(t).ok())
        .ok_or_else(|| AwsError::Setup {
            target: clients.target.clone(),
            message: format!("conformance pack {name}: no template to send with {put}"),
            hint: "this is a driftless bug (the template file was not read); please report it"
                .into(),
        })?;
    let inputs: Vec<ConformancePackInputParameter> = spec
        .input_parameters
        .iter()
        .filter_map(|(k, v)| {
            ConformancePackInputParameter::builder()
                .parameter_name(k)
                .parameter_value(v)
                .build()
                .ok()
        })
        .collect();
    clients
        .config
        .put_conformance_pack()
        .conformance_pack_name(name)
        .template_body(body)
        .set_conformance_pack_input_parameters((!inputs.is_empty()).then_some(inputs))
        .set_delivery_s3_bucket(spec.delivery_s3_bucket.clone())
        .set_delivery_s3_key_prefix(spec.delivery_s3_key_prefix.clone())
        .set_tags(tags.map(super::aggregator::tag_list))
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "config", put, Some(name), e))?;
    Ok(())
}

/// DeleteConformancePack; one already gone is done.
pub async fn delete_pack(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let sent = clients
        .config
        .delete_conformance_pack()
        .conformance_pack_name(name)
        .send()
        .await;
    super::aggregator::gone_is_done(
        clients,
        ("DeleteConformancePack", "NoSuchConformancePackException"),
        name,
        sent,
    )
}
