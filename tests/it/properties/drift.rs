//! Out-of-band changes made with the AWS SDK, one field of one resource each, and the
//! drift `plan` must report for each (`Expected`): the change's name and the one field
//! path. Each kind lists its mutations in [`mutations`]; the generator picks one per
//! resource. A mutation that does not apply to a spec (removing a tag it does not
//! have) falls back to adding a tag, which always applies.

use aws_sdk_ssm::types::{
    MaintenanceWindowFilter, PatchAction, PatchOrchestratorFilter, ResourceTypeForTagging,
};
use aws_types::SdkConfig;
use serde_json::Value;

use super::generate::{retention_prefix, Case, Doc};
use crate::fixtures::{cw_tag, ssm_tag};

/// The tag every "add a tag" mutation adds (the generator never uses this key).
const DRIFT_TAG: &str = "drift";
const DRIFT_VALUE: &str = "changed out of band";

/// One drift the plan must show.
#[derive(Debug, Clone)]
pub struct Expected {
    pub case: usize,
    pub kind: &'static str,
    pub change_name: String,
    pub path: String,
    /// The out-of-band change, for messages.
    pub what: String,
}

/// Each kind's single-field mutations, by name (the index the generator picks).
pub fn mutations(kind: &str) -> &'static [&'static str] {
    match kind {
        "MetricAlarm" => &["add tag", "toggle actionsEnabled", "remove tag"],
        "LogGroup" => &[
            "add tag",
            "change retention",
            "remove kms key",
            "remove tag",
        ],
        "LogRetentionPolicy" => &["change a governed group's retention"],
        "PatchBaseline" => &[
            "add tag",
            "change description",
            "flip rejectedPatchesAction",
        ],
        "MaintenanceWindow" => &[
            "add tag",
            "change description",
            "toggle enabled",
            "toggle allowUnassociatedTargets",
        ],
        "BackupVault" | "BackupPlan" => &["add tag"],
        "MetricFilter" => &["change filterPattern"],
        "CompositeAlarm" => &["add tag", "toggle actionsEnabled"],
        other => panic!("no mutations for {other}"),
    }
}

/// Two unowned log groups under every case's retention prefix: `a` without
/// retention, `b` with 5 days.
pub async fn seed_unowned_groups(sdk: &SdkConfig, cases: usize) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    for case in 0..cases {
        let prefix = retention_prefix(case);
        for group in ["a", "b"] {
            let name = format!("{prefix}{group}");
            logs.create_log_group()
                .log_group_name(&name)
                .send()
                .await
                .expect("CreateLogGroup");
        }
        logs.put_retention_policy()
            .log_group_name(format!("{prefix}b"))
            .retention_in_days(5)
            .send()
            .await
            .expect("PutRetentionPolicy");
    }
}

/// Makes one out-of-band change per resource of every case; returns what the plan
/// must show.
pub async fn change_out_of_band(sdk: &SdkConfig, cases: &[Case]) -> Vec<Expected> {
    let mut expected = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        for (doc, choice) in case.docs.iter().zip(&case.drift_choices) {
            let names = mutations(doc.kind);
            let chosen = names[choice % names.len()];
            if let Some((change_name, path)) = mutate(sdk, i, doc, chosen).await {
                expected.push(Expected {
                    case: i,
                    kind: doc.kind,
                    change_name,
                    path,
                    what: chosen.to_string(),
                });
            }
        }
    }
    expected
}

/// The plan's path of a tag key (`tags.team`, `tags["cost center"]`).
pub fn tag_path(key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("tags.{key}")
    } else {
        format!("tags[{}]", serde_json::to_string(key).unwrap())
    }
}

fn first_tag(doc: &Doc) -> Option<String> {
    doc.spec["tags"].as_object()?.keys().next().cloned()
}

