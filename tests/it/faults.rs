//! Fault convergence (issue 13, part 3): on a private emulator (fault rules are
//! global), every operation of every service fails at AWS-like rates, seeded: 20 %
//! throttling, 5 % 5xx (half 500 InternalFailure, half 503 ServiceUnavailable), 1 %
//! dropped connections (no answer, the request never served) and 1 % lost answers
//! (served, then the connection closed). `driftless apply` runs again and again, as
//! the controller would, until an apply finds nothing to write (bounded); then, faults
//! off, a plan must show no change but the seeded conflicts, the account must hold
//! exactly the repository (no duplicate window, baseline, plan or selection; no
//! orphan), and the unowned namesakes seeded beforehand must read back unchanged, with
//! no CloudTrail write event naming them since they were seeded.
//!
//! Over the quickstart and a generated repository of every kind (`gen.rs`).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use aws_types::SdkConfig;
use serde_json::{json, Value};

use crate::emulator::{CallCounts, Emulator, TestAccount};
use crate::estate::{driftless_at, trail, Census};
use crate::gen::{self, Expected, Sizes};

/// At most this many applies before a repository must have converged.
const MAX_ROUNDS: usize = 12;

/// The fault rules: each rate is the share of *all* requests (a rule only sees what
/// the rules before it let through, so its own rate is scaled up accordingly).
pub fn fault_rules(seed: u64) -> Value {
    let shares = [
        ("drop_response", 0.01),
        ("drop", 0.01),
        ("error500", 0.025),
        ("error503", 0.025),
        ("throttle", 0.20),
    ];
    let mut left = 1.0;
    let rules: Vec<Value> = shares
        .iter()
        .map(|(kind, share)| {
            let rate = share / left;
            left -= share;
            json!({"kind": kind, "rate": rate})
        })
        .collect();
    json!({"seed": seed, "rules": rules})
}

/// One repository being driven to convergence in its own account.
struct Driven {
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
    account: TestAccount,
}

/// What the apply loop did.
#[derive(Debug, Default)]
struct Rounds {
    applies: usize,
    converged: bool,
    /// Units reported failed, summed over the applies.
    failed_changes: usize,
    made_changes: usize,
    /// Applies whose target could not be planned (a read failed after every retry).
    unplanned: usize,
    /// The `error:` lines of the applies (what failed, and why).
    errors: Vec<String>,
}

impl Driven {
    fn new(files: impl FnOnce(&Path), account: TestAccount) -> Driven {
        let driven = Driven {
            dir: tempfile::tempdir().unwrap(),
            state: tempfile::tempdir().unwrap(),
            account,
        };
        files(driven.dir.path());
        driven
    }

    fn run(&self, emulator: &Emulator, args: &[&str]) -> std::process::Output {
        driftless_at(
            emulator.endpoint(),
            &self.account.account_id,
            &self.account.region,
            self.state.path(),
        )
        .args(args)
        .arg("--source")
        .arg(self.dir.path())
        .arg("--state-dir")
        .arg(self.state.path())
        .output()
        .unwrap()
    }

    /// Applies until an apply has nothing left to write, at most [`MAX_ROUNDS`] times.
    fn converge(&self, emulator: &Emulator) -> Rounds {
        let mut rounds = Rounds::default();
        while rounds.applies < MAX_ROUNDS {
            rounds.applies += 1;
            let out = self.run(emulator, &["apply", "--auto-approve"]);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            rounds.errors.extend(
                stderr
                    .lines()
                    .filter(|l| l.starts_with("error:"))
                    .map(|l| format!("apply {}: {l}", rounds.applies)),
            );
            if let Some((made, failed)) = apply_counts(&stdout) {
                rounds.made_changes += made;
                rounds.failed_changes += failed;
            }
            if stdout.contains("failed target") {
                rounds.unplanned += 1;
            }
            if nothing_left(&out) {
                rounds.converged = true;
                break;
            }
        }
        rounds
    }

