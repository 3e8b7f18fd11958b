//! `driftless import` end to end: resources made through the SDK without driftless
//! (an existing estate), imported with `--adopt`, validated, planned (only the
//! ownership tag is added), applied, planned again (no change), and every live
//! setting compared with what it was before. Each test in its own account.

use std::path::Path;

use crate::fixtures::create_log_group_keeping;
use crate::support::{Repo, Run};

/// `import --adopt --out <tmp>/imported` over `repo` (plus `extra`); the folder.
pub(crate) fn import(repo: &Repo, out: &Path, extra: &[&str]) -> Run {
    let out = out.to_string_lossy().into_owned();
    let mut args = vec!["import", "--adopt", "--out", &out];
    args.extend_from_slice(extra);
    repo.run(&args)
}

/// Plans or applies the folder `dir` with the repository's state dir.
pub(crate) fn on(repo: &Repo, dir: &Path, args: &[&str]) -> Run {
    let dir = dir.to_string_lossy().into_owned();
    let mut all = args.to_vec();
    all.extend(["--source", &dir]);
    repo.run_raw(&all)
}

/// The round trip: validate passes, the plan only adopts (the ownership tag, no other
/// field), apply, and the next plan has no change. Returns the names adopted.
pub(crate) fn round_trip(repo: &Repo, dir: &Path) -> Vec<String> {
    let validate = repo.run_bare(&["validate", &dir.to_string_lossy()]);
    assert_eq!(validate.code, 0, "{}\n{}", validate.stdout, validate.stderr);
    let plan = on(
        repo,
        dir,
        &["plan", "--detailed-exitcode", "--output", "json"],
    );
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    let tag = "tags[\"driftless.dev/managed-by\"]";
    let mut names = Vec::new();
    for c in plan.json()["changes"].as_array().unwrap() {
        let fields: Vec<&str> = c["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            (c["action"].as_str(), c["adopt"].as_bool(), fields),
            (Some("update"), Some(true), vec![tag]),
            "only the ownership tag changes: {c}"
        );
        names.push(c["name"].as_str().unwrap().to_string());
    }
    let apply = on(repo, dir, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let again = on(
        repo,
        dir,
        &["plan", "--detailed-exitcode", "--output", "json"],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    names
}

pub(crate) fn text(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| {
        panic!(
            "{file}: {e}; {:?}",
            std::fs::read_dir(dir).unwrap().collect::<Vec<_>>()
        )
    })
}

/// Every setting of the account's alarms, without their state (which the emulator
/// moves on its own) and the tags (the ownership tag is added).
pub(crate) fn alarm_settings(repo: &Repo) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
        let out = cw.describe_alarms().send().await.unwrap();
        let mut alarms = out.metric_alarms().to_vec();
        for a in &mut alarms {
            a.state_value = None;
            a.state_reason = None;
            a.state_reason_data = None;
            a.state_updated_timestamp = None;
            a.state_transitioned_timestamp = None;
            a.alarm_configuration_updated_timestamp = None;
        }
        format!("{alarms:#?}")
    })
}

pub(crate) fn seed_alarms(repo: &Repo) {
    use aws_sdk_cloudwatch::types::{
        ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, Statistic,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
        cw.put_metric_alarm()
            .alarm_name("legacy-cpu")
            .alarm_description("CPU of the web fleet")
            .namespace("AWS/EC2")
            .metric_name("CPUUtilization")
            .dimensions(
                Dimension::builder()
                    .name("AutoScalingGroupName")
                    .value("web")
                    .build(),
            )
            .statistic(Statistic::Average)
            .period(300)
            .evaluation_periods(3)
            .datapoints_to_alarm(2)
            .threshold(80.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .treat_missing_data("breaching")
            .alarm_actions(format!(
                "arn:aws:sns:{}:{}:ops",
                repo.account.region, repo.account.account_id
            ))
            .tags(
                aws_sdk_cloudwatch::types::Tag::builder()
                    .key("team")
                    .value("web")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let stat = |id: &str, metric: &str| {
            MetricDataQuery::builder()
                .id(id)
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/ApplicationELB")
                                .metric_name(metric)
                                .build(),
                        )
                        .period(60)
                        .stat("Sum")
                        .build(),
                )
                .return_data(false)
                .build()
        };
        cw.put_metric_alarm()
            .alarm_name("legacy-error-rate")
            .metrics(stat("errors", "HTTPCode_Target_5XX_Count"))
            .metrics(stat("requests", "RequestCount"))
            .metrics(
                MetricDataQuery::builder()
                    .id("rate")
                    .expression("100 * errors / requests")
                    .label("error rate")
                    .build(),
            )
            .evaluation_periods(5)
            .threshold(1.5)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .send()
            .await
            .unwrap();
    });
}

