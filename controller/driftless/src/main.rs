//! The `driftless` command line: parses flags and dispatches to the command's module
//! in `driftless::cli`, which prints and decides the exit code (0 success, 1 error, 2
//! changes for `plan --detailed-exitcode`). anyhow is used here and nowhere else.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use driftless::cli;

/// Plans build many small JSON values; mimalloc makes them about a third cheaper
/// (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "driftless",
    version,
    about = "Ops-as-code for AWS operations, reconciled from git"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More log detail (-v debug, -vv trace); RUST_LOG, when set, decides instead.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Log lines for people (`pretty`) or for log collectors (`json`, one object a line).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
    /// No progress display on stderr (there is none anyway when stderr is not a
    /// terminal).
    #[arg(long, global = true)]
    no_progress: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check every document offline; no AWS call.
    Validate(cli::validate::ValidateArgs),
    /// Read live state and print what apply would change; writes nothing.
    Plan(cli::plan::PlanArgs),
    /// Plan, then make the changes (asks to confirm on a terminal unless --auto-approve).
    Apply(cli::apply::ApplyArgs),
    /// What was applied: reconciles, changes, drift and errors, newest first.
    History(cli::history::HistoryArgs),
    /// The state backend's records and locks: show a target's, unlock one by hand.
    State(cli::state::StateArgs),
    /// The controller: fetch the source, reconcile every target, correct drift, repeat.
    Run(cli::run::RunArgs),
    /// Print the least-privilege IAM policy (JSON) for the kinds the repository uses.
    IamPolicy(cli::iam_policy::IamPolicyArgs),
    /// Evaluate the guardrails on every live resource (owned or not); exit 2 when
    /// anything is non-compliant.
    Audit(cli::audit::AuditArgs),
    /// Write specs for live resources (owned ones skipped), so an estate can be adopted.
    Import(cli::import::ImportArgs),
    /// Every run of every maintenance window and backup rule in a stretch of time, and
    /// the backups overlapping a window on the same instances (text, JSON, iCalendar).
    Schedule(cli::schedule::ScheduleArgs),
}

/// Logs go to stderr through tracing. `RUST_LOG` filters when set; otherwise the
/// controller logs at info and the one-shot commands at warn (their output is the
/// result, not the log), raised by -v.
fn init_logs(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let base = match (&cli.command, cli.verbose) {
        (_, 2..) => "driftless=trace",
        (_, 1) => "driftless=debug",
        (Command::Run(_), 0) => "driftless=info",
        (_, 0) => "driftless=warn",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(base));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match cli.log_format {
        // `target` is ours (the driftless.yaml target), not tracing's module path.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_target(false)
            .try_init(),
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
            .with_target(false)
            .try_init(),
    };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    init_logs(&cli);
    // The controller logs what it does; a progress display is for the one-shot commands.
    driftless::progress::disable(cli.no_progress || matches!(cli.command, Command::Run(_)));
    let async_runtime = || tokio::runtime::Runtime::new().context("starting the async runtime");
    let code = match &cli.command {
        Command::Validate(args) => cli::validate::run(args)?,
        Command::History(args) => async_runtime()?.block_on(cli::history::run(args))?,
        Command::State(args) => async_runtime()?.block_on(cli::state::run(args))?,
        Command::Plan(args) => async_runtime()?.block_on(cli::plan::run(args))?,
        Command::Apply(args) => async_runtime()?.block_on(cli::apply::run(args))?,
        Command::IamPolicy(args) => async_runtime()?.block_on(cli::iam_policy::run(args))?,
        Command::Audit(args) => async_runtime()?.block_on(cli::audit::run(args))?,
        Command::Import(args) => async_runtime()?.block_on(cli::import::run(args))?,
        Command::Schedule(args) => async_runtime()?.block_on(cli::schedule::run(args))?,
        Command::Run(args) => async_runtime()?.block_on(cli::run::run(args))?,
    };
    Ok(code)
}
