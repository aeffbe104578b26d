"""The mapping's read model: one GetRecords per shard per tick for up to 10,000 records, a buffer
that feeds batches as fast as the function takes them, reads again at once only while behind,
never throttles itself; plus handlers that interrupt or stop their own mapping."""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import kinesim


def _polls(sim: kinesim.Simulator) -> dict[str, list[tuple[int, int, bool]]]:
    """Per shard: (time, count, throttled) of each esm.poll."""
    out: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for event in sim.trace.of_kind("esm.poll"):
        out[event.fields["shard"]].append(
            (event.time_ms, event.fields["count"], event.fields["throttled"])
        )
    return out


def _read_throttles(sim: kinesim.Simulator, stream: Any) -> float:
    series = sim.metrics.series(
        "AWS/Kinesis", "ReadProvisionedThroughputExceeded", StreamName=stream.name
    )
    return sum(series.values())


def _max_age_ms(sim: kinesim.Simulator, function: str) -> float:
    ages = sim.metrics.series("AWS/Lambda", "IteratorAge", FunctionName=function)
    return max(ages.values())


def test_batch_of_10_in_10_ms_keeps_up_with_a_full_shard() -> None:
    # 1,000 records/s (one shard's write limit) and a function that takes 10 records in 10 ms.
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", None, duration=0.01)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=10
    )
    seconds = 20
    for tick in range(seconds * 10):
        stream.put_records([(b"x" * 100, f"k{tick}-{i}") for i in range(100)])
        sim.advance(0.1)
    sim.drain(5)
    assert esm.ledger.fates() == {"succeeded": seconds * 1000}
    assert _max_age_ms(sim, "f") < 2000
    assert _read_throttles(sim, stream) == 0
    polls = _polls(sim)["shardId-000000000000"]
    # One read a second, each for everything that arrived since the last one.
    assert len(polls) <= seconds + 2
    assert all(count <= 1000 for _, count, _ in polls)


def test_a_backlog_is_read_10000_at_a_time_and_again_at_once_while_behind() -> None:
    sim = kinesim.Simulator(limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", None)
    for _ in range(50):
        stream.put_records([(b"r", f"k{i}") for i in range(500)])
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=1000
    )
    sim.drain(10)
    assert esm.ledger.fates() == {"succeeded": 25_000}
    polls = _polls(sim)["shardId-000000000000"]
    # Full reads are followed by another read at the same instant (the handler takes no time);
    # the partial one by nothing until an arrival.
    assert [count for _, count, _ in polls] == [10_000, 10_000, 5_000]
    assert len({time for time, _, _ in polls}) == 1


def test_the_read_size_is_a_named_limit() -> None:
    sim = kinesim.Simulator(limits=kinesim.Limits(esm_read_records=250))
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", None)
    stream.put_records([(b"r", f"k{i}") for i in range(500)])
    sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=100
    )
    sim.drain(10)
    assert [count for _, count, _ in _polls(sim)["shardId-000000000000"]] == [250, 250]
    with pytest.raises(kinesim.KinesimValueError, match="esm_read_records"):
        kinesim.Limits(esm_read_records=10_001)
    with pytest.raises(kinesim.KinesimValueError, match="esm_poll_interval_s"):
        kinesim.Timings(esm_poll_interval_s=0)


def test_a_sole_reader_of_large_records_paces_itself_and_is_never_throttled() -> None:
    # 40 MiB of 1 MiB records waits; GetRecords returns 10 MiB at a time, which costs the shard
    # five seconds of its 2 MiB/s: the reader waits for them instead of being refused.
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", None)
    big = b"x" * (1024 * 1024 - 10)
    for _i in range(40):
        stream.put_record(big, "k")
        sim.advance(1.1)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=5
    )
    sim.drain(60)
    assert esm.ledger.fates() == {"succeeded": 40}
    assert _read_throttles(sim, stream) == 0
    polls = _polls(sim)["shardId-000000000000"]
    assert not any(throttled for _, _, throttled in polls)
    assert polls[0][1] == 10  # 10 MiB: ten records of (just under) 1 MiB
    # The next read waits until the shard's 2 MiB/s has paid the 10 MiB back: four more
    # one-second windows (the read's own second took the first 2 MiB).
    assert polls[1][0] - polls[0][0] == 4000


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shards=st.integers(1, 8),
    batch_size=st.sampled_from([1, 2, 5, 10, 100, 1000, 10_000]),
    factor=st.integers(1, 10),
    duration_ms=st.integers(1, 200),
    rate=st.integers(1, 40),
)
def test_keeps_up_whenever_the_function_can(
    shards: int, batch_size: int, factor: int, duration_ms: int, rate: int
) -> None:
    # Capacity (batch_size / duration x lanes) at least twice the arrivals per shard.
    assume(batch_size * 1000 // duration_ms * factor >= 2 * rate)
    sim = kinesim.Simulator(seed=shards * 7 + factor)
    stream = sim.kinesis.create_stream("s", shard_count=shards)
    fn = sim.lambda_.create_function("f", None, duration=duration_ms / 1000)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=batch_size,
        parallelization_factor=factor,
    )
    seconds = 8
    n = 0
    for _ in range(seconds * 4):
        entries = [(b"r", f"key-{n + i}") for i in range(rate * shards // 4 + 1)]
        n += len(entries)
        stream.put_records(entries)
        sim.advance(0.25)
    sim.drain(3)
    assert esm.ledger.fates() == {"succeeded": n}
    assert _max_age_ms(sim, "f") < 3000
    assert _read_throttles(sim, stream) == 0
    for shard_polls in _polls(sim).values():
        assert not any(throttled for _, _, throttled in shard_polls)
        # Caught up, never behind: at most one GetRecords per shard per second.
        times = [time for time, _, _ in shard_polls]
        assert all(b - a >= 1000 for a, b in itertools.pairwise(times))


# -- handlers that interrupt, stop or change their own mapping --------------------------------


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit, GeneratorExit])
def test_a_base_exception_propagates_and_the_next_drain_goes_on(exc: type) -> None:
    calls: list[list[str]] = []

    def handler(event: Any, context: Any) -> None:
        calls.append([r["kinesis"]["partitionKey"] for r in event["Records"]])
        if len(calls) == 1:
            raise exc

    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    stream.put_record(b"a", "a")
    with pytest.raises(exc):
        sim.drain(60)
    esm._check()
    assert fn.in_flight == 0
    stream.put_record(b"b", "b")
    sim.drain(60)
    esm._check()
    # The interrupted batch is retried as after a failed invocation, then b follows.
    assert calls == [["a"], ["a"], ["b"]]
    assert esm.ledger.fates() == {"succeeded": 2}
    # The interrupted call is no invocation (the function took its slot back): the ledger
    # shows the retry only.
    assert [d.reason for d in esm.ledger.deliveries(("shardId-000000000000", 0))] == ["retry"]


