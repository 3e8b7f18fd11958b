//! ConformancePack end to end: the real binary against the emulator (its conformance
//! packs deploy their rules through moto's PutConfigRule). Create (a template in the
//! document and one in a file of the repository), read back whole, no changes after
//! apply, a template reformatted is no change, a change in git writes the pack only,
//! a hand change of the pack's rules (AWS lets them change through the pack only) is
//! drift on those rules and is put back, import round trip, delete with prune (a pack
//! driftless does not own stays), and bad input with locations and suggestions.

use aws_sdk_config::types::{ConfigRule, ConformancePackInputParameter, Tag};
use serde_json::{json, Value};

use crate::import::{import, round_trip, text};
use crate::support::{changes, rt, writes, Repo};

const INLINE: &str = r#"apiVersion: driftless.dev/v1
kind: ConformancePack
metadata: {name: inline-pack}
spec:
  template:
    Parameters:
      Days: {Type: String, Default: "365"}
    Resources:
      LogRetention:
        Type: AWS::Config::ConfigRule
        Properties:
          ConfigRuleName: log-retention
          Source: {Owner: AWS, SourceIdentifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK}
          InputParameters: {MinRetentionTime: {Ref: Days}}
          Scope: {ComplianceResourceTypes: ["AWS::Logs::LogGroup"]}
  inputParameters: {Days: 400}
  deliveryS3Bucket: awsconfigconforms-ops
  deliveryS3KeyPrefix: packs
  tags: {team: ops}
"#;

const FROM_FILE: &str = r#"apiVersion: driftless.dev/v1
kind: ConformancePack
metadata: {name: file-pack}
spec:
  templateFile: packs/alarms.yaml
"#;

const TEMPLATE: &str = r#"# alarms keep their actions
Resources:
  AlarmActions:
    Type: AWS::Config::ConfigRule
    Properties:
      ConfigRuleName: alarm-actions
      Source: {Owner: AWS, SourceIdentifier: CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK}
      Scope: {ComplianceResourceTypes: ["AWS::CloudWatch::Alarm"]}
  AlarmSettings:
    Type: AWS::Config::ConfigRule
    Properties:
      ConfigRuleName: alarm-settings
      Source: {Owner: AWS, SourceIdentifier: CLOUDWATCH_ALARM_SETTINGS_CHECK}
      InputParameters: {metricName: CPUUtilization, period: 60}
"#;

/// The same template written otherwise: JSON flow style, other key order, quotes,
/// no comment. The same value.
const TEMPLATE_REFORMATTED: &str = r#"{"Resources": {
  "AlarmSettings": {"Properties": {"InputParameters": {"period": "60", "metricName": "CPUUtilization"},
                    "Source": {"SourceIdentifier": "CLOUDWATCH_ALARM_SETTINGS_CHECK", "Owner": "AWS"},
                    "ConfigRuleName": "alarm-settings"},
                    "Type": "AWS::Config::ConfigRule"},
  "AlarmActions": {"Type": "AWS::Config::ConfigRule", "Properties": {
                    "ConfigRuleName": "alarm-actions",
                    "Scope": {"ComplianceResourceTypes": ["AWS::CloudWatch::Alarm"]},
                    "Source": {"Owner": "AWS", "SourceIdentifier": "CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK"}}}}}
"#;

fn cfg(repo: &Repo) -> aws_sdk_config::Client {
    aws_sdk_config::Client::new(&repo.sdk())
}

/// The pack's details, if it exists.
fn pack(repo: &Repo, name: &str) -> Option<aws_sdk_config::types::ConformancePackDetail> {
    let out = rt()
        .block_on(cfg(repo).describe_conformance_packs().send())
        .expect("DescribeConformancePacks");
    out.conformance_pack_details()
        .iter()
        .find(|p| p.conformance_pack_name() == name)
        .cloned()
}

/// The rules a pack deployed, by the name its template gave them.
fn rules(repo: &Repo, name: &str) -> Vec<(String, ConfigRule)> {
    let c = cfg(repo);
    rt().block_on(async {
        let listed = c
            .describe_conformance_pack_compliance()
            .conformance_pack_name(name)
            .send()
            .await
            .expect("DescribeConformancePackCompliance");
        let names: Vec<String> = listed
            .conformance_pack_rule_compliance_list()
            .iter()
            .map(|r| r.config_rule_name().unwrap().to_string())
            .collect();
        let out = c
            .describe_config_rules()
            .set_config_rule_names(Some(names))
            .send()
            .await
            .expect("DescribeConfigRules");
        let mut rules: Vec<(String, ConfigRule)> = out
            .config_rules()
            .iter()
            .map(|r| {
                let full = r.config_rule_name().unwrap();
                let short = full.split("-conformance-pack-").next().unwrap();
                (short.to_string(), r.clone())
            })
            .collect();
        rules.sort_by(|a, b| a.0.cmp(&b.0));
        rules
    })
}

