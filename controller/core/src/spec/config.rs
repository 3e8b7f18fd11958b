//! `driftless.yaml`: the targets (account and region) a repository is applied to,
//! repository-wide defaults, and where the controller sends notifications.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::diagnostic::did_you_mean;
use super::organization::{self, Enrollment, OrganizationEntry, OrganizationTargets};
use super::rules::{self, Check, Problem};

/// The name of the one target used when a repository has no driftless.yaml.
pub const DEFAULT_TARGET: &str = "default";
/// Deletes allowed per target per run unless driftless.yaml or a flag says otherwise.
pub const DEFAULT_MAX_DELETES: u32 = 10;
/// The default value of the ownership tag.
pub const DEFAULT_INSTANCE: &str = "driftless";

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DriftlessConfig {
    /// Explicit targets (`{name, region}`) and organization entries
    /// (`organization: {...}`), which stand for one target per member account and region.
    #[serde(default)]
    pub targets: Vec<TargetEntry>,
    /// Named sets of targets (`prod: [prod-tokyo, prod-osaka]`), usable wherever a
    /// target name is (`metadata.targets`, `defaults.targets`, `--target`). A group may
    /// name other groups; it may not contain itself, nor share a name with a target.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<Defaults>,
    /// Delete owned resources that left the repository (also `--prune`).
    #[serde(default)]
    pub prune: bool,
    /// Deletion guard per target per run; default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deletes: Option<u32>,
    /// The value of the `driftless.dev/managed-by` tag; default `driftless`. Two
    /// instances with different names never touch each other's resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Where `driftless run` announces drift, corrections, failed applies and invalid
    /// revisions: an SNS topic, a Slack-compatible webhook, or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<NotificationsConfig>,
    /// Stop all writes while still planning and reporting (also `driftless run
    /// --suspend` and `POST /suspend`).
    #[serde(default)]
    pub suspend: bool,
    /// Rules every resource must follow, named and parameterised like the AWS Config
    /// managed rules; checked by `validate` on every document and by `audit` on every
    /// live resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardrails: Vec<crate::spec::guardrail::Guardrail>,
    /// Where driftless keeps its state (last-applied records, history, locks):
    /// `local` under `--state-dir` (default) or an S3 bucket and prefix shared by
    /// every machine that applies the repository. `--state` / `DRIFTLESS_STATE` win.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<crate::spec::state_backend::StateConfig>,
}

/// One entry of `targets:`: an explicit target or an AWS Organization's accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TargetEntry {
    Account(TargetConfig),
    Organization(OrganizationEntry),
}

/// One account and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetConfig {
    pub name: String,
    pub region: String,
    /// Assumed with STS before any call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The target's 12-digit account, for `${target.accountId}`; default: the account
    /// of `roleArn`, else the one STS GetCallerIdentity names at plan time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// Targets a document goes to when its metadata names none; default: all.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Tags merged under every taggable spec's own `tags` (the spec's value wins for
    /// a key both set), e.g. an organisation's cost-allocation tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// Where the controller's notifications go, and which ones it sends. Each condition
/// is announced once when it starts and once when it ends.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Publish to an SNS topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns: Option<SnsNotifications>,
    /// POST `{"text": ...}` to a Slack-compatible incoming webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackNotifications>,
    /// The events to send; default: all five. Recoveries (drift resolved, reconciles
    /// again, valid revision applied) follow their event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<NotificationEvent>>,
}

/// An SNS topic to publish notifications to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnsNotifications {
    /// The topic's ARN; the region and account come from it
    /// (`arn:aws:sns:ap-northeast-1:111111111111:ops`).
    pub topic_arn: String,
    /// The target whose credentials (and `roleArn`) publish; default: the first target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// A Slack-compatible incoming webhook. Its URL is a secret, so it never sits in git:
