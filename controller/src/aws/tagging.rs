//! Resource Groups Tagging API: which resources this instance owns (one paginated
//! listing for every kind). Stub until the reader lands.

use std::collections::BTreeMap;

use super::{AwsError, Clients, Owned};

/// Every resource tagged `driftless.dev/managed-by = instance`, by kind.
pub async fn owned_resources(_clients: &Clients, _instance: &str) -> Result<Owned, AwsError> {
    let _ = BTreeMap::<String, String>::new();
    Ok(Owned::default())
}
