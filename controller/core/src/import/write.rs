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
        Kind::MetricFilter => "metric-filters.yaml",
        Kind::CompositeAlarm => "composite-alarms.yaml",
        Kind::ConfigurationAggregator => "config-aggregators.yaml",
        Kind::ConfigRule => "config-rules.yaml",
        Kind::Association => "associations.yaml",
        Kind::ConformancePack => "conformance-packs.yaml",
        Kind::ConfigurationRecorder => "config-recorders.yaml",
        Kind::LogRetentionPolicy => return None,
    })
}

/// The documents of one target's live resources.
pub fn target_files(target: &str, live: &LiveTarget, options: &Options) -> TargetFiles {
    let mut out = TargetFiles::default();
    let mut docs = documents(target, live, options, &mut out.notes);
    docs.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    let vault_names: BTreeSet<String> = docs
        .iter()
        .filter(|d| d.kind == Kind::BackupVault)
        .map(|d| d.name.clone())
        .collect();
    for doc in docs.iter_mut().filter(|d| d.kind == Kind::BackupPlan) {
        external_vaults(&mut doc.spec, &vault_names);
    }
    composites_in_order(&mut docs, target, &mut out.notes);
    // Vaults come before plans, so plans are validated with the vaults they name.
    let mut written: Vec<SourceFile> = Vec::new();
    for kind in WRITE_ORDER {
        let Some(file) = file_name(*kind) else {
            continue;
        };
        let mut text = String::new();
        for doc in docs.iter().filter(|d| d.kind == *kind) {
            let one = document(doc, target, options);
            // A composite alarm is checked with the ones before it, which it may name.
            let checked = match (*kind, text.is_empty()) {
                (Kind::CompositeAlarm, false) => format!("{text}---\n{one}"),
                _ => one.clone(),
            };
            match invalid(file, &checked, options, &written) {
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
            written.push(source_file(file, &text));
            out.files.push((file.to_string(), text));
        }
    }
    out
}

/// The documents of the asked kinds, with notes on what is left out.
fn documents(
    target: &str,
    live: &LiveTarget,
    options: &Options,
    notes: &mut Vec<String>,
) -> Vec<Doc> {
    let wanted = |k: Kind| options.kinds.contains(&k);
    let mut docs: Vec<Doc> = Vec::new();
    let mut take =
        |kind: Kind, candidates: Vec<Found>| {
            if !wanted(kind) {
                return;
            }
            for found in candidates {
                let name = found.name.clone();
                let note = |n: String| format!("{target}: {kind:?} {name}: {n}");
                let unrepresented = found.unrepresented.clone();
                match candidate(kind, &name, found.spec, found.owner.as_deref(), options) {
                    Ok((doc, left_out)) => {
                        notes.extend(left_out.into_iter().map(note));
                        notes.extend(unrepresented.into_iter().map(|u| {
                            note(format!("{u} not written: the format cannot represent it"))
                        }));
                        docs.push(doc);
                    }
                    Err(Some(n)) => notes.push(note(n)),
                    Err(None) => {}
                }
            }
        };
    // A name is the key of every kind in the format; AWS lets some kinds share one.
    let mut same_name = Vec::new();
    let vaults: Vec<Live<_>> = live.backup_vaults.iter().map(|v| v.vault.clone()).collect();
    let mut unique =
        |kind: Kind, items: Vec<Found>| unique_names(kind, items, target, &mut same_name);
    let alarms = unique(Kind::MetricAlarm, jsons(&live.alarms));
    let groups = unique(Kind::LogGroup, jsons(&live.log_groups));
    let baselines = unique(Kind::PatchBaseline, jsons(&live.patch_baselines));
    let windows = unique(Kind::MaintenanceWindow, jsons(&live.maintenance_windows));
    let vaults = unique(Kind::BackupVault, jsons(&vaults));
    let plans = unique(Kind::BackupPlan, jsons(&live.backup_plans));
    let composites = unique(Kind::CompositeAlarm, jsons(&live.composite_alarms));
    let aggregators = unique(
        Kind::ConfigurationAggregator,
        jsons(&live.config_aggregators),
    );
    let config_rules = unique(Kind::ConfigRule, jsons(&live.config_rules));
    let associations = unique(Kind::Association, jsons(&live.associations));
    let packs = unique(Kind::ConformancePack, jsons(&live.conformance_packs));
    take(Kind::MetricAlarm, alarms);
    take(Kind::LogGroup, groups);
    take(Kind::PatchBaseline, baselines);
    take(Kind::MaintenanceWindow, windows);
    take(Kind::BackupVault, vaults);
    take(Kind::BackupPlan, plans);
    let mut shared_filter_names = Vec::new();
    take(
        Kind::MetricFilter,
        filters(live, target, &mut shared_filter_names),
    );
    take(Kind::CompositeAlarm, composites);
    take(Kind::ConfigurationAggregator, aggregators);
    take(Kind::ConfigRule, config_rules);
    take(Kind::Association, associations);
    take(Kind::ConformancePack, packs);
    take(Kind::ConfigurationRecorder, recorders(live));
    if wanted(Kind::MetricFilter) {
        notes.extend(shared_filter_names);
    }
    notes.extend(
        same_name
            .into_iter()
            .filter(|(kind, _)| wanted(*kind))
            .map(|(_, note)| note),
    );
    if wanted(Kind::PatchBaseline) {
        notes.extend(foreign_registrations(target, live));
    }
    docs
}

/// The order files are written and validated in: vaults before the plans naming them.
const WRITE_ORDER: &[Kind] = &[
    Kind::MetricAlarm,
    Kind::LogGroup,
    Kind::PatchBaseline,
    Kind::MaintenanceWindow,
    Kind::BackupVault,
    Kind::BackupPlan,
    Kind::MetricFilter,
    Kind::CompositeAlarm,
    Kind::ConfigurationAggregator,
    Kind::ConfigRule,
    Kind::Association,
    Kind::ConformancePack,
    Kind::ConfigurationRecorder,
];

/// Composite alarms after every other document, each after the imported composites it
/// names, and with `externalAlarms` listing what they name that is not imported: the
/// format's way to name an alarm no document of the revision manages. Composites in a
/// cycle (or depending on one) are left out with a note: the format refuses cycles,
/// since AWS cannot create them in order.
fn composites_in_order(docs: &mut Vec<Doc>, target: &str, notes: &mut Vec<String>) {
    let alarms: BTreeSet<String> = docs
        .iter()
        .filter(|d| matches!(d.kind, Kind::MetricAlarm | Kind::CompositeAlarm))
        .map(|d| d.name.clone())
        .collect();
    let (mut pending, others): (Vec<Doc>, Vec<Doc>) = std::mem::take(docs)
        .into_iter()
        .partition(|d| d.kind == Kind::CompositeAlarm);
    *docs = others;
    let named = |d: &Doc| -> BTreeSet<String> {
        serde_json::from_value::<crate::spec::CompositeAlarmSpec>(d.spec.clone())
            .map(|c| c.named_alarms())
            .unwrap_or_default()
    };
    for doc in &mut pending {
        let external: Vec<String> = named(doc).difference(&alarms).cloned().collect();
        if let (false, J::Object(m)) = (external.is_empty(), &mut doc.spec) {
            m.insert("externalAlarms".into(), J::from(external));
        }
    }
    let composites: BTreeSet<String> = pending.iter().map(|d| d.name.clone()).collect();
    let mut emitted: BTreeSet<String> = BTreeSet::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|d| {
            named(d)
                .iter()
                .all(|n| !composites.contains(n) || emitted.contains(n) || *n == d.name)
        });
        let Some(ready) = ready else {
            for doc in pending.drain(..) {
                notes.push(format!(
                    "{target}: CompositeAlarm {}: left out: it is in (or names) a cycle of composite alarms naming each other, which the format refuses",
                    doc.name
                ));
            }
            break;
        };
        let doc = pending.remove(ready);
        emitted.insert(doc.name.clone());
        docs.push(doc);
    }
}