@pytest.mark.parametrize("change", ["disable", "delete", "update"])
def test_a_handler_may_change_its_own_mapping(change: str) -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    box: dict[str, Any] = {}
    seen: list[str] = []

    def handler(event: Any, context: Any) -> None:
        seen.extend(r["kinesis"]["partitionKey"] for r in event["Records"])
        if len(seen) == 1:
            if change == "disable":
                sim.lambda_.update_event_source_mapping(box["m"], enabled=False)
            elif change == "delete":
                sim.lambda_.delete_event_source_mapping(box["m"])
            else:
                sim.lambda_.update_event_source_mapping(box["m"], batch_size=5)

    fn = sim.lambda_.create_function("f", handler, duration=0.5)
    esm = box["m"] = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=1
    )
    stream.put_records([(b"a", "a"), (b"b", "b")])
    sim.advance(5)
    # The invocation that made the change completes and is settled, as on AWS.
    assert esm.ledger.fate(("shardId-000000000000", 0)).kind == "succeeded"
    if change == "disable":
        assert esm.state == "Disabled"
        assert seen == ["a"]
        esm._check()
        sim.lambda_.update_event_source_mapping(esm, enabled=True)
        sim.drain(10)
        assert seen == ["a", "b"]
        assert esm.ledger.fates() == {"succeeded": 2}
    elif change == "delete":
        assert esm.state == "Deleted"
        assert seen == ["a"]
        assert sim.lambda_.list_event_source_mappings() == []
    else:
        assert esm.state == "Enabled"
        assert esm.settings.batch_size == 5
        sim.drain(10)
        assert seen == ["a", "b"]
        assert esm.ledger.fates() == {"succeeded": 2}
    esm._check()


@pytest.mark.parametrize(("sampling", "age_ms"), [("batch_end", 3000 + 2000), ("invoke", 3000)])
def test_iterator_age_is_sampled_at_batch_end_or_at_invoke(sampling: str, age_ms: int) -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", None, duration=2.0)
    stream.put_record(b"r", "k")
    sim.advance(3)
    sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", iterator_age_at=sampling
    )
    sim.drain(10)
    ages = sim.metrics.series("AWS/Lambda", "IteratorAge", FunctionName="f").values()
    assert ages == [age_ms]


def test_iterator_age_sampling_is_checked() -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", None)
    with pytest.raises(kinesim.KinesimValueError, match="iterator_age_at takes"):
        sim.lambda_.create_event_source_mapping(
            fn, stream, starting_position="LATEST", iterator_age_at="sometimes"
        )
    assert sim.lambda_.list_event_source_mappings() == []


def test_a_base_exception_in_a_windows_final_invocation_does_not_wedge_it() -> None:
    finals: list[int] = []

    def handler(event: Any, context: Any) -> dict[str, Any]:
        if event["isFinalInvokeForWindow"]:
            finals.append(len(finals))
            if len(finals) == 1:
                raise KeyboardInterrupt
        return {"state": {"n": event["state"].get("n", 0) + len(event["Records"])}}

    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", tumbling_window=5
    )
    stream.put_record(b"a", "a")
    with pytest.raises(KeyboardInterrupt):
        sim.drain(60)
    esm._check()
    sim.drain(60)
    assert finals == [0, 1]
    assert esm.ledger.fates() == {"succeeded": 1}
