//! The reconcile loop of `driftless run`: fetch the source, validate, plan and apply
//! every target through the same engine as `plan` and `apply` (invariant 8), record
//! the outcome (history, last-applied values, status), and wait for the next poll,
//! resync or backoff.
//!
//! An invalid revision is never applied: the last good one keeps being enforced and
//! every target is marked Stalled with the reason. A fetch that fails (unreachable
//! remote, deleted branch) also keeps the last good revision.
//!
//! Not here yet (the rest of the controller issue): the HTTP server (webhook, status,
//! metrics endpoints), notifications, and a queue per target — today one reconcile
//! plans and applies all targets together (targets are still read concurrently).

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::backoff::next_delay;
use super::metrics::Metrics;
use super::status::{classify_apply, ErrorClass, Outcome, Status};
use crate::apply::{self, ApplyError, ApplyOptions, ApplyReport, Cancel};
use crate::engine::{self, EngineError, PlanRequest, Planned};
use crate::plan::Action;
use crate::source::git::GitSource;
use crate::source::{local, Snapshot, SourceError};
use crate::state::{ChangeRecord, LastApplied, ReconcileRecord, ReconcileResult, Store};
use crate::validate::{self, LoadError, Loaded};

/// Where the desired state comes from.
#[derive(Debug, Clone)]
pub struct SourceLocation {
    /// A local folder or a git URL.
    pub source: String,
    pub reference: Option<String>,
    pub path: Option<String>,
}

impl SourceLocation {
    /// Whether the source is a git repository rather than a local folder.
    pub fn is_git(&self) -> bool {
        let s = &self.source;
        s.contains("://") || s.ends_with(".git") || {
            let (before, _) = s.split_once(':').unwrap_or(("", ""));
            before.contains('@') && !before.contains('/')
        }
    }
}

/// Settings of `driftless run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub location: SourceLocation,
    pub state_dir: PathBuf,
    pub interval: Duration,
    pub resync: Duration,
    pub request: PlanRequest,
    pub apply: ApplyOptions,
    /// `--drift-policy report`: drift is detected and reported, never written.
    pub report_drift_only: bool,
}

