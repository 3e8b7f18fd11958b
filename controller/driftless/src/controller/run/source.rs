//! The source side of the controller: fetch the source, validate each new revision,
//! keep the last good one, and reject an invalid one (every target it concerns is
//! marked with the reason and the history records it; the last good revision stays in
//! force). A failed fetch changes nothing but the source's status.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

use super::notifications::Announcements;
use super::{short, Reconciler, Revision};
use crate::controller::notify::{Notifier, Observation};
use crate::controller::status::{Outcome, ShardStatus, SourceStatus};
use crate::reconcile::{unapplied_record, unix};
use crate::source::{read_source_commit, Commit, Snapshot, SourceError};
use crate::spec::config::NotificationsConfig;
use crate::spec::DriftlessConfig;
use crate::state::{ReconcileRecord, ReconcileResult, RevisionRecord, Store};
use crate::validate::{self, LoadError, Loaded};

/// What the source last gave.
#[derive(Default)]
pub(super) struct SourceState {
    pub(super) last_good: Option<Arc<Revision>>,
    /// The newest revision fetched, valid or not.
    pub(super) latest: Option<String>,
    /// Set while the newest revision is invalid: (revision, reason).
    pub(super) invalid: Option<(String, String)>,
    /// The notifier of the last good revision's driftless.yaml, with its
    /// configuration (rebuilt only when that changes, so deduplication carries on).
    pub(super) notifier: Option<(NotificationsConfig, Arc<Notifier>)>,
}

type SourceGuard<'a> = tokio::sync::MutexGuard<'a, SourceState>;

impl Reconciler {
    /// Fetches the source; returns the revision to enforce (see
    /// [`crate::controller::scheduler::Backend::fetch`]).
    pub(super) async fn fetch_source(&self) -> Option<Arc<Revision>> {
        let now = unix(SystemTime::now());
        // Read without holding the lock: a slow remote must not hold up reconciles.
        let read = read_source_commit(&self.options.location, &self.options.state_dir).await;
        let source = self.source.lock().await;
        match read {
            Ok((snapshot, commit)) => self.fetched(source, snapshot, commit, now).await,
            Err(e) => {
                self.fetch_failed(&e);
                source.last_good.clone()
            }
        }
    }

    /// A successful fetch: a revision seen before is not validated again; a new one
    /// is accepted when valid, rejected when not.
    async fn fetched(
        &self,
        mut source: SourceGuard<'_>,
        snapshot: Snapshot,
        commit: Option<Commit>,
        now: i64,
    ) -> Option<Arc<Revision>> {
        self.shared.ready.store(true, Ordering::SeqCst);
        let revision = snapshot.revision.clone();
        self.status().source = Some(SourceStatus {
            last_fetched_revision: Some(revision.clone()),
            last_fetch_unix: Some(now),
            last_error: None,
            consecutive_failures: 0,
        });
        if source.latest.as_deref() == Some(revision.as_str()) {
            // Nothing new: no need to validate again; an organization's accounts
            // are asked again (accounts come and go between revisions).
            return self.reenroll(&mut source).await;
        }
        source.latest = Some(revision.clone());
        self.new_revision(&revision, commit.as_ref(), now);
        // Without a good revision yet, an invalid one is announced to the
        // destinations its own driftless.yaml names, if that file is valid.
        let config_only = match source.last_good {
            None => crate::spec::parse_config_only(&snapshot.files),
            Some(_) => None,
        };
        let reason = match validate::load_snapshot(snapshot) {
            Ok(loaded) => return Some(self.accept(&mut source, loaded).await),
            Err(LoadError::Invalid(diagnostics)) => {
                if let Some(config) = &config_only {
                    self.update_notifier(&mut source, config).await;
                }
                format!(
                    "{}; first: {}",
                    crate::spec::diagnostic::plural(diagnostics.len(), "error"),
                    diagnostics
                        .first()
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                )
            }
            Err(LoadError::Source(e)) => e.to_string(),
        };
        let announce = self
            .reject(&mut source, config_only.as_ref(), &revision, reason, now)
            .await;
        let last_good = source.last_good.clone();
        drop(source);
        self.announce(announce).await;
        last_good
    }

