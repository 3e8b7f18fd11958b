//! The model-driven preservation test (issue 23): for each call driftless makes on a
//! live resource (update, put, register, tagging), a live resource is seeded with
//! every member of the API's input shape set to a valid non-default value (generated
//! from the botocore model the emulator loads, `tests/it/preserve/`), imported and
//! adopted, then an unrelated change is committed to git and applied; every live
//! setting outside that change must read back exactly as before import.
//!
//! `every_write_call_is_covered` fails when the AWS crate makes a write call (the
//! `iam::CALLS` table, which `iam.rs` keeps equal to the calls made) that no case
//! covers and that is not a create or delete of a whole resource.
//! The Python side (`preserve.py`) seeds, edits and checks; this side runs driftless
//! and asserts the edit's apply made the calls the case covers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::emulator::Emulator;
use crate::support::{git, repo_root, writes, Repo, Run};

/// Write calls that are not changes to a live resource's settings: creating or
/// deleting a whole resource (nothing of it lives before, or nothing after), deleting
/// one sub-setting driftless models whole, and the controller's notifications.
const NOT_UPDATES: &[(&str, &str)] = &[
    ("cloudwatch:DeleteAlarms", "deletes the alarm"),
    ("logs:CreateLogGroup", "creates the group"),
    ("logs:DeleteLogGroup", "deletes the group"),
    ("logs:DeleteMetricFilter", "deletes the filter"),
    ("ssm:CreatePatchBaseline", "creates the baseline"),
    ("ssm:DeletePatchBaseline", "deletes the baseline"),
    ("ssm:CreateMaintenanceWindow", "creates the window"),
    ("ssm:DeleteMaintenanceWindow", "deletes the window"),
    (
        "ssm:DeregisterTargetFromMaintenanceWindow",
        "deletes the target",
    ),
    (
        "ssm:DeregisterTaskFromMaintenanceWindow",
        "deletes the task",
    ),
    ("backup:CreateBackupVault", "creates the vault"),
    ("backup:DeleteBackupVault", "deletes the vault"),
    (
        "backup:DeleteRecoveryPoint",
        "deletes a recovery point (--allow-data-loss)",
    ),
    ("backup:CreateBackupPlan", "creates the plan"),
    ("backup:DeleteBackupPlan", "deletes the plan"),
    ("backup:DeleteBackupSelection", "deletes the selection"),
    (
        "config:DeleteConfigurationAggregator",
        "deletes the aggregator",
    ),
    ("sns:Publish", "the controller's notifications, no resource"),
    ("config:DeleteConfigRule", "deletes the rule"),
    (
        "config:DeleteConformancePack",
        "deletes the pack (and AWS its rules)",
    ),
    ("ssm:CreateAssociation", "creates the association"),
    ("ssm:DeleteAssociation", "deletes the association"),
    (
        "config:DeleteDeliveryChannel",
        "deletes the channel (with its recorder)",
    ),
    ("config:DeleteConfigurationRecorder", "deletes the recorder"),
];

/// Write calls on driftless's own state backend (records, history and locks under the
/// configured S3 prefix): objects driftless alone writes, never an operator's resource.
const OWN_STATE: &[(&str, &str)] = &[
    (
        "s3:PutObject",
        "the state backend's own records, history and locks",
    ),
    (
        "s3:DeleteObject",
        "the state backend's own lock release and history pruning",
    ),
];

/// Prefixes of calls that change a live resource in place: never in [`NOT_UPDATES`].
const UPDATE_PREFIXES: &[&str] = &[
    "Update",
    "Put",
    "Register",
    "Tag",
    "Untag",
    "AddTags",
    "RemoveTags",
    "Associate",
    "Disassociate",
];

fn tool() -> (PathBuf, PathBuf) {
    let root = repo_root();
    (
        root.join(".venv/bin/python"),
        root.join("tests/it/preserve/preserve.py"),
    )
}

fn preserve(args: &[&str], account: Option<&crate::emulator::TestAccount>) -> Run {
    let (python, script) = tool();
    let mut command = Command::new(python);
    command.arg(script).args(args);
    if let Some(a) = account {
        command.args([
            "--endpoint",
            Emulator::shared().endpoint(),
            "--account",
            &a.account_id,
            "--region",
            &a.region,
        ]);
    }
    Run::from_output(&command.output().unwrap())
}

/// `preserve.py list`: `cases` (name → calls covered) and `gaps` (members no case sets,
/// each with its reason).
fn listing() -> Value {
    let run = preserve(&["list"], None);
    assert_eq!(run.code, 0, "preserve.py list:\n{}", run.stderr);
    run.json()
}

