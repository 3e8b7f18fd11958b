//! AWS Backup: reads vaults (with their recovery-point counts) and plans (with their
//! rules and selections) into the crate's spec types. Owns every `aws_sdk_backup`
//! call of a plan's read.
//!
//! Selection: a resource is read in detail when its name is one the desired state
//! mentions or when the tagging API listed it as owned (`owned`, ARN → tags). Owned
//! resources take their tags from `owned`; the others (conflicts, adoptions) have
//! their tags listed one by one.
//!
//! Calls per plan (V_all / P_all = vaults / plans in the region, V_unowned = selected
//! vaults not in `owned`, P_sel / P_unowned = selected plans / of those not in
//! `owned`, S_p = selections of selected plan p):
//!
//! ```text
//! read_vaults:
//!   ListBackupVaults       max(1, ceil(V_all / 1000))
//!   GetBackupVaultAccessPolicy   V_sel (selected vaults)
//!   GetBackupVaultNotifications  V_sel
//!   ListTags               V_unowned        (one page: a vault has at most 50 tags)
//! read_plans:
//!   ListBackupPlans        max(1, ceil(P_all / 1000))
//!   GetBackupPlan          P_sel
//!   ListBackupSelections   Σ_p max(1, ceil(S_p / 1000))
//!   GetBackupSelection     Σ_p S_p
//!   ListTags               P_unowned
//! ```
//!
//! ListBackupVaults carries the name, ARN, key, recovery-point count and Vault Lock
//! (Locked, Min/MaxRetentionDays; not ChangeableForDays, which AWS does not return);
//! the access policy and notifications need a call each per vault
//! (`ResourceNotFoundException` = none set). Detail calls run concurrently, at most
//! [`super::ssm::IN_FLIGHT`] at a time per reader.

pub mod write;
pub use write::*;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_backup::error::ProvideErrorMetadata;
use aws_sdk_backup::types::{
    BackupRule as AwsRule, BackupVaultListMember, ConditionParameter, ConditionType,
    Lifecycle as AwsLifecycle,
};

use super::ssm::{by_id, in_parallel};
use super::{AwsError, Clients};
use driftless_core::live::{Live, LiveVault};
use driftless_core::spec::backup_plan::{
    AdvancedBackupSetting, BackupRule, BackupSelection, CopyAction, IndexAction, Lifecycle,
    SelectionConditions,
};
use driftless_core::spec::backup_vault::{VaultLock, VaultNotifications};
use driftless_core::spec::maintenance_window::OneOrMany;
use driftless_core::spec::{BackupPlanSpec, BackupVaultSpec};

type Tags = BTreeMap<String, String>;

/// The prefix of resource-tag condition keys (`aws:ResourceTag/Backup`).
const RESOURCE_TAG_PREFIX: &str = "aws:ResourceTag/";

/// Vaults named in `names` or owned, with their recovery-point counts.
pub async fn read_vaults(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<LiveVault>, AwsError> {
    read_vaults_of(clients, names, owned, false).await
}

/// Every vault of the region (`driftless audit`). Tags from `tagged` (every tagged
/// vault), else one tag call each.
pub async fn read_every_vault(
    clients: &Clients,
    tagged: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<LiveVault>, AwsError> {
    read_vaults_of(clients, &BTreeSet::new(), tagged, true).await
}

async fn read_vaults_of(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
    every: bool,
) -> Result<Vec<LiveVault>, AwsError> {
    let owned = by_id(owned, ":backup-vault:");
    let mut pages = clients
        .backup
        .list_backup_vaults()
        .max_results(1000)
        .into_paginator()
        .send();
    let mut selected = Vec::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::call(clients, "backup", "ListBackupVaults", None, e))?;
        for vault in page.backup_vault_list() {
            let Some(name) = vault.backup_vault_name() else {
                continue;
            };
            let own = owned.get(name);
            if !every && own.is_none() && !names.contains(name) {
                continue;
            }
            selected.push((vault.clone(), own.map(|(_, tags)| (*tags).clone())));
        }
    }
    in_parallel(selected, |(vault, tags)| {
        let clients = clients.clone();
        async move {
            let name = vault.backup_vault_name().unwrap_or_default().to_string();
            let arn = vault.backup_vault_arn().map(str::to_string);
            let tags = async {
                match (tags, &arn) {
                    (Some(tags), _) => Ok(tags),
                    (None, Some(arn)) => list_tags(&clients, arn).await,
                    (None, None) => Ok(Tags::new()),
                }
            };
            let (tags, access_policy, notifications) = tokio::try_join!(
                tags,
                vault_policy(&clients, &name),
                vault_notifications(&clients, &name)
            )?;
            Ok(LiveVault {
                recovery_points: u64::try_from(vault.number_of_recovery_points())
                    .unwrap_or_default(),
                vault: Live {
                    spec: BackupVaultSpec {
                        encryption_key_arn: vault.encryption_key_arn().map(str::to_string),
                        lock: vault_lock(&vault),
                        access_policy,
                        notifications,
                        tags,
                    },
                    name,
                    arn,
                    id: None,
                    sub_ids: BTreeMap::new(),
                    tags_known: true,
                    unrepresented: Vec::new(),
                },
            })
        }
    })
    .await
}

