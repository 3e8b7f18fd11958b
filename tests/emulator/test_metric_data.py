"""GetMetricData and PutMetricData's timestamp window as AWS has them
(driftless_emulator/ext_cloudwatch_metric_data.py): buckets from the rounded
StartTime, extended statistics, metric math, the limits and their error shapes.
Expected values are computed here by hand from the data put."""

import datetime as dt

import pytest
from botocore.exceptions import ClientError

NS = "Test/Backtest"


def _minute(minutes_ago: int) -> dt.datetime:
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    # An hour boundary well in the past, so buckets of 5 and 60 minutes are whole.
    base = now.replace(minute=0) - dt.timedelta(hours=3)
    return base + dt.timedelta(minutes=minutes_ago)


def _stat(id_, name, stat, period=60, **kw):
    q = {"Id": id_, "MetricStat": {"Metric": {"Namespace": NS, "MetricName": name}, "Period": period, "Stat": stat}}
    q.update(kw)
    return q


def _get(cw, queries, start, end, **kw):
    out = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending", **kw)
    return {r["Id"]: r for r in out["MetricDataResults"]}, out


@pytest.fixture(params=["json", "smithy-rpc-v2-cbor"])
def cw(request, client, cbor_client):
    return client("cloudwatch") if request.param == "json" else cbor_client("cloudwatch")


def test_buckets_start_at_the_rounded_start_time_not_at_the_first_datapoint(cw):
    t0 = _minute(0)
    cw.put_metric_data(
        Namespace=NS,
        MetricData=[{"MetricName": "Load", "Timestamp": t0 + dt.timedelta(minutes=m), "Value": 1.0} for m in (1, 4, 6, 12)],
    )
    # Aligned start: 5-minute buckets at :00, :05, :10.
    res, _ = _get(cw, [_stat("m", "Load", "Sum", 300)], t0, t0 + dt.timedelta(minutes=15))
    assert res["m"]["Timestamps"] == [t0, t0 + dt.timedelta(minutes=5), t0 + dt.timedelta(minutes=10)]
    assert res["m"]["Values"] == [2.0, 1.0, 1.0]
    # A start of :02:30 is rounded down to :02 (less than 15 days ago), and the
    # buckets follow it: [:02, :07) holds 4 and 6, [:07, :12) nothing, [:12, :17) 12.
    res, _ = _get(cw, [_stat("m", "Load", "Sum", 300)], t0 + dt.timedelta(minutes=2, seconds=30), t0 + dt.timedelta(minutes=17))
    assert res["m"]["Timestamps"] == [t0 + dt.timedelta(minutes=2), t0 + dt.timedelta(minutes=12)]
    assert res["m"]["Values"] == [2.0, 1.0]


def test_percentiles_and_other_extended_statistics(cw):
    t0 = _minute(20)
    # 1..100 once each in one minute.
    cw.put_metric_data(
        Namespace=NS,
        MetricData=[{"MetricName": "Latency", "Timestamp": t0, "Values": [float(v) for v in range(1, 101)]}],
    )
    expected = {
        "p99": 99.0,
        "p50": 50.0,
        "p100": 100.0,
        "tm90": sum(range(1, 91)) / 90,
        "TM(10%:90%)": sum(range(11, 91)) / 80,
        "IQM": sum(range(26, 76)) / 50,
        "tc90": 90.0,
        "ts90": float(sum(range(1, 91))),
        "wm90": (sum(range(1, 91)) + 10 * 90) / 100,
        "PR(:50)": 50.0,
        "TC(10:20)": 10.0,
        "Average": 50.5,
        "SampleCount": 100.0,
        "Maximum": 100.0,
    }
    queries = [_stat(f"q{i}", "Latency", stat) for i, stat in enumerate(expected)]
    res, _ = _get(cw, queries, t0, t0 + dt.timedelta(minutes=1))
    for i, (stat, want) in enumerate(expected.items()):
        assert res[f"q{i}"]["Values"] == [pytest.approx(want)], stat


def test_metric_math_per_timestamp(cw):
    t0 = _minute(40)
    at = lambda m: t0 + dt.timedelta(minutes=m)  # noqa: E731
    errors = {0: 3.0, 1: 1.0, 3: 8.0}
    requests = {0: 10.0, 1: 100.0, 2: 50.0, 3: 16.0}
    cw.put_metric_data(
        Namespace=NS,
        MetricData=[{"MetricName": "Errors", "Timestamp": at(m), "Value": v} for m, v in errors.items()]
        + [{"MetricName": "Requests", "Timestamp": at(m), "Value": v} for m, v in requests.items()],
    )
    base = [_stat("errors", "Errors", "Sum", ReturnData=False), _stat("requests", "Requests", "Sum", ReturnData=False)]
    cases = {
        "100 * errors / requests": {0: 30.0, 1: 1.0, 3: 50.0},
        "SUM(METRICS())": {0: 13.0, 1: 101.0, 2: 50.0, 3: 24.0},
        "MAX([errors, requests])": {0: 10.0, 1: 100.0, 2: 50.0, 3: 16.0},
        "FILL(errors, 0)": {0: 3.0, 1: 1.0, 2: 0.0, 3: 8.0},
        "FILL(errors, REPEAT)": {0: 3.0, 1: 1.0, 2: 1.0, 3: 8.0},
        "FILL(errors, LINEAR)": {0: 3.0, 1: 1.0, 2: 4.5, 3: 8.0},
        "IF(errors > 2, 1, 0)": {0: 1.0, 1: 0.0, 3: 1.0},
        "DIFF(requests)": {1: 90.0, 2: -50.0, 3: -34.0},
        "RATE(requests)": {1: 1.5, 2: -50 / 60, 3: -34 / 60},
        "-errors + 2 ^ 2": {0: 1.0, 1: 3.0, 3: -4.0},
        "errors / (requests - 10)": {1: 1 / 90, 3: 8 / 6},
    }
    for expr, want in cases.items():
        res, _ = _get(cw, base + [{"Id": "e", "Expression": expr}], at(0), at(4))
        got = dict(zip(res["e"]["Timestamps"], res["e"]["Values"]))
        assert got == {at(m): pytest.approx(v) for m, v in want.items()}, expr
        assert "errors" not in res  # ReturnData false


