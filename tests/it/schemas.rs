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
