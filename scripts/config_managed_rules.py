#!/usr/bin/env python3
"""Writes controller/core/src/spec/config_rule/managed_rules.json, the catalogue of AWS
Config managed rules that ConfigRule documents are checked against, from the one moto
bundles (moto/config/resources/aws_managed_rules.json.gz, itself generated from AWS's
rule list by moto's scripts/pull_down_aws_managed_rules.py).

One line per rule, sorted: identifier -> {"p": [[name, type, required, default]], "t": trigger}
with the trigger as "change", "periodic" or "both". Run with the emulator's venv:
    .venv/bin/python scripts/config_managed_rules.py
"""
import gzip
import json
import os
import sys

import moto

SOURCE = os.path.join(os.path.dirname(moto.__file__), "config", "resources", "aws_managed_rules.json.gz")
OUT = os.path.join(os.path.dirname(__file__), "..", "controller", "core", "src", "spec", "config_rule", "managed_rules.json")


def trigger(text: str) -> str:
    text = text.lower()
    if "periodic" in text and "change" in text:
        return "both"
    return "periodic" if "periodic" in text else "change"


def main() -> int:
    with gzip.open(SOURCE, "rt") as f:
        rules = json.load(f)["ManagedRules"]
    lines = []
    for ident in sorted(rules):
        rule = rules[ident]
        params = [[p["Name"], p["Type"], not p["Optional"], p.get("Default")] for p in rule["Parameters"]]
        entry = {"p": params, "t": trigger(rule["Trigger type"])}
        lines.append(f"{json.dumps(ident)}: {json.dumps(entry, separators=(',', ':'))}")
    with open(OUT, "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")
    print(f"{len(lines)} rules -> {os.path.normpath(OUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
