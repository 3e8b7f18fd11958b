//! Desired state: documents → typed, validated specs. Pure: no I/O, no AWS.
//!
//! [`parse`] takes the files a source produced and either returns the whole
//! [`DesiredState`] or every problem found in the repository. It works in passes, each
//! collecting diagnostics instead of stopping: YAML → envelope (apiVersion, kind) →
//! structure against the kind's JSON Schema → per-kind value rules → cross-document
//! rules (targets, references, uniqueness). A repository with any diagnostic yields no
//! desired state at all, which is how "a revision is all or nothing" is enforced.

pub mod alarm;
pub mod alarm_rule;
pub mod association;
pub mod backup_plan;
pub mod backup_vault;
pub mod composite_alarm;
pub mod config;
pub mod config_aggregator;
pub mod config_recorder;
pub mod config_rule;
pub mod conformance_pack;
pub mod context;
pub mod diagnostic;
pub mod envelope;
pub mod guardrail;
pub mod log_group;
pub mod log_retention;
pub mod maintenance_window;
pub mod metric_filter;
pub mod organization;
pub mod patch_baseline;
pub mod rules;
pub mod schema;
pub mod state_backend;
pub mod vars;
pub mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value as J;

pub use alarm::MetricAlarmSpec;
pub use association::AssociationSpec;
pub use backup_plan::BackupPlanSpec;
pub use backup_vault::BackupVaultSpec;
pub use composite_alarm::CompositeAlarmSpec;
pub use config::DriftlessConfig;
pub use config_aggregator::ConfigurationAggregatorSpec;
pub use config_recorder::ConfigurationRecorderSpec;
pub use config_rule::ConfigRuleSpec;
pub use conformance_pack::ConformancePackSpec;
use context::{At, Cx};
pub use diagnostic::Diagnostic;
pub use envelope::{DriftPolicy, Metadata, API_VERSION};
pub use log_group::LogGroupSpec;
pub use log_retention::LogRetentionPolicySpec;
pub use maintenance_window::MaintenanceWindowSpec;
pub use metric_filter::MetricFilterSpec;
pub use patch_baseline::PatchBaselineSpec;
use yaml::{Node, Span};

/// The file at a repository's root that holds targets and defaults.
pub const CONFIG_FILE: &str = "driftless.yaml";

/// A file handed over by a source.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repository root, `/`-separated.
    pub relative: String,
    /// How to show the path to the user (the root as given, joined with `relative`).
    pub display: String,
    pub text: String,
}

macro_rules! kinds {
    ($($kind:ident($spec:ty)),* $(,)?) => {
        /// Every kind of document driftless understands.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize, JsonSchema)]
        pub enum Kind { $($kind),* }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$kind),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$kind => stringify!($kind)),* }
            }

            /// The JSON Schema of a whole document of this kind (published in specs/).
            pub fn schema(self) -> &'static J {
                static SCHEMAS: OnceLock<BTreeMap<Kind, J>> = OnceLock::new();
                &SCHEMAS.get_or_init(|| {
                    let mut m = BTreeMap::new();
                    $(m.insert(Kind::$kind, document_schema::<$spec>(Kind::$kind));)*
                    m
                })[&self]
            }

            /// The schema documents are checked against: the published one, less the
            /// envelope fields that `parse_document` checks itself with better messages.
            fn checking_schema(self) -> &'static J {
                static SCHEMAS: OnceLock<BTreeMap<Kind, J>> = OnceLock::new();
                &SCHEMAS.get_or_init(|| {
                    Kind::ALL.iter().map(|k| (*k, envelope_checked_elsewhere(k.schema()))).collect()
                })[&self]
            }
        }

        /// The spec of one document, by kind.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum ResourceSpec { $($kind($spec)),* }

        impl ResourceSpec {
            pub fn kind(&self) -> Kind {
                match self { $(ResourceSpec::$kind(_) => Kind::$kind),* }
            }

            fn from_json(kind: Kind, spec: J) -> Result<ResourceSpec, serde_json::Error> {
                Ok(match kind { $(Kind::$kind => ResourceSpec::$kind(serde_json::from_value(spec)?)),* })
            }

            fn check(&self, name: &str, cx: &mut Cx<'_>) {
                match self { $(ResourceSpec::$kind(s) => s.check(name, cx)),* }
            }
        }
    };
}

