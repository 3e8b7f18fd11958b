"""values.schema.json: bad values are refused at install (render) and by lint, and
the message names the offending key."""

from __future__ import annotations

import helm_python as helm
import pytest

from conftest import CHART, RELEASE, URL, base

BAD = {
    "no source.url": ({}, "/source"),
    "empty source.url": ({"source": {"url": ""}}, "/source/url"),
    "blank source.url": ({"source": {"url": "   "}}, "/source/url"),
    "source.url a number": ({"source": {"url": 7}}, "/source/url"),
    "shards 0": (base(shards=0), "/shards"),
    "shards negative": (base(shards=-1), "/shards"),
    "shards a string": (base(shards="3"), "/shards"),
    "shards fractional": (base(shards=1.5), "/shards"),
    "unknown top-level key": (base(replicas=3), "replicas"),
    "misspelt top-level key": (base(shard=3), "shard"),
    "bad driftPolicy": (base(driftPolicy="fix"), "/driftPolicy"),
    "bad interval": (base(interval="5 minutes"), "/interval"),
    "zero interval": (base(interval="0s"), "/interval"),
    "bad resync unit": (base(resync="5w"), "/resync"),
    "prune a string": (base(prune="yes"), "/prune"),
    "unknown source key": (base(source={"url": URL, "branch": "main"}), "branch"),
    "unknown git key": (base(git={"tokenKeys": "t"}), "tokenKeys"),
    "bad logFormat": (base(logFormat="text"), "/logFormat"),
    "persistence.size not a quantity": (base(persistence={"size": "lots"}), "/persistence/size"),
    "targets not a list": (base(targets="prod"), "/targets"),
    "state not a URL": (base(state="acme-state"), "/state"),
    "state with a bad bucket": (base(state="s3://Acme_State/ops"), "/state"),
    "bad historyRetention": (base(historyRetention="90 days"), "/historyRetention"),
    "annotation not a string": (base(serviceAccount={"annotations": {"a": 1}}), "/serviceAccount/annotations/a"),
    "ui.enabled a string": (base(ui={"enabled": "no"}), "/ui/enabled"),
    "unknown ui key": (base(ui={"token": "t"}), "token"),
    "ingress.ui a string": (base(ingress={"ui": "yes"}), "/ingress/ui"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_refused_at_render(chart, case):
    values, key = BAD[case]
    with pytest.raises(helm.HelmValuesError) as err:
        chart.render(values, name=RELEASE, namespace="ops")
    message = str(err.value)
    assert "values don't meet the specifications of the schema" in message
    assert key in message, message


@pytest.mark.parametrize("case", ["no source.url", "shards a string", "unknown top-level key", "bad driftPolicy"])
def test_refused_by_lint(case):
    values, key = BAD[case]
    report = helm.lint(CHART, values)
    errors = [m["error"] for m in report["messages"] if m["severity"] == 3]
    assert any(key in e for e in errors), report


@pytest.mark.parametrize(
    "values",
    [
        base(shards=1),
        base(shards=12),
        base(interval="30s", resync="1h"),
        base(interval=90, resync="2d"),
        base(driftPolicy="report"),
        base(maxDeletes=None),
        base(aws={"region": "us-gov-west-1"}),
        base(source={"url": "git@github.com:acme/ops.git", "ref": "v1.2.0", "path": "ops/prod"}),
    ],
)
def test_accepted(chart, values):
    chart.validate_schema(values)  # raises on refusal
    assert chart.render(values, name=RELEASE, namespace="ops")


def test_the_default_values_alone_are_refused(chart):
    # The repository has no sensible default.
    with pytest.raises(helm.HelmValuesError, match="/source/url"):
        chart.validate_schema({})