fn cases() -> Value {
    listing()["cases"].clone()
}

#[test]
fn every_write_call_is_covered() {
    let listing = listing();
    for (member, defect) in listing["gaps"].as_object().unwrap() {
        eprintln!("not covered: {member}: {defect}");
    }
    let cases = listing["cases"].clone();
    let covered: BTreeSet<String> = cases
        .as_object()
        .unwrap()
        .values()
        .flat_map(|c| c["covers"].as_array().unwrap().iter())
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let mut uncovered = Vec::new();
    for call in driftless::iam::CALLS {
        let name = format!("{}:{}", call.service, call.operation);
        let exempt = NOT_UPDATES.iter().chain(OWN_STATE).any(|(n, _)| *n == name);
        if call.access == driftless::iam::Access::Write && !exempt && !covered.contains(&name) {
            uncovered.push(name);
        }
    }
    assert!(
        uncovered.is_empty(),
        "write calls no preservation case covers (add a case in tests/it/preserve/cases.py \
         and its line in CASES below): {uncovered:?}"
    );
    for (name, _) in NOT_UPDATES {
        let op = name.split(':').nth(1).unwrap();
        assert!(
            !UPDATE_PREFIXES.iter().any(|p| op.starts_with(p)),
            "{name} changes a resource in place: it needs a case, not an exemption"
        );
    }
    let known: BTreeSet<&str> = cases
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let ran: BTreeSet<&str> = CASES.iter().copied().collect();
    assert_eq!(known, ran, "every case of preserve.py has its test here");
}

