//! The `driftless` command line: parses flags, calls the library, prints, and maps
//! outcomes to exit codes (0 success, 1 error, 2 changes for `plan
//! --detailed-exitcode`). anyhow is used here and nowhere else.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use driftless::aws::AwsOptions;
use driftless::engine::{self, EngineError, PlanRequest};
use driftless::render;
use driftless::spec::diagnostic::{plural, render_json, render_text};
use driftless::validate::{load_folder, LoadError};

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
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check every document offline; no AWS call.
    Validate {
        /// The repository folder (default: the current folder).
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Read live state and print what apply would change; writes nothing.
    Plan(PlanArgs),
    /// Plan, then make the changes (asks to confirm on a terminal unless --auto-approve).
    Apply(ApplyArgs),
}

#[derive(Args)]
struct ApplyArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Apply exactly this saved plan (from `plan --out`); refused if anything changed.
    plan_file: Option<PathBuf>,
    /// Do not ask for confirmation.
    #[arg(long)]
    auto_approve: bool,
    /// Delete owned resources that left the repository.
    #[arg(long)]
    prune: bool,
    /// Most deletes per target (default: driftless.yaml maxDeletes, else 10).
    #[arg(long)]
    max_deletes: Option<u32>,
    /// Allow deleting everything of a target whose desired state is empty.
    #[arg(long)]
    allow_empty: bool,
    /// Allow deleting vaults with recovery points and log groups holding events.
    #[arg(long)]
    allow_data_loss: bool,
    /// SDK retry mode for throttling and transient errors.
    #[arg(long, value_enum, default_value_t = RetryMode::Standard)]
    retry_mode: RetryMode,
    /// No colours (also NO_COLOR=1).
    #[arg(long)]
    no_color: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RetryMode {
    Standard,
    Adaptive,
}

#[derive(Args)]
struct SourceArgs {
    /// The repository: a local folder.
    #[arg(long, default_value = ".")]
    source: PathBuf,
    /// A folder inside the repository holding the specs.
    #[arg(long)]
    path: Option<PathBuf>,
    /// Limit to these targets of driftless.yaml (repeatable).
    #[arg(long = "target")]
    targets: Vec<String>,
    /// Send every AWS call to this endpoint (an emulator); AWS_ENDPOINT_URL works too.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Where driftless keeps what it last applied (for drift detection).
    #[arg(long, default_value = driftless::state::DEFAULT_STATE_DIR)]
    state_dir: PathBuf,
}

#[derive(Args)]
struct PlanArgs {
    #[command(flatten)]
    source: SourceArgs,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// No colours (also NO_COLOR=1).
    #[arg(long)]
    no_color: bool,
    /// Plan deletes of owned resources that left the repository.
    #[arg(long)]
    prune: bool,
    /// Most deletes per target (default: driftless.yaml maxDeletes, else 10).
    #[arg(long)]
    max_deletes: Option<u32>,
    /// Allow deleting everything of a target whose desired state is empty.
    #[arg(long)]
    allow_empty: bool,
    /// Save the plan as JSON for `driftless apply PLAN_FILE`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Exit 2 when there are changes or conflicts, 0 when there are none.
    #[arg(long)]
    detailed_exitcode: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Json,
    Markdown,
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
    match cli.command {
        Command::Validate { dir, output } => validate(&dir, output),
        Command::Plan(args) => {
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(plan(args))
        }
        Command::Apply(args) => {
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(apply(args))
        }
    }
}

