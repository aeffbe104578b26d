from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim


@settings(max_examples=40)
@given(
    ops=st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(0, 3)),
        min_size=1,
        max_size=60,
    )
)
def test_per_shard_order_and_stream_uniqueness(ops: list[tuple[int, str, int]]) -> None:
    sim = kinesim.Simulator(limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("s", shard_count=3)
    written: dict[str, list[tuple[str, bytes]]] = {}
    all_numbers: list[int] = []
    for step_ms, key, batch in ops:
        sim.advance_ms(step_ms)
        if batch:
            data = [f"{key}{i}".encode() for i in range(batch)]
            result = stream.put_records([(d, key) for d in data])
            for d, entry in zip(data, result.records, strict=True):
                assert entry.shard_id is not None
                assert entry.sequence_number is not None
                written.setdefault(entry.shard_id, []).append((entry.sequence_number, d))
        else:
            r = stream.put_record(key.encode(), key)
            written.setdefault(r.shard_id, []).append((r.sequence_number, key.encode()))
    for shard_id, entries in written.items():
        numbers = [int(n) for n, _ in entries]
        assert numbers == sorted(numbers)
        assert len(set(numbers)) == len(numbers)
        assert all(len(n) == 56 for n, _ in entries)
        all_numbers += numbers
        out = sim.kinesis.get_records(sim.kinesis.get_shard_iterator("s", shard_id, "TRIM_HORIZON"))
        assert [(r.sequence_number, r.data) for r in out.records] == entries
    assert len(set(all_numbers)) == len(all_numbers)
    stream._check()


def test_later_writes_get_larger_numbers_across_shards(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=4)
    first = stream.put_record(b"x", "a")
    sim.advance(1)
    # Find a key that goes to another shard.
    key = next(
        k
        for k in (f"k{i}" for i in range(100))
        if stream.shard_for_key(k).shard_id != first.shard_id
    )
    second = stream.put_record(b"y", key)
    assert second.shard_id != first.shard_id
    assert int(second.sequence_number) > int(first.sequence_number)


def test_number_from_another_shard_names_both_shards(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=2)
    r = stream.put_record(b"x", "a")
    other = next(s.shard_id for s in stream.shards if s.shard_id != r.shard_id)
    with pytest.raises(kinesim.InvalidArgumentException) as info:
        sim.kinesis.get_shard_iterator(
            "s", other, "AT_SEQUENCE_NUMBER", starting_sequence_number=r.sequence_number
        )
    assert info.value.message == (
        f"Invalid StartingSequenceNumber. It encodes {r.shard_id}, while it was used in a call "
        f"to a shard with {other}"
    )


def test_number_from_another_stream_did_not_come_from_this_stream(sim: kinesim.Simulator) -> None:
    a = sim.kinesis.create_stream("a", shard_count=1)
    sim.kinesis.create_stream("b", shard_count=1)
    r = a.put_record(b"x", "k")
    with pytest.raises(kinesim.InvalidArgumentException) as info:
        sim.kinesis.get_shard_iterator(
            "b",
            "shardId-000000000000",
            "AT_SEQUENCE_NUMBER",
            starting_sequence_number=r.sequence_number,
        )
    assert info.value.message == (
        f"StartingSequenceNumber {r.sequence_number} used in GetShardIterator on shard "
        "shardId-000000000000 in stream b under account 123456789012 is invalid because it did "
        "not come from this stream."
    )
    with pytest.raises(kinesim.InvalidArgumentException, match="did not come from this stream"):
        sim.kinesis.get_shard_iterator(
            "b", "shardId-000000000000", "AT_SEQUENCE_NUMBER", starting_sequence_number="12345"
        )


def test_recreated_stream_refuses_old_numbers(sim: kinesim.Simulator) -> None:
    old = sim.kinesis.create_stream("s", shard_count=1).put_record(b"x", "k")
    sim.kinesis.delete_stream("s")
    sim.advance(1)
    sim.kinesis.create_stream("s", shard_count=1)
    with pytest.raises(kinesim.InvalidArgumentException, match="did not come from this stream"):
        sim.kinesis.get_shard_iterator(
            "s",
            "shardId-000000000000",
            "AT_SEQUENCE_NUMBER",
            starting_sequence_number=old.sequence_number,
        )


def test_sequence_number_for_ordering_is_honoured(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=2)
    shards = stream.shards
    key_a = next(f"k{i}" for i in range(100) if stream.shard_for_key(f"k{i}") is shards[1])
    key_b = next(f"k{i}" for i in range(100) if stream.shard_for_key(f"k{i}") is shards[0])
    # Shard 1 gets several records at the same millisecond, shard 0 none yet.
    for _ in range(3):
        last = stream.put_record(b"a", key_a)
    plain = stream.put_record(b"b", key_b)
    ordered = stream.put_record(b"c", key_b, sequence_number_for_ordering=last.sequence_number)
    assert int(ordered.sequence_number) > int(last.sequence_number)
    assert int(plain.sequence_number) < int(last.sequence_number)  # coarse order without it
    after = stream.put_record(b"d", key_b)
    assert int(after.sequence_number) > int(ordered.sequence_number)
    stream._check()


def test_at_and_after_sequence_number(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    numbers = [stream.put_record(bytes([i]), "k").sequence_number for i in range(4)]
    get = sim.kinesis.get_shard_iterator
    at = sim.kinesis.get_records(
        get("s", "shardId-000000000000", "AT_SEQUENCE_NUMBER", starting_sequence_number=numbers[1])
    )
    assert [r.data for r in at.records] == [b"\x01", b"\x02", b"\x03"]
    after = sim.kinesis.get_records(
        get(
            "s",
            "shardId-000000000000",
            "AFTER_SEQUENCE_NUMBER",
            starting_sequence_number=numbers[1],
        )
    )
    assert [r.data for r in after.records] == [b"\x02", b"\x03"]
    start = stream.shards[0].starting_sequence_number
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        out = sim.kinesis.get_records(
            get("s", "shardId-000000000000", kind, starting_sequence_number=start)
        )
        assert len(out.records) == 4
    assert int(start) < int(numbers[0])