async fn mutate(sdk: &SdkConfig, case: usize, doc: &Doc, chosen: &str) -> Option<(String, String)> {
    assert!(
        doc.spec["tags"].get(DRIFT_TAG).is_none(),
        "a generated spec uses the drift tag: {doc:?}"
    );
    let name = doc.name.clone();
    let path = match doc.kind {
        "MetricAlarm" => alarm(sdk, doc, chosen).await,
        "LogGroup" => log_group(sdk, doc, chosen).await,
        "LogRetentionPolicy" => return retention(sdk, case, doc).await.map(|p| (name, p)),
        "PatchBaseline" => baseline(sdk, doc, chosen).await,
        "MaintenanceWindow" => window(sdk, doc, chosen).await,
        "BackupVault" | "BackupPlan" => backup(sdk, doc).await,
        "MetricFilter" => metric_filter(sdk, doc).await,
        "CompositeAlarm" => composite(sdk, doc, chosen).await,
        other => panic!("no mutations for {other}"),
    };
    Some((name, path))
}

async fn alarm(sdk: &SdkConfig, doc: &Doc, chosen: &str) -> String {
    let cw = aws_sdk_cloudwatch::Client::new(sdk);
    let described = cw
        .describe_alarms()
        .alarm_names(&doc.name)
        .send()
        .await
        .expect("DescribeAlarms");
    let arn = described.metric_alarms()[0]
        .alarm_arn()
        .unwrap()
        .to_string();
    match (chosen, first_tag(doc)) {
        ("toggle actionsEnabled", _) => toggle_actions(&cw, doc).await,
        ("remove tag", Some(key)) => {
            cw.untag_resource()
                .resource_arn(&arn)
                .tag_keys(&key)
                .send()
                .await
                .expect("UntagResource");
            tag_path(&key)
        }
        _ => {
            cw.tag_resource()
                .resource_arn(&arn)
                .tags(cw_tag(DRIFT_TAG, DRIFT_VALUE))
                .send()
                .await
                .expect("TagResource");
            tag_path(DRIFT_TAG)
        }
    }
}

/// A retention other than `current` (days, `never` or absent).
fn other_retention(current: &Value) -> i32 {
    if current == &Value::from(7) {
        14
    } else {
        7
    }
}

async fn log_group(sdk: &SdkConfig, doc: &Doc, chosen: &str) -> String {
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let described = logs
        .describe_log_groups()
        .log_group_name_prefix(&doc.name)
        .send()
        .await
        .expect("DescribeLogGroups");
    let group = described
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(&doc.name))
        .unwrap();
    let arn = group.arn().unwrap().trim_end_matches(":*").to_string();
    let kms = doc.spec.get("kmsKeyId").is_some();
    match (chosen, first_tag(doc)) {
        ("change retention", _) => {
            let days = other_retention(&doc.spec["retentionInDays"]);
            logs.put_retention_policy()
                .log_group_name(&doc.name)
                .retention_in_days(days)
                .send()
                .await
                .expect("PutRetentionPolicy");
            "retentionInDays".into()
        }
        ("remove kms key", _) if kms => {
            logs.disassociate_kms_key()
                .log_group_name(&doc.name)
                .send()
                .await
                .expect("DisassociateKmsKey");
            "kmsKeyId".into()
        }
        ("remove tag", Some(key)) => {
            logs.untag_resource()
                .resource_arn(&arn)
                .tag_keys(&key)
                .send()
                .await
                .expect("UntagResource");
            tag_path(&key)
        }
        _ => {
            logs.tag_resource()
                .resource_arn(&arn)
                .tags(DRIFT_TAG, DRIFT_VALUE)
                .send()
                .await
                .expect("TagResource");
            tag_path(DRIFT_TAG)
        }
    }
}

