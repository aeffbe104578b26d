"""The what-if CLI checks everything before it simulates: one clear line, exit status 2, never a
traceback (regression tests for the r13 reproducer), and refuses absurd runs without --force."""

from __future__ import annotations

import math

import pytest

from kinesim._cli import main
from kinesim._errors import InvalidParameterValueException
from kinesim.whatif import ConstantRate, Scenario
from kinesim.whatif._cli import ESTIMATE_LIMIT_S, estimate, example_scenario_text

BAD_FILES = {
    "shards = 20000\nsimulated_s = 60\n": (
        "Scenario.shards must be in [1, 10000] (the simulator's shards-per-stream limit, as "
        "Kinesis's default quota), got 20000"
    ),
    "batching_window_s = 301\nsimulated_s = 60\n": (
        "Scenario.batching_window_s must be 0-300 seconds (AWS's "
        "MaximumBatchingWindowInSeconds), got 301"
    ),
    "max_record_age_s = 30\nsimulated_s = 60\n": (
        "Scenario.max_record_age_s must be -1 (no limit) or 60-604800 seconds"
    ),
    "simulated_s = 60\n[faults]\npoison_per_hour = inf\n": (
        "Scenario.faults.poison_per_hour must be a finite number, got inf"
    ),
    "simulated_s = 60\n[arrivals]\nkind = 'constant'\nrate = nan\n": "rate must be finite",
    'simulated_s = 60\n[prices]\nshard_hour = "x"\n': (
        "Scenario.prices.shard_hour must be a number, got 'x'"
    ),
    "simulated_s = 60\n[prices]\nshard_hour = inf\n": "PriceTable.shard_hour must be >= 0, got inf",
    'simulated_s = 60\n[record_size]\nkind = "fixed"\nbytes = 2000000\n': (
        "Scenario.record_size.bytes allows records of 2,000,000 bytes, which with partition "
        "keys of up to 7 bytes exceed Kinesis's record limit of 1,048,576 bytes (data plus "
        "key); use at most 1,048,569"
    ),
    'simulated_s = 60\n[arrivals]\nkind = "csv"\npath = "missing.csv"\n': (
        "cannot replay missing.csv: CsvReplay.path 'missing.csv' is not a file"
    ),
    "simulated_s = 3155760000\n": "--force to run it anyway",
    "simulated_s = 0.0001\n": "Scenario.simulated_s must be at least 0.001",
    "simulated_s = 60\nreserved_concurrency = 5000\n": (
        "Scenario.reserved_concurrency must be at most 900 (account_concurrency 1000 less the "
        "100 Lambda keeps unreserved), got 5000"
    ),
}


@pytest.mark.parametrize("text", list(BAD_FILES), ids=range(len(BAD_FILES)))
def test_a_bad_scenario_is_one_line_and_exit_2(text, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(text)
    assert main(["whatif", "s.toml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kinesim whatif: ")
    assert err.count("\n") == 1
    assert BAD_FILES[text] in err
    assert "Traceback" not in err


def test_sweep_checks_every_grid_point_and_the_workers_first(capsys):
    assert main(["sweep", "--grid", "shards=0,1", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "kinesim sweep: --grid point shards=0: Scenario.shards must be in [1, 10000] (the "
        "simulator's shards-per-stream limit, as Kinesis's default quota), got 0\n"
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", "--grid", "shards=2", "--workers", "0"])
    assert exit_info.value.code == 2
    assert "argument --workers: must be 1 or more, got 0" in capsys.readouterr().err
    assert main(["sweep", "--grid", "shards=2,x", "--workers", "1"]) == 2
    assert capsys.readouterr().err == "kinesim sweep: shards takes a whole number, got 'x'\n"


def test_plot_path_is_checked_before_the_run(tmp_path, capsys):
    assert main(["whatif", "--plot", str(tmp_path / "no" / "such" / "p.png")]) == 2
    assert "the folder" in capsys.readouterr().err
    assert main(["whatif", "--plot", str(tmp_path / "p.docx")]) == 2
    assert "matplotlib cannot write '.docx' files" in capsys.readouterr().err
    assert main(["whatif", "--plot", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_an_absurd_run_is_refused_with_an_estimate_and_force_is_the_way_past(capsys):
    years = Scenario(simulated_s=100 * 365.25 * 86400, arrivals=ConstantRate(rate=100))
    cost = estimate(years)
    assert cost.records == pytest.approx(100 * 100 * 365.25 * 86400)
    assert cost.seconds > ESTIMATE_LIMIT_S
    err_argv = ["whatif", "--simulated-s", "3155760000", "--set", "arrivals.rate=100"]
    assert main(err_argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("kinesim whatif: this run would take about 315,576,000,000 records")
    assert "the limits are 30 min and 4 GiB" in err


def test_the_estimate_follows_the_workload():
    small = estimate(Scenario(simulated_s=600, arrivals=ConstantRate(rate=10)))
    assert small.records == pytest.approx(6000)
    assert math.isfinite(small.seconds)
    assert small.seconds < 1
    assert estimate(Scenario(simulated_s=1200, arrivals=ConstantRate(rate=10))).records == (
        pytest.approx(12000)
    )


def test_init_writes_the_commented_example_and_it_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["whatif", "--init", "orders.toml"]) == 0
    assert capsys.readouterr().out == "wrote orders.toml; run it with: kinesim whatif orders.toml\n"
    text = (tmp_path / "orders.toml").read_text()
    assert text == example_scenario_text()
    assert text.startswith("# A kinesim what-if scenario")
    scenario = Scenario.from_toml(tmp_path / "orders.toml")
    assert scenario.name == "orders"
    assert main(["whatif", "--init", "orders.toml"]) == 2  # never overwrites
    assert "exists; not overwriting it" in capsys.readouterr().err
    assert main(["whatif", "--init"]) == 0
    assert (tmp_path / "scenario.toml").read_text() == text


def test_unknown_flags_print_the_subcommand_usage(capsys):
    for command in ("whatif", "sweep"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--bogus=3"])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(f"usage: kinesim {command} ")
        assert err.rstrip().endswith(f"kinesim {command}: error: unrecognized arguments: --bogus=3")


def test_a_refusal_by_the_simulated_aws_is_one_line(monkeypatch, capsys):
    def refuse(self, *, progress=None, engine="auto"):
        raise InvalidParameterValueException("Specified value is not valid.")

    monkeypatch.setattr(Scenario, "run", refuse)
    assert main(["whatif", "--quiet"]) == 2
    assert capsys.readouterr().err == (
        "kinesim whatif: the simulator refused this scenario: InvalidParameterValueException: "
        "Specified value is not valid.\n"
    )
