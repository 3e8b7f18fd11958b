//! Live resources → spec documents as YAML text, for `driftless import` (pure).
//!
//! Each live resource is serialised in its spec type (what `aws/` readers return),
//! the ownership tag is dropped, and then every field the plan's normalisation
//! (`plan::normalise`) would fill in by itself is left out: a key is removed when the
//! normalised spec without it equals the normalised live resource, so AWS defaults
//! and server-chosen values (a vault's AWS-managed key, backup windows) are not
//! written, and an immediate plan over the documents shows no field change. Each
//! document is then validated on its own with the repository's driftless.yaml; one
//! that does not validate (a value the format cannot represent) is left out and its
//! diagnostics reported.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value as J;

use super::emit;
use crate::live::{Live, LiveTarget, Tagged};
use crate::plan::normalise::{self, Normalised};
use crate::spec::context::OWNERSHIP_TAG;
use crate::spec::{Kind, SourceFile};

/// What to import from one target.
#[derive(Debug, Clone)]
pub struct Options {
    /// The ownership tag's value (driftless.yaml `instance`).
    pub instance: String,
    pub kinds: BTreeSet<Kind>,
    pub name_prefix: Option<String>,
    pub adopt: bool,
    /// Write `metadata.targets: [target]` (several targets are imported).
    pub name_target: bool,
    /// The repository's driftless.yaml, to validate documents against.
    pub config: Option<SourceFile>,
}

/// One target's files (name → YAML text, in kind order) and what was left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetFiles {
    pub files: Vec<(String, String)>,
    /// One line per resource left out or setting not written, for stderr.
    pub notes: Vec<String>,
    pub documents: usize,
}

/// A document: kind, name and minimal spec.
#[derive(Debug, Clone, PartialEq)]
struct Doc {
    kind: Kind,
    name: String,
    spec: J,
}

/// The file each kind is written to.
pub fn file_name(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::MetricAlarm => "alarms.yaml",
        Kind::LogGroup => "log-groups.yaml",
        Kind::PatchBaseline => "patch-baselines.yaml",
        Kind::MaintenanceWindow => "maintenance-windows.yaml",
        Kind::BackupVault => "backup-vaults.yaml",
        Kind::BackupPlan => "backup-plans.yaml",
        Kind::LogRetentionPolicy => return None,
    })
}

/// The documents of one target's live resources.
pub fn target_files(target: &str, live: &LiveTarget, options: &Options) -> TargetFiles {
    let mut out = TargetFiles::default();
    let mut docs: Vec<Doc> = Vec::new();
    let mut take = |kind: Kind, candidates: Vec<(String, J, Option<String>)>| {
        if !options.kinds.contains(&kind) {
            return;
        }
        for (name, spec, owner) in candidates {
            match candidate(kind, &name, spec, owner.as_deref(), options) {
                Ok(doc) => docs.push(doc),
                Err(Some(note)) => out.notes.push(format!("{target}: {kind:?} {name}: {note}")),
                Err(None) => {}
            }
        }
    };
    take(Kind::MetricAlarm, jsons(&live.alarms));
    take(Kind::LogGroup, jsons(&live.log_groups));
    docs.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    for kind in Kind::ALL {
        let Some(file) = file_name(*kind) else {
            continue;
        };
        let mut text = String::new();
        for doc in docs.iter().filter(|d| d.kind == *kind) {
            let one = document(doc, target, options);
            match invalid(file, &one, options) {
                Some(why) => out.notes.push(format!(
                    "{target}: {:?} {}: left out, the format cannot represent it: {why}",
                    doc.kind, doc.name
                )),
                None => {
                    if !text.is_empty() {
                        text.push_str("---\n");
                    }
                    text.push_str(&one);
                    out.documents += 1;
                }
            }
        }
        if !text.is_empty() {
            out.files.push((file.to_string(), text));
        }
    }
    out
}

/// (name, spec as JSON, ownership tag value) of each live resource.
fn jsons<S: Serialize + Tagged>(live: &[Live<S>]) -> Vec<(String, J, Option<String>)> {
    live.iter()
        .map(|l| {
            let owner = l.spec.tags().get(OWNERSHIP_TAG).cloned();
            let spec = serde_json::to_value(&l.spec).unwrap_or(J::Null);
            (l.name.clone(), spec, owner)
        })
        .collect()
}

/// The document for one live resource, or why there is none (`None`: not worth a
/// note, e.g. outside `--name-prefix`).
fn candidate(
    kind: Kind,
    name: &str,
    spec: J,
    owner: Option<&str>,
    options: &Options,
) -> Result<Doc, Option<String>> {
    if let Some(prefix) = &options.name_prefix {
        if !name.starts_with(prefix.as_str()) {
            return Err(None);
        }
    }
    match owner {
        Some(o) if o == options.instance => {
            return Err(Some(
                "skipped: driftless already manages it (it is in git)".into(),
            ))
        }
        Some(o) => {
            return Err(Some(format!(
                "skipped: managed by another driftless instance (`{OWNERSHIP_TAG}: {o}`)"
            )))
        }
        None => {}
    }
    if let Some(why) = service_owned(kind, name, options.name_prefix.as_deref()) {
        return Err(Some(format!("left out: {why}")));
    }
    let spec = minimal(kind, spec).ok_or_else(|| {
        Some(
            "left out: its live settings do not survive normalisation (a bug; please report it)"
                .into(),
        )
    })?;
    Ok(Doc {
        kind,
        name: name.to_string(),
        spec,
    })
}

