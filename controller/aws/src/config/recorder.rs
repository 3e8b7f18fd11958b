//! The AWS Config configuration recorder, its delivery channel and status (the
//! `ConfigurationRecorder` kind).
//!
//! Reads: DescribeConfigurationRecorders, DescribeConfigurationRecorderStatus and
//! DescribeDeliveryChannels, each once without names (a Region has at most one
//! customer managed recorder and one channel): 3 calls, made only when a recorder is
//! desired or recorded as applied. Service-linked recorders (`servicePrincipal` set)
//! are AWS's and left out. The Region's channel is the recorder's.
//!
//! Writes: PutConfigurationRecorder (role, recording group with its strategy,
//! recording mode), PutDeliveryChannel, Start/StopConfigurationRecorder, and
//! DeleteDeliveryChannel / DeleteConfigurationRecorder. PutDeliveryChannel replaces the
//! channel whole, so an update reads it first (DescribeDeliveryChannels by name) and
//! sends its `s3KmsKeyArn`, which the format has no field for, back unchanged.

use aws_sdk_config::types::{
    ConfigSnapshotDeliveryProperties, ConfigurationRecorder, DeliveryChannel as SdkChannel,
    ExclusionByResourceTypes, MaximumExecutionFrequency, RecordingFrequency as SdkFrequency,
    RecordingGroup as SdkGroup, RecordingMode as SdkMode, RecordingModeOverride, RecordingStrategy,
    RecordingStrategyType, ResourceType,
};

use driftless_core::live::Live;
use driftless_core::spec::config_recorder::{
    DeliveryChannel, RecordingFrequency, RecordingGroup, RecordingMode,
    RecordingModeOverride as Override,
};
use driftless_core::spec::config_rule::Frequency;
use driftless_core::spec::ConfigurationRecorderSpec;

use super::aggregator::code;
use crate::{AwsError, Clients};

/// The Region's customer managed recorders with their status and the Region's
/// delivery channel.
pub async fn read_recorders(
    clients: &Clients,
) -> Result<Vec<Live<ConfigurationRecorderSpec>>, AwsError> {
    let config = &clients.config;
    let recorders = config
        .describe_configuration_recorders()
        .send()
        .await
        .map_err(|e| {
            AwsError::call(clients, "config", "DescribeConfigurationRecorders", None, e)
        })?;
    let status = config
        .describe_configuration_recorder_status()
        .send()
        .await
        .map_err(|e| {
            AwsError::call(
                clients,
                "config",
                "DescribeConfigurationRecorderStatus",
                None,
                e,
            )
        })?;
    let channels = config
        .describe_delivery_channels()
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "config", "DescribeDeliveryChannels", None, e))?;
    let channel = channels.delivery_channels().first();
    Ok(recorders
        .configuration_recorders()
        .iter()
        .filter(|r| r.service_principal().is_none())
        .map(|r| {
            let name = r.name().unwrap_or_default();
            let recording = status
                .configuration_recorders_status()
                .iter()
                .any(|s| s.name() == Some(name) && s.recording());
            to_live(r, channel, recording)
        })
        .collect())
}

