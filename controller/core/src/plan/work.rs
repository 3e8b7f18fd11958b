//! The work a planned change needs: which AWS calls, on which live resource. Pure.
//!
//! The plan decides this once, beside the fields it shows ([`super::Change::work`]),
//! and apply carries it out without deciding again (Terraform's planned
//! `ResourceInstanceChange`): apply never re-picks the live resource, re-derives tag
//! changes or matches field paths to choose calls. An update whose only changes are
//! tags (an adoption, say) is [`Calls::Update`] with no [`Write`]: tagging calls only.
//!
//! Work is not part of a plan's JSON: a saved plan is planned again on apply, and the
//! fresh plan's work is what apply does.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use super::normalise;
use crate::spec::maintenance_window::WindowTask;
use crate::spec::Kind;

/// What apply does for one change, and to which live resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Work {
    pub calls: Calls,
    /// The live resource (or sub-resource) the plan chose: the owned one of the name,
    /// else the one being adopted. `None` when nothing of the name is live. For a
    /// metric filter: the live filter whose settings the format cannot hold are kept.
    pub live: Option<Chosen>,
    /// Further live resources the change deletes: a metric filter's namesakes on
    /// other log groups that are driftless's (moved away from, or all of them on a
    /// delete).
    pub deletes: Vec<Chosen>,
}

/// The AWS calls one change needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Calls {
    /// Nothing is written (a conflict).
    #[default]
    Nothing,
    /// Create it (with its tags).
    Create,
    /// Delete the chosen live resource.
    Delete,
    /// Replace the chosen live resource with a new one (the kind's order).
    Replace,
    /// Change in place: these writes, then these tag changes. No writes: tagging calls
    /// only.
    Update {
        writes: BTreeSet<Write>,
        tags: TagChanges,
    },
    /// Update a maintenance-window task: the task as sent (settings its blocks leave
    /// unset taken from the live task) and whether a field the live task has and the
    /// spec dropped must be cleared (the update's Replace mode).
    UpdateTask {
        task: Box<WindowTask>,
        replace: bool,
    },
    /// Take over an untaggable resource (a metric filter) as it is: no call, apply
    /// records it in the state store.
    Record,
    /// Set each log group's retention (`None`: never expire): a retention policy.
    SetRetention(Vec<GroupRetention>),
}

impl Calls {
    /// Whether the change makes tagging calls only (or none).
    pub fn tags_only(&self) -> bool {
        matches!(self, Calls::Update { writes, .. } if writes.is_empty()) || *self == Calls::Record
    }
}

/// One write of an in-place update beside tagging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Write {
    /// The whole definition: PutMetricAlarm, PutCompositeAlarm, PutMetricFilter,
    /// UpdatePatchBaseline, UpdateMaintenanceWindow(Target), UpdateBackupPlan.
    Definition,
    /// A log group's retention.
    Retention,
    /// A log group's KMS key association.
    KmsKey,
    /// A vault's lock.
    VaultLock,
    /// A vault's access policy.
    VaultAccessPolicy,
    /// A vault's notifications.
    VaultNotifications,
    /// Make the baseline its operating system's default.
    DefaultBaseline,
    /// A config rule's remediation (PutRemediationConfigurations, or
    /// DeleteRemediationConfiguration when the spec has none).
    Remediation,
    /// A configuration recorder's delivery channel (PutDeliveryChannel).
    DeliveryChannel,
    /// Whether a configuration recorder records (Start/StopConfigurationRecorder).
    Recording,
}

/// Tags to add (new or changed) and keys to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChanges {
    pub add: BTreeMap<String, String>,
    pub remove: Vec<String>,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// The live resource a change is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// Its position in its kind's list of the target's `LiveTarget` (the parent's, for
    /// a sub-resource), where apply reads what the calls need.
    pub index: usize,
    /// The AWS id (a baseline's, window's, plan's; a sub-resource's own id, `None`
    /// when the sub-resource is not live yet).
    pub id: Option<String>,
    pub arn: Option<String>,
}

/// A log group a retention policy sets, as the plan listed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRetention {
    pub group: String,
    /// `None`: never expire.
    pub days: Option<u32>,
}

