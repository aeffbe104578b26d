"""Bad input gets AWS's exception class and, where known, AWS's message text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import kinesim


@pytest.fixture
def sim() -> kinesim.Simulator:
    sim = kinesim.Simulator()
    sim.kinesis.create_stream("s", shard_count=2)
    return sim


CASES: list[tuple[str, Callable[[kinesim.Simulator], Any], type[Exception], str]] = [
    (
        "stream name pattern",
        lambda sim: sim.kinesis.create_stream("bad name", shard_count=1),
        kinesim.ValidationException,
        "1 validation error detected: Value 'bad name' at 'streamName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    ),
    (
        "stream name too long",
        lambda sim: sim.kinesis.create_stream("x" * 129, shard_count=1),
        kinesim.ValidationException,
        "Member must have length less than or equal to 128",
    ),
    (
        "shard count zero",
        lambda sim: sim.kinesis.create_stream("t", shard_count=0),
        kinesim.ValidationException,
        "1 validation error detected: Value '0' at 'shardCount' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    ),
    (
        "shard count type",
        lambda sim: sim.kinesis.create_stream("t", shard_count="2"),
        kinesim.KinesimTypeError,
        "shardCount must be an int",
    ),
    (
        "unknown mode",
        lambda sim: sim.kinesis.create_stream("t", mode="SERVERLESS"),
        kinesim.ValidationException,
        "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]",
    ),
    (
        "put to unknown stream",
        lambda sim: sim.kinesis.put_record("nope", b"x", "k"),
        kinesim.ResourceNotFoundException,
        "Stream nope under account 123456789012 not found.",
    ),
    (
        "empty partition key",
        lambda sim: sim.kinesis.stream("s").put_record(b"x", ""),
        kinesim.ValidationException,
        "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    ),
    (
        "partition key too long",
        lambda sim: sim.kinesis.stream("s").put_record(b"x", "k" * 257),
        kinesim.ValidationException,
        "at 'partitionKey' failed to satisfy constraint: Member must have length less than or "
        "equal to 256",
    ),
    (
        "partition key type",
        lambda sim: sim.kinesis.stream("s").put_record(b"x", 5),
        kinesim.KinesimTypeError,
        "partitionKey must be a str",
    ),
    (
        "data type",
        lambda sim: sim.kinesis.stream("s").put_record(5, "k"),
        kinesim.KinesimTypeError,
        "data must be bytes",
    ),
    (
        "record over 1 MiB with the key",
        lambda sim: sim.kinesis.stream("s").put_record(b"x" * 1_048_576, "k"),
        kinesim.InvalidArgumentException,
        "exceeds the maximum record size of 1048576 bytes",
    ),
    (
        "bad sequence number for ordering",
        lambda sim: sim.kinesis.stream("s").put_record(
            b"x", "k", sequence_number_for_ordering="12a"
        ),
        kinesim.ValidationException,
        "at 'sequenceNumberForOrdering' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: 0|([1-9]\\d{0,128})",
    ),
    (
        "put_records empty",
        lambda sim: sim.kinesis.stream("s").put_records([]),
        kinesim.ValidationException,
        "Value '[]' at 'records' failed to satisfy constraint: Member must have length greater "
        "than or equal to 1",
    ),
    (
        "put_records 501",
        lambda sim: sim.kinesis.stream("s").put_records([(b"x", "k")] * 501),
        kinesim.ValidationException,
        "Member must have length less than or equal to 500",
    ),
    (
        "put_records over 10 MiB",
        lambda sim: sim.kinesis.stream("s").put_records([(b"x" * 1_000_000, "k")] * 11),
        kinesim.InvalidArgumentException,
        "Records size exceeds 10 MB limit",
    ),
    (
        "put_records entry without key",
        lambda sim: sim.kinesis.stream("s").put_records([{"Data": b"x"}]),
        kinesim.ValidationException,
        "records.1.member",
    ),
    (
        "put_records bad second entry",
        lambda sim: sim.kinesis.stream("s").put_records([(b"x", "k"), (b"y", "")]),
        kinesim.ValidationException,
        "at 'records.2.member.partitionKey'",
    ),
    (
        "split unknown shard",
        lambda sim: sim.kinesis.stream("s").split_shard("shardId-000000000007", "5"),
        kinesim.ResourceNotFoundException,
        "Could not find shard shardId-000000000007 in stream s under account 123456789012.",
    ),
    (
        "merge unknown short shard id",
        lambda sim: sim.kinesis.stream("s").merge_shards("shard-7", "shardId-000000000000"),
        kinesim.ResourceNotFoundException,
        "Could not find shard shardId-000000000007 in stream s under account 123456789012.",
    ),
    (
        "split shard id that names no shard",
        lambda sim: sim.kinesis.stream("s").split_shard("abc", "5"),
        kinesim.ResourceNotFoundException,
        "Could not find shard abc in stream s under account 123456789012.",
    ),
    (
        "split bad key",
        lambda sim: sim.kinesis.stream("s").split_shard("shardId-000000000000", "0x10"),
        kinesim.ValidationException,
        "at 'newStartingHashKey'",
    ),
    (
        "scale zero",
        lambda sim: sim.kinesis.stream("s").update_shard_count(0),
        kinesim.ValidationException,
        "at 'targetShardCount'",
    ),
    (
        "retention type",
        lambda sim: sim.kinesis.stream("s").increase_retention_period(48.0),
        kinesim.KinesimTypeError,
        "retentionPeriodHours must be an int",
    ),
    (
        "bad iterator type",
        lambda sim: sim.kinesis.get_shard_iterator("s", "shardId-000000000000", "OLDEST"),
        kinesim.ValidationException,
        "Value 'OLDEST' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy "
        "enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, "
        "AT_TIMESTAMP]",
    ),
    (
        "bad shard id",
        lambda sim: sim.kinesis.get_shard_iterator("s", "", "LATEST"),
        kinesim.ValidationException,
        "at 'shardId'",
    ),
    (
        "bad sequence number",
        lambda sim: sim.kinesis.get_shard_iterator(
            "s", "shardId-000000000000", "AT_SEQUENCE_NUMBER", starting_sequence_number="abc"
        ),
        kinesim.ValidationException,
        "at 'startingSequenceNumber'",
    ),
    (
        "naive datetime",
        lambda sim: sim.kinesis.get_shard_iterator(
            "s",
            "shardId-000000000000",
            "AT_TIMESTAMP",
            timestamp=__import__("datetime").datetime(2026, 1, 1),
        ),
        kinesim.KinesimValueError,
        "timezone-aware",
    ),
    (
        "iterator type",
        lambda sim: sim.kinesis.get_records(None),
        kinesim.KinesimTypeError,
        "shard_iterator must be the str",
    ),
    (
        "list_shards without stream",
        lambda sim: sim.kinesis.list_shards(),
        kinesim.InvalidArgumentException,
        "Either StreamName or StreamARN should be provided.",
    ),
    (
        "bad ARN",
        lambda sim: sim.kinesis.stream_by_arn("arn:aws:sqs:us-east-1:123456789012:q"),
        kinesim.ValidationException,
        "at 'streamARN'",
    ),
    (
        "enhanced monitoring name",
        lambda sim: sim.kinesis.stream("s").enable_enhanced_monitoring(["Everything"]),
        kinesim.ValidationException,
        "at 'shardLevelMetrics.member'",
    ),
    (
        "stream mode same",
        lambda sim: sim.kinesis.stream("s").update_stream_mode("PROVISIONED"),
        kinesim.InvalidArgumentException,
        "already in PROVISIONED mode",
    ),
    (
        "notify non-callable",
        lambda sim: sim.kinesis.stream("s").shards[0].notify_on_arrival(5),
        kinesim.KinesimTypeError,
        "notify_on_arrival takes a callable",
    ),
]


@pytest.mark.parametrize(("what", "call", "error", "text"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(
    sim: kinesim.Simulator,
    what: str,
    call: Callable[[kinesim.Simulator], Any],
    error: type[Exception],
    text: str,
) -> None:
    before = [(s.shard_id, s.end_index, s.closed) for s in sim.kinesis.stream("s").shards]
    with pytest.raises(error) as info:
        call(sim)
    assert text in str(getattr(info.value, "message", info.value))
    assert [(s.shard_id, s.end_index, s.closed) for s in sim.kinesis.stream("s").shards] == before
    if isinstance(info.value, kinesim.AWSError):
        assert info.value.response["Error"]["Code"] == error.__name__
    sim.kinesis._check()
