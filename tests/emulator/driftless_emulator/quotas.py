"""AWS's default API request rates, enforced as token buckets (opt-in).

Off unless `DRIFTLESS_EMULATOR_QUOTAS=aws` is set at startup or `POST
/_driftless/quotas` turns it on. When on, every request of an operation listed in
`RATES` takes a token from the bucket of its (account, region, service,
operation): AWS applies these quotas per account and per Region. A bucket holds
at most `burst` tokens and refills at `rate` tokens a second; a request finding
it empty is answered with the service's throttling error (`throttle_response`)
and never reaches moto. Operations not in `RATES` are not limited.

The figures and their sources are listed in tests/emulator/README.md ("Rate
quotas"); where AWS publishes no figure the table says so and gives the one
chosen here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from .errors import error_response
from .models import service_model

# (service, operation) -> requests per second. Burst: AWS does not publish
# bucket sizes for these APIs; the emulator allows one second's worth
# (`burst = rate`), so a client that keeps to the rate is never throttled.
RATES: dict[tuple[str, str], float] = {
    # CloudWatch user guide, "CloudWatch service quotas".
    ("cloudwatch", "DescribeAlarms"): 9,
    ("cloudwatch", "PutMetricAlarm"): 3,
    ("cloudwatch", "DeleteAlarms"): 3,
    ("cloudwatch", "GetMetricData"): 50,
    # Not published: chosen as PutMetricAlarm's.
    ("cloudwatch", "PutCompositeAlarm"): 3,
    # Not published: chosen.
    ("cloudwatch", "ListTagsForResource"): 10,
    ("cloudwatch", "TagResource"): 10,
    ("cloudwatch", "UntagResource"): 10,
    # CloudWatch Logs user guide, "CloudWatch Logs quotas": DescribeLogGroups.
    ("logs", "DescribeLogGroups"): 5,
    # Not published per operation in the sources used: chosen (5, as
    # DescribeLogGroups).
    ("logs", "ListTagsForResource"): 5,
    ("logs", "CreateLogGroup"): 5,
    ("logs", "DeleteLogGroup"): 5,
    ("logs", "PutRetentionPolicy"): 5,
    ("logs", "DeleteRetentionPolicy"): 5,
    ("logs", "AssociateKmsKey"): 5,
    ("logs", "DisassociateKmsKey"): 5,
    ("logs", "TagResource"): 5,
    ("logs", "UntagResource"): 5,
    ("logs", "DescribeMetricFilters"): 5,
    ("logs", "PutMetricFilter"): 5,
    ("logs", "DeleteMetricFilter"): 5,
    # CloudTrail: LookupEvents 2 per second per account per Region.
    ("cloudtrail", "LookupEvents"): 2,
}

# Systems Manager, AWS Backup, the tagging API, STS, SNS and AWS Config: no per-operation
# figure found in the sources used; every operation driftless calls gets the rate
# chosen for its service.
_SERVICE_RATES: dict[str, tuple[float, tuple[str, ...]]] = {
    "ssm": (
        10,
        (
            "ListTagsForResource", "AddTagsToResource", "RemoveTagsFromResource",
            "DescribePatchBaselines", "DescribePatchGroups", "GetPatchBaseline",
            "CreatePatchBaseline", "UpdatePatchBaseline", "DeletePatchBaseline",
            "RegisterPatchBaselineForPatchGroup", "DeregisterPatchBaselineForPatchGroup",
            "RegisterDefaultPatchBaseline", "DescribeMaintenanceWindows",
            "GetMaintenanceWindow", "DescribeMaintenanceWindowTargets",
            "DescribeMaintenanceWindowTasks", "GetMaintenanceWindowTask",
            "CreateMaintenanceWindow", "UpdateMaintenanceWindow", "DeleteMaintenanceWindow",
            "ListAssociations", "DescribeAssociation", "CreateAssociation",
            "UpdateAssociation", "DeleteAssociation",
            "RegisterTargetWithMaintenanceWindow", "UpdateMaintenanceWindowTarget",
            "DeregisterTargetFromMaintenanceWindow", "RegisterTaskWithMaintenanceWindow",
            "UpdateMaintenanceWindowTask", "DeregisterTaskFromMaintenanceWindow",
        ),
    ),
    "backup": (
        10,
        (
            "ListTags", "TagResource", "UntagResource", "ListBackupVaults",
            "DescribeBackupVault", "CreateBackupVault", "DeleteBackupVault",
            "ListRecoveryPointsByBackupVault", "DeleteRecoveryPoint", "ListBackupPlans",
            "GetBackupPlan", "ListBackupSelections", "GetBackupSelection",
            "CreateBackupPlan", "UpdateBackupPlan", "DeleteBackupPlan",
            "CreateBackupSelection", "DeleteBackupSelection",
            "GetBackupVaultAccessPolicy", "PutBackupVaultAccessPolicy",
            "DeleteBackupVaultAccessPolicy", "GetBackupVaultNotifications",
            "PutBackupVaultNotifications", "DeleteBackupVaultNotifications",
            "PutBackupVaultLockConfiguration", "DeleteBackupVaultLockConfiguration",
        ),
    ),
    "resourcegroupstaggingapi": (10, ("GetResources",)),
    "sts": (20, ("GetCallerIdentity",)),
    "sns": (30, ("Publish",)),
    "config": (
        5,
        (
            "DescribeConfigRules", "DescribeRemediationConfigurations", "ListTagsForResource",
            "PutConfigRule", "DeleteConfigRule", "PutRemediationConfigurations",
            "DeleteRemediationConfiguration", "TagResource", "UntagResource",
            "GetComplianceDetailsByConfigRule", "DescribeConfigurationAggregators",
            "PutConfigurationAggregator", "DeleteConfigurationAggregator",
            "DescribeConformancePacks", "DescribeConformancePackCompliance",
            "PutConformancePack", "DeleteConformancePack",
            "DescribeConfigurationRecorders", "DescribeConfigurationRecorderStatus",
            "DescribeDeliveryChannels", "PutConfigurationRecorder", "PutDeliveryChannel",
            "StartConfigurationRecorder", "StopConfigurationRecorder", "DeleteDeliveryChannel",
            "DeleteConfigurationRecorder",
        ),
    ),
    "organizations": (5, ("ListChildren", "ListAccountsForParent", "DescribeAccount")),
}
for _service, (_rate, _ops) in _SERVICE_RATES.items():
    for _op in _ops:
        RATES[(_service, _op)] = _rate

MODES = ("aws", "off")


@dataclass
class Limit:
    rate: float
    burst: float


class _Bucket:
    __slots__ = ("tokens", "stamp")

    def __init__(self, burst: float, now: float) -> None:
        self.tokens = burst
        self.stamp = now

    def take(self, limit: Limit, now: float) -> bool:
        self.tokens = min(limit.burst, self.tokens + (now - self.stamp) * limit.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def _limit(value: Any, what: str) -> Limit:
    if not isinstance(value, dict):
        raise ValueError(f"{what}: expected {{\"rate\": N, \"burst\": M}}")
    rate = value.get("rate")
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 < rate <= 100000:
        raise ValueError(f"{what}: rate must be a number in (0, 100000]")
    burst = value.get("burst", rate)
    if not isinstance(burst, (int, float)) or isinstance(burst, bool) or not 1 <= burst <= 100000:
        raise ValueError(f"{what}: burst must be a number in [1, 100000]")
    return Limit(float(rate), float(burst))


class Quotas:
    """The quota mode, the limits in force, and one bucket per (account, region,
    service, operation)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.mode = "off"
        self.limits: dict[tuple[str, str], Limit] = {}
        self._buckets: dict[tuple[str, str, str, str], _Bucket] = {}

    def configure(self, spec: Any) -> None:
        """`{"mode": "aws", "overrides": {"cloudwatch.PutMetricAlarm": {"rate": 3,
        "burst": 3}}}`; overrides only change operations of the table."""
        if not isinstance(spec, dict):
            raise ValueError("quota spec must be a JSON object")
        unknown = set(spec) - {"mode", "overrides"}
        if unknown:
            raise ValueError(f"unknown quota spec keys {sorted(unknown)}; expected mode, overrides")
        mode = spec.get("mode", "aws")
        if mode not in MODES:
            raise ValueError(f"unknown quota mode {mode!r}; expected one of {MODES}")
        limits = {key: Limit(rate, rate) for key, rate in RATES.items()}
        overrides = spec.get("overrides", {})
        if not isinstance(overrides, dict):
            raise ValueError("overrides must be an object of \"service.Operation\": {rate, burst}")
        for name, value in overrides.items():
            service, _, op = str(name).partition(".")
            if (service, op) not in limits:
                raise ValueError(f"override {name!r}: not an operation with a quota here")
            limits[(service, op)] = _limit(value, f"override {name!r}")
        with self._lock:
            self.mode = mode
            self.limits = limits if mode == "aws" else {}
            self._buckets.clear()

    def clear(self) -> None:
        with self._lock:
            self.mode = "off"
            self.limits = {}
            self._buckets.clear()

    def admit(self, service: str, operation: str, account: str, region: str) -> bool:
        """True when the request may go on; False when it is over its quota."""
        with self._lock:
            limit = self.limits.get((service, operation))
            if limit is None:
                return True
            now = self._clock()
            key = (account, region, service, operation)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(limit.burst, now)
            return bucket.take(limit, now)

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "mode": self.mode,
                "quotas": [
                    {"service": s, "operation": o, "rate": l.rate, "burst": l.burst}
                    for (s, o), l in sorted(self.limits.items())
                ],
            }


