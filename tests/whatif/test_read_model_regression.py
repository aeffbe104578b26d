"""Regression (issue 12): a what-if whose function can keep up does keep up, whatever its batch
size. Batch 10 at 150 records/s per shard with a 20 ms handler used to process a third of the
records with an iterator age of 400 s, because the mapping read only ``batch_size`` records per
GetRecords and throttled itself."""

from __future__ import annotations

import kinesim
from kinesim.whatif import ConstantRate, Scenario, UniformKeys


def test_batch_10_at_150_records_a_second_and_20_ms_keeps_up() -> None:
    report = Scenario(
        shards=2,
        batch_size=10,
        arrivals=ConstantRate(rate=300),  # 150 records/s per shard
        keys=UniformKeys(count=500),
        duration=kinesim.Constant(0.02),
        simulated_s=180,
        period_s=60,
    ).run()
    summary = report.summary
    assert summary.records_put == summary.records_generated > 50_000
    # Everything but what arrived in the run's last second or so (read at the next tick).
    assert summary.records_put - summary.records_processed <= 2 * 300
    assert summary.records_lost == 0
    assert summary.read_throttles == 0
    assert summary.p99_iterator_age_s < 2
