//! `driftless validate [DIR]`: parse and check every document offline; no AWS call.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{report_invalid, CliResult, Output};
use crate::spec::diagnostic::plural;
use crate::validate::{load_folder, LoadError};

#[derive(Args)]
pub struct ValidateArgs {
    /// The repository folder (default: the current folder).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

pub fn run(args: &ValidateArgs) -> CliResult {
    let display = args.dir.to_string_lossy();
    let mut stdout = std::io::stdout().lock();
    match load_folder(&args.dir, &display) {
        Ok(loaded) => {
            let warnings = &loaded.state.warnings;
            if args.output != Output::Json {
                // Diagnostics go to stderr, as for an invalid repository.
                eprint!("{}", crate::spec::diagnostic::render_lines(warnings));
            }
            match args.output {
                Output::Json => writeln!(
                    stdout,
                    "{}",
                    serde_json::json!({"valid": true, "errors": warnings, "documents": loaded.documents})
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
            report_invalid(&diagnostics, args.output)?;
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
