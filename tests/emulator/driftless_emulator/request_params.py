"""Parse an AWS request into its input parameters, per wire protocol.

The result has the shape botocore's JSON serialisers would have produced from
the operation's input shape: member names as in the model (`AlarmName`),
lists as lists, maps as dicts, numbers as numbers. It is what the validator
(validation.py) and the hand-written service rules (rules.py) read.

* query (CloudWatch, STS, SNS): `Action=` form/query params, flattened per the
  model (`Dimensions.member.1.Name`, `Attributes.entry.1.key`, flattened lists
  `Name.1`); numbers and booleans arrive as strings and are converted.
* json (Logs, SSM, awsJson CloudWatch/tagging): the JSON body.
* rpcv2Cbor (the Rust SDK's CloudWatch and tagging): the CBOR body.
* rest-json (Backup): URI labels, querystring, headers and the JSON body, each
  member from the location the model gives it.

`parse` answers None when the request cannot be read (malformed body, path
that does not match the operation's URI): those are left to moto.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs, unquote

import cbor2
from botocore.model import OperationModel, Shape, StructureShape

from . import cbor_proto, classify

NUMBER_TYPES = ("integer", "long", "short", "byte")
FLOAT_TYPES = ("double", "float")


class Unreadable(ValueError):
    """The request body or path cannot be parsed for this operation."""


def parse(protocol: str, op: OperationModel, environ: dict, body: bytes) -> dict[str, Any] | None:
    """The operation's input parameters, or None if the request is unreadable."""
    try:
        return parse_or_raise(protocol, op, environ, body)
    except Exception:
        return None


# What a body that does not decode raises: AWS answers it with a 400
# `SerializationException` (awsJson, rpcv2Cbor and rest-json services alike).
UNDECODABLE: tuple[type[BaseException], ...] = (Unreadable, ValueError, UnicodeDecodeError, cbor2.CBORDecodeError)


def parse_or_raise(protocol: str, op: OperationModel, environ: dict, body: bytes) -> dict[str, Any] | None:
    """As `parse`, but a body that does not decode raises one of `UNDECODABLE` (a
    broken CBOR body `cbor2.CBORDecodeError`) and any other failure is logged and
    raised as is; None for a protocol this module does not read."""
    try:
        if protocol == "cbor":
            return cbor_proto.decode_request(body)
        if protocol == "json":
            return _json_body(body)
        if protocol == "query":
            return from_query(op.input_shape, _form(environ, body))
        if protocol == "rest-json":
            return _rest_json(op, environ, body)
    except UNDECODABLE:
        raise
    except Exception:
        logging.getLogger("driftless_emulator.gate").exception(
            "cannot read the %s request of %s", protocol, op.name
        )
        raise
    return None


def _json_body(body: bytes) -> dict[str, Any]:
    doc = json.loads(body or b"{}")
    if not isinstance(doc, dict):
        raise Unreadable("JSON input must be an object")
    return doc


# ------------------------------------------------------------------- query


def _form(environ: dict, body: bytes) -> dict[str, str]:
    """Query string and form body, first value of each (classify reads the same)."""
    return {k: v[0] for k, v in classify.form_params(environ, body).items() if v}


def from_query(shape: StructureShape | None, params: dict[str, str]) -> dict[str, Any]:
    """Unflatten awsQuery parameters into the input shape's structure."""
    if shape is None:
        return {}
    prefixes = _prefixes(params)
    out = _query_value(shape, "", params, prefixes)
    return out if isinstance(out, dict) else {}


def _prefixes(params: dict[str, str]) -> set[str]:
    """Every dotted prefix of every key: 'A.member.1.B' gives A, A.member, ..."""
    out: set[str] = set()
    for key in params:
        parts = key.split(".")
        for i in range(1, len(parts) + 1):
            out.add(".".join(parts[:i]))
    return out


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _query_value(shape: Shape, key: str, params: dict[str, str], prefixes: set[str]) -> Any:
    t = shape.type_name
    if t == "structure":
        out = {}
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            mkey = _join(key, member.serialization.get("name", name))
            if mkey in prefixes:
                out[name] = _query_value(member, mkey, params, prefixes)
        return out
    if t == "list":
        return _query_list(shape, key, params, prefixes)
    if t == "map":
        return _query_map(shape, key, params, prefixes)
    return scalar_from_string(shape, params.get(key))


