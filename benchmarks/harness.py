"""A small benchmark harness: warm-up, repeats, min and median, JSON results.

Each ``benchmarks/bench_*.py`` module exposes ``run(quick: bool) -> dict`` returning JSON-able
results. Speed is reported as ratios against a baseline measured in the same run, on the same
machine, so the committed numbers mean something on any machine; absolute seconds are kept
alongside for context. ``quick`` mode is a smoke run: tiny sizes, one repeat, nothing asserted.
"""

from __future__ import annotations

import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


def measure(fn: Callable[[], object], *, repeats: int = 5, warmup: int = 1) -> dict[str, Any]:
    """Time ``fn`` ``repeats`` times after ``warmup`` untimed calls; GC is off while timing."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return {
        "min_s": min(times),
        "median_s": statistics.median(times),
        "repeats": repeats,
    }


def measure_interleaved(
    runs: dict[str, Callable[[], object]], *, repeats: int = 5, warmup: int = 1
) -> dict[str, dict[str, Any]]:
    """Like :func:`measure` for several contenders that take turns within each repeat, so a
    change of load on a shared machine hits them alike (their ratios are what is reported)."""
    for _ in range(warmup):
        for fn in runs.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
            finally:
                gc.enable()
    return {
        name: {"min_s": min(t), "median_s": statistics.median(t), "repeats": repeats}
        for name, t in times.items()
    }


def environment() -> dict[str, str]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
    }


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Write ``results/<name>.json`` (sorted keys, so diffs stay readable)."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"benchmark": name, "environment": environment(), **results}
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return path
