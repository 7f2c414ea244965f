"""Create what a state (and the platform) needs on AWS, if it is not there yet.

The CDK app in infra/ is the production path; this is what `humangov states add CA` does with
HUMANGOV_BACKEND=aws, and what local development mode on moto_server relies on. Every step
is idempotent: a table or bucket that exists is left as it is, except that a state's bucket
without the state's identity tag gets it (the S3 store refuses a bucket without it).

It never takes over what HumanGov did not create (issue 12): an existing table must have
HumanGov's key schema, an existing bucket HumanGov's `humangov:state` tag. The one exception
is a deployment from before the tag: an untagged bucket is adopted only when the state's
table already exists and is HumanGov's. An earlier application's table and bucket are
attached (`humangov legacy attach`) or adopted (`humangov adopt`, docs/adopt.md) instead.
"""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from humangov.adapters.aws.clients import AwsClients
from humangov.adapters.aws.naming import IDENTITY_TAG, LEGACY_TAG, Naming
from humangov.config import Settings
from humangov.domain.errors import Conflict

log = logging.getLogger(__name__)

TTL_ATTRIBUTE = "expires_at"
S = "S"
# The ledger's index for the compliance report: a state's receipts in erasure order.
LEDGER_INDEX = ("by_state", "state", "seq")


def _key_schema(*names: str) -> list[dict]:
    return [
        {"AttributeName": n, "KeyType": t} for n, t in zip(names, ("HASH", "RANGE"), strict=False)
    ]


def records_table_spec(name: str) -> dict:
    """One table per state. Employee items `EMP#<id>`/`A`, history items `EMP#<id>`/`H#<n>`.

    Two GSIs over the employee items only (history items lack `kind`, so the indexes are
    sparse): `by_name` orders listings by the folded (last, first, id) key, `by_doc` yields
    document keys in key order for the orphan sweep. See adapters/records/dynamodb.py.
    """
    attrs = [("pk", S), ("sk", S), ("kind", S), ("lk", S), ("doc_key", S)]
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": t} for a, t in attrs],
        "KeySchema": _key_schema("pk", "sk"),
        "GlobalSecondaryIndexes": [
            {"IndexName": "by_name", "KeySchema": _key_schema("kind", "lk"),
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "by_doc", "KeySchema": _key_schema("kind", "doc_key"),
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ],
        # The change feed of the erasure pipeline: REMOVE and MODIFY with both images.
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "SSESpecification": {"Enabled": True},
    }


def simple_table_spec(name: str, *, gsi: tuple[str, str, str] | None = None) -> dict:
    attrs = [("pk", S), ("sk", S)]
    spec: dict = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                  "KeySchema": _key_schema("pk", "sk")}
    if gsi is not None:
        index, hash_key, range_key = gsi
        attrs += [(hash_key, S), (range_key, S)]
        spec["GlobalSecondaryIndexes"] = [{"IndexName": index,
                                           "KeySchema": _key_schema(hash_key, range_key),
                                           "Projection": {"ProjectionType": "ALL"}}]
    spec["AttributeDefinitions"] = [{"AttributeName": a, "AttributeType": t} for a, t in attrs]
    return spec


def ensure_table(clients: AwsClients, spec: dict, *, ttl: bool = False) -> bool:
    """Create the table if absent and wait until it is active. True if created."""
    ddb = clients.dynamodb
    name = spec["TableName"]
    try:
        ddb.describe_table(TableName=name)
        return False
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    try:
        ddb.create_table(**spec)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":  # created meanwhile
            raise
        return False
    ddb.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    if ttl:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": TTL_ATTRIBUTE})
    log.info("created DynamoDB table %s", name)
    return True


def ensure_bucket(clients: AwsClients, name: str, *, state: str) -> bool:
    """Create a private, versioned, encrypted bucket if absent, and tag it as `state`'s.
    True if created."""
    s3 = clients.s3
    if bucket_exists(clients, name):
        tag_bucket(clients, name, state)
        return False
    kwargs: dict = {"Bucket": name}
    if clients.region != "us-east-1":  # us-east-1 refuses an explicit LocationConstraint
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": clients.region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    # Versioning keeps every overwrite; erasure must then remove every version and delete
    # marker (adapters/blobs/s3.py).
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
         "BucketKeyEnabled": True}]})
    tag_bucket(clients, name, state)
    log.info("created S3 bucket %s", name)
    return True


