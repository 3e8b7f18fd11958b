//! `PatchBaseline`: an SSM Patch Manager baseline, its patch-group registrations and
//! whether it is its operating system's default.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::{At, Cx};
use super::diagnostic::did_you_mean;
use super::rules::{self, Problem};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchBaselineSpec {
    /// Changing it replaces the baseline.
    pub operating_system: OperatingSystem,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approval_rules: Vec<PatchRule>,
    /// Filter key → values, applied before the approval rules.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub global_filters: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approved_patches: Vec<String>,
    /// Defaults to UNSPECIFIED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_patches_compliance_level: Option<ComplianceLevel>,
    /// Linux only: also approve non-security updates among approvedPatches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_patches_enable_non_security: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected_patches: Vec<String>,
    /// Defaults to ALLOW_AS_DEPENDENCY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_patches_action: Option<RejectedPatchesAction>,
    /// Alternative patch repositories (Linux only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<PatchSource>,
    /// Windows only: the compliance status of security updates that are available but
    /// not approved by this baseline (`AvailableSecurityUpdatesComplianceStatus`).
    /// Unset: AWS's (none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_security_updates_compliance_status: Option<ComplianceStatus>,
    /// Patch groups ("Patch Group" tag values) registered to this baseline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patch_groups: Vec<String>,
    /// Make it the default baseline of its operating system.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default_for_operating_system: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// One approval rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchRule {
    /// Filter key → values, e.g. `{CLASSIFICATION: [Security], SEVERITY: [Critical]}`.
    pub patch_filters: BTreeMap<String, Vec<String>>,
    /// Days after release before a patch is approved (0-360).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 360))]
    pub approve_after_days: Option<u32>,
    /// Approve patches released up to this date (YYYY-MM-DD), instead of approveAfterDays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_until_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance_level: Option<ComplianceLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_non_security: Option<bool>,
}

/// An alternative patch repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchSource {
    pub name: String,
    pub products: Vec<String>,
    /// The yum/apt repository configuration text.
    pub configuration: String,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperatingSystem {
    Windows,
    AmazonLinux,
    #[serde(rename = "AMAZON_LINUX_2")]
    AmazonLinux2,
    #[serde(rename = "AMAZON_LINUX_2022")]
    AmazonLinux2022,
    #[serde(rename = "AMAZON_LINUX_2023")]
    AmazonLinux2023,
    Ubuntu,
    RedhatEnterpriseLinux,
    Suse,
    Centos,
    OracleLinux,
    Debian,
    Macos,
    Raspbian,
    RockyLinux,
    AlmaLinux,
}

