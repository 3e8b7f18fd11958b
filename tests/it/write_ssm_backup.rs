//! The SSM and AWS Backup writers (`driftless::aws::{ssm, backup}` write functions)
//! against the emulator: each resource is written with every field set, read back
//! through the readers (ownership from the tagging API, as a plan does), and compared
//! whole with the spec written; then updated, retagged, re-created with the same
//! token (idempotence) and deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use driftless::aws::{backup, ssm, tagging, Clients, Owned};
use driftless::live::Live;
use driftless::plan::normalise;
use driftless::spec::backup_plan::{BackupRule, BackupSelection, CopyAction, Lifecycle};
use driftless::spec::context::OWNERSHIP_TAG;
use driftless::spec::maintenance_window::{
    CutoffBehavior, OneOrMany, TaskType, WindowResourceType, WindowTarget, WindowTask,
};
use driftless::spec::patch_baseline::{
    ComplianceLevel, ComplianceStatus, OperatingSystem, PatchRule, PatchSource,
    RejectedPatchesAction,
};
use driftless::spec::{BackupPlanSpec, BackupVaultSpec, MaintenanceWindowSpec, PatchBaselineSpec};

use crate::emulator::TestAccount;
use crate::fixtures::{
    arn, bare_baseline, code, create_vaults, daily_window, delete_after, filter_map, kms_key, live,
    one_each, patch_task, patching_window, pinned_target, strings, tags, unset_rule,
    web_linux_baseline, web_target, with_unset_baseline_defaults, with_unset_rule_defaults, Tags,
};

const INSTANCE: &str = "write-test";

/// Desired tags as apply writes them: the spec's plus the ownership tag.
fn owned_tags(pairs: &[(&str, &str)]) -> Tags {
    let mut t = tags(pairs);
    t.insert(OWNERSHIP_TAG.to_string(), INSTANCE.to_string());
    t
}

fn no_names() -> BTreeSet<String> {
    BTreeSet::new()
}

fn clients_for(account: &TestAccount) -> Clients {
    Clients::from_sdk_config("t", &account.sdk_config())
}

/// What the tagging API says this test's instance owns (ARN → tags).
async fn owned(clients: &Clients) -> Owned {
    tagging::owned_resources(clients, INSTANCE)
        .await
        .expect("owned_resources")
}

/// The one item a read found, if any; more than one fails the test.
fn at_most_one<T: Debug>(mut found: Vec<T>) -> Option<T> {
    assert!(found.len() <= 1, "read {} times: {found:#?}", found.len());
    found.pop()
}

/// The one item a read found; none or more than one fails the test.
fn exactly_one<T: Debug>(mut found: Vec<T>) -> T {
    assert_eq!(found.len(), 1, "{found:#?}");
    found.pop().unwrap()
}

// ---------------------------------------------------------------- baselines

/// The web baseline, owned, with a tag the retag removes.
fn full_baseline() -> PatchBaselineSpec {
    PatchBaselineSpec {
        tags: owned_tags(&[("team", "platform"), ("old", "x")]),
        ..web_linux_baseline()
    }
}

/// The one baseline named `name` in the account, as the reader returns it.
async fn read_baseline(clients: &Clients, name: &str) -> Option<Live<PatchBaselineSpec>> {
    let owned = owned(clients).await;
    let (baselines, _) = ssm::read_patch_baselines(clients, &no_names(), &owned.patch_baselines)
        .await
        .expect("read_patch_baselines");
    at_most_one(baselines.into_iter().filter(|b| b.name == name).collect())
}

