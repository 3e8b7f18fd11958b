//! CompositeAlarm end to end: the real binary against the emulator (which refuses a
//! rule naming a missing alarm and the delete of an alarm a composite names, as AWS
//! does), so the apply order is checked by AWS's own refusals. Create, read back
//! whole, no changes after apply, a change in git writes that field only, an
//! out-of-band change is drift on exactly that field and is put back, and pruning
//! deletes composites before the alarms they name.

use aws_sdk_cloudwatch::types::{AlarmType, CompositeAlarm};
use serde_json::{json, Value};

use std::collections::{BTreeMap, BTreeSet};

use driftless::aws::{cloudwatch, Clients};
use driftless::spec::composite_alarm::ActionsSuppressor;

use crate::emulator::{Emulator, TestAccount};
use crate::fixtures::put_cpu_alarm;
use crate::support::Repo;

const METRIC: &str = r#"apiVersion: driftless.dev/v1
kind: MetricAlarm
metadata: {name: ca-NAME}
spec: {namespace: AWS/EC2, metricName: CPUUtilization, statistic: Average, period: 60, evaluationPeriods: 1, threshold: 80, comparisonOperator: GreaterThanThreshold}
"#;

const LOW: &str = r#"apiVersion: driftless.dev/v1
kind: CompositeAlarm
metadata: {name: ca-low}
spec:
  alarmRule: ALARM(ca-cpu) OR ok("ca-disk")
  description: cpu or disk
  alarmActions: [arn:aws:sns:REGION:ACCOUNT:ops]
  okActions: [arn:aws:sns:REGION:ACCOUNT:ops]
  insufficientDataActions: [arn:aws:sns:REGION:ACCOUNT:ops]
  actionsSuppressor: {alarm: ca-disk, waitPeriod: 120, extensionPeriod: 300}
  tags: {team: web}
"#;

const TOP: &str = r#"apiVersion: driftless.dev/v1
kind: CompositeAlarm
metadata: {name: ca-top}
spec: {alarmRule: "ALARM(ca-low) AND NOT ALARM(ca-cpu)"}
"#;

fn metric(name: &str) -> String {
    METRIC.replace("NAME", name)
}

fn low(repo: &Repo) -> String {
    LOW.replace("REGION", &repo.account.region)
        .replace("ACCOUNT", &repo.account.account_id)
}

fn describe(repo: &Repo, rt: &tokio::runtime::Runtime, name: &str) -> Option<CompositeAlarm> {
    let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
    let out = rt
        .block_on(
            cw.describe_alarms()
                .alarm_names(name)
                .alarm_types(AlarmType::CompositeAlarm)
                .send(),
        )
        .expect("DescribeAlarms");
    out.composite_alarms().first().cloned()
}

fn alarm_names(repo: &Repo, rt: &tokio::runtime::Runtime) -> Vec<String> {
    let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
    let out = rt
        .block_on(
            cw.describe_alarms()
                .alarm_name_prefix("ca-")
                .alarm_types(AlarmType::MetricAlarm)
                .alarm_types(AlarmType::CompositeAlarm)
                .send(),
        )
        .expect("DescribeAlarms");
    let mut names: Vec<String> = out
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(String::from))
        .chain(
            out.composite_alarms()
                .iter()
                .filter_map(|a| a.alarm_name().map(String::from)),
        )
        .collect();
    names.sort();
    names
}

fn changes(plan: &Value) -> &Vec<Value> {
    plan["changes"].as_array().expect("changes")
}

