"""The aggregate what-if engine: engine selection, its limits, determinism, agreement with the
record-level engine on a few cheap scenarios (the full grid is tests/slow/test_aggregate_grid.py)
and the what-if suite's analytical checks run on it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
import kinesim.whatif._engines as engines
from kinesim._cli import main
from kinesim.whatif import (
    ConstantRate,
    CsvReplay,
    CycleKeys,
    Faults,
    HotKey,
    Poisson,
    ProducerConfig,
    Report,
    Scenario,
    UniformKeys,
    demo_scenario,
)
from kinesim.whatif._aggregate_parts import AUTO_RECORDS_THRESHOLD, ERROR_BOUND
from whatif.agreement import assert_agrees, one_key_per_lane

# -- agreement on cheap points ----------------------------------------------------------------

CHEAP = {
    "over capacity": Scenario(
        shards=1,
        simulated_s=300,
        arrivals=ConstantRate(rate=100),
        keys=UniformKeys(count=100),
        batch_size=10,
        duration=kinesim.Constant(0.25),
    ),
    "poison, retry limit": Scenario(
        shards=2,
        simulated_s=300,
        arrivals=ConstantRate(rate=200),
        keys=one_key_per_lane(2),
        batch_size=200,
        duration=kinesim.Constant(0.2),
        max_retry_attempts=1,
        faults=Faults(poison_at_s=(50.0,)),
    ),
    "batching window": Scenario(
        shards=2,
        simulated_s=300,
        arrivals=ConstantRate(rate=100),
        batch_size=500,
        batching_window_s=5.0,
    ),
}


@pytest.mark.parametrize("name", list(CHEAP))
def test_aggregate_engine_agrees_with_the_record_level_engine(name):
    agg, rec = assert_agrees(CHEAP[name])
    assert agg.records_put == rec.records_put  # even arrivals: the same records in both


# -- choosing the engine ----------------------------------------------------------------------


def test_auto_runs_small_scenarios_record_by_record():
    report = Scenario(shards=1, simulated_s=60).run()
    assert report.engine == "records"
    assert report.error_bound is None
    assert "6,000 records" in report.engine_note


def test_auto_runs_the_aggregate_engine_above_the_threshold(monkeypatch):
    scenario = Scenario(shards=1, simulated_s=60, arrivals=ConstantRate(rate=100))
    monkeypatch.setattr(engines, "AUTO_RECORDS_THRESHOLD", 5_000)
    report = scenario.run()
    assert report.engine == "aggregate"
    assert report.error_bound == ERROR_BOUND
    assert "6,000 records" in report.engine_note
    assert "aggregate (validated against the record-level engine" in report.text()
    assert AUTO_RECORDS_THRESHOLD == 2_000_000  # the documented size


def test_features_needing_record_content_fall_back_or_are_refused(tmp_path, monkeypatch):
    replay = tmp_path / "r.csv"
    replay.write_text("0.5,100,a\n1.5,200,b\n")
    scenario = Scenario(shards=1, simulated_s=10, arrivals=CsvReplay(path=str(replay)))
    with pytest.raises(ValueError, match=r"replayed workload .arrivals kind 'csv'.") as err:
        scenario.run(engine="aggregate")
    assert "engine='records'" in str(err.value)
    monkeypatch.setattr(engines, "AUTO_RECORDS_THRESHOLD", 1)
    report = scenario.run()  # auto: falls back, and says why
    assert report.engine == "records"
    assert "does not model a replayed workload" in report.engine_note
    assert report.summary.records_put == 2


def test_concurrency_below_the_lanes_is_left_to_the_record_level_engine(monkeypatch):
    scenario = Scenario(shards=4, simulated_s=30, reserved_concurrency=3)
    with pytest.raises(ValueError, match=r"function concurrency below the 4 lane.s.*limit of 3"):
        scenario.run(engine="aggregate")
    monkeypatch.setattr(engines, "AUTO_RECORDS_THRESHOLD", 1)
    assert scenario.run().engine == "records"
    assert scenario.with_overrides({"reserved_concurrency": 4}).run().engine == "aggregate"


def test_without_numpy_auto_uses_records_and_aggregate_says_how_to_install(monkeypatch):
    monkeypatch.setattr(engines, "_numpy_installed", lambda: False)
    monkeypatch.setattr(engines, "AUTO_RECORDS_THRESHOLD", 1)
    report = Scenario(shards=1, simulated_s=10).run()
    assert report.engine == "records"
    assert "numpy is not installed" in report.engine_note
    with pytest.raises(ValueError, match=r'pip install -e "\.\[aggregate\]"'):
        Scenario(shards=1, simulated_s=10).run(engine="aggregate")


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match=r"engine must be one of .'auto', 'records', 'aggregate'."):
        Scenario(simulated_s=10).run(engine="fast")


# -- same seed, same report; reports ------------------------------------------------------------


def test_same_seed_same_report_and_the_json_names_the_engine():
    scenario = Scenario(shards=3, simulated_s=300, arrivals=Poisson(rate=500))
    first = scenario.run(engine="aggregate")
    assert scenario.run(engine="aggregate").to_json() == first.to_json()
    other = scenario.with_overrides({"seed": 1}).run(engine="aggregate")
    assert other.summary.records_put != first.summary.records_put
    back = Report.from_json(first.to_json())
    assert back == first
    assert json.loads(first.to_json())["engine"] == "aggregate"


@settings(max_examples=10, deadline=None)
@given(
    shards=st.integers(1, 4),
    rate=st.sampled_from([0.0, 5.0, 200.0, 900.0, 3000.0]),
    batch=st.integers(1, 500),
    duration=st.sampled_from([0.0, 0.05, 0.4]),
    pf=st.integers(1, 3),
    window=st.sampled_from([0.0, 2.0]),
    poison=st.booleans(),
    retries=st.sampled_from([-1, 0, 2]),
)
def test_every_record_put_is_accounted_for(
    shards, rate, batch, duration, pf, window, poison, retries
):
    scenario = Scenario(
        shards=shards,
        simulated_s=60,
        period_s=30,
        arrivals=Poisson(rate=rate),
        batch_size=batch,
        duration=kinesim.Constant(duration),
        parallelization_factor=pf,
        batching_window_s=window,
        max_retry_attempts=retries,
        faults=Faults(poison_at_s=(20.0,) if poison else ()),
    )
    report = scenario.run(engine="aggregate")
    s = report.summary
    accounted = s.records_processed + s.records_lost + s.records_unresolved
    assert abs(accounted - s.records_put) <= shards * pf  # counts rounded per lane
    assert s.records_put + s.producer_gave_up <= s.records_generated + 1
    assert s.errors <= s.invocations
    assert s.max_iterator_age_s >= s.p99_iterator_age_s * 0.99 >= 0
    assert sum(v["written"] for v in report.shards.values()) == pytest.approx(s.records_put, abs=2)


# -- the analytical checks (tests/whatif/test_validation.py), on the aggregate engine -----------


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
    report = _one_shard(rate=50, batch_size=100, duration_s=0.2, simulated_s=900).run(
        engine="aggregate"
    )
    assert report.summary.max_iterator_age_s <= 1.0 + 0.1 + 0.2
    ages = [a for a in report.series["iterator_age_max_s"] if a is not None]
    assert min(ages) >= 0.2
    assert ages[-1] <= ages[1] + 0.05


def test_above_capacity_iterator_age_grows_at_the_queueing_rate():
    rate, mu = 100.0, 40.0
    report = _one_shard(rate=rate, batch_size=10, duration_s=0.25, simulated_s=1800).run(
        engine="aggregate"
    )
    ages, times = report.series["iterator_age_max_s"], report.times_s
    first, last = 2, len(ages) - 1
    slope = (ages[last] - ages[first]) / (times[last] - times[first])
    assert slope == pytest.approx(1 - mu / rate, rel=0.05)
    assert report.summary.max_iterator_age_s == pytest.approx((1 - mu / rate) * 1800, rel=0.05)
    processed = report.series["processed_per_s"][first:]
    assert sum(processed) / len(processed) == pytest.approx(mu, rel=0.05)


def test_parallelization_factor_helps_many_keys_not_one():
    def gain(keys):
        base = Scenario(
            shards=1,
            arrivals=ConstantRate(rate=200),
            keys=keys,
            duration=kinesim.Constant(0.5),
            batch_size=20,
            simulated_s=600,
        )
        one = base.run(engine="aggregate").summary.max_iterator_age_s
        five = base.with_overrides({"parallelization_factor": 5}).run(engine="aggregate")
        return one, five.summary.max_iterator_age_s

    many_one, many_five = gain(UniformKeys(count=1000))
    single_one, single_five = gain(CycleKeys(keys=("only-key",)))
    assert many_five < many_one / 2
    assert single_five == pytest.approx(single_one, rel=0.05)


def test_demo_poison_record_stalls_one_shard_with_rising_age():
    report = demo_scenario().with_overrides({"simulated_s": 1200.0}).run(engine="aggregate")
    assert len(report.stalled_shards()) == 1
    ages = report.series["iterator_age_max_s"]
    assert max(a for a in ages[:10] if a is not None) < 2
    after = [a for a in ages[12:] if a is not None]
    assert after == sorted(after)
    assert after[-1] > 500
    assert report.summary.records_lost == 0
    assert report.summary.errors > 10


def test_poison_record_is_lost_at_retention_when_no_retry_limit():
    hour = 3600.0
    report = Scenario(
        shards=4,
        arrivals=ConstantRate(rate=0.2),
        keys=UniformKeys(count=100),
        duration=kinesim.Constant(0.05),
        simulated_s=25 * hour,
        period_s=3600,
        faults=Faults(poison_at_s=(60.0,), poison_key="key-7"),
        producer=ProducerConfig(flush_interval_s=1.0),
    ).run(engine="aggregate")
    s = report.summary
    assert s.records_expired >= 1
    assert s.records_to_destination == 0
    assert 24 * hour + 60 <= s.time_to_first_loss_s <= 24 * hour + 60 + 120
    assert s.max_iterator_age_s == pytest.approx(24 * hour, rel=0.01)
    assert report.series["backlog_records"][-1] <= 1
    assert report.stalled_shards() == []


def test_hot_key_skew_throttles_the_producer():
    base = Scenario(shards=4, arrivals=ConstantRate(rate=1600), simulated_s=120, period_s=30)
    uniform = base.run(engine="aggregate").summary
    hot = base.with_overrides({"keys": HotKey(count=1000, share=0.9).to_dict()}).run(
        engine="aggregate"
    )
    assert uniform.write_throttles == 0
    assert hot.summary.write_throttles > 0
    assert hot.summary.producer_throttled > 0


def test_what_a_poison_record_costs_under_each_error_setting():
    base = Scenario(
        shards=1,
        arrivals=ConstantRate(rate=50),
        simulated_s=900,
        max_retry_attempts=2,
        faults=Faults(poison_at_s=(100.3,)),
    )
    plain = base.run(engine="aggregate").summary
    partial = base.with_overrides({"report_batch_item_failures": True}).run(engine="aggregate")
    bisect = base.with_overrides({"bisect_on_error": True}).run(engine="aggregate")
    assert plain.records_to_destination > partial.summary.records_to_destination > 1
    assert bisect.summary.records_to_destination == 1
    for summary in (plain, partial.summary, bisect.summary):
        assert summary.records_expired == 0


# -- the command line ---------------------------------------------------------------------------


def test_cli_engine_flag(tmp_path, capsys):
    assert main(["whatif", "--engine", "aggregate", "--simulated-s", "300", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["engine"] == "aggregate"
    assert data["error_bound"] == ERROR_BOUND
    replay = tmp_path / "r.csv"
    replay.write_text("0.5,100\n")
    toml = tmp_path / "s.toml"
    toml.write_text(f'simulated_s = 10\n[arrivals]\nkind = "csv"\npath = "{replay}"\n')
    assert main(["whatif", str(toml), "--engine", "aggregate"]) == 2
    assert "does not model a replayed workload" in capsys.readouterr().err
    args = ["sweep", "--engine", "aggregate", "--simulated-s", "120", "--workers", "1"]
    assert main([*args, "--grid", "shards=2,4", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["overrides"]["shards"] for r in rows] == [2, 4]