impl ResourceSpec {
    /// The spec's own tags, for the kinds that carry tags (metric filters cannot be
    /// tagged).
    pub fn tags_mut(&mut self) -> Option<&mut BTreeMap<String, String>> {
        match self {
            ResourceSpec::MetricAlarm(s) => Some(&mut s.tags),
            ResourceSpec::LogGroup(s) => Some(&mut s.tags),
            ResourceSpec::PatchBaseline(s) => Some(&mut s.tags),
            ResourceSpec::MaintenanceWindow(s) => Some(&mut s.tags),
            ResourceSpec::BackupVault(s) => Some(&mut s.tags),
            ResourceSpec::BackupPlan(s) => Some(&mut s.tags),
            ResourceSpec::CompositeAlarm(s) => Some(&mut s.tags),
            ResourceSpec::ConfigurationAggregator(s) => Some(&mut s.tags),
            ResourceSpec::ConfigRule(s) => Some(&mut s.tags),
            ResourceSpec::Association(s) => Some(&mut s.tags),
            ResourceSpec::ConformancePack(s) => Some(&mut s.tags),
            ResourceSpec::LogRetentionPolicy(_)
            | ResourceSpec::MetricFilter(_)
            | ResourceSpec::ConfigurationRecorder(_) => None,
        }
    }

    /// Merges driftless.yaml's `defaults.tags` under the spec's own tags (the spec
    /// wins), before the value rules run, so the merged set is what the tag limits
    /// count and what plan, apply and drift see.
    fn merge_default_tags(&mut self, defaults: &BTreeMap<String, String>) {
        if let Some(tags) = self.tags_mut() {
            for (k, v) in defaults {
                tags.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

kinds! {
    MetricAlarm(MetricAlarmSpec),
    LogGroup(LogGroupSpec),
    LogRetentionPolicy(LogRetentionPolicySpec),
    PatchBaseline(PatchBaselineSpec),
    MaintenanceWindow(MaintenanceWindowSpec),
    BackupVault(BackupVaultSpec),
    BackupPlan(BackupPlanSpec),
    MetricFilter(MetricFilterSpec),
    CompositeAlarm(CompositeAlarmSpec),
    ConfigurationAggregator(ConfigurationAggregatorSpec),
    ConfigRule(ConfigRuleSpec),
    Association(AssociationSpec),
    ConformancePack(ConformancePackSpec),
    ConfigurationRecorder(ConfigurationRecorderSpec),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = ();
    fn from_str(s: &str) -> Result<Kind, ()> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

/// Where a document came from, for messages later in the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub path: String,
    pub line: usize,
}

/// One validated document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    pub metadata: Metadata,
    pub spec: ResourceSpec,
    /// The targets this resource goes to (metadata.targets or the defaults, groups
    /// expanded). A spec using `${target.*}` is one resource per target.
    pub targets: Vec<String>,
    pub origin: Origin,
    /// The document as written, when its spec uses `${target.*}` and a value was
    /// not known at validation (an account only STS can name): the engine resolves it
    /// again with [`resolve_for_target`].
    #[serde(skip)]
    pub template: Option<std::sync::Arc<Template>>,
}

/// A document whose values depend on facts about its target that validation did not
/// know.
#[derive(Debug, PartialEq)]
pub struct Template {
    pub display: String,
    pub root: Node,
    /// driftless.yaml's `defaults.tags`, merged again when resolved.
    pub default_tags: BTreeMap<String, String>,
}

impl Resource {
    pub fn kind(&self) -> Kind {
        self.spec.kind()
    }

    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

/// A valid repository: its configuration and every resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredState {
    pub config: DriftlessConfig,
    pub resources: Vec<Resource>,
    /// How many files were read (for summaries).
    pub files: usize,
    /// Problems that do not block the revision (guardrails with `enforcement: warn`).
    pub warnings: Vec<Diagnostic>,
    /// Every guardrail's results over the documents.
    pub guardrails: Vec<crate::spec::guardrail::RuleReport>,
    /// How many documents they hold (a document using `${target.*}` is one resource
    /// per target).
    pub documents: usize,
}

/// The JSON Schema of a document of one kind: the envelope with `kind` fixed.
fn document_schema<S: JsonSchema + DeserializeOwned>(kind: Kind) -> J {
    let mut schema = schemars::schema_for!(envelope::Document<S>).to_value();
    if let Some(props) = schema.get_mut("properties").and_then(J::as_object_mut) {
        props.insert(
            "apiVersion".into(),
            serde_json::json!({"description": "Always `driftless.dev/v1`.", "const": API_VERSION}),
        );
        props.insert(
            "kind".into(),
            serde_json::json!({"description": "The kind of resource.", "const": kind.as_str()}),
        );
    }
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("title".into(), J::String(kind.as_str().into()));
        obj.insert(
            "$id".into(),
            J::String(format!("https://driftless.dev/schemas/{kind}.schema.json")),
        );
    }
    schema
}

fn envelope_checked_elsewhere(schema: &J) -> J {
    let mut schema = schema.clone();
    for field in ["apiVersion", "kind"] {
        if let Some(p) = schema.pointer_mut(&format!("/properties/{field}")) {
            *p = J::Bool(true);
        }
    }
    if let Some(J::Array(required)) = schema.get_mut("required") {
        required.retain(|r| r != "apiVersion" && r != "kind");
    }
    schema
}

/// The JSON Schema of driftless.yaml.
pub fn config_schema() -> &'static J {
    static SCHEMA: OnceLock<J> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema = schemars::schema_for!(DriftlessConfig).to_value();
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("title".into(), J::String("driftless.yaml".into()));
            obj.insert(
                "$id".into(),
                J::String("https://driftless.dev/schemas/driftless.schema.json".into()),
            );
        }
        schema
    })
}

