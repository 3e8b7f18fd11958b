//! The embedded SQLite database, `<state-dir>/driftless.db`: the last-applied values
//! used for drift detection and the reconcile history read by `driftless history`.
//!
//! Opening never stops the controller for a bad file: a database SQLite cannot read,
//! or whose quick integrity check fails, is renamed aside to
//! `driftless.db.corrupt-<unix seconds>` (with its `-wal`/`-shm` files) and a fresh
//! one is created; [`Store::warnings`] says so. A `last-applied.json` left by an older
//! version is imported once and renamed `last-applied.json.imported`.
//!
//! The database runs in WAL mode with a busy timeout, so the controller and a
//! `driftless history` (or two processes) can use it at once. The schema version is
//! SQLite's `user_version`; [`migrate`] brings a database up to [`SCHEMA_VERSION`],
//! one step at a time, inside an immediate transaction.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, TransactionBehavior};
use serde_json::Value as J;

use super::lock::{Acquired, Holder};
use super::StateError;
use driftless_core::history::{
    ChangeRecord, HistoryQuery, ReconcileRecord, ReconcileResult, RevisionRecord,
};

/// The database file name inside the state directory.
pub const DB_FILE: &str = "driftless.db";
/// The JSON file of versions before the database; imported once.
pub const LEGACY_JSON_FILE: &str = "last-applied.json";
/// The schema version this build writes (SQLite `user_version`).
pub const SCHEMA_VERSION: i64 = 7;
/// How long a statement waits for another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Each entry moves the schema from version `index` to `index + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 0 → 1
    "CREATE TABLE last_applied (
         key   TEXT PRIMARY KEY NOT NULL,   -- target/Kind/name
         value TEXT NOT NULL                -- JSON
     ) WITHOUT ROWID;
     CREATE TABLE reconciles (
         id              INTEGER PRIMARY KEY AUTOINCREMENT,
         started_at      INTEGER NOT NULL,  -- Unix seconds, UTC
         duration_ms     INTEGER NOT NULL,
         target          TEXT NOT NULL,
         revision        TEXT NOT NULL,
         result          TEXT NOT NULL,     -- ReconcileResult, kebab-case
         drift_found     INTEGER NOT NULL,
         drift_corrected INTEGER NOT NULL,
         error           TEXT
     );
     CREATE INDEX reconciles_target_started ON reconciles (target, started_at);
     CREATE INDEX reconciles_started ON reconciles (started_at);
     CREATE TABLE changes (
         reconcile_id INTEGER NOT NULL REFERENCES reconciles (id) ON DELETE CASCADE,
         seq          INTEGER NOT NULL,     -- order within the reconcile
         kind         TEXT NOT NULL,
         name         TEXT NOT NULL,
         action       TEXT NOT NULL,
         fields       TEXT NOT NULL,        -- JSON
         drift        INTEGER NOT NULL,     -- 0 / 1
         result       TEXT NOT NULL,        -- ok / failed / skipped
         error        TEXT,
         PRIMARY KEY (reconcile_id, seq)
     ) WITHOUT ROWID;",
    // 1 → 2: the commits the controller fetched.
    "CREATE TABLE revisions (
         sha          TEXT PRIMARY KEY NOT NULL,
         author       TEXT NOT NULL,     -- Name <email>
         message      TEXT NOT NULL,     -- first line
         committed_at INTEGER NOT NULL,  -- Unix seconds, UTC
         fetched_at   INTEGER NOT NULL   -- first fetched, Unix seconds, UTC
     ) WITHOUT ROWID;",
    // 2 → 3: small named values kept across restarts (the notifier's memory).
    "CREATE TABLE kv (
         key   TEXT PRIMARY KEY NOT NULL,
         value TEXT NOT NULL                -- JSON
     ) WITHOUT ROWID;",
    // 3 → 4: who made a drift (JSON ChangedBy; NULL on other changes and older rows).
    "ALTER TABLE changes ADD COLUMN changed_by TEXT;",
    // 4 → 5: records written ahead (what apply is about to write, until it confirms)
    // and per-target locks with leases (docs/design/state.md).
    "CREATE TABLE pending (
         key   TEXT PRIMARY KEY NOT NULL,   -- target/Kind/name
         value TEXT NOT NULL                -- JSON: the value about to be written
     ) WITHOUT ROWID;
     CREATE TABLE locks (
         target  TEXT PRIMARY KEY NOT NULL,
         id      TEXT NOT NULL,             -- the holder's lock id
         holder  TEXT NOT NULL,             -- JSON Holder
         expires INTEGER NOT NULL           -- Unix seconds
     ) WITHOUT ROWID;",
    // 5 → 6: consecutive quiet reconciles kept as one row (docs/design/state.md).
    "ALTER TABLE reconciles ADD COLUMN repeated INTEGER NOT NULL DEFAULT 1;
     ALTER TABLE reconciles ADD COLUMN last_at INTEGER;  -- Unix seconds; NULL unless repeated",
    // 6 → 7: an organization's account that left scope (docs/design/organizations.md).
    "ALTER TABLE reconciles ADD COLUMN departure TEXT;  -- JSON Departure; NULL on other rows",
];