    /// The plan (faults off), as JSON.
    fn plan(&self, emulator: &Emulator) -> Value {
        let out = self.run(emulator, &["plan", "--output", "json"]);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    fn sdk(&self, emulator: &Emulator) -> SdkConfig {
        emulator.sdk_config(&self.account.account_id, &self.account.region)
    }
}

/// `(made, failed)` from `Apply complete: N changes made, F failed, …`.
fn apply_counts(stdout: &str) -> Option<(usize, usize)> {
    let line = stdout.lines().find(|l| l.starts_with("Apply complete: "))?;
    let mut numbers = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().unwrap());
    Some((numbers.next()?, numbers.next()?))
}

/// The apply planned every target and found nothing it could write (conflicts are
/// never written).
fn nothing_left(out: &std::process::Output) -> bool {
    let stdout = String::from_utf8_lossy(&out.stdout);
    !stdout.contains("Apply complete")
        && !stdout.contains("failed target")
        && (out.status.success() || stdout.contains("Nothing to apply; "))
}

/// The changes a plan still lists, as `action kind name`.
fn remaining(plan: &Value) -> Vec<String> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["action"].as_str().unwrap(),
                c["kind"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect()
}

/// Unowned resources of the generated repository's names, one or more per kind,
/// made with the SDK before driftless runs; returns their names.
async fn seed_namesakes(config: &SdkConfig, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    seed_cloudwatch_logs(config, prefix, &mut names).await;
    seed_ssm(config, prefix, &mut names).await;
    seed_backup(config, prefix, &mut names).await;
    names
}

/// Two alarms and a log group (with a retention of its own).
async fn seed_cloudwatch_logs(config: &SdkConfig, prefix: &str, names: &mut BTreeSet<String>) {
    let cw = aws_sdk_cloudwatch::Client::new(config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    for i in [1, 7] {
        let name = format!("{prefix}-alarm-{i:03}");
        crate::fixtures::put_minimal_alarm(&cw, &name)
            .tags(crate::fixtures::cw_tag("owner", "another-team"))
            .send()
            .await
            .expect("PutMetricAlarm");
        names.insert(name);
    }
    let group = format!("/{prefix}/svc-01/group-001");
    logs.create_log_group()
        .log_group_name(&group)
        .tags("owner", "another-team")
        .send()
        .await
        .expect("CreateLogGroup");
    logs.put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(5)
        .send()
        .await
        .expect("PutRetentionPolicy");
    names.insert(group);
}

/// Two baselines and two windows (with a target each).
async fn seed_ssm(config: &SdkConfig, prefix: &str, names: &mut BTreeSet<String>) {
    use aws_sdk_ssm::types::{MaintenanceWindowResourceType, OperatingSystem, Tag, Target};
    let ssm = aws_sdk_ssm::Client::new(config);
    let other = || {
        Tag::builder()
            .key("owner")
            .value("another-team")
            .build()
            .unwrap()
    };
    for i in [2, 9] {
        let name = format!("{prefix}-baseline-{i:03}");
        ssm.create_patch_baseline()
            .name(&name)
            .operating_system(OperatingSystem::AmazonLinux2023)
            .tags(other())
            .send()
            .await
            .expect("CreatePatchBaseline");
        names.insert(name);
    }
    for i in [3, 10] {
        let name = format!("{prefix}-window-{i:03}");
        let window = ssm
            .create_maintenance_window()
            .name(&name)
            .schedule("cron(0 4 ? * SUN *)")
            .duration(2)
            .cutoff(0)
            .allow_unassociated_targets(true)
            .tags(other())
            .send()
            .await
            .expect("CreateMaintenanceWindow");
        ssm.register_target_with_maintenance_window()
            .window_id(window.window_id().unwrap())
            .name("web")
            .resource_type(MaintenanceWindowResourceType::Instance)
            .targets(Target::builder().key("tag:team").values("other").build())
            .send()
            .await
            .expect("RegisterTargetWithMaintenanceWindow");
        names.insert(name);
    }
}

/// A vault and two plans (with a selection each) backing up into it.
async fn seed_backup(config: &SdkConfig, prefix: &str, names: &mut BTreeSet<String>) {
    use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, BackupSelection};
    let backup = aws_sdk_backup::Client::new(config);
    let vault = format!("{prefix}-vault-004");
    backup
        .create_backup_vault()
        .backup_vault_name(&vault)
        .backup_vault_tags("owner", "another-team")
        .send()
        .await
        .expect("CreateBackupVault");
    names.insert(vault.clone());
    for i in [5, 12] {
        let name = format!("{prefix}-plan-{i:03}");
        let rule = BackupRuleInput::builder()
            .rule_name("theirs")
            .target_backup_vault_name(&vault)
            .schedule_expression("cron(0 1 * * ? *)")
            .build()
            .unwrap();
        let plan = backup
            .create_backup_plan()
            .backup_plan(
                BackupPlanInput::builder()
                    .backup_plan_name(&name)
                    .rules(rule)
                    .build()
                    .unwrap(),
            )
            .backup_plan_tags("owner", "another-team")
            .send()
            .await
            .expect("CreateBackupPlan");
        backup
            .create_backup_selection()
            .backup_plan_id(plan.backup_plan_id().unwrap())
            .backup_selection(
                BackupSelection::builder()
                    .selection_name("tagged")
                    .iam_role_arn("arn:aws:iam::111111111111:role/theirs")
                    .resources("arn:aws:dynamodb:*:*:table/theirs")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("CreateBackupSelection");
        names.insert(name);
    }
}

/// Unowned, never-expiring log groups under the first generated retention policy's
/// prefix: two it must set, one it excludes (`audit-`). Returns (governed, excluded).
async fn seed_governed(config: &SdkConfig, prefix: &str) -> (Vec<String>, String) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let base = format!("/{prefix}-lambda-0/");
    let governed = vec![format!("{base}fn-a"), format!("{base}fn-b")];
    let excluded = format!("{base}audit-trail");
    for name in governed.iter().chain([&excluded]) {
        logs.create_log_group()
            .log_group_name(name)
            .tags("owner", "lambda")
            .send()
            .await
            .expect("CreateLogGroup");
    }
    (governed, excluded)
}

