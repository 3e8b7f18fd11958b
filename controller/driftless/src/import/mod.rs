//! `driftless import`: spec documents for live resources, so an existing estate can be
//! adopted (cli.md, Additions).
//!
//! The repository (`--source`) gives the targets, the instance and driftless.yaml.
//! Each selected target is read with `aws::read_every` (the plan's batched readers in
//! their "every resource" mode, as `driftless audit` reads; no other call), and
//! `write::target_files` turns what was read into one file per kind (pure). What is
//! left out (resources driftless owns already, AWS's and services' own resources,
//! values the format cannot represent) is returned as notes for stderr. Last, the
//! files are validated together as `driftless validate` reads them (`checked`).

pub use driftless_core::import::{emit, write, IMPORTABLE};

mod checked;

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::aws::{self, AwsError, AwsOptions, Clients};
use crate::engine::{EngineError, MAX_CONCURRENT_TARGETS};
use crate::live::LiveTarget;
use crate::source::SourceLocation;
use crate::spec::config::DEFAULT_TARGET;
use crate::spec::Kind;
use crate::validate::LoadError;

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// Targets or groups of driftless.yaml; empty: all.
    pub targets: Vec<String>,
    /// Empty: every importable kind.
    pub kinds: BTreeSet<Kind>,
    pub name_prefix: Option<String>,
    pub adopt: bool,
    pub aws: AwsOptions,
}

/// The files to write (path relative to `--out` → text) and the notes for stderr.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub files: Vec<(String, String)>,
    pub notes: Vec<String>,
    pub documents: usize,
    pub targets: Vec<String>,
}

/// Reads the selected targets and builds the files.
pub async fn import(
    location: &SourceLocation,
    state_dir: &std::path::Path,
    request: &ImportRequest,
) -> Result<Imported, EngineError> {
    let snapshot = crate::source::read_source(location, state_dir)
        .await
        .map_err(|e| EngineError::Load(LoadError::Source(e)))?;
    let config_file = snapshot
        .files
        .iter()
        .find(|f| f.relative == "driftless.yaml")
        .cloned();
    let loaded = crate::validate::load_snapshot(snapshot)?;
    let loaded = crate::organization::enroll(loaded, &request.aws)
        .await?
        .loaded;
    let config = &loaded.state.config;
    let selected = config.select_targets(&request.targets)?;
    let mut notes = general_notes(&request.kinds);
    let kinds: BTreeSet<Kind> = match request.kinds.is_empty() {
        true => IMPORTABLE.iter().copied().collect(),
        false => request
            .kinds
            .iter()
            .copied()
            .filter(|k| IMPORTABLE.contains(k))
            .collect(),
    };
    let live = read_targets(config, &selected, &kinds, &request.aws).await?;
    let options = write::Options {
        instance: config.instance().to_string(),
        kinds,
        name_prefix: request.name_prefix.clone(),
        adopt: request.adopt,
        name_target: selected.len() > 1,
        config: config_file.clone(),
    };
    let mut out = Imported {
        targets: selected.clone(),
        ..Imported::default()
    };
    for (target, live) in selected.iter().zip(&live) {
        let files = write::target_files(target, live, &options);
        let folder = if selected.len() > 1 {
            format!("{target}/")
        } else {
            String::new()
        };
        out.files.extend(
            files
                .files
                .into_iter()
                .map(|(f, t)| (format!("{folder}{f}"), t)),
        );
        notes.extend(files.notes);
        out.documents += files.documents;
    }
    if let Some(config) = config_file {
        out.files.push(("driftless.yaml".into(), config.text));
    }
    let (left_out, removed) = checked::leave_out_invalid(&mut out.files);
    notes.extend(left_out);
    out.documents = out.documents.saturating_sub(removed);
    out.notes = notes;
    Ok(out)
}

/// Notes that do not depend on what was read.
fn general_notes(kinds: &BTreeSet<Kind>) -> Vec<String> {
    let mut notes = Vec::new();
    if kinds.contains(&Kind::LogRetentionPolicy) {
        notes.push(
            "LogRetentionPolicy is not importable: it is a driftless rule over log groups, \
             with no live resource of its own; import LogGroup instead"
                .to_string(),
        );
    }
    notes
}

/// `read_every` of `kinds` in each target, concurrently; in `selected` order.
async fn read_targets(
    config: &crate::spec::config::DriftlessConfig,
    selected: &[String],
    kinds: &BTreeSet<Kind>,
    options: &AwsOptions,
) -> Result<Vec<LiveTarget>, EngineError> {
    let limit = Arc::new(Semaphore::new(MAX_CONCURRENT_TARGETS));
    let progress = crate::progress::Progress::for_command();
    progress.stage("targets read", selected.len());
    let mut tasks = tokio::task::JoinSet::new();
    for (i, name) in selected.iter().enumerate() {
        let target_config = config.target(name).cloned();
        let (name, options, kinds, limit) =
            (name.clone(), options.clone(), kinds.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let clients = Clients::for_target(&name, target_config.as_ref(), &options).await?;
            let live = aws::read_every(&clients, &kinds).await?;
            Ok::<(usize, LiveTarget), AwsError>((i, live))
        });
    }
    let mut out = vec![LiveTarget::default(); selected.len()];
    while let Some(joined) = tasks.join_next().await {
        progress.tick();
        let (i, live) = joined.map_err(|e| AwsError::Setup {
            target: DEFAULT_TARGET.into(),
            message: format!("a read task failed: {e}"),
            hint: "this is a bug in driftless; please report it".into(),
        })??;
        out[i] = live;
    }
    Ok(out)
}
