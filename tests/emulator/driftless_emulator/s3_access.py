"""S3's refusals moto does not give, as AWS gives them (the S3 state backend's
errors, issue 26):

* A request for a bucket signed for another Region than the bucket's: 400
  `AuthorizationHeaderMalformed` ("the region 'X' is wrong; expecting 'Y'", with
  `<Region>` and the `x-amz-bucket-region` header), as S3 answers a SigV4 request whose
  credential scope names the wrong Region.
* A request for another account's bucket that has no bucket policy: 403
  `AccessDenied` (S3 grants another account nothing without a policy; moto lets
  every account in).
* moto's answer to a request a bucket policy denies is a 403 with an empty body;
  AWS's carries the `AccessDenied` error (HEAD answers have no body in either).

Path-style requests only (`/bucket/key`): the emulator serves S3 at one host, and
driftless addresses it path-style when an endpoint is set.
"""

from __future__ import annotations

import uuid
from typing import Any
from xml.sax.saxutils import escape

# Requests that do not address an existing bucket of their own, or that S3 serves
# from any Region (GetBucketLocation).
_UNBOUND = {"CreateBucket", "ListBuckets", "ListDirectoryBuckets", "GetBucketLocation"}

Answer = tuple[int, list[tuple[str, str]], bytes]


def _bucket_name(environ: dict) -> str | None:
    path = (environ.get("PATH_INFO", "") or "").lstrip("/")
    name = path.split("/", 1)[0]
    return name or None


def _bucket(name: str) -> Any | None:
    from moto.s3.models import s3_backends

    entry = s3_backends.bucket_accounts.get(name)
    if entry is None:
        return None
    partition, owner = entry
    return s3_backends[owner][partition].buckets.get(name)


def _error(method: str, status: int, code: str, message: str, extra: str = "",
           headers: list[tuple[str, str]] | None = None) -> Answer:
    request_id = uuid.uuid4().hex[:16].upper()
    out = [("x-amz-request-id", request_id), ("Content-Type", "application/xml")] + (headers or [])
    if method == "HEAD":
        return status, out, b""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{extra}"
        f"<RequestId>{request_id}</RequestId><HostId>{uuid.uuid4().hex}</HostId></Error>"
    )
    return status, out, body.encode()


def check(info: Any, environ: dict, account: str) -> Answer | None:
    """AWS's refusal of this S3 request, or None when S3 would serve it."""
    if info.service != "s3" or info.operation in _UNBOUND:
        return None
    name = _bucket_name(environ)
    bucket = _bucket(name) if name else None
    if bucket is None:
        return None  # moto answers NoSuchBucket
    method = (environ.get("REQUEST_METHOD", "GET") or "GET").upper()
    signed = info.region
    if info.access_key and signed and bucket.region_name and signed != bucket.region_name:
        return _error(
            method, 400, "AuthorizationHeaderMalformed",
            f"The authorization header is malformed; the region '{signed}' is wrong; "
            f"expecting '{bucket.region_name}'",
            f"<Region>{escape(bucket.region_name)}</Region>",
            [("x-amz-bucket-region", bucket.region_name)],
        )
    if account != bucket.account_id and not bucket.policy:
        return _error(method, 403, "AccessDenied", "Access Denied")
    return None


def shape(info: Any, environ: dict, answer: Answer) -> Answer:
    """moto's bodiless 403 (a bucket policy's deny) as AWS's `AccessDenied`."""
    status, headers, body = answer
    method = (environ.get("REQUEST_METHOD", "GET") or "GET").upper()
    if info.service == "s3" and status == 403 and not body and method != "HEAD":
        return _error(method, 403, "AccessDenied", "Access Denied")
    return answer
