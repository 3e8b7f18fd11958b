//! The local state store: what driftless last applied, per target, kind and name, so
//! a later plan can tell drift (changed outside git) from a change coming from git.
//!
//! A JSON file under the state directory (default `./.driftless`), written atomically
//! (temporary file + rename). The controller issue moves this into an embedded SQLite
//! database with the reconcile history; the interface stays `load` / `save`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as J;

/// The default state directory.
pub const DEFAULT_STATE_DIR: &str = ".driftless";
const FILE: &str = "last-applied.json";

/// Errors reading or writing the state directory.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot write the state directory {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The last-applied record: `target/Kind/name` → normalised desired value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LastApplied {
    pub records: BTreeMap<String, J>,
    /// Set when the file existed but could not be read; it is then rebuilt.
    pub warning: Option<String>,
}

impl LastApplied {
    /// Reads the record; a missing file is empty, a corrupt one is reported and
    /// treated as empty (drift detection restarts; nothing else depends on it).
    pub fn load(dir: &Path) -> LastApplied {
        let path = dir.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return LastApplied::default(),
            Err(e) => {
                return LastApplied {
                    records: BTreeMap::new(),
                    warning: Some(format!(
                        "cannot read {}: {e}; drift detection starts afresh",
                        path.display()
                    )),
                }
            }
        };
        match serde_json::from_str(&text) {
            Ok(records) => LastApplied {
                records,
                warning: None,
            },
            Err(e) => LastApplied {
                records: BTreeMap::new(),
                warning: Some(format!(
                    "{} is corrupt ({e}); drift detection starts afresh",
                    path.display()
                )),
            },
        }
    }

    /// Writes the record atomically.
    pub fn save(&self, dir: &Path) -> Result<(), StateError> {
        let err = |source| StateError::Write {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        let tmp = dir.join(format!("{FILE}.tmp.{}", std::process::id()));
        let text = serde_json::to_string_pretty(&self.records).unwrap_or_default();
        std::fs::write(&tmp, text).map_err(err)?;
        std::fs::rename(&tmp, dir.join(FILE)).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_survives_corruption() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(LastApplied::load(dir.path()), LastApplied::default());
        let mut state = LastApplied::default();
        state.records.insert(
            "default/LogGroup//a".into(),
            serde_json::json!({"retentionInDays": 14}),
        );
        state.save(dir.path()).unwrap();
        assert_eq!(LastApplied::load(dir.path()).records, state.records);
        std::fs::write(dir.path().join(FILE), "{not json").unwrap();
        let broken = LastApplied::load(dir.path());
        assert!(broken.records.is_empty());
        assert!(broken.warning.unwrap().contains("corrupt"));
    }
}
