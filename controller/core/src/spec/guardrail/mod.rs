//! Guardrails: rules every resource must follow, named and parameterised like the AWS
//! Config managed rules (plus three of driftless's own), from driftless.yaml
//! `guardrails`. Pure: no I/O.
//!
//! The same evaluation serves two places: `validate` (and so plan, apply and run)
//! checks every document against them, so a revision that breaks a `deny` guardrail
//! is invalid and never applied; `driftless audit` checks every live resource of the
//! rules' kinds, owned or not, the way AWS Config reports its evaluations. Live
//! resources are read into the spec types (`crate::live`), so one function decides
//! both. A rule sees the resource's spec only; what AWS fills in when a spec is silent
//! is taken as AWS's default (an alarm without `actionsEnabled` has them enabled).

mod alarms;
mod backup;
pub mod deploy;
mod logs;
pub mod params;
mod ssm;
mod tags;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::spec::context::{At, Cx};
use crate::spec::rules::Problem;
use crate::spec::{
    BackupPlanSpec, BackupVaultSpec, CompositeAlarmSpec, Kind, LogGroupSpec,
    LogRetentionPolicySpec, MaintenanceWindowSpec, MetricAlarmSpec, PatchBaselineSpec,
    ResourceSpec,
};
use params::Params;

/// One entry of driftless.yaml `guardrails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Guardrail {
    /// The AWS Config managed rule's identifier in lowercase
    /// (`cw-loggroup-retention-period-check`), or one of driftless's own.
    pub rule: RuleName,
    /// The rule's parameters, named as AWS Config names them in lowerCamelCase; absent
    /// ones take AWS's defaults. Values are text, numbers or true/false (`365` and
    /// `"365"` are one value).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "parameters_schema")]
    pub parameters: BTreeMap<String, String>,
    /// Only these kinds (default: every kind the rule evaluates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<Vec<Kind>>,
    /// `deny` (default): a document breaking the rule makes the revision invalid;
    /// `warn`: it is reported and applied anyway.
    #[serde(default)]
    pub enforcement: Enforcement,
    /// Also put the rule into AWS Config, in every target, as the managed rule of the
    /// same name (AWS's identifier and parameter spelling, the scope from `kinds`):
    /// checked at commit time by driftless and continuously by AWS Config.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deploy: bool,
}

/// `parameters` as written: AWS Config passes every value as text, and validation
/// reads a plain `365` or `true` as that text (`params`), so the published schema
/// accepts numbers and booleans too (a list or a mapping is refused by both; the
/// description is the field's doc comment).
fn parameters_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": {"type": ["string", "number", "boolean"]}
    })
}

/// What a broken guardrail does to a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Enforcement {
    #[default]
    Deny,
    Warn,
}

/// The rules driftless evaluates.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RuleName {
    CwLoggroupRetentionPeriodCheck,
    CloudwatchAlarmActionCheck,
    CloudwatchAlarmActionEnabledCheck,
    CloudwatchAlarmSettingsCheck,
    CloudwatchLogGroupEncrypted,
    RequiredTags,
    BackupPlanMinFrequencyAndMinRetentionCheck,
    BackupRecoveryPointMinimumRetentionCheck,
    MaintenanceWindowCutoffCheck,
    PatchBaselineApprovalCheck,
    MaintenanceBackupOverlapCheck,
}

/// Kinds that carry tags (every kind but LogRetentionPolicy).
const TAGGED: &[Kind] = &[
    Kind::MetricAlarm,
    Kind::LogGroup,
    Kind::PatchBaseline,
    Kind::MaintenanceWindow,
    Kind::BackupVault,
    Kind::BackupPlan,
];

