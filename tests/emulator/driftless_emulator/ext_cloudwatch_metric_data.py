"""CloudWatch metric data as AWS serves it: GetMetricData and PutMetricData's
timestamp window.

GetMetricData
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
moto 5.2.5 starts its buckets at the exact StartTime, fails on percentiles and
extended statistics, returns nothing useful for most expressions and ignores
MaxDatapoints. Here:

* StartTime is rounded as the reference says (less than 15 days ago: down to the
  minute; 15 to 63 days: to 5 minutes; older: to the hour; a period of 1, 5, 10, 20
  or 30 seconds: down to that division of the minute) and the buckets are
  [start + k * Period, start + (k + 1) * Period) from the rounded start, each stamped
  with its beginning (AWS aligns buckets to the StartTime it was given, as boto/boto3#3457
  shows, which is why callers align StartTime to the period); a bucket without data
  has no datapoint.
* Statistics: SampleCount, Average, Sum, Minimum, Maximum and the extended ones of the
  user guide's "CloudWatch statistics definitions": pNN, tmNN, wmNN, tcNN, tsNN, IQM,
  TM/WM/TC/TS(a:b) with percentages or values, PR(a:b). A percentile is the
  nearest-rank value; bounds are (low, high]. A statistic set (StatisticValues) has
  percentiles only when it is one value repeated (PutMetricData's reference).
* Metric math over the MetricStat results, per timestamp: numbers, + - * / ^, unary
  minus, comparisons, AND/OR/NOT, [a, b], SUM/AVG/MIN/MAX of arrays, METRICS() and
  METRICS("text") (metric queries whose Id contains it), FILL(x, value|REPEAT|LINEAR),
  IF, ABS, CEIL, FLOOR, RATE, DIFF, PERIOD: the functions driftless's backtest
  evaluates (controller/core/src/backtest/math.rs). Between two series a datapoint
  exists where both have one. Another function, or a syntax error, is refused with a
  ValidationError whose wording is ours (AWS's is not documented).
* Limits: more than 500 MetricDataQueries is AWS's ValidationError ("The collection
  MetricDataQueries must not have a size greater than 500."); past MaxDatapoints
  (default 100,800) the answer is paginated: results that were cut are
  `PartialData` and NextToken continues them. A NextToken this emulator did not
  issue is InvalidNextToken.

PutMetricData
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html,
and the user guide's "Publishing custom metrics": a datapoint may be "up to two weeks in
the past and up to two hours into the future"): a Timestamp outside that is refused
with InvalidParameterValue "The parameter MetricData.member.N.Timestamp must specify a
time within the past two weeks." (the wording CloudWatch-compatible servers use; AWS's
page names the window, not the message), and nothing of the request is stored.
"""

from __future__ import annotations

import base64
import json
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from moto.cloudwatch.exceptions import CloudWatchException, InvalidParameterValue, ValidationError
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

MAX_QUERIES = 500
MAX_DATAPOINTS = 100_800
PAST = timedelta(days=14)
FUTURE = timedelta(hours=2)


class InvalidNextToken(CloudWatchException):
    code = "InvalidNextToken"


# ------------------------------------------------------------------ time


def _utc(t: Any) -> datetime:
    if isinstance(t, datetime):
        return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    if isinstance(t, (int, float)):
        return datetime.fromtimestamp(float(t), tz=timezone.utc)
    text = str(t)
    try:
        return datetime.fromtimestamp(float(text), tz=timezone.utc)
    except ValueError:
        return _utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def _rounded_start(start: datetime, period: int, now: datetime) -> datetime:
    """StartTime as the reference rounds it."""
    epoch = int(start.timestamp())
    if period < 60 and period in (1, 5, 10, 20, 30):
        return _utc(epoch - epoch % period)
    age = now - start
    step = 60 if age < timedelta(days=15) else 300 if age < timedelta(days=63) else 3600
    return _utc(epoch - epoch % step)


# ------------------------------------------------------------ statistics


def _values(datum: Any) -> list[float] | None:
    """The raw values of one datum (None: a statistic set that hides them)."""
    if hasattr(datum, "value"):
        return [float(datum.value)]
    count, lo, hi, total = datum.sample_count, datum.min, datum.max, datum.sum
    if lo == hi and math.isclose(total, lo * count) and float(count).is_integer():
        return [float(lo)] * int(count)
    return None


