"""``kinesim whatif`` and ``kinesim sweep`` on small scenarios."""

from __future__ import annotations

import json

import pytest

from kinesim._cli import main
from kinesim.whatif._cli import _coerce, demo_scenario

SMALL = """
shards = 2
simulated_s = 120
period_s = 30
duration = 0.05

[arrivals]
kind = "constant"
rate = 40
"""


@pytest.fixture
def toml(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SMALL)
    return path


def test_whatif_file_with_flags(toml, capsys):
    assert main(["whatif", str(toml), "--shards", "3", "--set", "arrivals.rate=30"]) == 0
    out = capsys.readouterr().out
    assert "3 shard(s)" in out
    assert "constant(rate=30)" in out
    assert "iterator age (max per period)" in out


def test_whatif_json(toml, capsys):
    assert main(["whatif", str(toml), "--json", "--seed", "4"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario"]["seed"] == 4
    assert data["summary"]["records_put"] == 40 * 120


def test_whatif_plot(toml, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "p.png"
    assert main(["whatif", str(toml), "--plot", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_whatif_bad_input(toml, capsys):
    assert main(["whatif", str(toml), "--shards", "many"]) == 2
    assert "shards takes a whole number" in capsys.readouterr().err
    assert main(["whatif", str(toml), "--set", "nope=1"]) == 2
    assert "unknown scenario field" in capsys.readouterr().err


def test_sweep_names_the_cheapest(toml, capsys):
    argv = ["sweep", str(toml), "--grid", "shards=1,2", "--grid", "batch_size=1,100"]
    assert main([*argv, "--target-iterator-age", "10s", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "cheapest meeting the target" in out
    assert "shards=1, batch_size=100" in out


def test_sweep_needs_a_grid(toml, capsys):
    assert main(["sweep", str(toml)]) == 2
    assert "--grid" in capsys.readouterr().err


def test_coerce_follows_the_field_type():
    assert _coerce("8", 4, "shards") == 8
    assert _coerce("yes", False, "bisect_on_error") is True
    assert _coerce("2m", 3600.0, "simulated_s") == 120.0
    assert _coerce("none", 5, "reserved_concurrency") is None
    assert _coerce("5", None, "reserved_concurrency") == 5


def test_demo_is_four_shards_with_a_poison_record():
    demo = demo_scenario()
    assert demo.shards == 4
    assert demo.faults.poison_at_s == (600.0,)


def test_main_job_command_runs_the_demo(capsys):
    # The README's main job: `kinesim whatif` with no arguments, on the bare install.
    assert main(["whatif", "--set", "simulated_s=900"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("demo: a poison record stalls one shard of four")
    assert "stalled shards    shardId-" in out
    assert "iterator age (max per period)" in out


def test_sweep_on_dask_by_address(toml, capsys):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        argv = ["sweep", str(toml), "--grid", "shards=1,2", "--dask", cluster.scheduler_address]
        assert main([*argv, "--target-iterator-age", "10s"]) == 0
    out = capsys.readouterr().out
    assert "cheapest meeting the target (max iterator age <= 10s, no records lost): shards=1" in out
