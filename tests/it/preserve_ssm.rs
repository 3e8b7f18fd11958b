//! Systems Manager writes never lose a setting (issue 23): an estate made through the
//! SDK as a user would (from AWS's own CLI examples), imported with `--adopt`,
//! adopted, edited in git on an unrelated field, applied; every setting is then
//! byte-for-byte as before but the edit, the edit landed, and the next plan is clean.
//! Also a drift correction of a task, and a published `rate(5 minutes)` window.

use std::path::Path;

use aws_sdk_ssm::operation::get_maintenance_window::GetMaintenanceWindowOutput;
use aws_sdk_ssm::operation::get_maintenance_window_task::GetMaintenanceWindowTaskOutput;
use aws_sdk_ssm::operation::get_patch_baseline::GetPatchBaselineOutput;
use aws_sdk_ssm::types::{
    MaintenanceWindowResourceType, MaintenanceWindowTarget,
    MaintenanceWindowTaskParameterValueExpression, MaintenanceWindowTaskType, OperatingSystem,
    PatchComplianceStatus, PatchFilter, PatchFilterGroup, PatchFilterKey, PatchRule,
    PatchRuleGroup, Target,
};
use aws_sdk_ssm::Client;

use crate::import::{import, on, round_trip, text};
use crate::support::{changes, rt, Repo};

/// Replaces `from` by `to` (once, and it must be there) in the file `file` of `dir`.
fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let body = std::fs::read_to_string(&path).unwrap();
    assert!(body.contains(from), "{from}: {body}");
    std::fs::write(path, body.replacen(from, to, 1)).unwrap();
}

