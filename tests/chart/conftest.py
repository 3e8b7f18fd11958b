"""The chart under test, rendered offline by the real Helm library.

Run from the repo root:  tests/chart/run   (builds .venv-chart on first use)

`render(values)` returns the objects of every template (NOTES.txt aside) parsed from
Helm's output; `VALUE_SETS` are the configurations every structural test and the
Kubernetes schema check run over.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "driftless"
RELEASE = "driftless"
NAMESPACE = "ops"
# The Kubernetes version the manifests are checked against (kubernetes-validate).
KUBE_VERSION = "1.31"

URL = "https://git.example.com/ops.git"
SSH_URL = "git@git.example.com:platform/ops.git"

# Names of Secrets and keys nobody would pick by accident, so that tests can find
# every place they land in the output.
GIT_SECRET = "zq-git-credentials-7f3a"
WEBHOOK_SECRET = "zq-webhook-9b1c"
ADMIN_SECRET = "zq-admin-4d2e"


def base(**extra: Any) -> dict[str, Any]:
    """The least values an install needs (source.url), plus `extra` merged in."""
    values: dict[str, Any] = {"source": {"url": URL}}
    return merge(values, extra)


def merge(into: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(into)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


FULL = base(
    source={"ref": "main", "path": "ops"},
    shards=2,
    prune=True,
    aws={"region": "ap-northeast-1"},
    serviceAccount={
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::111111111111:role/driftless"}
    },
    ingress={
        "enabled": True,
        "className": "nginx",
        "host": "driftless.example.com",
        "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
        "tls": {"enabled": True, "secretName": "driftless-tls"},
    },
    serviceMonitor={"enabled": True, "interval": "15s", "labels": {"release": "prometheus"}},
    networkPolicy={
        "enabled": True,
        "ingressFrom": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
        ],
    },
    git={"credentialsSecretName": GIT_SECRET, "username": "driftless-bot"},
    webhook={"secretName": WEBHOOK_SECRET},
    admin={"secretName": ADMIN_SECRET},
)

# name -> values; every one is linted, rendered and schema-checked.
VALUE_SETS: dict[str, dict[str, Any]] = {
    "default": base(),
    "sharded": base(shards=3),
    "persistence": base(persistence={"enabled": True, "size": "5Gi", "storageClassName": "gp3"}),
    "full": FULL,
    "ssh": base(
        source={"url": SSH_URL},
        git={"credentialsSecretName": GIT_SECRET, "sshKeyPassphraseKey": "passphrase"},
        persistence={"enabled": True},
        networkPolicy={
            "enabled": True,
            "egress": [
                {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
                {"ports": [{"port": 443, "protocol": "TCP"}, {"port": 22, "protocol": "TCP"}]},
            ],
        },
        extraEnv=[{"name": "RUST_LOG", "value": "driftless=debug"}],
        extraArgs=["-v"],
        targets=["prod-tokyo", "prod-osaka"],
        maxDeletes=3,
        driftPolicy="report",
        suspend=True,
    ),
}


@dataclass
class Rendered:
    """One render: the objects, the raw manifests and NOTES.txt."""

    objects: list[dict[str, Any]]
    manifests: dict[str, str]
    notes: str
    text: str = field(init=False)

    def __post_init__(self) -> None:
        self.text = "\n".join(self.manifests.values())

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind: str, name: str | None = None) -> dict[str, Any]:
        found = [o for o in self.of_kind(kind) if name is None or o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name or ''}, got {[o['metadata']['name'] for o in found]}"
        return found[0]

    @property
    def statefulset(self) -> dict[str, Any]:
        return self.one("StatefulSet")

    @property
    def pod(self) -> dict[str, Any]:
        return self.statefulset["spec"]["template"]["spec"]

    @property
    def container(self) -> dict[str, Any]:
        containers = self.pod["containers"]
        assert len(containers) == 1
        return containers[0]

    @property
    def args(self) -> list[str]:
        return self.container["args"]

    @property
    def env(self) -> dict[str, dict[str, Any]]:
        return {e["name"]: e for e in self.container.get("env", [])}

    def flag(self, name: str) -> str:
        """The value after `name` in the container's args (exactly one occurrence)."""
        args = self.args
        assert args.count(name) == 1, f"{name} appears {args.count(name)} times in {args}"
        return args[args.index(name) + 1]

    def volume(self, name: str) -> dict[str, Any]:
        found = [v for v in self.pod.get("volumes", []) if v["name"] == name]
        assert len(found) == 1, f"volume {name}: {found}"
        return found[0]

    def mount(self, name: str) -> dict[str, Any]:
        found = [m for m in self.container.get("volumeMounts", []) if m["name"] == name]
        assert len(found) == 1, f"volumeMount {name}: {found}"
        return found[0]


@pytest.fixture(scope="session")
def chart():
    with helm.Chart.load(CHART) as loaded:
        yield loaded


@pytest.fixture(scope="session")
def render(chart):
    cache: dict[str, Rendered] = {}

    def _render(values: dict[str, Any], release: str = RELEASE) -> Rendered:
        key = f"{release}\0{yaml.safe_dump(values, sort_keys=True)}"
        if key not in cache:
            manifests = chart.render(values, name=release, namespace=NAMESPACE, is_install=True)
            objects: list[dict[str, Any]] = []
            notes = ""
            for path, text in sorted(manifests.items()):
                if path.endswith("NOTES.txt"):
                    notes = text
                    continue
                for doc in yaml.safe_load_all(text):
                    if doc is not None:
                        objects.append(doc)
            cache[key] = Rendered(objects=objects, manifests=manifests, notes=notes)
        return cache[key]

    return _render


@pytest.fixture(params=sorted(VALUE_SETS), scope="session")
def value_set(request) -> tuple[str, dict[str, Any]]:
    return request.param, VALUE_SETS[request.param]
