"""ParallelizationFactor: lanes keyed by partition key, per-key order, concurrency bounds,
the failure policy, and a checkpoint that never skips an unfinished record."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from esm_helpers import Recorder, put, setup
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim._esm.poller import lane_of


def _number(data: bytes) -> int:
    """A record's number: its data, or the data's ``"i"`` (filtered mappings need JSON)."""
    value = json.loads(data)
    return int(value["i"] if isinstance(value, dict) else value)


class Concurrency:
    """A handler that records, per call, the records it got and the function's concurrency."""

    def __init__(self, fail: set[str] | None = None, times: int = 1 << 30) -> None:
        self.fn: Any = None
        self.seen: list[tuple[str, int]] = []  # (partition key, value) in delivery order
        self.peak = 0
        self.fail = fail or set()
        self.times = times
        self.failures = 0

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        self.peak = max(self.peak, self.fn.in_flight)
        records = [
            (r["kinesis"]["partitionKey"], _number(base64.b64decode(r["kinesis"]["data"])))
            for r in event["Records"]
        ]
        self.seen.extend(records)
        if self.failures < self.times and any(key in self.fail for key, _ in records):
            self.failures += 1
            raise RuntimeError("poison")


def _per_key_order_holds(seen: list[tuple[str, int]]) -> None:
    """The first delivery of each record comes after the first delivery of every earlier
    record of its key (redeliveries after a failure may repeat a key's tail)."""
    first: dict[tuple[str, int], int] = {}
    for i, item in enumerate(seen):
        first.setdefault(item, i)
    by_key: dict[str, list[tuple[int, int]]] = {}
    for (key, value), i in first.items():
        by_key.setdefault(key, []).append((value, i))
    for key, items in by_key.items():
        items.sort()
        order = [i for _, i in items]
        assert order == sorted(order), f"key {key}: records delivered out of order"


def _run(
    *, pf: int, keys: int, shards: int = 1, n: int = 200, duration: float = 0.2, **kwargs: Any
) -> tuple[float, Concurrency, Any]:
    handler = Concurrency()
    sim = kinesim.Simulator(seed=3)
    stream = sim.kinesis.create_stream("s", shard_count=shards)
    fn = sim.lambda_.create_function("f", handler, duration=duration, **kwargs)
    handler.fn = fn
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=10, parallelization_factor=pf
    )
    for i in range(n):
        stream.put_record(str(i).encode(), partition_key=f"key-{i % keys}")
    spent = 0.0
    while spent == 0 or not esm.caught_up:
        sim.advance(0.5)
        spent += 0.5
        esm._check()
        assert spent < 3600
    assert esm.ledger.fates() == {"succeeded": n}
    assert esm.ledger.unresolved() == []
    _per_key_order_holds(handler.seen)
    return spent, handler, esm


def test_lane_of_is_md5_of_the_key_and_stable() -> None:
    assert [lane_of(k, 2) for k in ("a", "b", "c", "d")] == [0, 0, 1, 1]
    assert all(lane_of(f"k{i}", 1) == 0 for i in range(50))
    assert {lane_of(f"k{i}", 10) for i in range(200)} == set(range(10))


def test_parallel_lanes_keep_per_key_order_and_run_keys_concurrently() -> None:
    serial, one, _ = _run(pf=1, keys=40)
    parallel, many, esm = _run(pf=4, keys=40)
    assert one.peak == 1
    assert many.peak == 4  # one shard x 4 lanes
    assert parallel < serial
    # A lane's batch holds only its own keys' records.
    for shard_id, poller in esm.pollers.items():
        assert len(poller.lanes) == 4, shard_id


def test_concurrency_never_exceeds_shards_times_factor() -> None:
    _, handler, _ = _run(pf=3, keys=60, shards=2, n=300)
    assert handler.peak == 6


def test_a_single_hot_key_gets_no_parallelism() -> None:
    serial, _, _ = _run(pf=1, keys=1)
    parallel, hot, _ = _run(pf=10, keys=1)
    assert hot.peak == 1
    assert parallel == serial