/// Tags to add (new or changed) and keys to remove, to go from `live` to `desired`.
/// AWS-reserved `aws:` tags are never touched.
pub fn tag_changes(
    desired: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
) -> TagChanges {
    let add = desired
        .iter()
        .filter(|(k, v)| live.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = live
        .keys()
        .filter(|k| !desired.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect();
    TagChanges { add, remove }
}

/// The calls an in-place update of a `kind` resource needs, from its normalised
/// desired and live values: a write per setting group that differs, and the tag
/// changes.
pub fn update_calls(kind: Kind, desired: &J, live: &J) -> Calls {
    let tags = tag_changes(&tags_of(desired), &tags_of(live));
    let keys = desired
        .as_object()
        .into_iter()
        .chain(live.as_object())
        .flat_map(|o| o.keys());
    let mut writes = BTreeSet::new();
    for key in keys.filter(|k| *k != "tags") {
        let (d, l) = (field(desired, key), field(live, key));
        if super::diff::diff(d, l).is_empty() {
            continue;
        }
        writes.extend(write_for(kind, key, d, live));
    }
    Calls::Update { writes, tags }
}

fn field<'a>(v: &'a J, key: &str) -> &'a J {
    v.get(key).unwrap_or(&J::Null)
}

/// The write a changed top-level `key` of a `kind` needs (`None`: none in place, a
/// replacement decides it, or AWS fixes the value).
fn write_for(kind: Kind, key: &str, desired: &J, live: &J) -> Option<Write> {
    match (kind, key) {
        (Kind::LogGroup, "retentionInDays") => {
            // AWS fixes a DELIVERY group's retention.
            let delivery = field(live, "logGroupClass") == &J::from("DELIVERY");
            (!delivery).then_some(Write::Retention)
        }
        (Kind::LogGroup, "kmsKeyId") => Some(Write::KmsKey),
        (Kind::LogGroup, _) => None,
        (Kind::BackupVault, "lock") => Some(Write::VaultLock),
        (Kind::BackupVault, "accessPolicy") => Some(Write::VaultAccessPolicy),
        (Kind::BackupVault, "notifications") => Some(Write::VaultNotifications),
        (Kind::BackupVault, _) => None,
        (Kind::ConfigRule, "remediation") => Some(Write::Remediation),
        (Kind::ConfigurationRecorder, "deliveryChannel") => Some(Write::DeliveryChannel),
        (Kind::ConfigurationRecorder, "recording") => Some(Write::Recording),
        // A baseline is made the default, never un-made (another one is made it).
        (Kind::PatchBaseline, "defaultForOperatingSystem") => {
            (desired == &J::Bool(true)).then_some(Write::DefaultBaseline)
        }
        _ => Some(Write::Definition),
    }
}

