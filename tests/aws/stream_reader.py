"""Test helper: read a table's whole DynamoDB stream back as DocumentChanges."""

from __future__ import annotations

from humangov.adapters.aws.changes import change_from_record
from humangov.domain.erasure import DocumentChange


def stream_records(clients, table: str) -> list[dict]:
    ddb, streams = clients.dynamodb, clients.streams
    try:
        arn = ddb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
    except ddb.exceptions.ResourceNotFoundException:
        return []
    records: list[dict] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            got = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += got["Records"]
            if not got["Records"]:
                break
            iterator = got.get("NextShardIterator")
    return records


def stream_changes(clients, naming, states=("CA", "TX", "NY")) -> list[DocumentChange]:
    out = []
    for state in states:
        for record in stream_records(clients, naming.table(state)):
            change = change_from_record(record, state)
            if change is not None:
                out.append(change)
    return out
