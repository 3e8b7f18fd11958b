//! SDK smoke tests against the AWS emulator: one test per AWS service driftless
//! manages, driven by the real Rust SDK clients, so we know the emulator speaks
//! each service's wire protocol (query, JSON 1.1, REST-JSON, Smithy RPC v2 CBOR)
//! well enough for the controller's own tests, and that the harness's account
//! isolation, call counting and fault injection work.

use std::collections::HashMap;

use aws_sdk_backup::types::{
    BackupPlanInput, BackupRuleInput, BackupSelection, Condition, ConditionType, Lifecycle,
};
use aws_sdk_cloudwatch::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Metric, MetricDataQuery, MetricStat, Statistic,
};
use aws_sdk_ssm::types::{
    MaintenanceWindowResourceType, MaintenanceWindowRunCommandParameters,
    MaintenanceWindowTaskInvocationParameters, MaintenanceWindowTaskType, OperatingSystem,
    PatchFilter, PatchFilterGroup, PatchFilterKey, PatchOrchestratorFilter, PatchRule,
    PatchRuleGroup, ResourceTypeForTagging, Target,
};

use crate::emulator::{Emulator, TestAccount};
use crate::fixtures::{cw_tag, dim, put_minimal_alarm, ssm_tag};

/// The tag driftless puts on everything it manages.
const MANAGED_BY: &str = "driftless.dev/managed-by";
const MANAGED_BY_VALUE: &str = "driftless";

/// Serialises this module's tests that assert on emulator-global state (call
/// counters, fault rules), so they cannot disturb each other under
/// `cargo test`. (An async mutex: the guard is held across `.await`s.)
pub(crate) static GLOBAL_STATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The error code of an SDK error (any service), panicking with the whole
/// error if it has none.
fn error_code<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    err.code()
        .map(str::to_string)
        .unwrap_or_else(|| panic!("SDK error without an error code: {err:?}"))
}

#[tokio::test]
async fn ssm_patch_baseline_and_patch_group() {
    let account = TestAccount::new();
    let ssm = aws_sdk_ssm::Client::new(&account.sdk_config());

    let rule = PatchRule::builder()
        .patch_filter_group(
            PatchFilterGroup::builder()
                .patch_filters(
                    PatchFilter::builder()
                        .key(PatchFilterKey::Classification)
                        .values("Security")
                        .values("Bugfix")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .approve_after_days(7)
        .build();
    let created = ssm
        .create_patch_baseline()
        .name("linux-security")
        .operating_system(OperatingSystem::AmazonLinux2)
        .description("security patches after a week")
        .approval_rules(PatchRuleGroup::builder().patch_rules(rule).build().unwrap())
        .tags(ssm_tag(MANAGED_BY, MANAGED_BY_VALUE))
        .tags(ssm_tag("team", "platform"))
        .send()
        .await
        .expect("CreatePatchBaseline");
    let baseline_id = created.baseline_id().expect("baseline id").to_string();
    assert!(baseline_id.starts_with("pb-"), "baseline id {baseline_id}");

    let got = ssm
        .get_patch_baseline()
        .baseline_id(&baseline_id)
        .send()
        .await
        .expect("GetPatchBaseline");
    assert_eq!(got.baseline_id(), Some(baseline_id.as_str()));
    assert_eq!(got.name(), Some("linux-security"));
    assert_eq!(got.operating_system(), Some(&OperatingSystem::AmazonLinux2));
    assert_eq!(got.description(), Some("security patches after a week"));
    let rules = got.approval_rules().expect("approval rules").patch_rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].approve_after_days(), Some(7));
    let filters = rules[0].patch_filter_group().unwrap().patch_filters();
    assert_eq!(filters[0].key(), &PatchFilterKey::Classification);
    assert_eq!(filters[0].values(), ["Security", "Bugfix"]);

    let described = ssm
        .describe_patch_baselines()
        .filters(
            PatchOrchestratorFilter::builder()
                .key("NAME_PREFIX")
                .values("linux-")
                .build(),
        )
        .send()
        .await
        .expect("DescribePatchBaselines");
    let ours: Vec<_> = described
        .baseline_identities()
        .iter()
        .filter(|b| b.baseline_id() == Some(baseline_id.as_str()))
        .collect();
    assert_eq!(ours.len(), 1, "{described:?}");
    assert_eq!(ours[0].baseline_name(), Some("linux-security"));
    assert_eq!(
        ours[0].operating_system(),
        Some(&OperatingSystem::AmazonLinux2)
    );

    let tags = ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::PatchBaseline)
        .resource_id(&baseline_id)
        .send()
        .await
        .expect("ListTagsForResource");
    let tags: HashMap<_, _> = tags
        .tag_list()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert_eq!(tags.get(MANAGED_BY), Some(&MANAGED_BY_VALUE));
    assert_eq!(tags.get("team"), Some(&"platform"));

    let registered = ssm
        .register_patch_baseline_for_patch_group()
        .baseline_id(&baseline_id)
        .patch_group("web")
        .send()
        .await
        .expect("RegisterPatchBaselineForPatchGroup");
    assert_eq!(registered.baseline_id(), Some(baseline_id.as_str()));
    assert_eq!(registered.patch_group(), Some("web"));
    let for_group = ssm
        .get_patch_baseline_for_patch_group()
        .patch_group("web")
        .operating_system(OperatingSystem::AmazonLinux2)
        .send()
        .await
        .expect("GetPatchBaselineForPatchGroup");
    assert_eq!(for_group.baseline_id(), Some(baseline_id.as_str()));
}