/// The name under which a value is written in YAML (`AMAZON_LINUX_2023`).
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(J::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A document that passed the envelope and structure checks, kept with its tree for
/// the cross-document checks.
struct Parsed<'f> {
    file: &'f SourceFile,
    root: Node,
    resource: Resource,
}

/// Parses and validates a repository. Every problem is reported; nothing is returned
/// unless there are none.
pub fn parse(files: &[SourceFile]) -> Result<DesiredState, Vec<Diagnostic>> {
    parse_enrolled(files, None)
}

/// [`parse`] with the accounts AWS Organizations named for driftless.yaml's
/// organization entries: their targets and groups are ordinary ones, so documents
/// going to them are checked, templated and planned like any other's.
pub fn parse_enrolled(
    files: &[SourceFile],
    enrollment: Option<&organization::Enrollment>,
) -> Result<DesiredState, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut config = parse_config(files, &mut out);
    if let (Some(c), Some(enrollment)) = (&config, enrollment) {
        config = enroll_config(files, c, enrollment, &mut out);
    }
    let repo = RepoTargets::of(config.as_ref());
    let mut parsed = Vec::new();
    // Documents with errors still define their kind and name: what names them is not
    // told a second, wrong time that nothing does.
    let mut declared = Vec::new();
    let mut document_count = 0;
    let is_config = |f: &&SourceFile| f.relative.rsplit('/').next() == Some(CONFIG_FILE);
    let mut documents = Vec::new();
    for file in files.iter().filter(|f| !is_config(f)) {
        match yaml::parse_documents(&file.text) {
            Ok(docs) => documents.push((file, docs)),
            Err(e) => out.push(Diagnostic::new(&file.display, e.span, e.message)),
        }
    }
    // Conformance pack templates are read by their packs, not as documents.
    let templates = conformance_pack::referenced_files(&documents);
    documents.retain(|(file, _)| !templates.contains(&file.relative));
    for (file, roots) in documents {
        for root in roots {
            if root.resolve() == Some(yaml::Resolved::Null) {
                continue;
            }
            document_count += 1;
            let errors_before = out.iter().filter(|d| d.is_error()).count();
            let declaration = Declared::of(&root, &repo);
            parsed.extend(parse_checked(file, root, &repo, &mut out));
            if out.iter().filter(|d| d.is_error()).count() > errors_before {
                declared.extend(declaration);
            }
        }
    }
    load_template_files(&mut parsed, files, &mut out);
    check_uniqueness(&parsed, &mut out);
    config_recorder::check_one_per_target(&parsed, &mut out);
    check_vault_references(&parsed, &declared, &mut out);
    check_alarm_references(&parsed, &declared, &mut out);
    check_action_regions(&parsed, config.as_ref(), &mut out);
    let guardrails = match &config {
        Some(c) => check_guardrails(&c.guardrails, &parsed, &mut out),
        None => Vec::new(),
    };
    let deployed = config
        .as_ref()
        .map(|c| deployed_guardrails(c, &parsed, &mut out))
        .unwrap_or_default();

    out.sort();
    out.dedup();
    if out.iter().any(Diagnostic::is_error) {
        return Err(out);
    }
    Ok(DesiredState {
        config: config.unwrap_or_default(),
        resources: parsed
            .into_iter()
            .map(|p| p.resource)
            .chain(deployed)
            .collect(),
        files: files.len(),
        warnings: out,
        guardrails,
        documents: document_count,
    })
}

