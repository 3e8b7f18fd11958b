//! Which state backend a command uses, and `driftless state`.
//!
//! The backend: `--state` (or `DRIFTLESS_STATE`): `local` or `s3://BUCKET/PREFIX`;
//! else driftless.yaml `state.s3`; else local SQLite under `--state-dir`. An S3
//! location from the flag keeps driftless.yaml's `region` and `roleArn` for the bucket
//! (they describe how to reach it). `driftless state unlock` clears a lock by hand.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{absolute_path, CliError, CliResult, Output};
use crate::aws::s3::StateBucket;
use crate::aws::AwsOptions;
use crate::spec::state_backend::{parse_s3_url, StateConfig, DEFAULT_LOCK_LEASE_SECS};
use crate::state::{format_rfc3339_utc, Backend, BackendKind, HistoryQuery, S3State, StateBackend};

/// driftless.yaml's `state:` in the folder `source` (`--source`, as plan reads it),
/// for the commands that read the state without planning (`history`, `state`): none
/// when `flag` (`--state` / `DRIFTLESS_STATE`) names the backend, or the folder has no
/// driftless.yaml or no `state:`. An invalid driftless.yaml is an error naming it.
pub fn folder_config(flag: Option<&str>, source: &Path) -> Result<Option<StateConfig>, CliError> {
    if flag.is_some() {
        return Ok(None);
    }
    let path = source.join(crate::spec::CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CliError::Io {
                what: format!("reading {}", path.display()),
                source,
            })
        }
    };
    let file = crate::spec::SourceFile {
        relative: crate::spec::CONFIG_FILE.to_string(),
        display: path.display().to_string(),
        text,
    };
    match crate::spec::parse_config_only(&[file]) {
        Some(config) => Ok(config.state),
        None => Err(CliError::StateConfig {
            file: path.display().to_string(),
            folder: source.display().to_string(),
        }),
    }
}

/// The backend chosen for a command, and the lease of the locks it takes.
#[derive(Debug)]
pub struct Selected {
    pub backend: StateBackend,
    pub lease: Duration,
}

/// Chooses and opens the backend: `flag` (`--state` / `DRIFTLESS_STATE`) over
/// driftless.yaml's `state` over local `state_dir`. Nothing is called until the
/// backend is used.
pub async fn select(
    flag: Option<&str>,
    state_dir: &Path,
    endpoint_url: Option<&str>,
    config: Option<&StateConfig>,
) -> Result<Selected, CliError> {
    let lease =
        Duration::from_secs(config.map_or(DEFAULT_LOCK_LEASE_SECS, StateConfig::lease_secs));
    let s3 = config.and_then(|c| c.s3.as_ref());
    let location = match flag.map(str::trim) {
        Some("local") => None,
        Some(url) => Some(parse_s3_url(url).map_err(|p| CliError::StateLocation {
            value: url.to_string(),
            message: p.message,
            hint: p.hint.unwrap_or_default(),
        })?),
        None => s3.map(|s| {
            let prefix = s.prefix.as_deref().unwrap_or_default();
            (s.bucket.clone(), prefix.trim_matches('/').to_string())
        }),
    };
    let Some((bucket, prefix)) = location else {
        return Ok(Selected {
            backend: StateBackend::local(state_dir),
            lease,
        });
    };
    let options = AwsOptions {
        endpoint_url: endpoint_url.map(str::to_string),
        ..AwsOptions::default()
    };
    let region = s3.and_then(|s| s.region.as_deref());
    let role = s3.and_then(|s| s.role_arn.as_deref());
    let bucket = StateBucket::connect(&bucket, region, role, &options)
        .await
        .map_err(|e| {
            CliError::State(crate::state::StateError::S3 {
                location: format!("s3://{bucket}/{prefix}"),
                error: Box::new(e),
            })
        })?;
    Ok(Selected {
        backend: StateBackend::s3(S3State::new(bucket, &prefix)),
        lease,
    })
}

/// `driftless state`: the state backend's records and locks.
#[derive(Args)]
pub struct StateArgs {
    #[command(subcommand)]
    pub command: StateCommand,
    /// `local` or s3://BUCKET/PREFIX (default: local under --state-dir).
    #[arg(long, env = "DRIFTLESS_STATE", global = true)]
    pub state: Option<String>,
    /// Where the local backend keeps its database.
    #[arg(long, default_value = crate::state::DEFAULT_STATE_DIR, value_parser = absolute_path, global = true)]
    pub state_dir: PathBuf,
    /// Send every AWS call to this endpoint (an emulator); AWS_ENDPOINT_URL works too.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// The repository folder whose driftless.yaml `state:` names the backend when
    /// --state and DRIFTLESS_STATE do not.
    #[arg(long, default_value = ".", global = true)]
    pub source: PathBuf,
}