#[tokio::test]
async fn ssm_maintenance_window_target_and_task() {
    let account = TestAccount::new();
    let ssm = aws_sdk_ssm::Client::new(&account.sdk_config());

    let window = ssm
        .create_maintenance_window()
        .name("sunday-patching")
        .schedule("cron(0 2 ? * SUN *)")
        .schedule_timezone("Europe/Berlin")
        .duration(3)
        .cutoff(1)
        .allow_unassociated_targets(false)
        .tags(ssm_tag(MANAGED_BY, MANAGED_BY_VALUE))
        .send()
        .await
        .expect("CreateMaintenanceWindow");
    let window_id = window.window_id().expect("window id").to_string();
    assert!(window_id.starts_with("mw-"), "window id {window_id}");

    let target = ssm
        .register_target_with_maintenance_window()
        .window_id(&window_id)
        .resource_type(MaintenanceWindowResourceType::Instance)
        .targets(
            Target::builder()
                .key("tag:Patch Group")
                .values("web")
                .build(),
        )
        .name("web-servers")
        .send()
        .await
        .expect("RegisterTargetWithMaintenanceWindow");
    let window_target_id = target.window_target_id().expect("target id").to_string();

    let task = ssm
        .register_task_with_maintenance_window()
        .window_id(&window_id)
        .task_arn("AWS-RunPatchBaseline")
        .task_type(MaintenanceWindowTaskType::RunCommand)
        .targets(
            Target::builder()
                .key("WindowTargetIds")
                .values(&window_target_id)
                .build(),
        )
        .max_concurrency("10%")
        .max_errors("1")
        .priority(1)
        .name("patch-web")
        .task_invocation_parameters(
            MaintenanceWindowTaskInvocationParameters::builder()
                .run_command(
                    MaintenanceWindowRunCommandParameters::builder()
                        .parameters("Operation", vec!["Install".to_string()])
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("RegisterTaskWithMaintenanceWindow");
    let task_id = task.window_task_id().expect("task id").to_string();

    let got = ssm
        .get_maintenance_window_task()
        .window_id(&window_id)
        .window_task_id(&task_id)
        .send()
        .await
        .expect("GetMaintenanceWindowTask");
    assert_eq!(got.window_id(), Some(window_id.as_str()));
    assert_eq!(got.window_task_id(), Some(task_id.as_str()));
    assert_eq!(got.task_arn(), Some("AWS-RunPatchBaseline"));
    assert_eq!(
        got.task_type(),
        Some(&MaintenanceWindowTaskType::RunCommand)
    );
    assert_eq!(got.max_concurrency(), Some("10%"));
    assert_eq!(got.max_errors(), Some("1"));
    assert_eq!(got.priority(), 1);
    assert_eq!(got.name(), Some("patch-web"));
    assert_eq!(got.targets().len(), 1);
    assert_eq!(got.targets()[0].key(), Some("WindowTargetIds"));
    assert_eq!(got.targets()[0].values(), [window_target_id.as_str()]);
    let run_command = got
        .task_invocation_parameters()
        .and_then(|p| p.run_command())
        .expect("run command parameters");
    assert_eq!(
        run_command.parameters().and_then(|p| p.get("Operation")),
        Some(&vec!["Install".to_string()])
    );
}

#[tokio::test]
async fn backup_vault_plan_and_selection() {
    let account = TestAccount::new();
    let backup = aws_sdk_backup::Client::new(&account.sdk_config());

    let vault = backup
        .create_backup_vault()
        .backup_vault_name("nightly")
        .backup_vault_tags(MANAGED_BY, MANAGED_BY_VALUE)
        .send()
        .await
        .expect("CreateBackupVault");
    assert_eq!(vault.backup_vault_name(), Some("nightly"));
    let vault_arn = vault.backup_vault_arn().expect("vault arn");
    assert!(
        vault_arn.contains(&account.account_id) && vault_arn.ends_with(":backup-vault:nightly"),
        "vault arn {vault_arn}"
    );

    let plan = backup
        .create_backup_plan()
        .backup_plan(plan_input("0 3"))
        .backup_plan_tags(MANAGED_BY, MANAGED_BY_VALUE)
        .send()
        .await
        .expect("CreateBackupPlan");
    let plan_id = plan.backup_plan_id().expect("plan id").to_string();
    let first_version = plan.version_id().expect("version id").to_string();

    let selection = backup
        .create_backup_selection()
        .backup_plan_id(&plan_id)
        .backup_selection(
            BackupSelection::builder()
                .selection_name("tagged-volumes")
                .iam_role_arn(format!(
                    "arn:aws:iam::{}:role/service-role/AWSBackupDefaultServiceRole",
                    account.account_id
                ))
                .list_of_tags(
                    Condition::builder()
                        .condition_type(ConditionType::Stringequals)
                        .condition_key("backup")
                        .condition_value("nightly")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateBackupSelection");
    let selection_id = selection.selection_id().expect("selection id").to_string();
    assert_eq!(selection.backup_plan_id(), Some(plan_id.as_str()));

    let listed = list_selections(&backup, &plan_id).await;
    let names: Vec<_> = listed
        .backup_selections_list()
        .iter()
        .map(|s| (s.selection_id(), s.selection_name()))
        .collect();
    assert_eq!(
        names,
        [(Some(selection_id.as_str()), Some("tagged-volumes"))]
    );

    let got = backup
        .get_backup_selection()
        .backup_plan_id(&plan_id)
        .selection_id(&selection_id)
        .send()
        .await
        .expect("GetBackupSelection");
    let got_selection = got.backup_selection().expect("selection");
    assert_eq!(got_selection.selection_name(), "tagged-volumes");
    assert!(got_selection
        .iam_role_arn()
        .ends_with(":role/service-role/AWSBackupDefaultServiceRole"));
    let conditions = got_selection.list_of_tags();
    assert_eq!(conditions.len(), 1);
    assert_eq!(conditions[0].condition_type(), &ConditionType::Stringequals);
    assert_eq!(conditions[0].condition_key(), "backup");
    assert_eq!(conditions[0].condition_value(), "nightly");

    backup
        .delete_backup_selection()
        .backup_plan_id(&plan_id)
        .selection_id(&selection_id)
        .send()
        .await
        .expect("DeleteBackupSelection");
    let listed = list_selections(&backup, &plan_id).await;
    assert!(listed.backup_selections_list().is_empty(), "{listed:?}");

    let updated = backup
        .update_backup_plan()
        .backup_plan_id(&plan_id)
        .backup_plan(plan_input("30 4"))
        .send()
        .await
        .expect("UpdateBackupPlan");
    assert_eq!(updated.backup_plan_id(), Some(plan_id.as_str()));
    let new_version = updated.version_id().expect("new version id");
    assert_ne!(new_version, first_version);

    let got = backup
        .get_backup_plan()
        .backup_plan_id(&plan_id)
        .send()
        .await
        .expect("GetBackupPlan");
    assert_eq!(got.version_id(), Some(new_version));
    let rules = got.backup_plan().expect("plan").rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].rule_name(), "nightly-snapshots");
    assert_eq!(rules[0].target_backup_vault_name(), "nightly");
    assert_eq!(rules[0].schedule_expression(), Some("cron(30 4 * * ? *)"));
    assert_eq!(
        rules[0].lifecycle().and_then(|l| l.delete_after_days()),
        Some(35)
    );
}

async fn list_selections(
    backup: &aws_sdk_backup::Client,
    plan_id: &str,
) -> aws_sdk_backup::operation::list_backup_selections::ListBackupSelectionsOutput {
    backup
        .list_backup_selections()
        .backup_plan_id(plan_id)
        .send()
        .await
        .expect("ListBackupSelections")
}

fn plan_input(minute_hour: &str) -> BackupPlanInput {
    BackupPlanInput::builder()
        .backup_plan_name("nightly-plan")
        .rules(
            BackupRuleInput::builder()
                .rule_name("nightly-snapshots")
                .target_backup_vault_name("nightly")
                .schedule_expression(format!("cron({minute_hour} * * ? *)"))
                .lifecycle(Lifecycle::builder().delete_after_days(35).build())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn cloudwatch_alarms_over_cbor() {
    let account = TestAccount::new();
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.sdk_config());

    let instance = dim("InstanceId", "i-0123456789abcdef0");
    cloudwatch
        .put_metric_alarm()
        .alarm_name("cpu-high")
        .alarm_description("CPU above 80% for 10 minutes")
        .namespace("AWS/EC2")
        .metric_name("CPUUtilization")
        .dimensions(instance.clone())
        .statistic(Statistic::Average)
        .period(300)
        .evaluation_periods(2)
        .threshold(80.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .treat_missing_data("breaching")
        .tags(cw_tag(MANAGED_BY, MANAGED_BY_VALUE))
        .send()
        .await
        .expect("PutMetricAlarm (metric)");

    let errors = web_lb_sum("errors", "HTTPCode_Target_5XX_Count");
    let requests = web_lb_sum("requests", "RequestCount");
    let ratio = MetricDataQuery::builder()
        .id("error_rate")
        .expression("100 * errors / requests")
        .label("5xx rate (%)")
        .return_data(true)
        .build();
    cloudwatch
        .put_metric_alarm()
        .alarm_name("error-rate")
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .threshold(5.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .metrics(errors)
        .metrics(requests)
        .metrics(ratio)
        .tags(cw_tag(MANAGED_BY, MANAGED_BY_VALUE))
        .send()
        .await
        .expect("PutMetricAlarm (metric math)");

    let described = describe_both_alarms(&cloudwatch).await;
    let alarms = described.metric_alarms();
    let mut names: Vec<_> = alarms.iter().filter_map(|a| a.alarm_name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["cpu-high", "error-rate"]);

    let cpu = alarms
        .iter()
        .find(|a| a.alarm_name() == Some("cpu-high"))
        .unwrap();
    assert_eq!(cpu.namespace(), Some("AWS/EC2"));
    assert_eq!(cpu.metric_name(), Some("CPUUtilization"));
    assert_eq!(cpu.dimensions(), [instance]);
    assert_eq!(cpu.statistic(), Some(&Statistic::Average));
    assert_eq!(cpu.period(), Some(300));
    assert_eq!(cpu.evaluation_periods(), Some(2));
    assert_eq!(cpu.threshold(), Some(80.0));
    assert_eq!(
        cpu.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanThreshold)
    );
    assert_eq!(cpu.treat_missing_data(), Some("breaching"));
    let cpu_arn = cpu.alarm_arn().expect("alarm arn").to_string();
    assert_eq!(
        cpu_arn,
        format!(
            "arn:aws:cloudwatch:{}:{}:alarm:cpu-high",
            account.region, account.account_id
        )
    );

    let math = alarms
        .iter()
        .find(|a| a.alarm_name() == Some("error-rate"))
        .unwrap();
    assert_eq!(math.metric_name(), None);
    assert_eq!(math.datapoints_to_alarm(), Some(2));
    let queries = math.metrics();
    assert_eq!(queries.len(), 3, "{queries:?}");
    let expression = queries
        .iter()
        .find(|q| q.id() == Some("error_rate"))
        .expect("expression query");
    assert_eq!(expression.expression(), Some("100 * errors / requests"));
    assert_eq!(expression.return_data(), Some(true));
    let errors = queries
        .iter()
        .find(|q| q.id() == Some("errors"))
        .expect("errors query");
    let stat = errors.metric_stat().expect("metric stat");
    assert_eq!(stat.stat(), Some("Sum"));
    assert_eq!(stat.period(), Some(60));
    assert_eq!(
        stat.metric().and_then(|m| m.metric_name()),
        Some("HTTPCode_Target_5XX_Count")
    );

    let tags = cloudwatch
        .list_tags_for_resource()
        .resource_arn(&cpu_arn)
        .send()
        .await
        .expect("ListTagsForResource");
    let tags: Vec<_> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [(Some(MANAGED_BY), Some(MANAGED_BY_VALUE))]);

    cloudwatch
        .delete_alarms()
        .alarm_names("cpu-high")
        .alarm_names("error-rate")
        .send()
        .await
        .expect("DeleteAlarms");
    let described = describe_both_alarms(&cloudwatch).await;
    assert!(described.metric_alarms().is_empty(), "{described:?}");
}

/// DescribeAlarms for the two alarms `cloudwatch_alarms_over_cbor` puts.
async fn describe_both_alarms(
    cloudwatch: &aws_sdk_cloudwatch::Client,
) -> aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput {
    cloudwatch
        .describe_alarms()
        .alarm_names("cpu-high")
        .alarm_names("error-rate")
        .send()
        .await
        .expect("DescribeAlarms")
}

/// Query `id`: the per-minute sum of the web load balancer's metric `metric_name`,
/// not returned.
fn web_lb_sum(id: &str, metric_name: &str) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("AWS/ApplicationELB")
                        .metric_name(metric_name)
                        .dimensions(dim("LoadBalancer", "app/web/0123456789abcdef"))
                        .build(),
                )
                .period(60)
                .stat("Sum")
                .build(),
        )
        .return_data(false)
        .build()
}

