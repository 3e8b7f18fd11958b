//! The SSM and AWS Backup live readers (`driftless::aws::{ssm, backup}`) against the
//! emulator: live state is seeded with the SDK, read back through the readers, and
//! compared field by field with the spec values driftless expects. Each test checks
//! the call-count formula of its reader's module doc with the emulator's counters.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use aws_sdk_backup::types::{
    BackupPlanInput, BackupRuleInput, Condition, ConditionParameter, ConditionType, Conditions,
};
use aws_sdk_ssm::types::{
    MaintenanceWindowResourceType, MaintenanceWindowRunCommandParameters,
    MaintenanceWindowTaskCutoffBehavior, MaintenanceWindowTaskInvocationParameters,
    MaintenanceWindowTaskType, PatchAction, PatchComplianceLevel, PatchFilter, PatchFilterGroup,
    PatchFilterKey, PatchRuleGroup, Target,
};
use driftless::aws::{backup, ssm, Clients};
use driftless::live::{Live, LiveVault};
use driftless::spec::backup_plan::{BackupRule, BackupSelection, CopyAction, Lifecycle};
use driftless::spec::context::OWNERSHIP_TAG;
use driftless::spec::patch_baseline::OperatingSystem;
use driftless::spec::{BackupPlanSpec, BackupVaultSpec, MaintenanceWindowSpec, PatchBaselineSpec};

use crate::emulator::{Emulator, TestAccount};
use crate::fixtures::{
    arn, bare_baseline, create_vaults, daily_window, delete_after, kms_key, live, names, one_each,
    one_rule_plan, patch_task, patching_window, pinned_target, ssm_tag, strings, tags, unset_rule,
    web_linux_baseline, web_target, with_unset_baseline_defaults, with_unset_rule_defaults, Tags,
};

/// Runs `read` once and checks the calls it made in `account`, which the emulator
/// counts apart from every other account (so tests running meanwhile cannot move
/// them): `expected` lists (service, operation, calls), and every other operation
/// of those services must stay unchanged.
async fn counted<T, Fut>(
    account: &TestAccount,
    expected: &[(&str, &str, u64)],
    read: impl FnOnce() -> Fut,
) -> T
where
    Fut: Future<Output = T>,
{
    let emulator = Emulator::shared();
    let services: BTreeSet<&str> = expected.iter().map(|(s, _, _)| *s).collect();
    let before = emulator.calls_of(&account.account_id);
    let out = read().await;
    let after = emulator.calls_of(&account.account_id);
    let mut deltas: BTreeMap<(String, String), u64> = BTreeMap::new();
    for service in &services {
        for op in after
            .calls
            .get(*service)
            .into_iter()
            .flat_map(|ops| ops.keys())
        {
            let d = after.get(service, op) - before.get(service, op);
            if d > 0 {
                deltas.insert((service.to_string(), op.clone()), d);
            }
        }
    }
    let wanted: BTreeMap<(String, String), u64> = expected
        .iter()
        .filter(|(_, _, n)| *n > 0)
        .map(|(s, o, n)| ((s.to_string(), o.to_string()), *n))
        .collect();
    assert_eq!(deltas, wanted, "calls made (left) and expected (right)");
    out
}

fn patch_filters(filters: &[(PatchFilterKey, &[&str])]) -> PatchFilterGroup {
    let mut group = PatchFilterGroup::builder();
    for (key, values) in filters {
        group = group.patch_filters(
            PatchFilter::builder()
                .key(key.clone())
                .set_values(Some(strings(values)))
                .build()
                .unwrap(),
        );
    }
    group.build().unwrap()
}

/// SSM tags for `pairs`; none at all (no Tags sent) for no pairs.
fn ssm_tags(pairs: &[(&str, &str)]) -> Option<Vec<aws_sdk_ssm::types::Tag>> {
    (!pairs.is_empty()).then(|| pairs.iter().map(|(k, v)| ssm_tag(k, v)).collect())
}

