"""Raw Smithy RPC v2 CBOR requests, shaped like the AWS SDK for Rust's
(aws-sdk-cloudwatch 1.x): SigV4-signed POST /service/<Service>/operation/<Op>,
smithy-protocol: rpc-v2-cbor, CBOR body. Responses are checked byte-level
(tag 1 timestamps, floats, omitted members) and against the model's shapes."""

import datetime as dt
import urllib.error
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.session
import cbor2
import pytest

CW = "GraniteServiceVersion20100801"
TAGGING = "ResourceGroupsTaggingAPI_20170126"


@pytest.fixture
def call(endpoint, account):
    def do(operation, body=None, service=CW, signing_name="monitoring", raw=None):
        data = raw if raw is not None else (cbor2.dumps(body) if body is not None else b"")
        url = f"{endpoint}/service/{service}/operation/{operation}"
        req = botocore.awsrequest.AWSRequest(
            method="POST",
            url=url,
            data=data,
            headers={
                "smithy-protocol": "rpc-v2-cbor",
                "Content-Type": "application/cbor",
                "Accept": "application/cbor",
            },
        )
        creds = botocore.credentials.Credentials(account, "testing")
        botocore.auth.SigV4Auth(creds, signing_name, "us-east-1").add_auth(req)
        prepared = req.prepare()
        r = urllib.request.Request(url, data=data, method="POST", headers=dict(prepared.headers))
        try:
            with urllib.request.urlopen(r, timeout=10) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    return do


ALARM = {
    "AlarmName": "raw-cbor",
    "Namespace": "AWS/Lambda",
    "MetricName": "Errors",
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
    "ActionsEnabled": True,
    "Tags": [{"Key": "owner", "Value": "driftless"}],
}


def test_put_and_describe_raw(call, account):
    status, headers, body = call("PutMetricAlarm", ALARM)
    assert status == 200, body
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert body == b""  # PutMetricAlarm has no output shape

    status, headers, body = call("DescribeAlarms", {"AlarmNames": ["raw-cbor"]})
    assert status == 200
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert headers["content-type"] == "application/cbor"
    assert b"\xc1\xfb" in body  # tag 1 wrapping a float64: epoch-seconds timestamp
    doc = cbor2.loads(body)
    assert set(doc) <= {"MetricAlarms", "CompositeAlarms", "NextToken"}
    (alarm,) = doc["MetricAlarms"]
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:{account}:alarm:raw-cbor"
    assert isinstance(alarm["StateUpdatedTimestamp"], dt.datetime)
    assert alarm["StateUpdatedTimestamp"].tzinfo is not None
    assert isinstance(alarm["Threshold"], float) and alarm["Threshold"] == 1.0
    assert isinstance(alarm["Period"], int) and alarm["Period"] == 300
    assert alarm["ActionsEnabled"] is True
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": "f"}]
    assert all(v is not None for v in alarm.values())  # absent members are omitted, not null
    assert "ExtendedStatistic" not in alarm and "Metrics" not in alarm or alarm.get("Metrics") == []

    # response members all exist in the model's output shape
    shape = botocore.session.get_session().get_service_model("cloudwatch").shape_for("MetricAlarm")
    assert set(alarm) <= set(shape.members)


def test_error_is_cbor_with_type(call):
    status, headers, body = call(
        "SetAlarmState", {"AlarmName": "missing", "StateValue": "ALARM", "StateReason": "x"}
    )
    assert status in (400, 404)
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert headers["content-type"] == "application/cbor"
    doc = cbor2.loads(body)
    assert doc["__type"].split("#")[-1] in ("ResourceNotFound", "ResourceNotFoundException")
    assert "message" in doc
    # CloudWatch is awsQueryCompatible: the query error code travels in a header
    assert headers["x-amzn-query-error"].startswith("ResourceNotFound;")


def test_validation_error_is_400(call):
    status, headers, body = call("DescribeAlarms", {"AlarmNames": [f"a{i}" for i in range(101)]})
    assert status == 400
    doc = cbor2.loads(body)
    assert doc["__type"].split("#")[-1] in ("ValidationError", "ValidationException")
    assert headers["x-amzn-query-error"].startswith("ValidationError;")


def test_malformed_body(call):
    status, headers, body = call("DescribeAlarms", raw=b"\xff\x00garbage")
    assert status == 400
    assert cbor2.loads(body)["__type"] == "SerializationException"


def test_unknown_operation(call):
    status, headers, body = call("NoSuchOperation", {})
    assert status in (400, 404)
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert "__type" in cbor2.loads(body)


def test_pagination_raw(call):
    for i in range(5):
        assert call("PutMetricAlarm", dict(ALARM, AlarmName=f"p{i}", Tags=[]))[0] == 200
    names, token = [], None
    while True:
        req = {"MaxRecords": 2, "AlarmNamePrefix": "p"}
        if token:
            req["NextToken"] = token
        status, _, body = call("DescribeAlarms", req)
        assert status == 200
        doc = cbor2.loads(body)
        names += [a["AlarmName"] for a in doc["MetricAlarms"]]
        token = doc.get("NextToken")
        if not token:
            break
    assert names == [f"p{i}" for i in range(5)]


def test_metric_math_raw_round_trip(call):
    metrics = [
        {"Id": "e1", "Expression": "SUM(METRICS())", "Label": "total", "ReturnData": True},
        {
            "Id": "m1",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SQS",
                    "MetricName": "ApproximateNumberOfMessagesVisible",
                    "Dimensions": [{"Name": "QueueName", "Value": "q"}],
                },
                "Period": 60,
                "Stat": "Maximum",
            },
            "ReturnData": False,
        },
    ]
    req = {
        "AlarmName": "math",
        "EvaluationPeriods": 1,
        "Threshold": 100.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": metrics,
    }
    assert call("PutMetricAlarm", req)[0] == 200
    doc = cbor2.loads(call("DescribeAlarms", {"AlarmNames": ["math"]})[2])
    assert doc["MetricAlarms"][0]["Metrics"] == metrics


def test_timestamps_in_request(call):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    req = {"Namespace": "raw", "MetricData": [{"MetricName": "x", "Value": 2.0, "Timestamp": cbor2.CBORTag(1, now.timestamp())}]}
    assert call("PutMetricData", req)[0] == 200
    status, _, body = call(
        "GetMetricStatistics",
        {
            "Namespace": "raw",
            "MetricName": "x",
            "StartTime": cbor2.CBORTag(1, now.timestamp() - 300),
            "EndTime": cbor2.CBORTag(1, now.timestamp() + 300),
            "Period": 60,
            "Statistics": ["Sum"],
        },
    )
    assert status == 200
    doc = cbor2.loads(body)
    assert [d["Sum"] for d in doc["Datapoints"]] == [2.0]


def test_tagging_api_over_cbor(call, account):
    assert call("PutMetricAlarm", dict(ALARM, AlarmName="tagged-raw"))[0] == 200
    status, headers, body = call(
        "GetResources",
        {"TagFilters": [{"Key": "owner", "Values": ["driftless"]}]},
        service=TAGGING,
        signing_name="tagging",
    )
    assert status == 200 and headers["smithy-protocol"] == "rpc-v2-cbor"
    doc = cbor2.loads(body)
    arns = [m["ResourceARN"] for m in doc["ResourceTagMappingList"]]
    assert f"arn:aws:cloudwatch:us-east-1:{account}:alarm:tagged-raw" in arns
