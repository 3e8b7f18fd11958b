//! Each rule compliant and not, on specs built in the test.

use std::collections::BTreeMap;

use super::*;
use crate::spec::alarm::ComparisonOperator;
use crate::spec::backup_plan::{BackupRule, CopyAction, Lifecycle};
use crate::spec::log_group::Retention;

fn guardrail(rule: RuleName, params: &[(&str, &str)]) -> Guardrail {
    Guardrail {
        rule,
        parameters: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        kinds: None,
        enforcement: Enforcement::Deny,
        deploy: false,
    }
}

fn messages(e: Option<Evaluation>) -> Vec<String> {
    match e {
        Some(Evaluation::NonCompliant(f)) => f.into_iter().map(|f| f.message).collect(),
        Some(Evaluation::Compliant) => Vec::new(),
        None => vec!["not applicable".into()],
    }
}

fn group(retention: Option<Retention>, key: Option<&str>) -> LogGroupSpec {
    LogGroupSpec {
        retention_in_days: retention,
        kms_key_id: key.map(str::to_string),
        log_group_class: None,
        tags: BTreeMap::new(),
    }
}

fn alarm() -> MetricAlarmSpec {
    MetricAlarmSpec {
        description: None,
        namespace: Some("AWS/EC2".into()),
        metric_name: Some("CPUUtilization".into()),
        dimensions: BTreeMap::new(),
        statistic: Some(crate::spec::alarm::Statistic::Average),
        extended_statistic: None,
        period: Some(300),
        unit: None,
        metrics: None,
        evaluation_periods: 3,
        datapoints_to_alarm: None,
        threshold: Some(80.0),
        threshold_metric_id: None,
        comparison_operator: ComparisonOperator::GreaterThanThreshold,
        treat_missing_data: None,
        evaluate_low_sample_count_percentile: None,
        actions_enabled: None,
        alarm_actions: vec!["arn:aws:sns:ap-northeast-1:111111111111:ops".into()],
        ok_actions: Vec::new(),
        insufficient_data_actions: Vec::new(),
        tags: BTreeMap::new(),
    }
}

#[test]
fn log_retention_below_the_minimum_is_non_compliant_and_never_expire_is_fine() {
    let g = guardrail(
        RuleName::CwLoggroupRetentionPeriodCheck,
        &[("minRetentionTime", "90")],
    );
    let eval = |r| messages(g.evaluate("/app/x", Subject::LogGroup(&group(r, None))));
    assert_eq!(
        eval(Some(Retention::Days(30))),
        ["retentionInDays 30 < minRetentionTime 90"]
    );
    assert!(eval(Some(Retention::Days(90))).is_empty());
    assert!(eval(Some(Retention::Never)).is_empty());
    assert!(eval(None).is_empty());
    // The AWS default is 365 days.
    let default = guardrail(RuleName::CwLoggroupRetentionPeriodCheck, &[]);
    let g30 = group(Some(Retention::Days(180)), None);
    assert_eq!(
        messages(default.evaluate("/x", Subject::LogGroup(&g30))),
        ["retentionInDays 180 < minRetentionTime 365"]
    );
    // logGroupNames narrows by prefix.
    let scoped = guardrail(
        RuleName::CwLoggroupRetentionPeriodCheck,
        &[("logGroupNames", "/audit/, /security/")],
    );
    assert_eq!(scoped.evaluate("/app/x", Subject::LogGroup(&g30)), None);
    assert_eq!(
        messages(scoped.evaluate("/audit/a", Subject::LogGroup(&g30))).len(),
        1
    );
}

#[test]
fn encryption_needs_a_key_and_the_named_one_when_given() {
    let any = guardrail(RuleName::CloudwatchLogGroupEncrypted, &[]);
    let key = "arn:aws:kms:ap-northeast-1:111111111111:key/abc";
    assert_eq!(
        messages(any.evaluate("/x", Subject::LogGroup(&group(None, None)))),
        ["the log group is not encrypted with a KMS key"]
    );
    assert!(messages(any.evaluate("/x", Subject::LogGroup(&group(None, Some(key))))).is_empty());
    let named = guardrail(
        RuleName::CloudwatchLogGroupEncrypted,
        &[(
            "kmsKeyId",
            "arn:aws:kms:ap-northeast-1:111111111111:key/other",
        )],
    );
    assert_eq!(
        messages(named.evaluate("/x", Subject::LogGroup(&group(None, Some(key))))).len(),
        1
    );
}

