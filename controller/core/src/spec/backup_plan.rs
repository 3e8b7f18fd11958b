//! `BackupPlan`: an AWS Backup plan with its rules and selections. Rules and
//! selections are identified by name, so their order never matters.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::backup_vault::check_vault_name;
use super::context::{At, Cx};
use super::maintenance_window::OneOrMany;
use super::rules::{self, Problem, ScheduleUse};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupPlanSpec {
    pub rules: Vec<BackupRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selections: Vec<BackupSelection>,
    /// Vaults that rules may name although no BackupVault spec manages them (the
    /// account's `Default` vault, or one another team owns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_vaults: Vec<String>,
    /// Backup options per resource type (AdvancedBackupSettings), e.g. Windows VSS for
    /// EC2: `[{resourceType: EC2, backupOptions: {WindowsVSS: enabled}}]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advanced_backup_settings: Vec<AdvancedBackupSetting>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// One AdvancedBackupSetting; unique per resource type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdvancedBackupSetting {
    /// `EC2` (Windows VSS); the model allows 1-50 of letters, digits, `-_.`.
    #[schemars(length(min = 1, max = 50))]
    pub resource_type: String,
    /// Option → value, e.g. `WindowsVSS: enabled`.
    pub backup_options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupRule {
    /// Unique within the plan.
    pub name: String,
    /// The name of a BackupVault spec, or of a vault listed in `externalVaults`.
    pub target_vault: String,
    /// `cron(...)`; defaults to AWS's daily `cron(0 5 ? * * *)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// IANA time zone of the schedule; defaults to Etc/UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_timezone: Option<String>,
    /// Minutes a job may wait to start; at least 60 (the default 480 is AWS's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_window_minutes: Option<u64>,
    /// Minutes a job may run; at least startWindowMinutes + 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_window_minutes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copy_actions: Vec<CopyAction>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub recovery_point_tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_continuous_backup: Option<bool>,
    /// The backup index AWS Backup creates for the rule's recovery points
    /// (IndexActions): at most one action, naming one resource type, `EBS` or `S3`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub index_actions: Vec<IndexAction>,
}

/// One IndexAction: the resource type whose recovery points are indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IndexAction {
    /// Exactly one of `EBS` and `S3`.
    pub resource_types: Vec<String>,
}

/// The resource types AWS Backup indexes (IndexAction.ResourceTypes).
pub const INDEX_RESOURCE_TYPES: &[&str] = &["EBS", "S3"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lifecycle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub move_to_cold_storage_after_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub delete_after_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_in_to_archive_for_supported_resources: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CopyAction {
    pub destination_vault_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
}

/// Which resources the plan backs up, and the role AWS Backup uses for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupSelection {
    /// Unique within the plan.
    pub name: String,
    pub iam_role_arn: String,
    /// Resources carrying ALL these tags (Conditions StringEquals).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Tag conditions, all of which a resource must meet (AWS Backup `Conditions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<SelectionConditions>,
    /// Resources carrying ANY of these tags (ListOfTags); a list value is any of
    /// those values. A key is written as AWS holds the ListOfTags `ConditionKey`: the
    /// tag key (as AWS's API reference documents it) or `aws:ResourceTag/<key>` (as
    /// the console writes it); both name the same tag.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub any_of_tags: BTreeMap<String, OneOrMany>,
    /// ARNs or ARN patterns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_resources: Vec<String>,
}

/// The prefix AWS Backup's `Conditions` keys carry (`aws:ResourceTag/Backup`), which a
/// ListOfTags `ConditionKey` may carry too.
pub const RESOURCE_TAG_PREFIX: &str = "aws:ResourceTag/";

/// The tag an `anyOfTags` key names: the key without [`RESOURCE_TAG_PREFIX`].
pub fn tag_key(key: &str) -> &str {
    key.strip_prefix(RESOURCE_TAG_PREFIX).unwrap_or(key)
}

/// A selection's `Conditions`: tag key → value per operator (AND of all). Keys are
/// written without AWS's `aws:ResourceTag/` prefix; `*` is the wildcard of the Like
/// operators.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SelectionConditions {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub string_equals: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub string_not_equals: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub string_like: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub string_not_like: BTreeMap<String, String>,
}

impl SelectionConditions {
    /// (lowerCamelCase field, AWS member name, map) for each operator.
    pub fn operators(&self) -> [(&'static str, &'static str, &BTreeMap<String, String>); 4] {
        [
            ("stringEquals", "StringEquals", &self.string_equals),
            (
                "stringNotEquals",
                "StringNotEquals",
                &self.string_not_equals,
            ),
            ("stringLike", "StringLike", &self.string_like),
            ("stringNotLike", "StringNotLike", &self.string_not_like),
        ]
    }

    fn is_empty(&self) -> bool {
        self.operators().iter().all(|(_, _, m)| m.is_empty())
    }
}

/// `EC2` and the option names and values AWS Backup documents are 1-50 of letters,
/// digits and `-_.` (the model's pattern).
fn backup_option_word(what: &str, value: &str) -> rules::Check {
    rules::name(what, value, 1, 50, "-_.")
}

