//! The pure half of `driftless audit`: AWS Config-style verdicts of the guardrails of
//! driftless.yaml on live resources (COMPLIANT / NON_COMPLIANT per rule and resource).
//!
//! Live resources are read into the spec types (`crate::live`) by the AWS door, and
//! each guardrail is evaluated on them with the same functions validation uses on
//! documents (`crate::spec::guardrail`). [`evaluate_target`] is pure; reading lives in
//! the binary crate's `audit` module. Owned resources point at their spec file.
//! [`live_kinds`] says which kinds to read, and is also what the IAM policy grants
//! reads of for `driftless audit`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::live::{Live, LiveTarget, Tagged};
use crate::plan::TargetError;
use crate::spec::guardrail::{Enforcement, Evaluation, Guardrail, RuleName, Subject};
use crate::spec::{Kind, Resource};

/// AWS Config's compliance types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compliance {
    Compliant,
    NonCompliant,
}

impl Compliance {
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Compliant => "COMPLIANT",
            Compliance::NonCompliant => "NON_COMPLIANT",
        }
    }
}

/// One rule's verdict on one live resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceEvaluation {
    pub target: String,
    pub rule: RuleName,
    pub enforcement: Enforcement,
    pub kind: Kind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub compliance: Compliance,
    /// Why it is non-compliant (AWS Config's annotation), one entry per finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<String>,
    /// Whether this driftless instance owns the resource.
    pub owned: bool,
    /// `path:line` of the document that manages it, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// `audit --config-results`: AWS Config's own compliance of the deployed rule for
    /// this resource (`COMPLIANT`, `NON_COMPLIANT`, `NOT_APPLICABLE`), `null` when AWS
    /// Config has no result; absent without the flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
}

/// A resource driftless and AWS Config judge differently under the same rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Disagreement {
    pub target: String,
    pub rule: RuleName,
    pub kind: Kind,
    pub name: String,
    pub driftless: Compliance,
    pub config: String,
}

/// AWS Config's results of one deployed rule in one target: resource id → compliance.
pub type ConfigResults = BTreeMap<String, String>;

/// Sets each evaluation's `config` from AWS Config's results of its rule in its target
/// (`results` by target and rule; a rule absent there was not asked, and its
/// evaluations keep no `config`), and returns where the two evaluations disagree
/// (COMPLIANT against NON_COMPLIANT either way). AWS Config names log groups and
/// alarms by name, which is what is matched. Pure.
pub fn merge_config_results(
    evaluations: &mut [ResourceEvaluation],
    results: &BTreeMap<(String, RuleName), ConfigResults>,
) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for e in evaluations.iter_mut() {
        let Some(rule_results) = results.get(&(e.target.clone(), e.rule)) else {
            continue;
        };
        let verdict = rule_results.get(&e.name);
        e.config = Some(verdict.map_or(serde_json::Value::Null, |v| v.clone().into()));
        let disagree = matches!(
            (e.compliance, verdict.map(String::as_str)),
            (Compliance::Compliant, Some("NON_COMPLIANT"))
                | (Compliance::NonCompliant, Some("COMPLIANT"))
        );
        if disagree {
            out.push(Disagreement {
                target: e.target.clone(),
                rule: e.rule,
                kind: e.kind,
                name: e.name.clone(),
                driftless: e.compliance,
                config: verdict.cloned().unwrap_or_default(),
            });
        }
    }
    out
}

/// Counts over every evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditSummary {
    pub compliant: usize,
    pub non_compliant: usize,
}

/// The result of `driftless audit`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    pub format_version: u32,
    pub revision: String,
    /// The targets audited, in order.
    pub targets: Vec<String>,
    /// How many guardrails driftless.yaml has.
    pub guardrails: usize,
    pub summary: AuditSummary,
    /// Sorted by target, rule, kind and name.
    pub evaluations: Vec<ResourceEvaluation>,
    /// Targets that could not be read (none of their resources are evaluated), in
    /// order; as `plan`'s `errors`.
    #[serde(default)]
    pub errors: Vec<TargetError>,
    /// `audit --config-results`: where AWS Config's evaluation differs from driftless's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disagreements: Option<Vec<Disagreement>>,
}