/// An open state database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    warnings: Vec<String>,
}

/// Whether an error means the file is not a usable database (as opposed to, say, a
/// permission problem or a lock, which renaming the file would not fix).
fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// The latest reconcile recorded for `target` (without its changes: a record that
/// has any is never quiet, so it stands with an empty list and a failing count).
fn latest_of(
    tx: &rusqlite::Transaction<'_>,
    target: &str,
) -> Result<Option<ReconcileRecord>, rusqlite::Error> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, started_at, revision, result, drift_found, drift_corrected, error,
                repeated, last_at,
                EXISTS (SELECT 1 FROM changes WHERE reconcile_id = reconciles.id)
         FROM reconciles WHERE target = ?1
         ORDER BY started_at DESC, id DESC LIMIT 1",
    )?;
    let mut rows = stmt.query_map([target], |r| {
        let has_changes: bool = r.get(9)?;
        let result = ReconcileResult::parse(&r.get::<_, String>(3)?);
        Ok(ReconcileRecord {
            id: Some(r.get(0)?),
            started_at_unix: r.get(1)?,
            duration_ms: 0,
            target: target.to_string(),
            revision: r.get(2)?,
            // An unknown result or a row with changes is not quiet: never absorbs.
            result: result
                .filter(|_| !has_changes)
                .unwrap_or(ReconcileResult::Failed),
            changes: Vec::new(),
            drift_found: r.get(4)?,
            drift_corrected: r.get(5)?,
            error: r.get(6)?,
            repeated: r.get(7)?,
            last_at_unix: r.get(8)?,
            departure: None,
        })
    })?;
    rows.next().transpose()
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

enum OpenError {
    /// The file is not a usable database: rename it aside and start afresh.
    Corrupt(String),
    Other(StateError),
}

impl Store {
    /// Opens `<dir>/driftless.db`, creating the directory and the database as needed,
    /// migrating the schema, rebuilding a corrupt file and importing a legacy JSON
    /// record. Only what cannot be worked around (an unwritable directory, a
    /// database from a newer driftless, a lock held past the busy timeout) is an error.
    pub fn open(dir: &Path) -> Result<Store, StateError> {
        std::fs::create_dir_all(dir).map_err(|source| StateError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let mut warnings = Vec::new();
        let conn = match open_retrying(&path) {
            Ok(conn) => conn,
            Err(OpenError::Other(e)) => return Err(e),
            Err(OpenError::Corrupt(why)) => {
                let aside = set_aside(&path)?;
                warnings.push(format!(
                    "{} is not a usable database ({why}); kept as {} and rebuilt: \
                     drift detection and history start afresh",
                    path.display(),
                    aside.display()
                ));
                match open_retrying(&path) {
                    Ok(conn) => conn,
                    Err(OpenError::Other(e)) => return Err(e),
                    Err(OpenError::Corrupt(why)) => {
                        return Err(StateError::Corrupt {
                            path: path.clone(),
                            detail: why,
                        })
                    }
                }
            }
        };
        let mut store = Store {
            conn,
            path,
            warnings,
        };
        store.import_legacy_json(dir)?;
        Ok(store)
    }

    #[cfg(test)]
    pub(crate) fn conn_for_tests(&self) -> &Connection {
        &self.conn
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening worked around (a rebuilt database, an unreadable legacy file).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StateError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.db_err(e))
    }

    fn db_err(&self, source: rusqlite::Error) -> StateError {
        StateError::Database {
            path: self.path.clone(),
            source,
        }
    }

    fn decode_err(&self, what: &str, e: impl std::fmt::Display) -> StateError {
        StateError::Corrupt {
            path: self.path.clone(),
            detail: format!("{what}: {e}"),
        }
    }

    /// Every last-applied record: `target/Kind/name` → normalised desired value.
    pub fn last_applied(&self) -> Result<BTreeMap<String, J>, StateError> {
        self.key_values("SELECT key, value FROM last_applied", "last-applied")
    }

