//! Test harness for the local AWS emulator (`tests/emulator/run`: moto plus
//! driftless' extension), so integration tests talk to a real AWS wire protocol
//! without touching AWS.
//!
//! One emulator is started lazily per test *process* (so it works both under
//! `cargo test`, where all tests share a process, and under cargo-nextest,
//! where each test is its own process). The emulator is spawned with
//! `--exit-with-stdin` and a piped stdin that is never closed: when the test
//! process exits, the pipe closes and the emulator exits with it.
//! Set `DRIFTLESS_TEST_ENDPOINT=http://127.0.0.1:PORT` to use an emulator that
//! is already running instead (handy when iterating on tests).
//!
//! Every test gets its own AWS account ([`TestAccount::new`]) so tests can run
//! in parallel without seeing each other's resources. moto 5.2.5 does *not*
//! derive the account from the access key id on its own (it falls back to
//! 123456789012 for unknown keys); it does honour the `x-moto-account-id`
//! request header, so the SDK configs built here use an HTTP client that adds
//! that header to every request. The access key id is set to the same 12-digit
//! account id, so an emulator that maps access keys to accounts agrees.
//!
//! Control endpoints (`/_driftless/calls`, `/_driftless/faults`) are reached
//! with a tiny blocking HTTP/1.0 client on `std::net`, so the harness itself
//! does not depend on an async runtime.

#![allow(dead_code)] // not every test module uses every helper

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_sdk_sts::config::Credentials;
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_types::region::Region;
use aws_types::sdk_config::{RetryConfig, SharedCredentialsProvider, TimeoutConfig};
use aws_types::SdkConfig;

/// Environment variable naming an already-running emulator to use.
pub const ENDPOINT_ENV: &str = "DRIFTLESS_TEST_ENDPOINT";
/// Environment variable overriding the emulator launcher (default:
/// `<repo root>/tests/emulator/run`); it gets `--port P --exit-with-stdin`.
pub const RUN_ENV: &str = "DRIFTLESS_EMULATOR_RUN";
/// Environment variable overriding how long to wait for a spawned emulator
/// to become ready (seconds). The first run builds the emulator's venv.
pub const READY_TIMEOUT_ENV: &str = "DRIFTLESS_EMULATOR_READY_TIMEOUT_SECS";
const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(180);
/// Header moto reads to pick the account a request acts in.
const ACCOUNT_HEADER: &str = "x-moto-account-id";
/// Secret paired with every test access key (the emulator does not verify signatures).
const TEST_SECRET: &str = "driftless-test-secret-key";
/// Regions handed out round-robin, so region handling gets exercised too.
const REGIONS: &[&str] = &["us-east-1", "eu-west-1", "us-west-2", "eu-central-1"];
const STDERR_TAIL_LINES: usize = 60;

/// A running emulator shared by every test in this process.
pub struct Emulator {
    endpoint: String,
    /// Kept for the life of the process; `None` when `DRIFTLESS_TEST_ENDPOINT` is used.
    process: Option<Spawned>,
}

struct Spawned {
    child: Child,
    /// Never written to or closed: its EOF (at process exit) stops the emulator.
    _stdin: ChildStdin,
    log_tail: Arc<Mutex<VecDeque<String>>>,
}

