"""One synthesis per test session: jsii starts a Node process and loads aws-cdk-lib, which
costs seconds, so the two-state app is built once and every test reads its templates."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parents[2] / "infra"
sys.path.insert(0, str(INFRA))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# The Slack Lambda, a hosted zone and a canary token, so every switch is exercised (Chatbot,
# the other path to Slack, in test_deploys_keep_deploying, which synthesises its own apps).
CONTEXT = {
    "states": "CA,TX",
    "domain": "humangov.example.gov",
    "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
    "canary_token_secret": "humangov/canary-token",
    "aws:cdk:bundling-stacks": [],  # no pip at synth time in tests
}
CHATBOT = {"chatbot": "true", "slack_lambda": "false",
           "chatbot_workspace_id": "T0123ABCD", "chatbot_channel_id": "C0123ABCD"}
# The states registry entries are stamped with the synthesis time; fixed, so tests can
# build the same item with the runtime's code.
REGISTERED_AT = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


@dataclass
class Synthesised:
    app: object
    config: object
    outdir: Path

    def template(self, stack_name: str):
        from aws_cdk.assertions import Template

        return Template.from_json(self.template_json(stack_name))

    def template_json(self, stack_name: str) -> dict:
        return json.loads((self.outdir / f"{stack_name}.template.json").read_text())


@pytest.fixture(scope="session")
def synthesised(tmp_path_factory) -> Synthesised:
    pytest.importorskip("aws_cdk")
    from humangov_infra.app import build

    outdir = tmp_path_factory.mktemp("cdk.out")
    app, config = build(dict(CONTEXT), outdir=str(outdir), now=REGISTERED_AT)
    app.synth()  # raises if cdk-nag reports any unacknowledged finding
    return Synthesised(app, config, outdir)


@pytest.fixture(scope="session")
def shared(synthesised):
    return synthesised.template("HumanGov-Shared")


@pytest.fixture(scope="session")
def ca(synthesised):
    return synthesised.template("HumanGov-CA")


def pytest_configure(config):
    # Registered here so `-p no:xdist` runs accept the marker too. Under `make test` the
    # group keeps every infra test on one worker, so the app is synthesised once.
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one worker")
