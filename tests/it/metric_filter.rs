//! The `MetricFilter` kind end to end: the binary against the emulator, each test in its
//! own account, out-of-band changes made through the AWS SDK. Metric filters carry no
//! tags: ownership comes from an owned log group or from the state store.

use aws_sdk_cloudwatchlogs::types::{MetricFilter, MetricTransformation, StandardUnit};
use serde_json::Value;

use crate::support::{rt, Repo};

const GROUP: &str = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /mf/app}\nspec: {retentionInDays: 30}\n";

fn filter(name: &str, group: &str, pattern: &str, transformation: &str) -> String {
    format!(
        "apiVersion: driftless.dev/v1\nkind: MetricFilter\nmetadata: {{name: {name}}}\nspec:\n  logGroupName: {group}\n  filterPattern: '{pattern}'\n  metricTransformations:\n    - {transformation}\n"
    )
}

const ERRORS: &str = "{metricName: Errors, metricNamespace: App, metricValue: \"1\", unit: Count, dimensions: {Service: $.service}}";

fn logs(repo: &Repo) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&repo.sdk())
}

fn filters(repo: &Repo, group: &str) -> Vec<MetricFilter> {
    rt().block_on(
        logs(repo)
            .describe_metric_filters()
            .log_group_name(group)
            .send(),
    )
    .unwrap()
    .metric_filters()
    .to_vec()
}

fn changes(plan: &Value) -> Vec<(String, String, Vec<String>)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let fields = c["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["path"].as_str().unwrap().to_string())
                .collect();
            (
                c["action"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
                fields,
            )
        })
        .collect()
}

/// Puts a filter with the SDK, as a console click would.
fn put(repo: &Repo, group: &str, name: &str, pattern: &str, unit: StandardUnit) {
    let t = MetricTransformation::builder()
        .metric_name("Errors")
        .metric_namespace("App")
        .metric_value("1")
        .unit(unit)
        .dimensions("Service", "$.service")
        .build()
        .unwrap();
    rt().block_on(
        logs(repo)
            .put_metric_filter()
            .log_group_name(group)
            .filter_name(name)
            .filter_pattern(pattern)
            .metric_transformations(t)
            .send(),
    )
    .unwrap();
}

fn create_group(repo: &Repo, group: &str) {
    rt().block_on(logs(repo).create_log_group().log_group_name(group).send())
        .unwrap();
}

#[test]
fn a_filter_round_trips_changes_one_field_drifts_back_and_is_pruned() {
    let repo = Repo::new(&[
        ("group.yaml", GROUP),
        (
            "filter.yaml",
            &filter("errors", "/mf/app", "{ $.level = \"ERROR\" }", ERRORS),
        ),
    ]);
    let first = repo.plan();
    assert_eq!(first.code, 2, "{}", first.stderr);
    let created = changes(&first.json());
    assert_eq!(created.len(), 2, "{created:?}");
    assert!(created
        .iter()
        .any(|(a, n, _)| a == "create" && n == "errors"));
    repo.apply(&[]);

    // Read back whole.
    let live = filters(&repo, "/mf/app");
    assert_eq!(live.len(), 1);
    let f = &live[0];
    assert_eq!(f.filter_name(), Some("errors"));
    assert_eq!(f.filter_pattern(), Some("{ $.level = \"ERROR\" }"));
    assert!(!f.apply_on_transformed_logs());
    let t = &f.metric_transformations()[0];
    assert_eq!(
        (t.metric_name(), t.metric_namespace(), t.metric_value()),
        ("Errors", "App", "1")
    );
    assert_eq!(t.unit(), Some(&StandardUnit::Count));
    assert_eq!(t.default_value(), None);
    assert_eq!(
        t.dimensions().unwrap().get("Service").map(String::as_str),
        Some("$.service")
    );

    // No changes, in one DescribeMetricFilters (one group: one query).
    let before = repo.calls();
    let again = repo.plan();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let reads = repo.calls().get("logs", "DescribeMetricFilters")
        - before.get("logs", "DescribeMetricFilters");
    assert_eq!(reads, 1);

    // A change in git: that field, one PutMetricFilter.
    repo.write(
        "filter.yaml",
        &filter(
            "errors",
            "/mf/app",
            "{ $.level = \"ERROR\" }",
            &ERRORS.replace("Count", "Seconds"),
        ),
    );
    let plan = repo.plan().json();
    assert_eq!(
        changes(&plan),
        [(
            "update".to_string(),
            "errors".to_string(),
            vec!["metricTransformations[0].unit".to_string()]
        )]
    );
    assert_eq!(plan["changes"][0]["drift"], false);
    let before = repo.calls();
    repo.apply(&[]);
    let after = repo.calls();
    assert_eq!(
        after.get("logs", "PutMetricFilter") - before.get("logs", "PutMetricFilter"),
        1
    );
    assert_eq!(
        after.get("logs", "CreateLogGroup"),
        before.get("logs", "CreateLogGroup")
    );
    let t = filters(&repo, "/mf/app")[0].metric_transformations()[0].clone();
    assert_eq!(t.unit(), Some(&StandardUnit::Seconds));
    assert_eq!(t.metric_name(), "Errors");

    // Out of band: drift on exactly that field, put back.
    put(
        &repo,
        "/mf/app",
        "errors",
        "{ $.level = \"WARN\" }",
        StandardUnit::Seconds,
    );
    let drifted = repo.plan().json();
    assert_eq!(
        changes(&drifted),
        [(
            "update".to_string(),
            "errors".to_string(),
            vec!["filterPattern".to_string()]
        )]
    );
    assert_eq!(drifted["changes"][0]["drift"], true);
    repo.apply(&[]);
    assert_eq!(
        filters(&repo, "/mf/app")[0].filter_pattern(),
        Some("{ $.level = \"ERROR\" }")
    );
    assert_eq!(repo.plan().code, 0);

    // Removed from git: deleted with prune only; the group stays.
    std::fs::remove_file(repo.dir.path().join("filter.yaml")).unwrap();
    let pending = repo.plan().json();
    assert_eq!(pending["changes"], serde_json::json!([]));
    assert_eq!(pending["wouldDeleteWithPrune"][0]["name"], "errors");
    repo.apply(&["--prune"]);
    assert!(filters(&repo, "/mf/app").is_empty());
    assert_eq!(repo.plan().code, 0);
}

