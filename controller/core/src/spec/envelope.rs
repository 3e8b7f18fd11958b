//! The envelope every document shares: `apiVersion`, `kind`, `metadata`, `spec`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The only apiVersion this build understands.
pub const API_VERSION: &str = "driftless.dev/v1";

/// Per-document settings that are not part of the AWS resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// The AWS name of the resource (AlarmName, log group name, baseline name, ...).
    pub name: String,
    /// Targets of driftless.yaml that get this resource; default: `defaults.targets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
    /// Take over an existing resource of this name that driftless does not own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopt: bool,
    /// `correct` puts drift back; `report` only detects and shows it.
    #[serde(default, skip_serializing_if = "DriftPolicy::is_default")]
    pub drift_policy: DriftPolicy,
}

/// What to do when live state drifts from git.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DriftPolicy {
    #[default]
    Correct,
    Report,
}

impl DriftPolicy {
    fn is_default(&self) -> bool {
        *self == DriftPolicy::Correct
    }
}

/// A whole document of one kind, as written by the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Document<S> {
    /// Always `driftless.dev/v1`.
    pub api_version: String,
    /// The kind of resource this document describes.
    pub kind: String,
    pub metadata: Metadata,
    pub spec: S,
}
