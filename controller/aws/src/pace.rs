//! Client-side pacing: every request to AWS waits for a token of its (target, service,
//! operation) bucket, refilled at AWS's published default rate for that operation
//! ([`RATES`]), so a large apply goes at the quota instead of into it (AWS throttles
//! per account, per Region and per operation).
//!
//! How: an interceptor ([`MarkOperation`]) marks each attempt's HTTP request with its
//! service and operation, and the HTTP client of every SDK client is wrapped in
//! [`PacedHttpClient`], whose connector reserves the next slot of the bucket and sleeps
//! until it before sending. Every attempt (retries and pages included) is paced; no
//! call is added, so reads keep their minimal page count. Operations not in the table
//! are not paced.
//!
//! The pure half is [`Bucket`] (a reservation token bucket) and [`rate`]; the figures
//! and their sources are those of the emulator's quota table (tests/emulator/README.md,
//! "Rate quotas").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// AWS's default requests per second per account and Region, by (service as botocore
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

/// A reservation token bucket: `reserve` takes the next token, possibly one not yet
/// refilled, and says how long to wait for it. Holding at most `burst` tokens (half
/// a second's worth, at least one) leaves the rest of AWS's bucket, which holds a
/// second's worth, as slack for requests that arrive closer together than they were
/// sent.
#[derive(Debug, Clone)]
pub struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: f64,
}

impl Bucket {
    /// A full bucket at time `now` (seconds).
    pub fn new(rate: f64, now: f64) -> Bucket {
        let burst = (rate / 2.0).floor().max(1.0);
        Bucket {
            rate,
            burst,
            tokens: burst,
            at: now,
        }
    }

    /// Takes a token at time `now` (seconds, never earlier than a previous call);
    /// returns the seconds to wait before using it.
    pub fn reserve(&mut self, now: f64) -> f64 {
        let now = now.max(self.at);
        self.tokens = (self.tokens + (now - self.at) * self.rate).min(self.burst);
        self.at = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            0.0
        } else {
            -self.tokens / self.rate
        }
    }
}

/// The buckets of one target's clients.
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Instant,
    buckets: Arc<Mutex<HashMap<(String, String), Bucket>>>,
}

impl Default for Pacer {
    fn default() -> Pacer {
        Pacer {
            start: Instant::now(),
            buckets: Arc::default(),
        }
    }
}

impl Pacer {
    /// How long a request of `service`/`operation` must wait for its slot (zero for an
    /// operation that is not paced).
    pub fn reserve(&self, service: &str, operation: &str) -> Duration {
        let Some(rate) = rate(service, operation) else {
            return Duration::ZERO;
        };
        let now = self.start.elapsed().as_secs_f64();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let wait = buckets
            .entry((service.to_string(), operation.to_string()))
            .or_insert_with(|| Bucket::new(rate, now))
            .reserve(now);
        Duration::from_secs_f64(wait)
    }
}

/// What [`MarkOperation`] attaches to each attempt's request.
#[derive(Debug, Clone)]
struct PaceKey {
    service: &'static str,
    operation: String,
}

/// The interceptor that tells the paced connector which operation a request is.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkOperation;

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
        if let Some(meta) = cfg.load::<Metadata>() {
            let service = known_service(service_name(meta.service()));
            if let Some(service) = service {
                context.request_mut().add_extension(PaceKey {
                    service,
                    operation: meta.name().to_string(),
                });
            }
        }
        Ok(())
    }
}

/// The service name as a static string, for the services driftless calls.
fn known_service(name: &str) -> Option<&'static str> {
    driftless_core::iam::CALLS
        .iter()
        .find(|c| c.service == name)
        .map(|c| c.service)
}

/// An HTTP client that paces every request marked by [`MarkOperation`].
#[derive(Debug, Clone)]
pub struct PacedHttpClient {
    inner: SharedHttpClient,
    pacer: Pacer,
}

impl PacedHttpClient {
    pub fn new(inner: SharedHttpClient, pacer: Pacer) -> PacedHttpClient {
        PacedHttpClient { inner, pacer }
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
            pacer: self.pacer.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Pacer,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let wait = request.extension::<PaceKey>().map_or(Duration::ZERO, |k| {
            self.pacer.reserve(k.service, &k.operation)
        });
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
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
    fn a_bucket_spaces_requests_at_its_rate_after_its_burst() {
        let mut b = Bucket::new(3.0, 0.0); // burst 1
        let waits: Vec<f64> = (0..4).map(|_| b.reserve(0.0)).collect();
        let expected = [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0];
        for (w, e) in waits.iter().zip(expected) {
            assert!((w - e).abs() < 1e-9, "{waits:?}");
        }
        // Idle time refills, but never past the burst.
        let mut b = Bucket::new(10.0, 0.0); // burst 5
        assert_eq!(b.burst, 5.0);
        for _ in 0..5 {
            assert_eq!(b.reserve(100.0), 0.0);
        }
        assert!((b.reserve(100.0) - 0.1).abs() < 1e-9);
        // A clock going backwards is read as no time passing.
        assert!(b.reserve(50.0) > 0.1);
    }

    #[test]
    fn n_requests_take_at_least_their_quota_time() {
        let mut b = Bucket::new(3.0, 0.0);
        let last = (0..300).map(|_| b.reserve(0.0)).fold(0.0, f64::max);
        // 300 at 3/s with one token to start: 299 intervals of 1/3 s.
        assert!((last - 299.0 / 3.0).abs() < 1e-6, "{last}");
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
