//! Fuzz input → a repository of files, shared by the `load_repository` fuzz target
//! and the regression test over saved inputs (`tests/it/hostile_input.rs`, which
//! includes this file by path).
//!
//! The input is split at NUL bytes into files. A file whose first line is
//! `#file <path>` is written at that path (the line is removed); any other file is
//! `doc<N>.yaml`. Paths keep only letters, digits, `.`, `_` and `-` in at most 4
//! components of at most 40 bytes (no `..`), so every input stays inside its folder.
//! `fuzz/build_corpus.sh` writes `tests/fixtures/` and `examples/` in this form.

#![allow(dead_code)]

use std::path::Path;

/// At most this many files per input; the rest of the input is ignored.
pub const MAX_FILES: usize = 32;
const MAX_COMPONENTS: usize = 4;
const MAX_COMPONENT_BYTES: usize = 40;

/// (relative path, contents) of every file the input describes, in input order.
pub fn files(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    data.split(|b| *b == 0)
        .take(MAX_FILES)
        .enumerate()
        .map(|(i, chunk)| match chunk.strip_prefix(b"#file ") {
            Some(rest) => {
                let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
                let body = rest.get(end + 1..).unwrap_or_default();
                let path = clean_path(&rest[..end]).unwrap_or_else(|| format!("doc{i}.yaml"));
                (path, body.to_vec())
            }
            None => (format!("doc{i}.yaml"), chunk.to_vec()),
        })
        .collect()
}

/// A relative path made only of safe components, or `None` when nothing is left.
fn clean_path(raw: &[u8]) -> Option<String> {
    let parts: Vec<String> = raw
        .split(|b| *b == b'/')
        .map(|c| {
            c.iter()
                .copied()
                .filter(|b| b.is_ascii_alphanumeric() || b"._-".contains(b))
                .take(MAX_COMPONENT_BYTES)
                .map(char::from)
                .collect::<String>()
        })
        .filter(|c| !c.is_empty() && c.bytes().any(|b| b != b'.'))
        .take(MAX_COMPONENTS)
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Writes `files` under `dir` (which must be empty). A path that cannot be written
/// (a file where a folder is needed) is skipped: the input simply has fewer files.
pub fn write(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (path, bytes) in files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            if std::fs::create_dir_all(parent).is_err() {
                continue;
            }
        }
        let _ = std::fs::write(&full, bytes);
    }
}

/// Removes everything inside `dir`, keeping `dir`.
pub fn clear(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let _ = if path.is_dir() && !path.is_symlink() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}
