//! ConfigurationAggregator end to end: the real binary against the emulator. Create
//! (with tags), read back whole, no changes after apply, a change in git writes that
//! field only, an out-of-band change is drift on exactly that field and is put back,
//! import round trip, delete with prune (an aggregator driftless does not own stays),
//! and bad input with locations and suggestions.

use aws_sdk_config::types::{
    AccountAggregationSource, AggregatorFilterResourceType, AggregatorFilterType,
    AggregatorFilters, ConfigurationAggregator, OrganizationAggregationSource,
};
use serde_json::json;

use crate::support::{changes, writes, Repo};

const ORG: &str = r#"apiVersion: driftless.dev/v1
kind: ConfigurationAggregator
metadata: {name: agg-org}
spec:
  organization: {roleArn: "arn:aws:iam::111111111111:role/aggregator", regions: [us-east-1, ap-northeast-1]}
  tags: {team: ops}
"#;

const ACCOUNTS: &str = r#"apiVersion: driftless.dev/v1
kind: ConfigurationAggregator
metadata: {name: agg-accounts}
spec:
  accounts:
    - accountIds: ["222222222222", "111111111111"]
      allRegions: true
"#;

fn describe(repo: &Repo, name: &str) -> Option<ConfigurationAggregator> {
    let cfg = aws_sdk_config::Client::new(&repo.sdk());
    let out = crate::support::rt()
        .block_on(cfg.describe_configuration_aggregators().send())
        .expect("DescribeConfigurationAggregators");
    out.configuration_aggregators()
        .iter()
        .find(|a| a.configuration_aggregator_name() == Some(name))
        .cloned()
}

fn tags(repo: &Repo, arn: &str) -> Vec<(String, String)> {
    let cfg = aws_sdk_config::Client::new(&repo.sdk());
    let out = crate::support::rt()
        .block_on(cfg.list_tags_for_resource().resource_arn(arn).send())
        .expect("ListTagsForResource");
    let mut t: Vec<(String, String)> = out
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().into(), t.value().unwrap_or("").into()))
        .collect();
    t.sort();
    t
}