impl RuleName {
    pub const ALL: &'static [RuleName] = &[
        RuleName::CwLoggroupRetentionPeriodCheck,
        RuleName::CloudwatchAlarmActionCheck,
        RuleName::CloudwatchAlarmActionEnabledCheck,
        RuleName::CloudwatchAlarmSettingsCheck,
        RuleName::CloudwatchLogGroupEncrypted,
        RuleName::RequiredTags,
        RuleName::BackupPlanMinFrequencyAndMinRetentionCheck,
        RuleName::BackupRecoveryPointMinimumRetentionCheck,
        RuleName::MaintenanceWindowCutoffCheck,
        RuleName::PatchBaselineApprovalCheck,
        RuleName::MaintenanceBackupOverlapCheck,
    ];

    /// The name written in driftless.yaml.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleName::CwLoggroupRetentionPeriodCheck => "cw-loggroup-retention-period-check",
            RuleName::CloudwatchAlarmActionCheck => "cloudwatch-alarm-action-check",
            RuleName::CloudwatchAlarmActionEnabledCheck => "cloudwatch-alarm-action-enabled-check",
            RuleName::CloudwatchAlarmSettingsCheck => "cloudwatch-alarm-settings-check",
            RuleName::CloudwatchLogGroupEncrypted => "cloudwatch-log-group-encrypted",
            RuleName::RequiredTags => "required-tags",
            RuleName::BackupPlanMinFrequencyAndMinRetentionCheck => {
                "backup-plan-min-frequency-and-min-retention-check"
            }
            RuleName::BackupRecoveryPointMinimumRetentionCheck => {
                "backup-recovery-point-minimum-retention-check"
            }
            RuleName::MaintenanceWindowCutoffCheck => "maintenance-window-cutoff-check",
            RuleName::PatchBaselineApprovalCheck => "patch-baseline-approval-check",
            RuleName::MaintenanceBackupOverlapCheck => "maintenance-backup-overlap-check",
        }
    }

    /// Where the rule is documented: the AWS Config developer guide for managed
    /// rules, ARCHITECTURE.md for driftless's own.
    pub fn documentation(self) -> String {
        match self {
            RuleName::MaintenanceWindowCutoffCheck | RuleName::PatchBaselineApprovalCheck => {
                "ARCHITECTURE.md, \"Guardrails\"".to_string()
            }
            RuleName::MaintenanceBackupOverlapCheck => {
                "docs/design/schedule.md, \"The overlap guardrail\"".to_string()
            }
            managed => {
                format!("https://docs.aws.amazon.com/config/latest/developerguide/{managed}.html")
            }
        }
    }

    /// The kinds the rule evaluates.
    pub fn kinds(self) -> &'static [Kind] {
        match self {
            // A LogRetentionPolicy sets the retention of the groups it governs, so it
            // breaks the rule whenever the groups it sets would.
            RuleName::CwLoggroupRetentionPeriodCheck => &[Kind::LogGroup, Kind::LogRetentionPolicy],
            RuleName::CloudwatchLogGroupEncrypted => &[Kind::LogGroup],
            RuleName::CloudwatchAlarmActionCheck
            | RuleName::CloudwatchAlarmActionEnabledCheck
            | RuleName::CloudwatchAlarmSettingsCheck => &[Kind::MetricAlarm],
            RuleName::RequiredTags => TAGGED,
            RuleName::BackupPlanMinFrequencyAndMinRetentionCheck
            | RuleName::BackupRecoveryPointMinimumRetentionCheck => &[Kind::BackupPlan],
            RuleName::MaintenanceWindowCutoffCheck => &[Kind::MaintenanceWindow],
            RuleName::PatchBaselineApprovalCheck => &[Kind::PatchBaseline],
            // Evaluated across documents, with the time validation runs at
            // (`crate::schedule::guardrail`), not one resource at a time: `evaluate`
            // answers `None` for it.
            RuleName::MaintenanceBackupOverlapCheck => &[Kind::MaintenanceWindow, Kind::BackupPlan],
        }
    }
}

impl fmt::Display for RuleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Guardrail {
    /// The kinds this guardrail evaluates: the rule's, narrowed by `kinds`.
    pub fn kinds(&self) -> Vec<Kind> {
        let all = self.rule.kinds();
        match &self.kinds {
            Some(only) => all.iter().copied().filter(|k| only.contains(k)).collect(),
            None => all.to_vec(),
        }
    }

    pub fn params(&self) -> Params<'_> {
        Params::new(self.rule, &self.parameters)
    }

    /// Evaluates one resource: `None` when the guardrail does not apply to it (another
    /// kind, or outside the rule's own scope, e.g. an alarm on another metric).
    pub fn evaluate(&self, name: &str, subject: Subject<'_>) -> Option<Evaluation> {
        if !self.kinds().contains(&subject.kind()) {
            return None;
        }
        let p = self.params();
        let findings = match (self.rule, subject) {
            (RuleName::CwLoggroupRetentionPeriodCheck, s) => logs::retention(p, name, s)?,
            (RuleName::CloudwatchLogGroupEncrypted, Subject::LogGroup(g)) => logs::encrypted(p, g),
            (RuleName::CloudwatchAlarmActionCheck, Subject::MetricAlarm(a)) => {
                alarms::actions(p, a)
            }
            (RuleName::CloudwatchAlarmActionEnabledCheck, Subject::MetricAlarm(a)) => {
                alarms::actions_enabled(a)
            }
            (RuleName::CloudwatchAlarmSettingsCheck, Subject::MetricAlarm(a)) => {
                alarms::settings(p, a)?
            }
            (RuleName::RequiredTags, s) => tags::required(p, s.tags()?),
            (RuleName::BackupPlanMinFrequencyAndMinRetentionCheck, Subject::BackupPlan(b)) => {
                backup::frequency_and_retention(p, b)
            }
            (RuleName::BackupRecoveryPointMinimumRetentionCheck, Subject::BackupPlan(b)) => {
                backup::recovery_point_retention(p, b)
            }
            (RuleName::MaintenanceWindowCutoffCheck, Subject::MaintenanceWindow(w)) => {
                ssm::cutoff(p, w)
            }
            (RuleName::PatchBaselineApprovalCheck, Subject::PatchBaseline(b)) => {
                ssm::approval(p, b)
            }
            _ => return None,
        };
        Some(if findings.is_empty() {
            Evaluation::Compliant
        } else {
            Evaluation::NonCompliant(findings)
        })
    }
}