#[test]
fn a_namesake_on_an_unowned_group_is_a_conflict_and_left_untouched() {
    let repo = Repo::new(&[(
        "filter.yaml",
        &filter("root", "/mf/theirs", "{ $.x = 2 }", ERRORS),
    )]);
    create_group(&repo, "/mf/theirs");
    put(
        &repo,
        "/mf/theirs",
        "root",
        "{ $.x = 1 }",
        StandardUnit::Count,
    );
    let plan = repo.plan().json();
    let all = changes(&plan);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].0, "conflict");
    let reason = plan["changes"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("/mf/theirs") && reason.contains("adopt"),
        "{reason}"
    );
    let before = repo.calls();
    let run = repo.run(&["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        repo.calls().get("logs", "PutMetricFilter"),
        before.get("logs", "PutMetricFilter")
    );
    assert_eq!(
        filters(&repo, "/mf/theirs")[0].filter_pattern(),
        Some("{ $.x = 1 }")
    );
    // Pruning never deletes it either.
    std::fs::remove_file(repo.dir.path().join("filter.yaml")).unwrap();
    repo.write("group.yaml", GROUP);
    repo.apply(&["--prune"]);
    assert_eq!(filters(&repo, "/mf/theirs").len(), 1);

    // Adopting it takes it over in one update, then it is driftless's.
    repo.write(
        "filter.yaml",
        &filter("root", "/mf/theirs", "{ $.x = 2 }", ERRORS)
            .replace("{name: root}", "{name: root, adopt: true}"),
    );
    let adopt = repo.plan().json();
    let c = adopt["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "root")
        .unwrap();
    assert_eq!(
        (c["action"].as_str(), c["adopt"].as_bool()),
        (Some("update"), Some(true))
    );
    repo.apply(&[]);
    assert_eq!(
        filters(&repo, "/mf/theirs")[0].filter_pattern(),
        Some("{ $.x = 2 }")
    );
    assert_eq!(repo.plan().code, 0);
}

#[test]
fn a_filter_driftless_creates_on_an_unowned_group_is_managed_through_the_state_store() {
    let repo = Repo::new(&[(
        "filter.yaml",
        &filter(
            "audit",
            "/mf/shared",
            "{ $.eventName = \"ConsoleLogin\" }",
            ERRORS,
        ),
    )]);
    create_group(&repo, "/mf/shared");
    repo.apply(&[]);
    assert_eq!(filters(&repo, "/mf/shared").len(), 1);
    assert_eq!(repo.plan().code, 0, "driftless's own filter is no conflict");

    // The state store is what says so: without it, the same filter is a namesake.
    let elsewhere = tempfile::tempdir().unwrap();
    let source = repo.dir.path().to_string_lossy().into_owned();
    let state = elsewhere.path().to_string_lossy().into_owned();
    let out = crate::support::driftless(&repo.account, elsewhere.path())
        .args([
            "plan",
            "--output",
            "json",
            "--source",
            &source,
            "--state-dir",
            &state,
        ])
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["changes"][0]["action"], "conflict", "{plan}");

    // Changed in git, then removed with prune: only the filter goes, never the group.
    repo.write(
        "filter.yaml",
        &filter(
            "audit",
            "/mf/shared",
            "{ $.eventName = \"ConsoleLogin\" }",
            &ERRORS.replace("Count", "None"),
        ),
    );
    repo.apply(&[]);
    assert_eq!(
        filters(&repo, "/mf/shared")[0].metric_transformations()[0].unit(),
        Some(&StandardUnit::None)
    );
    std::fs::remove_file(repo.dir.path().join("filter.yaml")).unwrap();
    repo.write("group.yaml", GROUP);
    repo.apply(&["--prune"]);
    assert!(filters(&repo, "/mf/shared").is_empty());
    let groups = rt()
        .block_on(
            logs(&repo)
                .describe_log_groups()
                .log_group_name_prefix("/mf/shared")
                .send(),
        )
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1);
}