#[tokio::test]
async fn patch_baseline_create_update_retag_delete() {
    let account = TestAccount::new();
    let clients = clients_for(&account);
    let spec = full_baseline();

    let id = ssm::create_patch_baseline(&clients, "web-linux", &spec, &spec.tags, "token-1")
        .await
        .expect("create_patch_baseline");
    // The same create with the same token: the same baseline, not a second one.
    let again = ssm::create_patch_baseline(&clients, "web-linux", &spec, &spec.tags, "token-1")
        .await
        .expect("create_patch_baseline retried");
    assert_eq!(again, id);

    let live = read_baseline(&clients, "web-linux")
        .await
        .expect("read back");
    let arn = arn(&account, "ssm", &format!("patchbaseline/{id}"));
    assert_eq!(
        live,
        Live {
            name: "web-linux".to_string(),
            spec: spec.clone(),
            arn: Some(arn.clone()),
            id: Some(id.clone()),
            sub_ids: BTreeMap::new(),
            tags_known: true,
            unrepresented: Vec::new(),
        }
    );

    // Update every field (the name too); the OS cannot change (that is a replace).
    let updated = PatchBaselineSpec {
        operating_system: OperatingSystem::AmazonLinux2,
        description: Some("everything, later".to_string()),
        approval_rules: vec![PatchRule {
            patch_filters: filter_map(&[("CLASSIFICATION", &["Security"])]),
            approve_after_days: Some(14),
            approve_until_date: None,
            compliance_level: Some(ComplianceLevel::Low),
            enable_non_security: Some(true),
        }],
        global_filters: filter_map(&[("SEVERITY", &["Critical"]), ("PRODUCT", &["*"])]),
        approved_patches: strings(&["bash-4.2", "zlib-1.2"]),
        approved_patches_compliance_level: Some(ComplianceLevel::Informational),
        approved_patches_enable_non_security: Some(false),
        rejected_patches: strings(&["telnet", "rsh"]),
        rejected_patches_action: Some(RejectedPatchesAction::AllowAsDependency),
        sources: vec![
            PatchSource {
                name: "base".to_string(),
                products: strings(&["AmazonLinux2", "AmazonLinux2.0"]),
                configuration: "[base]\nenabled=1".to_string(),
            },
            PatchSource {
                name: "extras".to_string(),
                products: strings(&["AmazonLinux2"]),
                configuration: "[extras]\nenabled=0".to_string(),
            },
        ],
        ..spec.clone()
    };
    ssm::update_patch_baseline(&clients, &id, "web-linux-v2", &updated)
        .await
        .expect("update_patch_baseline");
    let live = read_baseline(&clients, "web-linux-v2")
        .await
        .expect("read back");
    assert_eq!(live.spec, updated);
    assert_eq!(live.id.as_deref(), Some(id.as_str()));

    // What the spec no longer sets is cleared; what AWS defaults stays equal once
    // normalised (a re-plan is empty).
    let minimal = bare_baseline(OperatingSystem::AmazonLinux2, spec.tags.clone());
    ssm::update_patch_baseline(&clients, &id, "web-linux-v2", &minimal)
        .await
        .expect("update_patch_baseline to minimal");
    let live = read_baseline(&clients, "web-linux-v2")
        .await
        .expect("read back");
    assert_eq!(live.spec.description, None);
    assert!(live.spec.approval_rules.is_empty());
    assert!(live.spec.global_filters.is_empty());
    assert!(live.spec.approved_patches.is_empty());
    assert!(live.spec.rejected_patches.is_empty());
    assert!(live.spec.sources.is_empty());
    assert_eq!(
        normalise::patch_baseline(&live.spec, None),
        normalise::patch_baseline(&minimal, Some(INSTANCE)),
        "live after a clearing update: {:#?}",
        live.spec
    );

    // Tags: add, change and remove.
    let add = tags(&[("team", "infra"), ("cost-center", "42")]);
    ssm::retag(
        &clients,
        ssm::TagTarget::PatchBaseline,
        &id,
        &add,
        &strings(&["old"]),
    )
    .await
    .expect("retag");
    let live = read_baseline(&clients, "web-linux-v2")
        .await
        .expect("read back");
    assert_eq!(
        live.spec.tags,
        owned_tags(&[("team", "infra"), ("cost-center", "42")])
    );

    // Delete; deleting again is fine (AWS answers success for a missing id).
    ssm::delete_patch_baseline(&clients, &id)
        .await
        .expect("delete_patch_baseline");
    assert_eq!(read_baseline(&clients, "web-linux-v2").await, None);
    ssm::delete_patch_baseline(&clients, &id)
        .await
        .expect("delete_patch_baseline again");
}

/// A Windows baseline with defaults only (and the Windows-only status of available
/// security updates): what AWS fills in reads back.
#[tokio::test]
async fn patch_baseline_defaults_read_back_filled_in() {
    let account = TestAccount::new();
    let clients = clients_for(&account);
    let spec = PatchBaselineSpec {
        approval_rules: vec![PatchRule {
            patch_filters: filter_map(&[("MSRC_SEVERITY", &["Critical"])]),
            approve_after_days: Some(0),
            approve_until_date: None,
            compliance_level: None,
            enable_non_security: None,
        }],
        available_security_updates_compliance_status: Some(ComplianceStatus::NonCompliant),
        ..bare_baseline(OperatingSystem::Windows, owned_tags(&[]))
    };
    ssm::create_patch_baseline(&clients, "db-windows", &spec, &spec.tags, "t")
        .await
        .expect("create_patch_baseline");
    let live = read_baseline(&clients, "db-windows")
        .await
        .expect("read back");
    assert_eq!(live.spec, with_unset_baseline_defaults(spec.clone()));
    assert_eq!(
        normalise::patch_baseline(&live.spec, None),
        normalise::patch_baseline(&spec, Some(INSTANCE))
    );
}

