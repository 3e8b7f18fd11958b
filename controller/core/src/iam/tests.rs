//! The policy for in-memory repositories: the quickstart (every kind) and smaller ones.

use super::*;
use crate::spec::SourceFile;

fn file(relative: &str, text: &str) -> SourceFile {
    SourceFile {
        relative: relative.into(),
        display: relative.into(),
        text: text.into(),
    }
}

const CONFIG_RULE: &str = "apiVersion: driftless.dev/v1\nkind: ConfigRule\nmetadata: {name: log-retention}\nspec:\n  source: {owner: AWS, identifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK}\n  remediation: {targetId: AWSConfigRemediation-SetCloudWatchLogGroupRetention}\n";

/// The quickstart's documents, with `extra` files beside them.
fn quickstart(extra: &[(&str, &str)]) -> DesiredState {
    let mut files = vec![
        file(
            "backup/daily.yaml",
            include_str!("../../../../examples/quickstart/backup/daily.yaml"),
        ),
        file(
            "monitoring/logs.yaml",
            include_str!("../../../../examples/quickstart/monitoring/logs.yaml"),
        ),
        file(
            "monitoring/web.yaml",
            include_str!("../../../../examples/quickstart/monitoring/web.yaml"),
        ),
        file(
            "monitoring/cis.yaml",
            include_str!("../../../../examples/quickstart/monitoring/cis.yaml"),
        ),
        file(
            "patching/baselines.yaml",
            include_str!("../../../../examples/quickstart/patching/baselines.yaml"),
        ),
        file(
            "patching/windows.yaml",
            include_str!("../../../../examples/quickstart/patching/windows.yaml"),
        ),
        file(
            "config/aggregator.yaml",
            include_str!("../../../../examples/quickstart/config/aggregator.yaml"),
        ),
        // Not in the quickstart folder yet (the emulator tests apply that folder): the
        // ConfigRule and Association kinds, so every kind is here.
        file("compliance/rules.yaml", CONFIG_RULE),
        file(
            "compliance/recorder.yaml",
            include_str!("../../../../examples/aws-config/recorder.yaml"),
        ),
        file(
            "state-manager/associations.yaml",
            include_str!("../../../../examples/state-manager/associations.yaml"),
        ),
        file(
            "compliance/conformance-pack.yaml",
            &include_str!("../../../../examples/aws-config/conformance-pack.yaml")
                .replace("packs/", "compliance/packs/"),
        ),
        file(
            "compliance/packs/ops-baseline.yaml",
            include_str!("../../../../examples/aws-config/packs/ops-baseline.yaml"),
        ),
    ];
    files.extend(extra.iter().map(|(name, text)| file(name, text)));
    crate::spec::parse(&files)
        .unwrap_or_else(|d| panic!("{}", crate::spec::diagnostic::render_text(&d)))
}

fn one(yaml: &str) -> DesiredState {
    crate::spec::parse(&[file("a.yaml", yaml)])
        .unwrap_or_else(|d| panic!("{}", crate::spec::diagnostic::render_text(&d)))
}

fn statement<'a>(policy: &'a Value, sid: &str) -> Option<&'a Value> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
}

#[test]
fn every_call_of_every_kind_is_granted_and_nothing_else() {
    let policy = policy(&quickstart(&[]), false);
    assert_eq!(policy["Version"], "2012-10-17");
    let allowed = allowed_actions(&policy);
    for c in CALLS
        .iter()
        .filter(|c| c.service != "sns" && c.service != "sts" && c.service != "s3")
        .filter(|c| c.service != "organizations")
    {
        assert!(allowed.contains(&c.action()), "{} missing", c.action());
    }
    // GetCallerIdentity needs no permission, so no policy grants it.
    assert!(!allowed.contains("sts:GetCallerIdentity"));
    let expected_extra: BTreeSet<String> = [
        "iam:PassRole",
        "iam:CreateServiceLinkedRole",
        "iam:GetRole",
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKey",
        "kms:RetireGrant",
        "backup-storage:MountCapsule",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let from_calls: BTreeSet<String> = CALLS.iter().map(Call::action).collect();
    assert!(from_calls.contains("sts:GetCallerIdentity"));
    let extra: BTreeSet<String> = allowed.difference(&from_calls).cloned().collect();
    assert_eq!(extra, expected_extra);
    // No notifications configured: no Publish.
    assert!(!allowed.contains("sns:Publish"));
    for a in &allowed {
        assert!(!a.contains('*'), "wildcard action {a}");
    }
}

#[test]
fn read_only_grants_every_read_and_no_write() {
    let policy = policy(&quickstart(&[]), true);
    let allowed = allowed_actions(&policy);
    // The S3 state backend's calls are granted with `state.s3` only (its own test).
    for c in CALLS
        .iter()
        .filter(|c| c.service != "sts" && c.service != "s3")
        // Granted with organization entries only (below).
        .filter(|c| c.service != "organizations")
    {
        let granted = allowed.contains(&c.action());
        match c.access {
            Access::Read => assert!(granted, "{} missing", c.action()),
            Access::Write => assert!(!granted, "{} granted", c.action()),
        }
    }
    assert!(allowed
        .iter()
        .all(|a| !a.starts_with("iam:") && !a.starts_with("kms:")));
}

#[test]
fn only_the_kinds_used_are_granted() {
    let state = one(
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /app/web}\nspec: {retentionInDays: 30}\n",
    );
    let allowed = allowed_actions(&policy(&state, false));
    assert!(allowed.contains("logs:PutRetentionPolicy"));
    assert!(allowed.contains("tag:GetResources"));
    // Ownership and drift attribution serve every kind.
    assert!(allowed.contains("cloudtrail:LookupEvents"));
    assert!(
        allowed.iter().all(|a| a.starts_with("logs:")
            || a == "tag:GetResources"
            || a == "cloudtrail:LookupEvents"),
        "{allowed:?}"
    );
}

