//! Client-side pacing: every request to AWS takes a slot of its (account, Region,
//! service, operation) bucket, one bucket per process shared by every target of that
//! account and Region, and waits for it, so a large apply goes at the account's quota
//! instead of into it (AWS throttles per account, per Region and per operation).
//!
//! Each bucket starts at AWS's published default rate for its operation ([`RATES`]) and
//! adapts ([`driftless_core::pacing::AdaptiveRate`], the pure state machine): it grows
//! while requests wait for it and AWS does not throttle (an account with raised quotas
//! runs at its real rate) and backs off on a throttle (an account whose quota other
//! tools share is not hammered). See docs/design/pacing.md.
//!
//! How: the interceptor [`MarkOperation`] takes the slot before each attempt is sent
//! (retries and pages included; no call is added, so reads keep their minimal page
//! count) and reports the attempt's outcome after it; the HTTP client of every SDK
//! client is wrapped in [`PacedHttpClient`], whose connector sleeps for the slot's
//! wait (interceptors cannot wait), and takes a new slot when a throttle cut the
//! bucket's rate while it slept (the slot was spaced for the old rate). Operations not
//! in the table are not paced.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryReason,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::ErrorKind;
use aws_types::region::Region;
use driftless_core::pacing::{AdaptiveRate, Reservation};

/// AWS's published default requests per second per account and Region (where a
/// bucket starts), by (service as botocore
/// names it, operation). A flat table; see the module doc for the sources.
pub const RATES: &[(&str, &str, f64)] = &[
    ("cloudwatch", "DescribeAlarms", 9.0),
    ("cloudwatch", "PutMetricAlarm", 3.0),
    ("cloudwatch", "DeleteAlarms", 3.0),
    ("cloudwatch", "GetMetricData", 50.0),
    ("cloudwatch", "PutCompositeAlarm", 3.0),
    ("cloudwatch", "ListTagsForResource", 10.0),
    ("cloudwatch", "TagResource", 10.0),
    ("cloudwatch", "UntagResource", 10.0),
    ("logs", "DescribeLogGroups", 5.0),
    ("cloudtrail", "LookupEvents", 2.0),
];

/// Services whose operations share one chosen rate (no per-operation figure published
/// in the sources used): every operation driftless calls of them.
const SERVICE_RATES: &[(&str, f64)] = &[
    ("logs", 5.0),
    ("ssm", 10.0),
    ("backup", 10.0),
    ("resourcegroupstaggingapi", 10.0),
    ("sts", 20.0),
    ("sns", 30.0),
    ("config", 5.0),
    // The S3 state backend's calls (s3.rs, not paced: its own client); S3's published
    // rate per prefix, 3,500 writes a second (5,500 reads), for the table's sake.
    ("s3", 3500.0),
    // Organization discovery (organizations.rs, not paced: its own client, a few
    // calls per plan); a conservative chosen rate, for the table's sake.
    ("organizations", 5.0),
];

/// The rate of an operation driftless calls (`None`: not paced).
pub fn rate(service: &str, operation: &str) -> Option<f64> {
    driftless_core::iam::call(service, operation)?;
    RATES
        .iter()
        .find(|(s, o, _)| *s == service && *o == operation)
        .map(|(_, _, r)| *r)
        .or_else(|| {
            SERVICE_RATES
                .iter()
                .find(|(s, _)| *s == service)
                .map(|(_, r)| *r)
        })
}

/// The botocore name of an SDK service id (`Metadata::service`).
pub fn service_name(sdk_service: &str) -> &str {
    match sdk_service {
        "CloudWatch" => "cloudwatch",
        "CloudWatch Logs" => "logs",
        "SSM" => "ssm",
        "Backup" => "backup",
        "Resource Groups Tagging API" => "resourcegroupstaggingapi",
        "SNS" => "sns",
        "CloudTrail" => "cloudtrail",
        "STS" => "sts",
        other => other,
    }
}

/// The process-wide buckets: one per (account, Region, service, operation), shared
/// by every target and client of the process, on one monotonic clock.
struct Registry {
    start: Instant,
    buckets: Mutex<HashMap<BucketKey, AdaptiveRate>>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Registry {
    start: Instant::now(),
    buckets: Mutex::default(),
});

impl Registry {
    fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn with<T>(&self, key: &BucketKey, f: impl FnOnce(&mut AdaptiveRate, f64) -> T) -> Option<T> {
        let default = rate(key.service, &key.operation)?;
        let now = self.now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets
            .entry(key.clone())
            .or_insert_with(|| AdaptiveRate::new(default, now));
        Some(f(bucket, now))
    }
}