#[test]
fn composite_alarms_round_trip_drift_and_prune_in_order() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let repo = Repo::new(&[]);
    repo.write("cpu.yaml", &metric("cpu"));
    repo.write("disk.yaml", &metric("disk"));
    repo.write("keep.yaml", &metric("keep"));
    repo.write("low.yaml", &low(&repo));
    repo.write("top.yaml", TOP);

    // Create: composites after the alarms they name (the emulator refuses otherwise).
    let first = repo.plan();
    assert_eq!(first.code, 2, "{}", first.stderr);
    repo.apply(&[]);
    let c = describe(&repo, &rt, "ca-low").expect("ca-low exists");
    let topic = format!(
        "arn:aws:sns:{}:{}:ops",
        repo.account.region, repo.account.account_id
    );
    assert_eq!(c.alarm_rule(), Some("ALARM(ca-cpu) OR ok(\"ca-disk\")"));
    assert_eq!(c.alarm_description(), Some("cpu or disk"));
    assert_eq!(c.actions_enabled(), Some(true));
    assert_eq!(c.alarm_actions(), std::slice::from_ref(&topic));
    assert_eq!(c.ok_actions(), std::slice::from_ref(&topic));
    assert_eq!(c.insufficient_data_actions(), std::slice::from_ref(&topic));
    assert_eq!(c.actions_suppressor(), Some("ca-disk"));
    assert_eq!(c.actions_suppressor_wait_period(), Some(120));
    assert_eq!(c.actions_suppressor_extension_period(), Some(300));
    let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
    let tags = rt
        .block_on(
            cw.list_tags_for_resource()
                .resource_arn(c.alarm_arn().unwrap())
                .send(),
        )
        .unwrap();
    let mut tags: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().into(), t.value().unwrap().into()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("driftless.dev/managed-by".into(), "driftless".into()),
            ("team".into(), "web".into())
        ]
    );
    assert!(describe(&repo, &rt, "ca-top").is_some());

    // Read back as applied: nothing to do (rule spelling, defaults, action order).
    let again = repo.plan();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    // A change in git: that field only, one PutCompositeAlarm.
    repo.write(
        "low.yaml",
        &low(&repo).replace("cpu or disk", "cpu, or disk ok"),
    );
    let plan = repo.plan().json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(
        (c[0]["action"].as_str(), c[0]["name"].as_str()),
        (Some("update"), Some("ca-low"))
    );
    assert_eq!(
        c[0]["fields"],
        json!([{"path": "description", "live": "cpu or disk", "desired": "cpu, or disk ok"}])
    );
    assert_eq!(c[0]["drift"], false);
    let before = repo.calls();
    repo.apply(&[]);
    let after = repo.calls();
    assert_eq!(
        after.get("cloudwatch", "PutCompositeAlarm")
            - before.get("cloudwatch", "PutCompositeAlarm"),
        1
    );
    assert_eq!(
        after.get("cloudwatch", "PutMetricAlarm"),
        before.get("cloudwatch", "PutMetricAlarm")
    );
    assert_eq!(repo.plan().code, 0);

    // Out of band: actions disabled in the console. Drift on exactly that field.
    let c = describe(&repo, &rt, "ca-low").unwrap();
    rt.block_on(
        cw.put_composite_alarm()
            .alarm_name("ca-low")
            .alarm_rule(c.alarm_rule().unwrap())
            .alarm_description(c.alarm_description().unwrap())
            .actions_enabled(false)
            .alarm_actions(&topic)
            .ok_actions(&topic)
            .insufficient_data_actions(&topic)
            .actions_suppressor("ca-disk")
            .actions_suppressor_wait_period(120)
            .actions_suppressor_extension_period(300)
            .send(),
    )
    .expect("PutCompositeAlarm out of band");
    let drifted = repo.plan();
    assert_eq!(drifted.code, 2);
    let plan = drifted.json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(c[0]["name"], "ca-low");
    assert_eq!(c[0]["drift"], true);
    assert_eq!(
        c[0]["fields"],
        json!([{"path": "actionsEnabled", "live": false, "desired": true}])
    );
    repo.apply(&[]);
    assert_eq!(
        describe(&repo, &rt, "ca-low").unwrap().actions_enabled(),
        Some(true)
    );
    assert_eq!(repo.plan().code, 0);

    // Prune: both composites and the alarms they name leave the repository; ca-top
    // goes before ca-low, which goes before ca-cpu and ca-disk.
    for f in ["low.yaml", "top.yaml", "cpu.yaml", "disk.yaml"] {
        std::fs::remove_file(repo.dir.path().join(f)).unwrap();
    }
    let plan = repo.run(&["plan", "--prune", "--output", "json"]).json();
    let mut deletes: Vec<&str> = changes(&plan)
        .iter()
        .filter(|c| c["action"] == "delete")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    deletes.sort();
    assert_eq!(deletes, ["ca-cpu", "ca-disk", "ca-low", "ca-top"], "{plan}");
    repo.apply(&["--prune"]);
    assert_eq!(alarm_names(&repo, &rt), ["ca-keep"]);
    assert_eq!(
        repo.run(&["plan", "--prune", "--detailed-exitcode"]).code,
        0
    );
}

