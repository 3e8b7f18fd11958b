"""Call accounting (/_driftless/calls) and fault injection (/_driftless/faults)."""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, HTTPClientError

from conftest import _free_port, _wait_ready, http_json
from driftless_emulator import quotas

HERE = Path(__file__).resolve().parent


def test_calls_counted_per_service_and_operation(endpoint, client, cbor_client, query_client, control):
    control.reset_calls()
    assert control.calls()["total"] == 0
    cw, cwc, cwq = client("cloudwatch"), cbor_client("cloudwatch"), query_client("cloudwatch")
    for c in (cw, cw, cwc, cwq):
        c.describe_alarms()
    ssm = client("ssm")
    ssm.describe_patch_baselines()
    bk = client("backup")
    bk.create_backup_vault(BackupVaultName="counted")
    bk.list_backup_plans()
    bk.list_recovery_points_by_backup_vault(BackupVaultName="counted")
    client("logs").describe_log_groups()
    client("resourcegroupstaggingapi").get_resources()
    urllib.request.urlopen(endpoint + "/moto-api/").read()  # not counted
    control.calls()  # not counted either
    snap = control.calls()
    assert snap["calls"] == {
        "cloudwatch": {"DescribeAlarms": 4},
        "ssm": {"DescribePatchBaselines": 1},
        "backup": {"CreateBackupVault": 1, "ListBackupPlans": 1, "ListRecoveryPointsByBackupVault": 1},
        "logs": {"DescribeLogGroups": 1},
        "resourcegroupstaggingapi": {"GetResources": 1},
    }
    assert snap["total"] == 10
    assert snap["faults"] == {} and snap["faultsTotal"] == 0
    control.reset_calls()
    assert control.calls()["calls"] == {}
    # DELETE also resets
    cw.describe_alarms()
    assert http_json("DELETE", endpoint + "/_driftless/calls")[0] == 200
    assert control.calls()["total"] == 0


def test_throttle_per_protocol(client, cbor_client, query_client, control):
    control.set_faults({"seed": 1, "rules": [{"kind": "throttle", "rate": 1.0}]})
    cases = [
        (client("ssm").describe_patch_baselines, {}, "ThrottlingException", 400),
        (client("cloudwatch").describe_alarms, {}, "Throttling", 400),  # awsJson, query-compatible
        (cbor_client("cloudwatch").describe_alarms, {}, "Throttling", 400),  # rpcv2Cbor, query-compatible
        (query_client("cloudwatch").describe_alarms, {}, "Throttling", 400),
        # Backup models no throttling error: its API reference's "Common Errors"
        # (ThrottlingException, HTTP 400), as the rate quotas answer.
        (client("backup").list_backup_plans, {}, "ThrottlingException", 400),
        (client("logs").describe_log_groups, {}, "ThrottlingException", 400),
    ]
    for fn, kwargs, code, status in cases:
        with pytest.raises(ClientError) as e:
            fn(**kwargs)
        assert e.value.response["Error"]["Code"] == code, fn
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == status, fn


