"""Per-(service, operation) request counts and deterministic fault injection.

Counts, fault counters and fault rules are kept per account as well, so tests
running in parallel, each in its own account, neither see each other's counts nor
replace each other's rules: `?account=<12 digits>` on the control endpoints.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

# "drop" closes the connection before the request reaches moto; "drop_response"
# lets moto carry the request out and then closes the connection, so the client
# never sees the answer (a lost response: the write happened).
FAULT_KINDS = ("throttle", "error500", "error503", "latency", "drop", "drop_response")


class Calls:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, dict[str, int]] = {}
        self._by_account: dict[str, dict[str, dict[str, int]]] = {}
        self._faults: dict[str, dict[str, dict[str, int]]] = {}
        self._faults_by_account: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
        # Requests answered with a throttling error by the rate quotas (quotas.py),
        # in all and per account; they are counted in `calls` too.
        self._throttled: dict[str, dict[str, int]] = {}
        self._throttled_by_account: dict[str, dict[str, dict[str, int]]] = {}

    def count(self, service: str, operation: str, account: str | None = None) -> None:
        with self._lock:
            ops = self._calls.setdefault(service, {})
            ops[operation] = ops.get(operation, 0) + 1
            if account:
                per = self._by_account.setdefault(account, {}).setdefault(service, {})
                per[operation] = per.get(operation, 0) + 1

    def count_fault(self, service: str, operation: str, kind: str, account: str | None = None) -> None:
        with self._lock:
            kinds = self._faults.setdefault(service, {}).setdefault(operation, {})
            kinds[kind] = kinds.get(kind, 0) + 1
            if account:
                per = self._faults_by_account.setdefault(account, {}).setdefault(service, {}).setdefault(operation, {})
                per[kind] = per.get(kind, 0) + 1

    def count_throttled(self, service: str, operation: str, account: str | None = None) -> None:
        with self._lock:
            ops = self._throttled.setdefault(service, {})
            ops[operation] = ops.get(operation, 0) + 1
            if account:
                per = self._throttled_by_account.setdefault(account, {}).setdefault(service, {})
                per[operation] = per.get(operation, 0) + 1

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._by_account.clear()
            self._faults.clear()
            self._faults_by_account.clear()
            self._throttled.clear()
            self._throttled_by_account.clear()

    def snapshot(self, account: str | None = None) -> dict[str, Any]:
        """Counts since the last reset; with `account`, only that account's requests
        (so tests running in parallel, each in its own account, count exactly)."""
        with self._lock:
            source = self._calls if account is None else self._by_account.get(account, {})
            calls = {s: dict(ops) for s, ops in source.items()}
            faults_source = self._faults if account is None else self._faults_by_account.get(account, {})
            faults = {
                s: {o: dict(k) for o, k in ops.items()} for s, ops in faults_source.items()
            }
            throttled_source = (
                self._throttled if account is None else self._throttled_by_account.get(account, {})
            )
            throttled = {s: dict(ops) for s, ops in throttled_source.items()}
        return {
            "calls": calls,
            "total": sum(n for ops in calls.values() for n in ops.values()),
            "faults": faults,
            "faultsTotal": sum(
                n for ops in faults.values() for kinds in ops.values() for n in kinds.values()
            ),
            "throttled": throttled,
            "throttledTotal": sum(n for ops in throttled.values() for n in ops.values()),
        }


@dataclass
class FaultRule:
    index: int
    kind: str
    service: str | None = None
    operation: str | None = None
    account: str | None = None  # only requests of this account (parallel tests)
    rate: float = 1.0
    count: int | None = None
    latency_ms: int = 0
    seen: int = 0  # matching requests evaluated so far
    fired: int = 0  # faults injected so far

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "rate": self.rate, "fired": self.fired, "seen": self.seen}
        if self.service:
            out["service"] = self.service
        if self.operation:
            out["operation"] = self.operation
        if self.account:
            out["account"] = self.account
        if self.count is not None:
            out["count"] = self.count
        if self.kind == "latency":
            out["latencyMs"] = self.latency_ms
        return out


@dataclass
class Decision:
    kind: str
    latency_ms: int = 0


class Faults:
    """Rules are evaluated in order for each request. Whether a rule fires on
    its n-th matching request depends only on (seed, rule index, n), so a run
    is reproducible for a given seed and request sequence per operation.

    Rules live in scopes: the global scope (`POST /_driftless/faults`, rules that
    may still name an `account` each) and one scope per account (`POST
    /_driftless/faults?account=<id>`: every rule applies to that account's requests
    only, and installing or clearing them leaves every other scope alone). A request
    meets its account's rules first, then the global ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seed: int = 0
        self.rules: list[FaultRule] = []
        self._scoped: dict[str, tuple[int, list[FaultRule]]] = {}

    @staticmethod
    def _parse(spec: dict[str, Any], account: str | None) -> tuple[int, list[FaultRule]]:
        if not isinstance(spec, dict):
            raise ValueError("fault spec must be a JSON object")
        seed = spec.get("seed", 0)
        rules = []
        for i, r in enumerate(spec.get("rules", [])):
            kind = r.get("kind")
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
            rate = float(r.get("rate", 1.0))
            if not 0.0 <= rate <= 1.0:
                raise ValueError("rate must be within [0, 1]")
            named = r.get("account") or None
            if account is not None and named not in (None, account):
                raise ValueError(f"rule {i} names account {named}, not the scope's {account}")
            count = r.get("count")
            rules.append(
                FaultRule(
                    index=i,
                    kind=kind,
                    service=r.get("service") or None,
                    operation=r.get("operation") or None,
                    account=account or named,
                    rate=rate,
                    count=int(count) if count is not None else None,
                    latency_ms=int(r.get("latencyMs", r.get("latency_ms", 0)) or 0),
                )
            )
        return seed, rules

    def configure(self, spec: dict[str, Any], account: str | None = None) -> None:
        """Replaces the rules of one scope: the global one, or `account`'s."""
        seed, rules = self._parse(spec, account)
        with self._lock:
            if account is None:
                self.seed = seed
                self.rules = rules
            else:
                self._scoped[account] = (seed, rules)

    def clear(self, account: str | None = None) -> None:
        """Without `account`, every rule of every scope; else that account's scope."""
        with self._lock:
            if account is None:
                self.rules = []
                self._scoped.clear()
            else:
                self._scoped.pop(account, None)

    def to_json(self, account: str | None = None) -> dict[str, Any]:
        with self._lock:
            if account is not None:
                seed, rules = self._scoped.get(account, (0, []))
                return {"seed": seed, "account": account, "rules": [r.to_json() for r in rules]}
            return {
                "seed": self.seed,
                "rules": [r.to_json() for r in self.rules],
                "accounts": sorted(self._scoped),
            }

    def decide(self, service: str, operation: str, account: str | None = None) -> tuple[int, Decision | None]:
        """Returns (latency to add in ms, failing decision or None)."""
        latency = 0
        with self._lock:
            scopes = []
            if account is not None and account in self._scoped:
                scopes.append(self._scoped[account])
            scopes.append((self.seed, self.rules))
            for seed, rules in scopes:
                for rule in rules:
                    if rule.account not in (None, account):
                        continue
                    if rule.service not in (None, "*", service):
                        continue
                    if rule.operation not in (None, "*", operation):
                        continue
                    if rule.count is not None and rule.fired >= rule.count:
                        continue
                    n = rule.seen
                    rule.seen += 1
                    draw = random.Random(f"{seed}:{rule.index}:{n}").random()
                    if draw >= rule.rate:
                        continue
                    rule.fired += 1
                    if rule.kind == "latency":
                        latency += rule.latency_ms
                        continue
                    return latency, Decision(rule.kind)
        return latency, None