fn params(rule: &ConfigRule) -> Value {
    serde_json::from_str(rule.input_parameters().unwrap_or("{}")).unwrap()
}

fn tags(repo: &Repo, arn: &str) -> Vec<(String, String)> {
    let out = rt()
        .block_on(cfg(repo).list_tags_for_resource().resource_arn(arn).send())
        .expect("ListTagsForResource");
    let mut t: Vec<(String, String)> = out
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().into(), t.value().unwrap_or("").into()))
        .collect();
    t.sort();
    t
}

/// PutConformancePack by hand (the console's "Edit"): `body`, no inputs.
fn put_by_hand(repo: &Repo, name: &str, body: &str) {
    rt().block_on(
        cfg(repo)
            .put_conformance_pack()
            .conformance_pack_name(name)
            .template_body(body)
            .send(),
    )
    .expect("PutConformancePack by hand");
}

fn one_change(repo: &Repo) -> Value {
    let run = repo.plan();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let plan = run.json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    c[0].clone()
}

fn paths(change: &Value) -> Vec<String> {
    change["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

fn created_and_read_back(repo: &Repo) {
    assert_eq!(repo.plan().code, 2);
    let w = repo.apply_writes(&[]);
    assert_eq!(
        w,
        [("config:PutConformancePack".to_string(), 2)].into(),
        "tags go with the create"
    );

    let inline = pack(repo, "inline-pack").expect("inline-pack exists");
    assert_eq!(inline.delivery_s3_bucket(), Some("awsconfigconforms-ops"));
    assert_eq!(inline.delivery_s3_key_prefix(), Some("packs"));
    let inputs: Vec<(&str, &str)> = inline
        .conformance_pack_input_parameters()
        .iter()
        .map(|p| (p.parameter_name(), p.parameter_value()))
        .collect();
    assert_eq!(inputs, [("Days", "400")]);
    assert_eq!(
        tags(repo, inline.conformance_pack_arn()),
        [
            ("driftless.dev/managed-by".into(), "driftless".into()),
            ("team".into(), "ops".into())
        ]
    );
    let r = rules(repo, "inline-pack");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "log-retention");
    assert_eq!(params(&r[0].1), json!({"MinRetentionTime": "400"}));
    assert_eq!(r[0].1.created_by(), Some("config-conforms.amazonaws.com"));
    // The template file's rules.
    let names: Vec<String> = rules(repo, "file-pack").into_iter().map(|r| r.0).collect();
    assert_eq!(names, ["alarm-actions", "alarm-settings"]);

    let again = repo.plan();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

#[test]
fn conformance_packs_round_trip_drift_and_prune() {
    let repo = Repo::new(&[
        ("inline.yaml", INLINE),
        ("file.yaml", FROM_FILE),
        ("packs/alarms.yaml", TEMPLATE),
    ]);
    created_and_read_back(&repo);

    // The template file written otherwise, the same value: nothing to do.
    repo.write("packs/alarms.yaml", TEMPLATE_REFORMATTED);
    let same = repo.plan();
    assert_eq!(same.code, 0, "{}\n{}", same.stdout, same.stderr);

    // A change in git to an input: the input and the rule it reaches, one put.
    repo.write("inline.yaml", &INLINE.replace("{Days: 400}", "{Days: 500}"));
    let c = one_change(&repo);
    assert_eq!(
        (c["name"].as_str(), c["drift"].as_bool()),
        (Some("inline-pack"), Some(false))
    );
    assert_eq!(
        paths(&c),
        [
            "inputParameters.Days",
            "rules[\"log-retention\"].InputParameters.MinRetentionTime"
        ],
        "{c}"
    );
    assert_eq!(
        repo.apply_writes(&[]),
        [("config:PutConformancePack".to_string(), 1)].into()
    );
    assert_eq!(
        params(&rules(&repo, "inline-pack")[0].1),
        json!({"MinRetentionTime": "500"})
    );
    assert_eq!(repo.plan().code, 0);

    // A change in the template file: that rule, one put of that pack.
    repo.write(
        "packs/alarms.yaml",
        &TEMPLATE.replace("period: 60", "period: 300"),
    );
    let c = one_change(&repo);
    assert_eq!(c["name"], "file-pack");
    assert_eq!(
        c["fields"],
        json!([{"path": "rules[\"alarm-settings\"].InputParameters.period", "live": "60", "desired": "300"}])
    );
    assert_eq!(
        repo.apply_writes(&[]),
        [("config:PutConformancePack".to_string(), 1)].into()
    );
    assert_eq!(repo.plan().code, 0);

    hand_changes_are_put_back(&repo);
    prune_keeps_what_is_not_owned(&repo);
}

/// A pack's rules change only through the pack (AWS refuses PutConfigRule on them):
/// the pack put again by hand with one rule changed and one left out.
fn hand_changes_are_put_back(repo: &Repo) {
    let (_, settings) = rules(repo, "file-pack").remove(1);
    let refused = rt().block_on(
        cfg(repo)
            .put_config_rule()
            .config_rule(
                ConfigRule::builder()
                    .config_rule_name(settings.config_rule_name().unwrap())
                    .set_source(settings.source().cloned())
                    .input_parameters(r#"{"metricName":"CPUUtilization","period":"900"}"#)
                    .build(),
            )
            .send(),
    );
    let code = refused
        .expect_err("a pack's rule is service-linked")
        .into_service_error();
    assert_eq!(
        aws_sdk_config::error::ProvideErrorMetadata::code(&code),
        Some("AccessDeniedException")
    );

    let edited = "Resources:\n  AlarmSettings:\n    Type: AWS::Config::ConfigRule\n    Properties:\n      ConfigRuleName: alarm-settings\n      Source: {Owner: AWS, SourceIdentifier: CLOUDWATCH_ALARM_SETTINGS_CHECK}\n      InputParameters: {metricName: CPUUtilization, period: 900}\n";
    put_by_hand(repo, "file-pack", edited);
    let c = one_change(repo);
    assert_eq!(
        (c["name"].as_str(), c["drift"].as_bool()),
        (Some("file-pack"), Some(true))
    );
    assert_eq!(
        paths(&c),
        [
            "rules[\"alarm-actions\"].Scope.ComplianceResourceTypes",
            "rules[\"alarm-actions\"].Source.Owner",
            "rules[\"alarm-actions\"].Source.SourceIdentifier",
            "rules[\"alarm-settings\"].InputParameters.period"
        ],
        "{c}"
    );
    assert_eq!(
        repo.apply_writes(&[]),
        [("config:PutConformancePack".to_string(), 1)].into()
    );
    let back = rules(repo, "file-pack");
    assert_eq!(back.len(), 2);
    assert_eq!(
        params(&back[1].1),
        json!({"metricName": "CPUUtilization", "period": "300"})
    );
    assert_eq!(repo.plan().code, 0);
}

fn prune_keeps_what_is_not_owned(repo: &Repo) {
    put_by_hand(repo, "their-pack", TEMPLATE);
    for f in ["inline.yaml", "file.yaml", "packs/alarms.yaml"] {
        std::fs::remove_file(repo.dir.path().join(f)).unwrap();
    }
    repo.write(
        "other.yaml",
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /pack/keep}\nspec: {}\n",
    );
    let (deletes, plan) = crate::support::pruned(repo);
    assert_eq!(deletes, ["file-pack", "inline-pack"], "{plan}");
    let before = repo.calls();
    repo.apply(&["--prune"]);
    let w = writes(&before, &repo.calls());
    assert_eq!(w.get("config:DeleteConformancePack"), Some(&2), "{w:?}");
    assert!(pack(repo, "inline-pack").is_none());
    assert!(pack(repo, "file-pack").is_none());
    assert!(pack(repo, "their-pack").is_some());
    assert_eq!(
        repo.run(&["plan", "--prune", "--detailed-exitcode"]).code,
        0
    );
}

/// A pack made by hand (a template with a parameter) is imported as a template of the
/// rules it deployed, adopted by tagging only, and plans as no change after.
#[test]
fn imported_conformance_packs_round_trip() {
    let repo = Repo::new(&[]);
    let body = "Parameters:\n  Days: {Type: String, Default: \"365\"}\nResources:\n  R:\n    Type: AWS::Config::ConfigRule\n    Properties:\n      ConfigRuleName: hand-retention\n      Source: {Owner: AWS, SourceIdentifier: CW_LOGGROUP_RETENTION_PERIOD_CHECK}\n      InputParameters: {MinRetentionTime: {Ref: Days}}\n      MaximumExecutionFrequency: Six_Hours\n";
    rt().block_on(
        cfg(&repo)
            .put_conformance_pack()
            .conformance_pack_name("hand-pack")
            .template_body(body)
            .conformance_pack_input_parameters(
                ConformancePackInputParameter::builder()
                    .parameter_name("Days")
                    .parameter_value("730")
                    .build()
                    .unwrap(),
            )
            .tags(Tag::builder().key("team").value("sec").build())
            .send(),
    )
    .expect("PutConformancePack");
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let run = import(&repo, &dir, &["--kinds", "ConformancePack"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = text(&dir, "conformance-packs.yaml");
    assert!(doc.contains("ConfigRuleName: hand-retention"), "{doc}");
    assert!(doc.contains("HandRetention:"), "{doc}");
    assert_eq!(round_trip(&repo, &dir), ["hand-pack"], "{doc}");
    let arn = pack(&repo, "hand-pack")
        .unwrap()
        .conformance_pack_arn()
        .to_string();
    assert_eq!(
        tags(&repo, &arn),
        [
            ("driftless.dev/managed-by".into(), "driftless".into()),
            ("team".into(), "sec".into())
        ]
    );
    // The pack's rules are the pack's: not imported as rules of their own.
    let rules_dir = out.path().join("rules");
    let run = import(&repo, &rules_dir, &["--kinds", "ConfigRule"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let imported = std::fs::read_to_string(rules_dir.join("config-rules.yaml")).unwrap_or_default();
    assert!(!imported.contains("hand-retention"), "{imported}");
    // The rules are as they were: the round trip made no put.
    assert_eq!(
        params(&rules(&repo, "hand-pack")[0].1),
        json!({"MinRetentionTime": "730"})
    );
}

#[test]
fn bad_conformance_packs_are_located_with_suggestions() {
    let repo = Repo::new(&[
        (
            "bad.yaml",
            "apiVersion: driftless.dev/v1\nkind: ConformancePack\nmetadata: {name: missing-file}\nspec:\n  templateFile: packs/day.yaml\n---\napiVersion: driftless.dev/v1\nkind: ConformancePack\nmetadata: {name: not-a-mapping}\nspec:\n  template: [a, b]\n---\napiVersion: driftless.dev/v1\nkind: ConformancePack\nmetadata: {name: undeclared}\nspec:\n  templateFile: packs/days.yaml\n  inputParameters: {Dayz: 1}\n",
        ),
        (
            "packs/days.yaml",
            "Parameters:\n  Days: {Type: String, Default: \"1\"}\nResources:\n  R:\n    Type: AWS::Config::ConfigRul\n    Properties: {Source: {Owner: AWS, SourceIdentifier: X}}\n",
        ),
    ]);
    let run = repo.run_bare(&["validate", &repo.dir.path().to_string_lossy()]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let err = run.stderr;
    let at = |file: &str| repo.dir.path().join(file).to_string_lossy().into_owned();
    // (file:line:column, what, hint): each on its lines of the output.
    for (file, pos, what, hint) in [
        (
            "bad.yaml",
            "5:17",
            "no file `packs/day.yaml` in the repository",
            "did you mean `packs/days.yaml`?",
        ),
        (
            "bad.yaml",
            "11:3",
            "the conformance pack template is not a mapping",
            "a template is a mapping with `Resources`",
        ),
        (
            "bad.yaml",
            "18:21",
            "the template declares no parameter `Dayz`",
            "did you mean `Days`?",
        ),
        (
            "packs/days.yaml",
            "5:11",
            "`AWS::Config::ConfigRul` is not a conformance pack resource type",
            "did you mean `AWS::Config::ConfigRule`?",
        ),
    ] {
        let prefix = format!("{}:{pos}: error: {what}", at(file));
        let line = err.lines().position(|l| l.starts_with(&prefix));
        let Some(i) = line else {
            panic!("missing {prefix:?} in:\n{err}");
        };
        let next: String = err.lines().skip(i).take(4).collect::<Vec<_>>().join("\n");
        assert!(
            next.contains(hint),
            "no hint {hint:?} after {prefix:?} in:\n{err}"
        );
    }
}
