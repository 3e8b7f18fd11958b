"""AWS Config configuration recorders and delivery channels as AWS has them, where
moto 5.2.5 differs. moto keeps one recorder and one channel per account and Region
(MaxNumberOf...ExceededException), a channel only after a recorder
(NoAvailableConfigurationRecorderException), a start only with a channel
(NoAvailableDeliveryChannelException), a channel's delete only while the recorder is
stopped (LastDeliveryChannelDeleteFailedException), and checks the recording group's
combinations (InvalidRecordingGroupException). Beyond that, each as the API reference
states it:

* PutConfigurationRecorder: a missing or empty `roleARN` is InvalidRoleException
  ("a null or empty Amazon Resource Name (ARN) for the IAM role"; moto failed with a
  server error); a name starting with `AWSConfigurationRecorderFor` is
  InvalidConfigurationRecorderNameException (the prefix is reserved for
  service-linked recorders), as is a request naming a `servicePrincipal`
  (UnmodifiableEntityException: service-linked recorders are made by
  PutServiceLinkedConfigurationRecorder). `recordingMode` is stored and returned
  (moto dropped it; absent: CONTINUOUS, as AWS returns). The recorder has an ARN
  (`configuration-recorder/<name>/<id>`), and `Tags` are added at creation only
  ("Tags are added at creation and cannot be updated"), then changed with
  TagResource / UntagResource on that ARN.
* DescribeConfigurationRecorders returns the recorders in the API's shape (moto's
  answer carried its internal `status` too); DescribeConfigurationRecorderStatus
  spells `lastStatus` as the model does (`Pending`, moto: `PENDING`) and carries the
  recorder's ARN.
* PutDeliveryChannel: the bucket must exist (NoSuchBucketException, "The specified
  Amazon S3 bucket does not exist"; moto checked only that the name was not empty),
  and so must the SNS topic when one is named (InvalidSNSTopicARNException, "The
  specified Amazon SNS topic does not exist"). Not encoded: the bucket policy check
  (InsufficientDeliveryPolicyException) and the KMS key's existence.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any

from moto.config.exceptions import InvalidSNSTopicARNException, NoSuchBucketException
from moto.config.models import ConfigBackend, validate_tags
from moto.config.responses import ConfigResponse
from moto.core.exceptions import JsonRESTError

RESERVED = "AWSConfigurationRecorderFor"
CONTINUOUS = {"recordingFrequency": "CONTINUOUS", "recordingModeOverrides": []}

_orig_put_recorder = ConfigResponse.put_configuration_recorder
_orig_put_channel = ConfigResponse.put_delivery_channel
_orig_delete_recorder = ConfigResponse.delete_configuration_recorder


class InvalidRoleException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("InvalidRoleException",
                         "You have provided a null or empty Amazon Resource Name (ARN) for the IAM role "
                         "assumed by Config and used by the customer managed configuration recorder.")


class InvalidConfigurationRecorderNameException(JsonRESTError):
    def __init__(self, name: str) -> None:
        super().__init__("InvalidConfigurationRecorderNameException",
                         f"The configuration recorder name '{name}' is not valid. The prefix \"{RESERVED}\" "
                         "is reserved for service-linked configuration recorders.")


class UnmodifiableEntityException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("UnmodifiableEntityException",
                         "You cannot use PutConfigurationRecorder to create a service-linked configuration "
                         "recorder. Use PutServiceLinkedConfigurationRecorder.")


def _extra(backend: ConfigBackend) -> dict[str, dict[str, Any]]:
    """Per recorder name: its ARN, tags and recording mode (what moto does not keep)."""
    if not hasattr(backend, "_driftless_recorders"):
        backend._driftless_recorders = {}
    return backend._driftless_recorders


def put_configuration_recorder(self: Any) -> str:
    params = json.loads(self.body or "{}")
    recorder = params.get("ConfigurationRecorder") or {}
    name = recorder.get("name") or ""
    if name.startswith(RESERVED):
        raise InvalidConfigurationRecorderNameException(name)
    if recorder.get("servicePrincipal"):
        raise UnmodifiableEntityException()
    if not recorder.get("roleARN"):
        raise InvalidRoleException()
    tags = validate_tags(params.get("Tags") or [])
    _orig_put_recorder(self)
    backend = self.config_backend
    extra = _extra(backend)
    if name not in extra:
        suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
        arn = f"arn:aws:config:{backend.region_name}:{backend.account_id}:configuration-recorder/{name}/{suffix}"
        extra[name] = {"arn": arn, "tags": tags}
    mode = recorder.get("recordingMode") or {}
    extra[name]["recordingMode"] = {
        "recordingFrequency": mode.get("recordingFrequency", "CONTINUOUS"),
        "recordingModeOverrides": mode.get("recordingModeOverrides") or [],
    }
    return ""


def _recorder(backend: ConfigBackend, r: Any) -> dict[str, Any]:
    extra = _extra(backend).get(r.name, {})
    out = {"name": r.name, "roleARN": r.role_arn, "recordingGroup": r.recording_group.to_dict(),
           "recordingMode": extra.get("recordingMode", CONTINUOUS)}
    if "arn" in extra:
        out["arn"] = extra["arn"]
    return out


def _named(self: Any, key: str) -> list[Any]:
    backend = self.config_backend
    names = self._get_param(key) or []
    # moto answers NoSuchConfigurationRecorderException for an unknown name.
    backend.describe_configuration_recorders(names)
    return [r for n, r in backend.recorders.items() if not names or n in names]


def describe_configuration_recorders(self: Any) -> str:
    recorders = [_recorder(self.config_backend, r) for r in _named(self, "ConfigurationRecorderNames")]
    return json.dumps({"ConfigurationRecorders": recorders})


def describe_configuration_recorder_status(self: Any) -> str:
    out = []
    for r in _named(self, "ConfigurationRecorderNames"):
        status = r.status.to_dict()
        if status.get("lastStatus"):
            status["lastStatus"] = status["lastStatus"].capitalize()
        arn = _extra(self.config_backend).get(r.name, {}).get("arn")
        if arn:
            status["arn"] = arn
        out.append(status)
    return json.dumps({"ConfigurationRecordersStatus": out})


def delete_configuration_recorder(self: Any) -> str:
    name = self._get_param("ConfigurationRecorderName")
    out = _orig_delete_recorder(self)
    _extra(self.config_backend).pop(name, None)
    return out


def _bucket_exists(name: str) -> bool:
    from moto.s3.models import s3_backends

    entry = s3_backends.bucket_accounts.get(name)
    if entry is None:
        return False
    partition, owner = entry
    return name in s3_backends[owner][partition].buckets


def _topic_exists(arn: str) -> bool:
    from moto.sns.models import sns_backends

    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sns":
        return False
    return arn in sns_backends[parts[4]][parts[3]].topics


class _NoSuchBucket(NoSuchBucketException):
    def __init__(self, name: str) -> None:
        JsonRESTError.__init__(self, "NoSuchBucketException", f"Cannot find a S3 bucket with name '{name}'.")


class _NoSuchTopic(InvalidSNSTopicARNException):
    def __init__(self, arn: str) -> None:
        JsonRESTError.__init__(self, "InvalidSNSTopicARNException", f"The sns topic arn '{arn}' is not valid.")


def put_delivery_channel(self: Any) -> str:
    channel = json.loads(self.body or "{}").get("DeliveryChannel") or {}
    if self.config_backend.recorders:
        bucket = channel.get("s3BucketName")
        if bucket and not _bucket_exists(bucket):
            raise _NoSuchBucket(bucket)
        topic = channel.get("snsTopicARN")
        if topic and not _topic_exists(topic):
            raise _NoSuchTopic(topic)
    return _orig_put_channel(self)


class _RecorderTags:
    def __init__(self, extra: dict[str, Any]) -> None:
        self.tags = extra["tags"]


_orig_match_arn = None


def _match_arn(self: ConfigBackend, resource_arn: str) -> Any:
    for extra in _extra(self).values():
        if extra.get("arn") == resource_arn:
            return _RecorderTags(extra)
    return _orig_match_arn(self, resource_arn)


def apply() -> None:
    global _orig_match_arn
    for fn in (put_configuration_recorder, describe_configuration_recorders,
               describe_configuration_recorder_status, delete_configuration_recorder, put_delivery_channel):
        setattr(ConfigResponse, fn.__name__, fn)
    # Taken here, not at import: another extension may have wrapped it already.
    _orig_match_arn = ConfigBackend._match_arn
    ConfigBackend._match_arn = _match_arn
