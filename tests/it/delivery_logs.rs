//! Issue 14, part 4: log groups of class DELIVERY. AWS keeps their events one day
//! and refuses to set their retention (the emulator too, ext_logs.py): driftless
//! creates them, reads them back without a perpetual diff, refuses a spec that sets
//! another retention, and a LogRetentionPolicy never plans a change for one.

use aws_sdk_cloudwatchlogs::types::LogGroupClass;
use aws_sdk_cloudwatchlogs::Client as Logs;

use crate::support::Repo;

const DELIVERY: &str = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /delivery/owned}\nspec: {logGroupClass: DELIVERY, tags: {team: web}}\n";
const POLICY: &str = "apiVersion: driftless.dev/v1\nkind: LogRetentionPolicy\nmetadata: {name: delivery}\nspec: {logGroupNamePrefix: /delivery/, retentionInDays: 30}\n";

#[test]
fn delivery_groups_round_trip_and_retention_policies_leave_them_alone() {
    let repo = Repo::new(&[("group.yaml", DELIVERY), ("policy.yaml", POLICY)]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let logs = Logs::new(&repo.sdk());
    for (name, class) in [
        ("/delivery/theirs", LogGroupClass::Delivery),
        ("/delivery/standard", LogGroupClass::Standard),
    ] {
        rt.block_on(
            logs.create_log_group()
                .log_group_name(name)
                .log_group_class(class)
                .send(),
        )
        .unwrap();
    }
    let plan = repo.plan().json();
    let policy = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "delivery")
        .unwrap_or_else(|| panic!("{plan}"))
        .clone();
    let paths: Vec<&str> = policy["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["logGroups[\"/delivery/standard\"].retentionInDays"],
        "{plan}"
    );
    let written = repo.apply_writes(&[]);
    assert_eq!(written.get("logs:CreateLogGroup"), Some(&1), "{written:?}");
    assert_eq!(
        written.get("logs:PutRetentionPolicy"),
        Some(&1),
        "{written:?}"
    );
    assert_eq!(
        written.get("logs:DeleteRetentionPolicy"),
        None,
        "{written:?}"
    );

    let groups = rt
        .block_on(
            logs.describe_log_groups()
                .log_group_name_prefix("/delivery/")
                .send(),
        )
        .unwrap();
    let owned = groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some("/delivery/owned"))
        .unwrap();
    assert_eq!(owned.log_group_class(), Some(&LogGroupClass::Delivery));
    assert_eq!(owned.retention_in_days(), Some(1));
    let plan = repo.plan();
    assert_eq!(plan.code, 0, "{}", plan.stdout);

    // Writing the fixed retention is accepted; any other is refused where it is.
    repo.write(
        "group.yaml",
        &DELIVERY.replace(
            "logGroupClass: DELIVERY,",
            "logGroupClass: DELIVERY, retentionInDays: 1,",
        ),
    );
    assert_eq!(repo.plan().code, 0);
    repo.write(
        "group.yaml",
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /delivery/owned}\nspec:\n  logGroupClass: DELIVERY\n  retentionInDays: 30\n",
    );
    let run = repo.plan();
    assert_eq!(run.code, 1);
    let errors = run.json()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["line"], 6);
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("DELIVERY log group keeps events for 1 day"));

    // Deleted with prune (the policy stays, so the repository is not empty).
    std::fs::remove_file(repo.dir.path().join("group.yaml")).unwrap();
    let written = repo.apply_writes(&["--prune"]);
    assert_eq!(written.get("logs:DeleteLogGroup"), Some(&1), "{written:?}");
    assert_eq!(repo.plan().code, 0);
}
