//! Snapshots of every renderer over a plan with every action and kind.

use serde_json::json;

use crate::plan::{Action, Change, FieldChange, Plan, TargetPlan};
use crate::spec::Kind;

fn change(
    target: &str,
    kind: Kind,
    name: &str,
    action: Action,
    fields: &[(&str, serde_json::Value, serde_json::Value)],
) -> Change {
    Change {
        target: target.into(),
        kind,
        name: name.into(),
        action,
        fields: fields
            .iter()
            .map(|(p, l, d)| FieldChange {
                path: (*p).into(),
                live: l.clone(),
                desired: d.clone(),
            })
            .collect(),
        drift: false,
        reason: None,
        adopt: false,
        report_only: false,
        changed_by: None,
        next_runs: Vec::new(),
        backtest: None,
        work: Default::default(),
    }
}

/// A plan with every action, every kind and sub-resources, in two targets.
pub(crate) fn sample() -> Plan {
    let mut tokyo = TargetPlan {
        noop: 7,
        ..TargetPlan::default()
    };
    tokyo.changes.push(change(
        "prod-tokyo",
        Kind::MetricAlarm,
        "web-cpu-high",
        Action::Create,
        &[
            (
                "comparisonOperator",
                json!(null),
                json!("GreaterThanThreshold"),
            ),
            ("threshold", json!(null), json!(80.0)),
        ],
    ));
    let mut drifted = change(
        "prod-tokyo",
        Kind::LogGroup,
        "/app/web",
        Action::Update,
        &[("retentionInDays", json!(60), json!(30))],
    );
    drifted.drift = true;
    tokyo.changes.push(drifted);
    tokyo.changes.push(change(
        "prod-tokyo",
        Kind::LogRetentionPolicy,
        "lambda-two-weeks",
        Action::Update,
        &[(
            "logGroups[\"/aws/lambda/a\"].retentionInDays",
            json!(null),
            json!(14),
        )],
    ));
    let mut replace = change(
        "prod-tokyo",
        Kind::PatchBaseline,
        "al2023-prod",
        Action::Replace,
        &[(
            "operatingSystem",
            json!("AMAZON_LINUX_2"),
            json!("AMAZON_LINUX_2023"),
        )],
    );
    replace.reason = Some("operatingSystem cannot change in place".into());
    tokyo.changes.push(replace);
    tokyo.changes.push(change(
        "prod-tokyo",
        Kind::PatchBaseline,
        "al2023-prod/patchGroups/prod-web",
        Action::Create,
        &[],
    ));
    tokyo.changes.push(change(
        "prod-tokyo",
        Kind::MaintenanceWindow,
        "prod-patch-tuesday/targets/prod-web",
        Action::Update,
        &[(
            "tags[\"Patch Group\"]",
            json!(["prod"]),
            json!(["prod-web"]),
        )],
    ));
    tokyo.changes.push(change(
        "prod-tokyo",
        Kind::MaintenanceWindow,
        "prod-patch-tuesday/tasks/old",
        Action::Delete,
        &[],
    ));
    let mut conflict = change(
        "prod-tokyo",
        Kind::BackupVault,
        "prod-vault",
        Action::Conflict,
        &[],
    );
    conflict.reason =
        Some("a BackupVault named `prod-vault` exists and is not managed by driftless".into());
    tokyo.changes.push(conflict);
    let mut adopt = change(
        "prod-tokyo",
        Kind::BackupPlan,
        "prod-daily",
        Action::Update,
        &[
            (
                "rules[daily].lifecycle.deleteAfterDays",
                json!(30),
                json!(365),
            ),
            (
                "tags[\"driftless.dev/managed-by\"]",
                json!(null),
                json!("driftless"),
            ),
        ],
    );
    adopt.adopt = true;
    tokyo.changes.push(adopt);
    tokyo.changes.push(change(
        "prod-tokyo",
        Kind::BackupPlan,
        "prod-daily/selections/tagged",
        Action::Replace,
        &[("tags.Backup", json!("weekly"), json!("daily"))],
    ));
    let mut osaka = TargetPlan {
        noop: 2,
        ..TargetPlan::default()
    };
    osaka.changes.push(change(
        "prod-osaka",
        Kind::LogGroup,
        "/app/old",
        Action::Delete,
        &[],
    ));
    let mut report = change(
        "prod-osaka",
        Kind::MetricAlarm,
        "web-5xx",
        Action::Update,
        &[("threshold", json!(20.0), json!(10.0))],
    );
    report.report_only = true;
    osaka.changes.push(report);
    osaka.would_delete_with_prune.push(change(
        "prod-osaka",
        Kind::BackupVault,
        "legacy-vault",
        Action::Delete,
        &[],
    ));
    osaka.warnings.push(
        "target `prod-osaka`: 12 deletes exceed --max-deletes 10; nothing will be deleted".into(),
    );
    Plan::new("9f1c2e7", vec![tokyo, osaka])
}

