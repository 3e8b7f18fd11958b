//! The S3 state backend's errors on the emulator (issue 26): a missing bucket,
//! another account's bucket (access denied), a bucket in another Region, an object
//! under the prefix driftless did not write. Each names the bucket and prefix, says
//! what is wrong and what to do; an apply that cannot reach its state writes nothing.
//! And `history` / `state` read driftless.yaml's `state:` from `--source` when
//! neither `--state` nor `DRIFTLESS_STATE` names the backend.

use crate::emulator::{Emulator, TestAccount};
use crate::state_s3::{alarms, s3_client, state_bucket};
use crate::support::{rt, Repo, Run};

/// A bucket named `name` of `account`, in `region`.
fn bucket_of(account: &TestAccount, name: &str, region: &str) {
    let config = Emulator::shared().sdk_config(&account.account_id, region);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    rt().block_on(async {
        let mut req = s3.create_bucket().bucket(name);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(region.into())
                    .build(),
            );
        }
        req.send().await.unwrap();
    });
}

/// Asserts the command failed (exit 1) and its stderr holds every one of `needles`.
fn fails_with(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "no `{needle}` in: {}",
            run.stderr
        );
    }
}

#[test]
fn a_missing_bucket_is_named_with_its_prefix_and_an_apply_writes_nothing() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("nobucket", 2))]);
    let url = format!("s3://missing-{}/team/prod", repo.account.account_id);
    let where_ = url.as_str();
    for args in [
        vec!["history", "--state", where_],
        vec!["state", "list", "--state", where_],
    ] {
        fails_with(
            &repo.run(&args),
            &[
                where_,
                "NoSuchBucket",
                "the bucket does not exist: create it",
            ],
        );
    }
    let apply = repo.run(&["apply", "--auto-approve", "--state", where_]);
    fails_with(&apply, &[where_, "create it"]);
    assert_eq!(
        repo.calls().get("cloudwatch", "PutMetricAlarm"),
        0,
        "an apply whose state is unreachable wrote: {}",
        apply.stdout
    );
}

#[test]
fn another_accounts_bucket_is_access_denied_with_the_grants_to_ask_for() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("denied", 1))]);
    let owner = TestAccount::new();
    let bucket = format!("theirs-{}", owner.account_id);
    bucket_of(&owner, &bucket, &repo.account.region);
    let url = format!("s3://{bucket}/shared");
    for args in [
        vec!["history", "--state", url.as_str()],
        vec![
            "state",
            "show",
            "--target",
            "default",
            "--state",
            url.as_str(),
        ],
        vec!["apply", "--auto-approve", "--state", url.as_str()],
    ] {
        fails_with(
            &repo.run(&args),
            &[
                &url,
                "AccessDenied",
                "s3:GetObject",
                "driftless iam-policy",
                "state.roleArn",
            ],
        );
    }
    assert_eq!(repo.calls().get("cloudwatch", "PutMetricAlarm"), 0);
}