/// The controller's memory between reconciles.
pub struct Controller {
    pub options: RunOptions,
    pub status: Status,
    pub metrics: Metrics,
    /// Set by `POST /suspend`: plan and report, write nothing.
    pub suspended: bool,
    /// Whether a fetch has ever succeeded (readiness).
    pub fetched: bool,
    last_good: Option<Loaded>,
    last_revision: Option<String>,
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Reads the source's current revision: a local folder, or a git revision fetched
/// into `<state_dir>/source` (blocking I/O, run off the async threads). Used by
/// `plan` and `apply` too.
pub async fn read_source(
    location: &SourceLocation,
    state_dir: &std::path::Path,
) -> Result<Snapshot, SourceError> {
    let location = location.clone();
    let checkout = state_dir.join("source");
    tokio::task::spawn_blocking(move || {
        if location.is_git() {
            let git = GitSource::new(location.source, location.reference, location.path, checkout)?;
            let revision = git.fetch()?;
            if revision.forced {
                warn(&format!(
                    "{} was force-pushed: {} does not descend from {}",
                    git.reference,
                    revision.sha,
                    revision.previous.as_deref().unwrap_or("?")
                ));
            }
            git.snapshot(&revision)
        } else {
            let dir = match &location.path {
                Some(p) => PathBuf::from(&location.source).join(p),
                None => PathBuf::from(&location.source),
            };
            local::read(&dir, &dir.to_string_lossy())
        }
    })
    .await
    .unwrap_or_else(|e| {
        Err(SourceError::Unreadable {
            path: "source".into(),
            message: format!("the source read stopped: {e}"),
        })
    })
}

/// One history record per target of an apply (also used by `driftless apply`).
pub fn history_records(
    planned: &Planned,
    report: &ApplyReport,
    started: SystemTime,
) -> Vec<ReconcileRecord> {
    let duration_ms = started.elapsed().map_or(0, |d| d.as_millis() as u64);
    planned
        .clients
        .keys()
        .map(|target| {
            let changes: Vec<ChangeRecord> = report
                .outcomes
                .iter()
                .filter(|o| &o.change.target == target)
                .map(|o| ChangeRecord {
                    kind: o.change.kind.to_string(),
                    name: o.change.name.clone(),
                    action: crate::spec::wire_name(&o.change.action),
                    fields: serde_json::to_value(&o.change.fields).unwrap_or_default(),
                    drift: o.change.drift,
                    result: match &o.result {
                        Ok(()) => "ok".into(),
                        Err(ApplyError::Skipped(_)) => "skipped".into(),
                        Err(_) => "failed".into(),
                    },
                    error: o.result.as_ref().err().map(|e| e.to_string()),
                })
                .collect();
            let failed = changes.iter().filter(|c| c.result != "ok").count();
            let reported = planned
                .plan
                .changes
                .iter()
                .filter(|c| &c.target == target && (c.report_only || c.action == Action::Conflict))
                .count();
            let result = match (changes.is_empty(), failed) {
                (true, _) if reported > 0 => ReconcileResult::ReportedOnly,
                (true, _) => ReconcileResult::NoChanges,
                (false, 0) => ReconcileResult::Applied,
                (false, n) if n == changes.len() => ReconcileResult::Failed,
                _ => ReconcileResult::PartiallyApplied,
            };
            ReconcileRecord {
                id: None,
                started_at_unix: unix(started),
                duration_ms,
                target: target.clone(),
                revision: planned.plan.revision.clone(),
                result,
                drift_found: planned
                    .plan
                    .changes
                    .iter()
                    .filter(|c| &c.target == target && c.drift)
                    .count() as u32,
                drift_corrected: changes
                    .iter()
                    .filter(|c| c.drift && c.result == "ok")
                    .count() as u32,
                changes,
                error: None,
            }
        })
        .collect()
}

impl Controller {
    pub fn new(options: RunOptions) -> Controller {
        Controller {
            options,
            status: Status::default(),
            metrics: Metrics::default(),
            suspended: false,
            fetched: false,
            last_good: None,
            last_revision: None,
        }
    }

    fn target_names(&self) -> Vec<String> {
        match &self.last_good {
            Some(l) => l
                .state
                .config
                .target_names()
                .into_iter()
                .map(str::to_string)
                .collect(),
            None => vec![crate::spec::config::DEFAULT_TARGET.to_string()],
        }
    }

    fn record_everywhere(&mut self, outcome: &Outcome, now: i64) {
        for t in self.target_names() {
            self.status
                .targets
                .entry(t)
                .or_default()
                .record(outcome, now);
        }
    }

