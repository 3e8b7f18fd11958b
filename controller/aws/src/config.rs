//! AWS Config: rules with their remediation configurations, and AWS Config's own
//! compliance results for `audit --config-results`.

pub mod compliance;
pub mod remediation;
pub mod rule;
