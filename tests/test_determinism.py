"""Same seed and same calls give a byte-identical trace in any process, whatever PYTHONHASHSEED."""

import os
import subprocess
import sys

SCENARIO = """
import sys
from kinesim import Simulator

sim = Simulator(seed=int(sys.argv[1]))
rng = sim.random("scenario")
names = {"alpha", "beta", "gamma", "delta"}  # set order depends on PYTHONHASHSEED

def tick(n):
    sim.trace.emit("tick", n=n, draw=rng.random(), key=rng.choice(sorted(names)))
    if n < 200:
        sim.call_later_ms(rng.randrange(0, 50), tick, n + 1)

for name in sorted(names):
    sim.call_later_ms(rng.randrange(0, 10), tick, 0)
sim.advance(60)
print(sim.trace.digest(), len(sim.trace))
"""


def _digest(seed: int, hashseed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    result = subprocess.run(
        [sys.executable, "-c", SCENARIO, str(seed)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return result.stdout.strip()


def test_same_seed_same_digest_across_processes_and_hash_seeds():
    first = _digest(42, "1")
    assert first == _digest(42, "12345")
    assert first == _digest(42, "random")
    assert int(first.split()[1]) > 200


def test_different_seed_different_digest():
    assert _digest(42, "1") != _digest(43, "1")
