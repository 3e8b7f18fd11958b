//! Association (SSM State Manager) end to end: the real binary against the emulator
//! (which refuses what State Manager refuses and, like AWS, nulls every optional
//! member an UpdateAssociation leaves out). Create, read back whole, no changes after
//! apply, a change in git writes that field only (counted calls), an out-of-band
//! change is drift on exactly that field and is put back, import round-trips, prune
//! deletes; bad input is refused with its location and a suggestion.

use aws_sdk_ssm::types::{AssociationComplianceSeverity, AssociationDescription, Target};
use serde_json::{json, Value};

use crate::support::Repo;

const SCAN: &str = r#"apiVersion: driftless.dev/v1
kind: Association
metadata: {name: as-patch-scan}
spec:
  document: AWS-RunPatchBaseline
  documentVersion: $DEFAULT
  parameters: {Operation: [Scan]}
  targets: [{key: "tag:Patch Group", values: [web]}]
  scheduleExpression: cron(0 2 ? * * *)
  applyOnlyAtCronInterval: true
  complianceSeverity: HIGH
  maxConcurrency: "10%"
  maxErrors: "1"
  outputLocation: {bucket: ops-logs, keyPrefix: ssm/}
  syncCompliance: AUTO
  tags: {team: ops}
"#;

const AGENT: &str = r#"apiVersion: driftless.dev/v1
kind: Association
metadata: {name: as-agent}
spec:
  document: AWS-UpdateSSMAgent
  targets: [{key: InstanceIds, values: ["*"]}]
  scheduleExpression: rate(7 days)
"#;

fn ssm(repo: &Repo) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&repo.sdk())
}

/// The association of `name` (by ListAssociations then DescribeAssociation).
fn describe(
    repo: &Repo,
    rt: &tokio::runtime::Runtime,
    name: &str,
) -> Option<AssociationDescription> {
    let ssm = ssm(repo);
    let listed = rt
        .block_on(ssm.list_associations().send())
        .expect("ListAssociations");
    let id = listed
        .associations()
        .iter()
        .find(|a| a.association_name() == Some(name))?
        .association_id()?
        .to_string();
    let got = rt
        .block_on(ssm.describe_association().association_id(id).send())
        .expect("DescribeAssociation");
    got.association_description
}

fn changes(plan: &Value) -> &Vec<Value> {
    plan["changes"].as_array().expect("changes")
}

