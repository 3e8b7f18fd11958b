//! `driftless audit`: the guardrails evaluated on every live resource of their kinds
//! in each target, owned or not (the work is `crate::audit`); exit 1 when a target
//! could not be read (the others are still audited), else 2 when anything is
//! non-compliant.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::{engine_failure, CliResult, Output, SourceArgs};
use crate::audit::Format;
use crate::aws::AwsOptions;

#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Also read AWS Config's own results of the deployed guardrails (`deploy: true`):
    /// each evaluation's `config`, and where the two disagree.
    #[arg(long)]
    pub config_results: bool,
}

pub async fn run(args: &AuditArgs) -> CliResult {
    let format = match args.output {
        Output::Text => Format::Text,
        Output::Json => Format::Json,
        Output::Markdown => Format::Markdown,
    };
    let aws = AwsOptions {
        endpoint_url: args.source.endpoint_url.clone(),
        ..AwsOptions::default()
    };
    let source = &args.source;
    match crate::audit::run(
        &source.location(),
        &source.state_dir,
        &source.targets,
        &aws,
        format,
        args.config_results,
    )
    .await
    {
        Ok(outcome) => {
            std::io::stdout()
                .lock()
                .write_all(outcome.output.as_bytes())?;
            Ok(ExitCode::from(
                match (outcome.failed, outcome.non_compliant) {
                    (true, _) => 1,
                    (false, true) => 2,
                    (false, false) => 0,
                },
            ))
        }
        Err(e) => engine_failure(e, args.output),
    }
}
