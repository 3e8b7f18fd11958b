//! The S3 state backend on the emulator's S3 (issue 26): one memory for the whole
//! team. An apply from one folder, a plan from a fresh one sees its records (the
//! issue's reproduction: before, the fresh plan said `drift: false`); history from a
//! third; two applies of one target serialize on its lock; a dead holder's lock is
//! taken over once its lease ran out (a lock put by hand, and one left by an apply
//! SIGKILLed mid-write), a live one is cleared by `state unlock`; of two contenders
//! for an expired lock exactly one wins; `state migrate` round-trips the records.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::emulator::Emulator;
use crate::fixtures::put_cpu_alarm;
use crate::support::{driftless, rt, Repo, Run};

/// `n` CPU alarms named `<prefix>-<i>`, as one YAML stream.
pub(crate) fn alarms(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "apiVersion: driftless.dev/v1
kind: MetricAlarm
metadata: {{name: {prefix}-{i}}}
spec:
  namespace: AWS/EC2
  metricName: CPUUtilization
  statistic: Average
  period: 60
  evaluationPeriods: 1
  threshold: 1
  comparisonOperator: GreaterThanThreshold
"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

pub(crate) fn s3_client(repo: &Repo) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&repo.sdk())
            .force_path_style(true)
            .build(),
    )
}

/// A bucket of the repository's account (bucket names are global: one per account);
/// the state URL under `prefix`.
pub(crate) fn state_bucket(repo: &Repo, prefix: &str) -> (String, String) {
    let bucket = format!("state-{}", repo.account.account_id);
    let s3 = s3_client(repo);
    let region = repo.account.region.clone();
    rt().block_on(async {
        let mut req = s3.create_bucket().bucket(&bucket);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(region.as_str().into())
                    .build(),
            );
        }
        req.send().await.unwrap();
    });
    let url = format!("s3://{bucket}/{prefix}");
    (bucket, url)
}

/// The binary from another folder (its own, empty state dir), with `args`.
fn from_folder(repo: &Repo, folder: &std::path::Path, args: &[&str]) -> Run {
    let out = driftless(&repo.account, folder)
        .args(args)
        .arg("--state-dir")
        .arg(folder)
        .output()
        .unwrap();
    Run::from_output(&out)
}

/// Waits (at most a minute) until the emulator served the repository's account a
/// first `PutMetricAlarm`: an apply started then holds the target's lock.
fn wait_for_a_write(repo: &Repo) {
    let started = Instant::now();
    while Emulator::shared()
        .calls_of(&repo.account.account_id)
        .get("cloudwatch", "PutMetricAlarm")
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the apply never wrote"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn source(repo: &Repo) -> String {
    repo.dir.path().to_string_lossy().into_owned()
}

#[test]
fn a_plan_from_a_fresh_folder_sees_the_drift_recorded_by_another_folders_apply() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("shared", 1))]);
    let (_, url) = state_bucket(&repo, "team/prod");
    repo.apply(&["--state", &url]);
    let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
    rt().block_on(async {
        put_cpu_alarm(&cw, "shared-0")
            .threshold(95.0)
            .send()
            .await
            .unwrap()
    });
    let src = source(&repo);
    let plan = |folder: &std::path::Path, state: &[&str]| {
        let mut args = vec!["plan", "--output", "json", "--source", &src];
        args.extend_from_slice(state);
        from_folder(&repo, folder, &args).json()
    };
    // CI's fresh checkout, with the shared state: the hand change is drift.
    let ci = tempfile::tempdir().unwrap();
    let v = plan(ci.path(), &["--state", &url]);
    assert_eq!(v["changes"][0]["drift"], true, "{v}");
    // The same through DRIFTLESS_STATE.
    let other = tempfile::tempdir().unwrap();
    let out = driftless(&repo.account, other.path())
        .env("DRIFTLESS_STATE", &url)
        .args(["plan", "--output", "json", "--source", &src, "--state-dir"])
        .arg(other.path())
        .output()
        .unwrap();
    assert_eq!(Run::from_output(&out).json()["changes"][0]["drift"], true);
    // Without it (a fresh local state) the same difference reads as a change from git.
    let laptop = tempfile::tempdir().unwrap();
    let v = plan(laptop.path(), &[]);
    assert_eq!(v["changes"][0]["drift"], false, "{v}");
    // Nothing but the state under the prefix.
    let s3 = s3_client(&repo);
    let bucket = format!("state-{}", repo.account.account_id);
    let keys: Vec<String> = rt().block_on(async {
        s3.list_objects_v2()
            .bucket(&bucket)
            .send()
            .await
            .unwrap()
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect()
    });
    assert!(
        !keys.is_empty() && keys.iter().all(|k| k.starts_with("team/prod/")),
        "{keys:?}"
    );
    assert!(
        !keys.iter().any(|k| k.ends_with("lock.json")),
        "the lock was not released: {keys:?}"
    );
}

