"""The preservation test's AWS side (driven by tests/it/preservation.rs).

    preserve.py list
        every case and the calls it covers, as JSON; exit 1 (with the reasons) when a
        call's cases together leave a member of its input shape unset.
    preserve.py seed CASE WORK  --endpoint E --account A --region R
        makes the case's live resource (every member set, from the botocore model) and
        writes WORK/state.json: its ids and its live state before driftless.
    preserve.py edit CASE DIR
        the case's unrelated change to the imported documents under DIR.
    preserve.py check CASE WORK --endpoint E --account A --region R
        reads the resource again; exit 1 naming every setting that was lost or changed
        outside the case's change (and every seeded member the emulator did not keep).
"""

import argparse
import json
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import aws  # noqa: E402
from model import members  # noqa: E402
from cases import Ctx  # noqa: E402
import cases as _cases  # noqa: E402


def all_cases():
    out = []
    for name in dir(_cases):
        if name.endswith("_CASES"):
            out.extend(getattr(_cases, name))
    return {c.name: c for c in out}


def known_gaps():
    """Members no case sets, each with its reason (cases.NOT_COVERED): reported by
    `list`, not failed on."""
    return {f"{call}.{m}": r for call, ms in _cases.NOT_COVERED.items() for m, r in ms.items()}


def coverage_errors(cases):
    """Members of a covered call no case sets (each case's `unset` must be set by another),
    the listed gaps aside."""
    gaps = known_gaps()
    by_shape = {}
    for c in (c for c in cases.values() if not c.minimal):
        by_shape.setdefault(c.shape, []).append(c)
    errors = []
    for (service, op), group in sorted(by_shape.items()):
        for member in members(service, op):
            if f"{service}:{op}.{member}" in gaps:
                continue
            if all(member in c.unset for c in group):
                reasons = "; ".join(c.unset[member] for c in group)
                errors.append(f"{service}:{op}: no case sets {member} ({reasons})")
    return errors


def cmd_list(_args):
    cases = all_cases()
    listing = {n: {"covers": c.covers, "shape": f"{c.shape[0]}:{c.shape[1]}"} for n, c in cases.items()}
    print(json.dumps({"cases": listing, "gaps": known_gaps()}, indent=1, sort_keys=True))
    errors = coverage_errors(cases)
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


def flatten(value, path="", out=None):
    """Leaf values by dotted path (list items by index, map entries by key)."""
    out = {} if out is None else out
    if isinstance(value, dict):
        if not value:
            out[path] = {}
        for k, v in value.items():
            flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        if not value:
            out[path] = []
        for i, v in enumerate(value):
            flatten(v, f"{path}.{i}" if path else str(i), out)
    else:
        out[path] = value
    return out


# Members AWS returns under another name.
READ_AS = {"ChangeableForDays": "LockDate", "BackupVaultTags": "Tags", "BackupPlanTags": "Tags"}


def seeded_members_missing(case, ctx, before):
    """Members of the covered call the seed set that the live state does not show."""
    set_top = set()
    for inputs in ctx.generated.values():
        for params in inputs:
            set_top |= set(params)
    wanted = set(members(*case.shape)) - case.not_settings - set(case.unset)
    missing_from_seed = sorted(wanted - set_top)
    live = flatten(before)
    not_kept = []
    for m in sorted(wanted & set_top):
        m = READ_AS.get(m, m)
        if not any(p == m or p.startswith(m + ".") or (".%s" % m) in p for p in live):
            not_kept.append(m)
    return missing_from_seed, not_kept + nested_not_kept(case, ctx, live)


def _names(path):
    """A flattened path's member names (list indexes dropped)."""
    return tuple(p for p in path.split(".") if not p.isdigit())


