"""Kinesis Data Streams in virtual time: streams, shards, sequence numbers, limits, iterators,
retention and resharding (``sim.kinesis``)."""

from __future__ import annotations

from kinesim._kinesis.service import GetRecordsResult, KinesisService
from kinesim._kinesis.shard import Record, Shard, ShardRead
from kinesim._kinesis.stream import (
    PutRecordResult,
    PutRecordsResult,
    PutRecordsResultEntry,
    Stream,
)

__all__ = [
    "GetRecordsResult",
    "KinesisService",
    "PutRecordResult",
    "PutRecordsResult",
    "PutRecordsResultEntry",
    "Record",
    "Shard",
    "ShardRead",
    "Stream",
]