    /// One reconcile of every target. Returns whether all of them converged.
    pub async fn reconcile(&mut self, cancel: &Cancel) -> bool {
        let started = SystemTime::now();
        let now = unix(started);
        // 1. The source: a new valid revision replaces the last good one.
        match read_source(&self.options.location, &self.options.state_dir).await {
            Ok(snapshot) => {
                self.fetched = true;
                let revision = snapshot.revision.clone();
                self.last_revision = Some(revision.clone());
                match validate::load_snapshot(snapshot) {
                    Ok(loaded) => self.last_good = Some(loaded),
                    Err(LoadError::Invalid(diagnostics)) => {
                        let reason = format!(
                            "{}; first: {}",
                            crate::spec::diagnostic::plural(diagnostics.len(), "error"),
                            diagnostics
                                .first()
                                .map(|d| d.to_string())
                                .unwrap_or_default()
                        );
                        self.record_everywhere(
                            &Outcome::Invalid {
                                revision: revision.clone(),
                                reason: reason.clone(),
                            },
                            now,
                        );
                        self.record_history_invalid(&revision, &reason, started);
                        if self.last_good.is_none() {
                            return false;
                        }
                    }
                    Err(LoadError::Source(e)) => {
                        self.record_everywhere(
                            &Outcome::Failed {
                                revision,
                                class: ErrorClass::Stalled,
                                reason: e.to_string(),
                            },
                            now,
                        );
                        return false;
                    }
                }
            }
            Err(e) => {
                let revision = self.last_revision.clone().unwrap_or_default();
                self.record_everywhere(
                    &Outcome::Failed {
                        revision,
                        class: ErrorClass::Transient,
                        reason: e.to_string(),
                    },
                    now,
                );
                if self.last_good.is_none() {
                    return false;
                }
            }
        }
        let Some(loaded) = self.last_good.clone() else {
            return false;
        };
        let invalid_latest = self.last_revision.as_deref() != Some(loaded.revision.as_str());
        // 2. Plan with what was last applied, then apply.
        let mut state = LastApplied::load(&self.options.state_dir);
        let mut request = self.options.request.clone();
        request.last_applied = state.records.clone();
        for t in self.target_names() {
            self.status
                .targets
                .entry(t)
                .or_default()
                .start(&loaded.revision, now);
        }
        let mut planned = match engine::plan_loaded(loaded.clone(), &request).await {
            Ok(p) => p,
            Err(e) => {
                let class = match &e {
                    EngineError::Aws(aws) => super::status::classify_aws(aws),
                    _ => ErrorClass::Stalled,
                };
                self.record_everywhere(
                    &Outcome::Failed {
                        revision: loaded.revision.clone(),
                        class,
                        reason: e.to_string(),
                    },
                    now,
                );
                self.observe(started, "failed");
                return false;
            }
        };
        if self.suspended {
            for c in planned.plan.changes.iter_mut() {
                c.report_only = true;
            }
        } else if self.options.report_drift_only {
            for c in planned.plan.changes.iter_mut().filter(|c| c.drift) {
                c.report_only = true;
            }
        }
        let report = apply::apply(&planned, &self.options.apply, cancel, &mut state.records).await;
        if let Err(e) = state.save(&self.options.state_dir) {
            warn(&format!("the last-applied record was not saved: {e}"));
        }
        if let Ok(mut store) = Store::open(&self.options.state_dir) {
            for record in history_records(&planned, &report, started) {
                if let Err(e) = store.record_reconcile(&record) {
                    warn(&format!("history not recorded: {e}"));
                }
            }
        }
        // 3. Status per target.
        let mut all_converged = !invalid_latest;
        for target in planned.clients.keys() {
            let outcome = target_outcome(&planned, &report, target);
            all_converged &= matches!(outcome, Outcome::Converged { .. });
            if let Outcome::Converged { .. } = outcome {
                self.metrics.last_success.insert(target.clone(), now);
            }
            for c in planned
                .plan
                .changes
                .iter()
                .filter(|c| &c.target == target && c.drift)
            {
                *self
                    .metrics
                    .drift_detected
                    .entry(c.kind.to_string())
                    .or_default() += 1;
                let corrected = report
                    .outcomes
                    .iter()
                    .any(|o| o.change == *c && o.result.is_ok());
                if corrected {
                    *self
                        .metrics
                        .drift_corrected
                        .entry(c.kind.to_string())
                        .or_default() += 1;
                }
            }
            self.status
                .targets
                .entry(target.clone())
                .or_default()
                .record(&outcome, now);
            if invalid_latest {
                // The invalid revision stays reported even though the last good converged.
                let revision = self.last_revision.clone().unwrap_or_default();
                let reason =
                    "the latest revision is invalid; the last good one was enforced".to_string();
                self.status
                    .targets
                    .entry(target.clone())
                    .or_default()
                    .record(&Outcome::Invalid { revision, reason }, now);
            }
        }
        self.metrics.revision = Some(loaded.revision.clone());
        self.observe(started, if all_converged { "converged" } else { "failed" });
        all_converged
    }

