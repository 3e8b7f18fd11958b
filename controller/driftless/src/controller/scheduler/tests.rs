//! The scheduler on tokio's paused clock with a scripted backend: when each target is
//! reconciled, against which revision, and that one target never waits for another.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use tokio::time::Instant;

use super::*;

#[derive(Debug)]
struct Rev {
    id: String,
    targets: Vec<String>,
}

impl Desired for Rev {
    fn revision(&self) -> &str {
        &self.id
    }
    fn targets(&self) -> Vec<String> {
        self.targets.clone()
    }
}

#[derive(Default)]
struct Script {
    /// What a fetch finds; `None`: nothing valid yet.
    remote: Option<Arc<Rev>>,
    fetches: Vec<u64>,
    /// Per target: how long a reconcile takes, and how the next ones end.
    slow: BTreeMap<String, Duration>,
    results: BTreeMap<String, VecDeque<Next>>,
    /// (second, target, revision) of each reconcile's start.
    log: Vec<(u64, String, String)>,
    in_flight: BTreeMap<String, u32>,
    most_in_flight: u32,
}

struct Fake {
    start: Instant,
    script: Mutex<Script>,
}

impl Fake {
    fn new(revision: &str, targets: &[&str]) -> Arc<Fake> {
        let fake = Arc::new(Fake {
            start: Instant::now(),
            script: Mutex::new(Script::default()),
        });
        fake.push(revision, targets);
        fake
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_secs()
    }

    fn push(&self, revision: &str, targets: &[&str]) {
        self.script.lock().unwrap().remote = Some(Arc::new(Rev {
            id: revision.into(),
            targets: targets.iter().map(|t| t.to_string()).collect(),
        }));
    }

    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap()
    }

    /// The seconds at which `target` was reconciled, with the revision.
    fn times(&self, target: &str) -> Vec<(u64, String)> {
        self.script()
            .log
            .iter()
            .filter(|(_, t, _)| t == target)
            .map(|(s, _, r)| (*s, r.clone()))
            .collect()
    }
}

impl Backend for Fake {
    type Desired = Rev;

    async fn fetch(&self) -> Option<Arc<Rev>> {
        let mut s = self.script();
        let now = self.now();
        s.fetches.push(now);
        s.remote.clone()
    }

    async fn reconcile(&self, desired: Arc<Rev>, target: String) -> Next {
        let (slow, next) = {
            let mut s = self.script();
            let now = self.now();
            s.log.push((now, target.clone(), desired.id.clone()));
            let n = s.in_flight.entry(target.clone()).or_default();
            *n += 1;
            let n = *n;
            s.most_in_flight = s.most_in_flight.max(n);
            let slow = s.slow.get(&target).copied().unwrap_or_default();
            let next = s
                .results
                .get_mut(&target)
                .and_then(VecDeque::pop_front)
                .unwrap_or(Next::Converged);
            (slow, next)
        };
        tokio::time::sleep(slow).await;
        *self.script().in_flight.entry(target).or_default() -= 1;
        next
    }
}

const SCHEDULE: Schedule = Schedule {
    interval: Duration::from_secs(60),
    resync: Duration::from_secs(300),
    jitter: false,
};

