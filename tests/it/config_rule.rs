//! ConfigRule end to end: the real binary against the emulator (moto's config rules
//! with its managed-rule catalogue, and the extension's remediation configurations).
//! Create, read back whole, no changes after apply, a change in git writes that field
//! only (the rule or its remediation, not both), a hand change is drift on exactly
//! that field and is put back, import round trip, delete with prune (remediation
//! first); bad input with its location and a suggestion.

use aws_sdk_config::types::{ConfigRule, RemediationConfiguration};
use serde_json::{json, Value};

use crate::import::{import, round_trip, text};
use crate::support::{changes, rt, Repo};

const RULE: &str = r#"apiVersion: driftless.dev/v1
kind: ConfigRule
metadata: {name: log-retention}
spec:
  description: log groups keep a year
  source: {owner: AWS, identifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK}
  inputParameters: {MinRetentionTime: 365}
  scope: {resourceTypes: ["AWS::Logs::LogGroup"]}
  maximumExecutionFrequency: TwentyFour_Hours
  remediation:
    targetId: AWSConfigRemediation-SetCloudWatchLogGroupRetention
    parameters:
      LogGroupName: {resourceValue: RESOURCE_ID}
      RetentionInDays: {staticValue: ["365"]}
    automatic: true
    maximumAutomaticAttempts: 3
    retryAttemptSeconds: 60
  tags: {team: ops}
"#;

const GUARD: &str = r#"apiVersion: driftless.dev/v1
kind: ConfigRule
metadata: {name: guard-retention}
spec:
  source:
    owner: CUSTOM_POLICY
    policyText: "rule retention { configuration.retentionInDays >= 365 }"
    messageTypes: [ConfigurationItemChangeNotification]
  scope: {tagKey: team, tagValue: ops}
"#;

fn describe(repo: &Repo, name: &str) -> Option<ConfigRule> {
    let cfg = aws_sdk_config::Client::new(&repo.sdk());
    let out = rt()
        .block_on(cfg.describe_config_rules().send())
        .expect("DescribeConfigRules");
    out.config_rules()
        .iter()
        .find(|r| r.config_rule_name() == Some(name))
        .cloned()
}

fn remediation(repo: &Repo, name: &str) -> Option<RemediationConfiguration> {
    let cfg = aws_sdk_config::Client::new(&repo.sdk());
    let out = rt()
        .block_on(
            cfg.describe_remediation_configurations()
                .config_rule_names(name)
                .send(),
        )
        .expect("DescribeRemediationConfigurations");
    out.remediation_configurations().first().cloned()
}

fn tags(repo: &Repo, arn: &str) -> Vec<(String, String)> {
    let cfg = aws_sdk_config::Client::new(&repo.sdk());
    let out = rt()
        .block_on(cfg.list_tags_for_resource().resource_arn(arn).send())
        .expect("ListTagsForResource");
    let mut tags: Vec<(String, String)> = out
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().into(), t.value().unwrap().into()))
        .collect();
    tags.sort();
    tags
}

fn one_change(repo: &Repo) -> Value {
    let run = repo.plan();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let plan = run.json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    c[0].clone()
}

fn written(repo: &Repo, op: &str, before: &crate::emulator::CallCounts) -> u64 {
    repo.calls().get("config", op) - before.get("config", op)
}

