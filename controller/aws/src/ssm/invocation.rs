//! A task's `TaskInvocationParameters` both ways: the spec's `parameters` and its
//! settings block (`runCommand`, `automation`, `lambda`, `stepFunctions`) to the
//! SDK's shape, and back. The one place that knows the shape, so what is written reads
//! back as the same spec.
//!
//! A Lambda `Payload` is a blob: the spec's text (a string as it is, any other value
//! as compact JSON) is sent as its UTF-8 bytes; read back, bytes that parse as JSON
//! become that value, other UTF-8 text a string (the plan compares a string that
//! parses as JSON as that JSON). A Step Functions `Input` is a string, read the same
//! way. Written over a live task ([`to_sdk_like`]), a payload or input equal in that
//! sense to the live one is sent back as AWS's own text, byte for byte, so an edit
//! elsewhere in the task does not re-serialize it.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ssm::types::{
    CloudWatchOutputConfig as SdkCloudWatch, DocumentHashType as SdkHashType,
    MaintenanceWindowAutomationParameters, MaintenanceWindowLambdaParameters,
    MaintenanceWindowRunCommandParameters, MaintenanceWindowStepFunctionsParameters,
    MaintenanceWindowTaskInvocationParameters as Sdk, NotificationConfig as SdkNotification,
    NotificationEvent as SdkEvent, NotificationType as SdkNotificationType,
};
use aws_smithy_types::Blob;

use driftless_core::spec::maintenance_window::{
    as_text, AutomationSettings, CloudWatchOutputConfig, LambdaSettings, NotificationConfig,
    RunCommandSettings, StepFunctionsSettings, TaskType, WindowTask,
};
use driftless_core::spec::wire_name;

/// What a task's invocation parameters hold, in the spec's terms.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Invocation {
    pub parameters: BTreeMap<String, Vec<String>>,
    pub run_command: Option<RunCommandSettings>,
    pub automation: Option<AutomationSettings>,
    pub lambda: Option<LambdaSettings>,
    pub step_functions: Option<StepFunctionsSettings>,
    /// What the spec cannot hold (a payload that is not UTF-8).
    pub unrepresented: Vec<String>,
}

fn sdk_enum<T: for<'a> From<&'a str>>(value: &impl serde::Serialize) -> T {
    T::from(wire_name(value).as_str())
}

fn from_wire<T: serde::de::DeserializeOwned>(wire: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(wire.to_string())).ok()
}

/// The SDK's `TaskInvocationParameters` for a task; `None` when it has nothing to
/// send (no parameters, no settings).
pub fn to_sdk(task: &WindowTask) -> Option<Sdk> {
    to_sdk_like(task, None)
}

/// The text to send for a payload or input: the live text when it reads as the same
/// value as the spec's (so AWS's spacing and key order are kept), else the spec's text.
fn keep_live(spec: &serde_json::Value, live: Option<&str>) -> String {
    let text = as_text(spec);
    match live {
        Some(live) if text_value(live) == text_value(&text) => live.to_string(),
        _ => text,
    }
}

/// As [`to_sdk`], over the task's live invocation parameters `like`: a Lambda
/// `Payload` or Step Functions `Input` equal in value to the live one is sent as the
/// live text ([`keep_live`]).
pub fn to_sdk_like(task: &WindowTask, like: Option<&Sdk>) -> Option<Sdk> {
    let live_payload = like
        .and_then(|p| p.lambda())
        .and_then(|l| l.payload())
        .and_then(|b| std::str::from_utf8(b.as_ref()).ok());
    let live_input = like
        .and_then(|p| p.step_functions())
        .and_then(|s| s.input());
    let params = (!task.parameters.is_empty()).then(|| {
        task.parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<HashMap<_, _>>()
    });
    let out = match task.task_type {
        TaskType::RunCommand => {
            let r = task.run_command.clone().unwrap_or_default();
            if params.is_none() && r == RunCommandSettings::default() {
                return None;
            }
            Sdk::builder().run_command(run_command(&r, params)).build()
        }
        TaskType::Automation => {
            let a = task.automation.clone().unwrap_or_default();
            if params.is_none() && a.document_version.is_none() {
                return None;
            }
            let a = MaintenanceWindowAutomationParameters::builder()
                .set_document_version(a.document_version)
                .set_parameters(params)
                .build();
            Sdk::builder().automation(a).build()
        }
        TaskType::Lambda => {
            let l = task.lambda.clone().unwrap_or_default();
            if l == LambdaSettings::default() {
                return None;
            }
            let l = MaintenanceWindowLambdaParameters::builder()
                .set_client_context(l.client_context)
                .set_qualifier(l.qualifier)
                .set_payload(
                    l.payload
                        .map(|p| Blob::new(keep_live(&p, live_payload).into_bytes())),
                )
                .build();
            Sdk::builder().lambda(l).build()
        }
        TaskType::StepFunctions => {
            let s = task.step_functions.clone().unwrap_or_default();
            if s == StepFunctionsSettings::default() {
                return None;
            }
            let s = MaintenanceWindowStepFunctionsParameters::builder()
                .set_input(s.input.map(|i| keep_live(&i, live_input)))
                .set_name(s.name)
                .build();
            Sdk::builder().step_functions(s).build()
        }
    };
    Some(out)
}

