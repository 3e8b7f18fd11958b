//! Records written ahead (issue 26, "records before writes"): an apply SIGKILLed in
//! the middle of its writes leaves, for each alarm it wrote, a record the next plan
//! uses, so an alarm the killed apply wrote and someone then changed by hand is
//! drift, not a change from git. Before the fix the records were saved at the end of
//! an apply only, and every such hand change read as a change from git.
//!
//! Each trial kills the apply after a seeded number of `PutMetricAlarm` calls (paced
//! at 3 a second, so the kill lands between writes), changes one of the alarms the
//! account then holds by hand, and plans from the same state directory.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::crash::Rng;
use crate::emulator::Emulator;
use crate::fixtures::put_cpu_alarm;
use crate::state_s3::alarms;
use crate::support::{driftless, rt, Repo};

/// Alarms in each trial's repository.
const ALARMS: u64 = 8;

/// Starts `apply` (with `state`: extra flags naming the backend) and kills it
/// (SIGKILL) once the emulator has served `writes` `PutMetricAlarm` calls in the
/// repository's account; whether it was still running.
fn kill_after_writes(repo: &Repo, writes: u64, state: &[&str]) -> bool {
    let mut child = driftless(&repo.account, repo.state.path())
        .args(["apply", "--auto-approve", "--source"])
        .arg(repo.dir.path())
        .arg("--state-dir")
        .arg(repo.state.path())
        .args(state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let running = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        let done = Emulator::shared()
            .calls_of(&repo.account.account_id)
            .get("cloudwatch", "PutMetricAlarm");
        if done >= writes || started.elapsed() > Duration::from_secs(60) {
            break true;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = child.kill();
    let _ = child.wait();
    running
}

/// The alarms the account holds, by name.
fn live_alarms(repo: &Repo) -> Vec<String> {
    let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
    rt().block_on(async {
        cw.describe_alarms()
            .send()
            .await
            .unwrap()
            .metric_alarms()
            .iter()
            .filter_map(|a| a.alarm_name().map(str::to_string))
            .collect()
    })
}

#[test]
fn an_alarm_a_killed_apply_wrote_then_changed_by_hand_is_drift() {
    trials(20_261_206, None);
}

/// The same on the S3 backend: the records written ahead are in the bucket, and the
/// plan reads them from a fresh folder.
#[test]
fn an_alarm_a_killed_apply_wrote_then_changed_by_hand_is_drift_with_the_s3_backend() {
    trials(20_261_207, Some("wal"));
}

/// Six trials; with `s3_prefix`, the state lives in a bucket of each trial's account.
fn trials(seed: u64, s3_prefix: Option<&str>) {
    let mut rng = Rng::new(seed);
    let mut mid_write = 0;
    for trial in 0..6 {
        let prefix = format!("wal{trial}");
        let repo = Repo::new(&[("alarms.yaml", &alarms(&prefix, ALARMS as usize))]);
        let url = s3_prefix.map(|p| crate::state_s3::state_bucket(&repo, p).1);
        let state: Vec<&str> = url.iter().flat_map(|u| ["--state", u.as_str()]).collect();
        let kill_at = 1 + rng.below(ALARMS - 2);
        let was_running = kill_after_writes(&repo, kill_at, &state);
        let written = live_alarms(&repo);
        assert!(!written.is_empty(), "trial {trial}: nothing was written");
        if was_running && (written.len() as u64) < ALARMS {
            mid_write += 1;
        }
        // Someone raises the threshold of one the killed apply wrote.
        let changed = &written[rng.below(written.len() as u64) as usize];
        let cw = aws_sdk_cloudwatch::Client::new(&repo.sdk());
        rt().block_on(async {
            put_cpu_alarm(&cw, changed)
                .threshold(95.0)
                .send()
                .await
                .unwrap()
        });
        let plan = match &url {
            // From a fresh folder: the records come from the bucket alone.
            Some(_) => {
                let fresh = tempfile::tempdir().unwrap();
                let mut args = vec!["plan", "--output", "json"];
                args.extend(&state);
                let src = repo.dir.path().to_string_lossy().into_owned();
                args.extend(["--source", src.as_str()]);
                let out = driftless(&repo.account, fresh.path())
                    .args(&args)
                    .arg("--state-dir")
                    .arg(fresh.path())
                    .output()
                    .unwrap();
                crate::support::Run::from_output(&out)
            }
            None => repo.plan(),
        };
        let v = plan.json();
        let change = v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == changed.as_str() && c["action"] == "update")
            .unwrap_or_else(|| panic!("trial {trial}: no update of {changed}: {v}"));
        assert_eq!(
            change["drift"],
            true,
            "trial {trial} (killed after {kill_at} writes, {} of {ALARMS} written): \
             the hand change to {changed} reads as a change from git: {change}",
            written.len()
        );
        // Every other alarm written is as applied: no drift, no change.
        for c in v["changes"].as_array().unwrap() {
            if c["name"] != changed.as_str() && written.iter().any(|w| c["name"] == w.as_str()) {
                panic!(
                    "trial {trial}: {} changed though it was written: {c}",
                    c["name"]
                );
            }
        }
    }
    assert!(
        mid_write >= 3,
        "only {mid_write} of 6 kills landed mid-write"
    );
}
