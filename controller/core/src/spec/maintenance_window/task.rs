//! A maintenance window's tasks: the task itself and its invocation settings, one
//! block per task type (`runCommand`, `automation`, `lambda`, `stepFunctions`: the
//! API's `TaskInvocationParameters`), and their value rules. Lengths, ranges and
//! enums follow botocore's `MaintenanceWindowTaskInvocationParameters` model.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::context::{At, Cx};
use super::super::rules::{self, Problem};

/// A registered task of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WindowTask {
    /// Unique within the window.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub task_type: TaskType,
    /// A document name (`AWS-RunPatchBaseline`) or the ARN of a Lambda function or
    /// state machine.
    pub task_arn: String,
    /// Names of this window's targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Instances the task runs on directly (the `InstanceIds` task target), instead of
    /// window targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub instance_ids: Vec<String>,
    /// Lower runs first; defaults to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// Tasks with targets only (AWS reports a placeholder `1` for a task without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<String>,
    /// Tasks with targets only (AWS reports a placeholder `1` for a task without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_errors: Option<String>,
    /// Defaults to CONTINUE_TASK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff_behavior: Option<CutoffBehavior>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_role_arn: Option<String>,
    /// Document or automation parameters: name → values (RUN_COMMAND and AUTOMATION).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Vec<String>>,
    /// RUN_COMMAND settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_command: Option<RunCommandSettings>,
    /// AUTOMATION settings (the parameters stay in `parameters`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automation: Option<AutomationSettings>,
    /// LAMBDA settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<LambdaSettings>,
    /// STEP_FUNCTIONS settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_functions: Option<StepFunctionsSettings>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskType {
    RunCommand,
    Automation,
    Lambda,
    StepFunctions,
}

impl TaskType {
    /// The field of this type's settings block.
    pub fn block(self) -> &'static str {
        match self {
            TaskType::RunCommand => "runCommand",
            TaskType::Automation => "automation",
            TaskType::Lambda => "lambda",
            TaskType::StepFunctions => "stepFunctions",
        }
    }

    pub fn wire(self) -> &'static str {
        match self {
            TaskType::RunCommand => "RUN_COMMAND",
            TaskType::Automation => "AUTOMATION",
            TaskType::Lambda => "LAMBDA",
            TaskType::StepFunctions => "STEP_FUNCTIONS",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CutoffBehavior {
    ContinueTask,
    CancelTask,
}

/// MaintenanceWindowRunCommandParameters, its `Parameters` excepted (they are the
/// task's `parameters`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunCommandSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub document_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_hash_type: Option<DocumentHashType>,
    /// `$DEFAULT`, `$LATEST` or a version number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_version: Option<String>,
    /// 30 to 2,592,000 seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 30, max = 2_592_000))]
    pub timeout_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 3, max = 63))]
    pub output_s3_bucket_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 500))]
    pub output_s3_key_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_output_config: Option<CloudWatchOutputConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_config: Option<NotificationConfig>,
    /// The role Run Command uses for notifications (not the task's `serviceRoleArn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_role_arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DocumentHashType {
    Sha256,
    Sha1,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloudWatchOutputConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    pub cloud_watch_log_group_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_output_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationConfig {
    /// An SNS topic ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notification_events: Vec<NotificationEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_type: Option<NotificationType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum NotificationEvent {
    All,
    InProgress,
    Success,
    TimedOut,
    Cancelled,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum NotificationType {
    Command,
    Invocation,
}

/// MaintenanceWindowAutomationParameters, its `Parameters` excepted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutomationSettings {
    /// `$DEFAULT`, `$LATEST` or a version number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_version: Option<String>,
}

/// MaintenanceWindowLambdaParameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LambdaSettings {
    /// Base64-encoded client context (Lambda's `ClientContext`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 8000))]
    pub client_context: Option<String>,
    /// The function's input: a string, sent as it is, or any YAML value, sent as JSON.
    /// At most 4,096 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
    /// A version or alias of the function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub qualifier: Option<String>,
}

/// MaintenanceWindowStepFunctionsParameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepFunctionsSettings {
    /// The execution's input: a string, sent as it is, or any YAML value, sent as
    /// JSON. At most 4,096 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<serde_json::Value>,
    /// The execution's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 80))]
    pub name: Option<String>,
}

/// A payload or input as sent: a string as it is, any other value as compact JSON.
pub fn as_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl WindowTask {
    /// Whether the task runs on targets (window targets or instances); AWS lets
    /// AUTOMATION, LAMBDA and STEP_FUNCTIONS tasks run without.
    pub fn has_targets(&self) -> bool {
        !self.targets.is_empty() || !self.instance_ids.is_empty()
    }

    /// `maxConcurrency` and `maxErrors`: RegisterTaskWithMaintenanceWindow, both
    /// members: "Although this element is listed as "Required: No", a value can be
    /// omitted only when you are registering or updating a targetless task. You must
    /// provide a value in all other cases." A targetless task takes neither.
    fn check_limits(&self, t: &At<'_>, cx: &mut Cx<'_>) {
        for (field, set) in [
            ("maxConcurrency", self.max_concurrency.is_some()),
            ("maxErrors", self.max_errors.is_some()),
        ] {
            if set && !self.has_targets() {
                cx.report(
                    &t.k(field),
                    Problem::new(format!(
                        "task `{}` has no targets, and AWS takes no `{field}` for a task without targets",
                        self.name
                    ))
                    .hint("remove it, or give the task `targets` or `instanceIds`"),
                );
            } else if !set && self.has_targets() {
                cx.report(
                    t,
                    Problem::new(format!(
                        "task `{}` runs on targets and has no `{field}`: AWS requires one for a task with targets",
                        self.name
                    ))
                    .hint(format!("add `{field}`, e.g. `{field}: \"1\"`")),
                );
            }
        }
    }

    /// The type-specific checks of the task at `t` (the window's own checks do names,
    /// targets and the task ARN).
    pub(super) fn check_settings(&self, t: &At<'_>, cx: &mut Cx<'_>) {
        self.check_blocks(t, cx);
        self.check_limits(t, cx);
        if !self.targets.is_empty() && !self.instance_ids.is_empty() {
            cx.error(
                &t.k("instanceIds"),
                format!(
                    "task `{}` has both `targets` and `instanceIds`; give one of them",
                    self.name
                ),
            );
        }
        let ids = rules::at_most("instanceIds", self.instance_ids.len(), 50);
        cx.check(&t.k("instanceIds"), ids);
        for (j, id) in self.instance_ids.iter().enumerate() {
            cx.check(&t.k("instanceIds").i(j), super::instance_id(id));
        }
        if let Some(r) = &self.run_command {
            check_run_command(&t.k("runCommand"), r, cx);
        }
        if let Some(v) = self
            .automation
            .as_ref()
            .and_then(|a| a.document_version.as_ref())
        {
            let at = t.k("automation").k("documentVersion");
            cx.check(&at, document_version(v));
        }
        if let Some(l) = &self.lambda {
            check_lambda(&t.k("lambda"), l, cx);
        }
        if let Some(n) = self.step_functions.as_ref().and_then(|s| s.name.as_ref()) {
            let c = rules::length("stepFunctions.name", n, 1, 80);
            cx.check(&t.k("stepFunctions").k("name"), c);
        }
        if let Some(s) = self.step_functions.as_ref().and_then(|s| s.input.as_ref()) {
            let len = as_text(s).chars().count();
            if len > 4096 {
                cx.error(
                    &t.k("stepFunctions").k("input"),
                    format!(
                        "stepFunctions.input is {len} characters as JSON; AWS allows at most 4096"
                    ),
                );
            }
        }
    }

    /// Each settings block (and `parameters`) only on the task type that takes it.
    fn check_blocks(&self, t: &At<'_>, cx: &mut Cx<'_>) {
        let ty = self.task_type;
        let blocks = [
            (TaskType::RunCommand, self.run_command.is_some()),
            (TaskType::Automation, self.automation.is_some()),
            (TaskType::Lambda, self.lambda.is_some()),
            (TaskType::StepFunctions, self.step_functions.is_some()),
        ];
        for (of, set) in blocks {
            if set && of != ty {
                cx.report(
                    &t.k(of.block()),
                    Problem::new(format!(
                        "`{}` is for {} tasks, but task `{}` is {}",
                        of.block(),
                        of.wire(),
                        self.name,
                        ty.wire()
                    ))
                    .hint(format!(
                        "{} tasks take `{}`",
                        ty.wire(),
                        ty.block()
                    )),
                );
            }
        }
        if !self.parameters.is_empty() && matches!(ty, TaskType::Lambda | TaskType::StepFunctions) {
            let input = if ty == TaskType::Lambda {
                "lambda.payload"
            } else {
                "stepFunctions.input"
            };
            cx.report(
                &t.k("parameters"),
                Problem::new(format!(
                    "`parameters` is for RUN_COMMAND and AUTOMATION tasks, but task `{}` is {}",
                    self.name,
                    ty.wire()
                ))
                .hint(format!("give a {} task its input in `{input}`", ty.wire())),
            );
        }
    }
}

