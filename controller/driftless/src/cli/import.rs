//! `driftless import`: write spec documents for the live resources of the selected
//! targets into `--out` (the work is `crate::import`); notes on what was left out go
//! to stderr. Refuses a non-empty `--out` unless `--force`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{engine_failure, CliError, CliResult, Output, SourceArgs};
use crate::aws::AwsOptions;
use crate::import::{ImportRequest, IMPORTABLE};
use crate::spec::Kind;

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Only these kinds (comma-separated: MetricAlarm,LogGroup,...); default: all.
    #[arg(long, value_delimiter = ',', value_parser = parse_kind)]
    pub kinds: Vec<Kind>,
    /// Only resources whose name starts with this.
    #[arg(long)]
    pub name_prefix: Option<String>,
    /// The folder to write (one file per kind; a folder per target when several).
    #[arg(long, default_value = "imported")]
    pub out: PathBuf,
    /// Mark every document `adopt: true`, so the first apply only adds the ownership tag.
    #[arg(long)]
    pub adopt: bool,
    /// Write into a non-empty `--out`, replacing the files import writes.
    #[arg(long)]
    pub force: bool,
}

fn parse_kind(text: &str) -> Result<Kind, String> {
    Kind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str().eq_ignore_ascii_case(text.trim()))
        .ok_or_else(|| {
            let names: Vec<&str> = IMPORTABLE.iter().map(|k| k.as_str()).collect();
            format!("unknown kind `{text}`; one of {}", names.join(", "))
        })
}

pub async fn run(args: &ImportArgs) -> CliResult {
    if !args.force && not_empty(&args.out) {
        eprintln!(
            "error: `{}` is not empty; refusing to overwrite it\n  hint: choose another --out, or pass --force",
            args.out.display()
        );
        return Ok(ExitCode::from(1));
    }
    let request = ImportRequest {
        targets: args.source.targets.clone(),
        kinds: args.kinds.iter().copied().collect::<BTreeSet<_>>(),
        name_prefix: args.name_prefix.clone(),
        adopt: args.adopt,
        aws: AwsOptions {
            endpoint_url: args.source.endpoint_url.clone(),
            ..AwsOptions::default()
        },
    };
    let location = args.source.location();
    let imported = match crate::import::import(&location, &args.source.state_dir, &request).await {
        Ok(imported) => imported,
        Err(e) => return engine_failure(e, Output::Text),
    };
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    for (file, text) in &imported.files {
        let path = args.out.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(CliError::io(format!("creating {}", parent.display())))?;
        }
        std::fs::write(&path, text).map_err(CliError::io(format!("writing {}", path.display())))?;
    }
    writeln!(
        std::io::stdout(),
        "Imported {} documents from {} target(s) into {}.",
        imported.documents,
        imported.targets.len(),
        args.out.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn not_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}
