//! The git source over smart HTTP with credentials, for real: a bare repository served
//! by `git http-backend` (CGI) behind a small HTTP/1.1 server on loopback that demands
//! `Authorization: Basic`. libgit2 speaks the same smart protocol and runs the same
//! credential callback over plain `http://` as over `https://`. The same server speaks
//! TLS (rustls) when started with [`GitHttpServer::start_tls`]: `git_https.rs` runs the
//! real binary against it.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use driftless::source::git::{base64_encode, GitAuth, GitSource};
use driftless::source::SourceError;

use crate::git_source::{files, git_in as git, read};

const USER: &str = "x-access-token";
const TOKEN: &str = "tok-http-7f3a9c-correct";
const WRONG_TOKEN: &str = "tok-http-wrong-5e1b2d";
const URL_USER: &str = "alice";
const URL_PASSWORD: &str = "pw-in-url-9b8c7d";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) target: String,
    /// The user whose credentials were accepted; `None` when answered 401.
    pub(crate) user: Option<String>,
    /// Whether an `Authorization` header was sent at all.
    pub(crate) sent_auth: bool,
}

/// A bare repository `repo.git` under a project root, served over HTTP (or HTTPS) on
/// loopback by `git http-backend`, for the accepted `user:password` pairs only.
pub(crate) struct GitHttpServer {
    pub(crate) addr: SocketAddr,
    root: PathBuf,
    tls: bool,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    accept: Option<thread::JoinHandle<()>>,
}

impl GitHttpServer {
    /// Plain `http://`.
    pub(crate) fn start(root: &Path, accounts: &[(&str, &str)]) -> GitHttpServer {
        Self::start_with(root, accounts, None)
    }

    /// `https://`: every accepted connection is wrapped in a rustls server session.
    pub(crate) fn start_tls(
        root: &Path,
        accounts: &[(&str, &str)],
        tls: Arc<rustls::ServerConfig>,
    ) -> GitHttpServer {
        Self::start_with(root, accounts, Some(tls))
    }

