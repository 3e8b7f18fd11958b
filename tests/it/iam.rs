//! `driftless iam-policy`: every AWS operation the code can call is in the policy's
//! table (found by scanning `aws/` for the SDK's operation names), and every
//! operation the emulator counted during a full create / update / prune cycle of
//! each kind is allowed by the policy generated for that repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::emulator::CallCounts;
use crate::support::{repo_root, Repo};

/// The folder of each AWS SDK crate driftless uses, from `cargo metadata`.
fn sdk_crates() -> BTreeMap<String, PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // This machine's platform only: other platforms' crates are not downloaded.
    let rustc = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .unwrap();
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host");
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let name = p["name"].as_str()?;
            let manifest = Path::new(p["manifest_path"].as_str()?);
            name.starts_with("aws-sdk-")
                .then(|| (name.to_string(), manifest.parent().unwrap().to_path_buf()))
        })
        .collect()
}

/// The operations an SDK crate defines (its `src/operation/<snake_name>/` folders).
fn operations(crate_dir: &Path) -> Vec<String> {
    std::fs::read_dir(crate_dir.join("src/operation"))
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.file_type()
                .unwrap()
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect()
}

/// `put_metric_alarm` → `PutMetricAlarm`.
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The sources of one service's module in `aws/` (`cloudwatch.rs` and `cloudwatch/*`).
fn module_sources(stem: &str) -> String {
    let aws = repo_root().join("controller/aws/src");
    let mut text = std::fs::read_to_string(aws.join(format!("{stem}.rs"))).unwrap();
    if let Ok(dir) = std::fs::read_dir(aws.join(stem)) {
        for e in dir {
            text.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
        }
    }
    text
}

#[test]
fn every_operation_the_aws_modules_call_is_in_the_policy_table_and_no_other() {
    let crates = sdk_crates();
    // aws/ module, SDK crate, the service as the emulator and the table name it.
    let modules = [
        ("cloudwatch", "aws-sdk-cloudwatch", "cloudwatch"),
        ("logs", "aws-sdk-cloudwatchlogs", "logs"),
        ("ssm", "aws-sdk-ssm", "ssm"),
        ("backup", "aws-sdk-backup", "backup"),
        (
            "tagging",
            "aws-sdk-resourcegroupstagging",
            "resourcegroupstaggingapi",
        ),
        ("sns", "aws-sdk-sns", "sns"),
        ("cloudtrail", "aws-sdk-cloudtrail", "cloudtrail"),
        ("sts", "aws-sdk-sts", "sts"),
        ("s3", "aws-sdk-s3", "s3"),
        ("config", "aws-sdk-config", "config"),
    ];
    let mut called = BTreeSet::new();
    for (stem, krate, service) in modules {
        let dir = crates
            .get(krate)
            .unwrap_or_else(|| panic!("{krate} not in cargo metadata"));
        let source = module_sources(stem);
        for op in operations(dir) {
            if source.contains(&format!(".{op}()")) {
                called.insert((service.to_string(), pascal(&op)));
            }
        }
    }
    let table: BTreeSet<(String, String)> = driftless::iam::CALLS
        .iter()
        .map(|c| (c.service.to_string(), c.operation.to_string()))
        .collect();
    let missing: Vec<_> = called.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "called but not in iam::CALLS: {missing:?}"
    );
    let never: Vec<_> = table.difference(&called).collect();
    assert!(
        never.is_empty(),
        "in iam::CALLS but never called: {never:?}"
    );
    // No other aws/ module names an SDK client.
    for e in std::fs::read_dir(repo_root().join("controller/aws/src")).unwrap() {
        let path = e.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_file() && !modules.iter().any(|m| m.0 == stem) {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                !text.contains(".send()"),
                "{} sends AWS requests: add it to this test and the table",
                path.display()
            );
        }
    }
}

/// Operations counted between two readings.
fn counted(before: &CallCounts, after: &CallCounts) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (service, ops) in &after.calls {
        for (op, n) in ops {
            if *n > before.get(service, op) {
                out.insert((service.clone(), op.clone()));
            }
        }
    }
    out
}

