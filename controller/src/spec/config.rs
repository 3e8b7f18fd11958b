//! `driftless.yaml`: the targets (account and region) a repository is applied to, and
//! repository-wide defaults.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::diagnostic::did_you_mean;
use super::rules::{self, Problem};

/// The name of the one target used when a repository has no driftless.yaml.
pub const DEFAULT_TARGET: &str = "default";
/// Deletes allowed per target per run unless driftless.yaml or a flag says otherwise.
pub const DEFAULT_MAX_DELETES: u32 = 10;
/// The default value of the ownership tag.
pub const DEFAULT_INSTANCE: &str = "driftless";

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DriftlessConfig {
    #[serde(default)]
    pub targets: Vec<TargetConfig>,
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
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// Targets a document goes to when its metadata names none; default: all.
    #[serde(default)]
    pub targets: Vec<String>,
}

impl DriftlessConfig {
    /// Names of all targets; `default` when the file declares none.
    pub fn target_names(&self) -> Vec<&str> {
        if self.targets.is_empty() {
            vec![DEFAULT_TARGET]
        } else {
            self.targets.iter().map(|t| t.name.as_str()).collect()
        }
    }

    /// The targets a document without `metadata.targets` goes to.
    pub fn default_targets(&self) -> Vec<&str> {
        match &self.defaults {
            Some(d) if !d.targets.is_empty() => d.targets.iter().map(String::as_str).collect(),
            _ => self.target_names(),
        }
    }

    pub fn instance(&self) -> &str {
        self.instance.as_deref().unwrap_or(DEFAULT_INSTANCE)
    }

    pub fn check(&self, cx: &mut Cx<'_>) {
        let at = At::root().k("targets");
        let mut names: Vec<&str> = Vec::new();
        for (i, t) in self.targets.iter().enumerate() {
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
            if t.external_id.is_some() && t.role_arn.is_none() {
                cx.error(
                    &ti.k("externalId"),
                    "externalId is only used when assuming `roleArn`",
                );
            }
        }
        if let Some(defaults) = &self.defaults {
            for (i, name) in defaults.targets.iter().enumerate() {
                check_target_ref(
                    cx,
                    &At::root().k("defaults").k("targets").i(i),
                    name,
                    &self.target_names(),
                );
            }
        }
        if let Some(instance) = &self.instance {
            cx.check(
                &At::root().k("instance"),
                rules::name("instance", instance, 1, 63, "-_."),
            );
        }
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
