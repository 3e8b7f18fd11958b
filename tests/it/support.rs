//! Scaffolding the end-to-end tests share, kept once: the driftless binary with a
//! clean environment pointed at the emulator ([`driftless`], [`driftless_at`]), a
//! desired-state repository in a temporary folder bound to a fresh account ([`Repo`])
//! and what one run printed ([`Run`]), the history as JSON, the write calls between
//! two call counts, the changes a JSON plan lists, a `file://` git origin, and a
//! controller (`driftless run`) with its HTTP endpoints.
//!
//! What resources look like (specs) and how a test seeds them with the SDK live in
//! `fixtures.rs`; the emulator itself in `emulator.rs`. The checks on what driftless
//! does stay in the tests: a helper here fails a test only when its own step cannot
//! be done (an apply that fails, a history that cannot be read, a controller that
//! does not answer) or when a secret is printed (the scans of [`Repo::run_raw`] and
//! of the controller's stderr, which every such run gets).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::emulator::{CallCounts, Emulator, TestAccount};

// ---------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------

/// The repository's root (the parent of the `controller/` crate).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("controller/driftless/ is two levels down")
        .to_path_buf()
}

/// The emulator's pinned venv (paramiko and jsonschema are pinned there), built or
/// brought up to date by `tests/emulator/run --setup-only` once per test binary.
pub(crate) fn venv_python() -> &'static Path {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(|| {
        let run = repo_root().join("tests/emulator/run");
        let out = Command::new(&run)
            .arg("--setup-only")
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", run.display()));
        assert!(
            out.status.success(),
            "{} --setup-only: {}",
            run.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let venv = std::env::var_os("DRIFTLESS_EMULATOR_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join(".venv"));
        venv.join("bin/python")
    })
}

/// The first ```yaml block of README.md holding `needle`, so a test runs the example
/// users copy and it cannot drift from what is tested.
pub(crate) fn readme_yaml(needle: &str) -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block))
        .find(|block| block.contains(needle))
        .unwrap_or_else(|| panic!("README.md has no yaml block holding `{needle}`"))
        .to_string()
        + "\n"
}

/// The binary with a clean environment (only `PATH`, HOME = `home`, no colour, no
/// terminal, no instance metadata), talking to the emulator at `endpoint` as
/// `account` in `region` with the secret key `secret`.
fn clean_binary(endpoint: &str, account: &str, secret: &str, region: &str, home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_driftless"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", account)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", region)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    command
}

/// The binary with a clean environment (HOME = `home`), and AWS pointed at the
/// shared emulator as `account` (its region, [`crate::secrets::AWS_SECRET_KEY`],
/// 3 attempts per call, no colour, no terminal).
pub(crate) fn driftless(account: &TestAccount, home: &Path) -> Command {
    let mut command = clean_binary(
        Emulator::shared().endpoint(),
        &account.account_id,
        crate::secrets::AWS_SECRET_KEY,
        &account.region,
        home,
    );
    command.env("AWS_MAX_ATTEMPTS", "3");
    command
}

/// The binary with a clean environment, talking to the emulator at `endpoint` (any
/// emulator, a private one too) as `account` in `region`, with the SDK's default
/// attempts per call.
pub(crate) fn driftless_at(endpoint: &str, account: &str, region: &str, home: &Path) -> Command {
    clean_binary(endpoint, account, "testing", region, home)
}

/// What one run of the binary printed, and its exit code (-1 when killed by a signal).
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The run of a finished process, as it is (its streams not scanned for secrets).
    pub(crate) fn from_output(out: &Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Stdout as JSON; panics with both streams when it is not.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }

    /// Both streams, to look for secrets in.
    pub(crate) fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A desired-state repository in a temporary folder, with a state dir of its own,
/// bound to a fresh account.
pub(crate) struct Repo {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) state: tempfile::TempDir,
    pub(crate) account: TestAccount,
}

impl Repo {
    /// A repository holding `files` (paths may have folders).
    pub(crate) fn new(files: &[(&str, &str)]) -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
            state: tempfile::tempdir().unwrap(),
            account: TestAccount::new(),
        };
        for (path, text) in files {
            repo.write(path, text);
        }
        repo
    }

    /// A repository holding a copy of `folder`.
    pub(crate) fn from_folder(folder: &Path) -> Repo {
        let repo = Repo::new(&[]);
        copy_tree(folder, repo.dir.path());
        repo
    }

    /// Writes (or overwrites) the file `path` of the repository.
    pub(crate) fn write(&self, path: &str, text: &str) {
        let p = self.dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Runs the binary with `args`, the repository as `--source` and its state dir.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let source = self.dir.path().to_string_lossy().into_owned();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--source", &source]);
        self.run_raw(&all)
    }

    /// Runs the binary with `args` and the state dir, but no `--source`; both streams
    /// are scanned for secrets.
    pub(crate) fn run_raw(&self, args: &[&str]) -> Run {
        let out = driftless(&self.account, self.state.path())
            .args(args)
            .arg("--state-dir")
            .arg(self.state.path())
            .output()
            .unwrap();
        let run = Run::from_output(&out);
        crate::secrets::assert_clean("stdout", &run.stdout);
        crate::secrets::assert_clean("stderr", &run.stderr);
        run
    }

    /// Runs the binary with `args` as they are (no `--source`, no `--state-dir`, no
    /// secret scan).
    pub(crate) fn run_bare(&self, args: &[&str]) -> Run {
        let out = driftless(&self.account, self.state.path())
            .args(args)
            .output()
            .unwrap();
        Run::from_output(&out)
    }

    /// `plan --detailed-exitcode --output json` of the repository.
    pub(crate) fn plan(&self) -> Run {
        self.run(&["plan", "--detailed-exitcode", "--output", "json"])
    }

    /// `apply --auto-approve` (plus `extra`) of the repository; panics unless it
    /// succeeds.
    pub(crate) fn apply(&self, extra: &[&str]) -> Run {
        let mut args = vec!["apply", "--auto-approve"];
        args.extend_from_slice(extra);
        let run = self.run(&args);
        assert_eq!(run.code, 0, "apply failed:\n{}\n{}", run.stdout, run.stderr);
        run
    }

    /// [`Repo::apply`], and the write calls it made ([`writes`]).
    pub(crate) fn apply_writes(&self, extra: &[&str]) -> BTreeMap<String, u64> {
        let before = self.calls();
        self.apply(extra);
        writes(&before, &self.calls())
    }

    /// The calls the emulator counted in the repository's account.
    pub(crate) fn calls(&self) -> CallCounts {
        Emulator::shared().calls_of(&self.account.account_id)
    }

    /// An SDK config for the repository's account on the shared emulator.
    pub(crate) fn sdk(&self) -> aws_types::SdkConfig {
        self.account.sdk_config()
    }
}

