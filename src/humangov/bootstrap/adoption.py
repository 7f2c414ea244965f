"""Adoption's composition: the earlier table and bucket of a state (AWS only), and the
`Adoption` use case over them and the container's ports."""

from __future__ import annotations

from humangov.adapters.aws.clients import AwsClients
from humangov.adapters.aws.legacy import LegacyTable, legacy_objects
from humangov.adoption import Adoption, LegacySource
from humangov.adoption.service import BATCH, WORKERS
from humangov.bootstrap.container import Container
from humangov.domain.errors import InvalidInput
from humangov.domain.states import normalize_code


def adoption(container: Container, state: str, legacy_table: str, legacy_bucket: str, *,
             actor: str, batch: int = BATCH,
             workers: int = WORKERS) -> Adoption:
    if container.settings.backend != "aws":
        raise InvalidInput(
            "adopt reads an earlier application's DynamoDB table and S3 bucket, so it runs on "
            "the AWS backend (HUMANGOV_BACKEND=aws). On the embedded backend, import an export "
            "instead: humangov employees import FILE --state CA --documents DIR")
    state = container.personnel.require_state(normalize_code(state))
    clients = AwsClients(container.settings)
    source = LegacySource(state, LegacyTable(clients, legacy_table), legacy_bucket,
                          legacy_objects(clients, legacy_bucket))
    return Adoption(source, records=container.records, blobs=container.blobs,
                    ledger=container.ledger, clock=container.clock, actor=actor, batch=batch,
                    workers=workers)
