"""Reports from small runs: shape, JSON, text, chart, plot, determinism."""

from __future__ import annotations

import pytest

from kinesim.whatif import (
    SERIES,
    ConstantRate,
    CsvReplay,
    Faults,
    Report,
    Scenario,
    ThrottlePeriod,
    terminal_chart,
)

SMALL = Scenario(shards=2, arrivals=ConstantRate(rate=50), simulated_s=300, period_s=30)


@pytest.fixture(scope="module")
def report() -> Report:
    return SMALL.run()


def test_series_cover_every_period(report):
    assert report.times_s == [30.0 * k for k in range(10)]
    assert set(report.series) == set(SERIES)
    for name, values in report.series.items():
        assert len(values) == 10, name
    # 50 records/s arrive, evenly: every full period sees 50/s incoming.
    assert report.series["incoming_per_s"][1:] == [50.0] * 9
    assert report.series["write_throttles"] == [0.0] * 10


def test_summary_counts_agree(report):
    s = report.summary
    assert s.records_generated == 50 * 300
    assert s.records_put == s.records_generated
    assert s.records_processed + s.records_unresolved == s.records_put
    assert s.records_lost == 0
    assert s.time_to_first_loss_s is None
    assert s.errors == 0
    assert 0 < s.max_iterator_age_s < 2
    assert s.monthly_cost_usd == pytest.approx(sum(s.cost_lines.values()))


def test_same_seed_same_report(report):
    again = SMALL.run()
    assert again == report
    assert again.to_json() == report.to_json()


def test_json_round_trip(report):
    assert Report.from_json(report.to_json()) == report


def test_text_and_chart(report):
    text = report.text()
    assert "iterator age" in text
    assert "monthly cost" in text
    chart = terminal_chart([0, 60, 120], [0.0, 5.0, None], title="t", width=10, height=4)
    rows = chart.splitlines()
    assert rows[0] == "t"
    assert rows[1].endswith("| # ")  # the tallest column reaches the top, the gap is blank
    assert terminal_chart([], [], title="x") == "x: no data"


def test_progress_is_reported():
    seen: list[float] = []
    Scenario(arrivals=ConstantRate(rate=1), simulated_s=90, period_s=30).run(progress=seen.append)
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_throttle_period_throttles_then_recovers():
    scenario = SMALL.with_overrides({}).__class__(
        shards=1,
        arrivals=ConstantRate(rate=20),
        simulated_s=300,
        period_s=30,
        faults=Faults(throttle_periods=(ThrottlePeriod(start_s=60, duration_s=60),)),
    )
    report = scenario.run()
    throttles = report.series["lambda_throttles"]
    assert throttles[0] == 0
    assert sum(throttles[2:4]) > 0
    assert report.summary.records_unresolved < 40  # caught up after the throttle lifted


def test_plot_writes_a_png(report, tmp_path):
    pytest.importorskip("matplotlib")
    report.plot(tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fan_out_consumers_read_everything_and_are_priced():
    # Two enhanced fan-out consumers read both shards for 15 minutes: three five-minute
    # subscriptions each, resubscribed from where the last one stopped.
    base = Scenario(shards=2, arrivals=ConstantRate(rate=20), simulated_s=900, period_s=60)
    plain, with_efo = base.run(), base.with_overrides({"fan_out_consumers": 2}).run()
    lines = with_efo.summary.cost_lines
    assert lines["fan-out consumer-shard-hours"] == pytest.approx(2 * 2 * 730 * 0.015)
    # Every record pushed to both consumers (the last ~70 ms of pushes may still be in flight).
    pushed_gb = lines["fan-out data"] / 0.013 / (730 / 0.25)
    per_record = 1024 + len("key-0") + 0.9  # data + an average key ("key-0" .. "key-999")
    expected_gb = 2 * 20 * 900 * per_record / 1024**3
    assert pushed_gb == pytest.approx(expected_gb, rel=0.01)
    # Dedicated pipes: the mapping is not slowed.
    assert with_efo.summary.records_processed == plain.summary.records_processed
    assert "fan-out" not in "".join(plain.summary.cost_lines)


def test_csv_replay_puts_the_rows_at_their_times(tmp_path):
    path = tmp_path / "load.csv"
    rows = [f"{t / 10:.1f},{100 + t},k{t % 3}" for t in range(0, 600, 7)]
    path.write_text("time_s,size,key\n" + "\n".join(rows) + "\n")
    scenario = Scenario(
        shards=1,
        arrivals=CsvReplay(path=str(path)),
        simulated_s=120,
        period_s=30,
    )
    report = scenario.run()
    assert report.summary.records_put == len(rows)
    # Rows at 0.0-59.5 s: the first two 30-s periods hold all of them, in the right halves.
    incoming = report.series["incoming_per_s"]
    first_half = sum(1 for t in range(0, 600, 7) if t / 10 < 29.9)
    assert incoming[0] * 30 == pytest.approx(first_half, abs=1)
    assert incoming[2] == incoming[3] == 0


def test_on_demand_is_priced_by_data_and_stream_hours():
    report = Scenario(mode="ON_DEMAND", arrivals=ConstantRate(rate=50), simulated_s=120).run()
    lines = report.summary.cost_lines
    assert "kinesis shard-hours" not in lines
    assert lines["kinesis on-demand stream-hours"] == pytest.approx(730 * 0.04)
    # 1,024 data bytes + a key of 5 or 6 bytes: 2 KiB each in on-demand's 1-KiB units.
    gb_in = 50 * 120 * 2048 / 1024**3 * (730 / (120 / 3600))
    assert lines["kinesis on-demand data in"] == pytest.approx(gb_in * 0.08)
    assert "an on-demand stream" in report.description


def test_overlapping_throttle_periods_compose():
    # 60-120 s at 0, 90-200 s at 0: throttled from 60 s to 200 s, then free again.
    scenario = Scenario(
        shards=1,
        arrivals=ConstantRate(rate=20),
        simulated_s=400,
        period_s=20,
        faults=Faults(
            throttle_periods=(
                ThrottlePeriod(start_s=60, duration_s=60),
                ThrottlePeriod(start_s=90, duration_s=110),
            )
        ),
    )
    report = scenario.run()
    processed = report.series["processed_per_s"]
    assert all(p == 0 for p in processed[3:10])  # 60-200 s: nothing gets through
    # Then the backlog drains, at the mapping's next throttle retry (its backoff is at most
    # 60 s by default).
    assert max(processed[10:13]) > 100
    assert report.summary.records_unresolved < 40