#[test]
fn a_bucket_in_another_region_says_to_set_state_region_and_driftless_yaml_fixes_it() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("region", 1))]);
    let elsewhere = if repo.account.region == "eu-west-1" {
        "us-west-2"
    } else {
        "eu-west-1"
    };
    let bucket = format!("far-{}", repo.account.account_id);
    bucket_of(&repo.account, &bucket, elsewhere);
    let url = format!("s3://{bucket}/ops");
    fails_with(
        &repo.run(&["history", "--state", &url]),
        &[&url, "the bucket is in another region: set `state.region`"],
    );
    // driftless.yaml names the bucket's Region: apply, history and state read it
    // from `--source` (Repo::run passes the repository's folder).
    repo.write(
        "driftless.yaml",
        &format!("state:\n  s3:\n    bucket: {bucket}\n    prefix: ops\n    region: {elsewhere}\n"),
    );
    repo.apply(&[]);
    let history = repo.run(&["history", "--output", "json"]);
    assert_eq!(history.code, 0, "{}", history.stderr);
    let reconciles = history.json()["reconciles"].as_array().unwrap().len();
    assert_eq!(reconciles, 1, "{}", history.stdout);
    let list = repo.run(&["state", "list", "--output", "json"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(list.json()["targets"][0]["records"], 1, "{}", list.stdout);
    // The local state under --state-dir holds nothing: the records are in the bucket.
    let local = repo.run(&["history", "--output", "json", "--state", "local"]);
    assert_eq!(
        local.json()["reconciles"],
        serde_json::json!([]),
        "{}",
        local.stdout
    );
}

#[test]
fn history_and_state_read_driftless_yaml_from_source_unless_state_is_named() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("fromyaml", 2))]);
    let (bucket, url) = state_bucket(&repo, "team");
    repo.write(
        "driftless.yaml",
        &format!("state:\n  s3:\n    bucket: {bucket}\n    prefix: team\n"),
    );
    repo.apply(&[]);
    // From another folder, `--source` names the repository; no --state, no env.
    let elsewhere = tempfile::tempdir().unwrap();
    let src = repo.dir.path().to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let out = crate::support::driftless(&repo.account, elsewhere.path())
            .args(args)
            .arg("--state-dir")
            .arg(elsewhere.path())
            .current_dir(elsewhere.path())
            .output()
            .unwrap();
        Run::from_output(&out)
    };
    let h = run(&["history", "--output", "json", "--source", &src]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    assert_eq!(
        h.json()["reconciles"][0]["result"],
        "applied",
        "{}",
        h.stdout
    );
    let shown = run(&["state", "show", "--target", "default", "--source", &src]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let records = shown.json()["records"].as_object().unwrap().len();
    assert_eq!(records, 2, "{}", shown.stdout);
    // `--source` defaults to the current folder: the repository's own.
    let out = crate::support::driftless(&repo.account, elsewhere.path())
        .args(["state", "list", "--output", "json", "--state-dir"])
        .arg(elsewhere.path())
        .current_dir(repo.dir.path())
        .output()
        .unwrap();
    let listed = Run::from_output(&out);
    assert_eq!(
        listed.json()["targets"][0]["records"],
        2,
        "{}",
        listed.stderr
    );
    // --state and DRIFTLESS_STATE win over driftless.yaml.
    let local = run(&[
        "history", "--output", "json", "--source", &src, "--state", "local",
    ]);
    assert_eq!(
        local.json()["reconciles"],
        serde_json::json!([]),
        "{}",
        local.stdout
    );
    let out = crate::support::driftless(&repo.account, elsewhere.path())
        .env("DRIFTLESS_STATE", "local")
        .args([
            "state",
            "list",
            "--output",
            "json",
            "--source",
            &src,
            "--state-dir",
        ])
        .arg(elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(
        Run::from_output(&out).json()["targets"],
        serde_json::json!([])
    );
    // The same bucket through --state: one memory.
    let flagged = run(&["history", "--output", "json", "--state", &url]);
    assert_eq!(flagged.json()["reconciles"], h.json()["reconciles"]);
    // An invalid driftless.yaml is named, with what to do.
    repo.write("driftless.yaml", "state: [not, a, mapping]\n");
    let bad = run(&["history", "--source", &src]);
    fails_with(
        &bad,
        &[
            "driftless.yaml: not a valid driftless.yaml",
            "driftless validate --source",
            "--state",
        ],
    );
}

#[test]
fn an_object_driftless_did_not_write_under_the_prefix_is_named_with_what_to_do() {
    let repo = Repo::new(&[("alarms.yaml", &alarms("foreign", 1))]);
    let (bucket, url) = state_bucket(&repo, "p");
    repo.apply(&["--state", &url]);
    let s3 = s3_client(&repo);
    let key = rt().block_on(async {
        let listed = s3
            .list_objects_v2()
            .bucket(&bucket)
            .prefix("p/history/")
            .send()
            .await
            .unwrap();
        let key = listed.contents()[0].key().unwrap().to_string();
        s3.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(b"not json".to_vec().into())
            .send()
            .await
            .unwrap();
        key
    });
    fails_with(
        &repo.run(&["history", "--state", &url]),
        &[
            &format!("s3://{bucket}/{key} is not driftless state"),
            "move the object away or choose another prefix",
        ],
    );
}
