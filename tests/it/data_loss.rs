//! The data-loss guards end to end: a backup vault holding a recovery point (made with
//! StartBackupJob) and a log group holding events (PutLogEvents, so `storedBytes` > 0)
//! survive `apply --prune` and a replacement unless `--allow-data-loss` is given, with a
//! refusal naming the resource and the flag; with the flag they are deleted or
//! replaced. Also: a log group's class change replaces it, and a key change is
//! AssociateKmsKey / DisassociateKmsKey, both through `apply`.

use crate::fixtures::{kms_key, put_one_event};
use crate::support::{actions, Repo, Run};

const VAULT: &str = "apiVersion: driftless.dev/v1\nkind: BackupVault\nmetadata: {name: dl-vault}\nspec: {tags: {team: data}}\n";
const GROUP: &str = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /dl/app}\nspec: {retentionInDays: 14}\n";
/// Keeps the target's desired set non-empty, so `--prune` is not stopped by the
/// empty-repository guard.
const KEEP: &str =
    "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /dl/keep}\nspec: {}\n";

fn apply_code(repo: &Repo, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "--auto-approve"];
    args.extend_from_slice(extra);
    repo.run(&args)
}

/// (action, name) of every change `plan` lists.
fn planned(repo: &Repo, extra: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["plan", "--output", "json"];
    args.extend_from_slice(extra);
    actions(&repo.run(&args).json())
}

fn assert_refused(run: &Run, what: &str) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains(what) && all.contains("--allow-data-loss"),
        "the refusal names {what} and --allow-data-loss:\n{all}"
    );
}

fn calls_to(repo: &Repo, service: &str, op: &str) -> u64 {
    repo.calls().get(service, op)
}

// ---------------------------------------------------------------------------
// Backup vaults
// ---------------------------------------------------------------------------

fn back_up_into(repo: &Repo, rt: &tokio::runtime::Runtime, vault: &str, n: u32) {
    let backup = aws_sdk_backup::Client::new(&repo.sdk());
    let a = &repo.account;
    rt.block_on(
        backup
            .start_backup_job()
            .backup_vault_name(vault)
            .resource_arn(format!(
                "arn:aws:dynamodb:{}:{}:table/t{n}",
                a.region, a.account_id
            ))
            .iam_role_arn(format!("arn:aws:iam::{}:role/backup", a.account_id))
            .send(),
    )
    .expect("StartBackupJob");
}

/// (encryption key ARN, recovery points) of the vault, None when it does not exist.
fn vault_state(repo: &Repo, rt: &tokio::runtime::Runtime, name: &str) -> Option<(String, i64)> {
    let backup = aws_sdk_backup::Client::new(&repo.sdk());
    match rt.block_on(
        backup
            .describe_backup_vault()
            .backup_vault_name(name)
            .send(),
    ) {
        Ok(v) => Some((
            v.encryption_key_arn().unwrap_or_default().to_string(),
            v.number_of_recovery_points(),
        )),
        Err(e) => {
            let code = e.as_service_error().and_then(|s| {
                aws_sdk_backup::error::ProvideErrorMetadata::code(s).map(str::to_string)
            });
            assert_eq!(code.as_deref(), Some("ResourceNotFoundException"), "{e:?}");
            None
        }
    }
}

#[test]
fn a_vault_with_recovery_points_is_replaced_or_pruned_only_with_allow_data_loss() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let repo = Repo::new(&[("vault.yaml", VAULT), ("keep.yaml", KEEP)]);
    repo.apply(&[]);
    back_up_into(&repo, &rt, "dl-vault", 1);
    let (old_key, points) = vault_state(&repo, &rt, "dl-vault").unwrap();
    assert_eq!(points, 1);

    // A new key replaces the vault: refused while it holds a recovery point.
    let new_key = kms_key(&repo.account, "1234abcd-12ab-34cd-56ef-1234567890ab");
    let keyed = VAULT.replace(
        "spec: {",
        &format!("spec: {{encryptionKeyArn: \"{new_key}\", "),
    );
    repo.write("vault.yaml", &keyed);
    assert!(planned(&repo, &[]).contains(&("replace".into(), "dl-vault".into())));
    assert_refused(&apply_code(&repo, &[]), "dl-vault");
    assert_eq!(calls_to(&repo, "backup", "DeleteBackupVault"), 0);
    assert_eq!(vault_state(&repo, &rt, "dl-vault"), Some((old_key, 1)));

    repo.apply(&["--allow-data-loss"]);
    assert_eq!(vault_state(&repo, &rt, "dl-vault"), Some((new_key, 0)));
    assert_eq!(repo.plan().code, 0, "the replacement converged");

    // Left the repository: --prune alone refuses, with --allow-data-loss it deletes.
    back_up_into(&repo, &rt, "dl-vault", 2);
    std::fs::remove_file(repo.dir.path().join("vault.yaml")).unwrap();
    assert!(planned(&repo, &["--prune"]).contains(&("delete".into(), "dl-vault".into())));
    assert_refused(&apply_code(&repo, &["--prune"]), "dl-vault");
    assert_eq!(vault_state(&repo, &rt, "dl-vault").map(|v| v.1), Some(1));

    repo.apply(&["--prune", "--allow-data-loss"]);
    assert_eq!(vault_state(&repo, &rt, "dl-vault"), None);
    assert_eq!(calls_to(&repo, "backup", "DeleteRecoveryPoint"), 2);
}

