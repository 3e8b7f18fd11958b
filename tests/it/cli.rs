//! `driftless plan` and `apply` end to end: the real binary against the emulator, each
//! test in its own AWS account (a 12-digit access key), with out-of-band changes made
//! through the AWS SDK the way an operator's console click would.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::emulator::{Emulator, TestAccount};
use crate::fixtures::{create_log_group_keeping, one_rule_plan, put_cpu_alarm};
use crate::support::{
    actions, driftless, git, head, history_json, http, origin_repo, repo_root, start_controller,
    start_controller_with, status_of, wait_until, writes, Repo,
};

pub(crate) const LOG_GROUP: &str = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /cli/app}\nspec: {retentionInDays: 14, tags: {team: web}}\n";

/// Sets [`LOG_GROUP`]'s retention to 60 days through `logs`, as an operator's
/// console click would: drift from the 14 days in git.
fn retention_60_by_hand(rt: &tokio::runtime::Runtime, logs: &aws_sdk_cloudwatchlogs::Client) {
    rt.block_on(
        logs.put_retention_policy()
            .log_group_name("/cli/app")
            .retention_in_days(60)
            .send(),
    )
    .unwrap();
}

#[test]
fn quickstart_plans_applies_and_then_has_no_changes() {
    let repo = Repo::from_folder(&repo_root().join("examples/quickstart"));
    let first = repo.plan();
    assert_eq!(first.code, 2, "{}", first.stderr);
    let plan = first.json();
    assert_eq!(plan["summary"]["conflict"], 0);
    assert!(
        plan["summary"]["create"].as_u64().unwrap() >= 11,
        "{}",
        plan["summary"]
    );

    let before = repo.calls();
    let applied = repo.apply(&[]);
    assert!(
        applied.stdout.contains("Apply complete"),
        "{}",
        applied.stdout
    );
    let after = repo.calls();
    assert!(!writes(&before, &after).is_empty());

    let again = repo.plan();
    assert_eq!(
        again.code, 0,
        "plan after apply:\n{}\n{}",
        again.stdout, again.stderr
    );
    assert_eq!(again.json()["changes"], serde_json::json!([]));

    // A second apply writes nothing at all.
    assert_eq!(repo.apply_writes(&[]), BTreeMap::new());
}