/// `plan --detailed-exitcode` of the folder has no change.
fn clean(repo: &Repo, dir: &Path) {
    let plan = on(
        repo,
        dir,
        &["plan", "--detailed-exitcode", "--output", "json"],
    );
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

fn apply(repo: &Repo, dir: &Path) {
    let run = on(repo, dir, &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

/// Everything of a value's Debug text but the request id (different per call).
fn settings(debug: String) -> String {
    debug
        .split("    _request_id")
        .next()
        .unwrap_or_default()
        .to_string()
}

// ------------------------------------------------------------------- baselines

/// AWS CLI reference, create-patch-baseline example 1 (a Windows baseline), with the
/// available security updates marked non-compliant; its id.
async fn seed_windows_baseline(ssm: &Client) -> String {
    let filter = |key: PatchFilterKey, values: &[&str]| {
        let mut f = PatchFilter::builder().key(key);
        for v in values {
            f = f.values(*v);
        }
        f.build().unwrap()
    };
    let rule = PatchRule::builder()
        .patch_filter_group(
            PatchFilterGroup::builder()
                .patch_filters(filter(
                    PatchFilterKey::MsrcSeverity,
                    &["Important", "Critical"],
                ))
                .patch_filters(filter(PatchFilterKey::Classification, &["SecurityUpdates"]))
                .patch_filters(filter(PatchFilterKey::Product, &["WindowsServer2012R2"]))
                .build()
                .unwrap(),
        )
        .approve_after_days(5)
        .build();
    ssm.create_patch_baseline()
        .operating_system(OperatingSystem::Windows)
        .name("Windows-Server-2012R2")
        .approval_rules(PatchRuleGroup::builder().patch_rules(rule).build().unwrap())
        .description("Windows Server 2012 R2, Important and Critical security updates")
        .available_security_updates_compliance_status(PatchComplianceStatus::NonCompliant)
        .send()
        .await
        .unwrap()
        .baseline_id()
        .unwrap()
        .to_string()
}

fn get_baseline(ssm: &Client, id: &str) -> GetPatchBaselineOutput {
    let mut got = rt()
        .block_on(ssm.get_patch_baseline().baseline_id(id).send())
        .unwrap();
    got.modified_date = None;
    got
}

#[test]
fn an_unrelated_baseline_edit_keeps_the_available_security_updates_status() {
    let repo = Repo::new(&[]);
    let ssm = Client::new(&repo.sdk());
    let id = rt().block_on(seed_windows_baseline(&ssm));
    let before = get_baseline(&ssm, &id);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "PatchBaseline"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let written = text(&dir, "patch-baselines.yaml");
    assert!(
        written.contains("availableSecurityUpdatesComplianceStatus: NON_COMPLIANT"),
        "{written}"
    );
    assert!(!run.stderr.contains("not written"), "{}", run.stderr);
    assert_eq!(round_trip(&repo, &dir), ["Windows-Server-2012R2"]);

    // approveAfterDays changed in git: the plan shows it alone.
    edit(
        &dir,
        "patch-baselines.yaml",
        "approveAfterDays: 5",
        "approveAfterDays: 10",
    );
    let plan = on(&repo, &dir, &["plan", "--output", "json"]).json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    let paths: Vec<&str> = c[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 1, "{plan}");
    assert!(paths[0].ends_with(".approveAfterDays"), "{plan}");
    apply(&repo, &dir);

    let mut after = get_baseline(&ssm, &id);
    assert_eq!(
        after.available_security_updates_compliance_status(),
        Some(&PatchComplianceStatus::NonCompliant)
    );
    let rules = after.approval_rules.as_mut().unwrap();
    assert_eq!(rules.patch_rules[0].approve_after_days, Some(10));
    // Everything else as it was.
    rules.patch_rules[0].approve_after_days = Some(5);
    assert_eq!(
        settings(format!("{after:#?}")),
        settings(format!("{before:#?}"))
    );
    clean(&repo, &dir);
}

// --------------------------------------------------------------------- windows

/// A window (AWS CLI reference, create-maintenance-window example 1, but weekly) with
/// a target and a task registered without names, the task with the legacy
/// `TaskParameters` and no cutoff behaviour (register-task-with-maintenance-window's
/// older examples); the window's, target's and task's ids.
async fn seed_unnamed(ssm: &Client) -> (String, String, String) {
    let window = ssm
        .create_maintenance_window()
        .name("My-First-Maintenance-Window")
        .schedule("cron(0 16 ? * TUE *)")
        .duration(2)
        .cutoff(1)
        .allow_unassociated_targets(false)
        .send()
        .await
        .unwrap();
    let window = window.window_id().unwrap().to_string();
    let target = ssm
        .register_target_with_maintenance_window()
        .window_id(&window)
        .resource_type(MaintenanceWindowResourceType::Instance)
        .targets(
            Target::builder()
                .key("tag:Environment")
                .values("Prod")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let target = target.window_target_id().unwrap().to_string();
    let commands = MaintenanceWindowTaskParameterValueExpression::builder()
        .values("df -h")
        .build();
    let task = ssm
        .register_task_with_maintenance_window()
        .window_id(&window)
        .targets(
            Target::builder()
                .key("WindowTargetIds")
                .values(&target)
                .build(),
        )
        .task_arn("AWS-RunShellScript")
        .task_type(MaintenanceWindowTaskType::RunCommand)
        .task_parameters("commands", commands)
        .max_concurrency("1")
        .max_errors("1")
        .priority(10)
        .send()
        .await
        .unwrap();
    let task = task.window_task_id().unwrap().to_string();
    (window, target, task)
}

fn get_task(ssm: &Client, window: &str, task: &str) -> GetMaintenanceWindowTaskOutput {
    rt().block_on(
        ssm.get_maintenance_window_task()
            .window_id(window)
            .window_task_id(task)
            .send(),
    )
    .unwrap()
}

fn get_window(ssm: &Client, window: &str) -> GetMaintenanceWindowOutput {
    let mut got = rt()
        .block_on(ssm.get_maintenance_window().window_id(window).send())
        .unwrap();
    got.modified_date = None;
    got
}

fn get_target(ssm: &Client, window: &str) -> MaintenanceWindowTarget {
    let out = rt()
        .block_on(
            ssm.describe_maintenance_window_targets()
                .window_id(window)
                .send(),
        )
        .unwrap();
    assert_eq!(out.targets().len(), 1);
    out.targets()[0].clone()
}

/// The task's settings (Debug redacts the sensitive members: they are added as they
/// are).
fn task_settings(task: &GetMaintenanceWindowTaskOutput) -> String {
    format!(
        "{}{:?} {:?} {:?} {:?}",
        settings(format!("{task:#?}")),
        task.name(),
        task.description(),
        task.task_parameters(),
        task.task_invocation_parameters()
    )
}

fn target_settings(target: &MaintenanceWindowTarget) -> String {
    format!(
        "{target:#?}{:?} {:?} {:?}",
        target.name(),
        target.description(),
        target.owner_information()
    )
}

#[test]
fn unnamed_targets_and_tasks_stay_unnamed_and_legacy_parameters_are_kept() {
    let repo = Repo::new(&[]);
    let ssm = Client::new(&repo.sdk());
    let (window, target, task) = rt().block_on(seed_unnamed(&ssm));
    let task_before = get_task(&ssm, &window, &task);
    let target_before = get_target(&ssm, &window);
    assert_eq!(task_before.name(), None);
    assert_eq!(task_before.cutoff_behavior(), None);
    assert_eq!(target_before.name(), None);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "MaintenanceWindow"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let file = "maintenance-windows.yaml";
    let written = text(&dir, file);
    for keyed in [&target, &task] {
        assert!(
            written.contains(&format!("name: \"{keyed}\""))
                || written.contains(&format!("name: {keyed}\n")),
            "{written}"
        );
    }
    assert_eq!(round_trip(&repo, &dir), ["My-First-Maintenance-Window"]);

    // Unrelated edits of the window, the target and the task in git.
    let window_before = get_window(&ssm, &window);
    edit(&dir, file, "duration: 2", "duration: 3");
    edit(&dir, file, "maxConcurrency: \"1\"", "maxConcurrency: \"2\"");
    edit(&dir, file, "Environment: Prod", "Environment: Production");
    apply(&repo, &dir);
    let mut window_after = get_window(&ssm, &window);
    assert_eq!(window_after.duration(), Some(3));
    window_after.duration = window_before.duration;
    assert_eq!(
        settings(format!("{window_after:#?}")),
        settings(format!("{window_before:#?}"))
    );
    let mut task_after = get_task(&ssm, &window, &task);
    let mut target_after = get_target(&ssm, &window);
    assert_eq!(task_after.max_concurrency(), Some("2"));
    assert_eq!(target_after.targets()[0].values(), ["Production"]);
    // Still unnamed, the legacy parameters as they were, no invocation parameters or
    // cutoff behaviour added; everything else as before.
    assert_eq!(task_after.name(), None);
    assert_eq!(target_after.name(), None);
    assert_eq!(task_after.task_invocation_parameters(), None);
    assert_eq!(task_after.cutoff_behavior(), None);
    task_after.max_concurrency = task_before.max_concurrency.clone();
    assert_eq!(task_settings(&task_after), task_settings(&task_before));
    target_after.targets = target_before.targets.clone();
    assert_eq!(
        target_settings(&target_after),
        target_settings(&target_before)
    );
    clean(&repo, &dir);

    // Drift corrected: the task's limit changed out of band is set back, and the task
    // gains no name and no cutoff behaviour.
    rt().block_on(
        ssm.update_maintenance_window_task()
            .window_id(&window)
            .window_task_id(&task)
            .max_errors("5")
            .send(),
    )
    .unwrap();
    let plan = on(&repo, &dir, &["plan", "--output", "json"]).json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(c[0]["drift"], true, "{plan}");
    apply(&repo, &dir);
    let corrected = get_task(&ssm, &window, &task);
    assert_eq!(corrected.max_errors(), Some("1"));
    assert_eq!(
        task_settings(&corrected),
        task_settings(&{
            let mut t = task_before.clone();
            t.max_concurrency = Some("2".into());
            t
        })
    );
    clean(&repo, &dir);
}

/// AWS CLI reference, create-maintenance-window example 1: `rate(5 minutes)`.
#[test]
fn a_published_rate_in_minutes_is_imported_and_round_trips() {
    let repo = Repo::new(&[]);
    let ssm = Client::new(&repo.sdk());
    rt().block_on(async {
        ssm.create_maintenance_window()
            .name("My-Tutorial-Maintenance-Window")
            .schedule("rate(5 minutes)")
            .duration(2)
            .cutoff(1)
            .allow_unassociated_targets(true)
            .tags(
                aws_sdk_ssm::types::Tag::builder()
                    .key("Purpose")
                    .value("Tutorial")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
    let before = crate::import::window_settings(&repo);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "MaintenanceWindow"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let written = text(&dir, "maintenance-windows.yaml");
    assert!(
        written.contains("schedule: rate(5 minutes)"),
        "{written}\n{}",
        run.stderr
    );
    assert_eq!(round_trip(&repo, &dir), ["My-Tutorial-Maintenance-Window"]);
    assert_eq!(crate::import::window_settings(&repo), before);
}

/// The members of each SSM update request, as the writers handle them: every one is
/// sent from the spec or, where the format does not model it, from the live resource,
/// so the rare `Replace=true` resets nothing the spec does not hold
/// (docs/design/windows.md). A member botocore adds fails this until it is handled.
#[test]
fn every_member_of_the_ssm_update_requests_is_handled() {
    let model = crate::strictness::model("ssm");
    let handled: [(&str, &[&str]); 4] = [
        (
            "UpdatePatchBaseline",
            &[
                "BaselineId",
                "Name",
                "GlobalFilters",
                "ApprovalRules",
                "ApprovedPatches",
                "ApprovedPatchesComplianceLevel",
                "ApprovedPatchesEnableNonSecurity",
                "RejectedPatches",
                "RejectedPatchesAction",
                "Description",
                "Sources",
                "AvailableSecurityUpdatesComplianceStatus",
                "Replace",
            ],
        ),
        (
            "UpdateMaintenanceWindow",
            &[
                "WindowId",
                "Name",
                "Description",
                "StartDate",
                "EndDate",
                "Schedule",
                "ScheduleTimezone",
                "ScheduleOffset",
                "Duration",
                "Cutoff",
                "AllowUnassociatedTargets",
                "Enabled",
                "Replace",
            ],
        ),
        (
            "UpdateMaintenanceWindowTarget",
            &[
                "WindowId",
                "WindowTargetId",
                "Targets",
                "OwnerInformation",
                "Name",
                "Description",
                "Replace",
            ],
        ),
        (
            "UpdateMaintenanceWindowTask",
            &[
                "WindowId",
                "WindowTaskId",
                "Targets",
                "TaskArn",
                "ServiceRoleArn",
                // Legacy: kept as the live task has them.
                "TaskParameters",
                "TaskInvocationParameters",
                "Priority",
                "MaxConcurrency",
                "MaxErrors",
                // Not modelled: sent back as the live task has them under Replace.
                "LoggingInfo",
                "Name",
                "Description",
                "Replace",
                "CutoffBehavior",
                "AlarmConfiguration",
            ],
        ),
    ];
    for (operation, members) in handled {
        let input = model["operations"][operation]["input"]["shape"]
            .as_str()
            .unwrap();
        let mut got: Vec<&str> = model["shapes"][input]["members"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        got.sort_unstable();
        let mut want = members.to_vec();
        want.sort_unstable();
        assert_eq!(
            got, want,
            "{operation}: a member the writer does not handle"
        );
    }
}
