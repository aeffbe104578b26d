"""Runs that used to hang: each now returns, or stops with a clear kinesim error, quickly."""

from __future__ import annotations

from typing import Any

import pytest

import kinesim

LIMIT = 2_000  # a small guard keeps these tests fast; the default is documented (100,000)


def boom(event: Any, context: Any) -> None:
    raise ValueError("x")


def pipeline(handler: Any, duration: float = 0.0, **mapping: Any) -> tuple[Any, Any, Any, Any]:
    sim = kinesim.Simulator(seed=0, max_events_per_instant=LIMIT)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=duration)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", **mapping
    )
    return sim, stream, fn, esm


def test_self_rescheduling_callback_during_drain_is_a_livelock_error() -> None:
    sim, stream, _, _ = pipeline(None)

    def again() -> None:
        sim.call_later(0, again)

    stream.put_record(b"x", "k")
    sim.call_later(0, again)
    with pytest.raises(kinesim.LivelockError) as info:
        sim.drain(10)
    assert "again" in info.value.kinds[0]


@pytest.mark.parametrize("run", ["drain", "advance"])
def test_zero_backoff_zero_duration_retries_stop_with_a_livelock_error(run: str) -> None:
    zero = kinesim.ExponentialBackoff(initial_s=0, max_s=0)
    sim, stream, fn, _ = pipeline(boom, 0.0, retry_backoff=zero)
    stream.put_record(b"x", "k")
    with pytest.raises(kinesim.LivelockError, match="without the clock moving"):
        sim.drain(10) if run == "drain" else sim.advance(10)
    assert sim.elapsed == 0.0
    assert 0 < len(fn.invocations) <= LIMIT


def test_a_handler_feeding_its_own_stream_returns() -> None:
    box: dict[str, Any] = {}

    def feed(event: Any, context: Any) -> None:
        box["s"].put_record(b"y", "k")

    sim, stream, _, _ = pipeline(feed)
    box["s"] = stream
    stream.put_record(b"x", "k")
    with pytest.raises(kinesim.NotDrained, match="not drained after 10 virtual seconds"):
        sim.drain(10)  # a new record keeps arriving: never caught up, but time moves


def test_zero_duration_async_self_invocation_returns() -> None:
    sim = kinesim.Simulator(max_events_per_instant=LIMIT)
    lam = sim.client("lambda")

    def again(event: Any, context: Any) -> None:
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")

    lam.create_function(FunctionName="f", handler=again, duration=0)
    lam.invoke(FunctionName="f", InvocationType="Event")
    sim.advance(10)
    assert sim.elapsed == 10.0


def test_zero_efo_timings_return() -> None:
    timings = kinesim.Timings(efo_push_latency_s=0, efo_event_interval_s=0)
    sim = kinesim.Simulator(timings=timings, max_events_per_instant=LIMIT)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    consumer = stream.register_consumer("c")
    fn = sim.lambda_.create_function("f", None, duration=0)
    esm = sim.lambda_.create_event_source_mapping(fn, consumer, starting_position="TRIM_HORIZON")
    for _ in range(100):
        stream.put_record(b"x", "k")
    sim.drain(10)
    assert esm.ledger.fates() == {"succeeded": 100}


def test_drain_with_an_empty_queue_and_a_huge_timeout_returns() -> None:
    sim, _, _, _ = pipeline(None)
    assert sim.drain(0) == 0.0
    sim, stream, _, _ = pipeline(boom, 0.05)
    stream.put_record(b"x", "k")
    assert sim.drain(10**9) > 86_400  # the record expires after 24 h: then caught up