fn check_advanced_settings(at: &At<'_>, settings: &[AdvancedBackupSetting], cx: &mut Cx<'_>) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, s) in settings.iter().enumerate() {
        let a = at.i(i);
        cx.check(
            &a.k("resourceType"),
            backup_option_word("resourceType", &s.resource_type),
        );
        if seen.contains(&s.resource_type.as_str()) {
            cx.error(
                &a.k("resourceType"),
                format!("resourceType `{}` has two settings", s.resource_type),
            );
        }
        seen.push(&s.resource_type);
        if s.backup_options.is_empty() {
            cx.report(
                &a.k("backupOptions"),
                Problem::new("backupOptions is empty").hint("e.g. `{WindowsVSS: enabled}`"),
            );
        }
        for (key, value) in &s.backup_options {
            cx.check(
                &a.k("backupOptions").key_of(key),
                backup_option_word("backup option", key),
            );
            cx.check(
                &a.k("backupOptions").k(key),
                backup_option_word("backup option value", value),
            );
        }
    }
}

fn check_selection_tags(s: &At<'_>, sel: &BackupSelection, cx: &mut Cx<'_>) {
    if let Some(c) = &sel.conditions {
        for (field, _, map) in c.operators() {
            for key in map.keys() {
                if key.is_empty() {
                    cx.error(
                        &s.k("conditions").k(field),
                        "a condition's tag key is empty",
                    );
                }
            }
        }
        for (key, value) in &c.string_equals {
            if sel.tags.get(key).is_some_and(|v| v != value) {
                cx.report(
                    &s.k("conditions").k("stringEquals").k(key),
                    Problem::new(format!(
                        "tag `{key}` must equal both `{}` (tags) and `{value}` (conditions.stringEquals)",
                        sel.tags[key]
                    ))
                    .hint("`tags` is the stringEquals shorthand; keep one of them"),
                );
            }
        }
    }
    for (key, values) in &sel.any_of_tags {
        if values.values().is_empty() {
            cx.error(
                &s.k("anyOfTags").k(key),
                format!("anyOfTags `{key}` lists no values"),
            );
        }
    }
}

fn rule_name(what: &str, name: &str) -> rules::Check {
    rules::name(what, name, 1, 50, "-_.")
}

fn check_lifecycle(at: &At<'_>, lc: &Lifecycle, cx: &mut Cx<'_>) {
    if let (Some(cold), Some(delete)) = (lc.move_to_cold_storage_after_days, lc.delete_after_days) {
        if u64::from(delete) < u64::from(cold) + 90 {
            cx.report(
                &at.k("deleteAfterDays"),
                Problem::new(format!(
                    "deleteAfterDays {delete} must be at least moveToColdStorageAfterDays + 90 = {}",
                    u64::from(cold) + 90
                ))
                .hint("recovery points stay in cold storage for at least 90 days"),
            );
        }
    }
}

/// A rule or selection name (`what`): valid, and not one of `seen` (then added to it).
fn check_unique_name<'a>(
    at: &At<'_>,
    what: &str,
    name: &'a str,
    seen: &mut Vec<&'a str>,
    cx: &mut Cx<'_>,
) {
    cx.check(at, rule_name(what, name));
    if seen.contains(&name) {
        cx.error(at, format!("{what} `{name}` is used twice in this plan"));
    }
    seen.push(name);
}

impl BackupPlanSpec {
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(
            &At::root().k("metadata").k("name"),
            rule_name("plan name", name),
        );
        if self.rules.is_empty() {
            cx.error(&at.k("rules"), "a backup plan needs at least one rule");
        }
        let mut names: Vec<&str> = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let r = at.k("rules").i(i);
            check_unique_name(&r.k("name"), "rule name", &rule.name, &mut names, cx);
            check_rule(&r, rule, cx);
        }
        check_selections(&at, &self.selections, cx);
        for (i, vault) in self.external_vaults.iter().enumerate() {
            cx.check(
                &at.k("externalVaults").i(i),
                check_vault_name("external vault", vault),
            );
        }
        check_advanced_settings(
            &at.k("advancedBackupSettings"),
            &self.advanced_backup_settings,
            cx,
        );
        cx.check_tags(&at.k("tags"), &self.tags);
    }
}

