//! A conformance pack's template: what validation checks in it, and the rules it
//! deploys (its `AWS::Config::ConfigRule` resources with `Ref`s to its parameters
//! resolved), which is what the plan compares: AWS returns no template, only the
//! rules a pack deployed (see docs/design/aws-config.md, "ConformancePack").
//!
//! A problem is a path into the template (keys and indexes as text) and what is
//! wrong; the caller reports it where the template is (the document's
//! `spec.template`, or the template file).

use std::collections::BTreeMap;

use serde_json::{Map, Value as J};

use crate::spec::diagnostic::did_you_mean;
use crate::spec::rules::Problem;

/// The resource types a conformance pack template may hold ("Conformance Pack
/// Templates", AWS Config developer guide).
pub const RULE_TYPE: &str = "AWS::Config::ConfigRule";
pub const REMEDIATION_TYPE: &str = "AWS::Config::RemediationConfiguration";
const TYPES: &[&str] = &[RULE_TYPE, REMEDIATION_TYPE];
/// TemplateBody's maximum length (the API model), of the JSON driftless sends.
pub const MAX_TEMPLATE_BYTES: usize = 51_200;
/// The rule owners AWS Config knows.
const OWNERS: &[&str] = &["AWS", "CUSTOM_LAMBDA", "CUSTOM_POLICY"];
/// Pseudo parameters a template may `Ref` without declaring them.
const PSEUDO: &[&str] = &[
    "AWS::NoValue",
    "AWS::AccountId",
    "AWS::Region",
    "AWS::Partition",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::URLSuffix",
];

/// One problem in a template, at `path` (keys and list indexes).
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateProblem {
    pub path: Vec<String>,
    pub problem: Problem,
}

fn at(path: &[&str], problem: Problem) -> TemplateProblem {
    TemplateProblem {
        path: path.iter().map(|s| s.to_string()).collect(),
        problem,
    }
}

/// Everything wrong with `template` as a conformance pack template.
pub fn check(template: &J) -> Vec<TemplateProblem> {
    let mut out = Vec::new();
    let Some(doc) = template.as_object() else {
        out.push(at(
            &[],
            Problem::new("the conformance pack template is not a mapping").hint(
                "a template is a mapping with `Resources` (AWS::Config::ConfigRule resources) and optional `Parameters`",
            ),
        ));
        return out;
    };
    let size = serde_json::to_string(template).map_or(0, |s| s.len());
    if size > MAX_TEMPLATE_BYTES {
        out.push(at(
            &[],
            Problem::new(format!(
                "the template is {size} bytes as sent; AWS takes at most {MAX_TEMPLATE_BYTES}"
            ))
            .hint("split the rules over two conformance packs"),
        ));
    }
    let declared = parameters(template);
    match doc.get("Resources").and_then(J::as_object) {
        Some(resources) if !resources.is_empty() => {
            for (logical, resource) in resources {
                check_resource(logical, resource, &declared, &mut out);
            }
        }
        _ => out.push(at(
            &["Resources"],
            Problem::new("the template has no `Resources`").hint(
                "add `Resources:` with at least one `Type: AWS::Config::ConfigRule` resource",
            ),
        )),
    }
    out
}