/// Why a resource is AWS's or a service's, not the account's to manage.
fn service_owned(kind: Kind, name: &str, prefix: Option<&str>) -> Option<String> {
    let asked = |p: &str| prefix.is_some_and(|x| x.starts_with(p));
    match kind {
        Kind::LogGroup if name.starts_with("/aws/") && !asked("/aws/") => Some(
            "created by an AWS service (`/aws/…`); import it with `--name-prefix /aws/…`".into(),
        ),
        Kind::MetricAlarm if name.starts_with("TargetTracking-") => {
            Some("created and rewritten by Application Auto Scaling (target tracking)".into())
        }
        _ => None,
    }
}

/// The kind's normalised form of a spec given as JSON (`None`: not a valid spec).
fn normalised(kind: Kind, spec: &J) -> Option<Normalised> {
    fn of<S: serde::de::DeserializeOwned>(
        spec: &J,
        f: impl Fn(&S) -> Normalised,
    ) -> Option<Normalised> {
        serde_json::from_value::<S>(spec.clone())
            .ok()
            .map(|s| f(&s))
    }
    match kind {
        Kind::MetricAlarm => of(spec, |s| normalise::alarm(s, None)),
        Kind::LogGroup => of(spec, |s| normalise::log_group(s, None)),
        Kind::PatchBaseline => of(spec, |s| normalise::patch_baseline(s, None)),
        Kind::MaintenanceWindow => of(spec, |s| normalise::maintenance_window(s, None)),
        Kind::BackupVault => of(spec, |s| normalise::backup_vault(s, None)),
        Kind::BackupPlan => of(spec, |s| normalise::backup_plan(s, None)),
        Kind::LogRetentionPolicy => None,
    }
}

/// `spec` (the live resource, ownership tag removed) without every key the plan's
/// normalisation restores by itself; `None` when the spec does not even equal itself
/// once normalised.
fn minimal(kind: Kind, mut spec: J) -> Option<J> {
    if let Some(J::Object(tags)) = spec.get_mut("tags") {
        tags.remove(OWNERSHIP_TAG);
    }
    let live = normalised(kind, &spec)?;
    let same = |candidate: &J| {
        normalised(kind, candidate).is_some_and(|mut n| {
            crate::plan::dont_care(kind, &mut n, &live);
            n == live
        })
    };
    if !same(&spec) {
        return None;
    }
    strip(&mut spec, &mut Vec::new(), &same);
    Some(spec)
}

/// One step of a path into a JSON value.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut J, path: &[Step]) -> Option<&'a mut J> {
    path.iter().try_fold(v, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// Removes, depth first, every key under `path` whose removal `same` accepts.
fn strip(root: &mut J, path: &mut Vec<Step>, same: &impl Fn(&J) -> bool) {
    let steps: Vec<Step> = match at(root, path) {
        Some(J::Object(m)) => m.keys().cloned().map(Step::Key).collect(),
        Some(J::Array(a)) => (0..a.len()).map(Step::Index).collect(),
        _ => return,
    };
    for step in steps {
        if let Step::Key(key) = &step {
            let mut candidate = root.clone();
            if let Some(J::Object(m)) = at(&mut candidate, path) {
                m.remove(key);
            }
            if same(&candidate) {
                *root = candidate;
                continue;
            }
        }
        path.push(step);
        strip(root, path, same);
        path.pop();
    }
}

/// One document's YAML text.
fn document(doc: &Doc, target: &str, options: &Options) -> String {
    let mut text = format!(
        "apiVersion: driftless.dev/v1\nkind: {}\nmetadata:\n  name: {}\n",
        doc.kind.as_str(),
        emit::scalar_string(&doc.name)
    );
    if options.name_target {
        text.push_str(&format!("  targets: [{}]\n", emit::scalar_string(target)));
    }
    if options.adopt {
        text.push_str("  adopt: true\n");
    }
    match &doc.spec {
        J::Object(m) if !m.is_empty() => {
            text.push_str("spec:\n");
            emit::block(&doc.spec, 2, &mut text);
        }
        _ => text.push_str("spec: {}\n"),
    }
    text
}

/// The diagnostics of `text` validated alone with driftless.yaml, when it is invalid.
fn invalid(file: &str, text: &str, options: &Options) -> Option<String> {
    let mut files: Vec<SourceFile> = options.config.iter().cloned().collect();
    files.push(SourceFile {
        relative: file.to_string(),
        display: file.to_string(),
        text: text.to_string(),
    });
    match crate::spec::parse(&files) {
        Ok(_) => None,
        Err(diagnostics) => Some(
            diagnostics
                .iter()
                .map(|d| match &d.hint {
                    Some(h) => format!("{} ({h})", d.message),
                    None => d.message.clone(),
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}