/// A resource a guardrail looks at: a document's spec, or a live resource read into
/// the same type.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    MetricAlarm(&'a MetricAlarmSpec),
    LogGroup(&'a LogGroupSpec),
    LogRetentionPolicy(&'a LogRetentionPolicySpec),
    PatchBaseline(&'a PatchBaselineSpec),
    MaintenanceWindow(&'a MaintenanceWindowSpec),
    BackupVault(&'a BackupVaultSpec),
    BackupPlan(&'a BackupPlanSpec),
    /// No AWS Config rule evaluates metric filters; a subject so every kind has one.
    MetricFilter(&'a crate::spec::MetricFilterSpec),
    CompositeAlarm(&'a CompositeAlarmSpec),
    ConfigurationAggregator(&'a crate::spec::ConfigurationAggregatorSpec),
    /// No guardrail evaluates config rules; a subject so every kind has one.
    ConfigRule(&'a crate::spec::ConfigRuleSpec),
    Association(&'a crate::spec::AssociationSpec),
    ConformancePack(&'a crate::spec::ConformancePackSpec),
    ConfigurationRecorder(&'a crate::spec::ConfigurationRecorderSpec),
}

impl<'a> Subject<'a> {
    pub fn of(spec: &'a ResourceSpec) -> Subject<'a> {
        match spec {
            ResourceSpec::MetricAlarm(s) => Subject::MetricAlarm(s),
            ResourceSpec::LogGroup(s) => Subject::LogGroup(s),
            ResourceSpec::LogRetentionPolicy(s) => Subject::LogRetentionPolicy(s),
            ResourceSpec::PatchBaseline(s) => Subject::PatchBaseline(s),
            ResourceSpec::MaintenanceWindow(s) => Subject::MaintenanceWindow(s),
            ResourceSpec::BackupVault(s) => Subject::BackupVault(s),
            ResourceSpec::BackupPlan(s) => Subject::BackupPlan(s),
            ResourceSpec::MetricFilter(s) => Subject::MetricFilter(s),
            ResourceSpec::CompositeAlarm(s) => Subject::CompositeAlarm(s),
            ResourceSpec::ConfigurationAggregator(s) => Subject::ConfigurationAggregator(s),
            ResourceSpec::ConfigRule(s) => Subject::ConfigRule(s),
            ResourceSpec::Association(s) => Subject::Association(s),
            ResourceSpec::ConformancePack(s) => Subject::ConformancePack(s),
            ResourceSpec::ConfigurationRecorder(s) => Subject::ConfigurationRecorder(s),
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Subject::MetricAlarm(_) => Kind::MetricAlarm,
            Subject::LogGroup(_) => Kind::LogGroup,
            Subject::LogRetentionPolicy(_) => Kind::LogRetentionPolicy,
            Subject::PatchBaseline(_) => Kind::PatchBaseline,
            Subject::MaintenanceWindow(_) => Kind::MaintenanceWindow,
            Subject::BackupVault(_) => Kind::BackupVault,
            Subject::BackupPlan(_) => Kind::BackupPlan,
            Subject::MetricFilter(_) => Kind::MetricFilter,
            Subject::CompositeAlarm(_) => Kind::CompositeAlarm,
            Subject::ConfigurationAggregator(_) => Kind::ConfigurationAggregator,
            Subject::ConfigRule(_) => Kind::ConfigRule,
            Subject::Association(_) => Kind::Association,
            Subject::ConformancePack(_) => Kind::ConformancePack,
            Subject::ConfigurationRecorder(_) => Kind::ConfigurationRecorder,
        }
    }

    fn tags(self) -> Option<&'a BTreeMap<String, String>> {
        Some(match self {
            Subject::MetricAlarm(s) => &s.tags,
            Subject::LogGroup(s) => &s.tags,
            Subject::PatchBaseline(s) => &s.tags,
            Subject::MaintenanceWindow(s) => &s.tags,
            Subject::BackupVault(s) => &s.tags,
            Subject::BackupPlan(s) => &s.tags,
            Subject::CompositeAlarm(s) => &s.tags,
            Subject::ConfigurationAggregator(s) => &s.tags,
            Subject::ConfigRule(s) => &s.tags,
            Subject::Association(s) => &s.tags,
            Subject::ConformancePack(s) => &s.tags,
            Subject::LogRetentionPolicy(_)
            | Subject::MetricFilter(_)
            | Subject::ConfigurationRecorder(_) => return None,
        })
    }
}

/// AWS Config's verdict on one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluation {
    Compliant,
    /// Why, one finding per broken requirement.
    NonCompliant(Vec<Finding>),
}

/// One way a resource breaks a rule: where in the spec, what is wrong (the AWS Config
/// annotation), and how to comply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Path below `spec` (`rules[0].lifecycle.deleteAfterDays`), for the document's
    /// position; empty: the spec as a whole.
    #[serde(skip)]
    pub at: Vec<Seg>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A step of a [`Finding`]'s path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(&'static str),
    Index(usize),
}

impl Finding {
    fn new(at: Vec<Seg>, message: impl Into<String>) -> Finding {
        Finding {
            at,
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }

    /// Where the finding points in a document (the deepest part of the path present).
    pub fn position(&self) -> At<'static> {
        let mut at = At::spec();
        for seg in &self.at {
            at = match seg {
                Seg::Key(k) => at.k(k),
                Seg::Index(i) => at.i(*i),
            };
        }
        at
    }

    /// The path as text (`rules[0].lifecycle`), for audit output.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for seg in &self.at {
            match seg {
                Seg::Key(k) if out.is_empty() => out.push_str(k),
                Seg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

/// Checks driftless.yaml `guardrails`: parameters (names with "did you mean", types,
/// required ones) and `kinds` the rule evaluates.
pub fn check_config(cx: &mut Cx<'_>, guardrails: &[Guardrail]) {
    let at = At::root().k("guardrails");
    for (i, g) in guardrails.iter().enumerate() {
        let gi = at.i(i);
        for problem in params::check(g.rule, &g.parameters) {
            let pat = gi.k("parameters");
            let place = match (&problem.name, problem.at_key) {
                (Some(name), true) => pat.key_of(key_in(name, &g.parameters)),
                (Some(name), false) => pat.k(key_in(name, &g.parameters)),
                (None, _) => gi.k("rule"),
            };
            cx.report(&place, problem.problem);
        }
        if let Some(kinds) = &g.kinds {
            for (j, kind) in kinds.iter().enumerate() {
                if !g.rule.kinds().contains(kind) {
                    let evaluated: Vec<&str> = g.rule.kinds().iter().map(|k| k.as_str()).collect();
                    cx.report(
                        &gi.k("kinds").i(j),
                        Problem::new(format!("rule `{}` does not evaluate {kind}", g.rule))
                            .hint(format!("it evaluates: {}", evaluated.join(", "))),
                    );
                }
            }
            if kinds.is_empty() {
                cx.report(
                    &gi.k("kinds"),
                    Problem::new("`kinds` is empty, so the guardrail checks nothing").hint(
                        "list kinds, or remove `kinds` to check every kind the rule evaluates",
                    ),
                );
            }
        }
        if g.deploy {
            deploy::check(cx, &gi, g);
        }
    }
}

/// The key of `parameters` equal to `name`, borrowed from the map (positions borrow
/// their keys, and `name` may be a temporary).
fn key_in<'m>(name: &str, parameters: &'m BTreeMap<String, String>) -> &'m str {
    parameters
        .get_key_value(name)
        .map(|(k, _)| k.as_str())
        .unwrap_or("")
}

/// One guardrail's results over a repository's documents (validate) or a target's
/// live resources (audit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleReport {
    pub rule: RuleName,
    pub enforcement: Enforcement,
    /// Resources the rule applied to, one per target (a document going to two targets
    /// is two resources), as the plan and the audit count them.
    pub evaluated: usize,
    /// Of those, the resources breaking the rule (one with several findings counts
    /// once).
    #[serde(default)]
    pub non_compliant_resources: usize,
    /// Each finding once, where it is in the repository.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub non_compliant: Vec<Violation>,
}

/// A resource that breaks a guardrail, and where its document is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    pub kind: Kind,
    pub name: String,
    /// `path:line:column` of the finding in the repository.
    pub location: String,
    pub message: String,
}

impl RuleReport {
    pub fn new(g: &Guardrail) -> RuleReport {
        RuleReport {
            rule: g.rule,
            enforcement: g.enforcement,
            evaluated: 0,
            non_compliant_resources: 0,
            non_compliant: Vec::new(),
        }
    }
}
