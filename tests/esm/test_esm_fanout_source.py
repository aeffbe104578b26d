"""Mappings that read through an enhanced fan-out consumer (issue 7 §4)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from esm_helpers import Recorder, setup

import kinesim
from kinesim._esm.efo_reader import FanoutPoller


def fanout_setup(
    handler: Any = None, *, shards: int = 1, **kwargs: Any
) -> tuple[kinesim.Simulator, Any, Any, Any]:
    sim, stream, fn = setup(handler, shards=shards, **kwargs)
    consumer = stream.register_consumer("lambda-efo")
    sim.advance(0)
    return sim, stream, fn, consumer


def test_consumer_source_delivers_with_the_stream_arn_and_describes_the_consumer_arn() -> None:
    handler = Recorder()
    sim, stream, fn, consumer = fanout_setup(handler)
    esm = sim.lambda_.create_event_source_mapping(fn, consumer, starting_position="LATEST")
    assert esm.describe().source_arn == consumer.arn
    sim.advance(1)
    for i in range(5):
        stream.put_record(f"r{i}".encode(), "k")
    sim.drain()
    assert handler.batches == [["r0", "r1", "r2", "r3", "r4"]]
    record = handler.events[0]["Records"][0]
    assert record["eventSourceARN"] == stream.arn
    assert record["eventID"].startswith("shardId-000000000000:")
    assert esm.ledger.fates() == {"succeeded": 5}
    (poller,) = esm.pollers.values()
    assert isinstance(poller, FanoutPoller)
    assert poller.subscribe_calls == 1
    # Nothing polled the shard: the shared read limits were not touched.
    assert sim.metrics.series("AWS/Kinesis", "GetRecords.Success", StreamName="s").values() == []


def test_consumer_arn_string_is_a_source_and_an_unknown_one_is_refused() -> None:
    sim, stream, fn, consumer = fanout_setup()
    esm = sim.lambda_.create_event_source_mapping(fn, consumer.arn, starting_position="LATEST")
    assert esm.consumer is consumer
    assert sim.lambda_.list_event_source_mappings(source=consumer.arn) == [esm]
    assert sim.lambda_.list_event_source_mappings(source=stream) == []
    with pytest.raises(kinesim.InvalidParameterValueException, match="consumer not found"):
        sim.lambda_.create_event_source_mapping(
            fn, consumer.arn.replace("lambda-efo", "nope"), starting_position="LATEST"
        )


def test_same_function_may_map_the_stream_and_its_consumer_but_not_one_twice() -> None:
    sim, stream, fn, consumer = fanout_setup()
    sim.lambda_.create_event_source_mapping(fn, consumer, starting_position="LATEST")
    sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    with pytest.raises(kinesim.ResourceConflictException) as err:
        sim.lambda_.create_event_source_mapping(fn, consumer, starting_position="LATEST")
    assert f'(" {consumer.arn} ")' in err.value.message


def _load(sim: kinesim.Simulator, stream: Any, seconds: int, step_ms: int = 137) -> list[str]:
    """Puts every ``step_ms`` (two keys) for ``seconds`` virtual seconds."""
    values: list[str] = []
    for k in range(seconds * 1000 // step_ms):
        value = f"v{k}"
        values.append(value)
        sim.call_later(k * step_ms / 1000, stream.put_record, value.encode(), f"key{k % 2}")
    return values


def test_fanout_iterator_age_is_lower_than_polling_on_the_same_load() -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    consumer = stream.register_consumer("efo")
    polled = sim.lambda_.create_function("polled", None, duration=0.02)
    pushed = sim.lambda_.create_function("pushed", None, duration=0.02)
    sim.lambda_.create_event_source_mapping(polled, stream, starting_position="LATEST")
    sim.lambda_.create_event_source_mapping(pushed, consumer, starting_position="LATEST")
    sim.advance(1)
    # A record every 1.37 s: each batch holds one record, whose age is how long the mapping
    # took to notice it.
    _load(sim, stream, 120, step_ms=1370)
    sim.advance(121)
    sim.drain()
    age_polled = sim.metrics.series("AWS/Lambda", "IteratorAge", FunctionName="polled")
    age_pushed = sim.metrics.series("AWS/Lambda", "IteratorAge", FunctionName="pushed")
    mean_polled = sum(age_polled.values()) / len(age_polled.values())
    mean_pushed = sum(age_pushed.values()) / len(age_pushed.values())
    # Push latency 70 ms (+ at most the 20-ms event interval) + 20 ms of function time, vs.
    # waiting for the next once-a-second poll.
    assert max(age_pushed.values()) <= 70 + 20 + 20
    assert mean_pushed < 120
    assert mean_polled > 3 * mean_pushed
    assert age_polled.percentile(99) > age_pushed.percentile(99)


def test_resubscribes_every_five_minutes_without_loss_or_duplicates() -> None:
    handler = Recorder()
    sim, stream, fn, consumer = fanout_setup(handler, duration=0.01)
    esm = sim.lambda_.create_event_source_mapping(
        fn, consumer, starting_position="TRIM_HORIZON", batch_size=7
    )
    values = _load(sim, stream, 16 * 60)
    sim.advance(16 * 60 + 1)
    sim.drain()
    (poller,) = esm.pollers.values()
    assert isinstance(poller, FanoutPoller)
    assert poller.subscribe_calls == 4  # at 0, 5, 10 and 15 minutes
    assert handler.delivered() == values  # every record, once, in order
    assert esm.ledger.fates() == {"succeeded": len(values)}
    assert esm.ledger.delivery_reasons() == {"first": len(values)}
    assert esm.ledger.unresolved() == []
    esm._check()


def test_disable_and_enable_within_five_seconds_resubscribes_after_the_guard() -> None:
    handler = Recorder()
    sim, stream, fn, consumer = fanout_setup(handler)
    esm = sim.lambda_.create_event_source_mapping(fn, consumer, starting_position="LATEST")
    sim.advance(1)
    stream.put_record(b"a", "k")
    sim.advance(1)
    sim.lambda_.update_event_source_mapping(esm, enabled=False)
    sim.advance(1)
    stream.put_record(b"b", "k")
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.advance(1)
    assert esm.stuck()[0].endswith(
        "SubscribeToShard refused (ResourceInUseException: Another active subscription "
        f"exists for this consumer: {consumer.arn})"
    )
    stream.put_record(b"c", "k")
    sim.drain()
    assert handler.delivered() == ["a", "b", "c"]
    esm._check()


def test_filters_and_batching_window_through_a_consumer() -> None:
    handler = Recorder()
    sim, stream, fn, consumer = fanout_setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        consumer,
        starting_position="LATEST",
        batching_window=2,
        filters=[{"data": {"n": [{"numeric": [">=", 5]}]}}],
    )
    sim.advance(1)
    for n in range(10):
        stream.put_record(json.dumps({"n": n}).encode(), "k")
        sim.advance(0.1)
    sim.drain()
    assert handler.batches == [[json.dumps({"n": n}) for n in range(5, 10)]]
    assert esm.ledger.fates() == {"filtered": 5, "succeeded": 5}


def test_a_split_shard_is_finished_before_its_children_through_a_consumer() -> None:
    handler = Recorder()
    sim, stream, fn, consumer = fanout_setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, consumer, starting_position="TRIM_HORIZON", batch_size=3
    )
    keys = [f"key{i}" for i in range(8)]
    for i in range(12):
        stream.put_record(f"before{i}".encode(), keys[i % 8])
    stream.update_shard_count(2)
    sim.advance(0)
    for i in range(12):
        stream.put_record(f"after{i}".encode(), keys[i % 8])
    sim.drain()
    delivered = handler.delivered()
    assert sorted(delivered) == sorted(
        [f"before{i}" for i in range(12)] + [f"after{i}" for i in range(12)]
    )
    assert delivered[:12] == [f"before{i}" for i in range(12)]
    assert len(esm.pollers) == 3
    assert esm.ledger.fates() == {"succeeded": 24}
    esm._check()


def test_a_retrying_batch_pauses_the_subscription_and_loses_nothing() -> None:
    handler = Recorder(fail_on={"v3"}, times=3)
    sim, stream, fn, consumer = fanout_setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, consumer, starting_position="TRIM_HORIZON", batch_size=2
    )
    values = _load(sim, stream, 20)
    sim.advance(21)
    sim.drain()
    assert [v for v in handler.delivered() if v != "v3" and v != "v2"] == [
        v for v in values if v not in ("v2", "v3")
    ]
    assert handler.delivered().count("v3") == 4
    assert esm.ledger.fates() == {"succeeded": len(values)}
    esm._check()


def test_parallelization_factor_through_a_consumer_keeps_per_key_order() -> None:
    handler = Recorder()
    sim, stream, fn, consumer = fanout_setup(handler, duration=0.2)
    esm = sim.lambda_.create_event_source_mapping(
        fn, consumer, starting_position="TRIM_HORIZON", batch_size=5, parallelization_factor=4
    )
    puts = [(f"{key}:{i}", key) for i in range(30) for key in ("a", "b", "c", "d", "e")]
    for value, key in puts:
        stream.put_record(value.encode(), key)
    sim.drain()
    delivered = handler.delivered()
    assert sorted(delivered) == sorted(v for v, _ in puts)
    for key in ("a", "b", "c", "d", "e"):
        mine = [v for v in delivered if v.startswith(f"{key}:")]
        assert mine == [f"{key}:{i}" for i in range(30)]
    in_flight = sim.metrics.series("AWS/Lambda", "ConcurrentExecutions", FunctionName="f")
    assert 1 < in_flight.max() <= 4
    assert esm.ledger.fates() == {"succeeded": 150}
    esm._check()


def test_tumbling_window_through_a_consumer_sees_the_whole_window() -> None:
    def handler(event: dict[str, Any], context: Any) -> Any:
        total = event["state"].get("total", 0) + len(event["Records"])
        if event["isFinalInvokeForWindow"]:
            finals.append(total)
        return {"state": {"total": total}}

    finals: list[int] = []
    sim, stream, fn, consumer = fanout_setup(handler)
    sim.lambda_.create_event_source_mapping(
        fn, consumer, starting_position="LATEST", batch_size=3, tumbling_window=10
    )
    sim.advance(10 - sim.now % 10)
    for _ in range(7):
        stream.put_record(b"x", "k")
        sim.advance(1)
    sim.advance(20)
    sim.drain()
    assert finals == [7]


_DETERMINISM = """
import base64
import json
import kinesim

