"""Scenario: validation, TOML loading, overrides, round trips."""

from __future__ import annotations

import pickle

import pytest

import kinesim
from kinesim.whatif import (
    ConstantRate,
    Faults,
    Poisson,
    Scenario,
    SlowPeriod,
    ZipfKeys,
    parse_seconds,
)

TOML = """
name = "orders"
shards = 2
simulated_s = 600
batch_size = 50
duration = { kind = "lognormal", median = 0.08, p99 = 0.4 }

[arrivals]
kind = "poisson"
rate = 300

[keys]
kind = "zipf"
count = 100

[faults]
poison_at_s = [120]
slow_periods = [{ start_s = 60, duration_s = 30, factor = 5 }]

[prices]
shard_hour = 0.02
"""


def test_from_toml(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(TOML)
    scenario = Scenario.from_toml(path)
    assert scenario.name == "orders"
    assert scenario.shards == 2
    assert scenario.arrivals == Poisson(rate=300)
    assert scenario.keys == ZipfKeys(count=100)
    assert scenario.duration == kinesim.LogNormal(median=0.08, p99=0.4)
    assert scenario.faults.poison_at_s == (120.0,)
    assert scenario.faults.slow_periods == (SlowPeriod(start_s=60, duration_s=30, factor=5),)
    assert scenario.prices.shard_hour == 0.02
    assert scenario.prices.lambda_gb_second == 0.0000166667  # others keep the defaults


def test_round_trip_and_pickle():
    scenario = Scenario(
        shards=3,
        arrivals=ConstantRate(rate=5),
        faults=Faults(error_probability=0.1, poison_at_s=(1, 2)),
        duration=kinesim.Uniform(0.01, 0.02),
    )
    assert Scenario.from_dict(scenario.to_dict()) == scenario
    assert pickle.loads(pickle.dumps(scenario)) == scenario


def test_overrides():
    base = Scenario()
    assert base.with_overrides({"shards": 8}).shards == 8
    assert base.with_overrides({"arrivals.rate": 50.0}).arrivals == ConstantRate(rate=50.0)
    switched = base.with_overrides({"arrivals.kind": "poisson"})
    assert switched.arrivals == Poisson(rate=base.arrivals.rate)
    assert base.with_overrides({"prices.shard_hour": 1.0}).prices.shard_hour == 1.0
    assert base.with_overrides({"duration": 0.2}).duration == kinesim.Constant(0.2)
    with pytest.raises(ValueError, match="unknown scenario field 'shard'"):
        base.with_overrides({"shard": 1})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("shards", 0, r"shards must be in \[1, 10000\]"),
        ("parallelization_factor", 11, r"in \[1, 10\]"),
        ("mode", "FAST", "mode must be one of"),
        ("simulated_s", 0, "simulated_s"),
        ("batch_size", True, "must be an int"),
        ("arrivals", 5, "ArrivalProcess"),
    ],
)
def test_validation(field, value, message):
    with pytest.raises((ValueError, TypeError), match=message):
        Scenario(**{field: value})


def test_unknown_fields_and_bad_toml(tmp_path):
    with pytest.raises(ValueError, match="unknown scenario field"):
        Scenario.from_dict({"shardz": 1})
    path = tmp_path / "bad.toml"
    path.write_text("shards = ")
    with pytest.raises(ValueError, match="not valid TOML"):
        Scenario.from_toml(path)


def test_parse_seconds():
    assert parse_seconds("60s") == 60
    assert parse_seconds("5m") == 300
    assert parse_seconds("2h") == 7200
    assert parse_seconds("250ms") == 0.25
    assert parse_seconds("12") == 12
    assert parse_seconds(3) == 3
    with pytest.raises(ValueError, match="cannot read"):
        parse_seconds("soon")


def test_describe_names_the_main_settings():
    text = Scenario(shards=6, batch_size=10).describe()
    assert "6 shard(s)" in text
    assert "batch 10" in text


def test_whatif_is_not_imported_by_kinesim():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", "import sys, kinesim; print('kinesim.whatif' in sys.modules)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.strip() == "False"
    code = (
        "import sys, kinesim.whatif;"
        "print(sorted({'matplotlib', 'dask', 'distributed', 'numpy'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"  # plots and Dask load only when asked for
