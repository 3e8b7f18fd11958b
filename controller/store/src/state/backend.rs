//! Where the state lives: the [`Backend`] trait, its local implementation
//! ([`LocalState`]: SQLite under `--state-dir`) and [`StateBackend`], the one a
//! command uses.
//!
//! Every backend keeps, per target: the last-applied records, the records written
//! ahead (what an apply is about to write, until it confirms), the reconcile history
//! and the target's lock. An apply calls [`Backend::intend`] before a unit's first
//! AWS call and [`Backend::confirm`] after its last, so a process killed at any
//! point leaves either the confirmed record or the pending one for the next plan
//! (docs/design/state.md).

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value as J;

use super::lock::{Acquired, Holder};
use super::s3::S3State;
use super::{HistoryQuery, LastApplied, ReconcileRecord, StateError, Store};

/// What a state backend does. Implemented by [`LocalState`] and the S3 backend; a
/// command holds a [`StateBackend`], which dispatches.
pub trait Backend {
    /// Every target's records and pending values (warnings in `LastApplied::warning`).
    fn load(&self) -> impl Future<Output = LastApplied> + Send;
    /// Writes ahead: `entries` (keys of `target`) are about to be written to AWS.
    fn intend(
        &self,
        target: &str,
        entries: &BTreeMap<String, J>,
    ) -> impl Future<Output = Result<(), StateError>> + Send;
    /// Confirms a unit: the records of `key` (with `subs`, and of every key under
    /// `key/`) become `entries`; their pending values are cleared.
    fn confirm(
        &self,
        target: &str,
        key: &str,
        subs: bool,
        entries: &BTreeMap<String, J>,
    ) -> impl Future<Output = Result<(), StateError>> + Send;
    /// Resolves pending values of `target` by what a later plan read: each of `keys`
    /// is cleared, those in `promote` become records.
    fn resolve(
        &self,
        target: &str,
        keys: &[String],
        promote: &BTreeMap<String, J>,
    ) -> impl Future<Output = Result<(), StateError>> + Send;
    /// Appends one reconcile to the history.
    fn record_reconcile(
        &self,
        record: &ReconcileRecord,
    ) -> impl Future<Output = Result<(), StateError>> + Send;
    /// Deletes the reconciles whose last run started before `before_unix`; how many.
    fn prune_history(
        &self,
        before_unix: i64,
    ) -> impl Future<Output = Result<usize, StateError>> + Send;
    /// The reconciles matching `query`, newest first.
    fn history(
        &self,
        query: &HistoryQuery,
    ) -> impl Future<Output = Result<Vec<ReconcileRecord>, StateError>> + Send;
    /// Takes `target`'s lock for `holder`, or says who holds it (an expired lock is
    /// taken over).
    fn acquire(
        &self,
        target: &str,
        holder: &Holder,
    ) -> impl Future<Output = Result<Acquired, StateError>> + Send;
    /// Renews `holder`'s lease; false when the lock is no longer its.
    fn renew(
        &self,
        target: &str,
        holder: &Holder,
    ) -> impl Future<Output = Result<bool, StateError>> + Send;
    /// Releases the lock `id` holds; false when it held none.
    fn release(
        &self,
        target: &str,
        id: &str,
    ) -> impl Future<Output = Result<bool, StateError>> + Send;
    /// Who holds `target`'s lock, expired or not.
    fn lock_holder(
        &self,
        target: &str,
    ) -> impl Future<Output = Result<Option<Holder>, StateError>> + Send;
}

/// The local backend: the SQLite database in a state directory, opened once on first
/// use and kept for the life of the value.
#[derive(Debug)]
pub struct LocalState {
    dir: PathBuf,
    store: Mutex<Option<Store>>,
}

impl LocalState {
    pub fn new(dir: &Path) -> LocalState {
        LocalState {
            dir: dir.to_path_buf(),
            store: Mutex::new(None),
        }
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `f` on the open store, opening it first if needed.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        let mut guard = self.store.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(Store::open(&self.dir)?);
        }
        match guard.as_mut() {
            Some(store) => f(store),
            None => unreachable!("opened above"),
        }
    }
}

impl Backend for LocalState {
    async fn load(&self) -> LastApplied {
        LastApplied::load(&self.dir)
    }

    async fn intend(&self, _target: &str, entries: &BTreeMap<String, J>) -> Result<(), StateError> {
        self.with(|s| s.intend(entries))
    }

    async fn confirm(
        &self,
        _target: &str,
        key: &str,
        subs: bool,
        entries: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        self.with(|s| s.confirm(key, subs, entries))
    }

    async fn resolve(
        &self,
        _target: &str,
        keys: &[String],
        promote: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        self.with(|s| s.resolve_pending(keys, promote))
    }

    async fn record_reconcile(&self, record: &ReconcileRecord) -> Result<(), StateError> {
        self.with(|s| s.record_reconcile(record).map(|_| ()))
    }

    async fn prune_history(&self, before_unix: i64) -> Result<usize, StateError> {
        self.with(|s| s.prune_history(before_unix))
    }

    async fn history(&self, query: &HistoryQuery) -> Result<Vec<ReconcileRecord>, StateError> {
        self.with(|s| s.history(query))
    }

    async fn acquire(&self, target: &str, holder: &Holder) -> Result<Acquired, StateError> {
        self.with(|s| s.acquire_lock(target, holder))
    }

    async fn renew(&self, target: &str, holder: &Holder) -> Result<bool, StateError> {
        self.with(|s| s.renew_lock(target, holder))
    }

