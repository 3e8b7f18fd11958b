//! `MaintenanceWindow`: an SSM maintenance window with its targets and tasks, which
//! belong to it (they are identified by their name within the window). The tasks
//! and their invocation settings are in [`task`], the window's dates in [`dates`].

pub mod dates;
pub mod task;

pub use task::*;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::rules::{self, Problem, ScheduleUse};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceWindowSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `cron(...)`, `rate(...)` or `at(...)` (once, UTC) in AWS's syntax.
    pub schedule: String,
    /// IANA time zone of the schedule; defaults to UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_timezone: Option<String>,
    /// Days after the cron date to run (1-6); cron schedules only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 6))]
    pub schedule_offset: Option<u32>,
    /// Hours, 1-24.
    #[schemars(range(min = 1, max = 24))]
    pub duration: u32,
    /// Hours before the end when no new task starts; less than duration.
    #[schemars(range(max = 23))]
    pub cutoff: u32,
    /// When the window becomes active (ISO 8601 extended, e.g. `2026-01-31T09:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// When the window stops running (ISO 8601 extended); after `startDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    #[serde(default)]
    pub allow_unassociated_targets: bool,
    /// Defaults to true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<WindowTarget>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<WindowTask>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// A registered target of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WindowTarget {
    /// Unique within the window.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub resource_type: WindowResourceType,
    /// Instances carrying these tags (tag key → value or list of values).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, OneOrMany>,
    /// Instances carrying all these tag keys, whatever the values (the `tag-key`
    /// target key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_ids: Vec<String>,
    /// A resource group's name (resourceType RESOURCE_GROUP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// Resource types of the group to target (`AWS::EC2::Instance`; the
    /// `resource-groups:ResourceTypeFilters` target key); RESOURCE_GROUP only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_type_filters: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_information: Option<String>,
}

/// A string or a list of strings (`tags: {Env: prod}` or `tags: {Env: [prod, dr]}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WindowResourceType {
    Instance,
    ResourceGroup,
}

fn window_name(what: &str, name: &str) -> rules::Check {
    rules::name(what, name, 3, 128, "_-.")
}

