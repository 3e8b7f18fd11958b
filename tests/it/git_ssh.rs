//! The git source over ssh, for real: a bare repository served by the real
//! `git-upload-pack` behind a small SSH server on loopback (`tests/git_ssh/server.py`,
//! paramiko, run with the emulator's pinned venv) that accepts one user with one
//! public key and nothing else, and logs what it was asked.
//!
//! Keys are made per test with `ssh-keygen`; the known_hosts file is written by the
//! test (`[127.0.0.1]:PORT ssh-ed25519 ...`, or by the `ssh-keyscan` the error message
//! suggests). libgit2 talks to the server through its vendored libssh2, exactly as it
//! would to GitHub: host key check first, then public-key auth, then
//! `git-upload-pack '/repo.git'`.
//!
//! scp-style URLs (`git@127.0.0.1:repo.git`) cannot carry a port, so they would go to
//! port 22, where nothing listens here: only how they are parsed is tested.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use driftless::source::git::{is_local_url, redact_url, GitAuth, GitSource};
use driftless::source::SourceError;

use crate::git_source::{files, git_in as git, read};
use crate::support::repo_root;
use crate::support::venv_python;

const USER: &str = "git";
const PASSPHRASE: &str = "pass-phrase-6b1e4f";

/// Runs `ssh-keygen` with `args`; panics with its stderr on failure.
fn ssh_keygen(args: &[&str]) {
    let out = Command::new("ssh-keygen")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("ssh-keygen runs");
    assert!(
        out.status.success(),
        "ssh-keygen {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PEM RSA key pair `dir/NAME` and `dir/NAME.pub` (the classic format every libssh2
/// reads), without a passphrase.
fn rsa_key(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(name);
    let k = key.to_str().unwrap();
    ssh_keygen(&[
        "-q", "-m", "PEM", "-t", "rsa", "-b", "2048", "-N", "", "-C", name, "-f", k,
    ]);
    key
}

/// An ed25519 key pair in OpenSSH's own format (ssh-keygen's default), with an
/// optional passphrase.
fn ed25519_key(dir: &Path, name: &str, passphrase: &str) -> PathBuf {
    let key = dir.join(name);
    let k = key.to_str().unwrap();
    ssh_keygen(&["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", k]);
    key
}

/// `TYPE BASE64` of a `.pub` file (without the comment).
fn public_key(key: &Path) -> String {
    let text = fs::read_to_string(key.with_extension("pub")).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    format!("{} {}", fields[0], fields[1])
}

/// The SSH server, alive as long as this value: it exits when its stdin is closed.
struct SshServer {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    log: PathBuf,
    stderr: PathBuf,
}

impl SshServer {
    /// Serves the repositories under `root` to `USER` holding a key listed in
    /// `authorized` (a `.pub` / authorized_keys file), with the host key `host_key`.
    fn start(dir: &Path, root: &Path, host_key: &Path, authorized: &Path) -> SshServer {
        let log = dir.join("server.log");
        let stderr = dir.join("server.stderr");
        let mut child = Command::new(venv_python())
            .arg(repo_root().join("tests/git_ssh/server.py"))
            .arg("--host-key")
            .arg(host_key)
            .arg("--authorized-key")
            .arg(authorized)
            .arg("--root")
            .arg(root)
            .args(["--user", USER])
            .arg("--log")
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("the venv python runs");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the ssh test server printed no port ({line:?}): {}",
                fs::read_to_string(&stderr).unwrap_or_default()
            )
        });
        SshServer {
            child,
            stdin,
            port,
            log,
            stderr,
        }
    }

    fn url(&self) -> String {
        format!("ssh://{USER}@127.0.0.1:{}/repo.git", self.port)
    }

    /// The server's event log (`auth ...`, `exec ...`, `exit N`), one event a line.
    fn events(&self) -> Vec<String> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn execs(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter(|e| e.starts_with("exec "))
            .collect()
    }

    /// Events and stderr, for assertion messages.
    fn report(&self) -> String {
        format!(
            "--- events ---\n{}\n--- server stderr ---\n{}",
            self.events().join("\n"),
            fs::read_to_string(&self.stderr).unwrap_or_default()
        )
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        // EOF on its stdin ends the server; kill it anyway should it hang.
        drop(self.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A working repository whose `main` is pushed to a bare `repo.git` that an
/// [`SshServer`] serves, with an ed25519 host key and a PEM RSA client key (`client`)
/// authorized.
struct Fixture {
    tmp: tempfile::TempDir,
    work: PathBuf,
    bare: PathBuf,
    keys: PathBuf,
    host_key: PathBuf,
    client_key: PathBuf,
    server: SshServer,
}

impl Fixture {
    /// A served repository with `a.yaml` and `ops/b.yaml` in one commit on `main`;
    /// `extra_authorized` are more public keys (files) the server accepts.
    fn new(extra_authorized: &[&Path]) -> (Fixture, String) {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        let root = tmp.path().join("served");
        let keys = tmp.path().join("keys");
        for d in [&work, &root, &keys] {
            fs::create_dir_all(d).unwrap();
        }
        git(&work, &["init", "-q", "-b", "main"]);
        fs::write(work.join("a.yaml"), "one: 1\n").unwrap();
        fs::create_dir_all(work.join("ops")).unwrap();
        fs::write(work.join("ops/b.yaml"), "two: 2\n").unwrap();
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "First over ssh"]);
        let sha = git(&work, &["rev-parse", "HEAD"]);
        git(
            tmp.path(),
            &["clone", "-q", "--bare", "work", "served/repo.git"],
        );

        let host_key = ed25519_key(&keys, "host", "");
        let client_key = rsa_key(&keys, "client");
        let mut authorized = vec![public_key(&client_key)];
        authorized.extend(extra_authorized.iter().map(|k| public_key(k)));
        let authorized_file = keys.join("authorized_keys");
        fs::write(&authorized_file, authorized.join("\n") + "\n").unwrap();
        let server = SshServer::start(tmp.path(), &root, &host_key, &authorized_file);
        (
            Fixture {
                bare: root.join("repo.git"),
                tmp,
                work,
                keys,
                host_key,
                client_key,
                server,
            },
            sha,
        )
    }

    /// A known_hosts file `NAME` holding `lines`.
    fn known_hosts(&self, name: &str, lines: &[String]) -> PathBuf {
        let file = self.keys.join(name);
        fs::write(&file, lines.join("\n") + "\n").unwrap();
        file
    }

    /// The known_hosts line for this server: `[127.0.0.1]:PORT ssh-ed25519 ...`.
    fn host_line(&self) -> String {
        format!(
            "[127.0.0.1]:{} {}",
            self.server.port,
            public_key(&self.host_key)
        )
    }

    /// Commits `a.yaml` with `text` and pushes `main` to the served repository (a local
    /// push: the server only serves fetches); returns the SHA.
    fn push_change(&self, text: &str, message: &str) -> String {
        fs::write(self.work.join("a.yaml"), text).unwrap();
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "-q", "-m", message]);
        let bare = self.bare.to_str().unwrap();
        git(&self.work, &["push", "-q", bare, "main:main"]);
        git(&self.work, &["rev-parse", "HEAD"])
    }

    /// A source of the served `main` checked out under `state/NAME`.
    fn source(&self, name: &str, auth: GitAuth) -> GitSource {
        GitSource {
            url: self.server.url(),
            reference: "main".into(),
            path: None,
            checkout_dir: self.tmp.path().join("state").join(name),
            auth,
        }
    }
}

