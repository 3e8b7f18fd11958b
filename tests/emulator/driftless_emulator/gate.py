"""The front door: refuse invalid requests as the AWS service would, before moto.

For every request to a service driftless uses, the input is parsed per
protocol (request_params.py), checked against the botocore model
(validation.py) and then against the service rules the model cannot express
(rules.py). A violation is answered in the request's protocol with the error
the service uses for it, HTTP 400; moto never sees the request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from . import models, request_params, rules, validation
from .classify import RequestInfo
from .errors import error_response

log = logging.getLogger("driftless_emulator.gate")

# The error each service answers a model (input validation) violation with.
# Sources: the services' API references, "Common errors" / each operation's
# Errors section (CloudWatch and STS: ValidationError; SSM:
# ValidationException; Backup: InvalidParameterValueException; Logs and the
# tagging API: InvalidParameterException; SNS: InvalidParameter; Config:
# ValidationException).
VALIDATION_ERROR = {
    "cloudwatch": "ValidationError",
    "ssm": "ValidationException",
    "backup": "InvalidParameterValueException",
    "logs": "InvalidParameterException",
    "resourcegroupstaggingapi": "InvalidParameterException",
    "sts": "ValidationError",
    "sns": "InvalidParameter",
    "config": "ValidationException",
}


@dataclass
class Refusal:
    """An error answer: `code` is the service's error code (awsQuery code for
    query protocols, shape name otherwise; see error_names)."""

    code: str
    message: str
    status: int = 400


def error_names(service: str, code: str) -> tuple[str, str]:
    """(shape name for JSON/CBOR `__type`, awsQuery error code) of `code`.

    CloudWatch's model names its shape `ValidationException` with the query
    code `ValidationError`; SNS's `InvalidParameterException` has the code
    `InvalidParameter`. A code the model does not know is used as both."""
    try:
        model = models.service_model(service)
    except Exception:
        return code, code
    for shape in model.error_shapes:
        wire = (shape.metadata.get("error") or {}).get("code", shape.name)
        if code in (shape.name, wire):
            return shape.name, wire
    return code, code


def answer(info: RequestInfo, refusal: Refusal) -> tuple[int, list[tuple[str, str]], bytes]:
    """The refusal in the request's protocol."""
    type_name, query_code = error_names(info.service, refusal.code)
    code = query_code if info.protocol in ("query", "ec2") else type_name
    return error_response(info.service, info.protocol, refusal.status, code, refusal.message, query_code=query_code)


INTERNAL_FAILURE = "The request processing has failed because of an unknown error, exception or failure."


def internal_failure() -> Refusal:
    """AWS's answer to a request it failed on: HTTP 500 `InternalFailure` (the
    common error of every service's API reference, "Common Errors")."""
    return Refusal("InternalFailure", INTERNAL_FAILURE, 500)


def check(info: RequestInfo, environ: dict, body: bytes, account: str) -> Refusal | None:
    """None when the request may go on to moto, else why it is refused.

    Fails closed: a request the gate cannot read, or a failure of the validation
    itself, is answered with a 500 `InternalFailure` (and the stack logged), never
    passed on to moto unchecked."""
    if info.service not in VALIDATION_ERROR:
        return None
    try:
        model = models.service_model(info.service)
        if info.operation not in model.operation_names:
            return None  # moto answers for operations the model does not know
        op = model.operation_model(info.operation)
    except Exception:
        log.exception("loading the model of %s.%s failed; answering InternalFailure", info.service, info.operation)
        return internal_failure()
    try:
        params = request_params.parse_or_raise(info.protocol, op, environ, body)
    except request_params.UNDECODABLE as exc:
        log.info("undecodable %s request for %s.%s: %s", info.protocol, info.service, info.operation, exc)
        return Refusal("SerializationException", f"The request body could not be read: {exc}")
    except Exception:
        log.exception("reading the %s.%s request failed; answering InternalFailure", info.service, info.operation)
        return internal_failure()
    if params is None:
        log.error(
            "unreadable %s request for %s.%s (%d bytes); answering InternalFailure",
            info.protocol, info.service, info.operation, len(body),
        )
        return internal_failure()
    try:
        found = validation.validate(op.input_shape, params)
        if found:
            log.info("refused %s.%s: %s", info.service, info.operation, found.message())
            return Refusal(VALIDATION_ERROR[info.service], found.message())
        return _rules(info, params, account)
    except Exception:
        log.exception("validation of %s.%s failed; answering InternalFailure", info.service, info.operation)
        return internal_failure()


def _rules(info: RequestInfo, params: dict[str, Any], account: str) -> Refusal | None:
    broken = rules.check(info.service, info.operation, params, account, info.region)
    if broken is None:
        return None
    code, message = broken
    log.info("refused %s.%s by rule: %s", info.service, info.operation, message)
    return Refusal(code or VALIDATION_ERROR[info.service], message)
