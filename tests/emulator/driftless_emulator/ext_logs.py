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
"""

from __future__ import annotations

import json
from typing import Any

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
    return out


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
    return doc


def apply() -> None:
    LogGroup.to_describe_dict = to_describe_dict
    for fn in (put_retention_policy, delete_retention_policy, create_log_group, associate_kms_key, disassociate_kms_key):
        setattr(LogsResponse, fn.__name__, fn)
