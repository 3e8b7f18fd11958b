"""S3 conditional writes, as the S3 state backend relies on them (issue 26).

AWS (PutObject, DeleteObject API references; "How to prevent object overwrites with
conditional writes"): `If-None-Match: *` creates only, else 412 PreconditionFailed;
`If-Match: <etag>` replaces or deletes only that version, else 412; an `If-Match` on a
key that does not exist is 404 NoSuchKey. The pinned moto does this itself; these
tests pin it, through the emulator's gate, path-style as driftless addresses it.
"""

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def s3(client, account):
    # Bucket names are global, as in AWS: one per test's account.
    c = client("s3", s3={"addressing_style": "path"})
    c.create_bucket(Bucket=f"state-{account}")
    return c, f"state-{account}"


def code_and_status(err: ClientError):
    return err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]


def test_if_none_match_creates_once(s3):
    s3, bucket = s3
    s3.put_object(Bucket=bucket, Key="p/lock.json", Body=b"a", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="p/lock.json", Body=b"b", IfNoneMatch="*")
    assert code_and_status(e.value) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="p/lock.json")["Body"].read() == b"a"


def test_if_match_replaces_only_the_version_read(s3):
    s3, bucket = s3
    first = s3.put_object(Bucket=bucket, Key="r.json", Body=b"1")["ETag"]
    second = s3.put_object(Bucket=bucket, Key="r.json", Body=b"2", IfMatch=first)["ETag"]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="r.json", Body=b"3", IfMatch=first)
    assert code_and_status(e.value) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="r.json")["Body"].read() == b"2"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="gone.json", Body=b"x", IfMatch=second)
    assert code_and_status(e.value) == ("NoSuchKey", 404)


def test_if_match_deletes_only_the_version_read(s3):
    s3, bucket = s3
    first = s3.put_object(Bucket=bucket, Key="lock.json", Body=b"1")["ETag"]
    s3.put_object(Bucket=bucket, Key="lock.json", Body=b"2")
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key="lock.json", IfMatch=first)
    assert code_and_status(e.value) == ("PreconditionFailed", 412)
    current = s3.head_object(Bucket=bucket, Key="lock.json")["ETag"]
    s3.delete_object(Bucket=bucket, Key="lock.json", IfMatch=current)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="lock.json")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
