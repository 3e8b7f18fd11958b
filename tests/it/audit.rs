//! `driftless audit` end to end: the real binary against the emulator, with live
//! resources driftless does not own made through the SDK (an operator's console
//! clicks) next to ones it applied, each test in its own account.

use serde_json::Value;

use crate::fixtures::{create_log_group_keeping, put_cpu_alarm};
use crate::support::Repo;

const CONFIG: &str = "guardrails:
  - rule: cw-loggroup-retention-period-check
    parameters: {minRetentionTime: 365}
  - rule: cloudwatch-alarm-action-check
    parameters: {insufficientDataActionRequired: false}
  - rule: required-tags
    parameters: {tag1Key: team}
    kinds: [LogGroup]
    enforcement: warn
";

const OWNED: &str = "apiVersion: driftless.dev/v1
kind: LogGroup
metadata:
  name: /audit/owned
spec:
  retentionInDays: 400
  tags: {team: ops}
---
apiVersion: driftless.dev/v1
kind: MetricAlarm
metadata:
  name: audit-paged
spec:
  namespace: AWS/EC2
  metricName: CPUUtilization
  statistic: Average
  period: 300
  evaluationPeriods: 3
  threshold: 80
  comparisonOperator: GreaterThanThreshold
  alarmActions: ['arn:aws:sns:${target.region}:${target.accountId}:ops']
";

/// An unowned log group keeping events 90 days, and an unowned alarm without actions.
fn seed(repo: &Repo) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sdk = repo.sdk();
    rt.block_on(async {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
        create_log_group_keeping(&logs, "/legacy/app", 90).await;
        put_cpu_alarm(&aws_sdk_cloudwatch::Client::new(&sdk), "legacy-silent")
            .threshold(90.0)
            .send()
            .await
            .unwrap();
    });
}

