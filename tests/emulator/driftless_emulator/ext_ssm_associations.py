"""SSM State Manager associations, which moto 5.2.5 lacks entirely (CreateAssociation,
DescribeAssociation, ListAssociations, UpdateAssociation and DeleteAssociation answer
500, and `ResourceType=Association` is refused by its tagging calls).

The requests reach here after the botocore model's validation (validation.py); what
the API reference states in prose is checked here, with the error shapes the model
lists for each operation:

* the document exists (`InvalidDocument`), and so does the version asked for
  (`InvalidDocumentVersion`): AWS's own documents of the catalogue below, or the
  account's documents (moto's CreateDocument);
* `Parameters` name parameters of the document, with allowed values where it has
  them, and give every required one (`InvalidParameters`);
* `ScheduleExpression` is a cron, rate or at expression ("Reference: Cron and rate
  expressions for Systems Manager": rate expressions for associations are at least
  30 minutes apart, "rate(30 minutes)"; cron expressions as for maintenance windows)
  (`InvalidSchedule`); `ApplyOnlyAtCronInterval` and `ScheduleOffset` need a cron
  expression ("this option isn't supported for rate expressions", CreateAssociation);
* `Targets` use the keys the Target reference lists (`InvalidTarget`);
* UpdateAssociation "removes all optional parameters from the request and overwrites
  the association with null values for those parameters. This is by design. You must
  specify all optional parameters in the call, even if you are not changing the
  parameters" (UpdateAssociation reference): so it is here, which is what makes a
  writer that does not read-modify-write lose settings, as on AWS. Each update adds
  one to `AssociationVersion`.

State lives on moto's SSM backend (`_state(backend)["associations"]`, id → the
AssociationDescription as AWS answers it). Tags use moto's own tag store under
`Association`.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ssm import models as ssm_models
from moto.ssm.responses import SimpleSystemManagerResponse as SSMResponse

from . import schedules
from .ext_ssm import _body, _err, _paginate, _state

Backend = ssm_models.SimpleSystemManagerBackend

# AWS's own documents an association commonly runs, with their parameters as the
# documents' content declares them (AWS Systems Manager console, "Documents" → "Owned
# by Amazon" → each document's "Parameters" tab): name → (required?, allowed values).
AWS_DOCUMENTS: dict[str, dict[str, tuple[bool, tuple[str, ...]]]] = {
    "AWS-RunPatchBaseline": {
        "Operation": (True, ("Scan", "Install")),
        "SnapshotId": (False, ()),
        "InstallOverrideList": (False, ()),
        "BaselineOverride": (False, ()),
        "RebootOption": (False, ("RebootIfNeeded", "NoReboot")),
    },
    "AWS-UpdateSSMAgent": {"version": (False, ()), "allowDowngrade": (False, ("true", "false"))},
    "AWS-GatherSoftwareInventory": {
        name: (False, ())
        for name in (
            "applications", "awsComponents", "files", "networkConfig", "billingInfo",
            "windowsUpdates", "instanceDetailedInformation", "services", "windowsRegistry",
            "windowsRoles", "customInventory",
        )
    },
    "AWS-RunShellScript": {
        "commands": (True, ()),
        "workingDirectory": (False, ()),
        "executionTimeout": (False, ()),
    },
    "AWS-RunPowerShellScript": {
        "commands": (True, ()),
        "workingDirectory": (False, ()),
        "executionTimeout": (False, ()),
    },
    "AWS-ConfigureAWSPackage": {
        "action": (True, ("Install", "Uninstall")),
        "installationType": (False, ("Uninstall and reinstall", "In-place update")),
        "name": (True, ()),
        "version": (False, ()),
        "additionalArguments": (False, ()),
    },
}

# Target keys (Target reference, "Key"): tag:<key>, tag-key, InstanceIds, the resource
# group keys, ParameterValues (Automation rate control) and the resource-type keys.
_TARGET_KEYS = (
    "InstanceIds",
    "tag-key",
    "resource-groups:Name",
    "resource-groups:ResourceTypeFilters",
    "ParameterValues",
    "AWS::EC2::Instance",
    "AWS::SSM::ManagedInstance",
)
_INSTANCE_ID = re.compile(r"^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17}|\*)$")

# The members UpdateAssociation nulls when a request leaves them out.
_OPTIONAL = (
    "Parameters", "DocumentVersion", "ScheduleExpression", "OutputLocation", "Targets",
    "AssociationName", "AutomationTargetParameterName", "MaxErrors", "MaxConcurrency",
    "ComplianceSeverity", "SyncCompliance", "ApplyOnlyAtCronInterval", "CalendarNames",
    "TargetLocations", "ScheduleOffset", "Duration", "TargetMaps", "AlarmConfiguration",
    "AssociationDispatchAssumeRole",
)


def _associations(backend: Any) -> dict[str, dict[str, Any]]:
    return _state(backend).setdefault("associations", {})


def _document_parameters(backend: Any, name: str, version: str | None) -> dict[str, tuple[bool, tuple[str, ...]]]:
    """The document's parameters, or InvalidDocument / InvalidDocumentVersion."""
    if name in AWS_DOCUMENTS:
        if version not in (None, "$DEFAULT", "$LATEST", "1"):
            raise _err("InvalidDocumentVersion", f"Document {name} has no version {version}.")
        return AWS_DOCUMENTS[name]
    docs = backend._documents.get(name)
    if docs is None:
        raise _err("InvalidDocument", f"Document {name} does not exist in your account")
    try:
        doc = docs.find(version if version not in (None, "$DEFAULT", "$LATEST") else None)
    except Exception:
        raise _err("InvalidDocumentVersion", f"Document {name} has no version {version}.")
    if version == "$LATEST":
        doc = docs.get_latest_version()
    try:
        content = json.loads(doc.content)
    except ValueError:
        import yaml

        content = yaml.safe_load(doc.content)
    out: dict[str, tuple[bool, tuple[str, ...]]] = {}
    for pname, p in ((content or {}).get("parameters") or {}).items():
        out[pname] = ("default" not in p, tuple(str(v) for v in p.get("allowedValues") or ()))
    return out


