"""`humangov adopt` on moto_server: an earlier table and bucket of N records and N small PDFs
adopted (copied under new keys, verified, erased with receipts), beside a plain boto3 copy
of the same objects (GetObject + PutObject, as many threads) in the same run.

    .venv/bin/python -m bench.adopt_bench [--records 10000]

EMULATOR figures: moto_server (single-process Python on 127.0.0.1) sets the floor; the plain
copy shows it, and adopt's figure beside it shows what adoption adds (the verifying read, the
record writes, the erase of every version and the receipt).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bench.aws_bench import on_moto_server

TABLE, BUCKET, COPY = "humangov-california-dynamodb", "humangov-california-s3-bench", "plain-copy"


def seed(clients, n: int, workers: int) -> list[str]:
    from humangov.adapters.aws.naming import LEGACY_TAG

    ddb, s3 = clients.dynamodb, clients.s3
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    for bucket in (BUCKET, COPY):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": LEGACY_TAG,
                                                               "Value": "CA"}]})
    ids = [str(uuid.uuid4()) for _ in range(n)]
    keys = [f"{i}_person {n} scan.pdf" for n, i in enumerate(ids)]
    body = b"%PDF-1.4\n" + b"x" * 2000 + b"\n%%EOF\n"
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=BUCKET, Key=k, Body=body), keys))
    items = [{"PutRequest": {"Item": {
        "id": {"S": i}, "first_name": {"S": f"First{n}"}, "last_name": {"S": "Bench"},
        "role": {"S": "Clerk"}, "salary": {"S": "52000"}, "pdf": {"S": k}}}}
        for n, (i, k) in enumerate(zip(ids, keys, strict=True))]
    for start in range(0, n, 25):
        ddb.batch_write_item(RequestItems={TABLE: items[start:start + 25]})
    return keys


def plain_copy(clients, keys: list[str], workers: int) -> float:
    s3 = clients.s3

    def copy(key: str) -> None:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        s3.put_object(Bucket=COPY, Key=key, Body=body)

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(copy, keys))
    return len(keys) / (time.perf_counter() - start)


def adopt(settings, n: int) -> tuple[float, float]:
    from humangov.bootstrap import bootstrap
    from humangov.bootstrap.adoption import adoption

    container = bootstrap(settings)
    container.personnel.add_state("CA")
    report = adoption(container, "CA", TABLE, BUCKET, actor="bench").run()
    assert report.moved == n and report.erased == n and not report.problems, report
    return report.moved / report.seconds, report.records / report.seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args(argv)
    from humangov.adapters.aws.clients import AwsClients
    from humangov.adoption.service import WORKERS

    with on_moto_server() as settings:
        clients = AwsClients(settings)
        keys = seed(clients, args.records, WORKERS)
        floor = plain_copy(clients, keys, WORKERS)
        objects, records = adopt(settings, args.records)
    print("adopt on moto_server (an EMULATOR on 127.0.0.1, not AWS; compare shapes, not numbers)")
    print(f"  plain boto3 copy: {floor:8.1f} objects/s   (GetObject + PutObject, "
          f"{WORKERS} threads, {args.records} objects)")
    print(f"  humangov adopt  : {objects:8.1f} objects/s   ({records:.1f} records/s: copy, "
          "verify, record, erase every version, receipt)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
