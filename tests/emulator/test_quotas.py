"""Rate quotas (quotas.py): AWS's default request rates as token buckets, opt-in."""

import os
import re
import subprocess
import time
import urllib.error
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import _free_port, _wait_ready, http_json, make_client

HERE = Path(__file__).resolve().parent

ALARM = dict(
    Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average", Period=300,
    EvaluationPeriods=1, Threshold=80.0, ComparisonOperator="GreaterThanThreshold",
)


@pytest.fixture
def quotas(endpoint):
    """Sets the quota mode for one test; always off again afterwards."""

    def configure(spec):
        return http_json("POST", endpoint + "/_driftless/quotas", spec)[1]

    yield configure
    http_json("DELETE", endpoint + "/_driftless/quotas")


def _calls(endpoint, account):
    return http_json("GET", endpoint + f"/_driftless/calls?account={account}")[1]


def _code(exc: ClientError) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def test_off_by_default(endpoint, client, account):
    assert http_json("GET", endpoint + "/_driftless/quotas")[1] == {"mode": "off", "quotas": []}
    cw = client("cloudwatch")
    for i in range(12):  # 4 x the PutMetricAlarm quota, at once
        cw.put_metric_alarm(AlarmName=f"free-{i}", **ALARM)
    assert _calls(endpoint, account)["throttledTotal"] == 0


def test_aws_mode_lists_the_published_rates(quotas):
    table = {(q["service"], q["operation"]): q for q in quotas({"mode": "aws"})["quotas"]}
    assert table[("cloudwatch", "PutMetricAlarm")] == {
        "service": "cloudwatch", "operation": "PutMetricAlarm", "rate": 3.0, "burst": 3.0,
    }
    assert table[("cloudwatch", "DescribeAlarms")]["rate"] == 9.0
    assert table[("cloudtrail", "LookupEvents")]["rate"] == 2.0
    assert table[("logs", "DescribeLogGroups")]["rate"] == 5.0
    # Every operation driftless calls (controller/core/src/iam.rs CALLS) has a quota.
    calls = (Path(__file__).resolve().parents[2] / "controller/core/src/iam.rs").read_text()
    listed = set(re.findall(r'^\s*"([a-z]+)" "([A-Za-z]+)" (?:Read|Write)', calls, re.M))
    assert len(listed) > 50
    assert listed <= set(table), sorted(listed - set(table))


@pytest.mark.parametrize("protocol", ["json", "cbor", "query"])
def test_over_quota_put_metric_alarm_is_throttled_as_cloudwatch_does(
    endpoint, account, client, cbor_client, query_client, quotas, protocol
):
    # A bucket of 3 that practically never refills: exact counts however slow the machine.
    quotas({"mode": "aws", "overrides": {"cloudwatch.PutMetricAlarm": {"rate": 0.001, "burst": 3}}})
    cw = {"json": client, "cbor": cbor_client, "query": query_client}[protocol]("cloudwatch")
    faults_before = _calls(endpoint, account)["faults"]  # fault counts are global
    made, throttled = [], []
    for i in range(6):
        try:
            cw.put_metric_alarm(AlarmName=f"q-{protocol}-{i}", **ALARM)
            made.append(f"q-{protocol}-{i}")
        except ClientError as e:
            assert _code(e) == ("Throttling", 400), e.response
            assert e.response["Error"]["Message"] == "Rate exceeded"
            throttled.append(f"q-{protocol}-{i}")
    assert made == [f"q-{protocol}-{i}" for i in range(3)], (made, throttled)
    # Throttled requests never reached moto.
    names = {a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix=f"q-{protocol}-")["MetricAlarms"]}
    assert names == set(made)
    snap = _calls(endpoint, account)
    assert snap["throttled"] == {"cloudwatch": {"PutMetricAlarm": 3}}
    assert snap["throttledTotal"] == 3
    assert snap["calls"]["cloudwatch"]["PutMetricAlarm"] == 6  # counted as calls too
    assert snap["faults"] == faults_before  # quota throttles are not counted as faults


def test_put_metric_alarm_gets_3_a_second(client, quotas):
    quotas({"mode": "aws"})
    cw = client("cloudwatch")
    start, made, throttled = time.monotonic(), 0, 0
    for i in range(12):
        try:
            cw.put_metric_alarm(AlarmName=f"rate-{i}", **ALARM)
            made += 1
        except ClientError as e:
            assert _code(e) == ("Throttling", 400)
            throttled += 1
    elapsed = time.monotonic() - start
    assert elapsed < 3.0, elapsed  # 12 requests in under 3 s: more than 3 a second
    # The bucket of 3 plus what 3 a second refilled meanwhile (one more for rounding).
    assert 3 <= made <= 3 + 3 * elapsed + 1, (made, elapsed)
    assert throttled == 12 - made and throttled >= 1
    time.sleep(0.4)  # 0.4 s refills one token
    cw.put_metric_alarm(AlarmName="rate-later", **ALARM)