#[test]
fn roles_are_passed_only_to_their_service() {
    let policy = policy(&quickstart(&[]), false);
    let pass = statement(&policy, "PassBackupSelectionRoles").expect("PassRole for backups");
    assert_eq!(
        pass["Resource"],
        "arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole"
    );
    assert_eq!(
        pass["Condition"]["StringEquals"]["iam:PassedToService"],
        "backup.amazonaws.com"
    );
    // The quickstart's task names no service role: SSM's service-linked role.
    let slr = statement(&policy, "CreateSsmServiceLinkedRole").expect("SSM's service-linked role");
    assert_eq!(
        slr["Condition"]["StringEquals"]["iam:AWSServiceName"],
        "ssm.amazonaws.com"
    );
}

const TARGETS: &str = "targets:
  - name: prod-tokyo
    region: ap-northeast-1
    roleArn: arn:aws:iam::111111111111:role/driftless
  - name: cn
    region: cn-north-1
    roleArn: arn:aws-cn:iam::222222222222:role/driftless
defaults:
  targets: [prod-tokyo, cn]
notifications:
  sns:
    topicArn: arn:aws:sns:ap-northeast-1:111111111111:ops
";

#[test]
fn writes_are_scoped_to_the_targets_regions_accounts_and_partitions() {
    let policy = policy(&quickstart(&[("driftless.yaml", TARGETS)]), false);
    let write = statement(&policy, "CloudWatchWriteAlarm").expect("alarm writes");
    assert_eq!(
        write["Resource"],
        json!([
            "arn:aws-cn:cloudwatch:cn-north-1:222222222222:alarm:*",
            "arn:aws:cloudwatch:ap-northeast-1:111111111111:alarm:*"
        ])
    );
    let publish = statement(&policy, "NotificationsPublish").expect("Publish");
    assert_eq!(
        publish["Resource"],
        "arn:aws:sns:ap-northeast-1:111111111111:ops"
    );
    let assume = statement(&policy, "BaseIdentityAssumeTargetRoles").expect("AssumeRole");
    assert_eq!(
        assume["Resource"],
        json!([
            "arn:aws-cn:iam::222222222222:role/driftless",
            "arn:aws:iam::111111111111:role/driftless"
        ])
    );
    let keys = statement(&policy, "BackupVaultKeys").expect("vault keys");
    assert_eq!(
        keys["Condition"]["StringLike"]["kms:ViaService"],
        json!([
            "backup.ap-northeast-1.amazonaws.com",
            "backup.cn-north-1.amazonaws.com"
        ])
    );
}