/// Each ConformancePack's `templateFile`, read into its `template`
/// ([`conformance_pack::load_template_files`]).
fn load_template_files(parsed: &mut [Parsed<'_>], files: &[SourceFile], out: &mut Vec<Diagnostic>) {
    for p in parsed {
        if let ResourceSpec::ConformancePack(spec) = &mut p.resource.spec {
            let mut cx = Cx {
                path: &p.file.display,
                root: &p.root,
                out: &mut *out,
            };
            conformance_pack::load_template_files(spec, &mut cx, files);
        }
    }
}

/// driftless.yaml's configuration with the enrolled targets, or its problems (a name
/// made twice) at the organization entry.
fn enroll_config(
    files: &[SourceFile],
    config: &DriftlessConfig,
    enrollment: &organization::Enrollment,
    out: &mut Vec<Diagnostic>,
) -> Option<DriftlessConfig> {
    match config.enrolled(enrollment) {
        Ok(c) => Some(c),
        Err(problems) => {
            let file = files.iter().find(|f| f.relative == CONFIG_FILE)?;
            let docs = yaml::parse_documents(&file.text).ok()?;
            let root = docs.first()?;
            let mut cx = Cx {
                path: &file.display,
                root,
                out,
            };
            for (i, p) in problems {
                cx.report(&At::root().k("targets").i(i).k("organization"), p);
            }
            None
        }
    }
}

/// The ConfigRule resources of the guardrails with `deploy: true`; a ConfigRule
/// document of the same name in the same target is an error (one of the two must go).
fn deployed_guardrails(
    config: &DriftlessConfig,
    parsed: &[Parsed<'_>],
    out: &mut Vec<Diagnostic>,
) -> Vec<Resource> {
    let deployed = guardrail::deploy::deployed(config);
    for d in &deployed {
        let clash = parsed.iter().find(|p| {
            p.resource.kind() == Kind::ConfigRule
                && p.resource.name() == d.name()
                && p.resource.targets.iter().any(|t| d.targets.contains(t))
        });
        if let Some(p) = clash {
            out.push(
                Diagnostic::new(
                    &p.file.display,
                    p.root.span,
                    format!(
                        "ConfigRule `{}` is also the guardrail {} deploys (driftless.yaml `deploy: true`)",
                        d.name(),
                        d.name()
                    ),
                )
                .with_hint("rename this ConfigRule, or remove `deploy: true` from the guardrail"),
            );
        }
    }
    deployed
}

/// What a document's `metadata.targets` may name, and where documents go by default.
struct RepoTargets<'c> {
    /// Target and group names (empty without driftless.yaml).
    known: Vec<String>,
    defaults: Vec<String>,
    config: Option<&'c DriftlessConfig>,
    /// `defaults.tags`.
    default_tags: BTreeMap<String, String>,
}

impl<'c> RepoTargets<'c> {
    /// What driftless.yaml (`None`: there is none) lets documents name and gives them.
    fn of(config: Option<&'c DriftlessConfig>) -> RepoTargets<'c> {
        RepoTargets {
            known: config
                .map(|c| c.target_refs().into_iter().map(String::from).collect())
                .unwrap_or_default(),
            defaults: config.map(|c| c.default_targets()).unwrap_or_default(),
            config,
            default_tags: config.map(|c| c.default_tags()).unwrap_or_default(),
        }
    }
}

/// What a document declares (kind, name, targets) when those can be read, whatever
/// else is wrong with it: an invalid alarm or vault is still the one a composite alarm
/// or a backup rule names, so only its own errors are reported.
struct Declared {
    kind: Kind,
    name: String,
    targets: Vec<String>,
}

impl Declared {
    fn of(root: &Node, repo: &RepoTargets<'_>) -> Option<Declared> {
        let kind = root.get("kind")?.as_str()?.parse::<Kind>().ok()?;
        let metadata = root.get("metadata")?;
        let name = metadata.get("name")?.as_str()?.to_string();
        let named: Option<Vec<String>> = match metadata.get("targets").map(|t| &t.value) {
            Some(yaml::Value::Seq(items)) => items
                .iter()
                .map(|t| t.as_str().map(str::to_string))
                .collect(),
            _ => None,
        };
        let targets = match (named, repo.config) {
            (Some(named), Some(config)) => config.expand(&named),
            (Some(named), None) => named,
            (None, _) => repo.defaults.clone(),
        };
        Some(Declared {
            kind,
            name,
            targets,
        })
    }
}

/// One document through every pass: envelope and structure, its targets, and its
/// values, once, or once per target when it uses `${target.*}`.
fn parse_checked<'f>(
    file: &'f SourceFile,
    root: Node,
    repo: &RepoTargets<'_>,
    out: &mut Vec<Diagnostic>,
) -> Vec<Parsed<'f>> {
    let before = out.len();
    let templated = vars::scan(&file.display, &root, out);
    let misused = out.len() > before;
    let Some(mut resource) = parse_document(file, &root, &repo.defaults, out) else {
        return Vec::new();
    };
    if let (Some(config), Some(named)) = (repo.config, &resource.metadata.targets) {
        resource.targets = config.expand(named);
    }
    let mut cx = Cx {
        path: &file.display,
        root: &root,
        out,
    };
    if let (Some(config), Some(targets)) = (repo.config, &resource.metadata.targets) {
        let known: Vec<&str> = repo.known.iter().map(String::as_str).collect();
        for (i, t) in targets.iter().enumerate() {
            if config.generated_by(t).is_some() {
                continue;
            }
            let at = At::root().k("metadata").k("targets").i(i);
            config::check_target_ref(&mut cx, &at, t, &known);
        }
    }
    if misused {
        // Its values cannot be resolved: checking them would only repeat that.
        return Vec::new();
    }
    if !templated {
        resource.spec.merge_default_tags(&repo.default_tags);
        resource.spec.check(&resource.metadata.name, &mut cx);
        return vec![Parsed {
            file,
            root,
            resource,
        }];
    }
    let facts = target_facts(repo.config);
    resource
        .targets
        .iter()
        .filter_map(|target| parse_for_target(file, &root, &facts(target), &repo.default_tags, out))
        .collect()
}

