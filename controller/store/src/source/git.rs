//! Reading a desired-state repository from git (libgit2 through `git2`).
//!
//! A [`GitSource`] fetches one reference (a branch, a tag or a full commit SHA) of a
//! remote into a bare repository under the state dir (`<checkout_dir>/repo.git`),
//! checks the commit's tree out into `<checkout_dir>/worktree` and reads the
//! `--path` folder of it with [`super::local::read`], so size, symlink and UTF-8
//! rules are the same as for a plain folder.
//!
//! # Remotes
//!
//! - `file://` URLs and plain local paths (libgit2's local transport, which cannot
//!   fetch shallow, so the whole history of the wanted ref is copied);
//! - `https://`: a token or password from [`GitAuth`] (`DRIFTLESS_GIT_TOKEN` or
//!   `DRIFTLESS_GIT_TOKEN_FILE`), sent with the username `x-access-token` unless
//!   `DRIFTLESS_GIT_USERNAME` is set; the server certificate is verified by OpenSSL
//!   against the system CAs, or those of `SSL_CERT_FILE` / `SSL_CERT_DIR` when set;
//! - `ssh://` and scp-style `user@host:path`: a private key file
//!   (`DRIFTLESS_GIT_SSH_KEY`, OpenSSH or PEM format as libssh2 reads them, encrypted
//!   ones with `DRIFTLESS_GIT_SSH_KEY_PASSPHRASE`), and the host key checked against a
//!   known_hosts file (`DRIFTLESS_GIT_KNOWN_HOSTS`, else `~/.ssh/known_hosts`).
//!   Unknown hosts and changed keys are refused. Only plain (not hashed, `|1|…`) host
//!   entries are understood, per port as for OpenSSH (`HOST` is port 22,
//!   `[HOST]:PORT` another port); write them with `ssh-keyscan HOST >> known_hosts`
//!   (`ssh-keyscan -p PORT HOST` for another port).
//!   `DRIFTLESS_GIT_INSECURE_SKIP_HOST_KEY_CHECK=1` accepts any host key: **unsafe**,
//!   anyone on the network path can then serve the desired state; for tests only.
//!
//! Credentials are never taken from the command line, and never appear in errors or
//! `Debug` output: URLs are shown with their user-info redacted ([`redact_url`]) and
//! secrets are scrubbed from libgit2's messages.
//!
//! # Fetching
//!
//! The advertised refs are listed first, so a deleted branch or tag is reported as
//! [`SourceError::GitRefNotFound`] instead of silently reusing the last fetched commit.
//! Only the wanted ref is fetched (`+refs/heads/NAME:refs/driftless/fetched`); over
//! the network the first fetch is shallow (depth 1), later ones are incremental, so
//! the history between two revisions is present to tell whether the new commit
//! descends from the previous one. A commit SHA is fetched directly when the server
//! allows it, else by fetching its branches and tags; a SHA already present is not
//! fetched again.
//!
//! Every error leaves the last good checkout and the recorded last revision as they
//! were. A force-push is not an error: it yields the new commit with
//! [`GitRevision::forced`] set.
//!
//! # Blocking
//!
//! Everything here is blocking I/O (libgit2 and the file system). Async callers run it
//! in `tokio::task::spawn_blocking`:
//!
//! ```ignore
//! let src = source.clone();
//! let rev = tokio::task::spawn_blocking(move || src.fetch()).await??;
//! ```

use std::cell::{Cell, RefCell};
use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};

use git2::{
    AutotagOption, CertificateCheckStatus, Cred, CredentialType, Direction, ErrorClass, ErrorCode,
    FetchOptions, Oid, RemoteCallbacks, Repository,
};

use super::{Snapshot, SourceError};

/// The ref fetched into (one per checkout dir).
const FETCHED_REF: &str = "refs/driftless/fetched";
/// The file in the checkout dir holding the SHA of the last good revision.
const LAST_REVISION_FILE: &str = "last-revision";
/// Default reference when none is given.
pub const DEFAULT_REF: &str = "main";

/// Credentials and host-key settings. Build it with [`GitAuth::from_env`]; `Debug`
/// never shows the secret.
#[derive(Clone, Default)]
pub struct GitAuth {
    /// Username for https (default `x-access-token` when a token is set).
    pub username: Option<String>,
    /// Token or password for https.
    pub token: Option<String>,
    /// Private key file for ssh.
    pub ssh_key: Option<PathBuf>,
    /// Passphrase of the private key, if any (`DRIFTLESS_GIT_SSH_KEY_PASSPHRASE`).
    pub ssh_key_passphrase: Option<String>,
    /// known_hosts file for ssh (default `~/.ssh/known_hosts`).
    pub known_hosts: Option<PathBuf>,
    /// Accept any ssh host key. Unsafe: only for tests.
    pub insecure_skip_host_key_check: bool,
}

impl fmt::Debug for GitAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitAuth")
            .field("username", &self.username)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("ssh_key", &self.ssh_key)
            .field(
                "ssh_key_passphrase",
                &self.ssh_key_passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field("known_hosts", &self.known_hosts)
            .field(
                "insecure_skip_host_key_check",
                &self.insecure_skip_host_key_check,
            )
            .finish()
    }
}

