from __future__ import annotations

from datetime import datetime, timezone

import pytest

import kinesim

SHARD = "shardId-000000000000"


@pytest.fixture
def stream(sim: kinesim.Simulator) -> kinesim.Stream:
    return sim.kinesis.create_stream("s", shard_count=1)


def test_iterator_works_at_299_s_and_fails_at_301_s(
    sim: kinesim.Simulator, stream: kinesim.Stream
) -> None:
    stream.put_record(b"x", "k")
    early = sim.kinesis.get_shard_iterator("s", SHARD, "TRIM_HORIZON")
    late = sim.kinesis.get_shard_iterator("s", SHARD, "TRIM_HORIZON")
    sim.advance(299)
    assert [r.data for r in sim.kinesis.get_records(early).records] == [b"x"]
    sim.advance(1)  # exactly 300 s: still within the tolerated delay
    assert len(sim.kinesis.get_records(late).records) == 1
    sim.advance(1)  # 301 s
    with pytest.raises(kinesim.ExpiredIteratorException) as info:
        sim.kinesis.get_records(early)
    assert info.value.message == (
        "Iterator expired. The iterator was created at time Thu Jan 01 00:00:00 UTC 2026 while "
        "right now it is Thu Jan 01 00:05:01 UTC 2026 which is further in the future than the "
        "tolerated delay of 300000 milliseconds."
    )


def test_next_iterator_is_new_and_fresh(sim: kinesim.Simulator, stream: kinesim.Stream) -> None:
    it = sim.kinesis.get_shard_iterator("s", SHARD, "LATEST")
    seen = []
    for _ in range(10):  # 10 x 60 s: each call's NextShardIterator restarts the 5 minutes
        sim.advance(60)
        stream.put_record(b"y", "k")
        out = sim.kinesis.get_records(it)
        assert out.next_shard_iterator is not None
        assert out.next_shard_iterator != it
        seen += [r.data for r in out.records]
        it = out.next_shard_iterator
    assert seen == [b"y"] * 10


def test_empty_get_records_still_returns_a_new_iterator(
    sim: kinesim.Simulator, stream: kinesim.Stream
) -> None:
    it = sim.kinesis.get_shard_iterator("s", SHARD, "LATEST")
    out = sim.kinesis.get_records(it)
    assert out.records == []
    assert out.next_shard_iterator is not None
    assert out.next_shard_iterator != it
    assert out.millis_behind_latest == 0


def test_iterator_in_quotes_is_accepted(sim: kinesim.Simulator, stream: kinesim.Stream) -> None:
    stream.put_record(b"x", "k")
    it = sim.kinesis.get_shard_iterator("s", SHARD, "TRIM_HORIZON")
    assert len(sim.kinesis.get_records(f'"{it}"').records) == 1


def test_iterators_are_opaque_bounded_and_authenticated(sim: kinesim.Simulator) -> None:
    name = "n" * 128
    sim.kinesis.create_stream(name, shard_count=1)
    it = sim.kinesis.get_shard_iterator(name, SHARD, "TRIM_HORIZON")
    assert 1 <= len(it) <= 512
    forged = it[:-4] + ("AAAA" if it[-4:] != "AAAA" else "BBBB")
    with pytest.raises(kinesim.InvalidArgumentException, match="Invalid ShardIterator"):
        sim.kinesis.get_records(forged)
    other = kinesim.Simulator(seed=1)
    other.kinesis.create_stream(name, shard_count=1)
    with pytest.raises(kinesim.InvalidArgumentException, match="Invalid ShardIterator"):
        other.kinesis.get_records(it)  # foreign: another simulator's key
    same_seed = kinesim.Simulator(seed=0)
    same_seed.kinesis.create_stream(name, shard_count=1)
    assert same_seed.kinesis.get_shard_iterator(name, SHARD, "TRIM_HORIZON") == it
    with pytest.raises(kinesim.ValidationException, match="512"):
        sim.kinesis.get_records("A" * 513)
    with pytest.raises(kinesim.InvalidArgumentException, match="Invalid ShardIterator"):
        sim.kinesis.get_records("not base64!")


