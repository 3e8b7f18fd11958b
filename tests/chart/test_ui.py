"""The dashboard in the chart: on by default inside the cluster, `--ui=false` when
turned off, its viewer token mounted from an existing Secret, and routed by the
Ingress only when `ingress.ui` asks and a token is set (never /status or /metrics)."""

from __future__ import annotations

import helm_python as helm
import pytest

from conftest import RELEASE, base

UI_PATHS = [("/hooks/git", "Exact"), ("/", "Exact"), ("/targets", "Prefix"), ("/schedule", "Prefix"), ("/ui", "Prefix")]


def paths(ingress) -> list[tuple[str, str]]:
    return [(p["path"], p["pathType"]) for p in ingress["spec"]["rules"][0]["http"]["paths"]]


def test_the_dashboard_is_on_by_default_without_token_or_route(render):
    r = render(base(ingress={"enabled": True}))
    assert "--ui=false" not in r.args and "--ui-token-file" not in r.args
    assert paths(r.one("Ingress")) == [("/hooks/git", "Exact")]


def test_ui_disabled_passes_ui_false(render):
    r = render(base(ui={"enabled": False, "tokenSecretName": "viewer"}))
    assert "--ui=false" in r.args
    assert "--ui-token-file" not in r.args
    assert "ui-token" not in [v["name"] for v in r.pod["volumes"]]


def test_the_viewer_token_comes_from_a_secret_file(render):
    r = render(base(ui={"tokenSecretName": "viewer", "tokenSecretKey": "t"}))
    assert r.flag("--ui-token-file") == "/etc/driftless/ui/t"
    volume = r.volume("ui-token")
    assert volume["secret"] == {
        "secretName": "viewer",
        "defaultMode": 288,
        "items": [{"key": "t", "path": "t"}],
    }
    assert r.mount("ui-token") == {"name": "ui-token", "mountPath": "/etc/driftless/ui", "readOnly": True}
    assert "DRIFTLESS_UI_TOKEN" not in r.env, "the token is never a plain env value"


def test_the_ingress_routes_the_dashboard_only_when_asked(render):
    r = render(base(ingress={"enabled": True, "ui": True}, ui={"tokenSecretName": "viewer"}))
    ingress = r.one("Ingress")
    assert paths(ingress) == UI_PATHS
    for p in ingress["spec"]["rules"][0]["http"]["paths"]:
        assert p["backend"] == {"service": {"name": RELEASE, "port": {"name": "http"}}}
    served = [p for p, _ in paths(ingress)]
    for inside in ("/status", "/metrics", "/suspend", "/resume", "/healthz"):
        assert inside not in served


@pytest.mark.parametrize(
    "values, message",
    [
        ({"ingress": {"enabled": True, "ui": True}}, "ui.tokenSecretName"),
        (
            {"ingress": {"enabled": True, "ui": True}, "ui": {"enabled": False, "tokenSecretName": "v"}},
            "ui.enabled",
        ),
    ],
)
def test_exposing_the_dashboard_needs_it_on_and_a_token(chart, values, message):
    with pytest.raises(helm.HelmRenderError) as err:
        chart.render(base(**values), name=RELEASE)
    assert message in str(err.value)
