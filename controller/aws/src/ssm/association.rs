//! SSM State Manager associations: the reader (into `AssociationSpec`) and the writes
//! (CreateAssociation with its tags, UpdateAssociation as a read-modify-write,
//! DeleteAssociation). Tags go through [`super::retag`] with `TagTarget::Association`.
//!
//! Calls per plan (A_all = associations in the region, A_sel = those named by the
//! desired state or owned, A_unowned = selected and not in `owned`):
//!
//! ```text
//! read_associations:
//!   ListAssociations                       max(1, ceil(A_all / 50))
//!   DescribeAssociation                    A_sel
//!   ListTagsForResource (Association)      A_unowned
//! ```
//!
//! ListAssociations carries neither the parameters nor the limits, severity or output
//! location, hence one DescribeAssociation per selected association (at most
//! [`super::IN_FLIGHT`] at a time). Associations without a name are never selected:
//! the format names resources, and such an association can only be someone else's.
//!
//! UpdateAssociation "overwrites the association with null values" for every optional
//! member a request leaves out (UpdateAssociation API reference), so an update first
//! reads the association (DescribeAssociation) and sends back, unchanged, every
//! member the format has no field for (calendars, target locations and maps, the
//! schedule offset and duration, alarms, the automation target parameter, the
//! dispatch role), with the version it read as `AssociationVersion`: a change made
//! in between makes AWS refuse the update instead of losing it.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ssm::operation::update_association::builders::UpdateAssociationFluentBuilder;
use aws_sdk_ssm::types::{
    Association, AssociationComplianceSeverity, AssociationDescription, AssociationSyncCompliance,
    InstanceAssociationOutputLocation, ResourceTypeForTagging, S3OutputLocation, Target,
};

use super::write::{built, code, ssm_tags, wire};
use super::{by_id, from_wire, in_parallel, tags_unless_owned, Tags};
use crate::{AwsError, Clients};
use driftless_core::live::Live;
use driftless_core::spec::association::{AssociationTarget, OutputLocation};
use driftless_core::spec::AssociationSpec;

/// Associations named in `names` or owned (`owned`: ARN → tags).
pub async fn read_associations(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, Tags>,
) -> Result<Vec<Live<AssociationSpec>>, AwsError> {
    read(clients, names, owned, false).await
}

/// Every named association of the region (`driftless audit`, `import`); tags from
/// `tagged`, else one tag call each.
pub async fn read_every_association(
    clients: &Clients,
    tagged: &BTreeMap<String, Tags>,
) -> Result<Vec<Live<AssociationSpec>>, AwsError> {
    read(clients, &BTreeSet::new(), tagged, true).await
}

async fn read(
    clients: &Clients,
    names: &BTreeSet<String>,
    owned: &BTreeMap<String, Tags>,
    every: bool,
) -> Result<Vec<Live<AssociationSpec>>, AwsError> {
    let owned = by_id(owned, ":association/");
    let selected: Vec<Association> = list(clients)
        .await?
        .into_iter()
        .filter(|a| {
            a.association_name()
                .is_some_and(|n| every || names.contains(n))
                || a.association_id().is_some_and(|id| owned.contains_key(id))
        })
        .filter(|a| a.association_name().is_some())
        .collect();
    in_parallel(selected, |a| {
        let clients = clients.clone();
        let id = a.association_id().unwrap_or_default().to_string();
        let owned = owned
            .get(id.as_str())
            .map(|&(arn, tags)| (arn.clone(), tags.clone()));
        async move {
            let got = describe(&clients, &id).await?;
            let tags =
                tags_unless_owned(&clients, &owned, ResourceTypeForTagging::Association, &id)
                    .await?;
            Ok(live(&got, tags, owned.map(|(arn, _)| arn)))
        }
    })
    .await
}

/// ListAssociations, every page.
async fn list(clients: &Clients) -> Result<Vec<Association>, AwsError> {
    let mut pages = clients
        .ssm
        .list_associations()
        .max_results(50)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::call(clients, "ssm", "ListAssociations", None, e))?;
        out.extend(page.associations().iter().cloned());
    }
    Ok(out)
}

async fn describe(clients: &Clients, id: &str) -> Result<AssociationDescription, AwsError> {
    let out = clients
        .ssm
        .describe_association()
        .association_id(id)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", "DescribeAssociation", Some(id), e))?;
    Ok(out
        .association_description
        .unwrap_or_else(|| AssociationDescription::builder().build()))
}

