"""CloudWatch Logs: AWS's strictness on retention periods.

moto 5.2.5 accepts any retentionInDays; AWS only takes a fixed set and answers
InvalidParameterException (HTTP 400) otherwise. driftless relies on that.
"""

from __future__ import annotations

import json
from typing import Any

from moto.logs.exceptions import InvalidParameterException
from moto.logs.responses import LogsResponse

VALID_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
    2192, 2557, 2922, 3288, 3653,
)

_orig_put_retention_policy = LogsResponse.put_retention_policy


def put_retention_policy(self: Any) -> Any:
    raw = self.body.decode() if isinstance(self.body, bytes) else self.body
    days = json.loads(raw or "{}").get("retentionInDays")
    if days not in VALID_RETENTION_DAYS:
        raise InvalidParameterException(
            constraint="Member must satisfy enum value set: ["
            + ", ".join(str(d) for d in VALID_RETENTION_DAYS)
            + "]",
            parameter="retentionInDays",
            value=days,
        )
    return _orig_put_retention_policy(self)


def apply() -> None:
    LogsResponse.put_retention_policy = put_retention_policy
