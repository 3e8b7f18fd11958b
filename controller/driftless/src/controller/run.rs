//! The controller's real work for `driftless run`: fetch the source and validate it,
//! then plan and apply each target through the same engine as `plan` and `apply`
//! (invariant 8), and record the outcome (history, last-applied values, status,
//! metrics, logs, notifications). [`super::scheduler`] decides when.
//!
//! An invalid revision is never applied: the last good one keeps being enforced and
//! every target is marked Stalled with the reason. A fetch that fails (unreachable
//! remote, deleted branch) also keeps the last good revision. Each target is planned
//! and applied on its own, and saves only its own last-applied records, so targets
//! run concurrently without touching each other's state.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, SystemTime};

use tracing::Instrument;

use super::http::Shared;
use super::metrics::Metrics;
use super::notify::{Notifier, Observation};
use super::scheduler::{Backend, Desired, Next};
use super::shard::Shard;
use super::status::{classify_apply, ErrorClass, Outcome, ShardStatus, SourceStatus, Status};
use crate::apply::{self, ApplyError, ApplyOptions, ApplyReport, Cancel};
use crate::engine::{self, PlanRequest, Planned};
use crate::plan::Action;
use crate::reconcile::{history_records, unix};
use crate::source::{read_source_commit, SourceLocation};
use crate::spec::config::NotificationsConfig;
use crate::spec::DriftlessConfig;
use crate::state::{LastApplied, ReconcileRecord, ReconcileResult, RevisionRecord, Store};
use crate::validate::{self, LoadError, Loaded};

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
    /// `--suspend`: plan and report, write nothing (also `suspend: true` in
    /// driftless.yaml and `POST /suspend`).
    pub suspend: bool,
    /// The part of the targets this process owns (`--shard-index`/`--shard-count`).
    pub shard: Shard,
}

/// A valid revision, ready to be reconciled.
#[derive(Debug)]
pub struct Revision {
    pub loaded: Loaded,
    /// The targets reconciled: driftless.yaml's, limited by `--target` and to this
    /// process's shard.
    pub targets: Vec<String>,
}

impl Desired for Revision {
    fn revision(&self) -> &str {
        &self.loaded.revision
    }
    fn targets(&self) -> Vec<String> {
        self.targets.clone()
    }
}

/// What the source last gave.
#[derive(Default)]
struct SourceState {
    last_good: Option<Arc<Revision>>,
    /// The newest revision fetched, valid or not.
    latest: Option<String>,
    /// Set while the newest revision is invalid: (revision, reason).
    invalid: Option<(String, String)>,
    /// The notifier of the last good revision's driftless.yaml, with its
    /// configuration (rebuilt only when that changes, so deduplication carries on).
    notifier: Option<(NotificationsConfig, Arc<Notifier>)>,
}

/// The controller's real work: the git source, and the plan/apply engine per target.
/// Shares status, metrics and flags with the HTTP handlers through [`Shared`].
pub struct Reconciler {
    pub options: RunOptions,
    pub shared: Arc<Shared>,
    /// Cancelled at shutdown: applies stop starting new calls.
    pub cancel: Cancel,
    source: tokio::sync::Mutex<SourceState>,
    /// Per target, what its last reconcile told the notifier.
    seen: std::sync::Mutex<BTreeMap<String, Seen>>,
    /// The notifier's memory as last saved, to write only changes.
    saved_memory: std::sync::Mutex<Option<serde_json::Value>>,
}

/// The state-store key of the notifier's memory (what has been announced).
const NOTIFIER_MEMORY: &str = "notifications.memory";

/// What a target's last reconcile found, for announcing an invalid revision between
/// reconciles without the notifier taking silence for recovery.
#[derive(Debug, Clone, Default)]
struct Seen {
    /// Resources (`Kind/name`) still drifting.
    drifting: Vec<String>,
    /// Why it failed, if it did.
    failed: Option<String>,
}

/// The first 12 characters of a revision, for logs.
fn short(revision: &str) -> &str {
    revision.get(..12).unwrap_or(revision)
}

impl Reconciler {
    pub fn new(options: RunOptions, shared: Arc<Shared>, cancel: Cancel) -> Reconciler {
        Reconciler {
            options,
            shared,
            cancel,
            source: tokio::sync::Mutex::new(SourceState::default()),
            seen: Default::default(),
            saved_memory: Default::default(),
        }
    }

