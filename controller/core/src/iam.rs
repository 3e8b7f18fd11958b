//! `driftless iam-policy`: the least-privilege IAM policy for the kinds a repository
//! uses. Pure: a [`DesiredState`] in, a policy document (JSON) out.
//!
//! [`CALLS`] lists every AWS operation the `aws/` modules can call, with the IAM
//! action it needs, its access level, the resource type it is authorised on and the
//! kinds that make driftless call it (a test scans `aws/` and fails when a call is
//! missing here, or listed here and never made). Actions, resource types and ARN
//! formats are those of the Service Authorization Reference (SAR):
//! <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html>,
//! `…/list_amazoncloudwatchlogs.html`, `…/list_awssystemsmanager.html`,
//! `…/list_awsbackup.html`, `…/list_awsconfig.html`, `…/list_amazonresourcegrouptaggingapi.html`,
//! `…/list_amazonsns.html`, `…/list_awssecuritytokenservice.html`,
//! `…/list_awscloudtrail.html` (LookupEvents: no resource type, `*`; plan and apply
//! look drifts up, every kind). GetMetricData has no resource type either (`*`):
//! `plan --backtest` reads the metrics of metric alarms.
//!
//! Beyond the table, the policy grants what the services need on the caller's behalf,
//! each only when a spec asks for it:
//! - `iam:PassRole` on exactly the backup selection roles (`iam:PassedToService`
//!   `backup.amazonaws.com`; SAR lists it as a dependent action of
//!   CreateBackupSelection) and the maintenance-window task service roles
//!   (`ssm.amazonaws.com`; Systems Manager user guide, "Controlling access to
//!   maintenance windows") and the configuration recorder's role
//!   (`config.amazonaws.com`; the AWS Config developer guide's "Permissions for the
//!   IAM role assigned to AWS Config": PutConfigurationRecorder passes it);
//! - `iam:CreateServiceLinkedRole` for SSM's role when a task names no service role,
//!   and for CloudWatch Events' role when an alarm has an EC2 action (PutMetricAlarm
//!   API reference);
//! - for creating vaults, the key permissions and `backup-storage:MountCapsule` of the
//!   AWS Backup developer guide ("Backup vault creation and deletion", Required
//!   permissions), on the vaults' keys (or, for AWS's managed key, any key used
//!   through AWS Backup: `kms:ViaService`);
//! - `sns:Publish` on the notifications topic;
//! - for the base identity, `sts:AssumeRole` on the targets' roles, in statements
//!   whose `Sid` starts with `BaseIdentity`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::spec::{DesiredState, Kind, ResourceSpec};

/// What an operation does, as the SAR classifies it (List and Read are both reads;
/// Write and Tagging both writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    Read,
    Write,
}

/// The resource type an action is authorised on (SAR "Resource types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Res {
    /// No resource-level permissions: `"*"`.
    Any,
    Alarm,
    LogGroup,
    PatchBaseline,
    /// Maintenance windows and their targets and tasks.
    Window,
    BackupVault,
    BackupPlan,
    /// A vault's recovery points (deleted only with `--allow-data-loss`).
    RecoveryPoint,
    /// What SSM tags for driftless: patch baselines and maintenance windows.
    SsmTagged,
    /// What AWS Backup tags for driftless: vaults and plans.
    BackupTagged,
    /// An AWS Config aggregator (SAR `ConfigurationAggregator`; its id is AWS's).
    ConfigAggregator,
    /// AWS Config rules (ARNs by rule id: any rule of the region and account).
    ConfigRule,
    /// AWS Config conformance packs (SAR `ConformancePack`: ARNs by name and AWS's id).
    ConformancePack,
    /// AWS Config aggregators, rules and conformance packs: the resources driftless
    /// tags in Config.
    ConfigTagged,
    /// A State Manager association and what SAR authorises its calls on beside it:
    /// the document it runs (the account's, or AWS's, whose ARNs have no account) and
    /// the instances and managed instances it targets.
    Association,
}