/// The tags of a normalised value, as strings.
fn tags_of(v: &J) -> BTreeMap<String, String> {
    field(v, "tags")
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// What an update of `desired` sends: the task with the settings its blocks leave
/// unset taken from `live` (the plan's "don't care", [`normalise::window_task_dont_care`]),
/// and whether the update must clear a field the live task has and the spec dropped
/// (then Replace). Priority and cutoff behaviour are sent at their defaults, and
/// targets always, so they never need Replace; nor do the limits of a task without
/// targets (AWS's placeholders).
pub fn task_update(desired: &WindowTask, live: Option<&WindowTask>) -> Calls {
    let (task, replace) = merged_task(desired, live);
    Calls::UpdateTask {
        task: Box::new(task),
        replace,
    }
}

fn merged_task(desired: &WindowTask, live: Option<&WindowTask>) -> (WindowTask, bool) {
    let Some(live) = live else {
        return (desired.clone(), false);
    };
    let (Ok(mut d), Ok(l)) = (serde_json::to_value(desired), serde_json::to_value(live)) else {
        return (desired.clone(), true);
    };
    normalise::window_task_dont_care(&mut d, &l);
    let merged: WindowTask = serde_json::from_value(d).unwrap_or_else(|_| desired.clone());
    let sent = serde_json::to_value(&merged).unwrap_or_default();
    let never = ["priority", "cutoffBehavior", "targets", "instanceIds"];
    let placeholders = ["maxConcurrency", "maxErrors"];
    let replace = l.as_object().into_iter().flatten().any(|(key, _)| {
        let placeholder = placeholders.contains(&key.as_str()) && !merged.has_targets();
        let cleared = sent.get(key).is_none();
        cleared && !placeholder && !never.contains(&key.as_str())
    });
    (merged, replace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(v: J) -> WindowTask {
        serde_json::from_value(v).unwrap()
    }

    fn sent(calls: Calls) -> (WindowTask, bool) {
        match calls {
            Calls::UpdateTask { task, replace } => (*task, replace),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn settings_the_spec_is_silent_about_are_kept_without_replace() {
        let desired = task(
            json!({"name": "p", "type": "RUN_COMMAND", "taskArn": "AWS-RunPatchBaseline",
            "targets": ["web"], "maxConcurrency": "2", "maxErrors": "1",
            "runCommand": {"comment": "new"}}),
        );
        let live = task(
            json!({"name": "p", "type": "RUN_COMMAND", "taskArn": "AWS-RunPatchBaseline",
            "targets": ["web"], "maxConcurrency": "1", "maxErrors": "1", "priority": 3,
            "runCommand": {"comment": "old", "timeoutSeconds": 900, "outputS3BucketName": "out"}}),
        );
        let (sent, replace) = sent(task_update(&desired, Some(&live)));
        assert!(!replace);
        let r = sent.run_command.unwrap();
        assert_eq!(r.comment.as_deref(), Some("new"));
        assert_eq!(r.timeout_seconds, Some(900));
        assert_eq!(r.output_s3_bucket_name.as_deref(), Some("out"));
        assert_eq!(sent.max_concurrency.as_deref(), Some("2"));
        assert_eq!(sent.priority, None, "sent as the default 1, not kept at 3");
    }

    #[test]
    fn a_dropped_field_needs_replace() {
        let desired = task(json!({"name": "l", "type": "LAMBDA",
            "taskArn": "arn:aws:lambda:us-east-1:111111111111:function:f"}));
        let live = task(json!({"name": "l", "type": "LAMBDA", "description": "d",
            "taskArn": "arn:aws:lambda:us-east-1:111111111111:function:f",
            "maxConcurrency": "1", "maxErrors": "1", "lambda": {"qualifier": "live"}}));
        let (sent, replace) = sent(task_update(&desired, Some(&live)));
        assert!(replace, "the description must be cleared");
        assert_eq!(sent.lambda.unwrap().qualifier.as_deref(), Some("live"));
        let mut with_description = desired.clone();
        with_description.description = Some("d".into());
        let (_, replace) = super::merged_task(&with_description, Some(&live));
        assert!(
            !replace,
            "the placeholders of a task without targets need no clearing"
        );
    }

    #[test]
    fn tag_changes_add_changed_and_remove_extra_but_never_aws_tags() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let desired = map(&[("a", "1"), ("b", "2")]);
        let live = map(&[
            ("a", "1"),
            ("b", "0"),
            ("c", "3"),
            ("aws:cloudformation:stack-name", "x"),
        ]);
        let changes = tag_changes(&desired, &live);
        assert_eq!(changes.add, map(&[("b", "2")]));
        assert_eq!(changes.remove, ["c"]);
    }

    #[test]
    fn only_tags_differ_means_no_write() {
        let live = json!({"threshold": 80, "tags": {"team": "web"}});
        let desired = json!({"threshold": 80, "tags": {"team": "web", "owner": "d"}});
        let calls = update_calls(Kind::MetricAlarm, &desired, &live);
        assert!(calls.tags_only(), "{calls:?}");
        let Calls::Update { tags, .. } = calls else {
            unreachable!()
        };
        assert_eq!(tags.add.keys().collect::<Vec<_>>(), ["owner"]);
    }

    #[test]
    fn each_setting_group_has_its_write() {
        let writes = |kind, desired: J, live: J| match update_calls(kind, &desired, &live) {
            Calls::Update { writes, .. } => writes.into_iter().collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            writes(
                Kind::MetricAlarm,
                json!({"threshold": 90}),
                json!({"threshold": 80})
            ),
            [Write::Definition]
        );
        assert_eq!(
            writes(
                Kind::LogGroup,
                json!({"retentionInDays": 7, "kmsKeyId": "k"}),
                json!({"retentionInDays": 30})
            ),
            [Write::Retention, Write::KmsKey]
        );
        assert_eq!(
            writes(
                Kind::LogGroup,
                json!({"retentionInDays": 7, "logGroupClass": "DELIVERY"}),
                json!({"retentionInDays": 1, "logGroupClass": "DELIVERY"})
            ),
            [],
            "AWS fixes a DELIVERY group's retention"
        );
        assert_eq!(
            writes(
                Kind::BackupVault,
                json!({"lock": {"minRetentionDays": 7}, "notifications": {"events": []}}),
                json!({})
            ),
            [Write::VaultLock, Write::VaultNotifications]
        );
        assert_eq!(
            writes(
                Kind::PatchBaseline,
                json!({"defaultForOperatingSystem": true, "description": "d"}),
                json!({})
            ),
            [Write::Definition, Write::DefaultBaseline]
        );
    }
}