#[tokio::test]
async fn patch_groups_register_move_deregister_and_default() {
    let account = TestAccount::new();
    let clients = clients_for(&account);
    let spec = PatchBaselineSpec {
        tags: owned_tags(&[]),
        ..full_baseline()
    };
    let a = ssm::create_patch_baseline(&clients, "group-a", &spec, &spec.tags, "a")
        .await
        .expect("create a");
    let b = ssm::create_patch_baseline(&clients, "group-b", &spec, &spec.tags, "b")
        .await
        .expect("create b");
    assert_ne!(a, b);

    ssm::register_patch_group(&clients, &a, "web")
        .await
        .expect("register web → a");
    // Registering again to the same baseline is done, not an error.
    ssm::register_patch_group(&clients, &a, "web")
        .await
        .expect("register web → a again");
    ssm::register_patch_group(&clients, &a, "web-canary")
        .await
        .expect("register canary → a");
    // Another baseline of the same OS cannot take a registered group.
    let err = ssm::register_patch_group(&clients, &b, "web")
        .await
        .expect_err("web is a's");
    assert_eq!(code(&err), Some("AlreadyExistsException"), "{err}");

    let groups = |live: Option<Live<PatchBaselineSpec>>| live.expect("read back").spec.patch_groups;
    assert_eq!(
        groups(read_baseline(&clients, "group-a").await),
        strings(&["web", "web-canary"])
    );

    // Move `web` from a to b, as apply does: deregister, then register.
    ssm::deregister_patch_group(&clients, &a, "web")
        .await
        .expect("deregister web from a");
    ssm::register_patch_group(&clients, &b, "web")
        .await
        .expect("register web → b");
    assert_eq!(
        groups(read_baseline(&clients, "group-a").await),
        strings(&["web-canary"])
    );
    assert_eq!(
        groups(read_baseline(&clients, "group-b").await),
        strings(&["web"])
    );
    let (_, registrations) = ssm::read_patch_baselines(&clients, &no_names(), &BTreeMap::new())
        .await
        .expect("read registrations");
    assert_eq!(
        registrations,
        BTreeMap::from([
            (
                "web".to_string(),
                vec![(OperatingSystem::AmazonLinux2, b.clone())]
            ),
            (
                "web-canary".to_string(),
                vec![(OperatingSystem::AmazonLinux2, a.clone())]
            ),
        ])
    );

    // Deregistering what is not registered is done.
    ssm::deregister_patch_group(&clients, &a, "web")
        .await
        .expect("deregister web from a again");

    // Default baseline of the OS.
    ssm::register_default_baseline(&clients, &b)
        .await
        .expect("register default b");
    assert!(
        read_baseline(&clients, "group-b")
            .await
            .unwrap()
            .spec
            .default_for_operating_system
    );
    assert!(
        !read_baseline(&clients, "group-a")
            .await
            .unwrap()
            .spec
            .default_for_operating_system
    );
    ssm::register_default_baseline(&clients, &a)
        .await
        .expect("register default a");
    assert!(
        read_baseline(&clients, "group-a")
            .await
            .unwrap()
            .spec
            .default_for_operating_system
    );
    assert!(
        !read_baseline(&clients, "group-b")
            .await
            .unwrap()
            .spec
            .default_for_operating_system
    );

    // b has a registration: deleting it fails until it is deregistered.
    assert!(ssm::delete_patch_baseline(&clients, &b).await.is_err());
    ssm::deregister_patch_group(&clients, &b, "web")
        .await
        .expect("deregister web from b");
    ssm::delete_patch_baseline(&clients, &b)
        .await
        .expect("delete b");
    assert_eq!(read_baseline(&clients, "group-b").await, None);
}

// ------------------------------------------------------ maintenance windows

