"""The capacity what-if at scale: one virtual hour of 4 shards at 1,000 records/s each.

14.4 million records with a duration-model handler (``handler=None``) through the real stream,
function and mapping models. The issue's bar: at most 60 s of wall time on a 2-core machine.
Reported with the wall/virtual ratio. Beside it, two virtual minutes of the same scenario with
and without the fast path (bulk puts; batches without event records), to show what it buys.

Wall time on a shared machine varies with what else runs; CPU time (``time.process_time``) is
reported beside it and is the steadier number.

Keys: one per shard (``CycleKeys``), so each shard gets exactly 1,000 records/s, its write limit,
and nothing is throttled; 512-byte records; batches of 500; LogNormal(median 80 ms, p99 400 ms).

The aggregate engine (``engine="aggregate"``, issue 15) on the same shape at production size,
each run in a fresh process so its peak RSS is its own: 1,000 shards x 24 virtual hours (bar:
60 s, 2 GB), 100 shards x 1 hour (bar: 5 s), and the built-in demo (4 shards, 1 hour) on both
engines (bar: the aggregate one at least 20x faster, the same answers within its error bound).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from harness import write_results

import kinesim
from kinesim._kinesis.hashing import even_ranges, hash_key_of
from kinesim.whatif import ConstantRate, CycleKeys, FixedSize, Scenario


def one_key_per_shard(shards: int) -> tuple[str, ...]:
    """``key-N`` names whose MD5 hash keys fall in shard 0, 1, ... of an even split."""
    ranges = even_ranges(shards)
    keys: list[str] = []
    i = 0
    while len(keys) < shards:
        key = f"key-{i}"
        start, end = ranges[len(keys)]
        if start <= hash_key_of(key) <= end:
            keys.append(key)
        i += 1
    return tuple(keys)


def scenario(simulated_s: float) -> Scenario:
    return Scenario(
        name="bench: 4 shards x 1,000 records/s",
        shards=4,
        simulated_s=simulated_s,
        arrivals=ConstantRate(rate=4000.0),
        keys=CycleKeys(keys=one_key_per_shard(4)),
        record_size=FixedSize(bytes=512),
        duration=kinesim.LogNormal(median=0.08, p99=0.4),
        batch_size=500,
        period_s=60,
    )


def _timed(simulated_s: float, *, fast: bool) -> tuple[float, float, Any]:
    import kinesim.whatif._producer as producer

    original = producer.put_bulk
    handler_cls = None
    if not fast:
        import kinesim.whatif._engine as engine

        def put_records_instead(stream: Any, data: Any, keys: Any) -> Any:
            result = stream.put_records(list(zip(data, keys, strict=True)))
            failed = [i for i, r in enumerate(result.records) if r.error_code]
            appended = []
            for r in result.records:
                if not r.error_code:
                    shard = stream.shard(r.shard_id)
                    appended.append((shard, shard.position_of(r.sequence_number), 1))
            return type("R", (), {"failed": failed, "appended": appended})()

        producer.put_bulk = put_records_instead  # type: ignore[assignment]
        # A handler that is not None and takes no batch view: the mapping builds events.
        handler_cls = engine._FaultyHandler
        handler_cls.kinesim_takes_batch_view = False  # type: ignore[misc]
        # A vanishing error probability makes the engine install its handler (never failing).
        sc = scenario(simulated_s).with_overrides({"faults.error_probability": 1e-12})
    else:
        sc = scenario(simulated_s)
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        report = sc.run(engine="records")  # the record-level engine, as before issue 15
        return time.perf_counter() - started, time.process_time() - cpu_started, report
    finally:
        producer.put_bulk = original  # type: ignore[assignment]
        if handler_cls is not None:
            handler_cls.kinesim_takes_batch_view = True  # type: ignore[misc]


_AGGREGATE_RUN = """
import json, sys, time
sys.path.insert(0, {bench_dir!r})
from bench_whatif import peak_rss_mb, production
from kinesim.whatif import demo_scenario
kind, shards, hours = {kind!r}, {shards!r}, {hours!r}
if kind == "production":
    scenario = production(shards, hours * 3600)
else:
    scenario = demo_scenario().with_overrides({{"simulated_s": hours * 3600}})
