//! Unit tests of parsing and validation, per kind, on in-memory repositories.

use super::*;

/// A repository in memory, built file by file.
#[derive(Default)]
struct Repo {
    files: Vec<SourceFile>,
}

impl Repo {
    fn test() -> Repo {
        Repo::default()
    }

    fn file(mut self, relative: &str, text: &str) -> Repo {
        self.files.push(SourceFile {
            relative: relative.into(),
            display: relative.into(),
            text: text.into(),
        });
        self
    }

    fn doc(self, kind: &str, name: &str, spec: &str) -> Repo {
        let n = self.files.len();
        let text =
            format!(
            "apiVersion: driftless.dev/v1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n{}\n",
            spec.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
        );
        self.file(&format!("doc{n}.yaml"), &text)
    }

    fn parse(&self) -> Result<DesiredState, Vec<Diagnostic>> {
        parse(&self.files)
    }

    fn ok(&self) -> DesiredState {
        self.parse().unwrap_or_else(|d| {
            panic!("{}", diagnostic::render_text(&d));
        })
    }

    fn errors(&self) -> Vec<String> {
        match self.parse() {
            Ok(_) => panic!("accepted"),
            Err(d) => d.iter().map(|d| d.message.clone()).collect(),
        }
    }
}

fn only(state: &DesiredState) -> &ResourceSpec {
    assert_eq!(state.resources.len(), 1);
    &state.resources[0].spec
}

#[test]
fn metric_alarm_reads_every_field_and_keeps_absent_ones_absent() {
    let state = Repo::test()
        .doc(
            "MetricAlarm",
            "web-cpu-high",
            "namespace: AWS/EC2\nmetricName: CPUUtilization\ndimensions: {AutoScalingGroupName: web}\nstatistic: Average\nperiod: 300\nevaluationPeriods: 3\nthreshold: 80\ncomparisonOperator: GreaterThanThreshold\nunit: Bytes/Second",
        )
        .ok();
    let ResourceSpec::MetricAlarm(a) = only(&state) else {
        panic!()
    };
    assert_eq!(a.threshold, Some(80.0));
    assert_eq!(a.unit, Some(alarm::StandardUnit::BytesPerSecond));
    assert_eq!(a.dimensions["AutoScalingGroupName"], "web");
    assert_eq!(
        a.treat_missing_data, None,
        "defaults are normalised in plan, not here"
    );
    assert_eq!(a.datapoints_to_alarm, None);
}

#[test]
fn metric_math_alarm_needs_one_returning_query() {
    let spec = "metrics:\n  - id: a\n    expression: SUM(METRICS())\n    returnData: false\nevaluationPeriods: 1\nthreshold: 1\ncomparisonOperator: GreaterThanThreshold";
    let errors = Repo::test().doc("MetricAlarm", "m", spec).errors();
    assert_eq!(
        errors,
        ["0 queries return data; an alarm needs exactly one"]
    );
}

/// AWS's own anomaly-detection alarm (its put-metric-alarm example, CDK's output):
/// the metric and its band both return data, thresholdMetricId names the band.
#[test]
fn anomaly_alarm_in_aws_shape_validates_and_a_third_returning_query_does_not() {
    let spec = "metrics:\n  - id: m1\n    returnData: true\n    metricStat:\n      metric: {namespace: AWS/EC2, metricName: CPUUtilization}\n      period: 300\n      stat: Average\n  - id: ad1\n    expression: ANOMALY_DETECTION_BAND(m1, 2)\n    returnData: true\nthresholdMetricId: ad1\nevaluationPeriods: 2\ncomparisonOperator: LessThanLowerOrGreaterThanUpperThreshold";
    Repo::test().doc("MetricAlarm", "ad", spec).ok();
    let third = format!("{spec}\n").replace(
        "thresholdMetricId",
        "  - id: e1\n    expression: m1 * 2\nthresholdMetricId",
    );
    assert_eq!(
        Repo::test().doc("MetricAlarm", "ad", &third).errors(),
        ["2 queries return data besides the band thresholdMetricId names; an alarm needs exactly one"]
    );
}