struct Running {
    trigger: Arc<Notify>,
    resync: Arc<Notify>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

fn start(fake: &Arc<Fake>) -> Running {
    let trigger = Arc::new(Notify::new());
    let resync = Arc::new(Notify::new());
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(run(
        fake.clone(),
        SCHEDULE,
        trigger.clone(),
        resync.clone(),
        stop_rx,
    ));
    Running {
        trigger,
        resync,
        stop,
        task,
    }
}

/// Lets the paused clock run to `second` after the start.
async fn until(fake: &Fake, second: u64) {
    let at = fake.start + Duration::from_secs(second);
    tokio::time::sleep_until(at).await;
    // Let the tasks woken at this instant run.
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

fn at(seconds: &[u64], revision: &str) -> Vec<(u64, String)> {
    seconds.iter().map(|s| (*s, revision.to_string())).collect()
}

#[tokio::test(start_paused = true)]
async fn every_target_is_reconciled_at_once_then_every_resync() {
    let fake = Fake::new("r1", &["a", "b"]);
    let running = start(&fake);
    until(&fake, 700).await;
    assert_eq!(fake.times("a"), at(&[0, 300, 600], "r1"));
    assert_eq!(fake.times("b"), at(&[0, 300, 600], "r1"));
    // The source is polled every interval; an unchanged revision adds no reconcile.
    assert_eq!(
        fake.script().fetches,
        (0..=11).map(|i| i * 60).collect::<Vec<_>>()
    );
    running.stop.send(true).unwrap();
    running.task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_commit_is_applied_at_the_next_poll_and_a_webhook_fetches_at_once() {
    let fake = Fake::new("r1", &["a"]);
    let running = start(&fake);
    until(&fake, 10).await;
    fake.push("r2", &["a"]);
    until(&fake, 100).await;
    // Found by the poll at 60 s, reconciled then, not at the resync.
    assert_eq!(fake.times("a"), vec![(0, "r1".into()), (60, "r2".into())]);
    fake.push("r3", &["a"]);
    running.trigger.notify_one();
    until(&fake, 101).await;
    assert_eq!(fake.times("a").last(), Some(&(100, "r3".into())));
    // The resync clock restarts with the new revision.
    until(&fake, 401).await;
    assert_eq!(fake.times("a").last(), Some(&(400, "r3".into())));
    running.stop.send(true).unwrap();
    running.task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_resync_request_reconciles_every_target_at_once() {
    let fake = Fake::new("r1", &["a", "b"]);
    let running = start(&fake);
    until(&fake, 42).await;
    running.resync.notify_one();
    until(&fake, 43).await;
    assert_eq!(fake.times("a"), at(&[0, 42], "r1"));
    assert_eq!(fake.times("b"), at(&[0, 42], "r1"));
    // And the resync clock starts again from there.
    until(&fake, 343).await;
    assert_eq!(fake.times("a"), at(&[0, 42, 342], "r1"));
    running.stop.send(true).unwrap();
    running.task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_slow_target_never_blocks_another_nor_runs_twice_at_once() {
    let fake = Fake::new("r1", &["slow", "fast"]);
    fake.script()
        .slow
        .insert("slow".into(), Duration::from_secs(1000));
    let running = start(&fake);
    until(&fake, 130).await;
    // A new revision while `slow` is still busy with the first.
    fake.push("r2", &["slow", "fast"]);
    until(&fake, 700).await;
    assert_eq!(
        fake.times("fast"),
        vec![(0, "r1".into()), (180, "r2".into()), (480, "r2".into())]
    );
    assert_eq!(fake.times("slow"), at(&[0], "r1"));
    // When its reconcile ends, `slow` takes the new revision at once.
    until(&fake, 1001).await;
    assert_eq!(
        fake.times("slow"),
        vec![(0, "r1".into()), (1000, "r2".into())]
    );
    assert_eq!(fake.script().most_in_flight, 1);
    running.stop.send(true).unwrap();
    running.task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn transient_failures_back_off_exponentially_and_reset_after_a_success() {
    let fake = Fake::new("r1", &["a"]);
    fake.script().results.insert(
        "a".into(),
        VecDeque::from([
            Next::Transient,
            Next::Transient,
            Next::Transient,
            Next::Converged,
            Next::Transient,
        ]),
    );
    let running = start(&fake);
    until(&fake, 320).await;
    // 1 s, 2 s, 4 s apart; then the resync; then a fresh 1 s backoff.
    assert_eq!(fake.times("a"), at(&[0, 1, 3, 7, 307, 308], "r1"));
    running.stop.send(true).unwrap();
    running.task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_stalled_target_waits_for_a_new_revision_not_the_resync() {
    let fake = Fake::new("r1", &["a"]);
    fake.script()
        .results
        .insert("a".into(), VecDeque::from([Next::Stalled]));
    let running = start(&fake);
    until(&fake, 900).await;
    assert_eq!(fake.times("a"), at(&[0], "r1"));
    fake.push("r2", &["a"]);
    until(&fake, 961).await;
    assert_eq!(fake.times("a"), vec![(0, "r1".into()), (960, "r2".into())]);
    running.stop.send(true).unwrap();
    running.task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn workers_follow_the_targets_of_the_revision() {
    let fake = Fake::new("r1", &["a", "b"]);
    let running = start(&fake);
    until(&fake, 30).await;
    fake.push("r2", &["a", "c"]);
    until(&fake, 700).await;
    assert_eq!(fake.times("b"), at(&[0], "r1"));
    assert_eq!(fake.times("c"), at(&[60, 360, 660], "r2"));
    assert_eq!(
        fake.times("a"),
        vec![
            (0, "r1".into()),
            (60, "r2".into()),
            (360, "r2".into()),
            (660, "r2".into())
        ]
    );
    running.stop.send(true).unwrap();
    running.task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn nothing_is_reconciled_before_a_valid_revision() {
    let fake = Fake::new("r1", &["a"]);
    fake.script().remote = None;
    let running = start(&fake);
    until(&fake, 150).await;
    assert!(fake.script().log.is_empty());
    fake.push("r1", &["a"]);
    until(&fake, 181).await;
    assert_eq!(fake.times("a"), at(&[180], "r1"));
    running.stop.send(true).unwrap();
    running.task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn stopping_lets_the_reconcile_in_flight_finish_and_starts_nothing_new() {
    let fake = Fake::new("r1", &["a", "b"]);
    fake.script()
        .slow
        .insert("a".into(), Duration::from_secs(50));
    let running = start(&fake);
    until(&fake, 10).await;
    running.stop.send(true).unwrap();
    let stopped_at = Instant::now();
    running.task.await.unwrap();
    // `run` returned when a's reconcile ended, not before, and nothing else began.
    assert_eq!(stopped_at.elapsed(), Duration::from_secs(40));
    assert_eq!(fake.script().in_flight.get("a"), Some(&0));
    assert_eq!(fake.script().log.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn once_reconciles_every_target_one_time() {
    let fake = Fake::new("r1", &["b", "a"]);
    fake.script()
        .results
        .insert("b".into(), VecDeque::from([Next::Transient]));
    let results = once(fake.clone()).await;
    assert_eq!(
        results,
        vec![("a".into(), Next::Converged), ("b".into(), Next::Transient)]
    );
    fake.script().remote = None;
    assert!(once(fake.clone()).await.is_empty());
}