impl GitAuth {
    /// Reads `DRIFTLESS_GIT_TOKEN` or `DRIFTLESS_GIT_TOKEN_FILE`, `DRIFTLESS_GIT_USERNAME`,
    /// `DRIFTLESS_GIT_SSH_KEY`, `DRIFTLESS_GIT_SSH_KEY_PASSPHRASE`,
    /// `DRIFTLESS_GIT_KNOWN_HOSTS` and `DRIFTLESS_GIT_INSECURE_SKIP_HOST_KEY_CHECK`.
    pub fn from_env() -> Result<GitAuth, SourceError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`GitAuth::from_env`] with the variables looked up by `var` (for tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<GitAuth, SourceError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let token = match (get("DRIFTLESS_GIT_TOKEN"), get("DRIFTLESS_GIT_TOKEN_FILE")) {
            (Some(t), _) => Some(t.trim().to_string()),
            (None, Some(file)) => {
                let text = fs::read_to_string(&file).map_err(|e| SourceError::Unreadable {
                    path: file.clone(),
                    message: format!(
                        "cannot read the git token file (DRIFTLESS_GIT_TOKEN_FILE): {e}"
                    ),
                })?;
                let t = text.trim().to_string();
                if t.is_empty() {
                    return Err(SourceError::Unreadable {
                        path: file,
                        message: "the git token file (DRIFTLESS_GIT_TOKEN_FILE) is empty".into(),
                    });
                }
                Some(t)
            }
            (None, None) => None,
        };
        Ok(GitAuth {
            username: get("DRIFTLESS_GIT_USERNAME"),
            token,
            ssh_key: get("DRIFTLESS_GIT_SSH_KEY").map(PathBuf::from),
            ssh_key_passphrase: get("DRIFTLESS_GIT_SSH_KEY_PASSPHRASE"),
            known_hosts: get("DRIFTLESS_GIT_KNOWN_HOSTS").map(PathBuf::from),
            insecure_skip_host_key_check: matches!(
                get("DRIFTLESS_GIT_INSECURE_SKIP_HOST_KEY_CHECK").as_deref(),
                Some("1" | "true" | "yes")
            ),
        })
    }

    /// The secrets to scrub from messages.
    fn secrets(&self) -> Vec<&str> {
        [self.token.as_deref(), self.ssh_key_passphrase.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| s.len() >= 4)
            .collect()
    }
}

/// A git repository as a source of desired state. Blocking: see the module docs.
#[derive(Clone)]
pub struct GitSource {
    /// `file://`, a local path, `https://`, `ssh://` or scp-style `user@host:path`.
    pub url: String,
    /// A branch, a tag, a full commit SHA or a full ref name (`refs/...`).
    pub reference: String,
    /// Folder inside the repository holding the specs (`--path`).
    pub path: Option<String>,
    /// Where the bare repository and the worktree live (e.g. `<state-dir>/source`).
    pub checkout_dir: PathBuf,
    pub auth: GitAuth,
}

impl fmt::Debug for GitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitSource")
            .field("url", &redact_url(&self.url))
            .field("reference", &self.reference)
            .field("path", &self.path)
            .field("checkout_dir", &self.checkout_dir)
            .field("auth", &self.auth)
            .finish()
    }
}

/// One fetched revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRevision {
    /// Full commit SHA.
    pub sha: String,
    /// `Name <email>` of the author.
    pub author: String,
    /// First line of the commit message.
    pub message: String,
    /// Commit time, seconds since the Unix epoch.
    pub time_unix: i64,
    /// The checked-out folder to read (the worktree joined with `path`).
    pub dir: PathBuf,
    /// The previous revision fetched into this checkout dir, if any.
    pub previous: Option<String>,
    /// True when `previous` exists and this commit does not descend from it (a
    /// force-push, or `--ref` moved to another line of history).
    pub forced: bool,
}

/// What a `--ref` names, before asking the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefKind {
    /// A full commit SHA (40 hex digits, or 64 for SHA-256 repositories), lowercased.
    Sha(String),
    /// A full ref name such as `refs/heads/main` or `refs/pull/7/head`.
    Full(String),
    /// A short name: a branch (`refs/heads/NAME`) or else a tag (`refs/tags/NAME`).
    Short(String),
}

/// Classifies a `--ref` value. Abbreviated SHAs are short names: the remote cannot be
/// asked for them.
pub fn classify_ref(reference: &str) -> RefKind {
    let r = reference.trim();
    if (r.len() == 40 || r.len() == 64) && r.chars().all(|c| c.is_ascii_hexdigit()) {
        RefKind::Sha(r.to_ascii_lowercase())
    } else if r.starts_with("refs/") {
        RefKind::Full(r.to_string())
    } else {
        RefKind::Short(r.to_string())
    }
}

impl RefKind {
    /// Full ref names to look for among the remote's refs, in order of preference.
    fn candidates(&self) -> Vec<String> {
        match self {
            RefKind::Sha(_) => Vec::new(),
            RefKind::Full(r) => vec![r.clone()],
            RefKind::Short(r) => vec![format!("refs/heads/{r}"), format!("refs/tags/{r}")],
        }
    }
}

/// The URL with any password or token removed, for messages and logs.
///
/// `https://user:secret@host/x` → `https://user:***@host/x`; `https://TOKEN@host/x` →
/// `https://***@host/x` (over http a lone user-info is usually a token);
/// `ssh://git@host/x` and `git@host:x` are unchanged (a user name only).
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        // scp-style `user@host:path` or a local path: no secret position.
        return url.to_string();
    };
    let scheme = &url[..scheme_end];
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    let redacted = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None if scheme.starts_with("http") => "***".to_string(),
        None => userinfo.to_string(),
    };
    format!(
        "{scheme}://{redacted}@{}",
        &rest[at + 1..] // host and path
    )
}

/// True for remotes served by libgit2's local transport (no shallow fetch there).
pub fn is_local_url(url: &str) -> bool {
    if let Some(rest) = url.strip_prefix("file://") {
        return !rest.is_empty();
    }
    if url.contains("://") {
        return false;
    }
    // scp-style `host:path` has a colon before the first slash.
    match (url.find(':'), url.find('/')) {
        (Some(colon), Some(slash)) => slash < colon,
        (Some(_), None) => false,
        (None, _) => true,
    }
}

fn is_ssh_url(url: &str) -> bool {
    url.starts_with("ssh://")
        || url.starts_with("git+ssh://")
        || (!is_local_url(url) && !url.contains("://"))
}

