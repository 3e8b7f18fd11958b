//! Maintenance-window tasks complete, windows' dates and targets' tag keys and
//! resource-type filters, end to end: the real binary against the emulator, read
//! back through the SDK, changed in git (only that field written), changed out of
//! band (drift on exactly that field, corrected), console-set Run Command settings
//! the spec is silent about surviving applies, and deletes.

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{AlarmConfiguration, MaintenanceWindowFilter};
use aws_sdk_ssm::Client;
use serde_json::{json, Value};

use crate::support::{changes, rt, Repo};

const WINDOW: &str = r#"apiVersion: driftless.dev/v1
kind: MaintenanceWindow
metadata: {name: tasks-complete}
spec:
  schedule: cron(0 3 ? * TUE *)
  duration: 3
  cutoff: 1
  startDate: "2026-01-01T00:00:00Z"
  endDate: "2027-12-31T23:00:00+09:00"
  targets:
    - name: tagged
      resourceType: INSTANCE
      tagKeys: [Patch, Owner]
    - name: group
      resourceType: RESOURCE_GROUP
      resourceGroup: web-servers
      resourceTypeFilters: [AWS::EC2::Instance]
  tasks:
    - name: patch
      type: RUN_COMMAND
      taskArn: AWS-RunPatchBaseline
      targets: [tagged]
      maxConcurrency: "2"
      maxErrors: "1"
      parameters: {Operation: [Install]}
      runCommand:
        comment: weekly
        documentVersion: $DEFAULT
        timeoutSeconds: 600
        outputS3BucketName: ssm-output
        outputS3KeyPrefix: patch/
        cloudWatchOutputConfig: {cloudWatchLogGroupName: /ssm/patch, cloudWatchOutputEnabled: true}
        notificationConfig:
          notificationArn: arn:aws:sns:us-east-1:111111111111:ops
          notificationEvents: [Failed, TimedOut]
          notificationType: Command
        serviceRoleArn: arn:aws:iam::111111111111:role/ssm-notify
    - name: scan
      type: RUN_COMMAND
      taskArn: AWS-RunShellScript
      description: scan only
      instanceIds: [i-0123456789abcdef0]
      maxConcurrency: "1"
      maxErrors: "0"
      parameters: {commands: [uptime]}
    - name: restart
      type: AUTOMATION
      taskArn: AWS-RestartEC2Instance
      parameters: {InstanceId: [i-0123456789abcdef0]}
      automation: {documentVersion: "1"}
    - name: report
      type: LAMBDA
      taskArn: arn:aws:lambda:us-east-1:111111111111:function:report
      lambda:
        payload: {window: prod, days: [2, 4]}
        qualifier: live
        clientContext: e30=
    - name: flow
      type: STEP_FUNCTIONS
      taskArn: arn:aws:states:us-east-1:111111111111:stateMachine:flow
      stepFunctions: {input: '{"go": true}', name: nightly}
"#;

/// Something else in the repository, so that pruning the window leaves it non-empty.
const GROUP: &str =
    "apiVersion: driftless.dev/v1\nkind: LogGroup\nmetadata: {name: /tasks/keep}\nspec: {}\n";

