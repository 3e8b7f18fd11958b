//! Counterexamples the convergence properties found, shrunk, kept as regular tests.

use crate::support::Repo;

const POLICY_NEVER: &str = "apiVersion: driftless.dev/v1
kind: LogRetentionPolicy
metadata: {name: keep-forever}
spec: {logGroupNamePrefix: /unowned/, retentionInDays: never}
";

/// Shrunk from `specs_converge_and_drift_is_exact` (seed
/// 89a5dd42b822ed18000000000000000089a5dd42b822ed180100000000000000): a
/// LogRetentionPolicy of `never` over a group that already never expires has nothing
/// to set, so apply records nothing; when someone then gives the group a retention,
/// plan proposes the right update but without `drift: true`, since drift for policies
/// is "a group driftless set before shows another value". Not fixed yet: the fix is to
/// record every governed group's value after a converged plan, not only those written.
#[test]
#[ignore = "known gap: policy drift on a group the policy never had to set"]
fn retention_policy_drift_on_a_group_it_never_set() {
    let repo = Repo::new(&[("policy.yaml", POLICY_NEVER)]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    runtime
        .block_on(logs.create_log_group().log_group_name("/unowned/a").send())
        .unwrap();
    repo.apply(&[]);
    assert_eq!(repo.plan().code, 0);
    runtime
        .block_on(
            logs.put_retention_policy()
                .log_group_name("/unowned/a")
                .retention_in_days(7)
                .send(),
        )
        .unwrap();
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let change = &plan.json()["changes"][0];
    assert_eq!(
        change["fields"][0]["path"],
        "logGroups[\"/unowned/a\"].retentionInDays"
    );
    assert_eq!(change["drift"], true, "{change}");
}

const POLICY_WEEK: &str = "apiVersion: driftless.dev/v1
kind: LogRetentionPolicy
metadata: {name: one-week}
spec: {logGroupNamePrefix: /unowned/, retentionInDays: 7}
";

/// A policy remembers every group it ever set, not only those of its last apply:
/// it sets `a` and `b`, someone changes `a` and the next apply sets it back, then a
/// hand change of `b` is still drift.
#[test]
fn retention_policy_drift_on_a_group_an_earlier_apply_set() {
    let repo = Repo::new(&[("policy.yaml", POLICY_WEEK)]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&repo.sdk());
    let set = |group: &str, days: i32| {
        runtime
            .block_on(
                logs.put_retention_policy()
                    .log_group_name(group)
                    .retention_in_days(days)
                    .send(),
            )
            .unwrap();
    };
    for group in ["/unowned/a", "/unowned/b"] {
        runtime
            .block_on(logs.create_log_group().log_group_name(group).send())
            .unwrap();
    }
    assert_eq!(repo.apply(&[]).code, 0);
    set("/unowned/a", 14);
    assert_eq!(repo.apply(&[]).code, 0);
    assert_eq!(repo.plan().code, 0);
    set("/unowned/b", 30);
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let change = &plan.json()["changes"][0];
    assert_eq!(
        change["fields"][0]["path"],
        "logGroups[\"/unowned/b\"].retentionInDays"
    );
    assert_eq!(change["drift"], true, "{change}");
}
