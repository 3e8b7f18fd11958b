//! SSM: patch baselines, patch groups, maintenance windows. Stub until the reader lands.

use std::collections::{BTreeMap, BTreeSet};

use super::{AwsError, Clients};
use crate::live::Live;
use crate::spec::patch_baseline::OperatingSystem;
use crate::spec::{MaintenanceWindowSpec, PatchBaselineSpec};

type Registrations = BTreeMap<String, Vec<(OperatingSystem, String)>>;

pub async fn read_patch_baselines(
    _clients: &Clients,
    _names: &BTreeSet<String>,
    _owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<(Vec<Live<PatchBaselineSpec>>, Registrations), AwsError> {
    Ok((Vec::new(), BTreeMap::new()))
}

pub async fn read_maintenance_windows(
    _clients: &Clients,
    _names: &BTreeSet<String>,
    _owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<Live<MaintenanceWindowSpec>>, AwsError> {
    Ok(Vec::new())
}
