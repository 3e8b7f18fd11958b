//! `driftless history`: what was applied (reconciles, changes, drift, errors), newest
//! first, from the state store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{absolute_path, CliResult, Output};
use crate::state::{
    parse_since, render_history_json_with, render_history_text_with, Backend, BackendKind,
    HistoryQuery, Store,
};

#[derive(Args)]
pub struct HistoryArgs {
    /// Where driftless keeps its state.
    #[arg(long, default_value = crate::state::DEFAULT_STATE_DIR, value_parser = absolute_path)]
    pub state_dir: PathBuf,
    /// Only this target.
    #[arg(long)]
    pub target: Option<String>,
    /// Only since this time: RFC 3339 (2026-11-22T10:00:00Z) or a duration (30m, 2h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// At most this many reconciles.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// The state backend: `local` (under --state-dir) or s3://BUCKET/PREFIX.
    #[arg(long, env = "DRIFTLESS_STATE")]
    pub state: Option<String>,
    /// Send every AWS call to this endpoint (an emulator); AWS_ENDPOINT_URL works too.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// The repository folder whose driftless.yaml `state:` names the backend when
    /// --state and DRIFTLESS_STATE do not.
    #[arg(long, default_value = ".")]
    pub source: PathBuf,
}

pub async fn run(args: &HistoryArgs) -> CliResult {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let since_unix = match &args.since {
        Some(text) => match parse_since(text, now) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("error: --since {text}: {e}");
                eprintln!("  hint: use an RFC 3339 time like 2026-11-22T10:00:00Z or a duration like 30m, 2h, 7d");
                return Ok(ExitCode::from(1));
            }
        },
        None => None,
    };
    let query = HistoryQuery {
        target: args.target.clone(),
        since_unix,
        limit: Some(args.limit),
    };
    let config = super::state::folder_config(args.state.as_deref(), &args.source)?;
    let selected = super::state::select(
        args.state.as_deref(),
        &args.state_dir,
        args.endpoint_url.as_deref(),
        config.as_ref(),
    )
    .await?;
    let records = selected.backend.history(&query).await?;
    // The commits behind git revisions, where the controller recorded them (locally).
    let mut commits = std::collections::BTreeMap::new();
    if let BackendKind::Local(_) = &selected.backend.kind {
        let store = Store::open(&args.state_dir)?;
        for r in &records {
            if !commits.contains_key(&r.revision) {
                if let Some(c) = store.revision(&r.revision)? {
                    commits.insert(r.revision.clone(), c);
                }
            }
        }
    }
    let text = match args.output {
        Output::Json => render_history_json_with(&records, &commits),
        _ => render_history_text_with(&records, &commits),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
