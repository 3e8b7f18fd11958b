//! The git source against real repositories made with the `git` CLI in temp dirs,
//! served as `file://` URLs and plain paths (no network).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use driftless::source::git::{GitAuth, GitRevision, GitSource};
use driftless::source::SourceError;

/// An upstream repository with a working tree.
/// Runs the git CLI in `dir` with no system or user config, no credential prompts,
/// and fixed dates; its trimmed output.
pub(crate) fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_DATE", "2024-05-01T12:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-05-01T12:00:00Z")
        .args([
            "-c",
            "user.name=Ada Lovelace",
            "-c",
            "user.email=ada@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            "-c",
            "credential.helper=",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

struct Upstream {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Upstream {
    fn new() -> Upstream {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("upstream");
        fs::create_dir_all(&dir).unwrap();
        let up = Upstream { _tmp: tmp, dir };
        up.git(&["init", "-q", "-b", "main"]);
        up
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(&self.dir, args)
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.dir.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// Stages everything and commits; returns the SHA.
    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn file_url(&self) -> String {
        format!("file://{}", self.dir.display())
    }
}

fn source(url: &str, reference: &str, path: Option<&str>, state: &Path) -> GitSource {
    GitSource {
        url: url.to_string(),
        reference: reference.to_string(),
        path: path.map(str::to_string),
        checkout_dir: state.join("source"),
        auth: GitAuth::default(),
    }
}

/// Every file of a checked-out revision, relative and sorted.
pub(crate) fn files(rev: &GitRevision) -> Vec<String> {
    let mut out = Vec::new();
    collect(&rev.dir, "", &mut out);
    out.sort();
    out
}

fn collect(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type().unwrap().is_dir() {
            collect(&entry.path(), &rel, out);
        } else {
            out.push(rel);
        }
    }
}

/// One file of a checked-out revision.
pub(crate) fn read(rev: &GitRevision, relative: &str) -> String {
    fs::read_to_string(rev.dir.join(relative)).unwrap()
}

#[test]
fn fetches_a_branch_then_a_new_commit() {
    let up = Upstream::new();
    up.write("a.yaml", "one: 1\n");
    up.write("ops/b.yaml", "two: 2\n");
    let first = up.commit("First commit\n\nWith a body.");
    let state = tempfile::tempdir().unwrap();
    let src = source(&up.file_url(), "main", None, state.path());

    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, first);
    assert_eq!(rev.author, "Ada Lovelace <ada@example.com>");
    assert_eq!(rev.message, "First commit");
    assert_eq!(rev.time_unix, 1_714_564_800);
    assert_eq!(rev.previous, None);
    assert!(!rev.forced);
    assert_eq!(files(&rev), ["a.yaml", "ops/b.yaml"]);
    assert_eq!(src.last_revision().as_deref(), Some(first.as_str()));

    // Same commit again: same answer.
    let again = src.fetch().unwrap();
    assert_eq!(again.sha, first);
    assert!(!again.forced);

    up.write("a.yaml", "one: 11\n");
    fs::remove_file(up.dir.join("ops/b.yaml")).unwrap();
    up.write("c.yaml", "three: 3\n");
    let second = up.commit("Second");
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, second);
    assert_ne!(second, first);
    assert_eq!(rev.message, "Second");
    assert_eq!(rev.previous.as_deref(), Some(first.as_str()));
    assert!(!rev.forced, "a fast-forward is not forced");
    assert_eq!(files(&rev), ["a.yaml", "c.yaml"], "stale files removed");
    assert_eq!(read(&rev, "a.yaml"), "one: 11\n");
}

#[test]
fn plain_path_and_default_branch_name() {
    let up = Upstream::new();
    up.git(&["checkout", "-q", "-b", "release"]);
    up.write("x.yaml", "x: 1\n");
    let sha = up.commit("on release");
    let state = tempfile::tempdir().unwrap();
    let src = source(&up.dir.display().to_string(), "release", None, state.path());
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, sha);
    assert_eq!(files(&rev), ["x.yaml"]);
}