impl Res {
    /// The ARN patterns of this type in one region and account.
    fn arns(self, partition: &str, region: &str, account: &str) -> Vec<String> {
        let arn = |service: &str, rest: &str| {
            format!("arn:{partition}:{service}:{region}:{account}:{rest}")
        };
        match self {
            Res::Any => vec!["*".into()],
            Res::Alarm => vec![arn("cloudwatch", "alarm:*")],
            Res::LogGroup => vec![arn("logs", "log-group:*")],
            Res::PatchBaseline => vec![arn("ssm", "patchbaseline/*")],
            Res::Window => ["maintenancewindow/*", "windowtarget/*", "windowtask/*"]
                .iter()
                .map(|r| arn("ssm", r))
                .collect(),
            Res::BackupVault => vec![arn("backup", "backup-vault:*")],
            Res::BackupPlan => vec![arn("backup", "backup-plan:*")],
            Res::RecoveryPoint => vec![arn("backup", "recovery-point:*")],
            Res::SsmTagged => vec![
                arn("ssm", "patchbaseline/*"),
                arn("ssm", "maintenancewindow/*"),
                arn("ssm", "association/*"),
            ],
            Res::BackupTagged => vec![
                arn("backup", "backup-vault:*"),
                arn("backup", "backup-plan:*"),
            ],
            Res::ConfigAggregator => vec![arn("config", "config-aggregator/*")],
            Res::ConfigRule => vec![arn("config", "config-rule/*")],
            Res::ConformancePack => vec![arn("config", "conformance-pack/*")],
            Res::ConfigTagged => vec![
                arn("config", "config-aggregator/*"),
                arn("config", "config-rule/*"),
                arn("config", "conformance-pack/*"),
            ],
            Res::Association => vec![
                arn("ssm", "association/*"),
                arn("ssm", "document/*"),
                format!("arn:{partition}:ssm:{region}::document/*"),
                arn("ec2", "instance/*"),
                arn("ssm", "managed-instance/*"),
            ],
        }
    }
}

/// One AWS operation driftless can call.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// The service as the emulator counts it (botocore's name).
    pub service: &'static str,
    /// The API operation, e.g. `PutMetricAlarm`.
    pub operation: &'static str,
    pub access: Access,
    pub resource: Res,
    /// The kinds whose specs make driftless call it (empty: every kind).
    pub kinds: &'static [Kind],
}

impl Call {
    /// The IAM action (`cloudwatch:PutMetricAlarm`).
    pub fn action(&self) -> String {
        format!("{}:{}", iam_prefix(self.service), self.operation)
    }
}

/// The IAM service prefix of a botocore service name.
pub fn iam_prefix(service: &str) -> &str {
    match service {
        "resourcegroupstaggingapi" => "tag",
        other => other,
    }
}

/// Calls both alarm types make (one name space, one listing, one delete call).
const ALARM: &[Kind] = &[Kind::MetricAlarm, Kind::CompositeAlarm];
const METRIC_ALARM: &[Kind] = &[Kind::MetricAlarm];
const COMPOSITE_ALARM: &[Kind] = &[Kind::CompositeAlarm];
const LOGS: &[Kind] = &[Kind::LogGroup, Kind::LogRetentionPolicy];
const LOG_GROUP: &[Kind] = &[Kind::LogGroup];
const METRIC_FILTER: &[Kind] = &[Kind::MetricFilter];
const BASELINE: &[Kind] = &[Kind::PatchBaseline];
const WINDOW: &[Kind] = &[Kind::MaintenanceWindow];
const SSM_TAGGED: &[Kind] = &[
    Kind::PatchBaseline,
    Kind::MaintenanceWindow,
    Kind::Association,
];
const ASSOCIATION: &[Kind] = &[Kind::Association];
const VAULT: &[Kind] = &[Kind::BackupVault];
const PLAN: &[Kind] = &[Kind::BackupPlan];
const BACKUP_TAGGED: &[Kind] = &[Kind::BackupVault, Kind::BackupPlan];
const CONFIG_AGGREGATOR: &[Kind] = &[Kind::ConfigurationAggregator];
const CONFIG_RULE: &[Kind] = &[Kind::ConfigRule];
const CONFIG_RECORDER: &[Kind] = &[Kind::ConfigurationRecorder];
/// The AWS Config resources driftless tags (Config holds their tags itself).
const CONFIG_TAGGED: &[Kind] = &[
    Kind::ConfigurationAggregator,
    Kind::ConfigRule,
    Kind::ConformancePack,
];
const PACK: &[Kind] = &[Kind::ConformancePack];
/// Config rules are read for rules and for the rules packs deploy.
const RULES_READ: &[Kind] = &[Kind::ConfigRule, Kind::ConformancePack];