#[test]
fn alarm_actions_follow_aws_defaults() {
    // Defaults: alarm and insufficient-data actions required, OK not.
    let g = guardrail(RuleName::CloudwatchAlarmActionCheck, &[]);
    let a = alarm();
    assert_eq!(
        messages(g.evaluate("a", Subject::MetricAlarm(&a))),
        ["no insufficientDataActions (insufficientDataActionRequired is true)"]
    );
    let only_alarm = guardrail(
        RuleName::CloudwatchAlarmActionCheck,
        &[("insufficientDataActionRequired", "false")],
    );
    assert!(messages(only_alarm.evaluate("a", Subject::MetricAlarm(&a))).is_empty());
    let mut silent = alarm();
    silent.alarm_actions.clear();
    assert_eq!(
        messages(only_alarm.evaluate("a", Subject::MetricAlarm(&silent))),
        ["no alarmActions (alarmActionRequired is true)"]
    );
    let named = guardrail(
        RuleName::CloudwatchAlarmActionCheck,
        &[
            ("insufficientDataActionRequired", "FALSE"),
            ("action1", "arn:aws:sns:ap-northeast-1:111111111111:oncall"),
        ],
    );
    assert_eq!(
        messages(named.evaluate("a", Subject::MetricAlarm(&a))),
        ["none of the alarmActions is one of the guardrail's actions"]
    );
}

#[test]
fn actions_enabled_defaults_to_true() {
    let g = guardrail(RuleName::CloudwatchAlarmActionEnabledCheck, &[]);
    let mut a = alarm();
    assert!(messages(g.evaluate("a", Subject::MetricAlarm(&a))).is_empty());
    a.actions_enabled = Some(false);
    assert_eq!(
        messages(g.evaluate("a", Subject::MetricAlarm(&a))),
        ["actionsEnabled is false"]
    );
}

#[test]
fn settings_apply_to_alarms_on_the_metric_only() {
    let g = guardrail(
        RuleName::CloudwatchAlarmSettingsCheck,
        &[
            ("metricName", "CPUUtilization"),
            ("threshold", "80"),
            ("statistic", "Maximum"),
        ],
    );
    let mut a = alarm();
    assert_eq!(
        messages(g.evaluate("a", Subject::MetricAlarm(&a))),
        ["statistic Average is not the required Maximum"]
    );
    a.statistic = Some(crate::spec::alarm::Statistic::Maximum);
    a.period = Some(60);
    // period defaults to 300 in the rule.
    assert_eq!(
        messages(g.evaluate("a", Subject::MetricAlarm(&a))),
        ["period 60 is not the required 300"]
    );
    a.metric_name = Some("NetworkIn".into());
    assert_eq!(g.evaluate("a", Subject::MetricAlarm(&a)), None);
}

#[test]
fn required_tags_need_keys_and_listed_values() {
    let mut g = guardrail(
        RuleName::RequiredTags,
        &[
            ("tag1Key", "team"),
            ("tag2Key", "env"),
            ("tag2Value", "prod,staging"),
        ],
    );
    let mut a = alarm();
    assert_eq!(
        messages(g.evaluate("a", Subject::MetricAlarm(&a))),
        ["tag `team` is missing", "tag `env` is missing"]
    );
    a.tags.insert("team".into(), "web".into());
    a.tags.insert("env".into(), "dev".into());
    assert_eq!(
        messages(g.evaluate("a", Subject::MetricAlarm(&a))),
        ["tag `env` is `dev`, not one of prod, staging"]
    );
    a.tags.insert("env".into(), "staging".into());
    assert!(messages(g.evaluate("a", Subject::MetricAlarm(&a))).is_empty());
    // `kinds` narrows the scope.
    g.kinds = Some(vec![Kind::LogGroup]);
    assert_eq!(g.evaluate("a", Subject::MetricAlarm(&alarm())), None);
}