/// The imported folder as a git repository; its `file://` URL.
fn commit_all(dir: &Path, message: &str, first: bool) -> String {
    if first {
        git(dir, &["init", "-q"]);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    format!("file://{}", dir.display())
}

fn run_ok(repo: &Repo, args: &[&str], what: &str) -> Run {
    let run = repo.run_raw(args);
    assert_eq!(run.code, 0, "{what}:\n{}\n{}", run.stdout, run.stderr);
    run
}

/// One case: seed, import and adopt, the edit from git, apply, plan clean, check.
fn preserved(case: &str) {
    let covers: Vec<String> = cases()[case]["covers"]
        .as_array()
        .unwrap_or_else(|| panic!("no case {case} in preserve.py"))
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let repo = Repo::new(&[]);
    let work = tempfile::tempdir().unwrap();
    let work_path = work.path().to_string_lossy().into_owned();
    let seed = preserve(&["seed", case, &work_path], Some(&repo.account));
    assert_eq!(seed.code, 0, "seeding {case}:\n{}", seed.stderr);

    let dir = work.path().join("repo");
    let out = dir.to_string_lossy().into_owned();
    run_ok(
        &repo,
        &[
            "import",
            "--adopt",
            "--out",
            &out,
            "--source",
            &repo.dir.path().to_string_lossy(),
        ],
        "import",
    );
    let url = commit_all(&dir, "import", true);
    run_ok(
        &repo,
        &["apply", "--auto-approve", "--source", &url],
        "adopt",
    );

    let edit = preserve(&["edit", case, &out], None);
    assert_eq!(edit.code, 0, "editing {case}:\n{}", edit.stderr);
    commit_all(&dir, "an unrelated change", false);
    let before = repo.calls();
    run_ok(
        &repo,
        &["apply", "--auto-approve", "--source", &url],
        "apply the change",
    );
    let made = writes(&before, &repo.calls());
    for call in &covers {
        assert!(
            made.contains_key(call),
            "{case}: the change was to make {call}; apply made {made:?}"
        );
    }
    let plan = repo.run_raw(&[
        "plan",
        "--detailed-exitcode",
        "--output",
        "json",
        "--source",
        &url,
    ]);
    assert_eq!(
        plan.code, 0,
        "{case}: plan after apply is not clean:\n{}\n{}",
        plan.stdout, plan.stderr
    );

    let check = preserve(&["check", case, &work_path], Some(&repo.account));
    assert_eq!(check.code, 0, "{}", check.stderr);
}

/// One test per case. A case driftless still fails is left out of the default run
/// with `, defect: "..."` naming the defect (`--run-ignored all` runs it); it stays in
/// `CASES`, so it is still required to exist.
macro_rules! cases {
    ($($test:ident => $case:literal $(, defect: $defect:literal)?;)*) => {
        /// Every case `preserve.py list` has, one test each.
        const CASES: &[&str] = &[$($case),*];
        $(
            #[test]
            $(#[ignore = $defect])?
            fn $test() {
                preserved($case);
            }
        )*
    };
}

cases! {
    update_patch_baseline_windows => "UpdatePatchBaseline/windows";
    update_patch_baseline_linux => "UpdatePatchBaseline/linux";
    ssm_tags_on_a_baseline => "ssm-tags/baseline";
    register_patch_baseline_for_patch_group => "RegisterPatchBaselineForPatchGroup";
    register_default_patch_baseline => "RegisterDefaultPatchBaseline";
    update_maintenance_window => "UpdateMaintenanceWindow";
    ssm_tags_on_a_window => "ssm-tags/window";
    update_maintenance_window_target => "UpdateMaintenanceWindowTarget";
    update_maintenance_window_target_unnamed => "UpdateMaintenanceWindowTarget/unnamed";
    register_target_with_maintenance_window => "RegisterTargetWithMaintenanceWindow";
    update_maintenance_window_task => "UpdateMaintenanceWindowTask";
    update_maintenance_window_task_legacy => "UpdateMaintenanceWindowTask/legacy";
    update_maintenance_window_task_automation => "UpdateMaintenanceWindowTask/automation";
    update_maintenance_window_task_lambda => "UpdateMaintenanceWindowTask/lambda";
    update_maintenance_window_task_step_functions => "UpdateMaintenanceWindowTask/step_functions";
    register_task_with_maintenance_window => "RegisterTaskWithMaintenanceWindow";
    register_task_with_maintenance_window_on_a_type_change => "RegisterTaskWithMaintenanceWindow/type-change";
    put_backup_vault_access_policy => "PutBackupVaultAccessPolicy";
    put_backup_vault_notifications => "PutBackupVaultNotifications";
    put_backup_vault_lock_configuration => "PutBackupVaultLockConfiguration";
    backup_tags_on_a_vault => "backup-tags/vault";
    update_backup_plan => "UpdateBackupPlan";
    backup_tags_on_a_plan => "backup-tags/plan";
    create_backup_selection_on_a_change => "CreateBackupSelection/changed";
    put_metric_alarm_single => "PutMetricAlarm/single";
    put_metric_alarm_percentile => "PutMetricAlarm/percentile";
    put_metric_alarm_math => "PutMetricAlarm/math";
    put_metric_alarm_anomaly => "PutMetricAlarm/anomaly";
    cloudwatch_tags_on_an_alarm => "cloudwatch-tags/alarm";
    put_composite_alarm => "PutCompositeAlarm";
    put_retention_policy => "PutRetentionPolicy";
    delete_retention_policy => "DeleteRetentionPolicy";
    associate_kms_key => "AssociateKmsKey";
    disassociate_kms_key => "DisassociateKmsKey";
    logs_tags_on_a_group => "logs-tags/group";
    put_metric_filter => "PutMetricFilter";
    put_metric_filter_dimensions => "PutMetricFilter/dimensions";
    deregister_patch_baseline_for_patch_group => "DeregisterPatchBaselineForPatchGroup";
    delete_backup_vault_access_policy => "DeleteBackupVaultAccessPolicy";
    delete_backup_vault_notifications => "DeleteBackupVaultNotifications";
    delete_backup_vault_lock_configuration => "DeleteBackupVaultLockConfiguration";
    update_maintenance_window_minimal => "UpdateMaintenanceWindow/minimal";
    update_maintenance_window_target_minimal => "UpdateMaintenanceWindowTarget/minimal";
    update_maintenance_window_task_minimal => "UpdateMaintenanceWindowTask/minimal";
    update_patch_baseline_minimal => "UpdatePatchBaseline/minimal";
    put_metric_alarm_minimal => "PutMetricAlarm/minimal";
    put_composite_alarm_minimal => "PutCompositeAlarm/minimal";
    update_backup_plan_minimal => "UpdateBackupPlan/minimal";
    put_metric_filter_minimal => "PutMetricFilter/minimal";
    put_configuration_aggregator_accounts => "PutConfigurationAggregator/accounts";
    put_configuration_aggregator_organization => "PutConfigurationAggregator/organization";
    config_tags_on_an_aggregator => "config-tags/aggregator";
    put_config_rule => "PutConfigRule";
    put_remediation_configurations => "PutRemediationConfigurations";
    config_tags_on_a_rule => "config-tags/rule";
    delete_remediation_configuration => "DeleteRemediationConfiguration";
    update_association => "UpdateAssociation";
    put_conformance_pack => "PutConformancePack";
    put_configuration_recorder => "PutConfigurationRecorder";
    put_delivery_channel => "PutDeliveryChannel";
    stop_configuration_recorder => "StopConfigurationRecorder";
    start_configuration_recorder => "StartConfigurationRecorder";
}
