"""Work out (service, operation, protocol, account, region) of an AWS request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from . import models

CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/]+)/?$")
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class RequestInfo:
    service: str
    operation: str
    protocol: str  # cbor | json | query | rest-json | rest-xml | unknown
    region: str
    access_key: str | None
    # rpcv2Cbor only: the service shape name from the path
    cbor_service_name: str | None = None


def form_params(environ: dict, body: bytes) -> dict[str, list[str]]:
    """awsQuery parameters: the query string plus a form-encoded body."""
    params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    ctype = environ.get("CONTENT_TYPE", "") or ""
    if ctype.startswith("application/x-www-form-urlencoded") and body:
        try:
            for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                params.setdefault(k, []).extend(v)
        except UnicodeDecodeError:
            pass
    return params


def classify(environ: dict, body: bytes) -> RequestInfo:
    path = environ.get("PATH_INFO", "/") or "/"
    method = environ.get("REQUEST_METHOD", "GET").upper()
    auth = environ.get("HTTP_AUTHORIZATION", "") or ""
    access_key = region = signing_name = None
    m = CREDENTIAL.search(auth)
    if m:
        access_key, region, signing_name = m.group(1), m.group(2), m.group(3)
    region = region or "us-east-1"
    signed_service = models.service_for_signing_name(signing_name) if signing_name else None

    # 1. Smithy RPC v2 CBOR: POST /service/<Service>/operation/<Operation>
    cm = CBOR_PATH.match(path)
    smithy = (environ.get("HTTP_SMITHY_PROTOCOL", "") or "").lower()
    ctype = (environ.get("CONTENT_TYPE", "") or "").lower()
    if cm and (smithy == "rpc-v2-cbor" or "cbor" in ctype or method == "POST"):
        svc_name, op = cm.group(1), cm.group(2)
        service = models.service_for_target_prefix(svc_name) or signed_service or svc_name
        return RequestInfo(service, op, "cbor", region, access_key, svc_name)

    # 2. awsJson: X-Amz-Target: <prefix>.<Operation>
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        prefix, _, op = target.rpartition(".")
        service = models.service_for_target_prefix(prefix) or signed_service or prefix.lower()
        return RequestInfo(service, op, "json", region, access_key)

    # 3. awsQuery / ec2: Action=<Operation> in the query string or form body
    params = form_params(environ, body)
    action = params.get("Action")
    if action and action[0]:
        return RequestInfo(signed_service or "unknown", action[0], "query", region, access_key)

    # 4. REST protocols: match method + path against the model's requestUri
    if signed_service:
        raw_path = unquote(path)
        headers = {k[5:].replace("_", "-").lower() for k in environ if k.startswith("HTTP_")}
        headers |= {k.replace("_", "-").lower() for k in ("CONTENT_TYPE", "CONTENT_LENGTH") if environ.get(k)}
        op = models.match_rest_operation(signed_service, method, raw_path, params, headers)
        proto = "rest-json"
        try:
            proto = models.service_model(signed_service).protocol
        except Exception:
            pass
        return RequestInfo(signed_service, op or f"{method} {path}", proto, region, access_key)

    return RequestInfo("unknown", f"{method} {path}", "unknown", region, access_key)