/// The retention of each of `names` (None: never expire).
async fn retentions(config: &SdkConfig, names: &[String]) -> Vec<Option<i32>> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let mut out = Vec::new();
    for name in names {
        let found = logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .expect("DescribeLogGroups");
        let group = found
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name));
        out.push(
            group
                .expect("the governed group exists")
                .retention_in_days(),
        );
    }
    out
}

/// The fault counters of a run, by kind, summed over every operation.
fn faults_by_kind(counts: &CallCounts) -> std::collections::BTreeMap<String, u64> {
    let mut by_kind = std::collections::BTreeMap::new();
    for ops in counts.faults.values() {
        for kinds in ops.values() {
            for (kind, n) in kinds {
                *by_kind.entry(kind.clone()).or_insert(0) += n;
            }
        }
    }
    by_kind
}

/// Every check after convergence: no change left but the seeded conflicts, the
/// estate equal to the repository, namesakes untouched and never written.
fn assert_converged(
    label: &str,
    driven: &Driven,
    emulator: &Emulator,
    expected: &Expected,
    seeded: &SeededNamesakes,
    rt: &tokio::runtime::Runtime,
) {
    let plan = driven.plan(emulator);
    assert_eq!(
        plan["errors"],
        json!([]),
        "{label}: the final plan failed a target"
    );
    let mut left = remaining(&plan);
    left.retain(|c| {
        !(c.starts_with("conflict ") && seeded.names.contains(c.rsplit(' ').next().unwrap()))
    });
    assert!(
        left.is_empty(),
        "{label}: changes left after convergence: {left:#?}"
    );
    let census = rt.block_on(Census::read(&driven.sdk(emulator)));
    assert_eq!(
        census.duplicates(),
        Vec::<String>::new(),
        "{label}: duplicates"
    );
    let differences = census.differences(expected, &seeded.names, &seeded.unowned);
    assert!(
        differences.is_empty(),
        "{label}: the account differs from the repository: {differences:#?}"
    );
    for before in &seeded.items {
        let after = census
            .items
            .iter()
            .find(|i| i.kind == before.kind && i.id == before.id)
            .unwrap_or_else(|| {
                panic!(
                    "{label}: the namesake {} {} is gone",
                    before.kind, before.id
                )
            });
        assert_eq!(
            after.fingerprint, before.fingerprint,
            "{label}: the namesake {} {} changed",
            before.kind, before.id
        );
        assert!(
            !after.owned,
            "{label}: the namesake {} {} was tagged as owned",
            before.kind, before.id
        );
    }
    let written: Vec<_> = rt
        .block_on(trail(&driven.sdk(emulator)))
        .into_iter()
        .filter(|(id, _, names)| {
            !seeded.events.contains(id) && names.iter().any(|n| seeded.identifiers.contains(n))
        })
        .collect();
    let days = i32::try_from(gen::policy_retention(0)).unwrap();
    assert_eq!(
        rt.block_on(retentions(&driven.sdk(emulator), &seeded.governed)),
        vec![Some(days); seeded.governed.len()],
        "{label}: the retention policy's groups"
    );
    assert!(
        written.is_empty(),
        "{label}: writes naming an unowned namesake: {written:#?}"
    );
}

