"""AWS Config: CUSTOM_POLICY rules and remediation configurations.

moto 5.2.5 stores config rules (PutConfigRule checks a managed rule's identifier
and parameter names against its bundled catalogue, DescribeConfigRules,
DeleteConfigRule) but knows only the owners AWS and CUSTOM_LAMBDA, and has no
remediation configurations at all (no route: the operations answer 404). Here,
as the API reference describes them:

* A CUSTOM_POLICY rule (Guard): `Source.CustomPolicyDetails` with PolicyRuntime
  and PolicyText is required and kept, as are its SourceDetails (message types,
  at least one); it names no SourceIdentifier and no Lambda function. Returned by
  DescribeConfigRules as given. (API_Source.html, API_CustomPolicyDetails.html)
* PutRemediationConfigurations stores up to 25 configurations, one per rule
  (a second put for a rule replaces its configuration). A configuration whose
  rule does not exist is not stored and comes back in `FailedBatches` with the
  reason (AWS reports per-item failures there); TargetType is SSM_DOCUMENT; a
  parameter is exactly one of ResourceValue and StaticValue
  (InvalidParameterValueException otherwise); MaximumAutomaticAttempts 1-25 and
  RetryAttemptSeconds 1-2678000 are the model's ranges (validation.py).
  (API_PutRemediationConfigurations.html, API_RemediationParameterValue.html)
* DescribeRemediationConfigurations returns the configurations of the rules
  named (at most 25 names: the model), nothing for a rule without one.
* DeleteRemediationConfiguration removes a rule's configuration;
  NoSuchRemediationConfigurationException when it has none.
* DeleteConfigRule removes the rule's remediation configuration with it.
* EvaluationModes (DETECTIVE / PROACTIVE) are kept and returned as given; moto
  dropped them. (API_ConfigRule.html)
* A rule's Scope is returned as AWS's model has it (TagKey, TagValue); moto
  kept a tag scope as `Tags: {key: value}`, which is no member of Scope, so
  the tag scope was lost on the way back.
"""

from __future__ import annotations

import json
from typing import Any

from moto.config import models as config_models
from moto.config.exceptions import InvalidParameterValueException
from moto.config.responses import ConfigResponse
from moto.core.exceptions import JsonRESTError


class NoSuchRemediationConfigurationException(JsonRESTError):
    code = 400

    def __init__(self, rule: str):
        super().__init__(
            "NoSuchRemediationConfigurationException",
            f"No RemediationConfiguration for rule exists with ConfigRuleName: {rule}",
        )


def _store(backend: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, "driftless_remediations"):
        backend.driftless_remediations = {}
    return backend.driftless_remediations


def _body(resp: Any) -> dict[str, Any]:
    raw = resp.body.decode("utf-8") if isinstance(resp.body, bytes) else resp.body
    return json.loads(raw or "{}")


def _check_parameters(params: dict[str, Any]) -> None:
    for name, value in (params or {}).items():
        kinds = [k for k in ("ResourceValue", "StaticValue") if value.get(k)]
        if len(kinds) != 1:
            raise InvalidParameterValueException(
                f"Parameter {name} must have exactly one of ResourceValue and StaticValue"
            )


def put_remediation_configurations(self: Any) -> str:
    backend = self.config_backend
    failed = []
    for config in _body(self).get("RemediationConfigurations", []):
        rule = config.get("ConfigRuleName")
        if config.get("TargetType") != "SSM_DOCUMENT":
            raise InvalidParameterValueException("TargetType must be SSM_DOCUMENT")
        _check_parameters(config.get("Parameters", {}))
        if rule not in backend.config_rules:
            failed.append({"FailureMessage": f"The rule {rule} does not exist", "FailedItems": [config]})
            continue
        stored = dict(config)
        stored["Arn"] = (
            f"arn:aws:config:{backend.region_name}:{backend.account_id}:remediation-configuration/"
            f"{rule}/{backend.config_rules[rule].config_rule_id}"
        )
        _store(backend)[rule] = stored
    return json.dumps({"FailedBatches": failed})