    fn start_with(
        root: &Path,
        accounts: &[(&str, &str)],
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> GitHttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // `Basic base64(user:password)` → user.
        let accepted: Arc<HashMap<String, String>> = Arc::new(
            accounts
                .iter()
                .map(|(u, p)| {
                    (
                        format!("Basic {}", base64_encode(format!("{u}:{p}").as_bytes())),
                        (*u).to_string(),
                    )
                })
                .collect(),
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let is_tls = tls.is_some();
        let accept = {
            let (root, seen, stop) = (root.to_path_buf(), seen.clone(), stop.clone());
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (root, seen, accepted, tls) =
                        (root.clone(), seen.clone(), accepted.clone(), tls.clone());
                    thread::spawn(move || {
                        if let Err(e) = connection(conn, tls, &root, &accepted, &seen) {
                            eprintln!("git http test server: {e}");
                        }
                    });
                }
            })
        };
        GitHttpServer {
            addr,
            root: root.to_path_buf(),
            tls: is_tls,
            seen,
            stop,
            accept: Some(accept),
        }
    }

    fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("{}://{}/repo.git", self.scheme(), self.addr)
    }

    fn url_with_userinfo(&self, userinfo: &str) -> String {
        format!("{}://{userinfo}@{}/repo.git", self.scheme(), self.addr)
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn bare(&self) -> PathBuf {
        self.root.join("repo.git")
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// One accepted connection, in the clear or inside a TLS session.
fn connection(
    conn: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    root: &Path,
    accepted: &HashMap<String, String>,
    seen: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let Some(config) = tls else {
        return serve(conn, root, accepted, seen);
    };
    let session = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut stream = rustls::StreamOwned::new(session, conn);
    let served = serve(&mut stream, root, accepted, seen);
    stream.conn.send_close_notify();
    let _ = stream.flush();
    match served {
        // A client that gives up after the handshake (e.g. it does not trust the
        // certificate) closes the socket without a TLS close_notify.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(()),
        other => other,
    }
}

/// Serves requests on one connection (keep-alive) until the client closes it.
fn serve<S: Read + Write>(
    conn: S,
    root: &Path,
    accepted: &HashMap<String, String>,
    seen: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    // Reads go through the buffer, writes straight to the stream underneath.
    let mut reader = BufReader::new(conn);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let request_line = request_line.trim_end().to_string();
        if request_line.is_empty() {
            continue;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut headers: HashMap<String, String> = HashMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
            }
        }
        let header = |name: &str| headers.get(name).map(String::as_str);
        let keep_alive = !header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let user = header("authorization")
            .and_then(|a| accepted.get(a))
            .cloned();
        seen.lock().unwrap().push(Seen {
            method: method.clone(),
            target: target.clone(),
            user: user.clone(),
            sent_auth: header("authorization").is_some(),
        });
        let Some(user) = user else {
            // Refused before reading any body: close the connection afterwards.
            reader.get_mut().write_all(
                b"HTTP/1.1 401 Unauthorized\r\n\
                  WWW-Authenticate: Basic realm=\"git\"\r\n\
                  Content-Type: text/plain\r\n\
                  Content-Length: 13\r\n\
                  Connection: close\r\n\r\n\
                  Unauthorized\n",
            )?;
            reader.get_mut().flush()?;
            return Ok(());
        };
        if header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
            reader
                .get_mut()
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            reader.get_mut().flush()?;
        }
        let body = read_body(&mut reader, &headers)?;
        let (path_info, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
        let mut cgi = Command::new("git");
        cgi.arg("http-backend")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_PROJECT_ROOT", root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("GATEWAY_INTERFACE", "CGI/1.1")
            .env("SERVER_PROTOCOL", "HTTP/1.1")
            .env("REQUEST_METHOD", &method)
            .env("PATH_INFO", path_info)
            .env("QUERY_STRING", query)
            .env("CONTENT_TYPE", header("content-type").unwrap_or(""))
            .env("CONTENT_LENGTH", body.len().to_string())
            .env("REMOTE_USER", &user)
            .env("REMOTE_ADDR", "127.0.0.1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(v) = header("git-protocol") {
            cgi.env("HTTP_GIT_PROTOCOL", v);
        }
        if let Some(v) = header("content-encoding") {
            cgi.env("HTTP_CONTENT_ENCODING", v);
        }
        let mut child = cgi.spawn()?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let writer = thread::spawn(move || {
            let _ = stdin.write_all(&body);
        });
        let output = child.wait_with_output()?;
        let _ = writer.join();
        if !output.stderr.is_empty() {
            eprintln!(
                "git http-backend: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let (status, cgi_headers, cgi_body) = parse_cgi(&output.stdout);
        let mut response = format!("HTTP/1.1 {status}\r\n");
        for (name, value) in &cgi_headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str(&format!("Content-Length: {}\r\n", cgi_body.len()));
        if !keep_alive {
            response.push_str("Connection: close\r\n");
        }
        response.push_str("\r\n");
        let out = reader.get_mut();
        out.write_all(response.as_bytes())?;
        out.write_all(cgi_body)?;
        out.flush()?;
        if !keep_alive {
            return Ok(());
        }
    }
}

/// The request body, by `Content-Length` or `Transfer-Encoding: chunked`.
fn read_body(
    reader: &mut impl BufRead,
    headers: &HashMap<String, String>,
) -> std::io::Result<Vec<u8>> {
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    if !chunked {
        let len: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        return Ok(body);
    }
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size_hex = size_line.trim().split(';').next().unwrap_or("0");
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        if size == 0 {
            // Trailers, then the empty line.
            loop {
                let mut line = String::new();
                reader.read_line(&mut line)?;
                if line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}

/// Splits a CGI response into the HTTP status, the other headers and the body.
fn parse_cgi(raw: &[u8]) -> (String, Vec<(String, String)>, &[u8]) {
    let (head_end, body_start) = match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => (i, i + 4),
        None => match raw.windows(2).position(|w| w == b"\n\n") {
            Some(i) => (i, i + 2),
            None => (raw.len(), raw.len()),
        },
    };
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut status = "200 OK".to_string();
    let mut headers = Vec::new();
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("status") {
            status = value.to_string();
        } else if !name.eq_ignore_ascii_case("content-length") {
            headers.push((name.to_string(), value.to_string()));
        }
    }
    (status, headers, &raw[body_start..])
}

/// A working repository whose `main` is pushed to a bare `repo.git` that a
/// [`GitHttpServer`] serves.
struct Fixture {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    state: PathBuf,
    server: GitHttpServer,
}

impl Fixture {
    /// A served repository with `a.yaml` and `ops/b.yaml` in one commit on `main`.
    fn new(accounts: &[(&str, &str)]) -> (Fixture, String) {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        let root = tmp.path().join("served");
        let state = tmp.path().join("state");
        fs::create_dir_all(&work).unwrap();
        fs::create_dir_all(&root).unwrap();
        git(&work, &["init", "-q", "-b", "main"]);
        fs::write(work.join("a.yaml"), "one: 1\n").unwrap();
        fs::create_dir_all(work.join("ops")).unwrap();
        fs::write(work.join("ops/b.yaml"), "two: 2\n").unwrap();
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "First over http"]);
        let sha = git(&work, &["rev-parse", "HEAD"]);
        git(
            tmp.path(),
            &["clone", "-q", "--bare", "work", "served/repo.git"],
        );
        let server = GitHttpServer::start(&root, accounts);
        (
            Fixture {
                _tmp: tmp,
                work,
                state,
                server,
            },
            sha,
        )
    }

    /// Commits `a.yaml` with `text` and pushes `main` to the served repository over
    /// HTTP with the git CLI (`user:password` in the URL); returns the SHA.
    fn push_change(&self, text: &str, message: &str, user: &str, password: &str) -> String {
        fs::write(self.work.join("a.yaml"), text).unwrap();
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "-q", "-m", message]);
        let url = self.server.url_with_userinfo(&format!("{user}:{password}"));
        git(&self.work, &["push", "-q", &url, "main:main"]);
        git(&self.work, &["rev-parse", "HEAD"])
    }

    fn source(&self, url: String, auth: GitAuth) -> GitSource {
        GitSource {
            url,
            reference: "main".into(),
            path: None,
            checkout_dir: self.state.join("source"),
            auth,
        }
    }
}