/// driftless.yaml alone, when it is valid by itself (the rest of the repository may
/// not be): lets the controller announce an invalid revision to the destinations that
/// revision names when it has no good one yet.
pub fn parse_config_only(files: &[SourceFile]) -> Option<DriftlessConfig> {
    let mut out = Vec::new();
    parse_config(files, &mut out).filter(|_| out.is_empty())
}

fn parse_config(files: &[SourceFile], out: &mut Vec<Diagnostic>) -> Option<DriftlessConfig> {
    for file in files {
        let misplaced = file.relative.ends_with(&format!("/{CONFIG_FILE}"));
        if misplaced {
            out.push(
                Diagnostic::new(
                    &file.display,
                    Span::default(),
                    format!("{CONFIG_FILE} is only read at the repository root"),
                )
                .with_hint("move it to the root of the folder given to driftless, or rename it"),
            );
        }
    }
    let Some(file) = files.iter().find(|f| f.relative == CONFIG_FILE) else {
        return Some(DriftlessConfig::default());
    };
    let docs = match yaml::parse_documents(&file.text) {
        Ok(docs) => docs,
        Err(e) => {
            out.push(Diagnostic::new(&file.display, e.span, e.message));
            return None;
        }
    };
    let docs: Vec<&Node> = docs
        .iter()
        .filter(|d| d.resolve() != Some(yaml::Resolved::Null))
        .collect();
    let root = match docs.as_slice() {
        [] => return Some(DriftlessConfig::default()),
        [one] => *one,
        [_, second, ..] => {
            out.push(Diagnostic::new(
                &file.display,
                second.span,
                format!("{CONFIG_FILE} holds one document, found several"),
            ));
            return None;
        }
    };
    let before = out.len();
    let json = schema::convert(&file.display, root, config_schema(), out)?;
    let config: DriftlessConfig = match serde_json::from_value(json) {
        Ok(c) => c,
        Err(e) => {
            out.push(Diagnostic::new(&file.display, root.span, e.to_string()));
            return None;
        }
    };
    config.check(&mut Cx {
        path: &file.display,
        root,
        out,
    });
    (out.len() == before).then_some(config)
}

