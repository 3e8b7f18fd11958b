//! `driftless apply`: plan, then make the changes (asks on a terminal unless
//! `--auto-approve`), or apply exactly a saved plan. Applying, saving the last-applied
//! records and the history are [`crate::reconcile`]'s, as for the controller; this
//! module keeps the flags, the saved plan's checks, the question, what is printed and
//! the exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{
    color_wanted, plan_source, wait_for_shutdown, CliError, CliResult, DeleteArgs, Output,
    SourceArgs,
};
use crate::apply::{ApplyError, ApplyOptions, ApplyReport, Cancel};
use crate::aws::AwsOptions;
use crate::plan::{Action, Plan};
use crate::reconcile::{reconcile, LockOptions, ReconcileOptions, SaveScope};
use crate::render;
use crate::spec::diagnostic::plural;

#[derive(Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Apply exactly this saved plan (from `plan --out`); refused if anything changed.
    pub plan_file: Option<PathBuf>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub deletes: DeleteArgs,
    /// Allow deleting vaults with recovery points and log groups holding events.
    #[arg(long)]
    pub allow_data_loss: bool,
    /// How long to wait for another writer's lock on a target (`0s`: fail at once,
    /// naming the holder).
    #[arg(long, default_value = "0s", value_parser = parse_wait)]
    pub lock_timeout: std::time::Duration,
    /// How long reconciles are kept in the history (`90d`, `12w`; `0`: forever);
    /// older ones are deleted when history is written.
    #[arg(long, default_value = "90d", value_parser = parse_retention)]
    pub history_retention: Retention,
    /// SDK retry mode for throttling and transient errors.
    #[arg(long, value_enum, default_value_t = RetryMode::Standard)]
    pub retry_mode: RetryMode,
    /// No colours (also NO_COLOR=1).
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RetryMode {
    Standard,
    Adaptive,
}

/// `0s` or a duration like 30s, 5m (`run`'s durations, zero allowed).
pub(crate) fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    match text.trim() {
        "0" | "0s" => Ok(std::time::Duration::ZERO),
        other => super::run::parse_duration(other),
    }
}

/// `--history-retention`: how long reconciles are kept; `None`: forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub Option<std::time::Duration>);

/// `--history-retention`: a duration in s, m, h, d or w (`90d`), or `0` (forever).
pub(crate) fn parse_retention(text: &str) -> Result<Retention, String> {
    let text = text.trim();
    if text == "0" || text == "0d" {
        return Ok(Retention(None));
    }
    let bad = || {
        format!("`{text}` is not a retention: use a duration like 90d, 12w or 36h, or 0 to keep every reconcile")
    };
    let unit = match text.chars().last() {
        Some('s') => 1,
        Some('m') => 60,
        Some('h') => 3600,
        Some('d') => 86_400,
        Some('w') => 7 * 86_400,
        _ => return Err(bad()),
    };
    let n: u64 = text[..text.len() - 1].parse().map_err(|_| bad())?;
    match n.checked_mul(unit) {
        Some(0) | None => Err(bad()),
        Some(secs) => Ok(Retention(Some(std::time::Duration::from_secs(secs)))),
    }
}

pub async fn run(args: &ApplyArgs) -> CliResult {
    let aws = AwsOptions {
        adaptive_retry: args.retry_mode == RetryMode::Adaptive,
        ..AwsOptions::default()
    };
    let request = args.deletes.request(&args.source, aws);
    let progress = request.progress.clone();
    let started = std::time::SystemTime::now();
    let planned = plan_source(&args.source, request).await;
    progress.finish();
    let (planned, mut selected, mut state) = match planned {
        Ok(p) => p,
        Err(e) => return e.report(Output::Text),
    };
    selected.backend = selected
        .backend
        .with_history_retention(args.history_retention.0);
    eprint!(
        "{}",
        crate::spec::diagnostic::render_lines(&planned.loaded.state.warnings)
    );
    if let Some(file) = &args.plan_file {
        if let Some(code) = refuse_stale(file, &planned.plan)? {
            return Ok(code);
        }
    }
    let style = render::text::Style {
        color: color_wanted(args.no_color),
    };
    print!("{}", render::text::render(&planned.plan, style));
    record_departures(&planned, &selected.backend, started).await;
    if let Some(code) = nothing_to_write(&planned.plan) {
        return Ok(code);
    }
    if !args.auto_approve && args.plan_file.is_none() && !confirmed()? {
        return Ok(ExitCode::from(1));
    }
    let cancel = Cancel::default();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        wait_for_shutdown().await;
        eprintln!("\ninterrupted: finishing calls in flight, starting no new changes");
        on_signal.cancel();
    });
    let apply = ApplyOptions {
        allow_data_loss: args.allow_data_loss,
        progress: progress.clone(),
    };
    let options = ReconcileOptions {
        state: &selected.backend,
        apply: &apply,
        cancel: &cancel,
        save: SaveScope::Every,
        started,
        lock: LockOptions {
            operation: "apply",
            lease: selected.lease,
            timeout: args.lock_timeout,
        },
    };
    let reconciled = reconcile(&planned, &mut state, &options).await;
    progress.finish();
    if let Some(e) = &reconciled.lock_error {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(1));
    }
    if let Some(e) = &reconciled.save_error {
        eprintln!("warning: {e}; drift detection will not know about this apply");
    }
    for e in &reconciled.history_errors {
        eprintln!("warning: history not recorded: {e}");
    }
    Ok(summarise(&planned.plan, &reconciled.report))
}

