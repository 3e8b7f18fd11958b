"""pytest fixtures: one emulator (tests/emulator/run) per session, boto3 clients.

Run from the repo root:  .venv/bin/python -m pytest tests/emulator -q
Set DRIFTLESS_EMULATOR_URL=http://127.0.0.1:P to test an already running one.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import botocore.config
import botocore.loaders
import botocore.session
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

_account_counter = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen | None, timeout: float = 900.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"emulator exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/moto-api/", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("emulator did not become ready")


@pytest.fixture(scope="session")
def endpoint() -> str:
    given = os.environ.get("DRIFTLESS_EMULATOR_URL")
    if given:
        _wait_ready(given, None, 30)
        yield given
        return
    port = _free_port()
    proc = subprocess.Popen(
        [str(HERE / "run"), "--port", str(port), "--exit-with-stdin"],
        stdin=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        yield url
    finally:
        try:
            proc.stdin.close()  # lifeline: the emulator exits on stdin EOF
            proc.wait(timeout=10)
        except Exception:
            proc.kill()
            proc.wait()


def _new_account() -> str:
    n = next(_account_counter)
    return f"{(os.getpid() % 1000):03d}{n:09d}"


@pytest.fixture
def account() -> str:
    """A fresh 12-digit account id (= access key id) per test: isolated state."""
    return _new_account()


@pytest.fixture
def make_account():
    """More fresh accounts for one test."""
    return _new_account


def _config(**kw) -> botocore.config.Config:
    return botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}, **kw)


def make_client(endpoint: str, service: str, account: str, region: str = "us-east-1", session=None, **cfg):
    session = session or boto3.session.Session()
    return session.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=account,
        aws_secret_access_key="testing",
        config=_config(**cfg),
    )


@pytest.fixture
def client(endpoint, account):
    default = account

    def factory(service: str, region: str = "us-east-1", account: str | None = None, **cfg):
        return make_client(endpoint, service, account or default, region, **cfg)

    return factory


# ---- clients forced onto one wire protocol (botocore picks awsJson otherwise)

_protocol_sessions: dict[tuple[str, str], boto3.session.Session] = {}


def protocol_session(tmp_root: Path, service: str, protocol: str) -> boto3.session.Session:
    """A boto3 session whose model for `service` only offers `protocol`."""
    key = (service, protocol)
    if key in _protocol_sessions:
        return _protocol_sessions[key]
    loader = botocore.loaders.Loader()
    version = loader.determine_latest_version(service, "service-2")
    model = copy.deepcopy(loader.load_service_model(service, "service-2", version))
    model["metadata"]["protocol"] = protocol
    model["metadata"]["protocols"] = [protocol]
    d = tmp_root / protocol / service / version
    d.mkdir(parents=True, exist_ok=True)
    (d / "service-2.json").write_text(json.dumps(model))
    bsession = botocore.session.Session()
    bsession.get_component("data_loader").search_paths.insert(0, str(tmp_root / protocol))
    session = boto3.session.Session(botocore_session=bsession)
    _protocol_sessions[key] = session
    return session


@pytest.fixture(scope="session")
def _models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def cbor_client(endpoint, account, _models_dir):
    """botocore speaking Smithy RPC v2 CBOR (as the AWS SDK for Rust does)."""

    def factory(service: str = "cloudwatch", region: str = "us-east-1", **cfg):
        session = protocol_session(_models_dir, service, "smithy-rpc-v2-cbor")
        return make_client(endpoint, service, account, region, session=session, **cfg)

    return factory


@pytest.fixture
def query_client(endpoint, account, _models_dir):
    """botocore speaking awsQuery (older SDKs and the CLI's historic protocol)."""

    def factory(service: str = "cloudwatch", region: str = "us-east-1", **cfg):
        session = protocol_session(_models_dir, service, "query")
        return make_client(endpoint, service, account, region, session=session, **cfg)

    return factory


def http_json(method: str, url: str, doc=None):
    data = json.dumps(doc).encode() if doc is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read() or b"null")


@pytest.fixture
def control(endpoint):
    class Control:
        def calls(self):
            return http_json("GET", endpoint + "/_driftless/calls")[1]

        def reset_calls(self):
            return http_json("POST", endpoint + "/_driftless/calls/reset")

        def set_faults(self, spec):
            return http_json("POST", endpoint + "/_driftless/faults", spec)

        def clear_faults(self):
            return http_json("DELETE", endpoint + "/_driftless/faults")

    c = Control()
    yield c
    c.clear_faults()


def trust_policy(*accounts: str) -> str:
    """A role trust policy letting these accounts assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def create_role(endpoint: str, account: str, name: str, trusted: str) -> str:
    """Creates role `name` in `account`, trusting the account `trusted`; its ARN."""
    iam = make_client(endpoint, "iam", account)
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(trusted))["Role"]["Arn"]