#[test]
fn config_rules_round_trip_drift_and_prune() {
    let repo = Repo::new(&[("rule.yaml", RULE), ("guard.yaml", GUARD)]);
    assert_eq!(repo.plan().code, 2);
    repo.apply(&[]);

    // Read back whole: the rule, its remediation, its tags.
    let r = describe(&repo, "log-retention").expect("created");
    let source = r.source().unwrap();
    assert_eq!(source.owner().as_str(), "AWS");
    assert_eq!(
        source.source_identifier(),
        Some("CW_LOGGROUP_RETENTION_PERIOD_CHECK")
    );
    let params: Value = serde_json::from_str(r.input_parameters().unwrap()).unwrap();
    assert_eq!(params, json!({"MinRetentionTime": "365"}));
    assert_eq!(
        r.scope().unwrap().compliance_resource_types(),
        ["AWS::Logs::LogGroup"]
    );
    assert_eq!(
        r.maximum_execution_frequency().map(|f| f.as_str()),
        Some("TwentyFour_Hours")
    );
    assert_eq!(r.description(), Some("log groups keep a year"));
    assert_eq!(
        tags(&repo, r.config_rule_arn().unwrap()),
        [
            ("driftless.dev/managed-by".into(), "driftless".into()),
            ("team".into(), "ops".into())
        ]
    );
    let rem = remediation(&repo, "log-retention").expect("remediation");
    assert_eq!(
        rem.target_id(),
        "AWSConfigRemediation-SetCloudWatchLogGroupRetention"
    );
    assert!(rem.automatic());
    assert_eq!(rem.maximum_automatic_attempts(), Some(3));
    assert_eq!(rem.retry_attempt_seconds(), Some(60));
    let p = rem.parameters().unwrap();
    assert_eq!(
        p["LogGroupName"].resource_value().unwrap().value().as_str(),
        "RESOURCE_ID"
    );
    assert_eq!(
        p["RetentionInDays"].static_value().unwrap().values(),
        ["365"]
    );
    let g = describe(&repo, "guard-retention").expect("guard rule");
    let policy = g.source().unwrap().custom_policy_details().unwrap();
    assert_eq!(policy.policy_runtime(), "guard-2.x.x");
    assert_eq!(g.scope().unwrap().tag_key(), Some("team"));
    assert_eq!(g.scope().unwrap().tag_value(), Some("ops"));

    // As applied: nothing to do.
    let again = repo.plan();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    // A change in git to the rule: that field, PutConfigRule only.
    repo.write(
        "rule.yaml",
        &RULE.replace("MinRetentionTime: 365", "MinRetentionTime: 400"),
    );
    let c = one_change(&repo);
    assert_eq!(
        c["fields"],
        json!([{"path": "inputParameters.MinRetentionTime", "live": "365", "desired": "400"}])
    );
    assert_eq!(c["drift"], false);
    let before = repo.calls();
    repo.apply(&[]);
    assert_eq!(written(&repo, "PutConfigRule", &before), 1);
    assert_eq!(written(&repo, "PutRemediationConfigurations", &before), 0);
    assert_eq!(repo.plan().code, 0);

    // A change in git to the remediation: PutRemediationConfigurations only.
    let edited = RULE
        .replace("MinRetentionTime: 365", "MinRetentionTime: 400")
        .replace("retryAttemptSeconds: 60", "retryAttemptSeconds: 120");
    repo.write("rule.yaml", &edited);
    let c = one_change(&repo);
    assert_eq!(
        c["fields"],
        json!([{"path": "remediation.retryAttemptSeconds", "live": 60, "desired": 120}])
    );
    let before = repo.calls();
    repo.apply(&[]);
    assert_eq!(written(&repo, "PutConfigRule", &before), 0);
    assert_eq!(written(&repo, "PutRemediationConfigurations", &before), 1);
    assert_eq!(
        remediation(&repo, "log-retention")
            .unwrap()
            .retry_attempt_seconds(),
        Some(120)
    );
    assert_eq!(repo.plan().code, 0);

    // By hand: the frequency changed in the console. Drift on exactly that field.
    let live = describe(&repo, "log-retention").unwrap();
    let changed = ConfigRule::builder()
        .config_rule_name("log-retention")
        .set_description(live.description().map(str::to_string))
        .set_source(live.source().cloned())
        .set_input_parameters(live.input_parameters().map(str::to_string))
        .set_scope(live.scope().cloned())
        .maximum_execution_frequency(aws_sdk_config::types::MaximumExecutionFrequency::SixHours)
        .build();
    let cfg = aws_sdk_config::Client::new(&repo.sdk());
    let tagged: Vec<aws_sdk_config::types::Tag> = tags(&repo, live.config_rule_arn().unwrap())
        .into_iter()
        .map(|(k, v)| {
            aws_sdk_config::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
        })
        .collect();
    rt().block_on(
        cfg.put_config_rule()
            .config_rule(changed)
            .set_tags(Some(tagged))
            .send(),
    )
    .expect("PutConfigRule by hand");
    let c = one_change(&repo);
    assert_eq!(c["drift"], true);
    assert_eq!(
        c["fields"],
        json!([{"path": "maximumExecutionFrequency", "live": "Six_Hours", "desired": "TwentyFour_Hours"}])
    );
    repo.apply(&[]);
    assert_eq!(
        describe(&repo, "log-retention")
            .unwrap()
            .maximum_execution_frequency()
            .map(|f| f.as_str()),
        Some("TwentyFour_Hours")
    );
    assert_eq!(repo.plan().code, 0);

    // Delete with prune: the remediation first, then the rule; the other rule stays.
    std::fs::remove_file(repo.dir.path().join("rule.yaml")).unwrap();
    let plan = repo.run(&["plan", "--prune", "--output", "json"]).json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(
        (c[0]["action"].as_str(), c[0]["name"].as_str()),
        (Some("delete"), Some("log-retention"))
    );
    let before = repo.calls();
    repo.apply(&["--prune"]);
    assert_eq!(written(&repo, "DeleteRemediationConfiguration", &before), 1);
    assert_eq!(written(&repo, "DeleteConfigRule", &before), 1);
    assert!(describe(&repo, "log-retention").is_none());
    assert!(remediation(&repo, "log-retention").is_none());
    assert!(describe(&repo, "guard-retention").is_some());
    assert_eq!(
        repo.run(&["plan", "--prune", "--detailed-exitcode"]).code,
        0
    );
}

