//! Remediation configurations of AWS Config rules: read
//! (DescribeRemediationConfigurations, 25 rule names a call) and written
//! (PutRemediationConfigurations of one, DeleteRemediationConfiguration).

use std::collections::BTreeMap;

use aws_sdk_config::types::{
    RemediationConfiguration, RemediationParameterValue, RemediationTargetType, ResourceValue,
    ResourceValueType, StaticValue,
};

use driftless_core::spec::config_rule::{ParameterValue, Remediation};

use crate::{AwsError, Clients};

/// DescribeRemediationConfigurations' limit on rule names per call.
const BATCH: usize = 25;

/// The remediation of each of `rules` that has one, by rule name.
pub async fn read(
    clients: &Clients,
    rules: &[String],
) -> Result<BTreeMap<String, Remediation>, AwsError> {
    let mut out = BTreeMap::new();
    for batch in rules.chunks(BATCH) {
        let answer = clients
            .config
            .describe_remediation_configurations()
            .set_config_rule_names(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| {
                AwsError::call(
                    clients,
                    "config",
                    "DescribeRemediationConfigurations",
                    None,
                    e,
                )
            })?;
        for r in answer.remediation_configurations() {
            out.insert(r.config_rule_name().to_string(), remediation(r));
        }
    }
    Ok(out)
}

fn remediation(r: &RemediationConfiguration) -> Remediation {
    let parameters = r
        .parameters()
        .into_iter()
        .flatten()
        .map(|(name, v)| {
            let value = ParameterValue {
                resource_value: v.resource_value().map(|rv| rv.value().as_str().to_string()),
                static_value: v.static_value().map(|s| s.values().to_vec()),
            };
            (name.clone(), value)
        })
        .collect();
    Remediation {
        target_id: r.target_id().to_string(),
        target_version: r.target_version().map(str::to_string),
        parameters,
        automatic: r.automatic(),
        maximum_automatic_attempts: r.maximum_automatic_attempts().map(|n| n as u32),
        retry_attempt_seconds: r.retry_attempt_seconds().map(|n| n as u64),
    }
}

/// PutRemediationConfigurations of `rule`'s remediation. The put replaces the whole
/// configuration: what the format does not model (ResourceType, ExecutionControls)
/// is read first (DescribeRemediationConfigurations) and sent back as AWS has it. AWS
/// answers a refused configuration in `FailedBatches`, not as an error: that is an
/// error here.
pub async fn put(clients: &Clients, rule: &str, r: &Remediation) -> Result<(), AwsError> {
    const OP: &str = "PutRemediationConfigurations";
    let err = |message: String| AwsError::Call {
        target: clients.target.clone(),
        service: "config",
        operation: OP,
        resource: Some(rule.to_string()),
        code: None,
        message,
    };
    let mut params = std::collections::HashMap::new();
    for (name, v) in &r.parameters {
        params.insert(name.clone(), parameter(v).map_err(|e| err(e.to_string()))?);
    }
    let live = clients
        .config
        .describe_remediation_configurations()
        .config_rule_names(rule)
        .send()
        .await
        .map_err(|e| {
            AwsError::call(
                clients,
                "config",
                "DescribeRemediationConfigurations",
                Some(rule),
                e,
            )
        })?;
    let live = live.remediation_configurations().first();
    let config = RemediationConfiguration::builder()
        .set_resource_type(live.and_then(|l| l.resource_type()).map(str::to_string))
        .set_execution_controls(live.and_then(|l| l.execution_controls()).cloned())
        .config_rule_name(rule)
        .target_type(RemediationTargetType::SsmDocument)
        .target_id(&r.target_id)
        .set_target_version(r.target_version.clone())
        .set_parameters(Some(params))
        .automatic(r.automatic)
        .set_maximum_automatic_attempts(r.maximum_automatic_attempts.map(|n| n as i32))
        .set_retry_attempt_seconds(r.retry_attempt_seconds.map(|n| n as i64))
        .build()
        .map_err(|e| err(e.to_string()))?;
    let answer = clients
        .config
        .put_remediation_configurations()
        .remediation_configurations(config)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "config", OP, Some(rule), e))?;
    match answer.failed_batches().first() {
        Some(failed) => Err(err(failed
            .failure_message()
            .unwrap_or("the configuration was refused")
            .to_string())),
        None => Ok(()),
    }
}

fn parameter(
    v: &ParameterValue,
) -> Result<RemediationParameterValue, aws_sdk_config::error::BuildError> {
    let resource = v
        .resource_value
        .as_ref()
        .map(|rv| {
            ResourceValue::builder()
                .value(ResourceValueType::from(rv.as_str()))
                .build()
        })
        .transpose()?;
    let fixed = v
        .static_value
        .as_ref()
        .map(|values| {
            StaticValue::builder()
                .set_values(Some(values.clone()))
                .build()
        })
        .transpose()?;
    Ok(RemediationParameterValue::builder()
        .set_resource_value(resource)
        .set_static_value(fixed)
        .build())
}

/// DeleteRemediationConfiguration; none left is done.
pub async fn delete(clients: &Clients, rule: &str) -> Result<(), AwsError> {
    match clients
        .config
        .delete_remediation_configuration()
        .config_rule_name(rule)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_remediation_configuration_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(AwsError::call(
            clients,
            "config",
            "DeleteRemediationConfiguration",
            Some(rule),
            e,
        )),
    }
}
