//! The S3 backend: the state of every target as objects under one bucket and prefix,
//! so that every machine applying a repository (CI, laptops, the controller's pods)
//! sees the same records, history and locks. Nothing else is written to the bucket.
//!
//! Under `PREFIX/`:
//! - `targets/TARGET/records.json`: `{version, records, pending}`, replaced only with
//!   `If-Match` on the ETag read (created with `If-None-Match: *`), so two writers
//!   never lose each other's records: the loser reads again and reapplies its change.
//! - `targets/TARGET/lock.json`: the holder of the target's lock ([`Holder`]), created
//!   with `If-None-Match: *`, renewed and released with `If-Match`; an expired one is
//!   taken over with `If-Match` on the ETag read, so of two contenders one wins.
//! - `history/TARGET/STARTED-ID.json`: one object per reconcile, `STARTED` the start
//!   in Unix seconds (12 digits), so `--since` and `--target` are key filters; a quiet
//!   reconcile is counted into the target's latest object when that absorbs it
//!   (`repeated`, `lastAtUnix`), and `--history-retention` deletes old objects.
//!
//! Calls: see `driftless_aws::s3`. A plan reads one ListObjectsV2 page per 1,000
//! targets and one GetObject per target; each unit of an apply writes its target's
//! records twice (ahead and confirmed).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use driftless_aws::s3::{Condition, StateBucket, Written};
use driftless_aws::AwsError;

use super::lock::{Acquired, Holder};
use super::{HistoryQuery, LastApplied, ReconcileRecord, StateError};

/// Attempts of a conditional write that keeps losing to other writers.
const MAX_ATTEMPTS: usize = 8;

/// One target's records object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct TargetDoc {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    records: BTreeMap<String, J>,
    #[serde(default)]
    pending: BTreeMap<String, J>,
}

/// The S3 backend: a bucket, a prefix, and what this process last read or wrote of
/// each target's records (with its ETag) and of its own locks.
#[derive(Debug)]
pub struct S3State {
    bucket: StateBucket,
    prefix: String,
    docs: tokio::sync::Mutex<BTreeMap<String, (TargetDoc, Option<String>)>>,
    lock_etags: std::sync::Mutex<BTreeMap<String, String>>,
}

impl S3State {
    /// The backend on `bucket` under `prefix` (no slashes at its ends; may be empty).
    pub fn new(bucket: StateBucket, prefix: &str) -> S3State {
        S3State {
            bucket,
            prefix: prefix.trim_matches('/').to_string(),
            docs: tokio::sync::Mutex::new(BTreeMap::new()),
            lock_etags: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// `s3://bucket/prefix`, for messages.
    pub fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket.bucket, self.prefix)
    }

    fn key(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }

    fn records_key(&self, target: &str) -> String {
        self.key(&format!("targets/{target}/records.json"))
    }

    fn lock_key(&self, target: &str) -> String {
        self.key(&format!("targets/{target}/lock.json"))
    }

    fn err(&self, source: AwsError) -> StateError {
        StateError::S3 {
            location: self.location(),
            error: Box::new(source),
        }
    }

    fn corrupt(&self, key: &str, e: impl std::fmt::Display) -> StateError {
        StateError::Remote {
            location: self.location(),
            message: format!("s3://{}/{key} is not driftless state: {e}", self.bucket.bucket),
            hint: "driftless writes only its own objects under the prefix; move the object away or choose another prefix".into(),
        }
    }

    async fn read_doc(&self, target: &str) -> Result<(TargetDoc, Option<String>), StateError> {
        let key = self.records_key(target);
        match self.bucket.get(&key).await.map_err(|e| self.err(e))? {
            None => Ok((TargetDoc::default(), None)),
            Some(obj) => {
                let doc = serde_json::from_slice(&obj.body).map_err(|e| self.corrupt(&key, e))?;
                Ok((doc, Some(obj.etag)))
            }
        }
    }

