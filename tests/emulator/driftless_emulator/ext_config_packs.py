"""AWS Config conformance packs, which moto 5.2.5 does not have.

What is kept and refused, each as AWS's API reference states it:

* PutConformancePack (API_PutConformancePack) creates or updates the pack of that
  name. The template comes as `TemplateBody` (a YAML or JSON CloudFormation-style
  template, up to 51,200 bytes: the model checks the length), `TemplateS3Uri` or
  `TemplateSSMDocumentDetails`; here only `TemplateBody` is supported (the others
  name objects the emulator cannot read) and a request without one is
  ConformancePackTemplateValidationException, as is a body that is not a mapping
  with `Resources`, a resource whose `Type` is not `AWS::Config::ConfigRule` or
  `AWS::Config::RemediationConfiguration` (the resource types a conformance pack
  template may hold, "Conformance Pack Templates", AWS Config developer guide), or a
  rule without `Properties.Source`.
* `Parameters` of the template take `ConformancePackInputParameters` (an input for
  a parameter the template does not declare is refused) or their `Default`;
  `{"Ref": name}` in a rule's properties is replaced by the value.
* The pack's rules are AWS Config rules named `<ConfigRuleName>-conformance-pack-
  <8 characters>` (how AWS names the rules a pack deploys; the suffix is the pack's
  and stays across updates), created through moto's own PutConfigRule (so its
  managed-rule catalogue checks them) with `CreatedBy` `config-conforms.amazonaws.com`.
  An update replaces the pack's rules: rules no longer in the template are deleted.
* DescribeConformancePacks (names: each must exist, else
  NoSuchConformancePackException), DescribeConformancePackStatus (CREATE_COMPLETE),
  DescribeConformancePackCompliance (the pack's rules, each INSUFFICIENT_DATA: the
  emulator does not evaluate pack rules; NoSuchConformancePackException; `Limit` and
  `NextToken` page the list), DeleteConformancePack (NoSuchConformancePackException
  for an unknown name; deletes the pack's rules with it).
* A pack's rules are service-linked: "These rules are service-linked rules and
  cannot be updated or deleted outside the conformance pack" (AWS Config developer
  guide, troubleshooting conformance packs, "Dangling rules"). PutConfigRule and
  DeleteConfigRule on one are refused as AWS refuses them: AccessDeniedException "An
  AWS service owns ServiceLinkedConfigRule. You do not have permissions to take
  action on this rule." A pack's rule changes only through the pack (PutConformancePack).
* Tags are added at creation (PutConformancePack's `Tags`) and changed with
  TagResource / UntagResource on the pack's ARN; ListTagsForResource reads them.
"""

from __future__ import annotations

import json
import random
import string
import time
from typing import Any

import yaml
from moto.config.models import ConfigBackend, validate_tags
from moto.config.responses import ConfigResponse
from moto.core.exceptions import JsonRESTError

RULE_TYPES = {"AWS::Config::ConfigRule", "AWS::Config::RemediationConfiguration"}
CREATED_BY = "config-conforms.amazonaws.com"


class NoSuchConformancePackException(JsonRESTError):
    def __init__(self, name: str) -> None:
        super().__init__("NoSuchConformancePackException", f"Cannot find conformance pack with name '{name}'.")


class ConformancePackTemplateValidationException(JsonRESTError):
    def __init__(self, why: str) -> None:
        super().__init__("ConformancePackTemplateValidationException", why)


def _packs(backend: ConfigBackend) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, "_driftless_packs"):
        backend._driftless_packs = {}
    return backend._driftless_packs