fn run_command(
    r: &RunCommandSettings,
    params: Option<HashMap<String, Vec<String>>>,
) -> MaintenanceWindowRunCommandParameters {
    let cloud_watch = r.cloud_watch_output_config.as_ref().map(|c| {
        SdkCloudWatch::builder()
            .set_cloud_watch_log_group_name(c.cloud_watch_log_group_name.clone())
            .set_cloud_watch_output_enabled(c.cloud_watch_output_enabled)
            .build()
    });
    let notification = r.notification_config.as_ref().map(|n| {
        SdkNotification::builder()
            .set_notification_arn(n.notification_arn.clone())
            .set_notification_events((!n.notification_events.is_empty()).then(|| {
                n.notification_events
                    .iter()
                    .map(sdk_enum::<SdkEvent>)
                    .collect()
            }))
            .set_notification_type(
                n.notification_type
                    .as_ref()
                    .map(sdk_enum::<SdkNotificationType>),
            )
            .build()
    });
    MaintenanceWindowRunCommandParameters::builder()
        .set_comment(r.comment.clone())
        .set_document_hash(r.document_hash.clone())
        .set_document_hash_type(r.document_hash_type.as_ref().map(sdk_enum::<SdkHashType>))
        .set_document_version(r.document_version.clone())
        .set_timeout_seconds(
            r.timeout_seconds
                .map(|t| i32::try_from(t).unwrap_or(i32::MAX)),
        )
        .set_output_s3_bucket_name(r.output_s3_bucket_name.clone())
        .set_output_s3_key_prefix(r.output_s3_key_prefix.clone())
        .set_cloud_watch_output_config(cloud_watch)
        .set_notification_config(notification)
        .set_service_role_arn(r.service_role_arn.clone())
        .set_parameters(params)
        .build()
}

/// A payload or input read back: JSON when it parses, else the text.
fn text_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}