/// The port of an `ssh://[user@]host[:port]/path` URL; 22 when absent, and for
/// scp-style `user@host:path` (which cannot name a port).
fn ssh_port(url: &str) -> u16 {
    let Some((_, rest)) = url.split_once("://") else {
        return 22;
    };
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let host_port = &authority[authority.rfind('@').map_or(0, |at| at + 1)..];
    let port = match host_port.strip_prefix('[') {
        // `[v6]:port`
        Some(v6) => v6.split_once("]:").map(|(_, p)| p),
        None => host_port.split_once(':').map(|(_, p)| p),
    };
    port.and_then(|p| p.parse().ok()).unwrap_or(22)
}

/// What the callbacks of one connection saw, for the error that may follow.
#[derive(Default)]
struct CallbackState {
    /// How often credentials were asked for.
    attempts: Cell<u32>,
    /// Why the ssh host key was refused.
    host_key_refusal: RefCell<Option<String>>,
}

impl GitSource {
    /// A source for `url` at `reference` (`main` when `None`), checked out under
    /// `checkout_dir`, with credentials from the environment.
    pub fn new(
        url: impl Into<String>,
        reference: Option<String>,
        path: Option<String>,
        checkout_dir: impl Into<PathBuf>,
    ) -> Result<GitSource, SourceError> {
        Ok(GitSource {
            url: url.into(),
            reference: reference.unwrap_or_else(|| DEFAULT_REF.to_string()),
            path,
            checkout_dir: checkout_dir.into(),
            auth: GitAuth::from_env()?,
        })
    }

    /// The bare repository objects are fetched into.
    pub fn repo_dir(&self) -> PathBuf {
        self.checkout_dir.join("repo.git")
    }

    /// The folder the last good revision is checked out in.
    pub fn worktree_dir(&self) -> PathBuf {
        self.checkout_dir.join("worktree")
    }

    /// The SHA of the last revision fetched and checked out, if any.
    pub fn last_revision(&self) -> Option<String> {
        let text = fs::read_to_string(self.checkout_dir.join(LAST_REVISION_FILE)).ok()?;
        let sha = text.trim();
        (!sha.is_empty()).then(|| sha.to_string())
    }

    /// Fetches the reference, checks it out and returns the revision. Blocking. On any
    /// error the previous checkout and last revision are kept.
    pub fn fetch(&self) -> Result<GitRevision, SourceError> {
        let sub = self.sub_path()?;
        fs::create_dir_all(&self.checkout_dir).map_err(|e| self.local_error("create", &e))?;
        let repo = self.open_repo()?;
        let previous = self.last_revision();
        let kind = classify_ref(&self.reference);
        let target = match &kind {
            RefKind::Sha(sha) => self.fetch_sha(&repo, sha, previous.is_some())?,
            _ => self.fetch_ref(&repo, &kind, previous.is_some())?,
        };
        let commit = self.fetched_commit(&repo, target)?;
        let sha = commit.id().to_string();
        if let Some(sub) = &sub {
            self.check_sub_path(&commit, sub, &sha)?;
        }
        let forced = is_forced(&repo, previous.as_deref(), &commit);

        let worktree = self.worktree_dir();
        if previous.as_deref() != Some(sha.as_str()) || !worktree.is_dir() {
            self.checkout(&repo, &commit)?;
        }
        fs::write(
            self.checkout_dir.join(LAST_REVISION_FILE),
            format!("{sha}\n"),
        )
        .map_err(|e| self.local_error("record the revision in", &e))?;

        Ok(GitRevision {
            sha,
            author: author_of(&commit),
            message: subject_of(&commit),
            time_unix: commit.time().seconds(),
            dir: match &sub {
                Some(sub) => worktree.join(sub),
                None => worktree,
            },
            previous,
            forced,
        })
    }

