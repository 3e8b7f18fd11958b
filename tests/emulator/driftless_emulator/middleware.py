"""WSGI middleware in front of moto's DomainDispatcherApplication.

* /_driftless/...  control endpoints (call counts, faults, quotas) - never counted
* /moto-api/...    passed to moto untouched - never counted
* everything else: classified (service, operation), counted, maybe throttled by
  the rate quotas (quotas.py, when on), maybe faulted,
  validated (gate: the API model and the service rules; an invalid request is
  answered as AWS does and never reaches moto), then served: rpcv2Cbor
  through cbor_proto, the rest by moto itself. The answer is recorded in CloudTrail's
  event history (ext_cloudtrail) when CloudTrail would record it, failed or not.

Fails closed: an exception while serving, or a 500 that is not in AWS's error shape
(moto's HTML error page), is answered with `InternalFailure` in the request's
protocol and the stack logged.
"""

from __future__ import annotations

import gzip
import io
import json
import urllib.parse
import logging
import re
import socket
import time
from typing import Any, Callable, Iterable

from . import cbor_proto, ext_cloudtrail, gate, quotas, s3_access
from .accounting import Calls, Faults
from .classify import RequestInfo, classify
from .errors import error_response

log = logging.getLogger("driftless_emulator")

DEFAULT_ACCOUNT = "123456789012"  # moto's account for unknown keys
TWELVE_DIGITS = re.compile(r"^\d{12}$")



def _account_of_key(access_key: str) -> str:
    """The account moto puts a non-12-digit access key in (an assumed role's, else
    its default)."""
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)

class DropConnection(ConnectionResetError):
    """Raised to make werkzeug abandon the request without a response."""


def _read_body(environ: dict) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            n = int(length)
        except ValueError:
            n = 0
        body = stream.read(n) if n > 0 else b""
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    if (environ.get("HTTP_CONTENT_ENCODING") or "").strip().lower() == "gzip":
        # Request compression (PutMetricData's `requestcompression` trait): the AWS
        # SDKs gzip large bodies and say so in Content-Encoding; AWS reads them.
        try:
            body = gzip.decompress(body)
            environ.pop("HTTP_CONTENT_ENCODING", None)
        except (OSError, EOFError):
            pass  # not gzip after all: the protocol's reader refuses it
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("wsgi.input_terminated", None)
    return body


def _respond(start_response: Callable, status: int, headers: list[tuple[str, str]], body: bytes) -> list[bytes]:
    start_response(f"{status} {_REASONS.get(status, 'Unknown')}", headers)
    return [body]


_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _json(start_response: Callable, status: int, doc: Any) -> list[bytes]:
    body = json.dumps(doc, sort_keys=True).encode()
    return _respond(
        start_response,
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        body,
    )


