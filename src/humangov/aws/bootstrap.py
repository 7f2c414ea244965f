"""The AWS adapters for the composition root (humangov.bootstrap, backend 'aws')."""

from __future__ import annotations

from humangov.aws.clients import AwsClients
from humangov.aws.naming import Naming


def aws_adapters(settings, clock, clients: AwsClients | None = None) -> dict:
    """records, blobs, account_store, outbox (dead letters), ledger, all over boto3.

    Creates the shared tables if they are missing (a DescribeTable each when they exist, as
    under the CDK deployment); `states add` creates a state's table and bucket.
    """
    from humangov.adapters.accounts.dynamodb import DynamoDBAccountStore
    from humangov.adapters.blobs.s3 import S3BlobStore
    from humangov.adapters.erasure.dynamodb import DynamoDBDeadLetters, DynamoDBLedger
    from humangov.adapters.records.dynamodb import DynamoDBRecordStore
    from humangov.aws.provision import ensure_platform, provision_state

    clients = clients or AwsClients(settings)
    naming = Naming.from_settings(settings)
    ensure_platform(settings, clients)
    return {
        "records": DynamoDBRecordStore(
            clients, naming, settings.aws_platform_table, clock,
            provisioner=lambda code: provision_state(settings, code, clients)),
        "blobs": S3BlobStore(clients, naming),
        "account_store": DynamoDBAccountStore(clients, settings.aws_platform_table),
        "outbox": DynamoDBDeadLetters(clients, settings.aws_dead_letter_table, clock),
        "ledger": DynamoDBLedger(clients, settings.aws_ledger_table),
    }
