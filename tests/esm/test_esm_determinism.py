"""Same seed, same calls: byte-identical mapping trace in another process and hash seed."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import kinesim

sim = kinesim.Simulator(seed=3)
stream = sim.kinesis.create_stream("s", shard_count=3)
calls = {"n": 0}


def handler(event, context):
    calls["n"] += 1
    if calls["n"] % 4 == 0:
        raise ValueError("every fourth call fails")
    if calls["n"] % 5 == 0:
        return {"batchItemFailures": [
            {"itemIdentifier": event["Records"][-1]["kinesis"]["sequenceNumber"]}]}


fn = sim.lambda_.create_function("f", handler, duration=kinesim.LogNormal(median=0.05, p99=0.5))
bucket = sim.s3.create_bucket("dlq")
sim.advance(0)
sim.lambda_.create_event_source_mapping(
    fn, stream, starting_position="TRIM_HORIZON", batch_size=7, bisect_on_error=True,
    max_retry_attempts=1, report_batch_item_failures=True, on_failure=bucket,
    retry_backoff=kinesim.ExponentialBackoff(jitter=0.5),
)
for i in range(200):
    stream.put_record(f"r{i}".encode(), f"key-{i % 13}")
    sim.advance(0.05)
sim.drain()
print(sim.trace.digest(), len(bucket.keys()))
"""


def _run(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout


def test_trace_digest_is_the_same_across_processes_and_hash_seeds() -> None:
    first = _run("1")
    assert first == _run("12345")
    digest, objects = first.split()
    assert len(digest) == 64
    assert int(objects) > 0


PART_TWO = """
import kinesim

sim = kinesim.Simulator(seed=5)
stream = sim.kinesis.create_stream("s", shard_count=2)
calls = {"n": 0}


def lanes(event, context):
    calls["n"] += 1
    if calls["n"] % 6 == 0:
        raise ValueError("every sixth call fails")


def window(event, context):
    state = event["state"]
    state["n"] = state.get("n", 0) + len(event["Records"])
    return {"state": state}


fast = sim.lambda_.create_function("lanes", lanes, duration=kinesim.LogNormal(median=0.05, p99=0.5))
agg = sim.lambda_.create_function("window", window, duration=0.02)
sim.advance(0)
sim.lambda_.create_event_source_mapping(
    fast, stream, starting_position="TRIM_HORIZON", batch_size=4, parallelization_factor=5,
    parallel_failure_policy="lane", max_retry_attempts=2,
    retry_backoff=kinesim.ExponentialBackoff(jitter=0.5),
)
sim.lambda_.create_event_source_mapping(
    agg, stream, starting_position="TRIM_HORIZON", batch_size=10, tumbling_window=20
)
for i in range(300):
    stream.put_record(f"r{i}".encode(), f"key-{i % 17}")
    if i == 150:
        stream.split_shard("shardId-000000000000", str(2**126))
    sim.advance(0.05)
sim.drain()
print(sim.trace.digest(), calls["n"])
"""


def test_lanes_windows_and_a_reshard_give_the_same_trace_across_hash_seeds() -> None:
    def run(hash_seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        return subprocess.run(
            [sys.executable, "-c", PART_TWO], env=env, capture_output=True, text=True, check=True
        ).stdout

    first = run("1")
    assert first == run("4242")
    assert int(first.split()[1]) > 0