    /// Applies `change` to the target's records object with a conditional write,
    /// reading again and reapplying it whenever another writer wrote first.
    async fn update(
        &self,
        target: &str,
        change: impl Fn(&mut TargetDoc),
    ) -> Result<(), StateError> {
        let key = self.records_key(target);
        let mut docs = self.docs.lock().await;
        for _ in 0..MAX_ATTEMPTS {
            let (mut doc, etag) = match docs.remove(target) {
                Some(cached) => cached,
                None => self.read_doc(target).await?,
            };
            change(&mut doc);
            doc.version = 1;
            let body = serde_json::to_vec(&doc).unwrap_or_default();
            let condition = etag.map_or(Condition::Absent, Condition::Matches);
            match self
                .bucket
                .put(&key, body, &condition)
                .await
                .map_err(|e| self.err(e))?
            {
                Written::Done(etag) => {
                    docs.insert(target.to_string(), (doc, Some(etag)));
                    return Ok(());
                }
                Written::Lost => continue,
            }
        }
        Err(StateError::Remote {
            location: self.location(),
            message: format!("the records of target `{target}` kept changing under this write ({MAX_ATTEMPTS} attempts)"),
            hint: "another driftless is writing the same target without its lock; stop it, then apply again".into(),
        })
    }

    /// Every target's records and pending values.
    pub async fn load(&self) -> Result<LastApplied, StateError> {
        let keys = self
            .bucket
            .list(&self.key("targets/"))
            .await
            .map_err(|e| self.err(e))?;
        let mut out = LastApplied::default();
        let mut docs = self.docs.lock().await;
        for key in keys.iter().filter(|k| k.ends_with("/records.json")) {
            let Some(target) = key
                .strip_prefix(&self.key("targets/"))
                .and_then(|rest| rest.strip_suffix("/records.json"))
            else {
                continue;
            };
            let (doc, etag) = self.read_doc(target).await?;
            out.records.extend(doc.records.clone());
            out.pending.extend(doc.pending.clone());
            docs.insert(target.to_string(), (doc, etag));
        }
        Ok(out)
    }

    pub async fn intend(
        &self,
        target: &str,
        entries: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        self.update(target, |doc| doc.pending.extend(entries.clone()))
            .await
    }

    pub async fn confirm(
        &self,
        target: &str,
        key: &str,
        subs: bool,
        entries: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        let prefix = format!("{key}/");
        let mine = |k: &String| k == key || (subs && k.starts_with(&prefix));
        self.update(target, |doc| {
            doc.records.retain(|k, _| !mine(k));
            doc.pending.retain(|k, _| !mine(k));
            doc.records.extend(entries.clone());
        })
        .await
    }

    pub async fn resolve(
        &self,
        target: &str,
        keys: &[String],
        promote: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        self.update(target, |doc| {
            for k in keys {
                doc.pending.remove(k);
            }
            doc.records.extend(promote.clone());
        })
        .await
    }

    /// Appends one reconcile; a quiet one the target's latest history object absorbs
    /// ([`ReconcileRecord::absorbs`]) is counted into that object instead, replaced
    /// with `If-Match` (a writer that loses the race writes its own object).
    pub async fn record_reconcile(&self, record: &ReconcileRecord) -> Result<(), StateError> {
        if record.is_quiet() && self.absorb_into_latest(record).await? {
            return Ok(());
        }
        let unique = Holder::this_process("history", 0).id;
        if self.put_history(record, &unique).await? {
            Ok(())
        } else {
            Err(StateError::Remote {
                location: self.location(),
                message: format!("a history object named {unique} exists already"),
                hint: "apply again".into(),
            })
        }
    }

    /// Counts `record` into the target's latest history object when that absorbs it;
    /// whether it did. One ListObjectsV2 of the target's history (kept short by the
    /// collapsing and `--history-retention`), one GetObject, one conditional put.
    async fn absorb_into_latest(&self, record: &ReconcileRecord) -> Result<bool, StateError> {
        let listed = self.key(&format!("history/{}/", record.target));
        let keys = self.bucket.list(&listed).await.map_err(|e| self.err(e))?;
        let Some(key) = keys
            .into_iter()
            .filter_map(|k| Some((started_of(&k)?, k)))
            .max()
            .map(|(_, k)| k)
        else {
            return Ok(false);
        };
        let Some(obj) = self.bucket.get(&key).await.map_err(|e| self.err(e))? else {
            return Ok(false);
        };
        let mut latest: ReconcileRecord =
            serde_json::from_slice(&obj.body).map_err(|e| self.corrupt(&key, e))?;
        if !latest.absorbs(record) {
            return Ok(false);
        }
        latest.absorb(record);
        let body = serde_json::to_vec(&latest).unwrap_or_default();
        let written = self
            .bucket
            .put(&key, body, &Condition::Matches(obj.etag))
            .await
            .map_err(|e| self.err(e))?;
        Ok(matches!(written, Written::Done(_)))
    }

