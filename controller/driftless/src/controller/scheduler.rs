//! When `driftless run` does what: one source task and one worker per target.
//!
//! - The **source task** fetches every `--interval` (with jitter), or at once when a
//!   webhook pulls the trigger, and publishes each new valid revision on a watch
//!   channel. An invalid or unreadable revision is not published: the workers keep
//!   enforcing the last good one. The same revision made again (an organization's
//!   accounts asked again, once per resync round) replaces the published one without
//!   waking the workers: each takes it at its next reconcile.
//! - Each **target worker** is a queue of one: it reconciles its target when a new
//!   revision is published, again every `--resync` (drift correction), after a
//!   transient failure with exponential backoff and jitter (reset after a success),
//!   and after a stalled one only when the revision changes or after a long pause
//!   ([`super::backoff`]). A target is never reconciled twice at once, and a slow or
//!   failing account or region never delays the others.
//! - Workers come and go with the targets of the published revision's driftless.yaml.
//! - Stopping: no new work is started; a reconcile in flight finishes (the caller
//!   cancels the apply so that only calls already sent are awaited), then [`run`]
//!   returns.
//!
//! The work itself is behind [`Backend`], so this module is tested with tokio's paused
//! clock and a scripted backend; `run.rs` is the real one.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use super::backoff::next_delay;
use super::status::ErrorClass;

/// A revision of the desired state, as far as scheduling cares.
pub trait Desired: Send + Sync + 'static {
    /// The revision's identity (a commit SHA or a content hash).
    fn revision(&self) -> &str;
    /// The targets it is applied to.
    fn targets(&self) -> Vec<String>;
}

/// How one reconcile of one target ended, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Converged (or reported drift only): wait for the resync.
    Converged,
    /// Throttling, 5xx, timeouts, network: back off and retry.
    Transient,
    /// Access denied, conflicts, refused changes: wait for a new revision or long.
    Stalled,
}

/// The work the scheduler drives.
pub trait Backend: Send + Sync + 'static {
    type Desired: Desired;
    /// Fetches and validates the source. Returns the revision to enforce: the newest
    /// valid one, or the last good one when the newest is invalid or the fetch failed
    /// (`None` before any revision was ever valid). The backend reports failures.
    fn fetch(&self) -> impl Future<Output = Option<Arc<Self::Desired>>> + Send;
    /// Reconciles one target against a revision.
    fn reconcile(
        &self,
        desired: Arc<Self::Desired>,
        target: String,
    ) -> impl Future<Output = Next> + Send;
}

/// The timing of the loop.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Between fetches.
    pub interval: Duration,
    /// Between reconciles of an unchanged revision.
    pub resync: Duration,
    /// Spread timers by up to +20 % so that targets and controllers do not move in
    /// step (off in tests that assert exact times).
    pub jitter: bool,
}

impl Schedule {
    fn jitter(&self) -> f64 {
        if !self.jitter {
            return 0.0;
        }
        // Spreading, not security: the clock's nanoseconds are random enough.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        f64::from(nanos % 1000) / 1000.0
    }

    /// The delay after a reconcile that ended with `next`, `failures` being the
    /// consecutive transient failures so far (this one included).
    pub fn after(&self, next: Next, failures: u32) -> Duration {
        let class = match next {
            Next::Converged => None,
            Next::Transient => Some(ErrorClass::Transient),
            Next::Stalled => Some(ErrorClass::Stalled),
        };
        next_delay(class, failures, self.resync, self.jitter())
    }

    fn poll(&self) -> Duration {
        self.interval.mul_f64(1.0 + 0.2 * self.jitter())
    }
}

