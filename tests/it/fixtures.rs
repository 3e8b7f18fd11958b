//! Fixtures shared by the reader and writer tests (`read_*`, `write_*`), the SDK
//! smoke tests and the end-to-end tests: small builders for tags, names and ARNs, and
//! the resources both sides use, e.g. the "patching" window's targets and task
//! (seeded with the SDK by a reader test, written by a writer test), the web
//! baseline, the alarms and the web log group; and the SDK calls that seed what an
//! estate made without driftless holds (an unowned CPU alarm, a log group with its
//! retention, a stored log event, vaults and one-rule plans).
//!
//! A fixture holds the values the tests have in common; a test overrides the few
//! fields it sets otherwise, next to where it does so.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder;
use driftless::aws::AwsError;
use driftless::live::Live;
use driftless::spec::alarm::{
    ComparisonOperator, LowSampleCount, Metric, MetricDataQuery, MetricStat, StandardUnit,
    Statistic, TreatMissingData,
};
use driftless::spec::backup_plan::{BackupRule, Lifecycle};
use driftless::spec::log_group::{LogGroupClass, Retention};
use driftless::spec::maintenance_window::{
    CutoffBehavior, OneOrMany, TaskType, WindowResourceType, WindowTarget, WindowTask,
};
use driftless::spec::patch_baseline::{
    ComplianceLevel, OperatingSystem, PatchRule, PatchSource, RejectedPatchesAction,
};
use driftless::spec::{LogGroupSpec, MaintenanceWindowSpec, MetricAlarmSpec, PatchBaselineSpec};

use crate::emulator::TestAccount;

// ---------------------------------------------------------------------------
// Small builders
// ---------------------------------------------------------------------------

/// Tags (or any other string map: dimensions, recovery-point tags) by key.
pub type Tags = BTreeMap<String, String>;

/// A string map from `(key, value)` pairs.
pub fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Selection `anyOfTags` with one value per key.
pub fn one_each(
    pairs: &[(&str, &str)],
) -> BTreeMap<String, driftless::spec::maintenance_window::OneOrMany> {
    pairs
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                driftless::spec::maintenance_window::OneOrMany::One(v.to_string()),
            )
        })
        .collect()
}

/// A set of names.
pub fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Owned strings, in order.
pub fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The ARN of `resource` of `service` in the test account and its region.
pub fn arn(account: &TestAccount, service: &str, resource: &str) -> String {
    format!(
        "arn:aws:{service}:{}:{}:{resource}",
        account.region, account.account_id
    )
}

/// The ARN of the KMS key `id` in the test account.
pub fn kms_key(account: &TestAccount, id: &str) -> String {
    arn(account, "kms", &format!("key/{id}"))
}

/// The ARN of the SNS topic `name` in the test account.
pub fn topic(account: &TestAccount, name: &str) -> String {
    arn(account, "sns", name)
}

/// A resource as the readers return one known by its ARN only (no id, no
/// sub-resources), with its tags known.
pub fn live<S>(name: &str, spec: S, arn: String) -> Live<S> {
    Live {
        name: name.to_string(),
        spec,
        arn: Some(arn),
        id: None,
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: Vec::new(),
    }
}

/// The AWS error code of a call error.
pub fn code(err: &AwsError) -> Option<&str> {
    match err {
        AwsError::Call { code, .. } => code.as_deref(),
        AwsError::Setup { .. } => None,
    }
}

/// An SSM tag, as the SDK takes it.
pub fn ssm_tag(key: &str, value: &str) -> aws_sdk_ssm::types::Tag {
    aws_sdk_ssm::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
        .unwrap()
}

/// A CloudWatch tag, as the SDK takes it.
pub fn cw_tag(key: &str, value: &str) -> aws_sdk_cloudwatch::types::Tag {
    aws_sdk_cloudwatch::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
}

