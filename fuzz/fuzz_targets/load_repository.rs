//! Fuzz target: bytes → a folder of files → `validate::load_folder` (the local source
//! reader, YAML, envelope, schema, value and repository rules, guardrails), then the
//! diagnostics rendered as text and JSON. It must never panic, hang or grow without
//! bound, whatever the files hold.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../src/repository.rs"]
mod repository;

/// One folder for every input (on tmpfs when there is one), emptied before each.
fn folder() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        if shm.is_dir() {
            tempfile::tempdir_in(shm).expect("a folder in /dev/shm")
        } else {
            tempfile::tempdir().expect("a temporary folder")
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = folder().path();
    repository::clear(dir);
    repository::write(dir, &repository::files(data));
    match driftless::validate::load_folder(dir, "repo") {
        Ok(loaded) => {
            // A valid repository's resources serialise (what plan and import read).
            for resource in &loaded.state.resources {
                let _ = serde_json::to_string(&resource.spec);
            }
        }
        Err(driftless::validate::LoadError::Invalid(diagnostics)) => {
            assert!(
                !diagnostics.is_empty(),
                "an invalid repository without a diagnostic"
            );
            let _ = driftless::spec::diagnostic::render_text(&diagnostics);
            let _ = driftless::spec::diagnostic::render_json(&diagnostics);
        }
        Err(driftless::validate::LoadError::Source(_)) => {}
    }
});