fn check_resource(
    logical: &str,
    resource: &J,
    declared: &BTreeMap<String, Option<String>>,
    out: &mut Vec<TemplateProblem>,
) {
    let path = ["Resources", logical];
    if logical.is_empty() || !logical.chars().all(|c| c.is_ascii_alphanumeric()) {
        out.push(at(
            &path,
            Problem::new(format!("logical id `{logical}` is not alphanumeric"))
                .hint("AWS (CloudFormation) takes letters and digits only: `S3BucketVersioning`"),
        ));
    }
    let kind = resource.get("Type").and_then(J::as_str).unwrap_or_default();
    if !TYPES.contains(&kind) {
        let hint = match did_you_mean(kind, TYPES.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("a conformance pack holds {} resources", TYPES.join(" and ")),
        };
        out.push(at(
            &["Resources", logical, "Type"],
            Problem::new(format!("`{kind}` is not a conformance pack resource type")).hint(hint),
        ));
        return;
    }
    let props = resource.get("Properties");
    refs(
        props.unwrap_or(&J::Null),
        declared,
        &mut vec![],
        logical,
        out,
    );
    if kind != RULE_TYPE {
        return;
    }
    match props.and_then(|p| p.get("Source")) {
        Some(source) if source.is_object() => {
            let owner = source.get("Owner").and_then(J::as_str).unwrap_or_default();
            if !OWNERS.contains(&owner) {
                out.push(at(
                    &["Resources", logical, "Properties", "Source", "Owner"],
                    Problem::new(format!("`{owner}` is not a rule owner"))
                        .hint("use AWS, CUSTOM_LAMBDA or CUSTOM_POLICY"),
                ));
            }
        }
        _ => out.push(at(
            &["Resources", logical, "Properties"],
            Problem::new(format!("rule `{logical}` has no `Source`")).hint(
                "add `Source: {Owner: AWS, SourceIdentifier: ...}` (the managed rule's identifier)",
            ),
        )),
    }
}

/// Every `{Ref: name}` under `value` names a declared parameter or a pseudo one.
fn refs(
    value: &J,
    declared: &BTreeMap<String, Option<String>>,
    path: &mut Vec<String>,
    logical: &str,
    out: &mut Vec<TemplateProblem>,
) {
    match value {
        J::Object(map) => {
            if let (1, Some(J::String(name))) = (map.len(), map.get("Ref")) {
                if !declared.contains_key(name) && !PSEUDO.contains(&name.as_str()) {
                    let hint = match did_you_mean(name, declared.keys().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => {
                            format!("declare it under `Parameters:` ({name}: {{Type: String}})")
                        }
                    };
                    let mut full = vec!["Resources".into(), logical.into(), "Properties".into()];
                    full.extend(path.iter().cloned());
                    full.push("Ref".into());
                    out.push(TemplateProblem {
                        path: full,
                        problem: Problem::new(format!(
                            "`Ref: {name}` names no parameter of the template"
                        ))
                        .hint(hint),
                    });
                }
                return;
            }
            for (k, v) in map {
                path.push(k.clone());
                refs(v, declared, path, logical, out);
                path.pop();
            }
        }
        J::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(i.to_string());
                refs(v, declared, path, logical, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The template's declared parameters with their `Default` as text.
pub fn parameters(template: &J) -> BTreeMap<String, Option<String>> {
    template
        .get("Parameters")
        .and_then(J::as_object)
        .into_iter()
        .flatten()
        .map(|(name, p)| (name.clone(), p.get("Default").map(text)))
        .collect()
}

/// A scalar as AWS takes parameter values: text.
fn text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        J::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// The rules the template deploys with `inputs`: the template's `ConfigRuleName`
/// (else the logical id) → the rule's properties, normalised ([`rule`]).
pub fn deployed_rules(template: &J, inputs: &BTreeMap<String, String>) -> Map<String, J> {
    let mut values: BTreeMap<String, String> = parameters(template)
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
    values.extend(inputs.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut out = Map::new();
    let resources = template.get("Resources").and_then(J::as_object);
    for (logical, resource) in resources.into_iter().flatten() {
        if resource.get("Type").and_then(J::as_str) != Some(RULE_TYPE) {
            continue;
        }
        let props = resolve(resource.get("Properties").unwrap_or(&J::Null), &values);
        let name = props
            .get("ConfigRuleName")
            .and_then(J::as_str)
            .unwrap_or(logical)
            .to_string();
        out.insert(name, rule(&props));
    }
    out
}

/// `{Ref: p}` replaced by the parameter's value (`AWS::NoValue`: the key removed).
fn resolve(value: &J, values: &BTreeMap<String, String>) -> J {
    match value {
        J::Object(map) => {
            if let (1, Some(J::String(name))) = (map.len(), map.get("Ref")) {
                if let Some(v) = values.get(name) {
                    return J::String(v.clone());
                }
            }
            J::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), resolve(v, values)))
                    .filter(|(_, v)| v.get("Ref") != Some(&J::from("AWS::NoValue")))
                    .collect(),
            )
        }
        J::Array(items) => J::Array(items.iter().map(|v| resolve(v, values)).collect()),
        other => other.clone(),
    }
}