#[test]
fn imported_alarms_round_trip_metric_math_included() {
    let repo = Repo::new(&[]);
    seed_alarms(&repo);
    let before = alarm_settings(&repo);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "MetricAlarm"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let alarms = text(&dir, "alarms.yaml");
    assert!(
        alarms.contains("  name: legacy-cpu\n  adopt: true\n"),
        "{alarms}"
    );
    // AWS defaults are left out: datapointsToAlarm only where it differs from
    // evaluationPeriods, no actionsEnabled, returnData only where false.
    assert!(alarms.contains("datapointsToAlarm: 2"), "{alarms}");
    assert_eq!(alarms.matches("datapointsToAlarm").count(), 1, "{alarms}");
    assert!(!alarms.contains("actionsEnabled"), "{alarms}");
    assert_eq!(alarms.matches("returnData: false").count(), 2, "{alarms}");
    assert!(!alarms.contains("returnData: true"), "{alarms}");
    assert!(!alarms.contains("managed-by"), "{alarms}");
    assert_eq!(
        round_trip(&repo, &dir),
        ["legacy-cpu", "legacy-error-rate"],
        "{alarms}"
    );
    assert_eq!(alarm_settings(&repo), before);
}

/// Every setting of the account's log groups and their tags (the ownership tag
/// removed).
pub(crate) fn log_group_settings(repo: &Repo) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
        let groups = logs.describe_log_groups().send().await.unwrap();
        let mut out = String::new();
        for g in groups.log_groups() {
            let arn = g.arn().unwrap().trim_end_matches(":*");
            let mut tags = logs
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .unwrap()
                .tags()
                .cloned()
                .unwrap_or_default();
            tags.remove("driftless.dev/managed-by");
            let tags: std::collections::BTreeMap<_, _> = tags.into_iter().collect();
            out.push_str(&format!("{g:#?} {tags:?}\n"));
        }
        out
    })
}

#[test]
fn imported_log_groups_round_trip_and_aws_ones_are_left_out_unless_asked() {
    let repo = Repo::new(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
        for (name, days) in [
            ("/legacy/app", Some(90)),
            ("/legacy/audit", None),
            ("/aws/lambda/fn", Some(7)),
        ] {
            logs.create_log_group()
                .log_group_name(name)
                .tags("team", "ops")
                .send()
                .await
                .unwrap();
            if let Some(days) = days {
                logs.put_retention_policy()
                    .log_group_name(name)
                    .retention_in_days(days)
                    .send()
                    .await
                    .unwrap();
            }
        }
    });
    let before = log_group_settings(&repo);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "LogGroup,LogRetentionPolicy"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("LogGroup /aws/lambda/fn: left out: created by an AWS service"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("LogRetentionPolicy is not importable"),
        "{}",
        run.stderr
    );
    let groups = text(&dir, "log-groups.yaml");
    assert_eq!(
        groups,
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata:\n  name: /legacy/app\n  adopt: true\nspec:\n  retentionInDays: 90\n  tags:\n    team: ops\n---\napiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata:\n  name: /legacy/audit\n  adopt: true\nspec:\n  tags:\n    team: ops\n"
    );
    assert_eq!(round_trip(&repo, &dir), ["/legacy/app", "/legacy/audit"]);
    assert_eq!(log_group_settings(&repo), before);

    // Asked for by prefix, the service's group is imported too; owned ones are skipped.
    let again = out.path().join("again");
    let run = import(
        &repo,
        &again,
        &["--kinds", "LogGroup", "--name-prefix", "/aws/"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(text(&again, "log-groups.yaml").contains("name: /aws/lambda/fn"));
    let all = out.path().join("all");
    let run = import(&repo, &all, &["--kinds", "LogGroup"]);
    assert!(
        run.stderr
            .contains("LogGroup /legacy/app: skipped: driftless already manages it"),
        "{}",
        run.stderr
    );
    assert!(!all.join("log-groups.yaml").exists());
}

#[test]
fn a_non_empty_out_folder_is_refused_without_force() {
    let repo = Repo::new(&[]);
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("keep.yaml"), "x: 1\n").unwrap();
    let run = import(&repo, out.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("is not empty; refusing to overwrite it"),
        "{}",
        run.stderr
    );
    let forced = import(&repo, out.path(), &["--force"]);
    assert_eq!(forced.code, 0, "{}\n{}", forced.stdout, forced.stderr);
    assert!(
        forced.stdout.contains("Imported 0 documents"),
        "{}",
        forced.stdout
    );
}