    /// Every row of a `key, value` query, each value decoded from JSON (`what` names
    /// the table's values in a decoding error).
    fn key_values(&self, query: &str, what: &str) -> Result<BTreeMap<String, J>, StateError> {
        let mut stmt = self
            .conn
            .prepare_cached(query)
            .map_err(|e| self.db_err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.db_err(e))?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (key, text) = row.map_err(|e| self.db_err(e))?;
            let value = serde_json::from_str(&text)
                .map_err(|e| self.decode_err(&format!("{what} value of {key}"), e))?;
            out.insert(key, value);
        }
        Ok(out)
    }

    /// Replaces every last-applied record with `records`, in one transaction.
    pub fn replace_last_applied(
        &mut self,
        records: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        let path = self.path.clone();
        let err = |source| StateError::Database {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.execute("DELETE FROM last_applied", []).map_err(err)?;
        insert_last_applied(&tx, records).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Replaces the last-applied records of one target (keys `target/…`) with those of
    /// `records` under that prefix, in one transaction; other targets' records are
    /// untouched, so targets reconciled concurrently never overwrite each other.
    pub fn replace_last_applied_of(
        &mut self,
        target: &str,
        records: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        let path = self.path.clone();
        let err = |source| StateError::Database {
            path: path.clone(),
            source,
        };
        let prefix = format!("{target}/");
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.execute(
            "DELETE FROM last_applied WHERE substr(key, 1, length(?1)) = ?1",
            params![prefix],
        )
        .map_err(err)?;
        let mine: BTreeMap<String, J> = records
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        insert_last_applied(&tx, &mine).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Every record written ahead and never confirmed: `target/Kind/name` → the value
    /// an apply was about to write.
    pub fn pending(&self) -> Result<BTreeMap<String, J>, StateError> {
        self.key_values("SELECT key, value FROM pending", "pending")
    }

    /// Writes ahead: `entries` are about to be written to AWS (before the first call).
    pub fn intend(&mut self, entries: &BTreeMap<String, J>) -> Result<(), StateError> {
        let path = self.path.clone();
        let err = |source| StateError::Database {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        {
            let mut stmt = tx
                .prepare_cached("INSERT OR REPLACE INTO pending (key, value) VALUES (?1, ?2)")
                .map_err(err)?;
            for (key, value) in entries {
                stmt.execute(params![key, value.to_string()]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Confirms a unit written: the records of `key` (and, with `subs`, of every key
    /// under `key/`) become `entries` (absent ones are forgotten), and their pending
    /// values are cleared, in one transaction.
    pub fn confirm(
        &mut self,
        key: &str,
        subs: bool,
        entries: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        let path = self.path.clone();
        let err = |source| StateError::Database {
            path: path.clone(),
            source,
        };
        // No key starts with "\u{0}": without subs, the prefix matches nothing.
        let prefix = if subs {
            format!("{key}/")
        } else {
            "\u{0}".to_string()
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        for table in ["last_applied", "pending"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE key = ?1 OR substr(key, 1, length(?2)) = ?2"),
                params![key, prefix],
            )
            .map_err(err)?;
        }
        insert_last_applied(&tx, entries).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Resolves pending records: each of `keys` is cleared; those in `promote` become
    /// last-applied records with their pending value (the next read found it written).
    pub fn resolve_pending(
        &mut self,
        keys: &[String],
        promote: &BTreeMap<String, J>,
    ) -> Result<(), StateError> {
        let path = self.path.clone();
        let err = |source| StateError::Database {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        for key in keys {
            tx.execute("DELETE FROM pending WHERE key = ?1", params![key])
                .map_err(err)?;
        }
        insert_last_applied(&tx, promote).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Takes `target`'s lock for `holder` unless someone else holds an unexpired one.
    pub fn acquire_lock(&mut self, target: &str, holder: &Holder) -> Result<Acquired, StateError> {
        let path = self.path.clone();
        let err = |source| StateError::Database {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let current = lock_of(&tx, target).map_err(err)?;
        let took_over = match current {
            Some(h) if h.id != holder.id && !h.gone(now_unix()) => return Ok(Acquired::Held(h)),
            Some(h) if h.id != holder.id => Some(h),
            _ => None,
        };
        put_lock(&tx, target, holder).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Acquired::Taken { took_over })
    }

    /// Renews `holder`'s lease (its `expires`); false when the lock is no longer its.
    pub fn renew_lock(&mut self, target: &str, holder: &Holder) -> Result<bool, StateError> {
        let holder_json = serde_json::to_string(holder).unwrap_or_default();
        self.conn
            .execute(
                "UPDATE locks SET holder = ?3, expires = ?4 WHERE target = ?1 AND id = ?2",
                params![target, holder.id, holder_json, holder.expires],
            )
            .map(|n| n == 1)
            .map_err(|e| self.db_err(e))
    }

    /// Releases the lock `id` holds on `target`; false when it held none.
    pub fn release_lock(&mut self, target: &str, id: &str) -> Result<bool, StateError> {
        self.conn
            .execute(
                "DELETE FROM locks WHERE target = ?1 AND id = ?2",
                params![target, id],
            )
            .map(|n| n == 1)
            .map_err(|e| self.db_err(e))
    }

    /// Who holds `target`'s lock (expired or not), if anyone.
    pub fn lock_holder(&self, target: &str) -> Result<Option<Holder>, StateError> {
        lock_of(&self.conn, target).map_err(|e| self.db_err(e))
    }

    /// A named JSON value saved by [`Store::set_value`]; `None` when absent or not JSON.
    pub fn value(&self, key: &str) -> Result<Option<J>, StateError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT value FROM kv WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(|e| self.db_err(e))?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Saves a named JSON value, replacing the one before.
    pub fn set_value(&mut self, key: &str, value: &J) -> Result<(), StateError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)",
                params![key, value.to_string()],
            )
            .map(|_| ())
            .map_err(|e| self.db_err(e))
    }

    /// Records a fetched commit; a commit already recorded keeps its first fetch time.
    pub fn record_revision(&mut self, revision: &RevisionRecord) -> Result<(), StateError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO revisions (sha, author, message, committed_at, fetched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    revision.sha,
                    revision.author,
                    revision.message,
                    revision.committed_at_unix,
                    revision.fetched_at_unix
                ],
            )
            .map(|_| ())
            .map_err(|e| self.db_err(e))
    }

    /// The recorded commit with this SHA.
    pub fn revision(&self, sha: &str) -> Result<Option<RevisionRecord>, StateError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT sha, author, message, committed_at, fetched_at FROM revisions WHERE sha = ?1",
            )
            .map_err(|e| self.db_err(e))?;
        let mut rows = stmt
            .query_map(params![sha], |r| {
                Ok(RevisionRecord {
                    sha: r.get(0)?,
                    author: r.get(1)?,
                    message: r.get(2)?,
                    committed_at_unix: r.get(3)?,
                    fetched_at_unix: r.get(4)?,
                })
            })
            .map_err(|e| self.db_err(e))?;
        rows.next().transpose().map_err(|e| self.db_err(e))
    }

    /// Records one reconcile and its changes; returns its id. A quiet reconcile
    /// that the target's latest record absorbs ([`ReconcileRecord::absorbs`]) is
    /// counted into that row instead (`repeated`, `last_at`).
    pub fn record_reconcile(&mut self, record: &ReconcileRecord) -> Result<i64, StateError> {
        let path = self.path.clone();
        let err = |source| StateError::Database {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        if let Some(mut latest) = latest_of(&tx, &record.target).map_err(err)? {
            if latest.absorbs(record) {
                latest.absorb(record);
                let id = latest.id.unwrap_or_default();
                tx.execute(
                    "UPDATE reconciles SET repeated = ?1, last_at = ?2 WHERE id = ?3",
                    params![latest.repeated, latest.last_at_unix, id],
                )
                .map_err(err)?;
                tx.commit().map_err(err)?;
                return Ok(id);
            }
        }
        tx.execute(
            "INSERT INTO reconciles (started_at, duration_ms, target, revision, result,
                                     drift_found, drift_corrected, error, repeated, last_at,
                                     departure)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                record.started_at_unix,
                i64::try_from(record.duration_ms).unwrap_or(i64::MAX),
                record.target,
                record.revision,
                record.result.as_str(),
                record.drift_found,
                record.drift_corrected,
                record.error,
                record.repeated.max(1),
                record.last_at_unix,
                record
                    .departure
                    .as_ref()
                    .map(|d| serde_json::to_string(d).unwrap_or_default()),
            ],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO changes (reconcile_id, seq, kind, name, action, fields,
                                          drift, result, error, changed_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(err)?;
            for (seq, c) in record.changes.iter().enumerate() {
                stmt.execute(params![
                    id,
                    seq as i64,
                    c.kind,
                    c.name,
                    c.action,
                    c.fields.to_string(),
                    c.drift,
                    c.result,
                    c.error,
                    c.changed_by
                        .as_ref()
                        .map(|by| serde_json::to_string(by).unwrap_or_default()),
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// The recorded reconciles matching `query`, newest first (by start time, then
    /// by insertion), each with its changes in the order they were recorded.
    pub fn history(&self, query: &HistoryQuery) -> Result<Vec<ReconcileRecord>, StateError> {
        let limit = query
            .limit
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, started_at, duration_ms, target, revision, result,
                        drift_found, drift_corrected, error, repeated, last_at, departure
                 FROM reconciles
                 WHERE (?1 IS NULL OR target = ?1) AND (?2 IS NULL OR COALESCE(last_at, started_at) >= ?2)
                 ORDER BY started_at DESC, id DESC
                 LIMIT ?3",
            )
            .map_err(|e| self.db_err(e))?;
        let rows = stmt
            .query_map(params![query.target, query.since_unix, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, u32>(6)?,
                    r.get::<_, u32>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    (
                        r.get::<_, u32>(9)?,
                        r.get::<_, Option<i64>>(10)?,
                        r.get::<_, Option<String>>(11)?,
                    ),
                ))
            })
            .map_err(|e| self.db_err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, started, duration, target, revision, result, found, corrected, error, rep) =
                row.map_err(|e| self.db_err(e))?;
            let result = ReconcileResult::parse(&result)
                .ok_or_else(|| self.decode_err(&format!("reconcile {id}"), result))?;
            out.push(ReconcileRecord {
                id: Some(id),
                started_at_unix: started,
                duration_ms: u64::try_from(duration).unwrap_or(0),
                target,
                revision,
                result,
                changes: self.changes_of(id)?,
                drift_found: found,
                drift_corrected: corrected,
                error,
                repeated: rep.0,
                last_at_unix: rep.1,
                departure: match rep.2 {
                    Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
                        self.decode_err(&format!("departure of reconcile {id}"), e)
                    })?),
                    None => None,
                },
            });
        }
        Ok(out)
    }

    fn changes_of(&self, id: i64) -> Result<Vec<ChangeRecord>, StateError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT kind, name, action, fields, drift, result, error, changed_by
                 FROM changes WHERE reconcile_id = ?1 ORDER BY seq",
            )
            .map_err(|e| self.db_err(e))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .map_err(|e| self.db_err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, name, action, fields, drift, result, error, changed_by) =
                row.map_err(|e| self.db_err(e))?;
            let fields = serde_json::from_str(&fields).map_err(|e| {
                self.decode_err(&format!("fields of a change of reconcile {id}"), e)
            })?;
            out.push(ChangeRecord {
                kind,
                name,
                action,
                fields,
                drift,
                result,
                error,
                changed_by: match changed_by {
                    Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
                        self.decode_err(&format!("changedBy of a change of reconcile {id}"), e)
                    })?),
                    None => None,
                },
            });
        }
        Ok(out)
    }

    /// Deletes the reconciles (and their changes) whose last reconcile started before
    /// `before_unix` (`--history-retention`); returns how many.
    pub fn prune_history(&mut self, before_unix: i64) -> Result<usize, StateError> {
        self.conn
            .execute(
                "DELETE FROM reconciles
                 WHERE started_at < ?1 AND COALESCE(last_at, started_at) < ?1",
                [before_unix],
            )
            .map_err(|e| self.db_err(e))
    }

    /// Imports `last-applied.json` once (then renamed `.imported`); an unreadable one
    /// is renamed `.corrupt-<unix seconds>` with a warning, as the JSON store did.
    fn import_legacy_json(&mut self, dir: &Path) -> Result<(), StateError> {
        let json_path = dir.join(LEGACY_JSON_FILE);
        if !json_path.exists() {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |source| StateError::Database {
            path: path.clone(),
            source,
        };
        // Under the write lock, so two processes opening at once import it once.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let text = match std::fs::read_to_string(&json_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                self.warnings.push(format!(
                    "cannot read {}: {e}; it was not imported",
                    json_path.display()
                ));
                return Ok(());
            }
        };
        let records: BTreeMap<String, J> = match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                drop(tx);
                let aside = dir.join(format!("{LEGACY_JSON_FILE}.corrupt-{}", now_unix()));
                let kept = std::fs::rename(&json_path, &aside).is_ok();
                self.warnings.push(format!(
                    "{} is corrupt ({e}); {}drift detection starts afresh",
                    json_path.display(),
                    if kept {
                        format!("kept as {}; ", aside.display())
                    } else {
                        String::new()
                    }
                ));
                return Ok(());
            }
        };
        insert_last_applied(&tx, &records).map_err(err)?;
        let imported = dir.join(format!("{LEGACY_JSON_FILE}.imported"));
        std::fs::rename(&json_path, &imported).map_err(|source| StateError::Write {
            path: json_path.clone(),
            source,
        })?;
        if let Err(e) = tx.commit() {
            // Put the file back so a later open retries the import.
            let _ = std::fs::rename(&imported, &json_path);
            return Err(err(e));
        }
        Ok(())
    }
}