def test_throttle_cbor_body(endpoint, cbor_client, control):
    import cbor2

    control.set_faults({"rules": [{"service": "cloudwatch", "operation": "DescribeAlarms", "kind": "throttle"}]})
    req = urllib.request.Request(
        endpoint + "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
        data=cbor2.dumps({}),
        method="POST",
        headers={
            "smithy-protocol": "rpc-v2-cbor",
            "Content-Type": "application/cbor",
            "Authorization": "AWS4-HMAC-SHA256 Credential=000000000001/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 400
    assert e.value.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert e.value.headers["x-amzn-query-error"] == "Throttling;Sender"
    assert cbor2.loads(e.value.read())["__type"] == "ThrottlingException"


@pytest.mark.parametrize("kind,status", [("error500", 500), ("error503", 503)])
def test_server_errors(client, cbor_client, control, kind, status):
    control.set_faults({"rules": [{"service": "cloudwatch", "operation": "PutMetricAlarm", "kind": kind}]})
    for cw in (client("cloudwatch"), cbor_client("cloudwatch")):
        with pytest.raises(ClientError) as e:
            cw.put_metric_alarm(
                AlarmName="x", MetricName="m", Namespace="n", Statistic="Sum", Period=60,
                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
            )
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
        cw.describe_alarms()  # other operations unaffected


def test_count_limits_failures_and_faults_are_reported(client, control):
    control.reset_calls()
    control.set_faults({"rules": [{"service": "ssm", "operation": "DescribePatchBaselines", "kind": "throttle", "count": 2}]})
    ssm = client("ssm")
    results = []
    for _ in range(4):
        try:
            ssm.describe_patch_baselines()
            results.append("ok")
        except ClientError:
            results.append("throttled")
    assert results == ["throttled", "throttled", "ok", "ok"]
    snap = control.calls()
    assert snap["calls"]["ssm"]["DescribePatchBaselines"] == 4  # faulted requests are counted too
    assert snap["faults"] == {"ssm": {"DescribePatchBaselines": {"throttle": 2}}}
    assert snap["faultsTotal"] == 2
    rules = http_json("GET", control_url(client) + "/_driftless/faults")[1]["rules"]
    assert rules[0]["fired"] == 2


def control_url(client):
    return client("ssm").meta.endpoint_url


def _outcomes(ssm, control, seed, n=24):
    control.set_faults({"seed": seed, "rules": [{"service": "ssm", "kind": "throttle", "rate": 0.5}]})
    out = []
    for _ in range(n):
        try:
            ssm.describe_patch_baselines()
            out.append(0)
        except ClientError:
            out.append(1)
    return out


def test_rate_is_deterministic_for_a_seed(client, control):
    ssm = client("ssm")
    a = _outcomes(ssm, control, 42)
    b = _outcomes(ssm, control, 42)
    c = _outcomes(ssm, control, 7)
    assert a == b
    assert a != c
    assert 4 <= sum(a) <= 20  # roughly half


def test_latency(client, control):
    ssm = client("ssm")
    control.set_faults({"rules": [{"service": "ssm", "kind": "latency", "latencyMs": 400}]})
    t = time.monotonic()
    ssm.describe_patch_baselines()
    assert time.monotonic() - t >= 0.4
    control.clear_faults()
    t = time.monotonic()
    ssm.describe_patch_baselines()
    assert time.monotonic() - t < 0.4


def test_drop_closes_connection(endpoint, client, control):
    control.set_faults({"rules": [{"service": "ssm", "kind": "drop", "count": 2}]})
    with pytest.raises((ConnectionClosedError, EndpointConnectionError, HTTPClientError)):
        client("ssm").describe_patch_baselines()
    req = urllib.request.Request(
        endpoint + "/",
        data=b"{}",
        method="POST",
        headers={"X-Amz-Target": "AmazonSSM.DescribePatchBaselines", "Content-Type": "application/x-amz-json-1.1"},
    )
    with pytest.raises((urllib.error.URLError, ConnectionError)) as e:
        urllib.request.urlopen(req, timeout=10)
    assert not isinstance(e.value, urllib.error.HTTPError)  # no HTTP response at all
    client("ssm").describe_patch_baselines()  # count exhausted: served again


def test_drop_response_carries_the_request_out_then_drops_the_answer(client, control, account):
    control.set_faults({"rules": [{"service": "logs", "operation": "CreateLogGroup", "kind": "drop_response", "count": 1, "account": account}]})
    logs = client("logs")
    with pytest.raises((ConnectionClosedError, EndpointConnectionError, HTTPClientError)):
        logs.create_log_group(logGroupName="/lost/response")
    # The write happened although the client never heard back.
    names = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    assert names == ["/lost/response"]
    # ... and CloudTrail recorded it, as AWS records what it did whether or not the
    # caller heard back.
    events = client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": "/lost/response"}]
    )["Events"]
    assert [e["EventName"] for e in events] == ["CreateLogGroup"]
    assert "errorCode" not in json.loads(events[0]["CloudTrailEvent"])


def test_drop_response_does_not_make_a_request_aws_refuses(client, control, account):
    """The service's rules come before the write even when the answer is dropped: a
    refused request is recorded as refused and changes nothing."""
    control.set_faults({"rules": [{"service": "logs", "operation": "TagResource", "kind": "drop_response", "count": 1, "account": account}]})
    logs = client("logs")
    logs.create_log_group(logGroupName="/lost/refused")
    arn = logs.describe_log_groups(logGroupNamePrefix="/lost/refused")["logGroups"][0]["arn"].removesuffix(":*")
    with pytest.raises((ConnectionClosedError, EndpointConnectionError, HTTPClientError)):
        logs.tag_resource(resourceArn=arn, tags={"aws:reserved": "x"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    events = client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "TagResource"}]
    )["Events"]
    assert events, "the refused write is in the event history"
    assert "errorCode" in json.loads(events[0]["CloudTrailEvent"])


def test_fault_rules_can_be_limited_to_one_account(client, control, account):
    control.set_faults({"rules": [{"service": "logs", "kind": "throttle", "account": "000000000001"}]})
    client("logs").describe_log_groups()  # another account's rule: not throttled


def test_bad_fault_spec_rejected(endpoint):
    with pytest.raises(urllib.error.HTTPError) as e:
        http_json("POST", endpoint + "/_driftless/faults", {"rules": [{"kind": "explode"}]})
    assert e.value.code == 400


def test_faults_from_environment_and_stdin_lifeline(tmp_path):
    """A second emulator: DRIFTLESS_EMULATOR_FAULTS at startup, exits on stdin EOF."""
    port = _free_port()
    env = dict(os.environ)
    env["DRIFTLESS_EMULATOR_FAULTS"] = json.dumps(
        {"seed": 3, "rules": [{"service": "ssm", "operation": "DescribePatchBaselines", "kind": "error503"}]}
    )
    proc = subprocess.Popen(
        [str(HERE / "run"), "--port", str(port), "--exit-with-stdin"],
        stdin=subprocess.PIPE,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, proc, timeout=120)
        assert http_json("GET", url + "/_driftless/faults")[1]["rules"][0]["kind"] == "error503"
        import boto3
        import botocore.config

        ssm = boto3.client(
            "ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
            aws_secret_access_key="testing", config=botocore.config.Config(retries={"total_max_attempts": 1}),
        )
        with pytest.raises(ClientError) as e:
            ssm.describe_patch_baselines()
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        proc.stdin.close()
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ------------------------------------------------ per-account fault scopes