fn parse_document(
    file: &SourceFile,
    root: &Node,
    default_targets: &[String],
    out: &mut Vec<Diagnostic>,
) -> Option<Resource> {
    let path = file.display.as_str();
    if root.as_map().is_none() {
        out.push(
            Diagnostic::new(path, root.span, "a document must be a mapping")
                .with_hint("start it with `apiVersion: driftless.dev/v1` and `kind: ...`"),
        );
        return None;
    }
    let envelope_ok = check_api_version(path, root, out);
    let kind = parse_kind(path, root, out)?;
    let json = schema::convert(path, root, kind.checking_schema(), out)?;
    if !envelope_ok {
        return None;
    }
    let J::Object(mut doc) = json else {
        return None;
    };
    let metadata: Metadata = match serde_json::from_value(doc.remove("metadata").unwrap_or(J::Null))
    {
        Ok(m) => m,
        Err(e) => {
            out.push(Diagnostic::new(
                path,
                root.locate(&[yaml::PathSeg::Key("metadata")]),
                e.to_string(),
            ));
            return None;
        }
    };
    let spec = match ResourceSpec::from_json(kind, doc.remove("spec").unwrap_or(J::Null)) {
        Ok(s) => s,
        Err(e) => {
            out.push(Diagnostic::new(
                path,
                root.locate(&[yaml::PathSeg::Key("spec")]),
                format!("invalid spec: {e}"),
            ));
            return None;
        }
    };
    let targets = metadata
        .targets
        .clone()
        .unwrap_or_else(|| default_targets.to_vec());
    Some(Resource {
        metadata,
        spec,
        targets,
        origin: Origin {
            path: file.display.clone(),
            line: root.span.line,
        },
        template: None,
    })
}

/// A document's `apiVersion`: present and the one this driftless reads (else a
/// diagnostic and false).
fn check_api_version(path: &str, root: &Node, out: &mut Vec<Diagnostic>) -> bool {
    match root.entry("apiVersion") {
        None => {
            // A conformance pack template no pack points at reads as a document.
            let hint = match root.get("Resources") {
                Some(_) => "this looks like a conformance pack template: name it in a ConformancePack's `templateFile`, or remove it".to_string(),
                None => format!("add `apiVersion: {API_VERSION}`"),
            };
            out.push(
                Diagnostic::new(
                    path,
                    root.anchor(None),
                    "missing required field `apiVersion`",
                )
                .with_hint(hint),
            );
            false
        }
        Some((_, v)) if v.as_str() != Some(API_VERSION) => {
            out.push(
                Diagnostic::new(
                    path,
                    v.span,
                    format!("unknown apiVersion `{}`", v.as_str().unwrap_or("?")),
                )
                .with_hint(format!("this driftless reads `{API_VERSION}`")),
            );
            false
        }
        Some(_) => true,
    }
}

/// A document's `kind`, or a diagnostic naming the kinds there are.
fn parse_kind(path: &str, root: &Node, out: &mut Vec<Diagnostic>) -> Option<Kind> {
    let names = Kind::ALL.iter().map(|k| k.as_str());
    let Some((_, v)) = root.entry("kind") else {
        out.push(
            Diagnostic::new(path, root.anchor(None), "missing required field `kind`")
                .with_hint(format!("one of: {}", names.collect::<Vec<_>>().join(", "))),
        );
        return None;
    };
    if let Some(k) = v.as_str().and_then(|s| s.parse::<Kind>().ok()) {
        return Some(k);
    }
    let text = v.as_str().unwrap_or("?");
    let hint = match diagnostic::did_you_mean(text, names.clone()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("one of: {}", names.collect::<Vec<_>>().join(", ")),
    };
    out.push(Diagnostic::new(path, v.span, format!("unknown kind `{text}`")).with_hint(hint));
    None
}

/// The last pass: every document against every guardrail. A finding of a `deny`
/// guardrail is an error at the offending field, a `warn` one a warning; both name
/// the rule. The report counts resources as the plan and the audit do, one per target
/// (a document going to two targets is two resources, templated or not), and lists
/// each finding once.
fn check_guardrails(
    guardrails: &[crate::spec::guardrail::Guardrail],
    parsed: &[Parsed<'_>],
    out: &mut Vec<Diagnostic>,
) -> Vec<crate::spec::guardrail::RuleReport> {
    use crate::spec::guardrail::{Enforcement, Evaluation, RuleReport, Subject, Violation};
    let mut reports = Vec::new();
    for g in guardrails {
        let mut report = RuleReport::new(g);
        for p in parsed {
            let r = &p.resource;
            let Some(evaluation) = g.evaluate(r.name(), Subject::of(&r.spec)) else {
                continue;
            };
            report.evaluated += r.targets.len();
            let Evaluation::NonCompliant(findings) = evaluation else {
                continue;
            };
            report.non_compliant_resources += r.targets.len();
            let cx = Cx {
                path: &p.file.display,
                root: &p.root,
                out,
            };
            for f in findings {
                let span = cx.span(&f.position());
                let message = format!("{} {} breaks {}: {}", r.kind(), r.name(), g.rule, f.message);
                let mut d = Diagnostic::new(&p.file.display, span, &message).with_opt_hint(f.hint);
                d.rule = Some(g.rule.as_str().to_string());
                if g.enforcement == Enforcement::Warn {
                    d.severity = diagnostic::Severity::Warning;
                }
                let violation = Violation {
                    kind: r.kind(),
                    name: r.name().to_string(),
                    location: format!("{}:{}:{}", d.path, d.line, d.column),
                    message: f.message,
                };
                // A templated document is checked once per target, at the same place.
                if !report.non_compliant.contains(&violation) {
                    report.non_compliant.push(violation);
                }
                cx.out.push(d);
            }
        }
        reports.push(report);
    }
    reports
}

/// What validation knows about each target, for `${target.*}`.
fn target_facts(config: Option<&DriftlessConfig>) -> impl Fn(&str) -> vars::TargetFacts + '_ {
    move |name| {
        let target = config.and_then(|c| c.target(name));
        vars::TargetFacts {
            name: name.to_string(),
            region: target.map(|t| t.region.clone()),
            account: target.and_then(|t| t.known_account()),
        }
    }
}