/// The spec's view of the invocation parameters AWS returned.
pub fn from_sdk(params: Option<&Sdk>) -> Invocation {
    let mut out = Invocation::default();
    let Some(p) = params else {
        return out;
    };
    let map = |m: Option<&HashMap<String, Vec<String>>>| -> BTreeMap<String, Vec<String>> {
        m.into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    if let Some(r) = p.run_command() {
        out.parameters = map(r.parameters());
        out.run_command = Some(read_run_command(r)).filter(|r| *r != RunCommandSettings::default());
    }
    if let Some(a) = p.automation() {
        out.parameters = map(a.parameters());
        out.automation = a.document_version().map(|v| AutomationSettings {
            document_version: Some(v.to_string()),
        });
    }
    if let Some(l) = p.lambda() {
        let payload = l
            .payload()
            .and_then(|b| match std::str::from_utf8(b.as_ref()) {
                Ok(text) => Some(text_value(text)),
                Err(_) => {
                    out.unrepresented
                        .push("lambda.payload (not UTF-8 text)".into());
                    None
                }
            });
        let l = LambdaSettings {
            client_context: l.client_context().map(str::to_string),
            payload,
            qualifier: l.qualifier().map(str::to_string),
        };
        out.lambda = Some(l).filter(|l| *l != LambdaSettings::default());
    }
    if let Some(s) = p.step_functions() {
        let s = StepFunctionsSettings {
            input: s.input().map(text_value),
            name: s.name().map(str::to_string),
        };
        out.step_functions = Some(s).filter(|s| *s != StepFunctionsSettings::default());
    }
    out
}

fn read_run_command(r: &MaintenanceWindowRunCommandParameters) -> RunCommandSettings {
    RunCommandSettings {
        comment: r.comment().map(str::to_string),
        document_hash: r.document_hash().map(str::to_string),
        document_hash_type: r.document_hash_type().and_then(|t| from_wire(t.as_str())),
        document_version: r.document_version().map(str::to_string),
        timeout_seconds: r.timeout_seconds().and_then(|t| u32::try_from(t).ok()),
        output_s3_bucket_name: r.output_s3_bucket_name().map(str::to_string),
        output_s3_key_prefix: r.output_s3_key_prefix().map(str::to_string),
        cloud_watch_output_config: r
            .cloud_watch_output_config()
            .map(|c| CloudWatchOutputConfig {
                cloud_watch_log_group_name: c.cloud_watch_log_group_name().map(str::to_string),
                cloud_watch_output_enabled: Some(c.cloud_watch_output_enabled()),
            }),
        notification_config: r.notification_config().map(|n| NotificationConfig {
            notification_arn: n.notification_arn().map(str::to_string),
            notification_events: n
                .notification_events()
                .iter()
                .filter_map(|e| from_wire(e.as_str()))
                .collect(),
            notification_type: n.notification_type().and_then(|t| from_wire(t.as_str())),
        }),
        service_role_arn: r.service_role_arn().map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(v: serde_json::Value) -> WindowTask {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn every_block_reads_back_as_written() {
        for t in [
            json!({"name": "rc", "type": "RUN_COMMAND", "taskArn": "AWS-RunShellScript",
                   "parameters": {"commands": ["uptime"]},
                   "runCommand": {"comment": "c", "documentHash": "ab", "documentHashType": "Sha256",
                     "documentVersion": "$DEFAULT", "timeoutSeconds": 600, "outputS3BucketName": "out",
                     "outputS3KeyPrefix": "p/", "serviceRoleArn": "arn:aws:iam::111111111111:role/r",
                     "cloudWatchOutputConfig": {"cloudWatchLogGroupName": "/ssm", "cloudWatchOutputEnabled": true},
                     "notificationConfig": {"notificationArn": "arn:aws:sns:us-east-1:111111111111:t",
                       "notificationEvents": ["Failed", "TimedOut"], "notificationType": "Command"}}}),
            json!({"name": "au", "type": "AUTOMATION", "taskArn": "AWS-RestartEC2Instance",
                   "parameters": {"InstanceId": ["i-0123456789abcdef0"]}, "automation": {"documentVersion": "2"}}),
            json!({"name": "la", "type": "LAMBDA", "taskArn": "arn:aws:lambda:us-east-1:111111111111:function:f",
                   "lambda": {"payload": {"window": "prod", "n": [1, 2]}, "qualifier": "live", "clientContext": "e30="}}),
            json!({"name": "sf", "type": "STEP_FUNCTIONS", "taskArn": "arn:aws:states:us-east-1:111111111111:stateMachine:m",
                   "stepFunctions": {"input": "plain text", "name": "run"}}),
        ] {
            let t = task(t);
            let back = from_sdk(to_sdk(&t).as_ref());
            assert_eq!(back.parameters, t.parameters);
            assert_eq!(back.run_command, t.run_command);
            assert_eq!(back.automation, t.automation);
            assert_eq!(back.lambda, t.lambda);
            assert_eq!(back.step_functions, t.step_functions);
            assert!(back.unrepresented.is_empty());
        }
    }

    #[test]
    fn an_equal_payload_or_input_is_sent_as_the_live_text() {
        let live_lambda = MaintenanceWindowLambdaParameters::builder()
            .payload(Blob::new(br#"{"window": "preserve"}"#.to_vec()))
            .build();
        let live_sfn = MaintenanceWindowStepFunctionsParameters::builder()
            .input(r#"{ "a" : 1 }"#)
            .build();
        let payload = |p: &Sdk| p.lambda().unwrap().payload().unwrap().as_ref().to_vec();
        let input = |p: &Sdk| p.step_functions().unwrap().input().unwrap().to_string();
        let la = |v: serde_json::Value| {
            task(json!({"name": "la", "type": "LAMBDA", "taskArn": "f", "lambda": {"payload": v}}))
        };
        let sf = |v: serde_json::Value| {
            task(
                json!({"name": "sf", "type": "STEP_FUNCTIONS", "taskArn": "m", "stepFunctions": {"input": v}}),
            )
        };
        let like = Sdk::builder().lambda(live_lambda).build();
        let sent = to_sdk_like(&la(json!({"window": "preserve"})), Some(&like)).unwrap();
        assert_eq!(payload(&sent), br#"{"window": "preserve"}"#);
        let sent = to_sdk_like(&la(json!({"window": "other"})), Some(&like)).unwrap();
        assert_eq!(payload(&sent), br#"{"window":"other"}"#);
        let like = Sdk::builder().step_functions(live_sfn).build();
        let sent = to_sdk_like(&sf(json!({"a": 1})), Some(&like)).unwrap();
        assert_eq!(input(&sent), r#"{ "a" : 1 }"#);
        let sent = to_sdk_like(&sf(json!("{\"a\":1}")), Some(&like)).unwrap();
        assert_eq!(input(&sent), r#"{ "a" : 1 }"#);
        let sent = to_sdk_like(&sf(json!({"a": 2})), Some(&like)).unwrap();
        assert_eq!(input(&sent), r#"{"a":2}"#);
    }

    #[test]
    fn nothing_to_send_is_none() {
        let t = task(
            json!({"name": "la", "type": "LAMBDA", "taskArn": "arn:aws:lambda:us-east-1:111111111111:function:f"}),
        );
        assert!(to_sdk(&t).is_none());
        let p = MaintenanceWindowLambdaParameters::builder()
            .payload(Blob::new(vec![0xff, 0xfe]))
            .build();
        let back = from_sdk(Some(&Sdk::builder().lambda(p).build()));
        assert_eq!(back.lambda, None);
        assert_eq!(back.unrepresented, ["lambda.payload (not UTF-8 text)"]);
    }
}