/// The patching window, disabled, with a target and a task of every kind.
fn full_window(role: &str) -> MaintenanceWindowSpec {
    MaintenanceWindowSpec {
        enabled: Some(false),
        targets: vec![
            WindowTarget {
                name: "groups".to_string(),
                description: Some("by resource group".to_string()),
                resource_type: WindowResourceType::ResourceGroup,
                tags: BTreeMap::new(),
                instance_ids: Vec::new(),
                resource_group: Some("web-servers".to_string()),
                owner_information: Some("group owners".to_string()),
                tag_keys: Vec::new(),
                resource_type_filters: Vec::new(),
            },
            pinned_target(),
            web_target(),
        ],
        tasks: vec![
            WindowTask {
                name: "automate".to_string(),
                description: Some("restart".to_string()),
                task_type: TaskType::Automation,
                task_arn: "AWS-RestartEC2Instance".to_string(),
                instance_ids: Vec::new(),
                targets: strings(&["pinned"]),
                priority: Some(3),
                max_concurrency: Some("1".to_string()),
                max_errors: Some("0".to_string()),
                cutoff_behavior: Some(CutoffBehavior::ContinueTask),
                service_role_arn: Some(role.to_string()),
                run_command: None,
                automation: None,
                lambda: None,
                step_functions: None,
                parameters: BTreeMap::from([(
                    "InstanceId".to_string(),
                    strings(&["{{RESOURCE_ID}}"]),
                )]),
            },
            WindowTask {
                name: "notify".to_string(),
                description: None,
                task_type: TaskType::Lambda,
                task_arn: "arn:aws:lambda:us-east-1:111111111111:function:notify".to_string(),
                instance_ids: Vec::new(),
                targets: Vec::new(),
                priority: Some(9),
                max_concurrency: None,
                max_errors: None,
                cutoff_behavior: None,
                service_role_arn: None,
                run_command: None,
                automation: None,
                lambda: None,
                step_functions: None,
                parameters: BTreeMap::new(),
            },
            patch_task(role),
        ],
        tags: owned_tags(&[("team", "platform"), ("old", "x")]),
        ..patching_window()
    }
}

/// Every window named `name` in the account, as the reader returns them.
async fn read_windows(clients: &Clients, name: &str) -> Vec<Live<MaintenanceWindowSpec>> {
    let owned = owned(clients).await;
    let names = BTreeSet::from([name.to_string()]);
    let windows = ssm::read_maintenance_windows(clients, &names, &owned.maintenance_windows)
        .await
        .expect("read_maintenance_windows");
    windows.into_iter().filter(|w| w.name == name).collect()
}

async fn read_window(clients: &Clients, name: &str) -> Live<MaintenanceWindowSpec> {
    exactly_one(read_windows(clients, name).await)
}

/// Writes a whole window as apply does: the window, its targets, then its tasks.
/// Returns the window id and the sub-resource ids by path.
async fn write_window(
    clients: &Clients,
    name: &str,
    spec: &MaintenanceWindowSpec,
) -> (String, BTreeMap<String, String>) {
    let id = ssm::create_window(clients, name, spec, &spec.tags, "window-token")
        .await
        .expect("create_window");
    let mut ids = BTreeMap::new();
    let mut target_ids = BTreeMap::new();
    for target in &spec.targets {
        let token = format!("targets/{}", target.name);
        let tid = ssm::register_window_target(clients, &id, target, &token)
            .await
            .expect("register_window_target");
        target_ids.insert(target.name.clone(), tid.clone());
        ids.insert(token, tid);
    }
    for task in &spec.tasks {
        let token = format!("tasks/{}", task.name);
        let on: Vec<String> = task.targets.iter().map(|t| target_ids[t].clone()).collect();
        let kid = ssm::register_window_task(clients, &id, task, &on, &Default::default(), &token)
            .await
            .expect("register_window_task");
        ids.insert(token, kid);
    }
    (id, ids)
}