/// DescribeAssociation's answer as a live spec.
fn live(got: &AssociationDescription, tags: Tags, arn: Option<String>) -> Live<AssociationSpec> {
    let s3 = got.output_location().and_then(|o| o.s3_location());
    let spec = AssociationSpec {
        document: got.name().unwrap_or_default().to_string(),
        document_version: got.document_version().map(str::to_string),
        parameters: got
            .parameters()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        targets: got
            .targets()
            .iter()
            .map(|t| AssociationTarget {
                key: t.key().unwrap_or_default().to_string(),
                values: t.values().to_vec(),
            })
            .collect(),
        schedule_expression: got.schedule_expression().map(str::to_string),
        apply_only_at_cron_interval: got.apply_only_at_cron_interval(),
        compliance_severity: got
            .compliance_severity()
            .and_then(|s| from_wire(s.as_str())),
        max_concurrency: got.max_concurrency().map(str::to_string),
        max_errors: got.max_errors().map(str::to_string),
        output_location: s3.and_then(|s| {
            Some(OutputLocation {
                bucket: s.output_s3_bucket_name()?.to_string(),
                key_prefix: s.output_s3_key_prefix().map(str::to_string),
                region: s.output_s3_region().map(str::to_string),
            })
        }),
        sync_compliance: got.sync_compliance().and_then(|s| from_wire(s.as_str())),
        tags,
    };
    Live {
        name: got.association_name().unwrap_or_default().to_string(),
        spec,
        arn,
        id: got.association_id().map(str::to_string),
        sub_ids: BTreeMap::new(),
        tags_known: true,
        unrepresented: unrepresented(got),
    }
}

/// The settings the format has no field for that this association has (every update
/// keeps them as they are).
fn unrepresented(got: &AssociationDescription) -> Vec<String> {
    [
        ("calendarNames", !got.calendar_names().is_empty()),
        ("targetLocations", !got.target_locations().is_empty()),
        ("targetMaps", !got.target_maps().is_empty()),
        ("scheduleOffset", got.schedule_offset().is_some()),
        ("duration", got.duration().is_some()),
        ("alarmConfiguration", got.alarm_configuration().is_some()),
        (
            "automationTargetParameterName",
            got.automation_target_parameter_name().is_some(),
        ),
        (
            "associationDispatchAssumeRole",
            got.association_dispatch_assume_role().is_some(),
        ),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(field, _)| field.to_string())
    .collect()
}

fn targets(spec: &AssociationSpec) -> Vec<Target> {
    spec.targets
        .iter()
        .map(|t| {
            Target::builder()
                .key(&t.key)
                .set_values(Some(t.values.clone()))
                .build()
        })
        .collect()
}

fn output_location(spec: &AssociationSpec) -> Option<InstanceAssociationOutputLocation> {
    let o = spec.output_location.as_ref()?;
    let s3 = S3OutputLocation::builder()
        .output_s3_bucket_name(&o.bucket)
        .set_output_s3_key_prefix(o.key_prefix.clone())
        .set_output_s3_region(o.region.clone())
        .build();
    Some(
        InstanceAssociationOutputLocation::builder()
            .s3_location(s3)
            .build(),
    )
}

fn parameters(spec: &AssociationSpec) -> Option<std::collections::HashMap<String, Vec<String>>> {
    (!spec.parameters.is_empty()).then(|| spec.parameters.clone().into_iter().collect())
}

/// The request with every member the spec sets (CreateAssociation and UpdateAssociation
/// share them; their builders are different types).
macro_rules! with_spec {
    ($request:expr, $spec:expr) => {{
        let spec: &AssociationSpec = $spec;
        $request
            .name(&spec.document)
            .set_document_version(spec.document_version.clone())
            .set_parameters(parameters(spec))
            .set_targets(Some(targets(spec)))
            .set_schedule_expression(spec.schedule_expression.clone())
            .apply_only_at_cron_interval(spec.apply_only_at_cron_interval)
            .set_compliance_severity(
                spec.compliance_severity
                    .as_ref()
                    .map(wire::<AssociationComplianceSeverity>),
            )
            .set_max_concurrency(spec.max_concurrency.clone())
            .set_max_errors(spec.max_errors.clone())
            .set_output_location(output_location(spec))
            .set_sync_compliance(
                spec.sync_compliance
                    .as_ref()
                    .map(wire::<AssociationSyncCompliance>),
            )
    }};
}

