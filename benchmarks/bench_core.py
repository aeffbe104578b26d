"""The core scheduling a million no-op events, beside a bare heapq loop doing the same work.

Both sides push N events at pseudo-random times (a fixed LCG, so both see the same times) and
then run them all in time order. The ratio core/heapq is what kinesim's scheduling costs on top
of the unavoidable heap work: the Handle object, the cancellation check and the clock update.
"""

from __future__ import annotations

import sys
from heapq import heappop, heappush
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from harness import measure, write_results

from kinesim import Simulator


def _delays(n: int) -> list[int]:
    x, out = 12345, []
    for _ in range(n):
        x = (1103515245 * x + 12345) & 0x7FFFFFFF
        out.append(x % 3_600_000)
    return out


def _noop() -> None:
    pass


def core_run(delays: list[int]) -> None:
    sim = Simulator(trace=False)
    call_later_ms = sim.call_later_ms
    for delay in delays:
        call_later_ms(delay, _noop)
    sim.advance(3_600)


def heapq_run(delays: list[int]) -> None:
    queue: list[tuple[int, int, object]] = []
    counter = count()
    now = 0
    for delay in delays:
        heappush(queue, (now + delay, next(counter), _noop))
    while queue:
        now, _, fn = heappop(queue)
        fn()  # type: ignore[operator]


def run(quick: bool) -> dict[str, object]:
    n = 10_000 if quick else 1_000_000
    repeats, warmup = (1, 0) if quick else (5, 1)
    delays = _delays(n)
    core = measure(lambda: core_run(delays), repeats=repeats, warmup=warmup)
    base = measure(lambda: heapq_run(delays), repeats=repeats, warmup=warmup)
    return {
        "events": n,
        "kinesim_core": core,
        "bare_heapq": base,
        "ratio_min": core["min_s"] / base["min_s"],
        "ratio_median": core["median_s"] / base["median_s"],
        "kinesim_events_per_s": n / core["min_s"],
    }


if __name__ == "__main__":
    import json

    quick = "--quick" in sys.argv
    results = run(quick)
    print(json.dumps(results, indent=2))
    if not quick:
        print("written to", write_results("core", results))
