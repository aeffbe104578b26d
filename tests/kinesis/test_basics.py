from __future__ import annotations

import hashlib

import pytest

import kinesim


def test_create_put_get_round_trip(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("orders", shard_count=2)
    assert stream.status == "ACTIVE"
    assert stream.arn == "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
    r = stream.put_record(b"hello", "user-1")
    expected = int.from_bytes(hashlib.md5(b"user-1").digest(), "big")
    shard = stream.shard(r.shard_id)
    assert shard.hash_key_start <= expected <= shard.hash_key_end
    assert len(r.sequence_number) == 56
    it = sim.kinesis.get_shard_iterator("orders", r.shard_id, "TRIM_HORIZON")
    out = sim.kinesis.get_records(it)
    assert [(x.data, x.partition_key, x.sequence_number) for x in out.records] == [
        (b"hello", "user-1", r.sequence_number)
    ]
    assert out.millis_behind_latest == 0
    assert out.next_shard_iterator is not None
    assert out.next_shard_iterator != it
    stream._check()


def test_shard_positional_accessors(free_sim: kinesim.Simulator) -> None:
    stream = free_sim.kinesis.create_stream("s", shard_count=1)
    for i in range(5):
        free_sim.advance(0.001)
        stream.put_record(bytes([i]) * i, f"k{i}")
    shard = stream.shards[0]
    assert (shard.trim_index, shard.end_index) == (0, 5)
    assert [shard.data(i) for i in range(5)] == [bytes([i]) * i for i in range(5)]
    assert [shard.partition_key(i) for i in range(5)] == [f"k{i}" for i in range(5)]
    assert [shard.record_size(i) for i in range(5)] == [i + 2 for i in range(5)]
    arrivals = [shard.arrival_ms(i) for i in range(5)]
    assert arrivals == [free_sim.start_ms + 1 + i for i in range(5)]
    numbers = [shard.sequence_number(i) for i in range(5)]
    assert [shard.position_of(n) for n in numbers] == list(range(5))
    records = shard.records(1, 4)
    assert [r.position for r in records] == [1, 2, 3]
    assert [r.sequence_number for r in records] == numbers[1:4]
    with pytest.raises(kinesim.KinesimValueError):
        shard.data(5)


def test_notify_on_arrival_is_scheduled_once(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    shard = stream.shards[0]
    calls: list[tuple[int, int]] = []
    shard.notify_on_arrival(lambda s: calls.append((sim.now_ms, s.end_index)))
    sim.advance(1)
    stream.put_record(b"a", "k")
    assert calls == []  # never inside the put
    stream.put_record(b"b", "k")
    sim.advance(0)
    assert calls == [(sim.start_ms + 1000, 2)]
    stream.put_record(b"c", "k")
    sim.advance(1)
    assert len(calls) == 1  # one-shot


def test_notify_on_arrival_cancel(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    shard = stream.shards[0]
    calls: list[int] = []
    handle = shard.notify_on_arrival(lambda s: calls.append(1))
    stream.put_record(b"a", "k")
    handle.cancel()
    sim.advance(1)
    assert calls == []


def test_read_and_peek(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    shard = stream.shards[0]
    stream.put_records([(b"x" * 10, "k")] * 10)
    assert shard.peek(0, limit=3, max_bytes=10_000) == (0, 3)
    assert shard.peek(0, limit=100, max_bytes=22) == (0, 2)
    read = shard.read(2, limit=100)
    assert (read.start, read.end, read.throttled, read.at_shard_end) == (2, 10, False, False)
    assert read.bytes == 8 * 11
