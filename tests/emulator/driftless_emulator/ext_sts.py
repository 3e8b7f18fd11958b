"""STS AssumeRole as AWS answers it: only a role that exists and trusts the caller.

moto 5.2.5 hands out credentials for any role ARN, existing or not ("the role does
not need to exist"). AWS refuses, with HTTP 403 `AccessDenied` and the message
"User: <caller> is not authorized to perform: sts:AssumeRole on resource: <role>",
both when the role does not exist and when its trust policy does not allow the
caller (IAM User Guide, "Troubleshooting IAM roles": AWS does not tell the two
apart, so that an account's roles cannot be probed). This module decides that from
moto's own IAM state (the role in the account its ARN names) before moto sees the
request.

The trust policy is evaluated for what driftless and its tests use: `Allow` and
`Deny` statements on `sts:AssumeRole` (`sts:*`, `*`, wildcards), `Principal` `*` or
`{"AWS": ...}` naming the account (`123456789012` or `arn:...:root`), the calling
role or the calling session; `Condition` `StringEquals` / `StringLike` on
`sts:ExternalId`. A statement with any other condition key never allows (fail
closed: the emulator refuses rather than grants what it cannot evaluate).
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any
from urllib.parse import unquote

ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)$")


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def caller(account: str, access_key: str | None, partition: str) -> tuple[str, set[str]]:
    """The caller's ARN (for the message) and every principal string that names it."""
    names = {account, f"arn:{partition}:iam::{account}:root"}
    arn = f"arn:{partition}:iam::{account}:root"
    if access_key:
        from moto.sts.models import sts_backends

        assumed = sts_backends[account][partition].get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            arn = assumed.arn
            names.update({arn, assumed.role_arn})
    return arn, names


def _action_matches(statement: dict[str, Any]) -> bool:
    return any(fnmatch.fnmatchcase("sts:assumerole", str(a).lower()) for a in _list(statement.get("Action")))


def _principal_matches(statement: dict[str, Any], names: set[str]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(p == "*" or p in names for p in _list(principal.get("AWS")))


def _condition_holds(statement: dict[str, Any], params: dict[str, Any]) -> bool:
    external_id = params.get("ExternalId")
    for operator, keys in (statement.get("Condition") or {}).items():
        if operator not in ("StringEquals", "StringLike") or not isinstance(keys, dict):
            return False
        for key, wanted in keys.items():
            if key.lower() != "sts:externalid" or external_id is None:
                return False
            match = (lambda w: external_id == w) if operator == "StringEquals" else (
                lambda w: fnmatch.fnmatchcase(external_id, str(w))
            )
            if not any(match(w) for w in _list(wanted)):
                return False
    return True


def trusts(document: str, names: set[str], params: dict[str, Any]) -> bool:
    """Whether the trust policy allows one of `names` to assume the role."""
    try:
        policy = json.loads(unquote(document)) if isinstance(document, str) else document
    except ValueError:
        return False
    allowed = False
    for statement in _list((policy or {}).get("Statement")):
        if not isinstance(statement, dict) or not _action_matches(statement):
            continue
        if not _principal_matches(statement, names) or not _condition_holds(statement, params):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def refuse_assume_role(params: dict[str, Any], account: str, access_key: str | None) -> tuple[str, str] | None:
    """(code, message) when AWS would refuse this AssumeRole, else None."""
    role_arn = str(params.get("RoleArn", ""))
    m = ROLE_ARN.match(role_arn)
    partition = m.group(1) if m else "aws"
    caller_arn, names = caller(account, access_key, partition)
    denied = ("AccessDenied", f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
    if m is None:
        return denied
    from moto.iam.models import iam_backends

    role_account = m.group(2)
    roles = [r for r in iam_backends[role_account][partition].get_roles() if r.arn == role_arn]
    if not roles or not trusts(roles[0].assume_role_policy_document, names, params):
        return denied
    return None
