"""GIVEN a dependency added to infra/lambda/requirements.txt, THEN no value another stack
imports changes: CloudFormation refuses to change an export in use, which would stop every
deploy after the first dependency change."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest

from tests.infra.conftest import CHATBOT, CONTEXT

pytestmark = pytest.mark.xdist_group("infra")


def _synth(outdir, *, nag: bool) -> dict[str, dict]:
    """CA alone, alarms to Slack through Chatbot (the main synthesis has the Lambda)."""
    from humangov_infra.app import build

    app, _ = build({**CONTEXT, **CHATBOT, "states": "CA"}, outdir=str(outdir), nag=nag,
                   now=datetime(2025, 1, 1, tzinfo=UTC))
    app.synth()
    return {p.name.removesuffix(".template.json"): json.loads(p.read_text())
            for p in outdir.glob("*.template.json")}


def _exports(templates: dict[str, dict]) -> dict[str, object]:
    return {json.dumps(output["Export"]["Name"], sort_keys=True): output["Value"]
            for template in templates.values()
            for output in template.get("Outputs", {}).values() if "Export" in output}


def _imports(node) -> list:
    if isinstance(node, dict):
        if "Fn::ImportValue" in node:
            return [json.dumps(node["Fn::ImportValue"], sort_keys=True)]
        return [i for value in node.values() for i in _imports(value)]
    if isinstance(node, list):
        return [i for value in node for i in _imports(value)]
    return []


def _layer_keys(templates: dict[str, dict]) -> dict[str, str]:
    return {f"{stack}/{logical_id}": resource["Properties"]["Content"]["S3Key"]
            for stack, template in templates.items()
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] == "AWS::Lambda::LayerVersion"}


@pytest.fixture(scope="module")
def before(tmp_path_factory) -> dict[str, dict]:
    pytest.importorskip("aws_cdk")
    return _synth(tmp_path_factory.mktemp("before"), nag=True)


def test_a_new_dependency_changes_the_layers_but_no_exported_or_imported_value(
    before, tmp_path, monkeypatch
):
    from humangov_infra import packaging

    changed = tmp_path / "lambda"
    shutil.copytree(packaging.LAYER_DIR, changed)
    with (changed / "requirements.txt").open("a") as requirements:
        requirements.write("\nidna==3.10\n")
    monkeypatch.setattr(packaging, "LAYER_DIR", changed)
    after = _synth(tmp_path / "after", nag=False)

    layers_before, layers_after = _layer_keys(before), _layer_keys(after)
    assert layers_before and set(layers_before) == set(layers_after)
    assert all(layers_before[k] != layers_after[k] for k in layers_before), \
        "the changed requirements must reach the layers, or this test proves nothing"
    assert _exports(before) == _exports(after)
    assert _exports(before), "the state stacks still import the alarm topic from the shared one"
    for stack in before:
        assert sorted(_imports(before[stack])) == sorted(_imports(after[stack])), stack
    # Every import names an export the shared stack makes.
    exported = set(_exports(before))
    assert {i for t in before.values() for i in _imports(t)} <= exported


def test_with_chatbot_alarms_reach_slack_through_chatbot_alone(before):
    shared = before["HumanGov-Shared"]
    kinds = [r["Type"] for r in shared["Resources"].values()]
    assert kinds.count("AWS::Chatbot::SlackChannelConfiguration") == 1
    assert "AWS::SNS::Subscription" not in kinds and "AWS::Lambda::LayerVersion" not in kinds
    channel = next(r for r in shared["Resources"].values()
                   if r["Type"] == "AWS::Chatbot::SlackChannelConfiguration")
    assert (channel["Properties"]["SlackWorkspaceId"],
            channel["Properties"]["SlackChannelId"]) == ("T0123ABCD", "C0123ABCD")