/// A plan's rules may name vaults that are not imported (`Default`, an owned one, one
/// left out): they are listed in `externalVaults`, the format's way to name a vault no
/// document of the revision manages.
fn external_vaults(plan: &mut J, imported: &BTreeSet<String>) {
    let named: BTreeSet<String> = plan
        .get("rules")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("targetVault").and_then(J::as_str))
        .filter(|v| !imported.contains(*v))
        .map(str::to_string)
        .collect();
    if !named.is_empty() {
        if let J::Object(m) = plan {
            m.insert(
                "externalVaults".into(),
                J::from(named.into_iter().collect::<Vec<_>>()),
            );
        }
    }
}

fn source_file(file: &str, text: &str) -> SourceFile {
    SourceFile {
        relative: file.to_string(),
        display: file.to_string(),
        text: text.to_string(),
    }
}

/// The live resources of `kind` whose name no other of the kind has. AWS lets
/// windows and patch baselines share a name (AWS's own create-patch-baseline examples
/// do); the format does not (a name is the key, `(kind, name, target)` unique), so
/// every one of a shared name is left out with a note (owned ones counted too: the
/// one in git would clash with an imported namesake).
fn unique_names(
    kind: Kind,
    items: Vec<Found>,
    target: &str,
    notes: &mut Vec<(Kind, String)>,
) -> Vec<Found> {
    let mut count: std::collections::BTreeMap<String, usize> = Default::default();
    for f in &items {
        *count.entry(f.name.clone()).or_default() += 1;
    }
    let what = match kind {
        Kind::MaintenanceWindow => "windows",
        Kind::PatchBaseline => "patch baselines",
        Kind::BackupPlan => "backup plans",
        Kind::Association => "associations",
        _ => "resources of this kind",
    };
    for (name, n) in count.iter().filter(|(_, n)| **n > 1) {
        notes.push((
            kind,
            format!(
                "{target}: {kind:?} {name}: left out: {n} {what} have this name; \
                 a name is one {kind:?} per target in the format, rename all but one to import them"
            ),
        ));
    }
    items
        .into_iter()
        .filter(|f| count[f.name.as_str()] == 1)
        .collect()
}