#[test]
fn text_plan() {
    insta::assert_snapshot!(super::text::render(
        &sample(),
        super::text::Style { color: false }
    ));
}

#[test]
fn text_plan_in_colour_marks_actions() {
    let text = super::text::render(&sample(), super::text::Style { color: true });
    assert!(
        text.contains("\x1b[32m  + MetricAlarm web-cpu-high\x1b[0m"),
        "{text}"
    );
    assert!(
        text.contains("\x1b[1;31m  ! BackupVault prod-vault\x1b[0m"),
        "{text}"
    );
}

#[test]
fn markdown_plan() {
    insta::assert_snapshot!(super::markdown::render(&sample()));
}

#[test]
fn json_plan() {
    insta::assert_snapshot!(super::json(&sample()));
}

#[test]
fn json_plan_has_the_cli_md_shape() {
    let v: serde_json::Value = serde_json::from_str(&super::json(&sample())).unwrap();
    assert_eq!(v["formatVersion"], 1);
    assert_eq!(v["revision"], "9f1c2e7");
    assert_eq!(
        v["summary"],
        json!({"create": 2, "update": 5, "replace": 2, "delete": 2, "conflict": 1, "noop": 9})
    );
    let first = &v["changes"][0];
    assert_eq!(first["target"], "prod-osaka");
    assert_eq!(
        (first["kind"].as_str(), first["action"].as_str()),
        (Some("MetricAlarm"), Some("update"))
    );
    assert_eq!(v["changes"][1]["action"], "delete");
    assert_eq!(first["drift"], false);
    let field = &v["changes"][2]["fields"][0];
    assert_eq!(field["path"], "comparisonOperator");
    assert_eq!(field["live"], json!(null));
}

#[test]
fn empty_plan_says_no_changes() {
    let plan = Plan::new(
        "abc",
        vec![TargetPlan {
            noop: 3,
            ..TargetPlan::default()
        }],
    );
    let text = super::text::render(&plan, super::text::Style { color: false });
    assert_eq!(text, "No changes. Live state matches abc.\n");
    assert!(super::markdown::render(&plan).contains("**No changes. Live state matches abc.**"));
}

#[test]
fn markdown_shows_guardrail_results() {
    use crate::spec::guardrail::{Enforcement, RuleName, RuleReport, Violation};
    let mut plan = sample();
    plan.guardrails = vec![
        RuleReport {
            rule: RuleName::CwLoggroupRetentionPeriodCheck,
            enforcement: Enforcement::Deny,
            evaluated: 3,
            non_compliant_resources: 0,
            non_compliant: Vec::new(),
        },
        RuleReport {
            rule: RuleName::RequiredTags,
            enforcement: Enforcement::Warn,
            evaluated: 2,
            non_compliant_resources: 1,
            non_compliant: vec![Violation {
                kind: Kind::MetricAlarm,
                name: "web-cpu-high".into(),
                location: "ops/alarms.yaml:5:1".into(),
                message: "tag `team` is missing".into(),
            }],
        },
    ];
    let md = super::markdown::render(&plan);
    let section = &md[md.find("#### Guardrails").expect("a guardrails section")..];
    insta::assert_snapshot!(section);
    assert!(!super::markdown::render(&sample()).contains("Guardrails"));
}

/// A repository's files in memory, parsed (it must be valid).
fn parsed(files: &[(&str, &str)]) -> crate::spec::DesiredState {
    let files: Vec<crate::spec::SourceFile> = files
        .iter()
        .map(|(name, text)| crate::spec::SourceFile {
            relative: (*name).into(),
            display: (*name).into(),
            text: (*text).into(),
        })
        .collect();
    crate::spec::parse(&files)
        .unwrap_or_else(|d| panic!("{}", crate::spec::diagnostic::render_text(&d)))
}

