//! The parameters of each guardrail rule: names, types and defaults as the AWS Config
//! managed rule documents them (lowerCamelCase, like every field of the format), and
//! their checking at validation.
//!
//! AWS Config passes every parameter as a string; so does driftless.yaml (a plain
//! `365` or `true` is read as text), and the types here decide how each is read.

use std::collections::BTreeMap;

use super::RuleName;
use crate::spec::diagnostic::did_you_mean;
use crate::spec::rules::{self, Problem};

/// How a parameter's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A whole number within a range.
    Int { min: u64, max: u64 },
    /// `true` or `false` (any case, as AWS Config reads them).
    Bool,
    /// Free text (tag keys and values).
    Text,
    /// An ARN.
    Arn,
    /// A comma-separated list.
    Csv,
    /// One of a fixed set of words.
    OneOf(&'static [&'static str]),
}

/// One parameter of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamDef {
    pub name: &'static str,
    pub ty: ParamType,
    /// The AWS default, used when the parameter is absent.
    pub default: Option<&'static str>,
    pub required: bool,
}

const fn p(name: &'static str, ty: ParamType, default: Option<&'static str>) -> ParamDef {
    ParamDef {
        name,
        ty,
        default,
        required: false,
    }
}

const fn required(name: &'static str, ty: ParamType) -> ParamDef {
    ParamDef {
        name,
        ty,
        default: None,
        required: true,
    }
}

const DAYS: ParamType = ParamType::Int { min: 1, max: 36500 };
const ANY_INT: ParamType = ParamType::Int {
    min: 0,
    max: u32::MAX as u64,
};

/// CloudWatch Logs' retention choices, the values `minRetentionTime` accepts.
const RETENTION_DAYS: &[&str] = &[
    "1", "3", "5", "7", "14", "30", "60", "90", "120", "150", "180", "365", "400", "545", "731",
    "1096", "1827", "2192", "2557", "2922", "3288", "3653",
];