impl OperatingSystem {
    /// The filter keys an approval rule may use on this OS (AWS Systems Manager
    /// "PatchFilter" reference). Global filters accept these too.
    pub fn rule_filter_keys(self) -> &'static [&'static str] {
        use OperatingSystem::*;
        match self {
            Windows => &[
                "PATCH_SET",
                "PRODUCT",
                "PRODUCT_FAMILY",
                "CLASSIFICATION",
                "MSRC_SEVERITY",
                "PATCH_ID",
            ],
            Ubuntu | Debian | Raspbian => &["PRODUCT", "PRIORITY", "SECTION", "NAME"],
            Macos => &["PRODUCT", "CLASSIFICATION"],
            _ => &[
                "PRODUCT",
                "CLASSIFICATION",
                "SEVERITY",
                "SECURITY",
                "ADVISORY_ID",
                "ARCH",
                "BUGZILLA_ID",
                "CVE_ID",
                "EPOCH",
                "NAME",
                "RELEASE",
                "REPOSITORY",
                "VERSION",
            ],
        }
    }

    pub fn is_windows(self) -> bool {
        self == OperatingSystem::Windows
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComplianceLevel {
    Critical,
    High,
    Medium,
    Low,
    Informational,
    Unspecified,
}

/// `PatchComplianceStatus`: how available, unapproved security updates count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComplianceStatus {
    Compliant,
    NonCompliant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RejectedPatchesAction {
    AllowAsDependency,
    Block,
}

/// Baseline and patch-group names: letters, digits, `_ - .`.
pub fn check_baseline_name(name: &str) -> rules::Check {
    rules::name("baseline name", name, 3, 128, "_-.")
}

impl PatchBaselineSpec {
    pub fn check(&self, name: &str, cx: &mut Cx<'_>) {
        let at = At::spec();
        cx.check(
            &At::root().k("metadata").k("name"),
            check_baseline_name(name),
        );
        if let Some(d) = &self.description {
            cx.check(
                &at.k("description"),
                rules::length("description", d, 1, 1024),
            );
        }
        self.check_patch_lists(cx);
        self.check_filters(&at.k("globalFilters"), &self.global_filters, cx);
        self.check_approval_rules(cx);
        self.check_sources(cx);
        if self.available_security_updates_compliance_status.is_some()
            && !self.operating_system.is_windows()
        {
            cx.report(
                &at.k("availableSecurityUpdatesComplianceStatus"),
                Problem::new(
                    "availableSecurityUpdatesComplianceStatus applies to Windows baselines only",
                )
                .hint("AWS supports it for Windows Server managed nodes only; remove it"),
            );
        }
        self.check_patch_groups(cx);
        cx.check_tags(&at.k("tags"), &self.tags);
        cx.check_tag_characters(&at.k("tags"), &self.tags);
    }

    /// approvedPatches and rejectedPatches: at most 50 IDs of 1 to 100 characters.
    fn check_patch_lists(&self, cx: &mut Cx<'_>) {
        let at = At::spec();
        for (field, patches) in [
            ("approvedPatches", &self.approved_patches),
            ("rejectedPatches", &self.rejected_patches),
        ] {
            cx.check(&at.k(field), rules::at_most(field, patches.len(), 50));
            for (i, patch) in patches.iter().enumerate() {
                cx.check(&at.k(field).i(i), rules::length("patch ID", patch, 1, 100));
            }
        }
    }

    /// At most 10 approval rules, each with filters and one approval date setting.
    fn check_approval_rules(&self, cx: &mut Cx<'_>) {
        let at = At::spec();
        if self.approval_rules.len() > 10 {
            cx.error(
                &at.k("approvalRules"),
                "AWS allows at most 10 approval rules",
            );
        }
        for (i, rule) in self.approval_rules.iter().enumerate() {
            let r = at.k("approvalRules").i(i);
            if rule.patch_filters.is_empty() {
                cx.error(
                    &r.k("patchFilters"),
                    "an approval rule needs at least one patch filter",
                );
            }
            self.check_filters(&r.k("patchFilters"), &rule.patch_filters, cx);
            match (&rule.approve_after_days, &rule.approve_until_date) {
                (Some(_), Some(_)) => cx.error(
                    &r.k("approveUntilDate"),
                    "use either `approveAfterDays` or `approveUntilDate`, not both",
                ),
                (None, None) => cx.report(
                    &r,
                    Problem::new("an approval rule needs `approveAfterDays` or `approveUntilDate`")
                        .hint("e.g. `approveAfterDays: 7` to approve patches a week after release"),
                ),
                (None, Some(date)) => cx.check(
                    &r.k("approveUntilDate"),
                    rules::date("approveUntilDate", date),
                ),
                (Some(_), None) => {}
            }
            if rule.enable_non_security.is_some() && self.operating_system.is_windows() {
                cx.error(
                    &r.k("enableNonSecurity"),
                    "enableNonSecurity applies to Linux baselines only",
                );
            }
        }
    }

    /// Patch groups: valid names, none listed twice.
    fn check_patch_groups(&self, cx: &mut Cx<'_>) {
        let at = At::spec().k("patchGroups");
        let mut seen: Vec<&str> = Vec::new();
        for (i, group) in self.patch_groups.iter().enumerate() {
            cx.check(
                &at.i(i),
                rules::name("patch group", group, 1, 256, "_-.:/=+@ "),
            );
            if seen.contains(&group.as_str()) {
                cx.error(&at.i(i), format!("patch group `{group}` is listed twice"));
            }
            seen.push(group);
        }
    }

    /// Linux baselines only; at most 20 sources (PatchSource): names, 1 to 20 products
    /// of 1 to 128 characters, a configuration of 1 to 1,024.
    fn check_sources(&self, cx: &mut Cx<'_>) {
        let at = At::spec().k("sources");
        if !self.sources.is_empty() && self.operating_system.is_windows() {
            cx.error(&at, "patch sources apply to Linux baselines only");
        }
        cx.check(&at, rules::at_most("sources", self.sources.len(), 20));
        for (i, source) in self.sources.iter().enumerate() {
            let s = at.i(i);
            let name = rules::name("source name", &source.name, 3, 50, "_-.");
            cx.check(&s.k("name"), name);
            if source.products.is_empty() {
                cx.error(
                    &s.k("products"),
                    "a patch source needs at least one product",
                );
            }
            cx.check(
                &s.k("products"),
                rules::at_most("products", source.products.len(), 20),
            );
            for (j, product) in source.products.iter().enumerate() {
                cx.check(
                    &s.k("products").i(j),
                    rules::length("product", product, 1, 128),
                );
            }
            let configuration = rules::length("configuration", &source.configuration, 1, 1024);
            cx.check(&s.k("configuration"), configuration);
        }
    }

    /// Keys valid for the operating system, at most 4 filters, 1 to 20 values of 1 to
    /// 64 characters each (PatchFilterGroup, PatchFilter).
    fn check_filters(&self, at: &At<'_>, filters: &BTreeMap<String, Vec<String>>, cx: &mut Cx<'_>) {
        cx.check(at, rules::at_most("patch filters", filters.len(), 4));
        for (key, values) in filters {
            cx.check(
                &at.k(key),
                rules::at_most("patch filter values", values.len(), 20),
            );
            for (i, value) in values.iter().enumerate() {
                let c = rules::length("patch filter value", value, 1, 64);
                cx.check(&at.k(key).i(i), c);
            }
        }
        let allowed = self.operating_system.rule_filter_keys();
        for (key, values) in filters {
            if !allowed.contains(&key.as_str()) {
                let p = Problem::new(format!(
                    "patch filter key `{key}` does not apply to {} baselines",
                    super::wire_name(&self.operating_system)
                ));
                let p = match did_you_mean(key, allowed.iter().copied()) {
                    Some(s) => p.hint(format!("did you mean `{s}`?")),
                    None => p.hint(format!("use one of: {}", allowed.join(", "))),
                };
                cx.report(&at.key_of(key), p);
            }
            if values.is_empty() {
                cx.error(&at.k(key), format!("patch filter `{key}` has no values"));
            }
        }
    }
}
