#!/usr/bin/env python3
"""Writes controller/core/src/spec/config_recorder/resource_types.txt, the AWS Config
resource types a ConfigurationRecorder's recording group may name, from the `ResourceType`
enum of the AWS Config API model botocore bundles: the very list the emulator (moto's
`_validate_resource_types`) refuses unknown types with, so a document validate accepts is
one the emulator accepts. One type a line, sorted. Run with the emulator's venv:
    .venv/bin/python scripts/config_resource_types.py
"""
import os
import sys

import botocore.session

OUT = os.path.join(os.path.dirname(__file__), "..", "controller", "core", "src", "spec",
                   "config_recorder", "resource_types.txt")


def main() -> int:
    model = botocore.session.get_session().get_service_model("config")
    types = sorted(set(model.shape_for("ResourceType").enum))
    with open(OUT, "w") as f:
        f.write("\n".join(types) + "\n")
    print(f"{len(types)} resource types -> {os.path.relpath(OUT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
