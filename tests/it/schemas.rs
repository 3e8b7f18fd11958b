//! The JSON Schemas in specs/ are generated from the Rust types; this test fails when
//! they are stale. Regenerate with `DRIFTLESS_BLESS=1 cargo test --test it schemas`
//! (or `make schemas`).

use std::path::PathBuf;

use driftless::spec::{config_schema, Kind};

fn specs_dir() -> PathBuf {
    crate::support::repo_root().join("specs")
}

/// A schema an editor can use for any document: it picks the kind's schema by `kind`.
fn any_document_schema() -> serde_json::Value {
    let branches: Vec<serde_json::Value> = Kind::ALL
        .iter()
        .map(|k| {
            serde_json::json!({
                "if": {"properties": {"kind": {"const": k.as_str()}}, "required": ["kind"]},
                "then": {"$ref": format!("{k}.schema.json")}
            })
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://driftless.dev/schemas/document.schema.json",
        "title": "driftless document",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "kind": {"enum": Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()}
        },
        "allOf": branches
    })
}

/// The JSON of `driftless plan --output json` (and of saved plans).
fn plan_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(driftless::plan::Plan).to_value();
    let obj = schema.as_object_mut().unwrap();
    obj.insert("title".into(), "driftless plan".into());
    obj.insert(
        "$id".into(),
        "https://driftless.dev/schemas/plan.schema.json".into(),
    );
    schema
}

fn expected_files() -> Vec<(String, serde_json::Value)> {
    let mut files: Vec<(String, serde_json::Value)> = Kind::ALL
        .iter()
        .map(|k| (format!("{k}.schema.json"), k.schema().clone()))
        .collect();
    files.push(("driftless.schema.json".into(), config_schema().clone()));
    files.push(("document.schema.json".into(), any_document_schema()));
    files.push(("plan.schema.json".into(), plan_schema()));
    files
}

#[test]
fn checked_in_schemas_match_the_rust_types() {
    let bless = std::env::var_os("DRIFTLESS_BLESS").is_some();
    let mut stale = Vec::new();
    for (file, schema) in expected_files() {
        let path = specs_dir().join(&file);
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if bless {
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale schemas in specs/: {stale:?}; run `make schemas` and commit the result"
    );
}

#[test]
fn kind_schemas_reject_unknown_fields_and_fix_the_envelope() {
    for kind in Kind::ALL {
        let s = kind.schema();
        assert_eq!(s["additionalProperties"], false, "{kind}");
        assert_eq!(s["properties"]["kind"]["const"], kind.as_str());
        assert_eq!(s["properties"]["apiVersion"]["const"], "driftless.dev/v1");
        let required: Vec<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(
            required,
            ["apiVersion", "kind", "metadata", "spec"],
            "{kind}"
        );
    }
}

/// The errors the pinned venv's jsonschema (the validator editors and CI tools use)
/// finds in `instance` against the checked-in `specs/<file>`.
fn published_schema_errors(file: &str, instance: &serde_json::Value) -> Vec<String> {
    use std::io::Write;
    let script = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        cls = jsonschema.validators.validator_for(schema)\n\
        for e in cls(schema).iter_errors(json.load(sys.stdin)):\n    \
            print('/'.join(map(str, e.absolute_path)) + ': ' + e.message)\n";
    let mut child = std::process::Command::new(crate::support::venv_python())
        .args(["-c", script])
        .arg(specs_dir().join(file))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the venv python runs");
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(instance.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "jsonschema failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// driftless.yaml as JSON (the document an editor checks) and whether validation
/// accepts it.
fn config_as_json(text: &str) -> (serde_json::Value, bool) {
    let docs = driftless::spec::yaml::parse_documents(text).unwrap();
    let file = driftless::spec::SourceFile {
        relative: "driftless.yaml".into(),
        display: "driftless.yaml".into(),
        text: text.into(),
    };
    let valid = driftless::spec::parse_config_only(&[file]).is_some();
    (docs[0].to_json(), valid)
}

#[test]
fn the_published_config_schema_accepts_the_guardrail_parameters_validation_accepts() {
    // The README's example and every valid fixture's guardrails: numbers and booleans
    // written plainly, as users write them.
    let mut configs = vec![(
        "README.md".to_string(),
        crate::support::readme_yaml("guardrails:"),
    )];
    for dir in std::fs::read_dir(crate::support::repo_root().join("tests/fixtures/valid")).unwrap()
    {
        let path = dir.unwrap().path().join("driftless.yaml");
        if let Ok(text) = std::fs::read_to_string(&path) {
            configs.push((path.display().to_string(), text));
        }
    }
    assert!(configs.iter().any(|(_, t)| t.contains("parameters")));
    for (name, text) in &configs {
        let (json, valid) = config_as_json(text);
        assert!(valid, "{name}: validation refuses it");
        let errors = published_schema_errors("driftless.schema.json", &json);
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    // Quoted or not, one value; a list is refused by both.
    for (value, accepted) in [("365", true), ("\"365\"", true), ("[365]", false)] {
        let text = format!(
            "guardrails:\n  - rule: cw-loggroup-retention-period-check\n    parameters: {{minRetentionTime: {value}}}\n"
        );
        let (json, valid) = config_as_json(&text);
        let errors = published_schema_errors("driftless.schema.json", &json);
        assert_eq!(
            (valid, errors.is_empty()),
            (accepted, accepted),
            "{value}: {errors:?}"
        );
    }
}