/// name the environment variable or the file that holds it (exactly one of the two).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlackNotifications {
    /// The environment variable holding the webhook URL (`DRIFTLESS_SLACK_WEBHOOK_URL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url_env: Option<String>,
    /// A file holding the webhook URL (a mounted secret such as
    /// `/run/secrets/slack-url`); read when the controller starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url_file: Option<String>,
}

/// What the controller can announce: `driftDetected` (a resource started to differ
/// from what driftless last applied; and, once, that it stopped without driftless
/// writing it back), `driftCorrected` (driftless wrote a drifted resource back),
/// `applyFailed` (a target's reconcile started to fail; and, once, that it succeeds
/// again), `revisionInvalid` (the latest revision is invalid and not applied; and,
/// once, that a valid revision was applied), `guardrailViolated` (a live resource
/// started to break a guardrail; and, once, that it complies again).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum NotificationEvent {
    DriftDetected,
    DriftCorrected,
    ApplyFailed,
    RevisionInvalid,
    GuardrailViolated,
}

impl NotificationEvent {
    pub const ALL: [NotificationEvent; 5] = [
        NotificationEvent::DriftDetected,
        NotificationEvent::DriftCorrected,
        NotificationEvent::ApplyFailed,
        NotificationEvent::RevisionInvalid,
        NotificationEvent::GuardrailViolated,
    ];

    /// The name used in driftless.yaml (`driftDetected`).
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationEvent::DriftDetected => "driftDetected",
            NotificationEvent::DriftCorrected => "driftCorrected",
            NotificationEvent::ApplyFailed => "applyFailed",
            NotificationEvent::RevisionInvalid => "revisionInvalid",
            NotificationEvent::GuardrailViolated => "guardrailViolated",
        }
    }
}

impl NotificationsConfig {
    /// The events to send: `events`, or all of them when it is absent.
    pub fn enabled_events(&self) -> Vec<NotificationEvent> {
        match &self.events {
            Some(events) => {
                let mut events = events.clone();
                events.sort();
                events.dedup();
                events
            }
            None => NotificationEvent::ALL.to_vec(),
        }
    }

    fn check(&self, cx: &mut Cx<'_>, targets: &[&str]) {
        let at = At::root().k("notifications");
        if self.sns.is_none() && self.slack.is_none() {
            cx.report(
                &at,
                Problem::new("`notifications` names no destination")
                    .hint("add `sns: {topicArn: ...}`, `slack: {webhookUrlEnv: ...}` or both, or remove `notifications`"),
            );
        }
        if let Some(sns) = &self.sns {
            let sns_at = at.k("sns");
            cx.check(&sns_at.k("topicArn"), topic_arn(&sns.topic_arn));
            if let Some(target) = &sns.target {
                check_target_ref(cx, &sns_at.k("target"), target, targets);
            }
        }
        if let Some(slack) = &self.slack {
            let slack_at = at.k("slack");
            match (&slack.webhook_url_env, &slack.webhook_url_file) {
                (Some(_), Some(_)) => cx.report(
                    &slack_at.key_of("webhookUrlFile"),
                    Problem::new("`slack` has both `webhookUrlEnv` and `webhookUrlFile`")
                        .hint("keep one: the environment variable or the file that holds the webhook URL"),
                ),
                (None, None) => cx.report(
                    &slack_at,
                    Problem::new("`slack` needs `webhookUrlEnv` or `webhookUrlFile`")
                        .hint("name the environment variable (e.g. `webhookUrlEnv: DRIFTLESS_SLACK_WEBHOOK_URL`) or the file that holds the webhook URL"),
                ),
                _ => {}
            }
            if let Some(env) = &slack.webhook_url_env {
                cx.check(&slack_at.k("webhookUrlEnv"), env_var_name(env));
            }
            if let Some(file) = &slack.webhook_url_file {
                let file_at = slack_at.k("webhookUrlFile");
                if looks_like_url(file) {
                    cx.report(&file_at, url_in_git());
                } else if file.trim().is_empty() {
                    cx.error(&file_at, "`webhookUrlFile` is empty");
                }
            }
        }
        if matches!(&self.events, Some(events) if events.is_empty()) {
            cx.report(
                &at.k("events"),
                Problem::new("`events` is empty, so nothing would be sent")
                    .hint("list events (driftDetected, driftCorrected, applyFailed, revisionInvalid), or remove `events` to send all of them"),
            );
        }
    }
}