#[derive(Subcommand)]
pub enum StateCommand {
    /// Every target with records: how many, its last apply, its lock holder.
    List {
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// The last-applied records of a target, and who holds its lock.
    Show {
        #[arg(long)]
        target: String,
    },
    /// Copy the local records (--state-dir) and history to an S3 backend; the local
    /// ones stay until deleted. Running it again copies nothing twice.
    Migrate {
        /// s3://BUCKET/PREFIX
        #[arg(long)]
        to: String,
    },
    /// Remove a target's lock by hand (its holder died and you will not wait for
    /// its lease to run out).
    Unlock {
        #[arg(long)]
        target: String,
        /// The lock's id, as the error naming its holder printed it.
        #[arg(long)]
        lock_id: String,
    },
}

pub async fn run(args: &StateArgs) -> CliResult {
    if let StateCommand::Migrate { to } = &args.command {
        return migrate(args, to).await;
    }
    let config = folder_config(args.state.as_deref(), &args.source)?;
    let selected = select(
        args.state.as_deref(),
        &args.state_dir,
        args.endpoint_url.as_deref(),
        config.as_ref(),
    )
    .await?;
    let backend = &selected.backend;
    match &args.command {
        StateCommand::List { output } => list(backend, *output).await,
        StateCommand::Migrate { .. } => unreachable!("handled above"),
        StateCommand::Show { target } => {
            let state = backend.load_or_fail().await?;
            if let Some(w) = &state.warning {
                eprintln!("warning: {w}");
            }
            let prefix = format!("{target}/");
            let mine = |m: &std::collections::BTreeMap<String, serde_json::Value>| {
                m.iter()
                    .filter(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<serde_json::Map<_, _>>()
            };
            let lock = backend.lock_holder(target).await?;
            let out = serde_json::json!({
                "target": target,
                "records": mine(&state.records),
                "pending": mine(&state.pending),
                "lock": lock,
            });
            writeln!(
                std::io::stdout(),
                "{}",
                serde_json::to_string_pretty(&out).unwrap_or_default()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        StateCommand::Unlock { target, lock_id } => {
            if backend.unlock(target, lock_id).await? {
                println!(
                    "removed lock {lock_id} of target `{target}` in {}",
                    backend.describe()
                );
                return Ok(ExitCode::SUCCESS);
            }
            match backend.lock_holder(target).await? {
                Some(h) => eprintln!(
                    "error: target `{target}` is locked by {}, not by lock {lock_id}; nothing was removed\n  hint: pass --lock-id {} to remove that one",
                    h.describe(),
                    h.id
                ),
                None => eprintln!("error: target `{target}` has no lock in {}; nothing to remove", backend.describe()),
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// `state list`: `{"targets": [{"target", "records", "lastApplied", "lock"}]}` (cli.md),
/// or one line per target.
async fn list(backend: &StateBackend, output: Output) -> CliResult {
    let state = backend.load_or_fail().await?;
    if let Some(w) = &state.warning {
        eprintln!("warning: {w}");
    }
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for key in state.records.keys().chain(state.pending.keys()) {
        if let Some((target, _)) = key.split_once('/') {
            *counts.entry(target.to_string()).or_default() += 1;
        }
    }
    let mut rows = Vec::new();
    for (target, records) in counts {
        let last = backend
            .history(&HistoryQuery {
                target: Some(target.clone()),
                since_unix: None,
                limit: Some(1),
            })
            .await?;
        let lock = backend.lock_holder(&target).await?;
        rows.push(serde_json::json!({
            "target": target,
            "records": records,
            "lastApplied": last.first().map(|r| format_rfc3339_utc(r.started_at_unix)),
            "lock": lock.map(|h| serde_json::json!({
                "id": h.id,
                "holder": format!("{} (pid {})", h.host, h.pid),
                "operation": h.operation,
                "since": format_rfc3339_utc(h.since),
                "expires": format_rfc3339_utc(h.expires),
            })),
        }));
    }
    let mut out = std::io::stdout().lock();
    if output == Output::Json {
        writeln!(out, "{}", serde_json::json!({ "targets": rows }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        writeln!(out, "no records in {}", backend.describe())?;
    }
    for r in &rows {
        let lock = match &r["lock"] {
            serde_json::Value::Null => "unlocked".to_string(),
            l => format!(
                "locked by {} {} until {}",
                l["operation"], l["holder"], l["expires"]
            )
            .replace('"', ""),
        };
        writeln!(
            out,
            "{}: {} records, last applied {}, {lock}",
            r["target"].as_str().unwrap_or_default(),
            r["records"],
            r["lastApplied"].as_str().unwrap_or("never"),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `state migrate --to s3://…`: the local records, pending values and history, copied.
async fn migrate(args: &StateArgs, to: &str) -> CliResult {
    // driftless.yaml's `region` and `roleArn` say how to reach the bucket.
    let config = folder_config(None, &args.source)?;
    let selected = select(
        Some(to),
        &args.state_dir,
        args.endpoint_url.as_deref(),
        config.as_ref(),
    )
    .await?;
    let BackendKind::S3(s3) = &selected.backend.kind else {
        eprintln!("error: --to {to}: migrate copies the local state to S3\n  hint: name the destination as s3://BUCKET/PREFIX");
        return Ok(ExitCode::from(1));
    };
    let local = crate::state::LastApplied::load(&args.state_dir);
    if let Some(w) = &local.warning {
        eprintln!("warning: {w}");
    }
    let of = |m: &std::collections::BTreeMap<String, serde_json::Value>, t: &str| {
        let prefix = format!("{t}/");
        m.iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let targets: std::collections::BTreeSet<&str> = local
        .records
        .keys()
        .chain(local.pending.keys())
        .filter_map(|k| k.split_once('/').map(|(t, _)| t))
        .collect();
    for target in &targets {
        s3.import_records(
            target,
            &of(&local.records, target),
            &of(&local.pending, target),
        )
        .await?;
    }
    let history = crate::state::Store::open(&args.state_dir)?.history(&HistoryQuery::default())?;
    let mut copied = 0;
    for record in &history {
        copied += usize::from(s3.import_reconcile(record).await?);
    }
    println!(
        "copied the records of {} target(s) and {copied} of {} reconciles to {}; the local state in {} stays until you delete it",
        targets.len(),
        history.len(),
        s3.location(),
        args.state_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
