//! `LogGroup`: a CloudWatch Logs group that driftless owns, and the retention type
//! shared with `LogRetentionPolicy`.

use std::collections::BTreeMap;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::context::{At, Cx};
use super::rules;

/// The day counts CloudWatch Logs accepts for retention.
pub const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// How long a log group keeps events: a number of days from AWS's fixed set, or never
/// expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    Days(u32),
    Never,
}

impl Serialize for Retention {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Retention::Days(d) => s.serialize_u32(*d),
            Retention::Never => s.serialize_str("never"),
        }
    }
}

impl<'de> Deserialize<'de> for Retention {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Retention;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of days or `never`")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Retention, E> {
                u32::try_from(v)
                    .map(Retention::Days)
                    .map_err(|_| E::custom("retention is too large"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Retention, E> {
                u32::try_from(v)
                    .map(Retention::Days)
                    .map_err(|_| E::custom("retention must be positive"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Retention, E> {
                if v == "never" {
                    Ok(Retention::Never)
                } else {
                    Err(E::custom("retention is a number of days or `never`"))
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Retention {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Retention".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Days to keep log events (one of AWS's fixed values), or `never`.",
            "anyOf": [
                {"type": "integer", "enum": RETENTION_DAYS},
                {"type": "string", "enum": ["never"]}
            ]
        })
    }
}

/// Log group names: 1-512 of letters, digits and `_ - / . #`.
pub fn check_log_group_name(what: &str, name: &str) -> rules::Check {
    rules::name(what, name, 1, 512, "_-/.#")
}

/// The desired state of a log group driftless owns.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogGroupSpec {
    /// Days to keep events, or `never`; absent means never expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<Retention>,
    /// ARN of the KMS key that encrypts the group's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Set at creation; changing it replaces the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group_class: Option<LogGroupClass>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LogGroupClass {
    Standard,
    InfrequentAccess,
    // For delivering logs to S3 or Firehose: AWS keeps events one day and the
    // retention cannot be set (CreateLogGroup, `logGroupClass`).
    Delivery,
}

/// The retention of a DELIVERY group, fixed by AWS.
pub const DELIVERY_RETENTION_DAYS: u32 = 1;

impl LogGroupSpec {
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(
            &At::root().k("metadata").k("name"),
            check_log_group_name("log group name", name),
        );
        if let Some(key) = &self.kms_key_id {
            cx.check(&at.k("kmsKeyId"), rules::kms_key_arn(key, "kmsKeyId"));
            cx.check(&at.k("kmsKeyId"), rules::length("kmsKeyId", key, 1, 256));
        }
        if self.log_group_class == Some(LogGroupClass::Delivery) {
            let fixed = Retention::Days(DELIVERY_RETENTION_DAYS);
            if self.retention_in_days.is_some_and(|r| r != fixed) {
                cx.report(
                    &at.k("retentionInDays"),
                    rules::Problem::new(
                        "a DELIVERY log group keeps events for 1 day; its retention cannot be set",
                    )
                    .hint("remove retentionInDays (or write 1)"),
                );
            }
        }
        cx.check_tags(&at.k("tags"), &self.tags);
        cx.check_tag_characters(&at.k("tags"), &self.tags);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_reads_days_and_never() {
        let days: Retention = serde_json::from_value(serde_json::json!(14)).unwrap();
        assert_eq!(days, Retention::Days(14));
        let never: Retention = serde_json::from_value(serde_json::json!("never")).unwrap();
        assert_eq!(never, Retention::Never);
        assert!(serde_json::from_value::<Retention>(serde_json::json!("forever")).is_err());
    }
}