#[test]
fn imported_config_rules_round_trip() {
    let repo = Repo::new(&[]);
    let cfg = aws_sdk_config::Client::new(&repo.sdk());
    let source = aws_sdk_config::types::Source::builder()
        .owner(aws_sdk_config::types::Owner::Aws)
        .source_identifier("CLOUDWATCH_ALARM_SETTINGS_CHECK")
        .build()
        .unwrap();
    let rule = ConfigRule::builder()
        .config_rule_name("alarm-settings")
        .source(source)
        .input_parameters(r#"{"metricName":"CPUUtilization","period":"60"}"#)
        .build();
    rt().block_on(async {
        cfg.put_config_rule()
            .config_rule(rule)
            .tags(
                aws_sdk_config::types::Tag::builder()
                    .key("team")
                    .value("web")
                    .build(),
            )
            .send()
            .await
            .expect("PutConfigRule");
        let remediation = RemediationConfiguration::builder()
            .config_rule_name("alarm-settings")
            .target_type(aws_sdk_config::types::RemediationTargetType::SsmDocument)
            .target_id("AWS-PublishSNSNotification")
            .parameters(
                "Message",
                aws_sdk_config::types::RemediationParameterValue::builder()
                    .static_value(
                        aws_sdk_config::types::StaticValue::builder()
                            .values("alarm settings")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
            .unwrap();
        cfg.put_remediation_configurations()
            .remediation_configurations(remediation)
            .send()
            .await
            .expect("PutRemediationConfigurations");
    });
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "ConfigRule"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = text(&dir, "config-rules.yaml");
    assert!(doc.contains("CLOUDWATCH_ALARM_SETTINGS_CHECK"), "{doc}");
    assert!(doc.contains("AWS-PublishSNSNotification"), "{doc}");
    assert_eq!(round_trip(&repo, &dir), ["alarm-settings"], "{doc}");
    let rule = describe(&repo, "alarm-settings").unwrap();
    assert_eq!(
        tags(&repo, rule.config_rule_arn().unwrap()),
        [
            ("driftless.dev/managed-by".into(), "driftless".into()),
            ("team".into(), "web".into())
        ]
    );
    assert!(remediation(&repo, "alarm-settings").is_some());
}

/// `validate` of one ConfigRule document: its error lines and hints.
fn invalid(spec: &str) -> String {
    let doc = format!(
        "apiVersion: driftless.dev/v1\nkind: ConfigRule\nmetadata: {{name: bad}}\nspec:\n{spec}"
    );
    let repo = Repo::new(&[("bad.yaml", doc.as_str())]);
    let dir = repo.dir.path().to_string_lossy().into_owned();
    let run = repo.run_bare(&["validate", &dir]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    run.stderr
}

#[test]
fn bad_config_rules_are_located_with_a_suggestion() {
    let unknown =
        invalid("  source: {owner: AWS, identifier: CW_LOGGROUP_RETENTION_PERIOD_CHEK}\n");
    assert!(
        unknown.contains("bad.yaml:5:36: error: `CW_LOGGROUP_RETENTION_PERIOD_CHEK` is not an AWS Config managed rule"),
        "{unknown}"
    );
    assert!(
        unknown.contains("did you mean `CW_LOGGROUP_RETENTION_PERIOD_CHECK`?"),
        "{unknown}"
    );

    let param = invalid(
        "  source: {owner: AWS, identifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK}\n  inputParameters: {minRetentionTime: 365}\n",
    );
    assert!(
        param.contains("bad.yaml:6:21: error: CW_LOGGROUP_RETENTION_PERIOD_CHECK has no parameter `minRetentionTime`"),
        "{param}"
    );
    assert!(
        param.contains("did you mean `MinRetentionTime`?"),
        "{param}"
    );

    let typed = invalid(
        "  source: {owner: AWS, identifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK}\n  inputParameters: {MinRetentionTime: a year}\n",
    );
    assert!(
        typed.contains("error: `MinRetentionTime` is a whole number, not `a year`"),
        "{typed}"
    );

    let required = invalid("  source: {owner: AWS, identifier: CLOUDWATCH_ALARM_SETTINGS_CHECK}\n");
    assert!(
        required
            .contains("error: CLOUDWATCH_ALARM_SETTINGS_CHECK needs the parameter `metricName`"),
        "{required}"
    );

    let orphan = invalid(
        "  remediation:\n    targetId: AWSConfigRemediation-SetCloudWatchLogGroupRetention\n",
    );
    assert!(
        orphan.contains("bad.yaml:5:3: error: a remediation without its rule"),
        "{orphan}"
    );
    assert!(orphan.contains("add the rule's `source`"), "{orphan}");
}

const DEPLOYED: &str = "guardrails:
  - rule: cw-loggroup-retention-period-check
    parameters: {minRetentionTime: 365}
    deploy: true
  - rule: cloudwatch-alarm-action-check
    parameters: {insufficientDataActionRequired: false}
    deploy: true
  - rule: required-tags
    parameters: {tag1Key: team}
    kinds: [LogGroup]
    enforcement: warn
";

const GROUP: &str = "apiVersion: driftless.dev/v1
kind: LogGroup
metadata: {name: /deployed/owned}
spec: {retentionInDays: 400, tags: {team: ops}}
";

/// A recording configuration recorder (AWS Config evaluates only while one records).
fn record(repo: &Repo) {
    let sdk = repo.sdk();
    let bucket = crate::config_recorder::bucket(repo, "config");
    rt().block_on(async {
        let cfg = aws_sdk_config::Client::new(&sdk);
        let group = aws_sdk_config::types::RecordingGroup::builder()
            .all_supported(true)
            .build();
        let recorder = aws_sdk_config::types::ConfigurationRecorder::builder()
            .name("default")
            .role_arn(format!(
                "arn:aws:iam::{}:role/config",
                repo.account.account_id
            ))
            .recording_group(group)
            .build();
        cfg.put_configuration_recorder()
            .configuration_recorder(recorder)
            .send()
            .await
            .expect("PutConfigurationRecorder");
        let channel = aws_sdk_config::types::DeliveryChannel::builder()
            .name("default")
            .s3_bucket_name(&bucket)
            .build();
        cfg.put_delivery_channel()
            .delivery_channel(channel)
            .send()
            .await
            .expect("PutDeliveryChannel");
        cfg.start_configuration_recorder()
            .configuration_recorder_name("default")
            .send()
            .await
            .expect("StartConfigurationRecorder");
    });
}

#[test]
fn deployed_guardrails_are_aws_config_rules_and_audit_agrees_with_aws_config() {
    let repo = Repo::new(&[("driftless.yaml", DEPLOYED), ("logs.yaml", GROUP)]);
    let plan = repo.plan().json();
    let rules: Vec<String> = changes(&plan)
        .iter()
        .filter(|c| c["kind"] == "ConfigRule")
        .map(|c| {
            format!(
                "{} {}",
                c["action"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            "create cloudwatch-alarm-action-check",
            "create cw-loggroup-retention-period-check"
        ],
        "{plan}"
    );
    repo.apply(&[]);

    // AWS's identifiers and parameter spelling; required parameters AWS's defaults.
    let retention = describe(&repo, "cw-loggroup-retention-period-check").expect("deployed");
    assert_eq!(
        retention.source().unwrap().source_identifier(),
        Some("CW_LOGGROUP_RETENTION_PERIOD_CHECK")
    );
    let params: Value = serde_json::from_str(retention.input_parameters().unwrap()).unwrap();
    assert_eq!(params, json!({"MinRetentionTime": "365"}));
    assert_eq!(
        retention.scope().unwrap().compliance_resource_types(),
        ["AWS::Logs::LogGroup"]
    );
    let actions = describe(&repo, "cloudwatch-alarm-action-check").expect("deployed");
    assert_eq!(
        actions.source().unwrap().source_identifier(),
        Some("CLOUDWATCH_ALARM_ACTION_CHECK")
    );
    let params: Value = serde_json::from_str(actions.input_parameters().unwrap()).unwrap();
    assert_eq!(
        params,
        json!({"alarmActionRequired": "true", "insufficientDataActionRequired": "false", "okActionRequired": "false"})
    );
    assert!(describe(&repo, "required-tags").is_none(), "not deployed");
    assert_eq!(
        repo.plan().code,
        0,
        "the deployed rules read back as planned"
    );

    // An operator's group keeping 90 days; AWS Config records and evaluates.
    rt().block_on(crate::fixtures::create_log_group_keeping(
        &aws_sdk_cloudwatchlogs::Client::new(&repo.sdk()),
        "/deployed/legacy",
        90,
    ));
    record(&repo);
    let run = repo.run(&["audit", "--config-results", "--output", "json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let audit = run.json();
    let verdict = |rule: &str, name: &str| -> (String, Value) {
        let e = audit["evaluations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["rule"] == rule && e["name"] == name)
            .unwrap_or_else(|| panic!("{rule} {name}: {audit}"));
        (
            e["compliance"].as_str().unwrap().to_string(),
            e["config"].clone(),
        )
    };
    let rule = "cw-loggroup-retention-period-check";
    assert_eq!(
        verdict(rule, "/deployed/legacy"),
        ("NON_COMPLIANT".to_string(), json!("NON_COMPLIANT"))
    );
    assert_eq!(
        verdict(rule, "/deployed/owned"),
        ("COMPLIANT".to_string(), json!("COMPLIANT"))
    );
    let (_, not_deployed) = verdict("required-tags", "/deployed/owned");
    assert_eq!(not_deployed, Value::Null, "no AWS Config rule behind it");
    assert_eq!(audit["disagreements"], json!([]), "{audit}");
}