/// One rule but its name: vault, schedule, windows, lifecycle, copies and tags.
fn check_rule(r: &At<'_>, rule: &BackupRule, cx: &mut Cx<'_>) {
    cx.check(
        &r.k("targetVault"),
        check_vault_name("targetVault", &rule.target_vault),
    );
    if let Some(s) = &rule.schedule {
        cx.check(&r.k("schedule"), rules::schedule(s, ScheduleUse::Backup));
    }
    if let Some(tz) = &rule.schedule_timezone {
        cx.check(&r.k("scheduleTimezone"), rules::timezone(tz));
    }
    check_windows(r, rule, cx);
    if let Some(lc) = &rule.lifecycle {
        check_lifecycle(&r.k("lifecycle"), lc, cx);
        if rule.enable_continuous_backup == Some(true) {
            check_continuous_lifecycle(&r.k("lifecycle"), lc, cx);
        }
    }
    for (j, copy) in rule.copy_actions.iter().enumerate() {
        let c = r.k("copyActions").i(j);
        cx.check(
            &c.k("destinationVaultArn"),
            rules::arn_of(
                &copy.destination_vault_arn,
                "destinationVaultArn",
                "backup",
                &["backup-vault:"],
            ),
        );
        if let Some(lc) = &copy.lifecycle {
            check_lifecycle(&c.k("lifecycle"), lc, cx);
        }
    }
    cx.check_tags(&r.k("recoveryPointTags"), &rule.recovery_point_tags);
    check_index_actions(&r.k("indexActions"), &rule.index_actions, cx);
}

/// AWS accepts "0 or 1 index action" per rule, and "only 1 resource type", `EBS` or
/// `S3` (BackupRuleInput.IndexActions).
fn check_index_actions(at: &At<'_>, actions: &[IndexAction], cx: &mut Cx<'_>) {
    if actions.len() > 1 {
        cx.report(
            &at.i(1),
            Problem::new(format!(
                "a rule takes at most one index action, this one has {}",
                actions.len()
            ))
            .hint("keep one: `indexActions: [{resourceTypes: [EBS]}]`"),
        );
    }
    for (i, action) in actions.iter().enumerate() {
        let a = at.i(i).k("resourceTypes");
        if action.resource_types.len() != 1 {
            cx.report(
                &a,
                Problem::new(format!(
                    "an index action names exactly one resource type, this one names {}",
                    action.resource_types.len()
                ))
                .hint("`resourceTypes: [EBS]` or `resourceTypes: [S3]`"),
            );
        }
        for (j, t) in action.resource_types.iter().enumerate() {
            if !INDEX_RESOURCE_TYPES.contains(&t.as_str()) {
                cx.report(
                    &a.i(j),
                    Problem::new(format!("AWS Backup does not index resource type `{t}`"))
                        .hint("use `EBS` or `S3`"),
                );
            }
        }
    }
}

/// startWindowMinutes at least 60; completionWindowMinutes an hour more than that.
fn check_windows(r: &At<'_>, rule: &BackupRule, cx: &mut Cx<'_>) {
    let start = rule.start_window_minutes;
    if let Some(s) = start {
        if s < 60 {
            cx.error(
                &r.k("startWindowMinutes"),
                format!("startWindowMinutes {s} must be at least 60"),
            );
        }
    }
    if let Some(c) = rule.completion_window_minutes {
        let min = start.unwrap_or(60).max(60) + 60;
        if c < min {
            cx.report(
                &r.k("completionWindowMinutes"),
                Problem::new(format!(
                    "completionWindowMinutes {c} must be at least {min}"
                ))
                .hint("a job needs an hour more to complete than it may wait to start"),
            );
        }
    }
}

/// A continuous backup's lifecycle: no cold storage, kept at most 35 days.
fn check_continuous_lifecycle(at: &At<'_>, lc: &Lifecycle, cx: &mut Cx<'_>) {
    if lc.move_to_cold_storage_after_days.is_some() {
        cx.error(
            &at.k("moveToColdStorageAfterDays"),
            "continuous backups cannot move to cold storage",
        );
    }
    if lc.delete_after_days.is_some_and(|d| d > 35) {
        cx.error(
            &at.k("deleteAfterDays"),
            "continuous backups are kept at most 35 days",
        );
    }
}

/// Selections: unique names, a role, something selected, their tag conditions and ARNs.
fn check_selections(at: &At<'_>, selections: &[BackupSelection], cx: &mut Cx<'_>) {
    let mut selection_names: Vec<&str> = Vec::new();
    for (i, sel) in selections.iter().enumerate() {
        let s = at.k("selections").i(i);
        check_unique_name(
            &s.k("name"),
            "selection name",
            &sel.name,
            &mut selection_names,
            cx,
        );
        cx.check(
            &s.k("iamRoleArn"),
            rules::role_arn(&sel.iam_role_arn, "iamRoleArn"),
        );
        let no_conditions = sel.conditions.as_ref().is_none_or(|c| c.is_empty());
        if sel.tags.is_empty()
            && no_conditions
            && sel.any_of_tags.is_empty()
            && sel.resources.is_empty()
        {
            cx.report(
                &s,
                Problem::new(format!("selection `{}` selects nothing", sel.name))
                    .hint("set `tags`, `conditions`, `anyOfTags` or `resources`"),
            );
        }
        check_selection_tags(&s, sel, cx);
        for (field, list) in [
            ("resources", &sel.resources),
            ("notResources", &sel.not_resources),
        ] {
            for (j, arn) in list.iter().enumerate() {
                if arn != "*" {
                    cx.check(&s.k(field).i(j), rules::arn_pattern(arn, field));
                }
            }
        }
    }
}