/// A vault with tags; a plan with a scheduled rule into it and a tag selection.
pub(crate) fn seed_backup(repo: &Repo) {
    use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, BackupSelection, Lifecycle};
    let account = repo.account.account_id.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let backup = aws_sdk_backup::Client::new(&repo.sdk());
        backup
            .create_backup_vault()
            .backup_vault_name("legacy-vault")
            .backup_vault_tags("team", "ops")
            .send()
            .await
            .unwrap();
        let plan = backup
            .create_backup_plan()
            .backup_plan(
                BackupPlanInput::builder()
                    .backup_plan_name("legacy-plan")
                    .rules(
                        BackupRuleInput::builder()
                            .rule_name("daily")
                            .target_backup_vault_name("legacy-vault")
                            .schedule_expression("cron(0 5 ? * * *)")
                            .start_window_minutes(60)
                            .lifecycle(Lifecycle::builder().delete_after_days(35).build())
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .backup_plan_tags("team", "ops")
            .send()
            .await
            .unwrap();
        crate::fixtures::create_daily_selection(&backup, plan.backup_plan_id().unwrap(), &account)
            .await;
        // A StringLike condition (`conditions.stringLike`).
        let like = aws_sdk_backup::types::ConditionParameter::builder()
            .condition_key("aws:ResourceTag/Env")
            .condition_value("prod*")
            .build();
        backup
            .create_backup_selection()
            .backup_plan_id(plan.backup_plan_id().unwrap())
            .backup_selection(
                BackupSelection::builder()
                    .selection_name("prod")
                    .iam_role_arn(format!("arn:aws:iam::{account}:role/backup"))
                    .resources("arn:aws:ec2:*:*:volume/*")
                    .conditions(
                        aws_sdk_backup::types::Conditions::builder()
                            .string_like(like)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
}

/// Every setting of the account's vaults and plans (rules, selections).
pub(crate) fn backup_settings(repo: &Repo) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let backup = aws_sdk_backup::Client::new(&repo.sdk());
        let vaults = backup.list_backup_vaults().send().await.unwrap();
        let mut out = format!("{:#?}\n", vaults.backup_vault_list());
        let plans = backup.list_backup_plans().send().await.unwrap();
        for p in plans.backup_plans_list() {
            let id = p.backup_plan_id().unwrap();
            let plan = backup
                .get_backup_plan()
                .backup_plan_id(id)
                .send()
                .await
                .unwrap();
            out.push_str(&format!("{:#?}\n", plan.backup_plan()));
            let selections = backup
                .list_backup_selections()
                .backup_plan_id(id)
                .send()
                .await
                .unwrap();
            for s in selections.backup_selections_list() {
                let one = backup
                    .get_backup_selection()
                    .backup_plan_id(id)
                    .selection_id(s.selection_id().unwrap())
                    .send()
                    .await
                    .unwrap();
                out.push_str(&format!("{:#?}\n", one.backup_selection()));
            }
        }
        out
    })
}

