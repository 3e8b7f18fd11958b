//! The one door to AWS: SDK clients per target, and one module per service that reads
//! live state into the crate's own types (`driftless_core::live`) and (with apply) writes.
//!
//! Nothing outside this module names an `aws_sdk_*` type. Errors carry the target,
//! service, operation and resource, and say what to check.

pub mod backup;
pub mod calls;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod config;
pub mod logs;
pub mod organizations;
pub mod pace;
pub mod s3;
pub mod shared;
pub mod sns;
pub mod ssm;
pub mod sts;
pub mod tagging;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use aws_types::region::Region;
use aws_types::SdkConfig;

use driftless_core::live::{Live, LiveMetricFilter, LiveTarget, LiveVault};
use driftless_core::spec::config::TargetConfig;
use driftless_core::spec::Kind;
use driftless_core::spec::{BackupPlanSpec, MaintenanceWindowSpec};

/// How to reach AWS, from flags and the environment.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// `--endpoint-url`: every call goes there (an emulator). `AWS_ENDPOINT_URL` and
    /// `AWS_ENDPOINT_URL_<SERVICE>` are honoured by the SDK itself.
    pub endpoint_url: Option<String>,
    /// Total attempts per call, first one included (SDK standard retry).
    pub max_attempts: Option<u32>,
    /// Use the SDK's adaptive (client-side rate limiting) retry mode.
    pub adaptive_retry: bool,
}

/// A service client from a shared config, with every call counted for `/metrics`
/// ([`calls::CountCalls`]) and every request paced ([`pace::MarkOperation`]).
macro_rules! counted {
    ($sdk:ident, $config:expr, $pace:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($config)
                .interceptor(calls::CountCalls)
                .interceptor($pace.clone())
                .build(),
        )
    };
}

/// The config with its HTTP client (the SDK's default one when it names none) wrapped
/// in a [`pace::PacedHttpClient`] (the buckets are the process's, per account and
/// Region: see [`pace`]); every target's config names the process's shared HTTP
/// client ([`shared`]).
fn paced(config: &SdkConfig) -> SdkConfig {
    use aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig;
    let inner = config
        .http_client()
        .unwrap_or_else(pace::default_http_client);
    config
        .clone()
        .into_builder()
        .http_client(pace::PacedHttpClient::new(inner))
        // The paced connector holds a request back before its body is sent, which the
        // SDK's upload stall detection (5 s grace) would take for a stalled upload when
        // many targets share one account's bucket; downloads stay protected.
        .stalled_stream_protection(
            StalledStreamProtectionConfig::enabled()
                .upload_enabled(false)
                .build(),
        )
        .build()
}

/// The SDK clients of one target.
#[derive(Clone, Debug)]
pub struct Clients {
    pub target: String,
    pub region: String,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub backup: aws_sdk_backup::Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub sts: aws_sdk_sts::Client,
    pub config: aws_sdk_config::Client,
    /// The account these credentials act in, once STS has said it (see
    /// [`sts::account`]): asked at most once per target and clients.
    pub account: Arc<tokio::sync::OnceCell<String>>,
}

impl Clients {
    /// Clients from a ready SdkConfig (tests build one for the emulator), paced per
    /// account and Region ([`pace`]; the signing access key stands for the account).
    pub fn from_sdk_config(target: &str, config: &SdkConfig) -> Clients {
        Clients::in_account(target, config, None)
    }

    /// Clients of a target whose account is known (`accountId`, or its role's), paced
    /// in that account's buckets.
    pub fn in_account(target: &str, config: &SdkConfig, account: Option<&str>) -> Clients {
        let config = &paced(config);
        let pace = pace::MarkOperation::new(account);
        Clients {
            target: target.to_string(),
            region: config.region().map(|r| r.to_string()).unwrap_or_default(),
            cloudwatch: counted!(aws_sdk_cloudwatch, config, pace),
            logs: counted!(aws_sdk_cloudwatchlogs, config, pace),
            ssm: counted!(aws_sdk_ssm, config, pace),
            backup: counted!(aws_sdk_backup, config, pace),
            tagging: counted!(aws_sdk_resourcegroupstagging, config, pace),
            cloudtrail: counted!(aws_sdk_cloudtrail, config, pace),
            sts: counted!(aws_sdk_sts, config, pace),
            config: counted!(aws_sdk_config, config, pace),
            account: Arc::default(),
        }
    }