#[test]
fn a_vault_with_its_own_key_gets_only_that_key() {
    let state = one(
        "apiVersion: driftless.dev/v1\nkind: BackupVault\nmetadata: {name: prod}\nspec:\n  encryptionKeyArn: arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab\n",
    );
    let policy = policy(&state, false);
    let keys = statement(&policy, "BackupVaultKeys").expect("vault keys");
    assert_eq!(
        keys["Resource"],
        "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    );
}

#[test]
fn an_empty_repository_needs_nothing() {
    let state = crate::spec::parse(&[]).unwrap();
    let policy = policy(&state, false);
    assert_eq!(policy["Statement"], json!([]));
}

#[test]
fn the_table_has_one_entry_per_operation() {
    let mut seen = BTreeSet::new();
    for c in CALLS {
        assert!(
            seen.insert((c.service, c.operation)),
            "{} {} twice",
            c.service,
            c.operation
        );
        assert_eq!(
            call(c.service, c.operation).map(|f| f.operation),
            Some(c.operation)
        );
    }
}

#[test]
fn guardrail_kinds_get_their_reads_and_no_writes() {
    let mut state = one(
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /app/web}\nspec: {retentionInDays: 30}\n",
    );
    state.config.guardrails = vec![crate::spec::guardrail::Guardrail {
        rule: crate::spec::guardrail::RuleName::CloudwatchAlarmActionCheck,
        parameters: Default::default(),
        kinds: None,
        enforcement: crate::spec::guardrail::Enforcement::Deny,
        deploy: false,
    }];
    let allowed = allowed_actions(&policy(&state, false));
    assert!(allowed.contains("cloudwatch:DescribeAlarms"), "{allowed:?}");
    assert!(
        allowed.contains("cloudwatch:ListTagsForResource"),
        "{allowed:?}"
    );
    assert!(
        !allowed.contains("cloudwatch:PutMetricAlarm"),
        "{allowed:?}"
    );
    assert!(allowed.contains("logs:PutRetentionPolicy"));
}

#[test]
fn roles_in_accounts_only_sts_knows_are_granted_in_any_account() {
    let config = "targets:\n  - {name: tokyo, region: ap-northeast-1, accountId: \"111111111111\"}\n  - {name: osaka, region: ap-northeast-3}\n";
    let plan = "apiVersion: driftless.dev/v1\nkind: BackupPlan\nmetadata: {name: daily}\nspec:\n  externalVaults: [Default]\n  rules: [{name: daily, targetVault: Default}]\n  selections: [{name: all, iamRoleArn: \"arn:aws:iam::${target.accountId}:role/backup\", tags: {Backup: daily}}]\n";
    let state = crate::spec::parse(&[file("driftless.yaml", config), file("a.yaml", plan)])
        .unwrap_or_else(|d| panic!("{}", crate::spec::diagnostic::render_text(&d)));
    let policy = policy(&state, false);
    let pass = statement(&policy, "PassBackupSelectionRoles").unwrap();
    assert_eq!(
        pass["Resource"],
        serde_json::json!([
            "arn:aws:iam::*:role/backup",
            "arn:aws:iam::111111111111:role/backup"
        ])
    );
}

#[test]
fn the_s3_state_backend_is_granted_its_bucket_and_prefix_only() {
    let state = quickstart(&[(
        "driftless.yaml",
        "state:\n  s3: {bucket: acme-driftless-state, prefix: ops/}\n",
    )]);
    let p = policy(&state, false);
    let list = statement(&p, "StateList").expect("a StateList statement");
    assert_eq!(list["Action"], json!(["s3:ListBucket"]));
    assert_eq!(list["Resource"], "arn:aws:s3:::acme-driftless-state");
    assert_eq!(
        list["Condition"]["StringLike"]["s3:prefix"],
        json!(["ops/*"])
    );
    let objects = statement(&p, "StateObjects").expect("a StateObjects statement");
    assert_eq!(
        objects["Action"],
        json!(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
    );
    assert_eq!(
        objects["Resource"],
        "arn:aws:s3:::acme-driftless-state/ops/*"
    );
    // Plan never writes the state.
    let read = policy(&state, true);
    assert_eq!(
        statement(&read, "StateObjects").unwrap()["Action"],
        json!(["s3:GetObject"])
    );
    // Without `state.s3`, no S3 permission at all.
    let local = policy(&quickstart(&[]), false);
    assert!(!allowed_actions(&local).iter().any(|a| a.starts_with("s3:")));
}

#[test]
fn organization_entries_grant_discovery_and_their_role_in_any_account() {
    let files = [file(
        "driftless.yaml",
        "targets:\n  - organization: {ous: [r-abcd], roleName: driftless, regions: [cn-north-1, us-east-1]}\n",
    )];
    let state = crate::spec::parse(&files).unwrap();
    let policy = policy(&state, true);
    let allowed = allowed_actions(&policy);
    for op in ["ListChildren", "ListAccountsForParent", "DescribeAccount"] {
        assert!(allowed.contains(&format!("organizations:{op}")), "{op}");
    }
    let assume = statement(&policy, "BaseIdentityAssumeTargetRoles").unwrap();
    assert_eq!(
        assume["Resource"],
        serde_json::json!([
            "arn:aws-cn:iam::*:role/driftless",
            "arn:aws:iam::*:role/driftless"
        ])
    );
}
