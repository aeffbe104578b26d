"""Stalls, throttles, bisect, the 6 MiB cut, retention loss, drain and IteratorAge."""

from __future__ import annotations

from typing import Any

import pytest
from esm_helpers import Recorder, datas, put, setup

import kinesim


def _shard_of(stream: Any, key: str) -> str:
    return str(stream.shard_for_key(key).shard_id)


def test_poison_record_stalls_its_shard_until_retention_drops_it() -> None:
    handler = Recorder(fail_on={"poison"})
    sim, stream, fn = setup(handler, shards=2)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    keys = [f"k{i}" for i in range(40)]
    bad_shard = _shard_of(stream, "k0")
    bad_keys = [k for k in keys if _shard_of(stream, k) == bad_shard]
    good_keys = [k for k in keys if _shard_of(stream, k) != bad_shard]
    assert good_keys
    stream.put_record(b"poison", bad_keys[0])
    sim.advance(2)
    for i in range(3):
        stream.put_record(f"behind-{i}".encode(), bad_keys[0])
    sim.advance(3)
    for i in range(5):
        stream.put_record(f"good-{i}".encode(), good_keys[0])
    sim.advance(3600)
    delivered = handler.delivered()
    assert [f"good-{i}" for i in range(5)] == [d for d in delivered if d.startswith("good")]
    assert set(delivered) == {"poison"} | {f"good-{i}" for i in range(5)}
    ages = sim.metrics.series("AWS/Lambda", "IteratorAge", FunctionName="f").values()
    stalled = [a for a in ages if a > 10_000]
    assert stalled == sorted(stalled)
    assert stalled[-1] > 3_000_000  # about an hour old, and growing with virtual time

    with pytest.raises(kinesim.NotDrained) as info:
        sim.drain(timeout=60)
    text = str(info.value)
    assert bad_shard in text
    assert "4 record(s)" in text
    assert "retrying a failing batch" in text
    assert " since 2026-01-01T00:00:00.000Z" in text

    sim.advance(24 * 3600)
    fates = esm.ledger.fates()
    assert fates == {"succeeded": 5, "expired": 4}
    assert esm.ledger.unresolved() == []
    assert esm.records_expired == 4
    discards = [e for e in sim.trace.of_kind("esm.discard") if e.fields["condition"] == "expired"]
    assert sum(e.fields["count"] for e in discards) == 4
    esm._check()


def test_reserved_concurrency_zero_delays_but_never_discards() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    queue = sim.sqs.create_queue("dlq")
    sim.lambda_.put_function_concurrency(fn, 0)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        max_retry_attempts=0,
        max_record_age=3600,
        on_failure=queue,
    )
    put(stream, [f"r{i}" for i in range(5)])
    sim.advance(1800)
    assert handler.events == []
    assert esm.ledger.fates() == {}
    assert len(esm.ledger.deliveries(("shardId-000000000000", 0))) == 0
    throttles = sim.metrics.series("kinesim/EventSourceMapping", "InvokeThrottles", UUID=esm.uuid)
    assert throttles.count() > 10
    sim.lambda_.delete_function_concurrency(fn)
    sim.drain()
    assert handler.batches == [[f"r{i}" for i in range(5)]]
    assert esm.ledger.fates() == {"succeeded": 5}
    assert queue.json_bodies() == []


def test_throttled_past_max_age_goes_to_the_destination() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    queue = sim.sqs.create_queue("dlq")
    sim.lambda_.put_function_concurrency(fn, 0)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", max_record_age=60, on_failure=queue
    )
    put(stream, ["x"])
    sim.advance(300)
    (body,) = queue.json_bodies()
    assert body["requestContext"]["condition"] == "RecordAgeExceeded"
    assert body["requestContext"]["approximateInvokeCount"] == 1
    assert esm.ledger.fates() == {"RecordAgeExceeded": 1}