const STATISTICS: &[&str] = &["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
const OPERATORS: &[&str] = &[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];

use ParamType::*;

// Each table follows the rule's page in the AWS Config developer guide
// (https://docs.aws.amazon.com/config/latest/developerguide/<rule>.html).

/// cw-loggroup-retention-period-check: MinRetentionTime (int, default 365),
/// LogGroupNames (CSV of name prefixes).
const LOG_RETENTION: &[ParamDef] = &[
    p("minRetentionTime", OneOf(RETENTION_DAYS), Some("365")),
    p("logGroupNames", Csv, None),
];
/// cloudwatch-alarm-action-check: alarmActionRequired (true),
/// insufficientDataActionRequired (true), okActionRequired (false), action1..action5.
const ALARM_ACTIONS: &[ParamDef] = &[
    p("alarmActionRequired", Bool, Some("true")),
    p("insufficientDataActionRequired", Bool, Some("true")),
    p("okActionRequired", Bool, Some("false")),
    p("action1", Arn, None),
    p("action2", Arn, None),
    p("action3", Arn, None),
    p("action4", Arn, None),
    p("action5", Arn, None),
];
/// cloudwatch-alarm-settings-check: metricName (required), threshold,
/// evaluationPeriods, period (300), comparisonOperator, statistic.
const ALARM_SETTINGS: &[ParamDef] = &[
    required("metricName", Text),
    p("threshold", ANY_INT, None),
    p(
        "evaluationPeriods",
        Int {
            min: 1,
            max: 100_000,
        },
        None,
    ),
    p(
        "period",
        Int {
            min: 1,
            max: 604_800,
        },
        Some("300"),
    ),
    p("comparisonOperator", OneOf(OPERATORS), None),
    p("statistic", OneOf(STATISTICS), None),
];
/// cloudwatch-log-group-encrypted: KmsKeyId (optional).
const LOG_ENCRYPTED: &[ParamDef] = &[p("kmsKeyId", Arn, None)];
/// required-tags: tag1Key (required), tag2Key..tag6Key, tagNValue (CSV of values).
const REQUIRED_TAGS: &[ParamDef] = &[
    required("tag1Key", Text),
    p("tag1Value", Csv, None),
    p("tag2Key", Text, None),
    p("tag2Value", Csv, None),
    p("tag3Key", Text, None),
    p("tag3Value", Csv, None),
    p("tag4Key", Text, None),
    p("tag4Value", Csv, None),
    p("tag5Key", Text, None),
    p("tag5Value", Csv, None),
    p("tag6Key", Text, None),
    p("tag6Value", Csv, None),
];
/// backup-plan-min-frequency-and-min-retention-check: requiredFrequencyValue (1; at
/// most 24 hours or 31 days), requiredRetentionDays (35), requiredFrequencyUnit (days).
const BACKUP_FREQUENCY: &[ParamDef] = &[
    p("requiredFrequencyValue", Int { min: 1, max: 31 }, Some("1")),
    p("requiredRetentionDays", DAYS, Some("35")),
    p(
        "requiredFrequencyUnit",
        OneOf(&["hours", "days"]),
        Some("days"),
    ),
];
/// backup-recovery-point-minimum-retention-check: requiredRetentionDays (35).
const RECOVERY_POINT_RETENTION: &[ParamDef] = &[p("requiredRetentionDays", DAYS, Some("35"))];
/// driftless's own (ARCHITECTURE.md, "Guardrails").
const WINDOW_CUTOFF: &[ParamDef] = &[p("minCutoffHours", Int { min: 0, max: 23 }, Some("1"))];
/// maintenance-backup-overlap-check (driftless's own): minimumGapMinutes (0: only
/// overlaps), horizonDays (35: every monthly schedule runs at least once).
const BACKUP_OVERLAP: &[ParamDef] = &[
    p(
        "minimumGapMinutes",
        Int {
            min: 0,
            max: 10_080,
        },
        Some("0"),
    ),
    p("horizonDays", Int { min: 1, max: 366 }, Some("35")),
];
const BASELINE_APPROVAL: &[ParamDef] = &[p(
    "maxApproveAfterDays",
    Int { min: 0, max: 360 },
    Some("7"),
)];

/// The parameters of `rule`.
pub fn definitions(rule: RuleName) -> &'static [ParamDef] {
    match rule {
        RuleName::CwLoggroupRetentionPeriodCheck => LOG_RETENTION,
        RuleName::CloudwatchAlarmActionCheck => ALARM_ACTIONS,
        RuleName::CloudwatchAlarmActionEnabledCheck => &[],
        RuleName::CloudwatchAlarmSettingsCheck => ALARM_SETTINGS,
        RuleName::CloudwatchLogGroupEncrypted => LOG_ENCRYPTED,
        RuleName::RequiredTags => REQUIRED_TAGS,
        RuleName::BackupPlanMinFrequencyAndMinRetentionCheck => BACKUP_FREQUENCY,
        RuleName::BackupRecoveryPointMinimumRetentionCheck => RECOVERY_POINT_RETENTION,
        RuleName::MaintenanceWindowCutoffCheck => WINDOW_CUTOFF,
        RuleName::PatchBaselineApprovalCheck => BASELINE_APPROVAL,
        RuleName::MaintenanceBackupOverlapCheck => BACKUP_OVERLAP,
    }
}

/// A rule's parameters as written, with the AWS defaults filled in. Only built from
/// parameters that passed [`check`], so every read succeeds; a value that does not
/// parse (impossible after validation) reads as the default.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    rule: RuleName,
    given: &'a BTreeMap<String, String>,
}

