"""CloudWatch Logs: retention periods, log group classes and KMS keys as AWS has them.

moto 5.2.5 accepts any retentionInDays; AWS only takes a fixed set and answers
InvalidParameterException (HTTP 400) otherwise. driftless relies on that.

moto also drops CreateLogGroup's `logGroupClass` (DescribeLogGroups never
returns one) and has no AssociateKmsKey / DisassociateKmsKey (HTTP 500).
Here the class is stored on moto's LogGroup and always returned (`STANDARD`
when none was given, as AWS does), and the key operations set or clear the
group's `kmsKeyId`.

DELIVERY groups: "Log events in log groups in the Delivery class are kept in
CloudWatch Logs for only one day" (CreateLogGroup, logGroupClass), so they
read back with `retentionInDays: 1`, and their retention cannot be changed
(PutRetentionPolicy / DeleteRetentionPolicy answer InvalidParameterException).

Deletion protection and data protection policies (moto has neither; its
dispatcher answers the unknown operations with a 500): CreateLogGroup's
`deletionProtectionEnabled` and PutLogGroupDeletionProtection are kept on the
group and read back in DescribeLogGroups (`false` when never set: "By default,
deletion protection is not enabled"); DeleteLogGroup of a protected group answers
ValidationException "Cannot delete log group with deletion protection enabled.
Disable deletion protection first." (user guide, "Protecting log groups from
deletion"). Put/Get/DeleteDataProtectionPolicy keep the policy per group, with the
document rules PutDataProtectionPolicy's reference states (two statements, the first
with an Audit operation and a FindingsDestination, the second with a Deidentify
operation whose MaskConfig is empty, the same DataIdentifier array in both; at most
30,720 characters); a group with one reads back `dataProtectionStatus: ACTIVATED`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import LogGroup
from moto.logs.responses import LogsResponse

VALID_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
    2192, 2557, 2922, 3288, 3653,
)
DELIVERY_RETENTION_DAYS = 1

_orig_put_retention_policy = LogsResponse.put_retention_policy
_orig_delete_retention_policy = LogsResponse.delete_retention_policy
_orig_create_log_group = LogsResponse.create_log_group
_orig_to_describe_dict = LogGroup.to_describe_dict
_orig_delete_log_group = LogsResponse.delete_log_group


def _params(resp: Any) -> dict[str, Any]:
    raw = resp.body.decode() if isinstance(resp.body, bytes) else resp.body
    return json.loads(raw or "{}")


def _group(resp: Any, params: dict[str, Any]) -> Any:
    """The group named by logGroupName, or by resourceIdentifier (name or ARN)."""
    name = params.get("logGroupName") or params.get("resourceIdentifier") or ""
    if name.startswith("arn:"):
        name = name.split(":log-group:", 1)[-1].removesuffix(":*")
    group = resp.logs_backend.groups.get(name)
    if group is None:
        raise ResourceNotFoundException()
    return group


def _class_of(group: Any) -> str:
    return getattr(group, "log_group_class", None) or "STANDARD"


def _refuse_on_delivery(resp: Any, params: dict[str, Any]) -> None:
    group = resp.logs_backend.groups.get(params.get("logGroupName") or "")
    if group is not None and _class_of(group) == "DELIVERY":
        raise InvalidParameterException(
            msg="The retention of a log group in the DELIVERY class is fixed at 1 day and cannot be changed."
        )


def put_retention_policy(self: Any) -> Any:
    params = _params(self)
    days = params.get("retentionInDays")
    if days not in VALID_RETENTION_DAYS:
        raise InvalidParameterException(
            constraint="Member must satisfy enum value set: ["
            + ", ".join(str(d) for d in VALID_RETENTION_DAYS)
            + "]",
            parameter="retentionInDays",
            value=days,
        )
    _refuse_on_delivery(self, params)
    return _orig_put_retention_policy(self)


def delete_retention_policy(self: Any) -> Any:
    _refuse_on_delivery(self, _params(self))
    return _orig_delete_retention_policy(self)


def create_log_group(self: Any) -> Any:
    out = _orig_create_log_group(self)
    params = _params(self)
    group = self.logs_backend.groups[params["logGroupName"]]
    group.log_group_class = params.get("logGroupClass") or "STANDARD"
    group.deletion_protection_enabled = bool(params.get("deletionProtectionEnabled"))
    return out


def delete_log_group(self: Any) -> Any:
    group = self.logs_backend.groups.get(_params(self).get("logGroupName") or "")
    if group is not None and getattr(group, "deletion_protection_enabled", False):
        raise JsonRESTError(
            "ValidationException",
            "Cannot delete log group with deletion protection enabled. Disable deletion protection first.",
        )
    return _orig_delete_log_group(self)


def put_log_group_deletion_protection(self: Any) -> str:
    params = _params(self)
    group = _group(self, {"resourceIdentifier": params.get("logGroupIdentifier")})
    group.deletion_protection_enabled = bool(params.get("deletionProtectionEnabled"))
    return ""


def _policy_problem(text: str) -> str | None:
    """What PutDataProtectionPolicy's reference says a policy document must be."""
    if len(text) > 30_720:
        return "The policy document can be up to 30720 characters."
    try:
        doc = json.loads(text)
    except ValueError:
        return "The policy document is not valid JSON."
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    if not isinstance(statements, list) or len(statements) != 2:
        return "The data protection policy must include two statements: an Audit and a Deidentify statement."
    audit, deidentify = ((s or {}).get("Operation") or {} for s in statements)
    identifiers = [(s or {}).get("DataIdentifier") for s in statements]
    if not isinstance(audit.get("Audit"), dict) or "FindingsDestination" not in audit["Audit"]:
        return "The first statement must have an Operation with an Audit action that contains a FindingsDestination."
    if (deidentify.get("Deidentify") or {}).get("MaskConfig") != {}:
        return "The second statement must have an Operation with a Deidentify action whose MaskConfig is empty."
    if not identifiers[0] or identifiers[0] != identifiers[1]:
        return "Both statements must have the same non-empty DataIdentifier array."
    return None


