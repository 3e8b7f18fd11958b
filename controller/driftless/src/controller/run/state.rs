//! The controller's state backend, chosen once: `--state` / `DRIFTLESS_STATE` when set,
//! else the `state:` of the first valid revision's driftless.yaml, else local under
//! `--state-dir`. Chosen at the first reconcile rather than at start, so a controller
//! whose repository names an S3 state never writes a local record first, and a fetch
//! that fails at start does not stop it. A later change of `state:` takes effect at the
//! next start (docs/design/state.md).

use std::path::PathBuf;

use tokio::sync::OnceCell;

use crate::cli::state::{select, Selected};

/// How to choose the backend, and the one chosen.
#[derive(Debug)]
pub struct StateChoice {
    /// `--state` / `DRIFTLESS_STATE`.
    pub flag: Option<String>,
    pub state_dir: PathBuf,
    pub endpoint_url: Option<String>,
    /// `--history-retention` (`None`: forever).
    pub history_retention: Option<std::time::Duration>,
    chosen: OnceCell<Selected>,
}

impl StateChoice {
    pub fn new(
        flag: Option<String>,
        state_dir: PathBuf,
        endpoint_url: Option<String>,
        history_retention: Option<std::time::Duration>,
    ) -> StateChoice {
        StateChoice {
            flag,
            state_dir,
            endpoint_url,
            history_retention,
            chosen: OnceCell::new(),
        }
    }

    /// The backend, chosen on first use with `config` (the revision's driftless.yaml
    /// `state:`); why not when it cannot be opened (retried at the next reconcile).
    pub async fn get(
        &self,
        config: Option<&crate::spec::state_backend::StateConfig>,
    ) -> Result<&Selected, String> {
        self.chosen
            .get_or_try_init(|| async {
                let mut selected = select(
                    self.flag.as_deref(),
                    &self.state_dir,
                    self.endpoint_url.as_deref(),
                    config,
                )
                .await
                .map_err(|e| e.to_string())?;
                selected.backend = selected
                    .backend
                    .with_history_retention(self.history_retention);
                tracing::info!(state = %selected.backend.describe(), "the state backend");
                Ok(selected)
            })
            .await
    }
}