    fn observe(&mut self, started: SystemTime, result: &str) {
        let seconds = started.elapsed().map_or(0.0, |d| d.as_secs_f64());
        for t in self.target_names() {
            self.metrics.observe_reconcile(&t, result, seconds);
        }
    }

    fn record_history_invalid(&self, revision: &str, reason: &str, started: SystemTime) {
        let Ok(mut store) = Store::open(&self.options.state_dir) else {
            return;
        };
        for target in self.target_names() {
            let _ = store.record_reconcile(&ReconcileRecord {
                id: None,
                started_at_unix: unix(started),
                duration_ms: 0,
                target,
                revision: revision.to_string(),
                result: ReconcileResult::Invalid,
                changes: Vec::new(),
                drift_found: 0,
                drift_corrected: 0,
                error: Some(reason.to_string()),
            });
        }
    }

    /// The delay before the next reconcile, from the targets' states.
    pub fn next_delay(&self) -> Duration {
        let jitter = (SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
            % 1000) as f64
            / 1000.0;
        let worst = self
            .status
            .targets
            .values()
            .fold(None, |acc: Option<(ErrorClass, u32)>, t| {
                let class = match t.last_result.as_deref() {
                    Some("failed") if t.transient_failures > 0 => {
                        Some((ErrorClass::Transient, t.transient_failures))
                    }
                    Some("failed" | "blocked" | "invalid") => Some((ErrorClass::Stalled, 0)),
                    _ => None,
                };
                match (acc, class) {
                    (Some((ErrorClass::Transient, n)), _) => Some((ErrorClass::Transient, n)),
                    (_, Some(c)) => Some(c),
                    (a, None) => a,
                }
            });
        let delay = match worst {
            Some((class, n)) => next_delay(Some(class), n, self.options.resync, jitter),
            None => next_delay(None, 0, self.options.resync, jitter),
        };
        // A new commit must not wait for a long resync or a stalled pause.
        delay.min(self.options.interval)
    }
}

/// How one target's reconcile ended.
fn target_outcome(planned: &Planned, report: &ApplyReport, target: &str) -> Outcome {
    let revision = planned.plan.revision.clone();
    let conflicts = planned
        .plan
        .changes
        .iter()
        .filter(|c| c.target == target && c.action == Action::Conflict)
        .count();
    let failures: Vec<&ApplyError> = report
        .outcomes
        .iter()
        .filter(|o| o.change.target == target)
        .filter_map(|o| o.result.as_ref().err())
        .filter(|e| !matches!(e, ApplyError::Skipped(_)))
        .collect();
    if let Some(first) = failures.first() {
        let class = if failures
            .iter()
            .any(|e| classify_apply(e) == ErrorClass::Stalled)
        {
            ErrorClass::Stalled
        } else {
            ErrorClass::Transient
        };
        return Outcome::Failed {
            revision,
            class,
            reason: format!(
                "{} failed; first: {first}",
                crate::spec::diagnostic::plural(failures.len(), "change")
            ),
        };
    }
    if conflicts > 0 {
        return Outcome::Blocked {
            revision,
            reason: format!(
                "{} not written: a namesake exists that driftless does not own",
                crate::spec::diagnostic::plural(conflicts, "conflict")
            ),
        };
    }
    let mine = |c: &&crate::plan::Change| c.target == target;
    Outcome::Converged {
        revision,
        changes: report
            .outcomes
            .iter()
            .filter(|o| o.change.target == target && o.result.is_ok())
            .count(),
        drift_corrected: report
            .outcomes
            .iter()
            .filter(|o| o.change.target == target && o.change.drift && o.result.is_ok())
            .count(),
        drift_reported: planned
            .plan
            .changes
            .iter()
            .filter(mine)
            .filter(|c| c.drift && c.report_only)
            .count(),
    }
}

/// Logs a warning on stderr (structured logging comes with the rest of the controller).
fn warn(message: &str) {
    eprintln!("warning: {message}");
}
