"""CloudWatch alarms over all three wire protocols botocore knows for it:
awsJson1_0 (botocore's default), Smithy RPC v2 CBOR (the AWS SDK for Rust's
choice, served by driftless_emulator/cbor_proto.py) and awsQuery (older SDKs).
botocore validates each request and parses each response with the model."""

import datetime as dt

import pytest
from botocore.exceptions import ClientError

PROTOCOLS = ["json", "smithy-rpc-v2-cbor", "query"]


@pytest.fixture(params=PROTOCOLS)
def cw(request, client, cbor_client, query_client):
    if request.param == "json":
        c = client("cloudwatch")
    elif request.param == "query":
        c = query_client("cloudwatch")
    else:
        c = cbor_client("cloudwatch")
    assert c.meta.service_model.resolved_protocol == request.param
    return c


def _alarm(cw, name, **kw):
    args = dict(
        AlarmName=name,
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=2,
        Threshold=80.5,
        ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "InstanceId", "Value": "i-0123"}],
        AlarmActions=["arn:aws:sns:us-east-1:123456789012:ops"],
        TreatMissingData="notBreaching",
    )
    args.update(kw)
    cw.put_metric_alarm(**args)


MATH = [
    {"Id": "e1", "Expression": "(errors / requests) * 100", "Label": "Error rate", "ReturnData": True},
    {
        "Id": "errors",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/ApplicationELB",
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Dimensions": [{"Name": "LoadBalancer", "Value": "app/lb/1"}],
            },
            "Period": 300,
            "Stat": "Sum",
        },
        "ReturnData": False,
    },
    {
        "Id": "requests",
        "MetricStat": {
            "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount"},
            "Period": 300,
            "Stat": "Sum",
            "Unit": "Count",
        },
        "ReturnData": False,
    },
]