    /// Logs a new revision, and records its commit (author, message) for the history.
    fn new_revision(&self, revision: &str, commit: Option<&Commit>, now: i64) {
        let Some(c) = commit else {
            tracing::info!(revision = short(revision), "new revision");
            return;
        };
        tracing::info!(
            revision = short(&c.sha),
            author = %c.author,
            subject = %c.message,
            "new revision"
        );
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

    /// A failed fetch: logged and counted in the source's status.
    fn fetch_failed(&self, e: &SourceError) {
        tracing::warn!(
            error = %e,
            "the fetch failed; the last good revision stays in force"
        );
        let mut status = self.status();
        let source_status = status.source.get_or_insert_with(SourceStatus::default);
        source_status.last_error = Some(e.to_string());
        source_status.consecutive_failures += 1;
    }

    /// A newly valid revision: keep it, and (re)build the notifier if its
    /// configuration changed.
    async fn accept(&self, source: &mut SourceState, loaded: Loaded) -> Arc<Revision> {
        self.update_notifier(source, &loaded.state.config).await;
        let targets = self
            .enrolled(&loaded)
            .await
            .unwrap_or_else(|| self.mine(&loaded.state.config));
        self.publish_shard(&targets);
        if let Some(cache) = &self.options.request.clients {
            cache.retain(&targets.iter().map(String::as_str).collect());
        }
        let revision = Arc::new(Revision { targets, loaded });
        self.keep_good(source, &revision);
        source.invalid = None;
        revision
    }

    /// The last good revision, for the loop and the dashboard.
    fn keep_good(&self, source: &mut SourceState, revision: &Arc<Revision>) {
        source.last_good = Some(revision.clone());
        *self
            .shared
            .ui
            .revision
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(revision.clone());
    }

    /// An invalid revision: marked on every target and recorded; the last good one
    /// stays in force. Returns the announcements to send once the source lock is
    /// released (a slow destination must not hold up the reconciles).
    async fn reject(
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
        if let Some(config) = config {
            // A driftless.yaml valid by itself chooses the backend as a first reconcile
            // would, so a restarted pod reads and writes the shared history.
            if let Err(e) = self.options.state.get(config.state.as_ref()).await {
                tracing::warn!(error = %e, "the state backend could not be opened");
            }
        }
        let targets = self.known_targets(source, config);
        self.mark_invalid(source, &targets, revision, &reason, now)
            .await;
        let records: Vec<ReconcileRecord> = targets
            .iter()
            .map(|target| ReconcileRecord {
                started_at_unix: now,
                ..unapplied_record(target, revision, ReconcileResult::Invalid, reason.clone())
            })
            .collect();
        self.history(&records).await;
        source.invalid = Some((revision.to_string(), reason.clone()));
        let notifier = source.notifier.as_ref()?.1.clone();
        let mut observations = Vec::new();
        for target in targets {
            observations.push(self.still_enforced(source, target, revision, &reason).await);
        }
        Some((notifier, observations))
    }

    /// Marks the targets' status with the invalid revision.
    async fn mark_invalid(
        &self,
        source: &SourceState,
        targets: &[String],
        revision: &str,
        reason: &str,
        now: i64,
    ) {
        let outcome = Outcome::Invalid {
            revision: revision.to_string(),
            reason: reason.to_string(),
        };
        for t in targets {
            // A restarted controller knows what it enforces from the history.
            let known = self
                .status()
                .targets
                .get(t)
                .is_some_and(|s| s.last_applied_revision.is_some());
            if !known {
                let enforced = self.enforced_revision(source, t).await;
                self.status()
                    .targets
                    .entry(t.clone())
                    .or_default()
                    .last_applied_revision = enforced;
            }
            self.record(t, &outcome, now);
        }
    }

    /// What to tell the notifier about a target when a revision is invalid: the
    /// revision still enforced, and the target as last seen (silence about a drift or
    /// a failure would be taken for its end).
    async fn still_enforced(
        &self,
        source: &SourceState,
        target: String,
        revision: &str,
        reason: &str,
    ) -> Observation {
        let seen = self.seen().get(&target).cloned().unwrap_or_default();
        let enforced = self.enforced_revision(source, &target).await;
        Observation {
            revision: enforced.unwrap_or_else(|| "none".to_string()),
            target,
            drift_detected: seen.drifting,
            drift_corrected: Vec::new(),
            changed_by: BTreeMap::new(),
            apply_failed: seen.failed,
            invalid_revision: Some((revision.to_string(), reason.to_string())),
            guardrail_violations: None,
        }
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
    async fn enforced_revision(&self, source: &SourceState, target: &str) -> Option<String> {
        if let Some(r) = &source.last_good {
            return Some(r.loaded.revision.clone());
        }
        let query = crate::state::HistoryQuery {
            target: Some(target.to_string()),
            since_unix: None,
            limit: Some(50),
        };
        // The shared history once the backend is chosen; before, the local one.
        let history = match self.options.state.chosen() {
            Some(backend) => crate::state::Backend::history(backend, &query).await.ok()?,
            None => Store::open(&self.options.state_dir)
                .ok()?
                .history(&query)
                .ok()?,
        };
        history
            .into_iter()
            .find(|r| !matches!(r.result, ReconcileResult::Invalid | ReconcileResult::Failed))
            .map(|r| r.revision)
    }

    /// The targets of `loaded` this process reconciles with its organization entries
    /// enrolled as AWS Organizations answers now; `None` without organization entries
    /// or when discovery failed (logged).
    async fn enrolled(&self, loaded: &Loaded) -> Option<Vec<String>> {
        loaded.state.config.organizations().next()?;
        match crate::organization::enroll(loaded.clone(), &self.options.request.aws).await {
            Ok(e) if e.error.is_none() => Some(self.mine(&e.loaded.state.config)),
            Ok(e) => {
                let reason = e.error.map(|e| e.message).unwrap_or_default();
                tracing::warn!(error = %reason, "organization discovery failed; its targets stay as they were");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "the repository with the organization's accounts is invalid; its targets stay as they were");
                None
            }
        }
    }

    /// The last good revision with its organization targets asked again: a new
    /// account gets a worker, an account that left scope loses its worker (said once
    /// here; its resources are retained, as nothing plans them any more).
    async fn reenroll(&self, source: &mut SourceGuard<'_>) -> Option<Arc<Revision>> {
        let last = source.last_good.clone()?;
        let Some(targets) = self.enrolled(&last.loaded).await else {
            return Some(last);
        };
        if targets == last.targets {
            return Some(last);
        }
        let config = &last.loaded.state.config;
        for gone in last.targets.iter().filter(|t| !targets.contains(t)) {
            if let Some((entry, account)) = config.generated_by(gone) {
                tracing::warn!(
                    target = %gone,
                    account = %account,
                    role = %entry.role_name,
                    "the account left the organization's scope: the target is no longer reconciled and its resources are retained"
                );
            }
        }
        for new in targets.iter().filter(|t| !last.targets.contains(t)) {
            tracing::info!(target = %new, "a new account in the organization's scope is enrolled");
        }
        self.publish_shard(&targets);
        let revision = Arc::new(Revision {
            targets,
            loaded: last.loaded.clone(),
        });
        // The dashboard's too: its pages list this shard's targets.
        self.keep_good(source, &revision);
        Some(revision)
    }

    /// driftless.yaml's targets that this process reconciles: those `--target`
    /// names (all without it) that its shard owns.
    fn mine(&self, config: &DriftlessConfig) -> Vec<String> {
        let requested = &self.options.request.targets;
        // `--target` may name groups.
        let wanted = config.expand(requested);
        // Every shard divides the same full list, whatever `--target` says, keeping
        // an account's targets together (one process paces each account).
        let names = config.target_names();
        let accounts: Vec<Option<String>> = names
            .iter()
            .map(|n| config.target(n).and_then(|t| t.known_account()))
            .collect();
        let accounts: Vec<Option<&str>> = accounts.iter().map(Option::as_deref).collect();
        self.options
            .shard
            .select_in_accounts(&names, &accounts)
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
}