#[test]
fn imported_vaults_and_plans_round_trip_with_their_selections() {
    let repo = Repo::new(&[]);
    seed_backup(&repo);
    let before = backup_settings(&repo);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "BackupVault,BackupPlan"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let vaults = text(&dir, "backup-vaults.yaml");
    assert!(vaults.contains("name: legacy-vault"), "{vaults}");
    assert!(!vaults.contains("encryptionKeyArn"), "{vaults}");
    // A vault's key is never written; when AWS reports one, a note says so.
    let keyed = before.contains("encryption_key_arn: Some");
    assert_eq!(
        run.stderr
            .contains("BackupVault legacy-vault: encryptionKeyArn"),
        keyed,
        "{}",
        run.stderr
    );
    let plans = text(&dir, "backup-plans.yaml");
    for wanted in [
        "targetVault: legacy-vault",
        "schedule: cron(0 5 ? * * *)",
        "startWindowMinutes: 60",
        "deleteAfterDays: 35",
        "name: tagged",
    ] {
        assert!(plans.contains(wanted), "{wanted}: {plans}");
    }
    assert!(!plans.contains("completionWindowMinutes"), "{plans}");
    assert!(plans.contains("stringLike:"), "{plans}");
    assert!(plans.contains("Env: prod*"), "{plans}");
    assert!(
        !run.stderr.contains("conditions.StringLike"),
        "{}",
        run.stderr
    );
    assert_eq!(
        round_trip(&repo, &dir),
        ["legacy-vault", "legacy-plan"],
        "{vaults}{plans}"
    );
    assert_eq!(backup_settings(&repo), before);
}

/// A baseline with approval rules and a patch group.
pub(crate) fn seed_baseline(repo: &Repo) {
    use aws_sdk_ssm::types::{
        OperatingSystem, PatchComplianceLevel, PatchFilter, PatchFilterGroup, PatchFilterKey,
        PatchRule, PatchRuleGroup,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ssm = aws_sdk_ssm::Client::new(&repo.sdk());
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
                    .patch_filters(filter(PatchFilterKey::Classification, &["Security"]))
                    .patch_filters(filter(PatchFilterKey::Severity, &["Critical", "Important"]))
                    .build()
                    .unwrap(),
            )
            .approve_after_days(7)
            .compliance_level(PatchComplianceLevel::High)
            .build();
        let baseline = ssm
            .create_patch_baseline()
            .name("legacy-al2023")
            .description("web fleet")
            .operating_system(OperatingSystem::AmazonLinux2023)
            .approval_rules(PatchRuleGroup::builder().patch_rules(rule).build().unwrap())
            .approved_patches("kernel-6.1.0")
            .send()
            .await
            .unwrap();
        ssm.register_patch_baseline_for_patch_group()
            .baseline_id(baseline.baseline_id().unwrap())
            .patch_group("legacy-web")
            .send()
            .await
            .unwrap();
    });
}

/// Every setting of the account's own baselines and the patch-group registrations.
pub(crate) fn baseline_settings(repo: &Repo) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ssm = aws_sdk_ssm::Client::new(&repo.sdk());
        let own = ssm
            .describe_patch_baselines()
            .filters(
                aws_sdk_ssm::types::PatchOrchestratorFilter::builder()
                    .key("OWNER")
                    .values("Self")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let mut out = String::new();
        for b in own.baseline_identities() {
            let mut got = ssm
                .get_patch_baseline()
                .baseline_id(b.baseline_id().unwrap())
                .send()
                .await
                .unwrap();
            got.modified_date = None;
            let got = format!("{got:#?}");
            // Everything but the request id, which differs per call.
            let settings = got.split("    _request_id").next().unwrap_or_default();
            out.push_str(settings);
        }
        let groups = ssm.describe_patch_groups().send().await.unwrap();
        out.push_str(&format!("{:#?}", groups.mappings()));
        out
    })
}

#[test]
fn imported_baselines_round_trip_and_aws_owned_ones_are_left_out() {
    let repo = Repo::new(&[]);
    seed_baseline(&repo);
    let before = baseline_settings(&repo);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "PatchBaseline"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("AWS's predefined patch baselines (AWS-…) are not imported"),
        "{}",
        run.stderr
    );
    let baselines = text(&dir, "patch-baselines.yaml");
    assert_eq!(
        baselines.matches("kind: PatchBaseline").count(),
        1,
        "{baselines}"
    );
    for wanted in [
        "name: legacy-al2023",
        "legacy-web",
        "approveAfterDays: 7",
        "kernel-6.1.0",
    ] {
        assert!(baselines.contains(wanted), "{wanted}: {baselines}");
    }
    assert!(!baselines.contains("AWS-"), "{baselines}");
    assert_eq!(round_trip(&repo, &dir), ["legacy-al2023"], "{baselines}");
    assert_eq!(baseline_settings(&repo), before);
}