def test_reserved_concurrency_bounds_the_lanes() -> None:
    _, handler, esm = _run(pf=10, keys=50, reserved_concurrency=3)
    assert handler.peak == 3
    assert esm.ledger.fates() == {"succeeded": 200}


def _blocked(policy: str) -> tuple[Concurrency, Any, Any]:
    """PF 2, one shard: key "a" (lane 0) fails twice; key "c" (lane 1) keeps coming."""
    assert (lane_of("a", 2), lane_of("c", 2)) == (0, 1)
    handler = Concurrency(fail={"a"}, times=2)
    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.1)
    handler.fn = fn
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=1,
        parallelization_factor=2,
        parallel_failure_policy=policy,
        retry_backoff=kinesim.ExponentialBackoff(initial_s=10, max_s=10),
    )
    stream.put_record(b"0", partition_key="a")
    stream.put_record(b"1", partition_key="c")
    sim.advance(2)  # "a" failed once and waits 10 s; "c" went through
    for i in range(2, 6):
        stream.put_record(str(i).encode(), partition_key="c")
    sim.advance(3)
    esm._check()
    return handler, sim, esm


def test_shard_policy_blocks_every_lane_while_a_batch_fails() -> None:
    handler, sim, esm = _blocked("shard")
    assert [v for key, v in handler.seen if key == "c"] == [1]
    first_a = esm.pollers["shardId-000000000000"].shard.sequence_number(0)
    assert esm.ledger.fate(first_a) is None
    assert esm.checkpoints() == {"shardId-000000000000": 0}
    sim.drain()
    assert esm.ledger.fates() == {"succeeded": 6}
    _per_key_order_holds(handler.seen)


def test_lane_policy_lets_other_keys_go_on_and_checkpoints_at_the_failing_record() -> None:
    handler, sim, esm = _blocked("lane")
    assert [v for key, v in handler.seen if key == "c"] == [1, 2, 3, 4, 5]
    # The checkpoint stays at the failing record: the later "c" records are finished but not
    # checkpointed past it (nothing in the ledger is settled yet).
    assert esm.checkpoints() == {"shardId-000000000000": 0}
    assert esm.ledger.fates() == {}
    sim.drain()
    assert esm.ledger.fates() == {"succeeded": 6}
    assert esm.checkpoints() == {"shardId-000000000000": 6}
    _per_key_order_holds(handler.seen)


def test_parallel_give_up_goes_to_the_destination_and_others_continue() -> None:
    handler = Recorder(fail_on={"bad"})
    sim, stream, fn = setup(handler, duration=0.05)
    dlq = sim.sqs.create_queue("dlq")
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=2,
        parallelization_factor=3,
        max_retry_attempts=1,
        on_failure=dlq,
    )
    put(stream, ["bad"], key="a")
    put(stream, [f"v{i}" for i in range(9)], key="b")
    put(stream, [f"w{i}" for i in range(9)], key="c")
    sim.drain()
    esm._check()
    assert esm.ledger.fates() == {"succeeded": 18, "RetryAttemptsExhausted": 1}
    assert len(dlq.receive_messages(max_number=10)) == 1


def test_update_changes_the_factor_between_batches() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler, duration=0.1)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    put(stream, ["x"], key="a")
    sim.drain()
    sim.lambda_.update_event_source_mapping(esm, parallelization_factor=5)
    sim.advance(0)
    put(stream, [f"y{i}" for i in range(20)], key="b")
    sim.drain()
    assert len(esm.pollers["shardId-000000000000"].lanes) == 5
    assert esm.ledger.fates() == {"succeeded": 21}