fn lock_of(conn: &Connection, target: &str) -> rusqlite::Result<Option<Holder>> {
    let text: Option<String> = conn
        .query_row(
            "SELECT holder FROM locks WHERE target = ?1",
            params![target],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

fn put_lock(conn: &Connection, target: &str, holder: &Holder) -> rusqlite::Result<()> {
    let json = serde_json::to_string(holder).unwrap_or_default();
    conn.execute(
        "INSERT OR REPLACE INTO locks (target, id, holder, expires) VALUES (?1, ?2, ?3, ?4)",
        params![target, holder.id, json, holder.expires],
    )
    .map(|_| ())
}

fn insert_last_applied(conn: &Connection, records: &BTreeMap<String, J>) -> rusqlite::Result<()> {
    let mut stmt =
        conn.prepare_cached("INSERT OR REPLACE INTO last_applied (key, value) VALUES (?1, ?2)")?;
    for (key, value) in records {
        stmt.execute(params![key, value.to_string()])?;
    }
    Ok(())
}

/// Opens, configures, checks and migrates; classifies a failure as corruption or not.
/// [`open_checked`], again while another connection holds the file: SQLite answers
/// `SQLITE_BUSY` without waiting in a few places the busy timeout does not cover
/// (two connections setting up WAL on a new file at once), and the controller's
/// targets open the store concurrently. Bounded by [`BUSY_TIMEOUT`].
fn open_retrying(path: &Path) -> Result<Connection, OpenError> {
    let started = std::time::Instant::now();
    loop {
        match open_checked(path) {
            Err(OpenError::Other(StateError::Database { source, .. }))
                if source.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

fn open_checked(path: &Path) -> Result<Connection, OpenError> {
    let other = |source| {
        OpenError::Other(StateError::Database {
            path: path.to_path_buf(),
            source,
        })
    };
    let classify = |e: rusqlite::Error| {
        if is_corruption(&e) {
            OpenError::Corrupt(e.to_string())
        } else {
            other(e)
        }
    };
    let mut conn = Connection::open(path).map_err(classify)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(other)?;
    // The first statements that read the file: a non-database fails here.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
        .map_err(classify)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(classify)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(classify)?;
    let problems: Vec<String> = {
        let mut stmt = conn.prepare("PRAGMA quick_check").map_err(classify)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)?
    };
    if problems != ["ok"] {
        return Err(OpenError::Corrupt(format!(
            "integrity check: {}",
            problems.join("; ")
        )));
    }
    migrate(&mut conn).map_err(|e| match e {
        MigrateError::Sql(e) => classify(e),
        MigrateError::Newer(found) => OpenError::Other(StateError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        }),
    })?;
    Ok(conn)
}

enum MigrateError {
    Sql(rusqlite::Error),
    Newer(i64),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Sql(e)
    }
}

/// Brings the schema to [`SCHEMA_VERSION`]; a no-op when it is there already.
fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-read under the write lock: another process may have migrated meanwhile.
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(MigrateError::Newer(current));
    }
    for (from, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", from as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Renames a database (and its `-wal` / `-shm` files) to `<name>.corrupt-<secs>`.
fn set_aside(path: &Path) -> Result<PathBuf, StateError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| DB_FILE.to_string());
    let mut aside = path.with_file_name(format!("{name}.corrupt-{}", now_unix()));
    let mut n = 1;
    while aside.exists() {
        aside = path.with_file_name(format!("{name}.corrupt-{}-{n}", now_unix()));
        n += 1;
    }
    std::fs::rename(path, &aside).map_err(|source| StateError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{name}{suffix}"));
        if side.exists() {
            let to = aside.with_file_name(format!(
                "{}{suffix}",
                aside.file_name().unwrap_or_default().to_string_lossy()
            ));
            let _ = std::fs::rename(&side, &to);
        }
    }
    Ok(aside)
}