    /// Clients for a driftless.yaml target (`None`: the `default` target from the
    /// ambient configuration), through aws-config's default credential chain, with
    /// the target's role assumed when it names one.
    pub async fn for_target(
        name: &str,
        target: Option<&TargetConfig>,
        options: &AwsOptions,
    ) -> Result<Clients, AwsError> {
        let config = sdk_config(name, target, None, options).await?;
        let account = target.and_then(TargetConfig::known_account);
        Ok(Clients::in_account(name, &config, account.as_deref()))
    }
}

/// The SDK configuration of a driftless.yaml target (`None`: the `default` target from
/// the ambient configuration): aws-config's default credential chain, the target's
/// region unless `region` overrides it (an SNS topic lives in the region its ARN
/// names), `--endpoint-url`, the retry settings, and the target's role assumed when it
/// names one. Nothing is called until a client makes its first request.
pub async fn sdk_config(
    name: &str,
    target: Option<&TargetConfig>,
    region: Option<&str>,
    options: &AwsOptions,
) -> Result<SdkConfig, AwsError> {
    let mut config = shared::base_config(options).await;
    if let Some(region) = region.or(target.map(|t| t.region.as_str())) {
        config = config
            .into_builder()
            .region(Region::new(region.to_string()))
            .build();
    }
    if config.region().is_none() {
        return Err(AwsError::Setup {
            target: name.to_string(),
            message: "no AWS region configured".into(),
            hint: "set AWS_REGION (or a profile's region), or give the target a region in driftless.yaml".into(),
        });
    }
    if let Some(role) = target.and_then(|t| t.role_arn.as_ref()) {
        let external_id = target.and_then(|t| t.external_id.as_deref());
        let provider = shared::role_credentials(role, external_id, &config, options).await;
        config = config.into_builder().credentials_provider(provider).build();
    }
    Ok(config)
}

/// What the controller keeps of a target's clients between reconciles: only the
/// account STS named (asked once per target configuration). The clients themselves
/// are built for each reconcile and dropped when it ends: every target shares the
/// process's HTTP client and the credentials cached per role ([`shared`]), so a
/// target between reconciles costs a map entry, not a set of SDK clients. A target
/// whose driftless.yaml entry changed starts afresh.
#[derive(Debug, Default)]
pub struct ClientCache {
    accounts: std::sync::Mutex<AccountCells>,
}

/// Target name → (its configuration, the account its credentials act in).
type AccountCells = BTreeMap<String, (Option<TargetConfig>, Arc<tokio::sync::OnceCell<String>>)>;

impl ClientCache {
    /// The clients of a target, built now, with the account it was last seen in.
    pub async fn get(
        &self,
        name: &str,
        target: Option<&TargetConfig>,
        options: &AwsOptions,
    ) -> Result<Clients, AwsError> {
        let mut clients = Clients::for_target(name, target, options).await?;
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let entry = accounts
            .entry(name.to_string())
            .or_insert_with(|| (target.cloned(), Arc::default()));
        if entry.0.as_ref() != target {
            *entry = (target.cloned(), Arc::default());
        }
        clients.account = entry.1.clone();
        Ok(clients)
    }

    /// Forgets the targets not in `keep` (they left driftless.yaml).
    pub fn retain(&self, keep: &BTreeSet<&str>) {
        self.accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|name, _| keep.contains(name.as_str()));
    }
}