@settings(max_examples=25, deadline=None)
@given(
    pf=st.integers(min_value=2, max_value=10),
    shards=st.integers(min_value=1, max_value=2),
    keys=st.lists(
        st.tuples(st.integers(min_value=0, max_value=12), st.sampled_from([0, 0, 0.05, 0.3])),
        min_size=1,
        max_size=60,
    ),
    batch_size=st.integers(min_value=1, max_value=8),
    duration=st.sampled_from([0.0, 0.05, 0.7]),
    poison=st.sampled_from([None, 0, 3]),
    policy=st.sampled_from(["shard", "lane"]),
    reserved=st.sampled_from([None, None, 2]),
)
def test_property_per_key_order_nothing_lost_bounded_concurrency(
    pf: int,
    shards: int,
    keys: list[tuple[int, float]],
    batch_size: int,
    duration: float,
    poison: int | None,
    policy: str,
    reserved: int | None,
) -> None:
    handler = Concurrency(fail=set() if poison is None else {f"k{poison}"}, times=3)
    sim = kinesim.Simulator(seed=7)
    stream = sim.kinesis.create_stream("s", shard_count=shards)
    fn = sim.lambda_.create_function("f", handler, duration=duration, reserved_concurrency=reserved)
    handler.fn = fn
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=batch_size,
        parallelization_factor=pf,
        parallel_failure_policy=policy,
        bisect_on_error=True,
    )
    for i, (k, gap_s) in enumerate(keys):
        stream.put_record(str(i).encode(), partition_key=f"k{k}")
        if gap_s:  # records trickle in while lanes are busy
            sim.advance(gap_s)
            esm._check()
    for _ in range(600):
        if esm.caught_up:
            break
        sim.advance(1)
        esm._check()
    assert esm.caught_up
    assert esm.ledger.fates() == {"succeeded": len(keys)}
    _per_key_order_holds(handler.seen)
    assert handler.peak <= shards * pf
    if reserved is not None:
        assert handler.peak <= reserved


@pytest.mark.parametrize("keys", [1, 40])
def test_throughput_rises_with_distinct_keys_only(keys: int) -> None:
    serial, _, _ = _run(pf=1, keys=keys, n=300)
    parallel, _, _ = _run(pf=5, keys=keys, n=300)
    if keys == 1:
        assert parallel == serial
    else:
        assert parallel * 2 <= serial


def test_filters_with_lanes_settle_the_dropped_records_as_filtered() -> None:
    handler = Concurrency()
    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.1)
    handler.fn = fn
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=3,
        parallelization_factor=4,
        filters=[{"data": {"key": [{"prefix": "keep-"}]}}],
    )
    for i in range(40):
        key = f"keep-{i % 5}" if i % 3 else f"drop-{i % 4}"
        stream.put_record(json.dumps({"key": key, "i": i}).encode(), partition_key=key)
    sim.drain()
    esm._check()
    assert {key for key, _ in handler.seen} == {f"keep-{k}" for k in range(5)}
    assert esm.ledger.fates() == {"succeeded": 26, "filtered": 14}
    assert esm.checkpoints() == {"shardId-000000000000": 40}
    _per_key_order_holds(handler.seen)


def test_disable_and_enable_with_lanes_resumes_from_the_lowest_unfinished_record() -> None:
    handler = Concurrency(fail={"a"}, times=1)
    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.5)
    handler.fn = fn
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=2,
        parallelization_factor=2,
        parallel_failure_policy="lane",
        retry_backoff=kinesim.ExponentialBackoff(initial_s=5, max_s=5),
    )
    for i in range(12):
        stream.put_record(str(i).encode(), partition_key="a" if i % 4 == 0 else "c")
    sim.advance(2)
    esm._check()
    assert esm.checkpoints() == {"shardId-000000000000": 0}  # "a" failed; "c" went on
    sim.lambda_.update_event_source_mapping(esm, enabled=False)
    sim.advance(10)
    esm._check()
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.drain()
    esm._check()
    assert esm.ledger.fates() == {"succeeded": 12}
    assert esm.ledger.unresolved() == []
    _per_key_order_holds(handler.seen)


