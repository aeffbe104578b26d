"""Stalls, throttles, bisect, the 6 MiB cut, retention loss, drain and IteratorAge."""

from __future__ import annotations

import base64
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


def test_reshard_under_a_mapping_loses_nothing_and_reads_parents_first() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler, shards=1, duration=0.5)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", batch_size=5
    )
    sim.advance(1)
    put(stream, [f"a{i}" for i in range(12)])  # the parent falls behind (0.5 s per batch)
    stream.split_shard("shardId-000000000000", str(2**127))
    sim.advance(0)
    put(stream, [f"b{i}" for i in range(6)], key="k")
    sim.drain()
    delivered = handler.delivered()
    assert sorted(delivered) == sorted([f"a{i}" for i in range(12)] + [f"b{i}" for i in range(6)])
    # Every parent record was delivered before any child record.
    last_parent = max(delivered.index(f"a{i}") for i in range(12))
    first_child = min(delivered.index(f"b{i}") for i in range(6))
    assert last_parent < first_child
    assert esm.ledger.fates() == {"succeeded": 18}
    assert esm.ledger.unresolved() == []
    assert len(esm.pollers) == 3
    esm._check()


def test_trim_horizon_on_a_resharded_stream_starts_with_the_parents() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler, shards=2)
    put(stream, [f"p{i}" for i in range(4)], key="x")
    stream.merge_shards("shardId-000000000000", "shardId-000000000001")
    sim.advance(0)
    put(stream, ["child"], key="x")
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    sim.drain()
    assert handler.delivered() == [f"p{i}" for i in range(4)] + ["child"]
    assert esm.ledger.fates() == {"succeeded": 5}


def test_a_record_too_large_for_one_event_is_never_invoked_and_ages_out() -> None:
    sim = kinesim.Simulator(limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("big", shard_count=1, max_record_size_kib=8192)
    handler = Recorder()
    fn = sim.lambda_.create_function("f", handler)
    queue = sim.sqs.create_queue("dlq")
    sim.advance(0)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", max_record_age=60, on_failure=queue
    )
    stream.put_record(b"z" * (5 * 1024 * 1024), "k")  # base64 makes it 6.7 MiB of event
    sim.advance(30)
    stream.put_record(b"small", "k")  # stuck behind it, but young enough when it goes
    sim.drain(timeout=600)
    assert handler.delivered() == ["small"]
    (body,) = queue.json_bodies()
    assert body["requestContext"]["condition"] == "RecordAgeExceeded"
    assert esm.ledger.fates() == {"RecordAgeExceeded": 1, "succeeded": 1}


def test_disable_while_in_flight_settles_the_batch_and_resumes_after() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler, duration=5.0, timeout=10)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=2
    )
    put(stream, ["a", "b", "c"])
    sim.advance(1)  # [a, b] in flight until 5 s
    sim.lambda_.update_event_source_mapping(esm, enabled=False)
    sim.advance(30)
    assert handler.batches == [["a", "b"]]
    assert esm.ledger.fates() == {"succeeded": 2}
    esm._check()
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.drain()
    assert handler.batches == [["a", "b"], ["c"]]
    esm._check()


def test_disable_while_retrying_drops_the_batch_and_redelivers_it_fresh() -> None:
    handler = Recorder(fail_on={"bad"}, times=2)
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    (seq,) = put(stream, ["bad"])
    sim.advance(0.25)  # first invocation failed; the retry waits 0.5 s
    sim.lambda_.update_event_source_mapping(esm, enabled=False)
    sim.advance(60)
    assert len(handler.events) == 1
    assert esm.ledger.fates() == {}
    esm._check()
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.drain()
    assert [d.reason for d in esm.ledger.deliveries(seq)] == ["first", "first", "retry"]
    assert esm.ledger.fates() == {"succeeded": 1}


def test_a_read_throttled_by_another_consumer_waits_for_the_next_slot() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    sim.advance(0.5)
    put(stream, ["x"])
    shard = stream.shard("shardId-000000000000")

    def hog() -> None:
        for _ in range(5):
            shard.read(shard.trim_index, limit=1)

    # The poller's next slot is at 1 s; another consumer spends the shard's 5 reads first.
    sim.call_at_ms(sim.start_ms + 1000, hog, priority=-1)
    sim.drain()
    assert fn.invocations[0].start_ms - sim.start_ms == 2000
    polls = sim.trace.of_kind("esm.poll")
    assert [p.fields["throttled"] for p in polls[-2:]] == [True, False]