fn to_live(
    r: &ConfigurationRecorder,
    channel: Option<&SdkChannel>,
    recording: bool,
) -> Live<ConfigurationRecorderSpec> {
    let types = |t: &[ResourceType]| t.iter().map(|t| t.as_str().to_string()).collect();
    let recording_group = r.recording_group().map(|g| RecordingGroup {
        all_supported: g.all_supported(),
        include_global_resource_types: g.include_global_resource_types(),
        resource_types: types(g.resource_types()),
        exclusion_by_resource_types: g
            .exclusion_by_resource_types()
            .map(|e| types(e.resource_types()))
            .unwrap_or_default(),
    });
    let recording_mode = r.recording_mode().map(|m| RecordingMode {
        recording_frequency: frequency(m.recording_frequency()),
        recording_mode_overrides: m
            .recording_mode_overrides()
            .iter()
            .map(|o| Override {
                description: o.description().map(str::to_string),
                resource_types: types(o.resource_types()),
                recording_frequency: frequency(o.recording_frequency()),
            })
            .collect(),
    });
    let delivery_channel = channel.map(|c| DeliveryChannel {
        name: c.name().unwrap_or_default().to_string(),
        s3_bucket_name: c.s3_bucket_name().unwrap_or_default().to_string(),
        s3_key_prefix: c.s3_key_prefix().map(str::to_string),
        sns_topic_arn: c.sns_topic_arn().map(str::to_string),
        delivery_frequency: c
            .config_snapshot_delivery_properties()
            .and_then(|p| p.delivery_frequency())
            .and_then(|f| {
                Frequency::ALL
                    .iter()
                    .copied()
                    .find(|x| x.as_str() == f.as_str())
            }),
    });
    let unrepresented = channel
        .and_then(SdkChannel::s3_kms_key_arn)
        .map(|_| vec!["deliveryChannel.s3KmsKeyArn".to_string()])
        .unwrap_or_default();
    Live {
        name: r.name().unwrap_or_default().to_string(),
        spec: ConfigurationRecorderSpec {
            role_arn: r.role_arn().unwrap_or_default().to_string(),
            recording_group,
            recording_mode,
            delivery_channel,
            recording,
        },
        arn: r.arn().map(str::to_string),
        id: None,
        sub_ids: Default::default(),
        tags_known: false,
        unrepresented,
    }
}

fn frequency(f: &SdkFrequency) -> RecordingFrequency {
    match f {
        SdkFrequency::Daily => RecordingFrequency::Daily,
        _ => RecordingFrequency::Continuous,
    }
}

fn sdk_types(types: &[String]) -> Vec<ResourceType> {
    types
        .iter()
        .map(|t| ResourceType::from(t.as_str()))
        .collect()
}

/// The recording group as AWS takes it: the strategy follows from the field set.
fn sdk_group(g: Option<&RecordingGroup>) -> SdkGroup {
    let all = RecordingGroup {
        all_supported: true,
        ..RecordingGroup::default()
    };
    let g = g.unwrap_or(&all);
    let strategy = if !g.resource_types.is_empty() {
        RecordingStrategyType::InclusionByResourceTypes
    } else if !g.exclusion_by_resource_types.is_empty() {
        RecordingStrategyType::ExclusionByResourceTypes
    } else {
        RecordingStrategyType::AllSupportedResourceTypes
    };
    SdkGroup::builder()
        .all_supported(g.all_supported)
        .include_global_resource_types(g.include_global_resource_types)
        .set_resource_types(Some(sdk_types(&g.resource_types)))
        .exclusion_by_resource_types(
            ExclusionByResourceTypes::builder()
                .set_resource_types(Some(sdk_types(&g.exclusion_by_resource_types)))
                .build(),
        )
        .recording_strategy(RecordingStrategy::builder().use_only(strategy).build())
        .build()
}

fn sdk_mode(m: Option<&RecordingMode>) -> Result<SdkMode, String> {
    let Some(m) = m else {
        return SdkMode::builder()
            .recording_frequency(SdkFrequency::Continuous)
            .build()
            .map_err(|e| e.to_string());
    };
    let overrides = m
        .recording_mode_overrides
        .iter()
        .map(|o| {
            RecordingModeOverride::builder()
                .set_description(o.description.clone())
                .set_resource_types(Some(sdk_types(&o.resource_types)))
                .recording_frequency(SdkFrequency::from(o.recording_frequency.as_str()))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    SdkMode::builder()
        .recording_frequency(SdkFrequency::from(m.recording_frequency.as_str()))
        .set_recording_mode_overrides(Some(overrides))
        .build()
        .map_err(|e| e.to_string())
}

fn setup(clients: &Clients, op: &str, e: String) -> AwsError {
    AwsError::Setup {
        target: clients.target.clone(),
        message: format!("cannot build the config {op} request: {e}"),
        hint: "this is a driftless bug; please report it".into(),
    }
}

/// PutConfigurationRecorder: the role, recording group and mode (not the channel or
/// the status).
pub async fn put_recorder(
    clients: &Clients,
    name: &str,
    spec: &ConfigurationRecorderSpec,
) -> Result<(), AwsError> {
    let op = "PutConfigurationRecorder";
    let mode = sdk_mode(spec.recording_mode.as_ref()).map_err(|e| setup(clients, op, e))?;
    let recorder = ConfigurationRecorder::builder()
        .name(name)
        .role_arn(&spec.role_arn)
        .recording_group(sdk_group(spec.recording_group.as_ref()))
        .recording_mode(mode)
        .build();
    clients
        .config
        .put_configuration_recorder()
        .configuration_recorder(recorder)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "config", op, Some(name), e))?;
    Ok(())
}

