"""AWS Backup: a vault's access policy and notifications.

moto 5.2.5 has Vault Lock (PutBackupVaultLockConfiguration,
DeleteBackupVaultLockConfiguration; ListBackupVaults returns Locked,
Min/MaxRetentionDays and LockDate) but no access policies and no
notifications (no route: 404). Here, as the API reference describes them:

* PutBackupVaultAccessPolicy stores the policy text of an existing vault
  (a policy that is not a JSON object is refused with
  InvalidParameterValueException); GetBackupVaultAccessPolicy returns
  BackupVaultName, BackupVaultArn and Policy as stored, or
  ResourceNotFoundException when the vault has none; DeleteBackupVaultAccessPolicy
  removes it.
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultAccessPolicy.html,
  API_GetBackupVaultAccessPolicy.html)
* PutBackupVaultNotifications stores SNSTopicArn and BackupVaultEvents (the
  event names are checked against the model's enum by validation.py);
  GetBackupVaultNotifications returns them with the vault's name and ARN, or
  ResourceNotFoundException when none are set; DeleteBackupVaultNotifications
  removes them.
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultNotifications.html)

Both live on moto's Vault object, so they go with the vault when it is
deleted. An unknown vault is ResourceNotFoundException everywhere.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from moto.backup import urls as backup_urls
from moto.backup.exceptions import InvalidParameterValueException, ResourceNotFoundException
from moto.backup.responses import BackupResponse
from moto.core.responses import ActionResult, EmptyResult


def _vault(resp: Any) -> Any:
    m = re.search(r"/backup-vaults/([^/]+)/", resp.path.split("?")[0] + "/")
    name = unquote(m.group(1)) if m else ""
    vault = resp.backup_backend.vaults.get(name)
    if vault is None:
        raise ResourceNotFoundException(msg=f"Backup vault {name} not found")
    return vault


def _body(resp: Any) -> dict[str, Any]:
    raw = resp.body.decode("utf-8") if isinstance(resp.body, bytes) else resp.body
    return json.loads(raw or "{}")


def put_backup_vault_access_policy(self: Any) -> EmptyResult:
    vault = _vault(self)
    policy = _body(self).get("Policy")
    try:
        parsed = json.loads(policy) if isinstance(policy, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise InvalidParameterValueException(msg="Policy is not a valid JSON policy document")
    vault.driftless_policy = policy
    return EmptyResult()


def get_backup_vault_access_policy(self: Any) -> ActionResult:
    vault = _vault(self)
    policy = getattr(vault, "driftless_policy", None)
    if policy is None:
        raise ResourceNotFoundException(msg=f"Backup vault {vault.backup_vault_name} has no access policy")
    return ActionResult(
        {"BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn, "Policy": policy}
    )


def delete_backup_vault_access_policy(self: Any) -> EmptyResult:
    _vault(self).driftless_policy = None
    return EmptyResult()


def put_backup_vault_notifications(self: Any) -> EmptyResult:
    vault = _vault(self)
    params = _body(self)
    vault.driftless_notifications = {
        "SNSTopicArn": params["SNSTopicArn"],
        "BackupVaultEvents": list(params["BackupVaultEvents"]),
    }
    return EmptyResult()


def get_backup_vault_notifications(self: Any) -> ActionResult:
    vault = _vault(self)
    notifications = getattr(vault, "driftless_notifications", None)
    if notifications is None:
        raise ResourceNotFoundException(msg=f"Backup vault {vault.backup_vault_name} has no notifications")
    return ActionResult(
        {"BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn, **notifications}
    )


def delete_backup_vault_notifications(self: Any) -> EmptyResult:
    _vault(self).driftless_notifications = None
    return EmptyResult()


def apply() -> None:
    for tail in ("access-policy", "notification-configuration"):
        backup_urls.url_paths["{0}/backup-vaults/(?P<name>[^/]+)/" + tail + "/?$"] = BackupResponse.dispatch
    for fn in (
        put_backup_vault_access_policy,
        get_backup_vault_access_policy,
        delete_backup_vault_access_policy,
        put_backup_vault_notifications,
        get_backup_vault_notifications,
        delete_backup_vault_notifications,
    ):
        setattr(BackupResponse, fn.__name__, fn)
