"""The rendered command line run by the real binary (set DRIFTLESS_BIN, e.g.
target/debug/driftless after `cargo build`): clap accepts every flag the chart
passes, the probes' paths answer, the shard index comes from the pod's host name,
the mounted webhook secret file is used, and SIGTERM exits 0.

Skipped without DRIFTLESS_BIN: building the binary is the Rust suite's job.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, base

BIN = os.environ.get("DRIFTLESS_BIN")
pytestmark = pytest.mark.skipif(not BIN, reason="set DRIFTLESS_BIN to a built driftless binary")

HOOK_SECRET = "zq-smoke-webhook-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, body: bytes | None = None, headers: dict[str, str] | None = None):
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_rendered_command_line_runs(render, tmp_path):
    binary = Path(BIN)
    if not binary.is_absolute():
        binary = ROOT / binary
    assert binary.exists(), binary

    r = render(
        base(
            source={"url": f"file://{tmp_path}/absent.git"},
            shards=3,
            webhook={"secretName": "hook"},
            historyRetention="30d",
        )
    )
    args = list(r.args)
    # The pod's paths, moved under tmp_path; the port, to a free one.
    port = _free_port()
    args[args.index("--listen") + 1] = f"127.0.0.1:{port}"
    state = tmp_path / "state"
    args[args.index("--state-dir") + 1] = str(state)
    hook_file = Path(str(tmp_path) + r.flag("--webhook-secret-file"))
    hook_file.parent.mkdir(parents=True)
    hook_file.write_text(HOOK_SECRET)
    args[args.index("--webhook-secret-file") + 1] = str(hook_file)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRIFTLESS_", "AWS_"))}
    env.update({e["name"]: e["value"] for e in r.container.get("env", []) if "value" in e})
    env["HOSTNAME"] = f"{r.statefulset['metadata']['name']}-2"  # as the StatefulSet names pod 2
    proc = subprocess.Popen([str(binary), *args], env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 20
        while True:
            try:
                status, _ = _request(url + "/healthz")
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.time() < deadline, "no answer on /healthz"
                time.sleep(0.1)
        probes = {p: r.container[p]["httpGet"]["path"] for p in ("livenessProbe", "readinessProbe")}
        assert _request(url + probes["livenessProbe"])[0] == 200
        # No successful fetch (the repository does not exist): not ready.
        assert _request(url + probes["readinessProbe"])[0] == 503
        assert _request(url + "/status")[0] == 200
        assert _request(url + "/metrics")[0] == 200

        body = json.dumps({"ref": "refs/heads/main"}).encode()
        signature = "sha256=" + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        hook = url + "/hooks/git"
        assert _request(hook, body, {"Content-Type": "application/json"})[0] == 401
        status, text = _request(
            hook, body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        )
        assert status == 202, text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=r.pod["terminationGracePeriodSeconds"])
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        logs = proc.stderr.read()
    assert code == 0, logs
    lines = [json.loads(line) for line in logs.splitlines() if line.strip()]  # --log-format json
    assert any(line.get("index") == 2 and line.get("count") == 3 for line in lines), logs
