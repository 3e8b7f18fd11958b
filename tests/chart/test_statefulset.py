"""The StatefulSet: the command line, shards, security, probes, state dir."""

from __future__ import annotations

import re

import pytest

from conftest import FULL, RELEASE, ROOT, SSH_URL, URL, VALUE_SETS, base

ROOT_SRC = ROOT / "controller"


def test_default_command_line(render):
    r = render(base())
    assert r.container["image"] == "driftless/driftless:0.1.0"
    assert r.args == [
        "run",
        "--source", URL,
        "--interval", "1m",
        "--resync", "5m",
        "--drift-policy", "correct",
        "--listen", "0.0.0.0:8080",
        "--state-dir", "/var/lib/driftless",
        "--log-format", "json",
        "--shard-count", "1",
    ]  # fmt: skip
    assert "command" not in r.container  # the image's ENTRYPOINT is driftless


def test_options_become_flags(render):
    r = render(VALUE_SETS["ssh"])
    assert r.flag("--source") == SSH_URL
    assert r.flag("--drift-policy") == "report"
    assert r.flag("--max-deletes") == "3"
    assert "--suspend" in r.args
    assert "--prune" not in r.args
    assert "--allow-data-loss" not in r.args
    targets = [r.args[i + 1] for i, a in enumerate(r.args) if a == "--target"]
    assert targets == ["prod-tokyo", "prod-osaka"]
    assert r.args[-1] == "-v"  # extraArgs come last
    assert r.env["RUST_LOG"] == {"name": "RUST_LOG", "value": "driftless=debug"}

    r = render(FULL)
    assert r.flag("--ref") == "main"
    assert r.flag("--path") == "ops"
    assert "--prune" in r.args
    assert "--max-deletes" not in r.args
    assert r.env["AWS_REGION"] == {"name": "AWS_REGION", "value": "ap-northeast-1"}

    r = render(base(allowDataLoss=True, interval="30s", resync=600, logFormat="pretty"))
    assert "--allow-data-loss" in r.args
    assert r.flag("--interval") == "30s"
    assert r.flag("--resync") == "600"
    assert r.flag("--log-format") == "pretty"
    assert "--ref" not in r.args and "--path" not in r.args
    assert "AWS_REGION" not in r.env


def test_max_deletes_zero_is_passed(render):
    # 0 is a real setting (no deletes at all), not "unset".
    assert render(base(maxDeletes=0)).flag("--max-deletes") == "0"


@pytest.mark.parametrize("shards", [1, 2, 3, 7])
def test_replicas_and_shard_count_follow_shards(render, shards):
    r = render(base(shards=shards))
    assert r.statefulset["spec"]["replicas"] == shards
    assert r.flag("--shard-count") == str(shards)
    # The index is the pod's ordinal (host name driftless-<i>), never a flag.
    assert "--shard-index" not in r.args
    assert not any(e.startswith("DRIFTLESS_SHARD") for e in r.env)
    assert f"Shards: {shards} " in r.notes


def test_pods_are_named_for_their_ordinal(render):
    # driftless reads the shard index from the host name's trailing -<ordinal>;
    # the StatefulSet's name must leave room for it and for the revision hash.
    r = render(base(), release="a" * 60)
    name = r.statefulset["metadata"]["name"]
    assert len(name) <= 52 and not name.endswith("-")
    r = render(base(), release="ops")
    assert r.statefulset["metadata"]["name"] == "ops-driftless"
    assert r.statefulset["spec"]["podManagementPolicy"] == "Parallel"
    assert r.statefulset["spec"]["updateStrategy"] == {"type": "RollingUpdate"}