/// One document resolved for one target and checked: a resource going to that target
/// only, keeping its template when a value was not known yet.
fn parse_for_target<'f>(
    file: &'f SourceFile,
    root: &Node,
    facts: &vars::TargetFacts,
    default_tags: &BTreeMap<String, String>,
    out: &mut Vec<Diagnostic>,
) -> Option<Parsed<'f>> {
    let (tree, known) = vars::resolve(root, facts);
    let mut resource = parse_document(file, &tree, &[], out)?;
    resource.targets = vec![facts.name.clone()];
    if !known {
        resource.template = Some(std::sync::Arc::new(Template {
            display: file.display.clone(),
            root: root.clone(),
            default_tags: default_tags.clone(),
        }));
    }
    resource.spec.merge_default_tags(default_tags);
    resource.spec.check(
        &resource.metadata.name,
        &mut Cx {
            path: &file.display,
            root: &tree,
            out,
        },
    );
    Some(Parsed {
        file,
        root: tree,
        resource,
    })
}

/// A resource with a template resolved again with facts validation did not have (the
/// account STS named, the region of the `default` target): the same rules, reported
/// at the same places.
pub fn resolve_for_target(
    resource: &Resource,
    facts: &vars::TargetFacts,
) -> Result<Resource, Vec<Diagnostic>> {
    let Some(template) = &resource.template else {
        return Ok(resource.clone());
    };
    let file = SourceFile {
        relative: String::new(),
        display: template.display.clone(),
        text: String::new(),
    };
    let mut out = Vec::new();
    let parsed = parse_for_target(
        &file,
        &template.root,
        facts,
        &template.default_tags,
        &mut out,
    );
    match parsed {
        Some(mut p) if out.is_empty() => {
            // A pack's template file was read at validation; the document alone
            // names it only.
            if let (ResourceSpec::ConformancePack(now), ResourceSpec::ConformancePack(read)) =
                (&mut p.resource.spec, &resource.spec)
            {
                if now.template.is_none() {
                    now.template.clone_from(&read.template);
                }
            }
            Ok(Resource {
                template: None,
                ..p.resource
            })
        }
        _ => {
            out.sort();
            out.dedup();
            Err(out)
        }
    }
}

