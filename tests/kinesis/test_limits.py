from __future__ import annotations

import pytest

import kinesim

MIB = 1024 * 1024


def one_shard(sim: kinesim.Simulator) -> kinesim.Stream:
    return sim.kinesis.create_stream("s", shard_count=1)


def test_exactly_1000_one_byte_records_fit_in_one_virtual_second(sim: kinesim.Simulator) -> None:
    stream = one_shard(sim)
    sim.advance(0.2)  # not at a window boundary: the window is the virtual second
    for i in range(1000):
        stream.put_record(b"x", "k")
        if i % 100 == 99 and i < 999:
            sim.advance_ms(50)  # spread over t = 0.2 .. 0.65 s
    with pytest.raises(kinesim.ProvisionedThroughputExceededException) as info:
        stream.put_record(b"x", "k")
    assert info.value.message == (
        "Rate exceeded for shard shardId-000000000000 in stream s under account 123456789012."
    )
    assert info.value.http_status == 400
    sim.advance_ms(349)  # t = 0.999 s: still the same second
    with pytest.raises(kinesim.ProvisionedThroughputExceededException):
        stream.put_record(b"x", "k")
    sim.advance_ms(1)  # t = 1.000 s: the next second accepts again
    stream.put_record(b"x", "k")
    assert stream.shards[0].end_index == 1001
    series = sim.metrics.series("AWS/Kinesis", "WriteProvisionedThroughputExceeded", StreamName="s")
    assert series.sum() == 2
    assert sim.metrics.series("AWS/Kinesis", "IncomingRecords", StreamName="s").sum() == 1001


def test_exactly_one_mib_fits_in_one_virtual_second(sim: kinesim.Simulator) -> None:
    stream = one_shard(sim)
    # 16 records of 64 KiB each, partition key included: exactly 1 MiB.
    for _ in range(16):
        stream.put_record(b"x" * (64 * 1024 - 1), "k")
    with pytest.raises(kinesim.ProvisionedThroughputExceededException):
        stream.put_record(b"", "k")  # one more byte (the key)
    sim.advance(1)
    stream.put_record(b"x" * (MIB - 1), "k")  # a whole MiB in the next second
    with pytest.raises(kinesim.ProvisionedThroughputExceededException):
        stream.put_record(b"", "k")
    assert sim.metrics.series("AWS/Kinesis", "IncomingBytes", StreamName="s").sum() == 2 * MIB


def test_put_records_marks_only_throttled_entries_in_request_order(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=2)
    hot = stream.shards[0]
    hot_key = next(f"k{i}" for i in range(100) if stream.shard_for_key(f"k{i}") is hot)
    cold_key = next(f"k{i}" for i in range(100) if stream.shard_for_key(f"k{i}") is not hot)
    stream.put_records([(b"x", hot_key)] * 499)
    stream.put_records([(b"x", hot_key)] * 499)
    entries = [
        (b"a", hot_key),
        (b"b", cold_key),
        (b"c", hot_key),
        (b"d", hot_key),
        (b"e", cold_key),
    ]
    result = stream.put_records(entries)
    assert result.failed_record_count == 1
    codes = [e.error_code for e in result.records]
    assert codes == [None, None, None, "ProvisionedThroughputExceededException", None]
    failed = result.records[3]
    assert failed.sequence_number is None
    assert failed.shard_id is None
    assert failed.error_message == (
        f"Rate exceeded for shard {hot.shard_id} in stream s under account 123456789012."
    )
    assert [e.shard_id for e in result.records if e.ok] == [
        hot.shard_id,
        stream.shard_for_key(cold_key).shard_id,
        hot.shard_id,
        stream.shard_for_key(cold_key).shard_id,
    ]
    assert hot.end_index == 1000
    throttled = sim.metrics.series("AWS/Kinesis", "PutRecords.ThrottledRecords", StreamName="s")
    assert throttled.values() == [0, 0, 1]


def test_limits_can_be_switched_off(free_sim: kinesim.Simulator) -> None:
    stream = free_sim.kinesis.create_stream("s", shard_count=1)
    for _ in range(5):
        stream.put_records([(b"x" * 1000, "k")] * 500)
    assert stream.shards[0].end_index == 2500
    shard = stream.shards[0]
    reads = [shard.read(0, limit=10) for _ in range(20)]
    assert not any(r.throttled for r in reads)


def test_six_readers_polling_one_shard_see_read_throttling(sim: kinesim.Simulator) -> None:
    stream = one_shard(sim)
    stream.put_record(b"x", "k")
    iterators = [
        sim.kinesis.get_shard_iterator("s", "shardId-000000000000", "TRIM_HORIZON")
        for _ in range(6)
    ]
    throttled_at: list[tuple[int, int]] = []
    messages: list[str] = []
    for second in range(3):
        for reader in range(6):
            try:
                out = sim.kinesis.get_records(iterators[reader])
            except kinesim.ProvisionedThroughputExceededException as error:
                messages.append(error.message)
                throttled_at.append((second, reader))
            else:
                assert out.next_shard_iterator is not None
                iterators[reader] = out.next_shard_iterator
        sim.advance(1)
    assert throttled_at == [(0, 5), (1, 5), (2, 5)]
    assert set(messages) == {
        "Rate exceeded for shard shardId-000000000000 in stream s under account 123456789012."
    }
    series = sim.metrics.series("AWS/Kinesis", "ReadProvisionedThroughputExceeded", StreamName="s")
    assert series.sum() == 3
    assert len(sim.trace.of_kind("kinesis.throttle")) == 3


def test_reading_10_mib_blocks_the_shard_for_5_seconds() -> None:
    sim = kinesim.Simulator(limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("s", shard_count=1, max_record_size_kib=1024)
    stream.put_records([(b"x" * (MIB - 1), "k")] * 10)  # 10 MiB, written without limits
    sim.limits = kinesim.Limits()  # now read with the limits on
    shard = stream.shards[0]
    first = shard.read(0)
    assert (first.end - first.start, first.bytes) == (10, 10 * MIB)
    outcomes = []
    for _ in range(6):
        sim.advance(1)
        outcomes.append(shard.read(10).throttled)
    # Throttled within the next 5 seconds (t = 1..4 s), admitted again at t = 5 s.
    assert outcomes == [True, True, True, True, False, False]


def test_read_of_2_mib_uses_the_second(sim: kinesim.Simulator) -> None:
    stream = one_shard(sim)
    stream.put_record(b"x" * (MIB - 1), "k")
    sim.advance(1)
    stream.put_record(b"x" * (MIB - 1), "k")
    shard = stream.shards[0]
    assert shard.read(0).bytes == 2 * MIB
    assert shard.read(2).throttled
    sim.advance(1)
    assert not shard.read(2).throttled


def test_throttled_read_returns_no_records_and_charges_nothing(sim: kinesim.Simulator) -> None:
    stream = one_shard(sim)
    stream.put_records([(b"x", "k")] * 10)
    shard = stream.shards[0]
    results = [shard.read(0, limit=1) for _ in range(7)]
    assert [r.throttled for r in results] == [False] * 5 + [True] * 2
    assert all(r.start == r.end == 0 for r in results[5:])
    sim.advance(1)
    assert [shard.read(0, limit=1).throttled for _ in range(6)] == [False] * 5 + [True]


def test_on_demand_shards_have_the_same_per_shard_limits() -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("od", mode="ON_DEMAND")
    assert len(stream.shards) == 4
    for _ in range(2):
        assert stream.put_records([(b"x", "same")] * 500).failed_record_count == 0
    with pytest.raises(kinesim.ProvisionedThroughputExceededException):
        stream.put_record(b"x", "same")