def test_bisect_isolates_one_poison_record_out_of_100() -> None:
    handler = Recorder(fail_on={"r37"})
    sim, stream, fn = setup(handler)
    queue = sim.sqs.create_queue("dlq")
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=100,
        bisect_on_error=True,
        max_retry_attempts=2,
        on_failure=queue,
    )
    seqs = stream.put_records([(f"r{i}".encode(), "k") for i in range(100)]).records
    sim.drain()
    (body,) = queue.json_bodies()
    info = body["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == seqs[37].sequence_number
    assert body["requestContext"]["approximateInvokeCount"] == 3  # 1 + max_retry_attempts
    assert esm.ledger.fates() == {"succeeded": 99, "RetryAttemptsExhausted": 1}
    succeeded_once = [
        d for d in handler.delivered() if d != "r37" and handler.delivered().count(d) >= 1
    ]
    assert set(succeeded_once) == {f"r{i}" for i in range(100)} - {"r37"}
    reasons = [d.reason for d in esm.ledger.deliveries(seqs[37].sequence_number)]
    assert reasons[0] == "first"
    assert reasons[-3:] == ["bisect", "retry", "retry"]
    assert len(sim.trace.of_kind("esm.bisect")) == 6  # 100 -> 50 -> 25 -> 13 -> 6 -> 3 -> 1
    # Batches reach the handler in order: each batch ascending, starts never go back.
    firsts = [int(b[0][1:]) for b in handler.batches]
    assert firsts == sorted(firsts)
    esm._check()


def test_batch_is_cut_before_six_mib() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=10_000
    )
    blob = b"x" * 1_000_000
    for _ in range(6):
        stream.put_record(blob, "k")
        sim.advance(1.1)  # stay inside the shard's 1 MiB/s write limit
    sim.drain()
    sizes = [len(b) for b in handler.batches]
    assert sum(sizes) == 6
    assert max(sizes) <= 4  # 4 records of 1 MB are ~5.3 MiB of event; 5 would pass 6 MiB
    for invocation in fn.invocations:
        assert invocation.payload_size <= 6 * 1024 * 1024


def test_six_mib_cut_when_the_records_are_all_there() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    for _ in range(6):
        stream.put_record(b"y" * 1_000_000, "k")
        sim.advance(1.1)
    sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=10_000
    )
    sim.drain()
    assert [len(b) for b in handler.batches] == [4, 2]


def test_batching_window_waits_after_the_previous_invocation() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=10, batching_window=5
    )
    sim.advance(0)
    for i in range(3):
        put(stream, [f"r{i}"])
        sim.advance(1)
    sim.advance(10)
    # The window opened when the mapping started: records 0-2 wait for it, then go together.
    assert handler.batches == [["r0", "r1", "r2"]]
    assert fn.invocations[0].start_ms - sim.start_ms == 5000


def test_idle_poller_cadence_first_read_at_the_next_slot() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    sim.advance(10.25)  # polls at 0 s, then idle (no timers while idle)
    pending_before = sim.pending
    put(stream, ["x"])
    sim.advance(5)
    assert pending_before <= 1
    assert fn.invocations[0].start_ms - sim.start_ms == 11_000


def test_iterator_age_is_the_last_records_age_when_the_batch_finishes() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler, duration=2.0)
    sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    put(stream, ["a"])
    sim.advance(0.5)
    put(stream, ["b"])
    sim.drain()
    ages = sim.metrics.series("AWS/Lambda", "IteratorAge", FunctionName="f").values()
    # batch [a] read at 0, done at 2 s: age 2000; batch [b] (arrived 0.5) read at 2, done at 4.
    assert ages == [2000, 3500]


def test_refused_destination_delivery_is_dropped_and_counted() -> None:
    # A Kinesis invocation record carries no records, so it never reaches SQS's or SNS's size
    # limit; a deleted queue exercises the same path: the send fails, it is counted, and the
    # poller moves on.
    handler = Recorder(fail_on={"x"})
    sim, stream, fn = setup(handler)
    queue = sim.sqs.create_queue("dlq")
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", max_retry_attempts=0, on_failure=queue
    )
    sim.sqs.delete_queue(queue)
    put(stream, ["x", "ok"])
    sim.drain()
    assert esm.destination_delivery_failures == 1
    failures = sim.metrics.series("AWS/Lambda", "DestinationDeliveryFailures", FunctionName="f")
    assert failures.sum() == 1
    assert esm.ledger.fates() == {"RetryAttemptsExhausted": 2}
    assert datas(handler.events[0]) == ["x", "ok"]
    (discard,) = sim.trace.of_kind("esm.discard")
    assert discard.fields["delivered"] is False


def test_drain_returns_virtual_seconds_and_times_out_with_reasons() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler, duration=0.2)
    sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=10
    )
    put(stream, [f"r{i}" for i in range(30)])
    assert sim.drain() == pytest.approx(0.6)
    assert len(handler.delivered()) == 30
    assert sim.drain() == 0.0


def test_retention_trims_records_while_disabled_and_they_are_lost() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    sim.advance(1)
    sim.lambda_.update_event_source_mapping(esm, enabled=False)
    sim.advance(1)
    put(stream, ["a", "b"])
    sim.advance(25 * 3600)
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    put(stream, ["c"])
    sim.drain()
    assert handler.delivered() == ["c"]
    assert esm.ledger.fates() == {"expired": 2, "succeeded": 1}
