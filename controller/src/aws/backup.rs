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
//!   ListTags               V_unowned        (one page: a vault has at most 50 tags)
//! read_plans:
//!   ListBackupPlans        max(1, ceil(P_all / 1000))
//!   GetBackupPlan          P_sel
//!   ListBackupSelections   Σ_p max(1, ceil(S_p / 1000))
//!   GetBackupSelection     Σ_p S_p
//!   ListTags               P_unowned
//! ```
//!
//! ListBackupVaults carries the name, ARN, key and recovery-point count, so vaults
//! need no detail call. Detail calls run concurrently, at most
//! [`super::ssm::IN_FLIGHT`] at a time per reader.

pub mod write;
pub use write::*;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_backup::types::{BackupRule as AwsRule, ConditionType, Lifecycle as AwsLifecycle};

use super::ssm::{by_id, in_parallel};
use super::{AwsError, Clients};
use crate::live::{Live, LiveVault};
use crate::spec::backup_plan::{BackupRule, BackupSelection, CopyAction, Lifecycle};
use crate::spec::{BackupPlanSpec, BackupVaultSpec};

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
            selected.push((
                name.to_string(),
                vault.backup_vault_arn().map(str::to_string),
                vault.encryption_key_arn().map(str::to_string),
                u64::try_from(vault.number_of_recovery_points()).unwrap_or_default(),
                own.map(|(_, tags)| (*tags).clone()),
            ));
        }
    }
    in_parallel(selected, |(name, arn, key, recovery_points, tags)| {
        let clients = clients.clone();
        async move {
            let tags = match (tags, &arn) {
                (Some(tags), _) => tags,
                (None, Some(arn)) => list_tags(&clients, arn).await?,
                (None, None) => Tags::new(),
            };
            Ok(LiveVault {
                vault: Live {
                    name,
                    spec: BackupVaultSpec {
                        encryption_key_arn: key,
                        tags,
                    },
                    arn,
                    id: None,
                    sub_ids: BTreeMap::new(),
                    tags_known: true,
                    unrepresented: Vec::new(),
                },
                recovery_points,
            })
        }
    })
    .await
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
            tags,
        },
        arn: got.backup_plan_arn().map(str::to_string).or(listed_arn),
        id: Some(id.to_string()),
        sub_ids,
        tags_known: true,
        unrepresented,
    })
}

/// A plan's settings the format has no field for ([`Live::unrepresented`]).
fn plan_extras(plan: Option<&aws_sdk_backup::types::BackupPlan>) -> Vec<String> {
    let Some(plan) = plan else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if !plan.advanced_backup_settings().is_empty() {
        out.push("advancedBackupSettings".to_string());
    }
    for r in plan.rules() {
        if !r.index_actions().is_empty() {
            out.push(format!("rule {}: indexActions", r.rule_name()));
        }
    }
    out
}

/// A selection's conditions the format has no field for (only StringEquals ones are).
fn selection_extras(s: &aws_sdk_backup::types::BackupSelection) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = s.conditions() {
        for (name, set) in [
            ("StringNotEquals", c.string_not_equals()),
            ("StringLike", c.string_like()),
            ("StringNotLike", c.string_not_like()),
        ] {
            if !set.is_empty() {
                out.push(format!("conditions.{name}"));
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
                        any_of_tags: BTreeMap::new(),
                        resources: Vec::new(),
                        not_resources: Vec::new(),
                    });
            Ok((selection_id, selection, extras))
        }
    })
    .await
}

fn selection(s: &aws_sdk_backup::types::BackupSelection) -> BackupSelection {
    let strip = |key: &str| {
        key.strip_prefix(RESOURCE_TAG_PREFIX)
            .unwrap_or(key)
            .to_string()
    };
    BackupSelection {
        name: s.selection_name().to_string(),
        iam_role_arn: s.iam_role_arn().to_string(),
        // StringNotEquals / StringLike / StringNotLike have no spec field.
        tags: s
            .conditions()
            .map(|c| c.string_equals())
            .unwrap_or_default()
            .iter()
            .filter_map(|p| Some((strip(p.condition_key()?), p.condition_value()?.to_string())))
            .collect(),
        any_of_tags: s
            .list_of_tags()
            .iter()
            .filter(|c| *c.condition_type() == ConditionType::Stringequals)
            .map(|c| (strip(c.condition_key()), c.condition_value().to_string()))
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