/// Creates a baseline with only a name, an operating system and `tags`; returns its
/// id.
async fn create_bare_baseline(
    sdk: &aws_sdk_ssm::Client,
    name: &str,
    os: aws_sdk_ssm::types::OperatingSystem,
    tags: &[(&str, &str)],
) -> String {
    sdk.create_patch_baseline()
        .name(name)
        .operating_system(os)
        .set_tags(ssm_tags(tags))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreatePatchBaseline {name}: {e:?}"))
        .baseline_id()
        .unwrap()
        .to_string()
}

/// Creates a window with only the required fields, run daily for an hour, and
/// `tags`; returns its id.
async fn create_daily_window(
    sdk: &aws_sdk_ssm::Client,
    name: &str,
    tags: &[(&str, &str)],
) -> String {
    sdk.create_maintenance_window()
        .name(name)
        .schedule("rate(1 day)")
        .duration(1)
        .cutoff(0)
        .allow_unassociated_targets(false)
        .set_tags(ssm_tags(tags))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateMaintenanceWindow {name}: {e:?}"))
        .window_id()
        .unwrap()
        .to_string()
}

/// Creates `selection` in plan `plan_id`; returns its id.
async fn create_selection(
    sdk: &aws_sdk_backup::Client,
    plan_id: &str,
    selection: aws_sdk_backup::types::BackupSelection,
) -> String {
    let name = selection.selection_name().to_string();
    sdk.create_backup_selection()
        .backup_plan_id(plan_id)
        .backup_selection(selection)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateBackupSelection {name}: {e:?}"))
        .selection_id()
        .unwrap()
        .to_string()
}

/// What the tagging API lists for a resource instance "prod" owns, under `arn`: its
/// tags (with one only that listing has, so the reader must take them from it) and
/// the listing.
fn owned_by_prod(arn: &str) -> (Tags, BTreeMap<String, Tags>) {
    let owned_tags = tags(&[(OWNERSHIP_TAG, "prod"), ("from", "tagging-api")]);
    let owned = BTreeMap::from([(arn.to_string(), owned_tags.clone())]);
    (owned_tags, owned)
}

/// The tags ListTags answers for `arn` (checked against it): `pairs`.
async fn listed_backup_tags(
    sdk: &aws_sdk_backup::Client,
    arn: &str,
    pairs: &[(&str, &str)],
) -> Tags {
    let listed = sdk
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .expect("ListTags");
    let answered: Tags = listed
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let expected = tags(pairs);
    assert_eq!(answered, expected, "ListTags {arn}");
    expected
}

// ---------------------------------------------------------------- baselines