/// Runs until `stop` becomes true: fetches, and keeps one worker per target of the
/// current revision. `fetch` wakes the source task at once (a webhook); `resync`
/// makes every worker reconcile at once (after `POST /resume`). Returns once every
/// worker has finished its reconcile in flight.
pub async fn run<B: Backend>(
    backend: Arc<B>,
    schedule: Schedule,
    fetch: Arc<Notify>,
    resync: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    type Slot<D> = Option<Arc<D>>;
    let (publish, desired) = watch::channel::<Slot<B::Desired>>(None);
    let mut workers: BTreeMap<String, watch::Sender<bool>> = BTreeMap::new();
    let mut tasks = JoinSet::new();
    while !*stop.borrow() {
        if let Some(d) = backend.fetch().await {
            let new = publish.borrow().as_ref().map(|p| p.revision().to_string())
                != Some(d.revision().to_string());
            let wanted = d.targets();
            workers.retain(|name, quit| {
                let keep = wanted.contains(name);
                if !keep {
                    let _ = quit.send(true);
                }
                keep
            });
            if new {
                publish.send_replace(Some(d));
            } else {
                // The same revision made again (an organization's accounts asked
                // again): workers take it at their next reconcile, without being
                // woken for it.
                publish.send_if_modified(|slot| {
                    if !slot.as_ref().is_some_and(|p| Arc::ptr_eq(p, &d)) {
                        *slot = Some(d);
                    }
                    false
                });
            }
            for name in wanted {
                if workers.contains_key(&name) {
                    continue;
                }
                let (quit, quit_rx) = watch::channel(false);
                workers.insert(name.clone(), quit);
                tasks.spawn(worker(
                    backend.clone(),
                    name,
                    schedule.clone(),
                    desired.clone(),
                    quit_rx,
                    stop.clone(),
                ));
            }
        }
        // Reap workers that finished (removed targets) without waiting.
        while tasks.try_join_next().is_some() {}
        tokio::select! {
            _ = tokio::time::sleep(schedule.poll()) => {}
            _ = fetch.notified() => {}
            _ = resync.notified() => {
                // Wakes every worker on the revision they already have.
                publish.send_modify(|_| {});
            }
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    for quit in workers.values() {
        let _ = quit.send(true);
    }
    while tasks.join_next().await.is_some() {}
}

/// One target's queue: reconcile, wait (resync, backoff, or a new revision), repeat.
async fn worker<B: Backend>(
    backend: Arc<B>,
    target: String,
    schedule: Schedule,
    mut desired: watch::Receiver<Option<Arc<B::Desired>>>,
    mut quit: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
) {
    let mut failures = 0u32;
    loop {
        if *quit.borrow() || *stop.borrow() {
            return;
        }
        let current = desired.borrow_and_update().clone();
        let delay = match current {
            Some(d) => {
                let next = backend.reconcile(d, target.clone()).await;
                match next {
                    Next::Converged => failures = 0,
                    Next::Transient => failures += 1,
                    Next::Stalled => {}
                }
                schedule.after(next, failures)
            }
            // Nothing valid yet: wait for a revision.
            None => Duration::MAX,
        };
        tokio::select! {
            _ = tokio::time::sleep(delay.min(Duration::from_secs(365 * 24 * 3600))) => {}
            changed = desired.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = quit.changed() => return,
            _ = stop.changed() => return,
        }
    }
}

/// `--once`: one fetch, then one reconcile of every target, concurrently. Returns
/// what each target's reconcile ended with (empty when there was no valid revision).
pub async fn once<B: Backend>(backend: Arc<B>) -> Vec<(String, Next)> {
    let Some(d) = backend.fetch().await else {
        return Vec::new();
    };
    let mut tasks = JoinSet::new();
    for target in d.targets() {
        let (backend, d) = (backend.clone(), d.clone());
        tasks.spawn(async move {
            let next = backend.reconcile(d, target.clone()).await;
            (target, next)
        });
    }
    let mut results = Vec::new();
    while let Some(r) = tasks.join_next().await {
        if let Ok(r) = r {
            results.push(r);
        }
    }
    results.sort_by(|a, b| a.0.cmp(&b.0));
    results
}

#[cfg(test)]
mod tests;
