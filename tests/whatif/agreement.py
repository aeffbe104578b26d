"""Running one scenario on both what-if engines and checking the aggregate engine's error bound.

Shared by the quick agreement tests (tests/whatif/test_aggregate.py) and the full grid
(tests/slow/test_aggregate_grid.py). Both engines run live: nothing here is a stored answer.
"""

from __future__ import annotations

from kinesim._esm.poller import lane_of
from kinesim._kinesis.hashing import even_ranges, hash_key_of
from kinesim.whatif import CycleKeys, Scenario, Summary
from kinesim.whatif._aggregate_parts import ERROR_BOUND


def one_key_per_lane(shards: int, lanes: int = 1) -> CycleKeys:
    """Round-robin keys, one per shard (and per ParallelizationFactor lane): each gets exactly
    its share every second in both engines, so a poison record shares its batch with the same
    records in both (what a retry, bisect or partial failure then does depends on where in its
    batch the poison record is), and lanes drain their reads at the same pace."""
    ranges = even_ranges(shards)
    wanted = {(s, lane) for s in range(shards) for lane in range(lanes)}
    found: dict[tuple[int, int], str] = {}
    i = 0
    while len(found) < len(wanted):
        key = f"key-{i}"
        shard = next(n for n, (lo, hi) in enumerate(ranges) if lo <= hash_key_of(key) <= hi)
        found.setdefault((shard, lane_of(key, lanes) if lanes > 1 else 0), key)
        i += 1
    return CycleKeys(keys=tuple(found[k] for k in sorted(found)))


def _within(name: str, agg: float, rec: float, rel: float, floor: float = 0.0) -> str | None:
    bound = max(rel * abs(rec), floor)
    if abs(agg - rec) <= bound:
        return None
    return f"{name}: aggregate {agg:,.3f} vs records {rec:,.3f} (allowed +-{bound:,.3f})"


def disagreements(agg: Summary, rec: Summary, batch_size: int) -> list[str]:
    """Where ``agg`` (aggregate engine) is outside :data:`ERROR_BOUND` of ``rec``."""
    b = ERROR_BOUND
    counts = b["records_processed_and_lost_rel"]
    # Lost records come a batch at a time (the batch holding a poison record), and which
    # records share that batch is random in both engines: the loss bound is 1% or one batch.
    checks = [
        _within("records_processed", agg.records_processed, rec.records_processed, counts, 1),
        _within("records_lost", agg.records_lost, rec.records_lost, counts, batch_size),
        _within(
            "max_iterator_age_s",
            agg.max_iterator_age_s,
            rec.max_iterator_age_s,
            b["iterator_age_rel"],
            b["iterator_age_abs_s"],
        ),
        _within(
            "p99_iterator_age_s",
            agg.p99_iterator_age_s,
            rec.p99_iterator_age_s,
            b["iterator_age_rel"],
            b["iterator_age_abs_s"],
        ),
        _within("write_throttles", agg.write_throttles, rec.write_throttles, b["throttles_rel"]),
        _within(
            "monthly_cost_usd", agg.monthly_cost_usd, rec.monthly_cost_usd, b["monthly_cost_rel"]
        ),
    ]
    return [c for c in checks if c is not None]


def compare(scenario: Scenario) -> tuple[Summary, Summary]:
    """Run ``scenario`` on both engines: (aggregate, records)."""
    agg = scenario.run(engine="aggregate")
    rec = scenario.run(engine="records")
    assert agg.engine == "aggregate"
    assert rec.engine == "records"
    return agg.summary, rec.summary


def assert_agrees(scenario: Scenario) -> tuple[Summary, Summary]:
    agg, rec = compare(scenario)
    problems = disagreements(agg, rec, scenario.batch_size)
    assert not problems, f"{scenario.describe()}\n  " + "\n  ".join(problems)
    return agg, rec