impl Audit {
    pub fn new(
        revision: &str,
        targets: Vec<String>,
        guardrails: usize,
        mut evaluations: Vec<ResourceEvaluation>,
    ) -> Audit {
        evaluations.sort_by(|a, b| {
            (&a.target, a.rule, a.kind, &a.name).cmp(&(&b.target, b.rule, b.kind, &b.name))
        });
        let non_compliant = evaluations
            .iter()
            .filter(|e| e.compliance == Compliance::NonCompliant)
            .count();
        Audit {
            format_version: 1,
            revision: revision.to_string(),
            targets,
            guardrails,
            summary: AuditSummary {
                compliant: evaluations.len() - non_compliant,
                non_compliant,
            },
            evaluations,
            errors: Vec::new(),
            disagreements: None,
        }
    }

    /// Whether `target` failed to be read.
    pub fn failed(&self, target: &str) -> bool {
        self.errors.iter().any(|e| e.target == target)
    }
}

/// The kinds of live resources the guardrails look at.
pub fn live_kinds(guardrails: &[Guardrail]) -> BTreeSet<Kind> {
    guardrails
        .iter()
        .flat_map(|g| g.kinds())
        .filter(|k| *k != Kind::LogRetentionPolicy)
        .collect()
}

/// Non-compliant resources per rule (every rule of `guardrails` present, 0 included),
/// for status and metrics.
pub fn non_compliant_by_rule(
    guardrails: &[Guardrail],
    evaluations: &[ResourceEvaluation],
) -> BTreeMap<String, usize> {
    let mut out: BTreeMap<String, usize> = guardrails
        .iter()
        .map(|g| (g.rule.as_str().to_string(), 0))
        .collect();
    for e in evaluations
        .iter()
        .filter(|e| e.compliance == Compliance::NonCompliant)
    {
        *out.entry(e.rule.as_str().to_string()).or_default() += 1;
    }
    out
}

/// Findings a target's status keeps at most (the rest are counted).
pub const FINDINGS_KEPT: usize = 50;
/// Annotations a finding keeps at most, and characters of each.
const ANNOTATIONS_KEPT: usize = 3;
const ANNOTATION_CHARS: usize = 300;

/// The non-compliant evaluations, as the controller's `/status` and the dashboard
/// show them (the rule, the resource, whether driftless owns it and then its spec
/// file, where the fix goes): by rule, kind and name, at most `max`, each with at most
/// 3 annotations of 300 characters; and how many more there are.
pub fn findings(
    evaluations: &[ResourceEvaluation],
    max: usize,
) -> (Vec<ResourceEvaluation>, usize) {
    let mut broken: Vec<&ResourceEvaluation> = evaluations
        .iter()
        .filter(|e| e.compliance == Compliance::NonCompliant)
        .collect();
    broken.sort_by(|a, b| (a.rule, a.kind, &a.name).cmp(&(b.rule, b.kind, &b.name)));
    let omitted = broken.len().saturating_sub(max);
    let kept = broken
        .into_iter()
        .take(max)
        .map(|e| ResourceEvaluation {
            annotations: e
                .annotations
                .iter()
                .take(ANNOTATIONS_KEPT)
                .map(|a| cut(a, ANNOTATION_CHARS))
                .collect(),
            ..e.clone()
        })
        .collect();
    (kept, omitted)
}

/// `text` cut at `max` characters, with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A live resource as the guardrails see it.
struct LiveSubject<'a> {
    kind: Kind,
    name: &'a str,
    arn: Option<&'a str>,
    owned: bool,
    subject: Subject<'a>,
}

fn subject<'a, S: Tagged>(
    kind: Kind,
    live: &'a Live<S>,
    instance: &str,
    subject: Subject<'a>,
) -> LiveSubject<'a> {
    LiveSubject {
        kind,
        name: &live.name,
        arn: live.arn.as_deref(),
        owned: live.owned_by(instance),
        subject,
    }
}

fn subjects<'a>(live: &'a LiveTarget, instance: &str) -> Vec<LiveSubject<'a>> {
    let mut out = Vec::new();
    for a in &live.alarms {
        out.push(subject(
            Kind::MetricAlarm,
            a,
            instance,
            Subject::MetricAlarm(&a.spec),
        ));
    }
    for g in &live.log_groups {
        out.push(subject(
            Kind::LogGroup,
            g,
            instance,
            Subject::LogGroup(&g.spec),
        ));
    }
    for b in &live.patch_baselines {
        out.push(subject(
            Kind::PatchBaseline,
            b,
            instance,
            Subject::PatchBaseline(&b.spec),
        ));
    }
    for w in &live.maintenance_windows {
        let s = Subject::MaintenanceWindow(&w.spec);
        out.push(subject(Kind::MaintenanceWindow, w, instance, s));
    }
    for v in &live.backup_vaults {
        let s = Subject::BackupVault(&v.vault.spec);
        out.push(subject(Kind::BackupVault, &v.vault, instance, s));
    }
    for p in &live.backup_plans {
        out.push(subject(
            Kind::BackupPlan,
            p,
            instance,
            Subject::BackupPlan(&p.spec),
        ));
    }
    out
}

