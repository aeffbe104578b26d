"""The what-if fast path keeps semantics: bulk puts equal put_records, and a mapping whose
handler never reads the event (None, or a batch-view handler) runs exactly as with events."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim._esm.batch import EventBuilder, record_sizes
from kinesim._kinesis.bulk import put_bulk
from kinesim.whatif import ConstantRate, Faults, Scenario, UniformKeys


def _entries(seed: int, n: int) -> list[tuple[bytes, str]]:
    rng = random.Random(seed)
    return [(bytes(rng.randint(0, 8000)), f"k{rng.randint(0, 40)}") for _ in range(n)]


def _shard_state(stream: Any) -> list[Any]:
    return [
        (
            shard.shard_id,
            shard.trim_index,
            shard.end_index,
            [shard.sequence_number(i) for i in range(shard.trim_index, shard.end_index)],
            [shard.data(i) for i in range(shard.trim_index, shard.end_index)],
            [shard.partition_key(i) for i in range(shard.trim_index, shard.end_index)],
            [shard.arrival_ms(i) for i in range(shard.trim_index, shard.end_index)],
            [shard.record_size(i) for i in range(shard.trim_index, shard.end_index)],
        )
        for shard in stream.shards
    ]


def _metrics(sim: kinesim.Simulator) -> list[Any]:
    return [
        (ns, name, dims, sim.metrics.series(ns, name, **dims).points())
        for ns, name, dims in sim.metrics.list_metrics()
    ]


def test_bulk_put_equals_put_records_with_throttling():
    # 1,500 records of up to 8 KB over 3 shards in 10 ms: far over the 1 MiB/s and 1,000/s
    # write limits, so many entries are throttled; the survivors must be the same ones.
    results = []
    for bulk in (False, True):
        sim = kinesim.Simulator(seed=3)
        stream = sim.kinesis.create_stream("s", 3)
        failed: list[list[int]] = []
        for call in range(3):
            entries = _entries(call, 500)
            if bulk:
                failed.append(
                    put_bulk(stream, [d for d, _ in entries], [k for _, k in entries]).failed
                )
            else:
                out = stream.put_records(entries)
                failed.append([i for i, r in enumerate(out.records) if r.error_code])
            sim.advance(0.005)
        sim.advance(1.5)
        stream.put_records([(b"after", "k1")])
        results.append((failed, _shard_state(stream), _metrics(sim), sim.trace.digest()))
    assert sum(len(f) for f in results[0][0]) > 100
    assert results[0] == results[1]


def test_bulk_put_validates_like_put_records():
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", 1)
    for data, key in [(b"x", ""), (bytes(1024 * 1024), "k")]:
        with pytest.raises(kinesim.AWSError) as normal:
            stream.put_records([(data, key)])
        with pytest.raises(type(normal.value)) as bulk:
            put_bulk(stream, [data], [key])
        assert str(bulk.value) == str(normal.value)
    assert stream.shards[0].end_index == 0


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.binary(max_size=200), min_size=1, max_size=20),
    key=st.text(min_size=1, max_size=20),
    arrival=st.integers(0, 2**41),
)
def test_record_sizes_match_the_event_builder(data, key, arrival):
    builder = EventBuilder(
        shard_id="shardId-000000000000",
        stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
        role_arn="arn:aws:iam::123456789012:role/r",
        region="us-east-1",
    )
    seq = "4" * 56
    expected = [builder.record(key, seq, d, arrival)[1] for d in data]
    assert record_sizes(builder, data, [key] * len(data), [arrival] * len(data)) == expected
    # And the builder's own formula is json.dumps's length.
    record, size = builder.record(key, seq, data[0], arrival)
    assert size == len(json.dumps(record))


class PoisonError(Exception):
    pass


def _mapping_run(fast: bool, *, bisect: bool, batch_size: int, retries: int) -> Any:
    sim = kinesim.Simulator(seed=11)
    stream = sim.kinesis.create_stream("s", 2, retention_hours=24)
    poison: set[tuple[str, int]] = set()
    rng = sim.random("test.errors")

    if fast:

        def handler(event: Any, context: Any) -> None:
            if any((event.shard_id, p) in poison for p in range(event.start, event.end)):
                raise PoisonError("poison")
            if rng.random() < 0.05:
                raise PoisonError("flaky")

        handler.kinesim_takes_batch_view = True  # type: ignore[attr-defined]
    else:

        def handler(event: Any, context: Any) -> None:
            for record in event["Records"]:
                shard_id, seq = record["eventID"].split(":")
                if (shard_id, stream.shard(shard_id).position_of(seq)) in poison:
                    raise PoisonError("poison")
            if rng.random() < 0.05:
                raise PoisonError("flaky")

    fn = sim.lambda_.create_function("f", handler, duration=kinesim.Uniform(0.01, 0.3))
    queue = sim.sqs.create_queue("dlq")
    sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=batch_size,
        bisect_on_error=bisect,
        max_retry_attempts=retries,
        on_failure=queue,
    )
    rng_put = random.Random(5)
    for second in range(120):
        entries = [
            (bytes(rng_put.randint(1, 900)), f"k{rng_put.randint(0, 30)}") for _ in range(40)
        ]
        result = stream.put_records(entries)
        if second in (10, 50):
            entry = result.records[7]
            poison.add(
                (entry.shard_id, stream.shard(entry.shard_id).position_of(entry.sequence_number))
            )
        sim.advance(1)
    sim.advance(600)
    mapping = sim.lambda_.list_event_source_mappings()[0]
    return (
        mapping.ledger.summary(),
        _metrics(sim),
        queue.bodies(),
        sim.trace.digest(),
    )


def test_mapping_fast_path_equals_the_event_path():
    for bisect, batch_size, retries in [(False, 10, 2), (True, 25, 3)]:
        normal = _mapping_run(False, bisect=bisect, batch_size=batch_size, retries=retries)
        fast = _mapping_run(True, bisect=bisect, batch_size=batch_size, retries=retries)
        assert normal[0]["fates"].get("RetryAttemptsExhausted", 0) > 0  # the faults bit
        assert fast == normal


@pytest.mark.parametrize("item_failures", [False, True])
def test_whatif_scenario_same_with_and_without_the_fast_path(monkeypatch, item_failures):
    scenario = Scenario(
        report_batch_item_failures=item_failures,
        shards=2,
        arrivals=ConstantRate(rate=30),
        keys=UniformKeys(count=50),
        simulated_s=600,
        period_s=60,
        max_retry_attempts=3,
        faults=Faults(poison_at_s=(100.0,), error_probability=0.02),
    )
    fast = scenario.run()
    import kinesim.whatif._engine as engine

    # The what-if handler without its batch-view flag: the ESM builds real events for it.
    monkeypatch.setattr(engine._FaultyHandler, "kinesim_takes_batch_view", False)
    normal = scenario.run()
    assert normal == fast
    assert fast.summary.records_to_destination > 0