started, cpu = time.perf_counter(), time.process_time()
report = scenario.run(engine={engine!r})
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
s = report.summary
print(json.dumps({{
    "wall_s": wall, "cpu_s": cpu,
    "peak_rss_mb": peak_rss_mb(),
    "records_put": s.records_put, "records_processed": s.records_processed,
    "records_lost": s.records_lost, "max_iterator_age_s": s.max_iterator_age_s,
    "p99_iterator_age_s": s.p99_iterator_age_s, "write_throttles": s.write_throttles,
    "monthly_cost_usd": s.monthly_cost_usd, "engine": report.engine,
}}))
"""


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: reset by exec, unlike ``ru_maxrss``, which a
    child started from a big parent would inherit)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def production(shards: int, simulated_s: float) -> Scenario:
    """``shards`` shards at 1,000 records/s each (one key per shard), as :func:`scenario`."""
    return scenario(simulated_s).with_overrides(
        {
            "name": f"bench: {shards:,} shards x 1,000 records/s",
            "shards": shards,
            "arrivals.rate": 1000.0 * shards,
            "keys": CycleKeys(keys=one_key_per_shard(shards)).to_dict(),
        }
    )


def _in_process(kind: str, shards: int, hours: float, engine: str) -> dict[str, Any]:
    code = _AGGREGATE_RUN.format(
        bench_dir=str(Path(__file__).parent), kind=kind, shards=shards, hours=hours, engine=engine
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _relative(agg: dict[str, Any], rec: dict[str, Any]) -> dict[str, float]:
    """The aggregate engine's relative differences from the record-level engine."""
    out = {}
    for key in ("records_processed", "max_iterator_age_s", "p99_iterator_age_s"):
        out[key] = abs(agg[key] - rec[key]) / max(abs(rec[key]), 1e-9)
    out["records_lost_abs"] = abs(agg["records_lost"] - rec["records_lost"])
    out["monthly_cost_usd"] = abs(agg["monthly_cost_usd"] - rec["monthly_cost_usd"]) / max(
        rec["monthly_cost_usd"], 1e-9
    )
    return out


def run_aggregate(quick: bool) -> dict[str, Any]:
    """The aggregate engine at production sizes (each in its own process)."""
    day_shards, day_hours = (50, 0.25) if quick else (1000, 24.0)
    hour_shards, hour_hours = (10, 0.1) if quick else (100, 1.0)
    demo_hours = 0.05 if quick else 1.0
    day = _in_process("production", day_shards, day_hours, "aggregate")
    hour = _in_process("production", hour_shards, hour_hours, "aggregate")
    demo_agg = _in_process("demo", 4, demo_hours, "aggregate")
    demo_rec = _in_process("demo", 4, demo_hours, "records")
    return {
        "production_day": {"shards": day_shards, "virtual_h": day_hours, **day},
        "production_hour": {"shards": hour_shards, "virtual_h": hour_hours, **hour},
        "demo": {
            "virtual_h": demo_hours,
            "aggregate": demo_agg,
            "records": demo_rec,
            "speedup_wall": demo_rec["wall_s"] / demo_agg["wall_s"],
            "speedup_cpu": demo_rec["cpu_s"] / demo_agg["cpu_s"],
            "relative_difference": _relative(demo_agg, demo_rec),
        },
        "targets": {"day_wall_s": 60.0, "day_rss_mb": 2048.0, "hour_wall_s": 5.0, "speedup": 20},
    }


def run(quick: bool) -> dict[str, Any]:
    aggregate = run_aggregate(quick)  # first: its processes start from a small parent
    hour_s = 30.0 if quick else 3600.0
    compare_s = 5.0 if quick else 120.0
    wall, cpu, report = _timed(hour_s, fast=True)
    s = report.summary
    fast_wall, fast_cpu, _ = _timed(compare_s, fast=True)
    slow_wall, slow_cpu, _ = _timed(compare_s, fast=False)
    return {
        "aggregate": aggregate,
        "virtual_s": hour_s,
        "records": s.records_put,
        "wall_s": wall,
        "cpu_s": cpu,
        "wall_per_virtual": wall / hour_s,
        "cpu_per_virtual": cpu / hour_s,
        "records_per_wall_s": s.records_put / wall,
        "target_wall_s": 60.0,
        "max_iterator_age_s": s.max_iterator_age_s,
        "write_throttles": s.write_throttles,
        "records_processed": s.records_processed,
        "compare": {
            "virtual_s": compare_s,
            "fast_path_wall_s": fast_wall,
            "event_path_wall_s": slow_wall,
            "fast_path_cpu_s": fast_cpu,
            "event_path_cpu_s": slow_cpu,
            "speedup_cpu": slow_cpu / fast_cpu,
        },
    }


if __name__ == "__main__":
    import json

    quick = "--quick" in sys.argv
    results = run(quick)
    print(json.dumps(results, indent=2))
    if not quick:
        print("written to", write_results("whatif", results))
