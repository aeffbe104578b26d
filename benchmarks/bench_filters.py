"""Event filtering per record, beside the floor: ``json.loads`` of the same records in a loop.

A filtered mapping parses each record's data once, when it is read. ``RecordFilter.select``
adds the nesting bound (two byte counts; for data with more than ``MAX_DATA_DEPTH`` brackets,
a pass without strings and one ``replace`` per level) and the compiled pattern. The ratio
select/loads is what filtering costs on top of the unavoidable parse, per record shape:

- ``flat``: a small order object (about 70 bytes), the common case;
- ``wide``: an object with a list of 60 small objects (121 brackets, under the bound);
- ``wide_scanned``: the same with 200 objects (401 brackets: the nesting is measured);
- ``wide_scanned_escaped``: as ``wide_scanned`` with escaped quotes (removed first).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from harness import measure, write_results

from kinesim._esm.filters import RecordFilter


class _Rows:
    """The one method of a shard that ``select`` reads."""

    def __init__(self, rows: list[bytes]) -> None:
        self.rows = rows

    def data(self, i: int) -> bytes:
        return self.rows[i]


def _shapes(n: int) -> dict[str, list[bytes]]:
    def wide(items: int, note: str) -> list[bytes]:
        lines = [{"sku": f"s{j}", "q": [1, 2]} for j in range(items)]
        body = {"kind": "order", "amount": 120, "note": note, "items": lines}
        return [json.dumps({**body, "n": i}).encode() for i in range(n // 10)]

    flat = [
        json.dumps({"kind": "order" if i % 3 else "refund", "amount": i % 500, "n": i}).encode()
        for i in range(n)
    ]
    return {
        "flat": flat,
        "wide": wide(60, "plain"),
        "wide_scanned": wide(200, "plain"),
        "wide_scanned_escaped": wide(200, 'say "hi"'),
    }


def _select(record_filter: RecordFilter, rows: list[bytes]) -> None:
    record_filter.select(_Rows(rows), 0, len(rows))


def _loads(rows: list[bytes]) -> None:
    loads = json.loads
    for raw in rows:
        loads(raw)


def run(quick: bool) -> dict[str, object]:
    n = 2_000 if quick else 100_000
    repeats, warmup = (1, 0) if quick else (5, 1)
    pattern = {"data": {"kind": ["order"], "amount": [{"numeric": [">=", 100]}]}}
    record_filter = RecordFilter((json.dumps(pattern),))
    results: dict[str, object] = {"records_flat": n, "records_wide": n // 10}
    for name, rows in _shapes(n).items():
        select = measure(
            lambda rows=rows: _select(record_filter, rows), repeats=repeats, warmup=warmup
        )
        base = measure(lambda rows=rows: _loads(rows), repeats=repeats, warmup=warmup)
        results[name] = {
            "select": select,
            "json_loads": base,
            "ratio_min": select["min_s"] / base["min_s"],
            "us_per_record": select["min_s"] / len(rows) * 1e6,
        }
    return results


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    results = run(quick)
    print(json.dumps(results, indent=2))
    if not quick:
        print("written to", write_results("filters", results))