def test_buckets_are_per_account_region_and_operation(endpoint, account, quotas):
    quotas({"mode": "aws", "overrides": {"logs.CreateLogGroup": {"rate": 0.01, "burst": 1}}})
    east = make_client(endpoint, "logs", account)
    east.create_log_group(logGroupName="/q/a")
    with pytest.raises(ClientError) as e:
        east.create_log_group(logGroupName="/q/b")
    assert _code(e.value) == ("ThrottlingException", 400)
    east.describe_log_groups()  # another operation: its own bucket
    make_client(endpoint, "logs", account, "us-west-2").create_log_group(logGroupName="/q/b")
    other = str(int(account) + 500000000).zfill(12)
    make_client(endpoint, "logs", other).create_log_group(logGroupName="/q/b")


# service, operation, the call, the code and HTTP status (from the botocore models, else AWS's
# common errors).
SHAPES = [
    ("ssm", "DescribePatchBaselines", lambda c: c.describe_patch_baselines(), "ThrottlingException", 400),
    ("backup", "ListBackupVaults", lambda c: c.list_backup_vaults(), "ThrottlingException", 400),
    ("resourcegroupstaggingapi", "GetResources", lambda c: c.get_resources(), "ThrottledException", 400),
    ("sts", "GetCallerIdentity", lambda c: c.get_caller_identity(), "Throttling", 400),
    ("sns", "Publish", lambda c: c.publish(TopicArn="arn:aws:sns:us-east-1:000000000000:none", Message="x"),
     "Throttled", 429),
    ("cloudtrail", "LookupEvents", lambda c: c.lookup_events(), "ThrottlingException", 400),
]


@pytest.mark.parametrize("service,operation,call,code,status", SHAPES, ids=[s[0] for s in SHAPES])
def test_each_service_answers_with_its_own_throttling_error(
    client, quotas, service, operation, call, code, status
):
    quotas({"mode": "aws", "overrides": {f"{service}.{operation}": {"rate": 0.01, "burst": 1}}})
    c = client(service)
    try:
        call(c)  # the one token; SNS answers NotFound for the absent topic
    except ClientError as e:
        assert e.response["Error"]["Code"] != code
    with pytest.raises(ClientError) as e:
        call(c)
    assert _code(e.value) == (code, status)


def test_bad_specs_are_refused_and_delete_turns_quotas_off(endpoint, quotas):
    for spec in (
        {"mode": "fast"},
        {"mode": "aws", "overrides": {"cloudwatch.NoSuchOperation": {"rate": 1}}},
        {"mode": "aws", "overrides": {"cloudwatch.PutMetricAlarm": {"rate": 0}}},
        {"mode": "aws", "overrides": {"cloudwatch.PutMetricAlarm": {"rate": 1, "burst": 0.5}}},
        {"mode": "aws", "rates": {}},
        [],
    ):
        with pytest.raises(urllib.error.HTTPError) as e:
            http_json("POST", endpoint + "/_driftless/quotas", spec)
        assert e.value.code == 400, spec
    assert http_json("GET", endpoint + "/_driftless/quotas")[1]["mode"] == "off"
    assert quotas({"mode": "aws"})["mode"] == "aws"
    assert http_json("DELETE", endpoint + "/_driftless/quotas")[1] == {"mode": "off", "quotas": []}


def test_quotas_from_environment(tmp_path):
    """DRIFTLESS_EMULATOR_QUOTAS=aws at startup turns AWS's rates on."""
    port = _free_port()
    env = dict(os.environ, DRIFTLESS_EMULATOR_QUOTAS="aws")
    proc = subprocess.Popen(
        [str(HERE / "run"), "--port", str(port), "--exit-with-stdin"], stdin=subprocess.PIPE, env=env
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, proc, timeout=120)
        assert http_json("GET", url + "/_driftless/quotas")[1]["mode"] == "aws"
        trail = make_client(url, "cloudtrail", "123456789012")
        trail.lookup_events()
        trail.lookup_events()
        with pytest.raises(ClientError) as e:  # LookupEvents: 2 per second
            trail.lookup_events()
        assert _code(e.value) == ("ThrottlingException", 400)
    finally:
        proc.stdin.close()
        proc.wait(timeout=15)
