//! The git source over real https, end to end: the `driftless` binary fetches its
//! desired state from `git http-backend` behind a TLS (rustls) server on loopback that
//! demands Basic auth, and plans it against the emulator.
//!
//! A throwaway CA and a server certificate for `127.0.0.1` are made with the `openssl`
//! CLI per test. libgit2 verifies the server with OpenSSL's default paths, which honour
//! `SSL_CERT_FILE`: the subprocess is given the CA that way (the test process's own
//! environment is never touched).

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::emulator::TestAccount;
use crate::git_http::GitHttpServer;
use crate::git_source::git_in as git;
use crate::support::Run;

const USER: &str = "x-access-token";
const TOKEN: &str = "tok-https-4d2e8a-correct";
const WRONG_TOKEN: &str = "tok-https-wrong-91c0f7";

const LOG_GROUP: &str = "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /https/app}\nspec: {retentionInDays: 14, tags: {team: web}}\n";

/// Runs the `openssl` CLI in `dir`; panics with its stderr on failure.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the openssl CLI runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed CA in `dir`: `(NAME.pem, NAME.key)`.
fn make_ca(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let config = format!("{name}.cnf");
    fs::write(
        dir.join(&config),
        format!(
            "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3_ca\n\
             [dn]\nCN = driftless test {name}\n\
             [v3_ca]\nbasicConstraints = critical,CA:TRUE\n\
             keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n"
        ),
    )
    .unwrap();
    let (pem, key) = (format!("{name}.pem"), format!("{name}.key"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-config",
            &config,
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "2",
        ],
    );
    (dir.join(pem), dir.join(key))
}

/// A server certificate for `san` (e.g. `IP:127.0.0.1`) signed by the CA:
/// `(server.pem, server.key)`.
fn make_server_cert(dir: &Path, ca: &Path, ca_key: &Path, san: &str) -> (PathBuf, PathBuf) {
    fs::write(
        dir.join("server.cnf"),
        format!(
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = 127.0.0.1\n\
             [v3_server]\nbasicConstraints = critical,CA:FALSE\n\
             keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n\
             subjectAltName = {san}\nauthorityKeyIdentifier = keyid\n"
        ),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-config",
            "server.cnf",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            &ca.to_string_lossy(),
            "-CAkey",
            &ca_key.to_string_lossy(),
            "-set_serial",
            "1",
            "-days",
            "2",
            "-extfile",
            "server.cnf",
            "-extensions",
            "v3_server",
            "-out",
            "server.pem",
        ],
    );
    (dir.join("server.pem"), dir.join("server.key"))
}

/// A rustls server config presenting `cert` (PEM) with `key` (PEM).
fn tls_config(cert: &Path, key: &Path) -> Arc<rustls::ServerConfig> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    Arc::new(config)
}

/// A repository holding one LogGroup spec on `main`, served over https by a server
/// whose certificate (for `san`) is signed by `ca`; a fresh account and state dir.
struct Served {
    tmp: tempfile::TempDir,
    ca: PathBuf,
    sha: String,
    server: GitHttpServer,
    state: tempfile::TempDir,
    account: TestAccount,
}

impl Served {
    fn new(san: &str) -> Served {
        let tmp = tempfile::tempdir().unwrap();
        let pki = tmp.path().join("pki");
        let work = tmp.path().join("work");
        let root = tmp.path().join("served");
        for dir in [&pki, &work, &root] {
            fs::create_dir_all(dir).unwrap();
        }
        let (ca, ca_key) = make_ca(&pki, "ca");
        let (cert, key) = make_server_cert(&pki, &ca, &ca_key, san);

        git(&work, &["init", "-q", "-b", "main"]);
        fs::write(work.join("a.yaml"), LOG_GROUP).unwrap();
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "Log group over https"]);
        let sha = git(&work, &["rev-parse", "HEAD"]);
        git(
            tmp.path(),
            &["clone", "-q", "--bare", "work", "served/repo.git"],
        );
        let server = GitHttpServer::start_tls(&root, &[(USER, TOKEN)], tls_config(&cert, &key));
        Served {
            tmp,
            ca,
            sha,
            server,
            state: tempfile::tempdir().unwrap(),
            account: TestAccount::new(),
        }
    }

    /// `driftless plan --detailed-exitcode --output json --source https://… --ref main`
    /// with the environment of `support.rs`'s `Repo::run_raw` plus `env`.
    fn plan(&self, env: &[(&str, &OsStr)]) -> Run {
        let url = self.server.url();
        assert!(url.starts_with("https://127.0.0.1:"), "{url}");
        let out = crate::support::driftless(&self.account, self.state.path())
            .args(["plan", "--detailed-exitcode", "--output", "json"])
            .args(["--source", &url, "--ref", "main"])
            .arg("--state-dir")
            .arg(self.state.path())
            .envs(env.iter().copied())
            .output()
            .unwrap();
        Run::from_output(&out)
    }
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