class DriftlessApp:
    def __init__(self, moto_app: Callable) -> None:
        self.moto_app = moto_app
        self.calls = Calls()
        self.faults = Faults()
        self.quotas = quotas.Quotas()

    # ----------------------------------------------------------------- control
    def _control(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "").rstrip("/")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        body = _read_body(environ)
        if path == "/_driftless/calls":
            if method == "GET":
                query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
                account = (query.get("account") or [None])[0]
                return _json(start_response, 200, self.calls.snapshot(account))
            if method == "DELETE":
                self.calls.reset()
                return _json(start_response, 200, {"status": "ok"})
        elif path == "/_driftless/calls/reset":
            if method in ("POST", "PUT", "DELETE"):
                self.calls.reset()
                return _json(start_response, 200, {"status": "ok"})
        elif path == "/_driftless/faults":
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            account = (query.get("account") or [None])[0]
            if account is not None and not TWELVE_DIGITS.match(account):
                return _json(start_response, 400, {"error": "account must be 12 digits"})
            if method == "GET":
                return _json(start_response, 200, self.faults.to_json(account))
            if method in ("POST", "PUT"):
                try:
                    self.faults.configure(json.loads(body or b"{}"), account)
                except (ValueError, TypeError, AttributeError) as exc:
                    return _json(start_response, 400, {"error": str(exc)})
                return _json(start_response, 200, self.faults.to_json(account))
            if method == "DELETE":
                self.faults.clear(account)
                return _json(start_response, 200, {"status": "ok"})
        elif path == "/_driftless/quotas":
            return self._control_quotas(method, body, start_response)
        elif path in ("/_driftless", "/_driftless/health"):
            return _json(start_response, 200, {"status": "ok"})
        else:
            return _json(start_response, 404, {"error": f"no such control endpoint {path}"})
        return _json(start_response, 405, {"error": f"{method} not allowed on {path}"})

    def _control_quotas(self, method: str, body: bytes, start_response: Callable) -> Iterable[bytes]:
        if method == "GET":
            return _json(start_response, 200, self.quotas.to_json())
        if method in ("POST", "PUT"):
            try:
                self.quotas.configure(json.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return _json(start_response, 400, {"error": str(exc)})
            return _json(start_response, 200, self.quotas.to_json())
        if method == "DELETE":
            self.quotas.clear()
            return _json(start_response, 200, self.quotas.to_json())
        return _json(start_response, 405, {"error": f"{method} not allowed on /_driftless/quotas"})

    # ---------------------------------------------------------------- requests
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or ""
        if path.startswith("/_driftless"):
            return self._control(environ, start_response)
        if path.startswith("/moto-api") or path == "/favicon.ico":
            if path.rstrip("/") == "/moto-api/reset":
                ext_cloudtrail.TRAIL.reset()
            return self.moto_app(environ, start_response)

        body = _read_body(environ)
        info = classify(environ, body)

        # A 12-digit access key id names the account (as on LocalStack): moto
        # itself would put every unknown key into its default account.
        if info.access_key and TWELVE_DIGITS.match(info.access_key):
            environ.setdefault("HTTP_X_MOTO_ACCOUNT_ID", info.access_key)
        elif info.access_key and "HTTP_X_MOTO_ACCOUNT_ID" not in environ:
            # Credentials from AssumeRole: moto serves them in the role's account, so
            # counting, faults and the extension's rules must look there too.
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = _account_of_key(info.access_key)

        account = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT
        self.calls.count(info.service, info.operation, account)

        if not self.quotas.admit(info.service, info.operation, account, info.region):
            self.calls.count_throttled(info.service, info.operation, account)
            log.info("quota: throttled %s.%s", info.service, info.operation)
            answer = quotas.throttle_response(info.service, info.protocol, info.operation)
            return self._answer(environ, start_response, info, body, account, answer)

        latency_ms, decision = self.faults.decide(info.service, info.operation, account)
        if latency_ms:
            self.calls.count_fault(info.service, info.operation, "latency", account)
            time.sleep(latency_ms / 1000.0)
        if decision is not None and decision.kind == "drop_response":
            self.calls.count_fault(info.service, info.operation, decision.kind, account)
            return self._drop_after(environ, start_response, info, body, account)
        if decision is not None:
            self.calls.count_fault(info.service, info.operation, decision.kind, account)
            return self._inject(environ, start_response, info, body, account, decision.kind)

        refusal = gate.check(info, environ, body, account)
        if refusal is not None:
            return self._answer(environ, start_response, info, body, account, gate.answer(info, refusal))
        s3_refusal = s3_access.check(info, environ, account)
        if s3_refusal is not None:
            return self._answer(environ, start_response, info, body, account, s3_refusal)

        answer = s3_access.shape(info, environ, self._serve(environ, info, body))
        return self._answer(environ, start_response, info, body, account, answer)

    def _answer(
        self,
        environ: dict,
        start_response: Callable,
        info: RequestInfo,
        body: bytes,
        account: str,
        answer: tuple[int, list[tuple[str, str]], bytes],
    ) -> list[bytes]:
        """Records the answer in CloudTrail's event history (when CloudTrail would),
        then sends it."""
        status, headers, out = answer
        try:
            ext_cloudtrail.record(info, environ, body, account, status, headers, out)
        except Exception:  # the history must never break the answer
            log.exception("recording %s.%s in CloudTrail failed", info.service, info.operation)
        return _respond(start_response, status, headers, out)

    def _serve(self, environ: dict, info: RequestInfo, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """moto's answer, whole; an exception or a 500 not in AWS's shape becomes
        `InternalFailure`."""
        try:
            if info.protocol == "cbor" and info.cbor_service_name:
                return cbor_proto.handle(
                    environ, body, info.service, info.cbor_service_name, info.operation, self.moto_app
                )
            captured: dict[str, Any] = {}

            def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
                captured["status"], captured["headers"] = status, list(headers)
                return lambda data: None

            chunks = self.moto_app(environ, capture)
            try:
                out = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
            status = int(str(captured.get("status", "500")).split(" ", 1)[0])
            headers = [(k, v) for k, v in captured.get("headers", [])]
        except Exception:
            log.exception("moto failed on %s.%s; answering InternalFailure", info.service, info.operation)
            return gate.answer(info, gate.internal_failure())
        if status >= 500 and not _aws_shaped(headers):
            log.error(
                "moto answered %s.%s with a %d page; answering InternalFailure: %s",
                info.service, info.operation, status, out[:2000].decode("utf-8", "replace"),
            )
            return gate.answer(info, gate.internal_failure())
        return status, headers, out

    def _drop_after(
        self, environ: dict, start_response: Callable, info: RequestInfo, body: bytes, account: str
    ) -> Iterable[bytes]:
        """Carries the request out as AWS would (the service's rules first, so a request
        AWS refuses is not made), records it in CloudTrail's event history like any
        answered call (AWS records what it did, whether or not the caller heard back),
        then drops the connection before answering."""
        refusal = gate.check(info, environ, body, account)
        answer = gate.answer(info, refusal) if refusal is not None else self._serve(environ, info, body)
        status, headers, out = answer
        try:
            ext_cloudtrail.record(info, environ, body, account, status, headers, out)
        except Exception:  # the history must never break the fault
            log.exception("recording %s.%s in CloudTrail failed", info.service, info.operation)
        return self._inject(environ, start_response, info, body, None, "drop")

    def _inject(
        self, environ: dict, start_response: Callable, info: RequestInfo, body: bytes, account: str | None, kind: str
    ) -> Iterable[bytes]:
        log.info("fault %s on %s.%s", kind, info.service, info.operation)
        if kind == "drop":
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            raise DropConnection("driftless fault injection: connection dropped")
        proto = info.protocol
        if kind == "throttle":
            # The same answer as the rate quotas give: the throttling error of the
            # operation's model, else the service's documented common error.
            resp = quotas.throttle_response(info.service, proto, info.operation)
        elif kind == "error500":
            resp = gate.answer(info, gate.internal_failure())
        else:  # error503
            resp = error_response(
                info.service, proto, 503, "ServiceUnavailable", "Service is unavailable, please retry."
            )
        return self._answer(environ, start_response, info, body, account or DEFAULT_ACCOUNT, resp)


def _aws_shaped(headers: list[tuple[str, str]]) -> bool:
    """Whether an answer is an AWS error (JSON, CBOR or XML with an error type), not
    an HTML page."""
    names = {k.lower(): v for k, v in headers}
    if "x-amzn-errortype" in names or "x-amzn-query-error" in names:
        return True
    ctype = names.get("content-type", "").lower()
    return "json" in ctype or "cbor" in ctype or "xml" in ctype
