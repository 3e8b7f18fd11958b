"""Access to botocore's service models (the real AWS API shapes)."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

import botocore.loaders
import botocore.model

_loader = botocore.loaders.Loader()
_lock = threading.Lock()

# Services the emulator knows by name. Used to map X-Amz-Target prefixes,
# rpcv2Cbor service names and SigV4 signing names back to a botocore service.
KNOWN_SERVICES = [
    "cloudwatch",
    "ssm",
    "backup",
    "resourcegroupstaggingapi",
    "logs",
    "sts",
    "iam",
    "sns",
    "sqs",
    "events",
    "kms",
    "lambda",
    "ec2",
    "s3",
    "secretsmanager",
    "dynamodb",
    "organizations",
    "cloudformation",
    "cloudtrail",
    "config",
]

# SigV4 signing names that differ from botocore's service name.
SIGNING_NAME_TO_SERVICE = {
    "monitoring": "cloudwatch",
    "tagging": "resourcegroupstaggingapi",
    "email": "ses",
    "states": "stepfunctions",
    "execute-api": "apigateway",
}


@lru_cache(maxsize=None)
def service_model(name: str) -> botocore.model.ServiceModel:
    with _lock:
        data = _loader.load_service_model(name, "service-2")
    return botocore.model.ServiceModel(data, service_name=name)


@lru_cache(maxsize=None)
def _prefix_index() -> dict[str, str]:
    """targetPrefix (also the rpcv2Cbor service name) -> botocore service name."""
    idx: dict[str, str] = {}
    for name in KNOWN_SERVICES:
        try:
            meta = service_model(name).metadata
        except Exception:  # pragma: no cover - model missing
            continue
        prefix = meta.get("targetPrefix")
        if prefix:
            idx[prefix] = name
    return idx


def service_for_target_prefix(prefix: str) -> str | None:
    return _prefix_index().get(prefix)


def service_for_signing_name(signing_name: str) -> str:
    return SIGNING_NAME_TO_SERVICE.get(signing_name, signing_name)


@lru_cache(maxsize=None)
def _required_bindings(op_model: Any) -> tuple[list[str], list[str]]:
    """The required input members bound to headers (lowercase names) and to query
    keys: two operations on one method and URI (S3's PutObject and CopyObject,
    DeleteObject and AbortMultipartUpload) differ by them."""
    shape = op_model.input_shape
    headers: list[str] = []
    query: list[str] = []
    if shape is None:
        return headers, query
    for name in shape.required_members:
        ser = shape.members[name].serialization
        if ser.get("location") == "header":
            headers.append(ser.get("name", name).lower())
        elif ser.get("location") == "querystring":
            query.append(ser.get("name", name))
    return headers, query


def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], list[str], int, str, list[str]]]:
    """(method, path regex, required query keys, literal score, operation, required
    headers) per operation."""
    routes = []
    model = service_model(service)
    for op_name in model.operation_names:
        http = model.operation_model(op_name).http
        uri = http.get("requestUri", "/")
        method = http.get("method", "POST")
        path, _, query = uri.partition("?")
        regex = ""
        literal = 0
        for part in re.split(r"(\{[^}]+\})", path):
            if not part:
                continue
            if part.startswith("{"):
                regex += "(.+)" if part.endswith("+}") else "([^/]+)"
            else:
                regex += re.escape(part)
                literal += len(part)
        regex = regex.rstrip("/")
        pattern = re.compile("^" + regex + "/?$")
        qkeys = [q.split("=")[0] for q in query.split("&") if q]
        headers, bound_query = _required_bindings(model.operation_model(op_name))
        qkeys += [k for k in bound_query if k not in qkeys]
        routes.append((method, pattern, qkeys, literal, op_name, headers))  # type: ignore[arg-type]
    return routes  # type: ignore[return-value]


def match_rest_operation(
    service: str, method: str, path: str, query: dict[str, Any], headers: set[str] | None = None
) -> str | None:
    """The operation a REST request is: method and URI, then the required query keys
    and (when `headers`, lowercase names, is given) the required headers present."""
    try:
        routes = _rest_routes(service)
    except Exception:
        return None
    best: tuple[int, str] | None = None
    for r_method, pattern, qkeys, literal, op_name, r_headers in routes:  # type: ignore[misc]
        if r_method != method:
            continue
        if not pattern.match(path.rstrip("/") or "/") and not pattern.match(path):
            continue
        if any(k not in query for k in qkeys):
            continue
        if headers is not None and any(h not in headers for h in r_headers):
            continue
        score = literal + 1000 * (len(qkeys) + len(r_headers))
        if best is None or score > best[0]:
            best = (score, op_name)
    return best[1] if best else None
