//! The layers are crates, and Cargo enforces them: this module fails when a crate
//! gains a dependency its layer must not have (read from `cargo metadata`), or when
//! the top-level modules of a crate import each other in a cycle (read from the
//! sources). ARCHITECTURE.md, "Code map", describes the layers.
//!
//! - `driftless-core` is pure: nothing in its dependency tree does I/O (no async
//!   runtime, AWS SDK, git, SQLite, HTTP);
//! - `driftless-aws` is the only crate that depends on the AWS SDK;
//! - `driftless-store` holds sources and state, and reaches AWS only through the door;
//! - `driftless` (the binary) sits on top and depends on none of the SDK, git or SQLite
//!   crates directly (its tests may: dev-dependencies are not layers).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as J;

/// The crates of the workspace, lowest layer first, with the workspace crates each
/// may depend on.
const LAYERS: &[(&str, &[&str])] = &[
    ("driftless-core", &[]),
    ("driftless-aws", &["driftless-core"]),
    ("driftless-store", &["driftless-core", "driftless-aws"]),
    (
        "driftless",
        &["driftless-core", "driftless-aws", "driftless-store"],
    ),
];

/// Packages that do I/O: none may be anywhere in core's dependency tree.
const IO_PACKAGES: &[&str] = &[
    "tokio",
    "mio",
    "socket2",
    "git2",
    "libgit2-sys",
    "rusqlite",
    "libsqlite3-sys",
    "hyper",
    "hyper-util",
    "axum",
    "reqwest",
    "rustls",
];

/// Whether a package is part of the AWS SDK (clients, config, runtime).
fn is_aws_sdk(name: &str) -> bool {
    name.starts_with("aws-sdk-")
        || name.starts_with("aws-smithy-")
        || matches!(name, "aws-config" | "aws-types" | "aws-credential-types")
}

/// Direct dependencies a crate may not have, beyond the workspace rule of [`LAYERS`].
fn forbidden_direct(krate: &str, dep: &str) -> Option<&'static str> {
    let io = IO_PACKAGES.contains(&dep);
    match krate {
        "driftless-core" if io || is_aws_sdk(dep) => Some("the core is pure"),
        "driftless-aws" if matches!(dep, "git2" | "rusqlite" | "axum") => {
            Some("the AWS door holds no sources, state or server")
        }
        "driftless-store" if is_aws_sdk(dep) => Some("the store reaches AWS through driftless-aws"),
        "driftless" if is_aws_sdk(dep) => Some("only driftless-aws depends on the AWS SDK"),
        "driftless" if matches!(dep, "git2" | "rusqlite") => {
            Some("sources and state are driftless-store's")
        }
        _ => None,
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// The host's target triple (`rustc -vV`), so metadata resolves this platform's
/// dependencies only, all of them already downloaded by the build.
fn host() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

/// `cargo metadata` of the workspace for this platform (offline: the lock file decides).
fn metadata() -> J {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host()])
        .current_dir(repo_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Package id → name, for every package in the resolved graph.
fn names(meta: &J) -> BTreeMap<String, String> {
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let id = p["id"].as_str().unwrap().to_string();
            (id, p["name"].as_str().unwrap().to_string())
        })
        .collect()
}