// ---------------------------------------------------------------------------
// Log groups
// ---------------------------------------------------------------------------

fn put_events(repo: &Repo, rt: &tokio::runtime::Runtime, group: &str) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    rt.block_on(put_one_event(&logs, group, "something worth keeping"));
}

/// The group as DescribeLogGroups reports it (None when it does not exist).
fn group_state(
    repo: &Repo,
    rt: &tokio::runtime::Runtime,
    name: &str,
) -> Option<aws_sdk_cloudwatchlogs::types::LogGroup> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    let listed = rt
        .block_on(
            logs.describe_log_groups()
                .log_group_name_prefix(name)
                .send(),
        )
        .expect("DescribeLogGroups");
    listed
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .cloned()
}

#[test]
fn a_log_group_holding_events_is_replaced_or_pruned_only_with_allow_data_loss() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let repo = Repo::new(&[("group.yaml", GROUP), ("keep.yaml", KEEP)]);
    repo.apply(&[]);
    put_events(&repo, &rt, "/dl/app");
    let stored = group_state(&repo, &rt, "/dl/app").unwrap().stored_bytes();
    assert!(
        stored.unwrap_or(0) > 0,
        "storedBytes after PutLogEvents: {stored:?}"
    );

    // A class change replaces the group: refused while it holds events.
    repo.write(
        "group.yaml",
        &GROUP.replace("spec: {", "spec: {logGroupClass: INFREQUENT_ACCESS, "),
    );
    assert!(planned(&repo, &[]).contains(&("replace".into(), "/dl/app".into())));
    assert_refused(&apply_code(&repo, &[]), "/dl/app");
    assert_eq!(calls_to(&repo, "logs", "DeleteLogGroup"), 0);
    let kept = group_state(&repo, &rt, "/dl/app").unwrap();
    assert_eq!(kept.log_group_class().map(|c| c.as_str()), Some("STANDARD"));
    assert!(kept.stored_bytes().unwrap_or(0) > 0);

    repo.apply(&["--allow-data-loss"]);
    let replaced = group_state(&repo, &rt, "/dl/app").unwrap();
    assert_eq!(
        replaced.log_group_class().map(|c| c.as_str()),
        Some("INFREQUENT_ACCESS")
    );
    assert_eq!(replaced.stored_bytes().unwrap_or(0), 0);
    assert_eq!(repo.plan().code, 0, "the replacement converged");

    // Left the repository: --prune alone refuses, with --allow-data-loss it deletes.
    put_events(&repo, &rt, "/dl/app");
    std::fs::remove_file(repo.dir.path().join("group.yaml")).unwrap();
    assert!(planned(&repo, &["--prune"]).contains(&("delete".into(), "/dl/app".into())));
    assert_refused(&apply_code(&repo, &["--prune"]), "/dl/app");
    assert!(group_state(&repo, &rt, "/dl/app").is_some());

    repo.apply(&["--prune", "--allow-data-loss"]);
    assert!(group_state(&repo, &rt, "/dl/app").is_none());
    assert!(group_state(&repo, &rt, "/dl/keep").is_some());
}

#[test]
fn an_empty_log_group_changes_class_by_replacement_and_keys_by_association() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let repo = Repo::new(&[("group.yaml", GROUP)]);
    repo.apply(&[]);

    repo.write(
        "group.yaml",
        &GROUP.replace("spec: {", "spec: {logGroupClass: INFREQUENT_ACCESS, "),
    );
    assert_eq!(
        planned(&repo, &[]),
        vec![("replace".to_string(), "/dl/app".to_string())]
    );
    repo.apply(&[]);
    let group = group_state(&repo, &rt, "/dl/app").unwrap();
    assert_eq!(
        group.log_group_class().map(|c| c.as_str()),
        Some("INFREQUENT_ACCESS")
    );
    assert_eq!(group.retention_in_days(), Some(14));
    assert_eq!(calls_to(&repo, "logs", "DeleteLogGroup"), 1);
    assert_eq!(repo.plan().code, 0);

    // A key on an existing group: AssociateKmsKey; taking it away: DisassociateKmsKey.
    let key = kms_key(&repo.account, "0987dcba-09fe-87dc-65ba-ab0987654321");
    let class = "spec: {logGroupClass: INFREQUENT_ACCESS, ";
    repo.write(
        "group.yaml",
        &GROUP.replace("spec: {", &format!("{class}kmsKeyId: \"{key}\", ")),
    );
    assert_eq!(
        planned(&repo, &[]),
        vec![("update".to_string(), "/dl/app".to_string())]
    );
    repo.apply(&[]);
    assert_eq!(calls_to(&repo, "logs", "AssociateKmsKey"), 1);
    let group = group_state(&repo, &rt, "/dl/app").unwrap();
    assert_eq!(group.kms_key_id(), Some(key.as_str()));
    assert_eq!(repo.plan().code, 0);

    repo.write("group.yaml", &GROUP.replace("spec: {", class));
    assert_eq!(
        planned(&repo, &[]),
        vec![("update".to_string(), "/dl/app".to_string())]
    );
    repo.apply(&[]);
    assert_eq!(calls_to(&repo, "logs", "DisassociateKmsKey"), 1);
    assert_eq!(
        group_state(&repo, &rt, "/dl/app").unwrap().kms_key_id(),
        None
    );
    assert_eq!(repo.plan().code, 0);
    assert_eq!(
        calls_to(&repo, "logs", "DeleteLogGroup"),
        1,
        "never replaced again"
    );
}
