//! Reading a desired-state repository from a local folder.
//!
//! Walks the tree for `*.yaml` / `*.yml`, skipping hidden folders and files; follows
//! symlinks only while they stay inside the root; refuses files over [`MAX_FILE_BYTES`]
//! and files that are not UTF-8. Files are returned sorted by path so that output and
//! the revision hash do not depend on directory order.

use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use super::{Snapshot, SourceError};
use driftless_core::spec::yaml::Span;
use driftless_core::spec::{Diagnostic, SourceFile};

/// Largest spec file read.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Most files read from one repository.
pub const MAX_FILES: usize = 10_000;
/// Deepest folder nesting walked.
pub const MAX_DEPTH: usize = 32;

/// Reads every spec file under `root`. `display_root` is how the root is shown in
/// messages (usually as the user typed it).
pub fn read(root: &Path, display_root: &str) -> Result<Snapshot, SourceError> {
    let meta = fs::metadata(root).map_err(|e| SourceError::Unreadable {
        path: display_root.to_string(),
        message: format!("cannot read the folder: {e}"),
    })?;
    if !meta.is_dir() {
        return Err(SourceError::Unreadable {
            path: display_root.to_string(),
            message: "not a folder; give the folder that holds the specs".into(),
        });
    }
    let canonical_root = root.canonicalize().map_err(|e| SourceError::Unreadable {
        path: display_root.to_string(),
        message: e.to_string(),
    })?;
    let mut walker = Walker {
        root: canonical_root,
        display_root: display_root.trim_end_matches('/').to_string(),
        files: Vec::new(),
        diagnostics: Vec::new(),
    };
    walker.walk(root, "", 0);
    let Walker {
        mut files,
        diagnostics,
        ..
    } = walker;
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for f in &files {
        f.relative.hash(&mut hasher);
        f.text.hash(&mut hasher);
    }
    Ok(Snapshot {
        files,
        revision: format!("local-{:016x}", hasher.finish()),
        diagnostics,
    })
}

struct Walker {
    root: PathBuf,
    display_root: String,
    files: Vec<SourceFile>,
    diagnostics: Vec<Diagnostic>,
}

impl Walker {
    fn display(&self, relative: &str) -> String {
        if self.display_root.is_empty() || self.display_root == "." {
            relative.to_string()
        } else {
            format!("{}/{relative}", self.display_root)
        }
    }

    fn problem(&mut self, relative: &str, message: String, hint: &str) {
        let d = Diagnostic::new(&self.display(relative), Span::default(), message).with_hint(hint);
        self.diagnostics.push(d);
    }

    fn walk(&mut self, dir: &Path, prefix: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.problem(
                prefix,
                format!("folders nested deeper than {MAX_DEPTH} levels"),
                "flatten the repository",
            );
            return;
        }
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.problem(
                    prefix,
                    format!("cannot read folder: {e}"),
                    "check its permissions",
                );
                return;
            }
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let is_spec = name.ends_with(".yaml") || name.ends_with(".yml");
            if file_type.is_symlink() {
                match path.canonicalize() {
                    Ok(target) if target.starts_with(&self.root) => {
                        if target.is_dir() {
                            // Following links inside the root could loop; the depth cap ends it.
                            self.walk(&path, &relative, depth + 1);
                        } else if is_spec {
                            self.read_file(&path, &relative);
                        }
                    }
                    Ok(_) => self.problem(
                        &relative,
                        "symlink points outside the repository".into(),
                        "copy the file into the repository, or remove the link",
                    ),
                    Err(e) => self.problem(
                        &relative,
                        format!("broken symlink: {e}"),
                        "fix or remove the link",
                    ),
                }
                continue;
            }
            if file_type.is_dir() {
                self.walk(&path, &relative, depth + 1);
            } else if file_type.is_file() && is_spec {
                self.read_file(&path, &relative);
            }
        }
    }

    fn read_file(&mut self, path: &Path, relative: &str) {
        if self.files.len() >= MAX_FILES {
            self.problem(
                relative,
                format!("more than {MAX_FILES} spec files"),
                "split the repository with --path",
            );
            return;
        }
        let size = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > MAX_FILE_BYTES {
            self.problem(
                relative,
                format!("file is {size} bytes; the limit is {MAX_FILE_BYTES} (4 MiB)"),
                "split it into several files",
            );
            return;
        }
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                self.problem(
                    relative,
                    format!("cannot read file: {e}"),
                    "check its permissions",
                );
                return;
            }
        };
        match String::from_utf8(bytes) {
            Ok(text) => self.files.push(SourceFile {
                relative: relative.to_string(),
                display: self.display(relative),
                text,
            }),
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                self.problem(
                    relative,
                    format!("file is not UTF-8 (invalid byte at offset {offset})"),
                    "save it as UTF-8",
                );
            }
        }
    }
}