impl MaintenanceWindowSpec {
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(
            &At::root().k("metadata").k("name"),
            window_name("window name", name),
        );
        self.check_lengths(cx);
        cx.check(
            &at.k("schedule"),
            rules::schedule(&self.schedule, ScheduleUse::MaintenanceWindow),
        );
        if let Some(tz) = &self.schedule_timezone {
            cx.check(&at.k("scheduleTimezone"), rules::timezone(tz));
        }
        if self.schedule_offset.is_some() && !self.schedule.trim_start().starts_with("cron(") {
            cx.error(
                &at.k("scheduleOffset"),
                "scheduleOffset works with cron schedules only",
            );
        }
        if self.cutoff >= self.duration {
            cx.report(
                &at.k("cutoff"),
                Problem::new(format!(
                    "cutoff {} must be less than duration {}",
                    self.cutoff, self.duration
                ))
                .hint("cutoff is the last hours of the window in which no new task starts"),
            );
        }
        self.check_dates(cx);
        let names = self.check_targets(cx);
        self.check_tasks(&names, cx);
        cx.check_tags(&at.k("tags"), &self.tags);
        cx.check_tag_characters(&at.k("tags"), &self.tags);
    }

    /// `startDate` and `endDate`: ISO 8601, the end after the start.
    fn check_dates(&self, cx: &mut Cx<'_>) {
        let at = At::spec();
        let mut parsed = Vec::new();
        for (field, value) in [("startDate", &self.start_date), ("endDate", &self.end_date)] {
            let Some(value) = value else {
                parsed.push(None);
                continue;
            };
            let d = dates::parse(value);
            if d.is_none() {
                cx.report(
                    &at.k(field),
                    Problem::new(format!("{field} `{value}` is not an ISO 8601 date-time")).hint(
                        "write it like `2026-01-31T09:00:00Z` or `2026-01-31T18:00:00+09:00`",
                    ),
                );
            }
            parsed.push(d);
        }
        if let [Some(start), Some(end)] = parsed[..] {
            if !start.before(&end) {
                cx.report(
                    &at.k("endDate"),
                    Problem::new(format!(
                        "endDate `{}` must be after startDate `{}`",
                        self.end_date.as_deref().unwrap_or_default(),
                        self.start_date.as_deref().unwrap_or_default()
                    )),
                );
            }
        }
    }

    /// The targets' names and ways; returns the names.
    fn check_targets(&self, cx: &mut Cx<'_>) -> Vec<&str> {
        let at = At::spec();
        let mut names: Vec<&str> = Vec::new();
        for (i, target) in self.targets.iter().enumerate() {
            let t = at.k("targets").i(i);
            cx.check(&t.k("name"), window_name("target name", &target.name));
            if names.contains(&target.name.as_str()) {
                cx.error(
                    &t.k("name"),
                    format!("target name `{}` is used twice in this window", target.name),
                );
            }
            names.push(&target.name);
            check_target_ways(&t, target, cx);
            match target.resource_type {
                WindowResourceType::ResourceGroup if target.resource_group.is_none() => cx.error(
                    &t.k("resourceType"),
                    "resourceType RESOURCE_GROUP needs `resourceGroup`",
                ),
                WindowResourceType::Instance if target.resource_group.is_some() => cx.error(
                    &t.k("resourceGroup"),
                    "`resourceGroup` needs resourceType RESOURCE_GROUP",
                ),
                _ => {}
            }
            for (j, id) in target.instance_ids.iter().enumerate() {
                cx.check(&t.k("instanceIds").i(j), instance_id(id));
            }
        }
        names
    }

    fn check_tasks(&self, names: &[&str], cx: &mut Cx<'_>) {
        let at = At::spec();
        let mut task_names: Vec<&str> = Vec::new();
        for (i, task) in self.tasks.iter().enumerate() {
            let t = at.k("tasks").i(i);
            cx.check(&t.k("name"), window_name("task name", &task.name));
            if task_names.contains(&task.name.as_str()) {
                cx.error(
                    &t.k("name"),
                    format!("task name `{}` is used twice in this window", task.name),
                );
            }
            task_names.push(&task.name);
            for (j, target) in task.targets.iter().enumerate() {
                if !names.contains(&target.as_str()) {
                    let p = Problem::new(format!(
                        "task `{}` targets `{target}`, which is not a target of this window",
                        task.name
                    ));
                    let p = match super::diagnostic::did_you_mean(target, names.iter().copied()) {
                        Some(s) => p.hint(format!("did you mean `{s}`?")),
                        None if names.is_empty() => p.hint("add it under `targets` of this window"),
                        None => p.hint(format!("this window's targets: {}", names.join(", "))),
                    };
                    cx.report(&t.k("targets").i(j), p);
                }
            }
            if !task.has_targets() && task.task_type == TaskType::RunCommand {
                cx.report(
                    &t.k("targets"),
                    Problem::new(format!(
                        "RUN_COMMAND task `{}` needs at least one target",
                        task.name
                    ))
                    .hint("name window targets in `targets`, or instances in `instanceIds`"),
                );
            }
            check_task_arn(&t, task, cx);
            for (field, value, zero) in [
                ("maxConcurrency", &task.max_concurrency, false),
                ("maxErrors", &task.max_errors, true),
            ] {
                if let Some(v) = value {
                    cx.check(&t.k(field), rules::count_or_percent(field, v, zero));
                }
            }
            if let Some(role) = &task.service_role_arn {
                cx.check(
                    &t.k("serviceRoleArn"),
                    rules::role_arn(role, "serviceRoleArn"),
                );
            }
            task.check_settings(&t, cx);
        }
    }

    /// The lengths and counts of the request members (CreateMaintenanceWindow,
    /// RegisterTargetWithMaintenanceWindow, RegisterTaskWithMaintenanceWindow).
    fn check_lengths(&self, cx: &mut Cx<'_>) {
        let at = At::spec();
        let description = |d: &Option<String>| {
            d.as_deref()
                .map(|d| rules::length("description", d, 1, 128))
        };
        if let Some(c) = description(&self.description) {
            cx.check(&at.k("description"), c);
        }
        let schedule = rules::length("schedule", &self.schedule, 1, 256);
        cx.check(&at.k("schedule"), schedule);
        for (i, target) in self.targets.iter().enumerate() {
            let t = at.k("targets").i(i);
            if let Some(c) = description(&target.description) {
                cx.check(&t.k("description"), c);
            }
            if let Some(owner) = &target.owner_information {
                let c = rules::length("ownerInformation", owner, 1, 128);
                cx.check(&t.k("ownerInformation"), c);
            }
            let entries = target.tags.len() + usize::from(!target.tag_keys.is_empty());
            let what = if target.tag_keys.is_empty() {
                "tags"
            } else {
                "tags and tagKeys"
            };
            cx.check(&t.k("tags"), rules::at_most(what, entries, 5));
            for (field, list) in [
                ("tagKeys", &target.tag_keys),
                ("resourceTypeFilters", &target.resource_type_filters),
            ] {
                cx.check(&t.k(field), rules::at_most(field, list.len(), 50));
            }
            let ids = rules::at_most("instanceIds", target.instance_ids.len(), 50);
            cx.check(&t.k("instanceIds"), ids);
            for (key, values) in &target.tags {
                let c = rules::at_most("tag values", values.values().len(), 50);
                cx.check(&t.k("tags").k(key), c);
            }
        }
        for (i, task) in self.tasks.iter().enumerate() {
            if let Some(c) = description(&task.description) {
                cx.check(&at.k("tasks").i(i).k("description"), c);
            }
            if task.task_type == TaskType::Automation {
                check_automation_parameters(&at.k("tasks").i(i).k("parameters"), task, cx);
            }
        }
    }
}

