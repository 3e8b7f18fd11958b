//! `driftless schedule`: every run of every maintenance window and backup rule in a
//! stretch of time, per target, in each schedule's zone and in UTC, with the backups
//! that overlap a window on the same instances; as text, JSON or iCalendar. Offline:
//! no AWS call. The runs are the core's (`schedule::calendar`); this module reads the
//! clock, the flags and the repository.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{absolute_path, report_invalid, CliResult, Output};
use crate::render::schedule as render;
use crate::schedule::{calendar, DateTime, Utc};
use crate::source::SourceLocation;
use crate::validate::{now, LoadError};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleOutput {
    Text,
    Json,
    /// iCalendar (RFC 5545), for an operations calendar to subscribe to.
    Ics,
}

#[derive(Args)]
pub struct ScheduleArgs {
    /// The repository: a local folder, or a git URL (file://, https://, ssh://, git@host:repo).
    #[arg(long, default_value = ".")]
    pub source: String,
    /// Branch, tag or commit SHA to read (git sources only; default main).
    #[arg(long = "ref")]
    pub reference: Option<String>,
    /// A folder inside the repository holding the specs.
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Only these targets or groups (repeatable; default: every target).
    #[arg(long = "target")]
    pub targets: Vec<String>,
    /// The first moment shown: RFC 3339 (`2026-03-01T00:00:00+09:00`) or a date
    /// (`2026-03-01`, midnight UTC); default now.
    #[arg(long, value_parser = parse_time)]
    pub from: Option<DateTime<Utc>>,
    /// How many days from --from.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: u32,
    #[arg(long, value_enum, default_value_t = ScheduleOutput::Text)]
    pub output: ScheduleOutput,
    /// Where a git source is fetched to.
    #[arg(long, default_value = crate::state::DEFAULT_STATE_DIR, value_parser = absolute_path)]
    pub state_dir: PathBuf,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    calendar::instant(text).ok_or_else(|| {
        format!("`{text}` is not a time: write `2026-03-01` or `2026-03-01T09:00:00+09:00`")
    })
}

pub async fn run(args: &ScheduleArgs) -> CliResult {
    let location = SourceLocation {
        source: args.source.clone(),
        reference: args.reference.clone(),
        path: args.path.as_ref().map(|p| p.to_string_lossy().into_owned()),
    };
    let loaded = crate::source::read_source(&location, &args.state_dir)
        .await
        .map_err(LoadError::Source)
        .and_then(crate::validate::load_snapshot);
    let as_output = match args.output {
        ScheduleOutput::Json => Output::Json,
        _ => Output::Text,
    };
    let loaded = match loaded {
        Ok(l) => l,
        Err(LoadError::Invalid(diagnostics)) => {
            report_invalid(&diagnostics, as_output)?;
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let targets = match loaded.state.config.select_targets(&args.targets) {
        Ok(_) if args.targets.is_empty() => Vec::new(),
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let stamp = now();
    let from = args.from.unwrap_or(stamp);
    let until = from + chrono_days(args.days);
    let c = calendar::calendar(&loaded.state, &targets, from, until);
    let text = match args.output {
        ScheduleOutput::Text => render::text(&c),
        ScheduleOutput::Json => render::json(&c),
        ScheduleOutput::Ics => render::ics(&c, stamp),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn chrono_days(days: u32) -> crate::schedule::Duration {
    crate::schedule::Duration::days(i64::from(days))
}
