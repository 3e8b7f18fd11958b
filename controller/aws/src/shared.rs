//! What every target of one process shares, so that 1,000 targets cost little more
//! than one: one HTTP client (one connection pool, one TLS configuration), the
//! ambient AWS configuration
//! (credential chain, endpoint, retry settings) loaded once, and credentials cached
//! per role (one assumed-role provider per role ARN and external id, whose credentials
//! the shared identity cache keeps until they expire).
//!
//! Before this, every target loaded its own configuration and built its own HTTP
//! client: its own pool, TLS context and certificate store (megabytes per target), and
//! its own connections, so an apply of 1,000 targets opened thousands of connections
//! at once. See docs/design/scale.md.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use aws_config::identity::IdentityCache;
use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::SdkConfig;

use super::AwsOptions;

/// The process's HTTP client: the SDK's default one (hyper, rustls), built once.
pub fn http_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT.get_or_init(super::pace::default_http_client).clone()
}

/// How many credential providers (the ambient one and one per role) the shared
/// identity cache keeps credentials for. The SDK's default is 64 partitions, evicted
/// at random beyond it: with 250 roles, a 1,000-target plan assumed roles 1,529 times
/// instead of 250. Bounded (a partition holds one set of credentials, about a
/// kilobyte); a process with more roles than this assumes some of them again.
pub const CREDENTIAL_CACHE_PARTITIONS: usize = 4096;

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
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .identity_cache(
            IdentityCache::lazy()
                .max_partitions(CREDENTIAL_CACHE_PARTITIONS)
                .build(),
        );
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