#[test]
fn associations_round_trip_drift_and_prune() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let repo = Repo::new(&[("scan.yaml", SCAN), ("agent.yaml", AGENT)]);

    assert_eq!(repo.plan().code, 2);
    repo.apply(&[]);
    let a = describe(&repo, &rt, "as-patch-scan").expect("created");
    assert_eq!(a.name(), Some("AWS-RunPatchBaseline"));
    assert_eq!(a.parameters().unwrap()["Operation"], ["Scan"]);
    assert_eq!(a.targets()[0].key(), Some("tag:Patch Group"));
    assert_eq!(a.schedule_expression(), Some("cron(0 2 ? * * *)"));
    assert!(a.apply_only_at_cron_interval());
    assert_eq!(
        a.compliance_severity(),
        Some(&AssociationComplianceSeverity::High)
    );
    assert_eq!(
        (a.max_concurrency(), a.max_errors()),
        (Some("10%"), Some("1"))
    );
    let s3 = a.output_location().and_then(|o| o.s3_location()).unwrap();
    assert_eq!(s3.output_s3_bucket_name(), Some("ops-logs"));
    let id = a.association_id().unwrap().to_string();
    let tags = rt
        .block_on(
            ssm(&repo)
                .list_tags_for_resource()
                .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Association)
                .resource_id(&id)
                .send(),
        )
        .unwrap();
    let mut tags: Vec<(&str, &str)> = tags
        .tag_list()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [("driftless.dev/managed-by", "driftless"), ("team", "ops")]
    );
    assert!(describe(&repo, &rt, "as-agent").is_some());

    // Read back as applied: nothing to do (AWS's defaults filled in on both sides).
    let again = repo.plan();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    // A change in git: that field only, one UpdateAssociation.
    repo.write(
        "scan.yaml",
        &SCAN.replace("maxErrors: \"1\"", "maxErrors: \"2\""),
    );
    let plan = repo.plan().json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(
        (c[0]["action"].as_str(), c[0]["name"].as_str()),
        (Some("update"), Some("as-patch-scan"))
    );
    assert_eq!(
        c[0]["fields"],
        json!([{"path": "maxErrors", "live": "1", "desired": "2"}])
    );
    assert_eq!(c[0]["drift"], false);
    let before = repo.calls();
    repo.apply(&[]);
    let after = repo.calls();
    let delta = |op: &str| after.get("ssm", op) - before.get("ssm", op);
    assert_eq!(delta("UpdateAssociation"), 1);
    assert_eq!(delta("CreateAssociation") + delta("DeleteAssociation"), 0);
    assert_eq!(
        delta("AddTagsToResource") + delta("RemoveTagsFromResource"),
        0
    );
    assert_eq!(
        describe(&repo, &rt, "as-patch-scan").unwrap().max_errors(),
        Some("2")
    );
    assert_eq!(repo.plan().code, 0);

    // Out of band: the severity lowered in the console (every other member sent as
    // it is, as the console does). Drift on exactly that field, put back.
    let a = describe(&repo, &rt, "as-patch-scan").unwrap();
    rt.block_on(
        ssm(&repo)
            .update_association()
            .association_id(&id)
            .association_name("as-patch-scan")
            .set_parameters(a.parameters().cloned())
            .set_targets(Some(a.targets().to_vec()))
            .set_schedule_expression(a.schedule_expression().map(String::from))
            .apply_only_at_cron_interval(true)
            .compliance_severity(AssociationComplianceSeverity::Low)
            .set_max_concurrency(a.max_concurrency().map(String::from))
            .set_max_errors(a.max_errors().map(String::from))
            .set_output_location(a.output_location().cloned())
            .set_document_version(a.document_version().map(String::from))
            .send(),
    )
    .expect("UpdateAssociation out of band");
    let drifted = repo.plan();
    assert_eq!(drifted.code, 2);
    let plan = drifted.json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(c[0]["drift"], true);
    assert_eq!(
        c[0]["fields"],
        json!([{"path": "complianceSeverity", "live": "LOW", "desired": "HIGH"}])
    );
    repo.apply(&[]);
    let a = describe(&repo, &rt, "as-patch-scan").unwrap();
    assert_eq!(
        a.compliance_severity(),
        Some(&AssociationComplianceSeverity::High)
    );
    assert_eq!(repo.plan().code, 0);

    // Prune: the scan leaves the repository and is deleted; the agent stays.
    std::fs::remove_file(repo.dir.path().join("scan.yaml")).unwrap();
    let plan = repo.run(&["plan", "--prune", "--output", "json"]).json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(
        (c[0]["action"].as_str(), c[0]["name"].as_str()),
        (Some("delete"), Some("as-patch-scan"))
    );
    repo.apply(&["--prune"]);
    assert!(describe(&repo, &rt, "as-patch-scan").is_none());
    assert!(describe(&repo, &rt, "as-agent").is_some());
    assert_eq!(
        repo.run(&["plan", "--prune", "--detailed-exitcode"]).code,
        0
    );
}