macro_rules! calls {
    ($($service:literal $op:literal $access:ident $res:ident $kinds:expr;)*) => {
        /// Every operation the `aws/` modules call (a flat table).
        pub const CALLS: &[Call] = &[$(Call {
            service: $service,
            operation: $op,
            access: Access::$access,
            resource: Res::$res,
            kinds: $kinds,
        }),*];
    };
}

calls! {
    "resourcegroupstaggingapi" "GetResources" Read Any &[];
    "cloudwatch" "DescribeAlarms" Read Alarm ALARM;
    "cloudwatch" "ListTagsForResource" Read Alarm ALARM;
    "cloudwatch" "GetMetricData" Read Any METRIC_ALARM;
    "cloudwatch" "PutMetricAlarm" Write Alarm METRIC_ALARM;
    "cloudwatch" "PutCompositeAlarm" Write Alarm COMPOSITE_ALARM;
    "cloudwatch" "DeleteAlarms" Write Alarm ALARM;
    "cloudwatch" "TagResource" Write Alarm ALARM;
    "cloudwatch" "UntagResource" Write Alarm ALARM;
    "logs" "DescribeLogGroups" Read Any LOGS;
    "logs" "ListTagsForResource" Read LogGroup LOG_GROUP;
    "logs" "CreateLogGroup" Write LogGroup LOG_GROUP;
    "logs" "DeleteLogGroup" Write LogGroup LOG_GROUP;
    "logs" "PutRetentionPolicy" Write LogGroup LOGS;
    "logs" "DeleteRetentionPolicy" Write LogGroup LOG_GROUP;
    "logs" "AssociateKmsKey" Write LogGroup LOG_GROUP;
    "logs" "DisassociateKmsKey" Write LogGroup LOG_GROUP;
    "logs" "TagResource" Write LogGroup LOG_GROUP;
    "logs" "UntagResource" Write LogGroup LOG_GROUP;
    "logs" "DescribeMetricFilters" Read LogGroup METRIC_FILTER;
    "logs" "PutMetricFilter" Write LogGroup METRIC_FILTER;
    "logs" "DeleteMetricFilter" Write LogGroup METRIC_FILTER;
    "ssm" "ListTagsForResource" Read SsmTagged SSM_TAGGED;
    "ssm" "AddTagsToResource" Write SsmTagged SSM_TAGGED;
    "ssm" "RemoveTagsFromResource" Write SsmTagged SSM_TAGGED;
    "ssm" "DescribePatchBaselines" Read Any BASELINE;
    "ssm" "DescribePatchGroups" Read Any BASELINE;
    "ssm" "GetPatchBaseline" Read PatchBaseline BASELINE;
    "ssm" "CreatePatchBaseline" Write Any BASELINE;
    "ssm" "UpdatePatchBaseline" Write PatchBaseline BASELINE;
    "ssm" "DeletePatchBaseline" Write PatchBaseline BASELINE;
    "ssm" "RegisterPatchBaselineForPatchGroup" Write PatchBaseline BASELINE;
    "ssm" "DeregisterPatchBaselineForPatchGroup" Write PatchBaseline BASELINE;
    "ssm" "RegisterDefaultPatchBaseline" Write PatchBaseline BASELINE;
    "ssm" "DescribeMaintenanceWindows" Read Any WINDOW;
    "ssm" "GetMaintenanceWindow" Read Window WINDOW;
    "ssm" "DescribeMaintenanceWindowTargets" Read Window WINDOW;
    "ssm" "DescribeMaintenanceWindowTasks" Read Window WINDOW;
    "ssm" "GetMaintenanceWindowTask" Read Window WINDOW;
    "ssm" "CreateMaintenanceWindow" Write Any WINDOW;
    "ssm" "UpdateMaintenanceWindow" Write Window WINDOW;
    "ssm" "DeleteMaintenanceWindow" Write Window WINDOW;
    "ssm" "RegisterTargetWithMaintenanceWindow" Write Window WINDOW;
    "ssm" "UpdateMaintenanceWindowTarget" Write Window WINDOW;
    "ssm" "DeregisterTargetFromMaintenanceWindow" Write Window WINDOW;
    "ssm" "RegisterTaskWithMaintenanceWindow" Write Window WINDOW;
    "ssm" "UpdateMaintenanceWindowTask" Write Window WINDOW;
    "ssm" "DeregisterTaskFromMaintenanceWindow" Write Window WINDOW;
    "ssm" "ListAssociations" Read Any ASSOCIATION;
    "ssm" "DescribeAssociation" Read Association ASSOCIATION;
    "ssm" "CreateAssociation" Write Association ASSOCIATION;
    "ssm" "UpdateAssociation" Write Association ASSOCIATION;
    "ssm" "DeleteAssociation" Write Association ASSOCIATION;
    "backup" "ListTags" Read BackupTagged BACKUP_TAGGED;
    "backup" "TagResource" Write BackupTagged BACKUP_TAGGED;
    "backup" "UntagResource" Write BackupTagged BACKUP_TAGGED;
    "backup" "ListBackupVaults" Read Any VAULT;
    "backup" "DescribeBackupVault" Read BackupVault VAULT;
    "backup" "CreateBackupVault" Write BackupVault VAULT;
    "backup" "DeleteBackupVault" Write BackupVault VAULT;
    "backup" "GetBackupVaultAccessPolicy" Read BackupVault VAULT;
    "backup" "PutBackupVaultAccessPolicy" Write BackupVault VAULT;
    "backup" "DeleteBackupVaultAccessPolicy" Write BackupVault VAULT;
    "backup" "GetBackupVaultNotifications" Read BackupVault VAULT;
    "backup" "PutBackupVaultNotifications" Write BackupVault VAULT;
    "backup" "DeleteBackupVaultNotifications" Write BackupVault VAULT;
    "backup" "PutBackupVaultLockConfiguration" Write BackupVault VAULT;
    "backup" "DeleteBackupVaultLockConfiguration" Write BackupVault VAULT;
    "backup" "ListRecoveryPointsByBackupVault" Read BackupVault VAULT;
    "backup" "DeleteRecoveryPoint" Write RecoveryPoint VAULT;
    "backup" "ListBackupPlans" Read Any PLAN;
    "backup" "GetBackupPlan" Read BackupPlan PLAN;
    "backup" "ListBackupSelections" Read BackupPlan PLAN;
    "backup" "GetBackupSelection" Read BackupPlan PLAN;
    "backup" "CreateBackupPlan" Write BackupPlan PLAN;
    "backup" "UpdateBackupPlan" Write BackupPlan PLAN;
    "backup" "DeleteBackupPlan" Write BackupPlan PLAN;
    "backup" "CreateBackupSelection" Write BackupPlan PLAN;
    "backup" "DeleteBackupSelection" Write BackupPlan PLAN;
    "config" "DescribeConfigurationAggregators" Read Any CONFIG_AGGREGATOR;
    "config" "PutConfigurationAggregator" Write ConfigAggregator CONFIG_AGGREGATOR;
    "config" "DeleteConfigurationAggregator" Write ConfigAggregator CONFIG_AGGREGATOR;
    "config" "DescribeConfigRules" Read Any RULES_READ;
    "config" "DescribeRemediationConfigurations" Read Any CONFIG_RULE;
    "config" "PutConfigRule" Write ConfigRule CONFIG_RULE;
    "config" "DeleteConfigRule" Write ConfigRule CONFIG_RULE;
    "config" "PutRemediationConfigurations" Write Any CONFIG_RULE;
    "config" "DeleteRemediationConfiguration" Write Any CONFIG_RULE;
    "config" "GetComplianceDetailsByConfigRule" Read Any CONFIG_RULE;
    "config" "DescribeConformancePacks" Read Any PACK;
    "config" "DescribeConformancePackCompliance" Read ConformancePack PACK;
    "config" "PutConformancePack" Write ConformancePack PACK;
    "config" "DeleteConformancePack" Write ConformancePack PACK;
    "config" "ListTagsForResource" Read ConfigTagged CONFIG_TAGGED;
    "config" "TagResource" Write ConfigTagged CONFIG_TAGGED;
    "config" "UntagResource" Write ConfigTagged CONFIG_TAGGED;
    "config" "DescribeConfigurationRecorders" Read Any CONFIG_RECORDER;
    "config" "DescribeConfigurationRecorderStatus" Read Any CONFIG_RECORDER;
    "config" "DescribeDeliveryChannels" Read Any CONFIG_RECORDER;
    "config" "PutConfigurationRecorder" Write Any CONFIG_RECORDER;
    "config" "PutDeliveryChannel" Write Any CONFIG_RECORDER;
    "config" "StartConfigurationRecorder" Write Any CONFIG_RECORDER;
    "config" "StopConfigurationRecorder" Write Any CONFIG_RECORDER;
    "config" "DeleteDeliveryChannel" Write Any CONFIG_RECORDER;
    "config" "DeleteConfigurationRecorder" Write Any CONFIG_RECORDER;
    "sns" "Publish" Write Any &[];
    "cloudtrail" "LookupEvents" Read Any &[];
    "sts" "GetCallerIdentity" Read Any &[];
    "organizations" "ListChildren" Read Any &[];
    "organizations" "ListAccountsForParent" Read Any &[];
    "organizations" "DescribeAccount" Read Any &[];
    "s3" "GetObject" Read Any &[];
    "s3" "ListObjectsV2" Read Any &[];
    "s3" "PutObject" Write Any &[];
    "s3" "DeleteObject" Write Any &[];
}

