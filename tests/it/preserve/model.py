"""Inputs generated from the botocore service model the emulator loads.

`generate(service, operation, overrides, exclude)` builds an input for one API call
with every member of its input shape set, recursively: structures get every member,
lists one element, maps one entry (a union, which holds one member of several, must
have all its members but one excluded). A value comes from, in this order:

1. `overrides[path]` (a domain-valid value the model's types cannot give: ARNs, cron
   expressions, patch filter keys per operating system, numbers in a domain range);
2. `exclude[path]` leaves the member out: the value is the reason, and it must say why
   (mutually exclusive members, members of another operating system or task type);
3. the model alone, only where the model fully determines a valid value: an enum
   (its second value, so not the first, which is usually AWS's default) or a plain
   string without a pattern (a recognisable text, trimmed to the shape's length).

Anything else (numbers, booleans, timestamps, blobs, strings with a pattern or whose
name says they are an ARN, id, expression, date ...) has no generic value: the
generator raises `Unvalued` naming the member, so a member the model gains is never
skipped silently. Paths are `Member.Sub[].Leaf`, `Map{}` for a map's value.
"""

import re

import botocore.session

_SESSION = botocore.session.get_session()

# Member names whose string values carry a domain (an ARN, a date, an id ...): a
# generic text would be invalid, so they must be overridden.
_DOMAIN_NAME = re.compile(
    r"(Arn|ARN|Id|Ids|Expression|Schedule|Timezone|Date|Version|Hash|Region|Pattern|"
    r"Key|Keys|Role|Token|Rule|Policy|Statistic|Stat|Query|Criteria|Bucket|Prefix|"
    r"Configuration|Name|Names|Payload|Context|Qualifier|Input|Value|Values)$"
)


class Unvalued(Exception):
    """A member the generator has no valid value for."""


def model(service):
    return _SESSION.get_service_model(service)


def input_shape(service, operation):
    return model(service).operation_model(operation).input_shape


def members(service, operation):
    """Top-level member names of an operation's input shape."""
    return list(input_shape(service, operation).members)


class _Gen:
    def __init__(self, where, overrides, exclude, minimal=False):
        self.minimal = minimal
        self.where = where
        self.overrides = overrides
        self.exclude = exclude
        self.used = set()

    def value(self, shape, path, leaf):
        if path in self.overrides:
            self.used.add(path)
            value = self.overrides[path]
            return value() if callable(value) else value
        kind = shape.type_name
        if kind == "structure":
            if getattr(shape, "is_tagged_union", False):
                self.union(shape, path)
            out = {}
            for name, member in shape.members.items():
                sub = f"{path}.{name}" if path else name
                if self.minimal and name not in shape.required_members and not any(
                    o == sub or o.startswith(sub + ".") or o.startswith(sub + "[") or o.startswith(sub + "{")
                    for o in self.overrides
                ):
                    continue
                if sub in self.exclude:
                    self.used.add(sub)
                    continue
                out[name] = self.value(member, sub, name)
            return out
        if kind == "list":
            return [self.value(shape.member, path + "[]", leaf)]
        if kind == "map":
            key = self.value(shape.key, path + "{key}", leaf + "Key")
            return {key: self.value(shape.value, path + "{}", leaf)}
        if kind == "string":
            return self.string(shape, path, leaf)
        raise Unvalued(
            f"{self.where}: no value for {path} ({kind} {shape.name}): add a domain-valid "
            "override or an exclusion with its reason in tests/it/preserve/cases.py"
        )

    def union(self, shape, path):
        """A union holds one member: exactly one may be generated, the others must be
        excluded with their reason."""
        chosen = [n for n in shape.members if f"{path}.{n}" not in self.exclude]
        if len(chosen) != 1:
            raise Unvalued(
                f"{self.where}: {path} is a union ({', '.join(shape.members)}): exclude all "
                "members but one, each with its reason, in tests/it/preserve/cases.py"
            )

    def string(self, shape, path, leaf):
        enum = getattr(shape, "enum", None) or []
        if enum:
            return enum[1] if len(enum) > 1 else enum[0]
        meta = shape.metadata
        if "pattern" in meta or _DOMAIN_NAME.search(leaf):
            raise Unvalued(
                f"{self.where}: no value for {path} (string {shape.name}"
                f"{', pattern ' + meta['pattern'] if 'pattern' in meta else ''}): add a "
                "domain-valid override in tests/it/preserve/cases.py"
            )
        text = f"preserve {leaf}"[: meta.get("max", 64)]
        return text.ljust(meta.get("min", 0), "x")


def generate(service, operation, overrides, exclude, minimal=False):
    """Every member of the operation's input (module doc); raises `Unvalued`. With
    `minimal`, only the members the model requires and those overridden: the
    resource as sparse as AWS allows, to check that an edit adds nothing either.

    An override or exclusion that names no member of the shape is an error too (a
    renamed member must not leave a stale entry behind)."""
    gen = _Gen(f"{service}:{operation}", overrides, exclude, minimal)
    out = gen.value(input_shape(service, operation), "", operation)
    stale = (set(overrides) | set(exclude)) - gen.used
    if stale:
        raise Unvalued(f"{service}:{operation}: overrides/exclusions name no member: {sorted(stale)}")
    return out