impl<'a> Params<'a> {
    pub fn new(rule: RuleName, given: &'a BTreeMap<String, String>) -> Params<'a> {
        Params { rule, given }
    }

    fn raw(&self, name: &str) -> Option<&'a str> {
        if let Some(v) = self.given.get(name) {
            return Some(v.trim());
        }
        definitions(self.rule)
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.default)
    }

    pub fn text(&self, name: &str) -> Option<&'a str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    pub fn int(&self, name: &str) -> Option<u64> {
        self.raw(name)?.parse().ok()
    }

    pub fn bool(&self, name: &str) -> bool {
        self.raw(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// A comma-separated list, items trimmed, empty items dropped.
    pub fn csv(&self, name: &str) -> Vec<&'a str> {
        self.raw(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The text a parameter was given (for messages), the default otherwise.
    pub fn shown(&self, name: &str) -> String {
        self.raw(name).unwrap_or("").to_string()
    }
}

/// A problem with one parameter: the parameter's name (`None`: the rule as a whole),
/// whether it is the key itself that is wrong, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamProblem {
    pub name: Option<String>,
    pub at_key: bool,
    pub problem: Problem,
}

/// Every problem with `given` as parameters of `rule`: unknown names (with "did you
/// mean"), missing required ones, values of the wrong type.
pub fn check(rule: RuleName, given: &BTreeMap<String, String>) -> Vec<ParamProblem> {
    let defs = definitions(rule);
    let mut out = Vec::new();
    for (name, value) in given {
        let Some(def) = defs.iter().find(|d| d.name == name) else {
            let names = defs.iter().map(|d| d.name);
            let problem = Problem::new(format!(
                "unknown parameter `{name}` for rule `{}`",
                rule.as_str()
            ));
            let problem = match did_you_mean(name, names.clone()) {
                Some(s) => problem.hint(format!("did you mean `{s}`?")),
                None if defs.is_empty() => problem.hint(format!(
                    "`{}` takes no parameters; remove `parameters`",
                    rule.as_str()
                )),
                None => problem.hint(format!(
                    "its parameters are: {}",
                    names.collect::<Vec<_>>().join(", ")
                )),
            };
            out.push(ParamProblem {
                name: Some(name.clone()),
                at_key: true,
                problem,
            });
            continue;
        };
        if let Err(problem) = check_value(def, value.trim()) {
            out.push(ParamProblem {
                name: Some(name.clone()),
                at_key: false,
                problem,
            });
        }
    }
    for def in defs.iter().filter(|d| d.required) {
        if !given.contains_key(def.name) {
            out.push(ParamProblem {
                name: None,
                at_key: false,
                problem: Problem::new(format!(
                    "rule `{}` needs the parameter `{}`",
                    rule.as_str(),
                    def.name
                ))
                .hint(format!("add `parameters: {{{}: ...}}`", def.name)),
            });
        }
    }
    out.extend(check_pairs(rule, given));
    out
}

/// Parameters that only make sense together: `tagNValue` needs its `tagNKey`; a
/// frequency in hours is at most 24.
fn check_pairs(rule: RuleName, given: &BTreeMap<String, String>) -> Vec<ParamProblem> {
    if rule == RuleName::BackupPlanMinFrequencyAndMinRetentionCheck {
        let value = given
            .get("requiredFrequencyValue")
            .and_then(|v| v.trim().parse::<u64>().ok());
        let hours = given.get("requiredFrequencyUnit").map(|u| u.trim()) == Some("hours");
        return match value {
            Some(v) if hours && v > 24 => vec![ParamProblem {
                name: Some("requiredFrequencyValue".into()),
                at_key: false,
                problem: Problem::new(format!(
                    "`requiredFrequencyValue` is {v} hours; AWS Config allows at most 24"
                ))
                .hint("give the frequency in days (`requiredFrequencyUnit: days`)"),
            }],
            _ => Vec::new(),
        };
    }
    if rule != RuleName::RequiredTags {
        return Vec::new();
    }
    (1..=6)
        .filter(|n| {
            given.contains_key(&format!("tag{n}Value"))
                && !given.contains_key(&format!("tag{n}Key"))
        })
        .map(|n| ParamProblem {
            name: Some(format!("tag{n}Value")),
            at_key: true,
            problem: Problem::new(format!("`tag{n}Value` is given without `tag{n}Key`")).hint(
                format!("add `tag{n}Key`, the tag whose values `tag{n}Value` lists"),
            ),
        })
        .collect()
}

fn check_value(def: &ParamDef, value: &str) -> Result<(), Problem> {
    let name = def.name;
    match def.ty {
        ParamType::Int { min, max } => match value.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(()),
            Ok(n) => Err(Problem::new(format!(
                "`{name}` is {n}; it must be {min} to {max}"
            ))),
            Err(_) => Err(Problem::new(format!(
                "`{name}` must be a whole number, not `{value}`"
            ))),
        },
        ParamType::Bool => {
            if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") {
                Ok(())
            } else {
                Err(Problem::new(format!(
                    "`{name}` must be true or false, not `{value}`"
                )))
            }
        }
        ParamType::Text | ParamType::Csv => {
            if value.is_empty() {
                Err(Problem::new(format!("`{name}` is empty"))
                    .hint("give it a value, or remove it"))
            } else {
                Ok(())
            }
        }
        ParamType::Arn => rules::parse_arn(value).map(|_| ()),
        ParamType::OneOf(allowed) => {
            if allowed.contains(&value) {
                return Ok(());
            }
            let problem = Problem::new(format!("`{name}` cannot be `{value}`"));
            Err(match did_you_mean(value, allowed.iter().copied()) {
                Some(s) if value.parse::<u64>().is_err() => {
                    problem.hint(format!("did you mean `{s}`?"))
                }
                _ => problem.hint(format!("use one of: {}", allowed.join(", "))),
            })
        }
    }
}