#[tokio::test]
async fn maintenance_window_create_update_retag_delete() {
    let account = TestAccount::new();
    let clients = clients_for(&account);
    let role = format!("arn:aws:iam::{}:role/maintenance", account.account_id);
    let spec = full_window(&role);

    let (id, ids) = write_window(&clients, "patching", &spec).await;
    // Everything again with the same tokens: the same ids, nothing new.
    let (id_again, ids_again) = write_window(&clients, "patching", &spec).await;
    assert_eq!(id_again, id);
    assert_eq!(ids_again, ids);

    let arn = arn(&account, "ssm", &format!("maintenancewindow/{id}"));
    let live = read_window(&clients, "patching").await;
    assert_eq!(
        live,
        Live {
            name: "patching".to_string(),
            spec: spec.clone(),
            arn: Some(arn),
            id: Some(id.clone()),
            sub_ids: ids.clone(),
            tags_known: true,
            unrepresented: Vec::new(),
        }
    );

    // The window's own fields, every one.
    let updated = MaintenanceWindowSpec {
        description: Some("nightly".to_string()),
        schedule: "cron(30 23 ? * * *)".to_string(),
        schedule_timezone: Some("America/New_York".to_string()),
        schedule_offset: None,
        duration: 6,
        cutoff: 2,
        start_date: None,
        end_date: None,
        allow_unassociated_targets: false,
        enabled: Some(true),
        ..spec.clone()
    };
    ssm::update_window(&clients, &id, "patching-nightly", &updated, &live.spec)
        .await
        .expect("update_window");
    let live = read_window(&clients, "patching-nightly").await;
    assert_eq!(live.spec, updated);
    // Unset `enabled` means enabled; an unset description is cleared.
    let defaults = MaintenanceWindowSpec {
        description: None,
        schedule_timezone: None,
        enabled: None,
        ..updated.clone()
    };
    ssm::update_window(&clients, &id, "patching-nightly", &defaults, &live.spec)
        .await
        .expect("update_window to defaults");
    let live = read_window(&clients, "patching-nightly").await;
    assert_eq!(
        live.spec,
        MaintenanceWindowSpec {
            enabled: Some(true),
            ..defaults.clone()
        }
    );

    // A target, every updatable field.
    let mut targets = spec.targets.clone();
    targets[2] = WindowTarget {
        name: "web".to_string(),
        description: Some("web and api servers".to_string()),
        resource_type: WindowResourceType::Instance,
        tags: BTreeMap::from([
            (
                "Role".to_string(),
                OneOrMany::Many(strings(&["web", "api"])),
            ),
            ("Env".to_string(), OneOrMany::One("prod".to_string())),
        ]),
        instance_ids: strings(&["i-0aaaaaaaaaaaaaaaa"]),
        resource_group: None,
        owner_information: None,
        tag_keys: Vec::new(),
        resource_type_filters: Vec::new(),
    };
    let live_target = &spec.targets[2];
    ssm::update_window_target(&clients, &id, &ids["targets/web"], &targets[2], live_target)
        .await
        .expect("update_window_target");

    // A task, every updatable field (targets too).
    let mut tasks = spec.tasks.clone();
    tasks[2] = WindowTask {
        name: "patch".to_string(),
        description: Some("scan only".to_string()),
        task_type: TaskType::RunCommand,
        task_arn: "AWS-RunShellScript".to_string(),
        instance_ids: Vec::new(),
        targets: strings(&["web"]),
        priority: Some(5),
        max_concurrency: Some("2".to_string()),
        max_errors: Some("50%".to_string()),
        cutoff_behavior: Some(CutoffBehavior::ContinueTask),
        service_role_arn: Some(format!("{role}-2")),
        run_command: None,
        automation: None,
        lambda: None,
        step_functions: None,
        parameters: BTreeMap::from([("commands".to_string(), strings(&["yum check-update"]))]),
    };
    ssm::update_window_task(
        &clients,
        &id,
        &ids["tasks/patch"],
        &tasks[2],
        &[ids["targets/web"].clone()],
        false,
    )
    .await
    .expect("update_window_task");
    // Clearing a task's optional fields and targets.
    tasks[0] = WindowTask {
        name: "automate".to_string(),
        description: None,
        task_type: TaskType::Automation,
        task_arn: "AWS-RestartEC2Instance".to_string(),
        instance_ids: Vec::new(),
        targets: Vec::new(),
        priority: Some(1),
        max_concurrency: None,
        max_errors: None,
        cutoff_behavior: None,
        service_role_arn: None,
        run_command: None,
        automation: None,
        lambda: None,
        step_functions: None,
        parameters: BTreeMap::new(),
    };
    ssm::update_window_task(&clients, &id, &ids["tasks/automate"], &tasks[0], &[], true)
        .await
        .expect("update_window_task to minimal");
    // An unset cutoff behaviour is the live task's, as AWS has it (CONTINUE_TASK here).
    tasks[0].cutoff_behavior = Some(CutoffBehavior::ContinueTask);
    let live = read_window(&clients, "patching-nightly").await;
    assert_eq!(live.spec.targets, targets);
    assert_eq!(live.spec.tasks, tasks);
    assert_eq!(live.sub_ids, ids);

    // Tags.
    ssm::retag(
        &clients,
        ssm::TagTarget::MaintenanceWindow,
        &id,
        &tags(&[("team", "sre")]),
        &strings(&["old"]),
    )
    .await
    .expect("retag");
    let live = read_window(&clients, "patching-nightly").await;
    assert_eq!(live.spec.tags, owned_tags(&[("team", "sre")]));

    // Deregister tasks before the targets they name; twice is fine.
    for task in ["tasks/patch", "tasks/automate"] {
        ssm::deregister_window_task(&clients, &id, &ids[task])
            .await
            .expect("deregister_window_task");
        ssm::deregister_window_task(&clients, &id, &ids[task])
            .await
            .expect("deregister_window_task again");
    }
    ssm::deregister_window_target(&clients, &id, &ids["targets/web"])
        .await
        .expect("deregister_window_target");
    ssm::deregister_window_target(&clients, &id, &ids["targets/web"])
        .await
        .expect("deregister_window_target again");
    let live = read_window(&clients, "patching-nightly").await;
    let target_names: Vec<&str> = live.spec.targets.iter().map(|t| t.name.as_str()).collect();
    let task_names: Vec<&str> = live.spec.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(target_names, ["groups", "pinned"]);
    assert_eq!(task_names, ["notify"]);

    ssm::delete_window(&clients, &id)
        .await
        .expect("delete_window");
    assert!(read_windows(&clients, "patching-nightly").await.is_empty());
    ssm::delete_window(&clients, &id)
        .await
        .expect("delete_window again");
}

