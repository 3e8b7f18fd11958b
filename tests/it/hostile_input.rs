//! Hostile input (issue 13, part 6): the saved fuzz inputs load without a panic, and
//! the real `driftless run` HTTP server stands up to webhook abuse — wrong signatures,
//! malformed JSON, oversized and slowly sent bodies and headers, 1,000 concurrent
//! requests — with the right status codes, bounded memory (RSS from /proc) and no
//! crash, while printing none of the secrets it was given.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cli::LOG_GROUP;
use crate::secrets;
use crate::support::{driftless, http, origin_repo, repo_root, Repo};

#[path = "../../fuzz/src/repository.rs"]
mod repository;

/// Every input in `tests/fixtures/fuzz/` (crashes the fuzzer found, once fixed, and
/// hand-made hostile repositories) goes through the fuzz target's path: files in a
/// folder, `load_folder`, diagnostics rendered. None may panic, and an invalid one
/// always says why.
#[test]
fn saved_fuzz_inputs_load_without_panic() {
    let dir = repo_root().join("tests/fixtures/fuzz");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 5,
        "{}: expected the saved inputs",
        dir.display()
    );
    for input in inputs {
        let data = std::fs::read(&input).unwrap();
        let folder = tempfile::tempdir().unwrap();
        repository::write(folder.path(), &repository::files(&data));
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let started = Instant::now();
        match driftless::validate::load_folder(folder.path(), "repo") {
            Ok(_) => assert!(
                name.starts_with("valid-"),
                "{name}: loaded, but it is not a valid-* input"
            ),
            Err(driftless::validate::LoadError::Invalid(diagnostics)) => {
                assert!(
                    !diagnostics.is_empty(),
                    "{name}: invalid without a diagnostic"
                );
                let text = driftless::spec::diagnostic::render_text(&diagnostics);
                assert!(text.contains("error"), "{name}: {text}");
            }
            Err(e) => panic!("{name}: {e}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{name} took {:?}",
            started.elapsed()
        );
    }
}

// ---------------------------------------------------------------------------
// Webhook abuse
// ---------------------------------------------------------------------------

/// A controller started with every kind of secret, its output collected.
struct Controller {
    child: Child,
    addr: String,
    output: Arc<Mutex<String>>,
}

impl Controller {
    fn start(repo: &Repo, url: &str) -> Controller {
        let mut child = driftless(&repo.account, repo.state.path())
            .args([
                "run",
                "--source",
                url,
                "--listen",
                "127.0.0.1:0",
                "--interval",
                "1h",
                "--resync",
                "1h",
                "--state-dir",
            ])
            .arg(repo.state.path())
            .env("DRIFTLESS_WEBHOOK_SECRET", secrets::WEBHOOK_SECRET)
            .env("DRIFTLESS_ADMIN_TOKEN", secrets::ADMIN_TOKEN)
            .env("DRIFTLESS_GIT_TOKEN", secrets::GIT_TOKEN)
            .env("DRIFTLESS_GIT_PASSWORD", secrets::GIT_PASSWORD)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let collect = |stream: Box<dyn Read + Send>,
                       tx: Option<std::sync::mpsc::Sender<String>>| {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let (Some(tx), Some((_, rest))) = (&tx, line.split_once("listening on ")) {
                        let _ = tx.send(rest.split_whitespace().next().unwrap().to_string());
                    }
                    let mut out = output.lock().unwrap();
                    out.push_str(&line);
                    out.push('\n');
                }
            });
        };
        collect(Box::new(child.stdout.take().unwrap()), None);
        collect(Box::new(child.stderr.take().unwrap()), Some(tx));
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the controller printed its address");
        Controller {
            child,
            addr,
            output,
        }
    }

    /// Resident memory of the process, in KiB (VmRSS; VmHWM for the peak).
    fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/{}/status", self.child.id()))
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signed(body: &[u8]) -> String {
    driftless::controller::webhook::sign(secrets::WEBHOOK_SECRET.as_bytes(), body)
}

