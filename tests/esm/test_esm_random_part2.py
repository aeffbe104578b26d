"""Random operation sequences against lanes and against tumbling windows: puts (some records of
300 kB, so 6 MiB cuts and 10 MiB reads happen), time, disable/enable, factor and window-length
updates, splits and merges, poison records, throttles and batching windows. After every step the
mapping's invariants hold; per-key order of first deliveries holds under lanes; at the end every
record is settled. (Run locally with 1,500 examples per seed while building them.)"""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kinesim

LANE_OPS = st.one_of(
    st.tuples(st.just("put"), st.integers(0, 9), st.sampled_from([10, 10, 10, 300_000])),
    st.tuples(st.just("adv"), st.sampled_from([0.05, 0.3, 1, 5])),
    st.tuples(st.just("toggle")),
    st.tuples(st.just("split")),
    st.tuples(st.just("merge")),
    st.tuples(st.just("pf"), st.sampled_from([1, 2, 5])),
    st.tuples(st.just("poison")),
    st.tuples(st.just("heal")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ops=st.lists(LANE_OPS, min_size=15, max_size=80),
    policy=st.sampled_from(["shard", "lane"]),
    pf=st.integers(2, 6),
    window=st.sampled_from([0, 0, 2]),
)
def test_random_operations_on_lanes(ops: Any, policy: str, pf: int, window: int) -> None:
    sim = kinesim.Simulator(seed=1, limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("s", shard_count=2)
    failing = set()
    first = {}

    def handler(event, context):
        for r in event["Records"]:
            v = int(base64.b64decode(r["kinesis"]["data"])[:8])
            k = r["kinesis"]["partitionKey"]
            if v not in first:
                first[v] = True
                assert v > handler.last.get(k, -1), (k, v)
                handler.last[k] = v
            if v in failing:
                raise RuntimeError

    handler.last = {}
    fn = sim.lambda_.create_function("f", handler, duration=0.3, timeout=5)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=4,
        parallelization_factor=pf,
        parallel_failure_policy=policy,
        max_retry_attempts=2,
        bisect_on_error=True,
        batching_window=window,
    )
    n = 0
    enabled = True
    reshards = 0
    for o in ops:
        if o[0] == "put":
            stream.put_record(b"%08d" % n + b"x" * o[2], f"k{o[1]}")
            n += 1
        elif o[0] == "adv":
            sim.advance(o[1])
        elif o[0] == "toggle" and esm.state in ("Enabled", "Disabled"):
            enabled = not enabled
            sim.lambda_.update_event_source_mapping(esm, enabled=enabled)
        elif o[0] == "pf" and esm.state in ("Enabled", "Disabled"):
            sim.lambda_.update_event_source_mapping(esm, parallelization_factor=o[1])
        elif o[0] == "split" and reshards < 3:
            p = stream.open_shards()[0]
            stream.split_shard(p.shard_id, str((p.hash_key_start + p.hash_key_end) // 2 + 1))
            reshards += 1
        elif o[0] == "merge" and reshards < 3 and len(stream.open_shards()) > 1:
            a, b = stream.open_shards()[:2]
            stream.merge_shards(a.shard_id, b.shard_id)
            reshards += 1
        elif o[0] == "poison" and n:
            failing.add(n - 1)
        elif o[0] == "heal":
            failing.clear()
        esm._check()
    failing.clear()
    sim.advance(2)
    if esm.state == "Disabled":
        sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.advance(2)
    sim.drain(timeout=3600)
    esm._check()
    assert sum(esm.ledger.fates().values()) == n
    assert esm.ledger.unresolved() == []


WINDOW_OPS = st.one_of(
    st.tuples(st.just("put"), st.integers(0, 9), st.sampled_from([10, 10, 10, 300_000])),
    st.tuples(st.just("adv"), st.sampled_from([0.05, 0.3, 1, 5, 40])),
    st.tuples(st.just("toggle")),
    st.tuples(st.just("split")),
    st.tuples(st.just("merge")),
    st.tuples(st.just("tw"), st.sampled_from([0, 5, 30])),
    st.tuples(st.just("poison")),
    st.tuples(st.just("heal")),
    st.tuples(st.just("throttle"), st.booleans()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ops=st.lists(WINDOW_OPS, min_size=15, max_size=80),
    rbif=st.booleans(),
    bw=st.sampled_from([0, 0, 2]),
)
def test_random_operations_on_tumbling_windows(ops: Any, rbif: bool, bw: int) -> None:
    sim = kinesim.Simulator(seed=1, limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("s", shard_count=2)
    failing = set()

    def handler(event, context):
        values = [int(base64.b64decode(r["kinesis"]["data"])[:8]) for r in event["Records"]]
        if "window" not in event:
            if failing & set(values):
                raise RuntimeError
            return None
        state = event["state"]
        if event["isFinalInvokeForWindow"]:
            assert event["Records"] == []
            return {"state": state}
        for r, v in zip(event["Records"], values, strict=True):
            if v in failing:
                if rbif:
                    return {
                        "state": state,
                        "batchItemFailures": [{"itemIdentifier": r["kinesis"]["sequenceNumber"]}],
                    }
                raise RuntimeError
            state["n"] = state.get("n", 0) + 1
        return {"state": state}

    fn = sim.lambda_.create_function("f", handler, duration=0.3, timeout=5)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=4,
        tumbling_window=5,
        max_retry_attempts=2,
        bisect_on_error=True,
        report_batch_item_failures=rbif,
        batching_window=bw,
    )
    n = 0
    enabled = True
    reshards = 0
    for o in ops:
        if o[0] == "put":
            stream.put_record(b"%08d" % n + b"x" * o[2], f"k{o[1]}")
            n += 1
        elif o[0] == "adv":
            sim.advance(o[1])
        elif o[0] == "toggle" and esm.state in ("Enabled", "Disabled"):
            enabled = not enabled
            sim.lambda_.update_event_source_mapping(esm, enabled=enabled)
        elif o[0] == "tw" and esm.state in ("Enabled", "Disabled"):
            sim.lambda_.update_event_source_mapping(esm, tumbling_window=o[1])
        elif o[0] == "split" and reshards < 3:
            p = stream.open_shards()[0]
            stream.split_shard(p.shard_id, str((p.hash_key_start + p.hash_key_end) // 2 + 1))
            reshards += 1
        elif o[0] == "merge" and reshards < 3 and len(stream.open_shards()) > 1:
            a, b = stream.open_shards()[:2]
            stream.merge_shards(a.shard_id, b.shard_id)
            reshards += 1
        elif o[0] == "poison" and n:
            failing.add(n - 1)
        elif o[0] == "heal":
            failing.clear()
        elif o[0] == "throttle":
            if o[1]:
                sim.lambda_.put_function_concurrency(fn, 0)
            else:
                sim.lambda_.delete_function_concurrency(fn)
        esm._check()
    failing.clear()
    sim.lambda_.delete_function_concurrency(fn)
    sim.advance(2)
    if esm.state == "Disabled":
        sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.advance(2)
    sim.drain(timeout=3600)
    esm._check()
    assert sum(esm.ledger.fates().values()) == n
    assert esm.ledger.unresolved() == []
