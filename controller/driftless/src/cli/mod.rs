//! The commands of the `driftless` binary, one module each: their flags (clap) and
//! what they do, print and exit with. `main.rs` only parses and dispatches; nothing
//! here uses anyhow: a command's failure is a [`CliError`].
//!
//! Exit codes (cli.md): 0 success, 1 error, 2 changes for `plan --detailed-exitcode`.
//! Expected failures (an invalid repository, a failed target, a stale saved plan)
//! are printed here with their hint and return exit code 1; a [`CliError`] is for
//! what stops a command outright (an unreadable file, a port in use).

pub mod apply;
pub mod audit;
pub mod history;
pub mod iam_policy;
pub mod import;
pub mod plan;
pub mod run;
pub mod schedule;
pub mod state;
pub mod validate;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::aws::AwsOptions;
use crate::engine::{self, EngineError, PlanRequest};
use crate::source::SourceLocation;
use crate::spec::diagnostic::{render_json, render_text};
use crate::spec::Diagnostic;
use crate::validate::LoadError;

/// What stops a command (as opposed to a result it reports and exits 1 with).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Json {
        what: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error("{file}: not a valid driftless.yaml, and its `state:` names the state backend\n  hint: run `driftless validate --source {folder}` to see what is wrong, or name the backend with --state")]
    StateConfig { file: String, folder: String },
    #[error("--state `{value}`: {message}\n  hint: {hint}")]
    StateLocation {
        value: String,
        message: String,
        hint: String,
    },
}

impl CliError {
    fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let what = what.into();
        move |source| CliError::Io { what, source }
    }
}

impl From<std::io::Error> for CliError {
    fn from(source: std::io::Error) -> CliError {
        CliError::Io {
            what: "writing the output".into(),
            source,
        }
    }
}

/// A command's result: its exit code, or what stopped it.
pub type CliResult = Result<ExitCode, CliError>;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
    Markdown,
}

/// Where the repository comes from, which targets, and where state lives: shared by
/// plan, apply and run.
#[derive(Args)]
pub struct SourceArgs {
    /// The repository: a local folder, or a git URL (file://, https://, ssh://, git@host:repo).
    #[arg(long, default_value = ".")]
    pub source: String,
    /// Branch, tag or commit SHA to read (git sources only; default main).
    #[arg(long = "ref")]
    pub reference: Option<String>,
    /// A folder inside the repository holding the specs.
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Limit to these targets or groups of driftless.yaml (repeatable).
    #[arg(long = "target")]
    pub targets: Vec<String>,
    /// Send every AWS call to this endpoint (an emulator); AWS_ENDPOINT_URL works too.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Where driftless keeps what it last applied (for drift detection).
    #[arg(long, default_value = crate::state::DEFAULT_STATE_DIR, value_parser = absolute_path)]
    pub state_dir: PathBuf,
    /// The state backend: `local` (under --state-dir) or s3://BUCKET/PREFIX, over
    /// driftless.yaml's `state:`; default: driftless.yaml's, else local.
    #[arg(long, env = "DRIFTLESS_STATE")]
    pub state: Option<String>,
}

impl SourceArgs {
    pub fn location(&self) -> SourceLocation {
        SourceLocation {
            source: self.source.clone(),
            reference: self.reference.clone(),
            path: self.path.as_ref().map(|p| p.to_string_lossy().into_owned()),
        }
    }
}

/// Deletion settings shared by plan and apply.
#[derive(Args)]
pub struct DeleteArgs {
    /// Delete owned resources that left the repository (also `prune: true`).
    #[arg(long)]
    pub prune: bool,
    /// Most deletes per target (default: driftless.yaml maxDeletes, else 10).
    #[arg(long)]
    pub max_deletes: Option<u32>,
    /// Allow deleting everything of a target whose desired state is empty.
    #[arg(long)]
    pub allow_empty: bool,
}