/// An AUTOMATION task's parameters (MaintenanceWindowAutomationParameters): at most
/// 200, names of 1 to 50 characters, at most 50 values each.
fn check_automation_parameters(at: &At<'_>, task: &WindowTask, cx: &mut Cx<'_>) {
    cx.check(at, rules::at_most("parameters", task.parameters.len(), 200));
    for (name, values) in &task.parameters {
        cx.check(
            &at.key_of(name),
            rules::length("parameter name", name, 1, 50),
        );
        cx.check(
            &at.k(name),
            rules::at_most("parameter values", values.len(), 50),
        );
    }
}

/// How a target picks its resources: tags and/or tag keys, instance ids, or a
/// resource group (with its resource-type filters); exactly one way.
fn check_target_ways(t: &At<'_>, target: &WindowTarget, cx: &mut Cx<'_>) {
    let ways = usize::from(!target.tags.is_empty() || !target.tag_keys.is_empty())
        + usize::from(!target.instance_ids.is_empty())
        + usize::from(target.resource_group.is_some());
    if ways != 1 {
        cx.report(
            t,
            Problem::new(format!(
                "target `{}` needs exactly one of `tags`/`tagKeys`, `instanceIds` or `resourceGroup`",
                target.name
            )),
        );
    }
    if !target.resource_type_filters.is_empty() && target.resource_group.is_none() {
        cx.error(
            &t.k("resourceTypeFilters"),
            "`resourceTypeFilters` narrows a `resourceGroup`; add the group",
        );
    }
    for (j, f) in target.resource_type_filters.iter().enumerate() {
        let parts: Vec<&str> = f.split("::").collect();
        if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
            cx.report(
                &t.k("resourceTypeFilters").i(j),
                Problem::new(format!("`{f}` is not a resource type"))
                    .hint("write it like `AWS::EC2::Instance`"),
            );
        }
    }
    for (j, key) in target.tag_keys.iter().enumerate() {
        cx.check(&t.k("tagKeys").i(j), rules::tag_characters("tag key", key));
    }
}

/// An EC2 instance id (`i-` and 8 or 17 hex digits) or a managed node's (`mi-`).
pub(crate) fn instance_id(id: &str) -> rules::Check {
    let ok = id.strip_prefix("i-").is_some_and(|h| {
        (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_hexdigit())
    }) || id.strip_prefix("mi-").is_some_and(|h| h.len() == 17);
    if ok {
        Ok(())
    } else {
        Err(Problem::new(format!(
            "`{id}` is not an instance ID like `i-0123456789abcdef0`"
        )))
    }
}

/// A task's `taskArn` for its type: a Lambda function, a state machine, or an SSM
/// document (name or ARN).
fn check_task_arn(t: &At<'_>, task: &WindowTask, cx: &mut Cx<'_>) {
    match task.task_type {
        TaskType::Lambda => cx.check(
            &t.k("taskArn"),
            rules::arn_of(&task.task_arn, "taskArn", "lambda", &["function:"]),
        ),
        TaskType::StepFunctions => cx.check(
            &t.k("taskArn"),
            rules::arn_of(&task.task_arn, "taskArn", "states", &["stateMachine:"]),
        ),
        TaskType::RunCommand | TaskType::Automation => {
            if task.task_arn.starts_with("arn:") {
                cx.check(
                    &t.k("taskArn"),
                    rules::arn_of(
                        &task.task_arn,
                        "taskArn",
                        "ssm",
                        &["document/", "automation-definition/"],
                    ),
                );
            } else {
                cx.check(
                    &t.k("taskArn"),
                    rules::name("document name", &task.task_arn, 3, 128, "_-.:/"),
                );
            }
        }
    }
}