#[tokio::test]
async fn patch_baselines_by_name_and_by_owned_arn() {
    let account = TestAccount::new();
    let config = account.sdk_config();
    let sdk = aws_sdk_ssm::Client::new(&config);

    // Owned (selected through `owned` only): every field set.
    let web = sdk
        .create_patch_baseline()
        .name("web-linux")
        .operating_system(aws_sdk_ssm::types::OperatingSystem::AmazonLinux2)
        .description("security first")
        .approval_rules(
            PatchRuleGroup::builder()
                .patch_rules(
                    aws_sdk_ssm::types::PatchRule::builder()
                        .patch_filter_group(patch_filters(&[
                            (PatchFilterKey::Classification, &["Security", "Bugfix"]),
                            (PatchFilterKey::Severity, &["Critical", "Important"]),
                        ]))
                        .approve_after_days(7)
                        .compliance_level(PatchComplianceLevel::Critical)
                        .enable_non_security(true)
                        .build(),
                )
                .patch_rules(
                    aws_sdk_ssm::types::PatchRule::builder()
                        .patch_filter_group(patch_filters(&[(
                            PatchFilterKey::Product,
                            &["AmazonLinux2"],
                        )]))
                        .approve_until_date("2024-06-30")
                        .compliance_level(PatchComplianceLevel::Medium)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .global_filters(patch_filters(&[(
            PatchFilterKey::Product,
            &["AmazonLinux2"],
        )]))
        .approved_patches("openssl-1.0.2k")
        .approved_patches_compliance_level(PatchComplianceLevel::High)
        .approved_patches_enable_non_security(true)
        .rejected_patches("kernel-debug")
        .rejected_patches_action(PatchAction::Block)
        .sources(
            aws_sdk_ssm::types::PatchSource::builder()
                .name("epel")
                .products("AmazonLinux2")
                .configuration("[epel]\nname=EPEL\nenabled=1")
                .build()
                .unwrap(),
        )
        .tags(ssm_tag(OWNERSHIP_TAG, "prod"))
        .tags(ssm_tag("team", "platform"))
        .send()
        .await
        .expect("CreatePatchBaseline web-linux")
        .baseline_id()
        .unwrap()
        .to_string();
    // Named (selected by name, not owned): defaults only, tags read one by one.
    let db = create_bare_baseline(
        &sdk,
        "db-windows",
        aws_sdk_ssm::types::OperatingSystem::Windows,
        &[("team", "db")],
    )
    .await;
    // Neither named nor owned, but registered to a patch group.
    let other = create_bare_baseline(
        &sdk,
        "someone-elses",
        aws_sdk_ssm::types::OperatingSystem::Windows,
        &[],
    )
    .await;
    for (baseline, group) in [
        (&web, "web"),
        (&web, "web-canary"),
        (&db, "db"),
        (&other, "web"),
    ] {
        sdk.register_patch_baseline_for_patch_group()
            .baseline_id(baseline)
            .patch_group(group)
            .send()
            .await
            .expect("RegisterPatchBaselineForPatchGroup");
    }
    sdk.register_default_patch_baseline()
        .baseline_id(&web)
        .send()
        .await
        .expect("RegisterDefaultPatchBaseline");

    let web_arn = arn(&account, "ssm", &format!("patchbaseline/{web}"));
    // The owned tags are what the tagging API listed: the reader must use them.
    let owned_tags = tags(&[
        (OWNERSHIP_TAG, "prod"),
        ("team", "platform"),
        ("from", "tagging-api"),
    ]);
    let owned = BTreeMap::from([(web_arn.clone(), owned_tags.clone())]);
    let clients = Clients::from_sdk_config("t", &config);
    let wanted = names(&["db-windows", "not-there"]);

    let (baselines, registrations) = counted(
        &account,
        &[
            ("ssm", "DescribePatchBaselines", 1),
            ("ssm", "DescribePatchGroups", 1),
            ("ssm", "GetPatchBaseline", 2),
            ("ssm", "ListTagsForResource", 1),
        ],
        || ssm::read_patch_baselines(&clients, &wanted, &owned),
    )
    .await
    .expect("read_patch_baselines");

    let mut web_spec = PatchBaselineSpec {
        patch_groups: strings(&["web", "web-canary"]),
        default_for_operating_system: true,
        tags: owned_tags,
        ..web_linux_baseline()
    };
    // Seeded without the second rule's non-security flag.
    web_spec.approval_rules[1].enable_non_security = None;
    let expected_web = Live {
        name: "web-linux".to_string(),
        spec: web_spec,
        arn: Some(web_arn),
        id: Some(web.clone()),
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    };
    let expected_db = Live {
        name: "db-windows".to_string(),
        // What AWS (and the emulator) report for what was never set.
        spec: PatchBaselineSpec {
            patch_groups: strings(&["db"]),
            ..with_unset_baseline_defaults(bare_baseline(
                OperatingSystem::Windows,
                tags(&[("team", "db")]),
            ))
        },
        arn: None,
        id: Some(db.clone()),
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    };
    let mut baselines = baselines;
    baselines.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(baselines, vec![expected_db, expected_web]);

    let expected_registrations = BTreeMap::from([
        (
            "db".to_string(),
            vec![(OperatingSystem::Windows, db.clone())],
        ),
        (
            "web".to_string(),
            vec![
                (OperatingSystem::Windows, other.clone()),
                (OperatingSystem::AmazonLinux2, web.clone()),
            ],
        ),
        (
            "web-canary".to_string(),
            vec![(OperatingSystem::AmazonLinux2, web.clone())],
        ),
    ]);
    assert_eq!(registrations, expected_registrations);
}

/// Nothing named, nothing owned: the listings only, no detail call.
#[tokio::test]
async fn nothing_selected_reads_listings_only() {
    let account = TestAccount::new();
    let config = account.sdk_config();
    let sdk = aws_sdk_ssm::Client::new(&config);
    create_bare_baseline(
        &sdk,
        "unrelated",
        aws_sdk_ssm::types::OperatingSystem::Ubuntu,
        &[],
    )
    .await;
    create_daily_window(&sdk, "unrelated", &[]).await;
    aws_sdk_backup::Client::new(&config)
        .create_backup_vault()
        .backup_vault_name("unrelated")
        .send()
        .await
        .expect("CreateBackupVault");
    let clients = Clients::from_sdk_config("t", &config);
    let none = BTreeSet::new();
    let owned = BTreeMap::new();

    let read = counted(
        &account,
        &[
            ("ssm", "DescribePatchBaselines", 1),
            ("ssm", "DescribePatchGroups", 1),
            ("ssm", "DescribeMaintenanceWindows", 1),
            ("backup", "ListBackupVaults", 1),
            ("backup", "ListBackupPlans", 1),
        ],
        || async {
            tokio::try_join!(
                ssm::read_patch_baselines(&clients, &none, &owned),
                ssm::read_maintenance_windows(&clients, &none, &owned),
                backup::read_vaults(&clients, &none, &owned),
                backup::read_plans(&clients, &none, &owned),
            )
            .expect("readers")
        },
    )
    .await;
    let (baselines, registrations) = read.0;
    assert!(baselines.is_empty() && registrations.is_empty());
    assert!(read.1.is_empty() && read.2.is_empty() && read.3.is_empty());
}

/// More baselines than fit one DescribePatchBaselines page (100).
#[tokio::test]
async fn patch_baselines_listing_is_paginated() {
    let account = TestAccount::new();
    let config = account.sdk_config();
    let sdk = aws_sdk_ssm::Client::new(&config);
    for i in 0..105 {
        create_bare_baseline(
            &sdk,
            &format!("bulk-{i:03}"),
            aws_sdk_ssm::types::OperatingSystem::AmazonLinux2023,
            &[],
        )
        .await;
    }
    let clients = Clients::from_sdk_config("t", &config);
    let wanted = names(&["bulk-000", "bulk-050", "bulk-104"]);
    let owned = BTreeMap::new();
    let (baselines, _) = counted(
        &account,
        &[
            ("ssm", "DescribePatchBaselines", 2),
            ("ssm", "DescribePatchGroups", 1),
            ("ssm", "GetPatchBaseline", 3),
            ("ssm", "ListTagsForResource", 3),
        ],
        || ssm::read_patch_baselines(&clients, &wanted, &owned),
    )
    .await
    .expect("read_patch_baselines");
    let got: BTreeSet<String> = baselines.iter().map(|b| b.name.clone()).collect();
    assert_eq!(got, wanted);
    assert!(baselines
        .iter()
        .all(|b| b.spec.tags.is_empty() && b.tags_known));
}

// ------------------------------------------------------ maintenance windows

#[tokio::test]
async fn maintenance_windows_with_targets_tasks_and_duplicate_names() {
    let account = TestAccount::new();
    let config = account.sdk_config();
    let sdk = aws_sdk_ssm::Client::new(&config);
    let role = format!("arn:aws:iam::{}:role/maintenance", account.account_id);

    let full = sdk
        .create_maintenance_window()
        .name("patching")
        .description("weekly patching")
        .schedule("cron(0 2 ? * SUN *)")
        .schedule_timezone("Europe/Berlin")
        .schedule_offset(2)
        .duration(4)
        .cutoff(1)
        .allow_unassociated_targets(true)
        .tags(ssm_tag("team", "platform"))
        .send()
        .await
        .expect("CreateMaintenanceWindow patching")
        .window_id()
        .unwrap()
        .to_string();
    let web_target_id = sdk
        .register_target_with_maintenance_window()
        .window_id(&full)
        .resource_type(MaintenanceWindowResourceType::Instance)
        .targets(
            Target::builder()
                .key("tag:Patch Group")
                .values("web")
                .build(),
        )
        .targets(
            Target::builder()
                .key("tag:Env")
                .values("prod")
                .values("dr")
                .build(),
        )
        .name("web")
        .description("web servers")
        .owner_information("ops")
        .send()
        .await
        .expect("RegisterTargetWithMaintenanceWindow web")
        .window_target_id()
        .unwrap()
        .to_string();
    let pinned_target_id = sdk
        .register_target_with_maintenance_window()
        .window_id(&full)
        .resource_type(MaintenanceWindowResourceType::Instance)
        .targets(
            Target::builder()
                .key("InstanceIds")
                .values("i-0123456789abcdef0")
                .values("i-0fedcba9876543210")
                .build(),
        )
        .name("pinned")
        .send()
        .await
        .expect("RegisterTargetWithMaintenanceWindow pinned")
        .window_target_id()
        .unwrap()
        .to_string();
    let task = sdk
        .register_task_with_maintenance_window()
        .window_id(&full)
        .name("patch")
        .description("install patches")
        .task_arn("AWS-RunPatchBaseline")
        .task_type(MaintenanceWindowTaskType::RunCommand)
        .targets(
            Target::builder()
                .key("WindowTargetIds")
                .values(&web_target_id)
                .values(&pinned_target_id)
                .build(),
        )
        .priority(2)
        .max_concurrency("10%")
        .max_errors("1")
        .cutoff_behavior(MaintenanceWindowTaskCutoffBehavior::CancelTask)
        .service_role_arn(&role)
        .task_invocation_parameters(
            MaintenanceWindowTaskInvocationParameters::builder()
                .run_command(
                    MaintenanceWindowRunCommandParameters::builder()
                        .parameters("Operation", strings(&["Install"]))
                        .parameters("RebootOption", strings(&["RebootIfNeeded"]))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("RegisterTaskWithMaintenanceWindow")
        .window_task_id()
        .unwrap()
        .to_string();
    // A second window of the same name: AWS allows it, both are returned.
    let twin = sdk
        .create_maintenance_window()
        .name("patching")
        .schedule("rate(7 days)")
        .duration(2)
        .cutoff(0)
        .allow_unassociated_targets(false)
        .send()
        .await
        .expect("CreateMaintenanceWindow twin")
        .window_id()
        .unwrap()
        .to_string();
    // Selected through `owned` only.
    let by_arn = create_daily_window(&sdk, "owned-elsewhere", &[(OWNERSHIP_TAG, "prod")]).await;
    create_daily_window(&sdk, "unrelated", &[]).await;

    let by_arn_arn = arn(&account, "ssm", &format!("maintenancewindow/{by_arn}"));
    let (owned_tags, owned) = owned_by_prod(&by_arn_arn);
    let clients = Clients::from_sdk_config("t", &config);
    let wanted = names(&["patching"]);

    let windows = counted(
        &account,
        &[
            ("ssm", "DescribeMaintenanceWindows", 1),
            ("ssm", "GetMaintenanceWindow", 3),
            ("ssm", "DescribeMaintenanceWindowTargets", 3),
            ("ssm", "DescribeMaintenanceWindowTasks", 3),
            ("ssm", "GetMaintenanceWindowTask", 1),
            ("ssm", "ListTagsForResource", 2),
        ],
        || ssm::read_maintenance_windows(&clients, &wanted, &owned),
    )
    .await
    .expect("read_maintenance_windows");
    assert_eq!(windows.len(), 3, "{windows:#?}");
    let find = |id: &str| {
        windows
            .iter()
            .find(|w| w.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("window {id} not read: {windows:#?}"))
            .clone()
    };

    let expected_full = Live {
        name: "patching".to_string(),
        spec: MaintenanceWindowSpec {
            targets: vec![pinned_target(), web_target()],
            tasks: vec![patch_task(&role)],
            tags: tags(&[("team", "platform")]),
            ..patching_window()
        },
        arn: None,
        id: Some(full.clone()),
        sub_ids: BTreeMap::from([
            ("targets/pinned".to_string(), pinned_target_id.clone()),
            ("targets/web".to_string(), web_target_id.clone()),
            ("tasks/patch".to_string(), task.clone()),
        ]),
        tags_known: true,
        unrepresented: Vec::new(),
    };
    assert_eq!(find(&full), expected_full);

    let expected_twin = Live {
        name: "patching".to_string(),
        spec: MaintenanceWindowSpec {
            schedule: "rate(7 days)".to_string(),
            duration: 2,
            enabled: Some(true),
            ..daily_window(Tags::new())
        },
        arn: None,
        id: Some(twin.clone()),
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    };
    assert_eq!(find(&twin), expected_twin);

    let expected_by_arn = Live {
        name: "owned-elsewhere".to_string(),
        spec: MaintenanceWindowSpec {
            enabled: Some(true),
            ..daily_window(owned_tags)
        },
        arn: Some(by_arn_arn),
        id: Some(by_arn.clone()),
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    };
    assert_eq!(find(&by_arn), expected_by_arn);
}

// ------------------------------------------------------------------- backup

#[tokio::test]
async fn vaults_by_name_and_by_owned_arn() {
    let account = TestAccount::new();
    let config = account.sdk_config();
    let sdk = aws_sdk_backup::Client::new(&config);
    let key = kms_key(&account, "1234abcd-12ab-34cd-56ef-1234567890ab");
    let nightly_arn = sdk
        .create_backup_vault()
        .backup_vault_name("nightly")
        .backup_vault_tags(OWNERSHIP_TAG, "prod")
        .send()
        .await
        .expect("CreateBackupVault nightly")
        .backup_vault_arn()
        .unwrap()
        .to_string();
    let legacy_arn = sdk
        .create_backup_vault()
        .backup_vault_name("legacy")
        .encryption_key_arn(&key)
        .backup_vault_tags("team", "storage")
        .send()
        .await
        .expect("CreateBackupVault legacy")
        .backup_vault_arn()
        .unwrap()
        .to_string();
    sdk.create_backup_vault()
        .backup_vault_name("unrelated")
        .send()
        .await
        .expect("CreateBackupVault unrelated");

    let legacy_tags = listed_backup_tags(&sdk, &legacy_arn, &[("team", "storage")]).await;
    let (owned_tags, owned) = owned_by_prod(&nightly_arn);
    let clients = Clients::from_sdk_config("t", &config);
    let wanted = names(&["legacy", "not-there"]);

    let mut vaults = counted(
        &account,
        // Two selected vaults (legacy, nightly): their policy and notifications each.
        &[
            ("backup", "ListBackupVaults", 1),
            ("backup", "ListTags", 1),
            ("backup", "GetBackupVaultAccessPolicy", 2),
            ("backup", "GetBackupVaultNotifications", 2),
        ],
        || backup::read_vaults(&clients, &wanted, &owned),
    )
    .await
    .expect("read_vaults");
    vaults.sort_by(|a, b| a.vault.name.cmp(&b.vault.name));
    let vault = |name: &str, arn: &str, key: Option<&str>, tags: Tags| LiveVault {
        vault: live(
            name,
            BackupVaultSpec {
                encryption_key_arn: key.map(str::to_string),
                tags,
                ..Default::default()
            },
            arn.to_string(),
        ),
        recovery_points: 0,
    };
    assert_eq!(
        vaults,
        vec![
            vault("legacy", &legacy_arn, Some(&key), legacy_tags),
            // The emulator reports no key for a vault created without one (AWS
            // reports its managed key).
            vault("nightly", &nightly_arn, None, owned_tags),
        ]
    );
}

#[tokio::test]
async fn plans_with_rules_and_selections() {
    let account = TestAccount::new();
    let config = account.sdk_config();
    let sdk = aws_sdk_backup::Client::new(&config);
    let (region, acct) = (&account.region, &account.account_id);
    let role = format!("arn:aws:iam::{acct}:role/service-role/AWSBackupDefaultServiceRole");
    let copy_to = format!("arn:aws:backup:eu-north-1:{acct}:backup-vault:offsite");
    let volume = format!("arn:aws:ec2:{region}:{acct}:volume/vol-0123456789abcdef0");
    let instances = format!("arn:aws:ec2:{region}:{acct}:instance/*");
    create_vaults(&sdk, &["nightly"]).await;

    let daily = sdk
        .create_backup_plan()
        .backup_plan(
            BackupPlanInput::builder()
                .backup_plan_name("daily")
                .rules(
                    BackupRuleInput::builder()
                        .rule_name("snapshots")
                        .target_backup_vault_name("nightly")
                        .schedule_expression("cron(0 3 ? * * *)")
                        .schedule_expression_timezone("Europe/Berlin")
                        .start_window_minutes(60)
                        .completion_window_minutes(180)
                        .lifecycle(
                            aws_sdk_backup::types::Lifecycle::builder()
                                .move_to_cold_storage_after_days(30)
                                .delete_after_days(120)
                                .build(),
                        )
                        .copy_actions(
                            aws_sdk_backup::types::CopyAction::builder()
                                .destination_backup_vault_arn(&copy_to)
                                .lifecycle(
                                    aws_sdk_backup::types::Lifecycle::builder()
                                        .delete_after_days(35)
                                        .build(),
                                )
                                .build()
                                .unwrap(),
                        )
                        .recovery_point_tags("source", "driftless")
                        .enable_continuous_backup(false)
                        .build()
                        .unwrap(),
                )
                .rules(
                    BackupRuleInput::builder()
                        .rule_name("continuous")
                        .target_backup_vault_name("nightly")
                        .enable_continuous_backup(true)
                        .lifecycle(
                            aws_sdk_backup::types::Lifecycle::builder()
                                .delete_after_days(35)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .backup_plan_tags("team", "storage")
        .send()
        .await
        .expect("CreateBackupPlan daily");
    let daily_id = daily.backup_plan_id().unwrap().to_string();
    let daily_arn = daily.backup_plan_arn().unwrap().to_string();
    let tagged = create_selection(
        &sdk,
        &daily_id,
        aws_sdk_backup::types::BackupSelection::builder()
            .selection_name("tagged")
            .iam_role_arn(&role)
            .resources("*")
            .not_resources(&volume)
            .conditions(
                Conditions::builder()
                    .string_equals(
                        ConditionParameter::builder()
                            .condition_key("aws:ResourceTag/Backup")
                            .condition_value("daily")
                            .build(),
                    )
                    .string_equals(
                        ConditionParameter::builder()
                            .condition_key("aws:ResourceTag/Env")
                            .condition_value("prod")
                            .build(),
                    )
                    .build(),
            )
            .build()
            .unwrap(),
    )
    .await;
    let any_of = create_selection(
        &sdk,
        &daily_id,
        aws_sdk_backup::types::BackupSelection::builder()
            .selection_name("any-of")
            .iam_role_arn(&role)
            .resources(&instances)
            .list_of_tags(
                Condition::builder()
                    .condition_type(ConditionType::Stringequals)
                    .condition_key("backup")
                    .condition_value("yes")
                    .build()
                    .unwrap(),
            )
            .list_of_tags(
                Condition::builder()
                    .condition_type(ConditionType::Stringequals)
                    .condition_key("aws:ResourceTag/tier")
                    .condition_value("gold")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
    )
    .await;
    // Selected through `owned` only.
    let weekly = sdk
        .create_backup_plan()
        .backup_plan(one_rule_plan(
            "weekly",
            "weekly",
            "Default",
            Some("cron(0 4 ? * SUN *)"),
        ))
        .backup_plan_tags(OWNERSHIP_TAG, "prod")
        .send()
        .await
        .expect("CreateBackupPlan weekly");
    let weekly_id = weekly.backup_plan_id().unwrap().to_string();
    let weekly_arn = weekly.backup_plan_arn().unwrap().to_string();
    sdk.create_backup_plan()
        .backup_plan(one_rule_plan("unrelated", "r", "Default", None))
        .send()
        .await
        .expect("CreateBackupPlan unrelated");

    let daily_tags = listed_backup_tags(&sdk, &daily_arn, &[("team", "storage")]).await;
    let (owned_tags, owned) = owned_by_prod(&weekly_arn);
    let clients = Clients::from_sdk_config("t", &config);
    let wanted = names(&["daily", "not-there"]);

    let mut plans = counted(
        &account,
        &[
            ("backup", "ListBackupPlans", 1),
            ("backup", "GetBackupPlan", 2),
            ("backup", "ListBackupSelections", 2),
            ("backup", "GetBackupSelection", 2),
            ("backup", "ListTags", 1),
        ],
        || backup::read_plans(&clients, &wanted, &owned),
    )
    .await
    .expect("read_plans");
    plans.sort_by(|a, b| a.name.cmp(&b.name));

    let expected_daily = Live {
        name: "daily".to_string(),
        spec: BackupPlanSpec {
            // Sorted by name.
            rules: vec![
                // AWS's (and the emulator's) defaults for an unset schedule.
                with_unset_rule_defaults(BackupRule {
                    lifecycle: Some(delete_after(35)),
                    enable_continuous_backup: Some(true),
                    ..unset_rule("continuous", "nightly")
                }),
                BackupRule {
                    name: "snapshots".to_string(),
                    target_vault: "nightly".to_string(),
                    schedule: Some("cron(0 3 ? * * *)".to_string()),
                    schedule_timezone: Some("Europe/Berlin".to_string()),
                    start_window_minutes: Some(60),
                    completion_window_minutes: Some(180),
                    lifecycle: Some(Lifecycle {
                        move_to_cold_storage_after_days: Some(30),
                        delete_after_days: Some(120),
                        opt_in_to_archive_for_supported_resources: None,
                    }),
                    copy_actions: vec![CopyAction {
                        destination_vault_arn: copy_to.clone(),
                        lifecycle: Some(delete_after(35)),
                    }],
                    recovery_point_tags: tags(&[("source", "driftless")]),
                    enable_continuous_backup: Some(false),
                    index_actions: Vec::new(),
                },
            ],
            selections: vec![
                BackupSelection {
                    name: "any-of".to_string(),
                    iam_role_arn: role.clone(),
                    tags: BTreeMap::new(),
                    conditions: None,
                    // ListOfTags keys as AWS holds them (the plain tag key or the
                    // aws:ResourceTag/ form), so a selection created again keeps them.
                    any_of_tags: one_each(&[("backup", "yes"), ("aws:ResourceTag/tier", "gold")]),
                    resources: vec![instances.clone()],
                    not_resources: Vec::new(),
                },
                BackupSelection {
                    name: "tagged".to_string(),
                    iam_role_arn: role.clone(),
                    tags: tags(&[("Backup", "daily"), ("Env", "prod")]),
                    conditions: None,
                    any_of_tags: BTreeMap::new(),
                    resources: strings(&["*"]),
                    not_resources: vec![volume.clone()],
                },
            ],
            external_vaults: Vec::new(),
            advanced_backup_settings: Vec::new(),
            tags: daily_tags,
        },
        arn: Some(daily_arn.clone()),
        id: Some(daily_id.clone()),
        sub_ids: BTreeMap::from([
            ("selections/any-of".to_string(), any_of.clone()),
            ("selections/tagged".to_string(), tagged.clone()),
        ]),
        tags_known: true,
        unrepresented: Vec::new(),
    };
    let expected_weekly = Live {
        name: "weekly".to_string(),
        spec: BackupPlanSpec {
            rules: vec![with_unset_rule_defaults(BackupRule {
                schedule: Some("cron(0 4 ? * SUN *)".to_string()),
                ..unset_rule("weekly", "Default")
            })],
            selections: Vec::new(),
            external_vaults: Vec::new(),
            advanced_backup_settings: Vec::new(),
            tags: owned_tags,
        },
        arn: Some(weekly_arn),
        id: Some(weekly_id),
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    };
    assert_eq!(plans, vec![expected_daily, expected_weekly]);
}
