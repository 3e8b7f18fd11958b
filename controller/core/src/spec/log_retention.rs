//! `LogRetentionPolicy`: retention for log groups driftless does not own, matched by
//! name prefix. It only ever sets retention; it never creates, tags or deletes groups.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::log_group::{check_log_group_name, Retention};
use super::rules;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogRetentionPolicySpec {
    /// Groups whose name starts with this prefix get the retention.
    pub log_group_name_prefix: String,
    pub retention_in_days: Retention,
    /// true: touch only groups that never expire.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_where_unset: bool,
    /// Name prefixes left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl LogRetentionPolicySpec {
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(
            &At::root().k("metadata").k("name"),
            rules::name("policy name", name, 1, 128, "-_."),
        );
        cx.check(
            &at.k("logGroupNamePrefix"),
            check_log_group_name("logGroupNamePrefix", &self.log_group_name_prefix),
        );
        for (i, prefix) in self.exclude.iter().enumerate() {
            cx.check(
                &at.k("exclude").i(i),
                check_log_group_name("exclude prefix", prefix),
            );
            if !prefix.starts_with(&self.log_group_name_prefix) {
                cx.report(
                    &at.k("exclude").i(i),
                    rules::Problem::new(format!(
                        "exclude prefix `{prefix}` does not start with `{}`, so it never matches",
                        self.log_group_name_prefix
                    ))
                    .hint("list prefixes of groups this policy would otherwise touch"),
                );
            }
        }
    }
}