/// `GitAuth` from these `DRIFTLESS_GIT_*` variables only (the process environment is
/// never read or changed).
fn auth(vars: &[(&str, &Path)]) -> GitAuth {
    auth_with(vars, None)
}

fn auth_with(vars: &[(&str, &Path)], passphrase: Option<&str>) -> GitAuth {
    GitAuth::from_vars(|name| {
        if name == "DRIFTLESS_GIT_SSH_KEY_PASSPHRASE" {
            return passphrase.map(str::to_string);
        }
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p.to_str().unwrap().to_string())
    })
    .unwrap()
}

/// Display and Debug of an error.
fn shown(err: &SourceError) -> String {
    format!("{err}\n{err:?}")
}

#[test]
fn key_and_known_host_fetch_over_ssh() {
    let (fx, first) = Fixture::new(&[]);
    let known = fx.known_hosts("known_hosts", &[fx.host_line()]);
    let src = fx.source(
        "main",
        auth(&[
            ("DRIFTLESS_GIT_SSH_KEY", &fx.client_key),
            ("DRIFTLESS_GIT_KNOWN_HOSTS", &known),
        ]),
    );

    let rev = src
        .fetch()
        .unwrap_or_else(|e| panic!("{e}\n{}", fx.server.report()));
    assert_eq!(rev.sha, first);
    assert_eq!(rev.message, "First over ssh");
    assert_eq!(rev.author, "Ada Lovelace <ada@example.com>");
    assert_eq!(rev.previous, None);
    assert!(!rev.forced);
    assert_eq!(files(&rev), ["a.yaml", "ops/b.yaml"]);
    assert_eq!(read(&rev, "a.yaml"), "one: 1\n");
    assert_eq!(read(&rev, "ops/b.yaml"), "two: 2\n");
    assert_eq!(src.last_revision().as_deref(), Some(first.as_str()));
    assert_eq!(src.snapshot(&rev).unwrap().revision, first);
    // First fetch over the network is shallow (depth 1).
    let shallow = fs::read_to_string(src.repo_dir().join("shallow")).unwrap();
    assert_eq!(shallow.trim(), first);

    // Really over ssh: the RSA key was accepted, the real upload-pack ran and
    // succeeded (once to list the refs, once to fetch).
    let events = fx.server.events();
    assert!(
        events.contains(&"auth git publickey ssh-rsa accepted".to_string()),
        "{}",
        fx.server.report()
    );
    assert!(
        !events
            .iter()
            .any(|e| e.ends_with(" refused") && !e.starts_with("auth git none")),
        "{}",
        fx.server.report()
    );
    assert_eq!(
        fx.server.execs(),
        ["exec git-upload-pack '/repo.git'"; 2],
        "{}",
        fx.server.report()
    );
    assert!(
        events
            .iter()
            .filter(|e| e.starts_with("exit "))
            .all(|e| e == "exit 0"),
        "{}",
        fx.server.report()
    );

    // A second commit is picked up by a second fetch, incrementally.
    let second = fx.push_change("one: 11\n", "Second over ssh");
    assert_ne!(second, first);
    let rev = src
        .fetch()
        .unwrap_or_else(|e| panic!("{e}\n{}", fx.server.report()));
    assert_eq!(rev.sha, second);
    assert_eq!(rev.message, "Second over ssh");
    assert_eq!(rev.previous.as_deref(), Some(first.as_str()));
    assert!(!rev.forced, "a fast-forward over ssh is not forced");
    assert_eq!(files(&rev), ["a.yaml", "ops/b.yaml"]);
    assert_eq!(read(&rev, "a.yaml"), "one: 11\n");
    assert_eq!(read(&rev, "ops/b.yaml"), "two: 2\n");
    assert_eq!(src.last_revision().as_deref(), Some(second.as_str()));
    assert_eq!(fx.server.execs().len(), 4, "{}", fx.server.report());
    assert_eq!(
        git(&src.repo_dir(), &["rev-parse", &format!("{second}^")]),
        first
    );
}

