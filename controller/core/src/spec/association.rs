//! `Association`: an SSM State Manager association (a document run on targets on a
//! schedule), named by its association name.
//!
//! The document's parameters are checked by name and allowed values for AWS's own
//! documents an association commonly runs ([`AWS_DOCUMENTS`]); the account's own
//! documents are not known at commit time, so their parameters are AWS's to check.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::diagnostic::did_you_mean;
use super::rules::{self, Problem, ScheduleUse};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssociationSpec {
    /// The SSM document (name or ARN) the association runs, e.g. `AWS-RunPatchBaseline`.
    pub document: String,
    /// `$DEFAULT` (AWS's default), `$LATEST` or a version number. Unset: `$DEFAULT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_version: Option<String>,
    /// The document's parameters: name → values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Vec<String>>,
    /// Up to 5 targets (`tag:<key>`, `tag-key`, `InstanceIds`, `resource-groups:Name`,
    /// `resource-groups:ResourceTypeFilters`, `ParameterValues`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<AssociationTarget>,
    /// `cron(...)`, `rate(...)` (at least 30 minutes) or `at(...)` (once, UTC). Unset: the
    /// association runs once, when created or changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<String>,
    /// Run only at the cron times, not also right after it is created or changed (cron
    /// schedules only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub apply_only_at_cron_interval: bool,
    /// The compliance severity of the association. Unset: UNSPECIFIED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance_severity: Option<ComplianceSeverity>,
    /// How many targets run at once: a number (`10`) or a percentage (`10%`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<String>,
    /// Errors before the run stops: a number or a percentage (`0` allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_errors: Option<String>,
    /// Where command output goes (S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_location: Option<OutputLocation>,
    /// AUTO (the association reports compliance) or MANUAL. Unset: AUTO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_compliance: Option<SyncCompliance>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// One target: a key and its values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssociationTarget {
    pub key: String,
    pub values: Vec<String>,
}

/// An S3 output location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputLocation {
    pub bucket: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
    /// The bucket's region. Unset: the association's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComplianceSeverity {
    Critical,
    High,
    Medium,
    Low,
    Unspecified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SyncCompliance {
    Auto,
    Manual,
}

/// The target keys other than `tag:<key>` (SSM API reference, "Target").
pub const TARGET_KEYS: &[&str] = &[
    "InstanceIds",
    "tag-key",
    "resource-groups:Name",
    "resource-groups:ResourceTypeFilters",
    "ParameterValues",
    "AWS::EC2::Instance",
    "AWS::SSM::ManagedInstance",
];