    /// Evaluates the guardrails on the target's whole live estate after each
    /// reconcile (as `driftless audit`), into `/status` and `/metrics`; returns the
    /// violations (`<rule> Kind/name`) for the notifier. A failed read is logged,
    /// leaves the last results, and returns `None`, as does having no guardrails.
    async fn audit_guardrails(
        &self,
        revision: &Revision,
        planned: &engine::Planned,
        target: &str,
    ) -> Option<Vec<String>> {
        let guardrails = &revision.loaded.state.config.guardrails;
        let clients = planned
            .clients
            .get(target)
            .filter(|_| !guardrails.is_empty())?;
        let evaluations = match crate::audit::audit_target(clients, &revision.loaded, target).await
        {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "the guardrail audit failed");
                return None;
            }
        };
        let violations = evaluations
            .iter()
            .filter(|e| e.compliance == crate::audit::Compliance::NonCompliant)
            .map(|e| format!("{} {}/{}", e.rule.as_str(), e.kind, e.name))
            .collect();
        let counts = crate::audit::non_compliant_by_rule(guardrails, &evaluations);
        let breaking: usize = counts.values().sum();
        if breaking > 0 {
            tracing::warn!(non_compliant = breaking, "live resources break guardrails");
        }
        {
            let mut metrics = self.metrics();
            metrics
                .guardrail_non_compliant
                .retain(|(t, _), _| t != target);
            for (rule, n) in &counts {
                metrics
                    .guardrail_non_compliant
                    .insert((target.to_string(), rule.clone()), *n);
            }
        }
        self.status()
            .targets
            .entry(target.to_string())
            .or_default()
            .guardrail_non_compliant = counts;
        Some(violations)
    }

    fn status(&self) -> MutexGuard<'_, Status> {
        self.shared.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn metrics(&self) -> MutexGuard<'_, Metrics> {
        self.shared
            .metrics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The targets an invalid revision concerns: the last good revision's; without
    /// one, those of the invalid revision's own driftless.yaml when it is valid by
    /// itself; else `default`.
    fn known_targets(&self, source: &SourceState, config: Option<&DriftlessConfig>) -> Vec<String> {
        match (&source.last_good, config) {
            (Some(r), _) => r.targets.clone(),
            (None, Some(config)) => self.mine(config),
            (None, None) => self
                .options
                .shard
                .select(&[crate::spec::config::DEFAULT_TARGET])
                .into_iter()
                .map(str::to_string)
                .collect(),
        }
    }

    /// The revision a target still enforces: the last good one, else (a restarted
    /// controller that has seen nothing valid yet) the newest one its history shows
    /// applied.
    fn enforced_revision(&self, source: &SourceState, target: &str) -> Option<String> {
        if let Some(r) = &source.last_good {
            return Some(r.loaded.revision.clone());
        }
        let store = Store::open(&self.options.state_dir).ok()?;
        let history = store
            .history(&crate::state::HistoryQuery {
                target: Some(target.to_string()),
                since_unix: None,
                limit: Some(50),
            })
            .ok()?;
        history
            .into_iter()
            .find(|r| !matches!(r.result, ReconcileResult::Invalid | ReconcileResult::Failed))
            .map(|r| r.revision)
    }

    fn record(&self, target: &str, outcome: &Outcome, now: i64) {
        self.status()
            .targets
            .entry(target.to_string())
            .or_default()
            .record(outcome, now);
    }

    /// driftless.yaml's targets that this process reconciles: those `--target`
    /// names (all without it) that its shard owns.
    fn mine(&self, config: &DriftlessConfig) -> Vec<String> {
        let requested = &self.options.request.targets;
        // `--target` may name groups.
        let wanted = config.expand(requested);
        // Every shard divides the same full list, whatever `--target` says.
        self.options
            .shard
            .select(&config.target_names())
            .into_iter()
            .filter(|t| requested.is_empty() || wanted.iter().any(|w| w == t))
            .map(str::to_string)
            .collect()
    }

    /// Publishes which shard this is and which targets it owns (`/status`, `/metrics`).
    fn publish_shard(&self, targets: &[String]) {
        let shard = self.options.shard;
        self.status().shard = Some(ShardStatus {
            index: shard.index,
            count: shard.count,
            targets: targets.to_vec(),
        });
        self.metrics().shard = Some((shard.index, shard.count, targets.len()));
    }

    /// A newly valid revision: keep it, and (re)build the notifier if its
    /// configuration changed.
    async fn accept(&self, source: &mut SourceState, loaded: Loaded) -> Arc<Revision> {
        self.update_notifier(source, &loaded.state.config).await;
        let targets = self.mine(&loaded.state.config);
        self.publish_shard(&targets);
        let revision = Arc::new(Revision { targets, loaded });
        source.last_good = Some(revision.clone());
        source.invalid = None;
        revision
    }

    /// (Re)builds the notifier when driftless.yaml's `notifications` changed, carrying
    /// over what was already announced.
    async fn update_notifier(&self, source: &mut SourceState, driftless: &DriftlessConfig) {
        let config = driftless.notifications.clone();
        let same = match (&source.notifier, &config) {
            (Some((old, _)), Some(new)) => old == new,
            (None, None) => true,
            _ => false,
        };
        if !same {
            let previous = source.notifier.take();
            source.notifier = match config {
                None => None,
                Some(c) => {
                    match Notifier::from_config(driftless, &self.options.request.aws).await {
                        Ok(n) => n.map(|n| {
                            // What was announced stays announced, across a new
                            // driftless.yaml and across restarts.
                            match &previous {
                                Some((_, old)) => n.carry_over(old),
                                None => {
                                    let saved = Store::open(&self.options.state_dir)
                                        .and_then(|store| store.value(NOTIFIER_MEMORY));
                                    if let Ok(Some(memory)) = saved {
                                        if !n.restore(&memory) {
                                            tracing::warn!("the notifications' saved memory is unreadable; conditions that still hold will be announced again");
                                        }
                                    }
                                }
                            }
                            tracing::info!(destinations = ?n.destinations(), "notifications on");
                            (c, Arc::new(n))
                        }),
                        Err(e) => {
                            tracing::warn!(error = %e, "notifications are off");
                            None
                        }
                    }
                }
            };
        }
    }

    /// An invalid revision: marked on every target and recorded; the last good one
    /// stays in force. Returns the announcements to send once the source lock is
    /// released (a slow destination must not hold up the reconciles).
    fn reject(
        &self,
        source: &mut SourceState,
        config: Option<&DriftlessConfig>,
        revision: &str,
        reason: String,
        now: i64,
    ) -> Option<Announcements> {
        tracing::warn!(
            revision = short(revision),
            %reason,
            "the new revision is invalid and is not applied; the last good one stays in force"
        );
        let targets = self.known_targets(source, config);
        let outcome = Outcome::Invalid {
            revision: revision.to_string(),
            reason: reason.clone(),
        };
        for t in &targets {
            // A restarted controller knows what it enforces from the history.
            let known = self
                .status()
                .targets
                .get(t)
                .is_some_and(|s| s.last_applied_revision.is_some());
            if !known {
                let enforced = self.enforced_revision(source, t);
                self.status()
                    .targets
                    .entry(t.clone())
                    .or_default()
                    .last_applied_revision = enforced;
            }
            self.record(t, &outcome, now);
        }
        let records: Vec<ReconcileRecord> = targets
            .iter()
            .map(|target| ReconcileRecord {
                id: None,
                started_at_unix: now,
                duration_ms: 0,
                target: target.clone(),
                revision: revision.to_string(),
                result: ReconcileResult::Invalid,
                changes: Vec::new(),
                drift_found: 0,
                drift_corrected: 0,
                error: Some(reason.clone()),
            })
            .collect();
        self.history(&records);
        source.invalid = Some((revision.to_string(), reason.clone()));
        let (_, notifier) = source.notifier.as_ref()?;
        // The revision still enforced, and each target as last seen: silence about a
        // drift or a failure would be taken for its end.
        let observations = targets
            .into_iter()
            .map(|target| {
                let seen = self.seen().get(&target).cloned().unwrap_or_default();
                let enforced = self.enforced_revision(source, &target);
                Observation {
                    revision: enforced.unwrap_or_else(|| "none".to_string()),
                    target,
                    drift_detected: seen.drifting,
                    drift_corrected: Vec::new(),
                    changed_by: BTreeMap::new(),
                    apply_failed: seen.failed,
                    invalid_revision: Some((revision.to_string(), reason.clone())),
                    guardrail_violations: None,
                }
            })
            .collect();
        Some((notifier.clone(), observations))
    }

    /// One reconcile of one target, in a span naming both.
    async fn reconcile_target(&self, revision: Arc<Revision>, target: String) -> Next {
        let span = tracing::info_span!(
            "reconcile",
            target = %target,
            revision = short(&revision.loaded.revision)
        );
        self.reconcile_in_span(revision, target)
            .instrument(span)
            .await
    }

    async fn reconcile_in_span(&self, revision: Arc<Revision>, target: String) -> Next {
        let started = SystemTime::now();
        let now = unix(started);
        let rev = revision.loaded.revision.clone();
        self.status()
            .targets
            .entry(target.clone())
            .or_default()
            .start(&rev, now);
        // Plan this target with what was last applied to it.
        let mut state = LastApplied::load(&self.options.state_dir);
        if let Some(w) = &state.warning {
            tracing::warn!(warning = %w, "the state store");
        }
        let mut request = self.options.request.clone();
        request.targets = vec![target.clone()];
        request.last_applied = state.records.clone();
        // Who made each drift, since driftless last wrote the resource (bounded as
        // `plan` is: a few CloudTrail lookups per target, never failing the plan).
        request.attribution = Some(crate::attribution::last_applied_times(
            &self.options.state_dir,
        ));
        let planned = engine::plan_loaded(revision.loaded.clone(), &request)
            .await
            .map_err(|e| (ErrorClass::Stalled, e.to_string()))
            .and_then(|p| match p.failed.get(&target) {
                Some(aws) => Err((super::status::classify_aws(aws), aws.to_string())),
                None => Ok(p),
            });
        let mut planned = match planned {
            Ok(p) => p,
            Err((class, reason)) => {
                tracing::warn!(error = %reason, class = class.label(), "the plan failed");
                self.record(
                    &target,
                    &Outcome::Failed {
                        revision: rev.clone(),
                        class,
                        reason: reason.clone(),
                    },
                    now,
                );
                self.history(&[ReconcileRecord {
                    id: None,
                    started_at_unix: now,
                    duration_ms: started.elapsed().map_or(0, |d| d.as_millis() as u64),
                    target: target.clone(),
                    revision: rev.clone(),
                    result: ReconcileResult::Failed,
                    changes: Vec::new(),
                    drift_found: 0,
                    drift_corrected: 0,
                    error: Some(reason.clone()),
                }]);
                self.metrics()
                    .observe_reconcile(&target, "failed", seconds_since(started));
                self.notify(&target, &rev, Drift::default(), Some(reason))
                    .await;
                return match class {
                    ErrorClass::Transient => Next::Transient,
                    ErrorClass::Stalled => Next::Stalled,
                };
            }
        };
        let suspended = self.options.suspend
            || revision.loaded.state.config.suspend
            || self.shared.suspended.load(Ordering::SeqCst);
        if suspended {
            for c in planned.plan.changes.iter_mut() {
                c.report_only = true;
            }
        } else if self.options.report_drift_only {
            for c in planned.plan.changes.iter_mut().filter(|c| c.drift) {
                c.report_only = true;
            }
        }
        let report = apply::apply(
            &planned,
            &self.options.apply,
            &self.cancel,
            &mut state.records,
        )
        .await;
        if let Err(e) = state.save_target(&self.options.state_dir, &target) {
            tracing::warn!(error = %e, "the last-applied record was not saved");
        }
        self.history(&history_records(&planned, &report, started));
        let violations = self.audit_guardrails(&revision, &planned, &target).await;
        // Status, metrics, log and notifications.
        let mut outcome = target_outcome(&planned, &report, &target);
        let pending = planned
            .plan
            .changes
            .iter()
            .filter(|c| c.target == target && c.report_only && !c.drift)
            .count();
        if suspended && pending > 0 {
            outcome = Outcome::Suspended {
                revision: rev.clone(),
                pending,
            };
        }
        let drifted: Vec<&crate::plan::Change> = planned
            .plan
            .changes
            .iter()
            .filter(|c| c.target == target && c.drift)
            .collect();
        let corrected: Vec<&crate::plan::Change> = drifted
            .iter()
            .copied()
            .filter(|c| {
                report
                    .outcomes
                    .iter()
                    .any(|o| o.change == **c && o.result.is_ok())
            })
            .collect();
        {
            let mut metrics = self.metrics();
            for c in &drifted {
                *metrics
                    .drift_detected
                    .entry(c.kind.to_string())
                    .or_default() += 1;
            }
            for c in &corrected {
                *metrics
                    .drift_corrected
                    .entry(c.kind.to_string())
                    .or_default() += 1;
            }
            let label = match &outcome {
                Outcome::Converged { .. } => {
                    metrics.last_success.insert(target.clone(), now);
                    "converged"
                }
                Outcome::Suspended { .. } => "suspended",
                Outcome::Blocked { .. } => "blocked",
                _ => "failed",
            };
            metrics.observe_reconcile(&target, label, seconds_since(started));
            metrics.revision = Some(rev.clone());
        }
        match &outcome {
            Outcome::Converged {
                changes,
                drift_corrected,
                drift_reported,
                ..
            } => tracing::info!(changes, drift_corrected, drift_reported, "converged"),
            Outcome::Suspended { pending, .. } => {
                tracing::info!(pending, "suspended: changes reported, none written")
            }
            Outcome::Blocked { reason, .. } => tracing::warn!(%reason, "blocked"),
            Outcome::Failed { reason, class, .. } => {
                tracing::warn!(%reason, class = class.label(), "failed")
            }
            Outcome::Invalid { .. } => {}
        }
        self.record(&target, &outcome, now);
        let invalid = self.source.lock().await.invalid.clone();
        if let Some((latest, _)) = &invalid {
            // The invalid revision stays reported even though the last good converged.
            let reason =
                "the latest revision is invalid; the last good one was enforced".to_string();
            self.record(
                &target,
                &Outcome::Invalid {
                    revision: latest.clone(),
                    reason,
                },
                now,
            );
        }
        let failed = match &outcome {
            Outcome::Failed { reason, .. } | Outcome::Blocked { reason, .. } => {
                Some(reason.clone())
            }
            _ => None,
        };
        let name = |c: &&crate::plan::Change| format!("{}/{}", c.kind, c.name);
        let changed_by = drifted
            .iter()
            .filter_map(|c| Some((name(c), c.changed_by.clone()?)))
            .filter(|(_, by)| by.is_known())
            .collect();
        self.notify(
            &target,
            &rev,
            Drift {
                detected: drifted.iter().map(name).collect(),
                corrected: corrected.iter().map(name).collect(),
                changed_by,
                guardrail_violations: violations,
            },
            failed,
        )
        .await;
        match outcome {
            Outcome::Converged { .. } | Outcome::Suspended { .. } | Outcome::Invalid { .. } => {
                Next::Converged
            }
            Outcome::Blocked { .. } => Next::Stalled,
            Outcome::Failed { class, .. } => match class {
                ErrorClass::Transient => Next::Transient,
                ErrorClass::Stalled => Next::Stalled,
            },
        }
    }

    fn seen(&self) -> MutexGuard<'_, BTreeMap<String, Seen>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn history(&self, records: &[ReconcileRecord]) {
        match Store::open(&self.options.state_dir) {
            Ok(mut store) => {
                for record in records {
                    if let Err(e) = store.record_reconcile(record) {
                        tracing::warn!(error = %e, "history not recorded");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "history not recorded"),
        }
    }

    async fn notify(
        &self,
        target: &str,
        revision: &str,
        drift: Drift,
        apply_failed: Option<String>,
    ) {
        let Drift {
            detected: drift_detected,
            corrected: drift_corrected,
            changed_by,
            guardrail_violations,
        } = drift;
        {
            let mut seen = self.seen();
            let entry = seen.entry(target.to_string()).or_default();
            // A failed plan found no drift list at all: keep the last one.
            if apply_failed.is_none() || !drift_detected.is_empty() {
                entry.drifting = drift_detected
                    .iter()
                    .filter(|d| !drift_corrected.contains(d))
                    .cloned()
                    .collect();
            }
            entry.failed = apply_failed.clone();
        }
        let (notifier, invalid) = {
            let source = self.source.lock().await;
            (
                source.notifier.as_ref().map(|(_, n)| n.clone()),
                source.invalid.clone(),
            )
        };
        if let Some(notifier) = notifier {
            let observation = Observation {
                target: target.to_string(),
                revision: revision.to_string(),
                drift_detected,
                drift_corrected,
                changed_by,
                apply_failed,
                invalid_revision: invalid,
                guardrail_violations,
            };
            self.announce(Some((notifier, vec![observation]))).await;
        }
    }

    /// Feeds observations to a notifier, then saves its memory if it changed, so a
    /// restarted controller does not announce again what it already has.
    async fn announce(&self, announcements: Option<Announcements>) {
        let Some((notifier, observations)) = announcements else {
            return;
        };
        for observation in &observations {
            notifier.observe(observation).await;
        }
        let memory = notifier.memory();
        let mut saved = self.saved_memory.lock().unwrap_or_else(|e| e.into_inner());
        if saved.as_ref() == Some(&memory) {
            return;
        }
        match Store::open(&self.options.state_dir)
            .and_then(|mut store| store.set_value(NOTIFIER_MEMORY, &memory))
        {
            Ok(()) => *saved = Some(memory),
            Err(e) => tracing::warn!(error = %e, "the notifications' memory was not saved"),
        }
    }
}