/// Copies the folder `from` into `to`, recursively.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A Tokio runtime for a synchronous test's SDK calls.
pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

// ---------------------------------------------------------------------------
// What the binary wrote: history, plans, calls
// ---------------------------------------------------------------------------

/// `driftless history --output json` over a state dir, parsed (the command must succeed).
pub(crate) fn history_json(state: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(["history", "--output", "json", "--state-dir"])
        .arg(state)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The changes a JSON plan lists (none when it lists none).
pub(crate) fn changes(plan: &Value) -> Vec<Value> {
    plan["changes"].as_array().cloned().unwrap_or_default()
}

/// The names `plan --prune` would delete, sorted (and the plan, for messages).
pub(crate) fn pruned(repo: &Repo) -> (Vec<String>, Value) {
    let plan = repo.run(&["plan", "--prune", "--output", "json"]).json();
    let mut deletes: Vec<String> = changes(&plan)
        .iter()
        .filter(|c| c["action"] == "delete")
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    deletes.sort();
    (deletes, plan)
}

/// (action, name) of every change a JSON plan lists.
pub(crate) fn actions(plan: &Value) -> Vec<(String, String)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Write operations (anything but Describe*, List*, Get*, Lookup*) between two counts,
/// as `service:Operation` → calls.
pub(crate) fn writes(before: &CallCounts, after: &CallCounts) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (service, ops) in &after.calls {
        for (op, n) in ops {
            let was = before.get(service, op);
            let read = op.starts_with("Describe")
                || op.starts_with("List")
                || op.starts_with("Get")
                || op.starts_with("Lookup");
            if !read && *n > was {
                out.insert(format!("{service}:{op}"), n - was);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// A git origin
// ---------------------------------------------------------------------------

/// A git repository holding `files` (paths may have folders) in one commit; its
/// `file://` URL.
pub(crate) fn origin_repo(files: &[(&str, &str)], message: &str) -> (tempfile::TempDir, String) {
    let origin = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = origin.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(origin.path(), &["init", "-q"]);
    git(origin.path(), &["add", "."]);
    git(origin.path(), &["commit", "-q", "-m", message]);
    let url = format!("file://{}", origin.path().display());
    (origin, url)
}

/// The commit checked out in a repository.
pub(crate) fn head(dir: &Path) -> String {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs the git CLI in `dir` as "Ops" (main the default branch); panics with its
/// stderr on failure.
pub(crate) fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Ops",
            "-c",
            "user.email=ops@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------
// The controller
// ---------------------------------------------------------------------------

/// A minimal HTTP/1.1 request over loopback: (status, body).
pub(crate) fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let (status, _, body) = http_with_head(addr, method, path, headers, body);
    (status, body)
}

/// [`http`] with the response's head (status line and headers) as sent.
pub(crate) fn http_with_head(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_string(), body.to_string())
}

/// `GET /status`, parsed.
pub(crate) fn status_of(addr: &str) -> Value {
    let (code, body) = http(addr, "GET", "/status", &[], b"");
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Starts `driftless run` on `url` with the given resync, webhooks signed with
/// `s3cret`; returns the process and the address it serves on.
pub(crate) fn start_controller(
    repo: &Repo,
    url: &str,
    resync: &str,
) -> (std::process::Child, String) {
    start_controller_with(repo, url, resync, &[])
}

/// [`start_controller`] with more flags.
pub(crate) fn start_controller_with(
    repo: &Repo,
    url: &str,
    resync: &str,
    extra: &[&str],
) -> (std::process::Child, String) {
    start_controller_polling(repo, url, "1h", resync, extra)
}

/// [`start_controller_with`], polling the source every `interval`.
pub(crate) fn start_controller_polling(
    repo: &Repo,
    url: &str,
    interval: &str,
    resync: &str,
    extra: &[&str],
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = driftless(&repo.account, repo.state.path())
        .args([
            "run",
            "--source",
            url,
            "--listen",
            "127.0.0.1:0",
            "--interval",
            interval,
            "--resync",
            resync,
            "--state-dir",
        ])
        .arg(repo.state.path())
        .args(extra)
        .env("DRIFTLESS_WEBHOOK_SECRET", crate::secrets::WEBHOOK_SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the controller printed its address")
            .unwrap();
        // A tracing line: `<time>  INFO listening on ADDR source=…`.
        if let Some((_, rest)) = line.split_once("listening on ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            crate::secrets::abort_on_leak(&line);
        }
    });
    (child, addr)
}

/// Polls `check` every 100 ms for up to 30 s.
pub(crate) fn wait_until(what: &str, check: &dyn Fn() -> bool) {
    for _ in 0..300 {
        if check() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}
