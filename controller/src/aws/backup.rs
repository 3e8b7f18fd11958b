//! AWS Backup: vaults, plans, selections. Stub until the reader lands.

use std::collections::{BTreeMap, BTreeSet};

use super::{AwsError, Clients};
use crate::live::{Live, LiveVault};
use crate::spec::BackupPlanSpec;

pub async fn read_vaults(
    _clients: &Clients,
    _names: &BTreeSet<String>,
    _owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<LiveVault>, AwsError> {
    Ok(Vec::new())
}

pub async fn read_plans(
    _clients: &Clients,
    _names: &BTreeSet<String>,
    _owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<Live<BackupPlanSpec>>, AwsError> {
    Ok(Vec::new())
}
