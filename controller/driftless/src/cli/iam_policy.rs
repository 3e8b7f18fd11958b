//! `driftless iam-policy`: the least-privilege IAM policy (JSON) for the kinds a
//! repository uses (`iam.rs` builds it).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{absolute_path, report_invalid, CliError, CliResult, Output};
use crate::source::SourceLocation;
use crate::validate::LoadError;

#[derive(Args)]
pub struct IamPolicyArgs {
    /// The repository: a local folder, or a git URL (file://, https://, ssh://, git@host:repo).
    #[arg(long, default_value = ".")]
    pub source: String,
    /// Branch, tag or commit SHA to read (git sources only; default main).
    #[arg(long = "ref")]
    pub reference: Option<String>,
    /// A folder inside the repository holding the specs.
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Where a git source is fetched to.
    #[arg(long, default_value = crate::state::DEFAULT_STATE_DIR, value_parser = absolute_path)]
    pub state_dir: PathBuf,
    /// Every read and no write: for plan-only and report-only deployments.
    #[arg(long)]
    pub read_only: bool,
}

pub async fn run(args: &IamPolicyArgs) -> CliResult {
    let location = SourceLocation {
        source: args.source.clone(),
        reference: args.reference.clone(),
        path: args.path.as_ref().map(|p| p.to_string_lossy().into_owned()),
    };
    let loaded = crate::source::read_source(&location, &args.state_dir)
        .await
        .map_err(LoadError::Source)
        .and_then(crate::validate::load_snapshot);
    let loaded = match loaded {
        Ok(l) => l,
        Err(LoadError::Invalid(diagnostics)) => {
            report_invalid(&diagnostics, Output::Text)?;
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let policy = crate::iam::policy(&loaded.state, args.read_only);
    let text = serde_json::to_string_pretty(&policy).map_err(|source| CliError::Json {
        what: "printing the policy".into(),
        source,
    })?;
    writeln!(std::io::stdout(), "{text}")?;
    Ok(ExitCode::SUCCESS)
}