/// What a target's read must cover: the names the desired state mentions, per kind,
/// and the instance whose owned resources are listed too (for deletes).
#[derive(Debug, Clone, Default)]
pub struct ReadRequest {
    pub instance: String,
    pub alarms: BTreeSet<String>,
    pub log_groups: BTreeSet<String>,
    /// Prefixes of the LogRetentionPolicy specs.
    pub retention_prefixes: BTreeSet<String>,
    pub patch_baselines: BTreeSet<String>,
    pub maintenance_windows: BTreeSet<String>,
    pub backup_vaults: BTreeSet<String>,
    pub backup_plans: BTreeSet<String>,
    /// The log groups of desired MetricFilters and of the ones last applied (from the
    /// state store); empty: metric filters are not read.
    pub metric_filter_groups: BTreeSet<String>,
    /// ConfigurationAggregators desired or recorded as applied; empty: not read.
    pub config_aggregators: BTreeSet<String>,
    /// Config rules the desired state names and the ones driftless recorded applying
    /// (AWS Config rules are not in the tagging API); empty: none are read.
    pub config_rules: BTreeSet<String>,
    pub associations: BTreeSet<String>,
    /// ConformancePacks desired or recorded as applied; empty: none are read.
    pub conformance_packs: BTreeSet<String>,
    /// A ConfigurationRecorder is desired or recorded as applied: the Region's
    /// recorder, its status and delivery channel are read (3 calls).
    pub config_recorder: bool,
}

/// The resources the tagging API says this instance owns, by kind: ARN → tags.
#[derive(Debug, Clone, Default)]
pub struct Owned {
    pub alarms: BTreeMap<String, BTreeMap<String, String>>,
    pub log_groups: BTreeMap<String, BTreeMap<String, String>>,
    pub patch_baselines: BTreeMap<String, BTreeMap<String, String>>,
    pub maintenance_windows: BTreeMap<String, BTreeMap<String, String>>,
    pub backup_vaults: BTreeMap<String, BTreeMap<String, String>>,
    pub backup_plans: BTreeMap<String, BTreeMap<String, String>>,
    pub associations: BTreeMap<String, BTreeMap<String, String>>,
}

/// Reads everything a plan of one target needs: one tagging listing for ownership,
/// then each service's reads, concurrently. A kind the desired state does not mention
/// and of which this instance owns nothing is not read at all.
pub async fn read_target(clients: &Clients, request: &ReadRequest) -> Result<LiveTarget, AwsError> {
    let owned = tagging::owned_resources(clients, &request.instance).await?;
    let (alarms, logs, baselines, windows, vaults, plans, associations) = tokio::join!(
        only_if(
            !request.alarms.is_empty() || !owned.alarms.is_empty(),
            cloudwatch::read_alarms(clients, &request.alarms, &owned.alarms)
        ),
        only_if(
            !request.log_groups.is_empty()
                || !request.retention_prefixes.is_empty()
                || !owned.log_groups.is_empty(),
            logs::read_log_groups(
                clients,
                &request.log_groups,
                &request.retention_prefixes,
                &owned.log_groups
            )
        ),
        only_if(
            !request.patch_baselines.is_empty() || !owned.patch_baselines.is_empty(),
            ssm::read_patch_baselines(clients, &request.patch_baselines, &owned.patch_baselines)
        ),
        only_if(
            !request.maintenance_windows.is_empty() || !owned.maintenance_windows.is_empty(),
            ssm::read_maintenance_windows(
                clients,
                &request.maintenance_windows,
                &owned.maintenance_windows
            )
        ),
        only_if(
            !request.backup_vaults.is_empty() || !owned.backup_vaults.is_empty(),
            backup::read_vaults(clients, &request.backup_vaults, &owned.backup_vaults)
        ),
        only_if(
            !request.backup_plans.is_empty() || !owned.backup_plans.is_empty(),
            backup::read_plans(clients, &request.backup_plans, &owned.backup_plans)
        ),
        only_if(
            !request.associations.is_empty() || !owned.associations.is_empty(),
            ssm::read_associations(clients, &request.associations, &owned.associations)
        ),
    );
    let logs = logs?;
    let baselines = baselines?;
    let metric_filters = if request.metric_filter_groups.is_empty() {
        Vec::new()
    } else {
        // Filters on owned groups belong to them: read those too.
        let mut groups = request.metric_filter_groups.clone();
        groups.extend(
            logs.groups
                .iter()
                .filter(|g| g.owned_by(&request.instance))
                .map(|g| g.name.clone()),
        );
        logs::metric_filters::read_metric_filters(clients, &groups).await?
    };
    let mut live = live_target(
        alarms?,
        logs,
        baselines,
        metric_filters,
        windows?,
        vaults?,
        plans?,
    );
    live.associations = associations?;
    read_config(clients, request, &mut live).await?;
    Ok(live)
}