/// The namesakes as seeded: their names, their census items (fingerprints), every id
/// and ARN that names them, and the CloudTrail events that existed after seeding.
#[derive(Default)]
struct SeededNamesakes {
    names: BTreeSet<String>,
    /// Unowned groups a retention policy governs (written by design), and the
    /// excluded one, which must stay untouched like the namesakes.
    governed: Vec<String>,
    unowned: BTreeSet<String>,
    items: Vec<crate::estate::Item>,
    identifiers: BTreeSet<String>,
    events: BTreeSet<String>,
}

fn seed(
    driven: &Driven,
    emulator: &Emulator,
    prefix: &str,
    rt: &tokio::runtime::Runtime,
) -> SeededNamesakes {
    let config = driven.sdk(emulator);
    let names = rt.block_on(seed_namesakes(&config, prefix));
    let (governed, excluded) = rt.block_on(seed_governed(&config, prefix));
    let mut unowned = names.clone();
    unowned.extend(governed.iter().cloned());
    unowned.insert(excluded.clone());
    let census = rt.block_on(Census::read(&config));
    let items: Vec<_> = census
        .items
        .into_iter()
        .filter(|i| names.contains(&i.name) || i.name == excluded)
        .collect();
    assert_eq!(items.len(), names.len() + 1, "every namesake seeded once");
    let identifiers = items
        .iter()
        .flat_map(|i| [i.name.clone(), i.id.clone(), i.arn.clone()])
        .collect();
    let events = rt
        .block_on(trail(&config))
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    SeededNamesakes {
        names,
        governed,
        unowned,
        items,
        identifiers,
        events,
    }
}

#[test]
fn apply_converges_under_faults_without_duplicates_or_writes_to_unowned_namesakes() {
    let emulator = Emulator::private();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let prefix = "gen";
    let account = TestAccount::new();
    let generated = gen::repository(prefix, Sizes::few_hundred(), &account.region);
    let repo = Driven::new(|root| gen::write_to(&generated, root), account);
    let quickstart_root = crate::cli::repo_root().join("examples/quickstart");
    // The quickstart's alarm actions are topics in ap-northeast-1, and AWS refuses an
    // alarm action in another Region: the quickstart is applied there.
    let quickstart = Driven::new(
        |root| crate::cli::copy_tree(&quickstart_root, root),
        TestAccount::in_region("ap-northeast-1"),
    );
    let seeded = seed(&repo, &emulator, prefix, &rt);
    emulator.reset_calls();

    let started = Instant::now();
    let seed = std::env::var("DRIFTLESS_FAULT_SEED")
        .ok()
        .map(|s| s.parse().expect("DRIFTLESS_FAULT_SEED is a number"))
        .unwrap_or(13);
    emulator.set_faults(&fault_rules(seed));
    let quick_rounds = quickstart.converge(&emulator);
    let rounds = repo.converge(&emulator);
    let elapsed = started.elapsed();
    let counts = emulator.calls();
    emulator.clear_faults();

    println!(
        "faults (seed {seed}): {} resources ({} generated, quickstart {}), {} namesakes; quickstart {quick_rounds:?}; \
         generated {rounds:#?}; {} calls, faults injected {:?} ({} total); {:.1} s",
        Sizes::few_hundred().total() + quickstart_expected().resources(),
        Sizes::few_hundred().total(),
        quickstart_expected().resources(),
        seeded.names.len(),
        counts.total,
        faults_by_kind(&counts),
        faults_by_kind(&counts).values().sum::<u64>(),
        elapsed.as_secs_f64()
    );
    assert!(
        quick_rounds.converged,
        "the quickstart did not converge in {MAX_ROUNDS} applies: {quick_rounds:?}"
    );
    assert!(
        rounds.converged,
        "the generated repository did not converge in {MAX_ROUNDS} applies: {rounds:?}"
    );
    let kinds = faults_by_kind(&counts);
    for kind in ["throttle", "error500", "error503", "drop", "drop_response"] {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} fault was injected: {kinds:?}"
        );
    }
    assert_converged(
        "quickstart",
        &quickstart,
        &emulator,
        &quickstart_expected(),
        &SeededNamesakes::default(),
        &rt,
    );
    assert_converged(
        "generated",
        &repo,
        &emulator,
        &generated.expected,
        &seeded,
        &rt,
    );
}