fn validate(dir: &Path, output: Output) -> anyhow::Result<ExitCode> {
    let display = dir.to_string_lossy();
    let mut stdout = std::io::stdout().lock();
    match load_folder(dir, &display) {
        Ok(loaded) => {
            match output {
                Output::Json => writeln!(
                    stdout,
                    "{}",
                    serde_json::json!({"valid": true, "errors": [], "documents": loaded.documents})
                )?,
                Output::Text | Output::Markdown => writeln!(
                    stdout,
                    "valid: {} in {} (targets: {})",
                    plural(loaded.documents, "document"),
                    plural(loaded.state.files, "file"),
                    loaded.state.config.target_names().join(", ")
                )?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(LoadError::Invalid(diagnostics)) => {
            report_invalid(&diagnostics, output)?;
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

fn report_invalid(
    diagnostics: &[driftless::spec::Diagnostic],
    output: Output,
) -> anyhow::Result<()> {
    match output {
        Output::Json => writeln!(std::io::stdout(), "{}", render_json(diagnostics))?,
        _ => eprint!("{}", render_text(diagnostics)),
    }
    Ok(())
}

fn repo_dir(source: &SourceArgs) -> PathBuf {
    match &source.path {
        Some(p) => source.source.join(p),
        None => source.source.clone(),
    }
}

fn load_state(dir: &Path) -> driftless::state::LastApplied {
    let state = driftless::state::LastApplied::load(dir);
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

async fn plan(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let dir = repo_dir(&args.source);
    let request = PlanRequest {
        targets: args.source.targets.clone(),
        aws: AwsOptions {
            endpoint_url: args.source.endpoint_url.clone(),
            ..AwsOptions::default()
        },
        prune: args.prune,
        max_deletes: args.max_deletes,
        allow_empty: args.allow_empty,
        last_applied: load_state(&args.source.state_dir).records,
    };
    if std::io::stderr().is_terminal() {
        eprintln!("reading live state…");
    }
    let planned = match engine::plan_folder(&dir, &dir.to_string_lossy(), &request).await {
        Ok(p) => p,
        Err(EngineError::Load(LoadError::Invalid(diagnostics))) => {
            report_invalid(&diagnostics, args.output)?;
            return Ok(ExitCode::from(1));
        }
        Err(e) => {
            let hint = e.hint();
            eprintln!("error: {e}");
            if let Some(hint) = hint {
                eprintln!("  hint: {hint}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    let plan = &planned.plan;
    let text = match args.output {
        Output::Text => render::text::render(
            plan,
            render::text::Style {
                color: color_wanted(args.no_color),
            },
        ),
        Output::Json => render::json(plan),
        Output::Markdown => render::markdown::render(plan),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    if let Some(out) = &args.out {
        std::fs::write(out, render::json(plan))
            .with_context(|| format!("writing the plan to {}", out.display()))?;
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints an engine error with its hint; returns exit code 1.
fn engine_failure(e: EngineError, output: Output) -> anyhow::Result<ExitCode> {
    if let EngineError::Load(LoadError::Invalid(diagnostics)) = &e {
        report_invalid(diagnostics, output)?;
        return Ok(ExitCode::from(1));
    }
    let hint = e.hint();
    eprintln!("error: {e}");
    if let Some(hint) = hint {
        eprintln!("  hint: {hint}");
    }
    Ok(ExitCode::from(1))
}

async fn apply(args: ApplyArgs) -> anyhow::Result<ExitCode> {
    use driftless::apply::{ApplyOptions, Cancel};
    let dir = repo_dir(&args.source);
    let mut state = load_state(&args.source.state_dir);
    let request = PlanRequest {
        targets: args.source.targets.clone(),
        aws: AwsOptions {
            endpoint_url: args.source.endpoint_url.clone(),
            adaptive_retry: args.retry_mode == RetryMode::Adaptive,
            ..AwsOptions::default()
        },
        prune: args.prune,
        max_deletes: args.max_deletes,
        allow_empty: args.allow_empty,
        last_applied: state.records.clone(),
    };
    let planned = match engine::plan_folder(&dir, &dir.to_string_lossy(), &request).await {
        Ok(p) => p,
        Err(e) => return engine_failure(e, Output::Text),
    };
    if let Some(file) = &args.plan_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("reading the saved plan {}", file.display()))?;
        let saved: driftless::plan::Plan = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a plan written by `driftless plan --out`",
                file.display()
            )
        })?;
        if let Some(why) = driftless::plan::saved_plan_mismatch(&saved, &planned.plan) {
            eprintln!(
                "error: the saved plan {} is stale: {why}; nothing was applied",
                file.display()
            );
            eprintln!(
                "  hint: run `driftless plan --out {}` again and review it",
                file.display()
            );
            return Ok(ExitCode::from(1));
        }
    }
    let style = render::text::Style {
        color: color_wanted(args.no_color),
    };
    print!("{}", render::text::render(&planned.plan, style));
    let writable = planned
        .plan
        .changes
        .iter()
        .filter(|c| c.action != driftless::plan::Action::Conflict && !c.report_only)
        .count();
    let conflicts = planned.plan.summary.conflict;
    if writable == 0 {
        if conflicts > 0 {
            println!(
                "\nNothing to apply; {} not written.",
                plural(conflicts, "conflict")
            );
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.auto_approve && args.plan_file.is_none() {
        if !std::io::stdin().is_terminal() {
            eprintln!("error: apply needs confirmation, and standard input is not a terminal; nothing was applied");
            eprintln!("  hint: pass --auto-approve, or apply a reviewed plan: `driftless plan --out plan.json` then `driftless apply plan.json`");
            return Ok(ExitCode::from(1));
        }
        print!("\nDo you want to make these changes? Only 'yes' is accepted: ");
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            eprintln!("apply cancelled; nothing was applied");
            return Ok(ExitCode::from(1));
        }
    }
    let cancel = Cancel::default();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        wait_for_shutdown().await;
        eprintln!("\ninterrupted: finishing calls in flight, starting no new changes");
        on_signal.cancel();
    });
    let options = ApplyOptions {
        allow_data_loss: args.allow_data_loss,
    };
    let report = driftless::apply::apply(&planned, &options, &cancel, &mut state.records).await;
    if let Err(e) = state.save(&args.source.state_dir) {
        eprintln!("warning: {e}; drift detection will not know about this apply");
    }
    let mut failed = 0;
    for outcome in report.failed() {
        let c = &outcome.change;
        if let Err(e) = &outcome.result {
            failed += 1;
            eprintln!(
                "error: target `{}`: {} `{}` ({}): {e}",
                c.target,
                c.kind,
                c.name,
                serde_json::to_value(c.action)?.as_str().unwrap_or("")
            );
            if let driftless::apply::ApplyError::Aws(aws) = e {
                if let Some(hint) = aws.hint() {
                    eprintln!("  hint: {hint}");
                }
            }
        }
    }
    println!(
        "\nApply complete: {} made, {} failed, {} not written.",
        plural(report.succeeded(), "change"),
        failed,
        plural(conflicts, "conflict")
    );
    Ok(if failed > 0 || conflicts > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
