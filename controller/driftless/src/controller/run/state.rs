//! The controller's state backend, chosen once: `--state` / `DRIFTLESS_STATE` when set,
//! else the `state:` of the first valid revision's driftless.yaml, else local under
//! `--state-dir`. Chosen at the first reconcile rather than at start, so a controller
//! whose repository names an S3 state never writes a local record first, and a fetch
//! that fails at start does not stop it. A later change of `state:` takes effect at the
//! next start (docs/design/state.md). How a backend is opened is the command's
//! (`cli::state::select`), passed in as [`Select`].

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::spec::state_backend::StateConfig;
use crate::state::StateBackend;

/// Opens the backend for driftless.yaml's `state:` (or none): the backend and the
/// lease of its locks, or why not.
pub type Select = Box<
    dyn Fn(
            Option<StateConfig>,
        )
            -> Pin<Box<dyn Future<Output = Result<(StateBackend, Duration), String>> + Send>>
        + Send
        + Sync,
>;

/// How to choose the backend, and the one chosen (with its lock lease).
pub struct StateChoice {
    select: Select,
    chosen: OnceCell<(StateBackend, Duration)>,
}

impl std::fmt::Debug for StateChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateChoice")
            .field("chosen", &self.chosen.get())
            .finish_non_exhaustive()
    }
}

impl StateChoice {
    pub fn new(select: Select) -> StateChoice {
        StateChoice {
            select,
            chosen: OnceCell::new(),
        }
    }

    /// The backend, once chosen (`None` before the first reconcile opened it; the
    /// dashboard reads the history through it).
    pub fn chosen(&self) -> Option<&StateBackend> {
        self.chosen.get().map(|(backend, _)| backend)
    }

    /// The backend and its lock lease, chosen on first use with `config` (the
    /// revision's driftless.yaml `state:`); why not when it cannot be opened (tried
    /// again at the next reconcile).
    pub async fn get(
        &self,
        config: Option<&StateConfig>,
    ) -> Result<&(StateBackend, Duration), String> {
        self.chosen
            .get_or_try_init(|| async {
                let chosen = (self.select)(config.cloned()).await?;
                tracing::info!(state = %chosen.0.describe(), "the state backend");
                Ok(chosen)
            })
            .await
    }
}
