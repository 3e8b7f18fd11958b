//! Loading a repository for any command: read the source, then parse and validate
//! every document. Source problems and spec problems are reported together, and a
//! repository with any of them yields nothing (invariant 4).

use std::path::Path;

use crate::schedule::{self, DateTime, Utc};
use crate::source::{local, Snapshot, SourceError};
use crate::spec::organization::Enrollment;
use crate::spec::{self, DesiredState, Diagnostic, SourceFile};

/// A repository that validated, with the revision it was read at.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub state: DesiredState,
    pub revision: String,
    /// Documents read, for summaries.
    pub documents: usize,
    /// The files as read: parsed again with the accounts AWS Organizations names
    /// ([`load_enrolled`]) at every plan of a repository with organization targets.
    pub files: std::sync::Arc<Vec<SourceFile>>,
}

/// Why a repository could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Every problem found; see [`spec::diagnostic::render_text`].
    #[error("{} in the repository", spec::diagnostic::plural(.0.len(), "error"))]
    Invalid(Vec<Diagnostic>),
}

/// Reads and validates the repository in the folder `dir`, shown to the user as
/// `display`.
pub fn load_folder(dir: &Path, display: &str) -> Result<Loaded, LoadError> {
    load_snapshot(local::read(dir, display)?)
}

/// Validates the files a source read (a folder or a git revision).
pub fn load_snapshot(snapshot: Snapshot) -> Result<Loaded, LoadError> {
    load_files(
        std::sync::Arc::new(snapshot.files),
        snapshot.diagnostics,
        snapshot.revision,
        None,
    )
}

/// The repository `loaded` was read from, validated again with organization entries'
/// targets and groups made from `enrollment` (AWS Organizations' answer).
pub fn load_enrolled(loaded: &Loaded, enrollment: &Enrollment) -> Result<Loaded, LoadError> {
    let revision = loaded.revision.clone();
    load_files(loaded.files.clone(), Vec::new(), revision, Some(enrollment))
}

fn load_files(
    files: std::sync::Arc<Vec<SourceFile>>,
    mut diagnostics: Vec<Diagnostic>,
    revision: String,
    enrollment: Option<&Enrollment>,
) -> Result<Loaded, LoadError> {
    let parsed = spec::parse_enrolled(&files, enrollment);
    match parsed {
        Ok(mut state) if diagnostics.is_empty() => {
            // The one guardrail that needs the time: it looks at the coming runs.
            let overlaps = schedule::guardrail::check(&mut state, &files, now());
            if !overlaps.is_empty() {
                return Err(LoadError::Invalid(overlaps));
            }
            Ok(Loaded {
                documents: state.documents,
                state,
                revision,
                files,
            })
        }
        Ok(_) => {
            diagnostics.sort();
            Err(LoadError::Invalid(diagnostics))
        }
        Err(more) => {
            diagnostics.extend(more);
            diagnostics.sort();
            Err(LoadError::Invalid(diagnostics))
        }
    }
}

/// The clock, read here (the core never reads it), to the second.
pub fn now() -> DateTime<Utc> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    schedule::from_unix(i64::try_from(secs).unwrap_or(i64::MAX))
}
