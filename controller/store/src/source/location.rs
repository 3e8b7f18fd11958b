//! Where the desired state comes from ([`SourceLocation`]: a local folder or a git
//! URL, a reference and a path) and reading its current revision, as every command
//! does: `plan`, `apply`, `audit`, `import`, `iam-policy` and the controller.

use std::path::PathBuf;

use super::git::GitSource;
use super::{local, Snapshot, SourceError};

/// Where the desired state comes from.
#[derive(Debug, Clone)]
pub struct SourceLocation {
    /// A local folder or a git URL.
    pub source: String,
    pub reference: Option<String>,
    pub path: Option<String>,
}

impl SourceLocation {
    /// Whether the source is a git repository rather than a local folder.
    pub fn is_git(&self) -> bool {
        let s = &self.source;
        s.contains("://") || s.ends_with(".git") || {
            let (before, _) = s.split_once(':').unwrap_or(("", ""));
            before.contains('@') && !before.contains('/')
        }
    }
}

/// The commit behind a git revision, for logs and history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    /// `Name <email>`.
    pub author: String,
    /// First line of the message.
    pub message: String,
    pub time_unix: i64,
}

/// Reads the source's current revision: a local folder, or a git revision fetched
/// into `<state_dir>/source` (blocking I/O, run off the async threads). Used by
/// `plan` and `apply` too.
pub async fn read_source(
    location: &SourceLocation,
    state_dir: &std::path::Path,
) -> Result<Snapshot, SourceError> {
    read_source_commit(location, state_dir)
        .await
        .map(|(snapshot, _)| snapshot)
}

/// [`read_source`], with the commit's author and message for a git source.
pub async fn read_source_commit(
    location: &SourceLocation,
    state_dir: &std::path::Path,
) -> Result<(Snapshot, Option<Commit>), SourceError> {
    let location = location.clone();
    let checkout = state_dir.join("source");
    tokio::task::spawn_blocking(move || {
        if location.is_git() {
            let git = GitSource::new(location.source, location.reference, location.path, checkout)?;
            let revision = git.fetch()?;
            if revision.forced {
                tracing::warn!(
                    reference = %git.reference,
                    sha = %revision.sha,
                    previous = revision.previous.as_deref().unwrap_or("?"),
                    "the branch was force-pushed: the new commit does not descend from the previous one"
                );
            }
            let commit = Commit {
                sha: revision.sha.clone(),
                author: revision.author.clone(),
                message: revision.message.clone(),
                time_unix: revision.time_unix,
            };
            git.snapshot(&revision).map(|s| (s, Some(commit)))
        } else {
            let dir = match &location.path {
                Some(p) => PathBuf::from(&location.source).join(p),
                None => PathBuf::from(&location.source),
            };
            local::read(&dir, &dir.to_string_lossy()).map(|s| (s, None))
        }
    })
    .await
    .unwrap_or_else(|e| {
        Err(SourceError::Unreadable {
            path: "source".into(),
            message: format!("the source read stopped: {e}"),
        })
    })
}
