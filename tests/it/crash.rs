//! Crash safety (issue 13, part 4): each trial reconciles a first revision (a
//! generated repository's alarms) to its end, then writes the rest of the repository
//! (every other kind, `gen.rs`) and starts `driftless apply` or `driftless run`, killed
//! with SIGKILL at seeded random points (mostly after a seeded number of writes, so in
//! the middle of them), once or twice; then the command is run again (for `run`: `run
//! --once`, the controller's own reconcile) until it succeeds. Each trial must end
//! converged (a plan shows no change), with no duplicate window, baseline, plan or
//! selection, no orphan (every resource in the account is owned and in the
//! repository), and an intact history (`driftless history` reads, no database set
//! aside as corrupt, the first revision's reconcile still there, every finished
//! command's reconcile recorded, the newest a success). After each kill, every
//! resource of the repository the account holds must have a record or a value
//! written ahead in the state (`driftless state show`): a resource without one is a
//! lost record (issue 26's "records lost", the goal 0).
//!
//! A few trials run in `make test`, two of them with the state in the emulator's S3
//! (`--state s3://…`); `tests/soak/crash.sh` runs the ignored [`crash_soak`] with
//! `DRIFTLESS_CRASH_TRIALS` (default 50), `DRIFTLESS_CRASH_SEED` and
//! `DRIFTLESS_CRASH_STATE=s3` for the S3 backend.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::emulator::{Emulator, TestAccount};
use crate::estate::Census;
use crate::gen::{self, Sizes};
use crate::support::driftless_at;

/// Runs of the restarted command before a trial counts as not converged.
const MAX_RESTARTS: usize = 6;

/// splitmix64: a small seeded generator, so a trial's kill points can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Apply,
    Run,
}

/// One trial's repository, account and state.
struct Trial<'e> {
    emulator: &'e Emulator,
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
    account: TestAccount,
    expected: gen::Expected,
    /// The files written after the prelude (every kind but alarms).
    rest: gen::Generated,
    /// `--state s3://…` when the trial keeps its state in the emulator's S3.
    state_flags: Vec<String>,
}

/// When a process is killed.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// This long after it started (startup, reads, writes, the record at the end).
    After(Duration),
    /// As soon as the emulator has served this many of its writes.
    AfterWrites(u64),
}

/// Write requests (anything but reads: Describe, List, Get, BatchGet, LookupEvents)
/// the emulator served, faulted or not.
fn writes(counts: &crate::emulator::CallCounts) -> u64 {
    let read = |op: &str| {
        ["Describe", "List", "Get", "BatchGet", "LookupEvents"]
            .iter()
            .any(|p| op.starts_with(p))
    };
    counts
        .calls
        .values()
        .flat_map(|ops| ops.iter())
        .filter(|(op, _)| !read(op))
        .map(|(_, n)| n)
        .sum()
}

/// How the kill points of a series are drawn: one in five at a time within the
/// uninterrupted duration, the others after a number of writes of the
/// uninterrupted apply's, so most land in the middle of the writes.
#[derive(Debug, Clone, Copy)]
struct Window {
    duration: Duration,
    writes: u64,
}

impl Window {
    fn draw(&self, rng: &mut Rng) -> KillPoint {
        if rng.below(5) == 0 {
            KillPoint::After(Duration::from_millis(
                rng.below(self.duration.as_millis() as u64 + 1),
            ))
        } else {
            KillPoint::AfterWrites(1 + rng.below(self.writes))
        }
    }
}