def _check_parameters(declared: dict[str, tuple[bool, tuple[str, ...]]], given: dict[str, list[str]]) -> None:
    for name, values in given.items():
        if name not in declared:
            raise _err("InvalidParameters", f"Parameter {name} is not defined in the document.")
        allowed = declared[name][1]
        for v in values:
            if allowed and v not in allowed:
                raise _err(
                    "InvalidParameters",
                    f"Parameter {name} value {v} is not one of the allowed values: {', '.join(allowed)}.",
                )
    for name, (required, _) in declared.items():
        if required and name not in given:
            raise _err("InvalidParameters", f"Parameter {name} is required and was not provided.")


def schedule_problem(expression: str) -> str | None:
    """An association's ScheduleExpression: cron (as for maintenance windows), rate of
    at least 30 minutes, or at(...)."""
    e = expression.strip()
    if e.startswith("rate("):
        problem = schedules.rate_problem(e)
        if problem:
            return problem
        m = re.fullmatch(r"\s*rate\(\s*(\d+)\s+minutes?\s*\)\s*", e)
        if m and int(m.group(1)) < 30:
            return "rate expressions for associations must be at least 30 minutes"
        return None
    from .rules import window_schedule_problem

    return window_schedule_problem(e)


def _check_schedule(params: dict[str, Any]) -> None:
    expression = params.get("ScheduleExpression")
    if expression is not None:
        problem = schedule_problem(expression)
        if problem:
            raise _err("InvalidSchedule", f"Schedule expression {expression} is not valid: {problem}.")
    cron = (expression or "").strip().startswith("cron(")
    for member in ("ApplyOnlyAtCronInterval", "ScheduleOffset"):
        if params.get(member) and not cron:
            raise _err("InvalidSchedule", f"{member} is supported with cron expressions only.")


def _check_targets(params: dict[str, Any]) -> None:
    for t in params.get("Targets") or []:
        key, values = t.get("Key", ""), t.get("Values") or []
        if not (key.startswith("tag:") and len(key) > 4) and key not in _TARGET_KEYS:
            raise _err("InvalidTarget", f"Target key {key} is not supported.")
        if key == "InstanceIds" and not all(_INSTANCE_ID.match(v) for v in values):
            raise _err("InvalidTarget", "InstanceIds values must be instance IDs (i-..., mi-...) or *.")
        if not values:
            raise _err("InvalidTarget", f"Target key {key} needs at least one value.")


def _check(backend: Any, params: dict[str, Any]) -> None:
    declared = _document_parameters(backend, params["Name"], params.get("DocumentVersion"))
    _check_parameters(declared, params.get("Parameters") or {})
    _check_schedule(params)
    _check_targets(params)
    if not params.get("Targets") and not params.get("InstanceId"):
        raise _err("InvalidTarget", "An association needs Targets or an InstanceId.")