def put_data_protection_policy(self: Any) -> str:
    params = _params(self)
    identifier = params.get("logGroupIdentifier")
    group = _group(self, {"resourceIdentifier": identifier})
    problem = _policy_problem(params.get("policyDocument") or "")
    if problem:
        raise InvalidParameterException(msg=problem)
    now = int(time.time() * 1000)
    group.data_protection_policy = (params["policyDocument"], now)
    return json.dumps({"logGroupIdentifier": identifier, "policyDocument": params["policyDocument"], "lastUpdatedTime": now})


def get_data_protection_policy(self: Any) -> str:
    identifier = _params(self).get("logGroupIdentifier")
    group = _group(self, {"resourceIdentifier": identifier})
    out: dict[str, Any] = {"logGroupIdentifier": identifier}
    if getattr(group, "data_protection_policy", None):
        document, updated = group.data_protection_policy
        out.update(policyDocument=document, lastUpdatedTime=updated)
    return json.dumps(out)


def delete_data_protection_policy(self: Any) -> str:
    group = _group(self, {"resourceIdentifier": _params(self).get("logGroupIdentifier")})
    if not getattr(group, "data_protection_policy", None):
        raise ResourceNotFoundException(msg="The specified log group has no data protection policy.")
    group.data_protection_policy = None
    return ""


def associate_kms_key(self: Any) -> str:
    params = _params(self)
    _group(self, params).kms_key_id = params["kmsKeyId"]
    return ""


def disassociate_kms_key(self: Any) -> str:
    _group(self, _params(self)).kms_key_id = None
    return ""


def to_describe_dict(self: Any) -> dict[str, Any]:
    doc = _orig_to_describe_dict(self)
    doc["logGroupClass"] = _class_of(self)
    if doc["logGroupClass"] == "DELIVERY":
        doc["retentionInDays"] = DELIVERY_RETENTION_DAYS
    doc["deletionProtectionEnabled"] = bool(getattr(self, "deletion_protection_enabled", False))
    if getattr(self, "data_protection_policy", None):
        doc["dataProtectionStatus"] = "ACTIVATED"
    return doc


def apply() -> None:
    LogGroup.to_describe_dict = to_describe_dict
    for fn in (
        put_retention_policy,
        delete_retention_policy,
        create_log_group,
        delete_log_group,
        associate_kms_key,
        disassociate_kms_key,
        put_log_group_deletion_protection,
        put_data_protection_policy,
        get_data_protection_policy,
        delete_data_protection_policy,
    ):
        setattr(LogsResponse, fn.__name__, fn)
