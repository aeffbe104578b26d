import subprocess
import sys

import pytest

from kinesim._cli import main


def test_demo_runs_and_is_deterministic(capsys):
    assert main(["demo", "--seed", "5"]) == 0
    first = capsys.readouterr().out
    assert main(["demo", "--seed", "5"]) == 0
    assert capsys.readouterr().out == first
    assert "kinesim demo (seed 5)" in first


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: kinesim" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("kinesim ")


def test_console_script_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "kinesim._cli", "--version"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.startswith("kinesim 0.")