/// The AWS Config resources the request names or records (neither kind is in the
/// tagging listing: Config holds their tags itself).
async fn read_config(
    clients: &Clients,
    request: &ReadRequest,
    live: &mut LiveTarget,
) -> Result<(), AwsError> {
    live.config_rules = only_if(
        !request.config_rules.is_empty(),
        config::rule::read_rules(clients, Some(&request.config_rules)),
    )
    .await?;
    live.config_aggregators = only_if(
        !request.config_aggregators.is_empty(),
        config::aggregator::read_aggregators(clients, &request.config_aggregators),
    )
    .await?;
    live.conformance_packs = only_if(
        !request.conformance_packs.is_empty(),
        config::pack::read_packs(clients, &request.conformance_packs),
    )
    .await?;
    live.config_recorders = only_if(
        request.config_recorder,
        config::recorder::read_recorders(clients),
    )
    .await?;
    Ok(())
}

/// Every AWS Config aggregator, rule, conformance pack and recorder of the target,
/// when `wanted`, in an otherwise empty live state (none is in the tagging API:
/// aggregators, rules and packs carry their tags in Config itself,
/// ListTagsForResource; recorders are owned through the state store).
async fn read_every_config(
    clients: &Clients,
    wanted: &impl Fn(Kind) -> bool,
) -> Result<LiveTarget, AwsError> {
    Ok(LiveTarget {
        config_aggregators: only_if(
            wanted(Kind::ConfigurationAggregator),
            config::aggregator::read_every_aggregator(clients),
        )
        .await?,
        config_rules: only_if(
            wanted(Kind::ConfigRule),
            config::rule::read_rules(clients, None),
        )
        .await?,
        conformance_packs: only_if(
            wanted(Kind::ConformancePack),
            config::pack::read_every_pack(clients),
        )
        .await?,
        config_recorders: only_if(
            wanted(Kind::ConfigurationRecorder),
            config::recorder::read_recorders(clients),
        )
        .await?,
        ..LiveTarget::default()
    })
}

/// One target's live state from what its readers returned.
fn live_target(
    alarms: cloudwatch::AlarmsRead,
    logs: logs::LogGroupsRead,
    (patch_baselines, patch_group_registrations): ssm::BaselinesRead,
    metric_filters: Vec<LiveMetricFilter>,
    maintenance_windows: Vec<Live<MaintenanceWindowSpec>>,
    backup_vaults: Vec<LiveVault>,
    backup_plans: Vec<Live<BackupPlanSpec>>,
) -> LiveTarget {
    LiveTarget {
        metric_filters,
        alarms: alarms.metric,
        composite_alarms: alarms.composite,
        log_groups: logs.groups,
        log_group_stored_bytes: logs.stored_bytes,
        retention_candidates: logs.retention,
        patch_baselines,
        patch_group_registrations,
        maintenance_windows,
        backup_vaults,
        backup_plans,
        ..LiveTarget::default()
    }
}

