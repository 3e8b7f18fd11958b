//! CloudWatch Logs: log groups and retention. Stub until the reader lands.

use std::collections::{BTreeMap, BTreeSet};

use super::{AwsError, Clients};
use crate::live::{Live, LogGroupRetention};
use crate::spec::LogGroupSpec;

pub async fn read_log_groups(
    _clients: &Clients,
    _names: &BTreeSet<String>,
    _prefixes: &BTreeSet<String>,
    _owned: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<(Vec<Live<LogGroupSpec>>, Vec<LogGroupRetention>), AwsError> {
    Ok((Vec::new(), Vec::new()))
}