/// The listing's Vault Lock, when the vault is locked.
fn vault_lock(vault: &BackupVaultListMember) -> Option<VaultLock> {
    let days = |d: Option<i64>| d.and_then(|d| u32::try_from(d).ok());
    vault.locked().unwrap_or(false).then(|| VaultLock {
        min_retention_days: days(vault.min_retention_days()),
        max_retention_days: days(vault.max_retention_days()),
        changeable_for_days: None,
    })
}

/// `ResourceNotFoundException` of a vault's policy or notifications read: none set.
fn not_found<E: ProvideErrorMetadata, R>(err: &aws_sdk_backup::error::SdkError<E, R>) -> bool {
    err.as_service_error().and_then(|e| e.code()) == Some("ResourceNotFoundException")
}

/// GetBackupVaultAccessPolicy: the policy as JSON (a string AWS returns that is not
/// JSON stays a string, so it shows as a change).
async fn vault_policy(
    clients: &Clients,
    name: &str,
) -> Result<Option<serde_json::Value>, AwsError> {
    const OP: &str = "GetBackupVaultAccessPolicy";
    match clients
        .backup
        .get_backup_vault_access_policy()
        .backup_vault_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.policy().map(|p| {
            serde_json::from_str(p).unwrap_or_else(|_| serde_json::Value::String(p.to_string()))
        })),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(AwsError::call(clients, "backup", OP, Some(name), e)),
    }
}

/// GetBackupVaultNotifications.
async fn vault_notifications(
    clients: &Clients,
    name: &str,
) -> Result<Option<VaultNotifications>, AwsError> {
    const OP: &str = "GetBackupVaultNotifications";
    match clients
        .backup
        .get_backup_vault_notifications()
        .backup_vault_name(name)
        .send()
        .await
    {
        Ok(out) => {
            let Some(topic) = out.sns_topic_arn() else {
                return Ok(None);
            };
            // Events this version does not know are dropped (and so re-sent as the
            // spec says), never misread.
            let events = out
                .backup_vault_events()
                .iter()
                .filter_map(|e| serde_json::from_value(serde_json::json!(e.as_str())).ok())
                .collect();
            Ok(Some(VaultNotifications {
                sns_topic_arn: topic.to_string(),
                events,
            }))
        }
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(AwsError::call(clients, "backup", OP, Some(name), e)),
    }
}

