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
    /// More log detail (-v debug, -vv trace); RUST_LOG, when set, decides instead.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Log lines for people (`pretty`) or for log collectors (`json`, one object a line).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
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
    /// What was applied: reconciles, changes, drift and errors, newest first.
    History(HistoryArgs),
    /// The controller: fetch the source, reconcile every target, correct drift, repeat.
    Run(RunArgs),
    /// Print the least-privilege IAM policy (JSON) for the kinds the repository uses.
    IamPolicy(IamPolicyArgs),
}

#[derive(Args)]
struct IamPolicyArgs {
    /// The repository: a local folder, or a git URL (file://, https://, ssh://, git@host:repo).
    #[arg(long, default_value = ".")]
    source: String,
    /// Branch, tag or commit SHA to read (git sources only; default main).
    #[arg(long = "ref")]
    reference: Option<String>,
    /// A folder inside the repository holding the specs.
    #[arg(long)]
    path: Option<PathBuf>,
    /// Where a git source is fetched to.
    #[arg(long, default_value = driftless::state::DEFAULT_STATE_DIR, value_parser = absolute_path)]
    state_dir: PathBuf,
    /// Every read and no write: for plan-only and report-only deployments.
    #[arg(long)]
    read_only: bool,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// How often to poll the source (30s, 1m, 1h).
    #[arg(long, default_value = "1m", value_parser = parse_duration)]
    interval: std::time::Duration,
    /// How often to re-reconcile an unchanged revision (drift correction).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    resync: std::time::Duration,
    /// One fetch and one reconcile of every target, then exit (0 when all converged).
    #[arg(long)]
    once: bool,
    /// `report`: detect and report drift, never write it back.
    #[arg(long, value_enum, default_value_t = DriftPolicyArg::Correct)]
    drift_policy: DriftPolicyArg,
    /// Delete owned resources that left the repository.
    #[arg(long)]
    prune: bool,
    /// Most deletes per target per reconcile (default: driftless.yaml maxDeletes, else 10).
    #[arg(long)]
    max_deletes: Option<u32>,
    /// Allow deleting vaults with recovery points and log groups holding events.
    #[arg(long)]
    allow_data_loss: bool,
    /// Where to serve the webhook, status, health and metrics endpoints.
    #[arg(long, default_value = "0.0.0.0:8080")]
    listen: std::net::SocketAddr,
    /// A file holding the webhook secret (else DRIFTLESS_WEBHOOK_SECRET; neither: webhooks off).
    #[arg(long)]
    webhook_secret_file: Option<PathBuf>,
    /// A file holding the bearer token of POST /suspend and /resume (else
    /// DRIFTLESS_ADMIN_TOKEN; neither: those endpoints are disabled).
    #[arg(long)]
    admin_token_file: Option<PathBuf>,
    /// Plan and report, write nothing (also `suspend: true` in driftless.yaml, and
    /// `POST /suspend`).
    #[arg(long)]
    suspend: bool,
    /// Split the targets between N processes: each reconciles only its shard's.
    #[arg(long, env = "DRIFTLESS_SHARD_COUNT", allow_negative_numbers = true)]
    shard_count: Option<String>,
    /// This process's shard, 0 to N-1 (default: the host name's `-<ordinal>`, as a
    /// StatefulSet pod's).
    #[arg(long, env = "DRIFTLESS_SHARD_INDEX", allow_negative_numbers = true)]
    shard_index: Option<String>,
}

