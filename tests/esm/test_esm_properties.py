"""Invariants under random puts, failures and settings (hypothesis).

Records reach the handler in sequence order per shard; every record is delivered at least once
unless it was given up or expired; every record ends in exactly one final fate; checkpoints never
move backwards (``_check()`` after every virtual second).
"""

from __future__ import annotations

import base64
from collections import defaultdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim

record_st = st.tuples(
    st.integers(min_value=0, max_value=7),  # partition key index
    st.sampled_from([0, 0, 0, 1, 2, -1]),  # failures before success (-1: always, a poison)
    st.sampled_from([0, 0, 0.3, 2.0]),  # seconds to wait before the next put
)


@settings(max_examples=60, deadline=None)
@given(
    shards=st.integers(min_value=1, max_value=3),
    records=st.lists(record_st, min_size=1, max_size=25),
    batch_size=st.integers(min_value=1, max_value=6),
    bisect=st.booleans(),
    rbif=st.booleans(),
    max_retry_attempts=st.sampled_from([-1, 0, 1, 3]),
    max_record_age=st.sampled_from([-1, 60]),
    duration=st.sampled_from([0.0, 0.05, 1.5]),
    window=st.sampled_from([0, 0, 2]),
    reshard_at=st.one_of(st.none(), st.integers(min_value=0, max_value=24)),
    reserved=st.sampled_from([None, None, 1]),
)
def test_order_at_least_once_one_fate_monotonic_checkpoints(
    shards: int,
    records: list[tuple[int, int, float]],
    batch_size: int,
    bisect: bool,
    rbif: bool,
    max_retry_attempts: int,
    max_record_age: int,
    duration: float,
    window: int,
    reshard_at: int | None,
    reserved: int | None,
) -> None:
    if max_retry_attempts == -1 and max_record_age == -1:
        max_retry_attempts = 2  # otherwise a poison record stalls its shard for 24 h
    failures_left = {f"r{i}": fails for i, (_, fails, _) in enumerate(records)}
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        seen.append(event)
        failing = []
        for record in event["Records"]:
            value = base64.b64decode(record["kinesis"]["data"]).decode()
            left = failures_left[value]
            if left != 0:
                failures_left[value] = left - 1 if left > 0 else -1
                failing.append(record["kinesis"]["sequenceNumber"])
        if not failing:
            return None
        if rbif and len(failing) % 2:  # sometimes report, sometimes raise
            return {"batchItemFailures": [{"itemIdentifier": s} for s in failing]}
        raise RuntimeError("failing records")

    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=shards)
    fn = sim.lambda_.create_function(
        "f", handler, duration=duration, timeout=10, reserved_concurrency=reserved
    )
    queue = sim.sqs.create_queue("dlq")
    sim.advance(0)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=batch_size,
        batching_window=window,
        bisect_on_error=bisect,
        max_retry_attempts=max_retry_attempts,
        max_record_age=max_record_age,
        report_batch_item_failures=rbif,
        on_failure=queue,
    )
    positions: dict[str, tuple[str, int]] = {}
    for i, (key, _, wait) in enumerate(records):
        if i == reshard_at:
            parent = stream.open_shards()[0]
            middle = (parent.hash_key_start + parent.hash_key_end) // 2 + 1
            stream.split_shard(parent.shard_id, str(middle))
            sim.advance(0)
        result = stream.put_record(f"r{i}".encode(), f"key-{key}")
        positions[result.sequence_number] = (result.shard_id, i)
        if wait:
            sim.advance(wait)
            esm._check()
    for _ in range(600):
        if esm.caught_up:
            break
        sim.advance(1)
        esm._check()
    sim.drain(timeout=3600)
    esm._check()

    # Reads never go back: each shard's polls start at or after the previous one.
    poll_starts: dict[str, list[int]] = defaultdict(list)
    for event in sim.trace.of_kind("esm.poll"):
        poll_starts[event.fields["shard"]].append(event.fields["start"])
    for starts_of_shard in poll_starts.values():
        assert starts_of_shard == sorted(starts_of_shard)
    # Exactly one final fate per record; nothing unresolved.
    assert sum(esm.ledger.fates().values()) == len(records)
    assert esm.ledger.unresolved() == []
    # Parents before children: no child record reached the handler before its parent's last.
    if reshard_at is not None:
        order_seen = [r["eventID"].split(":")[0] for event in seen for r in event["Records"]]
        for shard in stream.shards:
            for parent_id in (shard.parent_shard_id, shard.adjacent_parent_shard_id):
                if parent_id in order_seen and shard.shard_id in order_seen:
                    last_parent = len(order_seen) - 1 - order_seen[::-1].index(parent_id)
                    assert last_parent < order_seen.index(shard.shard_id)
    # Per shard, batches never start before an earlier batch, records ascend within a batch,
    # and first deliveries come in sequence order.
    starts: dict[str, list[int]] = defaultdict(list)
    first_seen: dict[str, list[int]] = defaultdict(list)
    delivered: set[str] = set()
    for event in seen:
        seqs = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
        shard_id = event["Records"][0]["eventID"].split(":")[0]
        assert {r["eventID"].split(":")[0] for r in event["Records"]} == {shard_id}
        order = [positions[s][1] for s in seqs]
        assert order == sorted(order)
        starts[shard_id].append(order[0])
        for seq, index in zip(seqs, order, strict=True):
            if seq not in delivered:
                delivered.add(seq)
                first_seen[shard_id].append(index)
    for shard_id in starts:
        assert starts[shard_id] == sorted(starts[shard_id])
        assert first_seen[shard_id] == sorted(first_seen[shard_id])
    # At least once: every succeeded record reached the handler; a poison never succeeded.
    for seq, (_, index) in positions.items():
        fate = esm.ledger.fate(seq)
        assert fate is not None
        if fate.kind == "succeeded":
            assert seq in delivered
            assert records[index][1] != -1
        if fate.kind == "RetryAttemptsExhausted":
            assert esm.ledger.deliveries(seq)
    # Every give-up sent one message naming exactly its records.
    given_up = sum(
        n
        for kind, n in esm.ledger.fates().items()
        if kind in ("RetryAttemptsExhausted", "RecordAgeExceeded")
    )
    assert sum(body["KinesisBatchInfo"]["batchSize"] for body in queue.json_bodies()) == given_up


def test_same_seed_same_trace() -> None:
    def run() -> str:
        sim = kinesim.Simulator(seed=7)
        stream = sim.kinesis.create_stream("s", shard_count=2)
        calls = {"n": 0}

        def handler(event: dict[str, Any], context: Any) -> None:
            calls["n"] += 1
            if calls["n"] % 3 == 0:
                raise ValueError("every third call fails")

        fn = sim.lambda_.create_function("f", handler, duration=kinesim.Uniform(0.01, 0.2))
        queue = sim.s3.create_bucket("dlq")
        sim.advance(0)
        sim.lambda_.create_event_source_mapping(
            fn,
            stream,
            starting_position="TRIM_HORIZON",
            batch_size=4,
            bisect_on_error=True,
            max_retry_attempts=1,
            on_failure=queue,
        )
        for i in range(50):
            stream.put_record(f"r{i}".encode(), f"k{i % 5}")
            sim.advance(0.1)
        sim.drain()
        return sim.trace.digest()

    assert run() == run()