#[test]
fn history_is_read_from_any_folder() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("hist", 2))]);
    let (_, url) = state_bucket(&repo, "h");
    repo.apply(&["--state", &url]);
    let elsewhere = tempfile::tempdir().unwrap();
    let history = |extra: &[&str]| -> Value {
        let mut args = vec!["history", "--output", "json", "--state", &url];
        args.extend_from_slice(extra);
        from_folder(&repo, elsewhere.path(), &args).json()
    };
    let all = history(&[]);
    let reconciles = all["reconciles"].as_array().unwrap();
    assert_eq!(reconciles.len(), 1, "{all}");
    assert_eq!(reconciles[0]["target"], "default");
    assert_eq!(reconciles[0]["result"], "applied");
    assert_eq!(reconciles[0]["changes"].as_array().unwrap().len(), 2);
    assert_eq!(
        history(&["--target", "default", "--since", "1h"])["reconciles"],
        all["reconciles"]
    );
    assert_eq!(history(&["--target", "elsewhere"])["reconciles"], json!([]));
    // `state list` and `state show` from there too.
    let list = from_folder(
        &repo,
        elsewhere.path(),
        &["state", "list", "--output", "json", "--state", &url],
    )
    .json();
    let targets = list["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1, "{list}");
    assert_eq!(targets[0]["target"], "default");
    assert_eq!(targets[0]["records"], 2);
    assert_eq!(targets[0]["lastApplied"], reconciles[0]["startedAt"]);
    assert_eq!(targets[0]["lock"], Value::Null);
    let show = from_folder(
        &repo,
        elsewhere.path(),
        &["state", "show", "--target", "default", "--state", &url],
    )
    .json();
    assert_eq!(show["records"].as_object().unwrap().len(), 2, "{show}");
    assert_eq!(show["pending"], json!({}));
    // The local history of that folder is empty: it came from the bucket.
    let local = from_folder(&repo, elsewhere.path(), &["history", "--output", "json"]).json();
    assert_eq!(local["reconciles"], json!([]));
}

#[test]
fn two_applies_of_one_target_serialize_on_its_lock() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("race", 12))]);
    let (_, url) = state_bucket(&repo, "");
    let src = source(&repo);
    let first_folder = tempfile::tempdir().unwrap();
    let first = driftless(&repo.account, first_folder.path())
        .args([
            "apply",
            "--auto-approve",
            "--source",
            &src,
            "--state",
            &url,
            "--state-dir",
        ])
        .arg(first_folder.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first holds the lock once it writes.
    wait_for_a_write(&repo);
    let second_folder = tempfile::tempdir().unwrap();
    let second = from_folder(
        &repo,
        second_folder.path(),
        &["apply", "--auto-approve", "--source", &src, "--state", &url],
    );
    let first = first.wait_with_output().unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(second.code, 1, "{}\n{}", second.stdout, second.stderr);
    for needle in [
        "target `default` is locked",
        "apply on",
        "lease until",
        "driftless state unlock --target default --lock-id",
    ] {
        assert!(
            second.stderr.contains(needle),
            "no `{needle}` in: {}",
            second.stderr
        );
    }
    // The second wrote nothing: every alarm was created once, by the first.
    let calls = Emulator::shared().calls_of(&repo.account.account_id);
    assert_eq!(calls.get("cloudwatch", "PutMetricAlarm"), 12);
    // After the first, the second finds nothing to do.
    let again = from_folder(
        &repo,
        second_folder.path(),
        &[
            "plan",
            "--detailed-exitcode",
            "--source",
            &src,
            "--state",
            &url,
        ],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

fn put_lock(repo: &Repo, bucket: &str, key: &str, id: &str, expires_in: i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let holder = json!({
        "id": id, "operation": "apply", "host": "dead-host", "pid": 4242,
        "since": now - 600, "expires": now + expires_in,
    });
    let s3 = s3_client(repo);
    rt().block_on(async {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(holder.to_string().into_bytes().into())
            .send()
            .await
            .unwrap()
    });
}

fn lock_exists(repo: &Repo, bucket: &str, key: &str) -> bool {
    let s3 = s3_client(repo);
    rt().block_on(async {
        s3.head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .is_ok()
    })
}

#[test]
fn a_dead_holders_lock_is_taken_over_after_its_lease_and_unlock_clears_a_live_one() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("lease", 1))]);
    let (bucket, url) = state_bucket(&repo, "ops");
    let key = "ops/targets/default/lock.json";
    // A holder that died an hour before its lease runs out: apply fails naming it.
    put_lock(&repo, &bucket, key, "dead-1", 3600);
    let run = repo.run(&["apply", "--auto-approve", "--state", &url]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("dead-host (pid 4242)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--lock-id dead-1"), "{}", run.stderr);
    assert_eq!(
        Emulator::shared()
            .calls_of(&repo.account.account_id)
            .get("cloudwatch", "PutMetricAlarm"),
        0,
        "a locked target was written"
    );
    // Unlock by hand: the wrong id removes nothing, the right one the lock.
    let wrong = repo.run_raw(&[
        "state",
        "unlock",
        "--target",
        "default",
        "--lock-id",
        "x",
        "--state",
        &url,
    ]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("dead-1"), "{}", wrong.stderr);
    assert!(lock_exists(&repo, &bucket, key));
    let right = repo.run_raw(&[
        "state",
        "unlock",
        "--target",
        "default",
        "--lock-id",
        "dead-1",
        "--state",
        &url,
    ]);
    assert_eq!(right.code, 0, "{}", right.stderr);
    assert!(!lock_exists(&repo, &bucket, key));
    // A holder whose lease ran out: taken over without a human, then released.
    put_lock(&repo, &bucket, key, "dead-2", -5);
    repo.apply(&["--state", &url]);
    assert!(
        !lock_exists(&repo, &bucket, key),
        "the taken-over lock was not released"
    );
}