def _template(body: str | None) -> dict[str, Any]:
    if not body:
        raise ConformancePackTemplateValidationException(
            "Template body or S3 URI is required; the emulator supports TemplateBody only."
        )
    try:
        doc = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise ConformancePackTemplateValidationException(f"Template is not valid YAML or JSON: {exc}")
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict) or not doc["Resources"]:
        raise ConformancePackTemplateValidationException("Template format error: at least one Resources member must be defined.")
    for logical, res in doc["Resources"].items():
        kind = res.get("Type") if isinstance(res, dict) else None
        if kind not in RULE_TYPES:
            raise ConformancePackTemplateValidationException(
                f"Template resource {logical} has unsupported type {kind}; a conformance pack holds "
                "AWS::Config::ConfigRule and AWS::Config::RemediationConfiguration resources only."
            )
        if kind == "AWS::Config::ConfigRule" and not isinstance((res.get("Properties") or {}).get("Source"), dict):
            raise ConformancePackTemplateValidationException(f"Template resource {logical} has no Properties.Source.")
    return doc


def _parameters(doc: dict[str, Any], inputs: list[dict[str, str]]) -> dict[str, Any]:
    declared = doc.get("Parameters") or {}
    values = {k: (v or {}).get("Default") for k, v in declared.items()}
    for p in inputs:
        if p["ParameterName"] not in declared:
            raise ConformancePackTemplateValidationException(
                f"Parameter {p['ParameterName']} is not declared in the template's Parameters."
            )
        values[p["ParameterName"]] = p["ParameterValue"]
    return values


def _resolve(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in params:
            return params[value["Ref"]]
        return {k: _resolve(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params) for v in value]
    return value


def _rules(doc: dict[str, Any], params: dict[str, Any], suffix: str) -> list[dict[str, Any]]:
    out = []
    for logical, res in doc["Resources"].items():
        if res["Type"] != "AWS::Config::ConfigRule":
            continue
        props = _resolve(res.get("Properties") or {}, params)
        rule: dict[str, Any] = {
            "ConfigRuleName": f"{props.get('ConfigRuleName', logical)}-conformance-pack-{suffix}",
            "Source": props["Source"],
        }
        if props.get("InputParameters") is not None:
            ip = props["InputParameters"]
            rule["InputParameters"] = ip if isinstance(ip, str) else json.dumps(
                {k: str(v) for k, v in ip.items()}
            )
        for key in ("Scope", "MaximumExecutionFrequency", "Description"):
            if props.get(key) is not None:
                rule[key] = props[key]
        out.append(rule)
    return out


def put_conformance_pack(self: Any) -> str:
    params = json.loads(self.body or "{}")
    backend = self.config_backend
    name = params["ConformancePackName"]
    doc = _template(params.get("TemplateBody"))
    values = _parameters(doc, params.get("ConformancePackInputParameters") or [])
    packs = _packs(backend)
    pack = packs.get(name)
    if pack is None:
        pack_id = "conformance-pack-" + "".join(random.choices(string.ascii_lowercase + string.digits, k=8))
        pack = {
            "ConformancePackName": name,
            "ConformancePackId": pack_id,
            "ConformancePackArn": f"arn:aws:config:{self.region}:{self.current_account}:conformance-pack/{name}/{pack_id}",
            "suffix": "".join(random.choices(string.ascii_lowercase + string.digits, k=8)),
            "rules": [],
            "tags": validate_tags(params.get("Tags") or []),
        }
    rules = _rules(doc, values, pack["suffix"])
    for rule in rules:
        backend.put_config_rule(rule, [])
        backend.config_rules[rule["ConfigRuleName"]].created_by = CREATED_BY
    for old in pack["rules"]:
        if old not in {r["ConfigRuleName"] for r in rules}:
            backend.config_rules.pop(old, None)
    pack.update(
        rules=[r["ConfigRuleName"] for r in rules],
        template=params["TemplateBody"],
        DeliveryS3Bucket=params.get("DeliveryS3Bucket"),
        DeliveryS3KeyPrefix=params.get("DeliveryS3KeyPrefix"),
        ConformancePackInputParameters=params.get("ConformancePackInputParameters") or [],
        LastUpdateRequestedTime=time.time(),
    )
    packs[name] = pack
    return json.dumps({"ConformancePackArn": pack["ConformancePackArn"]})


def _detail(pack: dict[str, Any]) -> dict[str, Any]:
    out = {k: pack[k] for k in ("ConformancePackName", "ConformancePackArn", "ConformancePackId",
                                "ConformancePackInputParameters", "LastUpdateRequestedTime")}
    for k in ("DeliveryS3Bucket", "DeliveryS3KeyPrefix"):
        if pack.get(k):
            out[k] = pack[k]
    return out


def _named(self: Any) -> list[dict[str, Any]]:
    packs = _packs(self.config_backend)
    names = self._get_param("ConformancePackNames") or []
    for n in names:
        if n not in packs:
            raise NoSuchConformancePackException(n)
    return [packs[n] for n in (names or sorted(packs))]


def describe_conformance_packs(self: Any) -> str:
    return json.dumps({"ConformancePackDetails": [_detail(p) for p in _named(self)]})


def describe_conformance_pack_status(self: Any) -> str:
    statuses = [
        {k: p[k] for k in ("ConformancePackName", "ConformancePackId", "ConformancePackArn")}
        | {"ConformancePackState": "CREATE_COMPLETE", "StackArn": p["ConformancePackArn"],
           "LastUpdateRequestedTime": p["LastUpdateRequestedTime"]}
        for p in _named(self)
    ]
    return json.dumps({"ConformancePackStatusDetails": statuses})


def delete_conformance_pack(self: Any) -> str:
    packs = _packs(self.config_backend)
    name = self._get_param("ConformancePackName")
    if name not in packs:
        raise NoSuchConformancePackException(name)
    for rule in packs.pop(name)["rules"]:
        self.config_backend.config_rules.pop(rule, None)
    return ""


def describe_conformance_pack_compliance(self: Any) -> str:
    packs = _packs(self.config_backend)
    name = self._get_param("ConformancePackName")
    if name not in packs:
        raise NoSuchConformancePackException(name)
    limit = self._get_param("Limit") or 100
    start = int(self._get_param("NextToken") or 0)
    names = packs[name]["rules"]
    page = [{"ConfigRuleName": r, "ComplianceType": "INSUFFICIENT_DATA", "Controls": []}
            for r in names[start:start + limit]]
    out: dict[str, Any] = {"ConformancePackName": name, "ConformancePackRuleComplianceList": page}
    if start + limit < len(names):
        out["NextToken"] = str(start + limit)
    return json.dumps(out)


class ServiceLinkedRuleException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            "AccessDeniedException",
            "An AWS service owns ServiceLinkedConfigRule. You do not have permissions to take action on this rule.",
        )