/// Organization accounts that left scope, in the history once: a fact of this apply
/// whether or not anything else is written.
async fn record_departures(
    planned: &crate::engine::Planned,
    backend: &crate::state::StateBackend,
    started: std::time::SystemTime,
) {
    let (_, errors) = crate::organization::record_departures(
        backend,
        &planned.departed,
        &planned.plan.revision,
        crate::reconcile::unix(started),
    )
    .await;
    for e in &errors {
        eprintln!("warning: history not recorded: {e}");
    }
}

/// Exit 1 when the saved plan no longer matches a fresh one (nothing is applied).
fn refuse_stale(file: &Path, fresh: &Plan) -> Result<Option<ExitCode>, CliError> {
    let text = std::fs::read_to_string(file).map_err(CliError::io(format!(
        "reading the saved plan {}",
        file.display()
    )))?;
    let saved: Plan = serde_json::from_str(&text).map_err(|source| CliError::Json {
        what: format!(
            "{} is not a plan written by `driftless plan --out`",
            file.display()
        ),
        source,
    })?;
    let Some(why) = crate::plan::saved_plan_mismatch(&saved, fresh) else {
        return Ok(None);
    };
    eprintln!(
        "error: the saved plan {} is stale: {why}; nothing was applied",
        file.display()
    );
    eprintln!(
        "  hint: run `driftless plan --out {}` again and review it",
        file.display()
    );
    Ok(Some(ExitCode::from(1)))
}

/// The exit code when nothing in the plan can be written (conflicts, report-only
/// changes and failed targets aside); `None` when there is something to apply.
fn nothing_to_write(plan: &Plan) -> Option<ExitCode> {
    let writable = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::Conflict && !c.report_only)
        .count();
    if writable > 0 {
        return None;
    }
    if !plan.errors.is_empty() {
        println!(
            "\nNothing to apply in the targets planned; {} not planned.",
            plural(plan.errors.len(), "failed target")
        );
        return Some(ExitCode::from(1));
    }
    if plan.summary.conflict > 0 {
        println!(
            "\nNothing to apply; {} not written.",
            plural(plan.summary.conflict, "conflict")
        );
        return Some(ExitCode::from(1));
    }
    Some(ExitCode::SUCCESS)
}

/// Asks for `yes` on a terminal; off a terminal there is nobody to ask.
fn confirmed() -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        eprintln!("error: apply needs confirmation, and standard input is not a terminal; nothing was applied");
        eprintln!("  hint: pass --auto-approve, or apply a reviewed plan: `driftless plan --out plan.json` then `driftless apply plan.json`");
        return Ok(false);
    }
    print!("\nDo you want to make these changes? Only 'yes' is accepted: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        eprintln!("apply cancelled; nothing was applied");
        return Ok(false);
    }
    Ok(true)
}

/// Prints each failed change with its hint and the summary line; exit 1 when anything
/// failed, conflicted or could not be planned.
fn summarise(plan: &Plan, report: &ApplyReport) -> ExitCode {
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
                crate::spec::wire_name(&c.action)
            );
            if let ApplyError::Aws(aws) = e {
                if let Some(hint) = aws.hint() {
                    eprintln!("  hint: {hint}");
                }
            }
        }
    }
    let (conflicts, target_errors) = (plan.summary.conflict, plan.errors.len());
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
    if failed > 0 || conflicts > 0 || target_errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
