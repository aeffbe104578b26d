"""Run the benchmarks: ``python benchmarks/run.py [--quick] [NAME ...]``.

Without ``--quick`` each benchmark's results are written to ``benchmarks/results/NAME.json``;
with it, every benchmark runs at tiny sizes as a smoke test and nothing is written.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from harness import write_results  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, write nothing")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args()
    available = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    names = args.names or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; available: {available}")
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        started = time.perf_counter()
        results = module.run(args.quick)
        wall = time.perf_counter() - started
        summary = {k: v for k, v in results.items() if not isinstance(v, dict)}
        print(f"{name} ({wall:.1f} s): {json.dumps(summary, sort_keys=True)}")
        if not args.quick:
            write_results(name, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