#[test]
fn markdown_guardrail_counts_are_resources_per_target_and_findings_are_listed_once() {
    let config = "targets:\n  - {name: a, region: us-east-1}\n  - {name: b, region: eu-west-1}\n\
        guardrails:\n  - rule: required-tags\n    parameters: {tag1Key: team, tag2Key: owner}\n    enforcement: warn\n";
    let doc = |name: &str, targets: &str, tags: &str| {
        format!("apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {{name: {name}, targets: [{targets}]}}\nspec: {{tags: {tags}}}\n")
    };
    let docs = [
        // One resource breaking the rule twice.
        doc("/x", "a", "{}"),
        // Per-target values: parsed once per target, one finding each, at one place.
        doc("/y", "a, b", "{team: \"${target.name}\"}"),
        // Two resources (one document, two targets), compliant.
        doc("/z", "a, b", "{team: web, owner: ops}"),
    ];
    let state = parsed(&[
        ("driftless.yaml", config),
        ("logs.yaml", &docs.join("---\n")),
    ]);
    let mut plan = sample();
    plan.guardrails = state.guardrails.clone();
    let md = super::markdown::render(&plan);
    assert!(md.contains("| `required-tags` | warn | 5 | 3 |"), "{md}");
    let listed = md.lines().filter(|l| l.starts_with("- :warning:")).count();
    assert_eq!(listed, 3, "{md}");
    let json: serde_json::Value = serde_json::from_str(&super::json(&plan)).unwrap();
    assert_eq!(json["guardrails"][0]["evaluated"], 5);
    assert_eq!(json["guardrails"][0]["nonCompliantResources"], 3);
}

#[test]
fn a_composite_rule_is_shown_as_written_not_in_its_canonical_spelling() {
    use crate::live::{Live, LiveTarget};
    use crate::spec::{context::OWNERSHIP_TAG, ResourceSpec};
    let doc = |name: &str, rule: &str| {
        format!("apiVersion: driftless.dev/v1\nkind: CompositeAlarm\nmetadata: {{name: {name}}}\nspec: {{alarmRule: '{rule}', externalAlarms: [cpu, mem, disk]}}\n")
    };
    let text = [
        doc("web", "ALARM(cpu) OR ALARM(mem)"),
        doc("new", "ALARM(cpu) and not OK(disk)"),
    ]
    .join("---\n");
    let state = parsed(&[("composites.yaml", &text)]);
    let ResourceSpec::CompositeAlarm(web) = &state.resources[0].spec else {
        panic!("{:?}", state.resources[0]);
    };
    // Live as AWS holds it: the rule as it was sent, another alarm named.
    let mut spec = web.clone();
    spec.alarm_rule = "ALARM(cpu) OR ALARM(disk)".into();
    spec.external_alarms.clear();
    spec.tags.insert(OWNERSHIP_TAG.into(), "driftless".into());
    let live = LiveTarget {
        composite_alarms: vec![Live {
            name: "web".into(),
            spec,
            arn: None,
            id: None,
            sub_ids: Default::default(),
            tags_known: true,
            unrepresented: Vec::new(),
        }],
        ..LiveTarget::default()
    };
    let options = crate::plan::PlanOptions {
        instance: "driftless".into(),
        prune: false,
        max_deletes: 10,
        allow_empty: false,
        last_applied: Default::default(),
        pending: Default::default(),
    };
    let resources: Vec<_> = state.resources.iter().collect();
    let target = crate::plan::plan_target("default", &resources, &live, &options);
    let plan = Plan::new("abc", vec![target]);
    let text = super::text::render(&plan, super::text::Style { color: false });
    assert!(
        text.contains(r#"alarmRule: "ALARM(cpu) OR ALARM(disk)" → "ALARM(cpu) OR ALARM(mem)""#),
        "{text}"
    );
    assert!(
        text.contains(r#"alarmRule: "ALARM(cpu) and not OK(disk)""#),
        "{text}"
    );
    let md = super::markdown::render(&plan);
    assert!(!md.contains("ALARM(\\\"cpu"), "{md}");
    assert!(md.contains("ALARM(cpu) OR ALARM(mem)"), "{md}");
}

#[test]
fn drift_attribution_in_text_markdown_and_json() {
    use crate::plan::ChangedBy;
    let mut plan = sample();
    let drifted = plan.changes.iter_mut().find(|c| c.drift).expect("a drift");
    drifted.changed_by = Some(ChangedBy {
        principal: "arn:aws:iam::111111111111:user/alice".into(),
        event_name: "PutRetentionPolicy".into(),
        event_time: "2026-11-30T09:15:00Z".into(),
        source_ip: "203.0.113.7".into(),
        user_agent: "aws-cli/2.15.0".into(),
    });
    let by = "(drift: changed outside git by arn:aws:iam::111111111111:user/alice, PutRetentionPolicy at 2026-11-30T09:15:00Z)";
    let text = super::text::render(&plan, super::text::Style { color: false });
    assert!(
        text.contains(&format!("~ LogGroup /app/web {by}")),
        "{text}"
    );
    let md = super::markdown::render(&plan);
    assert!(md.contains("drift: changed outside git by arn:aws:iam::111111111111:user/alice, PutRetentionPolicy at 2026-11-30T09:15:00Z"), "{md}");
    let v: serde_json::Value = serde_json::from_str(&super::json(&plan)).unwrap();
    let change = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["drift"] == true)
        .unwrap();
    assert_eq!(
        change["changedBy"],
        json!({"principal": "arn:aws:iam::111111111111:user/alice", "eventName": "PutRetentionPolicy",
               "eventTime": "2026-11-30T09:15:00Z", "sourceIp": "203.0.113.7", "userAgent": "aws-cli/2.15.0"})
    );
    let drifted = plan.changes.iter_mut().find(|c| c.drift).unwrap();
    drifted.changed_by = Some(ChangedBy::unknown());
    let text = super::text::render(&plan, super::text::Style { color: false });
    assert!(
        text.contains("~ LogGroup /app/web (drift: changed outside git by unknown)"),
        "{text}"
    );
    // Changes without drift never carry the key.
    assert!(v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["drift"] == false)
        .all(|c| c.get("changedBy").is_none()));
}