fn plan(
    schedule: Option<&str>,
    delete_after: Option<u32>,
    copy_after: Option<u32>,
) -> BackupPlanSpec {
    let life = |d: Option<u32>| {
        d.map(|d| Lifecycle {
            move_to_cold_storage_after_days: None,
            delete_after_days: Some(d),
            opt_in_to_archive_for_supported_resources: None,
        })
    };
    BackupPlanSpec {
        rules: vec![BackupRule {
            name: "daily".into(),
            target_vault: "v".into(),
            schedule: schedule.map(str::to_string),
            schedule_timezone: None,
            start_window_minutes: None,
            completion_window_minutes: None,
            lifecycle: life(delete_after),
            copy_actions: copy_after
                .map(|d| CopyAction {
                    destination_vault_arn:
                        "arn:aws:backup:ap-northeast-3:111111111111:backup-vault:dr".into(),
                    lifecycle: life(Some(d)),
                })
                .into_iter()
                .collect(),
            recovery_point_tags: BTreeMap::new(),
            enable_continuous_backup: None,
            index_actions: Vec::new(),
        }],
        selections: Vec::new(),
        external_vaults: Vec::new(),
        advanced_backup_settings: Vec::new(),
        tags: BTreeMap::new(),
    }
}

#[test]
fn backup_frequency_and_retention() {
    let g = guardrail(RuleName::BackupPlanMinFrequencyAndMinRetentionCheck, &[]);
    let eval = |p: &BackupPlanSpec| messages(g.evaluate("p", Subject::BackupPlan(p)));
    assert!(eval(&plan(Some("cron(0 17 ? * * *)"), Some(35), None)).is_empty());
    // The default schedule is daily.
    assert!(eval(&plan(None, None, None)).is_empty());
    assert_eq!(
        eval(&plan(Some("cron(0 5 ? * SUN *)"), Some(30), None)),
        [
            "rule `daily` backs up every 7 days at most, less often than every 1 days (requiredFrequencyValue 1, requiredFrequencyUnit days)",
            "rule `daily` deletes recovery points after 30 days (deleteAfterDays 30 < requiredRetentionDays 35)",
        ]
    );
    let hourly = guardrail(
        RuleName::BackupPlanMinFrequencyAndMinRetentionCheck,
        &[
            ("requiredFrequencyUnit", "hours"),
            ("requiredFrequencyValue", "12"),
        ],
    );
    let twice = plan(Some("cron(0 5,17 ? * * *)"), None, None);
    assert!(messages(hourly.evaluate("p", Subject::BackupPlan(&twice))).is_empty());
    let skewed = plan(Some("cron(0 1,5 ? * * *)"), None, None);
    assert_eq!(
        messages(hourly.evaluate("p", Subject::BackupPlan(&skewed))).len(),
        1
    );
}

#[test]
fn cron_gaps() {
    use backup::longest_gap_minutes as gap;
    assert_eq!(gap("cron(0 5 ? * * *)"), Some(1440));
    assert_eq!(gap("cron(0/30 * ? * * *)"), Some(30));
    assert_eq!(gap("cron(0 */6 ? * * *)"), Some(360));
    assert_eq!(gap("cron(0 3 ? * MON-FRI *)"), Some(3 * 1440));
    assert_eq!(gap("cron(0 3 ? * 2,4 *)"), Some(5 * 1440));
    assert_eq!(gap("cron(0 0 1 * ? *)"), Some(31 * 1440));
    assert_eq!(gap("cron(0 0 L * ? *)"), None);
    assert_eq!(gap("rate(1 day)"), None);
}

#[test]
fn recovery_point_retention_covers_copies() {
    let g = guardrail(
        RuleName::BackupRecoveryPointMinimumRetentionCheck,
        &[("requiredRetentionDays", "90")],
    );
    let eval = |p: &BackupPlanSpec| messages(g.evaluate("p", Subject::BackupPlan(p)));
    assert!(eval(&plan(None, Some(90), Some(365))).is_empty());
    assert!(eval(&plan(None, None, None)).is_empty());
    let msgs = eval(&plan(None, Some(120), Some(30)));
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].contains("copy to arn:aws:backup:ap-northeast-3"),
        "{msgs:?}"
    );
}

