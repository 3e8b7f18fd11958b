//! What every target of one process shares, so that 1,000 targets cost little more
//! than one: one HTTP client (one connection pool, one TLS configuration) with a bound
//! on the requests in flight ([`MAX_IN_FLIGHT`]), the ambient AWS configuration
//! (credential chain, endpoint, retry settings) loaded once, and credentials cached
//! per role (one assumed-role provider per role ARN and external id, whose credentials
//! the shared identity cache keeps until they expire).
//!
//! Before this, every target loaded its own configuration and built its own HTTP
//! client: its own pool, TLS context and certificate store (megabytes per target), and
//! its own connections, so an apply of 1,000 targets opened thousands of connections
//! at once. See docs/design/scale.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_types::SdkConfig;
use tokio::sync::Semaphore;

use super::AwsOptions;

/// HTTP requests in flight at once, over every target and service of the process
/// (requests waiting for their pacing slot do not count). It also bounds the
/// connections the pool opens, idle ones included: a connection is opened only for a
/// request in flight that finds none idle.
pub const MAX_IN_FLIGHT: usize = 32;

/// The process's HTTP client: the SDK's default one (hyper, rustls), built once and
/// bounded by [`MAX_IN_FLIGHT`].
pub fn http_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            SharedHttpClient::new(BoundedHttpClient {
                inner: super::pace::default_http_client(),
                limit: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            })
        })
        .clone()
}

/// An HTTP client whose requests wait for one of a fixed number of permits.
#[derive(Debug, Clone)]
struct BoundedHttpClient {
    inner: SharedHttpClient,
    limit: Arc<Semaphore>,
}

impl HttpClient for BoundedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(BoundedConnector {
            inner: self.inner.http_connector(settings, components),
            limit: self.limit.clone(),
        })
    }
}

#[derive(Debug)]
struct BoundedConnector {
    inner: SharedHttpConnector,
    limit: Arc<Semaphore>,
}

impl HttpConnector for BoundedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let limit = self.limit.clone();
        HttpConnectorFuture::new(async move {
            // The semaphore is never closed, so acquiring cannot fail; if it ever did,
            // the request goes unbounded rather than failing.
            let _permit = limit.acquire_owned().await.ok();
            inner.call(request).await
        })
    }
}

/// The options that make two loaded configurations differ.
type OptionsKey = (Option<String>, Option<u32>, bool);

fn key(options: &AwsOptions) -> OptionsKey {
    (
        options.endpoint_url.clone(),
        options.max_attempts,
        options.adaptive_retry,
    )
}

/// The ambient configuration (aws-config's default chain: environment, profile, web
/// identity, container, instance), `--endpoint-url` and the retry settings, loaded
/// once per process and options; every target's configuration is derived from it.
pub async fn base_config(options: &AwsOptions) -> SdkConfig {
    static BASES: tokio::sync::Mutex<Vec<(OptionsKey, SdkConfig)>> =
        tokio::sync::Mutex::const_new(Vec::new());
    let key = key(options);
    let mut bases = BASES.lock().await;
    if let Some((_, config)) = bases.iter().find(|(k, _)| *k == key) {
        return config.clone();
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client());
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url.clone());
    }
    let retry = if options.adaptive_retry {
        RetryConfig::adaptive()
    } else {
        RetryConfig::standard()
    };
    loader = loader.retry_config(retry.with_max_attempts(options.max_attempts.unwrap_or(5)));
    let config = loader.load().await;
    bases.push((key, config.clone()));
    config
}

/// Which role, assumed how, under which options.
type RoleKey = (String, Option<String>, OptionsKey);

/// The credentials of `role` (with `external_id`), assumed with `config`'s credentials:
/// one provider per role, external id and options in the process, so every target
/// assuming the same role shares one identity-cache entry and one AssumeRole call
/// per expiry.
pub async fn role_credentials(
    role: &str,
    external_id: Option<&str>,
    config: &SdkConfig,
    options: &AwsOptions,
) -> SharedCredentialsProvider {
    static ROLES: Mutex<Option<HashMap<RoleKey, SharedCredentialsProvider>>> = Mutex::new(None);
    let key: RoleKey = (
        role.to_string(),
        external_id.map(str::to_string),
        key(options),
    );
    let cached = ROLES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .get(&key)
        .cloned();
    if let Some(provider) = cached {
        return provider;
    }
    let mut builder = aws_config::sts::AssumeRoleProvider::builder(role)
        .session_name("driftless")
        .configure(config);
    if let Some(ext) = external_id {
        builder = builder.external_id(ext);
    }
    let provider = SharedCredentialsProvider::new(builder.build().await);
    // Two targets racing for the same role keep the first provider.
    ROLES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .entry(key)
        .or_insert(provider)
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::identity::ResolveIdentity;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_types::body::SdkBody;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A connector that answers 200 after a moment and records the most calls it
    /// ever had in flight at once.
    #[derive(Debug, Default)]
    struct Counting {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    #[derive(Debug, Clone)]
    struct CountingConnector(Arc<Counting>);

    impl HttpConnector for CountingConnector {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let c = self.0.clone();
            HttpConnectorFuture::new(async move {
                let now = c.now.fetch_add(1, Ordering::SeqCst) + 1;
                c.most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                c.now.fetch_sub(1, Ordering::SeqCst);
                Ok(HttpResponse::new(200.try_into().unwrap(), SdkBody::empty()))
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_in_flight_never_exceed_the_bound() {
        let counting = Arc::new(Counting::default());
        let bounded = Arc::new(BoundedConnector {
            inner: SharedHttpConnector::new(CountingConnector(counting.clone())),
            limit: Arc::new(Semaphore::new(4)),
        });
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..64 {
            let bounded = bounded.clone();
            tasks.spawn(async move {
                let request = HttpRequest::get("http://127.0.0.1:1/").unwrap();
                bounded.call(request).await.map(|r| r.status().as_u16())
            });
        }
        let mut answered = 0;
        while let Some(joined) = tasks.join_next().await {
            assert_eq!(joined.unwrap().unwrap(), 200);
            answered += 1;
        }
        assert_eq!(answered, 64);
        assert_eq!(counting.most.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn one_credentials_provider_per_role_and_external_id() {
        let options = AwsOptions {
            endpoint_url: Some("http://127.0.0.1:1".into()),
            ..AwsOptions::default()
        };
        let config = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .build();
        let role = "arn:aws:iam::111111111111:role/ops";
        let a = role_credentials(role, None, &config, &options).await;
        let b = role_credentials(role, None, &config, &options).await;
        let c = role_credentials(role, Some("x"), &config, &options).await;
        let d = role_credentials("arn:aws:iam::222222222222:role/ops", None, &config, &options).await;
        // One identity-cache partition: the SDK caches one set of credentials for both.
        assert_eq!(a.cache_partition(), b.cache_partition());
        assert_ne!(a.cache_partition(), c.cache_partition());
        assert_ne!(a.cache_partition(), d.cache_partition());
    }
}