#[tokio::test]
async fn logs_group_tags_and_retention() {
    let account = TestAccount::new();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&account.sdk_config());

    logs.create_log_group()
        .log_group_name("/driftless/app")
        .tags(MANAGED_BY, MANAGED_BY_VALUE)
        .tags("team", "platform")
        .send()
        .await
        .expect("CreateLogGroup");
    logs.put_retention_policy()
        .log_group_name("/driftless/app")
        .retention_in_days(30)
        .send()
        .await
        .expect("PutRetentionPolicy");

    let described = logs
        .describe_log_groups()
        .log_group_name_prefix("/driftless/")
        .send()
        .await
        .expect("DescribeLogGroups");
    let groups = described.log_groups();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].log_group_name(), Some("/driftless/app"));
    assert_eq!(groups[0].retention_in_days(), Some(30));
    let arn = groups[0].arn().expect("log group arn");
    assert_eq!(
        arn,
        format!(
            "arn:aws:logs:{}:{}:log-group:/driftless/app:*",
            account.region, account.account_id
        )
    );

    let tags = logs
        .list_tags_for_resource()
        .resource_arn(arn.trim_end_matches(":*"))
        .send()
        .await
        .expect("ListTagsForResource");
    let tags = tags.tags().expect("tags");
    assert_eq!(
        tags.get(MANAGED_BY).map(String::as_str),
        Some(MANAGED_BY_VALUE)
    );
    assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
}