def test_records_trimmed_while_a_lane_fails_are_expired_and_the_rest_keep_their_fates() -> None:
    handler = Concurrency(fail={"a"})  # "a" fails until its records expire
    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.1)
    handler.fn = fn
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=1,
        parallelization_factor=2,
        parallel_failure_policy="lane",
    )
    stream.put_record(b"0", partition_key="a")
    for i in range(1, 5):
        stream.put_record(str(i).encode(), partition_key="c")
    sim.advance(3600)
    esm._check()
    assert esm.checkpoints() == {"shardId-000000000000": 0}
    sim.advance(24 * 3600)  # retention trims the failing record: it is lost, the rest settle
    esm._check()
    assert esm.ledger.fates() == {"expired": 1, "succeeded": 4}
    assert esm.checkpoints() == {"shardId-000000000000": 5}


@settings(max_examples=12, deadline=None)
@given(pf=st.integers(min_value=2, max_value=10), shards=st.integers(min_value=1, max_value=2))
def test_property_throughput_rises_with_distinct_keys_but_not_with_one(
    pf: int, shards: int
) -> None:
    serial_many, _, _ = _run(pf=1, keys=50, shards=shards, n=240)
    parallel_many, many, _ = _run(pf=pf, keys=50, shards=shards, n=240)
    serial_one, _, _ = _run(pf=1, keys=1, shards=shards, n=120)
    parallel_one, one, _ = _run(pf=pf, keys=1, shards=shards, n=120)
    assert parallel_many < serial_many
    assert many.peak <= shards * pf
    assert parallel_one == serial_one
    assert one.peak == 1


def test_lanes_wait_for_their_batching_window() -> None:
    handler = Concurrency()
    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.05)
    handler.fn = fn
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=50,
        batching_window=5,
        parallelization_factor=3,
    )
    sim.advance(1)
    for i in range(12):
        stream.put_record(str(i).encode(), partition_key=f"k{i % 6}")
        sim.advance(0.2)
    sim.advance(1)
    assert handler.seen == []  # each lane waits up to 5 s for a fuller batch
    sim.drain()
    assert esm.ledger.fates() == {"succeeded": 12}
    assert len(handler.seen) == 12
    _per_key_order_holds(handler.seen)


def test_a_lane_batch_cut_at_six_mib_puts_the_rest_back() -> None:
    sizes: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        sizes.append(len(event["Records"]))

    sim = kinesim.Simulator(seed=0, limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.05)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=100, parallelization_factor=2
    )
    for _ in range(20):
        stream.put_records([(b"z" * 200_000, "same-key") for _ in range(5)])
    sim.drain()
    esm._check()
    assert esm.ledger.fates() == {"succeeded": 100}
    assert max(sizes) < 100  # 100 records of 200 kB do not fit one 6 MiB event
    assert sum(sizes) == 100


def test_reenabled_while_a_lane_is_still_in_flight_the_other_lanes_start_at_once() -> None:
    handler = Concurrency()
    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=30, timeout=60)
    handler.fn = fn
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=1,
        parallelization_factor=2,
    )
    stream.put_record(b"0", partition_key="a")  # lane 0: in flight for 30 s
    sim.advance(1)
    sim.lambda_.update_event_source_mapping(esm, enabled=False)
    sim.advance(1)
    stream.put_record(b"1", partition_key="c")  # lane 1
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.advance(2)
    assert [v for _, v in handler.seen] == [0, 1]  # "c" did not wait for "a"'s 30 s
    sim.drain()
    esm._check()
    assert esm.ledger.fates() == {"succeeded": 2}


def test_changing_the_factor_while_records_wait_for_the_batching_window_reads_them_again() -> None:
    handler = Concurrency()
    sim = kinesim.Simulator(seed=1)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.3)
    handler.fn = fn
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=4, batching_window=2
    )
    sim.advance(0)
    for i in range(3):
        stream.put_record(str(i).encode(), partition_key=f"k{i}")
    sim.advance(1.5)  # read at the 1 s poll, waiting for the window with one lane
    sim.lambda_.update_event_source_mapping(esm, parallelization_factor=2)
    sim.drain()
    esm._check()
    assert esm.ledger.fates() == {"succeeded": 3}
    assert sorted(v for _, v in handler.seen) == [0, 1, 2]
