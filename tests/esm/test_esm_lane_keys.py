"""The shard's lane keys (kept on the put path) choose the same lane as MD5(partition key) mod N,
on every put path, also for a record routed by an explicit hash key."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim._esm.poller import lane_of
from kinesim._kinesis.bulk import put_bulk
from kinesim._kinesis.hashing import LANE_KEY_MODULUS, lane_key_of

_KEYS = st.text(min_size=1, max_size=12)


@given(key=_KEYS)
def test_a_lane_key_picks_the_md5_lane_for_every_factor(key: str) -> None:
    lane_key = lane_key_of(key)
    assert 0 <= lane_key < LANE_KEY_MODULUS
    assert [lane_key % n for n in range(1, 11)] == [lane_of(key, n) for n in range(1, 11)]


def _put_every_way(stream: Any, keys: list[str]) -> None:
    """Each key through put_record, put_record with an explicit hash key, put_records (tuples,
    dicts, explicit hash keys) and put_bulk."""
    for i, key in enumerate(keys):
        data = str(i).encode()
        way = i % 5
        if way == 0:
            stream.put_record(data, partition_key=key)
        elif way == 1:
            stream.put_record(data, partition_key=key, explicit_hash_key=str(i * 7919))
        elif way == 2:
            stream.put_records([(data, key), (data, key, str(2**127 + i))])
        elif way == 3:
            stream.put_records([{"Data": data, "PartitionKey": key}])
        else:
            put_bulk(stream, [data], [key])


@settings(max_examples=15, deadline=None)
@given(keys=st.lists(_KEYS, min_size=1, max_size=30), factor=st.integers(2, 10))
def test_every_batch_holds_one_lane_of_keys(keys: list[str], factor: int) -> None:
    batches: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        batches.append([r["kinesis"]["partitionKey"] for r in event["Records"]])
        for r in event["Records"]:
            base64.b64decode(r["kinesis"]["data"])

    sim = kinesim.Simulator(seed=1)
    stream = sim.kinesis.create_stream("s", shard_count=2)
    fn = sim.lambda_.create_function("f", handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=5, parallelization_factor=factor
    )
    _put_every_way(stream, keys)
    for shard in stream.shards:
        shard._check()  # each held record's lane key is its partition key's
    sim.advance(60)
    esm._check()
    delivered = [key for batch in batches for key in batch]
    expected = sum(2 if i % 5 == 2 else 1 for i in range(len(keys)))
    assert len(delivered) == expected
    for batch in batches:
        assert len({lane_of(key, factor) for key in batch}) == 1, batch