/// CloudWatch Logs only accepts a fixed set of retention periods; 31 days is
/// not one of them. Plain moto accepts anything: this needs the emulator
/// extension's strict validation.
#[tokio::test]
async fn logs_put_retention_policy_rejects_unsupported_days() {
    let account = TestAccount::new();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&account.sdk_config());
    logs.create_log_group()
        .log_group_name("strict")
        .send()
        .await
        .expect("CreateLogGroup");
    let err = logs
        .put_retention_policy()
        .log_group_name("strict")
        .retention_in_days(31)
        .send()
        .await
        .expect_err("a retention of 31 days must be rejected");
    let service_error = err.as_service_error().expect("a service error");
    assert!(
        service_error.is_invalid_parameter_exception(),
        "expected InvalidParameterException, got {err:?}"
    );
    let described = logs
        .describe_log_groups()
        .log_group_name_prefix("strict")
        .send()
        .await
        .expect("DescribeLogGroups");
    assert_eq!(described.log_groups()[0].retention_in_days(), None);
}

#[tokio::test]
async fn sts_caller_identity_is_the_test_account() {
    let account = TestAccount::new();
    let sts = aws_sdk_sts::Client::new(&account.sdk_config());
    let identity = sts
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(identity.account(), Some(account.account_id.as_str()));
    let arn = identity.arn().expect("caller arn");
    assert!(
        arn.starts_with(&format!("arn:aws:sts::{}:", account.account_id))
            || arn.starts_with(&format!("arn:aws:iam::{}:", account.account_id)),
        "caller arn {arn}"
    );
}

