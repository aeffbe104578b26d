"""The event source mapping end to end, beside a floor doing only the unavoidable work.

``end_to_end``: put N records (500 per PutRecords, distinct partition keys) into a 4-shard stream,
a mapping with batch size 100 reads them and invokes a trivial handler; time until drained. The
stream's throughput limits are off so the wall time measures kinesim's own work, not virtual
waiting.

``floor``: the same records through the least work any simulator must do: MD5-route each key to
its shard, append it, then per shard build the AWS event dicts (base64 data) in batches of 100
and call the handler. The ratio end_to_end/floor is what the mapping, the scheduler, the ledger
and the Lambda model add on top.

``end_to_end_pf4``: ``end_to_end`` with ParallelizationFactor 4 (distinct keys, so four lanes per
shard): what lanes cost in wall time — the lane assignment (from the lane key the shard kept on
the put path, per batch of read records), gathering each lane's records and the out-of-order
checkpoint bookkeeping — on the same virtual work.

``idle``: 1,000 shards, one mapping, 24 virtual hours with no records: wall seconds (pollers
sleep until an arrival instead of polling every second).

``whatif_pf1`` / ``whatif_pf2``: a capacity what-if (8 shards, 2,000 records/s in all, 10
virtual minutes, the duration-model handler) with ParallelizationFactor 1 and 2: CPU seconds.
Lanes share the one read path and batch representation, so factor 2 should cost little more.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from base64 import b64encode
from collections.abc import Callable
from hashlib import md5
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from harness import measure, write_results

import kinesim

SHARDS = 4
BATCH = 100


def _records(n: int) -> list[tuple[bytes, str]]:
    return [(b'{"order": %d, "amount": 12.5}' % i, f"customer-{i}") for i in range(n)]


def _handler(event: Any, context: Any) -> None:
    return None


def end_to_end(
    records: list[tuple[bytes, str]], *, trace: bool = False, parallelization_factor: int = 1
) -> int:
    sim = kinesim.Simulator(trace=trace, limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("bench", shard_count=SHARDS)
    fn = sim.lambda_.create_function("bench", _handler)
    sim.advance(0)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=BATCH,
        parallelization_factor=parallelization_factor,
    )
    for i in range(0, len(records), 500):
        stream.put_records(records[i : i + 500])
        sim.advance(0.1)
    sim.drain()
    delivered = esm.ledger.fates().get("succeeded", 0)
    assert delivered == len(records), delivered
    return delivered


def floor(records: list[tuple[bytes, str]]) -> int:
    top = 2**128
    bounds = [top * (k + 1) // SHARDS - 1 for k in range(SHARDS)]
    shards: list[list[tuple[bytes, str, int, str]]] = [[] for _ in range(SHARDS)]
    now_ms = 1_767_225_600_000
    for position, (data, key) in enumerate(records):
        h = int.from_bytes(md5(key.encode()).digest(), "big")
        k = 0
        while h > bounds[k]:
            k += 1
        seq = f"49{now_ms:015d}{k:012d}{position + 1:020d}0000000"
        shards[k].append((data, key, now_ms, seq))
    role = "arn:aws:iam::123456789012:role/service-role/bench-role"
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/bench"
    delivered = 0
    for k, rows in enumerate(shards):
        shard_id = f"shardId-{k:012d}"
        for start in range(0, len(rows), BATCH):
            batch = [
                {
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": key,
                        "sequenceNumber": seq,
                        "data": b64encode(data).decode("ascii"),
                        "approximateArrivalTimestamp": arrival / 1000,
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": f"{shard_id}:{seq}",
                    "eventName": "aws:kinesis:record",
                    "invokeIdentityArn": role,
                    "awsRegion": "us-east-1",
                    "eventSourceARN": arn,
                }
                for data, key, arrival, seq in rows[start : start + BATCH]
            ]
            _handler({"Records": batch}, None)
            delivered += len(batch)
    return delivered


def idle(shards: int, hours: float) -> None:
    sim = kinesim.Simulator(trace=False)
    stream = sim.kinesis.create_stream("idle", shard_count=shards)
    fn = sim.lambda_.create_function("idle", _handler)
    sim.advance(0)
    sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    sim.advance(hours * 3600)


def whatif(parallelization_factor: int, simulated_s: float) -> None:
    from kinesim.whatif import ConstantRate, Scenario

    Scenario(
        shards=8,
        arrivals=ConstantRate(rate=2000.0),
        simulated_s=simulated_s,
        parallelization_factor=parallelization_factor,
    ).run()


def _interleaved(
    runs: dict[str, Callable[[], object]], repeats: int, warmup: int
) -> dict[str, dict[str, Any]]:
    """Time each run ``repeats`` times, taking turns, so load on a shared machine hits all of
    them alike (the ratio is what matters); GC off while timing, as in ``harness.measure``."""
    for _ in range(warmup):
        for fn in runs.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            gc.collect()
            gc.disable()
            try:
                start, cpu_start = time.perf_counter(), time.process_time()
                fn()
                times[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - cpu_start)
            finally:
                gc.enable()
    return {
        name: {
            "min_s": min(t),
            "median_s": statistics.median(t),
            "cpu_min_s": min(cpu[name]),
            "repeats": repeats,
        }
        for name, t in times.items()
    }


def _interleaved_cpu(
    runs: dict[str, Callable[[], object]], repeats: int
) -> dict[str, dict[str, Any]]:
    """Like :func:`_interleaved`, in CPU seconds (``time.process_time``): steadier than wall
    time on a shared machine for runs of several seconds."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            gc.collect()
            start = time.process_time()
            fn()
            times[name].append(time.process_time() - start)
    return {
        name: {"min_s": min(t), "median_s": statistics.median(t), "repeats": repeats}
        for name, t in times.items()
    }