sim = kinesim.Simulator(seed=5)
stream = sim.kinesis.create_stream("s", shard_count=2)
consumer = stream.register_consumer("efo")
calls = {"n": 0}


def handler(event, context):
    calls["n"] += 1
    if calls["n"] % 4 == 0:
        raise ValueError("every fourth call fails")


fn = sim.lambda_.create_function("f", handler, duration=kinesim.LogNormal(median=0.05, p99=0.5))
queue = sim.sqs.create_queue("dlq")
esm = sim.lambda_.create_event_source_mapping(
    fn, consumer, starting_position="TRIM_HORIZON", batch_size=5, max_retry_attempts=1,
    on_failure=queue, parallelization_factor=2,
    filters=[{"data": {"n": [{"numeric": [">", 3]}]}}, {"partitionKey": [{"prefix": "key-1"}]}],
    retry_backoff=kinesim.ExponentialBackoff(jitter=0.5),
)
for i in range(300):
    stream.put_record(json.dumps({"n": i % 9}).encode(), f"key-{i % 17}")
    sim.advance(1.3)
sim.drain()
fates = esm.ledger.fates()
retries = len(sim.trace.of_kind("esm.retry"))
print(sim.trace.digest(), fates["filtered"], fates["succeeded"], retries)
"""


def test_consumer_source_with_filters_is_deterministic_across_hash_seeds() -> None:
    import os
    import subprocess
    import sys

    outs = [
        subprocess.run(
            [sys.executable, "-c", _DETERMINISM],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("2", "777")
    ]
    assert outs[0] == outs[1]
    _digest, filtered, succeeded, retries = outs[0].split()
    assert int(filtered) > 0
    assert int(succeeded) > 0
    assert int(retries) > 0


def test_a_backlog_is_pushed_at_the_consumers_dedicated_2_mib_per_second() -> None:
    handler = Recorder()
    sim, stream, fn, consumer = fanout_setup(handler)
    blob = b"x" * (512 * 1024)
    for i in range(20):  # 10 MiB, written at the shard's 1 MiB/s
        stream.put_record(blob[:-3] + f"{i:03d}".encode(), "k")
        sim.advance(1)
    # A polling reader hammering the shard's shared read limits does not slow the consumer.
    hog = sim.lambda_.create_function("hog", None)
    sim.lambda_.create_event_source_mapping(hog, stream, starting_position="TRIM_HORIZON")
    esm = sim.lambda_.create_event_source_mapping(
        fn, consumer, starting_position="TRIM_HORIZON", batch_size=10_000
    )
    start = sim.now
    sim.drain()
    assert len(handler.delivered()) == 20
    (poller,) = esm.pollers.values()
    last_delivery = esm.ledger.deliveries(("shardId-000000000000", 19))[-1].time_ms / 1000
    # 10 MiB at 2 MiB/s: the pipe is busy B / 2 MiB after each event of B bytes, so the last
    # event leaves after the other 9.5 MiB have passed (4.75 s), plus the push latency.
    assert 4.75 <= last_delivery - start <= 5.5
    assert poller.stalled_since_ms is None


@pytest.mark.parametrize("pf", [1, 3])
def test_split_and_merge_under_load_through_a_consumer_keep_per_key_order(pf: int) -> None:
    """Resharding while records flow (20/s over 6 keys, a function that falls behind), read
    through a consumer: every record once, per-key order, parents before children."""
    seen: list[tuple[str, int, str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        for r in event["Records"]:
            seen.append(
                (
                    r["kinesis"]["partitionKey"],
                    int(base64.b64decode(r["kinesis"]["data"])),
                    r["eventID"].split(":")[0],
                )
            )

    sim = kinesim.Simulator(seed=11)
    stream = sim.kinesis.create_stream("orders", shard_count=1)
    consumer = stream.register_consumer("efo")
    fn = sim.lambda_.create_function("f", handler, duration=0.6)
    esm = sim.lambda_.create_event_source_mapping(
        fn, consumer, starting_position="TRIM_HORIZON", batch_size=4, parallelization_factor=pf
    )
    n = 0
    for tick in range(400):
        for _ in range(2):
            stream.put_record(str(n).encode(), partition_key=f"user-{n % 6}")
            n += 1
        if tick == 80:
            stream.split_shard("shardId-000000000000", str(2**127))
        if tick == 200:
            a, b = (s.shard_id for s in stream.open_shards())
            stream.merge_shards(a, b)
        sim.advance(0.1)
        esm._check()
    sim.drain(timeout=3600)
    esm._check()
    assert sorted(v for _, v, _ in seen) == list(range(n))
    last: dict[str, int] = {}
    for key, value, _ in seen:
        assert value > last.get(key, -1)
        last[key] = value
    first_at: dict[str, int] = {}
    last_at: dict[str, int] = {}
    for i, (_, _, shard) in enumerate(seen):
        first_at.setdefault(shard, i)
        last_at[shard] = i
    assert len(first_at) == 4
    for shard in stream.shards:
        for parent in (shard.parent_shard_id, shard.adjacent_parent_shard_id):
            if parent is not None:
                assert last_at[parent] < first_at[shard.shard_id]
    assert esm.ledger.fates() == {"succeeded": n}
    assert all(isinstance(p, FanoutPoller) for p in esm.pollers.values())


def test_a_parent_that_expired_while_disabled_does_not_block_its_child() -> None:
    """Merged while the mapping is disabled; the closed parents expire from the stream before
    it is enabled again. SubscribeToShard on them is refused (not found) for ever, so the
    reader ends them itself and the child is read."""
    sim = kinesim.Simulator(timings=kinesim.Timings(mapping_transition_s=1))
    stream = sim.kinesis.create_stream("s", shard_count=2)
    consumer = stream.register_consumer("efo")
    sim.advance(10)
    seen: list[bytes] = []
    fn = sim.lambda_.create_function(
        "f",
        lambda event, context: seen.extend(
            base64.b64decode(r["kinesis"]["data"]) for r in event["Records"]
        ),
    )
    esm = sim.lambda_.create_event_source_mapping(fn, consumer, starting_position="TRIM_HORIZON")
    sim.advance(1)
    sim.lambda_.update_event_source_mapping(esm, enabled=False)
    stream.update_shard_count(1)
    sim.advance(25 * 3600)
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.advance(2)
    stream.put_record(b"after", "a")
    sim.drain(timeout=600)
    assert seen == [b"after"]
    assert esm.ledger.fates() == {"succeeded": 1}
