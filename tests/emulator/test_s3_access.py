"""S3's refusals the S3 state backend's errors rest on (issue 26), as AWS gives them
(s3_access.py): a bucket asked for from the wrong Region, another account's bucket,
a bucket policy's deny. botocore would follow the Region error by itself (its S3
region redirector), so the Region test sends its request itself, signed for the
wrong Region, and reads S3's answer as the Rust SDK (which does not follow it) does.
"""

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError


def refused(call) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]


def signed_for(endpoint: str, account: str, region: str, path: str) -> tuple[int, dict, dict]:
    """GET `path` signed (by its credential scope; the emulator checks no signature)
    for `region`: status, headers, and the error's elements."""
    auth = (f"AWS4-HMAC-SHA256 Credential={account}/20261201/{region}/s3/aws4_request, "
            "SignedHeaders=host, Signature=00")
    req = urllib.request.Request(endpoint + path, headers={"Authorization": auth})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), {}
    except urllib.error.HTTPError as e:
        body = e.read()
        return e.code, dict(e.headers), {c.tag: c.text for c in ET.fromstring(body)}


def test_a_bucket_asked_for_from_another_region_names_its_region(client, account, endpoint):
    home = client("s3", region="eu-west-1", s3={"addressing_style": "path"})
    bucket = f"eu-{account}"
    home.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    home.put_object(Bucket=bucket, Key="k", Body=b"1")
    for path in (f"/{bucket}/k", f"/{bucket}?list-type=2"):
        status, headers, err = signed_for(endpoint, account, "us-east-1", path)
        assert (err.get("Code"), status) == ("AuthorizationHeaderMalformed", 400), path
        assert err["Region"] == "eu-west-1"
        assert "the region 'us-east-1' is wrong; expecting 'eu-west-1'" in err["Message"]
        assert headers["x-amz-bucket-region"] == "eu-west-1"
    assert signed_for(endpoint, account, "eu-west-1", f"/{bucket}/k")[0] == 200
    away = client("s3", region="us-east-1", s3={"addressing_style": "path"})
    # S3 answers where a bucket is from any Region.
    assert away.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "eu-west-1"
    assert home.get_object(Bucket=bucket, Key="k")["Body"].read() == b"1"


def test_another_accounts_bucket_without_a_policy_is_access_denied(client, make_account):
    owner, other = make_account(), make_account()
    mine = client("s3", account=owner, s3={"addressing_style": "path"})
    bucket = f"own-{owner}"
    mine.create_bucket(Bucket=bucket)
    theirs = client("s3", account=other, s3={"addressing_style": "path"})
    for call in (
        lambda: theirs.get_object(Bucket=bucket, Key="k"),
        lambda: theirs.put_object(Bucket=bucket, Key="k", Body=b"x"),
        lambda: theirs.list_objects_v2(Bucket=bucket),
    ):
        assert refused(call)[:2] == ("AccessDenied", 403)
    mine.put_object(Bucket=bucket, Key="k", Body=b"mine")
    assert mine.get_object(Bucket=bucket, Key="k")["Body"].read() == b"mine"


def test_a_bucket_policys_deny_is_access_denied_with_its_error(client, account):
    s3 = client("s3", s3={"addressing_style": "path"})
    bucket = f"deny-{account}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{bucket}/*"}],
    }))
    code, status, err = refused(lambda: s3.get_object(Bucket=bucket, Key="k"))
    assert (code, status) == ("AccessDenied", 403)
    assert err["Message"] == "Access Denied"