/// The call table entry of an operation, if driftless makes it.
pub fn call(service: &str, operation: &str) -> Option<&'static Call> {
    CALLS
        .iter()
        .find(|c| c.service == service && c.operation == operation)
}

/// Where one target's calls go.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    partition: String,
    region: String,
    /// From the target's roleArn; `*` when driftless.yaml does not say.
    account: String,
}

pub use crate::spec::rules::partition_of;

fn places(state: &DesiredState) -> Vec<Place> {
    let mut places: BTreeSet<Place> = BTreeSet::new();
    for t in state.config.accounts() {
        places.insert(Place {
            partition: partition_of(&t.region).into(),
            region: t.region.clone(),
            account: t.known_account().unwrap_or_else(|| "*".into()),
        });
    }
    // An organization's accounts are only known at plan time: any account there.
    for o in state.config.organizations() {
        for region in &o.regions {
            places.insert(Place {
                partition: partition_of(region).into(),
                region: region.clone(),
                account: "*".into(),
            });
        }
    }
    if places.is_empty() {
        // No driftless.yaml targets: the default target, in the environment's region.
        places.insert(Place {
            partition: "aws".into(),
            region: "*".into(),
            account: "*".into(),
        });
    }
    places.into_iter().collect()
}

/// The kinds a repository uses.
pub fn kinds_of(state: &DesiredState) -> BTreeSet<Kind> {
    state.resources.iter().map(|r| r.kind()).collect()
}