/// Patch groups registered to baselines the account does not own (AWS's predefined
/// ones, which are never read): the format writes a registration inside its
/// baseline, so these are not imported.
fn foreign_registrations(target: &str, live: &LiveTarget) -> Vec<String> {
    let own: BTreeSet<&str> = live
        .patch_baselines
        .iter()
        .filter_map(|b| b.id.as_deref())
        .collect();
    let mut notes = vec![format!(
        "{target}: AWS's predefined patch baselines (AWS-…) are not imported: they are AWS's, \
         not the account's to change"
    )];
    for (group, registrations) in &live.patch_group_registrations {
        for (os, baseline) in registrations
            .iter()
            .filter(|(_, b)| !own.contains(b.as_str()))
        {
            notes.push(format!(
                "{target}: patch group {group} ({os:?}): left out: registered to {baseline}, \
                 a baseline the account does not own"
            ));
        }
    }
    notes
}

/// A live resource as import sees it.
struct Found {
    name: String,
    spec: J,
    /// The ownership tag's value.
    owner: Option<String>,
    unrepresented: Vec<String>,
}

fn jsons<S: Serialize + Tagged>(live: &[Live<S>]) -> Vec<Found> {
    live.iter()
        .map(|l| Found {
            name: l.name.clone(),
            spec: serde_json::to_value(&l.spec).unwrap_or(J::Null),
            owner: l.spec.tags().get(OWNERSHIP_TAG).cloned(),
            unrepresented: l.unrepresented.clone(),
        })
        .collect()
}

/// The Region's configuration recorder (AWS allows one), with its delivery channel.
/// Recorders carry no ownership tag: import cannot tell driftless's from others'.
fn recorders(live: &LiveTarget) -> Vec<Found> {
    live.config_recorders
        .iter()
        .map(|r| Found {
            name: r.name.clone(),
            spec: serde_json::to_value(&r.spec).unwrap_or(J::Null),
            owner: None,
            unrepresented: r.unrepresented.clone(),
        })
        .collect()
}