/// An SNS topic ARN: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`, where the region and the
/// account are required (the notifier publishes there) and the name follows SNS's
/// rules (1 to 256 letters, digits, `-` and `_`; `.fifo` at the end of FIFO topics).
fn topic_arn(value: &str) -> Check {
    const EXAMPLE: &str = "arn:aws:sns:ap-northeast-1:111111111111:ops";
    let with_example = |p: Problem| match p.hint {
        Some(_) => p,
        None => p.hint(format!("a topic ARN looks like `{EXAMPLE}`")),
    };
    rules::arn_of(value, "topicArn", "sns", &[]).map_err(with_example)?;
    let arn = rules::parse_arn(value).map_err(with_example)?;
    if arn.region.is_empty() || arn.account.len() != 12 {
        return Err(Problem::new(format!(
            "topicArn `{value}` needs a region and a 12-digit account"
        ))
        .hint(format!("a topic ARN looks like `{EXAMPLE}`")));
    }
    let name = arn.resource.strip_suffix(".fifo").unwrap_or(arn.resource);
    rules::name("SNS topic name", name, 1, 256, "-_")
}

/// The name of an environment variable, as POSIX shells accept it.
fn env_var_name(value: &str) -> Check {
    if looks_like_url(value) {
        return Err(url_in_git());
    }
    let mut chars = value.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(
            Problem::new(format!("`{value}` is not an environment variable name"))
                .hint("use letters, digits and `_`, not starting with a digit, e.g. `DRIFTLESS_SLACK_WEBHOOK_URL`"),
        )
    }
}