/// Package id → ids of its normal (not dev, not build) dependencies.
fn normal_edges(meta: &J) -> BTreeMap<String, Vec<String>> {
    let nodes = meta["resolve"]["nodes"].as_array().unwrap();
    nodes
        .iter()
        .map(|n| {
            let deps = n["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| d["pkg"].as_str().unwrap().to_string())
                .collect();
            (n["id"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

/// The workspace members: name → id.
fn members(meta: &J, names: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            let id = id.as_str().unwrap().to_string();
            (names[&id].clone(), id)
        })
        .collect()
}

#[test]
fn every_crate_depends_only_on_what_its_layer_allows() {
    let meta = metadata();
    let names = names(&meta);
    let edges = normal_edges(&meta);
    let members = members(&meta, &names);
    let known: BTreeSet<&str> = LAYERS.iter().map(|l| l.0).collect();
    for name in members.keys() {
        assert!(
            known.contains(name.as_str()),
            "workspace crate {name} has no layer: add it to LAYERS in tests/it/layers.rs \
             and to ARCHITECTURE.md's code map"
        );
    }
    let mut broken = Vec::new();
    for (krate, allowed) in LAYERS {
        let id = &members[*krate];
        for dep in &edges[id] {
            let dep = &names[dep];
            if members.contains_key(dep) && !allowed.contains(&dep.as_str()) {
                broken.push(format!(
                    "{krate} → {dep}: a lower layer may not use a higher one"
                ));
            } else if let Some(why) = forbidden_direct(krate, dep) {
                broken.push(format!("{krate} → {dep}: {why}"));
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn nothing_in_the_core_dependency_tree_does_io() {
    let meta = metadata();
    let names = names(&meta);
    let edges = normal_edges(&meta);
    let core = members(&meta, &names)["driftless-core"].clone();
    // Every package reachable from core, with the path that reaches it.
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stack = vec![(core.clone(), vec![names[&core].clone()])];
    while let Some((id, path)) = stack.pop() {
        for dep in &edges[&id] {
            if !seen.contains_key(dep) {
                let mut p = path.clone();
                p.push(names[dep].clone());
                seen.insert(dep.clone(), p.clone());
                stack.push((dep.clone(), p));
            }
        }
    }
    let io: Vec<String> = seen
        .iter()
        .filter(|(id, _)| IO_PACKAGES.contains(&names[*id].as_str()) || is_aws_sdk(&names[*id]))
        .map(|(_, path)| path.join(" → "))
        .collect();
    assert!(
        io.is_empty(),
        "the core reaches I/O crates:\n{}",
        io.join("\n")
    );
    // The walk itself works: core does reach its real dependencies.
    assert!(seen.values().any(|p| p.last().unwrap() == "serde_json"));
}

/// The modules one source file names with `crate::m` or `crate::{m, …}` (comments and
/// the test module at its end excluded).
fn crate_modules_named(text: &str) -> BTreeSet<String> {
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find("};").unwrap_or(group.len());
            let mut depth = 0;
            let mut item = String::new();
            for ch in group[..end].chars().chain(std::iter::once(',')) {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(first_ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
        } else {
            out.insert(first_ident(rest));
        }
    }
    out.remove("");
    out
}

fn first_ident(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// A crate's top-level modules and the others each one names.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs")
                && path.file_name().unwrap() != "tests.rs"
            {
                files.push(path);
            }
        }
    }
    let top = |p: &Path| {
        let rel = p.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        first.trim_end_matches(".rs").to_string()
    };
    let modules: BTreeSet<String> = files.iter().map(|p| top(p)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &files {
        let from = top(path);
        if from == "lib" || from == "main" {
            continue;
        }
        let named = crate_modules_named(&std::fs::read_to_string(path).unwrap());
        let entry = graph.entry(from.clone()).or_default();
        entry.extend(
            named
                .into_iter()
                .filter(|m| *m != from && modules.contains(m)),
        );
    }
    graph
}

/// A cycle in `graph`, as the path that closes it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_modules_of_each_crate_import_each_other_without_a_cycle() {
    for krate in ["core", "aws", "store", "driftless"] {
        let src = repo_root().join("controller").join(krate).join("src");
        let graph = module_graph(&src);
        assert!(!graph.is_empty(), "no modules read under {}", src.display());
        if let Some(cycle) = find_cycle(&graph) {
            panic!(
                "controller/{krate}: modules import each other in a cycle: {}",
                cycle.join(" → ")
            );
        }
    }
}

#[test]
fn the_cycle_finder_finds_cycles_and_reads_grouped_imports() {
    let named = crate_modules_named(
        "use crate::{audit, plan::{self, Action}};\nuse crate::spec::Kind;\n// crate::engine\n",
    );
    assert_eq!(
        named,
        ["audit", "plan", "spec"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let mut acyclic = graph;
    acyclic.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&acyclic), None);
}