/// AWS's own documents commonly associated, with their parameters (name, required,
/// allowed values), as each document's content declares them.
/// A document parameter: its name, whether it is required, its allowed values (empty:
/// any).
pub type DocumentParameter = (&'static str, bool, &'static [&'static str]);

pub const AWS_DOCUMENTS: &[(&str, &[DocumentParameter])] = &[
    (
        "AWS-RunPatchBaseline",
        &[
            ("Operation", true, &["Scan", "Install"]),
            ("SnapshotId", false, &[]),
            ("InstallOverrideList", false, &[]),
            ("BaselineOverride", false, &[]),
            ("RebootOption", false, &["RebootIfNeeded", "NoReboot"]),
        ],
    ),
    (
        "AWS-UpdateSSMAgent",
        &[
            ("version", false, &[]),
            ("allowDowngrade", false, &["true", "false"]),
        ],
    ),
    (
        "AWS-RunShellScript",
        &[
            ("commands", true, &[]),
            ("workingDirectory", false, &[]),
            ("executionTimeout", false, &[]),
        ],
    ),
    (
        "AWS-RunPowerShellScript",
        &[
            ("commands", true, &[]),
            ("workingDirectory", false, &[]),
            ("executionTimeout", false, &[]),
        ],
    ),
];

impl AssociationSpec {
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(
            &At::root().k("metadata").k("name"),
            rules::name("association name", name, 3, 128, "_-."),
        );
        cx.check(
            &at.k("document"),
            rules::name("document", &self.document, 3, 128, "_-.:/"),
        );
        if let Some(v) = &self.document_version {
            let number = v.parse::<u32>().is_ok_and(|n| n >= 1) && !v.starts_with('0');
            if !(number || v == "$DEFAULT" || v == "$LATEST") {
                cx.report(
                    &at.k("documentVersion"),
                    Problem::new(format!("documentVersion `{v}` is not a version"))
                        .hint("write `$DEFAULT`, `$LATEST` or a version number like `3`"),
                );
            }
        }
        self.check_schedule(cx);
        self.check_targets(cx);
        self.check_parameters(cx);
        for (field, value, zero) in [
            ("maxConcurrency", &self.max_concurrency, false),
            ("maxErrors", &self.max_errors, true),
        ] {
            if let Some(v) = value {
                cx.check(&at.k(field), rules::count_or_percent(field, v, zero));
            }
        }
        if let Some(out) = &self.output_location {
            let o = at.k("outputLocation");
            cx.check(&o.k("bucket"), rules::length("bucket", &out.bucket, 3, 63));
            if let Some(p) = &out.key_prefix {
                cx.check(&o.k("keyPrefix"), rules::max_len("keyPrefix", p, 500));
            }
            if let Some(r) = &out.region {
                cx.check(&o.k("region"), rules::region(r));
            }
        }
        cx.check_tags(&at.k("tags"), &self.tags);
        cx.check_tag_characters(&at.k("tags"), &self.tags);
    }

    /// The schedule (as maintenance windows take it, rates at least 30 minutes apart),
    /// and `applyOnlyAtCronInterval` with cron only.
    fn check_schedule(&self, cx: &mut Cx<'_>) {
        let at = At::spec();
        let schedule = self.schedule_expression.as_deref().map(str::trim);
        if let Some(s) = schedule {
            let checked = rules::schedule(s, ScheduleUse::MaintenanceWindow).and_then(|()| {
                let minutes = s
                    .strip_prefix("rate(")
                    .and_then(|r| r.strip_suffix(')'))
                    .and_then(|r| r.trim().strip_suffix("minutes"))
                    .and_then(|n| n.trim().parse::<u32>().ok());
                match minutes {
                    Some(n) if n < 30 => Err(Problem::new(format!(
                        "schedule `{s}`: associations run at most every 30 minutes"
                    ))
                    .hint("write `rate(30 minutes)` or longer")),
                    _ => Ok(()),
                }
            });
            cx.check(&at.k("scheduleExpression"), checked);
        }
        let cron = schedule.is_some_and(|s| s.starts_with("cron("));
        if self.apply_only_at_cron_interval && !cron {
            cx.report(
                &at.k("applyOnlyAtCronInterval"),
                Problem::new("applyOnlyAtCronInterval works with cron schedules only")
                    .hint("give a `scheduleExpression: cron(...)` or leave it out"),
            );
        }
    }

    fn check_targets(&self, cx: &mut Cx<'_>) {
        let at = At::spec().k("targets");
        if self.targets.is_empty() {
            cx.report(
                &At::spec(),
                Problem::new("an association needs at least one target")
                    .hint("e.g. `targets: [{key: \"tag:Patch Group\", values: [web]}]`"),
            );
        }
        cx.check(&at, rules::at_most("targets", self.targets.len(), 5));
        for (i, t) in self.targets.iter().enumerate() {
            let k = at.i(i).k("key");
            let tag = t.key.strip_prefix("tag:").is_some_and(|k| !k.is_empty());
            if !tag && !TARGET_KEYS.contains(&t.key.as_str()) {
                let mut candidates: Vec<&str> = TARGET_KEYS.to_vec();
                let as_tag = format!("tag:{}", t.key.split_once(':').map_or("", |(_, r)| r));
                candidates.push(&as_tag);
                let p = Problem::new(format!("target key `{}` is not one SSM knows", t.key));
                cx.report(
                    &k,
                    match did_you_mean(&t.key, candidates) {
                        Some(s) => p.hint(format!("did you mean `{s}`?")),
                        None => p.hint(
                            "use `tag:<key>`, `tag-key`, `InstanceIds` or `resource-groups:Name`",
                        ),
                    },
                );
            }
            let v = at.i(i).k("values");
            if t.values.is_empty() {
                cx.error(&v, format!("target `{}` needs at least one value", t.key));
            }
            cx.check(&v, rules::at_most("target values", t.values.len(), 50));
        }
    }

    /// Parameter names and values of AWS's documents of [`AWS_DOCUMENTS`].
    fn check_parameters(&self, cx: &mut Cx<'_>) {
        let Some((_, declared)) = AWS_DOCUMENTS.iter().find(|(d, _)| *d == self.document) else {
            return;
        };
        let at = At::spec().k("parameters");
        for (name, values) in &self.parameters {
            let Some((_, _, allowed)) = declared.iter().find(|(n, _, _)| n == name) else {
                let p = Problem::new(format!("{} has no parameter `{name}`", self.document));
                let hint = match did_you_mean(name, declared.iter().map(|(n, _, _)| *n)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "its parameters: {}",
                        declared
                            .iter()
                            .map(|(n, _, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                cx.report(&at.key_of(name), p.hint(hint));
                continue;
            };
            for (i, v) in values.iter().enumerate() {
                if !allowed.is_empty() && !allowed.contains(&v.as_str()) {
                    let p = Problem::new(format!("`{v}` is not a value of `{name}`"));
                    let hint = match did_you_mean(v, allowed.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("one of: {}", allowed.join(", ")),
                    };
                    cx.report(&at.k(name).i(i), p.hint(hint));
                }
            }
        }
        for (name, required, _) in declared.iter() {
            if *required && !self.parameters.contains_key(*name) {
                cx.report(
                    &At::spec(),
                    Problem::new(format!("{} needs the parameter `{name}`", self.document))
                        .hint(format!("add `parameters: {{{name}: [...]}}`")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::{parse, ResourceSpec, SourceFile};

    const GOOD: &str = "document: AWS-RunPatchBaseline
parameters: {Operation: [Scan]}
targets: [{key: \"tag:Patch Group\", values: [web]}]
scheduleExpression: cron(0 2 ? * * *)
applyOnlyAtCronInterval: true
complianceSeverity: HIGH
maxConcurrency: \"10%\"
maxErrors: \"1\"
outputLocation: {bucket: ops-logs, keyPrefix: ssm/}
syncCompliance: AUTO";

    /// `(line, column, message, hint)` of each problem of one Association document.
    fn problems(spec: &str) -> Vec<(usize, usize, String, Option<String>)> {
        let body: Vec<String> = spec.lines().map(|l| format!("  {l}")).collect();
        let text = format!(
            "apiVersion: driftless.dev/v1\nkind: Association\nmetadata:\n  name: patch-scan\nspec:\n{}\n",
            body.join("\n")
        );
        let file = SourceFile {
            relative: "a.yaml".into(),
            display: "a.yaml".into(),
            text,
        };
        match parse(&[file]) {
            Ok(_) => Vec::new(),
            Err(d) => d
                .into_iter()
                .map(|d| (d.line, d.column, d.message, d.hint))
                .collect(),
        }
    }

    #[test]
    fn every_field_reads() {
        assert_eq!(problems(GOOD), []);
        let file = SourceFile {
            relative: "a.yaml".into(),
            display: "a.yaml".into(),
            text: format!(
                "apiVersion: driftless.dev/v1\nkind: Association\nmetadata: {{name: scan}}\nspec:\n{}\n",
                GOOD.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
            ),
        };
        let state = parse(&[file]).expect("valid");
        let ResourceSpec::Association(a) = &state.resources[0].spec else {
            panic!("not an association");
        };
        assert_eq!(a.parameters["Operation"], ["Scan"]);
        assert_eq!(a.targets[0].key, "tag:Patch Group");
        assert!(a.apply_only_at_cron_interval);
        assert_eq!(
            a.output_location.as_ref().map(|o| o.bucket.as_str()),
            Some("ops-logs")
        );
    }

    #[test]
    fn an_unknown_field_is_located_with_a_suggestion() {
        let p = problems(&GOOD.replace("complianceSeverity", "complianceSeverty"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].0, p[0].1), (11, 3));
        assert!(p[0].2.contains("complianceSeverty"), "{p:?}");
        assert_eq!(
            p[0].3.as_deref(),
            Some("did you mean `complianceSeverity`?")
        );
    }

    #[test]
    fn a_bad_severity_is_located() {
        let p = problems(&GOOD.replace("HIGH", "SEVERE"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].0, p[0].1), (11, 23));
        assert!(p[0].2.contains("SEVERE"), "{p:?}");
    }

    #[test]
    fn schedules_are_checked_as_ssm_takes_them() {
        let p = problems(&GOOD.replace("cron(0 2 ? * * *)", "cron(0 2 * * *)"));
        assert_eq!((p.len(), p[0].0, p[0].1), (1, 9, 23), "{p:?}");
        let p = problems(&GOOD.replace("cron(0 2 ? * * *)", "rate(15 minutes)"));
        let messages: Vec<&str> = p.iter().map(|p| p.2.as_str()).collect();
        assert!(messages[0].contains("every 30 minutes"), "{p:?}");
        assert_eq!(
            messages[1],
            "applyOnlyAtCronInterval works with cron schedules only"
        );
        let rate = GOOD
            .replace("cron(0 2 ? * * *)", "rate(1 day)")
            .replace("applyOnlyAtCronInterval: true\n", "");
        assert_eq!(problems(&rate), []);
    }

    #[test]
    fn targets_and_parameters_get_suggestions() {
        let p = problems(&GOOD.replace("tag:Patch Group", "Tag:Patch Group"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].3.as_deref(), Some("did you mean `tag:Patch Group`?"));
        let p = problems(&GOOD.replace("{Operation: [Scan]}", "{Operaton: [Scan]}"));
        let hints: Vec<_> = p.iter().map(|p| p.3.clone()).collect();
        assert!(
            hints.contains(&Some("did you mean `Operation`?".into())),
            "{p:?}"
        );
        assert!(p
            .iter()
            .any(|p| p.2 == "AWS-RunPatchBaseline needs the parameter `Operation`"));
        let p = problems(&GOOD.replace("[Scan]", "[Scna]"));
        assert_eq!(p[0].3.as_deref(), Some("did you mean `Scan`?"), "{p:?}");
        let p = problems(&GOOD.replace("\"10%\"", "\"0\""));
        assert_eq!(p[0].2, "maxConcurrency `0` must be at least 1");
    }

    #[test]
    fn aws_defaults_and_target_order_do_not_count() {
        use crate::plan::normalise::association;
        let desired: super::AssociationSpec = serde_json::from_value(serde_json::json!({
            "document": "AWS-RunShellScript",
            "parameters": {"commands": ["b", "a"]},
            "targets": [{"key": "tag:Role", "values": ["web", "db"]}, {"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}],
            "scheduleExpression": "rate(1  day)"
        }))
        .expect("spec");
        let mut live = desired.clone();
        live.targets.reverse();
        live.targets[1].values.reverse();
        live.document_version = Some("$DEFAULT".into());
        live.compliance_severity = Some(super::ComplianceSeverity::Unspecified);
        live.sync_compliance = Some(super::SyncCompliance::Auto);
        live.schedule_expression = Some("rate(1 day)".into());
        assert_eq!(association(&desired, None), association(&live, None));
        // a script's commands keep their order
        live.parameters
            .insert("commands".into(), vec!["a".into(), "b".into()]);
        assert_ne!(association(&desired, None), association(&live, None));
    }
}
