#!/usr/bin/env python3
"""CDK entry point: `python infra/app.py` (or `cdk synth` with infra/cdk.json) writes the cloud
assembly for the states in infra/states.yaml, or for `-c states=CA,TX`."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from humangov_infra.app import SKIP_BUNDLING, build
from humangov_infra.config import InfraConfigError


def main() -> int:
    started = time.monotonic()
    # The CDK CLI passes context and the output dir through the environment; running this
    # file directly, CDK_OUTDIR and HUMANGOV_CDK_CONTEXT (`states=CA,TX;chatbot=true`) do.
    context = {}
    for pair in filter(None, os.environ.get("HUMANGOV_CDK_CONTEXT", "").split(";")):
        key, _, value = pair.partition("=")
        context[key.strip()] = value.strip()
    if os.environ.get("HUMANGOV_SKIP_BUNDLING") == "1":
        context.update(SKIP_BUNDLING)
    try:
        outdir = os.environ.get("CDK_OUTDIR") or str(Path(__file__).resolve().parent / "cdk.out")
        app, config = build(context, outdir=outdir)
        assembly = app.synth()
    except InfraConfigError as exc:
        print(f"infra: {exc}", file=sys.stderr)
        return 2
    print(f"synthesised {len(assembly.stacks)} stacks ({len(config.states)} states) into "
          f"{assembly.directory} in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
