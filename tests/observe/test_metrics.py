from datetime import timedelta

import pytest

from kinesim import Simulator


def _sim_with_points(points):
    sim = Simulator()
    for offset_ms, value in points:
        sim.advance_ms(offset_ms - (sim.now_ms - sim.start_ms))
        sim.metrics.put("NS", "Latency", value, dimensions={"Fn": "a"}, unit="Milliseconds")
    return sim


def test_statistics_per_period_with_empty_periods_left_out():
    # Period 0: 1, 2, 3, 4 | period 1: nothing | period 2: 10, 20.
    sim = _sim_with_points([(0, 1), (100, 2), (200, 3), (59_999, 4), (120_000, 10), (130_000, 20)])
    out = sim.metrics.get_metric_statistics(
        "NS",
        "Latency",
        dimensions={"Fn": "a"},
        start=sim.start_ms / 1000,
        end=sim.datetime + timedelta(seconds=60),
        period=60,
        statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
        extended_statistics=["p50", "p99", "p100"],
    )
    assert out["Label"] == "Latency"
    points = out["Datapoints"]
    assert [p["Timestamp"].timestamp() * 1000 - sim.start_ms for p in points] == [0, 120_000]
    first, third = points
    assert first["SampleCount"] == 4
    assert first["Sum"] == 10
    assert first["Average"] == 2.5
    assert first["Minimum"] == 1
    assert first["Maximum"] == 4
    assert first["Unit"] == "Milliseconds"
    # Nearest rank: p50 of [1,2,3,4] is rank ceil(2) = 2; p99 is rank ceil(3.96) = 4.
    assert first["ExtendedStatistics"] == {"p50": 2, "p99": 4, "p100": 4}
    assert third["SampleCount"] == 2
    assert third["ExtendedStatistics"] == {"p50": 10, "p99": 20, "p100": 20}


def test_percentile_nearest_rank_on_hundred_values():
    sim = _sim_with_points([(i, float(i + 1)) for i in range(100)])
    series = sim.metrics.series("NS", "Latency", Fn="a")
    assert series.percentile(99) == 99
    assert series.percentile(99.5) == 100
    assert series.percentile(1) == 1
    assert series.percentile(50) == 50
    assert series.max() == 100
    assert series.min() == 1
    assert series.sum() == 5050
    assert series.mean() == 50.5
    assert series.count() == len(series) == 100
    assert series.last() == 100
    assert series.values(sim.start_ms + 10, sim.start_ms + 13) == [11, 12, 13]
    assert series.points()[0] == (sim.start_ms, 1.0)


def test_unknown_metric_is_empty_not_an_error():
    sim = Simulator()
    series = sim.metrics.series("NS", "Nothing")
    assert series.values() == []
    assert series.max() is None
    assert series.percentile(99) is None
    assert series.mean() is None
    out = sim.metrics.get_metric_statistics(
        "NS", "Nothing", start=0, end=60, period=60, statistics=["Sum"]
    )
    assert out["Datapoints"] == []


def test_dimensions_are_exact_and_order_free():
    sim = Simulator()
    sim.metrics.put("NS", "M", 1, dimensions={"A": "1", "B": "2"})
    sim.metrics.put("NS", "M", 5, dimensions={"B": "2", "A": "1"})
    sim.metrics.put("NS", "M", 7, dimensions={"A": "1"})
    assert sim.metrics.series("NS", "M", A="1", B="2").values() == [1, 5]
    assert sim.metrics.series("NS", "M", A="1").values() == [7]
    assert sim.metrics.list_metrics("NS") == [
        ("NS", "M", {"A": "1"}),
        ("NS", "M", {"A": "1", "B": "2"}),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": 0, "statistics": ["Sum"]}, "period"),
        ({"period": 60, "statistics": ["Median"]}, "unknown statistics"),
        ({"period": 60, "extended_statistics": ["q99"]}, "percentile"),
        ({"period": 60, "extended_statistics": ["p0"]}, "percentile"),
        ({"period": 60}, "at least one"),
    ],
)
def test_bad_statistics_requests(kwargs, message):
    sim = Simulator()
    with pytest.raises(ValueError, match=message):
        sim.metrics.get_metric_statistics("NS", "M", start=0, end=60, **kwargs)


def test_end_before_start_and_string_extended():
    sim = Simulator()
    with pytest.raises(ValueError, match="after start"):
        sim.metrics.get_metric_statistics("NS", "M", start=60, end=0, period=60, statistics=["Sum"])
    with pytest.raises(TypeError, match="list"):
        sim.metrics.get_metric_statistics(
            "NS", "M", start=0, end=60, period=60, extended_statistics="p99"
        )
    with pytest.raises(ValueError, match="percentile"):
        sim.metrics.series("NS", "M").percentile(0)


def test_a_series_asked_for_early_is_live():
    sim = Simulator()
    early = sim.metrics.series("NS", "Later", Fn="a")
    assert early.values() == []
    assert sim.metrics.list_metrics("NS") == []  # an empty series is not listed
    sim.metrics.put("NS", "Later", 3, dimensions={"Fn": "a"}, unit="Count")
    assert early.values() == [3]
    assert early.unit == "Count"
