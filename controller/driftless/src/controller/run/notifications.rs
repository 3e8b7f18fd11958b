//! The controller's side of notifications: the notifier built from the last good
//! driftless.yaml (rebuilt only when its `notifications` change, carrying over what
//! was announced), what each target's last reconcile told it, and its memory saved in
//! the state store so a restarted controller does not announce anything twice.
//! What to announce is the dedup machine's ([`crate::controller::notify`]).

use std::sync::{Arc, MutexGuard};

use super::drift::Drift;
use super::source::SourceState;
use super::Reconciler;
use crate::controller::notify::{Notifier, Observation};
use crate::spec::config::NotificationsConfig;
use crate::spec::DriftlessConfig;
use crate::state::Store;
use std::collections::BTreeMap;

/// The state-store key of the notifier's memory (what has been announced).
const NOTIFIER_MEMORY: &str = "notifications.memory";

/// A notifier and what to feed it.
pub(super) type Announcements = (Arc<Notifier>, Vec<Observation>);

/// What a target's last reconcile found, for announcing an invalid revision between
/// reconciles without the notifier taking silence for recovery.
#[derive(Debug, Clone, Default)]
pub(super) struct Seen {
    /// Resources (`Kind/name`) still drifting.
    pub(super) drifting: Vec<String>,
    /// Why it failed, if it did.
    pub(super) failed: Option<String>,
}

impl Reconciler {
    pub(super) fn seen(&self) -> MutexGuard<'_, BTreeMap<String, Seen>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// (Re)builds the notifier when driftless.yaml's `notifications` changed, carrying
    /// over what was already announced.
    pub(super) async fn update_notifier(
        &self,
        source: &mut SourceState,
        driftless: &DriftlessConfig,
    ) {
        let config = driftless.notifications.clone();
        let same = match (&source.notifier, &config) {
            (Some((old, _)), Some(new)) => old == new,
            (None, None) => true,
            _ => false,
        };
        if same {
            return;
        }
        let previous = source.notifier.take();
        let Some(config) = config else { return };
        source.notifier = match Notifier::from_config(driftless, &self.options.request.aws).await {
            Ok(n) => n.map(|n| self.notifications_on(n, config, previous)),
            Err(e) => {
                tracing::warn!(error = %e, "notifications are off");
                None
            }
        };
    }

    /// A new notifier takes over what was announced: from the notifier it replaces,
    /// else (a restart) from the memory saved in the state store.
    fn notifications_on(
        &self,
        notifier: Notifier,
        config: NotificationsConfig,
        previous: Option<(NotificationsConfig, Arc<Notifier>)>,
    ) -> (NotificationsConfig, Arc<Notifier>) {
        // What was announced stays announced, across a new driftless.yaml and across
        // restarts.
        match &previous {
            Some((_, old)) => notifier.carry_over(old),
            None => {
                let saved = Store::open(&self.options.state_dir)
                    .and_then(|store| store.value(NOTIFIER_MEMORY));
                if let Ok(Some(memory)) = saved {
                    if !notifier.restore(&memory) {
                        tracing::warn!("the notifications' saved memory is unreadable; conditions that still hold will be announced again");
                    }
                }
            }
        }
        tracing::info!(destinations = ?notifier.destinations(), "notifications on");
        (config, Arc::new(notifier))
    }

    /// Remembers what a target's reconcile found, and tells the notifier (if any).
    pub(super) async fn notify(
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
    pub(super) async fn announce(&self, announcements: Option<Announcements>) {
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