/// (rule, name, compliance, owned) of every evaluation.
fn verdicts(v: &Value) -> Vec<(String, String, String, bool)> {
    v["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["rule"].as_str().unwrap().to_string(),
                e["name"].as_str().unwrap().to_string(),
                e["compliance"].as_str().unwrap().to_string(),
                e["owned"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn audit_reports_owned_and_unowned_resources_like_aws_config() {
    let repo = Repo::new(&[("driftless.yaml", CONFIG), ("ops.yaml", OWNED)]);
    repo.apply(&[]);
    seed(&repo);

    let run = repo.run(&["audit", "--output", "json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let v = run.json();
    let s = |a: &str, b: &str, c: &str, d: bool| (a.to_string(), b.to_string(), c.to_string(), d);
    assert_eq!(
        verdicts(&v),
        [
            s(
                "cw-loggroup-retention-period-check",
                "/audit/owned",
                "COMPLIANT",
                true
            ),
            s(
                "cw-loggroup-retention-period-check",
                "/legacy/app",
                "NON_COMPLIANT",
                false
            ),
            s(
                "cloudwatch-alarm-action-check",
                "audit-paged",
                "COMPLIANT",
                true
            ),
            s(
                "cloudwatch-alarm-action-check",
                "legacy-silent",
                "NON_COMPLIANT",
                false
            ),
            s("required-tags", "/audit/owned", "COMPLIANT", true),
            s("required-tags", "/legacy/app", "NON_COMPLIANT", false),
        ]
    );
    assert_eq!(
        v["summary"],
        serde_json::json!({"compliant": 3, "nonCompliant": 3})
    );
    let legacy = &v["evaluations"][1];
    assert_eq!(
        legacy["annotations"],
        serde_json::json!(["retentionInDays 90 < minRetentionTime 365"])
    );
    assert!(legacy.get("spec").is_none());
    // Owned resources point at their document.
    let owned = v["evaluations"][0]["spec"].as_str().unwrap();
    assert!(owned.ends_with("ops.yaml:1"), "{owned}");

    let text = repo.run(&["audit"]);
    assert_eq!(text.code, 2);
    assert!(
        text.stdout.contains(
            "    NON_COMPLIANT LogGroup /legacy/app: retentionInDays 90 < minRetentionTime 365 (not managed by driftless)"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("  required-tags (warn)\n"),
        "{}",
        text.stdout
    );
    assert!(text
        .stdout
        .ends_with("Audit: 3 compliant, 3 non-compliant in 1 target.\n"));
    let md = repo.run(&["audit", "--output", "markdown"]);
    assert_eq!(md.code, 2);
    assert!(
        md.stdout.contains("| `cloudwatch-alarm-action-check` | :x: NON_COMPLIANT | MetricAlarm `legacy-silent` | no alarmActions (alarmActionRequired is true) | not managed by driftless |"),
        "{}",
        md.stdout
    );
}

#[test]
fn audit_exits_0_when_everything_complies_and_reads_in_batches() {
    let repo = Repo::new(&[("driftless.yaml", CONFIG), ("ops.yaml", OWNED)]);
    repo.apply(&[]);
    let before = repo.calls();
    let run = repo.run(&["audit", "--output", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["summary"]["nonCompliant"], 0);
    let after = repo.calls();
    let made = |service: &str, op: &str| after.get(service, op) - before.get(service, op);
    // One tagging listing, one alarm listing, one log-group listing; no tag reads.
    assert_eq!(
        made("resourcegroupstaggingapi", "GetResources"),
        1,
        "{after:?}"
    );
    assert_eq!(made("cloudwatch", "DescribeAlarms"), 1, "{after:?}");
    assert_eq!(made("logs", "DescribeLogGroups"), 1, "{after:?}");
    assert_eq!(made("logs", "ListTagsForResource"), 0, "{after:?}");
    assert_eq!(made("cloudwatch", "ListTagsForResource"), 0, "{after:?}");
    let others =
        |a: &crate::emulator::CallCounts| a.service_total("ssm") + a.service_total("backup");
    assert_eq!(others(&after), others(&before));
}

#[test]
fn audit_refuses_an_invalid_revision_and_unknown_targets() {
    let repo = Repo::new(&[(
        "driftless.yaml",
        "guardrails:\n  - rule: cw-loggroup-retention-period-check\n    parameters: {minRetentionTme: 365}\n",
    )]);
    let run = repo.run(&["audit"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("driftless.yaml:3:18: error: unknown parameter `minRetentionTme`"),
        "{}",
        run.stderr
    );
    // Without guardrails there is nothing to audit, and no AWS call is made.
    let repo = Repo::new(&[("ops.yaml", OWNED)]);
    let run = repo.run(&["audit"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("driftless.yaml has no `guardrails`, so there is nothing to audit"),
        "{}",
        run.stdout
    );
    assert_eq!(repo.calls().total, 0);
    let repo = Repo::new(&[("driftless.yaml", CONFIG)]);
    let run = repo.run(&["audit", "--target", "prod"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("unknown target `prod`"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_plan_shows_guardrail_results_and_warnings_for_pull_requests() {
    let config = "guardrails:\n  - rule: cw-loggroup-retention-period-check\n    parameters: {minRetentionTime: 365}\n  - rule: required-tags\n    parameters: {tag1Key: cost-center}\n    enforcement: warn\n";
    let repo = Repo::new(&[("driftless.yaml", config), ("ops.yaml", OWNED)]);
    let md = repo.run(&["plan", "--output", "markdown"]);
    assert_eq!(md.code, 0, "{}\n{}", md.stdout, md.stderr);
    assert!(
        md.stdout
            .contains("| `cw-loggroup-retention-period-check` | deny | 1 | 0 |"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("| `required-tags` | warn | 2 | 2 |"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("- :warning: **LogGroup** `/audit/owned` breaks `required-tags`: tag `cost-center` is missing"),
        "{}",
        md.stdout
    );
    // The warnings go to stderr, with their locations.
    assert!(
        md.stderr.contains("ops.yaml:7:3: warning: LogGroup /audit/owned breaks required-tags: tag `cost-center` is missing"),
        "{}",
        md.stderr
    );
    let json = repo.run(&["plan", "--output", "json"]).json();
    assert_eq!(
        json["guardrails"][1]["nonCompliant"][0]["name"],
        "/audit/owned"
    );
}

#[test]
fn a_target_that_cannot_be_read_fails_alone_and_failure_wins_over_non_compliance() {
    // Fault rules are global: hold the lock the other fault tests take.
    let _serial = crate::smoke::GLOBAL_STATE.blocking_lock();
    let repo = Repo::new(&[]);
    let role_account = crate::emulator::TestAccount::new().account_id;
    let config = format!(
        "targets:\n  - {{name: good, region: {}}}\n  - {{name: broken, region: us-east-1, roleArn: \"arn:aws:iam::{role_account}:role/driftless\"}}\n{CONFIG}",
        repo.account.region
    );
    repo.write("driftless.yaml", &config);
    crate::fixtures::trusted_role(&role_account, "driftless", &repo.account.account_id, None);
    seed(&repo);
    // Only `broken` assumes a role: STS answers it 503 on every attempt.
    let faults = crate::emulator::Emulator::shared().scoped_faults(&serde_json::json!({
        "seed": 1,
        "rules": [{"service": "sts", "operation": "AssumeRole", "kind": "error503",
                   "account": repo.account.account_id}]
    }));
    let run = repo.run(&["audit", "--output", "json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let v = run.json();
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
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
    // `good` is audited all the same, its non-compliance included.
    assert!(
        verdicts(&v).contains(&(
            "cw-loggroup-retention-period-check".into(),
            "/legacy/app".into(),
            "NON_COMPLIANT".into(),
            false
        )),
        "{v}"
    );
    assert!(v["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["target"] == "good"));

    let text = repo.run(&["audit"]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains("target broken\n  error: ")
            && text
                .stdout
                .contains("Audit: 0 compliant, 3 non-compliant in 1 target.")
            && text
                .stdout
                .contains("1 target failed and was not audited: broken."),
        "{}",
        text.stdout
    );
    let md = repo.run(&["audit", "--output", "markdown"]);
    assert_eq!(md.code, 1);
    assert!(
        md.stdout.contains("> **error:** target `broken`")
            && md.stdout.contains("#### target `good`")
            && !md.stdout.contains("#### target `broken`"),
        "{}",
        md.stdout
    );

    // Once the role can be assumed, only the non-compliance is left: exit 2.
    drop(faults);
    let run = repo.run(&["audit", "--output", "json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["errors"], serde_json::json!([]));
}

/// The controller announces a live resource that starts to break a guardrail once,
/// and once when it complies again (`guardrailViolated`).
#[tokio::test(flavor = "multi_thread")]
async fn the_controller_announces_a_new_violation_once_and_its_end_once() {
    let sink = crate::notify::Sink::start().await;
    let repo = Repo::new(&[(
        "logs.yaml",
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /kept/app}\nspec: {retentionInDays: 400}\n",
    )]);
    let url_file = repo.state.path().join("slack-url");
    std::fs::write(&url_file, sink.url("/services/guardrails")).unwrap();
    repo.write(
        "driftless.yaml",
        &format!(
            "targets:\n  - name: main\n    region: {}\nguardrails:\n  - rule: cw-loggroup-retention-period-check\n    parameters: {{minRetentionTime: 365}}\nnotifications:\n  slack:\n    webhookUrlFile: {}\n  events: [guardrailViolated]\n",
            repo.account.region,
            url_file.display()
        ),
    );
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    let retention = |days: i32| {
        let logs = logs.clone();
        async move {
            logs.put_retention_policy()
                .log_group_name("/legacy/short")
                .retention_in_days(days)
                .send()
                .await
                .unwrap();
        }
    };
    logs.create_log_group()
        .log_group_name("/legacy/short")
        .send()
        .await
        .unwrap();
    retention(90).await;
    let once = || {
        let run = tokio::task::block_in_place(|| repo.run(&["run", "--once"]));
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    };
    once();
    let received = sink.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(
        received[0].body.contains("guardrail broken on main")
            && received[0]
                .body
                .contains("cw-loggroup-retention-period-check LogGroup//legacy/short"),
        "{}",
        received[0].body
    );
    // Still breaking it: nothing new.
    once();
    assert_eq!(sink.received().len(), 1, "{:?}", sink.received());
    // Fixed by hand: announced once as over.
    retention(400).await;
    once();
    let received = sink.received();
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(
        received[1].body.contains("guardrail met again on main"),
        "{}",
        received[1].body
    );
    once();
    assert_eq!(sink.received().len(), 2);
}

/// The README's guardrails example, taken from README.md, on an estate of one
/// resource complying and one not per rule: the verdicts it promises (an alarm paging
/// someone complies; AWS's default would also require an INSUFFICIENT_DATA action).
#[test]
fn the_readme_guardrails_example_gives_the_verdicts_it_promises() {
    let config = crate::support::readme_yaml("guardrails:");
    let repo = Repo::new(&[("driftless.yaml", &config)]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sdk = repo.sdk();
    let topic = crate::fixtures::topic(&repo.account, "ops");
    rt.block_on(async {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
        logs.create_log_group()
            .log_group_name("/readme/kept")
            .tags("team", "ops")
            .send()
            .await
            .unwrap();
        logs.put_retention_policy()
            .log_group_name("/readme/kept")
            .retention_in_days(400)
            .send()
            .await
            .unwrap();
        create_log_group_keeping(&logs, "/readme/short", 30).await;
        let cw = aws_sdk_cloudwatch::Client::new(&sdk);
        put_cpu_alarm(&cw, "readme-paged")
            .alarm_actions(&topic)
            .tags(crate::fixtures::cw_tag("team", "ops"))
            .send()
            .await
            .unwrap();
        put_cpu_alarm(&cw, "readme-silent").send().await.unwrap();
    });
    let run = repo.run(&["audit", "--output", "json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string(), false);
    let (retention, actions, tags) = (
        "cw-loggroup-retention-period-check",
        "cloudwatch-alarm-action-check",
        "required-tags",
    );
    assert_eq!(
        verdicts(&run.json()),
        [
            s(retention, "/readme/kept", "COMPLIANT"),
            s(retention, "/readme/short", "NON_COMPLIANT"),
            s(actions, "readme-paged", "COMPLIANT"),
            s(actions, "readme-silent", "NON_COMPLIANT"),
            s(tags, "readme-paged", "COMPLIANT"),
            s(tags, "readme-silent", "NON_COMPLIANT"),
            s(tags, "/readme/kept", "COMPLIANT"),
            s(tags, "/readme/short", "NON_COMPLIANT"),
        ]
    );
}
