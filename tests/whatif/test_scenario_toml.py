"""Scenario.to_toml() round-trips; with_overrides takes keyword arguments too."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim.whatif import (
    Bursts,
    ConstantRate,
    CycleKeys,
    DailyCurve,
    EmpiricalSize,
    Faults,
    LogNormalSize,
    Poisson,
    Scenario,
    SlowPeriod,
    ThrottlePeriod,
    UniformSize,
    ZipfKeys,
)
from kinesim.whatif._cli import example_scenario_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
seconds = st.floats(0, 1e6, allow_nan=False)
rates = st.floats(0, 1e4, allow_nan=False)

scenarios = st.builds(
    Scenario,
    name=text,
    seed=st.integers(-(2**63), 2**63 - 1),
    simulated_s=st.floats(0.001, 1e7),
    shards=st.integers(1, 10000),
    mode=st.sampled_from(["PROVISIONED", "ON_DEMAND"]),
    reserved_concurrency=st.none() | st.integers(0, 900),
    batching_window_s=st.floats(0, 300),
    max_record_age_s=st.sampled_from([-1, 60, 604800]),
    bisect_on_error=st.booleans(),
    duration=st.one_of(
        st.floats(0, 900).map(kinesim.Constant),
        st.just(kinesim.LogNormal(median=0.08, p99=0.4)),
        st.lists(st.floats(0, 10), min_size=1, max_size=4).map(kinesim.Empirical),
    ),
    arrivals=st.one_of(
        rates.map(lambda r: ConstantRate(rate=r)),
        rates.map(lambda r: Poisson(rate=r)),
        st.just(Bursts(base_rate=10, burst_rate=100, every_s=60, burst_s=5)),
        st.just(DailyCurve(peak_rate=300, trough_rate=30)),
    ),
    record_size=st.one_of(
        st.just(UniformSize(low=1, high=2000)),
        st.just(LogNormalSize(median=100, p99=1000)),
        st.lists(st.integers(0, 5000), min_size=1, max_size=3).map(
            lambda s: EmpiricalSize(samples=tuple(s))
        ),
    ),
    keys=st.one_of(
        st.integers(1, 10**5).map(lambda n: ZipfKeys(count=n)),
        st.just(CycleKeys(keys=("a", "b\"'\\é\x7f"))),
    ),
    faults=st.builds(
        Faults,
        poison_at_s=st.lists(seconds, max_size=3).map(tuple),
        poison_per_hour=rates,
        poison_key=st.none()
        | st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8),
        error_probability=st.floats(0, 1),
        slow_periods=st.lists(
            st.builds(SlowPeriod, start_s=seconds, duration_s=seconds), max_size=2
        ).map(tuple),
        throttle_periods=st.lists(
            st.builds(ThrottlePeriod, start_s=seconds, duration_s=seconds), max_size=2
        ).map(tuple),
    ),
)


@settings(max_examples=50)
@given(scenarios)
def test_to_toml_round_trips(scenario):
    text = scenario.to_toml()
    assert Scenario.from_dict(tomllib.loads(text)) == scenario


def test_to_toml_reads_back_from_a_file(tmp_path):
    scenario = Scenario(name="orders", shards=8, arrivals=Poisson(rate=2000))
    path = tmp_path / "orders.toml"
    path.write_text(scenario.to_toml())
    assert Scenario.from_toml(path) == scenario
    assert "shards = 8\n" in scenario.to_toml()
    assert '[arrivals]\nkind = "poisson"\nrate = 2000\n' in scenario.to_toml()


def test_with_overrides_takes_keywords_and_dotted_names():
    base = Scenario()
    assert base.with_overrides(simulated_s=600).simulated_s == 600
    both = base.with_overrides({"arrivals.rate": 2000}, shards=8)
    assert (both.shards, both.arrivals) == (8, ConstantRate(rate=2000))
    with pytest.raises(TypeError, match="takes a mapping and/or keyword arguments"):
        base.with_overrides(8)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown scenario field 'shard'"):
        base.with_overrides(shard=8)


def test_the_shipped_example_is_the_one_init_writes():
    shipped = ROOT / "examples" / "orders.toml"
    assert shipped.read_text(encoding="utf-8") == example_scenario_text()
    assert Scenario.from_toml(shipped).name == "orders"