/// A CloudWatch dimension, as the SDK takes it.
pub fn dim(name: &str, value: &str) -> aws_sdk_cloudwatch::types::Dimension {
    aws_sdk_cloudwatch::types::Dimension::builder()
        .name(name)
        .value(value)
        .build()
}

// ---------------------------------------------------------------------------
// Patch baselines
// ---------------------------------------------------------------------------

/// Patch filters by key, as the spec holds them.
pub fn filter_map(filters: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    filters
        .iter()
        .map(|(k, v)| (k.to_string(), strings(v)))
        .collect()
}

/// "web-linux", every field set: two approval rules, a global filter, approved and
/// rejected patches, a source. No patch groups, not the default, no tags.
pub fn web_linux_baseline() -> PatchBaselineSpec {
    PatchBaselineSpec {
        operating_system: OperatingSystem::AmazonLinux2,
        description: Some("security first".to_string()),
        approval_rules: vec![
            PatchRule {
                patch_filters: filter_map(&[
                    ("CLASSIFICATION", &["Security", "Bugfix"]),
                    ("SEVERITY", &["Critical", "Important"]),
                ]),
                approve_after_days: Some(7),
                approve_until_date: None,
                compliance_level: Some(ComplianceLevel::Critical),
                enable_non_security: Some(true),
            },
            PatchRule {
                patch_filters: filter_map(&[("PRODUCT", &["AmazonLinux2"])]),
                approve_after_days: None,
                approve_until_date: Some("2024-06-30".to_string()),
                compliance_level: Some(ComplianceLevel::Medium),
                enable_non_security: Some(false),
            },
        ],
        global_filters: filter_map(&[("PRODUCT", &["AmazonLinux2"])]),
        approved_patches: strings(&["openssl-1.0.2k"]),
        approved_patches_compliance_level: Some(ComplianceLevel::High),
        approved_patches_enable_non_security: Some(true),
        rejected_patches: strings(&["kernel-debug"]),
        rejected_patches_action: Some(RejectedPatchesAction::Block),
        sources: vec![PatchSource {
            name: "epel".to_string(),
            products: strings(&["AmazonLinux2"]),
            configuration: "[epel]\nname=EPEL\nenabled=1".to_string(),
        }],
        available_security_updates_compliance_status: None,
        patch_groups: Vec::new(),
        default_for_operating_system: false,
        tags: Tags::new(),
    }
}

/// A baseline with only its operating system and tags set.
pub fn bare_baseline(operating_system: OperatingSystem, tags: Tags) -> PatchBaselineSpec {
    PatchBaselineSpec {
        operating_system,
        description: None,
        approval_rules: Vec::new(),
        global_filters: BTreeMap::new(),
        approved_patches: Vec::new(),
        approved_patches_compliance_level: None,
        approved_patches_enable_non_security: None,
        rejected_patches: Vec::new(),
        rejected_patches_action: None,
        sources: Vec::new(),
        available_security_updates_compliance_status: None,
        patch_groups: Vec::new(),
        default_for_operating_system: false,
        tags,
    }
}

/// `spec` as AWS (and the emulator) report it when the approved patches' compliance
/// level and non-security flag and the rejected patches' action were never set.
pub fn with_unset_baseline_defaults(spec: PatchBaselineSpec) -> PatchBaselineSpec {
    PatchBaselineSpec {
        approved_patches_compliance_level: Some(ComplianceLevel::Unspecified),
        approved_patches_enable_non_security: Some(false),
        rejected_patches_action: Some(RejectedPatchesAction::AllowAsDependency),
        ..spec
    }
}

// ---------------------------------------------------------------------------
// Maintenance windows
// ---------------------------------------------------------------------------