const PUSH_OTHER_BRANCH: &[u8] =
    br#"{"ref": "refs/heads/elsewhere", "after": "0000000000000000000000000000000000000000"}"#;

/// The status code of a raw request (0 when the server closed without answering).
/// The body is written while the answer is read, as a server may answer (413) and
/// close before taking all of it.
fn raw(addr: &str, request: &[u8], body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut all = request.to_vec();
    all.extend_from_slice(body);
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(&all);
    });
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let _ = sending.join();
    status_of(&response)
}

fn status_of(response: &[u8]) -> u16 {
    String::from_utf8_lossy(response)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Sends `head`, then nothing more: how long until the server answers or closes,
/// and with what status.
fn stall(addr: &str, head: &str) -> (Duration, u16) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let started = Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    (started.elapsed(), status_of(&response))
}

fn wrong_signatures_and_bad_bodies(addr: &str) {
    let push = PUSH_OTHER_BRANCH;
    let hook =
        |headers: &[(&str, &str)], body: &[u8]| http(addr, "POST", "/hooks/git", headers, body).0;
    assert_eq!(hook(&[], push), 401, "no signature");
    let zero = format!("sha256={}", "0".repeat(64));
    assert_eq!(
        hook(&[("X-Hub-Signature-256", &zero)], push),
        401,
        "wrong signature"
    );
    assert_eq!(
        hook(&[("X-Hub-Signature-256", "sha256=zz")], push),
        401,
        "not hex"
    );
    assert_eq!(
        hook(&[("X-Hub-Signature-256", "sha1=abc")], push),
        401,
        "another algorithm"
    );
    let other = driftless::controller::webhook::sign(b"not-the-secret", push);
    assert_eq!(
        hook(&[("X-Hub-Signature-256", &other)], push),
        401,
        "another secret"
    );
    assert_eq!(
        hook(&[("X-Gitlab-Token", "guess")], push),
        401,
        "a wrong GitLab token"
    );
    assert_eq!(
        hook(&[("X-Hub-Signature-256", &signed(push))], push),
        200,
        "a push to another branch"
    );
    for malformed in [&b"{\"ref\": "[..], b"\xff\xfe not json", b"", b"[1, 2"] {
        let code = hook(&[("X-Hub-Signature-256", &signed(malformed))], malformed);
        assert_eq!(code, 400, "signed malformed JSON {malformed:?}");
    }
    // A captured, correctly signed delivery replayed to the control endpoints.
    let replay = http(
        addr,
        "POST",
        "/suspend",
        &[("X-Hub-Signature-256", &signed(push))],
        push,
    )
    .0;
    assert_eq!(replay, 401, "a signed push replayed to /suspend");
    let wrong = http(
        addr,
        "POST",
        "/suspend",
        &[("Authorization", "Bearer nope")],
        b"",
    )
    .0;
    assert_eq!(wrong, 401, "a wrong admin token");
}