def run(quick: bool) -> dict[str, Any]:
    n = 5_000 if quick else 200_000
    repeats, warmup = (1, 0) if quick else (7, 1)
    records = _records(n)
    timed = _interleaved(
        {
            "end_to_end": lambda: end_to_end(records),
            "end_to_end_traced": lambda: end_to_end(records, trace=True),
            "end_to_end_pf4": lambda: end_to_end(records, parallelization_factor=4),
            "floor": lambda: floor(records),
        },
        repeats,
        warmup,
    )
    e2e, e2e_traced, base = timed["end_to_end"], timed["end_to_end_traced"], timed["floor"]
    whatif_s = 10.0 if quick else 600.0
    cpu = _interleaved_cpu(
        {
            "whatif_pf1": lambda: whatif(1, whatif_s),
            "whatif_pf2": lambda: whatif(2, whatif_s),
        },
        repeats=1 if quick else 3,
    )
    idle_shards, idle_hours = (100, 1.0) if quick else (1_000, 24.0)
    idle_run = measure(lambda: idle(idle_shards, idle_hours), repeats=1 if quick else 3, warmup=0)
    return {
        "records": n,
        "shards": SHARDS,
        "batch_size": BATCH,
        "end_to_end": e2e,
        "end_to_end_traced": e2e_traced,
        "end_to_end_pf4": timed["end_to_end_pf4"],
        "pf4_over_pf1_min": timed["end_to_end_pf4"]["min_s"] / e2e["min_s"],
        # CPU seconds: steadier than wall time on a shared machine (see docs/performance.md).
        "pf4_over_pf1_cpu_min": timed["end_to_end_pf4"]["cpu_min_s"] / e2e["cpu_min_s"],
        "ratio_cpu_min": e2e["cpu_min_s"] / base["cpu_min_s"],
        "floor": base,
        "ratio_min": e2e["min_s"] / base["min_s"],
        "ratio_median": e2e["median_s"] / base["median_s"],
        "ratio_traced_min": e2e_traced["min_s"] / base["min_s"],
        "end_to_end_records_per_s": n / e2e["min_s"],
        "floor_records_per_s": n / base["min_s"],
        "idle_shards": idle_shards,
        "idle_virtual_hours": idle_hours,
        "idle": idle_run,
        "idle_wall_s": idle_run["min_s"],
        "whatif_virtual_s": whatif_s,
        "whatif_pf1_cpu": cpu["whatif_pf1"],
        "whatif_pf2_cpu": cpu["whatif_pf2"],
        "whatif_pf2_over_pf1_min": cpu["whatif_pf2"]["min_s"] / cpu["whatif_pf1"]["min_s"],
    }


if __name__ == "__main__":
    import json

    quick = "--quick" in sys.argv
    results = run(quick)
    print(json.dumps(results, indent=2))
    if not quick:
        print("written to", write_results("esm", results))