def _basic(stat: str, data: list[Any]) -> float | None:
    count = sum(getattr(d, "sample_count", 1) for d in data)
    total = sum(getattr(d, "sum", getattr(d, "value", 0.0)) for d in data)
    if stat == "SampleCount":
        return float(count)
    if stat == "Sum":
        return float(total)
    if stat == "Average":
        return total / count if count else None
    if stat == "Minimum":
        return min(getattr(d, "min", getattr(d, "value", 0.0)) for d in data)
    if stat == "Maximum":
        return max(getattr(d, "max", getattr(d, "value", 0.0)) for d in data)
    return None


_SHORT = re.compile(r"^(p|tm|wm|tc|ts)(\d+(?:\.\d+)?)$")
_RANGE = re.compile(r"^(TM|WM|TC|TS|PR)\((-?[\d.]*%?):(-?[\d.]*%?)\)$")


def _extended(stat: str, values: list[float]) -> float | None:
    values = sorted(values)
    n = len(values)
    if stat == "IQM":
        return _extended("TM(25%:75%)", values)
    m = _SHORT.match(stat)
    if m:
        kind, p = m.group(1), float(m.group(2))
        if kind == "p":
            return values[max(0, math.ceil(p / 100 * n) - 1)]
        return _ranged(kind.upper(), f"{m.group(2)}%", None, values)
    m = _RANGE.match(stat)
    if not m:
        return None
    return _ranged(m.group(1), m.group(3) or None, m.group(2) or None, values)


def _ranged(kind: str, high: str | None, low: str | None, values: list[float]) -> float | None:
    """TM/WM/TC/TS/PR over (low, high]: percentages of the ranks, or values."""
    n = len(values)

    def bound(text: str | None, default: float) -> tuple[float, bool]:
        if text is None:
            return default, True
        if text.endswith("%"):
            return float(text[:-1]), True
        return float(text), False

    lo, lo_pct = bound(low, 0.0)
    hi, hi_pct = bound(high, 100.0)
    if lo_pct and hi_pct and kind != "PR":
        inside = [v for i, v in enumerate(values) if lo / 100 * n < i + 1 <= hi / 100 * n]
        low_v = values[max(0, math.ceil(lo / 100 * n) - 1)] if lo > 0 else values[0]
        high_v = values[max(0, math.ceil(hi / 100 * n) - 1)]
    else:
        lo_v = -math.inf if low is None else lo
        hi_v = math.inf if high is None else hi
        inside = [v for v in values if lo_v < v <= hi_v]
        low_v, high_v = lo_v, hi_v
    if kind == "PR":
        return 100.0 * len(inside) / n if n else None
    if kind == "TC":
        return float(len(inside))
    if kind == "TS":
        return float(sum(inside))
    if kind == "TM":
        return sum(inside) / len(inside) if inside else None
    # WM: values outside the bounds take the bound's value.
    clipped = [min(max(v, low_v), high_v) for v in values]
    return sum(clipped) / n if n else None


def _statistic(stat: str, data: list[Any]) -> float | None:
    if stat in ("SampleCount", "Sum", "Average", "Minimum", "Maximum"):
        return _basic(stat, data)
    values: list[float] = []
    for d in data:
        v = _values(d)
        if v is None:
            return None
        values.extend(v)
    return _extended(stat, values) if values else None


# ------------------------------------------------------------ metric math
# A series is {timestamp: value}; an array is a list of series.

_TOKEN = re.compile(r'\s*(?:(\d+\.?\d*|\.\d+)|([A-Za-z_]\w*)|"([^"]*)"|(==|!=|<=|>=|&&|\|\||[-+*/^()<>,\[\]!]))')