fn looks_like_url(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The webhook URL itself was written into driftless.yaml. The message does not repeat
/// it: diagnostics end up in CI logs.
fn url_in_git() -> Problem {
    Problem::new("this looks like the webhook URL itself, which is a secret and must not be in git")
        .hint("put the URL in an environment variable or a file and name that here; rotate the webhook, since the URL is now in the repository's history")
}

/// A `--target` that names neither a target nor a group of driftless.yaml.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown target `{name}`; the repository's targets are: {known}")]
pub struct UnknownTarget {
    pub name: String,
    /// Every target and group, comma-separated.
    pub known: String,
}

impl DriftlessConfig {
    /// Names of all targets; `default` when the file declares none. Organization
    /// entries count only once enrolled ([`DriftlessConfig::enrolled`]).
    pub fn target_names(&self) -> Vec<&str> {
        if self.targets.is_empty() {
            vec![DEFAULT_TARGET]
        } else {
            self.accounts().map(|t| t.name.as_str()).collect()
        }
    }

    /// The explicit targets, and the enrolled ones after [`DriftlessConfig::enrolled`].
    pub fn accounts(&self) -> impl Iterator<Item = &TargetConfig> {
        self.targets.iter().filter_map(|t| match t {
            TargetEntry::Account(t) => Some(t),
            TargetEntry::Organization(_) => None,
        })
    }

    /// The organization entries, in driftless.yaml's order.
    pub fn organizations(&self) -> impl Iterator<Item = &OrganizationTargets> {
        self.targets.iter().filter_map(|t| match t {
            TargetEntry::Organization(o) => Some(&o.organization),
            TargetEntry::Account(_) => None,
        })
    }

    /// The target named `name`, when driftless.yaml (or an enrollment) defines it.
    pub fn target(&self, name: &str) -> Option<&TargetConfig> {
        self.accounts().find(|t| t.name == name)
    }

    /// The organization entry that generates the name `name` and the account in it,
    /// whether or not that account is in scope now.
    pub fn generated_by(&self, name: &str) -> Option<(&OrganizationTargets, String)> {
        self.organizations()
            .find_map(|o| o.account_of(name).map(|a| (o, a.to_string())))
    }

    /// This configuration with the targets AWS Organizations' answer makes: each
    /// entry's targets after the explicit ones, and each entry's `group`. Errors are
    /// `(index in targets:, problem)`.
    pub fn enrolled(
        &self,
        enrollment: &Enrollment,
    ) -> Result<DriftlessConfig, Vec<(usize, Problem)>> {
        let entries: Vec<&OrganizationTargets> = self.organizations().collect();
        let explicit: Vec<&str> = self.accounts().map(|t| t.name.as_str()).collect();
        let index: Vec<usize> = (0..self.targets.len())
            .filter(|i| matches!(self.targets[*i], TargetEntry::Organization(_)))
            .collect();
        let (made, groups) =
            organization::enroll(&entries, enrollment, &explicit).map_err(|ps| {
                ps.into_iter()
                    .map(|(i, p)| (index[i], p))
                    .collect::<Vec<_>>()
            })?;
        let mut config = self.clone();
        config
            .targets
            .extend(made.into_iter().map(TargetEntry::Account));
        config.groups.extend(groups);
        Ok(config)
    }

    /// `defaults.tags` (empty without any).
    pub fn default_tags(&self) -> BTreeMap<String, String> {
        self.defaults
            .as_ref()
            .map(|d| d.tags.clone())
            .unwrap_or_default()
    }

    /// The targets a document without `metadata.targets` goes to (groups expanded).
    pub fn default_targets(&self) -> Vec<String> {
        match &self.defaults {
            Some(d) if !d.targets.is_empty() => self.expand(&d.targets),
            _ => self.target_names().into_iter().map(String::from).collect(),
        }
    }

    /// Names that may stand for targets: every target and every group.
    pub fn target_refs(&self) -> Vec<&str> {
        let mut refs = self.target_names();
        refs.extend(self.groups.keys().map(String::as_str));
        for group in self.organizations().filter_map(|o| o.group.as_deref()) {
            if !refs.contains(&group) {
                refs.push(group);
            }
        }
        refs
    }

    /// Target and group names → the targets they stand for, in driftless.yaml's
    /// target order, each once. Unknown names are left out (validation reports them);
    /// a cycle is expanded as far as it goes.
    pub fn expand(&self, names: &[String]) -> Vec<String> {
        let mut wanted = std::collections::BTreeSet::new();
        let mut stack: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut seen_groups = std::collections::BTreeSet::new();
        while let Some(name) = stack.pop() {
            match self.groups.get(name) {
                Some(members) if seen_groups.insert(name) => {
                    stack.extend(members.iter().map(String::as_str));
                }
                Some(_) => {}
                None => {
                    wanted.insert(name);
                }
            }
        }
        self.target_names()
            .into_iter()
            .filter(|t| wanted.contains(t))
            .map(String::from)
            .collect()
    }

    /// Whether `name` is a target or a group.
    /// Names an organization entry can generate count too: they stand for a target
    /// while the account is in scope, for nothing while it is not.
    pub fn is_target_ref(&self, name: &str) -> bool {
        self.target_refs().contains(&name) || self.generated_by(name).is_some()
    }

    /// The targets `--target` names (targets or groups; none: every target), in
    /// driftless.yaml's order. Every command selects its targets here.
    pub fn select_targets(&self, requested: &[String]) -> Result<Vec<String>, UnknownTarget> {
        if let Some(unknown) = requested.iter().find(|t| !self.is_target_ref(t)) {
            return Err(UnknownTarget {
                name: unknown.clone(),
                known: self.target_refs().join(", "),
            });
        }
        if requested.is_empty() {
            return Ok(self.target_names().into_iter().map(String::from).collect());
        }
        Ok(self.expand(requested))
    }

    pub fn instance(&self) -> &str {
        self.instance.as_deref().unwrap_or(DEFAULT_INSTANCE)
    }

    pub fn check(&self, cx: &mut Cx<'_>) {
        self.check_targets(cx);
        self.check_groups(cx);
        if let Some(defaults) = &self.defaults {
            for (i, name) in defaults.targets.iter().enumerate() {
                if self.generated_by(name).is_none() {
                    check_target_ref(
                        cx,
                        &At::root().k("defaults").k("targets").i(i),
                        name,
                        &self.target_refs(),
                    );
                }
            }
            let at = At::root().k("defaults").k("tags");
            cx.check_tags(&at, &defaults.tags);
            // They go to every kind, Logs and SSM included: their tag characters apply.
            cx.check_tag_characters(&at, &defaults.tags);
        }
        if let Some(instance) = &self.instance {
            cx.check(
                &At::root().k("instance"),
                rules::name("instance", instance, 1, 63, "-_."),
            );
        }
        if let Some(notifications) = &self.notifications {
            notifications.check(cx, &self.target_names());
        }
        crate::spec::guardrail::check_config(cx, &self.guardrails);
        if let Some(state) = &self.state {
            state.check(cx);
        }
    }
}

impl DriftlessConfig {
    /// Each entry of `targets:`: explicit targets' names, regions and roles; each
    /// organization entry's rules, and its `group` a name no other target or group has.
    fn check_targets(&self, cx: &mut Cx<'_>) {
        let at = At::root().k("targets");
        let mut names: Vec<&str> = Vec::new();
        let mut org_groups: Vec<&str> = Vec::new();
        for (i, entry) in self.targets.iter().enumerate() {
            let t = match entry {
                TargetEntry::Account(t) => t,
                TargetEntry::Organization(o) => {
                    let oi = at.i(i).k("organization");
                    o.organization.check(cx, &oi);
                    if let Some(group) = o.organization.group.as_deref() {
                        let taken = self.groups.contains_key(group)
                            || org_groups.contains(&group)
                            || self.target(group).is_some();
                        if taken {
                            cx.report(
                                &oi.k("group"),
                                Problem::new(format!(
                                    "`{group}` already names a target or a group"
                                ))
                                .hint("give this organization's group a name of its own"),
                            );
                        }
                        org_groups.push(group);
                    }
                    continue;
                }
            };
            let ti = at.i(i);
            cx.check(
                &ti.k("name"),
                rules::name("target name", &t.name, 1, 63, "-_"),
            );
            if names.contains(&t.name.as_str()) {
                cx.error(
                    &ti.k("name"),
                    format!("target `{}` is defined twice", t.name),
                );
            }
            names.push(&t.name);
            cx.check(&ti.k("region"), rules::region(&t.region));
            if let Some(role) = &t.role_arn {
                cx.check(&ti.k("roleArn"), rules::role_arn(role, "roleArn"));
            }
            if let Some(account) = &t.account_id {
                cx.check(
                    &ti.k("accountId"),
                    account_id(account, t.role_arn.as_deref()),
                );
            }
            if t.external_id.is_some() && t.role_arn.is_none() {
                cx.error(
                    &ti.k("externalId"),
                    "externalId is only used when assuming `roleArn`",
                );
            }
        }
    }

    /// Group names are names, never a target's; members are targets or groups; no
    /// group contains itself, directly or through others.
    fn check_groups(&self, cx: &mut Cx<'_>) {
        let at = At::root().k("groups");
        let targets = self.target_names();
        let refs = self.target_refs();
        for (group, members) in &self.groups {
            if targets.contains(&group.as_str()) && !self.targets.is_empty() {
                cx.report(
                    &at.key_of(group),
                    Problem::new(format!("group `{group}` has the name of a target"))
                        .hint("rename the group or the target: a name must say which one it is"),
                );
            } else {
                cx.check(
                    &at.key_of(group),
                    rules::name("group name", group, 1, 63, "-_"),
                );
            }
            if members.is_empty() {
                cx.report(
                    &at.k(group),
                    Problem::new(format!("group `{group}` is empty"))
                        .hint("list targets (or groups) in it, or remove it"),
                );
            }
            for (i, member) in members.iter().enumerate() {
                let member_at = at.k(group).i(i);
                if self.generated_by(member).is_none() {
                    check_target_ref(cx, &member_at, member, &refs);
                }
                if let Some(path) = self.cycle_through(group, member) {
                    cx.report(
                        &member_at,
                        Problem::new(format!(
                            "group `{group}` contains itself: {group} → {}",
                            path.join(" → ")
                        ))
                        .hint("remove one of these memberships; groups may name groups, but not in a circle"),
                    );
                }
            }
        }
    }

    /// The path `member → … → group` when `member` leads back to `group`.
    fn cycle_through<'s>(&'s self, group: &str, member: &'s str) -> Option<Vec<&'s str>> {
        let mut stack: Vec<Vec<&str>> = vec![vec![member]];
        let mut visited = std::collections::BTreeSet::new();
        while let Some(path) = stack.pop() {
            let last = *path.last()?;
            if last == group {
                return Some(path);
            }
            if !visited.insert(last) {
                continue;
            }
            for next in self.groups.get(last).into_iter().flatten() {
                let mut longer = path.clone();
                longer.push(next);
                stack.push(longer);
            }
        }
        None
    }
}

impl TargetConfig {
    /// The account, when driftless.yaml says it: `accountId`, else `roleArn`'s.
    pub fn known_account(&self) -> Option<String> {
        self.account_id.clone().or_else(|| {
            let arn = rules::parse_arn(self.role_arn.as_deref()?).ok()?;
            (!arn.account.is_empty()).then(|| arn.account.to_string())
        })
    }
}

/// A 12-digit account id, the same as `roleArn`'s account when both are given.
fn account_id(value: &str, role_arn: Option<&str>) -> Check {
    if value.len() != 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::new(format!(
            "accountId `{value}` is not a 12-digit AWS account id"
        ))
        .hint("write the account as a quoted string of 12 digits, e.g. \"111111111111\""));
    }
    let role_account = role_arn
        .and_then(|r| rules::parse_arn(r).ok())
        .map(|arn| arn.account.to_string());
    match role_account {
        Some(account) if account != value => Err(Problem::new(format!(
            "accountId `{value}` is not the account of roleArn (`{account}`)"
        ))
        .hint("the role is assumed in its own account: make them the same, or drop accountId")),
        _ => Ok(()),
    }
}

