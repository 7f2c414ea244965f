"""The DynamoDB layouts the runtime reads and writes, as CDK needs them.

They mirror `humangov.adapters.aws.provision` (records_table_spec, shared_table_specs), which
`humangov states add` and the local moto mode create tables from. They are restated here rather than
imported, so the CDK app loads none of the AWS runtime (only the pure `humangov.domain`);
tests/infra/test_runtime_agreement.py synthesises the app and compares each table with the
runtime's spec.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb

STRING = dynamodb.AttributeType.STRING
PK = dynamodb.Attribute(name="pk", type=STRING)
SK = dynamodb.Attribute(name="sk", type=STRING)
# Expired items leave through the stream as REMOVEs, so their documents are erased too.
TTL_ATTRIBUTE = "expires_at"

# Records: sparse GSIs over employee items (history items have no `kind`).
BY_NAME = "by_name"  # listings in (last, first, id) order: every attribute
BY_DOC = "by_doc"  # document keys in key order, for the sweep and the erasure's reference check
RECORDS_INDEXES = [
    (BY_NAME, "kind", "lk", dynamodb.ProjectionType.ALL),
    (BY_DOC, "kind", "doc_key", dynamodb.ProjectionType.KEYS_ONLY),
]

# Ledger: receipts keyed by (change, key); a state's receipts in erasure order by index.
LEDGER_BY_STATE = "by_state"
LEDGER_INDEXES = [(LEDGER_BY_STATE, "state", "seq", dynamodb.ProjectionType.ALL)]


def add_records_indexes(table: dynamodb.Table) -> None:
    for name, hash_key, range_key, projection in RECORDS_INDEXES:
        table.add_global_secondary_index(
            index_name=name, projection_type=projection,
            partition_key=dynamodb.Attribute(name=hash_key, type=STRING),
            sort_key=dynamodb.Attribute(name=range_key, type=STRING))


def indexes_v2(indexes) -> list[dynamodb.GlobalSecondaryIndexPropsV2]:
    return [dynamodb.GlobalSecondaryIndexPropsV2(
        index_name=name, projection_type=projection,
        partition_key=dynamodb.Attribute(name=hash_key, type=STRING),
        sort_key=dynamodb.Attribute(name=range_key, type=STRING))
        for name, hash_key, range_key, projection in indexes]