    /// The commit `target` names, once fetched; an error when the remote did not send
    /// it or it is not a commit.
    fn fetched_commit<'r>(
        &self,
        repo: &'r Repository,
        target: Oid,
    ) -> Result<git2::Commit<'r>, SourceError> {
        let object = repo
            .find_object(target, None)
            .map_err(|e| SourceError::Git {
                url: redact_url(&self.url),
                message: format!(
                    "the remote did not send {} ({target}): {}",
                    self.reference,
                    self.scrub(e.message())
                ),
            })?;
        object
            .peel_to_commit()
            .map_err(|_| SourceError::GitRefNotFound {
                url: redact_url(&self.url),
                reference: self.reference.clone(),
                message: format!("{target} is not a commit"),
            })
    }

    /// `--path` must be a folder in the commit's tree.
    fn check_sub_path(
        &self,
        commit: &git2::Commit<'_>,
        sub: &Path,
        sha: &str,
    ) -> Result<(), SourceError> {
        let found = commit
            .tree()
            .and_then(|t| t.get_path(sub))
            .ok()
            .map(|entry| entry.kind() == Some(git2::ObjectType::Tree));
        if found == Some(true) {
            return Ok(());
        }
        Err(SourceError::GitPathNotFound {
            url: redact_url(&self.url),
            reference: self.reference.clone(),
            sha: sha.to_string(),
            path: self.path.clone().unwrap_or_default(),
        })
    }

    /// Reads the spec files of a fetched revision; `revision` is its SHA.
    pub fn snapshot(&self, rev: &GitRevision) -> Result<Snapshot, SourceError> {
        let display = match self.path.as_deref().map(|p| p.trim_matches('/')) {
            Some(p) if !p.is_empty() && p != "." => p.to_string(),
            _ => String::new(),
        };
        let mut snapshot = super::local::read(&rev.dir, &display)?;
        snapshot.revision = rev.sha.clone();
        Ok(snapshot)
    }

    /// `path` as relative components, refusing absolute paths and `..`.
    fn sub_path(&self) -> Result<Option<PathBuf>, SourceError> {
        let Some(p) = self.path.as_deref() else {
            return Ok(None);
        };
        let mut out = PathBuf::new();
        for c in Path::new(p.trim()).components() {
            match c {
                Component::Normal(n) => out.push(n),
                Component::CurDir => {}
                _ => {
                    return Err(SourceError::GitPathNotFound {
                        url: redact_url(&self.url),
                        reference: self.reference.clone(),
                        sha: String::new(),
                        path: p.to_string(),
                    })
                }
            }
        }
        Ok((!out.as_os_str().is_empty()).then_some(out))
    }

    fn open_repo(&self) -> Result<Repository, SourceError> {
        let dir = self.repo_dir();
        let repo = if dir.join("HEAD").is_file() {
            Repository::open_bare(&dir)
        } else {
            Repository::init_bare(&dir)
        };
        repo.map_err(|e| SourceError::Git {
            url: redact_url(&self.url),
            message: format!(
                "cannot open the local repository {}: {}",
                dir.display(),
                e.message()
            ),
        })
    }

    /// Lists the remote's refs and fetches the wanted one; returns its object id.
    fn fetch_ref(
        &self,
        repo: &Repository,
        kind: &RefKind,
        have_previous: bool,
    ) -> Result<Oid, SourceError> {
        let mut remote = repo
            .remote_anonymous(&self.url)
            .map_err(|e| self.remote_error(&e))?;
        let advertised: Vec<(String, Oid)> = {
            let state = CallbackState::default();
            let conn = remote
                .connect_auth(Direction::Fetch, Some(self.callbacks(&state)), None)
                .map_err(|e| self.connection_error(&e, &state))?;
            let list = conn.list().map_err(|e| self.remote_error(&e))?;
            list.iter()
                .map(|h| (h.name().to_string(), h.oid()))
                .collect()
        };
        let Some((name, oid)) = kind
            .candidates()
            .into_iter()
            .find_map(|c| advertised.iter().find(|(n, _)| *n == c).cloned())
        else {
            return Err(SourceError::GitRefNotFound {
                url: redact_url(&self.url),
                reference: self.reference.clone(),
                message: "no such branch or tag on the remote".into(),
            });
        };
        let refspec = format!("+{name}:{FETCHED_REF}");
        self.run_fetch(repo, &[refspec.as_str()], have_previous)?;
        Ok(oid)
    }

    /// Fetches a commit by SHA (unless it is already here).
    fn fetch_sha(
        &self,
        repo: &Repository,
        sha: &str,
        have_previous: bool,
    ) -> Result<Oid, SourceError> {
        let oid = Oid::from_str(sha).map_err(|e| SourceError::GitRefNotFound {
            url: redact_url(&self.url),
            reference: sha.to_string(),
            message: e.message().to_string(),
        })?;
        if repo.find_commit(oid).is_ok() {
            return Ok(oid);
        }
        let direct = format!("+{sha}:{FETCHED_REF}");
        match self.run_fetch(repo, &[direct.as_str()], have_previous) {
            Ok(()) => {}
            // Servers that refuse wants by object id: fetch the branches and tags.
            Err(SourceError::Git { .. }) => {
                self.run_fetch(
                    repo,
                    &[
                        "+refs/heads/*:refs/driftless/heads/*",
                        "+refs/tags/*:refs/driftless/tags/*",
                    ],
                    true,
                )?;
            }
            Err(e) => return Err(e),
        }
        if repo.find_commit(oid).is_err() {
            return Err(SourceError::GitRefNotFound {
                url: redact_url(&self.url),
                reference: sha.to_string(),
                message: "no such commit on the remote (it may have been removed by a force-push)"
                    .into(),
            });
        }
        Ok(oid)
    }

    fn run_fetch(
        &self,
        repo: &Repository,
        refspecs: &[&str],
        have_previous: bool,
    ) -> Result<(), SourceError> {
        let mut remote = repo
            .remote_anonymous(&self.url)
            .map_err(|e| self.remote_error(&e))?;
        let state = CallbackState::default();
        let mut opts = FetchOptions::new();
        opts.remote_callbacks(self.callbacks(&state));
        opts.download_tags(AutotagOption::None);
        // The local transport cannot fetch shallow. Over the network the first fetch is
        // shallow; later ones are incremental so ancestry (force-pushes) can be seen.
        if !is_local_url(&self.url) && !have_previous && repo.is_empty().unwrap_or(true) {
            opts.depth(1);
        }
        remote
            .fetch(refspecs, Some(&mut opts), None)
            .map_err(|e| self.connection_error(&e, &state))
    }

    fn callbacks<'a>(&'a self, state: &'a CallbackState) -> RemoteCallbacks<'a> {
        let mut cbs = RemoteCallbacks::new();
        let auth = &self.auth;
        let http = !is_ssh_url(&self.url) && !is_local_url(&self.url);
        let port = ssh_port(&self.url);
        let attempts = &state.attempts;
        cbs.credentials(move |_url, username_from_url, allowed| {
            attempts.set(attempts.get() + 1);
            if attempts.get() > 3 {
                return Err(auth_error("the credentials were refused"));
            }
            credentials(auth, http, username_from_url, allowed)
        });
        cbs.certificate_check(move |cert, host| match cert.as_hostkey() {
            // TLS: OpenSSL's verification against the system roots decides.
            None => Ok(CertificateCheckStatus::CertificatePassthrough),
            Some(hostkey) => check_host_key(auth, state, hostkey, host, port),
        });
        cbs
    }

    fn checkout(&self, repo: &Repository, commit: &git2::Commit<'_>) -> Result<(), SourceError> {
        let worktree = self.worktree_dir();
        let fresh = self.checkout_dir.join("worktree.new");
        if fresh.exists() {
            fs::remove_dir_all(&fresh).map_err(|e| self.local_error("clean", &e))?;
        }
        fs::create_dir_all(&fresh).map_err(|e| self.local_error("create", &e))?;
        let mut co = git2::build::CheckoutBuilder::new();
        co.target_dir(&fresh).force().update_index(false);
        repo.checkout_tree(commit.as_object(), Some(&mut co))
            .map_err(|e| SourceError::Git {
                url: redact_url(&self.url),
                message: format!("cannot check out {}: {}", commit.id(), e.message()),
            })?;
        if worktree.exists() {
            fs::remove_dir_all(&worktree).map_err(|e| self.local_error("clean", &e))?;
        }
        fs::rename(&fresh, &worktree).map_err(|e| self.local_error("replace", &e))
    }

    fn local_error(&self, what: &str, e: &std::io::Error) -> SourceError {
        SourceError::Git {
            url: redact_url(&self.url),
            message: format!(
                "cannot {what} the checkout folder {}: {e}",
                self.checkout_dir.display()
            ),
        }
    }

    /// Removes the raw URL and any secret from a libgit2 message.
    fn scrub(&self, message: &str) -> String {
        let mut m = message.replace(&self.url, &redact_url(&self.url));
        for secret in self.auth.secrets() {
            m = m.replace(secret, "***");
        }
        m
    }

    /// [`GitSource::remote_error`], with the reason the host key callback gave for a
    /// refusal (libgit2 reports its own generic message instead).
    fn connection_error(&self, e: &git2::Error, state: &CallbackState) -> SourceError {
        match state.host_key_refusal.borrow().as_deref() {
            Some(reason) if e.code() == ErrorCode::Certificate => SourceError::GitHostKey {
                url: redact_url(&self.url),
                message: self.scrub(reason),
            },
            _ => self.remote_error(e),
        }
    }

    fn remote_error(&self, e: &git2::Error) -> SourceError {
        let url = redact_url(&self.url);
        let message = self.scrub(e.message());
        let lower = message.to_ascii_lowercase();
        let ssh = is_ssh_url(&self.url);
        // libssh2 could not use the key file: missing, unreadable, not a key, or the
        // wrong passphrase (`failed to authenticate SSH session: Unable to extract
        // public key from private key: Unsupported private key format`).
        let key_file = ssh
            && ["private key", "key file", "key data", "passphrase"]
                .iter()
                .any(|m| lower.contains(m));
        if is_tls_certificate_error(e) {
            SourceError::GitTls { url, message }
        } else if e.code() == ErrorCode::Certificate
            || (e.class() == ErrorClass::Ssh && lower.contains("host key"))
        {
            SourceError::GitHostKey { url, message }
        } else if key_file {
            SourceError::GitAuth {
                url,
                message: format!(
                    "{message}; check that DRIFTLESS_GIT_SSH_KEY is a private key file \
                     libssh2 can read (OpenSSH or PEM format) and, if the key is encrypted, \
                     DRIFTLESS_GIT_SSH_KEY_PASSPHRASE"
                ),
            }
        } else if e.code() == ErrorCode::Auth
            || lower.contains("authentication")
            || lower.contains("401")
            || lower.contains("403")
        {
            let hint = if ssh {
                "check DRIFTLESS_GIT_SSH_KEY and that the key may read the repository"
            } else {
                "check DRIFTLESS_GIT_TOKEN / DRIFTLESS_GIT_TOKEN_FILE (and DRIFTLESS_GIT_USERNAME) \
                 and that the token may read the repository"
            };
            SourceError::GitAuth {
                url,
                message: format!("{message}; {hint}"),
            }
        } else if matches!(
            e.class(),
            ErrorClass::Net
                | ErrorClass::Os
                | ErrorClass::Ssh
                | ErrorClass::Http
                | ErrorClass::Ssl
                | ErrorClass::Repository
        ) || e.code() == ErrorCode::NotFound
        {
            SourceError::GitUnreachable { url, message }
        } else {
            SourceError::Git { url, message }
        }
    }
}

