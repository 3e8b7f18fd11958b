//! Issue 14, part 3 end to end (the binary against the emulator, each test in its own
//! account): a vault's lock, access policy and notifications; a selection's four
//! condition operators and multi-valued `anyOfTags`; a plan's advanced backup
//! settings; a rule's archive opt-in. For each field: create, read back whole with
//! the SDK, no-change plan, a change in git writes only that field, an out-of-band
//! change is drift on exactly that field and is corrected, delete with prune.

use std::collections::BTreeMap;

use aws_sdk_backup::types::{BackupVaultEvent, Condition, ConditionType};
use serde_json::{json, Value};

use crate::support::{changes, rt, Repo};

const TOPIC: &str = "arn:aws:sns:us-east-1:111111111111:backup-events";

fn vault_doc(lock_max: u32, actions: &str, events: &str) -> String {
    format!(
        "apiVersion: driftless.dev/v1
kind: BackupVault
metadata: {{name: locked}}
spec:
  lock: {{minRetentionDays: 7, maxRetentionDays: {lock_max}, changeableForDays: 3}}
  accessPolicy:
    Version: \"2012-10-17\"
    Statement:
      - Sid: no-deletes
        Effect: Deny
        Principal: {{AWS: \"*\"}}
        Action: {actions}
        Resource: \"*\"
  notifications:
    snsTopicArn: {TOPIC}
    events: {events}
  tags: {{team: platform}}
"
    )
}

/// A log group so the repository is never empty once the vault leaves it.
const KEEP: &str = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /backup-complete/keep}\nspec: {}\n";

/// The (path, drift) of every field change of the one change named `name`.
fn fields_of(plan: &Value, name: &str) -> Vec<(String, bool)> {
    let all = changes(plan);
    let c = all
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no change of {name}: {plan}"));
    c["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), c["drift"] == true))
        .collect()
}

fn no_changes(repo: &Repo) {
    let plan = repo.plan();
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

fn ops(list: &[(&str, u64)]) -> BTreeMap<String, u64> {
    list.iter()
        .map(|(k, v)| (format!("backup:{k}"), *v))
        .collect()
}

#[test]
fn vault_lock_access_policy_and_notifications_round_trip_drift_and_prune() {
    let events = "[BACKUP_JOB_FAILED, RESTORE_JOB_COMPLETED]";
    let repo = Repo::new(&[
        ("keep.yaml", KEEP),
        (
            "vault.yaml",
            &vault_doc(365, "backup:DeleteRecoveryPoint", events),
        ),
    ]);
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let warnings = plan.json()["warnings"].to_string();
    assert!(
        warnings.contains("BackupVault `locked`") && warnings.contains("immutable 3 days"),
        "{warnings}"
    );
    let written = repo.apply_writes(&[]);
    for op in [
        "CreateBackupVault",
        "PutBackupVaultLockConfiguration",
        "PutBackupVaultAccessPolicy",
        "PutBackupVaultNotifications",
    ] {
        assert_eq!(
            written.get(&format!("backup:{op}")),
            Some(&1),
            "{written:?}"
        );
    }

    // Read back whole, with the SDK.
    let backup = aws_sdk_backup::Client::new(&repo.sdk());
    let rt = rt();
    let vaults = rt.block_on(backup.list_backup_vaults().send()).unwrap();
    let vault = &vaults.backup_vault_list()[0];
    assert_eq!(vault.locked(), Some(true));
    assert_eq!(vault.min_retention_days(), Some(7));
    assert_eq!(vault.max_retention_days(), Some(365));
    assert!(
        vault.lock_date().is_some(),
        "compliance mode has a lock date"
    );
    let policy = rt
        .block_on(
            backup
                .get_backup_vault_access_policy()
                .backup_vault_name("locked")
                .send(),
        )
        .unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    assert_eq!(
        policy,
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "no-deletes", "Effect": "Deny",
            "Principal": {"AWS": "*"}, "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}]})
    );
    let n = rt
        .block_on(
            backup
                .get_backup_vault_notifications()
                .backup_vault_name("locked")
                .send(),
        )
        .unwrap();
    assert_eq!(n.sns_topic_arn(), Some(TOPIC));
    assert_eq!(
        n.backup_vault_events(),
        [
            BackupVaultEvent::BackupJobFailed,
            BackupVaultEvent::RestoreJobCompleted
        ]
    );
    no_changes(&repo);

    // The same policy spelled differently (a list, reordered events) is no change.
    repo.write(
        "vault.yaml",
        &vault_doc(
            365,
            "[backup:DeleteRecoveryPoint]",
            "[RESTORE_JOB_COMPLETED, BACKUP_JOB_FAILED]",
        ),
    );
    no_changes(&repo);

    // A change in git writes only that field.
    repo.write(
        "vault.yaml",
        &vault_doc(400, "backup:DeleteRecoveryPoint", events),
    );
    assert_eq!(
        fields_of(&repo.plan().json(), "locked"),
        [("lock.maxRetentionDays".to_string(), false)]
    );
    assert_eq!(
        repo.apply_writes(&[]),
        ops(&[("PutBackupVaultLockConfiguration", 1)])
    );
    repo.write(
        "vault.yaml",
        &vault_doc(
            400,
            "[backup:DeleteRecoveryPoint, backup:UpdateRecoveryPointLifecycle]",
            events,
        ),
    );
    let paths = fields_of(&repo.plan().json(), "locked");
    assert!(
        paths.iter().all(|(p, _)| p.starts_with("accessPolicy.")),
        "{paths:?}"
    );
    assert_eq!(
        repo.apply_writes(&[]),
        ops(&[("PutBackupVaultAccessPolicy", 1)])
    );
    let events = "[BACKUP_JOB_FAILED, COPY_JOB_FAILED]";
    let doc = vault_doc(
        400,
        "[backup:DeleteRecoveryPoint, backup:UpdateRecoveryPointLifecycle]",
        events,
    );
    repo.write("vault.yaml", &doc);
    let paths = fields_of(&repo.plan().json(), "locked");
    assert!(
        paths
            .iter()
            .all(|(p, _)| p.starts_with("notifications.events")),
        "{paths:?}"
    );
    assert_eq!(
        repo.apply_writes(&[]),
        ops(&[("PutBackupVaultNotifications", 1)])
    );
    no_changes(&repo);

    // Out of band: each is drift on exactly its field, and apply puts it back.
    rt.block_on(
        backup
            .put_backup_vault_notifications()
            .backup_vault_name("locked")
            .sns_topic_arn(TOPIC)
            .backup_vault_events(BackupVaultEvent::BackupJobFailed)
            .send(),
    )
    .unwrap();
    rt.block_on(
        backup
            .put_backup_vault_lock_configuration()
            .backup_vault_name("locked")
            .min_retention_days(1)
            .max_retention_days(400)
            .send(),
    )
    .unwrap();
    rt.block_on(
        backup
            .delete_backup_vault_access_policy()
            .backup_vault_name("locked")
            .send(),
    )
    .unwrap();
    let drifted = repo.plan().json();
    let mut paths = fields_of(&drifted, "locked");
    paths.sort();
    assert_eq!(
        paths,
        [
            ("accessPolicy.Statement".to_string(), true),
            ("accessPolicy.Version".to_string(), true),
            ("lock.minRetentionDays".to_string(), true),
            ("notifications.events".to_string(), true),
        ],
        "{drifted}"
    );
    assert_eq!(
        repo.apply_writes(&[]),
        ops(&[
            ("PutBackupVaultAccessPolicy", 1),
            ("PutBackupVaultLockConfiguration", 1),
            ("PutBackupVaultNotifications", 1)
        ])
    );
    no_changes(&repo);

    // Removed from the spec: removed from the vault.
    repo.write(
        "vault.yaml",
        "apiVersion: driftless.dev/v1\nkind: BackupVault\nmetadata: {name: locked}\nspec: {tags: {team: platform}}\n",
    );
    assert_eq!(
        repo.apply_writes(&[]),
        ops(&[
            ("DeleteBackupVaultAccessPolicy", 1),
            ("DeleteBackupVaultLockConfiguration", 1),
            ("DeleteBackupVaultNotifications", 1)
        ])
    );
    no_changes(&repo);

    // Back in, then the vault leaves the repository: deleted with prune.
    repo.write("vault.yaml", &doc);
    repo.apply(&[]);
    std::fs::remove_file(repo.dir.path().join("vault.yaml")).unwrap();
    assert_eq!(
        repo.apply_writes(&["--prune"]),
        ops(&[("DeleteBackupVault", 1)])
    );
    let vaults = rt.block_on(backup.list_backup_vaults().send()).unwrap();
    assert!(vaults.backup_vault_list().is_empty());
    no_changes(&repo);
}

fn plan_doc(like: &str, vss: &str) -> String {
    format!(
        "apiVersion: driftless.dev/v1
kind: BackupVault
metadata: {{name: vv}}
spec: {{}}
---
apiVersion: driftless.dev/v1
kind: BackupPlan
metadata: {{name: conditioned}}
spec:
  rules:
    - name: daily
      targetVault: vv
      schedule: cron(0 3 ? * * *)
      lifecycle: {{deleteAfterDays: 35}}
  advancedBackupSettings:
    - resourceType: EC2
      backupOptions: {{WindowsVSS: {vss}}}
  selections:
    - name: by-tags
      iamRoleArn: arn:aws:iam::111111111111:role/backup
      tags: {{Backup: daily}}
      conditions:
        stringNotEquals: {{Env: test}}
        stringLike: {{Team: {like}}}
        stringNotLike: {{Name: \"scratch-*\"}}
      anyOfTags: {{Tier: [\"1\", \"2\"], Critical: \"yes\"}}
"
    )
}

#[test]
fn selection_conditions_any_of_lists_advanced_settings_and_archive_opt_in() {
    let repo = Repo::new(&[
        ("keep.yaml", KEEP),
        ("plan.yaml", &plan_doc("web-*", "enabled")),
    ]);
    repo.apply(&[]);
    let backup = aws_sdk_backup::Client::new(&repo.sdk());
    let rt = rt();
    let plan_id = rt
        .block_on(backup.list_backup_plans().send())
        .unwrap()
        .backup_plans_list()[0]
        .backup_plan_id()
        .unwrap()
        .to_string();
    let selection = |rt: &tokio::runtime::Runtime| {
        let listed = rt
            .block_on(
                backup
                    .list_backup_selections()
                    .backup_plan_id(&plan_id)
                    .send(),
            )
            .unwrap();
        let id = listed.backup_selections_list()[0]
            .selection_id()
            .unwrap()
            .to_string();
        rt.block_on(
            backup
                .get_backup_selection()
                .backup_plan_id(&plan_id)
                .selection_id(id)
                .send(),
        )
        .unwrap()
        .backup_selection()
        .cloned()
        .unwrap()
    };

    // Read back whole.
    let s = selection(&rt);
    let c = s.conditions().unwrap();
    let pairs = |ps: &[aws_sdk_backup::types::ConditionParameter]| -> Vec<(String, String)> {
        ps.iter()
            .map(|p| {
                (
                    p.condition_key().unwrap().to_string(),
                    p.condition_value().unwrap().to_string(),
                )
            })
            .collect()
    };
    let tag = |k: &str, v: &str| vec![(format!("aws:ResourceTag/{k}"), v.to_string())];
    assert_eq!(pairs(c.string_equals()), tag("Backup", "daily"));
    assert_eq!(pairs(c.string_not_equals()), tag("Env", "test"));
    assert_eq!(pairs(c.string_like()), tag("Team", "web-*"));
    assert_eq!(pairs(c.string_not_like()), tag("Name", "scratch-*"));
    let mut any: Vec<(String, String)> = s
        .list_of_tags()
        .iter()
        .map(|c: &Condition| {
            assert_eq!(c.condition_type(), &ConditionType::Stringequals);
            (
                c.condition_key().to_string(),
                c.condition_value().to_string(),
            )
        })
        .collect();
    any.sort();
    // ListOfTags keys as the spec writes them (AWS's API reference keys them by the
    // plain tag key); only `Conditions` keys take the aws:ResourceTag/ prefix.
    assert_eq!(
        any,
        [
            ("Critical".to_string(), "yes".to_string()),
            ("Tier".to_string(), "1".to_string()),
            ("Tier".to_string(), "2".to_string()),
        ]
    );
    let got = rt
        .block_on(backup.get_backup_plan().backup_plan_id(&plan_id).send())
        .unwrap();
    let adv = got.backup_plan().unwrap().advanced_backup_settings();
    assert_eq!(adv.len(), 1);
    assert_eq!(adv[0].resource_type(), Some("EC2"));
    assert_eq!(
        adv[0]
            .backup_options()
            .unwrap()
            .get("WindowsVSS")
            .map(String::as_str),
        Some("enabled")
    );
    no_changes(&repo);

    // A condition changed in git: the selection (immutable in AWS) is replaced.
    repo.write("plan.yaml", &plan_doc("api-*", "enabled"));
    let plan = repo.plan().json();
    assert_eq!(
        fields_of(&plan, "conditioned/selections/by-tags"),
        [("conditions.stringLike.Team".to_string(), false)]
    );
    assert_eq!(
        repo.apply_writes(&[]),
        ops(&[("CreateBackupSelection", 1), ("DeleteBackupSelection", 1)])
    );
    let s = selection(&rt);
    assert_eq!(
        pairs(s.conditions().unwrap().string_like()),
        tag("Team", "api-*")
    );
    no_changes(&repo);

    // Advanced settings changed in git: one UpdateBackupPlan.
    repo.write("plan.yaml", &plan_doc("api-*", "disabled"));
    assert_eq!(
        fields_of(&repo.plan().json(), "conditioned"),
        [(
            "advancedBackupSettings[EC2].backupOptions.WindowsVSS".to_string(),
            false
        )]
    );
    assert_eq!(repo.apply_writes(&[]), ops(&[("UpdateBackupPlan", 1)]));
    no_changes(&repo);

    // Out of band: the plan rewritten without advanced settings and with the archive
    // opt-in explicitly false. Only the settings are drift: `false` equals unset.
    let rule = aws_sdk_backup::types::BackupRuleInput::builder()
        .rule_name("daily")
        .target_backup_vault_name("vv")
        .schedule_expression("cron(0 3 ? * * *)")
        .lifecycle(
            aws_sdk_backup::types::Lifecycle::builder()
                .delete_after_days(35)
                .opt_in_to_archive_for_supported_resources(false)
                .build(),
        )
        .build()
        .unwrap();
    let input = aws_sdk_backup::types::BackupPlanInput::builder()
        .backup_plan_name("conditioned")
        .rules(rule)
        .build()
        .unwrap();
    rt.block_on(
        backup
            .update_backup_plan()
            .backup_plan_id(&plan_id)
            .backup_plan(input)
            .send(),
    )
    .unwrap();
    let plan = repo.plan().json();
    assert_eq!(
        fields_of(&plan, "conditioned"),
        [(
            "advancedBackupSettings[EC2].backupOptions.WindowsVSS".to_string(),
            true
        )],
        "{plan}"
    );
    assert_eq!(repo.apply_writes(&[]), ops(&[("UpdateBackupPlan", 1)]));
    no_changes(&repo);

    // The plan leaves the repository: its selection and the plan go with prune (the
    // vault too, in the same file).
    std::fs::remove_file(repo.dir.path().join("plan.yaml")).unwrap();
    let deleted = repo.apply_writes(&["--prune"]);
    assert_eq!(
        deleted,
        ops(&[
            ("DeleteBackupPlan", 1),
            ("DeleteBackupSelection", 1),
            ("DeleteBackupVault", 1)
        ])
    );
    assert!(rt
        .block_on(backup.list_backup_plans().send())
        .unwrap()
        .backup_plans_list()
        .is_empty());
    no_changes(&repo);
}
