"""Ingress (the webhook only), NetworkPolicy, NOTES."""

from __future__ import annotations

import helm_python as helm
import pytest

from conftest import FULL, RELEASE, VALUE_SETS, base


def test_ingress_routes_only_the_webhook(render):
    r = render(FULL)
    ing = r.one("Ingress")
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert ing["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}
    assert ing["spec"]["tls"] == [{"hosts": ["driftless.example.com"], "secretName": "driftless-tls"}]
    rules = ing["spec"]["rules"]
    assert len(rules) == 1
    assert rules[0]["host"] == "driftless.example.com"
    assert rules[0]["http"]["paths"] == [
        {
            "path": "/hooks/git",
            "pathType": "Exact",
            "backend": {"service": {"name": RELEASE, "port": {"name": "http"}}},
        }
    ]
    # The backend is the http Service, which has that port.
    svc = r.one("Service", RELEASE)
    assert "http" in [p["name"] for p in svc["spec"]["ports"]]
    assert "defaultBackend" not in ing["spec"]


def test_ingress_without_host_or_tls(render):
    ing = render(base(ingress={"enabled": True})).one("Ingress")
    assert "tls" not in ing["spec"] and "ingressClassName" not in ing["spec"]
    assert ing["spec"]["rules"][0] == {
        "http": {
            "paths": [
                {
                    "path": "/hooks/git",
                    "pathType": "Exact",
                    "backend": {"service": {"name": RELEASE, "port": {"name": "http"}}},
                }
            ]
        }
    }
    assert render(base()).of_kind("Ingress") == []


def test_ingress_tls_needs_a_host(chart):
    with pytest.raises(helm.HelmRenderError) as err:
        chart.render(base(ingress={"enabled": True, "tls": {"enabled": True}}), name=RELEASE)
    assert "ingress.host" in str(err.value)


def test_network_policy_allows_only_8080_in(render):
    r = render(FULL)
    np = r.one("NetworkPolicy")
    pod_labels = r.statefulset["spec"]["template"]["metadata"]["labels"]
    assert np["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert np["spec"]["policyTypes"] == ["Ingress"]  # egress open by default
    assert "egress" not in np["spec"]
    assert np["spec"]["ingress"] == [
        {
            "ports": [{"port": 8080, "protocol": "TCP"}],
            "from": [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
            ],
        }
    ]
    # No peers given: any source, still on 8080 only.
    np = render(base(networkPolicy={"enabled": True})).one("NetworkPolicy")
    assert np["spec"]["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]
    assert render(base()).of_kind("NetworkPolicy") == []


def test_network_policy_egress_is_configurable(render):
    np = render(VALUE_SETS["ssh"]).one("NetworkPolicy")
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert np["spec"]["egress"] == VALUE_SETS["ssh"]["networkPolicy"]["egress"]


def test_notes_say_how_to_reach_status_and_set_the_webhook(render):
    notes = render(FULL).notes
    assert "kubectl -n ops port-forward pod/driftless-0 8080:8080" in notes
    assert "curl -s http://127.0.0.1:8080/status" in notes
    assert "Shards: 2 (driftless-0 … driftless-1)" in notes
    assert "Payload URL   https://driftless.example.com/hooks/git" in notes
    assert "Content type  application/json" in notes
    assert "Secret token" in notes  # GitLab
    assert "Just the push event" in notes
    assert "A delivery reaches one shard" in notes

    notes = render(base(webhook={"secretName": "hook"})).notes
    assert "https://<HOST>/hooks/git" in notes
    assert "ingress.enabled=true" in notes
    assert "A delivery reaches one shard" not in notes