#[test]
fn an_out_of_band_change_is_drift_and_apply_puts_it_back() {
    let repo = Repo::new(&[("a.yaml", LOG_GROUP)]);
    repo.apply(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    retention_60_by_hand(&rt, &logs);

    let drifted = repo.plan();
    assert_eq!(drifted.code, 2);
    let plan = drifted.json();
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{plan}");
    assert_eq!(changes[0]["name"], "/cli/app");
    assert_eq!(changes[0]["drift"], true);
    assert_eq!(
        changes[0]["fields"],
        serde_json::json!([{"path": "retentionInDays", "live": 60, "desired": 14}])
    );

    repo.apply(&[]);
    assert_eq!(repo.plan().code, 0);
}

#[test]
fn an_unowned_namesake_is_a_conflict_and_is_never_written_unless_adopted() {
    let repo = Repo::new(&[("a.yaml", LOG_GROUP)]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    rt.block_on(create_log_group_keeping(&logs, "/cli/app", 3));

    let plan = repo.plan();
    assert_eq!(plan.code, 2);
    assert_eq!(
        actions(&plan.json()),
        [("conflict".to_string(), "/cli/app".to_string())]
    );
    let before = repo.calls();
    let apply = repo.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}", apply.stdout);
    assert_eq!(writes(&before, &repo.calls()), BTreeMap::new());

    repo.write(
        "a.yaml",
        &LOG_GROUP.replace("{name: /cli/app}", "{name: /cli/app, adopt: true}"),
    );
    let plan = repo.plan().json();
    assert_eq!(plan["changes"][0]["action"], "update");
    assert_eq!(plan["changes"][0]["adopt"], true);
    repo.apply(&[]);
    assert_eq!(repo.plan().code, 0);
}

#[test]
fn owned_resources_that_left_the_repo_are_deleted_only_with_prune_and_within_guards() {
    let second = LOG_GROUP.replace("/cli/app", "/cli/other");
    let repo = Repo::new(&[("a.yaml", LOG_GROUP), ("b.yaml", &second)]);
    repo.apply(&[]);
    std::fs::remove_file(repo.dir.path().join("b.yaml")).unwrap();

    let plan = repo.plan();
    assert_eq!(plan.code, 0, "without --prune nothing changes");
    let json = plan.json();
    assert_eq!(json["wouldDeleteWithPrune"][0]["name"], "/cli/other");

    let guarded = repo
        .run(&["plan", "--prune", "--max-deletes", "0", "--output", "json"])
        .json();
    assert_eq!(guarded["changes"], serde_json::json!([]));
    assert!(guarded["warnings"][0]
        .as_str()
        .unwrap()
        .contains("exceed --max-deletes 0"));

    repo.apply(&["--prune"]);
    let after = repo.plan();
    assert_eq!(after.code, 0);
    assert!(after.json().get("wouldDeleteWithPrune").is_none());

    // The empty-repository guard.
    std::fs::remove_file(repo.dir.path().join("a.yaml")).unwrap();
    let empty = repo.run(&["plan", "--prune", "--output", "json"]).json();
    assert_eq!(empty["changes"], serde_json::json!([]));
    assert!(empty["warnings"][0]
        .as_str()
        .unwrap()
        .contains("--allow-empty"));
}

#[test]
fn a_saved_plan_is_applied_exactly_and_refused_once_live_state_moved() {
    let repo = Repo::new(&[("a.yaml", LOG_GROUP)]);
    let file = repo.state.path().join("plan.json");
    let file_arg = file.to_string_lossy().into_owned();
    let saved = repo.run(&["plan", "--out", &file_arg]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let applied = repo.run(&["apply", &file_arg]);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);

    repo.write(
        "a.yaml",
        &LOG_GROUP.replace("retentionInDays: 14", "retentionInDays: 30"),
    );
    assert_eq!(repo.run(&["plan", "--out", &file_arg]).code, 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    retention_60_by_hand(&rt, &logs);
    let before = repo.calls();
    let refused = repo.run(&["apply", &file_arg]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("is stale"), "{}", refused.stderr);
    assert_eq!(writes(&before, &repo.calls()), BTreeMap::new());
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let repo = Repo::new(&[("a.yaml", LOG_GROUP)]);
    let run = repo.run(&["apply"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    assert_eq!(repo.plan().code, 2, "nothing was applied");
}

#[test]
fn every_mutable_field_updates_and_immutable_ones_replace() {
    let repo = Repo::from_folder(&repo_root().join("examples/quickstart"));
    repo.apply(&[]);
    let edit = |file: &str, pairs: &[(&str, &str)]| {
        let path = repo.dir.path().join(file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        for (from, to) in pairs {
            assert!(text.contains(from), "{file}: {from}");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(path, text).unwrap();
    };
    edit(
        "monitoring/web.yaml",
        &[
            ("threshold: 80", "threshold: 85"),
            ("datapointsToAlarm: 10", "datapointsToAlarm: 12"),
            ("team: web, service: storefront}", "team: platform}"),
        ],
    );
    edit(
        "monitoring/logs.yaml",
        &[("retentionInDays: 90", "retentionInDays: 180")],
    );
    edit(
        "patching/baselines.yaml",
        &[
            ("approveAfterDays: 7", "approveAfterDays: 5"),
            (
                "rejectedPatches: [kernel-6.1.0-1.x86_64]",
                "rejectedPatches: [kernel-6.1.0-1.x86_64, openssl-3.0.8]",
            ),
            (
                "patchGroups: [prod-web, prod-api]",
                "patchGroups: [prod-web]",
            ),
        ],
    );
    edit(
        "patching/windows.yaml",
        &[
            ("cron(0 3 ? * TUE *)", "cron(0 4 ? * WED *)"),
            ("priority: 1", "priority: 2"),
            (
                "{\"Patch Group\": prod-web}",
                "{\"Patch Group\": [prod-web, prod-web-canary]}",
            ),
        ],
    );
    edit(
        "backup/daily.yaml",
        &[
            ("deleteAfterDays: 365}", "deleteAfterDays: 400}"),
            ("tags: {Backup: daily}", "tags: {Backup: daily, Env: prod}"),
        ],
    );
    let plan = repo.plan();
    assert_eq!(plan.code, 2);
    let got = actions(&plan.json());
    for expected in [
        ("update", "web-cpu-high"),
        ("update", "/app/web/application"),
        ("update", "al2023-prod"),
        ("delete", "al2023-prod/patchGroups/prod-api"),
        ("update", "prod-patch-tuesday"),
        ("update", "prod-patch-tuesday/targets/prod-web"),
        ("update", "prod-patch-tuesday/tasks/install-patches"),
        ("update", "prod-daily"),
        ("replace", "prod-daily/selections/tagged-daily"),
    ] {
        assert!(
            got.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} not in {got:?}"
        );
    }
    repo.apply(&[]);
    let after = repo.plan();
    assert_eq!(after.code, 0, "{}", after.stdout);

    // Changing a baseline's operating system replaces it.
    edit(
        "patching/baselines.yaml",
        &[(
            "operatingSystem: AMAZON_LINUX_2023\n  description: Staging",
            "operatingSystem: AMAZON_LINUX_2\n  description: Staging",
        )],
    );
    let plan = repo.plan().json();
    assert!(
        actions(&plan).contains(&("replace".to_string(), "al2023-staging".to_string())),
        "{plan}"
    );
    repo.apply(&[]);
    assert_eq!(repo.plan().code, 0);
}

#[test]
fn a_no_change_plan_costs_the_documented_number_of_calls() {
    for n in [10usize, 1000] {
        let repo = Repo::new(&[]);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let sdk = repo.sdk();
        let cw = aws_sdk_cloudwatch::Client::new(&sdk);
        let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
        let mut docs = String::new();
        rt.block_on(async {
            for i in 0..n {
                let alarm = format!("budget-{i:04}");
                let group = format!("/budget/{i:04}");
                put_cpu_alarm(&cw, &alarm)
                    .period(300)
                    .evaluation_periods(3)
                    .threshold(80.0)
                    .tags(aws_sdk_cloudwatch::types::Tag::builder().key("driftless.dev/managed-by").value("driftless").build())
                    .send()
                    .await
                    .unwrap();
                logs.create_log_group()
                    .log_group_name(&group)
                    .tags("driftless.dev/managed-by", "driftless")
                    .send()
                    .await
                    .unwrap();
                docs.push_str(&format!(
                    "---\napiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {{name: {alarm}}}\nspec: {{namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, period: 300, evaluationPeriods: 3, threshold: 80, comparisonOperator: GreaterThanThreshold}}\n---\napiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {{name: {group}}}\nspec: {{}}\n"
                ));
            }
        });
        repo.write("all.yaml", &docs);
        let before = repo.calls();
        let plan = repo.plan();
        assert_eq!(plan.code, 0, "{}", plan.stdout);
        let after = repo.calls();
        let made = after.total - before.total;
        // Exactly the formula (ARCHITECTURE.md): tagging pages ceil(2n/100) +
        // DescribeAlarms ceil(n/100) + DescribeLogGroups pages ceil(n/50); nothing else.
        let pages = |count: usize, per: usize| count.div_ceil(per).max(1) as u64;
        let minimal = pages(2 * n, 100) + pages(n, 100) + pages(n, 50);
        assert_eq!(
            made, minimal,
            "n = {n}: {made} calls, formula {minimal}: {:?}",
            after.calls
        );
        let delta = |service: &str, op: &str| after.get(service, op) - before.get(service, op);
        assert_eq!(
            [
                delta("resourcegroupstaggingapi", "GetResources"),
                delta("cloudwatch", "DescribeAlarms"),
                delta("logs", "DescribeLogGroups"),
            ],
            [pages(2 * n, 100), pages(n, 100), pages(n, 50)],
            "n = {n}: {:?}",
            after.calls
        );
    }
}

#[test]
fn a_create_whose_response_was_lost_is_retried_without_a_duplicate() {
    // Fault rules are global: hold the lock the other fault tests take.
    let _serial = crate::smoke::GLOBAL_STATE.blocking_lock();
    let window = "apiVersion: driftless.dev/v1\nkind: MaintenanceWindow\nmetadata: {name: lost-response}\nspec: {schedule: rate(7 days), duration: 2, cutoff: 1}\n";
    let repo = Repo::new(&[("w.yaml", window)]);
    let emulator = Emulator::shared();
    let _faults = emulator.scoped_faults(&serde_json::json!({
        "seed": 7,
        "rules": [{"service": "ssm", "operation": "CreateMaintenanceWindow", "kind": "drop_response",
                   "count": 1, "account": repo.account.account_id}]
    }));
    let before = repo.calls();
    repo.apply(&[]);
    let after = repo.calls();
    assert_eq!(
        after.get("ssm", "CreateMaintenanceWindow") - before.get("ssm", "CreateMaintenanceWindow"),
        2,
        "the SDK retried the create whose answer was lost"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ssm = aws_sdk_ssm::Client::new(&repo.sdk());
    let windows = rt
        .block_on(ssm.describe_maintenance_windows().send())
        .unwrap();
    let named: Vec<_> = windows
        .window_identities()
        .iter()
        .filter(|w| w.name() == Some("lost-response"))
        .collect();
    assert_eq!(
        named.len(),
        1,
        "the client token made the retry return the same window"
    );
    assert_eq!(repo.plan().code, 0);
}

#[test]
fn unowned_namesakes_of_every_kind_are_conflicts_and_apply_writes_none_of_them() {
    let repo = Repo::new(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sdk = repo.sdk();
    rt.block_on(async {
        put_cpu_alarm(&aws_sdk_cloudwatch::Client::new(&sdk), "theirs-cpu")
            .send()
            .await
            .unwrap();
        aws_sdk_cloudwatchlogs::Client::new(&sdk)
            .create_log_group()
            .log_group_name("/theirs/app")
            .send()
            .await
            .unwrap();
        let ssm = aws_sdk_ssm::Client::new(&sdk);
        ssm.create_patch_baseline()
            .name("theirs-baseline")
            .operating_system(aws_sdk_ssm::types::OperatingSystem::Ubuntu)
            .send()
            .await
            .unwrap();
        ssm.create_maintenance_window()
            .name("theirs-window")
            .schedule("rate(7 days)")
            .duration(2)
            .cutoff(1)
            .allow_unassociated_targets(false)
            .send()
            .await
            .unwrap();
        let backup = aws_sdk_backup::Client::new(&sdk);
        backup
            .create_backup_vault()
            .backup_vault_name("theirs-vault")
            .send()
            .await
            .unwrap();
        backup
            .create_backup_plan()
            .backup_plan(one_rule_plan("theirs-plan", "daily", "theirs-vault", None))
            .send()
            .await
            .unwrap();
    });
    let doc = |kind: &str, name: &str, spec: &str| {
        format!("---\napiVersion: driftless.dev/v1\nkind: {kind}\nmetadata: {{name: \"{name}\"}}\nspec: {spec}\n")
    };
    let specs = [
        doc("MetricAlarm", "theirs-cpu", "{namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, period: 60, evaluationPeriods: 1, threshold: 99, comparisonOperator: GreaterThanThreshold}"),
        doc("LogGroup", "/theirs/app", "{retentionInDays: 7}"),
        doc("PatchBaseline", "theirs-baseline", "{operatingSystem: UBUNTU, rejectedPatches: [x]}"),
        doc("MaintenanceWindow", "theirs-window", "{schedule: rate(1 day), duration: 2, cutoff: 1}"),
        doc("BackupVault", "theirs-vault", "{tags: {a: b}}"),
        doc("BackupPlan", "theirs-plan", "{rules: [{name: daily, targetVault: theirs-vault, lifecycle: {deleteAfterDays: 7}}]}"),
    ]
    .concat();
    repo.write("all.yaml", &specs);
    let plan = repo.plan();
    assert_eq!(plan.code, 2);
    let mut got = actions(&plan.json());
    got.sort();
    let mut want: Vec<(String, String)> = [
        "/theirs/app",
        "theirs-baseline",
        "theirs-cpu",
        "theirs-plan",
        "theirs-vault",
        "theirs-window",
    ]
    .iter()
    .map(|n| ("conflict".to_string(), n.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);

    let before = repo.calls();
    let apply = repo.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 1, "conflicts make apply exit 1");
    assert!(
        apply.stdout.contains("6 conflicts not written"),
        "{}",
        apply.stdout
    );
    assert_eq!(writes(&before, &repo.calls()), BTreeMap::new());
}

/// Made by hand, as an existing estate would be: a baseline with its patch group, a
/// window with a target and a task, a vault and a plan with a selection.
fn an_existing_estate(sdk: &aws_types::SdkConfig, account: &str) {
    use aws_sdk_ssm::types::{MaintenanceWindowResourceType, MaintenanceWindowTaskType, Target};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ssm = aws_sdk_ssm::Client::new(sdk);
        let baseline = ssm
            .create_patch_baseline()
            .name("adopt-al2023")
            .operating_system(aws_sdk_ssm::types::OperatingSystem::AmazonLinux2023)
            .send()
            .await
            .unwrap();
        ssm.register_patch_baseline_for_patch_group()
            .baseline_id(baseline.baseline_id().unwrap())
            .patch_group("adopt-web")
            .send()
            .await
            .unwrap();
        let window = ssm
            .create_maintenance_window()
            .name("adopt-window")
            .schedule("rate(7 days)")
            .duration(2)
            .cutoff(1)
            .allow_unassociated_targets(false)
            .send()
            .await
            .unwrap();
        let window_id = window.window_id().unwrap();
        let target = ssm
            .register_target_with_maintenance_window()
            .window_id(window_id)
            .name("web")
            .resource_type(MaintenanceWindowResourceType::Instance)
            .targets(
                Target::builder()
                    .key("tag:Patch Group")
                    .values("adopt-web")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ssm.register_task_with_maintenance_window()
            .window_id(window_id)
            .name("patch")
            .task_type(MaintenanceWindowTaskType::RunCommand)
            .task_arn("AWS-RunPatchBaseline")
            .targets(
                Target::builder()
                    .key("WindowTargetIds")
                    .values(target.window_target_id().unwrap())
                    .build(),
            )
            .priority(1)
            .max_concurrency("10%")
            .max_errors("1")
            .send()
            .await
            .unwrap();
        let backup = aws_sdk_backup::Client::new(sdk);
        backup
            .create_backup_vault()
            .backup_vault_name("adopt-vault")
            .send()
            .await
            .unwrap();
        let plan = backup
            .create_backup_plan()
            .backup_plan(one_rule_plan("adopt-plan", "daily", "adopt-vault", None))
            .send()
            .await
            .unwrap();
        crate::fixtures::create_daily_selection(&backup, plan.backup_plan_id().unwrap(), account)
            .await;
    });
}

#[test]
fn adopting_an_existing_estate_takes_its_registrations_targets_tasks_and_selections_in_one_apply() {
    let repo = Repo::new(&[]);
    an_existing_estate(&repo.sdk(), &repo.account.account_id);
    let specs = format!(
        "apiVersion: driftless.dev/v1\nkind: PatchBaseline\nmetadata: {{name: adopt-al2023, adopt: true}}\nspec: {{operatingSystem: AMAZON_LINUX_2023, patchGroups: [adopt-web]}}\n---\napiVersion: driftless.dev/v1\nkind: MaintenanceWindow\nmetadata: {{name: adopt-window, adopt: true}}\nspec:\n  schedule: rate(7 days)\n  duration: 2\n  cutoff: 1\n  targets: [{{name: web, resourceType: INSTANCE, tags: {{\"Patch Group\": adopt-web}}}}]\n  tasks: [{{name: patch, type: RUN_COMMAND, taskArn: AWS-RunPatchBaseline, targets: [web], priority: 1, maxConcurrency: \"10%\", maxErrors: \"1\"}}]\n---\napiVersion: driftless.dev/v1\nkind: BackupVault\nmetadata: {{name: adopt-vault, adopt: true}}\nspec: {{}}\n---\napiVersion: driftless.dev/v1\nkind: BackupPlan\nmetadata: {{name: adopt-plan, adopt: true}}\nspec:\n  rules: [{{name: daily, targetVault: adopt-vault}}]\n  selections: [{{name: tagged, iamRoleArn: \"arn:aws:iam::{}:role/backup\", anyOfTags: {{Backup: daily}}}}]\n",
        repo.account.account_id
    );
    repo.write("estate.yaml", &specs);
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let json = plan.json();
    let changes: Vec<(String, String, bool, Vec<String>)> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
                c["adopt"].as_bool().unwrap_or(false),
                c["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["path"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let tag = "tags[\"driftless.dev/managed-by\"]".to_string();
    let adopt = |name: &str| {
        (
            name.to_string(),
            "update".to_string(),
            true,
            vec![tag.clone()],
        )
    };
    assert_eq!(
        changes,
        [
            adopt("adopt-al2023"),
            adopt("adopt-window"),
            adopt("adopt-vault"),
            adopt("adopt-plan"),
        ],
        "only the ownership tag changes: the sub-resources match and come along"
    );
    let apply = repo.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let again = repo.plan();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

#[test]
fn one_repository_fans_out_to_every_target_with_an_assumed_role() {
    let role_account = crate::emulator::TestAccount::new().account_id;
    let config = &format!("targets:\n  - {{name: east, region: us-east-1, roleArn: \"arn:aws:iam::{role_account}:role/driftless\", externalId: ops}}\n  - {{name: west, region: us-west-2}}\n");
    let group = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /fanout/app}\nspec: {retentionInDays: 7}\n";
    let west_only = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /fanout/west-only, targets: [west]}\nspec: {}\n";
    let repo = Repo::new(&[
        ("driftless.yaml", config),
        ("a.yaml", group),
        ("b.yaml", west_only),
    ]);
    crate::fixtures::trusted_role(
        &role_account,
        "driftless",
        &repo.account.account_id,
        Some("ops"),
    );
    let plan = repo.plan().json();
    let targets: Vec<(&str, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["target"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        targets,
        [
            ("east", "/fanout/app"),
            ("west", "/fanout/app"),
            ("west", "/fanout/west-only")
        ]
    );
    repo.apply(&[]);
    assert_eq!(repo.plan().code, 0);
    // The west target used the ambient credentials in us-west-2.
    let west = Emulator::shared().sdk_config(&repo.account.account_id, "us-west-2");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let groups = rt
        .block_on(
            aws_sdk_cloudwatchlogs::Client::new(&west)
                .describe_log_groups()
                .log_group_name_prefix("/fanout/")
                .send(),
        )
        .unwrap();
    let names: Vec<&str> = groups
        .log_groups()
        .iter()
        .filter_map(|g| g.log_group_name())
        .collect();
    assert_eq!(names, ["/fanout/app", "/fanout/west-only"]);
}

#[test]
fn a_target_whose_role_cannot_be_assumed_fails_alone_in_plan_and_apply() {
    // Fault rules are global: hold the lock the other fault tests take.
    let _serial = crate::smoke::GLOBAL_STATE.blocking_lock();
    let role_account = crate::emulator::TestAccount::new().account_id;
    let config = &format!("targets:\n  - {{name: east, region: us-east-1}}\n  - {{name: broken, region: us-east-1, roleArn: \"arn:aws:iam::{role_account}:role/driftless\"}}\n  - {{name: west, region: us-west-2}}\n");
    let group = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /isolated/app}\nspec: {retentionInDays: 7}\n";
    let repo = Repo::new(&[("driftless.yaml", config), ("a.yaml", group)]);
    crate::fixtures::trusted_role(&role_account, "driftless", &repo.account.account_id, None);
    // Only `broken` assumes a role: STS answers it 503 on every attempt.
    let _faults = Emulator::shared().scoped_faults(&serde_json::json!({
        "seed": 1,
        "rules": [{"service": "sts", "operation": "AssumeRole", "kind": "error503",
                   "account": repo.account.account_id}]
    }));
    let plan = repo.run(&["plan", "--output", "json"]);
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    let json = plan.json();
    let planned: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["target"].as_str().unwrap())
        .collect();
    assert_eq!(planned, ["east", "west"]);
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["target"], "broken");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("loading credentials"),
        "{errors:?}"
    );
    assert!(
        errors[0]["hint"].as_str().unwrap().contains("roleArn"),
        "{errors:?}"
    );

    let text = repo.run(&["plan"]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains("target broken\n  error: ")
            && text
                .stdout
                .contains("1 target failed and was not planned: broken."),
        "{}",
        text.stdout
    );
    let markdown = repo.run(&["plan", "--output", "markdown"]);
    assert_eq!(markdown.code, 1);
    assert!(
        markdown.stdout.contains("> **error:** target `broken`"),
        "{}",
        markdown.stdout
    );

    let apply = repo.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("2 changes made, 0 failed")
            && apply.stdout.contains("1 failed target not planned"),
        "{}",
        apply.stdout
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    for region in ["us-east-1", "us-west-2"] {
        let sdk = Emulator::shared().sdk_config(&repo.account.account_id, region);
        let groups = rt
            .block_on(
                aws_sdk_cloudwatchlogs::Client::new(&sdk)
                    .describe_log_groups()
                    .log_group_name_prefix("/isolated/")
                    .send(),
            )
            .unwrap();
        assert_eq!(groups.log_groups().len(), 1, "{region}");
    }
    // Once the role can be assumed, only `broken` has anything left to do.
    drop(_faults);
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let json = plan.json();
    assert_eq!(json["errors"], serde_json::json!([]));
    assert_eq!(json["changes"].as_array().unwrap().len(), 1);
    assert_eq!(json["changes"][0]["target"], "broken");
}

/// The alarm actions of `name` in one account and region.
fn alarm_actions(account: &str, region: &str, name: &str) -> Vec<String> {
    let sdk = Emulator::shared().sdk_config(account, region);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt
        .block_on(
            aws_sdk_cloudwatch::Client::new(&sdk)
                .describe_alarms()
                .alarm_names(name)
                .send(),
        )
        .unwrap();
    out.metric_alarms()
        .iter()
        .flat_map(|a| a.alarm_actions().iter().cloned())
        .collect()
}

#[test]
fn per_target_values_resolve_for_each_account_and_region_through_a_group() {
    let repo = Repo::new(&[]);
    let (a, b) = (&repo.account.account_id, TestAccount::new().account_id);
    crate::fixtures::trusted_role(&b, "driftless", a, None);
    // tokyo's account only STS knows; osaka names it; dr is another account's role.
    let config = format!(
        "targets:\n  - {{name: tokyo, region: ap-northeast-1}}\n  - {{name: osaka, region: ap-northeast-3, accountId: \"{a}\"}}\n  - {{name: dr, region: ap-northeast-3, roleArn: \"arn:aws:iam::{b}:role/driftless\"}}\ngroups:\n  primary: [tokyo, osaka]\n  everywhere: [primary, dr]\n"
    );
    let alarm = |name: &str, targets: &str| {
        format!("apiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {{name: {name}, targets: [{targets}]}}\nspec:\n  description: \"on ${{target.name}}, not $${{target.name}}\"\n  namespace: AWS/EC2\n  metricName: CPUUtilization\n  statistic: Average\n  period: 300\n  evaluationPeriods: 3\n  threshold: 80\n  comparisonOperator: GreaterThanThreshold\n  alarmActions: [\"arn:${{target.partition}}:sns:${{target.region}}:${{target.accountId}}:oncall\"]\n")
    };
    repo.write("driftless.yaml", &config);
    repo.write("a.yaml", &alarm("vars-cpu", "everywhere"));
    repo.write("b.yaml", &alarm("vars-primary", "primary"));
    let before = repo.calls();
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let sts_calls =
        repo.calls().get("sts", "GetCallerIdentity") - before.get("sts", "GetCallerIdentity");
    assert_eq!(sts_calls, 1, "only tokyo's account is asked, once");
    let json = plan.json();
    let desired: Vec<(String, String, String)> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let field = |path: &str| {
                c["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["path"] == path)
                    .map(|f| f["desired"].to_string())
                    .unwrap_or_default()
            };
            (
                format!(
                    "{}/{}",
                    c["target"].as_str().unwrap(),
                    c["name"].as_str().unwrap()
                ),
                field("alarmActions"),
                field("description"),
            )
        })
        .collect();
    let expect = |target: &str, name: &str, region: &str, account: &str| {
        (
            format!("{target}/{name}"),
            format!("[\"arn:aws:sns:{region}:{account}:oncall\"]"),
            format!("\"on {target}, not ${{target.name}}\""),
        )
    };
    assert_eq!(
        desired,
        [
            expect("dr", "vars-cpu", "ap-northeast-3", &b),
            expect("osaka", "vars-cpu", "ap-northeast-3", a),
            expect("osaka", "vars-primary", "ap-northeast-3", a),
            expect("tokyo", "vars-cpu", "ap-northeast-1", a),
            expect("tokyo", "vars-primary", "ap-northeast-1", a),
        ]
    );
    let only_dr = repo
        .run(&["plan", "--output", "json", "--target", "dr"])
        .json();
    assert_eq!(only_dr["changes"].as_array().unwrap().len(), 1);

    repo.apply(&[]);
    assert_eq!(
        alarm_actions(a, "ap-northeast-1", "vars-cpu"),
        [format!("arn:aws:sns:ap-northeast-1:{a}:oncall")]
    );
    assert_eq!(
        alarm_actions(a, "ap-northeast-3", "vars-primary"),
        [format!("arn:aws:sns:ap-northeast-3:{a}:oncall")]
    );
    assert_eq!(
        alarm_actions(&b, "ap-northeast-3", "vars-cpu"),
        [format!("arn:aws:sns:ap-northeast-3:{b}:oncall")],
        "dr's alarm is in dr's account"
    );
    assert!(alarm_actions(&b, "ap-northeast-3", "vars-primary").is_empty());
    let again = repo.plan();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

#[test]
fn the_default_target_and_the_controller_resolve_values_only_aws_knows() {
    // No driftless.yaml: region and account come from the environment and STS.
    let alarm = "apiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {name: vars-default}\nspec:\n  namespace: AWS/EC2\n  metricName: CPUUtilization\n  statistic: Average\n  period: 300\n  evaluationPeriods: 3\n  threshold: 80\n  comparisonOperator: GreaterThanThreshold\n  alarmActions: [\"arn:aws:sns:${target.region}:${target.accountId}:oncall\"]\n";
    let repo = Repo::new(&[("a.yaml", alarm)]);
    let (account, region) = (&repo.account.account_id, &repo.account.region);
    let want = format!("arn:aws:sns:{region}:{account}:oncall");
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let fields = &plan.json()["changes"][0]["fields"];
    let actions = fields
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "alarmActions")
        .unwrap();
    assert_eq!(actions["desired"], serde_json::json!([want]));
    // The controller's one pass applies the same resolved values.
    let once = repo.run(&["run", "--once"]);
    assert_eq!(once.code, 0, "{}\n{}", once.stdout, once.stderr);
    assert_eq!(alarm_actions(account, region, "vars-default"), [want]);
    assert_eq!(repo.plan().code, 0);
}

#[test]
fn the_multi_region_example_applies_to_both_accounts_and_regions() {
    let repo = Repo::from_folder(&repo_root().join("examples/multi-region"));
    let (a, b) = (&repo.account.account_id, TestAccount::new().account_id);
    crate::fixtures::trusted_role(&b, "driftless", a, None);
    let config = std::fs::read_to_string(repo.dir.path().join("driftless.yaml")).unwrap();
    repo.write(
        "driftless.yaml",
        &config
            .replace("111111111111", a)
            .replace("222222222222", &b),
    );
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    repo.apply(&[]);
    assert_eq!(
        alarm_actions(a, "ap-northeast-1", "backup-jobs-failed"),
        [format!("arn:aws:sns:ap-northeast-1:{a}:ops-oncall")]
    );
    assert_eq!(
        alarm_actions(&b, "ap-northeast-3", "backup-jobs-failed"),
        [format!("arn:aws:sns:ap-northeast-3:{b}:ops-oncall")]
    );
    assert_eq!(
        alarm_actions(a, "ap-northeast-1", "web-cpu-high"),
        [format!("arn:aws:sns:ap-northeast-1:{a}:web-oncall")]
    );
    let again = repo.plan();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

#[test]
fn apply_is_recorded_in_the_history() {
    let repo = Repo::new(&[("a.yaml", LOG_GROUP)]);
    repo.apply(&[]);
    let state = repo.state.path().to_string_lossy().into_owned();
    let history = history_json(repo.state.path());
    let reconcile = &history["reconciles"][0];
    assert_eq!(reconcile["target"], "default");
    assert_eq!(reconcile["result"], "applied");
    assert_eq!(reconcile["changes"][0]["name"], "/cli/app");
    assert_eq!(reconcile["changes"][0]["action"], "create");
    assert_eq!(reconcile["changes"][0]["result"], "ok");
    let text = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args([
            "history",
            "--target",
            "default",
            "--since",
            "1h",
            "--state-dir",
            &state,
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("/cli/app"));
}

#[test]
fn a_git_source_is_planned_at_its_commit_and_follows_new_commits() {
    let repo = Repo::new(&[]);
    let (origin, url) = origin_repo(&[("ops/a.yaml", LOG_GROUP)], "first");
    let args = |cmd: &'static str| -> Vec<String> {
        let mut a: Vec<String> = cmd.split(' ').map(str::to_string).collect();
        a.extend([
            "--source".into(),
            url.clone(),
            "--ref".into(),
            "main".into(),
            "--path".into(),
            "ops".into(),
        ]);
        a
    };
    let run = |cmd: &'static str| {
        let a = args(cmd);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        repo.run_raw(&refs)
    };
    let plan = run("plan --output json --detailed-exitcode");
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let sha = head(origin.path());
    assert_eq!(plan.json()["revision"], sha);
    assert_eq!(run("apply --auto-approve").code, 0);
    assert_eq!(run("plan --detailed-exitcode").code, 0);

    std::fs::write(
        origin.path().join("ops/a.yaml"),
        LOG_GROUP.replace("retentionInDays: 14", "retentionInDays: 30"),
    )
    .unwrap();
    git(origin.path(), &["commit", "-q", "-am", "longer retention"]);
    let plan = run("plan --output json --detailed-exitcode");
    assert_eq!(plan.code, 2);
    assert_eq!(plan.json()["changes"][0]["fields"][0]["desired"], 30);
}

#[test]
fn the_readmes_git_plan_works_from_a_fresh_folder_without_a_state_dir() {
    let repo = Repo::new(&[]);
    let (origin, url) = origin_repo(&[("ops/a.yaml", LOG_GROUP)], "first");
    let cwd = tempfile::tempdir().unwrap();
    let out = driftless(&repo.account, repo.state.path())
        .args(["plan", "--source", &url, "--ref", "main", "--path", "ops"])
        .args(["--output", "json"])
        .current_dir(cwd.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["revision"], head(origin.path()));
    assert_eq!(plan["changes"][0]["name"], "/cli/app");
    assert!(
        cwd.path().join(".driftless/source").is_dir(),
        "the default state dir is relative to the folder driftless ran in"
    );
}

#[test]
fn run_once_applies_a_commit_keeps_the_last_good_one_and_reports_or_corrects_drift() {
    let repo = Repo::new(&[]);
    let (origin, url) = origin_repo(&[("ops/a.yaml", LOG_GROUP)], "first");
    let run = |extra: &[&str]| {
        let mut a = vec!["run", "--once", "--source", url.as_str(), "--path", "ops"];
        a.extend_from_slice(extra);
        repo.run_raw(&a)
    };
    let first = run(&[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.contains("default: converged"),
        "{}",
        first.stdout
    );

    // An invalid commit is not applied; the last good revision is still enforced.
    let good = head(origin.path());
    std::fs::write(
        origin.path().join("ops/a.yaml"),
        LOG_GROUP.replace("retentionInDays: 14", "retentionInDays: 31"),
    )
    .unwrap();
    git(origin.path(), &["commit", "-q", "-am", "bad retention"]);
    let before = repo.calls();
    let invalid = run(&[]);
    assert_eq!(invalid.code, 1);
    assert!(
        invalid.stdout.contains("default: invalid"),
        "{}",
        invalid.stdout
    );
    // Known from the history, in a new process.
    assert!(
        invalid.stdout.contains(&format!("still enforcing {good}")),
        "{}",
        invalid.stdout
    );
    assert!(
        invalid.stderr.contains("retentionInDays"),
        "the log names the problem: {}",
        invalid.stderr
    );
    assert_eq!(writes(&before, &repo.calls()), BTreeMap::new());

    // Drift with driftPolicy report stays; with correct it is put back.
    std::fs::write(origin.path().join("ops/a.yaml"), LOG_GROUP).unwrap();
    git(origin.path(), &["commit", "-q", "-am", "fix"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    retention_60_by_hand(&rt, &logs);
    assert_eq!(run(&["--drift-policy", "report"]).code, 0);
    let retention = |rt: &tokio::runtime::Runtime| {
        rt.block_on(
            logs.describe_log_groups()
                .log_group_name_prefix("/cli/app")
                .send(),
        )
        .unwrap()
        .log_groups()[0]
            .retention_in_days()
    };
    assert_eq!(retention(&rt), Some(60), "report leaves drift in place");
    assert_eq!(run(&[]).code, 0);
    assert_eq!(retention(&rt), Some(14), "correct puts it back");

    let history = history_json(repo.state.path());
    let results: Vec<&str> = history["reconciles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    // Newest first: corrected, reported, the last good enforced after the invalid one, invalid, first apply.
    assert_eq!(results.first(), Some(&"applied"), "{results:?}");
    assert!(results.contains(&"invalid"), "{results:?}");
    assert!(results.contains(&"reported-only"), "{results:?}");
}

/// POSTs `body` to `path`, signed with the test secret; the status code.
fn post_signed(addr: &str, path: &str, body: &[u8]) -> u16 {
    let signature = driftless::controller::webhook::sign(b"s3cret", body);
    http(
        addr,
        "POST",
        path,
        &[("X-Hub-Signature-256", &signature)],
        body,
    )
    .0
}

#[test]
fn controller_logs_are_json_on_request_name_target_and_revision_and_hide_credentials() {
    let repo = Repo::new(&[]);
    let json_lines = |stderr: &str| -> Vec<Value> {
        stderr
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    };
    // An unreachable remote with a password in its URL: the fetch fails, and the
    // password appears nowhere.
    let out = repo.run_raw(&[
        "run",
        "--once",
        "--log-format",
        "json",
        "--source",
        "http://ops:hunter2secret@127.0.0.1:9/ops.git",
    ]);
    assert_eq!(out.code, 1);
    assert!(!out.stderr.contains("hunter2secret"), "{}", out.stderr);
    assert!(!out.stdout.contains("hunter2secret"), "{}", out.stdout);
    assert!(
        out.stdout
            .starts_with("source: the fetch failed: http://ops:***@127.0.0.1:9/ops.git"),
        "{}",
        out.stdout
    );
    let events = json_lines(&out.stderr);
    let failed = events
        .iter()
        .find(|e| e["message"].as_str().unwrap_or("").contains("fetch failed"))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert_eq!(failed["level"], "WARN");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:9/ops.git"),
        "{failed}"
    );

    // A reconcile's events carry its target and revision.
    let (_origin, url) = origin_repo(&[("a.yaml", LOG_GROUP)], "first");
    let out = repo.run_raw(&["run", "--once", "--log-format", "json", "--source", &url]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let events = json_lines(&out.stderr);
    let converged = events
        .iter()
        .find(|e| e["message"] == "converged")
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert_eq!(converged["span"]["name"], "reconcile");
    assert_eq!(converged["span"]["target"], "default");
    assert_eq!(converged["changes"], 1);
    let revision = converged["span"]["revision"].as_str().unwrap();
    assert_eq!(revision.len(), 12, "{converged}");
    assert!(
        out.stdout
            .starts_with(&format!("default: converged at {revision}")),
        "{}",
        out.stdout
    );
    let new = events
        .iter()
        .find(|e| e["message"] == "new revision")
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert_eq!(new["subject"], "first");
    assert!(new["author"].as_str().unwrap().contains('@'), "{new}");
}

#[test]
fn run_once_on_an_invalid_commit_names_its_revision() {
    let repo = Repo::new(&[]);
    let invalid = LOG_GROUP.replace("retentionInDays: 14", "retentionInDays: 4");
    let (origin, url) = origin_repo(&[("a.yaml", &invalid)], "keep 4 days");
    let sha = head(origin.path());
    let out = repo.run_raw(&["run", "--once", "--source", &url]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with(&format!("default: invalid at {} (", &sha[..12])),
        "{}",
        out.stdout
    );
}

#[test]
fn the_controller_corrects_drift_each_resync_and_resumes_from_its_state_after_kill_9() {
    let repo = Repo::new(&[]);
    let (_origin, url) = origin_repo(&[("a.yaml", LOG_GROUP)], "first");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    let retention = || {
        rt.block_on(
            logs.describe_log_groups()
                .log_group_name_prefix("/cli/app")
                .send(),
        )
        .ok()
        .and_then(|r| r.log_groups().first().and_then(|g| g.retention_in_days()))
    };
    let change_by_hand = || retention_60_by_hand(&rt, &logs);
    let history = || -> Vec<Value> {
        history_json(repo.state.path())["reconciles"]
            .as_array()
            .unwrap()
            .clone()
    };

    let (mut child, _addr) = start_controller(&repo, &url, "2s");
    wait_until("the first apply", &|| retention() == Some(14));
    // Changed by hand while the controller runs: put back within a resync.
    change_by_hand();
    wait_until("the drift to be corrected", &|| retention() == Some(14));
    wait_until("the correction to be recorded", &|| {
        history().iter().any(|r| r["driftCorrected"] == 1)
    });
    let before = history().len();

    // kill -9: no chance to flush anything. Then a change by hand while it is down.
    child.kill().unwrap();
    child.wait().unwrap();
    change_by_hand();
    let (mut child, addr) = start_controller(&repo, &url, "1h");
    wait_until("the drift made while down to be corrected", &|| {
        retention() == Some(14)
    });
    wait_until("the restart's reconcile to be recorded", &|| {
        history().len() > before
    });
    let reconciles = history();
    // The history survived, and the last-applied values too: the change made while
    // the controller was down is known as drift, not as a plain update.
    let newest = &reconciles[0];
    assert_eq!(newest["result"], "applied", "{newest}");
    assert_eq!(newest["driftFound"], 1, "{newest}");
    assert_eq!(newest["driftCorrected"], 1, "{newest}");
    assert_eq!(newest["changes"][0]["drift"], true, "{newest}");
    // Each reconcile names the commit it enforced.
    assert_eq!(newest["commit"]["message"], "first", "{newest}");
    assert!(newest["commit"]["author"].as_str().unwrap().contains('@'));
    let (_, status) = http(&addr, "GET", "/status", &[], b"");
    assert!(status.contains("\"lastResult\":\"converged\""), "{status}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_controller_serves_status_metrics_and_applies_a_signed_push_at_once() {
    let repo = Repo::new(&[]);
    let (origin, url) = origin_repo(&[("a.yaml", LOG_GROUP)], "first");
    let (mut child, addr) = start_controller(&repo, &url, "1h");
    wait_until("readiness", &|| {
        http(&addr, "GET", "/readyz", &[], b"").0 == 200
    });
    wait_until("the first reconcile", &|| {
        let (_, body) = http(&addr, "GET", "/status", &[], b"");
        body.contains("\"lastResult\":\"converged\"")
    });
    let (code, body) = http(&addr, "GET", "/status", &[], b"");
    assert_eq!(code, 200);
    let status: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        status["targets"]["default"]["conditions"][0]["type"],
        "Ready"
    );
    assert_eq!(
        status["targets"]["default"]["conditions"][0]["status"],
        true
    );
    assert_eq!(status["source"]["consecutiveFailures"], 0, "{status}");
    assert!(
        status["targets"]["default"]["lastReconcileAt"]
            .as_str()
            .is_some_and(|t| t.len() == 20 && t.ends_with('Z')),
        "{status}"
    );
    assert_eq!(
        status["source"]["lastFetchedRevision"],
        status["targets"]["default"]["lastAppliedRevision"]
    );
    assert_eq!(http(&addr, "GET", "/healthz", &[], b"").0, 200);
    let (code, metrics) = http(&addr, "GET", "/metrics", &[], b"");
    assert_eq!(code, 200);
    assert!(
        metrics.contains("driftless_reconciles_total{target=\"default\",result=\"converged\"} 1"),
        "{metrics}"
    );
    // Every AWS call is counted by service, operation and outcome.
    assert!(
        metrics.contains(
            "driftless_aws_calls_total{service=\"CloudWatch Logs\",operation=\"CreateLogGroup\",outcome=\"ok\"} 1"
        ),
        "{metrics}"
    );

    // A new commit, announced by a signed push: applied without waiting for the poll.
    std::fs::write(
        origin.path().join("a.yaml"),
        LOG_GROUP.replace("retentionInDays: 14", "retentionInDays: 30"),
    )
    .unwrap();
    git(origin.path(), &["commit", "-q", "-am", "longer"]);
    let before = repo.calls();
    let push = br#"{"ref": "refs/heads/main"}"#;
    assert_eq!(
        http(
            &addr,
            "POST",
            "/hooks/git",
            &[("X-Hub-Signature-256", "sha256=00")],
            push
        )
        .0,
        401
    );
    let wrong = driftless::controller::webhook::sign(b"wrong", push);
    assert_eq!(
        http(
            &addr,
            "POST",
            "/hooks/git",
            &[("X-Hub-Signature-256", &wrong)],
            push
        )
        .0,
        401
    );
    let big = vec![b'x'; 2 * 1024 * 1024];
    let big_sig = driftless::controller::webhook::sign(b"s3cret", &big);
    let (code, _) = http(
        &addr,
        "POST",
        "/hooks/git",
        &[("X-Hub-Signature-256", &big_sig)],
        &big,
    );
    assert_eq!(code, 413, "oversized bodies are refused");
    assert_eq!(post_signed(&addr, "/hooks/git", push), 202);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    wait_until("the pushed commit to be applied", &|| {
        rt.block_on(
            logs.describe_log_groups()
                .log_group_name_prefix("/cli/app")
                .send(),
        )
        .map(|r| r.log_groups().first().and_then(|g| g.retention_in_days()) == Some(30))
        .unwrap_or(false)
    });
    // Only the changed field was written.
    wait_until("the reconcile to end", &|| {
        let (_, body) = http(&addr, "GET", "/status", &[], b"");
        body.contains("\"lastResult\":\"converged\"") && body.contains("1 change made")
    });
    assert_eq!(
        writes(&before, &repo.calls()),
        BTreeMap::from([("logs:PutRetentionPolicy".to_string(), 1)])
    );

    // The remote goes away: the source reports it, the target keeps its last good
    // revision and result.
    let moved = origin.path().with_extension("moved");
    std::fs::rename(origin.path(), &moved).unwrap();
    assert_eq!(post_signed(&addr, "/hooks/git", push), 202);
    wait_until("the failed fetch to be reported", &|| {
        let status = status_of(&addr);
        status["source"]["consecutiveFailures"] == 1
    });
    let status = status_of(&addr);
    assert!(
        status["source"]["lastError"]
            .as_str()
            .unwrap()
            .contains("cannot reach the git remote"),
        "{status}"
    );
    assert_eq!(status["targets"]["default"]["lastResult"], "converged");
    std::fs::rename(&moved, origin.path()).unwrap();

    // SIGTERM: the controller stops cleanly.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut exited = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            exited = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let status = exited.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the controller did not stop on SIGTERM")
    });
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn the_controller_assumes_a_targets_role_once_not_every_reconcile() {
    let repo = Repo::new(&[]);
    let other = TestAccount::new();
    crate::fixtures::trusted_role(
        &other.account_id,
        "driftless",
        &repo.account.account_id,
        None,
    );
    let config = format!(
        "targets:\n  - {{name: other, region: {}, roleArn: \"arn:aws:iam::{}:role/driftless\"}}\n",
        other.region, other.account_id
    );
    let (_origin, url) = origin_repo(
        &[("driftless.yaml", &config), ("a.yaml", LOG_GROUP)],
        "first",
    );
    let (mut child, addr) = start_controller(&repo, &url, "1s");
    wait_until("three reconciles", &|| {
        let (_, metrics) = http(&addr, "GET", "/metrics", &[], b"");
        metrics
            .lines()
            .find_map(|l| {
                l.strip_prefix("driftless_reconciles_total{target=\"other\",result=\"converged\"} ")
            })
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n >= 3)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    // The writes went to the role's account; the role was assumed once.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let groups = rt
        .block_on(
            aws_sdk_cloudwatchlogs::Client::new(&other.sdk_config())
                .describe_log_groups()
                .log_group_name_prefix("/cli/app")
                .send(),
        )
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1);
    let mine = repo.calls();
    assert_eq!(mine.calls["sts"]["AssumeRole"], 1, "{:?}", mine.calls);
}

#[test]
fn a_suspended_controller_reports_and_writes_nothing_until_resumed() {
    let repo = Repo::new(&[]);
    let (origin, url) = origin_repo(
        &[("driftless.yaml", "suspend: true\n"), ("a.yaml", LOG_GROUP)],
        "first, suspended",
    );
    let before = repo.calls();
    let token = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token.path(), "adm1n-t0ken\n").unwrap();
    let token_path = token.path().to_string_lossy().into_owned();
    let (mut child, addr) =
        start_controller_with(&repo, &url, "1h", &["--admin-token-file", &token_path]);
    let bearer = [("Authorization", "Bearer adm1n-t0ken")];
    wait_until("the suspended reconcile", &|| {
        let (_, body) = http(&addr, "GET", "/status", &[], b"");
        body.contains("\"lastResult\":\"suspended\"")
    });
    let status = status_of(&addr);
    let target = &status["targets"]["default"];
    assert_eq!(target["lastAppliedRevision"], Value::Null, "{status}");
    let ready = &target["conditions"][0];
    assert_eq!(
        (&ready["type"], &ready["status"]),
        (&"Ready".into(), &false.into())
    );
    assert_eq!(ready["reason"], "Suspended");
    assert!(
        ready["message"].as_str().unwrap().contains("1 change"),
        "{ready}"
    );
    assert_eq!(writes(&before, &repo.calls()), BTreeMap::new());

    // Lifting the suspension in git: the next commit is applied.
    std::fs::write(origin.path().join("driftless.yaml"), "suspend: false\n").unwrap();
    git(origin.path(), &["commit", "-q", "-am", "resume"]);
    let second = head(origin.path());
    let second = second.as_str();
    let push = br#"{"ref": "refs/heads/main"}"#;
    // A push delivery, correctly signed with the webhook secret, is no credential
    // for the control endpoints.
    assert_eq!(post_signed(&addr, "/suspend", push), 401);
    // Suspended by the API meanwhile: still nothing written.
    assert_eq!(http(&addr, "POST", "/suspend", &bearer, b"").0, 200);
    assert_eq!(post_signed(&addr, "/hooks/git", push), 202);
    wait_until("the second revision to be planned", &|| {
        let status = status_of(&addr);
        let target = &status["targets"]["default"];
        status["suspended"] == true
            && target["lastAttemptedRevision"] == second
            && target["lastResult"] == "suspended"
    });
    assert_eq!(writes(&before, &repo.calls()), BTreeMap::new());
    // A resume without the token, or with another one, is refused; with it, the
    // held-back change is written at once.
    assert_eq!(http(&addr, "POST", "/resume", &[], push).0, 401);
    let wrong = [("Authorization", "Bearer adm1n-t0keN")];
    assert_eq!(http(&addr, "POST", "/resume", &wrong, b"").0, 401);
    assert_eq!(http(&addr, "POST", "/resume", &bearer, b"").0, 200);
    wait_until("the resumed reconcile", &|| {
        let (_, body) = http(&addr, "GET", "/status", &[], b"");
        body.contains("\"lastResult\":\"converged\"")
    });
    assert_eq!(
        writes(&before, &repo.calls()),
        BTreeMap::from([
            ("logs:CreateLogGroup".to_string(), 1),
            ("logs:PutRetentionPolicy".to_string(), 1)
        ])
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn without_an_admin_token_suspend_and_resume_are_disabled() {
    let repo = Repo::new(&[]);
    let (_origin, url) = origin_repo(&[("a.yaml", LOG_GROUP)], "first");
    let (mut child, addr) = start_controller(&repo, &url, "1h");
    let push = br#"{"ref": "refs/heads/main"}"#;
    for path in ["/suspend", "/resume"] {
        let (code, body) = http(&addr, "POST", path, &[("Authorization", "Bearer x")], b"");
        assert_eq!(code, 403, "{path}: {body}");
        assert!(body.contains("DRIFTLESS_ADMIN_TOKEN"), "{body}");
        assert_eq!(post_signed(&addr, path, push), 403, "{path}");
    }
    assert_eq!(status_of(&addr)["suspended"], false);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn durations_past_thirty_days_are_refused_without_overflow() {
    let repo = Repo::new(&[("a.yaml", LOG_GROUP)]);
    for (flag, value) in [
        ("--interval", "31d"),
        ("--resync", "99999999999999999d"),
        ("--resync", "18446744073709551615m"),
        ("--interval", "2592001"),
    ] {
        let run = repo.run(&["run", "--once", flag, value]);
        assert_eq!(run.code, 2, "{flag} {value}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("is longer than 30 days")
                || run.stderr.contains("is not a duration"),
            "{flag} {value}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    // 30 days itself is accepted.
    let run = repo.run(&["run", "--once", "--resync", "30d"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn skipping_the_ssh_host_key_check_is_warned_about_at_every_start() {
    let repo = Repo::new(&[("a.yaml", LOG_GROUP)]);
    let source = repo.dir.path().to_string_lossy().into_owned();
    let out = driftless(&repo.account, repo.state.path())
        .args(["run", "--once", "--source", &source, "--state-dir"])
        .arg(repo.state.path())
        .env("DRIFTLESS_GIT_INSECURE_SKIP_HOST_KEY_CHECK", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "DRIFTLESS_GIT_INSECURE_SKIP_HOST_KEY_CHECK is set: any ssh host key is accepted"
        ),
        "{stderr}"
    );
}

#[test]
fn a_drift_names_who_changed_it_from_cloudtrail_or_unknown() {
    let repo = Repo::new(&[("a.yaml", LOG_GROUP)]);
    repo.apply(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    // An operator's change, through a client that says who it is in its user agent.
    let config = aws_sdk_cloudwatchlogs::config::Builder::from(&repo.sdk())
        .app_name(aws_config::AppName::new("console-click").unwrap())
        .build();
    let logs = aws_sdk_cloudwatchlogs::Client::from_conf(config);
    retention_60_by_hand(&rt, &logs);

    let before = repo.calls();
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let v = plan.json();
    let by = &v["changes"][0]["changedBy"];
    let account = &repo.account.account_id;
    assert_eq!(by["principal"], format!("arn:aws:iam::{account}:root"));
    assert_eq!(by["eventName"], "PutRetentionPolicy");
    assert_eq!(by["sourceIp"], "127.0.0.1");
    assert!(
        by["userAgent"]
            .as_str()
            .unwrap()
            .contains("app/console-click"),
        "{by}"
    );
    let time = by["eventTime"].as_str().unwrap();
    assert!(time.ends_with('Z') && time.len() == 20, "{time}");
    assert_eq!(
        repo.calls().get("cloudtrail", "LookupEvents") - before.get("cloudtrail", "LookupEvents"),
        1
    );
    let text = repo.run(&["plan"]);
    assert!(
        text.stdout.contains(&format!(
            "~ LogGroup /cli/app (drift: changed outside git by arn:aws:iam::{account}:root, PutRetentionPolicy at {time})"
        )),
        "{}",
        text.stdout
    );

    // CloudTrail failing (after the SDK's retries) leaves the drift unattributed, not
    // the plan failed. Fault rules are the whole emulator's: one test at a time.
    let _serial = crate::smoke::GLOBAL_STATE.blocking_lock();
    let _faults = Emulator::shared().scoped_faults(&serde_json::json!({
        "seed": 1,
        "rules": [{"service": "cloudtrail", "operation": "LookupEvents", "kind": "error500",
                   "account": account}]
    }));
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let v = plan.json();
    assert_eq!(v["changes"][0]["changedBy"]["principal"], "unknown");
    // Changes from git are never attributed.
    repo.apply(&[]);
    repo.write(
        "a.yaml",
        &LOG_GROUP.replace("retentionInDays: 14", "retentionInDays: 30"),
    );
    let plan = repo.plan().json();
    assert_eq!(plan["changes"][0]["drift"], false);
    assert!(plan["changes"][0].get("changedBy").is_none(), "{plan}");
}

#[test]
fn the_controller_audits_the_guardrails_each_reconcile_into_status_and_metrics() {
    let repo = Repo::new(&[]);
    let config = "guardrails:\n  - rule: cw-loggroup-retention-period-check\n    parameters: {minRetentionTime: 14}\n  - rule: cloudwatch-log-group-encrypted\n    enforcement: warn\n";
    let (_origin, url) = origin_repo(
        &[("a.yaml", LOG_GROUP), ("driftless.yaml", config)],
        "first",
    );
    // A group driftless does not manage, keeping events 3 days.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    rt.block_on(create_log_group_keeping(&logs, "/legacy/short", 3));
    let (mut child, addr) = start_controller(&repo, &url, "1h");
    wait_until("the first audit", &|| {
        let (_, body) = http(&addr, "GET", "/status", &[], b"");
        body.contains("guardrailNonCompliant")
    });
    let (_, body) = http(&addr, "GET", "/status", &[], b"");
    let status: Value = serde_json::from_str(&body).unwrap();
    // The managed group complies with the retention rule; neither group is encrypted.
    assert_eq!(
        status["targets"]["default"]["guardrailNonCompliant"],
        serde_json::json!({"cw-loggroup-retention-period-check": 1, "cloudwatch-log-group-encrypted": 2}),
        "{body}"
    );
    // Each of them, by rule, kind and name: owned or not, the owned one's spec file.
    let findings = status["targets"]["default"]["guardrailFindings"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let seen: Vec<(&str, &str, bool)> = findings
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default();
            (text("rule"), text("name"), f["owned"] == true)
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("cw-loggroup-retention-period-check", "/legacy/short", false),
            ("cloudwatch-log-group-encrypted", "/cli/app", true),
            ("cloudwatch-log-group-encrypted", "/legacy/short", false),
        ],
        "{body}"
    );
    assert!(findings[1]["spec"].as_str().unwrap().starts_with("a.yaml:"));
    assert!(status["targets"]["default"]
        .get("guardrailFindingsOmitted")
        .is_none());
    let (_, metrics) = http(&addr, "GET", "/metrics", &[], b"");
    assert!(
        metrics.contains("driftless_guardrail_noncompliant{target=\"default\",rule=\"cw-loggroup-retention-period-check\"} 1"),
        "{metrics}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A new baseline whose spec names a patch group registered to a baseline driftless
/// does not manage: the plan reports that group as a conflict, and apply creates the
/// baseline and its other groups but leaves that registration where it is.
#[test]
fn creating_a_baseline_never_takes_a_patch_group_from_an_unowned_one() {
    let repo = Repo::new(&[(
        "baseline.yaml",
        "apiVersion: driftless.dev/v1\nkind: PatchBaseline\nmetadata: {name: al2023-new}\n\
         spec:\n  operatingSystem: AMAZON_LINUX_2023\n  patchGroups: [taken, free]\n",
    )]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ssm = aws_sdk_ssm::Client::new(&repo.sdk());
    let theirs = rt.block_on(async {
        let b = ssm
            .create_patch_baseline()
            .name("someone-elses")
            .operating_system(aws_sdk_ssm::types::OperatingSystem::AmazonLinux2023)
            .send()
            .await
            .unwrap();
        let id = b.baseline_id().unwrap().to_string();
        ssm.register_patch_baseline_for_patch_group()
            .baseline_id(&id)
            .patch_group("taken")
            .send()
            .await
            .unwrap();
        id
    });
    let plan = repo.plan().json();
    let conflicts: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "conflict")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(conflicts, ["al2023-new/patchGroups/taken"], "{plan}");
    let apply = repo.run(&["apply", "--auto-approve"]);
    assert_eq!(
        apply.code, 1,
        "a conflict makes apply exit 1: {}",
        apply.stdout
    );
    let registered = |group: &str| {
        rt.block_on(
            ssm.get_patch_baseline_for_patch_group()
                .patch_group(group)
                .operating_system(aws_sdk_ssm::types::OperatingSystem::AmazonLinux2023)
                .send(),
        )
        .unwrap()
        .baseline_id()
        .unwrap()
        .to_string()
    };
    assert_eq!(
        registered("taken"),
        theirs,
        "the unowned registration is untouched"
    );
    assert_ne!(registered("free"), theirs);
    assert!(
        registered("free").starts_with("pb-"),
        "{}",
        registered("free")
    );
}