#[test]
fn fetches_tags_and_shas() {
    let up = Upstream::new();
    up.write("a.yaml", "v: 1\n");
    let v1 = up.commit("v1");
    up.git(&["tag", "-a", "v1.0.0", "-m", "release 1"]);
    up.git(&["tag", "light", &v1]);
    up.write("a.yaml", "v: 2\n");
    let v2 = up.commit("v2");

    let state = tempfile::tempdir().unwrap();
    let rev = source(&up.file_url(), "v1.0.0", None, state.path())
        .fetch()
        .unwrap();
    assert_eq!(rev.sha, v1, "annotated tag peeled to its commit");
    assert_eq!(read(&rev, "a.yaml"), "v: 1\n");

    let state = tempfile::tempdir().unwrap();
    let rev = source(&up.file_url(), "light", None, state.path())
        .fetch()
        .unwrap();
    assert_eq!(rev.sha, v1);

    let state = tempfile::tempdir().unwrap();
    let rev = source(&up.file_url(), "refs/tags/v1.0.0", None, state.path())
        .fetch()
        .unwrap();
    assert_eq!(rev.sha, v1);

    // A full SHA, not the tip of any branch.
    let state = tempfile::tempdir().unwrap();
    let src = source(&up.file_url(), &v1, None, state.path());
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, v1);
    assert_eq!(read(&rev, "a.yaml"), "v: 1\n");
    // Uppercase works too, and a second fetch reuses the local object.
    let src = source(&up.file_url(), &v2.to_uppercase(), None, state.path());
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, v2);
    assert_eq!(read(&rev, "a.yaml"), "v: 2\n");
    assert!(!rev.forced);
}