def _faults(endpoint, method, account=None, spec=None):
    url = endpoint + "/_driftless/faults" + (f"?account={account}" if account else "")
    return http_json(method, url, spec)[1]


def test_fault_rules_and_counters_are_scoped_per_account(endpoint, client, make_account, control):
    a, b = make_account(), make_account()
    throttle = {"seed": 1, "rules": [{"service": "ssm", "operation": "DescribePatchBaselines", "kind": "throttle"}]}
    _faults(endpoint, "POST", a, throttle)
    _faults(endpoint, "POST", b, {"seed": 2, "rules": [{"service": "logs", "kind": "error500", "count": 1}]})
    # Installing b's rules left a's alone.
    assert [r["kind"] for r in _faults(endpoint, "GET", a)["rules"]] == ["throttle"]
    assert _faults(endpoint, "GET")["accounts"] == sorted([a, b])
    with pytest.raises(ClientError) as e:
        client("ssm", account=a).describe_patch_baselines()
    assert e.value.response["Error"]["Code"] == "ThrottlingException"
    client("ssm", account=b).describe_patch_baselines()  # b's rules do not throttle SSM
    with pytest.raises(ClientError) as e:
        client("logs", account=b).describe_log_groups()
    assert e.value.response["Error"]["Code"] == "InternalFailure"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    counts_a = http_json("GET", endpoint + f"/_driftless/calls?account={a}")[1]
    counts_b = http_json("GET", endpoint + f"/_driftless/calls?account={b}")[1]
    assert counts_a["faults"] == {"ssm": {"DescribePatchBaselines": {"throttle": 1}}}
    assert counts_b["faults"] == {"logs": {"DescribeLogGroups": {"error500": 1}}}
    _faults(endpoint, "DELETE", a)
    assert _faults(endpoint, "GET", a)["rules"] == []
    assert [r["kind"] for r in _faults(endpoint, "GET", b)["rules"]] == ["error500"]
    client("ssm", account=a).describe_patch_baselines()
    # A rule naming another account cannot be installed in a scope.
    status = _post_status(endpoint + f"/_driftless/faults?account={a}", {"rules": [{"kind": "throttle", "account": b}]})
    assert status == 400


def _post_status(url, doc):
    try:
        return http_json("POST", url, doc)[0]
    except urllib.error.HTTPError as e:
        return e.code


def test_injected_and_quota_throttles_have_the_same_shape(endpoint, client, make_account, control):
    account = make_account()
    for service, call in (("backup", "list_backup_plans"), ("sns", "list_topics"), ("resourcegroupstaggingapi", "get_resources")):
        _faults(endpoint, "POST", account, {"rules": [{"service": service, "kind": "throttle", "count": 1}]})
        with pytest.raises(ClientError) as injected:
            getattr(client(service, account=account), call)()
        _faults(endpoint, "DELETE", account)

        status, headers, _ = quotas.throttle_response(service, "json" if service != "sns" else "query",
                                                      {"backup": "ListBackupPlans", "sns": "ListTopics", "resourcegroupstaggingapi": "GetResources"}[service])
        assert injected.value.response["ResponseMetadata"]["HTTPStatusCode"] == status, service


# ---------------------------------------------------------------- fail closed


def test_a_moto_failure_is_an_internal_failure_in_aws_shape(client):
    """An operation moto does not implement fails inside moto (its HTML 500 page):
    the emulator answers InternalFailure in the protocol, as AWS's common errors."""
    ssm = client("ssm")
    with pytest.raises(ClientError) as e:
        ssm.describe_ops_items()
    assert e.value.response["Error"]["Code"] == "InternalFailure"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_undecodable_bodies_are_serialization_errors_not_passed_to_moto(endpoint, account):
    req = urllib.request.Request(
        endpoint + "/",
        data=b"{not json",
        method="POST",
        headers={
            "X-Amz-Target": "AmazonSSM.DescribePatchBaselines",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 400
    assert json.loads(e.value.read())["__type"] == "SerializationException"


def test_bad_ssm_next_token_is_the_models_error(client):
    with pytest.raises(ClientError) as e:
        client("ssm").describe_patch_baselines(NextToken="not-a-token")
    assert e.value.response["Error"]["Code"] == "InvalidNextToken"


def test_bad_backup_next_tokens_are_the_services_validation_error(client):
    backup = client("backup")
    backup.create_backup_vault(BackupVaultName="tokens")
    for call in (
        lambda: backup.list_recovery_points_by_backup_vault(BackupVaultName="tokens", NextToken="x"),
        lambda: backup.list_backup_selections(BackupPlanId="00000000-0000-0000-0000-000000000000", NextToken="x"),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] in ("InvalidParameterValueException", "ResourceNotFoundException")
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