#[test]
fn openssh_ed25519_key_with_a_passphrase() {
    // ssh-keygen's default output (OpenSSH format), encrypted: libssh2 (vendored by
    // git2, OpenSSL backend) reads it with DRIFTLESS_GIT_SSH_KEY_PASSPHRASE.
    let keys = tempfile::tempdir().unwrap();
    let key = ed25519_key(keys.path(), "id_ed25519", PASSPHRASE);
    let (fx, sha) = Fixture::new(&[&key]);
    let known = fx.known_hosts("known_hosts", &[fx.host_line()]);
    let vars = [
        ("DRIFTLESS_GIT_SSH_KEY", key.as_path()),
        ("DRIFTLESS_GIT_KNOWN_HOSTS", known.as_path()),
    ];

    let src = fx.source("ed25519", auth_with(&vars, Some(PASSPHRASE)));
    let rev = src
        .fetch()
        .unwrap_or_else(|e| panic!("{e}\n{}", fx.server.report()));
    assert_eq!(rev.sha, sha);
    assert_eq!(read(&rev, "a.yaml"), "one: 1\n");
    assert!(
        fx.server
            .events()
            .contains(&"auth git publickey ssh-ed25519 accepted".to_string()),
        "{}",
        fx.server.report()
    );

    // The wrong passphrase: the key cannot be used; said so, passphrase never shown.
    let execs = fx.server.execs().len();
    let wrong = "wrong-phrase-2c9d";
    let src = fx.source("wrong-passphrase", auth_with(&vars, Some(wrong)));
    let err = src.fetch().unwrap_err();
    let text = shown(&err);
    assert!(matches!(err, SourceError::GitAuth { .. }), "{text}");
    assert!(text.contains("DRIFTLESS_GIT_SSH_KEY_PASSPHRASE"), "{text}");
    assert!(!text.contains(wrong), "{text}");
    assert!(!text.contains(PASSPHRASE), "{text}");
    assert_eq!(fx.server.execs().len(), execs, "{}", fx.server.report());
    assert_eq!(src.last_revision(), None);

    // A key file that is not there, or not a key: the same kind of error.
    let not_a_key = keys.path().join("not-a-key");
    fs::write(&not_a_key, "just text\n").unwrap();
    for (name, file) in [
        ("missing", keys.path().join("missing")),
        ("text", not_a_key),
    ] {
        let vars = [
            ("DRIFTLESS_GIT_SSH_KEY", file.as_path()),
            ("DRIFTLESS_GIT_KNOWN_HOSTS", known.as_path()),
        ];
        let src = fx.source(name, auth(&vars));
        let err = src.fetch().unwrap_err();
        let text = shown(&err);
        assert!(matches!(err, SourceError::GitAuth { .. }), "{name}: {text}");
        assert!(text.contains("DRIFTLESS_GIT_SSH_KEY"), "{name}: {text}");
    }
    assert_eq!(fx.server.execs().len(), execs, "{}", fx.server.report());
}

