//! History that stays bounded (issue 26): a controller at a 2-second resync over an
//! unchanged repository keeps a few records per target while `driftless history`
//! still counts every reconcile, with the local and the S3 backend; and
//! `--history-retention` prunes the S3 history by age. Also the controller's choice of
//! backend: driftless.yaml's `state:`, unless `--state` says otherwise.

use serde_json::{json, Value};

use crate::cli::LOG_GROUP;
use crate::state_s3::{s3_client, state_bucket};
use crate::support::{driftless, origin_repo, rt, start_controller_with, wait_until, Repo};

/// `driftless history --output json` with `extra` flags, from the repository's folder.
fn history(repo: &Repo, extra: &[&str]) -> Vec<Value> {
    let out = driftless(&repo.account, repo.state.path())
        .args([
            "history",
            "--output",
            "json",
            "--limit",
            "1000",
            "--state-dir",
        ])
        .arg(repo.state.path())
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["reconciles"].as_array().unwrap().clone()
}

fn counted(records: &[Value]) -> u64 {
    records
        .iter()
        .map(|r| r["repeated"].as_u64().unwrap())
        .sum()
}

/// Runs a controller at a 2 s resync until `history` counts 6 reconciles; returns
/// the records.
fn six_resyncs(repo: &Repo, url: &str, extra: &[&str]) -> Vec<Value> {
    let (mut child, _addr) = start_controller_with(repo, url, "2s", extra);
    wait_until("six reconciles", &|| counted(&history(repo, extra)) >= 6);
    child.kill().unwrap();
    child.wait().unwrap();
    history(repo, extra)
}

fn assert_bounded(records: &[Value]) {
    // The first reconcile applied; every one after found nothing to do and is
    // counted into one record.
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records[1]["result"], "applied");
    assert_eq!(records[0]["result"], "no-changes");
    assert!(
        records[0]["repeated"].as_u64().unwrap() >= 5,
        "{records:#?}"
    );
    assert!(records[0]["lastAt"].as_str().unwrap() > records[0]["startedAt"].as_str().unwrap());
}

#[test]
fn a_controller_at_a_2s_resync_keeps_one_record_for_its_quiet_reconciles() {
    let repo = Repo::new(&[]);
    let (_origin, url) = origin_repo(&[("a.yaml", LOG_GROUP)], "first");
    assert_bounded(&six_resyncs(&repo, &url, &[]));
}

#[test]
fn with_the_s3_backend_too() {
    let repo = Repo::new(&[]);
    let (bucket, state) = state_bucket(&repo, "bounded");
    let (_origin, url) = origin_repo(&[("a.yaml", LOG_GROUP)], "first");
    assert_bounded(&six_resyncs(&repo, &url, &["--state", &state]));
    // Two objects in the bucket, not one per reconcile.
    let objects = rt().block_on(async {
        s3_client(&repo)
            .list_objects_v2()
            .bucket(&bucket)
            .prefix("bounded/history/default/")
            .send()
            .await
            .unwrap()
            .key_count()
    });
    assert_eq!(objects, Some(2));
}

/// A history object as driftless writes it, started `days` ago, the last of its
/// reconciles `last_days` ago.
fn put_old(repo: &Repo, bucket: &str, name: &str, days: i64, last_days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let started = now - days * 86_400;
    let key = format!("old/history/{name}/{started:012}-x.json");
    let record = json!({
        "startedAtUnix": started, "durationMs": 1, "target": name, "revision": "r",
        "result": "no-changes", "repeated": 9, "lastAtUnix": now - last_days * 86_400,
    });
    rt().block_on(async {
        s3_client(repo)
            .put_object()
            .bucket(bucket)
            .key(&key)
            .body(serde_json::to_vec(&record).unwrap().into())
            .send()
            .await
            .unwrap()
    });
    key
}

#[test]
fn history_retention_prunes_the_s3_history_by_the_last_reconcile_of_each_record() {
    let repo = Repo::new(&[("a.yaml", LOG_GROUP)]);
    let (bucket, state) = state_bucket(&repo, "old");
    let gone = put_old(&repo, &bucket, "a", 120, 100);
    let ran_on = put_old(&repo, &bucket, "b", 120, 10);
    let recent = put_old(&repo, &bucket, "c", 20, 20);
    repo.apply(&["--state", &state, "--history-retention", "90d"]);
    let keys: Vec<String> = rt().block_on(async {
        s3_client(&repo)
            .list_objects_v2()
            .bucket(&bucket)
            .prefix("old/history/")
            .send()
            .await
            .unwrap()
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect()
    });
    assert!(!keys.contains(&gone), "{keys:?}");
    assert!(keys.contains(&ran_on) && keys.contains(&recent), "{keys:?}");
    assert_eq!(
        keys.len(),
        3,
        "the apply's own record and the two kept: {keys:?}"
    );
    // `--since` finds the record that started before it and ran on past it.
    let since = history(
        &repo,
        &["--state", &state, "--since", "30d", "--target", "b"],
    );
    assert_eq!(since.len(), 1);
    assert_eq!(since[0]["repeated"], 9);
}

#[test]
fn the_controller_uses_the_state_driftless_yaml_names_unless_the_flag_says_otherwise() {
    let repo = Repo::new(&[]);
    let (bucket, state) = state_bucket(&repo, "fromyaml");
    let config = format!("state:\n  s3: {{bucket: {bucket}, prefix: fromyaml}}\n");
    let (_origin, url) = origin_repo(
        &[("driftless.yaml", &config), ("a.yaml", LOG_GROUP)],
        "first",
    );
    let once = |extra: &[&str]| {
        let mut args = vec!["run", "--once", "--listen", "127.0.0.1:0", "--source", &url];
        args.extend_from_slice(extra);
        let run = repo.run_raw(&args);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    };
    once(&[]);
    // The reconcile (and its records) went to the bucket driftless.yaml names.
    assert_eq!(counted(&history(&repo, &["--state", &state])), 1);
    assert_eq!(counted(&history(&repo, &["--state", "local"])), 0);
    let records = repo.run_raw(&["state", "show", "--target", "default", "--state", &state]);
    assert!(records.stdout.contains("/cli/app"), "{}", records.stdout);
    // `--state` (as DRIFTLESS_STATE) wins over driftless.yaml.
    once(&["--state", "local"]);
    assert_eq!(counted(&history(&repo, &["--state", "local"])), 1);
    assert_eq!(counted(&history(&repo, &["--state", &state])), 1);
}
