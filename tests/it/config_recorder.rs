//! ConfigurationRecorder end to end: the real binary against the emulator (moto's
//! recorders and delivery channels, with ext_config_recorder.py). Create (recorder,
//! then channel, then start), read back whole, no changes after apply, a change in
//! git writes that call only, hand changes (a setting, the recorder stopped) are drift
//! on exactly that field and are put back, import round trip (adopted through the
//! state store, an edit keeps the channel's KMS key), delete with prune (stop, channel,
//! recorder; one driftless does not own is never touched), and bad input located.

use aws_sdk_config::types::{
    ConfigurationRecorder, ConfigurationRecorderStatus, DeliveryChannel, RecordingGroup,
    ResourceType,
};
use serde_json::json;

use crate::support::{changes, rt, writes, Repo};

fn recorder_doc(bucket: &str) -> String {
    format!(
        r#"apiVersion: driftless.dev/v1
kind: ConfigurationRecorder
metadata: {{name: default}}
spec:
  roleArn: arn:aws:iam::111111111111:role/config
  recordingGroup: {{resourceTypes: [AWS::SNS::Topic, AWS::CloudWatch::Alarm]}}
  recordingMode:
    recordingFrequency: DAILY
    recordingModeOverrides: [{{resourceTypes: [AWS::CloudWatch::Alarm], recordingFrequency: CONTINUOUS}}]
  deliveryChannel: {{name: default, s3BucketName: {bucket}, s3KeyPrefix: config, deliveryFrequency: Six_Hours}}
"#
    )
}

/// A bucket of the repository's account (names are global: one per account), for a
/// delivery channel.
pub(crate) fn bucket(repo: &Repo, name: &str) -> String {
    let bucket = format!("{name}-{}", repo.account.account_id);
    let s3 = crate::state_s3::s3_client(repo);
    rt().block_on(async {
        let mut create = s3.create_bucket().bucket(&bucket);
        if repo.account.region != "us-east-1" {
            let place =
                aws_sdk_s3::types::BucketLocationConstraint::from(repo.account.region.as_str());
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(place)
                    .build(),
            );
        }
        create.send().await.expect("CreateBucket");
    });
    bucket
}

fn config(repo: &Repo) -> aws_sdk_config::Client {
    aws_sdk_config::Client::new(&repo.sdk())
}

fn recorders(repo: &Repo) -> Vec<ConfigurationRecorder> {
    rt().block_on(config(repo).describe_configuration_recorders().send())
        .expect("DescribeConfigurationRecorders")
        .configuration_recorders()
        .to_vec()
}

fn status(repo: &Repo) -> Vec<ConfigurationRecorderStatus> {
    rt().block_on(config(repo).describe_configuration_recorder_status().send())
        .expect("DescribeConfigurationRecorderStatus")
        .configuration_recorders_status()
        .to_vec()
}

fn channels(repo: &Repo) -> Vec<DeliveryChannel> {
    rt().block_on(config(repo).describe_delivery_channels().send())
        .expect("DescribeDeliveryChannels")
        .delivery_channels()
        .to_vec()
}

/// A recorder put by hand (role `role`, log groups only).
fn put_by_hand(repo: &Repo, name: &str, role: &str) {
    let recorder = ConfigurationRecorder::builder()
        .name(name)
        .role_arn(role)
        .recording_group(
            RecordingGroup::builder()
                .all_supported(false)
                .resource_types(ResourceType::from("AWS::SNS::Topic"))
                .build(),
        )
        .build();
    rt().block_on(
        config(repo)
            .put_configuration_recorder()
            .configuration_recorder(recorder)
            .send(),
    )
    .expect("PutConfigurationRecorder by hand");
}

fn one_change(repo: &Repo) -> serde_json::Value {
    let plan = repo.plan();
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    let plan = plan.json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    c[0].clone()
}

