"""Request validation driven by botocore's service models, as AWS does it.

AWS checks every request against its API model before the service code runs:
required members, member types, enums, numeric ranges, string/list/map
lengths and string patterns. moto checks almost none of this, and the SDK for
Rust checks nothing client-side, so without this a writer sending
`ComparisonOperator: Bigger` would pass every test. Nothing here is a table
of constraints: all of it is read from `botocore`'s models (the same JSON the
SDKs are generated from).

Messages follow AWS's (Coral) format:

    1 validation error detected: Value 'Bigger' at 'comparisonOperator' failed
    to satisfy constraint: Member must satisfy enum value set: [...]

Member paths are lowerCamelCase; list elements are `name.N.member` (1-based),
map values `name.<key>`. Patterns are botocore's (Java-style) regular
expressions compiled with the `regex` module (which knows `\\p{L}` and
friends); a pattern that does not compile is logged and skipped, never used
to refuse input. Anchoring: the older (Coral) patterns carry no `^` and AWS
applies them to the whole value (Java's `matches()`: STS refuses the
RoleSessionName `has spaces` against `[\\w+=,.@-]*`), so those must match in
full; a pattern that starts with `^` is anchored by its author as Smithy
intends (search), e.g. `^arn:aws...` is a prefix.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import regex
from botocore.model import Shape

log = logging.getLogger("driftless_emulator.validation")

MAX_REPORTED = 10  # AWS lists at most this many violations in one message


@dataclass
class Violations:
    """Collected constraint violations of one request."""

    items: list[str] = field(default_factory=list)

    def add(self, path: str, value: Any, constraint: str) -> None:
        self.items.append(f"Value {_show(value)} at '{path}' failed to satisfy constraint: {constraint}")

    def message(self) -> str:
        n = len(self.items)
        head = f"{n} validation error{'s' if n != 1 else ''} detected: "
        return head + "; ".join(self.items[:MAX_REPORTED])

    def __bool__(self) -> bool:
        return bool(self.items)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    return f"'{_plain(value)}'"


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_plain(v)}" for k, v in value.items()) + "}"
    return str(value)


def camel(name: str) -> str:
    """AWS reports members in lowerCamelCase (`ComparisonOperator` -> `comparisonOperator`)."""
    return name[:1].lower() + name[1:]


def validate(shape: Shape | None, params: dict[str, Any]) -> Violations:
    """Every model constraint `params` breaks, for the input shape `shape`."""
    found = Violations()
    if shape is not None:
        _structure(shape, params, "", found)
    return found


# ----------------------------------------------------------------- walkers


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _value(shape: Shape, value: Any, path: str, found: Violations) -> None:
    if value is None:
        return
    t = shape.type_name
    if not _type_ok(t, value):
        found.add(path, value, f"Member must be of type {t}")
        return
    if t == "structure":
        _structure(shape, value, path, found)
    elif t == "list":
        _length(shape, len(value), value, path, found)
        for i, item in enumerate(value, start=1):
            _value(shape.member, item, f"{path}.{i}.member", found)  # type: ignore[attr-defined]
    elif t == "map":
        _length(shape, len(value), value, path, found)
        for k, v in value.items():
            _value(shape.key, k, f"{path}.key", found)  # type: ignore[attr-defined]
            _value(shape.value, v, f"{path}.{k}", found)  # type: ignore[attr-defined]
    elif t == "string":
        _string(shape, value, path, found)
    elif t in ("integer", "long", "short", "byte", "double", "float"):
        _range(shape, value, path, found)
    elif t == "blob":
        _length(shape, _blob_size(value), value, path, found)


def _blob_size(value: Any) -> int:
    """Bytes of a blob; JSON protocols (and cbor_proto's decoding) carry base64."""
    if isinstance(value, str):
        try:
            return len(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            return len(value)
    return len(value)


def _structure(shape: Shape, value: dict[str, Any], path: str, found: Violations) -> None:
    members = shape.members  # type: ignore[attr-defined]
    for name in shape.required_members:  # type: ignore[attr-defined]
        if value.get(name) is None:
            found.add(_child(path, camel(name)), None, "Member must not be null")
    if shape.metadata.get("union"):
        present = [n for n in members if value.get(n) is not None]
        if len(present) > 1:
            found.add(path or "input", value, f"Member must have exactly one of {sorted(present)} set")
    for name, member in members.items():
        if name in value:
            _value(member, value[name], _child(path, camel(name)), found)


_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list, tuple),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "short": (int,),
    "byte": (int,),
    "double": (int, float),
    "float": (int, float),
    "timestamp": (int, float, str),
    "blob": (str, bytes, bytearray),
}

_NON_FINITE = ("NaN", "Infinity", "-Infinity")  # how JSON protocols write such doubles


def _type_ok(t: str, value: Any) -> bool:
    expected = _TYPES.get(t)
    if expected is None:  # document and anything newer: not checked
        return True
    if t in ("double", "float") and value in _NON_FINITE:
        return True
    if isinstance(value, bool) and bool not in expected:
        return False
    return isinstance(value, expected)


def _string(shape: Shape, value: str, path: str, found: Violations) -> None:
    enum = getattr(shape, "enum", None) or shape.metadata.get("enum")
    if enum and value not in enum:
        found.add(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        return
    _length(shape, len(value), value, path, found)
    pattern = shape.metadata.get("pattern")
    if pattern:
        if not pattern_matches(pattern, value):
            found.add(path, value, f"Member must satisfy regular expression pattern: {pattern}")


def _length(shape: Shape, n: int, value: Any, path: str, found: Violations) -> None:
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None and n < lo:
        found.add(path, value, f"Member must have length greater than or equal to {_num(lo)}")
    if hi is not None and n > hi:
        found.add(path, value, f"Member must have length less than or equal to {_num(hi)}")


def _range(shape: Shape, value: Any, path: str, found: Violations) -> None:
    if isinstance(value, str) or (isinstance(value, float) and math.isnan(value)):
        return
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None and value < lo:
        found.add(path, value, f"Member must have value greater than or equal to {_num(lo)}")
    if hi is not None and value > hi:
        found.add(path, value, f"Member must have value less than or equal to {_num(hi)}")


def _num(n: Any) -> str:
    return str(int(n)) if isinstance(n, float) and n.is_integer() else str(n)


def pattern_matches(pattern: str, value: str) -> bool:
    compiled = _compile(pattern)
    if compiled is None:
        return True
    if pattern.startswith("^"):
        return compiled.search(value) is not None
    return compiled.fullmatch(value) is not None


@lru_cache(maxsize=None)
def _compile(pattern: str) -> Any:
    """botocore's patterns are Java regular expressions; `regex` reads nearly
    all of them. One it cannot read is skipped (logged once), never enforced."""
    try:
        return regex.compile(pattern)
    except regex.error as exc:
        log.warning("skipping model pattern %r: %s", pattern, exc)
        return None