impl DeleteArgs {
    /// The plan request these flags and the source flags make.
    fn request(&self, source: &SourceArgs, aws: AwsOptions) -> PlanRequest {
        PlanRequest {
            targets: source.targets.clone(),
            aws: AwsOptions {
                endpoint_url: source.endpoint_url.clone(),
                ..aws
            },
            prune: self.prune,
            max_deletes: self.max_deletes,
            allow_empty: self.allow_empty,
            // Filled from the state backend once the source names it (`plan_source`).
            last_applied: Default::default(),
            pending: Default::default(),
            clients: None,
            keep_clients: false,
            progress: crate::progress::Progress::for_command(),
        }
    }
}

/// A path made absolute against the current folder, once, at start: the git checkout
/// (libgit2) resolves relative paths against the repository, not the current folder,
/// so a relative `--state-dir` (its default included) must never reach it.
pub fn absolute_path(text: &str) -> Result<PathBuf, String> {
    std::path::absolute(text).map_err(|e| format!("`{text}`: {e}"))
}

/// Reads the repository `--source` names (a local folder as it is, or a git revision
/// fetched into the state directory), opens the state backend it and the flags
/// choose, loads the records, and plans; the backend comes back for apply.
async fn plan_source(
    source: &SourceArgs,
    request: PlanRequest,
) -> Result<(engine::Planned, state::Selected, crate::state::LastApplied), PlanFailure> {
    let snapshot = crate::source::read_source(&source.location(), &source.state_dir)
        .await
        .map_err(|e| PlanFailure::Engine(EngineError::Load(LoadError::Source(e))))?;
    let config = crate::spec::parse_config_only(&snapshot.files);
    let selected = state::select(
        source.state.as_deref(),
        &source.state_dir,
        source.endpoint_url.as_deref(),
        config.as_ref().and_then(|c| c.state.as_ref()),
    )
    .await
    .map_err(PlanFailure::Cli)?;
    let loaded = load_state(&selected.backend).await;
    let mut request = request;
    request.last_applied = loaded.for_plan();
    request.pending = loaded.pending.clone();
    let mut planned = engine::plan_snapshot(snapshot, &request)
        .await
        .map_err(PlanFailure::Engine)?;
    // Who made each drift, since driftless last wrote the resource.
    crate::attribution::attribute_planned(&mut planned, &selected.backend).await;
    Ok((planned, selected, loaded))
}

/// Why [`plan_source`] made no plan.
enum PlanFailure {
    Engine(EngineError),
    Cli(CliError),
}

impl PlanFailure {
    /// Prints an engine error (exit 1) or returns the one that stops the command.
    fn report(self, output: Output) -> CliResult {
        match self {
            PlanFailure::Engine(e) => engine_failure(e, output),
            PlanFailure::Cli(e) => Err(e),
        }
    }
}

async fn load_state(backend: &crate::state::StateBackend) -> crate::state::LastApplied {
    use crate::state::Backend;
    let state = backend.load().await;
    if let Some(w) = &state.warning {
        eprintln!("warning: {w}");
    }
    state
}

fn color_wanted(no_color: bool) -> bool {
    !no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
}

fn report_invalid(diagnostics: &[Diagnostic], output: Output) -> Result<(), CliError> {
    match output {
        Output::Json => writeln!(std::io::stdout(), "{}", render_json(diagnostics))?,
        _ => eprint!("{}", render_text(diagnostics)),
    }
    Ok(())
}

/// Prints an engine error with its hint; returns exit code 1.
fn engine_failure(e: EngineError, output: Output) -> CliResult {
    if let EngineError::Load(LoadError::Invalid(diagnostics)) = &e {
        report_invalid(diagnostics, output)?;
        return Ok(ExitCode::from(1));
    }
    eprintln!("error: {e}");
    if let Some(hint) = e.hint() {
        eprintln!("  hint: {hint}");
    }
    Ok(ExitCode::from(1))
}

/// Ctrl-C or SIGTERM.
async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
