"""Same seed and same calls give the same Kinesis trace, in another process and under another
PYTHONHASHSEED."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = r"""
import kinesim
sim = kinesim.Simulator(seed=7, timings=kinesim.Timings(stream_update_s=5))
s = sim.kinesis.create_stream("s", shard_count=3)
s.enable_enhanced_monitoring(["ALL"])
rng = sim.random("test.producer")
its = []
for step in range(200):
    keys = [f"user-{rng.randrange(50)}" for _ in range(rng.randrange(1, 30))]
    s.put_records([(k.encode() * rng.randrange(1, 400), k) for k in keys])
    if step == 50:
        s.update_shard_count(5)
    if step % 7 == 0:
        shard = s.shards[rng.randrange(len(s.shards))]
        its.append(sim.kinesis.get_shard_iterator("s", shard.shard_id, "TRIM_HORIZON"))
    for it in list(its):
        try:
            out = sim.kinesis.get_records(it, limit=rng.randrange(1, 50))
        except kinesim.AWSError:
            continue
        its.remove(it)
        if out.next_shard_iterator:
            its.append(out.next_shard_iterator)
    sim.advance(rng.random() * 2)
s.decrease_retention_period(24)
sim.advance(90_000)
print(sim.trace.digest(), len(sim.trace))
"""


def run(hashseed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_trace_is_identical_across_processes_and_hash_seeds() -> None:
    first = run("0")
    assert first == run("12345")
    _digest, count = first.split()
    assert int(count) > 200
