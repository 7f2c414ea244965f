"""GIVEN the synthesised templates, THEN cfn-lint finds nothing and cdk-nag's AwsSolutions
pack reports nothing unacknowledged."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.xdist_group("infra")

# W3005: CDK makes each Lambda function DependsOn its role as well as GetAtt-ing it (so the
# role's policy exists before the function is invoked); redundant to cfn-lint, harmless.
IGNORED = {"W3005"}


def test_cfn_lint_finds_no_problem_in_any_synthesised_template(synthesised):
    from cfnlint.api import lint

    problems = []
    for path in sorted(synthesised.outdir.glob("*.template.json")):
        # The stacks are pinned to the configured region (us-east-1 by default).
        for match in lint(path.read_text(), regions=[synthesised.config.region]):
            # Errors and warnings; informational (I...) rules are advice, not problems.
            if match.rule.id[0] in "EW" and match.rule.id not in IGNORED:
                problems.append(f"{path.name}: {match}")
    assert len(list(synthesised.outdir.glob("*.template.json"))) == 3
    assert problems == []


def test_cdk_nag_reports_no_unacknowledged_finding(synthesised):
    report = json.loads((synthesised.outdir / "validation-report.json").read_text())
    failures = [
        violation
        for plugin in report["pluginReports"]
        for violation in plugin.get("violations", [])
    ]
    assert failures == []


def test_every_acknowledged_finding_names_its_rule_and_a_reason(synthesised):
    acknowledged = {}
    for path in synthesised.outdir.glob("*.metadata.json"):
        for construct, entries in json.loads(path.read_text()).items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    acknowledged.update({f"{construct} {k}": v for k, v in entry["data"].items()
                                         if "AwsSolutions" in k})  # not CDK's own
    assert any("AwsSolutions-IAM5[Resource::" in key for key in acknowledged)
    for key, reason in acknowledged.items():
        assert len(reason) >= 40, f"{key}: the reason is too thin: {reason!r}"