/// A minimal window: the defaults AWS reports read back filled in, and a new token
/// makes a second window of the same name (AWS allows duplicate names).
#[tokio::test]
async fn maintenance_window_defaults_and_tokens() {
    let account = TestAccount::new();
    let clients = clients_for(&account);
    let spec = daily_window(owned_tags(&[]));
    let id = ssm::create_window(&clients, "daily", &spec, &spec.tags, "one")
        .await
        .expect("create_window");
    let live = read_window(&clients, "daily").await;
    assert_eq!(live.id.as_deref(), Some(id.as_str()));
    assert_eq!(
        live.spec,
        MaintenanceWindowSpec {
            enabled: Some(true),
            ..spec.clone()
        }
    );
    assert_eq!(
        normalise::maintenance_window(&live.spec, None),
        normalise::maintenance_window(&spec, Some(INSTANCE))
    );
    // A task without priority reads back with AWS's 1.
    let task = WindowTask {
        name: "run".to_string(),
        description: None,
        task_type: TaskType::Automation,
        task_arn: "AWS-RestartEC2Instance".to_string(),
        instance_ids: Vec::new(),
        targets: Vec::new(),
        priority: None,
        max_concurrency: None,
        max_errors: None,
        cutoff_behavior: None,
        service_role_arn: None,
        run_command: None,
        automation: None,
        lambda: None,
        step_functions: None,
        parameters: BTreeMap::new(),
    };
    ssm::register_window_task(&clients, &id, &task, &[], &Default::default(), "task")
        .await
        .expect("register_window_task");
    let live = read_window(&clients, "daily").await;
    assert_eq!(
        live.spec.tasks,
        vec![WindowTask {
            priority: Some(1),
            ..task.clone()
        }]
    );

    let other = ssm::create_window(&clients, "daily", &spec, &spec.tags, "two")
        .await
        .expect("create_window with another token");
    assert_ne!(other, id);
    assert_eq!(read_windows(&clients, "daily").await.len(), 2);
}

// ------------------------------------------------------------------- backup

async fn read_vault(clients: &Clients, name: &str) -> Option<Live<BackupVaultSpec>> {
    let owned = owned(clients).await;
    let names = BTreeSet::from([name.to_string()]);
    let vaults = backup::read_vaults(clients, &names, &owned.backup_vaults)
        .await
        .expect("read_vaults");
    at_most_one(
        vaults
            .into_iter()
            .filter(|v| v.vault.name == name)
            .map(|v| v.vault)
            .collect(),
    )
}

