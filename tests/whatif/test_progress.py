"""Progress on stderr: a bar with ETA on a terminal, a plain line every few seconds elsewhere,
nothing with --quiet, and never a change to the report."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from kinesim.whatif import ConstantRate, Scenario, sweep
from kinesim.whatif._progress import Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def __call__(self) -> float:
        return self.times.pop(0)


def test_a_terminal_gets_a_bar_with_eta_once_a_second_has_passed():
    tty = _Tty()
    bar = Progress("simulating", total_s=3600, stream=tty, clock=_Clock(0.0, 0.5, 2.0, 3.0))
    bar(0.1)  # 0.5 s in: too early
    assert tty.getvalue() == ""
    bar(0.5)  # 2 s in, half done: 2 s left
    line = tty.getvalue()
    assert line.startswith("\rsimulating [###############...............]")
    assert "50% (30.0 min of 60.0 min virtual), 2 s elapsed, about 2 s left" in line
    bar.close()
    assert tty.getvalue().endswith("\r")
    assert "\n" not in tty.getvalue()


def test_elsewhere_a_line_every_few_seconds_and_a_last_one():
    log = io.StringIO()
    clock = _Clock(0.0, 1.0, 5.0, 7.0, 10.5, 12.0)
    bar = Progress("sweeping 4 runs", total_s=86400, stream=log, clock=clock)
    bar.update(3600)  # 1 s: nothing yet
    bar.update(21600)  # 5 s: the first line
    bar.update(30000)  # 7 s: under 5 s since the last line
    bar.update(43200)  # 10.5 s: the second line
    bar.close()  # 12 s
    assert log.getvalue().splitlines() == [
        "sweeping 4 runs:  25% (6.0 h of 24.0 h virtual), 5 s elapsed, about 15 s left",
        "sweeping 4 runs:  50% (12.0 h of 24.0 h virtual), 10 s elapsed, about 10 s left",
        "sweeping 4 runs: done in 12 s",
    ]


def test_quiet_writes_nothing():
    for stream in (io.StringIO(), _Tty()):
        bar = Progress("x", total_s=10, stream=stream, quiet=True, clock=lambda: 100.0)
        bar(0.5)
        bar.close()
        assert stream.getvalue() == ""


BASE = Scenario(shards=1, arrivals=ConstantRate(rate=20), simulated_s=120, period_s=30)
GRID = {"simulated_s": [60.0, 120.0]}


def test_a_serial_sweep_reports_virtual_time_inside_each_run():
    seen: list[tuple[float, float]] = []
    result = sweep(BASE, GRID, progress=lambda done, total: seen.append((done, total)))
    assert {total for _, total in seen} == {180.0}
    done = [d for d, _ in seen]
    assert done == sorted(done)
    # Inside the first run (60 s: two 30 s periods) and inside the second, not only at the ends.
    assert 30.0 in done
    assert 120.0 in done
    assert done[-1] == 180.0
    assert result == sweep(BASE, GRID)  # progress changes nothing


def test_a_thread_pool_sweep_reports_progress_and_the_same_rows():
    seen: list[float] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        result = sweep(BASE, GRID, executor=pool, progress=lambda done, total: seen.append(done))
    assert seen[-1] == 180.0
    assert seen == sorted(seen)
    assert result == sweep(BASE, GRID)


def test_progress_never_changes_the_report():
    scenario = Scenario(shards=1, arrivals=ConstantRate(rate=20), simulated_s=120, period_s=30)
    tty = _Tty()
    ticks = iter(range(0, 1000, 3))
    bar = Progress("simulating", total_s=120, stream=tty, clock=lambda: float(next(ticks)))
    shown = scenario.run(progress=bar)
    assert "simulating [" in tty.getvalue()  # the bar was drawn during the run
    assert shown.to_json() == scenario.run().to_json()
