from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kinesim

MAX = 2**128 - 1


def md5_key(key: str) -> int:
    return int(hashlib.md5(key.encode("utf-8")).hexdigest(), 16)


def test_initial_shards_split_the_key_space_like_aws() -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s")  # on-demand: 4 shards
    assert stream.mode == "ON_DEMAND"
    ranges = [(s.hash_key_start, s.hash_key_end) for s in stream.shards]
    assert ranges == [
        (0, 85070591730234615865843651857942052863),
        (85070591730234615865843651857942052864, 170141183460469231731687303715884105727),
        (170141183460469231731687303715884105728, 255211775190703847597530955573826158591),
        (255211775190703847597530955573826158592, MAX),
    ]
    three = sim.kinesis.create_stream("t", shard_count=3)
    assert three.shards[1].hash_key_start == 113427455640312821154458202477256070485


@given(
    keys=st.lists(st.text(min_size=1, max_size=256), min_size=1, max_size=20),
    shard_count=st.integers(1, 9),
)
def test_routing_equals_independent_md5(keys: list[str], shard_count: int) -> None:
    sim = kinesim.Simulator(limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("s", shard_count=shard_count)
    for key in keys:
        result = stream.put_record(b"x", key)
        shard = stream.shard(result.shard_id)
        assert shard.hash_key_start <= md5_key(key) <= shard.hash_key_end
        matches = [
            s for s in stream.open_shards() if s.hash_key_start <= md5_key(key) <= s.hash_key_end
        ]
        assert [s.shard_id for s in matches] == [result.shard_id]


@given(hash_key=st.integers(0, MAX))
def test_explicit_hash_key_overrides_partition_key(hash_key: int) -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=5)
    result = stream.put_record(b"x", "same-key", explicit_hash_key=str(hash_key))
    shard = stream.shard(result.shard_id)
    assert shard.hash_key_start <= hash_key <= shard.hash_key_end


def test_same_key_same_shard_and_unicode_keys() -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=8)
    key = "ключ-🔑"
    shards = {stream.put_record(b"", key).shard_id for _ in range(5)}
    assert len(shards) == 1
    shard = stream.shard(shards.pop())
    assert shard.hash_key_start <= md5_key(key) <= shard.hash_key_end
    assert stream.shard_for_key(key).shard_id == shard.shard_id


@pytest.mark.parametrize(
    ("ehk", "error", "text"),
    [
        (str(MAX + 1), kinesim.InvalidArgumentException, "Invalid ExplicitHashKey"),
        ("-1", kinesim.ValidationException, "explicitHashKey"),
        ("01", kinesim.ValidationException, "regular expression pattern"),
        ("1" * 40, kinesim.ValidationException, "length less than or equal to 39"),
        ("", kinesim.ValidationException, "greater than or equal to 1"),
    ],
)
def test_bad_explicit_hash_keys(ehk: str, error: type[Exception], text: str) -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=2)
    with pytest.raises(error, match=text):
        stream.put_record(b"x", "k", explicit_hash_key=ehk)
    assert all(s.end_index == 0 for s in stream.shards)