/// Changes the retention of the unowned group `a` when the policy governs it (not
/// excluded, and not `onlyWhereUnset`, which leaves a group alone once it has one)
/// and driftless set it: a policy of `never` finds `a` compliant and records nothing,
/// so a later change is reported as an update without `drift` — a known gap, kept
/// as the ignored regression `regressions::retention_policy_drift_on_a_group_it_never_set`.
async fn retention(sdk: &SdkConfig, case: usize, doc: &Doc) -> Option<String> {
    let group = format!("{}a", retention_prefix(case));
    let excluded = doc.spec["exclude"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|e| group.starts_with(e.as_str().unwrap()));
    if excluded
        || doc.spec["onlyWhereUnset"] == Value::Bool(true)
        || doc.spec["retentionInDays"] == "never"
    {
        return None;
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let days = other_retention(&doc.spec["retentionInDays"]);
    logs.put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(days)
        .send()
        .await
        .expect("PutRetentionPolicy");
    Some(format!(
        "logGroups[{}].retentionInDays",
        serde_json::to_string(&group).unwrap()
    ))
}

async fn baseline(sdk: &SdkConfig, doc: &Doc, chosen: &str) -> String {
    let ssm = aws_sdk_ssm::Client::new(sdk);
    let filter = PatchOrchestratorFilter::builder()
        .key("NAME_PREFIX")
        .values(&doc.name)
        .build();
    let described = ssm
        .describe_patch_baselines()
        .filters(filter)
        .send()
        .await
        .expect("DescribePatchBaselines");
    let id = described
        .baseline_identities()
        .iter()
        .find(|b| b.baseline_name() == Some(&doc.name))
        .and_then(|b| b.baseline_id())
        .unwrap()
        .to_string();
    match chosen {
        "change description" => {
            ssm.update_patch_baseline()
                .baseline_id(&id)
                .description(DRIFT_VALUE)
                .send()
                .await
                .expect("UpdatePatchBaseline");
            "description".into()
        }
        "flip rejectedPatchesAction" => {
            let block = doc.spec["rejectedPatchesAction"] == "BLOCK";
            let action = if block {
                PatchAction::AllowAsDependency
            } else {
                PatchAction::Block
            };
            ssm.update_patch_baseline()
                .baseline_id(&id)
                .rejected_patches_action(action)
                .send()
                .await
                .expect("UpdatePatchBaseline");
            "rejectedPatchesAction".into()
        }
        _ => {
            ssm.add_tags_to_resource()
                .resource_type(ResourceTypeForTagging::PatchBaseline)
                .resource_id(&id)
                .tags(ssm_tag(DRIFT_TAG, DRIFT_VALUE))
                .send()
                .await
                .expect("AddTagsToResource");
            tag_path(DRIFT_TAG)
        }
    }
}

async fn window(sdk: &SdkConfig, doc: &Doc, chosen: &str) -> String {
    let ssm = aws_sdk_ssm::Client::new(sdk);
    let filter = MaintenanceWindowFilter::builder()
        .key("Name")
        .values(&doc.name)
        .build();
    let described = ssm
        .describe_maintenance_windows()
        .filters(filter)
        .send()
        .await
        .expect("DescribeMaintenanceWindows");
    let id = described
        .window_identities()
        .iter()
        .find(|w| w.name() == Some(&doc.name))
        .and_then(|w| w.window_id())
        .unwrap()
        .to_string();
    let update = ssm.update_maintenance_window().window_id(&id);
    match chosen {
        "change description" => {
            update
                .description(DRIFT_VALUE)
                .send()
                .await
                .expect("UpdateMaintenanceWindow");
            "description".into()
        }
        "toggle enabled" => {
            let enabled = doc.spec["enabled"].as_bool().unwrap_or(true);
            update
                .enabled(!enabled)
                .send()
                .await
                .expect("UpdateMaintenanceWindow");
            "enabled".into()
        }
        "toggle allowUnassociatedTargets" => {
            let allow = doc.spec["allowUnassociatedTargets"]
                .as_bool()
                .unwrap_or(false);
            update
                .allow_unassociated_targets(!allow)
                .send()
                .await
                .expect("UpdateMaintenanceWindow");
            "allowUnassociatedTargets".into()
        }
        _ => {
            ssm.add_tags_to_resource()
                .resource_type(ResourceTypeForTagging::MaintenanceWindow)
                .resource_id(&id)
                .tags(ssm_tag(DRIFT_TAG, DRIFT_VALUE))
                .send()
                .await
                .expect("AddTagsToResource");
            tag_path(DRIFT_TAG)
        }
    }
}

async fn backup(sdk: &SdkConfig, doc: &Doc) -> String {
    let backup = aws_sdk_backup::Client::new(sdk);
    let arn = if doc.kind == "BackupVault" {
        let vault = backup
            .describe_backup_vault()
            .backup_vault_name(&doc.name)
            .send()
            .await
            .expect("DescribeBackupVault");
        vault.backup_vault_arn().unwrap().to_string()
    } else {
        let mut token = None;
        loop {
            let page = backup
                .list_backup_plans()
                .set_next_token(token)
                .send()
                .await
                .expect("ListBackupPlans");
            let found = page
                .backup_plans_list()
                .iter()
                .find(|p| p.backup_plan_name() == Some(&doc.name));
            if let Some(arn) = found.and_then(|p| p.backup_plan_arn()) {
                break arn.to_string();
            }
            token = Some(page.next_token().expect("the plan is listed").to_string());
        }
    };
    backup
        .tag_resource()
        .resource_arn(&arn)
        .tags(DRIFT_TAG, DRIFT_VALUE)
        .send()
        .await
        .expect("TagResource");
    tag_path(DRIFT_TAG)
}

/// Puts the filter back with another pattern of the same structure (a JSON or
/// space-delimited pattern keeps its dimensions valid), every other field as read.
async fn metric_filter(sdk: &SdkConfig, doc: &Doc) -> String {
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let group = doc.spec["logGroupName"].as_str().unwrap();
    let described = logs
        .describe_metric_filters()
        .log_group_name(group)
        .filter_name_prefix(&doc.name)
        .send()
        .await
        .expect("DescribeMetricFilters");
    let filter = described
        .metric_filters()
        .iter()
        .find(|f| f.filter_name() == Some(doc.name.as_str()))
        .expect("the filter exists");
    let pattern = filter.filter_pattern().unwrap_or_default();
    let other = if pattern.starts_with('{') {
        "{ $.errorCode = \"Drifted\" }"
    } else if pattern.starts_with('[') {
        "[ip, user, status=4*, bytes]"
    } else {
        "DRIFTED"
    };
    logs.put_metric_filter()
        .log_group_name(group)
        .filter_name(&doc.name)
        .filter_pattern(other)
        .set_metric_transformations(Some(filter.metric_transformations().to_vec()))
        .apply_on_transformed_logs(filter.apply_on_transformed_logs())
        .send()
        .await
        .expect("PutMetricFilter");
    "filterPattern".into()
}

async fn composite(sdk: &SdkConfig, doc: &Doc, chosen: &str) -> String {
    let cw = aws_sdk_cloudwatch::Client::new(sdk);
    if chosen == "toggle actionsEnabled" {
        return toggle_actions(&cw, doc).await;
    }
    let described = cw
        .describe_alarms()
        .alarm_names(&doc.name)
        .alarm_types(aws_sdk_cloudwatch::types::AlarmType::CompositeAlarm)
        .send()
        .await
        .expect("DescribeAlarms");
    let arn = described.composite_alarms()[0]
        .alarm_arn()
        .unwrap()
        .to_string();
    cw.tag_resource()
        .resource_arn(&arn)
        .tags(cw_tag(DRIFT_TAG, DRIFT_VALUE))
        .send()
        .await
        .expect("TagResource");
    tag_path(DRIFT_TAG)
}

/// Disables a metric or composite alarm's actions if the spec has them on (the
/// default), else enables them; the path of the field it changed.
async fn toggle_actions(cw: &aws_sdk_cloudwatch::Client, doc: &Doc) -> String {
    if doc.spec["actionsEnabled"].as_bool().unwrap_or(true) {
        cw.disable_alarm_actions()
            .alarm_names(&doc.name)
            .send()
            .await
            .expect("DisableAlarmActions");
    } else {
        cw.enable_alarm_actions()
            .alarm_names(&doc.name)
            .send()
            .await
            .expect("EnableAlarmActions");
    }
    "actionsEnabled".into()
}
