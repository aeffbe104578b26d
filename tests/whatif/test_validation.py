"""Scenarios with known answers (issue 9's validation list)."""

from __future__ import annotations

import pytest

import kinesim
from kinesim.whatif import (
    ConstantRate,
    CycleKeys,
    Faults,
    HotKey,
    ProducerConfig,
    Scenario,
    UniformKeys,
)
from kinesim.whatif._cli import demo_scenario


def _one_shard(rate: float, batch_size: int, duration_s: float, simulated_s: float) -> Scenario:
    return Scenario(
        shards=1,
        arrivals=ConstantRate(rate=rate),
        keys=UniformKeys(count=100),
        duration=kinesim.Constant(duration_s),
        batch_size=batch_size,
        simulated_s=simulated_s,
        period_s=30,
    )


def test_below_capacity_iterator_age_stays_near_poll_interval_plus_processing():
    # 50 records/s, batches of up to 100 taking 0.2 s: far below capacity. A record waits at
    # most one poll interval (1 s) plus the producer's 0.1 s buffering, then 0.2 s of handler.
    report = _one_shard(rate=50, batch_size=100, duration_s=0.2, simulated_s=900).run()
    bound = 1.0 + 0.1 + 0.2
    assert report.summary.max_iterator_age_s <= bound
    # The age is sampled when a batch finishes: at least the handler time, never growing.
    ages = [a for a in report.series["iterator_age_max_s"] if a is not None]
    assert min(ages) >= 0.2
    assert ages[-1] <= ages[1] + 0.05
    assert report.summary.records_unresolved <= 50 * bound + 1


def test_above_capacity_iterator_age_grows_at_the_queueing_rate():
    # Batches of 10 records taking 0.25 s, read back to back: service rate mu = 40 records/s
    # (4 reads/s, under the shard's 5/s read limit). Arrivals lambda = 100 records/s. The batch
    # that finishes at time t holds record number mu*t, which arrived at mu*t/lambda, so the
    # iterator age is t * (1 - mu/lambda): it grows by 0.6 s every second.
    rate, mu = 100.0, 40.0
    report = _one_shard(rate=rate, batch_size=10, duration_s=0.25, simulated_s=1800).run()
    ages = report.series["iterator_age_max_s"]
    times = report.times_s
    period = report.period_s
    first, last = 2, len(ages) - 1
    assert ages[first] is not None
    assert ages[last] is not None
    slope = (ages[last] - ages[first]) / (times[last] - times[first])
    expected = 1 - mu / rate
    assert slope == pytest.approx(expected, rel=0.05)
    # The report's largest age is the last period's, about expected * run length.
    assert report.summary.max_iterator_age_s == pytest.approx(expected * 1800, rel=0.05)
    # Processed throughput is the service rate; the backlog grows at lambda - mu.
    processed = report.series["processed_per_s"][first:]
    assert sum(processed) / len(processed) == pytest.approx(mu, rel=0.05)
    backlog = report.series["backlog_records"]
    assert (backlog[last] - backlog[first]) / ((last - first) * period) == pytest.approx(
        rate - mu, rel=0.05
    )


def _pf_gain(keys) -> tuple[float, float]:
    base = Scenario(
        shards=1,
        arrivals=ConstantRate(rate=200),
        keys=keys,
        duration=kinesim.Constant(0.5),
        batch_size=20,
        simulated_s=600,
        period_s=60,
    )
    one = base.run().summary.max_iterator_age_s
    five = base.with_overrides({"parallelization_factor": 5}).run().summary.max_iterator_age_s
    return one, five


def test_parallelization_factor_helps_many_keys_not_one():
    many_one, many_five = _pf_gain(UniformKeys(count=1000))
    single_one, single_five = _pf_gain(CycleKeys(keys=("only-key",)))
    assert many_five < many_one / 2  # five lanes drain a many-key backlog much faster
    assert single_five == pytest.approx(single_one, rel=0.05)  # one key: one lane, no gain