#[test]
fn recorders_round_trip_drift_and_prune() {
    let repo = Repo::new(&[]);
    let bucket = bucket(&repo, "recorder");
    repo.write("recorder.yaml", &recorder_doc(&bucket));
    assert_eq!(repo.plan().code, 2);
    let w = repo.apply_writes(&[]);
    assert_eq!(
        w,
        [
            ("config:PutConfigurationRecorder".to_string(), 1),
            ("config:PutDeliveryChannel".to_string(), 1),
            ("config:StartConfigurationRecorder".to_string(), 1),
        ]
        .into()
    );

    // Read back whole.
    let r = &recorders(&repo)[0];
    assert_eq!(r.name(), Some("default"));
    assert_eq!(r.role_arn(), Some("arn:aws:iam::111111111111:role/config"));
    let group = r.recording_group().unwrap();
    let mut types: Vec<&str> = group.resource_types().iter().map(|t| t.as_str()).collect();
    types.sort();
    assert_eq!(types, ["AWS::CloudWatch::Alarm", "AWS::SNS::Topic"]);
    assert!(!group.all_supported());
    let mode = r.recording_mode().unwrap();
    assert_eq!(mode.recording_frequency().as_str(), "DAILY");
    assert_eq!(mode.recording_mode_overrides().len(), 1);
    let channel = &channels(&repo)[0];
    assert_eq!(channel.s3_bucket_name(), Some(bucket.as_str()));
    assert_eq!(channel.s3_key_prefix(), Some("config"));
    assert_eq!(
        channel
            .config_snapshot_delivery_properties()
            .and_then(|p| p.delivery_frequency())
            .map(|f| f.as_str()),
        Some("Six_Hours")
    );
    assert!(status(&repo)[0].recording());
    let again = repo.plan();
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    // A change in git: that field, PutDeliveryChannel only.
    repo.write(
        "recorder.yaml",
        &recorder_doc(&bucket).replace("Six_Hours", "Twelve_Hours"),
    );
    let c = one_change(&repo);
    assert_eq!(
        c["fields"],
        json!([{"path": "deliveryChannel.deliveryFrequency", "live": "Six_Hours", "desired": "Twelve_Hours"}])
    );
    assert_eq!(c["drift"], false);
    assert_eq!(
        repo.apply_writes(&[]),
        [("config:PutDeliveryChannel".to_string(), 1)].into()
    );
    assert_eq!(repo.plan().code, 0);

    // Stopped by hand: drift on `recording` alone, started again.
    rt().block_on(
        config(&repo)
            .stop_configuration_recorder()
            .configuration_recorder_name("default")
            .send(),
    )
    .expect("StopConfigurationRecorder by hand");
    let c = one_change(&repo);
    assert_eq!(c["drift"], true);
    assert_eq!(
        c["fields"],
        json!([{"path": "recording", "live": false, "desired": true}])
    );
    assert_eq!(
        repo.apply_writes(&[]),
        [("config:StartConfigurationRecorder".to_string(), 1)].into()
    );
    assert!(status(&repo)[0].recording());

    // The recorder put by hand (another role, one type, no mode: CONTINUOUS): drift on
    // exactly what the put changed, put back.
    put_by_hand(&repo, "default", "arn:aws:iam::111111111111:role/other");
    let c = one_change(&repo);
    assert_eq!(c["drift"], true);
    let paths: Vec<&str> = c["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "recordingGroup.resourceTypes",
            "recordingMode.recordingFrequency",
            "recordingMode.recordingModeOverrides",
            "roleArn"
        ],
        "{c}"
    );
    assert_eq!(
        repo.apply_writes(&[]),
        [("config:PutConfigurationRecorder".to_string(), 1)].into()
    );
    assert_eq!(repo.plan().code, 0);

    // Prune: stopped, its channel deleted, then the recorder.
    std::fs::remove_file(repo.dir.path().join("recorder.yaml")).unwrap();
    repo.write(
        "other.yaml",
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /recorder/keep}\nspec: {}\n",
    );
    let plan = repo.run(&["plan", "--prune", "--output", "json"]).json();
    let deletes: Vec<String> = changes(&plan)
        .iter()
        .filter(|c| c["action"] == "delete")
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(deletes, ["default"], "{plan}");
    let before = repo.calls();
    repo.apply(&["--prune"]);
    let w = writes(&before, &repo.calls());
    for call in [
        "config:StopConfigurationRecorder",
        "config:DeleteDeliveryChannel",
        "config:DeleteConfigurationRecorder",
    ] {
        assert_eq!(w.get(call), Some(&1), "{call}: {w:?}");
    }
    assert!(recorders(&repo).is_empty());
    assert!(channels(&repo).is_empty());
    assert_eq!(
        repo.run(&["plan", "--prune", "--detailed-exitcode"]).code,
        0
    );
}

/// A recorder driftless did not create: a document naming it conflicts, one naming
/// another recorder conflicts (AWS allows one), prune never touches it; with
/// `adopt: true` it is taken over through the state store, and only then pruned.
#[test]
fn a_recorder_not_owned_is_never_touched_until_adopted() {
    let repo = Repo::new(&[]);
    let bucket = bucket(&repo, "theirs");
    put_by_hand(&repo, "theirs", "arn:aws:iam::111111111111:role/config");
    // Not in git, not recorded: prune leaves it alone.
    repo.write(
        "other.yaml",
        "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /recorder/other}\nspec: {}\n",
    );
    let w = repo.apply_writes(&["--prune"]);
    assert_eq!(w, [("logs:CreateLogGroup".to_string(), 1)].into());
    let doc = recorder_doc(&bucket);
    repo.write("recorder.yaml", &doc);
    let c = one_change(&repo);
    assert_eq!(c["action"], "conflict");
    assert!(
        c["reason"]
            .as_str()
            .unwrap()
            .contains("this Region has `theirs`"),
        "{c}"
    );
    let named = doc.replace("name: default}", "name: theirs}");
    repo.write("recorder.yaml", &named);
    let c = one_change(&repo);
    assert_eq!(c["action"], "conflict", "{c}");
    let before = repo.calls();
    repo.run(&["apply", "--auto-approve", "--prune"]);
    assert!(writes(&before, &repo.calls()).is_empty());
    assert_eq!(recorders(&repo)[0].name(), Some("theirs"));

    // Adopted as it is (no changes): no call, the state store records it.
    let same = "apiVersion: driftless.dev/v1\nkind: ConfigurationRecorder\nmetadata: {name: theirs, adopt: true}\nspec:\n  roleArn: arn:aws:iam::111111111111:role/config\n  recordingGroup: {resourceTypes: [AWS::SNS::Topic]}\n  recording: false\n";
    repo.write("recorder.yaml", same);
    let c = one_change(&repo);
    assert_eq!(
        (c["action"].as_str(), c["adopt"].as_bool()),
        (Some("update"), Some(true))
    );
    assert_eq!(c["fields"], json!([]));
    assert!(repo.apply_writes(&[]).is_empty());
    assert_eq!(repo.plan().code, 0);
    // Now driftless's: pruned when it leaves the repository.
    std::fs::remove_file(repo.dir.path().join("recorder.yaml")).unwrap();
    let w = repo.apply_writes(&["--prune"]);
    assert_eq!(
        w.get("config:DeleteConfigurationRecorder"),
        Some(&1),
        "{w:?}"
    );
    assert!(recorders(&repo).is_empty());
}