/// Whose quota a request counts against: AWS throttles per account, Region and
/// operation. The account is the target's (its `accountId`, else its role's account);
/// for a target that names neither, the access key the request is signed with stands
/// for it (the same credentials act in the same account).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketKey {
    pub account: Arc<str>,
    pub region: String,
    pub service: &'static str,
    pub operation: String,
}

/// The current rate (requests a second) and the ceiling found by the last throttle of
/// every bucket this process has used, for diagnostics and tests.
pub fn rates() -> Vec<(BucketKey, f64, Option<f64>)> {
    let buckets = REGISTRY.buckets.lock().unwrap_or_else(|e| e.into_inner());
    let mut all: Vec<_> = buckets
        .iter()
        .map(|(k, b)| (k.clone(), b.rate(), b.ceiling()))
        .collect();
    all.sort_by(|a, b| {
        (&a.0.account, &a.0.region, a.0.service, &a.0.operation).cmp(&(
            &b.0.account,
            &b.0.region,
            b.0.service,
            &b.0.operation,
        ))
    });
    all
}

/// What one attempt took from its bucket, kept in the attempt's config bag between
/// [`MarkOperation`]'s two hooks and in the request for the paced connector, which
/// takes the slot again when the bucket was cut while it waited.
#[derive(Debug, Clone)]
struct Slot {
    key: BucketKey,
    reservation: Arc<Mutex<Reservation>>,
}

impl Storable for Slot {
    type Storer = StoreReplace<Slot>;
}

/// Slots one request takes at most (each after a cut of its bucket while it waited):
/// a bound, not a figure reached (a bucket is cut at most once per episode).
const MAX_SLOTS: usize = 8;

impl Slot {
    fn reservation(&self) -> Reservation {
        *self.reservation.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the slot; when the bucket's rate was cut meanwhile, takes a new slot
    /// at the new rate and waits for that one.
    async fn wait(&self) {
        for _ in 0..MAX_SLOTS {
            let r = self.reservation();
            let due = r.at + r.wait - REGISTRY.now();
            if due > 0.0 {
                tokio::time::sleep(Duration::from_secs_f64(due)).await;
            }
            let again = REGISTRY.with(&self.key, |b, now| {
                (!b.is_current(&r)).then(|| b.reserve(now))
            });
            match again.flatten() {
                Some(next) => *self.reservation.lock().unwrap_or_else(|e| e.into_inner()) = next,
                None => return,
            }
        }
    }
}

/// The interceptor that paces every attempt: before transmit it takes a slot of the
/// attempt's bucket and tells the paced connector how long to wait for it; after the
/// attempt it reports a success or a throttle (as the client's own retry classifiers
/// judge it) to the bucket.
#[derive(Debug, Clone, Default)]
pub struct MarkOperation {
    account: Option<Arc<str>>,
}

impl MarkOperation {
    /// The interceptor of the clients of a target in `account` (`None`: the account
    /// is not known before the first call; the signing access key stands for it).
    pub fn new(account: Option<&str>) -> MarkOperation {
        MarkOperation {
            account: account.map(Arc::from),
        }
    }