def _get(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    a = _associations(backend).get(params.get("AssociationId") or "")
    if a is None:
        raise _err("AssociationDoesNotExist", "The specified association does not exist.")
    return a


def _describe(backend: Any, assoc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in assoc.items() if v is not None}


def create_association(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    _check(backend, params)
    now = utcnow()
    aid = str(uuid.uuid4())
    assoc = {k: params.get(k) for k in _OPTIONAL}
    assoc.update(
        Name=params["Name"],
        InstanceId=params.get("InstanceId"),
        AssociationId=aid,
        AssociationVersion="1",
        Date=now,
        LastUpdateAssociationDate=now,
        Overview={"Status": "Pending", "DetailedStatus": "Creating"},
        DocumentVersion=params.get("DocumentVersion") or "$DEFAULT",
        ComplianceSeverity=params.get("ComplianceSeverity") or "UNSPECIFIED",
        SyncCompliance=params.get("SyncCompliance") or "AUTO",
        ApplyOnlyAtCronInterval=bool(params.get("ApplyOnlyAtCronInterval")),
    )
    _associations(backend)[aid] = assoc
    tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
    if tags:
        backend._resource_tags["Association"][aid].update(tags)
    return ActionResult({"AssociationDescription": _describe(backend, assoc)})


def describe_association(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    if params.get("AssociationId"):
        assoc = _get(backend, params)
    else:
        found = [
            a for a in _associations(backend).values()
            if a["Name"] == params.get("Name") and a.get("InstanceId") == params.get("InstanceId")
        ]
        if not found:
            raise _err("AssociationDoesNotExist", "The specified association does not exist.")
        assoc = found[0]
    return ActionResult({"AssociationDescription": _describe(backend, assoc)})


_LISTED = (
    "Name", "InstanceId", "AssociationId", "AssociationVersion", "DocumentVersion", "Targets",
    "Overview", "ScheduleExpression", "AssociationName", "ScheduleOffset", "Duration", "TargetMaps",
)
_FILTERS = {"Name": "Name", "AssociationId": "AssociationId", "AssociationName": "AssociationName", "InstanceId": "InstanceId"}


def list_associations(self: Any) -> ActionResult:
    params = _body(self)
    items = list(_associations(self.ssm_backend).values())
    for f in params.get("AssociationFilterList") or []:
        field = _FILTERS.get(f["key"])
        if field is None:
            continue  # status and date filters: every association is Pending and never ran
        items = [a for a in items if a.get(field) == f["value"]]
    listed = [{k: a[k] for k in _LISTED if a.get(k) is not None} for a in items]
    return _paginate(params, listed, "Associations", default_max=50)


def update_association(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    assoc = _get(backend, params)
    if params.get("AssociationVersion") not in (None, "$LATEST", assoc["AssociationVersion"]):
        raise _err("InvalidAssociationVersion", "The association version is not the latest.")
    merged = {**params, "Name": params.get("Name") or assoc["Name"], "InstanceId": assoc.get("InstanceId")}
    if not merged.get("Targets") and not assoc.get("InstanceId"):
        raise _err("InvalidTarget", "An association needs Targets or an InstanceId.")
    _check(backend, merged)
    for k in _OPTIONAL:
        assoc[k] = params.get(k)
    assoc.update(
        Name=merged["Name"],
        AssociationVersion=str(int(assoc["AssociationVersion"]) + 1),
        LastUpdateAssociationDate=utcnow(),
        DocumentVersion=params.get("DocumentVersion") or "$DEFAULT",
        ComplianceSeverity=params.get("ComplianceSeverity") or "UNSPECIFIED",
        SyncCompliance=params.get("SyncCompliance") or "AUTO",
        ApplyOnlyAtCronInterval=bool(params.get("ApplyOnlyAtCronInterval")),
    )
    return ActionResult({"AssociationDescription": _describe(backend, assoc)})


def delete_association(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.ssm_backend
    if params.get("AssociationId"):
        _get(backend, params)
        aid = params["AssociationId"]
    else:
        found = [
            k for k, a in _associations(backend).items()
            if a["Name"] == params.get("Name") and a.get("InstanceId") == params.get("InstanceId")
        ]
        if not found:
            raise _err("AssociationDoesNotExist", "The specified association does not exist.")
        aid = found[0]
    del _associations(backend)[aid]
    backend._resource_tags.get("Association", {}).pop(aid, None)
    return ActionResult({})


def _association_arn(backend: Any, aid: str) -> str:
    return f"arn:aws:ssm:{backend.region_name}:{backend.account_id}:association/{aid}"


_orig_validate = None
_orig_iter = None


def _validate_resource_type_and_id(self: Any, resource_type: str, resource_id: str) -> str:
    if resource_type == "Association":
        if resource_id not in _associations(self):
            raise _err("InvalidResourceId", "The resource ID is not valid. Verify the ID and try again.")
        return resource_id
    return _orig_validate(self, resource_type, resource_id)  # type: ignore[misc]


def iter_tagged_resources(self: Any):  # type: ignore[no-untyped-def]
    from moto.core.resource_tagging import TaggedResource

    yield from _orig_iter(self)  # type: ignore[misc]
    for aid in list(_associations(self)):
        yield TaggedResource(
            arn=_association_arn(self, aid),
            tags=dict(self._resource_tags.get("Association", {}).get(aid, {})),
            resource_type="ssm:association",
        )


def apply() -> None:
    """Called by ext_ssm.apply, after it patched the tagging hooks this wraps."""
    global _orig_validate, _orig_iter
    _orig_validate = Backend._validate_resource_type_and_id
    _orig_iter = Backend.iter_tagged_resources
    Backend._validate_resource_type_and_id = _validate_resource_type_and_id
    Backend.iter_tagged_resources = iter_tagged_resources
    for fn in (create_association, describe_association, list_associations, update_association, delete_association):
        setattr(SSMResponse, fn.__name__, fn)