/// The policy document (`Version` 2012-10-17) for `state`; `read_only` grants every
/// read and no write (plan-only and report-only deployments).
pub fn policy(state: &DesiredState, read_only: bool) -> Value {
    let kinds = kinds_of(state);
    let places = places(state);
    // `driftless audit` and the controller read every live resource of the
    // guardrails' kinds, used by a document or not.
    let audited = crate::audit::live_kinds(&state.config.guardrails);
    let mut statements = call_statements(&kinds, &audited, &places, read_only);
    if !read_only {
        statements.extend(dependent_statements(state, &places));
        if let Some(sns) = state
            .config
            .notifications
            .as_ref()
            .and_then(|n| n.sns.as_ref())
        {
            statements.push(statement(
                "NotificationsPublish",
                &["sns:Publish".into()],
                vec![sns.topic_arn.clone()],
                None,
            ));
        }
    }
    statements.extend(state_statements(state, read_only));
    let mut roles: BTreeSet<String> = state
        .config
        .accounts()
        .filter_map(|t| t.role_arn.clone())
        .collect();
    for o in state.config.organizations() {
        for region in &o.regions {
            let partition = partition_of(region);
            roles.insert(format!("arn:{partition}:iam::*:role/{}", o.role_name));
        }
    }
    if !roles.is_empty() {
        statements.push(statement(
            "BaseIdentityAssumeTargetRoles",
            &["sts:AssumeRole".into()],
            roles.into_iter().collect(),
            None,
        ));
    }
    if state.config.organizations().next().is_some() {
        // Discovery, with the base identity (management account or delegated admin);
        // on `*`: the OUs and accounts are what it discovers.
        let reads: Vec<String> = CALLS
            .iter()
            .filter(|c| c.service == "organizations")
            .map(|c| format!("organizations:{}", c.operation))
            .collect();
        statements.push(statement(
            "BaseIdentityDiscoverOrganizationAccounts",
            &reads,
            vec!["*".into()],
            None,
        ));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// One statement per service, access and resource type, for the calls `kinds` need
/// and the reads `audited` (the guardrails' kinds) need.
fn call_statements(
    kinds: &BTreeSet<Kind>,
    audited: &BTreeSet<Kind>,
    places: &[Place],
    read_only: bool,
) -> Vec<Value> {
    let mut groups: BTreeMap<(&str, Access, Res), BTreeSet<String>> = BTreeMap::new();
    for c in CALLS {
        let needed = if c.kinds.is_empty() {
            // GetResources serves every kind; Publish is the notifications' (below);
            // GetCallerIdentity needs no permission.
            // The S3 state backend's calls are on its bucket alone (`state_statements`).
            c.service != "sns"
                && c.service != "sts"
                && c.service != "organizations"
                && c.service != "s3"
                && !(kinds.is_empty() && audited.is_empty())
        } else {
            c.kinds.iter().any(|k| kinds.contains(k))
                || (c.access == Access::Read && c.kinds.iter().any(|k| audited.contains(k)))
        };
        if needed && (c.access == Access::Read || !read_only) {
            groups
                .entry((c.service, c.access, c.resource))
                .or_default()
                .insert(c.action());
        }
    }
    groups
        .into_iter()
        .map(|((service, access, res), actions)| {
            let resources: BTreeSet<String> = places
                .iter()
                .flat_map(|p| res.arns(&p.partition, &p.region, &p.account))
                .collect();
            let sid = format!(
                "{}{}{}",
                camel(service),
                match access {
                    Access::Read => "Read",
                    Access::Write => "Write",
                },
                match res {
                    Res::Any => "Unscoped".to_string(),
                    other => format!("{other:?}"),
                }
            );
            let actions: Vec<String> = actions.into_iter().collect();
            statement(&sid, &actions, resources.into_iter().collect(), None)
        })
        .collect()
}

/// An ARN as a policy grants it: a `${target.accountId}` that only STS can name is
/// still the validation placeholder here, so it becomes `*` (any account).
fn as_granted(resource: &crate::spec::Resource, arn: &str) -> String {
    let placeholder = format!(":{}:", crate::spec::vars::PLACEHOLDER_ACCOUNT);
    if resource.template.is_some() {
        arn.replace(&placeholder, ":*:")
    } else {
        arn.to_string()
    }
}

/// What the services need on the caller's behalf for these specs (module doc).
fn dependent_statements(state: &DesiredState, places: &[Place]) -> Vec<Value> {
    let dependents = Dependents::of(state);
    let mut out = pass_role_statements(&dependents);
    out.extend(service_linked_role_statements(&dependents, places));
    if !dependents.vault_keys.is_empty() || dependents.managed_key_vault {
        out.extend(vault_key_statements(
            dependents.vault_keys,
            dependents.managed_key_vault,
            places,
        ));
    }
    out
}

/// What the specs ask AWS services to do on the caller's behalf: roles they pass, and
/// what needs a service-linked role or a key grant.
#[derive(Default)]
struct Dependents {
    backup_roles: BTreeSet<String>,
    task_roles: BTreeSet<String>,
    recorder_roles: BTreeSet<String>,
    task_without_role: bool,
    ec2_alarm_action: bool,
    /// A conformance pack: PutConformancePack creates AWS Config's
    /// AWSServiceRoleForConfigConforms when missing (its API reference).
    conformance_pack: bool,
    vault_keys: BTreeSet<String>,
    managed_key_vault: bool,
}

impl Dependents {
    /// Gathered from every resource of the desired state.
    fn of(state: &DesiredState) -> Dependents {
        let mut d = Dependents::default();
        for r in &state.resources {
            match &r.spec {
                ResourceSpec::BackupPlan(p) => {
                    d.backup_roles
                        .extend(p.selections.iter().map(|s| as_granted(r, &s.iam_role_arn)));
                }
                ResourceSpec::MaintenanceWindow(w) => {
                    for t in &w.tasks {
                        match &t.service_role_arn {
                            Some(role) => {
                                d.task_roles.insert(as_granted(r, role));
                            }
                            None => d.task_without_role = true,
                        }
                    }
                }
                ResourceSpec::ConformancePack(_) => d.conformance_pack = true,
                ResourceSpec::MetricAlarm(a) => {
                    d.ec2_alarm_action |= a
                        .alarm_actions
                        .iter()
                        .chain(&a.ok_actions)
                        .chain(&a.insufficient_data_actions)
                        .any(|arn| arn.contains(":automate:"));
                }
                ResourceSpec::ConfigurationRecorder(c) => {
                    d.recorder_roles.insert(as_granted(r, &c.role_arn));
                }
                ResourceSpec::BackupVault(v) => match &v.encryption_key_arn {
                    Some(key) => {
                        d.vault_keys.insert(as_granted(r, key));
                    }
                    None => d.managed_key_vault = true,
                },
                _ => {}
            }
        }
        d
    }
}

/// `iam:PassRole` of the backup selections' and maintenance tasks' roles, each to its
/// service only.
fn pass_role_statements(d: &Dependents) -> Vec<Value> {
    let mut out = Vec::new();
    for (sid, roles, service) in [
        (
            "PassBackupSelectionRoles",
            &d.backup_roles,
            "backup.amazonaws.com",
        ),
        (
            "PassMaintenanceWindowTaskRoles",
            &d.task_roles,
            "ssm.amazonaws.com",
        ),
        (
            "PassConfigurationRecorderRole",
            &d.recorder_roles,
            "config.amazonaws.com",
        ),
    ] {
        if !roles.is_empty() {
            out.push(statement(
                sid,
                &["iam:PassRole".into()],
                roles.iter().cloned().collect(),
                Some(json!({"StringEquals": {"iam:PassedToService": service}})),
            ));
        }
    }
    out
}

/// `iam:CreateServiceLinkedRole` for the roles SSM (a task without a role),
/// CloudWatch Events (an EC2 alarm action) and AWS Config's conformance packs create
/// on first use (a pack's put also reads the role: `iam:GetRole`, PutConformancePack's
/// InsufficientPermissionsException).
fn service_linked_role_statements(d: &Dependents, places: &[Place]) -> Vec<Value> {
    let mut out = Vec::new();
    for (wanted, sid, service, role) in [
        (
            d.task_without_role,
            "CreateSsmServiceLinkedRole",
            "ssm.amazonaws.com",
            "AWSServiceRoleForAmazonSSM",
        ),
        (
            d.ec2_alarm_action,
            "CreateCloudWatchEventsServiceLinkedRole",
            "events.amazonaws.com",
            "AWSServiceRoleForCloudWatchEvents",
        ),
        (
            d.conformance_pack,
            "CreateConfigConformsServiceLinkedRole",
            "config-conforms.amazonaws.com",
            "AWSServiceRoleForConfigConforms",
        ),
    ] {
        if wanted {
            let arns: BTreeSet<String> = places
                .iter()
                .map(|p| {
                    format!(
                        "arn:{}:iam::{}:role/aws-service-role/{service}/{role}",
                        p.partition, p.account
                    )
                })
                .collect();
            let arns: Vec<String> = arns.into_iter().collect();
            if service == "config-conforms.amazonaws.com" {
                out.push(statement(
                    "GetConfigConformsRole",
                    &["iam:GetRole".into()],
                    arns.clone(),
                    None,
                ));
            }
            out.push(statement(
                sid,
                &["iam:CreateServiceLinkedRole".into()],
                arns,
                Some(json!({"StringEquals": {"iam:AWSServiceName": service}})),
            ));
        }
    }
    out
}

/// The key permissions vault creation needs (AWS Backup developer guide, "Backup
/// vault creation and deletion").
fn vault_key_statements(keys: BTreeSet<String>, managed_key: bool, places: &[Place]) -> Vec<Value> {
    let actions: Vec<String> = [
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKey",
        "kms:RetireGrant",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let via: Vec<String> = places
        .iter()
        .map(|p| format!("backup.{}.amazonaws.com", p.region))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let resources = if managed_key {
        vec!["*".to_string()]
    } else {
        keys.into_iter().collect()
    };
    vec![
        statement(
            "BackupVaultKeys",
            &actions,
            resources,
            Some(json!({"StringLike": {"kms:ViaService": via}})),
        ),
        statement(
            "BackupVaultStorage",
            &["backup-storage:MountCapsule".into()],
            vec!["*".into()],
            None,
        ),
    ]
}

fn statement(
    sid: &str,
    actions: &[String],
    resources: Vec<String>,
    condition: Option<Value>,
) -> Value {
    let mut s = json!({
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": if resources.len() == 1 { json!(resources[0]) } else { json!(resources) },
    });
    if let Some(c) = condition {
        s["Condition"] = c;
    }
    s
}

/// The S3 state backend's permissions (driftless.yaml `state.s3`), on exactly its
/// bucket and prefix: list the prefix, read its objects, and (unless read-only: plan
/// never writes state) write and delete them (records, history, locks). SAR,
/// `…/list_amazons3.html`: ListObjectsV2 is authorised as `s3:ListBucket` on the
/// bucket, narrowed by `s3:prefix`.
fn state_statements(state: &DesiredState, read_only: bool) -> Vec<Value> {
    let Some(s3) = state.config.state.as_ref().and_then(|s| s.s3.as_ref()) else {
        return Vec::new();
    };
    let partition = s3
        .role_arn
        .as_deref()
        .and_then(|r| crate::spec::rules::parse_arn(r).ok())
        .map_or("aws", |a| a.partition);
    let prefix = s3.prefix.as_deref().unwrap_or_default().trim_matches('/');
    let under = if prefix.is_empty() {
        "*".to_string()
    } else {
        format!("{prefix}/*")
    };
    let bucket = format!("arn:{partition}:s3:::{}", s3.bucket);
    let mut objects = vec!["s3:GetObject".to_string()];
    if !read_only {
        objects.extend(["s3:PutObject".to_string(), "s3:DeleteObject".to_string()]);
    }
    vec![
        statement(
            "StateList",
            &["s3:ListBucket".into()],
            vec![bucket.clone()],
            Some(json!({"StringLike": {"s3:prefix": [under.clone()]}})),
        ),
        statement(
            "StateObjects",
            &objects,
            vec![format!("{bucket}/{under}")],
            None,
        ),
    ]
}

/// `resourcegroupstaggingapi` → `Tagging`, `cloudwatch` → `CloudWatch`.
fn camel(service: &str) -> &str {
    match service {
        "resourcegroupstaggingapi" => "Tagging",
        "cloudwatch" => "CloudWatch",
        "logs" => "Logs",
        "ssm" => "Ssm",
        "backup" => "Backup",
        "sns" => "Sns",
        "cloudtrail" => "CloudTrail",
        other => other,
    }
}

/// The actions a policy document allows (every `Allow` statement's `Action`s).
pub fn allowed_actions(policy: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in policy["Statement"].as_array().into_iter().flatten() {
        if s["Effect"] != "Allow" {
            continue;
        }
        match &s["Action"] {
            Value::String(a) => {
                out.insert(a.clone());
            }
            Value::Array(list) => {
                out.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