/// A recorder and channel set up by hand, with a KMS key the format has no field for:
/// imported, adopted through the state store, then edited in git: the channel's put
/// keeps its key.
#[test]
fn imported_recorders_round_trip() {
    let repo = Repo::new(&[]);
    let bucket = bucket(&repo, "imported");
    put_by_hand(&repo, "default", "arn:aws:iam::111111111111:role/config");
    let key = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let channel = DeliveryChannel::builder()
        .name("default")
        .s3_bucket_name(&bucket)
        .s3_kms_key_arn(key)
        .build();
    rt().block_on(async {
        let cfg = config(&repo);
        cfg.put_delivery_channel()
            .delivery_channel(channel)
            .send()
            .await
            .expect("PutDeliveryChannel");
        cfg.start_configuration_recorder()
            .configuration_recorder_name("default")
            .send()
            .await
            .expect("StartConfigurationRecorder");
    });
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let dir_s = dir.to_string_lossy().into_owned();
    let import = repo.run(&[
        "import",
        "--adopt",
        "--kinds",
        "ConfigurationRecorder",
        "--out",
        &dir_s,
    ]);
    assert_eq!(import.code, 0, "{}\n{}", import.stdout, import.stderr);
    assert!(
        import
            .output()
            .contains("deliveryChannel.s3KmsKeyArn not written"),
        "{}",
        import.output()
    );
    let file = dir.join("config-recorders.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("name: default"), "{text}");
    assert!(text.contains(&bucket), "{text}");

    let plan = repo
        .run_raw(&["plan", "--output", "json", "--source", &dir_s])
        .json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(
        (c[0]["adopt"].as_bool(), c[0]["fields"].clone()),
        (Some(true), json!([]))
    );
    let before = repo.calls();
    let apply = repo.run_raw(&["apply", "--auto-approve", "--source", &dir_s]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(writes(&before, &repo.calls()).is_empty());
    let again = repo.run_raw(&["plan", "--detailed-exitcode", "--source", &dir_s]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    // An edit in git: the channel's put sends the key back as it was.
    let edited = text.replace(
        &format!("s3BucketName: {bucket}"),
        &format!("s3BucketName: {bucket}\n    s3KeyPrefix: edited"),
    );
    assert_ne!(edited, text, "{text}");
    std::fs::write(&file, edited).unwrap();
    let before = repo.calls();
    let apply = repo.run_raw(&["apply", "--auto-approve", "--source", &dir_s]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(
        writes(&before, &repo.calls()),
        [("config:PutDeliveryChannel".to_string(), 1)].into()
    );
    let live = &channels(&repo)[0];
    assert_eq!(live.s3_key_prefix(), Some("edited"));
    assert_eq!(live.s3_kms_key_arn(), Some(key));
}

#[test]
fn bad_recorders_are_located_with_a_suggestion() {
    let good = recorder_doc("config-bucket");
    let typo = good.replace(
        "[AWS::SNS::Topic, AWS::CloudWatch::Alarm]",
        "[AWS::SNS::Topics, AWS::CloudWatch::Alarm]",
    );
    let second = good.replace("name: default}", "name: second}");
    let repo = Repo::new(&[("a.yaml", &typo), ("b.yaml", &second)]);
    let run = repo.run_bare(&["validate", &repo.dir.path().to_string_lossy()]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let err = run.stderr;
    let at = |f: &str| repo.dir.path().join(f).to_string_lossy().into_owned();
    for (prefix, what) in [
        (
            format!("{}:6:36:", at("a.yaml")),
            "`AWS::SNS::Topics` is not a resource type AWS Config records",
        ),
        (
            format!("{}:3:18:", at("b.yaml")),
            "a second ConfigurationRecorder (`second`) for target `default`",
        ),
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&prefix) && l.contains("error:") && l.contains(what)),
            "missing {prefix} ... {what:?} in:\n{err}"
        );
    }
    assert!(err.contains("did you mean `AWS::SNS::Topic`?"), "{err}");
}
