//! `driftless run`: the controller. Resolves the shard, the webhook secret and the
//! admin token, then either one pass (`--once`, its result printed) or the scheduler
//! and the HTTP server until SIGTERM.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{wait_for_shutdown, CliError, CliResult, SourceArgs};
use crate::aws::AwsOptions;
use crate::controller::http::Shared;
use crate::controller::run::{Reconciler, RunOptions, StateChoice};
use crate::controller::scheduler::{self, Schedule};
use crate::controller::shard::Shard;
use crate::controller::ui::Ui;
use crate::engine::PlanRequest;

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// How often to poll the source (30s, 1m, 1h).
    #[arg(long, default_value = "1m", value_parser = parse_duration)]
    pub interval: Duration,
    /// How often to re-reconcile an unchanged revision (drift correction).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub resync: Duration,
    /// One fetch and one reconcile of every target, then exit (0 when all converged).
    #[arg(long)]
    pub once: bool,
    /// How long a reconcile waits for another writer's lock on its target (`0s`: the
    /// target is retried later, as a transient condition).
    #[arg(long, default_value = "0s", value_parser = super::apply::parse_wait)]
    pub lock_timeout: Duration,
    /// How long reconciles are kept in the history (`90d`, `12w`; `0`: forever);
    /// older ones are deleted as history is written (at most every 10 minutes).
    #[arg(long, default_value = "90d", value_parser = super::apply::parse_retention)]
    pub history_retention: super::apply::Retention,
    /// `report`: detect and report drift, never write it back.
    #[arg(long, value_enum, default_value_t = DriftPolicyArg::Correct)]
    pub drift_policy: DriftPolicyArg,
    /// Delete owned resources that left the repository.
    #[arg(long)]
    pub prune: bool,
    /// Most deletes per target per reconcile (default: driftless.yaml maxDeletes, else 10).
    #[arg(long)]
    pub max_deletes: Option<u32>,
    /// Allow deleting vaults with recovery points and log groups holding events.
    #[arg(long)]
    pub allow_data_loss: bool,
    /// Where to serve the webhook, status, health and metrics endpoints.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub listen: std::net::SocketAddr,
    /// A file holding the webhook secret (else DRIFTLESS_WEBHOOK_SECRET; neither: webhooks off).
    #[arg(long)]
    pub webhook_secret_file: Option<PathBuf>,
    /// A file holding the bearer token of POST /suspend and /resume (else
    /// DRIFTLESS_ADMIN_TOKEN; neither: those endpoints are disabled).
    #[arg(long)]
    pub admin_token_file: Option<PathBuf>,
    /// Plan and report, write nothing (also `suspend: true` in driftless.yaml, and
    /// `POST /suspend`).
    #[arg(long)]
    pub suspend: bool,
    /// Split the targets between N processes: each reconciles only its shard's.
    #[arg(long, env = "DRIFTLESS_SHARD_COUNT", allow_negative_numbers = true)]
    pub shard_count: Option<String>,
    /// This process's shard, 0 to N-1 (default: the host name's `-<ordinal>`, as a
    /// StatefulSet pod's).
    #[arg(long, env = "DRIFTLESS_SHARD_INDEX", allow_negative_numbers = true)]
    pub shard_index: Option<String>,
    /// Serve the read-only dashboard at `GET /` (`--ui=false`: off).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub ui: bool,
    /// A file holding the dashboard's viewer token (else DRIFTLESS_UI_TOKEN; neither:
    /// the dashboard is open to whoever reaches the listener).
    #[arg(long)]
    pub ui_token_file: Option<PathBuf>,
    /// `/metrics` labels series by target while this process has at most N targets;
    /// above, those families are summed over targets under the same names (bounded
    /// cardinality). Raise it to have per-target series for more targets.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub metrics_per_target: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftPolicyArg {
    Correct,
    Report,
}

/// The longest `--interval` or `--resync`.
const MAX_DURATION_SECS: u64 = 30 * 86400;

/// How long SIGTERM waits for the calls in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// `30s`, `5m`, `1h`, `2d` (or plain seconds), from 1 s to 30 days.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30s, 5m or 1h"))?;
    let unit_secs: u64 = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("`{text}`: unknown unit `{unit}`; use s, m, h or d")),
    };
    let seconds = n
        .checked_mul(unit_secs)
        .filter(|s| *s <= MAX_DURATION_SECS)
        .ok_or_else(|| format!("`{text}` is longer than 30 days; use at most 30d"))?;
    if seconds == 0 {
        return Err("the duration must be at least 1s".into());
    }
    Ok(Duration::from_secs(seconds))
}

