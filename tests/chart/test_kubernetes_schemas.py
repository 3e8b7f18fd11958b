"""Every rendered object against the Kubernetes JSON schemas (strict: unknown
fields refused), for every value set. The ServiceMonitor is a CRD the bundled
schemas do not have; its structure is asserted instead."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from conftest import FULL, KUBE_VERSION, NAMESPACE, base

# What each value set must render (so that the validation below is never vacuous).
EXPECTED_KINDS = {
    "default": {"StatefulSet", "Service", "ServiceAccount", "PodDisruptionBudget"},
    "sharded": {"StatefulSet", "Service", "ServiceAccount", "PodDisruptionBudget"},
    "persistence": {"StatefulSet", "Service", "ServiceAccount", "PodDisruptionBudget"},
    "full": {
        "StatefulSet",
        "Service",
        "ServiceAccount",
        "PodDisruptionBudget",
        "Ingress",
        "ServiceMonitor",
        "NetworkPolicy",
    },
    "ssh": {"StatefulSet", "Service", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy"},
}


def test_every_value_set_has_expected_kinds(value_set, render):
    name, values = value_set
    kinds = {o["kind"] for o in render(values).objects}
    assert kinds == EXPECTED_KINDS[name]


def test_every_object_validates_strictly(value_set, render):
    name, values = value_set
    rendered = render(values)
    checked = 0
    for obj in rendered.objects:
        if obj["kind"] == "ServiceMonitor":
            continue
        try:
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            pytest.fail(f"{name}: {obj['kind']}/{obj['metadata']['name']}: {path}: {e.message}")
        checked += 1
        assert obj["metadata"]["namespace"] == NAMESPACE
    assert checked >= 5  # the StatefulSet, two Services, the ServiceAccount, the PDB


def test_validation_really_rejects_bad_objects(render):
    # The checker itself: an unknown field and a wrong type are refused, so the
    # passing test above means something.
    sts = render(base()).statefulset
    bad = copy.deepcopy(sts)
    bad["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBE_VERSION, strict=True)
    bad = copy.deepcopy(sts)
    bad["spec"]["replicas"] = "3"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBE_VERSION, strict=True)


def test_service_monitor_structure(render):
    rendered = render(FULL)
    sm = rendered.one("ServiceMonitor")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(sm) == {"apiVersion", "kind", "metadata", "spec"}
    assert sm["metadata"]["labels"]["release"] == "prometheus"
    assert sm["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert sm["spec"]["endpoints"] == [
        {"port": "http", "path": "/metrics", "scheme": "http", "interval": "15s"}
    ]
    # It selects exactly one Service: the headless one, which publishes pods that
    # are not ready (a shard failing to fetch is still scraped) and has the port.
    selector = sm["spec"]["selector"]["matchLabels"]
    services = rendered.of_kind("Service")
    assert len(services) == 2
    selected = [s for s in services if selector.items() <= s["metadata"]["labels"].items()]
    assert len(selected) == 1
    assert selected[0]["spec"]["clusterIP"] == "None"
    assert selected[0]["spec"]["publishNotReadyAddresses"] is True
    assert [p["name"] for p in selected[0]["spec"]["ports"]] == ["http"]
    pod_labels = rendered.statefulset["spec"]["template"]["metadata"]["labels"]
    assert selected[0]["spec"]["selector"].items() <= pod_labels.items()