/// The figures of a series of trials.
#[derive(Debug, Default)]
pub struct Tally {
    pub trials: usize,
    pub converged: usize,
    pub kills: usize,
    /// Killed processes that had already exited when the kill came.
    pub finished_before_kill: usize,
    /// Kills after which the account held some but not all of the repository's
    /// resources: the process died in the middle of its writes.
    pub mid_write: usize,
    pub restarts: usize,
    pub duplicates: usize,
    pub orphans: usize,
    pub history_intact: usize,
    /// Trials whose interrupted revision has no reconcile in the history: every
    /// write was made by a killed process, which died before recording it (the
    /// record is written when a reconcile ends; the next run had nothing to write).
    pub unrecorded: usize,
    /// Resources in the account after a kill, owned and of the repository: each must
    /// have a record or a value written ahead in the state.
    pub records_checked: usize,
    /// Of those, the ones with neither: a write the state does not remember.
    pub records_lost: usize,
    pub failures: Vec<String>,
}

impl<'e> Trial<'e> {
    fn new(emulator: &'e Emulator, n: usize, s3: bool) -> Trial<'e> {
        let account = TestAccount::new();
        let state_flags = if s3 {
            vec!["--state".to_string(), s3_state(emulator, &account)]
        } else {
            Vec::new()
        };
        let generated = gen::repository(&format!("crash{n}"), Sizes::small(), &account.region);
        let (first, rest) = generated
            .files
            .into_iter()
            .partition(|(path, _)| path == "alarms.yaml");
        let trial = Trial {
            emulator,
            dir: tempfile::tempdir().unwrap(),
            state: tempfile::tempdir().unwrap(),
            account,
            expected: generated.expected,
            rest: gen::Generated {
                files: rest,
                expected: gen::Expected::default(),
            },
            state_flags,
        };
        let first = gen::Generated {
            files: first,
            expected: gen::Expected::default(),
        };
        gen::write_to(&first, trial.dir.path());
        trial
    }

    /// A first revision (the alarms alone) reconciled to its end, so there is history
    /// to lose; then the rest of the repository is written (the revision the kills
    /// interrupt). Returns the history's reconciles after the prelude.
    fn prelude(&self, mode: Mode) -> Vec<Value> {
        let (code, stdout) = self.finish(mode);
        assert_eq!(code, 0, "the prelude's {mode:?} failed: {stdout}");
        gen::write_to(&self.rest, self.dir.path());
        let history = self.history().expect("the prelude's history");
        let reconciles = history["reconciles"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!reconciles.is_empty(), "the prelude recorded no reconcile");
        reconciles
    }

    fn command(&self, mode: Mode, once: bool) -> std::process::Command {
        let mut c = driftless_at(
            self.emulator.endpoint(),
            &self.account.account_id,
            &self.account.region,
            self.state.path(),
        );
        match mode {
            Mode::Apply => c.args(["apply", "--auto-approve"]),
            Mode::Run => {
                c.args([
                    "run",
                    "--listen",
                    "127.0.0.1:0",
                    "--interval",
                    "1h",
                    "--resync",
                    "1h",
                ]);
                if once {
                    c.arg("--once");
                }
                &mut c
            }
        };
        c.arg("--source")
            .arg(self.dir.path())
            .arg("--state-dir")
            .arg(self.state.path())
            .args(&self.state_flags);
        c
    }

    /// Starts the command and kills it with SIGKILL at `point`, or after `deadline`
    /// when the point never comes (a controller that finished its reconcile in fewer
    /// writes idles on); whether it was still running then.
    fn kill_at(&self, mode: Mode, point: KillPoint, deadline: Duration) -> bool {
        let before = writes(&self.emulator.calls_of(&self.account.account_id));
        let mut child: Child = self
            .command(mode, false)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let running = loop {
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            let due = match point {
                KillPoint::After(delay) => started.elapsed() >= delay,
                KillPoint::AfterWrites(k) => {
                    writes(&self.emulator.calls_of(&self.account.account_id)) - before >= k
                }
            };
            if due || started.elapsed() > deadline {
                break true;
            }
            std::thread::sleep(Duration::from_millis(40));
        };
        // std's kill is SIGKILL on Unix.
        let _ = child.kill();
        let _ = child.wait();
        running
    }

    /// Runs the command to its end: (exit code, stdout).
    fn finish(&self, mode: Mode) -> (i32, String) {
        let out = self.command(mode, true).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    fn plan_exit_code(&self) -> i32 {
        let mut c = driftless_at(
            self.emulator.endpoint(),
            &self.account.account_id,
            &self.account.region,
            self.state.path(),
        );
        c.args(["plan", "--detailed-exitcode", "--source"])
            .arg(self.dir.path())
            .arg("--state-dir")
            .arg(self.state.path())
            .args(&self.state_flags);
        c.output().unwrap().status.code().unwrap_or(-1)
    }

    fn sdk(&self) -> aws_types::SdkConfig {
        self.emulator
            .sdk_config(&self.account.account_id, &self.account.region)
    }

    /// `driftless state show --target T` (`records` and `pending` by key) of every
    /// target `state list` names: the keys the state remembers.
    fn remembered(&self) -> Vec<String> {
        let state = |args: &[&str]| -> Value {
            let out = driftless_at(
                self.emulator.endpoint(),
                &self.account.account_id,
                &self.account.region,
                self.state.path(),
            )
            .arg("state")
            .args(args)
            .arg("--state-dir")
            .arg(self.state.path())
            .args(&self.state_flags)
            .output()
            .unwrap();
            assert!(
                out.status.success(),
                "state {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let list = state(&["list", "--output", "json"]);
        let mut keys = Vec::new();
        for t in list["targets"].as_array().into_iter().flatten() {
            let shown = state(&["show", "--target", t["target"].as_str().unwrap()]);
            for part in ["records", "pending"] {
                keys.extend(
                    shown[part]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k.clone()),
                );
            }
        }
        keys
    }

    /// The owned resources of `census` the state has no record of (confirmed or
    /// written ahead): (checked, lost).
    fn lost_records(&self, census: &Census) -> (usize, Vec<String>) {
        let keys = self.remembered();
        let owned: Vec<_> = census.items.iter().filter(|i| i.owned).collect();
        let lost = owned
            .iter()
            .map(|i| format!("/{}/{}", i.kind, i.name))
            .filter(|suffix| !keys.iter().any(|k| k.ends_with(suffix.as_str())))
            .collect();
        (owned.len(), lost)
    }

    fn history(&self) -> Result<Value, String> {
        let out = driftless_at(
            self.emulator.endpoint(),
            &self.account.account_id,
            &self.account.region,
            self.state.path(),
        )
        .args(["history", "--output", "json", "--state-dir"])
        .arg(self.state.path())
        .args(&self.state_flags)
        .output()
        .unwrap();
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
    }
}

/// Whether the history is readable, nothing was set aside as corrupt, the `prior`
/// reconciles are all still there, `finished` more are recorded and the newest is a
/// success; else why not.
fn history_problem(trial: &Trial, prior: &[Value], finished: usize) -> Option<String> {
    let history = match trial.history() {
        Ok(h) => h,
        Err(e) => return Some(format!("history unreadable: {e}")),
    };
    if let Some(aside) = corrupt_files(trial.state.path()) {
        return Some(format!("database set aside as corrupt: {aside}"));
    }
    let reconciles = history["reconciles"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // A quiet reconcile may be counted into the one before it (`repeated`), so a
    // reconcile is known by its start, target and result, and counted `repeated` times.
    let ident = |r: &Value| {
        [&r["startedAt"], &r["target"], &r["result"], &r["revision"]].map(Value::to_string)
    };
    let count =
        |rs: &[Value]| -> u64 { rs.iter().map(|r| r["repeated"].as_u64().unwrap_or(1)).sum() };
    if let Some(lost) = prior
        .iter()
        .find(|p| !reconciles.iter().any(|r| ident(r) == ident(p)))
    {
        return Some(format!("the prelude's reconcile {lost} is gone: {history}"));
    }
    if count(&reconciles) < count(prior) + finished as u64 {
        return Some(format!(
            "{} reconciles recorded, {} before the kills and {finished} finished since: {history}",
            count(&reconciles),
            count(prior)
        ));
    }
    let newest = reconciles
        .iter()
        .max_by_key(|r| r["startedAt"].as_str().map(str::to_string));
    match newest.map(|r| r["result"].as_str().unwrap_or("")) {
        Some("applied" | "no-changes") => None,
        other => Some(format!("the newest reconcile is {other:?}: {history}")),
    }
}

fn corrupt_files(state: &Path) -> Option<String> {
    std::fs::read_dir(state)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.contains(".corrupt-"))
}

/// One trial: kill once or twice at random points within `window`, restart until
/// the command succeeds, check everything. Adds its figures to `tally`.
#[allow(clippy::too_many_arguments)]
fn trial(
    emulator: &Emulator,
    n: usize,
    s3: bool,
    mode: Mode,
    window: Window,
    rng: &mut Rng,
    tally: &mut Tally,
    rt: &tokio::runtime::Runtime,
) {
    let t = Trial::new(emulator, n, s3);
    let prior = t.prelude(mode);
    let started = Instant::now();
    tally.trials += 1;
    let kills = 1 + rng.below(2) as usize;
    let mut landed = Vec::new();
    let mut lost_after_kill = Vec::new();
    for _ in 0..kills {
        let point = window.draw(rng);
        tally.kills += 1;
        if !t.kill_at(mode, point, window.duration * 2) {
            tally.finished_before_kill += 1;
        }
        let census = rt.block_on(Census::read(&t.sdk()));
        let present = census.items.len() + census.items.iter().map(|i| i.subs.len()).sum::<usize>();
        if present > t.expected.alarms.len() && present < t.expected.parts() {
            tally.mid_write += 1;
        }
        let (checked, lost) = t.lost_records(&census);
        tally.records_checked += checked;
        tally.records_lost += lost.len();
        if !lost.is_empty() {
            lost_after_kill.push(format!("after kill at {point:?}, no record of {lost:?}"));
        }
        landed.push(format!(
            "{point:?} ({present}/{} present, {:.1} s)",
            t.expected.parts(),
            started.elapsed().as_secs_f64()
        ));
    }
    let (ok, finished, restarts) = restart(&t, mode);
    tally.restarts += restarts;
    let mut problems = check(&t, &prior, ok, finished, tally, rt);
    problems.extend(lost_after_kill);
    println!(
        "trial {n} ({mode:?}): killed at {}; {restarts} restart(s); {:.1} s; {}",
        landed.join(", "),
        started.elapsed().as_secs_f64(),
        if problems.is_empty() {
            "ok".to_string()
        } else {
            format!("{problems:?}")
        }
    );
    if !problems.is_empty() {
        tally.failures.push(format!(
            "trial {n} ({mode:?}, {kills} kills): {problems:#?}"
        ));
    }
}

/// Runs the command to its end until it succeeds, at most [`MAX_RESTARTS`] times:
/// (succeeded, runs that recorded a reconcile, runs).
fn restart(t: &Trial, mode: Mode) -> (bool, usize, usize) {
    let mut finished = 0;
    for runs in 1..=MAX_RESTARTS {
        let (code, stdout) = t.finish(mode);
        // A finished apply records a reconcile only when it had something to write.
        if mode == Mode::Run || stdout.contains("Apply complete") {
            finished += 1;
        }
        if code == 0 {
            return (true, finished, runs);
        }
    }
    (false, finished, MAX_RESTARTS)
}

/// Every check of a trial's end; what is wrong (empty: nothing).
fn check(
    t: &Trial,
    prior: &[Value],
    ok: bool,
    finished: usize,
    tally: &mut Tally,
    rt: &tokio::runtime::Runtime,
) -> Vec<String> {
    let mut problems = Vec::new();
    if !ok || t.plan_exit_code() != 0 {
        problems.push("not converged".to_string());
    } else {
        tally.converged += 1;
    }
    let census = rt.block_on(Census::read(&t.sdk()));
    let duplicates = census.duplicates();
    tally.duplicates += duplicates.len();
    let none = Default::default();
    let differences = census.differences(&t.expected, &none, &none);
    tally.orphans += differences
        .iter()
        .filter(|d| !d.ends_with(": missing"))
        .count();
    let recorded = t
        .history()
        .map(|h| h["reconciles"].as_array().map_or(0, Vec::len))
        .unwrap_or(0);
    if recorded == prior.len() {
        tally.unrecorded += 1;
    }
    match history_problem(t, prior, finished) {
        None => tally.history_intact += 1,
        Some(p) => problems.push(p),
    }
    problems.extend(duplicates);
    problems.extend(differences);
    problems
}

/// How long an uninterrupted apply of a [`Sizes::small`] repository takes here and
/// how many writes it makes: the window the kill points are drawn from.
fn calibrate(emulator: &Emulator) -> Window {
    let t = Trial::new(emulator, 0, false);
    t.prelude(Mode::Apply);
    let before = writes(&emulator.calls_of(&t.account.account_id));
    let started = Instant::now();
    let (code, stdout) = t.finish(Mode::Apply);
    assert_eq!(code, 0, "the uninterrupted apply failed: {stdout}");
    Window {
        duration: started.elapsed(),
        writes: writes(&emulator.calls_of(&t.account.account_id)) - before,
    }
}

/// A bucket of `account` on `emulator` (bucket names are global: one per account);
/// the state URL.
fn s3_state(emulator: &Emulator, account: &TestAccount) -> String {
    let bucket = format!("crash-{}", account.account_id);
    let config = emulator.sdk_config(&account.account_id, &account.region);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let region = account.region.clone();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
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
    format!("s3://{bucket}/crash")
}

/// `trials` trials, alternating apply and run (state in the emulator's S3 with
/// `s3`); panics with every failure.
pub fn crash_trials(trials: usize, seed: u64, s3: bool) -> Tally {
    let emulator = Emulator::private();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let window = calibrate(&emulator);
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    let started = Instant::now();
    for n in 1..=trials {
        let mode = if n % 2 == 1 { Mode::Apply } else { Mode::Run };
        trial(&emulator, n, s3, mode, window, &mut rng, &mut tally, &rt);
    }
    println!(
        "crash{}: {} trials (seed {seed}, kill window {} ms or {} writes, {} resources each): {} converged, \
         {} kills ({} in the middle of the writes, {} after the process had finished), {} restarts, {} duplicates, {} orphans, \
         history intact in {} ({} interrupted revisions without a reconcile of their own), \
         {} of {} resources present after a kill without a record; {:.1} s",
        if s3 { " (S3 state)" } else { "" },
        tally.trials,
        window.duration.as_millis(),
        window.writes,
        Sizes::small().total(),
        tally.converged,
        tally.kills,
        tally.mid_write,
        tally.finished_before_kill,
        tally.restarts,
        tally.duplicates,
        tally.orphans,
        tally.history_intact,
        tally.unrecorded,
        tally.records_lost,
        tally.records_checked,
        started.elapsed().as_secs_f64()
    );
    assert!(tally.failures.is_empty(), "{}", tally.failures.join("\n"));
    assert_eq!(tally.converged, trials);
    tally
}

#[test]
fn killed_applies_and_controllers_restart_and_converge_without_duplicates_or_orphans() {
    crash_trials(4, 20261201, false);
}

#[test]
fn with_the_s3_backend_killed_applies_and_controllers_restart_and_converge() {
    crash_trials(2, 20261206, true);
}

#[test]
#[ignore = "the long suite: tests/soak/crash.sh"]
fn crash_soak() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
            })
            .unwrap_or(default)
    };
    crash_trials(
        env("DRIFTLESS_CRASH_TRIALS", 50) as usize,
        env("DRIFTLESS_CRASH_SEED", 1),
        std::env::var("DRIFTLESS_CRASH_STATE").is_ok_and(|v| v == "s3"),
    );
}
