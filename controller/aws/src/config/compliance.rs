//! AWS Config's own verdicts: GetComplianceDetailsByConfigRule (paginated, 100 results
//! a call), per rule, for `audit --config-results`.

use std::collections::BTreeMap;

use crate::{AwsError, Clients};

/// AWS Config's compliance of each evaluated resource of `rule`, by resource id
/// (`COMPLIANT`, `NON_COMPLIANT`, `NOT_APPLICABLE`, `INSUFFICIENT_DATA`); none for a
/// rule AWS Config does not have (not deployed yet).
pub async fn by_rule(clients: &Clients, rule: &str) -> Result<BTreeMap<String, String>, AwsError> {
    const OP: &str = "GetComplianceDetailsByConfigRule";
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = clients
            .config
            .get_compliance_details_by_config_rule()
            .config_rule_name(rule)
            .limit(100)
            .set_next_token(token)
            .send()
            .await;
        let page = match page {
            Ok(page) => page,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_config_rule_exception()) =>
            {
                return Ok(out)
            }
            Err(e) => return Err(AwsError::call(clients, "config", OP, Some(rule), e)),
        };
        for r in page.evaluation_results() {
            let id = r
                .evaluation_result_identifier()
                .and_then(|i| i.evaluation_result_qualifier())
                .and_then(|q| q.resource_id());
            if let (Some(id), Some(c)) = (id, r.compliance_type()) {
                out.insert(id.to_string(), c.as_str().to_string());
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}