/// Two accounts on the same emulator must not see each other's resources,
/// whichever protocol the service speaks.
#[tokio::test]
async fn accounts_are_isolated() {
    let a = TestAccount::in_region("us-east-1");
    let b = TestAccount::in_region("us-east-1");
    let logs_a = aws_sdk_cloudwatchlogs::Client::new(&a.sdk_config());
    let logs_b = aws_sdk_cloudwatchlogs::Client::new(&b.sdk_config());
    logs_a
        .create_log_group()
        .log_group_name("only-in-a")
        .send()
        .await
        .expect("CreateLogGroup");
    let in_b = logs_b
        .describe_log_groups()
        .send()
        .await
        .expect("DescribeLogGroups");
    assert!(in_b.log_groups().is_empty(), "{in_b:?}");
    // Creating the same name in b succeeds (no ResourceAlreadyExists).
    logs_b
        .create_log_group()
        .log_group_name("only-in-a")
        .send()
        .await
        .expect("CreateLogGroup with the same name in another account");

    let cw_a = aws_sdk_cloudwatch::Client::new(&a.sdk_config());
    let cw_b = aws_sdk_cloudwatch::Client::new(&b.sdk_config());
    put_minimal_alarm(&cw_a, "only-in-a")
        .send()
        .await
        .expect("PutMetricAlarm");
    let in_b = cw_b.describe_alarms().send().await.expect("DescribeAlarms");
    assert!(in_b.metric_alarms().is_empty(), "{in_b:?}");
    let in_a = cw_a.describe_alarms().send().await.expect("DescribeAlarms");
    assert_eq!(in_a.metric_alarms().len(), 1);
}