fn token_auth(token: &str) -> GitAuth {
    GitAuth::from_vars(|name| (name == "DRIFTLESS_GIT_TOKEN").then(|| token.to_string())).unwrap()
}

/// Display and Debug of an error, to look for secrets in.
fn shown(err: &SourceError) -> String {
    format!("{err}\n{err:?}")
}

#[test]
fn token_fetches_over_http() {
    let (fx, sha) = Fixture::new(&[(USER, TOKEN)]);
    let src = fx.source(fx.server.url(), token_auth(TOKEN));

    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, sha);
    assert_eq!(rev.message, "First over http");
    assert_eq!(rev.author, "Ada Lovelace <ada@example.com>");
    assert_eq!(rev.time_unix, 1_714_564_800);
    assert_eq!(rev.previous, None);
    assert!(!rev.forced);
    assert_eq!(files(&rev), ["a.yaml", "ops/b.yaml"]);
    assert_eq!(read(&rev, "a.yaml"), "one: 1\n");
    assert_eq!(read(&rev, "ops/b.yaml"), "two: 2\n");
    assert_eq!(src.last_revision().as_deref(), Some(sha.as_str()));

    let seen = fx.server.seen();
    // The server was really asked (smart HTTP), and with the default username.
    assert!(
        seen.iter().any(|s| s.method == "GET"
            && s.target == "/repo.git/info/refs?service=git-upload-pack"
            && s.user.as_deref() == Some(USER)),
        "{seen:#?}"
    );
    assert!(
        seen.iter().any(|s| s.method == "POST"
            && s.target == "/repo.git/git-upload-pack"
            && s.user.as_deref() == Some(USER)),
        "{seen:#?}"
    );
    // First fetch over the network is shallow (depth 1).
    let shallow = fs::read_to_string(src.repo_dir().join("shallow")).unwrap();
    assert_eq!(shallow.trim(), sha);

    let snapshot = src.snapshot(&rev).unwrap();
    assert_eq!(snapshot.revision, sha);
}