/// The "patching" window's own fields, every one set (enabled); no targets, tasks
/// or tags.
pub fn patching_window() -> MaintenanceWindowSpec {
    MaintenanceWindowSpec {
        description: Some("weekly patching".to_string()),
        schedule: "cron(0 2 ? * SUN *)".to_string(),
        schedule_timezone: Some("Europe/Berlin".to_string()),
        schedule_offset: Some(2),
        duration: 4,
        cutoff: 1,
        start_date: None,
        end_date: None,
        allow_unassociated_targets: true,
        enabled: Some(true),
        targets: Vec::new(),
        tasks: Vec::new(),
        tags: Tags::new(),
    }
}

/// A window with only the required fields (daily, one hour, no cutoff) and `tags`.
pub fn daily_window(tags: Tags) -> MaintenanceWindowSpec {
    MaintenanceWindowSpec {
        description: None,
        schedule: "rate(1 day)".to_string(),
        schedule_timezone: None,
        schedule_offset: None,
        duration: 1,
        cutoff: 0,
        start_date: None,
        end_date: None,
        allow_unassociated_targets: false,
        enabled: None,
        targets: Vec::new(),
        tasks: Vec::new(),
        tags,
    }
}

/// Target "pinned": two instances by id.
pub fn pinned_target() -> WindowTarget {
    WindowTarget {
        name: "pinned".to_string(),
        description: None,
        resource_type: WindowResourceType::Instance,
        tags: BTreeMap::new(),
        instance_ids: strings(&["i-0123456789abcdef0", "i-0fedcba9876543210"]),
        resource_group: None,
        owner_information: None,
        tag_keys: Vec::new(),
        resource_type_filters: Vec::new(),
    }
}

/// Target "web": instances by two tags (one with two values), with a description
/// and owner information.
pub fn web_target() -> WindowTarget {
    WindowTarget {
        name: "web".to_string(),
        description: Some("web servers".to_string()),
        resource_type: WindowResourceType::Instance,
        tags: BTreeMap::from([
            ("Env".to_string(), OneOrMany::Many(strings(&["prod", "dr"]))),
            ("Patch Group".to_string(), OneOrMany::One("web".to_string())),
        ]),
        instance_ids: Vec::new(),
        resource_group: None,
        owner_information: Some("ops".to_string()),
        tag_keys: Vec::new(),
        resource_type_filters: Vec::new(),
    }
}

/// Task "patch": AWS-RunPatchBaseline on "web" and "pinned" as `role`, every field
/// set.
pub fn patch_task(role: &str) -> WindowTask {
    WindowTask {
        name: "patch".to_string(),
        description: Some("install patches".to_string()),
        task_type: TaskType::RunCommand,
        task_arn: "AWS-RunPatchBaseline".to_string(),
        instance_ids: Vec::new(),
        targets: strings(&["web", "pinned"]),
        priority: Some(2),
        max_concurrency: Some("10%".to_string()),
        max_errors: Some("1".to_string()),
        cutoff_behavior: Some(CutoffBehavior::CancelTask),
        service_role_arn: Some(role.to_string()),
        run_command: None,
        automation: None,
        lambda: None,
        step_functions: None,
        parameters: BTreeMap::from([
            ("Operation".to_string(), strings(&["Install"])),
            ("RebootOption".to_string(), strings(&["RebootIfNeeded"])),
        ]),
    }
}

// ---------------------------------------------------------------------------
// Backup
// ---------------------------------------------------------------------------

/// A lifecycle that only deletes, after `days`.
pub fn delete_after(days: u32) -> Lifecycle {
    Lifecycle {
        move_to_cold_storage_after_days: None,
        delete_after_days: Some(days),
        opt_in_to_archive_for_supported_resources: None,
    }
}

/// A rule into `vault` with none of its optional fields set.
pub fn unset_rule(name: &str, vault: &str) -> BackupRule {
    BackupRule {
        name: name.to_string(),
        target_vault: vault.to_string(),
        schedule: None,
        schedule_timezone: None,
        start_window_minutes: None,
        completion_window_minutes: None,
        lifecycle: None,
        copy_actions: Vec::new(),
        recovery_point_tags: BTreeMap::new(),
        enable_continuous_backup: None,
        index_actions: Vec::new(),
    }
}

