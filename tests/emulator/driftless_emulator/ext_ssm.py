"""SSM: patch baselines, patch groups, default baselines, maintenance windows.

moto 5.2.5 answers 500 (NotImplemented) for GetPatchBaseline,
UpdatePatchBaseline, DescribePatchGroups, Register/GetDefaultPatchBaseline,
UpdateMaintenanceWindow(+Target/+Task) and GetMaintenanceWindowTask; rejects
tags on patch baselines (InvalidResourceId, also for CreatePatchBaseline with
Tags); ignores ClientToken; keeps patch-group registrations in a structure
whose Deregister does not deregister; and leaves maintenance windows and patch
baselines out of the tagging API. It also stored a task's Lambda `Payload` (a
blob) as the base64 text of the wire, which its serialiser encoded again, and
gave tasks without targets no placeholder limits. Everything here lives on moto's own SSM
backend objects so that state stays in one place.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from copy import deepcopy
from importlib import resources
from typing import Any

from moto.ssm.exceptions import SSMException
from moto.core.resource_tagging import TaggedResource
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ssm import models as ssm_models
from moto.ssm.responses import SimpleSystemManagerResponse as SSMResponse

from . import models

Backend = ssm_models.SimpleSystemManagerBackend


def _err(code: str, message: str) -> SSMException:
    # moto finds the service model of an error through its module: use SSM's class
    return SSMException(code, message)


def _body(resp: Any) -> dict[str, Any]:
    raw = resp.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return json.loads(raw or "{}")


def _blobs_to_bytes(shape: Any, value: Any) -> Any:
    """`value` with every blob member (by the botocore model's `shape`) decoded from
    the base64 the JSON protocol carries it in. moto's response serialiser encodes
    blobs (bytes) once, so storing the wire text would send it back encoded twice
    (a maintenance-window task's Lambda `Payload`: MaintenanceWindowLambdaPayload)."""
    t = shape.type_name
    if t == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            return value.encode()
    if t == "structure" and isinstance(value, dict):
        return {
            k: _blobs_to_bytes(shape.members[k], v) if k in shape.members else v for k, v in value.items()
        }
    if t == "list" and isinstance(value, list):
        return [_blobs_to_bytes(shape.member, v) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: _blobs_to_bytes(shape.value, v) for k, v in value.items()}
    return value


def _invocation(params: dict[str, Any]) -> Any:
    """The request's TaskInvocationParameters with its blobs as bytes."""
    value = params.get("TaskInvocationParameters")
    if value is None:
        return None
    shape = models.service_model("ssm").shape_for("MaintenanceWindowTaskInvocationParameters")
    return _blobs_to_bytes(shape, value)


def _state(backend: Any) -> dict[str, Any]:
    st = backend.__dict__.get("_driftless")
    if st is None:
        st = backend.__dict__.setdefault(
            "_driftless",
            {"tokens": {}, "patch_groups": {}, "defaults": {}},
        )
    return st


def _fingerprint(params: dict[str, Any]) -> str:
    clean = {k: v for k, v in params.items() if k != "ClientToken"}
    return hashlib.sha256(json.dumps(clean, sort_keys=True, default=str).encode()).hexdigest()


def _idempotent(backend: Any, op: str, params: dict[str, Any], create, exists) -> str:  # type: ignore[no-untyped-def]
    token = params.get("ClientToken")
    tokens = _state(backend)["tokens"]
    fp = _fingerprint(params)
    if token and (op, token) in tokens:
        old_fp, rid = tokens[(op, token)]
        if exists(rid):
            if old_fp != fp:
                raise _err(
                    "IdempotentParameterMismatch",
                    "Error in the idempotency token: the request parameters differ from the earlier call with this ClientToken.",
                )
            return rid
    rid = create()
    if token:
        tokens[(op, token)] = (fp, rid)
    return rid


# ------------------------------------------------------------ AWS defaults

_aws_defaults: dict[str, dict[str, str]] | None = None


def _aws_default_baselines(region: str) -> dict[str, str]:
    global _aws_defaults
    if _aws_defaults is None:
        data = (resources.files("moto") / "ssm/resources/default_baselines.json.gz").read_bytes()
        _aws_defaults = json.loads(gzip.decompress(data))
    return _aws_defaults.get(region) or _aws_defaults.get("us-east-1", {})


def _default_baseline(backend: Any, operating_system: str) -> str:
    registered = _state(backend)["defaults"].get(operating_system)
    if registered:
        return registered
    return _aws_default_baselines(backend.region_name).get(operating_system, "")


def _baseline_arn(backend: Any, baseline_id: str) -> str:
    return f"arn:{backend.partition}:ssm:{backend.region_name}:{backend.account_id}:patchbaseline/{baseline_id}"


def _window_arn(backend: Any, window_id: str) -> str:
    return f"arn:{backend.partition}:ssm:{backend.region_name}:{backend.account_id}:maintenancewindow/{window_id}"


def _get_baseline(backend: Any, baseline_id: str) -> Any:
    if baseline_id.startswith("arn:"):
        baseline_id = baseline_id.rsplit("/", 1)[-1]
    baseline = backend.baselines.get(baseline_id)
    if baseline is None:
        raise _err("DoesNotExistException", f"Patch Baseline {baseline_id} does not exist.")
    return baseline


def _get_window(backend: Any, window_id: str) -> Any:
    window = backend.windows.get(window_id)
    if window is None:
        raise _err("DoesNotExistException", f"Maintenance window {window_id} does not exist")
    return window


def _patch_groups_of(backend: Any, baseline_id: str) -> list[str]:
    return sorted(
        group
        for group, by_os in _state(backend)["patch_groups"].items()
        if baseline_id in by_os.values()
    )


def _baseline_doc(backend: Any, b: Any, with_groups: bool) -> dict[str, Any]:
    doc = {
        "BaselineId": b.id,
        "Name": b.name,
        "OperatingSystem": b.operating_system,
        "GlobalFilters": b.global_filters or None,
        "ApprovalRules": b.approval_rules or None,
        "ApprovedPatches": b.approved_patches or [],
        "ApprovedPatchesComplianceLevel": b.approved_patches_compliance_level,
        "ApprovedPatchesEnableNonSecurity": b.approved_patches_enable_non_security,
        "RejectedPatches": b.rejected_patches or [],
        "RejectedPatchesAction": b.rejected_patches_action,
        "CreatedDate": getattr(b, "created_date", None),
        "ModifiedDate": getattr(b, "modified_date", None),
        "Description": b.description,
        "Sources": b.sources or [],
        "AvailableSecurityUpdatesComplianceStatus": getattr(b, "available_security_updates_compliance_status", None),
    }
    if with_groups:
        doc["PatchGroups"] = _patch_groups_of(backend, b.id)
    return {k: v for k, v in doc.items() if v is not None}


# --------------------------------------------------------- patch baselines


def create_patch_baseline(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    os_name = params.get("OperatingSystem") or "WINDOWS"

    def create() -> str:
        baseline_id = backend.create_patch_baseline(
            name=params.get("Name"),
            operating_system=os_name,
            global_filters=params.get("GlobalFilters"),
            approval_rules=params.get("ApprovalRules"),
            approved_patches=params.get("ApprovedPatches", []),
            approved_patches_compliance_level=params.get("ApprovedPatchesComplianceLevel", "UNSPECIFIED"),
            approved_patches_enable_non_security=params.get("ApprovedPatchesEnableNonSecurity", False),
            rejected_patches=params.get("RejectedPatches", []),
            rejected_patches_action=params.get("RejectedPatchesAction", "ALLOW_AS_DEPENDENCY"),
            description=params.get("Description"),
            sources=params.get("Sources", []),
            tags=params.get("Tags", []),
        )
        b = backend.baselines[baseline_id]
        b.created_date = b.modified_date = utcnow()
        b.available_security_updates_compliance_status = params.get("AvailableSecurityUpdatesComplianceStatus")
        return baseline_id

    baseline_id = _idempotent(backend, "CreatePatchBaseline", params, create, lambda i: i in backend.baselines)
    return ActionResult({"BaselineId": baseline_id})


def get_patch_baseline(self: Any) -> ActionResult:
    backend = self.ssm_backend
    b = _get_baseline(backend, _body(self)["BaselineId"])
    return ActionResult(_baseline_doc(backend, b, with_groups=True))


_BASELINE_FIELDS = {
    "Name": "name",
    "GlobalFilters": "global_filters",
    "ApprovalRules": "approval_rules",
    "ApprovedPatches": "approved_patches",
    "ApprovedPatchesComplianceLevel": "approved_patches_compliance_level",
    "ApprovedPatchesEnableNonSecurity": "approved_patches_enable_non_security",
    "RejectedPatches": "rejected_patches",
    "RejectedPatchesAction": "rejected_patches_action",
    "Description": "description",
    "Sources": "sources",
    "AvailableSecurityUpdatesComplianceStatus": "available_security_updates_compliance_status",
}


# What a field left out of UpdatePatchBaseline with Replace=true becomes: the
# value CreatePatchBaseline gives it when absent (API_UpdatePatchBaseline.html:
# "If True, then all fields that are required by the CreatePatchBaseline
# operation are also required for this API request. Optional fields that are
# not specified are set to null"; AWS reports the enum/boolean fields at their
# defaults, as GetPatchBaseline of a fresh baseline does).
_BASELINE_DEFAULTS: dict[str, Any] = {
    "GlobalFilters": None,
    "ApprovalRules": None,
    "ApprovedPatches": [],
    "ApprovedPatchesComplianceLevel": "UNSPECIFIED",
    "ApprovedPatchesEnableNonSecurity": False,
    "RejectedPatches": [],
    "RejectedPatchesAction": "ALLOW_AS_DEPENDENCY",
    "Description": None,
    "Sources": [],
    "AvailableSecurityUpdatesComplianceStatus": None,
}


def update_patch_baseline(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    b = _get_baseline(backend, params["BaselineId"])
    replace = bool(params.get("Replace"))
    for key, attr in _BASELINE_FIELDS.items():
        if key in params:
            setattr(b, attr, params[key])
        elif replace and key in _BASELINE_DEFAULTS:
            setattr(b, attr, deepcopy(_BASELINE_DEFAULTS[key]))
    b.modified_date = utcnow()
    return ActionResult(_baseline_doc(backend, b, with_groups=False))


def delete_patch_baseline(self: Any) -> ActionResult:
    backend = self.ssm_backend
    baseline_id = _body(self)["BaselineId"]
    if baseline_id in backend.baselines:
        if _patch_groups_of(backend, baseline_id):
            raise _err(
                "ResourceInUseException",
                f"Patch baseline {baseline_id} is registered with a patch group and cannot be deleted.",
            )
        if baseline_id in _state(backend)["defaults"].values():
            raise _err("ResourceInUseException", f"Patch baseline {baseline_id} is a default patch baseline.")
        del backend.baselines[baseline_id]
        backend._resource_tags.get("PatchBaseline", {}).pop(baseline_id, None)
    # AWS answers with the id even if it did not exist.
    return ActionResult({"BaselineId": baseline_id})


def describe_patch_baselines(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    baselines = list(backend.baselines.values())
    for f in params.get("Filters") or []:
        key, values = f.get("Key"), f.get("Values") or []
        if key == "NAME_PREFIX":
            baselines = [b for b in baselines if any(b.name.startswith(v) for v in values)]
        elif key == "OWNER":
            if not any(v.lower() in ("self", "all") for v in values):
                baselines = []
        elif key == "OPERATING_SYSTEM":
            baselines = [b for b in baselines if b.operating_system in values]
    out = [
        {
            "BaselineId": b.id,
            "BaselineName": b.name,
            "OperatingSystem": b.operating_system,
            "BaselineDescription": b.description,
            "DefaultBaseline": _default_baseline(backend, b.operating_system) == b.id,
        }
        for b in baselines
    ]
    return _paginate(params, out, "BaselineIdentities", default_max=100)


def _paginate(params: dict[str, Any], items: list[Any], key: str, default_max: int) -> ActionResult:
    token = params.get("NextToken") or "0"
    if not str(token).isdigit():
        # SSM's model error for a token it did not hand out.
        raise _err("InvalidNextToken", "The specified token isn't valid.")
    start = int(token)
    size = int(params.get("MaxResults") or default_max)
    page = items[start : start + size]
    result: dict[str, Any] = {key: page}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return ActionResult(result)


# ------------------------------------------------------------ patch groups


# AWS's own baselines by operating system, as AWS names them ("Predefined baselines",
# Systems Manager user guide, "About predefined and custom patch baselines").
_AWS_BASELINE_NAMES = {
    "WINDOWS": "AWS-DefaultPatchBaseline",
    "AMAZON_LINUX": "AWS-AmazonLinuxDefaultPatchBaseline",
    "AMAZON_LINUX_2": "AWS-AmazonLinux2DefaultPatchBaseline",
    "AMAZON_LINUX_2022": "AWS-AmazonLinux2022DefaultPatchBaseline",
    "AMAZON_LINUX_2023": "AWS-AmazonLinux2023DefaultPatchBaseline",
    "UBUNTU": "AWS-UbuntuDefaultPatchBaseline",
    "DEBIAN": "AWS-DebianDefaultPatchBaseline",
    "REDHAT_ENTERPRISE_LINUX": "AWS-RedHatDefaultPatchBaseline",
    "CENTOS": "AWS-CentOSDefaultPatchBaseline",
    "SUSE": "AWS-SuseDefaultPatchBaseline",
    "ORACLE_LINUX": "AWS-OracleLinuxDefaultPatchBaseline",
    "MACOS": "AWS-MacOSDefaultPatchBaseline",
    "RASPBIAN": "AWS-RaspbianDefaultPatchBaseline",
    "ROCKY_LINUX": "AWS-RockyLinuxDefaultPatchBaseline",
    "ALMA_LINUX": "AWS-AlmaLinuxDefaultPatchBaseline",
}


def _aws_baseline_os(backend: Any, baseline_id: str) -> str | None:
    """The operating system of one of AWS's own baselines named by its ARN (AWS's
    baselines are registered by ARN: "To register an AWS managed baseline, specify its
    full ARN", RegisterPatchBaselineForPatchGroup / RegisterDefaultPatchBaseline)."""
    for os_name, arn in _aws_default_baselines(backend.region_name).items():
        if baseline_id == arn:
            return os_name
    return None


def register_patch_baseline_for_patch_group(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    aws_os = _aws_baseline_os(backend, params["BaselineId"])
    if aws_os is not None:
        baseline_id, os_name = params["BaselineId"], aws_os
    else:
        b = _get_baseline(backend, params["BaselineId"])
        baseline_id, os_name = b.id, b.operating_system
    group = params["PatchGroup"]
    by_os = _state(backend)["patch_groups"].setdefault(group, {})
    current = by_os.get(os_name)
    if current and current != baseline_id:
        raise _err(
            "AlreadyExistsException",
            f"Patch Group baseline already has a baseline registered for OperatingSystem {os_name}.",
        )
    by_os[os_name] = baseline_id
    return ActionResult({"BaselineId": baseline_id, "PatchGroup": group})


def deregister_patch_baseline_for_patch_group(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    baseline_id, group = params["BaselineId"], params["PatchGroup"]
    by_os = _state(backend)["patch_groups"].get(group, {})
    for os_name, registered in list(by_os.items()):
        if registered == baseline_id:
            del by_os[os_name]
            break
    else:
        raise _err(
            "DoesNotExistException",
            f"Patch Baseline {baseline_id} is not registered with Patch Group {group}.",
        )
    if not by_os:
        _state(backend)["patch_groups"].pop(group, None)
    return ActionResult({"BaselineId": baseline_id, "PatchGroup": group})


def get_patch_baseline_for_patch_group(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    group = params["PatchGroup"]
    os_name = params.get("OperatingSystem") or "WINDOWS"
    baseline_id = _state(backend)["patch_groups"].get(group, {}).get(os_name) or _default_baseline(
        backend, os_name
    )
    return ActionResult({"BaselineId": baseline_id, "PatchGroup": group, "OperatingSystem": os_name})


def describe_patch_groups(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    mappings = []
    for group in sorted(_state(backend)["patch_groups"]):
        for os_name, baseline_id in sorted(_state(backend)["patch_groups"][group].items()):
            b = backend.baselines.get(baseline_id)
            identity: dict[str, Any] = {"BaselineId": baseline_id, "OperatingSystem": os_name}
            if b is not None:
                identity.update(
                    {
                        "BaselineName": b.name,
                        "BaselineDescription": b.description,
                        "DefaultBaseline": _default_baseline(backend, os_name) == b.id,
                    }
                )
            elif _aws_baseline_os(backend, baseline_id) is not None:
                identity.update(
                    {
                        "BaselineName": _AWS_BASELINE_NAMES.get(os_name, f"AWS-{os_name}DefaultPatchBaseline"),
                        "DefaultBaseline": _default_baseline(backend, os_name) == baseline_id,
                    }
                )
            mappings.append({"PatchGroup": group, "BaselineIdentity": identity})
    for f in params.get("Filters") or []:
        key, values = f.get("Key"), f.get("Values") or []
        if key == "NAME_PREFIX":
            mappings = [m for m in mappings if any(m["PatchGroup"].startswith(v) for v in values)]
        elif key == "OPERATING_SYSTEM":
            mappings = [m for m in mappings if m["BaselineIdentity"]["OperatingSystem"] in values]
    return _paginate(params, mappings, "Mappings", default_max=100)


def register_default_patch_baseline(self: Any) -> ActionResult:
    backend = self.ssm_backend
    b = _get_baseline(backend, _body(self)["BaselineId"])
    _state(backend)["defaults"][b.operating_system] = b.id
    return ActionResult({"BaselineId": b.id})


def get_default_patch_baseline(self: Any) -> ActionResult:
    backend = self.ssm_backend
    os_name = _body(self).get("OperatingSystem") or "WINDOWS"
    return ActionResult({"BaselineId": _default_baseline(backend, os_name), "OperatingSystem": os_name})


# ------------------------------------------------------- maintenance windows


def _window_doc(w: Any, full: bool) -> dict[str, Any]:
    doc = {
        "WindowId": w.id,
        "Name": w.name,
        "Description": w.description,
        "StartDate": w.start_date,
        "EndDate": w.end_date,
        "Schedule": w.schedule,
        "ScheduleTimezone": w.schedule_timezone,
        "ScheduleOffset": w.schedule_offset,
        "Duration": w.duration,
        "Cutoff": w.cutoff,
        "AllowUnassociatedTargets": getattr(w, "allow_unassociated_targets", False),
        "Enabled": getattr(w, "enabled", True),
    }
    if full:
        doc["CreatedDate"] = getattr(w, "created_date", None)
        doc["ModifiedDate"] = getattr(w, "modified_date", None)
    return {k: v for k, v in doc.items() if v is not None}


def create_maintenance_window(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend

    def create() -> str:
        window_id = backend.create_maintenance_window(
            name=params.get("Name"),
            description=params.get("Description"),
            duration=params.get("Duration"),
            cutoff=params.get("Cutoff"),
            schedule=params.get("Schedule"),
            schedule_timezone=params.get("ScheduleTimezone"),
            schedule_offset=params.get("ScheduleOffset"),
            start_date=params.get("StartDate"),
            end_date=params.get("EndDate"),
            tags=params.get("Tags"),
        )
        w = backend.windows[window_id]
        w.allow_unassociated_targets = bool(params.get("AllowUnassociatedTargets", False))
        w.enabled = True
        w.created_date = w.modified_date = utcnow()
        return window_id

    window_id = _idempotent(backend, "CreateMaintenanceWindow", params, create, lambda i: i in backend.windows)
    return ActionResult({"WindowId": window_id})


def get_maintenance_window(self: Any) -> ActionResult:
    w = _get_window(self.ssm_backend, _body(self)["WindowId"])
    return ActionResult(_window_doc(w, full=True))


def describe_maintenance_windows(self: Any) -> ActionResult:
    params = _body(self)
    windows = list(self.ssm_backend.windows.values())
    for f in params.get("Filters") or []:
        key, values = f.get("Key"), f.get("Values") or []
        if key == "Name":
            windows = [w for w in windows if w.name in values]
        elif key == "Enabled":
            wanted = [v.lower() == "true" for v in values]
            windows = [w for w in windows if getattr(w, "enabled", True) in wanted]
    items = [_window_doc(w, full=False) for w in windows]
    for item in items:
        item.pop("AllowUnassociatedTargets", None)
    return _paginate(params, items, "WindowIdentities", default_max=50)


_WINDOW_FIELDS = {
    "Name": "name",
    "Description": "description",
    "StartDate": "start_date",
    "EndDate": "end_date",
    "Schedule": "schedule",
    "ScheduleTimezone": "schedule_timezone",
    "ScheduleOffset": "schedule_offset",
    "Duration": "duration",
    "Cutoff": "cutoff",
    "AllowUnassociatedTargets": "allow_unassociated_targets",
    "Enabled": "enabled",
}
_WINDOW_REQUIRED = {"Name", "Schedule", "Duration", "Cutoff", "AllowUnassociatedTargets"}


def update_maintenance_window(self: Any) -> ActionResult:
    params = _body(self)
    w = _get_window(self.ssm_backend, params["WindowId"])
    replace = bool(params.get("Replace"))
    if replace:
        missing = sorted(k for k in _WINDOW_REQUIRED if k not in params)
        if missing:
            raise _err("ValidationException", f"Replace requires {', '.join(missing)}")
    for key, attr in _WINDOW_FIELDS.items():
        if key in params:
            setattr(w, attr, params[key])
        elif replace:
            setattr(w, attr, True if key == "Enabled" else None)
    w.modified_date = utcnow()
    return ActionResult(_window_doc(w, full=False))


def delete_maintenance_window(self: Any) -> ActionResult:
    backend = self.ssm_backend
    window_id = _body(self)["WindowId"]
    if window_id in backend.windows:
        del backend.windows[window_id]
        backend._resource_tags.get("MaintenanceWindow", {}).pop(window_id, None)
    return ActionResult({"WindowId": window_id})


def _target_doc(t: Any) -> dict[str, Any]:
    doc = {
        "WindowId": t.window_id,
        "WindowTargetId": t.window_target_id,
        "ResourceType": t.resource_type,
        "Targets": t.targets,
        "OwnerInformation": t.owner_information,
        "Name": t.name,
        "Description": t.description,
    }
    return {k: v for k, v in doc.items() if v is not None}


def register_target_with_maintenance_window(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    window = _get_window(backend, params["WindowId"])

    def create() -> str:
        return backend.register_target_with_maintenance_window(
            window_id=params["WindowId"],
            resource_type=params.get("ResourceType"),
            targets=params.get("Targets"),
            owner_information=params.get("OwnerInformation"),
            name=params.get("Name"),
            description=params.get("Description"),
        )

    target_id = _idempotent(
        backend,
        "RegisterTargetWithMaintenanceWindow",
        params,
        create,
        lambda i: i in window.targets,
    )
    return ActionResult({"WindowTargetId": target_id})


def describe_maintenance_window_targets(self: Any) -> ActionResult:
    params = _body(self)
    w = _get_window(self.ssm_backend, params["WindowId"])
    targets = [_target_doc(t) for t in w.targets.values()]
    for f in params.get("Filters") or []:
        key, values = f.get("Key"), f.get("Values") or []
        if key in ("WindowTargetId", "Name", "ResourceType", "OwnerInformation"):
            targets = [t for t in targets if t.get(key) in values]
    return _paginate(params, targets, "Targets", default_max=50)


def deregister_target_from_maintenance_window(self: Any) -> ActionResult:
    params = _body(self)
    w = _get_window(self.ssm_backend, params["WindowId"])
    target_id = params["WindowTargetId"]
    if target_id not in w.targets:
        raise _err("DoesNotExistException", f"Maintenance window target {target_id} does not exist")
    del w.targets[target_id]
    return ActionResult({"WindowId": w.id, "WindowTargetId": target_id})


def update_maintenance_window_target(self: Any) -> ActionResult:
    params = _body(self)
    w = _get_window(self.ssm_backend, params["WindowId"])
    target_id = params["WindowTargetId"]
    t = w.targets.get(target_id)
    if t is None:
        raise _err("DoesNotExistException", f"Maintenance window target {target_id} does not exist")
    replace = bool(params.get("Replace"))
    for key, attr in {
        "Targets": "targets",
        "OwnerInformation": "owner_information",
        "Name": "name",
        "Description": "description",
    }.items():
        if key in params:
            setattr(t, attr, params[key])
        elif replace:
            setattr(t, attr, None)
    doc = _target_doc(t)
    doc.pop("ResourceType", None)
    return ActionResult(doc)


_TASK_FIELDS = {
    "Targets": "targets",
    "TaskArn": "task_arn",
    "ServiceRoleArn": "service_role_arn",
    "TaskParameters": "task_parameters",
    "TaskInvocationParameters": "task_invocation_parameters",
    "Priority": "priority",
    "MaxConcurrency": "max_concurrency",
    "MaxErrors": "max_errors",
    "LoggingInfo": "logging_info",
    "Name": "name",
    "Description": "description",
    "CutoffBehavior": "cutoff_behavior",
    "AlarmConfiguration": "alarm_configurations",
}


# "For maintenance window tasks without a target specified, you can't supply a value
# for this option. Instead, the system inserts a placeholder value of 1"
# (RegisterTaskWithMaintenanceWindow / GetMaintenanceWindowTask, MaxConcurrency and
# MaxErrors: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetMaintenanceWindowTask.html).
_PLACEHOLDER = "1"


def _task_doc(t: Any, with_type: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {"WindowId": t.window_id, "WindowTaskId": t.window_task_id}
    for key, attr in _TASK_FIELDS.items():
        doc[key] = getattr(t, attr, None)
    if with_type:
        doc["TaskType"] = t.task_type
    if doc.get("Priority") is None:
        doc["Priority"] = 1
    return {k: v for k, v in doc.items() if v is not None}


def _get_task(backend: Any, window_id: str, task_id: str) -> Any:
    w = _get_window(backend, window_id)
    t = w.tasks.get(task_id)
    if t is None:
        raise _err("DoesNotExistException", f"Maintenance window task {task_id} does not exist")
    return t


def register_task_with_maintenance_window(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    window = _get_window(backend, params["WindowId"])

    def create() -> str:
        return backend.register_task_with_maintenance_window(
            window_id=params["WindowId"],
            targets=params.get("Targets"),
            task_arn=params.get("TaskArn"),
            service_role_arn=params.get("ServiceRoleArn"),
            task_type=params.get("TaskType"),
            task_parameters=params.get("TaskParameters"),
            task_invocation_parameters=_invocation(params),
            priority=params.get("Priority", 1),
            max_concurrency=params.get("MaxConcurrency", None if params.get("Targets") else _PLACEHOLDER),
            max_errors=params.get("MaxErrors", None if params.get("Targets") else _PLACEHOLDER),
            logging_info=params.get("LoggingInfo"),
            name=params.get("Name"),
            description=params.get("Description"),
            cutoff_behavior=params.get("CutoffBehavior"),
            alarm_configurations=params.get("AlarmConfiguration"),
        )

    task_id = _idempotent(
        backend, "RegisterTaskWithMaintenanceWindow", params, create, lambda i: i in window.tasks
    )
    return ActionResult({"WindowTaskId": task_id})


def get_maintenance_window_task(self: Any) -> ActionResult:
    params = _body(self)
    t = _get_task(self.ssm_backend, params["WindowId"], params["WindowTaskId"])
    return ActionResult(_task_doc(t))


def describe_maintenance_window_tasks(self: Any) -> ActionResult:
    params = _body(self)
    w = _get_window(self.ssm_backend, params["WindowId"])
    # The listing's shape (MaintenanceWindowTask) calls the task type `Type`;
    # GetMaintenanceWindowTask calls it `TaskType`.
    tasks = []
    for t in w.tasks.values():
        doc = _task_doc(t)
        if "TaskType" in doc:
            doc["Type"] = doc.pop("TaskType")
        tasks.append(doc)
    for f in params.get("Filters") or []:
        key, values = f.get("Key"), f.get("Values") or []
        if key in ("WindowTaskId", "TaskArn", "TaskType"):
            field = "Type" if key == "TaskType" else key
            tasks = [t for t in tasks if t.get(field) in values]
        elif key == "Priority":
            tasks = [t for t in tasks if str(t.get("Priority")) in values]
    return _paginate(params, tasks, "Tasks", default_max=50)


def deregister_task_from_maintenance_window(self: Any) -> ActionResult:
    params = _body(self)
    w = _get_window(self.ssm_backend, params["WindowId"])
    task_id = params["WindowTaskId"]
    if task_id not in w.tasks:
        raise _err("DoesNotExistException", f"Maintenance window task {task_id} does not exist")
    del w.tasks[task_id]
    return ActionResult({"WindowId": w.id, "WindowTaskId": task_id})


def update_maintenance_window_task(self: Any) -> ActionResult:
    params = _body(self)
    t = _get_task(self.ssm_backend, params["WindowId"], params["WindowTaskId"])
    replace = bool(params.get("Replace"))
    if "TaskInvocationParameters" in params:
        params = {**params, "TaskInvocationParameters": _invocation(params)}
    for key, attr in _TASK_FIELDS.items():
        if key in params:
            setattr(t, attr, params[key])
        elif replace and key not in ("TaskArn", "Targets"):
            setattr(t, attr, None)
    if not t.targets:
        for attr in ("max_concurrency", "max_errors"):
            if getattr(t, attr, None) is None:
                setattr(t, attr, _PLACEHOLDER)
    return ActionResult(_task_doc(t, with_type=False))


# ------------------------------------------------------------------ tagging

_orig_validate = Backend._validate_resource_type_and_id


def _validate_resource_type_and_id(self: Any, resource_type: str, resource_id: str) -> str:
    if resource_type == "PatchBaseline":
        if resource_id not in self.baselines:
            raise _err("InvalidResourceId", "The resource ID is not valid. Verify the ID and try again.")
        return resource_id
    return _orig_validate(self, resource_type, resource_id)


_orig_iter = Backend.iter_tagged_resources


def iter_tagged_resources(self: Any):  # type: ignore[no-untyped-def]
    yield from _orig_iter(self)
    for window_id in list(self.windows):
        yield TaggedResource(
            arn=_window_arn(self, window_id),
            tags=dict(self._resource_tags.get("MaintenanceWindow", {}).get(window_id, {})),
            resource_type="ssm:maintenancewindow",
        )
    for baseline_id in list(self.baselines):
        yield TaggedResource(
            arn=_baseline_arn(self, baseline_id),
            tags=dict(self._resource_tags.get("PatchBaseline", {}).get(baseline_id, {})),
            resource_type="ssm:patchbaseline",
        )


def apply() -> None:
    Backend._validate_resource_type_and_id = _validate_resource_type_and_id
    Backend.iter_tagged_resources = iter_tagged_resources
    for fn in (
        create_patch_baseline,
        get_patch_baseline,
        update_patch_baseline,
        delete_patch_baseline,
        describe_patch_baselines,
        register_patch_baseline_for_patch_group,
        deregister_patch_baseline_for_patch_group,
        get_patch_baseline_for_patch_group,
        describe_patch_groups,
        register_default_patch_baseline,
        get_default_patch_baseline,
        create_maintenance_window,
        get_maintenance_window,
        describe_maintenance_windows,
        update_maintenance_window,
        delete_maintenance_window,
        register_target_with_maintenance_window,
        describe_maintenance_window_targets,
        deregister_target_from_maintenance_window,
        update_maintenance_window_target,
        register_task_with_maintenance_window,
        get_maintenance_window_task,
        describe_maintenance_window_tasks,
        deregister_task_from_maintenance_window,
        update_maintenance_window_task,
    ):
        setattr(SSMResponse, fn.__name__, fn)
    from . import ext_ssm_associations

    ext_ssm_associations.apply()
