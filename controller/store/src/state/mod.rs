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
//! - `backend.rs`: [`Backend`] (what every backend does), [`LocalState`], and
//!   [`StateBackend`], the one a command uses.
//! - `db.rs`: [`Store`]: open / rebuild / migrate, last-applied values, records
//!   written ahead, history, locks.
//! - `s3.rs`: [`S3State`]: the same as objects under an S3 bucket and prefix.
//! - `lock.rs`: [`Holder`], [`Acquired`]: per-target locks with leases.
//!
//! The records themselves ([`ReconcileRecord`], [`ChangeRecord`], [`HistoryQuery`])
//! and `driftless history`'s rendering are pure data and live in
//! `driftless_core::history`; they are re-exported here.

mod backend;
mod db;
pub mod lock;
mod s3;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as J;

pub use backend::{Backend, BackendKind, LocalState, StateBackend, PRUNE_EVERY_SECS};
pub use db::{Store, DB_FILE, LEGACY_JSON_FILE, SCHEMA_VERSION};
pub use driftless_core::history::{
    format_rfc3339_utc, parse_rfc3339, parse_since, render_history_json, render_history_json_with,
    render_history_text, render_history_text_with, HISTORY_FORMAT_VERSION,
};
pub use driftless_core::history::{
    ChangeRecord, HistoryQuery, ReconcileRecord, ReconcileResult, RevisionRecord,
};
pub use lock::{Acquired, Holder};
pub use s3::S3State;

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
    /// An S3 call of the state backend failed.
    #[error("state {location}: {}\n  hint: {}", s3_detail(error), s3_hint(error))]
    S3 {
        location: String,
        /// Not `source`: the message says it all, a chain would repeat it.
        error: Box<driftless_aws::AwsError>,
    },
    /// The remote state is not what driftless wrote, or kept changing.
    #[error("state {location}: {message}\n  hint: {hint}")]
    Remote {
        location: String,
        message: String,
        hint: String,
    },
}

/// What to do about a failed call of the S3 backend: the bucket missing, access
/// denied, the wrong region, or the AWS error's own hint.
/// The failed call and S3's error code (`NoSuchBucket`, `AccessDenied`, …).
fn s3_detail(e: &driftless_aws::AwsError) -> String {
    match e {
        driftless_aws::AwsError::Call {
            code: Some(code), ..
        } => format!("{} ({code})", e.detail()),
        _ => e.detail(),
    }
}

fn s3_hint(e: &driftless_aws::AwsError) -> String {
    let code = match e {
        driftless_aws::AwsError::Call { code, .. } => code.as_deref().unwrap_or(""),
        _ => "",
    };
    match code {
        "NoSuchBucket" => "the bucket does not exist: create it (versioning on is recommended) or fix `state.bucket` / --state".into(),
        c if c.contains("AccessDenied") => "the credentials may not use the state bucket: grant s3:GetObject, s3:PutObject, s3:DeleteObject on PREFIX/* and s3:ListBucket on the bucket (see `driftless iam-policy`), or set `state.roleArn`".into(),
        "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException" => {
            "the bucket is in another region: set `state.region` to the bucket's region".into()
        }
        _ => e.hint().unwrap_or_else(|| "check the bucket, the prefix and the credentials".into()),
    }
}

/// The last-applied record: `target/Kind/name` → normalised desired value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LastApplied {
    pub records: BTreeMap<String, J>,
    /// Values written ahead and never confirmed (an apply killed between its record
    /// and its confirmation): `target/Kind/name` → the value it was about to write.
    pub pending: BTreeMap<String, J>,
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
                    warning: Some(format!("{e}; drift detection starts afresh")),
                    ..LastApplied::default()
                }
            }
        };
        let mut warnings = store.warnings().to_vec();
        let (records, pending) = match store.last_applied().and_then(|r| Ok((r, store.pending()?)))
        {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!("{e}; drift detection starts afresh"));
                Default::default()
            }
        };
        LastApplied {
            records,
            pending,
            warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
        }
    }

    /// The records a plan uses: the confirmed ones, and for a key with none (a create
    /// killed before its confirmation), the value written ahead, so that what the
    /// crashed apply created stays driftless's (metric filters are owned by record).
    pub fn for_plan(&self) -> BTreeMap<String, J> {
        let mut merged = self.records.clone();
        for (k, v) in &self.pending {
            merged.entry(k.clone()).or_insert_with(|| v.clone());
        }
        merged
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
