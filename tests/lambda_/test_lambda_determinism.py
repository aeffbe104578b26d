"""A Lambda scenario gives the same trace and invocation log in any process and hash seed."""

from __future__ import annotations

import os
import subprocess
import sys

SCENARIO = """
import json, sys
import kinesim

sim = kinesim.Simulator(seed=int(sys.argv[1]), limits=kinesim.Limits(account_concurrency=4))
def handler(event, context):
    print("n", event["n"], {"a", "b", "c"} and sorted({"a", "b", "c"}))
    kinesim.spend(0.001 * (event["n"] % 7))
    if event["n"] % 5 == 0:
        raise ValueError(event["n"])
    return {"n": event["n"]}

fn = sim.lambda_.create_function("f", handler, duration=kinesim.LogNormal(median=0.3, p99=2),
                                 cold_start=kinesim.Uniform(0.1, 0.5), timeout=2)
rng = sim.random("scenario")
for n in range(300):
    try:
        fn.invoke({"n": n})
    except kinesim.TooManyRequestsException:
        pass
    sim.advance_ms(rng.randrange(0, 400))
sim.advance(10)
print(sim.trace.digest(), len(sim.trace),
      json.dumps(sim.lambda_.invocation_log()[-3:], sort_keys=True))
"""


def _run(seed: int, hashseed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    result = subprocess.run(
        [sys.executable, "-c", SCENARIO, str(seed)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return result.stdout.strip()


def test_same_seed_same_trace_and_log_across_processes() -> None:
    first = _run(7, "1")
    assert first == _run(7, "999")
    assert first != _run(8, "1")
    count = first.split(" ", 2)[1]
    assert int(count) > 500