    async fn release(&self, target: &str, id: &str) -> Result<bool, StateError> {
        self.with(|s| s.release_lock(target, id))
    }

    async fn lock_holder(&self, target: &str) -> Result<Option<Holder>, StateError> {
        self.with(|s| s.lock_holder(target))
    }
}

/// The backend a command uses (`--state`, `DRIFTLESS_STATE`, driftless.yaml `state:`;
/// default: local), with how long it keeps history.
#[derive(Debug)]
pub struct StateBackend {
    pub kind: BackendKind,
    retention: Retention,
}

/// Which backend.
#[derive(Debug)]
pub enum BackendKind {
    Local(LocalState),
    S3(S3State),
}

/// How often, at most, a process prunes the history (it writes it far more often).
pub const PRUNE_EVERY_SECS: i64 = 600;

/// `--history-retention`: how long reconciles are kept, and when this process last
/// pruned them.
#[derive(Debug, Default)]
struct Retention {
    keep_secs: Option<i64>,
    last: Mutex<Option<i64>>,
}

impl Retention {
    /// The cutoff to prune before, when a prune is due at `now` (the first write of
    /// a process, then every [`PRUNE_EVERY_SECS`]).
    fn due(&self, now: i64) -> Option<i64> {
        let keep = self.keep_secs?;
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| now - at < PRUNE_EVERY_SECS) {
            return None;
        }
        *last = Some(now);
        Some(now.saturating_sub(keep))
    }
}

impl StateBackend {
    /// The local backend in `dir`.
    pub fn local(dir: &Path) -> StateBackend {
        StateBackend::new(BackendKind::Local(LocalState::new(dir)))
    }

    /// The S3 backend.
    pub fn s3(state: S3State) -> StateBackend {
        StateBackend::new(BackendKind::S3(state))
    }

    fn new(kind: BackendKind) -> StateBackend {
        StateBackend {
            kind,
            retention: Retention::default(),
        }
    }

    /// Keeps reconciles for `keep` (pruned when history is written); `None`: forever.
    pub fn with_history_retention(mut self, keep: Option<std::time::Duration>) -> StateBackend {
        self.retention.keep_secs = keep.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self
    }

    /// Where the state is, for messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            BackendKind::Local(l) => l.dir().display().to_string(),
            BackendKind::S3(s) => s.location(),
        }
    }

    /// Clears `target`'s lock if its id is `id`; false when it is not (by hand:
    /// `driftless state unlock`).
    pub async fn unlock(&self, target: &str, id: &str) -> Result<bool, StateError> {
        match &self.kind {
            BackendKind::Local(b) => b.release(target, id).await,
            BackendKind::S3(b) => b.unlock(target, id).await,
        }
    }

    /// Every target's records, or why the S3 backend could not read them (`driftless
    /// state` reports it; a plan goes on with a warning, [`Backend::load`]).
    pub async fn load_or_fail(&self) -> Result<LastApplied, StateError> {
        match &self.kind {
            BackendKind::Local(b) => Ok(b.load().await),
            BackendKind::S3(b) => b.load().await,
        }
    }
}

/// Calls the same method on whichever backend.
macro_rules! dispatch {
    ($self:ident, $b:ident => $call:expr) => {
        match &$self.kind {
            BackendKind::Local($b) => $call,
            BackendKind::S3($b) => $call,
        }
    };
}

impl Backend for StateBackend {
    async fn load(&self) -> LastApplied {
        match &self.kind {
            BackendKind::Local(b) => b.load().await,
            BackendKind::S3(b) => b.load().await.unwrap_or_else(|e| LastApplied {
                warning: Some(format!("{e}; drift detection starts afresh")),
                ..LastApplied::default()
            }),
        }
    }

    async fn intend(&self, target: &str, entries: &BTreeMap<String, J>) -> Result<(), StateError> {
        dispatch!(self, b => b.intend(target, entries).await)
    }

    async fn confirm(
        &self,
        target: &str,
        key: &str,
        subs: bool,
        entries: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        dispatch!(self, b => b.confirm(target, key, subs, entries).await)
    }

    async fn resolve(
        &self,
        target: &str,
        keys: &[String],
        promote: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        dispatch!(self, b => b.resolve(target, keys, promote).await)
    }

    /// Records the reconcile, then prunes the history when a prune is due.
    async fn record_reconcile(&self, record: &ReconcileRecord) -> Result<(), StateError> {
        dispatch!(self, b => b.record_reconcile(record).await)?;
        if let Some(before) = self.retention.due(super::db::now_unix()) {
            self.prune_history(before).await?;
        }
        Ok(())
    }

    async fn prune_history(&self, before_unix: i64) -> Result<usize, StateError> {
        dispatch!(self, b => b.prune_history(before_unix).await)
    }

    async fn history(&self, query: &HistoryQuery) -> Result<Vec<ReconcileRecord>, StateError> {
        dispatch!(self, b => b.history(query).await)
    }

    async fn acquire(&self, target: &str, holder: &Holder) -> Result<Acquired, StateError> {
        dispatch!(self, b => b.acquire(target, holder).await)
    }

    async fn renew(&self, target: &str, holder: &Holder) -> Result<bool, StateError> {
        dispatch!(self, b => b.renew(target, holder).await)
    }

    async fn release(&self, target: &str, id: &str) -> Result<bool, StateError> {
        dispatch!(self, b => b.release(target, id).await)
    }

    async fn lock_holder(&self, target: &str) -> Result<Option<Holder>, StateError> {
        dispatch!(self, b => b.lock_holder(target).await)
    }
}