    /// Deletes the history objects whose last reconcile started before `before_unix`;
    /// how many. Only the newest object of a target started before the cutoff can
    /// have run on past it (every later one started after its last reconcile), so
    /// only that one is read; the older ones go by their key.
    pub async fn prune_history(&self, before_unix: i64) -> Result<usize, StateError> {
        let keys = self
            .bucket
            .list(&self.key("history/"))
            .await
            .map_err(|e| self.err(e))?;
        let mut old: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
        for key in keys {
            let Some(started) = started_of(&key).filter(|s| *s < before_unix) else {
                continue;
            };
            let dir = key.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            old.entry(dir).or_default().push((started, key));
        }
        let mut deleted = 0;
        for (_, mut keys) in old {
            keys.sort();
            let (_, newest) = keys.pop().unwrap_or_default();
            if let Some(obj) = self.bucket.get(&newest).await.map_err(|e| self.err(e))? {
                let record: ReconcileRecord =
                    serde_json::from_slice(&obj.body).map_err(|e| self.corrupt(&newest, e))?;
                if record.last_unix() < before_unix {
                    keys.push((record.started_at_unix, newest));
                }
            }
            for (_, key) in keys {
                self.bucket
                    .delete(&key, &Condition::None)
                    .await
                    .map_err(|e| self.err(e))?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// Writes one history object named by `unique` unless one of that name exists;
    /// whether it was written.
    async fn put_history(
        &self,
        record: &ReconcileRecord,
        unique: &str,
    ) -> Result<bool, StateError> {
        let key = self.key(&format!(
            "history/{}/{:012}-{unique}.json",
            record.target,
            record.started_at_unix.max(0),
        ));
        let mut record = record.clone();
        record.id = None;
        let body = serde_json::to_vec(&record).unwrap_or_default();
        let written = self
            .bucket
            .put(&key, body, &Condition::Absent)
            .await
            .map_err(|e| self.err(e))?;
        Ok(matches!(written, Written::Done(_)))
    }

    /// `state migrate`: merges a local store's records and pending values of `target`
    /// into the bucket's (the local ones win for keys both have).
    pub async fn import_records(
        &self,
        target: &str,
        records: &BTreeMap<String, J>,
        pending: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        self.update(target, |doc| {
            doc.records.extend(records.clone());
            doc.pending.extend(pending.clone());
        })
        .await
    }

    /// `state migrate`: copies a local reconcile, named by its local id, so running
    /// the migration again copies nothing twice; whether it was new.
    pub async fn import_reconcile(&self, record: &ReconcileRecord) -> Result<bool, StateError> {
        let unique = format!("local{}", record.id.unwrap_or_default());
        self.put_history(record, &unique).await
    }

    /// The reconciles matching `query`, newest first. With `--since`, a target's
    /// newest object started before it is read too: a collapsed record may have run
    /// on past it (the only one that can).
    pub async fn history(&self, query: &HistoryQuery) -> Result<Vec<ReconcileRecord>, StateError> {
        let listed = match &query.target {
            Some(t) => self.key(&format!("history/{t}/")),
            None => self.key("history/"),
        };
        let mut keys: Vec<(i64, String)> = self
            .bucket
            .list(&listed)
            .await
            .map_err(|e| self.err(e))?
            .into_iter()
            .filter_map(|k| Some((started_of(&k)?, k)))
            .collect();
        let mut maybe = BTreeMap::new();
        if let Some(since) = query.since_unix {
            for (at, key) in keys.iter().filter(|(at, _)| *at < since) {
                let dir = key.rsplit_once('/').map_or("", |(d, _)| d).to_string();
                maybe.insert(dir, (*at, key.clone()));
            }
            keys.retain(|(at, _)| *at >= since);
        }
        let mut out = Vec::new();
        for (_, key) in maybe.into_values() {
            if let Some(record) = self.read_history(&key).await? {
                if query.since_unix.is_none_or(|s| record.last_unix() >= s) {
                    out.push(record);
                }
            }
        }
        keys.sort_by(|a, b| b.cmp(a));
        keys.truncate(query.limit.unwrap_or(usize::MAX));
        for (_, key) in keys {
            out.extend(self.read_history(&key).await?);
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.started_at_unix));
        out.truncate(query.limit.unwrap_or(usize::MAX));
        Ok(out)
    }

    async fn read_history(&self, key: &str) -> Result<Option<ReconcileRecord>, StateError> {
        match self.bucket.get(key).await.map_err(|e| self.err(e))? {
            None => Ok(None),
            Some(obj) => Ok(Some(
                serde_json::from_slice(&obj.body).map_err(|e| self.corrupt(key, e))?,
            )),
        }
    }

    pub async fn acquire(&self, target: &str, holder: &Holder) -> Result<Acquired, StateError> {
        let key = self.lock_key(target);
        let body = serde_json::to_vec(holder).unwrap_or_default();
        for _ in 0..MAX_ATTEMPTS {
            if let Written::Done(etag) = self
                .bucket
                .put(&key, body.clone(), &Condition::Absent)
                .await
                .map_err(|e| self.err(e))?
            {
                self.keep_etag(target, etag);
                return Ok(Acquired::Taken { took_over: None });
            }
            let Some(obj) = self.bucket.get(&key).await.map_err(|e| self.err(e))? else {
                continue; // released meanwhile: try to create it again
            };
            let current: Holder =
                serde_json::from_slice(&obj.body).map_err(|e| self.corrupt(&key, e))?;
            if current.id != holder.id && !current.gone(super::db::now_unix()) {
                return Ok(Acquired::Held(current));
            }
            let taken = self
                .bucket
                .put(&key, body.clone(), &Condition::Matches(obj.etag))
                .await
                .map_err(|e| self.err(e))?;
            if let Written::Done(etag) = taken {
                self.keep_etag(target, etag);
                let took_over = (current.id != holder.id).then_some(current);
                return Ok(Acquired::Taken { took_over });
            }
        }
        match self.lock_holder(target).await? {
            Some(h) => Ok(Acquired::Held(h)),
            None => Err(StateError::Remote {
                location: self.location(),
                message: format!("the lock of target `{target}` kept changing hands"),
                hint: "apply again".into(),
            }),
        }
    }

    fn keep_etag(&self, target: &str, etag: String) {
        self.lock_etags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(target.to_string(), etag);
    }

    fn etag_of(&self, target: &str) -> Option<String> {
        self.lock_etags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(target)
            .cloned()
    }

    pub async fn renew(&self, target: &str, holder: &Holder) -> Result<bool, StateError> {
        let Some(etag) = self.etag_of(target) else {
            return Ok(false);
        };
        let body = serde_json::to_vec(holder).unwrap_or_default();
        match self
            .bucket
            .put(&self.lock_key(target), body, &Condition::Matches(etag))
            .await
            .map_err(|e| self.err(e))?
        {
            Written::Done(etag) => {
                self.keep_etag(target, etag);
                Ok(true)
            }
            Written::Lost => Ok(false),
        }
    }

    pub async fn release(&self, target: &str, _id: &str) -> Result<bool, StateError> {
        let Some(etag) = self
            .lock_etags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(target)
        else {
            return Ok(false);
        };
        let done = self
            .bucket
            .delete(&self.lock_key(target), &Condition::Matches(etag))
            .await
            .map_err(|e| self.err(e))?;
        Ok(matches!(done, Written::Done(_)))
    }

    pub async fn lock_holder(&self, target: &str) -> Result<Option<Holder>, StateError> {
        let key = self.lock_key(target);
        match self.bucket.get(&key).await.map_err(|e| self.err(e))? {
            None => Ok(None),
            Some(obj) => Ok(Some(
                serde_json::from_slice(&obj.body).map_err(|e| self.corrupt(&key, e))?,
            )),
        }
    }

    /// Clears `target`'s lock if its id is `id` (by hand: `driftless state unlock`).
    pub async fn unlock(&self, target: &str, id: &str) -> Result<bool, StateError> {
        let key = self.lock_key(target);
        let Some(obj) = self.bucket.get(&key).await.map_err(|e| self.err(e))? else {
            return Ok(false);
        };
        let current: Holder =
            serde_json::from_slice(&obj.body).map_err(|e| self.corrupt(&key, e))?;
        if current.id != id {
            return Ok(false);
        }
        let done = self
            .bucket
            .delete(&key, &Condition::Matches(obj.etag))
            .await
            .map_err(|e| self.err(e))?;
        Ok(matches!(done, Written::Done(_)))
    }
}

/// The start time a history key carries (`…/000001765000000-ID.json`).
fn started_of(key: &str) -> Option<i64> {
    let name = key.rsplit('/').next()?;
    let (digits, rest) = name.split_once('-')?;
    rest.ends_with(".json").then_some(())?;
    digits.parse().ok()
}