#[test]
fn aggregators_round_trip_drift_and_prune() {
    let repo = Repo::new(&[("org.yaml", ORG), ("accounts.yaml", ACCOUNTS)]);
    assert_eq!(repo.plan().code, 2);
    let w = repo.apply_writes(&[]);
    assert_eq!(
        w.get("config:PutConfigurationAggregator"),
        Some(&2),
        "{w:?}"
    );
    assert_eq!(
        w.get("config:TagResource"),
        None,
        "tags go with the create: {w:?}"
    );

    // Read back whole.
    let org = describe(&repo, "agg-org").expect("agg-org exists");
    let source = org.organization_aggregation_source().unwrap();
    assert_eq!(
        source.role_arn(),
        "arn:aws:iam::111111111111:role/aggregator"
    );
    assert_eq!(source.aws_regions(), ["us-east-1", "ap-northeast-1"]);
    assert!(!source.all_aws_regions());
    assert_eq!(
        tags(&repo, org.configuration_aggregator_arn().unwrap()),
        [
            ("driftless.dev/managed-by".into(), "driftless".into()),
            ("team".into(), "ops".into())
        ]
    );
    let accounts = describe(&repo, "agg-accounts").unwrap();
    let a = &accounts.account_aggregation_sources()[0];
    assert_eq!(a.account_ids(), ["222222222222", "111111111111"]);
    assert!(a.all_aws_regions());

    // Read back as applied: nothing to do.
    let again = repo.plan();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    // A change in git: that field only, one put, no tag call.
    repo.write(
        "org.yaml",
        &ORG.replace("us-east-1, ap-northeast-1", "us-east-1"),
    );
    let plan = repo.plan().json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(
        (c[0]["action"].as_str(), c[0]["name"].as_str()),
        (Some("update"), Some("agg-org"))
    );
    assert_eq!(
        c[0]["fields"],
        json!([{"path": "organization.regions", "live": ["ap-northeast-1", "us-east-1"], "desired": ["us-east-1"]}])
    );
    assert_eq!(c[0]["drift"], false);
    let w = repo.apply_writes(&[]);
    assert_eq!(
        w,
        [("config:PutConfigurationAggregator".to_string(), 1)].into()
    );
    let org = describe(&repo, "agg-org").unwrap();
    assert_eq!(
        org.organization_aggregation_source().unwrap().aws_regions(),
        ["us-east-1"]
    );
    // The put kept the tags (AWS sets them at creation only).
    assert_eq!(
        tags(&repo, org.configuration_aggregator_arn().unwrap()).len(),
        2
    );
    assert_eq!(repo.plan().code, 0);

    // Out of band: another account added by hand. Drift on exactly that field.
    let cfg = aws_sdk_config::Client::new(&repo.sdk());
    crate::support::rt()
        .block_on(
            cfg.put_configuration_aggregator()
                .configuration_aggregator_name("agg-accounts")
                .account_aggregation_sources(
                    AccountAggregationSource::builder()
                        .account_ids("111111111111")
                        .account_ids("222222222222")
                        .account_ids("333333333333")
                        .all_aws_regions(true)
                        .build()
                        .unwrap(),
                )
                .send(),
        )
        .expect("PutConfigurationAggregator out of band");
    let drifted = repo.plan();
    assert_eq!(drifted.code, 2);
    let plan = drifted.json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(c[0]["name"], "agg-accounts");
    assert_eq!(c[0]["drift"], true);
    assert_eq!(
        c[0]["fields"],
        json!([{
            "path": "accounts",
            "live": [{"accountIds": ["111111111111", "222222222222", "333333333333"], "allRegions": true}],
            "desired": [{"accountIds": ["111111111111", "222222222222"], "allRegions": true}],
        }])
    );
    repo.apply(&[]);
    let a = describe(&repo, "agg-accounts").unwrap();
    assert_eq!(a.account_aggregation_sources()[0].account_ids().len(), 2);
    assert_eq!(repo.plan().code, 0);

    // Prune: the owned aggregators go, one driftless never owned stays.
    crate::support::rt()
        .block_on(
            cfg.put_configuration_aggregator()
                .configuration_aggregator_name("agg-theirs")
                .organization_aggregation_source(
                    OrganizationAggregationSource::builder()
                        .role_arn("arn:aws:iam::111111111111:role/x")
                        .all_aws_regions(true)
                        .build()
                        .unwrap(),
                )
                .send(),
        )
        .unwrap();
    for f in ["org.yaml", "accounts.yaml"] {
        std::fs::remove_file(repo.dir.path().join(f)).unwrap();
    }
    repo.write(
        "other.yaml",
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /agg/keep}\nspec: {}\n",
    );
    let (deletes, plan) = crate::support::pruned(&repo);
    assert_eq!(deletes, ["agg-accounts", "agg-org"], "{plan}");
    let before = repo.calls();
    repo.apply(&["--prune"]);
    let w = writes(&before, &repo.calls());
    assert_eq!(
        w.get("config:DeleteConfigurationAggregator"),
        Some(&2),
        "{w:?}"
    );
    assert!(describe(&repo, "agg-org").is_none());
    assert!(describe(&repo, "agg-accounts").is_none());
    assert!(describe(&repo, "agg-theirs").is_some());
    assert_eq!(
        repo.run(&["plan", "--prune", "--detailed-exitcode"]).code,
        0
    );
}

