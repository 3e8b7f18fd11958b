"""docs/kubernetes.md says what the chart does: its install command and values file
render, and the command line it shows is the one the chart renders."""

from __future__ import annotations

import re
import shlex

import helm_python as helm
import yaml

from conftest import ROOT, merge

DOC = (ROOT / "docs" / "kubernetes.md").read_text()
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", DOC, re.S)


def _block_after(marker: str) -> str:
    start = DOC.index(marker)
    return re.search(r"```\w*\n(.*?)```", DOC[start:], re.S).group(1)


def _helm_sets(command: str) -> dict:
    words = shlex.split(command.replace("\\\n", " "), comments=True)
    values: dict = {}
    for i, word in enumerate(words):
        if word == "--set":
            values = merge(values, helm.parse_set_string(words[i + 1]))
    return values


def test_install_command_renders(render):
    install = next(body for lang, body in BLOCKS if "helm install driftless charts/driftless" in body)
    values = _helm_sets(install)
    assert values["source"]["url"]
    r = render(values)
    assert r.flag("--source") == values["source"]["url"]
    assert r.one("ServiceAccount")["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::111111111111:role/driftless"
    }
    assert r.volume("git-credentials")["secret"]["secretName"] == values["git"]["credentialsSecretName"]


def test_documented_command_line_is_the_rendered_one(render):
    values = yaml.safe_load(_block_after("The same settings as a values file"))
    shown = shlex.split(_block_after("With these values the pod runs:").replace("\\\n", " "))
    assert shown[0] == "driftless"
    assert render(values).args == shown[1:]


def test_every_values_example_is_accepted(chart):
    examples = [yaml.safe_load(body) for lang, body in BLOCKS if lang == "yaml"]
    assert len(examples) >= 4
    for example in examples:
        values = merge({"source": {"url": "https://github.com/acme/ops.git"}}, example)
        chart.validate_schema(values)
        assert chart.render(values, name="driftless", namespace="driftless")
