//! A backup plan keeps what the format does not model (issue 23, item 1): a plan made
//! through the SDK with a rule's IndexActions, ScanActions, logically air-gapped vault
//! and a lifecycle's DeleteAfterEvent, and the plan's ScanSettings, is imported and
//! adopted; then an unrelated edit (`deleteAfterDays`) is applied. UpdateBackupPlan
//! replaces the whole plan, so before the read-modify-write every one of those was
//! gone. After it, the plan in AWS is byte for byte what it was but the edit, and the
//! next plan is clean.

use aws_sdk_backup::types::{
    BackupPlan, BackupPlanInput, BackupRuleInput, IndexAction, Lifecycle,
    LifecycleDeleteAfterEvent, MalwareScanner, ScanAction, ScanMode, ScanSetting,
};

use crate::import::{import, on, text};
use crate::support::{rt, Repo};

/// The plan `keep-plan`: one rule setting every member BackupRuleInput has.
fn seed(repo: &Repo) -> String {
    let account = repo.account.account_id.clone();
    let region = repo.account.region.clone();
    rt().block_on(async {
        let backup = aws_sdk_backup::Client::new(&repo.sdk());
        backup
            .create_backup_vault()
            .backup_vault_name("keep-vault")
            .send()
            .await
            .unwrap();
        let rule = BackupRuleInput::builder()
            .rule_name("daily")
            .target_backup_vault_name("keep-vault")
            .target_logically_air_gapped_backup_vault_arn(format!(
                "arn:aws:backup:{region}:{account}:backup-vault:air-gapped"
            ))
            .schedule_expression("cron(0 5 ? * * *)")
            .schedule_expression_timezone("Asia/Tokyo")
            .start_window_minutes(60)
            .completion_window_minutes(240)
            .lifecycle(
                Lifecycle::builder()
                    .delete_after_days(35)
                    .delete_after_event(LifecycleDeleteAfterEvent::DeleteAfterCopy)
                    .build(),
            )
            .recovery_point_tags("source", "legacy")
            .index_actions(IndexAction::builder().resource_types("EBS").build())
            .scan_actions(
                ScanAction::builder()
                    .malware_scanner(MalwareScanner::Guardduty)
                    .scan_mode(ScanMode::FullScan)
                    .build(),
            )
            .build()
            .unwrap();
        let plan = backup
            .create_backup_plan()
            .backup_plan(
                BackupPlanInput::builder()
                    .backup_plan_name("keep-plan")
                    .rules(rule)
                    .scan_settings(
                        ScanSetting::builder()
                            .malware_scanner(MalwareScanner::Guardduty)
                            .resource_types("EBS")
                            .scanner_role_arn(format!("arn:aws:iam::{account}:role/scanner"))
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        plan.backup_plan_id().unwrap().to_string()
    })
}

/// The plan as GetBackupPlan returns it (rule ids aside: the emulator, like AWS,
/// gives a rewritten rule a new one).
fn live_plan(repo: &Repo, id: &str) -> BackupPlan {
    rt().block_on(async {
        let backup = aws_sdk_backup::Client::new(&repo.sdk());
        let out = backup
            .get_backup_plan()
            .backup_plan_id(id)
            .send()
            .await
            .unwrap();
        let mut plan = out.backup_plan().unwrap().clone();
        for r in &mut plan.rules {
            r.rule_id = None;
        }
        plan
    })
}

#[test]
fn an_unrelated_edit_keeps_every_rule_and_plan_member_the_format_does_not_model() {
    let repo = Repo::new(&[]);
    let id = seed(&repo);
    let before = live_plan(&repo, &id);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let plans = text(&dir, "backup-plans.yaml");
    assert!(
        plans.contains("indexActions:") && plans.contains("- EBS"),
        "indexActions is modelled and imported: {plans}"
    );
    let adopt = on(&repo, &dir, &["apply", "--auto-approve"]);
    assert_eq!(adopt.code, 0, "{}\n{}", adopt.stdout, adopt.stderr);
    assert_eq!(live_plan(&repo, &id), before, "adoption only tags");

    // The unrelated edit: the plan shows only it.
    assert_eq!(plans.matches("deleteAfterDays: 35").count(), 1, "{plans}");
    std::fs::write(
        dir.join("backup-plans.yaml"),
        plans.replace("deleteAfterDays: 35", "deleteAfterDays: 40"),
    )
    .unwrap();
    let plan = on(&repo, &dir, &["plan", "--output", "json"]).json();
    let fields: Vec<&str> = plan["changes"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["rules[daily].lifecycle.deleteAfterDays"], "{plan}");
    let apply = on(&repo, &dir, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    let mut after = live_plan(&repo, &id);
    let lifecycle = after.rules[0].lifecycle.as_mut().unwrap();
    assert_eq!(lifecycle.delete_after_days, Some(40), "the edit landed");
    lifecycle.delete_after_days = Some(35);
    // PartialEq, not Debug: Debug redacts the recovery point tags.
    assert_eq!(after, before, "everything but the edit is as it was");
    let again = on(
        &repo,
        &dir,
        &["plan", "--detailed-exitcode", "--output", "json"],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}