def _modeled_throttle(service: str, operation: str) -> tuple[str, int] | None:
    """(code, HTTP status) of the throttling error the botocore model gives the
    operation (else any operation of the service), if it models one."""
    model = service_model(service)
    ops = [operation] if operation in model.operation_names else []
    for names in (ops, list(model.operation_names)):
        for name in names:
            for shape in model.operation_model(name).error_shapes:
                if shape.name in ("ThrottlingException", "ThrottledException"):
                    meta = shape.metadata.get("error") or {}
                    return meta.get("code", shape.name), int(meta.get("httpStatusCode", 400))
    return None


def throttle_response(service: str, protocol: str, operation: str) -> tuple[int, list, bytes]:
    """The service's own over-quota answer: the throttling error its model
    defines (Logs, SSM, CloudTrail `ThrottlingException`; the tagging API
    `ThrottledException`; SNS `Throttled`, HTTP 429), else AWS's common error:
    `Throttling` for awsQuery and query-compatible services (CloudWatch, STS),
    `ThrottlingException` for the others (Backup), HTTP 400."""
    try:
        modeled = _modeled_throttle(service, operation)
    except Exception:  # an unknown service: the common error
        modeled = None
    if modeled is not None:
        code, status = modeled
        query_code = code
    elif protocol in ("query", "ec2") or service in ("cloudwatch", "sts"):
        code, status, query_code = "Throttling", 400, "Throttling"
        if protocol not in ("query", "ec2"):
            code = "ThrottlingException"
    else:
        code, status, query_code = "ThrottlingException", 400, None
    return error_response(service, protocol, status, code, "Rate exceeded", query_code=query_code)
