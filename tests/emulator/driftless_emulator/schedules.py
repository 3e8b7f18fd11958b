"""Schedule expressions as AWS's references define them: cron(...), rate(...), at(...),
IANA time zones and ISO-8601 dates. Used by rules.py for maintenance windows and
backup rules.

Sources (quoted where a rule is applied):
* Systems Manager user guide, "Reference: Cron and rate expressions for Systems
  Manager" (https://docs.aws.amazon.com/systems-manager/latest/userguide/reference-cron-and-rate-expressions.html),
  as read in awsdocs/aws-systems-manager-user-guide, doc_source/reference-cron-and-rate-expressions.md;
* EventBridge user guide, "Cron expressions reference"
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html), the
  syntax AWS Backup's `ScheduleExpression` uses.

Each function returns the problem as a sentence, or None when the value is valid.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    wildcards: str = ",-*/"


# "Supported values for cron expressions" (Systems Manager user guide; the EventBridge
# table is the same): Minutes 0-59 `, - * /`; Hours 0-23 `, - * /`; Day-of-month 1-31
# `, - * ? / L W`; Month 1-12 or JAN-DEC `, - * /`; Day-of-week 1-7 or SUN-SAT
# `, - * ? / L` (and `#`, "3#2 ... the second Tuesday of the month"); Year 1970-2199 `, - * /`.
FIELDS = (
    Field("Minutes", 0, 59),
    Field("Hours", 0, 23),
    Field("Day-of-month", 1, 31, wildcards=",-*?/LW"),
    Field("Month", 1, 12, MONTHS),
    Field("Day-of-week", 1, 7, DAYS, wildcards=",-*?/L#"),
    Field("Year", 1970, 2199),
)
SECONDS = Field("Seconds", 1, 59)


class CronError(ValueError):
    pass


def _value(text: str, f: Field) -> int:
    upper = text.upper()
    if upper in f.names:
        return f.names.index(upper) + 1
    if not text.isdigit():
        raise CronError(f"'{text}' is not a valid {f.name} value")
    n = int(text)
    if not f.low <= n <= f.high:
        raise CronError(f"{f.name} value {n} is outside {f.low}-{f.high}")
    return n


def _items(text: str, f: Field) -> set[int] | None:
    """The values a field names (None for the day forms ?, L, W, # that name no fixed
    set); CronError when the field is not valid."""
    if text == "?":
        if "?" not in f.wildcards:
            raise CronError(f"'?' is not allowed in the {f.name} field")
        return None
    values: set[int] = set()
    special = False
    items = text.split(",")
    for item in items:
        if not item:
            raise CronError(f"empty list item in the {f.name} field")
        if "#" in item:
            # "If you use the '#' character, you can define only one expression in the
            # day-of-week field. For example, "3#1,6#3" is not valid" (EventBridge).
            if "#" not in f.wildcards:
                raise CronError(f"'#' is not allowed in the {f.name} field")
            if len(items) > 1:
                raise CronError("with '#', the Day-of-week field can hold only one expression")
            day, _, nth = item.partition("#")
            _value(day, f)
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                raise CronError(f"'#{nth}' must be #1 to #5")
            special = True
            continue
        if "L" in item.upper() and f.names != MONTHS:
            if "L" not in f.wildcards:
                raise CronError(f"'L' is not allowed in the {f.name} field")
            upper = item.upper()
            if f.name == "Day-of-month" and upper in ("L", "LW"):
                special = True
                continue
            if f.name == "Day-of-week" and (upper == "L" or (upper.endswith("L") and _value(item[:-1], f))):
                special = True
                continue
            raise CronError(f"'{item}' is not a valid {f.name} value")
        if item.upper().endswith("W") and f.names != DAYS:
            if "W" not in f.wildcards:
                raise CronError(f"'W' is not allowed in the {f.name} field")
            _value(item[:-1], f)
            special = True
            continue
        base, slash, step = item.partition("/")
        if slash and "/" not in f.wildcards:
            raise CronError(f"'/' is not allowed in the {f.name} field")
        if slash and (not step.isdigit() or int(step) < 1):
            raise CronError(f"'{item}': the increment must be a positive number")
        if base == "*":
            low, high = f.low, f.high
        elif "-" in base:
            a, _, b = base.partition("-")
            low, high = _value(a, f), _value(b, f)
        else:
            low = _value(base, f)
            high = f.high if slash else low
        by = int(step) if slash else 1
        if low <= high:
            values.update(range(low, high + 1, by))
        else:  # a range that wraps (FRI-MON)
            span = list(range(low, f.high + 1)) + list(range(f.low, high + 1))
            values.update(span[::by])
    return None if special and not values else values


@dataclass
class Cron:
    minutes: set[int]
    hours: set[int]


def parse_cron(expression: str, seconds_field: bool = False) -> Cron:
    """The minutes and hours of a `cron(...)`; CronError when it is not valid.

    `seconds_field`: Systems Manager's "A seventh field, the Seconds field (the first
    in a cron expression), is optional", "Zero (0) is not supported in the seconds field".
    """
    m = re.fullmatch(r"\s*cron\((.*)\)\s*", expression)
    if not m:
        raise CronError("not a cron(...) expression")
    parts = m.group(1).split()
    if seconds_field and len(parts) == 7:
        _items(parts.pop(0), SECONDS)
    if len(parts) != 6:
        raise CronError(f"a cron expression has 6 fields (minutes hours day-of-month month day-of-week year); this one has {len(parts)}")
    sets = [_items(text, f) for text, f in zip(parts, FIELDS)]
    dom, dow = parts[2], parts[4]
    # "You cannot specify a value in the Day-of-month and in the Day-of-week fields in
    # the same cron expression. If you specify a value in one of the fields, you must
    # use a ? (question mark) in the other field." (Systems Manager and EventBridge)
    if (dom == "?") == (dow == "?"):
        raise CronError("one of the Day-of-month and Day-of-week fields must be '?' and the other a value")
    return Cron(minutes=sets[0] or set(), hours=sets[1] or set())


def shortest_gap_minutes(cron: Cron) -> int | None:
    """The shortest time between two runs within a day, in minutes (None: once an hour
    at most and never in consecutive minutes)."""
    minutes = sorted(cron.minutes)
    hours = sorted(cron.hours)
    gaps = [b - a for a, b in zip(minutes, minutes[1:])]
    consecutive_hours = any(b - a == 1 for a, b in zip(hours, hours[1:]))
    if minutes and consecutive_hours:
        gaps.append(60 - minutes[-1] + minutes[0])
    return min(gaps) if gaps else None


# "Required fields for rate expressions": Value "positive number, such as 1 or 15";
# Unit "minute minutes hour hours day days". "If the value is equal to 1, then the unit
# must be singular. Similarly, for values greater than 1, the unit must be plural. For
# example, rate(1 hours) and rate(5 hour) are not valid" (Systems Manager user guide).
_RATE = re.compile(r"\s*rate\(\s*(\d+)\s+([a-z]+)\s*\)\s*")


def rate_problem(expression: str) -> str | None:
    m = _RATE.fullmatch(expression)
    if not m:
        return "not a rate(value unit) expression"
    value, unit = int(m.group(1)), m.group(2)
    if value < 1:
        return "the value of a rate expression must be a positive number"
    if unit not in ("minute", "minutes", "hour", "hours", "day", "days"):
        return f"'{unit}' is not a rate unit (minute, minutes, hour, hours, day, days)"
    if (value == 1) != (not unit.endswith("s")):
        return "the unit must be singular for a value of 1 and plural otherwise"
    return None


def at_problem(expression: str) -> str | None:
    """"you can specify a timestamp in Coordinated Universal Time (UTC) format so that
    it runs once at the specified time. For example: "at(2020-07-07T15:55:00)\""""
    m = re.fullmatch(r"\s*at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)\s*", expression)
    if not m:
        return "not an at(yyyy-mm-ddThh:mm:ss) expression"
    try:
        dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return f"'{m.group(1)}' is not a valid date and time"
    return None


