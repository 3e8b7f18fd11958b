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