#[test]
fn a_patch_group_registered_to_an_aws_baseline_is_left_out_with_a_note() {
    let repo = Repo::new(&[]);
    seed_baseline(&repo);
    // AWS's own default baseline for Amazon Linux 2023, registered by its ARN ("To
    // register an AWS managed baseline, specify its full ARN").
    let rt = tokio::runtime::Runtime::new().unwrap();
    let aws_baseline = rt.block_on(async {
        let ssm = aws_sdk_ssm::Client::new(&repo.sdk());
        let default = ssm
            .get_default_patch_baseline()
            .operating_system(aws_sdk_ssm::types::OperatingSystem::AmazonLinux2023)
            .send()
            .await
            .unwrap();
        let arn = default.baseline_id().unwrap().to_string();
        ssm.register_patch_baseline_for_patch_group()
            .baseline_id(&arn)
            .patch_group("batch")
            .send()
            .await
            .unwrap();
        arn
    });
    assert!(aws_baseline.starts_with("arn:aws:ssm:"), "{aws_baseline}");
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "PatchBaseline"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "patch group batch (AmazonLinux2023): left out: registered to {aws_baseline}, \
             a baseline the account does not own"
        )),
        "{}",
        run.stderr
    );
    let baselines = text(&dir, "patch-baselines.yaml");
    assert!(baselines.contains("legacy-web"), "{baselines}");
    assert!(!baselines.contains("batch"), "{baselines}");
}

/// A window with a tag target and a RUN_COMMAND task with parameters.
pub(crate) fn seed_window(repo: &Repo) {
    use aws_sdk_ssm::types::{MaintenanceWindowResourceType, Target};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ssm = aws_sdk_ssm::Client::new(&repo.sdk());
        let window = ssm
            .create_maintenance_window()
            .name("legacy-patching")
            .description("Sunday patching")
            .schedule("cron(0 2 ? * SUN *)")
            .schedule_timezone("Asia/Tokyo")
            .duration(3)
            .cutoff(1)
            .allow_unassociated_targets(false)
            .tags(
                aws_sdk_ssm::types::Tag::builder()
                    .key("team")
                    .value("ops")
                    .build()
                    .unwrap(),
            )
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
                    .values("legacy-web")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        register_patch_task(&ssm, window_id, target.window_target_id().unwrap()).await;
    });
}

/// The window's RUN_COMMAND task on its target: parameters, a timeout, an alarm.
async fn register_patch_task(ssm: &aws_sdk_ssm::Client, window_id: &str, target_id: &str) {
    use aws_sdk_ssm::types::{
        MaintenanceWindowRunCommandParameters, MaintenanceWindowTaskInvocationParameters,
        MaintenanceWindowTaskType, Target,
    };
    let run_command = MaintenanceWindowRunCommandParameters::builder()
        .parameters("Operation", vec!["Install".to_string()])
        .timeout_seconds(600)
        .build();
    ssm.register_task_with_maintenance_window()
        .window_id(window_id)
        .name("patch")
        .task_type(MaintenanceWindowTaskType::RunCommand)
        .task_arn("AWS-RunPatchBaseline")
        .targets(
            Target::builder()
                .key("WindowTargetIds")
                .values(target_id)
                .build(),
        )
        .task_invocation_parameters(
            MaintenanceWindowTaskInvocationParameters::builder()
                .run_command(run_command)
                .build(),
        )
        .alarm_configuration(
            aws_sdk_ssm::types::AlarmConfiguration::builder()
                .alarms(
                    aws_sdk_ssm::types::Alarm::builder()
                        .name("patch-errors")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .priority(1)
        .max_concurrency("10%")
        .max_errors("1")
        .send()
        .await
        .unwrap();
}

/// Every setting of the account's windows, their targets and tasks (request ids
/// and modification dates left out).
pub(crate) fn window_settings(repo: &Repo) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ssm = aws_sdk_ssm::Client::new(&repo.sdk());
        let windows = ssm.describe_maintenance_windows().send().await.unwrap();
        let mut out = String::new();
        // Everything before the request id (the last field, different per call).
        let settings = |x: String| {
            x.split("    _request_id")
                .next()
                .unwrap_or_default()
                .to_string()
        };
        for w in windows.window_identities() {
            let id = w.window_id().unwrap();
            let got = ssm
                .get_maintenance_window()
                .window_id(id)
                .send()
                .await
                .unwrap();
            let mut got = got.clone();
            got.modified_date = None;
            out.push_str(&settings(format!("{got:#?}")));
            // Debug redacts sensitive members: compare them as they are.
            out.push_str(&format!("{:?}\n", got.description()));
            let targets = ssm
                .describe_maintenance_window_targets()
                .window_id(id)
                .send()
                .await
                .unwrap();
            out.push_str(&format!("{:#?}", targets.targets()));
            for t in targets.targets() {
                out.push_str(&format!(
                    "{:?} {:?}\n",
                    t.description(),
                    t.owner_information()
                ));
            }
            let tasks = ssm
                .describe_maintenance_window_tasks()
                .window_id(id)
                .send()
                .await
                .unwrap();
            for t in tasks.tasks() {
                let task = ssm
                    .get_maintenance_window_task()
                    .window_id(id)
                    .window_task_id(t.window_task_id().unwrap())
                    .send()
                    .await
                    .unwrap();
                out.push_str(&settings(format!("{task:#?}")));
                let run_command = task
                    .task_invocation_parameters()
                    .and_then(|p| p.run_command());
                out.push_str(&format!(
                    "{:?} {:?} {:?}\n",
                    task.description(),
                    run_command.map(|r| r.parameters()),
                    task.task_parameters()
                ));
            }
        }
        out
    })
}