def _query_list(shape: Shape, key: str, params: dict[str, str], prefixes: set[str]) -> list[Any]:
    if params.get(key) == "":  # `Name=` is the empty list
        return []
    member = shape.member  # type: ignore[attr-defined]
    if shape.serialization.get("flattened"):
        base = key
    else:
        base = _join(key, member.serialization.get("name", "member"))
    items = []
    i = 1
    while f"{base}.{i}" in prefixes:
        items.append(_query_value(member, f"{base}.{i}", params, prefixes))
        i += 1
    return items


def _query_map(shape: Shape, key: str, params: dict[str, str], prefixes: set[str]) -> dict[str, Any]:
    base = key if shape.serialization.get("flattened") else _join(key, "entry")
    key_name = shape.key.serialization.get("name", "key")  # type: ignore[attr-defined]
    value_name = shape.value.serialization.get("name", "value")  # type: ignore[attr-defined]
    out: dict[str, Any] = {}
    i = 1
    while f"{base}.{i}" in prefixes:
        k = params.get(f"{base}.{i}.{key_name}", "")
        out[k] = _query_value(shape.value, f"{base}.{i}.{value_name}", params, prefixes)  # type: ignore[attr-defined]
        i += 1
    return out


def scalar_from_string(shape: Shape, raw: str | None) -> Any:
    """A query/querystring/header value in its model type (left a string when
    it does not parse, so the validator reports the wrong type)."""
    if raw is None:
        return None
    t = shape.type_name
    try:
        if t in NUMBER_TYPES:
            return int(raw)
        if t in FLOAT_TYPES:
            return float(raw)
    except ValueError:
        return raw
    if t == "boolean" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


# --------------------------------------------------------------- rest-json


def _uri_regex(request_uri: str) -> tuple[re.Pattern[str], list[str]]:
    path = request_uri.partition("?")[0]
    regex, names = "", []
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            greedy = part.endswith("+}")
            names.append(part.strip("{}+"))
            regex += "(.+)" if greedy else "([^/]+)"
        elif part:
            regex += re.escape(part)
    return re.compile("^" + regex.rstrip("/") + "/?$"), names


def _uri_labels(op: OperationModel, environ: dict) -> dict[str, str]:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    path = raw.split("?", 1)[0]
    if "://" in path:  # absolute-form request target
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    pattern, names = _uri_regex(op.http.get("requestUri", "/"))
    m = pattern.match(path) or pattern.match(unquote(path))
    if not m:
        raise Unreadable("path does not match the operation's URI")
    return {name: unquote(value) for name, value in zip(names, m.groups())}


def _rest_json(op: OperationModel, environ: dict, body: bytes) -> dict[str, Any]:
    shape = op.input_shape
    if shape is None:
        return {}
    labels = _uri_labels(op, environ)
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    payload = shape.serialization.get("payload")
    doc = _json_body(body) if body.strip() else {}
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in labels:
                out[name] = labels[wire]
        elif location == "querystring":
            value = _querystring_member(member, wire, query)
            if value is not None:
                out[name] = value
        elif location == "header":
            raw = environ.get("HTTP_" + wire.upper().replace("-", "_"))
            if raw is not None:
                out[name] = scalar_from_string(member, raw)
        elif payload == name:
            if body.strip():
                out[name] = doc
        elif payload is None and wire in doc:
            out[name] = doc[wire]
    return out


def _querystring_member(member: Shape, wire: str, query: dict[str, list[str]]) -> Any:
    if member.type_name == "map":
        return {k: v[0] for k, v in query.items()}
    values = query.get(wire)
    if values is None:
        return None
    if member.type_name == "list":
        return [scalar_from_string(member.member, v) for v in values]  # type: ignore[attr-defined]
    return scalar_from_string(member, values[0])