def test_an_expression_outside_what_is_modelled_is_refused(cw):
    t0 = _minute(50)
    with pytest.raises(ClientError) as e:
        _get(cw, [_stat("m", "Load", "Sum"), {"Id": "e", "Expression": "ANOMALY_DETECTION_BAND(m, 2)"}], t0, t0 + dt.timedelta(minutes=5))
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert "ANOMALY_DETECTION_BAND" in e.value.response["Error"]["Message"]


def test_more_than_500_queries_is_refused(cw):
    t0 = _minute(60)
    queries = [_stat(f"q{i}", "Load", "Sum") for i in range(501)]
    with pytest.raises(ClientError) as e:
        _get(cw, queries, t0, t0 + dt.timedelta(minutes=5))
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert e.value.response["Error"]["Message"] == "The collection MetricDataQueries must not have a size greater than 500."
    res, _ = _get(cw, queries[:500], t0, t0 + dt.timedelta(minutes=5))
    assert len(res) == 500


def test_past_max_datapoints_the_answer_is_paginated(cw):
    t0 = _minute(70)
    cw.put_metric_data(
        Namespace=NS,
        MetricData=[{"MetricName": "Paged", "Timestamp": t0 + dt.timedelta(minutes=m), "Value": float(m)} for m in range(5)],
    )
    q = [_stat("a", "Paged", "Sum"), _stat("b", "Paged", "Maximum")]
    end = t0 + dt.timedelta(minutes=5)
    res, out = _get(cw, q, t0, end, MaxDatapoints=3)
    assert res["a"]["Values"] == [0.0, 1.0, 2.0] and res["a"]["StatusCode"] == "PartialData"
    assert res["b"]["Values"] == [] and res["b"]["StatusCode"] == "PartialData"
    seen = {"a": res["a"]["Values"], "b": res["b"]["Values"]}
    while "NextToken" in out:
        res, out = _get(cw, q, t0, end, MaxDatapoints=3, NextToken=out["NextToken"])
        for k in seen:
            seen[k] = seen[k] + res[k]["Values"]
    assert seen == {"a": [0.0, 1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 2.0, 3.0, 4.0]}
    with pytest.raises(ClientError) as e:
        _get(cw, q, t0, end, NextToken="bm90LW91cnM=")
    assert e.value.response["Error"]["Code"] == "InvalidNextToken"


def test_put_metric_data_refuses_datapoints_older_than_two_weeks(cw):
    now = dt.datetime.now(dt.timezone.utc)
    old = now - dt.timedelta(days=14, minutes=5)
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(
            Namespace=NS,
            MetricData=[
                {"MetricName": "Old", "Timestamp": now - dt.timedelta(days=1), "Value": 1.0},
                {"MetricName": "Old", "Timestamp": old, "Value": 1.0},
            ],
        )
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidParameterValue"
    assert err["Message"] == "The parameter MetricData.member.2.Timestamp must specify a time within the past two weeks."
    # Nothing of the refused request was stored.
    res, _ = _get(cw, [_stat("m", "Old", "Sum")], now - dt.timedelta(days=14), now)
    assert res["m"]["Values"] == []
    # Three hours ahead is refused too; 13 days back is accepted.
    with pytest.raises(ClientError):
        cw.put_metric_data(Namespace=NS, MetricData=[{"MetricName": "Old", "Timestamp": now + dt.timedelta(hours=3), "Value": 1.0}])
    cw.put_metric_data(Namespace=NS, MetricData=[{"MetricName": "Old", "Timestamp": now - dt.timedelta(days=13), "Value": 1.0}])


def test_a_gzip_compressed_put_metric_data_is_read(client):
    # PutMetricData has the `requestcompression` trait: SDKs gzip bodies past a
    # threshold (the Rust SDK's 10,240 bytes) and AWS reads them.
    sent = []
    cw = client("cloudwatch", request_min_compression_size_bytes=1)
    cw.meta.events.register("before-send.cloudwatch.PutMetricData", lambda request, **_: sent.append(request.headers.get("Content-Encoding")))
    t0 = _minute(90)
    cw.put_metric_data(Namespace=NS, MetricData=[{"MetricName": "Zipped", "Timestamp": t0, "Value": 7.0}])
    assert sent == [b"gzip"]
    res, _ = _get(cw, [_stat("m", "Zipped", "Sum")], t0, t0 + dt.timedelta(minutes=1))
    assert res["m"]["Values"] == [7.0]