#[test]
fn imported_windows_round_trip_with_their_targets_and_tasks() {
    let repo = Repo::new(&[]);
    seed_window(&repo);
    let before = window_settings(&repo);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "MaintenanceWindow"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let windows = text(&dir, "maintenance-windows.yaml");
    for wanted in [
        "name: legacy-patching",
        "scheduleTimezone: Asia/Tokyo",
        "name: web",
        "name: patch",
        "type: RUN_COMMAND",
        "Install",
        "timeoutSeconds: 600",
    ] {
        assert!(windows.contains(wanted), "{wanted}: {windows}");
    }
    assert!(
        run.stderr.contains(
            "MaintenanceWindow legacy-patching: task patch: alarmConfiguration not written: the format cannot represent it"
        ),
        "settings the format lacks are said: {}",
        run.stderr
    );
    assert!(!windows.contains("patch-errors"), "{windows}");
    assert_eq!(round_trip(&repo, &dir), ["legacy-patching"], "{windows}");
    assert_eq!(window_settings(&repo), before);
}

#[test]
fn several_targets_get_a_folder_each_and_metadata_targets() {
    let config =
        "targets:\n  - {name: east, region: us-east-1}\n  - {name: west, region: us-west-2}\n";
    let repo = Repo::new(&[("driftless.yaml", config)]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (region, days) in [("us-east-1", 30), ("us-west-2", 7)] {
        let sdk = repo
            .account
            .emulator()
            .sdk_config(&repo.account.account_id, region);
        rt.block_on(async {
            let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
            create_log_group_keeping(&logs, "/multi/app", days).await;
        });
    }
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "LogGroup"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(text(&dir, "driftless.yaml"), config);
    assert_eq!(
        text(&dir, "east/log-groups.yaml"),
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata:\n  name: /multi/app\n  targets: [east]\n  adopt: true\nspec:\n  retentionInDays: 30\n"
    );
    assert!(text(&dir, "west/log-groups.yaml").contains("  targets: [west]\n"));
    assert_eq!(round_trip(&repo, &dir), ["/multi/app", "/multi/app"]);
}

#[test]
fn every_kind_at_once_round_trips() {
    let repo = Repo::new(&[]);
    seed_alarms(&repo);
    seed_backup(&repo);
    seed_baseline(&repo);
    seed_window(&repo);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "alarms.yaml",
            "backup-plans.yaml",
            "backup-vaults.yaml",
            "maintenance-windows.yaml",
            "patch-baselines.yaml"
        ]
    );
    assert!(
        run.stdout
            .starts_with("Imported 6 documents from 1 target(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(round_trip(&repo, &dir).len(), 6);
}

/// Every setting of the filters on `groups`.
pub(crate) fn metric_filter_settings(repo: &Repo, groups: &[&str]) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
        let mut out = String::new();
        for g in groups {
            let page = logs
                .describe_metric_filters()
                .log_group_name(*g)
                .send()
                .await
                .unwrap();
            out.push_str(&format!("{:#?}\n", page.metric_filters()));
        }
        out
    })
}