/// Plans named in `names` or owned, with their rules and selections.
pub async fn read_plans(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<Live<BackupPlanSpec>>, AwsError> {
    read_plans_of(clients, names, owned, false).await
}

/// Every backup plan of the region (`driftless audit`). Tags from `tagged` (every
/// tagged plan), else one tag call each.
pub async fn read_every_plan(
    clients: &Clients,
    tagged: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<Live<BackupPlanSpec>>, AwsError> {
    read_plans_of(clients, &BTreeSet::new(), tagged, true).await
}

async fn read_plans_of(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, BTreeMap<String, String>>,
    every: bool,
) -> Result<Vec<Live<BackupPlanSpec>>, AwsError> {
    let owned = by_id(owned, ":backup-plan:");
    let mut pages = clients
        .backup
        .list_backup_plans()
        .max_results(1000)
        .into_paginator()
        .send();
    let mut selected = Vec::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::call(clients, "backup", "ListBackupPlans", None, e))?;
        for plan in page.backup_plans_list() {
            let Some(id) = plan.backup_plan_id() else {
                continue;
            };
            let own = owned.get(id);
            if every || own.is_some() || plan.backup_plan_name().is_some_and(|n| names.contains(n))
            {
                selected.push((
                    id.to_string(),
                    plan.backup_plan_arn().map(str::to_string),
                    own.map(|(_, tags)| (*tags).clone()),
                ));
            }
        }
    }
    in_parallel(selected, |(id, arn, tags)| {
        let clients = clients.clone();
        async move { read_plan(&clients, id, arn, tags).await }
    })
    .await
}

/// GetBackupPlan, its selections (+ ListTags when not owned) of one plan.
async fn read_plan(
    clients: &Clients,
    id: String,
    listed_arn: Option<String>,
    owned_tags: Option<Tags>,
) -> Result<Live<BackupPlanSpec>, AwsError> {
    let id = id.as_str();
    let get = async {
        clients
            .backup
            .get_backup_plan()
            .backup_plan_id(id)
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "backup", "GetBackupPlan", Some(id), e))
    };
    let tags = async {
        match (&owned_tags, &listed_arn) {
            (Some(tags), _) => Ok(tags.clone()),
            (None, Some(arn)) => list_tags(clients, arn).await,
            (None, None) => Ok(Tags::new()),
        }
    };
    let (got, selections, tags) = tokio::try_join!(get, plan_selections(clients, id), tags)?;
    let plan = got.backup_plan();
    let mut rules: Vec<BackupRule> = plan
        .map(|p| p.rules())
        .unwrap_or_default()
        .iter()
        .map(rule)
        .collect();
    rules.sort_by(|a, b| a.name.cmp(&b.name));
    let mut sub_ids = BTreeMap::new();
    let mut spec_selections = Vec::new();
    let mut unrepresented = plan_extras(plan);
    let advanced = if got.advanced_backup_settings().is_empty() {
        plan.map(|p| p.advanced_backup_settings())
            .unwrap_or_default()
    } else {
        got.advanced_backup_settings()
    };
    let mut advanced_backup_settings: Vec<AdvancedBackupSetting> = advanced
        .iter()
        .map(|a| AdvancedBackupSetting {
            resource_type: a.resource_type().unwrap_or_default().to_string(),
            backup_options: a
                .backup_options()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
        .collect();
    advanced_backup_settings.sort_by(|a, b| a.resource_type.cmp(&b.resource_type));
    for (selection_id, selection, extras) in selections {
        let name = &selection.name;
        unrepresented.extend(extras.iter().map(|x| format!("selection {name}: {x}")));
        sub_ids.insert(format!("selections/{name}"), selection_id);
        spec_selections.push(selection);
    }
    spec_selections.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Live {
        name: plan
            .map(|p| p.backup_plan_name())
            .unwrap_or_default()
            .to_string(),
        spec: BackupPlanSpec {
            rules,
            selections: spec_selections,
            external_vaults: Vec::new(),
            advanced_backup_settings,
            tags,
        },
        arn: got.backup_plan_arn().map(str::to_string).or(listed_arn),
        id: Some(id.to_string()),
        sub_ids,
        tags_known: true,
        unrepresented,
    })
}

