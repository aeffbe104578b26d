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