#[test]
fn imported_metric_filters_round_trip_and_shared_names_are_left_out() {
    use aws_sdk_cloudwatchlogs::types::{MetricTransformation, StandardUnit};
    let repo = Repo::new(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
        for g in ["/imp/trail", "/imp/other"] {
            logs.create_log_group()
                .log_group_name(g)
                .send()
                .await
                .unwrap();
        }
        let t = |name: &str| {
            MetricTransformation::builder()
                .metric_name(name)
                .metric_namespace("CIS")
                .metric_value("1")
                .default_value(0.0)
                .unit(StandardUnit::Count)
                .build()
                .unwrap()
        };
        for (group, name, pattern) in [
            (
                "/imp/trail",
                "root-usage",
                "{ $.userIdentity.type = \"Root\" }",
            ),
            ("/imp/trail", "shared", "ERROR"),
            ("/imp/other", "shared", "WARN"),
        ] {
            logs.put_metric_filter()
                .log_group_name(group)
                .filter_name(name)
                .filter_pattern(pattern)
                .metric_transformations(t(name))
                .send()
                .await
                .unwrap();
        }
    });
    let before = metric_filter_settings(&repo, &["/imp/trail", "/imp/other"]);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "MetricFilter"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("MetricFilter shared: left out: 2 log groups have a filter of this name"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        text(&dir, "metric-filters.yaml"),
        r#"apiVersion: driftless.dev/v1
kind: MetricFilter
metadata:
  name: root-usage
  adopt: true
spec:
  filterPattern: "{ $.userIdentity.type = \"Root\" }"
  logGroupName: /imp/trail
  metricTransformations:
    - defaultValue: 0.0
      metricName: root-usage
      metricNamespace: CIS
      metricValue: "1"
      unit: Count
"#
    );
    let validate = repo.run_bare(&["validate", &dir.to_string_lossy()]);
    assert_eq!(validate.code, 0, "{}\n{}", validate.stdout, validate.stderr);
    // Adopting records the filter (it has no tags): one update without fields.
    let plan = on(&repo, &dir, &["plan", "--output", "json"]).json();
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{plan}");
    assert_eq!(
        (
            changes[0]["action"].as_str(),
            changes[0]["adopt"].as_bool(),
            changes[0]["fields"].as_array().map(Vec::len)
        ),
        (Some("update"), Some(true), Some(0))
    );
    let apply = on(&repo, &dir, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let again = on(
        &repo,
        &dir,
        &["plan", "--detailed-exitcode", "--output", "json"],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(
        metric_filter_settings(&repo, &["/imp/trail", "/imp/other"]),
        before
    );
}

/// A vault's lock, access policy and notifications are imported (not the lock's
/// `changeableForDays`, which AWS does not return) and round-trip: the plan over the
/// imported files only adopts.
#[test]
fn imported_vaults_keep_their_lock_policy_and_notifications() {
    let repo = Repo::new(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let backup = aws_sdk_backup::Client::new(&repo.sdk());
    let topic = format!(
        "arn:aws:sns:{}:{}:vault-events",
        repo.account.region, repo.account.account_id
    );
    rt.block_on(async {
        backup
            .create_backup_vault()
            .backup_vault_name("guarded")
            .send()
            .await
            .unwrap();
        backup
            .put_backup_vault_lock_configuration()
            .backup_vault_name("guarded")
            .min_retention_days(30)
            .max_retention_days(400)
            .send()
            .await
            .unwrap();
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
            "Principal": {"AWS": "*"}, "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}]});
        backup
            .put_backup_vault_access_policy()
            .backup_vault_name("guarded")
            .policy(policy.to_string())
            .send()
            .await
            .unwrap();
        backup
            .put_backup_vault_notifications()
            .backup_vault_name("guarded")
            .sns_topic_arn(&topic)
            .backup_vault_events(aws_sdk_backup::types::BackupVaultEvent::BackupJobFailed)
            .send()
            .await
            .unwrap();
    });
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "BackupVault"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let vaults = text(&dir, "backup-vaults.yaml");
    for wanted in [
        "minRetentionDays: 30",
        "maxRetentionDays: 400",
        "Action: backup:DeleteRecoveryPoint",
        "- BACKUP_JOB_FAILED",
        &format!("snsTopicArn: {topic}"),
    ] {
        assert!(vaults.contains(wanted), "{wanted}: {vaults}");
    }
    assert!(!vaults.contains("changeableForDays"), "{vaults}");
    assert_eq!(round_trip(&repo, &dir), ["guarded"], "{vaults}");
}
