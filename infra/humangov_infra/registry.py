"""The app's states registry, written by CDK: adding a state to infra/states.yaml is all it takes.

The runtime lists its states from the platform table (`DynamoDBRecordStore.list_states`: Query
`pk = STATE`), and `humangov states add CA` writes them (`DynamoDBRecordStore.add_state`). Each
state stack writes the very item `add_state` would, with the same condition, through an
AwsCustomResource (one PutItem, no code of ours to package). The item is restated here rather
than imported, so the CDK app loads none of the AWS runtime (boto3 and the adapters; only the
pure `humangov.domain`); tests/infra/test_registry.py builds it with the runtime's own code
and compares.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from humangov_infra.config import STATE_NAMES, InfraConfig

# humangov.adapters.records.dynamodb: the registry's partition and add_state's condition.
STATE_PK = "STATE"
NOT_REGISTERED = "attribute_not_exists(pk)"


def registered_at(moment: datetime) -> str:
    """humangov.adapters.dynamo_items.ts: fixed-width UTC, so string order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def registry_item(state: str, created_at: datetime) -> dict[str, dict[str, str]]:
    """The typed item `add_state(State(code, name))` puts into the platform table."""
    return {
        "pk": {"S": STATE_PK},
        "sk": {"S": state},
        "name": {"S": STATE_NAMES[state]},
        "created_at": {"S": registered_at(created_at)},
    }


def platform_arn(config: InfraConfig) -> str:
    # Built from the name, like ledger_arn: fifty stacks importing an export of the shared
    # stack would pin it (an export in use cannot change).
    return (f"arn:{Aws.PARTITION}:dynamodb:{config.region}:{Aws.ACCOUNT_ID}"
            f":table/{config.platform_table}")


def register_state(scope: Construct, construct_id: str, *, state: str, config: InfraConfig,
                   role: iam.IRole, log_group: logs.ILogGroup,
                   created_at: datetime) -> cr.AwsCustomResource:
    """Put the state's registry item on create and on every update, never delete it.

    Conditional, exactly as `add_state`: an item already there (a registration by `humangov
    states add`, or by an earlier deploy) keeps its own created_at, and the condition failing
    is success. `created_at` is the synthesis time, so the resource's properties change on each
    deploy and CloudFormation calls the update: a deploy re-registers a configured state that
    someone removed from the registry, i.e. states.yaml stays the source of truth.

    No DeleteItem when the stack (or this resource) goes away, on purpose:
    - the state's table and bucket are retained, and `humangov states remove CA`, the one path
      that erases a state's records *and* documents (through its erasure Lambda), refuses a
      state that is not registered; deleting the item would strand that data beyond the app's
      reach. Offboarding is: `humangov states remove CA`, then drop CA from states.yaml.
    - a replacement (e.g. a renamed construct) creates the new resource before deleting the
      old; both address the same key, so a delete would undo the put that just ran.
    """
    put = cr.AwsSdkCall(
        service="DynamoDB",
        action="PutItem",
        parameters={
            "TableName": config.platform_table,
            "Item": registry_item(state, created_at),
            "ConditionExpression": NOT_REGISTERED,
        },
        # One physical id for the resource's life: an update never turns into a replacement.
        physical_resource_id=cr.PhysicalResourceId.of(f"{config.platform_table}/{STATE_PK}/{state}"),
        # Already registered: the runtime's add_state returns False; here, nothing to do.
        ignore_error_codes_matching="ConditionalCheckFailedException",
    )
    return cr.AwsCustomResource(
        scope, construct_id,
        resource_type="Custom::HumanGovStateRegistration",
        on_create=put,
        on_update=put,
        policy=cr.AwsCustomResourcePolicy.from_statements([iam.PolicyStatement(
            sid="RegisterState", actions=["dynamodb:PutItem"],
            resources=[platform_arn(config)],
            # Only the registry's partition of the platform table (it also holds users and
            # API tokens): https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
            # specifying-conditions.html#FGAC_DDB.ConditionKeys
            conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [STATE_PK]}},
        )]),
        role=role,
        log_group=log_group,
        # The SDK bundled with the Lambda runtime has PutItem; no download at deploy time.
        install_latest_aws_sdk=False,
    )
