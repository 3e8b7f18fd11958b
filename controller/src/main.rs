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

#[derive(Parser)]
#[command(name = "driftless", version, about = "Ops-as-code for AWS operations, reconciled from git")]
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

fn report_invalid(diagnostics: &[driftless::spec::Diagnostic], output: Output) -> anyhow::Result<()> {
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
    !no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
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
        Output::Text => render::text::render(plan, render::text::Style { color: color_wanted(args.no_color) }),
        Output::Json => render::json(plan),
        Output::Markdown => render::markdown::render(plan),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    if let Some(out) = &args.out {
        std::fs::write(out, render::json(plan)).with_context(|| format!("writing the plan to {}", out.display()))?;
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
