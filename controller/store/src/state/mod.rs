//! The local state store: what driftless last applied, per target, kind and name, so
//! a later plan can tell drift (changed outside git) from a change coming from git;
//! and the history of every reconcile, for `driftless history`.
//!
//! Both live in an embedded SQLite database under the state directory (default
//! `./.driftless`), see [`Store`]. [`LastApplied::load`] / [`LastApplied::save`] keep
//! the interface of the JSON file of earlier versions, which is imported on first
//! open. Nothing is stored but what callers pass in; nothing is read from the
//! environment.
//!
//! - `db.rs`: [`Store`]: open / rebuild / migrate, last-applied values, history.
//!
//! The records themselves ([`ReconcileRecord`], [`ChangeRecord`], [`HistoryQuery`])
//! and `driftless history`'s rendering are pure data and live in
//! `driftless_core::history`; they are re-exported here.

mod db;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as J;

pub use db::{Store, DB_FILE, LEGACY_JSON_FILE, SCHEMA_VERSION};
pub use driftless_core::history::{
    format_rfc3339_utc, parse_rfc3339, parse_since, render_history_json, render_history_json_with,
    render_history_text, render_history_text_with, HISTORY_FORMAT_VERSION,
};
pub use driftless_core::history::{
    ChangeRecord, HistoryQuery, ReconcileRecord, ReconcileResult, RevisionRecord,
};

/// The default state directory.
pub const DEFAULT_STATE_DIR: &str = ".driftless";

/// Errors reading or writing the state directory.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot write the state directory {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("state database {path}: {source}")]
    Database {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("state database {path} is corrupt: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "state database {path} has schema version {found}, newer than this driftless \
         supports ({supported}); upgrade driftless or use another --state-dir"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
}

/// The last-applied record: `target/Kind/name` → normalised desired value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LastApplied {
    pub records: BTreeMap<String, J>,
    /// Set when the store could not be read, or had to be rebuilt.
    pub warning: Option<String>,
}

impl LastApplied {
    /// Reads the record from the state database. A state directory with neither a
    /// database nor a legacy JSON file is empty (and is not created: `plan` writes
    /// nothing). A store that cannot be read is reported and treated as empty (drift
    /// detection restarts; nothing else depends on it); a corrupt database is rebuilt.
    pub fn load(dir: &Path) -> LastApplied {
        if !dir.join(DB_FILE).exists() && !dir.join(LEGACY_JSON_FILE).exists() {
            return LastApplied::default();
        }
        let store = match Store::open(dir) {
            Ok(s) => s,
            Err(e) => {
                return LastApplied {
                    records: BTreeMap::new(),
                    warning: Some(format!("{e}; drift detection starts afresh")),
                }
            }
        };
        let mut warnings = store.warnings().to_vec();
        let records = match store.last_applied() {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!("{e}; drift detection starts afresh"));
                BTreeMap::new()
            }
        };
        LastApplied {
            records,
            warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
        }
    }

    /// Replaces the stored record with this one, in one transaction.
    pub fn save(&self, dir: &Path) -> Result<(), StateError> {
        Store::open(dir)?.replace_last_applied(&self.records)
    }

    /// Saves only one target's records (`target/…`), leaving the others' as stored.
    pub fn save_target(&self, dir: &Path, target: &str) -> Result<(), StateError> {
        Store::open(dir)?.replace_last_applied_of(target, &self.records)
    }
}

#[cfg(test)]
mod tests;
