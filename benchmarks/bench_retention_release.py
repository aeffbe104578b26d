"""Memory returned at retention with the trace on and off (issue 14: within 10% of each other).

One stream of 2 shards; N records of 100 bytes (distinct keys, 500 per PutRecords call, one call
per virtual second) flow through an event source mapping to a function (20 ms per batch);
then the simulator drains and advances past the 24 h retention, so every record is trimmed.
``tracemalloc`` measures what the simulator still holds (growth from just after it was built),
once with ``trace=True`` and a ring of 10,000 events (``trace_limit=10_000``), once with
``trace=False`` and once with the default ring of 1,000 events. The ring is a fixed
cost (about 300 bytes an event), so the on/off ratio depends on what else is held. Before
bounded observation 1,000,000 records left 216 MB held with the trace on and 32 MB with it off;
the full run here uses 200,000 records (a shared 2-core machine).

Also reported: the held memory *before* retention per retained record, beyond the payload
(``overhead_bytes_per_record``; goal: at most 150 B), for both settings.

Run alone: ``python benchmarks/bench_retention_release.py [--quick]`` (writes
``benchmarks/results/retention_release.json``), or through ``benchmarks/run.py``.
"""

from __future__ import annotations

import gc
import json
import platform
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import kinesim
from kinesim._observe.trace import DEFAULT_LIMIT

RESULT = Path(__file__).parent / "results" / "retention_release.json"


def _case(records: int, trace: bool, trace_limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    gc.collect()
    tracemalloc.start()
    sim = kinesim.Simulator(
        trace=trace, trace_limit=trace_limit, limits=kinesim.Limits(kinesis_throughput=False)
    )
    stream = sim.kinesis.create_stream("bench", shard_count=2)
    fn = sim.lambda_.create_function("f", None, duration=0.02)
    sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=500
    )
    gc.collect()
    baseline = tracemalloc.get_traced_memory()[0]
    payload = 0
    for first in range(0, records, 500):
        entries = []
        for i in range(first, min(first + 500, records)):
            data = bytes(bytearray(i.to_bytes(8, "big") + b"x" * 92))
            key = f"key-{i}"
            payload += len(data) + len(key)
            entries.append((data, key))
        stream.put_records(entries)
        del entries
        sim.advance(1)
    sim.drain()
    gc.collect()
    held_retained = tracemalloc.get_traced_memory()[0] - baseline
    sim.advance(24 * 3600 + 60)  # past retention: every record is trimmed
    gc.collect()
    held_after = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()
    assert all(shard.trim_index == shard.end_index for shard in stream.shards)
    return {
        "trace": trace,
        "trace_limit": trace_limit if trace else None,
        "records": records,
        "held_bytes_retained": held_retained,
        "overhead_bytes_per_record": round((held_retained - payload) / records, 1),
        "held_bytes_after_retention": held_after,
    }


def run(quick: bool = False) -> dict[str, Any]:
    records = 5_000 if quick else 200_000
    on, off = _case(records, True, trace_limit=10_000), _case(records, False)
    default = _case(records, True)
    return {
        "benchmark": "retention_release",
        "quick": quick,
        "python": platform.python_version(),
        "records": records,
        "trace_on_ring_10000": on,
        "trace_off": off,
        "trace_on_default_ring_1000": default,
        "after_retention_ring_10000_over_off": round(
            on["held_bytes_after_retention"] / off["held_bytes_after_retention"], 3
        ),
        "after_retention_default_over_off": round(
            default["held_bytes_after_retention"] / off["held_bytes_after_retention"], 3
        ),
        "goal_on_over_off": 1.10,
        "goal_overhead_bytes_per_record": 150,
    }


def main(argv: list[str]) -> int:
    results = run(quick="--quick" in argv)
    if not results["quick"]:
        RESULT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