/// The drift one reconcile of a target found, for [`Observation`]: resources as
/// `Kind/name`, and who changed each one when CloudTrail said.
#[derive(Default)]
struct Drift {
    detected: Vec<String>,
    corrected: Vec<String>,
    changed_by: BTreeMap<String, crate::plan::ChangedBy>,
    /// The reconcile's guardrail audit (see [`Observation::guardrail_violations`]).
    guardrail_violations: Option<Vec<String>>,
}

/// A notifier and what to feed it.
type Announcements = (Arc<Notifier>, Vec<Observation>);

fn seconds_since(started: SystemTime) -> f64 {
    started.elapsed().map_or(0.0, |d| d.as_secs_f64())
}

impl Backend for Reconciler {
    type Desired = Revision;

    async fn fetch(&self) -> Option<Arc<Revision>> {
        let now = unix(SystemTime::now());
        // Read without holding the lock: a slow remote must not hold up reconciles.
        let read = read_source_commit(&self.options.location, &self.options.state_dir).await;
        let mut source = self.source.lock().await;
        match read {
            Ok((snapshot, commit)) => {
                self.shared.ready.store(true, Ordering::SeqCst);
                let revision = snapshot.revision.clone();
                self.status().source = Some(SourceStatus {
                    last_fetched_revision: Some(revision.clone()),
                    last_fetch_unix: Some(now),
                    last_error: None,
                    consecutive_failures: 0,
                });
                if source.latest.as_deref() == Some(revision.as_str()) {
                    // Nothing new: no need to validate again.
                    return source.last_good.clone();
                }
                source.latest = Some(revision.clone());
                match &commit {
                    Some(c) => tracing::info!(
                        revision = short(&c.sha),
                        author = %c.author,
                        subject = %c.message,
                        "new revision"
                    ),
                    None => tracing::info!(revision = short(&revision), "new revision"),
                }
                if let Some(c) = &commit {
                    if let Ok(mut store) = Store::open(&self.options.state_dir) {
                        if let Err(e) = store.record_revision(&RevisionRecord {
                            sha: c.sha.clone(),
                            author: c.author.clone(),
                            message: c.message.clone(),
                            committed_at_unix: c.time_unix,
                            fetched_at_unix: now,
                        }) {
                            tracing::warn!(error = %e, "revision not recorded");
                        }
                    }
                }
                // Without a good revision yet, an invalid one is announced to the
                // destinations its own driftless.yaml names, if that file is valid.
                let config_only = match source.last_good {
                    None => crate::spec::parse_config_only(&snapshot.files),
                    Some(_) => None,
                };
                match validate::load_snapshot(snapshot) {
                    Ok(loaded) => Some(self.accept(&mut source, loaded).await),
                    Err(LoadError::Invalid(diagnostics)) => {
                        if let Some(config) = &config_only {
                            self.update_notifier(&mut source, config).await;
                        }
                        let reason = format!(
                            "{}; first: {}",
                            crate::spec::diagnostic::plural(diagnostics.len(), "error"),
                            diagnostics
                                .first()
                                .map(|d| d.to_string())
                                .unwrap_or_default()
                        );
                        let announce =
                            self.reject(&mut source, config_only.as_ref(), &revision, reason, now);
                        let last_good = source.last_good.clone();
                        drop(source);
                        self.announce(announce).await;
                        last_good
                    }
                    Err(LoadError::Source(e)) => {
                        let announce = self.reject(
                            &mut source,
                            config_only.as_ref(),
                            &revision,
                            e.to_string(),
                            now,
                        );
                        let last_good = source.last_good.clone();
                        drop(source);
                        self.announce(announce).await;
                        last_good
                    }
                }
            }
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "the fetch failed; the last good revision stays in force"
                );
                let mut status = self.status();
                let source_status = status.source.get_or_insert_with(SourceStatus::default);
                source_status.last_error = Some(e.to_string());
                source_status.consecutive_failures += 1;
                drop(status);
                source.last_good.clone()
            }
        }
    }

    async fn reconcile(&self, desired: Arc<Revision>, target: String) -> Next {
        self.reconcile_target(desired, target).await
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