/// A rule's properties as compared: `Source` (owner, identifier, message types
/// sorted, a Guard policy's text), `InputParameters` as a map of text (AWS keeps
/// the JSON text; a template may write a map or the text), `Scope` (resource types
/// sorted), `MaximumExecutionFrequency`, `Description` (empty is absent).
pub fn rule(props: &J) -> J {
    let mut out = Map::new();
    if let Some(source) = props.get("Source").and_then(J::as_object) {
        let mut s = Map::new();
        for key in ["Owner", "SourceIdentifier"] {
            if let Some(v) = source.get(key).filter(|v| !v.is_null()) {
                s.insert(key.into(), J::String(text(v)));
            }
        }
        if let Some(J::Array(details)) = source.get("SourceDetails") {
            let mut d: Vec<J> = details.to_vec();
            d.sort_by_key(|x| x.to_string());
            if !d.is_empty() {
                s.insert("SourceDetails".into(), J::Array(d));
            }
        }
        if let Some(p) = source
            .get("CustomPolicyDetails")
            .and_then(|p| p.get("PolicyText"))
        {
            s.insert("PolicyText".into(), J::String(text(p)));
        }
        out.insert("Source".into(), J::Object(s));
    }
    let params = input_parameters(props.get("InputParameters"));
    if !params.is_empty() {
        out.insert("InputParameters".into(), J::Object(params));
    }
    if let Some(scope) = props.get("Scope").and_then(J::as_object) {
        let mut s = scope.clone();
        if let Some(J::Array(types)) = s.get_mut("ComplianceResourceTypes") {
            types.sort_by_key(|x| x.to_string());
        }
        s.retain(|_, v| !v.is_null() && v != &J::Array(vec![]));
        if !s.is_empty() {
            out.insert("Scope".into(), J::Object(s));
        }
    }
    for key in ["MaximumExecutionFrequency", "Description"] {
        if let Some(v) = props.get(key).filter(|v| !v.is_null() && *v != "") {
            out.insert(key.into(), J::String(text(v)));
        }
    }
    J::Object(out)
}

/// InputParameters as a map of text: a map, or the JSON text of one.
fn input_parameters(value: Option<&J>) -> Map<String, J> {
    let parsed;
    let map = match value {
        Some(J::String(s)) => {
            parsed = serde_json::from_str::<J>(s).unwrap_or(J::Null);
            parsed.as_object()
        }
        Some(v) => v.as_object(),
        None => None,
    };
    map.into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), J::String(text(v))))
        .collect()
}

/// The name of a pack's rule as the template gave it: AWS names the rules it deploys
/// `<ConfigRuleName>-conformance-pack-<suffix>`.
pub fn template_rule_name(deployed: &str) -> &str {
    match deployed.rfind("-conformance-pack-") {
        Some(i) => &deployed[..i],
        None => deployed,
    }
}

