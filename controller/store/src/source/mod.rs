//! Where desired state comes from: a local folder, or a git repository (git2);
//! [`read_source`] reads whichever a [`SourceLocation`] names.
//!
//! A source turns a location into [`SourceFile`]s plus a revision string; it does the
//! I/O so that `spec` never has to. Problems with the files themselves (too large, not
//! UTF-8, a symlink leaving the root) are reported as diagnostics like any other.

pub mod git;
pub mod local;
mod location;

pub use location::{read_source, read_source_commit, Commit, SourceLocation};

use driftless_core::spec::{Diagnostic, SourceFile};

/// The files of one revision of a repository.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub files: Vec<SourceFile>,
    /// A git commit SHA, or `local` plus a content hash for a plain folder.
    pub revision: String,
    /// Problems found while reading (the files that could be read are still returned).
    pub diagnostics: Vec<Diagnostic>,
}

/// Errors that stop a source from producing anything at all.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("{url}: cannot reach the git remote: {message} (check the URL, the network, and that the repository exists)")]
    GitUnreachable { url: String, message: String },
    #[error("{url}: `{reference}` not found: {message} (check --ref: the branch or tag may have been deleted or renamed)")]
    GitRefNotFound {
        url: String,
        reference: String,
        message: String,
    },
    #[error("{url}: no folder `{path}` in `{reference}`{} (check --path; it is relative to the repository root)", if sha.is_empty() { String::new() } else { format!(" at {sha}") })]
    GitPathNotFound {
        url: String,
        reference: String,
        sha: String,
        path: String,
    },
    #[error("{url}: git authentication failed: {message}")]
    GitAuth { url: String, message: String },
    #[error("{url}: ssh host key refused: {message}")]
    GitHostKey { url: String, message: String },
    #[error("{url}: TLS certificate check failed: {message}; the server's certificate is not trusted, has expired or names another host; if it is signed by a private CA (or is self-signed), set SSL_CERT_FILE to a PEM file holding that CA certificate (or SSL_CERT_DIR to a folder of them)")]
    GitTls { url: String, message: String },
    #[error("{url}: {message}")]
    Git { url: String, message: String },
}
