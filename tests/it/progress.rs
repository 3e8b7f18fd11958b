//! Progress on the terminal (issue 24, item 4): `plan` and `apply` show targets read
//! and units applied on stderr when it is a terminal, and nothing of it when stderr is
//! piped or `--no-progress` is given.
//!
//! The terminal is a real pseudo-terminal: util-linux's `script` runs the binary on
//! one and copies what was drawn on it (both streams) to its own stdout.

use std::process::{Command, Stdio};

use crate::state_s3::alarms;
use crate::support::{driftless, Repo};

/// What `driftless ARGS --source REPO --state-dir STATE` drew on a pseudo-terminal,
/// run with the same clean environment as every other test's binary.
fn on_a_terminal(repo: &Repo, args: &[&str]) -> String {
    let binary = driftless(&repo.account, repo.state.path());
    let mut line = vec![quote(binary.get_program().to_str().unwrap())];
    line.extend(args.iter().map(|a| quote(a)));
    line.extend([
        "--source".to_string(),
        quote(repo.dir.path().to_str().unwrap()),
        "--state-dir".to_string(),
        quote(repo.state.path().to_str().unwrap()),
    ]);
    let mut script = Command::new("script");
    script.env_clear();
    for (key, value) in binary.get_envs() {
        if let Some(value) = value {
            script.env(key, value);
        }
    }
    let out = script
        .env("TERM", "xterm")
        .args([
            "--quiet",
            "--return",
            "--command",
            &line.join(" "),
            "/dev/null",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("util-linux `script` runs the binary on a pseudo-terminal");
    let drawn = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() || out.status.code() == Some(2),
        "driftless {args:?} on a terminal failed ({:?}):\n{drawn}",
        out.status
    );
    drawn
}

/// `text` single-quoted for the shell `script` runs the command with.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[test]
fn plan_and_apply_show_progress_on_a_terminal_only() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("progress", 3))]);

    let drawn = on_a_terminal(&repo, &["plan"]);
    // The count is drawn as it goes (the last frame may be cleared before it is drawn).
    assert!(
        drawn.contains("/1 targets read"),
        "plan on a terminal:\n{drawn}"
    );
    assert!(
        drawn.contains("3 to create"),
        "the plan itself is printed too:\n{drawn}"
    );

    let quiet = on_a_terminal(&repo, &["plan", "--no-progress"]);
    assert!(!quiet.contains("targets read"), "--no-progress:\n{quiet}");
    assert!(quiet.contains("3 to create"), "{quiet}");

    let piped = repo.run(&["plan"]);
    assert!(!piped.stderr.contains("targets read"), "{}", piped.stderr);
    assert!(!piped.stdout.contains("targets read"), "{}", piped.stdout);

    let drawn = on_a_terminal(&repo, &["apply", "--auto-approve"]);
    assert!(
        drawn.contains("/3 units applied"),
        "apply on a terminal:\n{drawn}"
    );

    let piped = repo.run(&["apply", "--auto-approve"]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(!piped.stderr.contains("units applied"), "{}", piped.stderr);
}
