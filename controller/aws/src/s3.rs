//! The S3 state backend's calls: objects under one bucket and prefix, read, written
//! with conditions (`If-None-Match: *` to create only, `If-Match: <etag>` to replace
//! or delete only what was read) and listed. This is the only place that names
//! `aws_sdk_s3`; what the objects hold and when they are written is decided by
//! driftless-store's state backend.
//!
//! Calls: GetObject, PutObject, DeleteObject, ListObjectsV2 (one per 1,000 keys).

use aws_sdk_s3::primitives::ByteStream;
use aws_types::SdkConfig;

use super::{sdk_config, AwsError, AwsOptions};
use driftless_core::spec::config::TargetConfig;

/// The label errors carry in place of a target.
const LABEL: &str = "state";

/// A condition on a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Write whatever is there.
    None,
    /// Create only: fails when the key exists (`If-None-Match: *`).
    Absent,
    /// Replace (or delete) only the version with this ETag (`If-Match`).
    Matches(String),
}

/// What a conditional write found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Written; the new ETag (empty after a delete).
    Done(String),
    /// The condition did not hold (412 PreconditionFailed, 409
    /// ConditionalRequestConflict, or an `If-Match` on a key that is gone): someone
    /// else wrote first.
    Lost,
}

/// One object read: its body and ETag.
#[derive(Debug, Clone)]
pub struct Object {
    pub body: Vec<u8>,
    pub etag: String,
}

/// A bucket and the client that reaches it.
#[derive(Clone, Debug)]
pub struct StateBucket {
    client: aws_sdk_s3::Client,
    pub bucket: String,
}

impl StateBucket {
    /// A bucket from a ready SdkConfig (tests build one for the emulator). Path-style
    /// addressing when the config names an endpoint (an emulator has no per-bucket
    /// host names).
    pub fn from_sdk_config(bucket: &str, config: &SdkConfig) -> StateBucket {
        let conf = aws_sdk_s3::config::Builder::from(config)
            .interceptor(super::calls::CountCalls)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        StateBucket {
            client: aws_sdk_s3::Client::from_conf(conf),
            bucket: bucket.to_string(),
        }
    }

    /// A bucket reached through the default credential chain, in `region` (else the
    /// ambient one), with `role_arn` assumed when given.
    pub async fn connect(
        bucket: &str,
        region: Option<&str>,
        role_arn: Option<&str>,
        options: &AwsOptions,
    ) -> Result<StateBucket, AwsError> {
        let role = role_arn.map(|arn| TargetConfig {
            name: LABEL.into(),
            region: region.unwrap_or_default().to_string(),
            role_arn: Some(arn.to_string()),
            external_id: None,
            account_id: None,
        });
        let region = region.filter(|r| !r.is_empty());
        let config = sdk_config(LABEL, role.as_ref(), region, options).await?;
        Ok(StateBucket::from_sdk_config(bucket, &config))
    }

    fn err<E>(
        &self,
        operation: &'static str,
        key: &str,
        e: aws_sdk_s3::error::SdkError<E>,
    ) -> AwsError
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug + std::error::Error + 'static,
    {
        let resource = format!("s3://{}/{key}", self.bucket);
        AwsError::from_sdk(LABEL, "s3", operation, Some(&resource), e)
    }

    /// The object at `key`, `None` when there is none.
    pub async fn get(&self, key: &str) -> Result<Option<Object>, AwsError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(self.err("GetObject", key, e)),
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let body = out.body.collect().await.map_err(|e| AwsError::Call {
            target: LABEL.into(),
            service: "s3",
            operation: "GetObject",
            resource: Some(format!("s3://{}/{key}", self.bucket)),
            code: None,
            message: format!("reading the body: {e}"),
        })?;
        Ok(Some(Object {
            body: body.into_bytes().to_vec(),
            etag,
        }))
    }

    /// Writes `body` at `key` if `condition` holds.
    pub async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        condition: &Condition,
    ) -> Result<Written, AwsError> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body));
        req = match condition {
            Condition::None => req,
            Condition::Absent => req.if_none_match("*"),
            Condition::Matches(etag) => req.if_match(etag),
        };
        match req.send().await {
            Ok(out) => Ok(Written::Done(out.e_tag().unwrap_or_default().to_string())),
            Err(e) if lost(&e) => Ok(Written::Lost),
            Err(e) => Err(self.err("PutObject", key, e)),
        }
    }

    /// Deletes `key` if `condition` holds (a missing key is deleted already).
    pub async fn delete(&self, key: &str, condition: &Condition) -> Result<Written, AwsError> {
        let mut req = self.client.delete_object().bucket(&self.bucket).key(key);
        if let Condition::Matches(etag) = condition {
            req = req.if_match(etag);
        }
        match req.send().await {
            Ok(_) => Ok(Written::Done(String::new())),
            Err(e) if lost(&e) => Ok(Written::Lost),
            Err(e) => Err(self.err("DeleteObject", key, e)),
        }
    }

    /// Every key under `prefix`, in key order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, AwsError> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| self.err("ListObjectsV2", prefix, e))?;
            keys.extend(
                out.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
            token = out.next_continuation_token().map(str::to_string);
            if token.is_none() {
                return Ok(keys);
            }
        }
    }
}

/// Whether a write lost a race: 412 PreconditionFailed, 409 ConditionalRequestConflict
/// (AWS's answer to concurrent conditional writes: retry), or 404 NoSuchKey on an
/// `If-Match` (the object was deleted meanwhile).
fn lost<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    matches!(
        e.as_service_error().and_then(|s| s.code()),
        Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey")
    )
}
