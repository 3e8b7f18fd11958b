"""AWS Backup: recovery points, and vault deletion as AWS does it.

moto 5.2.5 has no StartBackupJob and can never hold a recovery point, so a
vault is always empty; its DeleteBackupVault deletes a vault whatever it
holds and leaves the vault's tags behind (a new vault of the same name
inherited them).

Here StartBackupJob makes the job and its recovery point at once, already
COMPLETED (there is no data to copy), in the named vault;
DescribeBackupJob, ListRecoveryPointsByBackupVault, DescribeRecoveryPoint and
DeleteRecoveryPoint see them; ListBackupVaults' / DescribeBackupVault's
`NumberOfRecoveryPoints` counts them. DeleteBackupVault refuses a vault that
still holds recovery points with InvalidRequestException ("Backup vault
cannot be deleted because it contains recovery points", as AWS answers), and
removes the vault's tags with the vault. All state lives on moto's backend.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import unquote

from moto.backup import models as backup_models
from moto.backup import urls as backup_urls
from moto.backup.exceptions import InvalidParameterValueException, InvalidRequestException, ResourceNotFoundException
from moto.backup.responses import BackupResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.moto_api._internal import mock_random

Backend = backup_models.BackupBackend

# Resource type of a protected resource, by the service in its ARN
# (https://docs.aws.amazon.com/aws-backup/latest/devguide/whatisbackup.html#supported-resources).
RESOURCE_TYPES = {
    "dynamodb": "DynamoDB",
    "elasticfilesystem": "EFS",
    "rds": "RDS",
    "s3": "S3",
    "fsx": "FSx",
    "storagegateway": "Storage Gateway",
    "redshift": "Redshift",
}


def _points(backend: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """vault name -> recovery point ARN -> recovery point."""
    return backend.__dict__.setdefault("_driftless_recovery_points", {})


def _jobs(backend: Any) -> dict[str, dict[str, Any]]:
    return backend.__dict__.setdefault("_driftless_backup_jobs", {})


def _body(resp: Any) -> dict[str, Any]:
    raw = resp.body.decode("utf-8") if isinstance(resp.body, bytes) else resp.body
    return json.loads(raw or "{}")


def _path_part(resp: Any, pattern: str) -> str:
    m = re.search(pattern, resp.path.split("?", 1)[0])
    return unquote(m.group(1)) if m else ""


def _vault(backend: Any, name: str) -> Any:
    vault = backend.vaults.get(name)
    if vault is None:
        raise ResourceNotFoundException(msg=f"Backup vault {name} not found")
    return vault


def _resource_type(resource_arn: str) -> str:
    parts = resource_arn.split(":")
    service = parts[2] if len(parts) > 5 else ""
    if service == "ec2":
        return "EC2" if ":instance/" in resource_arn else "EBS"
    return RESOURCE_TYPES.get(service, service.upper() or "UNKNOWN")


def _sync_count(backend: Any, vault_name: str) -> None:
    vault = backend.vaults.get(vault_name)
    if vault is not None:
        vault.num_of_recovery_points = len(_points(backend).get(vault_name, {}))


# ---------------------------------------------------------------- backup jobs


def _recovery_point(backend: Any, vault: Any, params: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    resource_arn = params["ResourceArn"]
    point = {
        "RecoveryPointArn": f"arn:{backend.partition}:backup:{backend.region_name}:{backend.account_id}:recovery-point:{mock_random.uuid4()}",
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "ResourceArn": resource_arn,
        "ResourceType": _resource_type(resource_arn),
        "ResourceName": resource_arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1],
        "IamRoleArn": params["IamRoleArn"],
        "Status": "COMPLETED",
        "CreationDate": now,
        "CompletionDate": now,
        "BackupSizeInBytes": 0,
        "IsEncrypted": bool(vault.encryption_key_arn),
        "StorageClass": "WARM",
    }
    if vault.encryption_key_arn:
        point["EncryptionKeyArn"] = vault.encryption_key_arn
    if params.get("Lifecycle"):
        point["Lifecycle"] = params["Lifecycle"]
    return point


def start_backup_job(self: Any) -> ActionResult:
    params = _body(self)
    backend = self.backup_backend
    vault = _vault(backend, params.get("BackupVaultName", ""))
    token = params.get("IdempotencyToken")
    for job in _jobs(backend).values():
        if token and job.get("IdempotencyToken") == token:
            return ActionResult(_job_started(job))
    now = dt.datetime.now(tz=dt.timezone.utc)
    point = _recovery_point(backend, vault, params, now)
    _points(backend).setdefault(vault.backup_vault_name, {})[point["RecoveryPointArn"]] = point
    _sync_count(backend, vault.backup_vault_name)
    job = {
        "BackupJobId": str(mock_random.uuid4()).upper(),
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "RecoveryPointArn": point["RecoveryPointArn"],
        "ResourceArn": point["ResourceArn"],
        "ResourceType": point["ResourceType"],
        "IamRoleArn": point["IamRoleArn"],
        "State": "COMPLETED",
        "PercentDone": "100.0",
        "CreationDate": now,
        "CompletionDate": now,
        "BackupSizeInBytes": 0,
        "IdempotencyToken": token,
    }
    _jobs(backend)[job["BackupJobId"]] = job
    return ActionResult(_job_started(job))


def _job_started(job: dict[str, Any]) -> dict[str, Any]:
    return {"BackupJobId": job["BackupJobId"], "RecoveryPointArn": job["RecoveryPointArn"], "CreationDate": job["CreationDate"], "IsParent": False}


def describe_backup_job(self: Any) -> ActionResult:
    job_id = _path_part(self, r"/backup-jobs/([^/]+)")
    job = _jobs(self.backup_backend).get(job_id)
    if job is None:
        raise ResourceNotFoundException(msg=f"Backup job {job_id} not found")
    return ActionResult({k: v for k, v in job.items() if v is not None and k != "IdempotencyToken"})


# ------------------------------------------------------------ recovery points


def _get_point(resp: Any) -> tuple[str, dict[str, Any]]:
    vault_name = _path_part(resp, r"/backup-vaults/([^/]+)/recovery-points/")
    arn = _path_part(resp, r"/recovery-points/(.+?)/?$")
    _vault(resp.backup_backend, vault_name)
    point = _points(resp.backup_backend).get(vault_name, {}).get(arn)
    if point is None:
        raise ResourceNotFoundException(msg=f"Recovery point {arn} not found in vault {vault_name}")
    return vault_name, point


def list_recovery_points_by_backup_vault(self: Any) -> ActionResult:
    backend = self.backup_backend
    name = _path_part(self, r"/backup-vaults/([^/]+)/recovery-points")
    _vault(backend, name)
    points = sorted(_points(backend).get(name, {}).values(), key=lambda p: p["CreationDate"])
    token = _query(self, "nextToken") or "0"
    if not str(token).isdigit():  # a token this listing did not hand out
        raise InvalidParameterValueException(msg="The nextToken is not valid.")
    start = int(token)
    size = int(_query(self, "maxResults") or 1000)
    result: dict[str, Any] = {"RecoveryPoints": points[start : start + size]}
    if start + size < len(points):
        result["NextToken"] = str(start + size)
    return ActionResult(result)


def _query(resp: Any, name: str) -> str | None:
    values = resp.querystring.get(name)
    if isinstance(values, list):
        return values[0] if values else None
    return values


def describe_recovery_point(self: Any) -> ActionResult:
    return ActionResult(_get_point(self)[1])


def delete_recovery_point(self: Any) -> EmptyResult:
    vault_name, point = _get_point(self)
    del _points(self.backup_backend)[vault_name][point["RecoveryPointArn"]]
    _sync_count(self.backup_backend, vault_name)
    return EmptyResult()


# --------------------------------------------------------------------- vaults

_orig_delete_vault = BackupResponse.delete_backup_vault


def delete_backup_vault(self: Any) -> Any:
    backend = self.backup_backend
    name = _path_part(self, r"/backup-vaults/([^/]+)")
    if _points(backend).get(name):
        raise InvalidRequestException(msg="Backup vault cannot be deleted because it contains recovery points.")
    vault = backend.vaults.get(name)
    if vault is not None:
        backend.tagger.delete_all_tags_for_resource(vault.backup_vault_arn)
    _points(backend).pop(name, None)
    return _orig_delete_vault(self)


def _number_of_recovery_points(vault: Any) -> int:
    return vault.num_of_recovery_points


def apply() -> None:
    backup_urls.url_paths["{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<recovery_point>.+)$"] = BackupResponse.dispatch
    backup_urls.url_paths["{0}/backup-jobs/$"] = BackupResponse.dispatch
    backup_urls.url_paths["{0}/backup-jobs$"] = BackupResponse.dispatch
    backup_urls.url_paths["{0}/backup-jobs/(?P<job>[^/]+)$"] = BackupResponse.dispatch
    # DescribeBackupVault is serialised from the Vault object by the model's member names
    backup_models.Vault.number_of_recovery_points = property(_number_of_recovery_points)
    for fn in (
        start_backup_job,
        describe_backup_job,
        list_recovery_points_by_backup_vault,
        describe_recovery_point,
        delete_recovery_point,
        delete_backup_vault,
    ):
        setattr(BackupResponse, fn.__name__, fn)
