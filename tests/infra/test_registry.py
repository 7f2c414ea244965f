"""GIVEN the app synthesised for CA and TX, THEN each state stack registers its state in the
app's states registry with exactly the item `humangov states add` writes, and the runtime's
DynamoDB record store lists a state CDK registered.

The runtime's own store is run against moto and compared with the synthesised template."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from humangov.adapters.aws.naming import Naming
from humangov.adapters.aws.provision import shared_table_specs
from humangov.adapters.records.dynamodb import DynamoDBRecordStore
from humangov.domain.states import State, state_for
from tests.aws.conftest import inprocess
from tests.infra.conftest import REGISTERED_AT

pytestmark = pytest.mark.xdist_group("infra")

REGISTRATION = "Custom::HumanGovStateRegistration"


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def _registration(synthesised, state: str) -> dict:
    template = synthesised.template_json(f"HumanGov-{state}")
    found = [r for r in template["Resources"].values() if r["Type"] == REGISTRATION]
    assert len(found) == 1, f"HumanGov-{state} should register its state exactly once"
    return found[0]


def _call(synthesised, state: str, phase: str = "Create") -> dict:
    return json.loads(_registration(synthesised, state)["Properties"][phase])


@pytest.fixture
def platform(monkeypatch, tmp_path):
    """Moto with the platform table as the runtime provisions it; yields (aws, store)."""
    with inprocess(monkeypatch, tmp_path) as aws:
        spec = next(s for s in shared_table_specs(aws.settings)
                    if s["TableName"] == aws.settings.aws_platform_table)
        aws.clients.dynamodb.create_table(**spec)
        store = DynamoDBRecordStore(aws.clients, Naming.from_settings(aws.settings),
                                    aws.settings.aws_platform_table,
                                    clock=FixedClock(REGISTERED_AT))
        yield aws, store


def _put_as_cdk(aws, call: dict) -> None:
    """What the custom resource's Lambda sends: the call's parameters, verbatim."""
    assert (call["service"], call["action"]) == ("DynamoDB", "PutItem")
    aws.clients.dynamodb.put_item(**call["parameters"])


@pytest.mark.parametrize("state", ["CA", "TX"])
def test_each_state_stack_puts_the_registry_item_the_runtime_writes(synthesised, platform, state):
    # GIVEN the runtime registering the state at the moment the app was synthesised
    aws, store = platform
    assert store.add_state(state_for(state)) is True
    written = aws.clients.dynamodb.get_item(
        TableName=aws.settings.aws_platform_table, Key={"pk": {"S": "STATE"}, "sk": {"S": state}},
    )["Item"]
    # WHEN reading what the state's stack puts on create
    call = _call(synthesised, state)
    # THEN it is the same item, in the same table, under the same condition
    assert call["parameters"]["Item"] == written
    assert call["parameters"]["TableName"] == aws.settings.aws_platform_table
    assert call["parameters"]["ConditionExpression"] == "attribute_not_exists(pk)"


def test_the_runtime_lists_the_states_cdk_registered(synthesised, platform):
    # GIVEN the platform table as the CA and TX stacks leave it
    aws, store = platform
    for state in ("CA", "TX"):
        _put_as_cdk(aws, _call(synthesised, state))
    # WHEN the app lists its states THEN both are there, with their names
    assert sorted(store.list_states(), key=lambda s: s.code) == [
        State("CA", "California"), State("TX", "Texas")]


def test_a_deploy_keeps_an_earlier_registration_and_succeeds(synthesised, platform):
    # GIVEN CA registered earlier by `humangov states add CA`
    aws, store = platform
    store.clock = FixedClock(datetime(2024, 1, 1, tzinfo=UTC))
    store.add_state(state_for("CA"))
    call = _call(synthesised, "CA", "Update")
    # WHEN the stack's update puts the item THEN the condition refuses it...
    with pytest.raises(ClientError) as refused:
        _put_as_cdk(aws, call)
    # ...which the custom resource treats as success, and the first registration stays
    assert re.search(call["ignoreErrorCodesMatching"], refused.value.response["Error"]["Code"])
    item = aws.clients.dynamodb.get_item(
        TableName=aws.settings.aws_platform_table, Key={"pk": {"S": "STATE"}, "sk": {"S": "CA"}},
    )["Item"]
    assert item["created_at"]["S"].startswith("2024-01-01")


def test_the_registration_is_put_on_update_too_and_never_deleted(synthesised):
    registration = _registration(synthesised, "CA")["Properties"]
    # An update re-registers a configured state; the item outlives the stack like the table.
    assert json.loads(registration["Update"]) == json.loads(registration["Create"])
    assert "Delete" not in registration
    assert registration["InstallLatestAwsSdk"] is False


def test_the_registration_may_only_put_registry_items_into_the_platform_table(synthesised):
    template = synthesised.template_json("HumanGov-CA")
    policies = [r["Properties"]["PolicyDocument"]["Statement"]
                for logical_id, r in template["Resources"].items()
                if r["Type"] == "AWS::IAM::Policy" and logical_id.startswith("Registration")]
    statements = [s for doc in policies for s in doc]
    # Besides writing its own log group (log_writer_role), one grant:
    grants = [s for s in statements if s["Action"] != ["logs:CreateLogStream", "logs:PutLogEvents"]]
    assert len(grants) == 1
    grant = grants[0]
    assert grant["Action"] == "dynamodb:PutItem"
    assert grant["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["STATE"]}}
    arn = "".join(p if isinstance(p, str) else "<" + next(iter(p.values())) + ">"
                  for p in grant["Resource"]["Fn::Join"][1])
    assert arn == "arn:<AWS::Partition>:dynamodb:us-east-1:<AWS::AccountId>:table/humangov-platform"


def test_the_registration_waits_for_the_state_table_and_bucket(synthesised):
    template = synthesised.template_json("HumanGov-CA")
    depends = set(_registration(synthesised, "CA")["DependsOn"])
    table = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table")
    bucket = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket")
    assert {table, bucket} <= depends