impl Emulator {
    /// The emulator for this test process, started on first use.
    ///
    /// Panics with the emulator's stderr tail if it cannot be started.
    pub fn shared() -> &'static Emulator {
        // A failed start is remembered: the other tests fail at once with the
        // same message instead of each waiting for a new emulator.
        static EMULATOR: OnceLock<Result<Emulator, String>> = OnceLock::new();
        match EMULATOR.get_or_init(|| {
            std::panic::catch_unwind(Emulator::start).map_err(|panic| {
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "emulator start panicked".to_string())
            })
        }) {
            Ok(emulator) => emulator,
            Err(message) => panic!("{message}"),
        }
    }

    fn start() -> Emulator {
        if let Ok(endpoint) = std::env::var(ENDPOINT_ENV) {
            let endpoint = endpoint.trim_end_matches('/').to_string();
            let (status, body) =
                http_request(&endpoint, "GET", "/moto-api/", None).unwrap_or_else(|e| {
                    panic!("{ENDPOINT_ENV}={endpoint} is set but the emulator is unreachable: {e}")
                });
            assert!(
                status == 200,
                "{ENDPOINT_ENV}={endpoint}: GET /moto-api/ answered {status}: {body}"
            );
            return Emulator {
                endpoint,
                process: None,
            };
        }
        Emulator::private()
    }

    /// A new emulator of the caller's own (also when `DRIFTLESS_TEST_ENDPOINT`
    /// is set), stopped when the value drops: for tests of the emulator's global
    /// state, such as [`Emulator::reset_calls`], which must not disturb the
    /// shared one, under `cargo test` (threads) as under nextest (processes).
    pub fn private() -> Emulator {
        let timeout = std::env::var(READY_TIMEOUT_ENV)
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_READY_TIMEOUT);
        // A free port can be taken by someone else between probing and binding;
        // try a few ports before giving up.
        let mut last_error = String::new();
        for _ in 0..3 {
            match spawn_emulator(timeout) {
                Ok(emulator) => return emulator,
                Err(SpawnError::Fatal(message)) => panic!("{message}"),
                Err(SpawnError::Retry(message)) => last_error = message,
            }
        }
        panic!("{last_error}")
    }

    /// Base URL of the emulator, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// An SDK config that talks to the emulator as `account` in `region`.
    ///
    /// Built from scratch (no environment, profile or IMDS lookups) so nothing
    /// from the host can leak in: static credentials whose access key id is
    /// the account id, the emulator's endpoint, standard retries (3 attempts),
    /// and an HTTP client that tags each request with the account header.
    pub fn sdk_config(&self, account: &str, region: &str) -> SdkConfig {
        assert!(
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
            "account id must be 12 digits, got {account:?}"
        );
        let credentials = Credentials::new(account, TEST_SECRET, None, None, "driftless-test");
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(self.endpoint.clone())
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .retry_config(RetryConfig::standard())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_timeout(Duration::from_secs(60))
                    .build(),
            )
            .http_client(account_http_client(account))
            .build()
    }

    /// Calls served so far, per service and operation (`GET /_driftless/calls`).
    pub fn calls(&self) -> CallCounts {
        let body = self.control("GET", "/_driftless/calls", None);
        CallCounts::parse(&body)
            .unwrap_or_else(|e| panic!("unexpected /_driftless/calls answer ({e}): {body}"))
    }

    /// Counts of one account's requests only: exact even while other tests (in
    /// their own accounts) run in parallel.
    pub fn calls_of(&self, account: &str) -> CallCounts {
        let body = self.control("GET", &format!("/_driftless/calls?account={account}"), None);
        CallCounts::parse(&body)
            .unwrap_or_else(|e| panic!("unexpected /_driftless/calls answer ({e}): {body}"))
    }

    /// Zeroes the call counters (`POST /_driftless/calls/reset`). Counters are
    /// global to the emulator, so this disturbs every other test using it: only
    /// reset an [`Emulator::private`] one; otherwise count per account
    /// ([`Emulator::calls_of`]).
    pub fn reset_calls(&self) {
        self.control("POST", "/_driftless/calls/reset", Some(""));
    }

    /// Replaces the emulator's fault rules (`POST /_driftless/faults`), e.g.
    /// `{"seed": 0, "rules": [{"kind": "throttle", "service": "cloudwatch",
    /// "operation": "ListMetrics", "count": 1}]}`. Kinds: throttle, error500,
    /// error503, latency (with `latencyMs`), drop; optional `rate` in [0, 1].
    /// When every rule names the same `account`, they go into that account's own
    /// scope (`POST /_driftless/faults?account=`): they replace only that account's
    /// rules, so tests in other accounts keep theirs. Otherwise the rules replace the
    /// emulator's global ones: scope those to operations only the calling test uses.
    /// Returns the rules as the emulator now has them.
    pub fn set_faults(&self, spec: &serde_json::Value) -> serde_json::Value {
        let body = self.control(
            "POST",
            &faults_path(fault_account(spec).as_deref()),
            Some(&spec.to_string()),
        );
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("unexpected /_driftless/faults answer ({e}): {body}"))
    }

    /// Like [`Emulator::set_faults`], but the rules are cleared again when the
    /// returned guard drops, also when the test panics (only the account's own rules
    /// when they all name one account).
    #[must_use = "the fault rules are cleared when the guard drops"]
    pub fn scoped_faults(&'static self, spec: &serde_json::Value) -> ScopedFaults {
        self.set_faults(spec);
        ScopedFaults {
            emulator: self,
            account: fault_account(spec),
        }
    }

    /// The current fault rules, with how often each has fired (`GET /_driftless/faults`).
    pub fn faults(&self) -> serde_json::Value {
        let body = self.control("GET", "/_driftless/faults", None);
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("unexpected /_driftless/faults answer ({e}): {body}"))
    }

    /// Removes every fault rule (`DELETE /_driftless/faults`).
    pub fn clear_faults(&self) {
        self.control("DELETE", "/_driftless/faults", None);
    }

    /// A blocking request to one of the emulator's control endpoints; panics
    /// unless it answers 2xx.
    pub fn control(&self, method: &str, path: &str, body: Option<&str>) -> String {
        let (status, text) = http_request(&self.endpoint, method, path, body)
            .unwrap_or_else(|e| panic!("{method} {}{path} failed: {e}", self.endpoint));
        assert!(
            (200..300).contains(&status),
            "{method} {}{path} answered {status}: {text}{}",
            self.endpoint,
            self.log_tail_message()
        );
        text
    }

    fn log_tail_message(&self) -> String {
        match &self.process {
            Some(p) => format!(
                "\n--- emulator output (last lines) ---\n{}",
                tail_text(&p.log_tail)
            ),
            None => String::new(),
        }
    }
}

