"""What the browser tests and scripts/screenshots.sh look at: the project's emulator,
a git origin with two targets (`web` with a log group, `broken` whose CloudWatch
calls fail) and a warning guardrail (log groups need an `owner` tag: the owned
`/ui/app` lacks it), and `driftless run` (the debug binary, DRIFTLESS_BIN) on loopback with
a viewer token. Drift is made as an operator would: a signed-looking call to the
emulator's CloudWatch Logs API, which CloudTrail records under that caller."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ACCOUNT = f"{(os.getpid() % 100000):05d}4242421"[:12]
UI_TOKEN = "v1ewer-t0ken-for-the-browser-test"
WEBHOOK_SECRET = "webh00k-s3cret-never-shown"
ADMIN_TOKEN = "adm1n-t0ken-never-shown"
SECRETS = (UI_TOKEN, WEBHOOK_SECRET, ADMIN_TOKEN)

CONFIG = f"""targets:
  - {{name: web, region: {REGION}}}
  - {{name: broken, region: {REGION}}}
guardrails:
  - rule: required-tags
    parameters: {{tag1Key: owner}}
    kinds: [LogGroup]
    enforcement: warn
"""
LOG_GROUP = """apiVersion: driftless.dev/v1
kind: LogGroup
metadata: {name: /ui/app, targets: [web]}
spec: {retentionInDays: 14, tags: {team: web}}
"""
ALARM = """apiVersion: driftless.dev/v1
kind: MetricAlarm
metadata: {name: ui-cpu-high, targets: [broken]}
spec:
  namespace: AWS/EC2
  metricName: CPUUtilization
  statistic: Average
  period: 60
  evaluationPeriods: 5
  threshold: 80
  comparisonOperator: GreaterThanThreshold
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_emulator() -> tuple[subprocess.Popen, str]:
    """tests/emulator/run on a free port; it exits when its stdin closes."""
    given = os.environ.get("DRIFTLESS_EMULATOR_URL")
    port = free_port()
    proc = subprocess.Popen(
        [str(ROOT / "tests/emulator/run"), "--port", str(port), "--exit-with-stdin"],
        stdin=subprocess.PIPE,
    ) if not given else None
    url = given or f"http://127.0.0.1:{port}"
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the emulator exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/moto-api/", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the emulator did not become ready")


def git(cwd: Path, *args: str, author: str = "Ana Ops <ana@example.com>") -> None:
    name, email = author[:-1].split(" <")
    subprocess.run(
        ["git", "-c", f"user.name={name}", "-c", f"user.email={email}", "-c", "init.defaultBranch=main", *args],
        cwd=cwd, check=True, capture_output=True,
    )


class Origin:
    """A git repository the controller follows (file://)."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "origin"
        self.dir.mkdir()
        git(self.dir, "init", "-q")
        self.commit({"driftless.yaml": CONFIG, "logs.yaml": LOG_GROUP, "alarms.yaml": ALARM}, "monitoring: first alarms and logs")
        self.url = f"file://{self.dir}"

    def commit(self, files: dict[str, str], message: str, author: str = "Ana Ops <ana@example.com>") -> None:
        for name, text in files.items():
            (self.dir / name).write_text(text)
        git(self.dir, "add", ".")
        git(self.dir, "commit", "-q", "-m", message, author=author)


def aws_call(endpoint: str, service: str, target: str, body: dict) -> dict:
    """A JSON-protocol call as `ACCOUNT` (the emulator reads the account from the
    access key; it records the call in CloudTrail like AWS)."""
    request = urllib.request.Request(
        endpoint + "/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": target,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCOUNT}/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0",
            "User-Agent": "aws-cli/2 console-by-hand",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        text = r.read().decode()
        return json.loads(text) if text else {}


def retention_by_hand(endpoint: str, days: int) -> None:
    aws_call(endpoint, "logs", "Logs_20140328.PutRetentionPolicy", {"logGroupName": "/ui/app", "retentionInDays": days})


def log_group_by_hand(endpoint: str, name: str) -> None:
    """A log group made outside driftless (untagged: not owned, no `owner` tag)."""
    aws_call(endpoint, "logs", "Logs_20140328.CreateLogGroup", {"logGroupName": name})


def break_cloudwatch(endpoint: str) -> None:
    """Every CloudWatch call of the account fails with a 500 (its own account only)."""
    spec = {"seed": 0, "rules": [{"kind": "error500", "service": "cloudwatch", "rate": 1.0}]}
    request = urllib.request.Request(
        f"{endpoint}/_driftless/faults?account={ACCOUNT}",
        data=json.dumps(spec).encode(), method="POST", headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).read()


class Controller:
    """`driftless run` on loopback with a viewer token; its stderr is kept."""

    def __init__(self, root: Path, origin: Origin, endpoint: str) -> None:
        binary = os.environ.get("DRIFTLESS_BIN", str(ROOT / "target/debug/driftless"))
        if not Path(binary).exists():
            raise RuntimeError(f"{binary} is missing: run `cargo build --bin driftless` first")
        self.state = root / "state"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root),
            "NO_COLOR": "1",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": ACCOUNT,
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "DRIFTLESS_UI_TOKEN": UI_TOKEN,
            "DRIFTLESS_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "DRIFTLESS_ADMIN_TOKEN": ADMIN_TOKEN,
        }
        self.proc = subprocess.Popen(
            [binary, "run", "--source", origin.url, "--listen", "127.0.0.1:0", "--interval", "2s",
             "--resync", "2s", "--drift-policy", "report", "--state-dir", str(self.state)],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.log: list[str] = []
        found = threading.Event()
        self.addr = ""

        def read() -> None:
            for line in self.proc.stderr:
                self.log.append(line)
                if not found.is_set() and "listening on " in line:
                    self.addr = line.split("listening on ", 1)[1].split()[0]
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(120):
            self.stop()
            raise RuntimeError("the controller did not start:\n" + "".join(self.log))
        self.url = f"http://{self.addr}"

    def status(self) -> dict:
        with urllib.request.urlopen(self.url + "/status", timeout=10) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait_until(what: str, check, timeout: float = 90.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def browser(log_network: bool = True):
    """Headless Chromium from the distribution (chromium + chromium-driver)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("DRIFTLESS_CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(arg)
    if log_network:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = Service(executable_path=os.environ.get("DRIFTLESS_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def sign_in(driver, url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url + "/")
    driver.find_element(By.ID, "token").send_keys(UI_TOKEN)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait_until("the targets page", lambda: driver.find_elements(By.ID, "targets"), 30)


class Estate:
    """Everything above, set up: the controller has reconciled both targets once."""

    def __init__(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="driftless-browser-")
        root = Path(self.tmp.name)
        self.emulator, self.endpoint = start_emulator()
        self.origin = Origin(root)
        break_cloudwatch(self.endpoint)
        self.controller = Controller(root, self.origin, self.endpoint)
        wait_until("both targets reconciled", lambda: all(
            self.controller.status().get("targets", {}).get(t, {}).get("lastResult") for t in ("web", "broken")))

    def close(self) -> None:
        self.controller.stop()
        if self.emulator is not None:
            self.emulator.stdin.close()
            try:
                self.emulator.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.emulator.kill()
        self.tmp.cleanup()
