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


def test_demo_shows_the_stall_and_accounts_for_every_record(capsys):
    import re

    assert main(["demo"]) == 0
    rows = re.findall(r"^\s+(\d+) h\s+(\d+) s\s+(.*)$", capsys.readouterr().out, re.MULTILINE)
    assert [int(hours) for hours, _, _ in rows] == [1, 6, 12, 24, 26]
    ages = [int(age) for _, age, _ in rows]
    assert ages == sorted(ages)  # the stalled shard's iterator age only grows
    assert ages[3] > 23 * 3600  # a day behind by the 24th hour
    final = {
        kind: int(count)
        for kind, count in (part.rsplit(" ", 1) for part in rows[-1][2].split(", "))
    }
    assert sum(final.values()) == 61 * 100 + 1  # every record has a fate: nothing vanished
    assert final["expired"] >= 1  # the poison record's batch was lost to retention


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