#[tokio::test]
async fn tagging_finds_managed_resources() {
    let account = TestAccount::new();
    let config = account.sdk_config();

    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    logs.create_log_group()
        .log_group_name("/managed/app")
        .tags(MANAGED_BY, MANAGED_BY_VALUE)
        .send()
        .await
        .expect("CreateLogGroup (managed)");
    logs.create_log_group()
        .log_group_name("/unmanaged/app")
        .tags("team", "other")
        .send()
        .await
        .expect("CreateLogGroup (unmanaged)");

    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    put_minimal_alarm(&cloudwatch, "managed-alarm")
        .tags(cw_tag(MANAGED_BY, MANAGED_BY_VALUE))
        .send()
        .await
        .expect("PutMetricAlarm");

    let backup = aws_sdk_backup::Client::new(&config);
    backup
        .create_backup_vault()
        .backup_vault_name("managed-vault")
        .backup_vault_tags(MANAGED_BY, MANAGED_BY_VALUE)
        .send()
        .await
        .expect("CreateBackupVault");

    let tagging = aws_sdk_resourcegroupstagging::Client::new(&config);
    let found = tagging
        .get_resources()
        .tag_filters(
            aws_sdk_resourcegroupstagging::types::TagFilter::builder()
                .key(MANAGED_BY)
                .values(MANAGED_BY_VALUE)
                .build(),
        )
        .send()
        .await
        .expect("GetResources");
    let mut arns: Vec<_> = found
        .resource_tag_mapping_list()
        .iter()
        .filter_map(|m| m.resource_arn())
        .map(str::to_string)
        .collect();
    arns.sort();
    let (region, id) = (&account.region, &account.account_id);
    let mut expected = vec![
        format!("arn:aws:logs:{region}:{id}:log-group:/managed/app"),
        format!("arn:aws:cloudwatch:{region}:{id}:alarm:managed-alarm"),
        format!("arn:aws:backup:{region}:{id}:backup-vault:managed-vault"),
    ];
    expected.sort();
    assert_eq!(arns, expected, "{found:?}");
    for mapping in found.resource_tag_mapping_list() {
        let tags: Vec<_> = mapping
            .tags()
            .iter()
            .map(|t| (t.key(), t.value()))
            .collect();
        assert!(
            tags.contains(&(MANAGED_BY, MANAGED_BY_VALUE)),
            "{mapping:?}"
        );
    }
}