/// Reports a reference to a target that driftless.yaml does not define.
pub fn check_target_ref(cx: &mut Cx<'_>, at: &At<'_>, name: &str, known: &[&str]) {
    if known.contains(&name) {
        return;
    }
    let p = Problem::new(format!("unknown target `{name}`"));
    let p = match did_you_mean(name, known.iter().copied()) {
        Some(s) => p.hint(format!("did you mean `{s}`?")),
        None if known == [DEFAULT_TARGET] => {
            p.hint("define targets in driftless.yaml at the repository root")
        }
        None => p.hint(format!("targets in driftless.yaml: {}", known.join(", "))),
    };
    cx.report(at, p);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_flags_take_groups_and_refuse_unknown_names() {
        let config: DriftlessConfig = serde_json::from_value(serde_json::json!({
            "targets": [{"name": "tokyo", "region": "ap-northeast-1"},
                        {"name": "osaka", "region": "ap-northeast-3"},
                        {"name": "ohio", "region": "us-east-2"}],
            "groups": {"apac": ["osaka", "tokyo"]}
        }))
        .unwrap();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            config.select_targets(&[]).unwrap(),
            ["tokyo", "osaka", "ohio"]
        );
        assert_eq!(
            config.select_targets(&names(&["apac"])).unwrap(),
            ["tokyo", "osaka"]
        );
        assert_eq!(
            config.select_targets(&names(&["ohio", "apac"])).unwrap(),
            ["tokyo", "osaka", "ohio"]
        );
        let err = config.select_targets(&names(&["emea"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown target `emea`; the repository's targets are: tokyo, osaka, ohio, apac"
        );
    }

    #[test]
    fn topic_arns_need_sns_region_account_and_a_topic_name() {
        for ok in [
            "arn:aws:sns:ap-northeast-1:111111111111:ops",
            "arn:aws-cn:sns:cn-north-1:111111111111:ops_alerts-1",
            "arn:aws-us-gov:sns:us-gov-west-1:111111111111:ops.fifo",
        ] {
            assert_eq!(topic_arn(ok), Ok(()), "{ok}");
        }
        for (bad, says) in [
            ("ops", "must be an ARN like `arn:aws:sns:...`"),
            (
                "arn:aws:sqs:ap-northeast-1:111111111111:ops",
                "must be an ARN",
            ),
            ("arn:aws:sns::111111111111:ops", "needs a region"),
            ("arn:aws:sns:ap-northeast-1::ops", "12-digit account"),
            (
                "arn:aws:sns:ap-northeast-9:111111111111:ops",
                "not an AWS region",
            ),
            (
                "arn:aws:sns:ap-northeast-1:111111111111:ops.alerts",
                "contains `.`",
            ),
        ] {
            let problem = topic_arn(bad).unwrap_err();
            assert!(problem.message.contains(says), "{bad}: {problem:?}");
            assert!(problem.hint.is_some(), "{bad}: {problem:?}");
        }
    }

    #[test]
    fn env_var_names_are_shell_names_and_urls_are_not_echoed() {
        assert_eq!(env_var_name("DRIFTLESS_SLACK_WEBHOOK_URL"), Ok(()));
        assert_eq!(env_var_name("_x1"), Ok(()));
        for bad in ["", "1X", "SLACK-URL", "A B"] {
            assert!(env_var_name(bad).is_err(), "{bad:?}");
        }
        let problem = env_var_name("https://hooks.example.com/services/s3cr3t").unwrap_err();
        assert!(!problem.message.contains("s3cr3t"));
        assert!(!problem.hint.unwrap().contains("s3cr3t"));
    }

    #[test]
    fn groups_expand_to_targets_in_file_order_through_groups_of_groups() {
        let target = |name: &str| TargetConfig {
            name: name.into(),
            region: "ap-northeast-1".into(),
            role_arn: None,
            external_id: None,
            account_id: None,
        };
        let config = DriftlessConfig {
            targets: ["a", "b", "c"]
                .map(|n| TargetEntry::Account(target(n)))
                .into(),
            groups: [
                ("west".to_string(), vec!["c".to_string(), "b".to_string()]),
                ("all".to_string(), vec!["west".to_string(), "a".to_string()]),
                (
                    "loop".to_string(),
                    vec!["loop".to_string(), "b".to_string()],
                ),
            ]
            .into(),
            ..DriftlessConfig::default()
        };
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(config.expand(&names(&["west"])), ["b", "c"]);
        assert_eq!(config.expand(&names(&["all", "c"])), ["a", "b", "c"]);
        assert_eq!(config.expand(&names(&["loop"])), ["b"]);
        assert!(config.is_target_ref("west") && config.is_target_ref("a"));
        assert!(!config.is_target_ref("east"));
        assert_eq!(config.cycle_through("loop", "loop"), Some(vec!["loop"]));
        assert_eq!(config.cycle_through("all", "west"), None);
    }

    #[test]
    fn every_event_is_enabled_unless_listed() {
        let mut n = NotificationsConfig::default();
        assert_eq!(n.enabled_events(), NotificationEvent::ALL);
        n.events = Some(vec![
            NotificationEvent::ApplyFailed,
            NotificationEvent::DriftDetected,
            NotificationEvent::ApplyFailed,
        ]);
        assert_eq!(
            n.enabled_events(),
            [
                NotificationEvent::DriftDetected,
                NotificationEvent::ApplyFailed
            ]
        );
        for e in NotificationEvent::ALL {
            assert_eq!(crate::spec::wire_name(&e), e.as_str());
        }
    }
}
