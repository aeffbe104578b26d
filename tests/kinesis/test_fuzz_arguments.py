"""Any public Kinesis operation, given arguments of any shape, raises only kinesim's documented
errors (never a bare KeyError, AttributeError, IndexError, ...), and leaves the model valid."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim

DOCUMENTED = (kinesim.AWSError, kinesim.KinesimValueError, kinesim.KinesimTypeError)

weird = st.sampled_from(
    [
        None,
        0,
        -1,
        1,
        2**200,
        1.5,
        float("nan"),
        float("inf"),
        True,
        "",
        "s",
        "shardId-000000000000",
        "shardId-000000000001",
        "TRIM_HORIZON",
        "AT_LATEST",
        "x" * 600,
        "\x00",
        "ü",
        b"bytes",
        [],
        [("a", "b")],
        [{"Data": b"x", "PartitionKey": "k"}],
        {},
        {"Type": "AT_LATEST"},
        {"Type": "AFTER_SHARD_ID", "ShardId": 5},
        {"k": "v"},
        ["ALL"],
        object(),
        datetime(2026, 1, 1, tzinfo=timezone.utc),
        datetime(2026, 1, 1),
        "49001767225600000000000000000000000000000000000010000000",
        "340282366920938463463374607431768211456",
        "arn:aws:kinesis:us-east-1:123456789012:stream/s",
    ]
)

SERVICE_METHODS = [
    "create_stream",
    "delete_stream",
    "stream",
    "stream_by_arn",
    "describe_stream",
    "describe_stream_summary",
    "list_streams",
    "list_shards",
    "get_shard_iterator",
    "get_records",
    "put_record",
    "put_records",
]
STREAM_METHODS = [
    "put_record",
    "put_records",
    "shard",
    "children_of",
    "parents_of",
    "shard_for_key",
    "split_shard",
    "merge_shards",
    "update_shard_count",
    "increase_retention_period",
    "decrease_retention_period",
    "update_stream_mode",
    "update_max_record_size",
    "add_tags",
    "remove_tags",
    "start_encryption",
    "stop_encryption",
    "enable_enhanced_monitoring",
    "disable_enhanced_monitoring",
]
KEYWORDS = {
    "create_stream": ["retention_hours", "mode", "tags", "max_record_size_kib"],
    "delete_stream": ["enforce_consumer_deletion", "stream_arn"],
    "describe_stream": ["limit", "exclusive_start_shard_id", "stream_arn"],
    "list_streams": ["limit", "exclusive_start_stream_name"],
    "list_shards": ["next_token", "exclusive_start_shard_id", "max_results", "shard_filter"],
    "get_shard_iterator": ["starting_sequence_number", "timestamp", "stream_arn"],
    "get_records": ["limit"],
    "put_record": ["explicit_hash_key", "sequence_number_for_ordering"],
}


@settings(max_examples=300)
@given(
    on_stream=st.booleans(),
    method=st.integers(0, 100),
    args=st.lists(weird, max_size=3),
    kwargs=st.dictionaries(st.integers(0, 3), weird, max_size=2),
)
def test_any_arguments_only_raise_documented_errors(
    on_stream: bool, method: int, args: list[Any], kwargs: dict[int, Any]
) -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=2)
    stream.put_record(b"x", "k")
    if on_stream:
        name = STREAM_METHODS[method % len(STREAM_METHODS)]
        target: Any = stream
    else:
        name = SERVICE_METHODS[method % len(SERVICE_METHODS)]
        target = sim.kinesis
    keywords = KEYWORDS.get(name, [])
    named = {keywords[i % len(keywords)]: v for i, v in kwargs.items()} if keywords else {}
    problem = None
    try:
        getattr(target, name)(*args, **named)
    except DOCUMENTED:
        pass
    except TypeError as error:
        # Wrong number of arguments for the Python signature is a plain TypeError from Python
        # itself, before kinesim runs: that is the caller's bug, not a validation gap.
        if not re.search(r"positional argument|keyword argument|required", str(error)):
            problem = error
    assert problem is None, repr(problem)
    sim.kinesis._check()
