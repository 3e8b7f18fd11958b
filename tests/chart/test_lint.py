"""`helm lint --strict` (Helm v4 as a library) over every value set."""

from __future__ import annotations

import helm_python as helm
import pytest

from conftest import CHART, KUBE_VERSION, VALUE_SETS

# Severity 1 is informational ("icon is recommended"); 2 warning, 3 error.
INFO = 1


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_lint_passes_strict(name):
    report = helm.lint(
        CHART, VALUE_SETS[name], strict=True, namespace="ops", kube_version=f"v{KUBE_VERSION}.0"
    )
    assert report["total_charts_linted"] == 1
    problems = [m for m in report["messages"] if m["severity"] > INFO]
    assert problems == [], problems
    assert report["errors"] == []


def test_lint_fails_without_source_url():
    # The chart's own values.yaml leaves source.url empty on purpose: an install
    # must name the repository.
    report = helm.lint(CHART, strict=True)
    errors = [m for m in report["messages"] if m["severity"] == 3]
    assert errors, report
    assert any("/source/url" in m["error"] for m in errors), errors


def test_chart_metadata(chart):
    meta = chart.metadata
    assert meta["apiVersion"] == "v2"
    assert meta["name"] == "driftless"
    assert meta["type"] == "application"
    # appVersion is the crate's version (Cargo.toml [workspace.package]).
    cargo = (CHART.parents[1] / "Cargo.toml").read_text()
    version_line = next(
        line for line in cargo.split("[workspace.package]", 1)[1].splitlines() if line.startswith("version")
    )
    assert meta["appVersion"] == version_line.split("=", 1)[1].strip().strip('"')
    assert chart.schema is not None