def test_demo_poison_record_stalls_one_shard_with_rising_age():
    report = demo_scenario().with_overrides({"simulated_s": 1200.0, "period_s": 60}).run()
    assert len(report.stalled_shards()) == 1
    ages = report.series["iterator_age_max_s"]
    before = [a for a in ages[:10] if a is not None]  # the poison arrives at 600 s
    assert max(before) < 2
    after = [a for a in ages[12:] if a is not None]
    assert after == sorted(after)  # rising, period after period
    assert after[-1] > 500
    s = report.summary
    assert s.records_lost == 0  # no retry limit: it retries; nothing lost within the hour
    assert s.errors > 10


def test_poison_record_is_lost_at_retention_when_no_retry_limit():
    hour = 3600.0
    scenario = Scenario(
        shards=4,
        arrivals=ConstantRate(rate=0.2),
        keys=UniformKeys(count=100),
        duration=kinesim.Constant(0.05),
        retention_hours=24,
        simulated_s=25 * hour,
        period_s=3600,
        faults=Faults(poison_at_s=(60.0,), poison_key="key-7"),
        # One producer tick a second (not ten) keeps 25 virtual hours cheap to run.
        producer=ProducerConfig(flush_interval_s=1.0),
    )
    report = scenario.run()
    s = report.summary
    # With MaximumRetryAttempts -1 the batch holding the poison record is retried until the
    # record expires, 24 hours after it was written; then it (and only what expired with it)
    # is lost and the shard catches up.
    assert s.records_expired >= 1
    assert s.records_to_destination == 0
    assert s.time_to_first_loss_s is not None
    assert 24 * hour + 60 <= s.time_to_first_loss_s <= 24 * hour + 60 + 120
    assert s.max_iterator_age_s == pytest.approx(24 * hour, rel=0.01)
    # Caught up after the loss: nothing pending at the end, no shard stalled.
    assert report.series["backlog_records"][-1] <= 1
    assert report.stalled_shards() == []


def test_hot_key_skew_stalls_more_than_uniform_keys():
    # The same load concentrated on one key goes to one shard, which then runs over its
    # 1,000 records/s write limit: write throttles and producer retries appear.
    base = Scenario(shards=4, arrivals=ConstantRate(rate=1600), simulated_s=120, period_s=30)
    uniform = base.with_overrides({"keys": {"kind": "uniform", "count": 1000}}).run().summary
    hot = base.with_overrides({"keys": HotKey(count=1000, share=0.9).to_dict()}).run().summary
    assert uniform.write_throttles == 0
    assert hot.write_throttles > 0
    assert hot.producer_throttled > 0


def test_shared_throughput_readers_slow_the_mapping():
    # The mapping reads once a second. Four more applications polling the shard once a second
    # make five reads a second, the shard's whole shared read budget: the mapping's reads are
    # throttled now and then, each costing it a second, and its records wait longer.
    base = Scenario(
        shards=1,
        arrivals=ConstantRate(rate=500),
        batch_size=100,
        duration=kinesim.Constant(0.02),
        simulated_s=300,
        period_s=60,
    )
    alone = base.run().summary
    crowded = base.with_overrides({"shared_readers": 4}).run().summary
    assert alone.max_iterator_age_s < 2
    assert alone.read_throttles == 0
    assert crowded.read_throttles > 100
    assert crowded.max_iterator_age_s > 5
    assert crowded.records_processed < alone.records_processed


def test_what_a_poison_record_costs_under_each_error_setting():
    # One poison record, three retries at most: without help the whole batch holding it goes
    # to the on-failure destination; reporting the bad item checkpoints the records before it;
    # bisecting isolates the poison record alone.
    base = Scenario(
        shards=1,
        arrivals=ConstantRate(rate=50),
        simulated_s=900,
        period_s=60,
        max_retry_attempts=2,
        faults=Faults(poison_at_s=(100.3,)),
    )
    plain = base.run().summary
    partial = base.with_overrides({"report_batch_item_failures": True}).run().summary
    bisect = base.with_overrides({"bisect_on_error": True}).run().summary
    assert plain.records_to_destination > partial.records_to_destination > 1
    assert bisect.records_to_destination == 1
    for summary in (plain, partial, bisect):
        assert summary.records_expired == 0
        assert summary.records_unresolved <= 60  # the rest went through (but the last second)
