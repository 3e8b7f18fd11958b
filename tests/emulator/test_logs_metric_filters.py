"""CloudWatch Logs metric filters as AWS has them (driftless_emulator/ext_logs_metric_filters.py)."""

import pytest
from botocore.exceptions import ClientError


def _transformation(**extra):
    return [{"metricName": "RootUsage", "metricNamespace": "CIS", "metricValue": "1", **extra}]


def _code(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_put_replaces_the_filter_and_everything_round_trips(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/mf/trail")
    logs.put_metric_filter(
        logGroupName="/mf/trail", filterName="root", filterPattern="ERROR",
        metricTransformations=_transformation(defaultValue=0.0),
    )
    first = logs.describe_metric_filters(logGroupName="/mf/trail")["metricFilters"]
    assert len(first) == 1 and first[0]["applyOnTransformedLogs"] is False
    created = first[0]["creationTime"]
    logs.put_metric_filter(
        logGroupName="/mf/trail", filterName="root", filterPattern="{ $.user = * }",
        metricTransformations=_transformation(unit="Count", dimensions={"User": "$.user"}),
        applyOnTransformedLogs=True, fieldSelectionCriteria="@aws.region = \"us-east-1\"",
    )
    filters = logs.describe_metric_filters(logGroupName="/mf/trail")["metricFilters"]
    assert len(filters) == 1, "a put of the same name replaces, never adds"
    f = filters[0]
    assert f["filterPattern"] == "{ $.user = * }"
    assert f["applyOnTransformedLogs"] is True
    assert f["fieldSelectionCriteria"] == "@aws.region = \"us-east-1\""
    assert f["creationTime"] == created
    t = f["metricTransformations"][0]
    assert t["unit"] == "Count" and t["dimensions"] == {"User": "$.user"} and "defaultValue" not in t


def test_missing_groups_and_filters_are_not_found(client):
    logs = client("logs")
    with pytest.raises(ClientError) as e:
        logs.put_metric_filter(logGroupName="/mf/none", filterName="f", filterPattern="",
                               metricTransformations=_transformation())
    assert _code(e) == ("ResourceNotFoundException", "The specified log group does not exist.")
    with pytest.raises(ClientError) as e:
        logs.describe_metric_filters(logGroupName="/mf/none")
    assert _code(e)[0] == "ResourceNotFoundException"
    logs.create_log_group(logGroupName="/mf/empty")
    with pytest.raises(ClientError) as e:
        logs.delete_metric_filter(logGroupName="/mf/empty", filterName="f")
    assert _code(e) == ("ResourceNotFoundException", "The specified metric filter does not exist.")


def test_a_group_holds_at_most_100_filters(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/mf/full")
    for i in range(100):
        logs.put_metric_filter(logGroupName="/mf/full", filterName=f"f{i:03}", filterPattern="",
                               metricTransformations=_transformation())
    with pytest.raises(ClientError) as e:
        logs.put_metric_filter(logGroupName="/mf/full", filterName="f100", filterPattern="",
                               metricTransformations=_transformation())
    assert _code(e)[0] == "LimitExceededException"
    # Replacing one of the hundred is not a new filter.
    logs.put_metric_filter(logGroupName="/mf/full", filterName="f000", filterPattern="X",
                           metricTransformations=_transformation())


def test_listing_is_sorted_by_name_and_paginated(client):
    logs = client("logs")
    for g in ("/mf/a", "/mf/b"):
        logs.create_log_group(logGroupName=g)
    names = [f"n{i:02}" for i in range(7)]
    for i, n in enumerate(reversed(names)):
        logs.put_metric_filter(logGroupName="/mf/a" if i % 2 else "/mf/b", filterName=n,
                               filterPattern="", metricTransformations=_transformation())
    seen, token, pages = [], None, 0
    while True:
        kw = {"limit": 3, **({"nextToken": token} if token else {})}
        page = logs.describe_metric_filters(**kw)
        pages += 1
        assert len(page["metricFilters"]) <= 3
        seen += [f["filterName"] for f in page["metricFilters"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == names and pages == 3
    only_a = logs.describe_metric_filters(logGroupName="/mf/a")["metricFilters"]
    assert {f["logGroupName"] for f in only_a} == {"/mf/a"} and len(only_a) == 3
    prefixed = logs.describe_metric_filters(logGroupName="/mf/b", filterNamePrefix="n0")
    assert [f["filterName"] for f in prefixed["metricFilters"]] == ["n00", "n02", "n04", "n06"]
    with pytest.raises(ClientError) as e:
        logs.describe_metric_filters(limit=51)
    assert _code(e)[0] == "InvalidParameterException"


@pytest.mark.parametrize(
    "pattern,extra,message",
    [
        ("{ $.a = 1 }", {"defaultValue": 0.0, "dimensions": {"A": "$.a"}}, "mutually exclusive"),
        ("ERROR", {"dimensions": {"A": "$.a"}}, "does not support dimensions"),
        ("{ $.a = 1 }", {"dimensions": {f"D{i}": "$.a" for i in range(4)}}, "at most 3"),
    ],
)
def test_transformations_aws_refuses(client, pattern, extra, message):
    logs = client("logs")
    logs.create_log_group(logGroupName="/mf/bad")
    with pytest.raises(ClientError) as e:
        logs.put_metric_filter(logGroupName="/mf/bad", filterName="f", filterPattern=pattern,
                               metricTransformations=_transformation(**extra))
    code, text = _code(e)
    assert code == "InvalidParameterException" and message in text
    assert logs.describe_metric_filters(logGroupName="/mf/bad")["metricFilters"] == []


def test_two_transformations_are_refused_by_the_model(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/mf/two")
    with pytest.raises(ClientError) as e:
        logs.put_metric_filter(logGroupName="/mf/two", filterName="f", filterPattern="",
                               metricTransformations=_transformation() * 2)
    assert _code(e)[0] == "InvalidParameterException"


def test_deleting_a_group_deletes_its_filters(client):
    logs = client("logs")
    logs.create_log_group(logGroupName="/mf/gone")
    logs.put_metric_filter(logGroupName="/mf/gone", filterName="f", filterPattern="",
                           metricTransformations=_transformation())
    logs.delete_log_group(logGroupName="/mf/gone")
    logs.create_log_group(logGroupName="/mf/gone")
    assert logs.describe_metric_filters(logGroupName="/mf/gone")["metricFilters"] == []
    logs.put_metric_filter(logGroupName="/mf/gone", filterName="f", filterPattern="",
                           metricTransformations=_transformation())
    logs.delete_metric_filter(logGroupName="/mf/gone", filterName="f")
    assert logs.describe_metric_filters()["metricFilters"] == []


def test_default_value_is_a_double_however_it_was_written(client):
    """`defaultValue: 0` (as the CLI sends it) and `0.0` (as the Rust SDK does) are the
    same Double: both read back as `0.0`, so a put by either leaves it as it was."""
    logs = client("logs")
    logs.create_log_group(logGroupName="/mf/dv")
    raw = []
    logs.meta.events.register(
        "after-call.logs.DescribeMetricFilters", lambda http_response, **_: raw.append(http_response.text)
    )
    logs.meta.events.register(
        "before-send.logs.PutMetricFilter", lambda request, **_: raw.append(request.body.decode())
    )
    for value in (0, 0.0):
        logs.put_metric_filter(
            logGroupName="/mf/dv", filterName="f", filterPattern="ERROR",
            metricTransformations=_transformation(defaultValue=value),
        )
        logs.describe_metric_filters(logGroupName="/mf/dv")
    sent_int, read_int, sent_float, read_float = raw
    assert '"defaultValue": 0,' in sent_int or '"defaultValue": 0}' in sent_int, sent_int
    # The put replaces the filter and keeps its creationTime: the answers are equal.
    assert '"defaultValue": 0.0' in read_int and read_int == read_float
