//! Live AWS state as the crate's own types: what `aws/` readers return and what `plan/`
//! compares against the desired state.
//!
//! Every live resource is expressed in the *spec* type of its kind (a live alarm is a
//! `MetricAlarmSpec`), so normalisation and diff work on one shape, and apply can turn a
//! spec back into API calls with the same code that creates it. What AWS knows beyond
//! the spec (ids, ARNs, recovery points) travels beside it in [`Live`]. Pure data: no
//! I/O here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::spec::log_group::Retention;
use crate::spec::patch_baseline::OperatingSystem;
use crate::spec::{
    AssociationSpec, BackupPlanSpec, BackupVaultSpec, CompositeAlarmSpec, ConfigRuleSpec,
    ConfigurationAggregatorSpec, ConformancePackSpec, LogGroupSpec, MaintenanceWindowSpec,
    MetricAlarmSpec, MetricFilterSpec, PatchBaselineSpec,
};

/// One live resource of spec type `S`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Live<S> {
    /// The AWS name (AlarmName, log group name, ...).
    pub name: String,
    /// The resource as driftless would write it. Its `tags` hold every tag AWS
    /// returned, the ownership tag included; fields AWS does not return stay unset.
    pub spec: S,
    /// The resource's ARN, when AWS has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The AWS id where names are not ids (baseline, window, plan ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Ids of sub-resources by their path below the resource, e.g.
    /// `targets/prod-web` → WindowTargetId, `tasks/patch` → WindowTaskId,
    /// `selections/daily` → SelectionId.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sub_ids: BTreeMap<String, String>,
    /// False when the tags were not read (unowned resources are not tag-listed one by
    /// one; the tagging API only lists owned ones). Ownership is then "not owned".
    #[serde(default = "yes")]
    pub tags_known: bool,
    /// Settings AWS returned that the spec format cannot hold (e.g. `task patch:
    /// timeoutSeconds 600`), so `driftless import` can say what it did not write.
    /// Plan ignores them: driftless never writes those settings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unrepresented: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A log group as seen by a `LogRetentionPolicy`: just what the policy may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroupRetention {
    pub name: String,
    /// `None`: never expire.
    pub retention: Option<Retention>,
    /// AWS fixes its retention (a DELIVERY group): a policy never plans a change.
    #[serde(default)]
    pub fixed: bool,
}

/// A backup vault with what deleting it would lose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveVault {
    pub vault: Live<BackupVaultSpec>,
    pub recovery_points: u64,
}

/// A metric filter as read (`filter.name` is the filter name, its log group is in the
/// spec), with the settings PutMetricFilter would reset that the format has no field
/// for: apply sends them back unchanged, so an update never erases them. Metric
/// filters have no tags (`tags_known` is false); the plan decides ownership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveMetricFilter {
    pub filter: Live<MetricFilterSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_selection_criteria: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emit_system_field_dimensions: Vec<String>,
}

/// Everything driftless reads from one target (account + region).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveTarget {
    /// Alarms named by the desired state or owned by this instance.
    pub alarms: Vec<Live<MetricAlarmSpec>>,
    /// Log groups named by the desired state or owned by this instance.
    pub log_groups: Vec<Live<LogGroupSpec>>,
    /// Stored bytes of the log groups in `log_groups` (apply refuses to delete a group
    /// holding data without --allow-data-loss).
    #[serde(default)]
    pub log_group_stored_bytes: BTreeMap<String, u64>,
    /// Every log group under the prefixes of the LogRetentionPolicy specs.
    pub retention_candidates: Vec<LogGroupRetention>,
    /// Baselines named by the desired state or owned, with `patchGroups` filled from
    /// the region's patch-group registrations and `defaultForOperatingSystem` from the
    /// default baseline of their OS.
    pub patch_baselines: Vec<Live<PatchBaselineSpec>>,
    /// Patch group → (OS, baseline id) for every registration in the region, so a
    /// registration to a baseline driftless does not own is seen as a conflict.
    pub patch_group_registrations: BTreeMap<String, Vec<(OperatingSystem, String)>>,
    /// Maintenance windows named by the desired state or owned (AWS allows several
    /// windows of one name; all are listed).
    pub maintenance_windows: Vec<Live<MaintenanceWindowSpec>>,
    pub backup_vaults: Vec<LiveVault>,
    pub backup_plans: Vec<Live<BackupPlanSpec>>,
    /// Metric filters on the log groups desired or recorded filters name and on the
    /// owned groups (read only when the target has desired or recorded filters).
    #[serde(default)]
    pub metric_filters: Vec<LiveMetricFilter>,
    /// Composite alarms named by the desired state or owned (read by the same
    /// DescribeAlarms listing as `alarms`).
    #[serde(default)]
    pub composite_alarms: Vec<Live<CompositeAlarmSpec>>,
    /// AWS Config aggregators named by the desired state or recorded as applied (every
    /// aggregator of the region is listed, with its tags, when either is non-empty).
    #[serde(default)]
    pub config_aggregators: Vec<Live<ConfigurationAggregatorSpec>>,
    /// AWS Config rules named by the desired state or owned, each with its
    /// remediation configuration in `spec.remediation`.
    #[serde(default)]
    pub config_rules: Vec<Live<ConfigRuleSpec>>,
    /// State Manager associations named by the desired state or owned (AWS allows
    /// several of one name; all are listed).
    #[serde(default)]
    pub associations: Vec<Live<AssociationSpec>>,
    /// AWS Config conformance packs named by the desired state or recorded as applied,
    /// each with a template made of the rules it deployed (AWS returns no template).
    #[serde(default)]
    pub conformance_packs: Vec<Live<ConformancePackSpec>>,
    /// The Region's customer managed configuration recorders (AWS allows one), each
    /// with the Region's delivery channel in `spec.deliveryChannel` and its status in
    /// `spec.recording`; read when a recorder is desired or recorded as applied.
    /// Recorders carry no ownership tag (`tags_known` false): the plan decides.
    #[serde(default)]
    pub config_recorders: Vec<Live<crate::spec::ConfigurationRecorderSpec>>,
}

/// Spec types that carry tags.
pub trait Tagged {
    fn tags(&self) -> &BTreeMap<String, String>;
}

macro_rules! tagged {
    ($($t:ty),*) => {$(
        impl Tagged for $t {
            fn tags(&self) -> &BTreeMap<String, String> {
                &self.tags
            }
        }
    )*};
}

tagged!(
    MetricAlarmSpec,
    LogGroupSpec,
    PatchBaselineSpec,
    MaintenanceWindowSpec,
    BackupVaultSpec,
    BackupPlanSpec,
    CompositeAlarmSpec,
    ConfigurationAggregatorSpec,
    ConfigRuleSpec,
    AssociationSpec,
    ConformancePackSpec
);

impl<S: Tagged> Live<S> {
    /// Whether the ownership tag says `instance` manages this resource.
    pub fn owned_by(&self, instance: &str) -> bool {
        self.tags_known
            && self
                .spec
                .tags()
                .get(crate::spec::context::OWNERSHIP_TAG)
                .map(String::as_str)
                == Some(instance)
    }
}
