"""Workloads, sizes, keys: counts, distributions, determinism, loading."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim.whatif import (
    Bursts,
    ConstantRate,
    CsvReplay,
    DailyCurve,
    EmpiricalSize,
    FixedSize,
    HotKey,
    LogNormalSize,
    Poisson,
    TraceReplay,
    UniformKeys,
    UniformSize,
    ZipfKeys,
)
from kinesim.whatif._dists import poisson
from kinesim.whatif._workload import spec_from_dict


def test_rates_over_time():
    assert ConstantRate(rate=250).expected(0, 100) == 25
    bursts = Bursts(base_rate=10, burst_rate=1000, every_s=600, burst_s=60, first_s=120)
    assert bursts.rate_at(0) == 10
    assert bursts.rate_at(120) == 1000
    assert bursts.rate_at(179.9) == 1000
    assert bursts.rate_at(180) == 10
    assert bursts.rate_at(720.5) == 1000
    daily = DailyCurve(peak_rate=1000, trough_rate=100, peak_hour=14)
    assert daily.rate_at(14 * 3600) == pytest.approx(1000)
    assert daily.rate_at(2 * 3600) == pytest.approx(100)
    hourly = DailyCurve(peak_rate=100, hourly=tuple(range(24)))
    assert hourly.rate_at(5 * 3600 + 10) == 500
    assert hourly.rate_at(29 * 3600) == 500  # the curve repeats daily


def test_poisson_flag_per_process():
    assert Poisson(rate=1).poisson_counts()
    assert not ConstantRate(rate=1).poisson_counts()
    assert DailyCurve(peak_rate=1, poisson=True).poisson_counts()
    assert Bursts(base_rate=1, burst_rate=2, poisson=True).poisson_counts()


@pytest.mark.parametrize("lam", [0.5, 3.0, 9.9, 10.0, 40.0, 400.0])
def test_poisson_sampler_mean_and_variance(lam):
    rng = random.Random(7)
    draws = [poisson(lam, rng) for _ in range(20_000)]
    assert min(draws) >= 0
    # Mean and variance of a Poisson are both lam; 20k draws put them within a few percent.
    assert statistics.fmean(draws) == pytest.approx(lam, rel=0.05, abs=0.03)
    assert statistics.pvariance(draws) == pytest.approx(lam, rel=0.08, abs=0.05)


def test_poisson_sampler_zero_rate():
    assert poisson(0.0, random.Random(1)) == 0


def test_sizes():
    rng = random.Random(3)
    assert FixedSize(bytes=10).sample(3, rng) == [10, 10, 10]
    uniform = UniformSize(low=5, high=7).sample(1000, rng)
    assert set(uniform) == {5, 6, 7}
    lognormal = sorted(LogNormalSize(median=1000, p99=10_000).sample(20_000, rng))
    assert lognormal[10_000] == pytest.approx(1000, rel=0.05)
    assert lognormal[int(0.99 * 20_000)] == pytest.approx(10_000, rel=0.15)
    assert set(EmpiricalSize(samples=(1, 2)).sample(100, rng)) == {1, 2}


def test_keys():
    rng = random.Random(5)
    uniform = UniformKeys(count=4).sample(4000, rng)
    assert sorted(set(uniform)) == ["key-0", "key-1", "key-2", "key-3"]
    assert all(800 < uniform.count(k) < 1200 for k in set(uniform))
    zipf = ZipfKeys(count=100, s=1.2).sample(10_000, rng)
    assert zipf.count("key-0") > zipf.count("key-1") > zipf.count("key-9")
    hot = HotKey(count=10, share=0.9).sample(10_000, rng)
    assert hot.count("key-0") == pytest.approx(9000, rel=0.03)
    assert HotKey(count=1).sample(3, rng) == ["key-0"] * 3


def test_samples_are_deterministic_per_seed():
    def draw(seed: int) -> tuple[list[str], list[int]]:
        sim = kinesim.Simulator(seed=seed)
        return (
            ZipfKeys(count=50).sample(100, sim.random("k")),
            LogNormalSize(median=100, p99=900).sample(100, sim.random("s")),
        )

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


@pytest.mark.parametrize(
    ("family", "data", "message"),
    [
        ("arrivals", {"rate": 1}, "kind"),
        ("arrivals", {"kind": "nope"}, "unknown arrivals kind"),
        ("arrivals", {"kind": "constant", "rate": 1, "burst": 2}, "has no field"),
        ("keys", {"kind": "zipf", "count": 0}, "count"),
        ("record_size", {"kind": "uniform", "low": 5, "high": 1}, "high"),
    ],
)
def test_bad_specs_say_what_to_do(family, data, message):
    with pytest.raises(ValueError, match=message):
        spec_from_dict(family, data)


def test_specs_round_trip_through_dicts():
    for spec, family in [
        (Bursts(base_rate=1, burst_rate=5), "arrivals"),
        (DailyCurve(peak_rate=9, hourly=tuple([1.0] * 24)), "arrivals"),
        (EmpiricalSize(samples=(1, 5)), "record_size"),
        (HotKey(count=3, share=0.2), "keys"),
    ]:
        assert spec_from_dict(family, spec.to_dict()) == spec


def test_csv_replay(tmp_path):
    path = tmp_path / "load.csv"
    path.write_text("time_s,size,key\n# a comment\n0.25,100,a\n0.05,7,\n1.5,9,b\n")
    data = CsvReplay(path=str(path)).load()
    assert data.times_ms == (50, 250, 1500)
    assert data.sizes == (7, 100, 9)
    assert data.keys == (None, "a", "b")
    path.write_text("x,y\n")
    with pytest.raises(ValueError, match="time_s must be a number"):
        CsvReplay(path=str(path)).load()
    with pytest.raises(ValueError, match="is not a file"):
        CsvReplay(path=str(tmp_path / "missing.csv")).load()


def test_trace_replay(tmp_path):
    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", 1)
    sim.advance(2)
    stream.put_records([(b"abc", "k1"), (b"de", "k2")])
    sim.advance(1)
    stream.put_record(b"x", "k3")
    path = tmp_path / "t.msgpack"
    sim.trace.save(path)
    data = TraceReplay(path=str(path)).load()
    assert len(data.times_ms) >= 2
    assert data.times_ms[0] == 2000
    assert all(t in (2000, 3000) for t in data.times_ms)


@settings(max_examples=30, deadline=None)
@given(rate=st.floats(0, 5000), tick_ms=st.integers(1, 1000), ticks=st.integers(1, 50))
def test_even_counts_never_drift(rate, tick_ms, ticks):
    # The producer's carry turns expected counts into whole ones; over any run the total is the
    # expected total rounded down (never more, never a record short beyond the fraction).
    process = ConstantRate(rate=rate)
    carry, total = 0.0, 0
    for k in range(ticks):
        carry += process.expected(k * tick_ms, (k + 1) * tick_ms)
        n = math.floor(carry + 1e-9)
        carry -= n
        total += n
    expected = rate * tick_ms * ticks / 1000
    assert expected - 1 - 1e-6 <= total <= expected + 1e-6
