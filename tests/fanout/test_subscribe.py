"""SubscribeToShard in virtual time: latency, dedicated throughput, lifetime, resubscribing,
shard ends, errors, metrics and trace."""

import contextlib
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim import Limits, ProvisionedThroughputExceededException, Simulator, Timings
from kinesim._api._kinesis_responses import subscribe_to_shard_event as aws_event
from kinesim._kinesis.fanout import (
    EVENT_MAX_BYTES,
    PIPE_BYTES_PER_S,
    SUBSCRIPTION_LIFETIME_MS,
)

SHARD0 = "shardId-000000000000"
MiB = 1024 * 1024


def one_shard(**sim_kwargs):
    sim = Simulator(**sim_kwargs)
    stream = sim.kinesis.create_stream("orders", shard_count=1)
    return sim, stream


def put(stream, data=b"x", key="k"):
    return stream.put_record(data, partition_key=key).sequence_number


def test_fan_out_sees_new_records_sooner_than_a_polling_reader():
    sim, stream = one_shard()
    start_ms = sim.now_ms
    consumer = stream.register_consumer("fast")
    pushed_at = {}
    consumer.subscribe(
        SHARD0,
        "LATEST",
        on_event=lambda event: pushed_at.update(
            dict.fromkeys(event.sequence_numbers(), sim.now_ms)
        ),
    )
    # A shared-throughput reader polling once a second, as Lambda's poller does.
    polled_at = {}
    iterator = sim.kinesis.get_shard_iterator("orders", SHARD0, "LATEST")

    def poll():
        nonlocal iterator
        out = sim.kinesis.get_records(iterator)
        polled_at.update(dict.fromkeys((r.sequence_number for r in out.records), sim.now_ms))
        iterator = out.next_shard_iterator
        sim.call_later(1.0, poll)

    sim.call_later(1.0, poll)
    put_at = {}
    for offset_s in (0.25, 1.5, 2.9, 3.001, 4.6):
        sim.run_until((start_ms / 1000) + offset_s)
        put_at[put(stream)] = sim.now_ms
    sim.advance(2.0)

    push_ms = [pushed_at[s] - t for s, t in put_at.items()]
    poll_ms = [polled_at[s] - t for s, t in put_at.items()]
    assert push_ms == [70, 70, 70, 70, 70]
    assert poll_ms == [750, 500, 100, 999, 400]
    assert max(push_ms) < min(poll_ms)


def _fill_backlog(sim, stream, seconds):
    # 20 records of 51,200 bytes (data + key) a second: 1,024,000 B/s, under the 1 MiB/s write
    # limit of a shard.
    for _ in range(seconds):
        result = stream.put_records([(b"x" * 51_197, f"k{i:02d}") for i in range(20)])
        assert result.failed_record_count == 0
        sim.advance(1.0)


def _polling_reader(sim, every_s=0.2):
    """A GetRecords loop from TRIM_HORIZON at up to 5 calls/s; returns its byte counter."""
    got = {"bytes": 0, "throttled": 0, "reads": []}
    t0 = sim.now_ms
    iterator = sim.kinesis.get_shard_iterator("orders", SHARD0, "TRIM_HORIZON")

    def poll():
        nonlocal iterator
        try:
            out = sim.kinesis.get_records(iterator)
        except kinesim.ProvisionedThroughputExceededException:
            got["throttled"] += 1
        else:
            got["bytes"] += sum(len(r.data) + len(r.partition_key) for r in out.records)
            if out.records:
                got["reads"].append((sim.now_ms - t0, len(out.records)))
            iterator = out.next_shard_iterator
        sim.call_later(every_s, poll)

    poll()
    return got


def _backlog_run(consumers):
    sim, stream = one_shard()
    _fill_backlog(sim, stream, 30)
    t0 = sim.now_ms
    subs = [
        stream.register_consumer(f"c{i}").subscribe(SHARD0, "TRIM_HORIZON")
        for i in range(consumers)
    ]
    reader = _polling_reader(sim)
    sim.advance(9.999)  # the ten seconds [t0, t0 + 10 s)
    return sim, t0, subs, reader