/// AWS refuses an alarm action in another Region than the alarm's: an error per
/// target whose region differs, at the action; `${target.region}` resolves per target.
#[test]
fn alarm_actions_must_be_in_each_targets_region() {
    let config = "targets:\n  - {name: tokyo, region: ap-northeast-1}\n  - {name: virginia, region: us-east-1}\n";
    let alarm = |action: &str| {
        format!("namespace: AWS/EC2\nmetricName: CPUUtilization\nstatistic: Average\nperiod: 300\nevaluationPeriods: 1\nthreshold: 80\ncomparisonOperator: GreaterThanThreshold\nalarmActions: [\"{action}\"]")
    };
    let fixed = "arn:aws:sns:us-east-1:111111111111:oncall";
    let parsed = Repo::test()
        .file("driftless.yaml", config)
        .doc("MetricAlarm", "cpu", &alarm(fixed))
        .parse();
    let errors = parsed.expect_err("an action in us-east-1 for the Tokyo target");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column), (13, 18));
    assert!(
        errors[0]
            .message
            .contains("region us-east-1, but the alarm is in ap-northeast-1 (target `tokyo`)"),
        "{}",
        errors[0].message
    );
    let composite =
        format!("alarmRule: ALARM(cpu)\nexternalAlarms: [cpu]\nokActions: [\"{fixed}\"]");
    let errors = Repo::test()
        .file("driftless.yaml", config)
        .doc("CompositeAlarm", "both", &composite)
        .errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let templated = alarm("arn:aws:sns:${target.region}:111111111111:oncall");
    Repo::test()
        .file("driftless.yaml", config)
        .doc("MetricAlarm", "cpu", &templated)
        .ok();
    let virginia_only = Repo::test()
        .file("driftless.yaml", config)
        .file("a.yaml", &format!("apiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {{name: cpu, targets: [virginia]}}\nspec:\n{}\n", alarm(fixed).lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")));
    virginia_only.ok();
}

#[test]
fn log_group_retention_is_days_or_never() {
    let state = Repo::test()
        .doc("LogGroup", "/a", "retentionInDays: never")
        .ok();
    let ResourceSpec::LogGroup(g) = only(&state) else {
        panic!()
    };
    assert_eq!(g.retention_in_days, Some(log_group::Retention::Never));
    let errors = Repo::test()
        .doc("LogGroup", "/a", "retentionInDays: 31")
        .errors();
    assert_eq!(errors, ["`retentionInDays` cannot be `31`"]);
}

#[test]
fn log_retention_policy_requires_prefix_and_retention() {
    let errors = Repo::test()
        .doc("LogRetentionPolicy", "p", "onlyWhereUnset: true")
        .errors();
    assert_eq!(
        errors,
        [
            "missing required field `logGroupNamePrefix` in `spec`",
            "missing required field `retentionInDays` in `spec`"
        ]
    );
}

#[test]
fn patch_baseline_filters_are_checked_per_operating_system() {
    let spec = "operatingSystem: UBUNTU\napprovalRules:\n  - patchFilters: {PRIORITY: [Required], SEVERITY: [Critical]}\n    approveAfterDays: 3";
    let errors = Repo::test()
        .doc("PatchBaseline", "ubuntu-prod", spec)
        .errors();
    assert_eq!(
        errors,
        ["patch filter key `SEVERITY` does not apply to UBUNTU baselines"]
    );
}

#[test]
fn patch_baseline_rule_needs_an_approval_delay_or_date() {
    let spec = "operatingSystem: WINDOWS\napprovalRules:\n  - patchFilters: {CLASSIFICATION: [SecurityUpdates]}";
    let errors = Repo::test().doc("PatchBaseline", "win", spec).errors();
    assert_eq!(
        errors,
        ["an approval rule needs `approveAfterDays` or `approveUntilDate`"]
    );
}

#[test]
fn available_security_updates_compliance_status_is_for_windows_baselines_only() {
    let field = "availableSecurityUpdatesComplianceStatus: NON_COMPLIANT";
    let windows = format!("operatingSystem: WINDOWS\n{field}");
    Repo::test().doc("PatchBaseline", "win-db", &windows).ok();
    let linux = format!("operatingSystem: AMAZON_LINUX_2023\n{field}");
    let errors = Repo::test().doc("PatchBaseline", "al2023", &linux).errors();
    assert_eq!(
        errors,
        ["availableSecurityUpdatesComplianceStatus applies to Windows baselines only"]
    );
    let bad = "operatingSystem: WINDOWS\navailableSecurityUpdatesComplianceStatus: MAYBE";
    let errors = Repo::test().doc("PatchBaseline", "win-db", bad).errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn maintenance_window_tasks_reference_window_targets() {
    let spec = "schedule: rate(7 days)\nduration: 2\ncutoff: 1\ntargets:\n  - {name: web, resourceType: INSTANCE, tags: {Role: web}}\ntasks:\n  - {name: scan, type: RUN_COMMAND, taskArn: AWS-RunPatchBaseline, targets: [api], maxConcurrency: \"1\", maxErrors: \"0\"}";
    let errors = Repo::test()
        .doc("MaintenanceWindow", "weekly", spec)
        .errors();
    assert_eq!(
        errors,
        ["task `scan` targets `api`, which is not a target of this window"]
    );
}

#[test]
fn maintenance_window_target_values_may_be_one_or_many() {
    let spec = "schedule: rate(7 days)\nduration: 2\ncutoff: 1\ntargets:\n  - {name: web, resourceType: INSTANCE, tags: {Role: web, Env: [prod, dr]}}";
    let state = Repo::test().doc("MaintenanceWindow", "weekly", spec).ok();
    let ResourceSpec::MaintenanceWindow(w) = only(&state) else {
        panic!()
    };
    assert_eq!(w.targets[0].tags["Env"].values(), ["prod", "dr"]);
    assert_eq!(w.targets[0].tags["Role"].values(), ["web"]);
}

#[test]
fn backup_plan_rules_name_a_vault_of_the_repository_or_an_external_one() {
    let plan = "rules:\n  - {name: daily, targetVault: vault-a}";
    let errors = Repo::test().doc("BackupPlan", "p", plan).errors();
    assert_eq!(
        errors,
        ["rule `daily` targets vault `vault-a`, which no BackupVault spec defines"]
    );
    Repo::test()
        .doc("BackupVault", "vault-a", "{}")
        .doc("BackupPlan", "p", plan)
        .ok();
    let external = "rules:\n  - {name: daily, targetVault: Default}\nexternalVaults: [Default]";
    Repo::test().doc("BackupPlan", "p", external).ok();
}

#[test]
fn backup_lifecycle_keeps_cold_storage_ninety_days() {
    let plan = "rules:\n  - {name: d, targetVault: Default, lifecycle: {moveToColdStorageAfterDays: 10, deleteAfterDays: 99}}\nexternalVaults: [Default]";
    let errors = Repo::test().doc("BackupPlan", "p", plan).errors();
    assert_eq!(
        errors,
        ["deleteAfterDays 99 must be at least moveToColdStorageAfterDays + 90 = 100"]
    );
}

#[test]
fn backup_vault_key_must_be_a_kms_arn() {
    let errors = Repo::test()
        .doc("BackupVault", "v1", "encryptionKeyArn: alias/backup")
        .errors();
    assert_eq!(
        errors,
        ["encryptionKeyArn must be an ARN like `arn:aws:kms:...:key/...`, got `alias/backup`"]
    );
}

#[test]
fn targets_default_to_all_or_to_defaults() {
    let config = "targets:\n  - {name: a, region: us-east-1}\n  - {name: b, region: eu-west-1}\n";
    let state = Repo::test()
        .file("driftless.yaml", config)
        .doc("LogGroup", "/x", "{}")
        .ok();
    assert_eq!(state.resources[0].targets, ["a", "b"]);
    let with_defaults = format!("{config}defaults: {{targets: [b]}}\n");
    let state = Repo::test()
        .file("driftless.yaml", &with_defaults)
        .doc("LogGroup", "/x", "{}")
        .ok();
    assert_eq!(state.resources[0].targets, ["b"]);
    let state = Repo::test().doc("LogGroup", "/x", "{}").ok();
    assert_eq!(state.resources[0].targets, ["default"]);
}

#[test]
fn same_name_in_different_targets_is_allowed() {
    let config = "targets:\n  - {name: a, region: us-east-1}\n  - {name: b, region: eu-west-1}\n";
    let a = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /x, targets: [a]}\nspec: {}\n";
    let b = a.replace("[a]", "[b]");
    Repo::test()
        .file("driftless.yaml", config)
        .file("a.yaml", a)
        .file("b.yaml", &b)
        .ok();
    let both = a.replace("[a]", "[a, b]");
    let errors = Repo::test()
        .file("driftless.yaml", config)
        .file("a.yaml", a)
        .file("b.yaml", &both)
        .errors();
    assert_eq!(errors, ["LogGroup `/x` is defined twice for target `a`"]);
}

#[test]
fn every_problem_in_every_file_is_reported_together() {
    let errors = Repo::test()
        .doc("LogGroup", "/x", "retentionInDays: 31")
        .doc("MetricAlarm", "a", "period: 1")
        .file("bad.yaml", "a: [")
        .errors();
    // The alarm's structural problems hide its value problems (period 1) until fixed.
    assert_eq!(
        errors,
        [
            "invalid YAML: while parsing a node, did not find expected node content",
            "`retentionInDays` cannot be `31`",
            "missing required field `comparisonOperator` in `spec`",
            "missing required field `evaluationPeriods` in `spec`",
        ]
    );
}

#[test]
fn a_bad_config_still_lets_documents_be_checked() {
    let errors = Repo::test()
        .file(
            "driftless.yaml",
            "targets:\n  - {name: a, region: mars-1}\n",
        )
        .doc("LogGroup", "/x", "retentionInDays: 31")
        .errors();
    assert_eq!(errors.len(), 2, "{errors:#?}");
}

#[test]
fn config_without_targets_means_one_default_target() {
    let state = Repo::test()
        .file("driftless.yaml", "prune: true\nmaxDeletes: 2\n")
        .ok();
    assert_eq!(state.config.target_names(), ["default"]);
    assert!(state.config.prune);
    assert_eq!(state.config.max_deletes, Some(2));
    assert_eq!(state.config.instance(), "driftless");
}

#[test]
fn wire_names_are_the_yaml_spelling() {
    assert_eq!(
        wire_name(&patch_baseline::OperatingSystem::AmazonLinux2023),
        "AMAZON_LINUX_2023"
    );
    assert_eq!(
        wire_name(&alarm::TreatMissingData::NotBreaching),
        "notBreaching"
    );
}

#[test]
fn per_target_values_make_one_resource_per_target_and_keep_a_template_for_unknown_accounts() {
    let config = "targets:\n  - {name: tokyo, region: ap-northeast-1, accountId: \"111111111111\"}\n  - {name: osaka, region: ap-northeast-3}\ngroups:\n  apac: [tokyo, osaka]\n";
    let alarm = "apiVersion: driftless.dev/v1\nkind: MetricAlarm\nmetadata: {name: cpu, targets: [apac]}\nspec:\n  namespace: AWS/EC2\n  metricName: CPUUtilization\n  statistic: Average\n  period: 300\n  evaluationPeriods: 3\n  threshold: 80\n  comparisonOperator: GreaterThanThreshold\n  alarmDescription: \"$${literal} on ${target.name}\"\n  alarmActions: [\"arn:${target.partition}:sns:${target.region}:${target.accountId}:oncall\"]\n";
    let alarm = alarm.replace("alarmDescription", "description");
    let state = Repo::test()
        .file("driftless.yaml", config)
        .file("a.yaml", &alarm)
        .ok();
    assert_eq!(state.documents, 1);
    let by_target: BTreeMap<&str, &Resource> = state
        .resources
        .iter()
        .map(|r| (r.targets[0].as_str(), r))
        .collect();
    assert_eq!(by_target.len(), 2);
    let actions = |r: &Resource| match &r.spec {
        ResourceSpec::MetricAlarm(a) => (a.alarm_actions.clone(), a.description.clone()),
        _ => panic!(),
    };
    let tokyo = by_target["tokyo"];
    assert_eq!(
        actions(tokyo),
        (
            vec!["arn:aws:sns:ap-northeast-1:111111111111:oncall".to_string()],
            Some("${literal} on tokyo".to_string())
        )
    );
    assert!(tokyo.template.is_none(), "every value was known");
    let osaka = by_target["osaka"];
    assert_eq!(
        actions(osaka).0,
        ["arn:aws:sns:ap-northeast-3:000000000000:oncall"]
    );
    assert!(osaka.template.is_some(), "the account is STS's to say");
    let facts = vars::TargetFacts {
        name: "osaka".into(),
        region: Some("ap-northeast-3".into()),
        account: Some("222222222222".into()),
    };
    let resolved = resolve_for_target(osaka, &facts).unwrap();
    assert_eq!(
        actions(&resolved).0,
        ["arn:aws:sns:ap-northeast-3:222222222222:oncall"]
    );
    assert!(resolved.template.is_none());
    assert_eq!(resolved.targets, ["osaka"]);
}

#[test]
fn vault_lock_policy_and_notifications_are_checked() {
    let errors = Repo::test()
        .doc(
            "BackupVault",
            "locked",
            "lock: {minRetentionDays: 30, maxRetentionDays: 7}\naccessPolicy: {Version: \"2012-10-17\"}\nnotifications: {snsTopicArn: \"arn:aws:sqs:us-east-1:111111111111:q\", events: [BACKUP_JOB_FAILED]}",
        )
        .errors();
    let all = errors.join("\n");
    assert!(
        all.contains("maxRetentionDays 7 is less than minRetentionDays 30"),
        "{all}"
    );
    assert!(all.contains("no `Statement`"), "{all}");
    assert!(all.contains("snsTopicArn must be an ARN"), "{all}");
    let structural = Repo::test()
        .doc(
            "BackupVault",
            "locked",
            "lock: {minRetentionDays: 7, changeableForDays: 2}\nnotifications: {snsTopicArn: \"arn:aws:sns:us-east-1:111111111111:t\", events: [BACKUP_JOB_EXPLODED]}",
        )
        .errors()
        .join("\n");
    assert!(
        structural.contains("`changeableForDays` must be at least 3"),
        "{structural}"
    );
    assert!(structural.contains("BACKUP_JOB_EXPLODED"), "{structural}");
    Repo::test()
        .doc(
            "BackupVault",
            "locked",
            "lock: {minRetentionDays: 7, maxRetentionDays: 365, changeableForDays: 3}\naccessPolicy:\n  Version: \"2012-10-17\"\n  Statement: [{Effect: Deny, Principal: \"*\", Action: \"backup:*\", Resource: \"*\"}]\nnotifications: {snsTopicArn: \"arn:aws:sns:us-east-1:111111111111:t\", events: [BACKUP_JOB_FAILED]}",
        )
        .ok();
}

#[test]
fn selection_conditions_and_advanced_settings_are_checked() {
    let errors = Repo::test()
        .doc("BackupVault", "vv", "{}")
        .doc(
            "BackupPlan",
            "p",
            "rules: [{name: d, targetVault: vv}]\nadvancedBackupSettings: [{resourceType: EC2, backupOptions: {WindowsVSS: \"en abled\"}}, {resourceType: EC2, backupOptions: {}}]\nselections:\n  - {name: s, iamRoleArn: \"arn:aws:iam::111111111111:role/r\", tags: {Env: prod}, conditions: {stringEquals: {Env: test}}, anyOfTags: {Tier: []}}",
        )
        .errors();
    let all = errors.join("\n");
    assert!(all.contains("resourceType `EC2` has two settings"), "{all}");
    assert!(all.contains("backupOptions is empty"), "{all}");
    assert!(all.contains("backup option value"), "{all}");
    assert!(
        all.contains("tag `Env` must equal both `prod` (tags) and `test`"),
        "{all}"
    );
    assert!(all.contains("anyOfTags `Tier` lists no values"), "{all}");
}

#[test]
fn default_tags_are_merged_under_the_specs_own() {
    let state = Repo::test()
        .file(
            "driftless.yaml",
            "defaults:\n  tags: {cost-center: \"1234\", team: platform}\n",
        )
        .doc("LogGroup", "/a", "tags: {team: web}")
        .doc(
            "LogRetentionPolicy",
            "p",
            "logGroupNamePrefix: /aws/\nretentionInDays: 14",
        )
        .ok();
    let ResourceSpec::LogGroup(group) = &state.resources[0].spec else {
        panic!("{:?}", state.resources[0]);
    };
    assert_eq!(group.tags["team"], "web");
    assert_eq!(group.tags["cost-center"], "1234");
}