/// A plan's settings the format has no field for ([`Live::unrepresented`]); the
/// plan's writer sends each back as AWS has it (`write::keep_unmodelled`).
fn plan_extras(plan: Option<&aws_sdk_backup::types::BackupPlan>) -> Vec<String> {
    let Some(plan) = plan else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if !plan.scan_settings().is_empty() {
        out.push("scanSettings".to_string());
    }
    for r in plan.rules() {
        let name = r.rule_name();
        if r.target_logically_air_gapped_backup_vault_arn().is_some() {
            out.push(format!(
                "rule {name}: targetLogicallyAirGappedBackupVaultArn"
            ));
        }
        if !r.scan_actions().is_empty() {
            out.push(format!("rule {name}: scanActions"));
        }
        let after_event =
            |lc: Option<&AwsLifecycle>| lc.is_some_and(|l| l.delete_after_event().is_some());
        if after_event(r.lifecycle()) {
            out.push(format!("rule {name}: lifecycle.deleteAfterEvent"));
        }
        if r.copy_actions().iter().any(|c| after_event(c.lifecycle())) {
            out.push(format!(
                "rule {name}: copyActions lifecycle.deleteAfterEvent"
            ));
        }
    }
    out
}

/// A selection's settings the format has no field for: ListOfTags of a type other
/// than STRINGEQUALS (the only one the API documents) and condition keys that are not
/// resource tags.
fn selection_extras(s: &aws_sdk_backup::types::BackupSelection) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = s.conditions() {
        for (name, set) in [
            ("StringEquals", c.string_equals()),
            ("StringNotEquals", c.string_not_equals()),
            ("StringLike", c.string_like()),
            ("StringNotLike", c.string_not_like()),
        ] {
            let foreign = set.iter().any(|p| {
                !p.condition_key()
                    .is_some_and(|k| k.starts_with(RESOURCE_TAG_PREFIX))
            });
            if foreign {
                out.push(format!(
                    "conditions.{name} on a key other than aws:ResourceTag/"
                ));
            }
        }
    }
    let other = s
        .list_of_tags()
        .iter()
        .any(|c| *c.condition_type() != ConditionType::Stringequals);
    if other {
        out.push("listOfTags of a type other than STRINGEQUALS".to_string());
    }
    out
}

fn rule(r: &AwsRule) -> BackupRule {
    BackupRule {
        name: r.rule_name().to_string(),
        target_vault: r.target_backup_vault_name().to_string(),
        schedule: r.schedule_expression().map(str::to_string),
        schedule_timezone: r.schedule_expression_timezone().map(str::to_string),
        start_window_minutes: r.start_window_minutes().and_then(|m| u64::try_from(m).ok()),
        completion_window_minutes: r
            .completion_window_minutes()
            .and_then(|m| u64::try_from(m).ok()),
        lifecycle: lifecycle(r.lifecycle()),
        copy_actions: r
            .copy_actions()
            .iter()
            .map(|c| CopyAction {
                destination_vault_arn: c.destination_backup_vault_arn().to_string(),
                lifecycle: lifecycle(c.lifecycle()),
            })
            .collect(),
        recovery_point_tags: r
            .recovery_point_tags()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        enable_continuous_backup: r.enable_continuous_backup(),
        index_actions: r
            .index_actions()
            .iter()
            .map(|a| IndexAction {
                resource_types: a.resource_types().to_vec(),
            })
            .collect(),
    }
}

/// A lifecycle; `None` when AWS returns none or an empty one.
fn lifecycle(lc: Option<&AwsLifecycle>) -> Option<Lifecycle> {
    let lc = lc?;
    let days = |d: Option<i64>| d.and_then(|d| u32::try_from(d).ok());
    let out = Lifecycle {
        move_to_cold_storage_after_days: days(lc.move_to_cold_storage_after_days()),
        delete_after_days: days(lc.delete_after_days()),
        opt_in_to_archive_for_supported_resources: lc.opt_in_to_archive_for_supported_resources(),
    };
    let empty = out.move_to_cold_storage_after_days.is_none()
        && out.delete_after_days.is_none()
        && out.opt_in_to_archive_for_supported_resources.is_none();
    (!empty).then_some(out)
}

