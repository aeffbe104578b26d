from __future__ import annotations

import pytest

import kinesim

SHARD = "shardId-000000000000"
HOUR = 3600


def test_records_vanish_after_retention_and_positions_land_right(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    shard = stream.shards[0]
    stream.put_record(b"a", "k")  # t = 0
    sim.advance(HOUR)
    stream.put_record(b"b", "k")  # t = 1 h
    sim.advance(HOUR)
    stream.put_record(b"c", "k")  # t = 2 h
    get = sim.kinesis.get_shard_iterator
    old_iterator_position = shard.trim_index
    sim.advance(22 * HOUR - 0.001)  # 1 ms before the first record's expiry
    assert shard.trim_index == 0
    sim.advance(0.001)  # exactly 24 h: "a" is gone
    assert (shard.trim_index, shard.end_index) == (1, 3)
    out = sim.kinesis.get_records(get("s", SHARD, "TRIM_HORIZON"))
    assert [r.data for r in out.records] == [b"b", b"c"]
    # AT_TIMESTAMP older than the trim horizon gives the trim horizon.
    start = sim.start_ms / 1000
    out = sim.kinesis.get_records(get("s", SHARD, "AT_TIMESTAMP", timestamp=start))
    assert [r.data for r in out.records] == [b"b", b"c"]
    out = sim.kinesis.get_records(get("s", SHARD, "AT_TIMESTAMP", timestamp=start + HOUR + 1))
    assert [r.data for r in out.records] == [b"c"]
    # A reader still at the old position sees records start later: it can count the loss.
    read = shard.read(old_iterator_position)
    assert (read.start, read.end) == (1, 3)
    sim.advance(2 * HOUR)
    assert (shard.trim_index, shard.end_index) == (3, 3)
    assert sim.kinesis.get_records(get("s", SHARD, "TRIM_HORIZON")).records == []
    trims = sim.trace.of_kind("kinesis.trim")
    assert [(e.fields["records"], e.fields["trim_index"]) for e in trims] == [
        (1, 1),
        (1, 2),
        (1, 3),
    ]
    assert [e.time_ms - sim.start_ms for e in trims] == [
        24 * 3600_000,
        25 * 3600_000,
        26 * 3600_000,
    ]
    trimmed = sim.metrics.series("kinesim/Kinesis", "TrimmedRecords", StreamName="s")
    assert trimmed.sum() == 3
    stream._check()


def test_no_timer_while_empty_and_one_per_expiry(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=4)
    assert sim.pending == 0  # idle streams cost nothing
    stream.put_records([(b"x", "k")] * 100)
    assert sim.pending == 1
    sim.advance(30 * HOUR)
    assert sim.pending == 0
    assert len(sim.trace.of_kind("kinesis.trim")) == 1


def test_trimming_frees_the_payloads(free_sim: kinesim.Simulator) -> None:
    stream = free_sim.kinesis.create_stream("s", shard_count=1)
    shard = stream.shards[0]
    for _ in range(10):
        stream.put_records([(b"x" * 100, "k")] * 500)
    free_sim.advance(1)
    stream.put_record(b"keep", "k")
    free_sim.advance(24 * HOUR - 0.5)
    assert (shard.trim_index, shard.end_index) == (5000, 5001)
    assert len(shard._data) == 1  # the dead prefix was compacted away
    assert shard.data(5000) == b"keep"
    assert [r.data for r in shard.records(5000, 5001)] == [b"keep"]
    stream._check()


def test_decrease_retention_trims_at_once(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1, retention_hours=48)
    stream.put_record(b"a", "k")
    sim.advance(30 * HOUR)
    stream.put_record(b"b", "k")
    assert stream.shards[0].trim_index == 0
    stream.decrease_retention_period(24)
    assert stream.retention_hours == 24
    assert stream.shards[0].trim_index == 1
    stream.increase_retention_period(100)
    sim.advance(30 * HOUR)
    assert stream.shards[0].trim_index == 1  # increasing does not shorten the new record's life
    stream._check()


def test_increase_retention_does_not_resurrect(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    stream.put_record(b"a", "k")
    sim.advance(25 * HOUR)
    stream.increase_retention_period(168)
    assert stream.shards[0].trim_index == 1


@pytest.mark.parametrize(
    ("method", "hours", "text"),
    [
        (
            "increase_retention_period",
            12,
            "Minimum allowed retention period is 24 hours. "
            "Requested retention period (12 hours) is too short.",
        ),
        (
            "increase_retention_period",
            8761,
            "Maximum allowed retention period is 8760 hours. "
            "Requested retention period (8761 hours) is too long.",
        ),
        (
            "decrease_retention_period",
            48,
            "Requested retention period (48 hours) for stream s can not be longer than existing "
            "retention period (24 hours). Use IncreaseRetentionPeriod API.",
        ),
    ],
)
def test_retention_validation(sim: kinesim.Simulator, method: str, hours: int, text: str) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    with pytest.raises(kinesim.InvalidArgumentException) as info:
        getattr(stream, method)(hours)
    assert info.value.message == text
    assert stream.retention_hours == 24


def test_increase_below_current_is_refused(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1, retention_hours=72)
    with pytest.raises(kinesim.InvalidArgumentException, match="can not be shorter than existing"):
        stream.increase_retention_period(48)


def test_closed_shards_expire(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    stream.put_record(b"a", "k")
    sim.advance(HOUR)
    stream.update_shard_count(2)
    assert [s.closed for s in stream.shards] == [True, False, False]
    sim.advance(23 * HOUR)
    assert stream.shards[0].trim_index == 1
    assert len(stream.shards) == 3  # the closed shard outlives its last record until
    sim.advance(HOUR)  # 24 h after it closed
    assert [s.shard_id for s in stream.shards] == ["shardId-000000000001", "shardId-000000000002"]
    with pytest.raises(kinesim.ResourceNotFoundException):
        stream.shard("shardId-000000000000")
    assert stream.parents_of("shardId-000000000001") == ("shardId-000000000000", None)
    stream._check()


def test_expired_shards_release_their_columns(free_sim: kinesim.Simulator) -> None:
    stream = free_sim.kinesis.create_stream("s", shard_count=1)
    stream.put_records([(b"x", "k")] * 10)
    parent = stream.shards[0]
    stream.split_shard(parent.shard_id, str(2**127))
    free_sim.advance(24 * HOUR)
    assert parent.shard_id not in [s.shard_id for s in stream.shards]
    assert (parent.trim_index, parent.end_index, len(parent._data)) == (10, 10, 0)
    read = parent.read(3)
    assert (read.start, read.end, read.at_shard_end) == (10, 10, True)
    assert [c.shard_id for c in stream.children_of(parent.shard_id)] == [
        "shardId-000000000001",
        "shardId-000000000002",
    ]
    parent._check()