def describe_remediation_configurations(self: Any) -> str:
    store = _store(self.config_backend)
    names = _body(self).get("ConfigRuleNames", [])
    return json.dumps({"RemediationConfigurations": [store[n] for n in names if n in store]})


def delete_remediation_configuration(self: Any) -> str:
    rule = _body(self).get("ConfigRuleName")
    store = _store(self.config_backend)
    if rule not in store:
        raise NoSuchRemediationConfigurationException(rule)
    del store[rule]
    return ""


def delete_config_rule(self: Any) -> str:
    rule = _body(self).get("ConfigRuleName")
    out = _orig_delete_config_rule(self)
    _store(self.config_backend).pop(rule, None)
    return out


class _PolicySource(config_models.ConfigEmptyDictable):
    """A CUSTOM_POLICY Source: no Lambda function, a Guard policy."""

    def __init__(self, source_details: Any, custom_policy_details: Any):
        super().__init__(capitalize_start=True, capitalize_arn=False)
        if not source_details:
            raise InvalidParameterValueException(
                "SourceDetails should be provided if the owner is CUSTOM_POLICY"
            )
        if not custom_policy_details or not custom_policy_details.get("PolicyText"):
            raise InvalidParameterValueException(
                "CustomPolicyDetails with PolicyText and PolicyRuntime should be provided if the owner is CUSTOM_POLICY"
            )
        self.owner = "CUSTOM_POLICY"
        self.source_details = [
            config_models.SourceDetail(**config_models.convert_to_class_args(d)) for d in source_details
        ]
        self.custom_policy_details = custom_policy_details

    def to_dict(self) -> dict[str, Any]:
        return {
            "Owner": "CUSTOM_POLICY",
            "SourceDetails": [d.to_dict() for d in self.source_details],
            "CustomPolicyDetails": self.custom_policy_details,
        }


def _source(account_id: str, region: str, owner: str, source_identifier: str | None = None,
            source_details: Any = None, custom_policy_details: Any = None) -> Any:
    if owner == "CUSTOM_POLICY":
        if source_identifier:
            raise InvalidParameterValueException("SourceIdentifier should be null/empty if the owner is CUSTOM_POLICY")
        return _PolicySource(source_details, custom_policy_details)
    if custom_policy_details:
        raise InvalidParameterValueException(f"CustomPolicyDetails should be null/empty if the owner is {owner}")
    return _OrigSource(account_id, region, owner, source_identifier, source_details)


def _scope_to_dict(self: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if self.compliance_resource_types:
        out["ComplianceResourceTypes"] = self.compliance_resource_types
    if self.compliance_resource_id:
        out["ComplianceResourceId"] = self.compliance_resource_id
    for key, value in (self.tags or {}).items():
        out["TagKey"] = key
        if value is not None:
            out["TagValue"] = value
    return out


def _modify_fields(self: Any, region: str, config_rule: dict[str, Any], tags: dict[str, str]) -> None:
    _orig_modify_fields(self, region, config_rule, tags)
    self.evaluation_modes = config_rule.get("EvaluationModes") or None


_orig_delete_config_rule: Any = None
_orig_modify_fields: Any = None
_OrigSource: Any = None


def apply() -> None:
    global _orig_delete_config_rule, _OrigSource, _orig_modify_fields
    _orig_delete_config_rule = ConfigResponse.delete_config_rule
    _OrigSource = config_models.Source
    # ConfigRule.modify_fields builds its Source through the module's name.
    # Source.__init__ reads `Source.OWNERS` through the module's name too.
    _source.OWNERS = _OrigSource.OWNERS  # type: ignore[attr-defined]
    config_models.Source = _source
    config_models.Scope.to_dict = _scope_to_dict
    _orig_modify_fields = config_models.ConfigRule.modify_fields
    config_models.ConfigRule.modify_fields = _modify_fields
    for fn in (put_remediation_configurations, describe_remediation_configurations,
               delete_remediation_configuration, delete_config_rule):
        setattr(ConfigResponse, fn.__name__, fn)
