"""GIVEN a login secret for the browser canary, THEN each state gets a second canary on the
Node.js Playwright runtime, run from the browser check's interval and timeout in the YAML,
with step screenshots kept in the artifacts bucket and an alarm of its own."""

from __future__ import annotations

import pytest

from tests.infra.conftest import CONTEXT, REGISTERED_AT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("infra")]


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    pytest.importorskip("aws_cdk")
    from aws_cdk.assertions import Template
    from humangov_infra.app import build

    outdir = tmp_path_factory.mktemp("cdk.out")
    context = dict(CONTEXT, states="CA", canary_login_secret="humangov/canary-login/{state}")
    app, _ = build(context, outdir=str(outdir), now=REGISTERED_AT)
    assembly = app.synth()  # raises if cdk-nag reports any unacknowledged finding
    return Template.from_json(assembly.get_stack_by_name("HumanGov-CA").template)


def test_the_browser_canary_runs_the_rendered_playwright_script_every_five_minutes(ca):
    from aws_cdk.assertions import Match

    ca.resource_count_is("AWS::Synthetics::Canary", 2)
    ca.has_resource_properties("AWS::Synthetics::Canary", {
        "Name": "humangov-ca-web",
        "RuntimeVersion": "syn-nodejs-playwright-6.0",
        "Code": Match.object_like({"Handler": "humangov_browser_canary.handler"}),
        "Schedule": {"Expression": "rate(5 minutes)"},
        "RunConfig": {"TimeoutInSeconds": 90, "EnvironmentVariables": {
            "HUMANGOV_BASE_URL": "https://ca.humangov.example.gov",
            "HUMANGOV_STATE": "CA",
            "HUMANGOV_CANARY_LOGIN_SECRET": Match.any_value(),
        }},
        "ArtifactS3Location": Match.object_like({}),
        "SuccessRetentionPeriod": 7,
        "FailureRetentionPeriod": 31,
        "StartCanaryAfterCreation": True,
    })


def test_its_screenshots_go_to_its_own_prefix_and_it_reads_only_its_states_login(ca):
    from aws_cdk.assertions import Match

    template = ca.to_json()
    web = next(r["Properties"] for r in template["Resources"].values()
               if r.get("Properties", {}).get("Name") == "humangov-ca-web")
    assert web["ArtifactS3Location"]["Fn::Join"][1][-1].endswith("/ca-web")
    # Synthetics' executeStep screenshots every step; nothing in the canary turns them off.
    assert "VisualReference" not in web and "ArtifactConfig" not in web
    login = Match.string_like_regexp(":secret:humangov/canary-login/ca-")
    ca.has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {
        "Statement": Match.array_with([Match.object_like({
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": {"Fn::Join": ["", Match.array_with([login])]},
        })])}})


def test_it_has_its_own_alarm_over_five_minute_runs(ca):
    from aws_cdk.assertions import Match

    ca.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "SuccessPercent",
        "Period": 300,
        "AlarmDescription": Match.string_like_regexp("humangov-ca-web fails"),
        "TreatMissingData": "breaching",
    })