def test_headless_service_governs_the_statefulset(render):
    r = render(base(shards=3))
    headless = r.one("Service", r.statefulset["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    http = r.one("Service", RELEASE)
    assert http["spec"]["type"] == "ClusterIP"
    assert http["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    pod_labels = r.statefulset["spec"]["template"]["metadata"]["labels"]
    for svc in (headless, http):
        assert svc["spec"]["selector"].items() <= pod_labels.items()
    assert r.statefulset["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_security_contexts(value_set, render):
    _, values = value_set
    r = render(values)
    assert r.pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert r.container["securityContext"] == {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert r.pod["automountServiceAccountToken"] is False
    # A read-only root needs somewhere to write: the state dir and /tmp.
    mounts = {m["mountPath"]: m["name"] for m in r.container["volumeMounts"]}
    assert mounts["/var/lib/driftless"] == "state"
    assert r.volume("tmp") == {"name": "tmp", "emptyDir": {}}
    assert mounts["/tmp"] == "tmp"


def test_probes_and_port(value_set, render):
    _, values = value_set
    c = render(values).container
    assert c["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert "0.0.0.0:8080" in c["args"]


def test_resources_default(render):
    assert render(base()).container["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"},
        "limits": {"memory": "512Mi"},
    }


def test_grace_period_covers_the_shutdown(render):
    # SIGTERM waits up to 30 s for the calls in flight.
    assert render(base()).pod["terminationGracePeriodSeconds"] > 30


def test_persistence_off_is_an_empty_dir(render):
    r = render(base())
    assert r.volume("state") == {"name": "state", "emptyDir": {}}
    assert "volumeClaimTemplates" not in r.statefulset["spec"]


def test_persistence_on_is_a_claim_per_shard(render):
    r = render(VALUE_SETS["persistence"])
    claims = r.statefulset["spec"]["volumeClaimTemplates"]
    assert len(claims) == 1
    claim = claims[0]
    assert claim["metadata"]["name"] == "state"
    assert claim["spec"]["resources"] == {"requests": {"storage": "5Gi"}}
    assert claim["spec"]["storageClassName"] == "gp3"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert not any(v["name"] == "state" for v in r.pod["volumes"])
    assert r.mount("state")["mountPath"] == "/var/lib/driftless"

    r = render(base(persistence={"enabled": True}))
    claim = r.statefulset["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert "storageClassName" not in claim["spec"]  # the cluster's default class


def test_an_s3_state_is_shared_by_every_pod_and_needs_no_volume(render):
    r = render(base(state="s3://acme-driftless-state/ops", historyRetention="30d"))
    # DRIFTLESS_STATE, not a flag: `kubectl exec … driftless history` uses it too.
    assert r.env["DRIFTLESS_STATE"] == {"name": "DRIFTLESS_STATE", "value": "s3://acme-driftless-state/ops"}
    assert r.flag("--history-retention") == "30d"
    assert r.volume("state") == {"name": "state", "emptyDir": {}}
    assert "driftless history\n" in r.notes and "shared in s3://acme-driftless-state/ops" in r.notes

    r = render(base())
    assert "DRIFTLESS_STATE" not in r.env
    assert "--history-retention" not in r.args
    assert "--state-dir /var/lib/driftless" in r.notes


def test_service_account(render):
    r = render(FULL)
    sa = r.one("ServiceAccount")
    assert sa["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::111111111111:role/driftless"
    }
    assert r.pod["serviceAccountName"] == sa["metadata"]["name"]

    r = render(base(serviceAccount={"create": False, "name": "existing"}))
    assert r.of_kind("ServiceAccount") == []
    assert r.pod["serviceAccountName"] == "existing"

    r = render(base(serviceAccount={"name": "custom"}))
    assert r.one("ServiceAccount")["metadata"]["name"] == "custom"
    assert "annotations" not in r.one("ServiceAccount")["metadata"]


def test_image_and_scheduling_values(render):
    r = render(
        base(
            image={"repository": "registry.example.com/driftless", "tag": "0.1.0-rc1", "pullPolicy": "Always"},
            imagePullSecrets=[{"name": "regcred"}],
            nodeSelector={"kubernetes.io/os": "linux"},
            tolerations=[{"key": "ops", "operator": "Exists", "effect": "NoSchedule"}],
            affinity={"nodeAffinity": {}},
            podAnnotations={"example.com/a": "1"},
        )
    )
    assert r.container["image"] == "registry.example.com/driftless:0.1.0-rc1"
    assert r.container["imagePullPolicy"] == "Always"
    assert r.pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert r.pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert r.pod["tolerations"][0]["key"] == "ops"
    assert r.pod["affinity"] == {"nodeAffinity": {}}
    assert r.statefulset["spec"]["template"]["metadata"]["annotations"] == {"example.com/a": "1"}


def test_pdb(render):
    r = render(base(shards=3))
    pdb = r.one("PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["maxUnavailable"] == 1
    pod_labels = r.statefulset["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert render(base(podDisruptionBudget={"enabled": False})).of_kind("PodDisruptionBudget") == []


def _flags_of(args):
    return {a for a in args if a.startswith("--")}


# A clap field: `#[arg(...)]`, then doc comments or other attributes, then `name:`.
CLAP_FIELD = re.compile(
    r"#\[arg\(((?:[^()]|\([^()]*\))*)\)\]\s*(?:(?:#\[[^\]]*\]|///[^\n]*)\s*)*(?:pub\s+)?(\w+)\s*:"
)


def defined_long_flags() -> set[str]:
    """Every `--long` flag the binary's clap structs define (controller/*/src, read)."""
    flags = set()
    for path in ROOT_SRC.rglob("*.rs"):
        for attr, field in CLAP_FIELD.findall(path.read_text()):
            named = re.search(r'\blong\s*=\s*"([^"]+)"', attr)
            if named:
                flags.add("--" + named.group(1))
            elif re.search(r"\blong\b", attr):
                flags.add("--" + field.replace("_", "-"))
    return flags


def test_the_flag_reader_reads_the_known_flags():
    flags = defined_long_flags()
    assert {"--source", "--ref", "--interval", "--webhook-secret-file", "--log-format"} <= flags
    assert "--no-such-flag" not in flags


def test_every_flag_is_one_driftless_run_defines(render):
    # The chart's flags against the binary's clap definitions (read, not run): a
    # renamed flag breaks the pod at start, so it must break this test first.
    rendered = set()
    for values in VALUE_SETS.values():
        rendered |= _flags_of(render(values).args)
    rendered |= _flags_of(render(base(allowDataLoss=True)).args)
    assert {"--shard-count", "--admin-token-file", "--webhook-secret-file"} <= rendered
    missing = sorted(rendered - defined_long_flags())
    assert missing == [], f"flags the chart passes that controller/ does not define: {missing}"


def test_every_git_variable_is_one_driftless_reads(render):
    source = "\n".join(p.read_text() for p in ROOT_SRC.rglob("*.rs"))
    names = set()
    for values in VALUE_SETS.values():
        names.update(n for n in render(values).env if n.startswith("DRIFTLESS_"))
    assert {"DRIFTLESS_GIT_TOKEN_FILE", "DRIFTLESS_GIT_SSH_KEY", "DRIFTLESS_GIT_KNOWN_HOSTS"} <= names
    for name in names:
        assert f'"{name}"' in source, name
