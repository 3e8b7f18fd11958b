"""AWS Backup: plan updates, backup selections, idempotency.

(Recovery points and vault deletion: ext_backup_recovery.py.)

moto 5.2.5 has no UpdateBackupPlan, no backup selections and no
ListRecoveryPointsByBackupVault (500/404); it ignores CreatorRequestId (a
retried CreateBackupPlan fails with AlreadyExistsException), counts deleted
plans against name uniqueness, lets a plan with selections be deleted, and
leaves backup plans out of the tagging API.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from copy import deepcopy
from typing import Any

from moto.backup import models as backup_models
from moto.backup import urls as backup_urls
from moto.backup.exceptions import (
    AlreadyExistsException,
    InvalidParameterValueException,
    InvalidRequestException,
    ResourceNotFoundException,
)
from moto.backup.responses import BackupResponse
from moto.core.resource_tagging import TaggedResource
from moto.core.responses import ActionResult, EmptyResult
from moto.moto_api._internal import mock_random

Backend = backup_models.BackupBackend


def _ts(value: float | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)


def _selections(backend: Any) -> dict[str, dict[str, dict[str, Any]]]:
    return backend.__dict__.setdefault("_driftless_selections", {})


def _uri(resp: Any, name: str) -> str:
    value = (getattr(resp, "uri_match", None) or {}).get(name)
    if value is None:
        patterns = {
            "backupPlanId": r"/backup/plans/([^/]+)",
            "selectionId": r"/selections/([^/]+)",
            "backupVaultName": r"/backup-vaults/([^/]+)",
        }
        m = re.search(patterns[name], resp.path)
        value = m.group(1) if m else ""
    from urllib.parse import unquote

    return unquote(value)


def _query(resp: Any, name: str) -> str | None:
    values = resp.querystring.get(name)
    if isinstance(values, list):
        return values[0] if values else None
    return values


def _body(resp: Any) -> dict[str, Any]:
    raw = resp.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return json.loads(raw or "{}")


def _live_plan(backend: Any, plan_id: str) -> Any:
    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise ResourceNotFoundException(msg="Failed reading Backup plan with provided version")
    return plan


def _normalise_rules(backup_plan: dict[str, Any]) -> dict[str, Any]:
    backup_plan = deepcopy(backup_plan)
    for rule in backup_plan.get("Rules", []):
        rule.setdefault("ScheduleExpression", "cron(0 5 ? * * *)")
        rule.setdefault("StartWindowMinutes", 480)
        rule.setdefault("CompletionWindowMinutes", 10080)
        rule.setdefault("ScheduleExpressionTimezone", "Etc/UTC")
        rule["RuleId"] = str(mock_random.uuid4())
    return backup_plan


def _plan_result(plan: Any) -> dict[str, Any]:
    out = {
        "BackupPlanId": plan.backup_plan_id,
        "BackupPlanArn": plan.backup_plan_arn,
        "CreationDate": _ts(plan.creation_date),
        "VersionId": plan.version_id,
    }
    if plan.advanced_backup_settings:
        out["AdvancedBackupSettings"] = plan.advanced_backup_settings
    return out


# ------------------------------------------------------------------- plans


def create_backup_plan(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.backup_backend
    request_id = params.get("CreatorRequestId")
    if request_id:
        for plan in backend.plans.values():
            if plan.deletion_date is None and plan.creator_request_id == request_id:
                return ActionResult(_plan_result(plan))
    name = params["BackupPlan"]["BackupPlanName"]
    if any(p.deletion_date is None and p.backup_plan.get("BackupPlanName") == name for p in backend.plans.values()):
        raise AlreadyExistsException(msg="Backup plan with the same plan document already exists")
    plan = backup_models.Plan(
        backup_plan=deepcopy(params["BackupPlan"]), creator_request_id=request_id, backend=backend
    )
    if params.get("BackupPlanTags"):
        backend.tag_resource(plan.backup_plan_arn, params["BackupPlanTags"])
    backend.plans[plan.backup_plan_id] = plan
    return ActionResult(_plan_result(plan))


def update_backup_plan(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.backup_backend
    plan = _live_plan(backend, _uri(self, "backupPlanId"))
    new_plan = _normalise_rules(params["BackupPlan"])
    plan.backup_plan = new_plan
    plan.advanced_backup_settings = new_plan.get("AdvancedBackupSettings") or []
    plan.version_id = mock_random.get_random_string(length=48)
    return ActionResult(_plan_result(plan))


_orig_delete_plan = BackupResponse.delete_backup_plan


def delete_backup_plan(self: Any) -> Any:
    backend = self.backup_backend
    plan_id = _uri(self, "backupPlanId")
    if _selections(backend).get(plan_id):
        raise InvalidRequestException(
            msg="Related backup plan selections must be deleted prior to backup plan deletion"
        )
    return _orig_delete_plan(self)


# --------------------------------------------------------------- selections


def create_backup_selection(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.backup_backend
    plan_id = _uri(self, "backupPlanId")
    _live_plan(backend, plan_id)
    selection = params.get("BackupSelection") or {}
    request_id = params.get("CreatorRequestId")
    plan_selections = _selections(backend).setdefault(plan_id, {})
    if request_id:
        for sel in plan_selections.values():
            if sel["CreatorRequestId"] == request_id:
                return ActionResult(
                    {"SelectionId": sel["SelectionId"], "BackupPlanId": plan_id, "CreationDate": sel["CreationDate"]}
                )
    if not selection.get("SelectionName") or not selection.get("IamRoleArn"):
        raise InvalidParameterValueException(msg="SelectionName and IamRoleArn are required")
    sel = {
        "SelectionId": str(mock_random.uuid4()),
        "BackupPlanId": plan_id,
        "BackupSelection": deepcopy(selection),
        "CreationDate": dt.datetime.now(tz=dt.timezone.utc),
        "CreatorRequestId": request_id,
    }
    plan_selections[sel["SelectionId"]] = sel
    return ActionResult({"SelectionId": sel["SelectionId"], "BackupPlanId": plan_id, "CreationDate": sel["CreationDate"]})


def _get_selection(backend: Any, plan_id: str, selection_id: str) -> dict[str, Any]:
    sel = _selections(backend).get(plan_id, {}).get(selection_id)
    if sel is None:
        raise ResourceNotFoundException(msg=f"Backup selection {selection_id} not found in plan {plan_id}")
    return sel


def get_backup_selection(self: Any) -> ActionResult:
    sel = _get_selection(self.backup_backend, _uri(self, "backupPlanId"), _uri(self, "selectionId"))
    return ActionResult({k: v for k, v in sel.items() if v is not None})


def list_backup_selections(self: Any) -> ActionResult:
    backend = self.backup_backend
    plan_id = _uri(self, "backupPlanId")
    _live_plan(backend, plan_id)
    items = [
        {
            k: v
            for k, v in {
                "SelectionId": s["SelectionId"],
                "SelectionName": s["BackupSelection"].get("SelectionName"),
                "BackupPlanId": plan_id,
                "CreationDate": s["CreationDate"],
                "CreatorRequestId": s["CreatorRequestId"],
                "IamRoleArn": s["BackupSelection"].get("IamRoleArn"),
            }.items()
            if v is not None
        }
        for s in sorted(_selections(backend).get(plan_id, {}).values(), key=lambda s: s["CreationDate"])
    ]
    token = _query(self, "nextToken") or "0"
    if not str(token).isdigit():  # a token this listing did not hand out
        raise InvalidParameterValueException(msg="The nextToken is not valid.")
    start = int(token)
    size = int(_query(self, "maxResults") or 1000)
    result: dict[str, Any] = {"BackupSelectionsList": items[start : start + size]}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return ActionResult(result)


def delete_backup_selection(self: Any) -> EmptyResult:
    backend = self.backup_backend
    plan_id, selection_id = _uri(self, "backupPlanId"), _uri(self, "selectionId")
    _get_selection(backend, plan_id, selection_id)
    del _selections(backend)[plan_id][selection_id]
    return EmptyResult()


# ------------------------------------------------------------------ tagging

_orig_iter = Backend.iter_tagged_resources


def iter_tagged_resources(self: Any):  # type: ignore[no-untyped-def]
    yield from _orig_iter(self)
    for plan in list(self.plans.values()):
        if plan.deletion_date is not None:
            continue
        yield TaggedResource(
            arn=plan.backup_plan_arn,
            tags=self.tagger.get_tag_dict_for_resource(plan.backup_plan_arn),
            resource_type="backup:backup-plan",
        )


def list_tags(self: Any) -> str:
    """ListTags: the ARN is the path's last segment. moto takes the one before it,
    which only works with a trailing slash; the Rust SDK sends none."""
    from urllib.parse import unquote

    path = self.path.split("?")[0].rstrip("/")
    resource_arn = unquote(path.split("/tags/", 1)[1]) if "/tags/" in path else ""
    return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=resource_arn)})


def apply() -> None:
    for path in ("recovery-points/$", "recovery-points$"):
        backup_urls.url_paths["{0}/backup-vaults/(?P<name>[^/]+)/" + path] = BackupResponse.dispatch
    Backend.iter_tagged_resources = iter_tagged_resources
    for fn in (
        create_backup_plan,
        update_backup_plan,
        delete_backup_plan,
        create_backup_selection,
        get_backup_selection,
        list_backup_selections,
        delete_backup_selection,
        list_tags,
    ):
        setattr(BackupResponse, fn.__name__, fn)
