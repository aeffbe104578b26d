"""Memory per virtual day of a long run with the default settings (issue 14: under 5 MB/day).

The scenario a user simulating a week runs: one stream of 2 shards, 24 h retention, a producer
putting 20 records of 100 bytes every second, one function (20 ms per batch) behind an event
source mapping from TRIM_HORIZON, trace and metrics on with their defaults. After each virtual
day the process's resident set size (RSS, from /proc/self/statm) is sampled after a GC; from
day 1 on the retained records are constant (retention trims a day's worth a day), so growth
after day 1 is what the simulator keeps per virtual day. Reported: RSS per day, MB per day
after day 1 (the slope between day 1 and the last day), and what the bookkeeping holds.

Run alone: ``python benchmarks/bench_memory_days.py [--quick]`` (writes
``benchmarks/results/memory_days.json``), or through ``benchmarks/run.py``. The full run takes
several minutes (7 virtual days); ``--quick`` runs 30 virtual minutes and reports the same fields.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import kinesim

RESULT = Path(__file__).parent / "results" / "memory_days.json"
RECORDS_PER_S = 20


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def soak(days: int, step_s: int = 86_400) -> dict[str, Any]:
    """Run the scenario ``days`` steps of ``step_s`` virtual seconds, sampling RSS per step."""
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("soak", shard_count=2)
    fn = sim.lambda_.create_function("f", None, duration=0.02)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    batch = [(b"x" * 100, f"k{i}") for i in range(RECORDS_PER_S)]

    def produce() -> None:
        stream.put_records(batch)
        sim.call_later(1, produce)

    sim.call_later(0, produce)
    gc.collect()
    samples = [rss_mb()]
    started = time.perf_counter()
    for _ in range(days):
        sim.advance(step_s)
        gc.collect()
        samples.append(rss_mb())
    wall = time.perf_counter() - started
    retained = sum(shard.end_index - shard.trim_index for shard in stream.shards)
    per_step = (samples[-1] - samples[1]) / (days - 1) if days > 1 else 0.0
    return {
        "virtual_days": days * step_s / 86_400,
        "rss_mb": [round(x, 1) for x in samples],
        "mb_per_step_after_first": round(per_step, 2),
        "retained_records": retained,
        "wall_s": round(wall, 1),
        "trace_held": len(sim.trace),
        "trace_recorded": sim.trace.recorded,
        "invocations_held": len(fn.invocations),
        "invocations": fn.invocation_count,
        "ledger": esm.ledger.bookkeeping(),
        "metrics": sim.metrics.bookkeeping(),
    }


def run(quick: bool) -> dict[str, Any]:
    if quick:
        result = soak(3, step_s=600)
        result["mb_per_day"] = None  # too short to say
    else:
        result = soak(7)
        result["mb_per_day"] = result["mb_per_step_after_first"]
    return {
        "benchmark": "memory_days",
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "goal_mb_per_day": 5,
        "before_mb_per_day": 755,  # issue 14, measured before bounded observation
        **result,
    }


if __name__ == "__main__":
    results = run("--quick" in sys.argv)
    print(json.dumps(results, indent=2))
    if "--quick" not in sys.argv:
        RESULT.write_text(json.dumps(results, indent=2) + "\n")