/// `driftless import` writes associations; the output validates, adopting changes
/// only the ownership tag, and the next plan is clean.
#[test]
fn import_writes_associations_that_round_trip() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let repo = Repo::new(&[]);
    let target = Target::builder()
        .key("tag:Role")
        .values("db")
        .values("web")
        .build();
    rt.block_on(
        ssm(&repo)
            .create_association()
            .name("AWS-RunShellScript")
            .association_name("imp-inventory")
            .parameters("commands", vec!["echo one".into(), "echo two".into()])
            .targets(target)
            .schedule_expression("rate(1 day)")
            .compliance_severity(AssociationComplianceSeverity::Medium)
            .max_errors("0")
            .tags(
                aws_sdk_ssm::types::Tag::builder()
                    .key("team")
                    .value("db")
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .expect("CreateAssociation");
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let dir_s = dir.to_string_lossy().into_owned();
    let import = repo.run(&[
        "import",
        "--adopt",
        "--kinds",
        "Association",
        "--out",
        &dir_s,
    ]);
    assert_eq!(import.code, 0, "{}\n{}", import.stdout, import.stderr);
    let text = std::fs::read_to_string(dir.join("associations.yaml")).unwrap();
    assert!(text.contains("name: imp-inventory"), "{text}");
    assert!(text.contains("complianceSeverity: MEDIUM"), "{text}");

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
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(
        (c[0]["action"].as_str(), c[0]["adopt"].as_bool()),
        (Some("update"), Some(true))
    );
    assert_eq!(
        c[0]["fields"],
        json!([{"path": "tags[\"driftless.dev/managed-by\"]", "live": null, "desired": "driftless"}])
    );
    let before = repo.calls();
    let apply = repo.run_raw(&["apply", "--auto-approve", "--source", &dir_s]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(
        repo.calls().get("ssm", "UpdateAssociation"),
        before.get("ssm", "UpdateAssociation")
    );
    let again = repo.run_raw(&["plan", "--detailed-exitcode", "--source", &dir_s]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let a = describe(&repo, &rt, "imp-inventory").unwrap();
    assert_eq!(
        a.parameters().unwrap()["commands"],
        ["echo one", "echo two"]
    );
}

/// An unknown field, a schedule SSM refuses and a severity it does not have: each
/// with its file:line:column, and a suggestion where one helps; nothing is applied.
#[test]
fn bad_associations_are_refused_with_locations_and_suggestions() {
    // A document whose structure is wrong gets no value rules: the schedule is in a
    // second document.
    let bad = SCAN
        .replace("maxErrors:", "maxErrrors:")
        .replace("complianceSeverity: HIGH", "complianceSeverity: SEVERE");
    let agent = AGENT.replace("rate(7 days)", "rate(10 minutes)");
    let repo = Repo::new(&[("scan.yaml", &bad), ("agent.yaml", &agent)]);
    let dir = repo.dir.path().to_string_lossy().into_owned();
    let validate = crate::support::driftless(&repo.account, repo.state.path())
        .args(["validate", &dir])
        .output()
        .unwrap();
    assert_eq!(validate.status.code(), Some(1));
    let out = String::from_utf8_lossy(&validate.stderr).into_owned();
    assert!(
        out.contains("scan.yaml:13:3: error: unknown field `maxErrrors`"),
        "{out}"
    );
    assert!(out.contains("did you mean `maxErrors`?"), "{out}");
    assert!(
        out.contains("agent.yaml:7:23: error: schedule `rate(10 minutes)`: associations run at most every 30 minutes"),
        "{out}"
    );
    assert!(out.contains("write `rate(30 minutes)` or longer"), "{out}");
    assert!(
        out.contains("scan.yaml:11:23: error: `complianceSeverity` cannot be the string `SEVERE`"),
        "{out}"
    );
    assert!(
        out.contains("use one of: CRITICAL, HIGH, MEDIUM, LOW, UNSPECIFIED"),
        "{out}"
    );
    let before = repo.calls();
    let apply = repo.run(&["apply", "--auto-approve"]);
    assert_ne!(apply.code, 0);
    assert_eq!(
        repo.calls().get("ssm", "CreateAssociation"),
        before.get("ssm", "CreateAssociation")
    );
}

/// CreateAssociation has no idempotency token: its answer lost after AWS created the
/// association (the emulator serves the request, then closes the connection), the
/// create is not simply sent again (which would make a second association of the
/// name): the association of the name with driftless's ownership tag is found and
/// taken as the one created.
#[test]
fn a_create_whose_answer_was_lost_makes_one_association() {
    let repo = Repo::new(&[("agent.yaml", AGENT)]);
    let _faults = crate::emulator::Emulator::shared().scoped_faults(&json!({
        "seed": 1,
        "rules": [{"service": "ssm", "operation": "CreateAssociation", "kind": "drop_response",
                   "count": 1, "account": repo.account.account_id}]
    }));
    let before = repo.calls();
    let apply = repo.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let calls = repo.calls();
    // Served once (its answer lost), and not sent again: the lost create was found.
    assert_eq!(
        calls.get("ssm", "CreateAssociation") - before.get("ssm", "CreateAssociation"),
        1
    );
    assert_eq!(
        calls.fault_count("ssm", "CreateAssociation", "drop_response")
            - before.fault_count("ssm", "CreateAssociation", "drop_response"),
        1,
        "the answer was lost once"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listed = rt
        .block_on(ssm(&repo).list_associations().send())
        .expect("ListAssociations");
    let named = listed
        .associations()
        .iter()
        .filter(|a| a.association_name() == Some("as-agent"))
        .count();
    assert_eq!(named, 1, "{listed:?}");
    let again = repo.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}