def _refuse_pack_rule(backend: ConfigBackend, name: str | None) -> None:
    if any(name in pack["rules"] for pack in _packs(backend).values()):
        raise ServiceLinkedRuleException()


_orig_delete_config_rule = ConfigResponse.delete_config_rule
_orig_put_config_rule = ConfigResponse.put_config_rule


def delete_config_rule(self: Any) -> str:
    _refuse_pack_rule(self.config_backend, self._get_param("ConfigRuleName"))
    return _orig_delete_config_rule(self)


def put_config_rule(self: Any) -> str:
    rule = json.loads(self.body or "{}").get("ConfigRule") or {}
    _refuse_pack_rule(self.config_backend, rule.get("ConfigRuleName"))
    return _orig_put_config_rule(self)


_orig_match_arn = ConfigBackend._match_arn


class _PackTags:
    def __init__(self, pack: dict[str, Any]) -> None:
        self.tags = pack["tags"]


def _match_arn(self: ConfigBackend, resource_arn: str) -> Any:
    for pack in _packs(self).values():
        if pack["ConformancePackArn"] == resource_arn:
            return _PackTags(pack)
    return _orig_match_arn(self, resource_arn)


def apply() -> None:
    for fn in (put_conformance_pack, describe_conformance_packs, describe_conformance_pack_status,
               describe_conformance_pack_compliance, delete_conformance_pack, delete_config_rule,
               put_config_rule):
        setattr(ConfigResponse, fn.__name__, fn)
    ConfigBackend._match_arn = _match_arn
