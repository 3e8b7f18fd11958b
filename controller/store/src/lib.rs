//! driftless-store: where the desired state is read from and where what was applied
//! is remembered.
//!
//! - `source`: a local folder or a git repository (git2), read into the files of one
//!   revision ([`source::read_source`]);
//! - `state`: the state store (SQLite under `--state-dir`): last-applied values per
//!   target, kind and name, and the history of every reconcile.
//!
//! Neither depends on the AWS SDK; both depend on `driftless-core` only for its types.

pub mod source;
pub mod state;