#[test]
fn custom_username_is_sent() {
    let (fx, sha) = Fixture::new(&[("deploy-bot", TOKEN)]);
    let auth = GitAuth::from_vars(|name| match name {
        "DRIFTLESS_GIT_TOKEN" => Some(TOKEN.into()),
        "DRIFTLESS_GIT_USERNAME" => Some("deploy-bot".into()),
        _ => None,
    })
    .unwrap();
    let rev = fx.source(fx.server.url(), auth).fetch().unwrap();
    assert_eq!(rev.sha, sha);
    assert!(fx
        .server
        .seen()
        .iter()
        .any(|s| s.user.as_deref() == Some("deploy-bot")));
}

#[test]
fn wrong_token_is_refused_without_showing_it() {
    let (fx, _) = Fixture::new(&[(USER, TOKEN)]);
    let src = fx.source(fx.server.url(), token_auth(WRONG_TOKEN));

    let err = src.fetch().unwrap_err();
    assert!(matches!(err, SourceError::GitAuth { .. }), "{err:?}");
    let text = shown(&err);
    assert!(text.contains("git authentication failed"), "{text}");
    assert!(text.contains("the credentials were refused"), "{text}");
    assert!(text.contains("DRIFTLESS_GIT_TOKEN"), "{text}");
    assert!(text.contains(&fx.server.url()), "{text}");
    assert!(!text.contains(WRONG_TOKEN), "{text}");
    assert!(!format!("{src:?}").contains(WRONG_TOKEN));

    // The wrong token was really offered, a bounded number of times, and never accepted.
    let seen = fx.server.seen();
    assert!(seen.iter().all(|s| s.user.is_none()), "{seen:#?}");
    let offered = seen.iter().filter(|s| s.sent_auth).count();
    assert!((1..=5).contains(&offered), "{seen:#?}");
    // Nothing fetched, nothing recorded.
    assert_eq!(src.last_revision(), None);
    assert!(!src.worktree_dir().exists());
}

#[test]
fn no_credentials_against_a_server_that_wants_them() {
    let (fx, _) = Fixture::new(&[(USER, TOKEN)]);
    let src = fx.source(fx.server.url(), GitAuth::default());

    let err = src.fetch().unwrap_err();
    assert!(matches!(err, SourceError::GitAuth { .. }), "{err:?}");
    let text = shown(&err);
    assert!(
        text.contains("the remote asks for credentials and none are configured"),
        "{text}"
    );
    assert!(text.contains("DRIFTLESS_GIT_TOKEN"), "{text}");
    let seen = fx.server.seen();
    assert!(
        !seen.is_empty() && seen.iter().all(|s| !s.sent_auth),
        "{seen:#?}"
    );
    assert_eq!(src.last_revision(), None);
}