/// Every live resource of `kinds` in one target, owned or not (`driftless audit`):
/// one tagging listing of every tagged resource of those kinds for the tags, then the
/// readers' "every" listings (each reader's doc has its calls), concurrently. Kinds
/// not asked for are not read. LogRetentionPolicy has no live resource of its own.
pub async fn read_every(clients: &Clients, kinds: &BTreeSet<Kind>) -> Result<LiveTarget, AwsError> {
    let wanted = |k: Kind| kinds.contains(&k);
    let types = tagged_types(kinds);
    let config = read_every_config(clients, &wanted).await?;
    if types.is_empty() {
        // Metric filters have no tags: no tagging listing for them.
        return Ok(LiveTarget {
            metric_filters: only_if(
                wanted(Kind::MetricFilter),
                logs::metric_filters::read_every_metric_filter(clients),
            )
            .await?,
            ..config
        });
    }
    let tagged = tagging::tagged_resources(clients, &types).await?;
    let no_prefixes = BTreeSet::new();
    let (alarms, logs, baselines, windows, vaults, plans, associations) = tokio::join!(
        only_if(
            wanted(Kind::MetricAlarm) || wanted(Kind::CompositeAlarm),
            cloudwatch::read_every_alarm(
                clients,
                &tagged.alarms,
                wanted(Kind::MetricAlarm),
                wanted(Kind::CompositeAlarm)
            )
        ),
        only_if(
            wanted(Kind::LogGroup),
            logs::read_every_log_group(clients, &no_prefixes, &tagged.log_groups)
        ),
        only_if(
            wanted(Kind::PatchBaseline),
            ssm::read_every_patch_baseline(clients, &tagged.patch_baselines)
        ),
        only_if(
            wanted(Kind::MaintenanceWindow),
            ssm::read_every_maintenance_window(clients, &tagged.maintenance_windows)
        ),
        only_if(
            wanted(Kind::BackupVault),
            backup::read_every_vault(clients, &tagged.backup_vaults)
        ),
        only_if(
            wanted(Kind::BackupPlan),
            backup::read_every_plan(clients, &tagged.backup_plans)
        ),
        only_if(
            wanted(Kind::Association),
            ssm::read_every_association(clients, &tagged.associations)
        ),
    );
    let logs = logs?;
    let baselines = baselines?;
    let metric_filters = only_if(
        wanted(Kind::MetricFilter),
        logs::metric_filters::read_every_metric_filter(clients),
    )
    .await?;
    let mut live = live_target(
        alarms?,
        logs,
        baselines,
        metric_filters,
        windows?,
        vaults?,
        plans?,
    );
    live.config_rules = config.config_rules;
    live.config_aggregators = config.config_aggregators;
    live.conformance_packs = config.conformance_packs;
    live.config_recorders = config.config_recorders;
    live.associations = associations?;
    Ok(live)
}

/// The tagging API's resource types of `kinds` (alarms once for both alarm kinds).
fn tagged_types(kinds: &BTreeSet<Kind>) -> Vec<&'static str> {
    let mut types: Vec<&str> = [
        (Kind::MetricAlarm, "cloudwatch:alarm"),
        (Kind::CompositeAlarm, "cloudwatch:alarm"),
        (Kind::LogGroup, "logs:log-group"),
        (Kind::PatchBaseline, "ssm:patchbaseline"),
        (Kind::MaintenanceWindow, "ssm:maintenancewindow"),
        (Kind::BackupVault, "backup:backup-vault"),
        (Kind::BackupPlan, "backup:backup-plan"),
        (Kind::Association, "ssm:association"),
    ]
    .into_iter()
    .filter(|(k, _)| kinds.contains(k))
    .map(|(_, t)| t)
    .collect();
    types.dedup();
    types
}

/// Runs `read` only when `needed`; otherwise its (lazy) future is dropped unpolled and
/// no call is made.
async fn only_if<T: Default>(
    needed: bool,
    read: impl std::future::Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    if needed {
        read.await
    } else {
        Ok(T::default())
    }
}

/// A failed AWS call, with enough context to act on.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("target `{target}`: {service} {operation} failed{}: {message}", resource.as_ref().map(|r| format!(" for `{r}`")).unwrap_or_default())]
    Call {
        target: String,
        service: &'static str,
        operation: &'static str,
        resource: Option<String>,
        /// The AWS error code, when there is one (`AccessDeniedException`).
        code: Option<String>,
        message: String,
    },
    #[error("target `{target}`: {message}\n  hint: {hint}")]
    Setup {
        target: String,
        message: String,
        hint: String,
    },
}

impl AwsError {
    /// Builds a call error from any SDK error, keeping its code and message.
    pub fn call<E>(
        clients: &Clients,
        service: &'static str,
        operation: &'static str,
        resource: Option<&str>,
        err: aws_sdk_ssm::error::SdkError<E>,
    ) -> AwsError
    where
        E: aws_sdk_ssm::error::ProvideErrorMetadata + fmt::Debug + std::error::Error + 'static,
    {
        AwsError::from_sdk(&clients.target, service, operation, resource, err)
    }