/// The quickstart's resources, as `examples/quickstart` declares them.
fn quickstart_expected() -> Expected {
    let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    Expected {
        alarms: strings(&[
            "cis-root-account-usage",
            "web-alb-5xx",
            "web-cpu-high",
            "web-error-rate",
        ]),
        log_groups: strings(&[
            "/app/web/access",
            "/app/web/application",
            "/app/web/delivery",
            "/security/cloudtrail",
        ]),
        baselines: [
            (
                "al2023-prod".to_string(),
                strings(&["prod-api", "prod-web"]),
            ),
            ("al2023-staging".to_string(), strings(&["staging-web"])),
        ]
        .into(),
        windows: [(
            "prod-patch-tuesday".to_string(),
            (
                strings(&["prod-web"]),
                strings(&["install-patches", "report"]),
            ),
        )]
        .into(),
        vaults: strings(&["prod-vault"]),
        plans: [(
            "prod-daily".to_string(),
            strings(&["critical-any", "tagged-daily"]),
        )]
        .into(),
    }
}

/// Every create driftless makes, by service (botocore's names) and operation.
const CREATES: &[(&str, &str)] = &[
    ("cloudwatch", "PutMetricAlarm"),
    ("logs", "CreateLogGroup"),
    ("logs", "PutRetentionPolicy"),
    ("ssm", "CreatePatchBaseline"),
    ("ssm", "RegisterPatchBaselineForPatchGroup"),
    ("ssm", "CreateMaintenanceWindow"),
    ("ssm", "RegisterTargetWithMaintenanceWindow"),
    ("ssm", "RegisterTaskWithMaintenanceWindow"),
    ("backup", "CreateBackupVault"),
    ("backup", "CreateBackupPlan"),
    ("backup", "CreateBackupSelection"),
];

/// Invariant 6, deterministically: the first three answers of every create are lost
/// (served, then the connection closed); the SDK's retries must be recognised (client
/// tokens, or an existing resource found to be ours), so one apply makes everything
/// without a failure and without a duplicate.
#[test]
fn creates_whose_answers_are_lost_are_retried_without_failures_or_duplicates() {
    let emulator = Emulator::private();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let account = TestAccount::new();
    let generated = gen::repository("lost", Sizes::small(), &account.region);
    let repo = Driven::new(|root| gen::write_to(&generated, root), account);
    let rules: Vec<Value> = CREATES
        .iter()
        .map(|(service, operation)| {
            json!({"service": service, "operation": operation, "kind": "drop_response", "count": 3})
        })
        .collect();
    emulator.set_faults(&json!({"seed": 1, "rules": rules}));
    let out = repo.run(&emulator, &["apply", "--auto-approve"]);
    let fired = emulator.faults();
    emulator.clear_faults();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (rule, (service, operation)) in fired["rules"].as_array().unwrap().iter().zip(CREATES) {
        assert_eq!(rule["fired"], 3, "{service} {operation}: {rule}");
    }
    assert!(
        out.status.success(),
        "the apply failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        apply_counts(&stdout).map(|(_, failed)| failed),
        Some(0),
        "{stdout}"
    );
    let plan = repo.plan(&emulator);
    assert_eq!(
        remaining(&plan),
        Vec::<String>::new(),
        "changes left after one apply"
    );
    let census = rt.block_on(Census::read(&repo.sdk(&emulator)));
    assert_eq!(census.duplicates(), Vec::<String>::new());
    let none = BTreeSet::new();
    assert_eq!(
        census.differences(&generated.expected, &none, &none),
        Vec::<String>::new()
    );
}