def test_put_and_describe_metric_alarm(cw, account):
    _alarm(cw, "cpu-high", AlarmDescription="CPU", Tags=[{"Key": "team", "Value": "ops"}])
    alarms = cw.describe_alarms(AlarmNames=["cpu-high"])["MetricAlarms"]
    assert len(alarms) == 1
    a = alarms[0]
    assert a["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:{account}:alarm:cpu-high"
    assert a["Threshold"] == 80.5 and a["Period"] == 60 and a["EvaluationPeriods"] == 2
    assert a["Dimensions"] == [{"Name": "InstanceId", "Value": "i-0123"}]
    assert a["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:ops"]
    assert a["TreatMissingData"] == "notBreaching" and a["AlarmDescription"] == "CPU"
    assert a["ActionsEnabled"] is True
    assert isinstance(a["StateUpdatedTimestamp"], dt.datetime)
    assert isinstance(a["AlarmConfigurationUpdatedTimestamp"], dt.datetime)
    assert abs(a["StateUpdatedTimestamp"] - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)


def test_metric_math_alarm_round_trips(cw):
    cw.put_metric_alarm(
        AlarmName="error-rate",
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
        Threshold=5.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Metrics=MATH,
    )
    a = cw.describe_alarms(AlarmNames=["error-rate"])["MetricAlarms"][0]
    for q in a["Metrics"]:  # moto reports a metric without dimensions with Dimensions: []
        if q.get("MetricStat", {}).get("Metric", {}).get("Dimensions") == []:
            del q["MetricStat"]["Metric"]["Dimensions"]
    assert a["Metrics"] == MATH
    assert a["DatapointsToAlarm"] == 2 and a["Threshold"] == 5.0
    assert "MetricName" not in a and "Namespace" not in a


def test_describe_alarms_filters_and_types(cw):
    for n in ("app-a", "app-b", "db-a"):
        _alarm(cw, n)
    cw.put_composite_alarm(AlarmName="app-composite", AlarmRule='ALARM("app-a") OR ALARM("app-b")')
    default = cw.describe_alarms()
    assert [a["AlarmName"] for a in default["MetricAlarms"]] == ["app-a", "app-b", "db-a"]
    assert default.get("CompositeAlarms", []) == []  # AlarmTypes omitted -> metric alarms only
    pref = cw.describe_alarms(AlarmNamePrefix="app-")
    assert [a["AlarmName"] for a in pref["MetricAlarms"]] == ["app-a", "app-b"]
    comp = cw.describe_alarms(AlarmTypes=["CompositeAlarm"])
    assert [a["AlarmName"] for a in comp["CompositeAlarms"]] == ["app-composite"]
    assert comp.get("MetricAlarms", []) == []
    both = cw.describe_alarms(AlarmTypes=["CompositeAlarm", "MetricAlarm"], AlarmNamePrefix="app")
    assert len(both["MetricAlarms"]) == 2 and len(both["CompositeAlarms"]) == 1
    names = cw.describe_alarms(AlarmNames=["db-a", "missing"])["MetricAlarms"]
    assert [a["AlarmName"] for a in names] == ["db-a"]


def test_describe_alarms_pagination(cw):
    for i in range(7):
        _alarm(cw, f"page-{i:02d}")
    first = cw.describe_alarms(MaxRecords=3)
    assert [a["AlarmName"] for a in first["MetricAlarms"]] == ["page-00", "page-01", "page-02"]
    assert first["NextToken"]
    second = cw.describe_alarms(MaxRecords=3, NextToken=first["NextToken"])
    assert [a["AlarmName"] for a in second["MetricAlarms"]] == ["page-03", "page-04", "page-05"]
    pages = cw.get_paginator("describe_alarms").paginate(PaginationConfig={"PageSize": 2})
    assert [a["AlarmName"] for p in pages for a in p["MetricAlarms"]] == [f"page-{i:02d}" for i in range(7)]


def test_describe_alarms_rejects_more_than_100_names(cw):
    with pytest.raises(ClientError) as e:
        cw.describe_alarms(AlarmNames=[f"a{i}" for i in range(101)])
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(cw.describe_alarms(AlarmNames=[f"a{i}" for i in range(100)])["MetricAlarms"]) == 0


def test_delete_alarms(cw):
    _alarm(cw, "gone-1")
    _alarm(cw, "gone-2")
    cw.delete_alarms(AlarmNames=["gone-1", "gone-2"])
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_tags(cw, account):
    _alarm(cw, "tagged", Tags=[{"Key": "a", "Value": "1"}])
    arn = f"arn:aws:cloudwatch:us-east-1:{account}:alarm:tagged"
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"}])
    tags = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "2")]
    cw.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_enable_disable_actions_and_set_state(cw):
    _alarm(cw, "toggle")
    cw.disable_alarm_actions(AlarmNames=["toggle"])
    assert cw.describe_alarms(AlarmNames=["toggle"])["MetricAlarms"][0]["ActionsEnabled"] is False
    cw.enable_alarm_actions(AlarmNames=["toggle"])
    assert cw.describe_alarms(AlarmNames=["toggle"])["MetricAlarms"][0]["ActionsEnabled"] is True
    cw.set_alarm_state(AlarmName="toggle", StateValue="ALARM", StateReason="test")
    a = cw.describe_alarms(AlarmNames=["toggle"])["MetricAlarms"][0]
    assert a["StateValue"] == "ALARM" and a["StateReason"] == "test"
    assert [x["AlarmName"] for x in cw.describe_alarms(StateValue="ALARM")["MetricAlarms"]] == ["toggle"]


def test_error_code(cw):
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName="does-not-exist", StateValue="ALARM", StateReason="x")
    err = e.value.response["Error"]
    assert err["Code"] == "ResourceNotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404 or e.value.response[
        "ResponseMetadata"
    ]["HTTPStatusCode"] == 400


def test_metric_data_round_trip(cw):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    cw.put_metric_data(
        Namespace="driftless", MetricData=[{"MetricName": "m", "Value": 3.5, "Timestamp": now, "Unit": "Count"}]
    )
    res = cw.get_metric_statistics(
        Namespace="driftless",
        MetricName="m",
        StartTime=now - dt.timedelta(minutes=5),
        EndTime=now + dt.timedelta(minutes=5),
        Period=60,
        Statistics=["Sum"],
    )
    assert [d["Sum"] for d in res["Datapoints"]] == [3.5]
    assert isinstance(res["Datapoints"][0]["Timestamp"], dt.datetime)
    metrics = cw.list_metrics(Namespace="driftless")["Metrics"]
    assert [m["MetricName"] for m in metrics] == ["m"]