#[tokio::test]
async fn backup_vault_create_retry_retag_delete() {
    let account = TestAccount::new();
    let clients = clients_for(&account);
    let spec = BackupVaultSpec {
        encryption_key_arn: Some(kms_key(&account, "1234abcd-12ab-34cd-56ef-1234567890ab")),
        tags: owned_tags(&[("team", "platform"), ("old", "x")]),
        ..Default::default()
    };
    backup::create_vault(&clients, "nightly", &spec, &spec.tags, "vault-token")
        .await
        .expect("create_vault");
    // A retry with the same token is done.
    backup::create_vault(&clients, "nightly", &spec, &spec.tags, "vault-token")
        .await
        .expect("create_vault retried");
    let arn = arn(&account, "backup", "backup-vault:nightly");
    assert_eq!(
        read_vault(&clients, "nightly").await.expect("read back"),
        live("nightly", spec.clone(), arn.clone())
    );

    // Another instance's vault of that name: the AlreadyExists stands.
    let mut foreign = spec.tags.clone();
    foreign.insert(OWNERSHIP_TAG.to_string(), "someone-else".to_string());
    let err = backup::create_vault(&clients, "nightly", &spec, &foreign, "other-token")
        .await
        .expect_err("someone else's vault");
    assert_eq!(code(&err), Some("AlreadyExistsException"), "{err}");
    // Ours, created by an earlier token (another spec version): done.
    backup::create_vault(&clients, "nightly", &spec, &spec.tags, "older-token")
        .await
        .expect("create_vault of our own vault with another token");

    backup::retag(
        &clients,
        &arn,
        &tags(&[("team", "sre"), ("tier", "1")]),
        &strings(&["old"]),
    )
    .await
    .expect("retag");
    let live = read_vault(&clients, "nightly").await.expect("read back");
    assert_eq!(
        live.spec.tags,
        owned_tags(&[("team", "sre"), ("tier", "1")])
    );

    backup::delete_vault(&clients, "nightly")
        .await
        .expect("delete_vault");
    assert_eq!(read_vault(&clients, "nightly").await, None);
    backup::delete_vault(&clients, "nightly")
        .await
        .expect("delete_vault again");

    // Without a key: AWS picks its managed key (the emulator reports none).
    let plain = BackupVaultSpec {
        encryption_key_arn: None,
        tags: owned_tags(&[]),
        ..Default::default()
    };
    backup::create_vault(&clients, "plain", &plain, &plain.tags, "plain")
        .await
        .expect("create_vault without key");
    let live = read_vault(&clients, "plain").await.expect("read back");
    assert_eq!(live.spec.tags, plain.tags);
    assert_eq!(
        normalise::backup_vault(&live.spec, None).main["tags"],
        normalise::backup_vault(&plain, Some(INSTANCE)).main["tags"]
    );
}

fn full_plan(account: &TestAccount) -> BackupPlanSpec {
    let role = format!("arn:aws:iam::{}:role/backup", account.account_id);
    BackupPlanSpec {
        rules: vec![
            BackupRule {
                name: "daily".to_string(),
                target_vault: "nightly".to_string(),
                schedule: Some("cron(0 3 ? * * *)".to_string()),
                schedule_timezone: Some("Europe/Berlin".to_string()),
                start_window_minutes: Some(60),
                completion_window_minutes: Some(180),
                lifecycle: Some(Lifecycle {
                    move_to_cold_storage_after_days: Some(30),
                    delete_after_days: Some(120),
                    opt_in_to_archive_for_supported_resources: Some(true),
                }),
                copy_actions: vec![CopyAction {
                    destination_vault_arn: format!(
                        "arn:aws:backup:eu-west-1:{}:backup-vault:dr",
                        account.account_id
                    ),
                    lifecycle: Some(delete_after(35)),
                }],
                recovery_point_tags: tags(&[("made-by", "driftless"), ("rule", "daily")]),
                enable_continuous_backup: Some(false),
                index_actions: Vec::new(),
            },
            BackupRule {
                schedule: Some("cron(0 * ? * * *)".to_string()),
                schedule_timezone: Some("Etc/UTC".to_string()),
                start_window_minutes: Some(120),
                completion_window_minutes: Some(600),
                lifecycle: Some(delete_after(35)),
                enable_continuous_backup: Some(true),
                ..unset_rule("pitr", "Default")
            },
        ],
        selections: vec![
            BackupSelection {
                name: "by-arn".to_string(),
                iam_role_arn: role.clone(),
                tags: BTreeMap::new(),
                conditions: None,
                any_of_tags: BTreeMap::new(),
                resources: strings(&[
                    "arn:aws:dynamodb:*:*:table/orders",
                    "arn:aws:rds:*:*:db:main",
                ]),
                not_resources: Vec::new(),
            },
            BackupSelection {
                name: "by-tag".to_string(),
                iam_role_arn: role,
                tags: tags(&[("Backup", "daily"), ("Env", "prod")]),
                conditions: None,
                any_of_tags: one_each(&[("Tier", "1"), ("Critical", "yes")]),
                resources: strings(&["*"]),
                not_resources: strings(&["arn:aws:ec2:*:*:volume/*"]),
            },
        ],
        external_vaults: Vec::new(),
        advanced_backup_settings: Vec::new(),
        tags: owned_tags(&[("team", "platform"), ("old", "x")]),
    }
}

async fn read_plans(clients: &Clients, name: &str) -> Vec<Live<BackupPlanSpec>> {
    let owned = owned(clients).await;
    let names = BTreeSet::from([name.to_string()]);
    backup::read_plans(clients, &names, &owned.backup_plans)
        .await
        .expect("read_plans")
        .into_iter()
        .filter(|p| p.name == name)
        .collect()
}

