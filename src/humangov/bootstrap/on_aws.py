"""AWS: one DynamoDB table and one S3 bucket per state, shared ledger, platform and
dead-letter tables; for the app, the erasure Lambda and the local stream worker."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from humangov.adapters.accounts.dynamodb import DynamoDBAccountStore
from humangov.adapters.audit.dynamodb import DynamoDBAuditLog
from humangov.adapters.aws.attachments import EarlierApplicationsOnAws
from humangov.adapters.aws.clients import AwsClients
from humangov.adapters.aws.legacy_source import LegacySource, legacy_sources
from humangov.adapters.aws.naming import Naming
from humangov.adapters.aws.provision import ensure_platform, provision_state
from humangov.adapters.blobs.s3 import S3BlobStore
from humangov.adapters.clock import SystemClock
from humangov.adapters.erasure.dynamodb import DynamoDBDeadLetters, DynamoDBLedger
from humangov.adapters.holds.dynamodb import DynamoDBHoldStore
from humangov.adapters.records.dynamodb import DynamoDBRecordStore
from humangov.adapters.requests.dynamodb import DynamoDBRequestStore
from humangov.adapters.retention.dynamodb import DynamoDBSchedules
from humangov.bootstrap.container import Container
from humangov.config import Settings
from humangov.domain.holds import IsHeld, never_held
from humangov.holds.service import held_in
from humangov.ports import BlobStore, Clock, Ledger, RecordStore

if TYPE_CHECKING:
    from humangov.aws.dead_letter_queue import QueueImport
    from humangov.aws.stream_worker import StreamWorker


def aws(settings: Settings, clock: Clock, clients: AwsClients | None = None) -> Container:
    """The app's container over boto3.

    Creates the shared tables if they are missing (a DescribeTable each when they exist, as
    under the CDK deployment); `states add` creates a state's table and bucket.
    """
    clients = clients or AwsClients(settings)
    naming = Naming.from_settings(settings)
    ensure_platform(settings, clients)
    return Container(
        settings, clock,
        records=DynamoDBRecordStore(
            clients, naming, settings.aws_platform_table, clock,
            provisioner=lambda code: provision_state(settings, code, clients)),
        blobs=S3BlobStore(clients, naming),
        account_store=DynamoDBAccountStore(clients, settings.aws_platform_table),
        outbox=DynamoDBDeadLetters(clients, settings.aws_dead_letter_table, clock),
        ledger=DynamoDBLedger(clients, settings.aws_ledger_table),
        audit_log=DynamoDBAuditLog(clients, settings.aws_platform_table),
        request_store=DynamoDBRequestStore(clients, settings.aws_platform_table),
        schedules=DynamoDBSchedules(clients, settings.aws_platform_table),
        hold_store=DynamoDBHoldStore(clients, settings.aws_platform_table),
        earlier=EarlierApplicationsOnAws(clients, settings.aws_platform_table),
    )


def aws_clients(settings: Settings | None = None) -> AwsClients:
    """The boto3 client factory alone, for a Lambda that calls one service directly (the
    alarm Lambda reads its Slack webhook from Secrets Manager)."""
    return AwsClients(settings or Settings(backend="aws"))


@dataclass(frozen=True)
class StreamRuntime:
    """What the erasure Lambda needs: the state of each stream's table, the state's bucket,
    the records (to re-check references), the ledger, the dead letters (where it counts a
    record's failures and parks it after `max_attempts`); and the earlier applications'
    tables it also reads, by table name (Settings.aws_legacy)."""

    naming: Naming
    blobs: BlobStore
    records: RecordStore
    ledger: Ledger
    clock: Clock
    dead_letters: DynamoDBDeadLetters
    max_attempts: int
    legacy: dict[str, LegacySource] = field(default_factory=dict)
    is_held: IsHeld = never_held  # the legal hold keeping an employee's files, if any


def lambda_runtime(settings: Settings | None = None, clients: AwsClients | None = None,
                   clock: Clock | None = None) -> StreamRuntime:
    settings = settings or Settings(backend="aws")
    clients = clients or AwsClients(settings)
    clock = clock or SystemClock()
    naming = Naming.from_settings(settings)
    return StreamRuntime(
        naming=naming, blobs=S3BlobStore(clients, naming),
        records=DynamoDBRecordStore(clients, naming, settings.aws_platform_table, clock),
        ledger=DynamoDBLedger(clients, settings.aws_ledger_table), clock=clock,
        dead_letters=DynamoDBDeadLetters(clients, settings.aws_dead_letter_table, clock),
        max_attempts=settings.erasure_max_attempts,
        legacy=legacy_sources(clients, settings.aws_legacy),
        is_held=held_in(DynamoDBHoldStore(clients, settings.aws_platform_table)),
    )


def stream_worker(settings: Settings, *, clients: AwsClients | None = None,
                  clock: Clock | None = None, batch_size: int | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> StreamWorker:
    """`humangov stream-worker`: the Lambda's event source mapping, on one machine."""
    from humangov.aws.stream_worker import BATCH_SIZE, Checkpoints, StreamWorker

    clients = clients or AwsClients(settings)
    clock = clock or SystemClock()
    ensure_platform(settings, clients)
    runtime = lambda_runtime(settings, clients, clock)
    return StreamWorker(
        runtime=runtime, clients=clients,
        checkpoints=Checkpoints(settings.data_dir / "stream-checkpoints.json"),
        dead_letters=runtime.dead_letters,
        # The handler counts every failed handling of a record, the worker only those where
        # it is the first failure, so with one limit the handler always parks it first; the
        # worker's count parks only what the handler never finished (a crash).
        max_attempts=settings.erasure_max_attempts,
        base_backoff=settings.erasure_base_backoff_seconds,
        max_backoff=min(settings.erasure_max_backoff_seconds, 30.0),
        batch_size=batch_size or BATCH_SIZE, sleep=sleep,
    )


def queue_import(settings: Settings, *, clients: AwsClients | None = None) -> QueueImport:
    """`humangov erasure import-queue`: the erasure Lambda's on-failure queue read into the
    dead-letter store, with the Lambda's own view of tables and states."""
    from humangov.aws.dead_letter_queue import QueueImport

    clients = clients or AwsClients(settings)
    return QueueImport(clients, lambda_runtime(settings, clients))
