"""The published-examples estate (tests/fixtures/published/estate.yaml): seed it call by
call, read the whole account, make the fixture's unrelated edits to the imported
documents, and check that nothing else moved. Driven by tests/it/published_estate.rs.

    estate.py seed FIXTURE WORK --endpoint E --account A --region R
    estate.py edit FIXTURE DIR
    estate.py check FIXTURE WORK --endpoint E --account A --region R
"""

import argparse
import json
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import aws  # noqa: E402
from cases import _snake  # noqa: E402
from preserve import flatten  # noqa: E402


def fill(value, acct, ids):
    """`{account}`, `{region}` and `{id:NAME}` filled in, recursively."""
    if isinstance(value, dict):
        return {k: fill(v, acct, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, acct, ids) for v in value]
    if isinstance(value, str):
        value = value.replace("{account}", acct.account).replace("{region}", acct.region)
        return re.sub(r"\{id:([^}]+)\}", lambda m: ids[m.group(1)], value)
    return value


RETURNED_ID = ("BaselineId", "WindowId", "WindowTargetId", "WindowTaskId", "BackupPlanId")


def seed(fixture, acct):
    ids = {}
    for call in fixture["calls"]:
        params = fill(call["params"], acct, ids)
        out = getattr(acct.client(call["service"]), _snake(call["operation"]))(**params)
        if "id" in call:
            ids[call["id"]] = next(out[k] for k in RETURNED_ID if k in out)
    return ids


def read_all(acct):
    """Every resource of the account, by kind and name (unnamed sub-resources by id)."""
    cw, logs, ssm, backup = (acct.client(s) for s in ("cloudwatch", "logs", "ssm", "backup"))
    out = {"alarms": {}, "logGroups": {}, "baselines": {}, "windows": {}, "vaults": {}, "plans": {}}
    alarms = cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    for a in alarms["MetricAlarms"] + alarms["CompositeAlarms"]:
        out["alarms"][a["AlarmName"]] = aws.read_alarm(acct, a["AlarmName"])
    for g in logs.describe_log_groups()["logGroups"]:
        out["logGroups"][g["logGroupName"]] = aws.read_log_group(acct, g["logGroupName"])
    baselines = ssm.describe_patch_baselines(Filters=[{"Key": "OWNER", "Values": ["Self"]}])
    for b in baselines["BaselineIdentities"]:
        out["baselines"][b["BaselineName"]] = aws.read_baseline(acct, b["BaselineId"])
    for w in ssm.describe_maintenance_windows()["WindowIdentities"]:
        out["windows"][w["Name"]] = aws.read_window(acct, w["WindowId"])
    for v in backup.list_backup_vaults()["BackupVaultList"]:
        out["vaults"][v["BackupVaultName"]] = aws.read_vault(acct, v["BackupVaultName"])
    for p in backup.list_backup_plans()["BackupPlansList"]:
        out["plans"][p["BackupPlanName"]] = aws.read_plan(acct, p["BackupPlanId"])
    return out


def set_path(spec, path, value):
    """`a.0.b`, `tasks[name=X].priority`: set a value in a document's spec."""
    node = spec
    parts = re.findall(r"[^.\[\]]+(?:\[[^\]]+\])?", path)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        m = re.fullmatch(r"([^\[]+)\[(\w+)=([^\]]+)\]", part)
        if m:
            items = [x for x in node[m.group(1)] if str(x.get(m.group(2))) == m.group(3)]
            assert len(items) == 1, f"{path}: {len(items)} items match {part}"
            node = items[0]
            continue
        key = int(part) if isinstance(node, list) else part
        if last:
            node[key] = value
        else:
            node = node[key]


def edit(fixture, folder):
    wanted = {(e["kind"], e["name"]): e for e in fixture["edits"]}
    done = set()
    for root, _dirs, files in os.walk(folder):
        if "/.git" in root:
            continue
        for file in (f for f in files if f.endswith((".yaml", ".yml"))):
            path = os.path.join(root, file)
            with open(path) as f:
                docs = list(yaml.safe_load_all(f))
            hit = False
            for d in docs:
                key = (d.get("kind"), d.get("metadata", {}).get("name")) if d else None
                if key in wanted:
                    for p, v in wanted[key]["set"].items():
                        set_path(d["spec"], p, v)
                    done.add(key)
                    hit = True
            if hit:
                with open(path, "w") as f:
                    yaml.safe_dump_all(docs, f, sort_keys=False, allow_unicode=True)
    missing = sorted(set(wanted) - done)
    if missing:
        print(f"the import wrote no document for: {missing}", file=sys.stderr)
        return 1
    return 0


def check(fixture, before, after):
    """(losses, known): settings that moved outside the edits (and edits that did not
    land), and those a `known_defects` entry of the fixture names. A known defect that
    no longer happens is a loss too: its entry must go."""
    allowed = [re.compile(p) for e in fixture["edits"] for p in e["changes"]]
    known = [(re.compile(d["paths"]), d["defect"]) for d in fixture.get("known_defects") or []]
    b, a = flatten(before), flatten(after)
    lost, seen, landed = [], [], set()
    for path in sorted(set(b) | set(a)):
        same = b.get(path, "<absent>") == a.get(path, "<absent>")
        hit = [r.pattern for r in allowed if r.search(path)]
        line = (f"  {path}: before {json.dumps(b.get(path, '<absent>'))}, "
                f"after {json.dumps(a.get(path, '<absent>'))}")
        if hit and not same:
            landed.update(hit)
        elif not same:
            defect = next((d for r, d in known if r.search(path)), None)
            (seen if defect else lost).append(f"{line} (known defect: {defect})" if defect else line)
    for r in allowed:
        if r.pattern not in landed:
            lost.append(f"  the edit did not land: nothing matching {r.pattern} changed")
    for r, d in known:
        if not any(r.search(p) and b.get(p, "<absent>") != a.get(p, "<absent>") for p in set(b) | set(a)):
            lost.append(f"  fixed, remove it from known_defects: {d}")
    return lost, seen


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["seed", "edit", "check"])
    p.add_argument("fixture")
    p.add_argument("work")
    p.add_argument("--endpoint")
    p.add_argument("--account")
    p.add_argument("--region")
    args = p.parse_args()
    with open(args.fixture) as f:
        fixture = yaml.safe_load(f)
    if args.cmd == "edit":
        return edit(fixture, args.work)
    acct = aws.Account(args.endpoint, args.account, args.region)
    state = os.path.join(args.work, "estate.json")
    if args.cmd == "seed":
        ids = seed(fixture, acct)
        with open(state, "w") as f:
            json.dump({"ids": ids, "before": read_all(acct)}, f, indent=1, sort_keys=True)
        return 0
    with open(state) as f:
        before = json.load(f)["before"]
    lost, known = check(fixture, before, read_all(acct))
    if known:
        print("known defects (fixture known_defects):\n" + "\n".join(known), file=sys.stderr)
    if lost:
        print("settings changed outside the edits:\n" + "\n".join(lost), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