/// A CloudFormation logical id for a rule name (`s3-bucket-versioning` →
/// `S3BucketVersioning`), unique among `taken`.
pub fn logical_id(name: &str, taken: &Map<String, J>) -> String {
    let mut id = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    if id.is_empty() {
        id.push_str("Rule");
    }
    let mut unique = id.clone();
    let mut n = 2;
    while taken.contains_key(&unique) {
        unique = format!("{id}{n}");
        n += 1;
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_resolve_to_inputs_then_defaults_and_input_parameters_are_text() {
        let t = json!({
            "Parameters": {"Days": {"Type": "String", "Default": 90}, "Kind": {"Type": "String"}},
            "Resources": {"Ret": {"Type": RULE_TYPE, "Properties": {
                "ConfigRuleName": "ret",
                "Source": {"Owner": "AWS", "SourceIdentifier": "CW_LOGGROUP_RETENTION_PERIOD_CHECK"},
                "InputParameters": {"MinRetentionTime": {"Ref": "Days"}},
                "Scope": {"ComplianceResourceTypes": ["B", "A"], "TagKey": {"Ref": "AWS::NoValue"}}
            }}}
        });
        assert!(check(&t).is_empty(), "{:?}", check(&t));
        let defaults = deployed_rules(&t, &BTreeMap::new());
        assert_eq!(
            defaults["ret"]["InputParameters"],
            json!({"MinRetentionTime": "90"})
        );
        assert_eq!(
            defaults["ret"]["Scope"],
            json!({"ComplianceResourceTypes": ["A", "B"]})
        );
        let inputs = BTreeMap::from([("Days".to_string(), "365".to_string())]);
        let given = deployed_rules(&t, &inputs);
        assert_eq!(
            given["ret"]["InputParameters"],
            json!({"MinRetentionTime": "365"})
        );
        // AWS's form (JSON text) is the same rule.
        let aws = rule(
            &json!({"Source": {"Owner": "AWS", "SourceIdentifier": "CW_LOGGROUP_RETENTION_PERIOD_CHECK"},
            "InputParameters": "{\"MinRetentionTime\":\"365\"}", "Scope": {"ComplianceResourceTypes": ["A", "B"]}, "Description": ""}),
        );
        assert_eq!(given["ret"], aws);
    }

    #[test]
    fn problems_are_found_where_they_are() {
        let t = json!({"Parameters": {"Days": {}}, "Resources": {
            "bad-id": {"Type": "AWS::Config::ConfigRul", "Properties": {}},
            "NoSource": {"Type": RULE_TYPE, "Properties": {"InputParameters": {"x": {"Ref": "Dayz"}}}}
        }});
        let p = check(&t);
        let mut paths: Vec<String> = p.iter().map(|p| p.path.join(".")).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "Resources.NoSource.Properties",
                "Resources.NoSource.Properties.InputParameters.x.Ref",
                "Resources.bad-id",
                "Resources.bad-id.Type"
            ],
            "{p:?}"
        );
        let hint = |path: &str| {
            p.iter()
                .find(|p| p.path.join(".") == path)
                .and_then(|p| p.problem.hint.clone())
        };
        assert_eq!(
            hint("Resources.NoSource.Properties.InputParameters.x.Ref").as_deref(),
            Some("did you mean `Days`?")
        );
        assert_eq!(
            hint("Resources.bad-id.Type").as_deref(),
            Some("did you mean `AWS::Config::ConfigRule`?")
        );
        assert_eq!(check(&json!(["x"]))[0].path, Vec::<String>::new());
        assert!(check(&json!({"Resources": {}}))[0]
            .problem
            .message
            .contains("no `Resources`"));
    }

    #[test]
    fn deployed_names_lose_their_suffix_and_logical_ids_are_alphanumeric() {
        assert_eq!(
            template_rule_name("s3-versioning-conformance-pack-ab12cd34"),
            "s3-versioning"
        );
        assert_eq!(template_rule_name("plain"), "plain");
        let mut taken = Map::new();
        assert_eq!(
            logical_id("s3-bucket-versioning", &taken),
            "S3BucketVersioning"
        );
        taken.insert("S3BucketVersioning".into(), J::Null);
        assert_eq!(
            logical_id("s3_bucket_versioning", &taken),
            "S3BucketVersioning2"
        );
    }
}