    fn key(&self, request: &HttpRequest, cfg: &ConfigBag) -> Option<BucketKey> {
        let meta = cfg.load::<Metadata>()?;
        let service = known_service(service_name(meta.service()))?;
        let (access_key, scope_region) = credential_scope(request);
        let account = self
            .account
            .clone()
            .or_else(|| access_key.map(Arc::from))
            .unwrap_or_else(|| Arc::from(""));
        let region = cfg
            .load::<Region>()
            .map(|r| r.to_string())
            .or(scope_region.map(str::to_string))
            .unwrap_or_default();
        Some(BucketKey {
            account,
            region,
            service,
            operation: meta.name().to_string(),
        })
    }
}

/// The access key and Region of a SigV4 `Authorization` header's credential scope
/// (`Credential=AKID/20260101/us-east-1/monitoring/aws4_request`).
fn credential_scope(request: &HttpRequest) -> (Option<&str>, Option<&str>) {
    let Some(auth) = request.headers().get("authorization") else {
        return (None, None);
    };
    let Some((_, rest)) = auth.split_once("Credential=") else {
        return (None, None);
    };
    let mut parts = rest.split(['/', ',']);
    let key = parts.next().filter(|k| !k.is_empty());
    let region = parts.nth(1).filter(|r| !r.is_empty());
    (key, region)
}

impl Intercept for MarkOperation {
    fn name(&self) -> &'static str {
        "driftless::MarkOperation"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(key) = self.key(context.request(), cfg) else {
            return Ok(());
        };
        if let Some(reservation) = REGISTRY.with(&key, |b, now| b.reserve(now)) {
            let slot = Slot {
                key,
                reservation: Arc::new(Mutex::new(reservation)),
            };
            context.request_mut().add_extension(slot.clone());
            cfg.interceptor_state().store_put(slot);
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(slot) = cfg.load::<Slot>().cloned() else {
            return Ok(());
        };
        let ctx = context.inner();
        let outcome = match ctx.output_or_error() {
            Some(Ok(_)) => Some(true),
            Some(Err(_)) if is_throttle(ctx, runtime_components) => Some(false),
            _ => None,
        };
        if let Some(ok) = outcome {
            let reservation = slot.reservation();
            REGISTRY.with(&slot.key, |b, now| {
                if ok {
                    b.succeeded(reservation, now)
                } else {
                    b.throttled(reservation, now)
                }
            });
        }
        Ok(())
    }
}

/// Whether an attempt's error is AWS saying "slow down": HTTP 429, or what the
/// client's retry classifiers (the SDK's own, which know every service's throttling
/// codes) call a throttling error.
fn is_throttle(ctx: &InterceptorContext, components: &RuntimeComponents) -> bool {
    if ctx.response().is_some_and(|r| r.status().as_u16() == 429) {
        return true;
    }
    let mut action = RetryAction::NoActionIndicated;
    for classifier in components.retry_classifiers() {
        let next = classifier.classify_retry(ctx);
        if next == RetryAction::NoActionIndicated {
            continue;
        }
        action = next;
        if action == RetryAction::RetryForbidden {
            break;
        }
    }
    matches!(
        action,
        RetryAction::RetryIndicated(RetryReason::RetryableError {
            kind: ErrorKind::ThrottlingError,
            ..
        })
    )
}

/// The service name as a static string, for the services driftless calls.
fn known_service(name: &str) -> Option<&'static str> {
    driftless_core::iam::CALLS
        .iter()
        .find(|c| c.service == name)
        .map(|c| c.service)
}

/// An HTTP client that sleeps before every request for the slot [`MarkOperation`]
/// reserved (taken again after a cut). Stateless: the buckets are the process's
/// ([`rates`]).
#[derive(Debug, Clone)]
pub struct PacedHttpClient {
    inner: SharedHttpClient,
}

impl PacedHttpClient {
    pub fn new(inner: SharedHttpClient) -> PacedHttpClient {
        PacedHttpClient { inner }
    }
}

impl HttpClient for PacedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let slot = request.extension::<Slot>().cloned();
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            if let Some(slot) = slot {
                slot.wait().await;
            }
            inner.call(request).await
        })
    }
}

/// The SDK's default HTTPS client (hyper 1.x, rustls with aws-lc, proxies from the
/// environment), for configurations that do not bring their own, so that it can be
/// wrapped in [`PacedHttpClient`].
pub fn default_http_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut conn =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_scope_names_the_access_key_and_region() {
        let mut request = HttpRequest::empty();
        request.headers_mut().insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=123456789012/20260101/eu-west-1/monitoring/aws4_request, SignedHeaders=host, Signature=abc",
        );
        assert_eq!(
            credential_scope(&request),
            (Some("123456789012"), Some("eu-west-1"))
        );
        assert_eq!(credential_scope(&HttpRequest::empty()), (None, None));
    }

    #[test]
    fn every_call_driftless_makes_has_a_rate_and_published_ones_win() {
        for c in driftless_core::iam::CALLS {
            assert!(
                rate(c.service, c.operation).is_some(),
                "{}.{} has no rate",
                c.service,
                c.operation
            );
        }
        assert_eq!(rate("cloudwatch", "PutMetricAlarm"), Some(3.0));
        assert_eq!(rate("cloudwatch", "DescribeAlarms"), Some(9.0));
        assert_eq!(rate("logs", "DescribeLogGroups"), Some(5.0));
        assert_eq!(rate("cloudtrail", "LookupEvents"), Some(2.0));
        assert_eq!(rate("cloudwatch", "GetMetricData"), Some(50.0));
        assert_eq!(rate("cloudwatch", "PutMetricData"), None);
        assert_eq!(service_name("CloudWatch Logs"), "logs");
    }
}