/// A secret from `file` (trimmed), else from the variable `var`; `None` when neither
/// gives a non-empty value.
fn read_secret(file: Option<&Path>, var: &str, what: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let value = match file {
        Some(file) => std::fs::read_to_string(file)
            .with_context(|| format!("reading {what} {}", file.display()))?
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DriftPolicyArg {
    Correct,
    Report,
}

/// A path made absolute against the current folder, once, at start: the git checkout
/// (libgit2) resolves relative paths against the repository, not the current folder,
/// so a relative `--state-dir` (its default included) must never reach it.
fn absolute_path(text: &str) -> Result<PathBuf, String> {
    std::path::absolute(text).map_err(|e| format!("`{text}`: {e}"))
}

/// The longest `--interval` or `--resync`.
const MAX_DURATION_SECS: u64 = 30 * 86400;

/// `30s`, `5m`, `1h`, `2d` (or plain seconds), from 1 s to 30 days.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
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
    Ok(std::time::Duration::from_secs(seconds))
}

#[derive(Args)]
struct HistoryArgs {
    /// Where driftless keeps its state.
    #[arg(long, default_value = driftless::state::DEFAULT_STATE_DIR, value_parser = absolute_path)]
    state_dir: PathBuf,
    /// Only this target.
    #[arg(long)]
    target: Option<String>,
    /// Only since this time: RFC 3339 (2026-11-22T10:00:00Z) or a duration (30m, 2h, 7d).
    #[arg(long)]
    since: Option<String>,
    /// At most this many reconciles.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
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
    #[command(flatten)]
    deletes: DeleteArgs,
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
    /// The repository: a local folder, or a git URL (file://, https://, ssh://, git@host:repo).
    #[arg(long, default_value = ".")]
    source: String,
    /// Branch, tag or commit SHA to read (git sources only; default main).
    #[arg(long = "ref")]
    reference: Option<String>,
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
    #[arg(long, default_value = driftless::state::DEFAULT_STATE_DIR, value_parser = absolute_path)]
    state_dir: PathBuf,
}

/// Deletion settings shared by plan and apply.
#[derive(Args)]
struct DeleteArgs {
    /// Delete owned resources that left the repository (also `prune: true`).
    #[arg(long)]
    prune: bool,
    /// Most deletes per target (default: driftless.yaml maxDeletes, else 10).
    #[arg(long)]
    max_deletes: Option<u32>,
    /// Allow deleting everything of a target whose desired state is empty.
    #[arg(long)]
    allow_empty: bool,
}

impl DeleteArgs {
    /// The plan request these flags and the source flags make.
    fn request(
        &self,
        source: &SourceArgs,
        aws: AwsOptions,
        last_applied: std::collections::BTreeMap<String, serde_json::Value>,
    ) -> PlanRequest {
        PlanRequest {
            targets: source.targets.clone(),
            aws: AwsOptions {
                endpoint_url: source.endpoint_url.clone(),
                ..aws
            },
            prune: self.prune,
            max_deletes: self.max_deletes,
            allow_empty: self.allow_empty,
            last_applied,
            clients: None,
        }
    }
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
    #[command(flatten)]
    deletes: DeleteArgs,
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
    init_logs(&cli);
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
        Command::History(args) => history(args),
        Command::IamPolicy(args) => {
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(iam_policy(args))
        }
        Command::Run(args) => {
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(run_controller(args))
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

fn location(source: &SourceArgs) -> driftless::controller::run::SourceLocation {
    driftless::controller::run::SourceLocation {
        source: source.source.clone(),
        reference: source.reference.clone(),
        path: source
            .path
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
    }
}

/// Plans the repository `--source` names: a local folder as it is, or a git
/// revision fetched into the state directory.
async fn plan_source(
    source: &SourceArgs,
    request: &PlanRequest,
) -> Result<engine::Planned, EngineError> {
    let snapshot = driftless::controller::run::read_source(&location(source), &source.state_dir)
        .await
        .map_err(|e| EngineError::Load(LoadError::Source(e)))?;
    engine::plan_snapshot(snapshot, request).await
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
    let request = args.deletes.request(
        &args.source,
        AwsOptions::default(),
        load_state(&args.source.state_dir).records,
    );
    if std::io::stderr().is_terminal() {
        eprintln!("reading live state…");
    }
    let planned = match plan_source(&args.source, &request).await {
        Ok(p) => p,
        Err(e) => return engine_failure(e, args.output),
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
    Ok(if !plan.errors.is_empty() {
        ExitCode::from(1)
    } else if args.detailed_exitcode && plan.has_changes() {
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
    let mut state = load_state(&args.source.state_dir);
    let aws = AwsOptions {
        adaptive_retry: args.retry_mode == RetryMode::Adaptive,
        ..AwsOptions::default()
    };
    let request = args
        .deletes
        .request(&args.source, aws, state.records.clone());
    let started = std::time::SystemTime::now();
    let planned = match plan_source(&args.source, &request).await {
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
    let target_errors = planned.plan.errors.len();
    if writable == 0 {
        if target_errors > 0 {
            println!(
                "\nNothing to apply in the targets planned; {} not planned.",
                plural(target_errors, "failed target")
            );
            return Ok(ExitCode::from(1));
        }
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
    record_history(&args.source.state_dir, &planned, &report, started);
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
        "\nApply complete: {} made, {} failed, {} not written{}.",
        plural(report.succeeded(), "change"),
        failed,
        plural(conflicts, "conflict"),
        if target_errors > 0 {
            format!("; {} not planned", plural(target_errors, "failed target"))
        } else {
            String::new()
        }
    );
    Ok(if failed > 0 || conflicts > 0 || target_errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Records the apply in the history, one reconcile per target (best effort: a
/// history that cannot be written is a warning, not a failed apply).
fn record_history(
    dir: &Path,
    planned: &engine::Planned,
    report: &driftless::apply::ApplyReport,
    started: std::time::SystemTime,
) {
    let mut store = match driftless::state::Store::open(dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("warning: history not recorded: {e}");
            return;
        }
    };
    for record in driftless::controller::run::history_records(planned, report, started) {
        if let Err(e) = store.record_reconcile(&record) {
            eprintln!("warning: history not recorded: {e}");
        }
    }
}

fn history(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    use driftless::state::{
        parse_since, render_history_json_with, render_history_text_with, HistoryQuery, Store,
    };
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
    let store = Store::open(&args.state_dir)
        .with_context(|| format!("opening the state in {}", args.state_dir.display()))?;
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

async fn iam_policy(args: IamPolicyArgs) -> anyhow::Result<ExitCode> {
    let location = driftless::controller::run::SourceLocation {
        source: args.source.clone(),
        reference: args.reference.clone(),
        path: args.path.as_ref().map(|p| p.to_string_lossy().into_owned()),
    };
    let loaded = driftless::controller::run::read_source(&location, &args.state_dir)
        .await
        .map_err(LoadError::Source)
        .and_then(driftless::validate::load_snapshot);
    let loaded = match loaded {
        Ok(l) => l,
        Err(LoadError::Invalid(diagnostics)) => {
            report_invalid(&diagnostics, Output::Text)?;
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let policy = driftless::iam::policy(&loaded.state, args.read_only);
    writeln!(
        std::io::stdout(),
        "{}",
        serde_json::to_string_pretty(&policy)?
    )?;
    Ok(ExitCode::SUCCESS)
}

/// How long SIGTERM waits for the calls in flight.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

async fn run_controller(args: RunArgs) -> anyhow::Result<ExitCode> {
    use driftless::controller::run::{Reconciler, RunOptions};
    use driftless::controller::scheduler::{self, Schedule};
    use driftless::controller::shard::Shard;
    use std::sync::Arc;
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
    let options = RunOptions {
        location: location(&args.source),
        state_dir: args.source.state_dir.clone(),
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
            // Built once per target, so credentials are not fetched every reconcile.
            clients: Some(Arc::new(driftless::aws::ClientCache::default())),
        },
        apply: driftless::apply::ApplyOptions {
            allow_data_loss: args.allow_data_loss,
        },
        report_drift_only: args.drift_policy == DriftPolicyArg::Report,
        suspend: args.suspend,
        shard,
    };
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
    let shared = Arc::new(driftless::controller::http::Shared {
        secret: secret.filter(|s| !s.is_empty()),
        admin_token,
        branch: args
            .source
            .reference
            .clone()
            .unwrap_or_else(|| "main".into()),
        ..Default::default()
    });
    let cancel = driftless::apply::Cancel::default();
    let reconciler = Arc::new(Reconciler::new(options, shared.clone(), cancel.clone()));
    if args.once {
        let results = scheduler::once(reconciler.clone()).await;
        let status = shared
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        // The result of the pass is the command's output; logs stay on stderr.
        let fetch_failed = status.source.as_ref().and_then(|s| s.last_error.as_ref());
        if let Some(error) = fetch_failed {
            println!("source: the fetch failed: {error}");
        }
        if let Some(s) = status.shard.as_ref().filter(|_| shard.is_sharded()) {
            println!(
                "shard {} of {}: {}",
                s.index,
                s.count,
                if s.targets.is_empty() {
                    "no targets".to_string()
                } else {
                    s.targets.join(", ")
                }
            );
            if s.targets.is_empty() && fetch_failed.is_none() {
                return Ok(ExitCode::SUCCESS);
            }
        }
        for (target, s) in &status.targets {
            println!(
                "{target}: {} at {} ({})",
                s.last_result.as_deref().unwrap_or("?"),
                s.last_attempted_revision.as_deref().unwrap_or("?"),
                s.condition("Ready")
                    .map(|c| c.message.as_str())
                    .unwrap_or("")
            );
        }
        let converged = !results.is_empty()
            && status
                .targets
                .values()
                .all(|s| s.last_result.as_deref() == Some("converged"));
        return Ok(if converged {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut server_stop = stop_rx.clone();
    let (addr, server) =
        driftless::controller::http::serve(args.listen, shared.clone(), async move {
            let _ = server_stop.wait_for(|s| *s).await;
        })
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(source = %driftless::source::git::redact_url(&args.source.source), "listening on {addr}");
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        wait_for_shutdown().await;
        tracing::info!("shutting down: no new work; finishing the calls in flight");
        on_signal.cancel();
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
