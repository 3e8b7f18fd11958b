"""Smithy RPC v2 CBOR front end for moto.

moto 5.2.5 serves CloudWatch (and the Resource Groups Tagging API) over
awsQuery/awsJson only; the AWS SDK for Rust speaks rpcv2Cbor to both:

    POST /service/<ServiceShapeName>/operation/<Operation>
    smithy-protocol: rpc-v2-cbor
    Content-Type: application/cbor

We decode the CBOR input, re-issue it to moto as the equivalent awsJson
request (same account/region/signature headers, X-Amz-Target), and encode
moto's JSON answer back to CBOR guided by the botocore output shape:
timestamps as tag 1 (epoch seconds, float), blobs as byte strings, doubles
as floats, absent members omitted. Errors keep moto's __type and the
x-amzn-query-error header of query-compatible services.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import math
from typing import Any, Callable

import cbor2
from botocore.model import Shape

from . import models
from .errors import CBOR_CONTENT_TYPE, error_response, json_content_type

SMITHY_HEADER = ("smithy-protocol", "rpc-v2-cbor")


# ---------------------------------------------------------------- request side


def _to_json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _to_json_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_to_json_value(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, cbor2.CBORTag):
        if value.tag == 1:
            return float(value.value)
        return _to_json_value(value.value)
    if value is cbor2.undefined:
        return None
    return value


def decode_request(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    decoded = cbor2.loads(body)
    if decoded is None or decoded is cbor2.undefined:
        return {}
    if not isinstance(decoded, dict):
        raise ValueError("rpcv2Cbor input must be a CBOR map")
    return _to_json_value(decoded)


# --------------------------------------------------------------- response side


def _parse_timestamp(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        from dateutil import parser as dparser

        parsed = dparser.parse(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return parsed.timestamp()
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.timestamp()
    raise ValueError(f"not a timestamp: {value!r}")


def to_cbor_value(value: Any, shape: Shape | None) -> Any:
    """Convert a JSON-protocol value to its rpcv2Cbor form for `shape`."""
    if value is None:
        return None
    if shape is None:
        return value
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            return None
        out = {}
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if name in value:
                v = to_cbor_value(value[name], member)
                if v is not None:
                    out[name] = v
        return out
    if t == "list":
        return [to_cbor_value(v, shape.member) for v in value if v is not None]  # type: ignore[attr-defined]
    if t == "map":
        return {
            k: to_cbor_value(v, shape.value)  # type: ignore[attr-defined]
            for k, v in value.items()
            if v is not None
        }
    if t == "timestamp":
        return cbor2.CBORTag(1, _parse_timestamp(value))
    if t == "blob":
        if isinstance(value, str):
            return base64.b64decode(value)
        return bytes(value)
    if t in ("double", "float"):
        if isinstance(value, str):
            return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(
                value, float(value) if value else 0.0
            )
        return float(value)
    if t in ("integer", "long", "short", "byte"):
        return int(value)
    if t == "boolean":
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value)
    return value


def encode(value: Any) -> bytes:
    return cbor2.dumps(value)


# ------------------------------------------------------------------ dispatcher


def handle(
    environ: dict,
    body: bytes,
    service: str,
    cbor_service_name: str,
    operation: str,
    inner_app: Callable,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Serve one rpcv2Cbor request by way of moto's awsJson handler."""
    try:
        model = models.service_model(service)
        op_model = model.operation_model(operation)
    except Exception:
        return error_response(
            service, "cbor", 404, "UnknownOperationException", f"Unknown operation {operation}"
        )
    try:
        params = decode_request(body)
    except Exception as exc:  # malformed CBOR
        return error_response(service, "cbor", 400, "SerializationException", f"Malformed CBOR body: {exc}")

    json_body = json.dumps(params).encode()
    target_prefix = model.metadata.get("targetPrefix") or cbor_service_name
    sub = dict(environ)
    for key in ("HTTP_SMITHY_PROTOCOL", "HTTP_ACCEPT", "HTTP_CONTENT_ENCODING", "HTTP_TRANSFER_ENCODING"):
        sub.pop(key, None)
    sub.update(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "REQUEST_URI": "/",
            "RAW_URI": "/",
            "QUERY_STRING": "",
            "CONTENT_TYPE": json_content_type(service),
            "CONTENT_LENGTH": str(len(json_body)),
            "HTTP_X_AMZ_TARGET": f"{target_prefix}.{operation}",
            "HTTP_ACCEPT": "application/json",
            "wsgi.input": io.BytesIO(json_body),
        }
    )
    sub.pop("wsgi.input_terminated", None)

    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = headers
        return lambda data: None

    result = inner_app(sub, start_response)
    try:
        raw = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    status = captured.get("status", 500)
    in_headers = {k.lower(): v for k, v in captured.get("headers", [])}
    request_id = in_headers.get("x-amzn-requestid") or in_headers.get("x-amz-request-id")

    try:
        doc = json.loads(raw) if raw.strip() else {}
    except ValueError:
        doc = None

    if status >= 300:
        # moto error (JSON) -> CBOR error, same status
        if isinstance(doc, dict):
            code = str(doc.get("__type", "InternalFailure"))
            message = doc.get("message", doc.get("Message", ""))
        else:
            code = "InternalFailure" if status >= 500 else "ValidationException"
            message = raw.decode("utf-8", "replace")[:500]
        headers = [SMITHY_HEADER, ("Content-Type", CBOR_CONTENT_TYPE)]
        payload = {"__type": code}
        if message:
            payload["message"] = message
        if isinstance(doc, dict):
            for k, v in doc.items():  # extra error members
                if k not in ("__type", "message", "Message") and v is not None:
                    payload[k] = v
        if "x-amzn-query-error" in in_headers:
            headers.append(("x-amzn-query-error", in_headers["x-amzn-query-error"]))
        if request_id:
            headers.append(("x-amzn-RequestId", request_id))
        out = encode(payload)
        headers.append(("Content-Length", str(len(out))))
        return status, headers, out

    headers = [SMITHY_HEADER]
    if request_id:
        headers.append(("x-amzn-RequestId", request_id))
    output_shape = op_model.output_shape
    if output_shape is None:
        headers.append(("Content-Length", "0"))
        return status, headers, b""
    value = to_cbor_value(doc if isinstance(doc, dict) else {}, output_shape) or {}
    out = encode(value)
    headers += [("Content-Type", CBOR_CONTENT_TYPE), ("Content-Length", str(len(out)))]
    return status, headers, out