#[test]
fn a_filter_and_its_group_are_created_and_deleted_together() {
    let repo = Repo::new(&[
        ("group.yaml", GROUP),
        (
            "filter.yaml",
            &filter(
                "errors",
                "/mf/app",
                "ERROR",
                "{metricName: Errors, metricNamespace: App, metricValue: \"1\", defaultValue: 0}",
            ),
        ),
        (
            "other.yaml",
            "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /mf/keep}\nspec: {}\n",
        ),
    ]);
    // One apply: the group is created before the filter on it.
    repo.apply(&[]);
    assert_eq!(
        filters(&repo, "/mf/app")[0].metric_transformations()[0].default_value(),
        Some(0.0)
    );
    assert_eq!(repo.plan().code, 0);
    std::fs::remove_file(repo.dir.path().join("filter.yaml")).unwrap();
    std::fs::remove_file(repo.dir.path().join("group.yaml")).unwrap();
    let before = repo.calls();
    repo.apply(&["--prune"]);
    let after = repo.calls();
    assert_eq!(
        after.get("logs", "DeleteMetricFilter") - before.get("logs", "DeleteMetricFilter"),
        1
    );
    assert_eq!(
        after.get("logs", "DeleteLogGroup") - before.get("logs", "DeleteLogGroup"),
        1
    );
    assert_eq!(repo.plan().code, 0);
}

#[test]
fn reads_are_one_query_per_group_up_to_three_then_one_region_listing() {
    let docs = |groups: &[&str]| -> Vec<(String, String)> {
        groups
            .iter()
            .enumerate()
            .flat_map(|(i, g)| {
                [
                    (format!("g{i}.yaml"), GROUP.replace("/mf/app", g)),
                    (
                        format!("f{i}.yaml"),
                        filter(
                            &format!("f{i}"),
                            g,
                            "ERROR",
                            "{metricName: E, metricNamespace: App, metricValue: \"1\"}",
                        ),
                    ),
                ]
            })
            .collect()
    };
    for (groups, calls) in [
        (&["/r/a", "/r/b"][..], 2),
        (&["/r/a", "/r/b", "/r/c", "/r/d"][..], 1),
    ] {
        let files = docs(groups);
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(f, t)| (f.as_str(), t.as_str()))
            .collect();
        let repo = Repo::new(&refs);
        repo.apply(&[]);
        let before = repo.calls();
        assert_eq!(repo.plan().code, 0);
        let n = repo.calls().get("logs", "DescribeMetricFilters")
            - before.get("logs", "DescribeMetricFilters");
        assert_eq!(n, calls, "{} groups", groups.len());
    }
}

#[test]
fn a_filter_moved_to_another_group_is_replaced() {
    let other = GROUP.replace("/mf/app", "/mf/next");
    let repo = Repo::new(&[
        ("group.yaml", GROUP),
        ("next.yaml", &other),
        (
            "filter.yaml",
            &filter(
                "errors",
                "/mf/app",
                "ERROR",
                "{metricName: E, metricNamespace: App, metricValue: \"1\"}",
            ),
        ),
    ]);
    repo.apply(&[]);
    repo.write(
        "filter.yaml",
        &filter(
            "errors",
            "/mf/next",
            "ERROR",
            "{metricName: E, metricNamespace: App, metricValue: \"1\"}",
        ),
    );
    let plan = repo.plan().json();
    assert_eq!(
        changes(&plan),
        [(
            "replace".to_string(),
            "errors".to_string(),
            vec!["logGroupName".to_string()]
        )]
    );
    repo.apply(&[]);
    assert!(filters(&repo, "/mf/app").is_empty());
    assert_eq!(filters(&repo, "/mf/next")[0].filter_name(), Some("errors"));
    assert_eq!(repo.plan().code, 0);
}