/// Metric filters as import sees them: owned when their log group carries this
/// instance's (or another's) ownership tag. A filter name is unique per target in the
/// format, so filters sharing a name on several groups are left out with a note.
fn filters(live: &LiveTarget, target: &str, notes: &mut Vec<String>) -> Vec<Found> {
    let mut count: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in &live.metric_filters {
        *count.entry(f.filter.name.as_str()).or_default() += 1;
    }
    for (name, n) in count.iter().filter(|(_, n)| **n > 1) {
        notes.push(format!(
            "{target}: MetricFilter {name}: left out: {n} log groups have a filter of this name; \
             a name is one filter per target in the format, rename all but one to import them"
        ));
    }
    live.metric_filters
        .iter()
        .filter(|f| count[f.filter.name.as_str()] == 1)
        .map(|f| Found {
            name: f.filter.name.clone(),
            spec: serde_json::to_value(&f.filter.spec).unwrap_or(J::Null),
            owner: live
                .log_groups
                .iter()
                .find(|g| g.name == f.filter.spec.log_group_name)
                .and_then(|g| g.spec.tags.get(OWNERSHIP_TAG).cloned()),
            unrepresented: f.filter.unrepresented.clone(),
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
) -> Result<(Doc, Vec<String>), Option<String>> {
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
    if let Some(why) = shared_sub_names(kind, &spec) {
        return Err(Some(format!("left out: {why}")));
    }
    let (spec, notes) = minimal(kind, spec).ok_or_else(|| {
        Some(
            "left out: its live settings do not survive normalisation (a bug; please report it)"
                .into(),
        )
    })?;
    let doc = Doc {
        kind,
        name: name.to_string(),
        spec,
    };
    Ok((doc, notes))
}

/// Sub-resources sharing a name inside one resource (AWS lets two window targets or
/// tasks have one Name): the format keys them by name, so the resource cannot be
/// written; said before anything else is tried on it.
fn shared_sub_names(kind: Kind, spec: &J) -> Option<String> {
    let lists: &[&str] = match kind {
        Kind::MaintenanceWindow => &["targets", "tasks"],
        Kind::BackupPlan => &["rules", "selections"],
        _ => &[],
    };
    for list in lists {
        let mut count: std::collections::BTreeMap<&str, usize> = Default::default();
        let items = spec.get(*list).and_then(J::as_array).into_iter().flatten();
        for name in items.filter_map(|i| i.get("name").and_then(J::as_str)) {
            *count.entry(name).or_default() += 1;
        }
        if let Some((name, n)) = count.into_iter().find(|(_, n)| *n > 1) {
            return Some(format!(
                "{n} of its {list} are named `{name}`; a name is the key of its {list} in the \
                 format, rename all but one (in AWS) to import it"
            ));
        }
    }
    None
}

/// Why a resource is AWS's or a service's, not the account's to manage.
fn service_owned(kind: Kind, name: &str, prefix: Option<&str>) -> Option<String> {
    let asked = |p: &str| prefix.is_some_and(|x| x.starts_with(p));
    match kind {
        Kind::LogGroup if name.starts_with("/aws/") && !asked("/aws/") => Some(
            "created by an AWS service (`/aws/…`); import it with `--name-prefix /aws/…`".into(),
        ),
        Kind::BackupVault if name == "Default" => {
            Some("AWS Backup's `Default` vault (plans may still name it: `externalVaults`)".into())
        }
        Kind::BackupVault | Kind::BackupPlan if name.starts_with("aws/") => {
            Some("created by an AWS service (`aws/…`)".into())
        }
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
        Kind::MetricFilter => of(spec, normalise::metric_filter),
        Kind::CompositeAlarm => of(spec, |s| normalise::composite_alarm(s, None)),
        Kind::ConfigurationAggregator => of(spec, |s| normalise::config_aggregator(s, None)),
        Kind::ConfigRule => of(spec, |s| normalise::config_rule(s, None)),
        Kind::Association => of(spec, |s| normalise::association(s, None)),
        Kind::ConformancePack => of(spec, |s| normalise::conformance_pack(s, None)),
        Kind::ConfigurationRecorder => of(spec, normalise::config_recorder),
        Kind::LogRetentionPolicy => None,
    }
}

/// `spec` (the live resource, ownership tag removed) without every key the plan's
/// normalisation restores by itself, and without the server-chosen values that are
/// AWS's defaults ([`server_defaults`]); with notes on what was not written. `None`
/// when the result would not plan as equal to the live resource.
fn minimal(kind: Kind, mut spec: J) -> Option<(J, Vec<String>)> {
    if let Some(J::Object(tags)) = spec.get_mut("tags") {
        tags.remove(OWNERSHIP_TAG);
    }
    let live = normalised(kind, &spec)?;
    // A pack's template is written whole: a parameter its inputs name deploys nothing
    // by itself, yet declaring it is what makes the inputs valid.
    let kept = match (kind, spec.as_object_mut()) {
        (Kind::ConformancePack, Some(m)) => m.remove("template"),
        _ => None,
    };
    let whole = |candidate: &J| {
        let mut c = candidate.clone();
        if let (Some(t), Some(m)) = (&kept, c.as_object_mut()) {
            m.insert("template".into(), t.clone());
        }
        c
    };
    // Removing a key must leave the normalised value as it is: a server-chosen value
    // the plan "does not care" about (a backup schedule) is kept, as it was chosen.
    let strictly_same =
        |candidate: &J| normalised(kind, &whole(candidate)).is_some_and(|n| n == live);
    strip(&mut spec, &mut Vec::new(), &strictly_same);
    spec = whole(&spec);
    let notes = server_defaults(kind, &mut spec);
    let plans_the_same = normalised(kind, &spec).is_some_and(|mut n| {
        crate::plan::dont_care(kind, &mut n, &live);
        n == live
    });
    plans_the_same.then_some((spec, notes))
}

/// Whether `value` is AWS Backup's default for a server-chosen rule field (AWS
/// Backup developer guide: start window 8 hours, completion window 7 days, schedules
/// in UTC).
fn is_backup_rule_default(key: &str, value: &J) -> bool {
    match key {
        "startWindowMinutes" => value.as_u64() == Some(480),
        "completionWindowMinutes" => value.as_u64() == Some(10080),
        "scheduleTimezone" => matches!(value.as_str(), Some("Etc/UTC" | "UTC")),
        _ => false,
    }
}

/// Leaves out server-chosen values that are AWS's defaults (the plan takes the live
/// value when a spec is silent). A vault's key is always left out: the read cannot
/// tell AWS's `aws/backup` key (not driftless's to manage) from a customer managed
/// key without a KMS call, so it is named in a note instead.
fn server_defaults(kind: Kind, spec: &mut J) -> Vec<String> {
    let mut notes = Vec::new();
    match kind {
        Kind::BackupVault => {
            if let Some(key) = spec
                .as_object_mut()
                .and_then(|m| m.remove("encryptionKeyArn"))
            {
                notes.push(format!(
                    "encryptionKeyArn {key} not written (a spec without one accepts the vault's key; \
                     write it if it is a customer managed key, not `aws/backup`)"
                ));
            }
        }
        Kind::BackupPlan => {
            let rules = spec.get_mut("rules").and_then(J::as_array_mut);
            for rule in rules.into_iter().flatten().filter_map(J::as_object_mut) {
                rule.retain(|key, value| !is_backup_rule_default(key, value));
            }
        }
        _ => {}
    }
    notes
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

/// The diagnostics of `text` validated alone with driftless.yaml, when it is invalid;
/// `written` holds the files already accepted (the vaults a plan names).
fn invalid(file: &str, text: &str, options: &Options, written: &[SourceFile]) -> Option<String> {
    let mut files: Vec<SourceFile> = options.config.iter().cloned().collect();
    files.extend(written.iter().filter(|f| f.relative != file).cloned());
    files.push(source_file(file, text));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::patch_baseline::OperatingSystem;
    use serde_json::json;

    #[test]
    fn patch_groups_of_baselines_the_account_does_not_own_are_noted() {
        let mut live = LiveTarget::default();
        live.patch_group_registrations.insert(
            "aws-group".into(),
            vec![(
                OperatingSystem::AmazonLinux2023,
                "arn:aws:ssm:us-east-1:aws:patchbaseline/pb-0123".into(),
            )],
        );
        let notes = foreign_registrations("t", &live);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[1].starts_with("t: patch group aws-group (AmazonLinux2023): left out: registered to arn:aws:ssm:us-east-1:aws:patchbaseline/pb-0123"), "{notes:?}");
    }

    #[test]
    fn defaults_the_plan_restores_are_left_out_and_chosen_values_kept() {
        let alarm = json!({"namespace": "AWS/EC2", "metricName": "CPUUtilization",
            "statistic": "Average", "period": 300, "evaluationPeriods": 3,
            "datapointsToAlarm": 3, "actionsEnabled": true, "treatMissingData": "missing",
            "threshold": 80.0, "comparisonOperator": "GreaterThanThreshold"});
        let (spec, notes) = minimal(Kind::MetricAlarm, alarm).unwrap();
        assert!(notes.is_empty());
        for gone in ["datapointsToAlarm", "actionsEnabled", "treatMissingData"] {
            assert!(spec.get(gone).is_none(), "{gone}: {spec}");
        }
        let plan = json!({"rules": [{"name": "daily", "targetVault": "v",
            "schedule": "cron(0 5 ? * * *)", "scheduleTimezone": "Etc/UTC",
            "startWindowMinutes": 480, "completionWindowMinutes": 10080}]});
        let (spec, _) = minimal(Kind::BackupPlan, plan).unwrap();
        assert_eq!(
            spec,
            json!({"rules": [{"name": "daily", "targetVault": "v", "schedule": "cron(0 5 ? * * *)"}]})
        );
    }

    fn options() -> Options {
        Options {
            instance: "driftless".into(),
            kinds: crate::import::IMPORTABLE.iter().copied().collect(),
            name_prefix: None,
            adopt: false,
            name_target: false,
            config: None,
        }
    }

    #[test]
    fn owned_and_service_resources_are_skipped_with_a_reason() {
        let spec = json!({"retentionInDays": 30});
        let skip = |name: &str, owner: Option<&str>, o: &Options| {
            candidate(Kind::LogGroup, name, spec.clone(), owner, o).err()
        };
        let o = options();
        let ours = skip("/app", Some("driftless"), &o).unwrap().unwrap();
        assert!(ours.contains("already manages it"), "{ours}");
        let theirs = skip("/app", Some("other"), &o).unwrap().unwrap();
        assert!(theirs.contains("another driftless instance"), "{theirs}");
        let aws = skip("/aws/lambda/f", None, &o).unwrap().unwrap();
        assert!(aws.contains("--name-prefix /aws/"), "{aws}");
        let asked = Options {
            name_prefix: Some("/aws/lambda/".into()),
            ..options()
        };
        assert_eq!(
            skip("/aws/lambda/f", None, &asked),
            None,
            "imported when asked"
        );
        assert_eq!(
            skip("/app", None, &asked),
            Some(None),
            "outside the prefix: no note"
        );
    }

    #[test]
    fn vaults_not_imported_are_named_in_external_vaults() {
        let mut plan = json!({"rules": [{"name": "a", "targetVault": "Default"},
            {"name": "b", "targetVault": "mine"}]});
        external_vaults(&mut plan, &BTreeSet::from(["mine".to_string()]));
        assert_eq!(plan["externalVaults"], json!(["Default"]));
    }

    #[test]
    fn a_vault_key_is_never_written_and_said_so() {
        let vault = json!({"encryptionKeyArn": "arn:aws:kms:us-east-1:111111111111:key/k",
            "tags": {"team": "ops", "driftless.dev/managed-by": "other"}});
        let (spec, notes) = minimal(Kind::BackupVault, vault).unwrap();
        assert_eq!(spec, json!({"tags": {"team": "ops"}}));
        assert!(notes[0].starts_with("encryptionKeyArn"), "{notes:?}");
    }

    #[test]
    fn composites_follow_what_they_name_and_list_the_alarms_not_imported() {
        let composite = |name: &str, rule: &str| Live {
            name: name.into(),
            spec: crate::spec::CompositeAlarmSpec {
                alarm_rule: rule.into(),
                description: None,
                actions_enabled: Some(true),
                alarm_actions: vec![],
                ok_actions: vec![],
                insufficient_data_actions: vec![],
                actions_suppressor: None,
                external_alarms: vec![],
                tags: std::collections::BTreeMap::new(),
            },
            arn: None,
            id: None,
            sub_ids: std::collections::BTreeMap::new(),
            tags_known: true,
            unrepresented: vec![],
        };
        let live = LiveTarget {
            // `a-top` names `b-low`, which sorts after it; `b-low` names an alarm that
            // is not imported (none of the metric alarms are live here).
            composite_alarms: vec![
                composite("a-top", "ALARM(b-low) AND TRUE"),
                composite("b-low", "ALARM(console-made)"),
            ],
            ..LiveTarget::default()
        };
        let out = target_files("t", &live, &options());
        assert_eq!(out.documents, 2, "{:?}", out.notes);
        let (file, text) = &out.files[0];
        assert_eq!(file, "composite-alarms.yaml");
        let low = text.find("name: b-low").expect("b-low written");
        let top = text.find("name: a-top").expect("a-top written");
        assert!(low < top, "{text}");
        assert!(
            text.contains("externalAlarms:\n    - console-made"),
            "{text}"
        );
        assert!(
            !text.contains("actionsEnabled"),
            "the default is left out: {text}"
        );

        // A live cycle: its members are left out with a note.
        let cycle = LiveTarget {
            composite_alarms: vec![composite("x", "ALARM(y)"), composite("y", "ALARM(x)")],
            ..LiveTarget::default()
        };
        let out = target_files("t", &cycle, &options());
        assert_eq!(out.documents, 0, "{:?}", out.notes);
        let cycle_notes = out.notes.iter().filter(|n| n.contains("cycle")).count();
        assert_eq!(cycle_notes, 2, "{:?}", out.notes);
    }

    #[test]
    fn resources_sharing_a_name_are_left_out_with_a_note_and_the_rest_validates() {
        fn live<S>(name: &str, spec: S) -> Live<S> {
            Live {
                name: name.into(),
                spec,
                arn: None,
                id: Some(format!("id-{name}")),
                sub_ids: std::collections::BTreeMap::new(),
                tags_known: true,
                unrepresented: vec![],
            }
        }
        let group = |name: &str| live(name, serde_json::from_value(json!({})).unwrap());
        let plan = |name: &str| {
            let spec = json!({"rules": [{"name": "daily", "targetVault": "Default",
                "schedule": "cron(0 5 ? * * *)"}]});
            live(name, serde_json::from_value(spec).unwrap())
        };
        // Two selections of one name in a plan: the format keys them by name too.
        let selection = json!({"name": "s", "iamRoleArn": "arn:aws:iam::111111111111:role/backup",
            "resources": ["arn:aws:ec2:*:*:volume/*"]});
        let mut twins = plan("twins");
        twins.spec = serde_json::from_value(json!({"rules": [{"name": "daily",
            "targetVault": "Default", "schedule": "cron(0 5 ? * * *)"}],
            "selections": [selection.clone(), selection]}))
        .unwrap();
        let live = LiveTarget {
            log_groups: vec![group("/a"), group("/a"), group("/b")],
            backup_plans: vec![plan("daily"), plan("daily"), plan("weekly"), twins],
            ..LiveTarget::default()
        };
        let out = target_files("t", &live, &options());
        assert_eq!(out.documents, 2, "{:?}", out.notes);
        let twins = "t: BackupPlan twins: left out: 2 of its selections are named `s`;";
        assert!(
            out.notes.iter().any(|n| n.starts_with(twins)),
            "{:?}",
            out.notes
        );
        for (kind, what) in [
            ("LogGroup /a", "resources of this kind"),
            ("BackupPlan daily", "backup plans"),
        ] {
            let note = format!("t: {kind}: left out: 2 {what} have this name;");
            assert!(
                out.notes.iter().any(|n| n.starts_with(&note)),
                "{note}: {:?}",
                out.notes
            );
        }
        let files: Vec<SourceFile> = out.files.iter().map(|(f, t)| source_file(f, t)).collect();
        crate::spec::parse(&files).unwrap_or_else(|d| panic!("{d:?}"));
    }
}
