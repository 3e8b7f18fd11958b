//! `driftless validate` end to end: the bad-input corpus (every case rejected with its
//! expected location and message), the valid corpus and examples, and the exit codes
//! and JSON of the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use driftless::spec::diagnostic::render_text;
use driftless::validate::{load_folder, LoadError};

use crate::support::repo_root;

fn cases(kind: &str) -> Vec<PathBuf> {
    let dir = repo_root().join("tests/fixtures").join(kind);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn name(case: &Path) -> String {
    case.file_name().unwrap().to_string_lossy().into_owned()
}

/// The `path:line:column: error: message` (and `warning:`) lines of a rendering,
/// without hints.
fn error_lines(rendered: &str) -> Vec<String> {
    rendered
        .lines()
        .filter(|l| l.contains(": error: ") || l.contains(": warning: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_invalid_corpus_has_at_least_fifty_cases() {
    assert!(cases("invalid").len() >= 50, "{}", cases("invalid").len());
}

#[test]
fn every_invalid_case_is_rejected_with_its_expected_diagnostics() {
    let mut snapshot = String::new();
    let mut failures = Vec::new();
    for case in cases("invalid") {
        let expected = std::fs::read_to_string(case.join("expected.txt"))
            .unwrap_or_else(|e| panic!("{}: expected.txt: {e}", case.display()));
        let expected: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(
            !expected.is_empty(),
            "{}: expected.txt is empty",
            name(&case)
        );
        let rendered = match load_folder(&case, "") {
            Ok(_) => {
                failures.push(format!("{}: accepted", name(&case)));
                continue;
            }
            Err(LoadError::Invalid(diagnostics)) => render_text(&diagnostics),
            Err(other) => panic!("{}: {other}", name(&case)),
        };
        let actual = error_lines(&rendered);
        if actual != expected {
            failures.push(format!(
                "{}:\n  expected: {expected:#?}\n  actual:   {actual:#?}",
                name(&case)
            ));
        }
        snapshot.push_str(&format!("=== {}\n{rendered}", name(&case)));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    insta::assert_snapshot!("invalid_corpus", snapshot);
}

#[test]
fn valid_fixtures_examples_and_the_shared_quick_specs_pass() {
    let mut folders = cases("valid");
    folders.push(repo_root().join("examples/quickstart"));
    folders.push(repo_root().join("examples/multi-region"));
    folders.push(repo_root().join("examples/aws-config"));
    let shared = repo_root().join("../shared/acceptance/specs/quick");
    if shared.is_dir() {
        folders.push(shared);
    }
    for folder in folders {
        match load_folder(&folder, "") {
            Ok(loaded) => assert!(loaded.documents > 0, "{}: no documents", folder.display()),
            Err(LoadError::Invalid(d)) => panic!("{}:\n{}", folder.display(), render_text(&d)),
            Err(e) => panic!("{}: {e}", folder.display()),
        }
    }
}

#[test]
fn examples_cover_every_kind() {
    let loaded = load_folder(&repo_root().join("examples/quickstart"), "").unwrap();
    // AWS Config rules and State Manager associations have their own examples (the
    // quickstart's fault census, faults.rs and estate.rs, reads neither yet).
    let config = load_folder(&repo_root().join("examples/aws-config"), "").unwrap();
    let state_manager = load_folder(&repo_root().join("examples/state-manager"), "").unwrap();
    for kind in driftless::spec::Kind::ALL {
        let example = match kind {
            driftless::spec::Kind::ConfigRule
            | driftless::spec::Kind::ConformancePack
            | driftless::spec::Kind::ConfigurationRecorder => &config,
            driftless::spec::Kind::Association => &state_manager,
            _ => &loaded,
        };
        assert!(
            example.state.resources.iter().any(|r| r.kind() == *kind),
            "quickstart has no {kind}"
        );
    }
    let multi = load_folder(&repo_root().join("examples/multi-region"), "").unwrap();
    assert_eq!(multi.state.config.accounts().count(), 2);
    let alarm = multi
        .state
        .resources
        .iter()
        .find(|r| r.name() == "web-cpu-high")
        .unwrap();
    assert_eq!(alarm.targets, ["prod-tokyo"]);
    let vault = multi
        .state
        .resources
        .iter()
        .find(|r| r.name() == "prod-vault")
        .unwrap();
    assert_eq!(vault.targets, ["prod-tokyo", "prod-osaka"]);
    assert_eq!(
        multi.state.config.groups["prod"],
        ["prod-tokyo", "prod-osaka"]
    );
    // Per-target values: one resource per target, resolved with driftless.yaml's facts.
    let actions: Vec<(String, Vec<String>)> = multi
        .state
        .resources
        .iter()
        .filter(|r| r.name() == "backup-jobs-failed")
        .map(|r| match &r.spec {
            driftless::spec::ResourceSpec::MetricAlarm(a) => {
                (r.targets.join(","), a.alarm_actions.clone())
            }
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        actions,
        [
            (
                "prod-tokyo".to_string(),
                vec!["arn:aws:sns:ap-northeast-1:111111111111:ops-oncall".to_string()]
            ),
            (
                "prod-osaka".to_string(),
                vec!["arn:aws:sns:ap-northeast-3:222222222222:ops-oncall".to_string()]
            ),
        ]
    );
}

fn driftless(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_binary_exits_1_with_locations_for_every_invalid_case() {
    for case in cases("invalid") {
        let dir = case.to_string_lossy().into_owned();
        let (code, stdout, stderr) = driftless(&["validate", &dir]);
        assert_eq!(code, 1, "{}: {stdout}{stderr}", name(&case));
        let first = std::fs::read_to_string(case.join("expected.txt")).unwrap();
        let first = first.lines().next().unwrap();
        assert!(
            stderr.contains(&format!("{dir}/{first}")),
            "{}: wanted `{dir}/{first}` in\n{stderr}",
            name(&case)
        );
        assert!(
            stderr.trim_end().ends_with("nothing was applied"),
            "{stderr}"
        );
    }
}

#[test]
fn the_binary_accepts_the_quickstart() {
    let dir = repo_root().join("examples/quickstart");
    let (code, stdout, stderr) = driftless(&["validate", &dir.to_string_lossy()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("valid: 17 documents in 7 files"),
        "{stdout}"
    );
}

#[test]
fn json_output_lists_every_error_with_its_location() {
    let dir = repo_root().join("tests/fixtures/invalid/errors-in-several-files");
    let (code, stdout, _) = driftless(&["validate", "--output", "json", &dir.to_string_lossy()]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["valid"], false);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert!(errors[0]["path"].as_str().unwrap().ends_with("/a.yaml"));
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[0]["column"].as_u64()),
        (Some(6), Some(20))
    );
    assert!(errors[0]["hint"].as_str().unwrap().contains("30 or 60"));
    assert!(errors[1]["message"].as_str().unwrap().contains("period 45"));

    let ok = repo_root().join("examples/quickstart");
    let (code, stdout, _) = driftless(&["validate", "--output", "json", &ok.to_string_lossy()]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (v["valid"].as_bool(), v["documents"].as_u64()),
        (Some(true), Some(17))
    );
}

#[test]
fn a_missing_folder_is_an_error_naming_it() {
    let (code, _, stderr) = driftless(&["validate", "/nonexistent/ops"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("/nonexistent/ops"), "{stderr}");
}

#[test]
fn oversized_files_are_rejected_without_being_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let big = "# padding\n".repeat(500_000);
    std::fs::write(dir.path().join("big.yaml"), big).unwrap();
    let Err(LoadError::Invalid(d)) = load_folder(dir.path(), "") else {
        panic!("accepted a 5 MB file");
    };
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].path, "big.yaml");
    assert!(
        d[0].message.contains("limit is 4194304"),
        "{}",
        d[0].message
    );
}

#[test]
fn guardrail_findings_carry_their_rule_and_warnings_their_severity_in_json() {
    let dir = repo_root().join("tests/fixtures/invalid/guardrail-warn-and-deny");
    let (code, stdout, _) = driftless(&["validate", "--output", "json", &dir.to_string_lossy()]);
    assert_eq!(code, 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["valid"], false);
    let errors = v["errors"].as_array().unwrap();
    let by_severity = |s: Option<&str>| {
        errors
            .iter()
            .filter(|e| e["severity"].as_str() == s)
            .map(|e| (e["rule"].as_str().unwrap(), e["message"].as_str().unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by_severity(None),
        [(
            "required-tags",
            "MetricAlarm untagged breaks required-tags: tag `team` is missing"
        )]
    );
    assert_eq!(by_severity(Some("warning")).len(), 2, "{stdout}");
    // Other diagnostics have neither key.
    let other = repo_root().join("tests/fixtures/invalid/errors-in-several-files");
    let (_, stdout, _) = driftless(&["validate", "--output", "json", &other.to_string_lossy()]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["errors"][0].get("rule").is_none() && v["errors"][0].get("severity").is_none());
}

#[test]
fn a_warn_guardrail_is_reported_and_does_not_block() {
    let dir = repo_root().join("tests/fixtures/valid/guardrails-warn-only");
    let dir = dir.to_string_lossy();
    let (code, stdout, stderr) = driftless(&["validate", &dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.starts_with(&format!("{dir}/logs.yaml:6:20: warning: LogGroup /app/short breaks cw-loggroup-retention-period-check: retentionInDays 30 < minRetentionTime 365\n")),
        "{stderr}"
    );
    assert!(
        stdout.starts_with("valid: 1 document in 2 files"),
        "{stdout}"
    );
    let (code, stdout, _) = driftless(&["validate", "--output", "json", &dir]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["errors"][0]["severity"], "warning");
    assert_eq!(v["errors"][0]["rule"], "cw-loggroup-retention-period-check");
    // The same guardrail at `deny` makes the revision invalid: plan refuses it before
    // any AWS call (the endpoint does not exist).
    let tmp = tempfile::tempdir().unwrap();
    for f in ["logs.yaml", "driftless.yaml"] {
        let text = std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
        std::fs::write(tmp.path().join(f), text.replace("warn", "deny")).unwrap();
    }
    let deny = tmp.path().to_string_lossy();
    let (code, stdout, stderr) = driftless(&[
        "plan",
        "--source",
        &deny,
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--state-dir",
        &format!("{deny}/.state"),
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "logs.yaml:6:20: error: LogGroup /app/short breaks cw-loggroup-retention-period-check"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was applied"), "{stderr}");
}