/// One DescribeAlarms (both alarm types) reads metric and composite alarms: the
/// composite adds no call, and reads back as the spec that would write it.
#[test]
fn one_listing_reads_metric_and_composite_alarms() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let account = TestAccount::new();
    let sdk = account.sdk_config();
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    rt.block_on(async {
        for name in ["r-cpu", "r-disk"] {
            put_cpu_alarm(&cw, name).send().await.unwrap();
        }
        cw.put_composite_alarm()
            .alarm_name("r-both")
            .alarm_rule("ALARM(r-cpu) AND ALARM(\"r-disk\")")
            .alarm_description("both")
            .actions_suppressor("r-disk")
            .actions_suppressor_wait_period(60)
            .actions_suppressor_extension_period(90)
            .send()
            .await
            .unwrap();
    });
    let clients = Clients::from_sdk_config("t", &sdk);
    let owned: BTreeMap<String, BTreeMap<String, String>> = ["r-cpu", "r-disk", "r-both"]
        .iter()
        .map(|n| {
            let arn = format!(
                "arn:aws:cloudwatch:{}:{}:alarm:{n}",
                account.region, account.account_id
            );
            (
                arn,
                BTreeMap::from([("driftless.dev/managed-by".to_string(), "x".to_string())]),
            )
        })
        .collect();
    let before = Emulator::shared().calls_of(&account.account_id);
    let read = rt
        .block_on(cloudwatch::read_alarms(&clients, &BTreeSet::new(), &owned))
        .expect("read_alarms");
    let after = Emulator::shared().calls_of(&account.account_id);
    assert_eq!(
        after.get("cloudwatch", "DescribeAlarms") - before.get("cloudwatch", "DescribeAlarms"),
        1
    );
    assert_eq!(
        after.service_total("cloudwatch") - before.service_total("cloudwatch"),
        1
    );
    let metric: Vec<&str> = read.metric.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(metric, ["r-cpu", "r-disk"]);
    assert_eq!(read.composite.len(), 1);
    let c = &read.composite[0];
    assert_eq!(c.name, "r-both");
    assert!(c.owned_by("x"));
    assert_eq!(c.spec.alarm_rule, "ALARM(r-cpu) AND ALARM(\"r-disk\")");
    assert_eq!(c.spec.description.as_deref(), Some("both"));
    assert_eq!(c.spec.actions_enabled, Some(true));
    assert_eq!(
        c.spec.actions_suppressor,
        Some(ActionsSuppressor {
            alarm: "r-disk".into(),
            wait_period: 60,
            extension_period: 90
        })
    );
    assert_eq!(
        c.spec.named_alarms(),
        BTreeSet::from(["r-cpu".into(), "r-disk".into()])
    );
}

/// `driftless import` writes composite alarms (after the alarms and composites they
/// name), the output validates, and adopting it changes only the ownership tag.
#[test]
fn import_writes_composite_alarms_that_round_trip() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let repo = Repo::new(&[]);
    let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
    rt.block_on(async {
        put_cpu_alarm(&cw, "i-cpu").send().await.unwrap();
        // `i-a` names `i-b`, which sorts after it.
        cw.put_composite_alarm()
            .alarm_name("i-b")
            .alarm_rule("ALARM(i-cpu)")
            .actions_suppressor("i-cpu")
            .actions_suppressor_wait_period(60)
            .actions_suppressor_extension_period(60)
            .send()
            .await
            .unwrap();
        cw.put_composite_alarm()
            .alarm_name("i-a")
            .alarm_rule("ALARM(i-b) OR FALSE")
            .actions_enabled(false)
            .send()
            .await
            .unwrap();
    });
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let dir_s = dir.to_string_lossy().into_owned();
    let import = repo.run(&[
        "import",
        "--adopt",
        "--kinds",
        "MetricAlarm,CompositeAlarm",
        "--out",
        &dir_s,
    ]);
    assert_eq!(import.code, 0, "{}\n{}", import.stdout, import.stderr);
    let text = std::fs::read_to_string(dir.join("composite-alarms.yaml")).unwrap();
    let (b, a) = (
        text.find("name: i-b").unwrap(),
        text.find("name: i-a").unwrap(),
    );
    assert!(b < a, "{text}");
    assert!(text.contains("actionsEnabled: false"), "{text}");
    assert!(text.contains("waitPeriod: 60"), "{text}");

    let validate = crate::support::driftless(&repo.account, repo.state.path())
        .args(["validate", &dir_s])
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let plan = repo
        .run_raw(&["plan", "--output", "json", "--source", &dir_s])
        .json();
    let tag = json!([{"path": "tags[\"driftless.dev/managed-by\"]", "live": null, "desired": "driftless"}]);
    let mut adopted = Vec::new();
    for c in changes(&plan) {
        assert_eq!(
            (c["action"].as_str(), c["adopt"].as_bool()),
            (Some("update"), Some(true)),
            "{c}"
        );
        assert_eq!(c["fields"], tag, "{c}");
        adopted.push(c["name"].as_str().unwrap());
    }
    assert_eq!(adopted, ["i-cpu", "i-a", "i-b"]);
    let apply = repo.run_raw(&["apply", "--auto-approve", "--source", &dir_s]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let again = repo.run_raw(&["plan", "--detailed-exitcode", "--source", &dir_s]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}