#[test]
fn unknown_sha_is_an_error() {
    let up = Upstream::new();
    up.write("a.yaml", "v: 1\n");
    up.commit("v1");
    let state = tempfile::tempdir().unwrap();
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let err = source(&up.file_url(), missing, None, state.path())
        .fetch()
        .unwrap_err();
    assert!(
        matches!(
            err,
            SourceError::GitRefNotFound { .. } | SourceError::Git { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(missing), "{err}");
}

#[test]
fn reads_a_subfolder_and_refuses_a_missing_one() {
    let up = Upstream::new();
    up.write("README.yaml", "not: a spec\n");
    up.write("ops/backup/daily.yaml", "a: 1\n");
    up.write("ops/top.yaml", "b: 2\n");
    let sha = up.commit("layout");
    let state = tempfile::tempdir().unwrap();

    let src = source(&up.file_url(), "main", Some("ops"), state.path());
    let rev = src.fetch().unwrap();
    assert!(rev.dir.ends_with("ops"), "{}", rev.dir.display());
    assert_eq!(files(&rev), ["backup/daily.yaml", "top.yaml"]);
    let snap = src.snapshot(&rev).unwrap();
    assert_eq!(snap.revision, sha);
    let rel: Vec<_> = snap.files.iter().map(|f| f.relative.as_str()).collect();
    assert_eq!(rel, ["backup/daily.yaml", "top.yaml"]);
    assert_eq!(snap.files[1].display, "ops/top.yaml");

    let missing = source(&up.file_url(), "main", Some("nope"), state.path());
    let err = missing.fetch().unwrap_err();
    assert!(
        matches!(err, SourceError::GitPathNotFound { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("nope") && msg.contains(&sha), "{msg}");
    // A file is not a folder; `..` cannot leave the checkout.
    for bad in ["README.yaml", "../x", "/etc"] {
        let err = source(&up.file_url(), "main", Some(bad), state.path())
            .fetch()
            .unwrap_err();
        assert!(
            matches!(err, SourceError::GitPathNotFound { .. }),
            "{bad}: {err:?}"
        );
    }
    // The last good revision is kept.
    assert_eq!(src.last_revision().as_deref(), Some(sha.as_str()));
    assert!(state.path().join("source/worktree/ops/top.yaml").is_file());
}

#[test]
fn force_push_is_reported_and_yields_the_new_commit() {
    let up = Upstream::new();
    up.write("a.yaml", "base: 1\n");
    let base = up.commit("base");
    up.write("a.yaml", "old: 1\n");
    let old = up.commit("old tip");
    let state = tempfile::tempdir().unwrap();
    let src = source(&up.file_url(), "main", None, state.path());
    assert_eq!(src.fetch().unwrap().sha, old);

    up.git(&["reset", "-q", "--hard", &base]);
    up.write("a.yaml", "rewritten: 1\n");
    let new = up.commit("rewritten tip");
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, new);
    assert_eq!(rev.previous.as_deref(), Some(old.as_str()));
    assert!(rev.forced);
    assert_eq!(read(&rev, "a.yaml"), "rewritten: 1\n");

    // The next ordinary commit on top is not forced.
    up.write("b.yaml", "b: 1\n");
    let next = up.commit("next");
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, next);
    assert!(!rev.forced);
}

#[test]
fn deleted_branch_is_an_error_that_keeps_the_last_revision() {
    let up = Upstream::new();
    up.write("a.yaml", "a: 1\n");
    up.commit("base");
    up.git(&["checkout", "-q", "-b", "feature"]);
    up.write("f.yaml", "f: 1\n");
    let feature = up.commit("feature work");
    let state = tempfile::tempdir().unwrap();
    let src = source(&up.file_url(), "feature", None, state.path());
    assert_eq!(src.fetch().unwrap().sha, feature);

    up.git(&["checkout", "-q", "main"]);
    up.git(&["branch", "-q", "-D", "feature"]);
    let err = src.fetch().unwrap_err();
    assert!(matches!(err, SourceError::GitRefNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("feature"), "{err}");
    assert_eq!(src.last_revision().as_deref(), Some(feature.as_str()));
    assert!(state.path().join("source/worktree/f.yaml").is_file());

    let never = source(&up.file_url(), "no-such-branch", None, state.path());
    let err = never.fetch().unwrap_err();
    assert!(err.to_string().contains("no-such-branch"), "{err}");
}

#[test]
fn unreachable_remote_is_an_error_that_keeps_the_last_revision() {
    let state = tempfile::tempdir().unwrap();
    let err = source(
        "file:///nonexistent/driftless-repo",
        "main",
        None,
        state.path(),
    )
    .fetch()
    .unwrap_err();
    assert!(matches!(err, SourceError::GitUnreachable { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/driftless-repo"),
        "{err}"
    );

    // A remote that worked, then went away.
    let up = Upstream::new();
    up.write("a.yaml", "a: 1\n");
    let sha = up.commit("base");
    let src = source(&up.file_url(), "main", None, state.path());
    src.fetch().unwrap();
    let moved = up.dir.with_file_name("moved");
    fs::rename(&up.dir, &moved).unwrap();
    let err = src.fetch().unwrap_err();
    assert!(matches!(err, SourceError::GitUnreachable { .. }), "{err:?}");
    assert_eq!(src.last_revision().as_deref(), Some(sha.as_str()));
    assert!(state.path().join("source/worktree/a.yaml").is_file());
    fs::rename(&moved, &up.dir).unwrap();
}

#[test]
fn errors_and_debug_never_show_credentials() {
    let state = tempfile::tempdir().unwrap();
    let mut src = source(
        "https://user:hunter2-secret@127.0.0.1:9/org/repo.git",
        "main",
        None,
        state.path(),
    );
    src.auth = GitAuth {
        token: Some("tok-secret-value".into()),
        ..GitAuth::default()
    };
    let debug = format!("{src:?}");
    assert!(!debug.contains("hunter2-secret") && !debug.contains("tok-secret-value"));
    // Port 9 (discard) on localhost: refused at once, no outside network.
    let err = src.fetch().unwrap_err();
    let msg = format!("{err} {err:?}");
    assert!(!msg.contains("hunter2-secret"), "{msg}");
    assert!(!msg.contains("tok-secret-value"), "{msg}");
    assert!(
        msg.contains("https://user:***@127.0.0.1:9/org/repo.git"),
        "{msg}"
    );
}

#[test]
fn snapshot_of_a_quickstart_spec_validates() {
    let quickstart = crate::support::repo_root().join("examples/quickstart/backup/daily.yaml");
    let up = Upstream::new();
    up.write(
        "ops/backup/daily.yaml",
        &fs::read_to_string(quickstart).unwrap(),
    );
    up.write("docs/notes.md", "not read\n");
    let sha = up.commit("add the daily backup");
    let state = tempfile::tempdir().unwrap();
    let src = source(&up.file_url(), "main", Some("ops"), state.path());
    let rev = src.fetch().unwrap();
    let snap = src.snapshot(&rev).unwrap();
    assert_eq!(snap.revision, sha);
    assert!(snap.diagnostics.is_empty(), "{:?}", snap.diagnostics);
    assert_eq!(snap.files.len(), 1);
    if let Err(diags) = driftless::spec::parse(&snap.files) {
        panic!("{diags:?}");
    }
}