#[test]
fn credentials_in_the_url_work_and_are_redacted() {
    let (fx, sha) = Fixture::new(&[(URL_USER, URL_PASSWORD)]);

    // Right user:password in the URL, nothing configured: libgit2 presents them.
    let url = fx
        .server
        .url_with_userinfo(&format!("{URL_USER}:{URL_PASSWORD}"));
    let src = fx.source(url, GitAuth::default());
    assert!(!format!("{src:?}").contains(URL_PASSWORD));
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, sha);
    assert_eq!(read(&rev, "a.yaml"), "one: 1\n");
    assert!(fx
        .server
        .seen()
        .iter()
        .any(|s| s.user.as_deref() == Some(URL_USER)));

    // Wrong password in the URL: refused, and neither password is ever shown.
    let wrong = "pw-in-url-wrong-4c3b";
    let url = fx.server.url_with_userinfo(&format!("{URL_USER}:{wrong}"));
    let mut src = fx.source(url, GitAuth::default());
    src.checkout_dir = fx.state.join("other");
    let debug = format!("{src:?}");
    assert!(!debug.contains(wrong), "{debug}");
    let err = src.fetch().unwrap_err();
    assert!(matches!(err, SourceError::GitAuth { .. }), "{err:?}");
    let text = shown(&err);
    assert!(!text.contains(wrong), "{text}");
    assert!(!text.contains(URL_PASSWORD), "{text}");
    let redacted = format!("http://{URL_USER}:***@{}/repo.git", fx.server.addr);
    assert!(text.contains(&redacted), "{text}");
    assert!(text.contains("refused"), "{text}");
    assert!(text.contains("in the URL"), "{text}");
    assert_eq!(src.last_revision(), None);
}

#[test]
fn second_fetch_picks_up_a_pushed_commit() {
    let (fx, first) = Fixture::new(&[(USER, TOKEN)]);
    let src = fx.source(fx.server.url(), token_auth(TOKEN));
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, first);

    let second = fx.push_change("one: 11\n", "Second over http", USER, TOKEN);
    assert_ne!(second, first);
    assert_eq!(git(&fx.server.bare(), &["rev-parse", "main"]), second);

    let before = fx.server.seen().len();
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, second);
    assert_eq!(rev.message, "Second over http");
    assert_eq!(rev.previous.as_deref(), Some(first.as_str()));
    assert!(!rev.forced, "a fast-forward over http is not forced");
    assert_eq!(read(&rev, "a.yaml"), "one: 11\n");
    assert_eq!(files(&rev), ["a.yaml", "ops/b.yaml"]);
    assert_eq!(src.last_revision().as_deref(), Some(second.as_str()));
    // The second fetch went over the wire again.
    assert!(fx.server.seen()[before..]
        .iter()
        .any(|s| s.target == "/repo.git/git-upload-pack" && s.user.as_deref() == Some(USER)));
    // Incremental: the first commit is still there (parent of the second).
    assert_eq!(
        git(&src.repo_dir(), &["rev-parse", &format!("{second}^")]),
        first
    );
}

#[test]
fn fetches_an_older_sha_over_http() {
    let (fx, first) = Fixture::new(&[(USER, TOKEN)]);
    let second = fx.push_change("one: 2\n", "Second", USER, TOKEN);
    let mut src = fx.source(fx.server.url(), token_auth(TOKEN));
    // `first` is no longer a branch tip: servers refuse it as a direct want by default.
    src.reference = first.clone();
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, first);
    assert_eq!(read(&rev, "a.yaml"), "one: 1\n");

    src.reference = second.clone();
    let rev = src.fetch().unwrap();
    assert_eq!(rev.sha, second);
    assert_eq!(read(&rev, "a.yaml"), "one: 2\n");

    // A commit the server does not have (committed locally, never pushed): the server
    // refuses the want, the branches and tags are fetched instead, and it is reported
    // as not found rather than as an unreachable remote.
    fs::write(fx.work.join("a.yaml"), "one: 3\n").unwrap();
    git(&fx.work, &["commit", "-q", "-am", "Never pushed"]);
    let unpushed = git(&fx.work, &["rev-parse", "HEAD"]);
    src.reference = unpushed.clone();
    let err = src.fetch().unwrap_err();
    assert!(
        matches!(&err, SourceError::GitRefNotFound { reference, .. } if *reference == unpushed),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("no such commit on the remote"),
        "{err}"
    );
    assert_eq!(src.last_revision().as_deref(), Some(second.as_str()));
    assert_eq!(read(&rev, "a.yaml"), "one: 2\n");
}