/// A secret from `file` (trimmed), else from the variable `var`; `None` when neither
/// gives a non-empty value.
fn read_secret(file: Option<&Path>, var: &str, what: &str) -> Result<Option<Vec<u8>>, CliError> {
    let value = match file {
        Some(file) => std::fs::read_to_string(file)
            .map_err(CliError::io(format!("reading {what} {}", file.display())))?
            .trim()
            .to_string(),
        None => std::env::var(var).unwrap_or_default(),
    };
    Ok((!value.is_empty()).then(|| value.into_bytes()))
}

/// This host's name: `HOSTNAME` (set in every Kubernetes container), else the kernel's.
fn hostname() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
}

pub async fn run(args: &RunArgs) -> CliResult {
    let shard = match Shard::resolve(
        args.shard_index.as_deref(),
        args.shard_count.as_deref(),
        hostname().as_deref(),
    ) {
        Ok(shard) => shard,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("  hint: {}", e.hint());
            return Ok(ExitCode::from(1));
        }
    };
    if shard.is_sharded() {
        tracing::info!(
            index = shard.index,
            count = shard.count,
            "sharded: reconciling only this shard's targets"
        );
    }
    let state = Arc::new(StateChoice::new(select_state(args)));
    let shared = Arc::new(shared_state(args, state.clone())?);
    let cancel = crate::apply::Cancel::default();
    let reconciler = Arc::new(Reconciler::new(
        run_options(args, shard, state),
        shared.clone(),
        cancel.clone(),
    ));
    if args.once {
        let results = scheduler::once(reconciler.clone()).await;
        return Ok(print_once(&shared, shard, !results.is_empty()));
    }
    serve(args, reconciler, shared, cancel).await
}

/// How the controller opens its backend once it knows driftless.yaml's `state:`.
fn select_state(args: &RunArgs) -> crate::controller::run::Select {
    let flag = args.source.state.clone();
    let dir = args.source.state_dir.clone();
    let endpoint = args.source.endpoint_url.clone();
    let retention = args.history_retention.0;
    Box::new(move |config| {
        let (flag, dir, endpoint) = (flag.clone(), dir.clone(), endpoint.clone());
        Box::pin(async move {
            let selected =
                super::state::select(flag.as_deref(), &dir, endpoint.as_deref(), config.as_ref())
                    .await
                    .map_err(|e| e.to_string())?;
            Ok((
                selected.backend.with_history_retention(retention),
                selected.lease,
            ))
        })
    })
}

fn run_options(args: &RunArgs, shard: Shard, state: Arc<StateChoice>) -> RunOptions {
    RunOptions {
        location: args.source.location(),
        state_dir: args.source.state_dir.clone(),
        // `--state` / DRIFTLESS_STATE, else driftless.yaml's `state:`, chosen at the
        // first reconcile; else local under --state-dir.
        state,
        lock_timeout: args.lock_timeout,
        interval: args.interval,
        resync: args.resync,
        request: PlanRequest {
            targets: args.source.targets.clone(),
            aws: AwsOptions {
                endpoint_url: args.source.endpoint_url.clone(),
                ..AwsOptions::default()
            },
            prune: args.prune,
            max_deletes: args.max_deletes,
            allow_empty: false,
            last_applied: Default::default(),
            pending: Default::default(),
            // Built once per target, so credentials are not fetched every reconcile.
            clients: Some(Arc::new(crate::aws::ClientCache::default())),
            // Each reconcile audits its target after planning it, through its clients.
            keep_clients: true,
            // The controller logs; it draws no progress.
            progress: Default::default(),
        },
        apply: crate::apply::ApplyOptions {
            allow_data_loss: args.allow_data_loss,
            progress: Default::default(),
        },
        report_drift_only: args.drift_policy == DriftPolicyArg::Report,
        suspend: args.suspend,
        shard,
    }
}

/// The HTTP side's state: the webhook secret, the admin token, the branch, the
/// dashboard's settings.
fn shared_state(args: &RunArgs, state: Arc<StateChoice>) -> Result<Shared, CliError> {
    let secret = read_secret(
        args.webhook_secret_file.as_deref(),
        "DRIFTLESS_WEBHOOK_SECRET",
        "the webhook secret file",
    )?;
    let admin_token = read_secret(
        args.admin_token_file.as_deref(),
        "DRIFTLESS_ADMIN_TOKEN",
        "the admin token file",
    )?;
    if admin_token.is_none() {
        tracing::info!("POST /suspend and /resume are disabled: no admin token (DRIFTLESS_ADMIN_TOKEN or --admin-token-file)");
    }
    if std::env::var("DRIFTLESS_GIT_INSECURE_SKIP_HOST_KEY_CHECK")
        .is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
    {
        tracing::warn!("DRIFTLESS_GIT_INSECURE_SKIP_HOST_KEY_CHECK is set: any ssh host key is accepted, so a man in the middle can serve any specs; for tests only");
    }
    Ok(Shared {
        secret: secret.filter(|s| !s.is_empty()),
        admin_token,
        branch: args
            .source
            .reference
            .clone()
            .unwrap_or_else(|| "main".into()),
        metrics: std::sync::Mutex::new(crate::controller::metrics::Metrics {
            per_target_limit: Some(args.metrics_per_target),
            ..Default::default()
        }),
        ui: ui_settings(args, state)?,
        ..Default::default()
    })
}