/// Every guardrail on every live resource of one target. Pure.
pub fn evaluate_target(
    target: &str,
    guardrails: &[Guardrail],
    live: &LiveTarget,
    desired: &[&Resource],
    instance: &str,
) -> Vec<ResourceEvaluation> {
    let specs: BTreeMap<(Kind, &str), String> = desired
        .iter()
        .map(|r| {
            let at = format!("{}:{}", r.origin.path, r.origin.line);
            ((r.kind(), r.name()), at)
        })
        .collect();
    let subjects = subjects(live, instance);
    let mut out = Vec::new();
    for g in guardrails {
        for s in &subjects {
            let Some(evaluation) = g.evaluate(s.name, s.subject) else {
                continue;
            };
            let (compliance, annotations) = match evaluation {
                Evaluation::Compliant => (Compliance::Compliant, Vec::new()),
                Evaluation::NonCompliant(findings) => (
                    Compliance::NonCompliant,
                    findings.into_iter().map(|f| f.message).collect(),
                ),
            };
            out.push(ResourceEvaluation {
                target: target.to_string(),
                rule: g.rule,
                enforcement: g.enforcement,
                kind: s.kind,
                name: s.name.to_string(),
                arn: s.arn.map(str::to_string),
                compliance,
                annotations,
                owned: s.owned,
                spec: specs.get(&(s.kind, s.name)).cloned(),
                config: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod config_results_tests {
    use super::*;

    fn eval(name: &str, compliance: Compliance) -> ResourceEvaluation {
        ResourceEvaluation {
            target: "prod".into(),
            rule: RuleName::CwLoggroupRetentionPeriodCheck,
            enforcement: Enforcement::Deny,
            kind: Kind::LogGroup,
            name: name.into(),
            arn: None,
            compliance,
            annotations: Vec::new(),
            owned: false,
            spec: None,
            config: None,
        }
    }

    #[test]
    fn config_results_are_set_and_disagreements_listed() {
        let mut evaluations = vec![
            eval("agree", Compliance::NonCompliant),
            eval("differ", Compliance::Compliant),
            eval("unseen", Compliance::Compliant),
        ];
        let results = BTreeMap::from([(
            ("prod".to_string(), RuleName::CwLoggroupRetentionPeriodCheck),
            ConfigResults::from([
                ("agree".to_string(), "NON_COMPLIANT".to_string()),
                ("differ".to_string(), "NON_COMPLIANT".to_string()),
            ]),
        )]);
        let disagreements = merge_config_results(&mut evaluations, &results);
        assert_eq!(evaluations[0].config, Some("NON_COMPLIANT".into()));
        assert_eq!(evaluations[2].config, Some(serde_json::Value::Null));
        assert_eq!(disagreements.len(), 1);
        assert_eq!(disagreements[0].name, "differ");
        assert_eq!(disagreements[0].config, "NON_COMPLIANT");
    }

    #[test]
    fn findings_are_the_non_compliant_ones_bounded_and_counted() {
        let mut owned = eval("b-owned", Compliance::NonCompliant);
        owned.owned = true;
        owned.spec = Some("logs.yaml:3".into());
        owned.annotations = vec!["é".repeat(400), "2".into(), "3".into(), "4".into()];
        let evaluations = vec![
            eval("c-not-owned", Compliance::NonCompliant),
            eval("ok", Compliance::Compliant),
            owned,
            eval("a-first", Compliance::NonCompliant),
        ];
        let (kept, omitted) = findings(&evaluations, 2);
        assert_eq!(omitted, 1);
        let names: Vec<&str> = kept.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a-first", "b-owned"]);
        assert!(kept[1].owned && !kept[0].owned);
        assert_eq!(kept[1].annotations.len(), 3);
        assert_eq!(kept[1].annotations[0].chars().count(), 301);
        assert!(kept[1].annotations[0].ends_with('…'));
        let json = serde_json::to_value(&kept[1]).unwrap();
        assert_eq!(json["rule"], "cw-loggroup-retention-period-check");
        assert_eq!(json["kind"], "LogGroup");
        assert_eq!(json["spec"], "logs.yaml:3");
        assert_eq!(json["owned"], true);
        assert_eq!(findings(&evaluations, 10), (findings(&evaluations, 3).0, 0));
    }
}