/// The policy `driftless iam-policy` prints for the repository.
fn policy_of(repo: &Repo, read_only: bool) -> Value {
    let mut args = vec!["iam-policy"];
    if read_only {
        args.push("--read-only");
    }
    let run = repo.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

/// The IAM action of an operation the emulator counted.
fn action(service: &str, operation: &str) -> String {
    format!("{}:{operation}", driftless::iam::iam_prefix(service))
}

fn assert_allowed(policy: &Value, ops: &BTreeSet<(String, String)>, what: &str) {
    let allowed = driftless::iam::allowed_actions(policy);
    // GetCallerIdentity (`${target.accountId}`): "No permissions are required to perform
    // this operation" (AWS STS API Reference, GetCallerIdentity), so the policy leaves
    // it out on purpose.
    let denied: Vec<String> = ops
        .iter()
        .map(|(s, o)| action(s, o))
        .filter(|a| !allowed.contains(a) && a != "sts:GetCallerIdentity")
        .collect();
    assert!(
        denied.is_empty(),
        "{what}: not allowed by the policy: {denied:?}"
    );
}

/// Edits that change a field or a tag of every quickstart kind.
const EDITS: &[(&str, &str)] = &[
    ("description: ", "description: Changed, "),
    ("tags: {env: prod}", "tags: {env: prod, owner: ops}"),
    (
        "tags: {team: web, service: storefront}",
        "tags: {team: ops}",
    ),
    ("retentionInDays: 30", "retentionInDays: 60"),
    ("metricValue: \"1\"", "metricValue: \"2\""),
    ("retentionInDays: 14", "retentionInDays: 7"),
    ("deleteAfterDays: 365}", "deleteAfterDays: 400}"),
    ("maxConcurrency: \"10%\"", "maxConcurrency: \"20%\""),
    (
        "patchGroups: [prod-web, prod-api]",
        "patchGroups: [prod-web]",
    ),
    (
        "tags: {\"Patch Group\": prod-web}",
        "tags: {\"Patch Group\": [prod-web, prod-api]}",
    ),
];

/// Create, update and prune the quickstart files `files`; every call allowed.
fn cycle(files: &[&str]) {
    let quickstart = repo_root().join("examples/quickstart");
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            (
                f.to_string(),
                std::fs::read_to_string(quickstart.join(f)).unwrap(),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let repo = Repo::new(&refs);
    let policy = policy_of(&repo, false);
    let read_only = policy_of(&repo, true);

    let before = repo.calls();
    assert!(repo.plan().code == 2);
    assert_allowed(
        &read_only,
        &counted(&before, &repo.calls()),
        "plan, read-only",
    );

    let before = repo.calls();
    repo.apply(&[]);
    for (file, text) in &texts {
        let edited = EDITS
            .iter()
            .fold(text.clone(), |t, (from, to)| t.replace(from, to));
        assert_ne!(&edited, text, "{file}: no edit applies");
        repo.write(file, &edited);
    }
    repo.apply(&[]);
    let after_update = repo.calls();
    for (file, _) in &texts {
        std::fs::remove_file(repo.dir.path().join(file)).unwrap();
    }
    repo.apply(&["--prune", "--allow-empty"]);
    let ops = counted(&before, &repo.calls());
    assert_allowed(&policy, &ops, &format!("{files:?}"));
    // The cycle wrote: the check is not vacuous.
    assert!(
        ops.iter().any(|(_, o)| o.starts_with("Delete")),
        "{files:?}: no delete in {ops:?}"
    );
    assert!(counted(&before, &after_update).len() > 3, "{files:?}");
    // The read-only policy refuses every write made (and grants every read but the one
    // that needs no permission, see `assert_allowed`).
    let read_only_allowed = driftless::iam::allowed_actions(&read_only);
    for (s, o) in ops
        .iter()
        .filter(|(s, o)| action(s, o) != "sts:GetCallerIdentity")
    {
        let call = driftless::iam::call(s, o).unwrap_or_else(|| panic!("{s} {o} not in the table"));
        let granted = read_only_allowed.contains(&action(s, o));
        assert_eq!(
            granted,
            call.access == driftless::iam::Access::Read,
            "{s}:{o} read-only"
        );
    }
}

#[test]
fn alarms_cycle_within_their_policy() {
    cycle(&["monitoring/web.yaml"]);
}

#[test]
fn log_groups_and_retention_policies_cycle_within_their_policy() {
    cycle(&["monitoring/logs.yaml"]);
}

#[test]
fn metric_filters_and_their_alarm_cycle_within_their_policy() {
    cycle(&["monitoring/cis.yaml"]);
}

#[test]
fn patch_baselines_cycle_within_their_policy() {
    cycle(&["patching/baselines.yaml"]);
}

#[test]
fn maintenance_windows_cycle_within_their_policy() {
    cycle(&["patching/windows.yaml"]);
}

#[test]
fn backup_vaults_and_plans_cycle_within_their_policy() {
    cycle(&["backup/daily.yaml"]);
}

#[test]
fn an_invalid_repository_gets_no_policy() {
    let repo = Repo::new(&[(
        "a.yaml",
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /x}\nspec: {retentionInDays: 31}\n",
    )]);
    let run = repo.run(&["iam-policy"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("a.yaml:4:"), "{}", run.stderr);
}