def test_metric_data_query_account_id_round_trips(cw):
    metrics = [
        {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True},
        {
            "Id": "m1",
            "AccountId": "222233334444",
            "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"},
            "ReturnData": False,
        },
    ]
    cw.put_metric_alarm(
        AlarmName="cross-account", EvaluationPeriods=1, Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold", Metrics=metrics,
    )
    got = cw.describe_alarms(AlarmNames=["cross-account"])["MetricAlarms"][0]["Metrics"]
    assert [m.get("AccountId") for m in got] == [None, "222233334444"]


def test_composite_alarm_round_trips_with_its_suppressor(cw):
    _alarm(cw, "comp-cpu")
    _alarm(cw, "comp-deploy")
    cw.put_composite_alarm(
        AlarmName="comp",
        AlarmRule='ALARM("comp-cpu") AND NOT ALARM(comp-deploy)',
        AlarmDescription="cpu, unless deploying",
        ActionsEnabled=False,
        OKActions=["arn:aws:sns:us-east-1:123456789012:ops"],
        ActionsSuppressor="comp-deploy",
        ActionsSuppressorWaitPeriod=120,
        ActionsSuppressorExtensionPeriod=300,
        Tags=[{"Key": "team", "Value": "web"}],
    )
    (c,) = cw.describe_alarms(AlarmNames=["comp"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert c["AlarmRule"] == 'ALARM("comp-cpu") AND NOT ALARM(comp-deploy)'
    assert (c["ActionsSuppressor"], c["ActionsSuppressorWaitPeriod"], c["ActionsSuppressorExtensionPeriod"]) == (
        "comp-deploy",
        120,
        300,
    )
    assert c["ActionsEnabled"] is False and c["AlarmDescription"] == "cpu, unless deploying"
    assert c["OKActions"] == ["arn:aws:sns:us-east-1:123456789012:ops"]
    # An update replaces the definition and ignores Tags.
    cw.put_composite_alarm(AlarmName="comp", AlarmRule="ALARM(comp-cpu)", Tags=[{"Key": "team", "Value": "db"}])
    (c,) = cw.describe_alarms(AlarmNames=["comp"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert "ActionsSuppressor" not in c and c["AlarmRule"] == "ALARM(comp-cpu)"
    tags = cw.list_tags_for_resource(ResourceARN=c["AlarmArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "web"}]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"AlarmRule": "ALARM(nope) OR ALARM(comp2-a)"}, "alarms [nope] in the alarm rule do not exist"),
        ({"AlarmRule": "ALARM(comp2-a) AND"}, "not a valid alarm rule"),
        ({"AlarmRule": "ALARM(comp2-a) ALARM(comp2-a)"}, "not a valid alarm rule"),
        ({"AlarmRule": "(TRUE"}, "not a valid alarm rule"),
        ({"AlarmRule": "TRUE", "ActionsSuppressor": "comp2-a"}, "required when ActionsSuppressor"),
        (
            {"AlarmRule": "TRUE", "ActionsSuppressor": "gone", "ActionsSuppressorWaitPeriod": 60,
             "ActionsSuppressorExtensionPeriod": 60},
            "does not exist",
        ),
        ({"AlarmRule": " OR ".join(f"ALARM(x{i})" for i in range(101))}, "at most 100 alarms"),
    ],
)
def test_composite_alarm_refusals(cw, kwargs, message):
    _alarm(cw, "comp2-a")
    with pytest.raises(ClientError) as e:
        cw.put_composite_alarm(AlarmName="comp2", **kwargs)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert message in e.value.response["Error"]["Message"]
    assert cw.describe_alarms(AlarmNames=["comp2"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []


def test_composite_alarm_graph_and_deletes(cw):
    _alarm(cw, "g-a")
    _alarm(cw, "g-b")
    cw.put_composite_alarm(AlarmName="g-low", AlarmRule="ALARM(g-a) OR OK(g-b)")
    cw.put_composite_alarm(AlarmName="g-top", AlarmRule='ALARM("g-low") AND TRUE')
    both = ["MetricAlarm", "CompositeAlarm"]
    kids = cw.describe_alarms(ChildrenOfAlarmName="g-low", AlarmTypes=both)
    assert [a["AlarmName"] for a in kids["MetricAlarms"]] == ["g-a", "g-b"]
    parents = cw.describe_alarms(ParentsOfAlarmName="g-low", AlarmTypes=both)
    assert [a["AlarmName"] for a in parents["CompositeAlarms"]] == ["g-top"]

    # A named alarm cannot go first; nothing of the call is deleted.
    with pytest.raises(ClientError) as e:
        cw.delete_alarms(AlarmNames=["g-b", "g-low"])
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert "Cannot delete g-low as there are composite alarm(s) depending on it." == e.value.response["Error"]["Message"]
    assert len(cw.describe_alarms(AlarmNames=["g-b", "g-low"], AlarmTypes=both)["CompositeAlarms"]) == 1
    with pytest.raises(ClientError) as e:
        cw.delete_alarms(AlarmNames=["g-top", "g-low"])
    assert "at most one composite alarm" in e.value.response["Error"]["Message"]
    # Parents first works.
    cw.delete_alarms(AlarmNames=["g-top"])
    cw.delete_alarms(AlarmNames=["g-low", "g-a", "g-b"])
    left = cw.describe_alarms(AlarmNamePrefix="g-", AlarmTypes=both)
    assert left["MetricAlarms"] == [] and left["CompositeAlarms"] == []


def test_warm_up_and_action_configuration_are_kept(cw):
    # AWS keeps both and returns them in DescribeAlarms (API_MetricAlarm.html,
    # API_CompositeAlarm.html); moto dropped them.
    warm = {"WarmUpPeriodDurationInMinutes": 15, "OnlyStartEvaluatingAfterWarmUpPeriodEnds": True}
    action = {"AlarmTagsPropagation": {"Enabled": True, "IncludedTagKeys": ["team"]}}
    _alarm(cw, "warm", WarmUpConfiguration=warm, ActionConfiguration=action)
    cw.put_composite_alarm(AlarmName="warm-any", AlarmRule='ALARM("warm")', ActionConfiguration=action)
    out = cw.describe_alarms(AlarmNames=["warm", "warm-any"], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    metric, composite = out["MetricAlarms"][0], out["CompositeAlarms"][0]
    assert (metric["WarmUpConfiguration"], metric["ActionConfiguration"]) == (warm, action)
    assert composite["ActionConfiguration"] == action


def test_newer_alarm_members_are_kept_and_a_put_without_them_clears_them(client):
    """EvaluationWindow, WarmUpConfiguration, EvaluationInterval and ActionConfiguration
    read back as put; PutMetricAlarm / PutCompositeAlarm replace the alarm whole."""
    cw = client("cloudwatch")
    alarm = {
        "AlarmName": "newer",
        "Namespace": "AWS/EC2",
        "MetricName": "CPUUtilization",
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    extras = {
        "WarmUpConfiguration": {"WarmUpPeriodDurationInMinutes": 30},
        "EvaluationInterval": 60,
        "ActionConfiguration": {"AlarmTagsPropagation": {"Enabled": True}},
    }
    model = cw.meta.service_model.shape_for("PutMetricAlarmInput").members
    extras = {k: v for k, v in extras.items() if k in model}
    cw.put_metric_alarm(**alarm, **extras)
    got = cw.describe_alarms(AlarmNames=["newer"])["MetricAlarms"][0]
    assert {k: got.get(k) for k in extras} == extras
    cw.put_metric_alarm(**alarm)
    got = cw.describe_alarms(AlarmNames=["newer"])["MetricAlarms"][0]
    assert not any(k in got for k in extras), got
    config = {"AlarmTagsPropagation": {"Enabled": True}}
    cw.put_composite_alarm(AlarmName="any", AlarmRule='ALARM("newer")', ActionConfiguration=config)
    got = cw.describe_alarms(AlarmNames=["any"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert got["ActionConfiguration"] == config
