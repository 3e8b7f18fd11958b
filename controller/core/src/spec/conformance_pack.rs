//! `ConformancePack`: an AWS Config conformance pack (PutConformancePack): a template
//! of AWS Config rules, written in the document (`template`) or in a YAML file of the
//! repository (`templateFile`, read from the same revision as the document), its
//! input parameters and delivery bucket. Packs take tags, so ownership is the
//! ownership tag.
//!
//! A template file is not a document: [`referenced_files`] names the files the
//! repository's packs point at, which `parse` then reads as templates only, and
//! [`load_template_files`] puts each file's template into its pack (problems located
//! in the template file).

pub mod template;

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use super::context::{At, Cx};
use super::diagnostic::{did_you_mean, Diagnostic};
use super::rules::{self, Problem};
use super::yaml::{self, Node};
use super::SourceFile;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConformancePackSpec {
    /// The pack's template as YAML: `Parameters` and `Resources`
    /// (`AWS::Config::ConfigRule`, `AWS::Config::RemediationConfiguration`).
    /// Exclusive with `templateFile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<J>,
    /// A `.yaml` / `.yml` file of the repository holding the template, relative to
    /// the repository's root (`packs/ops.yaml`). Read from the revision applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_file: Option<String>,
    /// ConformancePackInputParameters: values of the template's `Parameters`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub input_parameters: BTreeMap<String, String>,
    /// The S3 bucket AWS Config delivers the pack's results to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_s3_bucket: Option<String>,
    /// The key prefix in `deliveryS3Bucket`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_s3_key_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// ConformancePackInputParameters' maximum (the API model).
pub const MAX_INPUT_PARAMETERS: usize = 60;

impl ConformancePackSpec {
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(&At::root().k("metadata").k("name"), check_pack_name(name));
        match (&self.template, &self.template_file) {
            (None, None) => cx.report(
                &at,
                Problem::new("a conformance pack needs `template` or `templateFile`").hint(
                    "add `templateFile: packs/<name>.yaml` (a file of the repository) or `template: {Resources: ...}`",
                ),
            ),
            (Some(_), Some(_)) => cx.report(
                &at.k("templateFile"),
                Problem::new("`template` and `templateFile` cannot both be set")
                    .hint("keep the template in one place"),
            ),
            (Some(t), None) => {
                report_template(cx, &at.k("template"), &template::check(t));
                check_inputs(t, &self.input_parameters, cx);
            }
            (None, Some(file)) => cx.check(&at.k("templateFile"), file_path(file).map(|_| ())),
        }
        cx.check(
            &at.k("inputParameters"),
            rules::at_most(
                "inputParameters",
                self.input_parameters.len(),
                MAX_INPUT_PARAMETERS,
            ),
        );
        for (k, v) in &self.input_parameters {
            cx.check(
                &at.k("inputParameters").key_of(k),
                rules::length("parameter name", k, 1, 255),
            );
            cx.check(
                &at.k("inputParameters").k(k),
                rules::max_len("parameter value", v, 4096),
            );
        }
        if let Some(b) = &self.delivery_s3_bucket {
            cx.check(
                &at.k("deliveryS3Bucket"),
                rules::length("deliveryS3Bucket", b, 3, 63),
            );
        }
        if let Some(p) = &self.delivery_s3_key_prefix {
            cx.check(
                &at.k("deliveryS3KeyPrefix"),
                rules::max_len("deliveryS3KeyPrefix", p, 1024),
            );
        }
        cx.check_tags(&at.k("tags"), &self.tags);
    }
}

/// ConformancePackName: 1-256 characters, `[a-zA-Z][-a-zA-Z0-9]*` (the API model).
pub fn check_pack_name(name: &str) -> rules::Check {
    rules::name("conformance pack name", name, 1, 256, "-")?;
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(Problem::new(format!(
            "conformance pack name `{name}` does not start with a letter"
        ))
        .hint("AWS takes names that start with a letter, then letters, digits and `-`"));
    }
    Ok(())
}

/// `templateFile` as a path relative to the repository root, or what is wrong.
pub fn file_path(raw: &str) -> Result<String, Problem> {
    let path = raw.trim_start_matches("./");
    let hint = "give the path from the repository's root, `/`-separated: `packs/ops.yaml`";
    if path.starts_with('/')
        || path.contains('\\')
        || path.split('/').any(|c| c == ".." || c.is_empty())
    {
        return Err(
            Problem::new(format!("`{raw}` is not a path inside the repository")).hint(hint),
        );
    }
    if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
        return Err(Problem::new(format!("`{raw}` is not a .yaml or .yml file"))
            .hint("driftless reads templates from YAML files (JSON is YAML: rename a .json template to .yaml)"));
    }
    Ok(path.to_string())
}

/// Reports template problems at `base` (the template's place in `cx`).
fn report_template(cx: &mut Cx<'_>, base: &At<'_>, problems: &[template::TemplateProblem]) {
    for p in problems {
        let mut at = base.clone();
        for seg in &p.path {
            at = match seg.parse::<usize>() {
                Ok(i) => at.i(i),
                Err(_) => at.k(seg),
            };
        }
        cx.report(&at, p.problem.clone());
    }
}