_ZONES: set[str] | None = None


def timezone_problem(name: str) -> str | None:
    """An IANA Time Zone Database name ("in Internet Assigned Numbers Authority (IANA)
    format. For example: "America/Los_Angeles", "UTC", or "Asia/Seoul"")."""
    global _ZONES
    if _ZONES is None:
        _ZONES = set(zoneinfo.available_timezones())
    return None if name in _ZONES else f"'{name}' is not a time zone of the IANA Time Zone Database"


_ISO_EXTENDED = re.compile(
    r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?"
)


def iso8601_problem(value: str) -> str | None:
    """"The date and time, in ISO-8601 Extended format" (CreateMaintenanceWindow
    StartDate/EndDate; "For example: 2021-04-07T14:29:00-08:00")."""
    if not _ISO_EXTENDED.fullmatch(value):
        return f"'{value}' is not a date and time in ISO-8601 extended format"
    text = value.replace("Z", "+00:00")
    if "." in text:  # fromisoformat takes at most microseconds
        head, _, tail = text.partition(".")
        digits = re.match(r"\d+", tail).group(0)  # type: ignore[union-attr]
        text = head + "." + digits[:6].ljust(6, "0") + tail[len(digits):]
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return f"'{value}' is not a valid date and time"
    return None


def date_problem(value: str) -> str | None:
    """`YYYY-MM-DD` ("Enter dates in the format YYYY-MM-DD. For example, 2025-11-16.",
    PatchRule ApproveUntilDate)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return f"'{value}' is not a date in the format YYYY-MM-DD"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"'{value}' is not a valid date"
    return None