/// Whether `commit` does not descend from the previous revision (a force-push).
fn is_forced(repo: &Repository, previous: Option<&str>, commit: &git2::Commit<'_>) -> bool {
    match previous {
        Some(prev) if prev != commit.id().to_string() => match Oid::from_str(prev) {
            Ok(prev_oid) => !repo
                .graph_descendant_of(commit.id(), prev_oid)
                .unwrap_or(false),
            Err(_) => false,
        },
        _ => false,
    }
}

/// `Name <email>`, either part alone, or empty.
fn author_of(commit: &git2::Commit<'_>) -> String {
    let author = commit.author();
    let name = String::from_utf8_lossy(author.name_bytes())
        .trim()
        .to_string();
    let email = String::from_utf8_lossy(author.email_bytes())
        .trim()
        .to_string();
    match (name.is_empty(), email.is_empty()) {
        (false, false) => format!("{name} <{email}>"),
        (false, true) => name,
        (true, false) => format!("<{email}>"),
        (true, true) => String::new(),
    }
}

/// The commit message's first non-blank line, trimmed.
fn subject_of(commit: &git2::Commit<'_>) -> String {
    let full_message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    full_message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The credential libgit2 asks for: the ssh key, the https token, or a username; an
/// error saying what to configure when none fits.
fn credentials(
    auth: &GitAuth,
    http: bool,
    username_from_url: Option<&str>,
    allowed: CredentialType,
) -> Result<Cred, git2::Error> {
    if allowed.contains(CredentialType::SSH_KEY) {
        if let Some(key) = &auth.ssh_key {
            return Cred::ssh_key(
                username_from_url.unwrap_or("git"),
                None,
                key,
                auth.ssh_key_passphrase.as_deref(),
            );
        }
    }
    if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
        if let Some(token) = &auth.token {
            let user = auth.username.as_deref().unwrap_or("x-access-token");
            return Cred::userpass_plaintext(user, token);
        }
    }
    if allowed.contains(CredentialType::USERNAME) {
        return Cred::username(username_from_url.unwrap_or("git"));
    }
    // Over http(s) libgit2 presents the URL's user-info before asking here, so
    // reaching this with a user in the URL means those credentials were refused.
    if http && username_from_url.is_some() && allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
    {
        return Err(auth_error(
            "the credentials in the URL were refused (fix the user:password in the \
             URL, or remove it and set DRIFTLESS_GIT_TOKEN / DRIFTLESS_GIT_TOKEN_FILE)",
        ));
    }
    Err(auth_error(
        "the remote asks for credentials and none are configured \
         (DRIFTLESS_GIT_TOKEN / DRIFTLESS_GIT_TOKEN_FILE for https, \
         DRIFTLESS_GIT_SSH_KEY for ssh)",
    ))
}