/// CreateAssociation with its tags; returns the association id.
///
/// CreateAssociation has no idempotency token, and AWS refuses a second association
/// only for the same document on the same instance id (AssociationAlreadyExists),
/// never for a name and targets: a create the SDK sends again after its answer was
/// lost makes a second association of the name. So it is sent with the SDK's retries
/// off and retried here, up to the client's attempts: after a failure the request may
/// have been served in (no answer, a timeout, a 5xx, throttling), the association of
/// the name carrying `tags`' ownership tag is looked for first
/// ([`created_before`]) and, found, is the create that was lost (the plan creates only
/// when this instance owns no association of the name).
pub async fn create_association(
    clients: &Clients,
    name: &str,
    spec: &AssociationSpec,
    tags: &BTreeMap<String, String>,
) -> Result<String, AwsError> {
    const OP: &str = "CreateAssociation";
    let attempts = clients
        .ssm
        .config()
        .retry_config()
        .map_or(3, |r| r.max_attempts());
    let once = aws_sdk_ssm::config::Builder::default()
        .retry_config(aws_sdk_ssm::config::retry::RetryConfig::disabled());
    let mut attempt = 1;
    loop {
        let request = clients.ssm.create_association().association_name(name);
        let sent = with_spec!(request, spec)
            .set_tags(Some(ssm_tags(clients, OP, tags)?).filter(|t| !t.is_empty()))
            .customize()
            .config_override(once.clone())
            .send()
            .await;
        let e = match sent {
            Ok(out) => {
                return Ok(out
                    .association_description()
                    .and_then(|d| d.association_id())
                    .unwrap_or_default()
                    .to_string())
            }
            Err(e) => e,
        };
        if attempt >= attempts || !maybe_served(&e) {
            return Err(AwsError::call(clients, "ssm", OP, Some(name), e));
        }
        if let Some(id) = created_before(clients, name, tags).await? {
            return Ok(id);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
        attempt += 1;
    }
}

/// Whether a failed request may have been served, or may succeed when sent again:
/// no answer (a dropped connection, a timeout, an unreadable answer), a 5xx or
/// throttling. A refusal of the request itself is final.
fn maybe_served<E: aws_sdk_ssm::error::ProvideErrorMetadata>(
    e: &aws_sdk_ssm::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> bool {
    use aws_sdk_ssm::error::SdkError;
    match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(s) => {
            s.raw().status().is_server_error()
                || matches!(s.err().code(), Some("ThrottlingException" | "Throttling"))
        }
        _ => false,
    }
}

/// The id of the association named `name` whose ownership tag is `tags`' (the
/// create's own), if one exists: ListAssociations filtered by name, then
/// ListTagsForResource of each (associations of one name are few).
async fn created_before(
    clients: &Clients,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<Option<String>, AwsError> {
    use driftless_core::spec::context::OWNERSHIP_TAG;
    let Some(owner) = tags.get(OWNERSHIP_TAG) else {
        return Ok(None);
    };
    let filter = aws_sdk_ssm::types::AssociationFilter::builder()
        .key(aws_sdk_ssm::types::AssociationFilterKey::AssociationName)
        .value(name)
        .build();
    let filter = built(clients, "ListAssociations", filter)?;
    let mut pages = clients
        .ssm
        .list_associations()
        .association_filter_list(filter)
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| AwsError::call(clients, "ssm", "ListAssociations", Some(name), e))?;
        for a in page.associations() {
            let Some(id) = a
                .association_id()
                .filter(|_| a.association_name() == Some(name))
            else {
                continue;
            };
            let found = super::list_tags(clients, ResourceTypeForTagging::Association, id).await?;
            if found.get(OWNERSHIP_TAG) == Some(owner) {
                return Ok(Some(id.to_string()));
            }
        }
    }
    Ok(None)
}

/// UpdateAssociation of `id` to `spec`, every setting the format does not model sent
/// back as DescribeAssociation has it (module doc).
pub async fn update_association(
    clients: &Clients,
    id: &str,
    name: &str,
    spec: &AssociationSpec,
) -> Result<(), AwsError> {
    const OP: &str = "UpdateAssociation";
    let now = describe(clients, id).await?;
    let request = clients
        .ssm
        .update_association()
        .association_id(id)
        .association_name(name);
    carried(with_spec!(request, spec), &now)
        .send()
        .await
        .map_err(|e| AwsError::call(clients, "ssm", OP, Some(name), e))?;
    Ok(())
}

/// The update with the members the format has no field for, as they are.
fn carried(
    request: UpdateAssociationFluentBuilder,
    now: &AssociationDescription,
) -> UpdateAssociationFluentBuilder {
    let list = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
    request
        .set_association_version(now.association_version().map(str::to_string))
        .set_calendar_names(list(now.calendar_names()))
        .set_target_locations(
            (!now.target_locations().is_empty()).then(|| now.target_locations().to_vec()),
        )
        .set_target_maps((!now.target_maps().is_empty()).then(|| now.target_maps().to_vec()))
        .set_schedule_offset(now.schedule_offset())
        .set_duration(now.duration())
        .set_alarm_configuration(now.alarm_configuration().cloned())
        .set_automation_target_parameter_name(
            now.automation_target_parameter_name().map(str::to_string),
        )
        .set_association_dispatch_assume_role(
            now.association_dispatch_assume_role().map(str::to_string),
        )
}

/// DeleteAssociation; one that no longer exists counts as deleted.
pub async fn delete_association(clients: &Clients, id: &str) -> Result<(), AwsError> {
    let sent = clients
        .ssm
        .delete_association()
        .association_id(id)
        .send()
        .await;
    match sent {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some("AssociationDoesNotExist") => Ok(()),
        Err(e) => Err(AwsError::call(
            clients,
            "ssm",
            "DeleteAssociation",
            Some(id),
            e,
        )),
    }
}