/// The dashboard's settings: on or off, its viewer token, where its history is.
fn ui_settings(args: &RunArgs, state: Arc<StateChoice>) -> Result<Ui, CliError> {
    let token = read_secret(
        args.ui_token_file.as_deref(),
        "DRIFTLESS_UI_TOKEN",
        "the dashboard's viewer token file",
    )?;
    if args.ui && token.is_none() {
        tracing::info!("the dashboard at GET / is open to whoever reaches the listener: no viewer token (DRIFTLESS_UI_TOKEN or --ui-token-file)");
    }
    Ok(Ui {
        enabled: args.ui,
        token,
        state: Some(state),
        state_dir: args.source.state_dir.clone(),
        resync: args.resync,
        ..Default::default()
    })
}

/// The result of `--once` (its output; logs stay on stderr): exit 0 when every target
/// converged.
fn print_once(shared: &Shared, shard: Shard, reconciled: bool) -> ExitCode {
    let status = shared
        .status
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let fetch_failed = status.source.as_ref().and_then(|s| s.last_error.as_ref());
    if let Some(error) = fetch_failed {
        println!("source: the fetch failed: {error}");
    }
    if let Some(s) = status.shard.as_ref().filter(|_| shard.is_sharded()) {
        let targets = if s.targets.is_empty() {
            "no targets".to_string()
        } else {
            s.targets.join(", ")
        };
        println!("shard {} of {}: {targets}", s.index, s.count);
        if s.targets.is_empty() && fetch_failed.is_none() {
            return ExitCode::SUCCESS;
        }
    }
    for (target, s) in &status.targets {
        println!(
            "{target}: {} at {} ({})",
            s.last_result.as_deref().unwrap_or("?"),
            s.last_attempted_revision
                .as_deref()
                .map_or("?", crate::controller::run::short),
            s.condition("Ready")
                .map(|c| c.message.as_str())
                .unwrap_or("")
        );
    }
    let converged = reconciled
        && status
            .targets
            .values()
            .all(|s| s.last_result.as_deref() == Some("converged"));
    if converged {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The scheduler and the HTTP server until SIGTERM or Ctrl-C (then 30 s for the calls
/// in flight).
async fn serve(
    args: &RunArgs,
    reconciler: Arc<Reconciler>,
    shared: Arc<Shared>,
    cancel: crate::apply::Cancel,
) -> CliResult {
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut server_stop = stop_rx.clone();
    let (addr, server) = crate::controller::http::serve(args.listen, shared.clone(), async move {
        let _ = server_stop.wait_for(|s| *s).await;
    })
    .await
    .map_err(CliError::io(format!("listening on {}", args.listen)))?;
    tracing::info!(source = %crate::source::git::redact_url(&args.source.source), "listening on {addr}");
    tokio::spawn(async move {
        wait_for_shutdown().await;
        tracing::info!("shutting down: no new work; finishing the calls in flight");
        cancel.cancel();
        let _ = stop.send(true);
        // Bounded: calls still hanging after the grace period are abandoned. Each
        // finished reconcile is already in the history (committed per reconcile).
        tokio::time::sleep(SHUTDOWN_GRACE).await;
        tracing::error!(
            "calls still in flight after {}s; exiting without waiting for them",
            SHUTDOWN_GRACE.as_secs()
        );
        std::process::exit(1);
    });
    let schedule = Schedule {
        interval: args.interval,
        resync: args.resync,
        jitter: true,
    };
    scheduler::run(
        reconciler,
        schedule,
        shared.trigger.clone(),
        shared.resync.clone(),
        stop_rx,
    )
    .await;
    let _ = server.await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_and_stay_between_one_second_and_thirty_days() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86400)));
        assert!(parse_duration("31d").unwrap_err().contains("30 days"));
        assert!(parse_duration("0s").unwrap_err().contains("at least 1s"));
        assert!(parse_duration("5w").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