/// A real holder SIGKILLed in the middle of its writes (not a lock object put by
/// hand): its lock stops a second apply until its lease (driftless.yaml
/// `state.lockLease: 10s`, the shortest) runs out, then the second takes it over
/// without a human, finishes the writes and releases it.
#[test]
fn a_sigkilled_holders_lock_is_taken_over_after_its_lease() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("killed", 40))]);
    let (bucket, _) = state_bucket(&repo, "lease");
    repo.write(
        "driftless.yaml",
        &format!("state:\n  s3:\n    bucket: {bucket}\n    prefix: lease\n  lockLease: 10s\n"),
    );
    let key = "lease/targets/default/lock.json";
    let src = source(&repo);
    let folder = tempfile::tempdir().unwrap();
    // The holder is another machine's (a pod on another node): a holder of this host
    // that no longer runs is taken over at once (`Holder::gone`), without the lease.
    let mut holder = driftless(&repo.account, folder.path())
        .env("HOSTNAME", "another-node")
        .args(["apply", "--auto-approve", "--source", &src, "--state-dir"])
        .arg(folder.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_a_write(&repo);
    holder.kill().unwrap(); // SIGKILL
    holder.wait().unwrap();
    let killed_at = Instant::now();
    assert!(
        lock_exists(&repo, &bucket, key),
        "the killed holder had no lock"
    );
    let written = Emulator::shared()
        .calls_of(&repo.account.account_id)
        .get("cloudwatch", "PutMetricAlarm");
    assert!(written < 40, "the apply finished before the kill");
    // Within the lease: refused, naming the dead holder (this test's binary).
    let second = tempfile::tempdir().unwrap();
    let refused = from_folder(
        &repo,
        second.path(),
        &["apply", "--auto-approve", "--source", &src],
    );
    if killed_at.elapsed() < Duration::from_secs(8) {
        assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
        assert!(
            refused.stderr.contains("target `default` is locked")
                && refused.stderr.contains(&format!("pid {}", holder.id())),
            "{}",
            refused.stderr
        );
    }
    // After the lease: taken over, the rest written, the lock released.
    std::thread::sleep(Duration::from_secs(11).saturating_sub(killed_at.elapsed()));
    let taken = from_folder(
        &repo,
        second.path(),
        &["apply", "--auto-approve", "--source", &src],
    );
    assert_eq!(taken.code, 0, "{}\n{}", taken.stdout, taken.stderr);
    assert!(
        !lock_exists(&repo, &bucket, key),
        "the lock was not released"
    );
    let plan = from_folder(
        &repo,
        second.path(),
        &["plan", "--detailed-exitcode", "--source", &src],
    );
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
}