def nested_not_kept(case, ctx, live):
    """Nested members the seed set that the live state shows nowhere: the last two
    member names of each generated leaf must appear, in order, in some live path.
    Tags are read as maps and identifiers are not returned, so those are skipped."""
    live_names = {_names(p) for p in live}
    skip = {"Tags", "tags", "BackupVaultTags", "BackupPlanTags", "ClientToken", "CreatorRequestId"}
    out = set()
    for inputs in ctx.generated.values():
        for params in inputs:
            for path in flatten(params):
                names = _names(path)
                if len(names) < 2 or names[0] in skip or names[0] in case.not_settings:
                    continue
                tail = names[-2:]
                if not any(tail == n[i:i + 2] for n in live_names for i in range(len(n) - 1)):
                    out.add(".".join(names))
    return sorted(out)


def account(args):
    return aws.Account(args.endpoint, args.account, args.region)


def cmd_seed(args):
    case = all_cases()[args.case]
    ctx = Ctx(account(args))
    case.seed(ctx)
    before = case.read(ctx)
    missing, not_kept = ([], []) if case.minimal else seeded_members_missing(case, ctx, before)
    problems = [f"the seed does not set {m} of {case.shape[1]}" for m in missing]
    problems += [f"the emulator did not keep {m} (AWS does): fix the emulator" for m in not_kept]
    os.makedirs(args.work, exist_ok=True)
    with open(os.path.join(args.work, "state.json"), "w") as f:
        json.dump({"ids": ctx.ids, "before": before, "generated": aws.plain(ctx.generated)}, f, indent=1, sort_keys=True)
    for p in problems:
        print(f"{case.name}: {p}", file=sys.stderr)
    return 1 if problems else 0


def cmd_edit(args):
    case = all_cases()[args.case]
    kind, name = case.doc
    found = 0
    for root, _dirs, files in os.walk(args.dir):
        if "/.git" in root:
            continue
        for file in files:
            if not file.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(root, file)
            with open(path) as f:
                docs = list(yaml.safe_load_all(f))
            hit = False
            for d in docs:
                if d and d.get("kind") == kind and d.get("metadata", {}).get("name") == name:
                    case.edit(d.setdefault("spec", {}))
                    hit = True
                    found += 1
            if hit:
                with open(path, "w") as f:
                    yaml.safe_dump_all(docs, f, sort_keys=False, allow_unicode=True)
    if found != 1:
        print(f"{case.name}: {found} documents {kind}/{name} under {args.dir}", file=sys.stderr)
        return 1
    return 0


def cmd_check(args):
    case = all_cases()[args.case]
    with open(os.path.join(args.work, "state.json")) as f:
        state = json.load(f)
    ctx = Ctx(account(args))
    ctx.ids = state["ids"]
    before, after = flatten(state["before"]), flatten(case.read(ctx))
    allowed = [re.compile(p) for p in case.changed]
    lost = []
    for path in sorted(set(before) | set(after)):
        if any(a.match(path) for a in allowed):
            continue
        if before.get(path, "<absent>") != after.get(path, "<absent>"):
            lost.append(f"  {path}: before {json.dumps(before.get(path, '<absent>'))}, "
                        f"after {json.dumps(after.get(path, '<absent>'))}")
    moved = [p for p in sorted(set(before) | set(after))
             if any(a.match(p) for a in allowed) and before.get(p, "<absent>") != after.get(p, "<absent>")]
    if not moved:
        lost.append(f"  the change itself did not land: nothing matching {case.changed} differs")
    if lost:
        print(f"{case.name}: live settings changed outside the edit:\n" + "\n".join(lost), file=sys.stderr)
        return 1
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    for name in ("seed", "check"):
        s = sub.add_parser(name)
        s.add_argument("case")
        s.add_argument("work")
        s.add_argument("--endpoint", required=True)
        s.add_argument("--account", required=True)
        s.add_argument("--region", required=True)
    e = sub.add_parser("edit")
    e.add_argument("case")
    e.add_argument("dir")
    args = p.parse_args()
    return {"list": cmd_list, "seed": cmd_seed, "edit": cmd_edit, "check": cmd_check}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