/// ListBackupSelections + GetBackupSelection of each: (SelectionId, selection, what
/// of it the format cannot hold).
async fn plan_selections(
    clients: &Clients,
    plan_id: &str,
) -> Result<Vec<(String, BackupSelection, Vec<String>)>, AwsError> {
    let mut pages = clients
        .backup
        .list_backup_selections()
        .backup_plan_id(plan_id)
        .max_results(1000)
        .into_paginator()
        .send();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            AwsError::call(clients, "backup", "ListBackupSelections", Some(plan_id), e)
        })?;
        ids.extend(
            page.backup_selections_list()
                .iter()
                .filter_map(|s| s.selection_id())
                .map(str::to_string),
        );
    }
    let plan_id = plan_id.to_string();
    in_parallel(ids, |selection_id| {
        let clients = clients.clone();
        let plan_id = plan_id.clone();
        async move {
            let got = clients
                .backup
                .get_backup_selection()
                .backup_plan_id(&plan_id)
                .selection_id(&selection_id)
                .send()
                .await
                .map_err(|e| {
                    AwsError::call(
                        &clients,
                        "backup",
                        "GetBackupSelection",
                        Some(&format!("{plan_id}/{selection_id}")),
                        e,
                    )
                })?;
            let extras = got
                .backup_selection()
                .map(selection_extras)
                .unwrap_or_default();
            let selection =
                got.backup_selection()
                    .map(selection)
                    .unwrap_or_else(|| BackupSelection {
                        name: selection_id.clone(),
                        iam_role_arn: String::new(),
                        tags: BTreeMap::new(),
                        conditions: None,
                        any_of_tags: BTreeMap::new(),
                        resources: Vec::new(),
                        not_resources: Vec::new(),
                    });
            Ok((selection_id, selection, extras))
        }
    })
    .await
}

fn strip(key: &str) -> String {
    key.strip_prefix(RESOURCE_TAG_PREFIX)
        .unwrap_or(key)
        .to_string()
}

/// Condition parameters on resource tags as tag key → value.
fn condition_map(params: &[ConditionParameter]) -> BTreeMap<String, String> {
    params
        .iter()
        .filter(|p| {
            p.condition_key()
                .is_some_and(|k| k.starts_with(RESOURCE_TAG_PREFIX))
        })
        .filter_map(|p| Some((strip(p.condition_key()?), p.condition_value()?.to_string())))
        .collect()
}

/// StringEquals conditions read into `tags` (the shorthand); the other operators into
/// `conditions`.
fn selection(s: &aws_sdk_backup::types::BackupSelection) -> BackupSelection {
    let c = s.conditions();
    let of = |f: fn(&aws_sdk_backup::types::Conditions) -> &[ConditionParameter]| {
        c.map(|c| condition_map(f(c))).unwrap_or_default()
    };
    let conditions = SelectionConditions {
        string_equals: BTreeMap::new(),
        string_not_equals: of(|c| c.string_not_equals()),
        string_like: of(|c| c.string_like()),
        string_not_like: of(|c| c.string_not_like()),
    };
    let mut any_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in s
        .list_of_tags()
        .iter()
        .filter(|c| *c.condition_type() == ConditionType::Stringequals)
    {
        any_of
            .entry(t.condition_key().to_string())
            .or_default()
            .push(t.condition_value().to_string());
    }
    BackupSelection {
        name: s.selection_name().to_string(),
        iam_role_arn: s.iam_role_arn().to_string(),
        tags: of(|c| c.string_equals()),
        conditions: (conditions != SelectionConditions::default()).then_some(conditions),
        any_of_tags: any_of
            .into_iter()
            .map(|(k, mut v)| {
                v.sort();
                let one = if v.len() == 1 {
                    Some(v[0].clone())
                } else {
                    None
                };
                (k, one.map_or(OneOrMany::Many(v), OneOrMany::One))
            })
            .collect(),
        resources: s.resources().to_vec(),
        not_resources: s.not_resources().to_vec(),
    }
}

/// ListTags of one vault or plan, by ARN.
async fn list_tags(clients: &Clients, arn: &str) -> Result<Tags, AwsError> {
    let mut pages = clients
        .backup
        .list_tags()
        .resource_arn(arn)
        .into_paginator()
        .send();
    let mut tags = Tags::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::call(clients, "backup", "ListTags", Some(arn), e))?;
        tags.extend(
            page.tags()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    Ok(tags)
}