/// Each input names a parameter the template declares, and each parameter without a
/// `Default` has an input.
fn check_inputs(template: &J, inputs: &BTreeMap<String, String>, cx: &mut Cx<'_>) {
    let declared = template::parameters(template);
    let at = At::spec().k("inputParameters");
    for name in inputs.keys() {
        if declared.contains_key(name) {
            continue;
        }
        let hint = match did_you_mean(name, declared.keys().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None if declared.is_empty() => {
                "the template declares no `Parameters`: remove it, or declare it in the template"
                    .into()
            }
            None => format!(
                "the template declares {}",
                declared
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        cx.report(
            &at.key_of(name),
            Problem::new(format!("the template declares no parameter `{name}`")).hint(hint),
        );
    }
    for (name, default) in &declared {
        if default.is_none() && !inputs.contains_key(name) {
            cx.report(
                &at,
                Problem::new(format!(
                    "template parameter `{name}` has no `Default` and no value"
                ))
                .hint(format!("add `{name}: ...` to inputParameters")),
            );
        }
    }
}

/// The template files the documents of `files` point at (`templateFile` of each
/// ConformancePack), as paths from the repository root.
pub fn referenced_files(documents: &[(&SourceFile, Vec<Node>)]) -> BTreeSet<String> {
    documents
        .iter()
        .flat_map(|(_, roots)| roots)
        .filter(|root| root.get("kind").and_then(Node::as_str) == Some("ConformancePack"))
        .filter_map(|root| root.get("spec")?.get("templateFile")?.as_str())
        .filter_map(|raw| file_path(raw).ok())
        .collect()
}

/// Puts each pack's template file into its `template`, reporting a missing file at
/// the document's `templateFile`, a file that is not one template in the file, and
/// inputs the template does not declare at the document's `inputParameters`.
pub fn load_template_files(spec: &mut ConformancePackSpec, doc: &mut Cx<'_>, files: &[SourceFile]) {
    let Some(path) = spec
        .template_file
        .as_deref()
        .and_then(|f| file_path(f).ok())
    else {
        return;
    };
    let at = At::spec().k("templateFile");
    let Some(file) = files.iter().find(|f| f.relative == path) else {
        let yaml = files.iter().map(|f| f.relative.as_str());
        let hint = match did_you_mean(&path, yaml) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "add the template file to the repository, or write the template under `template:`"
                    .into()
            }
        };
        doc.report(
            &at,
            Problem::new(format!("no file `{path}` in the repository")).hint(hint),
        );
        return;
    };
    let roots = match yaml::parse_documents(&file.text) {
        Ok(roots) => roots,
        Err(e) => {
            doc.out
                .push(Diagnostic::new(&file.display, e.span, e.message));
            return;
        }
    };
    let [root] = roots.as_slice() else {
        doc.report(
            &at,
            Problem::new(format!(
                "`{path}` holds {} YAML documents; a template is one",
                roots.len()
            ))
            .hint("keep one template in the file"),
        );
        return;
    };
    let value = root.to_json();
    let mut file_cx = Cx {
        path: &file.display,
        root,
        out: &mut *doc.out,
    };
    report_template(&mut file_cx, &At::root(), &template::check(&value));
    check_inputs(&value, &spec.input_parameters, doc);
    spec.template = Some(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{parse, ResourceSpec};

    fn file(relative: &str, text: &str) -> SourceFile {
        SourceFile {
            relative: relative.into(),
            display: relative.into(),
            text: text.into(),
        }
    }

    const PACK: &str = "apiVersion: driftless.dev/v1\nkind: ConformancePack\nmetadata: {name: p}\nspec:\n  templateFile: ./packs/t.yaml\n  inputParameters: {Days: 9}\n";
    const TEMPLATE: &str = "Parameters:\n  Days: {Type: String}\nResources:\n  R:\n    Type: AWS::Config::ConfigRule\n    Properties: {Source: {Owner: AWS, SourceIdentifier: X}}\n";

    #[test]
    fn a_template_file_is_read_into_its_pack_and_is_no_document() {
        let state = parse(&[file("pack.yaml", PACK), file("packs/t.yaml", TEMPLATE)])
            .unwrap_or_else(|d| panic!("{}", crate::spec::diagnostic::render_text(&d)));
        assert_eq!(state.resources.len(), 1);
        let ResourceSpec::ConformancePack(spec) = &state.resources[0].spec else {
            panic!("not a pack");
        };
        assert_eq!(
            spec.template.as_ref().unwrap()["Resources"]["R"]["Type"],
            RULE
        );
        // Unreferenced, the same file is a document, and says what it looks like.
        let err = parse(&[file("packs/t.yaml", TEMPLATE)]).unwrap_err();
        let text = crate::spec::diagnostic::render_text(&err);
        assert!(
            text.contains("looks like a conformance pack template"),
            "{text}"
        );
        // A pack without its file: located at templateFile.
        let err = parse(&[file("pack.yaml", PACK)]).unwrap_err();
        let text = crate::spec::diagnostic::render_text(&err);
        assert!(
            text.contains("pack.yaml:5:17: error: no file `packs/t.yaml` in the repository"),
            "{text}"
        );
    }

    const RULE: &str = template::RULE_TYPE;

    #[test]
    fn template_file_paths_stay_inside_the_repository() {
        assert_eq!(file_path("./packs/ops.yaml").unwrap(), "packs/ops.yaml");
        assert_eq!(file_path("ops.yml").unwrap(), "ops.yml");
        for bad in [
            "/etc/x.yaml",
            "../x.yaml",
            "a//b.yaml",
            "a\\b.yaml",
            "p.json",
        ] {
            assert!(file_path(bad).is_err(), "{bad}");
        }
        assert!(check_pack_name("ops-pack").is_ok());
        assert!(check_pack_name("1pack").is_err());
        assert!(check_pack_name("a_b").is_err());
    }
}