/// An ssh host key against known_hosts (or any key, when the insecure flag is set); a
/// refusal's reason is kept in `state`, since libgit2 replaces it with its own.
fn check_host_key(
    auth: &GitAuth,
    state: &CallbackState,
    hostkey: &git2::cert::CertHostkey<'_>,
    host: &str,
    port: u16,
) -> Result<CertificateCheckStatus, git2::Error> {
    if auth.insecure_skip_host_key_check {
        return Ok(CertificateCheckStatus::CertificateOk);
    }
    // `[host]:port` as in known_hosts, for a port other than 22.
    let shown = if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    };
    let refused = |message: String| {
        // libgit2 replaces the message of a refusal with its own: keep ours.
        state.host_key_refusal.replace(Some(message.clone()));
        Err(host_key_error(message))
    };
    let (Some(key), Some(kind)) = (hostkey.hostkey(), hostkey.hostkey_type()) else {
        return refused(format!("host key of {shown} not available to check"));
    };
    let file = auth.known_hosts.clone().or_else(default_known_hosts);
    let text = file
        .as_ref()
        .and_then(|f| fs::read_to_string(f).ok())
        .unwrap_or_default();
    match check_known_host(&text, host, port, kind.name(), &base64_encode(key)) {
        HostKeyMatch::Known => Ok(CertificateCheckStatus::CertificateOk),
        HostKeyMatch::Changed => refused(format!(
            "the {} host key of {shown} differs from the one in {}: refusing \
             (possible man-in-the-middle; update the file if the key really changed)",
            kind.name(),
            display_opt(&file)
        )),
        HostKeyMatch::Unknown => {
            let scan = if port == 22 {
                format!("ssh-keyscan {host}")
            } else {
                format!("ssh-keyscan -p {port} {host}")
            };
            refused(format!(
                "unknown ssh host {shown}: no {} key for it in {} (add it with \
                 `{scan} >> FILE` and set DRIFTLESS_GIT_KNOWN_HOSTS=FILE)",
                kind.name(),
                display_opt(&file)
            ))
        }
    }
}

/// libgit2's TLS (OpenSSL) certificate failures: an untrusted or expired certificate
/// (`the SSL certificate is invalid`; the code is generic once the certificate callback
/// passes through), a host name mismatch, or a missing certificate.
fn is_tls_certificate_error(e: &git2::Error) -> bool {
    e.class() == ErrorClass::Ssl
        && (e.code() == ErrorCode::Certificate
            || e.message().to_ascii_lowercase().contains("certificate"))
}

fn auth_error(message: &str) -> git2::Error {
    git2::Error::new(ErrorCode::Auth, ErrorClass::Callback, message)
}

fn host_key_error(message: String) -> git2::Error {
    git2::Error::new(ErrorCode::Certificate, ErrorClass::Ssh, message)
}

fn default_known_hosts() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ssh/known_hosts"))
}

fn display_opt(file: &Option<PathBuf>) -> String {
    match file {
        Some(f) => f.display().to_string(),
        None => "known_hosts (no DRIFTLESS_GIT_KNOWN_HOSTS and no HOME)".into(),
    }
}

/// The outcome of looking a host key up in a known_hosts file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyMatch {
    /// The host is listed with this very key.
    Known,
    /// The host is listed with this key type but another key.
    Changed,
    /// The host is not listed with this key type.
    Unknown,
}

/// Looks `host` on `port` with a `key_type` key (base64 `key`) up in known_hosts
/// `text`. As for OpenSSH, a plain `name` pattern is the host on port 22 and
/// `[name]:port` the host on that port; hashed entries, wildcards and `@revoked` /
/// `@cert-authority` markers are not supported (such lines never match).
pub fn check_known_host(
    text: &str,
    host: &str,
    port: u16,
    key_type: &str,
    key: &str,
) -> HostKeyMatch {
    let mut result = HostKeyMatch::Unknown;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(hosts), Some(kind), Some(k)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let host_matches = hosts.split(',').any(|pattern| {
            let (name, pattern_port) = match pattern.strip_prefix('[') {
                Some(rest) => match rest.split_once("]:") {
                    Some((name, p)) => (name, p.parse::<u16>().ok()),
                    None => (rest.trim_end_matches(']'), Some(22)),
                },
                None => (pattern, Some(22)),
            };
            pattern_port == Some(port) && name.eq_ignore_ascii_case(host)
        });
        if !host_matches || kind != key_type {
            continue;
        }
        if k == key {
            return HostKeyMatch::Known;
        }
        result = HostKeyMatch::Changed;
    }
    result
}