/// `$DEFAULT`, `$LATEST` or a version number (the DocumentVersion pattern).
fn document_version(v: &str) -> rules::Check {
    let number = v.parse::<u64>().is_ok() && !v.starts_with('0');
    if v == "$DEFAULT" || v == "$LATEST" || number {
        Ok(())
    } else {
        Err(
            Problem::new(format!("documentVersion `{v}` is not a document version"))
                .hint("use `$DEFAULT`, `$LATEST` or a version number like `3`"),
        )
    }
}

fn check_run_command(at: &At<'_>, r: &RunCommandSettings, cx: &mut Cx<'_>) {
    let cw = r.cloud_watch_output_config.as_ref();
    let lengths = [
        ("comment", r.comment.as_ref(), 0, 100),
        ("documentHash", r.document_hash.as_ref(), 0, 256),
        (
            "outputS3BucketName",
            r.output_s3_bucket_name.as_ref(),
            3,
            63,
        ),
        ("outputS3KeyPrefix", r.output_s3_key_prefix.as_ref(), 0, 500),
    ];
    for (field, value, min, max) in lengths {
        if let Some(v) = value {
            cx.check(&at.k(field), rules::length(field, v, min, max));
        }
    }
    if let Some(group) = cw.and_then(|c| c.cloud_watch_log_group_name.as_ref()) {
        let c = rules::length("cloudWatchLogGroupName", group, 1, 512);
        cx.check(
            &at.k("cloudWatchOutputConfig").k("cloudWatchLogGroupName"),
            c,
        );
    }
    if let Some(v) = &r.document_version {
        cx.check(&at.k("documentVersion"), document_version(v));
    }
    if let Some(role) = &r.service_role_arn {
        let c = rules::role_arn(role, "runCommand.serviceRoleArn");
        cx.check(&at.k("serviceRoleArn"), c);
    }
    if let Some(n) = &r.notification_config {
        let n_at = at.k("notificationConfig");
        if let Some(arn) = &n.notification_arn {
            let c = rules::arn_of(arn, "notificationArn", "sns", &[]);
            cx.check(&n_at.k("notificationArn"), c);
        }
    }
}

fn check_lambda(at: &At<'_>, l: &LambdaSettings, cx: &mut Cx<'_>) {
    if let Some(p) = &l.payload {
        let bytes = as_text(p).len();
        if bytes > 4096 {
            cx.error(
                &at.k("payload"),
                format!("lambda.payload is {bytes} bytes as sent; AWS allows at most 4096"),
            );
        }
    }
    if let Some(c) = &l.client_context {
        cx.check(
            &at.k("clientContext"),
            rules::length("clientContext", c, 1, 8000),
        );
    }
    if let Some(q) = &l.qualifier {
        cx.check(&at.k("qualifier"), rules::length("qualifier", q, 1, 128));
    }
}