def test_reenabled_while_the_old_batch_is_still_in_flight() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler, duration=5.0, timeout=10)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=2
    )
    put(stream, ["a", "b", "c"])
    sim.advance(1)
    sim.lambda_.update_event_source_mapping(esm, enabled=False)
    sim.advance(1)
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.advance(1)  # enabled again; [a, b] still in flight until 5 s
    esm._check()
    sim.drain()
    assert handler.batches == [["a", "b"], ["c"]]
    assert esm.ledger.fates() == {"succeeded": 3}
    # Reads never go back before the checkpoint (no re-reading of settled records).
    # The read at 0 took all three; c, read and not batched, was dropped at the disable and is
    # read again at 2 (after the batch in flight, never before it).
    starts = [e.fields["start"] for e in sim.trace.of_kind("esm.poll")]
    assert starts == [0, 2]
    esm._check()


def test_one_function_reads_two_streams() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    other = sim.kinesis.create_stream("t", shard_count=1)
    sim.advance(0)
    for source in (stream, other):
        sim.lambda_.create_event_source_mapping(fn, source, starting_position="TRIM_HORIZON")
    put(stream, ["from-s"])
    put(other, ["from-t"])
    sim.drain()
    assert sorted(handler.delivered()) == ["from-s", "from-t"]
    sources = {e["Records"][0]["eventSourceARN"] for e in handler.events}
    assert sources == {stream.arn, other.arn}


def test_bisect_with_partial_report_splits_at_the_returned_record() -> None:
    def respond(event: dict[str, Any]) -> Any:
        bad = [
            {"itemIdentifier": r["kinesis"]["sequenceNumber"]}
            for r, value in zip(event["Records"], datas(event), strict=True)
            if value == "r6"
        ]
        return {"batchItemFailures": bad}

    handler = Recorder(respond=respond)
    sim, stream, fn = setup(handler)
    queue = sim.sqs.create_queue("dlq")
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=10,
        bisect_on_error=True,
        report_batch_item_failures=True,
        max_retry_attempts=1,
        on_failure=queue,
    )
    seqs = put(stream, [f"r{i}" for i in range(10)])
    sim.drain()
    assert handler.batches[0] == [f"r{i}" for i in range(10)]
    # Split at r6: r0-r5 succeeded; the rest is retried as its own range from r6.
    assert handler.batches[1][0] == "r6"
    assert esm.ledger.fate(seqs[5]).kind == "succeeded"  # type: ignore[union-attr]
    assert esm.ledger.fate(seqs[6]).kind == "RetryAttemptsExhausted"  # type: ignore[union-attr]
    assert esm.ledger.fates() == {"succeeded": 9, "RetryAttemptsExhausted": 1}
    (body,) = queue.json_bodies()
    assert body["KinesisBatchInfo"]["startSequenceNumber"] == seqs[6]
    assert body["KinesisBatchInfo"]["batchSize"] == 1


def test_a_handler_that_mutates_its_event_does_not_change_retries_or_s3_payloads() -> None:
    calls: list[str] = []

    def mutating(event: dict[str, Any], context: Any) -> None:
        for record in event["Records"]:
            calls.append(record["kinesis"]["data"])
            record["kinesis"]["data"] = base64.b64decode(record["kinesis"]["data"])  # bytes!
        raise RuntimeError("always fails")

    sim, stream, fn = setup(mutating)
    bucket = sim.s3.create_bucket("dlq")
    sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        max_retry_attempts=2,
        bisect_on_error=True,
        on_failure=bucket,
    )
    put(stream, ["a", "b"])
    sim.drain()
    assert set(calls) == {"YQ==", "Yg=="}  # every delivery saw base64 text, never bytes
    payloads = [o["payload"]["Records"] for o in bucket.json_objects()]
    assert [[r["kinesis"]["data"] for r in p] for p in payloads] == [["YQ=="], ["Yg=="]]