#[tokio::test]
async fn sns_topic_and_publish() {
    let account = TestAccount::new();
    let sns = aws_sdk_sns::Client::new(&account.sdk_config());
    let created = sns
        .create_topic()
        .name("alarms")
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key(MANAGED_BY)
                .value(MANAGED_BY_VALUE)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateTopic");
    let topic_arn = created.topic_arn().expect("topic arn").to_string();
    assert_eq!(
        topic_arn,
        format!(
            "arn:aws:sns:{}:{}:alarms",
            account.region, account.account_id
        )
    );
    let listed = sns.list_topics().send().await.expect("ListTopics");
    let topics: Vec<_> = listed
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .collect();
    assert_eq!(topics, [topic_arn.as_str()]);

    let published = sns
        .publish()
        .topic_arn(&topic_arn)
        .subject("driftless smoke test")
        .message("hello from the smoke test")
        .send()
        .await
        .expect("Publish");
    let message_id = published.message_id().expect("message id");
    assert!(!message_id.is_empty());
}

/// The emulator counts each call once, per service and operation: exactly, in
/// the calling account's counts, whatever other tests do meanwhile; the global
/// counts include them.
#[tokio::test]
async fn call_counts_track_exactly_the_calls_made() {
    let emulator = Emulator::shared();
    let account = TestAccount::new();
    let config = account.sdk_config();
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    let sns = aws_sdk_sns::Client::new(&config);

    let before = emulator.calls();
    assert_eq!(emulator.calls_of(&account.account_id).total, 0);
    for _ in 0..3 {
        cloudwatch
            .list_dashboards()
            .send()
            .await
            .expect("ListDashboards");
    }
    sns.list_subscriptions()
        .send()
        .await
        .expect("ListSubscriptions");
    let mine = emulator.calls_of(&account.account_id);
    let after = emulator.calls();
    assert_eq!(mine.get("cloudwatch", "ListDashboards"), 3, "{mine:?}");
    assert_eq!(mine.get("sns", "ListSubscriptions"), 1, "{mine:?}");
    assert_eq!(mine.total, 4, "{mine:?}");
    assert!(
        after.total >= before.total + 4,
        "before: {before:?}\nafter: {after:?}"
    );
}