#[test]
fn unknown_or_changed_host_is_refused_before_anything_is_sent() {
    let (fx, _) = Fixture::new(&[]);
    let other_host = ed25519_key(&fx.keys, "other-host", "");
    let port = fx.server.port;
    let unknown = format!("unknown ssh host [127.0.0.1]:{port}: no ssh-ed25519 key for it in");
    let changed = format!("the ssh-ed25519 host key of [127.0.0.1]:{port} differs from the one in");
    let cases = [
        // An empty known_hosts file.
        ("empty", Vec::new(), unknown.as_str()),
        // Other hosts only, and this host on port 22 and on another port (different
        // hosts to ssh).
        (
            "others",
            vec![
                format!("github.com {}", public_key(&fx.host_key)),
                format!("127.0.0.1 {}", public_key(&fx.host_key)),
                format!("[127.0.0.1]:{} {}", port ^ 1, public_key(&fx.host_key)),
            ],
            unknown.as_str(),
        ),
        // This very host and port with another key: a possible man-in-the-middle.
        (
            "changed",
            vec![format!("[127.0.0.1]:{port} {}", public_key(&other_host))],
            changed.as_str(),
        ),
    ];
    for (name, lines, expected) in cases {
        let known = fx.known_hosts(name, &lines);
        let src = fx.source(
            name,
            auth(&[
                ("DRIFTLESS_GIT_SSH_KEY", &fx.client_key),
                ("DRIFTLESS_GIT_KNOWN_HOSTS", &known),
            ]),
        );
        let err = src.fetch().unwrap_err();
        let text = shown(&err);
        assert!(
            matches!(err, SourceError::GitHostKey { .. }),
            "{name}: {text}"
        );
        assert!(text.contains("ssh host key refused"), "{name}: {text}");
        assert!(text.contains(expected), "{name}: {text}");
        assert!(
            text.contains(known.to_str().unwrap()),
            "{name}: the file is named: {text}"
        );
        if name != "changed" {
            // How to add it, with the port: the exact command works (below).
            assert!(
                text.contains(&format!("ssh-keyscan -p {port} 127.0.0.1 >> FILE")),
                "{name}: {text}"
            );
            assert!(
                text.contains("DRIFTLESS_GIT_KNOWN_HOSTS=FILE"),
                "{name}: {text}"
            );
        }
        assert_eq!(src.last_revision(), None, "{name}");
        assert!(!src.worktree_dir().exists(), "{name}");
    }
    // Refused before authenticating, so no key was offered and no upload-pack run.
    let events = fx.server.events();
    assert!(
        events
            .iter()
            .all(|e| !e.starts_with("auth ") && !e.starts_with("exec ")),
        "{}",
        fx.server.report()
    );

    // Following the message: `ssh-keyscan -p PORT 127.0.0.1 >> FILE` makes it work.
    let scan = Command::new("ssh-keyscan")
        .args(["-p", &port.to_string(), "-t", "ed25519", "127.0.0.1"])
        .stdin(Stdio::null())
        .output()
        .expect("ssh-keyscan runs");
    let scanned = String::from_utf8_lossy(&scan.stdout).into_owned();
    assert!(
        scanned.starts_with(&format!("[127.0.0.1]:{port} ssh-ed25519 ")),
        "{scanned}"
    );
    let known = fx.known_hosts("scanned", &[scanned.trim().to_string()]);
    let src = fx.source(
        "scanned",
        auth(&[
            ("DRIFTLESS_GIT_SSH_KEY", &fx.client_key),
            ("DRIFTLESS_GIT_KNOWN_HOSTS", &known),
        ]),
    );
    src.fetch()
        .unwrap_or_else(|e| panic!("{e}\n{}", fx.server.report()));
}