    /// Builds a call error from any SDK error of a call made for `target`.
    pub fn from_sdk<E>(
        target: &str,
        service: &'static str,
        operation: &'static str,
        resource: Option<&str>,
        err: aws_sdk_ssm::error::SdkError<E>,
    ) -> AwsError
    where
        E: aws_sdk_ssm::error::ProvideErrorMetadata + fmt::Debug + std::error::Error + 'static,
    {
        let (code, message) = match &err {
            aws_sdk_ssm::error::SdkError::ServiceError(e) => (
                e.err().code().map(str::to_string),
                e.err()
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{:?}", e.err())),
            ),
            other => (None, error_chain(other)),
        };
        AwsError::Call {
            target: target.to_string(),
            service,
            operation,
            resource: resource.map(str::to_string),
            code,
            message,
        }
    }

    /// The message without the target (shown beside it) and without the hint
    /// ([`AwsError::hint`]).
    pub fn detail(&self) -> String {
        match self {
            AwsError::Call {
                service,
                operation,
                resource,
                message,
                ..
            } => format!(
                "{service} {operation} failed{}: {message}",
                resource
                    .as_ref()
                    .map(|r| format!(" for `{r}`"))
                    .unwrap_or_default()
            ),
            AwsError::Setup { message, .. } => message.clone(),
        }
    }

    /// What to check, for messages: credentials, region or the denied IAM action.
    pub fn hint(&self) -> Option<String> {
        match self {
            AwsError::Call {
                service,
                operation,
                code: Some(code),
                ..
            } if code.contains("AccessDenied") || code.contains("UnauthorizedOperation") => {
                Some(format!(
                    "the credentials lack permission `{}:{operation}`; grant it to the role driftless uses (see `driftless iam-policy`)",
                    iam_prefix(service)
                ))
            }
            AwsError::Call { code: Some(code), .. }
                if code.contains("InvalidClientTokenId")
                    || code.contains("ExpiredToken")
                    || code.contains("UnrecognizedClient")
                    || code.contains("InvalidSignature") =>
            {
                Some("check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, an expired SSO session)".into())
            }
            AwsError::Call { message, .. } if message.contains("loading credentials") => Some(
                "no credentials for this target: check the base credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, the instance or pod role) and, when the target has a `roleArn`, that they may assume it (sts:AssumeRole, the role's trust policy, `externalId`) and that STS is reachable".into(),
            ),
            AwsError::Call { code: None, .. } => Some(
                "check the network, the region and --endpoint-url / AWS_ENDPOINT_URL".into(),
            ),
            AwsError::Setup { hint, .. } => Some(hint.clone()),
            _ => None,
        }
    }
}

/// An error and its causes, `outer: inner: innermost`, without debug dumps.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// The IAM service prefix of a service name used in messages.
fn iam_prefix(service: &str) -> &str {
    match service {
        "cloudwatch" => "cloudwatch",
        "logs" => "logs",
        "ssm" => "ssm",
        "backup" => "backup",
        "tagging" => "tag",
        "cloudtrail" => "cloudtrail",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(code: Option<&str>) -> AwsError {
        AwsError::Call {
            target: "prod".into(),
            service: "ssm",
            operation: "GetPatchBaseline",
            resource: Some("al2023".into()),
            code: code.map(str::to_string),
            message: "denied".into(),
        }
    }

    #[test]
    fn messages_name_target_service_operation_and_resource() {
        assert_eq!(
            call(Some("AccessDeniedException")).to_string(),
            "target `prod`: ssm GetPatchBaseline failed for `al2023`: denied"
        );
    }

    #[test]
    fn hints_name_the_denied_action_or_what_to_check() {
        assert!(call(Some("AccessDeniedException"))
            .hint()
            .unwrap()
            .contains("`ssm:GetPatchBaseline`"));
        assert!(call(Some("ExpiredTokenException"))
            .hint()
            .unwrap()
            .contains("credentials"));
        assert!(call(None).hint().unwrap().contains("network"));
        assert_eq!(call(Some("ValidationException")).hint(), None);
    }

    #[test]
    fn error_chains_join_causes_once() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let outer = std::io::Error::other(inner);
        assert_eq!(error_chain(&outer), "refused");
    }
}
