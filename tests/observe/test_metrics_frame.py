"""sim.metrics.to_pandas(): every datapoint, one row each, selected like list_metrics()."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import kinesim

pd = pytest.importorskip("pandas")


def test_datapoints_become_rows_with_a_column_per_dimension():
    sim = kinesim.Simulator(seed=0)
    sim.metrics.put("Custom", "Latency", 5.0, dimensions={"Service": "api"})
    sim.advance(2)
    sim.metrics.put("Custom", "Latency", 7.0, dimensions={"Service": "api"})
    sim.metrics.put("Custom", "Latency", 9.0, dimensions={"Service": "db", "Region": "eu"})
    sim.metrics.put("Other", "Count", 1.0)

    frame = sim.metrics.to_pandas("Custom")
    assert list(frame.columns) == [
        "namespace",
        "metric",
        "time",
        "value",
        "unit",
        "Region",
        "Service",
    ]
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = [
        (
            r.metric,
            r.time.to_pydatetime(),
            r.value,
            r.Service,
            None if pd.isna(r.Region) else r.Region,
        )
        for r in frame.itertuples()
    ]
    by_service = sorted(rows, key=lambda r: (r[3], r[1]))
    assert [(r[2], r[3], r[4]) for r in by_service] == [
        (5.0, "api", None),
        (7.0, "api", None),
        (9.0, "db", "eu"),
    ]
    assert by_service[0][1] == start
    assert by_service[1][1] == datetime(2026, 1, 1, 0, 0, 2, tzinfo=timezone.utc)
    assert sim.metrics.to_pandas("Custom", Service="db")["value"].tolist() == [9.0]
    assert len(sim.metrics.to_pandas()) == 4
    assert sim.metrics.to_pandas("Nothing").empty


def test_period_rows_read_what_folding_kept_and_match_the_exact_statistics():
    # 3 datapoints a minute for 10 minutes, with only 5 kept as they came: the datapoint form
    # is refused (folded), the period form answers from the folded statistics, exactly.
    sim = kinesim.Simulator(metric_datapoints=5)
    values = {}
    for minute in range(10):
        for k in range(3):
            value = float(minute * 10 + k)
            values.setdefault(minute, []).append(value)
            sim.metrics.put("Custom", "Latency", value, dimensions={"Service": "api"})
            sim.advance(20)
    with pytest.raises(ValueError, match="folded"):
        sim.metrics.to_pandas("Custom")
    frame = sim.metrics.to_pandas("Custom", period=60)
    assert list(frame.columns) == [
        "namespace",
        "metric",
        "time",
        "SampleCount",
        "Sum",
        "Minimum",
        "Maximum",
        "Average",
        "unit",
        "Service",
    ]
    assert frame["SampleCount"].tolist() == [3.0] * 10
    assert frame["Sum"].tolist() == [sum(values[m]) for m in range(10)]
    assert frame["Minimum"].tolist() == [min(values[m]) for m in range(10)]
    assert frame["Maximum"].tolist() == [max(values[m]) for m in range(10)]
    assert set(frame["Service"]) == {"api"}
    assert frame["time"].is_monotonic_increasing