#[test]
fn of_two_contenders_for_an_expired_lock_exactly_one_wins() {
    use driftless::aws::s3::StateBucket;
    use driftless::state::{Acquired, Backend, Holder, S3State, StateBackend};
    let repo = Repo::new(&[]);
    let (bucket, _) = state_bucket(&repo, "");
    for round in 0..5 {
        put_lock(
            &repo,
            &bucket,
            &format!("r{round}/targets/t/lock.json"),
            "dead",
            -1,
        );
        let config = aws_types::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new(repo.account.region.clone()))
            .endpoint_url(Emulator::shared().endpoint())
            .credentials_provider(repo.sdk().credentials_provider().unwrap())
            .build();
        let contender = || {
            StateBackend::s3(S3State::new(
                StateBucket::from_sdk_config(&bucket, &config),
                &format!("r{round}"),
            ))
        };
        let (a, b) = (contender(), contender());
        let (ha, hb) = (
            Holder::this_process("apply", 60),
            Holder::this_process("run", 60),
        );
        let (ra, rb) =
            rt().block_on(async { tokio::join!(a.acquire("t", &ha), b.acquire("t", &hb)) });
        let won: Vec<bool> = [ra.unwrap(), rb.unwrap()]
            .iter()
            .map(|r| matches!(r, Acquired::Taken { .. }))
            .collect();
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "round {round}: {won:?}"
        );
    }
}

#[test]
fn a_controller_in_a_fresh_folder_uses_the_records_an_apply_made_elsewhere() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("ctl", 1))]);
    let (_, url) = state_bucket(&repo, "ctl");
    repo.apply(&["--state", &url]);
    let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
    rt().block_on(async {
        put_cpu_alarm(&cw, "ctl-0")
            .threshold(95.0)
            .send()
            .await
            .unwrap()
    });
    // A controller pod on an empty volume, with the shared state.
    let pod = tempfile::tempdir().unwrap();
    let src = source(&repo);
    let run = from_folder(
        &repo,
        pod.path(),
        &[
            "run",
            "--once",
            "--listen",
            "127.0.0.1:0",
            "--source",
            &src,
            "--state",
            &url,
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // Its reconcile is in the shared history: the drift found and corrected.
    let elsewhere = tempfile::tempdir().unwrap();
    let history = from_folder(
        &repo,
        elsewhere.path(),
        &["history", "--output", "json", "--state", &url],
    )
    .json();
    let newest = &history["reconciles"][0];
    assert_eq!(newest["driftFound"], 1, "{history}");
    assert_eq!(newest["driftCorrected"], 1, "{history}");
}

#[test]
fn migrate_copies_local_records_and_history_once() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("mig", 2))]);
    let (_, url) = state_bucket(&repo, "moved");
    repo.apply(&[]);
    let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
    rt().block_on(async {
        put_cpu_alarm(&cw, "mig-1")
            .threshold(95.0)
            .send()
            .await
            .unwrap()
    });
    for _ in 0..2 {
        let run = repo.run_raw(&["state", "migrate", "--to", &url]);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    }
    let fresh = tempfile::tempdir().unwrap();
    let src = source(&repo);
    let plan = from_folder(
        &repo,
        fresh.path(),
        &[
            "plan", "--output", "json", "--source", &src, "--state", &url,
        ],
    )
    .json();
    assert_eq!(plan["changes"][0]["name"], "mig-1", "{plan}");
    assert_eq!(plan["changes"][0]["drift"], true, "{plan}");
    let history = from_folder(
        &repo,
        fresh.path(),
        &["history", "--output", "json", "--state", &url],
    )
    .json();
    assert_eq!(
        history["reconciles"].as_array().unwrap().len(),
        1,
        "{history}"
    );
    // The local state is still there.
    let local = repo.run_raw(&["history", "--output", "json"]).json();
    assert_eq!(local["reconciles"].as_array().unwrap().len(), 1);
    // The round trip: the records read back from the bucket are the local ones, and
    // the history the same reconcile.
    let show = |state: &[&str]| {
        let mut args = vec!["state", "show", "--target", "default"];
        args.extend_from_slice(state);
        let v = repo.run_raw(&args).json();
        (v["records"].clone(), v["pending"].clone())
    };
    let (local_records, local_pending) = show(&[]);
    assert_eq!(
        local_records.as_object().unwrap().len(),
        2,
        "{local_records}"
    );
    assert_eq!(show(&["--state", &url]), (local_records, local_pending));
    let strip = |v: &serde_json::Value| {
        let mut r = v["reconciles"][0].clone();
        r.as_object_mut().unwrap().remove("id");
        r
    };
    assert_eq!(strip(&history), strip(&local));
}