/// `rule` as AWS (and the emulator) report it: what it leaves unset of the schedule,
/// its time zone and its windows filled in with AWS's defaults.
pub fn with_unset_rule_defaults(rule: BackupRule) -> BackupRule {
    BackupRule {
        schedule: rule
            .schedule
            .or_else(|| Some("cron(0 5 ? * * *)".to_string())),
        schedule_timezone: rule
            .schedule_timezone
            .or_else(|| Some("Etc/UTC".to_string())),
        start_window_minutes: rule.start_window_minutes.or(Some(480)),
        completion_window_minutes: rule.completion_window_minutes.or(Some(10080)),
        ..rule
    }
}

/// The SDK's input for plan `plan` of one rule, `rule` into `vault`, on `schedule`
/// (or AWS's default schedule).
pub fn one_rule_plan(
    plan: &str,
    rule: &str,
    vault: &str,
    schedule: Option<&str>,
) -> aws_sdk_backup::types::BackupPlanInput {
    aws_sdk_backup::types::BackupPlanInput::builder()
        .backup_plan_name(plan)
        .rules(
            aws_sdk_backup::types::BackupRuleInput::builder()
                .rule_name(rule)
                .target_backup_vault_name(vault)
                .set_schedule_expression(schedule.map(str::to_string))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

/// Creates the Backup vaults `names` (AWS refuses a plan whose rule targets a vault
/// that does not exist, and so does the emulator).
pub async fn create_vaults(sdk: &aws_sdk_backup::Client, names: &[&str]) {
    for name in names {
        sdk.create_backup_vault()
            .backup_vault_name(*name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateBackupVault {name}: {e:?}"));
    }
}

/// Selects `Backup: daily` resources into plan `plan_id` with the account's
/// `backup` role, through the SDK (an estate made without driftless).
pub async fn create_daily_selection(sdk: &aws_sdk_backup::Client, plan_id: &str, account: &str) {
    use aws_sdk_backup::types::{BackupSelection, Condition, ConditionType};
    sdk.create_backup_selection()
        .backup_plan_id(plan_id)
        .backup_selection(
            BackupSelection::builder()
                .selection_name("tagged")
                .iam_role_arn(format!("arn:aws:iam::{account}:role/backup"))
                .list_of_tags(
                    Condition::builder()
                        .condition_type(ConditionType::Stringequals)
                        .condition_key("Backup")
                        .condition_value("daily")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------
// CloudWatch alarms
// ---------------------------------------------------------------------------

/// A single-metric alarm with only the required fields (Test/Errors, sum over a
/// minute, at least 1) and `tags`.
pub fn minimal_alarm(tags: Tags) -> MetricAlarmSpec {
    MetricAlarmSpec {
        description: None,
        namespace: Some("Test".into()),
        metric_name: Some("Errors".into()),
        dimensions: BTreeMap::new(),
        statistic: Some(Statistic::Sum),
        extended_statistic: None,
        period: Some(60),
        unit: None,
        metrics: None,
        evaluation_periods: 1,
        datapoints_to_alarm: None,
        threshold: Some(1.0),
        threshold_metric_id: None,
        comparison_operator: ComparisonOperator::GreaterThanOrEqualToThreshold,
        treat_missing_data: None,
        evaluate_low_sample_count_percentile: None,
        actions_enabled: None,
        alarm_actions: vec![],
        ok_actions: vec![],
        insufficient_data_actions: vec![],
        tags,
    }
}

/// The SDK request that puts [`minimal_alarm`] as `name`, without tags: the caller
/// adds any and sends it.
pub fn put_minimal_alarm(
    cw: &aws_sdk_cloudwatch::Client,
    name: &str,
) -> PutMetricAlarmFluentBuilder {
    cw.put_metric_alarm()
        .alarm_name(name)
        .namespace("Test")
        .metric_name("Errors")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(
            aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
        )
}

/// The SDK request that puts an unowned EC2 CPU alarm `name` (average over a minute,
/// above 1, no actions), as a console click would: the caller overrides any field
/// and sends it.
pub fn put_cpu_alarm(cw: &aws_sdk_cloudwatch::Client, name: &str) -> PutMetricAlarmFluentBuilder {
    cw.put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/EC2")
        .metric_name("CPUUtilization")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
}

/// "web-cpu-high": a single-metric alarm with every optional field set, its actions
/// on topics of `account`.
pub fn web_cpu_alarm(account: &TestAccount, tags: Tags) -> MetricAlarmSpec {
    MetricAlarmSpec {
        description: Some("CPU above 80% for 2 of the last 3 periods".into()),
        namespace: Some("AWS/EC2".into()),
        metric_name: Some("CPUUtilization".into()),
        dimensions: self::tags(&[
            ("AutoScalingGroupName", "web"),
            ("InstanceType", "m5.large"),
        ]),
        statistic: Some(Statistic::Average),
        extended_statistic: None,
        period: Some(300),
        unit: Some(StandardUnit::Percent),
        metrics: None,
        evaluation_periods: 3,
        datapoints_to_alarm: Some(2),
        threshold: Some(80.0),
        threshold_metric_id: None,
        comparison_operator: ComparisonOperator::GreaterThanThreshold,
        treat_missing_data: Some(TreatMissingData::NotBreaching),
        evaluate_low_sample_count_percentile: None,
        actions_enabled: Some(false),
        alarm_actions: vec![topic(account, "ops"), topic(account, "pager")],
        ok_actions: vec![topic(account, "ops-ok")],
        insufficient_data_actions: vec![topic(account, "ops-data")],
        tags,
    }
}

/// "api-latency-p99": an alarm on an extended statistic (no unit).
pub fn api_latency_alarm(tags: Tags) -> MetricAlarmSpec {
    MetricAlarmSpec {
        namespace: Some("AWS/ApplicationELB".into()),
        metric_name: Some("TargetResponseTime".into()),
        dimensions: self::tags(&[("LoadBalancer", "app/api/0123456789abcdef")]),
        statistic: None,
        extended_statistic: Some("p99".into()),
        evaluation_periods: 5,
        threshold: Some(0.5),
        treat_missing_data: Some(TreatMissingData::Ignore),
        evaluate_low_sample_count_percentile: Some(LowSampleCount::Ignore),
        actions_enabled: Some(true),
        ..minimal_alarm(tags)
    }
}

/// The web load balancer's dimensions.
pub fn web_lb() -> Tags {
    tags(&[("LoadBalancer", "app/web/0123456789abcdef")])
}

/// An AWS/ApplicationELB metric.
pub fn elb_metric(metric_name: &str, dimensions: Tags) -> Metric {
    Metric {
        namespace: "AWS/ApplicationELB".into(),
        metric_name: metric_name.into(),
        dimensions,
    }
}

/// A metric-math alarm on `metrics` (none of the single-metric fields set), otherwise
/// [`minimal_alarm`] with actions enabled.
pub fn math_alarm(metrics: Vec<MetricDataQuery>, tags: Tags) -> MetricAlarmSpec {
    MetricAlarmSpec {
        namespace: None,
        metric_name: None,
        statistic: None,
        period: None,
        metrics: Some(metrics),
        actions_enabled: Some(true),
        ..minimal_alarm(tags)
    }
}

/// "web-requests-anomaly": an anomaly-detection band over the web load balancer's
/// requests, alarming on `thresholdMetricId` (no threshold); no description.
pub fn anomaly_alarm(tags: Tags) -> MetricAlarmSpec {
    let metrics = vec![
        MetricDataQuery {
            id: "m1".into(),
            expression: None,
            metric_stat: Some(MetricStat {
                metric: elb_metric("RequestCount", web_lb()),
                period: 300,
                stat: "Sum".into(),
                unit: None,
            }),
            label: None,
            return_data: Some(true),
            period: None,
            account_id: None,
        },
        MetricDataQuery {
            id: "ad1".into(),
            expression: Some("ANOMALY_DETECTION_BAND(m1, 2)".into()),
            metric_stat: None,
            label: Some("RequestCount (expected)".into()),
            return_data: None,
            period: None,
            account_id: None,
        },
    ];
    MetricAlarmSpec {
        evaluation_periods: 3,
        datapoints_to_alarm: Some(3),
        threshold: None,
        threshold_metric_id: Some("ad1".into()),
        comparison_operator: ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold,
        treat_missing_data: Some(TreatMissingData::Missing),
        ..math_alarm(metrics, tags)
    }
}

// ---------------------------------------------------------------------------
// CloudWatch Logs
// ---------------------------------------------------------------------------

/// The KMS key (id) of the "/app/web" log group.
pub const WEB_LOG_KEY: &str = "0b3c2f4e-1111-2222-3333-444455556666";

/// Creates the log group `name` keeping events `days` days, through the SDK (a group
/// made without driftless).
pub async fn create_log_group_keeping(
    logs: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
    days: i32,
) {
    logs.create_log_group()
        .log_group_name(name)
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .unwrap();
}

/// Stores one event, `message`, stamped now, in the stream "s" of the log group
/// `group` (so its `storedBytes` is no longer 0).
pub async fn put_one_event(logs: &aws_sdk_cloudwatchlogs::Client, group: &str, message: &str) {
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name("s")
        .send()
        .await
        .expect("CreateLogStream");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name("s")
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now)
                .message(message)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutLogEvents");
}

/// `spec` as DescribeLogGroups reports it: AWS returns the class of every group,
/// `STANDARD` when the create named none.
pub fn reported_log_group(spec: LogGroupSpec) -> LogGroupSpec {
    LogGroupSpec {
        log_group_class: Some(spec.log_group_class.unwrap_or(LogGroupClass::Standard)),
        ..spec
    }
}

/// "/app/web": 30 days' retention, encrypted with [`WEB_LOG_KEY`], no class.
pub fn web_log_group(account: &TestAccount, tags: Tags) -> LogGroupSpec {
    LogGroupSpec {
        retention_in_days: Some(Retention::Days(30)),
        kms_key_id: Some(kms_key(account, WEB_LOG_KEY)),
        log_group_class: None,
        tags,
    }
}

/// Creates the role `name` in `account` (any region's IAM: it is global) trusting the
/// account `trusted` (with an `sts:ExternalId` condition when given), as AssumeRole
/// needs it in AWS and in the emulator; a role already there is left as it is.
pub fn trusted_role(account: &str, name: &str, trusted: &str, external_id: Option<&str>) -> String {
    let condition = external_id
        .map(|e| format!(r#", "Condition": {{"StringEquals": {{"sts:ExternalId": "{e}"}}}}"#))
        .unwrap_or_default();
    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{trusted}:root"}}, "Action": "sts:AssumeRole"{condition}}}]}}"#
    );
    let config = crate::emulator::Emulator::shared().sdk_config(account, "us-east-1");
    let iam = aws_sdk_iam::Client::new(&config);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let created = rt.block_on(
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(&policy)
            .send(),
    );
    if let Err(e) = &created {
        let exists = e
            .as_service_error()
            .is_some_and(|s| s.is_entity_already_exists_exception());
        assert!(exists, "creating role {name} in {account}: {e:?}");
        rt.block_on(
            iam.update_assume_role_policy()
                .role_name(name)
                .policy_document(&policy)
                .send(),
        )
        .expect("UpdateAssumeRolePolicy");
    }
    format!("arn:aws:iam::{account}:role/{name}")
}
