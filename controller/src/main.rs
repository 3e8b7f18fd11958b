//! The `driftless` command line: parses flags, calls the library, prints, and maps
//! outcomes to exit codes (0 success, 1 error, 2 changes for `plan
//! --detailed-exitcode`). anyhow is used here and nowhere else.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use driftless::spec::diagnostic::{plural, render_json, render_text};
use driftless::validate::{load_folder, LoadError};

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
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Json,
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
    }
}

fn validate(dir: &std::path::Path, output: Output) -> anyhow::Result<ExitCode> {
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
                Output::Text => writeln!(
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
            match output {
                Output::Json => writeln!(stdout, "{}", render_json(&diagnostics))?,
                Output::Text => eprint!("{}", render_text(&diagnostics)),
            }
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