#[test]
fn audit_renderings() {
    use crate::audit::{Audit, Compliance, ResourceEvaluation};
    use crate::spec::guardrail::{Enforcement, RuleName};
    let eval = |target: &str, rule, kind, name: &str, why: &[&str], owned, spec: Option<&str>| {
        ResourceEvaluation {
            target: target.into(),
            rule,
            enforcement: if rule == RuleName::RequiredTags {
                Enforcement::Warn
            } else {
                Enforcement::Deny
            },
            kind,
            name: name.into(),
            arn: None,
            compliance: if why.is_empty() {
                Compliance::Compliant
            } else {
                Compliance::NonCompliant
            },
            annotations: why.iter().map(|s| s.to_string()).collect(),
            owned,
            spec: spec.map(str::to_string),
            config: None,
        }
    };
    let audit = Audit::new(
        "9f1c2e7",
        vec!["prod-osaka".into(), "prod-tokyo".into()],
        2,
        vec![
            eval(
                "prod-tokyo",
                RuleName::RequiredTags,
                Kind::MetricAlarm,
                "legacy-cpu",
                &["tag `team` is missing"],
                false,
                None,
            ),
            eval(
                "prod-tokyo",
                RuleName::CwLoggroupRetentionPeriodCheck,
                Kind::LogGroup,
                "/app/web",
                &[],
                true,
                Some("ops/logs.yaml:1"),
            ),
            eval(
                "prod-tokyo",
                RuleName::CwLoggroupRetentionPeriodCheck,
                Kind::LogGroup,
                "/legacy/app",
                &["retentionInDays 90 < minRetentionTime 365"],
                false,
                None,
            ),
            eval(
                "prod-tokyo",
                RuleName::CwLoggroupRetentionPeriodCheck,
                Kind::LogGroup,
                "/app/old",
                &[],
                true,
                None,
            ),
        ],
    );
    assert_eq!(audit.summary.compliant, 2);
    assert_eq!(audit.summary.non_compliant, 2);
    insta::assert_snapshot!("audit_text", super::audit::text(&audit));
    insta::assert_snapshot!("audit_markdown", super::audit::markdown(&audit));
    let v: serde_json::Value = serde_json::from_str(&super::audit::json(&audit)).unwrap();
    assert_eq!(v["evaluations"][0]["compliance"], "COMPLIANT");
    assert_eq!(v["summary"], json!({"compliant": 2, "nonCompliant": 2}));
}

