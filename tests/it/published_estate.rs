//! The published-examples estate round trip (issue 23, "Done when"): an estate
//! recreated from AWS's own published examples (`tests/fixtures/published/estate.yaml`,
//! each call citing its source: the AWS CLI reference examples, the AWS Backup
//! developer guide, re:Post, CDK's anomaly-detection alarm), seeded with boto3, then
//! imported, validated and adopted from a git repository (the plan only adopts, and is
//! clean after); then one unrelated edit on every kind is committed and applied. The
//! edits land, the next plan is clean, and every other live setting (what the format
//! holds and what it does not) reads back exactly as before import.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::emulator::Emulator;
use crate::support::{git, repo_root, Repo, Run};

fn estate(args: &[&str], repo: Option<&Repo>) -> Run {
    let root = repo_root();
    let mut command = Command::new(root.join(".venv/bin/python"));
    command
        .arg(root.join("tests/it/preserve/estate.py"))
        .args(args);
    if let Some(r) = repo {
        command.args([
            "--endpoint",
            Emulator::shared().endpoint(),
            "--account",
            &r.account.account_id,
            "--region",
            &r.account.region,
        ]);
    }
    Run::from_output(&command.output().unwrap())
}

fn fixture() -> PathBuf {
    repo_root().join("tests/fixtures/published/estate.yaml")
}

fn ok(run: &Run, what: &str) {
    assert_eq!(run.code, 0, "{what}:\n{}\n{}", run.stdout, run.stderr);
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// Plans the git source; the JSON plan (exit 0: no change, 2: changes).
fn plan(repo: &Repo, url: &str, expected: i32) -> serde_json::Value {
    let run = repo.run_raw(&[
        "plan",
        "--detailed-exitcode",
        "--output",
        "json",
        "--source",
        url,
    ]);
    assert_eq!(run.code, expected, "plan:\n{}\n{}", run.stdout, run.stderr);
    run.json()
}

#[test]
fn the_published_estate_round_trips_with_an_edit_on_every_kind() {
    let repo = Repo::new(&[]);
    let work = tempfile::tempdir().unwrap();
    let fixture = fixture();
    let (fixture, work_path) = (fixture.to_string_lossy(), work.path().to_string_lossy());
    ok(
        &estate(&["seed", &fixture, &work_path], Some(&repo)),
        "seeding the estate",
    );

    let dir = work.path().join("repo");
    let out = dir.to_string_lossy().into_owned();
    let empty = repo.dir.path().to_string_lossy().into_owned();
    ok(
        &repo.run_raw(&["import", "--adopt", "--out", &out, "--source", &empty]),
        "import",
    );
    ok(&repo.run_bare(&["validate", &out]), "validate the import");
    git(&dir, &["init", "-q"]);
    commit(&dir, "import");
    let url = format!("file://{out}");

    let adopting = plan(&repo, &url, 2);
    for c in adopting["changes"].as_array().unwrap() {
        assert_eq!(c["adopt"], true, "the first plan only adopts: {c}");
    }
    ok(
        &repo.run_raw(&["apply", "--auto-approve", "--source", &url]),
        "adopt",
    );
    plan(&repo, &url, 0);

    ok(&estate(&["edit", &fixture, &out], None), "the edits");
    commit(&dir, "an unrelated edit on every kind");
    let edits = plan(&repo, &url, 2);
    let kinds: std::collections::BTreeSet<&str> = edits["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 7, "an edit on every kind imported: {kinds:?}");
    ok(
        &repo.run_raw(&["apply", "--auto-approve", "--source", &url]),
        "apply the edits",
    );
    plan(&repo, &url, 0);

    let check = estate(&["check", &fixture, &work_path], Some(&repo));
    // The fixture's known_defects, if any, are named here; anything else fails.
    eprintln!("{}", check.stderr);
    assert_eq!(check.code, 0, "{}", check.stderr);
}