def test_five_fan_out_consumers_each_read_2_mib_per_s_and_polling_keeps_its_share():
    sim, t0, subs, reader = _backlog_run(consumers=5)
    _, _, _, alone = _backlog_run(consumers=0)

    # 20 records (1,024,000 bytes, under the 1 MiB event cap) per event; each event holds the
    # consumer's own pipe for ceil(1,024,000 / 2 MiB/s) = 489 ms.
    gap_ms = -(-1_024_000 * 1000 // PIPE_BYTES_PER_S)
    assert gap_ms == 489
    for sub in subs:
        times = [e.time_ms - t0 for e in sub.events]
        assert times == [70 + k * gap_ms for k in range(len(times))]
        assert len(times) == 21  # 70 + 20 * 489 = 9,850 ms <= 10 s
        assert all(e.bytes == 1_024_000 and e.record_count == 20 for e in sub.events)
        rate = sub.bytes_delivered / 10.0
        assert 0.97 * 2 * MiB <= rate <= 1.03 * 2 * MiB
        events = sim.metrics.series(
            "AWS/Kinesis",
            "SubscribeToShardEvent.Bytes",
            StreamName="orders",
            ConsumerName=sub.consumer.name,
        )
        assert events.sum() == sub.bytes_delivered
    # The polling reader's shared 2 MiB/s is untouched by the five consumers: the same reads at
    # the same times as when it reads alone (10-MiB reads of 204 records, each followed by the
    # shared limit's penalty).
    assert reader == alone
    assert reader["reads"][:2] == [(0, 204), (4000, 204)]


def test_a_subscription_ends_at_five_minutes_and_resubscribing_loses_and_repeats_nothing():
    sim, stream = one_shard()
    consumer = stream.register_consumer("c")
    put_numbers = []

    def produce():
        put_numbers.append(put(stream, data=b"r%d" % len(put_numbers)))
        if sim.now_ms - t0 < 660_000 - 250:
            sim.call_later(0.25, produce)

    got = []
    subs = []

    def subscribe(kind, number=None):
        subs.append(
            consumer.subscribe(
                SHARD0,
                kind,
                sequence_number=number,
                on_event=lambda event: got.extend(event.sequence_numbers()),
                on_end=on_end,
            )
        )

    def on_end(sub):
        # Resubscribe at once after the first expiry, 30 s later after the second.
        delay = 0.0 if len(subs) == 1 else 30.0
        sim.call_later(delay, subscribe, "AFTER_SEQUENCE_NUMBER", sub.continuation_sequence_number)

    t0 = sim.now_ms
    subscribe("TRIM_HORIZON")
    produce()
    sim.advance(11 * 60)
    assert [s.end_reason for s in subs[:2]] == ["EXPIRED", "EXPIRED"]
    assert [s.started_ms - t0 for s in subs] == [0, 300_000, 630_000]
    assert [s.ended_ms - s.started_ms for s in subs[:2]] == [SUBSCRIPTION_LIFETIME_MS] * 2
    assert subs[2].active
    sim.advance(1.0)
    assert got == put_numbers[: len(got)]
    assert len(got) == len(put_numbers) == 11 * 60 * 4
    assert len(set(got)) == len(got)
    # The records put during the 30-s gap came as a backlog right after the resubscribe.
    first_after_gap = subs[2].events[0]
    assert first_after_gap.time_ms - t0 == 630_070
    # Records put at 600.00 s (after the last event of the expired subscription) up to
    # 630.00 s: 121 of them.
    assert first_after_gap.record_count == 121


def test_resubscribing_within_5_s_is_refused_then_takes_over():
    sim, stream = one_shard()
    consumer = stream.register_consumer("c")
    first = consumer.subscribe(SHARD0, "LATEST")
    sim.advance(0.5)
    with pytest.raises(kinesim.LimitExceededException, match="Rate exceeded"):
        consumer.subscribe(SHARD0, "LATEST")
    sim.advance(0.5)
    with pytest.raises(kinesim.ResourceInUseException) as info:
        consumer.subscribe(SHARD0, "LATEST")
    assert info.value.message == (
        f"Another active subscription exists for this consumer: {consumer.arn}"
    )
    sim.advance(3.0)
    with pytest.raises(kinesim.ResourceInUseException):
        consumer.subscribe(SHARD0, "LATEST")
    assert first.active
    sim.advance(1.0)  # 5 s after the successful call, 1 s after the last refused one
    second = consumer.subscribe(SHARD0, "LATEST")
    assert first.end_reason == "REPLACED"
    assert first.ended_ms == sim.now_ms
    assert consumer.subscription(SHARD0) is second
    number = put(stream)
    sim.advance(1.0)
    assert [e.sequence_numbers() for e in second.events if e.record_count] == [[number]]
    assert all(e.record_count == 0 for e in first.events)

    dims = {"StreamName": "orders", "ConsumerName": "c"}
    rate = sim.metrics.series("AWS/Kinesis", "SubscribeToShard.RateExceeded", **dims)
    success = sim.metrics.series("AWS/Kinesis", "SubscribeToShard.Success", **dims)
    assert rate.values() == [1, 1, 1]
    assert success.values() == [1, 0, 0, 0, 1]
    errors = [e.fields["error"] for e in sim.trace.of_kind("efo.subscribe")]
    assert errors == [
        None,
        "LimitExceededException",
        "ResourceInUseException",
        "ResourceInUseException",
        None,
    ]


def test_different_shards_and_consumers_do_not_share_the_limits():
    sim = Simulator()
    stream = sim.kinesis.create_stream("orders", shard_count=2)
    a, b = stream.register_consumer("a"), stream.register_consumer("b")
    subs = [
        a.subscribe(SHARD0, "LATEST"),
        a.subscribe("shardId-000000000001", "LATEST"),
        b.subscribe(SHARD0, "LATEST"),
    ]
    assert all(s.active for s in subs)
    assert [s.shard_id for s in a.subscriptions()] == [SHARD0, "shardId-000000000001"]


def test_at_the_end_of_a_split_parent_the_event_carries_the_child_shards():
    sim, stream = one_shard()
    consumer = stream.register_consumer("c")
    sub = consumer.subscribe(SHARD0, "TRIM_HORIZON")
    parent_numbers = [put(stream, key=f"k{i}") for i in range(3)]
    sim.advance(1.0)
    stream.update_shard_count(2)
    sim.advance(1.0)
    children = stream.children_of(SHARD0)
    assert [c.shard_id for c in children] == ["shardId-000000000001", "shardId-000000000002"]
    child_numbers = [put(stream, key=f"k{i}") for i in range(4)]
    sim.advance(1.0)

    assert sub.end_reason == "SHARD_END"
    assert [n for e in sub.events for n in e.sequence_numbers()] == parent_numbers
    last = aws_event(sub.events[-1])
    assert last["ContinuationSequenceNumber"] is None
    assert last["ChildShards"] == [
        {
            "ShardId": "shardId-000000000001",
            "ParentShards": [SHARD0],
            "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(2**127 - 1)},
        },
        {
            "ShardId": "shardId-000000000002",
            "ParentShards": [SHARD0],
            "HashKeyRange": {
                "StartingHashKey": str(2**127),
                "EndingHashKey": str(2**128 - 1),
            },
        },
    ]
    assert all("ChildShards" not in aws_event(e) for e in sub.events[:-1])
    assert sim.trace.of_kind("efo.end")[-1].fields["reason"] == "SHARD_END"

    # The reader moves on to the children and finds the rest.
    got = []
    for child in children:
        child_sub = consumer.subscribe(child.shard_id, "TRIM_HORIZON")
        sim.advance(1.0)
        got += [n for e in child_sub.events for n in e.sequence_numbers()]
    assert sorted(got) == sorted(child_numbers)


def test_subscribing_to_a_closed_shard_read_to_its_end_ends_at_once():
    sim, stream = one_shard()
    number = put(stream)
    stream.update_shard_count(2)
    sim.advance(1.0)
    consumer = stream.register_consumer("c")
    sub = consumer.subscribe(SHARD0, "AFTER_SEQUENCE_NUMBER", sequence_number=number)
    sim.advance(1.0)
    assert sub.end_reason == "SHARD_END"
    assert len(sub.events) == 1
    event = aws_event(sub.events[0])
    assert event["Records"] == []
    assert event["ContinuationSequenceNumber"] is None
    assert [c["ShardId"] for c in event["ChildShards"]] == [
        "shardId-000000000001",
        "shardId-000000000002",
    ]


def test_starting_positions():
    sim, stream = one_shard()
    numbers = []
    for _ in range(5):
        numbers.append(put(stream))
        sim.advance(1.0)
    t2 = sim.now_ms - 3000  # when the third record arrived
    cases = [
        ({"Type": "TRIM_HORIZON"}, numbers),
        ({"Type": "LATEST"}, []),
        ({"Type": "AT_SEQUENCE_NUMBER", "SequenceNumber": numbers[1]}, numbers[1:]),
        ({"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": numbers[1]}, numbers[2:]),
        ({"Type": "AT_TIMESTAMP", "Timestamp": t2 / 1000}, numbers[2:]),
        ({"Type": "AT_TIMESTAMP", "Timestamp": (t2 - 1) / 1000}, numbers[2:]),
        ({"Type": "AT_TIMESTAMP", "Timestamp": (t2 + 1) / 1000}, numbers[3:]),
        ({"Type": "AT_TIMESTAMP", "Timestamp": 0}, numbers),
    ]
    for i, (position, expected) in enumerate(cases):
        sub = stream.register_consumer(f"c{i}").subscribe(SHARD0, position)
        sim.advance(0.1)
        assert [n for e in sub.events for n in e.sequence_numbers()] == expected, position


def test_the_first_event_comes_at_once_even_without_records():
    sim, stream = one_shard()
    first = put(stream)
    consumer = stream.register_consumer("c")
    sub = consumer.subscribe(SHARD0, "LATEST")
    sim.advance(0.069)
    assert sub.events == []
    sim.advance(0.001)
    assert [aws_event(e) for e in sub.events] == [
        {"Records": [], "ContinuationSequenceNumber": first, "MillisBehindLatest": 0}
    ]


def test_event_shape_and_millis_behind_latest():
    sim, stream = one_shard()
    numbers = [put(stream, data=b"a", key="k1")]
    sim.advance(2.0)
    numbers.append(put(stream, data=b"bb", key="k2"))
    consumer = stream.register_consumer("c")
    sub = consumer.subscribe(SHARD0, "TRIM_HORIZON")
    sim.advance(1.0)
    [event] = [aws_event(e) for e in sub.events]
    assert event["ContinuationSequenceNumber"] == numbers[1]
    assert event["MillisBehindLatest"] == 0
    records = event["Records"]
    assert [r["SequenceNumber"] for r in records] == numbers
    assert [(r["Data"], r["PartitionKey"]) for r in records] == [(b"a", "k1"), (b"bb", "k2")]
    assert records[0]["ApproximateArrivalTimestamp"].timestamp() == (sim.now_ms - 3000) / 1000
    behind = sim.metrics.series(
        "AWS/Kinesis",
        "SubscribeToShardEvent.MillisBehindLatest",
        StreamName="orders",
        ConsumerName="c",
    )
    # now - arrival of the event's last record: pushed 70 ms after the second put.
    assert behind.values() == [70]


def test_millis_behind_latest_while_catching_up():
    sim, stream = one_shard()
    _fill_backlog(sim, stream, 4)
    sub = stream.register_consumer("c").subscribe(SHARD0, "TRIM_HORIZON")
    sim.advance(3.0)
    behind = [e.millis_behind_latest for e in sub.events]
    # Event k pushes the records of second k; the next unpushed record arrived at second k+1.
    t0 = sub.started_ms
    assert behind[:3] == [sub.events[k].time_ms - (t0 - 4000 + (k + 1) * 1000) for k in range(3)]
    assert behind[-1] == 0


def test_errors_for_unknown_shards_and_bad_starting_positions():
    sim = Simulator()
    stream = sim.kinesis.create_stream("orders", shard_count=2)
    other = stream.put_record(b"x", partition_key="k", explicit_hash_key=str(2**128 - 1))
    assert other.shard_id == "shardId-000000000001"
    consumer = stream.register_consumer("c")
    with pytest.raises(kinesim.ResourceNotFoundException) as info:
        consumer.subscribe("shardId-000000000009", "LATEST")
    assert info.value.message == (
        "Shard shardId-000000000009 in stream orders under account 123456789012 does not exist"
    )
    with pytest.raises(kinesim.ValidationException, match="'shardId'"):
        consumer.subscribe("shard 1", "LATEST")
    with pytest.raises(kinesim.InvalidArgumentException) as info:
        consumer.subscribe(SHARD0, "AT_SEQUENCE_NUMBER")
    assert info.value.message == (
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
        "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
        "Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber."
    )
    with pytest.raises(kinesim.InvalidArgumentException) as info:
        consumer.subscribe(SHARD0, "AT_SEQUENCE_NUMBER", sequence_number=other.sequence_number)
    assert info.value.message == (
        "Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in "
        "a call to a shard with shardId-000000000000"
    )
    with pytest.raises(kinesim.InvalidArgumentException, match="timestampInMillis parameter for"):
        consumer.subscribe(SHARD0, {"Type": "AT_TIMESTAMP"})
    with pytest.raises(kinesim.InvalidArgumentException, match="cannot be greater than"):
        consumer.subscribe(SHARD0, "AT_TIMESTAMP", timestamp=sim.now + 10)
    with pytest.raises(kinesim.ValidationException, match="enum value set"):
        consumer.subscribe(SHARD0, {"Type": "OLDEST"})
    with pytest.raises(kinesim.ResourceNotFoundException):
        sim.kinesis.subscribe_to_shard(consumer.arn + "0", SHARD0, {"Type": "LATEST"})
    # None of the refused calls counted against the one-call-a-second limit.
    assert sim.kinesis.subscribe_to_shard(consumer.arn, SHARD0, {"Type": "LATEST"}).active
    assert sim.trace.of_kind("efo.subscribe")[-1].fields["error"] is None


def test_an_idle_subscription_schedules_nothing():
    sim, stream = one_shard()
    sub = stream.register_consumer("c").subscribe(SHARD0, "LATEST")
    sim.advance(1.0)
    pending = sim.pending
    sim.advance(290.0)
    assert sim.pending <= pending
    assert len(sub.events) == 1
    number = put(stream)
    sim.advance(0.07)
    assert sub.events[-1].sequence_numbers() == [number]


def test_pause_and_resume():
    sim, stream = one_shard()
    sub = stream.register_consumer("c").subscribe(SHARD0, "LATEST")
    sim.advance(1.0)
    sub.pause()
    numbers = [put(stream) for _ in range(3)]
    sim.advance(5.0)
    assert len(sub.events) == 1
    sub.resume()
    sim.advance(0.0)
    assert sub.events[-1].sequence_numbers() == numbers


def test_cancel_ends_it_and_the_pipe_is_not_shared_with_polling_when_throughput_is_off():
    sim, stream = one_shard(limits=Limits(kinesis_throughput=False))
    _fill_backlog(sim, stream, 5)
    sub = stream.register_consumer("c").subscribe(SHARD0, "TRIM_HORIZON")
    sim.advance(0.15)
    # No pipe limit: the backlog goes as fast as events may follow each other (20 ms), still in
    # events of at most 1 MiB.
    assert sub.records_delivered == 100
    assert [e.time_ms - sub.started_ms for e in sub.events] == [70, 90, 110, 130, 150]
    assert all(e.bytes <= EVENT_MAX_BYTES for e in sub.events)
    sub.cancel()
    sub.cancel()
    assert sub.end_reason == "CANCELLED"
    assert [e.fields["reason"] for e in sim.trace.of_kind("efo.end")] == ["CANCELLED"]


def test_metrics_and_trace():
    sim, stream = one_shard()
    sub = stream.register_consumer("c").subscribe(SHARD0, "LATEST")
    put(stream, data=b"12345", key="kk")
    sim.advance(0.5)
    put(stream, data=b"123", key="k")
    put(stream, data=b"1", key="k")
    sim.advance(1.0)
    dims = {"StreamName": "orders", "ConsumerName": "c"}
    series = sim.metrics.series
    # The first record arrived with the subscribe call: the first event carries it.
    assert series("AWS/Kinesis", "SubscribeToShardEvent.Records", **dims).values() == [1, 2]
    assert series("AWS/Kinesis", "SubscribeToShardEvent.Bytes", **dims).values() == [7, 6]
    assert series("AWS/Kinesis", "SubscribeToShardEvent.Success", **dims).sum() == 2
    assert series("AWS/Kinesis", "SubscribeToShard.Success", **dims).values() == [1]
    events = sim.trace.of_kind("efo.event")
    assert [(e.fields["start"], e.fields["end"], e.fields["bytes"]) for e in events] == [
        (0, 1, 7),
        (1, 3, 6),
    ]
    assert [e.time_ms - sub.started_ms for e in events] == [70, 570]
    [subscribe] = sim.trace.of_kind("efo.subscribe")
    assert subscribe.fields == {
        "consumer": "c",
        "shard": SHARD0,
        "starting_position": "LATEST",
        "position": 0,
        "replaced": False,
        "error": None,
    }


def _scenario(seed_puts, gaps_ms):
    sim, stream = one_shard()
    consumer = stream.register_consumer("c")
    numbers = []

    def put_unless_throttled(size):
        # Generated puts can pass the shard's 1 MiB/s write limit; a refused record is not in
        # the stream, so the subscription must not deliver it either.
        with contextlib.suppress(ProvisionedThroughputExceededException):
            numbers.append(put(stream, b"x" * size))

    for delay_ms, size in seed_puts:
        sim.call_later_ms(delay_ms, put_unless_throttled, size)
    got = []
    subs = []
    gaps = list(gaps_ms)

    def on_end(sub):
        if sub.end_reason == "EXPIRED":
            sim.call_later_ms(gaps.pop(0) if gaps else 0, resubscribe, sub)

    def resubscribe(sub):
        subs.append(
            consumer.subscribe(
                SHARD0,
                "AFTER_SEQUENCE_NUMBER",
                sequence_number=sub.continuation_sequence_number,
                on_event=lambda e: got.extend(e.sequence_numbers()),
                on_end=on_end,
            )
        )

    subs.append(
        consumer.subscribe(
            SHARD0,
            "TRIM_HORIZON",
            on_event=lambda e: got.extend(e.sequence_numbers()),
            on_end=on_end,
        )
    )
    sim.advance(1500.0)
    return sim, numbers, got, subs


@settings(max_examples=25, deadline=None)
@given(
    seed_puts=st.lists(st.tuples(st.integers(0, 1_200_000), st.integers(0, 300_000)), max_size=40),
    gaps_ms=st.lists(st.integers(0, 100_000), max_size=4),
)
def test_resubscribing_from_the_continuation_number_is_lossless(seed_puts, gaps_ms):
    _sim, numbers, got, subs = _scenario(seed_puts, gaps_ms)
    assert got == numbers
    for sub in subs:
        sub._check()
        events = sub.events
        for a, b in itertools.pairwise(events):
            # Never faster than the consumer's own 2 MiB/s pipe.
            assert b.time_ms - a.time_ms >= a.bytes * 1000 // PIPE_BYTES_PER_S
            assert a.bytes <= EVENT_MAX_BYTES or a.record_count == 1


def test_same_calls_same_trace_in_another_process_and_hash_seed():
    digest = _scenario([(i * 977, i * 10) for i in range(30)], [5000])[0].trace.digest()
    script = (
        "from tests.fanout.test_subscribe import _scenario\n"
        "print(_scenario([(i * 977, i * 10) for i in range(30)], [5000])[0].trace.digest())"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env={**os.environ, "PYTHONHASHSEED": "4242"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == digest


def test_push_latency_is_a_timing():
    sim, stream = one_shard(timings=Timings(efo_push_latency_s=0.25))
    sub = stream.register_consumer("c").subscribe(SHARD0, "LATEST")
    sim.advance(1.0)
    put(stream)
    sim.advance(0.249)
    assert len(sub.events) == 1
    sim.advance(0.001)
    assert len(sub.events) == 2


def test_resuming_after_a_trimmed_record_skips_what_retention_dropped():
    sim, stream = one_shard()
    consumer = stream.register_consumer("c")
    first = consumer.subscribe(SHARD0, "TRIM_HORIZON")
    read = [put(stream) for _ in range(2)]
    sim.advance(1.0)
    assert first.continuation_sequence_number == read[-1]
    first.cancel()
    unread = put(stream)
    sim.advance(25 * 3600.0)  # past the 24-h retention: all three records are trimmed
    new = put(stream)
    sub = consumer.subscribe(
        SHARD0, "AFTER_SEQUENCE_NUMBER", sequence_number=first.continuation_sequence_number
    )
    sim.advance(1.0)
    # The unread record expired before anyone asked for it; the new one comes.
    assert [n for e in sub.events for n in e.sequence_numbers()] == [new]
    assert unread not in [n for e in sub.events for n in e.sequence_numbers()]
    stream.consumers._check()


def test_describing_a_consumer_of_a_deleted_stream():
    sim, stream = one_shard()
    consumer = stream.register_consumer("c")
    sim.kinesis.delete_stream("orders", enforce_consumer_deletion=True)
    with pytest.raises(kinesim.ResourceNotFoundException) as info:
        sim.kinesis.subscribe_to_shard(consumer.arn, SHARD0, {"Type": "LATEST"})
    assert info.value.message == (
        "Consumer c under stream orders under account 123456789012 not found."
    )


def test_records_arriving_close_together_share_events_20_ms_apart():
    sim, stream = one_shard()
    sub = stream.register_consumer("c").subscribe(SHARD0, "LATEST")
    sim.advance(1.0)
    put_at = {}
    for _ in range(200):  # a record every 5 ms for a second
        put_at[put(stream)] = sim.now_ms
        sim.advance(0.005)
    sim.advance(1.0)
    events = [e for e in sub.events if e.record_count]
    assert {b.time_ms - a.time_ms for a, b in itertools.pairwise(events)} == {20}
    # Events at 70 ms after the first put, then every 20 ms with the records that arrived at
    # least 70 ms before.
    assert [e.record_count for e in events] == [1] + [4] * 49 + [3]
    delays = [e.time_ms - put_at[n] for e in events for n in e.sequence_numbers()]
    assert min(delays) == 70
    assert max(delays) <= 70 + 20
    assert sum(e.record_count for e in events) == 200


def test_with_no_event_interval_each_arrival_gets_its_own_event():
    sim, stream = one_shard(timings=Timings(efo_event_interval_s=0))
    sub = stream.register_consumer("c").subscribe(SHARD0, "LATEST")
    sim.advance(1.0)
    for _ in range(3):
        put(stream)
        sim.advance(0.005)
    sim.advance(1.0)
    events = [e for e in sub.events if e.record_count]
    assert [e.time_ms - sub.started_ms for e in events] == [1070, 1075, 1080]


def test_records_written_encrypted_say_so():
    sim, stream = one_shard()
    sub = stream.register_consumer("c").subscribe(SHARD0, "LATEST")
    put(stream)
    stream.start_encryption("alias/aws/kinesis")
    sim.advance(1.0)
    put(stream)
    sim.advance(1.0)
    records = [r for event in [aws_event(e) for e in sub.events] for r in event["Records"]]
    assert [r.get("EncryptionType") for r in records] == [None, "KMS"]