/// The account every rule of a fault spec names, if they all name the same one.
fn fault_account(spec: &serde_json::Value) -> Option<String> {
    let rules = spec["rules"].as_array()?;
    let first = rules.first()?["account"].as_str()?;
    rules
        .iter()
        .all(|r| r["account"].as_str() == Some(first))
        .then(|| first.to_string())
}

/// The fault control endpoint of one account's scope, or the global one.
fn faults_path(account: Option<&str>) -> String {
    match account {
        Some(account) => format!("/_driftless/faults?account={account}"),
        None => "/_driftless/faults".to_string(),
    }
}

/// Clears the emulator's fault rules when dropped (see [`Emulator::scoped_faults`]).
pub struct ScopedFaults {
    emulator: &'static Emulator,
    /// The account whose own rules these are (None: the global rules).
    account: Option<String>,
}

impl Drop for ScopedFaults {
    fn drop(&mut self) {
        // Never panic while unwinding: a failed clear only affects later tests.
        let _ = http_request(
            &self.emulator.endpoint,
            "DELETE",
            &faults_path(self.account.as_deref()),
            None,
        );
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // Statics are not dropped at exit: this runs when startup failed and
        // when a private emulator drops.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum SpawnError {
    /// Probably a port clash: worth another try on another port.
    Retry(String),
    Fatal(String),
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("controller/driftless/ is two levels down")
        .to_path_buf()
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

fn spawn_emulator(timeout: Duration) -> Result<Emulator, SpawnError> {
    let script = std::env::var_os(RUN_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("tests/emulator/run"));
    if !script.exists() {
        return Err(SpawnError::Fatal(format!(
            "emulator script {} not found (or set {ENDPOINT_ENV} to a running emulator)",
            script.display()
        )));
    }
    let port = free_port();
    let mut child = Command::new(&script)
        .arg("--port")
        .arg(port.to_string())
        .arg("--exit-with-stdin")
        .current_dir(repo_root())
        // The account must come from each request, never from the environment.
        .env_remove("MOTO_ACCOUNT_ID")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| SpawnError::Fatal(format!("cannot run {}: {e}", script.display())))?;
    let stdin = child.stdin.take().expect("piped stdin");
    let log_tail = Arc::new(Mutex::new(VecDeque::new()));
    // Drain both pipes for the life of the emulator (moto logs every request;
    // a full pipe would block it) and keep the last lines for error messages.
    drain_to_tail(child.stdout.take().expect("piped stdout"), &log_tail);
    drain_to_tail(child.stderr.take().expect("piped stderr"), &log_tail);
    let mut spawned = Spawned {
        child,
        _stdin: stdin,
        log_tail,
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if let Ok((200, _)) = http_request(&endpoint, "GET", "/moto-api/", None) {
            return Ok(Emulator {
                endpoint,
                process: Some(spawned),
            });
        }
        if let Ok(Some(status)) = spawned.child.try_wait() {
            // Give the drain threads a moment to collect the last words.
            std::thread::sleep(Duration::from_millis(200));
            let tail = tail_text(&spawned.log_tail);
            let message = format!(
                "emulator {} --port {port} exited with {status} before it was ready\n\
                 --- emulator output (last lines) ---\n{tail}",
                script.display()
            );
            let clash = tail.contains("Address already in use") || tail.contains("in use");
            return Err(if clash {
                SpawnError::Retry(message)
            } else {
                SpawnError::Fatal(message)
            });
        }
        if started.elapsed() > timeout {
            return Err(SpawnError::Fatal(format!(
                "emulator {} --port {port} not ready after {:?} (GET /moto-api/ never \
                 answered 200; raise {READY_TIMEOUT_ENV} if the venv is still building)\n\
                 --- emulator output (last lines) ---\n{}",
                script.display(),
                timeout,
                tail_text(&spawned.log_tail)
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn drain_to_tail(pipe: impl Read + Send + 'static, tail: &Arc<Mutex<VecDeque<String>>>) {
    let tail = Arc::clone(tail);
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
            if tail.len() == STDERR_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    });
}

fn tail_text(tail: &Mutex<VecDeque<String>>) -> String {
    let tail = tail.lock().unwrap_or_else(|e| e.into_inner());
    if tail.is_empty() {
        "(no output)".to_string()
    } else {
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

/// A blocking HTTP/1.0 request (so the answer is never chunked) to `endpoint`
/// (`http://host:port`). Returns the status code and the body.
fn http_request(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other(format!("not an http:// endpoint: {endpoint}")))?
        .trim_end_matches('/');
    let address = authority
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("cannot resolve {authority}")))?;
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: application/json\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("malformed HTTP answer: {text}")))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("malformed status line: {head}")))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16);
        match size {
            Ok(0) | Err(_) => break,
            Ok(n) if n <= rest.len() => {
                out.push_str(&rest[..n]);
                body = rest[n..].trim_start_matches("\r\n");
            }
            Ok(_) => break,
        }
    }
    out
}

