//! `driftless plan`: read live state, print what apply would change; writes nothing.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{color_wanted, plan_source, CliError, CliResult, DeleteArgs, Output, SourceArgs};
use crate::aws::AwsOptions;
use crate::render;

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// No colours (also NO_COLOR=1).
    #[arg(long)]
    pub no_color: bool,
    #[command(flatten)]
    pub deletes: DeleteArgs,
    /// Save the plan as JSON for `driftless apply PLAN_FILE`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes or conflicts, 0 when there are none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Replay each created or changed metric alarm on its metric's history (`14d`,
    /// `36h`, `90m`; at most 14 days): how often it would have fired, with the desired
    /// and with the live settings.
    #[arg(long, value_name = "DURATION", value_parser = crate::backtest::parse_duration)]
    pub backtest: Option<i64>,
}

pub async fn run(args: &PlanArgs) -> CliResult {
    let request = args.deletes.request(&args.source, AwsOptions::default());
    let progress = request.progress.clone();
    let planned = plan_source(&args.source, request).await;
    progress.finish();
    let mut planned = match planned {
        Ok((planned, _, _)) => planned,
        Err(e) => return e.report(args.output),
    };
    if let Some(seconds) = args.backtest {
        let now = crate::validate::now().timestamp();
        crate::backtest::annotate(&mut planned, seconds, now).await;
    }
    eprint!(
        "{}",
        crate::spec::diagnostic::render_lines(&planned.loaded.state.warnings)
    );
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
        std::fs::write(out, render::json(plan)).map_err(CliError::io(format!(
            "writing the plan to {}",
            out.display()
        )))?;
    }
    Ok(if !plan.errors.is_empty() {
        ExitCode::from(1)
    } else if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