/// Resetting zeroes every count, and counting starts again from zero: on an
/// emulator of this test's own, since a reset is global.
#[tokio::test]
async fn resetting_the_counts_zeroes_them_all() {
    let emulator = Emulator::private();
    let account = TestAccount::new();
    let config = emulator.sdk_config(&account.account_id, &account.region);
    let sns = aws_sdk_sns::Client::new(&config);
    sns.list_topics().send().await.expect("ListTopics");
    sns.list_subscriptions()
        .send()
        .await
        .expect("ListSubscriptions");
    let counted = emulator.calls();
    assert_eq!(counted.total, 2, "{counted:?}");
    assert_eq!(emulator.calls_of(&account.account_id).total, 2);

    emulator.reset_calls();
    let reset = emulator.calls();
    assert_eq!(reset.total, 0, "{reset:?}");
    assert!(reset
        .calls
        .values()
        .all(|ops| ops.values().all(|n| *n == 0)));
    assert_eq!(emulator.calls_of(&account.account_id).total, 0);

    sns.list_subscriptions()
        .send()
        .await
        .expect("ListSubscriptions");
    let again = emulator.calls();
    assert_eq!(again.total, 1, "{again:?}");
    assert_eq!(again.get("sns", "ListSubscriptions"), 1);
}

/// A throttling fault for one call: standard retries recover (2 calls
/// reach the emulator); with retries disabled the caller sees the throttle.
#[tokio::test]
async fn fault_injection_throttles_once() {
    let _serial = GLOBAL_STATE.lock().await;
    let emulator = Emulator::shared();
    let account = TestAccount::new();
    let config = account.sdk_config();
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);

    // Rules are global (replaced by whoever sets them: hence the lock); this one
    // only fires in this test's account, whose calls are counted apart.
    let throttle_once = serde_json::json!({
        "seed": 0,
        "rules": [{
            "kind": "throttle",
            "service": "cloudwatch",
            "operation": "ListMetrics",
            "account": account.account_id,
            "count": 1,
        }],
    });

    let _faults = emulator.scoped_faults(&throttle_once);
    let before = emulator.calls_of(&account.account_id);
    let listed = cloudwatch.list_metrics().send().await;
    let after = emulator.calls_of(&account.account_id);
    let listed = listed.expect("ListMetrics recovers through the standard retry");
    assert!(listed.metrics().is_empty(), "{listed:?}");
    assert_eq!(
        after.get("cloudwatch", "ListMetrics") - before.get("cloudwatch", "ListMetrics"),
        2,
        "one throttled call and one retry\nbefore: {before:?}\nafter: {after:?}"
    );
    assert_eq!(
        after.fault_count("cloudwatch", "ListMetrics", "throttle")
            - before.fault_count("cloudwatch", "ListMetrics", "throttle"),
        1
    );

    emulator.set_faults(&throttle_once);
    let no_retries = aws_sdk_cloudwatch::config::Builder::from(&config)
        .retry_config(aws_sdk_cloudwatch::config::retry::RetryConfig::disabled())
        .build();
    let result = aws_sdk_cloudwatch::Client::from_conf(no_retries)
        .list_metrics()
        .send()
        .await;
    let after_no_retry = emulator.calls_of(&account.account_id);
    let err = result.expect_err("without retries the throttle reaches the caller");
    // Codes the SDK's retry classifier treats as throttling.
    let code = error_code(&err);
    assert!(
        [
            "Throttling",
            "ThrottlingException",
            "TooManyRequestsException"
        ]
        .contains(&code.as_str()),
        "expected a throttling error, got {err:?}"
    );
    assert_eq!(
        after_no_retry.get("cloudwatch", "ListMetrics") - after.get("cloudwatch", "ListMetrics"),
        1,
        "no retry when retries are disabled"
    );
}