/// An HTTP client that adds the moto account header to every request.
///
/// A fresh inner (plain-HTTP) client per SDK config: hyper's connection pool
/// is bound to the tokio runtime it first ran on, and each `#[tokio::test]`
/// has its own runtime.
fn account_http_client(account: &str) -> SharedHttpClient {
    let inner = aws_smithy_http_client::Builder::new().build_http();
    let account = account.to_string();
    http_client_fn(move |settings, components| {
        SharedHttpConnector::new(AccountHeader {
            inner: inner.http_connector(settings, components),
            account: account.clone(),
        })
    })
}

#[derive(Debug)]
struct AccountHeader {
    inner: SharedHttpConnector,
    account: String,
}

impl HttpConnector for AccountHeader {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        request
            .headers_mut()
            .insert(ACCOUNT_HEADER, self.account.clone());
        self.inner.call(request)
    }
}

/// `config` with an HTTP client that shows `observe` every request it sends, just
/// before sending it: a test counts or records its own requests with it.
pub fn observing(
    config: &SdkConfig,
    observe: impl Fn(&HttpRequest) + Send + Sync + 'static,
) -> SdkConfig {
    let inner = config
        .http_client()
        .expect("the test config has an HTTP client");
    let observe: Arc<dyn Fn(&HttpRequest) + Send + Sync> = Arc::new(observe);
    let client = http_client_fn(move |settings, components| {
        SharedHttpConnector::new(Observing {
            inner: inner.http_connector(settings, components),
            observe: observe.clone(),
        })
    });
    config.to_builder().http_client(client).build()
}

