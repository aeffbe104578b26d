"""Metrics folded into CloudWatch-resolution periods answer as the exact datapoints would."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kinesim import Simulator
from kinesim._observe.metrics import Metrics, Series
from kinesim._observe.periods import Aging, summarise, weighted_percentile

MINUTE = 60_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, a whole hour


class _Clock:
    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms


def _exact_percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


# Offsets (ms) between datapoints, and integer values (exact in float64, so sums compare equal).
points = st.lists(
    st.tuples(st.integers(0, 40_000), st.integers(-1000, 10**6)), min_size=1, max_size=400
)


def _fill(series: Series, pairs: list[tuple[int, int]]) -> tuple[list[int], list[float]]:
    times, values = [], []
    t = T0
    for gap, value in pairs:
        t += gap
        series.add(t, float(value))
        times.append(t)
        values.append(float(value))
    return times, values


@settings(max_examples=60, deadline=None)
@given(points, st.integers(1, 30), st.sampled_from([1, 2, 4, 32]))
def test_folded_statistics_equal_the_exact_ones(pairs, raw, sketch_size) -> None:
    series = Series("NS", "M", raw_datapoints=raw, sketch_size=sketch_size)
    times, values = _fill(series, pairs)
    assert series.count() == len(series) == len(values)
    assert series.sum() == sum(values)
    assert series.min() == min(values)
    assert series.max() == max(values)
    assert series.mean() == pytest.approx(sum(values) / len(values))
    n = len(values)
    for p in (1, 50, 90, 99, 100):
        got = series.percentile(p)
        ordered = sorted(values)
        rank = ordered.index(got) + 1  # the first rank holding that value
        last_rank = n - ordered[::-1].index(got)
        exact_rank = max(1, math.ceil(p / 100 * n))
        # Stated bound: at most ceil(n_j / K) ranks above per summarised period, plus one.
        periods = len({t - t % MINUTE for t in times})
        allowed = math.ceil(n / sketch_size) + periods
        assert got in values
        assert rank - allowed <= exact_rank <= last_rank


@settings(max_examples=60, deadline=None)
@given(points, st.integers(1, 30), st.sampled_from([60, 120, 300]))
def test_period_statistics_over_folded_data_equal_the_exact_ones(pairs, raw, period) -> None:
    clock = _Clock(T0)
    metrics = Metrics(clock, raw_datapoints=raw, sketch_size=1000)  # sketch exact here
    exact = Metrics(clock, raw_datapoints=None)
    t = T0
    for gap, value in pairs:
        t += gap
        metrics.handle("NS", "M").add(t, float(value))
        exact.handle("NS", "M").add(t, float(value))
    clock.now_ms = t
    query = {
        "start": T0 / 1000,
        "end": (t + 1) / 1000,
        "period": period,
        "statistics": ["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
        "extended_statistics": ["p50", "p99"],
    }
    got = metrics.get_metric_statistics("NS", "M", **query)["Datapoints"]
    want = exact.get_metric_statistics("NS", "M", **query)["Datapoints"]
    assert got == want
    # ...and both equal statistics computed here from the datapoints themselves.
    buckets: dict[int, list[float]] = {}
    t = T0
    for gap, value in pairs:
        t += gap
        buckets.setdefault((t - T0) // (period * 1000), []).append(float(value))
    assert [p["SampleCount"] for p in got] == [len(v) for _, v in sorted(buckets.items())]
    assert [p["Sum"] for p in got] == [sum(v) for _, v in sorted(buckets.items())]
    assert [p["ExtendedStatistics"]["p99"] for p in got] == [
        _exact_percentile(v, 99) for _, v in sorted(buckets.items())
    ]


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=300), st.integers(2, 40))
def test_sketch_rank_error_is_within_n_over_k(values, size) -> None:
    ordered = sorted(values)
    counts: dict[int, int] = {}
    for v in ordered:
        counts[v] = counts.get(v, 0) + 1
    pairs = summarise(sorted((float(v), c) for v, c in counts.items()), len(ordered), size)
    assert len(pairs) <= size
    assert sum(w for _, w in pairs) == len(ordered)
    for p in (0.1, 25, 50, 75, 99, 100):
        got = weighted_percentile(pairs, len(ordered), p)
        exact_rank = max(1, math.ceil(p / 100 * len(ordered)))
        low = ordered[exact_rank - 1]
        high = ordered[min(len(ordered), exact_rank + math.ceil(len(ordered) / size)) - 1]
        assert low <= got <= high


def test_raw_datapoints_folded_are_refused_by_name_not_dropped() -> None:
    series = Series("NS", "M", raw_datapoints=10)
    for i in range(100):
        series.add(T0 + i * 1000, float(i))  # 100 s: minute 0 and minute 1
    assert series.bookkeeping() == {
        "raw": 40,
        "periods_60s": 1,
        "periods_300s": 0,
        "periods_3600s": 0,
        "pairs": 32,
    }
    assert series.values(T0 + MINUTE) == [float(i) for i in range(60, 100)]
    with pytest.raises(ValueError, match="folded into 60-second statistics") as info:
        series.values()
    assert "metric_datapoints=None" in str(info.value)
    with pytest.raises(ValueError, match="folded"):
        series.points()
    assert series.sum() == sum(range(100))
    assert (series.count(), series.min(), series.max(), series.last()) == (100, 0, 99, 99)


def test_periods_age_into_coarser_ones_and_drop_past_the_last_horizon() -> None:
    aging = (Aging(60_000, 10 * MINUTE), Aging(300_000, 60 * MINUTE))
    clock = _Clock(T0 + 120 * MINUTE)
    metrics = Metrics(clock, raw_datapoints=1, aging=aging)
    series = metrics.handle("NS", "M")
    for minute in range(120):
        series.add(T0 + minute * MINUTE, float(minute))
    sizes = series.bookkeeping()
    # 1-minute periods only for the last 10 minutes, 5-minute ones for the hour before.
    assert sizes["periods_60s"] <= 10
    assert sizes["periods_300s"] <= 12
    # Everything older than 70 minutes is gone, as CloudWatch expires data past retention.
    assert series.count() < 120
    assert series.max() == 119
    old = metrics.get_metric_statistics(
        "NS",
        "M",
        start=(T0 + 60 * MINUTE + 17_000) / 1000,  # rounded down to 5 minutes at this age
        end=(T0 + 100 * MINUTE) / 1000,
        period=300,
        statistics=["SampleCount", "Sum"],
    )["Datapoints"]
    assert [p["SampleCount"] for p in old] == [5.0] * 8
    assert old[0]["Sum"] == sum(range(60, 65))
    # A period that is not a multiple of the stored width gives no datapoints, as CloudWatch.
    assert (
        metrics.get_metric_statistics(
            "NS",
            "M",
            start=(T0 + 60 * MINUTE) / 1000,
            end=(T0 + 100 * MINUTE) / 1000,
            period=60,
            statistics=["Sum"],
        )["Datapoints"]
        == []
    )


def test_a_period_finer_than_a_minute_needs_a_high_resolution_metric() -> None:
    sim = Simulator()
    sim.metrics.put("NS", "Std", 1)
    sim.metrics.put("NS", "Fine", 1, storage_resolution=1)
    sim.advance(10)
    sim.metrics.put("NS", "Fine", 3, storage_resolution=1)
    with pytest.raises(ValueError, match="not a multiple of 60 seconds"):
        sim.metrics.get_metric_statistics(
            "NS", "Std", start=sim.start_ms / 1000, end=sim.now, period=30, statistics=["Sum"]
        )
    fine = sim.metrics.get_metric_statistics(
        "NS", "Fine", start=sim.start_ms / 1000, end=sim.now + 1, period=10, statistics=["Sum"]
    )
    assert [p["Sum"] for p in fine["Datapoints"]] == [1.0, 3.0]
    with pytest.raises(ValueError, match="storage_resolution must be 1 or 60"):
        sim.metrics.put("NS", "Odd", 1, storage_resolution=5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"raw_datapoints": 0}, "metric_datapoints"),
        ({"sketch_size": 1}, "sketch_size"),
        ({"aging": [Aging(60_000, 10), Aging(90_000, 20)]}, "multiple"),
        ({"aging": [Aging(30_000, 10)]}, "whole minutes"),
    ],
)
def test_bad_metrics_configuration_is_refused(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        Metrics(_Clock(T0), **kwargs)