class _MathError(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise _MathError(f"unexpected character at {pos + 1}")
        num, word, string, op = m.groups()
        if num is not None:
            out.append(("num", float(num)))
        elif word is not None:
            out.append(("word", word))
        elif string is not None:
            out.append(("text", string))
        else:
            out.append(("op", op))
        pos = m.end()
    return out


def _zip(a: Any, b: Any, f: Any) -> Any:
    def one(x: Any, y: Any) -> Any:
        if isinstance(x, dict) and isinstance(y, dict):
            return {t: r for t in x.keys() & y.keys() if (r := f(x[t], y[t])) is not None}
        if isinstance(x, dict):
            return {t: r for t, v in x.items() if (r := f(v, y)) is not None}
        if isinstance(y, dict):
            return {t: r for t, v in y.items() if (r := f(x, v)) is not None}
        r = f(x, y)
        if r is None:
            raise _MathError("a number with no value")
        return r

    if isinstance(a, list) and isinstance(b, list):
        raise _MathError("an operator between two arrays")
    if isinstance(a, list):
        return [one(s, b) for s in a]
    if isinstance(b, list):
        return [one(a, s) for s in b]
    return one(a, b)


def _map(a: Any, f: Any) -> Any:
    return _zip(a, 0.0, lambda x, _: f(x))


_BINARY = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y if y != 0 else None,
    "^": lambda x, y: x**y,
    "==": lambda x, y: float(x == y),
    "!=": lambda x, y: float(x != y),
    "<=": lambda x, y: float(x <= y),
    ">=": lambda x, y: float(x >= y),
    "<": lambda x, y: float(x < y),
    ">": lambda x, y: float(x > y),
    "AND": lambda x, y: float(x != 0 and y != 0),
    "&&": lambda x, y: float(x != 0 and y != 0),
    "OR": lambda x, y: float(x != 0 or y != 0),
    "||": lambda x, y: float(x != 0 or y != 0),
}


class _Math:
    """One expression over the request's results (`env`: id → series or value)."""

    def __init__(self, text: str, env: Any, period: int, timeline: list[int]) -> None:
        self.toks = _tokens(text)
        self.at = 0
        self.env = env
        self.period = period
        self.timeline = timeline

    def run(self) -> Any:
        v = self.level(0)
        if self.at != len(self.toks):
            raise _MathError(f"unexpected {self.toks[self.at][1]!r}")
        return v

    def eat(self, *ops: str) -> str | None:
        if self.at < len(self.toks) and self.toks[self.at][0] in ("op", "word") and self.toks[self.at][1] in ops:
            self.at += 1
            return self.toks[self.at - 1][1]
        return None

    _LEVELS = [("OR", "||"), ("AND", "&&"), None, ("==", "!=", "<=", ">=", "<", ">"), ("+", "-"), ("*", "/")]

    def level(self, i: int) -> Any:
        if i == len(self._LEVELS):
            return self.power()
        if self._LEVELS[i] is None:  # NOT
            if self.eat("NOT", "!"):
                return _map(self.level(i), lambda x: float(x == 0))
            return self.level(i + 1)
        left = self.level(i + 1)
        while op := self.eat(*self._LEVELS[i]):
            left = _zip(left, self.level(i + 1), _BINARY[op])
        return left

    def power(self) -> Any:
        base = self.unary()
        if self.eat("^"):
            return _zip(base, self.power(), _BINARY["^"])
        return base

    def unary(self) -> Any:
        if self.eat("-"):
            return _map(self.unary(), lambda x: -x)
        return self.primary()

    def primary(self) -> Any:
        if self.at >= len(self.toks):
            raise _MathError("the expression ends too early")
        kind, value = self.toks[self.at]
        self.at += 1
        if kind in ("num", "text"):
            return value
        if value == "(":
            v = self.level(0)
            self.expect(")")
            return v
        if value == "[":
            items: list[Any] = []
            while True:
                v = self.level(0)
                items.extend(v if isinstance(v, list) else [v])
                if not self.eat(","):
                    break
            self.expect("]")
            return items
        if kind == "word" and self.eat("("):
            args: list[Any] = []
            if not self.eat(")"):
                while True:
                    args.append(self.level(0))
                    if not self.eat(","):
                        break
                self.expect(")")
            return self.call(value, args)
        if kind == "word" and value in ("REPEAT", "LINEAR"):
            return ("keyword", value)
        if kind == "word" and value in self.env:
            return self.env[value]
        raise _MathError(f"unknown id or symbol {value}")

    def expect(self, op: str) -> None:
        if not self.eat(op):
            raise _MathError(f"expected {op}")

    def call(self, name: str, args: list[Any]) -> Any:
        if name in ("SUM", "AVG", "MIN", "MAX"):
            (arr,) = args
            if not isinstance(arr, list):
                raise _MathError(f"{name} of a single time series is a number over the whole range")
            out: dict[int, float] = {}
            for t in sorted(set().union(*[s.keys() for s in arr])) if arr else []:
                vals = [s[t] for s in arr if t in s]
                agg = {"SUM": sum, "AVG": lambda v: sum(v) / len(v), "MIN": min, "MAX": max}[name]
                out[t] = agg(vals)
            return out
        if name == "METRICS":
            text = args[0] if args else ""
            return [s for k, s in self.env.metric_items() if text in k]
        if name == "FILL":
            x, how = args
            return _each(x, lambda s: self.fill(s, how))
        if name == "IF":
            return self.if_(args)
        if name in ("ABS", "CEIL", "FLOOR"):
            f = {"ABS": abs, "CEIL": math.ceil, "FLOOR": math.floor}[name]
            return _map(args[0], lambda x: float(f(x)))
        if name in ("RATE", "DIFF"):
            return _each(args[0], lambda s: _change(s, name == "RATE"))
        if name == "PERIOD":
            return _map(args[0], lambda _: float(self.period))
        raise _MathError(f"unsupported function {name}")

    def fill(self, s: dict[int, float], how: Any) -> dict[int, float]:
        if isinstance(how, float):
            return {t: s.get(t, how) for t in self.timeline}
        out = dict(s)
        if how == ("keyword", "REPEAT"):
            last = None
            for t in self.timeline:
                last = s.get(t, last)
                if last is not None:
                    out[t] = last
            return out
        known = sorted(s)
        for a, b in zip(known, known[1:]):
            for t in self.timeline:
                if a < t < b:
                    out[t] = s[a] + (s[b] - s[a]) * (t - a) / (b - a)
        return out

    def if_(self, args: list[Any]) -> dict[int, float]:
        cond, yes = args[0], args[1]
        no = args[2] if len(args) > 2 else None
        if not isinstance(cond, dict):
            raise _MathError("IF needs a time series condition")

        def at(v: Any, t: int) -> float | None:
            return v.get(t) if isinstance(v, dict) else v

        out = {}
        for t, c in cond.items():
            v = at(yes, t) if c != 0 else at(no, t)
            if v is not None:
                out[t] = v
        return out