/// The window's id and task name → id, through the SDK.
fn ids(ssm: &Client, rt: &tokio::runtime::Runtime) -> (String, BTreeMap<String, String>) {
    let windows = rt
        .block_on(
            ssm.describe_maintenance_windows()
                .filters(
                    MaintenanceWindowFilter::builder()
                        .key("Name")
                        .values("tasks-complete")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let id = windows.window_identities()[0]
        .window_id()
        .unwrap()
        .to_string();
    let tasks = rt
        .block_on(
            ssm.describe_maintenance_window_tasks()
                .window_id(&id)
                .send(),
        )
        .unwrap();
    let tasks = tasks
        .tasks()
        .iter()
        .map(|t| {
            (
                t.name().unwrap().to_string(),
                t.window_task_id().unwrap().to_string(),
            )
        })
        .collect();
    (id, tasks)
}

fn get_task(
    ssm: &Client,
    rt: &tokio::runtime::Runtime,
    window: &str,
    task: &str,
) -> aws_sdk_ssm::operation::get_maintenance_window_task::GetMaintenanceWindowTaskOutput {
    rt.block_on(
        ssm.get_maintenance_window_task()
            .window_id(window)
            .window_task_id(task)
            .send(),
    )
    .unwrap()
}

fn edit(repo: &Repo, from: &str, to: &str) {
    let path = repo.dir.path().join("w.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn every_task_setting_round_trips_changes_alone_drifts_alone_and_is_deleted() {
    let repo = Repo::new(&[("w.yaml", WINDOW), ("keep.yaml", GROUP)]);
    repo.apply(&[]);
    let rt = rt();
    let ssm = Client::new(&repo.sdk());
    let (window, tasks) = ids(&ssm, &rt);

    // Read back whole, as AWS holds it.
    let got = rt
        .block_on(ssm.get_maintenance_window().window_id(&window).send())
        .unwrap();
    assert_eq!(got.start_date(), Some("2026-01-01T00:00:00Z"));
    assert_eq!(got.end_date(), Some("2027-12-31T23:00:00+09:00"));
    let targets = rt
        .block_on(
            ssm.describe_maintenance_window_targets()
                .window_id(&window)
                .send(),
        )
        .unwrap();
    let mut keys: Vec<(String, Vec<String>)> = targets
        .targets()
        .iter()
        .flat_map(|t| t.targets())
        .map(|t| (t.key().unwrap().to_string(), t.values().to_vec()))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            (
                "resource-groups:Name".to_string(),
                vec!["web-servers".to_string()]
            ),
            (
                "resource-groups:ResourceTypeFilters".to_string(),
                vec!["AWS::EC2::Instance".to_string()]
            ),
            (
                "tag-key".to_string(),
                vec!["Patch".to_string(), "Owner".to_string()]
            ),
        ]
    );
    let patch = get_task(&ssm, &rt, &window, &tasks["patch"]);
    let r = patch
        .task_invocation_parameters()
        .unwrap()
        .run_command()
        .unwrap();
    assert_eq!(r.comment(), Some("weekly"));
    assert_eq!(r.document_version(), Some("$DEFAULT"));
    assert_eq!(r.timeout_seconds(), Some(600));
    assert_eq!(r.output_s3_bucket_name(), Some("ssm-output"));
    assert_eq!(r.output_s3_key_prefix(), Some("patch/"));
    let cw = r.cloud_watch_output_config().unwrap();
    assert_eq!(cw.cloud_watch_log_group_name(), Some("/ssm/patch"));
    assert!(cw.cloud_watch_output_enabled());
    let n = r.notification_config().unwrap();
    assert_eq!(
        n.notification_arn(),
        Some("arn:aws:sns:us-east-1:111111111111:ops")
    );
    let events: Vec<&str> = n.notification_events().iter().map(|e| e.as_str()).collect();
    assert_eq!(events, ["Failed", "TimedOut"]);
    assert_eq!(n.notification_type().map(|t| t.as_str()), Some("Command"));
    assert_eq!(
        r.service_role_arn(),
        Some("arn:aws:iam::111111111111:role/ssm-notify")
    );
    assert_eq!(r.parameters().unwrap()["Operation"], ["Install"]);
    let scan = get_task(&ssm, &rt, &window, &tasks["scan"]);
    assert_eq!(scan.targets()[0].key(), Some("InstanceIds"));
    assert_eq!(scan.targets()[0].values(), ["i-0123456789abcdef0"]);
    let restart = get_task(&ssm, &rt, &window, &tasks["restart"]);
    let a = restart
        .task_invocation_parameters()
        .unwrap()
        .automation()
        .unwrap();
    assert_eq!(a.document_version(), Some("1"));
    let report = get_task(&ssm, &rt, &window, &tasks["report"]);
    let l = report
        .task_invocation_parameters()
        .unwrap()
        .lambda()
        .unwrap();
    let payload: Value = serde_json::from_slice(l.payload().unwrap().as_ref()).unwrap();
    assert_eq!(payload, json!({"window": "prod", "days": [2, 4]}));
    assert_eq!(l.qualifier(), Some("live"));
    assert_eq!(l.client_context(), Some("e30="));
    assert!(report.targets().is_empty());
    let flow = get_task(&ssm, &rt, &window, &tasks["flow"]);
    let s = flow
        .task_invocation_parameters()
        .unwrap()
        .step_functions()
        .unwrap();
    assert_eq!(s.input(), Some(r#"{"go": true}"#));
    assert_eq!(s.name(), Some("nightly"));

    // Plan = no changes (the placeholder limits of the target-less tasks included).
    let plan = repo.plan();
    assert_eq!(plan.code, 0, "{}", plan.stdout);

    // A change in git: only that field, one write.
    edit(&repo, "timeoutSeconds: 600", "timeoutSeconds: 900");
    let plan = repo.plan().json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(c[0]["name"], "tasks-complete/tasks/patch");
    assert_eq!(
        c[0]["fields"],
        json!([{"path": "runCommand.timeoutSeconds", "live": 600, "desired": 900}])
    );
    assert_eq!(
        repo.apply_writes(&[]),
        BTreeMap::from([("ssm:UpdateMaintenanceWindowTask".to_string(), 1)])
    );
    let patch = get_task(&ssm, &rt, &window, &tasks["patch"]);
    let r = patch
        .task_invocation_parameters()
        .unwrap()
        .run_command()
        .unwrap();
    assert_eq!(r.timeout_seconds(), Some(900));
    assert_eq!(r.output_s3_bucket_name(), Some("ssm-output"));
    assert_eq!(repo.plan().code, 0);

    // Out of band: the Lambda task's qualifier is drift on exactly that field.
    let mut lambda = report.task_invocation_parameters().unwrap().clone();
    lambda.lambda = Some(
        aws_sdk_ssm::types::MaintenanceWindowLambdaParameters::builder()
            .set_payload(l.payload().cloned())
            .client_context("e30=")
            .qualifier("canary")
            .build(),
    );
    rt.block_on(
        ssm.update_maintenance_window_task()
            .window_id(&window)
            .window_task_id(&tasks["report"])
            .task_invocation_parameters(lambda)
            .send(),
    )
    .unwrap();
    let plan = repo.plan().json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(c[0]["name"], "tasks-complete/tasks/report");
    assert_eq!(c[0]["drift"], true);
    assert_eq!(
        c[0]["fields"],
        json!([{"path": "lambda.qualifier", "live": "canary", "desired": "live"}])
    );
    repo.apply(&[]);
    let report = get_task(&ssm, &rt, &window, &tasks["report"]);
    let l = report
        .task_invocation_parameters()
        .unwrap()
        .lambda()
        .unwrap();
    assert_eq!(l.qualifier(), Some("live"));
    let payload: Value = serde_json::from_slice(l.payload().unwrap().as_ref()).unwrap();
    assert_eq!(payload, json!({"window": "prod", "days": [2, 4]}));
    assert_eq!(repo.plan().code, 0);

    // A window date changed in git.
    edit(&repo, "2027-12-31T23:00:00+09:00", "2028-06-30T00:00:00Z");
    let plan = repo.plan().json();
    let c = changes(&plan);
    assert_eq!(c.len(), 1, "{plan}");
    assert_eq!(c[0]["name"], "tasks-complete");
    assert_eq!(c[0]["fields"][0]["path"], "endDate");
    repo.apply(&[]);
    assert_eq!(repo.plan().code, 0);

    // A task removed from the spec is deregistered; the window, pruned, is deleted.
    edit(
        &repo,
        "    - name: flow\n      type: STEP_FUNCTIONS\n      taskArn: arn:aws:states:us-east-1:111111111111:stateMachine:flow\n      stepFunctions: {input: '{\"go\": true}', name: nightly}\n",
        "",
    );
    repo.apply(&[]);
    let (_, left) = ids(&ssm, &rt);
    assert!(!left.contains_key("flow") && left.len() == 4, "{left:?}");
    std::fs::remove_file(repo.dir.path().join("w.yaml")).unwrap();
    repo.apply(&["--prune"]);
    let windows = rt
        .block_on(ssm.describe_maintenance_windows().send())
        .unwrap();
    assert!(windows.window_identities().is_empty());
}

const CONSOLE: &str = r#"apiVersion: driftless.dev/v1
kind: MaintenanceWindow
metadata: {name: tasks-complete}
spec:
  schedule: rate(7 days)
  duration: 2
  cutoff: 1
  targets:
    - name: web
      resourceType: INSTANCE
      tags: {Patch: "yes"}
  tasks:
    - name: patch
      type: RUN_COMMAND
      taskArn: AWS-RunPatchBaseline
      description: install patches
      targets: [web]
      maxConcurrency: "2"
      maxErrors: "1"
      parameters: {Operation: [Install]}
"#;

#[test]
fn console_set_run_command_settings_survive_applies_that_change_other_fields() {
    let repo = Repo::new(&[("w.yaml", CONSOLE), ("keep.yaml", GROUP)]);
    repo.apply(&[]);
    let rt = rt();
    let ssm = Client::new(&repo.sdk());
    let (window, tasks) = ids(&ssm, &rt);
    let id = &tasks["patch"];

    // The console sets a timeout, an output bucket and an alarm (the format has no
    // field for a task's alarm configuration) without touching the rest.
    let mut params = get_task(&ssm, &rt, &window, id)
        .task_invocation_parameters()
        .unwrap()
        .clone();
    let run = params.run_command.as_mut().unwrap();
    run.timeout_seconds = Some(1200);
    run.output_s3_bucket_name = Some("console-output".to_string());
    let alarm = AlarmConfiguration::builder()
        .alarms(
            aws_sdk_ssm::types::Alarm::builder()
                .name("patch-errors")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    rt.block_on(
        ssm.update_maintenance_window_task()
            .window_id(&window)
            .window_task_id(id)
            .task_invocation_parameters(params)
            .alarm_configuration(alarm)
            .send(),
    )
    .unwrap();
    // The spec is silent about them: no difference.
    let plan = repo.plan();
    assert_eq!(plan.code, 0, "{}", plan.stdout);

    let survives = |what: &str| {
        let got = get_task(&ssm, &rt, &window, id);
        let r = got
            .task_invocation_parameters()
            .unwrap()
            .run_command()
            .unwrap();
        assert_eq!(r.timeout_seconds(), Some(1200), "{what}");
        assert_eq!(r.output_s3_bucket_name(), Some("console-output"), "{what}");
        assert_eq!(r.parameters().unwrap()["Operation"], ["Install"], "{what}");
        let alarms = got.alarm_configuration().map(|a| a.alarms().len());
        assert_eq!(alarms, Some(1), "{what}");
        got
    };

    // Another field changes in git: an update without Replace.
    edit(&repo, "maxConcurrency: \"2\"", "maxConcurrency: \"5\"");
    repo.apply(&[]);
    assert_eq!(
        survives("after maxConcurrency").max_concurrency(),
        Some("5")
    );
    assert_eq!(repo.plan().code, 0);

    // A field dropped from the spec must be cleared (Replace): still nothing else lost.
    edit(&repo, "      description: install patches\n", "");
    let plan = repo.plan().json();
    assert_eq!(
        changes(&plan)[0]["fields"],
        json!([{"path": "description", "live": "install patches", "desired": null}])
    );
    repo.apply(&[]);
    assert_eq!(
        survives("after the description was cleared").description(),
        None
    );
    assert_eq!(repo.plan().code, 0);

    // Setting the timeout in git takes it over.
    edit(
        &repo,
        "      parameters: {Operation: [Install]}\n",
        "      parameters: {Operation: [Install]}\n      runCommand: {timeoutSeconds: 300}\n",
    );
    repo.apply(&[]);
    let got = get_task(&ssm, &rt, &window, id);
    let r = got
        .task_invocation_parameters()
        .unwrap()
        .run_command()
        .unwrap();
    assert_eq!(r.timeout_seconds(), Some(300));
    assert_eq!(r.output_s3_bucket_name(), Some("console-output"));
    assert_eq!(repo.plan().code, 0);
}