fn oversized_bodies(addr: &str) {
    let big = vec![b'{'; 8 * 1024 * 1024];
    let head = format!(
        "POST /hooks/git HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n",
        signed(&big),
        big.len()
    );
    assert_eq!(
        raw(addr, head.as_bytes(), &big[..64 * 1024]),
        413,
        "8 MiB announced by Content-Length"
    );
    let head = "POST /hooks/git HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Hub-Signature-256: sha256=00\r\nTransfer-Encoding: chunked\r\n\r\n";
    let mut chunked = Vec::new();
    for _ in 0..64 {
        chunked.extend_from_slice(format!("{:x}\r\n", 128 * 1024).as_bytes());
        chunked.extend_from_slice(&[b' '; 128 * 1024]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw(addr, head.as_bytes(), &chunked), 413, "8 MiB chunked");
}

/// 1,000 requests at once (a quarter each: a signed push, a wrong signature, signed
/// malformed JSON, `GET /status`); returns how many got which status.
fn concurrent(addr: &str, n: usize) -> std::collections::BTreeMap<(usize, u16), usize> {
    let push = PUSH_OTHER_BRANCH.to_vec();
    let good = signed(&push);
    let requests: Vec<(usize, Vec<u8>)> = (0..n)
        .map(|i| {
            let post = |signature: &str, body: &[u8]| {
                let mut r = format!(
                    "POST /hooks/git HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                r.extend_from_slice(body);
                r
            };
            let request = match i % 4 {
                0 => post(&good, &push),
                1 => post("sha256=00", &push),
                2 => post(&signed(b"{nope"), b"{nope"),
                _ => b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
            };
            (i % 4, request)
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tasks = tokio::task::JoinSet::new();
        for (class, request) in requests {
            let addr = addr.to_string();
            tasks.spawn(async move {
                let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
                stream.write_all(&request).await.unwrap();
                let mut response = Vec::new();
                let _ = tokio::time::timeout(
                    Duration::from_secs(60),
                    stream.read_to_end(&mut response),
                )
                .await;
                (class, status_of(&response))
            });
        }
        let mut counts = std::collections::BTreeMap::new();
        while let Some(result) = tasks.join_next().await {
            *counts.entry(result.unwrap()).or_insert(0) += 1;
        }
        counts
    })
}

#[test]
fn webhook_abuse_is_answered_in_bounded_time_and_memory_without_leaking_secrets() {
    let repo = Repo::new(&[]);
    let (_origin, url) = origin_repo(&[("a.yaml", LOG_GROUP)], "first");
    let mut controller = Controller::start(&repo, &url);
    let addr = controller.addr.clone();
    crate::support::wait_until("the first fetch", &|| {
        http(&addr, "GET", "/readyz", &[], b"").0 == 200
    });
    let rss_before = controller.memory_kib("VmRSS:");

    // The slow clients run while everything else hammers the server.
    let slow = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            let headers = stall(&addr, "POST /hooks/git HTTP/1.1\r\nHost: x\r\nX-Hub-Sig");
            let body = stall(&addr, "POST /hooks/git HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: 1000\r\n\r\n{\"ref\":");
            (headers, body)
        })
    };
    wrong_signatures_and_bad_bodies(&addr);
    oversized_bodies(&addr);
    let started = Instant::now();
    let counts = concurrent(&addr, 1000);
    let burst = started.elapsed();
    let expected: std::collections::BTreeMap<(usize, u16), usize> = [
        ((0, 200), 250),
        ((1, 401), 250),
        ((2, 400), 250),
        ((3, 200), 250),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        counts, expected,
        "status codes of 1,000 concurrent requests"
    );
    let ((header_time, header_status), (body_time, body_status)) = slow.join().unwrap();
    let bound = driftless::controller::http::REQUEST_TIMEOUT + Duration::from_secs(5);
    assert!(
        header_time <= bound,
        "slow headers held the connection {header_time:?}"
    );
    assert!(
        matches!(header_status, 0 | 408),
        "slow headers answered {header_status}"
    );
    assert!(
        body_time <= bound,
        "a slow body held the connection {body_time:?}"
    );
    assert_eq!(body_status, 408, "a slow body is timed out");

    assert!(controller.alive(), "the controller died");
    assert_eq!(http(&addr, "GET", "/healthz", &[], b"").0, 200);
    let rss_after = controller.memory_kib("VmRSS:");
    let peak = controller.memory_kib("VmHWM:");
    eprintln!(
        "webhook abuse: RSS {rss_before} KiB before, {rss_after} KiB after, peak {peak} KiB; \
         1,000 concurrent requests in {burst:.2?}; slow headers closed after {header_time:.2?}, \
         slow body after {body_time:.2?}"
    );
    assert!(
        rss_after < rss_before + 64 * 1024,
        "RSS grew from {rss_before} to {rss_after} KiB"
    );
    assert!(
        peak < rss_before + 128 * 1024,
        "peak RSS {peak} KiB (from {rss_before})"
    );

    let _ = controller.child.kill();
    let _ = controller.child.wait();
    std::thread::sleep(Duration::from_millis(200));
    let output = controller.output.lock().unwrap().clone();
    assert!(output.contains("listening on"), "{output}");
    secrets::assert_clean("the controller's output", &output);
}
