"""Sweeps give the same rows serially, in a process pool and on Dask."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest

from kinesim.whatif import ConstantRate, Scenario
from kinesim.whatif._sweep import grid_points, sweep

BASE = Scenario(shards=1, arrivals=ConstantRate(rate=200), simulated_s=120, duration=0.2)
GRID = {"shards": [1, 2], "batch_size": [10, 100]}


def test_grid_points_product_in_order():
    assert grid_points({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
    ]
    with pytest.raises(ValueError, match="non-empty list"):
        grid_points({"a": []})


@pytest.fixture(scope="module")
def serial():
    return sweep(BASE, GRID, target_iterator_age_s=10)


def test_serial_sweep_and_verdict(serial):
    assert [row.overrides for row in serial.rows] == grid_points(GRID)
    # Batches of 10 records at 0.2 s each move 50 records/s per shard: below 200/s, so the
    # iterator age grows without bound; batches of 100 keep up.
    assert [row.meets_target for row in serial.rows] == [False, True, False, True]
    assert serial.cheapest is not None
    assert serial.cheapest.overrides == {"shards": 1, "batch_size": 100}
    assert "cheapest meeting the target" in serial.table()
    assert '"cheapest"' in serial.to_json()


def test_process_pool_gives_identical_results(serial):
    seen: list[tuple[float, float]] = []
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = sweep(
            BASE,
            GRID,
            executor=pool,
            target_iterator_age_s=10,
            progress=lambda done, total: seen.append((done, total)),
        )
    assert pooled == serial
    # Virtual seconds done across the four runs, rising to their total.
    total = 4 * BASE.simulated_s
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_dask_local_cluster_gives_identical_results(serial):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = sweep(BASE, GRID, executor=client.get_executor(), target_iterator_age_s=10)
    assert on_dask == serial


def test_no_configuration_meets_an_impossible_target():
    result = sweep(BASE, {"shards": [1]}, target_iterator_age_s=0.001)
    assert result.cheapest is None
    assert "no configuration meets the target" in result.table()