def bucket_exists(clients: AwsClients, name: str) -> bool:
    try:
        clients.s3.head_bucket(Bucket=name)
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
        return False


def bucket_tags(clients: AwsClients, name: str) -> dict[str, str]:
    try:
        tag_set = clients.s3.get_bucket_tagging(Bucket=name)["TagSet"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchTagSet":
            raise
        return {}
    return {t["Key"]: t["Value"] for t in tag_set}


def _not_ours(what: str, why: str, state: str) -> Conflict:
    return Conflict(
        f"{what} exists and HumanGov did not create it ({why}); `states add {state}` does not "
        f"take it over. If it is the earlier application's, attach it (`humangov legacy attach "
        f"--state {state} --legacy-table NAME --legacy-bucket NAME`) and adopt it (`humangov "
        f"adopt`, see docs/adopt.md); otherwise point {state} at other names "
        "(HUMANGOV_AWS_TABLE_PATTERN, HUMANGOV_AWS_BUCKET_PATTERN).")


def check_not_foreign(clients: AwsClients, table: str, bucket: str, state: str) -> None:
    """Refuse, before creating anything, a state's existing table or bucket that is not
    HumanGov's. Checked first so that a refused bucket leaves no new table behind, which a
    rerun would take as a HumanGov deployment from before the identity tag."""
    try:
        found = clients.dynamodb.describe_table(TableName=table)["Table"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        found = None
    if found is not None:
        keys = [(k["AttributeName"], k["KeyType"]) for k in found["KeySchema"]]
        if keys != [(k["AttributeName"], k["KeyType"]) for k in _key_schema("pk", "sk")]:
            raise _not_ours(f"The table {table}", "its key is "
                            + ", ".join(name for name, _ in keys) + ", not pk, sk", state)
    if not bucket_exists(clients, bucket):
        return
    tags = bucket_tags(clients, bucket)
    if LEGACY_TAG in tags:
        raise _not_ours(f"The bucket {bucket}", f"it is tagged {LEGACY_TAG}="
                        f"{tags[LEGACY_TAG]}, an earlier application's attached bucket", state)
    if IDENTITY_TAG not in tags and found is None:
        # Untagged: a HumanGov bucket from before the tag has its HumanGov table beside it.
        raise _not_ours(f"The bucket {bucket}", f"it has no {IDENTITY_TAG} tag and {state} has "
                        "no HumanGov table", state)


def tag_bucket(clients: AwsClients, name: str, state: str) -> None:
    """Give the bucket the state's identity tag unless it has it, keeping its other tags
    (PutBucketTagging replaces the whole set). A bucket tagged as another state's is refused:
    retagging it would hand that state's documents to this one."""
    s3 = clients.s3
    tags = bucket_tags(clients, name)
    found = tags.get(IDENTITY_TAG)
    if found == state:
        return
    if found is not None:
        raise Conflict(f"The bucket {name} is tagged {IDENTITY_TAG}={found}, not {state}: it "
                         f"holds another state's documents. Point {state} at its own bucket.")
    tags[IDENTITY_TAG] = state
    s3.put_bucket_tagging(Bucket=name, Tagging={
        "TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
    log.info("tagged S3 bucket %s as %s's", name, state)


def shared_table_specs(settings: Settings) -> list[dict]:
    """The shared tables: platform (states, users, tokens), ledger, dead letters.
    infra/ creates the same tables; tests/infra compares them with these specs."""
    return [
        simple_table_spec(settings.aws_platform_table),
        simple_table_spec(settings.aws_ledger_table, gsi=LEDGER_INDEX),
        simple_table_spec(settings.aws_dead_letter_table),
    ]


def ensure_platform(settings: Settings, clients: AwsClients) -> None:
    for spec in shared_table_specs(settings):
        ensure_table(clients, spec)


def provision_state(settings: Settings, code: str, clients: AwsClients | None = None) -> None:
    """The state's records table (stream on) and documents bucket, created if absent;
    refused (Conflict) if either exists and HumanGov did not create it."""
    clients = clients or AwsClients(settings)
    naming = Naming.from_settings(settings)
    check_not_foreign(clients, naming.table(code), naming.bucket(code), code)
    ensure_table(clients, records_table_spec(naming.table(code)), ttl=True)
    ensure_bucket(clients, naming.bucket(code), state=code)