#[test]
fn token_over_https_plans_the_served_commit() {
    let s = Served::new("IP:127.0.0.1");
    let run = s.plan(&[
        ("SSL_CERT_FILE", s.ca.as_os_str()),
        ("DRIFTLESS_GIT_TOKEN", os(TOKEN)),
    ]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let plan = run.json();
    assert_eq!(plan["revision"], s.sha.as_str(), "{plan}");
    assert_eq!(plan["summary"]["create"], 1, "{plan}");
    assert_eq!(plan["changes"][0]["name"], "/https/app", "{plan}");

    // The repository really came over the TLS server, with the token's user.
    let seen = s.server.seen();
    assert!(
        seen.iter().any(|r| r.method == "GET"
            && r.target == "/repo.git/info/refs?service=git-upload-pack"
            && r.user.as_deref() == Some(USER)),
        "{seen:#?}"
    );
    assert!(
        seen.iter().any(|r| r.method == "POST"
            && r.target == "/repo.git/git-upload-pack"
            && r.user.as_deref() == Some(USER)),
        "{seen:#?}"
    );
    assert!(!run.output().contains(TOKEN), "{}", run.output());
}

#[test]
fn an_untrusted_certificate_fails_and_says_to_set_ssl_cert_file() {
    let s = Served::new("IP:127.0.0.1");
    // No SSL_CERT_FILE: only the system CAs, which never signed the test CA.
    let untrusted = s.plan(&[("DRIFTLESS_GIT_TOKEN", os(TOKEN))]);
    // SSL_CERT_FILE naming some other CA.
    let other_dir = s.tmp.path().join("other");
    fs::create_dir_all(&other_dir).unwrap();
    let (other_ca, _) = make_ca(&other_dir, "other-ca");
    let other = s.plan(&[
        ("SSL_CERT_FILE", other_ca.as_os_str()),
        ("DRIFTLESS_GIT_TOKEN", os(TOKEN)),
    ]);
    for run in [&untrusted, &other] {
        assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
        let err = &run.stderr;
        assert!(err.contains(&s.server.url()), "{err}");
        assert!(err.contains("TLS certificate check failed"), "{err}");
        assert!(err.contains("the SSL certificate is invalid"), "{err}");
        assert!(err.contains("set SSL_CERT_FILE"), "{err}");
        assert!(!err.contains("ssh host key"), "{err}");
        assert!(!run.output().contains(TOKEN), "{}", run.output());
    }
    // Nothing was sent to the untrusted server: no request, so no token.
    let seen = s.server.seen();
    assert!(seen.is_empty(), "{seen:#?}");

    // The same server is fine once its CA is trusted.
    let trusted = s.plan(&[
        ("SSL_CERT_FILE", s.ca.as_os_str()),
        ("DRIFTLESS_GIT_TOKEN", os(TOKEN)),
    ]);
    assert_eq!(trusted.code, 2, "{}", trusted.stderr);
    assert_eq!(trusted.json()["revision"], s.sha.as_str());
}

#[test]
fn a_certificate_for_another_host_is_refused() {
    // Signed by the trusted CA, but for 127.0.0.2 while the URL says 127.0.0.1.
    let s = Served::new("IP:127.0.0.2");
    let run = s.plan(&[
        ("SSL_CERT_FILE", s.ca.as_os_str()),
        ("DRIFTLESS_GIT_TOKEN", os(TOKEN)),
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("TLS certificate check failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hostname does not match certificate"),
        "{}",
        run.stderr
    );
    assert!(!run.output().contains(TOKEN), "{}", run.output());
    let seen = s.server.seen();
    assert!(seen.is_empty(), "{seen:#?}");
}

#[test]
fn a_wrong_token_over_https_is_refused_without_showing_it() {
    let s = Served::new("IP:127.0.0.1");
    let run = s.plan(&[
        ("SSL_CERT_FILE", s.ca.as_os_str()),
        ("DRIFTLESS_GIT_TOKEN", os(WRONG_TOKEN)),
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("git authentication failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("credentials were refused"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&s.server.url()), "{}", run.stderr);
    assert!(!run.output().contains(WRONG_TOKEN), "{}", run.output());
    assert!(!run.output().contains(TOKEN), "{}", run.output());
    // The TLS session was up and the wrong token offered, never accepted.
    let seen = s.server.seen();
    assert!(seen.iter().any(|r| r.sent_auth), "{seen:#?}");
    assert!(seen.iter().all(|r| r.user.is_none()), "{seen:#?}");
}