/// The channel of this name, if any (for what the format does not model).
async fn read_channel(clients: &Clients, name: &str) -> Result<Option<SdkChannel>, AwsError> {
    match clients
        .config
        .describe_delivery_channels()
        .delivery_channel_names(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.delivery_channels().first().cloned()),
        Err(e) if code(&e) == Some("NoSuchDeliveryChannelException") => Ok(None),
        Err(e) => Err(AwsError::call(
            clients,
            "config",
            "DescribeDeliveryChannels",
            Some(name),
            e,
        )),
    }
}

/// PutDeliveryChannel. An update (`update` true) keeps the live channel's
/// `s3KmsKeyArn`.
pub async fn put_channel(
    clients: &Clients,
    channel: &DeliveryChannel,
    update: bool,
) -> Result<(), AwsError> {
    let kms = if update {
        read_channel(clients, &channel.name)
            .await?
            .and_then(|c| c.s3_kms_key_arn().map(str::to_string))
    } else {
        None
    };
    let properties = channel.delivery_frequency.map(|f| {
        ConfigSnapshotDeliveryProperties::builder()
            .delivery_frequency(MaximumExecutionFrequency::from(f.as_str()))
            .build()
    });
    let sdk = SdkChannel::builder()
        .name(&channel.name)
        .s3_bucket_name(&channel.s3_bucket_name)
        .set_s3_key_prefix(channel.s3_key_prefix.clone())
        .set_sns_topic_arn(channel.sns_topic_arn.clone())
        .set_s3_kms_key_arn(kms)
        .set_config_snapshot_delivery_properties(properties)
        .build();
    clients
        .config
        .put_delivery_channel()
        .delivery_channel(sdk)
        .send()
        .await
        .map_err(|e| {
            AwsError::call(
                clients,
                "config",
                "PutDeliveryChannel",
                Some(&channel.name),
                e,
            )
        })?;
    Ok(())
}

/// StartConfigurationRecorder (`true`) or StopConfigurationRecorder.
pub async fn set_recording(clients: &Clients, name: &str, recording: bool) -> Result<(), AwsError> {
    let config = &clients.config;
    if recording {
        config
            .start_configuration_recorder()
            .configuration_recorder_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                AwsError::call(
                    clients,
                    "config",
                    "StartConfigurationRecorder",
                    Some(name),
                    e,
                )
            })
    } else {
        config
            .stop_configuration_recorder()
            .configuration_recorder_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                AwsError::call(
                    clients,
                    "config",
                    "StopConfigurationRecorder",
                    Some(name),
                    e,
                )
            })
    }
}

/// A delete's answer: done, or `missing` (already gone, which is what was asked).
fn done_or_gone<T, E>(
    clients: &Clients,
    operation: &'static str,
    name: &str,
    missing: &str,
    result: Result<T, aws_sdk_config::error::SdkError<E>>,
) -> Result<(), AwsError>
where
    E: aws_sdk_config::error::ProvideErrorMetadata + std::fmt::Debug + std::error::Error + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some(missing) => Ok(()),
        Err(e) => Err(AwsError::call(clients, "config", operation, Some(name), e)),
    }
}

/// DeleteDeliveryChannel; one already gone is done. AWS refuses it while the
/// recorder records (stop it first).
pub async fn delete_channel(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let result = clients
        .config
        .delete_delivery_channel()
        .delivery_channel_name(name)
        .send()
        .await;
    let missing = "NoSuchDeliveryChannelException";
    done_or_gone(clients, "DeleteDeliveryChannel", name, missing, result)
}

/// DeleteConfigurationRecorder; one already gone is done.
pub async fn delete_recorder(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let result = clients
        .config
        .delete_configuration_recorder()
        .configuration_recorder_name(name)
        .send()
        .await;
    let missing = "NoSuchConfigurationRecorderException";
    done_or_gone(
        clients,
        "DeleteConfigurationRecorder",
        name,
        missing,
        result,
    )
}