def _each(x: Any, f: Any) -> Any:
    if isinstance(x, list):
        return [f(s) for s in x]
    if isinstance(x, dict):
        return f(x)
    raise _MathError("a time series function given a number")


def _change(s: dict[int, float], per_second: bool) -> dict[int, float]:
    out = {}
    ts = sorted(s)
    for a, b in zip(ts, ts[1:]):
        d = s[b] - s[a]
        out[b] = d / (b - a) if per_second else d
    return out


class _Env(dict):
    """Query results by id, remembering which were metrics (for METRICS())."""

    def __init__(self) -> None:
        super().__init__()
        self.metric_ids: list[str] = []

    def metric_items(self) -> list[tuple[str, Any]]:
        return [(k, self[k]) for k in self.metric_ids]


# ------------------------------------------------------------ the handlers


def _buckets(backend: Any, stat_query: dict[str, Any], start: datetime, end: datetime) -> dict[int, float]:
    metric = stat_query["Metric"]
    period = int(stat_query["Period"])
    unit = stat_query.get("Unit")
    dims = sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions") or [])
    t0, t1 = int(start.timestamp()), int(end.timestamp())
    grouped: dict[int, list[Any]] = {}
    for md in backend.get_all_metrics():
        if md.namespace != metric["Namespace"] or md.name != metric["MetricName"]:
            continue
        if sorted((d.name, d.value) for d in md.dimensions) != dims:
            continue
        if unit and md.unit != unit:
            continue
        t = int(_utc(md.timestamp).timestamp())
        if t0 <= t < t1:
            grouped.setdefault(t0 + (t - t0) // period * period, []).append(md)
    out = {}
    for bucket, data in grouped.items():
        v = _statistic(stat_query["Stat"], data)
        if v is not None:
            out[bucket] = v
    return out


def _evaluate(queries: list[dict[str, Any]], backend: Any, start_param: Any, end: datetime) -> dict[str, dict[int, float]]:
    now = utcnow().replace(tzinfo=timezone.utc)
    env = _Env()
    periods: list[int] = []
    for q in queries:
        if "MetricStat" in q:
            period = int(q["MetricStat"]["Period"])
            periods.append(period)
            start = _rounded_start(_utc(start_param), period, now)
            env[q["Id"]] = _buckets(backend, q["MetricStat"], start, end)
            env.metric_ids.append(q["Id"])
    pending = [q for q in queries if "MetricStat" not in q]
    # Expressions may use each other: evaluate until none is left (or none can go).
    while pending:
        progressed = False
        for q in list(pending):
            period = int(q.get("Period") or (periods[0] if periods else 60))
            start = _rounded_start(_utc(start_param), period, now)
            timeline = list(range(int(start.timestamp()), int(end.timestamp()), period))
            try:
                value = _Math(q["Expression"], env, period, timeline).run()
            except _MathError as e:
                if "unknown id" in str(e) and any(p["Id"] in q["Expression"] for p in pending if p is not q):
                    continue
                raise ValidationError(f"Error in expression {q['Id']}: {e}")
            if isinstance(value, (int, float)):
                value = {t: float(value) for t in timeline}
            if not isinstance(value, dict):
                raise ValidationError(f"Error in expression {q['Id']}: the expression must return a single time series")
            env[q["Id"]] = value
            pending.remove(q)
            progressed = True
        if not progressed:
            raise ValidationError(f"Error in expression {pending[0]['Id']}: unknown id")
    return env


def _token(offsets: dict[str, int]) -> str:
    return base64.urlsafe_b64encode(("driftless-gmd:" + json.dumps(offsets)).encode()).decode()


def _offsets(token: str) -> dict[str, int]:
    try:
        raw = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, _, body = raw.partition(":")
        if prefix != "driftless-gmd":
            raise ValueError
        return {str(k): int(v) for k, v in json.loads(body).items()}
    except Exception:
        raise InvalidNextToken("The service cannot find the specified NextToken.")


def get_metric_data(self: Any) -> ActionResult:
    params = self._get_params()
    queries = params.get("MetricDataQueries") or []
    if len(queries) > MAX_QUERIES:
        raise ValidationError(f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}.")
    for i, q in enumerate(queries, 1):
        if "MetricStat" not in q and "Expression" not in q:
            raise ValidationError(f"The parameter MetricDataQueries.member.{i}.MetricStat is required.\n")
    start, end = _utc(params["StartTime"]), _utc(params["EndTime"])
    if start >= end:
        raise ValidationError("The parameter StartTime must be less than the parameter EndTime.")
    descending = (params.get("ScanBy") or "TimestampDescending") == "TimestampDescending"
    budget = int(params.get("MaxDatapoints") or MAX_DATAPOINTS)
    offsets = _offsets(params["NextToken"]) if params.get("NextToken") else {}
    env = _evaluate(queries, self.cloudwatch_backend, params["StartTime"], end)
    # The token keeps every query's position; a finished query stays finished.
    results, positions, partial = [], {}, False
    for q in queries:
        if not q.get("ReturnData", True):
            continue
        series = sorted(env[q["Id"]].items(), reverse=descending)
        skip = offsets.get(q["Id"], 0)
        page = series[skip : skip + max(budget, 0)]
        budget -= len(page)
        positions[q["Id"]] = skip + len(page)
        cut = skip + len(page) < len(series)
        partial = partial or cut
        label = q.get("Label") or (q["MetricStat"]["Metric"]["MetricName"] if "MetricStat" in q else q["Id"])
        results.append(
            {
                "Id": q["Id"],
                "Label": label,
                "Timestamps": [_utc(t) for t, _ in page],
                "Values": [v for _, v in page],
                "StatusCode": "PartialData" if cut else "Complete",
            }
        )
    out: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
    if partial:
        out["NextToken"] = _token(positions)
    return ActionResult(out)


_orig_put_metric_data = CloudWatchResponse.put_metric_data


def put_metric_data(self: Any) -> Any:
    now = utcnow().replace(tzinfo=timezone.utc)
    for i, datum in enumerate(self._get_param("MetricData", []) or [], 1):
        t = datum.get("Timestamp")
        if t is None:
            continue
        when = _utc(t)
        if when < now - PAST or when > now + FUTURE:
            raise InvalidParameterValue(
                f"The parameter MetricData.member.{i}.Timestamp must specify a time within the past two weeks."
            )
    return _orig_put_metric_data(self)


def apply() -> None:
    CloudWatchResponse.get_metric_data = get_metric_data
    CloudWatchResponse.put_metric_data = put_metric_data
