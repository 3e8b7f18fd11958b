"""Protocol-correct error responses (used for injected faults and CBOR errors)."""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

import cbor2

from . import models

CBOR_CONTENT_TYPE = "application/cbor"


def query_compatible(service: str) -> bool:
    try:
        return "awsQueryCompatible" in models.service_model(service).metadata
    except Exception:
        return False


def json_content_type(service: str) -> str:
    try:
        version = models.service_model(service).metadata.get("jsonVersion", "1.0")
    except Exception:
        version = "1.0"
    return f"application/x-amz-json-{version}"


def error_response(
    service: str,
    protocol: str,
    status: int,
    code: str,
    message: str,
    query_code: str | None = None,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Build (status, headers, body) for an error in the request's protocol.

    code is the error shape name (JSON/CBOR __type); query_code the awsQuery
    error code of query-compatible services (e.g. CloudWatch's "Throttling").
    """
    request_id = str(uuid.uuid4())
    fault = "Sender" if status < 500 else "Receiver"
    headers = [("x-amzn-RequestId", request_id)]
    if protocol in ("cbor", "json") and query_compatible(service):
        headers.append(("x-amzn-query-error", f"{query_code or code};{fault}"))
    if protocol == "cbor":
        headers += [("Content-Type", CBOR_CONTENT_TYPE), ("smithy-protocol", "rpc-v2-cbor")]
        body = cbor2.dumps({"__type": code, "message": message})
    elif protocol == "json":
        headers.append(("Content-Type", json_content_type(service)))
        body = json.dumps({"__type": code, "message": message}).encode()
    elif protocol in ("query", "ec2"):
        qcode = query_code or code
        headers.append(("Content-Type", "text/xml"))
        body = (
            "<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>%s</RequestId></ErrorResponse>"
            % (fault, escape(qcode), escape(message), request_id)
        ).encode()
    elif protocol == "rest-xml":
        headers.append(("Content-Type", "application/xml"))
        body = (
            "<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>"
            % (escape(code), escape(message), request_id)
        ).encode()
    else:  # rest-json and unknown
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
        body = json.dumps({"message": message}).encode()
    headers.append(("Content-Length", str(len(body))))
    return status, headers, body
