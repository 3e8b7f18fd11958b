//! The secrets tests hand to driftless, and the check that none of them ever appears
//! in what driftless prints (issue 13: "log output of every test scanned for the
//! secrets it was given").
//!
//! Every run through `support::driftless` gets [`AWS_SECRET_KEY`] as its AWS secret key;
//! `Repo::run_raw` and the controller helpers in `support.rs` scan stdout and stderr for
//! every known secret (the constants here and any a test adds with [`register`]).
//! A controller's stderr is scanned line by line as it is drained: a leak there aborts
//! the test binary with the line (a background thread cannot fail the test otherwise).

use std::sync::Mutex;

/// The AWS secret access key of every test run (the emulator does not check it).
pub const AWS_SECRET_KEY: &str = "dltest-aws-secret-7Qm2xVb9KpL4";
/// The webhook secret of the controllers `support.rs` starts.
pub const WEBHOOK_SECRET: &str = "s3cret";
/// Secrets the hostile-input tests pass (admin token, git credentials).
pub const ADMIN_TOKEN: &str = "dltest-admin-token-Hn6Wc2Rz";
pub const GIT_TOKEN: &str = "dltest-git-token-Ty8Pq3Jd";
pub const GIT_PASSWORD: &str = "dltest-git-password-Ue5Lk7Sa";

static REGISTERED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Adds a secret a test passes to driftless, so every scan looks for it too.
pub fn register(secret: &str) {
    let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    if !registered.iter().any(|s| s == secret) {
        registered.push(secret.to_string());
    }
}

/// Every secret a scan looks for.
fn all() -> Vec<String> {
    let mut secrets: Vec<String> = [
        AWS_SECRET_KEY,
        WEBHOOK_SECRET,
        ADMIN_TOKEN,
        GIT_TOKEN,
        GIT_PASSWORD,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    secrets.extend(
        REGISTERED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned(),
    );
    secrets
}

/// The first secret `text` contains.
pub fn leaked(text: &str) -> Option<String> {
    all().into_iter().find(|s| text.contains(s.as_str()))
}

/// Panics when `text` (the output `what` of a driftless run) contains a secret.
pub fn assert_clean(what: &str, text: &str) {
    if let Some(secret) = leaked(text) {
        panic!("driftless printed the secret `{secret}` on {what}:\n{text}");
    }
}

/// For drained output threads: a line with a secret ends the test binary.
pub fn abort_on_leak(line: &str) {
    if let Some(secret) = leaked(line) {
        eprintln!("driftless printed the secret `{secret}` in a controller log line:\n{line}");
        std::process::abort();
    }
}

#[test]
fn scans_find_every_kind_of_secret() {
    register("dltest-registered-Zx1");
    for secret in [
        AWS_SECRET_KEY,
        ADMIN_TOKEN,
        GIT_TOKEN,
        GIT_PASSWORD,
        "dltest-registered-Zx1",
    ] {
        assert_eq!(
            leaked(&format!("a line with {secret} inside")),
            Some(secret.to_string())
        );
    }
    assert_eq!(leaked("nothing to see: s3***, dltest-aws-secret-***"), None);
    let caught =
        std::panic::catch_unwind(|| assert_clean("stdout", "token=dltest-git-token-Ty8Pq3Jd"));
    assert!(caught.is_err());
}