async fn read_plan(clients: &Clients, name: &str) -> Live<BackupPlanSpec> {
    exactly_one(read_plans(clients, name).await)
}

/// Creates the plan and its selections as apply does; returns the plan id and the
/// selection ids by path.
async fn write_plan(
    clients: &Clients,
    name: &str,
    spec: &BackupPlanSpec,
) -> (String, BTreeMap<String, String>) {
    let id = backup::create_plan(clients, name, spec, &spec.tags, "plan-token")
        .await
        .expect("create_plan");
    let mut ids = BTreeMap::new();
    for selection in &spec.selections {
        let path = format!("selections/{}", selection.name);
        let sid = backup::create_selection(clients, &id, selection, &path)
            .await
            .expect("create_selection");
        ids.insert(path, sid);
    }
    (id, ids)
}

#[tokio::test]
async fn backup_plan_create_update_retag_delete() {
    let account = TestAccount::new();
    let clients = clients_for(&account);
    let spec = full_plan(&account);
    create_vaults(&clients.backup, &["nightly", "nightly-2"]).await;

    let (id, ids) = write_plan(&clients, "main", &spec).await;
    let (id_again, ids_again) = write_plan(&clients, "main", &spec).await;
    assert_eq!(id_again, id);
    assert_eq!(ids_again, ids);

    let arn = arn(&account, "backup", &format!("backup-plan:{id}"));
    let live = read_plan(&clients, "main").await;
    assert_eq!(
        live,
        Live {
            name: "main".to_string(),
            spec: spec.clone(),
            arn: Some(arn.clone()),
            id: Some(id.clone()),
            sub_ids: ids.clone(),
            tags_known: true,
            unrepresented: Vec::new(),
        }
    );

    // Update every rule field, drop a rule, add one that leaves the server-chosen
    // fields unset (they read back with AWS's defaults).
    let mut updated = spec.clone();
    updated.rules = vec![
        BackupRule {
            name: "daily".to_string(),
            target_vault: "nightly-2".to_string(),
            schedule: Some("cron(30 1 ? * * *)".to_string()),
            schedule_timezone: Some("America/New_York".to_string()),
            start_window_minutes: Some(90),
            completion_window_minutes: Some(300),
            lifecycle: Some(Lifecycle {
                move_to_cold_storage_after_days: Some(10),
                delete_after_days: Some(100),
                opt_in_to_archive_for_supported_resources: Some(false),
            }),
            copy_actions: vec![CopyAction {
                destination_vault_arn: format!(
                    "arn:aws:backup:us-west-2:{}:backup-vault:dr-2",
                    account.account_id
                ),
                lifecycle: None,
            }],
            recovery_point_tags: tags(&[("rule", "daily-2")]),
            enable_continuous_backup: Some(false),
            index_actions: Vec::new(),
        },
        unset_rule("weekly", "nightly"),
    ];
    backup::update_plan(&clients, &id, "main", &updated)
        .await
        .expect("update_plan");
    let live = read_plan(&clients, "main").await;
    let mut expected = updated.clone();
    expected.rules[1] = with_unset_rule_defaults(updated.rules[1].clone());
    assert_eq!(live.spec, expected);
    assert_eq!(live.id.as_deref(), Some(id.as_str()));

    // Tags.
    backup::retag(
        &clients,
        &arn,
        &tags(&[("team", "sre")]),
        &strings(&["old"]),
    )
    .await
    .expect("retag");
    let live = read_plan(&clients, "main").await;
    assert_eq!(live.spec.tags, owned_tags(&[("team", "sre")]));

    // A plan with selections cannot be deleted; selections first, then the plan.
    assert!(backup::delete_plan(&clients, &id).await.is_err());
    for sid in ids.values() {
        backup::delete_selection(&clients, &id, sid)
            .await
            .expect("delete_selection");
        backup::delete_selection(&clients, &id, sid)
            .await
            .expect("delete_selection again");
    }
    assert!(read_plan(&clients, "main").await.spec.selections.is_empty());
    backup::delete_plan(&clients, &id)
        .await
        .expect("delete_plan");
    assert!(read_plans(&clients, "main").await.is_empty());
    backup::delete_plan(&clients, &id)
        .await
        .expect("delete_plan again");

    // The name is free again; a new token makes a new plan.
    let new_id = backup::create_plan(&clients, "main", &spec, &spec.tags, "plan-token-2")
        .await
        .expect("create_plan after delete");
    assert_ne!(new_id, id);
}