#[test]
fn an_audit_target_that_failed_is_reported_in_every_format() {
    let mut audit = crate::audit::Audit::new(
        "9f1c2e7",
        vec!["prod-osaka".into(), "prod-tokyo".into()],
        1,
        Vec::new(),
    );
    audit.errors.push(crate::plan::TargetError {
        target: "prod-osaka".into(),
        message: "sts AssumeRole failed: access denied".into(),
        hint: Some("check the role's trust_policy".into()),
    });
    let text = super::audit::text(&audit);
    assert!(
        text.contains("target prod-osaka\n  error: sts AssumeRole failed: access denied\n    hint: check the role's trust_policy\n")
            && text.contains("target prod-tokyo\n")
            && text.contains("in 1 target.\n1 target failed and was not audited: prod-osaka.\n"),
        "{text}"
    );
    let md = super::audit::markdown(&audit);
    assert!(
        md.contains("**1 target failed and was not audited: prod-osaka.**")
            && md.contains(
                "> **error:** target `prod-osaka`: `sts AssumeRole failed: access denied`"
            )
            && md.contains("> hint: check the role's trust\\_policy")
            && !md.contains("#### target `prod-osaka`"),
        "{md}"
    );
    let v: serde_json::Value = serde_json::from_str(&super::audit::json(&audit)).unwrap();
    assert_eq!(
        v["errors"],
        json!([{"target": "prod-osaka", "message": "sts AssumeRole failed: access denied",
                "hint": "check the role's trust_policy"}])
    );
}

#[test]
fn a_failed_target_is_reported_in_every_format() {
    let mut plan = Plan::new(
        "abc",
        vec![TargetPlan {
            noop: 3,
            ..TargetPlan::default()
        }],
    );
    plan.errors.push(crate::plan::TargetError {
        target: "prod-osaka".into(),
        message: "sts AssumeRole failed: access denied".into(),
        hint: Some("check the role's trust policy".into()),
    });
    insta::assert_snapshot!(super::text::render(
        &plan,
        super::text::Style { color: false }
    ));
    insta::assert_snapshot!(super::markdown::render(&plan));
    let v: serde_json::Value = serde_json::from_str(&super::json(&plan)).unwrap();
    assert_eq!(
        v["errors"],
        json!([{"target": "prod-osaka", "message": "sts AssumeRole failed: access denied",
                "hint": "check the role's trust policy"}])
    );
}

/// A window whose update moves its schedule, and a backup plan created now: their
/// `nextRuns` in text, markdown and JSON.
#[test]
fn next_runs_in_text_markdown_and_json() {
    use crate::plan::NextRuns;
    let runs = |rule: &str, zone: &str, times: &[&str]| NextRuns {
        name: String::new(),
        rule: rule.into(),
        timezone: zone.into(),
        times: times.iter().map(|t| t.to_string()).collect(),
        approximate: false,
        before: None,
    };
    let mut target = TargetPlan::default();
    let mut window = change(
        "prod-tokyo",
        Kind::MaintenanceWindow,
        "patch-tuesday",
        Action::Update,
        &[(
            "schedule",
            json!("cron(0 3 ? * 2 *)"),
            json!("cron(0 3 ? * TUE#2 *)"),
        )],
    );
    let mut after = runs(
        "cron(0 3 ? * TUE#2 *)",
        "Asia/Tokyo",
        &["2026-01-13T03:00:00+09:00", "2026-02-10T03:00:00+09:00"],
    );
    after.name = "patch-tuesday".into();
    let mut before = runs(
        "cron(0 3 ? * 2 *)",
        "Asia/Tokyo",
        &["2026-01-12T03:00:00+09:00", "2026-01-19T03:00:00+09:00"],
    );
    before.name = "patch-tuesday".into();
    after.before = Some(Box::new(before));
    window.next_runs = vec![after];
    target.changes.push(window);
    let mut plan = change("prod-tokyo", Kind::BackupPlan, "daily", Action::Create, &[]);
    let mut nightly = runs("cron(0 18 ? * * *)", "Etc/UTC", &["2026-01-01T18:00:00Z"]);
    nightly.name = "nightly".into();
    plan.next_runs = vec![nightly];
    target.changes.push(plan);
    let plan = Plan::new("9f1c2e7", vec![target]);
    insta::assert_snapshot!(
        "next_runs_text",
        super::text::render(&plan, super::text::Style { color: false })
    );
    insta::assert_snapshot!("next_runs_markdown", super::markdown::render(&plan));
    insta::assert_snapshot!("next_runs_json", super::json(&plan));
}
