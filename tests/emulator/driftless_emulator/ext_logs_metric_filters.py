"""CloudWatch Logs metric filters as AWS has them.

moto 5.2.5 keeps metric filters in one list per region and gets most of their
behaviour wrong; driftless relies on each point below:

* PutMetricFilter "Creates or updates a metric filter" (API_PutMetricFilter): moto
  appended a second filter of the same name instead of replacing it. Here a put
  replaces the filter of that (log group, name) whole.
* The log group must exist: PutMetricFilter, DescribeMetricFilters with a
  `logGroupName` and DeleteMetricFilter answer ResourceNotFoundException ("The
  specified log group does not exist."); deleting a filter that does not exist
  answers ResourceNotFoundException ("The specified metric filter does not exist.").
  moto accepted all of these.
* "The maximum number of metric filters that can be associated with a log group is
  100" (API_PutMetricFilter): a 101st filter is LimitExceededException (a put that
  replaces an existing filter is not a new one).
* DescribeMetricFilters results "are ASCII-sorted by filter name"
  (API_DescribeMetricFilters), `limit` 1-50 (default 50) with `nextToken`; moto
  ignored `limit` and echoed the token back. `filterNamePrefix` is used "only if you
  also include the logGroupName parameter".
* `applyOnTransformedLogs` (returned as `false` when not set),
  `fieldSelectionCriteria` and `emitSystemFieldDimensions` are stored and returned,
  and so is `creationTime` (milliseconds); moto dropped them.
* MetricTransformation: "dimensions and default value are mutually exclusive
  properties" (AWS's InvalidParameterException message, seen from CloudFormation in
  aws-solutions-library-samples/guidance-for-claude-code-with-amazon-bedrock#632);
  dimensions need a JSON or space-delimited pattern ("The specified filter pattern
  does not support dimensions", hashicorp/terraform-provider-aws#22105); "One metric
  filter can include as many as three dimensions" (API_MetricTransformation).
* `defaultValue` is a Double (MetricTransformation): stored and returned as one, so
  `0` and `0.0` read back the same (`0.0`), as a number AWS parsed and keeps; moto
  echoed the request's JSON text.
* DeleteLogGroup deletes the group's metric filters with it (moto kept them, so a
  new group of the same name inherited them).
"""

from __future__ import annotations

import json
import time
from typing import Any

from moto.logs.exceptions import (
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from moto.logs.responses import LogsResponse

MAX_FILTERS_PER_GROUP = 100
MAX_DIMENSIONS = 3
PAGE_DEFAULT = 50

_orig_delete_log_group = LogsResponse.delete_log_group


def _params(resp: Any) -> dict[str, Any]:
    raw = resp.body.decode() if isinstance(resp.body, bytes) else resp.body
    return json.loads(raw or "{}")


def _store(resp: Any) -> list[dict[str, Any]]:
    return resp.logs_backend.filters.metric_filters


def _require_group(resp: Any, name: str) -> None:
    if name not in resp.logs_backend.groups:
        raise ResourceNotFoundException(msg="The specified log group does not exist.")


def _check_transformations(pattern: str, transformations: list[dict[str, Any]]) -> None:
    for t in transformations:
        dims = t.get("dimensions") or {}
        if not dims:
            continue
        if "defaultValue" in t and t["defaultValue"] is not None:
            raise InvalidParameterException(
                msg="Invalid metric transformation: dimensions and default value are mutually exclusive properties"
            )
        if len(dims) > MAX_DIMENSIONS:
            raise InvalidParameterException(
                msg=f"Invalid metric transformation: at most {MAX_DIMENSIONS} dimensions are allowed"
            )
        if not pattern.lstrip().startswith(("{", "[")):
            raise InvalidParameterException(msg="The specified filter pattern does not support dimensions")


def put_metric_filter(self: Any) -> str:
    p = _params(self)
    group, name = p["logGroupName"], p["filterName"]
    pattern = p.get("filterPattern", "")
    transformations = p.get("metricTransformations") or []
    if len(transformations) != 1:
        raise InvalidParameterException(
            constraint="Member must have length less than or equal to 1",
            parameter="metricTransformations",
            value=transformations,
        )
    _require_group(self, group)
    _check_transformations(pattern, transformations)
    store = _store(self)
    existing = [f for f in store if f["logGroupName"] == group and f["filterName"] == name]
    on_group = sum(1 for f in store if f["logGroupName"] == group)
    if not existing and on_group >= MAX_FILTERS_PER_GROUP:
        raise LimitExceededException()
    transformations = [
        dict(t, defaultValue=float(t["defaultValue"])) if isinstance(t.get("defaultValue"), int) else t
        for t in transformations
    ]
    doc = {
        "filterName": name,
        "filterPattern": pattern,
        "logGroupName": group,
        "metricTransformations": transformations,
        "creationTime": existing[0]["creationTime"] if existing else int(time.time() * 1000),
        "applyOnTransformedLogs": bool(p.get("applyOnTransformedLogs", False)),
    }
    for optional in ("fieldSelectionCriteria", "emitSystemFieldDimensions"):
        if p.get(optional):
            doc[optional] = p[optional]
    for f in existing:
        store.remove(f)
    store.append(doc)
    return ""


def describe_metric_filters(self: Any) -> str:
    p = _params(self)
    group = p.get("logGroupName")
    if group is not None:
        _require_group(self, group)
    prefix = p.get("filterNamePrefix") if group is not None else None
    metric, namespace = p.get("metricName"), p.get("metricNamespace")
    if bool(metric) != bool(namespace):
        missing = "metricNamespace" if metric else "metricName"
        raise InvalidParameterException(
            msg=f"If you include the metricName or metricNamespace parameter in your request, you must also include {missing}."
        )
    selected = [
        f
        for f in _store(self)
        if (group is None or f["logGroupName"] == group)
        and (prefix is None or f["filterName"].startswith(prefix))
        and (
            metric is None
            or any(
                t.get("metricName") == metric and t.get("metricNamespace") == namespace
                for t in f["metricTransformations"]
            )
        )
    ]
    selected.sort(key=lambda f: (f["filterName"], f["logGroupName"]))
    limit = p.get("limit") or PAGE_DEFAULT
    token = p.get("nextToken")
    start = 0
    if token is not None:
        if not str(token).isdigit() or int(token) > len(selected):
            raise InvalidParameterException(msg="The specified nextToken is invalid.")
        start = int(token)
    page = selected[start : start + limit]
    out: dict[str, Any] = {"metricFilters": page}
    if start + limit < len(selected):
        out["nextToken"] = str(start + limit)
    return json.dumps(out)


def delete_metric_filter(self: Any) -> str:
    p = _params(self)
    group, name = p["logGroupName"], p["filterName"]
    _require_group(self, group)
    store = _store(self)
    found = [f for f in store if f["logGroupName"] == group and f["filterName"] == name]
    if not found:
        raise ResourceNotFoundException(msg="The specified metric filter does not exist.")
    for f in found:
        store.remove(f)
    return ""


def delete_log_group(self: Any) -> str:
    group = _params(self).get("logGroupName")
    out = _orig_delete_log_group(self)
    store = _store(self)
    store[:] = [f for f in store if f["logGroupName"] != group]
    return out


def apply() -> None:
    # Wrap what is there when applied (ext_logs's delete, which refuses a protected
    # group), not moto's own.
    global _orig_delete_log_group
    _orig_delete_log_group = LogsResponse.delete_log_group
    for fn in (put_metric_filter, describe_metric_filters, delete_metric_filter, delete_log_group):
        setattr(LogsResponse, fn.__name__, fn)
