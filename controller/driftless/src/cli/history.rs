//! `driftless history`: what was applied (reconciles, changes, drift, errors), newest
//! first, from the state store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{absolute_path, CliResult, Output};
use crate::state::{
    parse_since, render_history_json_with, render_history_text_with, HistoryQuery, Store,
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
}

pub fn run(args: &HistoryArgs) -> CliResult {
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
    let store = Store::open(&args.state_dir)?;
    let records = store.history(&HistoryQuery {
        target: args.target.clone(),
        since_unix,
        limit: Some(args.limit),
    })?;
    // The commits behind git revisions, where the controller recorded them.
    let mut commits = std::collections::BTreeMap::new();
    for r in &records {
        if !commits.contains_key(&r.revision) {
            if let Some(c) = store.revision(&r.revision)? {
                commits.insert(r.revision.clone(), c);
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
