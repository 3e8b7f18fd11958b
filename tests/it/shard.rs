//! Sharded controllers: `driftless run --shard-index I --shard-count N` processes
//! split one repository's targets between them, each reconciling only its own.

use std::collections::BTreeSet;
use std::process::Stdio;

use crate::emulator::TestAccount;
use crate::support::{
    driftless, history_json, http, start_controller_with, status_of, wait_until, Repo,
};

/// Nine targets, each in a region of its own (one account), with one log group each.
const REGIONS: [&str; 9] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-northeast-1",
    "ap-southeast-1",
];

fn nine_targets() -> Repo {
    let mut config = String::from("targets:\n");
    for (i, region) in REGIONS.iter().enumerate() {
        config.push_str(&format!("  - {{name: t{i}, region: {region}}}\n"));
    }
    let group = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /shard/app}\nspec: {retentionInDays: 7}\n";
    Repo::new(&[("driftless.yaml", &config), ("app.yaml", group)])
}

/// The targets a `run --once` printed for its shard (`shard I of N: a, b`).
fn shard_line(stdout: &str, index: usize) -> Vec<String> {
    let prefix = format!("shard {index} of 3: ");
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in\n{stdout}"));
    line.split(", ").map(str::to_string).collect()
}

/// The targets in a state dir's history.
fn history_targets(state: &std::path::Path) -> BTreeSet<String> {
    let history = history_json(state);
    history["reconciles"]
        .as_array()
        .unwrap_or_else(|| panic!("no reconciles in {history}"))
        .iter()
        .map(|r| r["target"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn three_shards_split_nine_targets_and_each_target_is_reconciled_once() {
    let repo = nine_targets();
    let source = repo.dir.path().to_string_lossy().into_owned();
    let states: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let children: Vec<_> = states
        .iter()
        .enumerate()
        .map(|(i, state)| {
            driftless(&repo.account, state.path())
                .args(["run", "--once", "--source", &source, "--shard-count", "3"])
                .args(["--shard-index", &i.to_string(), "--state-dir"])
                .arg(state.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut owned: Vec<String> = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "shard {i}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mine = shard_line(&stdout, i);
        assert_eq!(mine.len(), 3, "shard {i} owns {mine:?}: the split is even");
        for target in &mine {
            assert!(
                stdout.contains(&format!("{target}: converged")),
                "{target} not converged by shard {i}:\n{stdout}"
            );
        }
        // The history of a shard holds only what that process did.
        let reconciled = history_targets(states[i].path());
        assert_eq!(
            reconciled,
            mine.iter().cloned().collect(),
            "shard {i}'s history"
        );
        owned.extend(mine);
    }
    owned.sort();
    let expected: Vec<String> = (0..9).map(|i| format!("t{i}")).collect();
    assert_eq!(owned, expected, "every target exactly once");

    // All nine converged: the group exists in every region.
    let rt = tokio::runtime::Runtime::new().unwrap();
    for region in REGIONS {
        let sdk = TestAccount {
            region: region.to_string(),
            ..repo.account.clone()
        }
        .sdk_config();
        let groups = rt
            .block_on(
                aws_sdk_cloudwatchlogs::Client::new(&sdk)
                    .describe_log_groups()
                    .log_group_name_prefix("/shard/")
                    .send(),
            )
            .unwrap();
        assert_eq!(groups.log_groups().len(), 1, "{region}");
        assert_eq!(
            groups.log_groups()[0].retention_in_days(),
            Some(7),
            "{region}"
        );
    }
}

#[test]
fn the_host_names_ordinal_is_the_index_and_bad_shards_do_not_start() {
    let repo = nine_targets();
    let source = repo.dir.path().to_string_lossy().into_owned();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = driftless(&repo.account, repo.state.path());
        command
            .args(["run", "--once", "--source", &source, "--state-dir"])
            .arg(repo.state.path())
            .args(args)
            .env("HOSTNAME", "laptop");
        for (k, v) in env {
            command.env(k, v);
        }
        let out = command.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (args, env, message) in [
        (
            &["--shard-count", "3", "--shard-index", "3"][..],
            &[][..],
            "--shard-index 3 is not below --shard-count 3",
        ),
        (
            &["--shard-count", "3", "--shard-index", "-1"],
            &[],
            "--shard-index `-1` is not a shard index",
        ),
        (
            &["--shard-count", "3", "--shard-index", "two"],
            &[],
            "--shard-index `two` is not a shard index",
        ),
        (
            &["--shard-count", "0"],
            &[],
            "--shard-count `0` is not a whole number",
        ),
        (
            &["--shard-count", "3"],
            &[],
            "--shard-count 3 needs this process's shard index",
        ),
        (
            &[],
            &[
                ("DRIFTLESS_SHARD_COUNT", "2"),
                ("DRIFTLESS_SHARD_INDEX", "5"),
            ],
            "--shard-index 5 is not below --shard-count 2",
        ),
    ] {
        let (code, stdout, stderr) = run(args, env);
        assert_eq!(code, 1, "{args:?} {env:?}: {stdout}{stderr}");
        assert!(stderr.contains(message), "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains("hint:"), "{stderr}");
        assert!(stdout.is_empty(), "{args:?}: nothing ran: {stdout}");
    }
    // A StatefulSet pod's host name gives the index; the variables work as the flags.
    let (code, by_host, stderr) = run(&["--shard-count", "3"], &[("HOSTNAME", "driftless-2")]);
    assert_eq!(code, 0, "{by_host}{stderr}");
    let (code, by_env, stderr) = run(
        &[],
        &[
            ("DRIFTLESS_SHARD_COUNT", "3"),
            ("DRIFTLESS_SHARD_INDEX", "2"),
        ],
    );
    assert_eq!(code, 0, "{by_env}{stderr}");
    assert_eq!(shard_line(&by_host, 2), shard_line(&by_env, 2));
}

#[test]
fn status_and_metrics_say_which_shard_and_which_targets() {
    let repo = nine_targets();
    let source = repo.dir.path().to_string_lossy().into_owned();
    let (mut child, addr) = start_controller_with(
        &repo,
        &source,
        "1h",
        &["--shard-count", "3", "--shard-index", "1"],
    );
    wait_until("the first reconcile", &|| {
        status_of(&addr)["targets"]
            .as_object()
            .is_some_and(|t| t.len() == 3 && t.values().all(|s| s["lastResult"] == "converged"))
    });
    let status = status_of(&addr);
    assert_eq!(status["shard"]["index"], 1);
    assert_eq!(status["shard"]["count"], 3);
    let targets: Vec<&str> = status["shard"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let reconciled: Vec<&str> = status["targets"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(targets, reconciled);
    let (code, metrics) = http(&addr, "GET", "/metrics", &[], b"");
    assert_eq!(code, 200);
    assert!(
        metrics
            .lines()
            .any(|l| l == "driftless_shard_info{index=\"1\",count=\"3\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.lines().any(|l| l == "driftless_shard_targets 3"),
        "{metrics}"
    );
    let _ = child.kill();
    let _ = child.wait();
}