#[test]
fn a_key_the_server_does_not_accept_is_refused() {
    let (fx, _) = Fixture::new(&[]);
    let stranger = rsa_key(&fx.keys, "stranger");
    let known = fx.known_hosts("known_hosts", &[fx.host_line()]);
    let src = fx.source(
        "stranger",
        auth(&[
            ("DRIFTLESS_GIT_SSH_KEY", &stranger),
            ("DRIFTLESS_GIT_KNOWN_HOSTS", &known),
        ]),
    );
    let err = src.fetch().unwrap_err();
    let text = shown(&err);
    assert!(matches!(err, SourceError::GitAuth { .. }), "{text}");
    assert!(text.contains("git authentication failed"), "{text}");
    assert!(text.contains("the credentials were refused"), "{text}");
    assert!(text.contains("DRIFTLESS_GIT_SSH_KEY"), "{text}");
    assert!(text.contains(&fx.server.url()), "{text}");
    assert!(!text.contains("DRIFTLESS_GIT_TOKEN"), "{text}");

    // The key was really offered, a bounded number of times, never accepted.
    let events = fx.server.events();
    let offered = events
        .iter()
        .filter(|e| *e == "auth git publickey ssh-rsa refused")
        .count();
    assert!((1..=5).contains(&offered), "{}", fx.server.report());
    assert!(
        events.iter().all(|e| !e.ends_with(" accepted")),
        "{}",
        fx.server.report()
    );
    assert!(fx.server.execs().is_empty(), "{}", fx.server.report());
    assert_eq!(src.last_revision(), None);
    assert!(!src.worktree_dir().exists());
}

#[test]
fn no_key_configured_against_an_ssh_server() {
    let (fx, _) = Fixture::new(&[]);
    let known = fx.known_hosts("known_hosts", &[fx.host_line()]);
    let src = fx.source("nokey", auth(&[("DRIFTLESS_GIT_KNOWN_HOSTS", &known)]));
    let err = src.fetch().unwrap_err();
    let text = shown(&err);
    assert!(matches!(err, SourceError::GitAuth { .. }), "{text}");
    assert!(
        text.contains("the remote asks for credentials and none are configured"),
        "{text}"
    );
    assert!(text.contains("DRIFTLESS_GIT_SSH_KEY"), "{text}");
    let events = fx.server.events();
    assert!(
        events.iter().all(|e| !e.contains(" publickey ")),
        "no key offered: {}",
        fx.server.report()
    );
    assert!(fx.server.execs().is_empty(), "{}", fx.server.report());
    assert_eq!(src.last_revision(), None);
}

#[test]
fn scp_style_urls_are_ssh_remotes() {
    // `user@host:path` cannot name a port, so it is not fetched here (port 22); it is a
    // remote (not a local path), and shown unchanged (a user name is no secret).
    for url in ["git@127.0.0.1:repo.git", "git@github.com:org/repo.git"] {
        assert!(!is_local_url(url), "{url}");
        assert_eq!(redact_url(url), url);
    }
    assert!(is_local_url("./git@host/repo.git"));
}