struct Observing {
    inner: SharedHttpConnector,
    observe: Arc<dyn Fn(&HttpRequest) + Send + Sync>,
}

impl std::fmt::Debug for Observing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observing")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl HttpConnector for Observing {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        (self.observe)(&request);
        self.inner.call(request)
    }
}

/// Per-operation call counts reported by the emulator. Service names are
/// botocore's (`cloudwatch`, `logs`, `ssm`, `backup`, `sts`, `sns`,
/// `resourcegroupstaggingapi`), operations the API's (`DescribeAlarms`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// service → operation → calls (faulted calls included).
    pub calls: BTreeMap<String, BTreeMap<String, u64>>,
    pub total: u64,
    /// service → operation → fault kind → injected faults.
    pub faults: BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>,
}

impl CallCounts {
    /// Parses `{"calls": {"svc": {"Op": n}}, "total": n, "faults": {"svc":
    /// {"Op": {"throttle": n}}}}` (`faults` optional).
    pub fn parse(body: &str) -> Result<CallCounts, String> {
        let value: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let mut counts = CallCounts {
            total: value.get("total").and_then(|t| t.as_u64()).unwrap_or(0),
            ..CallCounts::default()
        };
        let services = value
            .get("calls")
            .and_then(|c| c.as_object())
            .ok_or("no \"calls\" object")?;
        for (service, ops) in services {
            let ops = ops
                .as_object()
                .ok_or_else(|| format!("calls.{service} is not an object"))?;
            let entry = counts.calls.entry(service.clone()).or_default();
            for (op, n) in ops {
                let n = n
                    .as_u64()
                    .ok_or_else(|| format!("calls.{service}.{op} is not a count"))?;
                entry.insert(op.clone(), n);
            }
        }
        let no_faults = serde_json::Map::new();
        let faults = match value.get("faults") {
            None | Some(serde_json::Value::Null) => &no_faults,
            Some(f) => f.as_object().ok_or("\"faults\" is not an object")?,
        };
        for (service, ops) in faults {
            for (op, kinds) in ops.as_object().into_iter().flatten() {
                for (kind, n) in kinds.as_object().into_iter().flatten() {
                    let n = n
                        .as_u64()
                        .ok_or_else(|| format!("faults.{service}.{op}.{kind} is not a count"))?;
                    counts
                        .faults
                        .entry(service.clone())
                        .or_default()
                        .entry(op.clone())
                        .or_default()
                        .insert(kind.clone(), n);
                }
            }
        }
        Ok(counts)
    }

    /// Faults of `kind` (e.g. `throttle`) injected into `service`'s `operation`.
    pub fn fault_count(&self, service: &str, operation: &str, kind: &str) -> u64 {
        self.faults
            .get(service)
            .and_then(|ops| ops.get(operation))
            .and_then(|kinds| kinds.get(kind))
            .copied()
            .unwrap_or(0)
    }

    /// Calls to `service`'s `operation` (0 if never called).
    pub fn get(&self, service: &str, operation: &str) -> u64 {
        self.calls
            .get(service)
            .and_then(|ops| ops.get(operation))
            .copied()
            .unwrap_or(0)
    }

    /// Calls to every operation of `service`.
    pub fn service_total(&self, service: &str) -> u64 {
        self.calls
            .get(service)
            .map(|ops| ops.values().sum())
            .unwrap_or(0)
    }
}

/// A fresh, isolated AWS account (and region) on the shared emulator.
#[derive(Debug, Clone)]
pub struct TestAccount {
    pub account_id: String,
    pub region: String,
}