/// An aggregator set up by hand with filters the format has no field for: imported,
/// adopted (tagging only), then edited in git: the put keeps its filters.
#[test]
fn import_adopts_and_an_edit_keeps_aggregator_filters() {
    let repo = Repo::new(&[]);
    let cfg = aws_sdk_config::Client::new(&repo.sdk());
    let filters = AggregatorFilters::builder()
        .resource_type(
            AggregatorFilterResourceType::builder()
                .r#type(AggregatorFilterType::Include)
                .value("AWS::EC2::Instance")
                .build(),
        )
        .build();
    crate::support::rt()
        .block_on(
            cfg.put_configuration_aggregator()
                .configuration_aggregator_name("imp-agg")
                .account_aggregation_sources(
                    AccountAggregationSource::builder()
                        .account_ids("111111111111")
                        .aws_regions("us-east-1")
                        .build()
                        .unwrap(),
                )
                .aggregator_filters(filters.clone())
                .send(),
        )
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let dir_s = dir.to_string_lossy().into_owned();
    let import = repo.run(&[
        "import",
        "--adopt",
        "--kinds",
        "ConfigurationAggregator",
        "--out",
        &dir_s,
    ]);
    assert_eq!(import.code, 0, "{}\n{}", import.stdout, import.stderr);
    assert!(
        import.output().contains("aggregatorFilters not written"),
        "{}",
        import.output()
    );
    let file = dir.join("config-aggregators.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("name: imp-agg"), "{text}");

    let plan = repo
        .run_raw(&["plan", "--output", "json", "--source", &dir_s])
        .json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(c[0]["adopt"], true);
    assert_eq!(
        c[0]["fields"],
        json!([{"path": "tags[\"driftless.dev/managed-by\"]", "live": null, "desired": "driftless"}])
    );
    let before = repo.calls();
    let apply = repo.run_raw(&["apply", "--auto-approve", "--source", &dir_s]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(
        writes(&before, &repo.calls()),
        [("config:TagResource".to_string(), 1)].into()
    );
    let again = repo.run_raw(&["plan", "--detailed-exitcode", "--source", &dir_s]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    // An edit in git: the put sends the filters back as they were.
    std::fs::write(&file, text.replace("us-east-1", "eu-west-1")).unwrap();
    let apply = repo.run_raw(&["apply", "--auto-approve", "--source", &dir_s]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let live = describe(&repo, "imp-agg").unwrap();
    assert_eq!(
        live.account_aggregation_sources()[0].aws_regions(),
        ["eu-west-1"]
    );
    assert_eq!(live.aggregator_filters(), Some(&filters));
}

#[test]
fn bad_aggregators_are_located_with_suggestions() {
    let repo = Repo::new(&[(
        "bad.yaml",
        "apiVersion: driftless.dev/v1\nkind: ConfigurationAggregator\nmetadata: {name: \"bad name\"}\nspec:\n  organisation: {roleArn: x}\n---\napiVersion: driftless.dev/v1\nkind: ConfigurationAggregator\nmetadata: {name: two}\nspec:\n  accounts:\n    - accountIds: [\"12345\"]\n      regions: [us-esat-1]\n      allRegions: true\n  organization: {roleArn: \"arn:aws:iam::111111111111:role/a\", allRegions: true}\n",
    )]);
    let run = repo.run_bare(&["validate", &repo.dir.path().to_string_lossy()]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let err = run.stderr;
    let bad = repo
        .dir
        .path()
        .join("bad.yaml")
        .to_string_lossy()
        .into_owned();
    // (where, what): each on one line of the output, `path:line:column: error: what`.
    for (at, what) in [
        ("5:3", "organisation"),
        ("12:20", "`12345` is not an AWS account id"),
        ("13:17", "region: `us-esat-1` is not an AWS region code"),
        ("14:", "`regions` and `allRegions: true` cannot both be set"),
        ("15:", "`accounts` and `organization` cannot both be set"),
    ] {
        let prefix = format!("{bad}:{at}");
        assert!(
            err.lines()
                .any(|l| l.starts_with(&prefix) && l.contains("error:") && l.contains(what)),
            "missing {prefix} ... {what:?} in:\n{err}"
        );
    }
    for hint in ["did you mean `organization`?", "did you mean `us-east-1`?"] {
        assert!(err.contains(hint), "missing {hint:?} in:\n{err}");
    }
}