#[test]
fn parameters_are_checked_with_suggestions() {
    let given = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let problems = params::check(
        RuleName::CwLoggroupRetentionPeriodCheck,
        &given(&[("MinRetentionTime", "365")]),
    );
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].problem.hint.as_deref(),
        Some("did you mean `minRetentionTime`?")
    );
    let problems = params::check(
        RuleName::CwLoggroupRetentionPeriodCheck,
        &given(&[("minRetentionTime", "31")]),
    );
    assert!(problems[0].problem.message.contains("cannot be `31`"));
    assert!(params::check(RuleName::RequiredTags, &given(&[])).len() == 1);
    assert!(params::check(
        RuleName::CloudwatchAlarmActionCheck,
        &given(&[("okActionRequired", "yes")])
    )[0]
    .problem
    .message
    .contains("true or false"));
    assert!(params::check(
        RuleName::CloudwatchAlarmActionCheck,
        &given(&[
            ("okActionRequired", "True"),
            ("action1", "arn:aws:sns:ap-northeast-1:111111111111:x")
        ])
    )
    .is_empty());
}

#[test]
fn window_cutoff_and_baseline_approval() {
    let doc = |yaml: &str| -> ResourceSpec {
        let files = [crate::spec::SourceFile {
            relative: "a.yaml".into(),
            display: "a.yaml".into(),
            text: yaml.into(),
        }];
        crate::spec::parse(&files)
            .unwrap_or_else(|d| panic!("{d:?}"))
            .resources
            .remove(0)
            .spec
    };
    let window = doc(
        "apiVersion: driftless.dev/v1\nkind: MaintenanceWindow\nmetadata: {name: weekly}\nspec: {schedule: 'cron(0 3 ? * TUE *)', duration: 4, cutoff: 1, allowUnassociatedTargets: true}\n",
    );
    let cutoff = |n: &str| {
        messages(
            guardrail(
                RuleName::MaintenanceWindowCutoffCheck,
                &[("minCutoffHours", n)],
            )
            .evaluate("w", Subject::of(&window)),
        )
    };
    assert!(cutoff("1").is_empty());
    assert_eq!(cutoff("2"), ["cutoff 1 < minCutoffHours 2"]);

    let baseline = |rules: &str| {
        doc(&format!(
            "apiVersion: driftless.dev/v1\nkind: PatchBaseline\nmetadata: {{name: win-prod}}\nspec:\n  operatingSystem: WINDOWS\n  approvalRules: {rules}\n"
        ))
    };
    let g = guardrail(RuleName::PatchBaselineApprovalCheck, &[]);
    let eval = |b: &ResourceSpec| messages(g.evaluate("b", Subject::of(b)));
    // Windows: SecurityUpdates with MSRC severities.
    let ok = baseline(
        "[{patchFilters: {CLASSIFICATION: [SecurityUpdates], MSRC_SEVERITY: [Critical, Important]}, approveAfterDays: 7}]",
    );
    assert!(eval(&ok).is_empty());
    let late = baseline(
        "[{patchFilters: {CLASSIFICATION: [SecurityUpdates], MSRC_SEVERITY: [Critical, Important]}, approveAfterDays: 8}]",
    );
    assert_eq!(
        eval(&late),
        ["no approval rule approves Critical and Important security patches within maxApproveAfterDays 7"]
    );
    let not_security = baseline(
        "[{patchFilters: {CLASSIFICATION: [Updates], MSRC_SEVERITY: [Critical, Important]}, approveAfterDays: 0}]",
    );
    assert_eq!(eval(&not_security).len(), 1);
    let dated = baseline(
        "[{patchFilters: {CLASSIFICATION: [SecurityUpdates]}, approveUntilDate: '2026-01-01'}]",
    );
    assert_eq!(eval(&dated).len(), 1);
}