impl TestAccount {
    /// A new account id no other test (in this process or, with high
    /// probability, any other process using the same emulator) has used.
    pub fn new() -> TestAccount {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let region = REGIONS[(n as usize) % REGIONS.len()];
        TestAccount {
            account_id: unique_account_id(n),
            region: region.to_string(),
        }
    }

    /// A new account in a given region.
    pub fn in_region(region: &str) -> TestAccount {
        TestAccount {
            region: region.to_string(),
            ..TestAccount::new()
        }
    }

    /// SDK config for this account on the shared emulator.
    pub fn sdk_config(&self) -> SdkConfig {
        Emulator::shared().sdk_config(&self.account_id, &self.region)
    }

    /// The shared emulator.
    pub fn emulator(&self) -> &'static Emulator {
        Emulator::shared()
    }
}

impl Default for TestAccount {
    fn default() -> Self {
        TestAccount::new()
    }
}

/// 12 digits: 6 from this process (pid and start time), 6 from a counter.
/// The leading digit is never 0 and the result is never moto's default
/// account 123456789012.
fn unique_account_id(n: u64) -> String {
    static PROCESS_PREFIX: OnceLock<u64> = OnceLock::new();
    let prefix = *PROCESS_PREFIX.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        // FNV-1a over pid and start time: cheap and well spread.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in std::process::id()
            .to_le_bytes()
            .iter()
            .chain(nanos.to_le_bytes().iter())
        {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        100_000 + hash % 900_000
    });
    let id = format!("{prefix:06}{:06}", n % 1_000_000);
    if id == "123456789012" {
        format!("{prefix:06}{:06}", (n + 1) % 1_000_000)
    } else {
        id
    }
}

#[test]
fn fault_rules_naming_one_account_go_into_its_scope() {
    let one = serde_json::json!({"rules": [
        {"kind": "throttle", "account": "111122223333"},
        {"kind": "error500", "account": "111122223333"}]});
    assert_eq!(fault_account(&one).as_deref(), Some("111122223333"));
    assert_eq!(
        faults_path(Some("111122223333")),
        "/_driftless/faults?account=111122223333"
    );
    let mixed = serde_json::json!({"rules": [
        {"kind": "throttle", "account": "111122223333"}, {"kind": "throttle"}]});
    assert_eq!(fault_account(&mixed), None);
    assert_eq!(fault_account(&serde_json::json!({"rules": []})), None);
    assert_eq!(faults_path(None), "/_driftless/faults");
}

#[test]
fn call_counts_parse() {
    let counts = CallCounts::parse(
        r#"{"calls": {"cloudwatch": {"DescribeAlarms": 3}, "logs": {"CreateLogGroup": 1}},
            "total": 4, "faults": {"cloudwatch": {"DescribeAlarms": {"throttle": 1}}},
            "faultsTotal": 1}"#,
    )
    .unwrap();
    assert_eq!(
        counts.fault_count("cloudwatch", "DescribeAlarms", "throttle"),
        1
    );
    assert_eq!(
        counts.fault_count("cloudwatch", "DescribeAlarms", "drop"),
        0
    );
    assert_eq!(counts.get("cloudwatch", "DescribeAlarms"), 3);
    assert_eq!(counts.get("logs", "CreateLogGroup"), 1);
    assert_eq!(counts.get("logs", "DeleteLogGroup"), 0);
    assert_eq!(counts.service_total("cloudwatch"), 3);
    assert_eq!(counts.total, 4);
    assert!(CallCounts::parse(r#"{"total": 1}"#).is_err());
}

#[test]
fn account_ids_are_unique_and_well_formed() {
    let a = TestAccount::new();
    let b = TestAccount::new();
    assert_ne!(a.account_id, b.account_id);
    for id in [&a.account_id, &b.account_id] {
        assert_eq!(id.len(), 12);
        assert!(id.bytes().all(|c| c.is_ascii_digit()));
        assert!(!id.starts_with('0'));
    }
}

#[test]
fn dechunks_chunked_bodies() {
    assert_eq!(dechunk("4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"), "Wikipedia");
}