def test_at_timestamp_lands_on_the_next_later_record(
    sim: kinesim.Simulator, stream: kinesim.Stream
) -> None:
    for i in range(5):
        stream.put_record(bytes([i]), "k")
        sim.advance(10)
    t0 = sim.start_ms / 1000
    get = sim.kinesis.get_shard_iterator

    def first(ts: float | datetime) -> list[bytes]:
        return [
            r.data
            for r in sim.kinesis.get_records(get("s", SHARD, "AT_TIMESTAMP", timestamp=ts)).records
        ]

    assert first(t0 + 10) == [b"\x01", b"\x02", b"\x03", b"\x04"]
    assert first(t0 + 10.001) == [b"\x02", b"\x03", b"\x04"]
    assert first(datetime(2025, 1, 1, tzinfo=timezone.utc)) == [bytes([i]) for i in range(5)]
    assert first(sim.now) == []
    with pytest.raises(kinesim.InvalidArgumentException) as info:
        get("s", SHARD, "AT_TIMESTAMP", timestamp=sim.now + 1)
    assert info.value.message == (
        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
        f"timestampInMillis: {sim.now_ms + 1000}, currentTimestampInMillis: {sim.now_ms}"
    )


def test_latest_starts_after_the_most_recent_record(
    sim: kinesim.Simulator, stream: kinesim.Stream
) -> None:
    stream.put_record(b"old", "k")
    it = sim.kinesis.get_shard_iterator("s", SHARD, "LATEST")
    stream.put_record(b"new", "k")
    assert [r.data for r in sim.kinesis.get_records(it).records] == [b"new"]


@pytest.mark.parametrize(
    ("kind", "kwargs", "text"),
    [
        (
            "AT_SEQUENCE_NUMBER",
            {},
            "Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.",
        ),
        ("AFTER_SEQUENCE_NUMBER", {}, "Request specified AFTER_SEQUENCE_NUMBER and no"),
        (
            "TRIM_HORIZON",
            {"starting_sequence_number": "1"},
            "Request specified TRIM_HORIZON and also",
        ),
        ("LATEST", {"starting_sequence_number": "1"}, "Request specified LATEST and also"),
        (
            "AT_TIMESTAMP",
            {},
            "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP",
        ),
        ("LATEST", {"timestamp": 1.0}, "only for iterator of type AT_TIMESTAMP"),
    ],
)
def test_wrong_iterator_argument_combinations(
    sim: kinesim.Simulator, stream: kinesim.Stream, kind: str, kwargs: dict[str, object], text: str
) -> None:
    with pytest.raises(kinesim.InvalidArgumentException, match=text):
        sim.kinesis.get_shard_iterator("s", SHARD, kind, **kwargs)  # type: ignore[arg-type]


def test_first_combination_message_is_exactly_aws(
    sim: kinesim.Simulator, stream: kinesim.Stream
) -> None:
    with pytest.raises(kinesim.InvalidArgumentException) as info:
        sim.kinesis.get_shard_iterator("s", SHARD, "AT_SEQUENCE_NUMBER")
    assert info.value.message == (
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
        "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
        "Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber."
    )


def test_unknown_stream_shard_and_type(sim: kinesim.Simulator, stream: kinesim.Stream) -> None:
    with pytest.raises(kinesim.ResourceNotFoundException) as info:
        sim.kinesis.get_shard_iterator("nope", SHARD, "LATEST")
    assert info.value.message == "Stream nope under account 123456789012 not found."
    with pytest.raises(kinesim.ResourceNotFoundException) as info:
        sim.kinesis.get_shard_iterator("s", "shardId-000000000009", "LATEST")
    assert info.value.message == (
        "Shard shardId-000000000009 in stream s under account 123456789012 does not exist"
    )
    with pytest.raises(kinesim.ValidationException, match="enum value set"):
        sim.kinesis.get_shard_iterator("s", SHARD, "OLDEST")


def test_get_records_limit(sim: kinesim.Simulator, stream: kinesim.Stream) -> None:
    stream.put_records([(bytes([i]), "k") for i in range(20)])
    it = sim.kinesis.get_shard_iterator("s", SHARD, "TRIM_HORIZON")
    out = sim.kinesis.get_records(it, limit=7)
    assert [r.data[0] for r in out.records] == list(range(7))
    assert out.millis_behind_latest == 0  # written this very millisecond
    for bad, error in (
        (0, kinesim.ValidationException),
        (10_001, kinesim.InvalidArgumentException),
    ):
        with pytest.raises(error):
            sim.kinesis.get_records(it, limit=bad)


def test_millis_behind_latest(sim: kinesim.Simulator, stream: kinesim.Stream) -> None:
    stream.put_record(b"a", "k")
    sim.advance(2)
    stream.put_record(b"b", "k")
    sim.advance(3)
    out = sim.kinesis.get_records(
        sim.kinesis.get_shard_iterator("s", SHARD, "TRIM_HORIZON"), limit=1
    )
    assert out.millis_behind_latest == 3000  # the next unread record is 3 s old
    out = sim.kinesis.get_records(out.next_shard_iterator or "", limit=1)
    assert out.millis_behind_latest == 0
    age = sim.metrics.series("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", StreamName="s")
    assert age.values() == [5000, 3000]