/// `(kind, name, target)` must be unique across the repository.
fn check_uniqueness(parsed: &[Parsed<'_>], out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<(Kind, &str, &str), &Parsed<'_>> = BTreeMap::new();
    for p in parsed {
        let r = &p.resource;
        for target in &r.targets {
            let key = (r.kind(), r.name(), target.as_str());
            match seen.get(&key) {
                Some(first) => {
                    let span = p
                        .root
                        .locate(&[yaml::PathSeg::Key("metadata"), yaml::PathSeg::Key("name")]);
                    let first_span = first
                        .root
                        .locate(&[yaml::PathSeg::Key("metadata"), yaml::PathSeg::Key("name")]);
                    out.push(
                        Diagnostic::new(
                            &p.file.display,
                            span,
                            format!("{} `{}` is defined twice for target `{target}`", r.kind(), r.name()),
                        )
                        .with_hint(format!(
                            "first defined at {}:{}:{}; rename one, or give them different metadata.targets",
                            first.file.display, first_span.line, first_span.column
                        )),
                    );
                }
                None => {
                    seen.insert(key, p);
                }
            }
        }
    }
}

/// A backup rule's `targetVault` names a BackupVault spec going to the same targets,
/// or a vault the plan lists in `externalVaults`.
fn check_vault_references(parsed: &[Parsed<'_>], declared: &[Declared], out: &mut Vec<Diagnostic>) {
    let vaults: Vec<(&str, &[String])> = parsed
        .iter()
        .filter(|p| p.resource.kind() == Kind::BackupVault)
        .map(|p| (p.resource.name(), p.resource.targets.as_slice()))
        .chain(
            declared
                .iter()
                .filter(|d| d.kind == Kind::BackupVault)
                .map(|d| (d.name.as_str(), d.targets.as_slice())),
        )
        .collect();
    for p in parsed {
        let ResourceSpec::BackupPlan(plan) = &p.resource.spec else {
            continue;
        };
        for (i, rule) in plan.rules.iter().enumerate() {
            if plan.external_vaults.contains(&rule.target_vault) {
                continue;
            }
            let mut cx = Cx {
                path: &p.file.display,
                root: &p.root,
                out,
            };
            let at = At::spec().k("rules").i(i).k("targetVault");
            let matching: Vec<&&[String]> = vaults
                .iter()
                .filter(|(name, _)| *name == rule.target_vault)
                .map(|(_, targets)| targets)
                .collect();
            if matching.is_empty() {
                let names = vaults.iter().map(|(n, _)| *n);
                let p = rules::Problem::new(format!(
                    "rule `{}` targets vault `{}`, which no BackupVault spec defines",
                    rule.name, rule.target_vault
                ));
                let p = match diagnostic::did_you_mean(&rule.target_vault, names) {
                    Some(s) => p.hint(format!("did you mean `{s}`? (a vault managed elsewhere goes in `externalVaults`)")),
                    None => p.hint("add a BackupVault document, or list the vault in this plan's `externalVaults` if it is managed elsewhere"),
                };
                cx.report(&at, p);
                continue;
            }
            for target in &p.resource.targets {
                if !matching.iter().any(|ts| ts.contains(target)) {
                    cx.report(
                        &at,
                        rules::Problem::new(format!(
                            "vault `{}` is not deployed to target `{target}`, where this plan goes",
                            rule.target_vault
                        ))
                        .hint("give the vault and the plan the same metadata.targets"),
                    );
                }
            }
        }
    }
}

/// Composite alarms' references: see [`composite_alarm::check_references`].
fn check_alarm_references(parsed: &[Parsed<'_>], declared: &[Declared], out: &mut Vec<Diagnostic>) {
    let is_alarm = |k: Kind| matches!(k, Kind::MetricAlarm | Kind::CompositeAlarm);
    let alarms: Vec<&Parsed<'_>> = parsed
        .iter()
        .filter(|p| is_alarm(p.resource.kind()))
        .collect();
    // Invalid alarm documents come after the parsed ones: only names, nothing to check.
    let docs: Vec<composite_alarm::AlarmDoc<'_>> =
        alarms
            .iter()
            .map(|p| composite_alarm::AlarmDoc {
                name: p.resource.name(),
                targets: &p.resource.targets,
                composite: match &p.resource.spec {
                    ResourceSpec::CompositeAlarm(c) => Some(c),
                    _ => None,
                },
            })
            .chain(declared.iter().filter(|d| is_alarm(d.kind)).map(|d| {
                composite_alarm::AlarmDoc {
                    name: &d.name,
                    targets: &d.targets,
                    composite: None,
                }
            }))
            .collect();
    composite_alarm::check_references(&docs, |i, at, offset, problem| {
        let p = alarms[i];
        let mut cx = Cx {
            path: &p.file.display,
            root: &p.root,
            out,
        };
        composite_alarm::report_in_rule(&mut cx, at, offset, problem);
    });
}

/// Every alarm's actions in the Region of each target it goes to (where driftless.yaml
/// names that target's region): an error per target and action.
fn check_action_regions(
    parsed: &[Parsed<'_>],
    config: Option<&DriftlessConfig>,
    out: &mut Vec<Diagnostic>,
) {
    let Some(config) = config else { return };
    for p in parsed {
        let lists = match &p.resource.spec {
            ResourceSpec::MetricAlarm(a) => a.action_lists(),
            ResourceSpec::CompositeAlarm(c) => c.action_lists(),
            _ => continue,
        };
        let mut cx = Cx {
            path: &p.file.display,
            root: &p.root,
            out,
        };
        for target in &p.resource.targets {
            if let Some(t) = config.target(target) {
                alarm::check_action_regions(&lists, target, &t.region, &mut cx);
            }
        }
    }
}

#[cfg(test)]
mod tests;