/// Standard base64 with padding (known_hosts' encoding of keys; tests use it for
/// `Authorization: Basic`).
pub fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_and_tokens() {
        assert_eq!(
            redact_url("https://user:s3cret@example.com/org/repo.git"),
            "https://user:***@example.com/org/repo.git"
        );
        assert_eq!(
            redact_url("https://ghp_abcdef@github.com/org/repo"),
            "https://***@github.com/org/repo"
        );
        assert_eq!(
            redact_url("ssh://git@example.com/org/repo"),
            "ssh://git@example.com/org/repo"
        );
        assert_eq!(
            redact_url("git@github.com:org/repo.git"),
            "git@github.com:org/repo.git"
        );
        assert_eq!(
            redact_url("https://example.com/a@b"),
            "https://example.com/a@b"
        );
        assert_eq!(redact_url("file:///tmp/repo"), "file:///tmp/repo");
    }

    #[test]
    fn classifies_refs() {
        let sha = "0123456789abcdef0123456789ABCDEF01234567";
        assert_eq!(classify_ref(sha), RefKind::Sha(sha.to_ascii_lowercase()));
        assert_eq!(classify_ref("main"), RefKind::Short("main".into()));
        assert_eq!(classify_ref("v1.2.0"), RefKind::Short("v1.2.0".into()));
        assert_eq!(classify_ref("0123abc"), RefKind::Short("0123abc".into()));
        assert_eq!(
            classify_ref("refs/pull/7/head"),
            RefKind::Full("refs/pull/7/head".into())
        );
        assert_eq!(
            RefKind::Short("x".into()).candidates(),
            vec!["refs/heads/x".to_string(), "refs/tags/x".to_string()]
        );
    }

    #[test]
    fn local_urls() {
        assert!(is_local_url("file:///tmp/repo"));
        assert!(is_local_url("/tmp/repo"));
        assert!(is_local_url("./repo"));
        assert!(is_local_url("repo"));
        assert!(!is_local_url("https://example.com/repo"));
        assert!(!is_local_url("ssh://git@example.com/repo"));
        assert!(!is_local_url("git@github.com:org/repo.git"));
        assert!(is_ssh_url("git@github.com:org/repo.git"));
        assert!(!is_ssh_url("https://example.com/repo"));
    }

    #[test]
    fn debug_redacts_secrets() {
        let auth = GitAuth::from_vars(|name| match name {
            "DRIFTLESS_GIT_TOKEN" => Some("tok-very-secret".into()),
            "DRIFTLESS_GIT_SSH_KEY" => Some("/keys/id".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(auth.token.as_deref(), Some("tok-very-secret"));
        let src = GitSource {
            url: "https://u:pw-secret@example.com/r".into(),
            reference: "main".into(),
            path: None,
            checkout_dir: "/state/source".into(),
            auth,
        };
        let debug = format!("{src:?}");
        assert!(!debug.contains("tok-very-secret"), "{debug}");
        assert!(!debug.contains("pw-secret"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert_eq!(
            src.scrub("failed for https://u:pw-secret@example.com/r with tok-very-secret"),
            "failed for https://u:***@example.com/r with ***"
        );
    }

    #[test]
    fn token_file_and_insecure_flag() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        fs::write(&file, "from-file\n").unwrap();
        let f = file.to_string_lossy().into_owned();
        let auth = GitAuth::from_vars(|name| match name {
            "DRIFTLESS_GIT_TOKEN_FILE" => Some(f.clone()),
            "DRIFTLESS_GIT_INSECURE_SKIP_HOST_KEY_CHECK" => Some("1".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(auth.token.as_deref(), Some("from-file"));
        assert!(auth.insecure_skip_host_key_check);
        let missing = GitAuth::from_vars(|name| {
            (name == "DRIFTLESS_GIT_TOKEN_FILE").then(|| "/nonexistent/token".to_string())
        });
        assert!(missing.is_err());
    }

    #[test]
    fn known_hosts_lookup() {
        let text = "# comment\n\
                    github.com,140.82.112.3 ssh-ed25519 AAAAkey1\n\
                    [git.example.com]:2222 ssh-rsa AAAArsa\n\
                    |1|hashed|entry ssh-ed25519 AAAAkey2\n";
        assert_eq!(
            check_known_host(text, "github.com", 22, "ssh-ed25519", "AAAAkey1"),
            HostKeyMatch::Known
        );
        assert_eq!(
            check_known_host(text, "GitHub.com", 22, "ssh-ed25519", "AAAAother"),
            HostKeyMatch::Changed
        );
        assert_eq!(
            check_known_host(text, "github.com", 22, "ssh-rsa", "AAAAkey1"),
            HostKeyMatch::Unknown
        );
        assert_eq!(
            check_known_host(text, "git.example.com", 2222, "ssh-rsa", "AAAArsa"),
            HostKeyMatch::Known
        );
        assert_eq!(
            check_known_host(text, "evil.example.com", 22, "ssh-ed25519", "AAAAkey2"),
            HostKeyMatch::Unknown
        );
    }

    #[test]
    fn known_hosts_entries_are_per_port() {
        // As for OpenSSH: `name` is port 22 only, `[name]:port` that port only, so a
        // key trusted for one port does not vouch for another (found over real ssh).
        let text = "[127.0.0.1]:2222 ssh-ed25519 AAAAkey\n\
                    git.example.com ssh-ed25519 AAAAplain\n\
                    [git.example.com]:22 ssh-rsa AAAArsa22\n";
        let check = |host, port, kind, key| check_known_host(text, host, port, kind, key);
        assert_eq!(
            check("127.0.0.1", 2222, "ssh-ed25519", "AAAAkey"),
            HostKeyMatch::Known
        );
        for port in [22, 2223] {
            assert_eq!(
                check("127.0.0.1", port, "ssh-ed25519", "AAAAkey"),
                HostKeyMatch::Unknown,
                "{port}"
            );
        }
        assert_eq!(
            check("git.example.com", 22, "ssh-ed25519", "AAAAplain"),
            HostKeyMatch::Known
        );
        assert_eq!(
            check("git.example.com", 2222, "ssh-ed25519", "AAAAplain"),
            HostKeyMatch::Unknown
        );
        assert_eq!(
            check("git.example.com", 22, "ssh-rsa", "AAAArsa22"),
            HostKeyMatch::Known
        );
    }

    #[test]
    fn ssh_ports() {
        assert_eq!(ssh_port("ssh://git@127.0.0.1:2222/repo.git"), 2222);
        assert_eq!(ssh_port("ssh://127.0.0.1:2222/repo.git"), 2222);
        assert_eq!(ssh_port("git+ssh://git@host.example:29418/r"), 29418);
        assert_eq!(ssh_port("ssh://git@[::1]:2222/repo.git"), 2222);
        assert_eq!(ssh_port("ssh://git@[::1]/repo.git"), 22);
        assert_eq!(ssh_port("ssh://git@github.com/org/repo.git"), 22);
        assert_eq!(ssh_port("ssh://git@github.com"), 22);
        assert_eq!(ssh_port("git@github.com:org/repo.git"), 22);
        assert_eq!(
            ssh_port("git@127.0.0.1:2222/repo.git"),
            22,
            "scp-style: a path"
        );
    }

    #[test]
    fn host_key_refusals_keep_their_reason() {
        let src = GitSource {
            url: "ssh://git@127.0.0.1:2222/repo.git".into(),
            reference: "main".into(),
            path: None,
            checkout_dir: "/state/source".into(),
            auth: GitAuth::default(),
        };
        // What libgit2 returns after the callback refused: its own message.
        let libgit2 = git2::Error::new(
            ErrorCode::Certificate,
            ErrorClass::Ssh,
            "invalid or unknown remote ssh hostkey",
        );
        let state = CallbackState::default();
        let err = src.connection_error(&libgit2, &state);
        assert!(
            matches!(&err, SourceError::GitHostKey { message, .. }
                if message == "invalid or unknown remote ssh hostkey"),
            "{err:?}"
        );
        state
            .host_key_refusal
            .replace(Some("unknown ssh host [127.0.0.1]:2222: add it".into()));
        let err = src.connection_error(&libgit2, &state);
        assert!(
            matches!(&err, SourceError::GitHostKey { message, .. }
                if message == "unknown ssh host [127.0.0.1]:2222: add it"),
            "{err:?}"
        );
        // Other errors of the same connection are not affected.
        let other = git2::Error::new(ErrorCode::GenericError, ErrorClass::Net, "timed out");
        let err = src.connection_error(&other, &state);
        assert!(matches!(err, SourceError::GitUnreachable { .. }), "{err:?}");
    }

    #[test]
    fn unusable_ssh_key_files_are_auth_errors() {
        let src = GitSource {
            url: "ssh://git@git.example.com/repo.git".into(),
            reference: "main".into(),
            path: None,
            checkout_dir: "/state/source".into(),
            auth: GitAuth {
                ssh_key_passphrase: Some("phrase-secret-7".into()),
                ..GitAuth::default()
            },
        };
        // What libgit2 reports (class Ssh, generic code) for a wrong passphrase, a
        // file that is not a key, a missing file.
        for message in [
            "failed to authenticate SSH session: Unable to extract public key from \
             private key: Unsupported private key format",
            "failed to authenticate SSH session: Wrong passphrase or invalid/unrecognized \
             private key file format phrase-secret-7",
            "failed to authenticate SSH session: Unable to open private key file",
        ] {
            let err = src.remote_error(&git2::Error::new(
                ErrorCode::GenericError,
                ErrorClass::Ssh,
                message,
            ));
            let text = err.to_string();
            assert!(matches!(err, SourceError::GitAuth { .. }), "{err:?}");
            assert!(text.contains("DRIFTLESS_GIT_SSH_KEY_PASSPHRASE"), "{text}");
            assert!(!text.contains("phrase-secret-7"), "{text}");
        }
        // A network failure stays one.
        let err = src.remote_error(&git2::Error::new(
            ErrorCode::GenericError,
            ErrorClass::Ssh,
            "failed to start SSH session: Failed getting banner",
        ));
        assert!(matches!(err, SourceError::GitUnreachable { .. }), "{err:?}");
    }

    #[test]
    fn tls_certificate_errors_say_what_to_do() {
        let src = GitSource {
            url: "https://x-access-token:tok-secret-1@git.example.com/r.git".into(),
            reference: "main".into(),
            path: None,
            checkout_dir: "/state/source".into(),
            auth: GitAuth::default(),
        };
        let classify =
            |code, class, message| src.remote_error(&git2::Error::new(code, class, message));
        // What libgit2 reports over OpenSSL: an untrusted certificate (generic code after
        // the certificate callback passes through), a wrong host name, no certificate.
        for (code, message) in [
            (ErrorCode::GenericError, "the SSL certificate is invalid"),
            (ErrorCode::Certificate, "the SSL certificate is invalid"),
            (
                ErrorCode::Certificate,
                "hostname does not match certificate",
            ),
            (
                ErrorCode::GenericError,
                "the server did not provide a certificate",
            ),
        ] {
            let err = classify(code, ErrorClass::Ssl, message);
            assert!(matches!(err, SourceError::GitTls { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains("TLS certificate check failed"), "{text}");
            assert!(text.contains(message), "{text}");
            assert!(text.contains("SSL_CERT_FILE"), "{text}");
            assert!(!text.contains("ssh host key"), "{text}");
            assert!(!text.contains("tok-secret-1"), "{text}");
            assert!(text.starts_with("https://x-access-token:***@git.example.com/r.git: "));
        }
        // Not certificate problems: unchanged.
        let err = classify(
            ErrorCode::GenericError,
            ErrorClass::Ssl,
            "SSL error: syscall failure",
        );
        assert!(matches!(err, SourceError::GitUnreachable { .. }), "{err:?}");
        let err = classify(
            ErrorCode::Certificate,
            ErrorClass::Ssh,
            "unknown ssh host git.example.com",
        );
        assert!(matches!(err, SourceError::GitHostKey { .. }), "{err:?}");
        let err = classify(ErrorCode::Auth, ErrorClass::Http, "authentication required");
        assert!(matches!(err, SourceError::GitAuth { .. }), "{err:?}");
    }

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    }
}
